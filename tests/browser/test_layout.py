"""The built pages keep each label next to what it labels (issue 15).

A cell that prints a label, shows a player, prints a label, shows a player… must render in that
order. MyST-NB's ``nb_merge_streams: true`` would merge the cell's printed lines into one block
above all its players; this test finds such a block: several printed lines directly followed by
several players. It reads the HTML of ``make book`` (no browser needed) and runs in `make browser`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html" / "notebooks"
CHAPTERS = sorted(path.stem for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def separated_labels(page: str) -> list[str]:
    """Text of each printed block of two or more lines that is followed by two or more players."""
    from bs4 import BeautifulSoup

    found = []
    for area in BeautifulSoup(page, "html.parser").select("div.cell_output"):
        children = area.find_all(recursive=False)
        for index, child in enumerate(children):
            if "stream" not in child.get("class", []):
                continue
            lines = [line for line in child.get_text().splitlines() if line.strip()]
            players = 0
            for after in children[index + 1 :]:
                if not after.find("audio"):
                    break
                players += 1
            if len(lines) >= 2 and players >= 2:
                found.append(" / ".join(lines)[:120])
    return found


def test_a_merged_block_of_labels_is_found() -> None:
    page = (
        '<div class="cell_output"><div class="output stream"><pre>dog\ncat</pre></div>'
        '<div class="output text_html"><audio></audio></div><div class="output text_html"><audio></audio></div></div>'
    )
    assert separated_labels(page) == ["dog / cat"]
    interleaved = (
        '<div class="cell_output"><div class="output stream"><pre>dog</pre></div>'
        '<div class="output text_html"><audio></audio></div><div class="output stream"><pre>cat</pre></div>'
        '<div class="output text_html"><audio></audio></div></div>'
    )
    assert separated_labels(interleaved) == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_labels_sit_next_to_their_players(chapter: str) -> None:
    page = HTML / f"{chapter}.html"
    if not page.is_file():
        raise RuntimeError(f"{page} is missing; run `make book` first")
    assert separated_labels(page.read_text(encoding="utf-8")) == [], f"{chapter}: labels printed apart from players"
