"""The settings module: every AUDIOML_* variable read in one place, at call time; a side-effect-free import."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from audioml import settings
from audioml.data import loaders
from audioml.errors import DataNotFoundError, ParameterError

pytestmark = pytest.mark.usefixtures("isolated_env")
SRC = Path(__file__).resolve().parents[1] / "src" / "audioml"

IMPORT_PROBE = """
import json, os, sys
seen, opened = [], []

class Spy(type(os.environ)):
    def __getitem__(self, key):  # a read by audioml's own code (tqdm copies the whole environment)
        frame, callers = sys._getframe(1), []
        while frame is not None and len(callers) < 3:
            callers.append(frame.f_code.co_filename)
            frame = frame.f_back
        if str(key).startswith("AUDIOML_") and any("audioml" in c.split("site-packages")[-1] for c in callers):
            seen.append(key)
        return super().__getitem__(key)

os.environ = Spy(os.environ._data, os.environ.encodekey, os.environ.decodekey,
                 os.environ.encodevalue, os.environ.decodevalue)
root = os.environ._data[b"AUDIOML_DATA"].decode()
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event in ("open", "os.listdir", "os.scandir")
                 and str(args[0]).startswith(root) else None)
import audioml, audioml.data.datasets, audioml.data.loaders, audioml.data.fetch, audioml.data.download
import audioml.data.integrity
import audioml.data.archives, audioml.settings, audioml.models.pretrained
print(json.dumps({"seen": seen, "opened": opened, "librosa": "LIBROSA_DATA_DIR" in os.environ._data and
                  os.environ._data.get(b"LIBROSA_DATA_DIR", b"").decode()}))
"""


def test_import_reads_no_variable_and_touches_no_file(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "librosa_examples" / "audio").mkdir(parents=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "AUDIOML_DATA": str(root),
        "AUDIOML_OFFLINE": "not-a-switch",
        "AUDIOML_CACHE": str(tmp_path / "cache"),
    }
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe == {"seen": [], "opened": [], "librosa": False}
    assert not (tmp_path / "cache").exists()


def test_bad_data_root_fails_at_first_use_not_at_import(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    script = "import audioml.data.loaders as L\nprint('imported')\nL.load_fsdd()\n"
    env = {"PATH": "/usr/bin:/bin", "AUDIOML_DATA": str(missing), "AUDIOML_CACHE": str(tmp_path / "c")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1 and done.stdout == "imported\n"
    assert f"DataNotFoundError: AUDIOML_DATA={missing} is not a folder." in done.stderr


@pytest.mark.parametrize(
    "value, expected",
    [
        ("", False),
        ("0", False),
        ("off", False),
        ("False", False),
        ("no", False),
        ("1", True),
        ("true", True),
        (" YES ", True),
        ("on", True),
    ],
)
def test_offline_switch(value: str, expected: bool, monkeypatch) -> None:
    monkeypatch.setenv("AUDIOML_OFFLINE", value)
    assert settings.offline() is expected


def test_unset_offline_is_online(monkeypatch) -> None:
    monkeypatch.delenv("AUDIOML_OFFLINE", raising=False)
    assert settings.offline() is False


@pytest.mark.parametrize("value", ["2", "maybe", "offline"])
def test_bad_offline_switch_names_the_variable(value: str, monkeypatch) -> None:
    monkeypatch.setenv("AUDIOML_OFFLINE", value)
    with pytest.raises(ParameterError, match=f"AUDIOML_OFFLINE='{value}' is neither on nor off"):
        settings.offline()


def test_values_are_read_at_call_time(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUDIOML_CACHE", str(tmp_path / "one"))
    assert settings.cache_dir() == tmp_path / "one"
    monkeypatch.setenv("AUDIOML_CACHE", str(tmp_path / "two"))
    assert settings.cache_dir() == tmp_path / "two"
    monkeypatch.delenv("AUDIOML_CACHE")
    assert settings.cache_dir() == Path.home() / ".cache" / "audioml"
    assert settings.data_root() is None and settings.results_override() is None
    monkeypatch.setenv("AUDIOML_DATA", str(tmp_path))
    monkeypatch.setenv("AUDIOML_RESULTS", str(tmp_path / "r"))
    assert settings.data_root() == tmp_path and settings.results_override() == tmp_path / "r"


def test_cache_that_is_a_file(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "c").write_text("x")
    monkeypatch.setenv("AUDIOML_CACHE", str(tmp_path / "c"))
    with pytest.raises(ParameterError, match=re.escape(f"AUDIOML_CACHE={tmp_path / 'c'} is a file")):
        settings.cache_dir()


def test_book_root_is_found_one_way(tmp_path: Path) -> None:
    (tmp_path / "_toc.yml").write_text("root: index\n")
    (tmp_path / "notebooks" / "deep").mkdir(parents=True)
    assert settings.book_root(tmp_path / "notebooks" / "deep") == tmp_path
    with pytest.raises(DataNotFoundError, match="no book root"):
        settings.book_root(tmp_path.parent)


def test_example_respects_the_offline_switch(tmp_path: Path, monkeypatch) -> None:
    import librosa

    monkeypatch.setenv("AUDIOML_OFFLINE", "1")
    monkeypatch.setattr(librosa, "ex", lambda *a, **k: pytest.fail("offline must not download"))
    with pytest.raises(DataNotFoundError, match=r"'trumpet' is not in AUDIOML_DATA's .* downloads are off"):
        loaders.example("trumpet")
    (tmp_path / "root").mkdir()  # a data root without librosa_examples: the same
    monkeypatch.setenv("AUDIOML_DATA", str(tmp_path / "root"))
    with pytest.raises(DataNotFoundError, match="AUDIOML_OFFLINE=1"):
        loaders.example("trumpet")


def test_only_settings_reads_audioml_variables() -> None:
    """No module but settings.py reads an AUDIOML_* variable (execute.py only sets one)."""
    reads = re.compile(
        r"(os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*(RESULTS_ENV|DATA_ENV|CACHE_ENV|"
        r"OFFLINE_ENV|[\"']AUDIOML_)"
    )
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(SRC.glob("*.py"))
        if path.name != "settings.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if reads.search(line) and not re.search(r"os\.environ\[[^]]+\]\s*=[^=]", line)
    ]
    assert offenders == [], "read AUDIOML_* variables through audioml.settings"


def test_relative_paths_are_made_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("AUDIOML_CACHE", "cache")
    monkeypatch.setenv("AUDIOML_DATA", "data")
    assert settings.cache_dir() == tmp_path / "cache" and settings.data_root() == tmp_path / "data"
