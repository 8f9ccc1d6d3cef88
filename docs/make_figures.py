"""Draws the README's pictures from the shipped weights: ``python docs/make_figures.py``.

Writes docs/samples.png, number.png, same_hand.png, morph.gif, neatness.png, shape.png,
digit_morph.png and, when Debian's
chromium is installed, app.png and app_phone.png (the running app on a desktop and on a phone) and
your_hand.png (the Your hand tab after a 7 drawn with the mouse).
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from digitgen import generate, load_generator
from digitgen.draw import sample_grid
from digitgen.handwriting import write_number
from digitgen.images import gif_bytes, grid, save_png, upscale
from digitgen.sample import morph, morph_digits, style_row
from digitgen.shape import CONTROLS

if TYPE_CHECKING:
    from playwright.sync_api import Page

DOCS = Path(__file__).parent


def stack(lines: list[np.ndarray], pad: int = 4) -> np.ndarray:
    width = max(line.shape[1] for line in lines)
    rows = [np.pad(line, ((pad, 0), (0, width - line.shape[1]))) for line in lines]
    return np.concatenate(rows)


def draw_a_seven(page: Page) -> None:
    """Draw a 7 on the Your hand tab's canvas with the mouse, as a person does: the bar, then the stem.
    The canvas element is wider and taller than the white page drawn on, so the stroke keeps to its middle."""
    box = page.locator("#canvas canvas").last.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + 0.32 * w, y + 0.2 * h)
    page.mouse.down()
    for fx, fy in ((0.5, 0.19), (0.68, 0.2), (0.62, 0.42), (0.56, 0.62), (0.5, 0.8)):
        page.mouse.move(x + fx * w, y + fy * h, steps=10)
    page.mouse.up()


def screenshot_app(desktop: Path, phone: Path, your_hand: Path) -> None:
    """The running app on a desktop and on a phone, and the Your hand tab after a 7 drawn with the mouse."""
    from playwright.sync_api import sync_playwright

    from digitgen.app import build, launch

    demo = build(load_generator())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    loaded = "[...document.querySelectorAll('{} img')].filter(i => i.complete && i.naturalWidth === 28).length"
    touch = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
    screens = [
        (desktop, {"viewport": {"width": 1100, "height": 760}}),
        (phone, {"viewport": {"width": 390, "height": 844}, **touch}),
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        for path, screen in screens:
            page = browser.new_context(**screen).new_page()
            page.goto(f"http://127.0.0.1:{port}/?digit=7&seed=42")
            page.wait_for_function(f"{loaded.format('#digits')} === 5")
            page.wait_for_timeout(500)
            page.screenshot(path=str(path))
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        page.goto(f"http://127.0.0.1:{port}/?tab=yours")
        page.wait_for_function(f"{loaded.format('#hand-row')} === 10", timeout=60_000)
        example = page.locator("#style-code textarea").input_value()
        draw_a_seven(page)
        page.get_by_role("button", name="Capture my hand").click()
        page.wait_for_function(f"document.querySelector('#style-code textarea').value !== {example!r}")
        page.wait_for_function(f"{loaded.format('#hand-row')} === 10", timeout=60_000)
        page.wait_for_timeout(500)
        top = page.locator("#canvas").bounding_box()["y"] - 8
        bottom = (row := page.locator("#hand-row").bounding_box())["y"] + row["height"] + 8
        page.screenshot(path=str(your_hand), clip={"x": 0, "y": top, "width": 1280, "height": bottom - top})
        browser.close()
    demo.close()


def main() -> None:
    g = load_generator()
    save_png(upscale(sample_grid(g), 2), DOCS / "samples.png")
    save_png(upscale(stack(write_number("2026", 7, n=3, generator=g)), 3), DOCS / "number.png")
    rows = np.concatenate([style_row(seed, generator=g) for seed in (1, 2, 3)])
    save_png(upscale(grid(rows, cols=10), 2), DOCS / "same_hand.png")
    (DOCS / "morph.gif").write_bytes(gif_bytes(morph(8, 3, 11, frames=12, generator=g), scale=5))
    rows = np.concatenate([generate(4, 5, n=10, neatness=v, generator=g) for v in (0.0, 0.5, 1.0)])
    save_png(upscale(grid(rows, cols=10), 2), DOCS / "neatness.png")
    settings = (-1, -0.5, 0, 0.5, 1)  # a row per control: a 2, a 5 and an 8 at each setting
    rows = [[generate(d, 7, 1, generator=g, **{c: v})[0] for d in (2, 5, 8) for v in settings] for c in CONTROLS]
    save_png(upscale(np.concatenate([grid(np.stack(row), cols=15) for row in rows]), 2), DOCS / "shape.png")
    strips = np.concatenate([morph_digits(a, b, 7, 10, generator=g) for a, b in ((3, 8), (1, 7), (4, 9))])
    save_png(upscale(grid(strips, cols=10), 2), DOCS / "digit_morph.png")
    if shutil.which("chromium"):
        screenshot_app(DOCS / "app.png", DOCS / "app_phone.png", DOCS / "your_hand.png")


if __name__ == "__main__":
    main()
