"""Values a strict JSON results file can hold (chapters 1-14, through :class:`audioml.book.results.ResultsLog`).

numpy scalars and arrays become plain numbers and lists; NaN, infinity and types JSON has no
form for are refused with a :class:`~audioml.errors.ParameterError` naming the field.
"""

from __future__ import annotations

import math

import numpy as np

from audioml.errors import ParameterError


def plain(value: object, field: str) -> object:
    """``value`` as JSON-able Python (numpy scalars and arrays converted); a ParameterError naming
    ``field`` for NaN, infinity or a type JSON cannot hold."""
    if value is None or isinstance(value, (str, bool, np.bool_)):
        return bool(value) if isinstance(value, np.bool_) else value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ParameterError(
                f"field {field!r} is {float(value)}; JSON has no NaN or infinity, so a results "
                f"file cannot hold it: leave the field out or record why it is undefined"
            )
        return float(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(item, f"{field}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, (str, int, np.integer)) or isinstance(key, (bool, np.bool_)):
                raise ParameterError(
                    f"field {field!r} has a key {key!r} of type {type(key).__name__}; use strings (or integers) as keys"
                )
        return {str(int(k) if isinstance(k, np.integer) else k): plain(v, f"{field}.{k}") for k, v in value.items()}
    raise ParameterError(
        f"field {field!r} holds a {type(value).__name__} ({value!r:.60}), which a results file "
        f"cannot hold; convert it to a number, string, list or dict"
    )


def integer(value: object, field: str) -> int:
    """``value`` as an int; a ParameterError naming ``field`` when it is not a whole number."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not number.is_integer():
        raise ParameterError(f"{field} must be a whole number, got {value!r}")
    return int(number)
