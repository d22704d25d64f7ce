"""The reference run kept in the repository (resnext_edu/reference/, made by `make reference`): a complete record of
the REFERENCE setting, and shipped weights that are the recorded files and reach the recorded test accuracy."""

import hashlib
import os

import pytest

from resnext_edu import data, experiments, records


@pytest.fixture(scope="module")
def ref():
    return records.reference()


def test_the_record_is_complete_and_of_the_reference_setting(ref):
    assert ref.complete and experiments.EqualCost(**ref.settings) == experiments.REFERENCE
    assert ref.command == "python -m resnext_edu.experiments"
    assert ref.data == {"name": "fashion_mnist", "train": 55000, "validation": 5000, "test": 10000}
    seeds, networks = experiments.REFERENCE.seeds, list(experiments.REFERENCE.architectures())
    assert sorted((r["network"], r["seed"]) for r in ref.runs) == sorted((n, s) for n in networks for s in seeds)
    assert all(len(r["history"]["val_accuracy"]) == experiments.REFERENCE.epochs for r in ref.runs)
    assert set(ref.versions) == {"python", "numpy", "tensorflow", "keras", "resnext_edu"} and ref.machine["cpus"]
    assert [(s["network"], s["seed"]) for s in ref.shipped] == [(r["network"], r["seed"]) for r in ref.choose_shipped()]


def test_the_shipped_files_are_the_recorded_ones_and_small(ref):
    total = 0
    for entry in ref.shipped:
        path = os.path.join(records.PACKAGE_DIR, entry["file"])
        with open(path, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == entry["sha256"]
        total += os.path.getsize(path)
    assert total <= 10 * 2**20


@pytest.mark.parametrize("which", ["resnext", "resnet"])
def test_the_shipped_weights_reach_the_recorded_test_accuracy(ref, which, fashion_mnist_dir):
    model, run = experiments.reference_model(which, ref)
    accuracy = experiments.test_correct(model, data.load_fashion_mnist()).mean()
    assert abs(accuracy - run["test_accuracy"]) <= 0.005  # half a point, on the 10,000 test images
    assert run["network"] == ref.shipped[0 if which == "resnext" else 1]["network"]
