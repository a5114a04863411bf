"""Unpack chosen members of a zip or tar archive, safely (used by :func:`audioml.data.datasets.fetch_dataset`).

Refused, with :class:`~audioml.errors.ArchiveError` naming the archive, the member and the fix: a member
that would land outside the folder (``..``, an absolute path), a link, device or other
special member, a member named twice, and a bomb: more unpacked bytes than ``max_bytes`` or
than ``max_ratio`` times the archive's own size (counted while writing, not taken from the
headers), or more than ``max_members`` files. The caller unpacks into a staging folder it deletes on failure.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from audioml.data.download import CHUNK_BYTES, MAX_BYTES
from audioml.errors import ArchiveError

#: Unpacked bytes allowed per archive byte. Audio barely compresses (FSDD, ESC: about 1.1:1).
_MAX_RATIO = 100
#: Files unpacked per archive at most (FSDD has 3000): a bomb of empty files is a bomb too.
_MAX_MEMBERS = 100_000


def extract_members(
    archive: str | os.PathLike,
    destination: str | os.PathLike,
    rename: Callable[[str], str | None],
    max_bytes: int = MAX_BYTES,
    max_ratio: float = _MAX_RATIO,
    source: str | None = None,
    max_members: int = _MAX_MEMBERS,
) -> list[Path]:
    """Extract the members of a zip or tar archive for which ``rename`` gives a path.

    ``rename(member_name)`` returns the member's path relative to ``destination`` or
    ``None`` to skip it; ``source`` (the URL) names the archive in error messages.
    """
    archive, destination = Path(archive), Path(destination).resolve()
    source = source or str(archive)
    size = archive.stat().st_size
    limit = int(min(max_bytes, max_ratio * size))
    fix = "the archive is not the pinned release; nothing was installed. Report it upstream"
    seen: set[Path] = set()
    budget = [limit]

    def target_for(name: str, regular: bool) -> Path | None:
        relative = rename(name)
        if relative is None:
            return None
        if not regular:
            raise ArchiveError(
                f"{source}: member {name!r} is a link or special file, not a regular "
                f"file; refusing to unpack it. Fix: {fix}"
            )
        target = (destination / relative).resolve()
        if destination not in target.parents:
            raise ArchiveError(f"{source}: archive member {name!r} would be written outside {destination}. Fix: {fix}")
        if target in seen:
            raise ArchiveError(f"{source}: two members unpack to {target}. Fix: {fix}")
        if len(seen) >= max_members:
            raise ArchiveError(f"{source}: more than {max_members} files to unpack; refusing. Fix: {fix}")
        seen.add(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def copy(stream: IO[bytes], target: Path, name: str) -> None:
        with open(target, "wb") as out:
            for block in iter(lambda: stream.read(CHUNK_BYTES), b""):
                budget[0] -= len(block)
                if budget[0] < 0:
                    raise ArchiveError(
                        f"{source}: unpacking stopped at {name!r}: more than {limit} bytes from a "
                        f"{size}-byte archive (cap: {max_bytes} bytes or {max_ratio:g} times the "
                        f"archive). A bomb or the wrong file. Fix: {fix}"
                    )
                out.write(block)

    written: list[Path] = []
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zipped:
                for info in zipped.infolist():
                    if info.is_dir():
                        continue
                    kind = stat.S_IFMT(info.external_attr >> 16)
                    target = target_for(info.filename, kind in (0, stat.S_IFREG))
                    if target is not None:
                        with zipped.open(info) as stream:
                            copy(stream, target, info.filename)
                        written.append(target)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tarred:
                for member in tarred:
                    if member.isdir():
                        continue
                    target = target_for(member.name, member.isfile())
                    if target is not None:
                        extracted = tarred.extractfile(member)
                        if extracted is None:
                            raise ArchiveError(f"{source}: member {member.name!r} has no data. Fix: {fix}")
                        with extracted as stream:
                            copy(stream, target, member.name)
                        written.append(target)
        else:
            raise ArchiveError(
                f"{source} is neither a zip nor a tar archive ({size} bytes). Fix: the "
                f"URL may serve an error page; check it, or report it"
            )
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, RuntimeError) as error:
        raise ArchiveError(
            f"{source}: the archive is damaged ({type(error).__name__}: {error}). "
            f"Fix: delete it and download again; {fix}"
        ) from error
    return written
