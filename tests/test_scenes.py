"""Scenes: the rolls and log-mels are exactly what was mixed, and a seed reproduces a scene."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audioml.dsp import activity, features
from audioml.plotting import plots
from audioml.prep import scene_features, scenes

pytestmark = pytest.mark.usefixtures("isolated_env")

CLASSES = ["beep", "hiss", "hum", "knock"]
CONFIG = scenes.SceneConfig(sr=8000, duration=4.0, n_fft=256, hop_length=160, n_mels=16, max_events=3)


def burst(kind: str, seed: int, sr: int = 8000) -> np.ndarray:
    """Silence, a short sound, silence: like an ESC-10 clip padded with digital silence."""
    rng = np.random.default_rng(seed)
    n_sound = int(rng.integers(sr // 10, sr))
    t = np.arange(n_sound) / sr
    sound = {
        "beep": np.sin(2 * np.pi * 1000 * t),
        "hiss": rng.uniform(-1, 1, n_sound),
        "hum": np.sin(2 * np.pi * 120 * t) * np.linspace(1, 0.01, n_sound),
        "knock": np.exp(-40 * t) * rng.uniform(-1, 1, n_sound),
    }[kind]
    before, after = int(rng.integers(0, sr // 2)), int(rng.integers(0, sr // 2))
    return np.concatenate([np.zeros(before), 0.3 * sound, np.zeros(after)]).astype(np.float32)


def make_bank(n_per_class: int = 3, config: scenes.SceneConfig = CONFIG) -> scenes.ClipBank:
    raw, rows = [], []
    for c, name in enumerate(CLASSES):
        for i in range(n_per_class):
            raw.append(burst(name, seed=10 * c + i))
            rows.append({"path": f"/d/{name}-{i}.wav", "label": name, "source_clip": f"{c}{i}", "fold": 1})
    return scenes.ClipBank([scenes.prepare_clip(y, config) for y in raw], pd.DataFrame(rows), tuple(CLASSES), config)


@pytest.fixture(scope="module")
def bank() -> scenes.ClipBank:
    return make_bank()


def reference_rms(y: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Centred frame RMS with zero padding, written out with numpy."""
    padded = np.pad(y.astype(np.float64), n_fft // 2)
    n_frames = 1 + len(y) // hop
    return np.array([np.sqrt(np.mean(padded[t * hop : t * hop + n_fft] ** 2)) for t in range(n_frames)])


def test_activity_is_the_rms_rule_written_out_with_numpy() -> None:
    y = burst("knock", seed=3)
    energy = reference_rms(y, CONFIG.n_fft, CONFIG.hop_length)
    np.testing.assert_allclose(activity.frame_rms(y, CONFIG.n_fft, CONFIG.hop_length), energy, rtol=1e-4, atol=1e-7)
    expected = energy >= energy.max() * 10 ** (-CONFIG.activity_db / 20)
    margin = np.abs(20 * np.log10(np.maximum(energy, 1e-12) / energy.max()) + CONFIG.activity_db) > 0.01
    np.testing.assert_array_equal(scenes.activity(y, CONFIG)[margin], expected[margin])
    assert not scenes.activity(np.zeros(2000, np.float32), CONFIG).any(), "digital silence is never active"


def test_prepare_clip_cuts_to_the_sound_in_whole_hops_at_the_chosen_level() -> None:
    y = burst("beep", seed=1)
    clip = scenes.prepare_clip(y, CONFIG)
    assert clip.size % CONFIG.hop_length == 0 and clip.size < y.size
    peak_db = 20 * np.log10(activity.frame_rms(clip, CONFIG.n_fft, CONFIG.hop_length).max())
    assert peak_db == pytest.approx(CONFIG.level_db, abs=1e-3)
    active = scenes.activity(clip, CONFIG)
    assert active[0] and active.sum() >= active.size - 3, "the padding around the sound is cut away"
    with pytest.raises(ValueError, match="digital silence"):
        scenes.prepare_clip(np.zeros(4000, np.float32), CONFIG)


def test_labels_match_the_mixing_exactly(bank: scenes.ClipBank) -> None:
    batch = scenes.make_scenes(bank, 12, seed=7)
    assert batch.audio.shape == (12, CONFIG.n_samples)
    assert batch.rolls.shape == (12, CONFIG.n_frames, len(CLASSES))
    for k in range(12):
        events = batch.events[batch.events["scene"] == k]
        assert CONFIG.min_events <= len(events) <= CONFIG.max_events
        assert events["label"].is_unique, "one event per class and scene"
        tracks = [
            row.gain * scenes.place(bank.clips[row.clip], row.onset_sample, CONFIG) for row in events.itertuples()
        ]
        np.testing.assert_allclose(batch.audio[k], np.sum(tracks, axis=0), atol=1e-6)
        roll = np.zeros((CONFIG.n_frames, len(CLASSES)), dtype=bool)
        for row in events.itertuples():
            assert row.onset_sample % CONFIG.hop_length == 0 and row.offset <= CONFIG.duration
            assert bank.labels[row.clip] == row.class_index and row.label == CLASSES[row.class_index]
            roll[:, row.class_index] |= scenes.track_activity(
                scenes.place(bank.clips[row.clip], row.onset_sample, CONFIG), CONFIG
            )
        np.testing.assert_array_equal(batch.rolls[k], roll)
        assert set(np.flatnonzero(batch.tags[k])) == set(events["class_index"])


def test_log_mels_mixed_in_the_stft_domain_equal_those_of_the_audio(bank: scenes.ClipBank) -> None:
    batch = scenes.make_scenes(bank, 6, seed=3)
    from_audio = scene_features.scene_log_mels(batch.audio, CONFIG)
    np.testing.assert_allclose(batch.log_mels, from_audio, atol=2e-3)
    params = CONFIG.features()
    reference = np.stack([features.log_mel(y, params)[:, : CONFIG.n_frames].T for y in batch.audio])
    np.testing.assert_allclose(from_audio, reference, atol=1e-4)
    quiet = scenes.make_scenes(bank, 6, seed=3, audio=False)
    assert quiet.audio is None
    np.testing.assert_array_equal(quiet.log_mels, batch.log_mels)


def test_a_seed_reproduces_a_scene_and_each_scene_alone(bank: scenes.ClipBank) -> None:
    first, again = scenes.make_scenes(bank, 5, seed=11), scenes.make_scenes(bank, 5, seed=11)
    np.testing.assert_array_equal(first.audio, again.audio)
    np.testing.assert_array_equal(first.rolls, again.rolls)
    pd.testing.assert_frame_equal(first.events, again.events)
    alone = scenes.draw_events(bank, np.random.default_rng([11, 3]))
    assert alone == first.scene_events(3)
    np.testing.assert_array_equal(scenes.render_audio(bank, alone), first.audio[3])
    np.testing.assert_array_equal(scenes.render_roll(bank, alone), first.rolls[3])
    other = scenes.make_scenes(bank, 5, seed=12)
    assert not np.array_equal(first.audio, other.audio), "another seed gives other scenes"


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(0, 50))
def test_rendered_roll_is_the_or_of_the_placed_tracks(seed: int, k: int) -> None:
    bank = make_bank(2)
    events = scenes.draw_events(bank, np.random.default_rng([seed, k]))
    roll = np.zeros((CONFIG.n_frames, len(CLASSES)), dtype=bool)
    for e in events:
        roll[:, e["class_index"]] |= scenes.track_activity(
            scenes.place(bank.clips[e["clip"]], e["onset_sample"], CONFIG), CONFIG
        )
    np.testing.assert_array_equal(scenes.render_roll(bank, events), roll)


def test_gains_and_event_counts_stay_in_their_ranges(bank: scenes.ClipBank) -> None:
    batch = scenes.make_scenes(bank, 40, seed=0, audio=False)
    low, high = CONFIG.gain_db
    assert batch.events["gain_db"].between(low - 1e-6, high + 1e-6).all()
    counts = batch.events.groupby("scene").size()
    assert counts.min() >= CONFIG.min_events and counts.max() <= CONFIG.max_events
    assert counts.nunique() > 1, "the number of events varies"


def test_bad_configurations_and_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="whole number of hops"):
        scenes.SceneConfig(sr=8000, duration=1.01, hop_length=160)
    with pytest.raises(ValueError, match="min_events"):
        scenes.SceneConfig(min_events=3, max_events=2)
    with pytest.raises(ValueError, match="gain_db"):
        scenes.SceneConfig(gain_db=(0.0, -6.0))
    with pytest.raises(ValueError, match="does not fit"):
        scenes.place(np.ones(100, np.float32), CONFIG.n_samples - 50, CONFIG)
    clip = scenes.prepare_clip(burst("hiss", 0), CONFIG)
    frame = pd.DataFrame([{"path": "/d/x.wav", "label": "bark", "source_clip": "0", "fold": 1}])
    with pytest.raises(ValueError, match="not in classes"):
        scenes.ClipBank([clip], frame, tuple(CLASSES), CONFIG)
    with pytest.raises(ValueError, match="longer than a scene"):
        scenes.ClipBank(
            [np.ones(CONFIG.n_samples + 160, np.float32)], frame.assign(label="hiss"), tuple(CLASSES), CONFIG
        )
    with pytest.raises(ValueError, match="samples"):
        scene_features.scene_log_mels(np.zeros((2, 100), np.float32), CONFIG)


def test_plot_event_roll_draws_one_lane_per_class(bank: scenes.ClipBank) -> None:
    batch = scenes.make_scenes(bank, 1, seed=0, audio=False)
    fig, ax = plt.subplots()
    plots.plot_event_roll(ax, batch.rolls[0], CLASSES, CONFIG, scores=batch.rolls[0] * 0.8)
    assert [t.get_text() for t in ax.get_yticklabels()] == CLASSES
    assert ax.get_xlim()[1] == pytest.approx(CONFIG.duration)
    with pytest.raises(ValueError, match="roll must be"):
        plots.plot_event_roll(ax, batch.rolls[0][:, :2], CLASSES, CONFIG)
    plt.close(fig)


def test_clip_bank_loads_files_and_adds_speed_changed_copies(tmp_path) -> None:
    import soundfile as sf

    rows = []
    for i, name in enumerate(CLASSES[:2]):
        path = tmp_path / f"{name}.wav"
        sf.write(path, burst(name, seed=i), 8000, subtype="FLOAT")
        rows.append({"path": str(path), "label": name, "source_clip": str(i), "fold": 1})
    bank = scenes.ClipBank.load(pd.DataFrame(rows), CLASSES, CONFIG, speeds=(1.0, 1.25))
    assert len(bank.clips) == 4 and list(bank.frame["speed"]) == [1.0, 1.25, 1.0, 1.25]
    assert list(bank.frame["source_clip"]) == ["0", "0", "1", "1"], "copies keep their source's group"
    np.testing.assert_array_equal(bank.clips[0], scenes.prepare_clip(burst(CLASSES[0], seed=0), CONFIG))
    for plain, fast in ((0, 1), (2, 3)):
        ratio = bank.activities[plain].sum() / bank.activities[fast].sum()
        assert 1.05 < ratio < 1.45, f"a 1.25x faster copy is about 1.25x shorter, got {ratio:.2f}"
