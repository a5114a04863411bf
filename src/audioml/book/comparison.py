"""Read every chapter's results into the comparison tables of chapter 14.

Nothing here holds a measured number: the values come from ``results/*.json``, the bars
(the targets each chapter was written against) from ``data/bars.csv``.
"""

from __future__ import annotations

import json
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd

from audioml.book.results import RANKED_ROLES
from audioml.errors import ParameterError

#: Metrics for which higher is better and that rank models against each other.
HEADLINE_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "macro_f1",
    "micro_f1",
    "f1",
    "roc_auc",
    "segment_f1_1s",
    "si_sdr_improvement_db_at_0db",
)
#: Runs that are references, not models one could deploy: oracle upper bounds (chapter 10's ideal
#: masks) and paired differences between two models ("a-minus-b").
_REFERENCE_MARKERS = ("oracle", "-minus-")


def is_reference(model: str) -> bool:
    """Whether a results row is an oracle or a difference of two models rather than a model."""
    return any(marker in str(model) for marker in _REFERENCE_MARKERS)


#: The bars; ``src/audioml/bars.csv`` links to ``data/bars.csv`` and ships in the wheel, so an
#: installed package (Colab) finds them without a clone of the book.
BARS_FILE = Path(__file__).with_name("bars.csv")


def provenance(folder: Path) -> pd.DataFrame:
    """One row per results file: notebook, mode, run time, commit and creation time."""
    rows = []
    for path in sorted(Path(folder).glob("*.json")):
        document = json.loads(path.read_text())
        rows.append(
            {
                "notebook": document["notebook"],
                "fast": document["fast"],
                "runtime_s": document["runtime_s"],
                "git_sha": document["git_sha"][:10],
                "created_utc": document["created_utc"],
                "numbers": len(document["runs"]),
            }
        )
    return pd.DataFrame(rows)


#: The roles a bar may be met by: test and cross-validation results, paired differences between
#: them (a bar such as "better than the best baseline") and reference checks (a filterbank against
#: librosa); never a validation score, a leaky demo, an unchosen variant or an oracle.
BAR_ROLES = (*RANKED_ROLES, "difference", "reference")


def _has_ranked_role(runs: pd.DataFrame, roles: tuple[str, ...] = RANKED_ROLES) -> pd.Series:
    """Mask of the rows whose ``role`` is one of ``roles`` (by default
    :data:`~audioml.book.results.RANKED_ROLES`: test results and cross-validation) or missing (files
    written before roles): a leaky demo, an unchosen variant or a validation score is never "the
    best model"."""
    if "role" not in runs.columns:
        return pd.Series(True, index=runs.index)
    return runs["role"].isna() | runs["role"].isin(roles)


def ranked(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows a comparison may rank (chapter 14): test and cross-validation results of models on a
    headline metric. Oracles, differences, references, validation scores, leaky demos and unchosen
    variants are left out."""
    keep = runs["metric"].isin(HEADLINE_METRICS) & ~runs["model"].map(is_reference) & _has_ranked_role(runs)
    return runs[keep]


def best_per_task(runs: pd.DataFrame) -> pd.DataFrame:
    """For each (task, split, protocol, metric), the :func:`ranked` row with the highest value.

    Rows of one task under different protocols (training sizes, speakers held out) never compete.
    """
    keys = [k for k in ("task", "split", "protocol", "metric") if k in runs.columns]
    ordered = ranked(runs).sort_values("value", ascending=False, kind="stable")
    return ordered.groupby(keys, as_index=False).head(1).sort_values(keys).reset_index(drop=True)


def pareto_front(cost: pd.Series, value: pd.Series) -> pd.Series:
    """Mask of the rows no other row beats on both counts: cheaper or as cheap, and better or as good
    (chapter 14's cost-against-accuracy figure)."""
    points = list(zip(cost.to_numpy(dtype=float), value.to_numpy(dtype=float)))
    front = [not any((c2 <= c and v2 >= v) and (c2 < c or v2 > v) for c2, v2 in points) for c, v in points]
    return pd.Series(front, index=cost.index)


def load_bars(path: Path = BARS_FILE) -> pd.DataFrame:
    """The bars: notebook, task, split, model (glob patterns), metric, direction (>= or <=), threshold, source."""
    bars = pd.read_csv(path, comment="#")
    expected = {"notebook", "task", "split", "model", "metric", "direction", "threshold", "source"}
    if set(bars.columns) != expected or not bars["direction"].isin([">=", "<="]).all():
        raise ValueError(
            f"{path}: columns must be {sorted(expected)} with direction '>=' or '<=', got {sorted(bars.columns)}"
        )
    return bars


def check_bars(bars: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Each bar with the largest matching measured value and whether it meets the threshold.

    The largest value is the best model for a ``>=`` bar and the worst case for a ``<=``
    bar (an error that must stay small everywhere). Only rows with one of :data:`BAR_ROLES` count (a
    leaky demo or an unchosen variant never meets a bar). A bar whose chapter has no matching run is reported as
    not met, with no value. Each bar also gets the matching row's interval (``ci_low``, ``ci_high``,
    its method in ``interval``) and ``bound_clears``: whether the interval's bound on the bar's side
    meets the bar too (False without an interval).
    """
    rows = []
    runs = runs[_has_ranked_role(runs, BAR_ROLES)]
    for bar in bars.itertuples(index=False):
        matching = runs[
            (runs["notebook"] == bar.notebook)
            & (runs["task"] == bar.task)
            & (runs["metric"] == bar.metric)
            & runs["split"].map(lambda s: fnmatch(str(s), bar.split))
            & runs["model"].map(lambda m: fnmatch(str(m), bar.model))
        ]
        best = matching.sort_values("value", ascending=False).head(1)
        value = float(best["value"].iloc[0]) if len(best) else float("nan")
        met = meets(value, pd.Series(bar._asdict()))
        low, high = (_number(best, name) for name in ("ci_low", "ci_high"))
        # the bound on the bar's side: the lower one for a ">=" bar, the upper one for "<="
        bound = low if bar.direction == ">=" else high
        rows.append(
            {
                "notebook": bar.notebook,
                "task": bar.task,
                "metric": bar.metric,
                "model": best["model"].iloc[0] if len(best) else bar.model,
                "bar": f"{bar.direction} {bar.threshold:g}",
                "measured": value,
                "ci_low": low,
                "ci_high": high,
                "interval": next((str(v) for v in (_field(best, "ci"), _field(best, "ci_method")) if v == v), ""),
                "met": bool(len(best) and met),
                "bound_clears": bool(bound == bound and meets(bound, pd.Series(bar._asdict()))),
                "source": bar.source,
            }
        )
    return pd.DataFrame(rows)


def _field(row: pd.DataFrame, name: str) -> object:
    """``row``'s (one row or none) value of ``name``, NaN when missing."""
    return row[name].iloc[0] if len(row) and name in row.columns and pd.notna(row[name].iloc[0]) else float("nan")


def _number(row: pd.DataFrame, name: str) -> float:
    """:func:`_field` as a float (NaN when missing or not a number)."""
    value = _field(row, name)
    return float(value) if isinstance(value, (int, float)) else float("nan")


def find_bar(notebook: str, task: str, metric: str, model: str | None = None, path: Path = BARS_FILE) -> pd.Series:
    """The one bar of ``data/bars.csv`` for (notebook, task, metric), and for ``model`` when given
    (matched against the bar's model pattern). A chapter reads its thresholds here, never types them.

    Zero or several matching bars are a ParameterError that names them.
    """
    bars = load_bars(path)
    found = bars[(bars["notebook"] == notebook) & (bars["task"] == task) & (bars["metric"] == metric)]
    if model is not None:
        found = found[found["model"].map(lambda pattern: fnmatch(model, pattern))]
    if len(found) != 1:
        raise ParameterError(
            f"{path}: expected one bar for {notebook}/{task}/{metric}"
            f"{'' if model is None else f' and model {model!r}'}, found {len(found)}: {found['model'].tolist()}"
        )
    return found.iloc[0]


def meets(value: float, bar: pd.Series) -> bool:
    """Whether ``value`` is on the right side of ``bar``'s threshold."""
    return bool(value >= bar["threshold"] if bar["direction"] == ">=" else value <= bar["threshold"])


def against_bar(value: float, notebook: str, task: str, metric: str, fast: bool, model: str | None = None) -> str:
    """Whether ``value`` meets its bar (:func:`find_bar`), as a phrase a chapter prints beside the
    number (chapters 5, 6, 8). Fast mode trains on a tiny subset, so it has no bar."""
    bar = find_bar(notebook, task, metric, model)
    if fast:
        return "fast mode, tiny subset: no bar"
    return f"bar {bar['direction']} {bar['threshold']:g} {'met' if meets(value, bar) else 'MISSED'}"
