"""Cluster bootstraps and paired tests (audioml.evaluation.uncertainty) against scipy and statsmodels, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from audioml.errors import ParameterError
from audioml.evaluation import metrics
from audioml.evaluation.uncertainty import (
    PairedComparison,
    cluster_bootstrap,
    cluster_bootstrap_mean,
    mcnemar_exact,
    paired_cluster_bootstrap,
    paired_shared_source_bootstrap,
    shared_source_bootstrap,
)


def predictions(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 3, n)
    return y_true, np.where(rng.random(n) < 0.7, y_true, (y_true + 1) % 3)


def test_cluster_bootstrap_resamples_groups_not_clips() -> None:
    y_true, y_pred = predictions()
    single = cluster_bootstrap(y_true, y_pred, np.arange(40), metrics.accuracy, n_boot=300)
    # every clip copied five times inside its own group: the same resamples, the same interval
    copies = cluster_bootstrap(
        np.repeat(y_true, 5), np.repeat(y_pred, 5), np.repeat(np.arange(40), 5), metrics.accuracy, n_boot=300
    )
    assert (copies.low, copies.high) == pytest.approx((single.low, single.high))
    # the same copies treated as independent clips give a falsely narrow interval
    naive = cluster_bootstrap(np.repeat(y_true, 5), np.repeat(y_pred, 5), np.arange(200), metrics.accuracy, n_boot=300)
    assert naive.high - naive.low < 0.6 * (single.high - single.low)
    assert single.low <= single.value <= single.high


def test_cluster_bootstrap_with_one_item_per_group_matches_scipys_percentile_bootstrap() -> None:
    y_true, y_pred = predictions(n=200, seed=1)
    ours = cluster_bootstrap(y_true, y_pred, np.arange(200), metrics.accuracy, n_boot=4000, seed=3)
    right = (y_true == y_pred).astype(float)
    oracle = stats.bootstrap((right,), np.mean, n_resamples=4000, method="percentile", random_state=4)
    assert ours.low == pytest.approx(oracle.confidence_interval.low, abs=0.015)
    assert ours.high == pytest.approx(oracle.confidence_interval.high, abs=0.015)


def test_cluster_bootstrap_mean_is_the_fast_case_of_the_general_one() -> None:
    values = np.random.default_rng(2).normal(size=60)
    clusters = np.repeat(np.arange(12), 5)
    fast = cluster_bootstrap_mean(values, clusters, n_boot=2000, seed=5)
    general = cluster_bootstrap(values, values, clusters, lambda t, p: float(np.mean(t)), n_boot=2000, seed=5)
    assert (fast.value, fast.low, fast.high) == pytest.approx((general.value, general.low, general.high))
    lumped = cluster_bootstrap_mean(np.array([1.0, 1.0, 1.0, 5.0]), np.array([0, 0, 0, 1]), n_boot=4000)
    assert (lumped.value, lumped.low, lumped.high) == (2.0, 1.0, 5.0)  # two clusters: 5.0 drawn twice 1/4 of the time


def test_mcnemar_exact_matches_statsmodels() -> None:
    rng = np.random.default_rng(6)
    y_true = rng.integers(0, 2, 150)
    pred_a = np.where(rng.random(150) < 0.85, y_true, 1 - y_true)
    pred_b = np.where(rng.random(150) < 0.75, y_true, 1 - y_true)
    ours = mcnemar_exact(y_true, pred_a, pred_b)
    a_right, b_right = pred_a == y_true, pred_b == y_true
    table = [
        [np.sum(a_right & b_right), np.sum(a_right & ~b_right)],
        [np.sum(~a_right & b_right), np.sum(~a_right & ~b_right)],
    ]
    assert ours.p_value == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-9)
    assert ours.difference.value == pytest.approx(a_right.mean() - b_right.mean())
    assert ours.difference.low <= ours.difference.value <= ours.difference.high
    same = mcnemar_exact(y_true, pred_a, pred_a)
    assert same.p_value == 1.0 and same.difference.value == 0.0


def test_paired_bootstrap_sees_a_difference_that_overlapping_intervals_hide() -> None:
    """Two models whose intervals overlap, one better on nearly every speaker: the paired test sees it."""
    rng = np.random.default_rng(7)
    speakers = np.repeat(np.arange(10), 30)
    hard = rng.random(300) < 0.3
    y_true = rng.integers(0, 5, 300)
    pred_b = np.where(hard, (y_true + 1) % 5, y_true)
    pred_a = np.where(hard & (rng.random(300) < 0.75), (y_true + 1) % 5, y_true)  # right on a quarter of the hard ones
    a = cluster_bootstrap(y_true, pred_a, speakers, metrics.accuracy, seed=1)
    b = cluster_bootstrap(y_true, pred_b, speakers, metrics.accuracy, seed=1)
    assert a.low < b.high, "the example needs overlapping intervals"
    paired = paired_cluster_bootstrap(y_true, pred_a, pred_b, speakers, metrics.accuracy, seed=1)
    assert isinstance(paired, PairedComparison)
    assert paired.difference.low > 0 and paired.p_value < 0.01
    assert paired_cluster_bootstrap(y_true, pred_a, pred_a, speakers, metrics.accuracy).p_value == 1.0


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (np.zeros(40), "single group"),
        (np.array(["jackson"] * 39 + [""]), "empty label"),
        (np.arange(39), "equal length"),
        (np.r_[np.arange(39), np.nan], "groups holds 1 NaN"),
    ],
)
def test_bad_groups_are_named(groups: np.ndarray, message: str) -> None:
    y_true, y_pred = predictions()
    with pytest.raises(ParameterError, match=message):
        cluster_bootstrap(y_true, y_pred, groups, metrics.accuracy)
    assert issubclass(ParameterError, ValueError)


def test_nan_values_and_bad_settings_are_named() -> None:
    y_true, y_pred = predictions()
    with pytest.raises(ParameterError, match=r"predictions 1 holds 1 NaN values \(the first at item 3\)"):
        cluster_bootstrap(y_true, np.where(np.arange(40) == 3, np.nan, y_pred), np.arange(40), metrics.accuracy)
    with pytest.raises(ParameterError, match="values holds 1 NaN"):
        cluster_bootstrap_mean(np.r_[np.ones(5), np.nan], np.arange(6))
    with pytest.raises(ParameterError, match="confidence"):
        cluster_bootstrap(y_true, y_pred, np.arange(40), metrics.accuracy, confidence=95)
    with pytest.raises(ParameterError, match="n_boot"):
        paired_cluster_bootstrap(y_true, y_pred, y_pred, np.arange(40), metrics.accuracy, n_boot=0)


def micro_f1_of(totals: np.ndarray) -> float:
    true_pos, false_pos, false_neg = totals
    return float(2 * true_pos / (2 * true_pos + false_pos + false_neg))


def scene_counts(n: int = 120, seed: int = 0) -> tuple[np.ndarray, list[list[int]]]:
    """Per-scene (TP, FP, FN) and the 2-4 of 30 source clips each scene was mixed from."""
    rng = np.random.default_rng(seed)
    sources = [list(rng.choice(30, size=int(rng.integers(2, 5)), replace=False)) for _ in range(n)]
    hard = rng.random(30) < 0.3  # a hard clip makes every scene it is in worse
    counts = np.array([[5 - 2 * hard[s].sum(), 1 + hard[s].sum(), 1 + hard[s].sum()] for s in sources])
    return counts.clip(0), sources


def test_shared_source_bootstrap_with_one_source_per_item_is_the_cluster_bootstrap() -> None:
    values = np.random.default_rng(4).normal(size=50)
    clusters = np.repeat(np.arange(10), 5)
    oracle = cluster_bootstrap_mean(values, clusters, n_boot=1000, seed=7)
    ours = shared_source_bootstrap(
        np.column_stack([values, np.ones(50)]), [[c] for c in clusters], lambda t: t[0] / t[1], n_boot=1000, seed=7
    )
    assert (ours.value, ours.low, ours.high) == pytest.approx((oracle.value, oracle.low, oracle.high))


def test_shared_sources_widen_the_interval_that_independent_scenes_would_give() -> None:
    counts, sources = scene_counts()
    shared = shared_source_bootstrap(counts, sources, micro_f1_of, n_boot=1000)
    naive = shared_source_bootstrap(counts, [[k] for k in range(len(counts))], micro_f1_of, n_boot=1000)
    assert shared.value == pytest.approx(micro_f1_of(counts.sum(axis=0)))
    assert shared.high - shared.low > 1.5 * (naive.high - naive.low)
    assert shared.low <= shared.value <= shared.high


def test_paired_shared_source_bootstrap_finds_a_real_gain_and_none_where_there_is_none() -> None:
    counts, sources = scene_counts()
    better = counts + np.array([1, 0, 0])  # one more hit in every scene
    gain = paired_shared_source_bootstrap(better, counts, sources, micro_f1_of, n_boot=1000)
    assert gain.difference.value > 0 and gain.difference.low > 0 and gain.p_value < 0.01
    same = paired_shared_source_bootstrap(counts, counts, sources, micro_f1_of, n_boot=200)
    assert same.difference.value == 0 and same.p_value == 1.0
    assert "30 sources" in same.method


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ([[1, 2]] * 119 + [[]], r"items \[119\] have no sources"),
        ([[3]] * 120, "single source"),
        ([[1, 2]] * 10, "sources names 10 items but counts has 120"),
    ],
)
def test_bad_sources_are_named(sources: list[list[int]], message: str) -> None:
    counts, _ = scene_counts()
    with pytest.raises(ParameterError, match=message):
        shared_source_bootstrap(counts, sources, micro_f1_of)


def test_bad_counts_are_named() -> None:
    counts, sources = scene_counts()
    with pytest.raises(ParameterError, match="1 NaN or infinite"):
        shared_source_bootstrap(np.where(np.arange(360).reshape(120, 3) == 4, np.nan, counts), sources, micro_f1_of)
    with pytest.raises(ParameterError, match="same items"):
        paired_shared_source_bootstrap(counts, counts[:10], sources, micro_f1_of)


def test_stratified_cluster_bootstrap_keeps_every_class_and_its_groups() -> None:
    rng = np.random.default_rng(3)
    recordings = np.repeat(np.arange(40), 2)  # two clips per recording
    is_dog = recordings < 4  # four dog recordings among forty
    # clips of one recording sound alike: a shared recording effect, little clip noise
    scores = np.where(is_dog, 1.0, 0.0) + rng.normal(0, 0.8, size=40)[recordings] + rng.normal(0, 0.1, size=80)
    # unstratified, some resamples hold no dog and the AUC is undefined
    with pytest.raises(ParameterError, match="needs both classes"):
        cluster_bootstrap(is_dog, scores, recordings, metrics.roc_auc, n_boot=500)
    stratified = cluster_bootstrap(is_dog, scores, recordings, metrics.roc_auc, n_boot=500, stratified=True)
    assert stratified.value == pytest.approx(metrics.roc_auc(is_dog, scores))
    assert 0 <= stratified.low <= stratified.value <= stratified.high <= 1
    # clips resampled one by one (each its own group) give a narrower interval
    clipwise = cluster_bootstrap(is_dog, scores, np.arange(80), metrics.roc_auc, n_boot=500, stratified=True)
    assert clipwise.high - clipwise.low < stratified.high - stratified.low
    mixed = np.where(np.arange(80) == 0, 5, recordings)  # recording 5 now holds a dog clip too
    with pytest.raises(ParameterError, match="spans several strata"):
        cluster_bootstrap(is_dog, scores, mixed, metrics.roc_auc, n_boot=10, stratified=True)
