"""The first cell the grader runs in a submission's kernel: an audit hook that keeps it in its folder.

Python's audit hooks (PEP 578) cannot be removed once added. The hook refuses, with a
``PermissionError``, to write, delete or rename outside the submission's folder and the
system's temporary folder, to read any notebook or the book's ``notebooks/``, ``_build/``
and ``.git/``, and to start processes (but joblib's ``lscpu``, ``ldconfig -p`` and Graphviz's
``dot`` writing to a pipe); every refusal is also appended to a report file that the kernel
opened before any student code ran. Used by :mod:`audioml.book.grading.run`.
"""

from __future__ import annotations

_PROLOGUE = r"""
def _grader_guard(report_path, allowed, forbidden, book, own):
    import os as _os, sys as _sys
    fd = _os.open(report_path, _os.O_WRONLY | _os.O_APPEND | _os.O_CREAT, 0o600)
    write, fspath, realpath, sep, basename = _os.write, _os.fspath, _os.path.realpath, _os.sep, _os.path.basename
    allowed, forbidden, book, own = tuple(allowed), tuple(forbidden), tuple(book), tuple(own)
    writes = _os.O_WRONLY | _os.O_RDWR | _os.O_APPEND | _os.O_CREAT | _os.O_TRUNC
    paths = {"os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.replace": (0, 1),
             "os.symlink": (0, 1), "os.link": (0, 1), "os.chmod": (0,), "os.chown": (0,), "os.truncate": (0,),
             "os.utime": (0,), "shutil.rmtree": (0,), "shutil.copyfile": (1,), "shutil.copytree": (1,),
             "shutil.move": (0, 1), "os.chdir": (0,)}
    processes = {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "subprocess.Popen",
                 "os.kill", "os.killpg", "pty.spawn", "sys.setprofile", "sys.settrace", "sys.addaudithook"}

    def refuse(what):
        write(fd, (what.replace("\n", " ") + "\n").encode("utf-8", "replace"))
        raise PermissionError(f"the grader refused: {what}")

    def inside(path, roots):
        return any(path == root or path.startswith(root + sep) for root in roots)

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int) or path is None:
                return
            real = realpath(fspath(path) if not isinstance(path, bytes) else path.decode("utf-8", "replace"))
            writing = (isinstance(mode, str) and any(m in mode for m in "wax+")) or bool((flags or 0) & writes)
            if real.endswith((".ipynb", ".ipynb.txt")) or (inside(real, forbidden) and not inside(real, own)):
                refuse(f"open {real}")
            # the book may itself sit under the temporary folder: its files stay off limits for writing
            outside = not inside(real, allowed) or (inside(real, book) and not inside(real, own))
            if writing and outside and not real.startswith("/dev/"):
                refuse(f"write {real}")
        elif event in paths:
            for item in (args[i] for i in paths[event] if i < len(args)):
                if isinstance(item, (str, bytes)) or hasattr(item, "__fspath__"):
                    real = realpath(fspath(item) if not isinstance(item, bytes) else item.decode("utf-8", "replace"))
                    if not inside(real, allowed) or (inside(real, book) and not inside(real, own)):
                        refuse(f"{event} {real}")
        elif event in processes:
            argv = args[1] if event in ("subprocess.Popen", "os.posix_spawn") and len(args) > 1 else None
            program = basename(str(argv[0])) if isinstance(argv, (list, tuple)) and argv else ""
            if program == "lscpu" or (program == "dot" and not any(str(a).startswith(("-o", "-O")) for a in argv[1:])):
                return  # joblib's core count; Graphviz rendering to a pipe (Keras plot_model): no files written
            if program == "ldconfig" and [str(a) for a in argv[1:]] == ["-p"]:
                return  # ctypes.util.find_library on Python 3.13 lists the library cache: it writes nothing
            refuse(f"{event} {str(args[:2])[:120]}")

    _sys.addaudithook(hook)


_grader_guard(@REPORT@, @ALLOWED@, @FORBIDDEN@, @BOOK@, @OWN@)
del _grader_guard
"""


def prologue(report: str, allowed: list[str], forbidden: list[str], book: list[str], own: list[str]) -> str:
    """The guard cell's source for one submission.

    ``allowed``: where it may write; ``forbidden``: where it may not read; ``book``: the book's
    root, never written even when it lies inside an allowed folder; ``own``: the submission's folder
    and cache, which win over ``forbidden`` and ``book``.
    """
    return (
        _PROLOGUE.replace("@REPORT@", repr(report))
        .replace("@ALLOWED@", repr(allowed))
        .replace("@FORBIDDEN@", repr(forbidden))
        .replace("@BOOK@", repr(book))
        .replace("@OWN@", repr(own))
    )


#: Run once before the first answer: remember every attribute of the modules the chapter uses and
#: the chapter's own names; ``VERIFY`` (before each test) fails if an answer replaced any of them.
_SNAPSHOT = r"""
def _grader_snapshot(protected):
    import builtins as _builtins, sys as _sys, types as _types
    roots = ("numpy", "scipy", "pandas", "sklearn", "math", "random", "statistics", "audioml", "micrograd", "librosa",
             "operator", "functools", "itertools", "collections", "contextlib")
    namespace = _sys.modules["__main__"].__dict__
    chapter = {name: namespace[name] for name in protected if name in namespace and not name.startswith("_")}
    skip = {"sys", "os", "subprocess", "importlib", "warnings", "logging", "threading", "IPython", "ipykernel", "tqdm"}
    bound = {id(v) for v in chapter.values()}  # by identity: == on arrays and tensors is elementwise
    # by identity too: a skipped module stays skipped under an alias (numba registers `sys` as
    # numba.cpython.hashing.sys on Python 3.13, and IPython 7 swaps sys.excepthook on every cell)
    skipped = {id(m) for name, m in list(_sys.modules.items()) if name.split(".")[0] in skip}
    modules = {name: m for name, m in list(_sys.modules.items()) if isinstance(m, _types.ModuleType)
               and (name.split(".")[0] in roots or id(m) in bound) and not name.startswith("audioml.book.grading")
               and name.split(".")[0] not in skip and id(m) not in skipped}
    modules["builtins"] = _builtins
    saved = {(name, key): value for name, m in modules.items() for key, value in list(vars(m).items())
             if (callable(value) or isinstance(value, _types.ModuleType)) and not key.startswith("_")
             and key not in ("input", "raw_input", "getpass")}  # functions, classes, modules (not state; the
    # kernel itself swaps input() on every request)
    items, is_, str_, len_, sorted_ = list(saved.items()), (lambda a, b: a is b), str, len, sorted

    def verify():
        changed = [f"{m}.{k}" for (m, k), v in items if not is_(vars(modules[m]).get(k, saved), v)]
        changed += [n for n, v in chapter.items() if not is_(namespace.get(n, chapter), v)]
        if len_(changed):
            raise RuntimeError("the answers replaced " + ", ".join(sorted_(changed)[:5]))
    return verify


_grader_verify = _grader_snapshot(@PROTECTED@)
del _grader_snapshot
"""
VERIFY = "_grader_verify()"


def snapshot(protected: set[str]) -> str:
    """The snapshot cell's source, given the chapter's names that no answer may rebind."""
    return _SNAPSHOT.replace("@PROTECTED@", repr(sorted(protected)))
