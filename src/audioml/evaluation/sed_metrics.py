"""Multi-label metrics for tagging and detection, and thresholds tuned on validation (chapter 9).

Two levels of truth:

- **tagging** (weak labels): which classes occur anywhere in a scene, ``(n_scenes, n_classes)``;
- **detection** (strong labels): which classes sound in each frame, ``(n_scenes, n_frames, n_classes)``.

Detection is scored on **segments** (Mesaros et al., 2016): cut time into segments of, say,
1 s; a class is active in a segment when it is active in any of its frames, for the truth and
for the prediction alike; then count true positives, false positives and false negatives over
all segments and classes. Because "any frame above the threshold" equals "the segment's
highest score above the threshold", a segment's score is the max of its frame scores, and the
same threshold code serves tags (one segment = the whole scene) and segments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import f1_score

AVERAGES = ("micro", "macro", "weighted", "samples")
_GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)


def segment_max(frames: np.ndarray, frames_per_segment: int) -> np.ndarray:
    """Max over consecutive blocks of ``frames_per_segment`` frames (the last may be shorter).

    ``frames`` is ``(..., n_frames, n_classes)``, scores or booleans (max of booleans = any);
    the result is ``(..., n_segments, n_classes)`` with ``n_segments = ceil(n_frames / frames_per_segment)``.
    """
    frames = np.asarray(frames)
    if frames.ndim < 2:
        raise ValueError(f"expected (..., n_frames, n_classes), got shape {frames.shape}")
    if not isinstance(frames_per_segment, (int, np.integer)) or frames_per_segment <= 0:
        raise ValueError(f"frames_per_segment must be a positive integer, got {frames_per_segment!r}")
    n_frames = frames.shape[-2]
    starts = np.arange(0, n_frames, frames_per_segment)
    return np.maximum.reduceat(frames, starts, axis=-2)


def flat(labels: np.ndarray) -> np.ndarray:
    """``(..., n_classes)`` -> ``(n_rows, n_classes)``: every scene (or segment) one row."""
    labels = np.asarray(labels)
    return labels.reshape(-1, labels.shape[-1])


def _check_pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"truth and prediction shapes differ: {y_true.shape} vs {y_pred.shape}")
    return flat(y_true), flat(y_pred)


def micro_f1_from_counts(counts: ArrayLike) -> float:
    """F1 from summed ``(true positives, false positives, false negatives)``; 1.0 when all are zero."""
    tp, fp, fn = (float(c) for c in np.asarray(counts))
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def micro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """F1 from the TP, FP and FN counted over every row and class (numpy; equals sklearn's micro)."""
    y_true, y_pred = _check_pair(y_true, y_pred)
    return micro_f1_from_counts([np.sum(y_true & y_pred), np.sum(~y_true & y_pred), np.sum(y_true & ~y_pred)])


def scene_counts(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """``(n_scenes, 3)``: each scene's true positives, false positives and false negatives, over its
    segments and classes (chapter 9). Their column sums give :func:`micro_f1` through
    :func:`micro_f1_from_counts`; per scene, they are what a bootstrap over scenes resamples."""
    y_true, y_pred = np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool)
    if y_true.shape != y_pred.shape or y_true.ndim < 2:
        raise ValueError(
            f"expected truth and prediction of one shape (n_scenes, ..., n_classes), "
            f"got {y_true.shape} vs {y_pred.shape}"
        )
    axes = tuple(range(1, y_true.ndim))
    return np.stack([(y_true & y_pred).sum(axes), (~y_true & y_pred).sum(axes), (y_true & ~y_pred).sum(axes)], axis=1)


def tagging_f1(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """scikit-learn's micro, macro, weighted and samples F1 of multi-hot rows (absent counts 0)."""
    y_true, y_pred = _check_pair(y_true, y_pred)
    return {f"{average}_f1": float(f1_score(y_true, y_pred, average=average, zero_division=0)) for average in AVERAGES}


def segment_f1(truth_frames: np.ndarray, pred_frames: np.ndarray, frames_per_segment: int) -> float:
    """Segment-based micro F1: frame rolls ``(..., n_frames, n_classes)`` pooled to segments first."""
    return micro_f1(
        segment_max(np.asarray(truth_frames, dtype=bool), frames_per_segment),
        segment_max(np.asarray(pred_frames, dtype=bool), frames_per_segment),
    )


def segment_error_rate(truth_frames: np.ndarray, pred_frames: np.ndarray, frames_per_segment: int) -> float:
    """Segment-based error rate (substitutions + deletions + insertions) / active reference events."""
    truth = flat(segment_max(np.asarray(truth_frames, dtype=bool), frames_per_segment))
    pred = flat(segment_max(np.asarray(pred_frames, dtype=bool), frames_per_segment))
    fn, fp = np.sum(truth & ~pred, axis=1), np.sum(~truth & pred, axis=1)
    substitutions = np.minimum(fn, fp)
    n_reference = truth.sum()
    if n_reference == 0:
        raise ValueError("the truth has no active segment; the error rate is undefined")
    return float((substitutions.sum() + (fn - substitutions).sum() + (fp - substitutions).sum()) / n_reference)


def apply_thresholds(scores: np.ndarray, thresholds: float | np.ndarray) -> np.ndarray:
    """``scores >= thresholds`` (a global number, or one per class on the last axis)."""
    scores = np.asarray(scores)
    thresholds = np.asarray(thresholds, dtype=float)
    if thresholds.ndim and thresholds.shape != scores.shape[-1:]:
        raise ValueError(f"need one threshold per class ({scores.shape[-1]}), got shape {thresholds.shape}")
    return scores >= thresholds


def class_f1_curves(y_true: np.ndarray, scores: np.ndarray, grid: np.ndarray = _GRID) -> pd.DataFrame:
    """F1 of every class (columns) at every threshold of ``grid`` (rows), plus the ``micro`` column."""
    y_true, scores = flat(np.asarray(y_true, dtype=bool)), flat(scores)
    if y_true.shape != scores.shape:
        raise ValueError(f"truth and scores shapes differ: {y_true.shape} vs {scores.shape}")
    rows = []
    for threshold in grid:
        pred = scores >= threshold
        tp = np.sum(y_true & pred, axis=0)
        wrong = np.sum(y_true != pred, axis=0)
        per_class = np.divide(2 * tp, 2 * tp + wrong, out=np.zeros(len(tp)), where=(2 * tp + wrong) > 0)
        rows.append([*per_class, micro_f1(y_true, pred)])
    return pd.DataFrame(rows, index=pd.Index(grid, name="threshold"), columns=[*range(scores.shape[1]), "micro"])


def tune_thresholds(y_true: np.ndarray, scores: np.ndarray, grid: np.ndarray = _GRID) -> tuple[float, np.ndarray]:
    """Thresholds chosen on validation data: one global (best micro F1) and one per class (best class F1).

    Ties go to the threshold nearest 0.5. Use them once on the test set, never tune them there.
    """
    curves = class_f1_curves(y_true, scores, grid)
    order = np.argsort(np.abs(np.asarray(grid) - 0.5), kind="stable")  # preference on ties
    ranked = curves.iloc[order]
    best_global = float(ranked["micro"].idxmax())
    per_class = np.array([float(ranked[c].idxmax()) for c in range(flat(scores).shape[1])])
    return best_global, per_class
