"""What a reader without a data root downloads, chapter by chapter (issue 15's download bar).

Each chapter's datasets are found from the loaders its code calls (each loader's
``dataset_dir`` names, read from the package's source); the bytes are the registry's pinned
sizes, or for the one archive (FSDD) the size of what it unpacks, from the offline copy's
manifest. GTZAN's audio (``dataset="gtzan"`` in chapter 13, 1.2 GB) is opt-in and not counted.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from pathlib import Path

import pytest

import audioml.data.loaders as loaders_module
from audioml.data.datasets import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 200e6  # bytes a chapter may download
DATASETS_PAGE = ROOT / "book" / "datasets.md"


def datasets_of_loaders() -> dict[str, set[str]]:
    """For every function of ``audioml.data.loaders``: the datasets it resolves, directly or through another loader."""
    tree = ast.parse(Path(loaders_module.__file__).read_text())
    calls: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found = set()
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                    args = [a.value for a in call.args if isinstance(a, ast.Constant)]
                    found |= {f"dataset:{args[0]}"} if call.func.id == "dataset_dir" and args else {call.func.id}
            calls[node.name] = found

    def close(name: str, seen: frozenset = frozenset()) -> set[str]:
        out = set()
        for item in calls.get(name, ()):
            if item.startswith("dataset:"):
                out.add(item.removeprefix("dataset:"))
            elif item in calls and item not in seen:
                out |= close(item, seen | {name})
        return out

    return {name: close(name) for name in calls}


def chapter_datasets() -> dict[str, set[str]]:
    """Each chapter's datasets, from the loaders (and ``load_yamnet``, which reads ``yamnet_files``) its code calls."""
    reach = datasets_of_loaders()
    reach["load_yamnet"] = reach["yamnet_files"]
    reach.pop("load_gtzan")  # opt-in audio, not the chapter's default
    found = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        code = "\n".join(
            "".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"
        )
        used = {name for name in reach if re.search(rf"\b{name}\(", code)}
        found[path.stem] = set().union(*(reach[name] for name in used)) if used else set()
    return found


def test_every_chapter_dataset_is_found_from_its_loaders() -> None:
    found = chapter_datasets()
    assert found["01_signals"] == {"fsdd", "librosa_examples"} and found["14_comparison"] == set()
    assert found["08_transfer_learning"] == {"esc10", "esc50_fold4", "yamnet"}
    assert found["13_music"] == {"fsd_instruments", "gtzan_meta", "librosa_examples", "yamnet"}


def test_per_file_downloads_pin_every_file_and_its_size() -> None:
    for spec in REGISTRY.values():
        if spec.files and spec.name != "gtzan_meta":  # gtzan_meta: four small text files, pinned by hash
            assert all(r.size and len(r.sha256 or "") == 64 for r in spec.files), spec.name
    fsd = REGISTRY["fsd_instruments"]
    assert fsd.archive_url is None and len(fsd.files) == 300
    assert all(re.search(r"/2aca6936241ce4273e9acc02d738e029433aa9ec/wavfiles/", r.url) for r in fsd.files)
    assert sum(r.size or 0 for r in fsd.files) == 134_276_532


def manifest_bytes(folder: Path, paths: set[str] | None = None) -> int:
    with (folder / "manifest.csv").open(newline="") as handle:
        return sum(int(r["bytes"]) for r in csv.DictReader(handle) if paths is None or r["path"] in paths)


@pytest.mark.data
def test_no_chapter_downloads_200_mb(real_data: Path) -> None:
    librosa_files = {  # the librosa examples chapters 1 and 13 play (librosa's own pooch registry pins them)
        "01_signals": {"audio/sorohanro_-_solo-trumpet-06.ogg"},
        "13_music": {"audio/admiralbob77_-_Choice_-_Drum-bass.ogg"},
    }
    sizes = {
        name: sum(r.size or 0 for r in spec.files) if spec.files else manifest_bytes(real_data / spec.folder)
        for name, spec in REGISTRY.items()
        if name in {"fsdd", "esc10", "esc50_fold4", "speech_noise_samples", "yamnet", "fsd_instruments", "gtzan_meta"}
    }
    sizes["gtzan_meta"] = manifest_bytes(real_data / "gtzan_meta")  # its pins carry no sizes
    table = {}
    for chapter, names in chapter_datasets().items():
        table[chapter] = sum(sizes[n] for n in names - {"librosa_examples"})
        if "librosa_examples" in names:  # librosa downloads only the example played
            read = manifest_bytes(real_data / "librosa_examples", librosa_files[chapter])
            assert read > 0, f"{chapter}: the librosa example is not where the test expects it"
            table[chapter] += read
    print("\n".join(f"{chapter}: {size / 1e6:.1f} MB" for chapter, size in table.items()))
    assert max(table.values()) < LIMIT, table
    documented = {}  # book/datasets.md's table: "| 7, 10 | ... | 68.2 |"
    for chapters, megabytes in re.findall(r"^\| ([\d, ]+) \|.*\| ([\d.]+) \|$", DATASETS_PAGE.read_text(), re.M):
        documented |= {int(c): float(megabytes) for c in chapters.split(",")}
    measured = {int(chapter[:2]): round(size / 1e6, 1) for chapter, size in table.items()}
    assert documented == measured, "book/datasets.md's download table is stale"
