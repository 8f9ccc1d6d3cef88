"""A busy Space: how quick a light request stays while heavy ones run beside it.

Launches the app as a Space does (``python app.py``) and, in one run:

1. one light caller times ``/generate`` alone for ``--alone`` seconds;
2. the same caller goes on for ``--seconds`` while six heavy callers work beside it without a pause:
   four capture a hand (``/capture_style``, MNIST test digits drawn large on a white canvas) and
   two download a dataset of 1,000 per digit (``/dataset``).

Targets: the light p50 under load ≤ 1.5× its p50 alone, captures' p50 ≤ 2 s (queueing included),
0 errors. ``--root`` runs another checkout's ``app.py`` (an older commit, for a before/after).

A Space's visitors run their browsers and clients on their own machines. Here they share the
Space's two cores, so the heavy callers run in a process of their own at a lower CPU priority
(nice 10): in the light caller's process their client work (reading replies, saving 13 images a
capture and 10 MB a dataset) held its GIL and doubled its latency, and at equal priority took a
core from the server, neither of which a Space's visitors do. Every caller's client also reuses one
TLS context (:func:`new_client`): gradio_client 2.7 builds a new one, loading certifi's CA bundle, for
each file it downloads, even over plain http: 20 ms of CPU a file, 0.28 s a capture (13 files),
more than the capture itself costs the server.
Run: ``python benchmarks/busy_space.py`` (2 cores, nothing else running).
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import certifi
import numpy as np
from common import report
from gradio_client import Client, handle_file
from serve_load import free_port, wait_for
from style_capture import as_canvas

from digitgen.data import load_mnist

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data"  # MNIST's digits shipped with the repository


TLS = ssl.create_default_context(cafile=certifi.where())


def new_client(url: str) -> Client:
    """A client whose file downloads share one TLS context instead of building one each."""
    return Client(url, verbose=False, ssl_verify=TLS)


def summary(seconds: list[float]) -> dict[str, float | int | None]:
    if not seconds:
        return {"calls": 0, "p50_s": None, "p95_s": None}
    return {
        "calls": len(seconds),
        "p50_s": round(statistics.median(seconds), 3),
        "p95_s": round(float(np.percentile(seconds, 95)), 3),
    }


class Caller(threading.Thread):
    """One client calling ``call(client, k)`` again and again until ``stop`` is set, timing each call."""

    def __init__(self, url: str, call, stop: threading.Event):
        super().__init__(daemon=True)
        self.client, self.call, self.stop = new_client(url), call, stop
        self.seconds: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        k = 0
        while not self.stop.is_set():
            start = time.perf_counter()
            try:
                self.call(self.client, k)
                self.seconds.append(time.perf_counter() - start)
            except Exception as e:  # counted, and the caller goes on
                self.errors.append(f"{type(e).__name__}: {str(e)[:200]}")
            k += 1


def light(client: Client, k: int) -> None:
    assert len(client.predict(k % 10, 1000 + k, 0.0, api_name="/generate")) == 5


def heavy_callers(url: str, files: list[Path], seconds: float) -> dict[str, object]:
    """Four capturing and two downloading datasets, for ``seconds``: their latencies and errors."""
    stop = threading.Event()

    def capture(client: Client, k: int) -> None:
        result = client.predict(handle_file(str(files[k % len(files)])), -1, api_name="/capture_style")
        assert result[0].startswith("dg1.")

    def dataset(client: Client, k: int) -> None:
        assert Path(client.predict(1000, k, 0.0, api_name="/dataset")).stat().st_size > 1_000_000

    captures = [Caller(url, capture, stop) for _ in range(4)]
    datasets = [Caller(url, dataset, stop) for _ in range(2)]
    timed([*captures, *datasets], seconds)
    return {
        "capture": [s for c in captures for s in c.seconds],
        "dataset": [s for c in datasets for s in c.seconds],
        "errors": [e for c in (*captures, *datasets) for e in c.errors],
    }


def timed(callers: list[Caller], seconds: float) -> None:
    for caller in callers:
        caller.start()
    time.sleep(seconds)
    callers[0].stop.set()
    for caller in callers:
        caller.join(timeout=120)


def drawings() -> list[Path]:
    """MNIST test digits drawn large on a white canvas, as PNG files to upload."""
    test = load_mnist(SAMPLE, train=False).per_digit(4)
    folder = Path(tempfile.mkdtemp(prefix="busy_space_"))
    files = []
    for i, digit in enumerate(test.images.numpy()):
        files.append(folder / f"{i}.png")
        as_canvas(digit).save(files[-1])
    return files


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--root", default=str(ROOT), help="the checkout whose app.py is served")
    p.add_argument("--alone", type=float, default=30.0, help="seconds of the light caller alone")
    p.add_argument("--seconds", type=float, default=90.0, help="seconds of the light caller beside the heavy ones")
    p.add_argument("--name", default="busy_space", help="the results file's name")
    p.add_argument("--heavy-nice", type=int, default=10, help="the heavy callers' CPU priority (0: the server's)")
    p.add_argument("--heavy", metavar="URL", help=argparse.SUPPRESS)  # the heavy callers' own process
    a = p.parse_args()
    files = drawings()
    if a.heavy:
        print(json.dumps(heavy_callers(a.heavy, files, a.seconds)))
        return

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "PYTHONPATH": a.root}
    server = subprocess.Popen(
        [sys.executable, "app.py"], cwd=a.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = wait_for(server, port, "the app")
        warm = new_client(url)
        for k in range(5):
            light(warm, k)
        warm.predict(handle_file(str(files[0])), -1, api_name="/capture_style")

        alone = Caller(url, light, threading.Event())
        timed([alone], a.alone)

        heavy = subprocess.Popen(
            ["nice", "-n", str(a.heavy_nice), sys.executable, __file__, "--heavy", url, "--seconds", str(a.seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(5)  # the heavy callers connect and start
        loaded = Caller(url, light, threading.Event())
        timed([loaded], a.seconds - 5)
        heavy_results = json.loads(heavy.communicate(timeout=300)[0].strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=30)

    light_alone, light_loaded = summary(alone.seconds), summary(loaded.seconds)
    errors = alone.errors + loaded.errors + heavy_results["errors"]
    report(
        a.name,
        {
            "root": str(Path(a.root).resolve()),
            "seconds": {"alone": a.alone, "loaded": a.seconds},
            "light_generate_alone": light_alone,
            "light_generate_loaded": light_loaded,
            "light_p50_ratio": round(light_loaded["p50_s"] / light_alone["p50_s"], 2),
            "capture_style_loaded": summary(heavy_results["capture"]),
            "dataset_1000_per_digit_loaded": summary(heavy_results["dataset"]),
            "errors": len(errors),
            "first_errors": errors[:5],
            "targets": {"light_p50_ratio_max": 1.5, "capture_p50_s_max": 2.0, "errors": 0},
        },
    )


if __name__ == "__main__":
    main()
