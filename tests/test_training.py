"""resnext_edu.training: one-line progress, the result object, and resuming an interrupted run."""

import dataclasses
import io
import os
import statistics

import keras
import numpy as np
import pytest

from resnext_edu import data, training

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
def plain(small):
    """Deterministic data (no shuffling, no augmentation): runs that should agree do, to the bit."""
    train_ds, val_ds, _ = data.make_datasets(small, batch_size=64, augment=False, shuffle=False)
    return train_ds, val_ds


@pytest.fixture(scope="module")
def straight(plain):
    """An uninterrupted run of EPOCHS epochs: what every resumed run must reproduce."""
    recorder, out = Recorder(), io.StringIO()
    result = training.train(tiny_model(), *plain, EPOCHS, progress=out, label="2x4d", callbacks=[recorder])
    return result, recorder, out.getvalue()


def test_train_returns_history_and_prints_one_line_per_epoch(straight):
    result, recorder, out = straight
    assert result.epochs == [1, 2, 3] and recorder.epochs == [0, 1, 2]
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


def test_interrupted_training_resumes_where_it_stopped(plain, straight, tmp_path):
    """Stop after epoch 1 of 3, resume: only epochs 2..3 run, from the weights and optimizer state saved
    after epoch 1; with deterministic data the final weights are those of an uninterrupted run, to the bit.
    (With shuffling or augmentation the resumed epochs draw other batches: the backup holds no data position.)"""
    backup = tmp_path / "backup"
    first = Recorder()
    with pytest.raises(training.TrainingInterrupted, match="after epoch 1"):
        training.train(
            tiny_model(),
            *plain,
            EPOCHS,
            backup_dir=backup,
            progress=False,
            callbacks=[first, training.InterruptAfterEpoch(1)],
        )
    assert first.epochs == [0] and os.listdir(backup)

    resumed = Recorder()  # a fresh model, as after a crash: everything comes from the backup
    model = tiny_model(seed=1)
    result = training.train(model, *plain, EPOCHS, backup_dir=backup, progress=False, callbacks=[resumed])
    assert resumed.epochs == [1, 2] and result.epochs == [2, 3]
    assert len(first.epochs) + len(result.history["loss"]) == EPOCHS
    assert same(resumed.at_start, first.at_end[0])  # weights as saved after epoch 1
    assert same(resumed.optimizer_at_start, first.optimizer_at_end)  # momentum and step count too
    assert not backup.exists()  # a completed run deletes its backup

    assert same(first.at_end[0], straight[1].at_end[0])
    assert same(resumed.at_end[2], straight[1].at_end[2])

    # Keras leaves the restored epoch on the model; train() clears it, so training again runs every epoch
    assert training.train(model, plain[0], epochs=2, progress=False).epochs == [1, 2]


def test_side_by_side_takes_turns_and_resumes_each_model(plain, straight, tmp_path):
    """Two models side by side, interrupted after the first model's epoch 1, then resumed: the first runs
    epochs 2..3, the second 1..3, and both end with the weights of the uninterrupted run of train()."""
    with pytest.raises(training.TrainingInterrupted):
        training.train_side_by_side(
            {"a": tiny_model(), "b": tiny_model()},
            *plain,
            EPOCHS,
            backup_dir=tmp_path,
            progress=False,
            callbacks=[training.InterruptAfterEpoch(1)],
        )
    models_ = {"a": tiny_model(seed=1), "b": tiny_model()}  # "a" is restored from its backup; "b" had none
    out = io.StringIO()
    results = training.train_side_by_side(models_, *plain, EPOCHS, backup_dir=tmp_path, progress=out)
    assert results["a"].epochs == [2, 3] and results["b"].epochs == [1, 2, 3]
    assert len(results["b"].history["val_loss"]) == EPOCHS and len(results["a"].history["loss"]) == 2
    assert [line.split("  ")[:2] for line in out.getvalue().splitlines()] == [
        ["b", "epoch 1/3"],
        ["a", "epoch 2/3"],
        ["b", "epoch 2/3"],
        ["a", "epoch 3/3"],
        ["b", "epoch 3/3"],
    ]
    for model in models_.values():
        assert same(model.get_weights(), straight[1].at_end[2])
    assert os.listdir(tmp_path) == []  # backups deleted once every model has finished
    with pytest.raises(ValueError, match="labels"):
        training.train_side_by_side({"a b": models_["a"], "a_b": models_["b"]}, *plain, 1, backup_dir=tmp_path)
    with pytest.raises(ValueError, match="dict"):
        training.train_side_by_side([models_["a"]], *plain, 1)


def test_train_in_a_strategy_scope_silently_without_validation(small, capsys):
    import tensorflow as tf

    train_ds, _, _ = data.make_datasets(small, batch_size=128)
    result = training.train(
        tiny_model, train_ds, epochs=1, progress=False, strategy=tf.distribute.OneDeviceStrategy("/cpu:0")
    )
    assert result.epochs == [1] and set(result.history) == {"loss", "accuracy"}
    assert capsys.readouterr().out == ""


def test_bad_arguments(plain):
    train_ds = plain[0]
    for kwargs in (dict(epochs=0), dict(epochs=1.5), dict(callbacks=training.InterruptAfterEpoch(1))):
        with pytest.raises(ValueError):
            training.train(tiny_model(), train_ds, **kwargs)
    with pytest.raises(ValueError, match="model"):
        training.train("resnext", train_ds, epochs=1)
    for kwargs in (dict(optimizer="rmsprop"), dict(learning_rate=0), dict(learning_rate="0.1"), dict(weight_decay=-1)):
        with pytest.raises(ValueError):
            training.train(tiny_model(), train_ds, epochs=1, **kwargs)
    for epoch in (0, -1, 1.0):
        with pytest.raises(ValueError):
            training.InterruptAfterEpoch(epoch)


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
    with pytest.raises(ValueError):
        training.plot_histories({})
