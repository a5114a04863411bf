"""The field's reference implementations of detection metrics, on this package's rolls (chapter 9).

The package scores detection with its own code (:mod:`audioml.evaluation.sed_metrics`), written to be read.
A reader who compares with a DCASE paper needs the numbers those papers report, computed by the
code the challenges use. This module turns the chapter's boolean event rolls and frame scores
into the event lists and score tables of those libraries and calls them:

- :func:`segment_based` and :func:`event_based`: ``sed_eval`` (Mesaros et al., 2016), the
  toolbox of the DCASE detection tasks, for segment-based F1 and error rate and event-based F1
  (onset collar, offset collar of a share of the event's length);
- :func:`psds`: the polyphonic sound detection score (Bilen et al., 2020) computed exactly from
  the frame scores by ``sed_scores_eval`` (Ebbers et al., 2022), which DCASE's task 4 uses
  since 2023, in the challenge's two scenarios.

Each library is imported inside the function that needs it, never when ``audioml`` is imported.
Rolls are ``(n_scenes, n_frames, n_classes)``; frame ``t`` covers ``[t / fps, (t + 1) / fps)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audioml.errors import ParameterError

#: DCASE task 4 (2021-2023): scenario 1 rewards precise timing, scenario 2 avoiding confusions.
_PSDS_SCENARIOS: dict[int, dict[str, Any]] = {
    1: {"dtc_threshold": 0.7, "gtc_threshold": 0.7, "cttc_threshold": None, "alpha_ct": 0.0, "alpha_st": 1.0},
    2: {"dtc_threshold": 0.1, "gtc_threshold": 0.1, "cttc_threshold": 0.3, "alpha_ct": 0.5, "alpha_st": 1.0},
}


def _rolls(
    truth: np.ndarray, other: np.ndarray, classes: list[str], fps: float, other_name: str = "prediction"
) -> tuple[np.ndarray, np.ndarray]:
    truth, other = np.asarray(truth), np.asarray(other)
    if truth.ndim != 3:
        raise ParameterError(f"rolls must be (n_scenes, n_frames, n_classes), got truth of shape {truth.shape}")
    if truth.shape != other.shape:
        raise ParameterError(
            f"truth and {other_name} differ in shape: {truth.shape} vs {other.shape}; "
            f"score the same scenes, frames and classes"
        )
    if truth.shape[-1] != len(classes):
        raise ParameterError(f"rolls have {truth.shape[-1]} classes but {len(classes)} class names were given")
    if not fps > 0:
        raise ParameterError(f"fps must be positive, got {fps!r}")
    return truth.astype(bool), other


def roll_to_events(roll: np.ndarray, classes: list[str], fps: float) -> list[tuple[float, float, str]]:
    """``(onset, offset, label)`` of every run of active frames in one scene's roll ``(n_frames, n_classes)``."""
    roll = np.asarray(roll, dtype=bool)
    events = []
    for c, label in enumerate(classes):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], roll[:, c].astype(np.int8), [0]])))
        events += [(start / fps, stop / fps, label) for start, stop in zip(edges[::2], edges[1::2])]
    return sorted(events)


def _event_list(roll: np.ndarray, classes: list[str], fps: float, name: str) -> list[dict]:
    return [
        {"filename": name, "event_label": label, "onset": onset, "offset": offset}
        for onset, offset, label in roll_to_events(roll, classes, fps)
    ]


def segment_based(
    truth: np.ndarray, pred: np.ndarray, classes: list[str], fps: float, frames_per_segment: int
) -> dict[str, float]:
    """sed_eval's segment-based micro F1 and error rate, segments of ``frames_per_segment / fps`` s.

    Each scene is evaluated over its whole length (``n_frames / fps``), so a scene's empty end
    counts as it does in :func:`audioml.evaluation.sed_metrics.segment_f1`.
    """
    import sed_eval

    truth, pred = _rolls(truth, pred, classes, fps)
    if not truth.any():
        raise ParameterError("the truth has no active frame in any scene; segment F1 and error rate are undefined")
    metrics = sed_eval.sound_event.SegmentBasedMetrics(
        event_label_list=list(classes), time_resolution=frames_per_segment / fps
    )
    length = truth.shape[1] / fps
    for k in range(len(truth)):
        metrics.evaluate(
            _event_list(truth[k], classes, fps, f"scene{k}"),
            _event_list(pred[k], classes, fps, f"scene{k}"),
            evaluated_length_seconds=length,
        )
    overall = metrics.results_overall_metrics()
    return {"f1": float(overall["f_measure"]["f_measure"]), "error_rate": float(overall["error_rate"]["error_rate"])}


def event_based(
    truth: np.ndarray,
    pred: np.ndarray,
    classes: list[str],
    fps: float,
    t_collar: float = 0.2,
    percentage_of_length: float = 0.2,
) -> dict[str, float]:
    """sed_eval's event-based micro F1 and error rate (onset within ``t_collar`` s, offset within
    ``max(t_collar, percentage_of_length x the reference event's length)``), as in DCASE 2017-2019."""
    import sed_eval

    truth, pred = _rolls(truth, pred, classes, fps)
    if not truth.any():
        raise ParameterError("the truth has no event in any scene; event-based F1 is undefined")
    metrics = sed_eval.sound_event.EventBasedMetrics(
        event_label_list=list(classes), t_collar=t_collar, percentage_of_length=percentage_of_length
    )
    for k in range(len(truth)):
        metrics.evaluate(
            _event_list(truth[k], classes, fps, f"scene{k}"), _event_list(pred[k], classes, fps, f"scene{k}")
        )
    overall = metrics.results_overall_metrics()
    return {"f1": float(overall["f_measure"]["f_measure"]), "error_rate": float(overall["error_rate"]["error_rate"])}


class _WritableSeries(pd.Series):
    """A Series whose ``to_numpy()`` is a writable copy (see ``_WritableFrame``)."""

    @property
    def _constructor(self) -> type:
        return _WritableSeries

    def to_numpy(self, *args, **kwargs) -> np.ndarray:  # type: ignore[override]
        return np.array(super().to_numpy(*args, **kwargs))


class _WritableFrame(pd.DataFrame):
    """A score table whose ``to_numpy()`` arrays are writable copies.

    sed_scores_eval 0.0.4 hands ``to_numpy()`` arrays to Cython code that needs writable
    buffers; under pandas 3's copy-on-write they are read-only views, and it fails with
    "buffer source array is read-only". Copying restores what pandas 2 gave.
    """

    @property
    def _constructor(self) -> type:
        return _WritableFrame

    @property
    def _constructor_sliced(self) -> type:
        return _WritableSeries

    def to_numpy(self, *args, **kwargs) -> np.ndarray:  # type: ignore[override]
        return np.array(super().to_numpy(*args, **kwargs))


def psds(
    truth: np.ndarray, scores: np.ndarray, classes: list[str], fps: float, scenario: int = 1, max_efpr: float = 100.0
) -> float:
    """PSDS of frame ``scores`` against the truth rolls, computed exactly by sed_scores_eval.

    ``scenario`` 1 or 2 takes DCASE task 4's criteria (``_PSDS_SCENARIOS``); the false-positive
    rate is per hour of audio, up to ``max_efpr``. No threshold is chosen: PSDS integrates over all.
    """
    from sed_scores_eval.base_modules.scores import create_score_dataframe
    from sed_scores_eval.intersection_based import psds as psds_of

    truth, scores = _rolls(truth, scores, classes, fps, other_name="scores")
    if scenario not in _PSDS_SCENARIOS:
        raise ParameterError(f"scenario must be one of {sorted(_PSDS_SCENARIOS)}, got {scenario!r}")
    scores = np.asarray(scores, dtype=float)
    if not np.all(np.isfinite(scores)):
        raise ParameterError("scores hold non-finite values (NaN or inf)")
    if not truth.any():
        raise ParameterError("the truth has no event in any scene; PSDS is undefined")
    n_frames = truth.shape[1]
    timestamps = np.arange(n_frames + 1) / fps
    tables = {
        f"scene{k}": _WritableFrame(create_score_dataframe(scores[k], timestamps, list(classes)))
        for k in range(len(truth))
    }
    ground_truth = {
        f"scene{k}": [(on, off, label) for on, off, label in roll_to_events(truth[k], classes, fps)]
        for k in range(len(truth))
    }
    durations = {name: n_frames / fps for name in tables}
    value, *_ = psds_of(
        scores=tables,
        ground_truth=ground_truth,
        audio_durations=durations,
        unit_of_time="hour",
        max_efpr=max_efpr,
        **_PSDS_SCENARIOS[scenario],
    )
    return float(value)
