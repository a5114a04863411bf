"""Downloads against a local HTTP server: archives (zip, tar.gz), single files, hashes, clean failures."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import Server

from audioml.data import datasets
from audioml.data.archives import extract_members
from audioml.data.datasets import (
    REGISTRY,
    DatasetSpec,
    RemoteFile,
    _after_marker,
    dataset_dir,
    fetch_dataset,
)
from audioml.data.download import download_file, sha256_file
from audioml.data.integrity import content_digest, read_manifest
from audioml.errors import ArchiveError, ChecksumError, DataNotFoundError, DownloadError

pytestmark = [pytest.mark.usefixtures("isolated_env"), pytest.mark.timeout(60)]

CLIPS = {
    "recordings/0_a_0.wav": ("sine", 8000, 0.2, 1),
    "recordings/1_a_3.wav": ("noise", 8000, 0.15, 1),
    "recordings/9_b_7.wav": ("sine", 16000, 0.1, 2),
}
JUNK = {
    "repo-abc/README.md": b"# upstream readme\n",
    "repo-abc/recordings/notes.txt": b"not audio\n",
    "repo-abc/utils/spectrogram.py": b"print('hi')\n",
}


@pytest.fixture(autouse=True)
def _quiet_progress_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the downloads' progress bars (tqdm writes to ``sys.stderr``) out of the output, even under ``-s``."""
    monkeypatch.setattr(sys, "stderr", io.StringIO())


@pytest.fixture
def clips(tmp_path: Path, write_wav) -> dict[str, bytes]:
    """The expected dataset files: relative path -> bytes."""
    files = {}
    for seed, (relative, (kind, sr, seconds, channels)) in enumerate(CLIPS.items()):
        files[relative] = write_wav(tmp_path / "clips" / relative, kind, sr, seconds, channels, seed).read_bytes()
    return files


def digest_of(files: dict[str, bytes]) -> str:
    rows = [{"path": p, "sha256": sha256_file_bytes(b)} for p, b in files.items()]
    return content_digest(rows, (".wav",))


def sha256_file_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def members(files: dict[str, bytes], extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Archive members as GitHub lays them out: ``repo-abc/recordings/...`` plus junk."""
    return {f"repo-abc/{p}": b for p, b in files.items()} | JUNK | (extra or {})


def write_zip(path: Path, content: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("repo-abc/", b"")  # a directory entry, skipped
        for name, data in content.items():
            bundle.writestr(name, data)
    return path


def write_tar_gz(path: Path, content: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as bundle:
        folder = tarfile.TarInfo("repo-abc")
        folder.type = tarfile.DIRTYPE
        bundle.addfile(folder)
        for name, data in content.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    return path


def toy_spec(url: str, digest: str | None, **changes) -> DatasetSpec:
    return DatasetSpec(
        name="toy",
        folder="toy",
        title="Toy digits",
        source_url="https://example.org/toy",
        license="CC0",
        citation="nobody",
        archive_url=url,
        archive_members=_after_marker("/recordings/", (".wav",), "recordings/"),
        content_digest=digest,
        digest_suffixes=(".wav",),
        **changes,
    )


def leftovers(folder: Path) -> list[Path]:
    """Temporary or partial files anywhere under ``folder``."""
    return [p for p in folder.rglob("*") if p.name.endswith(".part") or p.name.startswith(".")]


def assert_dataset(folder: Path, files: dict[str, bytes]) -> None:
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert on_disk == sorted([*files, "manifest.csv"])
    for relative, data in files.items():
        assert (folder / relative).read_bytes() == data
    rows = read_manifest(folder)
    assert [r["path"] for r in rows] == sorted(files)
    for row in rows:
        assert row["sha256"] == sha256_file(folder / row["path"])
        assert int(row["bytes"]) == len(files[row["path"]])


# --- archives ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_fetch_dataset_from_an_archive(kind: str, server: Server, clips, tmp_path: Path) -> None:
    name = f"repo.{kind}"
    (write_zip if kind == "zip" else write_tar_gz)(server.root / name, members(clips))
    destination = tmp_path / "cache" / "datasets" / "toy"
    assert fetch_dataset(toy_spec(f"{server.url}/{name}", digest_of(clips)), destination) == destination
    assert_dataset(destination, clips)
    assert list(destination.parent.iterdir()) == [destination], "the staging folder must be gone"
    assert server.requests == [f"/{name}"]


def test_dataset_dir_downloads_once_into_the_cache(server: Server, clips, tmp_path: Path, monkeypatch) -> None:
    write_zip(server.root / "repo.zip", members(clips))
    monkeypatch.setitem(REGISTRY, "toy", toy_spec(f"{server.url}/repo.zip", digest_of(clips)))
    folder = dataset_dir("toy")
    assert folder == tmp_path / "cache" / "datasets" / "toy"
    assert_dataset(folder, clips)
    assert dataset_dir("toy") == folder
    assert server.requests == ["/repo.zip"], "the second call must use the cache"


def test_offline_switch_stops_the_download(server: Server, clips, monkeypatch) -> None:
    write_zip(server.root / "repo.zip", members(clips))
    monkeypatch.setitem(REGISTRY, "toy", toy_spec(f"{server.url}/repo.zip", digest_of(clips)))
    monkeypatch.setenv("AUDIOML_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match=re.escape(f"{server.url}/repo.zip")):
        dataset_dir("toy")
    assert server.requests == []


def test_missing_archive_is_a_clear_data_not_found(server: Server, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(REGISTRY, "toy", toy_spec(f"{server.url}/gone.zip", "0" * 64))
    with pytest.raises(DataNotFoundError) as caught:
        dataset_dir("toy")
    message = str(caught.value)
    assert "the download failed (downloading " in message and "HTTP Error 404" in message
    assert f"{server.url}/gone.zip" in message and "received 0" in message
    assert not leftovers(tmp_path / "cache")


def test_wrong_content_digest_leaves_nothing(server: Server, clips, tmp_path: Path, monkeypatch) -> None:
    write_zip(server.root / "repo.zip", members(clips))
    monkeypatch.setitem(REGISTRY, "toy", toy_spec(f"{server.url}/repo.zip", "0" * 64))
    with pytest.raises(ChecksumError) as caught:
        dataset_dir("toy")
    assert caught.value.expected == "0" * 64 and caught.value.actual == digest_of(clips)
    datasets_folder = tmp_path / "cache" / "datasets"
    assert not (datasets_folder / "toy").exists()
    assert list(datasets_folder.iterdir()) == [], "no staging folder or partial file may be left"


def test_release_with_a_changed_file_is_refused(server: Server, clips, tmp_path: Path) -> None:
    changed = dict(clips, **{"recordings/1_a_3.wav": clips["recordings/1_a_3.wav"][:-2] + b"\x00\x01"})
    write_zip(server.root / "repo.zip", members(changed))
    destination = tmp_path / "cache" / "datasets" / "toy"
    with pytest.raises(ChecksumError):
        fetch_dataset(toy_spec(f"{server.url}/repo.zip", digest_of(clips)), destination)
    assert not destination.exists() and list(destination.parent.iterdir()) == []


def test_archive_without_the_files(server: Server, tmp_path: Path) -> None:
    write_zip(server.root / "repo.zip", JUNK)
    destination = tmp_path / "cache" / "datasets" / "toy"
    with pytest.raises(DataNotFoundError, match="holds none of the files of 'toy'"):
        fetch_dataset(toy_spec(f"{server.url}/repo.zip", "0" * 64), destination)
    assert not destination.exists() and list(destination.parent.iterdir()) == []


def test_existing_destination_is_replaced(server: Server, clips, tmp_path: Path) -> None:
    write_zip(server.root / "repo.zip", members(clips))
    destination = tmp_path / "cache" / "datasets" / "toy"
    (destination / "recordings").mkdir(parents=True)
    (destination / "recordings" / "stale.wav").write_bytes(b"old")
    fetch_dataset(toy_spec(f"{server.url}/repo.zip", digest_of(clips)), destination)
    assert_dataset(destination, clips)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_member_escaping_the_folder_is_refused(kind: str, server: Server, clips, tmp_path: Path) -> None:
    evil = {"repo-abc/recordings/../../../../evil.wav": b"RIFF....WAVE"}
    name = f"repo.{kind}"
    (write_zip if kind == "zip" else write_tar_gz)(server.root / name, members(clips, evil))
    destination = tmp_path / "cache" / "datasets" / "toy"
    with pytest.raises(ArchiveError, match="would be written outside"):
        fetch_dataset(toy_spec(f"{server.url}/{name}", "0" * 64), destination)
    assert not destination.exists() and list(destination.parent.iterdir()) == []
    assert not [p for p in tmp_path.rglob("evil.wav")]


def test_extract_members_refuses_absolute_and_self_paths(tmp_path: Path) -> None:
    archive = write_tar_gz(tmp_path / "a.tar.gz", {"/tmp/evil.wav": b"x"})
    with pytest.raises(ValueError, match="'/tmp/evil.wav' would be written outside"):
        extract_members(archive, tmp_path / "out", lambda m: m)
    archive = write_zip(tmp_path / "b.zip", {"repo-abc/x.wav": b"x"})
    with pytest.raises(ValueError, match="would be written outside"):
        extract_members(archive, tmp_path / "out", lambda m: ".")


def test_extract_members_renames_and_skips(clips, tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "a.zip", members(clips))
    written = extract_members(archive, tmp_path / "out", _after_marker("/recordings/", (".wav",), "recordings/"))
    assert sorted(str(p.relative_to((tmp_path / "out").resolve())) for p in written) == sorted(clips)


def test_extract_members_refuses_other_files(tmp_path: Path) -> None:
    (tmp_path / "a.rar").write_bytes(b"Rar!\x1a\x07\x00 not supported")
    with pytest.raises(ArchiveError, match="neither a zip nor a tar archive"):
        extract_members(tmp_path / "a.rar", tmp_path / "out", lambda m: m)


# --- single files --------------------------------------------------------------------------------


def test_download_file_checks_the_hash(server: Server, tmp_path: Path) -> None:
    data = b"0123456789" * 1000
    (server.root / "blob.bin").write_bytes(data)
    target = tmp_path / "dl" / "sub" / "blob.bin"
    assert download_file(f"{server.url}/blob.bin", target, sha256_file_bytes(data), progress=False) == target
    assert target.read_bytes() == data and not leftovers(tmp_path / "dl")


def test_download_file_wrong_hash_leaves_no_file(server: Server, tmp_path: Path) -> None:
    (server.root / "blob.bin").write_bytes(b"payload")
    target = tmp_path / "dl" / "blob.bin"
    with pytest.raises(ChecksumError) as caught:
        download_file(f"{server.url}/blob.bin", target, "a" * 64, progress=False)
    message = str(caught.value)
    assert f"{server.url}/blob.bin" in message and "a" * 64 in message
    assert sha256_file_bytes(b"payload") in message
    assert list((tmp_path / "dl").iterdir()) == [], "neither the file nor its .part may be left"


def test_download_file_http_error_leaves_no_file(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "dl" / "gone.bin"
    with pytest.raises(DownloadError, match=re.escape(f"downloading {server.url}/gone.bin failed: HTTP Error 404")):
        download_file(f"{server.url}/gone.bin", target, progress=False)
    assert list((tmp_path / "dl").iterdir()) == []


def test_remote_files_with_and_without_hashes(server: Server, clips, tmp_path: Path, monkeypatch) -> None:
    (server.root / "raw").mkdir()
    for relative, data in clips.items():
        (server.root / "raw" / Path(relative).name).write_bytes(data)
    remote = tuple(
        RemoteFile(f"{server.url}/raw/{Path(p).name}", p, sha256_file_bytes(b) if i else None)
        for i, (p, b) in enumerate(clips.items())
    )
    spec = dataclasses.replace(toy_spec(None, digest_of(clips)), files=remote, archive_members=None)
    monkeypatch.setitem(REGISTRY, "toy", spec)
    assert_dataset(dataset_dir("toy"), clips)
    assert len(server.requests) == 3


def test_remote_file_with_a_wrong_hash_leaves_nothing(server: Server, clips, tmp_path: Path) -> None:
    (server.root / "a.wav").write_bytes(clips["recordings/0_a_0.wav"])
    (server.root / "b.wav").write_bytes(clips["recordings/1_a_3.wav"])
    spec = dataclasses.replace(
        toy_spec(None, "0" * 64),
        archive_members=None,
        files=(
            RemoteFile(f"{server.url}/a.wav", "noise/a.wav", sha256_file_bytes(clips["recordings/0_a_0.wav"])),
            RemoteFile(f"{server.url}/b.wav", "noise/b.wav", "b" * 64),
        ),
    )
    destination = tmp_path / "cache" / "datasets" / "toy"
    with pytest.raises(ChecksumError, match=re.escape(f"{server.url}/b.wav")):
        fetch_dataset(spec, destination)
    assert not destination.exists() and list(destination.parent.iterdir()) == []


def test_registry_specs_are_downloadable_or_say_why() -> None:
    for spec in REGISTRY.values():
        assert spec.archive_url or spec.files or spec.notes, spec.name
        if spec.archive_url:
            assert callable(spec.archive_members), spec.name
        for remote in spec.files:
            assert remote.url.startswith("https://") and not Path(remote.target).is_absolute()
            assert re.fullmatch(r"[0-9a-f]{64}", remote.sha256 or ""), (spec.name, remote.url)
        urls = [spec.archive_url] if spec.archive_url else []
        for url in urls + [r.url for r in spec.files]:  # pinned to a commit, never a branch
            assert re.search(r"/[0-9a-f]{40}[/.]", url), url
            assert "refs/heads" not in url and "/master" not in url and "/main/" not in url, url
        if spec.archive_url:
            assert spec.archive_sha256 or spec.digests(), spec.name
    assert datasets.REGISTRY["fsdd"].archive_members("x-26eb/recordings/3_theo_49.wav") == "recordings/3_theo_49.wav"
