"""The dataset registry and where each dataset is found.

Resolution order for a dataset (used by every chapter through :func:`dataset_dir`):

1. the data root named by the environment variable ``AUDIOML_DATA``;
2. the per-user cache (``AUDIOML_CACHE``, default ``~/.cache/audioml``);
3. a download of the upstream release into that cache (skipped when
   ``AUDIOML_OFFLINE=1``), verified before it is installed (see :mod:`audioml.data.fetch`).

Every URL is pinned to a commit and every download to a SHA-256 (of the file, or of the
unpacked release through ``content_digest``); offline copies are checked against the same pins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from audioml.data import esc50
from audioml.data.download import MAX_BYTES
from audioml.data.pinned import read_pinned
from audioml.settings import CACHE_ENV, DATA_ENV, OFFLINE_ENV, cache_dir, data_root

__all__ = [
    "CACHE_ENV",
    "DATA_ENV",
    "OFFLINE_ENV",
    "REGISTRY",
    "DatasetSpec",
    "RemoteFile",
    "cache_dir",
    "data_root",
    "dataset_dir",
    "fetch_dataset",
]


@dataclass(frozen=True)
class RemoteFile:
    """One file of an upstream release: where to get it, where it goes, its SHA-256 and size (bytes)."""

    url: str
    target: str
    sha256: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its folder under the data root, its upstream source and its license.

    ``archive_members`` maps the archive's member names to paths in the folder
    (``None`` skips a member); ``content_digest`` pins the release (see
    :func:`audioml.data.integrity.content_digest`) over files ending in ``digest_suffixes``;
    ``download_digest`` pins a fresh download where it differs from the offline copy
    (e.g. WAV online, FLAC offline); ``archive_sha256`` pins the archive's bytes;
    ``max_bytes`` caps each download and the unpacked archive; ``convert`` turns the downloaded
    files of a staging folder into the offline copy's (it returns their paths).
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
    download_digest: str | None = None
    archive_sha256: str | None = None
    max_bytes: int = MAX_BYTES
    convert: Callable[[Path, list[str]], list[str]] | None = None

    def digests(self) -> tuple[str, ...]:
        """The release digests a folder of this dataset may have (offline copy, fresh download)."""
        return tuple(d for d in (self.content_digest, self.download_digest) if d)


def _after_marker(marker: str, suffixes: tuple[str, ...], prefix: str = ""):
    """A member mapper: keep files ending in ``suffixes``, re-rooted after ``marker``."""

    def rename(member: str) -> str | None:
        if marker not in member or not member.endswith(suffixes):
            return None
        return prefix + member.split(marker, 1)[1]

    return rename


_FSDD_COMMIT = "26eb9aaf76e81b692f806f9140c2d2777410d7a1"
_ESC10_RAW = "https://raw.githubusercontent.com/karolpiczak/ESC-10/553c8f1743b9dba6b282e1323c3ca8fa76923448/"
_ESC50_RAW = "https://raw.githubusercontent.com/caitlinnguyen0/ESC-50/7085beb71d02eb515b8bad56ad2a29e8fa0dcd08/audio/"
_PRA_RAW = "https://raw.githubusercontent.com/LCAV/pyroomacoustics/6fe43fecb7c358ac9aaa054e7e73641189f1afff/"
_FSD_RAW = "https://raw.githubusercontent.com/seth814/Audio-Classification/2aca6936241ce4273e9acc02d738e029433aa9ec/"
_YAMNET_RAW = "https://raw.githubusercontent.com/Jaskaran197/Speaker-Detector/4ec29b6938f1051fe36b46786f8d486d8b74a38e/"

# fmt: off
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
        # online: the 400 OGGs alone (41.5 MB), each pinned; the offline copy holds the same bytes
        files=tuple(RemoteFile(_ESC10_RAW + quote(clip["path"]), f"audio/{clip['path']}", clip["sha256"],
                               int(clip["bytes"])) for clip in read_pinned("esc10_clips.csv")),
        content_digest="c5aa96f340ecfa69ae65ae48d70be94f1230fd0578ded9ea309a01159018b1fd",
        digest_suffixes=(".ogg",)),
    DatasetSpec(
        name="esc50_fold4", folder="esc50_fold4", title="ESC-50, fold 4",
        source_url="https://github.com/karolpiczak/ESC-50",
        license="CC BY-NC 3.0 (non-commercial use only)",
        citation="K. J. Piczak, ESC: Dataset for Environmental Sound Classification, ACM MM 2015",
        # The offline copy's sources (its README): a re-upload of ESC-50 v2 WAVs (MD5s match an
        # independent index) and the upstream meta table, both at a commit. Online: only the 329
        # clips the chapters read, made into the offline copy's FLACs (audioml.data.esc50).
        files=(RemoteFile("https://raw.githubusercontent.com/DaisioSK/ECS-DOT-Audio/"
                          "cb75661547499365c4fffc3af17d9819944093e5/data/meta/esc50.csv", "meta/esc50.csv",
                          "ca660da60191a97de289983a05821c9382d852a38a2ba8428980816b68cf6246", 93742),
               *(RemoteFile(f"{_ESC50_RAW}{clip['filename']}", f"audio/{clip['filename']}", clip["wav_sha256"],
                            esc50.WAV_BYTES) for clip in esc50.clips())),
        convert=esc50.wavs_to_flacs,
        content_digest="7a043bfca3e5b8833a909c336293ad33bf33d4cf4ff8f2f3209b7d0ab3c9ac75",
        download_digest="98e19fd0f353b2818a16f552eb0354cbb608bbb52f37ea3f8bcbc66730a570d6",
        digest_suffixes=(".wav", ".flac", ".csv"),
        notes="Offline copy: fold 4 (+14 clips) as 22.05 kHz FLAC; online: the 329 of them that chapters 8 and 12 "
              "read, downloaded as 44.1 kHz WAV and converted to the same FLAC files."),
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
        # Digests and sizes of the unchanged upstream files, from the offline copy's manifest.
        files=tuple(RemoteFile(_PRA_RAW + source, target, sha, size) for source, target, sha, size in [
            ("examples/input_samples/doing_the_dishes.wav", "noise/doing_the_dishes.wav",
             "099eafcd7c4c266612012b5622b97157042e5288acaf4cbf3dc475814bfcdaa8", 3045984),
            ("notebooks/exercise_bike.wav", "noise/exercise_bike.wav",
             "e453813ed45b2f9f81d5600ec3ac2a5e22d3f2c947fe6f0a3ff1f3d6018c014d", 1960248),
        ] + [(f"examples/input_samples/cmu_arctic_us_{u}.wav", f"speech/cmu_arctic_us_{u}.wav", sha, size)
             for u, sha, size in [
            ("aew_a0001", "d7b3b0ee49a0dbd26ea813d220a2f8d252ab47eda15af06542d4d21ec1447228", 124206),
            ("aew_a0002", "40641becf36e6b65a3aabfd7299778bf2c67eaa8fc4ce097d5b63ff33d7096fa", 128686),
            ("aew_a0003", "9ab2f145deeebb375f47a93b6a45bf007962fde7402314b5a04a4d6318f6e93f", 113326),
            ("axb_a0004", "24612efb6612433a66b2327d2688740a966d00c2a4c8462fa3de80223f9d2bf2", 89804),
            ("axb_a0005", "b87c4ba7d75e51b84ed86469f7a29eca99106e24f50d1f3043ab8984372b6211", 50126),
            ("axb_a0006", "d1aa2fca52f5b0d3b918aea7ae7e4daf555f300f8ce749f5c9d851ae7f47f0c8", 113324)]]),
        content_digest="8441a0a1dc2ddcd23b2322241c991856e4bb7a3821ba884f395eae13ace0f853",
        digest_suffixes=(".wav",)),
    DatasetSpec(
        name="yamnet", folder="models/yamnet", title="YAMNet (TFLite) and its AudioSet class map",
        source_url="https://github.com/tensorflow/models/tree/master/research/audioset/yamnet",
        license="Apache-2.0 (class names: CC BY-SA 4.0)",
        citation="Gemmeke et al., Audio Set: An ontology and human-labeled dataset for audio events, ICASSP 2017",
        files=(RemoteFile(_YAMNET_RAW + "yamnet.tflite", "yamnet.tflite",
                          "469be6a3421cbc52cf97e9f2f966cba984198e8e7af9854d68b3e3ebb1e04194", 4078224),
               RemoteFile(_YAMNET_RAW + "yamnet_class_map.csv", "yamnet_class_map.csv",
                          "cdf24d193e196d9e95912a2667051ae203e92a2ba09449218ccb40ef787c6df2", 14096)),
        notes="The int8 model the book's numbers come from; load_yamnet(\"tfhub\") loads the float one instead."),
    DatasetSpec(  # chapter 13; offline: lossless FLAC copies of the WAVs, with labels, ids and licenses
        name="fsd_instruments", folder="fsd_instruments", title="FSDKaggle2018 instrument subset (300 clips)",
        source_url="https://zenodo.org/record/2552860", license="CC BY 4.0 (per clip: CC BY or CC0)",
        citation="E. Fonseca et al., General-purpose Tagging of Freesound Audio with AudioSet Labels, DCASE 2018",
        # online: the 300 WAVs alone (134 MB), each pinned; labels, ids and licenses ship in the pin table
        files=tuple(RemoteFile(_FSD_RAW + clip["wav_path"], clip["wav_path"], clip["wav_sha256"],
                               int(clip["wav_bytes"])) for clip in read_pinned("fsd_instruments_clips.csv")),
        content_digest="3da18f9a29b2f22474002cb4f82f95b00339a6bfddd6921bde90b8b0d79b3b6e",
        download_digest="d72afe7461c82d767d701aec3579ecba72f9843380b546da36d692074c0e9974",
        digest_suffixes=(".wav", ".flac"),
        notes="Offline: the WAVs as lossless FLAC with a labelled manifest; online: the 300 upstream WAVs, "
              "labelled from the package's pin table (FSDKaggle2018's train_post_competition.csv)."),
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
    DatasetSpec(  # chapter 13 with dataset="gtzan"; fetched by audioml.data.gtzan.fetch_gtzan (MD5 of the archive)
        name="gtzan", folder="gtzan", title="GTZAN genre collection (audio; online only)",
        source_url="https://huggingface.co/datasets/marsyas/gtzan", license="none (copyrighted recordings; research use)",
        citation="G. Tzanetakis and P. Cook, Musical genre classification of audio signals, IEEE TSAP 10(5), 2002",
        notes="Not in the book's data; audioml.data.loaders.load_gtzan downloads and checks it."),
]}
# fmt: on


def dataset_dir(name: str, download: bool = True) -> Path:
    """The verified folder of dataset ``name``, downloading it into the cache if needed.

    Raises :class:`~audioml.errors.UnknownNameError` (listing the known names) for an unknown
    ``name`` and :class:`~audioml.errors.DataNotFoundError` when the data is nowhere to be had.
    """
    from audioml.data.fetch import resolve

    return resolve(name, download)


def fetch_dataset(spec: DatasetSpec, destination: Path) -> Path:
    """Download ``spec`` into ``destination`` under a file lock, verify it, then move it in place."""
    from audioml.data.fetch import fetch

    return fetch(spec, destination)
