"""YAMNet's one interface (offline TFLite, online TF Hub) and the MobileNetV2 helpers of chapter 8."""

from __future__ import annotations

import importlib.util
import os
import sys
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pandas as pd
import pytest

from audioml.errors import ParameterError
from audioml.models import pretrained
from audioml.models.pretrained import (
    EMBEDDING_SIZE,
    HOP,
    N_CLASSES,
    SAMPLE_RATE,
    WINDOW,
    Yamnet,
    check_waveform,
    frame_count,
    frame_waveform,
    pool,
)

pytestmark = pytest.mark.usefixtures("isolated_env")


def tone(seconds: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


def fake_yamnet(calls: list | None = None) -> Yamnet:
    """A stand-in with YAMNet's shapes: scores from the window's energy, no model needed."""

    def run(waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if calls is not None:
            calls.append(len(waveform))
        windows = frame_waveform(waveform)
        level = np.abs(windows).mean(axis=1, keepdims=True)
        return np.repeat(level, N_CLASSES, axis=1), np.repeat(level, EMBEDDING_SIZE, axis=1)

    return Yamnet(run, [f"class {i}" for i in range(N_CLASSES)], "fake")


# -- input checks and framing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("waveform", "sr", "message"),
    [
        (tone(1.0, 44100), 44100, "expects 16000 Hz.*sr=16000"),
        (tone(0.5), SAMPLE_RATE, "at least 15600 samples.*pad"),
        (np.zeros((2, 20000), np.float32), SAMPLE_RATE, "mono"),
        ((tone(1.0) * 32767).astype(np.int16), SAMPLE_RATE, "float samples.*32768"),
        (np.full(20000, np.nan, np.float32), SAMPLE_RATE, "non-finite"),
        (tone(1.0) * 1000, SAMPLE_RATE, r"scaled to \[-1, 1\]"),
    ],
)
def test_check_waveform_says_what_is_wrong(waveform, sr, message) -> None:
    with pytest.raises(ValueError, match=message):
        check_waveform(waveform, sr)


def test_check_waveform_passes_a_good_clip_as_float32() -> None:
    out = check_waveform(tone(1.0).astype(np.float64), SAMPLE_RATE)
    assert out.dtype == np.float32 and out.shape == (SAMPLE_RATE,)


@pytest.mark.parametrize(
    ("n_samples", "expected"), [(WINDOW, 1), (WINDOW + 1, 2), (WINDOW + HOP, 2), (WINDOW + HOP + 1, 3), (80000, 10)]
)
def test_frame_count_covers_the_whole_clip(n_samples, expected) -> None:
    assert frame_count(n_samples) == expected
    windows = frame_waveform(np.arange(n_samples, dtype=np.float32) + 1)
    assert windows.shape == (expected, WINDOW)
    assert windows[0, 0] == 1 and windows[-1].max() == n_samples, "the last window must reach the end"
    np.testing.assert_array_equal(windows[:, 0], 1 + HOP * np.arange(expected))


def test_frame_count_rejects_a_too_short_clip() -> None:
    with pytest.raises(ValueError, match="shorter than one YAMNet window"):
        frame_count(WINDOW - 1)


def test_pool_shapes_and_values() -> None:
    frames = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_allclose(pool(frames, "mean"), frames.mean(axis=1))
    np.testing.assert_allclose(pool(frames, "max"), frames[:, -1])
    assert pool(frames, "mean+max").shape == (2, 8)
    with pytest.raises(ValueError, match="how must be one of"):
        pool(frames, "median")
    with pytest.raises(ValueError, match="n_clips, n_frames, d"):
        pool(frames[0], "mean")


def test_interface_checks_input_and_returns_float32() -> None:
    yamnet = fake_yamnet()
    out = yamnet(tone(5.0))
    assert isinstance(out, pretrained.YamnetOutput)
    assert out.scores.shape == (10, N_CLASSES) and out.embeddings.shape == (10, EMBEDDING_SIZE)
    assert out.scores.dtype == out.embeddings.dtype == np.float32
    with pytest.raises(ValueError, match="16000 Hz"):
        yamnet(tone(5.0, 22050), 22050)
    assert yamnet.top_classes(out.scores, k=3)[0][0].startswith("class")


# -- the online back-end stays optional ---------------------------------------------------


def test_module_imports_without_tensorflow_hub() -> None:
    assert "tensorflow_hub" not in sys.modules or importlib.util.find_spec("tensorflow_hub")


def test_tfhub_without_the_package_is_a_clear_error(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow_hub" else real(name, *a)
    )
    with pytest.raises(ImportError, match="pip install tensorflow-hub.*tflite"):
        pretrained.load_yamnet("tfhub")


def test_tfhub_backend_gives_the_same_interface(monkeypatch, tmp_path) -> None:
    class_map = tmp_path / "yamnet_class_map.csv"
    pd.DataFrame(
        {"index": range(N_CLASSES), "mid": "/m/x", "display_name": [f"name {i}" for i in range(N_CLASSES)]}
    ).to_csv(class_map, index=False)

    class FakeHubModel:
        def class_map_path(self):
            return str(class_map)

        def __call__(self, waveform):
            n = frame_count(len(waveform))
            return np.ones((n, N_CLASSES), np.float64), np.zeros((n, EMBEDDING_SIZE)), None

    hub = types.ModuleType("tensorflow_hub")
    hub.load = lambda handle: FakeHubModel()
    monkeypatch.setitem(sys.modules, "tensorflow_hub", hub)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: object() if name == "tensorflow_hub" else real(name, *a)
    )
    yamnet = pretrained.load_yamnet("tfhub")
    assert yamnet.source == "tfhub" and yamnet.class_names[3] == "name 3"
    out = yamnet(tone(2.0))
    assert out.scores.shape == (frame_count(32000), N_CLASSES) and out.scores.dtype == np.float32
    assert out.embeddings.shape[1] == EMBEDDING_SIZE


def test_unknown_source_is_rejected() -> None:
    with pytest.raises(ValueError, match="source must be"):
        pretrained.load_yamnet("onnx")


# -- the embedding cache ------------------------------------------------------------------


def test_clip_outputs_are_cached_per_file(write_wav, tmp_path) -> None:
    paths = [write_wav(tmp_path / f"clip{i}.wav", "noise", 22050, 1.5 + 0.2 * i, seed=i) for i in range(3)]
    frame = pd.DataFrame({"path": [str(p) for p in paths]})
    calls: list[int] = []
    yamnet = fake_yamnet(calls)
    first = pretrained.clip_outputs(frame.iloc[:2], yamnet, "toy", duration=2.0, progress=False)
    assert first.embeddings.shape == (2, frame_count(32000), EMBEDDING_SIZE) and len(calls) == 2
    both = pretrained.clip_outputs(frame.iloc[::-1], yamnet, "toy", duration=2.0, progress=False)
    assert len(calls) == 3, "only the new clip is computed; the others come from the cache"
    np.testing.assert_array_equal(both.embeddings[1:][::-1], first.embeddings)
    with pytest.raises(ValueError, match="distinct file names"):
        pretrained.clip_outputs(pd.concat([frame, frame]), yamnet, "toy", duration=2.0, progress=False)


# -- the real model on real data ----------------------------------------------------------


@pytest.fixture
def tflite_yamnet(real_data) -> Yamnet:
    """The offline YAMNet of the data root (skipped, saying where it looked, without one)."""
    if not (real_data / "models" / "yamnet" / "yamnet.tflite").is_file():
        pytest.skip(f"no YAMNet TFLite model under {real_data}/models/yamnet")
    return pretrained.load_yamnet("tflite")


@pytest.mark.data
def test_real_yamnet_hears_a_dog(tflite_yamnet) -> None:
    from audioml.data.loaders import load_esc10
    from audioml.dsp.audio import load_audio

    esc = load_esc10()
    dog = esc[esc["label"] == "Dog bark"].iloc[3]["path"]
    waveform, sr = load_audio(dog, sr=SAMPLE_RATE, duration=5.0)
    out = tflite_yamnet(waveform, sr)
    assert out.scores.shape == (10, N_CLASSES) and out.embeddings.shape == (10, EMBEDDING_SIZE)
    assert out.scores.dtype == np.float32 and out.embeddings.dtype == np.float32
    assert 0 <= out.scores.min() and out.scores.max() <= 1, "YAMNet's scores are sigmoids"
    top = [name for name, _ in tflite_yamnet.top_classes(out.scores, k=5)]
    assert "Dog" in top, f"a barking dog should be heard as 'Dog', got {top}"
    assert len(tflite_yamnet.class_names) == N_CLASSES and tflite_yamnet.source == "tflite"


@pytest.mark.data
def test_real_yamnet_refuses_bad_input(tflite_yamnet) -> None:
    with pytest.raises(ValueError, match="16000 Hz"):
        tflite_yamnet(tone(2.0, 44100), 44100)
    with pytest.raises(ValueError, match="at least 15600"):
        tflite_yamnet(tone(0.9))


# -- MobileNetV2 on log-mels --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stage"),
    [
        ("Conv1", 0),
        ("bn_Conv1", 0),
        ("expanded_conv_project", 1),
        ("block_1_expand", 2),
        ("block_16_project_BN", 17),
        ("Conv_1", 18),
        ("out_relu", 18),
    ],
)
def test_mobilenet_stages(name, stage) -> None:
    assert pretrained.mobilenet_block(name) == stage


def test_freezing_strategies_train_more_as_blocks_are_released() -> None:
    import keras

    model, base = pretrained.build_mobilenet((32, 48), 4)
    assert model.output_shape == (None, 4)
    assert all(layer.momentum == 0.9 for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization))
    counts = []
    for last_blocks in (0, 1, 4, None):
        pretrained.set_trainable(base, last_blocks)
        counts.append(sum(int(np.prod(w.shape)) for w in base.trainable_weights))
    assert counts[0] == 0 and counts[0] < counts[1] < counts[2] < counts[3]
    pretrained.set_trainable(base, 4)
    assert base.get_layer("block_14_expand").trainable and not base.get_layer("block_13_expand").trainable
    assert base.get_layer("Conv_1").trainable and not base.get_layer("Conv1").trainable


def test_the_default_is_the_books_tflite_model_online_too(monkeypatch) -> None:
    """Online, with tensorflow_hub installed (as on Colab), the default is still the int8 TFLite model."""
    monkeypatch.setitem(sys.modules, "tensorflow_hub", types.ModuleType("tensorflow_hub"))  # never loaded
    monkeypatch.setattr(pretrained, "_tflite_runner", lambda path: lambda waveform: None)
    monkeypatch.setattr(pretrained, "_read_class_names", lambda path: [f"class {i}" for i in range(N_CLASSES)])
    monkeypatch.setattr("audioml.data.loaders.yamnet_files", lambda: {"model": "m.tflite", "class_map": "c.csv"})
    assert pretrained.load_yamnet().source == "tflite"
    with pytest.raises(ParameterError, match="'auto'"):
        pretrained.load_yamnet("auto")
