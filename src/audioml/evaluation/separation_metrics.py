"""How clean is an enhanced signal? SNR and SI-SDR, and their improvements (chapter 10).

Every function compares a *reference* (the clean speech) with an *estimate* (the noisy
mixture, or a denoiser's output) along the last axis, so one call scores a whole batch of
equal-length clips. Values are in dB; higher is better.

- :func:`snr` is ``10 log10(|s|^2 / |s - s_hat|^2)``: it punishes any gain change.
- :func:`si_sdr` (scale-invariant signal-to-distortion ratio, Le Roux et al. 2019) first
  scales the reference to fit the estimate best, so a louder or quieter but otherwise
  perfect estimate scores as well as the original.
- :func:`improvement` is ``metric(s, enhanced) - metric(s, noisy)``: what the denoiser bought.

Intervals that resample the noise recordings behind the mixtures are in :mod:`audioml.evaluation.uncertainty`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Metric = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _pair(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    if reference.shape != estimate.shape:
        raise ValueError(
            f"reference has shape {reference.shape} but estimate {estimate.shape}; "
            f"cut both to the same (real, unpadded) length first"
        )
    if reference.ndim == 0 or reference.shape[-1] < 2:
        raise ValueError(f"signals need at least 2 samples along the last axis, got shape {reference.shape}")
    if not (np.all(np.isfinite(reference)) and np.all(np.isfinite(estimate))):
        raise ValueError("signals hold non-finite samples (NaN or inf)")
    return reference, estimate


def _ratio_db(signal_energy: np.ndarray, error_energy: np.ndarray) -> np.ndarray | float:
    with np.errstate(divide="ignore"):
        out = 10.0 * (np.log10(signal_energy) - np.log10(error_energy))
    out = np.where(error_energy == 0, np.inf, out)  # a perfect estimate: +inf dB
    return float(out) if out.ndim == 0 else out


def snr(reference: np.ndarray, estimate: np.ndarray) -> np.ndarray | float:
    """Signal-to-noise ratio of ``estimate`` against ``reference`` in dB, over the last axis (chapters 10, 11).

    The "noise" is everything that differs, ``estimate - reference``; ``+inf`` if they are equal.
    """
    reference, estimate = _pair(reference, estimate)
    signal_energy = np.sum(reference**2, axis=-1)
    if np.any(signal_energy == 0):
        raise ValueError("the reference is all zeros somewhere; SNR is undefined for silence")
    return _ratio_db(signal_energy, np.sum((estimate - reference) ** 2, axis=-1))


def si_sdr(reference: np.ndarray, estimate: np.ndarray, zero_mean: bool = True) -> np.ndarray | float:
    """Scale-invariant SDR in dB over the last axis (Le Roux et al., 2019) (chapter 10).

    ``alpha = <estimate, reference> / |reference|^2`` scales the reference to its best fit;
    then ``SI-SDR = 10 log10(|alpha s|^2 / |alpha s - estimate|^2)``. With ``zero_mean``
    both signals lose their mean first (the common convention, also in the paper's code).
    Scaling the estimate by any non-zero factor leaves the value unchanged.
    """
    reference, estimate = _pair(reference, estimate)
    if zero_mean:
        reference = reference - reference.mean(axis=-1, keepdims=True)
        estimate = estimate - estimate.mean(axis=-1, keepdims=True)
    reference_energy = np.sum(reference**2, axis=-1, keepdims=True)
    if np.any(reference_energy == 0):
        raise ValueError(
            "the reference is constant (all zeros after removing its mean) somewhere; SI-SDR is undefined for silence"
        )
    alpha = np.sum(estimate * reference, axis=-1, keepdims=True) / reference_energy
    target = alpha * reference
    return _ratio_db(np.sum(target**2, axis=-1), np.sum((estimate - target) ** 2, axis=-1))


def improvement(metric: Metric, reference: np.ndarray, noisy: np.ndarray, enhanced: np.ndarray) -> np.ndarray | float:
    """``metric(reference, enhanced) - metric(reference, noisy)`` in dB: e.g. SI-SDR improvement (chapter 10)."""
    return metric(reference, enhanced) - metric(reference, noisy)


def score_clips(
    references: list[np.ndarray], noisy: list[np.ndarray], enhanced: list[np.ndarray]
) -> dict[str, np.ndarray]:
    """Per-clip SNR and SI-SDR, before and after, for clips of different lengths (chapter 10).

    Returns arrays ``snr_in``, ``snr_out``, ``si_sdr_in``, ``si_sdr_out`` and the two
    improvements ``snr_i`` and ``si_sdr_i``, one value per clip.
    """
    if not len(references) == len(noisy) == len(enhanced):
        raise ValueError(
            f"need as many noisy and enhanced clips as references, got "
            f"{len(references)}, {len(noisy)} and {len(enhanced)}"
        )
    rows = {key: np.empty(len(references)) for key in ("snr_in", "snr_out", "si_sdr_in", "si_sdr_out")}
    for i, (s, x, y) in enumerate(zip(references, noisy, enhanced)):
        rows["snr_in"][i], rows["snr_out"][i] = snr(s, x), snr(s, y)
        rows["si_sdr_in"][i], rows["si_sdr_out"][i] = si_sdr(s, x), si_sdr(s, y)
    rows["snr_i"] = rows["snr_out"] - rows["snr_in"]
    rows["si_sdr_i"] = rows["si_sdr_out"] - rows["si_sdr_in"]
    return rows
