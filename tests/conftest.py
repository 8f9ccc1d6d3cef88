"""Shared fixtures: the MNIST root (the sample in tests/data, or ``$DIGITGEN_DATA``), the app built and launched.

``make test`` runs the suite in two pytest-xdist workers; each gets its share of the cores.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sysconfig
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if "PYTEST_XDIST_WORKER_COUNT" in os.environ and "OMP_NUM_THREADS" not in os.environ:
    # Set before anything imports torch, and inherited by the commands, apps and kernels a test starts:
    # two processes that each spin a thread per core on the same cores run several times slower.
    # The cores this process may run on (a container may allow fewer than the machine has).
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    os.environ["OMP_NUM_THREADS"] = str(max(1, cores // workers))


SAMPLE = ROOT / "tests" / "data"  # 2,000 train and 1,000 test digits of MNIST, shipped with the repo


@pytest.fixture(scope="session", autouse=True)
def temporary_folder(tmp_path_factory):
    """This session's temporary files in a folder of pytest's, which keeps only the last three sessions'.

    gradio_client downloads each file into a fresh folder of the system's temporary directory and
    leaves it there, empty: about 250 a run of ``test_app.py``, for ever, without this.
    """
    system = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("tempfiles"))
    yield
    tempfile.tempdir = system


@pytest.fixture(scope="session")
def data_root() -> Path:
    """``$DIGITGEN_DATA`` when set (a full torchvision MNIST root), else the shipped sample."""
    root = Path(os.environ.get("DIGITGEN_DATA") or SAMPLE)
    if not (root / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
        pytest.fail(f"DIGITGEN_DATA={root} holds no MNIST; point it at a torchvision MNIST root or unset it")
    return root


def lend_packages(python: Path, folder: Path, lent: Callable[[str], bool]) -> Path:
    """Make this environment's installed entries whose names pass ``lent`` importable by ``python``.

    They are linked into ``folder``, which a ``.pth`` file adds to that environment's path: a fresh
    environment gets them without a second copy (torch alone is 6 GB), and nothing else leaks in.
    Returns that environment's site-packages.
    """
    folder.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if lent(entry.name):
            (folder / entry.name).symlink_to(entry)
    where = [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    site = Path(subprocess.run(where, capture_output=True, text=True, check=True).stdout.strip())
    (site / f"{folder.name}.pth").write_text(f"{folder}\n")
    return site


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: with ``make test``'s two workers, a notebook run started last keeps one waiting."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo():
    """The app built on the shipped weights, once for the whole session; ``demo.endpoints`` holds its endpoints."""
    from digitgen import load_generator
    from digitgen.app import build

    return build(load_generator())


@pytest.fixture(scope="session")
def app_url(demo):
    """The app launched for real on a free localhost port, once for the whole session."""
    from digitgen.app import launch

    port = free_port()
    launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium for the tests in a real browser: skipped where it is missing, except in CI."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
