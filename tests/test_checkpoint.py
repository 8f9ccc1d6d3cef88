"""The training checkpoint format on its own: what goes in comes back, and a write is atomic."""

from __future__ import annotations

import pytest
import torch
from safetensors import safe_open
from torch import nn

from digitgen.checkpoint import load_checkpoint, save_checkpoint


def trained_pair(seed: int) -> tuple[nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.5, 0.999))
    for _ in range(3):
        opt.zero_grad()
        net(torch.randn(8, 4)).square().mean().backward()
        opt.step()
    return net, opt


def test_round_trip_restores_networks_optimizers_and_metadata(tmp_path):
    net, opt = trained_pair(0)
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, {"N": net}, {"optN": opt}, {"epoch": "3", "note": "hello"})
    assert not list(tmp_path.glob("*.tmp"))  # written aside, then moved into place

    fresh_net, fresh_opt = trained_pair(1)  # other weights, other optimizer state
    meta = load_checkpoint(path, {"N": fresh_net}, {"optN": fresh_opt}, torch.device("cpu"))
    assert meta["epoch"] == "3" and meta["note"] == "hello"
    for a, b in zip(net.state_dict().values(), fresh_net.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # BatchNorm's running statistics too
    saved, loaded = opt.state_dict(), fresh_opt.state_dict()
    assert saved["param_groups"] == loaded["param_groups"]
    for pid, state in saved["state"].items():
        for key, value in state.items():
            assert torch.equal(value, loaded["state"][pid][key])


def test_a_new_checkpoint_replaces_the_old_one_whole(tmp_path):
    net, opt = trained_pair(0)
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, {"N": net}, {"optN": opt}, {"epoch": "1"})
    save_checkpoint(path, {"N": net}, {"optN": opt}, {"epoch": "2"})
    with safe_open(str(path), framework="pt") as f:
        assert f.metadata()["epoch"] == "2" and {"N.0.weight", "optN.0.exp_avg"} <= set(f.keys())


def test_learning_rates_held_as_tensors_are_saved_as_numbers_and_each_machine_keeps_its_own_optimizer(tmp_path):
    """A GPU run's captured step keeps Adam capturable with tensor rates (digitgen.cuda_graph); its
    checkpoint must still resume on a machine without one, and one that has one must get tensors back."""
    torch.manual_seed(0)
    net = nn.Linear(4, 3)
    captured = torch.optim.Adam(net.parameters(), lr=torch.tensor(3e-4), fused=True, capturable=True)
    net(torch.randn(8, 4)).square().mean().backward()
    captured.step()
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, {"N": net}, {"optN": captured}, {})

    plain = torch.optim.Adam(nn.Linear(4, 3).parameters(), lr=1e-3)
    load_checkpoint(path, {"N": nn.Linear(4, 3)}, {"optN": plain}, torch.device("cpu"))
    group = plain.param_groups[0]
    assert group["lr"] == pytest.approx(3e-4) and not isinstance(group["lr"], torch.Tensor)
    assert group["capturable"] is False and group["fused"] is None  # this machine's choices, not the file's

    again = torch.optim.Adam(nn.Linear(4, 3).parameters(), lr=torch.tensor(1.0), fused=True, capturable=True)
    load_checkpoint(path, {"N": nn.Linear(4, 3)}, {"optN": again}, torch.device("cpu"))
    rate = again.param_groups[0]["lr"]
    assert isinstance(rate, torch.Tensor) and rate.item() == pytest.approx(3e-4)
    assert torch.equal(again.state_dict()["state"][0]["exp_avg"], captured.state_dict()["state"][0]["exp_avg"])
