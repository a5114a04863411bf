"""Write tools/colab/constraints.txt from Google Colab's published pip freeze (../shared/colab).

The freeze's `name==version` lines are kept as they are. Its direct-URL entries cannot be
constraints (pip refuses URLs there) and are dropped, each named in the file's header:
Colab's own `google-colab` tarball, its kernel gateway fork, a spaCy model and the CPU
builds of torch; none of them is used by the book. Run it again when ../shared/colab changes;
`tests/test_colab_env.py` checks that the committed file is what it writes.

    python tools/colab/make_constraints.py [FREEZE] [OUT]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FREEZE = ROOT.parent / "shared" / "colab" / "pip-freeze.txt"
OUT = ROOT / "tools" / "colab" / "constraints.txt"
SOURCE = "github.com/googlecolab/backend-info, commit a72407924822ea377410b69f0a290150bcb5c9c2 (2026-08-19)"
PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[^\s;#]+$")


def constraints(freeze: str) -> str:
    """The constraints file for ``freeze`` (the text of Colab's ``pip freeze``)."""
    lines = [line.strip() for line in freeze.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    kept = [line for line in lines if PINNED.match(line)]
    dropped = sorted(line.split(" @ ")[0].split("==")[0] for line in lines if not PINNED.match(line))
    header = [
        "# Google Colab's package versions, as constraints for the Colab stage (make colab).",
        f"# From Colab's published pip freeze: {SOURCE}, via ../shared/colab/pip-freeze.txt.",
        "# Written by tools/colab/make_constraints.py; do not edit by hand.",
        f"# Dropped (direct URLs, which pip refuses as constraints; the book uses none): {', '.join(dropped)}",
    ]
    return "\n".join(header + kept) + "\n"


def main(argv: list[str]) -> int:
    freeze = Path(argv[0]) if argv else FREEZE
    out = Path(argv[1]) if len(argv) > 1 else OUT
    if not freeze.is_file():
        print(f"no Colab pip freeze at {freeze}; fix: pass its path (../shared/colab/pip-freeze.txt)", file=sys.stderr)
        return 2
    out.write_text(constraints(freeze.read_text()))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
