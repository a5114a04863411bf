"""Seeded Keras training with early stopping on validation data and compact progress (chapters 5-12)."""

from __future__ import annotations

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf


def predict_labels(model: keras.Model, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """The most probable class of every example, calling the model in inference mode on
    ``batch_size`` examples at a time (chapters 5, 8)."""
    batches = [
        np.asarray(model(x[i : i + batch_size], training=False)).argmax(axis=1) for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, and ask TF for deterministic kernels."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


class EpochLine(keras.callbacks.Callback):
    """Print one short line every ``every`` epochs instead of Keras' progress bars."""

    def __init__(self, every: int = 5) -> None:
        super().__init__()
        self.every = every

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if (epoch + 1) % self.every == 0:
            shown = "  ".join(f"{k} {v:.3f}" for k, v in sorted((logs or {}).items()) if k != "learning_rate")
            print(f"epoch {epoch + 1:3d}  {shown}", flush=True)


def fit(
    model: keras.Model,
    train: tf.data.Dataset,
    validation: tf.data.Dataset,
    *,
    epochs: int,
    patience: int = 10,
    monitor: str = "val_loss",
    every: int = 5,
) -> keras.callbacks.History:
    """Train with early stopping on the validation set only, restoring the best weights."""
    stop = keras.callbacks.EarlyStopping(
        monitor=monitor, patience=patience, restore_best_weights=True, mode="max" if "acc" in monitor else "min"
    )
    return model.fit(train, validation_data=validation, epochs=epochs, verbose=0, callbacks=[stop, EpochLine(every)])


def plot_history(
    history: keras.callbacks.History, metrics: tuple[str, ...] = ("loss", "accuracy"), title: str = ""
) -> plt.Figure:
    """Training and validation curves, one panel per metric."""
    figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for prefix, style in (("", "-"), ("val_", "--")):
            if prefix + metric in history.history:
                ax.plot(history.history[prefix + metric], style, label=(prefix or "train_").rstrip("_"))
        ax.set(xlabel="epoch", ylabel=metric, title=f"{title} {metric}".strip())
        ax.legend()
    figure.tight_layout()
    return figure
