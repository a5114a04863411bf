"""Chapter 10's denoising helpers: split noise, exact mixtures, STFT round trip, masks and classical baselines."""

from __future__ import annotations

import itertools

import librosa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import get_window

from audioml.dsp import activity, augment, denoise
from audioml.evaluation.separation_metrics import si_sdr, snr

SR = 8000


def numpy_stft(y: np.ndarray, n_fft: int = 256, hop: int = 64) -> np.ndarray:
    """The oracle: centred frames (n_fft / 2 zeros each side), periodic Hann, rfft; (bins, frames)."""
    padded = np.pad(y.astype(np.float64), n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop] * get_window("hann", n_fft)
    return np.fft.rfft(frames, axis=1).T


def tone_in_noise(n: int = SR, seed: int = 0, noise: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """A 1 kHz tone that sounds in the middle 40 % of the clip (like a word), and white noise throughout."""
    rng = np.random.default_rng(seed)
    gate = (np.arange(n) >= 0.3 * n) & (np.arange(n) < 0.7 * n)
    clean = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(n) / SR) * gate).astype(np.float32)
    return clean, (noise * rng.standard_normal(n)).astype(np.float32)


# --- noise splits and mixtures ----------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(n=st.integers(100, 10**7), first=st.floats(0.05, 0.9))
def test_split_by_time_cuts_disjoint_consecutive_ranges(n: int, first: float) -> None:
    shares = (first, (1 - first) / 3, 2 * (1 - first) / 3)
    ranges = denoise.split_by_time(n, shares)
    denoise.assert_disjoint(ranges)
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert abs(ranges[0][1] - first * n) <= 1


def test_split_by_time_and_assert_disjoint_refuse_bad_input() -> None:
    assert denoise.split_by_time(100, (0.6, 0.1, 0.3)) == [(0, 60), (60, 70), (70, 100)]
    with pytest.raises(ValueError, match="sum to 1"):
        denoise.split_by_time(100, (0.7, 0.7))
    with pytest.raises(ValueError, match="non-empty|empty"):
        denoise.split_by_time(2, (0.5, 0.25, 0.25))
    with pytest.raises(ValueError, match="overlap"):
        denoise.assert_disjoint([(0, 70), (60, 100)])
    denoise.assert_disjoint([(70, 100), (0, 70)])  # touching is fine, order does not matter


def test_trim_silent_ends() -> None:
    y = np.concatenate([np.zeros(100), [0.5, 0.0, -0.5], np.zeros(50)]).astype(np.float32)
    np.testing.assert_array_equal(activity.trim_silent_ends(y), [0.5, 0.0, -0.5])
    with pytest.raises(ValueError, match="silent"):
        activity.trim_silent_ends(np.zeros(100))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), target=st.floats(-5.0, 10.0))
def test_mix_hits_the_snr_exactly_and_repeats_with_the_seed(seed: int, target: float) -> None:
    clean, _ = tone_in_noise(3000, seed)
    rng = np.random.default_rng(seed)
    noises = [rng.standard_normal(5000).astype(np.float32), rng.uniform(-1, 1, 9000).astype(np.float32)]
    noisy, which = denoise.mix(clean, noises, target, np.random.default_rng(seed))
    assert noisy.dtype == np.float32 and noisy.shape == clean.shape and which in (0, 1)
    assert snr(clean, noisy) == pytest.approx(target, abs=1e-3)
    again, which_again = denoise.mix(clean, noises, target, np.random.default_rng(seed))
    assert which_again == which and np.array_equal(again, noisy)
    # the added noise is a scaled excerpt of the chosen recording
    added = noisy.astype(np.float64) - clean
    windows = np.lib.stride_tricks.sliding_window_view(noises[which], clean.size)
    correlation = windows @ added / (np.linalg.norm(windows, axis=1) * np.linalg.norm(added))
    assert correlation.max() > 0.999


def test_pad_batch_keeps_real_lengths() -> None:
    batch, lengths = denoise.pad_batch([np.ones(300), np.ones(700)], 500)
    assert batch.shape == (2, 500) and lengths.tolist() == [300, 500]
    assert batch[0, 300:].sum() == 0 and batch[1].sum() == 500
    with pytest.raises(ValueError, match="shorter"):
        denoise.pad_batch([np.ones(10)], 100)


# --- STFT and masks ---------------------------------------------------------------------------


@pytest.mark.parametrize("hop", [64, 128])
def test_stft_matches_a_numpy_oracle(hop: int) -> None:
    y, noise = tone_in_noise(3000)
    spec = denoise.stft(y + noise, hop_length=hop)
    assert spec.shape == (129, 1 + 3000 // hop)
    np.testing.assert_allclose(spec, numpy_stft(y + noise, hop=hop), atol=2e-4)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(256, 6000), seed=st.integers(0, 2**16), batch=st.integers(1, 3), hop=st.sampled_from([64, 128]))
def test_istft_inverts_stft(n: int, seed: int, batch: int, hop: int) -> None:
    y = np.random.default_rng(seed).standard_normal((batch, n)).astype(np.float32)
    spec = denoise.stft(y, hop_length=hop)
    restored = denoise.istft(spec, length=n, hop_length=hop)
    # Where the last frame ends short of the clip, its last samples lie under the Hann windows'
    # near-zero tails: dividing by that coverage magnifies float32 rounding there (up to ~2e-4).
    coverage = librosa.filters.window_sumsquare(
        window="hann", n_frames=spec.shape[-1], hop_length=hop, n_fft=denoise.N_FFT
    )
    covered = coverage[denoise.N_FFT // 2 :][:n] > 0.1
    np.testing.assert_allclose(restored[:, covered], y[:, covered], atol=5e-6)  # float32 rounding
    np.testing.assert_allclose(restored[:, ~covered], y[:, ~covered], atol=2e-3)


def test_apply_mask_keeps_the_noisy_phase() -> None:
    clean, noise = tone_in_noise(4000)
    noisy = clean + noise
    spec = denoise.stft(noisy)
    np.testing.assert_allclose(denoise.apply_mask(noisy, np.ones(spec.shape)), noisy, atol=1e-5)
    np.testing.assert_allclose(denoise.apply_mask(noisy, np.zeros(spec.shape)), 0.0, atol=1e-7)
    half = denoise.apply_mask(noisy, np.full(spec.shape, 0.5))
    np.testing.assert_allclose(half, 0.5 * noisy, atol=1e-5)
    with pytest.raises(ValueError, match="mask has shape"):
        denoise.apply_mask(noisy, np.ones((129, 3)))
    with pytest.raises(ValueError, match="n_fft"):
        denoise.stft(np.ones(100))


def test_oracle_masks_are_in_range_and_denoise() -> None:
    clean, noise = tone_in_noise(8000, noise=0.5)
    noisy = clean + noise
    S, N, X = denoise.stft(clean), denoise.stft(noise), denoise.stft(noisy)
    irm, psm = denoise.ideal_ratio_mask(S, N), denoise.phase_sensitive_mask(S, X)
    for mask in (irm, psm):
        assert mask.min() >= 0 and mask.max() <= 1
        assert si_sdr(clean, denoise.apply_mask(noisy, mask)) > si_sdr(clean, noisy) + 10
    # without noise the phase-sensitive mask passes everything
    assert np.all(denoise.phase_sensitive_mask(S, S)[np.abs(S) > 1e-3] > 0.999)


def test_ideal_ratio_mask_is_the_root_of_the_speech_power_share() -> None:
    rng = np.random.default_rng(0)
    S = rng.standard_normal((5, 7)) + 1j * rng.standard_normal((5, 7))
    N = rng.standard_normal((5, 7)) + 1j * rng.standard_normal((5, 7))
    speech, noise = denoise.ideal_ratio_mask(S, N), denoise.ideal_ratio_mask(N, S)
    np.testing.assert_allclose(speech**2 + noise**2, 1.0, rtol=1e-5)  # the power shares sum to one
    np.testing.assert_allclose(speech, np.abs(S) / np.hypot(np.abs(S), np.abs(N)), rtol=1e-5)
    assert denoise.ideal_ratio_mask(np.zeros(3), np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_log_magnitude_floor() -> None:
    spec = np.array([[0.0, 1.0, np.e - 1e-4]], dtype=np.complex64)
    np.testing.assert_allclose(denoise.log_magnitude(spec), [[np.log(1e-4), np.log(1 + 1e-4), 1.0]], atol=1e-5)


# --- classical baselines ----------------------------------------------------------------------


def test_noise_power_is_unbiased_for_white_noise() -> None:
    sigma = 0.2
    noise = sigma * np.random.default_rng(0).standard_normal(80000)
    expected = sigma**2 * np.sum(get_window("hann", 256) ** 2)  # E|X_k|^2 for white noise
    for q in (0.1, 0.2, 0.5):
        estimate = denoise.noise_power(denoise.stft(noise), q)[5:-5, 0]
        assert estimate.shape == (119,)
        assert np.median(estimate) / expected == pytest.approx(1.0, abs=0.1)
    with pytest.raises(ValueError, match="quantile"):
        denoise.noise_power(denoise.stft(noise), 1.0)


@pytest.mark.parametrize("gain", [denoise.wiener_gain, denoise.spectral_gate])
def test_baselines_pass_a_tone_and_attenuate_white_noise(gain) -> None:
    clean, noise = tone_in_noise(8000)
    spec = denoise.stft(clean + noise)
    g = gain(spec, floor_db=-20.0)
    assert g.shape == spec.shape and g.min() >= 10 ** (-20 / 20) - 1e-6 and g.max() <= 1.0
    tone_bin, n_frames = 1000 * 256 // SR, spec.shape[1]
    sounding = slice(int(0.35 * n_frames), int(0.65 * n_frames))
    assert np.median(g[tone_bin, sounding]) > 0.9  # the tone passes
    assert np.median(g[tone_bin, 5 : int(0.25 * n_frames)]) < 0.3  # its bin closes when it stops
    assert np.median(g[80:, 5:-5]) < 0.3  # noise-only bins are attenuated
    enhanced = denoise.istft(spec * g, length=8000)
    assert si_sdr(clean, enhanced) > si_sdr(clean, clean + noise) + 6
    batch = gain(np.stack([spec, spec]), floor_db=-20.0)
    np.testing.assert_allclose(batch[1], g, atol=1e-6)


def test_wiener_gain_refuses_a_bad_smoothing_constant() -> None:
    with pytest.raises(ValueError, match="alpha"):
        denoise.wiener_gain(denoise.stft(np.ones(1000)), alpha=1.0)


def test_mixture_snr_agrees_with_augment() -> None:
    clean, noise = tone_in_noise(4000)
    noisy = augment.add_noise(clean, noise, 3.0)
    assert augment.snr_db(clean, noisy.astype(np.float64) - clean) == pytest.approx(snr(clean, noisy), abs=1e-9)


def test_noisereduce_clip_removes_white_noise_keeps_the_length_and_checks_its_arguments() -> None:
    clean, noise = tone_in_noise()
    noisy = clean + noise
    before_word = slice(0, int(0.25 * SR))  # noise only
    for stationary in (True, False):
        out = denoise.noisereduce_clip(noisy, SR, stationary=stationary)
        assert out.shape == noisy.shape and out.dtype == np.float32
        attenuation_db = snr(noisy[before_word], noisy[before_word] - out[before_word])
        assert attenuation_db > 3.0, f"noise alone should lose more than 3 dB, lost {attenuation_db:.1f}"
    # the adaptive (non-stationary) gate keeps the tone; the stationary one, whose threshold is set by the
    # clip's own mean + 1.5 sd per frequency, gates out a tone that sounds 40 % of the time: measured here
    assert si_sdr(clean, denoise.noisereduce_clip(noisy, SR)) > si_sdr(clean, noisy) + 0.5
    untouched = denoise.noisereduce_clip(noisy, SR, prop_decrease=0.0)
    assert si_sdr(noisy, untouched) > 40, "prop_decrease 0 removes nothing"
    with pytest.raises(ValueError, match="prop_decrease must be in .0, 1., got 1.5"):
        denoise.noisereduce_clip(noisy, SR, prop_decrease=1.5)
    with pytest.raises(ValueError, match=r"shape \(100,\)"):
        denoise.noisereduce_clip(noisy[:100], SR)


def test_noisereduce_clips_in_two_processes_equal_one() -> None:
    clean, noise = tone_in_noise(n=4000)
    clips = [clean + noise, clean + 0.5 * noise, (clean + noise)[:3000]]
    serial = denoise.noisereduce_clips(clips, SR, prop_decrease=0.8)
    parallel = denoise.noisereduce_clips(clips, SR, n_jobs=2, prop_decrease=0.8)
    assert [len(y) for y in parallel] == [4000, 4000, 3000]
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)
