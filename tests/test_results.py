"""Results files (GUIDE §4) and the code hash that tells a stale notebook."""

from __future__ import annotations

import json
import math
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat import v4

import audioml.book.results as results_module
from audioml.book.execute import INJECTED_TAG, code_sha256, main
from audioml.book.results import PACKAGED_RESULTS, RESULTS_ENV, ResultsLog, book_results_dir, read_results, results_dir

pytestmark = pytest.mark.usefixtures("isolated_env")
ROOT = Path(__file__).resolve().parents[1]
RUN_KEYS = ["task", "split", "model", "metric", "value", "n_test", "seed"]
ROLE = {"role": "test", "protocol": "fsdd-official", "selection": "fixed in advance"}


def sample_log(notebook: str = "05_cnn", fast: bool = False) -> ResultsLog:
    log = ResultsLog(notebook, fast=fast)
    log.add(
        task="fsdd-digits",
        split="fsdd-official-test",
        model="cnn-logmel",
        metric="accuracy",
        value=np.float32(0.981),
        n_test=np.int64(300),
        **ROLE,
    )
    log.add(
        task="esc10",
        split="fold-1",
        model="cnn-logmel",
        metric="macro_f1",
        value=0.7,
        n_test=80,
        seed=3,
        ci_low=0.61,
        ci_high=0.78,
        **ROLE,
    )
    return log


def test_write_follows_the_guide_format(tmp_path: Path) -> None:
    path = sample_log().write(tmp_path / "out")
    assert path == tmp_path / "out" / "05_cnn.json"
    document = json.loads(path.read_text())
    assert list(document) == ["notebook", "fast", "runtime_s", "created_utc", "git_sha", "python", "versions", "runs"]
    assert document["notebook"] == "05_cnn" and document["fast"] is False
    assert isinstance(document["runtime_s"], float) and 0 <= document["runtime_s"] < 60
    assert document["python"] == platform.python_version()
    assert document["versions"]["numpy"] == metadata.version("numpy")
    assert document["versions"]["librosa"] == metadata.version("librosa")
    assert document["versions"]["scikit-learn"] == metadata.version("scikit-learn")
    first, second = document["runs"]
    assert list(first) == RUN_KEYS + list(ROLE)
    assert first == {
        "task": "fsdd-digits",
        "split": "fsdd-official-test",
        "model": "cnn-logmel",
        "metric": "accuracy",
        "value": pytest.approx(0.981),
        "n_test": 300,
        "seed": 0,
        **ROLE,
    }
    assert type(first["value"]) is float and type(first["n_test"]) is int
    assert list(second)[:7] == RUN_KEYS and (second["seed"], second["ci_low"], second["ci_high"]) == (3, 0.61, 0.78)
    assert path.read_text().endswith("\n")


def test_git_sha_is_the_checkout_or_unknown(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    if head:
        assert json.loads(sample_log().write(tmp_path / "a").read_text())["git_sha"] == head
    monkeypatch.chdir(tmp_path)  # not a git checkout
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert json.loads(sample_log().write(tmp_path / "b").read_text())["git_sha"] == "unknown"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -math.inf, np.nan])
def test_non_finite_values_are_refused(bad: float) -> None:
    log = ResultsLog("06_rnn", fast=True)
    with pytest.raises(ValueError, match=r"06_rnn: lstm/f1 is (nan|inf|-inf); refusing to record it"):
        log.add(task="t", split="s", model="lstm", metric="f1", value=bad, n_test=10)
    assert log.runs == []


def test_empty_log_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="07_augmentation: no runs recorded; call add"):
        ResultsLog("07_augmentation", fast=False).write(tmp_path)
    assert not tmp_path.joinpath("07_augmentation.json").exists()


def test_write_is_atomic(tmp_path: Path, monkeypatch) -> None:
    target = sample_log("05_cnn", fast=True).write(tmp_path)
    before = target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["05_cnn.json"], "no .part file may be left"

    def interrupted(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(results_module.os, "replace", interrupted)
    with pytest.raises(OSError, match="disk full"):
        sample_log("05_cnn", fast=False).write(tmp_path)
    assert target.read_text() == before, "an interrupted write must leave the old file intact"
    monkeypatch.undo()
    sample_log("05_cnn", fast=False).write(tmp_path)
    assert json.loads(target.read_text())["fast"] is False
    assert [p.name for p in tmp_path.iterdir()] == ["05_cnn.json"]


def test_results_env_is_respected(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUDIOML_RESULTS", str(tmp_path / "scratch" / "results"))
    assert results_dir() == tmp_path / "scratch" / "results"
    path = sample_log().write()
    assert path == tmp_path / "scratch" / "results" / "05_cnn.json" and path.is_file()


def test_results_dir_is_found_from_the_book_root(tmp_path: Path, monkeypatch) -> None:
    book = tmp_path / "book"
    (book / "notebooks").mkdir(parents=True)
    (book / "_toc.yml").write_text("format: jb-book\n")
    monkeypatch.chdir(book / "notebooks")
    assert results_dir() == book / "results"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert results_dir() == elsewhere / "results"


def test_outside_a_clone_the_book_results_are_the_packaged_copy_but_runs_write_here(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no _toc.yml above: a Colab user's /content
    assert book_results_dir() == PACKAGED_RESULTS
    committed = sorted(p.name for p in (ROOT / "results").glob("*.json"))
    assert sorted(p.name for p in PACKAGED_RESULTS.glob("*.json")) == committed and committed
    assert results_dir() == tmp_path / "results"  # never into the installed package


def test_read_results_flattens_every_run(tmp_path: Path, monkeypatch) -> None:
    sample_log("05_cnn", fast=False).write(tmp_path)
    other = ResultsLog("02_features_classical_ml", fast=True)
    other.add(task="two-speakers", split="cv", model="logreg", metric="auc", value=0.99, n_test=100, **ROLE)
    other.write(tmp_path)
    (tmp_path / "notes.txt").write_text("not a results file")
    frame = read_results(tmp_path)
    assert len(frame) == 3
    assert list(frame.columns[:2]) == ["notebook", "fast"] and set(RUN_KEYS) <= set(frame.columns)
    assert list(frame["notebook"]) == ["02_features_classical_ml", "05_cnn", "05_cnn"]
    assert list(frame["fast"]) == [True, False, False]
    assert frame.loc[frame["model"] == "logreg", "value"].item() == 0.99
    monkeypatch.setenv("AUDIOML_RESULTS", str(tmp_path))
    assert read_results().equals(frame)
    with pytest.raises(FileNotFoundError, match="none: no results folder"):
        read_results(tmp_path / "none")


# --- the code hash ---------------------------------------------------------------------------------


def notebook(*code: str, injected: str | None = None, markdown: str = "# Title") -> nbformat.NotebookNode:
    parameters = v4.new_code_cell("fast: bool = False", metadata={"tags": ["parameters", "remove-cell"]})
    cells = [v4.new_markdown_cell(markdown), v4.new_code_cell(code[0]), parameters]
    if injected is not None:
        cells.append(v4.new_code_cell(injected, metadata={"tags": [INJECTED_TAG, "remove-cell"]}))
    cells += [v4.new_code_cell(source) for source in code[1:]]
    return v4.new_notebook(cells=cells)


def test_code_hash_ignores_the_injected_parameters() -> None:
    plain = code_sha256(notebook("import audioml", "x = 1", "print(x)"))
    assert plain == code_sha256(notebook("import audioml", "x = 1", "print(x)", injected="fast = True\n"))
    assert plain == code_sha256(notebook("import audioml", "x = 1", "print(x)", injected="fast = False\n"))
    assert len(plain) == 64 and int(plain, 16) >= 0


def test_code_hash_changes_with_the_code_only() -> None:
    base = notebook("import audioml", "x = 1", "print(x)")
    plain = code_sha256(base)
    assert code_sha256(notebook("import audioml", "x = 2", "print(x)")) != plain
    assert code_sha256(notebook("import audioml", "print(x)", "x = 1")) != plain
    assert code_sha256(notebook("import audioml", "x = 1", "print(x)", "")) != plain  # an added cell counts
    assert code_sha256(notebook("import audioml", "x = 1\nprint(x)")) != plain  # so do cell boundaries
    assert code_sha256(notebook("import audioml", "x = 1", "print(x)", markdown="# Other")) == plain
    base.cells[1].outputs = [v4.new_output("stream", text="1\n")]
    base.cells[1].execution_count = 7
    assert code_sha256(base) == plain


def test_code_hash_survives_a_write_and_read(tmp_path: Path) -> None:
    original = notebook("import audioml", "x = 1", injected="fast = True")
    nbformat.write(original, tmp_path / "nb.ipynb")
    assert code_sha256(nbformat.read(tmp_path / "nb.ipynb", as_version=4)) == code_sha256(original)


def test_fast_mode_needs_an_output_folder(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--fast", "notebooks/01_signals.ipynb"])
    assert caught.value.code == 2
    assert "--fast needs --out" in capsys.readouterr().err


def test_fast_copies_write_their_results_next_to_them(tmp_path: Path, monkeypatch) -> None:
    chapter = tmp_path / "toy.ipynb"
    nbformat.write(
        v4.new_notebook(
            cells=[
                v4.new_code_cell("fast: bool = False", metadata={"tags": ["parameters"]}),
                v4.new_code_cell(
                    "from audioml.book.results import ResultsLog\nlog = ResultsLog('toy', fast)\n"
                    "log.add(task='t', split='s', model='m', metric='accuracy', value=1.0, n_test=1,\n"
                    "        role='test', protocol='p', selection='s')\nlog.write()"
                ),
            ],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        ),
        chapter,
    )
    monkeypatch.delenv(RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["--fast", "--out", str(tmp_path / "copy"), str(chapter)]) == 0
    written = json.loads((tmp_path / "copy" / "results" / "toy.json").read_text())
    assert written["fast"] is True and not (tmp_path / "results").exists()
