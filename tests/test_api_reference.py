"""The book's API reference (book/api.md) documents every module of the package, once each (issue 16)."""

from __future__ import annotations

import re

from chapters import ROOT


def test_every_module_is_on_the_api_page_once() -> None:
    page = (ROOT / "book" / "api.md").read_text()
    documented = re.findall(r"^\.\. automodule:: (audioml\.[\w.]+)$", page, flags=re.M)
    package = ROOT / "src" / "audioml"
    modules = {
        "audioml." + ".".join(path.relative_to(package).with_suffix("").parts)
        for path in package.rglob("*.py")
        if path.stem not in ("__init__", "__main__")
    }
    modules |= {"audioml." + ".".join(p.parent.relative_to(package).parts) for p in package.rglob("*/__init__.py")}
    assert len(documented) == len(set(documented)), "a module is documented twice"
    assert set(documented) == modules, (
        f"missing from book/api.md: {sorted(modules - set(documented))}; "
        f"gone from the package: {sorted(set(documented) - modules)}"
    )
