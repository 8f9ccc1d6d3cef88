"""The page: six tabs of components, and the events that wire them to the endpoints.

``build(generator)`` makes the whole app and does nothing else: no weights are loaded and no
server is started until the caller asks (``app.py`` does both for a Space).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple
from pathlib import Path
from typing import Any

import gradio as gr

from digitgen.card import summary
from digitgen.handwriting import MAX_CHARS
from digitgen.hub import weights_label
from digitgen.models import Generator
from digitgen.sample import MAX_SEED
from digitgen.shape import CONTROLS, ENDS

from .endpoints import CAPTURE, DATASET, DATASET_MAX_PER_DIGIT, GALLERY_SIZE, LIGHT, Endpoints
from .files import HandedOutFiles
from .links import (
    COPY_JS,
    FIELDS,
    KEEP_CURRENT_JS,
    MORPHS,
    NEATNESS_STEP,
    SHAPE_STEP,
    SLIDER_MAX_FRAMES,
    TABS,
    PageState,
    from_query,
)

SHOWN = PageState()  # what the page shows before a link or a click changes it (a link's defaults)
CSS = (Path(__file__).parent / "style.css").read_text()
# The sketchpad ready to draw: Gradio 6.31's editor picks the draw tool when it starts, then an empty
# canvas resets it to the image tool, so a visitor had to find the brush first. Pick the brush when
# the tab opens and after the canvas is cleared (polling briefly: the editor mounts after the tab).
READY_TO_DRAW_JS = """() => {
    const arm = () => {
        let start = Date.now(), seen = 0;
        const pick = () => {
            const brush = document.querySelector('#canvas button[aria-label="Brush"]');
            if (brush && !brush.classList.contains('highlight')) { brush.click(); seen = 0; }
            else if (brush) { seen += 1; }
            if (seen < 3 && Date.now() - start < 5000) setTimeout(pick, 100);
        };
        pick();
    };
    const canvas = document.querySelector('#canvas');
    if (canvas && !canvas.dataset.readyToDraw) {
        canvas.dataset.readyToDraw = '1';
        canvas.addEventListener('click', (e) => {
            if (e.target.closest('button[aria-label="Clear canvas"]')) setTimeout(arm, 100);
        });
    }
    arm();
}"""


def open_link(request: gr.Request) -> tuple:
    """The page as its link asks: the tab and the controls, and a note naming any value that was not valid.

    What the link leaves out is left as it is, so a tab clicked before the page has loaded stays open.
    """
    query = request.query_params
    state, note = from_query(query)
    tab = gr.Tabs(selected=state.tab) if "tab" in query else gr.skip()
    controls = [value if name in query else gr.skip() for name, value in zip(FIELDS, astuple(state), strict=True)]
    reshaped = any(getattr(state, name) for name in CONTROLS)  # a link that reshapes opens the controls that do
    return (tab, *controls, gr.Markdown(note, visible=bool(note)), gr.Accordion(open=True) if reshaped else gr.skip())


def digit_picker(value: int, label: str = "Digit", visible: bool = True) -> gr.Radio:
    picker = gr.Radio(list(range(10)), value=value, label=label, visible=visible)
    # Gradio 6.31 declares every Radio's value a string, so MCP clients refused to send 7 (and the
    # Radio refuses "7"): declare what it takes, whole numbers.
    picker.api_info = lambda: {"type": "integer", "enum": list(range(10)), "title": label}
    return picker


def seed_slider(label: str, value: int, elem_id: str | None = None, visible: bool = True) -> gr.Slider:
    # precision=None: the library checks for a whole number itself, so an API call with 3.5 or
    # NaN is refused with a message instead of being rounded to another seed.
    return gr.Slider(0, MAX_SEED, value=value, step=1, precision=None, label=label, elem_id=elem_id, visible=visible)


def gallery(label: str, columns: int, elem_id: str | None = None) -> gr.Gallery:
    """A gallery laid out by CSS: label above, captions under, ``columns`` that shrink to fit (five on a phone)."""
    return gr.Gallery(
        label=label,
        format="png",
        interactive=False,  # results only, even where an event reads them (to see if a tab shows one yet)
        columns=columns,
        height="auto",
        object_fit="contain",
        allow_preview=False,
        buttons=["download", "fullscreen"],
        elem_classes=["pixelated", "digit-gallery", *(["ten-columns"] if columns == 10 else [])],
        elem_id=elem_id,
    )


def build(generator: Generator, files: HandedOutFiles | None = None) -> gr.Blocks:
    """The app for ``generator``: every event that computes something is a named API endpoint and MCP tool.

    ``files`` is where the images and downloads it hands out are written (default: inside Gradio's
    cache, as ``DIGITGEN_KEEP_SECONDS`` and ``DIGITGEN_SWEEP_SECONDS`` say); ``demo.endpoints``
    holds the endpoints, for callers in the same process.
    """
    api = Endpoints(generator, files or HandedOutFiles.from_environment())

    def morph_either(
        morph_to: str, digit: int, digit_to: int, seed: int, seed_to: int, frames: int, neatness: float, *shape: float
    ) -> tuple[list[str], str]:
        """The Morph tab's strip: to another hand (`seed_to`), or to another digit (`digit_to`)."""
        if morph_to == "digit":
            return api.morph_digits(digit, digit_to, seed, frames, neatness, *shape)
        return api.morph_digit(digit, seed, seed_to, frames, neatness, *shape)

    def show_link(
        tab: str, digit: int, seed: int, neatness: float, text: str, morph_from: int, seed_to: int, frames: int,
        thickness: float, slant: float, width: float, morph_to: str, digit_to: int,
    ) -> tuple:  # fmt: skip
        """What a link's tab shows: the digits always (the first tab), and the open tab's result."""
        skip, shape = gr.skip(), (thickness, slant, width)
        shown = {
            "number": lambda: (api.number(text, seed, neatness, *shape), skip, skip, skip),
            "hand": lambda: (skip, api.same_hand(seed, neatness, *shape), skip, skip),
            "morph": lambda: (
                skip, skip, *morph_either(morph_to, morph_from, digit_to, seed, seed_to, frames, neatness, *shape)
            ),
        }  # fmt: skip
        return api.generate(digit, seed, neatness, *shape), *shown.get(tab, lambda: (skip,) * 4)()

    with gr.Blocks(title="digitgen · handwritten digits") as demo:  # no delete_cache: files.py sweeps
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
        # closed at first, so a phone shows the digits first; a link that reshapes them opens it
        with gr.Accordion("Shape: thickness, slant, width", open=False, elem_id="shape") as shape_controls, gr.Row():
            shape = [
                gr.Slider(
                    -1, 1, value=getattr(SHOWN, name), step=SHAPE_STEP, label=f"{name.capitalize()} ({low} → {high})",
                    elem_id=name,
                )
                for name, (low, high) in ENDS.items()
            ]  # fmt: skip
            thickness, slant, width = shape
        tab_shown = gr.Textbox(SHOWN.tab, visible=False)  # the open tab's id, for links

        with gr.Tabs() as tabs:
            with gr.Tab(TABS["digit"], id="digit") as digit_tab:
                digit = digit_picker(SHOWN.digit)
                go = gr.Button("Generate", variant="primary")
                label = "Five handwritten samples · what the classifier reads"
                digits_out = gallery(label, GALLERY_SIZE, elem_id="digits")
                with gr.Row():
                    grid_file = gr.DownloadButton("⬇ PNG grid", size="sm")
                    zip_file = gr.DownloadButton("⬇ ZIP of 28×28 PNGs", size="sm")
            with gr.Tab(TABS["number"], id="number") as number_tab:
                text = gr.Textbox(SHOWN.text, label=f"Number (digits and spaces, up to {MAX_CHARS})", max_lines=1)
                write = gr.Button("Write it", variant="primary")
                number_out = gallery("Five ways to write it", 1, elem_id="number")
            with gr.Tab(TABS["hand"], id="hand") as hand_tab:
                hand = gr.Button("Write 0–9 in one hand", variant="primary")
                hand_out = gallery("One noise vector, ten digits", 10, elem_id="same-hand")
            with gr.Tab(TABS["morph"], id="morph") as morph_tab:
                morph_to = gr.Radio(
                    [(label, value) for value, label in MORPHS.items()],
                    value=SHOWN.morph_to,
                    label="Morph",
                    elem_id="morph-to",
                )
                with gr.Row():
                    morph_digit_in = digit_picker(SHOWN.morph_digit)
                    seed_to = seed_slider("Morph to seed", SHOWN.seed_to, visible=SHOWN.morph_to == "hand")
                    digit_to = digit_picker(SHOWN.digit_to, "Morph to digit", visible=SHOWN.morph_to == "digit")
                    frames = gr.Slider(2, SLIDER_MAX_FRAMES, value=SHOWN.frames, step=1, precision=None, label="Frames")
                morph_go = gr.Button("Morph", variant="primary")
                morph_out = gallery("Frames", 10, elem_id="frames")
                morph_gif = gr.Image(label="Animated", type="filepath", height=160, elem_classes="pixelated")
            with gr.Tab(TABS["yours"], id="yours") as yours_tab:
                gr.Markdown(
                    "Draw one digit, large. digitgen finds the hand that wrote it and writes every digit in it."
                )
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
                            yours = gr.Image(
                                label="Your digit, as MNIST holds it", height=140, elem_classes="pixelated"
                            )
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
                    "`torchvision.datasets.MNIST(folder)` loads it. Give a shape range (`0.5:1`: only thick "
                    "digits) to make a shifted set; every digit's measured shape then comes in a CSV beside its "
                    "label. Larger sets: `digitgen dataset --per-digit N --out DIR`."
                )
                per_digit = gr.Number(
                    100, minimum=1, precision=0, label=f"Training digits per digit (1–{DATASET_MAX_PER_DIGIT:,})"
                )
                with gr.Row():
                    shape_ranges = [
                        gr.Textbox(
                            "",
                            label=f"{name.capitalize()} range",
                            placeholder="as drawn, or e.g. -1:1",
                            max_lines=1,
                        )
                        for name in CONTROLS
                    ]
                measure = gr.Checkbox(label="Measure every digit (Morpho-MNIST's CSV; always with a range)")
                dataset_go = gr.Button("Make the dataset", variant="primary")
                dataset_file = gr.File(label="ZIP of IDX files with a datasheet")
                preview_label = "The set's first 50 training digits, as the ZIP holds them"
                dataset_preview = gr.Image(
                    label=preview_label,
                    type="filepath",
                    interactive=False,
                    elem_classes="pixelated",
                    elem_id="dataset-preview",
                )
        gr.Markdown(f"<small>Model: {summary(generator.config)} · {weights_label(generator)}</small>")

        digit_inputs = [digit, seed, neatness, *shape]
        morph_inputs = [morph_to, morph_digit_in, digit_to, seed, seed_to, frames, neatness, *shape]
        captured_shown = [yours, remade, drawn_digit, said, hand_row, code, hand_zip]
        go.click(api.generate, digit_inputs, digits_out, api_name="generate", **LIGHT.queue).then(
            api.export, digit_inputs, [grid_file, zip_file], api_name="export", **LIGHT.queue
        )
        gr.on(
            [digit.change, seed.change, neatness.change, *(control.change for control in shape)],
            api.generate,
            digit_inputs,
            digits_out,
            api_visibility="private",
            trigger_mode="always_last",
            **LIGHT.queue,
        ).then(api.export, digit_inputs, [grid_file, zip_file], api_visibility="private", **LIGHT.queue)
        dice.click(api.random_seed, None, seed, api_name="random_seed")
        previous_seed.click(None, seed, seed, js="(s) => Math.max(0, Math.round(s) - 1)")
        next_seed.click(None, seed, seed, js=f"(s) => Math.min({MAX_SEED}, Math.round(s) + 1)")

        # Links: open on the link's state, keep the address current, copy it.
        by_name = {"tab": tab_shown, "digit": digit, "seed": seed, "neatness": neatness, "text": text,
                   "morph_digit": morph_digit_in, "seed_to": seed_to, "frames": frames, "thickness": thickness,
                   "slant": slant, "width": width, "morph_to": morph_to, "digit_to": digit_to}  # fmt: skip
        shown_by_link = [by_name[name] for name in FIELDS]  # in the order the link's scripts and show_link read
        opened_by_link = (
            demo.load(open_link, None, [tabs, *shown_by_link, link_note, shape_controls], api_visibility="private")
            .then(
                None,
                shown_by_link,
                None,
                js=KEEP_CURRENT_JS,  # a link with bad values now reads as what is shown
            )
            .then(
                show_link,
                shown_by_link,
                [digits_out, number_out, hand_out, morph_out, morph_gif],
                api_visibility="private",
                **LIGHT.queue,
            )
            .then(api.export, digit_inputs, [grid_file, zip_file], api_visibility="private", **LIGHT.queue)
        )
        for tab in (digit_tab, number_tab, hand_tab, morph_tab, yours_tab, dataset_tab):
            tab.select(None, None, tab_shown, js=f"() => {tab.id!r}")
        yours_tab.select(None, js=READY_TO_DRAW_JS)

        # The captured hand's ten digits follow the shape controls: redrawn from its code (light work).
        def reshaped_hand(code: str, *shape: float) -> tuple:
            return api.hand_row(code, *shape) if code else (gr.skip(), gr.skip())

        def reshaped_capture(code: str, *shape: float) -> tuple:
            """After a capture, which draws the hand as captured: only if a control is set."""
            return reshaped_hand(code, *shape) if any(shape) else (gr.skip(), gr.skip())

        reshape_capture = {"fn": reshaped_capture, "inputs": [code, *shape], "outputs": [hand_row, hand_zip],
                           "api_visibility": "private", **LIGHT.queue}  # fmt: skip
        gr.on([control.change for control in shape], reshaped_hand, [code, *shape], [hand_row, hand_zip],
              api_visibility="private", trigger_mode="always_last", **LIGHT.queue)  # fmt: skip

        # Every tab shows a result the first time it opens, as the Digit tab does on load.
        def first(fill: Callable[..., Any], outputs: int = 1) -> Callable[..., Any]:
            return lambda shown, *args: (gr.skip(),) * outputs if shown else fill(*args)

        opened = {"api_visibility": "private", "trigger_mode": "once"}
        number_inputs, hand_inputs = [text, seed, neatness, *shape], [seed, neatness, *shape]
        number_tab.select(first(api.number), [number_out, *number_inputs], number_out, **opened, **LIGHT.queue)
        hand_tab.select(first(api.same_hand), [hand_out, *hand_inputs], hand_out, **opened, **LIGHT.queue)
        morph_tab.select(
            first(morph_either, 2), [morph_out, *morph_inputs], [morph_out, morph_gif], **opened, **LIGHT.queue
        )
        yours_tab.select(first(api.example_capture, 7), hand_row, captured_shown, **opened, **CAPTURE.queue).then(
            **reshape_capture
        )
        dataset_inputs = [per_digit, seed, neatness, *shape_ranges]
        dataset_tab.select(
            first(api.dataset_preview), [dataset_preview, *dataset_inputs], dataset_preview, **opened, **DATASET.queue
        )

        def link_to_a_heavy_tab(tab: str, hand_shown: Any, preview_shown: Any, *dataset_args: Any) -> tuple:
            """A link to Your hand or Synthetic MNIST opens on that tab's first result too."""
            if tab == "yours" and not hand_shown:
                return (*api.example_capture(), gr.skip())
            if tab == "dataset" and not preview_shown:
                return (*(gr.skip(),) * 7, api.dataset_preview(*dataset_args))
            return (gr.skip(),) * 8

        opened_by_link.then(
            link_to_a_heavy_tab,
            [tab_shown, hand_row, dataset_preview, *dataset_inputs],
            [*captured_shown, dataset_preview],
            api_visibility="private",
        ).then(**reshape_capture).then(None, js=READY_TO_DRAW_JS)
        gr.on([control.change for control in shown_by_link], None, shown_by_link, None, js=KEEP_CURRENT_JS)
        copy_link.click(None, shown_by_link, None, js=COPY_JS)
        write.click(api.number, number_inputs, number_out, api_name="write_number", **LIGHT.queue)
        text.submit(api.number, number_inputs, number_out, api_visibility="private", **LIGHT.queue)
        hand.click(api.same_hand, hand_inputs, hand_out, api_name="same_hand", **LIGHT.queue)
        morphed = [morph_out, morph_gif]
        morph_go.click(morph_either, morph_inputs, morphed, api_visibility="private", **LIGHT.queue)
        morph_to.change(
            lambda to: (gr.update(visible=to == "hand"), gr.update(visible=to == "digit")),
            morph_to,
            [seed_to, digit_to],
            api_visibility="private",
            queue=False,
        )

        capture_go.click(api.capture_sketch, canvas, captured_shown, api_visibility="private", **CAPTURE.queue).then(
            **reshape_capture
        )
        drawn_digit.input(
            api.capture_sketch, [canvas, drawn_digit], captured_shown, api_visibility="private", **CAPTURE.queue
        ).then(**reshape_capture)
        in_style = [code, hand_text, *shape]
        hand_write.click(api.write_in_style, in_style, hand_number, api_name="write_in_style", **LIGHT.queue)
        hand_text.submit(api.write_in_style, in_style, hand_number, api_visibility="private", **LIGHT.queue)
        dataset_go.click(
            api.make_dataset, [*dataset_inputs, measure], dataset_file, api_name="dataset", **DATASET.queue
        ).then(api.dataset_preview, dataset_inputs, dataset_preview, api_visibility="private", **DATASET.queue)

        # One picture per call for AI agents (MCP shows a single image output inline; galleries reach an
        # agent only as links) and for scripts. Endpoints only: nothing on the page triggers them.
        with gr.Group(visible=False):
            agent_call = gr.Button()
            picture = gr.Image(type="filepath", format="png")
            upload = gr.File(type="filepath")  # not gr.Image: a file that is not an image gets the library's sentence
            upload_digit = gr.Number(-1, minimum=-1, maximum=9, precision=0)
            captured = [gr.Textbox(), gr.Number(), gr.Number(), gr.Image(type="filepath"), gr.Image(type="filepath")]
            captured_row = gr.Gallery(format="png")
        agent_call.click(api.digits_picture, digit_inputs, picture, api_name="digits_picture", **LIGHT.queue)
        agent_call.click(api.number_picture, number_inputs, picture, api_name="number_picture", **LIGHT.queue)
        agent_call.click(api.hand_picture, hand_inputs, picture, api_name="hand_picture", **LIGHT.queue)
        hand_morph = [morph_digit_in, seed, seed_to, frames, neatness, *shape]
        agent_call.click(api.morph_digit, hand_morph, morphed, api_name="morph", **LIGHT.queue)
        digit_morph = [morph_digit_in, digit_to, seed, frames, neatness, *shape]
        agent_call.click(api.morph_digits, digit_morph, morphed, api_name="morph_digits", **LIGHT.queue)
        agent_call.click(
            api.capture_style, [upload, upload_digit], [*captured, captured_row], api_name="capture_style",
            **CAPTURE.queue,
        )  # fmt: skip
    api.files.records = demo.temp_file_sets  # Gradio's notes of the files it has served: each sweep prunes them
    demo.endpoints = api
    return demo


def launch(demo: gr.Blocks, **kwargs: Any) -> Any:
    """Start the server, with the MCP endpoint at /gradio_api/mcp/ (styling lives in ``launch`` since Gradio 6).

    kwargs go to ``demo.launch``.
    """
    return demo.launch(css=CSS, theme=gr.themes.Soft(), mcp_server=True, **kwargs)
