"""The app as MCP tools, through a real MCP client over Streamable HTTP, as an AI agent meets it."""

from __future__ import annotations

import asyncio
import base64
import io

import numpy as np
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from PIL import Image

from digitgen import generate
from digitgen.images import grid, upscale


def mcp_session(app_url: str, work):
    """Run ``work(session)`` against the app's MCP endpoint and return its result."""

    async def run():
        async with (
            streamable_http_client(f"{app_url}gradio_api/mcp/") as (read, write, *_),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await work(session)

    return asyncio.run(run())


@pytest.fixture(scope="module")
def tools(app_url):
    async def list_tools(session):
        return {tool.name: tool for tool in (await session.list_tools()).tools}

    return mcp_session(app_url, list_tools)


def call(app_url: str, name: str, arguments: dict):
    async def call_tool(session):
        return await session.call_tool(name, arguments)

    return mcp_session(app_url, call_tool)


def test_every_public_endpoint_is_a_tool_an_agent_can_read(tools):
    assert set(tools) == {
        "generate", "export", "random_seed", "number", "same_hand", "morph_digit", "morph_digits",
        "write_in_style", "make_dataset", "digits_picture", "number_picture", "hand_picture", "capture_style",
    }  # fmt: skip
    picture = tools["digits_picture"]
    assert "0–9" in picture.inputSchema["properties"]["digit"]["description"]
    assert picture.inputSchema["properties"]["digit"]["type"] == "integer"  # not Gradio's "string" for a Radio
    assert "2**31" in picture.inputSchema["properties"]["seed"]["description"]
    assert "PNG" in picture.description
    assert "-1 (thin)" in picture.inputSchema["properties"]["thickness"]["description"]
    for tool in tools.values():
        assert tool.description and all(p.get("description") for p in tool.inputSchema["properties"].values())


def test_the_digit_tool_returns_the_libraries_digits_as_an_image(app_url, demo):
    result = call(app_url, "digits_picture", {"digit": 7, "seed": 42, "neatness": 0})
    assert not result.isError
    (image,) = [c for c in result.content if c.type == "image"]
    assert image.mimeType == "image/png"
    picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(image.data))))
    expected = upscale(grid(generate(7, 42, generator=demo.endpoints.generator), cols=5), 4)
    assert np.array_equal(picture, expected)


def test_number_and_hand_tools_return_images(app_url):
    for name, arguments, height in (
        ("number_picture", {"text": "2026", "seed": 1}, 36),
        ("hand_picture", {"seed": 3}, 32),
    ):
        result = call(app_url, name, arguments)
        (image,) = [c for c in result.content if c.type == "image"]
        assert Image.open(io.BytesIO(base64.b64decode(image.data))).height == 4 * height


def test_gallery_tools_answer_agents_with_image_links_and_captions(app_url):
    result = call(app_url, "generate", {"digit": 3, "seed": 5, "neatness": 0.5})
    assert not result.isError
    text = " ".join(c.text for c in result.content if c.type == "text")
    assert text.count("/gradio_api/file=") == 5 and text.count("'caption': '3 · ") >= 3


@pytest.mark.parametrize(
    "arguments, message",
    [({"digit": 11, "seed": 1}, "11 is not one of"), ({"digit": 7, "seed": -4}, "less than minimum value 0")],
)
def test_bad_arguments_are_one_clear_sentence(app_url, arguments, message):
    result = call(app_url, "digits_picture", arguments)
    assert result.isError and message in result.content[0].text
