"""Derivations at any point of training: `derive --epoch N`, `--params run.json`, snapshots.

The reference is the weights `tutor train --epochs N` reports, written into a problem file by
hand as a learner would: the derivation at epoch N must equal the derivation of that file,
bit for bit."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT
from tutor import derive, load_problem
from tutor.cli import main
from tutor.training import at_epoch, train

XOR = ROOT / "problems" / "xor.yaml"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _problem_with(params: dict, tmp_path, name="at.yaml"):
    """xor.yaml with its init: replaced by these arrays, as a learner would copy them."""
    doc = yaml.safe_load(XOR.read_text())
    doc["init"] = {k: v for k, v in params.items()}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return load_problem(path)


def _values(d) -> dict:
    return {g.param.name: (g.value, g.numbers.gradient, tuple(g.numbers.per_sample))
            for g in d.gradients}


def test_derive_at_an_epoch_equals_the_trained_weights_copied_into_a_file(tmp_path):
    r = run("train", XOR, "--epochs", 700, "-f", "json")
    assert r.exit_code == 0, r.output
    reported = json.loads(r.output)["params"]
    by_hand = _problem_with(reported, tmp_path)
    at = at_epoch(load_problem(XOR), 700)
    for k, v in reported.items():
        assert np.array_equal(at.params[k], np.array(v))       # bit for bit
    assert _values(derive(at)) == _values(derive(by_hand))
    out = run("derive", XOR, "--epoch", 700, "-p", "W2")
    assert out.exit_code == 0, out.output
    assert "at the parameters after 700 epochs of training (η = 0.1, seed 0)" in out.output


def test_a_saved_run_and_its_snapshots_derive_like_training_to_that_epoch(tmp_path):
    saved = tmp_path / "run.json"
    r = run("train", XOR, "--epochs", 300, "--snapshot", "0,120", "--snapshot", 7,
            "-f", "json", "-o", saved)
    assert r.exit_code == 0, r.output
    doc = json.loads(saved.read_text())
    assert [s["epoch"] for s in doc["snapshots"]] == [0, 7, 120]
    problem = load_problem(XOR)
    assert doc["snapshots"][0]["params"] == {k: v.tolist() for k, v in problem.params.items()}
    for epoch in (7, 120, 300):
        a = run("derive", XOR, "--params", saved, "--epoch", epoch, "-f", "json")
        b = run("derive", XOR, "--epoch", epoch, "-f", "json")
        assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output)
        ga, gb = json.loads(a.output)["gradients"], json.loads(b.output)["gradients"]
        assert [g["gradient"] for g in ga] == [g["gradient"] for g in gb]
    # without --epoch: the run's last epoch
    last = run("derive", XOR, "--params", saved, "-p", "b2")
    assert "after 300 epochs" in last.output and "read from" in last.output


def test_a_sweep_run_is_picked_by_its_seed(tmp_path):
    saved = tmp_path / "sweep.json"
    assert run("train", XOR, "--epochs", 50, "--seeds", 3, "--seed", 4, "-f", "json",
               "-o", saved).exit_code == 0
    r = run("derive", XOR, "--params", saved, "-p", "b2")
    assert r.exit_code == 2 and "give --seed S to pick one" in r.output
    r = run("derive", XOR, "--params", saved, "--seed", 5, "-p", "b2", "-f", "json")
    assert r.exit_code == 0, r.output
    single = train(load_problem(XOR), epochs=50, seed=5)
    mine = derive(load_problem(XOR).with_params(single.params), ["b2[1]"])
    assert json.loads(r.output)["gradients"][0]["gradient"] == mine["b2[1]"].numbers.gradient
    r = run("derive", XOR, "--params", saved, "--seed", 9)
    assert r.exit_code == 2 and "no run with seed 9" in r.output


def test_a_file_of_arrays(tmp_path):
    p = tmp_path / "w.yaml"
    problem = load_problem(XOR)
    p.write_text(yaml.safe_dump({k: (v * 2).tolist() for k, v in problem.params.items()}))
    r = run("derive", XOR, "--params", p, "-p", "W1[1,1]")
    assert r.exit_code == 0 and f"at the parameters of {p}" in r.output


@pytest.mark.parametrize("content, words", [
    # a weight matrix of the wrong shape: the field and the shape
    ("W1: [[1, 2]]\nb1: [0, 0, 0]\nW2: [[1, 2, 3]]\nb2: [0]\n", "W1: expected weights of shape"),
    ("W1: [[1, 2], [1, 2], [1, 2]]\nb1: [0, 0, 0]\nW2: [[1, 2, 3]]\n", "missing 'b2'"),
    ("{\"format\": 1, \"network\": \"2-4-1 sigmoid/sigmoid\", \"params\": {}}",
     "this run trained a 2-4-1 sigmoid/sigmoid network"),
    ("{\"W1\": NaN}", "not valid JSON"),
    ("W1: [[1, 2], [1, 2], [1, 2]]\nb1: [0, 0, 0]\nW2: [[1, 2, .nan]]\nb2: [0]\n",
     "expected a finite number"),
])
def test_bad_params_files_are_one_line_errors(tmp_path, content, words):
    p = tmp_path / "bad.json"
    p.write_text(content)
    r = run("derive", XOR, "--params", p)
    assert r.exit_code == 2 and words in r.output and str(p) in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1


@pytest.mark.parametrize("args, words", [
    (["--lr", "1"], "give --epoch N too"),
    (["--seed", "1"], "give --epoch N too"),
])
def test_training_options_need_an_epoch(args, words):
    r = run("derive", XOR, *args)
    assert r.exit_code == 2 and words in r.output


def test_snapshot_past_the_run_is_refused():
    r = run("train", XOR, "--epochs", 10, "--snapshot", 11, "-f", "json")
    assert r.exit_code == 2 and "snapshot" in r.output


def test_traced_updates_are_the_derivation_at_each_epoch():
    """Each traced ∂L/∂p is what derive gives at that epoch, bit for bit, and each update
    lands on the weights of the next epoch."""
    problem = load_problem(XOR)
    r = train(problem, epochs=4, trace=3)
    assert [u.epoch for u in r.trace] == [0, 1, 2] and len(r.trace[0].steps) == 13
    for u in r.trace:
        at = at_epoch(problem, u.epoch)
        nxt = at_epoch(problem, u.epoch + 1)
        d = derive(at)
        for st in u.steps:
            # bit for bit the engine's value that derive checks against; the printed
            # (symbolic) value agrees to rounding
            assert st.gradient == d[st.name].check.numpy
            assert st.gradient == pytest.approx(d[st.name].numbers.gradient, rel=1e-12)
            assert st.before == d[st.name].value
            ref = d[st.name].param
            assert st.after == float(nxt.params[ref.array][ref.index])
            assert st.after == st.before - 0.1 * st.gradient


def test_traced_momentum_and_mini_batches_follow_the_trajectory(tmp_path):
    doc = yaml.safe_load(XOR.read_text())
    doc["training"] = {"lr": 0.5, "epochs": 10, "batch_size": 3, "momentum": 0.9}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc))
    problem = load_problem(path)
    r = train(problem, epochs=3, trace=5, trace_params=["W2[1,2]", "b1"])
    assert [len(u.batch) for u in r.trace] == [3, 1, 3, 1, 3]
    assert [st.name for st in r.trace[0].steps] == ["W2[1,2]", "b1[1]", "b1[2]", "b1[3]"]
    for a, b in zip(r.trace, r.trace[1:]):
        for sa, sb in zip(a.steps, b.steps):
            assert sb.before == sa.after and sb.velocity_before == sa.velocity
            assert sb.velocity == pytest.approx(0.9 * sa.velocity + sb.gradient, rel=1e-15)
    assert r.trace[0].steps[0].velocity_before is None
    # the batch's gradient: derive at the weights before, on that batch's samples alone
    u = r.trace[2]
    before = {**{k: v.copy() for k, v in at_epoch(problem, 1).params.items()}}
    idx = [k - 1 for k in u.batch]
    sub = dataclasses.replace(problem, inputs=problem.inputs[idx],
                              targets=problem.targets[idx])
    d = derive(sub.with_params(before), ["W2[1,2]"])
    assert u.steps[0].gradient == pytest.approx(d["W2[1,2]"].numbers.gradient, rel=1e-12)


def test_trace_on_the_command_line():
    r = run("train", XOR, "--epochs", 2, "--trace", 1, "-p", "b2")
    assert r.exit_code == 0, r.output
    assert "b⁽²⁾₁ ← 0.412695 − 0.1 · 0.11333 = 0.401362" in r.output
    j = run("train", XOR, "--epochs", 2, "--trace", 2, "-f", "json")
    doc = json.loads(j.output)
    assert len(doc["trace"]) == 2 and doc["trace"][1]["params"]["b2[1]"]["before"] == \
        doc["trace"][0]["params"]["b2[1]"]["after"]
    assert run("train", XOR, "-p", "b2").exit_code == 2
    assert run("train", XOR, "--trace", 1, "--seeds", 2).exit_code == 2
    assert run("train", XOR, "--trace", 1, "-p", "W9").exit_code == 2
