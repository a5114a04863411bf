"""Execute chapters with papermill and stamp them, so CI can tell a stale notebook.

``python -m audioml.book.execute notebooks/05_cnn.ipynb`` re-runs a chapter in full mode in
place and records the hash of its code cells in ``metadata.audioml.code_sha256``;
``--fast --out DIR`` runs it in fast mode into ``DIR`` and leaves the original alone.
A full run also cleans what the reader would see but the chapter did not mean to show
(:func:`clean_outputs`): the log lines TensorFlow's C++ runtime writes to stderr on import, which
no Python setting silences, and this machine's absolute paths (the book's root becomes a relative
path, the data root ``$AUDIOML_DATA``, the cache ``$AUDIOML_CACHE``, the home folder ``~``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import time
from pathlib import Path

import nbformat

from audioml.book.alt_text import add_alt_text
from audioml.book.results import RESULTS_ENV
from audioml.settings import book_root, cache_dir, data_root, results_override

INJECTED_TAG = "injected-parameters"
#: The first line of every chapter's setup cell (tests/test_notebook_structure.py has its text).
_SETUP_MARKER = "# Setup: on Google Colab"
#: Lines of TensorFlow's C++ runtime (absl logging, oneDNN's notice, the TFLite delegate), not of the chapter.
RUNTIME_LOG = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to "
    r"STDERR|[IWE]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] .*"
    r"|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.)$"
)
#: tf.function's retracing advice, which TensorFlow's logger prints on stdout or stderr: a chapter that
#: builds a new model per fold traces each one's predict step anew, as it must.
RETRACING_ADVICE = re.compile(
    r"^WARNING:tensorflow:\d+ out of the last \d+ calls to .+ triggered "
    r"tf\.function retracing\..*$"
)


def machine_paths(book: Path) -> dict[str, str]:
    """This machine's absolute folders that outputs may print, and what the book shows instead (longest first)."""
    folders = {
        str(book.resolve()) + os.sep: "",
        str(cache_dir()) + os.sep: "$AUDIOML_CACHE/",
        str(Path.home()) + os.sep: "~/",
    }
    root = data_root()
    if root is not None:
        folders[str(root.resolve()) + os.sep] = "$AUDIOML_DATA/"
    return dict(sorted(folders.items(), key=lambda item: -len(item[0])))


def _replace_paths(text: str, paths: dict[str, str]) -> str:
    for folder, shown in paths.items():
        text = text.replace(folder, shown)
    return text


def clean_outputs(notebook: nbformat.NotebookNode, paths: dict[str, str]) -> int:
    """Drop runtime log lines (:func:`drop_runtime_logs`) and replace ``paths`` in every text output; return
    how many lines were dropped."""
    dropped = drop_runtime_logs(notebook)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _replace_paths(output["text"], paths)
            for kind, value in output.get("data", {}).items():
                if kind.startswith("text/") and isinstance(value, str):
                    output["data"][kind] = _replace_paths(value, paths)
    return dropped


def drop_runtime_logs(notebook: nbformat.NotebookNode) -> int:
    """Remove the runtime's log lines from every stderr output and the retracing advice from every stream
    (and outputs left blank); return how many lines went."""
    dropped = 0
    for cell in notebook.cells:
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                patterns = (RUNTIME_LOG, RETRACING_ADVICE) if output.get("name") == "stderr" else (RETRACING_ADVICE,)
                lines = output["text"].splitlines(keepends=True)
                clean = [line for line in lines if not any(p.match(line.rstrip("\n")) for p in patterns)]
                dropped += len(lines) - len(clean)
                if not clean or (len(clean) < len(lines) and not "".join(clean).strip()):
                    continue
                output["text"] = "".join(clean)
            kept.append(output)
        if cell.cell_type == "code":
            cell.outputs = kept
    return dropped


def code_sha256(notebook: nbformat.NotebookNode) -> str:
    """Hash of the source of every code cell but papermill's injected parameters and the setup cell.

    The setup cell (it starts with ``_SETUP_MARKER``) installs packages on Colab and does nothing
    elsewhere, so its text (the release it pins) cannot change an output.
    """
    sources = [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code"
        and INJECTED_TAG not in cell.get("metadata", {}).get("tags", [])
        and not cell.source.startswith(_SETUP_MARKER)
    ]
    return hashlib.sha256("\n\x00".join(sources).encode()).hexdigest()


def execute(notebook: Path, fast: bool, out_dir: Path | None = None, timeout_s: int | None = None) -> Path:
    """Run ``notebook`` with ``fast`` through papermill; in full mode in place, stamped."""
    import papermill

    notebook = notebook.resolve()
    target = (out_dir.resolve() / notebook.name) if out_dir else notebook
    target.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(notebook),
        str(target),
        parameters={"fast": fast},
        cwd=str(notebook.parent),
        kernel_name="python3",
        execution_timeout=timeout_s,
        progress_bar=False,
    )
    if not fast and target == notebook:
        executed = nbformat.read(target, as_version=4)
        for cell in executed.cells:  # the book hides papermill's injected parameters
            tags = cell.metadata.setdefault("tags", [])
            if INJECTED_TAG in tags:
                cell.source = cell.source.rstrip("\n")  # as ruff format writes a cell
                if "remove-cell" not in tags:
                    tags.append("remove-cell")
        clean_outputs(executed, machine_paths(book_root(notebook.parent)))
        add_alt_text(executed)
        executed.metadata.setdefault("audioml", {})["code_sha256"] = code_sha256(executed)
        nbformat.write(executed, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="chapters to run (default: all)")
    parser.add_argument("--fast", action="store_true", help="fast mode (tiny subset); needs --out")
    parser.add_argument("--out", type=Path, help="write executed copies here instead of in place")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell time limit in seconds")
    args = parser.parse_args(argv)
    if args.fast and args.out is None:
        parser.error("--fast needs --out: fast-mode outputs must never replace the committed notebooks")
    if args.out is not None and results_override() is None:
        # Copies elsewhere write their results files there too, never over the committed ones.
        os.environ[RESULTS_ENV] = str((args.out / "results").resolve())
    chapters = args.notebooks or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    for chapter in chapters:
        start = time.perf_counter()
        execute(chapter, args.fast, args.out, args.timeout)
        print(
            f"{chapter.name}: {'fast' if args.fast else 'full'} mode, {time.perf_counter() - start:.0f} s", flush=True
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
