"""GTZAN genre excerpts: Sturm's artist index, the fault-filtered split, folder checks and the download
(chapter 13).

GTZAN's audio has no license and is not part of the book's data; users with internet fetch it
with :func:`fetch_gtzan` (the archive from Hugging Face, MD5-checked, and the split files from a
pinned repository, SHA-256-checked). :func:`check_folder` turns every way a local copy can be
broken into one error that names the file and the fix.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from audioml.data.archives import extract_members
from audioml.data.download import download_file
from audioml.data.fetch import install_folder
from audioml.errors import (
    AudioFileError,
    ChecksumError,
    DataNotFoundError,
    ParameterError,
)

_GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
_PER_GENRE = 100
_SPLITS = ("train", "valid", "test")
SPLIT_FILES = {split: f"{split}_filtered.txt" for split in _SPLITS}
#: Excerpts left out of the table: unreadable in the common copies of the archive.
KNOWN_BAD = ("jazz.00054",)
_ARCHIVE_URL = "https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz"
_ARCHIVE_MD5 = "5b3d6dddb579ab49814ab86dba69e7c7"  # the original release, as listed by mirdata
_SPLIT_URL = (
    "https://raw.githubusercontent.com/seungheondoh/gtzan-bind/"
    "ba33dc7309afa49ef6b5176300531a9bbde2ad1f/dataset/split/sturm2013faults/"
)
_SPLIT_SHA256 = {
    "train_filtered.txt": "2b04966cef1486f1a7767b74271533fa23e220388db804a1937835e1fc4fa3fa",
    "valid_filtered.txt": "f8fbee7c52397a0e0f3a91dc54fedecb2e27f5bdc9a9daeab8cb10d077e26956",
    "test_filtered.txt": "09cafa6a89ce0a27f30ed250d56ecb4d03c22fffb5a693f96c7ae655ee02ac72",
}
_EXCERPT = re.compile(r"(?:^|/)(" + "|".join(_GENRES) + r")/(\1\.\d{5})\.(wav|au)$")
HOW_TO_GET = (
    f"GTZAN's audio is not part of the book's data. Online, load_gtzan() downloads it "
    f"({_ARCHIVE_URL}, about 1.2 GB). Offline: extract genres.tar.gz into <root>/gtzan/ so that "
    f"<root>/gtzan/genres/blues/blues.00000.wav exists, copy the three *_filtered.txt files of "
    f"gtzan_meta/ beside genres/, and set AUDIOML_DATA=<root>"
)


def excerpt_names() -> list[str]:
    """The 1000 excerpt stems ``genre.000NN``, genre by genre."""
    return [f"{genre}.{k:05d}" for genre in _GENRES for k in range(_PER_GENRE)]


def read_index(path: str | os.PathLike) -> pd.DataFrame:
    """Sturm's ``GTZANindex.txt``: one row per excerpt (stem, genre, artist, title); unidentified -> None."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#") or ":::" not in line:
            continue
        name, artist, title = (part.strip() for part in (line.split(":::") + ["", ""])[:3])
        stem = name.removesuffix(".wav")
        rows.append({"stem": stem, "genre": stem.split(".")[0], "artist": artist or None, "title": title or None})
    index = pd.DataFrame(rows)
    if len(index) != len(_GENRES) * _PER_GENRE or set(index["stem"]) != set(excerpt_names()):
        raise AudioFileError(
            f"{path} lists {len(index)} excerpts, not the 1000 of GTZAN; "
            f"restore it from gtzan_meta/ (sha256 in its manifest.csv)"
        )
    return index


def artist_groups(index: pd.DataFrame) -> pd.Series:
    """A group per excerpt: its artist, or the excerpt itself where Sturm did not identify one."""
    return index["artist"].where(index["artist"].notna(), "unidentified:" + index["stem"])


def read_splits(folder: str | os.PathLike) -> pd.DataFrame:
    """The filtered split's ``*_filtered.txt`` files in ``folder``: one row per excerpt (stem, genre, split)."""
    folder, rows = Path(folder), []
    for split, name in SPLIT_FILES.items():
        path = folder / name
        if not path.is_file():
            raise DataNotFoundError(
                f"split file {path} is missing; copy {name} from gtzan_meta/ or download {_SPLIT_URL}{name}"
            )
        for line in path.read_text().split():
            stem = Path(line).stem
            rows.append({"stem": stem, "genre": stem.split(".")[0], "split": split})
    table = pd.DataFrame(rows)
    repeated = table[table["stem"].duplicated()]["stem"].tolist()
    if repeated:
        raise AudioFileError(
            f"excerpt(s) {repeated[:5]} are listed twice in {folder}/*_filtered.txt; "
            f"restore the split files (sha256 in gtzan_meta/manifest.csv)"
        )
    return table


def shared_artist_rate(
    groups: pd.Series, labels: pd.Series, test_size: float = 0.2, n_draws: int = 200, seed: int = 0
) -> pd.DataFrame:
    """Simulate random stratified splits: per draw, the share of test excerpts whose artist is also in train.

    Returns one row per draw (``draw``, ``shared_share``, ``any_shared``); the excerpts are drawn
    per label so that every split keeps the class balance.
    """
    if not 0 < test_size < 1:
        raise ParameterError(f"test_size must be in (0, 1), got {test_size}")
    groups, labels = np.asarray(groups), np.asarray(labels)
    rng = np.random.default_rng(seed)
    rows = []
    for draw in range(n_draws):
        is_test = np.zeros(len(groups), bool)
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            is_test[rng.choice(members, size=round(test_size * len(members)), replace=False)] = True
        shared = np.isin(groups[is_test], groups[~is_test])
        rows.append({"draw": draw, "shared_share": float(shared.mean()), "any_shared": bool(shared.any())})
    return pd.DataFrame(rows)


def check_folder(folder: str | os.PathLike, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """Check a GTZAN copy (``genres/<genre>/<genre>.000NN.wav`` and the split files) and list its excerpts.

    Raises :class:`~audioml.errors.DataNotFoundError` for a missing folder or split file,
    :class:`~audioml.errors.AudioFileError`
    for missing excerpts (naming them) or an unreadable one; excerpts named in ``drop`` (e.g.
    :data:`KNOWN_BAD`) are left out of the table instead. Returns stem, genre, path and split.
    """
    folder = Path(folder)
    if not (folder / "genres").is_dir():
        raise DataNotFoundError(f"{folder / 'genres'} is not a folder. {HOW_TO_GET}")
    splits = read_splits(folder)
    found = {
        m.group(2): p
        for p in sorted((folder / "genres").rglob("*"))
        if (m := _EXCERPT.search(p.relative_to(folder / "genres").as_posix()))
    }
    listed_missing = sorted(set(splits["stem"]) - set(found) - set(drop))
    if listed_missing:
        raise AudioFileError(
            f"{len(listed_missing)} excerpt(s) listed in {folder}/*_filtered.txt are not in "
            f"{folder / 'genres'}: {', '.join(listed_missing[:5])}; the copy is incomplete: "
            f"download it again ({_ARCHIVE_URL})"
        )
    missing = sorted(set(excerpt_names()) - set(found) - set(drop))
    if missing:
        raise AudioFileError(
            f"{folder / 'genres'} is incomplete: {len(missing)} of 1000 excerpts are missing "
            f"(e.g. {', '.join(missing[:5])}); extract all of genres.tar.gz again"
        )
    rows = []
    for stem in excerpt_names():
        if stem in drop:
            continue
        try:
            sf.info(str(found[stem]))
        except (RuntimeError, sf.LibsndfileError) as error:
            raise AudioFileError(
                f"{found[stem]} cannot be read ({error}); it is known to be broken in some "
                f"copies: pass drop={KNOWN_BAD + (stem,) if stem not in KNOWN_BAD else KNOWN_BAD}"
                f" to leave it out, or restore it from {_ARCHIVE_URL}"
            ) from None
        rows.append({"stem": stem, "genre": stem.split(".")[0], "path": str(found[stem])})
    table = pd.DataFrame(rows).merge(splits[["stem", "split"]], on="stem", how="left")
    table["split"] = table["split"].fillna("excluded")
    return table


def md5_file(path: str | os.PathLike) -> str:
    """Hex MD5 of a file (the only checksum published for GTZAN's archive)."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_gtzan(
    destination: str | os.PathLike,
    archive_url: str = _ARCHIVE_URL,
    archive_md5: str | None = _ARCHIVE_MD5,
    split_url: str = _SPLIT_URL,
    split_sha256: dict[str, str] | None = None,
    progress: bool = True,
) -> Path:
    """Download and check GTZAN into ``destination`` (``genres/`` plus the split files), via a staging folder.

    The archive must match ``archive_md5`` and each split file its SHA-256; nothing is kept otherwise.
    """
    hashes = _SPLIT_SHA256 if split_sha256 is None else split_sha256

    def stage(work: Path) -> Path:
        archive = download_file(archive_url, work / "genres.tar.gz", progress=progress)
        if archive_md5 is not None and (actual := md5_file(archive)) != archive_md5:
            raise ChecksumError(
                archive_url,
                f"md5 {archive_md5}",
                f"md5 {actual}",
                fix="the archive is not GTZAN's original release; nothing was kept",
            )
        staging = work / "staging"
        extract_members(
            archive,
            staging,
            lambda m: (
                f"genres/{match.group(1)}/{match.group(2)}.{match.group(3)}" if (match := _EXCERPT.search(m)) else None
            ),
        )
        for name in SPLIT_FILES.values():
            download_file(split_url + name, staging / name, hashes.get(name), progress=progress)
        check_folder(staging, drop=KNOWN_BAD)
        return staging

    def ready(folder: Path) -> bool:
        try:
            check_folder(folder, drop=KNOWN_BAD)
        except (DataNotFoundError, AudioFileError):
            return False
        return True

    # Under a file lock, installed by rename: several processes may fetch into one cache.
    return install_folder(Path(destination), stage, ready, label="GTZAN")
