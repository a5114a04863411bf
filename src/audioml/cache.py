"""An on-disk feature cache keyed by dataset, parameters, feature (name and code) and package version.

Chapters compute features for thousands of clips; :func:`cached_features` does it once
(with a progress bar) and then loads the array from ``<cache>/features`` in about a second.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import types
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

import audioml
from audioml.audio import load_audio
from audioml.datasets import cache_dir
from audioml.features import FeatureParams


def cache_key(dataset: str, feature: str, params: FeatureParams, duration: float | None,
              paths: list[str]) -> str:
    """A short hash of everything that determines the cached array."""
    payload = json.dumps({"dataset": dataset, "feature": feature, "params": params.as_dict(),
                          "duration": duration, "version": audioml.__version__,
                          "files": sorted(Path(p).name for p in paths)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


#: Modules whose code every cached feature runs through (loading, features, clip statistics).
FEATURE_MODULES = ("audioml.audio", "audioml.features", "audioml.tabular")


@functools.lru_cache(maxsize=None)
def module_digest(name: str) -> str:
    """A hash of the source file of module ``name``."""
    return hashlib.sha256(Path(importlib.import_module(name).__file__).read_bytes()).hexdigest()


def feature_fingerprint(feature: Callable) -> str:
    """The feature's name plus a hash of its compiled code and of the package code it runs
    through (:data:`FEATURE_MODULES` and the module defining it), so that editing a function
    (say, one written in a notebook) or the loader never returns the values of an old version."""
    digest = hashlib.sha256()
    module = getattr(feature, "__module__", None) or ""
    for name in sorted(set(FEATURE_MODULES) | ({module} if module.startswith("audioml.") else set())):
        digest.update(module_digest(name).encode())

    def add(code: types.CodeType) -> None:
        digest.update(code.co_code)
        for constant in code.co_consts:
            add(constant) if isinstance(constant, types.CodeType) else digest.update(repr(constant).encode())

    code = getattr(feature, "__code__", None)
    if code is not None:
        add(code)
    name = getattr(feature, "__name__", type(feature).__name__)
    return f"{name}:{digest.hexdigest()[:12]}"


def cached_features(frame: pd.DataFrame, dataset: str, feature: Callable[[np.ndarray, FeatureParams], np.ndarray],
                    params: FeatureParams, duration: float | None = None,
                    progress: bool = True) -> np.ndarray:
    """Compute ``feature(load_audio(path), params)`` for every row of ``frame``, cached on disk.

    ``duration`` pads or trims each clip (seconds) so that the results stack into one
    array ``(n_clips, ...)``; with ``duration=None`` the features must already have equal shapes.
    The rows come back in the order of ``frame``.
    """
    paths = frame["path"].tolist()
    names = [Path(p).name for p in paths]
    if len(set(names)) != len(names):  # the cache matches rows by file name
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"cached_features needs distinct file names, but {len(repeated)} repeat "
                         f"(e.g. {', '.join(repeated[:3])}); drop duplicate rows or rename the files")
    name = getattr(feature, "__name__", type(feature).__name__)
    key = cache_key(dataset, feature_fingerprint(feature), params, duration, paths)
    target = cache_dir() / "features" / f"{dataset}-{name}-{key}.npz"
    if target.is_file():
        with np.load(target) as stored:
            order = {name: i for i, name in enumerate(stored["names"])}
            return stored["values"][[order[name] for name in names]]
    values = np.stack([feature(load_audio(p, sr=params.sr, duration=duration)[0], params)
                       for p in tqdm(paths, desc=f"{name} ({dataset})", disable=not progress)])
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part.npz")
    np.savez(partial, values=values, names=np.array(names))
    os.replace(partial, target)
    return values
