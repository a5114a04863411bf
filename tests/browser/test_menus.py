"""The rendered book in a real browser: its menus open and close on phones and desktops.

Run by `make browser` after `make book`: headless Debian Chromium driven by Playwright over the
built HTML in ``_build/html``. Screenshots of three chapters at both widths go to
``_build/screenshots`` (CI keeps them as artifacts).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
PHONE, DESKTOP = 390, 1400
SCREENSHOT_CHAPTERS = ("01_signals", "05_cnn", "09_sound_event_detection")
CHAPTERS = sorted(path.stem for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def chromium_path() -> str:
    names = ("chromium", "chromium-browser", "google-chrome")  # Debian's, Ubuntu's, GitHub runners'
    path = os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, names)), None)
    if not path:
        raise RuntimeError(
            "no Chromium found: install Debian's `chromium` (apt-get install chromium) or set CHROMIUM to its path"
        )
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api as playwright_api

    if not (HTML / "index.html").is_file():
        raise RuntimeError(f"{HTML} has no built book; run `make book` first")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield launched
        launched.close()


def _open(browser, chapter: str, width: int):
    page = browser.new_page(viewport={"width": width, "height": 844 if width == PHONE else 900})
    page.goto((HTML / "notebooks" / f"{chapter}.html").as_uri())
    page.wait_for_load_state("load")
    return page


def _visible_toggle(page, kind: str):
    visible = [button for button in page.query_selector_all(f"button.{kind}") if button.is_visible()]
    return visible[0] if visible else None


def _dialog_open(page, name: str) -> bool:
    return page.evaluate(f"document.querySelector('#pst-{name}-sidebar-modal').open")


def _primary_left(page) -> float:
    return page.evaluate("document.querySelector('.bd-sidebar-primary').getBoundingClientRect().left")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_menus_open_and_close_on_a_phone(browser, chapter: str) -> None:
    page = _open(browser, chapter, PHONE)
    for name in ("primary", "secondary"):
        toggle = _visible_toggle(page, f"{name}-toggle")
        assert toggle is not None, f"{chapter} at {PHONE} px: no visible {name} menu button"
        toggle.click()
        page.wait_for_timeout(300)
        assert _dialog_open(page, name), f"{chapter} at {PHONE} px: tapping the {name} menu button opened nothing"
        page.keyboard.press("Escape")
        page.wait_for_timeout(300)
        assert not _dialog_open(page, name), f"{chapter} at {PHONE} px: the {name} menu did not close"
    if chapter in SCREENSHOT_CHAPTERS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{chapter}-{PHONE}px.png"))
    page.close()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_list_collapses_and_returns_on_a_desktop(browser, chapter: str) -> None:
    page = _open(browser, chapter, DESKTOP)
    if chapter in SCREENSHOT_CHAPTERS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{chapter}-{DESKTOP}px.png"))
    toggle = _visible_toggle(page, "primary-toggle")
    assert toggle is not None, f"{chapter} at {DESKTOP} px: no visible chapter-list button"
    assert _primary_left(page) >= 0, f"{chapter} at {DESKTOP} px: the chapter list is not shown at first"
    toggle.click()
    page.wait_for_timeout(300)
    assert _primary_left(page) < 0, f"{chapter} at {DESKTOP} px: the chapter-list button did not collapse it"
    toggle.click()
    page.wait_for_timeout(300)
    assert _primary_left(page) >= 0, f"{chapter} at {DESKTOP} px: the chapter list did not come back"
    secondary = _visible_toggle(page, "secondary-toggle")
    if secondary is not None:  # shown only where the page is too narrow for the "on this page" column
        secondary.click()
        page.wait_for_timeout(300)
        assert _dialog_open(page, "secondary"), f"{chapter} at {DESKTOP} px: 'on this page' opened nothing"
    page.close()


def test_wide_figures_are_shown_at_the_text_width_the_tick_test_assumes(browser) -> None:  # noqa: F811
    """tests/test_committed_notebooks.py reads tick sizes off the PNGs assuming this display width."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_committed_notebooks import CONTENT_PX_AT_1400

    page = _open(browser, "01_signals", DESKTOP)
    sizes = page.evaluate(
        "[...document.querySelectorAll('.cell_output img')].map(i => [i.naturalWidth, i.clientWidth])"
    )
    page.close()
    wide = [shown for natural, shown in sizes if natural > CONTENT_PX_AT_1400]
    assert wide and set(wide) == {CONTENT_PX_AT_1400}, sizes


def test_the_comparison_tables_fit_the_text_column_untruncated(browser) -> None:  # noqa: F811
    """Issue 11: every table of the comparison chapter reads at 1400 px without scrolling sideways,
    and none is cut with "..." rows or columns."""
    page = _open(browser, "14_comparison", DESKTOP)
    tables = page.evaluate(
        """() => [...document.querySelectorAll('.cell_output table')].map(t => ({
            width: t.getBoundingClientRect().width,
            column: t.closest('.cell_output').getBoundingClientRect().width,
            cut: [...t.querySelectorAll('td, th')].some(c => c.textContent.trim() === '...'),
        }))"""
    )
    page.close()
    assert len(tables) >= 10
    wide = [t for t in tables if t["width"] > t["column"] + 1]
    assert not wide and not any(t["cut"] for t in tables), (wide, [t for t in tables if t["cut"]])
