"""MNIST's layout: ten digits, each in a 28 × 28 field, centred the way MNIST centred them.

MNIST placed each digit in its 28 × 28 field by shifting it by whole pixels until its centre of
mass sat at the centre, and every MNIST digit carries that mark: its centre of mass lies within
half a pixel of (14, 14), spread ±0.29 px, the spread of rounding. A generator learns the
placement only roughly (the shipped network on its own: ±0.58 px). Done exactly here, as the
sampling generator's last step (``Generator(centred=True)``; training's discriminator never sees
it, see ``train.new_run``), digits land where MNIST's do; a whole-pixel shift moves pixels
without resampling them, so strokes are untouched.
"""

from __future__ import annotations

import torch

NUM_CLASSES = 10  # the digits 0-9
IMAGE_SIZE = 28  # pixels per side
CENTRE = 14.0  # where MNIST puts the centre of mass (pixel index, rows and columns alike)


def centre_of_mass(ink: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column of the centre of mass of ``(n, 28, 28)`` ink; the centre for a blank image."""
    index = torch.arange(ink.shape[-1], dtype=ink.dtype, device=ink.device)
    mass = ink.sum(dim=(1, 2))
    blank = mass <= 0
    mass = mass.masked_fill(blank, 1)
    row = (ink.sum(2) * index).sum(1) / mass
    col = (ink.sum(1) * index).sum(1) / mass
    return row.masked_fill(blank, CENTRE), col.masked_fill(blank, CENTRE)


def shift(ink: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """Each ``(28, 28)`` image moved down ``rows`` and right ``cols`` whole pixels; black comes in."""
    n, size = len(ink), ink.shape[-1]
    index = torch.arange(size, device=ink.device)
    src_r, src_c = index - rows[:, None], index - cols[:, None]  # (n, 28): which line each line reads
    keep_r = ((src_r >= 0) & (src_r < size)).to(ink.dtype)
    keep_c = ((src_c >= 0) & (src_c < size)).to(ink.dtype)
    moved = ink.gather(1, src_r.clamp(0, size - 1)[:, :, None].expand(n, size, size)) * keep_r[:, :, None]
    return moved.gather(2, src_c.clamp(0, size - 1)[:, None, :].expand(n, size, size)) * keep_c[:, None, :]


def centring_shift(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole rows and columns that move each image's centre of mass within half a pixel of the centre."""
    with torch.no_grad():
        row, col = centre_of_mass(((images[:, 0] + 1) / 2).clamp(0, 1))
        return (CENTRE - row).round().long(), (CENTRE - col).round().long()


def centre(images: torch.Tensor) -> torch.Tensor:
    """``images`` ``(n, 1, 28, 28)`` in [-1, 1], each shifted by whole pixels so that its centre of
    mass is within half a pixel of the field's centre, as MNIST's are.

    Differentiable in the pixels: the shift is read off the image and held fixed.
    """
    ink = (images[:, 0] + 1) / 2  # 0 = black background, the ink that is weighed and shifted
    return (shift(ink, *centring_shift(images)) * 2 - 1)[:, None]
