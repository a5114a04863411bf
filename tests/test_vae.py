"""The VAE of chapter 12: the KL term against Monte Carlo and numerical integration, gradients
through the reparameterisation (TF autodiff vs analytic and finite differences), the training
step, the scores and the patch helpers."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import integrate, stats

from audioml.models import vae
from audioml.prep.patches import active_frames, cut_patches, normalise_patches, patch_starts

pytestmark = pytest.mark.usefixtures("isolated_env")
SHAPE = (16, 8)


def kl_monte_carlo(mean: np.ndarray, log_var: np.ndarray, n: int, seed: int = 0) -> tuple[float, float]:
    """E_q[log q(z) - log p(z)] from n samples of q, and its standard error."""
    rng = np.random.default_rng(seed)
    sd = np.exp(0.5 * log_var)
    z = mean + sd * rng.standard_normal((n, len(mean)))
    terms = (stats.norm.logpdf(z, mean, sd) - stats.norm.logpdf(z)).sum(axis=1)
    return float(terms.mean()), float(terms.std() / np.sqrt(n))


# ---------------------------------------------------------------- the KL term
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kl_closed_form_agrees_with_monte_carlo(seed) -> None:
    rng = np.random.default_rng(seed)
    mean, log_var = rng.normal(size=6), rng.normal(0, 0.8, size=6)
    estimate, se = kl_monte_carlo(mean, log_var, 100_000, seed)
    assert abs(float(vae.kl_divergence(mean, log_var)) - estimate) < 5 * se


def test_kl_closed_form_agrees_with_numerical_integration() -> None:
    for mean, log_var in [(0.0, 0.0), (1.5, 0.0), (-0.4, 1.2), (2.0, -2.0)]:
        sd = np.exp(0.5 * log_var)

        def integrand(z):
            return stats.norm.pdf(z, mean, sd) * (stats.norm.logpdf(z, mean, sd) - stats.norm.logpdf(z))

        value, _ = integrate.quad(integrand, mean - 12 * sd, mean + 12 * sd)
        np.testing.assert_allclose(float(vae.kl_divergence(np.array([mean]), np.array([log_var]))), value, atol=1e-8)


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(np.float64, (3, 5), elements=st.floats(-4, 4)), hnp.arrays(np.float64, (3, 5), elements=st.floats(-4, 4))
)
def test_kl_is_non_negative_and_zero_only_at_the_prior(mean, log_var) -> None:
    kl = np.asarray(vae.kl_divergence(mean, log_var))
    assert kl.shape == (3,) and np.all(kl >= -1e-9)
    # Within about 1e-3 of the prior, the KL (about x**2 / 2) drowns in the rounding of exp(log_var) - 1.
    near_prior = (np.abs(mean) < 1e-3).all(axis=1) & (np.abs(log_var) < 1e-3).all(axis=1)
    assert np.all(kl[~near_prior] > 0)
    np.testing.assert_allclose(np.asarray(vae.kl_divergence(np.zeros(4), np.zeros(4))), 0.0)


def test_kl_gradients_tf_autodiff_vs_analytic_and_finite_differences() -> None:
    mean = tf.Variable([0.5, -1.0, 2.0], dtype=tf.float64)
    log_var = tf.Variable([0.2, -0.7, 1.1], dtype=tf.float64)
    with tf.GradientTape() as tape:
        kl = vae.kl_divergence(mean, log_var)
    d_mean, d_log_var = tape.gradient(kl, [mean, log_var])
    np.testing.assert_allclose(d_mean.numpy(), mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(d_log_var.numpy(), 0.5 * (np.exp(log_var.numpy()) - 1), rtol=1e-12)
    h, m, lv = 1e-6, mean.numpy(), log_var.numpy()

    def f(a, b):
        return float(vae.kl_divergence(a, b))

    for i in range(3):
        e = np.eye(3)[i] * h
        np.testing.assert_allclose((f(m + e, lv) - f(m - e, lv)) / (2 * h), d_mean.numpy()[i], rtol=1e-6)
        np.testing.assert_allclose((f(m, lv + e) - f(m, lv - e)) / (2 * h), d_log_var.numpy()[i], rtol=1e-6)


# ---------------------------------------------------------------- the reparameterisation trick
def test_reparameterised_samples_have_the_right_moments() -> None:
    eps = np.random.default_rng(0).standard_normal((200_000, 2))
    z = np.asarray(vae.reparameterize(np.array([1.0, -3.0]), np.log(np.array([0.25, 4.0])), eps))
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -3.0], atol=0.01)
    np.testing.assert_allclose(z.var(axis=0), [0.25, 4.0], rtol=0.02)


def test_gradient_flows_through_the_reparameterisation() -> None:
    """d/dmu E[z^2] = 2 mu and d/dlogvar E[z^2] = sigma^2, estimated by autodiff through samples."""
    mean, log_var = tf.Variable([0.8, -0.3]), tf.Variable([0.4, -1.0])
    eps = tf.constant(np.random.default_rng(1).standard_normal((300_000, 2)), tf.float32)
    with tf.GradientTape() as tape:
        objective = tf.reduce_sum(tf.reduce_mean(vae.reparameterize(mean, log_var, eps) ** 2, axis=0))
    d_mean, d_log_var = tape.gradient(objective, [mean, log_var])
    np.testing.assert_allclose(d_mean.numpy(), 2 * mean.numpy(), atol=0.02)
    np.testing.assert_allclose(d_log_var.numpy(), np.exp(log_var.numpy()), atol=0.02)


def test_reconstruction_loss_is_the_summed_squared_error() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, *SHAPE)), rng.normal(size=(4, *SHAPE))
    np.testing.assert_allclose(np.asarray(vae.reconstruction_loss(x, y)), ((x - y) ** 2).sum(axis=(1, 2)))
    with pytest.raises(ValueError, match="batch"):
        vae.reconstruction_loss(np.zeros(5), np.zeros(5))


# ---------------------------------------------------------------- the model
def test_encoder_and_decoder_shapes_and_bad_shapes() -> None:
    encoder, decoder = vae.build_encoder(SHAPE, 3, (4, 8)), vae.build_decoder(3, SHAPE, (4, 8))
    z_mean, z_log_var = encoder(np.zeros((2, *SHAPE), np.float32))
    assert tuple(z_mean.shape) == (2, 3) and tuple(z_log_var.shape) == (2, 3)
    assert tuple(decoder(np.zeros((2, 3), np.float32)).shape) == (2, *SHAPE)
    with pytest.raises(ValueError, match="divisible"):
        vae.build_encoder((15, 8), 3, (4, 8))
    with pytest.raises(ValueError, match="n_mels, n_frames"):
        vae.build_decoder(3, (16, 8, 1))
    with pytest.raises(ValueError, match="beta"):
        vae.VAE(encoder, decoder, beta=-1.0)


def _toy_patches(n: int = 64) -> np.ndarray:
    rng = np.random.default_rng(0)
    base = np.sin(np.linspace(0, 3, SHAPE[0]))[:, None] * np.cos(np.linspace(0, 2, SHAPE[1]))[None, :]
    return (base[None] * rng.uniform(0.5, 1.5, (n, 1, 1)) + 0.05 * rng.normal(size=(n, *SHAPE))).astype(np.float32)


def test_training_lowers_the_loss_and_reports_rl_and_kl() -> None:
    keras.utils.set_random_seed(0)
    model = vae.build_vae(SHAPE, latent_dim=2, beta=1.0, filters=(4, 8), learning_rate=3e-3)
    x = _toy_patches()
    before = model.evaluate(x, batch_size=32, verbose=0, return_dict=True)
    history = model.fit(x, batch_size=16, epochs=15, verbose=0)
    assert set(history.history) == {"loss", "rl", "kl"}
    after = model.evaluate(x, batch_size=32, verbose=0, return_dict=True)
    assert after["loss"] < 0.5 * before["loss"]
    np.testing.assert_allclose(after["loss"], after["rl"] + model.beta * after["kl"], rtol=1e-5)


def test_plain_autoencoder_ignores_kl_and_sampling() -> None:
    keras.utils.set_random_seed(0)
    model = vae.build_vae(SHAPE, latent_dim=2, variational=False, filters=(4, 8))
    model.fit(_toy_patches(32), batch_size=16, epochs=1, verbose=0)
    x = _toy_patches(8)
    first = model.evaluate(x, verbose=0, return_dict=True)
    np.testing.assert_allclose(first["loss"], first["rl"], rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, verbose=0, return_dict=True)["rl"], first["rl"], rtol=1e-6)


def test_score_patches_matches_the_model_and_the_kl_formula() -> None:
    keras.utils.set_random_seed(0)
    model = vae.build_vae(SHAPE, latent_dim=3, filters=(4, 8))
    x = _toy_patches(10)
    scores = vae.score_patches(model, x, batch_size=4)
    reconstruction = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(scores["rl"], ((x - reconstruction) ** 2).sum(axis=(1, 2)), rtol=1e-5)
    z_mean, z_log_var = (keras.ops.convert_to_numpy(t) for t in model.encoder(x))
    expected = 0.5 * (np.exp(z_log_var) + z_mean**2 - 1 - z_log_var).sum(axis=1)
    np.testing.assert_allclose(scores["kl"], expected, rtol=1e-5)
    with pytest.raises(ValueError, match="patches"):
        vae.score_patches(model, x[0])


# ---------------------------------------------------------------- patches and scores
def _clip(n_frames: int = 40) -> np.ndarray:
    clip = np.full((6, n_frames), -80.0, np.float32)
    clip[:, 10:20] = -10.0  # an event 70 dB above the floor
    return clip


def test_active_frames_and_patch_starts() -> None:
    mask = active_frames(_clip(), 20.0)
    assert mask.sum() == 10 and mask[10:20].all()
    assert list(patch_starts(mask, 8, 2)) == [6, 8, 10, 12, 14, 16]
    quiet = np.zeros(30, bool)
    quiet[3] = True
    assert list(patch_starts(quiet, 8, 4)) == [0], "no window half active: keep the most active one"
    with pytest.raises(ValueError, match="longer than the clip"):
        patch_starts(mask, 41, 1)
    with pytest.raises(ValueError, match="below_peak_db"):
        active_frames(_clip(), 0.0)


def test_cut_patches_returns_owners() -> None:
    clips = np.stack([_clip(), _clip()[:, ::-1].copy()])
    patches, owner = cut_patches(clips, 8, 2)
    assert patches.shape[1:] == (6, 8) and len(patches) == len(owner)
    assert set(owner) == {0, 1}
    with pytest.raises(ValueError, match="n_clips"):
        cut_patches(clips[0], 8, 2)


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(np.float32, (3, 5, 7), elements=st.floats(-60, 0, width=32)),
    st.floats(0.2, 5.0),
    hnp.arrays(np.float32, (5, 1), elements=st.floats(-20, 20, width=32)),
)
def test_normalise_patches_inverts_and_ignores_level_and_background(patches, gain, background) -> None:
    patches = patches + np.linspace(0, 10, 7, dtype=np.float32)  # every patch changes in time
    normalised, band_means, scale = normalise_patches(patches)
    np.testing.assert_allclose(normalised * scale + band_means, patches, atol=1e-3)
    np.testing.assert_allclose(normalised.mean(axis=2), 0.0, atol=1e-4)
    np.testing.assert_allclose(normalised.std(axis=(1, 2)), 1.0, rtol=1e-3)
    shifted, _, _ = normalise_patches(gain * patches + background)
    np.testing.assert_allclose(shifted, normalised, atol=2e-3)


def test_normalise_patches_refuses_a_constant_patch() -> None:
    with pytest.raises(ValueError, match="do not change"):
        normalise_patches(np.full((2, 4, 4), -80.0))


@pytest.mark.parametrize("hop", [1, 3, 8])
def test_reconstruct_clip_with_the_identity_gives_the_clip_back(hop) -> None:
    clip = _clip(37) + np.random.default_rng(0).normal(0, 1, (6, 37)).astype(np.float32) * (np.arange(37) > 25)
    clip[:, :8] = -80.0  # digital silence at the start: passed through unchanged
    np.testing.assert_allclose(vae.reconstruct_clip(lambda x: x, clip, 8, hop), clip, atol=1e-4)
    flat = vae.reconstruct_clip(lambda x: np.zeros_like(x), clip, 8, hop)
    assert flat.shape == clip.shape and np.all(np.isfinite(flat))


def test_clip_scores_pools_per_clip() -> None:
    scores, owner = np.array([1.0, 3.0, 10.0, 2.0, 4.0]), np.array([0, 0, 1, 2, 2])
    np.testing.assert_allclose(vae.clip_scores(scores, owner, 3), [2.0, 10.0, 3.0])
    np.testing.assert_allclose(vae.clip_scores(scores, owner, 3, "min"), [1.0, 10.0, 2.0])
    np.testing.assert_allclose(vae.clip_scores(scores, owner, 3, "max"), [3.0, 10.0, 4.0])
    with pytest.raises(ValueError, match="no patch"):
        vae.clip_scores(scores, owner, 4)
    with pytest.raises(ValueError, match="how"):
        vae.clip_scores(scores, owner, 3, "median")
