"""Four multi-label models for sound scenes: dense on statistics, CNN, RNN and CRNN (chapter 9).

All read standardised log-mel frames ``(n_frames, n_mels)`` (time first) and end in sigmoids,
one per class, trained with binary cross-entropy: several classes can be on at once.

- :func:`dense_tagger` sees only clip statistics (mean, sd and max of every mel band), so it
  can say *what* occurs in a scene but not *when*;
- :func:`sed_model` builds the frame-level models, one prediction per frame:
  ``"cnn"`` (2-D convolutions that pool frequency only, then a per-frame classifier: a few
  frames of context), ``"rnn"`` (a bidirectional GRU over the frames: the whole scene as
  context) and ``"crnn"`` (the convolutions, then the GRU).

Clip-level tags come from frame predictions by max pooling over time (:func:`max_over_time`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np

_KINDS = ("cnn", "rnn", "crnn")


def band_summary(x: np.ndarray) -> np.ndarray:
    """Mean, standard deviation and max of every band over time: ``(n, n_frames, n_mels)`` -> ``(n, 3 n_mels)``."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise ValueError(f"expected log-mels (n_scenes, n_frames, n_mels), got shape {x.shape}")
    return np.concatenate([x.mean(axis=1), x.std(axis=1), x.max(axis=1)], axis=1)


def band_statistics(train_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-band mean and sd over the training scenes and frames (never validation or test)."""
    train_x = np.asarray(train_x, dtype=np.float32)
    axes = tuple(range(train_x.ndim - 1))
    return train_x.mean(axis=axes), train_x.std(axis=axes) + 1e-6


def standardise(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """``(x - mean) / std`` on the last axis, float32."""
    return ((np.asarray(x, dtype=np.float32) - mean) / std).astype(np.float32)


def max_over_time(frame_scores: np.ndarray) -> np.ndarray:
    """Clip-level scores from frame scores ``(n, n_frames, n_classes)`` by max pooling over time."""
    frame_scores = np.asarray(frame_scores)
    if frame_scores.ndim != 3:
        raise ValueError(f"expected frame scores (n_scenes, n_frames, n_classes), got shape {frame_scores.shape}")
    return frame_scores.max(axis=1)


def frame_and_tag_loss(tag_weight: float) -> Callable:
    """Binary cross-entropy of the frames plus ``tag_weight`` times that of the clip tags (max over time).

    The frame term weighs an event by its length; the tag term counts a short sneeze as much as
    a long rain, which is what clip-level tagging scores.
    """

    def loss(y_true, y_pred):
        frames = keras.ops.mean(keras.losses.binary_crossentropy(y_true, y_pred), axis=-1)
        tags = keras.losses.binary_crossentropy(keras.ops.max(y_true, axis=1), keras.ops.max(y_pred, axis=1))
        return frames + tag_weight * tags

    return loss


def _compile(model: keras.Model, learning_rate: float, tag_weight: float = 0.0) -> keras.Model:
    loss = frame_and_tag_loss(tag_weight) if tag_weight else "binary_crossentropy"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0), loss=loss)
    return model


def dense_tagger(
    n_features: int,
    n_classes: int,
    *,
    hidden: Sequence[int] = (128,),
    dropout: float = 0.3,
    learning_rate: float = 1e-3,
    name: str = "dense_stats",
) -> keras.Model:
    """A multi-layer perceptron from clip statistics to one sigmoid per class (chapter 9)."""
    if n_classes < 1 or n_features < 1:
        raise ValueError(f"n_features and n_classes must be positive, got {n_features} and {n_classes}")
    inputs = keras.Input(shape=(n_features,), name="statistics")
    x = inputs
    for i, width in enumerate(hidden, start=1):
        x = keras.layers.Dense(width, activation="relu", name=f"hidden{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout{i}")(x)
    outputs = keras.layers.Dense(n_classes, activation="sigmoid", name="classes")(x)
    return _compile(keras.Model(inputs, outputs, name=name), learning_rate)


def _conv_front(x, n_mels: int, filters: Sequence[int], pools: Sequence[tuple[int, int]], dropout: float):
    """3x3 conv blocks (batch norm, ReLU), each followed by ``(time, frequency)`` max pooling."""
    if len(filters) != len(pools):
        raise ValueError(
            f"need one (time, frequency) pool per conv block, got {len(filters)} filters and {len(pools)} pools"
        )
    freq_pool = int(np.prod([p[1] for p in pools]))
    if n_mels % freq_pool:
        raise ValueError(f"n_mels={n_mels} must be divisible by the product of the frequency pools ({freq_pool})")
    x = keras.layers.Reshape((-1, n_mels, 1), name="add_channel")(x)
    for i, (width, pool) in enumerate(zip(filters, pools), start=1):
        x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"block{i}_conv")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"block{i}_bn")(x)
        x = keras.layers.Activation("relu", name=f"block{i}_relu")(x)
        x = keras.layers.MaxPooling2D(tuple(pool), name=f"block{i}_pool")(x)
        x = keras.layers.SpatialDropout2D(dropout, name=f"block{i}_dropout")(x) if dropout else x
    return keras.layers.Reshape((-1, n_mels // freq_pool * filters[-1]), name="steps")(x)


def sed_model(
    kind: str,
    n_frames: int,
    n_mels: int,
    n_classes: int,
    *,
    step: int = 5,
    filters: Sequence[int] = (16, 32, 64),
    freq_pools: Sequence[int] = (4, 4, 4),
    time_pool_block: int = 0,
    units: int = 64,
    dropout: float = 0.2,
    tag_weight: float = 0.0,
    learning_rate: float = 2e-3,
) -> keras.Model:
    """A frame-level detector: input ``(n_frames, n_mels)``, output ``(n_frames, n_classes)`` sigmoids.

    Every model decides once per ``step`` frames (the CNNs pool time by ``step`` after conv block
    ``time_pool_block``, counted from 0; the RNN averages ``step`` frames) and repeats each decision
    ``step`` times, which keeps
    the recurrent part short. ``kind`` is ``"cnn"``, ``"rnn"`` or ``"crnn"`` (module docstring);
    ``units`` is the GRU size per direction (the CNN's 1-D convolution has twice as many);
    ``tag_weight`` > 0 adds the clip-level loss of :func:`frame_and_tag_loss`.
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    if n_classes < 1:
        raise ValueError(f"n_classes must be positive, got {n_classes}")
    if n_frames % step:
        raise ValueError(f"n_frames={n_frames} must be a multiple of step={step}")
    inputs = keras.Input(shape=(n_frames, n_mels), name="log_mel")
    if kind == "rnn":
        x = keras.layers.AveragePooling1D(step, name="steps")(inputs)
    else:
        if not 0 <= time_pool_block < len(filters):
            raise ValueError(f"time_pool_block must index one of the {len(filters)} conv blocks, got {time_pool_block}")
        pools = [(step if i == time_pool_block else 1, f) for i, f in enumerate(freq_pools)]
        x = _conv_front(inputs, n_mels, filters, pools, dropout)
    if kind in ("rnn", "crnn"):
        x = keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True), name="bigru")(x)
    else:
        x = keras.layers.Conv1D(2 * units, 3, padding="same", activation="relu", name="context")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    x = keras.layers.Dense(n_classes, activation="sigmoid", name="classes")(x)
    outputs = keras.layers.UpSampling1D(step, name="frames")(x)
    return _compile(keras.Model(inputs, outputs, name=kind), learning_rate, tag_weight)


def fit_fresh(
    model: keras.Model,
    batches: Callable[[int], tuple[np.ndarray, np.ndarray]],
    validation: tuple[np.ndarray, np.ndarray],
    *,
    epochs: int,
    patience: int = 5,
    batch_size: int = 32,
    reduce_after: int | None = 2,
    every: int = 5,
) -> dict[str, list[float]]:
    """Train on a fresh set of examples every epoch, ``batches(epoch) -> (x, y)`` (chapter 9).

    Re-mixing new training scenes each epoch is augmentation after the split: the clips stay
    those of the training folds, only their combinations change. The learning rate is halved
    after ``reduce_after`` epochs without a better validation loss (None: never); training stops
    after ``patience`` such epochs and restores the best weights. Returns the curves.
    """
    if epochs < 1 or patience < 1:
        raise ValueError(f"epochs and patience must be positive, got {epochs} and {patience}")
    history: dict[str, list[float]] = {"loss": [], "val_loss": [], "learning_rate": []}
    best, best_weights, waited = np.inf, model.get_weights(), 0
    for epoch in range(epochs):
        x, y = batches(epoch)
        fitted = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=True)
        val_loss = float(model.evaluate(*validation, batch_size=128, verbose=0))
        history["loss"].append(float(fitted.history["loss"][-1]))
        history["val_loss"].append(val_loss)
        history["learning_rate"].append(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
        if (epoch + 1) % every == 0:
            print(f"epoch {epoch + 1:3d}  loss {history['loss'][-1]:.4f}  val_loss {val_loss:.4f}", flush=True)
        if val_loss < best:
            best, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
            if reduce_after and waited % reduce_after == 0:
                model.optimizer.learning_rate.assign(history["learning_rate"][-1] / 2)
    model.set_weights(best_weights)
    return history
