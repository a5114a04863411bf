"""tf.data pipelines from arrays, with on-the-fly augmentation on the training side only.

Chapters 4-7 feed Keras models through :func:`make_dataset`. Augmentation and feature
extraction run inside the pipeline (``tf.numpy_function``), so every epoch sees fresh
random variants of the training clips while validation and test data stay untouched.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

_Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    training: bool,
    augment: _Transform | None = None,
    featurize: Callable[[np.ndarray], np.ndarray] | None = None,
    seed: int = 0,
) -> tf.data.Dataset:
    """Batches of ``(featurize(augment(x_i)), y_i)``; shuffled and augmented only when ``training``.

    ``augment(x_i, rng)`` gets a generator seeded once from ``seed``; ``featurize`` maps a
    (possibly augmented) example to the model's input, e.g. a waveform to its log-mel.
    Passing ``augment`` with ``training=False`` raises: test data is never augmented.
    """
    if augment is not None and not training:
        raise ValueError(
            "augmentation belongs on the training side only: pass augment=None for validation and test data"
        )
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}")
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    if augment is not None or featurize is not None:
        rng = np.random.default_rng(seed)
        example = featurize(np.asarray(x[0])) if featurize else np.asarray(x[0])

        def transform(item: np.ndarray) -> np.ndarray:
            item = augment(item, rng) if augment is not None else item
            return np.asarray(featurize(item) if featurize else item, dtype=np.float32)

        def mapped(item, label):
            out = tf.numpy_function(transform, [item], tf.float32, stateful=augment is not None)
            return tf.ensure_shape(out, example.shape), label

        dataset = dataset.map(mapped, num_parallel_calls=1, deterministic=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
