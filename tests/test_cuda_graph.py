"""The captured step's bookkeeping, on a machine without a GPU: CUDA's stream and graph calls are
stood in for, so what is checked is the order of things: eager warm-up steps on the tensors given,
one capture on fixed buffers, then each step's tensors copied into those buffers and the graph
replayed. That the replayed kernels train like eager ones was measured on an H200
(``benchmarks/cuda_step.py``, docs/experiments.md)."""

from __future__ import annotations

import contextlib

import torch

from digitgen import cuda_graph


class FakeStream:
    def wait_stream(self, other: FakeStream) -> None:
        pass


class FakeGraph:
    """Counts captures and replays; CUDA would record the step's kernels and rerun them."""

    def __init__(self) -> None:
        self.replays = 0

    def replay(self) -> None:
        self.replays += 1


def test_a_graphed_step_warms_up_eagerly_then_captures_once_and_replays_on_its_buffers(monkeypatch):
    graphs: list[FakeGraph] = []
    monkeypatch.setattr(torch.cuda, "Stream", FakeStream)
    monkeypatch.setattr(torch.cuda, "current_stream", FakeStream)
    monkeypatch.setattr(torch.cuda, "stream", lambda s: contextlib.nullcontext())
    monkeypatch.setattr(torch.cuda, "CUDAGraph", lambda: graphs.append(FakeGraph()) or graphs[-1])
    monkeypatch.setattr(torch.cuda, "graph", lambda g: contextlib.nullcontext())
    seen: list[torch.Tensor] = []

    def step(x: torch.Tensor) -> torch.Tensor:
        seen.append(x)
        return x * 2

    run = cuda_graph.graphed(step)
    batches = [torch.full((3,), float(i)) for i in range(6)]
    for i in range(cuda_graph.WARMUP):
        assert torch.equal(run(batches[i]), batches[i] * 2) and seen[-1] is batches[i]  # eager, as given
    assert graphs == []

    captured = run(batches[3])
    buffer = seen[-1]
    assert len(graphs) == 1 and graphs[0].replays == 1  # captured, then run once for this step
    assert buffer is not batches[3] and torch.equal(buffer, batches[3])  # a clone: a fixed address

    for i in (4, 5):
        assert run(batches[i]) is captured and torch.equal(buffer, batches[i])  # copied in, replayed
    assert len(seen) == cuda_graph.WARMUP + 1 and len(graphs) == 1 and graphs[0].replays == 3
