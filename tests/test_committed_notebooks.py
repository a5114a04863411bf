"""The committed notebooks are fresh full-mode runs of their current code, with results files."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from chapters import CHAPTERS, ROOT, read

from audioml.book.execute import RETRACING_ADVICE, RUNTIME_LOG, code_sha256, machine_paths


def _time(stamp: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_is_a_full_mode_papermill_run(chapter) -> None:
    papermill = read(chapter).metadata.get("papermill")
    assert papermill, f"{chapter.name} was not executed by papermill; run `make execute CHAPTER={chapter}`"
    assert papermill["parameters"].get("fast") is False, f"{chapter.name}: committed outputs are not from full mode"
    assert papermill.get("exception") in (None, False)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_has_no_error_outputs(chapter) -> None:
    errors = [o for c in read(chapter).cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{chapter.name}: {len(errors)} cell(s) end in an error"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_runtime_log_lines_reach_the_reader(chapter) -> None:
    """TensorFlow's C++ log lines (absl, oneDNN, the TFLite delegate) and tf.function's retracing advice are
    dropped by `audioml.book.execute`."""
    logs = [
        line
        for c in read(chapter).cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
        for line in o.get("text", "").splitlines()
        if RUNTIME_LOG.match(line) or RETRACING_ADVICE.match(line)
    ]
    assert not logs, f"{chapter.name}: {len(logs)} runtime log lines in the outputs, e.g. {logs[0][:100]!r}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_absolute_path_of_this_machine_in_the_outputs(chapter) -> None:
    """The book's root, the data root, the cache and the home folder are replaced by `audioml.book.execute`."""
    texts = [
        o.get("text", "")
        + "".join(v for k, v in o.get("data", {}).items() if k.startswith("text/") and isinstance(v, str))
        for c in read(chapter).cells
        for o in c.get("outputs", [])
    ]
    found = sorted({folder for folder in machine_paths(ROOT) for text in texts if folder in text})
    assert not found, f"{chapter.name}: outputs print this machine's folders {found}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_code_unchanged_since_the_full_run(chapter) -> None:
    notebook = read(chapter)
    stamped = notebook.metadata.get("audioml", {}).get("code_sha256")
    assert stamped == code_sha256(notebook), (
        f"{chapter.name}: its code cells changed after the last full run; "
        f"re-run `make execute CHAPTER=notebooks/{chapter.name}` and commit the result"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_results_file_comes_from_that_full_run(chapter) -> None:
    path = ROOT / "results" / f"{chapter.stem}.json"
    assert path.is_file(), f"no results/{chapter.stem}.json; run `make execute CHAPTER=notebooks/{chapter.name}`"
    results = json.loads(path.read_text())
    assert results["notebook"] == chapter.stem and results["fast"] is False and results["runs"]
    papermill = read(chapter).metadata["papermill"]
    created = _time(results["created_utc"])
    assert _time(papermill["start_time"]) <= created <= _time(papermill["end_time"]), (
        f"results/{chapter.stem}.json was not written by the committed run of {chapter.name}"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_figure_has_alt_text(chapter) -> None:
    """Each cell that draws a figure carries the alt text Jupyter Book puts on its image (issue 15)."""
    figures = [
        cell
        for cell in read(chapter).cells
        if any(kind in o.get("data", {}) for o in cell.get("outputs", []) for kind in ("image/png", "image/svg+xml"))
    ]
    missing = [i for i, cell in enumerate(figures) if not cell.metadata.get("mystnb", {}).get("image", {}).get("alt")]
    assert not missing, f"{chapter.name}: figures {missing} have no alt text (audioml.book.alt_text.add_alt_text)"
