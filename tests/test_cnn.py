"""The CNN of chapters 5 and 8: output sizes by hand agree with Keras, and the model runs."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from audioml.models.cnn import ConvBlock, as_blocks, build_cnn, conv_output_shapes, conv_output_size, spec_augment

CONFIGS = [
    ((40, 101), (16, 32, 64)),
    ((64, 216, 1), (8, 16, 32, 64)),
    (
        (40, 101),
        (
            ConvBlock(8, kernel=5, padding="valid"),
            ConvBlock(16, kernel=3, stride=2, pool=1),
            ConvBlock(32, kernel=3, stride=2, padding="valid", pool=3),
        ),
    ),
    ((33, 17), (ConvBlock(4, kernel=4, stride=3, padding="same", pool=2),)),
]


@pytest.mark.parametrize(
    ("n", "kernel", "stride", "padding", "pool", "expected"),
    [
        (101, 3, 1, "same", 1, 101),
        (101, 3, 1, "valid", 1, 99),
        (101, 3, 1, "same", 2, 50),
        (101, 5, 2, "valid", 1, 49),
        (101, 4, 3, "same", 1, 34),
        (40, 3, 1, "same", 2, 20),
        (5, 3, 1, "valid", 2, 1),
    ],
)
def test_conv_output_size_formula(n, kernel, stride, padding, pool, expected) -> None:
    assert conv_output_size(n, kernel, stride, padding, pool) == expected


def test_conv_output_size_rejects_what_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="padding"):
        conv_output_size(10, 3, padding="full")
    with pytest.raises(ValueError, match="too small"):
        conv_output_size(3, 3, padding="valid", pool=2)


@pytest.mark.parametrize(("input_shape", "filters"), CONFIGS)
def test_hand_arithmetic_matches_the_built_layers(input_shape, filters) -> None:
    model = build_cnn(input_shape, 5, filters)
    blocks = as_blocks(filters)
    built = [tuple(model.get_layer(f"block{i}_out").output.shape[1:]) for i in range(1, len(blocks) + 1)]
    assert built == conv_output_shapes(input_shape, blocks)


@pytest.mark.parametrize(("input_shape", "filters"), CONFIGS)
def test_model_predicts_one_distribution_per_clip(input_shape, filters) -> None:
    model = build_cnn(input_shape, 7, filters, dropout=0.2)
    x = np.random.default_rng(0).normal(size=(3, *input_shape)).astype(np.float32)
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (3, 7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_per_example_normalisation_ignores_loudness() -> None:
    model = build_cnn((40, 101), 4, (8, 16), batch_norm=False)
    x = np.random.default_rng(1).normal(size=(2, 40, 101)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(3 * x - 20, verbose=0), atol=1e-5)


def test_build_cnn_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="too small"):
        build_cnn((8, 8), 3, (8, 8, 8, 8))
    with pytest.raises(ValueError, match="n_classes"):
        build_cnn((40, 101), 1)
    with pytest.raises(ValueError, match="dropout"):
        build_cnn((40, 101), 3, dropout=1.0)
    with pytest.raises(ValueError, match="padding"):
        ConvBlock(8, padding="causal")


def test_spec_augment_masks_without_changing_the_shape() -> None:
    x = np.arange(40 * 101, dtype=np.float32).reshape(40, 101)
    out = spec_augment(x, np.random.default_rng(0), max_shift=5, freq_width=6, time_width=10)
    again = spec_augment(x, np.random.default_rng(0), max_shift=5, freq_width=6, time_width=10)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, again)
    assert np.array_equal(x, np.arange(40 * 101, dtype=np.float32).reshape(40, 101))  # input untouched
    untouched = spec_augment(x, np.random.default_rng(0), freq_masks=0, time_masks=0)
    np.testing.assert_array_equal(untouched, x)
    with pytest.raises(ValueError, match="one log-mel"):
        spec_augment(x[None], np.random.default_rng(0))
