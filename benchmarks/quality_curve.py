"""Quality against training minutes, one line per run, from training runs' logs.

``digitgen.train`` measures its EMA generator every ``--eval-every`` epochs with the meter
(``--eval-n`` samples per digit, ``digitgen.evaluate.Meter``) and logs the figures, the targets
still unmet and the cumulative training seconds (evaluations not counted) in ``OUT/history.json``.
This script reads one or more runs, prints the curves as JSON with the minutes each run took to
first meet every target, and draws ``docs/quality_curve.png`` (accuracy, FID, precision and recall
against minutes on a log axis; the label names each run's machine and sample size). ``--keep``
also keeps the curves already recorded in ``benchmarks/results/quality_curve.json`` for runs not
given (their logs may be gone: runs on another machine, or from an earlier release).
Run: ``python benchmarks/quality_curve.py --keep runs/NAME ...``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import RESULTS, report

from digitgen.evaluate import TARGETS
from digitgen.train import first_all_met

DOCS = Path(__file__).resolve().parents[1] / "docs"


def curve(run: Path) -> dict[str, object]:
    history = [h for h in json.loads((run / "history.json").read_text()) if "accuracy" in h]
    training = json.loads((run / "model" / "config.json").read_text())["info"]["training"]
    met = first_all_met(history)  # None also for logs written before the targets, which have no "unmet"
    return {
        "run": str(run),
        "command": training["command"],
        "device": training["device"],
        "eval_n": training["config"]["eval_n"],
        "minutes_to_targets": round(met["train_seconds"] / 60, 1) if met else None,
        "points": [
            {k: h[k] for k in ("epoch", "train_seconds", "accuracy", "fid", "precision", "recall", "unmet") if k in h}
            for h in history
        ],
    }


def plot(curves: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = {
        "accuracy": TARGETS["accuracy"],
        "fid": None,
        "precision": TARGETS["precision"],
        "recall": TARGETS["recall"],
    }
    fig, axes = plt.subplots(1, len(panels), figsize=(16, 4.4))
    for c in curves:
        minutes = [p["train_seconds"] / 60 for p in c["points"]]
        n = c.get("eval_n", 200)  # curves recorded before the field were evaluated at 200 per digit
        label = f"{Path(c['run']).name} ({c['device']}, {n} per digit)"
        style = "-" if n >= 1000 else "--"
        for ax, figure in zip(axes, panels, strict=True):
            ax.plot(minutes, [p[figure] for p in c["points"]], style, marker="o", ms=3, label=label)
    # log time: a GPU run's minutes and a 2-core CPU's on one axis; dashed: the release targets
    for ax, (figure, target) in zip(axes, panels.items(), strict=True):
        ax.set(xlabel="training minutes", ylabel=figure, xscale="log")
        if figure == "fid":
            ax.set_yscale("log")
        if target is not None:
            ax.axhline(target, ls="--", c="gray", lw=0.8)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(0.9, 1)
    axes[0].legend(fontsize=6)
    fig.suptitle(
        "dashed: 200 samples per digit, which reads FID higher and recall lower than the meter's 1,000 (solid); "
        "compare lines of one style",
        fontsize=8,
    )
    fig.tight_layout()
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--keep", action="store_true", help="keep the recorded curves of runs not given")
    p.add_argument("--forget", nargs="*", default=[], help="recorded runs to leave out of the figure and JSON")
    a = p.parse_args()
    curves = [curve(r) for r in a.runs]
    if a.keep and (RESULTS / "quality_curve.json").exists():
        skip = {c["run"] for c in curves} | set(a.forget)
        recorded = json.loads((RESULTS / "quality_curve.json").read_text())["curves"]
        curves = [c for c in recorded if c["run"] not in skip] + curves
    plot(curves, DOCS / "quality_curve.png")
    report("quality_curve", {"curves": curves, "plot": "docs/quality_curve.png"})


if __name__ == "__main__":
    main()
