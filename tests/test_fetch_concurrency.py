"""Four processes fetch the same dataset into one empty cache at the same moment, ten rounds.

Every process must get the folder without an error, every file it reads must be whole, the
download must happen once per round (the others wait on the lock and reuse the folder), and
every returned folder must still be intact after all of them finish.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
from pathlib import Path

import pytest
from faultserver import fault_server, sha256, zip_bytes

from audioml.data.integrity import content_digest

PROCESSES, ROUNDS = 4, 10
FILES = {
    f"recordings/{d}_x_{t}.wav": b"RIFF" + hashlib.sha256(f"{d}{t}".encode()).digest() * (2000 + 97 * d)
    for d in range(4)
    for t in range(3)
}
DIGEST = content_digest([{"path": p, "sha256": sha256(b)} for p, b in FILES.items()], (".wav",))
EXPECTED = {p: sha256(b) for p, b in FILES.items()}


def fetch_in_a_process(url: str, cache: str, start_at: float) -> tuple[str, list[str]]:
    """Run in a worker: resolve the toy dataset; return its folder and the problems seen."""
    os.environ.update(AUDIOML_CACHE=cache, AUDIOML_OFFLINE="0", no_proxy="127.0.0.1", NO_PROXY="127.0.0.1")
    os.environ.pop("AUDIOML_DATA", None)
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (the progress bars of this worker)
    from audioml.data import datasets, download

    download.RETRY_WAIT_S = 0.0
    datasets.REGISTRY["toy"] = datasets.DatasetSpec(
        name="toy",
        folder="toy",
        title="toy",
        source_url="-",
        license="-",
        citation="-",
        archive_url=url,
        archive_members=datasets._after_marker("/recordings/", (".wav",), "recordings/"),
        content_digest=DIGEST,
        digest_suffixes=(".wav",),
    )
    time.sleep(max(0.0, start_at - time.time()))
    problems = []
    try:
        folder = datasets.dataset_dir("toy")
    except Exception as error:  # noqa: BLE001 (any error is reported and counted)
        return "", [f"{type(error).__name__}: {error}"]
    for _ in range(3):  # read the whole folder a few times while the others finish
        for relative, digest in EXPECTED.items():
            try:
                data = (folder / relative).read_bytes()
            except OSError as error:
                problems.append(f"read error {relative}: {error}")
                continue
            if hashlib.sha256(data).hexdigest() != digest:
                problems.append(f"half-written or wrong {relative} ({len(data)} bytes)")
    return str(folder), problems


@pytest.mark.timeout(120)
def test_four_processes_fetch_one_dataset(tmp_path: Path) -> None:
    body = zip_bytes({f"repo-abc/{p}": b for p, b in FILES.items()})
    context = multiprocessing.get_context("spawn")
    errors, downloads, returned = [], [], []
    started = time.perf_counter()
    with fault_server(max_requests=10 * ROUNDS * PROCESSES) as server, context.Pool(PROCESSES) as pool:
        pool.map(abs, range(PROCESSES))  # start the workers before the first round
        for round_ in range(ROUNDS):
            url = server.add(f"r{round_}.zip", body, delay_s=0.05)  # slow enough for the fetches to overlap
            cache = tmp_path / f"cache{round_}"
            start_at = time.time() + 0.2
            results = pool.starmap(fetch_in_a_process, [(url, str(cache), start_at)] * PROCESSES, chunksize=1)
            for folder, problems in results:
                errors += problems
                returned.append(Path(folder) if folder else None)
            downloads.append(server.routes[f"/r{round_}.zip"].hits)
            left = sorted(p.name for p in (cache / "datasets").iterdir())
            if left != ["toy"]:
                errors.append(f"round {round_}: the cache holds {left}")
    seconds = time.perf_counter() - started
    for folder in returned:  # every folder a process was given is still whole after all finished
        if folder is None:
            continue
        for relative, digest in EXPECTED.items():
            if sha256((folder / relative).read_bytes()) != digest:
                errors.append(f"{folder / relative} changed after it was returned")
    print(
        f"\n{PROCESSES} processes x {ROUNDS} rounds: {len(errors)} errors, downloads per round {downloads}, "
        f"{seconds:.1f} s"
    )
    assert errors == []
    assert len(returned) == PROCESSES * ROUNDS and None not in returned
    assert downloads == [1] * ROUNDS, "the lock must let one process download and the others reuse it"
