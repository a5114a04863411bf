"""Leakage-proof splits: by speaker, by take, by fold, by source clip and by Freesound upload run.

Every chapter that trains a model calls :func:`assert_no_leakage` on its split. The parts keep
the table's index, so ``part.index`` is where a row sits in the arrays computed from the whole
table (the loaders number rows 0, 1, 2, ...), and a chapter needs no bookkeeping column.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from audioml.errors import LeakageError, ParameterError


def fsdd_official_split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """FSDD's official split: takes 0-4 of every speaker and digit are the test set."""
    is_test = frame["take"].astype(int) < 5
    return frame[~is_test].copy(), frame[is_test].copy()


def split_by_groups(frame: pd.DataFrame, column: str, test_groups: Sequence) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Put the rows whose ``column`` is in ``test_groups`` on the test side (e.g. held-out speakers)."""
    unknown = set(test_groups) - set(frame[column])
    if unknown:
        raise ValueError(f"test groups {sorted(map(str, unknown))} do not occur in column {column!r}")
    is_test = frame[column].isin(test_groups)
    return frame[~is_test].copy(), frame[is_test].copy()


def fold_split(frame: pd.DataFrame, test_fold: int, val_fold: int | None = None) -> tuple[pd.DataFrame, ...]:
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
    return tuple(p.copy() for p in parts)


def grouped_folds(
    frame: pd.DataFrame, group: str, label: str = "label", n_splits: int = 5, seed: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold where no value of ``group`` is on both sides; yields index arrays."""
    n_groups = frame[group].nunique()
    if n_groups < n_splits:
        raise ValueError(f"column {group!r} has {n_groups} groups, fewer than n_splits={n_splits}")
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    yield from splitter.split(np.zeros(len(frame)), frame[label], frame[group])


def assert_no_leakage(*parts: pd.DataFrame, groups: Sequence[str] = ("path",)) -> None:
    """Raise :class:`~audioml.errors.LeakageError` if any file or group value occurs in two of ``parts``.

    Every pair of parts is checked (train/validation, train/test, validation/test, ...);
    ``path`` always, plus the grouping columns that matter for the task, e.g.
    ``("speaker",)`` for unseen speakers or ``("source_clip",)`` for ESC.
    """
    if len(parts) < 2 or not all(isinstance(part, pd.DataFrame) for part in parts):
        kinds = [type(part).__name__ for part in parts]
        raise ParameterError(
            f"assert_no_leakage needs two or more DataFrames, got {kinds}; pass the grouping columns "
            f"by keyword, groups=(...)"
        )
    for (i, first), (j, second) in itertools.combinations(enumerate(parts, start=1), 2):
        for column in dict.fromkeys(["path", *groups]):
            shared = set(first[column].dropna()) & set(second[column].dropna())
            if shared:
                example = ", ".join(sorted(map(str, shared))[:5])
                where = "both sides of the split" if len(parts) == 2 else f"parts {i} and {j} of {len(parts)}"
                raise LeakageError(
                    f"{len(shared)} value(s) of {column!r} are on {where} (e.g. {example}); split by {column!r} instead"
                )


def freesound_runs(
    frame: pd.DataFrame, gap: int = 300, id_column: str = "freesound_id", label: str = "label"
) -> pd.Series:
    """One group name per row: within each label, ids sorted, a new group wherever the id gap exceeds ``gap``.

    Groups are named ``"<label>/<k>"`` (k counts from 0 in id order) and aligned with ``frame``'s index.
    """
    if gap < 0:
        raise ParameterError(f"gap must be >= 0, got {gap}")
    missing = {id_column, label} - set(frame.columns)
    if missing:
        raise ParameterError(f"frame lacks the column(s) {sorted(missing)} that freesound_runs needs")
    groups = pd.Series(index=frame.index, dtype=object)
    for name, part in frame.groupby(label, sort=True):
        ids = part[id_column].astype(int).sort_values(kind="stable")
        run = np.concatenate([[0], np.cumsum(np.diff(ids.to_numpy()) > gap)])
        groups.loc[ids.index] = [f"{name}/{k}" for k in run]
    return groups
