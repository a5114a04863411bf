"""Exercise checks that tell a student whether an answer works (every chapter's exercises).

A check cell wraps its assertions in :func:`exercise_check`; it never raises, so a
student notebook runs on after a wrong answer, and the autograder
(:mod:`audioml.grading`) reads the one line it prints.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator

PASSED, FAILED = "passed", "failed"
#: The line a check prints; the autograder parses it.
RESULT_LINE = re.compile(r"^[✔✘] exercise (?P<label>[\w.-]+) (?P<status>passed|failed)", re.MULTILINE)


@contextmanager
def exercise_check(label: str) -> Iterator[None]:
    """Run the assertions inside the ``with`` block and print whether exercise ``label`` works."""
    try:
        yield
    except NotImplementedError:
        print(f"✘ exercise {label} failed: not answered yet (the cell above still raises NotImplementedError)")
    except Exception as error:  # the student's code may raise anything; report it, don't stop
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        print(f"✘ exercise {label} failed: {reason}")
    else:
        print(f"✔ exercise {label} passed: your answer works")
