"""The training step captured as one CUDA graph (``--cuda-graph``) against the eager step, on a GPU.

1. Same results: the CPU recipe's networks (fp32) trained 24 steps on the same batches eagerly,
   eagerly again (cuDNN's own run-to-run difference, the yardstick) and captured; then the learning
   rates set to 0 by ``set_learning_rate``, which a captured step must read: one more replay must
   leave every weight as it was.
2. Speed: ``digitgen.train``'s epoch loop (batches, EMA and schedule included), eager and captured
   taking turns, at batch 64, 128 and 256 (bf16 where native).
3. What one eager step costs the GPU: kernels launched and their summed time (torch.profiler), and
   the multiply-adds of the step (FlopCounterMode): the inputs of a slower GPU's estimate.

Run on a GPU: ``python benchmarks/cuda_step.py``; writes ``benchmarks/results/cuda_step.json``.
"""

from __future__ import annotations

import statistics

import torch
from common import report
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode
from train_speed import digitgen_timer, interleaved, row

from digitgen.cuda_graph import set_learning_rate
from digitgen.train import TrainConfig, make_step, new_run

CUDA = torch.device("cuda")
NETWORKS = {"recipe": "cpu", "compile": False}  # the CPU recipe's networks and schedule, uncompiled
MODES = ("eager", "graph")


def batches(n: int, batch: int = 64) -> list[tuple[torch.Tensor, ...]]:
    """``n`` fixed (images, digits, noise) batches on the GPU."""
    gen = torch.Generator().manual_seed(0)
    digits = torch.arange(batch) % 10
    return [
        tuple(
            t.to(CUDA)
            for t in (
                torch.rand(batch, 1, 28, 28, generator=gen) * 2 - 1,
                digits,
                torch.randn(batch, 64, generator=gen),
            )
        )
        for _ in range(n)
    ]


def weights(run) -> list[torch.Tensor]:
    return [*run.G.parameters(), *run.D.parameters()]


def gap(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    return max((p - q).abs().max().item() for p, q in zip(a, b, strict=True))


def trained(cuda_graph: bool, inputs: list[tuple[torch.Tensor, ...]]):
    run = new_run(TrainConfig(amp=False, cuda_graph=cuda_graph, **NETWORKS), CUDA)
    step = make_step(run, CUDA)
    losses = torch.stack([step(*batch, False).clone() for batch in inputs])
    return run, step, losses


def same_results(steps: int = 24) -> dict[str, object]:
    inputs = batches(steps + 1)
    eager, _, eager_losses = trained(False, inputs[:steps])
    again, _, again_losses = trained(False, inputs[:steps])
    graph, step, graph_losses = trained(True, inputs[:steps])

    for opt in (graph.opt_g, graph.opt_d):
        set_learning_rate(opt, 0.0)
    before = [p.clone() for p in weights(graph)]
    step(*inputs[steps], False)
    return {
        "steps": steps,
        "loss_gap_eager_vs_eager": (again_losses - eager_losses).abs().max().item(),
        "loss_gap_graph_vs_eager": (graph_losses - eager_losses).abs().max().item(),
        "weight_gap_eager_vs_eager": gap(weights(again), weights(eager)),
        "weight_gap_graph_vs_eager": gap(weights(graph), weights(eager)),
        "weights_moved_by_a_replay_at_rate_0": gap(weights(graph), before),
        "graph_losses_first_last": [graph_losses[0].tolist(), graph_losses[-1].tolist()],
    }


def speed(steps: int = 150) -> dict[str, object]:
    results: dict[str, object] = {}
    for batch in (64, 128, 256):
        timers = {name: digitgen_timer("conv", batch, CUDA, cuda_graph=name == "graph", **NETWORKS) for name in MODES}
        rounds = interleaved(timers, steps, rounds=2)
        results[f"batch_{batch}"] = {
            name: {**row(statistics.median(s), batch), "ms_per_step": round(1e3 * statistics.median(s), 2)}
            for name, s in rounds.items()
        }
    return results


def step_cost(batch: int = 64) -> dict[str, object]:
    results: dict[str, object] = {}
    inputs = batches(8, batch)
    for amp in (False, True):
        run = new_run(TrainConfig(amp=amp, cuda_graph=False, **NETWORKS), CUDA)
        step = make_step(run, CUDA)
        for b in inputs[:3]:
            step(*b, False)
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for b in inputs[3:]:
                step(*b, False)
            torch.cuda.synchronize()
        kernels = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
        n = len(inputs) - 3
        results["bf16" if amp else "fp32"] = {
            "kernels_per_step": round(len(kernels) / n, 1),
            "gpu_kernel_ms_per_step": round(sum(e.device_time for e in kernels) / n / 1e3, 3),
        }
        if not amp:
            with FlopCounterMode(display=False) as flops:
                step(*inputs[0], False)
            results["flop_per_step"] = flops.get_total_flops()
    return {"batch": batch, **results}


def main() -> None:
    results: dict[str, object] = {}
    for name, part in (("same_results", same_results), ("speed", speed), ("step_cost", step_cost)):
        try:
            results[name] = part()
        except Exception as error:  # recorded in the JSON, which is the report: one call on a lent GPU
            results[name] = {"error": f"{type(error).__name__}: {error}"[:800]}
    report("cuda_step", results)


if __name__ == "__main__":
    main()
