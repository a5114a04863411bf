"""Leakage-proof splits: properties checked with hypothesis, and the LeakageError message."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audioml.data.splits import assert_no_leakage, fold_split, fsdd_official_split, grouped_folds, split_by_groups
from audioml.data.tables import encode_labels
from audioml.errors import LeakageError, ParameterError

pytestmark = pytest.mark.usefixtures("isolated_env")
PROPERTY = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def grouped_frames(draw, single_label_groups: bool = True) -> tuple[pd.DataFrame, int, int]:
    """A frame of small groups (1-3 rows), at least ``2 * n_splits`` groups per class; with n_splits, seed."""
    n_splits = draw(st.integers(2, 5))
    n_classes = draw(st.integers(2, 4))
    rows, group = [], 0
    for label in range(n_classes):
        for _ in range(draw(st.integers(2 * n_splits, 4 * n_splits))):
            size = draw(st.integers(1, 3))
            labels = (
                [label] * size
                if single_label_groups
                else draw(st.lists(st.integers(0, n_classes - 1), min_size=size, max_size=size))
            )
            rows += [
                {"path": f"/d/{group}_{i}.wav", "label": lab, "speaker": f"g{group}"} for i, lab in enumerate(labels)
            ]
            group += 1
    frame = pd.DataFrame(rows).sample(frac=1, random_state=draw(st.integers(0, 10))).reset_index(drop=True)
    return frame, n_splits, draw(st.integers(0, 1000))


@PROPERTY
@given(case=grouped_frames(single_label_groups=False))
@pytest.mark.filterwarnings("ignore:The least populated class:UserWarning")  # rare classes are the point
def test_grouped_folds_never_split_a_group_and_cover_every_row(case) -> None:
    frame, n_splits, seed = case
    folds = list(grouped_folds(frame, "speaker", n_splits=n_splits, seed=seed))
    assert len(folds) == n_splits
    seen = np.zeros(len(frame), dtype=int)
    for train, test in folds:
        assert set(frame["speaker"].iloc[train]).isdisjoint(frame["speaker"].iloc[test])
        assert sorted([*train, *test]) == list(range(len(frame)))
        assert len(test) > 0
        seen[test] += 1
        assert_no_leakage(frame.iloc[train], frame.iloc[test], groups=("speaker",))
    assert np.all(seen == 1), "every row must be in exactly one test fold"


@PROPERTY
@given(case=grouped_frames())
def test_grouped_folds_keep_class_shares(case) -> None:
    frame, n_splits, seed = case
    overall = frame["label"].value_counts(normalize=True)
    for _, test in grouped_folds(frame, "speaker", n_splits=n_splits, seed=seed):
        shares = frame["label"].iloc[test].value_counts(normalize=True).reindex(overall.index, fill_value=0)
        assert (shares - overall).abs().max() <= 0.2, f"class shares drift: {shares.to_dict()} vs {overall.to_dict()}"


@PROPERTY
@given(case=grouped_frames())
def test_grouped_folds_are_reproducible(case) -> None:
    frame, n_splits, seed = case
    first = [test.tolist() for _, test in grouped_folds(frame, "speaker", n_splits=n_splits, seed=seed)]
    again = [test.tolist() for _, test in grouped_folds(frame, "speaker", n_splits=n_splits, seed=seed)]
    assert first == again


def test_grouped_folds_need_enough_groups() -> None:
    frame = pd.DataFrame({"label": [0, 1, 0, 1], "speaker": ["a", "a", "b", "c"]})
    with pytest.raises(ValueError, match=re.escape("column 'speaker' has 3 groups, fewer than n_splits=5")):
        next(grouped_folds(frame, "speaker"))


@PROPERTY
@given(groups=st.lists(st.sampled_from("abcdefgh"), min_size=2, max_size=60), data=st.data())
def test_split_by_groups(groups: list[str], data) -> None:
    frame = pd.DataFrame({"path": [f"/d/{i}.wav" for i in range(len(groups))], "speaker": groups})
    held_out = data.draw(st.lists(st.sampled_from(sorted(set(groups))), unique=True))
    train, test = split_by_groups(frame, "speaker", held_out)
    assert set(test["speaker"]) == set(held_out)
    assert set(train["speaker"]).isdisjoint(held_out)
    assert len(train) + len(test) == len(frame)
    assert sorted([*train.index, *test.index]) == list(frame.index), "the parts keep the table's index"
    assert train.equals(frame.loc[train.index]) and test.equals(frame.loc[test.index])
    assert_no_leakage(train, test, groups=("speaker",))


def test_split_by_groups_refuses_unknown_groups() -> None:
    frame = pd.DataFrame({"path": ["a", "b"], "speaker": ["jackson", "theo"]})
    with pytest.raises(
        ValueError, match=re.escape("test groups ['nicolas', 'yweweler'] do not occur in column 'speaker'")
    ):
        split_by_groups(frame, "speaker", ["theo", "yweweler", "nicolas"])


@PROPERTY
@given(folds=st.lists(st.integers(1, 5), min_size=5, max_size=80), data=st.data())
def test_fold_split(folds: list[int], data) -> None:
    frame = pd.DataFrame({"path": [f"/d/{i}.ogg" for i in range(len(folds))], "fold": folds})
    present = sorted(set(folds))
    test_fold = data.draw(st.sampled_from(present))
    others = [f for f in present if f != test_fold]
    val_fold = data.draw(st.sampled_from(others)) if others else None
    parts = fold_split(frame, test_fold, val_fold)
    assert len(parts) == (3 if val_fold is not None else 2)
    test, train = parts[-1], parts[0]
    assert set(test["fold"]) == {test_fold}
    if val_fold is not None:
        assert set(parts[1]["fold"]) == {val_fold}
    assert set(train["fold"]).isdisjoint({test_fold, val_fold})
    paths = [set(p["path"]) for p in parts]
    assert sum(map(len, paths)) == len(frame) and set().union(*paths) == set(frame["path"])
    for i, a in enumerate(parts):
        for b in parts[i + 1 :]:
            assert_no_leakage(a, b, groups=("fold",))


def test_fold_split_refuses_bad_folds() -> None:
    frame = pd.DataFrame({"path": list("abcdef"), "fold": [1, 2, 3, 1, 2, 3]})
    with pytest.raises(ValueError, match=re.escape("fold 7 not in the data (folds present: [1, 2, 3])")):
        fold_split(frame, 7)
    with pytest.raises(ValueError, match=re.escape("fold 4 not in the data")):
        fold_split(frame, 1, val_fold=4)
    with pytest.raises(ValueError, match="must differ, both are 2"):
        fold_split(frame, 2, val_fold=2)


def test_fold_split_accepts_string_folds() -> None:
    frame = pd.DataFrame({"path": list("abcd"), "fold": ["1", "2", "1", "2"]})
    train, test = fold_split(frame, 2)
    assert list(train["path"]) == ["a", "c"] and list(test["path"]) == ["b", "d"]


def test_fsdd_official_split_takes_0_to_4_as_test() -> None:
    frame = pd.DataFrame(
        [
            {"path": f"/r/{d}_{s}_{t}.wav", "speaker": s, "label": d, "take": t}
            for d in range(3)
            for s in ("theo", "lucas")
            for t in range(50)
        ]
    )
    train, test = fsdd_official_split(frame)
    assert sorted(set(test["take"])) == [0, 1, 2, 3, 4] and set(train["take"]) == set(range(5, 50))
    assert len(test) == 3 * 2 * 5 and len(train) == len(frame) - len(test)
    assert_no_leakage(train, test, groups=("path",))
    with pytest.raises(LeakageError, match="'speaker'"):  # the official split shares speakers by design
        assert_no_leakage(train, test, groups=("speaker",))


def test_leakage_error_names_the_column_and_an_example() -> None:
    train = pd.DataFrame({"path": ["/a.wav", "/b.wav", "/c.wav"], "source_clip": ["100032", "110389", "7"]})
    test = pd.DataFrame({"path": ["/d.wav", "/e.wav"], "source_clip": ["110389", "100032"]})
    assert_no_leakage(train, test)  # distinct files
    with pytest.raises(LeakageError) as caught:
        assert_no_leakage(train, test, groups=("source_clip",))
    message = str(caught.value)
    assert message == (
        "2 value(s) of 'source_clip' are on both sides of the split (e.g. 100032, 110389); "
        "split by 'source_clip' instead"
    )
    assert isinstance(caught.value, AssertionError)


def test_same_file_on_both_sides_is_always_caught() -> None:
    train = pd.DataFrame({"path": ["/x/1.wav", "/x/2.wav"], "speaker": ["a", "b"]})
    test = pd.DataFrame({"path": ["/x/2.wav"], "speaker": ["c"]})
    with pytest.raises(
        LeakageError, match=re.escape("1 value(s) of 'path' are on both sides of the split (e.g. /x/2.wav)")
    ):
        assert_no_leakage(train, test, groups=("speaker",))


def test_missing_group_values_are_not_leakage() -> None:
    train = pd.DataFrame({"path": ["/1", "/2"], "speaker": [None, "a"]})
    test = pd.DataFrame({"path": ["/3"], "speaker": [None]})
    assert_no_leakage(train, test, groups=("speaker",))


def test_leakage_examples_are_capped_at_five() -> None:
    shared = [f"/f{i}.wav" for i in range(12)]
    with pytest.raises(LeakageError) as caught:
        assert_no_leakage(pd.DataFrame({"path": shared}), pd.DataFrame({"path": shared}))
    assert str(caught.value).startswith("12 value(s) of 'path'")
    assert str(caught.value).count("/f") == 5


def test_every_pair_of_parts_is_checked_and_named() -> None:
    parts = [pd.DataFrame({"path": [f"/{k}/{i}" for i in range(3)], "speaker": [k] * 3}) for k in "abc"]
    assert_no_leakage(*parts, groups=("speaker",))
    leaky = parts[2].assign(speaker="a")
    with pytest.raises(LeakageError, match=re.escape("'speaker' are on parts 1 and 3 of 3 (e.g. a)")):
        assert_no_leakage(parts[0], parts[1], leaky, groups=("speaker",))
    with pytest.raises(ParameterError, match=re.escape("pass the grouping columns by keyword, groups=(...)")):
        assert_no_leakage(parts[0], parts[1], ("speaker",))
    with pytest.raises(ParameterError, match="at least|two or more"):
        assert_no_leakage(parts[0])


def test_labels_are_encoded_once_by_sorted_name() -> None:
    frame = pd.DataFrame({"path": ["a", "b", "c", "d"], "label": ["rain", "dog", "rain", "clock"]})
    encoded, classes = encode_labels(frame)
    assert classes == ["clock", "dog", "rain"] and encoded["y"].tolist() == [2, 1, 2, 0]
    assert encoded["y"].dtype == np.int64 and "y" not in frame.columns, "a new table, the input untouched"
    subset, sub_classes = encode_labels(encoded[encoded["label"] != "clock"])
    assert sub_classes == ["dog", "rain"] and subset["y"].tolist() == [1, 0, 1]
    with pytest.raises(ParameterError, match="no column 'genre'"):
        encode_labels(frame, "genre")
    with pytest.raises(ParameterError, match="1 row"):
        encode_labels(frame.assign(label=["a", None, "b", "c"]))
