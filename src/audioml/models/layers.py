"""Layers that several model families share (chapters 4-13).

- :func:`per_example_norm`: each input standardised on its own, so no statistic of another
  clip, training or test, enters a model (the CNNs of :mod:`audioml.models.cnn` and the
  MobileNetV2 of :mod:`audioml.models.pretrained`).
- :func:`learned_filterbank`: a strided Conv1D on the raw waveform, ``|.|``, average pooling
  and ``log1p``: learned log band energies, one frame every ``stride * pool`` samples (the
  raw-waveform models of :mod:`audioml.models.rnn` and :mod:`audioml.models.wavenet`).
"""

from __future__ import annotations

import keras


def per_example_norm(x):
    """Zero mean and unit variance over all of each example's values (an image-shaped tensor)."""
    return keras.layers.LayerNormalization(
        axis=(1, 2, 3), center=False, scale=False, epsilon=1e-6, name="per_example_norm"
    )(x)


def learned_filterbank(waveform, filters: int, kernel: int, stride: int, pool: int):
    """Log band energies of ``waveform`` ``(n_samples, 1)`` from ``filters`` learned filters, batch-normalised
    with momentum 0.9 (its running statistics keep up within a short training)."""
    x = keras.layers.Conv1D(filters, kernel, strides=stride, use_bias=False, name="filterbank")(waveform)
    x = keras.layers.Activation(keras.ops.abs, name="magnitude")(x)
    x = keras.layers.AveragePooling1D(pool, name="band_energy")(x)
    x = keras.layers.Activation(keras.ops.log1p, name="log_compress")(x)
    return keras.layers.BatchNormalization(momentum=0.9, name="filterbank_bn")(x)
