"""Image helpers shared by sampling, training grids, cards and the app: numpy/PIL only."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Generator output in [-1, 1], ``(B, 1, 28, 28)`` → uint8 ``(B, 28, 28)``, 0 = black."""
    x = images.detach().float().cpu().squeeze(1)
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()


def grid(images: np.ndarray, cols: int, pad: int = 2) -> np.ndarray:
    """Tile uint8 ``(n, h, w)`` images into rows of ``cols``, separated by ``pad`` black pixels."""
    n, h, w = images.shape
    rows = -(-n // cols)
    out = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad), dtype=np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = img
    return out


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscale so pixels stay crisp when shown large."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def save_png(image: np.ndarray, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, format="PNG")
    return path


def png_bytes(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def zip_of_pngs(images: np.ndarray, stem: str) -> bytes:
    """A ZIP holding each uint8 image as its own PNG: ``{stem}_1.png`` …"""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, img in enumerate(images, 1):
            zf.writestr(f"{stem}_{i}.png", png_bytes(img))
    return buf.getvalue()


def gif_bytes(frames: np.ndarray, scale: int = 4, ms_per_frame: int = 120) -> bytes:
    """An animated, looping GIF of uint8 frames, upscaled (nearest) so it is visible; plays there and back."""
    pics = [Image.fromarray(upscale(f, scale)) for f in [*frames, *frames[-2:0:-1]]]
    buf = io.BytesIO()
    pics[0].save(buf, format="GIF", save_all=True, append_images=pics[1:], duration=ms_per_frame, loop=0)
    return buf.getvalue()
