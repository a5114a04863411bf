"""A small convolutional encoder-decoder (U-Net-style) that predicts a time-frequency mask (chapter 10).

The input is a log-magnitude STFT ``(bins, frames, 1)``; the encoder halves both axes at
each level while it widens the channels, the decoder doubles them back (repeating each
value) and concatenates the encoder's map of the same size (the skip connections that
give the U-Net its shape), and a sigmoid gives a mask in [0, 1] of the input's shape. The Nyquist bin (129th of a
256-point STFT) is cropped on the way in and gets mask 0 on the way out, so the map
sizes divide by ``2 ** depth``; the number of frames must divide by it too.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops


def build_mask_unet(
    n_bins: int = 129,
    n_frames: int | None = None,
    filters: Sequence[int] = (8, 16, 32, 64),
    bottleneck: int = 64,
    kernel: int = 3,
    name: str = "conv_mask_ae",
) -> keras.Model:
    """A U-Net mask estimator: log-magnitude ``(n_bins, n_frames, 1)`` in, mask ``(n_bins, n_frames)`` out.

    ``n_bins - 1`` (and ``n_frames`` if given) must divide by ``2 ** len(filters)``;
    ``n_frames=None`` accepts any such length (the network is fully convolutional).
    """
    depth = len(filters)
    if depth == 0:
        raise ValueError("filters must name at least one encoder level, e.g. (16, 32, 64)")
    if (n_bins - 1) % 2**depth:
        raise ValueError(
            f"n_bins - 1 = {n_bins - 1} must divide by 2**{depth}; use n_fft = 2 * (n_bins - 1) "
            f"a power of two, or fewer levels"
        )
    if n_frames is not None and n_frames % 2**depth:
        raise ValueError(
            f"n_frames = {n_frames} must divide by 2**{depth}; pad the signal to "
            f"(k * {2**depth} - 1) * hop_length samples"
        )
    inputs = keras.Input((n_bins, n_frames, 1), name="log_magnitude")
    x = layers.Cropping2D(((0, 1), (0, 0)), name="drop_nyquist")(inputs)
    x = layers.BatchNormalization(name="input_norm")(x)
    skips = []
    for level, width in enumerate(filters):
        x = layers.Conv2D(width, kernel, padding="same", activation="relu", name=f"enc{level}")(x)
        x = layers.BatchNormalization(name=f"enc{level}_bn")(x)
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"down{level}")(x)
    x = layers.Conv2D(bottleneck, kernel, padding="same", activation="relu", name="bottleneck")(x)
    for level, width in reversed(list(enumerate(filters))):
        x = layers.UpSampling2D(2, name=f"up{level}")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = layers.Conv2D(width, kernel, padding="same", activation="relu", name=f"dec{level}")(x)
    x = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(x)
    x = layers.ZeroPadding2D(((0, 1), (0, 0)), name="nyquist_mask_0")(x)
    outputs = layers.Reshape((n_bins, -1) if n_frames is None else (n_bins, n_frames), name="squeeze")(x)
    return keras.Model(inputs, outputs, name=name)


def _window_sum_square(n_frames: int, n_fft: int, hop_length: int) -> np.ndarray:
    """The summed squared window of an overlap-add, which the ISTFT divides by."""
    window = np.hanning(n_fft + 1)[:-1]  # periodic Hann, as librosa's STFT uses
    total = np.zeros(n_fft + hop_length * (n_frames - 1))
    for t in range(n_frames):
        total[t * hop_length : t * hop_length + n_fft] += window**2
    return total


def build_waveform_trainer(mask_model: keras.Model, n_samples: int, hop_length: int = 128) -> keras.Model:
    """Wrap ``mask_model`` so that it is trained on the waveform it produces (chapter 10).

    Inputs: the noisy log-magnitude ``(bins, frames, 1)`` and the real and imaginary parts
    of the noisy STFT ``(bins, frames)`` (:func:`audioml.dsp.denoise.stft`). Output: the
    enhanced waveform ``istft(mask * X)`` of ``n_samples`` samples, computed in TensorFlow
    exactly as :func:`audioml.dsp.denoise.istft` does (overlap-add, divided by the summed
    squared window, centred), so a loss on the waveform (:func:`negative_si_sdr`) trains
    the mask. The trainer shares its weights with ``mask_model``.
    """
    n_bins = mask_model.input_shape[1]
    n_fft = 2 * (n_bins - 1)
    n_frames = 1 + n_samples // hop_length
    if n_samples < n_fft:
        raise ValueError(f"n_samples={n_samples} is shorter than one STFT window (n_fft={n_fft})")
    if mask_model.input_shape[2] not in (None, n_frames):
        raise ValueError(
            f"the mask model takes {mask_model.input_shape[2]} frames, but {n_samples} samples give "
            f"{n_frames} at hop {hop_length}; use n_samples = (frames - 1) * hop_length"
        )
    norm = _window_sum_square(n_frames, n_fft, hop_length)
    norm = np.where(norm > 1e-8, norm, 1.0)[n_fft // 2 : n_fft // 2 + n_samples].astype(np.float32)
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)

    def to_waveform(tensors):
        mask, real, imag = tensors
        spec = tf.complex(mask * real, mask * imag)  # (batch, bins, frames)
        frames = tf.signal.irfft(tf.transpose(spec, (0, 2, 1)), fft_length=[n_fft]) * window
        signal = tf.signal.overlap_and_add(frames, hop_length)  # (batch, n_fft + hop * (frames - 1))
        return signal[:, n_fft // 2 : n_fft // 2 + n_samples] / norm

    log_magnitude = keras.Input((n_bins, n_frames, 1), name="log_magnitude")
    real = keras.Input((n_bins, n_frames), name="stft_real")
    imag = keras.Input((n_bins, n_frames), name="stft_imag")
    mask = mask_model(log_magnitude)
    waveform = layers.Lambda(to_waveform, output_shape=(n_samples,), name="istft")([mask, real, imag])
    return keras.Model([log_magnitude, real, imag], waveform, name=f"{mask_model.name}_trainer")


def negative_si_sdr(clean, estimate):
    """Loss: minus the SI-SDR in dB of each estimate against its clean waveform ``(batch, samples)`` (chapter 10).

    Minimising it maximises the very metric the chapter reports. Zero padding at the end
    of both signals changes nothing (it adds zero to every sum).
    """
    eps = 1e-8
    alpha = ops.sum(clean * estimate, axis=-1, keepdims=True) / (ops.sum(clean**2, axis=-1, keepdims=True) + eps)
    target = alpha * clean
    ratio = (ops.sum(target**2, axis=-1) + eps) / (ops.sum((estimate - target) ** 2, axis=-1) + eps)
    return -10.0 * ops.log(ratio) / np.log(10.0)
