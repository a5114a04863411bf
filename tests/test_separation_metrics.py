"""SNR and SI-SDR (chapter 10) against hand-computed values, the correlation identity and their properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audioml.dsp import augment
from audioml.evaluation.separation_metrics import improvement, score_clips, si_sdr, snr

S = np.array([1.0, -1.0, 1.0, -1.0])
S_HAT = np.array([2.0, -1.0, 1.0, -1.0])


def test_si_sdr_matches_a_value_computed_by_hand() -> None:
    # zero mean: s_hat - 0.25 = [1.75, -1.25, 0.75, -1.25]; alpha = 5 / 4; target = 1.25 s;
    # error = [0.5, 0, -0.5, 0]; |target|^2 = 6.25, |error|^2 = 0.5 -> 10 log10(12.5)
    assert si_sdr(S, S_HAT) == pytest.approx(10 * np.log10(12.5), abs=1e-12)
    # without removing the mean: error = [0.75, 0.25, -0.25, 0.25], |error|^2 = 0.75 -> 10 log10(6.25 / 0.75)
    assert si_sdr(S, S_HAT, zero_mean=False) == pytest.approx(10 * np.log10(6.25 / 0.75), abs=1e-12)


def test_snr_matches_a_value_computed_by_hand() -> None:
    # |s|^2 = 4, |s_hat - s|^2 = 1 -> 10 log10(4)
    assert snr(S, S_HAT) == pytest.approx(10 * np.log10(4.0), abs=1e-12)


def signals(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n), rng.standard_normal(n)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(8, 2000), noise_level=st.floats(0.01, 10.0))
def test_si_sdr_equals_the_correlation_identity(seed: int, n: int, noise_level: float) -> None:
    """For zero-mean signals SI-SDR = 10 log10(rho^2 / (1 - rho^2)), rho the Pearson correlation."""
    s, noise = signals(seed, n)
    estimate = s + noise_level * noise
    rho = np.corrcoef(s, estimate)[0, 1]
    assert si_sdr(s, estimate) == pytest.approx(10 * np.log10(rho**2 / (1 - rho**2)), abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.floats(1e-3, 1e3), negative=st.booleans())
def test_si_sdr_ignores_the_scale_of_the_estimate_and_the_reference(seed: int, scale: float, negative: bool) -> None:
    s, noise = signals(seed, 500)
    estimate = s + 0.5 * noise
    factor = -scale if negative else scale
    assert si_sdr(s, factor * estimate) == pytest.approx(si_sdr(s, estimate), abs=1e-8)
    assert si_sdr(factor * s, estimate) == pytest.approx(si_sdr(s, estimate), abs=1e-8)
    if scale != 1.0:  # SNR does punish a gain change
        assert snr(s, scale * s) < np.inf


def test_identical_signals_score_infinite_or_very_high() -> None:
    s, _ = signals(0, 1000)
    assert snr(s, s) == np.inf
    assert si_sdr(s, s) > 100
    assert si_sdr(s, 3.0 * s) > 100 and snr(s, 3.0 * s) == pytest.approx(10 * np.log10(1 / 4), abs=1e-9)


@pytest.mark.parametrize("target_db", [-5.0, 0.0, 7.5, 20.0])
def test_signal_plus_orthogonal_noise_scores_the_snr_it_was_mixed_at(target_db: float) -> None:
    n = 8000
    t = np.arange(n)
    s = np.sin(2 * np.pi * 50 * t / n)  # whole periods: zero mean and orthogonal
    noise = np.cos(2 * np.pi * 173 * t / n)
    assert abs(s @ noise) < 1e-8
    noise *= np.sqrt(np.sum(s**2) / np.sum(noise**2) / 10 ** (target_db / 10))
    assert si_sdr(s, s + noise) == pytest.approx(target_db, abs=1e-9)
    assert snr(s, s + noise) == pytest.approx(target_db, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), target_db=st.floats(-10, 20))
def test_snr_of_an_add_noise_mixture_is_exact(seed: int, target_db: float) -> None:
    rng = np.random.default_rng(seed)
    clean = rng.standard_normal(4000).astype(np.float32)
    noisy = augment.add_noise(clean, rng.standard_normal(4000).astype(np.float32), target_db)
    assert snr(clean, noisy) == pytest.approx(target_db, abs=1e-3)
    assert snr(clean, noisy) == pytest.approx(augment.snr_db(clean, noisy.astype(np.float64) - clean), abs=1e-9)


def test_batches_are_scored_row_by_row() -> None:
    rng = np.random.default_rng(1)
    s, noise = rng.standard_normal((2, 5, 300))
    estimate = s + rng.uniform(0.1, 2.0, size=(5, 1)) * noise
    np.testing.assert_allclose(si_sdr(s, estimate), [si_sdr(a, b) for a, b in zip(s, estimate)])
    np.testing.assert_allclose(snr(s, estimate), [snr(a, b) for a, b in zip(s, estimate)])
    assert si_sdr(s, estimate).shape == (5,)


def test_improvement_is_the_difference_of_the_two_scores() -> None:
    s, noise = signals(2, 1000)
    noisy, enhanced = s + noise, s + 0.1 * noise
    assert improvement(si_sdr, s, noisy, noisy) == 0.0
    assert improvement(snr, s, noisy, enhanced) == pytest.approx(20.0, abs=1e-9)  # noise 10x smaller: +20 dB
    assert improvement(si_sdr, s, noisy, enhanced) == pytest.approx(si_sdr(s, enhanced) - si_sdr(s, noisy))


def test_score_clips_handles_clips_of_different_lengths() -> None:
    rng = np.random.default_rng(3)
    clean = [rng.standard_normal(n) for n in (300, 500, 800)]
    noisy = [c + rng.standard_normal(c.size) for c in clean]
    enhanced = [c + 0.5 * (x - c) for c, x in zip(clean, noisy)]
    scores = score_clips(clean, noisy, enhanced)
    np.testing.assert_allclose(scores["snr_i"], 20 * np.log10(2), atol=1e-9)
    np.testing.assert_allclose(scores["si_sdr_i"], scores["si_sdr_out"] - scores["si_sdr_in"])
    assert all(v.shape == (3,) for v in scores.values())
    with pytest.raises(ValueError, match="as many"):
        score_clips(clean, noisy[:2], enhanced)


def test_bad_input_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="same"):
        si_sdr(np.ones(10), np.ones(12))
    with pytest.raises(ValueError, match="silence|constant"):
        si_sdr(np.zeros(10), np.ones(10))
    with pytest.raises(ValueError, match="silence"):
        snr(np.zeros(10), np.ones(10))
    with pytest.raises(ValueError, match="non-finite"):
        snr(np.ones(10), np.full(10, np.nan))
    with pytest.raises(ValueError, match="2 samples"):
        si_sdr(np.ones(1), np.ones(1))
