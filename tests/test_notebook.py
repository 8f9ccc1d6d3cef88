"""The Colab notebook executed for real (papermill), as on a fresh Colab runtime, with tiny parameters.

A fresh runtime has torch and friends preinstalled but not digitgen, and starts in an empty folder.
The test builds that: a new Python environment that sees this one's packages except digitgen (Colab's
preinstalled ones), a kernel in it, an empty working folder, and REPO_URL pointing at a git
repository made from this checkout's files. So the install cell really clones and installs, and the
training, meter and export cells then run on the installed package. PUSH stays False.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import venv
from pathlib import Path

import papermill
import pytest
from conftest import ROOT, lend_packages
from test_space import repository_files

from digitgen.card import repository_url
from digitgen.encoder import load_encoder
from digitgen.hub import load_folder, load_generator
from digitgen.sample import generate
from digitgen.style import fingerprint

pytestmark = pytest.mark.slow  # installs the package and runs the notebook

NOTEBOOK = ROOT / "train_colab.ipynb"


def preinstalled_on_colab(name: str) -> bool:
    """What Colab has preinstalled: this environment's packages, all but digitgen."""
    return not name.startswith(("digitgen", "__editable__"))


def fresh_runtime(tmp_path: Path, monkeypatch) -> Path:
    """A Python environment with the preinstalled packages and a Jupyter kernel "fresh-runtime" in it."""
    env = tmp_path / "runtime"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    site = lend_packages(python, tmp_path / "preinstalled", preinstalled_on_colab)
    kernel = tmp_path / "jupyter" / "kernels" / "fresh-runtime"
    kernel.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (kernel / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "fresh", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    return site


def local_repository(dest: Path) -> str:
    """A git repository of this checkout's files (committed or not), as a URL pip can clone."""
    dest.mkdir()
    repository_files(dest)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run([*git, *args], cwd=dest, check=True, capture_output=True)
    return f"file://{dest}"


def test_one_repository_url_for_install_badge_and_card():
    url = repository_url()
    source = NOTEBOOK.read_text()
    assert f'REPO_URL = \\"{url}\\"' in source
    assert re.search(
        rf"colab\.research\.google\.com/github/{url.removeprefix('https://github.com/')}/blob/main/", source
    )
    assert url in (ROOT / "digitgen" / "weights" / "generator" / "README.md").read_text()


def test_notebook_installs_trains_evaluates_and_exports(tmp_path, data_root, monkeypatch):
    site = fresh_runtime(tmp_path, monkeypatch)
    workdir, out = tmp_path / "content", tmp_path / "run"
    workdir.mkdir()
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(executed),
        parameters={
            "REPO_URL": local_repository(tmp_path / "repo"),
            "EPOCHS": 1,
            "SUBSET": 1280,
            "COMPILE": False,  # as on Colab's GPU, whose recipe does not compile (test_train compiles a run)
            "GUIDE": 0.25,  # the shipped weights' guide: its classifier trains on the subset first
            "EVAL_N": 20,
            "ENCODER_STEPS": 3,
            "SHAPE_SAMPLES": 60,
            "SHAPE_HANDS": 8,
            "DATA_ROOT": str(data_root),
            "OUT_DIR": str(out),
            "GRID_EVERY": 1,
            "HUB_REPO_ID": "someone/digitgen-test",
            "PUSH": False,
        },
        cwd=str(workdir),
        kernel_name="fresh-runtime",
        progress_bar=False,
    )
    shipped = site / "digitgen" / "weights" / "generator"
    assert (shipped / "model.safetensors").is_file() and (shipped / "encoder" / "model.safetensors").is_file()
    assert (shipped / "shape" / "model.safetensors").is_file()
    assert (site / "digitgen" / "app" / "style.css").is_file()  # installed with the package's own files
    assert not (site / "torch").exists()  # the preinstalled torch was left alone
    assert f"from {site}/digitgen/__init__.py" in executed.read_text()
    assert sys.prefix not in str(site)
    script = tmp_path / "runtime" / "bin" / "digitgen"  # the console script, from the fresh install
    done = subprocess.run([script, "generate", "4", "-o", tmp_path / "four.png"], capture_output=True, text=True)
    assert done.returncode == 0 and (tmp_path / "four.png").stat().st_size > 100, done.stderr

    export = out / "export"
    assert {"model.safetensors", "config.json", "README.md", "samples.png"} <= {p.name for p in export.iterdir()}
    card = (export / "README.md").read_text()
    assert "## Quality" in card and "| accuracy |" in card and "someone/digitgen-test" in card
    assert "| thickness (px) |" in card  # shape fidelity, beside the real floor
    config = json.loads((export / "config.json").read_text())
    assert config["info"]["metrics"]["n_per_digit"] == 20
    training = config["info"]["training"]["config"]
    assert (training["recipe"], training["batch_size"]) == ("cpu", 64)  # BATCH_SIZE None: the machine's recipe
    assert (training["guide"], training["emphasis_from"], training["compile"]) == (0.25, None, False)  # they reach it
    assert "release targets still unmet: [" in executed.read_text()  # one epoch of 1,280 digits: far from them
    images = generate(4, 1, generator=load_folder(export))
    assert images.shape == (5, 28, 28) and images.std() > 5
    assert (export / "shape" / "model.safetensors").is_file()
    assert generate(4, 1, generator=load_generator(export), thickness=1).shape == (5, 28, 28)  # its own directions
    exported = load_generator(export)
    assert load_encoder(exported).generator == fingerprint(exported).hex()  # the encoder of these weights
