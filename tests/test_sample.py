import hashlib
import math
import os
import resource
import sys

import numpy as np
import pytest
import torch

from digitgen import generate, load_generator
from digitgen.classifier import read_digits
from digitgen.draw import noise, pixels
from digitgen.handwriting import write_number
from digitgen.malloc import USER_SETTINGS, keep_freed_memory
from digitgen.sample import MAX_SEED, morph, morph_digits, style_row
from digitgen.style import Style


@pytest.fixture(scope="module")
def generator():
    return load_generator()


def test_generate_shape_dtype(generator):
    images = generate(3, 1234, generator=generator)
    assert images.shape == (5, 28, 28) and images.dtype == np.uint8
    assert images.mean() < 80  # MNIST-like: mostly black background
    assert images.max() > 200  # with bright ink


def test_same_seed_same_images_bit_identical(generator):
    a = generate(7, 42, generator=generator)
    b = generate(7, 42, generator=generator)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, generate(7, 43, generator=generator))


def test_image_does_not_depend_on_its_batch(generator):
    """Eval-mode BatchNorm: an image is the same alone or among others."""
    z, y = noise(generator.z_dim, 6, 5), torch.arange(6)
    together = generator(z, y)
    alone = torch.cat([generator(z[i : i + 1], y[i : i + 1]) for i in range(6)])
    assert torch.allclose(together, alone, atol=1e-5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc tuning")
def test_large_requests_reuse_their_memory(generator):
    """After a first pass, sampling faults in next to no fresh pages (with glibc's defaults, about 17,000)."""
    if any(name in os.environ for name in USER_SETTINGS):
        pytest.skip("the user set glibc's thresholds")
    digits, z = torch.arange(10).repeat(103), noise(generator.z_dim, 1030, 0)
    pixels(generator, digits, z)
    assert keep_freed_memory()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    pixels(generator, digits, z)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 5000


def test_default_generator_is_used(generator):
    assert np.array_equal(generate(1, 5), generate(1, 5, generator=generator))


@pytest.mark.parametrize(
    "digit, seed, n, message",
    [
        (11, 0, 5, "digit must be a whole number from 0 to 9"),
        (-1, 0, 5, "digit"),
        (3.5, 0, 5, "digit"),
        ("seven", 0, 5, "digit"),
        (None, 0, 5, "digit"),
        (True, 0, 5, "digit"),
        (3, -1, 5, f"seed must be a whole number from 0 to {MAX_SEED}"),
        (3, 2**70, 5, "seed"),
        (3, math.nan, 5, "seed"),
        (3, 0, 10_000, "n must be a whole number from 1 to 100"),
        (3, 0, 0, "n"),
    ],
)
def test_bad_input_is_a_clear_error(generator, digit, seed, n, message):
    with pytest.raises(ValueError, match=message):
        generate(digit, seed, n=n, generator=generator)


def test_whole_floats_are_accepted(generator):
    assert np.array_equal(generate(3.0, 8.0, generator=generator), generate(3, 8, generator=generator))


def test_neatness_narrows_the_noise(generator):
    wild, neat = noise(64, 2000, 1, neatness=0.0), noise(64, 2000, 1, neatness=1.0)
    assert neat.abs().max() <= 0.5 + 1e-6 < wild.abs().max()
    with pytest.raises(ValueError, match="neatness must be a number from 0"):
        generate(3, 1, neatness=1.5, generator=generator)


def test_style_row_and_morph(generator):
    row = style_row(9, generator=generator)
    assert row.shape == (10, 28, 28) and np.array_equal(row, style_row(9, generator=generator))
    strip = morph(4, 1, 2, frames=6, generator=generator)
    assert strip.shape == (6, 28, 28)
    assert np.array_equal(strip[0], generate(4, 1, n=1, generator=generator)[0])  # starts at seed 1's style


def test_a_digit_morph_is_one_hand_turning_from_one_digit_into_another(generator):
    row = style_row(5, generator=generator)
    strip = morph_digits(3, 8, 5, frames=9, generator=generator)
    assert strip.shape == (9, 28, 28) and np.array_equal(strip, morph_digits(3, 8, 5, 9, generator=generator))
    assert np.array_equal(strip[0], row[3]) and np.array_equal(strip[-1], row[8])  # the hand's own 3 and 8
    readings = [d for d, _ in read_digits(strip)]
    assert readings[0] == 3 and readings[-1] == 8 and set(readings) <= {3, 8, 5, 9}
    assert not np.array_equal(strip[4], strip[0]) and not np.array_equal(strip[4], strip[-1])  # in between
    hand = Style.of(noise(generator.z_dim, 1, 77)[0], generator)  # a captured hand, by its code
    assert np.array_equal(
        morph_digits(2, 6, hand.code, 4, generator=generator)[-1], generate(6, hand, 1, generator=generator)[0]
    )
    with pytest.raises(ValueError, match="digit must be a whole number from 0 to 9"):
        morph_digits(3, 10, 5, generator=generator)
    with pytest.raises(ValueError, match="frames must be a whole number from 2 to 64"):
        morph_digits(3, 8, 5, frames=1, generator=generator)


def test_write_number_layout(generator):
    from digitgen.handwriting import write_number

    lines = write_number("2026", 3, n=2, generator=generator)
    assert len(lines) == 2 and all(line.shape[0] == 36 and line.dtype == np.uint8 for line in lines)
    assert np.array_equal(lines[0], write_number("2026", 3, n=2, generator=generator)[0])
    with pytest.raises(ValueError, match="type up to 32 digits"):
        write_number("20x6", 3, generator=generator)


# A digest of the shipped weights' output for known seeds: refactoring must not move a pixel. When new
# weights ship, this moves with them in the same commit.
SHIPPED_DIGEST = "eb1c61dee48ba3d4766424270998a352bac863f6e02e85745c36ab6ad55e59ca"


def test_the_shipped_weights_write_what_they_always_wrote(generator):
    digest = hashlib.sha256()
    for digit in range(10):
        digest.update(generate(digit, 2026, n=8, generator=generator).tobytes())
    digest.update(style_row(7, neatness=0.5, generator=generator).tobytes())
    digest.update(morph(3, 1, 2, 6, generator=generator).tobytes())
    for line in write_number("2026", 11, generator=generator):
        digest.update(line.tobytes())
    assert digest.hexdigest() == SHIPPED_DIGEST
