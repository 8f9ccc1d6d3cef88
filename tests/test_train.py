"""A short training run on real MNIST: checkpoints, resume, and a loadable folder."""

import json

from safetensors import safe_open

from digitgen.hub import load_folder
from digitgen.sample import generate
from digitgen.train import CHECKPOINT, main


def test_train_checkpoint_resume_and_load(tmp_path, data_root):
    out = tmp_path / "run"
    args = ["--data", str(data_root), "--out", str(out), "--subset", "6400", "--width", "24", "--width-28", "8"]
    args += ["--eval-n", "20", "--final-eval-n", "0"]
    main([*args, "--epochs", "1"])  # ~100 steps
    with safe_open(str(out / CHECKPOINT), framework="pt") as f:
        assert f.metadata()["epoch"] == "1"
    main([*args, "--epochs", "2", "--resume"])  # ~100 more
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2] and history[-1]["step"] == 2 * history[0]["step"] > 190
    assert {"fid", "accuracy", "recall"} <= set(history[-1])
    assert (out / "grids" / "epoch_002.png").exists() and (out / "best" / "model.safetensors").exists()
    best = load_folder(out / "best").info["training"]
    assert best["epochs"] in (1, 2) and f"after epoch {best['epochs']}" in (out / "best" / "README.md").read_text()

    generator = load_folder(out / "model")
    assert generator.info["training"]["epochs"] == 2
    assert (generator.width, generator.width_28) == (24, 8)  # the sizes travel in config.json
    assert "python -m digitgen.train" in (out / "model" / "README.md").read_text()
    images = generate(5, 0, generator=generator)
    assert images.shape == (5, 28, 28) and images.std() > 10  # not blank after 200 steps
