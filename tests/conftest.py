"""Shared fixtures. ``need(tool)`` skips a test when a real tool is missing, except in CI
(TUTOR_REQUIRE_TOOLS=1), where a missing tool is a failure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples on every run, so that a green run stays green; local runs
# explore new ones each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Tests read English unless they choose another language: whatever the machine's locale says
# (commands run in subprocesses inherit this).
os.environ["TUTOR_LANG"] = "en"

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
DATA = Path(__file__).resolve().parent / "data"


def need(tool: str) -> str:
    """The path of executable ``tool``; skip (or, in CI, fail) when it is missing."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (scripts/install-tools installs it)"
        if os.environ.get("TUTOR_REQUIRE_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def need_module(name: str):
    """Import ``name``; skip (or, in CI, fail) when it is not installed."""
    try:
        return __import__(name)
    except ImportError:
        message = f"the Python package {name} is not installed"
        if os.environ.get("TUTOR_REQUIRE_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def xor():
    from tutor import load_problem
    return load_problem(ROOT / "problems" / "xor.yaml")


@pytest.fixture(scope="session")
def xor_explicit():
    from tutor import load_problem
    return load_problem(DATA / "xor-explicit.yaml")


@pytest.fixture(scope="session")
def textbook():
    from tutor import load_problem
    return load_problem(ROOT / "problems" / "textbook-2-2-2.yaml")


ARTIFACTS = Path(os.environ.get("TUTOR_ARTIFACTS", ROOT / "artifacts"))


@pytest.fixture(scope="session")
def live_server():
    """A real `tutor serve` (uvicorn) on a free loopback port: its base URL."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    need_module("starlette")
    need_module("uvicorn")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutor", "serve", "--port", str(port),
         "--problems", str(ROOT / "problems")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/api/problems", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None:
                pytest.fail(f"tutor serve exited: {proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                pytest.fail("tutor serve did not answer within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()
