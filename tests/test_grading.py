"""Grading worksheets by their own rules: keys, blank answers files, points and partial
credit, rosters, the class gradebook and copy detection. Submissions are made from the keys
themselves: all right, one slip carried forward, rounding at the rule's edge, blanks, a
copied key, garbage."""

from __future__ import annotations

import csv
import re
import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT
from tutor import load_problem
from tutor.answers import parse_answers
from tutor.checking import grade
from tutor.cli import main
from tutor.roster import parse_roster, roster_variant
from tutor.sheet import sheet_for
from tutor.variants import variant_problem
from tutor.worksheet import answer_key, answer_template, build_variant
from tutor.derivation import resolve_params
from tutor.variants import default_params

XOR = ROOT / "problems" / "xor.yaml"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def xor():
    return load_problem(XOR)


def _variant(problem, seed, k, student=None):
    refs = resolve_params(problem, default_params(problem))
    return build_variant(problem, seed, k, refs, student)


def _key(problem, seed, k) -> dict:
    return yaml.safe_load(answer_key(_variant(problem, seed, k), 4, "xor.yaml"))


def _grade(problem, doc, **kw):
    return grade(problem, parse_answers(yaml.safe_dump(doc, allow_unicode=True), problem,
                                        "answers.yaml"), **kw)


def test_a_key_earns_every_point_of_its_sheet(xor):
    key = _key(xor, 2024, 3)
    report = _grade(xor, key)
    s = report.scores
    assert report.sheet.variant == 3 and report.sheet.seed == 2024
    assert s.earned == pytest.approx(s.total) and s.total == pytest.approx(25)
    assert sum(e.exercise.points for e in s.exercises) == pytest.approx(s.total)
    assert [e.exercise.number for e in s.exercises] == [1, 2, 3, 4]


def test_the_sheets_rounding_and_sample_apply_without_restating_them(xor):
    """The issue's case: variant 3 of seed 2024, the key's delta1[2] written exactly."""
    key = _key(xor, 2024, 3)
    answer = {"values": {"delta1[2]": key["values"]["delta1[2]"]}}
    r = _grade(xor, answer, variant=3, seed=2024)
    assert r.results[0].ok and r.sample == key["sample"] and r.decimals == 4
    out = run("check", XOR, "-", "--variant", 3, "--seed", 2024)   # (stdin is not a file)
    assert out.exit_code == 2


def test_rounding_at_the_rules_edge(xor, tmp_path):
    v = _variant(xor, 5, 1)
    true = v.values["a1[2]"]
    base = {"variant": 1, "seed": 5}
    # (no relative tolerance here: the rounding rule alone decides)
    ok = _grade(xor, {**base, "values": {"a1[2]": float(f"{true + 0.49e-4:.8f}")}},
                rtol=0, atol=0)
    bad = _grade(xor, {**base, "values": {"a1[2]": float(f"{true + 0.6e-4:.8f}")}},
                 rtol=0, atol=0)
    assert ok.results[0].ok and not bad.results[0].ok


def test_blank_answers_are_not_answered_not_wrong(xor, tmp_path):
    v = _variant(xor, 0, 2)
    template = answer_template(v, 4, "xor.yaml")
    # the blank file validates against the shipped schema, and grades
    schema = json.loads((ROOT / "tutor" / "schema" / "answers.schema.json").read_text())
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(yaml.safe_load(template), schema)
    path = tmp_path / "a.yaml"
    path.write_text(template.replace('"z1[1]":', f'"z1[1]": {v.values["z1[1]"]:.4f}'))
    out = run("check", XOR, path, "-f", "json")
    doc = json.loads(out.output)
    assert doc["variant"] == 2 and doc["seed"] == 0 and doc["score"]["answered"] == 1
    assert doc["score"]["right"] == 1 and doc["points"]["earned"] == 1
    blank = [r for r in doc["results"] if r["blank"]]
    assert blank and all(r["mistake"] == "blank" for r in blank)
    text = run("check", XOR, path).output
    assert "not answered" in text and "left blank" in text and "Points: 1 of 25." in text


def test_one_slip_costs_once(xor):
    """z⁽¹⁾₂ wrong, everything after it computed from it: only z⁽¹⁾₂ loses its point."""
    from tutor.checking import _follow_through, sample_values
    key = _key(xor, 7, 1)
    p = variant_problem(xor, 7, 1)
    k = key["sample"] - 1
    true = sample_values(p, k)
    student = dict(true)
    student["z1[2]"] = true["z1[2]"] + 0.5
    later = _follow_through(p, k, true, student)
    values = {"z1[2]": round(student["z1[2]"], 4)}
    for q in ("a1[2]", "z2[1]", "yhat", "ell", "delta2[1]"):
        student[q] = later[q]
        later = _follow_through(p, k, true, student)
        values[q] = round(student[q], 4)
    r = _grade(xor, {"variant": 1, "seed": 7, "values": values})
    by = {x.answer.name: x for x in r.results}
    assert not by["z1[2]"].ok and not by["z1[2]"].follow_through
    assert all(by[q].follow_through for q in values if q not in ("z1[2]",)
               and not by[q].ok), [(q, str(by[q].diagnosis)) for q in values]
    ex1 = r.scores.exercises[0]
    lost = [ps for ps in ex1.parts if ps.result is not None and ps.earned < ps.part.points]
    assert [ps.part.name for ps in lost] == ["z1[2]"]


def test_a_right_formula_with_a_slip_in_its_number_keeps_the_formulas_points(xor):
    key = _key(xor, 1, 1)
    name = key["params"][0]
    doc = {"variant": 1, "seed": 1, "formulas": {name: key["formulas"][name]},
           "sample_gradients": {name: key["sample_gradients"][name] + 0.3}}
    ex2 = _grade(xor, doc).scores.exercises[1]
    mine = [ps for ps in ex2.parts if ps.part.name == name]
    assert [ps.earned for ps in mine] == [pytest.approx(2), 0]


def test_a_trivial_follow_through_earns_nothing(xor):
    key = _key(xor, 1, 1)
    doc = {"variant": 1, "seed": 1, "values": {"delta1[1]": 0},
           "sample_gradients": {"W1[1,2]": 0}}
    r = _grade(xor, doc)
    g = next(x for x in r.results if x.answer.name == "W1[1,2]")
    assert g.follow_through and g.trivial
    ex4 = r.scores.exercises[3]
    assert next(ps for ps in ex4.parts if ps.part.name == "W1[1,2]").earned == 0
    assert key["sample_gradients"]["W1[1,2]"] != 0


def test_an_update_follows_through_from_the_students_own_gradient(xor):
    key = _key(xor, 3, 2)
    name = key["params"][0]
    p = variant_problem(xor, 3, 2)
    ref = resolve_params(p, [name])[0]
    wrong_grad = key["sample_gradients"][name] + 0.2
    own = p.value(ref) - p.training.lr * wrong_grad
    doc = {"variant": 2, "seed": 3, "sample_gradients": {name: wrong_grad},
           "updates": {name: round(own, 4)}}
    r = _grade(xor, doc)
    up = next(x for x in r.results if x.answer.kind == "update")
    assert up.follow_through and r.scores.exercises[2].earned == 1
    uphill = p.value(ref) + p.training.lr * key["sample_gradients"][name]
    r = _grade(xor, {"variant": 2, "seed": 3, "updates": {name: round(uphill, 4)}})
    assert r.results[0].mistake == "wrong_sign"


@pytest.mark.parametrize("mistake", ["other_sample", "derivative_at_a"])
def test_more_named_mistakes(xor, mistake):
    from tutor.checking import VALUE_RULES, SampleValues, sample_values
    p = variant_problem(xor, 0, 1)
    k = p.exercise_sample - 1
    v = SampleValues(p, k, sample_values(p, k))
    slip = next(s for rule in VALUE_RULES for s in rule(v) if s.id == mistake
                and abs(s.value - v.true[s.name]) > 1e-3)
    r = _grade(xor, {"variant": 1, "seed": 0, "values": {slip.name: round(slip.value, 4)}})
    assert r.results[0].mistake == mistake, str(r.results[0].diagnosis)


def test_mse_forgotten_one_over_k():
    doc = yaml.safe_load((ROOT / "problems" / "textbook-2-2-2.yaml").read_text())
    doc["loss"] = "mse"
    from tutor import parse_problem
    from tutor.checking import sample_values
    p = parse_problem(yaml.safe_dump(doc))
    true = sample_values(p, 0)
    r = _grade(p, {"sample": 1, "values": {"delta2[1]": round(true["delta2[1]"] * 2, 6),
                                           "ell": round(true["ell"] * 2, 6)}})
    assert {x.mistake for x in r.results} <= {"missing_output_mean", "factor_two"}
    assert any(x.mistake == "missing_output_mean" for x in r.results)


def test_path_counts_of_sheets_equal_the_derivations():
    from conftest import PROBLEMS
    from tutor import derive
    from tutor.sheet import _path_counts
    for path in PROBLEMS:
        p = load_problem(path)
        d = derive(p)
        counts = _path_counts(p, [g.param for g in d.gradients])
        for g in d.gradients:
            assert counts[g.param.name] == max(g.path_count, len(g.paths)), (path, g.param)


# -------------------------------------------------------------------------------------------
# Rosters


def test_roster_variants_are_stable_when_reordered_or_grown():
    a = parse_roster("id,name\ns1,Kim\ns2,Lee\n")
    b = parse_roster("Name;ID\nPark;s3\nLee;s2\nKim;s1\n")
    va = {s.id: s.variant(7) for s in a}
    vb = {s.id: s.variant(7) for s in b}
    assert va == {k: vb[k] for k in va} and va["s1"] == roster_variant(7, "s1")
    assert {s.id: s.variant(8) for s in a} != va        # another seed, other variants
    pinned = parse_roster("id,name,variant\ns1,Kim,3\ns2,Lee,\n")
    assert pinned[0].variant(7) == 3 and pinned[1].variant(7) == va["s2"]
    moodle = parse_roster("First name,Surname,ID number,Email address\nMin,Kim,42,m@x\n")
    assert moodle[0].id == "42" and moodle[0].name == "Min Kim"


@pytest.mark.parametrize("text, words", [
    ("name\nKim\n", "no column of student ids"),
    ("id,name\ns1,Kim\ns1,Lee\n", "also on line 2"),
    ("id,name,variant\ns1,Kim,x\n", "variant: expected a whole number"),
    ("", "the roster is empty"),
    ("id,name\n", "no students"),
])
def test_bad_rosters_are_one_line_errors(text, words):
    from tutor.errors import ProblemError
    with pytest.raises(ProblemError, match=words):
        parse_roster(text, "students.csv")


def test_a_roster_worksheet_names_each_student(tmp_path):
    roster = tmp_path / "students.csv"
    roster.write_text("id,name\ns001,Kim Minji\ns002,Lee & Son\n")
    out = tmp_path / "sheets"
    r = run("worksheet", XOR, "-o", out, "--roster", roster, "--seed", 7)
    assert r.exit_code == 0, r.output
    tex = (out / "worksheet.tex").read_text()
    assert "Kim Minji (s001)" in tex and r"Lee \& Son (s002)" in tex
    key = yaml.safe_load((out / "keys" / "s001.yaml").read_text())
    assert key["variant"] == roster_variant(7, "s001")
    template = yaml.safe_load((out / "answers" / "s002.yaml").read_text())
    assert template["student"] == {"id": "s002", "name": "Lee & Son"}


# -------------------------------------------------------------------------------------------
# A class


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """A roster of 12, their sheets, and submissions: keys (all right), one with a slip, one
    blank, one copied from another student's key, one garbage, one hostile, one missing."""
    root = tmp_path_factory.mktemp("class")
    roster = root / "students.csv"
    roster.write_text("id,name\n" + "".join(f"s{i:02d},Student {i}\n" for i in range(1, 13)))
    sheets = root / "sheets"
    assert run("worksheet", XOR, "-o", sheets, "--roster", roster, "--seed", 11).exit_code == 0
    subs = root / "subs"
    subs.mkdir()
    for i in range(1, 7):
        (subs / f"s{i:02d}.yaml").write_text((sheets / "keys" / f"s{i:02d}.yaml").read_text())
    slip = yaml.safe_load((sheets / "keys" / "s07.yaml").read_text())
    slip["values"]["ell"] = round(slip["values"]["ell"] * 10, 4)            # one slip
    slip["updates"][slip["params"][0]] += 1                                 # and another
    (subs / "s07.yaml").write_text(yaml.safe_dump(slip))
    (subs / "s08.yaml").write_text((sheets / "answers" / "s08.yaml").read_text())  # blank
    (subs / "s09.yaml").write_text((sheets / "keys" / "s03.yaml").read_text())     # copied
    (subs / "s10.yaml").write_bytes(b"\xff\xfe garbage")                          # not text
    (subs / "s11.yaml").write_text("formulas:\n  W2[1,1]: '((x1^9)^9)^9'\n"
                                   "  W1[1,1]: '(((((a1[1]+1)^50)^50)^50)^50)'\n")  # hostile
    return root, roster, subs                                        # s12: no submission


def test_a_class_is_graded_and_its_gradebook_adds_up(klass, tmp_path):
    root, roster, subs = klass
    book = tmp_path / "grades.csv"
    r = run("grade", XOR, subs, "--roster", roster, "--seed", 11, "-o", book)
    assert r.exit_code == 0, r.output
    rows = {row["id"]: row for row in csv.DictReader(book.read_text().splitlines())}
    total_col = next(c for c in rows["s01"] if c.startswith("Total"))
    ex_cols = [c for c in rows["s01"] if c.startswith("Exercise")]
    for sid in ("s01", "s02", "s06"):
        assert rows[sid]["status"] == "graded" and float(rows[sid][total_col]) == 25
    for row in rows.values():       # the exercises add up to the total
        if row["status"] == "graded":
            assert sum(float(row[c]) for c in ex_cols) == pytest.approx(float(row[total_col]))
    assert 20 < float(rows["s07"][total_col]) < 25 and not rows["s07"]["copied_from"]
    assert float(rows["s08"][total_col]) == 0 and "27 left blank" in rows["s08"]["comment"]
    assert rows["s09"]["copied_from"] == "s03"
    assert not any(rows[s]["copied_from"] for s in rows if s != "s09")
    assert rows["s10"]["status"] == "unreadable" and "UTF-8" in rows["s10"]["comment"]
    assert rows["s11"]["status"] == "graded" and float(rows["s11"][total_col]) == 0
    assert rows["s12"]["status"] == "missing"
    feedback = tmp_path / "grades-feedback"
    assert (feedback / "s07.txt").read_text().count("✗") == 2
    page = (feedback / "s07.html").read_text()
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert "Graded 10 of 12 students" in r.output and "s09 ↔ s03" in r.output


def test_the_gradebook_as_json(klass):
    root, roster, subs = klass
    r = run("grade", XOR, subs, "--roster", roster, "--seed", 11, "-f", "json",
            "--workers", 1)
    doc = json.loads(r.stdout)
    by = {s["id"]: s for s in doc["students"]}
    assert doc["seed"] == 11 and by["s01"]["points"] == 25 and by["s12"]["status"] == "missing"
    assert sum(e["earned"] for e in by["s07"]["exercises"]) == pytest.approx(by["s07"]["points"])


def test_honest_slips_are_never_flagged(xor):
    """Keys with one or two numbers changed (slips) never match another variant better."""
    from tutor.gradebook import Entry, flag_copies
    from tutor.roster import Student
    rng = np.random.default_rng(3)
    entries = []
    for i in range(1, 16):
        st = Student(f"s{i}", f"S {i}")
        v = st.variant(5)
        key = _key_for(xor, 5, v)
        numbers = dict(key)
        for k in rng.choice(len(numbers), size=2, replace=False):
            name = list(numbers)[k]
            numbers[name] += 0.37
        entries.append(Entry(st, v, "graded", numbers=numbers))
    assert not any(e.copied_from for e in flag_copies(xor, entries, 5, None, 4))


def _key_for(problem, seed, variant):
    from tutor.gradebook import numeric_key
    return {k: round(v, 4) for k, v in numeric_key(problem, seed, variant, None, 4).items()}


def test_a_class_graded_in_korean(klass, tmp_path):
    """The gradebook's headers and comments, and the feedback files, in the command's
    language, graded on several processes (each speaks it)."""
    root, roster, subs = klass
    book = tmp_path / "grades.csv"
    r = run("--lang", "ko", "grade", XOR, subs, "--roster", roster, "--seed", 11, "-o", book,
            "--workers", 2)
    assert r.exit_code == 0, r.output
    rows = {row["id"]: row for row in csv.DictReader(book.read_text().splitlines())}
    assert any(c.startswith("총점") for c in rows["s01"])
    assert any(c.startswith("문항 1:") for c in rows["s01"])
    assert "27개 빈칸" in rows["s08"]["comment"] and "정답" in rows["s08"]["comment"]
    assert rows["s12"]["comment"] == "제출 없음"
    assert rows["s10"]["comment"].startswith("채점하지 않음: ")
    assert "표시: " in rows["s09"]["comment"]
    feedback = (tmp_path / "grades-feedback" / "s07.txt").read_text()
    assert "✗" in feedback and re.search("[가-힣]", feedback)
