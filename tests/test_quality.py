"""The shipped weights write the asked digit, in more than one style (the meter on 500 per digit)."""

import pytest

from digitgen import load_generator
from digitgen.data import load_mnist
from digitgen.evaluate import figures, generated_set


@pytest.fixture(scope="module")
def shipped_figures(data_root):
    fake = generated_set(load_generator(), 500, seed=123)
    reference = load_mnist(data_root, train=False).per_digit(500)
    real = load_mnist(data_root, train=True).per_digit(500)
    return figures(fake.images, fake.labels, reference), figures(real.images, real.labels, reference)


def test_shipped_weights_write_the_asked_digit(shipped_figures):
    fake, _ = shipped_figures
    assert min(fake["per_digit_accuracy"]) >= 0.95, fake["per_digit_accuracy"]


def test_shipped_weights_are_varied_not_collapsed(shipped_figures):
    fake, real = shipped_figures
    assert fake["recall"] >= 0.6 and fake["precision"] >= 0.6
    assert fake["diversity"] >= 0.8 * real["diversity"]
    assert fake["fid"] <= 5 * real["fid"]
