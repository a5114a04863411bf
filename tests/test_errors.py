"""One family of errors: every error the package raises on purpose is an AudioMLError (chapters 1-13)."""

from __future__ import annotations

import inspect

from audioml import errors
from audioml.errors import AudioMLError


def test_every_error_class_is_an_audioml_error_and_a_builtin_one() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    assert len(classes) >= 6
    for error in classes:
        assert issubclass(error, AudioMLError), f"{error.__name__} is not an AudioMLError"
