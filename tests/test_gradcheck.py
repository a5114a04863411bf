"""audioml.evaluation.gradcheck, and the gradient bookkeeping of micrograd that chapter 3 teaches."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from micrograd.engine import Value

from audioml.evaluation.gradcheck import gradient_check, numerical_gradient, relative_error
from audioml.plotting.graphs import trace


def test_numerical_gradient_of_known_functions():
    p = np.array([0.3, -1.2, 2.0])
    # f = sum(p^2): grad 2p
    assert relative_error(numerical_gradient(lambda q: np.sum(q**2), p), 2 * p) < 1e-9

    # f = sin(p0) * exp(p1) + p2^3
    def f(q):
        return math.sin(q[0]) * math.exp(q[1]) + q[2] ** 3

    analytic = [math.cos(p[0]) * math.exp(p[1]), math.sin(p[0]) * math.exp(p[1]), 3 * p[2] ** 2]
    assert gradient_check(f, analytic, p) < 1e-8
    # logistic loss of a linear model, grad (sigmoid(w.x) - y) x
    x, y = np.array([1.5, -0.5, 2.0]), 1.0

    def loss(w):
        return np.log1p(np.exp(-(w @ x)))

    sigmoid = 1 / (1 + np.exp(-(p @ x)))
    assert gradient_check(loss, (sigmoid - y) * x, p) < 1e-8


def test_scalar_and_matrix_params_keep_their_shape_and_are_not_modified():
    assert numerical_gradient(lambda q: q**3, 2.0) == pytest.approx(12.0, rel=1e-8)
    assert isinstance(numerical_gradient(lambda q: q**3, 2.0), float)
    W = np.arange(6, dtype=float).reshape(2, 3)
    before = W.copy()
    grad = numerical_gradient(lambda M: float(np.sum(M**2)), W)
    assert grad.shape == (2, 3) and np.allclose(grad, 2 * W, atol=1e-6)
    assert np.array_equal(W, before)
    assert np.allclose(numerical_gradient(lambda q: q @ q, [1.0, 2.0]), [2.0, 4.0])


def test_relative_error():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error([1.0], [-1.0]) == pytest.approx(1.0)
    assert relative_error([1e-3], [1.001e-3]) == pytest.approx(1e-6 / 2.001e-3, rel=1e-6)
    with pytest.raises(ValueError, match="shapes"):
        relative_error([1.0, 2.0], [1.0])


def test_bad_eps_and_non_finite_functions_are_refused():
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(lambda q: q, 1.0, eps=0)
    with pytest.raises(FloatingPointError):
        numerical_gradient(lambda q: 1.0 / q if q > 0 else math.inf, 0.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=4, max_size=4), st.lists(st.floats(-2, 2), min_size=4, max_size=4))
def test_micrograd_neuron_gradients_match_finite_differences(weights, inputs):
    """A neuron w.x + b followed by a square (micrograd 0.1.0 has no tanh): any weights, any inputs."""

    def loss_of(params):
        w, b = params[:4], params[4]
        return (float(np.dot(w, inputs)) + b - 0.5) ** 2

    params = [Value(w) for w in weights] + [Value(0.1)]
    act = sum((w * x for w, x in zip(params[:4], inputs)), params[4])
    loss = (act - 0.5) ** 2
    loss.backward()
    analytic = [p.grad for p in params]
    point = np.array(weights + [0.1])
    numeric = numerical_gradient(loss_of, point, eps=1e-5)
    # the loss is quadratic, so the central difference is exact up to rounding
    assert np.allclose(analytic, numeric, rtol=1e-6, atol=1e-6)


def test_backward_twice_accumulates_and_zeroing_fixes_it():
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    e = a * b
    d = e + c
    d.backward()
    first = {"a": a.grad, "b": b.grad, "c": c.grad, "e": e.grad}
    assert first == {"a": -3.0, "b": 2.0, "c": 1, "e": 1}
    d.backward()  # no zeroing: every += adds to what the first call left behind
    assert c.grad == 2 * first["c"] and e.grad == 2 * first["e"]  # one step below the root: doubled
    # two steps below: a gets b.data * e.grad with e.grad already doubled, on top of its old value
    assert a.grad == first["a"] + 2 * first["a"] and b.grad == 3 * first["b"]
    nodes, _ = trace(d)
    for node in nodes:  # zero every value of the graph, then backward is right again
        node.grad = 0
    d.backward()
    assert {"a": a.grad, "b": b.grad, "c": c.grad, "e": e.grad} == first


def test_forgetting_zero_grad_between_steps_sums_the_gradients():
    """The training-loop case: a fresh graph each step, parameters shared."""
    w = Value(0.5)
    for x in (1.0, 2.0):
        (w * x).backward()
    assert w.grad == 1.0 + 2.0  # the sum of both steps' gradients, not the last one
    w.grad = 0  # what Module.zero_grad() does for every parameter
    (w * 2.0).backward()
    assert w.grad == 2.0
