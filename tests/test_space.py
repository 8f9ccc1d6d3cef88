"""The Space built and started as Hugging Face Spaces does it, as closely as this machine allows.

Spaces reads README.md's header, installs ``requirements.txt`` together with
``gradio[oauth,mcp]==<sdk_version>`` into a fresh Python ``<python_version>``, puts the repository's
files in the working folder and runs ``python app.py``, without installing the package. This test
does the same, with these differences:

- PyTorch's CPU-only index (requirements.txt's ``--extra-index-url``) cannot be reached from here, so
  that line is left out. Torch at the pinned version is the one already unpacked for the tests (a CUDA
  build from the package registry, which runs on the CPU), lent to the fresh environment by a ``.pth``
  file instead of a second 6 GB copy: CI's disk once ran out. pip still checks the pins against it.
  On Spaces the same pins resolve to the CPU-only build.
- The Python is this machine's; the test checks that the header pins the same minor version.
- No Spaces container: no SPACE_ID and friends, and the server listens on a free port, not 7860.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import venv
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, free_port, lend_packages
from gradio_client import Client
from PIL import Image

from digitgen import generate

pytestmark = pytest.mark.slow  # installs the Space into a fresh environment


def header() -> dict[str, str]:
    """README.md's YAML header as flat ``key: value`` pairs (all the Space's settings are flat)."""
    text = (ROOT / "README.md").read_text().split("---")[1]
    return {k.strip(): v.strip().strip('"') for k, v in re.findall(r"^(\w+):(.*)$", text, flags=re.M)}


def repository_files(dest: Path) -> None:
    """The files a Space repository holds: everything git tracks, or would (untracked, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    for name in listed.stdout.splitlines():
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)


def test_header_pins_what_spaces_needs():
    h = header()
    assert h["sdk"] == "gradio" and h["app_file"] == "app.py" and h["suggested_hardware"] == "cpu-basic"
    assert h["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"  # what the tests run on
    requirements = (ROOT / "requirements.txt").read_text()
    assert not re.search(r"^gradio", requirements, flags=re.M)  # Spaces adds gradio at sdk_version
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements


TORCH = ("torch", "functorch", "triton", "nvidia", "cuda")  # torch, torchvision and their CUDA libraries


def test_space_installs_from_requirements_and_serves_generate(tmp_path):
    """About a minute and a half, most of it installing Gradio and the rest into the fresh environment."""
    h = header()
    env_dir, space = tmp_path / "env", tmp_path / "space"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    lend_packages(python, env_dir / "lent-torch", lambda name: name.startswith(TORCH))
    requirements = tmp_path / "requirements.txt"
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    requirements.write_text("\n".join(line for line in lines if not line.startswith("--extra-index-url")))
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "GRADIO"))}
    spaces_gradio = f"gradio[oauth,mcp]=={h['sdk_version']}"
    install = [str(python), "-m", "pip", "install", "-q", "-r", str(requirements), spaces_gradio]
    done = subprocess.run(install, env=clean_env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]

    space.mkdir()
    repository_files(space)
    where = subprocess.run(
        [str(python), "-c", "import importlib.util; print(importlib.util.find_spec('digitgen'))"],
        cwd=tmp_path, env=clean_env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.strip() == "None"  # not installed: the app must import it from its folder
    torch_file = subprocess.run(
        [str(python), "-c", "import torch; print(torch.__file__)"], env=clean_env, capture_output=True, text=True
    ).stdout  # pip took the lent torch for the pinned one instead of unpacking a second copy
    assert torch_file.startswith(str(env_dir / "lent-torch")), torch_file

    port = free_port()
    server_env = {
        **clean_env,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "HF_HUB_OFFLINE": "1",
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([str(python), "app.py"], cwd=space, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            try:
                client = Client(url, verbose=False)
                break
            except Exception:
                time.sleep(1)
        else:
            pytest.fail(f"the Space did not start:\n{(tmp_path / 'server.log').read_text()[-3000:]}")
        result = client.predict(7, 42, 0, api_name="/generate")
        served = np.stack([np.asarray(Image.open(item["image"])) for item in result])
        assert np.array_equal(served, generate(7, 42))  # the same digits as the library here
        with urllib.request.urlopen(f"{url}gradio_api/mcp/") as mcp:  # the MCP server is up too (its landing page)
            assert mcp.status == 200 and "MCP" in mcp.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
