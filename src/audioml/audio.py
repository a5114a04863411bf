"""Load audio as mono float32 at a chosen rate and length, with errors that name the file.

Every chapter loads its clips through :func:`load_audio`.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from audioml.errors import AudioFileError


def load_audio(path: str | os.PathLike, sr: int | None = None, duration: float | None = None,
               expected_sr: int | None = None) -> tuple[np.ndarray, int]:
    """Read ``path`` as mono float32 in [-1, 1]; return ``(samples, sample_rate)``.

    - ``sr``: resample to this rate (soxr, high quality); None keeps the file's rate.
    - ``duration``: pad with zeros or trim to exactly this many seconds.
    - ``expected_sr``: refuse files whose native rate differs (for datasets that must be uniform).

    Raises :class:`AudioFileError` for a missing, empty, undecodable or zero-length file,
    non-finite samples or an unexpected rate.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: no such audio file. Check the path, or the data root (AUDIOML_DATA).")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path}: the file is empty (0 bytes). Delete it and restore it from the dataset.")
    try:
        samples, native_sr = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise AudioFileError(f"{path}: cannot be decoded as audio ({error}). The file is corrupt or not "
                             f"audio; restore it from the dataset.") from None
    if samples.shape[0] == 0:
        raise AudioFileError(f"{path}: decodes to zero samples. Restore it from the dataset.")
    if expected_sr is not None and native_sr != expected_sr:
        raise AudioFileError(f"{path}: sample rate is {native_sr} Hz, expected {expected_sr} Hz. "
                             f"Resample it, or load with sr={expected_sr} instead of expected_sr.")
    mono = samples.mean(axis=1)
    if not np.all(np.isfinite(mono)):
        raise AudioFileError(f"{path}: holds {int(np.sum(~np.isfinite(mono)))} non-finite samples (NaN/inf).")
    if sr is not None and sr != native_sr:
        if sr <= 0:
            raise ValueError(f"sr must be a positive sample rate in Hz, got {sr}")
        mono = soxr.resample(mono, native_sr, sr, quality="HQ").astype(np.float32)
    rate = sr or native_sr
    if duration is not None:
        mono = fix_length(mono, int(round(duration * rate)))
    return mono, rate


def fix_length(samples: np.ndarray, n_samples: int) -> np.ndarray:
    """Zero-pad at the end or trim ``samples`` to exactly ``n_samples`` (last axis)."""
    if n_samples <= 0:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    current = samples.shape[-1]
    if current >= n_samples:
        return samples[..., :n_samples]
    padding = [(0, 0)] * (samples.ndim - 1) + [(0, n_samples - current)]
    return np.pad(samples, padding)


def load_batch(paths: list[str], sr: int, duration: float) -> np.ndarray:
    """Load many clips at one rate and length into an array ``(n_clips, n_samples)``."""
    return np.stack([load_audio(p, sr=sr, duration=duration)[0] for p in paths])
