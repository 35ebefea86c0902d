"""`tutor serve`: the JSON API and the pages, through an HTTP client against the application
(with its real worker processes). The answers must be the library's own: the same JSON as
`tutor derive -f json`, the same grades as `tutor check`."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile

import pytest

from conftest import ROOT, need, need_module

need_module("starlette")
need_module("httpx2")

from starlette.testclient import TestClient  # noqa: E402

from tutor import derive, load_problem, parse_problem  # noqa: E402
from tutor.errors import ProblemError  # noqa: E402
from tutor.printing import json as json_doc  # noqa: E402
from tutor.web import jobs  # noqa: E402
from tutor.web.app import create_app  # noqa: E402
from tutor.web.http import MAX_BODY  # noqa: E402
from tutor.web.library import Library  # noqa: E402

XOR = ROOT / "problems" / "xor.yaml"
TINY = """\
name: Tiny
network:
  inputs: 1
  layers:
    - {units: 1, activation: sigmoid}
loss: bce
data:
  inputs: [[1]]
  targets: [[1]]
init: {W1: [[0.5]], b1: [0.1]}
"""


@pytest.fixture(scope="module")
def client():
    app = create_app(Library.from_dir(ROOT / "problems"), workers=2)
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c


@pytest.fixture(scope="module")
def xor_d():
    return derive(load_problem(XOR))


def error_of(r, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "field", "line"}
    assert "\n" not in body["error"]
    return body


# -- the API --


def test_problems_lists_the_shipped_problems(client):
    r = client.get("/api/problems")
    assert r.status_code == 200
    problems = {p["id"]: p for p in r.json()["problems"]}
    assert set(problems) == {p.stem for p in (ROOT / "problems").glob("*.yaml")} | {
        p.stem for p in (ROOT / "problems" / "graphs").glob("*.yaml")}
    xor = problems["xor"]
    assert xor["name"] == "XOR"
    assert xor["network"] == {"sizes": [2, 3, 1], "activations": ["sigmoid", "sigmoid"]}
    assert xor["params"][:2] == ["W1[1,1]", "W1[1,2]"] and len(xor["params"]) == 13
    assert client.get("/api/problems/xor").json()["yaml"] == XOR.read_text()


def test_derivation_is_tutor_derive_json(client):
    r = client.get("/api/problems/xor/derivation", params={"param": "W1[2,1]"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    want = json_doc(derive(load_problem(XOR), ["W1[2,1]"]))
    assert r.text == want
    doc = r.json()
    assert [g["param"] for g in doc["gradients"]] == ["W1[2,1]"]
    assert doc["gradients"][0]["check"]["ok"]


def test_derivation_of_several_params_and_a_sample(client):
    r = client.get("/api/problems/textbook-2-2-2/derivation?param=W2&param=b1[1]&sample=1")
    assert r.status_code == 200
    names = [g["param"] for g in r.json()["gradients"]]
    assert names == ["W2[1,1]", "W2[1,2]", "W2[2,1]", "W2[2,2]", "b1[1]"]


@pytest.mark.parametrize("query, field", [
    ("param=W9[1,1]", "param"),      # no such layer
    ("param=W1[5,1]", "param"),      # no such neuron
    ("param=hello", "param"),        # not a parameter name
    ("param=W1[2,1]&sample=0", "sample"),    # samples are 1-based
    ("param=W1[2,1]&sample=9", "sample"),    # XOR has 4
    ("param=W1[2,1]&sample=two", "sample"),  # not a number
])
def test_derivation_bad_query_names_the_field(client, query, field):
    body = error_of(client.get(f"/api/problems/xor/derivation?{query}"), 422)
    assert body["field"] == field


def test_unknown_problem_is_404_json(client):
    body = error_of(client.get("/api/problems/nope/derivation"), 404)
    assert body["field"] == "id" and "nope" in body["error"]
    error_of(client.post("/api/problems/nope/check", content="{}"), 404)


def test_check_grades_like_tutor_check(client, xor_d):
    g = xor_d["W1[2,1]"]
    body = {
        "gradients": {"W1[2,1]": float(f"{g.numbers.gradient:.6g}"), "W2[1,1]": 0.5},
        "formulas": {"W2[1,3]": "(yhat - y)*a1[3]",
                     "W1[2,1]": "(yhat - y)*W2[1,2]*a1[2]*x1"},
    }
    r = client.post("/api/problems/xor/check", json=body)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["format"] == 1 and report["problem"] == "XOR"
    results = {(x["kind"], x["name"]): x for x in report["results"]}
    assert results[("gradient", "W1[2,1]")]["right"]
    assert not results[("gradient", "W2[1,1]")]["right"]
    assert results[("formula", "W2[1,3]")]["right"]
    wrong = results[("formula", "W1[2,1]")]
    assert not wrong["right"]
    assert "stands where its derivative" in wrong["diagnosis"]
    assert report["score"] == {"right": 2, "total": 4, "answered": 4, "follow_through": 0}

    # The same as the library's own report.
    from tutor.answers import parse_answers
    from tutor.checking import grade
    from tutor.printing.checkreport import as_dict
    p = load_problem(XOR)
    local = as_dict(grade(p, parse_answers(json.dumps(body), p, "request body")))
    assert report == local


def test_check_tolerances(client, xor_d):
    off = xor_d["W2[1,1]"].numbers.gradient * 1.01     # 1 % off
    body = {"gradients": {"W2[1,1]": off}}
    assert not client.post("/api/problems/xor/check", json=body).json()["results"][0]["right"]
    r = client.post("/api/problems/xor/check?rtol=0.02", json=body).json()
    assert r["results"][0]["right"] and r["tolerance"]["rtol"] == 0.02
    for query, field in (("rtol=2", "rtol"), ("atol=-1", "atol"), ("rtol=nan", "rtol")):
        body_ = error_of(client.post(f"/api/problems/xor/check?{query}", json=body), 422)
        assert body_["field"] == field


def test_check_accepts_the_answers_file_as_yaml(client):
    text = (ROOT / "problems" / "answers" / "xor.yaml").read_text()
    r = client.post("/api/problems/xor/check", content=text,
                    headers={"content-type": "application/yaml"})
    assert r.status_code == 200
    assert r.json()["score"]["right"] == 9 and r.json()["score"]["total"] == 12


@pytest.mark.parametrize("body, field", [
    ('{"gradients": {"W9[1,1]": 0.1}}', "gradients.W9[1,1]"),   # no such parameter
    ('{"gradients": {"W1[1,1]": "a lot"}}', "gradients.W1[1,1]"),  # not a number
    ('{"values": {"zz": 1}}', "values.zz"),                     # no such quantity
    ('{"sample": 7, "gradients": {"W1[1,1]": 0}}', "sample"),    # XOR has 4 samples
    ('{"colour": "red"}', "colour"),                            # unknown section
])
def test_check_bad_answers_name_the_field(client, body, field):
    body = error_of(client.post("/api/problems/xor/check", content=body), 422)
    assert body["field"] == field


@pytest.mark.parametrize("body", [
    "",                  # nothing
    "[1, 2",             # not YAML
    "- just\n- a list",  # not a mapping
])
def test_check_unreadable_body_is_422(client, body):
    error_of(client.post("/api/problems/xor/check", content=body), 422)


def test_check_non_utf8_is_400(client):
    body = error_of(client.post("/api/problems/xor/check", content=b"\xff\xfe{}"), 400)
    assert body["field"] == "body"


def test_bodies_over_64_kib_are_413(client):
    big = "#" * (MAX_BODY + 1)
    for path in ("/api/problems/xor/check", "/api/problems", "/problems/xor/check",
                 "/problems"):
        error_of(client.post(path, content=big, headers={"accept": "application/json"}), 413)

    # Without a Content-Length (chunked), the limit holds while reading.
    def chunks():
        for _ in range(MAX_BODY // 1024 + 2):
            yield b"#" * 1024
    error_of(client.post("/api/problems/xor/check", content=chunks()), 413)
    # Exactly at the limit is read (and then judged on its content).
    r = client.post("/api/problems/xor/check", content="#" * MAX_BODY)
    assert r.status_code == 422


def test_a_check_is_stopped_after_its_time_limit(client, monkeypatch):
    monkeypatch.setattr(jobs, "CHECK_SECONDS", 1e-4)
    body = error_of(client.post("/api/problems/xor/check",
                                json={"formulas": {"W1[2,1]": "(yhat - y)*x1"}}), 422)
    assert "took more than" in body["error"]
    monkeypatch.undo()
    # The workers still serve.
    r = client.post("/api/problems/xor/check", json={"formulas": {"W2[1,3]": "(yhat-y)*a1[3]"}})
    assert r.json()["results"][0]["right"]


def test_the_worker_timer_interrupts_a_running_job():
    import asyncio

    async def run():
        w = jobs.Workers(1)
        w.start()
        try:
            start = time.monotonic()
            with pytest.raises(jobs.JobTimeout):
                await w.run(0.5, time.sleep, 30)
            took = time.monotonic() - start
            assert await w.run(5, sum, [1, 2, 3]) == 6
            return took
        finally:
            w.stop()
    took = asyncio.run(run())
    assert took < 25  # interrupted, not waited out (bounds only; not a speed test)


def test_a_worker_that_dies_is_replaced():
    import asyncio
    import os
    import signal as signals

    async def run():
        w = jobs.Workers(1)
        w.start()
        try:
            assert await w.run(60, sum, [1, 2]) == 3      # the worker is up
            job = asyncio.ensure_future(w.run(60, time.sleep, 30))
            await asyncio.sleep(1)
            for pid in w.pids:
                os.kill(pid, signals.SIGKILL)             # as the out-of-memory killer would
            with pytest.raises(jobs.WorkerLost):
                await job
            assert await w.run(60, sum, [1, 2, 3]) == 6   # a new worker serves
        finally:
            w.stop()
    asyncio.run(asyncio.wait_for(run(), 120))


def test_upload_validates_like_the_cli(client):
    r = client.post("/api/problems", content=TINY, headers={"content-type": "application/yaml"})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["id"].startswith("u-") and doc["uploaded"]
    assert r.headers["location"] == f"/api/problems/{doc['id']}"
    # The same text, the same problem.
    assert client.post("/api/problems", content=TINY).json()["id"] == doc["id"]
    d = client.get(f"/api/problems/{doc['id']}/derivation").json()
    assert [g["param"] for g in d["gradients"]] == ["W1[1,1]", "b1[1]"]
    # ∂ℓ/∂w = (ŷ − y)·x for BCE∘sigmoid.
    import math
    yhat = 1 / (1 + math.exp(-0.6))
    assert d["gradients"][0]["value"] == 0.5
    assert d["gradients"][0]["gradient"] == pytest.approx(yhat - 1, rel=1e-12)
    # Reached by its id; not listed for everyone.
    assert doc["id"] not in {p["id"] for p in client.get("/api/problems").json()["problems"]}
    assert client.get(f"/api/problems/{doc['id']}").json()["yaml"] == TINY


@pytest.mark.parametrize("text", [
    TINY.replace("sigmoid", "sigmod"),        # a misspelt activation
    TINY.replace("inputs: 1", "inputs: 0"),   # no inputs
    TINY.replace("[[0.5]]", "[[0.5, 1]]"),    # a weight matrix of the wrong shape
    "name: [unclosed",                         # not YAML
    "",                                        # empty
])
def test_upload_errors_are_the_cli_errors(client, text):
    body = error_of(client.post("/api/problems", content=text), 422)
    with pytest.raises(ProblemError) as e:
        parse_problem(text, "upload")
    assert body["error"] == e.value.message
    assert body["field"] == e.value.field and body["line"] == e.value.line


# -- pages --


def test_index_lists_problems_with_shapes(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "XOR" in r.text and "2-3-1 sigmoid/sigmoid" in r.text
    assert '<a href="/problems/xor">' in r.text


def test_problem_page_has_diagram_forward_pass_steps_and_answer_boxes(client, xor_d):
    r = client.get("/problems/xor", params={"param": "W1[2,1]"})
    assert r.status_code == 200
    page = r.text
    assert page.count("<svg") == 1 and ("edge pos hl" in page or "edge neg hl" in page)
    assert "<math" in page and "Forward pass" in page
    assert page.count('<li class="step">') >= 8
    assert page.count('<form class="answer"') == 13
    assert 'id="next-step"' in page
    # The numbers shown are the verified ones.
    assert f"{xor_d['W1[2,1]'].numbers.gradient:.6g}" in page


def test_pages_load_nothing_from_other_hosts(client):
    for path in ("/", "/problems/xor", "/problems/softmax?param=W2[1,1]"):
        r = client.get(path)
        assert r.status_code == 200
        assert not re.search(r'(src|href|action)="(https?:)?//', r.text), path
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp


def test_answer_box_grades_numbers_and_formulas(client, xor_d):
    value = f"{xor_d['W2[1,3]'].numbers.gradient:.4g}"
    r = client.post("/problems/xor/check", data={"param": "W2[1,3]", "answer": value},
                    headers={"accept": "application/json"})
    assert r.status_code == 200
    assert r.json()["result"]["right"] and "✓" in r.json()["html"]

    r = client.post("/problems/xor/check",
                    data={"param": "W1[2,1]", "answer": "(ŷ − y)·w2[1,2]·a1[2]·x1"},
                    headers={"accept": "application/json"})
    res = r.json()["result"]
    assert not res["right"] and res["kind"] == "formula"
    html = r.json()["html"]
    assert "stands where its derivative" in html
    # the mistake's mathematics is MathML, its words text: a⁽¹⁾₂ as <msubsup>, not "a⁽¹⁾₂"
    mistake = re.search(r'<span class="mistake">(.*?)</span></p>', html).group(1)
    assert "<math><msubsup><mi>a</mi>" in mistake and "a⁽¹⁾₂" not in mistake
    assert '<p class="step-text"><math>' in html

    # Without a script the form posts and the page comes back with the verdict.
    r = client.post("/problems/xor/check", data={"param": "W2[1,3]", "answer": value})
    assert r.status_code == 200 and "Right" in r.text and r.text.count("<svg") == 1


@pytest.mark.parametrize("data, field", [
    ({"param": "W9[1,1]", "answer": "1"}, "param"),
    ({"param": "W1[1,1]", "answer": "  "}, "answer"),
    ({"param": "W1[1,1]", "answer": "x" * 1001}, "answer"),
])
def test_answer_box_errors(client, data, field):
    r = client.post("/problems/xor/check", data=data, headers={"accept": "application/json"})
    assert error_of(r, 422)["field"] == field
    r = client.post("/problems/xor/check", data=data)
    assert r.status_code == 422 and "<h1>422</h1>" in r.text


def test_unreadable_formula_is_graded_not_an_error(client):
    r = client.post("/problems/xor/check", data={"param": "W1[1,1]", "answer": "(yhat - "},
                    headers={"accept": "application/json"})
    assert r.status_code == 200
    assert not r.json()["result"]["right"]


def test_untrusted_text_is_escaped(client):
    evil = TINY.replace("name: Tiny", 'name: "<script>alert(1)</script> & <b>"')
    r = client.post("/problems", data={"yaml": evil}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in page
    assert "<script>alert" not in client.get("/").text
    # A bad upload through the page shows the error and keeps the text, escaped.
    r = client.post("/problems", data={"yaml": "name: <i>x</i>\nnetwork: 3"})
    assert r.status_code == 422 and "network" in r.text and "<i>x</i>" not in r.text


@pytest.mark.parametrize("path", [
    "/static/../app.py",
    "/static/%2e%2e%2fapp.py",
    "/static/..%2F..%2Fpyproject.toml",
    "/problems/..%2F..%2Fpyproject.toml",
    "/problems/xor/download?file=../../pyproject.toml",
    "/api/problems/%2e%2e",
    "/static/tutor.py",
])
def test_no_url_reaches_other_files(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "[project]" not in r.text and "import" not in r.text


def test_static_files(client):
    assert client.get("/static/tutor.css").headers["content-type"].startswith("text/css")
    assert "next-step" in client.get("/static/tutor.js").text


def test_openapi_document(client):
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    assert set(paths) >= {"/api/problems", "/api/problems/{id}",
                          "/api/problems/{id}/derivation", "/api/problems/{id}/check"}
    assert set(paths["/api/problems"]) == {"get", "post"}
    assert "413" in {str(k) for k in paths["/api/problems/{id}/check"]["post"]["responses"]}
    assert not any(p.startswith("/problems") for p in paths)
    # The bodies' schemas are the shipped JSON Schemas, their references resolved inside.
    import jsonschema
    components = doc["components"]["schemas"]
    assert set(components) == {"Problem", "Answers"}
    body = paths["/api/problems/{id}/check"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/Answers"}
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/Problem", "components": doc["components"]})
    import yaml
    validator.validate(yaml.safe_load(XOR.read_text()))
    assert not validator.is_valid({"name": "x"})


def test_405_names_the_allowed_methods(client):
    r = client.delete("/api/problems")
    assert r.status_code == 405 and set(r.headers["allow"].replace(" ", "").split(",")) >= {
        "GET", "POST"}
    assert r.json()["error"] == "this method is not allowed here"


def test_worksheet_downloads(client):
    r = client.get("/problems/xor/download?file=worksheet.tex&variants=2&seed=3")
    assert r.status_code == 200 and r.text.startswith("\\documentclass")
    assert 'filename="xor-seed3-2-worksheet.tex"' in r.headers["content-disposition"]
    from tutor.printing.worksheetdoc import worksheet_tex
    from tutor.worksheet import build
    assert r.text == worksheet_tex(build(load_problem(XOR), 2, 3), 4)

    r = client.get("/problems/xor/download?file=worksheet.zip&variants=2&seed=3")
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "xor-seed3-2/worksheet.tex" in names and "xor-seed3-2/solutions.tex" in names
    assert "xor-seed3-2/keys/variant-01.yaml" in names


def test_worksheet_pdf(client):
    need("pdflatex")
    r = client.get("/problems/xor/download?file=solutions.pdf&variants=1&seed=0")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize("query, field", [
    ("file=worksheet.tex&variants=0", "variants"),
    ("file=worksheet.tex&variants=1000", "variants"),
    ("file=worksheet.tex&seed=-1", "seed"),
    ("file=worksheet.doc", "file"),
])
def test_worksheet_bad_query(client, query, field):
    r = client.get(f"/problems/xor/download?{query}", headers={"accept": "application/json"})
    assert r.json()["field"] == field and r.status_code in (404, 422)


def test_serve_without_a_problems_directory_is_a_clean_error(tmp_path):
    from click.testing import CliRunner
    from tutor.cli import main
    r = CliRunner().invoke(main, ["serve", "--problems", str(tmp_path / "none")])
    assert r.exit_code == 2
    assert r.output.strip().count("\n") == 0 and "not a directory" in r.output


# -- whatever arrives, a clear 4xx or an answer: never a server error --

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["gradients", "formulas", "values", "sample",
                                       "sample_gradients", "decimals", "W1[2,1]", "yhat",
                                       "variant", "seed", "x"]) | st.text(max_size=8),
                      children, max_size=4),
    max_leaves=12)
_fuzz = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


@_fuzz
@given(body=st.one_of(_json.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200),
                      st.text(max_size=200).map(str.encode)))
def test_any_body_gets_an_answer_or_a_4xx(client, body):
    for path in ("/api/problems/xor/check", "/api/problems"):
        r = client.post(path, content=body)
        assert r.status_code in (200, 201, 400, 422, 429), (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json")


@_fuzz
@given(param=st.sampled_from(["W1[2,1]", "b2[1]", "W2[1,3]"]), answer=st.text(min_size=1,
                                                                             max_size=60))
def test_any_answer_box_text_is_graded_or_refused(client, param, answer):
    r = client.post("/problems/xor/check", data={"param": param, "answer": answer},
                    headers={"accept": "application/json"})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        assert r.json()["result"]["name"] == param


def test_serve_on_a_busy_port_is_a_clean_error():
    import socket

    from click.testing import CliRunner
    from tutor.cli import main
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = CliRunner().invoke(main, ["serve", "--port", str(port),
                                      "--problems", str(ROOT / "problems")])
    assert r.exit_code == 2
    assert r.output.strip() == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"


def test_a_worksheet_key_grades_full_marks_through_the_api(client):
    from tutor.worksheet import answer_key, build
    (v,) = build(load_problem(XOR), 1, 7)
    key = answer_key(v, 4, "xor.yaml")
    report = client.post("/api/problems/xor/check", content=key).json()
    assert report["score"]["right"] == report["score"]["total"] > 10
    # The same key against the problem's own weights is mostly wrong.
    plain = "\n".join(line for line in key.splitlines()
                      if not line.startswith(("variant", "seed")))
    report = client.post("/api/problems/xor/check", content=plain).json()
    assert report["score"]["right"] < report["score"]["total"] // 2


def test_the_page_shows_the_numbers_of_a_chosen_sample(client, xor_d):
    from tutor import derive as derive_
    d4 = derive_(load_problem(XOR), ["W1[2,1]"], sample=4)["W1[2,1]"]
    page = client.get("/problems/xor?param=W1[2,1]&sample=4").text
    assert "Numbers for sample 4 of 4" in page
    assert f"{d4.numbers.sample_gradient:.6g}".lstrip("-") in page
    assert '<option value="4" selected>4: x = 1, 1</option>' in page
    assert client.get("/problems/xor?param=W1[2,1]&sample=5").status_code == 422


def test_a_disagreement_is_never_shown_on_the_web(monkeypatch):
    import dataclasses

    from starlette.applications import Starlette
    from starlette.routing import Route

    from tutor import gradcheck
    from tutor.web.http import EXCEPTION_HANDLERS
    original = gradcheck.make_check
    monkeypatch.setattr(gradcheck, "make_check", lambda *a, **k: dataclasses.replace(
        original(*a, **k), symbolic_error=1.0))
    text = XOR.read_text()
    # What a worker answers (run here, in-process, where the bug is planted).
    for fn, args in ((jobs.derivation_html, ("W1[2,1]",)), (jobs.derivation_json, (None, 1)),
                     (jobs.check, ('{"gradients": {"W1[2,1]": 0.002}}', "answers"))):
        jobs._parsed.cache_clear()
        status, message = jobs._run(30, fn, text, "xor.yaml", *args)
        assert status == "bug" and "internal error" in message, fn
    jobs._parsed.cache_clear()

    # And what the server makes of it: a 500 that says so, with nothing of the derivation.
    async def page(request):
        raise jobs.JobBug("internal error: the three computations of ∂L/∂W1[2,1] disagree")
    app = Starlette(routes=[Route("/p", page), Route("/api/p", page)],
                    exception_handlers=EXCEPTION_HANDLERS)
    with TestClient(app) as c:
        assert "disagree" in error_of(c.get("/api/p"), 500)["error"]
        r = c.get("/p")
        assert r.status_code == 500 and "disagree" in r.text and "<math" not in r.text


def test_training_page_is_tutor_train(client):
    from html import escape

    from tutor import train
    from tutor.printing import trainreport
    r = client.get("/problems/xor/train?epochs=3000&seed=3")
    assert r.status_code == 200
    assert r.text.count('<svg class="curve"') == 1 and 'class="baseline"' in r.text
    run = train(load_problem(XOR), epochs=3000, seed=3)
    assert escape(trainreport.summary(run).lstrip("\n")) in r.text
    assert "initial values from seed 3" in r.text
    # A run that diverges is a result, told on the page.
    r = client.get("/problems/tanh-regression/train?lr=1000&epochs=50")
    assert r.status_code == 200 and "became non-finite at epoch" in r.text


@pytest.mark.parametrize("query, field", [
    ("epochs=-1", "epochs"),
    ("epochs=10000000", "epochs"),     # more than a page should wait for
    ("lr=0", "lr"),
    ("lr=fast", "lr"),
    ("seed=x", "seed"),
])
def test_training_page_bad_query(client, query, field):
    r = client.get(f"/problems/xor/train?{query}", headers={"accept": "application/json"})
    assert error_of(r, 422)["field"] == field


def test_the_problem_page_at_an_epoch_and_one_step_further(client):
    """?epoch=N shows the weights, loss and derivation after N epochs of the problem's own
    training (those of `tutor derive --epoch N`); Step links to N + 1; answers are graded at
    the shown weights."""
    from tutor.training import at_epoch
    p = load_problem(XOR)
    r = client.get("/problems/xor", params={"param": "W2[1,1]", "epoch": "3"})
    assert r.status_code == 200, r.text
    at = at_epoch(p, 3)
    value = float(at.params["W2"][0, 0])
    assert f"w⁽²⁾₁₁ = {value:.6g}" in r.text
    assert "after 3 epochs of training" in r.text
    assert 'href="/problems/xor?param=W2%5B1%2C1%5D&amp;sample=4&amp;epoch=4#network"' in r.text \
        or "epoch=4#network" in r.text
    want = derive(at, ["W2[1,1]"])["W2[1,1]"].numbers.gradient
    r = client.post("/problems/xor/check", data={"param": "W2[1,1]", "answer": f"{want:.6g}",
                                                 "epoch": "3"},
                    headers={"accept": "application/json"})
    assert r.json()["result"]["right"]
    r = client.post("/problems/xor/check", data={"param": "W2[1,1]", "answer": f"{want:.6g}"},
                    headers={"accept": "application/json"})
    assert not r.json()["result"]["right"]      # not the gradient at the initial weights
    r = client.get("/problems/xor", params={"epoch": "999999999"})
    assert r.status_code == 422


def test_a_student_checks_their_worksheet_variant_on_the_web(client):
    """/problems/xor?variant=K&seed=S: the page at the variant's weights, and a number in an
    answer box graded as the sheet's ∂ℓ/∂p, rounded as the sheet says."""
    import yaml as _yaml
    from tutor.variants import variant_problem
    from tutor.worksheet import answer_key, build_variant
    from tutor.derivation import resolve_params
    p = load_problem(XOR)
    v = build_variant(p, 2024, 3, resolve_params(p, ["W2[1,1]"]))
    key = _yaml.safe_load(answer_key(v, 4, "xor.yaml"))
    r = client.get("/problems/xor", params={"variant": "3", "seed": "2024",
                                            "param": "W2[1,1]"})
    assert r.status_code == 200 and "Variant 3 of the worksheet with seed 2024" in r.text
    vp = variant_problem(p, 2024, 3)
    assert f"w⁽²⁾₁₁ = {vp.params['W2'][0, 0]:.6g}" in r.text
    right = key["sample_gradients"]["W2[1,1]"]          # rounded to 4 decimals
    r = client.post("/problems/xor/check", data={"param": "W2[1,1]", "answer": str(right),
                                                 "variant": "3", "seed": "2024"},
                    headers={"accept": "application/json"})
    assert r.json()["result"]["right"], r.json()
    r = client.post("/problems/xor/check", data={"param": "W2[1,1]", "answer": str(right)},
                    headers={"accept": "application/json"})
    assert not r.json()["result"]["right"]
    assert client.get("/problems/xor", params={"variant": "0", "seed": "1"}).status_code == 422


def test_a_computational_graph_on_the_web(client):
    """problems/graphs/*.yaml are listed; a graph's page shows its picture and derivation and
    grades each node's value and gradient as tutor check does."""
    r = client.get("/")
    assert "/problems/reuse" in r.text and "computational graph" in r.text
    r = client.get("/problems/reuse")
    assert r.status_code == 200 and '<svg class="graph"' in r.text
    assert "used 3 times: the gradients of its uses add" in r.text
    r = client.post("/problems/reuse/check", data={"param": "gradient:x", "answer": "-3"},
                    headers={"accept": "application/json"})
    assert r.json()["result"]["mistake"] == "missing_use"
    r = client.post("/problems/reuse/check", data={"param": "gradient:x", "answer": "-6"},
                    headers={"accept": "application/json"})
    assert r.json()["result"]["right"]
    r = client.post("/problems/reuse/check", data={"param": "gradient:nope", "answer": "1"})
    assert r.status_code == 422
    assert client.get("/api/problems/reuse/derivation").json()["kind"] == "graph"
    assert client.get("/problems/reuse/train").status_code == 422
    kinds = {p["id"]: p["kind"] for p in client.get("/api/problems").json()["problems"]}
    assert kinds["reuse"] == "graph" and kinds["xor"] == "network"


def test_a_graph_can_be_uploaded():
    # (a client of its own: the module's has used its address's uploads of this minute)
    app = create_app(Library.from_dir(ROOT / "problems"), workers=1)
    with TestClient(app, raise_server_exceptions=True) as client:
        _upload_a_graph(client)


def _upload_a_graph(client):
    text = ("name: my graph\ngraph:\n  inputs: {x: 2, y: 3}\n  steps:\n    - q = x * y\n"
            "    - f = q + x\n")
    r = client.post("/api/problems", content=text, headers={"content-type": "application/yaml"})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["kind"] == "graph" and doc["uploaded"]
    d = client.get(f"/api/problems/{doc['id']}/derivation").json()
    assert d["gradients"] == {"x": 4.0, "y": 2.0}
    page = client.get(f"/problems/{doc['id']}")
    assert page.status_code == 200 and '<svg class="graph"' in page.text
    bad = client.post("/api/problems", content=text.replace("q + x", "log(-q)"))
    assert bad.status_code == 422


# -- languages --

def test_pages_in_the_browsers_language(client):
    """Accept-Language picks the page's language: <html lang>, the page's words, the
    derivation made in a worker, and the grader's diagnosis, all Korean."""
    ko = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}
    r = client.get("/problems/xor?param=W1[2,1]", headers=ko)
    assert r.status_code == 200
    assert '<html lang="ko"' in r.text
    for word in ("내 기울기", "순전파", "연쇄법칙", "국소적 미분", "학습지"):
        assert word in r.text, word
    assert "Your gradients" not in r.text and "Forward pass" not in r.text
    r = client.post("/problems/xor/check", data={"param": "W1[2,1]", "answer": "0.0081",
                                                "sample": "3"},
                    headers={**ko, "Accept": "application/json"})
    assert "평균의 1/N이 빠졌습니다" in r.json()["html"]
    # English stays the default, and the same page in English is not served from the
    # Korean one's cache
    r = client.get("/problems/xor?param=W1[2,1]", headers={"Accept-Language": "en-US"})
    assert '<html lang="en"' in r.text and "Forward pass" in r.text and "순전파" not in r.text


def test_the_language_switch_is_remembered(client):
    client.cookies.clear()
    r = client.get("/?lang=ko", headers={"Accept-Language": "en"})
    assert '<html lang="ko"' in r.text and "tutor_lang=ko" in r.headers["set-cookie"]
    assert 'href="?lang=en"' in r.text            # the way back
    client.cookies.clear()       # (the client keeps cookies: the module's other tests)
    r = client.get("/", headers={"Accept-Language": "en", "Cookie": "tutor_lang=ko"})
    assert '<html lang="ko"' in r.text
    client.cookies.clear()
    r = client.get("/?lang=xx", headers={"Accept-Language": "en"})
    assert '<html lang="en"' in r.text and "set-cookie" not in r.headers


def test_api_answers_in_the_asked_language(client):
    r = client.post("/api/problems/xor/check",
                    content="sample: 3\ngradients:\n  W1[2,1]: 0.0081\n",
                    headers={"Accept-Language": "ko", "Content-Type": "application/yaml"})
    assert r.status_code == 200, r.text
    diagnosis = r.json()["results"][0]["diagnosis"]
    assert "빠졌습니다" in diagnosis


@pytest.mark.parametrize("method, path, body, words", [
    ("get", "/api/problems/nosuch", None, "이라는 문제는 없습니다"),
    ("get", "/nosuch", None, "그런 페이지가 없습니다"),
    ("get", "/api/problems/xor/derivation?param=W1[2,1]&sample=99", None, "샘플은 1부터"),
    ("post", "/api/problems/xor/check", "gradients: [1, 2]\n", "매핑"),
])
def test_api_errors_in_the_asked_language(client, method, path, body, words):
    headers = {"Accept-Language": "ko", "Accept": "application/json"}
    if body is None:
        r = getattr(client, method)(path, headers=headers)
    else:
        r = client.post(path, content=body,
                        headers={**headers, "Content-Type": "application/yaml"})
    assert 400 <= r.status_code < 500
    assert words in r.json()["error"], r.json()


def test_a_crash_answers_in_the_readers_language(monkeypatch):
    """A bug's 500 (sent by Starlette's outermost middleware, outside the language
    middleware) is in the request's language, as every other answer."""
    from tutor import i18n
    from tutor.web import pages

    def crash(*args, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(pages, "index", crash)
    message = "internal error: this is a bug in tutor; please report it"
    with i18n.using("ko"):
        korean = i18n._(message)
    assert korean != message
    app = create_app(Library.from_dir(ROOT / "problems"), workers=1)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/", headers={"Accept-Language": "ko"})
        assert r.status_code == 500 and korean in r.text and "a bug" not in r.text
        r = c.get("/", headers={"Accept-Language": "ko", "Accept": "application/json"})
        assert error_of(r, 500)["error"] == korean
        r = c.get("/", headers={"Accept-Language": "en"})
        assert r.status_code == 500 and message in r.text
