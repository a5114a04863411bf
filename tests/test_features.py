"""Features against librosa oracles and closed forms; parameter validation; the on-disk feature cache."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import pytest

import audioml.prep.cache as cache_module
from audioml.dsp.features import (
    ESC,
    FSDD,
    FeatureParams,
    log_mel,
    log_mel_batch,
    mel_basis,
    mel_power,
    mfcc,
    rms,
    summary_stats,
    zcr,
)
from audioml.errors import ParameterError
from audioml.prep.cache import cache_key, cached_features

pytestmark = pytest.mark.usefixtures("isolated_env")
PRESETS = pytest.mark.parametrize("params", [FSDD, ESC], ids=["FSDD", "ESC"])


def signal(params: FeatureParams, seconds: float = 0.6, seed: int = 0) -> np.ndarray:
    """A tone plus noise with a silent gap, so the top_db floor matters."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * params.sr)) / params.sr
    y = 0.4 * np.sin(2 * np.pi * 300 * t) + 0.05 * rng.standard_normal(t.size)
    y[len(y) // 3 : len(y) // 2] = 0.0
    return y.astype(np.float32)


def librosa_kwargs(params: FeatureParams) -> dict:
    return dict(
        sr=params.sr,
        n_fft=params.n_fft,
        hop_length=params.hop_length,
        n_mels=params.n_mels,
        fmin=params.fmin,
        fmax=params.fmax,
    )


def n_frames(y: np.ndarray, params: FeatureParams) -> int:
    return 1 + len(y) // params.hop_length


# --- librosa oracles -----------------------------------------------------------------------------


@PRESETS
def test_log_mel_matches_librosa(params: FeatureParams) -> None:
    y = signal(params)
    oracle = librosa.power_to_db(
        librosa.feature.melspectrogram(y=y, **librosa_kwargs(params)), ref=1.0, top_db=params.top_db
    )
    got = log_mel(y, params)
    assert got.dtype == np.float32 and got.shape == (params.n_mels, n_frames(y, params))
    np.testing.assert_allclose(got, oracle, atol=1e-4)
    assert got.max() - got.min() <= params.top_db + 1e-3
    np.testing.assert_allclose(
        mel_power(y, params), librosa.feature.melspectrogram(y=y, **librosa_kwargs(params)), rtol=1e-5
    )


@PRESETS
def test_a_batch_is_each_clip_alone_and_the_basis_is_built_once(params: FeatureParams) -> None:
    rng = np.random.default_rng(4)
    loud, quiet = signal(params), 1e-3 * rng.standard_normal(signal(params).size).astype(np.float32)
    batch = log_mel_batch(np.stack([loud, quiet]), params)
    np.testing.assert_allclose(batch[0], log_mel(loud, params), atol=1e-4)
    np.testing.assert_allclose(batch[1], log_mel(quiet, params), atol=1e-4)  # its own top_db floor
    assert mel_basis(params) is mel_basis(params) and not mel_basis(params).flags.writeable
    np.testing.assert_array_equal(
        mel_basis(params),
        librosa.filters.mel(
            **{k: v for k, v in librosa_kwargs(params).items() if k in ("sr", "n_fft", "n_mels", "fmin", "fmax")}
        ),
    )
    with pytest.raises(ParameterError, match="batch of mono signals"):
        log_mel_batch(loud, params)


def test_log_mel_respects_fmin_fmax_and_top_db() -> None:
    params = dataclasses.replace(FSDD, fmin=100.0, fmax=3000.0, n_mels=32, top_db=60.0)
    y = signal(params)
    oracle = librosa.power_to_db(librosa.feature.melspectrogram(y=y, **librosa_kwargs(params)), top_db=60.0)
    got = log_mel(y, params)
    np.testing.assert_allclose(got, oracle, atol=1e-4)
    assert got.shape[0] == 32 and got.max() - got.min() <= 60.0 + 1e-3


@PRESETS
def test_mfcc_matches_librosa(params: FeatureParams) -> None:
    y = signal(params)
    oracle = librosa.feature.mfcc(y=y, n_mfcc=params.n_mfcc, **librosa_kwargs(params))
    got = mfcc(y, params)
    assert got.dtype == np.float32 and got.shape == (params.n_mfcc, n_frames(y, params))
    np.testing.assert_allclose(got, oracle, rtol=1e-4, atol=1e-2)


@PRESETS
def test_rms_and_zcr_match_librosa(params: FeatureParams) -> None:
    y = signal(params)
    energy, crossings = rms(y, params), zcr(y, params)
    assert energy.shape == crossings.shape == (n_frames(y, params),)
    np.testing.assert_allclose(
        energy, librosa.feature.rms(y=y, frame_length=params.n_fft, hop_length=params.hop_length)[0], rtol=1e-6
    )
    np.testing.assert_allclose(
        crossings, librosa.feature.zero_crossing_rate(y, frame_length=params.n_fft, hop_length=params.hop_length)[0]
    )


@pytest.mark.parametrize(("amplitude", "freq"), [(0.5, 250.0), (0.1, 1000.0), (0.9, 440.0)])
def test_rms_and_zcr_of_a_sine_have_closed_forms(amplitude: float, freq: float) -> None:
    t = np.arange(FSDD.sr) / FSDD.sr
    y = (amplitude * np.sin(2 * np.pi * freq * t + 0.3)).astype(np.float32)
    inner = slice(5, -5)  # away from the padded edges
    np.testing.assert_allclose(rms(y, FSDD)[inner], amplitude / np.sqrt(2), rtol=0.02)
    np.testing.assert_allclose(zcr(y, FSDD)[inner], 2 * freq / FSDD.sr, atol=1.5 / FSDD.n_fft)


def test_silence_has_no_energy_and_log_mel_is_floored() -> None:
    y = np.zeros(FSDD.sr // 2, dtype=np.float32)
    assert not np.any(rms(y, FSDD)) and not np.any(zcr(y, FSDD))
    assert np.all(np.isfinite(log_mel(y, FSDD)))


def test_summary_stats_are_finite_scalars() -> None:
    stats = summary_stats(signal(FSDD), FSDD)
    assert list(stats)[:4] == ["rms_mean", "rms_std", "zcr_mean", "zcr_std"]
    assert [k for k in stats if k.startswith("mfcc")] == [f"mfcc{i}_mean" for i in range(FSDD.n_mfcc)]
    assert all(isinstance(v, float) and np.isfinite(v) for v in stats.values())


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "phrase"),
    [
        ({"n_fft": 0}, "FeatureParams.n_fft must be a positive integer, got 0"),
        ({"n_fft": -256}, "FeatureParams.n_fft must be a positive integer, got -256"),
        ({"hop_length": 80.0}, "FeatureParams.hop_length must be a positive integer, got 80.0"),
        ({"sr": 0}, "FeatureParams.sr must be a positive integer, got 0"),
        ({"n_mels": 0}, "FeatureParams.n_mels must be a positive integer, got 0"),
        ({"fmax": 5000.0}, "FeatureParams.fmax=5000.0 is above the Nyquist frequency 4000.0 of sr=8000"),
        ({"fmax": 0.0}, "fmin=0.0, fmax=0.0"),
        ({"fmin": 3000.0, "fmax": 2000.0}, "fmin=3000.0, fmax=2000.0"),
        ({"fmin": -1.0}, "fmin=-1.0"),
        ({"fmin": 4000.0}, "fmin=4000.0, fmax=None"),
        ({"n_mfcc": 41}, "FeatureParams.n_mfcc=41 exceeds n_mels=40"),
    ],
)
def test_invalid_params_name_the_value(changes: dict, phrase: str) -> None:
    with pytest.raises(ValueError, match=re.escape(phrase)):
        dataclasses.replace(FSDD, **changes)


def test_presets_and_valid_edge_values() -> None:
    assert (FSDD.sr, FSDD.n_fft, FSDD.hop_length) == (8000, 256, 80)
    assert (ESC.sr, ESC.n_fft, ESC.hop_length, ESC.n_mels) == (22050, 1024, 512, 64)
    assert FeatureParams(fmax=4000.0).fmax == 4000.0 and FeatureParams(n_mfcc=40).n_mfcc == 40
    assert FeatureParams(n_fft=np.int64(512)).n_fft == 512
    assert FSDD.as_dict()["n_mels"] == 40


@pytest.mark.parametrize("feature", [log_mel, mfcc, rms, zcr, mel_power])
def test_too_short_signal_names_length_and_n_fft(feature) -> None:
    with pytest.raises(ValueError, match=re.escape("signal has 200 samples, fewer than n_fft=256 (32 ms)")):
        feature(np.zeros(200, dtype=np.float32), FSDD)


def test_bad_signals() -> None:
    with pytest.raises(ValueError, match=re.escape("got shape (2, 1000)")):
        log_mel(np.zeros((2, 1000), dtype=np.float32), FSDD)
    y = signal(FSDD)
    y[3] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        log_mel(y, FSDD)
    assert log_mel(np.zeros(256), FSDD).shape == (40, 4)  # exactly n_fft samples is enough; float64 accepted


# --- the feature cache ---------------------------------------------------------------------------


@pytest.fixture
def clip_frame(tmp_path: Path, write_wav) -> pd.DataFrame:
    specs = [
        ("sine", 8000, 0.3),
        ("noise", 8000, 0.5),
        ("noise", 16000, 0.2),
        ("sine", 22050, 0.4),
        ("noise", 8000, 0.25),
    ]
    paths = [
        str(write_wav(tmp_path / "clips" / f"{i}_clip.wav", kind, sr, s, seed=i))
        for i, (kind, sr, s) in enumerate(specs)
    ]
    return pd.DataFrame({"path": paths, "label": list("ababa")})


@pytest.fixture
def load_count(monkeypatch) -> list[str]:
    loaded: list[str] = []
    original = cache_module.load_audio

    def counted(path, *args, **kwargs):
        loaded.append(str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(cache_module, "load_audio", counted)
    return loaded


def test_cached_features_computes_once(clip_frame: pd.DataFrame, load_count: list[str], isolated_env: Path) -> None:
    first = cached_features(clip_frame, "toy", log_mel, FSDD, duration=0.3, progress=False)
    assert first.shape == (5, 40, 31) and first.dtype == np.float32 and len(load_count) == 5
    for i, path in enumerate(clip_frame["path"]):  # the rows follow the frame
        from audioml.dsp.audio import load_audio

        np.testing.assert_array_equal(first[i], log_mel(load_audio(path, sr=8000, duration=0.3)[0], FSDD))
    stored = list((isolated_env / "features").iterdir())
    assert len(stored) == 1 and stored[0].name.startswith("toy-log_mel-") and stored[0].suffix == ".npz"
    load_count.clear()
    second = cached_features(clip_frame, "toy", log_mel, FSDD, duration=0.3, progress=False)
    assert load_count == [], "the second call must load from the cache"
    np.testing.assert_array_equal(second, first)


def test_cache_follows_the_frame_order(clip_frame: pd.DataFrame, load_count: list[str]) -> None:
    first = cached_features(clip_frame, "toy", rms, FSDD, duration=0.3, progress=False)
    order = [3, 0, 4, 1, 2]
    shuffled = clip_frame.iloc[order].reset_index(drop=True)
    load_count.clear()
    again = cached_features(shuffled, "toy", rms, FSDD, duration=0.3, progress=False)
    assert load_count == []
    np.testing.assert_array_equal(again, first[order])


def test_cold_order_does_not_matter(clip_frame: pd.DataFrame, tmp_path: Path, monkeypatch) -> None:
    shuffled = clip_frame.iloc[::-1].reset_index(drop=True)
    reversed_first = cached_features(shuffled, "toy", zcr, FSDD, duration=0.3, progress=False)
    monkeypatch.setenv("AUDIOML_CACHE", str(tmp_path / "other-cache"))
    straight_first = cached_features(clip_frame, "toy", zcr, FSDD, duration=0.3, progress=False)
    np.testing.assert_array_equal(reversed_first[::-1], straight_first)


def test_cache_key_changes_with_everything_that_matters(clip_frame: pd.DataFrame) -> None:
    parts = dict(dataset="toy", feature="log_mel", params=FSDD.as_dict(), duration=0.3, files=[("a.wav", "1")])
    base = cache_key(**parts)
    assert base == cache_key(**dict(reversed(parts.items())))
    variants = [
        dict(parts, params=dataclasses.replace(FSDD, n_mels=64).as_dict()),
        dict(parts, duration=0.5),
        dict(parts, duration=None),
        dict(parts, feature="mfcc"),
        dict(parts, dataset="other"),
        dict(parts, files=[("a.wav", "2")]),
        dict(parts, files=[("b.wav", "1")]),
    ]
    assert len({base, *(cache_key(**v) for v in variants)}) == len(variants) + 1


def test_an_edited_feature_function_is_recomputed(clip_frame: pd.DataFrame, load_count: list[str]) -> None:
    def loudness(y: np.ndarray, params: FeatureParams) -> np.ndarray:
        return rms(y, params)

    first = cached_features(clip_frame, "toy", loudness, FSDD, duration=0.3, progress=False)

    def loudness(y: np.ndarray, params: FeatureParams) -> np.ndarray:  # same name, new body
        return 2 * rms(y, params)

    load_count.clear()
    second = cached_features(clip_frame, "toy", loudness, FSDD, duration=0.3, progress=False)
    assert len(load_count) == 5, "an edited function must not get its old version's cached values"
    np.testing.assert_allclose(second, 2 * first)


def test_new_params_recompute(clip_frame: pd.DataFrame, load_count: list[str], isolated_env: Path) -> None:
    a = cached_features(clip_frame, "toy", log_mel, FSDD, duration=0.3, progress=False)
    b = cached_features(clip_frame, "toy", log_mel, dataclasses.replace(FSDD, n_mels=32), duration=0.3, progress=False)
    assert len(load_count) == 10 and a.shape[1] == 40 and b.shape[1] == 32
    assert len(list((isolated_env / "features").glob("*.npz"))) == 2
    assert not [p for p in (isolated_env / "features").iterdir() if ".part" in p.name]


def test_duplicate_file_names_are_refused(clip_frame: pd.DataFrame, tmp_path: Path, write_wav) -> None:
    twin = write_wav(tmp_path / "elsewhere" / Path(clip_frame["path"][0]).name, "noise", 8000, 0.3, seed=9)
    frame = pd.concat([clip_frame, pd.DataFrame({"path": [str(twin)], "label": ["a"]})], ignore_index=True)
    with pytest.raises(ValueError, match=re.escape("distinct file names, but 1 repeat (e.g. 0_clip.wav)")):
        cached_features(frame, "toy", rms, FSDD, duration=0.3, progress=False)


def test_unequal_shapes_without_duration(clip_frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError):
        cached_features(clip_frame, "toy", log_mel, FSDD, duration=None, progress=False)


def test_key_follows_the_package_code(monkeypatch) -> None:
    from audioml.prep import cache

    before = cache.cache_key(feature="log_mel")
    monkeypatch.setattr(cache, "package_digest", lambda: "edited")
    assert cache.cache_key(feature="log_mel") != before, "an edit to the package must invalidate the cache"


# --- validation of parameters and signals (issue 13) ----------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"top_db": float("nan")}, r"top_db must be a positive number of dB .* got nan"),
        ({"top_db": -10.0}, "top_db must be a positive"),
        ({"top_db": float("inf")}, "top_db"),
        ({"n_mels": 512}, r"n_mels=512 with n_fft=256 at sr=8000 leaves 260 of 512 mel bands empty .*at most 151"),
        ({"fmin": float("nan")}, "fmin must be in"),
        ({"n_fft": 0}, "n_fft must be a positive integer"),
    ],
)
def test_bad_params_are_refused(changes: dict, message: str) -> None:
    from audioml.errors import ParameterError

    with pytest.raises(ParameterError, match=message):
        dataclasses.replace(FSDD, **changes)


def test_no_top_db_floor_is_allowed() -> None:
    y = signal(FSDD)
    np.testing.assert_allclose(
        log_mel(y, dataclasses.replace(FSDD, top_db=None)),
        librosa.power_to_db(mel_power(y, FSDD), ref=1.0, top_db=None),
        atol=1e-4,
    )


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.uint8, bool, np.complex64])
@pytest.mark.parametrize("feature", [log_mel, mfcc, rms, zcr])
def test_integer_pcm_is_refused(dtype, feature) -> None:
    from audioml.errors import ParameterError

    pcm = (signal(FSDD) * 32767).astype(dtype)
    scale = {
        np.int16: "divide by 32768",
        np.int32: "divide by 2147483648",
        np.uint8: "subtract 128, then divide by 128",
    }.get(dtype, "")
    with pytest.raises(ParameterError, match=f"expected float samples in \\[-1, 1\\], got dtype .*{scale}"):
        feature(pcm, FSDD)
