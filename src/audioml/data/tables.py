"""The shape of every dataset table: standard columns first, and labels encoded once (chapters 1-13).

Every loader returns the standard columns ``path`` (absolute), ``label``, ``y`` (the label's
position among the table's sorted labels, the integer target a model is trained on) and the
grouping columns that splits need: ``speaker``, ``take``, ``fold`` and ``source_clip`` (None
where a dataset has no such notion), then its own columns. The index is 0, 1, 2, ..., so a
row's index is its position in any array computed from the whole table, and the splits of
:mod:`audioml.data.splits` keep it.
"""

from __future__ import annotations

import pandas as pd

from audioml.errors import ParameterError

STANDARD_COLUMNS = ["path", "label", "y", "speaker", "take", "fold", "source_clip"]


def encode_labels(frame: pd.DataFrame, column: str = "label") -> tuple[pd.DataFrame, list]:
    """``frame`` with ``y`` = the position of ``column`` among its sorted values, and those values.

    A subset with fewer classes (chapter 8's source task) is encoded again, so its targets
    run 0 to n_classes - 1.
    """
    if column not in frame.columns:
        raise ParameterError(f"frame has no column {column!r} to encode; its columns are {list(frame.columns)}")
    if frame[column].isna().any():
        raise ParameterError(f"{int(frame[column].isna().sum())} row(s) have no {column!r}; drop them before encoding")
    classes = sorted(frame[column].unique())
    codes = {name: code for code, name in enumerate(classes)}
    return frame.assign(y=frame[column].map(codes).astype("int64")), classes


def standard_table(rows: list[dict]) -> pd.DataFrame:
    """The rows as a table: standard columns first (``y`` encoded here), index 0, 1, 2, ..."""
    frame, _ = encode_labels(pd.DataFrame(rows))
    extra = [c for c in frame.columns if c not in STANDARD_COLUMNS]
    return frame[STANDARD_COLUMNS + extra].reset_index(drop=True)
