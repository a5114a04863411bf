"""The loaders on the real offline data root, and the FSDD log-mel cache time bar.

Skipped when no data root is found (see the ``real_data`` fixture in conftest.py).
Run with ``-s`` to see the measured cache times.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from audioml.data import loaders
from audioml.data.datasets import dataset_dir
from audioml.data.splits import assert_no_leakage, fold_split, fsdd_official_split
from audioml.data.tables import STANDARD_COLUMNS
from audioml.dsp.audio import load_audio
from audioml.dsp.features import FSDD, log_mel
from audioml.prep.cache import cached_features

pytestmark = [pytest.mark.data, pytest.mark.usefixtures("real_data")]

COLD_LIMIT_S = 20.0
WARM_LIMIT_S = 2.0


def assert_standard(frame, root: Path, folder: str) -> None:
    assert list(frame.columns[:7]) == STANDARD_COLUMNS
    assert frame["path"].is_unique
    assert frame["path"].map(lambda p: Path(p).is_absolute() and Path(p).is_file()).all()
    assert frame["path"].str.startswith(str(root / folder) + "/").all()


def test_resolves_to_the_data_root(real_data: Path, isolated_env: Path) -> None:
    assert dataset_dir("fsdd") == real_data / "fsdd"
    assert not (isolated_env / "datasets").exists(), "nothing may be downloaded or copied into the cache"


def test_fsdd(real_data: Path) -> None:
    frame = loaders.load_fsdd()
    assert_standard(frame, real_data, "fsdd")
    assert len(frame) == 3000
    assert sorted(frame["speaker"].unique()) == ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]
    assert sorted(frame["label"].unique()) == list(range(10))
    assert (frame.groupby(["speaker", "digit"]).size() == 50).all()
    assert (frame["split"] == "test").sum() == 300
    train, test = fsdd_official_split(frame)
    assert (len(train), len(test)) == (2700, 300) and set(test["take"]) == {0, 1, 2, 3, 4}
    assert set(test["path"]) == set(frame.loc[frame["split"] == "test", "path"])
    assert_no_leakage(train, test, groups=("path", "source_clip"))
    for path in frame["path"].iloc[::600]:
        y, sr = load_audio(path, expected_sr=8000)
        assert sr == 8000 and y.dtype == np.float32 and 0 < len(y) < 8000 * 3


def test_esc10(real_data: Path) -> None:
    frame = loaders.load_esc10()
    assert_standard(frame, real_data, "esc10")
    assert len(frame) == 400 and frame["label"].nunique() == 10
    assert sorted(frame["fold"].unique()) == [1, 2, 3, 4, 5]
    assert (frame.groupby("label").size() == 40).all() and (frame.groupby("fold").size() == 80).all()
    assert frame["is_dog"].sum() == 40 and frame["speaker"].isna().all()
    for fold in range(1, 6):  # clips cut from one recording stay in one fold
        train, test = fold_split(frame, fold)
        assert_no_leakage(train, test, groups=("source_clip",))
    y, sr = load_audio(frame["path"].iloc[0], sr=22050, duration=5.0)
    assert (sr, len(y)) == (22050, 110250)


def test_esc50_fold(real_data: Path) -> None:
    frame = loaders.load_esc50_fold()
    assert_standard(frame, real_data, "esc50_fold4")
    assert len(frame) == 414
    fold4 = frame[frame["fold"] == 4]
    assert len(fold4) == 400 and fold4["label"].nunique() == 50 and (fold4.groupby("label").size() == 8).all()
    assert {"esc10", "target", "is_dog"} <= set(frame.columns)
    assert frame["is_dog"].sum() == 8 and sorted(frame["target"].unique()) == list(range(50))


def test_speech_and_noise(real_data: Path) -> None:
    frame = loaders.load_speech_noise()
    assert_standard(frame, real_data, "speech_noise_samples")
    assert len(frame) == 8
    assert frame["label"].value_counts().to_dict() == {"speech": 6, "noise": 2}
    assert sorted(frame["speaker"].dropna().unique()) == ["aew", "axb"]
    y, sr = load_audio(frame.loc[frame["label"] == "speech", "path"].iloc[0], expected_sr=16000)
    assert sr == 16000 and len(y) > 16000


def test_yamnet_files(real_data: Path) -> None:
    files = loaders.yamnet_files()
    assert set(files) == {"model", "class_map"}
    assert files["model"] == real_data / "models" / "yamnet" / "yamnet.tflite"
    assert files["model"].stat().st_size > 1_000_000
    assert len(files["class_map"].read_text().splitlines()) == 522  # header + 521 classes


def test_librosa_example_resolves_in_the_data_root(real_data: Path) -> None:
    path = Path(loaders.example("trumpet"))
    assert path.is_file() and path.is_relative_to(real_data / "librosa_examples")
    y, sr = load_audio(path)
    assert sr == 22050 and len(y) > sr
    with pytest.raises(KeyError, match="unknown librosa example 'trombone'; known: .*trumpet"):
        loaders.example("trombone")


def test_fsdd_log_mel_cache_time_bar(real_data: Path, isolated_env: Path) -> None:
    frame = loaders.load_fsdd()
    log_mel(load_audio(frame["path"].iloc[0], sr=FSDD.sr, duration=1.0)[0], FSDD)  # warm numba and librosa
    start = time.perf_counter()
    cold = cached_features(frame, "fsdd", log_mel, FSDD, duration=1.0, progress=False)
    cold_s = time.perf_counter() - start
    start = time.perf_counter()
    warm = cached_features(frame, "fsdd", log_mel, FSDD, duration=1.0, progress=False)
    warm_s = time.perf_counter() - start
    print(
        f"\nFSDD log-mel, {len(frame)} clips: cold {cold_s:.2f} s (bar {COLD_LIMIT_S:.0f} s), "
        f"from cache {warm_s:.2f} s (bar {WARM_LIMIT_S:.0f} s)"
    )
    assert cold.shape == (3000, FSDD.n_mels, 101) and cold.dtype == np.float32
    np.testing.assert_array_equal(warm, cold)
    assert cold_s <= COLD_LIMIT_S, f"computing all FSDD log-mels took {cold_s:.1f} s"
    assert warm_s <= WARM_LIMIT_S, f"loading FSDD log-mels from the cache took {warm_s:.2f} s"
