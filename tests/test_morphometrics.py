"""Morpho-MNIST's measurements against strokes drawn with a known thickness, slant and size."""

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitgen.data import load_mnist
from digitgen.morphometrics import ATTRIBUTES, measure

ZOOM = 10  # strokes are drawn 10× larger and shrunk, so their edges are soft like MNIST's


def stroke(thickness: float, slant: float = 0.0, length: float = 16.0) -> np.ndarray:
    """A straight stroke with round ends through the middle of a 28 × 28 image, ``thickness`` pixels
    wide and ``length`` high between its ends' centres, leaning ``slant`` radians to the right."""
    page = Image.new("L", (28 * ZOOM, 28 * ZOOM), 0)
    half = length / 2 * ZOOM
    dx = half * math.tan(slant)
    centre = 14 * ZOOM
    top, bottom = (centre + dx, centre - half), (centre - dx, centre + half)
    pen, r = ImageDraw.Draw(page), thickness * ZOOM / 2
    pen.line([top, bottom], fill=255, width=round(thickness * ZOOM))
    for x, y in (top, bottom):
        pen.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return np.asarray(page.resize((28, 28), Image.Resampling.BOX))


@pytest.mark.parametrize("thickness", [2.5, 3.0, 4.0, 5.0])
def test_thickness_is_the_strokes_width(thickness):
    assert measure(stroke(thickness))["thickness"][0] == pytest.approx(thickness, abs=0.25)


def test_thickness_orders_strokes():
    """Strokes thinner than 2 pixels all read about 2: the upscaling's blur widens them, as in the paper."""
    widths = [measure(stroke(t))["thickness"][0] for t in (2.0, 2.5, 3.0, 4.0, 5.0)]
    assert widths == sorted(widths) and widths[0] == pytest.approx(2.0, abs=0.25)


@pytest.mark.parametrize("slant", [-0.4, -0.2, 0.0, 0.2, 0.4])
def test_slant_is_the_lean_in_radians(slant):
    """Positive slant leans to the right, as Morpho-MNIST counts it."""
    assert measure(stroke(2.5, slant))["slant"][0] == pytest.approx(slant, abs=0.04)


def test_height_length_and_area_of_an_upright_stroke():
    m = measure(stroke(3.0, 0.0, length=18.0))
    assert m["height"][0] == pytest.approx(18 + 3, abs=1.0)  # the round ends add the pen's width
    assert m["length"][0] == pytest.approx(18.0, abs=1.5)
    assert m["area"][0] == pytest.approx(18 * 3 + math.pi * 1.5**2, rel=0.15)


def test_width_and_height_of_a_ring():
    """A 0 drawn as an ellipse 12 pixels wide and 18 high (outer edge) measures 12 × 18."""
    page = Image.new("L", (28 * ZOOM, 28 * ZOOM), 0)
    ImageDraw.Draw(page).ellipse([8 * ZOOM, 5 * ZOOM, 20 * ZOOM, 23 * ZOOM], outline=255, width=25)
    m = measure(np.asarray(page.resize((28, 28), Image.Resampling.BOX)))
    assert m["width"][0] == pytest.approx(12, abs=1.0) and m["height"][0] == pytest.approx(18, abs=1.0)
    assert abs(m["slant"][0]) < 0.02


def test_a_slanted_stroke_is_narrow_once_its_slant_is_taken_out():
    """The bounding parallelogram leans with the digit: a slanted bar is as narrow as an upright one."""
    upright, slanted = measure(np.stack([stroke(3.0, 0.0), stroke(3.0, 0.35)]))["width"]
    assert slanted == pytest.approx(upright, abs=0.6)


def test_a_batch_measures_each_digit_and_a_blank_one_is_nan():
    images = np.stack([stroke(2.0), np.zeros((28, 28), np.uint8), stroke(4.0)])
    m = measure(images)
    assert set(m) == set(ATTRIBUTES) and all(len(v) == 3 for v in m.values())
    assert np.isnan(m["thickness"][1]) and m["thickness"][0] < m["thickness"][2]


def test_mnist_digits_measure_like_the_paper(data_root):
    """Morpho-MNIST reports MNIST's thickness about 2–3 pixels and slant within ±0.5 rad for most digits."""
    m = measure(load_mnist(data_root, train=False).images[:200].numpy())
    assert 1.8 < np.median(m["thickness"]) < 3.5
    assert np.all(np.abs(m["slant"]) < 1.0)
    assert 10 < np.median(m["height"]) < 22
