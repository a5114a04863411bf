"""Manifests (path, sha256, bytes) and lazy verification of dataset folders.

Hashing 3000 files on every import would be slow, so :func:`verify_folder` checks
every file's size on each call (cheap, catches truncation) and every SHA-256 once,
recording success in a stamp file keyed by the manifest's own hash.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path

from audioml.download import sha256_file
from audioml.errors import AudioFileError, ChecksumError

MANIFEST = "manifest.csv"


def read_manifest(folder: str | os.PathLike) -> list[dict[str, str]]:
    """Rows of ``folder/manifest.csv`` as dicts (at least path, sha256, bytes)."""
    with open(Path(folder) / MANIFEST, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_manifest(folder: str | os.PathLike, relative_paths: list[str]) -> Path:
    """Hash the given files of ``folder`` and write its manifest atomically."""
    folder = Path(folder)
    rows = [{"path": p, "sha256": sha256_file(folder / p), "bytes": (folder / p).stat().st_size}
            for p in sorted(relative_paths)]
    partial = folder / (MANIFEST + ".part")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "sha256", "bytes"])
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, folder / MANIFEST)
    return folder / MANIFEST


def content_digest(rows: list[dict[str, str]], suffixes: tuple[str, ...] = ()) -> str:
    """One SHA-256 over the sorted (path, sha256) pairs of a manifest.

    It identifies a release: the same files under the same names give the same
    digest whether they came from the offline data root or from a fresh download.
    """
    chosen = [r for r in rows if not suffixes or r["path"].endswith(suffixes)]
    lines = "".join(f"{r['path']}\t{r['sha256']}\n" for r in sorted(chosen, key=lambda r: r["path"]))
    return hashlib.sha256(lines.encode()).hexdigest()


def verify_folder(folder: str | os.PathLike, stamp_dir: str | os.PathLike,
                  expected_digest: str | None = None, suffixes: tuple[str, ...] = ()) -> None:
    """Check ``folder`` against its manifest: sizes always, SHA-256 once per manifest.

    Raises :class:`ChecksumError` (both hashes shown) or :class:`AudioFileError`
    (missing or truncated file), naming the file and what to do about it.
    """
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    rows = read_manifest(folder)
    fix = f"restore the file from the upstream release, or delete {folder} to download it again"
    if expected_digest is not None:
        actual = content_digest(rows, suffixes)
        if actual != expected_digest:
            raise ChecksumError(str(manifest_path), expected_digest, actual,
                                fix="this folder holds a different release of the dataset; " + fix)
    for row in rows:
        path = folder / row["path"]
        if not path.is_file():
            raise AudioFileError(f"{path} is listed in {manifest_path} but missing; {fix}")
        size = path.stat().st_size
        if size != int(row["bytes"]):
            raise AudioFileError(f"{path} has {size} bytes, its manifest says {row['bytes']}; {fix}")
    stamp = Path(stamp_dir) / f"{folder.name}-{sha256_file(manifest_path)[:16]}.json"
    if stamp.is_file() and json.loads(stamp.read_text()).get("folder") == str(folder.resolve()):
        return
    for row in rows:
        actual = sha256_file(folder / row["path"])
        if actual != row["sha256"]:
            raise ChecksumError(str(folder / row["path"]), row["sha256"], actual, fix=fix)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"folder": str(folder.resolve()), "files": len(rows)}))
