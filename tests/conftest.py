"""Shared fixtures: the MNIST root (``../shared/data`` beside the checkout, or ``$DIGITGEN_DATA``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_root() -> Path:
    root = Path(os.environ.get("DIGITGEN_DATA", ROOT.parent / "shared" / "data"))
    if not (root / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
        pytest.fail(f"MNIST not found under {root}; set DIGITGEN_DATA to a torchvision MNIST root")
    return root
