"""Augmentations keep dtype and length, hit the requested SNR, and are reproducible from a seed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audioml.dsp import augment

SR = 8000


def tone(n: int = SR, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.standard_normal(n)).astype(np.float32)


@settings(max_examples=40, deadline=None)
@given(snr=st.floats(-10, 30), seed=st.integers(0, 2**16), n=st.integers(200, 4000))
def test_add_noise_hits_the_target_snr_within_a_tenth_of_a_db(snr: float, seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    clean = tone(n, seed)
    noise = augment.noise_segment(rng.standard_normal(3 * n).astype(np.float32), n, rng)
    noisy = augment.add_noise(clean, noise, snr)
    measured = augment.snr_db(clean, noisy.astype(np.float64) - clean)
    assert abs(measured - snr) <= 0.1
    assert noisy.dtype == np.float32 and noisy.shape == clean.shape


@pytest.mark.parametrize(
    "transform",
    [
        lambda y: augment.time_stretch(y, 0.8),
        lambda y: augment.time_stretch(y, 1.25),
        lambda y: augment.pitch_shift(y, SR, 2.0),
        lambda y: augment.time_shift(y, 300),
        lambda y: augment.blend(y, tone(seed=1), 0.3),
        lambda y: augment.speed_change(y, 0.9),
        lambda y: augment.speed_change(y, 1.1),
        lambda y: augment.gain(y, -6.0),
    ],
    ids=["stretch-slow", "stretch-fast", "pitch", "shift", "mix", "speed-slow", "speed-fast", "gain"],
)
def test_augmentations_keep_dtype_and_length(transform) -> None:
    y = tone()
    out = transform(y)
    assert out.dtype == np.float32 and out.shape == y.shape and np.all(np.isfinite(out))


@settings(max_examples=30, deadline=None)
@given(shift=st.integers(-5000, 5000))
def test_time_shift_moves_samples_and_fills_silence(shift: int) -> None:
    y = np.arange(1, 2001, dtype=np.float32)
    out = augment.time_shift(y, shift)
    kept = max(0, y.size - abs(shift))
    assert np.count_nonzero(out) == kept
    if 0 < kept and shift >= 0:
        assert out[shift] == y[0]


def test_pitch_shift_by_an_octave_doubles_the_frequency() -> None:
    shifted = augment.pitch_shift(tone(), SR, 12.0)
    spectrum = np.abs(np.fft.rfft(shifted * np.hanning(shifted.size)))
    assert abs(np.argmax(spectrum) * SR / shifted.size - 880) < 10


@pytest.mark.parametrize("rate", [0.8, 1.25])
def test_speed_change_scales_the_frequency_by_the_rate(rate: float) -> None:
    faster = augment.speed_change(tone(), rate)
    spectrum = np.abs(np.fft.rfft(faster * np.hanning(faster.size)))
    assert abs(np.argmax(spectrum) * SR / faster.size - 440 * rate) < 5


@settings(max_examples=30, deadline=None)
@given(db=st.floats(-40, 40))
def test_gain_changes_the_power_by_the_requested_decibels(db: float) -> None:
    y = tone()
    assert abs(10 * np.log10(augment.power(augment.gain(y, db)) / augment.power(y)) - db) <= 1e-3


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: augment.add_noise(tone(), np.zeros(SR, np.float32), 5), "all zeros"),
        (lambda: augment.add_noise(tone(), tone(100), 5), "noise_segment"),
        (lambda: augment.time_stretch(tone(), 10), "rate"),
        (lambda: augment.pitch_shift(tone(), SR, 20), "octave"),
        (lambda: augment.blend(tone(), tone(), 1.5), "weight"),
        (lambda: augment.speed_change(tone(), 3.0), "speed"),
        (lambda: augment.gain(tone(), 100), "gain"),
        (lambda: augment.time_shift(np.zeros((2, 2), np.float32), 1), "mono"),
    ],
)
def test_bad_input_gives_a_clear_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_pipeline_refuses_augmentation_outside_training() -> None:
    tfdata = pytest.importorskip("audioml.prep.tfdata")
    x, y = np.zeros((4, 100), np.float32), np.arange(4)
    with pytest.raises(ValueError, match="training side only"):
        tfdata.make_dataset(x, y, batch_size=2, training=False, augment=lambda s, r: s)


def test_pipeline_augments_every_epoch_and_keeps_labels() -> None:
    tfdata = pytest.importorskip("audioml.prep.tfdata")
    x = np.tile(np.arange(1, 101, dtype=np.float32), (6, 1))
    labels = np.arange(6)
    dataset = tfdata.make_dataset(
        x,
        labels,
        batch_size=3,
        training=True,
        seed=0,
        augment=lambda s, rng: augment.time_shift(s, int(rng.integers(1, 50))),
    )
    epochs = [np.concatenate([b.numpy() for b, _ in dataset]) for _ in range(2)]
    seen = np.concatenate([lab.numpy() for _, lab in dataset])
    assert sorted(seen) == list(labels)
    assert epochs[0].shape == x.shape and not np.array_equal(epochs[0], epochs[1])
