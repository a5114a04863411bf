"""A convolutional variational autoencoder for log-mel patches, and one-class scores from it (chapter 12).

The model is the ELBO made trainable: an encoder gives the mean and log-variance of a
diagonal Gaussian over a small latent space, a sample is drawn with the
reparameterisation trick ``z = mean + exp(log_var / 2) * eps``, the decoder maps it back
to a patch, and the loss is the reconstruction error plus ``beta`` times the KL
divergence from the prior N(0, I). With ``variational=False`` the same class is a plain
autoencoder (no sampling, no KL). Patch helpers cut fixed-size pieces where the sound
is active, and :func:`score_patches` / :func:`clip_scores` turn the two loss terms into
per-clip anomaly scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from audioml.prep.patches import normalise_patches


def kl_divergence(mean, log_var):
    """KL( N(mean, diag(exp(log_var))) || N(0, I) ), summed over the last axis (chapter 12).

    Closed form per dimension: ``0.5 * (exp(log_var) + mean**2 - 1 - log_var)``. Works on
    NumPy arrays and tensors alike (``keras.ops``); differentiable.
    """
    return 0.5 * ops.sum(ops.exp(log_var) + ops.square(mean) - 1.0 - log_var, axis=-1)


def reconstruction_loss(x, x_hat):
    """Squared error summed over every value of one example (batch axis kept) (chapter 12).

    Up to a constant this is the negative log-likelihood of ``x`` under a Gaussian
    decoder with unit variance, times 2.
    """
    if len(x.shape) < 2:
        raise ValueError(f"expected a batch of examples (batch, ...), got shape {tuple(x.shape)}")
    return ops.sum(ops.reshape(ops.square(x - x_hat), (ops.shape(x)[0], -1)), axis=-1)


def reparameterize(mean, log_var, eps):
    """The reparameterisation trick: ``mean + exp(log_var / 2) * eps`` with ``eps ~ N(0, I)`` (chapter 12)."""
    return mean + ops.exp(0.5 * log_var) * eps


def _check_shape(input_shape: Sequence[int], filters: Sequence[int]) -> tuple[int, int]:
    if len(input_shape) != 2:
        raise ValueError(f"input_shape must be (n_mels, n_frames), got {tuple(input_shape)}")
    step = 2 ** len(filters)
    if input_shape[0] % step or input_shape[1] % step:
        raise ValueError(
            f"input_shape {tuple(input_shape)} must be divisible by 2**len(filters) = {step} "
            f"on both axes (each block halves them); crop the patches or use fewer filters"
        )
    return input_shape[0] // step, input_shape[1] // step


def build_encoder(
    input_shape: Sequence[int], latent_dim: int, filters: Sequence[int] = (32, 64, 128), hidden: int = 128
) -> keras.Model:
    """Patch ``(n_mels, n_frames)`` -> ``[z_mean, z_log_var]``, each ``(latent_dim,)`` (chapter 12).

    Stride-2 3x3 convolutions halve both axes ``len(filters)`` times.
    """
    _check_shape(input_shape, filters)
    if latent_dim < 1:
        raise ValueError(f"latent_dim must be positive, got {latent_dim}")
    inputs = keras.Input(shape=tuple(input_shape), name="patch")
    x = layers.Reshape((*input_shape, 1))(inputs)
    for i, n in enumerate(filters):
        x = layers.Conv2D(n, 3, strides=2, padding="same", activation="relu", name=f"conv{i + 1}")(x)
    x = layers.Dense(hidden, activation="relu", name="hidden")(layers.Flatten()(x))
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var", kernel_initializer="zeros")(x)
    return keras.Model(inputs, [z_mean, z_log_var], name="encoder")


def build_decoder(
    latent_dim: int, output_shape: Sequence[int], filters: Sequence[int] = (32, 64, 128), hidden: int = 128
) -> keras.Model:
    """Latent ``z`` -> patch ``(n_mels, n_frames)``: the encoder mirrored with transposed convolutions (chapter 12)."""
    height, width = _check_shape(output_shape, filters)
    inputs = keras.Input(shape=(latent_dim,), name="z")
    x = layers.Dense(hidden, activation="relu", name="hidden")(inputs)
    x = layers.Dense(height * width * filters[-1], activation="relu")(x)
    x = layers.Reshape((height, width, filters[-1]))(x)
    for i, n in enumerate(reversed(filters)):
        x = layers.Conv2DTranspose(n, 3, strides=2, padding="same", activation="relu", name=f"deconv{i + 1}")(x)
    x = layers.Conv2D(1, 3, padding="same", name="out")(x)
    return keras.Model(inputs, layers.Reshape(tuple(output_shape))(x), name="decoder")


class VAE(keras.Model):
    """Encoder + sampling + decoder, trained on ``rl_weight * RL + beta * KL`` (chapter 12).

    ``fit(x)`` needs no targets: the input is its own target. ``variational=False`` makes
    it a plain autoencoder (``z = z_mean``, no KL in the loss). Calling the model
    returns the reconstruction from the mean ``z`` (no noise).
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        beta: float = 1.0,
        rl_weight: float = 1.0,
        variational: bool = True,
        seed: int = 0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if beta < 0 or rl_weight <= 0:
            raise ValueError(f"need beta >= 0 and rl_weight > 0, got beta={beta}, rl_weight={rl_weight}")
        self.encoder, self.decoder = encoder, decoder
        self.beta, self.rl_weight, self.variational = float(beta), float(rl_weight), bool(variational)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "rl", "kl")}

    @property
    def metrics(self) -> list:
        return list(self.trackers.values())

    def call(self, x, training: bool = False):
        z_mean, _ = self.encoder(x, training=training)
        return self.decoder(z_mean, training=training)

    def losses_of(self, x, training: bool):
        """Mean RL, mean KL and the loss of a batch (sampled ``z`` for a VAE)."""
        z_mean, z_log_var = self.encoder(x, training=training)
        if self.variational:
            eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
            z = reparameterize(z_mean, z_log_var, eps)
        else:
            z = z_mean
        rl = ops.mean(reconstruction_loss(x, self.decoder(z, training=training)))
        kl = ops.mean(kl_divergence(z_mean, z_log_var))
        loss = self.rl_weight * rl + (self.beta * kl if self.variational else 0.0)
        return rl, kl, loss

    def _report(self, rl, kl, loss) -> dict:
        for name, value in (("loss", loss), ("rl", rl), ("kl", kl)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            rl, kl, loss = self.losses_of(x, training=True)
        gradients = tape.gradient(loss, self.trainable_weights)
        # a plain autoencoder never uses the z_log_var head: it has no gradient to apply
        self.optimizer.apply_gradients([(g, w) for g, w in zip(gradients, self.trainable_weights) if g is not None])
        return self._report(rl, kl, loss)

    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        return self._report(*self.losses_of(x, training=False))


def build_vae(
    patch_shape: Sequence[int],
    latent_dim: int = 16,
    beta: float = 1.0,
    *,
    variational: bool = True,
    filters: Sequence[int] = (32, 64, 128),
    learning_rate: float = 1e-3,
    seed: int = 0,
    run_eagerly: bool = False,
) -> VAE:
    """A compiled :class:`VAE` (or plain autoencoder) for patches of ``patch_shape`` (chapter 12).

    ``run_eagerly=True`` skips graph tracing: slower per step, faster for a one-epoch smoke test."""
    model = VAE(
        build_encoder(patch_shape, latent_dim, filters),
        build_decoder(latent_dim, patch_shape, filters),
        beta=beta,
        variational=variational,
        seed=seed,
        name="vae" if variational else "autoencoder",
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), run_eagerly=run_eagerly)
    return model


def score_patches(model: VAE, patches: np.ndarray, batch_size: int = 256) -> dict[str, np.ndarray]:
    """Per-patch anomaly scores: ``rl`` (squared error of the reconstruction from the mean ``z``)
    and ``kl`` (the encoder's KL from the prior); high means unlike the training data (chapter 12)."""
    patches = np.asarray(patches, dtype=np.float32)
    if patches.ndim != 3:
        raise ValueError(f"expected patches (n, n_mels, n_frames), got shape {patches.shape}")
    rl, kl = [], []
    for start in range(0, len(patches), batch_size):
        x = patches[start : start + batch_size]
        z_mean, z_log_var = model.encoder(x, training=False)
        rl.append(ops.convert_to_numpy(reconstruction_loss(x, model.decoder(z_mean, training=False))))
        kl.append(ops.convert_to_numpy(kl_divergence(z_mean, z_log_var)))
    return {"rl": np.concatenate(rl), "kl": np.concatenate(kl)}


def reconstruct_clip(
    reconstruct: Callable[[np.ndarray], np.ndarray], log_mel: np.ndarray, width: int, hop: int
) -> np.ndarray:
    """A whole log-mel rebuilt patch by patch (chapter 12): cut windows of ``width`` frames every
    ``hop`` frames, normalise them, pass them through ``reconstruct`` (e.g. a VAE), undo the
    normalisation and average where windows overlap. Frames of digital silence are kept as they are."""
    log_mel = np.asarray(log_mel, dtype=np.float32)
    if log_mel.ndim != 2 or log_mel.shape[1] < width:
        raise ValueError(f"expected one log-mel (n_mels, n_frames >= {width}), got shape {log_mel.shape}")
    starts = list(range(0, log_mel.shape[1] - width + 1, hop))
    if starts[-1] != log_mel.shape[1] - width:
        starts.append(log_mel.shape[1] - width)  # cover the last frames too
    windows = np.stack([log_mel[:, s : s + width] for s in starts])
    changing = windows.std(axis=(1, 2)) > 1e-3
    rebuilt = windows.copy()
    if changing.any():
        normalised, band_means, scale = normalise_patches(windows[changing])
        rebuilt[changing] = np.asarray(reconstruct(normalised)) * scale + band_means
    total, count = np.zeros_like(log_mel), np.zeros(log_mel.shape[1], np.float32)
    for start, window in zip(starts, rebuilt):
        total[:, start : start + width] += window
        count[start : start + width] += 1
    return total / count


def clip_scores(patch_scores: np.ndarray, clip_index: np.ndarray, n_clips: int, how: str = "mean") -> np.ndarray:
    """Pool per-patch scores into one per clip: ``mean``, ``min`` (the most typical patch) or ``max`` (chapter 12)."""
    reducers: dict[str, Callable[[np.ndarray], Any]] = {"mean": np.mean, "min": np.min, "max": np.max}
    if how not in reducers:
        raise ValueError(f"how must be one of {sorted(reducers)}, got {how!r}")
    patch_scores, clip_index = np.asarray(patch_scores), np.asarray(clip_index)
    if patch_scores.shape != clip_index.shape:
        raise ValueError(f"one clip index per patch score needed, got {patch_scores.shape} and {clip_index.shape}")
    missing = sorted(set(range(n_clips)) - set(clip_index.tolist()))
    if missing:
        raise ValueError(f"clips {missing[:5]} have no patch; cut at least one patch per clip")
    return np.array([reducers[how](patch_scores[clip_index == i]) for i in range(n_clips)])
