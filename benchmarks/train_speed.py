"""Training speed, side by side on one machine: seconds per epoch and images/s for

(a) the seed recipe: MLP cGAN, BCE, torchvision ``DataLoader`` with ``ToTensor`` + ``Normalize``,
    batch 128, a fresh generator pass for the G step (as the original README describes it);
(b) ``digitgen.train``'s step with the same MLP (tensors on the device, batches by index, fused
    Adam, real and fake scored in one D pass, no D weight gradients in the G step);
(c) ``digitgen.train``'s step with the default conv architecture.

Each is timed over ``--steps`` steps after a warm-up and scaled to a 60,000-image epoch.
(b) is also reported as a fraction of the 2-core limit given in the issue: the MLP costs about
18.7 MFLOP per image per step and fp32 matmul peaks near 170 GFLOP/s here.
Run: ``python benchmarks/train_speed.py [--steps 150]``.
"""

from __future__ import annotations

import argparse
import itertools
import time

import torch
import torch.nn.functional as F
from common import DATA, report
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from digitgen.data import load_mnist
from digitgen.models import make_models
from digitgen.train import TrainConfig, make_step, new_run, train_epoch

EPOCH = 60_000
MLP_FLOP_PER_IMAGE = 18.7e6
PEAK_FLOPS = 170e9


def seed_recipe(steps: int, batch: int = 128) -> float:
    """Seconds per step of the original loop; returns the mean over ``steps``."""
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    loader = DataLoader(datasets.MNIST(DATA, train=True, transform=tf), batch_size=batch, shuffle=True, drop_last=True)
    torch.manual_seed(0)
    G, D = make_models("mlp")
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ones, zeros = torch.ones(batch), torch.zeros(batch)

    def step(real: torch.Tensor, y: torch.Tensor) -> None:
        fake = G(torch.randn(batch, G.z_dim), y)
        loss_d = F.binary_cross_entropy_with_logits(D(real, y), ones)
        loss_d = loss_d + F.binary_cross_entropy_with_logits(D(fake.detach(), y), zeros)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        fake = G(torch.randn(batch, G.z_dim), y)
        loss_g = F.binary_cross_entropy_with_logits(D(fake, y), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    batches = itertools.cycle(loader)
    for _ in range(10):
        step(*next(batches))
    start = time.perf_counter()
    for _ in range(steps):
        step(*next(batches))  # the DataLoader's per-image transforms count: they are the recipe
    return (time.perf_counter() - start) / steps


def digitgen_recipe(arch: str, steps: int, batch: int) -> float:
    """Seconds per step of ``digitgen.train``'s epoch loop (EMA included), over ``steps``."""
    cfg = TrainConfig(arch=arch, batch_size=batch, log_every=10**9)
    device = torch.device("cpu")
    data = load_mnist(DATA).subset(batch * (steps + 10))
    run = new_run(cfg, device)
    step = make_step(run, device)
    train_epoch(run, data.subset(batch * 10), device, step)  # warm-up
    start = time.perf_counter()
    train_epoch(run, data.subset(batch * steps), device, step)
    return (time.perf_counter() - start) / steps


def row(seconds_per_step: float, batch: int) -> dict[str, float]:
    images_per_s = batch / seconds_per_step
    return {"batch": batch, "images_per_s": round(images_per_s, 1), "s_per_epoch": round(EPOCH / images_per_s, 1)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=150)
    steps = p.parse_args().steps
    a = row(seed_recipe(steps), 128)
    b = row(digitgen_recipe("mlp", steps, 128), 128)
    b["fraction_of_peak"] = round(b["images_per_s"] * MLP_FLOP_PER_IMAGE / PEAK_FLOPS, 3)
    b64 = row(digitgen_recipe("mlp", steps, 64), 64)
    c = row(digitgen_recipe("conv", steps, 64), 64)
    report(
        "train_speed",
        {
            "steps_timed": steps,
            "a_seed_recipe_mlp": a,
            "b_digitgen_mlp": b,
            "b_digitgen_mlp_batch64": b64,
            "c_digitgen_conv_default": c,
            "speedup_b_over_a": round(a["s_per_epoch"] / b["s_per_epoch"], 2),
            "target_speedup": 2.0,
        },
    )


if __name__ == "__main__":
    main()
