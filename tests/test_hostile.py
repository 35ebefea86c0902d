"""Hostile and unusual input, at the level where users meet it: the command line as a
subprocess, the server on loopback. Each class of input gets one clean answer: a line with exit
status 2, a graded result, or a 4xx with the security headers, never a traceback, a 500 or a
hang."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from conftest import ROOT
from tutor.cli import main

XOR = str(ROOT / "problems" / "xor.yaml")
HEAD = ("network: {inputs: 1, layers: [{units: 1, activation: sigmoid}]}\nloss: bce\n"
        "data: {inputs: [[1]], targets: [[1]]}\n")

# YAML that PyYAML parses but cannot build into plain values, or builds into other types.
UNBUILDABLE = {
    "invalid date": ("name: 2001-13-45\n", None),
    "float tag on text": ("name: !!float abc\n", "'abc' is not a number"),
    "int tag on text": ("name: !!int xyz\n", "'xyz' is not an integer"),
    "5000-digit integer": ("name: " + "9" * 5000 + "\n", "more than 100 characters"),
    "binary": ("name: !!binary xyz\n", "the tag !!binary is not used"),
    "set": ("name: !!set {a, b}\n", "the tag !!set is not used"),
    "python object": ("name: !!python/object/apply:os.system [ls]\n", "is not used"),
    "timestamp tag": ("name: !!timestamp 2001-01-01\n", "the tag !!timestamp is not used"),
    "number in a weight": ("name: a\ninit: {W1: [[!!float x]], b1: [0]}\n", "init.W1[0][0]"),
}


def tutor(*args, timeout=120, stdin=None):
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True,
                          text=True, timeout=timeout, input=stdin)


@pytest.mark.parametrize("case", UNBUILDABLE, ids=list(UNBUILDABLE))
def test_yaml_that_cannot_be_built(tmp_path, case):
    body, words = UNBUILDABLE[case]
    path = tmp_path / "p.yaml"
    path.write_text(body + HEAD)
    r = CliRunner().invoke(main, ["derive", str(path), "-p", "W1[1,1]"])
    if words is None:   # a date is text: a name like any other
        assert r.exit_code == 0, r.output
        return
    assert r.exit_code == 2, r.output
    assert r.output.startswith(f"Error: {path}:{2 if 'init' in body else 1}: ")
    assert words in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_yaml_that_cannot_be_built_from_the_command_line(tmp_path):
    (tmp_path / "p.yaml").write_text("name: !!float abc\n" + HEAD)
    r = tutor("derive", str(tmp_path / "p.yaml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == (f"Error: {tmp_path / 'p.yaml'}:1: name: not valid YAML: 'abc' "
                                "is not a number")
    answers = tmp_path / "a.yaml"
    answers.write_text("gradients:\n  W2[1,1]: !!float abc\n")
    r = tutor("check", XOR, str(answers))
    assert r.returncode == 2 and "'abc' is not a number" in r.stderr, r.stderr


# Formulas within the input limits whose value or expansion is astronomically large.
EXPLOSIVE = {
    "power tower of numbers": "((((((9^16)^16)^16)^16)^16)^16)",
    "power tower of a symbol": "((((x1^16)^16)^16)^16)",
    "negative power of a sum": "(x1 + x2 + a1[1] + a1[2] + a1[3] + yhat + y + z1[1])^-16",
    "times zero": "(x1 + x2 + a1[1] + a1[2] + a1[3] + yhat + y + z1[1])^-16 * 0",
}


def test_explosive_formulas_are_graded_quickly(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("formulas:\n" + "".join(
        f"  {p}: {json.dumps(f)}\n" for p, f in zip(
            ["W2[1,1]", "W2[1,2]", "W2[1,3]", "b2[1]"], EXPLOSIVE.values())))
    r = tutor("check", XOR, str(answers), "-f", "json", timeout=60)
    assert r.returncode == 1, r.stderr
    results = json.loads(r.stdout)["results"]
    assert [x["right"] for x in results] == [False] * 4
    assert "too large" in results[0]["diagnosis"]
    assert "exponents multiply" in results[1]["diagnosis"]


def test_a_slow_formula_is_stopped_and_said_so(monkeypatch, tmp_path):
    from tutor import checking
    monkeypatch.setattr(checking, "FORMULA_SECONDS", 1e-4)
    answers = tmp_path / "a.yaml"
    answers.write_text("formulas:\n  W1[1,1]: (yhat - y)*W2[1,1]*a1[1]*(1 - a1[1])*x1\n")
    r = CliRunner().invoke(main, ["check", XOR, str(answers), "-f", "json"])
    assert r.exit_code == 1
    assert json.loads(r.output)["results"][0]["diagnosis"] == (
        "cannot read the formula: evaluating it took more than 0.0001 s; write it more simply")


def test_time_limits_nest():
    import time

    from tutor.limits import TimeLimit, time_limit
    with pytest.raises(TimeLimit):
        with time_limit(5):
            with time_limit(0.05):
                while True:
                    pass
    start = time.monotonic()
    with pytest.raises(TimeLimit):
        with time_limit(0.2):
            with time_limit(10):   # the outer limit holds
                while True:
                    pass
    assert time.monotonic() - start < 5


def test_zero_epochs_report_the_start(tmp_path):
    r = tutor("train", XOR, "--epochs", "0")
    assert r.returncode == 0, r.stderr
    assert "Final loss after 0 epochs: 0.7228" in r.stdout
    assert "Not trained (0 epochs)" in r.stdout
    r = tutor("train", XOR, "--epochs", "0", "-f", "json")
    doc = json.loads(r.stdout)
    assert doc["losses"] == [] and doc["verdict"]["status"] == "initial"
    r = tutor("train", XOR, "--epochs", "0", "--seeds", "3")
    assert r.returncode == 0 and "3 not trained (0 epochs)" in r.stdout


@pytest.mark.parametrize("name,want", [("binary_cross_entropy", "bce"),
                                       ("binary_crossentropy", "bce"), ("BCELoss", "bce"),
                                       ("BCE", "bce"), ("MSELoss", "mse"),
                                       ("CrossEntropyLoss", "cross_entropy"),
                                       ("categorical_crossentropy", "cross_entropy")])
def test_other_frameworks_loss_names(tmp_path, name, want):
    path = tmp_path / "p.yaml"
    path.write_text(HEAD.replace("loss: bce", f"loss: {name}") + "name: a\n")
    r = CliRunner().invoke(main, ["derive", str(path)])
    assert r.exit_code == 2 and f"(did you mean {want!r}?)" in r.output


def test_tiny_losses_are_not_zero():
    from tutor.printing.trainreport import _loss
    assert _loss(2.4e-6) == "2.4e-06" and _loss(-1e-9) == "-1e-09"
    assert _loss(-0.0) == "0.0000" and _loss(0.69314718) == "0.6931"


# -- the server, on loopback --

def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, dict(e.headers), e.read()


def test_server_zero_epochs(live_server):
    status, _, body = _get(live_server + "/problems/xor/train?epochs=0")
    assert status == 200 and b"Not trained (0 epochs)" in body


def test_server_upload_that_cannot_be_built(live_server):
    for body, words in UNBUILDABLE.values():
        if words is None:
            continue
        req = urllib.request.Request(live_server + "/api/problems",
                                     data=(body + HEAD).encode(), method="POST")
        try:
            urllib.request.urlopen(req, timeout=60)
            pytest.fail("accepted")
        except urllib.error.HTTPError as e:
            with e:
                assert e.code == 422, body
                error = json.loads(e.read())
            assert words in error["error"] or words == error["field"]


def test_the_servers_own_400_has_the_security_headers(live_server):
    u = urlparse(live_server)
    with socket.create_connection((u.hostname, u.port), timeout=30) as s:
        s.sendall(b"GARBAGE \x00\x01 NOT-HTTP\r\n\r\n")
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    head = reply.split(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 400")
    assert b"content-security-policy: default-src 'none'" in head
    assert b"x-content-type-options: nosniff" in head


def test_a_500_has_the_security_headers(monkeypatch):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from tutor.web import views
    from tutor.web.app import create_app
    from tutor.web.library import Library

    async def broken(request):
        raise RuntimeError("a planted bug")
    monkeypatch.setattr(views, "index", broken)
    import tutor.web.app as app_module
    monkeypatch.setattr(app_module.ROUTES[0], "endpoint", broken)
    monkeypatch.setattr(app_module.ROUTES[0], "app", broken)
    app = create_app(Library.from_dir(ROOT / "problems"), workers=1)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/")
        assert r.status_code == 500
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "a bug in tutor" in r.text and "planted" not in r.text


def test_a_slow_client_is_closed(live_server):
    """A client that sends half a request line and waits is disconnected after the header
    time limit, instead of holding its connection for ever (slowloris)."""
    import time

    from tutor.web.http import HEADER_SECONDS
    u = urlparse(live_server)
    with socket.create_connection((u.hostname, u.port), timeout=HEADER_SECONDS + 30) as s:
        s.sendall(b"GET /api/probl")
        start = time.monotonic()
        assert s.recv(1024) == b""          # closed by the server, nothing sent
        assert time.monotonic() - start < HEADER_SECONDS + 25


def test_a_real_server_refuses_other_sites_and_other_host_names(live_server):
    body = b'{"gradients": {"W2[1,1]": 0.0597}}'
    req = urllib.request.Request(live_server + "/api/problems/xor/check", data=body,
                                 headers={"Origin": "http://attacker.example"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=60)
    e.value.close()
    assert e.value.code == 403
    assert "content-security-policy" in {k.lower() for k in e.value.headers}
    req = urllib.request.Request(live_server + "/api/problems",
                                 headers={"Host": "rebinding.attacker.example"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=60)
    e.value.close()
    assert e.value.code == 400
