"""The dataset registry and where each dataset is found.

Resolution order for a dataset (used by every chapter through :func:`dataset_dir`):

1. the data root named by the environment variable ``AUDIOML_DATA``;
2. the per-user cache (``AUDIOML_CACHE``, default ``~/.cache/audioml``);
3. a download of the upstream release into that cache (skipped when
   ``AUDIOML_OFFLINE=1``), verified before it is used.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from audioml.download import NETWORK_ERRORS, download_file, extract_members
from audioml.errors import ChecksumError, DataNotFoundError
from audioml.integrity import MANIFEST, verify_folder, write_manifest

DATA_ENV = "AUDIOML_DATA"
CACHE_ENV = "AUDIOML_CACHE"
OFFLINE_ENV = "AUDIOML_OFFLINE"


@dataclass(frozen=True)
class RemoteFile:
    """One file of an upstream release: where to get it and where it goes."""

    url: str
    target: str
    sha256: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its folder under the data root, its upstream source and its license.

    ``archive_members`` maps the archive's member names to paths in the folder
    (``None`` skips a member); ``content_digest`` pins the release (see
    :func:`audioml.integrity.content_digest`) over files ending in ``digest_suffixes``.
    """

    name: str
    folder: str
    title: str
    source_url: str
    license: str
    citation: str
    archive_url: str | None = None
    archive_members: object = None  # Callable[[str], str | None]
    files: tuple[RemoteFile, ...] = ()
    content_digest: str | None = None
    digest_suffixes: tuple[str, ...] = ()
    notes: str = ""
    extra: dict = field(default_factory=dict)


def _after_marker(marker: str, suffixes: tuple[str, ...], prefix: str = ""):
    """A member mapper: keep files ending in ``suffixes``, re-rooted after ``marker``."""
    def rename(member: str) -> str | None:
        if marker not in member or not member.endswith(suffixes):
            return None
        return prefix + member.split(marker, 1)[1]
    return rename


def _esc10_member(member: str) -> str | None:
    """ESC-10's repository keeps clips in ``NNN - Class/`` folders: put them under audio/."""
    parts = member.split("/")
    if len(parts) < 2 or not member.endswith(".ogg") or not parts[-2][:3].isdigit():
        return None
    return f"audio/{parts[-2]}/{parts[-1]}"


_FSDD_COMMIT = "26eb9aaf76e81b692f806f9140c2d2777410d7a1"
_ESC10_COMMIT = "553c8f1743b9dba6b282e1323c3ca8fa76923448"
_PRA_RAW = "https://raw.githubusercontent.com/LCAV/pyroomacoustics/6fe43fecb7c358ac9aaa054e7e73641189f1afff/"
_YAMNET_RAW = "https://raw.githubusercontent.com/Jaskaran197/Speaker-Detector/4ec29b6938f1051fe36b46786f8d486d8b74a38e/"

REGISTRY: dict[str, DatasetSpec] = {spec.name: spec for spec in [
    DatasetSpec(
        name="fsdd", folder="fsdd", title="Free Spoken Digit Dataset (FSDD)",
        source_url="https://github.com/Jakobovski/free-spoken-digit-dataset",
        license="CC BY-SA 4.0",
        citation="Z. Jackson et al., Free Spoken Digit Dataset, v1.0.10, 2018-2024",
        archive_url=f"https://github.com/Jakobovski/free-spoken-digit-dataset/archive/{_FSDD_COMMIT}.zip",
        archive_members=_after_marker("/recordings/", (".wav",), "recordings/"),
        content_digest="6a1aafacf40d8a7aeda379f079a39ca7e165fe03f4ed5d63a2ab25f3a8420685",
        digest_suffixes=(".wav",)),
    DatasetSpec(
        name="esc10", folder="esc10", title="ESC-10 (original v1 release)",
        source_url="https://github.com/karolpiczak/ESC-10",
        license="CC BY 3.0 (per clip: CC0, CC BY, Sampling+)",
        citation="K. J. Piczak, ESC: Dataset for Environmental Sound Classification, ACM MM 2015",
        archive_url=f"https://github.com/karolpiczak/ESC-10/archive/{_ESC10_COMMIT}.zip",
        archive_members=_esc10_member,
        content_digest="c5aa96f340ecfa69ae65ae48d70be94f1230fd0578ded9ea309a01159018b1fd",
        digest_suffixes=(".ogg",)),
    DatasetSpec(
        name="esc50_fold4", folder="esc50_fold4", title="ESC-50, fold 4",
        source_url="https://github.com/karolpiczak/ESC-50",
        license="CC BY-NC 3.0 (non-commercial use only)",
        citation="K. J. Piczak, ESC: Dataset for Environmental Sound Classification, ACM MM 2015",
        archive_url="https://github.com/karolpiczak/ESC-50/archive/refs/heads/master.zip",
        archive_members=lambda m: ("meta/esc50.csv" if m.endswith("/meta/esc50.csv") else
                                   f"audio/{m.rsplit('/', 1)[1]}" if "/audio/4-" in m and m.endswith(".wav")
                                   else None),
        notes="Offline copy: fold 4 (+14 clips) as 22.05 kHz FLAC; online: fold 4 as 44.1 kHz WAV."),
    DatasetSpec(
        name="librosa_examples", folder="librosa_examples", title="librosa example recordings",
        source_url="https://github.com/librosa/data", license="per file (PD, CC BY, CC BY-NC, CC BY 4.0)",
        citation="B. McFee et al., librosa: Audio and Music Signal Analysis in Python, SciPy 2015",
        notes="Online, librosa.ex() downloads these itself."),
    DatasetSpec(
        name="speech_noise_samples", folder="speech_noise_samples",
        title="CMU ARCTIC utterances and Speech Commands background noise",
        source_url="https://github.com/LCAV/pyroomacoustics",
        license="CMU ARCTIC: BSD-style; Speech Commands noise: CC BY 4.0",
        citation="J. Kominek and A. W. Black, The CMU Arctic speech databases, SSW 2004; "
                 "P. Warden, Speech Commands, arXiv:1804.03209, 2018",
        files=tuple(RemoteFile(_PRA_RAW + source, target, sha) for source, target, sha in [
            ("examples/input_samples/doing_the_dishes.wav", "noise/doing_the_dishes.wav",
             "099eafcd7c4c266612012b5622b97157042e5288acaf4cbf3dc475814bfcdaa8"),
            ("notebooks/exercise_bike.wav", "noise/exercise_bike.wav",
             "e453813ed45b2f9f81d5600ec3ac2a5e22d3f2c947fe6f0a3ff1f3d6018c014d"),
        ] + [(f"examples/input_samples/cmu_arctic_us_{u}.wav", f"speech/cmu_arctic_us_{u}.wav", None)
             for u in ["aew_a0001", "aew_a0002", "aew_a0003", "axb_a0004", "axb_a0005", "axb_a0006"]])),
    DatasetSpec(
        name="yamnet", folder="models/yamnet", title="YAMNet (TFLite) and its AudioSet class map",
        source_url="https://github.com/tensorflow/models/tree/master/research/audioset/yamnet",
        license="Apache-2.0 (class names: CC BY-SA 4.0)",
        citation="Gemmeke et al., Audio Set: An ontology and human-labeled dataset for audio events, ICASSP 2017",
        files=(RemoteFile(_YAMNET_RAW + "yamnet.tflite", "yamnet.tflite",
                          "469be6a3421cbc52cf97e9f2f966cba984198e8e7af9854d68b3e3ebb1e04194"),
               RemoteFile(_YAMNET_RAW + "yamnet_class_map.csv", "yamnet_class_map.csv",
                          "cdf24d193e196d9e95912a2667051ae203e92a2ba09449218ccb40ef787c6df2")),
        notes="Online, chapter 8 can load the float model from TF Hub instead."),
    DatasetSpec(  # chapter 13; offline: lossless FLAC copies of the WAVs, with labels, ids and licenses
        name="fsd_instruments", folder="fsd_instruments", title="FSDKaggle2018 instrument subset (300 clips)",
        source_url="https://zenodo.org/record/2552860", license="CC BY 4.0 (per clip: CC BY or CC0)",
        citation="E. Fonseca et al., General-purpose Tagging of Freesound Audio with AudioSet Labels, DCASE 2018",
        archive_url="https://github.com/seth814/Audio-Classification/archive/"
                    "2aca6936241ce4273e9acc02d738e029433aa9ec.zip",
        archive_members=_after_marker("/wavfiles/", (".wav",), "wavfiles/"),
        files=(RemoteFile("https://raw.githubusercontent.com/vanphuoc9/luanvan/"
                          "8b1a4d03aed1755d42d592a1eeb082526512b9af/train_post_competition.csv",
                          "train_post_competition.csv"),),
        notes="Online: the 300 WAVs, checked against the offline manifest's original_sha256 by the loader.",
        extra={"wav_digest": "d72afe7461c82d767d701aec3579ecba72f9843380b546da36d692074c0e9974"}),
    DatasetSpec(  # chapter 13; no audio: the filtered split and Sturm's artist index
        name="gtzan_meta", folder="gtzan_meta", title="GTZAN metadata: fault-filtered split and artist index",
        source_url="https://github.com/seungheondoh/gtzan-bind", license="no license stated (factual lists; cite)",
        citation="B. L. Sturm, The GTZAN dataset, arXiv:1306.1461, 2013; C. Kereliuk, B. L. Sturm, J. Larsen, "
                 "Deep Learning and Music Adversaries, IEEE TMM 2015",
        files=tuple(RemoteFile("https://raw.githubusercontent.com/seungheondoh/gtzan-bind/"
                               f"ba33dc7309afa49ef6b5176300531a9bbde2ad1f/dataset/{source}", source.rsplit("/", 1)[1], sha)
                    for source, sha in [
            ("metadata/sturm2013faults/GTZANindex.txt", "7bc7140f082cccd72046ec7c6e9b9c211a7491f6e7ede38fddafc63058559833"),
            ("split/sturm2013faults/train_filtered.txt", "2b04966cef1486f1a7767b74271533fa23e220388db804a1937835e1fc4fa3fa"),
            ("split/sturm2013faults/valid_filtered.txt", "f8fbee7c52397a0e0f3a91dc54fedecb2e27f5bdc9a9daeab8cb10d077e26956"),
            ("split/sturm2013faults/test_filtered.txt", "09cafa6a89ce0a27f30ed250d56ecb4d03c22fffb5a693f96c7ae655ee02ac72")])),
    DatasetSpec(  # chapter 13 with dataset="gtzan"; fetched by audioml.gtzan.fetch_gtzan (MD5 of the archive)
        name="gtzan", folder="gtzan", title="GTZAN genre collection (audio; online only)",
        source_url="https://huggingface.co/datasets/marsyas/gtzan", license="none (copyrighted recordings; research use)",
        citation="G. Tzanetakis and P. Cook, Musical genre classification of audio signals, IEEE TSAP 10(5), 2002",
        notes="Not in the book's data; audioml.loaders.load_gtzan downloads and checks it."),
]}


def cache_dir() -> Path:
    """The per-user cache: ``$AUDIOML_CACHE`` or ``~/.cache/audioml``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "audioml")


def data_root() -> Path | None:
    """The explicit data root from ``$AUDIOML_DATA``, or None; a wrong path is an error."""
    value = os.environ.get(DATA_ENV)
    if not value:
        return None
    root = Path(value).expanduser()
    if not root.is_dir():
        raise DataNotFoundError(f"{DATA_ENV}={value} is not a folder. Point it at the book's data root "
                                f"(for example ../shared/data) or unset it to use {cache_dir()}.")
    return root


def dataset_dir(name: str, download: bool = True) -> Path:
    """The verified folder of dataset ``name``, downloading it into the cache if needed."""
    if name not in REGISTRY:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(REGISTRY)}")
    spec = REGISTRY[name]
    root = data_root()
    candidates = ([root / spec.folder] if root else []) + [cache_dir() / "datasets" / spec.folder]
    for folder in candidates:
        if (folder / MANIFEST).is_file():
            verify_folder(folder, cache_dir() / "verified", spec.content_digest, spec.digest_suffixes)
            return folder
    offline = os.environ.get(OFFLINE_ENV, "") not in ("", "0")
    if download and not offline and (spec.archive_url or spec.files):
        try:
            return fetch_dataset(spec, candidates[-1])
        except NETWORK_ERRORS as error:
            reason = f"the download failed ({error})"
    else:
        reason = "downloads are off (AUDIOML_OFFLINE=1)" if offline else "it cannot be downloaded automatically"
    searched = "\n".join(f"  - {c}" for c in candidates)
    raise DataNotFoundError(
        f"dataset {name!r} was not found and {reason}.\nSearched:\n{searched}\n"
        f"Fix: set {DATA_ENV} to a data root that holds {spec.folder}/ (offline copy), or go online "
        f"so it can be downloaded from {spec.archive_url or spec.source_url}")


def fetch_dataset(spec: DatasetSpec, destination: Path) -> Path:
    """Download ``spec`` into ``destination`` via a temporary folder, verify it, then move it in place."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=f".{destination.name}-") as tmp:
        staging = Path(tmp) / "staging"
        staging.mkdir()
        written: list[str] = []
        if spec.archive_url:
            archive = download_file(spec.archive_url, Path(tmp) / "archive")
            written += [str(p.relative_to(staging.resolve()))
                        for p in extract_members(archive, staging, spec.archive_members)]
            if not written:
                raise DataNotFoundError(f"{spec.archive_url} holds none of the files of {spec.name!r}")
        for remote in spec.files:
            download_file(remote.url, staging / remote.target, remote.sha256)
            written.append(remote.target)
        write_manifest(staging, written)
        try:
            verify_folder(staging, Path(tmp) / "stamps", spec.content_digest, spec.digest_suffixes)
        except ChecksumError as error:
            raise ChecksumError(spec.archive_url or spec.source_url, error.expected, error.actual,
                                fix=f"the upstream release of {spec.name!r} changed; nothing was kept. "
                                    f"Use an offline copy via {DATA_ENV}, or report the new hash") from None
        if destination.exists():
            shutil.rmtree(destination)
        os.replace(staging, destination)
    return destination
