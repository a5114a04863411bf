"""Screen a student's answer cell before it runs: what an answer to a book exercise never needs.

An answer runs in the same Python process as the teacher's checks, so code that reaches the
interpreter, the kernel, the file system or the checks' own helpers could fake a pass. Such an
answer is not run at all: its exercise scores 0 with the reason, and the reference answer takes
its place so that later exercises that build on it can still be graded. Used by
:mod:`audioml.book.grading.assemble`.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Collection

from IPython.core.inputtransformer2 import TransformerManager

#: Modules an answer may not import (the interpreter, processes, files, the kernel, the grader).
# fmt: off
_FORBIDDEN_MODULES = {
    "os", "sys", "subprocess", "shutil", "pathlib", "io", "tempfile", "glob", "fnmatch", "ctypes", "cffi",
    "gc", "inspect", "importlib", "imp", "builtins", "__builtin__", "__main__", "types", "code", "codeop",
    "dis", "marshal", "pickle", "dill", "cloudpickle", "shelve", "dbm", "sqlite3", "zipfile", "tarfile",
    "socket", "http", "urllib", "requests", "ssl", "asyncio", "threading", "_thread", "multiprocessing",
    "concurrent", "signal", "atexit", "faulthandler", "traceback", "linecache", "tokenize", "runpy", "pkgutil",
    "site", "sysconfig", "platform", "resource", "pty", "fcntl", "mmap", "weakref", "copyreg", "unittest",
    "doctest", "pytest", "IPython", "ipykernel", "jupyter_client", "zmq", "nbformat", "nbclient", "papermill",
    "audioml.book.grading", "audioml.book.exercises", "audioml.book.results", "audioml.book.execute",
    "json", "pdb", "bdb",
    "trace", "tracemalloc", "sched", "selectors", "select", "webbrowser", "getpass", "pwd", "grp", "posix",
    "numpy.testing", "numpy.ctypeslib", "numpy.f2py", "numpy.distutils", "setuptools", "pip", "ast",
}
# fmt: on
#: Names an answer may not use: dynamic code, namespaces, exits, I/O and IPython's history.
# fmt: off
_FORBIDDEN_NAMES = {
    "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "dir", "setattr", "delattr",
    "breakpoint", "input", "open", "exit", "quit", "help", "memoryview", "get_ipython", "getattr",
    "SystemExit", "KeyboardInterrupt", "BaseException", "GeneratorExit", "In", "Out",
    "exercise_check", "assert_argument",
}
# fmt: on
_HISTORY = re.compile(r"^(_+|_i+\d*|_ih|_oh|_dh|_\d+)$")
#: Attribute names an answer may not touch: interpreter internals, exits, processes and file writes.
# fmt: off
_FORBIDDEN_ATTRIBUTES = {
    "_exit", "exit", "abort", "kill", "killpg", "system", "popen", "fork", "forkpty", "spawn", "spawnv",
    "execv", "execve", "execl", "modules", "settrace", "setprofile", "addaudithook", "_getframe", "f_back",
    "f_globals", "f_locals", "f_builtins", "f_code", "gi_frame", "cr_frame", "ag_frame", "tb_frame",
    "tb_next", "write_text", "write_bytes", "unlink", "rmdir", "rename", "replace", "touch", "mkdir",
    "chmod", "symlink_to", "hardlink_to", "to_csv", "to_pickle", "to_parquet", "to_json", "to_excel",
    "to_hdf", "to_feather", "to_sql", "to_html", "to_latex", "to_stata", "to_orc", "save", "savez",
    "savez_compressed", "savetxt", "tofile", "savefig", "dump", "dumps", "load_module", "exec_module",
    "write", "writelines", "open", "remove", "removedirs", "truncate", "environ", "putenv", "chdir",
    "attrgetter", "methodcaller", "read_pickle",
}
# fmt: on
# fmt: off
_ALLOWED_DUNDERS = {"__init__", "__call__", "__name__", "__len__", "__iter__", "__next__", "__getitem__",
                    "__repr__", "__str__", "__eq__", "__hash__", "__add__", "__mul__", "__sub__", "__neg__",
                    "__truediv__", "__pow__", "__radd__", "__rmul__", "__rsub__", "__rtruediv__", "__lt__",
                    "__le__", "__gt__", "__ge__", "__contains__", "__post_init__"}
# fmt: on
_transformer = TransformerManager()


def _method_names() -> frozenset[str]:
    """Methods and attributes of the values checks compare: shadowing one on an instance could lie."""
    import numpy as np
    import pandas as pd

    names = set(dir(np.ndarray)) | set(dir(pd.DataFrame)) | set(dir(pd.Series)) | set(dir(list)) | set(dir(dict))
    return frozenset(n for n in names if not n.startswith("_")) - {"data", "name", "index", "columns", "values"}


_SHADOWED = _method_names()


def _module_names(tree: ast.AST, known: Collection[str] = ()) -> set[str]:
    """Names bound to modules by the imports in ``tree`` and by plain aliases of them (``x = np``)."""
    names: set[str] = set(known)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names |= {alias.asname or alias.name for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Name, ast.Attribute)):
            base: ast.expr = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in names:
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _forbidden_module(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in _FORBIDDEN_MODULES)


#: Special methods an answer's classes may define (others could lie to a check: ``__eq__`` always True).
# fmt: off
_ALLOWED_METHODS = {"__init__", "__call__", "__repr__", "__str__", "__post_init__", "__len__", "__iter__",
                    "__next__", "__getitem__"}
# fmt: on


def _function_locals(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    """Parameters and names assigned inside a function (they shadow the chapter's globals there)."""
    arguments = function.args
    names = {a.arg for a in arguments.args + arguments.posonlyargs + arguments.kwonlyargs}
    names |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a}
    return names | {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _top_level_targets(tree: ast.Module) -> set[str]:
    """Names that the module level of ``tree`` binds (not inside functions or classes)."""
    bound: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        if not isinstance(node, ast.Lambda):
            stack.extend(
                n
                for n in ast.iter_child_nodes(node)
                if not isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp))
            )
    return bound


def bound_names(source: str) -> set[str]:
    """The module-level names a cell binds (used for the chapter's protected names)."""
    try:
        return _top_level_targets(ast.parse(_transformer.transform_cell(source)))
    except SyntaxError:
        return set()


def module_names(source: str) -> set[str]:
    """The names a cell binds to modules (its imports and plain aliases of them)."""
    try:
        return _module_names(ast.parse(_transformer.transform_cell(source)))
    except SyntaxError:
        return set()


def screen(source: str, protected: Collection[str] = (), modules: Collection[str] = ()) -> list[str]:
    """The reasons why an answer's source may not run (empty: it may).

    ``protected`` are the names the chapter's own cells bind (``np``, ``relative_error``,
    ``X_test``...) that this exercise's reference answer does not: an answer may use them but
    not rebind them or assign their items and attributes; ``modules`` are those of them bound to
    modules, which not even a function's own parameter may shadow.
    """
    if re.search(r"^\s*[!%]", source, re.MULTILINE):
        return ["shell commands and magics (lines starting with ! or %) are not allowed in an answer"]
    try:
        tree = ast.parse(_transformer.transform_cell(source))
    except SyntaxError as error:
        return [f"the answer is not valid Python: {error.msg} (line {error.lineno})"]
    problems: list[str] = []
    aliases = _module_names(tree, set(modules))
    modules = aliases | set(protected)
    problems += [
        f"rebinds {name}, which the chapter or Python defines"
        for name in sorted(_top_level_targets(tree) & (set(protected) | set(dir(builtins)) | _FORBIDDEN_NAMES))
    ]
    local_scopes = [
        (f, _function_locals(f))
        for f in ast.walk(tree)
        if isinstance(f, (ast.FunctionDef, ast.Lambda, ast.AsyncFunctionDef))
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            problems += [f"imports {a.name}" for a in node.names if _forbidden_module(a.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level or _forbidden_module(node.module or ""):
                problems.append(f"imports from {node.module}")
            problems += [
                f"imports {a.name} from {node.module}"
                for a in node.names
                if _forbidden_module(f"{node.module}.{a.name}") or a.name in _FORBIDDEN_NAMES
            ]
        elif isinstance(node, ast.Name) and (
            node.id in _FORBIDDEN_NAMES
            or node.id.startswith("__")
            or (_HISTORY.match(node.id) and isinstance(node.ctx, ast.Load))
        ):
            problems.append(f"uses {node.id}")
        elif isinstance(node, ast.Attribute):
            if node.attr in _FORBIDDEN_ATTRIBUTES:
                problems.append(f"uses .{node.attr}")
            elif node.attr.startswith("__") and node.attr not in _ALLOWED_DUNDERS:
                problems.append(f"uses .{node.attr}")
        elif isinstance(node, ast.ClassDef):
            problems += [
                f"class {node.name} derives from {ast.unparse(b)}" for b in node.bases if ast.unparse(b) != "object"
            ] + [f"class {node.name} has keywords" for _ in node.keywords]
            problems += [
                f"defines {item.name} in class {node.name}"
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                and item.name.startswith("__")
                and item.name not in _ALLOWED_METHODS
            ]
            problems += [
                f"assigns a special method in class {node.name}"
                for item in node.body
                if isinstance(item, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id.startswith("__") for t in item.targets)
            ]
        elif isinstance(node, ast.Global):
            problems.append("uses global")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "type"
            and len(node.args) > 1
        ):
            problems.append("creates a class with type()")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (".ipynb" in node.value or re.search(r"__\w+__", node.value))
        ):
            problems.append(f"uses the string {node.value[:40]!r}")
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)) and node.attr in _SHADOWED:
            problems.append(f"assigns .{node.attr}, a method of arrays and tables")
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            base = node.value
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if (
                isinstance(base, ast.Name)
                and base.id in modules
                and not any(
                    base.id in names and base.id not in aliases and _inside(node, function)
                    for function, names in local_scopes
                )
            ):
                problems.append(f"changes {ast.unparse(node)}, which the chapter defines")
    return list(dict.fromkeys(problems))


def _inside(node: ast.AST, function: ast.AST) -> bool:
    return any(child is node for child in ast.walk(function))
