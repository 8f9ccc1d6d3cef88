"""The generator run backwards: an encoder trained on its digits, tied to its weights, found where they are."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from conftest import ROOT
from PIL import Image, ImageDraw

from digitgen import load_generator
from digitgen.capture import capture
from digitgen.encoder import FOLDER, load_encoder, train_encoder
from digitgen.hub import SHIPPED
from digitgen.models import Generator
from digitgen.style import fingerprint


@pytest.fixture(scope="module")
def generator():
    return load_generator()


def seven() -> Image.Image:
    image = Image.new("L", (400, 400), 255)
    ImageDraw.Draw(image).line([(100, 80), (300, 80), (190, 340)], fill=0, width=26)
    return image


def test_the_shipped_weights_come_with_their_encoder(generator):
    encoder = load_encoder(generator)
    assert encoder is not None and encoder.generator == fingerprint(generator).hex()
    assert (SHIPPED / FOLDER / "model.safetensors").is_file()


def test_an_encoder_is_trained_saved_beside_its_generator_and_found_there(tmp_path, generator):
    encoder = train_encoder(generator, steps=3, batch=16, log_every=0)
    assert encoder.generator == fingerprint(generator).hex()
    folder = tmp_path / "model"
    generator.save_pretrained(folder)
    encoder.save(folder / FOLDER)
    loaded = load_encoder(load_generator(folder))
    assert loaded is not None
    assert all(
        torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), encoder.state_dict().values(), strict=True)
    )


def test_an_encoder_for_other_weights_or_a_broken_one_is_left_out_and_capture_still_works(tmp_path, generator):
    folder = tmp_path / "model"
    generator.save_pretrained(folder)
    train_encoder(Generator(), steps=1, batch=8, log_every=0).save(folder / FOLDER)  # other weights
    with pytest.warns(UserWarning, match="made for other weights"):
        assert load_encoder(load_generator(folder)) is None
    other = tmp_path / "broken"
    generator.save_pretrained(other)
    (other / FOLDER).mkdir()
    (other / FOLDER / "config.json").write_text(json.dumps({"z_dim": 64, "generator": fingerprint(generator).hex()}))
    (other / FOLDER / "model.safetensors").write_bytes(b"\0" * 100)
    broken = load_generator(other)
    with pytest.warns(UserWarning, match="capture searches instead"):
        assert capture(seven(), generator=broken, steps=20).digit == 7


def test_weights_made_in_this_process_have_no_encoder_until_one_is_trained():
    assert load_encoder(Generator()) is None


def test_the_encoder_captures_as_well_as_the_search_and_as_reproducibly(generator):
    quick = capture(seven(), generator=generator)
    searched = capture(seven(), generator=generator, use_encoder=False)
    assert quick.digit == searched.digit == 7
    assert quick.psnr > searched.psnr - 2  # the drawing's match, in dB
    assert capture(seven(), generator=generator).code == quick.code


def test_the_command_trains_one_into_a_models_folder(tmp_path, generator):
    folder = tmp_path / "model"
    generator.save_pretrained(folder)
    cmd = [sys.executable, "-m", "digitgen.encoder", "--model", str(folder), "--steps", "2", "--batch", "8"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["for_weights"] == fingerprint(generator).hex()
    assert (folder / FOLDER / "model.safetensors").is_file() and (folder / FOLDER / "config.json").is_file()
