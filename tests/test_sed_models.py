"""The four scene models: shapes, time resolution, statistics and the fresh-data training loop."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from audioml.models import sed_models as sm

pytestmark = pytest.mark.usefixtures("isolated_env")


def test_clip_statistics_are_band_mean_sd_and_max() -> None:
    x = np.random.default_rng(0).normal(size=(3, 20, 4)).astype(np.float32)
    stats = sm.band_summary(x)
    assert stats.shape == (3, 12)
    np.testing.assert_allclose(stats[:, :4], x.mean(axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats[:, 4:8], x.std(axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats[:, 8:], x.max(axis=1))
    with pytest.raises(ValueError, match="n_scenes, n_frames, n_mels"):
        sm.band_summary(x[0])


def test_standardise_uses_training_statistics_only() -> None:
    train = np.random.default_rng(1).normal(3.0, 2.0, size=(50, 10, 4)).astype(np.float32)
    mean, std = sm.band_statistics(train)
    z = sm.standardise(train, mean, std)
    np.testing.assert_allclose(z.reshape(-1, 4).mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(z.reshape(-1, 4).std(axis=0), 1, atol=1e-3)


@pytest.mark.parametrize("kind, time_pool_block", [("cnn", 1), ("rnn", 1), ("crnn", 0), ("crnn", 2)])
def test_frame_models_give_one_score_per_frame_and_class(kind: str, time_pool_block: int) -> None:
    model = sm.sed_model(kind, 20, 64, 3, step=5, filters=(4, 8, 8), units=8, time_pool_block=time_pool_block)
    x = np.random.default_rng(2).normal(size=(2, 20, 64)).astype(np.float32)
    out = model.predict(x, verbose=0)
    assert out.shape == (2, 20, 3) and np.all((out > 0) & (out < 1))
    blocks = out.reshape(2, 4, 5, 3)
    np.testing.assert_allclose(blocks, np.repeat(blocks[:, :, :1], 5, axis=2), err_msg="one decision per step")


def test_default_crnn_is_small_and_bad_shapes_are_refused() -> None:
    assert 50_000 <= sm.sed_model("crnn", 250, 64, 10).count_params() <= 150_000
    with pytest.raises(ValueError, match="multiple of step"):
        sm.sed_model("cnn", 21, 64, 3, step=5)
    with pytest.raises(ValueError, match="divisible"):
        sm.sed_model("crnn", 20, 60, 3, freq_pools=(4, 4, 4))
    with pytest.raises(ValueError, match="time_pool_block"):
        sm.sed_model("cnn", 20, 64, 3, time_pool_block=3)
    with pytest.raises(ValueError, match="kind"):
        sm.sed_model("transformer", 20, 64, 3)


def test_clip_scores_max_pool_frames() -> None:
    frames = np.zeros((2, 5, 3))
    frames[0, 3, 1], frames[1, 0, 2] = 0.8, 0.6
    np.testing.assert_array_equal(sm.max_over_time(frames), [[0, 0.8, 0], [0, 0, 0.6]])


def test_fit_fresh_learns_from_new_data_each_epoch_and_keeps_the_best_weights() -> None:
    keras.utils.set_random_seed(0)
    model = sm.dense_tagger(4, 2, hidden=(8,), dropout=0.0, learning_rate=0.05)
    rng = np.random.default_rng(0)
    seen = []

    def batches(epoch: int) -> tuple[np.ndarray, np.ndarray]:
        seen.append(epoch)
        x = rng.normal(size=(64, 4)).astype(np.float32)
        return x, np.stack([x[:, 0] > 0, x[:, 1] > 0], axis=1).astype(np.float32)

    val_x = rng.normal(size=(64, 4)).astype(np.float32)
    val_y = np.stack([val_x[:, 0] > 0, val_x[:, 1] > 0], axis=1).astype(np.float32)
    history = sm.fit_fresh(model, batches, (val_x, val_y), epochs=8, patience=3, every=100)
    assert seen == list(range(len(history["loss"])))
    assert history["val_loss"][-1] < history["val_loss"][0] or min(history["val_loss"]) < history["val_loss"][0]
    restored = float(model.evaluate(val_x, val_y, verbose=0))
    assert restored == pytest.approx(min(history["val_loss"]), rel=1e-4), "the best epoch's weights come back"
    with pytest.raises(ValueError, match="positive"):
        sm.fit_fresh(model, batches, (val_x, val_y), epochs=0)


def test_frame_and_tag_loss_adds_the_tag_cross_entropy() -> None:
    rng = np.random.default_rng(3)
    y_true = (rng.random((4, 10, 3)) < 0.2).astype(np.float32)
    y_pred = np.clip(rng.random((4, 10, 3)), 0.01, 0.99).astype(np.float32)

    def bce(t, p):
        return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(axis=-1)

    expected = bce(y_true, y_pred).mean(axis=1) + 0.5 * bce(y_true.max(axis=1), y_pred.max(axis=1))
    got = keras.ops.convert_to_numpy(sm.frame_and_tag_loss(0.5)(y_true, y_pred))
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_fit_fresh_halves_the_learning_rate_on_a_plateau() -> None:
    keras.utils.set_random_seed(0)
    model = sm.dense_tagger(2, 1, hidden=(4,), learning_rate=1e-3)
    x = np.zeros((16, 2), np.float32)
    y = np.full((16, 1), 0.5, np.float32)  # nothing to learn beyond a constant: the loss plateaus
    history = sm.fit_fresh(model, lambda epoch: (x, y), (x, y), epochs=12, patience=8, reduce_after=2, every=100)
    rates = history["learning_rate"]
    assert rates[0] == pytest.approx(1e-3) and min(rates) < rates[0], "the rate is halved after a plateau"
    assert all(b in (a, pytest.approx(a / 2)) for a, b in zip(rates, rates[1:]))
