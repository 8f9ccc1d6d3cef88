"""The model card: Markdown made from a generator's config (architecture, provenance, figures).

Every ``save_pretrained`` folder carries one, so a model pushed to the Hub documents itself.
"""

from __future__ import annotations

import json
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

FIGURES = [
    ("accuracy", "classifier reads the asked digit"),
    ("confidence", "mean probability of the asked digit"),
    ("fid", "Fréchet distance to MNIST test (classifier features, not Inception)"),
    ("cfid", "mean per-digit Fréchet distance"),
    ("precision", "samples that look real (k-NN manifold, k=3)"),
    ("recall", "real variety the samples cover"),
    ("diversity", "mean feature distance within a digit"),
    ("cas", "train-on-synthetic: a classifier trained only on these digits, tested on MNIST test"),
]
FLOOR_OF = {"cas": "cas_real"}  # figures whose real-data floor is stored under another name

ARCH_TEXT = {
    "conv": "a small DCGAN-style generator with class-conditional BatchNorm{stage}, trained against a "
    "convolutional discriminator that is told the digit and sees a same-digit minibatch-stddev feature",
    "mlp": "the original fully-connected cGAN (100-d noise + label embedding, 256→512→1024→784)",
}


def repository_url() -> str:
    """pyproject.toml's ``Repository`` URL: from the installed package, else from the checkout (a Space)."""
    try:
        urls = metadata.metadata("digitgen").get_all("Project-URL") or []
        return next(url.split(", ", 1)[1] for url in urls if url.startswith("Repository, "))
    except (metadata.PackageNotFoundError, StopIteration):
        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        return tomllib.loads(pyproject.read_text())["project"]["urls"]["Repository"]


def architecture(config: dict[str, Any]) -> str:
    # both fields always present: Generator.config fills in 0 and False for older configs
    stage = config["width_28"]
    stage_text = f" and a {stage}-channel stage at full 28×28 resolution" if stage else ""
    text = ARCH_TEXT.get(config["arch"], config["arch"]).format(stage=stage_text)
    if config["centred"]:
        text += "; its last step shifts each digit by whole pixels to MNIST's centring (centre of mass at the middle)"
    return text


def summary(config: dict[str, Any]) -> str:
    """One line for the app: which architecture, how it was trained, how good it is."""
    info = config.get("info") or {}
    training, metrics = info.get("training") or {}, info.get("metrics") or {}
    parts = [f"{config['arch']} cGAN, z={config['z_dim']}"]
    if training:
        parts.append(trained_how(training))
    if metrics:
        parts.append(f"classifier accuracy {metrics['accuracy']:.1%}, recall {metrics['recall']:.2f}")
    return " · ".join(parts)


def emphasis(training: dict[str, Any]) -> str:
    """What ``--emphasis-from`` did, in words: which digits were drawn more often, and when."""
    done, config = training["emphasised"], training.get("config", {})
    n = config.get("emphasis_epochs")
    when = f"in the first {n} epoch{'s' if n != 1 else ''}" if n else "in every epoch"
    which = (
        f"outside the nearest-neighbour ball of every digit of their class drawn by weights {done['weights']}"
        if done.get("chosen_by") == "uncovered"  # benchmarks/coverage_emphasis.py's other choice
        else f"that a classifier taught by the digits of weights {done['weights']} alone misreads"
    )
    return f"the {done['digits']} training digits {which}, drawn {config.get('emphasis')}× as often {when}"


def trained_how(training: dict[str, Any]) -> str:
    """``12 epochs in 21 min on x86_64 CPU, 2 threads (float32)``, with whatever parts are known."""
    text = f"{training.get('epochs', '?')} epochs"
    if "train_seconds" in training:
        text += f" in {duration(training['train_seconds'])}"
    text += f" on {training['device']}" if "device" in training else ""
    return text + (f" ({training['compute_dtype']})" if "compute_dtype" in training else "")


def targets_text(targets: dict[str, float], unmet: list[str]) -> str:
    bar = (
        f"accuracy ≥ {targets['accuracy']:.0%}, every digit ≥ {targets['lowest_digit']:.0%}, "
        f"FID ≤ {targets['fid_over_floor']:g} × the floor's, precision ≥ {targets['precision']:g}, "
        f"recall ≥ {targets['recall']:g}"
    )
    return f"Release targets ({bar}): " + ("short of " + ", ".join(unmet) if unmet else "every one met") + "."


def duration(seconds: float) -> str:
    """``33 s`` or ``21.4 min``: a GPU's recipe trains in seconds, a CPU's in minutes."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def first_met(when: dict[str, Any]) -> str:
    epoch, n = when["epoch"], when["n_per_digit"]
    return f"after {duration(when['train_seconds'])} of training (epoch {epoch}; the run's evaluation, {n} per digit)"


def metrics_table(metrics: dict[str, Any]) -> str:
    floor = metrics.get("real_floor") or {}
    rows = ["| figure | this model | real MNIST (floor) | meaning |", "|---|---|---|---|"]
    for key, meaning in FIGURES:
        if key in metrics:
            floor_value = metrics.get(FLOOR_OF[key]) if key in FLOOR_OF else floor.get(key)
            real = f"{floor_value:.4g}" if floor_value is not None else "–"
            rows.append(f"| {key} | {metrics[key]:.4g} | {real} | {meaning} |")
    if "per_digit_accuracy" in metrics:
        digits = " · ".join(f"{d}: {a:.1%}" for d, a in enumerate(metrics["per_digit_accuracy"]))
        rows.append(f"\nPer-digit accuracy: {digits}.")
    return "\n".join(rows)


UNITS = {"area": "px²", "length": "px", "thickness": "px", "slant": "rad", "width": "px", "height": "px"}  # in order


def shape_table(metrics: dict[str, Any]) -> str:
    """Shape fidelity: each attribute's mean Wasserstein-1 distance over the digits, its worst digit, the floor."""
    rows = ["| attribute | this model (worst digit) | real MNIST (floor) |", "|---|---|---|"]
    means = metrics["shape_w1_mean"]
    for name in (n for n in UNITS if n in means):  # Morpho-MNIST's order, also from a config.json's sorted keys
        mean = means[name]
        per_digit = metrics["shape_w1"][name]
        worst = max(range(len(per_digit)), key=per_digit.__getitem__)
        floor = metrics.get("shape_w1_real_mean", {}).get(name)
        real = f"{floor:.3g}" if floor is not None else "–"
        rows.append(f"| {name} ({UNITS.get(name, '')}) | {mean:.3g} ({worst}: {per_digit[worst]:.3g}) | {real} |")
    return "\n".join(rows)


def model_card_text(config: dict[str, Any], repo_id: str | None = None) -> str:
    info = config.get("info") or {}
    training, metrics = info.get("training") or {}, info.get("metrics") or {}
    name = repo_id or "path/to/this/folder"
    lines = [
        "---",
        "library_name: digitgen",
        "license: mit",
        "pipeline_tag: unconditional-image-generation",
        "tags: [gan, conditional-gan, mnist, digitgen, pytorch_model_hub_mixin]",
        "datasets: [mnist]",
        "---",
        "",
        "# digitgen — conditional GAN for handwritten digits",
        "",
        f"A generator of 28×28 MNIST-style digits: {architecture(config)}. "
        f"It takes a digit 0–9 and {config['z_dim']}-d noise. Made with [digitgen]({repository_url()}).",
        "",
        "![samples: one row per digit 0–9](samples.png)",
        "",
        "## Use it",
        "",
        "```python",
        "from digitgen import load_generator, generate",
        "",
        f'generator = load_generator("{name}")  # Hub repo id or local folder',
        "images = generate(7, seed=42, n=5, generator=generator)  # uint8 (5, 28, 28)",
        "```",
        "",
        f"In the digitgen Space, set the variable `DIGITGEN_MODEL={name}` to serve these weights.",
        "",
        "## What rides with the weights",
        "",
        "Two optional folders beside `model.safetensors`, each a `model.safetensors` with a `config.json` "
        "that names the fingerprint of the weights it was made for (digitgen ignores, with a warning, "
        "one made for other weights):",
        "",
        "- `encoder/`: turns a drawn digit into this generator's noise in one pass, so capturing a hand "
        "takes about a tenth of a second instead of a search. Made by `digitgen encoder --model FOLDER` "
        "(this folder, on disk); without it, capture searches.",
        "- `shape/`: the noise directions behind the thickness, slant and width controls (each −1 to 1; "
        "`generate(7, 42, thickness=0.5)`). Made by `digitgen shape --model FOLDER`; without it, the "
        "shape controls are off.",
        "",
    ]
    if metrics:
        lines += [
            "## Quality",
            "",
            f"Measured by `python -m digitgen.evaluate` with {metrics.get('n_per_digit', '?')} samples per digit "
            f"at neatness {metrics.get('neatness', 0.0)} (in the built-in classifier's feature space: "
            "compare only with the real-data floor beside it):",
            "",
            metrics_table(metrics),
            "",
        ]
        if "targets" in metrics:
            lines += [targets_text(metrics["targets"], metrics["unmet"]), ""]
        if "shape_w1_mean" in metrics:
            lines += [
                "Shape fidelity: how far the digits' Morpho-MNIST measurements lie from MNIST test's, per digit, "
                "as Wasserstein-1 distances in the attribute's units (mean over the digits; 0 is a perfect match):",
                "",
                shape_table(metrics),
                "",
            ]
    if training:
        lines += [
            "## Training",
            "",
            f"- command: `{training.get('command') or 'digitgen.train.train(...)'}`",
            f"- {trained_how(training)} (torch {training.get('torch', '?')})",
            *(f"- {key}: {training[key]}" for key in ("kept", "note") if key in training),
            *([f"- emphasis: {emphasis(training)}"] if "emphasised" in training else []),
            *(
                [f"- every release target first met {first_met(training['targets_first_met'])}"]
                if training.get("targets_first_met")
                else []
            ),
            "",
            "```json",
            json.dumps(training.get("config", {}), indent=2),
            "```",
            "",
        ]
    lines += [
        "## Limits",
        "",
        "Trained on MNIST only: centred, white-on-black, 28×28 digits. Not a handwriting forgery tool; "
        "images are synthetic and carry MNIST's biases.",
        "",
    ]
    return "\n".join(lines)


def classifier_card_text(info: dict[str, Any]) -> str:
    """The card of a digit classifier (the meter's in ``weights/classifier``, the guard in ``weights/guard``)."""
    figures = []
    if "mnist_test_accuracy" in info:
        figures.append(f"It reads MNIST test at {info['mnist_test_accuracy'] * 100:.2f} %")
    if "train_seconds" in info:
        figures.append(f"trained in {duration(info['train_seconds'])}")
    return "\n".join(
        [
            "---",
            "library_name: digitgen",
            "license: mit",
            "pipeline_tag: image-classification",
            "tags: [mnist, digitgen, pytorch_model_hub_mixin]",
            "datasets: [mnist]",
            "---",
            "",
            "# digitgen — a digit classifier",
            "",
            "A small CNN (three conv blocks, a 128-d feature layer, ten logits) that reads 28×28 MNIST-style "
            f"digits. Made with [digitgen]({repository_url()}).",
            "",
            "digitgen ships two, trained apart by the same recipe with different seeds:",
            "",
            "- `weights/classifier`, the meter's: it reads and captions generated digits, and its 128-d "
            "features are the space of the meter's FID, precision and recall.",
            "- `weights/guard`: it keeps a hand moved by the shape controls readable as its digit, so the "
            "meter's reading of those hands stays an independent judge.",
            "",
            "## This one",
            "",
            (", ".join(figures) + ".") if figures else "Its figures were not recorded.",
            "",
            "Made by:",
            "",
            "```",
            info.get("command", "python -m digitgen.evaluate train-classifier --data DIR"),
            "```",
            "",
            "(`--data DIR`: MNIST in torchvision's layout; 60,000 training digits with small random shifts, "
            "rotations and scalings, AdamW with a one-cycle schedule.)",
            "",
        ]
    )
