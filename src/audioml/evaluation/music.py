"""Music classification scores for chapter 13: macro-F1, and from segments to clips.

Clips of one Freesound uploader or sample pack are grouped by
:func:`audioml.data.splits.freesound_runs`; :func:`audioml.evaluation.uncertainty.cluster_bootstrap`
resamples those groups, not the clips, because clips of one group are not independent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from audioml.errors import ParameterError

AGGREGATIONS = ("mean", "vote")


def macro_f1(y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike | None = None) -> float:
    """Unweighted mean of the per-class F1 over ``labels`` (default: the classes in ``y_true``).

    A numpy twin of ``sklearn.metrics.f1_score(average="macro", zero_division=0)`` restricted to
    the true classes, fast enough for thousands of bootstrap resamples.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) != len(y_pred) or len(y_true) == 0:
        raise ParameterError(
            f"y_true and y_pred must be non-empty and of equal length, got {len(y_true)} and {len(y_pred)}"
        )
    classes = np.unique(y_true) if labels is None else np.asarray(labels)
    scores = []
    for c in classes:
        tp = np.sum((y_true == c) & (y_pred == c))
        denominator = np.sum(y_true == c) + np.sum(y_pred == c)
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))


def covered_segments(
    starts_s: Sequence[float], length_s: float, durations_s: Sequence[float], tolerance_s: float = 0.5
) -> np.ndarray:
    """Mask of the segments that lie within their clip: the first segment of a clip always, later
    ones only if they end at most ``tolerance_s`` after the clip's real (unpadded) end.

    ``starts_s`` and ``durations_s`` are per segment (the segment's start, its parent clip's duration).
    """
    starts, durations = np.asarray(starts_s, float), np.asarray(durations_s, float)
    if starts.shape != durations.shape:
        raise ParameterError(
            f"starts_s and durations_s must have one value per segment, got shapes {starts.shape} and {durations.shape}"
        )
    if length_s <= 0:
        raise ParameterError(f"length_s must be positive, got {length_s}")
    return (starts == 0) | (starts + length_s <= durations + tolerance_s)


def aggregate_segments(probabilities: np.ndarray, clip_index: ArrayLike, n_clips: int, how: str = "mean") -> np.ndarray:
    """Clip-level class scores from segment-level probabilities ``(n_segments, n_classes)``.

    ``how="mean"`` averages the segments' probabilities; ``"vote"`` gives each clip the share of
    its segments whose arg-max is each class. Returns ``(n_clips, n_classes)``; every clip needs
    at least one segment.
    """
    if how not in AGGREGATIONS:
        raise ParameterError(f"how must be one of {AGGREGATIONS}, got {how!r}")
    probabilities, clip_index = np.asarray(probabilities, float), np.asarray(clip_index)
    if probabilities.ndim != 2 or len(probabilities) != len(clip_index):
        raise ParameterError(
            f"probabilities must be (n_segments, n_classes) with one clip_index per "
            f"segment, got {probabilities.shape} and {clip_index.shape}"
        )
    counts = np.bincount(clip_index, minlength=n_clips)
    if len(counts) > n_clips or (counts == 0).any():
        raise ParameterError(
            f"every clip 0..{n_clips - 1} needs at least one segment "
            f"(clips without one: {np.flatnonzero(counts == 0)[:5].tolist()})"
        )
    values = probabilities if how == "mean" else np.eye(probabilities.shape[1])[probabilities.argmax(axis=1)]
    totals = np.zeros((n_clips, probabilities.shape[1]))
    np.add.at(totals, clip_index, values)
    return totals / counts[:, None]


def masked_pool(frames: np.ndarray, mask: np.ndarray, stats: Sequence[str] = ("mean", "max", "std")) -> np.ndarray:
    """Pool per-frame vectors ``(n_clips, n_frames, d)`` over the frames where ``mask`` ``(n_clips, n_frames)``
    is true (the frames inside the clip, not its padding); concatenates ``stats`` in order.
    """
    frames, mask = np.asarray(frames, float), np.asarray(mask, bool)
    if frames.ndim != 3 or mask.shape != frames.shape[:2]:
        raise ParameterError(
            f"frames must be (n_clips, n_frames, d) and mask (n_clips, n_frames), got {frames.shape} and {mask.shape}"
        )
    if not mask.any(axis=1).all():
        raise ParameterError(
            f"every clip needs at least one frame in mask; clips "
            f"{np.flatnonzero(~mask.any(axis=1))[:5].tolist()} have none"
        )
    unknown = set(stats) - {"mean", "max", "std"}
    if unknown:
        raise ParameterError(f"stats must be among mean, max, std; got {sorted(unknown)}")
    weights = mask[:, :, None].astype(float)
    mean = (frames * weights).sum(axis=1) / weights.sum(axis=1)
    parts = {
        "mean": mean,
        "max": np.where(mask[:, :, None], frames, -np.inf).max(axis=1),
        "std": np.sqrt((((frames - mean[:, None]) ** 2) * weights).sum(axis=1) / weights.sum(axis=1)),
    }
    return np.concatenate([parts[s] for s in stats], axis=1)
