"""A Space waking up: ``python app.py`` started to its first ``/generate`` answered, beside a bare Gradio app.

A sleeping Space starts its process again when a visitor comes. Each run starts the server
afresh, polls until a ``gradio_client`` connects, and times the first ``/generate``; the floor is
benchmarks/floor_app.py (five random images, no model), started the same way, in turns with
digitgen's so both see the same machine. Prints JSON into ``benchmarks/results/cold_start.json``.
Run: ``python benchmarks/cold_start.py [--runs 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import report
from gradio_client import Client
from serve_load import free_port

ROOT = Path(__file__).resolve().parents[1]
SERVERS = {"digitgen": [sys.executable, "app.py"], "floor": [sys.executable, "benchmarks/floor_app.py"]}


def cold_start(name: str) -> dict[str, float]:
    """Seconds from the process's start to its first client connection and to its first /generate answer."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    server = subprocess.Popen(SERVERS[name], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if server.poll() is not None or time.perf_counter() - start > 180:
                raise RuntimeError(f"{name} did not start")
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:
                time.sleep(0.1)
        connected = time.perf_counter() - start
        assert len(client.predict(7, 42, api_name="/generate")) == 5
        return {"connected_s": round(connected, 2), "first_generate_s": round(time.perf_counter() - start, 2)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"floor": [], "digitgen": []}
    for _ in range(a.runs):
        for name in runs:
            runs[name].append(cold_start(name))
    median = {name: statistics.median(r["first_generate_s"] for r in results) for name, results in runs.items()}
    report(
        "cold_start",
        {
            "runs": runs,
            "median_first_generate_s": median,
            "ratio_to_floor": round(median["digitgen"] / median["floor"], 2),
        },
    )


if __name__ == "__main__":
    main()
