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
from digitgen.dataset import main as dataset_main


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


def test_the_preview_of_a_shifted_set_is_its_first_digits(tmp_path, generator):
    write_dataset(
        tmp_path, 6, test_per_digit=1, seed=2, ranges={"slant": (0.5, 1)}, generator=generator, progress=False
    )
    train = torchvision.datasets.MNIST(str(tmp_path), train=True)
    images, _ = first_digits(generator, 6, seed=2, n=50, ranges={"slant": (0.5, 1)})
    assert np.array_equal(images, train.data[:50].numpy())
    assert not np.array_equal(images, first_digits(generator, 6, seed=2, n=50)[0])


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
    assert digest(idx_set) == "4e3fd570af19ace5ecbdf8715e097670ae882eb9abb55be82a96b86fdb7c4680"


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


def test_a_set_spread_over_a_shape_range_says_what_is_in_it(tmp_path):
    """Only thick digits: every digit drawn with thickness in 0.5 … 1, each measured beside its label."""
    from digitgen.morphometrics import ATTRIBUTES

    write_dataset(tmp_path / "thick", 20, split="test", fmt="npz", ranges={"thickness": (0.5, 1)}, morphometrics=True)
    write_dataset(tmp_path / "thin", 20, split="test", fmt="npz", ranges={"thickness": (-1, -0.5)}, morphometrics=True)
    tables = {}
    for name in ("thick", "thin"):
        rows = np.genfromtxt(tmp_path / name / "test-morphometrics.csv", delimiter=",", names=True)
        assert len(rows) == 200 and list(rows.dtype.names)[-6:] == list(ATTRIBUTES)
        with np.load(tmp_path / name / "test.npz") as npz:
            assert np.array_equal(npz["labels"], rows["label"].astype(np.uint8))
            assert np.allclose(npz["morphometrics"][:, 2], rows["thickness"], atol=1e-3)
            assert npz["controls"].shape == (200, 3)
        tables[name] = rows
    drawn_with = tables["thick"]["thickness_control"]  # from 0.5 … 1, less where the guard pulled a hand back
    assert drawn_with.min() >= 0 and drawn_with.max() <= 1 and np.mean(drawn_with >= 0.5) >= 0.95
    assert np.all(tables["thick"]["slant_control"] == 0)
    assert np.nanmean(tables["thick"]["thickness"]) > np.nanmean(tables["thin"]["thickness"]) + 1.0
    sheet = json.loads((tmp_path / "thick" / "datasheet.json").read_text())
    assert sheet["shape_ranges"] == {"thickness": [0.5, 1.0]} and sheet["morphometrics"] == ["test-morphometrics.csv"]
    assert sheet["command"].endswith("--neatness 0.0 --thickness 0.5:1 --morphometrics")
    readme = (tmp_path / "thick" / "README.md").read_text()
    assert "thickness was drawn uniformly from 0.5 to 1" in readme and "`test-morphometrics.csv`" in readme
    assert "drawn a share of the way (its controls say)" in readme


def test_without_ranges_the_set_is_what_it_always_was(tmp_path):
    write_dataset(tmp_path / "a", 5, split="test", fmt="npz")
    write_dataset(tmp_path / "b", 5, split="test", fmt="npz", morphometrics=True)
    with np.load(tmp_path / "a" / "test.npz") as a, np.load(tmp_path / "b" / "test.npz") as b:
        assert np.array_equal(a["images"], b["images"]) and "morphometrics" in b and "morphometrics" not in a


@pytest.mark.parametrize(
    "text, message",
    [
        ("1:-1", "written backwards: write -1:1"),
        ("0:3", "within -1 … 1"),
        ("nan", "within -1 … 1"),
        ("a:b", "LOW:HIGH"),
    ],
)
def test_a_bad_range_is_one_sentence(tmp_path, capsys, text, message):
    with pytest.raises(SystemExit) as exit_status:
        dataset_main(["--per-digit", "2", "--out", str(tmp_path), "--slant", text])
    assert exit_status.value.code == 2 and message in capsys.readouterr().err


def test_the_library_checks_ranges_as_the_command_does(tmp_path):
    with pytest.raises(ValueError, match="slant's range '1:-1' is written backwards: write -1:1"):
        write_dataset(tmp_path, 2, ranges={"slant": (1, -1)})
    with pytest.raises(ValueError, match="width takes a range LOW:HIGH within -1 … 1"):
        write_dataset(tmp_path, 2, ranges={"width": (0, float("nan"))})
    with pytest.raises(ValueError, match="the shape controls are thickness, slant, width; got colour"):
        write_dataset(tmp_path, 2, ranges={"colour": (0, 1)})
