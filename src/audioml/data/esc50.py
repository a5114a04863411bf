"""ESC-50 online: the clips the book reads, one pinned WAV each, turned into the offline copy's FLACs.

The offline copy (``esc50_fold4`` in the data root) holds 414 clips, resampled from the
upstream 44.1 kHz WAVs to 22.05 kHz FLAC by a recipe its README gives exactly. Online, the
registry downloads only the 329 WAVs that chapters 8 and 12 read (the clips whose Freesound
recording gave no ESC-10 clip: 145 MB, where the repository's archive is about 600 MB), each
checked against its upstream SHA-256, and :func:`wavs_to_flacs` applies the same recipe. The
FLACs it writes are byte for byte the offline copy's, and each is checked against the offline
file's SHA-256, so the book's numbers reproduce from either source.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from audioml.data.download import sha256_file
from audioml.data.pinned import read_pinned
from audioml.errors import AudioFileError, ChecksumError

#: Each upstream clip: 5 s of 16-bit mono WAV at 44.1 kHz.
WAV_BYTES = 441_044
SOURCE_RATE, BOOK_RATE = 44_100, 22_050
_PEAK = 32767 / 32768  # the largest 16-bit sample, as a float


def clips() -> list[dict[str, str]]:
    """The pinned clips: filename (upstream WAV), wav_sha256, flac_sha256, flac_bytes."""
    return read_pinned("esc50_clips.csv")


def _resample_like_the_offline_copy(wave: np.ndarray) -> np.ndarray:
    """44.1 kHz -> 22.05 kHz (soxr, very high quality), then scaled down, never clipped, to fit 16 bits."""
    resampled = soxr.resample(wave, SOURCE_RATE, BOOK_RATE, quality="VHQ")
    peak = float(np.max(np.abs(resampled))) if len(resampled) else 0.0
    return resampled * (_PEAK / peak) if peak > _PEAK else resampled


def wavs_to_flacs(folder: Path, written: list[str]) -> list[str]:
    """Replace each downloaded ``audio/*.wav`` of ``folder`` by the offline copy's FLAC; return the new paths.

    Raises :class:`~audioml.errors.ChecksumError` (the clip, both hashes) when a FLAC differs from
    the offline copy's, which means another resampler or FLAC encoder than the book's.
    """
    pinned = {row["filename"]: row["flac_sha256"] for row in clips()}
    paths = []
    for relative in written:
        if not (relative.startswith("audio/") and relative.endswith(".wav")):
            paths.append(relative)
            continue
        wav, flac = folder / relative, (folder / relative).with_suffix(".flac")
        wave, rate = sf.read(wav, dtype="float64")
        if rate != SOURCE_RATE or wave.ndim != 1:
            raise AudioFileError(
                f"{wav} is {wave.ndim}-d at {rate} Hz, not an ESC-50 clip (mono, {SOURCE_RATE} Hz); it passed its "
                "SHA-256, so the registry's pin is wrong: report it"
            )
        sf.write(flac, _resample_like_the_offline_copy(wave), BOOK_RATE, format="FLAC", subtype="PCM_16")
        wav.unlink()
        actual = sha256_file(flac)
        if actual != pinned[wav.name]:
            raise ChecksumError(
                str(flac),
                pinned[wav.name],
                actual,
                fix=f"this machine's soxr {soxr.__version__} or libsndfile {sf.__libsndfile_version__} writes "
                "other samples than the book's (soxr 1.0-1.1, libsndfile 1.2.2); install those, or use the "
                "offline copy through AUDIOML_DATA",
            )
        paths.append(str(Path(relative).with_suffix(".flac")))
    return paths
