"""Where the sound is: the book's one definition of an active frame (chapters 7, 9, 10 and 12).

A frame is **active** when its level is at most ``below_peak_db`` dB under the loudest frame of
the same clip. Chapter 9 measures the level as the RMS of centred frames (so frame ``t`` lines
up with log-mel frame ``t``); chapter 12 as the loudest band of a log-mel frame. Digital
silence is never active, and :func:`trim_silent_ends` cuts it off the ends of a clip.
"""

from __future__ import annotations

import librosa
import numpy as np

from audioml.errors import ParameterError


def _check_below(below_peak_db: float) -> None:
    if not below_peak_db > 0:
        raise ParameterError(f"below_peak_db must be a positive number of dB below the peak, got {below_peak_db}")


def frame_rms(y: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """RMS of the centred frames of ``y``, frame ``t`` centred on sample ``t * hop_length``."""
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size < n_fft:
        raise ParameterError(f"expected a mono signal of at least n_fft={n_fft} samples, got shape {y.shape}")
    return librosa.feature.rms(y=y, frame_length=n_fft, hop_length=hop_length, center=True)[0]


def rms_activity(y: np.ndarray, n_fft: int, hop_length: int, below_peak_db: float) -> np.ndarray:
    """Boolean per frame: RMS within ``below_peak_db`` of the signal's loudest frame (all False if silent)."""
    _check_below(below_peak_db)
    energy = frame_rms(y, n_fft, hop_length)
    peak = energy.max()
    if peak <= 0:
        return np.zeros(energy.shape, dtype=bool)
    return energy >= peak * 10.0 ** (-below_peak_db / 20.0)


def level_activity(level_db: np.ndarray, below_peak_db: float) -> np.ndarray:
    """Boolean per frame of levels already in dB: within ``below_peak_db`` of the loudest frame."""
    _check_below(below_peak_db)
    level_db = np.asarray(level_db)
    if level_db.ndim != 1:
        raise ParameterError(f"expected one level per frame (1-D), got shape {level_db.shape}")
    return level_db >= level_db.max() - below_peak_db


def trim_silent_ends(y: np.ndarray, threshold: float = 1e-4) -> np.ndarray:
    """Drop digital silence (``|y| <= threshold``) at both ends of a noise clip (chapters 7 and 10).

    Some ESC-10 clips are padded with zeros; an all-zero excerpt has no power to scale to an SNR.
    """
    y = np.asarray(y, dtype=np.float32)
    active = np.flatnonzero(np.abs(y) > threshold)
    if active.size == 0:
        raise ParameterError(f"the clip is silent (no sample above {threshold}); it cannot serve as noise")
    return y[active[0] : active[-1] + 1]
