"""Execute every chapter in fast mode with papermill, into a scratch folder, under a time limit.

The committed notebooks are never overwritten: outputs go to $AUDIOML_SCRATCH (default: a
temporary folder), and so do the fast-mode results files.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from audioml.execute import execute
from chapters import CHAPTERS

FAST_LIMIT_S = 180  # the book's budget for one chapter in fast mode


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("AUDIOML_SCRATCH") or tmp_path_factory.mktemp("scratch"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.timeout(FAST_LIMIT_S + 120)  # hard stop; the budget itself is asserted below
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_runs_in_fast_mode(chapter: Path, scratch: Path, monkeypatch) -> None:
    results = scratch / "results"
    monkeypatch.setenv("AUDIOML_RESULTS", str(results))
    before = chapter.read_bytes()
    start = time.perf_counter()
    executed = execute(chapter, fast=True, out_dir=scratch / "notebooks")
    elapsed = time.perf_counter() - start
    print(f"{chapter.stem}: fast mode in {elapsed:.0f} s")
    assert chapter.read_bytes() == before, "fast mode must not touch the committed notebook"
    assert executed.parent == scratch / "notebooks"
    written = json.loads((results / f"{chapter.stem}.json").read_text())
    assert written["fast"] is True and written["runs"]
    assert elapsed <= FAST_LIMIT_S, f"{chapter.stem} took {elapsed:.0f} s in fast mode (budget {FAST_LIMIT_S} s)"
