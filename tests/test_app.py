"""The app launched for real on a free localhost port, called through gradio_client."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from gradio_client import Client
from PIL import Image


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    import app

    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    app.demo.close()


@pytest.fixture(scope="module")
def client(server):
    return Client(server, verbose=False)


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
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_api_matches_the_library(client):
    import app
    from digitgen import generate

    api = np.stack(images_of(client.predict(9, 7, api_name="/generate")))
    assert np.array_equal(api, generate(9, 7, generator=app.generator))  # PNG is lossless


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


def test_nan_seed_reaching_the_function_is_a_clear_error():
    import gradio as gr

    import app

    with pytest.raises(gr.Error, match="seed must be a whole number"):
        app.generate(3, float("nan"))
