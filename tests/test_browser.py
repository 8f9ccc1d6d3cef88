"""End to end in a real headless Chromium: pick a digit, move the seed, generate, see five images;
draw a digit with the mouse and get ten in that hand."""

from __future__ import annotations

import contextlib

LOADED = "[...document.querySelectorAll('#digits img')].filter(i => i.complete && i.naturalWidth === 28)"


def gallery_sources(page) -> list[str]:
    """The five image URLs once every queued generation has finished and the images have loaded."""
    page.wait_for_function("!document.body.innerText.includes('queue:')", timeout=30_000)
    page.wait_for_function(f"{LOADED}.length === 5", timeout=30_000)
    return page.locator("#digits img").evaluate_all("imgs => imgs.map(i => i.src)")


@contextlib.contextmanager
def app_page(app_url: str, chromium: str, width: int = 1280, height: int = 900):
    """The app open in a fresh headless Chromium (no network beyond localhost), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(app_url)
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
    from playwright.sync_api import expect

    with app_page(app_url, chromium, height=1000) as page:
        page.get_by_role("tab", name="Your hand").click()
        page.locator("#canvas").get_by_role("button", name="Brush").first.click()  # as the canvas asks
        canvas = page.locator("#canvas canvas").last
        expect(canvas).to_be_visible(timeout=30_000)
        box = canvas.bounding_box()
        x, y, w, h = box["x"], box["y"], box["width"], box["height"]
        page.mouse.move(x + 0.3 * w, y + 0.2 * h)  # a 7: the bar, then the stem
        page.mouse.down()
        for fx, fy in ((0.5, 0.2), (0.7, 0.2), (0.62, 0.45), (0.55, 0.65), (0.48, 0.85)):
            page.mouse.move(x + fx * w, y + fy * h, steps=8)
        page.mouse.up()
        page.get_by_role("button", name="Capture my hand").click()
        ten = page.locator("#hand-row img")
        expect(ten).to_have_count(10, timeout=60_000)
        loaded = "[...document.querySelectorAll('#hand-row img')].filter(i => i.complete && i.naturalWidth === 28)"
        page.wait_for_function(f"{loaded}.length === 10", timeout=30_000)
        code = page.locator("#style-code textarea").input_value()
        page.screenshot(path=str(tmp_path / "your_hand.png"), full_page=True)
    assert code.startswith("dg1.")
