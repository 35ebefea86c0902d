"""Speed of `tutor serve`: what the web layer adds to the library's own work.

    python benchmarks/serve_speed.py [--requests N]

Starts a real server (uvicorn, 2 workers) on a free loopback port and measures, against
baselines taken in the same run (medians; the machine is shared and noisy):

- one check over HTTP (POST /api/problems/xor/check) vs the same `grade` call in-process;
- N concurrent checks vs N one after another over HTTP (how well the 2 workers are used);
- a problem page, first view (its derivation computed) vs again (cached);
- 100 checks sent while pathological formulas, two 200,000-epoch trainings, a maximal upload
  and two worksheet downloads run and a worker is killed (tests/test_web_load.hostile_mix),
  vs the same checks sent one by one alone.

Targets: a check over HTTP at most 10 ms more than the library call; N concurrent checks no
slower than N sequential ones; under the hostile mix a p99 under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from derive_speed import median_time  # the same timing, beside this script

ROOT = Path(__file__).resolve().parent.parent
BODY = {"formulas": {"W1[2,1]": "(yhat - y)*W2[1,2]*a1[2]*(1 - a1[2])*x1"},
        "gradients": {"W2[1,1]": 0.1}}


def _post(url: str, data: bytes) -> bytes:
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    import httpx2 as httpx

    from tutor import load_problem
    from tutor.answers import parse_answers
    from tutor.checking import grade

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "tutor", "serve", "--port", str(port),
                               "--problems", str(ROOT / "problems")],
                              stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/problems", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        data = json.dumps(BODY).encode()
        url = base + "/api/problems/xor/check"
        for _ in range(10):     # warm the workers
            _post(url, data)

        p = load_problem(ROOT / "problems" / "xor.yaml")
        text = json.dumps(BODY)
        t_lib = median_time(lambda: grade(p, parse_answers(text, p, "x")), 50)
        t_http = median_time(lambda: _post(url, data), 50)

        n = args.requests
        t0 = time.perf_counter()
        for _ in range(n):
            _post(url, data)
        t_seq = time.perf_counter() - t0

        async def concurrent():
            limits = httpx.Limits(max_connections=n)
            async with httpx.AsyncClient(limits=limits, timeout=120) as client:
                rs = await asyncio.gather(*(client.post(url, content=data,
                                                        headers={"content-type":
                                                                 "application/json"})
                                            for _ in range(n)))
            assert all(r.status_code == 200 for r in rs)
        t0 = time.perf_counter()
        asyncio.run(concurrent())
        t_con = time.perf_counter() - t0

        page = base + "/problems/textbook-2-2-2?param=W1%5B1%2C1%5D"
        t0 = time.perf_counter()
        urllib.request.urlopen(page, timeout=60).read()
        t_cold = time.perf_counter() - t0
        t_warm = median_time(lambda: urllib.request.urlopen(page, timeout=60).read(), 20)

        sys.path.insert(0, str(ROOT / "tests"))
        from test_web_load import hostile_mix
        got = hostile_mix(base, server.pid)
        lat = sorted(t for _, t in got["normal"])
        p50, p99 = lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1]
        codes = sorted(r.status_code for r, _ in got["normal"])
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"check, library call in-process:      {t_lib * 1e3:8.2f} ms (baseline)")
    print(f"check over HTTP (server, workers):   {t_http * 1e3:8.2f} ms "
          f"({t_http / t_lib:.1f}x; +{(t_http - t_lib) * 1e3:.1f} ms; target +10 ms at most)")
    print(f"{n} checks one after another:        {t_seq:8.2f} s (baseline)")
    print(f"{n} checks at once:                   {t_con:8.2f} s "
          f"({t_con / t_seq:.2f}x of sequential; target <= 1x)")
    print(f"problem page, first view:            {t_cold * 1e3:8.1f} ms (derivation computed)")
    print(f"problem page, again:                 {t_warm * 1e3:8.1f} ms "
          f"({t_cold / t_warm:.0f}x faster, cached)")
    print(f"a check alone over HTTP:             {t_http * 1e3:8.2f} ms (baseline)")
    print(f"100 checks under the hostile mix:    p50 {p50 * 1e3:.1f} ms ({p50 / t_http:.1f}x), "
          f"p99 {p99 * 1e3:.1f} ms ({p99 / t_http:.1f}x; target p99 < 1 s); "
          f"{codes.count(200)} of {len(codes)} answered 200")


if __name__ == "__main__":
    main()
