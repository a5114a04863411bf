"""Four processes writing the same feature key at once, ten rounds, while a fifth reads (issue 13).

No writer may fail, every returned array must be right, no temp file may be left, and the
reader must never open a partial entry.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

WRITERS, ROUNDS = 4, 10


def big_feature(y: np.ndarray, params) -> np.ndarray:
    """About 0.3 MB per clip (numpy only: no numba compilation per process), so that writes overlap."""
    return np.tile(np.abs(y), 30)


def writer(cache: str, paths: list[str], barrier, results) -> None:
    os.environ["AUDIOML_CACHE"] = cache
    from audioml.dsp.features import FSDD
    from audioml.prep.cache import cached_features

    frame = pd.DataFrame({"path": paths})
    for round_ in range(ROUNDS):
        barrier.wait()
        try:
            values = cached_features(frame, "race", big_feature, FSDD, duration=0.3, progress=False)
            results.put((round_, "ok", float(values.sum())))
        except Exception as error:  # noqa: BLE001 - reported to the parent
            results.put((round_, "error", repr(error)))
        barrier.wait()  # the parent deletes the entry between rounds


def reader(folder: str, stop, counts) -> None:
    good = bad = 0
    while not stop.is_set():
        for path in Path(folder).glob("*.npz"):
            try:
                with np.load(path) as stored:
                    stored["values"].sum()
                good += 1
            except FileNotFoundError:  # deleted by the parent between rounds
                continue
            except Exception:  # noqa: BLE001 - a partial file
                bad += 1
    counts.put((good, bad))


@pytest.mark.usefixtures("isolated_env")
def test_four_writers_one_key(tmp_path: Path, write_wav) -> None:
    paths = [str(write_wav(tmp_path / "clips" / f"{i}.wav", "noise", 8000, 0.3, seed=i)) for i in range(4)]
    cache = tmp_path / "shared-cache"
    folder = cache / "features"
    folder.mkdir(parents=True)
    context = mp.get_context("spawn")
    barrier, results, counts, stop = context.Barrier(WRITERS + 1), context.Queue(), context.Queue(), context.Event()
    workers = [context.Process(target=writer, args=(str(cache), paths, barrier, results)) for _ in range(WRITERS)]
    watcher = context.Process(target=reader, args=(str(folder), stop, counts))
    for process in [*workers, watcher]:
        process.start()
    start = time.perf_counter()
    for _ in range(ROUNDS):
        barrier.wait(timeout=120)
        barrier.wait(timeout=120)
        for entry in folder.iterdir():
            entry.unlink()
    elapsed = time.perf_counter() - start
    stop.set()
    outcomes = [results.get(timeout=30) for _ in range(WRITERS * ROUNDS)]
    good, bad = counts.get(timeout=30)
    for process in [*workers, watcher]:
        process.join(timeout=30)
    errors = [o for o in outcomes if o[1] != "ok"]
    sums = {o[2] for o in outcomes if o[1] == "ok"}
    print(
        f"\n{WRITERS} writers x {ROUNDS} rounds in {elapsed:.1f} s: {len(errors)} errors, "
        f"reader opened {good} entries, {bad} partial"
    )
    assert errors == []
    assert len(sums) == 1, "every writer must return the same array"
    assert bad == 0, "a reader saw a partial entry"
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]
