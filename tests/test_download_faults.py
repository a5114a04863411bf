"""Fault injection for downloads and the dataset cache: a misbehaving server on 127.0.0.1.

Each case must end in a clear error (naming the URL or file, the bytes, the fix) or be
handled correctly, and must leave the cache clean: no ``.part``, no staging folder,
no half-installed dataset.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultserver import (
    FaultServer,
    fault_server,
    sha256,
    tar_bytes,
    zip_bytes,
    zip_symlink_bytes,
)

from audioml.data import datasets, download, fetch, integrity
from audioml.data.archives import extract_members
from audioml.data.datasets import (
    REGISTRY,
    DatasetSpec,
    RemoteFile,
    _after_marker,
    dataset_dir,
    fetch_dataset,
)
from audioml.data.download import download_file
from audioml.data.integrity import MANIFEST, content_digest, read_manifest, verify_folder
from audioml.errors import (
    ArchiveError,
    AudioFileError,
    ChecksumError,
    DataNotFoundError,
    DownloadError,
    ParameterError,
    UnknownNameError,
)

pytestmark = [pytest.mark.usefixtures("isolated_env"), pytest.mark.timeout(60)]

FILES = {"recordings/0_a_0.wav": b"RIFF" + os.urandom(3000), "recordings/1_b_2.wav": b"RIFF" + os.urandom(5000)}
DIGEST = content_digest([{"path": p, "sha256": sha256(b)} for p, b in FILES.items()], (".wav",))
MEMBERS = {f"repo-abc/{p}": b for p, b in FILES.items()} | {"repo-abc/README.md": b"readme"}


@pytest.fixture(autouse=True)
def _fast_and_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(download, "RETRY_WAIT_S", 0.0)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # progress bars


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as running:
        yield running


def toy(url: str | None, digest: str | None = DIGEST, **changes) -> DatasetSpec:
    fields = {"archive_members": _after_marker("/recordings/", (".wav",), "recordings/")} | changes
    return DatasetSpec(
        name="toy",
        folder="toy",
        title="toy",
        source_url="https://example.org/toy",
        license="CC0",
        citation="-",
        archive_url=url,
        content_digest=digest,
        digest_suffixes=(".wav",),
        **fields,
    )


def left_behind(folder: Path) -> list[str]:
    """Everything a failed or finished fetch may not leave: temp files, staging folders, stray files."""
    if not folder.exists():
        return []
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.endswith((".part", ".tmp", ".old")) or ".tmp" in str(p) or p.name == "archive"
    )


def assert_installed(folder: Path) -> None:
    assert {r["path"]: r["sha256"] for r in read_manifest(folder)} == {p: sha256(b) for p, b in FILES.items()}
    for relative, data in FILES.items():
        assert (folder / relative).read_bytes() == data


def cache(isolated_env: Path) -> Path:
    return isolated_env / "datasets"


# --- single files ----------------------------------------------------------------------------------


def test_good_file(server: FaultServer, tmp_path: Path) -> None:
    data = os.urandom(50_000)
    url = server.add("f.bin", data)
    assert download_file(url, tmp_path / "d" / "f.bin", sha256(data), size=len(data)).read_bytes() == data
    assert os.listdir(tmp_path / "d") == ["f.bin"]


def test_truncated_every_time_is_refused_with_both_counts(server: FaultServer, tmp_path: Path) -> None:
    data = os.urandom(40_000)
    url = server.add("f.bin", data, cut_at=15_000)
    with pytest.raises(DownloadError) as caught:
        download_file(url, tmp_path / "d" / "f.bin")  # no hash given: the length alone must catch it
    message = str(caught.value)
    assert url in message and "received 15000 of 40000 bytes" in message and "Fix:" in message
    assert server.routes["/f.bin"].hits == download.ATTEMPTS
    assert os.listdir(tmp_path / "d") == []


def test_truncated_once_restarts_cleanly(server: FaultServer, tmp_path: Path) -> None:
    data = os.urandom(40_000)
    url = server.add("f.bin", data, cut_at=10_000, cut_first=1)
    assert download_file(url, tmp_path / "f.bin", sha256(data)).read_bytes() == data
    assert server.routes["/f.bin"].hits == 2 and sorted(os.listdir(tmp_path)) == ["f.bin"]


def test_truncated_without_content_length_is_caught_by_the_pinned_size(server: FaultServer, tmp_path: Path) -> None:
    data = os.urandom(30_000)
    url = server.add("f.bin", data, length=None, cut_at=12_000)
    with pytest.raises(DownloadError, match=r"received 12000 of 30000 bytes"):
        download_file(url, tmp_path / "f.bin", size=len(data))
    assert os.listdir(tmp_path) == []


def test_empty_file(server: FaultServer, tmp_path: Path) -> None:
    url = server.add("empty.bin", b"")
    with pytest.raises(DownloadError, match=re.escape(url) + ".*empty file.*expected 0 bytes, received 0"):
        download_file(url, tmp_path / "e.bin")
    assert os.listdir(tmp_path) == []


def test_wrong_hash_names_url_hashes_and_bytes(server: FaultServer, tmp_path: Path) -> None:
    data = b"payload" * 100
    url = server.add("f.bin", data)
    with pytest.raises(ChecksumError) as caught:
        download_file(url, tmp_path / "f.bin", "a" * 64)
    message = str(caught.value)
    assert url in message and "a" * 64 in message and sha256(data) in message and "received 700 bytes" in message
    assert os.listdir(tmp_path) == []


def test_oversized_announced_is_refused_before_the_body(server: FaultServer, tmp_path: Path) -> None:
    url = server.add("big.bin", os.urandom(20_000))
    with pytest.raises(DownloadError, match=r"larger than the cap of 10000 bytes; expected 20000 bytes, received 0"):
        download_file(url, tmp_path / "big.bin", max_bytes=10_000)
    assert os.listdir(tmp_path) == []


def test_oversized_unannounced_is_stopped_at_the_cap(server: FaultServer, tmp_path: Path) -> None:
    url = server.add("big.bin", os.urandom(3 << 20), length=None)
    with pytest.raises(DownloadError, match=r"more bytes than announced or allowed \(cap 1000000\)"):
        download_file(url, tmp_path / "big.bin", max_bytes=1_000_000)
    assert os.listdir(tmp_path) == []


def test_length_other_than_the_pinned_size(server: FaultServer, tmp_path: Path) -> None:
    url = server.add("f.bin", os.urandom(1000))
    with pytest.raises(DownloadError, match=r"announces 1000 bytes, the registry pins 999"):
        download_file(url, tmp_path / "f.bin", size=999)


def test_server_error_is_retried_and_not_found_is_not(server: FaultServer, tmp_path: Path) -> None:
    data = os.urandom(1000)
    url = server.add("f.bin", data, fail_first=2)
    assert download_file(url, tmp_path / "f.bin", sha256(data)).read_bytes() == data
    assert server.routes["/f.bin"].hits == 3
    with pytest.raises(DownloadError, match=re.escape(f"{server.url}/gone failed: HTTP Error 404")):
        download_file(f"{server.url}/gone", tmp_path / "gone")
    assert server.log.count("/gone") == 1


def test_a_killed_downloads_part_is_removed_next_time(server: FaultServer, tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
        ).stdout.strip()
        (tmp_path / f".f.bin.x1y2.{dead}.part").write_bytes(b"half")
        (tmp_path / f".f.bin.z3.{sleeper.pid}.part").write_bytes(b"still being written")
        data = os.urandom(100)
        download_file(server.add("f.bin", data), tmp_path / "f.bin", sha256(data))
        assert sorted(os.listdir(tmp_path)) == [f".f.bin.z3.{sleeper.pid}.part", "f.bin"]
    finally:
        sleeper.kill()
        sleeper.wait()


# --- archives --------------------------------------------------------------------------------------


def fetch_fails(server: FaultServer, spec: DatasetSpec, isolated_env: Path, error: type, pattern: str) -> str:
    destination = cache(isolated_env) / "toy"
    with pytest.raises(error, match=pattern) as caught:
        fetch_dataset(spec, destination)
    assert not destination.exists() and os.listdir(destination.parent) == []
    return str(caught.value)


def test_good_archive_and_a_verified_folder_is_reused(server: FaultServer, isolated_env: Path) -> None:
    spec = toy(server.add("a.zip", zip_bytes(MEMBERS)))
    destination = cache(isolated_env) / "toy"
    assert fetch_dataset(spec, destination) == destination
    assert_installed(destination)
    assert fetch_dataset(spec, destination) == destination and server.log == ["/a.zip"]
    assert os.listdir(destination.parent) == ["toy"]


def test_wrong_archive_hash_is_refused_before_unpacking(server: FaultServer, isolated_env: Path, monkeypatch) -> None:
    spec = toy(server.add("a.zip", zip_bytes(MEMBERS)), archive_sha256="c" * 64)
    monkeypatch.setattr(fetch, "extract_members", lambda *a, **k: pytest.fail("unpacked an unverified archive"))
    message = fetch_fails(server, spec, isolated_env, ChecksumError, "c" * 64)
    assert f"{server.url}/a.zip" in message


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_bomb_is_stopped_by_the_expansion_ratio(kind: str, server: FaultServer, isolated_env: Path) -> None:
    zeros = {"repo-abc/recordings/bomb.wav": bytes(20 << 20)}
    body = zip_bytes(zeros, compress=True) if kind == "zip" else tar_bytes(zeros)
    assert len(body) < 100_000
    message = fetch_fails(
        server,
        toy(server.add(f"b.{kind}", body)),
        isolated_env,
        ArchiveError,
        "more than .* bytes from a .*-byte archive",
    )
    assert f"{server.url}/b.{kind}" in message and "bomb" in message


def test_total_size_caps_the_download_and_the_unpacking(
    server: FaultServer, isolated_env: Path, tmp_path: Path
) -> None:
    body = zip_bytes(MEMBERS)
    spec = toy(server.add("a.zip", body), max_bytes=6000)
    fetch_fails(server, spec, isolated_env, DownloadError, f"cap of 6000 bytes; expected {len(body)} bytes")
    (tmp_path / "a.zip").write_bytes(body)
    with pytest.raises(ArchiveError, match=r"cap: 6000 bytes"):
        extract_members(tmp_path / "a.zip", tmp_path / "out", lambda m: m, max_bytes=6000)


@pytest.mark.parametrize("name", ["repo-abc/recordings/../../../../evil.wav", "/tmp/recordings/evil.wav"])
@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_members_outside_the_folder(kind: str, name: str, server: FaultServer, isolated_env: Path) -> None:
    members = MEMBERS | {name: b"evil"}
    body = zip_bytes(members) if kind == "zip" else tar_bytes(members)
    spec = toy(server.add(f"t.{kind}", body), archive_members=lambda m: m if "evil" in m else None)
    fetch_fails(server, spec, isolated_env, ArchiveError, "would be written outside")
    assert not list(Path("/tmp").glob("recordings/evil.wav")) and not list(isolated_env.parent.rglob("evil.wav"))


@pytest.mark.parametrize("kind", ["sym", "hard"])
def test_tar_links_are_refused(kind: str, server: FaultServer, isolated_env: Path) -> None:
    body = tar_bytes(MEMBERS, links={"repo-abc/recordings/link.wav": (kind, b"/etc/passwd")})
    fetch_fails(server, toy(server.add("l.tar.gz", body)), isolated_env, ArchiveError, "is a link or special file")


def test_zip_symlink_is_refused(server: FaultServer, isolated_env: Path) -> None:
    body = zip_symlink_bytes("repo-abc/recordings/link.wav", "/etc/passwd")
    fetch_fails(server, toy(server.add("l.zip", body)), isolated_env, ArchiveError, "is a link or special file")


def test_symlinked_folder_cannot_redirect_later_members(
    server: FaultServer, isolated_env: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    body = tar_bytes(MEMBERS, links={"repo-abc/recordings": ("sym", str(outside).encode())})
    spec = toy(server.add("s.tar.gz", body))
    assert_installed(fetch_dataset(spec, cache(isolated_env) / "toy"))  # the link is skipped, not followed
    assert os.listdir(outside) == []


def test_member_named_twice(server: FaultServer, isolated_env: Path) -> None:
    body = zip_bytes(MEMBERS | {"other/recordings/0_a_0.wav": b"RIFF-other"})
    fetch_fails(server, toy(server.add("d.zip", body)), isolated_env, ArchiveError, "two members unpack to")


def test_an_error_page_instead_of_an_archive(server: FaultServer, isolated_env: Path) -> None:
    url = server.add("a.zip", b"<html>rate limited</html>")
    message = fetch_fails(server, toy(url), isolated_env, ArchiveError, "neither a zip nor a tar archive")
    assert url in message and "(25 bytes)" in message


def test_damaged_archive(server: FaultServer, isolated_env: Path) -> None:
    body = tar_bytes(MEMBERS)[:4000]  # complete on the wire, but the gzip stream breaks off (damaged upstream)
    url = server.add("a.tar.gz", body)
    message = fetch_fails(server, toy(url), isolated_env, ArchiveError, "the archive is damaged")
    assert url in message


def test_truncated_archive_through_dataset_dir(server: FaultServer, isolated_env: Path, monkeypatch) -> None:
    body = zip_bytes(MEMBERS)
    url = server.add("a.zip", body, cut_at=len(body) // 3)
    monkeypatch.setitem(REGISTRY, "toy", toy(url))
    with pytest.raises(DataNotFoundError) as caught:
        dataset_dir("toy")
    message = str(caught.value)
    assert url in message and f"received {len(body) // 3} of {len(body)} bytes" in message
    assert "Fix: set AUDIOML_DATA" in message
    assert os.listdir(cache(isolated_env)) == []


def test_unpinned_download_is_refused(server: FaultServer, isolated_env: Path) -> None:
    url = server.add("a.zip", zip_bytes(MEMBERS))
    with pytest.raises(ParameterError, match=re.escape(url) + ".*pins no SHA-256"):
        fetch_dataset(toy(url, digest=None), cache(isolated_env) / "toy")
    assert server.log == []


# --- the cache: stamps, manifests, leftovers -----------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'{"folder": 3}'])
def test_corrupt_stamp_is_ignored_and_rewritten(
    content: bytes, fixture_folder: Path, tmp_path: Path, monkeypatch
) -> None:
    stamps = tmp_path / "stamps"
    verify_folder(fixture_folder, stamps)
    [stamp] = stamps.iterdir()
    stamp.write_bytes(content)
    hashed = []
    monkeypatch.setattr(integrity, "sha256_file", lambda p: hashed.append(p) or download.sha256_file(p))
    verify_folder(fixture_folder, stamps)
    assert len(hashed) == 1 + len(read_manifest(fixture_folder))  # manifest + every file, again
    assert stamp.read_text().startswith('{"folder": ')


@pytest.mark.parametrize("damage", ["garbage", "binary", "no sha256 column", "bad size", "path escapes"])
def test_corrupt_manifest_in_the_cache(damage: str, server: FaultServer, isolated_env: Path, monkeypatch) -> None:
    monkeypatch.setitem(REGISTRY, "toy", toy(server.add("a.zip", zip_bytes(MEMBERS))))
    folder = dataset_dir("toy")
    manifest = folder / MANIFEST
    text = manifest.read_bytes().decode()
    manifest.write_bytes(
        {
            "garbage": b"<<<>>>\n\x00",
            "binary": b"\xff\xfe\xfa" * 20,
            "no sha256 column": text.replace("sha256", "digest").encode(),
            "bad size": re.sub(r",(\d+)\r\n", r",12x\r\n", text).encode(),
            "path escapes": text.replace("recordings/0_a_0.wav", "../../0_a_0.wav").encode(),
        }[damage]
    )
    with pytest.raises(AudioFileError, match=re.escape(str(manifest))):
        read_manifest(folder)
    monkeypatch.setenv("AUDIOML_OFFLINE", "1")
    with pytest.raises(AudioFileError, match=re.escape(str(manifest))):  # offline: say so, touch nothing
        dataset_dir("toy")
    monkeypatch.setenv("AUDIOML_OFFLINE", "0")
    with pytest.warns(UserWarning, match="is damaged and is downloaded again"):  # online: heal the cache
        assert dataset_dir("toy") == folder
    assert_installed(folder)
    assert server.log == ["/a.zip", "/a.zip"] and left_behind(cache(isolated_env)) == []


def test_truncated_file_in_the_cache_is_downloaded_again(server: FaultServer, isolated_env: Path, monkeypatch) -> None:
    monkeypatch.setitem(REGISTRY, "toy", toy(server.add("a.zip", zip_bytes(MEMBERS))))
    folder = dataset_dir("toy")
    victim = folder / "recordings" / "1_b_2.wav"
    victim.write_bytes(victim.read_bytes()[:100])
    with pytest.warns(UserWarning, match=re.escape(str(victim)) + " has 100 bytes"):
        dataset_dir("toy")
    assert_installed(folder)


def test_leftovers_of_a_killed_fetch_are_removed(server: FaultServer, isolated_env: Path, monkeypatch) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    parent = cache(isolated_env)
    (parent / f".toy.k1ll.{dead}.tmp" / "staging" / "recordings").mkdir(parents=True)
    (parent / f".toy.k1ll.{dead}.tmp" / "staging" / "recordings" / "0_a_0.wav").write_bytes(b"RIFF-half")
    (parent / f".toy.k1ll.{dead}.tmp" / f".archive.x.{dead}.part").write_bytes(b"PK-half")
    (parent / f".toy.k2.{dead}.old").mkdir()
    monkeypatch.setitem(REGISTRY, "toy", toy(server.add("a.zip", zip_bytes(MEMBERS))))
    assert_installed(dataset_dir("toy"))
    assert os.listdir(parent) == ["toy"]


def test_offline_copy_is_checked_against_the_registry_pins(make_fixture_folder, tmp_path: Path, monkeypatch) -> None:
    folder = make_fixture_folder("toy", parent=tmp_path / "root")
    rows = read_manifest(folder)
    good = {r["path"]: r for r in rows}
    files = tuple(RemoteFile(f"https://example.org/{p}", p, r["sha256"], int(r["bytes"])) for p, r in good.items())
    monkeypatch.setenv("AUDIOML_DATA", str(tmp_path / "root"))
    monkeypatch.setitem(REGISTRY, "toy", dataclasses.replace(toy(None, None), files=files))
    assert dataset_dir("toy") == folder
    victim = rows[0]["path"]
    (folder / victim).write_bytes(b"RIFF" + os.urandom(int(good[victim]["bytes"]) - 4))  # same size ...
    integrity.write_manifest(folder, list(good))  # ... and a manifest that agrees with the new bytes
    with pytest.raises(ChecksumError) as caught:
        dataset_dir("toy")
    assert str(folder / victim) in str(caught.value) and good[victim]["sha256"] in str(caught.value)
    assert (folder / victim).exists(), "the data root is never modified"


def test_unknown_dataset_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError) as caught:
        dataset_dir("fssd")
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, ValueError)
    assert str(caught.value) == f"unknown dataset 'fssd'; known: {', '.join(datasets.REGISTRY)}"


# --- local faults ----------------------------------------------------------------------------------


def test_disk_full_is_not_retried_and_says_so(server: FaultServer, tmp_path: Path, monkeypatch) -> None:
    url = server.add("f.bin", os.urandom(1000))
    calls = []

    def full(*args, **kwargs):
        calls.append(1)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(download, "_stream", full)
    with pytest.raises(DownloadError, match=re.escape(url) + r".*No space left.*Fix: free space in"):
        download_file(url, tmp_path / "d" / "f.bin")
    assert calls == [1] and os.listdir(tmp_path / "d") == []


def test_destination_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        download_file("http://127.0.0.1:9/x", tmp_path)


def test_too_many_members(tmp_path: Path) -> None:
    (tmp_path / "a.zip").write_bytes(zip_bytes({f"m/{i}.wav": b"" for i in range(10)}))
    with pytest.raises(ArchiveError, match="more than 5 files to unpack"):
        extract_members(tmp_path / "a.zip", tmp_path / "out", lambda m: m, max_members=5)


def test_unwritable_stamp_only_warns(fixture_folder: Path, tmp_path: Path, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(integrity, "write_text", refuse)
    with pytest.warns(UserWarning, match="could not be written"):
        verify_folder(fixture_folder, tmp_path / "stamps")


def test_a_file_rewritten_in_place_is_hashed_again(fixture_folder: Path, tmp_path: Path) -> None:
    verify_folder(fixture_folder, tmp_path / "stamps")
    victim = fixture_folder / read_manifest(fixture_folder)[0]["path"]
    data = bytearray(victim.read_bytes())
    data[-5] ^= 0xFF
    before = victim.stat().st_mtime_ns
    victim.write_bytes(bytes(data))  # same size, new content
    os.utime(victim, ns=(before + 2_000_000_000, before + 2_000_000_000))  # as an edit a moment later would
    with pytest.raises(ChecksumError, match=re.escape(str(victim))):
        verify_folder(fixture_folder, tmp_path / "stamps")


def test_a_manifest_without_rows(fixture_folder: Path) -> None:
    (fixture_folder / MANIFEST).write_text("path,sha256,bytes\n")
    with pytest.raises(AudioFileError, match="lists no files"):
        read_manifest(fixture_folder)
