"""Training speed, side by side on one machine: seconds per epoch and images/s for

(a) the seed recipe: MLP cGAN, BCE, torchvision ``DataLoader`` with ``ToTensor`` + ``Normalize``,
    batch 128, a fresh generator pass for the G step (as the original README describes it);
(b) ``digitgen.train``'s step with the same MLP (tensors on the device, batches by index, fused
    Adam, real and fake scored in one D pass, no D weight gradients in the G step);
(c) ``digitgen.train``'s step with the default conv architecture, at the batch size of the
    machine's recipe (``digitgen.train.RECIPES``), with the recipe's projected training minutes;
    where the recipe compiles the networks (the CPU's), also the same step uncompiled.

(b) and (c) run as ``digitgen.train`` would on the machine: on a CPU (c) is compiled and the MLP
of (b) is not (compiled, its step ran 0.88x as fast).

Each is timed over ``--steps`` steps after a warm-up and scaled to a 60,000-image epoch; (c) and
its uncompiled twin take turns in three rounds of a third of them each, and report the median.
(b) is also reported as a fraction of the 2-core limit given in the issue: the MLP costs about
18.7 MFLOP per image per step and fp32 matmul peaks near 170 GFLOP/s here.

``--device cuda`` runs the same three on a GPU (the seed recipe's batches moved there, as its
loop did), (b) and (c) as the GPU recipe runs them (each step one CUDA graph), plus options for (c)
one at a time: fp32 against bf16 autocast, ``--compile`` as well, and batch 256; it writes
``train_speed_cuda.json``. ``benchmarks/cuda_step.py`` compares the captured step with the eager one.
Run: ``python benchmarks/train_speed.py [--steps 150] [--device cuda]``.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from common import mnist_root, report
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from digitgen.data import load_mnist
from digitgen.models import make_models
from digitgen.train import RECIPES, TrainConfig, make_step, new_run, train_epoch

EPOCH = 60_000
MLP_FLOP_PER_IMAGE = 18.7e6
PEAK_FLOPS = 170e9


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seed_recipe(steps: int, device: torch.device, batch: int = 128) -> float:
    """Seconds per step of the original loop; returns the mean over ``steps``."""
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    mnist = datasets.MNIST(mnist_root(), train=True, transform=tf)
    loader = DataLoader(mnist, batch_size=batch, shuffle=True, drop_last=True)
    torch.manual_seed(0)
    G, D = (m.to(device) for m in make_models("mlp"))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ones, zeros = torch.ones(batch, device=device), torch.zeros(batch, device=device)

    def step(real: torch.Tensor, y: torch.Tensor) -> None:
        real, y = real.to(device), y.to(device)
        fake = G(torch.randn(batch, G.z_dim, device=device), y)
        loss_d = F.binary_cross_entropy_with_logits(D(real, y), ones)
        loss_d = loss_d + F.binary_cross_entropy_with_logits(D(fake.detach(), y), zeros)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        fake = G(torch.randn(batch, G.z_dim, device=device), y)
        loss_g = F.binary_cross_entropy_with_logits(D(fake, y), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    batches = itertools.cycle(loader)
    for _ in range(10):
        step(*next(batches))
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step(*next(batches))  # the DataLoader's per-image transforms count: they are the recipe
    synchronize(device)
    return (time.perf_counter() - start) / steps


def digitgen_timer(arch: str, batch: int, device: torch.device, **options: bool) -> Callable[[int], float]:
    """A timer of ``digitgen.train``'s epoch loop (EMA included): ``timer(steps)`` runs that many and
    returns the seconds per step. ``options``: TrainConfig's ``amp`` and ``compile``; the warm-up here
    pays for any compilation.
    """
    cfg = TrainConfig(arch=arch, batch_size=batch, log_every=10**9, **options)
    data = load_mnist(mnist_root()).to(device)
    run = new_run(cfg, device)
    step = make_step(run, device)
    train_epoch(run, data.subset(batch * 10), device, step)  # warm-up

    def timer(steps: int) -> float:
        synchronize(device)
        start = time.perf_counter()
        train_epoch(run, data.subset(batch * steps), device, step)
        synchronize(device)
        return (time.perf_counter() - start) / steps

    return timer


def digitgen_recipe(arch: str, steps: int, batch: int, device: torch.device, **options: bool) -> float:
    """Seconds per step of ``digitgen.train``'s epoch loop, over ``steps`` after a warm-up."""
    return digitgen_timer(arch, batch, device, **options)(steps)


def interleaved(timers: dict[str, Callable[[int], float]], steps: int, rounds: int = 3) -> dict[str, list[float]]:
    """Seconds per step of each timer over ``rounds`` rounds of ``steps`` steps, taking turns, so
    that the machine's drift (up to 1.5x within minutes here) falls on all of them alike."""
    seconds: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(rounds):
        for name, timer in timers.items():
            seconds[name].append(timer(steps))
    return seconds


def row(seconds_per_step: float, batch: int) -> dict[str, object]:
    images_per_s = batch / seconds_per_step
    return {"batch": batch, "images_per_s": round(images_per_s, 1), "s_per_epoch": round(EPOCH / images_per_s, 1)}


def gpu_options(steps: int, device: torch.device) -> dict[str, dict[str, object]]:
    """(c) under the GPU path's switches, one at a time from the default (bf16 where native).

    A switch that fails here (``torch.compile`` needs a working compiler toolchain) is reported
    with its error instead of ending the benchmark.
    """
    switches = {"fp32": (64, {"amp": False}), "compile": (64, {"compile": True}), "batch_256": (256, {})}
    results: dict[str, dict[str, object]] = {}
    for name, (batch, options) in switches.items():
        try:
            results[name] = row(digitgen_recipe("conv", steps, batch, device, **options), batch)
        except Exception as error:  # recorded in the JSON, which is the report
            results[name] = {"batch": batch, "error": f"{type(error).__name__}: {error}"[:500]}
    return results


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    args = p.parse_args()
    steps, device = args.steps, torch.device(args.device)
    a = row(seed_recipe(steps, device), 128)
    b = row(digitgen_recipe("mlp", steps, 128, device), 128)
    b64 = row(digitgen_recipe("mlp", steps, 64, device), 64)
    recipe = RECIPES["gpu" if device.type == "cuda" else "cpu"]  # what digitgen.train runs on this machine
    batch = recipe["batch_size"]
    timers = {"recipe": digitgen_timer("conv", batch, device)}
    if recipe["compile"]:  # the same step uncompiled, taking turns with the compiled one
        timers["eager"] = digitgen_timer("conv", batch, device, compile=False)
    rounds = interleaved(timers, max(1, steps // 3))
    c = row(statistics.median(rounds["recipe"]), batch)
    c["recipe_epochs"] = recipe["epochs"]
    c["recipe_minutes"] = round(c["s_per_epoch"] * recipe["epochs"] / 60, 1)  # steps only: no evaluations
    if "eager" in rounds:
        c["eager"] = row(statistics.median(rounds["eager"]), batch)
        c["compiled_over_eager_by_round"] = [
            round(e / r, 2) for r, e in zip(rounds["recipe"], rounds["eager"], strict=True)
        ]
    if device.type == "cpu":  # the limit is the 2-core CPU's
        b["fraction_of_peak"] = round(b["images_per_s"] * MLP_FLOP_PER_IMAGE / PEAK_FLOPS, 3)
    results: dict[str, object] = {
        "steps_timed": steps,
        "a_seed_recipe_mlp": a,
        "b_digitgen_mlp": b,
        "b_digitgen_mlp_batch64": b64,
        "c_digitgen_conv_machine_recipe": c,
        "speedup_b_over_a": round(a["s_per_epoch"] / b["s_per_epoch"], 2),
        "target_speedup": 2.0,
    }
    if device.type == "cuda":
        results["c_conv_gpu_options"] = gpu_options(steps, device)
    report("train_speed" if device.type == "cpu" else f"train_speed_{device.type}", results)


if __name__ == "__main__":
    main()
