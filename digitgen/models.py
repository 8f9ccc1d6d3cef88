"""The conditional GAN: ``Generator(z, digit)`` and ``Discriminator(image, digit)``.

Two architectures, chosen by ``arch``:

* ``"conv"`` (default) — a small DCGAN-style generator with class-conditional BatchNorm and a
  stage at full 28 × 28 resolution before the output (``width_28`` channels; 0 maps 14 × 14
  features straight to pixels), and a convolutional discriminator that sees the image beside
  one-hot label maps, optionally thinks again at 7 × 7 (``depth``: 3 × 3 convolutions there), with a
  per-digit projection at the top and a minibatch-stddev feature over same-digit groups (so it can
  see, and punish, a generator that writes every 7 the same way), and optionally reads the
  generator's noise back from its top features (``z_dim``).
* ``"mlp"`` — the original fully-connected cGAN: 100-d noise + 10-d label embedding,
  256→512→1024→784 with BatchNorm+ReLU and Tanh; D 794→512→256→1 with LeakyReLU+dropout.

The generator carries its configuration (``arch``, ``z_dim``, ``width``, ``width_28``, ``centred``
and free-form provenance ``info``) into ``config.json`` through ``PyTorchModelHubMixin``; weights are
safetensors only.
"""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from huggingface_hub import ModelCard, PyTorchModelHubMixin, hf_hub_download
from safetensors import SafetensorError
from safetensors.torch import load_model
from torch import nn

from .card import model_card_text
from .draw import sample_grid
from .images import save_png
from .layout import IMAGE_SIZE, NUM_CLASSES, centre

WEIGHTS_NAME = "model.safetensors"
SAMPLES_NAME = "samples.png"  # the 10 x 10 grid every saved model carries for its card

# Per-architecture defaults: noise size, base width (conv channels / first MLP layer) and the
# conv generator's channels at 28 x 28 (0: none, also the layout of configs that predate the field).
ARCH_DEFAULTS: dict[str, dict[str, int]] = {
    "conv": {"z_dim": 64, "width": 48, "width_28": 24},
    "mlp": {"z_dim": 100, "width": 256},
}


def check_arch(arch: str) -> str:
    if arch not in ARCH_DEFAULTS:
        raise ValueError(f"arch must be one of {sorted(ARCH_DEFAULTS)}, got {arch!r}")
    return arch


def look_up(table: nn.Embedding, y: torch.Tensor) -> torch.Tensor:
    """Rows of a per-digit ``table`` for digits ``y``: whole digits ``(B,)``, or blends of them ``(B, 10)``
    (weights over the ten digits, as a morph from one digit to another passes through)."""
    return table(y) if not y.is_floating_point() else y @ table.weight


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm whose scale and shift are looked up per digit: the class steers every pixel."""

    def __init__(self, channels: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Embedding(NUM_CLASSES, channels)
        self.bias = nn.Embedding(NUM_CLASSES, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        g, b = look_up(self.gain, y), look_up(self.bias, y)
        if self.training:
            return torch.addcmul(b[:, :, None, None], self.bn(x), g[:, :, None, None])  # b + bn(x)·g
        # eval: the running statistics fold into the per-digit affine, one pass over x instead of two
        scale = g * torch.rsqrt(self.bn.running_var + self.bn.eps)
        shift = b - self.bn.running_mean * scale
        return torch.addcmul(shift[:, :, None, None], x, scale[:, :, None, None])


class Generator(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="digitgen",
    license="mit",
    pipeline_tag="unconditional-image-generation",
    tags=["gan", "conditional-gan", "mnist", "digitgen"],
):
    """``G(z, digit) -> image`` in [-1, 1], shape ``(B, 1, 28, 28)``; ``digit`` may be a blend (see :func:`look_up`).

    ``Generator()`` is the shipped network's shape, centred; sizes left out are the arch's defaults
    (:data:`ARCH_DEFAULTS`). Training draws with an uncentred copy (``train.new_run``).
    """

    # What a config.json written before a field existed meant by leaving it out.
    LEGACY_CONFIG: dict[str, Any] = {"width_28": 0, "centred": False}

    def __init__(
        self,
        arch: str = "conv",
        z_dim: int | None = None,
        width: int | None = None,
        width_28: int | None = None,
        centred: bool = True,
        info: dict | None = None,
    ):
        super().__init__()
        sizes = {"width_28": 0, **ARCH_DEFAULTS[check_arch(arch)]}
        z_dim, width = z_dim or sizes["z_dim"], width or sizes["width"]
        width_28 = sizes["width_28"] if width_28 is None else width_28
        self.arch, self.z_dim, self.width, self.width_28 = arch, z_dim, width, width_28
        self.centred = centred
        self.info: dict[str, Any] = dict(info or {})
        if arch == "conv":
            c = width
            self.embed = nn.Embedding(NUM_CLASSES, 32)
            self.fc = nn.Linear(z_dim + 32, 2 * c * 7 * 7)
            self.bn0 = ConditionalBatchNorm2d(2 * c)
            self.up1 = nn.ConvTranspose2d(2 * c, c, 4, 2, 1)  # 7 -> 14
            self.bn1 = ConditionalBatchNorm2d(c)
            self.up2 = nn.ConvTranspose2d(c, width_28 or 1, 4, 2, 1)  # 14 -> 28
            if width_28:  # strokes are drawn at full resolution, not mapped straight from 14 x 14
                self.bn2 = ConditionalBatchNorm2d(width_28)
                self.out = nn.Conv2d(width_28, 1, 3, 1, 1)
        else:
            self.embed = nn.Embedding(NUM_CLASSES, NUM_CLASSES)
            dims = [z_dim + NUM_CLASSES, width, 2 * width, 4 * width]
            layers: list[nn.Module] = []
            for d_in, d_out in itertools.pairwise(dims):
                layers += [nn.Linear(d_in, d_out), nn.BatchNorm1d(d_out), nn.ReLU(inplace=True)]
            self.mlp = nn.Sequential(*layers, nn.Linear(dims[-1], IMAGE_SIZE * IMAGE_SIZE), nn.Tanh())

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Generator:
        """The network a ``config.json`` describes, written by any version of digitgen."""
        return cls(**{**cls.LEGACY_CONFIG, **config})

    @property
    def config(self) -> dict[str, Any]:
        """What ``config.json`` holds: enough to rebuild the network, plus its provenance."""
        return {
            "arch": self.arch,
            "z_dim": self.z_dim,
            "width": self.width,
            "width_28": self.width_28,
            "centred": self.centred,
            "info": self.info,
        }

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        images = self.uncentred(z, y)
        return centre(images) if self.centred else images

    def uncentred(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The network's own pixels, before MNIST's centring."""
        h = torch.cat([z, look_up(self.embed, y)], dim=1)
        if self.arch == "mlp":
            return self.mlp(h).view(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
        # channels-last: oneDNN's transposed convolution runs about 2x faster on CPU in that layout
        h = self.fc(h).view(-1, 2 * self.width, 7, 7).contiguous(memory_format=torch.channels_last)
        h = torch.relu(self.bn1(self.up1(torch.relu(self.bn0(h, y))), y))
        if self.width_28:  # oneDNN beats fold for the 24-channel up2 and for the 3 x 3 output conv
            return torch.tanh(self.out(torch.relu(self.bn2(self.up2(h), y))))
        return torch.tanh(transposed_conv_by_fold(h, self.up2))  # fold wins for one output channel

    # --- weights I/O: safetensors only, strict, eval mode, errors that name the file ---------

    def save_pretrained(self, save_directory: str | Path, **kwargs: Any) -> str | None:  # type: ignore[override]
        """Write ``model.safetensors``, ``config.json``, a sample grid and a fresh model card."""
        if kwargs.get("config") is None:  # push_to_hub passes config=None: use the current one, not init's
            kwargs["config"] = self.config
        folder = Path(save_directory)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "README.md").unlink(missing_ok=True)  # the card is regenerated from the config
        save_png(sample_grid(self), folder / SAMPLES_NAME)
        return super().save_pretrained(folder, **kwargs)

    def generate_model_card(self, *args: Any, **kwargs: Any) -> ModelCard:  # type: ignore[override]
        return ModelCard(model_card_text(self.config, repo_id=kwargs.get("repo_id")))

    @classmethod
    def _from_pretrained(  # type: ignore[override]
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        map_location: str = "cpu",
        strict: bool = True,
        **model_kwargs: Any,
    ) -> Generator:
        if os.path.isdir(model_id):
            model_file = os.path.join(model_id, WEIGHTS_NAME)
        else:
            model_file = hf_hub_download(
                repo_id=model_id,
                filename=WEIGHTS_NAME,
                revision=revision,
                cache_dir=cache_dir,
                force_download=force_download,
                token=token,
                local_files_only=local_files_only,
            )
        model = cls.from_config(model_kwargs)
        load_safetensors(model, model_file, strict=strict)
        return model.to(map_location).eval()


def transposed_conv_by_fold(x: torch.Tensor, layer: nn.ConvTranspose2d) -> torch.Tensor:
    """``layer(x)`` as one matrix product and a ``fold``: for a layer that writes one channel,
    about 3x faster on CPU than oneDNN's kernel (same weights, same result)."""
    n, c, h, w = x.shape
    (kernel, _), (stride, _), (pad, _) = layer.kernel_size, layer.stride, layer.padding
    out_size = ((h - 1) * stride - 2 * pad + kernel, (w - 1) * stride - 2 * pad + kernel)
    columns = x.permute(0, 2, 3, 1).reshape(n, h * w, c) @ layer.weight.reshape(c, -1)  # (n, hw, out·k·k)
    image = F.fold(columns.transpose(1, 2), out_size, kernel, padding=pad, stride=stride)
    return image + layer.bias[:, None, None]


def load_safetensors(model: nn.Module, model_file: str | Path, strict: bool = True) -> None:
    """Load weights into ``model``; a missing, truncated or mismatched file raises a ValueError naming it."""
    if not os.path.isfile(model_file):
        raise ValueError(f"weights file not found: {model_file}")
    try:
        missing, unexpected = load_model(model, str(model_file), strict=False)
    except (SafetensorError, OSError) as e:
        raise ValueError(f"weights file {model_file} is unreadable or truncated: {e}") from e
    except RuntimeError as e:  # size mismatch against the config
        raise ValueError(f"weights file {model_file} does not match its config.json: {e}") from e
    if strict and (missing or unexpected):
        raise ValueError(
            f"weights file {model_file} does not match its config.json: "
            f"missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}"
        )


class MinibatchStd(nn.Module):
    """Appends the batch's mean feature stddev as a channel: identical fakes become easy to spot."""

    group = 4  # consecutive images form a group; training batches make each group one digit

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        g = math.gcd(self.group, b)
        groups = x.view(-1, g, c, h, w)
        # (x - mean)² by hand: Tensor.std over this small strided dim is ~10x slower on CPU
        var = (groups - groups.mean(dim=1, keepdim=True)).square().mean(dim=1)
        s = (var + 1e-8).sqrt().mean(dim=(1, 2, 3))  # (b/g,); the epsilon keeps the gradient finite
        s = s.repeat_interleave(g).view(b, 1, 1, 1).expand(b, 1, h, w)
        return torch.cat([x, s], dim=1)


class FastDropout(nn.Dropout):
    """``nn.Dropout`` with its mask drawn by thresholding uniform noise: the same distribution,
    but about twice as fast on CPU, where ``bernoulli_`` is the MLP discriminator's slowest op."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.rand_like(x) >= self.p
        return x * keep.to(x.dtype).mul_(1 / (1 - self.p))


class Discriminator(nn.Module):
    """``D(image, digit) -> score``: one real number per image, higher means 'real'."""

    def __init__(self, arch: str = "conv", width: int = 48, depth: int = 0, z_dim: int = 0):
        super().__init__()
        self.arch = check_arch(arch)
        if arch == "conv":
            c = width
            # depth: 3 x 3 convolutions at 7 x 7, where each output sees most of the digit at once
            # (stroke against stroke), so D judges a digit's strokes together (docs/experiments.md)
            rethink = [
                m for _ in range(depth) for m in (nn.Conv2d(2 * c, 2 * c, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True))
            ]
            self.features = nn.Sequential(
                nn.Conv2d(1 + NUM_CLASSES, c, 4, 2, 1),  # image + one-hot label maps, 28 -> 14
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(c, 2 * c, 4, 2, 1),  # 14 -> 7
                nn.BatchNorm2d(2 * c),
                nn.LeakyReLU(0.2, inplace=True),
                *rethink,
                MinibatchStd(),
                nn.Flatten(),
            )
            top = (2 * c + 1) * 7 * 7  # the flattened top features, minibatch-stddev channel included
            self.head = nn.Linear(top, 1)
            # projection (Miyato & Koyama 2018): a per-digit direction in feature space, so the
            # score also asks "is this a good 7?" at the top, not only through the input maps
            self.project = nn.Embedding(NUM_CLASSES, top)
            nn.init.zeros_(self.project.weight)
            # z_dim > 0: a linear read-back of the generator's noise from the same features (InfoGAN's
            # term over the whole noise): a generator that ignores a noise direction cannot hide it
            self.recover = nn.Linear(top, z_dim) if z_dim else None
        else:
            self.recover = None  # the MLP reads no noise back
            self.embed = nn.Embedding(NUM_CLASSES, NUM_CLASSES)
            self.mlp = nn.Sequential(
                nn.Linear(IMAGE_SIZE * IMAGE_SIZE + NUM_CLASSES, 2 * width),
                nn.LeakyReLU(0.2, inplace=True),
                FastDropout(0.3),
                nn.Linear(2 * width, width),
                nn.LeakyReLU(0.2, inplace=True),
                FastDropout(0.3),
                nn.Linear(width, 1),
            )

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, with_noise: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The scores; ``with_noise`` (conv built with ``z_dim``): also the noise read back from each image."""
        if self.arch == "mlp":
            return self.mlp(torch.cat([x.flatten(1), self.embed(y)], dim=1)).squeeze(1)
        # The first conv sees the image beside ten one-hot label maps. Convolution is linear, so
        # the maps' share is one fixed response per digit: computed for the ten digits and looked
        # up, instead of convolving ten constant channels for every image (same weights, same result).
        conv = self.features[0]
        eye = torch.eye(NUM_CLASSES, dtype=x.dtype, device=x.device)[:, :, None, None]
        per_digit = F.conv2d(eye.expand(-1, -1, IMAGE_SIZE, IMAGE_SIZE), conv.weight[:, 1:], None, 2, 1)
        h = F.conv2d(x, conv.weight[:, :1], conv.bias, 2, 1) + per_digit[y]
        features = self.features[1:](h)
        score = self.head(features).squeeze(1) + (features * self.project(y)).sum(1)
        return (score, self.recover(features)) if with_noise else score


def make_models(
    arch: str = "conv", width_d: int | None = None, depth_d: int = 0, noise_head: bool = False, **overrides: int
) -> tuple[Generator, Discriminator]:
    """A fresh (G, D) pair with the architecture's defaults, optionally overridden; ``width_d``,
    ``depth_d`` and ``noise_head``: D's own width, its 3 x 3 convolutions at 7 x 7, and whether it
    has a head that reads the noise back (conv only)."""
    cfg = {**ARCH_DEFAULTS[check_arch(arch)], **overrides}
    width, z_dim = width_d or cfg["width"], cfg["z_dim"] if noise_head else 0
    generator = Generator(arch=arch, centred=False, **cfg)  # training's G draws uncentred (train.new_run)
    return generator, Discriminator(arch=arch, width=width, depth=depth_d, z_dim=z_dim)
