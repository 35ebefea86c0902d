"""Training: updates against hand computation and PyTorch, sweeps against single runs, the
verdicts, the JSON, the pictures and the command line."""

from __future__ import annotations

import dataclasses
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from conftest import DATA, PROBLEMS, ROOT, need_module
from tutor import engine, load_problem, parse_problem
from tutor.cli import main
from tutor.training import TrainingDiverged, baseline_loss, train

XOR = str(ROOT / "problems" / "xor.yaml")


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_every_shipped_problem_learns_with_its_own_settings(path):
    problem = load_problem(path)
    r = train(problem)
    initial = float(engine.loss_and_gradients(problem)[0])
    assert r.losses[0] == pytest.approx(initial, rel=1e-12)
    assert float(r.final_loss) < 0.9 * initial
    assert r.losses[-1] <= r.losses[-100]  # and not going up at the end


def test_xor_is_solved_with_enough_epochs(xor):
    r = train(xor, epochs=20000)
    assert r.verdicts()[0].solved and float(r.final_loss) < 0.05


def test_one_update_equals_the_update_by_hand(xor_explicit):
    # One epoch of full-batch gradient descent on the mean BCE, written out for the 2-3-1 net.
    p = {k: np.array(v) for k, v in xor_explicit.params.items()}
    X, Y, lr = xor_explicit.inputs, xor_explicit.targets, 0.1
    a1 = _sigmoid(X @ p["W1"].T + p["b1"])
    a2 = _sigmoid(a1 @ p["W2"].T + p["b2"])
    d2 = (a2 - Y) / 4
    d1 = d2 @ p["W2"] * a1 * (1 - a1)
    expected = {"W2": p["W2"] - lr * d2.T @ a1, "b2": p["b2"] - lr * d2.sum(0),
                "W1": p["W1"] - lr * d1.T @ X, "b1": p["b1"] - lr * d1.sum(0)}
    r = train(xor_explicit, epochs=1, lr=lr)
    for name, want in expected.items():
        np.testing.assert_allclose(r.params[name], want, rtol=1e-14, atol=0)


def test_textbook_update_matches_the_published_weights(textbook):
    # The classic worked example: one update with η = 0.5 gives these weights.
    r = train(textbook, epochs=1, lr=0.5)
    np.testing.assert_allclose(r.params["W2"], [[0.35891648, 0.408666186],
                                                [0.511301270, 0.561370121]], atol=2e-8)
    np.testing.assert_allclose(r.params["W1"], [[0.149780716, 0.19956143],
                                                [0.24975114, 0.29950229]], atol=2e-8)


def _torch_run(problem, epochs, lr, momentum, batch_size=None):
    """The same training with torch.optim.SGD, float64, as the independent reference; with
    ``batch_size``, mini-batches in tutor's order (a permutation per epoch from
    ``default_rng([1, 0])``), the last one smaller when the batch size does not divide n."""
    torch = need_module("torch")
    Ws = [torch.tensor(problem.params[f"W{l}"], requires_grad=True)
          for l in range(1, len(problem.network.layers) + 1)]
    bs = [torch.tensor(problem.params[f"b{l}"], requires_grad=True)
          for l in range(1, len(problem.network.layers) + 1)]
    X, Y = torch.tensor(problem.inputs), torch.tensor(problem.targets)
    opt = torch.optim.SGD([*Ws, *bs], lr=lr, momentum=momentum)
    def loss_of(X, Y):
        a = X
        for W, b in zip(Ws, bs):
            a = torch.sigmoid(a @ W.T + b)
        return torch.nn.functional.binary_cross_entropy(a, Y)

    n = X.shape[0]
    B = batch_size or n
    rng = np.random.default_rng([1, 0])
    losses = []
    for _ in range(epochs):
        with torch.no_grad():
            losses.append(loss_of(X, Y).item())
        order = rng.random(n).argsort() if batch_size else np.arange(n)
        for s in range(0, n, B):
            idx = torch.tensor(order[s:s + B])
            opt.zero_grad()
            loss_of(X[idx], Y[idx]).backward()
            opt.step()
    return losses, {f"W{l}": W.detach().numpy() for l, W in enumerate(Ws, 1)}


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_training_matches_pytorch_sgd(xor_explicit, momentum):
    problem = parse_problem((DATA / "xor-explicit.yaml").read_text().replace(
        "training: {lr: 0.1, epochs: 100}",
        f"training: {{lr: 0.5, epochs: 300, momentum: {momentum}}}"))
    want_losses, want = _torch_run(problem, 300, 0.5, momentum)
    r = train(problem)
    np.testing.assert_allclose(r.losses, want_losses, rtol=1e-11)
    for name, w in want.items():
        np.testing.assert_allclose(r.params[name], w, rtol=1e-10)


@pytest.mark.parametrize("batch_size", [2, 3, 4])
def test_uneven_mini_batches_with_momentum_match_pytorch(batch_size):
    """5 samples in batches of 2 (2 + 2 + 1) or 3 (3 + 2): the velocity is kept in units of
    the batch mean, as torch.optim.SGD keeps it, so the smaller last batch adds a mean too."""
    text = (DATA / "xor-explicit.yaml").read_text()
    text = text.replace("[[0, 0], [0, 1], [1, 0], [1, 1]]", "[[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.5]]")
    text = text.replace("[[0], [1], [1], [0]]", "[[0], [1], [1], [0], [1]]")
    text = text.replace("training: {lr: 0.1, epochs: 100}",
                        f"training: {{lr: 0.5, epochs: 300, momentum: 0.9, "
                        f"batch_size: {batch_size}}}")
    problem = parse_problem(text)
    want_losses, want = _torch_run(problem, 300, 0.5, 0.9, batch_size)
    r = train(problem)
    np.testing.assert_allclose(r.losses, want_losses, rtol=1e-10)
    for name, w in want.items():
        np.testing.assert_allclose(r.params[name], w, rtol=1e-9)


SWEEP_VARIANTS = {
    "full batch": "training: {lr: 0.5, epochs: 600}",
    "mini-batch with momentum": "training: {lr: 0.5, epochs: 600, batch_size: 3, "
                                "momentum: 0.5}",
}


@pytest.mark.parametrize("variant", SWEEP_VARIANTS, ids=list(SWEEP_VARIANTS))
def test_a_sweep_equals_its_single_runs_bit_for_bit(variant):
    text = (ROOT / "problems" / "xor.yaml").read_text().replace(
        "training: {lr: 0.1, epochs: 5000}", SWEEP_VARIANTS[variant])
    problem = parse_problem(text)
    sweep = train(problem, seeds=5, seed=7)
    assert sweep.seeds == (7, 8, 9, 10, 11)
    for k, seed in enumerate(sweep.seeds):
        one = train(problem, seed=seed)
        assert np.array_equal(one.losses, sweep.losses[:, k])
        for name in one.params:
            assert np.array_equal(one.params[name], sweep.params[name][k])
        assert one.verdicts()[0] == sweep.verdicts()[k]


def test_full_batch_is_batch_size_n():
    text = (ROOT / "problems" / "xor.yaml").read_text()
    full = train(parse_problem(text), epochs=200)
    batched = train(parse_problem(text.replace("epochs: 5000}", "epochs: 5000, "
                                               "batch_size: 4}")), epochs=200)
    assert np.array_equal(full.losses, batched.losses)


def test_mini_batches_take_every_sample_once_per_epoch():
    # With lr tiny, an epoch of mini-batch steps moves the parameters by η times the sum of
    # the batch gradients, to first order the full-batch gradient times the number of
    # batches, whatever the order.
    text = (ROOT / "problems" / "xor.yaml").read_text().replace(
        "training: {lr: 0.1, epochs: 5000}", "training: {lr: 1.0e-7, epochs: 1, batch_size: 2}")
    problem = parse_problem(text)
    r = train(problem)
    _, _, bw = engine.loss_and_gradients(problem)
    for name, g in bw.grads.items():
        moved = (problem.params[name] - r.params[name]) / 1e-7
        np.testing.assert_allclose(moved, 2 * g, rtol=1e-5, atol=1e-9)


def test_the_same_seed_gives_the_same_bytes():
    runner = CliRunner()
    a = runner.invoke(main, ["train", XOR, "--epochs", "300", "-f", "json"])
    b = runner.invoke(main, ["train", XOR, "--epochs", "300", "-f", "json"])
    assert a.exit_code == 0 and a.output == b.output


def test_xor_plateau_is_named(xor):
    # Seed 8 is still on the ln 2 plateau after 5000 epochs at lr 0.1.
    r = train(xor, seed=8)
    v = r.verdicts()[0]
    assert v.status == "plateau" and not v.solved
    assert v.baseline == pytest.approx(math.log(2), rel=1e-15)
    from tutor.printing.trainreport import summary
    text = " ".join(summary(r).split())
    assert "ln 2 ≈ 0.6931 plateau" in text and "--seeds 100" in text


def test_baseline_is_the_loss_of_the_best_constant():
    for path in PROBLEMS:
        problem = load_problem(path)
        mean = problem.targets.mean(axis=0)
        const = np.broadcast_to(mean, problem.targets.shape)
        Y = problem.targets
        if problem.loss == "bce":
            with np.errstate(divide="ignore", invalid="ignore"):
                want = np.nan_to_num(-(Y * np.log(const) + (1 - Y) * np.log(1 - const))).mean()
        elif problem.loss == "cross_entropy":
            with np.errstate(divide="ignore"):
                want = np.nan_to_num(-(Y * np.log(const))).sum(axis=1).mean()
        elif problem.loss == "mse":
            want = ((const - Y) ** 2).mean()
        elif problem.loss == "huber":
            d = dict(problem.loss_options).get("delta", 1.0)
            r = np.abs(const - Y)
            want = np.where(r <= d, 0.5 * r ** 2, d * (r - d / 2)).mean()
        else:
            want = 0.5 * ((const - Y) ** 2).sum(axis=1).mean()
        assert baseline_loss(problem) == pytest.approx(want, rel=1e-12, abs=1e-15), path.stem


def _big_weights_problem(scale):
    return parse_problem(yaml.safe_dump({
        "name": "big", "network": {"inputs": 1, "layers": [
            {"units": 2, "activation": "sigmoid"}, {"units": 1, "activation": "sigmoid"}]},
        "loss": "bce", "data": {"inputs": [[1.0], [-1.0]], "targets": [[1.0], [0.0]]},
        "init": {"W1": [[scale], [-scale]], "b1": [0.0, 0.0], "W2": [[-scale, scale]],
                 "b2": [0.0]}}))


@pytest.mark.parametrize("scale", [1e2, 1e4])
def test_saturated_networks_stay_finite_and_quiet(scale):
    # Warnings are errors in this suite: any overflow in exp or log would fail the test.
    problem = _big_weights_problem(scale)
    r = train(problem, epochs=20, lr=0.1)
    assert np.all(np.isfinite(r.losses)) and np.isfinite(r.final_loss)
    assert r.losses[0] > scale / 2  # confidently wrong: the loss is huge, but exact and finite
    L, fw, bw = engine.loss_and_gradients(problem)
    assert all(np.all(np.isfinite(g)) for g in bw.grads.values())


def test_a_single_run_that_diverges_names_the_epoch():
    problem = load_problem(ROOT / "problems" / "tanh-regression.yaml")
    with pytest.raises(TrainingDiverged, match=r"non-finite at epoch \d+ .*smaller learning"):
        train(problem, lr=1e5)


def test_a_sweep_reports_diverged_copies_instead_of_stopping():
    problem = load_problem(ROOT / "problems" / "tanh-regression.yaml")
    r = train(problem, lr=1e5, seeds=3, epochs=200)
    assert {v.status for v in r.verdicts()} == {"diverged"}


def _independent_measures(problem, params):
    """The verdict's measurements computed another way: each sample's gradient from a pass
    over that sample alone, flattened and compared as vectors; f′ of σ written out."""
    X, Y = problem.inputs, problem.targets
    flat = []
    for n in range(X.shape[0]):
        one = dataclasses.replace(problem.with_params(params), inputs=X[n:n + 1],
                                  targets=Y[n:n + 1])
        _, _, bw = engine.loss_and_gradients(one, params)
        flat.append(np.concatenate([bw.grads[k].ravel() for k in sorted(bw.grads)]))
    flat = np.array(flat)
    mean = flat.mean(axis=0)
    per = np.linalg.norm(flat, axis=1).mean()
    a = _sigmoid(X @ params["W1"].T + params["b1"])
    saturated = float((a * (1 - a) < 0.05 * 0.25).mean())
    return np.linalg.norm(mean), per, saturated


@pytest.mark.parametrize("how, status, cause", [
    ({"seed": 8}, "plateau", "cancelling"),                       # on the ln 2 plateau
    ({"epochs": 20000, "lr": 1.0}, "solved", None),
    ({}, "learning", "slow"),                                    # the problem's own run
])
def test_the_verdict_measures_what_it_says(xor, how, status, cause):
    r = train(xor, **how)
    v = r.verdicts()[0]
    assert v.status == status
    gn, per, sat = _independent_measures(xor, r.params)
    m = v.measured
    assert m.grad_norm == pytest.approx(gn, rel=1e-9)
    assert m.sample_norm == pytest.approx(per, rel=1e-9)
    assert m.cancellation == pytest.approx(gn / per, rel=1e-9)
    assert m.saturated == pytest.approx(sat)
    assert (cause in v.causes) if cause else v.causes == ()
    if status == "plateau":
        # the numbers of the issue: sizable per-sample gradients, a tiny mean
        assert per > 0.1 and gn < 1e-3 * per * 10
        assert "symmetric" not in v.causes          # the units are not alike: not claimed


def test_a_saturated_network_is_measured_as_saturated():
    problem = _big_weights_problem(30.0)
    r = train(problem, epochs=50, lr=0.01)
    v = r.verdicts()[0]
    _, _, sat = _independent_measures(problem, r.params)
    assert v.measured.saturated == pytest.approx(sat) == 1.0
    assert "saturated" in v.causes or v.status == "solved"
    from tutor.training import measure
    assert measure(problem, r.params)[0].saturated == 1.0


def test_symmetric_units_are_measured_and_named():
    doc = yaml.safe_load(Path(XOR).read_text())
    doc["init"] = {"W1": [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], "b1": [0.1, 0.1, 0.1],
                   "W2": [[0.3, 0.3, 0.3]], "b2": [0.0]}
    problem = parse_problem(yaml.safe_dump(doc))
    r = train(problem, epochs=2000, lr=0.5)
    v = r.verdicts()[0]
    assert not v.solved and v.measured.spread == pytest.approx(0.0, abs=1e-12)
    assert "symmetric" in v.causes


def test_diverged_copies_have_no_measures():
    problem = load_problem(ROOT / "problems" / "tanh-regression.yaml")
    r = train(problem, lr=1e5, seeds=2, epochs=50)
    assert all(v.measured is None and v.causes == () for v in r.verdicts())


def test_the_plateau_text_shows_the_cancellation_not_a_canned_cause(xor):
    from tutor.printing.trainreport import summary
    text = summary(train(xor, seed=8))
    assert "symmetry" not in text
    assert "Measured at the final weights:" in text and "gradients cancel" in text


# ------------------------------------------------------------------------------------------
# The command line


def test_cli_prints_the_classic_loop(xor):
    result = CliRunner().invoke(main, ["train", XOR])
    assert result.exit_code == 0, result.output
    lines = [l for l in result.output.splitlines() if l.startswith("Epoch ")]
    assert [l.split(",")[0] for l in lines] == [f"Epoch {e}" for e in range(0, 5000, 500)]
    r = train(xor)
    assert lines[0] == f"Epoch 0, Loss: {r.losses[0]:.4f}"
    assert f"Final loss after 5000 epochs: {float(r.final_loss):.4f}" in result.output
    assert "x    y  ŷ       class" in result.output
    assert "Solved" in result.output or "Not solved" in result.output


def test_cli_sweep_summary():
    result = CliRunner().invoke(main, ["train", XOR, "--seeds", "20", "--every", "1000"])
    assert result.exit_code == 0, result.output
    assert "20 seeds (0–19) trained at once" in result.output
    assert "Epoch 1000, Loss: median" in result.output
    assert "Solved: " in result.output and " of 20 seeds" in result.output


def test_cli_json(tmp_path, xor):
    out = tmp_path / "run.json"
    result = CliRunner().invoke(main, ["train", XOR, "--epochs", "50", "-f", "json",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    r = train(xor, epochs=50)
    assert doc["format"] == 1 and doc["epochs"] == 50 and doc["seed"] == 0
    assert doc["losses"] == r.losses.tolist()
    assert np.array(doc["params"]["W1"]).shape == (3, 2)
    assert doc["params"]["W2"] == r.params["W2"].tolist()
    assert [p["input"] for p in doc["predictions"]] == xor.inputs.tolist()
    assert doc["predictions"][0]["class"] in ([0], [1])
    assert doc["verdict"]["status"] in ("solved", "plateau", "learning", "stuck")


def test_cli_json_sweep():
    result = CliRunner().invoke(main, ["train", XOR, "--epochs", "20", "--seeds", "3",
                                       "-f", "json"])
    doc = json.loads(result.output)
    assert [run["seed"] for run in doc["runs"]] == [0, 1, 2]
    assert doc["summary"]["seeds"] == 3 and len(doc["runs"][2]["losses"]) == 20


@pytest.mark.parametrize("args, message", [
    (["--epochs", "-1"], "--epochs"),        # negative epochs
    (["--lr", "0"], "--lr"),                 # lr must be positive
    (["--lr", "-0.5"], "--lr"),
    (["--seeds", "0"], "--seeds"),           # an empty sweep
    (["--every", "0"], "--every"),
    (["--format", "xml"], "--format"),
])
def test_cli_bad_options_are_usage_errors(args, message):
    result = CliRunner().invoke(main, ["train", XOR, *args])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_cli_divergence_exits_1(tmp_path):
    out = tmp_path / "x.json"
    result = CliRunner().invoke(main, ["train", str(ROOT / "problems" / "tanh-regression.yaml"),
                                       "--lr", "100000", "-f", "json", "-o", str(out)])
    assert result.exit_code == 1
    assert "non-finite at epoch" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_cli_missing_problem_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["train", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "nope.yaml" in result.output


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("extra", [[], ["--seeds", "8"]], ids=["single", "sweep"])
def test_cli_pictures_are_pngs_of_the_stated_size(tmp_path, extra):
    need_module("matplotlib")
    loss, boundary = tmp_path / "loss.png", tmp_path / "boundary.png"
    result = CliRunner().invoke(main, ["train", XOR, "--epochs", "300", "--plot", str(loss),
                                       "--boundary", str(boundary), *extra])
    assert result.exit_code == 0, result.output
    assert _png_size(loss) == (800, 500)
    assert _png_size(boundary) == (800, 500)


def test_cli_boundary_of_three_classes(tmp_path):
    need_module("matplotlib")
    out = tmp_path / "b.png"
    result = CliRunner().invoke(main, ["train", str(ROOT / "problems" / "softmax.yaml"),
                                       "--epochs", "100", "--boundary", str(out)])
    assert result.exit_code == 0, result.output
    assert _png_size(out) == (800, 500)


def test_cli_boundary_needs_two_inputs(tmp_path):
    result = CliRunner().invoke(main, ["train", str(ROOT / "problems" / "tanh-regression.yaml"),
                                       "--boundary", str(tmp_path / "b.png")])
    assert result.exit_code == 2 and "2 inputs" in result.output


def test_cli_without_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    result = CliRunner().invoke(main, ["train", XOR, "--plot", str(tmp_path / "l.png")])
    assert result.exit_code == 2
    assert "pip install matplotlib" in result.output and "Traceback" not in result.output
    assert "pip install -e '.[plot]'" in result.output
    assert not (tmp_path / "l.png").exists()


def test_loss_records_are_chunked_by_memory_not_changed(xor, monkeypatch):
    """A sweep over many samples records fewer epochs at a time: the same losses, bit for
    bit, and the memory bounded."""
    import tutor.training as training
    whole = train(xor, seeds=3, epochs=40)
    monkeypatch.setattr(training, "RECORD_BYTES", 3 * 4 * 8 * 7)      # 7 epochs a chunk
    chunked = train(xor, seeds=3, epochs=40)
    assert np.array_equal(whole.losses, chunked.losses)
    assert np.array_equal(whole.final_loss, chunked.final_loss)


def test_train_imports_no_sympy():
    """`tutor train` needs no symbolic mathematics and imports none (a fresh interpreter)."""
    import subprocess
    code = ("import sys\nfrom tutor.cli import main\ntry:\n    main(['train', " + repr(XOR)
            + ", '--epochs', '10'])\nexcept SystemExit:\n    pass\n"
            "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    assert out == "False"
