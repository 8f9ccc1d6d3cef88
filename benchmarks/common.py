"""Shared by the benchmark scripts: where results go and what machine they ran on."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

import torch

RESULTS = Path(__file__).parent / "results"


def mnist_root() -> str:
    """The full MNIST the benchmarks read: ``$DIGITGEN_DATA``, a torchvision MNIST root, or one sentence."""
    root = os.environ.get("DIGITGEN_DATA")
    if not root:
        sys.exit(
            "set DIGITGEN_DATA to a torchvision MNIST root (`python -m digitgen.train --data DIR --download` "
            "fetches one; the tests' sample in tests/data is too small for these figures)"
        )
    return root


def machine() -> dict[str, object]:
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
    }


def report(name: str, results: dict[str, object]) -> None:
    """Print the JSON and write it to ``benchmarks/results/NAME.json``."""
    payload = {"benchmark": name, "machine": machine(), **results}
    text = json.dumps(payload, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(text + "\n")
