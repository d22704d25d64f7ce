"""resnext_edu.training: a real training process killed with SIGKILL (kill -9) at several points, and restarted.

Each run is a fresh Python process (RUN below) training a tiny network for 3 epochs of 4 steps on 256 digits, with
the default pipeline (reshuffled and augmented every epoch) and a backup. One training is run as a chain of processes,
each killed by itself with SIGKILL (which nothing can catch or clean up after) and restarted by the next: in the
middle of an epoch, between the backup's weights and its metadata, right after a backup is committed (before the
previous one is deleted), and after the last epoch's backup (before train returns). Each restart must run exactly the
epochs not yet backed up, and the last must end with the weights and the history of an uninterrupted run, to the bit.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

RUN = """
import dataclasses, json, os, signal, sys
import keras
import numpy as np
from resnext_edu import backup, data, training

config = json.loads(sys.argv[1])
kill = config.get("kill")  # ["step", epoch, step] (from 1) or ["write", stage, epoch]


def die():
    os.kill(os.getpid(), signal.SIGKILL)


class KillAtStep(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        if kill and kill[0] == "step" and [self.epoch, batch + 1] == kill[1:]:
            die()


if kill and kill[0] == "write":
    backup.on_write_stage = lambda stage, epoch: die() if [stage, epoch] == kill[1:] else None
splits = data.load_digits(image_size=16)
splits = dataclasses.replace(splits, x_train=splits.x_train[:256], y_train=splits.y_train[:256],
                             x_val=splits.x_val[:64], y_val=splits.y_val[:64])
train_ds, val_ds, _ = data.make_datasets(splits, batch_size=64)
keras.utils.set_random_seed(config["seed"])
model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3, strides=2, use_bias=False),
                          keras.layers.BatchNormalization(), keras.layers.ReLU(),
                          keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)])
result = training.train(model, train_ds, val_ds, 3, backup_dir=config.get("backup_dir"), progress="lines",
                        callbacks=[KillAtStep()])
np.savez(os.path.join(config["out"], "weights.npz"), *model.get_weights())
with open(os.path.join(config["out"], "result.json"), "w") as f:
    json.dump(dict(history=result.history, epochs=result.epochs, resumed_from=result.resumed_from,
                   train_seconds=len(result.train_seconds), step_seconds=len(result.step_seconds)), f)
"""

#: The runs of one training, each killed somewhere and restarted by the next: where it is killed (None: not), the
#: epochs it runs (whose lines it prints), and the backup it leaves.
CHAIN = [
    ("mid-epoch", ["step", 2, 2], [1], ["epoch-000001"]),
    ("between the weights and the metadata", ["write", "weights", 2], [2], ["epoch-000001", "incomplete"]),
    ("after a commit, before the old one is deleted", ["write", "committed", 2], [2], ["epoch-000001", "epoch-000002"]),
    ("after the last epoch's backup", ["write", "committed", 3], [3], ["epoch-000002", "epoch-000003"]),
    ("not killed", None, [], None),
]


def start(out, seed=0, **config):
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "CUDA_VISIBLE_DEVICES": "-1"}
    argument = json.dumps({"out": str(out), "seed": seed, **config})
    command, pipe = [sys.executable, "-c", RUN, argument], subprocess.PIPE
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=pipe, stderr=pipe, text=True)


def finish(process, timeout=300):
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout, stderr


def read(out):
    with np.load(out / "weights.npz", allow_pickle=False) as f:
        weights = [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]
    return weights, json.loads((out / "result.json").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The uninterrupted run (beside the first of the chain), then the chain, one run after the other."""
    root = tmp_path_factory.mktemp("kill")
    folder = root / "backup"
    straight = start(root / "straight")
    chain = []
    for i, (name, kill, _, _) in enumerate(CHAIN):
        code, stdout, stderr = finish(start(root / f"run{i}", backup_dir=str(folder), kill=kill))
        epochs = [int(line.split("/")[0].split()[-1]) for line in stdout.splitlines() if line.startswith("epoch ")]
        chain.append((name, code, epochs, sorted(os.listdir(folder)) if folder.exists() else None, stderr))
    code, _, stderr = finish(straight)
    assert code == 0, stderr[-3000:]
    return chain, read(root / "straight"), read(root / f"run{len(CHAIN) - 1}")


def test_each_run_is_killed_by_sigkill_where_asked_and_the_next_resumes_where_it_should(runs):
    chain, _, _ = runs
    for (name, kill, epochs, left), (_, code, ran, found, stderr) in zip(CHAIN, chain):
        assert code == (-signal.SIGKILL if kill else 0), f"{name}: exit {code}; {stderr[-3000:]}"
        assert ran == epochs, f"{name}: ran epochs {ran}, expected {epochs}"  # none lost, none run twice
        assert found == left, f"{name}: left {found}"


def test_the_restarted_run_ends_as_the_uninterrupted_run_to_the_bit(runs):
    _, (weights, straight), (resumed_weights, resumed) = runs
    assert straight["epochs"] == [1, 2, 3] and straight["resumed_from"] == 0
    assert resumed["resumed_from"] == 3 and resumed["epochs"] == [1, 2, 3]
    assert len(resumed_weights) == len(weights) == 7
    assert all(np.array_equal(a, b) for a, b in zip(resumed_weights, weights))
    assert resumed["history"] == straight["history"]  # every epoch's losses and accuracies, as computed then
    assert resumed["train_seconds"] == 3 and resumed["step_seconds"] == 12
