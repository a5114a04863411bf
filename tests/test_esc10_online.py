"""ESC-10 for a reader without a data root: the 400 upstream OGGs, one pinned file each.

The download runs against OGGs served on 127.0.0.1 under ESC-10's folder names (which hold
spaces); the pins are checked against the offline copy's manifest, whose files are the upstream
blobs byte for byte.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import sys
from pathlib import Path

import pytest
from conftest import Server

from audioml.data import loaders
from audioml.data.datasets import REGISTRY, RemoteFile, dataset_dir
from audioml.data.integrity import content_digest, read_manifest
from audioml.data.pinned import read_pinned

pytestmark = [pytest.mark.usefixtures("isolated_env"), pytest.mark.timeout(120)]
SPEC = REGISTRY["esc10"]


@pytest.fixture(autouse=True)
def _quiet_progress_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())


def test_the_registry_pins_every_clip_from_a_commit() -> None:
    assert SPEC.archive_url is None and len(SPEC.files) == 400
    assert all(re.search(r"/ESC-10/553c8f1743b9dba6b282e1323c3ca8fa76923448/\d{3}%20-%20", r.url) for r in SPEC.files)
    assert " " not in "".join(r.url for r in SPEC.files), "the folder names' spaces are quoted"
    assert sum(r.size or 0 for r in SPEC.files) == 41_493_576
    rows = [{"path": r.target, "sha256": r.sha256} for r in SPEC.files]
    assert content_digest(rows, SPEC.digest_suffixes) == SPEC.content_digest  # the offline copy's release


def test_a_download_keeps_the_folder_names_and_loads_as_the_offline_copy_does(server: Server, monkeypatch) -> None:
    clips = {"001 - Dog bark/1-100032-A.ogg": b"OggS dog", "002 - Rain/5-181766-A.ogg": b"OggS rain"}
    for path, data in clips.items():
        (server.root / path).parent.mkdir(parents=True, exist_ok=True)
        (server.root / path).write_bytes(data)
    files = tuple(
        RemoteFile(f"{server.url}/{p.replace(' ', '%20')}", f"audio/{p}", hashlib.sha256(d).hexdigest(), len(d))
        for p, d in clips.items()
    )
    rows = [{"path": f.target, "sha256": f.sha256} for f in files]
    spec = dataclasses.replace(SPEC, files=files, content_digest=content_digest(rows, SPEC.digest_suffixes))
    monkeypatch.setitem(REGISTRY, "esc10", spec)
    folder = dataset_dir("esc10")
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "audio/001 - Dog bark/1-100032-A.ogg",
        "audio/002 - Rain/5-181766-A.ogg",
        "manifest.csv",
    ]
    table = loaders.load_esc10()
    assert list(table["label"]) == ["Dog bark", "Rain"] and list(table["fold"]) == [1, 5]
    assert list(table["source_clip"]) == ["100032", "181766"] and list(table["is_dog"]) == [True, False]


@pytest.mark.data
def test_the_pins_are_the_offline_copys_files(real_data: Path) -> None:
    offline = {r["path"]: (r["sha256"], r["bytes"]) for r in read_manifest(real_data / "esc10")}
    pinned = {f"audio/{p['path']}": (p["sha256"], p["bytes"]) for p in read_pinned("esc10_clips.csv")}
    assert pinned == offline
