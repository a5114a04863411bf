"""Pretrained networks for transfer learning: YAMNet embeddings and MobileNetV2 on log-mels (chapter 8).

YAMNet has one interface, :class:`Yamnet`, over two back-ends:

- offline (``AUDIOML_OFFLINE=1``, or no ``tensorflow_hub``): the TFLite model of the data root
  (:func:`audioml.data.loaders.yamnet_files`), run on 0.975 s windows with a 0.48 s hop;
- online (e.g. on Colab): TF Hub's ``google/yamnet/1`` (float weights, its own framing).

Both give per-frame scores ``[n_frames, 521]``, embeddings ``[n_frames, 1024]`` and the
AudioSet class names. ``tensorflow_hub`` is imported only when the online back-end is used.
"""

from __future__ import annotations

import importlib.util
import os
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from audioml.errors import ParameterError

SAMPLE_RATE = 16000
WINDOW = 15600  # samples: 0.975 s, one YAMNet patch of 96 frames
HOP = 7680  # samples: 0.48 s, YAMNet's own patch hop
N_CLASSES, EMBEDDING_SIZE = 521, 1024
_EMBEDDING_TENSOR = "yamnet_frames/global_average_pooling2d/Mean"
_HUB_HANDLE = "https://tfhub.dev/google/yamnet/1"
POOLINGS = ("mean", "max", "mean+max")

_Runner = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class YamnetOutput:
    """YAMNet on one clip: ``scores`` (n_frames, 521) and ``embeddings`` (n_frames, 1024), float32."""

    scores: np.ndarray
    embeddings: np.ndarray


def check_waveform(waveform: np.ndarray, sr: int) -> np.ndarray:
    """The clip as float32 if YAMNet can take it; a ``ValueError`` that says the fix otherwise (chapter 8)."""
    if sr != SAMPLE_RATE:
        raise ValueError(
            f"YAMNet expects {SAMPLE_RATE} Hz audio, got sr={sr}; load the clip with "
            f"audioml.dsp.audio.load_audio(path, sr={SAMPLE_RATE}) or resample it first"
        )
    waveform = np.asarray(waveform)
    if waveform.ndim != 1:
        raise ValueError(f"YAMNet expects a mono signal (1-D array), got shape {waveform.shape}")
    if not np.issubdtype(waveform.dtype, np.floating):
        raise ValueError(
            f"YAMNet expects float samples in [-1, 1], got dtype {waveform.dtype}; divide 16-bit integers by 32768"
        )
    if waveform.shape[0] < WINDOW:
        raise ValueError(
            f"YAMNet needs at least {WINDOW} samples ({WINDOW / SAMPLE_RATE:.3f} s at 16 kHz), "
            f"got {waveform.shape[0]}; pad the clip (audioml.dsp.audio.fix_length)"
        )
    if not np.all(np.isfinite(waveform)):
        raise ValueError("the signal holds non-finite samples (NaN or inf)")
    if np.max(np.abs(waveform)) > 1.5:
        raise ValueError(f"samples reach {np.max(np.abs(waveform)):.1f}; YAMNet expects audio scaled to [-1, 1]")
    return waveform.astype(np.float32)


def frame_count(n_samples: int) -> int:
    """Number of YAMNet windows for ``n_samples``: the last one is zero-padded to cover the end (chapter 8)."""
    if n_samples < WINDOW:
        raise ValueError(f"a clip of {n_samples} samples is shorter than one YAMNet window ({WINDOW})")
    from audioml.dsp.features import frame_count as frames  # librosa loads only when needed

    return frames(n_samples, HOP, WINDOW)


def frame_waveform(waveform: np.ndarray) -> np.ndarray:
    """The windows YAMNet sees, shape ``(frame_count(n), 15600)``: hop 7680, zero-padded at the end."""
    n_frames = frame_count(len(waveform))
    padded = np.pad(waveform, (0, WINDOW + (n_frames - 1) * HOP - len(waveform)))
    return np.lib.stride_tricks.sliding_window_view(padded, WINDOW)[::HOP]


def _read_class_names(path: str | os.PathLike) -> list[str]:
    """The 521 AudioSet display names of a YAMNet class map CSV (index, mid, display_name)."""
    return pd.read_csv(path)["display_name"].tolist()


class Yamnet:
    """YAMNet behind one call, ``yamnet(waveform, sr)`` -> :class:`YamnetOutput` (chapter 8).

    ``source`` is ``"tflite"`` or ``"tfhub"``; ``class_names`` holds the 521 AudioSet labels.
    """

    def __init__(self, run: _Runner, class_names: Sequence[str], source: str) -> None:
        if len(class_names) != N_CLASSES:
            raise ValueError(f"expected {N_CLASSES} class names, got {len(class_names)}")
        self._run, self.class_names, self.source = run, list(class_names), source

    def __call__(self, waveform: np.ndarray, sr: int = SAMPLE_RATE) -> YamnetOutput:
        scores, embeddings = self._run(check_waveform(waveform, sr))
        return YamnetOutput(np.asarray(scores, np.float32), np.asarray(embeddings, np.float32))

    def top_classes(self, scores: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` best classes of one clip, by score averaged over its frames."""
        mean = np.asarray(scores).reshape(-1, N_CLASSES).mean(axis=0)
        return [(self.class_names[i], float(mean[i])) for i in np.argsort(mean)[::-1][:k]]

    def __repr__(self) -> str:
        return f"Yamnet(source={self.source!r}, {len(self.class_names)} classes)"


def _tflite_runner(model_path: Path) -> _Runner:
    import tensorflow as tf

    with warnings.catch_warnings():  # tf.lite.Interpreter's deprecation and debugging notices
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(
            model_path=str(model_path), num_threads=os.cpu_count(), experimental_preserve_all_tensors=True
        )  # same numbers at any thread count
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]["index"]
    scores = interpreter.get_output_details()[0]["index"]
    embedding = next(d["index"] for d in interpreter.get_tensor_details() if d["name"] == _EMBEDDING_TENSOR)

    def run(waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out_scores, out_embeddings = [], []
        for window in frame_waveform(waveform):
            interpreter.set_tensor(source, window[None, :])
            interpreter.invoke()
            out_scores.append(interpreter.get_tensor(scores)[0].copy())
            out_embeddings.append(interpreter.get_tensor(embedding)[0].copy())
        return np.stack(out_scores), np.stack(out_embeddings)

    return run


def _hub_model(handle: str):
    if importlib.util.find_spec("tensorflow_hub") is None:
        raise ImportError(
            "the online YAMNet needs tensorflow_hub (pip install tensorflow-hub), or use "
            "source='tflite' with the offline model of the data root"
        )
    import tensorflow_hub as hub

    model = hub.load(handle)
    path = model.class_map_path()
    path = path.numpy().decode() if hasattr(path, "numpy") else str(path)
    return model, _read_class_names(path)


def load_yamnet(source: str = "tflite", hub_handle: str = _HUB_HANDLE) -> Yamnet:
    """YAMNet from ``"tflite"`` or ``"tfhub"`` (chapters 8, 9, 12, 13).

    ``tflite``, the default, is the int8 model the book's numbers come from, online and offline
    alike: from the data root, or downloaded into the cache and checked against its pinned
    SHA-256. ``tfhub`` is TF Hub's float model (online, with ``tensorflow_hub``); its scores
    differ a little from the book's.
    """
    if source not in ("tflite", "tfhub"):
        raise ParameterError(f"source must be 'tflite' (the book's model) or 'tfhub', got {source!r}")
    if source == "tfhub":
        model, names = _hub_model(hub_handle)

        def run(waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            scores, embeddings, _ = model(waveform)
            return np.asarray(scores), np.asarray(embeddings)

        return Yamnet(run, names, "tfhub")
    from audioml.data.loaders import yamnet_files

    files = yamnet_files()
    return Yamnet(_tflite_runner(files["model"]), _read_class_names(files["class_map"]), "tflite")


def clip_outputs(
    frame: pd.DataFrame, yamnet: Yamnet, dataset: str, duration: float, progress: bool = True
) -> YamnetOutput:
    """YAMNet on every clip of ``frame`` (fixed to ``duration`` s), cached on disk (chapters 8, 12, 13).

    Returns stacked arrays ``scores`` (n_clips, n_frames, 521) and ``embeddings``
    (n_clips, n_frames, 1024) in the order of ``frame``. The cache (:func:`audioml.prep.cache.cached_per_clip`)
    holds one entry per clip content, per model file, back-end and duration; clips computed once
    (fast or full mode) are reused.
    """
    from audioml.data.loaders import yamnet_files
    from audioml.dsp.audio import load_audio
    from audioml.prep.cache import cached_per_clip
    from audioml.prep.fingerprint import file_digest

    names = [Path(p).name for p in frame["path"]]
    if len(set(names)) != len(names):
        raise ValueError("clip_outputs needs distinct file names (the cache matches rows by name)")
    model = file_digest(yamnet_files()["model"]) if yamnet.source == "tflite" else yamnet.source
    parts = {"model": model, "classes": yamnet.class_names, "duration": duration, "window": WINDOW, "hop": HOP}

    def compute(path: str) -> dict[str, np.ndarray]:
        out = yamnet(load_audio(path, sr=SAMPLE_RATE, duration=duration)[0], SAMPLE_RATE)
        return {"scores": out.scores, "embeddings": out.embeddings}

    found = cached_per_clip(
        [str(p) for p in frame["path"]], "embeddings", f"{dataset}-yamnet-{yamnet.source}", parts, compute, progress
    )
    return YamnetOutput(np.stack(found["scores"]), np.stack(found["embeddings"]))


def pool(embeddings: np.ndarray, how: str = "mean") -> np.ndarray:
    """One vector per clip from per-frame vectors ``(n_clips, n_frames, d)`` (chapters 8, 12).

    ``mean`` and ``max`` pool over frames; ``mean+max`` concatenates both (2d values).
    """
    embeddings = np.asarray(embeddings)
    if embeddings.ndim != 3:
        raise ValueError(f"expected (n_clips, n_frames, d), got shape {embeddings.shape}")
    if how not in POOLINGS:
        raise ValueError(f"how must be one of {POOLINGS}, got {how!r}")
    parts = {"mean": [embeddings.mean(axis=1)], "max": [embeddings.max(axis=1)]}
    parts["mean+max"] = parts["mean"] + parts["max"]
    return np.concatenate(parts[how], axis=1)


def mobilenet_block(layer_name: str) -> int:
    """Which of MobileNetV2's stages a layer belongs to: 0 the stem, 1-17 the inverted-residual
    blocks (``expanded_conv`` is 1, ``block_k`` is k + 1), 18 the last 1x1 convolution (chapter 8)."""
    if layer_name.startswith("expanded_conv"):
        return 1
    match = re.match(r"block_(\d+)_", layer_name)
    if match:
        return int(match.group(1)) + 1
    return 18 if layer_name.startswith(("Conv_1", "out_relu", "global")) else 0


def set_trainable(base, last_blocks: int | None) -> None:
    """Freeze MobileNetV2 ``base`` except its ``last_blocks`` stages (chapter 8).

    ``None`` trains every layer, ``0`` freezes them all; ``4`` trains blocks 15-17 and the last
    1x1 convolution. Frozen batch-norm layers run in inference mode (Keras 3). Recompile after.
    """
    base.trainable = True
    first = 0 if last_blocks is None else 19 - last_blocks
    for layer in base.layers:
        layer.trainable = mobilenet_block(layer.name) >= first


def build_mobilenet(
    input_shape: Sequence[int],
    n_classes: int,
    *,
    weights: str | None = None,
    alpha: float = 0.35,
    image_size: Sequence[int] | None = None,
    dropout: float = 0.2,
    bn_momentum: float = 0.9,
    name: str = "mobilenet",
):
    """An uncompiled MobileNetV2 classifier for log-mels ``(n_mels, n_frames)``; returns ``(model, base)`` (chapter 8).

    Each log-mel is standardised on its own, resized to ``image_size`` (height, width) if given,
    and copied into three channels (the network was designed for colour images).
    ``weights="imagenet"`` needs the internet. Batch-norm momentum
    is lowered from Keras' 0.999 to ``bn_momentum``: with a few hundred clips there are too
    few steps for running statistics that lag the weights by about a thousand steps.
    """
    import keras

    from audioml.models.layers import per_example_norm

    inputs = keras.Input(shape=tuple(input_shape), name="log_mel")
    x = keras.layers.Reshape((*input_shape[:2], 1), name="add_channel")(inputs)
    x = per_example_norm(x)
    size = tuple(image_size or input_shape[:2])
    if size != tuple(input_shape[:2]):
        x = keras.layers.Resizing(*size, name="resize")(x)
    x = keras.layers.Concatenate(name="three_channels")([x, x, x])
    with warnings.catch_warnings():  # non-square inputs: Keras loads the 224 x 224 ImageNet weights
        warnings.simplefilter("ignore")
        base = keras.applications.MobileNetV2(
            input_shape=(*size, 3), alpha=alpha, include_top=False, weights=weights, pooling="avg"
        )
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = bn_momentum
    x = keras.layers.Dropout(dropout, name="dropout")(base(x))
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name=name), base
