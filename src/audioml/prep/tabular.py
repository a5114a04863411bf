"""Tables of length-free clip statistics for the classical-ML chapters (2 and 3).

Chapter 2 tells two FSDD speakers apart with these features; chapter 3 trains a
micrograd network on the same table, so both read it from here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audioml.dsp.features import FeatureParams, summary_stats
from audioml.prep.cache import cached_features

#: The two FSDD speakers of the binary task in chapters 2 and 3 (see chapter 2 for why).
SPEAKER_PAIR = ("jackson", "theo")
#: The four frame statistics that need no MFCC: one neuron in chapter 3 takes exactly these.
FOUR_FEATURES = ["rms_mean", "rms_std", "zcr_mean", "zcr_std"]


def statistic_names(params: FeatureParams) -> list[str]:
    """Column names of :func:`clip_statistics`, in order."""
    return FOUR_FEATURES + [f"mfcc{i}_mean" for i in range(params.n_mfcc)]


def summary_vector(y: np.ndarray, params: FeatureParams) -> np.ndarray:
    """:func:`audioml.dsp.features.summary_stats` as a float32 vector (cacheable)."""
    return np.array(list(summary_stats(y, params).values()), dtype=np.float32)


def clip_statistics(frame: pd.DataFrame, dataset: str, params: FeatureParams, progress: bool = True) -> pd.DataFrame:
    """One row of summary statistics per clip of ``frame`` (same index), cached on disk."""
    values = cached_features(frame, dataset, summary_vector, params, duration=None, progress=progress)
    return pd.DataFrame(values, columns=statistic_names(params), index=frame.index)


def speaker_pair(frame: pd.DataFrame, pair: tuple[str, str] = SPEAKER_PAIR) -> pd.DataFrame:
    """The FSDD rows of two speakers, with ``target`` = 1 for the second speaker."""
    missing = set(pair) - set(frame["speaker"])
    if missing:
        raise ValueError(f"speakers {sorted(missing)} are not in the frame; known: {sorted(frame['speaker'].unique())}")
    chosen = frame[frame["speaker"].isin(pair)].copy()
    chosen["target"] = (chosen["speaker"] == pair[1]).astype(int)
    return chosen.reset_index(drop=True)
