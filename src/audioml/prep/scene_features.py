"""Log-mels of the mixed scenes of :mod:`audioml.prep.scenes`, frame-aligned with their event rolls (chapter 9).

:func:`render_log_mels` mixes a scene's clips in the STFT domain (no waveform needed);
:func:`scene_log_mels` computes the same log-mels from waveforms. Both use the book's one
log-mel arithmetic (:func:`audioml.dsp.features.mel_basis`, :func:`audioml.dsp.features.power_to_db`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from audioml.dsp.features import mel_basis, mel_power_batch, power_to_db

if TYPE_CHECKING:
    from audioml.prep.scenes import ClipBank, SceneConfig


def render_log_mels(bank: ClipBank, scene_events: list[list[dict]], batch: int = 16) -> np.ndarray:
    """Log-mels ``(n, n_frames, n_mels)`` of scenes, mixed in the STFT domain without their audio.

    The STFT is linear and every onset is a whole hop, so a scene's STFT is the sum of its clips'
    STFTs, shifted and scaled: the same numbers as :func:`scene_log_mels` of :func:`~audioml.prep.scenes.render_audio`,
    up to float rounding, for a fraction of the cost (the clips' STFTs are computed once).
    """
    config, params = bank.config, bank.config.features()
    basis = mel_basis(params).T
    n_bins, longest = basis.shape[0], max(len(s) for s in bank.stfts)
    out = np.empty((len(scene_events), config.n_frames, config.n_mels), dtype=np.float32)
    spec = np.empty((batch, config.n_frames + longest, 2 * n_bins), dtype=np.float32)  # real | imaginary
    for start in range(0, len(scene_events), batch):
        part = scene_events[start : start + batch]
        spec.fill(0.0)
        for row, events in enumerate(part):
            for e in events:
                first = e["onset_sample"] // config.hop_length
                stft = bank.stfts[e["clip"]]
                spec[row, first : first + len(stft)] += np.float32(e["gain"]) * stft
        frames = spec[: len(part), : config.n_frames]
        power = np.square(frames[..., :n_bins]) + np.square(frames[..., n_bins:])
        mel = (power.reshape(-1, n_bins) @ basis).reshape(len(part), config.n_frames, -1)
        out[start : start + len(part)] = power_to_db(mel, params.top_db)
    return out


def scene_log_mels(audio: np.ndarray, config: SceneConfig, batch: int = 64) -> np.ndarray:
    """Log-mel of scene waveforms, time first and cut to the roll's frames: ``(n, n_frames, n_mels)``.

    The same numbers as :func:`audioml.dsp.features.log_mel` scene by scene (dB re 1, floored
    ``top_db`` below each scene's peak), computed ``batch`` scenes per STFT call.
    """
    audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    if audio.shape[-1] != config.n_samples:
        raise ValueError(
            f"scenes must have {config.n_samples} samples ({config.duration} s at {config.sr} Hz), "
            f"got shape {audio.shape}"
        )
    params = config.features()
    out = np.empty((len(audio), config.n_frames, config.n_mels), dtype=np.float32)
    for start in range(0, len(audio), batch):
        power = mel_power_batch(audio[start : start + batch], params)[..., : config.n_frames]
        out[start : start + batch] = power_to_db(power, params.top_db).transpose(0, 2, 1)
    return out
