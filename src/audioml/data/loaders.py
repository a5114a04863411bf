"""Dataset loaders: one pandas DataFrame per dataset, one row per file.

Every loader returns the standard columns of :mod:`audioml.data.tables` (``path``, ``label``,
its integer code ``y``, and the grouping columns ``speaker``, ``take``, ``fold``,
``source_clip``). Labels are parsed from file names, so the same loader serves the offline
copy and a fresh download.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from audioml.data.datasets import DATA_ENV, data_root, dataset_dir
from audioml.data.integrity import read_manifest
from audioml.data.tables import standard_table
from audioml.errors import DataNotFoundError, UnknownNameError
from audioml.settings import OFFLINE_ENV, offline


def load_fsdd() -> pd.DataFrame:
    """FSDD: 3000 clips ``{digit}_{speaker}_{take}.wav`` at 8 kHz (chapters 1-7, 10, 11).

    ``label`` is the digit; ``split`` is the official one (takes 0-4 are test).
    """
    folder = dataset_dir("fsdd")
    rows = []
    for entry in read_manifest(folder):
        digit, speaker, take = Path(entry["path"]).stem.split("_")
        rows.append(
            {
                "path": str(folder / entry["path"]),
                "label": int(digit),
                "speaker": speaker,
                "take": int(take),
                "fold": None,
                "source_clip": Path(entry["path"]).stem,
                "digit": int(digit),
                "split": "test" if int(take) < 5 else "train",
            }
        )
    return standard_table(rows).sort_values(["speaker", "digit", "take"]).reset_index(drop=True)


def load_esc10() -> pd.DataFrame:
    """ESC-10: 400 five-second clips, 10 classes, folds 1-5 (chapters 4, 5, 7-10, 12).

    ``source_clip`` is the freesound id: clips cut from one recording share it.
    """
    folder = dataset_dir("esc10")
    rows = []
    for entry in read_manifest(folder):
        path = Path(entry["path"])
        fold, freesound_id, take = path.stem.split("-")
        label = path.parent.name.split(" - ", 1)[1]
        rows.append(
            {
                "path": str(folder / path),
                "label": label,
                "speaker": None,
                "take": take,
                "fold": int(fold),
                "source_clip": freesound_id,
                "is_dog": label == "Dog bark",
            }
        )
    return standard_table(rows).sort_values(["label", "fold", "source_clip", "take"]).reset_index(drop=True)


def load_esc50_fold() -> pd.DataFrame:
    """The ESC-50 clips present in the ``esc50_fold4`` folder, labelled from ``meta/esc50.csv``.

    Non-commercial license (CC BY-NC 3.0). Used as extra test data in chapters 8 and 12.
    """
    folder = dataset_dir("esc50_fold4")
    meta = pd.read_csv(folder / "meta" / "esc50.csv")
    meta["stem"] = meta["filename"].str.rsplit(".", n=1).str[0]
    present = {Path(e["path"]).stem: e["path"] for e in read_manifest(folder) if e["path"].startswith("audio/")}
    meta = meta[meta["stem"].isin(present)]
    rows = [
        {
            "path": str(folder / present[r.stem]),
            "label": r.category,
            "speaker": None,
            "take": r.take,
            "fold": int(r.fold),
            "source_clip": str(r.src_file),
            "esc10": bool(r.esc10),
            "target": int(r.target),
            "is_dog": r.category == "dog",
        }
        for r in meta.itertuples()
    ]
    return standard_table(rows)


def load_speech_noise() -> pd.DataFrame:
    """Six CMU ARCTIC utterances (label ``speech``) and two long noise recordings (chapters 6, 7, 10)."""
    folder = dataset_dir("speech_noise_samples")
    rows = []
    for entry in read_manifest(folder):
        path = Path(entry["path"])
        kind = path.parts[0]
        speaker = path.stem.split("_")[3] if kind == "speech" else None
        rows.append(
            {
                "path": str(folder / path),
                "label": kind,
                "speaker": speaker,
                "take": None,
                "fold": None,
                "source_clip": path.stem,
            }
        )
    return standard_table(rows)


def yamnet_files() -> dict[str, Path]:
    """Paths of the offline YAMNet TFLite model and its class map (chapter 8)."""
    folder = dataset_dir("yamnet")
    return {"model": folder / "yamnet.tflite", "class_map": folder / "yamnet_class_map.csv"}


def use_offline_librosa_examples() -> Path | None:
    """Point ``LIBROSA_DATA_DIR`` at the data root's copy, if there is one and it is unset.

    For code that calls ``librosa.ex`` itself: librosa reads the variable when it is first
    imported, so call this before importing librosa. :func:`example` needs no such call.
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
    """Path of a ``librosa.ex`` recording: the verified offline copy if present, else librosa's download.

    Works whatever the import order of librosa and this package (chapters 1, 13). Respects
    ``AUDIOML_OFFLINE``; an unknown ``key`` raises :class:`~audioml.errors.UnknownNameError` listing the known ones.
    """
    root, folder = data_root(), None
    if root is not None and (root / "librosa_examples").is_dir():
        folder = dataset_dir("librosa_examples", download=False)
    if folder is not None and (folder / "index" / "index.json").is_file():
        index = json.loads((folder / "index" / "index.json").read_text())
        if key not in index:
            raise UnknownNameError(f"unknown librosa example {key!r}; known: {', '.join(sorted(index))}")
        path = folder / "audio" / (index[key]["path"] + (".hq.ogg" if hq else ".ogg"))
        if path.is_file():
            return str(path)
    where = f"not in {DATA_ENV}'s librosa_examples/"
    if offline():
        raise DataNotFoundError(
            f"librosa example {key!r} is {where} and downloads are off ({OFFLINE_ENV}=1). "
            f"Fix: set {DATA_ENV} to a data root with librosa_examples/, or unset "
            f"{OFFLINE_ENV} so librosa can download it."
        )
    import librosa

    try:
        return librosa.ex(key, hq=hq)
    except Exception as error:  # pooch raises many kinds when offline
        raise DataNotFoundError(
            f"librosa example {key!r} is {where} and could not be downloaded "
            f"({type(error).__name__}: {error}). Fix: set {DATA_ENV} to a data root with "
            f"librosa_examples/, or check the connection."
        ) from error


def load_fsd_instruments() -> pd.DataFrame:
    """The 300 FSDKaggle2018 instrument clips, 10 classes (chapter 13).

    ``group`` is the clip's Freesound-id run (:func:`audioml.data.splits.freesound_runs`: uploader packs
    stay together) and ``fold``/``split`` a grouped, stratified 5-fold assignment (seed 0).
    Offline rows come from the FLAC copy's manifest; a downloaded copy (the upstream WAVs, each
    checked against its pin) is labelled from the package's pin table, so both give the same rows.
    """
    from audioml.data import splits
    from audioml.data.pinned import read_pinned

    folder = dataset_dir("fsd_instruments")
    entries = read_manifest(folder)
    if "label" in entries[0]:  # the offline copy: FLACs and a labelled manifest
        clips = entries
    else:  # a download: the WAVs under their upstream paths
        clips = [{**pin, "path": pin["wav_path"]} for pin in read_pinned("fsd_instruments_clips.csv")]
    rows = [
        {
            "path": str(folder / c["path"]),
            "label": c["label"],
            "freesound_id": int(c["freesound_id"]),
            "license": c["license"],
            "duration_s": float(c["duration_s"]),
        }
        for c in clips
    ]
    frame = pd.DataFrame(rows).sort_values(["label", "freesound_id"]).reset_index(drop=True)
    frame["group"] = splits.freesound_runs(frame)
    frame["fold"] = 0
    for k, (_, test) in enumerate(splits.grouped_folds(frame, "group", n_splits=5, seed=0), start=1):
        frame.loc[test, "fold"] = k
    frame = frame.assign(
        speaker=None, take=None, source_clip=frame["freesound_id"].astype(str), split="fold" + frame["fold"].astype(str)
    )
    return standard_table(frame.to_dict("records"))


def load_gtzan_meta() -> pd.DataFrame:
    """GTZAN's 1000 excerpts without audio (chapter 13): genre, Sturm's artist and title, filtered split.

    ``path`` is the excerpt's name inside GTZAN (``genre/genre.000NN.wav``), ``group`` its artist
    (an excerpt of its own where unidentified) and ``split`` train/valid/test or ``excluded``.
    """
    from audioml.data import gtzan

    folder = dataset_dir("gtzan_meta")
    index = gtzan.read_index(folder / "GTZANindex.txt")
    index = index.merge(gtzan.read_splits(folder)[["stem", "split"]], on="stem", how="left")
    frame = index.assign(
        path=index["genre"] + "/" + index["stem"] + ".wav",
        label=index["genre"],
        group=gtzan.artist_groups(index),
        split=index["split"].fillna("excluded"),
        speaker=None,
        take=None,
        fold=None,
        source_clip=index["stem"],
    ).drop(columns="stem")
    return standard_table(frame.to_dict("records"))


def load_gtzan(drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """GTZAN's audio (chapter 13 with ``dataset="gtzan"``): the metadata table with absolute paths.

    Looks in ``$AUDIOML_DATA/gtzan``, then the cache; online, downloads it there
    (:func:`audioml.data.gtzan.fetch_gtzan`). Excerpts in ``drop`` (e.g. ``gtzan.KNOWN_BAD``) are left out.
    """
    from audioml.data import gtzan
    from audioml.data.datasets import cache_dir
    from audioml.errors import DataNotFoundError
    from audioml.settings import offline

    root = data_root()
    candidates = ([root / "gtzan"] if root else []) + [cache_dir() / "datasets" / "gtzan"]
    folder = next((c for c in candidates if c.exists()), None)
    if folder is None:
        if offline():
            searched = "\n".join(f"  - {c}" for c in candidates)
            raise DataNotFoundError(
                f"GTZAN was not found and downloads are off (AUDIOML_OFFLINE=1).\n"
                f"Searched:\n{searched}\n{gtzan.HOW_TO_GET}"
            )
        folder = gtzan.fetch_gtzan(candidates[-1])
    audio = gtzan.check_folder(folder, drop=drop)
    meta = load_gtzan_meta().drop(columns=["path", "split"])
    frame = audio[["stem", "path", "split"]].merge(meta, left_on="stem", right_on="source_clip")
    return standard_table(frame.drop(columns="stem").to_dict("records"))
