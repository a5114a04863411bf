"""Download and unpack upstream releases, with hashes checked (after torchaudio's helper).

Used by :mod:`audioml.datasets` when a dataset is neither in the data root nor in
the cache. Every write goes to a temporary name first, so an interrupted download
never leaves a half-written file behind.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Callable

from tqdm.auto import tqdm

from audioml.errors import ChecksumError

CHUNK_BYTES = 1 << 20
#: What an offline machine raises when asked to download.
NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError)


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def download_file(url: str, destination: str | os.PathLike, sha256: str | None = None,
                  timeout_s: float = 30.0, progress: bool = True) -> Path:
    """Download ``url`` to ``destination``, showing a progress bar, and verify ``sha256``.

    Raises ``urllib.error.URLError`` when offline and :class:`ChecksumError` (showing
    both hashes) when the bytes differ; in both cases nothing is left at ``destination``.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=destination.name,
                      disable=not progress) as bar:
                for block in iter(lambda: response.read(CHUNK_BYTES), b""):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
        actual = digest.hexdigest()
        if sha256 is not None and actual != sha256:
            raise ChecksumError(url, sha256, actual,
                                fix="the upstream file changed or the download was corrupted; retry, "
                                    "or report the new hash")
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return destination


def extract_members(archive: str | os.PathLike, destination: str | os.PathLike,
                    rename: Callable[[str], str | None]) -> list[Path]:
    """Extract the members of a zip or tar archive for which ``rename`` gives a path.

    ``rename(member_name)`` returns the member's path relative to ``destination`` or
    ``None`` to skip it. Paths that would escape ``destination`` are refused.
    """
    destination = Path(destination).resolve()
    written: list[Path] = []

    def target_for(name: str) -> Path | None:
        relative = rename(name)
        if relative is None:
            return None
        target = (destination / relative).resolve()
        if destination not in target.parents:
            raise ValueError(f"archive member {name!r} would be written outside {destination}")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            for info in bundle.infolist():
                target = None if info.is_dir() else target_for(info.filename)
                if target is not None:
                    with bundle.open(info) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    written.append(target)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as bundle:
            for member in bundle.getmembers():
                target = target_for(member.name) if member.isfile() else None
                if target is not None:
                    with bundle.extractfile(member) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    written.append(target)
    else:
        raise ValueError(f"{archive} is neither a zip nor a tar archive")
    return written
