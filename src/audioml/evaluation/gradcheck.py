"""Central finite-difference gradient checks (chapter 3).

Chapter 3 checks micrograd's ``backward()``, a hand-written chain rule and
TensorFlow's ``GradientTape`` against the oldest gradient there is: nudge one
parameter up and down by ``eps`` and watch the loss,

    df/dp_i ~ (f(p + eps e_i) - f(p - eps e_i)) / (2 eps),

whose error shrinks like ``eps**2`` (until rounding, about ``1e-16 / eps``, takes over).
Everything here works on plain floats and numpy arrays, so it can check any engine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "gradient_check"]


def numerical_gradient(f: Callable[[np.ndarray], float], params, eps: float = 1e-6):
    """The central-difference gradient of the scalar function ``f`` at ``params``.

    ``params`` is a float, a sequence or a numpy array of any shape; ``f`` receives a
    float64 array of that shape (a 0-d array for a float) and returns a number. The
    result has the shape of ``params`` (a float for a float). ``params`` is not modified.
    Costs ``2 * params.size`` calls of ``f``.
    """
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    scalar = np.ndim(params) == 0
    point = np.array(params, dtype=np.float64)  # a copy: the caller's array stays as it was
    grad = np.zeros_like(point)
    flat, flat_grad = point.reshape(-1), grad.reshape(-1)  # views into point and grad
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        up = float(f(point))
        flat[i] = original - eps
        down = float(f(point))
        flat[i] = original
        flat_grad[i] = (up - down) / (2 * eps)
    if not np.all(np.isfinite(grad)):
        raise FloatingPointError("f returned a non-finite value near params; the gradient is undefined there")
    return float(grad) if scalar else grad


def relative_error(a, b, tiny: float = 1e-12) -> float:
    """``|a - b| / (|a| + |b|)`` with Euclidean norms over all elements: 0 for equal gradients.

    Scale-free, so one threshold (e.g. ``1e-6``) fits large and small gradients. When both
    are (nearly) zero the denominator is floored at ``tiny`` and the result is about
    ``|a - b| / tiny``, i.e. the absolute difference counts.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"gradients have different shapes: {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(float(np.linalg.norm(a) + np.linalg.norm(b)), tiny))


def gradient_check(f: Callable[[np.ndarray], float], analytic, params, eps: float = 1e-6) -> float:
    """:func:`relative_error` between an ``analytic`` gradient and :func:`numerical_gradient`."""
    return relative_error(analytic, numerical_gradient(f, params, eps))
