"""Leakage-proof splits: by speaker, by take, by fold and by source clip.

Every chapter that trains a model calls :func:`assert_no_leakage` on its split.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from audioml.errors import LeakageError


def fsdd_official_split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """FSDD's official split: takes 0-4 of every speaker and digit are the test set."""
    is_test = frame["take"].astype(int) < 5
    return frame[~is_test].reset_index(drop=True), frame[is_test].reset_index(drop=True)


def split_by_groups(frame: pd.DataFrame, column: str, test_groups: Sequence) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Put the rows whose ``column`` is in ``test_groups`` on the test side (e.g. held-out speakers)."""
    unknown = set(test_groups) - set(frame[column])
    if unknown:
        raise ValueError(f"test groups {sorted(map(str, unknown))} do not occur in column {column!r}")
    is_test = frame[column].isin(test_groups)
    return frame[~is_test].reset_index(drop=True), frame[is_test].reset_index(drop=True)


def fold_split(frame: pd.DataFrame, test_fold: int, val_fold: int | None = None
               ) -> tuple[pd.DataFrame, ...]:
    """Split by the predefined ESC fold: (train, test) or (train, val, test)."""
    folds = set(frame["fold"].astype(int))
    for fold in (test_fold, val_fold):
        if fold is not None and fold not in folds:
            raise ValueError(f"fold {fold} not in the data (folds present: {sorted(folds)})")
    if val_fold == test_fold:
        raise ValueError(f"val_fold and test_fold must differ, both are {test_fold}")
    fold = frame["fold"].astype(int)
    parts = [frame[~fold.isin([test_fold, val_fold])]]
    if val_fold is not None:
        parts.append(frame[fold == val_fold])
    parts.append(frame[fold == test_fold])
    return tuple(p.reset_index(drop=True) for p in parts)


def grouped_folds(frame: pd.DataFrame, group: str, label: str = "label", n_splits: int = 5,
                  seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold where no value of ``group`` is on both sides; yields index arrays."""
    n_groups = frame[group].nunique()
    if n_groups < n_splits:
        raise ValueError(f"column {group!r} has {n_groups} groups, fewer than n_splits={n_splits}")
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    yield from splitter.split(np.zeros(len(frame)), frame[label], frame[group])


def assert_no_leakage(train: pd.DataFrame, test: pd.DataFrame,
                      groups: Sequence[str] = ("path",)) -> None:
    """Raise :class:`~audioml.errors.LeakageError` if any file or group value occurs on both sides.

    ``path`` is always checked; add the grouping columns that matter for the task,
    e.g. ``("speaker",)`` for unseen speakers or ``("source_clip",)`` for ESC.
    """
    for column in dict.fromkeys(["path", *groups]):
        shared = set(train[column].dropna()) & set(test[column].dropna())
        if shared:
            example = ", ".join(sorted(map(str, shared))[:5])
            raise LeakageError(f"{len(shared)} value(s) of {column!r} are on both sides of the split "
                               f"(e.g. {example}); split by {column!r} instead")
