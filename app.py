"""digitgen — handwritten digits from a conditional GAN, as a Gradio app and API.

Run ``python app.py`` and open http://127.0.0.1:7860. ``DIGITGEN_MODEL`` (Hub repo id or local
folder) picks the weights; without it, or when the Hub cannot be reached, the app serves the
weights shipped in the package. Every event that computes something is a named API endpoint.
"""

from __future__ import annotations

import functools
import random
from typing import Any, Callable

import gradio as gr
import numpy as np

import digitgen
from digitgen.card import summary
from digitgen.sample import MAX_SEED

GALLERY_SIZE = 5
CSS = """
#gallery img { image-rendering: pixelated; image-rendering: crisp-edges; }
#gallery .grid-wrap { overflow: hidden; }
"""

generator = digitgen.load_generator()


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input raises ValueError in the library; show its sentence, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        try:
            return fn(*args)
        except ValueError as e:
            raise gr.Error(str(e), print_exception=False) from None

    return wrapper


@user_errors
def generate(digit: int, seed: int) -> list[np.ndarray]:
    """Five handwritten images of one digit.

    Args:
        digit: the digit to write, 0–9.
        seed: 0 … 2**31−1; the same (digit, seed) always gives the same five images.

    Returns:
        Five 28×28 grayscale PNGs, white ink on black like MNIST.
    """
    return list(digitgen.generate(digit, seed, n=GALLERY_SIZE, generator=generator))


def random_seed() -> int:
    """A fresh random seed, 0 … 2**31−1."""
    return random.randint(0, MAX_SEED)


with gr.Blocks(title="digitgen · handwritten digits") as demo:
    gr.Markdown(
        "# ✍️ digitgen\nMNIST-style handwritten digits from a conditional GAN trained from scratch. "
        "Pick a digit and a seed: the same seed always writes the same digits."
    )
    if generator.warning:
        gr.Markdown(f"⚠️ **{generator.warning}**", elem_id="model-warning")
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            digit = gr.Radio(list(range(10)), value=7, label="Digit")
            # precision=None: generate() checks for a whole number itself, so an API call with
            # 3.5 or NaN is refused with a message instead of being rounded to another seed.
            seed = gr.Slider(0, MAX_SEED, value=42, step=1, precision=None, label="Seed")
            with gr.Row():
                dice = gr.Button("🎲 Random seed")
                go = gr.Button("Generate", variant="primary")
            gr.Markdown(f"<small>Model: {summary(generator.config)}</small>", elem_id="model-info")
        with gr.Column(scale=2):
            gallery = gr.Gallery(
                label="Five handwritten samples",
                format="png",
                columns=GALLERY_SIZE,
                height=260,
                object_fit="contain",
                allow_preview=False,
                elem_id="gallery",
            )

    go.click(generate, [digit, seed], gallery, api_name="generate")
    dice.click(random_seed, None, seed, api_name="random_seed").then(
        generate, [digit, seed], gallery, api_visibility="private"
    )
    digit.change(generate, [digit, seed], gallery, api_visibility="private")
    seed.release(generate, [digit, seed], gallery, api_visibility="private")
    demo.load(generate, [digit, seed], gallery, api_visibility="private")


def launch(**kwargs: Any) -> tuple[Any, str, str]:
    """Start the server (styling lives in ``launch`` since Gradio 6); kwargs go to ``demo.launch``."""
    return demo.launch(css=CSS, theme=gr.themes.Soft(), **kwargs)


if __name__ == "__main__":
    launch()
