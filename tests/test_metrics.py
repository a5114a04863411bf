"""Tests of audioml.evaluation.metrics (and a smoke test of audioml.plotting.metric_plots), used from chapter 2 on."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    classification_report,
    roc_auc_score,
    roc_curve,
)

from audioml.evaluation.metrics import (
    Interval,
    accuracy,
    balanced_accuracy,
    bootstrap_ci,
    clopper_pearson,
    per_class_table,
    roc_auc,
    threshold_for_fpr,
    threshold_for_tpr,
)
from audioml.plotting.metric_plots import plot_confusion, plot_roc


@pytest.fixture
def binary_scores():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], 60)
    scores = np.clip(0.5 + (y - 0.5) * 0.6 + rng.normal(0, 0.3, y.size), 0, 1)
    return y, scores


@pytest.mark.parametrize("seed", range(5))
def test_numpy_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 80)
    predicted = np.where(rng.random(80) < 0.7, y, rng.integers(0, 3, 80))
    assert accuracy(y, predicted) == pytest.approx(accuracy_score(y, predicted))
    assert balanced_accuracy(y, predicted) == pytest.approx(balanced_accuracy_score(y, predicted))
    binary = (y == 1).astype(int)
    scores = np.round(rng.random(80) + 0.5 * binary, 1)  # rounding makes ties
    assert roc_auc(binary, scores) == pytest.approx(roc_auc_score(binary, scores))
    with pytest.raises(ValueError, match="both classes"):
        roc_auc(np.ones(5), np.arange(5))


def test_bootstrap_value_is_the_metric_on_all_clips(binary_scores):
    y, scores = binary_scores
    interval = bootstrap_ci(y, scores, roc_auc, n_boot=200, seed=0)
    assert interval.value == pytest.approx(roc_auc_score(y, scores))
    assert interval.low <= interval.value <= interval.high
    assert 0 < interval.high - interval.low < 0.3


def test_bootstrap_is_reproducible_and_seeded(binary_scores):
    y, scores = binary_scores
    predicted = (scores > 0.5).astype(int)
    first = bootstrap_ci(y, predicted, balanced_accuracy, n_boot=300, seed=3)
    assert first == bootstrap_ci(y, predicted, balanced_accuracy, n_boot=300, seed=3)
    assert first != bootstrap_ci(y, predicted, balanced_accuracy, n_boot=300, seed=4)


def test_bootstrap_narrows_with_more_test_clips():
    rng = np.random.default_rng(0)
    widths = []
    for n in (50, 5000):
        y = rng.integers(0, 2, n)
        predicted = np.where(rng.random(n) < 0.8, y, 1 - y)  # 80 % correct
        interval = bootstrap_ci(y, predicted, accuracy, n_boot=300, seed=0)
        widths.append(interval.high - interval.low)
    assert widths[1] < widths[0] / 5


def test_stratified_bootstrap_keeps_auc_defined_with_a_rare_class():
    y = np.array([0] * 30 + [1] * 2)
    scores = np.linspace(0, 1, y.size)
    interval = bootstrap_ci(y, scores, roc_auc, n_boot=200, seed=0, stratified=True)
    assert np.isfinite([interval.low, interval.high]).all()


def test_bootstrap_collapses_without_errors_but_clopper_pearson_does_not():
    y = np.repeat([0, 1], 50)
    perfect = bootstrap_ci(y, y, accuracy, n_boot=100, seed=0)
    assert (perfect.low, perfect.high) == (1.0, 1.0)
    exact = clopper_pearson(100, 100)
    assert exact.value == 1.0 and exact.high == 1.0
    assert exact.low == pytest.approx(0.025 ** (1 / 100))  # the "rule of three": about 1 - 3.7/n


@pytest.mark.parametrize("k, n", [(0, 20), (7, 20), (93, 100), (100, 100)])
def test_clopper_pearson_matches_scipy(k, n):
    reference = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    interval = clopper_pearson(k, n)
    assert interval.low == pytest.approx(reference.low)
    assert interval.high == pytest.approx(reference.high)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="equal length"):
        bootstrap_ci([0, 1], [0], accuracy_score)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci([0, 1], [0, 1], accuracy_score, confidence=95)
    with pytest.raises(ValueError, match="successes"):
        clopper_pearson(5, 4)
    with pytest.raises(ValueError, match="max_fpr"):
        threshold_for_fpr([0, 1], [0.1, 0.9], max_fpr=2)
    with pytest.raises(ValueError, match="min_tpr"):
        threshold_for_tpr([0, 1], [0.1, 0.9], min_tpr=-0.1)


@pytest.mark.parametrize("max_fpr", [0.0, 0.05, 0.2, 1.0])
def test_threshold_respects_the_fpr_budget_and_maximises_recall(binary_scores, max_fpr):
    y, scores = binary_scores
    threshold, tpr, fpr = threshold_for_fpr(y, scores, max_fpr)
    predicted = scores >= threshold
    assert fpr <= max_fpr
    assert fpr == pytest.approx(predicted[y == 0].mean())
    assert tpr == pytest.approx(predicted[y == 1].mean())
    curve_fpr, curve_tpr, _ = roc_curve(y, scores, drop_intermediate=False)
    assert tpr == pytest.approx(curve_tpr[curve_fpr <= max_fpr].max())


@pytest.mark.parametrize("min_tpr", [0.0, 0.5, 0.9, 1.0])
def test_threshold_reaches_the_recall_and_minimises_fpr(binary_scores, min_tpr):
    y, scores = binary_scores
    threshold, tpr, fpr = threshold_for_tpr(y, scores, min_tpr)
    predicted = scores >= threshold
    assert tpr >= min_tpr
    assert tpr == pytest.approx(predicted[y == 1].mean())
    assert fpr == pytest.approx(predicted[y == 0].mean())
    curve_fpr, curve_tpr, _ = roc_curve(y, scores, drop_intermediate=False)
    assert fpr == pytest.approx(curve_fpr[curve_tpr >= min_tpr].min())


def test_per_class_table_matches_classification_report():
    y_true = ["a", "b", "c", "a", "b", "c", "a"]
    y_pred = ["a", "b", "b", "a", "c", "c", "b"]
    table = per_class_table(y_true, y_pred, labels=["c", "b", "a"])
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    assert list(table.index) == ["c", "b", "a"]
    for label, row in table.iterrows():
        assert row["precision"] == pytest.approx(report[label]["precision"])
        assert row["recall"] == pytest.approx(report[label]["recall"])
        assert row["f1"] == pytest.approx(report[label]["f1-score"])
        assert row["support"] == report[label]["support"]


def test_interval_prints_three_decimals():
    assert str(Interval(0.97, 0.93, 0.995)) == "0.970 [0.930, 0.995]"


def test_plots_draw_on_the_given_axes(binary_scores):
    y, scores = binary_scores
    fig, (left, right) = plt.subplots(1, 2)
    plot_confusion(left, y, (scores > 0.5).astype(int), labels=[0, 1], normalize=True, title="t")
    assert len(left.texts) == 4 and left.get_title() == "t"
    auc = plot_roc(right, y, scores, label="m", mark=(0.1, 0.5))
    assert auc == pytest.approx(roc_auc_score(y, scores))
    assert any("AUC" in text.get_text() for text in right.get_legend().get_texts())
    plt.close(fig)


# --- validation (issue 13) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: accuracy([], []), "non-empty"),
        (lambda: balanced_accuracy([], []), "non-empty"),
        (lambda: accuracy([0, 1, 1], [0, 1]), "equal shape"),
        (lambda: accuracy([0.0, np.nan], [0, 1]), "y_true holds 1 NaN labels"),
        (lambda: accuracy([0, 1], [np.nan, 1.0]), "y_pred holds 1 NaN labels"),
        (lambda: accuracy(["dog", "cat"], [0, 1]), "y_true holds text labels .*'dog'.* y_pred holds number labels"),
        (lambda: balanced_accuracy([1, 2], np.array(["1", "2"], dtype=object)), "y_true holds number .* text"),
        (lambda: accuracy(np.array(["a", 1], dtype=object), ["a", "b"]), "mixes labels of types int, str"),
        (lambda: per_class_table(["a", "b"], [0, 1]), "text labels"),
        (lambda: bootstrap_ci([0, np.nan, 1], [0, 1, 1], accuracy), "y_true holds 1 NaN"),
        (lambda: bootstrap_ci([0, 1], [0, 1], accuracy, confidence=1.5), r"confidence must be in \(0, 1\).*1.5"),
        (lambda: bootstrap_ci([0, 1], [0, 1], accuracy, confidence=float("nan")), "confidence"),
        (lambda: bootstrap_ci([0, 1], [0, 1], accuracy, n_boot=0), "n_boot"),
        (lambda: bootstrap_ci([0, 0, 1, 1], [0, 1, 0, 1], lambda t, p: np.nan), "undefined .*all clips"),
        (lambda: clopper_pearson(5, 10, confidence=1.5), r"confidence must be in \(0, 1\).*1.5"),
        (lambda: clopper_pearson(5, 10, confidence=0), "confidence"),
        (lambda: clopper_pearson(2.5, 10), "whole numbers"),
        (lambda: clopper_pearson(float("nan"), 10), "whole numbers"),
        (lambda: clopper_pearson(0, 0), "n > 0"),
        (lambda: roc_auc([1, 2, 1, 2], [0.1, 0.9, 0.2, 0.8]), r"labels \[1, 2\]; pass pos_label="),
        (lambda: roc_auc(["dog", "cat"], [0.9, 0.1]), r"labels \['cat', 'dog'\]; pass pos_label="),
        (lambda: roc_auc([0, 1, 2], [0.1, 0.5, 0.9]), "two classes, y_true has 3"),
        (lambda: roc_auc([0, 1], [0.1, np.nan]), "scores must be finite .*1 NaN"),
        (lambda: roc_auc([0, 1], ["a", "b"]), "scores must be finite numbers"),
        (lambda: roc_auc([np.nan, 1.0], [0.1, 0.2]), "NaN labels"),
        (lambda: roc_auc(["dog", "cat"], [0.9, 0.1], pos_label="cow"), "pos_label='cow' is not among"),
        (lambda: roc_auc([], []), "non-empty"),
        (lambda: threshold_for_fpr([1, 2], [0.1, 0.9], max_fpr=0.1), "pass pos_label="),
    ],
)
def test_bad_inputs_name_the_value(call, message):
    from audioml.errors import ParameterError

    with pytest.raises(ParameterError, match=message):
        call()


def test_binary_metrics_take_any_pair_of_labels_with_pos_label(binary_scores):
    import functools

    y, scores = binary_scores
    expected = roc_auc(y, scores)
    assert roc_auc(y + 1, scores, pos_label=2) == pytest.approx(expected)
    names = np.where(y == 1, "dog", "cat")
    assert roc_auc(names, scores, pos_label="dog") == pytest.approx(expected)
    assert roc_auc(names, -scores, pos_label="cat") == pytest.approx(expected)
    assert roc_auc(y.astype(bool), scores) == expected and roc_auc(2 * y - 1, scores) == expected
    assert roc_auc(y.astype(float), scores) == expected
    interval = bootstrap_ci(names, scores, functools.partial(roc_auc, pos_label="dog"), n_boot=50)
    assert interval.value == pytest.approx(expected)
    assert threshold_for_fpr(names, scores, 0.1, pos_label="dog") == threshold_for_fpr(y, scores, 0.1)


def test_string_labels_still_work():
    y = np.array(["a", "b", "a", "c"], dtype=object)
    assert accuracy(y, np.array(["a", "b", "b", "c"])) == 0.75
    assert balanced_accuracy(list(y), ["a", "b", "b", "c"]) == pytest.approx((0.5 + 1 + 1) / 3)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=40),
    st.floats(0.01, 0.99),
    st.booleans(),
    st.sampled_from(["accuracy", "balanced_accuracy"]),
)
def test_bootstrap_interval_contains_its_estimate(pairs, confidence, stratified, name):
    y_true, y_pred = np.array(pairs).T
    metric = {"accuracy": accuracy, "balanced_accuracy": balanced_accuracy}[name]
    interval = bootstrap_ci(y_true, y_pred, metric, n_boot=30, seed=0, confidence=confidence, stratified=stratified)
    assert interval.low <= interval.value <= interval.high


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=40), st.floats(0.01, 0.99), st.data())
def test_bootstrap_of_auc_contains_its_estimate(scores, confidence, data):
    labels = data.draw(
        st.lists(st.integers(0, 1), min_size=len(scores), max_size=len(scores)).filter(lambda y: 0 < sum(y) < len(y))
    )
    interval = bootstrap_ci(labels, scores, roc_auc, n_boot=30, seed=1, confidence=confidence)
    assert interval.low <= interval.value <= interval.high


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000), st.data(), st.floats(1e-6, 1 - 1e-6))
def test_clopper_pearson_contains_its_estimate(n, data, confidence):
    k = data.draw(st.integers(0, n))
    interval = clopper_pearson(k, n, confidence)
    assert 0 <= interval.low <= interval.value == k / n <= interval.high <= 1
