"""The server under hostile and heavy use: kinds of work kept apart, failures cached, memory
counted in bytes, other sites and other host names refused. Against the application (its
real workers) and, where the network matters, a real server on loopback."""

from __future__ import annotations

import asyncio
import time

import pytest

from conftest import ROOT, need_module

need_module("starlette")
need_module("httpx2")

from starlette.testclient import TestClient  # noqa: E402

from tutor.web import jobs  # noqa: E402
from tutor.web.app import create_app  # noqa: E402
from tutor.web.library import Library  # noqa: E402
from tutor.web.service import _Cache  # noqa: E402

SLOW = (ROOT / "problems" / "xor.yaml").read_text().replace(
    "training: {lr: 0.1, epochs: 5000}", "training: {lr: 0.1, epochs: 10000000}")


@pytest.fixture(scope="module")
def client():
    app = create_app(Library.from_dir(ROOT / "problems"), workers=1,
                     allowed_hosts=["testserver", "127.0.0.1", "localhost"])
    with TestClient(app) as c:
        yield c


def test_checks_do_not_wait_behind_heavy_jobs(client, monkeypatch):
    """A training run that takes until its limit occupies the heavy pool; a check sent
    meanwhile is answered by the check pool, long before the training ends."""
    monkeypatch.setattr(jobs, "DERIVE_SECONDS", 6.0)
    r = client.post("/api/problems", content=SLOW)
    assert r.status_code == 201, r.text
    url = r.json()["url"]
    t = client.app.state.tutor

    async def both():
        train = asyncio.create_task(t.computed(("train", "slow", None, None, 1), jobs.training,
                                               SLOW, "upload", None, None, 1, seconds=6.0))
        await asyncio.sleep(0.5)
        start = time.monotonic()
        entry = t.entry("xor")
        result = await t.grade(entry, '{"gradients": {"W2[1,1]": 0.0597}}', "answers")
        waited = time.monotonic() - start
        try:
            await train
        except Exception as e:      # stopped at its limit
            stopped = e
        return result, waited, stopped

    result, waited, stopped = client.portal.call(both)
    assert result["score"]["right"] == 1
    assert "took more than 6 s" in str(stopped)
    # the check ran while the training still held the heavy pool
    assert waited < 6.0
    assert url.startswith("/problems/u-")


def test_a_failed_job_is_not_run_again(client):
    t = client.app.state.tutor
    calls = []

    async def run(seconds, fn, *args):
        calls.append(fn)
        raise jobs.JobTimeout()
    original = t.heavy.run
    t.heavy.run = run
    try:
        for _ in range(3):
            r = client.get("/problems/xor/train?epochs=123&seed=5")
            assert r.status_code == 503
    finally:
        t.heavy.run = original
    assert len(calls) == 1


def test_upload_ids_have_128_bits(client):
    r = client.post("/api/problems", content=SLOW.replace("XOR", "XOR 2"))
    assert len(r.json()["id"]) == len("u-") + 32


def test_the_cache_counts_bytes():
    c = _Cache(1000)
    c.put("a", "x" * 400)
    c.put("b", "y" * 400)
    c.put("c", "z" * 400)      # over 1000 bytes: the oldest goes
    assert list(c) == ["b", "c"] and c.used <= 1000
    c.put("huge", "h" * 5000)  # larger than the whole cache: not kept
    assert "huge" not in c


def test_repeated_params_share_a_cache_entry(client):
    t = client.app.state.tutor
    before = len(t.cache)
    client.get("/api/problems/xor/derivation?param=W2")
    client.get("/api/problems/xor/derivation?param=W2&param=W2&param=%20W2")
    assert len(t.cache) == before + 1


def test_another_site_cannot_post(client):
    body = '{"gradients": {"W2[1,1]": 0.0597}}'
    r = client.post("/api/problems/xor/check", content=body,
                    headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "another site" in r.json()["error"]
    r = client.post("/problems/xor/check", data={"param": "W2[1,1]", "answer": "1"},
                    headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    # the same site, and programs that send no Origin, are served
    r = client.post("/api/problems/xor/check", content=body,
                    headers={"Origin": "http://testserver"})
    assert r.status_code == 200
    assert client.post("/api/problems/xor/check", content=body).status_code == 200


def test_another_host_name_is_refused(client):
    r = client.get("/api/problems", headers={"Host": "rebound.example"})
    assert r.status_code == 400 and "rebound.example" in r.json()["error"]
    assert client.get("/api/problems", headers={"Host": "127.0.0.1:8000"}).status_code == 200


def test_serve_allows_its_own_address():
    from tutor.cli import allowed_hosts
    assert "127.0.0.1" in allowed_hosts("127.0.0.1", ()) and \
        "localhost" in allowed_hosts("127.0.0.1", ())
    assert allowed_hosts("0.0.0.0", ()) is None
    assert "lab.example" in allowed_hosts("0.0.0.0", ("lab.example",))


def test_training_is_judged_by_its_work_before_it_runs(client):
    r = client.post("/api/problems", content=SLOW.replace("XOR", "XOR 3"))
    url = r.json()["url"]
    t = client.app.state.tutor
    calls = []
    original = t.heavy.run

    async def run(*args):
        calls.append(args)
        return await original(*args)
    t.heavy.run = run
    try:
        r = client.get(url + "/train")
    finally:
        t.heavy.run = original
    assert r.status_code == 422 and "10,000,000 epochs" in r.text and not calls


def _with_workers(processes: int, body) -> None:
    """Run ``await body(w)`` on a started pool of ``processes`` workers (once they answer),
    stopping it afterwards; the whole bounded in time."""
    async def run():
        w = jobs.Workers(processes)
        w.start()
        try:
            assert await w.run(60, sum, [1]) == 1
            await body(w)
        finally:
            w.stop()
    asyncio.run(asyncio.wait_for(run(), 120))


def test_a_killed_worker_costs_only_its_own_job():
    import os
    import signal

    async def body(w):
        a = asyncio.ensure_future(w.run(60, time.sleep, 3))
        b = asyncio.ensure_future(w.run(60, time.sleep, 3))
        await asyncio.sleep(1.5)
        os.kill(w.pids[0], signal.SIGKILL)
        results = await asyncio.gather(a, b, return_exceptions=True)
        assert sum(isinstance(r, jobs.WorkerLost) for r in results) == 1
        assert results.count(None) == 1          # the healthy worker's job finished
        assert await w.run(60, sum, [1, 2]) == 3
    _with_workers(2, body)


def test_a_frozen_worker_costs_only_its_own_job(monkeypatch):
    """SIGSTOP: the worker neither answers nor dies. Checks go on on the other worker; the
    frozen one's job is told to try again (not 'write the answer more simply'), and the worker
    is replaced."""
    import os
    import signal
    monkeypatch.setattr(jobs, "GRACE_SECONDS", 1.0)

    async def body(w):
        await asyncio.gather(w.run(60, sum, [1]), w.run(60, sum, [1]))
        frozen_pid = w.pids[0]
        os.kill(frozen_pid, signal.SIGSTOP)
        results = await asyncio.gather(*(w.run(1.0, sum, [k]) for k in range(6)),
                                       return_exceptions=True)
        # the one job that went to the frozen worker is lost; the others were served
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(lost) == 1 and type(lost[0]) is jobs.WorkerLost
        assert sorted(r for r in results if not isinstance(r, Exception)) == \
            sorted(set(range(6)) - {results.index(lost[0])})
        assert frozen_pid not in w.pids
        assert await w.run(60, sum, [2]) == 2
    _with_workers(2, body)


def test_a_job_that_waits_too_long_is_told_the_server_is_busy(monkeypatch):
    monkeypatch.setattr(jobs, "QUEUE_SECONDS", 0.5)

    async def body(w):
        first = asyncio.ensure_future(w.run(60, time.sleep, 2))
        await asyncio.sleep(0.1)
        with pytest.raises(jobs.Busy):
            await w.run(60, sum, [1])
        await first
    _with_workers(1, body)


def test_a_huge_upload_is_refused_and_uploads_are_counted_by_memory(client, monkeypatch):
    big = (ROOT / "problems" / "xor.yaml").read_text().replace(
        "- {units: 3, activation: sigmoid}",
        "- {units: 512, activation: sigmoid}\n    - {units: 512, activation: sigmoid}")
    r = client.post("/api/problems", content=big)
    assert r.status_code == 422 and "at most 100,000" in r.json()["error"]
    assert r.json()["field"] == "network.layers"
    from tutor.web import library
    monkeypatch.setattr(library, "UPLOAD_BYTES", 4000)
    ids = [client.post("/api/problems", content=SLOW.replace("XOR", f"XOR m{k}")).json()["id"]
           for k in range(6)]
    kept = [i for i in ids if client.get(f"/api/problems/{i}").status_code == 200]
    assert ids[-1] in kept and len(kept) < 6


def test_per_client_limits(monkeypatch):
    from tutor.web import http
    monkeypatch.setattr(http, "PER_CLIENT_UPLOADS", 2)
    with TestClient(create_app(Library.from_dir(ROOT / "problems"), workers=1)) as client:
        codes = [client.post("/api/problems",
                             content=SLOW.replace("XOR", f"XOR c{k}")).status_code
                 for k in range(3)]
        assert codes == [201, 201, 429]
        monkeypatch.setattr(http, "PER_CLIENT_REQUESTS", 0)
        r = client.get("/api/problems")
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        assert "at once" in r.json()["error"]
