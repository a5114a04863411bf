"""GTZAN (chapter 13): download and extraction from a fixture archive served on 127.0.0.1, the folder
checks and their errors, and the real metadata's filtered split."""

from __future__ import annotations

import functools
import hashlib
import io
import shutil
import sys
import tarfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from audioml.data import gtzan, loaders
from audioml.errors import AudioFileError, ChecksumError, DataNotFoundError

pytestmark = [pytest.mark.usefixtures("isolated_env"), pytest.mark.timeout(60)]

SPLIT_LINES = {
    "train": ["blues/blues.00001.wav", "jazz/jazz.00054.wav", "rock/rock.00002.wav"],
    "valid": ["classical/classical.00003.wav"],
    "test": ["rock/rock.00099.wav", "pop/pop.00010.wav"],
}


@pytest.fixture(autouse=True)
def _quiet_progress_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())


def write_copy(folder: Path) -> Path:
    """A fixture GTZAN copy: 1000 tiny WAVs ``genres/<genre>/<genre>.000NN.wav`` and three split files."""
    rng = np.random.default_rng(0)
    for stem in gtzan.excerpt_names():
        path = folder / "genres" / stem.split(".")[0] / f"{stem}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, rng.uniform(-0.1, 0.1, 80).astype(np.float32), 8000, subtype="PCM_16")
    for split, lines in SPLIT_LINES.items():
        (folder / gtzan.SPLIT_FILES[split]).write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_copy(tmp_path_factory.mktemp("gtzan") / "gtzan")


@pytest.fixture
def copy(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "root" / "gtzan"))


@pytest.fixture
def served(pristine: Path, tmp_path: Path) -> Iterator[dict]:
    """The archive (with junk members, as upstream has) and the split files on a local HTTP server."""
    www = tmp_path / "www"
    (www / "split").mkdir(parents=True)
    with tarfile.open(www / "genres.tar.gz", "w:gz") as bundle:
        bundle.add(pristine / "genres", arcname="genres")
        notes = b"not audio\n"
        info = tarfile.TarInfo("genres/README.txt")
        info.size = len(notes)
        bundle.addfile(info, io.BytesIO(notes))
    hashes = {}
    for name in gtzan.SPLIT_FILES.values():
        shutil.copy(pristine / name, www / "split" / name)
        hashes[name] = hashlib.sha256((pristine / name).read_bytes()).hexdigest()
    handler = functools.partial(
        type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None}), directory=str(www)
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        yield {
            "archive_url": url + "genres.tar.gz",
            "archive_md5": gtzan.md5_file(www / "genres.tar.gz"),
            "split_url": url + "split/",
            "split_sha256": hashes,
        }
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_fetch_downloads_extracts_and_checks(served: dict, tmp_path: Path) -> None:
    folder = gtzan.fetch_gtzan(tmp_path / "cache" / "gtzan", progress=False, **served)
    assert sorted(p.name for p in folder.iterdir()) == [
        "genres",
        "test_filtered.txt",
        "train_filtered.txt",
        "valid_filtered.txt",
    ]
    table = gtzan.check_folder(folder, drop=gtzan.KNOWN_BAD)
    assert len(table) == 999 and "jazz.00054" not in set(table["stem"])
    assert not (folder / "genres" / "README.txt").exists()
    split = table.set_index("stem")["split"]
    assert split["blues.00001"] == "train" and split["rock.00099"] == "test" and split["blues.00000"] == "excluded"
    assert sf.read(table.set_index("stem").loc["pop.00010", "path"])[0].shape == (80,)


@pytest.mark.parametrize("wrong", ["archive_md5", "split_sha256"])
def test_fetch_refuses_wrong_checksums_and_keeps_nothing(served: dict, tmp_path: Path, wrong: str) -> None:
    served[wrong] = "0" * 32 if wrong == "archive_md5" else {name: "0" * 64 for name in served[wrong]}
    with pytest.raises(ChecksumError, match="genres.tar.gz" if wrong == "archive_md5" else "_filtered.txt"):
        gtzan.fetch_gtzan(tmp_path / "cache" / "gtzan", progress=False, **served)
    assert not (tmp_path / "cache" / "gtzan").exists()
    left = [path.name for path in (tmp_path / "cache").iterdir()]
    assert left in ([], ["locks"]), f"left behind: {left}"  # the fetch lock's file is kept on purpose
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and not p.name.endswith(".lock")]


def test_incomplete_folder_names_a_missing_excerpt(copy: Path) -> None:
    (copy / "genres" / "metal" / "metal.00042.wav").unlink()
    with pytest.raises(AudioFileError, match=r"incomplete: 1 of 1000.*metal\.00042.*extract"):
        gtzan.check_folder(copy)


def test_unreadable_excerpt_is_named_with_the_fix(copy: Path) -> None:
    (copy / "genres" / "jazz" / "jazz.00054.wav").write_bytes(b"RIFF\x00garbage" * 10)
    with pytest.raises(AudioFileError, match=r"jazz\.00054\.wav cannot be read.*drop="):
        gtzan.check_folder(copy)
    assert len(gtzan.check_folder(copy, drop=gtzan.KNOWN_BAD)) == 999


def test_missing_split_file_is_named(copy: Path) -> None:
    (copy / "valid_filtered.txt").unlink()
    with pytest.raises(DataNotFoundError, match=r"valid_filtered\.txt is missing.*gtzan_meta"):
        gtzan.check_folder(copy)


def test_split_listing_an_absent_excerpt_names_it(copy: Path) -> None:
    (copy / "genres" / "rock" / "rock.00099.wav").unlink()
    with pytest.raises(AudioFileError, match=r"listed in .*_filtered\.txt.*rock\.00099"):
        gtzan.check_folder(copy)


def test_missing_genres_folder_says_where_to_get_gtzan(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="huggingface.*AUDIOML_DATA"):
        gtzan.check_folder(tmp_path)


def test_load_gtzan_offline_without_a_copy_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIOML_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match=r"(?s)AUDIOML_OFFLINE=1.*genres\.tar\.gz.*AUDIOML_DATA"):
        loaders.load_gtzan()


def test_shared_artist_rate_extremes() -> None:
    labels = pd.Series(np.repeat(["a", "b"], 50))
    distinct = gtzan.shared_artist_rate(pd.Series(np.arange(100)), labels, n_draws=5)
    one_artist = gtzan.shared_artist_rate(pd.Series(["x"] * 100), labels, n_draws=5)
    assert (distinct["shared_share"] == 0).all() and not distinct["any_shared"].any()
    assert (one_artist["shared_share"] == 1).all()


@pytest.mark.data
def test_real_filtered_split_is_artist_disjoint(real_data: Path, copy: Path, monkeypatch) -> None:
    meta = loaders.load_gtzan_meta()
    assert len(meta) == 1000 and meta["split"].value_counts().to_dict() == {
        "train": 443,
        "test": 290,
        "valid": 197,
        "excluded": 70,
    }
    identified = meta[meta["split"] != "excluded"].dropna(subset=["artist"])
    sides = identified.groupby("artist")["split"].nunique()
    assert (sides == 1).all(), f"artists on two sides: {sides[sides > 1].index.tolist()[:5]}"
    root = copy.parent
    (root / "gtzan_meta").symlink_to(real_data / "gtzan_meta")
    monkeypatch.setenv("AUDIOML_DATA", str(root))
    table = loaders.load_gtzan(drop=gtzan.KNOWN_BAD)
    assert len(table) == 999 and {"path", "label", "group", "split", "artist"} <= set(table.columns)
    assert table.set_index("source_clip").loc["blues.00001", "group"] == "John Lee Hooker"
