"""Results files: each chapter's measured numbers in ``results/<notebook>.json``.

Chapter 13 and the book's tables read these files; no number is typed in by hand.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path

import pandas as pd

RESULTS_ENV = "AUDIOML_RESULTS"
VERSIONED = ("tensorflow-cpu", "tensorflow", "keras", "librosa", "numpy", "scikit-learn", "micrograd")


def book_results_dir() -> Path:
    """The committed ``results/`` folder at the book's root, found from the working directory."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file():
            return folder / "results"
    raise FileNotFoundError(f"no book root (a folder with _toc.yml) above {here}; run from inside a "
                            f"clone of the book's repository")


def results_dir() -> Path:
    """Where a run writes: ``$AUDIOML_RESULTS``, else the book's ``results/``, else ``./results``."""
    if os.environ.get(RESULTS_ENV):
        return Path(os.environ[RESULTS_ENV])
    try:
        return book_results_dir()
    except FileNotFoundError:
        return Path.cwd() / "results"


def _git_sha() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _versions() -> dict[str, str]:
    found = {}
    for name in VERSIONED:
        try:
            found[name.replace("-cpu", "")] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


class ResultsLog:
    """Collects a chapter's runs and writes them in the format of GUIDE §4.

    >>> log = ResultsLog("05_cnn", fast=False)
    >>> log.add(task="fsdd-digits", split="fsdd-official-test", model="cnn-logmel",
    ...         metric="accuracy", value=0.98, n_test=300)
    """

    def __init__(self, notebook: str, fast: bool) -> None:
        self.notebook, self.fast = notebook, bool(fast)
        self.started = time.perf_counter()
        self.runs: list[dict] = []

    def add(self, *, task: str, split: str, model: str, metric: str, value: float,
            n_test: int, seed: int = 0, **extra: object) -> None:
        """Record one measured number; ``extra`` holds e.g. a confidence interval."""
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{self.notebook}: {model}/{metric} is {value}; refusing to record it")
        self.runs.append({"task": task, "split": split, "model": model, "metric": metric,
                          "value": value, "n_test": int(n_test), "seed": int(seed), **extra})

    def write(self, folder: str | os.PathLike | None = None) -> Path:
        """Write ``<folder>/<notebook>.json`` atomically and return its path."""
        if not self.runs:
            raise ValueError(f"{self.notebook}: no runs recorded; call add() first")
        folder = Path(folder) if folder else results_dir()
        folder.mkdir(parents=True, exist_ok=True)
        document = {"notebook": self.notebook, "fast": self.fast,
                    "runtime_s": round(time.perf_counter() - self.started, 1),
                    "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "git_sha": _git_sha(), "python": platform.python_version(),
                    "versions": _versions(), "runs": self.runs}
        target = folder / f"{self.notebook}.json"
        partial = target.with_name(target.name + ".part")
        partial.write_text(json.dumps(document, indent=1) + "\n")
        os.replace(partial, target)
        return target


def read_results(folder: str | os.PathLike | None = None) -> pd.DataFrame:
    """All runs of all results files, one row each, with the notebook and its mode."""
    folder = Path(folder) if folder else results_dir()
    rows = []
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text())
        rows += [{"notebook": document["notebook"], "fast": document["fast"], **run} for run in document["runs"]]
    return pd.DataFrame(rows)
