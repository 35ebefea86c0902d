"""The command line, through click's CliRunner: every format, -o, and every kind of bad input
giving one clean line and exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import ROOT
from tutor.cli import main

XOR = str(ROOT / "problems" / "xor.yaml")
XOR_TEXT = (ROOT / "problems" / "xor.yaml").read_text()


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_help_everywhere():
    for args in ([], ["derive"], ["train"], ["check"], ["worksheet"], ["serve"]):
        r = run(*args, "--help")
        assert r.exit_code == 0 and "Usage:" in r.output


def test_help_imports_neither_sympy_nor_numpy():
    code = ("import sys\nfrom tutor.cli import main\n"
            "for args in (['--help'], ['derive', '--help'], ['serve', '--help']):\n"
            "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
            "print(sorted(m for m in ('sympy', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().endswith("[]")


@pytest.mark.parametrize("fmt", ["text", "latex", "markdown", "json"])
def test_derive_every_format(fmt):
    r = run("derive", XOR, "-p", "W1[2,1]", "-f", fmt)
    assert r.exit_code == 0, r.output
    assert r.output.strip()
    if fmt == "json":
        doc = json.loads(r.output)
        assert [g["param"] for g in doc["gradients"]] == ["W1[2,1]"]


def test_derive_default_is_every_parameter_in_text():
    r = run("derive", XOR)
    assert r.exit_code == 0
    assert r.output.count("━━━ ∂L/∂") == 13
    assert "✗" not in r.output


def test_param_lists_and_arrays():
    r = run("derive", XOR, "-p", "W2[1,1],b2[1]", "--param", "b1", "-f", "json")
    names = [g["param"] for g in json.loads(r.output)["gradients"]]
    assert names == ["W2[1,1]", "b2[1]", "b1[1]", "b1[2]", "b1[3]"]


def test_output_file(tmp_path):
    out = tmp_path / "xor.tex"
    r = run("derive", XOR, "-p", "b2[1]", "-f", "latex", "-o", str(out))
    assert r.exit_code == 0 and r.output == ""
    assert out.read_text().startswith(r"\documentclass")
    assert [p.name for p in tmp_path.iterdir()] == ["xor.tex"]  # no temporary file left


def test_python_m_tutor():
    r = subprocess.run([sys.executable, "-m", "tutor", "derive", XOR, "-p", "b2[1]"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "∂L/∂b⁽²⁾₁" in r.stdout


BIG = """\
name: big
network: {inputs: 2, layers: [{units: 150, activation: tanh}, {units: 150, activation: tanh},
                              {units: 1, activation: identity}]}
loss: mse
data: {inputs: [[1, 2]], targets: [1]}
"""

CASES = [
    # (what, file text or None for XOR, extra arguments, words in the message)
    ("malformed YAML", "name: [oops\n", [], "not valid YAML"),
    ("unknown key", "name: x\nnetwrok: {}\n", [], "netwrok"),
    ("unknown activation", XOR_TEXT.replace("activation: sigmoid}   # layer 1",
                                                 "activation: sigmod}   # layer 1"),
     [], "network.layers[0].activation"),
    ("wrong data shape", XOR_TEXT.replace("[[0, 0], [0, 1]", "[[0], [0, 1]"), [],
     "data.inputs[0]"),
    ("non-finite number", XOR_TEXT.replace("lr: 0.1", "lr: .nan"), [], "finite"),
    ("softmax without cross-entropy", XOR_TEXT.replace(
        "{units: 1, activation: sigmoid}", "{units: 2, activation: softmax}"), [], "softmax"),
    ("a parameter that does not exist", None, ["-p", "W3[1,1]"], "no parameter W3"),
    ("an index out of range", None, ["-p", "W1[4,1]"], "1 ≤ j ≤ 3"),
    ("a sample out of range", None, ["--sample", "9"], "--sample"),
    ("a network too large to derive", BIG, [], "too large"),
]


@pytest.mark.parametrize("what,content,extra,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(tmp_path, what, content, extra, words):
    path = XOR
    if content is not None:
        path = tmp_path / "p.yaml"
        path.write_text(content)
    out = tmp_path / "out.txt"
    r = CliRunner().invoke(main, ["derive", str(path), *extra, "-o", str(out)])
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.output
    assert words in lines[0]
    assert "Traceback" not in r.output
    assert not out.exists()  # -o leaves no file behind


def test_missing_file_and_directory(tmp_path):
    r = run("derive", str(tmp_path / "nope.yaml"))
    assert r.exit_code == 2 and "cannot read" in r.output
    r = run("derive", str(tmp_path))
    assert r.exit_code == 2


def test_failed_run_keeps_an_existing_output_file(tmp_path):
    out = tmp_path / "keep.txt"
    out.write_text("mine")
    r = run("derive", XOR, "-p", "W9", "-o", str(out))
    assert r.exit_code == 2
    assert out.read_text() == "mine"


def test_bad_option_values_are_usage_errors():
    assert run("derive", XOR, "--sample", "0").exit_code == 2
    assert run("derive", XOR, "-f", "pdf").exit_code == 2
    assert run("derive", XOR, "--fragment").exit_code == 2


@pytest.fixture
def broken_checks(monkeypatch):
    """Every gradient's three computations made to disagree, as a bug in tutor would."""
    import dataclasses

    from tutor import gradcheck
    original = gradcheck.make_check
    monkeypatch.setattr(gradcheck, "make_check", lambda *a, **k: dataclasses.replace(
        original(*a, **k), symbolic_error=1.0))


def test_a_disagreement_is_never_shown(broken_checks, tmp_path):
    out = tmp_path / "d.json"
    r = run("derive", XOR, "-p", "W1[2,1]", "-f", "json", "-o", str(out))
    assert r.exit_code == 1
    assert "internal error: the three computations of ∂L/∂W1[2,1] disagree" in r.output
    assert not out.exists()
    # Nor graded against.
    r = run("check", XOR, str(ROOT / "problems" / "answers" / "xor.yaml"))
    assert r.exit_code == 1 and "internal error" in r.output and "✓" not in r.output


def test_a_worksheet_never_shows_a_traceback_for_a_disagreement(broken_checks, tmp_path):
    """Errors are mapped to exit statuses in one place, for every command."""
    r = run("worksheet", XOR, "-o", str(tmp_path / "out"))
    assert r.exit_code == 1 and "internal error" in r.output
    assert not isinstance(r.exception, Exception) or isinstance(r.exception, SystemExit)


def test_a_command_runs_at_its_own_collector_pace_and_restores_it(monkeypatch):
    """A command sets the garbage collector's thresholds for its run (fewer passes over the
    objects a derivation keeps) and gives the caller's back, also when it fails."""
    import gc
    import tutor.derivation
    from tutor.cli import GC_THRESHOLD
    before = gc.get_threshold()
    seen = []
    derive = tutor.derivation.derive

    def watched(*args, **kwargs):
        seen.append(gc.get_threshold())
        return derive(*args, **kwargs)
    monkeypatch.setattr(tutor.derivation, "derive", watched)
    assert run("derive", XOR, "-p", "W2[1,1]").exit_code == 0
    assert seen == [GC_THRESHOLD] != [before]
    assert gc.get_threshold() == before
    assert run("derive", "no-such-file.yaml").exit_code == 2
    assert gc.get_threshold() == before
