"""Find, fetch and install a dataset folder safely for several processes at once (every chapter).

:func:`resolve` is :func:`audioml.data.datasets.dataset_dir`: data root, then cache, then a
download. :func:`fetch` holds a file lock per destination, checks again whether another
process has installed a verified folder meanwhile (and uses it), removes what killed
fetches left, downloads and unpacks into a staging folder with a unique name, verifies it
against the registry's pins and renames it into place. An installed folder is only ever
replaced when it fails verification, so no process deletes a folder another has just returned.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout
from tqdm.auto import tqdm

from audioml.data import datasets
from audioml.data.archives import extract_members
from audioml.data.download import NETWORK_ERRORS, download_file, remove_stale_temps
from audioml.data.integrity import MANIFEST, content_digest, read_manifest, verify_folder, write_manifest
from audioml.errors import (
    AudioFileError,
    ChecksumError,
    DataNotFoundError,
    DownloadError,
    ParameterError,
    UnknownNameError,
)
from audioml.settings import DATA_ENV, cache_dir, data_root, offline

#: Seconds a process waits for another one's download of the same dataset.
_LOCK_TIMEOUT_S = 3600.0
#: A dataset of this many files or more downloads without a progress bar per file.
_QUIET_FROM = 20


def _spec_for(name: str) -> datasets.DatasetSpec:
    """The registry entry ``name``, or :class:`~audioml.errors.UnknownNameError` listing the known names."""
    if name not in datasets.REGISTRY:
        raise UnknownNameError(f"unknown dataset {name!r}; known: {', '.join(datasets.REGISTRY)}")
    return datasets.REGISTRY[name]


def _check_pins(spec: datasets.DatasetSpec, folder: Path) -> None:
    """Verify ``folder`` (manifest, sizes, hashes once) and the registry's own pins for its files."""
    verify_folder(folder, cache_dir() / "verified", spec.digests() or None, spec.digest_suffixes)
    rows = {row["path"]: row for row in read_manifest(folder)}
    # converted downloads (ESC-50's WAVs, kept as FLAC) and an offline copy in another encoding
    # (FSDKaggle2018's FLACs) are pinned by the release digest alone
    other_encoding = (
        spec.download_digest and content_digest(list(rows.values()), spec.digest_suffixes) != spec.download_digest
    )
    for remote in () if spec.convert is not None or other_encoding else spec.files:
        row = rows.get(remote.target)
        fix = f"restore {remote.target} from {remote.url}, or delete {folder} to download it again"
        if row is None:
            raise AudioFileError(
                f"{folder / remote.target} is pinned by the registry but not listed in {folder / MANIFEST}; {fix}"
            )
        if remote.sha256 and row["sha256"] != remote.sha256:
            raise ChecksumError(str(folder / remote.target), remote.sha256, row["sha256"], fix=fix)
        if remote.size is not None and int(row["bytes"]) != remote.size:
            raise AudioFileError(
                f"{folder / remote.target} has {row['bytes']} bytes, the registry pins {remote.size}; {fix}"
            )


def resolve(name: str, download: bool = True) -> Path:
    """The verified folder of dataset ``name``: data root, cache, or a fresh download into the cache."""
    spec = _spec_for(name)
    root = data_root()
    cached = cache_dir() / "datasets" / spec.folder
    candidates = ([root / spec.folder] if root else []) + [cached]
    is_offline = offline()
    for folder in candidates:
        if not (folder / MANIFEST).is_file():
            continue
        try:
            _check_pins(spec, folder)
            return folder
        except (AudioFileError, ChecksumError) as error:
            if folder != cached or not download or is_offline or not (spec.archive_url or spec.files):
                raise
            warnings.warn(f"the cached copy {folder} is damaged and is downloaded again: {error}", stacklevel=2)
    if download and not is_offline and (spec.archive_url or spec.files):
        try:
            return datasets.fetch_dataset(spec, cached)
        except (DownloadError, *NETWORK_ERRORS) as error:
            reason = f"the download failed ({error})"
    else:
        reason = "downloads are off (AUDIOML_OFFLINE=1)" if is_offline else "it cannot be downloaded automatically"
    searched = "\n".join(f"  - {c}" for c in candidates)
    raise DataNotFoundError(
        f"dataset {name!r} was not found and {reason}.\nSearched:\n{searched}\n"
        f"Fix: set {DATA_ENV} to a data root that holds {spec.folder}/ (offline copy), or go online "
        f"so it can be downloaded from {spec.archive_url or spec.source_url}"
    )


def _require_pins(spec: datasets.DatasetSpec) -> None:
    """Refuse to download anything the registry does not pin to a SHA-256."""
    pinned_release = bool(spec.digests())
    unpinned = [r.url for r in spec.files if not r.sha256 and not pinned_release]
    if spec.archive_url and not (spec.archive_sha256 or pinned_release):
        unpinned.insert(0, spec.archive_url)
    if unpinned:
        raise ParameterError(
            f"dataset {spec.name!r}: refusing to download {', '.join(unpinned)}: the registry "
            f"pins no SHA-256 for it. Fix: add sha256= (or the release's content_digest) to "
            f"its entry in audioml.data.datasets"
        )


def _installed(spec: datasets.DatasetSpec, folder: Path) -> bool:
    if not (folder / MANIFEST).is_file():
        return False
    try:
        _check_pins(spec, folder)
    except (AudioFileError, ChecksumError):
        return False
    return True


def _stage(spec: datasets.DatasetSpec, work: Path) -> Path:
    """Download and unpack ``spec`` into ``work/staging``, pinned and capped; return the staging folder."""
    staging = work / "staging"
    staging.mkdir()
    written: list[str] = []
    if spec.archive_url:
        archive = download_file(spec.archive_url, work / "archive", spec.archive_sha256, max_bytes=spec.max_bytes)
        rename = spec.archive_members
        if not callable(rename):
            raise ParameterError(f"dataset {spec.name!r} has an archive_url but no archive_members mapper")
        written += [
            str(p.relative_to(staging.resolve()))
            for p in extract_members(archive, staging, rename, max_bytes=spec.max_bytes, source=spec.archive_url)
        ]
        archive.unlink()
        if not written:
            raise DataNotFoundError(
                f"{spec.archive_url} holds none of the files of {spec.name!r}; nothing was "
                f"kept. Fix: the archive's layout changed; report it, or use an offline copy"
            )
    many = len(spec.files) >= _QUIET_FROM  # one bar for the whole set, not one a file
    for remote in tqdm(spec.files, desc=f"{spec.name}: {len(spec.files)} files", unit="file", disable=not many):
        download_file(
            remote.url,
            staging / remote.target,
            remote.sha256,
            size=remote.size,
            max_bytes=spec.max_bytes,
            progress=not many,
        )
        written.append(remote.target)
    if spec.convert is not None:
        written = spec.convert(staging, written)
    write_manifest(staging, written)
    expected = spec.download_digest or spec.content_digest
    try:
        verify_folder(staging, work / "stamps", expected, spec.digest_suffixes)
    except ChecksumError as error:
        raise ChecksumError(
            spec.archive_url or spec.source_url,
            error.expected,
            error.actual,
            fix=f"the upstream release of {spec.name!r} changed; nothing was kept. "
            f"Use an offline copy via {DATA_ENV}, or report the new hash",
        ) from None
    return staging


def _lock_for(destination: Path) -> FileLock:
    key = hashlib.sha256(str(destination.resolve()).encode()).hexdigest()[:16]
    locks = cache_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    return FileLock(str(locks / f"{destination.name}-{key}.lock"), timeout=_LOCK_TIMEOUT_S)


def install_folder(destination: Path, stage: Callable[[Path], Path], ready: Callable[[Path], bool], label: str) -> Path:
    """Build a folder and move it to ``destination``, safely for several processes; return ``destination``.

    Under a file lock: if ``ready(destination)`` (the folder exists and verifies), use it;
    else remove what killed runs left, call ``stage(work)`` (it builds and verifies a folder
    inside the empty, uniquely named ``work`` and returns it) and rename that into place,
    swapping out an old folder only because it failed ``ready``. Nothing is left on failure.
    ``label`` names the data in messages. Used by :func:`fetch` and :func:`audioml.data.gtzan.fetch_gtzan`.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock_for(destination)
    try:
        lock.acquire()
    except Timeout:
        raise DownloadError(
            f"waited {_LOCK_TIMEOUT_S:.0f} s for another process's download of {label} "
            f"(lock {lock.lock_file}); fix: wait for it, or remove the lock file if no "
            f"such process runs"
        ) from None
    try:
        if ready(destination):
            return destination
        prefix = f".{destination.name}."
        remove_stale_temps(destination.parent, prefix)
        work = Path(tempfile.mkdtemp(dir=destination.parent, prefix=prefix, suffix=f".{os.getpid()}.tmp"))
        old = work.with_suffix(".old")
        try:
            staging = stage(work)
            if destination.exists():  # a folder that failed verification: swap it out, then delete it
                os.rename(destination, old)
            os.rename(staging, destination)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
        return destination
    finally:
        lock.release()


def fetch(spec: datasets.DatasetSpec, destination: Path) -> Path:
    """Install ``spec`` at ``destination`` (see the module's docstring); return ``destination``."""
    _require_pins(spec)
    return install_folder(
        destination, lambda work: _stage(spec, work), lambda folder: _installed(spec, folder), f"dataset {spec.name!r}"
    )
