"""digitgen — handwritten digits from a conditional GAN, as a Gradio app and API.

Run ``python app.py`` and open http://127.0.0.1:7860. ``DIGITGEN_MODEL`` (Hub repo id or local
folder) picks the weights; without it, or when the Hub cannot be reached, the app serves the
weights shipped in the package and says so. Every event that computes something is a named,
documented API endpoint and, through Gradio's MCP server, a tool for AI agents (its docstring is
the tool's description); all the work happens in the ``digitgen`` library.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple
from typing import Any

import gradio as gr
import numpy as np

import digitgen
from app_files import HandedOutFiles
from app_link import COPY_JS, FIELDS, FRAMES_MAX, KEEP_CURRENT_JS, NEATNESS_STEP, TABS, PageState, from_query
from digitgen.capture import Capture, capture, strokes
from digitgen.card import summary
from digitgen.dataset import dataset_zip
from digitgen.draw import DEFAULT_NEATNESS
from digitgen.evaluate import read_digits
from digitgen.handwriting import MAX_CHARS, write_number
from digitgen.hub import weights_label
from digitgen.images import gif_bytes, grid, png_bytes, upscale, zip_of_pngs
from digitgen.sample import MAX_SEED, morph, style_row

GALLERY_SIZE = 5
DATASET_MAX_PER_DIGIT = 1000  # a download made while the user waits (≈ 5 s); more is the command's job
SHOWN = PageState()  # what the page shows before a link or a click changes it (a link's defaults)
PICTURE_SCALE = 4  # the agents' pictures: 28-pixel digits drawn 112 pixels high, so chat clients show them clearly
CSS = """
.pixelated img { image-rendering: pixelated; image-rendering: crisp-edges; }
/* Galleries: the label above the images and each caption under its image, never on them; as many
   columns as there are digits (five or ten), shrunk to fit any screen; no empty band below. */
.digit-gallery label[data-testid="block-label"] {
    position: static; width: fit-content; max-width: calc(100% - 4.5rem); margin: 0 0 var(--spacing-sm); }
.digit-gallery .grid-wrap { min-height: 0 !important; max-height: none !important; height: auto !important;
    overflow: visible; padding: 0; }
.digit-gallery .grid-container { grid-template-columns: repeat(var(--grid-cols), minmax(0, 1fr)) !important;
    grid-template-rows: none !important; grid-auto-rows: auto !important; padding-top: 0 !important;
    gap: var(--spacing-md); }
.digit-gallery .thumbnail-item { aspect-ratio: auto !important; height: auto !important;
    display: flex; flex-direction: column; align-items: stretch; }
.digit-gallery .thumbnail-item img { aspect-ratio: 1; width: 100%; height: auto !important; }
.digit-gallery .caption-label { position: static !important; max-width: 100% !important; border: 0 !important;
    border-radius: 0 !important; text-align: center !important; padding: var(--spacing-xs) 0 !important;
    opacity: 1 !important; white-space: normal !important; overflow-wrap: anywhere; }
@media (max-width: 640px) {
    .ten-columns .grid-container { grid-template-columns: repeat(5, minmax(0, 1fr)) !important; }
    .digit-gallery .caption-label { font-size: var(--text-sm) !important; }
}
/* The numbers: each line at its own width, 108 pixels high (less where the screen is narrower). */
#number .thumbnail-item { width: fit-content; max-width: 100%; }
#number .thumbnail-item img { height: 108px !important; width: auto; max-width: 100%; aspect-ratio: auto;
    object-fit: contain; }
/* Seed buttons on one line, thumb-sized; the seed's number box wide enough for ten digits. */
#seed-buttons { flex-wrap: nowrap; gap: var(--spacing-sm); align-self: end; }
#seed-buttons button { min-width: 0 !important; min-height: 44px; padding: 0 var(--spacing-md); white-space: nowrap;
    flex: 1 1 auto; }
#seed-buttons #previous-seed, #seed-buttons #next-seed { flex: 0 0 48px; }
#seed input[type="number"] { width: 11ch; }
"""

generator = digitgen.load_generator()
FILES = HandedOutFiles.from_environment()  # every file handed to Gradio; DIGITGEN_KEEP_SECONDS, _SWEEP_SECONDS
WORKERS = ThreadPoolExecutor(2, thread_name_prefix="digitgen")  # every event's work runs here: see endpoint


def endpoint(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` on one of the app's two worker threads, and show a ValueError's sentence, never a traceback.

    Gradio would run it on any of its 40 pool threads. Each thread that runs torch keeps memory of
    its own (a glibc malloc arena with freed activations kept for reuse, see digitgen/malloc.py),
    so a Space's memory rose as more of them took turns (+123 MB in 4 minutes under load); with two
    threads, +8 MB (docs/experiments.md). Two, so a long job (a capture, a dataset) leaves one free.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        try:
            return WORKERS.submit(fn, *args).result()
        except ValueError as e:
            raise gr.Error(str(e), print_exception=False) from None

    return wrapper


def captioned(images: np.ndarray) -> list[tuple[str, str]]:
    """Each image with what the built-in classifier reads, e.g. ``7 · 99.6 %``."""
    return [(FILES.png(img), f"{d} · {p:.1%}") for img, (d, p) in zip(images, read_digits(images), strict=True)]


@endpoint
def generate(digit: int, seed: int, neatness: float = DEFAULT_NEATNESS) -> list[tuple[str, str]]:
    """Five handwritten images of one digit, each captioned with what the classifier reads.

    Args:
        digit: the digit to write, 0–9.
        seed: 0 … 2**31−1; the same (digit, seed, neatness) always gives the same five images.
        neatness: 0 (wild) … 1 (neat).

    Returns:
        Five 28×28 grayscale PNGs (white ink on black, like MNIST) with captions like "7 · 99.6 %".
    """
    return captioned(digitgen.generate(digit, seed, n=GALLERY_SIZE, neatness=neatness, generator=generator))


@endpoint
def export(digit: int, seed: int, neatness: float = DEFAULT_NEATNESS) -> tuple[str, str]:
    """The five images of `generate` as one PNG picture (agents see it) and as a ZIP of the 28×28 PNGs.

    The images are drawn again (≈ 2 ms, bit-identical for the same inputs) rather than kept between
    events, so this endpoint stands alone for API callers.

    Args:
        digit: the digit to write, 0–9.
        seed: 0 … 2**31−1; the same (digit, seed, neatness) always gives the same five images.
        neatness: 0 (wild) … 1 (neat).

    Returns:
        A 152×32 PNG of the five digits side by side (white ink on black), and a ZIP of five 28×28 PNGs.
    """
    images = digitgen.generate(digit, seed, n=GALLERY_SIZE, neatness=neatness, generator=generator)
    stem = f"digit{digit}_seed{seed}"
    grid_png = FILES.save(png_bytes(grid(images, cols=GALLERY_SIZE)), f"{stem}.png")
    return grid_png, FILES.save(zip_of_pngs(images, stem), f"{stem}.zip")


@endpoint
def number(text: str, seed: int, neatness: float = DEFAULT_NEATNESS) -> list[str]:
    """A number written by hand, five ways.

    Args:
        text: up to 32 digits; spaces leave gaps (e.g. "2026" or "12 34").
        seed: 0 … 2**31−1; the same text and seed always give the same writing.
        neatness: 0 (wild) … 1 (neat).

    Returns:
        Five grayscale PNGs, 36 pixels high, one per variation.
    """
    return [
        FILES.png(line) for line in write_number(text, seed, n=GALLERY_SIZE, neatness=neatness, generator=generator)
    ]


@endpoint
def same_hand(seed: int, neatness: float = DEFAULT_NEATNESS) -> list[tuple[str, str]]:
    """All ten digits written with one noise vector: the style held fixed while the digit changes.

    Args:
        seed: 0 … 2**31−1; it names the hand (the noise vector); the same seed always writes the same row.
        neatness: 0 (wild) … 1 (neat).

    Returns:
        Ten captioned 28×28 PNGs, digits 0–9 in order.
    """
    return captioned(style_row(seed, neatness=neatness, generator=generator))


@endpoint
def morph_digit(
    digit: int, seed: int, seed_to: int, frames: int = 10, neatness: float = DEFAULT_NEATNESS
) -> tuple[list[str], str]:
    """One digit morphing from the style of `seed` to that of `seed_to` (spherical interpolation of the noise).

    Args:
        digit: the digit to write, 0–9.
        seed: 0 … 2**31−1, the style of the first frame.
        seed_to: 0 … 2**31−1, the style of the last frame.
        frames: how many frames, 2–32.
        neatness: 0 (wild) … 1 (neat).

    Returns:
        The frames as 28×28 PNGs, and an animated GIF of them.
    """
    strip = morph(digit, seed, seed_to, frames, neatness=neatness, generator=generator)
    return [FILES.png(frame) for frame in strip], FILES.save(gif_bytes(strip), f"morph_{digit}_{seed}_{seed_to}.gif")


@endpoint
def digits_picture(digit: int, seed: int, neatness: float = DEFAULT_NEATNESS) -> str:
    """The five digits of `generate` as one picture: the tool to call when you want to see the digits.

    Args:
        digit: the digit to write, 0–9.
        seed: 0 … 2**31−1; the same (digit, seed, neatness) always gives the same five images.
        neatness: 0 (wild) … 1 (neat).

    Returns:
        One PNG: five handwritten images of the digit side by side, white ink on black, 4× enlarged.
    """
    images = digitgen.generate(digit, seed, n=GALLERY_SIZE, neatness=neatness, generator=generator)
    return FILES.png(upscale(grid(images, cols=GALLERY_SIZE), PICTURE_SCALE))


@endpoint
def number_picture(text: str, seed: int, neatness: float = DEFAULT_NEATNESS) -> str:
    """A number written by hand, as one picture: the first of `number`'s five ways.

    Args:
        text: up to 32 digits; spaces leave gaps (e.g. "2026" or "12 34").
        seed: 0 … 2**31−1; the same text and seed always give the same writing.
        neatness: 0 (wild) … 1 (neat).

    Returns:
        One PNG of the handwritten number, white ink on black, 4× enlarged.
    """
    (line,) = write_number(text, seed, n=1, neatness=neatness, generator=generator)
    return FILES.png(upscale(line, PICTURE_SCALE))


@endpoint
def hand_picture(seed: int, neatness: float = DEFAULT_NEATNESS) -> str:
    """The digits 0–9 written in one hand, as one picture (the row of `same_hand`).

    Args:
        seed: 0 … 2**31−1; it names the hand; the same seed always writes the same row.
        neatness: 0 (wild) … 1 (neat).

    Returns:
        One PNG: the ten digits 0–9 side by side, white ink on black, 4× enlarged.
    """
    return FILES.png(upscale(grid(style_row(seed, neatness=neatness, generator=generator), cols=10), PICTURE_SCALE))


@endpoint
def make_dataset(per_digit: int, seed: int, neatness: float = DEFAULT_NEATNESS) -> str:
    """A synthetic MNIST to download: both splits as MNIST's own IDX files, in a ZIP with a datasheet.

    Unzipped, ``torchvision.datasets.MNIST(folder, train=True)`` (or ``train=False``) loads it unchanged.

    Args:
        per_digit: training digits of each digit 0–9, 1–1000 (the test split gets a sixth as many).
            Larger sets: `digitgen dataset --per-digit N --out DIR` on your own machine.
        seed: 0 … 2**31−1; the same seed always makes the same set.
        neatness: 0 (wild) … 1 (neat).

    Returns:
        A ZIP: MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte, datasheet.json and README.md.
    """
    if isinstance(per_digit, int | float) and per_digit > DATASET_MAX_PER_DIGIT:
        raise ValueError(
            f"up to {DATASET_MAX_PER_DIGIT:,} per digit here; for {per_digit:,.0f}, run "
            f"`digitgen dataset --per-digit {per_digit:.0f} --out DIR` on your own machine"
        )
    data = dataset_zip(per_digit, seed, neatness, generator=generator, max_per_digit=DATASET_MAX_PER_DIGIT)
    return FILES.save(data, f"digitgen-mnist_{per_digit:.0f}-per-digit_seed{seed}.zip")


def hand_files(c: Capture) -> tuple[str, str, np.ndarray]:
    """A capture's pictures: the drawing as MNIST holds it, the hand's own version, and its ten digits."""
    drawing, remade = (FILES.png(upscale(image, PICTURE_SCALE)) for image in (c.drawing, c.reconstruction))
    return drawing, remade, style_row(c.style, generator=generator)


def show_capture(c: Capture) -> tuple[str, str, int, str, list[tuple[str, str]], str, str]:
    """A capture as the "Your hand" tab shows it, with a ZIP of the ten digits."""
    drawing, remade, row = hand_files(c)
    said = f"Read as **{c.digit}** ({c.confidence:.1%} sure)"
    if c.confidence < 0.5:
        said = f"The reader is unsure this is a {c.digit} ({c.confidence:.1%}): pick the digit you drew below"
    return (
        drawing,
        remade,
        c.digit,
        f"{said} · match {c.psnr:.1f} dB",
        captioned(row),
        c.code,
        FILES.save(zip_of_pngs(row, "my_hand"), "my_hand.zip"),
    )


@endpoint
def capture_sketch(sketch: dict | None, digit: int | None = None) -> tuple:
    """The "Your hand" tab's capture: the strokes are read from the sketchpad's layers."""
    layers = [layer for layer in (sketch or {}).get("layers") or [] if layer is not None]
    return show_capture(capture(strokes(layers), digit, generator=generator))


@endpoint
def capture_style(image: str | None, digit: int = -1) -> tuple[str, int, float, str, str, list[tuple[str, str]]]:
    """Capture the hand that wrote one digit in an image, and write all ten digits in it.

    Args:
        image: an image file of one handwritten digit, up to 4096 pixels on a side: dark on light,
            light on dark, or strokes on a transparent background.
        digit: the digit drawn, 0–9, or -1 to let the built-in classifier read it.

    Returns:
        The style code (give it to write_in_style), the digit, the classifier's confidence in it, the
        drawing normalised like MNIST, the hand's own image of it, and the ten digits 0–9 in that hand.
    """
    if image is None:
        raise ValueError("send an image file of one handwritten digit")
    c = capture(image, None if digit == -1 else digit, generator=generator)
    drawing, remade, row = hand_files(c)
    return c.code, c.digit, round(c.confidence, 4), drawing, remade, captioned(row)


@endpoint
def write_in_style(code: str, text: str) -> str:
    """A number written in a captured hand.

    Args:
        code: a style code from capture_style (it starts with "dg1.").
        text: up to 32 digits; spaces leave gaps (e.g. "2026").

    Returns:
        One PNG of the number in that hand, white ink on black, 4× enlarged.
    """
    (line,) = write_number(text, code, n=1, generator=generator)
    return FILES.png(upscale(line, PICTURE_SCALE))


def random_seed() -> int:
    """A fresh random seed, 0 … 2**31−1, for the other tools' `seed` arguments.

    Returns:
        A whole number from 0 to 2147483647.
    """
    return random.randint(0, MAX_SEED)


def open_link(request: gr.Request) -> tuple:
    """The page as its link asks: the tab and the controls, and a note naming any value that was not valid.

    What the link leaves out is left as it is, so a tab clicked before the page has loaded stays open.
    """
    query = request.query_params
    state, note = from_query(query)
    tab = gr.Tabs(selected=state.tab) if "tab" in query else gr.skip()
    controls = [value if name in query else gr.skip() for name, value in zip(FIELDS, astuple(state), strict=True)]
    return (tab, *controls, gr.Markdown(note, visible=bool(note)))


def show_link(
    tab: str, digit: int, seed: int, neatness: float, text: str, morph_from: int, seed_to: int, frames: int
) -> tuple:
    """What a link's tab shows: the digits always (the first tab), and the open tab's result."""
    skip = gr.skip()
    shown = {
        "number": lambda: (number(text, seed, neatness), skip, skip, skip),
        "hand": lambda: (skip, same_hand(seed, neatness), skip, skip),
        "morph": lambda: (skip, skip, *morph_digit(morph_from, seed, seed_to, frames, neatness)),
    }
    return generate(digit, seed, neatness), *shown.get(tab, lambda: (skip,) * 4)()


def digit_picker(value: int) -> gr.Radio:
    picker = gr.Radio(list(range(10)), value=value, label="Digit")
    # Gradio 6.31 declares every Radio's value a string, so MCP clients refused to send 7 (and the
    # Radio refuses "7"): declare what it takes, whole numbers.
    picker.api_info = lambda: {"type": "integer", "enum": list(range(10)), "title": "Digit"}
    return picker


def seed_slider(label: str, value: int, elem_id: str | None = None) -> gr.Slider:
    # precision=None: the library checks for a whole number itself, so an API call with 3.5 or
    # NaN is refused with a message instead of being rounded to another seed.
    return gr.Slider(0, MAX_SEED, value=value, step=1, precision=None, label=label, elem_id=elem_id)


def gallery(label: str, columns: int, elem_id: str | None = None) -> gr.Gallery:
    """A gallery laid out by CSS: label above, captions under, ``columns`` that shrink to fit (five on a phone)."""
    return gr.Gallery(
        label=label,
        format="png",
        columns=columns,
        height="auto",
        object_fit="contain",
        allow_preview=False,
        buttons=["download", "fullscreen"],
        elem_classes=["pixelated", "digit-gallery", *(["ten-columns"] if columns == 10 else [])],
        elem_id=elem_id,
    )


with gr.Blocks(title="digitgen · handwritten digits") as demo:  # no delete_cache: FILES sweeps (app_files.py)
    gr.Markdown(
        "# ✍️ digitgen\nMNIST-style handwritten digits from a conditional GAN trained from scratch. "
        "The same seed always writes the same digits."
    )
    if generator.warning:
        gr.Markdown(f"⚠️ **{generator.warning}**", elem_id="model-warning")
    link_note = gr.Markdown(visible=False, elem_id="link-note")
    with gr.Row(equal_height=True):
        seed = seed_slider("Seed", SHOWN.seed, elem_id="seed")
        with gr.Row(elem_id="seed-buttons"):
            previous_seed = gr.Button("◀", size="md", elem_id="previous-seed")
            next_seed = gr.Button("▶", size="md", elem_id="next-seed")
            dice = gr.Button("🎲 Random", size="md")
            copy_link = gr.Button("🔗 Copy link", size="md", elem_id="copy-link")
        neatness = gr.Slider(0, 1, value=SHOWN.neatness, step=NEATNESS_STEP, label="Neatness (wild → neat)")
    tab_shown = gr.Textbox(SHOWN.tab, visible=False)  # the open tab's id, for links

    with gr.Tabs() as tabs:
        with gr.Tab(TABS["digit"], id="digit") as digit_tab:
            digit = digit_picker(SHOWN.digit)
            go = gr.Button("Generate", variant="primary")
            digits_out = gallery("Five handwritten samples · what the classifier reads", GALLERY_SIZE, elem_id="digits")
            with gr.Row():
                grid_file = gr.DownloadButton("⬇ PNG grid", size="sm")
                zip_file = gr.DownloadButton("⬇ ZIP of 28×28 PNGs", size="sm")
        with gr.Tab(TABS["number"], id="number") as number_tab:
            text = gr.Textbox(SHOWN.text, label=f"Number (digits and spaces, up to {MAX_CHARS})", max_lines=1)
            write = gr.Button("Write it", variant="primary")
            number_out = gallery("Five ways to write it", 1, elem_id="number")
        with gr.Tab(TABS["hand"], id="hand") as hand_tab:
            hand = gr.Button("Write 0–9 in one hand", variant="primary")
            hand_out = gallery("One noise vector, ten digits", 10)
        with gr.Tab(TABS["morph"], id="morph") as morph_tab:
            with gr.Row():
                morph_digit_in = digit_picker(SHOWN.morph_digit)
                seed_to = seed_slider("Morph to seed", SHOWN.seed_to)
                frames = gr.Slider(2, FRAMES_MAX, value=SHOWN.frames, step=1, precision=None, label="Frames")
            morph_go = gr.Button("Morph", variant="primary")
            morph_out = gallery("Frames", 10)
            morph_gif = gr.Image(label="Animated", type="filepath", height=160, elem_classes="pixelated")
        with gr.Tab(TABS["yours"], id="yours") as yours_tab:
            gr.Markdown("Draw one digit, large. digitgen finds the hand that wrote it and writes every digit in it.")
            with gr.Row():
                canvas = gr.Sketchpad(
                    label="Draw one digit",
                    canvas_size=(280, 280),
                    brush=gr.Brush(default_size=11, colors=["#000000"], color_mode="fixed"),
                    layers=False,
                    transforms=(),
                    type="numpy",
                    image_mode="RGBA",
                    elem_id="canvas",
                )
                with gr.Column():
                    capture_go = gr.Button("Capture my hand", variant="primary")
                    with gr.Row():
                        yours = gr.Image(label="Your digit, as MNIST holds it", height=140, elem_classes="pixelated")
                        remade = gr.Image(
                            label="Your hand, as the generator writes it", height=140, elem_classes="pixelated"
                        )
                    said = gr.Markdown()
                    drawn_digit = gr.Radio(list(range(10)), label="The digit you drew (change it if misread)")
            hand_row = gallery("The ten digits in your hand", 10, elem_id="hand-row")
            with gr.Row():
                code_label = "Your style code (share it; it works with these weights)"
                code = gr.Textbox(label=code_label, buttons=["copy"], elem_id="style-code")
                hand_zip = gr.DownloadButton("⬇ ZIP of the ten digits", size="sm")
            with gr.Row():
                hand_text = gr.Textbox("2026", label="Write a number in your hand", max_lines=1)
                hand_write = gr.Button("Write it", scale=0, min_width=120)
            hand_number = gr.Image(label="Your number", height=140, elem_classes="pixelated")
        with gr.Tab(TABS["dataset"], id="dataset") as dataset_tab:
            gr.Markdown(
                "A labelled, shuffled set in MNIST's own format, from the seed and neatness above: unzipped, "
                "`torchvision.datasets.MNIST(folder)` loads it. "
                "Larger sets: `digitgen dataset --per-digit N --out DIR`."
            )
            per_digit = gr.Number(
                100, minimum=1, precision=0, label=f"Training digits per digit (1–{DATASET_MAX_PER_DIGIT:,})"
            )
            dataset_go = gr.Button("Make the dataset", variant="primary")
            dataset_file = gr.File(label="ZIP of IDX files with a datasheet")
    gr.Markdown(f"<small>Model: {summary(generator.config)} · {weights_label(generator)}</small>")

    digit_inputs = [digit, seed, neatness]
    go.click(generate, digit_inputs, digits_out, api_name="generate").then(
        export, digit_inputs, [grid_file, zip_file], api_name="export"
    )
    gr.on(
        [digit.change, seed.change, neatness.change],
        generate,
        digit_inputs,
        digits_out,
        api_visibility="private",
        trigger_mode="always_last",
    ).then(export, digit_inputs, [grid_file, zip_file], api_visibility="private")
    dice.click(random_seed, None, seed, api_name="random_seed")
    previous_seed.click(None, seed, seed, js="(s) => Math.max(0, Math.round(s) - 1)")
    next_seed.click(None, seed, seed, js=f"(s) => Math.min({MAX_SEED}, Math.round(s) + 1)")

    # Links: open on the link's state, keep the address current, copy it.
    shown_by_link = [tab_shown, digit, seed, neatness, text, morph_digit_in, seed_to, frames]  # app_link.FIELDS
    demo.load(open_link, None, [tabs, *shown_by_link, link_note], api_visibility="private").then(
        None,
        shown_by_link,
        None,
        js=KEEP_CURRENT_JS,  # a link with bad values now reads as what is shown
    ).then(
        show_link, shown_by_link, [digits_out, number_out, hand_out, morph_out, morph_gif], api_visibility="private"
    ).then(export, digit_inputs, [grid_file, zip_file], api_visibility="private")
    for tab in (digit_tab, number_tab, hand_tab, morph_tab, yours_tab, dataset_tab):
        tab.select(None, None, tab_shown, js=f"() => {tab.id!r}")
    gr.on([control.change for control in shown_by_link], None, shown_by_link, None, js=KEEP_CURRENT_JS)
    copy_link.click(None, shown_by_link, None, js=COPY_JS)
    write.click(number, [text, seed, neatness], number_out, api_name="write_number")
    text.submit(number, [text, seed, neatness], number_out, api_visibility="private")
    hand.click(same_hand, [seed, neatness], hand_out, api_name="same_hand")
    morph_go.click(
        morph_digit, [morph_digit_in, seed, seed_to, frames, neatness], [morph_out, morph_gif], api_name="morph"
    )

    shown = [yours, remade, drawn_digit, said, hand_row, code, hand_zip]
    capture_go.click(capture_sketch, canvas, shown, api_visibility="private")
    drawn_digit.input(capture_sketch, [canvas, drawn_digit], shown, api_visibility="private")
    hand_write.click(write_in_style, [code, hand_text], hand_number, api_name="write_in_style")
    hand_text.submit(write_in_style, [code, hand_text], hand_number, api_visibility="private")
    dataset_go.click(make_dataset, [per_digit, seed, neatness], dataset_file, api_name="dataset")

    # One picture per call for AI agents (MCP shows a single image output inline; galleries reach an
    # agent only as links) and for scripts. Endpoints only: nothing on the page triggers them.
    with gr.Group(visible=False):
        agent_call = gr.Button()
        picture = gr.Image(type="filepath", format="png")
        upload = gr.File(type="filepath")  # not gr.Image: a file that is not an image gets the library's sentence
        upload_digit = gr.Number(-1, minimum=-1, maximum=9, precision=0)
        captured = [gr.Textbox(), gr.Number(), gr.Number(), gr.Image(type="filepath"), gr.Image(type="filepath")]
        captured_row = gr.Gallery(format="png")
    agent_call.click(digits_picture, digit_inputs, picture, api_name="digits_picture")
    agent_call.click(number_picture, [text, seed, neatness], picture, api_name="number_picture")
    agent_call.click(hand_picture, [seed, neatness], picture, api_name="hand_picture")
    agent_call.click(capture_style, [upload, upload_digit], [*captured, captured_row], api_name="capture_style")
FILES.records = demo.temp_file_sets  # Gradio's notes of the files it has served: each sweep prunes them


def launch(**kwargs: Any) -> tuple[Any, str, str]:
    """Start the server, with the MCP endpoint at /gradio_api/mcp/ (styling lives in ``launch`` since Gradio 6).

    kwargs go to ``demo.launch``.
    """
    return demo.launch(css=CSS, theme=gr.themes.Soft(), mcp_server=True, **kwargs)


if __name__ == "__main__":
    launch()
