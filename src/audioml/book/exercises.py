"""Exercise checks that tell a student whether an answer works (every chapter's exercises).

A check cell wraps its assertions in :func:`exercise_check`; it never raises, so a
student notebook runs on after a wrong answer. The printed line is for the reader only:
the autograder (:mod:`audioml.book.grading`) runs the teacher's copy of the check and reads
its outcome through its own channel, never this line. :func:`assert_argument` is the check
of a written answer in the open-ended exercises (chapters 2, 4, 8, 12 and 14).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

PASSED, FAILED = "passed", "failed"
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:\.(\d+))?(\s?%)?")


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


def _quotes(text: str, value: float) -> bool:
    """Whether ``text`` writes ``value`` at the precision it prints it (0.861, 86.1 % or 86 %)."""
    for match in _NUMBER.finditer(text):
        written = float(match.group(0).rstrip("% ").replace("−", "-"))
        tolerance = 0.5 * 10.0 ** -len(match.group(1) or "") + 1e-9
        if abs(written - value) <= tolerance or (match.group(2) and abs(written - 100 * value) <= tolerance):
            return True
    return False


def assert_argument(
    text: object,
    *,
    min_words: int,
    terms: Iterable[str] = (),
    min_terms: int = 0,
    numbers: Iterable[float] = (),
    min_numbers: int = 0,
) -> None:
    """Assert that a written answer is an argument, not filler; the teacher's rubric grades its substance.

    It must be a string of at least ``min_words`` words, mostly different words (filler and
    repeated sentences fail), name at least ``min_terms`` of ``terms`` (case-insensitive) and
    quote at least ``min_numbers`` of ``numbers``, the quantities the chapter computed.
    """
    assert isinstance(text, str), f"write the argument as a string, not {type(text).__name__}"
    words = [w.lower() for w in _WORD.findall(text)]
    assert len(words) >= min_words, f"argue in at least {min_words} words ({len(words)} so far)"
    assert len(set(words)) >= 0.45 * len(words), "too many repeated words: write an argument, not filler"
    sentences = [s.strip().lower() for s in re.split(r"[.!?;]+", text) if len(s.split()) >= 3]
    assert len(set(sentences)) == len(sentences), "a sentence is repeated: write an argument, not filler"
    terms = list(terms)
    named = [t for t in terms if t.lower() in text.lower()]
    assert len(named) >= min_terms, f"name at least {min_terms} of {terms} (you name {named or 'none'})"
    numbers = [float(n) for n in numbers]
    quoted = [n for n in numbers if _quotes(text, n)]
    assert len(quoted) >= min_numbers, (
        f"quote at least {min_numbers} of the numbers you measured "
        f"({', '.join(f'{n:.3g}' for n in numbers)}), at the precision you print them"
    )
