"""Exceptions with messages that name the file, the value and the fix.

Every chapter relies on these: a reader who points the book at the wrong folder
should read one clear sentence, not a traceback through three libraries.
"""

from __future__ import annotations


class AudioMLError(Exception):
    """Base class of every error this package raises on purpose."""


class ParameterError(AudioMLError, ValueError):
    """An argument or setting has an invalid value; the message names it and the allowed range."""


class DataNotFoundError(AudioMLError, FileNotFoundError):
    """A dataset is neither in the data root, nor in the cache, nor downloadable."""


class ChecksumError(AudioMLError):
    """A file's SHA-256 differs from the one its manifest or registry expects."""

    def __init__(self, path: str, expected: str, actual: str, fix: str = "") -> None:
        self.path, self.expected, self.actual = path, expected, actual
        message = f"checksum mismatch for {path}\n  expected sha256: {expected}\n  actual sha256:   {actual}"
        super().__init__(message + (f"\n  fix: {fix}" if fix else ""))


class UnknownNameError(ParameterError, KeyError):
    """A name (dataset, example) that no registry knows; the message lists the known ones."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DownloadError(AudioMLError, OSError):
    """A download failed, was cut short, empty or too large; the message names the URL, the bytes
    expected and received, and the fix. Nothing of it is left in the cache."""


class ArchiveError(AudioMLError, ValueError):
    """An archive is not a zip or tar, or is unsafe to unpack (a member outside the folder, a link,
    a bomb over the size or expansion cap). Nothing of it is installed."""


class AudioFileError(AudioMLError, ValueError):
    """An audio file is missing, empty, undecodable, silent of samples or non-finite."""


class LeakageError(AudioMLError, AssertionError):
    """The same group (speaker, source clip, file) sits on both sides of a split."""
