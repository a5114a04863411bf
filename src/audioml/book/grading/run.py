"""Run one assembled submission in a fresh folder and read each test's outcome from the kernel's replies.

The kernel starts in an empty temporary folder (a copy of the book's results files and a
``_toc.yml`` marker, so that chapters reading other chapters' results work; no notebook, no
solution), with ``AUDIOML_RESULTS``, ``AUDIOML_CACHE``, ``HOME``, ``MPLCONFIGDIR`` and
``NUMBA_CACHE_DIR`` inside it (no cache lands in site-packages' or the book's ``__pycache__``)
(the caller's ``AUDIOML_CACHE`` is not inherited: an entry one submission planted there would be
read by the next; only a trusted caller, such as the book's own tests of the reference
solutions, passes ``shared_cache``) and the guard of :mod:`audioml.book.grading.guard` as its first
cell. A test passes when its cell's
``execute_reply`` says ``ok`` and it produced no error output: nothing the submission prints or
writes is read. A time-out, a dead kernel or a refused write scores the whole submission 0.
Used by :mod:`audioml.book.grading.gradebook`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from audioml.book.grading.assemble import Step
from audioml.book.grading.guard import prologue

#: The book whose notebooks, build and git folders a submission may not read.
BOOK_ROOT = next((p for p in Path(__file__).resolve().parents if (p / "_toc.yml").is_file()), Path.cwd())


@dataclass
class RunResult:
    """Per exercise, the outcome of each of its tests (``None``: passed, else the reason); and a fatal reason."""

    tests: dict[str, list[str | None]] = field(default_factory=dict)
    fatal: str = ""
    seconds: float = 0.0
    grader_seconds: float = 0.0  # in the grader's own cells (guard, snapshot, verify), not the chapter's
    cpu_seconds: float = float("nan")  # the kernel process's CPU time (user + system), read at the end
    results_written: list[str] = field(default_factory=list)


class _Client(NotebookClient):
    """An nbclient that keeps the status of the last ``execute_reply``."""

    last_status = "ok"

    async def _check_raise_for_error(self, cell, cell_index, exec_reply):  # noqa: ANN001
        self.last_status = (exec_reply or {}).get("content", {}).get("status", "error")


def _error_of(cell: nbformat.NotebookNode, status: str) -> str | None:
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if status == "ok" and not errors:
        return None
    if errors:
        value = str(errors[-1].get("evalue", "")).strip().splitlines()
        return (
            f"{errors[-1].get('ename', 'Error')}: {value[0][:300]}" if value and value[0] else errors[-1].get("ename")
        )
    return f"the cell ended with status {status!r}"


_CPU_PROBE = (
    "import resource as _r\nprint(sum(getattr(_r.getrusage(_r.RUSAGE_SELF), f) for f in ('ru_utime', 'ru_stime')))"
)


def _kernel_cpu_seconds(client: NotebookClient, notebook: nbformat.NotebookNode) -> float:
    """The kernel's CPU seconds so far: unlike wall time, the same whether or not other work shares the cores."""
    probe = nbformat.v4.new_code_cell(_CPU_PROBE)
    notebook.cells.append(probe)
    client.execute_cell(probe, len(notebook.cells) - 1)
    text = "".join(o.get("text", "") for o in probe.get("outputs", []) if o.get("name") == "stdout").strip()
    try:
        return float(text)
    except ValueError:  # an answer that broke printing: no reading, and no claim either way
        return float("nan")


def _folder(book_root: Path) -> Path:
    work = Path(tempfile.mkdtemp(prefix="audioml-grade-"))
    for sub in ("results", "out", "cache", "home", "mpl", "numba"):
        (work / sub).mkdir()
    (work / "_toc.yml").write_text("# marker: the results of the book's chapters are in results/\n")
    for path in (book_root / "results").glob("*.json"):
        shutil.copy(path, work / "results" / path.name)
    return work


def run_steps(
    steps: list[Step],
    time_limit_s: float = 120.0,
    book_root: Path = BOOK_ROOT,
    env: dict[str, str] | None = None,
    shared_cache: Path | None = None,
    kernel: str = "python3",
) -> RunResult:
    """Execute ``steps`` in a fresh kernel and folder within ``time_limit_s`` seconds.

    The kernel's feature cache is an empty folder of its own unless ``shared_cache`` names a
    trusted one (created if missing), which it may then read and write. ``kernel`` names the
    Jupyter kernel (another Python's, found through ``JUPYTER_PATH``).
    """
    result, start = RunResult(), time.perf_counter()
    work, private = _folder(book_root), Path(tempfile.mkdtemp(prefix="audioml-guard-"))
    report = private / "refused.txt"
    cache = Path(shared_cache).resolve() if shared_cache is not None else work / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    kernel_env = {
        **os.environ,
        **(env or {}),
        "AUDIOML_RESULTS": str(work / "out"),
        "HOME": str(work / "home"),
        "MPLCONFIGDIR": str(work / "mpl"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AUDIOML_CACHE": str(cache),
        "NUMBA_CACHE_DIR": str(work / "numba"),
    }  # librosa's compiled kernels: never site-packages
    allowed = [
        str(work.resolve()),
        os.path.realpath(tempfile.gettempdir()),
        os.path.realpath(kernel_env["AUDIOML_CACHE"]),
    ]
    forbidden = [str((book_root / sub).resolve()) for sub in ("notebooks", "_build", ".git")] + [str(private.resolve())]
    own = [str(work.resolve()), os.path.realpath(kernel_env["AUDIOML_CACHE"])]
    guard = Step("code", prologue(str(report), allowed, forbidden, [str(book_root.resolve())], own))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s.source) for s in [guard, *steps]])
    client = _Client(
        notebook,
        timeout=int(time_limit_s),
        kernel_name=kernel,
        allow_errors=True,
        startup_timeout=120,
        resources={"metadata": {"path": str(work)}},
    )
    refused: list[str] = []
    try:
        with client.setup_kernel(env=kernel_env):
            for index, (cell, step) in enumerate(zip(notebook.cells, [guard, *steps])):
                remaining = time_limit_s - (time.perf_counter() - start)
                if remaining <= 0:
                    raise CellTimeoutError(f"time limit of {time_limit_s:.0f} s reached")
                client.timeout = max(1, int(remaining))
                mark = report.stat().st_size if report.exists() else 0
                began = time.perf_counter()
                client.execute_cell(cell, index)
                if index == 0 or step.kind in ("snapshot", "verify"):
                    result.grader_seconds += time.perf_counter() - began
                error = _error_of(cell, client.last_status)
                if step.kind in ("answer", "test") and report.exists() and report.stat().st_size > mark:
                    with report.open("rb") as handle:
                        handle.seek(mark)
                        refused += handle.read().decode("utf-8", "replace").splitlines()
                if error and (index == 0 or step.kind == "snapshot"):
                    raise RuntimeError(f"the grader's guard cell failed: {error}")
                if error and step.kind == "verify":
                    result.fatal = error.replace("RuntimeError: ", "") + " (not allowed in an answer)"
                    break
                if step.kind == "test":
                    result.tests.setdefault(step.label, []).append(error)
            if not result.fatal:
                result.cpu_seconds = _kernel_cpu_seconds(client, notebook)
    except CellTimeoutError:
        result.fatal = f"time limit of {time_limit_s:.0f} s reached (a cell hung or the answers are too slow)"
    except DeadKernelError as error:
        result.fatal = f"the kernel died ({str(error).splitlines()[0][:120]}): the answers ended the process"
    except Exception as error:  # a broken kernel start or protocol error ends this submission only
        result.fatal = f"grading stopped: {type(error).__name__}: {str(error)[:200]}"
    finally:
        result.results_written = sorted(p.name for p in (work / "out").glob("*.json"))
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)
    if refused and not result.fatal:
        result.fatal = f"tried to leave its folder ({len(refused)} refused: {refused[0][:160]})"
    result.seconds = time.perf_counter() - start
    return result
