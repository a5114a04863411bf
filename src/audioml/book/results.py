"""Results files: each chapter's measured numbers in ``results/<notebook>.json``.

The comparison chapter and the book's tables read these files; no number is typed in by
hand. The files are strict JSON: :meth:`ResultsLog.add` converts numpy scalars and arrays
to plain numbers and lists, and refuses NaN and infinity (JSON has neither) with an error
naming the field, and anything else it cannot write (say, a Path) likewise. Files are
written atomically (:mod:`audioml.atomic`): a full disk or a crash leaves the old file, and
a read-only results file is refused, not replaced.
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

import numpy as np
import pandas as pd

from audioml.atomic import write_text
from audioml.book.strict_json import integer, plain
from audioml.errors import DataNotFoundError, ParameterError
from audioml.settings import RESULTS_ENV, book_root, results_override

__all__ = [
    "PACKAGED_RESULTS",
    "RANKED_ROLES",
    "ROW_NEEDS",
    "RESULTS_ENV",
    "ROLES",
    "ResultsLog",
    "book_results_dir",
    "read_results",
    "results_dir",
]
#: The roles a results row may carry (GUIDE §7).
ROLES = ("test", "cv", "validation", "leaky-demo", "unchosen", "oracle", "reference", "difference")
#: The roles that are ranked (chapter 14) and meet bars: test results and cross-validation.
RANKED_ROLES = ("test", "cv")
#: What a ranked row must say when added: how its model and settings were chosen, and under which protocol.
_RANKED_ROW_NEEDS = ("selection", "protocol")
#: What every row must say by the time the file is written (issue 11): its role, protocol and selection.
ROW_NEEDS = ("role", "protocol", "selection")
_VERSIONED = ("tensorflow-cpu", "tensorflow", "keras", "librosa", "numpy", "scikit-learn", "micrograd")


#: The book's committed results; ``src/audioml/book_results`` links to ``results/`` and the wheel holds
#: the files themselves, so the comparison chapter reads them on Colab, outside a clone.
PACKAGED_RESULTS = Path(__file__).with_name("book_results")


def _clone_results() -> Path:
    """``results/`` at the book's root, found from the working directory (DataNotFoundError outside a clone)."""
    return book_root() / "results"


def book_results_dir() -> Path:
    """The committed ``results/`` folder: at the book's root when run inside a clone (found from the
    working directory), else the copy shipped with the package (chapter 14 on Colab)."""
    try:
        return _clone_results()
    except DataNotFoundError:
        if PACKAGED_RESULTS.is_dir() and any(PACKAGED_RESULTS.glob("*.json")):
            return PACKAGED_RESULTS
        raise


def results_dir() -> Path:
    """Where a run writes: ``$AUDIOML_RESULTS``, else the book's ``results/``, else ``./results``."""
    override = results_override()
    if override is not None:
        return override
    try:
        return _clone_results()  # never the packaged copy: runs write beside the book, or here
    except DataNotFoundError:
        return Path.cwd() / "results"


def _git_sha() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _versions() -> dict[str, str]:
    found = {}
    for name in _VERSIONED:
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

    def add(
        self,
        *,
        task: str,
        split: str,
        model: str,
        metric: str,
        value: float,
        n_test: int,
        seed: int = 0,
        **extra: object,
    ) -> None:
        """Record one measured number; ``extra`` holds e.g. a confidence interval (numbers,
        strings, lists and dicts of them; numpy values are converted, NaN and inf refused).

        A ``role`` must be one of :data:`ROLES`; a ``test`` or ``cv`` row also needs ``selection``
        and ``protocol``.
        """
        where = f"{self.notebook}: {model}/{metric}"
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"{where}: value must be a number, got {value!r}") from None
        if not math.isfinite(value):
            raise ParameterError(f"{where} is {value}; refusing to record it")
        role = extra.get("role")
        if role is not None and role not in ROLES:
            raise ParameterError(f"{where}: role must be one of {', '.join(ROLES)}; got {role!r}")
        missing = [name for name in _RANKED_ROW_NEEDS if role in RANKED_ROLES and not extra.get(name)]
        if missing:
            raise ParameterError(
                f"{where}: a {role} row must say its {' and '.join(missing)} (how the model "
                f"and its settings were chosen, and on which split); pass {missing[0]}=..."
            )
        try:
            row = {
                "task": task,
                "split": split,
                "model": model,
                "metric": metric,
                "value": value,
                "n_test": integer(n_test, "n_test"),
                "seed": integer(seed, "seed"),
                **{name: plain(item, name) for name, item in extra.items()},
            }
        except ParameterError as error:
            raise ParameterError(f"{where}: {error}") from None
        self.runs.append(row)

    def add_seed_spread(
        self,
        per_seed: dict[int, float],
        *,
        task: str,
        split: str,
        model: str,
        metric: str,
        n_test: int,
        seed: int = 0,
        digits: int = 4,
        **extra: object,
    ) -> tuple[float, float]:
        """Record one model's ``metric`` over seeds as ``<metric>_seed_mean``: the mean, sd (ddof 1)
        and each seed's value; return ``(mean, sd)`` (chapters 5, 6, 9, 10, 12).

        ``extra`` holds the other fields of :meth:`add` (role, protocol, selection, ...).
        """
        values = [float(v) for v in per_seed.values()]
        if len(values) < 2 or not all(map(math.isfinite, values)):
            raise ParameterError(
                f"{self.notebook}: {model}/{metric}: a seed spread needs 2+ finite values, got {per_seed}"
            )
        mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
        self.add(
            task=task,
            split=split,
            model=model,
            metric=f"{metric}_seed_mean",
            value=mean,
            n_test=n_test,
            seed=seed,
            sd=sd,
            seeds=[int(s) for s in per_seed],
            per_seed={str(s): round(float(v), digits) for s, v in per_seed.items()},
            ci=f"sd over {len(values)} seeds",
            **extra,
        )
        return mean, sd

    def mark_chosen(self, model: str, selection: str, **where: object) -> int:
        """Turn the rows of ``model`` that match ``where`` (field=value) into ``test`` rows chosen by ``selection``.

        A chapter logs every candidate's test rows as ``unchosen``, chooses one model on
        training-side data (validation or CV), then marks it (chapter 2). Returns how many rows
        changed; raises :class:`~audioml.errors.ParameterError` when none matches.
        """
        rows = [r for r in self.runs if r["model"] == model and all(r.get(k) == v for k, v in where.items())]
        if not rows:
            raise ParameterError(f"{self.notebook}: no row of model {model!r} matches {where}; nothing marked")
        for row in rows:
            row.update(role="test", selection=selection)
        return len(rows)

    def write(self, folder: str | os.PathLike | None = None) -> Path:
        """Write ``<folder>/<notebook>.json`` atomically and return its path.

        Every row must carry :data:`ROW_NEEDS`; the first row that does not is named, and nothing
        is written.
        """
        if not self.runs:
            raise ValueError(f"{self.notebook}: no runs recorded; call add() first")
        for i, run in enumerate(self.runs):
            missing = [name for name in ROW_NEEDS if not run.get(name)]
            if missing:
                raise ParameterError(
                    f"{self.notebook}: row {i} ({run['task']}, {run['split']}, {run['model']}, {run['metric']}) "
                    f"has no {' and no '.join(missing)}; pass {missing[0]}=... to add()"
                )
        folder = Path(folder) if folder else results_dir()
        runs = [plain(run, f"runs[{i}]") for i, run in enumerate(self.runs)]  # rows edited after add()
        document = {
            "notebook": self.notebook,
            "fast": self.fast,
            "runtime_s": round(time.perf_counter() - self.started, 1),
            "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "git_sha": _git_sha(),
            "python": platform.python_version(),
            "versions": _versions(),
            "runs": runs,
        }
        return write_text(folder / f"{self.notebook}.json", json.dumps(document, indent=1, allow_nan=False) + "\n")


def read_results(folder: str | os.PathLike | None = None) -> pd.DataFrame:
    """All runs of all results files, one row each, with the notebook and its mode.

    Raises :class:`~audioml.errors.DataNotFoundError` when ``folder`` does not exist and ``ValueError``
    naming the file for one that is not a strict results file.
    """
    folder = Path(folder) if folder else results_dir()
    if not folder.is_dir():
        raise DataNotFoundError(
            f"{folder}: no results folder. Run the chapters first (each writes "
            f"results/<notebook>.json), or point {RESULTS_ENV} or the folder argument at one."
        )
    rows = []
    for path in sorted(folder.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
            notebook, fast, runs = document["notebook"], document["fast"], list(document["runs"])
            rows += [{"notebook": notebook, "fast": fast, **run} for run in runs]
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"{path}: not a valid results file ({type(error).__name__}: {error}); re-run the "
                f"chapter that writes it, or delete the file"
            ) from None
    return pd.DataFrame(rows)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")
