"""Soak: does a long-running Space keep its memory and disk flat under steady traffic?

Launches ``python app.py`` as a Space does (and the floor app, benchmarks/floor_app.py, beside it
in the same run for comparison), each with its own empty temporary folders so that every file
it causes is counted. N ``gradio_client`` callers per app call a mix of endpoints with fresh
seeds for T seconds; every ``--every`` seconds the server's RSS and the files and bytes under its
temporary folders are sampled. Prints JSON and writes benchmarks/results/soak.json.

Targets (issue 22), at 10 callers for 30 minutes with a 60 s retention: 0 errors; files on
disk ≤ 1.5 × retention × calls/s × files per call; RSS over the last 10 minutes rising no faster
than the floor app's. Run: ``python benchmarks/soak.py`` (``--seconds 120`` for a short look).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from common import report
from gradio_client import Client, handle_file
from PIL import Image
from serve_load import free_port, wait_for

import digitgen
from digitgen.images import upscale

ROOT = Path(__file__).resolve().parents[1]


def drawn_digit(seed: int) -> dict[str, object]:
    """A handwritten 3 as a 280-pixel PNG upload, different for each seed, as a person would draw it."""
    path = Path(tempfile.gettempdir()) / f"digitgen-soak-drawing-{seed}.png"
    Image.fromarray(upscale(digitgen.generate(3, seed, n=1)[0], 10)).save(path)
    return handle_file(path)


# What each caller asks for, with weights, and how many files one answer leaves on the server:
# one per image or download (the app writes it inside Gradio's cache, which serves it as it is),
# and for a capture also the upload.
MIX = {
    "digitgen": [
        # (weight, endpoint, arguments from a random seed, files on the server per call)
        (60, "/generate", lambda s: (s % 10, s), 5),
        (10, "/write_number", lambda s: (str(s), s), 5),
        (8, "/same_hand", lambda s: (s,), 10),
        (5, "/morph", lambda s: (s % 10, s, s + 1, 10), 10 + 1),
        (10, "/export", lambda s: (s % 10, s), 2),
        (5, "/digits_picture", lambda s: (s % 10, s), 1),
        (2, "/capture_style", lambda s: (drawn_digit(s % 100), -1), 1 + 2 + 10),
    ],
    "floor": [(100, "/generate", lambda s: (s % 10, s), 5)],  # Gradio writes each array once, in its cache
}
SERVERS = {"digitgen": [sys.executable, "app.py"], "floor": [sys.executable, "benchmarks/floor_app.py"]}


@dataclass
class Soak:
    """One launched app under load: its process, its folders, and what the callers counted."""

    name: str
    keep_seconds: int
    sweep_seconds: int
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="digitgen-soak-")))
    calls: int = 0
    made: list[tuple[float, int]] = field(default_factory=list)  # (when, files) for each answered call
    errors: list[str] = field(default_factory=list)
    samples: list[dict[str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        (self.root / "tmp").mkdir()
        (self.root / "gradio").mkdir()
        port = free_port()
        env = {
            **os.environ,
            "TMPDIR": str(self.root / "tmp"),  # the app's own files go under here
            "GRADIO_TEMP_DIR": str(self.root / "gradio"),  # Gradio's cache
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_SERVER_PORT": str(port),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "DIGITGEN_KEEP_SECONDS": str(self.keep_seconds),
            "DIGITGEN_SWEEP_SECONDS": str(self.sweep_seconds),
        }
        self.process = subprocess.Popen(
            SERVERS[self.name], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.url = wait_for(self.process, port, self.name)

    def stop(self) -> None:
        """Stop the server and delete its folders."""
        self.process.terminate()
        self.process.wait(timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024

    def disk(self) -> dict[str, float]:
        """Files, folders and bytes under the app's own temporary folder and under Gradio's cache."""
        counts: dict[str, float] = {}
        for part in ("tmp", "gradio"):
            files = folders = size = 0
            for folder, dirs, names in os.walk(self.root / part):
                folders += len(dirs)
                for name in names:
                    try:
                        size += os.stat(os.path.join(folder, name)).st_size
                        files += 1
                    except FileNotFoundError:
                        pass
            counts |= {f"{part}_files": files, f"{part}_folders": folders, f"{part}_mb": round(size / 2**20, 2)}
        return counts

    def sample(self, started: float) -> None:
        with self.lock:
            calls, errors = self.calls, len(self.errors)
        when, rss = round(time.monotonic() - started), round(self.rss_mb(), 1)
        self.samples.append({"t": when, "rss_mb": rss, "calls": calls, "errors": errors} | self.disk())

    def caller(self, index: int, stop_at: float) -> None:
        client = Client(self.url, verbose=False, download_files=False)
        rng = random.Random(index)
        weights, endpoints = zip(*[(w, rest) for w, *rest in MIX[self.name]], strict=True)
        while time.monotonic() < stop_at:
            endpoint, arguments, files = rng.choices(endpoints, weights)[0]
            try:
                client.predict(*arguments(rng.randrange(2**31 - 1)), api_name=endpoint)
                with self.lock:
                    self.calls += 1
                    self.made.append((time.monotonic(), files))
            except Exception as e:  # counted and reported: the target is none
                with self.lock:
                    self.errors.append(f"{endpoint}: {e}"[:200])

    def files_made_since(self, seconds_ago: float) -> int:
        """Files the answers of the last ``seconds_ago`` seconds left on the server."""
        since = time.monotonic() - seconds_ago
        with self.lock:
            return sum(files for when, files in self.made if when >= since)


def slope_mb_per_min(samples: list[dict[str, float]], since: float) -> float:
    """Least-squares slope of RSS over the samples from ``since`` seconds on."""
    recent = [(s["t"], s["rss_mb"]) for s in samples if s["t"] >= since]
    t, rss = np.array(recent).T
    return round(float(np.polyfit(t / 60, rss, 1)[0]), 2)


def summary(soak: Soak, seconds: float, last: float) -> dict[str, object]:
    rate = soak.calls / seconds
    files_per_call = sum(files for _, files in soak.made) / max(soak.calls, 1)
    peak_files = max(s["tmp_files"] + s["gradio_files"] for s in soak.samples)
    bound = 1.5 * soak.keep_seconds * rate * files_per_call
    return {
        "calls": soak.calls,
        "calls_per_s": round(rate, 2),
        "errors": len(soak.errors),
        "first_errors": soak.errors[:5],
        "files_per_call": round(files_per_call, 2),
        "peak_files_on_disk": peak_files,
        "files_bound": round(bound),
        "files_within_bound": peak_files <= bound,
        "peak_folders_on_disk": max(s["tmp_folders"] + s["gradio_folders"] for s in soak.samples),
        "rss_after_warmup_mb": soak.samples[1]["rss_mb"],
        "rss_end_mb": soak.samples[-1]["rss_mb"],
        f"rss_slope_last_{last / 60:.0f}_min_mb_per_min": slope_mb_per_min(soak.samples, seconds - last),
        "samples": soak.samples,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--clients", type=int, default=10, help="callers per app")
    p.add_argument("--seconds", type=int, default=1800)
    p.add_argument("--keep", type=int, default=60, help="DIGITGEN_KEEP_SECONDS: the retention")
    p.add_argument("--sweep", type=int, default=15, help="DIGITGEN_SWEEP_SECONDS: the sweep period")
    p.add_argument("--every", type=int, default=30, help="seconds between samples")
    p.add_argument("--apps", default="digitgen,floor")
    a = p.parse_args()
    soaks = [Soak(name, a.keep, a.sweep) for name in a.apps.split(",")]
    for soak in soaks:
        soak.start()
    try:
        started = time.monotonic()
        stop_at = started + a.seconds
        callers = [
            threading.Thread(target=soak.caller, args=(i, stop_at), daemon=True)
            for soak in soaks
            for i in range(a.clients)
        ]
        for thread in callers:
            thread.start()
        while True:
            for soak in soaks:
                soak.sample(started)
            if time.monotonic() >= stop_at:
                break
            time.sleep(min(a.every, stop_at - time.monotonic()))
        for thread in callers:
            thread.join(timeout=120)
        seconds = time.monotonic() - started
    finally:
        for soak in soaks:
            soak.stop()
    last = min(600, a.seconds / 2)
    results = {soak.name: summary(soak, seconds, last) for soak in soaks}
    report(
        "soak",
        {
            "clients_per_app": a.clients,
            "seconds": a.seconds,
            "keep_seconds": a.keep,
            "sweep_seconds": a.sweep,
            "apps_side_by_side": True,
            **results,
            "targets": {
                "errors": 0,
                "files_on_disk_max": "1.5 × keep × calls/s × files per call",
                "rss_slope": "digitgen's ≤ the floor app's over the last 10 minutes",
            },
        },
    )


if __name__ == "__main__":
    main()
