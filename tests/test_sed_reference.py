"""The package's segment metrics against sed_eval, DCASE's reference; event-based F1 and PSDS by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from audioml.errors import ParameterError
from audioml.evaluation import sed_metrics as met
from audioml.evaluation import sed_reference as ref

CLASSES = ["a", "b", "c"]


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda fps: st.tuples(
            st.just(fps),
            hnp.arrays(bool, st.tuples(st.integers(1, 3), st.integers(1, 13), st.just(3))),
            st.integers(0, 2**16),
        )
    )
)
def test_package_segment_f1_and_error_rate_equal_sed_eval(case: tuple[int, np.ndarray, int]) -> None:
    """Random rolls, segments of ``fps`` frames (1 s), a short last segment included."""
    fps, truth, seed = case
    pred = np.random.default_rng(seed).random(truth.shape) < 0.4
    if not truth.any() or not pred.any():  # sed_eval: F1 0 and ER 1 when nothing is found; package ER undefined
        return
    reference = ref.segment_based(truth, pred, CLASSES, float(fps), fps)
    assert abs(met.segment_f1(truth, pred, fps) - reference["f1"]) < 1e-9
    assert abs(met.segment_error_rate(truth, pred, fps) - reference["error_rate"]) < 1e-9


def test_roll_to_events_gives_runs_in_seconds() -> None:
    roll = np.zeros((6, 3), dtype=bool)
    roll[1:3, 0], roll[5, 0], roll[:, 2] = True, True, True
    assert ref.roll_to_events(roll, CLASSES, 2.0) == [(0.0, 3.0, "c"), (0.5, 1.5, "a"), (2.5, 3.0, "a")]


def test_event_based_f1_follows_the_onset_and_offset_collars() -> None:
    fps = 100.0
    truth = np.zeros((1, 500, 3), dtype=bool)
    truth[0, 100:300, 0] = True  # a: 1.0-3.0 s (2 s: offset collar 0.4 s)
    truth[0, 100:150, 1] = True  # b: 1.0-1.5 s (offset collar 0.2 s)
    pred = np.zeros_like(truth)
    pred[0, 115:335, 0] = True  # onset +0.15, offset +0.35: within both collars
    pred[0, 125:150, 1] = True  # onset +0.25: outside the 0.2 s collar
    result = ref.event_based(truth, pred, CLASSES, fps)
    assert result["f1"] == pytest.approx(0.5)  # TP 1, FP 1, FN 1
    pred[0, 100:180, 1], pred[0, 180:, 1] = True, False  # onset exact, offset +0.3 > max(0.2, 0.1)
    assert ref.event_based(truth, pred, CLASSES, fps)["f1"] == pytest.approx(0.5)
    pred[0, 100:165, 1] = True
    pred[0, 165:, 1] = False  # offset +0.15: a hit
    assert ref.event_based(truth, pred, CLASSES, fps)["f1"] == pytest.approx(1.0)


def test_psds_is_one_for_a_perfect_detector_and_lower_for_a_noisy_one() -> None:
    rng = np.random.default_rng(0)
    truth = np.zeros((6, 100, 3), dtype=bool)
    for k in range(6):
        for c in range(3):
            start = rng.integers(0, 60)
            truth[k, start : start + 30, c] = True
    assert ref.psds(truth, truth.astype(float), CLASSES, 10.0, scenario=1) == pytest.approx(1.0)
    noisy = np.clip(truth * 0.3 + rng.random(truth.shape) * 0.8, 0, 1)
    assert 0.0 <= ref.psds(truth, noisy, CLASSES, 10.0, scenario=1) < 0.9
    assert 0.0 <= ref.psds(truth, noisy, CLASSES, 10.0, scenario=2) <= 1.0  # lenient: 10 % overlap counts


def test_bad_input_raises_parameter_errors_that_name_the_value() -> None:
    truth = np.zeros((2, 10, 3), dtype=bool)
    truth[0, 2:5, 1] = True
    with pytest.raises(ParameterError, match=r"\(2, 10, 3\) vs \(2, 9, 3\)"):
        ref.segment_based(truth, truth[:, :9], CLASSES, 5.0, 5)
    with pytest.raises(ParameterError, match="differ in shape"):
        ref.event_based(truth, truth[:1], CLASSES, 5.0)
    with pytest.raises(ParameterError, match="3 classes but 2"):
        ref.psds(truth, truth.astype(float), CLASSES[:2], 5.0)
    with pytest.raises(ParameterError, match="no active frame"):
        ref.segment_based(np.zeros_like(truth), truth, CLASSES, 5.0, 5)
    with pytest.raises(ParameterError, match="scenario must be one of"):
        ref.psds(truth, truth.astype(float), CLASSES, 5.0, scenario=3)
    with pytest.raises(ParameterError, match="fps must be positive, got 0"):
        ref.event_based(truth, truth, CLASSES, 0)
    with pytest.raises(ParameterError, match="non-finite"):
        ref.psds(truth, np.full(truth.shape, np.nan), CLASSES, 5.0)
    assert isinstance(ParameterError("x"), ValueError)
