"""Equations render from the MathJax copy in the built site, with every network request refused."""

from __future__ import annotations

import pytest
from test_menus import HTML, browser  # noqa: F401  (the shared browser fixture)

MATH_CHAPTERS = ("01_signals", "03_backprop_micrograd", "12_vae_one_class")


@pytest.mark.parametrize("chapter", MATH_CHAPTERS)
def test_equations_render_offline(browser, chapter: str) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    refused: list[str] = []
    page.route("http*://**/*", lambda route: (refused.append(route.request.url), route.abort()))
    page.goto((HTML / "notebooks" / f"{chapter}.html").as_uri())
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.document", timeout=20_000)
    page.evaluate("MathJax.startup.promise")
    rendered = page.evaluate("document.querySelectorAll('mjx-container').length")
    raw = page.evaluate("document.querySelectorAll('.math:not(:has(mjx-container))').length")
    page.close()
    assert rendered > 0, f"{chapter}: no equation was typeset (MathJax did not load from _static)"
    assert raw == 0, f"{chapter}: {raw} equations left as raw TeX"
    assert not [url for url in refused if "mathjax" in url.lower()], f"{chapter}: MathJax was fetched online"
