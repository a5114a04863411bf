"""WaveNet pieces: dilated causal convolutions, gated residual blocks, mu-law (chapter 11).

- :func:`receptive_field` counts the samples one output can see; :func:`dilations` makes
  the usual doubling schedule.
- :class:`GatedResidualBlock`: a dilated causal Conv1D, the gated unit
  ``tanh(filter) * sigmoid(gate)``, a 1 x 1 residual path back to the input and a 1 x 1
  skip path to the output.
- :func:`mu_law_encode` / :func:`mu_law_decode`: 8-bit mu-law codes 0-255 (librosa's
  ``mu_compress``/``mu_expand`` shifted by 128).
- :func:`build_classifier` (raw waveform to class) and :func:`build_generator` (mu-law
  codes to the next code's logits).
- Fast sample-by-sample generation lives in :mod:`audioml.models.wavenet_generation`.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from audioml.models.cnn import softmax_classifier
from audioml.models.layers import learned_filterbank

_MU = 255
_N_CODES = _MU + 1


def _check_positive(name: str, value: int) -> None:
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def dilations(n_layers: int, n_stacks: int = 1, base: int = 2) -> list[int]:
    """Dilation schedule ``[1, 2, 4, ..., base**(n_layers-1)]`` repeated ``n_stacks`` times."""
    _check_positive("n_layers", n_layers)
    _check_positive("n_stacks", n_stacks)
    return [base**i for i in range(n_layers)] * n_stacks


def receptive_field(kernel_size: int, dilation_rates: Sequence[int], input_kernel: int = 1) -> int:
    """Samples of input that one output of a stack of causal convolutions depends on (chapter 11).

    Each layer of kernel ``k`` and dilation ``d`` reaches ``(k - 1) * d`` samples further
    back; an input convolution of kernel ``input_kernel`` (dilation 1) adds
    ``input_kernel - 1``. 1 x 1 convolutions add nothing.
    """
    _check_positive("kernel_size", kernel_size)
    _check_positive("input_kernel", input_kernel)
    for rate in dilation_rates:
        _check_positive("each dilation rate", rate)
    return 1 + (input_kernel - 1) + sum((kernel_size - 1) * int(d) for d in dilation_rates)


def mu_law_encode(y: np.ndarray, mu: int = _MU) -> np.ndarray:
    """Samples in [-1, 1] to integer codes ``0 .. mu`` (chapter 11).

    ``F(y) = sign(y) ln(1 + mu |y|) / ln(1 + mu)``, then ``mu + 1`` equal bins of [-1, 1];
    equal to ``librosa.mu_compress(y, mu=mu, quantize=True) + (mu + 1) // 2``.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.size and (not np.all(np.isfinite(y)) or np.abs(y).max() > 1):
        raise ValueError(
            f"mu-law input must be finite and in [-1, 1], got a peak of {np.abs(y).max():.3g}; "
            f"scale the signal first (e.g. divide by its peak)"
        )
    _check_positive("mu", mu)
    compressed = np.sign(y) * np.log1p(mu * np.abs(y)) / np.log1p(mu)
    return np.digitize(compressed, np.linspace(-1, 1, num=mu + 1), right=True).astype(np.int64)


def mu_law_decode(codes: np.ndarray, mu: int = _MU) -> np.ndarray:
    """Integer codes ``0 .. mu`` back to float32 samples in [-1, 1] (librosa's ``mu_expand``)."""
    codes = np.asarray(codes)
    if codes.size and (codes.min() < 0 or codes.max() > mu):
        raise ValueError(f"mu-law codes must lie in 0..{mu}, got {codes.min()}..{codes.max()}")
    compressed = (codes.astype(np.float64) - (mu + 1) // 2) * 2.0 / (mu + 1)
    return (np.sign(compressed) / mu * ((1 + mu) ** np.abs(compressed) - 1)).astype(np.float32)


class GatedResidualBlock(keras.layers.Layer):
    """One WaveNet layer: dilated causal conv, ``tanh * sigmoid`` gate, residual and skip 1 x 1 convs.

    Input ``(batch, time, filters)``; output ``[x + residual(z), skip(z)]`` with
    ``z = tanh(W_f * x) * sigmoid(W_g * x)``. The filter and gate convolutions are one
    Conv1D with ``2 * filters`` outputs (first half filter, second half gate). The last
    block of a stack feeds only the skip path: ``residual=False`` leaves ``x`` as it is.
    """

    def __init__(
        self, filters: int, skip_filters: int, kernel_size: int, dilation: int, residual: bool = True, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        for name, value in (
            ("filters", filters),
            ("skip_filters", skip_filters),
            ("kernel_size", kernel_size),
            ("dilation", dilation),
        ):
            _check_positive(name, value)
        self.filters, self.skip_filters = int(filters), int(skip_filters)
        self.kernel_size, self.dilation = int(kernel_size), int(dilation)
        self.dilated = keras.layers.Conv1D(
            2 * filters, kernel_size, dilation_rate=dilation, padding="causal", name="dilated"
        )
        self.residual = keras.layers.Conv1D(filters, 1, name="residual") if residual else None
        self.skip = keras.layers.Conv1D(skip_filters, 1, name="skip")

    def build(self, input_shape) -> None:
        if input_shape[-1] != self.filters:
            raise ValueError(
                f"{self.name}: input has {input_shape[-1]} channels, the residual path needs "
                f"filters={self.filters}; add a 1 x 1 or causal conv in front"
            )
        self.dilated.build(input_shape)
        if self.residual is not None:
            self.residual.build((*input_shape[:-1], self.filters))
        self.skip.build((*input_shape[:-1], self.filters))

    def call(self, x):
        h = self.dilated(x)
        z = keras.ops.tanh(h[..., : self.filters]) * keras.ops.sigmoid(h[..., self.filters :])
        return (x if self.residual is None else x + self.residual(z)), self.skip(z)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "skip_filters": self.skip_filters,
            "kernel_size": self.kernel_size,
            "dilation": self.dilation,
            "residual": self.residual is not None,
        }


def wavenet_stack(
    x, filters: int, skip_filters: int, kernel_size: int, dilation_rates: Sequence[int], prefix: str = "block"
):
    """Apply one :class:`GatedResidualBlock` per dilation; return the sum of their skip outputs."""
    skips = []
    for i, rate in enumerate(dilation_rates):
        last = i == len(dilation_rates) - 1
        x, skip = GatedResidualBlock(filters, skip_filters, kernel_size, rate, residual=not last, name=f"{prefix}{i}")(
            x
        )
        skips.append(skip)
    return keras.layers.Add(name="skip_sum")(skips) if len(skips) > 1 else skips[0]


def build_classifier(
    n_samples: int | None,
    n_classes: int,
    *,
    front_filters: int = 64,
    front_kernel: int = 160,
    front_stride: int = 20,
    pool: int = 4,
    filters: int = 64,
    skip_filters: int = 64,
    kernel_size: int = 3,
    dilation_rates: Sequence[int] = (1, 2, 4, 8, 16),
    dropout: float = 0.3,
    learning_rate: float = 1e-3,
    name: str = "wavenet_classifier",
) -> keras.Model:
    """A WaveNet-style classifier of raw waveforms ``(n_samples, 1)`` (chapter 11).

    A strided Conv1D front end (learned filters, ``|.|``, average pooling, ``log1p``:
    one frame every ``front_stride * pool`` samples) lowers the rate; a 1 x 1 conv sets
    the width; gated residual blocks with dilated causal convolutions see
    :func:`receptive_field` frames; the skip sum goes through ReLU, global average and
    max pooling over time, dropout and a softmax. Compiled for integer labels.
    """
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if n_samples is not None and n_samples < front_kernel + (pool - 1) * front_stride:
        raise ValueError(
            f"n_samples={n_samples} is shorter than one front-end frame "
            f"({front_kernel + (pool - 1) * front_stride} samples); pad the clips"
        )
    inputs = keras.Input(shape=(n_samples, 1), name="waveform")
    x = learned_filterbank(inputs, front_filters, front_kernel, front_stride, pool)
    x = keras.layers.Conv1D(filters, 1, name="to_residual")(x)
    skip = wavenet_stack(x, filters, skip_filters, kernel_size, dilation_rates)
    x = keras.layers.Activation("relu", name="skip_relu")(skip)
    x = keras.layers.Conv1D(skip_filters, 1, activation="relu", name="post")(x)
    x = keras.layers.Concatenate(name="pool")(
        [keras.layers.GlobalAveragePooling1D(name="mean_pool")(x), keras.layers.GlobalMaxPooling1D(name="max_pool")(x)]
    )
    return softmax_classifier(inputs, x, n_classes, dropout=dropout, learning_rate=learning_rate, name=name)


def build_generator(
    *,
    filters: int = 32,
    skip_filters: int = 64,
    kernel_size: int = 2,
    dilation_rates: Sequence[int] = tuple(dilations(8)),
    input_kernel: int = 2,
    n_codes: int = _N_CODES,
    learning_rate: float = 1e-3,
    name: str = "wavenet",
) -> keras.Model:
    """A small generative WaveNet: mu-law codes ``(batch, time)`` to logits ``(batch, time, n_codes)`` (chapter 11).

    Output ``t`` is the distribution of code ``t + 1`` given codes ``0 .. t``: an
    embedding (a one-hot input times a matrix), a causal input conv, gated residual
    blocks, ReLU, 1 x 1 conv, ReLU, 1 x 1 conv to ``n_codes`` logits. Compiled with
    sparse categorical cross-entropy on logits.
    """
    _check_positive("n_codes", n_codes)
    inputs = keras.Input(shape=(None,), dtype="int32", name="codes")
    x = keras.layers.Embedding(n_codes, filters, name="embedding")(inputs)
    x = keras.layers.Conv1D(filters, input_kernel, padding="causal", name="input_conv")(x)
    skip = wavenet_stack(x, filters, skip_filters, kernel_size, dilation_rates)
    x = keras.layers.Activation("relu", name="skip_relu")(skip)
    x = keras.layers.Conv1D(skip_filters, 1, activation="relu", name="post")(x)
    outputs = keras.layers.Conv1D(n_codes, 1, name="logits")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model
