"""The finite-difference witness: it never accuses a right gradient (its step follows the
function's scale, it knows its own error), and it still catches wrong ones."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from conftest import PROBLEMS
from test_derive import networks
from tutor import derive, gradcheck, load_problem, parse_problem

# One tanh neuron with a large input: with a fixed step h = 1e-3 the difference is off by
# 3e-7 of the gradient, and a right answer was called a bug in tutor.
STEEP = textwrap.dedent("""\
    name: steep tanh
    network: {inputs: 1, layers: [{units: 1, activation: tanh}]}
    loss: mse
    data: {inputs: [[20]], targets: [[0.5]]}
    init: {W1: [[0.01]], b1: [0]}
    """)


def test_a_steep_neuron_is_verified():
    d = derive(parse_problem(STEEP))
    g = d["W1[1,1]"]
    # (tanh(0.2) − 0.5)·2·(1 − tanh²(0.2))·20, by hand
    t = np.tanh(0.2)
    assert g.numbers.gradient == pytest.approx((t - 0.5) * 2 * (1 - t * t) * 20, rel=1e-14)
    assert g.check.ok and g.check.fd_error < 1e-9
    # the step follows the input's size: 1e-3/20, rounded down to a power of two
    assert g.check.fd_step == 2.0 ** np.floor(np.log2(1e-3 / 20)) / 2


def test_a_steep_neuron_from_the_command_line(tmp_path):
    path = tmp_path / "steep.yaml"
    path.write_text(STEEP)
    r = subprocess.run([sys.executable, "-m", "tutor", "derive", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "bug" not in r.stdout + r.stderr


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(weights=20.0, inputs=100.0, digits=6))
def test_never_accuses_a_right_gradient(text):
    """Weights up to 20 and inputs up to 100: steep, saturated and nearly flat losses, and
    losses that cancel to nearly 0. Every correct gradient passes."""
    problem = parse_problem(text)
    try:
        d = derive(problem)
    except Exception as e:  # only a forward pass that overflows may be refused
        assert "overflows" in str(e)
        return
    for g in d.gradients:
        assert g.check.ok, (g.param, g.check)


def _planted(d):
    """Each gradient of ``d`` with its finite difference, and a function telling whether a
    backward pass that gave ``wrong`` instead would fail the check (make_check itself)."""
    fds = gradcheck.finite_differences(d.problem, [g.param for g in d.gradients])

    def caught(fd, wrong: float) -> bool:
        return not gradcheck.make_check(wrong, wrong, fd, d.loss).fd_ok
    return zip(d.gradients, fds), caught


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_a_planted_error_is_caught(path):
    """A relative error of 10⁻⁵ in any gradient of a shipped problem (not at a kink, not
    exactly 0) is outside the difference's tolerance."""
    d = derive(load_problem(path))
    pairs, caught = _planted(d)
    for g, fd in pairs:
        c = g.check
        if c.kink or c.numpy == 0:
            continue
        assert c.fd_tol <= 1e-6, (g.param, c)
        assert caught(fd, c.numpy * (1 + 1e-5)), g.param


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(weights=2.0, inputs=3.0, digits=6))
def test_planted_errors_are_caught_on_random_networks(text):
    """Ordinary networks: a relative error of 10⁻⁴ is caught in every gradient over
    10⁻⁵·max(1, L) (below that the losses' rounding decides, and the old check did not look),
    an error of 1 % in every gradient over 10⁻⁶·max(1, L)."""
    d = derive(parse_problem(text))
    pairs, caught = _planted(d)
    for g, fd in pairs:
        c = g.check
        if c.kink:
            continue
        size = abs(c.numpy) / max(1.0, d.loss)
        if size > 1e-5:
            assert caught(fd, c.numpy * (1 + 1e-4)), (g.param, c)
        if size > 1e-6:
            assert caught(fd, c.numpy * (1 + 1e-2)), (g.param, c)


def test_a_wrong_backward_pass_is_caught(monkeypatch):
    """A planted bug in the engine's derivative of tanh (1 − a instead of 1 − a²): the symbolic
    way and the finite difference both disagree with it."""
    from tutor import activations
    wrong = dataclasses.replace(activations.ACTIVATIONS["tanh"], grad=lambda Z, A: 1 - A)
    monkeypatch.setitem(activations.ACTIVATIONS, "tanh", wrong)
    d = derive(load_problem(next(p for p in PROBLEMS if p.name == "tanh-regression.yaml")))
    hidden = [g for g in d.gradients if g.param.layer == 1]
    assert hidden and all(not g.check.fd_ok and not g.check.symbolic_ok
                          for g in hidden if g.check.numpy != 0)


def test_chunks_do_not_change_the_result(monkeypatch, xor):
    whole = gradcheck.finite_differences(xor, xor.network.param_refs())
    monkeypatch.setattr(gradcheck, "BUDGET", 1)
    assert gradcheck.finite_differences(xor, xor.network.param_refs()) == whole
