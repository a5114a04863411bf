"""Sound scenes mixed from single-event clips, with frame-level event rolls known exactly (chapter 9).

A *scene* is a few clips of different classes added at random onsets and gains into a longer
recording. Because we do the mixing, the truth is known frame by frame: the **event roll**,
a boolean array ``(n_frames, n_classes)`` that says which classes sound in each frame.

What counts as "sounding" is defined here, once, on each source *before* mixing: frame ``t``
of a placed source is **active** when its RMS (window ``n_fft``, hop ``hop_length``, centred
frames as in librosa, so frame ``t`` lines up with log-mel frame ``t``) is at most
``activity_db`` below the loudest frame of that source. Many ESC-10 clips are a short event
padded with digital silence; the padding is never active. A scene's roll is the OR, per class,
of the activity of its placed sources. Onsets are whole hops, so a source's frames line up
with the scene's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import librosa
import numpy as np
import pandas as pd

from audioml.dsp.activity import frame_rms, rms_activity
from audioml.dsp.audio import load_audio
from audioml.dsp.augment import speed_change
from audioml.dsp.features import FeatureParams
from audioml.prep.scene_features import render_log_mels


@dataclass(frozen=True)
class SceneConfig:
    """How scenes are mixed and framed (chapter 9); the defaults give 10 s at 16 kHz, 25 frames/s."""

    sr: int = 16000
    duration: float = 10.0
    n_fft: int = 1024
    hop_length: int = 640
    n_mels: int = 64
    min_events: int = 1
    max_events: int = 4
    gain_db: tuple[float, float] = (-6.0, 0.0)
    level_db: float = -26.0
    activity_db: float = 30.0

    def __post_init__(self) -> None:
        for name in ("sr", "n_fft", "hop_length", "n_mels", "min_events", "max_events"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"SceneConfig.{name} must be a positive integer, got {value!r}")
        if self.min_events > self.max_events:
            raise ValueError(f"SceneConfig.min_events={self.min_events} exceeds max_events={self.max_events}")
        if self.n_samples < self.n_fft or self.n_samples % self.hop_length:
            raise ValueError(
                f"SceneConfig.duration={self.duration} s must be a whole number of hops "
                f"({self.hop_length} samples at {self.sr} Hz) and at least n_fft long"
            )
        if self.gain_db[0] > self.gain_db[1]:
            raise ValueError(f"SceneConfig.gain_db must be (low, high), got {self.gain_db}")
        if self.activity_db <= 0:
            raise ValueError(f"SceneConfig.activity_db must be positive (dB below the peak), got {self.activity_db}")

    @property
    def n_samples(self) -> int:
        return int(round(self.duration * self.sr))

    @property
    def n_frames(self) -> int:
        """Frames per scene: one per hop (the centred frame at the very end is dropped)."""
        return self.n_samples // self.hop_length

    @property
    def frames_per_second(self) -> float:
        return self.sr / self.hop_length

    def features(self) -> FeatureParams:
        """The log-mel parameters whose frames line up with the event rolls."""
        return FeatureParams(sr=self.sr, n_fft=self.n_fft, hop_length=self.hop_length, n_mels=self.n_mels)


@dataclass(frozen=True)
class Scenes:
    """A batch of mixed scenes: audio ``(n, n_samples)`` (or None), rolls ``(n, n_frames, n_classes)``,
    log-mels ``(n, n_frames, n_mels)`` and one row per placed event (``scene``, ``label``,
    ``source_clip``, ``onset``/``offset`` in s, ``gain_db``, ...)."""

    audio: np.ndarray | None
    rolls: np.ndarray
    log_mels: np.ndarray
    events: pd.DataFrame
    classes: tuple[str, ...]

    @property
    def tags(self) -> np.ndarray:
        """Clip-level (weak) labels: which classes are active anywhere in each scene, ``(n, n_classes)``."""
        return np.asarray(self.rolls.any(axis=1))

    def __len__(self) -> int:
        return len(self.rolls)

    def scene_events(self, k: int) -> list[dict]:
        """The events of scene ``k`` as :func:`render_audio` and :func:`render_roll` take them."""
        rows = self.events[self.events["scene"] == k]
        return [
            {
                "clip": int(r.clip),
                "class_index": int(r.class_index),
                "onset_sample": int(r.onset_sample),
                "gain": float(r.gain),
            }
            for r in rows.itertuples()
        ]


def activity(y: np.ndarray, config: SceneConfig) -> np.ndarray:
    """:func:`audioml.dsp.activity.rms_activity` with the scene's frames and ``activity_db``."""
    return rms_activity(y, config.n_fft, config.hop_length, config.activity_db)


def prepare_clip(y: np.ndarray, config: SceneConfig) -> np.ndarray:
    """Cut a clip to its active span, zero-pad it to whole hops, and scale its loudest frame to
    ``level_db`` dBFS RMS. Raises ValueError for a clip with no sound at all.

    Whole hops matter: a clip placed at a whole-hop onset then has exactly the STFT frames and
    activity frames it has on its own, shifted (:func:`~audioml.prep.scene_features.render_log_mels` relies on it).
    """
    y = np.asarray(y, dtype=np.float32)
    active = np.flatnonzero(activity(y, config))
    if active.size == 0:
        raise ValueError("the clip is digital silence: it has no active frame to mix")
    hop = config.hop_length
    start, stop = int(active[0]) * hop, min(y.size, (int(active[-1]) + 1) * hop)
    n_hops = max(-(-(stop - start) // hop), -(-config.n_fft // hop))
    clip = np.zeros(n_hops * hop, dtype=np.float32)
    clip[: stop - start] = y[start:stop]
    scale = 10.0 ** (config.level_db / 20.0) / frame_rms(clip, config.n_fft, config.hop_length).max()
    return (clip * scale).astype(np.float32)


def place(clip: np.ndarray, onset: int, config: SceneConfig) -> np.ndarray:
    """The clip as a source track of the scene: zeros, then the clip from sample ``onset``."""
    if onset < 0 or onset + clip.size > config.n_samples:
        raise ValueError(
            f"a clip of {clip.size} samples at onset {onset} does not fit in a scene of "
            f"{config.n_samples} samples; choose an onset in [0, {config.n_samples - clip.size}]"
        )
    track = np.zeros(config.n_samples, dtype=np.float32)
    track[onset : onset + clip.size] = clip
    return track


def track_activity(track: np.ndarray, config: SceneConfig) -> np.ndarray:
    """Activity of one placed source, cut to the scene's ``n_frames`` frames (the definition of the roll)."""
    return activity(track, config)[: config.n_frames]


@dataclass
class ClipBank:
    """The prepared clips of one split, their class indices and metadata rows, with each clip's
    activity and complex STFT computed once (chapter 9)."""

    clips: list[np.ndarray]
    frame: pd.DataFrame
    classes: tuple[str, ...]
    config: SceneConfig

    def __post_init__(self) -> None:
        if len(self.clips) != len(self.frame):
            raise ValueError(f"{len(self.clips)} clips but {len(self.frame)} rows describe them")
        unknown = sorted(set(self.frame["label"]) - set(self.classes))
        if unknown:
            raise ValueError(f"labels {unknown} are not in classes; pass every class name")
        too_long = [i for i, c in enumerate(self.clips) if c.size > self.config.n_samples]
        if too_long:
            raise ValueError(
                f"clips {too_long[:5]} are longer than a scene ({self.config.duration} s); use longer scenes"
            )
        self.labels = self.frame["label"].map({n: i for i, n in enumerate(self.classes)}).to_numpy()
        self.activities = [activity(c, self.config) for c in self.clips]
        self.stfts = []  # (n_frames, 2 n_bins) float32: real parts, then imaginary parts
        for clip in self.clips:
            stft = librosa.stft(
                clip, n_fft=self.config.n_fft, hop_length=self.config.hop_length, center=True, pad_mode="constant"
            ).T
            self.stfts.append(np.concatenate([stft.real, stft.imag], axis=1).astype(np.float32))

    @classmethod
    def load(
        cls, frame: pd.DataFrame, classes: list[str], config: SceneConfig, speeds: Sequence[float] = (1.0,)
    ) -> ClipBank:
        """Load and prepare every clip of ``frame`` (a :func:`audioml.data.loaders.load_esc10` table).

        ``speeds`` other than 1 add copies played faster or slower (pitch and tempo together,
        :func:`audioml.dsp.augment.speed_change`): augmentation, for training banks only. Each copy
        keeps its source's row (``path``, ``source_clip``), plus a ``speed`` column.
        """
        clips, rows = [], []
        for row in frame.itertuples(index=False):
            y = load_audio(row.path, sr=config.sr)[0]
            for speed in speeds:
                clips.append(prepare_clip(y if speed == 1.0 else speed_change(y, speed), config))
                rows.append({**row._asdict(), "speed": float(speed)})
        return cls(clips, pd.DataFrame(rows), tuple(classes), config)


def draw_events(bank: ClipBank, rng: np.random.Generator) -> list[dict]:
    """One scene's events: ``min_events``-``max_events`` clips of distinct classes, each at a random
    whole-hop onset that keeps it inside the scene, with a gain drawn uniformly in ``gain_db``."""
    config = bank.config
    present = np.unique(bank.labels)
    n_events = int(rng.integers(config.min_events, min(config.max_events, present.size) + 1))
    events = []
    for class_index in rng.choice(present, size=n_events, replace=False):
        index = int(rng.choice(np.flatnonzero(bank.labels == class_index)))
        last = (config.n_samples - bank.clips[index].size) // config.hop_length
        events.append(
            {
                "clip": index,
                "class_index": int(class_index),
                "onset_sample": int(rng.integers(0, last + 1)) * config.hop_length,
                "gain": float(10.0 ** (rng.uniform(*config.gain_db) / 20.0)),
            }
        )
    return events


def render_audio(bank: ClipBank, events: list[dict]) -> np.ndarray:
    """The scene's waveform: ``sum(gain * place(clip, onset))`` over its events."""
    audio = np.zeros(bank.config.n_samples, dtype=np.float32)
    for e in events:
        audio += e["gain"] * place(bank.clips[e["clip"]], e["onset_sample"], bank.config)
    return audio


def render_roll(bank: ClipBank, events: list[dict]) -> np.ndarray:
    """The scene's event roll ``(n_frames, n_classes)``: each clip's own activity, shifted to its onset."""
    config = bank.config
    roll = np.zeros((config.n_frames + max(len(a) for a in bank.activities), len(bank.classes)), dtype=bool)
    for e in events:
        first = e["onset_sample"] // config.hop_length
        active = bank.activities[e["clip"]]
        roll[first : first + len(active), e["class_index"]] |= active
    return roll[: config.n_frames]


def make_scenes(bank: ClipBank, n_scenes: int, seed: int, audio: bool = True) -> Scenes:
    """``n_scenes`` scenes mixed from the clips of ``bank``, with rolls, log-mels and events.

    Scene ``k`` uses its own generator ``default_rng([seed, k])``, so any scene can be reproduced
    alone and the same seed always gives the same scenes. ``audio=False`` skips the waveforms
    (the log-mels are mixed in the STFT domain anyway), for fresh training scenes every epoch.
    """
    if n_scenes <= 0:
        raise ValueError(f"n_scenes must be positive, got {n_scenes}")
    config = bank.config
    drawn = [draw_events(bank, np.random.default_rng([seed, k])) for k in range(n_scenes)]
    rows = []
    for k, events in enumerate(drawn):
        for e in events:
            source = bank.frame.iloc[e["clip"]]
            onset = e["onset_sample"] / config.sr
            rows.append(
                {
                    "scene": k,
                    "label": bank.classes[e["class_index"]],
                    **e,
                    "onset": onset,
                    "offset": onset + bank.clips[e["clip"]].size / config.sr,
                    "gain_db": 20 * np.log10(e["gain"]),
                    "path": source["path"],
                    "source_clip": source["source_clip"],
                    "fold": source["fold"],
                }
            )
    waves = np.stack([render_audio(bank, events) for events in drawn]) if audio else None
    rolls = np.stack([render_roll(bank, events) for events in drawn])
    return Scenes(waves, rolls, render_log_mels(bank, drawn), pd.DataFrame(rows), bank.classes)
