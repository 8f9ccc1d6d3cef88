"""MNIST's centring as the generator's last step: real digits pass unchanged, moved ones come back."""

import json

import pytest
import torch

from digitgen.data import load_mnist, to_unit_range
from digitgen.hub import SHIPPED, load_folder
from digitgen.layout import CENTRE, centre, centre_of_mass
from digitgen.models import Generator


@pytest.fixture(scope="module")
def digits(data_root) -> torch.Tensor:
    return to_unit_range(load_mnist(data_root, train=False).images[:1000])


def unchanged(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a == b).flatten(1).all(1).float().mean().item()


def test_real_digits_are_already_centred(digits):
    """MNIST's own digits are left exactly as they are: the centring is MNIST's."""
    assert unchanged(centre(digits), digits) >= 0.995


def test_a_shifted_digit_comes_back_exactly(digits):
    shifted = torch.roll(digits, shifts=(2, -2), dims=(2, 3))
    # the digits whose ink did not wrap round the edge: rows 0-1 and the last two columns stay black
    intact = (shifted[:, :, :2] == -1).flatten(1).all(1) & (shifted[:, :, :, -2:] == -1).flatten(1).all(1)
    assert intact.float().mean() > 0.5
    assert unchanged(centre(shifted[intact]), digits[intact]) >= 0.99


def test_generated_digits_land_within_half_a_pixel_of_the_centre():
    G = load_folder(SHIPPED)
    z, y = torch.randn(500, G.z_dim, generator=torch.Generator().manual_seed(0)), torch.arange(500) % 10
    with torch.no_grad():
        G.centred = False
        raw_row, raw_col = centre_of_mass((G(z, y)[:, 0] + 1) / 2)
        G.centred = True
        row, col = centre_of_mass((G(z, y)[:, 0] + 1) / 2)
    assert ((raw_row - CENTRE).abs() > 0.5).float().mean() > 0.1  # the network alone places them roughly
    # within half a pixel, but for the faint ink a shift can push past the edge
    assert (row - CENTRE).abs().max() <= 0.51 and (col - CENTRE).abs().max() <= 0.51


def test_centring_passes_gradients_and_leaves_blank_images_blank():
    x = (torch.rand(4, 1, 28, 28) * 2 - 1).requires_grad_()
    (grad,) = torch.autograd.grad(centre(x).sum(), x)
    assert grad.abs().sum() > 0
    blank = -torch.ones(2, 1, 28, 28)
    assert torch.equal(centre(blank), blank)


def test_configs_without_the_field_load_uncentred(tmp_path):
    Generator(width=16, width_28=8, centred=True).eval().save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["centred"] is True and "MNIST's centring" in (tmp_path / "README.md").read_text()
    del config["centred"]  # a config written before the field
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert Generator.from_pretrained(tmp_path).centred is False
