"""Download one file over HTTP(S), checked before it is kept (used by :mod:`audioml.data.datasets`).

Every byte goes to a temp file with a name unique to this process, in the target's folder;
only a download whose length equals its ``Content-Length`` (and the registry's size), whose
SHA-256 equals the pinned one and which stays under the size cap is moved into place, by an
atomic rename. A cut connection is retried from the start (``ATTEMPTS`` times); a failure
raises :class:`~audioml.errors.DownloadError` naming the URL, the bytes expected and received, and the fix,
and leaves nothing behind. Temp files of killed processes are removed on the next call.

Why not pooch (librosa's choice, used by :func:`audioml.data.loaders.example` through librosa):
it cannot cap a download's size while streaming, reports a short body as a raw
``requests`` exception without the URL, has no lock for several processes, and its
Unzip/Untar processors unpack in place with no size or expansion cap (and, before Python
3.12, no filter against links and ``..`` members). This module is the small part of it we need.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from audioml.errors import ChecksumError, DownloadError

CHUNK_BYTES = 1 << 20
#: The largest download (and unpacked archive) accepted unless a dataset says otherwise.
MAX_BYTES = 2 << 30
#: Tries per file; a cut connection or a 5xx answer starts the download again.
ATTEMPTS = 3
#: Seconds to wait before try ``k`` (times ``k``).
RETRY_WAIT_S = 1.0
#: What an offline machine raises when asked to download (kept for callers that catch it).
NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)
_NETWORK_FIX = "check the connection and retry, or set AUDIOML_DATA to a data root that holds an offline copy"


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def remove_stale_temps(folder: Path, prefix: str) -> list[Path]:
    """Remove ``folder/<prefix>*.<pid>.<kind>`` temp files or folders of processes that are gone."""
    removed = []
    for path in folder.glob(f"{_glob_escape(prefix)}*"):
        match = re.search(r"\.(\d+)\.(part|tmp|old)$", path.name)
        if match and not _alive(int(match.group(1))):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _glob_escape(text: str) -> str:
    """``text`` with glob metacharacters escaped."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _failure(url: str, reason: str, expected: int | None, received: int, fix: str) -> DownloadError:
    wanted = "an unknown number of" if expected is None else str(expected)
    return DownloadError(
        f"downloading {url} failed: {reason}; expected {wanted} bytes, received "
        f"{received}. Nothing was kept. Fix: {fix}"
    )


#: Errors of the local disk, not of the network: retrying does not help.
_LOCAL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def _transient(error: BaseException) -> bool:
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500
    return isinstance(error, NETWORK_ERRORS + (OSError,)) and getattr(error, "errno", None) not in _LOCAL_ERRNOS


def _stream(
    url: str, handle, size: int | None, max_bytes: int, timeout_s: float, progress: bool, label: str
) -> tuple[str, int]:
    """One try: write the body to ``handle``; return (sha256, bytes). Raises on any short or long body."""
    digest, received, expected = hashlib.sha256(), 0, size
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.strip().isdigit() else size
            if size is not None and expected != size:
                raise _failure(
                    url,
                    f"the server announces {expected} bytes, the registry pins {size}",
                    size,
                    0,
                    "the upstream file changed; report it, or use an offline copy",
                )
            if expected is not None and expected > max_bytes:
                raise _failure(
                    url,
                    f"the file is larger than the cap of {max_bytes} bytes",
                    expected,
                    0,
                    "the URL does not point at the expected file; report it",
                )
            with tqdm(total=expected, unit="B", unit_scale=True, desc=label, disable=not progress) as bar:
                for block in iter(lambda: response.read(CHUNK_BYTES), b""):
                    received += len(block)
                    if received > max_bytes or (expected is not None and received > expected):
                        raise _failure(
                            url,
                            f"the server sent more bytes than announced or allowed (cap {max_bytes})",
                            expected,
                            received,
                            "the URL does not point at the expected file; report it",
                        )
                    handle.write(block)
                    digest.update(block)
                    bar.update(len(block))
    except http.client.IncompleteRead as error:
        raise ConnectionError(f"connection dropped after {received + len(error.partial)} bytes") from error
    if expected is not None and received != expected:
        raise ConnectionError(f"connection dropped: received {received} of {expected} bytes")
    if received == 0:
        raise _failure(
            url,
            "the server sent an empty file",
            expected,
            0,
            "retry later; if it stays empty, the upstream file is gone: report it",
        )
    return digest.hexdigest(), received


def download_file(
    url: str,
    destination: str | os.PathLike,
    sha256: str | None = None,
    timeout_s: float = 30.0,
    progress: bool = True,
    size: int | None = None,
    max_bytes: int = MAX_BYTES,
) -> Path:
    """Download ``url`` to ``destination``, verified against ``sha256`` and ``size`` (bytes) if given.

    Raises :class:`~audioml.errors.DownloadError` (URL, bytes expected and received, fix) and
    :class:`~audioml.errors.ChecksumError` (both hashes); in every case nothing is left at ``destination``.
    """
    destination = Path(destination)
    if destination.is_dir():
        raise IsADirectoryError(f"cannot download {url} to {destination}: it is a folder; name a file")
    destination.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(destination.parent, f".{destination.name}.")
    descriptor, name = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=f".{os.getpid()}.part"
    )
    partial = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for attempt in range(1, ATTEMPTS + 1):
                handle.seek(0)
                handle.truncate()
                try:
                    actual, received = _stream(url, handle, size, max_bytes, timeout_s, progress, destination.name)
                    break
                except DownloadError:
                    raise
                except Exception as error:  # network faults: retry, then report with the counts
                    local = getattr(error, "errno", None) in _LOCAL_ERRNOS
                    if attempt == ATTEMPTS or not _transient(error):
                        fix = f"free space in (or make writable) {destination.parent}" if local else _NETWORK_FIX
                        raise _failure(url, f"{error} (after {attempt} tries)", size, handle.tell(), fix) from error
                    time.sleep(RETRY_WAIT_S * attempt)
            handle.flush()
            os.fsync(handle.fileno())
        if sha256 is not None and actual != sha256:
            raise ChecksumError(
                url,
                sha256,
                actual,
                fix=f"received {received} bytes that differ from the pinned release; "
                f"the upstream file changed or the download was corrupted. Retry, or "
                f"report the new hash",
            )
        os.chmod(partial, 0o644)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return destination
