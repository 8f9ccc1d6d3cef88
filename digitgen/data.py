"""MNIST as tensors: loaded once, batches drawn by index on the training device.

The whole training set is 47 MB as uint8, so it lives on the device beside the model and a
batch is one indexing op: no per-image PIL transforms, no DataLoader workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass
class DigitSet:
    """Images as uint8 ``(N, 28, 28)`` (0 = black background) and int64 labels ``(N,)``."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device | str) -> DigitSet:
        return DigitSet(self.images.to(device), self.labels.to(device))

    def subset(self, n: int | None) -> DigitSet:
        """The first ``n`` images (all when ``n`` is None): a small, fixed set for quick runs."""
        return self if n is None else DigitSet(self.images[:n], self.labels[:n])

    def per_digit(self, n: int) -> DigitSet:
        """The first ``n`` images of each digit, ordered 0…9: a balanced reference set."""
        idx = torch.cat([torch.nonzero(self.labels == d).flatten()[:n] for d in range(10)])
        return DigitSet(self.images[idx], self.labels[idx])

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images at ``idx`` as floats in [-1, 1], shape ``(B, 1, 28, 28)``, with their labels."""
        return to_unit_range(self.images[idx]), self.labels[idx]


def grouped_permutation(
    labels: torch.Tensor, group: int, generator: torch.Generator, repeats: torch.Tensor | None = None
) -> torch.Tensor:
    """A shuffled order of the indices in which each run of ``group`` shares one label.

    Batches made from it hold same-digit groups, so the discriminator's minibatch-stddev
    feature compares digits of one class and can tell a collapsed generator from real variety.
    A few images per class (fewer than ``group``) sit out each epoch.

    ``repeats`` (a count per image; 1 for all when None) draws an image that many times as often:
    each digit's images are drawn from a pool that holds every image ``repeats`` times, as many
    as the digit has, so an epoch keeps its length and MNIST's share of each digit.
    """
    labels, repeats = labels.cpu(), None if repeats is None else repeats.cpu()
    chunks = []
    for d in labels.unique():
        idx = pool = torch.nonzero(labels == d).flatten()
        if repeats is not None:  # each image once more for every count above 1
            counts = repeats[idx]
            pool = torch.cat([idx, *(idx[counts > k] for k in range(1, int(counts.max())))])
        idx = pool[torch.randperm(len(pool), generator=generator)][: len(idx)]
        chunks.append(idx[: len(idx) // group * group].view(-1, group))
    groups = torch.cat(chunks)
    return groups[torch.randperm(len(groups), generator=generator)].flatten()


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(..., 28, 28)`` → float ``(B, 1, 28, 28)`` in [-1, 1], the generator's range."""
    return images.reshape(-1, 1, 28, 28).float().div(127.5).sub(1.0)


def load_mnist(root: str | Path, train: bool = True, download: bool = False) -> DigitSet:
    """Read MNIST from a torchvision root (``root/MNIST/raw/*-ubyte``).

    ``download=True`` fetches it when online; CI and tests pass a local root instead. torchvision is
    imported here, not at the top: it costs two seconds (its models and ops) that generating never needs.
    """
    from torchvision.datasets import MNIST

    try:
        ds = MNIST(str(root), train=train, download=download)
    except RuntimeError as e:  # torchvision's "Dataset not found": say where it looked and what it wants
        wanted = f"{Path(root).expanduser()}/MNIST/raw/*-ubyte"
        raise ValueError(f"no MNIST found at {wanted} (torchvision's layout); pass --download to fetch it") from e
    return DigitSet(ds.data.contiguous(), ds.targets.long().contiguous())
