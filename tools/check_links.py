"""Fail if any page of the built book links to a missing page or anchor: check_links.py _build/html."""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"])


def broken_links(site: Path) -> list[str]:
    """Internal links of ``site`` whose target file or anchor does not exist."""
    pages = {}
    for page in site.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        pages[page.resolve()] = parser
    broken = []
    for page, parser in pages.items():
        for href in parser.hrefs:
            if urlparse(href).scheme or href.startswith(("//", "mailto:", "javascript:")):
                continue
            path, anchor = urldefrag(href)
            target = (page.parent / unquote(path)).resolve() if path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site.resolve())}: {href} (no such file)")
            elif anchor and target in pages and unquote(anchor) not in pages[target].ids:
                broken.append(f"{page.relative_to(site.resolve())}: {href} (no such anchor)")
    return broken


if __name__ == "__main__":
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html")
    if not (site / "index.html").is_file():
        sys.exit(f"{site} holds no built book (no index.html); run `make book` first")
    problems = broken_links(site)
    print("\n".join(problems) or f"no broken internal links in {site}")
    sys.exit(1 if problems else 0)
