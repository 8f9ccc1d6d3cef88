"""End to end in a real headless Chromium: pick a digit, move the seed, generate, see five images;
draw a digit with the mouse and get ten in that hand; the page on a phone; links that reproduce."""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow  # a real browser

PHONE = {"width": 390, "height": 844}  # an iPhone 12–15's CSS pixels
DESKTOP = {"width": 1280, "height": 900}

LOADED = "[...document.querySelectorAll('#digits img')].filter(i => i.complete && i.naturalWidth === 28)"


def gallery_sources(page) -> list[str]:
    """The five image URLs once every queued generation has finished and the images have loaded."""
    page.wait_for_function("!document.body.innerText.includes('queue:')", timeout=30_000)
    page.wait_for_function(f"{LOADED}.length === 5", timeout=30_000)
    return page.locator("#digits img").evaluate_all("imgs => imgs.map(i => i.src)")


def pixels(page, selector: str) -> np.ndarray:
    """The images a gallery shows, fetched as the browser fetched them: (n, height, width) uint8."""
    sources = page.locator(f"{selector} img").evaluate_all("imgs => imgs.map(i => i.src)")
    return np.stack([np.asarray(Image.open(io.BytesIO(page.request.get(src).body()))) for src in sources])


@contextlib.contextmanager
def app_page(app_url: str, chromium: str, width: int = 1280, height: int = 900, query: str = "", phone: bool = False):
    """The app open in a fresh headless Chromium (no network beyond localhost), closed afterwards;
    ``phone``: a touch screen of PHONE's size, as Chromium's mobile emulation has it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        screen = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 3} if phone else {}
        context = browser.new_context(**({"viewport": {"width": width, "height": height}} | screen))
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.goto(app_url + query)
        yield page
        browser.close()


def test_pick_digit_move_seed_generate(app_url, chromium, tmp_path):
    from playwright.sync_api import expect

    with app_page(app_url, chromium) as page:
        images = page.locator("#digits img")
        expect(images).to_have_count(5, timeout=30_000)  # the page generates on load

        page.get_by_label("3", exact=True).first.check()
        seed_box = page.get_by_label("number input for Seed")
        seed_box.fill("1234")
        seed_box.press("Enter")
        page.get_by_role("button", name="Generate", exact=True).click()
        expect(page.locator("#digits").get_by_text("3 ·").first).to_be_visible(timeout=30_000)
        first = gallery_sources(page)
        page.screenshot(path=str(tmp_path / "seed1234.png"), full_page=True)

        seed_box.fill("1235")
        seed_box.press("Enter")
        page.get_by_role("button", name="Generate", exact=True).click()
        page.wait_for_function(
            f"old => {{ const s = {LOADED}.map(i => i.src); return s.length === 5 && s.some(x => !old.includes(x)); }}",
            arg=first,
            timeout=30_000,
        )
        second = gallery_sources(page)
        assert page.locator("#digits").get_by_text("3 ·").count() >= 1  # captions: what the classifier reads
        page.screenshot(path=str(tmp_path / "seed1235.png"), full_page=True)
    assert len(first) == len(second) == 5 and first != second
    assert (tmp_path / "seed1235.png").stat().st_size > 10_000


def test_draw_a_digit_with_the_mouse_and_get_ten_in_that_hand(app_url, chromium, tmp_path):
    """The tab opens on an example hand and a canvas ready to draw on: no tool to find first."""
    from playwright.sync_api import expect

    with app_page(app_url, chromium, height=1000) as page:
        page.get_by_role("tab", name="Your hand").click()
        code_box = page.locator("#style-code textarea")
        expect(code_box).to_have_value(re.compile(r"^dg1\."), timeout=60_000)  # the example's hand
        example = code_box.input_value()
        expect(page.locator("#hand-row img")).to_have_count(10)
        canvas = page.locator("#canvas canvas").last
        expect(page.locator('#canvas button[aria-label="Brush"]')).to_have_class(re.compile("highlight"))
        box = canvas.bounding_box()
        x, y, w, h = box["x"], box["y"], box["width"], box["height"]
        page.mouse.move(x + 0.3 * w, y + 0.2 * h)  # a 7: the bar, then the stem
        page.mouse.down()
        for fx, fy in ((0.5, 0.2), (0.7, 0.2), (0.62, 0.45), (0.55, 0.65), (0.48, 0.85)):
            page.mouse.move(x + fx * w, y + fy * h, steps=8)
        page.mouse.up()
        page.get_by_role("button", name="Capture my hand").click()
        expect(code_box).not_to_have_value(example, timeout=60_000)
        loaded = "[...document.querySelectorAll('#hand-row img')].filter(i => i.complete && i.naturalWidth === 28)"
        page.wait_for_function(f"{loaded}.length === 10", timeout=30_000)
        code = code_box.input_value()
        page.screenshot(path=str(tmp_path / "your_hand.png"), full_page=True)
    assert code.startswith("dg1.") and code != example


def test_a_link_to_your_hand_opens_on_the_example_ready_to_draw(app_url, chromium):
    from playwright.sync_api import expect

    with app_page(app_url, chromium, query="?tab=yours") as page:
        expect(page.locator("#hand-row img")).to_have_count(10, timeout=60_000)
        expect(page.locator('#canvas button[aria-label="Brush"]')).to_have_class(re.compile("highlight"))


def row_becomes(page, expected: np.ndarray, seconds: float = 60) -> np.ndarray:
    """The Your hand tab's ten digits once they equal ``expected``, or as they are when ``seconds`` run out."""
    deadline = time.monotonic() + seconds
    while True:
        loaded = "[...document.querySelectorAll('#hand-row img')].filter(i => i.complete && i.naturalWidth > 0)"
        page.wait_for_function(f"{loaded}.length === 10", timeout=60_000)
        shown = pixels(page, "#hand-row")
        if np.array_equal(shown, expected) or time.monotonic() > deadline:
            return shown
        page.wait_for_timeout(250)


def test_the_captured_hand_follows_the_shape_controls(app_url, chromium, demo):
    """A link to Your hand with a thickness: the example hand's ten digits are drawn that thick, and
    as captured again when the control returns to 0."""
    from digitgen.sample import style_row

    g, code_box = demo.endpoints.generator, "#style-code textarea"
    with app_page(app_url, chromium, query="?tab=yours&thickness=1") as page:
        page.wait_for_function(f"document.querySelector('{code_box}')?.value?.startsWith('dg1.')", timeout=60_000)
        code = page.locator(code_box).input_value()
        thick = row_becomes(page, style_row(code, thickness=1, generator=g))
        box = page.get_by_label("number input for Thickness (thin → thick)")
        box.fill("0")
        box.press("Enter")
        plain = row_becomes(page, style_row(code, generator=g))
    assert np.array_equal(thick, style_row(code, thickness=1, generator=g))
    assert np.array_equal(plain, style_row(code, generator=g))


def test_every_tab_shows_a_result_the_first_time_it_opens(app_url, chromium):
    from playwright.sync_api import expect

    shown = {"Write a number": ("#number img", 5), "Same hand, every digit": ("#same-hand img", 10),
             "Morph": ("#frames img", 10), "Synthetic MNIST": ("#dataset-preview img", 1)}  # fmt: skip
    with app_page(app_url, chromium) as page:
        for tab, (images, count) in shown.items():
            page.get_by_role("tab", name=tab).click()
            expect(page.locator(images)).to_have_count(count, timeout=60_000)


def boxes(page, selector: str) -> list[dict[str, float]]:
    return page.locator(selector).evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())")


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("phone", [True, False], ids=["phone", "desktop"])
def test_all_five_digits_in_view_with_nothing_on_them(app_url, chromium, phone, tmp_path):
    """On a phone and a desktop: the five digits side by side inside the screen, big enough to see
    the strokes, the label above them and each caption under its image."""
    with app_page(app_url, chromium, phone=phone) as page:
        gallery_sources(page)
        page.locator("#digits").scroll_into_view_if_needed()
        width, height = page.viewport_size["width"], page.viewport_size["height"]
        images, captions = boxes(page, "#digits img"), boxes(page, "#digits .caption-label")
        (label,) = boxes(page, "#digits [data-testid='block-label']")
        page.screenshot(path=str(tmp_path / "digit_tab.png"), full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert len(images) == len(captions) == 5 and scroll_width <= width  # no sideways scrolling
    assert all(b["left"] >= 0 and b["right"] <= width and b["top"] >= 0 and b["bottom"] <= height for b in images)
    assert all(b["width"] >= 56 for b in images)  # twice MNIST's 28 pixels at least: strokes are visible
    assert not any(overlap(a, b) for i, a in enumerate(images) for b in images[i + 1 :])
    assert not any(overlap(label, b) for b in images + captions)
    assert not any(overlap(c, b) for c in captions for b in images)
    assert all(c["top"] >= b["bottom"] - 1 for c, b in zip(captions, images, strict=True))  # each under its image
    assert width < 500 or images[0]["bottom"] - label["top"] < 320  # the desktop: no empty band under the digits


def test_a_link_opens_on_its_digits_and_the_address_follows_the_page(app_url, chromium, demo):
    from playwright.sync_api import expect

    from digitgen import generate

    with app_page(app_url, chromium, query="?digit=3&seed=99", phone=True) as page:
        gallery_sources(page)
        assert np.array_equal(pixels(page, "#digits"), generate(3, 99, generator=demo.endpoints.generator))
        expect(page.locator("#link-note")).to_be_hidden()
        first = gallery_sources(page)
        page.locator("#next-seed").click()  # ▶: the neighbouring seed
        page.wait_for_function(
            f"old => {{ const s = {LOADED}.map(i => i.src); return s.length === 5 && s.some(x => !old.includes(x)); }}",
            arg=first,
            timeout=30_000,
        )
        gallery_sources(page)
        assert np.array_equal(pixels(page, "#digits"), generate(3, 100, generator=demo.endpoints.generator))
        page.wait_for_url("**seed=100**", timeout=30_000)  # set a moment after the digits, as above
        query = parse_qs(urlsplit(page.url).query)
        assert (query["tab"], query["digit"], query["seed"]) == (["digit"], ["3"], ["100"])
        page.locator("#copy-link").click()
        expect(page.locator("#copy-link")).to_have_text("✓ Link copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.url
        page.goto(copied)  # the copied link opens on exactly the digits that were on screen
        gallery_sources(page)
        assert np.array_equal(pixels(page, "#digits"), generate(3, 100, generator=demo.endpoints.generator))


def test_a_link_to_a_tab_shows_that_tabs_result(app_url, chromium, demo):
    from digitgen.handwriting import write_number

    with app_page(app_url, chromium, query="?tab=number&text=12%2034&seed=5", phone=True) as page:
        page.wait_for_function(
            "[...document.querySelectorAll('#number img')].filter(i => i.complete && i.naturalWidth > 0).length === 5",
            timeout=30_000,
        )
        shown = [np.asarray(Image.open(io.BytesIO(page.request.get(src).body()))) for src in
                 page.locator("#number img").evaluate_all("imgs => imgs.map(i => i.src)")]  # fmt: skip
        assert page.get_by_role("tab", name="Write a number").get_attribute("aria-selected") == "true"
    expected = write_number("12 34", 5, n=5, generator=demo.endpoints.generator)
    assert all(np.array_equal(a, b) for a, b in zip(shown, expected, strict=True))


def test_a_link_to_a_digit_morph_with_a_shape_opens_the_controls_and_shows_those_frames(app_url, chromium, demo):
    from playwright.sync_api import expect

    from digitgen.sample import morph_digits

    link = "?tab=morph&morph_to=digit&morph_digit=3&digit_to=8&seed=5&frames=6&thickness=0.5"
    with app_page(app_url, chromium, query=link, phone=True) as page:
        page.wait_for_function(
            "[...document.querySelectorAll('#frames img')].filter(i => i.complete && i.naturalWidth > 0).length === 6",
            timeout=30_000,
        )
        shown = pixels(page, "#frames")
        expect(page.get_by_label("number input for Thickness (thin → thick)")).to_be_visible()  # the controls open
        expect(page.get_by_text("Morph to digit")).to_be_visible()
        expect(page.get_by_text("Morph to seed")).to_be_hidden()
    assert np.array_equal(shown, morph_digits(3, 8, 5, 6, thickness=0.5, generator=demo.endpoints.generator))


def test_the_shape_controls_wait_folded_and_reshape_the_digits(app_url, chromium, demo):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    from digitgen import generate

    with app_page(app_url, chromium) as page:
        first = gallery_sources(page)
        slant = page.get_by_label("number input for Slant (leaning left → leaning right)")
        expect(slant).to_be_hidden()  # folded: the page opens on the digits
        page.get_by_text("Shape: thickness, slant, width").click()
        # A value typed the instant the section first opens can reach the slider before Gradio
        # listens to it (seen in about one run in ten here and in CI; no person types that fast):
        # then the address never follows. So set 0 and -0.75 again until it does. The address
        # follows a moment after the change, so it is waited for, not read once.
        for attempt in range(3):
            slant.fill("-0.75")
            slant.press("Enter")
            try:
                page.wait_for_url("**slant=-0.75**", timeout=10_000)  # the link keeps it
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
                slant.fill("0")
                slant.press("Enter")
        page.wait_for_function(f"!{json.dumps(first)}.includes(document.querySelector('#digits img').src)")
        gallery_sources(page)
        shown = pixels(page, "#digits")
    assert np.array_equal(shown, generate(7, 42, slant=-0.75, generator=demo.endpoints.generator))


def test_a_link_with_junk_opens_on_the_defaults_with_a_note(app_url, chromium, demo):
    from playwright.sync_api import expect

    from digitgen import generate

    junk = "?tab=nowhere&digit=eleven&seed=-4&neatness=0.33&frames=99&text=abc"
    with app_page(app_url, chromium, query=junk, phone=True) as page:
        note = page.locator("#link-note")
        expect(note).to_be_visible(timeout=30_000)
        gallery_sources(page)
        assert np.array_equal(pixels(page, "#digits"), generate(7, 42, generator=demo.endpoints.generator))
        text = note.inner_text()
        query = parse_qs(urlsplit(page.url).query)
    for name in ("tab=nowhere", "digit=eleven", "seed=-4", "neatness=0.33", "frames=99", "text=abc"):
        assert name in text
    assert (query["digit"], query["seed"], query["tab"]) == (["7"], ["42"], ["digit"])  # the address now reads true
