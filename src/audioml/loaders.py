"""Dataset loaders: one pandas DataFrame per dataset, one row per file.

Every loader returns the standard columns ``path`` (absolute), ``label``, and the
grouping columns that splits need: ``speaker``, ``take``, ``fold`` and
``source_clip`` (None where a dataset has no such notion). Labels are parsed from
file names, so the same loader serves the offline copy and a fresh download.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from audioml.datasets import DATA_ENV, data_root, dataset_dir
from audioml.integrity import read_manifest

STANDARD_COLUMNS = ["path", "label", "speaker", "take", "fold", "source_clip"]


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    extra = [c for c in frame.columns if c not in STANDARD_COLUMNS]
    return frame[STANDARD_COLUMNS + extra].reset_index(drop=True)


def load_fsdd() -> pd.DataFrame:
    """FSDD: 3000 clips ``{digit}_{speaker}_{take}.wav`` at 8 kHz (chapters 1-7, 10, 11).

    ``label`` is the digit; ``split`` is the official one (takes 0-4 are test).
    """
    folder = dataset_dir("fsdd")
    rows = []
    for entry in read_manifest(folder):
        digit, speaker, take = Path(entry["path"]).stem.split("_")
        rows.append({"path": str(folder / entry["path"]), "label": int(digit), "speaker": speaker,
                     "take": int(take), "fold": None, "source_clip": Path(entry["path"]).stem,
                     "digit": int(digit), "split": "test" if int(take) < 5 else "train"})
    return _frame(rows).sort_values(["speaker", "digit", "take"]).reset_index(drop=True)


def load_esc10() -> pd.DataFrame:
    """ESC-10: 400 five-second clips, 10 classes, folds 1-5 (chapters 4, 5, 8, 9, 10, 12).

    ``source_clip`` is the freesound id: clips cut from one recording share it.
    """
    folder = dataset_dir("esc10")
    rows = []
    for entry in read_manifest(folder):
        path = Path(entry["path"])
        fold, freesound_id, take = path.stem.split("-")
        label = path.parent.name.split(" - ", 1)[1]
        rows.append({"path": str(folder / path), "label": label, "speaker": None, "take": take,
                     "fold": int(fold), "source_clip": freesound_id, "is_dog": label == "Dog bark"})
    return _frame(rows).sort_values(["label", "fold", "source_clip", "take"]).reset_index(drop=True)


def load_esc50_fold() -> pd.DataFrame:
    """The ESC-50 clips present in the ``esc50_fold4`` folder, labelled from ``meta/esc50.csv``.

    Non-commercial license (CC BY-NC 3.0). Used as extra test data in chapters 8 and 12.
    """
    folder = dataset_dir("esc50_fold4")
    meta = pd.read_csv(folder / "meta" / "esc50.csv")
    meta["stem"] = meta["filename"].str.rsplit(".", n=1).str[0]
    present = {Path(e["path"]).stem: e["path"] for e in read_manifest(folder) if e["path"].startswith("audio/")}
    meta = meta[meta["stem"].isin(present)]
    rows = [{"path": str(folder / present[r.stem]), "label": r.category, "speaker": None, "take": r.take,
             "fold": int(r.fold), "source_clip": str(r.src_file), "esc10": bool(r.esc10),
             "target": int(r.target), "is_dog": r.category == "dog"} for r in meta.itertuples()]
    return _frame(rows)


def load_speech_noise() -> pd.DataFrame:
    """Six CMU ARCTIC utterances (label ``speech``) and two long noise recordings (chapters 7, 10)."""
    folder = dataset_dir("speech_noise_samples")
    rows = []
    for entry in read_manifest(folder):
        path = Path(entry["path"])
        kind = path.parts[0]
        speaker = path.stem.split("_")[3] if kind == "speech" else None
        rows.append({"path": str(folder / path), "label": kind, "speaker": speaker, "take": None,
                     "fold": None, "source_clip": path.stem})
    return _frame(rows)


def yamnet_files() -> dict[str, Path]:
    """Paths of the offline YAMNet TFLite model and its class map (chapter 8)."""
    folder = dataset_dir("yamnet")
    return {"model": folder / "yamnet.tflite", "class_map": folder / "yamnet_class_map.csv"}


def use_offline_librosa_examples() -> Path | None:
    """Point ``LIBROSA_DATA_DIR`` at the data root's copy, if there is one and it is unset.

    librosa reads the variable when it is first imported, so :mod:`audioml` calls this on import.
    """
    try:
        root = data_root()
    except FileNotFoundError:
        return None
    audio = root / "librosa_examples" / "audio" if root else None
    if audio is not None and audio.is_dir():
        os.environ.setdefault("LIBROSA_DATA_DIR", str(audio))
        return audio
    return None


def example(key: str, hq: bool = False) -> str:
    """Path of a ``librosa.ex`` recording: the offline copy if present, else librosa's download.

    Works whatever the import order of librosa and this package (chapter 1).
    """
    root = data_root()
    folder = root / "librosa_examples" if root else None
    if folder is not None and (folder / "index" / "index.json").is_file():
        index = json.loads((folder / "index" / "index.json").read_text())
        if key not in index:
            raise KeyError(f"unknown librosa example {key!r}; known: {', '.join(sorted(index))}")
        path = folder / "audio" / (index[key]["path"] + (".hq.ogg" if hq else ".ogg"))
        if path.is_file():
            return str(path)
    import librosa

    try:
        return librosa.ex(key, hq=hq)
    except Exception as error:  # pooch raises many kinds when offline
        raise FileNotFoundError(f"librosa example {key!r} is not in {DATA_ENV} and could not be "
                                f"downloaded ({error}). Set {DATA_ENV} to a data root with "
                                f"librosa_examples/.") from error
