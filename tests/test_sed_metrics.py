"""Segment-based F1, tagging F1 and threshold tuning, against scikit-learn and hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.metrics import f1_score

from audioml.evaluation import sed_metrics as met

pytestmark = pytest.mark.usefixtures("isolated_env")


def test_segment_max_pools_blocks_of_frames_and_keeps_a_short_last_segment() -> None:
    frames = np.zeros((7, 2))
    frames[1, 0], frames[6, 1], frames[4, 0] = 0.9, 0.4, 0.2
    pooled = met.segment_max(frames, 3)
    np.testing.assert_array_equal(pooled, [[0.9, 0.0], [0.2, 0.0], [0.0, 0.4]])
    rolls = np.zeros((2, 7, 2), dtype=bool)
    rolls[1, 5, 1] = True
    np.testing.assert_array_equal(met.segment_max(rolls, 3)[1], [[False, False], [False, True], [False, False]])
    with pytest.raises(ValueError, match="frames_per_segment"):
        met.segment_max(frames, 0)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(bool, st.tuples(st.integers(1, 30), st.integers(2, 5))),  # 1 column: sklearn goes binary
    hnp.arrays(bool, st.tuples(st.integers(1, 30), st.integers(2, 5))),
)
def test_micro_f1_equals_scikit_learn(a: np.ndarray, b: np.ndarray) -> None:
    b = np.resize(b, a.shape)
    if not (a.any() or b.any()):
        assert met.micro_f1(a, b) == 1.0, "nothing to find and nothing found: perfect"
        return
    assert met.micro_f1(a, b) == pytest.approx(f1_score(a, b, average="micro", zero_division=0))


def test_tagging_f1_reports_the_four_averages_of_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    truth, pred = rng.random((50, 6)) < 0.3, rng.random((50, 6)) < 0.3
    scores = met.tagging_f1(truth, pred)
    assert list(scores) == ["micro_f1", "macro_f1", "weighted_f1", "samples_f1"]
    for average in met.AVERAGES:
        assert scores[f"{average}_f1"] == pytest.approx(f1_score(truth, pred, average=average, zero_division=0))
    with pytest.raises(ValueError, match="shapes differ"):
        met.tagging_f1(truth, pred[:, :3])


def test_segment_f1_counts_whole_segments_not_frames() -> None:
    truth = np.zeros((20, 1), dtype=bool)
    truth[2:5] = True  # segment 0 (frames 0-9)
    late = np.zeros_like(truth)
    late[8] = True  # same segment, other frames: a hit at 1 segment
    assert met.segment_f1(truth, late, 10) == 1.0
    wrong = np.zeros_like(truth)
    wrong[12] = True  # segment 1: one false positive and one miss
    assert met.segment_f1(truth, wrong, 10) == 0.0
    both = late | wrong  # TP 1, FP 1, FN 0 -> 2 / 3
    assert met.segment_f1(truth, both, 10) == pytest.approx(2 / 3)
    assert met.segment_f1(truth, both, 20) == 1.0, "one 20-frame segment holds everything"


def test_segment_error_rate_follows_substitutions_deletions_insertions() -> None:
    truth = np.zeros((2, 3), dtype=bool)
    pred = np.zeros_like(truth)
    truth[0, 0], pred[0, 1] = True, True  # segment 0: one substitution
    truth[1, 0], truth[1, 2] = True, True  # segment 1: two deletions
    assert met.segment_error_rate(truth, pred, 1) == pytest.approx((1 + 2) / 3)
    pred[1, 1] = True  # now one substitution and one deletion in segment 1
    assert met.segment_error_rate(truth, pred, 1) == pytest.approx((1 + 1 + 1) / 3)
    with pytest.raises(ValueError, match="no active segment"):
        met.segment_error_rate(np.zeros_like(truth), pred, 1)


def test_thresholds_are_tuned_per_class_and_globally() -> None:
    truth = np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 5, dtype=bool)
    scores = np.where(truth, [0.7, 0.9], [0.3, 0.6]).astype(float)
    global_threshold, per_class = met.tune_thresholds(truth, scores)
    np.testing.assert_allclose(per_class, [0.5, 0.65])  # perfect ranges (0.3, 0.7] and (0.6, 0.9]: nearest 0.5
    assert 0.6 < global_threshold <= 0.7  # the only global value that separates both
    assert met.micro_f1(truth, met.apply_thresholds(scores, per_class)) == 1.0
    with pytest.raises(ValueError, match="one threshold per class"):
        met.apply_thresholds(scores, [0.5, 0.5, 0.5])


def test_class_f1_curves_match_scikit_learn_per_class() -> None:
    rng = np.random.default_rng(1)
    truth = rng.random((40, 3)) < 0.4
    scores = np.clip(truth * 0.3 + rng.random((40, 3)) * 0.7, 0, 1)
    curves = met.class_f1_curves(truth, scores)
    for threshold in (0.3, 0.5, 0.8):
        expected = f1_score(truth, scores >= threshold, average=None, zero_division=0)
        np.testing.assert_allclose(curves.loc[threshold, [0, 1, 2]].to_numpy(dtype=float), expected)
        assert curves.loc[threshold, "micro"] == pytest.approx(f1_score(truth, scores >= threshold, average="micro"))


def test_scene_counts_add_up_to_the_micro_f1_of_all_scenes() -> None:
    rng = np.random.default_rng(3)
    truth, decided = rng.random((12, 10, 4)) < 0.3, rng.random((12, 10, 4)) < 0.35
    counts = met.scene_counts(truth, decided)
    assert counts.shape == (12, 3)
    assert counts[:, 0].sum() == np.sum(truth & decided)
    assert met.micro_f1_from_counts(counts.sum(axis=0)) == pytest.approx(met.micro_f1(truth, decided))
    # one scene alone: its own counts give its own F1
    assert met.micro_f1_from_counts(counts[4]) == pytest.approx(met.micro_f1(truth[4], decided[4]))
    assert met.micro_f1_from_counts([0, 0, 0]) == 1.0  # nothing to find, nothing found
    with pytest.raises(ValueError, match="one shape"):
        met.scene_counts(truth, decided[:, :5])
