"""The floor for serve_load.py: a trivial Gradio app whose function returns five random 28×28 images.

It costs what Gradio alone costs here (queue, PNG files, HTTP), with no model at all.
"""

from __future__ import annotations

import gradio as gr
import numpy as np


def generate(digit: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(int(seed))
    return list(rng.integers(0, 256, (5, 28, 28), dtype=np.uint8))


with gr.Blocks() as demo:
    digit = gr.Radio(list(range(10)), value=7)
    seed = gr.Slider(0, 2**31 - 1, value=42, step=1)
    out = gr.Gallery(format="png")
    gr.Button("Generate").click(generate, [digit, seed], out, api_name="generate")

if __name__ == "__main__":
    demo.launch()
