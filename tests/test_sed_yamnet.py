"""The YAMNet CRNN of chapter 9: the map between roll frames and YAMNet windows, and the head."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audioml.models import sed_yamnet
from audioml.models.pretrained import EMBEDDING_SIZE, HOP, N_CLASSES, WINDOW, Yamnet
from audioml.prep.scenes import SceneConfig

pytestmark = pytest.mark.usefixtures("isolated_env")

CONFIG = SceneConfig()  # 10 s at 16 kHz, 40 ms frames: 250 roll frames, 20 YAMNet windows


def test_each_roll_frame_goes_to_the_window_centred_nearest() -> None:
    index = sed_yamnet.nearest_window(CONFIG)
    assert index.shape == (CONFIG.n_frames,) and index.min() == 0 and index.max() == 19
    assert np.all(np.diff(index) >= 0), "later frames never go to earlier windows"
    centres = np.arange(20) * HOP + WINDOW / 2
    for t in (0, 37, 124, 249):
        distances = np.abs(centres - t * CONFIG.hop_length)
        assert distances[index[t]] == distances.min()


def test_other_sample_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="16000 Hz"):
        sed_yamnet.nearest_window(SceneConfig(sr=8000, hop_length=320, n_fft=512))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 249), st.integers(1, 60), st.integers(0, 9))
def test_one_event_becomes_the_windows_of_its_frames(start: int, length: int, class_index: int) -> None:
    rolls = np.zeros((1, CONFIG.n_frames, 10), dtype=bool)
    rolls[0, start : start + length, class_index] = True
    windows = sed_yamnet.to_windows(rolls, CONFIG)
    assert windows.shape == (1, 20, 10)
    index = sed_yamnet.nearest_window(CONFIG)
    expected = np.unique(index[start : start + length])
    assert np.array_equal(np.flatnonzero(windows[0, :, class_index]), expected)
    assert windows.sum() == expected.size, "no other class or window is touched"
    back = sed_yamnet.to_roll_frames(windows.astype(float), CONFIG)
    assert back.shape == rolls.shape
    assert np.all(back[rolls] == 1.0), "every active roll frame lies in an active window"


def test_maps_refuse_wrong_shapes() -> None:
    with pytest.raises(ValueError, match="250"):
        sed_yamnet.to_windows(np.zeros((2, 100, 10), dtype=bool), CONFIG)
    with pytest.raises(ValueError, match="20"):
        sed_yamnet.to_roll_frames(np.zeros((2, 19, 10)), CONFIG)


def test_scene_embeddings_clip_loud_peaks_and_stack() -> None:
    seen = []

    def run(waveform: np.ndarray):
        seen.append(float(np.abs(waveform).max()))
        n = 1 + -(-(len(waveform) - WINDOW) // HOP)
        return np.zeros((n, N_CLASSES)), np.full((n, EMBEDDING_SIZE), len(seen), dtype=np.float64)

    fake = Yamnet(run, [f"class {i}" for i in range(N_CLASSES)], "fake")
    audio = np.zeros((3, CONFIG.n_samples), dtype=np.float32)
    audio[1, 100] = 1.8  # two loud events overlapping
    audio[2, 5] = 0.5
    out = sed_yamnet.scene_embeddings(audio, fake)
    assert out.shape == (3, 20, EMBEDDING_SIZE) and out.dtype == np.float32
    assert seen == [0.0, 1.0, 0.5], "a peak beyond 1 is clipped; other scenes are untouched"
    assert np.array_equal(out[:, 0, 0], [1, 2, 3]), "one scene after another, in order"


def test_embedding_crnn_scores_every_window_and_class() -> None:
    model = sed_yamnet.embedding_crnn(20, 10, embedding_size=32, hidden=8, units=4)
    x = np.random.default_rng(0).normal(size=(3, 20, 32)).astype(np.float32)
    out = model.predict(x, verbose=0)
    assert out.shape == (3, 20, 10) and np.all((out > 0) & (out < 1))
    with pytest.raises(ValueError, match="positive"):
        sed_yamnet.embedding_crnn(20, 0)
