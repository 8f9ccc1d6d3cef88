"""The training checkpoint: networks, optimizers and small metadata in one safetensors file.

Tensors are stored flat under their owner's prefix (``G.fc.weight``, ``optG.3.exp_avg``); the
optimizers' hyperparameters and anything else small ride in the file's string metadata. A write goes
to a temporary file first and replaces the old checkpoint in one step, so a run killed mid-write
still resumes from its last complete epoch. Nothing is pickled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

CHECKPOINT = "checkpoint.safetensors"  # its name in a run's folder
MACHINE_OPTIONS = ("capturable", "fused", "foreach")  # an optimizer's options that depend on the machine


def optimizer_tensors(prefix: str, opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], str]:
    """An optimizer's state as flat tensors, and its parameter groups as JSON."""
    sd = opt.state_dict()
    tensors = {f"{prefix}.{pid}.{k}": v.contiguous() for pid, s in sd["state"].items() for k, v in s.items()}
    groups = [{k: v.item() if isinstance(v, torch.Tensor) else v for k, v in g.items()} for g in sd["param_groups"]]
    return tensors, json.dumps(groups)  # a captured step's learning rates are tensors: saved as numbers


def load_optimizer(opt: torch.optim.Optimizer, prefix: str, tensors: dict[str, torch.Tensor], groups: str) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith(prefix + "."):
            pid, name = key[len(prefix) + 1 :].split(".", 1)
            state.setdefault(int(pid), {})[name] = value
    param_groups = json.loads(groups)
    for group, live in zip(param_groups, opt.param_groups, strict=True):
        if "betas" in group:  # JSON has no tuples: Adam's betas come back as the tuple they were
            group["betas"] = tuple(group["betas"])
        # how the optimizer runs is this machine's choice, not the checkpoint's; a rate kept as a
        # tensor (for a captured step) stays one
        group.update({k: live[k] for k in MACHINE_OPTIONS if k in live})
        if isinstance(live["lr"], torch.Tensor):
            group["lr"] = live["lr"].fill_(group["lr"])
    opt.load_state_dict({"state": state, "param_groups": param_groups})


def unflat(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def save_checkpoint(
    path: Path, networks: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer], meta: dict[str, str]
) -> None:
    """Write ``networks`` and ``optimizers`` (each under its key as prefix) and ``meta``, atomically."""
    tensors = {
        f"{name}.{key}": value.detach().contiguous()
        for name, net in networks.items()
        for key, value in net.state_dict().items()
    }
    meta = dict(meta)
    for name, opt in optimizers.items():
        state, meta[name] = optimizer_tensors(name, opt)
        tensors.update(state)
    save_whole({k: v.cpu() for k, v in tensors.items()}, path, meta)


def save_whole(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    """Write a safetensors file whole or not at all: to a temporary file first, then renamed in one step,
    so a kill mid-write leaves the previous file intact (a run's checkpoint, its emphasis file)."""
    staging = path.with_suffix(".tmp")
    save_file(tensors, str(staging), metadata=metadata)
    os.replace(staging, path)


def checkpoint_metadata(path: Path) -> dict[str, str]:
    """The small strings a checkpoint carries: the run's config, epoch, step, history, optimizer groups."""
    with safe_open(str(path), framework="pt") as f:
        return f.metadata()


def load_checkpoint(
    path: Path, networks: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer], device: torch.device
) -> dict[str, str]:
    """Load what :func:`save_checkpoint` wrote into the same-named networks and optimizers; returns the metadata."""
    meta = checkpoint_metadata(path)
    tensors = load_file(str(path), device=str(device))
    for name, net in networks.items():
        net.load_state_dict(unflat(name, tensors))
    for name, opt in optimizers.items():
        load_optimizer(opt, name, tensors, meta[name])
    return meta
