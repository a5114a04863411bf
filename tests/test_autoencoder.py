"""Chapter 10's mask U-Net and its waveform trainer: shapes, ranges, and an ISTFT that matches denoise.istft."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

from audioml.dsp import denoise
from audioml.evaluation.separation_metrics import si_sdr
from audioml.models.autoencoder import build_mask_unet, build_waveform_trainer, negative_si_sdr

N_SAMPLES = 31 * 128  # 32 frames of hop 128


def constant_mask_model(value: float, n_frames: int = 32) -> keras.Model:
    """A 'model' that answers the same mask everywhere: an oracle for the trainer's ISTFT."""
    inputs = keras.Input((129, n_frames, 1))
    return keras.Model(inputs, keras.layers.Lambda(lambda x: x[..., 0] * 0.0 + value)(inputs))


@pytest.mark.parametrize("n_frames", [32, None])
def test_unet_gives_a_mask_of_the_input_shape(n_frames) -> None:
    model = build_mask_unet(n_frames=n_frames, filters=(4, 8), bottleneck=8)
    x = np.random.default_rng(0).standard_normal((2, 129, 32, 1)).astype(np.float32)
    mask = np.asarray(model(x, training=False))
    assert mask.shape == (2, 129, 32)
    assert mask.min() >= 0 and mask.max() <= 1
    assert np.all(mask[:, -1] == 0)  # the Nyquist bin is dropped


def test_unet_refuses_sizes_it_cannot_halve() -> None:
    with pytest.raises(ValueError, match="n_frames"):
        build_mask_unet(n_frames=30, filters=(4, 8))
    with pytest.raises(ValueError, match="n_bins"):
        build_mask_unet(n_bins=100, filters=(4, 8))
    with pytest.raises(ValueError, match="filters"):
        build_mask_unet(filters=())


@pytest.mark.parametrize(("value", "hop"), [(1.0, 128), (0.3, 128), (1.0, 64)])
def test_trainer_inverts_the_stft_as_denoise_does(value: float, hop: int) -> None:
    n_samples = 31 * hop
    y = np.random.default_rng(1).standard_normal((3, n_samples)).astype(np.float32)
    spec = denoise.stft(y, hop_length=hop)
    trainer = build_waveform_trainer(constant_mask_model(value), n_samples, hop_length=hop)
    out = np.asarray(trainer([denoise.log_magnitude(spec)[..., None], spec.real, spec.imag]))
    np.testing.assert_allclose(out, denoise.istft(value * spec, length=n_samples, hop_length=hop), atol=1e-5)
    np.testing.assert_allclose(out, value * y, atol=1e-5)


def test_trainer_refuses_a_length_the_mask_model_cannot_take() -> None:
    model = build_mask_unet(n_frames=32, filters=(4, 8), bottleneck=8)
    with pytest.raises(ValueError, match="frames"):
        build_waveform_trainer(model, 40 * 128)
    with pytest.raises(ValueError, match="shorter"):
        build_waveform_trainer(build_mask_unet(filters=(4, 8), bottleneck=8), 100)


def test_negative_si_sdr_is_minus_the_metric() -> None:
    rng = np.random.default_rng(2)
    clean = rng.standard_normal((4, 500)).astype(np.float32)
    estimate = (clean + rng.uniform(0.1, 1.0, (4, 1)) * rng.standard_normal((4, 500))).astype(np.float32)
    np.testing.assert_allclose(
        np.asarray(negative_si_sdr(clean, estimate)), -si_sdr(clean, estimate, zero_mean=False), atol=1e-3
    )
    padded = [np.pad(a, ((0, 0), (0, 300))) for a in (clean, estimate)]
    np.testing.assert_allclose(
        np.asarray(negative_si_sdr(*padded)), np.asarray(negative_si_sdr(clean, estimate)), atol=1e-4
    )


def test_a_few_steps_of_training_lower_the_loss() -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    t = np.arange(N_SAMPLES) / 8000
    clean = np.stack([0.5 * np.sin(2 * np.pi * f * t) for f in rng.uniform(300, 1500, 16)]).astype(np.float32)
    noisy = clean + 0.3 * rng.standard_normal(clean.shape).astype(np.float32)
    spec = denoise.stft(noisy)
    inputs = [denoise.log_magnitude(spec, floor=1e-2)[..., None], spec.real, spec.imag]
    trainer = build_waveform_trainer(build_mask_unet(n_frames=32, filters=(4, 8), bottleneck=8), N_SAMPLES)
    trainer.compile(optimizer=keras.optimizers.Adam(3e-3), loss=negative_si_sdr)
    before = trainer.evaluate(inputs, clean, verbose=0)
    trainer.fit(inputs, clean, epochs=15, batch_size=8, verbose=0)
    assert trainer.evaluate(inputs, clean, verbose=0) < before - 1.0
