"""A CRNN whose convolutional part is YAMNet: pretrained frame embeddings, then a GRU (chapter 9).

YAMNet (chapter 8) turns every 0.975 s window of a 16 kHz signal, one window every 0.48 s,
into a 1024-d embedding learned on AudioSet. A scene of 10 s gives 20 such frames. A small
recurrent head reads them in order and says, per YAMNet frame, which classes sound:
:func:`embedding_crnn`. The frozen YAMNet is the convolutional half of this CRNN; only the
head is trained.

The event rolls keep their 40 ms frames. Each roll frame belongs to the YAMNet window whose
centre is nearest (:func:`nearest_window`), which gives the two maps of this module:
:func:`to_windows` (roll frames to training targets, one per window: any active frame makes
the window active) and :func:`to_roll_frames` (window scores back to roll frames, for the
same tagging and segment metrics as every other model of the chapter).
"""

from __future__ import annotations

import keras
import numpy as np

from audioml.models.pretrained import EMBEDDING_SIZE, HOP, SAMPLE_RATE, WINDOW, Yamnet, frame_count
from audioml.prep.scenes import SceneConfig


def nearest_window(config: SceneConfig) -> np.ndarray:
    """For each of the scene's roll frames, the index of the YAMNet window centred nearest to it.

    Roll frame ``t`` is centred on sample ``t * hop_length``; window ``k`` spans samples
    ``[k * HOP, k * HOP + WINDOW)`` and is centred on ``k * HOP + WINDOW / 2``.
    """
    if config.sr != SAMPLE_RATE:
        raise ValueError(
            f"YAMNet reads {SAMPLE_RATE} Hz scenes, but SceneConfig.sr is {config.sr}; "
            f"use SceneConfig(sr={SAMPLE_RATE})"
        )
    centres = np.arange(config.n_frames) * config.hop_length
    index = np.rint((centres - WINDOW / 2) / HOP).astype(int)
    return np.clip(index, 0, frame_count(config.n_samples) - 1)


def to_windows(rolls: np.ndarray, config: SceneConfig) -> np.ndarray:
    """Targets per YAMNet window, ``(n, n_windows, n_classes)``: True where any of its roll frames is."""
    rolls = np.asarray(rolls, dtype=bool)
    if rolls.ndim != 3 or rolls.shape[1] != config.n_frames:
        raise ValueError(f"expected rolls (n_scenes, {config.n_frames}, n_classes), got shape {rolls.shape}")
    index = nearest_window(config)
    out = np.zeros((rolls.shape[0], frame_count(config.n_samples), rolls.shape[2]), dtype=bool)
    for k in np.unique(index):
        out[:, k] = rolls[:, index == k].any(axis=1)
    return out


def to_roll_frames(window_scores: np.ndarray, config: SceneConfig) -> np.ndarray:
    """Scores per YAMNet window ``(n, n_windows, n_classes)`` repeated onto the roll's frames."""
    window_scores = np.asarray(window_scores)
    n_windows = frame_count(config.n_samples)
    if window_scores.ndim != 3 or window_scores.shape[1] != n_windows:
        raise ValueError(f"expected scores (n_scenes, {n_windows}, n_classes), got shape {window_scores.shape}")
    return window_scores[:, nearest_window(config)]


def scene_embeddings(audio: np.ndarray, yamnet: Yamnet) -> np.ndarray:
    """YAMNet's frame embeddings of each scene: ``(n_scenes, n_windows, 1024)`` float32.

    Samples beyond [-1, 1] (a rare peak where loud events overlap) are clipped, as a
    recorder would: YAMNet expects audio in that range.
    """
    audio = np.clip(np.atleast_2d(np.asarray(audio, dtype=np.float32)), -1.0, 1.0)
    return np.stack([yamnet(scene, SAMPLE_RATE).embeddings for scene in audio]).astype(np.float32)


def embedding_crnn(
    n_windows: int,
    n_classes: int,
    *,
    embedding_size: int = EMBEDDING_SIZE,
    hidden: int = 128,
    units: int = 64,
    dropout: float = 0.3,
    learning_rate: float = 1e-3,
) -> keras.Model:
    """The trained half of the YAMNet CRNN: embeddings ``(n_windows, 1024)`` -> sigmoids ``(n_windows, n_classes)``.

    Dropout on the embeddings, a shared dense layer that shrinks each frame to ``hidden``
    values, a bidirectional GRU over the frames, then one sigmoid per class and frame.
    """
    if min(n_windows, n_classes, embedding_size, hidden, units) < 1:
        raise ValueError("n_windows, n_classes, embedding_size, hidden and units must be positive")
    inputs = keras.Input(shape=(n_windows, embedding_size), name="yamnet_embeddings")
    x = keras.layers.Dropout(dropout, name="input_dropout")(inputs)
    x = keras.layers.Dense(hidden, activation="relu", name="frame_dense")(x)
    x = keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True), name="bigru")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(n_classes, activation="sigmoid", name="classes")(x)
    model = keras.Model(inputs, outputs, name="crnn_yamnet")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0), loss="binary_crossentropy")
    return model
