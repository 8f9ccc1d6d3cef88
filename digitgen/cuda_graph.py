"""A training step as one CUDA graph: the GPU runs the whole step from one launch.

At these sizes a GPU step is launch-bound: a few hundred small kernels, each queued by Python in
about as long as the GPU takes to run it. Captured once, the step replays with no Python between
its kernels. What a captured step needs, and ``digitgen.train`` gives it:

- the same shapes every step (full batches only) and inputs copied into fixed buffers;
- no reads back to the host inside the step, and no choices made on values;
- optimizers built ``capturable``, with their learning rates as tensors (``set_learning_rate``
  fills them), since a float is baked into the graph at capture;
- parameter gradients set to None before capture, so that the captured backward writes them
  afresh each replay instead of adding to them (the step's own ``zero_grad`` does it);
- a few eager steps first, on a side stream, so that cuDNN has chosen its kernels and the
  optimizers their state before anything is captured.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

WARMUP = 3  # eager steps before the capture (PyTorch's CUDA graph notes use a few)


def graphed(step: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """``step(*tensors)`` for CUDA tensors of fixed shapes, run eagerly ``WARMUP`` times, then
    captured and replayed; returns the step's output (a tensor the next call overwrites)."""
    calls = 0
    graph: torch.cuda.CUDAGraph | None = None
    inputs: list[torch.Tensor] = []
    output = torch.empty(0)

    def run(*tensors: torch.Tensor) -> torch.Tensor:
        nonlocal calls, graph, inputs, output
        if calls < WARMUP:
            calls += 1
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                result = step(*tensors)
            torch.cuda.current_stream().wait_stream(side)
            return result
        if graph is None:
            inputs = [t.clone() for t in tensors]
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):  # records the kernels without running them
                output = step(*inputs)
        else:
            for buffer, t in zip(inputs, tensors, strict=True):
                buffer.copy_(t)
        graph.replay()
        return output

    return run


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Each group's rate to ``lr``: in place where it is a tensor (a captured step reads it there)."""
    for group in optimizer.param_groups:
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(lr)
        else:
            group["lr"] = lr
