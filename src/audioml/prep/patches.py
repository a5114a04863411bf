"""Fixed-width patches of log-mel spectrograms where the sound is, and their normalisation (chapter 12).

The VAE of chapter 12 reads patches of ``width`` frames cut every ``hop`` frames from the
active part of each clip (:func:`active_frames`, by the book's one activity definition,
:func:`audioml.dsp.activity.level_activity`), each scaled by its own mean and spread.
"""

from __future__ import annotations

import numpy as np

from audioml.dsp.activity import level_activity


def active_frames(log_mel: np.ndarray, below_peak_db: float = 20.0) -> np.ndarray:
    """Frames whose loudest band is within ``below_peak_db`` of the clip's loudest frame (chapter 12),
    by :func:`audioml.dsp.activity.level_activity`.

    ``log_mel`` is ``(n_mels, n_frames)`` in dB; returns a boolean mask ``(n_frames,)``.
    """
    log_mel = np.asarray(log_mel)
    if log_mel.ndim != 2:
        raise ValueError(f"expected one log-mel (n_mels, n_frames), got shape {log_mel.shape}")
    return level_activity(log_mel.max(axis=0), below_peak_db)


def patch_starts(mask: np.ndarray, width: int, hop: int, min_active: float = 0.5) -> np.ndarray:
    """Start frames of the ``width``-frame windows (every ``hop`` frames) in which at least
    ``min_active`` of the frames are active; the most active window if none is (chapter 12)."""
    mask = np.asarray(mask, dtype=bool)
    if width > len(mask):
        raise ValueError(f"patch width {width} is longer than the clip ({len(mask)} frames); use a shorter patch")
    if hop < 1:
        raise ValueError(f"hop must be at least 1 frame, got {hop}")
    starts = np.arange(0, len(mask) - width + 1, hop)
    share = np.array([mask[s : s + width].mean() for s in starts])
    keep = starts[share >= min_active]
    return keep if len(keep) else starts[[int(np.argmax(share))]]


def cut_patches(
    log_mels: np.ndarray, width: int, hop: int, below_peak_db: float = 20.0, min_active: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Active patches of every clip: ``(patches (n, n_mels, width), clip_index (n,))`` (chapter 12)."""
    log_mels = np.asarray(log_mels)
    if log_mels.ndim != 3:
        raise ValueError(f"expected log-mels (n_clips, n_mels, n_frames), got shape {log_mels.shape}")
    patches, owner = [], []
    for i, clip in enumerate(log_mels):
        for start in patch_starts(active_frames(clip, below_peak_db), width, hop, min_active):
            patches.append(clip[:, start : start + width])
            owner.append(i)
    return np.stack(patches), np.asarray(owner)


def normalise_patches(patches: np.ndarray, eps: float = 1e-3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep only how each patch changes in time: subtract every band's mean over the patch's
    frames, then divide by the patch's standard deviation (chapter 12).

    Returns ``(normalised, band_means (n, n_mels, 1), scale (n, 1, 1))``, so that
    ``normalised * scale + band_means`` gives the patches back. Loudness and the steady
    background spectrum are gone; a patch that does not change at all raises a ValueError.
    """
    patches = np.asarray(patches, dtype=np.float32)
    if patches.ndim != 3:
        raise ValueError(f"expected patches (n, n_mels, n_frames), got shape {patches.shape}")
    band_means = patches.mean(axis=2, keepdims=True)
    centred = patches - band_means
    scale = centred.std(axis=(1, 2), keepdims=True)
    if np.any(scale < eps):
        raise ValueError(
            f"{int(np.sum(scale < eps))} patch(es) do not change in time (std < {eps} dB), "
            f"e.g. digital silence; cut patches where the sound is active (cut_patches)"
        )
    return centred / scale, band_means, scale
