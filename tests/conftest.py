"""Fixtures shared by the unit tests of the ``audioml`` package.

- ``isolated_env``: a per-test environment (cache in ``tmp_path``, no data root, online,
  default results folder). The package tests opt in with
  ``pytestmark = pytest.mark.usefixtures("isolated_env")``; the notebook tests do not,
  because they run chapters against the ``AUDIOML_DATA`` that ``make`` exports.
- ``make_fixture_folder``: writes a few small real WAV files and their ``manifest.csv``.
- ``real_data``: the offline data root (``$AUDIOML_DATA_TEST`` or ``../shared/data``), or a skip.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import settings

from audioml.data.integrity import write_manifest

# CI replays the same property-test examples on every run, so a red build always means a change;
# developers keep hypothesis's random search (a new failing example is printed with its seed).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

#: Where CI and developers keep the shared data root: next to the clone.
DEFAULT_REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_DATA_ENV = "AUDIOML_DATA_TEST"

#: The fixture folder: name -> (kind, sample rate, seconds, channels).
FIXTURE_CLIPS: dict[str, tuple[str, int, float, int]] = {
    "recordings/0_alice_0.wav": ("sine", 8000, 0.5, 1),
    "recordings/1_alice_1.wav": ("noise", 8000, 0.4, 1),
    "recordings/2_bob_0.wav": ("sine", 16000, 0.3, 1),
    "recordings/3_bob_1.wav": ("noise", 22050, 0.25, 2),
}


def tone(sr: int, seconds: float, freq: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    """A float32 sine tone."""
    t = np.arange(int(round(sr * seconds))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def noise(sr: int, seconds: float, seed: int = 0, amplitude: float = 0.3) -> np.ndarray:
    """Float32 uniform white noise in [-amplitude, amplitude]."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-amplitude, amplitude, int(round(sr * seconds))).astype(np.float32)


def write_clip(path: Path, kind: str, sr: int, seconds: float, channels: int = 1, seed: int = 0) -> Path:
    """Write one PCM-16 WAV clip (a 440 Hz tone or white noise) to ``path``."""
    mono = tone(sr, seconds) if kind == "sine" else noise(sr, seconds, seed)
    data = np.stack([mono, 0.5 * mono], axis=1) if channels == 2 else mono
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data, sr, subtype="PCM_16")
    return path


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: cache under ``tmp_path``; no data root, offline switch or results folder."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUDIOML_CACHE", str(cache))
    for name in ("AUDIOML_DATA", "AUDIOML_OFFLINE", "AUDIOML_RESULTS"):
        monkeypatch.delenv(name, raising=False)
    for name in ("no_proxy", "NO_PROXY"):  # the local test servers must not go through a proxy
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    return cache


@pytest.fixture
def make_fixture_folder(tmp_path: Path) -> Callable[..., Path]:
    """A builder: ``make_fixture_folder(name="fsdd")`` writes the clips and manifest, returns the folder."""

    def build(
        name: str = "fixture", clips: dict[str, tuple[str, int, float, int]] | None = None, parent: Path | None = None
    ) -> Path:
        folder = (parent or tmp_path / "datasets") / name
        clips = FIXTURE_CLIPS if clips is None else clips
        for seed, (relative, (kind, sr, seconds, channels)) in enumerate(clips.items()):
            write_clip(folder / relative, kind, sr, seconds, channels, seed=seed)
        write_manifest(folder, list(clips))
        return folder

    return build


@pytest.fixture
def write_wav() -> Callable[..., Path]:
    """The clip writer, ``write_wav(path, kind, sr, seconds, channels=1, seed=0)``."""
    return write_clip


@pytest.fixture
def fixture_folder(make_fixture_folder: Callable[..., Path]) -> Path:
    """The default fixture folder (four WAV clips at 8, 16 and 22.05 kHz, one stereo)."""
    return make_fixture_folder()


@pytest.fixture(scope="session")
def real_data_root() -> Path:
    """The offline data root, or a skip saying where it was looked for."""
    value = os.environ.get(REAL_DATA_ENV)
    root = Path(value).expanduser() if value else DEFAULT_REAL_DATA
    if not (root / "fsdd" / "manifest.csv").is_file():
        source = f"${REAL_DATA_ENV}={value}" if value else f"{DEFAULT_REAL_DATA} (set ${REAL_DATA_ENV} to override)"
        pytest.skip(f"real data root not found: {source} has no fsdd/manifest.csv")
    return root.resolve()


@pytest.fixture
def real_data(real_data_root: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``AUDIOML_DATA`` pointed at the real data root, with an isolated cache."""
    monkeypatch.setenv("AUDIOML_DATA", str(real_data_root))
    return real_data_root


@dataclasses.dataclass
class Server:
    """A static HTTP server on 127.0.0.1 serving ``root``; ``requests`` lists the paths asked for."""

    root: Path
    url: str
    requests: list[str]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "www"
    root.mkdir()
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep the test output clean
            requests.append(self.path)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Server(root, f"http://127.0.0.1:{httpd.server_address[1]}", requests)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
