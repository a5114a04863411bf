"""Content fingerprints for cache keys: files by their bytes, code by what it runs.

The feature and embedding caches (:mod:`audioml.prep.cache`, chapters 2-12) key each entry
on these, so that a cached array is reused only when nothing that determines it has
changed:

- :func:`file_digest`: the SHA-256 of a file's bytes (not its name or folder);
- :func:`package_digest`: the SHA-256 of every ``.py`` file of the ``audioml`` package;
- :func:`fingerprint`: a SHA-256 of any value or callable, deep: a function's bytecode,
  constants and names, its default and keyword-default arguments, its closure, and every
  global it reads (a constant, a helper function, recursively); ``functools.partial``
  arguments; a callable object's class code and attributes. Library code (numpy, librosa,
  ...) counts by module, name and library version; ``audioml`` code by
  :func:`package_digest`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import os
import pickle
import sys
import sysconfig
import types
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PACKAGE = "audioml"
#: Libraries whose version changes the numbers of a feature (decoding, resampling, DSP).
_LIBRARIES = ("numpy", "scipy", "librosa", "soundfile", "soxr", "numba", "tensorflow", "tensorflow-cpu")
_LIBRARY_ROOTS = tuple(
    str(Path(p).resolve())
    for key in ("stdlib", "platstdlib", "purelib", "platlib")
    if (p := sysconfig.get_paths().get(key))
)
_SCALARS = (type(None), bool, int, float, complex, str, bytes)


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of the bytes of ``path``."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def package_digest() -> str:
    """SHA-256 over the relative paths and bytes of every ``.py`` file of the package (about 5 ms)."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def library_versions() -> dict[str, str]:
    """Installed versions of ``_LIBRARIES`` and of Python."""
    found = {"python": sys.version.split()[0]}
    for name in _LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def _origin(module_name: str) -> str:
    """``"package"`` (audioml), ``"library"`` (stdlib, site-packages, built-in) or ``"user"``."""
    top = module_name.partition(".")[0]
    if top == PACKAGE:
        return "package"
    module = sys.modules.get(module_name) or sys.modules.get(top)
    if module_name == "__main__" or module is None:
        return "user"
    if top in sys.builtin_module_names:
        return "library"
    file = getattr(module, "__file__", None)
    if file is None:
        return "library" if top in sys.stdlib_module_names else "user"
    return "library" if str(Path(file).resolve()).startswith(_LIBRARY_ROOTS) else "user"


class _Hasher:
    """Feeds a canonical description of a value into one SHA-256; cycles are cut by id."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.active: set[int] = set()

    def put(self, *parts: object) -> None:
        for part in parts:
            self.digest.update(repr(part).encode() + b"\x1f")

    def add(self, value: Any) -> None:
        if isinstance(value, _SCALARS):
            self.put(type(value).__name__, value)
            return
        if id(value) in self.active:
            self.put("cycle", type(value).__qualname__)
            return
        self.active.add(id(value))
        try:
            self._add(value)
        finally:
            self.active.discard(id(value))

    def _add(self, value: Any) -> None:
        if isinstance(value, np.ndarray):
            self.put("ndarray", value.dtype.str, value.shape)
            if value.dtype == object:
                for item in value.ravel():
                    self.add(item)
            else:
                self.digest.update(np.ascontiguousarray(value).tobytes())
        elif isinstance(value, np.generic):
            self.put("npscalar", value.dtype.str, value.item() if value.dtype != object else repr(value))
        elif isinstance(value, (list, tuple)):
            self.put(type(value).__name__, len(value))
            for item in value:
                self.add(item)
        elif isinstance(value, (set, frozenset)):
            self.put("set", sorted(repr(item) for item in value))
        elif isinstance(value, dict):
            self.put("dict", len(value))
            for key in sorted(value, key=repr):
                self.add(key)
                self.add(value[key])
        elif isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
            self.put("pandas", type(value).__name__, value.shape, repr(getattr(value, "dtypes", value.dtype)))
            self.add(list(value.columns) if isinstance(value, pd.DataFrame) else getattr(value, "name", None))
            self.digest.update(
                pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
                if not isinstance(value, pd.Index)
                else pd.util.hash_array(value.to_numpy()).tobytes()
            )
        elif isinstance(value, functools.partial):
            self.put("partial")
            self.add(value.func)
            self.add(value.args)
            self.add(value.keywords)
        elif isinstance(value, types.FunctionType):
            self._function(value)
        elif isinstance(value, types.MethodType):
            self.put("method")
            self.add(value.__func__)
            self.add(value.__self__)
        elif isinstance(value, types.ModuleType):
            self._module(value)
        elif isinstance(value, type):
            self._class(value)
        elif isinstance(value, types.CodeType):
            self._code(value, {})
        elif callable(value) and not hasattr(value, "__dict__") and hasattr(value, "__qualname__"):
            self._named(value)  # a builtin function, ufunc or C method
        else:
            self._object(value)

    def _named(self, value: Any) -> None:
        module = getattr(value, "__module__", None) or type(value).__module__
        self.put("named", module, getattr(value, "__qualname__", getattr(value, "__name__", "")))
        if _origin(module) == "user":
            self._object(value)

    def _function(self, function: types.FunctionType) -> None:
        module = function.__module__ or ""
        self.put("function", module, function.__qualname__)
        self.add(function.__defaults__)
        self.add(function.__kwdefaults__)
        if function.__closure__:
            for cell in function.__closure__:
                try:
                    self.add(cell.cell_contents)
                except ValueError:  # an empty cell
                    self.put("empty cell")
        if _origin(module) != "user":  # package code: package_digest; libraries: their version
            return
        self._code(function.__code__, function.__globals__)

    def _code(self, code: types.CodeType, namespace: dict) -> None:
        self.put(
            "code",
            code.co_code,
            code.co_names,
            code.co_varnames,
            code.co_freevars,
            code.co_argcount,
            code.co_kwonlyargcount,
            code.co_flags,
        )
        for constant in code.co_consts:
            if isinstance(constant, types.CodeType):
                self._code(constant, namespace)
            else:
                self.add(constant)
        for name in code.co_names:  # globals read (names of attributes too; those not global are skipped)
            if name in namespace and not name.startswith("__"):
                self.put("global", name)
                self.add(namespace[name])

    def _module(self, module: types.ModuleType) -> None:
        origin = _origin(module.__name__)
        self.put("module", module.__name__, origin)
        if origin == "library":
            top = module.__name__.partition(".")[0]
            self.put(getattr(sys.modules.get(top), "__version__", None))
        elif origin == "user" and (file := getattr(module, "__file__", None)) and Path(file).is_file():
            self.digest.update(Path(file).read_bytes())

    def _class(self, cls: type) -> None:
        origin = _origin(cls.__module__)
        self.put("class", cls.__module__, cls.__qualname__, origin)
        if origin != "user":
            return
        for base in cls.__mro__[1:]:
            if base is not object:
                self.add(base)
        for name in sorted(vars(cls)):
            if name not in ("__dict__", "__weakref__", "__doc__", "__module__", "__qualname__"):
                self.put("attribute", name)
                self.add(vars(cls)[name])

    def _object(self, value: Any) -> None:
        cls = type(value)
        self.put("object")
        self.add(cls)
        if dataclasses.is_dataclass(value):
            self.add({field.name: getattr(value, field.name) for field in dataclasses.fields(value)})
        elif hasattr(value, "__dict__") or hasattr(cls, "__slots__"):
            state = dict(getattr(value, "__dict__", {}))
            for name in getattr(cls, "__slots__", ()):
                if hasattr(value, name):
                    state[name] = getattr(value, name)
            self.add(state)
        else:
            try:
                self.digest.update(pickle.dumps(value, protocol=4))
            except Exception:  # noqa: BLE001 - unpicklable: a repr (with an address) never hits stale
                self.put(repr(value))


def fingerprint(value: Any) -> str:
    """SHA-256 (hex) of everything about ``value`` that can change what it computes.

    A value too deeply nested to walk gets a random fingerprint (with a warning): its
    cache entries are then never reused, rather than reused when they should not be.
    """
    hasher = _Hasher()
    try:
        hasher.add(value)
    except RecursionError:
        warnings.warn(
            f"cannot fingerprint {type(value).__qualname__} (nested too deeply); "
            f"its results will not be reused from the cache",
            stacklevel=2,
        )
        return uuid.uuid4().hex
    return hasher.digest.hexdigest()
