"""Sampling speed on this machine: ``generate(n=5)`` latency and 10,000-sample throughput.

Targets: ≤ 5 ms for five images; ≤ 2 s for 10,000. Run: ``python benchmarks/sample_speed.py``.
"""

from __future__ import annotations

import statistics
import time

import torch
from common import report

from digitgen import generate, load_generator
from digitgen.draw import noise, pixels


def main() -> None:
    generator = load_generator()
    for _ in range(20):
        generate(7, 0, generator=generator)
    latencies = []
    for seed in range(300):
        start = time.perf_counter()
        generate(seed % 10, seed, generator=generator)
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    digits = torch.arange(10).repeat_interleave(1000)
    z = noise(generator.z_dim, len(digits), 0)
    pixels(generator, digits[:1000], z[:1000])
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        pixels(generator, digits, z)
        runs.append(time.perf_counter() - start)
    report(
        "sample_speed",
        {
            "arch": generator.arch,
            "generate_n5_ms": {
                "p50": round(statistics.median(latencies), 3),
                "p95": round(latencies[int(0.95 * len(latencies))], 3),
                "target": 5.0,
            },
            "sample_10000_s": {"best": round(min(runs), 3), "target": 2.0},
        },
    )


if __name__ == "__main__":
    main()
