"""Cut clips into fixed-length segments that keep their parent clip's labels and groups.

Chapter 4 cuts ESC-10 log-mel spectrograms into 1-second segments to show how a random
split of segments leaks; chapter 9 can cut waveforms or spectrograms the same way. Every
segment row keeps the parent's ``path``, ``label``, ``fold``, ``source_clip``, ... so that
:func:`audioml.data.splits.assert_no_leakage` sees siblings of one clip as the same group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def segment_starts(n_steps: int, length: int, hop: int | None = None) -> np.ndarray:
    """Start indices of the windows of ``length`` steps, ``hop`` apart, that fit in ``n_steps``.

    ``hop`` defaults to ``length`` (no overlap); a tail shorter than ``length`` is dropped.
    """
    hop = length if hop is None else hop
    if length <= 0 or hop <= 0:
        raise ValueError(f"length and hop must be positive, got length={length}, hop={hop}")
    if length > n_steps:
        raise ValueError(
            f"segment length {length} is longer than the clips ({n_steps} steps); "
            f"pad the clips (audioml.dsp.audio.fix_length) or use shorter segments"
        )
    return np.arange(0, n_steps - length + 1, hop)


def cut_segments(
    values: np.ndarray, frame: pd.DataFrame, length: int, hop: int | None = None
) -> tuple[np.ndarray, pd.DataFrame]:
    """Cut every clip of ``values`` (time on the last axis) into windows of ``length`` steps.

    ``values`` is ``(n_clips, ..., n_steps)``: waveforms ``(n, samples)`` or log-mels
    ``(n, n_mels, frames)``; row ``i`` of ``frame`` describes clip ``i``. Returns the
    segments ``(n_clips * n_windows, ..., length)`` and one row per segment: the parent's
    columns plus ``clip_index`` (the parent's row position), ``segment`` (its index within the
    clip) and ``start`` (its first step).
    """
    if len(values) != len(frame):
        raise ValueError(f"values has {len(values)} clips but frame has {len(frame)} rows")
    starts = segment_starts(values.shape[-1], length, hop)
    windows = np.stack([values[..., s : s + length] for s in starts], axis=1)
    segments = windows.reshape(len(values) * len(starts), *values.shape[1:-1], length)
    clip = np.repeat(np.arange(len(frame)), len(starts))
    rows = frame.iloc[clip].reset_index(drop=True)
    rows["clip_index"] = clip
    rows["segment"] = np.tile(np.arange(len(starts)), len(frame))
    rows["start"] = np.tile(starts, len(frame))
    return segments, rows


def loud_segments(
    segments: np.ndarray, values: np.ndarray, clip_index: np.ndarray, within_db: float = 40.0
) -> np.ndarray:
    """Mask of the dB segments whose peak is within ``within_db`` of their parent clip's peak.

    Drops the windows that hold only padding or near-silence (ESC-10 pads short
    recordings with silence): they carry no trace of the class. ``clip_index`` is
    the ``clip_index`` column of :func:`cut_segments`.
    """
    if within_db <= 0:
        raise ValueError(f"within_db must be positive, got {within_db}")
    segment_peak = segments.reshape(len(segments), -1).max(axis=1)
    clip_peak = values.reshape(len(values), -1).max(axis=1)
    return segment_peak >= clip_peak[np.asarray(clip_index)] - within_db
