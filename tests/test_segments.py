"""Segments tile their clips exactly, keep the parent's groups, and silent windows are dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audioml.data.splits import assert_no_leakage
from audioml.errors import LeakageError
from audioml.prep import segments

pytestmark = pytest.mark.usefixtures("isolated_env")


def clips(n_clips: int = 3, n_mels: int = 4, n_frames: int = 10) -> tuple[np.ndarray, pd.DataFrame]:
    values = np.arange(n_clips * n_mels * n_frames, dtype=np.float32).reshape(n_clips, n_mels, n_frames)
    frame = pd.DataFrame(
        {
            "path": [f"/d/{i}.wav" for i in range(n_clips)],
            "label": ["a", "b", "a"][:n_clips],
            "fold": [1, 2, 3][:n_clips],
            "source_clip": ["s0", "s0", "s1"][:n_clips],
        }
    )
    return values, frame


@pytest.mark.parametrize(
    "n_steps, length, hop, expected",
    [
        (10, 3, None, [0, 3, 6]),
        (10, 5, None, [0, 5]),
        (10, 4, 2, [0, 2, 4, 6]),
        (10, 10, None, [0]),
    ],
)
def test_segment_starts_fit_inside_the_clip(n_steps: int, length: int, hop: int | None, expected: list[int]) -> None:
    assert segments.segment_starts(n_steps, length, hop).tolist() == expected


@pytest.mark.parametrize(
    "n_steps, length, hop, message",
    [
        (10, 11, None, "longer than the clips"),
        (10, 0, None, "must be positive"),
        (10, 3, 0, "must be positive"),
    ],
)
def test_segment_starts_reject_impossible_windows(n_steps: int, length: int, hop: int | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        segments.segment_starts(n_steps, length, hop)


def test_cut_segments_are_the_clips_own_windows_with_the_parents_columns() -> None:
    values, frame = clips()
    cut, rows = segments.cut_segments(values, frame, length=3)
    assert cut.shape == (3 * 3, 4, 3)
    assert len(rows) == len(cut)
    for i, row in rows.iterrows():
        np.testing.assert_array_equal(cut[i], values[row.clip_index][:, row.start : row.start + 3])
        assert row.path == frame.path[row.clip_index] and row.label == frame.label[row.clip_index]
    assert rows.segment.tolist() == [0, 1, 2] * 3
    assert list(rows.columns[:4]) == list(frame.columns)


def test_cut_segments_work_on_waveforms_with_overlap() -> None:
    waves = np.arange(20, dtype=np.float32).reshape(2, 10)
    frame = pd.DataFrame({"path": ["a.wav", "b.wav"], "label": [0, 1]})
    cut, rows = segments.cut_segments(waves, frame, length=4, hop=3)
    assert cut.shape == (2 * 3, 4)
    np.testing.assert_array_equal(cut[4], waves[1, 3:7])
    assert rows.start.tolist() == [0, 3, 6, 0, 3, 6]


def test_cut_segments_refuse_mismatched_rows() -> None:
    values, frame = clips()
    with pytest.raises(ValueError, match="3 clips but frame has 2 rows"):
        segments.cut_segments(values, frame.iloc[:2], length=3)


def test_siblings_of_one_clip_are_one_group_for_the_leakage_check() -> None:
    values, frame = clips()
    _, rows = segments.cut_segments(values, frame, length=5)
    with pytest.raises(LeakageError, match="'path'"):
        assert_no_leakage(rows[rows.segment == 0], rows[rows.segment == 1])
    by_clip_train, by_clip_test = rows[rows.clip_index < 1], rows[rows.clip_index == 1]
    with pytest.raises(LeakageError, match="'source_clip'"):
        assert_no_leakage(by_clip_train, by_clip_test, groups=("source_clip",))
    assert_no_leakage(rows[rows.clip_index < 2], rows[rows.clip_index == 2], groups=("source_clip",))


def test_loud_segments_drop_windows_far_below_the_clip_peak() -> None:
    values = np.full((2, 2, 6), -80.0, dtype=np.float32)
    values[0, :, :3] = 0.0  # clip 0: loud first half, padded second half
    values[1, :, :] = -30.0  # clip 1: quiet but steady
    values[1, 0, 4] = -20.0
    cut, rows = segments.cut_segments(values, pd.DataFrame({"path": ["a", "b"]}), length=3)
    keep = segments.loud_segments(cut, values, rows.clip_index.to_numpy(), within_db=40.0)
    assert keep.tolist() == [True, False, True, True]
    with pytest.raises(ValueError, match="within_db"):
        segments.loud_segments(cut, values, rows.clip_index.to_numpy(), within_db=0.0)
