"""The comparison chapter's tables (chapter 14): bars are checked against results, never typed in."""

from __future__ import annotations

import math
import subprocess
import sys
import zipfile
from fnmatch import fnmatch

import pandas as pd
import pytest
from chapters import CHAPTERS, ROOT

from audioml.book.comparison import (
    BAR_ROLES,
    BARS_FILE,
    best_per_task,
    check_bars,
    is_reference,
    load_bars,
    pareto_front,
    ranked,
)
from audioml.book.results import RANKED_ROLES, ROLES, read_results


def runs(*rows) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(["notebook", "task", "split", "model", "metric", "value"], r)) for r in rows])


def bar(**overrides) -> pd.DataFrame:
    row = {
        "notebook": "05_cnn",
        "task": "t",
        "split": "*",
        "model": "cnn*",
        "metric": "accuracy",
        "direction": ">=",
        "threshold": 0.9,
        "source": "issue",
    }
    return pd.DataFrame([{**row, **overrides}])


def test_a_bar_is_met_by_the_best_matching_model() -> None:
    measured = runs(
        ("05_cnn", "t", "s", "cnn-small", "accuracy", 0.85),
        ("05_cnn", "t", "s", "cnn-big", "accuracy", 0.93),
        ("05_cnn", "t", "s", "rf", "accuracy", 0.99),
    )
    result = check_bars(bar(), measured).iloc[0]
    assert result["met"] and result["model"] == "cnn-big" and result["measured"] == 0.93


def test_an_error_bar_uses_the_worst_case() -> None:
    measured = runs(("05_cnn", "t", "a", "m1", "err", 1e-9), ("05_cnn", "t", "b", "m2", "err", 1e-3))
    result = check_bars(bar(model="*", metric="err", direction="<=", threshold=1e-6), measured).iloc[0]
    assert not result["met"] and result["measured"] == 1e-3


def test_a_bar_without_results_is_not_met() -> None:
    result = check_bars(bar(notebook="99_missing"), runs(("05_cnn", "t", "s", "cnn", "accuracy", 1.0))).iloc[0]
    assert not result["met"] and math.isnan(result["measured"])


def test_best_per_task_picks_the_highest_value() -> None:
    measured = runs(("n", "t", "s", "a", "accuracy", 0.5), ("n", "t", "s", "b", "accuracy", 0.7))
    assert best_per_task(measured)["model"].tolist() == ["b"]


def test_the_committed_bars_file_is_valid_and_names_existing_chapters() -> None:
    bars = load_bars()
    assert len(bars) > 0
    assert set(bars["notebook"]) <= {c.stem for c in CHAPTERS}


def test_a_malformed_bars_file_is_refused(tmp_path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text("notebook,task\n01_signals,x\n")
    with pytest.raises(ValueError, match="columns must be"):
        load_bars(path)


def test_oracles_and_differences_are_never_the_best_model() -> None:
    measured = runs(
        ("10_x", "denoise", "s", "oracle-psm", "si_sdr_improvement_db_at_0db", 12.0),
        ("10_x", "denoise", "s", "unet-minus-wiener", "si_sdr_improvement_db_at_0db", 3.0),
        ("10_x", "denoise", "s", "unet", "si_sdr_improvement_db_at_0db", 7.0),
        ("10_x", "denoise", "s", "wiener", "si_sdr_improvement_db_at_0db", 4.0),
    )
    assert best_per_task(measured)["model"].tolist() == ["unet"]
    assert is_reference("oracle-irm") and is_reference("a-minus-b") and not is_reference("cnn-logmel")


def test_rows_whose_role_is_not_test_or_cv_are_never_the_best_model() -> None:
    measured = runs(
        ("13_x", "t", "s", "leaky", "macro_f1", 0.9),
        ("13_x", "t", "s", "unchosen", "macro_f1", 0.8),
        ("13_x", "t", "s", "honest", "macro_f1", 0.6),
        ("13_x", "t", "s", "older", "macro_f1", 0.5),
    )
    measured["role"] = ["leaky-demo", "unchosen", "cv", None]
    assert best_per_task(measured)["model"].tolist() == ["honest"]
    measured.loc[measured["model"] == "older", "value"] = 0.7  # a row without a role is ranked as before
    assert best_per_task(measured)["model"].tolist() == ["older"]


def test_only_test_and_cv_rows_meet_a_bar() -> None:
    measured = runs(
        ("05_cnn", "t", "s", "cnn-leaky", "accuracy", 0.95), ("05_cnn", "t", "s", "cnn-honest", "accuracy", 0.85)
    )
    measured["role"] = ["leaky-demo", "cv"]
    result = check_bars(bar(), measured).iloc[0]
    assert not result["met"] and result["model"] == "cnn-honest" and result["measured"] == 0.85
    measured["role"] = ["unchosen", "validation"]
    assert math.isnan(check_bars(bar(), measured).iloc[0]["measured"])


def test_the_bars_ship_with_the_package(tmp_path) -> None:
    assert BARS_FILE.read_bytes() == (ROOT / "data" / "bars.csv").read_bytes()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)], check=True
    )
    wheel = next(tmp_path.glob("audioml-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("audioml/book/bars.csv") == BARS_FILE.read_bytes(), (
            "the wheel must hold the bars file itself"
        )
        for result in sorted((ROOT / "results").glob("*.json")):  # chapter 14 reads them outside a clone
            assert archive.read(f"audioml/book/book_results/{result.name}") == result.read_bytes(), result.name


def test_no_bar_matches_several_ranked_models_in_the_committed_results() -> None:
    """A bar is checked against the one model its chapter chose (issue 11): among the test and
    cross-validation rows, its patterns match one model at most (a reference check such as the
    gradient errors may span several)."""
    runs = read_results(ROOT / "results")
    runs = runs[runs["role"].isin(RANKED_ROLES)]
    for bar in load_bars().itertuples(index=False):
        matching = runs[
            (runs["notebook"] == bar.notebook)
            & (runs["task"] == bar.task)
            & (runs["metric"] == bar.metric)
            & runs["split"].map(lambda s, b=bar: fnmatch(str(s), b.split))
            & runs["model"].map(lambda m, b=bar: fnmatch(str(m), b.model))
        ]
        models = sorted(set(matching["model"]))
        assert len(models) <= 1, f"{bar.notebook} {bar.task} {bar.metric}: {bar.model!r} matches {models}"


def test_every_committed_row_says_its_role_protocol_and_selection() -> None:
    runs = read_results(ROOT / "results")
    for field in ("role", "protocol", "selection"):
        assert field in runs.columns, f"no row has a {field}"
        lacking = runs[runs[field].isna()][["notebook", "model", "metric"]]
        assert lacking.empty, f"rows without {field}: {lacking.head().values.tolist()}"
    assert runs["role"].isin(ROLES).all()


def test_bars_are_met_by_honest_rows_and_reference_checks_only() -> None:
    assert {"test", "cv", "difference", "reference"} == set(BAR_ROLES)
    runs = pd.DataFrame(
        [
            {
                "notebook": "n",
                "task": "t",
                "split": "s",
                "model": "m",
                "metric": "a",
                "value": 0.9,
                "role": "leaky-demo",
            },
            {"notebook": "n", "task": "t", "split": "s", "model": "m", "metric": "a", "value": 0.5, "role": "test"},
        ]
    )
    bars = pd.DataFrame(
        [
            {
                "notebook": "n",
                "task": "t",
                "split": "s",
                "model": "m",
                "metric": "a",
                "direction": ">=",
                "threshold": 0.8,
                "source": "x",
            }
        ]
    )
    checked = check_bars(bars, runs)
    assert checked["measured"].iloc[0] == 0.5 and not checked["met"].iloc[0], "a leaky demo never meets a bar"


def test_a_bar_says_whether_its_interval_clears_it_too() -> None:
    measured = runs(("05_cnn", "t", "s", "cnn", "accuracy", 0.95)).assign(ci_low=0.88, ci_high=0.99, ci="bootstrap")
    result = check_bars(bar(), measured).iloc[0]
    assert result["met"] and not result["bound_clears"] and result["interval"] == "bootstrap"
    assert check_bars(bar(), measured.assign(ci_low=0.91)).iloc[0]["bound_clears"]
    error = runs(("05_cnn", "t", "s", "m", "err", 1e-7)).assign(ci_low=0.0, ci_high=2e-6)
    assert not check_bars(bar(model="*", metric="err", direction="<=", threshold=1e-6), error).iloc[0]["bound_clears"]
    assert not check_bars(bar(), runs(("05_cnn", "t", "s", "cnn", "accuracy", 0.95))).iloc[0]["bound_clears"]


def test_only_test_and_cv_rows_of_models_are_ranked() -> None:
    measured = runs(*[("n", "t", "s", f"m-{role}", "accuracy", 0.5) for role in ROLES]).assign(role=list(ROLES))
    measured.loc[len(measured)] = ["n", "t", "s", "oracle-mask", "accuracy", 0.9, "test"]
    measured.loc[len(measured)] = ["n", "t", "s", "m-loss", "loss", 0.1, "test"]
    assert sorted(ranked(measured)["role"]) == sorted(RANKED_ROLES)


def test_models_under_different_protocols_never_compete() -> None:
    measured = runs(("n", "t", "s", "a", "accuracy", 0.9), ("n", "t", "s", "b", "accuracy", 0.7)).assign(
        protocol=["6 speakers", "1 speaker held out"], role="test"
    )
    assert sorted(best_per_task(measured)["model"]) == ["a", "b"]


def test_the_pareto_front_keeps_what_nothing_beats_on_both_counts() -> None:
    cost = pd.Series([1.0, 2.0, 3.0, 2.0, 5.0])
    value = pd.Series([0.5, 0.8, 0.7, 0.8, 0.9])
    assert pareto_front(cost, value).tolist() == [True, True, False, True, True]
