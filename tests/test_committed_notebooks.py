"""The committed notebooks are fresh full-mode runs of their current code, with results files."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import struct

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


#: The width (CSS px) of a chapter's text column in a 1400 px window; figures wider than it are
#: scaled down to it. tests/browser/test_layout.py measures it in Chromium.
CONTENT_PX_AT_1400 = 784


def tick_points(notebook) -> float:
    """The tick-label size (pt) a chapter's theme gives: seaborn's 11 pt for its notebook context,
    scaled for the others, or matplotlib's 10 pt without a theme."""
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    theme = re.search(r"sns\.set_theme\(([^)]*)\)", code)
    if theme is None:
        return 10.0
    context = re.search(r'context="(\w+)"', theme.group(1))
    scale = re.search(r"font_scale=([\d.]+)", theme.group(1))
    factor = {"paper": 0.8, "notebook": 1.0, "talk": 1.5, "poster": 2.0}[context.group(1) if context else "notebook"]
    return 11.0 * factor * (float(scale.group(1)) if scale else 1.0)


def png_width_and_dpi(data: str) -> tuple[int, float]:
    """Pixel width and dots per inch (matplotlib writes them in the pHYs chunk) of a base64 PNG."""
    raw = base64.b64decode(data)
    width = struct.unpack(">I", raw[16:20])[0]
    chunk = raw.find(b"pHYs")
    return width, (struct.unpack(">I", raw[chunk + 4 : chunk + 8])[0] * 0.0254 if chunk > 0 else 72.0)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_tick_labels_are_at_least_8_px_at_1400_px(chapter) -> None:
    """A figure wider than the text column is scaled down: its tick labels must stay readable (issue 15)."""
    notebook = read(chapter)
    points, small = tick_points(notebook), []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                width, dpi = png_width_and_dpi(output["data"]["image/png"])
                shown = points * dpi / 72 * min(1.0, CONTENT_PX_AT_1400 / width)
                if shown < 8:
                    small.append(f"cell {index}: {width} px at {dpi:.0f} dpi, ticks {shown:.1f} px")
    assert not small, f"{chapter.name}: tick labels under 8 px at 1400 px (narrow the figure): {small}"
