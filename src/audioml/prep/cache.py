"""The one on-disk cache of the package: feature arrays (chapters 2-12) and YAMNet outputs (chapter 8).

Chapters compute features for thousands of clips; :func:`cached_features` does it once
(with a progress bar) and then loads the array from ``<cache>/features`` in about a second.
An entry is reused only when nothing that determines it has changed. Its key
(:func:`cache_key`) covers

- the input files' content (SHA-256 of each file's bytes, so the same names in another
  folder, or an edited file, never hit),
- the feature's parameters and duration, and the feature itself by
  :func:`audioml.prep.fingerprint.fingerprint` (its code, default and bound arguments, the
  globals and helpers it reads, a callable object's attributes),
- the package's source (:func:`audioml.prep.fingerprint.package_digest`) and the versions of
  the libraries that decode and transform audio.

Entries are written atomically (:mod:`audioml.atomic`), so processes sharing one cache
never see half a file; an unreadable or mismatched entry is reported with a
:class:`CacheWarning` naming its path and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from audioml.atomic import atomic_file
from audioml.dsp.audio import load_audio
from audioml.dsp.features import FeatureParams
from audioml.errors import ParameterError
from audioml.prep.fingerprint import (
    file_digest,
    fingerprint,
    library_versions,
    package_digest,
)
from audioml.settings import cache_dir

#: Bumped when the layout of an entry changes.
_FORMAT = 2


class CacheWarning(UserWarning):
    """A cache entry was unreadable or did not match its key; it is recomputed."""


def cache_key(**parts: object) -> str:
    """A short hash of ``parts`` (JSON-able values) plus the package source and library versions."""
    payload = json.dumps(
        {"format": _FORMAT, "package": package_digest(), "libraries": library_versions(), **parts},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def _file_digests(paths: list[str]) -> list[str]:
    """SHA-256 of each file (about 0.1 s for the 3000 FSDD clips); a missing file is an AudioFileError."""
    from audioml.errors import AudioFileError

    digests = []
    for path in paths:
        try:
            digests.append(file_digest(path))
        except OSError as error:
            raise AudioFileError(
                f"{path}: cannot be read ({error.strerror or error}). Check the path, its "
                f"permissions, or the data root (AUDIOML_DATA)."
            ) from None
    return digests


def _read_entry(path: Path, key: str) -> dict[str, np.ndarray] | None:
    """The arrays of the entry at ``path``, or None when it is missing, unreadable or not for ``key``."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        _reject(path, f"unreadable ({type(error).__name__}: {error})")
        return None
    bad = [name for name, array in arrays.items() if name not in ("names", "key") and array.dtype.kind not in "biufc"]
    if str(arrays.pop("key", "")) != key:
        _reject(path, "written for another key")
    elif bad:
        _reject(path, f"array {bad[0]!r} has dtype {arrays[bad[0]].dtype}, not numeric")
    else:
        return arrays
    return None


def _reject(path: Path, why: str) -> None:
    warnings.warn(f"cache entry {path} is {why}; recomputing it", CacheWarning, stacklevel=3)


def _write_entry(path: Path, key: str, **arrays: np.ndarray) -> Path:
    """Write ``arrays`` (numeric, never None or object dtype) and ``key`` to ``path`` atomically."""
    for name, array in arrays.items():
        if array is None or np.asarray(array).dtype == object:
            raise ParameterError(
                f"refusing to cache {name!r} for {path.name}: it is "
                f"{'None' if array is None else 'an object array'}, not a numeric array"
            )
    with atomic_file(path, "wb") as handle:
        np.savez(handle, key=np.array(key), **arrays)  # type: ignore[arg-type]
    return path


def _check_value(value: object, name: str, path: str) -> np.ndarray:
    """``value`` as an array if it is numeric; a ParameterError naming the feature and clip otherwise."""
    if value is None:
        raise ParameterError(f"{name} returned None for {path}; a cached feature must return a numeric array")
    array = np.asarray(value)
    if array.dtype.kind not in "biufc":
        raise ParameterError(
            f"{name} returned an array of dtype {array.dtype} for {path}; a cached feature "
            f"must return numbers (floats or integers)"
        )
    return array


def _stack(values: list[np.ndarray], paths: list[str], name: str) -> np.ndarray:
    shapes = {v.shape for v in values}
    if len(shapes) > 1:
        odd = next(i for i, v in enumerate(values) if v.shape != values[0].shape)
        raise ParameterError(
            f"{name} gave arrays of {len(shapes)} shapes, e.g. {values[0].shape} for {paths[0]} "
            f"and {values[odd].shape} for {paths[odd]}; pass duration= to give every clip "
            f"one length"
        )
    return np.stack(values)


def cached_features(
    frame: pd.DataFrame,
    dataset: str,
    feature: Callable[[np.ndarray, FeatureParams], np.ndarray],
    params: FeatureParams,
    duration: float | None = None,
    progress: bool = True,
) -> np.ndarray:
    """Compute ``feature(load_audio(path), params)`` for every row of ``frame``, cached on disk.

    ``duration`` pads or trims each clip (seconds) so that the results stack into one
    array ``(n_clips, ...)``; with ``duration=None`` the features must already have equal shapes.
    The rows come back in the order of ``frame``.
    """
    paths = [str(p) for p in frame["path"]]
    names = [Path(p).name for p in paths]
    if len(set(names)) != len(names):  # the entry matches rows by file name
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise ParameterError(
            f"cached_features needs distinct file names, but {len(repeated)} repeat "
            f"(e.g. {', '.join(repeated[:3])}); drop duplicate rows or rename the files"
        )
    name = getattr(feature, "__name__", type(feature).__name__)
    digests = _file_digests(paths)
    key = cache_key(
        kind="features",
        dataset=dataset,
        feature=fingerprint(feature),
        params=fingerprint(params),
        settings=params.as_dict(),
        duration=duration,
        files=sorted(zip(names, digests)),
    )
    target = cache_dir() / "features" / f"{dataset}-{name}-{key}.npz"
    stored = _read_entry(target, key)
    if stored is not None:
        order = {n: i for i, n in enumerate(stored.get("names", np.array([])).tolist())}
        if set(order) == set(names) and len(stored.get("values", ())) == len(order):
            return stored["values"][[order[n] for n in names]]
        _reject(target, "missing clips or values")
    values = [
        _check_value(feature(load_audio(p, sr=params.sr, duration=duration)[0], params), name, p)
        for p in tqdm(paths, desc=f"{name} ({dataset})", disable=not progress)
    ]
    stacked = _stack(values, paths, name)
    _write_entry(target, key, values=stacked, names=np.array(names))
    return stacked


def cached_per_clip(
    paths: list[str],
    folder: str,
    label: str,
    parts: dict,
    compute: Callable[[str], dict[str, np.ndarray]],
    progress: bool = True,
) -> dict[str, list[np.ndarray]]:
    """``compute(path)`` for each clip, cached per clip content in one entry that grows (chapter 8).

    Clips seen before (in fast or full mode) are reused. ``parts`` identifies the
    computation (model, window, ...). Returns each array name's list in the order of ``paths``.
    """
    digests = _file_digests(paths)
    key = cache_key(kind="per-clip", **parts)
    target = cache_dir() / folder / f"{label}-{key}.npz"
    stored: dict[str, dict[str, np.ndarray]] = {}
    entry = _read_entry(target, key)
    if entry is not None and "names" in entry:
        fields = [f for f in entry if f != "names"]
        stored = {d: {f: entry[f][i] for f in fields} for i, d in enumerate(entry["names"].tolist())}
    missing = [(d, p) for d, p in dict(zip(digests, paths)).items() if d not in stored]
    for digest, path in tqdm(missing, desc=label, disable=not progress):
        stored[digest] = compute(path)
    if missing:
        every = sorted(stored)
        fields = sorted(stored[every[0]])
        _write_entry(target, key, names=np.array(every), **{f: np.stack([stored[d][f] for d in every]) for f in fields})
    return {f: [stored[d][f] for d in digests] for f in stored[digests[0]]} if digests else {}
