"""A short training run on real MNIST digits: checkpoints, resume, and a loadable folder."""

import functools
import json
import re

import numpy as np
import pytest
import torch
import torch._inductor.config
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

import digitgen.train
from digitgen.classifier import DigitClassifier
from digitgen.cuda_graph import set_learning_rate
from digitgen.data import grouped_permutation, load_mnist
from digitgen.evaluate import Meter, misread_digits, unmet_targets
from digitgen.hub import SHIPPED, load_folder
from digitgen.sample import generate
from digitgen.style import fingerprint
from digitgen.train import (
    CHECKPOINT,
    RECIPES,
    TrainConfig,
    autocast_dtype,
    can_compile,
    keep_emphasised,
    learning_rate_scale,
    main,
    make_step,
    new_run,
    parse_args,
    with_recipe,
)


@pytest.mark.slow  # trains
def test_train_checkpoint_resume_and_load(tmp_path, data_root, capsys):
    out = tmp_path / "run"
    args = ["--data", str(data_root), "--out", str(out), "--subset", "2000", "--batch-size", "32"]
    args += ["--width", "24", "--width-28", "8", "--eval-n", "20", "--final-eval-n", "0"]
    main([*args, "--epochs", "1"])  # ~60 steps
    compiled = can_compile(torch.device("cpu"))  # the CPU recipe compiles where it can, and says so first
    assert ("compiling the networks in the first step" in capsys.readouterr().err) is compiled
    with safe_open(str(out / CHECKPOINT), framework="pt") as f:
        assert f.metadata()["epoch"] == "1"
    with pytest.raises(ValueError, match=r"networks of another shape \(depth_d 2 there, 0 here\): resume with the"):
        main([*args, "--epochs", "2", "--depth-d", "0", "--resume"])
    # a checkpoint whose config predates the read-back option still gets the sentence, not a TypeError
    original = (out / CHECKPOINT).read_bytes()
    with safe_open(str(out / CHECKPOINT), framework="pt") as f:
        names, meta = f.keys(), f.metadata()
        tensors = {name: f.get_tensor(name) for name in names}
    older = {k: v for k, v in json.loads(meta["config"]).items() if k != "read_noise"}
    save_file(tensors, str(out / CHECKPOINT), metadata={**meta, "config": json.dumps(older)})
    with pytest.raises(ValueError, match=r"shape \(depth_d 2 there, 0 here; noise_head False there, True here\)"):
        main([*args, "--epochs", "2", "--depth-d", "0", "--resume"])
    (out / CHECKPOINT).write_bytes(original)
    main([*args, "--epochs", "2", "--resume"])  # ~60 more
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2] and history[-1]["step"] == 2 * history[0]["step"] > 120
    assert {"fid", "accuracy", "recall", "lowest_digit", "fid_floor"} <= set(history[-1])
    assert any(phrase.startswith("recall") for phrase in history[-1]["unmet"])  # 120 small steps: far from it
    assert (out / "grids" / "epoch_002.png").exists() and (out / "best" / "model.safetensors").exists()
    best = load_folder(out / "best").info["training"]
    assert best["epochs"] in (1, 2) and f"after epoch {best['epochs']}" in (out / "best" / "README.md").read_text()

    generator = load_folder(out / "model")
    assert generator.info["training"]["epochs"] == 2
    assert generator.info["training"]["targets_first_met"] is None
    assert generator.info["training"]["config"]["recipe"] == "cpu"  # chosen by the machine
    assert generator.info["training"]["compute_dtype"] == "float32"  # CPU: no autocast
    assert generator.info["training"]["config"]["compile"] is compiled  # what ran
    assert "(float32)" in (out / "model" / "README.md").read_text()
    assert (generator.width, generator.width_28) == (24, 8)  # the sizes travel in config.json
    assert generator.centred  # the sampling generator centres its digits like MNIST (the default)
    assert "python -m digitgen.train" in (out / "model" / "README.md").read_text()
    images = generate(5, 0, generator=generator)
    assert images.shape == (5, 28, 28) and images.std() > 10  # not blank after 120 steps


@pytest.mark.slow  # trains a classifier, then the generator against it
def test_a_guided_run_trains_its_classifier_and_says_so_in_its_card(tmp_path, data_root, capsys):
    args = ["--data", str(data_root), "--subset", "640", "--batch-size", "32", "--epochs", "1", "--width", "8"]
    args += ["--width-28", "4", "--eval-every", "0", "--final-eval-n", "0", "--no-compile"]
    main([*args, "--out", str(tmp_path / "plain")])
    main([*args, "--out", str(tmp_path / "guided"), "--guide", "0.5"])
    assert "classifier epoch 2/2" in capsys.readouterr().err
    guided = load_folder(tmp_path / "guided" / "model")
    assert guided.info["training"]["config"]["guide"] == 0.5
    assert '"guide": 0.5' in (tmp_path / "guided" / "model" / "README.md").read_text()
    plain = load_folder(tmp_path / "plain" / "model")
    assert not np.array_equal(generate(3, 1, generator=guided), generate(3, 1, generator=plain))  # it moved G


@pytest.mark.slow  # trains
def test_the_final_figures_reuse_the_last_epochs_measurement_of_the_same_generator(tmp_path, data_root, monkeypatch):
    calls, measure = [], Meter.measure
    monkeypatch.setattr(Meter, "measure", lambda self, *a, **k: calls.append(1) or measure(self, *a, **k))
    args = ["--data", str(data_root), "--out", str(tmp_path), "--subset", "640", "--batch-size", "32"]
    args += ["--width", "8", "--width-28", "4", "--eval-n", "20", "--no-compile"]
    main([*args, "--epochs", "2", "--final-eval-n", "20"])
    last = json.loads((tmp_path / "history.json").read_text())[-1]
    metrics = load_folder(tmp_path / "model").info["metrics"]
    assert len(calls) == 2 and metrics["n_per_digit"] == 20  # one per epoch, none again at the end
    assert [metrics[k] for k in ("fid", "recall", "accuracy")] == [last[k] for k in ("fid", "recall", "accuracy")]
    assert metrics["seconds"] > 0 and "seconds" not in last

    main([*args, "--epochs", "3", "--final-eval-n", "30", "--resume"])  # more samples than the epochs read
    assert len(calls) == 4 and load_folder(tmp_path / "model").info["metrics"]["n_per_digit"] == 30


def test_repeats_draw_chosen_digits_more_often_in_an_epoch_of_the_same_length_and_mix():
    labels = torch.arange(10).repeat_interleave(400)
    plain = grouped_permutation(labels, 4, torch.Generator().manual_seed(0))
    ones = torch.ones(len(labels), dtype=torch.long)
    assert torch.equal(grouped_permutation(labels, 4, torch.Generator().manual_seed(0), ones), plain)
    chosen = torch.zeros(len(labels), dtype=torch.bool)
    chosen[::40] = True  # 10 of each digit's 400
    drawn = torch.zeros(len(labels))
    for seed in range(20):
        order = grouped_permutation(labels, 4, torch.Generator().manual_seed(seed), 1 + 4 * chosen.long())
        assert len(order) == len(plain) and len(order.unique()) < len(order)  # some drawn twice in an epoch
        assert torch.equal(labels[order].bincount(), labels[plain].bincount())  # MNIST's share of each digit
        groups = labels[order].view(-1, 4)
        assert (groups == groups[:, :1]).all()  # still same-digit groups
        drawn += order.bincount(minlength=len(labels))
    assert 4.5 < drawn[chosen].mean() / drawn[~chosen].mean() < 5.5  # five times as often


@pytest.mark.slow  # trains a small classifier on the shipped weights' digits, then a small generator
def test_emphasis_draws_the_digits_another_generator_does_not_teach_more_often(
    tmp_path, data_root, capsys, monkeypatch
):
    small = functools.partial(misread_digits, per_digit=500, epochs=2)  # the CAS's classifier, smaller
    monkeypatch.setattr(digitgen.train, "misread_digits", small)
    drawn = []  # what each epoch's order was asked to repeat
    order = digitgen.train.grouped_permutation
    monkeypatch.setattr(digitgen.train, "grouped_permutation", lambda *a: drawn.append(a[3]) or order(*a))
    args = ["--data", str(data_root), "--subset", "640", "--batch-size", "32", "--epochs", "2", "--width", "8"]
    args += ["--width-28", "4", "--eval-every", "0", "--final-eval-n", "0", "--no-compile"]
    main([*args, "--out", str(tmp_path / "run"), "--emphasis-from", "shipped", "--emphasis-epochs", "1"])
    said = capsys.readouterr().err
    assert "emphasis: finding the digits that the weights shipped with digitgen do not teach" in said
    emphasised = int(re.search(r"emphasis: (\d+) training digits drawn 5x as often", said)[1])
    assert 0 < emphasised < 640 / 2
    assert len(drawn) == 2 and drawn[1] is None  # the second epoch: MNIST's own proportions
    assert drawn[0].tolist().count(5) == emphasised and drawn[0].tolist().count(1) == 640 - emphasised
    generator = load_folder(tmp_path / "run" / "model")
    config = generator.info["training"]["config"]
    assert (config["emphasis_from"], config["emphasis"], config["emphasis_epochs"]) == ("shipped", 5, 1)
    shipped = fingerprint(load_folder(SHIPPED)).hex()  # which weights "shipped" was, for after a release
    record = {"weights": shipped, "digits": emphasised, "chosen_by": "misread"}
    assert generator.info["training"]["emphasised"] == record
    card = (tmp_path / "run" / "model" / "README.md").read_text()
    assert f"the {emphasised} training digits that a classifier taught by the digits of weights {shipped}" in card
    assert "alone misreads, drawn 5× as often in the first 1 epoch\n" in card

    # --resume finds the digits in the run's folder instead of training the classifier again
    more = [*args[:7], "3", *args[8:], "--emphasis-from", "shipped", "--emphasis-epochs", "1", "--resume"]
    main([*more, "--out", str(tmp_path / "run")])
    said = capsys.readouterr().err
    assert f"emphasis: the digits found before, in {tmp_path / 'run' / 'emphasis.safetensors'}" in said
    assert "finding the digits" not in said and f"emphasis: {emphasised} training digits drawn 5x" in said
    # digits chosen another way beforehand (benchmarks/coverage_emphasis.py) are the ones drawn, and named
    data, chosen = load_mnist(str(data_root), train=True).subset(640), torch.arange(640) < 12
    keep_emphasised(tmp_path / "chosen", data, chosen, shipped, "uncovered")
    drawn.clear()
    main([*args, "--out", str(tmp_path / "chosen"), "--emphasis-from", "shipped"])
    assert "found before" in capsys.readouterr().err and drawn[0].tolist().count(5) == 12
    card = (tmp_path / "chosen" / "model" / "README.md").read_text()
    near = "the 12 training digits outside the nearest-neighbour ball of every digit of their class drawn by weights"
    assert f"{near} {shipped}, drawn 5× as often in every epoch\n" in card
    # found again, not reused: a file for other weights, for other digits, or cut short by a kill
    monkeypatch.setattr(digitgen.train, "misread_digits", lambda data, _: torch.zeros(len(data), dtype=torch.bool))
    keep_emphasised(tmp_path / "weights", data, chosen, "00000000", "uncovered")
    keep_emphasised(tmp_path / "digits", data.subset(320), chosen[:320], shipped, "uncovered")
    keep_emphasised(tmp_path / "cut", data, chosen, shipped, "uncovered")
    cut = tmp_path / "cut" / "emphasis.safetensors"
    cut.write_bytes(cut.read_bytes()[:100])
    for folder in ("weights", "digits", "cut"):
        main([*args, "--out", str(tmp_path / folder), "--emphasis-from", "shipped"])
        assert "emphasis: finding the digits" in capsys.readouterr().err, folder
    with pytest.raises(ValueError, match="model folder not found"):
        main([*args, "--out", str(tmp_path / "x"), "--emphasis-from", str(tmp_path / "no-such-weights")])
    for bad in (["--emphasis", "0"], ["--emphasis-epochs", "0"]):
        with pytest.raises(SystemExit):
            parse_args(bad)
        assert "--emphasis must be at least 1" in capsys.readouterr().err


def test_r1_steps_add_the_penalty_gradient_to_the_discriminator():
    """On an R1 step D's gradient is its loss's plus exactly ``r1_every · r1/2 · ∇|∇ₓD(real)|²``'s."""
    torch.manual_seed(0)
    real, y, z = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8) % 10, torch.randn(8, 64)

    def d_grads(r1: bool, cfg: TrainConfig) -> list[torch.Tensor]:
        run = new_run(cfg, torch.device("cpu"))  # same seed, same weights each time
        make_step(run, torch.device("cpu"))(real, y, z, r1)
        return [p.grad.clone() for p in run.D.parameters()]

    cfg = TrainConfig(width=16, width_28=8, r1=0.5, r1_every=3, compile=False)
    plain, regularized = d_grads(False, cfg), d_grads(True, cfg)

    run = new_run(cfg, torch.device("cpu"))
    x = real.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(run.D(x, y).sum(), x, create_graph=True)
    penalty = 3 * 0.5 / 2 * grad.square().sum(dim=(1, 2, 3)).mean()
    expected = torch.autograd.grad(penalty, list(run.D.parameters()), allow_unused=True, materialize_grads=True)
    assert penalty > 0 and any(e.abs().max() > 1e-6 for e in expected)
    for p, r, e in zip(plain, regularized, expected, strict=True):
        torch.testing.assert_close(r - p, e, atol=1e-5, rtol=1e-3)


def test_the_noise_read_back_enters_both_players_losses():
    """``--read-noise λ`` (the CPU recipe's 1) adds λ·|z - D's read-back of z from G(z)|² to D's loss
    and to G's: D learns to read the noise, G to keep it readable (both recipes do). ``--read-noise 0``
    and the MLP have none."""
    torch.manual_seed(0)
    real, y, z = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8) % 10, torch.randn(8, 64)
    cpu = torch.device("cpu")
    losses = []
    for weight in (1.0, 3.0):  # the same seed: the same networks, read-back head included
        run = new_run(TrainConfig(width=8, width_28=4, read_noise=weight, compile=False), cpu)
        losses.append(make_step(run, cpu)(real, y, z, False))
    run = new_run(TrainConfig(width=8, width_28=4, compile=False), cpu)
    with torch.no_grad():
        _, read_back = run.D(run.G(z, y), y, with_noise=True)
    error = torch.nn.functional.mse_loss(read_back, z)
    assert error > 0.1
    torch.testing.assert_close(losses[1][0] - losses[0][0], 2 * error)  # D's loss, before its update
    assert losses[1][1] - losses[0][1] > 2 * 0.5 * error  # G's, read by the updated D
    assert new_run(TrainConfig(recipe="gpu", width=8, width_28=4), cpu).D.recover is not None
    assert new_run(TrainConfig(width=8, width_28=4, read_noise=0.0, compile=False), cpu).D.recover is None
    assert new_run(TrainConfig(arch="mlp"), cpu).D.recover is None


def test_the_guide_adds_its_classifiers_cross_entropy_to_gs_loss_alone(capsys):
    """``--guide λ`` adds λ·cross-entropy(C(G(z, y)), y) of a frozen classifier C to G's loss, not D's;
    a step is made with its classifier exactly when the run is guided."""
    torch.manual_seed(0)
    real, y, z = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8) % 10, torch.randn(8, 64)
    cpu, guide = torch.device("cpu"), DigitClassifier(width=4).eval().requires_grad_(False)
    losses = []
    for weight in (1.0, 3.0):  # the same seed: the same networks
        run = new_run(TrainConfig(width=8, width_28=4, guide=weight, compile=False), cpu)
        losses.append(make_step(run, cpu, guide)(real, y, z, False))
    run = new_run(TrainConfig(width=8, width_28=4, compile=False), cpu)
    with torch.no_grad():
        wrong = torch.nn.functional.cross_entropy(guide(run.G(z, y)), y)
    assert wrong > 1  # an untrained classifier: a large term to find
    torch.testing.assert_close(losses[1][0], losses[0][0])  # D's loss: untouched
    torch.testing.assert_close(losses[1][1] - losses[0][1], 2 * wrong)
    with pytest.raises(ValueError, match="guided run"):
        make_step(run, cpu, guide)
    with pytest.raises(ValueError, match="guided run"):
        make_step(new_run(TrainConfig(width=8, width_28=4, guide=1.0, compile=False), cpu), cpu)
    with pytest.raises(SystemExit):
        parse_args(["--guide", "-0.5"])
    assert "--guide must be at least 0" in capsys.readouterr().err
    assert parse_args(["--guide", "0.25"])[0].guide == 0.25


@pytest.mark.slow  # compiles and trains
def test_compiled_step_trains_like_the_eager_one():
    """``--compile`` (the CPU recipe's default) runs D's and G's backward passes and R1's double
    backward, with the eager step's gradients and losses."""
    torch.manual_seed(0)
    real, y, z = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8) % 10, torch.randn(8, 64)
    results = []
    for compile in (False, True):
        run = new_run(TrainConfig(width=8, width_28=4, r1=0.5, compile=compile), torch.device("cpu"))
        step = make_step(run, torch.device("cpu"))
        losses = [step(real, y, z, True)]
        grads = [p.grad.clone() for p in [*run.G.parameters(), *run.D.parameters()]]  # the first step's
        losses += [step(real, y, z, r1) for r1 in (False, True)]
        results.append((torch.stack(losses), grads))
    (eager_losses, eager_grads), (compiled_losses, compiled_grads) = results
    torch.testing.assert_close(compiled_losses[0], eager_losses[0], atol=1e-4, rtol=1e-4)
    # After the first updates: Adam's first steps move a weight by about the learning rate whatever the
    # sign of a near-zero gradient, so rounding there shows in the losses (5e-4 seen on 2 threads)
    torch.testing.assert_close(compiled_losses[1:], eager_losses[1:], atol=1e-3, rtol=1e-3)
    for compiled, eager in zip(compiled_grads, eager_grads, strict=True):
        torch.testing.assert_close(compiled, eager, atol=1e-5, rtol=1e-3)


def test_bf16_only_where_the_gpu_computes_it_natively(monkeypatch):
    """A T4 (7.5) has no bf16 arithmetic and trains in fp32; Ampere (8.0) and later get bf16."""
    cuda = torch.device("cuda")
    for capability, expected in (((7, 5), None), ((8, 0), torch.bfloat16), ((9, 0), torch.bfloat16)):
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None, c=capability: c)
        assert autocast_dtype(cuda) is expected
        assert autocast_dtype(cuda, amp=False) is None
    assert autocast_dtype(torch.device("cpu")) is None


def test_the_recipe_is_chosen_by_the_machine_and_flags_override_it():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")  # a device object needs no GPU
    assert with_recipe(TrainConfig(), cpu).batch_size == RECIPES["cpu"]["batch_size"]
    assert with_recipe(TrainConfig(), cpu).compile and not with_recipe(TrainConfig(), cuda).compile
    assert not with_recipe(parse_args(["--no-compile"])[0], cpu).compile
    assert not with_recipe(TrainConfig(arch="mlp"), cpu).compile  # slower compiled; --compile still asks for it
    assert with_recipe(parse_args(["--arch", "mlp", "--compile"])[0], cpu).compile
    assert (with_recipe(TrainConfig(), cpu).depth_d, with_recipe(TrainConfig(), cpu).read_noise) == (2, 1.0)
    gpu = with_recipe(TrainConfig(), cuda)
    assert gpu.cuda_graph and not gpu.compile and not with_recipe(TrainConfig(), cpu).cuda_graph
    assert not with_recipe(parse_args(["--no-cuda-graph"])[0], cuda).cuda_graph
    assert (gpu.recipe, gpu.epochs, gpu.batch_size) == ("gpu", RECIPES["gpu"]["epochs"], RECIPES["gpu"]["batch_size"])
    cfg, _ = parse_args(["--recipe", "gpu", "--epochs", "3", "--lr-d", "1e-3"])
    mine = with_recipe(cfg, cpu)
    assert (mine.recipe, mine.epochs, mine.lr_d, mine.batch_size) == ("gpu", 3, 1e-3, RECIPES["gpu"]["batch_size"])
    try:
        with_recipe(TrainConfig(recipe="tpu"), cpu)
    except ValueError as e:
        assert "auto, cpu or gpu" in str(e)
    else:
        raise AssertionError("an unknown recipe was accepted")


def test_a_machine_that_cannot_compile_trains_eagerly_and_says_so(monkeypatch, capsys):
    """Without a working C++ compiler the CPU recipe still trains, and the run records eager."""
    torch._dynamo.reset()  # forget kernels compiled by earlier tests
    monkeypatch.setattr(torch._inductor.config.cpp, "cxx", ("/nonexistent/g++",))
    try:
        run = new_run(TrainConfig(width=8, width_28=4), torch.device("cpu"))
    finally:
        torch._dynamo.reset()
    assert run.cfg.recipe == "cpu" and run.cfg.compile is False
    assert "torch.compile cannot build kernels here, so training runs eagerly" in capsys.readouterr().err
    losses = make_step(run, torch.device("cpu"))(torch.zeros(4, 1, 28, 28), torch.arange(4), torch.randn(4, 64), False)
    assert torch.isfinite(losses).all()


def test_a_captured_step_is_asked_for_where_it_cannot_run_and_the_run_says_what_ran(capsys):
    """``--cuda-graph`` needs a GPU and steps that are all alike (no R1); elsewhere the run trains
    eagerly, says so, and records it, and its optimizers keep plain float rates."""
    for options in ({"cuda_graph": True}, {"cuda_graph": True, "r1": 0.5}):
        run = new_run(TrainConfig(width=8, width_28=4, compile=False, **options), torch.device("cpu"))
        assert run.cfg.cuda_graph is False
        assert "--cuda-graph needs a GPU and no --r1" in capsys.readouterr().err
        assert all(isinstance(g["lr"], float) and not g["capturable"] for g in run.opt_d.param_groups)


def test_the_schedule_sets_a_rate_held_as_a_tensor_in_place():
    """A captured step reads its rates from the tensors it was captured with: they must be filled, not replaced."""
    net = nn.Linear(2, 1)
    opt = torch.optim.Adam(net.parameters(), lr=torch.tensor(1e-3), fused=True, capturable=True)
    rate = opt.param_groups[0]["lr"]
    set_learning_rate(opt, 2.5e-4)
    assert opt.param_groups[0]["lr"] is rate and rate.item() == pytest.approx(2.5e-4)
    plain = torch.optim.Adam(net.parameters(), lr=1e-3)
    set_learning_rate(plain, 2.5e-4)
    assert plain.param_groups[0]["lr"] == 2.5e-4


def test_learning_rates_hold_then_fall_along_a_cosine_to_their_floor():
    cfg = TrainConfig(epochs=4, decay_from=0.5, decay_to=0.1)
    scales = [learning_rate_scale(cfg, step, steps_per_epoch=100) for step in range(400)]
    assert scales[:200] == [1.0] * 200
    assert all(a >= b for a, b in zip(scales[200:], scales[201:], strict=False))
    assert abs(scales[300] - 0.55) < 0.01 and abs(scales[399] - 0.1) < 0.001
    assert learning_rate_scale(TrainConfig(epochs=4, decay_from=1.0), 399, 100) == 1.0


def test_the_targets_name_what_a_generator_misses():
    shipped = {
        "accuracy": 0.9911,
        "per_digit_accuracy": [0.997, 0.978],
        "fid": 0.177,
        "precision": 0.803,
        "recall": 0.807,
    }
    assert unmet_targets(shipped, floor_fid=0.167) == []
    collapsed = {**shipped, "recall": 0.41, "per_digit_accuracy": [0.99, 0.95]}
    assert unmet_targets(collapsed, floor_fid=0.167) == ["lowest digit 0.95 < 0.97", "recall 0.41 < 0.8"]
    assert unmet_targets(shipped, floor_fid=0.1) == ["fid 0.177 > 0.15"]
