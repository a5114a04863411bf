"""The recurrent builders of chapters 6 and 9 build, predict the right shapes, and ignore padding when masked."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from audioml.dsp.features import FeatureParams, frame_count
from audioml.models import rnn

N_CLASSES = 4
PARAMS = FeatureParams(sr=8000, n_fft=256, hop_length=80, n_mels=16)


def clip(n: int, seed: int = 0) -> np.ndarray:
    """A non-zero random signal of ``n`` samples (no exact zeros, so nothing inside it is masked)."""
    rng = np.random.default_rng(seed)
    return (0.1 + rng.uniform(0, 0.5, n)) * rng.choice([-1.0, 1.0], n)


BUILDERS = {
    "raw_lstm": (lambda: rnn.raw_lstm(400, N_CLASSES, units=8), (400, 1)),
    "lstm_logmel": (lambda: rnn.logmel_rnn(12, 16, N_CLASSES, cell="lstm", units=8), (12, 16)),
    "gru_logmel": (lambda: rnn.logmel_rnn(12, 16, N_CLASSES, cell="gru", units=8), (12, 16)),
    "conv_gru": (lambda: rnn.conv_gru(800, N_CLASSES, filters=8, context_filters=8, units=8), (800, 1)),
    "crnn": (lambda: rnn.crnn(12, 16, N_CLASSES, filters=(4, 8), units=8), (12, 16)),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_builder_predicts_one_probability_vector_per_clip(name: str) -> None:
    build, shape = BUILDERS[name]
    model = build()
    x = np.random.default_rng(0).normal(size=(3, *shape)).astype(np.float32)
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (3, N_CLASSES)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "build",
    [
        lambda: rnn.logmel_rnn(12, 16, N_CLASSES, cell="gru", units=8, activation="sigmoid", frame_outputs=True),
        lambda: rnn.crnn(12, 16, N_CLASSES, filters=(4,), units=8, activation="sigmoid", frame_outputs=True),
    ],
    ids=["gru", "crnn"],
)
def test_frame_outputs_give_one_multilabel_prediction_per_step(build) -> None:
    model = build()
    scores = model.predict(np.ones((2, 12, 16), np.float32), verbose=0)
    assert scores.shape == (2, 12, N_CLASSES) and np.all((scores > 0) & (scores < 1))


@pytest.mark.parametrize(
    "build, steps, features",
    [
        (lambda: rnn.raw_lstm(None, N_CLASSES, units=8), 300, 1),
        (lambda: rnn.logmel_rnn(None, 16, N_CLASSES, cell="lstm", units=8), 10, 16),
        (lambda: rnn.logmel_rnn(None, 16, N_CLASSES, cell="gru", units=8), 10, 16),
        (lambda: rnn.conv_gru(None, N_CLASSES, filters=8, context_filters=8, units=8), 1234, 1),
        (lambda: rnn.crnn(None, 16, N_CLASSES, filters=(4, 8), units=8), 10, 16),
    ],
    ids=["raw_lstm", "lstm_logmel", "gru_logmel", "conv_gru", "crnn"],
)
def test_extra_zero_padding_does_not_change_a_masked_prediction(build, steps: int, features: int) -> None:
    model = build()
    x = clip(steps * features).reshape(1, steps, features).astype(np.float32)
    tail = np.zeros((1, 3 * steps, features), np.float32)
    short = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(np.concatenate([x, tail], axis=1), verbose=0), short, atol=1e-6)
    # the check has teeth: a tail that is not padding does change the prediction
    assert not np.allclose(model.predict(np.concatenate([x, tail + 0.5], axis=1), verbose=0), short, atol=1e-4)


def test_log_mel_sequence_pads_after_the_clip_with_the_mask_value() -> None:
    y = np.concatenate([clip(1600), np.zeros(2400)]).astype(np.float32)
    frames = rnn.log_mel_sequence(y, PARAMS, n_steps=60)
    real = np.any(frames != rnn.MASK_VALUE, axis=1)
    assert frames.shape == (60, 16)
    assert real.sum() == frame_count(1600, PARAMS.hop_length) == 21
    assert real[:21].all() and not real[21:].any()


def test_log_mel_sequence_standardises_with_the_given_statistics() -> None:
    y = clip(1600).astype(np.float32)
    raw = rnn.log_mel_sequence(y, PARAMS, n_steps=21)
    mean, std = raw.mean(axis=0), raw.std(axis=0)
    standard = rnn.log_mel_sequence(y, PARAMS, n_steps=21, mean=mean, std=std)
    np.testing.assert_allclose(standard, (raw - mean) / std, rtol=1e-5, atol=1e-5)


def test_frame_mask_marks_the_pooled_frames_that_end_inside_the_clip() -> None:
    model = rnn.conv_gru(1000, N_CLASSES, filters=4, context_filters=4, units=4, kernel=160, stride=20, pool=4)
    waveform = np.concatenate([clip(500), np.zeros(500)]).reshape(1, 1000, 1).astype(np.float32)
    mask = np.asarray(model.get_layer("frame_mask")(waveform))
    assert mask.shape == (1, model.get_layer("band_energy").output.shape[1]) == (1, 10)
    # pooled frame j spans samples [80 j, 80 j + 220): inside the 500-sample clip for j <= 3
    assert mask[0].tolist() == [True] * 4 + [False] * 6


def test_content_length_ignores_trailing_zeros_only() -> None:
    assert rnn.content_length(np.array([0.0, 1.0, 0.0, 2.0, 0.0, 0.0])) == 4
    assert rnn.content_length(np.zeros(5)) == 0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: rnn.logmel_rnn(10, 16, N_CLASSES, cell="rnn"), "cell"),
        (lambda: rnn.raw_lstm(100, 1), "n_classes"),
        (lambda: rnn.crnn(10, 10, N_CLASSES, filters=(4, 8)), "divisible"),
    ],
)
def test_bad_arguments_give_clear_errors(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
