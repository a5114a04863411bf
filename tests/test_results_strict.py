"""Strict results files (issue 13): valid JSON only, numpy converted, nothing half-written, clear errors."""

from __future__ import annotations

import errno
import json
import math
import os
import statistics
from pathlib import Path

import numpy as np
import pytest

from audioml.book.results import ROW_NEEDS, ResultsLog, read_results
from audioml.errors import DataNotFoundError, ParameterError

pytestmark = pytest.mark.usefixtures("isolated_env")


ROLE = {"role": "test", "protocol": "official-test", "selection": "fixed in advance"}
assert set(ROLE) == set(ROW_NEEDS), "every row needs these three"


def log_with(**extra: object) -> ResultsLog:
    log = ResultsLog("05_cnn", fast=False)
    log.add(task="t", split="s", model="cnn", metric="accuracy", value=0.9, n_test=10, **{**ROLE, **extra})
    return log


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -np.inf, np.float32("nan")])
@pytest.mark.parametrize("where", ["flat", "nested", "list"])
def test_nan_and_inf_in_extra_fields_are_refused(bad: float, where: str) -> None:
    extra = {"flat": {"ci_low": bad}, "nested": {"per_speaker": {"theo": bad}}, "list": {"per_fold": [0.5, bad]}}[where]
    field = {"flat": "ci_low", "nested": "per_speaker.theo", "list": r"per_fold\[1\]"}[where]
    with pytest.raises(ParameterError, match=rf"05_cnn: cnn/accuracy: field '{field}' is (nan|inf|-inf)"):
        log_with(**extra)


def test_numpy_values_are_converted(tmp_path: Path) -> None:
    log = ResultsLog("05_cnn", fast=False)
    log.add(
        task="t",
        split="s",
        model="cnn",
        metric="accuracy",
        value=np.float32(0.5),
        n_test=np.int64(10),
        seed=np.int32(2),
        ci_low=np.float64(0.25),
        n_errors=np.int16(3),
        fold=np.uint8(4),
        best=np.bool_(True),
        curve=np.array([0.1, 0.2], dtype=np.float32),
        shape=(40, np.int64(101)),
        per_class={np.int64(0): np.float32(0.5), "dog": [np.int8(1)]},
        **ROLE,
    )
    document = json.loads(log.write(tmp_path).read_text())
    run = document["runs"][0]
    assert run["value"] == 0.5 and run["n_test"] == 10 and run["seed"] == 2 and run["ci_low"] == 0.25
    assert run["n_errors"] == 3 and run["fold"] == 4 and run["best"] is True
    assert run["curve"] == pytest.approx([0.1, 0.2]) and run["shape"] == [40, 101]
    assert run["per_class"] == {"0": 0.5, "dog": [1]}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"path": Path("/x")}, "'path' holds a PosixPath"),
        ({"model_obj": object()}, "'model_obj' holds a object"),
        ({"table": {(1, 2): 0.5}}, "'table' has a key \\(1, 2\\)"),
        ({"labels": {1, 2}}, "'labels' holds a set"),
    ],
)
def test_unwritable_fields_are_refused_at_add(extra: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        log_with(**extra)


@pytest.mark.parametrize(
    ("field", "bad"), [("n_test", 2.5), ("n_test", "many"), ("seed", float("nan")), ("value", "high"), ("value", None)]
)
def test_core_fields_are_checked(field: str, bad: object) -> None:
    row = dict(task="t", split="s", model="cnn", metric="accuracy", value=0.9, n_test=10)
    row[field] = bad
    with pytest.raises(ParameterError, match=f"{field}|value must be a number"):
        ResultsLog("05_cnn", fast=False).add(**row)


def test_rows_edited_after_add_are_still_checked(tmp_path: Path) -> None:
    log = log_with()
    log.runs[0]["ci_high"] = float("inf")
    with pytest.raises(ParameterError, match=r"runs\[0\].ci_high' is inf"):
        log.write(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_read_only_results_file_is_refused(tmp_path: Path) -> None:
    target = log_with().write(tmp_path)
    before = target.read_text()
    target.chmod(0o444)
    with pytest.raises(PermissionError, match=r"05_cnn.json is read-only; refusing to replace it"):
        log_with(ci_low=0.1).write(tmp_path)
    assert target.read_text() == before and [p.name for p in tmp_path.iterdir()] == ["05_cnn.json"]


def test_disk_full_leaves_the_old_file(tmp_path: Path, monkeypatch) -> None:
    target = log_with().write(tmp_path)
    before = target.read_text()
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    with pytest.raises(OSError, match="No space left"):
        log_with(ci_low=0.1).write(tmp_path)
    monkeypatch.undo()
    assert target.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["05_cnn.json"], "no temp file may be left"


def test_written_files_are_strict_json(tmp_path: Path) -> None:
    text = log_with(ci_low=0.5, per_fold=[0.1, 0.2]).write(tmp_path).read_text()
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in a results file"))


def test_read_results_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"missing: no results folder.*AUDIOML_RESULTS"):
        read_results(tmp_path / "missing")


@pytest.mark.parametrize(
    "text", ['{"notebook": "x", "fast": false, "runs": [{"value": NaN}]}', "{not json", '{"runs": []}', ""]
)
def test_read_results_names_a_bad_file(tmp_path: Path, text: str) -> None:
    log_with().write(tmp_path)
    (tmp_path / "06_rnn.json").write_text(text)
    with pytest.raises(ValueError, match=r"06_rnn.json: not a valid results file"):
        read_results(tmp_path)


def test_read_results_of_an_empty_folder_is_empty(tmp_path: Path) -> None:
    assert read_results(tmp_path).empty


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"role": "best"}, "role must be one of"),
        ({"role": "cv", "protocol": "grouped-5fold"}, "must say its selection"),
        ({"role": "test", "selection": "epochs by early stopping on validation"}, "must say its protocol"),
        ({"role": "test", "selection": "", "protocol": "official-test"}, "must say its selection"),
    ],
)
def test_roles_are_checked_and_ranked_rows_say_how_they_were_chosen(extra: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        ResultsLog("13_music", fast=False).add(
            task="t", split="s", model="m", metric="macro_f1", value=0.5, n_test=300, **extra
        )


def test_rows_with_a_valid_role_are_recorded() -> None:
    log = ResultsLog("13_music", fast=False)
    log.add(
        task="t",
        split="s",
        model="m",
        metric="macro_f1",
        value=0.5,
        n_test=300,
        role="cv",
        selection="C by inner CV",
        protocol="grouped-5fold",
    )
    log.add(task="t", split="s", model="m2", metric="macro_f1", value=0.7, n_test=300, role="leaky-demo")
    log.add(task="t", split="s", model="m3", metric="macro_f1", value=0.6, n_test=300)  # no role yet: allowed
    assert [row.get("role") for row in log.runs] == ["cv", "leaky-demo", None]


def test_a_row_without_role_protocol_or_selection_is_not_written(tmp_path: Path) -> None:
    log = ResultsLog("05_cnn", fast=False)
    log.add(
        task="esc10",
        split="fold-1",
        model="cnn",
        metric="accuracy",
        value=0.8,
        n_test=80,
        role="test",
        protocol="fold-1 of ESC-10",
        selection="epochs by early stopping on fold 2",
    )
    log.add(task="esc10", split="fold-1", model="knn", metric="accuracy", value=0.6, n_test=80, role="unchosen")
    with pytest.raises(ParameterError, match=r"05_cnn: row 1 \(esc10, fold-1, knn, accuracy\) has no protocol"):
        log.write(tmp_path)
    assert not list(tmp_path.iterdir()), "nothing is written"


def test_mark_chosen_turns_only_the_chosen_models_rows_into_test_rows() -> None:
    log = ResultsLog("02_x", fast=True)
    for model in ("lr", "rf"):
        for split in ("test", "cv"):
            log.add(task="t", split=split, model=model, metric="acc", value=0.9, n_test=10, role="unchosen",
                    protocol="p", selection="one of two")  # fmt: skip
    assert log.mark_chosen("rf", "chosen by CV", split="test") == 1
    roles = {(r["model"], r["split"]): (r["role"], r["selection"]) for r in log.runs}
    assert roles[("rf", "test")] == ("test", "chosen by CV")
    assert roles[("lr", "test")] == roles[("rf", "cv")] == ("unchosen", "one of two")


def test_mark_chosen_refuses_a_model_with_no_matching_row() -> None:
    log = ResultsLog("02_x", fast=True)
    log.add(task="t", split="test", model="lr", metric="acc", value=0.9, n_test=10, role="unchosen", protocol="p",
            selection="s")  # fmt: skip
    with pytest.raises(ParameterError, match=r"02_x: no row of model 'svm' matches \{'split': 'test'\}"):
        log.mark_chosen("svm", "chosen by CV", split="test")


def test_a_seed_spread_is_the_mean_and_sample_sd_of_its_seeds() -> None:
    log = ResultsLog("05_cnn", fast=False)
    per_seed = {0: 0.832, 1: np.float64(0.8333), 2: 0.855}
    mean, sd = log.add_seed_spread(
        per_seed, task="esc10", split="5-fold", model="cnn", metric="accuracy", n_test=400, **ROLE
    )
    assert (mean, sd) == pytest.approx((statistics.mean(per_seed.values()), statistics.stdev(per_seed.values())))
    (row,) = log.runs
    assert row["metric"] == "accuracy_seed_mean" and row["value"] == pytest.approx(mean) and row["sd"] == sd
    assert row["seeds"] == [0, 1, 2] and row["per_seed"] == {"0": 0.832, "1": 0.8333, "2": 0.855}
    assert row["ci"] == "sd over 3 seeds" and row["role"] == "test"


@pytest.mark.parametrize("per_seed", [{0: 0.9}, {0: 0.9, 1: math.nan}, {}])
def test_a_seed_spread_needs_two_finite_values(per_seed: dict) -> None:
    log = ResultsLog("05_cnn", fast=False)
    with pytest.raises(ParameterError, match=r"05_cnn: cnn/accuracy: a seed spread needs 2\+ finite values"):
        log.add_seed_spread(per_seed, task="t", split="s", model="cnn", metric="accuracy", n_test=1, **ROLE)
    assert log.runs == []
