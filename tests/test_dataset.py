"""Synthetic MNIST: the files torchvision reads, the npz and PNG layouts, the datasheet, bad requests."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from digitgen import load_generator
from digitgen.classifier import read_images
from digitgen.dataset import first_digits, write_dataset


@pytest.fixture(scope="module")
def generator():
    return load_generator()


@pytest.fixture(scope="module")
def idx_set(tmp_path_factory, generator):
    folder = tmp_path_factory.mktemp("idx")
    write_dataset(folder, 30, test_per_digit=12, seed=5, generator=generator, progress=False)
    return folder


def test_the_preview_is_the_sets_first_digits(idx_set, generator):
    train = torchvision.datasets.MNIST(str(idx_set), train=True)
    images, labels = first_digits(generator, 30, seed=5, n=50)
    assert np.array_equal(images, train.data[:50].numpy()) and np.array_equal(labels, train.targets[:50].numpy())


def digest(folder) -> str:
    raw = sorted((folder / "MNIST" / "raw").iterdir())
    return hashlib.sha256(b"".join(p.read_bytes() for p in raw)).hexdigest()


def test_torchvision_reads_the_idx_files_unchanged(idx_set):
    train = torchvision.datasets.MNIST(str(idx_set), train=True)
    test = torchvision.datasets.MNIST(str(idx_set), train=False)
    assert train.data.shape == (300, 28, 28) and train.data.dtype == torch.uint8 and len(test) == 120
    assert torch.bincount(train.targets).tolist() == [30] * 10 and torch.bincount(test.targets).tolist() == [12] * 10
    assert not torch.equal(train.targets[:20], train.targets[:20].sort().values)  # shuffled, not grouped
    _, probs = read_images(train.data)
    assert (probs.argmax(1) == train.targets).float().mean() > 0.95  # the labels say what is written
    image, label = train[0]
    assert image.size == (28, 28) and 0 <= label <= 9


def test_the_same_seed_writes_the_same_bytes(idx_set, generator, tmp_path):
    write_dataset(tmp_path / "again", 30, test_per_digit=12, seed=5, generator=generator, progress=False)
    write_dataset(tmp_path / "other", 30, test_per_digit=12, seed=6, generator=generator, progress=False)
    assert digest(tmp_path / "again") == digest(idx_set) != digest(tmp_path / "other")
    # The shipped weights' bytes for this request: moves only when new weights ship (as in test_sample).
    assert digest(idx_set) == "6c7b126e0046852d99c42deab901141df0a8118df7bf2cbdd20f9a7a84877a7f"


def test_train_and_test_never_share_a_noise_vector(idx_set):
    train = torchvision.datasets.MNIST(str(idx_set), train=True).data.flatten(1)
    test = torchvision.datasets.MNIST(str(idx_set), train=False).data.flatten(1)
    assert not (train[:, None] == test[None]).all(-1).any()


def test_npz_and_png_hold_the_same_digits(idx_set, generator, tmp_path):
    train = torchvision.datasets.MNIST(str(idx_set), train=True)
    write_dataset(tmp_path / "npz", 30, split="train", fmt="npz", seed=5, generator=generator, progress=False)
    with np.load(tmp_path / "npz" / "train.npz") as npz:
        assert npz["images"].dtype == np.uint8 and npz["images"].shape == (300, 28, 28)
        assert np.array_equal(npz["images"], train.data.numpy()) and np.array_equal(npz["labels"], train.targets)
    write_dataset(tmp_path / "png", 30, split="train", fmt="png", seed=5, generator=generator, progress=False)
    files = sorted((tmp_path / "png" / "train").glob("*/*.png"), key=lambda p: p.stem)
    assert len(files) == 300 and {p.parent.name for p in files} == {str(d) for d in range(10)}
    first = files[0]
    assert first.stem == "000" and int(first.parent.name) == int(train.targets[0])
    assert np.array_equal(np.asarray(Image.open(first)), train.data[0].numpy())


def test_the_datasheet_says_what_made_the_set(idx_set):
    sheet = json.loads((idx_set / "datasheet.json").read_text())
    assert sheet["seed"] == 5 and sheet["neatness"] == 0.0 and sheet["format"] == "idx"
    assert sheet["splits"]["train"]["count"] == 300 and sheet["splits"]["test"]["counts"]["7"] == 12
    assert sheet["generator"] == "the weights shipped with digitgen" and sheet["meter"]["recall"] > 0.7
    assert "seed 5" in (idx_set / "README.md").read_text()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"per_digit": 0}, "per_digit must be a whole number from 1 to 1000000"),
        ({"per_digit": 10**7}, "per_digit must be a whole number from 1 to 1000000"),
        ({"per_digit": 5, "fmt": "csv"}, "format must be one of idx, npz, png"),
        ({"per_digit": 5, "split": "validation"}, "split must be train, test or both"),
        ({"per_digit": 5, "seed": -1}, "seed must be a whole number"),
    ],
)
def test_bad_requests_are_one_sentence(tmp_path, generator, kwargs, message):
    with pytest.raises(ValueError, match=message):
        write_dataset(tmp_path, generator=generator, progress=False, **kwargs)


def test_an_unwritable_folder_is_one_sentence(tmp_path, generator):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match="cannot write to .*a-file/set"):
        write_dataset(blocker / "set", 5, generator=generator, progress=False)
