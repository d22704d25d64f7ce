"""resnext_edu.backup: every kind of damaged or foreign backup is refused with one clear error, before any training.

One real backup (a tiny network interrupted after epoch 2 of 3) is copied and damaged a different way for each test;
``train`` must refuse each copy with a ``ValueError`` that names the folder, what is wrong, and both ways out.
What a crash itself leaves (an interrupted write, two units) is not damage: it resumes.
"""

import dataclasses
import json
import os
import re
import shutil

import h5py
import keras
import pytest

from resnext_edu import backup, data, training

EPOCHS = 3


@pytest.fixture(scope="module")
def digits():
    s = data.load_digits(image_size=16)
    return dataclasses.replace(s, x_train=s.x_train[:128], y_train=s.y_train[:128])


@pytest.fixture(scope="module")
def train_ds(digits):
    return data.make_datasets(digits, batch_size=64)[0]


def tiny_model():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [keras.Input((16, 16, 3)), keras.layers.Conv2D(4, 3, strides=2), keras.layers.Flatten(), keras.layers.Dense(10)]
    )


@pytest.fixture(scope="module")
def made(train_ds, tmp_path_factory):
    """A backup after epoch 2 of 3."""
    folder = tmp_path_factory.mktemp("made") / "backup"
    with pytest.raises(training.TrainingInterrupted):
        training.train(
            tiny_model(), train_ds, epochs=EPOCHS, backup_dir=folder, progress=False,
            callbacks=[training.InterruptAfterEpoch(2)],
        )  # fmt: skip
    assert sorted(os.listdir(folder)) == ["epoch-000002"]
    assert sorted(os.listdir(folder / "epoch-000002")) == [backup.METADATA, backup.WEIGHTS]
    return folder


@pytest.fixture
def copy(made, tmp_path):
    target = tmp_path / "backup"
    shutil.copytree(made, target)
    return target


def resume(folder, train_ds, model=tiny_model, **kwargs):
    return training.train(model(), train_ds, **{"epochs": EPOCHS, "backup_dir": folder, "progress": False, **kwargs})


def refused(folder, train_ds, problem, **kwargs):
    """The run refuses the backup, saying where, what, and how out; ``restart=True`` then trains from epoch 1."""
    with pytest.raises(ValueError) as error:
        resume(folder, train_ds, **kwargs)
    message = str(error.value)
    assert re.search(problem, message), message
    assert str(folder) in message and "Delete that folder" in message and "restart=True" in message, message
    return message


def unit(folder):
    return folder / "epoch-000002"


def test_a_sound_backup_resumes_after_its_epoch(copy, train_ds):
    result = resume(copy, train_ds)
    assert result.resumed_from == 2 and result.epochs == [1, 2, 3] and len(result.history["loss"]) == 3
    assert not copy.exists()


def test_metadata_missing_next_to_weights(copy, train_ds):
    os.remove(unit(copy) / backup.METADATA)
    refused(copy, train_ds, "holds weights but no metadata")


def test_weights_missing_next_to_metadata(copy, train_ds):
    os.remove(unit(copy) / backup.WEIGHTS)
    refused(copy, train_ds, "holds no weights")


def test_an_epoch_beyond_the_runs_epochs(copy, train_ds):
    refused(copy, train_ds, "2 completed epochs, more than this run's epochs=1", epochs=1)


@pytest.mark.parametrize("damage", ["truncated", "empty", "garbled"])
def test_damaged_weights(copy, train_ds, damage):
    path = unit(copy) / backup.WEIGHTS
    content = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(content[: len(content) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        middle = len(content) // 2
        path.write_bytes(
            content[:middle] + bytes(b ^ 0xFF for b in content[middle : middle + 64]) + content[middle + 64 :]
        )
    refused(copy, train_ds, "is not the file its metadata records")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "cannot be read"),
        ('{"format": "resnext_edu.training backup, version 1", "epoch": 2', "cannot be read"),
        ("\udcff", "cannot be read"),
        ('{"epoch": 2}', "is not a backup's"),
        ("[1, 2]", "is not a backup's"),
    ],
)
def test_damaged_metadata(copy, train_ds, text, problem):
    (unit(copy) / backup.METADATA).write_bytes(text.encode("utf-8", "surrogateescape"))
    refused(copy, train_ds, problem)


@pytest.mark.parametrize(
    "change",
    [dict(epoch="2"), dict(epoch=True), dict(history={"loss": [1.0]}), dict(settings=[]), dict(step_seconds=None)],
)
def test_malformed_metadata(copy, train_ds, change):
    path = unit(copy) / backup.METADATA
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    refused(copy, train_ds, "malformed")


def test_the_two_halves_out_of_step(copy, train_ds, tmp_path):
    os.rename(unit(copy), copy / "epoch-000001")  # the folder says 1, its metadata 2
    refused(copy, train_ds, "records epoch 2, its folder 1")
    os.rename(copy / "epoch-000001", unit(copy))
    weights, metadata = unit(copy) / backup.WEIGHTS, unit(copy) / backup.METADATA
    with h5py.File(weights, "r+") as f:  # the weights say epoch 1; the checksum recorded matches the new file
        f.attrs[backup.ATTRIBUTE] = 1
    record = json.loads(metadata.read_text())
    metadata.write_text(json.dumps({**record, "sha256": backup._sha256(weights)}))
    refused(copy, train_ds, "records another epoch than its metadata")


def test_files_the_backup_never_writes(copy, train_ds):
    (copy / "training_metadata.json").write_text('{"epoch": 1}')  # Keras' BackupAndRestore, as train used to
    (copy / "latest.weights.h5").write_bytes(b"")
    refused(copy, train_ds, "latest.weights.h5, training_metadata.json, which this backup never writes")
    os.remove(copy / "training_metadata.json")
    os.remove(copy / "latest.weights.h5")
    (unit(copy) / "notes.txt").write_text("mine")
    refused(copy, train_ds, "holds notes.txt besides the backup")


def test_a_backup_of_another_run(copy, train_ds):
    message = refused(copy, train_ds, "other settings", learning_rate=0.02)
    assert "learning_rate: backup 0.01, this run 0.02" in message
    refused(copy, train_ds, "other settings.*weights", model=lambda: keras.Sequential(
        [keras.Input((16, 16, 3)), keras.layers.Flatten(), keras.layers.Dense(10)]
    ))  # fmt: skip


def test_backup_dir_is_a_file(tmp_path, train_ds):
    path = tmp_path / "file"
    path.write_text("")
    refused(path, train_ds, "not a folder")


def test_restart_discards_any_backup_and_trains_from_the_first_epoch(copy, train_ds):
    os.remove(unit(copy) / backup.WEIGHTS)
    result = resume(copy, train_ds, restart=True)
    assert result.resumed_from == 0 and result.epochs == [1, 2, 3] and not copy.exists()


def test_what_a_crash_leaves_is_not_damage(copy, train_ds):
    """An interrupted write (incomplete/) is discarded; of two units (a crash before the older was deleted), the
    newer is resumed and the older deleted."""
    (copy / backup.INCOMPLETE).mkdir()
    (copy / backup.INCOMPLETE / backup.WEIGHTS).write_bytes(b"half a file")
    shutil.copytree(unit(copy), copy / "epoch-000001")
    seen = []

    class Epochs(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(sorted(os.listdir(copy)))

    result = resume(copy, train_ds, callbacks=[Epochs()])
    assert result.resumed_from == 2 and seen == [["epoch-000002"]] and not copy.exists()


def test_hidden_files_of_a_file_system_are_left_alone(copy, train_ds):
    (copy / ".DS_Store").write_bytes(b"")
    assert resume(copy, train_ds).resumed_from == 2
    assert os.listdir(copy) == [".DS_Store"]  # the backup is gone; the folder, not ours alone, stays
