"""Compile librosa's numba gufuncs once, in one process, so that parallel stages only read the cache.

librosa caches its numba gufuncs on disk (``cache=True``). A gufunc is cached as two files whose symbol
names depend on the order the process compiled things in, so two processes that compile the same gufunc
at once can leave a mismatched pair, and every later process that loads it crashes or hangs in C
(numba issue #10128). Chapter 2's nbval cell hung this way in CI, in ``librosa.yin``, after the parallel
stages before it had compiled ``librosa.core.pitch`` side by side. ``make venv`` and
``tools/colab/build-env`` run this script right after installing, before anything runs in parallel.

Usage: ``python tools/warm_numba.py`` (with the environment's own interpreter).
"""

import importlib
import pkgutil
import time

import librosa


def main() -> None:
    start = time.perf_counter()
    names = [info.name for info in pkgutil.walk_packages(librosa.__path__, "librosa.")]
    for name in names:
        importlib.import_module(name)  # gufuncs with signatures compile (or load) at import
    print(f"numba caches of {len(names)} librosa modules ready in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
