"""Small plotting and listening helpers that the chapters share.

Each function draws on an ``Axes`` it is given (so chapters lay out their own figures)
and returns what it drew. librosa calls use keyword arguments only, so they run on
librosa 0.11 and 1.0 alike (``waveshow(..., axis=...)``, never ``x_axis``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import librosa
import librosa.display
import numpy as np
from IPython.display import Audio
from matplotlib.axes import Axes
from matplotlib.collections import QuadMesh

if TYPE_CHECKING:
    from audioml.prep.scenes import SceneConfig


def plot_waveform(ax: Axes, y: np.ndarray, sr: int, title: str = "", color: str | None = None) -> Axes:
    """Draw the waveform of a mono signal against time in seconds (chapters 1, 6, 7, 9-11).

    Amplitude is the raw sample value (full scale is [-1, 1]); the y-axis is labelled so.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"plot_waveform expects a mono signal (1-D array), got shape {y.shape}")
    style: dict[str, Any] = {} if color is None else {"color": color}
    librosa.display.waveshow(y=y, sr=sr, ax=ax, axis="time", **style)
    ax.set(title=title, xlabel="time (s)", ylabel="amplitude")
    ax.set_xlim(0, len(y) / sr)
    return ax


def plot_spectrogram(
    ax: Axes,
    S_db: np.ndarray,
    sr: int,
    hop_length: int,
    y_axis: str = "linear",
    title: str = "",
    fmin: float | None = None,
    fmax: float | None = None,
    n_fft: int | None = None,
    colorbar: bool = True,
    unit: str = "dB",
    cmap: str = "magma",
    **specshow_kwargs,
) -> QuadMesh:
    """Draw a spectrogram-like array ``(n_bins, n_frames)`` against time (chapters 1, 4, 5, 7-13).

    - ``y_axis``: ``"linear"`` or ``"log"`` for STFT bins, ``"mel"`` for mel bands (pass
      ``fmin``/``fmax`` if they are not librosa's defaults), or ``None`` for plain
      coefficient indices (MFCC).
    - ``n_fft``: the STFT size, needed only if it is not ``2 * (n_bins - 1)``.
    - ``colorbar``: add a colour bar labelled with ``unit``.
    - ``specshow_kwargs``: passed on to ``librosa.display.specshow`` (e.g. ``vmin``, ``vmax``).

    Returns the image, for a shared colour bar.
    """
    S_db = np.asarray(S_db)
    if S_db.ndim != 2:
        raise ValueError(f"plot_spectrogram expects a 2-D array (bins, frames), got shape {S_db.shape}")
    extra: dict = {}
    if y_axis == "mel":
        extra["fmin"] = 0.0 if fmin is None else fmin
        extra["fmax"] = sr / 2 if fmax is None else fmax
    if n_fft is not None:
        extra["n_fft"] = n_fft
    image = librosa.display.specshow(
        data=S_db,
        sr=sr,
        hop_length=hop_length,
        x_axis="time",
        y_axis=y_axis,
        ax=ax,
        cmap=cmap,
        **extra,
        **specshow_kwargs,
    )
    ax.set(title=title, xlabel="time (s)")
    if y_axis is None:
        ax.set_ylabel("coefficient")
    elif y_axis == "mel":
        ax.set_ylabel("frequency (Hz, mel-spaced)")
    else:
        ax.set_ylabel("frequency (Hz)")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, format="%+2.0f" if unit == "dB" else None, label=unit)
    return image


def audio_player(y: np.ndarray, sr: int, max_seconds: float | None = None) -> Audio:
    """An embedded audio player that keeps the recording's true loudness (chapters 1, 6-13).

    ``normalize=False`` plays quiet clips quietly, so players of a clip and its noisy or
    denoised versions can be compared by ear. A signal that leaves [-1, 1] cannot be
    played unnormalised; it is then scaled to its peak (and said so by the caller's text).
    ``max_seconds`` trims the clip, which keeps notebooks small (the audio is embedded).
    """
    y = np.asarray(y, dtype=np.float32)
    if max_seconds is not None:
        y = y[: int(round(max_seconds * sr))]
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    return Audio(data=y, rate=sr, normalize=peak > 1.0)


def plot_event_roll(
    ax: Axes,
    roll: np.ndarray,
    classes: list[str],
    config: SceneConfig,
    scores: np.ndarray | None = None,
    title: str = "",
) -> Axes:
    """Truth as grey bars per class; with ``scores`` ``(n_frames, n_classes)``, the model's
    frame scores (0-1) drawn as a line inside each class's lane (chapter 9)."""
    roll = np.asarray(roll, dtype=bool)
    if roll.ndim != 2 or roll.shape[1] != len(classes):
        raise ValueError(f"roll must be (n_frames, {len(classes)}), got shape {roll.shape}")
    times = np.arange(roll.shape[0] + 1) / config.frames_per_second
    for c in range(len(classes)):
        ax.fill_between(times[:-1], c - 0.4, c + 0.4, where=roll[:, c], step="post", color="0.75", linewidth=0)
        if scores is not None:
            ax.step(times[:-1], c + 0.4 - 0.8 * np.asarray(scores)[:, c], where="post", color="C3", linewidth=1)
    ax.set(
        yticks=range(len(classes)),
        yticklabels=list(classes),
        ylim=(len(classes) - 0.5, -0.5),
        xlim=(0, times[-1]),
        xlabel="time (s)",
        title=title,
    )
    return ax
