"""A bounded load test on loopback: 200 concurrent check requests to a real `tutor serve`, all
answered, each graded exactly as when it comes alone. It measures no speed: it asserts only
that nothing fails or is mixed up under concurrency."""

from __future__ import annotations

import asyncio
import json
import urllib.request

from conftest import ROOT, need_module

REQUESTS = 200
LIMIT_SECONDS = 300   # the whole test stops by itself after this


def _gradient(base: str, param: str) -> float:
    url = f"{base}/api/problems/xor/derivation?param={param}"
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.load(r)["gradients"][0]["gradient"]


def test_200_concurrent_checks(live_server):
    httpx = need_module("httpx2")
    g = _gradient(live_server, "W2[1,1]")
    # Four kinds of answer, each with its known grade.
    cases = [
        ({"gradients": {"W2[1,1]": round(g, 6)}}, True),
        ({"gradients": {"W2[1,1]": round(g, 6) * 2 + 0.5}}, False),
        ({"formulas": {"W2[1,3]": "(yhat - y)*a1[3]"}}, True),
        ({"formulas": {"W1[2,1]": "(yhat - y)*W2[1,2]*a1[2]*x1"}}, False),
    ]

    async def one(client, k):
        body, right = cases[k % len(cases)]
        r = await client.post(f"{live_server}/api/problems/xor/check", json=body)
        return k, r.status_code, r.json(), right

    async def run():
        limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=120) as client:
            return await asyncio.gather(*(one(client, k) for k in range(REQUESTS)))

    results = asyncio.run(asyncio.wait_for(run(), LIMIT_SECONDS))
    assert len(results) == REQUESTS
    failed = [(k, status, doc) for k, status, doc, _ in results if status != 200]
    assert not failed, failed[:3]
    for k, _, doc, right in results:
        body = cases[k % len(cases)][0]
        (section, answers), = body.items()
        (name, _), = answers.items()
        (res,) = doc["results"]
        assert res["name"] == name and res["right"] is right, (k, res)
    # The wrong formula is named as the same mistake every time.
    diagnoses = {doc["results"][0]["diagnosis"] for k, _, doc, _ in results if k % 4 == 3}
    assert len(diagnoses) == 1 and "stands where its derivative" in diagnoses.pop()


HOSTILE_LIMIT_SECONDS = 400


def hostile_mix(base: str, server_pid: int, normal: int = 100) -> dict:
    """Normal checks sent while pathological formulas, long trainings, a maximal upload and
    worksheet downloads run, and one worker of the server is killed midway. Returns what
    every request got and the normal checks' latencies (seconds). Loopback only; bounded in
    count and time. Used by the test below and by benchmarks/serve_speed.py."""
    import os
    import signal
    import subprocess
    import time
    httpx = need_module("httpx2")
    g = _gradient(base, "W2[1,1]")
    tower = "((((((9^16)^16)^16)^16)^16)^16)"
    long_xor = (ROOT / "problems" / "xor.yaml").read_text().replace(
        "training: {lr: 0.1, epochs: 5000}", "training: {lr: 0.1, epochs: 200000}")
    maximal = (ROOT / "problems" / "xor.yaml").read_text().replace(
        "- {units: 3, activation: sigmoid}",
        "- {units: 220, activation: sigmoid}\n    - {units: 220, activation: sigmoid}")

    async def timed(client, method, url, **kw):
        start = time.monotonic()
        r = await client.request(method, url, **kw)
        return r, time.monotonic() - start

    async def run():
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=180) as client:
            r = await client.post(f"{base}/api/problems", content=long_xor)
            long_url = base + r.json()["url"]
            hostile = [timed(client, "POST", f"{base}/api/problems/xor/check",
                             json={"formulas": {"W2[1,1]": tower.replace("9", str(k + 2))}})
                       for k in range(8)]
            hostile += [timed(client, "GET", f"{long_url}/train?seed={k}") for k in range(2)]
            hostile += [timed(client, "POST", f"{base}/api/problems", content=maximal)]
            hostile += [timed(client, "GET", f"{base}/problems/xor/download?file=worksheet.tex"
                                             f"&variants=20&seed={k}") for k in range(2)]
            background = [asyncio.ensure_future(h) for h in hostile]
            await asyncio.sleep(0.5)
            normal_jobs = []
            for k in range(normal):
                body = {"gradients": {"W2[1,1]": round(g, 6)}} if k % 2 else \
                    {"formulas": {"W2[1,3]": "(yhat - y)*a1[3]"}}
                normal_jobs.append(asyncio.ensure_future(
                    timed(client, "POST", f"{base}/api/problems/xor/check", json=body)))
                if k == normal // 2:     # one worker dies, as to the out-of-memory killer
                    kids = subprocess.run(["pgrep", "-P", str(server_pid)],
                                          capture_output=True, text=True).stdout.split()
                    if kids:
                        os.kill(int(kids[0]), signal.SIGKILL)
                await asyncio.sleep(0.02)
            return (await asyncio.gather(*normal_jobs),
                    await asyncio.gather(*background, return_exceptions=True))

    normal_results, hostile_results = asyncio.run(
        asyncio.wait_for(run(), HOSTILE_LIMIT_SECONDS))
    return {"normal": normal_results, "hostile": hostile_results}


def test_normal_checks_survive_a_hostile_mix():
    import socket
    import subprocess
    import sys
    import time
    need_module("starlette")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "tutor", "serve", "--port", str(port),
                             "--problems", str(ROOT / "problems")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/api/problems", timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.2)
        got = hostile_mix(base, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    normal = got["normal"]
    statuses = [r.status_code for r, _ in normal]
    # Every normal check is graded, except at most the one the killed worker held (503).
    assert statuses.count(200) >= len(normal) - 1 and set(statuses) <= {200, 503}
    assert all(r.json()["results"][0]["right"] for r, _ in normal if r.status_code == 200)
    # The hostile requests got answers, not server errors (a lost job may be told to retry).
    for item in got["hostile"]:
        assert not isinstance(item, Exception), item
        r, _ = item
        assert r.status_code in (200, 201, 422, 503), (r.status_code, r.text[:200])
    latencies = sorted(t for _, t in normal)
    print(f"normal checks under the hostile mix: p50 {latencies[len(latencies) // 2]:.3f} s, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.3f} s")
