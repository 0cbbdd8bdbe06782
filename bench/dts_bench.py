"""DTS server under load: 50 concurrent clients against ``edition serve`` on the FRUS volume.

    .venv/bin/python bench/dts_bench.py [--seconds 10] [--clients 50]

Starts the real server (uvicorn, 127.0.0.1, a free port) on ../shared's volume, warms it up
(the volume is parsed on the first request), then runs each scenario for ``--seconds`` with
``--clients`` concurrent clients (httpx, a connection each) and prints a table: requests,
errors, throughput, median and p95 latency, and the p95 as a ratio of the baseline measured in
the same run, the Entry endpoint (a constant answer through the same stack: routing, CORS,
validators), beside the median time of the same answers computed by the library without HTTP.
The clients run in this process, so on a two-core machine they compete with the server for the
CPU: the numbers are what one machine serving itself sees, not a server's ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
VOLUME = REPO.parent / "shared" / "corpus" / "frus" / "frus1958-60v19.xml"
RESOURCE = "frus1958-60v19"


def scenarios() -> dict[str, object]:
    def entry(turn: int) -> tuple[str, dict[str, str]]:
        return "/api/dts/", {}

    def navigation(turn: int) -> tuple[str, dict[str, str]]:
        return "/api/dts/navigation", {"resource": RESOURCE, "ref": f"d{turn % 404 + 1}", "down": "1"}

    def tree_page(turn: int) -> tuple[str, dict[str, str]]:
        return "/api/dts/navigation", {"resource": RESOURCE, "down": "-1", "page": str(turn % 21 + 1)}

    def passage(turn: int) -> tuple[str, dict[str, str]]:
        return "/api/dts/document", {"resource": RESOURCE, "ref": f"d{turn % 404 + 1}"}

    def text(turn: int) -> tuple[str, dict[str, str]]:
        return "/api/dts/document", {"resource": RESOURCE, "ref": f"d{turn % 404 + 1}", "mediaType": "text/plain"}

    return {"entry (baseline)": entry, "navigation ref=dN down=1": navigation,
            "navigation down=-1 page=N": tree_page, "document ref=dN (TEI)": passage,
            "document ref=dN (text)": text}


async def load(base: str, make: object, clients: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0

    async def client(http: httpx.AsyncClient, number: int, stop: float) -> None:
        nonlocal errors
        turn = number
        while time.monotonic() < stop:
            path, params = make(turn)  # type: ignore[operator]
            started = time.perf_counter()
            try:
                response = await http.get(path, params=params)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += not ok
            turn += clients

    # one client object with a connection per simulated client: creating an httpx client costs
    # an SSL context (tens of ms of CPU), which would be measured instead of the server
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        stop = time.monotonic() + seconds
        await asyncio.gather(*(client(http, n, stop) for n in range(clients)))
    return latencies, errors


def library_median(make: object, count: int = 200) -> float:
    """The median time of the same answers computed in this process (no HTTP): the server's own work."""
    from edition import dts
    from edition.dts_store import Store

    store, links = Store([VOLUME]), dts.Links()
    answer = {"/api/dts/": lambda params: dts.entry(links),
              "/api/dts/navigation": lambda params: dts.navigation(store, links, params),
              "/api/dts/document": lambda params: dts.document(store, links, params)}
    times = []
    for turn in range(count):
        path, params = make(turn)  # type: ignore[operator]
        started = time.perf_counter()
        answer[path](params)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])  # the first parses the volume


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    if not VOLUME.is_file():
        sys.exit(f"needs {VOLUME} (../shared beside the checkout)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "edition", "serve", "--port", str(port), str(VOLUME)],
                              cwd=REPO, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                started = time.perf_counter()
                httpx.get(f"{base}/api/dts/navigation", params={"resource": RESOURCE, "down": "1"}, timeout=30)
                print(f"first request (parses the volume): {time.perf_counter() - started:.2f} s")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    sys.exit("the server did not start")
                time.sleep(0.1)
        rows = []
        for name, make in scenarios().items():
            latencies, errors = asyncio.run(load(base, make, args.clients, args.seconds))
            latencies.sort()
            p95 = latencies[int(0.95 * (len(latencies) - 1))]
            rows.append((name, len(latencies), errors, len(latencies) / args.seconds,
                         statistics.median(latencies) * 1000, p95 * 1000, library_median(make) * 1000))
    finally:
        server.terminate()
        server.wait(timeout=10)
    baseline = rows[0][5]
    print(f"\n{args.clients} clients, {args.seconds:g} s per scenario, 127.0.0.1, the volume ({VOLUME.name})\n")
    print(f"| {'scenario':<28} | requests | errors | req/s | median ms | p95 ms | p95 / baseline | library ms |")
    print(f"|{'-' * 30}|---------:|-------:|------:|----------:|-------:|---------------:|-----------:|")
    for name, count, errors, rate, median, p95, library in rows:
        print(f"| {name:<28} | {count:8d} | {errors:6d} | {rate:5.0f} | {median:9.1f} | {p95:6.1f} | "
              f"{p95 / baseline:14.2f} | {library:10.2f} |")
    print("\nlibrary ms: the median of the same answers computed in one process without HTTP (the server's own "
          "work);\nthe rest of the latency is HTTP, the event loop's queue and the CPU shared with the clients.")


if __name__ == "__main__":
    main()
