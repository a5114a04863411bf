"""The data layer on a small fixture folder: manifests, lazy verification, resolution and its errors."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import audioml.data.integrity as integrity
from audioml.data import datasets, download, loaders
from audioml.data.datasets import REGISTRY, dataset_dir
from audioml.data.integrity import MANIFEST, content_digest, read_manifest, verify_folder, write_manifest
from audioml.data.tables import STANDARD_COLUMNS
from audioml.dsp.audio import load_audio
from audioml.errors import AudioFileError, ChecksumError, DataNotFoundError

pytestmark = pytest.mark.usefixtures("isolated_env")

SHA256 = re.compile(r"\b[0-9a-f]{64}\b")


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flip_byte(path: Path, offset: int = -10) -> None:
    """Change one byte of ``path`` in place (the size stays the same)."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def counting_sha256(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the files that :mod:`audioml.data.integrity` hashes (the manifest itself excluded)."""
    hashed: list[str] = []
    original = integrity.sha256_file

    def counted(path):
        if Path(path).name != MANIFEST:
            hashed.append(str(path))
        return original(path)

    monkeypatch.setattr(integrity, "sha256_file", counted)
    return hashed


def pinned(folder: Path, name: str = "fsdd", **changes) -> datasets.DatasetSpec:
    """The registry's spec for ``name``, pinned to the fixture folder's content digest."""
    spec = REGISTRY[name]
    digest = content_digest(read_manifest(folder), spec.digest_suffixes)
    return dataclasses.replace(spec, content_digest=digest, **changes)


# --- manifests and verification ------------------------------------------------------------------


def test_manifest_lists_every_file_with_hash_and_size(fixture_folder: Path) -> None:
    rows = read_manifest(fixture_folder)
    assert [r["path"] for r in rows] == sorted(r["path"] for r in rows)
    assert len(rows) == 4
    for row in rows:
        path = fixture_folder / row["path"]
        assert int(row["bytes"]) == path.stat().st_size > 44
        assert row["sha256"] == integrity.sha256_file(path)
    assert not list(fixture_folder.glob("*.part"))


def test_content_digest_is_order_free_and_filters_by_suffix(fixture_folder: Path) -> None:
    rows = read_manifest(fixture_folder)
    assert content_digest(rows) == content_digest(list(reversed(rows)))
    assert content_digest(rows, (".wav",)) == content_digest(rows)
    assert content_digest(rows, (".ogg",)) != content_digest(rows)
    changed = [dict(rows[0], sha256="0" * 64), *rows[1:]]
    assert content_digest(changed) != content_digest(rows)


def test_clean_folder_verifies_and_leaves_a_stamp(fixture_folder: Path, tmp_path: Path) -> None:
    stamps = tmp_path / "stamps"
    verify_folder(fixture_folder, stamps, content_digest(read_manifest(fixture_folder)))
    [stamp] = stamps.glob("*.json")
    assert stamp.name.startswith(fixture_folder.name + "-")
    content = json.loads(stamp.read_text())
    assert (content["folder"], content["files"], len(content["stats"])) == (str(fixture_folder.resolve()), 4, 64)


def test_verification_is_lazy(fixture_folder: Path, tmp_path: Path, monkeypatch) -> None:
    hashed = counting_sha256(monkeypatch)
    verify_folder(fixture_folder, tmp_path / "stamps")
    assert len(hashed) == 4
    verify_folder(fixture_folder, tmp_path / "stamps")
    assert len(hashed) == 4, "the second verification must not hash the files again"
    # a stamp belongs to one folder: a copy elsewhere with the same name is hashed again
    copy = tmp_path / "elsewhere" / fixture_folder.name
    copy.parent.mkdir()
    os.rename(fixture_folder, copy)
    verify_folder(copy, tmp_path / "stamps")
    assert len(hashed) == 8


def test_lazy_verification_still_checks_sizes(fixture_folder: Path, tmp_path: Path) -> None:
    verify_folder(fixture_folder, tmp_path / "stamps")
    victim = fixture_folder / "recordings" / "2_bob_0.wav"
    victim.write_bytes(victim.read_bytes()[:-100])
    with pytest.raises(AudioFileError, match=re.escape(str(victim))):
        verify_folder(fixture_folder, tmp_path / "stamps")


def test_checksum_mismatch_names_file_and_both_hashes(fixture_folder: Path, tmp_path: Path) -> None:
    victim = fixture_folder / "recordings" / "1_alice_1.wav"
    expected = integrity.sha256_file(victim)
    flip_byte(victim)
    actual = integrity.sha256_file(victim)
    with pytest.raises(ChecksumError) as caught:
        verify_folder(fixture_folder, tmp_path / "stamps")
    message = str(caught.value)
    assert str(victim) in message
    assert f"expected sha256: {expected}" in message and f"actual sha256:   {actual}" in message
    assert "fix:" in message and str(fixture_folder) in message
    assert (caught.value.path, caught.value.expected, caught.value.actual) == (str(victim), expected, actual)
    assert not list((tmp_path / "stamps").glob("*.json")), "a failed verification must leave no stamp"


def test_truncated_file_is_reported_with_both_sizes(fixture_folder: Path, tmp_path: Path) -> None:
    victim = fixture_folder / "recordings" / "0_alice_0.wav"
    size = victim.stat().st_size
    victim.write_bytes(victim.read_bytes()[: size // 2])
    with pytest.raises(AudioFileError) as caught:
        verify_folder(fixture_folder, tmp_path / "stamps")
    message = str(caught.value)
    assert str(victim) in message and f"has {size // 2} bytes" in message and f"says {size}" in message


def test_empty_file_fails_verification_and_loading(fixture_folder: Path, tmp_path: Path) -> None:
    victim = fixture_folder / "recordings" / "3_bob_1.wav"
    victim.write_bytes(b"")
    with pytest.raises(AudioFileError, match=rf"{re.escape(str(victim))} has 0 bytes"):
        verify_folder(fixture_folder, tmp_path / "stamps")
    with pytest.raises(AudioFileError, match=rf"{re.escape(str(victim))}: the file is empty"):
        load_audio(victim)


def test_manifest_listing_a_missing_file(fixture_folder: Path, tmp_path: Path) -> None:
    victim = fixture_folder / "recordings" / "2_bob_0.wav"
    victim.unlink()
    with pytest.raises(AudioFileError) as caught:
        verify_folder(fixture_folder, tmp_path / "stamps")
    message = str(caught.value)
    assert str(victim) in message and "missing" in message and str(fixture_folder / MANIFEST) in message


def test_corrupt_file_with_a_matching_manifest_fails_on_load(fixture_folder: Path, tmp_path: Path) -> None:
    victim = fixture_folder / "recordings" / "0_alice_0.wav"
    victim.write_bytes(os.urandom(2000))
    write_manifest(fixture_folder, [r["path"] for r in read_manifest(fixture_folder)])
    verify_folder(fixture_folder, tmp_path / "stamps")  # the bytes are what the manifest says ...
    with pytest.raises(AudioFileError) as caught:  # ... but they are not audio
        load_audio(victim)
    assert str(victim) in str(caught.value) and "cannot be decoded" in str(caught.value)


def test_release_digest_mismatch_names_the_manifest(fixture_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(ChecksumError) as caught:
        verify_folder(fixture_folder, tmp_path / "stamps", expected_digest="f" * 64)
    message = str(caught.value)
    assert str(fixture_folder / MANIFEST) in message and "f" * 64 in message
    assert content_digest(read_manifest(fixture_folder)) in message and "different release" in message


# --- resolution: data root, cache, download ------------------------------------------------------


def test_data_root_comes_first_and_is_verified(make_fixture_folder, tmp_path, monkeypatch) -> None:
    in_root = make_fixture_folder("fsdd", parent=tmp_path / "root")
    in_cache = make_fixture_folder("fsdd", parent=tmp_path / "cache" / "datasets")
    monkeypatch.setitem(REGISTRY, "fsdd", pinned(in_root))
    monkeypatch.setattr(datasets, "fetch_dataset", lambda *a: pytest.fail("must not download"))
    assert dataset_dir("fsdd") == in_cache  # no data root: the cache
    monkeypatch.setenv("AUDIOML_DATA", str(tmp_path / "root"))
    assert dataset_dir("fsdd") == in_root
    assert list((tmp_path / "cache" / "verified").glob("fsdd-*.json"))


def test_data_root_without_the_dataset_falls_back_to_the_cache(make_fixture_folder, tmp_path, monkeypatch) -> None:
    (tmp_path / "root").mkdir()
    in_cache = make_fixture_folder("fsdd", parent=tmp_path / "cache" / "datasets")
    monkeypatch.setitem(REGISTRY, "fsdd", pinned(in_cache))
    monkeypatch.setenv("AUDIOML_DATA", str(tmp_path / "root"))
    assert dataset_dir("fsdd") == in_cache


def test_dataset_dir_hashes_once_per_folder(make_fixture_folder, tmp_path, monkeypatch) -> None:
    folder = make_fixture_folder("fsdd", parent=tmp_path / "root")
    monkeypatch.setitem(REGISTRY, "fsdd", pinned(folder))
    monkeypatch.setenv("AUDIOML_DATA", str(tmp_path / "root"))
    hashed = counting_sha256(monkeypatch)
    for _ in range(3):
        dataset_dir("fsdd")
    assert len(hashed) == 4


def test_a_different_release_in_the_data_root_is_refused(make_fixture_folder, tmp_path, monkeypatch) -> None:
    make_fixture_folder("fsdd", parent=tmp_path / "root")  # the registry pins the real FSDD release
    monkeypatch.setenv("AUDIOML_DATA", str(tmp_path / "root"))
    with pytest.raises(ChecksumError, match="different release"):
        dataset_dir("fsdd")


def test_offline_without_data_root_or_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUDIOML_OFFLINE", "1")
    monkeypatch.setattr(datasets, "fetch_dataset", lambda *a: pytest.fail("offline must not download"))
    with pytest.raises(DataNotFoundError) as caught:
        dataset_dir("fsdd")
    message = str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)
    assert "dataset 'fsdd' was not found and downloads are off (AUDIOML_OFFLINE=1)" in message
    assert f"  - {tmp_path / 'cache' / 'datasets' / 'fsdd'}" in message
    assert "set AUDIOML_DATA to a data root that holds fsdd/" in message
    assert REGISTRY["fsdd"].archive_url in message


def test_offline_message_lists_the_data_root_too(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "root").mkdir()
    monkeypatch.setenv("AUDIOML_DATA", str(tmp_path / "root"))
    monkeypatch.setenv("AUDIOML_OFFLINE", "1")
    with pytest.raises(DataNotFoundError) as caught:
        dataset_dir("esc10")
    searched = str(caught.value).split("Searched:\n", 1)[1].split("\nFix:", 1)[0].splitlines()
    assert searched == [f"  - {tmp_path / 'root' / 'esc10'}", f"  - {tmp_path / 'cache' / 'datasets' / 'esc10'}"]


@pytest.mark.timeout(30)
def test_failed_download_names_the_url(tmp_path: Path, monkeypatch) -> None:
    url = f"http://127.0.0.1:{closed_port()}/fsdd.zip"
    monkeypatch.setattr(download, "RETRY_WAIT_S", 0.0)
    monkeypatch.setitem(REGISTRY, "fsdd", dataclasses.replace(REGISTRY["fsdd"], archive_url=url))
    with pytest.raises(DataNotFoundError) as caught:
        dataset_dir("fsdd")
    message = str(caught.value)
    assert "dataset 'fsdd' was not found and the download failed (" in message
    assert "AUDIOML_DATA" in message and url in message
    assert str(tmp_path / "cache" / "datasets" / "fsdd") in message
    left = tmp_path / "cache" / "datasets"
    assert not left.exists() or list(left.iterdir()) == [], "a failed download must leave nothing behind"


def test_download_false_and_undownloadable(monkeypatch) -> None:
    monkeypatch.setattr(datasets, "fetch_dataset", lambda *a: pytest.fail("must not download"))
    with pytest.raises(DataNotFoundError, match="cannot be downloaded automatically"):
        dataset_dir("fsdd", download=False)
    with pytest.raises(DataNotFoundError, match="cannot be downloaded automatically") as caught:
        dataset_dir("librosa_examples")
    assert REGISTRY["librosa_examples"].source_url in str(caught.value)


@pytest.mark.parametrize("kind", ["file", "missing"])
def test_data_root_that_is_not_a_folder(kind: str, tmp_path: Path, monkeypatch) -> None:
    value = tmp_path / "data.zip"
    if kind == "file":
        value.write_bytes(b"not a folder")
    monkeypatch.setenv("AUDIOML_DATA", str(value))
    with pytest.raises(DataNotFoundError) as caught:
        dataset_dir("fsdd")
    message = str(caught.value)
    assert message.startswith(f"AUDIOML_DATA={value} is not a folder.")
    assert "../shared/data" in message and str(tmp_path / "cache") in message
    assert loaders.use_offline_librosa_examples() is None  # the import-time hook stays quiet


def test_unknown_dataset_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown dataset 'fsd'; known: fsdd, esc10"):
        dataset_dir("fsd")


# --- loaders on a fixture folder -----------------------------------------------------------------


def test_fsdd_loader_on_a_fixture(make_fixture_folder, tmp_path, monkeypatch) -> None:
    clips = {
        f"recordings/{d}_{s}_{t}.wav": ("sine", 8000, 0.1, 1)
        for d in (0, 7)
        for s in ("ann", "bob")
        for t in (0, 4, 5, 12)
    }
    folder = make_fixture_folder("fsdd", clips=clips, parent=tmp_path / "root")
    monkeypatch.setitem(REGISTRY, "fsdd", pinned(folder))
    monkeypatch.setenv("AUDIOML_DATA", str(tmp_path / "root"))
    frame = loaders.load_fsdd()
    assert list(frame.columns[:7]) == STANDARD_COLUMNS
    assert len(frame) == 16 and set(frame["speaker"]) == {"ann", "bob"} and set(frame["label"]) == {0, 7}
    assert frame["path"].map(lambda p: Path(p).is_absolute() and Path(p).is_file()).all()
    assert (frame["split"] == frame["take"].map(lambda t: "test" if t < 5 else "train")).all()
    row = frame[frame["path"].str.endswith("7_bob_12.wav")].iloc[0]
    assert (row["digit"], row["speaker"], row["take"], row["source_clip"]) == (7, "bob", 12, "7_bob_12")
    assert frame["fold"].isna().all()


def test_offline_message_as_a_reader_sees_it(tmp_path: Path) -> None:
    """Run a chapter's first line in a fresh interpreter, offline and without data; read stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIOML_")}
    env.update(AUDIOML_OFFLINE="1", AUDIOML_CACHE=str(tmp_path / "cache"))
    script = "from audioml.data.loaders import load_esc10\nload_esc10()\n"
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    tail = done.stderr[done.stderr.index("audioml.errors.DataNotFoundError") :]
    assert tail.splitlines()[0] == (
        "audioml.errors.DataNotFoundError: dataset 'esc10' was not found and downloads are off (AUDIOML_OFFLINE=1)."
    )
    assert f"  - {tmp_path / 'cache' / 'datasets' / 'esc10'}" in tail
    assert "Fix: set AUDIOML_DATA to a data root that holds esc10/ (offline copy)" in tail
    assert "so it can be downloaded from https://github.com/karolpiczak/ESC-10" in tail
    assert not SHA256.search(tail)
