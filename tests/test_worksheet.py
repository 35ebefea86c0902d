"""tutor worksheet: documents that compile, keys that tutor check accepts, safe text."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import PROBLEMS, ROOT, need
from tutor.cli import main
from tutor.variants import variant_params
from tutor.worksheet import build

XOR = str(ROOT / "problems" / "xor.yaml")


def _pdf_text(pdf: Path) -> str:
    pdftotext = need("pdftotext")
    txt = pdf.with_suffix(".txt")
    subprocess.run([pdftotext, str(pdf), str(txt)], check=True, timeout=60)
    return " ".join(txt.read_text(errors="replace").split())


def test_variants_are_reproducible_distinct_and_pleasant(xor):
    a = variant_params(xor, 5, 1)
    assert all((variant_params(xor, 5, 1)[k] == v).all() for k, v in a.items())
    b = variant_params(xor, 5, 2)
    assert any((b[k] != v).any() for k, v in a.items())
    for v in a.values():
        assert ((v * 10).round() == v * 10).all() and (abs(v) <= 1).all() and (v != 0).all()


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_every_shipped_problem_compiles_and_its_keys_pass(path, tmp_path):
    need("pdflatex")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["worksheet", str(path), "-o", str(out), "--variants",
                                       "2", "--seed", "11", "--pdf"])
    assert result.exit_code == 0, result.output
    sheet, sols = _pdf_text(out / "worksheet.pdf"), _pdf_text(out / "solutions.pdf")
    for k in (1, 2):
        assert f"variant {k}" in sheet and f"variant {k}" in sols
        key = out / "keys" / f"variant-{k:02d}.yaml"
        doc = yaml.safe_load(key.read_text())
        assert doc["variant"] == k and doc["seed"] == 11
        # the key's numbers are printed in the solutions
        for name, value in list(doc["sample_gradients"].items())[:2]:
            assert f"{value:.4f}".lstrip("-").rstrip("0").rstrip(".")[:5] in sols, name
        graded = CliRunner().invoke(main, ["check", str(path), str(key)])
        assert graded.exit_code == 0, graded.output
        # a deliberately wrong copy fails
        name = next(iter(doc["sample_gradients"]))
        doc["sample_gradients"][name] = doc["sample_gradients"][name] + 0.5
        wrong = tmp_path / f"wrong-{k}.yaml"
        wrong.write_text(yaml.safe_dump(doc))
        graded = CliRunner().invoke(main, ["check", str(path), str(wrong)])
        assert graded.exit_code == 1 and "✗" in graded.output


def test_keys_match_the_derivations(xor):
    (v,) = build(xor, 1, seed=3)
    from tutor import derive
    d = derive(v.problem, [g.param.name for g in v.derivation.gradients], sample=v.sample)
    for g, h in zip(d.gradients, v.derivation.gradients):
        assert g.numbers.sample_gradient == h.numbers.sample_gradient
    assert v.problem.seed is None  # the variant's own weights, not re-drawn from a seed


def test_variant_check_uses_the_variant_weights(tmp_path):
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["worksheet", XOR, "-o", str(out), "-n", "7"]
                              ).exit_code == 0
    key = yaml.safe_load((out / "keys" / "variant-07.yaml").read_text())
    student = {"sample": key["sample"], "sample_gradients": key["sample_gradients"]}
    f = tmp_path / "student.yaml"
    f.write_text(yaml.safe_dump(student))
    right = CliRunner().invoke(main, ["check", XOR, str(f), "--variant", "7", "--seed", "0"])
    assert right.exit_code == 0, right.output
    other = CliRunner().invoke(main, ["check", XOR, str(f), "--variant", "6", "--seed", "0"])
    assert other.exit_code == 1
    alone = CliRunner().invoke(main, ["check", XOR, str(f), "--variant", "7"])
    assert alone.exit_code == 2 and "--seed" in alone.output


HOSTILE = r"\input{/etc/passwd} \write18{touch /tmp/pwned} 100% $x$ & # _ ^ ~ {}"


def test_hostile_text_comes_out_literally(tmp_path):
    need("pdflatex")
    problem = tmp_path / "hostile.yaml"
    problem.write_text(yaml.safe_dump({
        "name": HOSTILE, "description": HOSTILE,
        "network": {"inputs": 2, "layers": [{"units": 2, "activation": "sigmoid"},
                                            {"units": 1, "activation": "sigmoid"}]},
        "loss": "bce", "data": {"inputs": [[0, 1], [1, 1]], "targets": [1, 0]},
        "training": {"epochs": 50}}))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["worksheet", str(problem), "-o", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    tex = (out / "worksheet.tex").read_text()
    assert r"\input{/etc" not in tex and r"\write18{" not in tex
    text = _pdf_text(out / "worksheet.pdf")
    assert "input{/etc/passwd}" in text.replace("\\", "")
    assert not Path("/tmp/pwned").exists()


def test_output_into_an_existing_directory_keeps_other_files(tmp_path):
    mine = tmp_path / "notes.txt"
    mine.write_text("my notes")
    result = CliRunner().invoke(main, ["worksheet", XOR, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert mine.read_text() == "my notes"
    assert (tmp_path / "worksheet.tex").exists() and (tmp_path / "keys").is_dir()


def test_output_onto_a_file_is_a_clean_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    result = CliRunner().invoke(main, ["worksheet", XOR, "-o", str(f)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_missing_tex_says_what_to_install(tmp_path, monkeypatch):
    import shutil
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "pdflatex"
                        else real(name, *a, **k))
    result = CliRunner().invoke(main, ["worksheet", XOR, "-o", str(tmp_path / "o"), "--pdf"])
    assert result.exit_code == 2
    assert "apt-get install texlive-latex-base" in result.output
    assert not (tmp_path / "o").exists()


def test_bad_params_are_clean_errors(tmp_path):
    result = CliRunner().invoke(main, ["worksheet", XOR, "-o", str(tmp_path), "-p", "W9[1,1]"])
    assert result.exit_code == 2 and "W9" in result.output


def test_solutions_say_whose_parameters_they_use(tmp_path):
    """Each variant's derivations are at that variant's weights, and say so (not 'at the
    problem's parameters')."""
    from click.testing import CliRunner

    from tutor.cli import main
    out = tmp_path / "ws"
    r = CliRunner().invoke(main, ["worksheet", str(ROOT / "problems" / "xor.yaml"), "-o",
                                  str(out), "-n", "2", "--seed", "3"])
    assert r.exit_code == 0, r.output
    tex = (out / "solutions.tex").read_text()
    assert "at the parameters of variant 1 (seed 3)" in tex
    assert "at the parameters of variant 2 (seed 3)" in tex
    assert "problem's parameters" not in tex


def test_variants_trained_at_once_equal_each_trained_alone():
    """The solutions' loss curves come from one training of every variant on the engine's
    copy axis: each equal, bit for bit, to training its variant alone."""
    from tutor import load_problem
    from tutor.derivation import resolve_params
    from tutor.variants import default_params
    from tutor.worksheet import build_variant, with_curves
    p = load_problem(ROOT / "problems" / "xor.yaml")
    refs = resolve_params(p, default_params(p))
    alone = [build_variant(p, 4, k, refs) for k in (1, 2, 3)]
    together = with_curves([build_variant(p, 4, k, refs, curve=False) for k in (1, 2, 3)])
    assert [v.curve for v in alone] == [v.curve for v in together]
