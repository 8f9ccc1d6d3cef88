"""The Colab notebook executed for real with tiny parameters (papermill), PUSH=False."""

from __future__ import annotations

import json
from pathlib import Path

import papermill

from digitgen.hub import load_folder
from digitgen.sample import generate

ROOT = Path(__file__).resolve().parents[1]


def test_notebook_trains_evaluates_and_exports(tmp_path, data_root):
    out = tmp_path / "run"
    papermill.execute_notebook(
        str(ROOT / "train_colab.ipynb"),
        str(tmp_path / "executed.ipynb"),
        parameters={
            "EPOCHS": 1,
            "SUBSET": 1280,
            "EVAL_N": 20,
            "DATA_ROOT": str(data_root),
            "OUT_DIR": str(out),
            "GRID_EVERY": 1,
            "HUB_REPO_ID": "someone/digitgen-test",
            "PUSH": False,
        },
        cwd=str(ROOT),
        kernel_name="python3",
        progress_bar=False,
    )
    export = out / "export"
    assert {"model.safetensors", "config.json", "README.md", "samples.png"} <= {p.name for p in export.iterdir()}
    card = (export / "README.md").read_text()
    assert "## Quality" in card and "| accuracy |" in card and "someone/digitgen-test" in card
    config = json.loads((export / "config.json").read_text())
    assert config["info"]["metrics"]["n_per_digit"] == 20
    assert config["info"]["training"]["config"]["batch_size"] == 64  # BATCH_SIZE None: the CPU recipe
    images = generate(4, 1, generator=load_folder(export))
    assert images.shape == (5, 28, 28) and images.std() > 5
