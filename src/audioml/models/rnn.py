"""Recurrent models for audio sequences and the padded inputs they read (chapters 6, 9).

Clips of different lengths are zero-padded to one length. A mask tells the LSTM or GRU
which time steps are padding, so the recurrent state skips them and padding cannot change
a prediction: a ``keras.layers.Masking`` layer where the network reads the sequence
as it is (a step is padding when all its features equal :data:`MASK_VALUE`),
``_StepMask`` and ``_FrameMask`` where convolutions come first. Four builders
cover chapter 6's study, all masked:

- :func:`raw_lstm`: one waveform sample per time step (thousands of steps);
- :func:`logmel_rnn`: one log-mel frame per step (about 100 per second), LSTM or GRU;
- :func:`conv_gru`: a strided Conv1D front end that frames the raw waveform, then a GRU;
- :func:`crnn`: small 2-D conv blocks on log-mel (pooling frequency only), then a GRU.

Every builder returns a compiled model for integer labels; ``frame_outputs=True`` with
``activation="sigmoid"`` gives one multi-label prediction per time step (chapter 9).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from audioml.dsp.audio import fix_length
from audioml.dsp.features import FeatureParams, log_mel
from audioml.models.layers import learned_filterbank

#: The value of every feature of a padded time step.
MASK_VALUE = 0.0
_CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def content_length(y: np.ndarray) -> int:
    """Number of samples up to and including the last non-zero one: the clip without its zero padding."""
    nonzero = np.flatnonzero(np.asarray(y))
    return int(nonzero[-1]) + 1 if nonzero.size else 0


def log_mel_sequence(
    y: np.ndarray, params: FeatureParams, n_steps: int, mean: np.ndarray | float = 0.0, std: np.ndarray | float = 1.0
) -> np.ndarray:
    """Standardised log-mel frames of a zero-padded clip, time first, padded with ``MASK_VALUE`` (chapter 6).

    The log-mel is computed on the clip *without* its trailing zeros, standardised with
    ``(S_db - mean) / std`` (statistics from the training side, per mel band or scalar),
    then padded or trimmed to ``n_steps`` frames; shape ``(n_steps, n_mels)``.
    """
    clip = np.asarray(y, dtype=np.float32)[: content_length(y)]
    frames = ((log_mel(fix_length(clip, max(clip.size, params.n_fft)), params).T - mean) / std).astype(np.float32)
    out = np.full((n_steps, params.n_mels), MASK_VALUE, dtype=np.float32)
    out[: min(n_steps, len(frames))] = frames[:n_steps]
    return out


class _StepMask(keras.layers.Layer):
    """True for the time steps of ``(batch, steps, ...)`` with any feature other than ``MASK_VALUE``."""

    def call(self, inputs):
        flat = keras.ops.reshape(inputs, (keras.ops.shape(inputs)[0], keras.ops.shape(inputs)[1], -1))
        return keras.ops.any(keras.ops.not_equal(flat, MASK_VALUE), axis=-1)


class _FrameMask(keras.layers.Layer):
    """Which frames of a ``kernel``/``stride`` framing of a zero-padded waveform lie inside the clip.

    A frame counts when it ends at or before the clip's last non-zero sample, so more zero
    padding adds no frame. Input ``(batch, n_samples, 1)``, output ``(batch, n_frames)``
    of booleans for ``Conv1D(kernel, strides=stride, padding="valid")``.
    """

    def __init__(self, kernel: int, stride: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kernel, self.stride = int(kernel), int(stride)

    def call(self, waveform):
        ops = keras.ops
        nonzero = ops.any(ops.not_equal(waveform, MASK_VALUE), axis=-1)
        n_samples = ops.shape(waveform)[1]
        length = ops.max(ops.where(nonzero, ops.arange(n_samples)[None, :] + 1, 0), axis=1)
        ends = ops.arange((n_samples - self.kernel) // self.stride + 1) * self.stride + self.kernel
        return ops.less_equal(ends[None, :], length[:, None])

    def get_config(self) -> dict:
        return {**super().get_config(), "kernel": self.kernel, "stride": self.stride}


class _ZeroMasked(keras.layers.Layer):
    """``[x, mask]`` -> ``x`` with every masked time step set to zero, so the next convolution
    reads padding as zeros whatever the layers before it made of it."""

    def call(self, inputs):
        x, mask = inputs
        keep = keras.ops.cast(mask, x.dtype)
        for _ in range(len(x.shape) - 2):
            keep = keras.ops.expand_dims(keep, -1)
        return x * keep


def _check(n_classes: int, cell: str = "gru") -> None:
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if cell not in _CELLS:
        raise ValueError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}")


def _recurrent_head(
    x, cell: str, units: int, n_classes: int, activation: str, frame_outputs: bool, dropout: float, mask=None
):
    """The recurrent layer and the classifier on top: one prediction per clip or per time step."""
    x = _CELLS[cell](units, return_sequences=frame_outputs, name=cell)(x, mask=mask)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.layers.Dense(n_classes, activation=activation, name="classes")(x)


def _compiled(inputs, outputs, name: str, activation: str, learning_rate: float) -> keras.Model:
    """Adam with gradient clipping (norm 1), the usual guard against exploding RNN gradients."""
    model = keras.Model(inputs, outputs, name=name)
    if activation == "softmax":
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    else:
        loss, metrics = "binary_crossentropy", [keras.metrics.BinaryAccuracy(name="accuracy")]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0), loss=loss, metrics=metrics)
    return model


def raw_lstm(
    n_samples: int | None,
    n_classes: int,
    *,
    units: int = 32,
    dropout: float = 0.0,
    activation: str = "softmax",
    frame_outputs: bool = False,
    learning_rate: float = 1e-3,
    name: str = "lstm_raw",
) -> keras.Model:
    """An LSTM that reads one waveform sample per time step, zero samples masked (chapter 6).

    Input ``(n_samples, 1)``; ``n_samples=None`` accepts any length.
    """
    _check(n_classes, "lstm")
    inputs = keras.Input(shape=(n_samples, 1), name="waveform")
    x = keras.layers.Masking(MASK_VALUE, name="mask_padding")(inputs)
    outputs = _recurrent_head(x, "lstm", units, n_classes, activation, frame_outputs, dropout)
    return _compiled(inputs, outputs, name, activation, learning_rate)


def logmel_rnn(
    n_steps: int | None,
    n_mels: int,
    n_classes: int,
    *,
    cell: str = "lstm",
    units: int = 64,
    dropout: float = 0.3,
    activation: str = "softmax",
    frame_outputs: bool = False,
    learning_rate: float = 1e-3,
    name: str | None = None,
) -> keras.Model:
    """An LSTM or GRU over log-mel frames ``(n_steps, n_mels)``, padded frames masked (chapter 6)."""
    _check(n_classes, cell)
    inputs = keras.Input(shape=(n_steps, n_mels), name="log_mel")
    x = keras.layers.Masking(MASK_VALUE, name="mask_padding")(inputs)
    outputs = _recurrent_head(x, cell, units, n_classes, activation, frame_outputs, dropout)
    return _compiled(inputs, outputs, name or f"{cell}_logmel", activation, learning_rate)


def conv_gru(
    n_samples: int | None,
    n_classes: int,
    *,
    filters: int = 64,
    kernel: int = 160,
    stride: int = 20,
    pool: int = 4,
    context_filters: int = 64,
    units: int = 64,
    dropout: float = 0.3,
    activation: str = "softmax",
    frame_outputs: bool = False,
    learning_rate: float = 1e-3,
    name: str = "conv_gru_raw",
) -> keras.Model:
    """A learned filterbank on the raw waveform, then a GRU over its frames (chapter 6).

    ``Conv1D(filters, kernel, strides=stride)`` slides ``filters`` learned band-pass filters
    along the waveform; ``|x|`` averaged over ``pool`` neighbouring outputs estimates each
    band's energy whatever the phase of the wave, and ``log(1 + .)`` compresses it as the
    log of a log-mel does. With kernel 160, stride 20 and pool 4 at 8 kHz a frame spans
    27.5 ms and frames come every 80 samples, 10 ms (a log-mel's hop). A kernel-3 Conv1D
    adds context across neighbouring frames. Batch norm uses momentum 0.9, so its running
    statistics keep up within a short training. ``_FrameMask`` marks the frames inside
    the clip; the others are zeroed and skipped by the GRU.
    """
    _check(n_classes)
    inputs = keras.Input(shape=(n_samples, 1), name="waveform")
    mask = _FrameMask(kernel + (pool - 1) * stride, stride * pool, name="frame_mask")(inputs)
    x = learned_filterbank(inputs, filters, kernel, stride, pool)
    x = _ZeroMasked(name="filterbank_masked")([x, mask])
    x = keras.layers.Conv1D(context_filters, 3, padding="same", use_bias=False, name="context")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name="context_bn")(x)
    x = keras.layers.Activation("relu", name="context_relu")(x)
    x = _ZeroMasked(name="context_masked")([x, mask])
    outputs = _recurrent_head(x, "gru", units, n_classes, activation, frame_outputs, dropout, mask)
    return _compiled(inputs, outputs, name, activation, learning_rate)


def crnn(
    n_steps: int | None,
    n_mels: int,
    n_classes: int,
    *,
    filters: Sequence[int] = (16, 32),
    pool: int = 2,
    units: int = 64,
    dropout: float = 0.3,
    activation: str = "softmax",
    frame_outputs: bool = False,
    learning_rate: float = 1e-3,
    name: str = "crnn_logmel",
) -> keras.Model:
    """Conv blocks on log-mel ``(n_steps, n_mels)``, pooling frequency only, then a GRU (chapter 6).

    Each block is a 3 x 3 Conv2D, batch norm, ReLU and ``(1, pool)`` max pooling, so the
    time axis keeps its resolution (one GRU step per frame, one prediction per frame in
    chapter 9) while the mel axis shrinks by ``pool`` per block. Padded frames (all
    features ``MASK_VALUE``) are zeroed after each block and skipped by the GRU.
    """
    _check(n_classes)
    if n_mels % pool ** len(filters):
        raise ValueError(f"n_mels={n_mels} must be divisible by pool**len(filters)={pool ** len(filters)}")
    inputs = keras.Input(shape=(n_steps, n_mels), name="log_mel")
    mask = _StepMask(name="frame_mask")(inputs)
    x = keras.layers.Reshape((-1, n_mels, 1), name="add_channel")(inputs)
    for i, width in enumerate(filters, start=1):
        x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"block{i}_conv")(x)
        x = keras.layers.BatchNormalization(name=f"block{i}_bn")(x)
        x = keras.layers.Activation("relu", name=f"block{i}_relu")(x)
        x = _ZeroMasked(name=f"block{i}_masked")([x, mask])
        x = keras.layers.MaxPooling2D((1, pool), name=f"block{i}_pool")(x)
    x = keras.layers.Reshape((-1, n_mels // pool ** len(filters) * filters[-1]), name="frames")(x)
    outputs = _recurrent_head(x, "gru", units, n_classes, activation, frame_outputs, dropout, mask)
    return _compiled(inputs, outputs, name, activation, learning_rate)
