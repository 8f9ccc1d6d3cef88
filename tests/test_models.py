import json
import re

import pytest
import torch

from digitgen.card import model_card_text
from digitgen.evaluate import TARGETS
from digitgen.hub import load_folder
from digitgen.models import (
    NUM_CLASSES,
    ConditionalBatchNorm2d,
    Discriminator,
    FastDropout,
    Generator,
    MinibatchStd,
    make_models,
    transposed_conv_by_fold,
)


@pytest.mark.parametrize("arch", ["conv", "mlp"])
def test_shapes_and_range(arch):
    G, D = make_models(arch)
    G.eval()
    z, y = torch.randn(6, G.z_dim), torch.arange(6)
    x = G(z, y)
    assert x.shape == (6, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1
    assert D(x, y).shape == (6,)


def test_the_discriminator_can_be_narrower_than_the_generator():
    G, D = make_models("conv", width_d=32)
    assert G.width == 48 and D.features[0].out_channels == 32 and D.features[2].out_channels == 64
    y = torch.arange(4)
    assert D(G(torch.randn(4, G.z_dim), y), y).shape == (4,)


def test_the_discriminator_can_think_again_at_7x7():
    """``depth_d``: 3 x 3 convolutions at 7 x 7 between the strided ones and the minibatch stddev."""
    _, D = make_models("conv", width_d=32, depth_d=2)
    extra = [m for m in D.features[5:] if isinstance(m, torch.nn.Conv2d)]
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride) for m in extra] == [(64, 64, (3, 3), (1, 1))] * 2
    assert isinstance(D.features[-2], MinibatchStd)
    _, plain = make_models("conv", width_d=32)
    n_params = sum(p.numel() for p in D.parameters()) - sum(p.numel() for p in plain.parameters())
    assert n_params == 2 * (64 * 64 * 9 + 64)
    y = torch.arange(4)
    assert D(torch.randn(4, 1, 28, 28), y).shape == (4,)


def test_mlp_keeps_the_documented_architecture():
    G, D = make_models("mlp")
    sizes = [m.out_features for m in G.mlp if isinstance(m, torch.nn.Linear)]
    assert G.z_dim == 100 and G.embed.embedding_dim == 10 and sizes == [256, 512, 1024, 784]
    d_sizes = [m.out_features for m in D.mlp if isinstance(m, torch.nn.Linear)]
    assert D.mlp[0].in_features == 794 and d_sizes == [512, 256, 1]


@pytest.mark.parametrize("arch, sizes", [("conv", {}), ("conv", {"width_28": 24}), ("mlp", {})])
def test_config_round_trip(tmp_path, arch, sizes):
    G, _ = make_models(arch, **sizes)
    G.info = {"training": {"epochs": 3}}
    G.eval().save_pretrained(tmp_path)
    assert {"model.safetensors", "config.json", "README.md", "samples.png"} <= {p.name for p in tmp_path.iterdir()}
    config = json.loads((tmp_path / "config.json").read_text())
    assert config == G.config
    loaded = Generator.from_pretrained(tmp_path)
    assert loaded.config == G.config and not loaded.training
    z, y = torch.randn(4, G.z_dim), torch.arange(4)
    assert torch.equal(loaded(z, y), G(z, y))


def test_broken_weights_name_the_file(tmp_path):
    G, _ = make_models("conv")
    G.save_pretrained(tmp_path)
    weights = tmp_path / "model.safetensors"
    data = weights.read_bytes()

    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="model.safetensors.*(unreadable|truncated)"):
        load_folder(tmp_path)

    weights.unlink()
    with pytest.raises(ValueError, match="weights file not found: .*model.safetensors"):
        load_folder(tmp_path)

    weights.write_bytes(data)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "width": 16}))
    with pytest.raises(ValueError, match="model.safetensors does not match its config.json"):
        load_folder(tmp_path)

    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="config.json is invalid"):
        load_folder(tmp_path)


def test_discriminator_sees_batch_diversity():
    """The minibatch-stddev feature: identical images and varied images get different scores."""
    torch.manual_seed(0)
    D = Discriminator("conv").eval()
    same = torch.randn(1, 1, 28, 28).repeat(8, 1, 1, 1)
    varied = same.clone()
    varied[1:] = torch.randn(7, 1, 28, 28)
    y = torch.zeros(8, dtype=torch.long)
    assert not torch.allclose(D(same, y)[0], D(varied, y)[0])


def test_configs_without_width_28_load_the_earlier_layout(tmp_path):
    G = Generator(width=16, width_28=0).eval()  # the layout of configs written before width_28 existed
    G.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    del config["width_28"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    loaded = Generator.from_pretrained(tmp_path)
    assert loaded.width_28 == 0 and not hasattr(loaded, "out")
    z, y = torch.randn(4, G.z_dim), torch.arange(4)
    assert torch.equal(loaded(z, y), G(z, y))


def test_fast_paths_match_the_plain_definitions():
    """The networks' shortcuts compute what they replace: conv over image + one-hot maps, std, fold,
    eval-mode conditional BatchNorm."""
    torch.manual_seed(0)
    D = Discriminator("conv").eval()
    torch.nn.init.normal_(D.project.weight, std=0.1)  # trained, not the zero start
    x, y = torch.randn(8, 1, 28, 28), torch.tensor([0, 1, 2, 3, 9, 9, 5, 7])
    maps = torch.nn.functional.one_hot(y, NUM_CLASSES).float()[:, :, None, None].expand(-1, -1, 28, 28)
    features = D.features(torch.cat([x, maps], dim=1))  # features[0] is the 11-channel conv
    projection = torch.stack([f @ D.project.weight[digit] for f, digit in zip(features, y, strict=True)])
    plain = D.head(features).squeeze(1) + projection
    torch.testing.assert_close(D(x, y), plain)

    for channels in (1, 24):  # the last layer without and with a 28 x 28 stage after it
        layer = torch.nn.ConvTranspose2d(48, channels, 4, 2, 1)
        h = torch.randn(8, 48, 14, 14)
        torch.testing.assert_close(transposed_conv_by_fold(h, layer), layer(h))

    h = torch.randn(8, 64, 7, 7)
    std = h.view(2, 4, 64, 7, 7).std(dim=1, unbiased=False).mean(dim=(1, 2, 3)).repeat_interleave(4)
    torch.testing.assert_close(MinibatchStd()(h)[:, -1, 0, 0], std)

    cbn = ConditionalBatchNorm2d(64).eval()
    for tensor in (cbn.bn.running_mean, cbn.bn.running_var, cbn.gain.weight, cbn.bias.weight):
        torch.nn.init.uniform_(tensor, 0.5, 2.0)  # trained statistics and affine, not the fresh ones
    digits = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    plain = cbn.bn(h) * cbn.gain(digits)[:, :, None, None] + cbn.bias(digits)[:, :, None, None]
    torch.testing.assert_close(cbn(h, digits), plain)


def test_fast_dropout_keeps_dropouts_contract():
    drop = FastDropout(0.3)
    x = torch.ones(1000, 100)
    out = drop(x)
    torch.testing.assert_close(out.unique(), torch.tensor([0.0, 1 / 0.7]))
    assert abs((out == 0).float().mean().item() - 0.3) < 0.01  # drops 30 %, expectation kept
    assert torch.equal(drop.eval()(x), x)


def test_saved_config_is_the_current_one_even_when_given_none(tmp_path):
    """push_to_hub calls save_pretrained(config=None): the card and config must carry today's figures."""
    G, _ = make_models("conv")
    G.info = {"metrics": {"accuracy": 0.5}}
    G.save_pretrained(tmp_path, config=None)
    assert json.loads((tmp_path / "config.json").read_text())["info"]["metrics"] == {"accuracy": 0.5}
    card = (tmp_path / "README.md").read_text()
    assert "| accuracy | 0.5 |" in card and "24-channel stage at full 28×28 resolution" in card


def test_the_card_shows_shape_fidelity_beside_the_floor():
    G, _ = make_models("conv")
    per_digit = [0.1] * 9 + [0.4]
    G.info = {"metrics": {"accuracy": 0.99, "shape_w1": {"thickness": per_digit}, "shape_w1_mean": {"thickness": 0.13},
                          "shape_w1_real_mean": {"thickness": 0.06}}}  # fmt: skip
    card = model_card_text(G.config)
    assert "Shape fidelity" in card and "| thickness (px) | 0.13 (9: 0.4) | 0.06 |" in card
    # a config.json written with sorted keys still lists the attributes in Morpho-MNIST's order
    metrics = {"shape_w1": {name: per_digit for name in ("height", "width", "area")}}
    metrics["shape_w1_mean"] = dict.fromkeys(sorted(metrics["shape_w1"]), 0.2)
    G.info = {"metrics": metrics}
    rows = [line.split(" (")[0] for line in model_card_text(G.config).splitlines() if line.endswith("| – |")]
    assert rows == ["| area", "| width", "| height"]


def test_the_card_says_which_release_targets_are_met_and_when():
    G, _ = make_models("conv")
    metrics = {"accuracy": 0.99, "recall": 0.77, "targets": TARGETS, "unmet": ["recall 0.77 < 0.8"]}
    G.info = {"metrics": metrics, "training": {"targets_first_met": None}}
    card = model_card_text(G.config)
    assert "Release targets (accuracy ≥ 99%, every digit ≥ 97%, FID ≤ 1.5 × the floor's" in card
    assert "short of recall 0.77 < 0.8." in card and "first met" not in card
    G.info = {
        "metrics": {**metrics, "unmet": []},
        "training": {"targets_first_met": {"epoch": 9, "train_seconds": 822, "n_per_digit": 1000}},
    }
    card = model_card_text(G.config)
    assert "every one met." in card
    assert "every release target first met after 13.7 min of training (epoch 9; the run's evaluation, 1000 per" in card
    G.info["training"]["targets_first_met"]["train_seconds"] = 13.1  # a GPU's: seconds
    assert "first met after 13 s of training (epoch 9;" in model_card_text(G.config)


def test_the_card_names_each_companion_folder_and_the_command_that_makes_it(capsys):
    from digitgen import encoder, shape
    from digitgen.cli import main as digitgen_command

    G, _ = make_models("conv")
    card = model_card_text(G.config)
    for module in (encoder, shape):
        assert f"`{module.FOLDER}/`" in card
        command = re.search(rf"`digitgen ({module.FOLDER}) --model FOLDER`", card)
        assert command, module.FOLDER
        with pytest.raises(SystemExit) as done:  # a command the digitgen tool really has, taking --model
            digitgen_command([command[1], "--help"])
        assert done.value.code == 0 and "--model" in capsys.readouterr().out
