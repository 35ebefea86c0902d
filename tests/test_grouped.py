"""Networks with more chain-rule paths than can be read: derived all the same, the paths
grouped by layer (the delta form), every parameter verified, and graded."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import need_module
from tutor import derive, parse_problem
from tutor.derivation import MAX_PATHS

# 1-6-6-6-6: 6⁴ = 1,296 paths from a first-layer weight through the softmax to the loss.
DEEP = textwrap.dedent("""\
    name: deep
    network:
      inputs: 1
      layers:
        - {units: 6, activation: tanh}
        - {units: 6, activation: sigmoid}
        - {units: 6, activation: relu}
        - {units: 6, activation: softmax}
    loss: cross_entropy
    data:
      inputs: [[0.5], [-1.0], [2.0]]
      targets: [[1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1]]
    init: {seed: 3}
    training: {lr: 0.1, epochs: 10}
    """)


@pytest.fixture(scope="module")
def deep():
    return derive(parse_problem(DEEP))


def test_every_parameter_is_derived_and_verified(deep):
    assert len(deep.gradients) == 6 + 6 + 3 * (36 + 6)
    assert deep.ok
    g = deep["W1[1,1]"]
    assert g.path_count == 6 ** 4 > MAX_PATHS and g.grouped and len(g.paths) == 3


def test_grouped_gradients_match_pytorch(deep):
    torch = need_module("torch")
    problem = parse_problem(DEEP)
    Ws = [torch.tensor(problem.params[f"W{l}"], requires_grad=True) for l in range(1, 5)]
    bs = [torch.tensor(problem.params[f"b{l}"], requires_grad=True) for l in range(1, 5)]
    a = torch.tensor(problem.inputs)
    for l, (W, b) in enumerate(zip(Ws, bs)):
        z = a @ W.T + b
        a = [torch.tanh, torch.sigmoid, torch.relu, lambda t: t][l](z)
    Y = torch.tensor(problem.targets)
    loss = torch.nn.functional.cross_entropy(a, Y)
    loss.backward()
    for l in range(1, 5):
        for name, t in ((f"W{l}", Ws[l - 1]), (f"b{l}", bs[l - 1])):
            got = np.array([[deep[f"{name}[{j + 1},{i + 1}]"].numbers.gradient
                             for i in range(t.shape[1])] for j in range(t.shape[0])]) \
                if t.dim() == 2 else np.array([deep[f"{name}[{j + 1}]"].numbers.gradient
                                               for j in range(t.shape[0])])
            np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_the_command_line_shows_the_count_and_the_grouping(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(DEEP)
    r = subprocess.run([sys.executable, "-m", "tutor", "derive", str(path), "-p", "W1[1,1]"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Chain rule: 1296 paths" in r.stdout and "(1293 more paths)" in r.stdout
    assert "Delta form" in r.stdout
    r = subprocess.run([sys.executable, "-m", "tutor", "derive", str(path), "-f", "json"],
                       capture_output=True, text=True, timeout=300)
    doc = json.loads(r.stdout)
    assert all(g["check"]["ok"] for g in doc["gradients"])
    assert doc["gradients"][0]["path_count"] == 1296


def test_a_grouped_gradient_is_graded(tmp_path):
    from click.testing import CliRunner

    from tutor.cli import main
    path = tmp_path / "deep.yaml"
    path.write_text(DEEP)
    d = derive(parse_problem(DEEP), ["W1[1,1]"])
    answers = tmp_path / "a.yaml"
    answers.write_text(f"gradients:\n  W1[1,1]: {d['W1[1,1]'].numbers.gradient!r}\n"
                       "formulas:\n  W1[1,1]: delta1[1]*x1\n  W1[1,2]: delta1[1]*x1\n".replace(
                           "W1[1,2]", "W2[1,1]"))
    r = CliRunner().invoke(main, ["check", str(path), str(answers), "-f", "json"])
    results = json.loads(r.output)["results"]
    assert [x["right"] for x in results] == [True, True, False]
