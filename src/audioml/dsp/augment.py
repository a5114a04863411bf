"""Waveform augmentations, applied on the training side only, after the split (chapters 6, 7, 10).

Each function takes a mono float32 signal and returns a float32 signal of the same
length: augmentations that change duration (time stretch) are padded or trimmed back,
so a batch keeps its shape. Randomness comes only from an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

import librosa
import numpy as np
import soxr

from audioml.dsp.audio import fix_length


def _as_signal(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"expected a non-empty mono signal (1-D array), got shape {y.shape}")
    return y


def power(y: np.ndarray) -> float:
    """Mean power of a signal (mean of squares, computed in float64)."""
    return float(np.mean(np.square(y, dtype=np.float64)))


def snr_db(clean: np.ndarray, noise: np.ndarray) -> float:
    """Signal-to-noise ratio in dB between a clean signal and the noise added to it."""
    return 10.0 * np.log10(power(clean) / power(noise))


def time_stretch(y: np.ndarray, rate: float) -> np.ndarray:
    """Play faster (rate > 1) or slower (rate < 1) without changing pitch; same length out."""
    y = _as_signal(y)
    if not 0.25 <= rate <= 4.0:
        raise ValueError(f"time-stretch rate must be in [0.25, 4], got {rate}")
    return fix_length(librosa.effects.time_stretch(y=y, rate=rate), y.size).astype(np.float32)


def pitch_shift(y: np.ndarray, sr: int, n_steps: float) -> np.ndarray:
    """Shift pitch by ``n_steps`` semitones without changing duration."""
    y = _as_signal(y)
    if abs(n_steps) > 12:
        raise ValueError(f"pitch shift must be within one octave (|n_steps| <= 12), got {n_steps}")
    return fix_length(librosa.effects.pitch_shift(y=y, sr=sr, n_steps=n_steps), y.size).astype(np.float32)


def speed_change(y: np.ndarray, rate: float) -> np.ndarray:
    """Play ``rate`` times faster, pitch and tempo together (tape speed); same length out.

    A cheap stand-in for stretch plus pitch shift (one resampling, well under a
    millisecond for a second of audio), cheap enough to run on the fly (chapters 6, 7).
    """
    y = _as_signal(y)
    if not 0.5 <= rate <= 2.0:
        raise ValueError(f"speed rate must be in [0.5, 2], got {rate}")
    return fix_length(soxr.resample(y, rate, 1.0, quality="HQ"), y.size).astype(np.float32)


def gain(y: np.ndarray, db: float) -> np.ndarray:
    """Scale loudness by ``db`` decibels (power ratio ``10 ** (db / 10)``) (chapter 7)."""
    y = _as_signal(y)
    if abs(db) > 60:
        raise ValueError(f"gain must be within +-60 dB, got {db}")
    return (y * np.float32(10.0 ** (db / 20.0))).astype(np.float32)


def time_shift(y: np.ndarray, shift: int) -> np.ndarray:
    """Delay (shift > 0) or advance (shift < 0) by ``shift`` samples, filling with silence."""
    y = _as_signal(y)
    shift = int(np.clip(shift, -y.size, y.size))
    out = np.zeros_like(y)
    if shift >= 0:
        out[shift:] = y[: y.size - shift]
    else:
        out[: y.size + shift] = y[-shift:]
    return out


def noise_segment(noise: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """A random excerpt of ``length`` samples from a noise recording (tiled if it is shorter)."""
    noise = _as_signal(noise)
    if noise.size < length:
        noise = np.tile(noise, int(np.ceil(length / noise.size)))
    start = int(rng.integers(0, noise.size - length + 1))
    return noise[start : start + length]


def add_noise(y: np.ndarray, noise: np.ndarray, snr: float) -> np.ndarray:
    """Add ``noise`` (same length as ``y``) scaled so that the mixture has exactly ``snr`` dB SNR."""
    y, noise = _as_signal(y), _as_signal(noise)
    if noise.size != y.size:
        raise ValueError(f"noise has {noise.size} samples, the signal {y.size}; cut it with noise_segment")
    if power(y) == 0 or power(noise) == 0:
        raise ValueError("cannot set an SNR when the signal or the noise is all zeros")
    gain = np.sqrt(power(y) / (power(noise) * 10.0 ** (snr / 10.0)))
    return (y.astype(np.float64) + gain * noise).astype(np.float32)


def blend(y: np.ndarray, other: np.ndarray, weight: float) -> np.ndarray:
    """Blend two clips of equal length: ``(1 - weight) * y + weight * other`` (mixup-style)."""
    y, other = _as_signal(y), _as_signal(other)
    if y.size != other.size:
        raise ValueError(f"clips must have equal length to mix, got {y.size} and {other.size}")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"mix weight must be in [0, 1], got {weight}")
    return ((1.0 - weight) * y + weight * other).astype(np.float32)
