"""A small CNN for log-mel spectrograms, its output-size arithmetic and its input masking (chapters 5, 8).

The network is a stack of :class:`ConvBlock` s (convolution, batch norm, ReLU, max pooling),
then global average pooling, dropout and a softmax layer. The same block list drives
:func:`build_cnn` and :func:`conv_output_shapes`, so the sizes worked out by hand can be
checked against the layers Keras builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np

from audioml.models.layers import per_example_norm

_PADDINGS = ("valid", "same")
#: Batch-norm running statistics follow the batches faster than Keras' default (0.99): a small
#: training set gives few steps per epoch, and lagging statistics make validation scores erratic.
_BN_MOMENTUM = 0.9


@dataclass(frozen=True)
class ConvBlock:
    """One block: ``filters`` convolutions of ``kernel`` x ``kernel`` (``stride``, ``padding``),
    batch norm and ReLU, then ``pool`` x ``pool`` max pooling (none when ``pool`` is 1)."""

    filters: int
    kernel: int = 3
    stride: int = 1
    padding: str = "same"
    pool: int = 2

    def __post_init__(self) -> None:
        for name in ("filters", "kernel", "stride", "pool"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"ConvBlock.{name} must be a positive integer, got {value!r}")
        if self.padding not in _PADDINGS:
            raise ValueError(f"ConvBlock.padding must be one of {_PADDINGS}, got {self.padding!r}")


def conv_output_size(n: int, kernel: int, stride: int = 1, padding: str = "valid", pool: int = 1) -> int:
    """Length of one axis after a convolution and a non-overlapping max pooling.

    ``valid``: ``floor((n - kernel) / stride) + 1``; ``same``: ``ceil(n / stride)``
    (Keras pads just enough); pooling then keeps ``floor(n / pool)``.
    """
    if padding not in _PADDINGS:
        raise ValueError(f"padding must be one of {_PADDINGS}, got {padding!r}")
    n = (n - kernel) // stride + 1 if padding == "valid" else -(-n // stride)
    n //= pool
    if n <= 0:
        raise ValueError(
            f"the input is too small for kernel={kernel}, stride={stride}, pool={pool}: "
            f"nothing is left of this axis; use fewer blocks or padding='same'"
        )
    return n


def as_blocks(filters: Sequence[int | ConvBlock], kernel: int = 3, pool: int = 2) -> tuple[ConvBlock, ...]:
    """Turn ``(16, 32, 64)`` into ``ConvBlock`` s with a shared kernel and pool; blocks pass through."""
    return tuple(f if isinstance(f, ConvBlock) else ConvBlock(int(f), kernel=kernel, pool=pool) for f in filters)


def conv_output_shapes(input_shape: Sequence[int], layers_spec: Sequence[ConvBlock]) -> list[tuple[int, int, int]]:
    """Shape ``(height, width, channels)`` after each block, from the arithmetic alone.

    ``input_shape`` is ``(n_mels, n_frames)`` or ``(n_mels, n_frames, channels)``.
    """
    height, width = int(input_shape[0]), int(input_shape[1])
    shapes = []
    for block in layers_spec:
        height, width = (
            conv_output_size(n, block.kernel, block.stride, block.padding, block.pool) for n in (height, width)
        )
        shapes.append((height, width, block.filters))
    return shapes


def build_cnn(
    input_shape: Sequence[int],
    n_classes: int,
    filters: Sequence[int | ConvBlock] = (16, 32, 64),
    *,
    kernel: int = 3,
    pool: int = 2,
    dropout: float = 0.3,
    batch_norm: bool = True,
    learning_rate: float = 1e-3,
    name: str = "cnn",
) -> keras.Model:
    """A compiled CNN classifier for log-mel inputs of shape ``input_shape`` (chapters 4, 5, 7, 8, 13).

    Each input is first standardised on its own (zero mean, unit variance over the whole
    spectrogram), so no statistic of any other clip, training or test, enters the model.
    Block ``i`` names its last layer ``block{i}_out``; labels are integer class indices.
    """
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    blocks = as_blocks(filters, kernel, pool)
    conv_output_shapes(input_shape, blocks)  # fails early, with a clear message, on too small inputs
    inputs = keras.Input(shape=tuple(input_shape), name="log_mel")
    x = keras.layers.Reshape((*input_shape[:2], 1), name="add_channel")(inputs) if len(input_shape) == 2 else inputs
    x = per_example_norm(x)
    for i, block in enumerate(blocks, start=1):
        x = keras.layers.Conv2D(
            block.filters,
            block.kernel,
            strides=block.stride,
            padding=block.padding,
            use_bias=not batch_norm,
            name=f"block{i}_conv",
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(momentum=_BN_MOMENTUM, name=f"block{i}_bn")(x)
        x = keras.layers.Activation("relu", name=f"block{i}_relu" if block.pool > 1 else f"block{i}_out")(x)
        if block.pool > 1:
            x = keras.layers.MaxPooling2D(block.pool, name=f"block{i}_out")(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    return softmax_classifier(inputs, x, n_classes, dropout=dropout, learning_rate=learning_rate, name=name)


def softmax_classifier(
    inputs, pooled, n_classes: int, *, dropout: float, learning_rate: float, name: str
) -> keras.Model:
    """Dropout and a softmax layer on ``pooled`` features, compiled for integer labels (chapters 5, 8)."""
    x = keras.layers.Dropout(dropout, name="dropout")(pooled)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="classes")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def spec_augment(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    max_shift: int = 0,
    freq_masks: int = 1,
    freq_width: int = 8,
    time_masks: int = 1,
    time_width: int = 20,
) -> np.ndarray:
    """SpecAugment-style variant of one log-mel ``(n_mels, n_frames)`` for training (chapters 4, 5, 8, 13).

    Rolls the frames by up to ``max_shift`` in either direction, then blanks ``freq_masks``
    bands of up to ``freq_width`` mel bins and ``time_masks`` spans of up to ``time_width``
    frames with the clip's mean. Same shape out; ``rng`` is the only source of randomness.
    """
    x = np.array(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected one log-mel of shape (n_mels, n_frames), got shape {x.shape}")
    if max_shift:
        x = np.roll(x, int(rng.integers(-max_shift, max_shift + 1)), axis=1)
    fill = x.mean()
    for _ in range(freq_masks):
        width = int(rng.integers(0, freq_width + 1))
        start = int(rng.integers(0, x.shape[0] - width + 1))
        x[start : start + width, :] = fill
    for _ in range(time_masks):
        width = int(rng.integers(0, time_width + 1))
        start = int(rng.integers(0, x.shape[1] - width + 1))
        x[:, start : start + width] = fill
    return x


def esc_augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The SpecAugment setting chapters 5 and 8 train on ESC-10 log-mels with: a roll of up to
    60 frames (1.4 s), one band of up to 8 mel bins and one span of up to 30 frames."""
    return spec_augment(x, rng, max_shift=60, freq_width=8, time_width=30)
