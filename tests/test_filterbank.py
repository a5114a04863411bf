"""Chapter 1 builds a mel filterbank from scratch; check that very cell against librosa.

The notebook's code cell tagged ``filterbank`` is executed on its own in a fresh
namespace (it may import only numpy), so the book's lesson and this test cannot drift apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import librosa
import nbformat
import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_signals.ipynb"
TAG = "filterbank"


@pytest.fixture(scope="module")
def filterbank_cell() -> str:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cells = [
        cell for cell in notebook.cells if cell.cell_type == "code" and TAG in cell.get("metadata", {}).get("tags", [])
    ]
    assert len(cells) == 1, f"{NOTEBOOK.name} must have exactly one code cell tagged {TAG!r}, found {len(cells)}"
    return cells[0].source


@pytest.fixture(scope="module")
def fb(filterbank_cell: str) -> dict:
    namespace: dict = {}
    exec(compile(filterbank_cell, f"{NOTEBOOK.name}[{TAG}]", "exec"), namespace)
    return namespace


def test_cell_imports_only_numpy(filterbank_cell: str) -> None:
    imports = [line.strip() for line in filterbank_cell.splitlines() if line.strip().startswith(("import ", "from "))]
    assert imports == ["import numpy as np"], imports


def test_cell_defines_only_the_three_functions(filterbank_cell: str) -> None:
    tree = ast.parse(filterbank_cell)
    functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    others = [
        type(node).__name__ for node in tree.body if not isinstance(node, (ast.FunctionDef, ast.Import, ast.ImportFrom))
    ]
    assert functions == ["hz_to_mel", "mel_to_hz", "mel_filterbank"]
    assert not others, f"the {TAG!r} cell should hold only the import and the three functions, found {others}"


@pytest.mark.parametrize(
    "sr, n_fft, n_mels, fmin, fmax",
    [
        (8000, 256, 40, 0.0, None),  # FSDD preset
        (22050, 1024, 64, 0.0, None),  # ESC preset
        (22050, 2048, 128, 0.0, None),  # librosa defaults
        (16000, 512, 64, 125.0, 7500.0),  # band-limited
        (16000, 400, 80, 20.0, 8000.0),  # odd-ish n_fft (25 ms at 16 kHz), fmax at Nyquist
        (44100, 4096, 96, 30.0, 16000.0),
        (8000, 128, 10, 300.0, 3400.0),  # telephone band, few filters
    ],
)
def test_matches_librosa(fb: dict, sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> None:
    ours = fb["mel_filterbank"](sr, n_fft, n_mels, fmin=fmin, fmax=fmax)
    reference = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    assert ours.shape == reference.shape == (n_mels, 1 + n_fft // 2)
    assert np.max(np.abs(ours - reference)) <= 1e-6


def test_default_fmax_is_nyquist(fb: dict) -> None:
    np.testing.assert_allclose(fb["mel_filterbank"](8000, 256, 40), fb["mel_filterbank"](8000, 256, 40, 0.0, 4000.0))


def test_filters_are_non_negative_triangles_with_unit_area(fb: dict) -> None:
    sr, n_fft, n_mels = 22050, 4096, 40
    filters = fb["mel_filterbank"](sr, n_fft, n_mels)
    assert np.all(filters >= 0)
    assert np.all(filters.max(axis=1) > 0), "every filter must cover at least one FFT bin"
    peaks = filters.argmax(axis=1)
    assert np.all(np.diff(peaks) >= 0), "filter centres must rise with the filter index"
    for row, peak in zip(filters, peaks):
        assert np.all(np.diff(row[: peak + 1]) >= 0) and np.all(np.diff(row[peak:]) <= 0), "not a triangle"
    # Slaney normalisation: each triangle has unit area in Hz (approximately, on the FFT grid).
    areas = filters.sum(axis=1) * sr / n_fft
    np.testing.assert_allclose(areas, 1.0, rtol=0.05)


def test_mel_scale_round_trip_and_reference(fb: dict) -> None:
    hz = np.concatenate([np.linspace(0.0, 20000.0, 2001), [999.999, 1000.0, 1000.001]])
    mels = fb["hz_to_mel"](hz)
    np.testing.assert_allclose(fb["mel_to_hz"](mels), hz, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(mels, librosa.hz_to_mel(hz), rtol=1e-12, atol=1e-12)
    assert np.all(np.diff(mels[:2001]) > 0), "the mel scale must be strictly increasing"
    assert fb["hz_to_mel"](1000.0) == pytest.approx(15.0)
    assert float(fb["hz_to_mel"](200.0)) == pytest.approx(3.0)
