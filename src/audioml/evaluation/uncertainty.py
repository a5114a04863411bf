"""Intervals and paired tests that respect how test items cluster (GUIDE §7.3; issue 11).

Test clips are rarely independent: FSDD clips share a speaker, ESC clips a source
recording, mixtures a noise recording, synthetic scenes the clips they were cut from. A
bootstrap that draws clips one by one then gives intervals that are too narrow.
:func:`cluster_bootstrap` draws whole groups instead. Two models scored on the *same* items
are compared with a paired test, never by whether their intervals overlap:
:func:`paired_cluster_bootstrap` (the difference of any metric, groups kept together) and
:func:`mcnemar_exact` (accuracy, from the items on which exactly one model is right).
Items built from *several* sources at once, such as scenes mixed from a few clips, take
:func:`shared_source_bootstrap`, which resamples the sources and weights each item by them.
Near-perfect accuracies take :func:`audioml.evaluation.metrics.clopper_pearson`, which does not collapse.

Bad input (unequal lengths, NaN values, an empty group label, a single group) is a
:class:`~audioml.errors.ParameterError` (a ValueError) that names it. Used by chapter 13 (music)
and 10 (denoising), and meant for every chapter with clustered test items.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from audioml.errors import ParameterError
from audioml.evaluation.metrics import Interval, _confidence

Metric = Callable[[np.ndarray, np.ndarray], float]
_Statistic = Callable[[np.ndarray], float]


@dataclass(frozen=True)
class PairedComparison:
    """Model A minus model B on the same items: the difference, its interval and a two-sided p-value."""

    difference: Interval
    p_value: float
    method: str

    def __str__(self) -> str:
        return f"A - B = {self.difference} (p = {self.p_value:.3g}, {self.method})"


def _checked(y_true: ArrayLike, predictions: list[ArrayLike], groups: ArrayLike) -> tuple[np.ndarray, ...]:
    arrays = [np.asarray(y_true), *(np.asarray(p) for p in predictions), np.asarray(groups)]
    names = ["values" if not predictions else "y_true", *[f"predictions {k + 1}" for k in range(len(predictions))]]
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1 or lengths[0] == 0:
        raise ParameterError(
            f"{', '.join(names)} and groups must be non-empty and of equal length, got lengths {lengths}"
        )
    for name, array in zip([*names, "groups"], arrays):
        if array.dtype.kind == "f" and np.isnan(array).any():
            first = int(np.flatnonzero(np.isnan(array))[0])
            raise ParameterError(
                f"{name} holds {int(np.isnan(array).sum())} NaN values (the first at item "
                f"{first}); drop or fill them first"
            )
        if name == "groups" and array.dtype.kind in "OUS" and any(str(g).strip() == "" for g in array):
            raise ParameterError(
                "groups holds an empty label: every item needs the speaker, recording or clip it comes from"
            )
    if len(np.unique(arrays[-1])) < 2:
        raise ParameterError(
            f"groups has a single group ({arrays[-1][0]!r}): a cluster bootstrap needs at "
            f"least two independent groups, and with one there is nothing to resample"
        )
    return tuple(arrays)


def _members(groups: np.ndarray) -> list[np.ndarray]:
    _, codes = np.unique(groups, return_inverse=True)
    return [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]


def _check_n_boot(n_boot: int) -> None:
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ParameterError(f"n_boot must be a positive integer, got {n_boot!r}")


def _draws(members: list[np.ndarray], n_boot: int, seed: int, strata: np.ndarray | None = None) -> list[np.ndarray]:
    """Item indices of ``n_boot`` resamples of whole groups, drawn within each stratum if given."""
    _check_n_boot(n_boot)
    rng = np.random.default_rng(seed)
    layers = [members]
    if strata is not None:
        if any(len(np.unique(strata[m])) > 1 for m in members):
            raise ParameterError("a group spans several strata: each group must lie in one")
        layers = [[m for m in members if strata[m[0]] == stratum] for stratum in np.unique(strata)]
    return [
        np.concatenate([layer[g] for layer in layers for g in rng.integers(0, len(layer), len(layer))])
        for _ in range(n_boot)
    ]


def _interval(estimate: float, values: np.ndarray, confidence: float) -> Interval:
    confidence = _confidence(confidence)
    finite = values[np.isfinite(values)]
    if len(finite) < len(values):
        raise ParameterError(
            f"the metric is undefined (NaN/inf) on {len(values) - len(finite)} of {len(values)} "
            f"resamples: some resamples lack a class; use more groups or another metric"
        )
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(estimate, min(float(low), estimate), max(float(high), estimate))


def _two_sided_p(differences: np.ndarray) -> float:
    """Twice the smaller share of resampled differences on either side of zero, at least one resample's share."""
    below, above = float(np.mean(differences <= 0)), float(np.mean(differences >= 0))
    return min(1.0, max(2 * min(below, above), 1 / len(differences)))


def cluster_bootstrap(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    groups: ArrayLike,
    metric: Metric,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    stratified: bool = False,
) -> Interval:
    """Percentile interval of ``metric(y_true, y_pred)`` resampling whole ``groups`` (chapters 6, 11-13).

    Every resample draws as many groups as there are, with replacement, and keeps all items of
    each drawn group. With one item per group it is the ordinary bootstrap. ``stratified=True``
    draws the groups of each class of ``y_true`` separately (each group must hold one class),
    so that every resample keeps its positives: for a ROC-AUC with few positive recordings
    (chapter 12).
    """
    truth, predicted, grouping = _checked(y_true, [y_pred], groups)
    strata = truth if stratified else None
    values = np.array(
        [metric(truth[rows], predicted[rows]) for rows in _draws(_members(grouping), n_boot, seed, strata)]
    )
    return _interval(float(metric(truth, predicted)), values, confidence)


def cluster_bootstrap_mean(
    values: ArrayLike, clusters: ArrayLike, n_boot: int = 2000, seed: int = 0, confidence: float = 0.95
) -> Interval:
    """Mean of per-item ``values`` with a percentile interval that resamples whole ``clusters`` (chapter 10).

    The fast special case of :func:`cluster_bootstrap` for a mean: each resample draws as many
    clusters as there are and averages over all items of the drawn clusters, so mixtures that
    share a noise recording stay together. Pass the paired differences of two methods on the
    same mixtures to compare them.
    """
    numbers, grouping = _checked(np.asarray(values, dtype=float), [], clusters)
    if not np.all(np.isfinite(numbers)):
        raise ParameterError(f"values hold {int(np.sum(~np.isfinite(numbers)))} infinite numbers; drop them first")
    _, index = np.unique(grouping, return_inverse=True)
    sums, counts = np.bincount(index, weights=values), np.bincount(index)
    _check_n_boot(n_boot)
    draws = np.random.default_rng(seed).integers(len(sums), size=(n_boot, len(sums)))
    return _interval(float(numbers.mean()), sums[draws].sum(axis=1) / counts[draws].sum(axis=1), confidence)


def paired_cluster_bootstrap(
    y_true: ArrayLike,
    pred_a: ArrayLike,
    pred_b: ArrayLike,
    groups: ArrayLike,
    metric: Metric,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> PairedComparison:
    """``metric`` of A minus that of B on the same items, each resample drawing whole groups for both.

    The p-value is two-sided: twice the smaller share of resampled differences on either side of
    zero (at least ``1 / n_boot``).
    """
    truth, a, b, grouping = _checked(y_true, [pred_a, pred_b], groups)
    draws = _draws(_members(grouping), n_boot, seed)
    values = np.array([metric(truth[r], a[r]) - metric(truth[r], b[r]) for r in draws])
    estimate = float(metric(truth, a) - metric(truth, b))
    difference = _interval(estimate, values, confidence)
    return PairedComparison(
        difference, _two_sided_p(values), f"paired bootstrap over {len(np.unique(grouping))} groups"
    )


def mcnemar_exact(y_true: ArrayLike, pred_a: ArrayLike, pred_b: ArrayLike) -> PairedComparison:
    """McNemar's exact test of two classifiers' accuracy on the same items (binomial on the discordant pairs).

    Items must be independent (one per speaker or recording, or use
    :func:`paired_cluster_bootstrap`). The difference's interval is the exact Clopper-Pearson
    interval of the share of discordant items that A gets right, mapped to an accuracy difference.
    """
    truth, a, b, _ = _checked(y_true, [pred_a, pred_b], np.arange(len(np.asarray(y_true))))
    a_right, b_right = a == truth, b == truth
    only_a, only_b, n = int(np.sum(a_right & ~b_right)), int(np.sum(~a_right & b_right)), len(truth)
    estimate = (only_a - only_b) / n
    if only_a + only_b == 0:
        return PairedComparison(Interval(0.0, 0.0, 0.0), 1.0, "McNemar exact, no discordant items")
    test = stats.binomtest(only_a, only_a + only_b, 0.5)
    share = test.proportion_ci(confidence_level=0.95, method="exact")
    scale = (only_a + only_b) / n
    low, high = (2 * share.low - 1) * scale, (2 * share.high - 1) * scale
    method = f"McNemar exact, {only_a} items only A gets right, {only_b} only B"
    return PairedComparison(Interval(estimate, min(low, estimate), max(high, estimate)), float(test.pvalue), method)


def _source_codes(sources: Sequence[Sequence[Hashable]], n_items: int) -> tuple[list[np.ndarray], int]:
    if len(sources) != n_items:
        raise ParameterError(
            f"sources names {len(sources)} items but counts has {n_items} rows; give one list per item"
        )
    empty = [k for k, item in enumerate(sources) if len(item) == 0]
    if empty:
        raise ParameterError(f"items {empty[:5]} have no sources: every item needs the recordings it was mixed from")
    names = sorted({str(s) for item in sources for s in item})
    if len(names) < 2:
        raise ParameterError(
            f"all items share a single source ({names[0]!r}): resampling needs at least two independent sources"
        )
    code = {name: k for k, name in enumerate(names)}
    return [np.array(sorted({code[str(s)] for s in item})) for item in sources], len(names)


def _shared_source_values(
    counts: ArrayLike, sources: Sequence[Sequence[Hashable]], statistic: _Statistic, n_boot: int, seed: int
) -> tuple[float, np.ndarray, int]:
    table = np.asarray(counts, dtype=float)
    if table.ndim == 1:
        table = table[:, None]
    if table.ndim != 2 or len(table) == 0:
        raise ParameterError(f"counts must be a non-empty (items, statistics) array, got shape {table.shape}")
    if not np.all(np.isfinite(table)):
        raise ParameterError(f"counts hold {int(np.sum(~np.isfinite(table)))} NaN or infinite values; drop them first")
    members, n_sources = _source_codes(sources, len(table))
    _check_n_boot(n_boot)
    draws = np.random.default_rng(seed).integers(n_sources, size=(n_boot, n_sources))
    multiplicity = np.stack([np.bincount(row, minlength=n_sources) for row in draws]).astype(float)
    weights = np.stack([multiplicity[:, m].prod(axis=1) for m in members], axis=1)
    values = np.array([statistic(row) for row in weights @ table])
    return float(statistic(table.sum(axis=0))), values, n_sources


def shared_source_bootstrap(
    counts: ArrayLike,
    sources: Sequence[Sequence[Hashable]],
    statistic: _Statistic,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """Interval of ``statistic(counts.sum(axis=0))`` when each item is made of several sources (chapter 9).

    ``counts`` holds additive per-item numbers (true positives, false positives, false
    negatives of a scene); ``sources[i]`` lists the recordings item ``i`` was mixed from. Each
    resample draws the sources with replacement and gives item ``i`` the product of its sources'
    draw counts as weight, so an item counts only as often as all its sources were drawn: the
    multi-way bootstrap of Owen and Eckles (2012). With one source per item it is
    :func:`cluster_bootstrap_mean` (same draws for the same seed).
    """
    estimate, values, _ = _shared_source_values(counts, sources, statistic, n_boot, seed)
    return _interval(estimate, values, confidence)


def paired_shared_source_bootstrap(
    counts_a: ArrayLike,
    counts_b: ArrayLike,
    sources: Sequence[Sequence[Hashable]],
    statistic: _Statistic,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> PairedComparison:
    """``statistic`` of model A minus that of B on the same multi-source items, both weighted by the same draws."""
    a, b = np.asarray(counts_a, dtype=float), np.asarray(counts_b, dtype=float)
    if a.shape != b.shape:
        raise ParameterError(
            f"counts_a has shape {a.shape} but counts_b {b.shape}: score both models on the same items"
        )
    width = 1 if a.ndim == 1 else a.shape[1]

    def difference(row: np.ndarray) -> float:
        return float(statistic(row[:width]) - statistic(row[width:]))

    joined = np.column_stack([a.reshape(len(a), width), b.reshape(len(b), width)])
    estimate, values, n_sources = _shared_source_values(joined, sources, difference, n_boot, seed)
    method = f"paired multi-way bootstrap over {n_sources} sources"
    return PairedComparison(_interval(estimate, values, confidence), _two_sided_p(values), method)
