"""A bounded load test on loopback: 200 concurrent check requests to a real `tutor serve`, all
answered, each graded exactly as when it comes alone. It measures no speed: it asserts only
that nothing fails or is mixed up under concurrency."""

from __future__ import annotations

import asyncio
import json
import urllib.request

from conftest import need_module

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
