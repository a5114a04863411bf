"""Every ``AUDIOML_*`` environment variable, parsed in one place and read at call time.

Nothing here runs at import: each function reads ``os.environ`` when it is called, so a
chapter (or a test) may change a variable at any time, and a wrong value fails at its
first use with a message that names the variable, the value and the fix. Used by the
data layer (:mod:`audioml.data.datasets`, :mod:`audioml.data.loaders`), the caches and the
results files of every chapter.
"""

from __future__ import annotations

import os
from pathlib import Path

from audioml.errors import DataNotFoundError, ParameterError

DATA_ENV = "AUDIOML_DATA"
CACHE_ENV = "AUDIOML_CACHE"
OFFLINE_ENV = "AUDIOML_OFFLINE"
RESULTS_ENV = "AUDIOML_RESULTS"
#: The file that marks the book's root folder.
_BOOK_MARKER = "_toc.yml"

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _value(name: str) -> str:
    return os.environ.get(name, "").strip()


def data_root() -> Path | None:
    """The data root named by ``$AUDIOML_DATA`` (made absolute), or None when unset; a wrong path is an error."""
    value = _value(DATA_ENV)
    if not value:
        return None
    root = Path(value).expanduser().absolute()
    if not root.is_dir():
        raise DataNotFoundError(
            f"{DATA_ENV}={value} is not a folder. Point it at the book's data root "
            f"(for example ../shared/data) or unset it to use {cache_dir()}."
        )
    return root


def cache_dir() -> Path:
    """The per-user cache, an absolute path: ``$AUDIOML_CACHE`` or ``~/.cache/audioml`` (it need not exist yet)."""
    value = _value(CACHE_ENV)
    folder = Path(value).expanduser().absolute() if value else Path.home() / ".cache" / "audioml"
    if folder.exists() and not folder.is_dir():
        raise ParameterError(
            f"{CACHE_ENV}={value} is a file, not a folder. Point it at a folder "
            f"the book may write to, or unset it to use ~/.cache/audioml."
        )
    return folder


def offline() -> bool:
    """Whether downloads are off: ``$AUDIOML_OFFLINE`` is 1/true/yes/on (0/false/no/off/unset: online)."""
    value = _value(OFFLINE_ENV).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ParameterError(
        f"{OFFLINE_ENV}={os.environ[OFFLINE_ENV]!r} is neither on nor off. "
        f"Set it to 1 (no downloads) or 0 (downloads allowed), or unset it."
    )


def results_override() -> Path | None:
    """The folder named by ``$AUDIOML_RESULTS`` (where runs write results), or None when unset."""
    value = _value(RESULTS_ENV)
    return Path(value).expanduser() if value else None


def book_root(start: str | os.PathLike | None = None) -> Path:
    """The book's root (the folder holding ``_toc.yml``), searched upwards from ``start`` (default: cwd).

    Raises :class:`~audioml.errors.DataNotFoundError` when no folder above ``start`` holds ``_toc.yml``.
    """
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / _BOOK_MARKER).is_file():
            return folder
    raise DataNotFoundError(
        f"no book root (a folder with {_BOOK_MARKER}) above {here}; run from inside a clone of the book's repository"
    )
