"""Serving load: p50/p95 latency of one 5-image generation at 1, 10 and 50 concurrent clients.

Launches digitgen's app and the floor app (benchmarks/floor_app.py: five random images, no
model) one after the other on localhost, drives each with N concurrent ``gradio_client``
callers (loopback only; a bounded number of calls per level), and prints JSON.
Targets: 0 errors at 50 clients; digitgen's p50 ≤ 1.2× the floor's at 1 client; its calls/s
at 50 clients ≥ 0.8× the floor's. Run: ``python benchmarks/serve_load.py``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import report
from gradio_client import Client

ROOT = Path(__file__).resolve().parents[1]
SERVERS = {
    "digitgen": "from digitgen import load_generator; from digitgen.app import build, launch; "
    "launch(build(load_generator()), server_name='127.0.0.1', server_port={port})",
    "floor": "import floor_app; floor_app.demo.launch(server_name='127.0.0.1', server_port={port})",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(proc: subprocess.Popen, port: int, name: str) -> str:
    """The server's URL once ``port`` accepts connections (two minutes at most)."""
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"{name} did not start")


def start(name: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'benchmarks'}"}
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVERS[name].format(port=port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, wait_for(proc, port, name)


def load(url: str, clients: int, calls_each: int, time_limit: float) -> dict[str, float]:
    """``clients`` threads, each with its own Client, each making up to ``calls_each`` calls."""
    pool = [Client(url, verbose=False) for _ in range(clients)]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def caller(client: Client, index: int) -> None:
        barrier.wait()
        for k in range(calls_each):
            if time.perf_counter() > stop_at[0]:
                return
            start = time.perf_counter()
            try:
                result = client.predict((index + k) % 10, index * 1000 + k, api_name="/generate")
                ok = len(result) == 5
            except Exception:
                ok = False
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - start)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=caller, args=(c, i)) for i, c in enumerate(pool)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + time_limit
    begin = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - begin
    latencies.sort()
    return {
        "clients": clients,
        "calls": len(latencies),
        "errors": errors[0],
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1) if latencies else None,
        "calls_per_s": round(len(latencies) / wall, 2),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--levels", default="1,10,50")
    p.add_argument("--calls", type=int, default=120, help="calls per level, split among the clients")
    p.add_argument("--time-limit", type=float, default=90.0, help="seconds per level at most")
    a = p.parse_args()
    results: dict[str, list[dict[str, float]]] = {}
    for name in ("floor", "digitgen"):
        proc, url = start(name)
        try:
            load(url, 1, 5, 30)  # warm-up
            results[name] = [
                load(url, n, max(2, a.calls // n), a.time_limit) for n in (int(x) for x in a.levels.split(","))
            ]
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    first, last = results["digitgen"][0], results["digitgen"][-1]
    floor_first, floor_last = results["floor"][0], results["floor"][-1]
    report(
        "serve_load",
        {
            **results,
            "p50_ratio_at_1_client": round(first["p50_ms"] / floor_first["p50_ms"], 2),
            "throughput_ratio_at_max_clients": round(last["calls_per_s"] / floor_last["calls_per_s"], 2),
            "targets": {"errors_at_max": 0, "p50_ratio_max": 1.2, "throughput_ratio_min": 0.8},
        },
    )


if __name__ == "__main__":
    main()
