"""The environment's librosa gufunc caches were written by one process (tools/warm_numba.py).

Two processes compiling the same cached gufunc at once can leave a mismatched kernel/wrapper pair that
crashes or hangs every later process (numba issue #10128); a chapter's nbval cell hung so in CI.
"""

import re
import sys
from pathlib import Path

import librosa

GUFUNC = re.compile(r"^@(?:numba\.)?guvectorize\(", re.MULTILINE)


def cached_gufunc_modules() -> list[Path]:
    root = Path(librosa.__file__).parent
    return sorted(path for path in root.rglob("*.py") if GUFUNC.search(path.read_text()))


def test_librosa_has_cached_gufuncs_to_warm() -> None:
    names = {path.stem for path in cached_gufunc_modules()}
    assert {"pitch", "utils", "beat"} <= names


def test_every_cached_gufunc_module_has_its_wrapper_index() -> None:
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    cold = [
        str(path)
        for path in cached_gufunc_modules()
        if not list((path.parent / "__pycache__").glob(f"guf-{path.stem}.*.{tag}.nbi"))
    ]
    assert not cold, f"no gufunc cache for {cold}: run `python tools/warm_numba.py` (make venv does)"
