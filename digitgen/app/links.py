"""Links that reproduce a result: the page's state in its address, e.g. ``/?tab=digit&digit=3&seed=99``.

On load the app reads the link (``from_query``), sets the controls and shows what that tab shows;
from then on the page keeps its address current (``KEEP_CURRENT_JS``), so a copied address opens
exactly the same digits. A value that is not valid opens on the default, with a note saying so.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from digitgen.draw import DEFAULT_NEATNESS
from digitgen.handwriting import check_number
from digitgen.sample import check_digit, check_int, check_neatness, check_seed
from digitgen.shape import CONTROLS, Shape

TABS = {"digit": "Digit", "number": "Write a number", "hand": "Same hand, every digit", "morph": "Morph",
        "yours": "Your hand", "dataset": "Synthetic MNIST"}  # fmt: skip
SLIDER_MAX_FRAMES = 32  # the Frames slider's top: a strip the page shows in a few rows (the library takes up to 64)
NEATNESS_STEP = 0.05  # the Neatness slider's step
SHAPE_STEP = 0.05  # the Thickness, Slant and Width sliders' step
MORPHS = {"hand": "to another hand", "digit": "to another digit"}  # what a morph changes, and its label
MAX_LENGTH = 40  # longer than any good value (a 32-character number, a float's repr)


@dataclasses.dataclass(frozen=True)
class PageState:
    """What a link holds: the tab, and every control that decides what the tabs show."""

    tab: str = "digit"
    digit: int = 7
    seed: int = 42
    neatness: float = DEFAULT_NEATNESS
    text: str = "2026"
    morph_digit: int = 7
    seed_to: int = 7
    frames: int = 10
    thickness: float = 0.0
    slant: float = 0.0
    width: float = 0.0
    morph_to: str = "hand"
    digit_to: int = 1


def whole(check: Callable[[object], int]) -> Callable[[str], int]:
    """A parser for a whole number written in a link, checked as the library checks it."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
        return check(value)

    return parse


def parse_tab(text: str) -> str:
    if text not in TABS:
        raise ValueError(f"there is no tab {text!r} (tabs: {', '.join(TABS)})")
    return text


def on_slider(name: str, check: Callable[[float], object], allowed: str, step: float) -> Callable[[str], float]:
    """A parser for a slider's value: the exact number the slider had (so the link redraws the same
    bits), allowed by ``check`` and on one of the slider's steps."""

    def parse(text: str) -> float:
        try:
            value = float(text)
            check(value)
        except ValueError:
            raise ValueError(f"{name} must be a number from {allowed}, got {text!r}") from None
        if not math.isclose(value / step, round(value / step), abs_tol=1e-6):
            raise ValueError(f"{name} moves in steps of {step}, got {text!r}")
        return value

    return parse


def parse_morph(text: str) -> str:
    if text not in MORPHS:
        raise ValueError(f"a morph goes to another {' or '.join(MORPHS)}, got {text!r}")
    return text


PARSERS: dict[str, Callable[[str], Any]] = {
    "tab": parse_tab,
    "digit": whole(check_digit),
    "seed": whole(check_seed),
    "neatness": on_slider("neatness", check_neatness, "0 to 1", NEATNESS_STEP),
    "text": check_number,
    "morph_digit": whole(check_digit),
    "seed_to": whole(check_seed),
    "frames": whole(lambda n: check_int(n, "frames", 2, SLIDER_MAX_FRAMES)),
    **{name: on_slider(name, lambda v, n=name: Shape(**{n: v}), "-1 to 1", SHAPE_STEP) for name in CONTROLS},
    "morph_to": parse_morph,
    "digit_to": whole(check_digit),
}
FIELDS = list(PARSERS)  # the order of the controls handed to the page's scripts


def from_query(query: Mapping[str, str]) -> tuple[PageState, str]:
    """The state a link asks for, and a note naming each value that was not valid (else ``""``)."""
    default, values, notes = PageState(), {}, []
    for name, parse in PARSERS.items():
        if name not in query:
            continue
        text = query[name]
        try:
            if len(text) > MAX_LENGTH:
                raise ValueError("longer than any value it can take")
            values[name] = parse(text)
        except ValueError as e:
            shown = (text if len(text) <= MAX_LENGTH else text[:MAX_LENGTH] + "…").replace("`", "'")
            notes.append(f"`{name}={shown}` ({e}): showing {getattr(default, name)!r} instead")
    note = "⚠️ This link had values the app cannot use. " + "; ".join(notes) + "." if notes else ""
    return PageState(**values), note


# The address of the state on screen: the controls' values, in FIELDS' order, as query parameters.
# Other parameters (Gradio's own, like __theme) are kept.
LINK_JS = f"""(...values) => {{
    const url = new URL(window.location.href);
    {json.dumps(FIELDS)}.forEach((name, i) => url.searchParams.set(name, String(values[i])));
    return url.toString();
}}"""
KEEP_CURRENT_JS = f"(...values) => {{ window.history.replaceState(null, '', ({LINK_JS})(...values)); }}"
# Copy the link; the button says so for two seconds (or shows the link where the clipboard is refused).
COPY_JS = f"""(...values) => {{
    const link = ({LINK_JS})(...values);
    window.history.replaceState(null, '', link);
    const button = document.querySelector('#copy-link');
    const say = (text) => {{ const old = button.textContent; button.textContent = text;
                              setTimeout(() => {{ button.textContent = old; }}, 2000); }};
    navigator.clipboard.writeText(link).then(() => say('✓ Link copied'), () => window.prompt('Copy this link', link));
}}"""
