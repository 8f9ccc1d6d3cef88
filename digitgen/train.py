"""Training: ``python -m digitgen.train --data DIR --out DIR [--recipe auto|cpu|gpu] [--epochs N]``.

The recipe (epochs, batch size, learning rates and their decay) is the machine's, GPU or CPU,
unless named or overridden option by option. One epoch = one pass over MNIST train in shuffled
batches drawn by index from tensors that live on the training device. Each epoch ends with a
checkpoint (``--resume`` continues from it), a 10 × 10 sample grid, and — every ``--eval-every``
epochs — the quality meter's figures and the release targets still unmet; the best generator by
FID is kept in ``OUT/best``, the last in ``OUT/model``. The sampling generator is an exponential
moving average (EMA) of the trained one.
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import json
import math
import platform
import shlex
import sys
import time
import typing
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from torch import nn
from tqdm.auto import tqdm

from .card import duration
from .checkpoint import CHECKPOINT, checkpoint_metadata, load_checkpoint, save_checkpoint, save_whole
from .classifier import fit_classifier
from .cuda_graph import graphed, set_learning_rate
from .data import DigitSet, grouped_permutation, load_mnist
from .draw import sample_grid
from .evaluate import Meter, evaluate, misread_digits
from .hub import SHIPPED, load_generator, weights_label
from .images import save_png
from .models import ARCH_DEFAULTS, Discriminator, Generator, MinibatchStd, make_models
from .style import fingerprint

EMPHASIS = "emphasis.safetensors"  # in a run's folder: the training digits drawn more often, and why
MISREAD = "misread"  # how --emphasis-from chooses them (a benchmark may write another way's choice)
GROUP = MinibatchStd.group  # same-digit runs in every batch, as wide as the stddev groups

# What each kind of machine trains unless told otherwise (``--recipe auto`` picks by the device).
# A CPU is arithmetic-bound: small batches, the most updates per image, and a narrower discriminator
# (more than half of a step's arithmetic at width 48; at 32 an epoch takes about 0.6x as long) that
# thinks twice more at 7 x 7 and reads the noise back: two runs met the meter's targets after 6 and 10
# epochs and CAS's after 10, where one 7 x 7 convolution left recall at the edge and CAS 0.6-0.7 short.
# torch.compile fuses the generator's BatchNorm and elementwise work into C++ loops around oneDNN's
# convolutions: 1.1-1.25x the images per second on the CPU, for up to 45 s of compiling in the first step.
# A GPU is launch-bound at these sizes (about 500 kernels a step, 18 ms eager on an H200), so it replays
# each step as one CUDA graph (2.1 ms) and trains the same recipe for 16 epochs: about 33 s on an H200,
# every target first met after 13-32 s in three seeds (docs/experiments.md, "The GPU").
RECIPE: dict[str, Any] = {  # what every machine trains
    "batch_size": 64,
    "lr_g": 4e-4,
    "lr_d": 8e-4,
    "decay_from": 0.5,
    "width_d": 32,
    "depth_d": 2,
    "read_noise": 1.0,
}
RECIPES: dict[str, dict[str, Any]] = {  # and what each kind of machine does its own way
    "cpu": {**RECIPE, "epochs": 10, "eval_every": 1, "compile": True, "cuda_graph": False},
    "gpu": {**RECIPE, "epochs": 16, "eval_every": 2, "compile": False, "cuda_graph": True},
}


@dataclass
class TrainConfig:
    data: str = "data"
    out: str = "runs/digitgen"
    recipe: str = "auto"  # "cpu", "gpu" or "auto" (by the device): the defaults of the fields marked R
    arch: str = "conv"
    width: int | None = None  # base channels (conv) or first layer (mlp); None: the arch's default
    z_dim: int | None = None  # noise size; None: the arch's default
    width_28: int | None = None  # conv generator's channels at 28 x 28 (0: none); None: the arch's default
    width_d: int | None = None  # R: the conv discriminator's base width; None: the same as width
    depth_d: int | None = None  # R: the conv discriminator's 3 x 3 convolutions at 7 x 7 (0: none)
    centred: bool = True  # the sampling generator's last step: MNIST's centring (digitgen.layout)
    epochs: int | None = None  # R
    batch_size: int | None = None  # R
    loss: str = "bce"  # "bce" (non-saturating) or "hinge"
    lr_g: float | None = None  # R
    lr_d: float | None = None  # R
    beta1: float = 0.5
    beta2: float = 0.999
    ema_decay: float = 0.999
    decay_from: float | None = None  # R: fraction of the run after which both learning rates fall (1: never)
    decay_to: float = 0.1  # ... along a cosine, to this fraction of themselves at the last step
    read_noise: float | None = None  # R: weight of the conv D's read-back of G's noise in both losses (0: off)
    r1: float = 0.0  # R1 penalty weight on D's gradient at real digits (0: off)
    r1_every: int = 4  # steps between R1 penalties (lazy regularization, weighted up to match)
    guide: float = 0.0  # weight of a frozen classifier's cross-entropy on G's digits in G's loss (0: off)
    emphasis_from: str | None = None  # a generator (folder, Hub id or "shipped"): the real digits that the
    emphasis: int = 5  # CAS's classifier taught by its digits misreads are drawn this many times as often
    emphasis_epochs: int | None = None  # ... in the first N epochs only (None: every epoch)
    seed: int = 0
    device: str = "auto"
    amp: bool = True  # bf16 autocast on GPUs that compute bf16 natively (Ampere and later); ignored elsewhere
    compile: bool | None = None  # R: torch.compile each network (eager where this machine cannot compile)
    cuda_graph: bool | None = None  # R: on a GPU, each step as one CUDA graph (digitgen.cuda_graph; not with --r1)
    subset: int | None = None  # train on the first N images only (quick runs, tests)
    eval_every: int | None = None  # R: epochs between the meter's checks (0: never)
    eval_n: int = 1000  # samples per digit for those checks (1,000: the meter's own, which the targets assume)
    final_eval_n: int = 1000  # samples per digit for the final model's figures (0: skip)
    log_every: int = 50  # steps between loss read-outs (each one syncs with the device)
    download: bool = False


def with_recipe(cfg: TrainConfig, device: torch.device) -> TrainConfig:
    """``cfg`` with its recipe named ("auto" resolved by the device) and its unset fields filled from it."""
    name = ("gpu" if device.type == "cuda" else "cpu") if cfg.recipe == "auto" else cfg.recipe
    if name not in RECIPES:
        raise ValueError(f"recipe must be auto, cpu or gpu, got {cfg.recipe!r}")
    unset = {k: v for k, v in RECIPES[name].items() if getattr(cfg, k) is None}
    if cfg.arch != "conv" and "compile" in unset:  # compiled, the MLP's step ran 0.88x as fast, in turns
        unset["compile"] = False
    return replace(cfg, recipe=name, **unset)


# --- the pieces of one step ----------------------------------------------------------------


def d_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def g_loss(kind: str, fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean() if kind == "hinge" else F.softplus(-fake).mean()


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1 - decay)


def learning_rate_scale(cfg: TrainConfig, step: int, steps_per_epoch: int) -> float:
    """1 until ``decay_from`` of the run, then a cosine down to ``decay_to`` at its last step.

    Constant rates leave a GAN circling its equilibrium at a distance set by the step size; a
    short decay at the end settles it. The scale is a function of the step, so ``--resume`` keeps it.
    """
    total = cfg.epochs * steps_per_epoch
    start = cfg.decay_from * total
    if step < start or total <= start:
        return 1.0
    progress = min(1.0, (step - start) / (total - start))
    return cfg.decay_to + (1 - cfg.decay_to) * (1 + math.cos(math.pi * progress)) / 2


@torch.no_grad()
def recalibrate_batchnorm(generator: Generator, batches: int = 20, batch: int = 500, seed: int = 0) -> None:
    """Re-estimate BatchNorm statistics for (EMA) weights that were never run in train mode."""
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    device = next(generator.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the passes below
    generator.train()
    for _ in range(batches):
        z = torch.randn(batch, generator.z_dim, generator=gen)
        y = torch.randint(0, 10, (batch,), generator=gen)
        generator.uncentred(z.to(device), y.to(device))  # the statistics are the network's; centring has none
    for m in norms:
        m.momentum = 0.1
    generator.eval()


def saved_config(path: Path) -> TrainConfig:
    """The config a checkpoint was written with; options this version of digitgen does not know are dropped."""
    saved = json.loads(checkpoint_metadata(path)["config"])
    names = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in saved.items() if k in names})


@dataclass
class Run:
    """Everything a checkpoint holds: the three networks, two optimizers, and the log."""

    cfg: TrainConfig
    G: Generator
    D: Discriminator
    ema: Generator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    epoch: int = 0  # epochs completed
    step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)  # one entry per finished epoch

    def networks(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.D, "E": self.ema}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"optG": self.opt_g, "optD": self.opt_d}

    def save(self, path: Path) -> None:
        meta = {"config": json.dumps(asdict(self.cfg)), "epoch": str(self.epoch), "step": str(self.step)}
        save_checkpoint(path, self.networks(), self.optimizers(), {**meta, "history": json.dumps(self.history)})

    def load(self, path: Path, device: torch.device) -> None:
        try:
            meta = load_checkpoint(path, self.networks(), self.optimizers(), device)
        except RuntimeError as e:  # load_state_dict: the checkpoint's networks have other layers or sizes
            there, here = network_shape(saved_config(path)), network_shape(self.cfg)
            changed = [f"{k} {there.get(k)} there, {v} here" for k, v in here.items() if there.get(k) != v]
            raise ValueError(
                f"{path} holds networks of another shape ({'; '.join(changed) or 'another version of digitgen'}): "
                "resume with the options the run started with"
            ) from e
        self.epoch, self.step = int(meta["epoch"]), int(meta["step"])
        self.history = json.loads(meta["history"])


def pick_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def autocast_dtype(device: torch.device, amp: bool = True) -> torch.dtype | None:
    """bf16 on GPUs with native bf16 (compute capability 8.0+: A100, L4, H100); else None (fp32).

    A T4 (Colab's free GPU, 7.5) has no bf16 arithmetic, so autocast would only emulate it there;
    these networks are small enough that fp32 is launch-bound anyway (on an H100 at batch 64,
    fp32 steps were even faster than bf16 ones: docs/experiments.md, "The GPU path").
    """
    if not amp or device.type != "cuda" or torch.cuda.get_device_capability(device) < (8, 0):
        return None
    return torch.bfloat16


def machine_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"


def can_compile(device: torch.device) -> bool:
    """Whether ``torch.compile`` builds kernels here: on a CPU it needs a working C++ compiler."""
    try:
        torch.compile(lambda x: x * 2 + 1)(torch.ones(2, device=device))
    except RuntimeError as error:  # dynamo wraps a missing or broken toolchain in BackendCompilerFailed
        print(
            f"torch.compile cannot build kernels here, so training runs eagerly ({str(error).splitlines()[0]})",
            file=sys.stderr,
        )
        return False
    return True


def network_shape(cfg: TrainConfig) -> dict[str, Any]:
    """``make_models``' options for ``cfg`` (recipe applied): all that a checkpoint's networks' shapes depend on."""
    conv = cfg.arch == "conv"  # the MLP's discriminator keeps its own width and depth, and reads no noise
    sizes = {"width": cfg.width, "z_dim": cfg.z_dim, "width_28": cfg.width_28}
    return {
        "arch": cfg.arch,
        "width_d": cfg.width_d if conv else None,
        "depth_d": (cfg.depth_d or 0) if conv else 0,  # unset: a checkpoint from before the option
        "noise_head": conv and (cfg.read_noise or 0) > 0,
        **ARCH_DEFAULTS[cfg.arch],  # resolved, so that an unset size and its default compare equal
        **{k: v for k, v in sizes.items() if v is not None},
    }


def new_run(cfg: TrainConfig, device: torch.device) -> Run:
    cfg = with_recipe(cfg, device)
    if cfg.compile and not can_compile(device):
        cfg = replace(cfg, compile=False)  # the run's config, checkpoint and card say what really ran
    if cfg.cuda_graph and (device.type != "cuda" or cfg.r1 > 0):
        print("--cuda-graph needs a GPU and no --r1 (whose steps differ): training runs without it", file=sys.stderr)
        cfg = replace(cfg, cuda_graph=False)
    torch.manual_seed(cfg.seed)
    G, D = make_models(**network_shape(cfg))
    G, D = G.to(device), D.to(device)
    if device.type == "cpu":  # oneDNN's convolutions run D's step about 1.2x faster channels-last (train_speed.py)
        D = D.to(memory_format=torch.channels_last)
    ema = copy.deepcopy(G).eval().requires_grad_(False)
    # Only the sampling generator centres its digits. Inside the loop the discriminator would
    # spot the shift by its seam: the rows shifted in are pure black, an early G's background not.
    ema.centred = cfg.centred
    # fused: one kernel per step instead of a dozen per tensor (about 5x faster on CPU too); a captured
    # step needs capturable optimizers, with rates as tensors that the schedule fills in place
    opt = {"betas": (cfg.beta1, cfg.beta2), "fused": True, "capturable": cfg.cuda_graph}
    rate = (lambda lr: torch.tensor(lr, device=device)) if cfg.cuda_graph else float
    opt_g = torch.optim.Adam(G.parameters(), lr=rate(cfg.lr_g), **opt)
    opt_d = torch.optim.Adam(D.parameters(), lr=rate(cfg.lr_d), **opt)
    return Run(cfg, G, D, ema, opt_g, opt_d)


# --- the loop ------------------------------------------------------------------------------


def train_epoch(
    run: Run, data: DigitSet, device: torch.device, step_fn, repeats: torch.Tensor | None = None
) -> dict[str, float]:
    cfg = run.cfg
    torch.manual_seed(cfg.seed + 1000 * (run.epoch + 1))  # each epoch's noise and order, also after --resume
    if cfg.emphasis_epochs is not None and run.epoch >= cfg.emphasis_epochs:
        repeats = None
    order = grouped_permutation(data.labels, GROUP, torch.Generator().manual_seed(cfg.seed + run.epoch), repeats)
    order = order.to(device)
    steps = len(order) // cfg.batch_size
    sums = torch.zeros(2, device=device)
    logged = {"loss_d": float("nan"), "loss_g": float("nan")}
    bar = tqdm(range(steps), desc=f"epoch {run.epoch + 1}/{cfg.epochs}", leave=False, mininterval=1.0)
    base = {run.opt_g: cfg.lr_g, run.opt_d: cfg.lr_d}
    for i in bar:
        scale = learning_rate_scale(cfg, run.step, steps)
        for opt, lr in base.items():
            set_learning_rate(opt, lr * scale)
        real, y = data.batch(order[i * cfg.batch_size : (i + 1) * cfg.batch_size])
        z = torch.randn(len(y), run.G.z_dim, device=device)
        sums += step_fn(real, y, z, cfg.r1 > 0 and run.step % cfg.r1_every == 0)
        run.step += 1
        ema_update(run.ema, run.G, min(cfg.ema_decay, (1 + run.step) / (10 + run.step)))
        if (i + 1) % cfg.log_every == 0 or i + 1 == steps:
            n = (i % cfg.log_every) + 1
            ld, lg = (sums / n).tolist()
            logged = {"loss_d": round(ld, 4), "loss_g": round(lg, 4)}
            bar.set_postfix(logged)
            sums.zero_()
    return logged


@dataclass
class Players:
    """What one training step works with: the networks as it calls them (compiled, where asked), their
    eager forms (R1's double backward, and D's gradients switched off during G's update), their
    optimizers and the precision they compute in."""

    cfg: TrainConfig
    G: nn.Module
    D: nn.Module
    fast_g: nn.Module
    fast_d: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    autocast: torch.autocast
    reads: bool  # D reads the noise back (``--read-noise``)
    one_pass: bool  # D has no BatchNorm: real and fake images are scored in one pass
    guide: nn.Module | None  # a frozen classifier that G's digits must also satisfy (``--guide``)


def judge(p: Players, d: nn.Module, fake: torch.Tensor, y: torch.Tensor, z: torch.Tensor) -> tuple[Any, Any]:
    """D's scores for the fakes, and the noise read-back term (0 without one)."""
    if not p.reads:
        return d(fake, y), 0
    fake_score, recovered = d(fake, y, with_noise=True)
    return fake_score, p.cfg.read_noise * F.mse_loss(recovered.float(), z)


def scores(
    p: Players, d: nn.Module, real: torch.Tensor, fake: torch.Tensor, y: torch.Tensor, z: torch.Tensor
) -> tuple[Any, Any, Any]:
    """D's scores for the real digits and the fakes, and the read-back term."""
    if p.one_pass:
        real_score, fake_score = d(torch.cat([real, fake]), torch.cat([y, y])).chunk(2)
        return real_score, fake_score, 0
    return d(real, y), *judge(p, d, fake, y, z)


def train_step(p: Players, real: torch.Tensor, y: torch.Tensor, z: torch.Tensor, r1: bool) -> torch.Tensor:
    """(1) update D on real digits and fakes, (2) update G through the updated D; both losses, on the device.

    On R1 steps D's loss also carries ``r1 / 2 · |∇ₓ D(real)|²`` (Mescheder et al., 2018),
    weighted by ``r1_every`` since it is paid only that often. It keeps D smooth around the real
    digits, a common stabiliser; here it did not raise recall, so it is off by default (docs/experiments.md).

    With ``read_noise`` both losses also carry ``read_noise · |z - D's read-back of z from G(z)|²``
    (InfoGAN's mutual-information term, over the whole noise): D learns to read the noise back and
    G to keep it readable, so no noise direction goes unused. It keeps recall up while precision climbs.

    With ``guide`` G's loss also carries ``guide · cross-entropy(C(G(z, y)), y)`` for a frozen
    classifier C trained on the same real digits first (not the meter's: another seed, 2 epochs). The
    digits read better (the CPU recipe at 0.25: 99.5 % against 99.2 % on the meter, and on an MLP too)
    for 1.2x the epoch's time, a little recall and diversity; they teach a classifier no better
    (docs/experiments.md). Off by default.

    During G's update D's weights need no gradient, so none is computed. The losses stay on the
    device (no host sync).
    """
    cfg = p.cfg
    real = real.detach().requires_grad_(r1)
    with p.autocast:
        fake = p.fast_g(z, y)
        real_score, fake_score, read_back = scores(p, p.D if r1 else p.fast_d, real, fake.detach(), y, z)
        loss_d = d_loss(cfg.loss, real_score, fake_score) + read_back
    penalty = 0
    if r1:
        (grad,) = torch.autograd.grad(real_score.sum(), real, create_graph=True)
        penalty = cfg.r1 / 2 * cfg.r1_every * grad.float().square().sum(dim=(1, 2, 3)).mean()
    p.opt_d.zero_grad(set_to_none=True)
    (loss_d + penalty).backward()
    p.opt_d.step()
    p.D.requires_grad_(False)
    with p.autocast:
        fake_score, read_back = judge(p, p.fast_d, fake, y, z)
        loss_g = g_loss(cfg.loss, fake_score) + read_back
        if p.guide is not None:
            loss_g = loss_g + cfg.guide * F.cross_entropy(p.guide(fake.float()), y)
    p.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    p.opt_g.step()
    p.D.requires_grad_(True)
    return torch.stack([loss_d.detach(), loss_g.detach()]).float()


Step = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, bool], torch.Tensor]  # (real, y, z, r1) -> losses


def make_step(run: Run, device: torch.device, guide: nn.Module | None = None) -> Step:
    """:func:`train_step` for this run on ``device``, as ``step(real, y, z, r1)``.

    ``--compile`` compiles each network, not the step: the step backpropagates twice through the
    same fakes (D's loss, then G's), which one compiled graph cannot, and R1's gradient of a
    gradient runs on D's eager form, since compiled graphs have no double backward.

    ``--cuda-graph`` (the GPU recipe) captures the whole step once as a CUDA graph and replays it
    (``digitgen.cuda_graph``): one launch a step instead of about 500.
    """
    cfg, G, D = run.cfg, run.G, run.D
    dtype = autocast_dtype(device, cfg.amp)
    # a captured step casts the weights afresh each replay: no cache of casts made outside it
    autocast = torch.autocast(device.type, dtype=dtype, enabled=dtype is not None, cache_enabled=not cfg.cuda_graph)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # the step's shapes never change: pick the fastest kernels once
    reads = D.recover is not None
    one_pass = not reads and not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in D.modules())
    fast_g, fast_d = (torch.compile(G), torch.compile(D)) if cfg.compile else (G, D)
    if (cfg.guide > 0) != (guide is not None):
        raise ValueError("a guided run (--guide) steps with its classifier, and only a guided one")
    players = Players(cfg, G, D, fast_g, fast_d, run.opt_g, run.opt_d, autocast, reads, one_pass, guide)
    if not cfg.cuda_graph:
        return functools.partial(train_step, players)
    replay = graphed(functools.partial(train_step, players, r1=False))  # without R1 every step is alike
    return lambda real, y, z, r1: replay(real, y, z)


def first_all_met(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The epoch and training seconds of the first evaluation that met every release target, if any."""
    met = next((h for h in history if h.get("unmet") == []), None)
    return None if met is None else {k: met[k] for k in ("epoch", "train_seconds")}


def provenance(
    cfg: TrainConfig,
    device: torch.device,
    seconds: float,
    argv: list[str] | None,
    epochs: int,
    emphasised: dict[str, Any] | None = None,
) -> dict:
    return {
        "command": "python -m digitgen.train " + shlex.join(argv) if argv is not None else None,
        "config": {k: v for k, v in asdict(cfg).items() if k not in ("data", "out", "download")},
        "device": machine_name(device),
        "compute_dtype": str(autocast_dtype(device, cfg.amp) or torch.float32).removeprefix("torch."),
        "epochs": epochs,
        "train_seconds": round(seconds, 1),
        "torch": torch.__version__,
        **({"emphasised": emphasised} if emphasised else {}),
    }


def guide_classifier(data: DigitSet, seed: int) -> nn.Module:
    """``--guide``'s classifier, frozen, on the data's device: the meter's recipe on the training digits but
    not the meter's own (another seed, 2 epochs). It trains on the CPU, where its augmentation draws: about
    a minute on 2 cores."""
    return (
        fit_classifier(data.to(torch.device("cpu")), epochs=2, seed=seed + 1)
        .to(data.images.device)
        .requires_grad_(False)
    )


def emphasis_teacher(source: str) -> Generator:
    """``--emphasis-from``'s generator ("shipped", a folder or a Hub id), loaded before any work is done."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # falling back to the shipped weights would be a wrong answer here
        teacher = load_generator(SHIPPED if source == "shipped" else source)
    if teacher.warning:
        raise ValueError(f"--emphasis-from {source}: no such folder, and the Hub did not give it")
    return teacher


def emphasised_digits(out: Path, data: DigitSet, teacher: Generator) -> tuple[torch.Tensor, dict[str, Any]]:
    """Which training digits ``teacher``'s digits do not teach (a bool per digit), and what to record of
    it. Found once per run folder and kept in ``OUT/emphasis.safetensors`` beside the checkpoint, so that
    ``--resume`` does not find them again; a file written there before the run (a benchmark that chose
    the digits another way) is used as it is, if it was made for these weights and these digits."""
    path, weights, digits = out / EMPHASIS, fingerprint(teacher).hex(), labels_digest(data)
    kept, missed = {}, None
    try:
        with safe_open(str(path), framework="pt") as f:
            kept, missed = f.metadata(), f.get_tensor("missed").bool()
    except (OSError, SafetensorError):  # none yet, or cut short: found again
        pass
    if (kept.get("weights"), kept.get("digits")) == (weights, digits):
        print(f"emphasis: the digits found before, in {path}", file=sys.stderr)
    else:
        print(f"emphasis: finding the digits that {weights_label(teacher)} do not teach", file=sys.stderr)
        missed, kept = misread_digits(data, teacher), {"chosen_by": MISREAD}
        keep_emphasised(out, data, missed, weights, MISREAD)
    return missed, {"weights": weights, "digits": int(missed.sum()), "chosen_by": kept["chosen_by"]}


def labels_digest(data: DigitSet) -> str:
    """Names the training digits (their labels, in order): an emphasis file is for these digits only."""
    return hashlib.sha256(data.labels.cpu().numpy().tobytes()).hexdigest()[:16]


def keep_emphasised(out: Path, data: DigitSet, missed: torch.Tensor, weights: str, chosen_by: str) -> None:
    """Write ``OUT/emphasis.safetensors``: which of ``data``'s digits are drawn more often, for which
    weights (their fingerprint) and chosen how ("misread", or a benchmark's own word). Written whole or
    not at all, as the checkpoint is."""
    out.mkdir(parents=True, exist_ok=True)
    metadata = {"weights": weights, "digits": labels_digest(data), "chosen_by": chosen_by}
    save_whole({"missed": missed.cpu().to(torch.uint8)}, out / EMPHASIS, metadata)


def emphasis_repeats(cfg: TrainConfig, data: DigitSet, teacher: Generator) -> tuple[torch.Tensor, dict[str, Any]]:
    """How many times as often each training digit is drawn, and what to record of it (the weights'
    fingerprint: "shipped" names other weights after a release). The meter's classifier is taught by
    ``teacher``'s digits alone (the CAS's, 60,000 of them) and the real digits it misreads, the styles
    those digits do not teach, get ``cfg.emphasis``; the rest 1. About two minutes on 2 CPU cores."""
    missed, record = emphasised_digits(Path(cfg.out), data, teacher)
    print(f"emphasis: {int(missed.sum())} training digits drawn {cfg.emphasis}x as often", file=sys.stderr)
    return (1 + (cfg.emphasis - 1) * missed.long()).to(data.labels.device), record


def train(
    cfg: TrainConfig,
    resume: bool = False,
    argv: list[str] | None = None,
    on_epoch: Callable[[dict[str, Any], Generator], None] | None = None,
) -> Path:
    """Train (or continue) a run in ``cfg.out``; returns the final ``save_pretrained`` folder.

    ``on_epoch(entry, ema_generator)`` is called after each epoch's checkpoint (the notebook
    shows a live sample grid with it).
    """
    device = pick_device(cfg.device)
    teacher = emphasis_teacher(cfg.emphasis_from) if cfg.emphasis_from else None
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_mnist(cfg.data, train=True, download=cfg.download).subset(cfg.subset).to(device)
    run = new_run(cfg, device)
    cfg = run.cfg  # the recipe's values filled in
    meter = Meter(cfg.data, cfg.eval_n) if cfg.eval_every else None  # MNIST test's features, read once
    if resume and (out / CHECKPOINT).exists():
        run.load(out / CHECKPOINT, device)
        print(f"resumed from {out / CHECKPOINT} after epoch {run.epoch}", file=sys.stderr)
    repeats, emphasised = emphasis_repeats(cfg, data, teacher) if teacher is not None else (None, None)
    step = make_step(run, device, guide_classifier(data, cfg.seed) if cfg.guide > 0 else None)
    if cfg.compile and run.epoch < cfg.epochs:  # otherwise the first step's wait looks like a hang
        print("compiling the networks in the first step (up to a minute; --no-compile skips it)", file=sys.stderr)
    history = run.history
    best_fid = min((h["fid"] for h in history if "fid" in h), default=float("inf"))
    seconds = history[-1]["train_seconds"] if history else 0.0
    report = None  # the meter's report on the sampling generator as it now stands, if any
    while run.epoch < cfg.epochs:
        report = None
        start = time.perf_counter()
        run.G.train()
        run.D.train()
        losses = train_epoch(run, data, device, step, repeats)
        recalibrate_batchnorm(run.ema)
        seconds += time.perf_counter() - start
        run.epoch += 1
        entry: dict[str, Any] = {"epoch": run.epoch, "step": run.step, "train_seconds": round(seconds, 1), **losses}
        if meter is not None and run.epoch % cfg.eval_every == 0:
            report = evaluate(run.ema, cfg.data, cfg.eval_n, seed=cfg.seed, meter=meter)
            setup = ("n_per_digit", "seed", "neatness", "real_floor", "targets", "seconds")
            entry.update({k: v for k, v in report.items() if k not in setup})
            entry.update(lowest_digit=min(report["per_digit_accuracy"]), fid_floor=report["real_floor"]["fid"])
            if entry["fid"] < best_fid:
                best_fid = entry["fid"]
                kept = {"kept": f"lowest FID of the run's evaluations so far, after epoch {run.epoch}"}
                run.ema.info = {"training": {**provenance(cfg, device, seconds, argv, run.epoch, emphasised), **kept}}
                run.ema.save_pretrained(out / "best")
        history.append(entry)
        if entry.get("unmet") == [] and first_all_met(history)["epoch"] == run.epoch:
            print(f"every target met after {duration(seconds)} of training ({cfg.eval_n} per digit)", file=sys.stderr)
        save_png(sample_grid(run.ema), out / "grids" / f"epoch_{run.epoch:03d}.png")
        run.save(out / CHECKPOINT)
        print(json.dumps(entry), flush=True)
        if on_epoch is not None:
            on_epoch(entry, run.ema)
    final = run.ema
    final.info = {"training": provenance(cfg, device, seconds, argv, run.epoch, emphasised)}
    if cfg.eval_every:
        met = first_all_met(history)
        final.info["training"]["targets_first_met"] = met and {**met, "n_per_digit": cfg.eval_n}
    if cfg.final_eval_n:  # the last epoch's report, when it read as many samples, is this generator's already
        measured = report is not None and report["n_per_digit"] == cfg.final_eval_n
        final.info["metrics"] = (
            report if measured else evaluate(final, cfg.data, cfg.final_eval_n, cfg.seed, meter=meter)
        )
    (out / "history.json").write_text(json.dumps(history, indent=1) + "\n")
    final.save_pretrained(out / "model")
    return out / "model"


def option_type(hint: Any) -> type:
    """What an option's text parses to, from its field's type: ``int | None`` → ``int``."""
    kinds = [kind for kind in typing.get_args(hint) if kind is not type(None)]
    return kinds[0] if kinds else hint


def parse_args(argv: list[str]) -> tuple[TrainConfig, bool]:
    p = argparse.ArgumentParser(prog="digitgen train", description=__doc__.split("\n\n")[0])
    defaults, hints = TrainConfig(), typing.get_type_hints(TrainConfig)
    for f in fields(TrainConfig):
        flag, default, kind = "--" + f.name.replace("_", "-"), getattr(defaults, f.name), option_type(hints[f.name])
        if kind is bool:
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            p.add_argument(flag, type=kind, default=default)
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.safetensors")
    a = vars(p.parse_args(argv))
    resume = a.pop("resume")
    cfg = TrainConfig(**a)
    if cfg.recipe not in ("auto", *RECIPES):
        p.error("--recipe must be auto, cpu or gpu")
    if cfg.loss not in ("bce", "hinge"):
        p.error("--loss must be bce or hinge")
    if cfg.read_noise is not None and cfg.read_noise < 0:
        p.error("--read-noise must be at least 0")
    if cfg.guide < 0:
        p.error("--guide must be at least 0")
    if cfg.r1 < 0 or cfg.r1_every < 1:
        p.error("--r1 must be at least 0 and --r1-every at least 1")
    if cfg.emphasis < 1 or (cfg.emphasis_epochs is not None and cfg.emphasis_epochs < 1):
        p.error("--emphasis must be at least 1 (1: as often as MNIST holds them) and --emphasis-epochs at least 1")
    return cfg, resume


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    cfg, resume = parse_args(argv)
    folder = train(cfg, resume=resume, argv=argv)
    print(f"saved {folder}", file=sys.stderr)


if __name__ == "__main__":
    main()
