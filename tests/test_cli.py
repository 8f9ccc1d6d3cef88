"""The ``digitgen`` command, run as a user runs it: the installed console script in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE
from PIL import Image

from digitgen import generate
from digitgen.cli import main
from digitgen.handwriting import write_number
from digitgen.sample import morph_digits

DIGITGEN = str(Path(sys.executable).parent / "digitgen")  # what `pip install` put beside the interpreter


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}  # a Hub id never reaches the network from the tests
    return subprocess.run([DIGITGEN, *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


def test_help_lists_every_command_and_hands_the_rest_to_their_modules(capsys):
    done = run("--help")
    assert done.returncode == 0
    for command in ("generate", "write", "morph", "dataset", "train", "evaluate", "encoder", "shape"):
        assert command in done.stdout
    # The subcommands' own help, through the same entry point in this process, under the command's one name
    for command, option in (
        ("dataset", "--per-digit"),
        ("train", "--epochs"),
        ("evaluate", "--cas"),
        ("encoder", "--model"),
        ("shape", "--samples"),
    ):
        with pytest.raises(SystemExit) as stopped:
            main([command, "--help"])
        shown = capsys.readouterr().out
        assert stopped.value.code == 0 and option in shown and shown.startswith(f"usage: digitgen {command} ")


def test_the_command_starts_without_what_only_reading_mnist_or_training_needs():
    """torchvision and the forwarded modules (scipy.stats, training) cost seconds before any answer."""
    heavy = ("torchvision", "scipy.stats", "digitgen.train")
    probe = f"import sys, digitgen.cli; print([m for m in {heavy} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr


def test_generate_writes_the_librarys_digits(tmp_path):
    done = run("generate", "7", "--seed", "42", "-o", str(tmp_path / "seven.png"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["written"] == [str(tmp_path / "seven.png")]
    strip = np.asarray(Image.open(tmp_path / "seven.png"))
    assert strip.shape == (32, 152)  # five 28-pixel digits with 2-pixel gaps
    assert np.array_equal(strip[2:30, 2:30], generate(7, 42)[0])
    each = run("generate", "3", "-n", "2", "--each", "--scale", "2", "-o", str(tmp_path / "three.png"))
    assert each.returncode == 0, each.stderr
    assert np.asarray(Image.open(tmp_path / "three_2.png")).shape == (56, 56)


def test_write_a_number(tmp_path):
    assert run("write", "2026", "--seed", "11", "-o", str(tmp_path / "year.png")).returncode == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "year.png")), write_number("2026", 11, n=1)[0])


def test_shape_controls_and_a_digit_morph(tmp_path):
    bold = run("generate", "4", "--seed", "9", "--thickness", "1", "--slant", "-0.5", "-o", str(tmp_path / "b.png"))
    assert bold.returncode == 0, bold.stderr
    strip = np.asarray(Image.open(tmp_path / "b.png"))
    np.testing.assert_array_equal(strip[2:30, 2:30], generate(4, 9, thickness=1, slant=-0.5)[0])  # says where
    assert run("morph", "3", "8", "--seed", "5", "--frames", "6", "-o", str(tmp_path / "m.png")).returncode == 0
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "m.png"))[2:30, 2:30], morph_digits(3, 8, 5, 6)[0])
    assert run("morph", "3", "8", "-o", str(tmp_path / "m.gif")).returncode == 0
    assert Image.open(tmp_path / "m.gif").n_frames == 18  # ten frames, there and back


def test_dataset_through_the_command(tmp_path):
    done = run("dataset", "--per-digit", "3", "--split", "test", "--format", "npz", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    with np.load(tmp_path / "test.npz") as npz:
        assert npz["images"].shape == (30, 28, 28)


@pytest.mark.parametrize(
    "args, message",
    [
        (["generate", "11", "-o", "x.png"], "digit must be a whole number from 0 to 9, got 11"),
        (["generate", "7", "--seed", "-1", "-o", "x.png"], "seed must be a whole number"),
        (["generate", "7", "-o", "x.jpg"], "the output must be a .png file"),
        (["write", "20a6", "-o", "x.png"], "type up to 32 digits"),
        (["generate", "7", "--thickness", "3", "-o", "x.png"], "thickness must be a number from -1 to 1"),
        (["write", "12", "--slant", "nan", "-o", "x.png"], "slant must be a number from -1 to 1"),
        (["morph", "3", "8", "-o", "x.jpg"], "the output must be a .png or .gif file"),
        (["dataset", "--per-digit", "0", "--out", "d"], "per_digit must be a whole number from 1"),
        (["train", "--data", "nowhere", "--out", "r"], "no MNIST found at nowhere/MNIST/raw"),
        (["train", "--data", str(SAMPLE), "--out", "r", "--emphasis-from", "someone/none"], "the Hub did not give it"),
        (["train", "--data", str(SAMPLE), "--out", "r", "--emphasis-from", "./none"], "model folder not found: none"),
    ],
)
def test_errors_are_one_line_and_exit_status_2(tmp_path, args, message):
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
