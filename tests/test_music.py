"""Chapter 13's helpers: Freesound-id runs, macro-F1 against sklearn, the cluster bootstrap, segment
masks, clip aggregation and masked pooling; the instrument loader on the real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from audioml.data import loaders, splits
from audioml.errors import ParameterError
from audioml.evaluation import music

labels_and_predictions = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 4), min_size=n, max_size=n), st.lists(st.integers(0, 5), min_size=n, max_size=n)
    )
)


def test_freesound_runs_splits_at_gaps_within_each_label() -> None:
    frame = pd.DataFrame({"label": ["a", "a", "a", "a", "b", "b"], "freesound_id": [1000, 10, 1200, 250, 260, 5000]})
    assert splits.freesound_runs(frame).tolist() == ["a/1", "a/0", "a/1", "a/0", "b/0", "b/1"]
    assert splits.freesound_runs(frame, gap=100_000).nunique() == 2  # one run per label
    assert splits.freesound_runs(frame, gap=0).nunique() == 6
    with pytest.raises(ParameterError, match="freesound_id"):
        splits.freesound_runs(frame.drop(columns="freesound_id"))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("xyz"), st.integers(0, 5000)), min_size=1, max_size=40), st.integers(0, 1000))
def test_freesound_runs_properties(rows, gap) -> None:
    frame = pd.DataFrame(rows, columns=["label", "freesound_id"])
    groups = splits.freesound_runs(frame, gap=gap)
    assert (frame.groupby(groups)["label"].nunique() == 1).all(), "a run never spans two labels"
    for _, ids in frame.groupby(groups)["freesound_id"]:
        assert (np.diff(np.sort(ids.to_numpy())) <= gap).all(), "no gap above `gap` inside a run"
    for _, part in frame.groupby("label"):  # consecutive runs of a label are separated by a gap above `gap`
        spans = part.groupby(groups[part.index])["freesound_id"].agg(["min", "max"]).sort_values("min")
        assert (spans["min"].to_numpy()[1:] - spans["max"].to_numpy()[:-1] > gap).all()


@settings(max_examples=100, deadline=None)
@given(labels_and_predictions)
def test_macro_f1_matches_sklearn_over_the_true_classes(pair) -> None:
    y_true, y_pred = map(np.array, pair)
    expected = f1_score(y_true, y_pred, labels=np.unique(y_true), average="macro", zero_division=0)
    assert music.macro_f1(y_true, y_pred) == pytest.approx(expected)


def test_covered_segments_keep_the_first_and_those_inside_the_clip() -> None:
    starts = np.array([0.0, 1.5, 3.0, 0.0, 1.5])
    durations = np.array([5.0, 5.0, 5.0, 1.0, 1.0])
    assert music.covered_segments(starts, 3.0, durations).tolist() == [True, True, False, True, False]
    assert music.covered_segments(starts, 3.0, durations, tolerance_s=1.0).tolist() == [True, True, True, True, False]


def test_aggregate_segments_mean_and_vote() -> None:
    probabilities = np.array([[0.6, 0.4], [0.4, 0.6], [0.45, 0.55], [0.9, 0.1]])
    clips = np.array([0, 0, 0, 1])
    np.testing.assert_allclose(music.aggregate_segments(probabilities, clips, 2), [[1.45 / 3, 1.55 / 3], [0.9, 0.1]])
    np.testing.assert_allclose(music.aggregate_segments(probabilities, clips, 2, how="vote"), [[1 / 3, 2 / 3], [1, 0]])
    with pytest.raises(ParameterError, match="at least one segment"):
        music.aggregate_segments(probabilities, clips, 3)
    with pytest.raises(ParameterError, match="how"):
        music.aggregate_segments(probabilities, clips, 2, how="max")


def test_masked_pool_ignores_padding_frames() -> None:
    frames = np.arange(2 * 3 * 2, dtype=float).reshape(2, 3, 2)
    mask = np.array([[True, True, True], [True, False, False]])
    pooled = music.masked_pool(frames, mask)
    np.testing.assert_allclose(pooled[0], np.concatenate([frames[0].mean(0), frames[0].max(0), frames[0].std(0)]))
    np.testing.assert_allclose(pooled[1], np.concatenate([frames[1, 0], frames[1, 0], [0, 0]]))
    with pytest.raises(ParameterError, match="at least one frame"):
        music.masked_pool(frames, np.zeros((2, 3), bool))


@pytest.mark.data
def test_instrument_loader_groups_and_folds(real_data: Path) -> None:
    frame = loaders.load_fsd_instruments()
    assert len(frame) == 300 and frame["label"].value_counts().eq(30).all()
    assert frame["group"].nunique() == 91
    assert (frame.groupby("group")["fold"].nunique() == 1).all(), "a Freesound-id run on two folds"
    assert set(frame["fold"]) == {1, 2, 3, 4, 5} and frame["split"].str.startswith("fold").all()
    assert set(frame["license"]) == {"CC BY", "CC0 1.0"} and all(Path(p).is_file() for p in frame["path"][:5])
