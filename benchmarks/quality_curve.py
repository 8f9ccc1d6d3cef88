"""Quality against training wall time, per architecture, from training runs' logs.

``digitgen.train`` evaluates its EMA generator every ``--eval-every`` epochs (200 samples per
digit) and logs the figures with the cumulative training seconds in ``OUT/history.json``.
This script reads one or more runs, prints the curves as JSON (with the minutes each run took
to reach 98 % accuracy with recall ≥ 0.7) and draws ``docs/quality_curve.png``. ``--keep``
also keeps the curves already recorded in ``benchmarks/results/quality_curve.json`` for runs not
given (their logs may be gone: runs on another machine, or from an earlier release).
Run: ``python benchmarks/quality_curve.py --keep runs/h100_b256 runs/h100_b256_solo runs/h100_base16``
(the README's figure; its CPU runs were ``runs/final runs/x_hr runs/clean_lrd4 runs/w48 runs/mlp``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import RESULTS, report

from digitgen.train import TrainConfig

DOCS = Path(__file__).resolve().parents[1] / "docs"


def curve(run: Path) -> dict[str, object]:
    history = [h for h in json.loads((run / "history.json").read_text()) if "accuracy" in h]
    config = json.loads((run / "model" / "config.json").read_text())
    reached = next((h for h in history if h["accuracy"] >= 0.98 and h["recall"] >= 0.7), None)
    return {
        "run": str(run),
        "arch": config["arch"],
        "width": config["width"],
        "width_28": config.get("width_28", 0),  # configs written before the field have no 28 x 28 stage
        "device": config["info"]["training"]["device"],
        "lr_d": config["info"]["training"]["config"]["lr_d"],
        "batch_size": config["info"]["training"]["config"]["batch_size"],
        "minutes_to_98pct_with_recall_0.7": round(reached["train_seconds"] / 60, 1) if reached else None,
        "points": [
            {k: h[k] for k in ("epoch", "train_seconds", "accuracy", "fid", "precision", "recall")} for h in history
        ],
    }


def plot(curves: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (acc, fid) = plt.subplots(1, 2, figsize=(12, 4.2))
    for c in curves:
        minutes = [p["train_seconds"] / 60 for p in c["points"]]
        lr_d = "" if c["lr_d"] == TrainConfig.lr_d else f", lr_d {c['lr_d']:g}"
        stage = f", width_28 {c['width_28']}" if c["width_28"] else ""
        batch = c.get("batch_size", TrainConfig.batch_size)  # curves recorded before the field: the default
        batch_text = "" if batch == TrainConfig.batch_size else f", batch {batch}"
        label = f"{Path(c['run']).name}: {c['arch']} width {c['width']}{stage}{lr_d}{batch_text} ({c['device']})"
        acc.plot(minutes, [p["accuracy"] for p in c["points"]], marker="o", label=label)
        fid.plot(minutes, [p["fid"] for p in c["points"]], marker="o", label=label)
    # log time: a GPU run's minutes and a 2-core CPU's hours on one axis
    acc.set(xlabel="training minutes", ylabel="classifier accuracy", ylim=(0, 1), xscale="log")
    fid.set(xlabel="training minutes", ylabel="FID (classifier features)", yscale="log", xscale="log")
    acc.axhline(0.98, ls="--", c="gray", lw=0.8)
    for ax in (acc, fid):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--keep", action="store_true", help="keep the recorded curves of runs not given")
    a = p.parse_args()
    curves = [curve(r) for r in a.runs]
    if a.keep and (RESULTS / "quality_curve.json").exists():
        given = {c["run"] for c in curves}
        recorded = json.loads((RESULTS / "quality_curve.json").read_text())["curves"]
        curves = [c for c in recorded if c["run"] not in given] + curves
    plot(curves, DOCS / "quality_curve.png")
    report("quality_curve", {"curves": curves, "plot": "docs/quality_curve.png"})


if __name__ == "__main__":
    main()
