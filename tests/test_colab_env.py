"""The Colab stand-in (tools/colab) and the setup cell that every chapter opens with.

`make colab` runs the chapters in that environment; these tests check its inputs: the
constraints are Colab's published versions, everything it installs is pinned by them, and the
setup cell installs the pinned release on Colab and does nothing anywhere else, even where no
``google`` package exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from chapters import CHAPTERS, ROOT, code_cells, read
from test_notebook_structure import REPOSITORY, VERSION, distributions

COLAB = ROOT / "tools" / "colab"
FREEZE = ROOT.parent / "shared" / "colab" / "pip-freeze.txt"


def setup_source(chapter: Path) -> str:
    return code_cells(read(chapter))[0].source


def test_the_constraints_are_colabs_published_freeze() -> None:
    if not FREEZE.is_file():
        pytest.skip(f"no Colab freeze at {FREEZE}")
    sys.path.insert(0, str(COLAB))
    try:
        from make_constraints import constraints
    finally:
        sys.path.remove(str(COLAB))
    assert (COLAB / "constraints.txt").read_text() == constraints(FREEZE.read_text()), (
        "tools/colab/constraints.txt is stale: run python tools/colab/make_constraints.py"
    )


def test_everything_the_stand_in_installs_is_pinned_to_colabs_version() -> None:
    pinned = distributions(COLAB / "constraints.txt")
    assert distributions(COLAB / "preinstalled.txt") - pinned == set()


@pytest.mark.parametrize("chapter", CHAPTERS[:1] + CHAPTERS[-1:], ids=lambda p: p.stem)
def test_the_setup_cell_does_nothing_where_no_google_package_exists(chapter: Path) -> None:
    """``python -S`` has no site-packages, so no ``google``: the cell must finish quietly."""
    done = subprocess.run([sys.executable, "-S", "-c", setup_source(chapter)], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def run_setup_cell(chapter: Path, tmp_path: Path, with_colab: bool) -> list[list[str]]:
    """Run the cell with a ``google`` package (and ``google.colab`` if asked); return the pip commands."""
    package = tmp_path / "site" / "google"
    (package / "colab" if with_colab else package).mkdir(parents=True)
    if with_colab:
        (package / "colab" / "__init__.py").write_text("")
    record = tmp_path / "commands.json"
    script = (
        "import json, subprocess\n"
        "commands = []\n"
        "subprocess.run = lambda command, check: commands.append(command)\n"
        f"exec({setup_source(chapter)!r})\n"
        f"open({str(record)!r}, 'w').write(json.dumps(commands))\n"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", script], capture_output=True, text=True, env={"PYTHONPATH": str(package.parent)}
    )
    assert done.returncode == 0, done.stderr
    return json.loads(record.read_text())


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_on_colab_the_setup_cell_installs_the_pinned_release(chapter: Path, tmp_path: Path) -> None:
    commands = run_setup_cell(chapter, tmp_path, with_colab=True)
    assert commands and all(c[1:4] == ["-m", "pip", "install"] for c in commands)
    assert f"audioml @ git+{REPOSITORY}@v{VERSION}" in commands[0]


def test_a_google_package_without_colab_installs_nothing(tmp_path: Path) -> None:
    assert run_setup_cell(CHAPTERS[0], tmp_path, with_colab=False) == []


def test_the_stand_in_refuses_a_setup_cell_that_pins_another_release(tmp_path: Path) -> None:
    stale = tmp_path / "stale.ipynb"
    notebook = json.loads(CHAPTERS[0].read_text())
    first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    first["source"] = "".join(first["source"]).replace(f'AUDIOML = "{VERSION}"', 'AUDIOML = "0.0.1"')
    stale.write_text(json.dumps(notebook))
    wheel = tmp_path / f"audioml-{VERSION}-py3-none-any.whl"
    done = subprocess.run(
        [sys.executable, str(COLAB / "run_setup_cells.py"), str(wheel), str(stale)], capture_output=True, text=True
    )
    assert done.returncode != 0 and "pins '0.0.1', the wheel is " + VERSION in done.stderr
