"""Run chapters' setup cells as Google Colab would, installing a local wheel as the pinned release.

Each cell runs in this interpreter with ``google.colab`` importable (as on Colab), and with its
``book = ...`` requirement pointed at the wheel; the cell's release pin must be the wheel's
version. Used by tools/colab/build-env.

    python run_setup_cells.py WHEEL CHAPTER.ipynb [...]
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import re
import sys
import types
from pathlib import Path

BOOK_LINE = re.compile(r"^(?P<indent>\s*)book = .*$", re.MULTILINE)
PIN = re.compile(r'^AUDIOML = "(?P<version>[^"]+)"', re.MULTILINE)


def pretend_colab() -> None:
    """Make the setup cell's ``find_spec("google")`` and ``find_spec("google.colab")`` succeed, as on Colab."""
    for name in ("google", "google.colab"):
        if name == "google.colab" or importlib.util.find_spec(name) is None:
            module = types.ModuleType(name)
            module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
            sys.modules[name] = module


def setup_source(chapter: Path, wheel: Path) -> str:
    """The chapter's setup cell, its ``book`` requirement replaced by the wheel."""
    cells = json.loads(chapter.read_text())["cells"]
    source = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
    pin = PIN.search(source)
    version = wheel.name.split("-")[1]
    if pin is None or pin["version"] != version:
        raise SystemExit(f"{chapter}: its setup cell pins {pin and pin['version']!r}, the wheel is {version}")
    replaced, count = BOOK_LINE.subn(lambda m: f'{m["indent"]}book = "audioml @ {wheel.resolve().as_uri()}"', source)
    if count != 1:
        raise SystemExit(f"{chapter}: expected one `book = ...` line in its setup cell, found {count}")
    return replaced


def main(argv: list[str]) -> int:
    wheel, chapters = Path(argv[0]), [Path(p) for p in argv[1:]]
    pretend_colab()
    for chapter in chapters:
        print(f"setup cell of {chapter.name}", flush=True)
        exec(compile(setup_source(chapter, wheel), f"{chapter.name}:setup", "exec"), {"__name__": "__main__"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
