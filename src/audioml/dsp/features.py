"""Features from one clip: log-mel, MFCC, RMS, ZCR and summary statistics.

All parameters live in one place, :class:`FeatureParams`; chapters pick one of
the presets (``FSDD``, ``ESC``) or derive their own with ``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from dataclasses import dataclass

import librosa
import numpy as np

from audioml.errors import ParameterError


@dataclass(frozen=True)
class FeatureParams:
    """Analysis parameters shared by every feature (chapters 1-8, 12)."""

    sr: int = 8000
    n_fft: int = 256
    hop_length: int = 80
    n_mels: int = 40
    fmin: float = 0.0
    fmax: float | None = None
    n_mfcc: int = 13
    top_db: float = 80.0

    def __post_init__(self) -> None:
        for name in ("sr", "n_fft", "hop_length", "n_mels", "n_mfcc"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ParameterError(f"FeatureParams.{name} must be a positive integer, got {value!r}")
        nyquist = self.sr / 2
        if not 0 <= self.fmin < (nyquist if self.fmax is None else self.fmax):  # fmax=0 is a value, not "unset"
            raise ParameterError(f"FeatureParams.fmin must be in [0, fmax), got fmin={self.fmin}, fmax={self.fmax}")
        if self.fmax is not None and self.fmax > nyquist:
            raise ParameterError(
                f"FeatureParams.fmax={self.fmax} is above the Nyquist frequency {nyquist} "
                f"of sr={self.sr}; use fmax <= sr/2"
            )
        if self.n_mfcc > self.n_mels:
            raise ParameterError(f"FeatureParams.n_mfcc={self.n_mfcc} exceeds n_mels={self.n_mels}")
        if self.top_db is not None and not (
            isinstance(self.top_db, (int, float, np.number)) and math.isfinite(self.top_db) and self.top_db > 0
        ):
            raise ParameterError(
                f"FeatureParams.top_db must be a positive number of dB (or None for no floor), got {self.top_db!r}"
            )
        empty = _empty_mel_bands(self.sr, self.n_fft, self.n_mels, self.fmin, self.fmax)
        if empty:
            raise ParameterError(
                f"FeatureParams.n_mels={self.n_mels} with n_fft={self.n_fft} at sr={self.sr} leaves {empty} of "
                f"{self.n_mels} mel bands empty (an FFT of {self.n_fft} samples has {self.n_fft // 2 + 1} frequency "
                f"bins); use at most {_most_mel_bands(self.sr, self.n_fft, self.fmin, self.fmax)} bands "
                f"or a larger n_fft"
            )

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@functools.lru_cache(maxsize=256)
def _empty_mel_bands(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> int:
    """How many mel filters fall between FFT bins and stay all zero (librosa's "Empty filters" case)."""
    with warnings.catch_warnings():  # librosa's own "Empty filters detected": we count them instead
        warnings.simplefilter("ignore")
        weights = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    edges = librosa.mel_frequencies(n_mels + 2, fmin=fmin, fmax=sr / 2 if fmax is None else fmax)
    return int(np.sum((edges[:-2] != 0) & (weights.max(axis=1) <= 0)))


def _most_mel_bands(sr: int, n_fft: int, fmin: float, fmax: float | None) -> int:
    """The largest ``n_mels`` without empty bands for this FFT (a bisection)."""
    low, high = 1, 4 * n_fft
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if not _empty_mel_bands(sr, n_fft, middle, fmin, fmax) else (low, middle - 1)
    return low


#: 8 kHz speech (FSDD): 32 ms windows, 10 ms hop.
FSDD = FeatureParams()
#: 22.05 kHz environmental sound (ESC): 46 ms windows, 23 ms hop.
ESC = FeatureParams(sr=22050, n_fft=1024, hop_length=512, n_mels=64, n_mfcc=20)


def _check_signal(y: np.ndarray, params: FeatureParams, batch: bool = False) -> np.ndarray:
    """``y`` as float32 if it is a mono float signal (``batch``: a 2-D stack of equal-length signals)
    long enough for one frame; a ParameterError otherwise.

    Integer PCM is refused rather than guessed at: int16 samples used as floats would read
    about 90 dB too loud. Divide by 32768 (int16) or load with :func:`audioml.dsp.audio.load_audio`.
    """
    y = np.asarray(y)
    if y.dtype.kind != "f":
        half = 2 ** (8 * y.dtype.itemsize - 1)
        scale = {"i": f"; divide by {half}", "u": f"; subtract {half}, then divide by {half}"}.get(y.dtype.kind, "")
        raise ParameterError(
            f"expected float samples in [-1, 1], got dtype {y.dtype}{scale}, or load the "
            f"clip with audioml.dsp.audio.load_audio"
        )
    y = y.astype(np.float32, copy=False)
    if y.ndim != (2 if batch else 1):
        expected = "a batch of mono signals (2-D array: clips x samples)" if batch else "a mono signal (1-D array)"
        raise ParameterError(f"expected {expected}, got shape {y.shape}")
    if y.shape[-1] < params.n_fft:
        raise ParameterError(
            f"signal has {y.shape[-1]} samples, fewer than n_fft={params.n_fft} "
            f"({params.n_fft / params.sr * 1000:.0f} ms); pad it (audioml.dsp.audio.fix_length) "
            f"or lower n_fft"
        )
    if not np.all(np.isfinite(y)):
        raise ParameterError(f"signal holds {int(np.sum(~np.isfinite(y)))} non-finite samples (NaN or inf)")
    return y


@functools.lru_cache(maxsize=16)
def mel_basis(params: FeatureParams) -> np.ndarray:
    """The mel filterbank ``(n_mels, 1 + n_fft // 2)`` of ``params``, built once and kept (read-only).

    ``librosa.feature.melspectrogram`` rebuilds it on every call, about a third of the cost
    of a short clip's log-mel.
    """
    basis = librosa.filters.mel(
        sr=params.sr, n_fft=params.n_fft, n_mels=params.n_mels, fmin=params.fmin, fmax=params.fmax
    )
    basis.flags.writeable = False
    return basis


def _mel_power(y: np.ndarray, params: FeatureParams) -> np.ndarray:
    """``librosa.feature.melspectrogram``'s arithmetic (centred frames, zero padding) with the cached basis."""
    spectrum = np.abs(librosa.stft(y, n_fft=params.n_fft, hop_length=params.hop_length)) ** 2
    return np.einsum("...ft,mf->...mt", spectrum, mel_basis(params), optimize=True)


def frame_count(n_samples: int, hop_length: int, window: int | None = None) -> int:
    """How many frames a signal of ``n_samples`` gives: the book's two conventions, in one place.

    Without ``window``: centred STFT frames (librosa's default, chapters 1-13),
    ``1 + n_samples // hop_length``. With ``window``: windows that start at sample 0, every
    ``hop_length``, the last one zero-padded to cover the end (YAMNet, chapters 8, 9 and 13).
    """
    if window is None:
        return 1 + n_samples // hop_length
    if n_samples < window:
        raise ParameterError(f"a signal of {n_samples} samples is shorter than one window ({window})")
    return 1 + -(-(n_samples - window) // hop_length)


def mel_power(y: np.ndarray, params: FeatureParams) -> np.ndarray:
    """Mel power spectrogram of one clip, shape ``(n_mels, n_frames)``."""
    return _mel_power(_check_signal(y, params), params)


def mel_power_batch(clips: np.ndarray, params: FeatureParams) -> np.ndarray:
    """Mel power spectrograms of equal-length clips ``(n_clips, n_samples)``: ``(n_clips, n_mels, n_frames)``."""
    return _mel_power(_check_signal(clips, params, batch=True), params)


def power_to_db(power: np.ndarray, top_db: float | None) -> np.ndarray:
    """dB re 1, floored ``top_db`` below the peak of each spectrogram (the last two axes), float32.

    For one spectrogram this is ``librosa.power_to_db(power, ref=1.0, top_db=top_db)``; for a
    stack, each item keeps its own floor, as it would alone.
    """
    db = librosa.power_to_db(power, ref=1.0, top_db=None)
    if top_db is not None:
        db = np.maximum(db, db.max(axis=(-2, -1), keepdims=True) - top_db)
    return db.astype(np.float32, copy=False)


def log_mel(y: np.ndarray, params: FeatureParams) -> np.ndarray:
    """Log-mel spectrogram in dB (re 1.0, floored at -top_db below the clip's peak), float32."""
    return power_to_db(mel_power(y, params), params.top_db)


def log_mel_batch(clips: np.ndarray, params: FeatureParams) -> np.ndarray:
    """:func:`log_mel` of each of equal-length clips ``(n_clips, n_samples)``, in one STFT call."""
    return power_to_db(mel_power_batch(clips, params), params.top_db)


def mfcc(y: np.ndarray, params: FeatureParams) -> np.ndarray:
    """MFCCs from the log-mel spectrogram, shape ``(n_mfcc, n_frames)``."""
    return librosa.feature.mfcc(S=log_mel(y, params), n_mfcc=params.n_mfcc).astype(np.float32)


def rms(y: np.ndarray, params: FeatureParams) -> np.ndarray:
    """Frame root-mean-square energy, shape ``(n_frames,)``."""
    y = _check_signal(y, params)
    return librosa.feature.rms(y=y, frame_length=params.n_fft, hop_length=params.hop_length)[0]


def zcr(y: np.ndarray, params: FeatureParams) -> np.ndarray:
    """Frame zero-crossing rate (crossings per sample), shape ``(n_frames,)``."""
    y = _check_signal(y, params)
    return librosa.feature.zero_crossing_rate(y, frame_length=params.n_fft, hop_length=params.hop_length)[0]


def summary_stats(y: np.ndarray, params: FeatureParams) -> dict[str, float]:
    """Length-free summary of a clip: mean and sd of RMS and ZCR, and MFCC means (chapters 2-3)."""
    energy, crossings = rms(y, params), zcr(y, params)
    stats = {
        "rms_mean": float(energy.mean()),
        "rms_std": float(energy.std()),
        "zcr_mean": float(crossings.mean()),
        "zcr_std": float(crossings.std()),
    }
    coefficients = mfcc(y, params)
    stats.update({f"mfcc{i}_mean": float(c.mean()) for i, c in enumerate(coefficients)})
    return stats
