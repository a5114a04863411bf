"""PESQ and STOI wrappers (chapter 10), SI-SDR against fast_bss_eval, and the cluster bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audioml.errors import ParameterError
from audioml.evaluation import enhancement_metrics as em
from audioml.evaluation.separation_metrics import si_sdr

SR = 8000


def speechlike(seconds: float = 0.8, sr: int = SR, seed: int = 0) -> np.ndarray:
    """A harmonic tone with a syllable-rate envelope: enough structure for PESQ and STOI."""
    t = np.arange(int(seconds * sr)) / sr
    f0 = 140 + 20 * np.sin(2 * np.pi * 2 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t + np.random.default_rng(seed).uniform(0, 6))
    return (0.3 * voice * envelope).astype(np.float64)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(16, 3000), level=st.floats(0.01, 5.0), zero_mean=st.booleans())
def test_si_sdr_equals_fast_bss_eval(seed: int, n: int, level: float, zero_mean: bool) -> None:
    from fast_bss_eval import numpy as fast_bss_eval

    rng = np.random.default_rng(seed)
    s = rng.standard_normal(n)
    estimate = 0.7 * s + level * rng.standard_normal(n) + 0.1
    expected = float(fast_bss_eval.si_sdr(s[None], estimate[None], zero_mean=zero_mean)[0])
    assert si_sdr(s, estimate, zero_mean=zero_mean) == pytest.approx(expected, abs=1e-6)


def test_pesq_and_stoi_rank_clean_above_noisy() -> None:
    clean = speechlike()
    noise = np.random.default_rng(1).standard_normal(clean.size)
    slightly, very = clean + 0.02 * noise, clean + 0.3 * noise
    assert em.pesq(clean, clean, SR, "nb") > 4.0
    assert em.pesq(clean, clean, SR, "nb") > em.pesq(clean, slightly, SR, "nb") > em.pesq(clean, very, SR, "nb")
    assert em.stoi(clean, clean, SR) == pytest.approx(1.0, abs=1e-6)
    assert em.stoi(clean, slightly, SR) > em.stoi(clean, very, SR)
    scores = em.score_perceptual([clean, clean], [slightly, very], SR)
    assert scores["pesq_nb"][0] == pytest.approx(em.pesq(clean, slightly, SR, "nb"))
    assert scores["pesq_wb"][0] > scores["pesq_wb"][1] and 1.0 < scores["pesq_wb"][1] < 4.7
    assert scores["stoi"][1] == pytest.approx(em.stoi(clean, very, SR))


def test_bad_input_raises_parameter_errors_that_name_the_value() -> None:
    clean = speechlike()
    with pytest.raises(ParameterError, match=r"\(6400,\) and estimate \(6399,\)"):
        em.pesq(clean, clean[:-1], SR, "nb")
    with pytest.raises(ParameterError, match="sr=44100"):
        em.pesq(clean, clean, 44100, "nb")
    with pytest.raises(ParameterError, match="wb supports sample rates .16000,. Hz only, got sr=8000"):
        em.pesq(clean, clean, SR, "wb")
    with pytest.raises(ParameterError, match="mode must be"):
        em.pesq(clean, clean, SR, "fb")
    with pytest.raises(ParameterError, match="silent .all 6400 samples"):
        em.stoi(np.zeros_like(clean), clean, SR)
    with pytest.raises(ParameterError, match="at least 0.25 s .2000 samples at 8000 Hz., got 1000"):
        em.pesq(clean[:1000], clean[:1000], SR, "nb")
    with pytest.raises(ParameterError, match="0.20 s has too little"):
        em.stoi(clean[:1600], clean[:1600], SR)
    with pytest.raises(ParameterError, match="sr 8000 or 16000 Hz, got sr=22050"):
        em.score_perceptual([clean], [clean], 22050)
    with pytest.raises(ParameterError, match="got 1 and 2"):
        em.score_perceptual([clean], [clean, clean], SR)
    with pytest.raises(ParameterError, match="PESQ .nb, 8000 Hz. failed on a clip of 6400 samples: ValueError"):
        em.pesq(clean, np.zeros_like(clean), SR, "nb")  # nothing left of the speech
    for n_jobs in (1, 2):
        kept = em.score_perceptual([clean, clean], [np.zeros_like(clean), clean], SR, n_jobs=n_jobs, on_error="nan")
        assert np.isnan(kept["pesq_nb"][0]) and np.isnan(kept["pesq_wb"][0]) and kept["pesq_nb"][1] > 4.0
    with pytest.raises(ParameterError, match="on_error must be"):
        em.score_perceptual([clean], [clean], SR, on_error="skip")
