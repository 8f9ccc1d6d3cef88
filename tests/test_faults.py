"""Faults a user meets: an unreachable Hub, a training run killed mid-epoch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors import safe_open

from digitgen.train import CHECKPOINT

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def test_unreachable_hub_falls_back_to_shipped_weights_and_the_app_says_so():
    code = (
        "import json; from digitgen import load_generator; from digitgen.app import build;"
        "g = load_generator(); page = json.dumps(build(g).config);"
        "print(json.dumps({'source': g.source, 'warning': g.warning, 'shown': 'model-warning' in page}))"
    )
    done = run_python(code, DIGITGEN_MODEL="someone/no-such-digitgen-model", HF_HUB_OFFLINE="1")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["source"].endswith("weights/generator")
    assert "someone/no-such-digitgen-model" in report["warning"] and "shipped weights" in report["warning"]
    assert report["shown"]


def test_broken_local_folder_is_an_error_naming_the_file(tmp_path):
    done = run_python("import digitgen; digitgen.load_generator()", DIGITGEN_MODEL=str(tmp_path))
    assert done.returncode != 0 and f"config file not found: {tmp_path}/config.json" in done.stderr


@pytest.mark.slow  # trains, twice
def test_training_killed_mid_epoch_resumes_without_losing_epochs(tmp_path, data_root):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "digitgen.train", "--data", str(data_root), "--out", str(out), "--subset", "3200"]
    cmd += ["--epochs", "3", "--eval-every", "0", "--final-eval-n", "0", "--no-compile"]  # epochs of seconds
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = json.loads(proc.stdout.readline())  # printed after epoch 1's checkpoint
        assert first["epoch"] == 1
        time.sleep(1.0)  # well inside epoch 2 (50 steps take several seconds here)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    with safe_open(str(out / CHECKPOINT), framework="pt") as f:
        assert f.metadata()["epoch"] == "1"  # the last complete epoch, intact after the kill
    assert not (out / "model").exists()

    done = subprocess.run([*cmd, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "resumed from" in done.stderr
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3] and history[-1]["step"] == 3 * first["step"]
    assert (out / "model" / "model.safetensors").exists()
