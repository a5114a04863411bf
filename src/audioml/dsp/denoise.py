"""Speech in noise: mixtures from split noise, the STFT and its inverse, masks, classical denoisers (chapter 10).

- **Noise kept apart.** :func:`split_by_time` cuts a long noise recording into disjoint
  train / validation / test stretches, so no test excerpt was ever heard in training;
  :func:`assert_disjoint` checks it. :func:`mix` adds an excerpt at an exact SNR
  (through :func:`audioml.dsp.augment.add_noise`).
- **STFT.** :func:`stft` and :func:`istft` wrap librosa with one convention (centred frames,
  periodic Hann window, ``n_fft=256``, ``hop_length=128`` at 8 kHz by default) on any batch
  shape ``(..., n_samples)``. :func:`apply_mask` scales the noisy STFT by a real mask in
  [0, 1] and inverts it: the enhanced speech keeps the **noisy phase**.
- **Classical baselines.** :func:`wiener_gain` (decision-directed Wiener filter with a
  noise power estimated from the clip itself) and :func:`spectral_gate` (a threshold per
  frequency above the noise floor, as in the ``noisereduce`` package), and
  :func:`noisereduce_clip`, the ``noisereduce`` package itself (imported only there).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import librosa
import numpy as np
from numpy.typing import ArrayLike
from scipy.ndimage import uniform_filter

from audioml.dsp import augment
from audioml.errors import ParameterError

N_FFT, HOP_LENGTH = 256, 128  # 32 ms windows, 16 ms hop (half a window) at 8 kHz


# --- noise: split, trim, mix -------------------------------------------------------------------


def split_by_time(n_samples: int, shares: ArrayLike) -> list[tuple[int, int]]:
    """Cut ``[0, n_samples)`` into consecutive ``(start, stop)`` ranges with the given shares (chapter 10).

    ``split_by_time(100, (0.6, 0.1, 0.3))`` is ``[(0, 60), (60, 70), (70, 100)]``: train,
    validation and test stretches of one recording, in time order, sharing no sample.
    """
    shares = np.asarray(shares, dtype=float)
    if shares.ndim != 1 or shares.size == 0 or np.any(shares <= 0) or abs(shares.sum() - 1) > 1e-9:
        raise ValueError(f"shares must be positive and sum to 1, got {shares.tolist()}")
    if n_samples < shares.size:
        raise ValueError(f"cannot cut {n_samples} samples into {shares.size} non-empty parts")
    edges = np.round(np.concatenate([[0.0], np.cumsum(shares)]) * n_samples).astype(int)
    edges[-1] = n_samples
    if np.any(np.diff(edges) <= 0):
        raise ValueError(f"shares {shares.tolist()} give an empty part of {n_samples} samples")
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def assert_disjoint(ranges: Sequence[tuple[int, int]]) -> None:
    """Raise ``ValueError`` if any two half-open sample ranges ``[start, stop)`` overlap (chapter 10)."""
    ordered = sorted(ranges)
    for (a0, a1), (b0, b1) in itertools.pairwise(ordered):
        if b0 < a1:
            raise ValueError(
                f"sample ranges [{a0}, {a1}) and [{b0}, {b1}) overlap: a test excerpt "
                f"could contain training noise; cut the recording with split_by_time"
            )


def mix(
    clean: np.ndarray, noises: Sequence[np.ndarray], snr_db: float, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """``clean`` plus a random excerpt of one of ``noises`` at exactly ``snr_db`` dB (chapter 10).

    Draws from ``rng`` first which recording, then where the excerpt starts. Returns the
    float32 mixture and the index of the recording used.
    """
    if len(noises) == 0:
        raise ValueError("noises is empty: pass at least one noise recording")
    which = int(rng.integers(len(noises)))
    excerpt = augment.noise_segment(noises[which], len(clean), rng)
    return augment.add_noise(clean, excerpt, snr_db), which


def pad_batch(clips: Sequence[np.ndarray], n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Zero-pad (or cut) clips to one length: ``(array (n, n_samples), real lengths)`` (chapter 10)."""
    if n_samples < N_FFT:
        raise ValueError(f"n_samples={n_samples} is shorter than one STFT window ({N_FFT})")
    out = np.zeros((len(clips), n_samples), dtype=np.float32)
    lengths = np.empty(len(clips), dtype=int)
    for i, y in enumerate(clips):
        lengths[i] = min(len(y), n_samples)
        out[i, : lengths[i]] = y[: lengths[i]]
    return out, lengths


# --- STFT, masks --------------------------------------------------------------------------------


def _signal(y: np.ndarray, n_fft: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 0 or y.shape[-1] < n_fft:
        raise ValueError(
            f"signal has shape {y.shape}: need at least n_fft={n_fft} samples on the last "
            f"axis; pad it (pad_batch) or lower n_fft"
        )
    return y


def stft(y: np.ndarray, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH) -> np.ndarray:
    """Complex STFT ``(..., 1 + n_fft // 2, 1 + n_samples // hop_length)``, centred, Hann (chapter 10)."""
    y = _signal(y, n_fft)
    return librosa.stft(y=y, n_fft=n_fft, hop_length=hop_length, window="hann", center=True, pad_mode="constant")


def istft(spec: np.ndarray, length: int, hop_length: int = HOP_LENGTH) -> np.ndarray:
    """Inverse of :func:`stft` (weighted overlap-add), cut or padded to ``length`` samples (chapter 10)."""
    spec = np.asarray(spec)
    if spec.ndim < 2 or not np.iscomplexobj(spec):
        raise ValueError(f"istft expects a complex array (..., bins, frames), got {spec.dtype} {spec.shape}")
    n_fft = 2 * (spec.shape[-2] - 1)
    return librosa.istft(spec, hop_length=hop_length, n_fft=n_fft, window="hann", center=True, length=length).astype(
        np.float32
    )


def log_magnitude(spec: np.ndarray, floor: float = 1e-4) -> np.ndarray:
    """``log(|X| + floor)``, float32: the model's view of a (complex) STFT (chapter 10)."""
    return np.log(np.abs(spec) + floor).astype(np.float32)


def apply_mask(noisy: np.ndarray, mask: np.ndarray, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH) -> np.ndarray:
    """Enhanced waveform: ``istft(mask * stft(noisy))``, the noisy phase kept (chapter 10).

    ``mask`` has the STFT's shape ``(..., bins, frames)``; values in [0, 1] only attenuate.
    """
    noisy = _signal(noisy, n_fft)
    spec = stft(noisy, n_fft, hop_length)
    mask = np.asarray(mask, dtype=np.float32)
    if mask.shape != spec.shape:
        raise ValueError(f"mask has shape {mask.shape}, the STFT of the noisy signal {spec.shape}")
    return istft(spec * mask, length=noisy.shape[-1], hop_length=hop_length)


def ideal_ratio_mask(clean_spec: np.ndarray, noise_spec: np.ndarray) -> np.ndarray:
    """The ideal ratio mask ``sqrt(|S|^2 / (|S|^2 + |N|^2))`` in [0, 1], from the true clean and noise STFTs.

    The standard definition (Wang, Narayanan and Wang, 2014, with exponent 1/2): the square root of
    the speech's share of each bin's power (chapter 10).
    """
    clean, noise = np.abs(clean_spec) ** 2, np.abs(noise_spec) ** 2
    return np.sqrt(clean / np.maximum(clean + noise, 1e-24)).astype(np.float32)


def phase_sensitive_mask(clean_spec: np.ndarray, noisy_spec: np.ndarray) -> np.ndarray:
    """The phase-sensitive mask ``|S| cos(phase(S) - phase(X)) / |X|``, clipped to [0, 1] (chapter 10).

    The best real mask in [0, 1] for each bin when the noisy phase is kept (Erdogan et al., 2015).
    """
    ratio = np.real(clean_spec * np.conj(noisy_spec)) / np.maximum(np.abs(noisy_spec) ** 2, 1e-12)
    return np.clip(ratio, 0.0, 1.0).astype(np.float32)


# --- classical baselines ------------------------------------------------------------------------


def noise_power(spec: np.ndarray, quantile: float = 0.2) -> np.ndarray:
    """Noise power per frequency from the noisy clip itself, shape ``(..., bins, 1)`` (chapter 10).

    The ``quantile`` of the power over frames: quiet frames are mostly noise. For stationary
    Gaussian noise the power of a bin is exponential, whose ``q``-quantile is ``-ln(1 - q)``
    times its mean, so dividing by that makes the estimate unbiased when no speech is present.
    """
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    power = np.abs(spec) ** 2
    return np.quantile(power, quantile, axis=-1, keepdims=True) / -np.log1p(-quantile) + 1e-12


def wiener_gain(spec: np.ndarray, quantile: float = 0.2, alpha: float = 0.98, floor_db: float = -20.0) -> np.ndarray:
    """Decision-directed Wiener gain in [floor, 1] for a noisy STFT ``(..., bins, frames)`` (chapter 10).

    A priori SNR ``xi_t = alpha * G_{t-1}^2 gamma_{t-1} + (1 - alpha) max(gamma_t - 1, 0)``
    with the a posteriori SNR ``gamma = |X|^2 / noise power`` (Ephraim and Malah, 1984);
    gain ``G = xi / (1 + xi)``, never below ``floor_db``.
    """
    if not 0 <= alpha < 1:
        raise ValueError(f"alpha must be in [0, 1), got {alpha}")
    gamma = np.abs(spec) ** 2 / noise_power(spec, quantile)
    floor = 10.0 ** (floor_db / 20.0)
    gain = np.empty(gamma.shape, dtype=np.float32)
    previous = np.ones(gamma.shape[:-1])  # G^2 gamma of the frame before (xi = 1 at the start)
    for t in range(gamma.shape[-1]):
        xi = alpha * previous + (1 - alpha) * np.maximum(gamma[..., t] - 1.0, 0.0)
        g = np.maximum(xi / (1.0 + xi), floor)
        gain[..., t] = g
        previous = g**2 * gamma[..., t]
    return gain


def spectral_gate(
    spec: np.ndarray,
    quantile: float = 0.2,
    threshold_db: float = 6.0,
    floor_db: float = -20.0,
    smooth: tuple[int, int] = (3, 5),
) -> np.ndarray:
    """A spectral-gating mask in [floor, 1] for a noisy STFT ``(..., bins, frames)`` (chapter 10).

    A bin passes where its power exceeds the noise power of its frequency (:func:`noise_power`)
    by ``threshold_db`` (6 dB: pure Gaussian noise passes 2 % of the time); the binary gate is
    then smoothed over ``smooth = (bins, frames)`` so that it opens and closes softly, and
    never falls below ``floor_db``.
    """
    power = np.abs(spec) ** 2
    gate = (power > noise_power(spec, quantile) * 10.0 ** (threshold_db / 10.0)).astype(np.float32)
    size = (1,) * (gate.ndim - 2) + tuple(smooth)
    gate = uniform_filter(gate, size=size, mode="nearest")
    floor = 10.0 ** (floor_db / 20.0)
    return np.maximum(gate, floor).astype(np.float32)


def noisereduce_clip(
    y: np.ndarray,
    sr: int,
    stationary: bool = False,
    prop_decrease: float = 1.0,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
) -> np.ndarray:
    """``noisereduce.reduce_noise`` (Sainburg's spectral gating) on one clip, same length, float32 (chapter 10).

    ``stationary`` estimates one noise threshold per frequency from the whole clip; otherwise
    the threshold follows a smoothed noise level over time. ``prop_decrease`` in [0, 1] is how
    much of the gated noise is removed. The STFT defaults are this module's (32 ms, 16 ms hop).
    """
    import noisereduce

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size < n_fft:
        raise ParameterError(f"need one 1-D clip of at least n_fft={n_fft} samples, got shape {y.shape}")
    if not 0.0 <= prop_decrease <= 1.0:
        raise ParameterError(f"prop_decrease must be in [0, 1], got {prop_decrease}")
    out = noisereduce.reduce_noise(
        y=y, sr=sr, stationary=stationary, prop_decrease=prop_decrease, n_fft=n_fft, hop_length=hop_length
    )
    return np.asarray(out, dtype=np.float32)[: y.size]


def noisereduce_clips(clips: Sequence[np.ndarray], sr: int, n_jobs: int = 1, **params: object) -> list[np.ndarray]:
    """:func:`noisereduce_clip` on each clip (``params`` passed on), in ``n_jobs`` processes (joblib) (chapter 10)."""
    if n_jobs == 1:
        return [noisereduce_clip(y, sr, **params) for y in clips]  # type: ignore[arg-type]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs, batch_size=32)(delayed(noisereduce_clip)(y, sr, **params) for y in clips)
