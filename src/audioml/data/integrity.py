"""Manifests (path, sha256, bytes) and lazy verification of dataset folders (every chapter).

Hashing 3000 files on every import would be slow, so :func:`verify_folder` checks
every file's size on each call (cheap, catches truncation) and every SHA-256 once,
recording success in a stamp file keyed by the manifest's own hash, the folder and every
file's size, mtime and inode (a file rewritten in place is hashed again). A stamp that cannot
be read is ignored (the files are hashed again); stamps and manifests are written atomically.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import warnings
from pathlib import Path

from audioml.atomic import write_text
from audioml.data.download import sha256_file
from audioml.errors import AudioFileError, ChecksumError

MANIFEST = "manifest.csv"
_COLUMNS = ("path", "sha256", "bytes")


def read_manifest(folder: str | os.PathLike) -> list[dict[str, str]]:
    """Rows of ``folder/manifest.csv`` as dicts (at least path, sha256, bytes).

    Raises :class:`~audioml.errors.AudioFileError` naming the manifest when it is unreadable or malformed.
    """
    path = Path(folder) / MANIFEST
    fix = f"restore it from the release, or delete {Path(folder)} (a cached copy is then downloaded again)"
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (UnicodeDecodeError, csv.Error) as error:
        raise AudioFileError(f"{path} is not a readable manifest ({error}); {fix}") from error
    if not rows:
        raise AudioFileError(f"{path} lists no files; {fix}")
    for number, row in enumerate(rows, start=2):
        values = [row.get(c) or "" for c in _COLUMNS]
        if not values[2].isdigit() or len(values[1]) != 64 or not values[0]:
            raise AudioFileError(
                f"{path}, line {number}: expected the columns path, sha256 (64 hex digits) "
                f"and bytes (an integer), got {dict(zip(_COLUMNS, values))}; {fix}"
            )
        if Path(values[0]).is_absolute() or ".." in Path(values[0]).parts:
            raise AudioFileError(f"{path}, line {number}: path {values[0]!r} leaves the folder; {fix}")
    return rows


def write_manifest(folder: str | os.PathLike, relative_paths: list[str]) -> Path:
    """Hash the given files of ``folder`` and write its manifest atomically."""
    folder = Path(folder)
    rows = [
        {"path": p, "sha256": sha256_file(folder / p), "bytes": (folder / p).stat().st_size}
        for p in sorted(relative_paths)
    ]
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return write_text(folder / MANIFEST, text.getvalue())


def content_digest(rows: list[dict[str, str]], suffixes: tuple[str, ...] = ()) -> str:
    """One SHA-256 over the sorted (path, sha256) pairs of a manifest.

    It identifies a release: the same files under the same names give the same
    digest whether they came from the offline data root or from a fresh download.
    """
    chosen = [r for r in rows if not suffixes or r["path"].endswith(suffixes)]
    lines = "".join(f"{r['path']}\t{r['sha256']}\n" for r in sorted(chosen, key=lambda r: r["path"]))
    return hashlib.sha256(lines.encode()).hexdigest()


def _stamp_matches(stamp: Path, expected: dict) -> bool:
    try:
        content = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False  # missing or corrupt: verify again and rewrite it
    return content == expected


def verify_folder(
    folder: str | os.PathLike,
    stamp_dir: str | os.PathLike,
    expected_digest: str | tuple[str, ...] | None = None,
    suffixes: tuple[str, ...] = (),
) -> None:
    """Check ``folder`` against its manifest: sizes always, SHA-256 once per manifest.

    ``expected_digest`` is the release's content digest (or a tuple of accepted ones).
    Raises :class:`~audioml.errors.ChecksumError` (both hashes shown) or :class:`~audioml.errors.AudioFileError`
    (missing or truncated file, malformed manifest), naming the file and what to do about it.
    """
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    rows = read_manifest(folder)
    fix = f"restore the file from the upstream release, or delete {folder} to download it again"
    if expected_digest is not None:
        accepted = (expected_digest,) if isinstance(expected_digest, str) else tuple(expected_digest)
        actual = content_digest(rows, suffixes)
        if actual not in accepted:
            raise ChecksumError(
                str(manifest_path),
                " or ".join(accepted),
                actual,
                fix="this folder holds a different release of the dataset; " + fix,
            )
    stats = hashlib.sha256()
    for row in rows:
        path = folder / row["path"]
        if not path.is_file():
            raise AudioFileError(f"{path} is listed in {manifest_path} but missing; {fix}")
        info = path.stat()
        if info.st_size != int(row["bytes"]):
            raise AudioFileError(f"{path} has {info.st_size} bytes, its manifest says {row['bytes']}; {fix}")
        stats.update(f"{row['path']}\t{info.st_size}\t{info.st_mtime_ns}\t{info.st_ino}\n".encode())
    stamp = Path(stamp_dir) / f"{folder.name}-{sha256_file(manifest_path)[:16]}.json"
    # a file rewritten in place (same size) has a new mtime: the stamp no longer matches and it is hashed again
    expected = {"folder": str(folder.resolve()), "files": len(rows), "stats": stats.hexdigest()}
    if _stamp_matches(stamp, expected):
        return
    for row in rows:
        actual = sha256_file(folder / row["path"])
        if actual != row["sha256"]:
            raise ChecksumError(str(folder / row["path"]), row["sha256"], actual, fix=fix)
    try:
        write_text(stamp, json.dumps(expected))
    except OSError as error:  # a read-only cache: the folder is verified, only the shortcut is lost
        warnings.warn(
            f"{folder} verified, but its stamp {stamp} could not be written ({error}); "
            f"it will be hashed again next time",
            stacklevel=2,
        )
