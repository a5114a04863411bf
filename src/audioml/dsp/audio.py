"""Load audio as mono float32 at a chosen rate and length, with errors that name the file.

Every chapter loads its clips through :func:`load_audio`. It reads only the frames that
``offset`` and ``duration`` need (plus a margin for the resampler, which keeps the result
identical to resampling the whole file), so a long file or a corrupt header cannot cost
more memory than the clip asked for.
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from audioml.errors import AudioFileError, ParameterError

#: Native rates below this are taken for a corrupt header, not audio (a 10 Hz header would
#: make resampling to 8 kHz 800 times larger than the file).
_MIN_RATE = 1000
#: Extra seconds of input read past ``duration`` so that soxr's filter sees what it would
#: see in the whole file (0.1 s already gives bit-identical output for common rate pairs).
_RESAMPLE_MARGIN_S = 0.25
#: The most output samples one call may produce (2**27 float32 = 512 MiB); pass ``duration`` beyond.
_MAX_SAMPLES = 2**27


def _check_arguments(sr: int | None, duration: float | None, offset: float) -> None:
    if sr is not None and not (isinstance(sr, (int, float, np.number)) and math.isfinite(sr) and sr > 0):
        raise ParameterError(f"sr must be a positive sample rate in Hz, got {sr}")
    if duration is not None and not (
        isinstance(duration, (int, float, np.number)) and math.isfinite(duration) and duration > 0
    ):
        raise ParameterError(f"duration must be a positive number of seconds (or None), got {duration!r}")
    if not (isinstance(offset, (int, float, np.number)) and math.isfinite(offset) and offset >= 0):
        raise ParameterError(f"offset must be a non-negative number of seconds, got {offset!r}")


def _open_checked(path: Path) -> bytes:
    """The first bytes of ``path``; an AudioFileError that says what is wrong with the path otherwise."""
    if path.is_dir():
        raise AudioFileError(f"{path}: is a directory, not an audio file. Pass one of the files inside it.")
    if not path.exists():
        raise AudioFileError(f"{path}: no such audio file. Check the path, or the data root (AUDIOML_DATA).")
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    except PermissionError:
        raise AudioFileError(
            f"{path}: permission denied; the file exists but cannot be read. Fix its "
            f"permissions (chmod u+r) or run as a user who may read it."
        ) from None
    except OSError as error:
        raise AudioFileError(f"{path}: cannot be read ({error.strerror or error}).") from None
    if not head:
        raise AudioFileError(f"{path}: the file is empty (0 bytes). Delete it and restore it from the dataset.")
    return head


def declared_wav_frames(head: bytes) -> int | None:
    """The frame count a RIFF/WAVE header declares (data size / block align), None if not stated."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    position, block_align = 12, 0
    while position + 8 <= len(head):
        chunk, size = head[position : position + 4], struct.unpack("<I", head[position + 4 : position + 8])[0]
        if chunk == b"fmt " and position + 22 <= len(head):
            block_align = struct.unpack("<H", head[position + 20 : position + 22])[0]
        if chunk == b"data":
            streaming = size in (0, 0xFFFFFFFF)  # written by a recorder that never filled it in
            return None if streaming or not block_align else size // block_align
        position += 8 + size + (size & 1)
    return None


def _truncated(path: Path, declared: int, available: int) -> AudioFileError:
    return AudioFileError(
        f"{path}: truncated: its header declares {declared} samples per channel but the file "
        f"holds {available}. Restore it from the dataset (or delete it to download it again)."
    )


def load_audio(
    path: str | os.PathLike,
    sr: int | None = None,
    duration: float | None = None,
    expected_sr: int | None = None,
    offset: float = 0.0,
) -> tuple[np.ndarray, int]:
    """Read ``path`` as mono float32 in [-1, 1]; return ``(samples, sample_rate)``.

    - ``sr``: resample to this rate (soxr, high quality); None keeps the file's rate.
    - ``duration``: pad with zeros or trim to exactly this many seconds.
    - ``expected_sr``: refuse files whose native rate differs (for datasets that must be uniform).
    - ``offset``: start this many seconds into the file (the part read is resampled on its own).

    Raises :class:`~audioml.errors.AudioFileError` for a missing, unreadable, empty, truncated, undecodable or
    zero-length file, a folder, non-finite samples, an implausible or unexpected rate; and
    :class:`~audioml.errors.ParameterError` for bad arguments.
    """
    path = Path(path)
    _check_arguments(sr, duration, offset)
    head = _open_checked(path)
    try:
        with sf.SoundFile(path) as handle:
            native_sr, total = handle.samplerate, handle.frames
            declared = declared_wav_frames(head)
            if declared is not None and declared > total:
                raise _truncated(path, declared, total)
            if total == 0:
                raise AudioFileError(f"{path}: decodes to zero samples. Restore it from the dataset.")
            if native_sr < _MIN_RATE:
                raise AudioFileError(
                    f"{path}: its header claims a sample rate of {native_sr} Hz, below "
                    f"{_MIN_RATE} Hz: the header is corrupt. Restore the file from the dataset."
                )
            if expected_sr is not None and native_sr != expected_sr:
                raise AudioFileError(
                    f"{path}: sample rate is {native_sr} Hz, expected {expected_sr} Hz. "
                    f"Resample it, or load with sr={expected_sr} instead of expected_sr."
                )
            start = int(round(offset * native_sr))
            if start >= total:
                raise ParameterError(f"offset={offset} s is past the end of {path} ({total / native_sr:.3f} s)")
            wanted = total - start
            if duration is not None:
                margin = int(math.ceil(_RESAMPLE_MARGIN_S * native_sr)) if sr not in (None, native_sr) else 0
                wanted = min(wanted, int(math.ceil(duration * native_sr)) + margin)
            elif sr is not None and wanted * sr / native_sr > _MAX_SAMPLES:
                raise ParameterError(
                    f"{path}: {wanted} samples at {native_sr} Hz would become "
                    f"{wanted * sr / native_sr:.3g} at {sr} Hz; pass duration= to load a part"
                )
            if start:
                handle.seek(start)
            samples = handle.read(wanted, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise AudioFileError(
            f"{path}: cannot be decoded as audio ({error}). The file is corrupt or not "
            f"audio; restore it from the dataset."
        ) from None
    if samples.shape[0] < wanted:
        raise _truncated(path, start + wanted, start + samples.shape[0])
    mono = samples.mean(axis=1)
    if not np.all(np.isfinite(mono)):
        raise AudioFileError(f"{path}: holds {int(np.sum(~np.isfinite(mono)))} non-finite samples (NaN/inf).")
    if sr is not None and sr != native_sr:
        mono = soxr.resample(mono, native_sr, sr, quality="HQ").astype(np.float32)
    rate = sr or native_sr
    if duration is not None:
        mono = fix_length(mono, int(round(duration * rate)))
    return mono, rate


def fix_length(samples: np.ndarray, n_samples: int) -> np.ndarray:
    """Zero-pad at the end or trim ``samples`` to exactly ``n_samples`` (last axis)."""
    if n_samples <= 0:
        raise ParameterError(f"n_samples must be positive, got {n_samples}")
    current = samples.shape[-1]
    if current >= n_samples:
        return samples[..., :n_samples]
    padding = [(0, 0)] * (samples.ndim - 1) + [(0, n_samples - current)]
    return np.pad(samples, padding)


def load_batch(paths: list[str], sr: int, duration: float) -> np.ndarray:
    """Load many clips at one rate and length into an array ``(n_clips, n_samples)``."""
    return np.stack([load_audio(p, sr=sr, duration=duration)[0] for p in paths])


def load_peak_normalised(paths: list[str], sr: int, duration: float) -> np.ndarray:
    """:func:`load_batch`, each clip then scaled to a peak of 1 (a per-clip gain: no statistic
    crosses clips), float32 ``(n_clips, n_samples)`` (chapters 6 and 11).

    A clip that is digital silence cannot be scaled; it is refused with its path.
    """
    clips = load_batch(list(paths), sr=sr, duration=duration)
    peaks = np.abs(clips).max(axis=1, keepdims=True)
    silent = np.flatnonzero(peaks[:, 0] == 0)
    if silent.size:
        raise AudioFileError(f"{list(paths)[silent[0]]} is digital silence: it has no peak to scale to 1")
    return (clips / peaks).astype(np.float32)
