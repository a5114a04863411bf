"""ESC-50 for a reader without a data root: one pinned WAV a clip, made into the offline copy's FLACs.

The conversion runs against WAVs served on 127.0.0.1; the pins are checked against the offline
copy's manifest (its FLAC hashes and the upstream WAVs' ``original_sha256``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import soxr
from conftest import Server

from audioml.data import esc50, loaders
from audioml.data.datasets import REGISTRY, RemoteFile, dataset_dir, fetch_dataset
from audioml.data.integrity import content_digest, read_manifest
from audioml.errors import ChecksumError

pytestmark = [pytest.mark.usefixtures("isolated_env"), pytest.mark.timeout(120)]
SPEC = REGISTRY["esc50_fold4"]


@pytest.fixture(autouse=True)
def _quiet_progress_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())


def upstream_wav(seed: int, loud: bool) -> bytes:
    """A 1 s clip as ESC-50 ships them (16-bit mono, 44.1 kHz); ``loud`` saturates it, as some clips are."""
    wave = np.random.default_rng(seed).uniform(-1, 1, esc50.SOURCE_RATE) * (1.0 if loud else 0.3)
    handle = io.BytesIO()
    sf.write(handle, wave, esc50.SOURCE_RATE, format="WAV", subtype="PCM_16")
    return handle.getvalue()


def flac_of(wav: bytes) -> bytes:
    """The offline copy's recipe, written out once more from its README, to check the package against."""
    x, sr = sf.read(io.BytesIO(wav), dtype="float64")
    y = soxr.resample(x, sr, 22050, quality="VHQ")
    if np.max(np.abs(y)) > 32767 / 32768:
        y = y * ((32767 / 32768) / np.max(np.abs(y)))
    handle = io.BytesIO()
    sf.write(handle, y, 22050, format="FLAC", subtype="PCM_16")
    return handle.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def served(server: Server, monkeypatch: pytest.MonkeyPatch):
    """Two upstream WAVs on the local server, the pinned-clip table and a spec pointing at them."""
    wavs = {"4-1-A-0.wav": upstream_wav(0, loud=False), "4-2-A-1.wav": upstream_wav(1, loud=True)}
    for name, data in wavs.items():
        (server.root / name).write_bytes(data)
    pinned = [
        {"filename": n, "wav_sha256": sha(d), "flac_sha256": sha(flac_of(d)), "flac_bytes": ""} for n, d in wavs.items()
    ]
    monkeypatch.setattr(esc50, "clips", lambda: pinned)
    rows = [{"path": f"audio/{Path(n).stem}.flac", "sha256": sha(flac_of(d))} for n, d in wavs.items()]
    spec = dataclasses.replace(
        SPEC,
        files=tuple(RemoteFile(f"{server.url}/{n}", f"audio/{n}", sha(d), len(d)) for n, d in wavs.items()),
        content_digest=None,
        download_digest=content_digest(rows, SPEC.digest_suffixes),
    )
    return spec, wavs, server


def test_the_download_is_the_offline_copys_flacs_and_only_them(served, monkeypatch) -> None:
    spec, wavs, server = served
    monkeypatch.setitem(REGISTRY, "esc50_fold4", spec)
    folder = dataset_dir("esc50_fold4")
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert on_disk == ["audio/4-1-A-0.flac", "audio/4-2-A-1.flac", "manifest.csv"]  # no WAV is kept
    for name, data in wavs.items():
        assert (folder / "audio" / f"{Path(name).stem}.flac").read_bytes() == flac_of(data)
    assert sorted(server.requests) == ["/4-1-A-0.wav", "/4-2-A-1.wav"]
    loud, _ = sf.read(folder / "audio" / "4-2-A-1.flac")
    assert np.max(np.abs(loud)) <= 32767 / 32768  # scaled into 16 bits, not clipped
    assert dataset_dir("esc50_fold4") == folder and len(server.requests) == 2  # verified, not fetched again


def test_a_flac_that_differs_from_the_book_is_refused_with_both_hashes(served, tmp_path: Path, monkeypatch) -> None:
    spec, _, _ = served
    pinned = esc50.clips()
    pinned[1]["flac_sha256"] = "f" * 64  # as if another resampler had written it
    destination = tmp_path / "cache" / "datasets" / "esc50_fold4"
    with pytest.raises(ChecksumError) as caught:
        fetch_dataset(spec, destination)
    message = str(caught.value)
    assert "4-2-A-1.flac" in message and "f" * 64 in message and "soxr" in message and "AUDIOML_DATA" in message
    assert not destination.exists() and list(destination.parent.iterdir()) == []


def test_a_changed_upstream_wav_is_refused_before_any_conversion(served, tmp_path: Path) -> None:
    spec, _, server = served
    (server.root / "4-1-A-0.wav").write_bytes(upstream_wav(7, loud=False))
    destination = tmp_path / "cache" / "datasets" / "esc50_fold4"
    with pytest.raises(ChecksumError, match=re.escape(f"{server.url}/4-1-A-0.wav")):
        fetch_dataset(spec, destination)
    assert not destination.exists()


def test_the_registry_downloads_each_clip_from_a_pinned_commit_under_200_mb() -> None:
    clips = esc50.clips()
    wavs = [r for r in SPEC.files if r.target.startswith("audio/")]
    assert SPEC.archive_url is None and len(wavs) == len(clips) == 329
    assert all(re.search(r"/[0-9a-f]{40}/audio/", r.url) and len(r.sha256 or "") == 64 for r in wavs)
    total = sum(r.size or 0 for r in SPEC.files)
    assert total == 329 * esc50.WAV_BYTES + 93742 and total < 150e6


@pytest.mark.data
def test_the_pins_are_the_offline_copys_and_the_clips_the_chapters_read(real_data: Path) -> None:
    """Every pinned FLAC hash is the offline file's, every WAV hash its original_sha256, and the 329
    clips are exactly those chapters 8 and 12 read: no ESC-10 recording among them, none left out."""
    manifest = pd.read_csv(real_data / "esc50_fold4" / "manifest.csv").set_index("original_filename")
    for clip in esc50.clips():
        row = manifest.loc[clip["filename"]]
        assert (row["sha256"], row["original_sha256"], int(row["bytes"])) == (
            clip["flac_sha256"],
            clip["wav_sha256"],
            int(clip["flac_bytes"]),
        )
    rows = [r for r in read_manifest(real_data / "esc50_fold4")]
    chosen = {f"audio/{Path(c['filename']).stem}.flac" for c in esc50.clips()} | {"meta/esc50.csv"}
    assert content_digest([r for r in rows if r["path"] in chosen], SPEC.digest_suffixes) == SPEC.download_digest
    esc10_recordings = set(loaders.load_esc10()["source_clip"])
    table = loaders.load_esc50_fold()
    read = {Path(p).name for p in table.loc[~table["source_clip"].isin(esc10_recordings), "path"]}
    assert read == {f"{Path(c['filename']).stem}.flac" for c in esc50.clips()}
