"""Audio fault injection (issue 13): truncated, unreadable, odd and oversized files; bounded reads."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import audioml.dsp.audio as audio_module
from audioml.dsp.audio import declared_wav_frames, load_audio
from audioml.errors import AudioFileError, ParameterError

pytestmark = pytest.mark.usefixtures("isolated_env")


def noise(n: int, channels: int = 1, seed: int = 0) -> np.ndarray:
    data = np.random.default_rng(seed).uniform(-0.5, 0.5, (n, channels)).astype(np.float32)
    return data[:, 0] if channels == 1 else data


def write(path: Path, data: np.ndarray, sr: int, subtype: str = "PCM_16") -> Path:
    sf.write(path, data, sr, subtype=subtype)
    return path


def truncated_wav(tmp_path: Path, keep: int = 989, total: int = 2000) -> Path:
    full = write(tmp_path / "full.wav", noise(total), 8000)
    path = tmp_path / "cut.wav"
    path.write_bytes(full.read_bytes()[: 44 + 2 * keep])  # a dropped download: header says 2000
    return path


@pytest.mark.parametrize("kwargs", [{}, {"duration": 0.05}, {"sr": 16000}, {"offset": 0.01, "duration": 0.01}])
def test_truncated_wav_names_the_file_and_both_counts(tmp_path: Path, kwargs: dict) -> None:
    path = truncated_wav(tmp_path)
    with pytest.raises(AudioFileError, match=rf"{path}: truncated: its header declares 2000 samples .* holds 989"):
        load_audio(path, **kwargs)


def test_truncated_flac_is_an_error(tmp_path: Path) -> None:
    full = write(tmp_path / "full.flac", noise(20000), 8000)
    path = tmp_path / "cut.flac"
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(AudioFileError, match=rf"{path}: (truncated|cannot be decoded)"):
        load_audio(path)


def test_declared_frames_of_a_header() -> None:
    header = (
        b"RIFF"
        + (36 + 8000).to_bytes(4, "little")
        + b"WAVEfmt "
        + (16).to_bytes(4, "little")
        + bytes.fromhex("0100 0200 401f0000 007d0000 0400 1000")
        + b"data"
        + (8000).to_bytes(4, "little")
    )
    assert declared_wav_frames(header) == 2000  # stereo 16-bit: 4 bytes a frame
    assert declared_wav_frames(header[:-4] + b"\xff\xff\xff\xff") is None  # streaming: length unknown
    assert declared_wav_frames(b"fLaC" + bytes(40)) is None


def test_permission_denied_says_so(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path / "a.wav", noise(800), 8000)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(audio_module, "open", denied, raising=False)  # root may read anything: simulate
    with pytest.raises(AudioFileError, match=rf"{path}: permission denied; .*chmod") as caught:
        load_audio(path)
    assert "corrupt" not in str(caught.value)


def test_a_directory_says_so(tmp_path: Path) -> None:
    (tmp_path / "clip.wav").mkdir()
    with pytest.raises(AudioFileError, match=r"clip.wav: is a directory, not an audio file"):
        load_audio(tmp_path / "clip.wav")


def test_a_ten_hertz_header_is_refused_cheaply(tmp_path: Path) -> None:
    path = write(tmp_path / "slow.wav", noise(80_000), 10)  # 160 kB that would become 64 M samples at 8 kHz
    tracemalloc.start()
    with pytest.raises(AudioFileError, match=rf"{path}: its header claims a sample rate of 10 Hz"):
        load_audio(path, sr=8000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5e6


def test_only_the_needed_frames_are_read(tmp_path: Path) -> None:
    path = write(tmp_path / "long.wav", noise(30 * 44100, channels=2), 44100)  # 10.6 MB as float32
    tracemalloc.start()
    y, sr = load_audio(path, sr=8000, duration=1.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (y.shape, sr) == ((8000,), 8000)
    assert peak < 2.5e6, f"peak {peak / 1e6:.1f} MB for a 1 s clip"


@pytest.mark.parametrize(
    ("native", "target"), [(44100, 8000), (22050, 16000), (8000, 16000), (7999, 8000), (48000, 22050), (11025, 11025)]
)
def test_bounded_read_equals_the_whole_file(tmp_path: Path, native: int, target: int) -> None:
    path = write(tmp_path / "a.wav", noise(3 * native, channels=2, seed=native), native)
    whole, _ = load_audio(path, sr=target)
    for duration in (0.5, 1.0, 2.9, 10.0):
        part, _ = load_audio(path, sr=target, duration=duration)
        n = min(len(whole), int(round(duration * target)))
        np.testing.assert_array_equal(part[:n], whole[:n])
        assert not part[n:].any()


def test_offset_reads_from_the_middle(tmp_path: Path) -> None:
    data = noise(8000)
    path = write(tmp_path / "a.wav", data, 8000, subtype="FLOAT")
    y, _ = load_audio(path, offset=0.5, duration=0.25)
    np.testing.assert_array_equal(y, data[4000:6000])
    np.testing.assert_array_equal(load_audio(path, offset=0.9, duration=0.5)[0], np.r_[data[7200:], np.zeros(3200)])
    with pytest.raises(ParameterError, match=r"offset=2.0 s is past the end of .*a.wav \(1.000 s\)"):
        load_audio(path, offset=2.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration": float("nan")}, "duration must be a positive"),
        ({"duration": -1.0}, "duration must be a positive"),
        ({"duration": 0}, "duration must be a positive"),
        ({"offset": -0.5}, "offset must be a non-negative"),
        ({"offset": float("inf")}, "offset must be"),
        ({"sr": float("nan")}, "sr must be a positive"),
        ({"sr": -8000}, "sr must be a positive"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    path = write(tmp_path / "a.wav", noise(800), 8000)
    with pytest.raises(ParameterError, match=message):
        load_audio(path, **kwargs)


@pytest.mark.parametrize("case", ["empty", "garbage", "zero-frames", "nan", "inf"])
def test_bad_files_are_named(tmp_path: Path, case: str) -> None:
    path = tmp_path / f"{case}.wav"
    if case == "empty":
        path.write_bytes(b"")
    elif case == "garbage":
        path.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" * 10)
    elif case == "zero-frames":
        write(path, np.zeros(0, dtype=np.float32), 8000)
    else:
        data = noise(800)
        data[3] = np.nan if case == "nan" else np.inf
        write(path, data, 8000, subtype="FLOAT")
    phrase = {
        "empty": r"empty \(0 bytes\)",
        "garbage": "cannot be decoded",
        "zero-frames": "zero samples",
        "nan": "1 non-finite",
        "inf": "1 non-finite",
    }[case]
    with pytest.raises(AudioFileError, match=rf"{path}: .*{phrase}"):
        load_audio(path, sr=16000, duration=0.05)


def test_stereo_and_odd_rates_load(tmp_path: Path) -> None:
    stereo = noise(7999, channels=2)
    path = write(tmp_path / "odd.wav", stereo, 7999, subtype="FLOAT")
    y, sr = load_audio(path)
    np.testing.assert_allclose(y, stereo.mean(axis=1), atol=1e-7)
    y, sr = load_audio(path, sr=8000, duration=1.0)
    assert sr == 8000 and y.shape == (8000,) and y.dtype == np.float32
