"""load_audio: mono float32 at a chosen rate and length, and an AudioFileError naming every bad file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from audioml.dsp.audio import fix_length, load_audio, load_batch
from audioml.errors import AudioFileError

pytestmark = pytest.mark.usefixtures("isolated_env")

PCM16_STEP = 1 / 32768


def write(path: Path, data: np.ndarray, sr: int, subtype: str = "PCM_16", **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data, sr, subtype=subtype, **kwargs)
    return path


def sine(sr: int, seconds: float, freq: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(sr * seconds))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(y: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spectrum)])


def test_mono_float32_at_the_native_rate(tmp_path: Path) -> None:
    original = sine(8000, 0.5)
    y, sr = load_audio(write(tmp_path / "a.wav", original, 8000))
    assert sr == 8000 and y.dtype == np.float32 and y.shape == (4000,)
    assert np.max(np.abs(y - original)) <= PCM16_STEP
    assert np.max(np.abs(y)) <= 1.0


def test_accepts_str_paths_and_other_formats(tmp_path: Path) -> None:
    original = sine(22050, 0.2)
    path = write(tmp_path / "a.flac", original, 22050)
    y, sr = load_audio(str(path))
    assert sr == 22050 and y.shape == original.shape and np.max(np.abs(y - original)) <= PCM16_STEP


@pytest.mark.parametrize(
    ("native", "target", "seconds"),
    [(8000, 16000, 0.5), (22050, 8000, 0.37), (44100, 22050, 0.25), (16000, 11025, 0.3)],
)
def test_resampling_keeps_duration_and_pitch(tmp_path: Path, native: int, target: int, seconds: float) -> None:
    path = write(tmp_path / "a.wav", sine(native, seconds, freq=1000.0), native)
    y, sr = load_audio(path, sr=target)
    assert sr == target and y.dtype == np.float32
    assert abs(len(y) - seconds * target) <= 1
    assert abs(peak_hz(y, target) - 1000.0) < 2 * target / len(y)
    assert 0.45 < np.max(np.abs(y)) < 0.55


def test_same_rate_is_not_resampled(tmp_path: Path) -> None:
    original = sine(8000, 0.1)
    y, _ = load_audio(write(tmp_path / "a.wav", original, 8000), sr=8000)
    assert np.max(np.abs(y - original)) <= PCM16_STEP


def test_stereo_becomes_the_channel_average(tmp_path: Path) -> None:
    left, right = sine(8000, 0.25, 440.0, 0.6), sine(8000, 0.25, 1000.0, 0.2)
    y, sr = load_audio(write(tmp_path / "s.wav", np.stack([left, right], axis=1), 8000))
    assert y.shape == (2000,) and y.dtype == np.float32
    assert np.max(np.abs(y - (left + right) / 2)) <= PCM16_STEP


@pytest.mark.parametrize(("duration", "sr"), [(1.0, None), (0.1, None), (0.5, None), (0.75, 16000), (0.123, 22050)])
def test_duration_pads_or_trims_exactly(tmp_path: Path, duration: float, sr: int | None) -> None:
    original = sine(8000, 0.5)
    y, rate = load_audio(write(tmp_path / "a.wav", original, 8000), sr=sr, duration=duration)
    assert rate == (sr or 8000)
    assert len(y) == int(round(duration * rate))
    if sr is None:
        kept = min(len(y), len(original))
        assert np.max(np.abs(y[:kept] - original[:kept])) <= PCM16_STEP
        assert not np.any(y[kept:]), "padding must be zeros"


def test_load_batch_stacks_clips_of_different_rates(tmp_path: Path) -> None:
    paths = [
        str(write(tmp_path / f"{i}.wav", sine(native, seconds), native))
        for i, (native, seconds) in enumerate([(8000, 0.3), (16000, 0.7), (22050, 0.5)])
    ]
    batch = load_batch(paths, sr=8000, duration=0.5)
    assert batch.shape == (3, 4000) and batch.dtype == np.float32


# --- errors that name the file -------------------------------------------------------------------


def assert_names(error: pytest.ExceptionInfo, path: Path, phrase: str) -> None:
    message = str(error.value)
    assert message.startswith(f"{path}: "), message
    assert phrase in message, message
    assert isinstance(error.value, ValueError)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.wav"
    with pytest.raises(AudioFileError) as caught:
        load_audio(path)
    assert_names(caught, path, "no such audio file")
    assert "AUDIOML_DATA" in str(caught.value)


def test_a_folder_is_not_an_audio_file(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError) as caught:
        load_audio(tmp_path)
    assert_names(caught, tmp_path, "is a directory, not an audio file")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioFileError) as caught:
        load_audio(path)
    assert_names(caught, path, "the file is empty (0 bytes)")


@pytest.mark.parametrize("garbage", [b"\x00\x01garbage" * 300, b"RIFF\x10\x00\x00\x00WAVEjunk", b"ID3" + b"x" * 50])
def test_corrupt_file(tmp_path: Path, garbage: bytes) -> None:
    path = tmp_path / "corrupt.wav"
    path.write_bytes(garbage)
    with pytest.raises(AudioFileError) as caught:
        load_audio(path)
    assert_names(caught, path, "cannot be decoded as audio")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_valid_header_with_zero_frames(tmp_path: Path) -> None:
    path = write(tmp_path / "zero.wav", np.zeros(0, dtype=np.float32), 8000)
    assert path.stat().st_size > 0
    with pytest.raises(AudioFileError) as caught:
        load_audio(path)
    assert_names(caught, path, "decodes to zero samples")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples(tmp_path: Path, bad: float) -> None:
    data = sine(8000, 0.1)
    data[[10, 500]] = bad
    path = write(tmp_path / "nan.wav", data, 8000, subtype="FLOAT")
    with pytest.raises(AudioFileError) as caught:
        load_audio(path)
    assert_names(caught, path, "holds 2 non-finite samples (NaN/inf)")


def test_non_finite_in_one_stereo_channel(tmp_path: Path) -> None:
    data = np.stack([sine(8000, 0.1), sine(8000, 0.1)], axis=1)
    data[7, 1] = np.nan
    path = write(tmp_path / "nan2.wav", data, 8000, subtype="FLOAT")
    with pytest.raises(AudioFileError, match="holds 1 non-finite"):
        load_audio(path)


def test_wrong_expected_rate(tmp_path: Path) -> None:
    path = write(tmp_path / "a.wav", sine(16000, 0.1), 16000)
    with pytest.raises(AudioFileError) as caught:
        load_audio(path, expected_sr=8000)
    assert_names(caught, path, "sample rate is 16000 Hz, expected 8000 Hz")
    assert load_audio(path, expected_sr=16000)[1] == 16000


@pytest.mark.parametrize("sr", [0, -8000])
def test_non_positive_target_rate(tmp_path: Path, sr: int) -> None:
    path = write(tmp_path / "a.wav", sine(8000, 0.1), 8000)
    with pytest.raises(ValueError, match=re.escape(f"got {sr}")):
        load_audio(path, sr=sr)


# --- fix_length ----------------------------------------------------------------------------------

arrays = hnp.arrays(
    np.float32, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=40), elements=st.floats(-1, 1, width=32)
)


@settings(max_examples=60, deadline=None, database=None)
@given(samples=arrays, n=st.integers(1, 80))
def test_fix_length_properties(samples: np.ndarray, n: int) -> None:
    out = fix_length(samples, n)
    assert out.shape == samples.shape[:-1] + (n,)
    assert out.dtype == samples.dtype
    kept = min(n, samples.shape[-1])
    np.testing.assert_array_equal(out[..., :kept], samples[..., :kept])
    assert not np.any(out[..., kept:])
    np.testing.assert_array_equal(fix_length(out, n), out)  # idempotent


@settings(max_examples=20, deadline=None, database=None)
@given(n=st.integers(-5, 0))
def test_fix_length_refuses_non_positive_lengths(n: int) -> None:
    with pytest.raises(ValueError, match=f"got {n}"):
        fix_length(np.ones(4, dtype=np.float32), n)
