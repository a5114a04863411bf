"""Recurrent models for audio sequences and the padded inputs they read (chapters 6, 9).

Clips of different lengths are zero-padded to one length. A :class:`keras.layers.Masking`
layer tells an LSTM or GRU which time steps are padding (every feature equal to
:data:`MASK_VALUE`), so the recurrent state skips them and padding cannot change a
prediction. Four builders cover chapter 6's study:

- :func:`raw_lstm`: one waveform sample per time step (thousands of steps), masked;
- :func:`logmel_rnn`: one log-mel frame per step (about 100 per second), LSTM or GRU, masked;
- :func:`conv_gru`: a strided Conv1D front end that frames the raw waveform, then a GRU;
- :func:`crnn`: a small 2-D conv block on log-mel (pooling frequency only), then a GRU.

Every builder returns a compiled model with integer labels; ``frame_outputs=True`` and
``activation="sigmoid"`` give one multi-label prediction per time step (chapter 9).
"""
from __future__ import annotations

from typing import Sequence

import keras
import numpy as np

from audioml.audio import fix_length
from audioml.features import FeatureParams, log_mel

#: The value of every feature of a padded time step; Masking layers skip such steps.
MASK_VALUE = 0.0
CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def content_length(y: np.ndarray) -> int:
    """Number of samples up to and including the last non-zero one: the clip without its zero padding."""
    nonzero = np.flatnonzero(np.asarray(y))
    return int(nonzero[-1]) + 1 if nonzero.size else 0


def n_frames(n_samples: int, params: FeatureParams) -> int:
    """Frames of a centred STFT (librosa's default) of ``n_samples`` samples: ``1 + n_samples // hop``."""
    return 1 + n_samples // params.hop_length


def log_mel_sequence(y: np.ndarray, params: FeatureParams, n_steps: int,
                     mean: np.ndarray | float = 0.0, std: np.ndarray | float = 1.0) -> np.ndarray:
    """Standardised log-mel frames of a zero-padded clip, time first, padded with ``MASK_VALUE`` (chapter 6).

    The log-mel is computed on the clip *without* its trailing zeros, standardised with
    ``(S_db - mean) / std`` (statistics from the training side, per mel band or scalar),
    then padded or trimmed to ``n_steps`` frames; shape ``(n_steps, n_mels)``.
    """
    clip = np.asarray(y, dtype=np.float32)[:max(content_length(y), params.n_fft)]
    frames = ((log_mel(fix_length(clip, max(clip.size, params.n_fft)), params).T - mean) / std).astype(np.float32)
    out = np.full((n_steps, params.n_mels), MASK_VALUE, dtype=np.float32)
    out[:min(n_steps, len(frames))] = frames[:n_steps]
    return out


def _check(n_classes: int, cell: str = "gru") -> None:
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")


def _recurrent_head(x, cell: str, units: int, n_classes: int, activation: str, frame_outputs: bool,
                    dropout: float):
    """The recurrent layer and the classifier on top: one prediction per clip or per time step."""
    x = CELLS[cell](units, return_sequences=frame_outputs, name=cell)(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.layers.Dense(n_classes, activation=activation, name="classes")(x)


def _compiled(inputs, outputs, name: str, activation: str, learning_rate: float) -> keras.Model:
    model = keras.Model(inputs, outputs, name=name)
    if activation == "softmax":
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    else:
        loss, metrics = "binary_crossentropy", [keras.metrics.BinaryAccuracy(name="accuracy")]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0), loss=loss, metrics=metrics)
    return model


def raw_lstm(n_samples: int | None, n_classes: int, *, units: int = 32, dropout: float = 0.0,
             activation: str = "softmax", frame_outputs: bool = False, learning_rate: float = 1e-3,
             name: str = "lstm_raw") -> keras.Model:
    """An LSTM that reads one waveform sample per time step, zero samples masked (chapter 6).

    Input ``(n_samples, 1)``; ``n_samples=None`` accepts any length.
    """
    _check(n_classes, "lstm")
    inputs = keras.Input(shape=(n_samples, 1), name="waveform")
    x = keras.layers.Masking(MASK_VALUE, name="mask_padding")(inputs)
    outputs = _recurrent_head(x, "lstm", units, n_classes, activation, frame_outputs, dropout)
    return _compiled(inputs, outputs, name, activation, learning_rate)


def logmel_rnn(n_steps: int | None, n_mels: int, n_classes: int, *, cell: str = "lstm", units: int = 64,
               dropout: float = 0.3, activation: str = "softmax", frame_outputs: bool = False,
               learning_rate: float = 1e-3, name: str | None = None) -> keras.Model:
    """An LSTM or GRU over log-mel frames ``(n_steps, n_mels)``, padded frames masked (chapters 6, 9)."""
    _check(n_classes, cell)
    inputs = keras.Input(shape=(n_steps, n_mels), name="log_mel")
    x = keras.layers.Masking(MASK_VALUE, name="mask_padding")(inputs)
    outputs = _recurrent_head(x, cell, units, n_classes, activation, frame_outputs, dropout)
    return _compiled(inputs, outputs, name or f"{cell}_logmel", activation, learning_rate)


def conv_gru(n_samples: int | None, n_classes: int, *, filters: int = 64, kernel: int = 160, stride: int = 80,
             context_filters: int = 64, units: int = 64, dropout: float = 0.3, activation: str = "softmax",
             frame_outputs: bool = False, learning_rate: float = 1e-3, name: str = "conv_gru_raw") -> keras.Model:
    """A learned filterbank on the raw waveform, then a GRU over its frames (chapter 6).

    ``Conv1D(filters, kernel, strides=stride)`` cuts the waveform into overlapping frames
    (kernel 160 and stride 80 at 8 kHz: 20 ms windows every 10 ms, like a log-mel's hop) and
    learns one filter per output channel. ``log(1 + |x|)`` compresses the filter energies as
    the log of a log-mel does; a kernel-3 Conv1D adds local context. Zero padding is read
    as silence (no mask: a frame that straddles the end of a clip is part signal, part padding).
    """
    _check(n_classes)
    inputs = keras.Input(shape=(n_samples, 1), name="waveform")
    x = keras.layers.Conv1D(filters, kernel, strides=stride, name="filterbank")(inputs)
    x = keras.layers.Lambda(lambda t: keras.ops.log1p(keras.ops.abs(t)), name="log_compress")(x)
    x = keras.layers.BatchNormalization(name="filterbank_bn")(x)
    x = keras.layers.Conv1D(context_filters, 3, padding="same", use_bias=False, name="context")(x)
    x = keras.layers.BatchNormalization(name="context_bn")(x)
    x = keras.layers.Activation("relu", name="context_relu")(x)
    outputs = _recurrent_head(x, "gru", units, n_classes, activation, frame_outputs, dropout)
    return _compiled(inputs, outputs, name, activation, learning_rate)


def crnn(n_steps: int | None, n_mels: int, n_classes: int, *, filters: Sequence[int] = (16, 32), pool: int = 2,
         units: int = 64, dropout: float = 0.3, activation: str = "softmax", frame_outputs: bool = False,
         learning_rate: float = 1e-3, name: str = "crnn_logmel") -> keras.Model:
    """Conv blocks on log-mel ``(n_steps, n_mels)``, pooling frequency only, then a GRU (chapters 6, 9).

    Each block is a 3 x 3 Conv2D, batch norm, ReLU and ``(1, pool)`` max pooling, so the
    time axis keeps its resolution (one GRU step per frame, one prediction per frame in
    chapter 9) while the mel axis shrinks by ``pool`` per block. The conv stack reads
    zero padding as silence (no mask).
    """
    _check(n_classes)
    if n_mels % pool ** len(filters):
        raise ValueError(f"n_mels={n_mels} must be divisible by pool**len(filters)={pool ** len(filters)}")
    inputs = keras.Input(shape=(n_steps, n_mels), name="log_mel")
    x = keras.layers.Reshape((-1, n_mels, 1), name="add_channel")(inputs)
    for i, width in enumerate(filters, start=1):
        x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"block{i}_conv")(x)
        x = keras.layers.BatchNormalization(name=f"block{i}_bn")(x)
        x = keras.layers.Activation("relu", name=f"block{i}_relu")(x)
        x = keras.layers.MaxPooling2D((1, pool), name=f"block{i}_pool")(x)
    x = keras.layers.Reshape((-1, n_mels // pool ** len(filters) * filters[-1]), name="frames")(x)
    outputs = _recurrent_head(x, "gru", units, n_classes, activation, frame_outputs, dropout)
    return _compiled(inputs, outputs, name, activation, learning_rate)
