"""The feature cache never returns a stale or corrupt array (issue 13).

Each stale-key case computes a feature, changes one thing that determines the array
and asserts that the second call returns the new truth, not the cached old value.
Corrupt entries must be reported (CacheWarning naming the path) and recomputed.
"""

from __future__ import annotations

import functools
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audioml.dsp.audio import load_audio
from audioml.dsp.features import FSDD, rms
from audioml.errors import ParameterError
from audioml.prep.cache import CacheWarning, cached_features

pytestmark = pytest.mark.usefixtures("isolated_env")
SECONDS = 0.3


@pytest.fixture
def clips(tmp_path: Path, write_wav) -> pd.DataFrame:
    paths = [
        str(write_wav(tmp_path / "a" / f"{i}_clip.wav", kind, 8000, 0.3, seed=i))
        for i, kind in enumerate(["sine", "noise", "noise"])
    ]
    return pd.DataFrame({"path": paths})


def truth(frame: pd.DataFrame, feature) -> np.ndarray:
    return np.stack([feature(load_audio(p, sr=FSDD.sr, duration=SECONDS)[0], FSDD) for p in frame["path"]])


def run(frame: pd.DataFrame, feature) -> np.ndarray:
    return cached_features(frame, "toy", feature, FSDD, duration=SECONDS, progress=False)


def notebook(source: str) -> dict:
    """Run ``source`` as a notebook cell would: module ``__main__``, its own globals."""
    namespace = {"__name__": "__main__", "np": np, "rms": rms}
    exec(source, namespace)  # noqa: S102 - test code
    return namespace


def entry(cache: Path) -> Path:
    (found,) = (cache / "features").glob("*.npz")
    return found


# --- the six stale-key cases of issue 13 ---------------------------------------------------------


def test_same_names_in_another_folder(clips: pd.DataFrame, tmp_path: Path, write_wav) -> None:
    run(clips, rms)
    other = pd.DataFrame(
        {
            "path": [
                str(
                    write_wav(
                        tmp_path / "b" / Path(p).name,
                        "noise",
                        8000,
                        0.3,
                        seed=10 + i,
                    )
                )
                for i, p in enumerate(clips["path"])
            ]
        }
    )
    np.testing.assert_array_equal(run(other, rms), truth(other, rms))


def test_changed_default_argument(clips: pd.DataFrame) -> None:
    cell = "def loud(y, params, gain={}):\n    return gain * rms(y, params)\n"
    run(clips, notebook(cell.format(1.0))["loud"])
    new = notebook(cell.format(3.0))["loud"]
    np.testing.assert_array_equal(run(clips, new), truth(clips, new))


def test_partial_with_other_arguments(clips: pd.DataFrame) -> None:
    loud = notebook("def loud(y, params, gain=1.0):\n    return gain * rms(y, params)\n")["loud"]
    run(clips, functools.partial(loud, gain=2.0))
    new = functools.partial(loud, gain=5.0)
    np.testing.assert_array_equal(run(clips, new), truth(clips, new))


def test_edited_helper(clips: pd.DataFrame) -> None:
    cell = notebook(
        "def helper(y, params):\n    return rms(y, params)\n\ndef loud(y, params):\n    return helper(y, params)\n"
    )
    run(clips, cell["loud"])
    exec("def helper(y, params):\n    return 4 * rms(y, params)\n", cell)  # noqa: S102 - the edited cell
    np.testing.assert_array_equal(run(clips, cell["loud"]), truth(clips, cell["loud"]))


def test_changed_global_constant(clips: pd.DataFrame) -> None:
    cell = notebook("GAIN = 1.0\n\ndef loud(y, params):\n    return GAIN * rms(y, params)\n")
    run(clips, cell["loud"])
    cell["GAIN"] = 7.0
    np.testing.assert_array_equal(run(clips, cell["loud"]), truth(clips, cell["loud"]))


def test_callable_object_with_another_attribute(clips: pd.DataFrame) -> None:
    cell = notebook(
        "class Loud:\n    def __init__(self, gain):\n        self.gain = gain\n"
        "    def __call__(self, y, params):\n        return self.gain * rms(y, params)\n"
    )
    run(clips, cell["Loud"](1.0))
    new = cell["Loud"](6.0)
    np.testing.assert_array_equal(run(clips, new), truth(clips, new))


# --- more keys that must not collide -------------------------------------------------------------


def test_edited_file_content(clips: pd.DataFrame, write_wav) -> None:
    run(clips, rms)
    write_wav(Path(clips["path"][0]), "noise", 8000, 0.3, seed=99)
    np.testing.assert_array_equal(run(clips, rms), truth(clips, rms))


def test_other_library_call_same_bytecode(clips: pd.DataFrame) -> None:
    run(clips, notebook("def peak(y, params):\n    return np.max(rms(y, params), keepdims=True)\n")["peak"])
    new = notebook("def peak(y, params):\n    return np.min(rms(y, params), keepdims=True)\n")["peak"]
    np.testing.assert_array_equal(run(clips, new), truth(clips, new))


def test_closure_variable(clips: pd.DataFrame) -> None:
    def make(gain: float):
        return lambda y, params: gain * rms(y, params)

    run(clips, make(1.0))
    np.testing.assert_array_equal(run(clips, make(9.0)), truth(clips, make(9.0)))


def test_same_feature_hits(clips: pd.DataFrame, monkeypatch) -> None:
    first = run(clips, notebook("def loud(y, params):\n    return rms(y, params)\n")["loud"])
    import audioml.prep.cache as cache_module

    monkeypatch.setattr(cache_module, "load_audio", lambda *a, **k: pytest.fail("recomputed"))
    again = run(clips, notebook("def loud(y, params):\n    return rms(y, params)\n")["loud"])  # re-run cell
    np.testing.assert_array_equal(again, first)


# --- corrupt entries are reported and recomputed --------------------------------------------------


def corrupt_bad_zip(path: Path) -> None:
    path.write_bytes(b"not a zip file at all" * 10)


def corrupt_truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def corrupt_empty(path: Path) -> None:
    path.write_bytes(b"")


def corrupt_bit_flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as bundle:
        info = bundle.getinfo("values.npy")
    data[info.header_offset + 30 + len(info.filename) + 200] ^= 0xFF  # inside the array bytes
    path.write_bytes(bytes(data))


def corrupt_wrong_dtype(path: Path) -> None:
    with np.load(path) as stored:
        key, names = stored["key"], stored["names"]
    np.savez(path.with_suffix(""), key=key, names=names, values=np.array(["x"] * len(names)))


def corrupt_object_dtype(path: Path) -> None:
    with np.load(path) as stored:
        key, names = stored["key"], stored["names"]
    np.savez(path.with_suffix(""), key=key, names=names, values=np.array([None] * len(names), dtype=object))


def corrupt_other_key(path: Path) -> None:
    with np.load(path) as stored:
        np.savez(path.with_suffix(""), key=np.array("someone-else"), names=stored["names"], values=stored["values"])


def corrupt_missing_clips(path: Path) -> None:
    with np.load(path) as stored:
        np.savez(path.with_suffix(""), key=stored["key"], names=stored["names"][:1], values=stored["values"][:1])


@pytest.mark.parametrize(
    "damage",
    [
        corrupt_bad_zip,
        corrupt_truncated,
        corrupt_empty,
        corrupt_bit_flip,
        corrupt_wrong_dtype,
        corrupt_object_dtype,
        corrupt_other_key,
        corrupt_missing_clips,
    ],
    ids=lambda f: f.__name__.removeprefix("corrupt_"),
)
def test_corrupt_entry_is_reported_and_recomputed(clips: pd.DataFrame, isolated_env: Path, damage) -> None:
    expected = run(clips, rms)
    path = entry(isolated_env)
    damage(path)
    with pytest.warns(CacheWarning, match=f"cache entry {path}.*recomputing it"):
        again = run(clips, rms)
    np.testing.assert_array_equal(again, expected)
    np.testing.assert_array_equal(run(clips, rms), expected)  # repaired: no second warning needed
    assert entry(isolated_env) == path


def test_entry_that_is_a_folder(clips: pd.DataFrame, isolated_env: Path) -> None:
    run(clips, rms)
    path = entry(isolated_env)
    path.unlink()
    path.mkdir()
    with pytest.warns(CacheWarning, match="unreadable"), pytest.raises(IsADirectoryError, match=str(path)):
        run(clips, rms)
    shutil.rmtree(path)


# --- what a feature may not return ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [("None", "returned None"), ("np.array([{}], dtype=object)", "dtype object"), ("np.array(['a'])", "dtype <U1")],
)
def test_non_numeric_features_are_refused(clips: pd.DataFrame, isolated_env: Path, body: str, message: str) -> None:
    feature = notebook(f"def bad(y, params):\n    return {body}\n")["bad"]
    with pytest.raises(ParameterError, match=f"bad (returned|.*) {message}|{message}.*0_clip.wav"):
        run(clips, feature)
    assert not (isolated_env / "features").exists() or not list((isolated_env / "features").iterdir())


def test_unequal_shapes_name_the_clips(clips: pd.DataFrame, tmp_path: Path, write_wav) -> None:
    longer = write_wav(tmp_path / "a" / "9_long.wav", "sine", 8000, 0.5)
    frame = pd.DataFrame({"path": [*clips["path"], str(longer)]})
    with pytest.raises(ParameterError, match=r"2 shapes.*0_clip.wav.*9_long.wav; pass duration="):
        cached_features(frame, "toy", rms, FSDD, progress=False)


# --- the per-clip cache behind the YAMNet embeddings ----------------------------------------------


def test_per_clip_cache_keys_on_content(clips: pd.DataFrame, tmp_path: Path, write_wav, isolated_env: Path) -> None:
    from audioml.prep.cache import cached_per_clip

    calls: list[str] = []

    def compute(path: str) -> dict[str, np.ndarray]:
        calls.append(path)
        return {"level": np.abs(load_audio(path)[0]).mean(keepdims=True)}

    paths = list(clips["path"])
    first = cached_per_clip(paths[:2], "embeddings", "toy", {"model": "m"}, compute, progress=False)
    assert len(calls) == 2
    again = cached_per_clip(paths[::-1], "embeddings", "toy", {"model": "m"}, compute, progress=False)
    assert len(calls) == 3 and np.array_equal(again["level"][1:][::-1], first["level"])
    twins = [
        str(write_wav(tmp_path / "b" / Path(p).name, "noise", 8000, 0.3, seed=20 + i)) for i, p in enumerate(paths)
    ]
    cached_per_clip(twins, "embeddings", "toy", {"model": "m"}, compute, progress=False)
    assert len(calls) == 6, "same names, other content: computed again"
    cached_per_clip(paths[:1], "embeddings", "toy", {"model": "other"}, compute, progress=False)
    assert len(calls) == 7, "another model: computed again"
    (path,) = [p for p in (isolated_env / "embeddings").glob("*.npz") if path_holds(p, 6)]
    corrupt_truncated(path)
    with pytest.warns(CacheWarning, match="unreadable"):
        cached_per_clip(paths, "embeddings", "toy", {"model": "m"}, compute, progress=False)
    assert len(calls) == 10


def path_holds(path: Path, n: int) -> bool:
    with np.load(path) as stored:
        return len(stored["names"]) == n
