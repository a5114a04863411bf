"""How alike two sounds' long-term spectra are: average spectrum and log-spectral distance (chapter 11).

Chapter 11 compares generated audio with its training audio by colour, not by timing:
:func:`average_spectrum_db` averages the power spectrum over Hann-windowed frames and
:func:`log_spectral_distance` is the root-mean-square dB difference of two such spectra.
"""

from __future__ import annotations

import numpy as np


def average_spectrum_db(y: np.ndarray, n_fft: int = 512, floor_db: float = -100.0) -> np.ndarray:
    """Mean power spectrum over Hann-windowed frames (hop ``n_fft // 4``), in dB, floored at ``floor_db``."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or y.size < n_fft:
        raise ValueError(f"need a mono signal of at least n_fft={n_fft} samples, got shape {y.shape}")
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[:: n_fft // 4]
    power = np.mean(np.abs(np.fft.rfft(frames * np.hanning(n_fft + 1)[:-1], axis=-1)) ** 2, axis=0)
    return np.maximum(10 * np.log10(np.maximum(power, 1e-30)), floor_db)


def log_spectral_distance(a: np.ndarray, b: np.ndarray, n_fft: int = 512) -> float:
    """Log-spectral distance of the average spectra of two signals, in dB (chapter 11).

    ``sqrt(mean_f (A_dB(f) - B_dB(f))^2)`` with :func:`average_spectrum_db`: zero for the
    same signal, ``|20 log10 g|`` when one is the other times ``g``. It compares the
    long-term colour (and level) of two sounds, not their timing.
    """
    difference = average_spectrum_db(a, n_fft) - average_spectrum_db(b, n_fft)
    return float(np.sqrt(np.mean(difference**2)))
