"""FSDKaggle2018's instruments for a reader without a data root: the 300 upstream WAVs, one pinned file each.

The download runs against WAVs served on 127.0.0.1; the pins and the labels are checked against
the offline copy's manifest, and the loader must give the same table from either copy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import Server

from audioml.data import loaders
from audioml.data.datasets import REGISTRY, RemoteFile, dataset_dir, fetch_dataset
from audioml.data.integrity import content_digest, read_manifest
from audioml.data.pinned import read_pinned
from audioml.errors import ChecksumError

pytestmark = [pytest.mark.usefixtures("isolated_env"), pytest.mark.timeout(120)]
SPEC = REGISTRY["fsd_instruments"]
PINS = "fsd_instruments_clips.csv"


@pytest.fixture(autouse=True)
def _quiet_progress_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())


def wav(seed: int) -> bytes:
    handle = io.BytesIO()
    sf.write(handle, np.random.default_rng(seed).uniform(-0.5, 0.5, 4410), 44100, format="WAV", subtype="PCM_16")
    return handle.getvalue()


@pytest.fixture
def served(server: Server):
    """Two upstream WAVs (one in the Hi_hat folder, whose label is Hi-hat) and a spec pointing at them."""
    files = {"wavfiles/Cello/aaaa0001.wav": wav(0), "wavfiles/Hi_hat/bbbb0002.wav": wav(1)}
    for target, data in files.items():
        (server.root / target).parent.mkdir(parents=True, exist_ok=True)
        (server.root / target).write_bytes(data)
    rows = [{"path": t, "sha256": hashlib.sha256(d).hexdigest()} for t, d in files.items()]
    spec = dataclasses.replace(
        SPEC,
        files=tuple(RemoteFile(f"{server.url}/{t}", t, r["sha256"], len(files[t])) for t, r in zip(files, rows)),
        content_digest=None,
        download_digest=content_digest(rows, SPEC.digest_suffixes),
    )
    return spec, files, server


def test_the_download_is_the_pinned_wavs_and_only_them(served, monkeypatch) -> None:
    spec, files, server = served
    monkeypatch.setitem(REGISTRY, "fsd_instruments", spec)
    folder = dataset_dir("fsd_instruments")
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert on_disk == ["manifest.csv", *files]
    assert all((folder / t).read_bytes() == d for t, d in files.items())
    assert sorted(server.requests) == [f"/{t}" for t in files]
    assert dataset_dir("fsd_instruments") == folder and len(server.requests) == 2  # verified, not fetched again


def test_a_changed_upstream_wav_is_refused_and_nothing_is_kept(served, tmp_path: Path) -> None:
    spec, _, server = served
    (server.root / "wavfiles/Cello/aaaa0001.wav").write_bytes(wav(7))
    destination = tmp_path / "cache" / "datasets" / "fsd_instruments"
    with pytest.raises(ChecksumError, match=re.escape(f"{server.url}/wavfiles/Cello/aaaa0001.wav")):
        fetch_dataset(spec, destination)
    assert not destination.exists()


def test_the_pin_table_labels_every_clip_and_pins_the_release() -> None:
    pins = read_pinned(PINS)
    assert len(pins) == 300 and len({p["wav_path"] for p in pins}) == 300
    assert {p["label"] for p in pins} >= {"Hi-hat", "Violin_or_fiddle"} and len({p["label"] for p in pins}) == 10
    assert {p["license"] for p in pins} == {"CC BY", "CC0 1.0"}
    rows = [{"path": p["wav_path"], "sha256": p["wav_sha256"]} for p in pins]
    assert content_digest(rows, SPEC.digest_suffixes) == SPEC.download_digest


@pytest.mark.data
def test_the_pins_are_the_offline_copys_and_both_copies_give_one_table(real_data: Path, monkeypatch) -> None:
    offline = {r["original_path"]: r for r in read_manifest(real_data / "fsd_instruments")}
    for pin in read_pinned(PINS):
        row = offline[pin["wav_path"]]
        assert (pin["wav_sha256"], pin["wav_bytes"], pin["label"], pin["freesound_id"], pin["license"]) == (
            row["original_sha256"], row["original_bytes"], row["label"], row["freesound_id"], row["license"],
        )  # fmt: skip
    from_flacs = loaders.load_fsd_instruments()
    downloaded = [
        {"path": p["wav_path"], "sha256": p["wav_sha256"], "bytes": p["wav_bytes"]} for p in read_pinned(PINS)
    ]
    monkeypatch.setattr(loaders, "read_manifest", lambda folder: downloaded)
    from_wavs = loaders.load_fsd_instruments()
    assert from_flacs.drop(columns="path").equals(from_wavs.drop(columns="path"))
    assert [Path(p).stem for p in from_flacs["path"]] == [Path(p).stem for p in from_wavs["path"]]
