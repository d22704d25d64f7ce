"""resnext_edu.training: the result object, resuming an interrupted run to the bit, side by side, bad arguments.

Kill -9 of a real training process is tested in test_training_resume.py, damaged backups in test_backup.py.
"""

import dataclasses
import io
import math
import os
import statistics

import keras
import numpy as np
import pytest
import tensorflow as tf
from backends import BACKEND

from resnext_edu import data, recipes, training

EPOCHS = 3


@pytest.fixture(scope="module")
def small():
    """256 training and 64 validation digits at 16x16: a few batches an epoch."""
    s = data.load_digits(image_size=16)
    return dataclasses.replace(
        s, x_train=s.x_train[:256], y_train=s.y_train[:256], x_val=s.x_val[:64], y_val=s.y_val[:64]
    )


def tiny_model(seed=0):
    """A small convolutional network with BatchNorm (whose moving statistics a backup must restore too): the
    training machinery does not depend on the network, and a network of few layers traces in a moment."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(8, 3, strides=2, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10),
        ],
        name="tiny",
    )


class Recorder(keras.callbacks.Callback):
    """Epochs seen (Keras counts from 0) and the weights at the start of training and at each epoch's end."""

    def __init__(self):
        super().__init__()
        self.epochs, self.at_end = [], {}

    def on_train_begin(self, logs=None):
        self.at_start = [w.copy() for w in self.model.get_weights()]
        self.optimizer_at_start = [np.array(v) for v in self.model.optimizer.variables]

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        self.at_end[epoch] = [w.copy() for w in self.model.get_weights()]
        self.optimizer_at_end = [np.array(v) for v in self.model.optimizer.variables]


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.fixture(scope="module")
def pipelines(small):
    """The default pipeline: reshuffled every epoch and augmented, as a function of (seed, epoch)."""
    train_ds, val_ds, _ = data.make_datasets(small, batch_size=64)
    return train_ds, val_ds


@pytest.fixture(scope="module")
def straight(pipelines):
    """An uninterrupted run of EPOCHS epochs: what every resumed run must reproduce."""
    recorder, out = Recorder(), io.StringIO()
    result = training.train(tiny_model(), *pipelines, EPOCHS, progress=out, label="2x4d", callbacks=[recorder])
    return result, recorder, out.getvalue()


def test_train_returns_history_and_prints_one_line_per_epoch(straight):
    result, recorder, out = straight
    assert result.epochs == [1, 2, 3] and recorder.epochs == [0, 1, 2] and result.resumed_from == 0
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == EPOCHS for v in result.history.values())
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert result.images_per_epoch == 256 and len(result.train_seconds) == EPOCHS
    assert result.steps_per_epoch == 4 and len(result.step_seconds) == 4 * EPOCHS
    assert result.images_per_second == 256 / (statistics.median(result.step_seconds[1:]) * 4)
    by_hand = training.TrainingResult({}, [1, 2], 3.0, [2.0, 0.5], 100)  # no step times: the fastest epoch
    assert by_hand.images_per_second == 200
    assert result.seconds >= sum(result.train_seconds)
    lines = out.splitlines()
    assert len(lines) == EPOCHS and lines[0].startswith("2x4d  epoch 1/3  ") and lines[2].endswith(" s")
    assert "val_accuracy" in lines[0] and "%" in lines[0] and "\x1b" not in out and "\r" not in out


def test_default_pipeline_differs_by_epoch_and_not_by_pass(small):
    train_ds = data.make_datasets(small, batch_size=64)[0]

    def epoch(e):
        data.set_epoch(e)
        return [(x.numpy(), y.numpy()) for x, y in train_ds]

    a, b, again = epoch(0), epoch(1), epoch(0)
    assert all(np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]) for x, y in zip(a, again))
    assert not np.array_equal(a[0][1], b[0][1]) and data.current_epoch() == 0


def test_interrupted_training_resumes_to_the_bit_with_the_default_pipeline(pipelines, straight, tmp_path):
    """Stop after epoch 1 of 3, resume: only epochs 2..3 run, from the weights and optimizer state saved after
    epoch 1, on the batches an uninterrupted run sees (shuffled and augmented): the final weights are those of the
    uninterrupted run, to the bit, and so is the result (history, epochs), the timings aside."""
    backup = tmp_path / "backup"
    first = Recorder()
    with pytest.raises(training.TrainingInterrupted, match="after epoch 1"):
        training.train(
            tiny_model(),
            *pipelines,
            EPOCHS,
            backup_dir=backup,
            progress=False,
            callbacks=[first, training.InterruptAfterEpoch(1)],
        )
    assert first.epochs == [0] and os.listdir(backup) == ["epoch-000001"]

    resumed = Recorder()  # a fresh model, as after a crash: everything comes from the backup
    model = tiny_model(seed=1)
    result = training.train(model, *pipelines, EPOCHS, backup_dir=backup, progress=False, callbacks=[resumed])
    assert resumed.epochs == [1, 2] and result.epochs == [1, 2, 3] and result.resumed_from == 1
    assert same(resumed.at_start, first.at_end[0])  # weights as saved after epoch 1
    assert same(resumed.optimizer_at_start, first.optimizer_at_end)  # momentum and step count too
    assert not backup.exists()  # a completed run deletes its backup

    uninterrupted = straight[0]
    assert same(first.at_end[0], straight[1].at_end[0])
    assert same(resumed.at_end[2], straight[1].at_end[2])
    assert result.history == uninterrupted.history  # every epoch's numbers, the first one's included
    assert len(result.train_seconds) == EPOCHS and len(result.step_seconds) == 4 * EPOCHS

    # Keras leaves the restored epoch on the model; train() clears it, so training again runs every epoch
    assert training.train(model, pipelines[0], epochs=2, progress=False).epochs == [1, 2]


def test_side_by_side_takes_turns_and_resumes_each_model(pipelines, straight, tmp_path):
    """Two models side by side, interrupted after the first model's epoch 1, then resumed: the first runs
    epochs 2..3, the second 1..3, and both end with the weights of the uninterrupted run of train()."""
    with pytest.raises(training.TrainingInterrupted):
        training.train_side_by_side(
            {"a": tiny_model(), "b": tiny_model()},
            *pipelines,
            EPOCHS,
            backup_dir=tmp_path,
            progress=False,
            callbacks=[training.InterruptAfterEpoch(1)],
        )
    models_ = {"a": tiny_model(seed=1), "b": tiny_model()}  # "a" is restored from its backup; "b" had none
    out = io.StringIO()
    results = training.train_side_by_side(models_, *pipelines, EPOCHS, backup_dir=tmp_path, progress=out)
    assert results["a"].resumed_from == 1 and results["b"].resumed_from == 0
    assert results["a"].epochs == results["b"].epochs == [1, 2, 3]
    assert results["a"].history == results["b"].history == straight[0].history
    assert [line.split("  ")[:2] for line in out.getvalue().splitlines()] == [
        ["b", "epoch 1/3"],
        ["a", "epoch 2/3"],
        ["b", "epoch 2/3"],
        ["a", "epoch 3/3"],
        ["b", "epoch 3/3"],
    ]
    for model in models_.values():
        assert same(model.get_weights(), straight[1].at_end[2])
    assert not tmp_path.exists()  # backups deleted once every model has finished, then the empty folder
    with pytest.raises(ValueError, match="labels"):
        training.train_side_by_side({"a b": models_["a"], "a_b": models_["b"]}, *pipelines, 1, backup_dir=tmp_path)
    with pytest.raises(ValueError, match="dict"):
        training.train_side_by_side([models_["a"]], *pipelines, 1)


@pytest.mark.tensorflow_only("tf.distribute")
def test_train_in_a_strategy_scope_silently_without_validation(small, capsys):
    train_ds, _, _ = data.make_datasets(small, batch_size=128)
    result = training.train(
        tiny_model, train_ds, epochs=1, progress=False, strategy=tf.distribute.OneDeviceStrategy("/cpu:0")
    )
    assert result.epochs == [1] and set(result.history) == {"loss", "accuracy"}
    assert capsys.readouterr().out == ""


def test_a_strategy_needs_tensorflow(small, monkeypatch):
    """On JAX or PyTorch (here, on TensorFlow, a stand-in for them) a strategy is refused before the first step."""
    backend = BACKEND
    if backend == "tensorflow":
        backend = "torch"
        monkeypatch.setattr(keras.backend, "backend", lambda: backend)
    train_ds, _, _ = data.make_datasets(small, batch_size=128)
    with pytest.raises(RuntimeError, match=f"training with a strategy .*needs Keras' TensorFlow backend.*'{backend}'"):
        training.train(tiny_model, train_ds, epochs=1, progress=False, strategy=tf.distribute.get_strategy())


class Rates(keras.callbacks.Callback):
    """The learning rate of every training step, as the optimizer applies it."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(float(self.model.optimizer.learning_rate))


def test_a_recipe_sets_the_optimizer_and_its_schedule(small):
    train_ds = data.make_datasets(small, batch_size=64, augment=False)[0]
    model, seen = tiny_model(), Rates()
    recipe = dataclasses.replace(recipes.PAPER_CIFAR, epochs=4, batch_size=64)  # milestones after epochs 2 and 3
    training.train(model, train_ds, recipe=recipe, progress=False, callbacks=[seen])
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD) and optimizer.nesterov and optimizer.l2 == 5e-4
    assert int(optimizer.iterations) == 16
    assert seen.rates == pytest.approx([0.1] * 8 + [0.01] * 4 + [0.001] * 4)
    assert seen.rates == pytest.approx([recipe.learning_rate_at(step, 4) for step in range(16)])
    # explicit arguments override the recipe's fields (the others stay); another optimizer brings its own defaults
    model, seen = tiny_model(), Rates()
    training.train(model, train_ds, epochs=1, recipe=recipe, optimizer="adamw", progress=False, callbacks=[seen])
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert seen.rates[0] == pytest.approx(recipes.OPTIMIZERS["adamw"]["learning_rate"])
    assert seen.rates == pytest.approx([0.01] * 4)  # the step schedule kept: its milestones fall at the end


class NoOp(keras.callbacks.Callback):
    pass


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(epochs=0), "epochs"),
        (dict(epochs=1.5), "epochs"),
        (dict(callbacks=training.InterruptAfterEpoch(1)), "callbacks"),
        (dict(callbacks=[print]), "callbacks"),
        (dict(callbacks=[NoOp(), "early stopping"]), "callbacks"),
        (dict(optimizer="rmsprop"), "optimizer"),
        (dict(learning_rate=0), "learning_rate"),
        (dict(learning_rate="0.1"), "learning_rate"),
        (dict(learning_rate=math.nan), "learning_rate"),
        (dict(learning_rate=math.inf), "learning_rate"),
        (dict(weight_decay=-1), "weight_decay"),
        (dict(weight_decay=math.nan), "weight_decay"),
        (dict(weight_decay=-math.inf), "weight_decay"),
        (dict(progress="yes"), "progress"),
        (dict(progress=2), "progress"),
        (dict(label=5), "label"),
        (dict(strategy="mirrored"), "strategy_for"),
        (dict(backup_dir=5), "backup_dir"),
        (dict(restart="yes"), "restart"),
        (dict(recipe="paper"), "recipe"),
    ],
)
def test_bad_arguments_are_refused_before_the_first_step(pipelines, kwargs, match):
    model = tiny_model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=match):
        training.train(model, pipelines[0], **{"epochs": 1, "progress": False, **kwargs})
    assert same(model.get_weights(), before) and getattr(model, "optimizer", None) is None


def test_bad_data_and_models_are_refused_before_the_first_step(small, pipelines):
    x, y = small.x_train[:64], small.y_train[:64]
    model = tiny_model()
    cases = [
        ((model, (x, y)), "tf.data.Dataset"),
        ((model, x), "tf.data.Dataset"),
        ((model, tf.data.Dataset.from_tensor_slices(x).batch(8)), r"\(images, labels\)"),
        ((model, tf.data.Dataset.from_tensor_slices((x, y.astype("float32"))).batch(8)), "integer"),
        ((model, tf.data.Dataset.from_tensor_slices((x, np.eye(10, dtype="int32")[y])).batch(8)), "batch, 1"),
        ((model, tf.data.Dataset.from_tensor_slices((x, y)).batch(8).take(0)), "empty"),
        ((model, tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat()), "finite"),
        ((model, tf.data.Dataset.from_tensor_slices((x, y + 5)).batch(8)), r"0\.\.9.*from 5 to 14"),
        ((model, tf.data.Dataset.from_tensor_slices((x, y - 1)).batch(8)), "class indices"),
        ((model, pipelines[0], (x, y)), "val_ds"),
        ((model, pipelines[0], tf.data.Dataset.from_tensor_slices((x[:8], y[:8] + 10)).batch(8)), "to 17"),
        ((model, tf.data.Dataset.from_tensor_slices((x[:, :8], y)).batch(8)), "takes images of shape"),
        (("resnext", pipelines[0]), "model"),
        ((lambda: "not a model", pipelines[0]), "keras.Model"),
    ]
    for args, match in cases:
        with pytest.raises(ValueError, match=match):
            training.train(*args, epochs=1, progress=False)
    assert getattr(model, "optimizer", None) is None  # nothing was compiled, let alone trained


def test_plot_histories():
    import matplotlib.pyplot as plt

    histories = {
        "1x20d": {"loss": [2.0, 1.0], "val_loss": [2.1, 1.2], "accuracy": [0.3, 0.6], "val_accuracy": [0.2, 0.5]},
        "4x8d": training.TrainingResult({"loss": [1.9, 0.9], "accuracy": [0.4, 0.7]}, [1, 2], 1.0, [0.4, 0.4], 100),
    }
    fig = training.plot_histories(histories)
    loss, accuracy = fig.axes
    assert len(loss.lines) == 3 and len(accuracy.lines) == 3
    assert list(loss.lines[0].get_xdata()) == [1, 2]
    plt.close(fig)
    for bad in ({}, [1, 2]):
        with pytest.raises(ValueError):
            training.plot_histories(bad)
