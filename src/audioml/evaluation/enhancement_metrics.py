"""PESQ and STOI, the perceptual metrics speech-enhancement papers report, checked inputs (chapter 10).

SNR and SI-SDR (:mod:`audioml.evaluation.separation_metrics`) measure energy; listeners hear something else.
Two standard models of the listener:

- **PESQ** (ITU-T P.862, the ``pesq`` package): a predicted mean opinion score, about 1 (bad) to
  4.5 (clean). ``"nb"`` (narrow band, P.862.1 mapping) runs at 8 or 16 kHz; ``"wb"`` (wide band,
  P.862.2) only at 16 kHz. It needs at least 0.25 s of signal.
- **STOI** (short-time objective intelligibility, Taal et al. 2011, the ``pystoi`` package): the
  mean correlation of short-time envelopes in one-third-octave bands, about 0 to 1. It works on
  384 ms stretches of speech after dropping silent frames, so a clip needs about 0.4 s of speech.

Each package is imported inside the function that uses it. Bad input raises ParameterError
(a ValueError) naming the value; where a package would return a placeholder (pystoi returns
1e-5 when a clip is too short) this module raises instead, so no placeholder enters a mean.
"""

from __future__ import annotations

import warnings

import numpy as np

from audioml.errors import ParameterError

_PESQ_RATES = {"nb": (8000, 16000), "wb": (16000,)}
_PESQ_MIN_SECONDS = 0.25


def _pair(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    if reference.ndim != 1 or reference.shape != estimate.shape:
        raise ParameterError(
            f"need two 1-D signals of the same length, got reference {reference.shape} and "
            f"estimate {estimate.shape}; cut both to the clip's real length first"
        )
    if not (np.all(np.isfinite(reference)) and np.all(np.isfinite(estimate))):
        raise ParameterError("signals hold non-finite samples (NaN or inf)")
    if not np.any(reference):
        raise ParameterError(
            f"the reference is silent (all {reference.size} samples are zero); "
            f"PESQ and STOI compare with a speech reference"
        )
    return reference, estimate


def pesq(reference: np.ndarray, estimate: np.ndarray, sr: int, mode: str = "wb") -> float:
    """PESQ (ITU-T P.862) of ``estimate`` against the clean ``reference``: ``mode`` "nb" or "wb"."""
    from pesq import PesqError
    from pesq import pesq as pesq_of

    if mode not in _PESQ_RATES:
        raise ParameterError(f"PESQ mode must be 'nb' or 'wb', got {mode!r}")
    if sr not in _PESQ_RATES[mode]:
        raise ParameterError(
            f"PESQ {mode} supports sample rates {_PESQ_RATES[mode]} Hz only, got sr={sr!r}; "
            f"resample first (wide band needs 16000 Hz)"
        )
    reference, estimate = _pair(reference, estimate)
    if reference.size < _PESQ_MIN_SECONDS * sr:
        raise ParameterError(
            f"PESQ needs at least {_PESQ_MIN_SECONDS} s ({int(_PESQ_MIN_SECONDS * sr)} samples "
            f"at {sr} Hz), got {reference.size} samples"
        )
    try:
        return float(pesq_of(sr, reference, estimate, mode))
    except (PesqError, ValueError) as error:  # cypesq's own errors do not unpickle in worker processes
        raise ParameterError(
            f"PESQ ({mode}, {sr} Hz) failed on a clip of {reference.size} samples: {type(error).__name__}: {error}"
        ) from None


def stoi(reference: np.ndarray, estimate: np.ndarray, sr: int, extended: bool = False) -> float:
    """STOI (or extended STOI) of ``estimate`` against the clean ``reference`` at ``sr`` Hz
    (pystoi resamples to 10 kHz)."""
    from pystoi import stoi as stoi_of

    if not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise ParameterError(f"sr must be a positive integer (Hz), got {sr!r}")
    reference, estimate = _pair(reference, estimate)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = float(stoi_of(reference, estimate, sr, extended=extended))
    if any("Not enough STFT frames" in str(w.message) for w in caught):
        raise ParameterError(
            f"STOI needs about 0.4 s of speech after silent frames are dropped; this clip of "
            f"{reference.size / sr:.2f} s has too little (pystoi would return 1e-5)"
        )
    return value


def _score_one(reference: np.ndarray, estimate: np.ndarray, sr: int, on_error: str) -> tuple[float, float, float]:
    from scipy.signal import resample_poly

    wideband = (resample_poly(reference, 16000 // sr, 1), resample_poly(estimate, 16000 // sr, 1))
    scores = []
    for score in (
        lambda: pesq(reference, estimate, sr, "nb"),
        lambda: pesq(*wideband, 16000, "wb"),
        lambda: stoi(reference, estimate, sr),
    ):
        try:
            scores.append(score())
        except ParameterError:
            if on_error == "raise":
                raise
            scores.append(float("nan"))
    return scores[0], scores[1], scores[2]


def score_perceptual(
    references: list[np.ndarray], estimates: list[np.ndarray], sr: int = 8000, n_jobs: int = 1, on_error: str = "raise"
) -> dict[str, np.ndarray]:
    """Per-clip narrow-band PESQ, wide-band PESQ and STOI of clips of different lengths (chapter 10).

    ``sr`` is 8000 or 16000. Wide-band PESQ needs 16 kHz, so 8-kHz clips are upsampled first
    (``scipy.signal.resample_poly``, by 2); they hold nothing above 4 kHz, which P.862.2 then
    hears as a band-limited signal. ``n_jobs`` processes share the clips (joblib). A clip a
    metric cannot score raises ParameterError, or with ``on_error="nan"`` gets NaN for that
    metric, for the caller to count and report.
    """
    if on_error not in ("raise", "nan"):
        raise ParameterError(f"on_error must be 'raise' or 'nan', got {on_error!r}")
    if sr not in (8000, 16000):
        raise ParameterError(f"score_perceptual supports sr 8000 or 16000 Hz, got sr={sr!r}")
    if len(references) != len(estimates):
        raise ParameterError(f"need one estimate per reference, got {len(references)} and {len(estimates)}")
    if n_jobs == 1:
        rows = [_score_one(s, y, sr, on_error) for s, y in zip(references, estimates)]
    else:
        from joblib import Parallel, delayed

        rows = Parallel(n_jobs=n_jobs, batch_size=32)(
            delayed(_score_one)(s, y, sr, on_error) for s, y in zip(references, estimates)
        )
    values = np.array(rows, dtype=float).reshape(-1, 3)
    return {"pesq_nb": values[:, 0], "pesq_wb": values[:, 1], "stoi": values[:, 2]}
