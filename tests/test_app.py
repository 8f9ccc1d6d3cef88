"""The app launched for real on a free localhost port, called through gradio_client."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client
from PIL import Image, ImageDraw, ImageFilter
from test_capture import png_claiming

from digitgen import generate
from digitgen.sample import morph_digits, style_row


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def images_of(result) -> list[np.ndarray]:
    return [np.asarray(Image.open(item["image"])) for item in result]


def test_generate_returns_five_mnist_sized_images(client):
    images = images_of(client.predict(7, 42, api_name="/generate"))
    assert len(images) == 5
    assert all(img.shape == (28, 28) and img.dtype == np.uint8 for img in images)


def test_same_seed_same_images(client):
    a = images_of(client.predict(3, 1234, api_name="/generate"))
    b = images_of(client.predict(3, 1234, api_name="/generate"))
    c = images_of(client.predict(3, 1235, api_name="/generate"))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_api_matches_the_library(client, demo):
    from digitgen import generate

    api = np.stack(images_of(client.predict(9, 7, api_name="/generate")))
    assert np.array_equal(api, generate(9, 7, generator=demo.endpoints.generator))  # PNG is lossless


def test_random_seed_endpoint(client):
    seeds = {client.predict(api_name="/random_seed") for _ in range(3)}
    assert all(isinstance(s, int) and 0 <= s < 2**31 for s in seeds) and len(seeds) > 1


@pytest.mark.parametrize(
    "digit, seed, message",
    [
        (11, 0, "not in the list of choices"),
        (-1, 0, "not in the list of choices"),
        (3.5, 0, "not in the list of choices"),
        ("seven", 0, "not in the list of choices"),
        (None, 0, "digit must be a whole number from 0 to 9"),
        (3, -1, "less than minimum value 0"),
        (3, 3.5, "seed must be a whole number from 0 to 2147483647, got 3.5"),
        (3, float("nan"), "not JSON compliant"),  # refused by the client before it is sent
        (3, 2**64, "greater than maximum value"),
    ],
)
def test_bad_input_is_a_clear_error_and_the_server_keeps_serving(client, digit, seed, message):
    with pytest.raises(Exception, match=message):
        client.predict(digit, seed, api_name="/generate")
    assert len(client.predict(1, 1, api_name="/generate")) == 5


def test_nan_seed_reaching_the_function_is_a_clear_error(demo):
    import gradio as gr

    with pytest.raises(gr.Error, match="seed must be a whole number"):
        demo.endpoints.generate(3, float("nan"))


def test_captions_say_what_the_classifier_reads(client):
    result = client.predict(7, 42, 0.5, api_name="/generate")
    assert all(re.fullmatch(r"[0-9] · \d{1,3}\.\d%", item["caption"]) for item in result)


def test_export_png_grid_and_zip_of_mnist_sized_pngs(client):
    import zipfile

    grid_path, zip_path = client.predict(2, 5, 0.5, api_name="/export")
    gallery = np.stack(images_of(client.predict(2, 5, 0.5, api_name="/generate")))
    assert np.asarray(Image.open(grid_path)).shape == (32, 152)  # 5 images of 28 px, 2 px gaps
    with zipfile.ZipFile(zip_path) as zf:
        names = sorted(zf.namelist())
        assert names == [f"digit2_seed5_{i}.png" for i in range(1, 6)]
        pngs = np.stack([np.asarray(Image.open(zf.open(n))) for n in names])
    assert np.array_equal(pngs, gallery)


def test_write_number(client):
    a = images_of(client.predict("2026", 11, 0.5, api_name="/write_number"))
    b = images_of(client.predict("2026", 11, 0.5, api_name="/write_number"))
    assert len(a) == 5 and all(img.shape[0] == 36 and 4 * 14 < img.shape[1] < 4 * 34 for img in a)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    spaced = images_of(client.predict("20 26", 11, 0.5, api_name="/write_number"))
    assert spaced[0].shape[1] > a[0].shape[1]


@pytest.mark.parametrize("text", ["12a4", "", "   ", "7" * 500, "-5", "3.14"])
def test_write_number_bad_input(client, text):
    with pytest.raises(Exception, match="type up to 32 digits"):
        client.predict(text, 1, 0.5, api_name="/write_number")


def test_same_hand_row(client):
    result = client.predict(42, 0.5, api_name="/same_hand")
    images = images_of(result)
    assert len(images) == 10 and all(img.shape == (28, 28) for img in images)
    assert images_of(client.predict(42, 0.5, api_name="/same_hand"))[3].tobytes() == images[3].tobytes()


def test_morph_strip_and_gif(client):
    frames, gif = client.predict(3, 1, 2, 8, 0.5, api_name="/morph")
    images = images_of(frames)
    assert len(images) == 8 and all(img.shape == (28, 28) for img in images)
    assert not np.array_equal(images[0], images[-1])
    animation = Image.open(gif)
    assert animation.format == "GIF" and animation.n_frames == 14  # there and back


def test_digit_morph_and_shape_controls_through_the_api(client, demo):
    g = demo.endpoints.generator
    frames, gif = client.predict(3, 8, 5, 6, 0.0, api_name="/morph_digits")
    images = images_of(frames)
    assert np.array_equal(np.stack(images), morph_digits(3, 8, 5, 6, generator=g))
    assert Image.open(gif).n_frames == 10
    bold = images_of(client.predict(4, 9, 0.0, 1.0, -0.5, 0.0, api_name="/generate"))
    assert np.array_equal(np.stack(bold), generate(4, 9, generator=g, thickness=1.0, slant=-0.5))
    thin_hand = images_of(client.predict(42, 0.0, -1.0, 0.0, 0.0, api_name="/same_hand"))
    assert np.array_equal(np.stack(thin_hand), style_row(42, generator=g, thickness=-1.0))


@pytest.mark.parametrize(
    "args, api_name, message",
    [
        ((7, 42, 1.5), "/generate", "greater than maximum value 1"),
        ((7, 42, 0.0, 1.5, 0.0, 0.0), "/generate", "greater than maximum value 1"),
        ((3, 11, 5, 6, 0.0), "/morph_digits", "not in the list of choices"),
        ((7, 42, -0.1), "/generate", "less than minimum value 0"),
        ((42, -3), "/same_hand", "less than minimum value 0"),
        ((3, 1, 2, 500, 0.5), "/morph", "greater than maximum value 32"),
        ((3, 1, 2, 2.5, 0.5), "/morph", "frames must be a whole number"),
        ((12, 1, 2, 8, 0.5), "/morph", "not in the list of choices"),
        (("2026", -1, 0.5), "/write_number", "less than minimum value 0"),
    ],
)
def test_bad_input_on_every_endpoint(client, args, api_name, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name=api_name)
    assert len(client.predict(1, 1, 0.5, api_name="/generate")) == 5


def test_images_are_served_from_the_apps_files_without_a_copy_and_the_sweep_knows_gradios_records(app_url, demo):
    """One file per image: Gradio serves ours from inside its cache instead of copying them, and the
    sweep (tested in test_app_files.py) prunes the records Gradio keeps of them."""
    import threading

    result = Client(app_url, verbose=False, download_files=False).predict(4, 2024, api_name="/generate")
    served = [item["image"]["path"] for item in result]
    assert all(Path(path).parent == demo.endpoints.files.folder and Path(path).is_file() for path in served)
    assert all(any(path in record for record in demo.endpoints.files.records) for path in served)
    assert demo.endpoints.files.records is demo.temp_file_sets and demo.delete_cache is None
    workers = {thread.name for thread in threading.enumerate() if thread.name.startswith("digitgen")}
    lanes = {name.rsplit("_", 1)[0] for name in workers}
    assert "digitgen-light" in lanes and lanes <= {"digitgen-light", "digitgen-capture", "digitgen-dataset"}
    assert len(workers) <= 5  # the events ran on the app's own few threads, not Gradio's pool of 40


def test_a_digit_is_not_queued_behind_heavy_work(app_url):
    """Two datasets and a capture are running or queued: the five digits still come first."""
    import time

    from gradio_client import handle_file
    from gradio_client.utils import Status

    seven = drawn_seven(Path(tempfile.mkdtemp()) / "seven.png", "black", "white")
    heavy = [Client(app_url, verbose=False).submit(300, k, 0, api_name="/dataset") for k in range(2)]
    heavy.append(Client(app_url, verbose=False).submit(handle_file(str(seven)), -1, api_name="/capture_style"))
    deadline = time.monotonic() + 60
    while heavy[0].status().code != Status.PROCESSING and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(Client(app_url, verbose=False).predict(7, 42, api_name="/generate")) == 5
    assert not any(job.done() for job in heavy[:2])  # the datasets are still being made
    assert all(job.result() for job in heavy)


def test_page_names_the_weights_without_a_path_on_the_servers_disk(demo):
    import json

    from digitgen.hub import SHIPPED

    page = json.dumps(demo.config)
    assert "the weights shipped with digitgen" in page
    assert str(SHIPPED) not in page and str(SHIPPED.parent) not in page


def test_dataset_download_is_mnist_that_torchvision_reads(client, tmp_path):
    import zipfile

    import torchvision

    path = client.predict(20, 3, 0, api_name="/dataset")
    with zipfile.ZipFile(path) as zf:
        zf.extractall(tmp_path)
    train = torchvision.datasets.MNIST(str(tmp_path), train=True)
    assert len(train) == 200 and len(torchvision.datasets.MNIST(str(tmp_path), train=False)) == 30
    assert (tmp_path / "datasheet.json").exists() and (tmp_path / "README.md").exists()


def test_a_dataset_spread_over_a_shape_range_says_what_is_in_it(client, tmp_path):
    """A shifted set through the API, as `digitgen dataset --thickness 0.5:1` makes it: its digits
    measured in a CSV beside their labels, thicker than the same set measured as drawn."""
    import zipfile

    measured = {}
    for name, thickness, morphometrics in (("thick", "0.5:1", False), ("plain", "", True)):
        with zipfile.ZipFile(client.predict(10, 3, 0, thickness, "", "", morphometrics, api_name="/dataset")) as zf:
            zf.extractall(tmp_path / name)
        measured[name] = np.genfromtxt(tmp_path / name / "train-morphometrics.csv", delimiter=",", names=True)
    thick, plain = measured["thick"], measured["plain"]
    assert len(thick) == len(plain) == 100 and np.array_equal(thick["label"], plain["label"])
    drawn_with = thick["thickness_control"]  # from 0.5 … 1, less for a hand the guard pulled back (1 of these 100)
    assert np.mean(drawn_with >= 0.5) >= 0.95 and drawn_with.min() >= 0 and not plain["thickness_control"].any()
    assert thick["thickness"].mean() > plain["thickness"].mean() + 0.5  # pixels: drawn thick, measured thick
    sheet = json.loads((tmp_path / "thick" / "datasheet.json").read_text())
    assert sheet["shape_ranges"] == {"thickness": [0.5, 1.0]} and "--thickness 0.5:1" in sheet["command"]


@pytest.mark.parametrize(
    "ranges, message",
    [
        (("1:-1", "", ""), "thickness's range '1:-1' is written backwards: write -1:1"),
        (("", "steep", ""), "slant takes a range LOW:HIGH within -1 … 1"),
        (("", "", "0:3"), "width takes a range"),
    ],
)
def test_a_bad_shape_range_gets_one_sentence(client, ranges, message):
    with pytest.raises(Exception, match=re.escape(message)):
        client.predict(10, 3, 0, *ranges, False, api_name="/dataset")


@pytest.mark.parametrize(
    "per_digit, message", [(5000, "up to 1,000 per digit here; for 5,000, run `digitgen dataset"), (0, "less than")]
)
def test_dataset_download_bad_sizes(client, per_digit, message):
    with pytest.raises(Exception, match=message):
        client.predict(per_digit, 3, 0, api_name="/dataset")


def drawn_seven(path, ink, paper, mode="RGB"):
    from PIL import ImageDraw

    image = Image.new(mode, (500, 500), paper)
    ImageDraw.Draw(image).line([(120, 100), (380, 100), (230, 420)], fill=ink, width=34)
    image.save(path)
    return path


@pytest.mark.parametrize(
    "ink, paper, mode",
    [("black", "white", "RGB"), ("white", "black", "RGB"), ((200, 30, 30, 255), (0, 0, 0, 0), "RGBA")],
    ids=["dark-on-light", "light-on-dark", "transparent"],
)
def test_capture_style_from_an_image_file_then_write_in_that_hand(client, tmp_path, ink, paper, mode, demo):
    from gradio_client import handle_file

    from digitgen.handwriting import write_number

    path = drawn_seven(tmp_path / "seven.png", ink, paper, mode)
    result = client.predict(handle_file(str(path)), -1, api_name="/capture_style")
    code, digit, confidence, drawing, remade, row = result
    assert code.startswith("dg1.") and digit == 7 and 0 < confidence <= 1
    assert np.asarray(Image.open(drawing)).shape == (112, 112) and len(row) == 10
    assert [item["caption"][0] for item in row].count("7") >= 1
    number = np.asarray(Image.open(client.predict(code, "2026", api_name="/write_in_style")))
    assert np.array_equal(number[::4, ::4], write_number("2026", code, n=1, generator=demo.endpoints.generator)[0])


def cut_short(path):
    drawn_seven(path, "black", "white")
    path.write_bytes(path.read_bytes()[:2000])


def animated(path):
    frames = [Image.new("L", (200, 200), 255) for _ in range(3)]
    for k, frame in enumerate(frames):
        ImageDraw.Draw(frame).line([(40, 40), (160, 40), (60 + 20 * k, 170)], fill=0, width=16)
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:])


def bomb(path):
    path.write_bytes(png_claiming(40_000, 40_000))


def noise(path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 300), dtype=np.uint8)).save(path)


def photo(path):
    """Coloured shapes under a blur and sensor noise, edge to edge, as a photo of a scene is."""
    rng = np.random.default_rng(4)
    image = Image.new("RGB", (320, 240), (90, 140, 200))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y, w, h = rng.integers(0, 300), rng.integers(0, 220), rng.integers(10, 150), rng.integers(10, 150)
        draw.ellipse([x, y, x + w, y + h], fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    pixels = np.asarray(image.filter(ImageFilter.GaussianBlur(3)), dtype=np.float32) + rng.normal(0, 12, (240, 320, 3))
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)


def scribble(path):
    image = Image.new("L", (300, 300), 255)
    points = [tuple(int(v) for v in p) for p in np.random.default_rng(0).integers(20, 280, (12, 2))]
    ImageDraw.Draw(image).line(points, fill=0, width=12)
    image.save(path)


def two_digits(path):
    image = Image.new("L", (600, 300), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(100, 50), (100, 250)], fill=0, width=20)
    draw.ellipse([(350, 60), (520, 250)], outline=0, width=20)
    image.save(path)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: Image.new("RGB", (300, 300), "white").save(p), "the drawing is empty"),
        (lambda p: p.write_text("not an image"), "that is not an image file"),
        (lambda p: Image.new("L", (5000, 10)).save(p), "that image is 5000 × 10 pixels; send one up to 4096 on a side"),
        (bomb, r"that image is too large \(over"),
        (cut_short, "that image file is damaged or cut short"),
        (animated, r"that is an animated image \(3 frames\)"),
        (noise, "does not look like one handwritten digit"),
        (photo, "does not look like one handwritten digit"),
        (scribble, "does not look like one handwritten digit"),
        (two_digits, "several digits side by side"),
    ],
    ids=["blank", "not-an-image", "enormous", "bomb", "cut-short", "animated", "noise", "photo", "scribble", "two"],
)
def test_capture_style_refuses_what_is_not_one_digit_with_one_sentence(client, tmp_path, make, message):
    from gradio_client import handle_file

    path = tmp_path / "upload.png"
    make(path)
    with pytest.raises(Exception, match=message) as refused:
        client.predict(handle_file(str(path)), -1, api_name="/capture_style")
    assert "Traceback" not in str(refused.value) and "error occurred" not in str(refused.value)


def test_write_in_style_refuses_a_bad_code(client):
    with pytest.raises(Exception, match="a style code starts with 'dg1.'"):
        client.predict("hello", "12", api_name="/write_in_style")
