"""Quizzes for learning platforms: Moodle XML and QTI 1.2 parsed back and checked against the
formats' structure; each mistake value fed to a reimplementation of Moodle's numerical
matching gives back exactly tutor check's diagnosis; right answers equal the keys.

No library on PyPI that reads QTI 1.2 installs here (hektor reads ILIAS's QTI only), so the
QTI package is checked by its structure, as the IMS QTI 1.2 ASI specification and Canvas's
importer read it."""

from __future__ import annotations

import base64
import io
import re
import zipfile
from xml.etree import ElementTree as ET

import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT
from tutor import load_problem, parse_problem
from tutor.answers import parse_answers
from tutor.checking import grade
from tutor.cli import main
from tutor.export import questions
from tutor.printing import lms
from tutor.printing import words as render

XOR = ROOT / "problems" / "xor.yaml"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def xor_questions():
    return questions(load_problem(XOR), 3, 11, workers=1)


# -------------------------------------------------------------------------------------------
# Moodle


def _within(answer: float, tolerance: float, value: float) -> bool:
    """Moodle's qtype_numerical_answer::within_tolerance for the nominal tolerance type:
    answer ± (tolerance + ε·max(tolerance, |answer|, ε)), closed, ε = 10⁻¹⁴ (PHP's
    precision)."""
    eps = 1e-14
    t = tolerance + eps * max(abs(tolerance), abs(answer), eps)
    return answer - t <= value <= answer + t


def _moodle_match(question: ET.Element, value: float):
    """qtype_numerical_question::get_matching_answer: the first answer within tolerance."""
    for a in question.findall("answer"):
        if _within(float(a.findtext("text")), float(a.findtext("tolerance")), value):
            return a
    return None


def test_moodle_xml_has_the_documented_structure(xor_questions):
    root = ET.fromstring(lms.moodle_xml(xor_questions))
    assert root.tag == "quiz"
    cats = [q for q in root if q.get("type") == "category"]
    nums = [q for q in root if q.get("type") == "numerical"]
    assert len(nums) == len(xor_questions) and cats
    assert all(c.findtext("category/text").startswith("$course$/top/tutor/XOR") for c in cats)
    for q in nums:
        assert q.findtext("name/text")
        qt = q.find("questiontext")
        assert qt.get("format") == "html" and "@@PLUGINFILE@@/network.svg" in qt.findtext("text")
        f = qt.find("file")
        assert f.get("encoding") == "base64" and f.get("name") == "network.svg"
        svg = ET.fromstring(base64.b64decode(f.text))
        assert svg.tag.endswith("svg") and "<style>" in base64.b64decode(f.text).decode()
        answers = q.findall("answer")
        assert answers[0].get("fraction") == "100"
        assert all(a.get("fraction") == "0" for a in answers[1:])
        for a in answers:
            float(a.findtext("text")), float(a.findtext("tolerance"))
            assert a.find("feedback").get("format") == "html"
        assert float(q.findtext("defaultgrade")) > 0


def test_each_mistake_gets_exactly_tutor_checks_diagnosis(xor_questions):
    """Every mistake value, typed into Moodle, matches its own answer, whose feedback is what
    `tutor check` says of that value; the right value matches the 100 % answer."""
    problem = load_problem(XOR)
    root = ET.fromstring(lms.moodle_xml(xor_questions))
    nums = [q for q in root if q.get("type") == "numerical"]
    section = {"value": "values", "sample_gradient": "sample_gradients", "update": "updates"}
    checked = 0
    for q, el in zip(xor_questions, nums):
        assert _moodle_match(el, q.right).get("fraction") == "100"
        for c in q.mistakes:
            match = _moodle_match(el, c.value)
            assert match is not None and match.get("fraction") == "0"
            doc = {"variant": q.variant, "seed": q.seed,
                   section[q.part.kind]: {q.part.name: c.value}}
            report = grade(problem, parse_answers(yaml.safe_dump(doc), problem, "a.yaml"))
            said = report.results[0].diagnosis
            assert said is not None and report.results[0].mistake == c.mistake
            assert match.findtext("feedback/text") == \
                f"<p>{render.html_tex(said.capitalised())}.</p>"
            checked += 1
    assert checked > 100


def test_answers_can_be_told_apart(xor_questions):
    for q in xor_questions:
        values = sorted([q.right] + [c.value for c in q.mistakes])
        assert all(b - a > 2 * q.tolerance for a, b in zip(values, values[1:])), q.part


def test_right_answers_are_the_worksheet_keys(tmp_path):
    sheets = tmp_path / "sheets"
    assert run("worksheet", XOR, "-o", sheets, "-n", 4, "--seed", 11).exit_code == 0
    keys = tmp_path / "keys"
    out = tmp_path / "q.xml"
    r = run("export", XOR, "-n", 4, "--seed", 11, "-o", out, "--keys", keys)
    assert r.exit_code == 0, r.output
    qs = questions(load_problem(XOR), 4, 11, workers=1)
    section = {"value": "values", "sample_gradient": "sample_gradients", "update": "updates"}
    for q in qs:
        key = yaml.safe_load((keys / f"variant-{q.slot:02d}.yaml").read_text())
        assert key["variant"] == q.variant
        assert key[section[q.part.kind]][q.part.name] == q.right
        if not q.redrawn:      # the same numbers as tutor worksheet's own keys
            sheet_key = yaml.safe_load((sheets / "keys" / f"variant-{q.slot:02d}.yaml")
                                       .read_text())
            assert sheet_key[section[q.part.kind]][q.part.name] == q.right


def test_the_export_is_the_same_on_one_process_or_several():
    p = load_problem(XOR)
    assert lms.moodle_xml(questions(p, 9, 3, workers=1)) == \
        lms.moodle_xml(questions(p, 9, 3, workers=2))


# -------------------------------------------------------------------------------------------
# QTI 1.2 for Canvas


def test_qti_package_has_the_documented_structure(xor_questions):
    data = lms.qti_zip(xor_questions, "XOR (seed 11)")
    z = zipfile.ZipFile(io.BytesIO(data))
    names = z.namelist()
    manifest = ET.fromstring(z.read("imsmanifest.xml"))
    assert manifest.tag == f"{CP}manifest"
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    qti = [r for r in resources if r.get("type") == "imsqti_xmlv1p2"]
    assert len(qti) == 1
    href = qti[0].find(f"{CP}file").get("href")
    assert href in names
    for r in resources:
        for f in r.findall(f"{CP}file"):
            assert f.get("href") in names
    root = ET.fromstring(z.read(href))
    assert root.tag == f"{QTI}questestinterop"
    items = root.findall(f"{QTI}assessment/{QTI}section/{QTI}item")
    assert len(items) == len(xor_questions)
    for item, q in zip(items, xor_questions):
        fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
                  for f in item.iter(f"{QTI}qtimetadatafield")}
        assert fields["question_type"] == "numerical_question"
        pres = item.find(f"{QTI}presentation")
        html = pres.findtext(f"{QTI}material/{QTI}mattext")
        image = html.split('src="')[1].split('"')[0].replace("%24IMS-CC-FILEBASE%24/", "")
        assert image in names
        assert pres.find(f"{QTI}response_str/{QTI}render_fib").get("fibtype") == "Decimal"
        conds = item.findall(f"{QTI}resprocessing/{QTI}respcondition")
        scored = [c for c in conds if c.find(f"{QTI}setvar") is not None]
        assert len(scored) == 1 and scored[0].findtext(f"{QTI}setvar") == "100"
        lo = float(scored[0].findtext(f".//{QTI}vargte"))
        hi = float(scored[0].findtext(f".//{QTI}varlte"))
        assert lo <= q.right <= hi
        feedback = {f.get("ident") for f in item.findall(f"{QTI}itemfeedback")}
        for c in conds:
            for d in c.findall(f"{QTI}displayfeedback"):
                assert d.get("linkrefid") in feedback
        assert len(conds) == len(q.mistakes) + 2


def test_qti_needs_a_file(tmp_path):
    r = run("export", XOR, "-f", "qti")
    assert r.exit_code == 2 and "zip" in r.output
    out = tmp_path / "q.zip"
    assert run("export", XOR, "-f", "qti", "-o", out).exit_code == 0
    assert zipfile.is_zipfile(out)


# -------------------------------------------------------------------------------------------
# Hostile text


def test_hostile_problem_text_is_escaped():
    doc = yaml.safe_load(XOR.read_text())
    doc["name"] = "]]></text><script>alert(1)</script><![CDATA["
    doc["description"] = "<img src=x onerror=alert(1)> & \\(\\input{/etc/passwd}\\)"
    p = parse_problem(yaml.safe_dump(doc))
    qs = questions(p, 1, 0, workers=1)
    for text in (lms.moodle_xml(qs), lms.qti_assessment(qs, "t", p.name)):
        root = ET.fromstring(text)        # well-formed
        for el in root.iter():
            if el.text and "<p>" in el.text:
                assert "<script>" not in el.text and "<img src=x" not in el.text
                if "alert" in el.text:
                    assert "&lt;script&gt;" in el.text and "&lt;img src=x" in el.text


def test_questions_in_korean():
    """The question text, the answers' feedback (the checker's words) and the categories in
    the export's language; the identifiers stay ASCII."""
    from tutor import i18n
    qs = questions(load_problem(XOR), 1, 11, workers=1)
    with i18n.using("ko"):
        xml = lms.moodle_xml(qs)
        qti = lms.qti_assessment(qs, "t", "XOR (시드 11)")
    root = ET.fromstring(xml)
    text = root.find(".//question[@type='numerical']/questiontext/text").text
    assert "변형 " in text and "샘플 " in text and "계산하시오" in text and "학습률" in text
    feedback = [a.find("feedback/text").text for a in root.iter("answer")]
    assert feedback[0] == "<p>정답.</p>" and all(re.search("[가-힣]", f) for f in feedback)
    assert "정답: " in root.find(".//generalfeedback/text").text
    category = root.find(".//question[@type='category']/category/text").text
    assert "시드" in category
    assert "이 중 하나가 나왔다면" in qti
    package = lms.qti_zip(qs, "XOR (시드 11)")
    names = zipfile.ZipFile(io.BytesIO(package)).namelist()
    assert all(n.isascii() for n in names), names
