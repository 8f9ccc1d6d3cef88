import pytest
import torch

from digitgen import load_generator
from digitgen.classifier import CLASSIFIER_DIR, DigitClassifier, classifier_accuracy, load_classifier
from digitgen.data import DigitSet, load_mnist
from digitgen.evaluate import TARGETS, Meter, cas, evaluate, figures, shape_distances, shape_fidelity
from digitgen.morphometrics import measure
from digitgen.shape import GUARD


@pytest.fixture(scope="module")
def test_set(data_root):
    return load_mnist(data_root, train=False)


@pytest.fixture(scope="module")
def reference(test_set):
    return test_set.per_digit(200)


def test_classifier_reads_mnist_test(test_set):
    assert classifier_accuracy(load_classifier(), test_set) >= 0.99


def test_a_saved_classifier_carries_a_card_that_says_how_it_was_made_and_loads_back(tmp_path):
    command = "python -m digitgen.evaluate train-classifier --data DIR --epochs 4 --seed 3 --out elsewhere"
    made = DigitClassifier(info={"mnist_test_accuracy": 0.9957, "command": command, "train_seconds": 301.0})
    made.save_pretrained(tmp_path, config={"width": 32, "info": made.info})
    card = (tmp_path / "README.md").read_text()
    assert "pipeline_tag: image-classification" in card and "More Information Needed" not in card
    assert "It reads MNIST test at 99.57 %, trained in 5.0 min." in card and command in card
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    assert torch.equal(load_classifier(tmp_path)(x), made.eval()(x))


def test_the_shipped_classifiers_cards_are_the_ones_their_configs_make():
    for shipped in (CLASSIFIER_DIR, GUARD):
        expected = load_classifier(shipped).generate_model_card()
        assert (shipped / "README.md").read_text().strip() == str(expected).strip(), shipped.name


def test_real_data_scores_near_perfect(data_root, reference):
    real = load_mnist(data_root, train=True).per_digit(200)
    f = figures(real.images, real.labels, reference)
    assert f["accuracy"] >= 0.98 and f["confidence"] > 0.9
    assert f["precision"] > 0.7 and f["recall"] > 0.7
    assert f["fid"] < 5


def test_noise_and_blank_images_score_badly(reference):
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(10).repeat_interleave(200)
    noise = torch.randint(0, 256, (2000, 28, 28), generator=gen, dtype=torch.uint8)
    blank = torch.zeros(2000, 28, 28, dtype=torch.uint8)
    real = figures(reference.images, reference.labels, reference)
    for images in (noise, blank):
        f = figures(images, labels, reference)
        assert f["accuracy"] < 0.3
        assert f["fid"] > 20 * max(real["fid"], 1.0)
        assert f["precision"] < 0.1 and f["recall"] < 0.1
    assert figures(blank, labels, reference)["diversity"] < 1e-3  # mode collapse alarm


def test_figures_are_deterministic(reference):
    sub = DigitSet(reference.images[::4], reference.labels[::4])
    assert figures(sub.images, sub.labels, reference) == figures(sub.images, sub.labels, reference)


@pytest.mark.slow  # trains classifiers
def test_train_on_synthetic_scores_a_collapsed_generator_lower(data_root):
    """CAS end to end on 2,000 digits: the shipped weights teach a classifier nearly as well as real
    digits do; the same weights at neatness 1 (typical digits only, little variety) teach it worse."""
    generator = load_generator()
    shipped = cas(generator, data_root, n=2000, epochs=5)
    collapsed = cas(generator, data_root, n=2000, epochs=5, neatness=1.0, with_real=False)
    assert shipped["cas_n"] == 2000 and shipped["cas_real_n"] == 2000 and shipped["cas_real"] > 0.93
    assert shipped["cas"] > shipped["cas_real"] - 0.03
    assert collapsed["cas"] < shipped["cas"] - 0.03


def test_the_meter_reports_the_targets_a_collapsed_generator_misses(data_root):
    """One Meter measures many generators exactly as ``evaluate`` does, and names what each misses."""
    meter = Meter(data_root, n_per_digit=100)
    generator = load_generator()
    shipped, neat = meter.measure(generator), meter.measure(generator, neatness=1.0)
    assert shipped == {k: v for k, v in evaluate(generator, data_root, n_per_digit=100).items() if k != "seconds"}
    reused = evaluate(generator, data_root, n_per_digit=100, meter=meter)  # a training run's meter, set up once
    assert shipped == {k: v for k, v in reused.items() if k != "seconds"}
    assert evaluate(generator, data_root, n_per_digit=50, meter=meter)["n_per_digit"] == 50  # not a meter of 100
    assert shipped["targets"] == TARGETS and shipped["unmet"] != neat["unmet"]
    assert neat["recall"] < shipped["recall"] - 0.3  # typical digits only: little of MNIST's variety
    assert [u for u in neat["unmet"] if u.startswith("recall")] == [f"recall {neat['recall']:.4g} < 0.8"]


def test_shape_fidelity_is_zero_for_the_reference_and_finds_thickened_digits(reference):
    """Wasserstein-1 per digit and attribute: 0 against itself; strokes grown by a pixel move thickness most."""
    from scipy.ndimage import grey_dilation

    own = shape_distances(reference, reference, measure(reference.images.numpy()))
    assert all(v == 0 for values in own["per_digit"].values() for v in values)
    bold = DigitSet(torch.from_numpy(grey_dilation(reference.images.numpy(), size=(1, 3, 3))), reference.labels)
    grown = shape_distances(bold, reference, measure(reference.images.numpy()))
    assert grown["mean"]["thickness"] > 1.0 and grown["mean"]["slant"] < 0.05  # pixels; radians
    assert len(grown["per_digit"]["thickness"]) == 10


def test_the_meter_reports_shape_fidelity_beside_the_real_floor(data_root):
    report = shape_fidelity(load_generator(), data_root, n_per_digit=20)
    assert set(report["shape_w1_mean"]) == {"area", "length", "thickness", "slant", "width", "height"}
    assert set(report["shape_w1_real_mean"]) == set(report["shape_w1_mean"])
    assert all(len(v) == 10 and all(x >= 0 for x in v) for v in report["shape_w1"].values())
    assert report["shape_w1_mean"]["thickness"] < 0.5  # the shipped weights' strokes are MNIST's, within half a pixel
