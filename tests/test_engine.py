"""The NumPy engine against hand-computed values and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import PROBLEMS
from tutor import engine, load_problem
from tutor.activations import stable_sigmoid


def test_textbook_forward_pass_matches_the_published_numbers(textbook):
    # The worked example's published values: out_h1, out_h2, out_o1, out_o2, E_total.
    L, fw, _ = engine.loss_and_gradients(textbook)
    assert fw.activations[1][0] == pytest.approx([0.593269992, 0.596884378], abs=1e-9)
    assert fw.output[0] == pytest.approx([0.75136507, 0.772928465], abs=1e-8)
    assert float(L) == pytest.approx(0.298371109, abs=1e-9)


def test_textbook_gradients_match_the_published_updates(textbook):
    # The example updates with η = 0.5; (old − new)/η recovers its gradients.
    _, _, bw = engine.loss_and_gradients(textbook)
    eta = 0.5
    published_W2 = np.array([[0.35891648, 0.408666186], [0.511301270, 0.561370121]])
    published_W1 = np.array([[0.149780716, 0.19956143], [0.24975114, 0.29950229]])
    assert bw.grads["W2"] == pytest.approx((textbook.params["W2"] - published_W2) / eta,
                                           abs=2e-8)
    assert bw.grads["W1"] == pytest.approx((textbook.params["W1"] - published_W1) / eta,
                                           abs=2e-8)
    assert bw.grads["W2"][0, 0] == pytest.approx(0.082167041, abs=1e-9)


def _hand_xor_gradient(problem):
    """∂L/∂w⁽¹⁾₂₁ for a 2-3-1 sigmoid/BCE net, by hand with math.exp: mean over samples of
    (ŷ − y)·w⁽²⁾₁₂·a⁽¹⁾₂(1 − a⁽¹⁾₂)·x₁."""
    W1, b1, W2, b2 = (problem.params[k].tolist() for k in ("W1", "b1", "W2", "b2"))
    sig = lambda t: 1 / (1 + math.exp(-t))
    total = 0.0
    for x, (y,) in zip(problem.inputs.tolist(), problem.targets.tolist()):
        a = [sig(W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j]) for j in range(3)]
        yhat = sig(sum(W2[0][j] * a[j] for j in range(3)) + b2[0])
        total += (yhat - y) * W2[0][1] * a[1] * (1 - a[1]) * x[0]
    return total / len(problem.inputs)


def test_xor_gradient_equals_the_hand_computation(xor):
    _, _, bw = engine.loss_and_gradients(xor)
    assert bw.grads["W1"][1, 0] == pytest.approx(_hand_xor_gradient(xor), rel=1e-12)


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_backward_agrees_with_finite_differences(path):
    problem = load_problem(path)
    _, _, bw = engine.loss_and_gradients(problem)
    h = 1e-6
    for name, value in problem.params.items():
        for idx in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in problem.params.items()}
            minus = {k: v.copy() for k, v in problem.params.items()}
            plus[name][idx] += h
            minus[name][idx] -= h
            X, Y = problem.inputs, problem.targets
            fd = (engine.batch_loss(problem.network, problem.loss_fn, plus, X, Y)
                  - engine.batch_loss(problem.network, problem.loss_fn, minus, X, Y)) / (2 * h)
            assert bw.grads[name][idx] == pytest.approx(fd, rel=1e-5, abs=1e-8)


def test_copies_dimension_runs_independent_networks(xor):
    rng = np.random.default_rng(1)
    copies = engine.init_params(xor.network, rng, copies=(5,))
    L = engine.batch_loss(xor.network, xor.loss, copies, xor.inputs, xor.targets)
    assert L.shape == (5,)
    for c in range(5):
        one = {k: v[c] for k, v in copies.items()}
        assert L[c] == pytest.approx(float(engine.batch_loss(xor.network, xor.loss, one,
                                                             xor.inputs, xor.targets)))


def test_stable_sigmoid_has_no_overflow():
    z = np.array([-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4])
    s = stable_sigmoid(z)  # warnings are errors in the test suite
    assert np.all(np.isfinite(s))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5


def test_losses_from_logits_stay_finite_at_extreme_weights(xor):
    params = {k: v * 1e4 for k, v in xor.params.items()}
    L, fw, bw = engine.loss_and_gradients(xor, params)
    assert np.isfinite(L)
    assert all(np.all(np.isfinite(g)) for g in bw.grads.values())
