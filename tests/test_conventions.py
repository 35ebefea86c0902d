"""Notations of the weights (tutor.conventions): a dlfs problem (W of shape (inputs, units),
x W + b) is the same network as its pytorch twin (the transposed weights), derived to the
same numbers, checked against PyTorch written the book's way, printed and read with the
indices the other way round; answers in the other layout are named as such, not as mistakes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT, need_module
from tutor import conventions, derive, load_problem, parse_problem
from tutor.answers import parse_answers
from tutor.checking import check
from tutor.cli import main
from tutor.printing import render

DLFS = ROOT / "problems" / "ko" / "dlfs-two-layer.yaml"


def _twin(problem, convention: str):
    """The same network, its weights written in ``convention``."""
    doc = {"name": problem.name, "convention": convention,
           "network": {"inputs": problem.network.inputs,
                       "layers": [{"units": l.units, "activation": l.activation}
                                  for l in problem.network.layers]},
           "loss": problem.loss,
           "data": {"inputs": problem.inputs.tolist(), "targets": problem.targets.tolist()},
           "init": {k: (v.T if k[0] == "W" and convention == "dlfs" else v).tolist()
                    for k, v in problem.params.items()},
           "training": {"lr": problem.training.lr, "epochs": problem.training.epochs}}
    return parse_problem(yaml.safe_dump(doc))


def test_registry():
    assert set(conventions.CONVENTIONS) == {"pytorch", "dlfs"}
    assert conventions.DEFAULT == "pytorch"
    for c in conventions.CONVENTIONS.values():
        assert c.title and c.shape
    assert conventions.swap_weights("W1[2,1] + w2[10,3]*b1[2]") == "W1[1,2] + w2[3,10]*b1[2]"


def test_dlfs_file_is_read_transposed():
    p = load_problem(DLFS)
    assert p.convention == "dlfs"
    assert p.params["W1"].shape == (3, 2)            # tutor's own (units, fan_in)
    assert p.params["W1"][1, 0] == 0.1 * -2          # the file's W1[1,2] = -0.2
    doc = yaml.safe_load(DLFS.read_text("utf-8"))
    doc["init"]["W1"] = np.array(doc["init"]["W1"]).T.tolist()   # the pytorch shape, wrongly
    with pytest.raises(Exception) as e:
        parse_problem(yaml.safe_dump(doc), "bad.yaml")
    assert "init.W1" in str(e.value)


def test_both_conventions_give_the_same_numbers():
    xor = load_problem(ROOT / "problems" / "xor.yaml")
    d_pt, d_dl = derive(xor), derive(_twin(xor, "dlfs"))
    assert [g.value for g in d_pt.gradients] == [g.value for g in d_dl.gradients]
    assert [g.numbers.gradient for g in d_pt.gradients] == \
        [g.numbers.gradient for g in d_dl.gradients]


def test_names_and_matrix_form_in_dlfs():
    xor = load_problem(ROOT / "problems" / "xor.yaml")
    d = derive(_twin(xor, "dlfs"), ["W1[2,1]"])       # tutor's own name: into 2 from 1
    text = render(d, "text")
    assert "∂L/∂w⁽¹⁾₁₂ — W1[1,2]" in text               # the book's: from 1 into 2
    assert "∂zⱼ/∂wᵢⱼ = aᵢ" in text
    assert "δ⁽¹⁾ = (δ⁽²⁾ W⁽²⁾ᵀ) ⊙ f′(z⁽¹⁾)" in text and "a⁽⁰⁾ₙᵀ δ⁽¹⁾ₙ" in text
    assert r"w^{(1)}_{12}" in render(d, "latex")
    doc = json.loads(render(d, "json"))
    assert doc["convention"] == "dlfs" and doc["gradients"][0]["param"] == "W1[1,2]"
    assert "W1[1,2]" in doc["gradients"][0]["expression"]["ascii"] or \
        "W1" not in doc["gradients"][0]["expression"]["ascii"]
    html = render(d, "html")
    assert "<mn>12</mn>" in html
    # the pytorch problem is untouched
    assert "∂L/∂w⁽¹⁾₂₁ — W1[2,1]" in render(derive(xor, ["W1[2,1]"]), "text")


def test_dlfs_agrees_with_pytorch_written_the_books_way():
    """Independent reference: PyTorch with x @ W + b and W of the file's shape."""
    torch = need_module("torch")
    p = load_problem(DLFS)
    doc = yaml.safe_load(DLFS.read_text("utf-8"))
    W = {k: torch.tensor(np.array(v, dtype=float), dtype=torch.float64, requires_grad=True)
         for k, v in doc["init"].items()}
    X = torch.tensor(p.inputs, dtype=torch.float64)
    T = torch.tensor(p.targets, dtype=torch.float64)
    h = torch.relu(X @ W["W1"] + W["b1"])
    y = torch.softmax(h @ W["W2"] + W["b2"], dim=1)
    loss = -(T * torch.log(y)).sum(dim=1).mean()      # SoftmaxWithLoss: the batch mean
    loss.backward()
    d = derive(p)
    assert d.loss == pytest.approx(float(loss.detach()), rel=1e-12)
    for g in d.gradients:
        shown = conventions.shown(g.param.name, conventions.CONVENTIONS["dlfs"])
        name = g.param.array
        if name[0] == "W":
            i, j = (int(k) - 1 for k in shown[shown.index("[") + 1:-1].split(","))
            want = float(W[name].grad[i, j])         # the book's W[i, j]: from i into j
        else:
            want = float(W[name].grad[g.param.row - 1])
        assert g.numbers.gradient == pytest.approx(want, rel=1e-9, abs=1e-14), shown


def test_answers_in_the_books_layout():
    p = load_problem(DLFS)
    d = derive(p, ["W1[2,1]"])                        # tutor's order
    g = d.gradients[0]
    k = p.exercise_sample
    text = (f"sample: {k}\ngradients:\n  W1[1,2]: {g.numbers.gradient:.6g}\n"
            f"sample_gradients:\n  W1[1,2]: {g.numbers.sample_gradient:.6g}\n")
    report = check(p, parse_answers(text, p))
    assert all(r.ok for r in report.results), [(r.answer.name, r.mistake) for r in
                                               report.results]
    # the same numbers against the pytorch twin: right in the dlfs layout, and said so
    twin = _twin(p, "pytorch")
    report = check(twin, parse_answers(text, twin))
    assert not any(r.ok for r in report.results)
    from tutor.printing import words
    said = [words.text(r.diagnosis) for r in report.results]
    assert all("right in the dlfs layout" in s and "pytorch" in s for s in said), said


def test_formulas_read_in_the_problems_convention():
    p = load_problem(DLFS)
    text = ("sample: 1\nformulas:\n  W2[2,1]: (yhat1 - y1)*a1[2]\n")     # into 1 from 2
    report = check(p, parse_answers(text, p))
    assert report.results[0].ok, report.results[0].mistake


def test_cli_end_to_end(tmp_path):
    """-p, train's JSON (weights in the file's layout), --params read back, a worksheet key
    graded against its own variant: all in the book's names."""
    runner = CliRunner()
    r = runner.invoke(main, ["derive", str(DLFS), "-p", "W1[1,2]"])
    assert r.exit_code == 0 and "W1[1,2] = -0.2" in r.output, r.output
    run = tmp_path / "run.json"
    r = runner.invoke(main, ["train", str(DLFS), "--epochs", "50", "-f", "json", "-o", str(run)])
    assert r.exit_code == 0, r.output
    saved = json.loads(run.read_text())
    assert saved["convention"] == "dlfs" and np.array(saved["params"]["W1"]).shape == (2, 3)
    r = runner.invoke(main, ["derive", str(DLFS), "--params", str(run), "-p", "W1[1,2]"])
    assert r.exit_code == 0, r.output
    w = saved["params"]["W1"][0][1]
    assert f"W1[1,2] = {w:.6g}" in r.output
    out = tmp_path / "sheets"
    r = runner.invoke(main, ["worksheet", str(DLFS), "-n", "1", "-o", str(out), "-p",
                             "W1[1,2],W2[2,1]"])
    assert r.exit_code == 0, r.output
    key = next((out / "keys").glob("*.yaml"))
    assert '"W1[1,2]"' in key.read_text() or "W1[1,2]" in key.read_text()
    r = runner.invoke(main, ["check", str(DLFS), str(key), "--key", str(key)])
    assert r.exit_code == 0, r.output


def test_the_web_tutor_writes_the_problems_way():
    """A dlfs problem's page: links, boxes, derivation and grading all in the book's names;
    a number typed in the box for w⁽¹⁾₁₂ is graded against the weight from input 1 into
    neuron 2."""
    need_module("starlette")
    need_module("httpx2")
    from starlette.testclient import TestClient
    from tutor.web.app import create_app
    from tutor.web.library import Library
    p = load_problem(DLFS)
    d = derive(p, ["W1[2,1]"])                          # tutor's order
    app = create_app(Library.from_dir(ROOT / "problems" / "ko"), workers=1)
    with TestClient(app) as c:
        page = c.get("/problems/dlfs-two-layer?param=W1[1,2]").text
        assert 'data-param="W1[1,2]"' in page and "W1[1,2] = -0.2" in page
        r = c.post("/problems/dlfs-two-layer/check",
                   data={"param": "W1[1,2]", "answer": f"{d.gradients[0].numbers.gradient:.6g}",
                         "sample": "1"}, headers={"Accept": "application/json"})
        assert r.status_code == 200 and "verdict right" in r.json()["html"], r.text
        api = c.get("/api/problems/dlfs-two-layer/derivation", params={"param": "W1[1,2]"})
        assert api.json()["gradients"][0]["param"] == "W1[1,2]"
        assert api.json()["gradients"][0]["value"] == -0.2


def test_the_batch_mean_as_the_book_computes_it():
    """dlfs's matrix form is the book's computation: the batch's rows stacked, the 1/N in Δ
    (SoftmaxWithLoss divides by the batch size once, at the output), dW = Aᵀ Δ, db = Σ Δ;
    the numbers are derive's."""
    p = load_problem(DLFS)
    d = derive(p, ["W1[1,2]", "b2[1]"])
    text = render(d, "text")
    assert "= A⁽⁰⁾ᵀ Δ⁽¹⁾, Δ⁽¹⁾ₙ = δ⁽¹⁾ₙ/N" in text and "= Σₙ Δ⁽²⁾ₙ" in text
    assert r"A^{(0)\top} \Delta^{(1)}" in render(d, "latex")
    assert "<mi>Δ</mi>" in render(d, "html")
    assert "Δ" not in render(derive(load_problem(ROOT / "problems" / "xor.yaml"),
                                    ["W1[1,1]"]), "text")       # pytorch: as before
    # The book's TwoLayerNet on the batch, from the file's own (inputs, units) weights:
    # Affine → Relu → Affine → SoftmaxWithLoss, whose backward is dout = (Y − T)/N, then
    # dW = x.T @ dout and db = Σ dout in each Affine.
    doc = yaml.safe_load(DLFS.read_text("utf-8"))
    W1, b1, W2, b2 = (np.array(doc["init"][k], dtype=float) for k in ("W1", "b1", "W2", "b2"))
    x = np.array(doc["data"]["inputs"], dtype=float)
    t = np.array(doc["data"]["targets"], dtype=float)
    h = x @ W1 + b1
    a = np.maximum(h, 0)
    z = a @ W2 + b2
    y = np.exp(z - z.max(axis=1, keepdims=True))
    y /= y.sum(axis=1, keepdims=True)
    dout2 = (y - t) / len(x)                            # Δ⁽²⁾: the 1/N once, at the output
    db2 = dout2.sum(axis=0)
    dout1 = (dout2 @ W2.T) * (h > 0)                    # Δ⁽¹⁾
    dW1 = x.T @ dout1
    ref = d.gradients[0].param                          # tutor's own order: (neuron, input)
    assert dW1[ref.col - 1, ref.row - 1] == pytest.approx(d.gradients[0].numbers.gradient,
                                                          rel=1e-12)
    assert db2[0] == pytest.approx(d.gradients[1].numbers.gradient, rel=1e-12)
