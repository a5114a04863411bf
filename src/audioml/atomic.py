"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file the package writes (feature and embedding caches, results, manifests,
stamps) goes through :func:`atomic_file`: the bytes go to a temp file with a name
unique per process and thread in the target's folder, are flushed to disk, then
``os.replace`` swaps it in. On any error the temp file is removed and the old target
is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from audioml.errors import ParameterError


def _check_writable(target: Path) -> None:
    """Refuse to replace a read-only file (also as root, who may write anything)."""
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{target} is a directory, not a file; remove it or write elsewhere")
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise PermissionError(
            f"{target} is read-only; refusing to replace it. Make it writable "
            f"(chmod u+w {target}) or write to another folder"
        )


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_file(
    target: str | os.PathLike, mode: str = "wb", encoding: str | None = None, newline: str | None = None
) -> Iterator[IO]:
    """Open a temp file next to ``target`` for writing; on success, move it over ``target``.

    >>> with atomic_file("out.json", "w") as handle:  # doctest: +SKIP
    ...     handle.write("{}")

    ``mode`` is ``"wb"`` or ``"w"``. Parent folders are created. Raises ``PermissionError``
    for a read-only target and ``IsADirectoryError`` when ``target`` is a folder.
    """
    if mode not in ("wb", "w"):
        raise ParameterError(f"atomic_file mode must be 'wb' or 'w', got {mode!r}")
    target = Path(target)
    _check_writable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=f".{os.getpid()}-{threading.get_ident()}.part"
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(
            descriptor, mode, encoding=encoding if mode == "w" else None, newline=newline if mode == "w" else None
        ) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, _default_mode())
        _check_writable(target)  # it may have turned read-only while we wrote
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    """Atomically write ``data`` to ``target``; return its path."""
    with atomic_file(target, "wb") as handle:
        handle.write(data)
    return Path(target)


def write_text(target: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Atomically write ``text`` to ``target`` (UTF-8 by default); return its path."""
    with atomic_file(target, "w", encoding=encoding, newline="") as handle:
        handle.write(text)
    return Path(target)
