"""pyproject.toml says what the package needs: every import declared, no untested bounds (issue 16)."""

from __future__ import annotations

import ast
import re
import sys

import tomllib
from chapters import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: Import names whose distribution is called something else.
DISTRIBUTION = {"sklearn": "scikit-learn", "yaml": "pyyaml", "IPython": "ipython", "tensorflow_hub": "tensorflow-hub"}


def declared() -> set[str]:
    project = PYPROJECT["project"]
    specs = project["dependencies"] + [s for extra in project["optional-dependencies"].values() for s in extra]
    return {re.split(r"[<>=!~ \[;]", spec, maxsplit=1)[0].lower() for spec in specs}


def imported() -> set[str]:
    found = set()
    for path in (ROOT / "src" / "audioml").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.partition(".")[0])
    return found - set(sys.stdlib_module_names) - {"audioml", "__future__"}


def test_every_third_party_import_is_declared() -> None:
    missing = sorted(
        m
        for m in imported()
        if DISTRIBUTION.get(m, m).lower().replace("_", "-") not in {d.replace("_", "-") for d in declared()}
    )
    assert not missing, f"the package imports {missing} but pyproject.toml declares none of them"


def test_no_version_bound_that_no_test_runs_against() -> None:
    project = PYPROJECT["project"]
    specs = project["dependencies"] + [s for extra in project["optional-dependencies"].values() for s in extra]
    bounded = [s for s in specs if re.search(r"[<>=!~]", s)]
    assert not bounded, f"{bounded}: the tested versions are requirements.txt's pins; drop the bounds or test them"


def test_the_build_backend_can_read_the_license_field() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"], "the SPDX license string needs setuptools 77"
