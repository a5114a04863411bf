"""The atomic writer: old or new file, never half; no temp file left; read-only refused."""

from __future__ import annotations

import errno
import os
import threading

import pytest

from audioml.atomic import atomic_file, write_bytes, write_text


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_writes_and_replaces(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    write_text(target, "old")
    write_text(target, "new")
    assert target.read_text() == "new"
    assert leftovers(target.parent) == []
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode


def test_error_keeps_old_file_and_removes_temp(tmp_path):
    target = tmp_path / "a.bin"
    write_bytes(target, b"old")
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write(b"half")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_disk_full_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "a.bin"
    write_bytes(target, b"old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space"):
        write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_read_only_target_refused(tmp_path):
    target = tmp_path / "a.txt"
    write_text(target, "old")
    target.chmod(0o444)
    with pytest.raises(PermissionError, match=r"a\.txt is read-only"):
        write_text(target, "new")
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_directory_target_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        write_text(tmp_path, "x")


def test_bad_mode_refused(tmp_path):
    with pytest.raises(ValueError, match="mode"), atomic_file(tmp_path / "a", "a"):
        pass


def test_threads_writing_one_target(tmp_path):
    target = tmp_path / "a.bin"
    payloads = [bytes([i]) * 100_000 for i in range(8)]
    errors = []

    def work(data):
        try:
            for _ in range(5):
                write_bytes(target, data)
        except Exception as error:  # noqa: BLE001 - collected for the assert
            errors.append(error)

    threads = [threading.Thread(target=work, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert target.read_bytes() in payloads
    assert leftovers(tmp_path) == []
