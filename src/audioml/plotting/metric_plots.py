"""Plots of classification results: confusion heatmap and ROC curve (chapter 2 onwards).

Pure functions: each draws on the ``ax`` it is given and returns it (or the number it
shows), so chapters arrange figures as they like.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve


def plot_confusion(
    ax: plt.Axes,
    y_true: Sequence,
    y_pred: Sequence,
    labels: Sequence,
    normalize: bool = False,
    title: str | None = None,
    cmap: str = "Blues",
) -> plt.Axes:
    """Confusion-matrix heatmap: true class in rows, predicted class in columns (chapters 2, 5, 6, 8, 11).

    Cells show counts, or with ``normalize=True`` the share of each true class (rows sum to 1).
    """
    counts = confusion_matrix(y_true, y_pred, labels=list(labels))
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values, fmt = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0), ".2f"
    else:
        values, fmt = counts, "d"
    sns.heatmap(
        values,
        annot=True,
        fmt=fmt,
        cmap=cmap,
        cbar=False,
        square=True,
        linewidths=0.5,
        xticklabels=list(labels),
        yticklabels=list(labels),
        vmin=0,
        ax=ax,
    )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.tick_params(axis="y", rotation=0)
    if title:
        ax.set_title(title)
    return ax


def plot_roc(
    ax: plt.Axes,
    y_true: Sequence,
    scores: Sequence,
    label: str = "model",
    mark: tuple[float, float] | None = None,
    **line_kwargs,
) -> float:
    """ROC curve of ``scores`` (higher = positive) with its AUC in the legend; returns the AUC (chapters 2, 12).

    ``mark=(fpr, tpr)`` highlights one operating point, e.g. the threshold a chapter chose.
    """
    fpr, tpr, _ = roc_curve(y_true, scores)
    auc = float(roc_auc_score(y_true, scores))
    (curve,) = ax.plot(fpr, tpr, label=f"{label} (AUC = {auc:.3f})", **line_kwargs)
    if mark is not None:
        ax.plot(*mark, marker="o", markersize=8, color=curve.get_color(), linestyle="none")
    if not any(line.get_label() == "chance" for line in ax.get_lines()):
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="chance")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate (recall)")
    ax.set_aspect("equal")
    ax.legend(loc="lower right")
    return auc
