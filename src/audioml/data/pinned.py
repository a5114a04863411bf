"""Pin tables shipped with the package: one row per upstream file a dataset downloads (chapters 4, 5, 7-10, 12, 13).

Each table is a CSV next to this module; lines starting with ``#`` say where its pins come from.
"""

from __future__ import annotations

import csv
from pathlib import Path


def read_pinned(filename: str) -> list[dict[str, str]]:
    """The rows of the pin table ``filename`` (e.g. ``"esc50_clips.csv"``), comments skipped."""
    with (Path(__file__).parent / filename).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))
