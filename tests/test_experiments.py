"""resnext_edu.experiments and resnext_edu.records: a ResNet against ResNeXts of equal cost over seeds, written as a
record that a second call continues, and shipped weights that load back to the recorded accuracy."""

import dataclasses
import json
import os

import numpy as np
import pytest

from resnext_edu import complexity, data, experiments, recipes, records

TINY = experiments.EqualCost(
    cardinalities=(1, 2),
    seeds=(0, 1),
    epochs=1,
    batch_size=50,
    train_images=200,
    validation_images=100,
    test_images=200,
)


@pytest.fixture(scope="module")
def splits(fashion_mnist_dir):
    return experiments.load_splits(TINY)


@pytest.fixture(scope="module")
def finished(splits, tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    path, work = str(folder / "record.json"), str(folder / "work")
    os.makedirs(work)
    record = experiments.run(TINY, splits, path=path, work_dir=work, progress=False, command="test")
    return record, path, work, folder


def test_networks_of_equal_cost():
    archs = experiments.REFERENCE.architectures()
    assert list(archs) == ["1×12d", "4×5d", "8×3d"]
    resnet = complexity.architecture_params(archs["1×12d"])
    assert all(abs(complexity.architecture_params(a) / resnet - 1) < 0.025 for a in archs.values())
    assert archs["1×12d"].input_size == (28, 28) and archs["4×5d"].in_channels == 1
    model = experiments.REFERENCE.build("4×5d", seed=0)
    assert model.name == "resnext11_4x5d_16-32_s2" and model.input_shape == (None, 28, 28, 1)
    assert experiments.CHAPTER.architectures().keys() == archs.keys()  # the chapter trains the same networks


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(cardinalities=(2, 4)), "cardinalities must start with 1"),
        (dict(seeds=()), "seeds must be one or more"),
        (dict(seeds=(0, 0)), "seeds must be one or more different"),
        (dict(dataset="mnist"), "dataset must be one of"),
        (dict(epochs=0), "epochs must be a whole number >= 1"),
        (dict(augment="yes"), "augment must be True or False"),
        (dict(train_images=0), "train_images must be a whole number >= 1"),
        (dict(recipe="paper"), "recipe must be one of None, 'paper-cifar'"),
    ],
)
def test_settings_are_checked(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(experiments.REFERENCE, **change)


@pytest.mark.slow  # trains
def test_a_run_records_every_network_and_seed(finished, splits):
    record, path, work, _ = finished
    assert record.complete and len(record.runs) == 4 and record.command == "test"
    assert record.data == {"name": "fashion_mnist", "train": 200, "validation": 100, "test": 200}
    assert set(record.versions) == {"python", "numpy", "tensorflow", "keras", "resnext_edu"}
    assert record.machine["cpus"] == os.cpu_count()
    for run in record.runs:
        assert set(run["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
        assert len(run["history"]["val_accuracy"]) == TINY.epochs
    correct = record.correct()
    assert {k: v.shape for k, v in correct.items()} == {"1×12d": (2, 200), "2×8d": (2, 200)}
    assert correct["2×8d"][1].mean() == pytest.approx(record.run_of("2×8d", 1)["test_accuracy"])
    assert records.Record.load(path) == record  # the file holds the same record
    assert sorted(os.listdir(work)) == [
        "1x12d_seed0.weights.h5",
        "1x12d_seed1.weights.h5",
        "2x8d_seed0.weights.h5",
        "2x8d_seed1.weights.h5",
    ]
    assert "2×8d" in record.report() and "vs 1×12d" in record.report()


@pytest.mark.slow  # trains
def test_a_second_call_continues_and_other_settings_are_refused(finished, splits, monkeypatch):
    record, path, work, _ = finished

    def no_training(*args, **kwargs):
        raise AssertionError("every seed is done: nothing should train")

    monkeypatch.setattr(experiments, "train_seed", no_training)
    assert experiments.run(TINY, splits, path=path, work_dir=work, progress=False).runs == record.runs
    with pytest.raises(ValueError, match="other settings \\(epochs differ\\): delete it"):
        experiments.run(dataclasses.replace(TINY, epochs=2), splits, path=path, progress=False)


@pytest.mark.slow  # trains (the fixture)
def test_a_record_older_than_a_setting_continues_with_its_default(finished, splits, monkeypatch, tmp_path):
    """The reference record was written before ``recipe`` existed: it reads as recipe None, what the code did then."""
    record, path, work, _ = finished
    older = json.loads(open(path, encoding="utf-8").read())
    del older["settings"]["recipe"]
    (tmp_path / "older.json").write_text(json.dumps(older))
    monkeypatch.setattr(experiments, "train_seed", lambda *a, **k: pytest.fail("nothing should train"))
    again = experiments.run(TINY, splits, path=str(tmp_path / "older.json"), progress=False)
    assert again.runs == record.runs and again.settings == TINY.settings()
    with pytest.raises(ValueError, match="recipe differ"):
        experiments.run(dataclasses.replace(TINY, recipe="paper-cifar"), splits, path=str(tmp_path / "older.json"))


@pytest.mark.slow  # trains
def test_the_same_seed_gives_the_same_run(finished, splits):
    record = finished[0]
    again = experiments.run(dataclasses.replace(TINY, seeds=(1,)), splits, progress=False)
    for run in again.runs:
        original = record.run_of(run["network"], 1)
        assert run["history"] == original["history"] and run["test_correct"] == original["test_correct"]


@pytest.mark.slow  # trains
def test_shipped_weights_load_back_to_the_recorded_accuracy(finished, splits):
    record, path, work, folder = finished
    shipped = experiments.ship(record, work, str(folder / "weights"), path)
    best = max((r for r in record.runs if r["network"] == "2×8d"), key=lambda r: r["history"]["val_accuracy"][-1])
    assert [(s["network"], s["seed"]) for s in shipped] == [("2×8d", best["seed"]), ("1×12d", best["seed"])]
    assert shipped[0]["file"] == f"fashion_mnist_2x8d_seed{best['seed']}.weights.h5" and shipped[0]["bytes"] > 0
    assert json.load(open(path))["shipped"] == shipped
    for which in ("resnext", "resnet"):
        model, run = experiments.reference_model(which, records.Record.load(path), str(folder / "weights"))
        correct = experiments.test_correct(model, splits)
        assert correct.mean() == run["test_accuracy"]
    with pytest.raises(ValueError, match="which must be one of 'resnext', 'resnet'"):
        experiments.reference_model("wide", record, str(folder / "weights"))


def test_records_that_cannot_be_read(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="is not a readable experiment record"):
        records.Record.load(str(bad))
    bad.write_text(json.dumps({"settings": {}}))
    with pytest.raises(ValueError, match="is not a readable experiment record"):
        records.Record.load(str(bad))


def test_run_checks_its_setting():
    with pytest.raises(ValueError, match="setting must be an experiments.EqualCost"):
        experiments.run({"epochs": 1}, data.Splits("x", *[np.zeros(1)] * 6, ()))


@pytest.mark.slow  # trains
def test_verdict_and_settings_for_the_chapter(finished):
    record = finished[0]
    lines = record.verdict()
    assert len(lines) == 2 and lines[0].startswith("2×8d: ") and "95% interval" in lines[0]
    assert lines[-1] == (
        "About: these networks (about 52,762 weights each) trained for 1 epochs on 200 fashion_mnist images from "
        "2 seeds, scored on 200 test images."
    )
    assert experiments.setting() is experiments.CHAPTER and experiments.setting(full=True) is experiments.REFERENCE
    cifar = experiments.setting("cifar10", full=True)
    assert cifar.widths() == {1: 221, 8: 64}  # ResNeXt-29 (8×64d) and its twin
    assert cifar.training_recipe() == recipes.PAPER_CIFAR  # Appendix A, exactly
    assert experiments.REFERENCE.training_recipe() == recipes.Recipe(epochs=6, batch_size=128)  # AdamW, a cosine
    with pytest.raises(ValueError, match="full must be True or False"):
        experiments.setting(full="yes")
