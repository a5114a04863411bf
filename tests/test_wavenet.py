"""Chapter 11's WaveNet pieces: receptive field against autodiff, causality, mu-law against librosa,
the cached generator against the full model, and the log-spectral distance against scipy."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from audioml.evaluation import spectral
from audioml.models import wavenet, wavenet_generation


def causal_stack(kernel_size: int, rates: list[int], input_kernel: int = 1) -> keras.Model:
    """An input conv and gated residual blocks on a 1-channel signal, returning the skip sum."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, 1))
    x = keras.layers.Conv1D(4, input_kernel, padding="causal")(inputs)
    outputs = wavenet.wavenet_stack(x, 4, 3, kernel_size, rates)
    return keras.Model(inputs, outputs)


def input_gradient(model: keras.Model, n: int, t: int) -> np.ndarray:
    """|d output[t] / d input| per input sample, for a random input of n samples."""
    x = tf.constant(np.random.default_rng(1).normal(size=(1, n, 1)), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.reduce_sum(model(x)[0, t])
    return np.abs(tape.gradient(out, x).numpy()[0, :, 0])


@pytest.mark.parametrize(
    "kernel_size, rates, input_kernel",
    [
        (2, [1, 2, 4, 8], 2),
        (3, [1, 2, 4], 1),
        (2, [1, 2, 4, 1, 2, 4], 2),
        (3, [1, 3, 9], 3),
    ],
)
def test_output_depends_on_exactly_the_receptive_field(kernel_size, rates, input_kernel) -> None:
    model = causal_stack(kernel_size, rates, input_kernel)
    field = wavenet.receptive_field(kernel_size, rates, input_kernel)
    n, t = 3 * field, 2 * field
    gradient = input_gradient(model, n, t)
    assert np.all(gradient[t - field + 1 : t + 1] > 0), "every sample inside the field must matter"
    assert np.all(gradient[: t - field + 1] == 0), "no sample older than the field may matter"
    assert np.all(gradient[t + 1 :] == 0), "causality: no future sample may matter"


def test_receptive_field_arithmetic_and_errors() -> None:
    assert wavenet.receptive_field(2, wavenet.dilations(10)) == 1024
    assert wavenet.receptive_field(2, wavenet.dilations(10, 3)) == 3 * 1023 + 1
    assert wavenet.receptive_field(3, [1, 2, 4], input_kernel=1) == 15
    assert wavenet.dilations(4, 2) == [1, 2, 4, 8, 1, 2, 4, 8]
    with pytest.raises(ValueError, match="kernel_size"):
        wavenet.receptive_field(0, [1])
    with pytest.raises(ValueError, match="dilation"):
        wavenet.receptive_field(2, [1, 0])


def test_gated_block_matches_its_formula() -> None:
    keras.utils.set_random_seed(0)
    block = wavenet.GatedResidualBlock(3, 5, 2, 4)
    x = np.random.default_rng(0).normal(size=(2, 20, 3)).astype(np.float32)
    out, skip = (o.numpy() for o in block(x))
    w, b = block.dilated.kernel.numpy(), block.dilated.bias.numpy()
    padded = np.pad(x, ((0, 0), (4, 0), (0, 0)))
    h = padded[:, :-4] @ w[0] + padded[:, 4:] @ w[1] + b  # taps t - 4 and t
    z = np.tanh(h[..., :3]) / (1 + np.exp(-h[..., 3:]))
    np.testing.assert_allclose(skip, z @ block.skip.kernel.numpy()[0] + block.skip.bias.numpy(), atol=1e-5)
    np.testing.assert_allclose(out, x + z @ block.residual.kernel.numpy()[0] + block.residual.bias.numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="channels"):
        wavenet.GatedResidualBlock(3, 5, 2, 1)(np.zeros((1, 8, 4), np.float32))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=200))
def test_mu_law_equals_librosa_and_round_trips(samples) -> None:
    y = np.array(samples)
    codes = wavenet.mu_law_encode(y)
    assert codes.min() >= 0 and codes.max() <= 255
    np.testing.assert_array_equal(codes, librosa.mu_compress(y, mu=255, quantize=True) + 128)
    decoded = wavenet.mu_law_decode(codes)
    np.testing.assert_allclose(decoded, librosa.mu_expand(codes - 128, mu=255, quantize=True), atol=1e-6)
    # the round trip is off by at most one quantisation step (2/255) of the compressed signal
    compress = librosa.mu_compress
    assert np.all(np.abs(compress(decoded.astype(np.float64).clip(-1, 1)) - compress(y)) <= 2 / 255 + 1e-6)


def test_mu_law_is_finer_near_zero_and_rejects_bad_input() -> None:
    levels = wavenet.mu_law_decode(np.arange(256))
    steps = np.diff(levels)
    assert np.all(steps > 0) and steps[128] < steps[-1] / 100  # 8-bit mu-law: tiny steps for quiet sound
    with pytest.raises(ValueError, match="in \\[-1, 1\\]"):
        wavenet.mu_law_encode(np.array([0.5, 1.5]))
    with pytest.raises(ValueError, match="0..255"):
        wavenet.mu_law_decode(np.array([256]))


@pytest.fixture(scope="module")
def small_generator() -> keras.Model:
    keras.utils.set_random_seed(0)
    model = wavenet.build_generator(
        filters=8, skip_filters=12, kernel_size=2, dilation_rates=[1, 2, 4, 8, 1, 2], n_codes=256
    )
    for variable in model.trainable_variables:  # make the biases non-zero so that every path counts
        variable.assign(variable + 0.05 * np.random.default_rng(len(variable.path)).normal(size=variable.shape))
    return model


def test_cached_generator_gives_the_full_models_next_sample_distribution(small_generator) -> None:
    codes = np.random.default_rng(0).integers(0, 256, size=(3, 70))
    full = small_generator(codes).numpy()
    cached = wavenet_generation.FastGenerator(small_generator).logits(codes)
    np.testing.assert_allclose(cached, full, atol=1e-4)
    np.testing.assert_allclose(tf.nn.softmax(cached[:, -1]), tf.nn.softmax(full[:, -1]), atol=1e-5)


def test_generation_is_seeded_and_feeds_the_prime(small_generator) -> None:
    generator = wavenet_generation.FastGenerator(small_generator)
    prime = np.arange(100, 110)
    a = generator.generate(40, batch=2, seed=3, prime=prime)
    b = generator.generate(40, batch=2, seed=3, prime=prime)
    c = generator.generate(40, batch=2, seed=4, prime=prime)
    assert a.shape == (2, 40) and a.min() >= 0 and a.max() <= 255
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(a[:, :10], np.stack([prime, prime]))
    with pytest.raises(ValueError, match="temperature"):
        generator.generate(5, temperature=0)
    with pytest.raises(ValueError, match="build_generator"):
        wavenet_generation.FastGenerator(
            wavenet.build_classifier(800, 4, front_filters=4, filters=4, skip_filters=4, dilation_rates=(1,))
        )


def test_generator_receptive_field_matches_the_model(small_generator) -> None:
    field = wavenet_generation.generator_receptive_field(small_generator)
    assert field == wavenet.receptive_field(2, [1, 2, 4, 8, 1, 2], input_kernel=2)
    codes = np.random.default_rng(2).integers(0, 256, size=(1, 3 * field))
    changed = codes.copy()
    changed[0, -field - 1] = (codes[0, -field - 1] + 7) % 256  # just outside the field of the last output
    np.testing.assert_allclose(small_generator(codes)[0, -1], small_generator(changed)[0, -1], atol=1e-6)
    changed[0, -field] = (codes[0, -field] + 7) % 256  # the oldest sample inside it
    assert np.abs(small_generator(codes)[0, -1] - small_generator(changed)[0, -1]).max() > 1e-6


def test_classifier_predicts_probabilities_and_checks_length() -> None:
    model = wavenet.build_classifier(800, 4, front_filters=4, filters=4, skip_filters=4, dilation_rates=(1, 2))
    p = model.predict(np.random.default_rng(0).normal(size=(2, 800, 1)).astype(np.float32), verbose=0)
    assert p.shape == (2, 4)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)
    with pytest.raises(ValueError, match="n_samples"):
        wavenet.build_classifier(100, 4)


def test_log_spectral_distance_against_scipy_and_its_properties() -> None:
    rng = np.random.default_rng(0)
    white = rng.normal(size=16000)
    low = signal.lfilter([1.0, 0.9], [1.0], rng.normal(size=16000))  # a gentle low-pass (-20 dB at Nyquist)
    _, welch = signal.welch(white, nperseg=512, noverlap=384, window="hann", detrend=False, scaling="spectrum")
    _, welch_low = signal.welch(low, nperseg=512, noverlap=384, window="hann", detrend=False, scaling="spectrum")
    oracle = np.sqrt(np.mean((10 * np.log10(welch) - 10 * np.log10(welch_low)) ** 2))
    assert spectral.log_spectral_distance(white, low) == pytest.approx(oracle, rel=1e-6)
    assert spectral.log_spectral_distance(white, white) == 0
    assert spectral.log_spectral_distance(white, 0.1 * white) == pytest.approx(20, rel=1e-9)
    assert spectral.log_spectral_distance(white, low) == pytest.approx(spectral.log_spectral_distance(low, white))
    assert spectral.log_spectral_distance(low, low + 0.01 * white) < spectral.log_spectral_distance(low, white)
    with pytest.raises(ValueError, match="n_fft"):
        spectral.log_spectral_distance(white[:100], white)
