"""resnext_edu.distribute: chapter 6's network trained under MirroredStrategy on two logical CPUs, and the arguments.

The CPU can be split into logical devices only before TensorFlow initialises its devices, and in this process other
tests have done so already: the real two-replica training runs in a fresh Python process (TWO_REPLICAS below), which
prints what it saw as JSON. The other tests run here, on this process's single CPU device. On Keras' other backends
the module says it needs TensorFlow; its pure parts (tf_config, the learning rate's scaling, the plots) work there too.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from backends import BACKEND

from resnext_edu import distribute, models, plots, training

ROOT = Path(__file__).resolve().parents[1]

# Chapter 10's run, scaled down to its measured configuration: chapter 6's 4x8d network on the first 512 training
# digits, 64 a batch (32 per replica), two epochs, no shuffling or augmentation, AdamW as `train` defaults.
TWO_REPLICAS = """
import json
from resnext_edu import distribute

first = distribute.logical_cpus(2)  # before anything runs a TensorFlow operation
import tensorflow as tf
from resnext_edu import benchmark, data, models

out = {"devices": first, "again": distribute.logical_cpus(2)}  # TensorFlow is initialised now: idempotent
try:
    distribute.logical_cpus(3)
except RuntimeError as error:
    out["too_late"] = str(error)
strategy = distribute.strategy_for("mirrored")
out["replicas"] = strategy.num_replicas_in_sync
out["worker_devices"] = list(strategy.extended.worker_devices)
uneven = tf.data.Dataset.from_tensor_slices((tf.zeros((11, 32, 32, 3)), tf.zeros((11,), tf.int32))).batch(4)
split = distribute.replica_batches(strategy, uneven)
out["uneven"] = dict(devices=split.devices, global_sizes=split.global_sizes, per_replica=split.per_replica,
                     replica_ids=split.replica_ids, adds_up=split.adds_up())

splits = data.load("digits", seed=0)
train_ds = tf.data.Dataset.from_tensor_slices((splits.x_train[:512], splits.y_train[:512])).batch(64)
split = distribute.replica_batches(strategy, train_ds)
out["train"] = dict(global_sizes=split.global_sizes, per_replica=split.per_replica, adds_up=split.adds_up())

def build():
    return models.resnext_cifar(4, 8, splits.num_classes, splits.image_shape, **benchmark.CIFAR_SMALL)

images, labels = next(iter(train_ds))
model = build()
single = distribute.batch_loss(model, images, labels)
with strategy.scope():
    mirrored = distribute.starting_from(build, model.get_weights())()
    synced = distribute.starting_from(build, model.get_weights(), synchronized=True)()
out["batch_loss"] = dict(single=single, per_replica_bn=distribute.batch_loss(mirrored, images, labels, strategy),
                         synchronized_bn=distribute.batch_loss(synced, images, labels, strategy))

comparison = distribute.compare_runs(build, train_ds, 2, strategy, seed=0, progress=False)
out["single_loss"] = comparison.single.history["loss"]
out["distributed_loss"] = comparison.distributed.history["loss"]
out["steps"] = [len(comparison.single_steps), len(comparison.distributed_steps)]
out["final_difference"] = comparison.final_loss_difference()
out["replicas_differ"] = [distribute.replica_weights_differ(comparison.model, strategy, trainable)
                         for trainable in (True, False)]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def two_replicas():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "CUDA_VISIBLE_DEVICES": "-1"}
    run = subprocess.run(
        [sys.executable, "-c", TWO_REPLICAS], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )
    assert run.returncode == 0, run.stderr[-4000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.tensorflow_only("tf.distribute")
def test_two_logical_cpus_and_the_too_late_error(two_replicas):
    assert two_replicas["devices"] == two_replicas["again"] == ["/device:CPU:0", "/device:CPU:1"]
    assert "Restart the kernel" in two_replicas["too_late"] and "logical_cpus(3)" in two_replicas["too_late"]


@pytest.mark.tensorflow_only("tf.distribute")
def test_both_replicas_ran_on_the_two_logical_cpus(two_replicas):
    assert two_replicas["replicas"] == 2
    assert [d.rsplit("/", 1)[-1] for d in two_replicas["worker_devices"]] == ["device:CPU:0", "device:CPU:1"]
    assert [d.rsplit("/", 1)[-1] for d in two_replicas["uneven"]["devices"]] == ["device:CPU:0", "device:CPU:1"]


@pytest.mark.tensorflow_only("tf.distribute")
def test_per_replica_batches_add_up_to_the_global_batch(two_replicas):
    uneven = two_replicas["uneven"]  # 11 images, 4 a batch: the last batch of 3 splits as 2 + 1
    assert uneven["global_sizes"] == [4, 4, 3] and uneven["per_replica"] == [[2, 2], [2, 2], [2, 1]]
    assert uneven["replica_ids"] == [[0, 1]] * 3 and uneven["adds_up"]  # both replicas ran a step on every batch
    train = two_replicas["train"]
    assert train["global_sizes"] == [64] * 8 and train["per_replica"] == [[32, 32]] * 8 and train["adds_up"]


@pytest.mark.tensorflow_only("tf.distribute")
def test_batchnorm_statistics_per_replica_and_synchronised(two_replicas):
    """Per-replica BatchNorm changes the first batch's loss measurably; synchronised, only float32 round-off is left."""
    losses = two_replicas["batch_loss"]
    per_replica = abs(losses["per_replica_bn"] - losses["single"]) / losses["single"]
    synchronized = abs(losses["synchronized_bn"] - losses["single"]) / losses["single"]
    assert per_replica > 1e-5 and synchronized < 1e-5, losses


@pytest.mark.tensorflow_only("tf.distribute")
def test_distributed_run_reaches_the_single_device_loss_within_tolerance(two_replicas):
    assert two_replicas["steps"] == [16, 16]
    assert two_replicas["final_difference"] < distribute.LOSS_TOLERANCE, two_replicas
    assert two_replicas["distributed_loss"][-1] < two_replicas["distributed_loss"][0]  # it learned
    trainable, moving_statistics = two_replicas["replicas_differ"]
    assert trainable == 0.0  # every replica holds the same weights after every step
    assert moving_statistics > 0  # but each updated BatchNorm's moving statistics with its own half of the batch


# --- in this process: one CPU device -------------------------------------------------------------------------------


@pytest.mark.tensorflow_only("tf.distribute")
def test_logical_cpus_after_initialisation():
    names = [d.name for d in tf.config.list_logical_devices("CPU")]  # initialises TensorFlow's devices, if not yet
    assert distribute.logical_cpus(len(names)) == names  # nothing to change: fine
    with pytest.raises(RuntimeError, match="Restart the kernel"):
        distribute.logical_cpus(len(names) + 1)
    for n in (0, 1.5, True, "2"):
        with pytest.raises(ValueError):
            distribute.logical_cpus(n)


@pytest.mark.tensorflow_only("tf.distribute")
def test_strategy_for_checks_its_arguments(monkeypatch):
    assert distribute.strategy_for("default").num_replicas_in_sync == 1
    bad = [
        (dict(kind="horovod"), "kind"),
        (dict(kind="tpu", devices=["/cpu:0"]), "mirrored"),
        (dict(devices="/cpu:0"), "list"),
        (dict(devices=[]), "list"),
        (dict(devices=[0]), "this machine"),
        (dict(devices=["/gpu:0"]), "devices must name devices of this machine \\('CPU:0'"),
        (dict(devices=["/cpu:0", "/cpu:7"]), "'/cpu:7'"),
        (dict(devices=["not a device"]), "this machine"),
        (dict(kind="mirrored", tpu="grpc://10.0.0.2:8470"), "tpu"),
        (dict(kind="tpu", tpu=1), "tpu"),
        (dict(kind="mirrored", timeout=10), "timeout"),
        (dict(kind="multi-worker", timeout=0), "timeout"),
        (dict(kind="multi-worker", timeout=float("nan")), "timeout"),
        (dict(kind="multi-worker", timeout="60"), "timeout"),
    ]
    for kwargs, match in bad:
        with pytest.raises(ValueError, match=match):
            distribute.strategy_for(**kwargs)
    assert distribute.strategy_for("mirrored", devices=["/cpu:0"]).num_replicas_in_sync == 1
    assert distribute.strategy_for("mirrored", devices=["/job:localhost/replica:0/task:0/device:CPU:0"])
    # multi-worker: checked before anything is constructed (tests/test_cluster.py runs a real cluster)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG"):
        distribute.strategy_for("multi-worker")
    for config in (
        "not json",
        json.dumps({"cluster": {"worker": ["a:1"]}}),
        json.dumps({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}),
        json.dumps({"cluster": {"worker": ["a:1"]}, "task": {"type": "ps", "index": 0}}),
    ):
        monkeypatch.setenv("TF_CONFIG", config)
        with pytest.raises(ValueError, match="TF_CONFIG"):
            distribute.strategy_for("multi-worker")


def test_other_backends_get_a_clear_error(monkeypatch):
    """On JAX or PyTorch (here, on TensorFlow, a stand-in for them), everything that runs tf.distribute says it needs
    the TensorFlow backend, before anything is built."""
    backend = BACKEND
    if backend == "tensorflow":
        backend = "jax"
        monkeypatch.setattr(keras.backend, "backend", lambda: backend)
    model = np.zeros(1)  # never looked at: the backend is checked first
    for call, what in (
        (lambda: distribute.strategy_for("mirrored"), "strategy_for"),
        (lambda: distribute.strategy_for("default"), "strategy_for"),
        (lambda: distribute.logical_cpus(2), "logical_cpus"),
        (lambda: distribute.synchronized_batchnorm(model), "synchronized_batchnorm"),
        (lambda: distribute.batch_loss(model, model, model), "batch_loss"),
        (lambda: distribute.compare_runs(lambda: model, None, 1, None), "compare_runs"),
    ):
        with pytest.raises(RuntimeError, match=f"distribute.{what} .*needs Keras' TensorFlow backend; .*'{backend}'"):
            call()
    with pytest.raises(ValueError, match="kind"):  # a wrong argument is still a ValueError
        distribute.strategy_for("horovod")


def test_tf_config():
    config = json.loads(distribute.tf_config(["10.0.0.1:12345", "10.0.0.2:12345"], 1))
    assert config == {
        "cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]},
        "task": {"type": "worker", "index": 1},
    }
    for workers, index in ((["a:1"], 1), (["a:1"], -1), ([], 0), ("a:1", 0), (["a"], 0), ([":1"], 0), (["a:x"], 0)):
        with pytest.raises(ValueError):
            distribute.tf_config(workers, index)


@pytest.mark.tensorflow_only("tf.distribute")
def test_mirrored_on_one_device_and_replica_batches():
    strategy = distribute.strategy_for("mirrored", devices=["/cpu:0"])
    assert strategy.num_replicas_in_sync == 1
    dataset = tf.data.Dataset.from_tensor_slices((tf.zeros((5, 4)), tf.zeros((5,)))).batch(2)
    split = distribute.replica_batches(strategy, dataset)
    assert split.global_sizes == [2, 2, 1] and split.per_replica == [[2], [2], [1]] and split.adds_up()
    assert split.replica_ids == [[0]] * 3 and split.devices == ["/job:localhost/replica:0/task:0/device:CPU:0"]
    assert distribute.ReplicaBatches(["a", "b"], [4], [[2, 2]], [[0, 1]]).adds_up()
    assert not distribute.ReplicaBatches(["a", "b"], [4], [[2, 1]], [[0, 1]]).adds_up()  # an image lost
    assert not distribute.ReplicaBatches(["a", "b"], [4], [[4]], [[0]]).adds_up()  # one replica did not run
    assert not distribute.ReplicaBatches(["a", "b"], [4], [[2, 2]], [[0, 0]]).adds_up()


def tiny(seed=0):
    keras.utils.set_random_seed(seed)
    return models.resnext_cifar(2, 2, 10, (8, 8, 3), blocks_per_stage=1, out_channels=8, stem_filters=4)


@pytest.mark.tensorflow_only("tf.distribute")
def test_synchronized_batchnorm_copies_the_model_and_its_weights():
    model = tiny()
    copy = distribute.synchronized_batchnorm(model)
    norms = [layer for layer in copy.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(layer.synchronized for layer in norms)
    assert [type(a) for a in model.layers] == [type(b) for b in copy.layers]
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), copy.get_weights()))
    x = np.random.default_rng(0).random((4, 8, 8, 3), dtype="float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), copy.predict(x, verbose=0), atol=1e-6)
    # one device: the synchronised statistics are the batch's own
    assert distribute.batch_loss(copy, x, np.arange(4)) == pytest.approx(
        distribute.batch_loss(model, x, np.arange(4)), rel=1e-5
    )
    start = distribute.starting_from(lambda: tiny(seed=1), model.get_weights())()
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), start.get_weights()))


def test_step_losses_undo_the_running_mean():
    steps = distribute.StepLosses()
    for epoch, means in enumerate(([2.0, 1.5, 1.0], [0.5, 0.25])):
        steps.on_epoch_begin(epoch)
        for batch, mean in enumerate(means):
            steps.on_train_batch_end(batch, {"loss": mean})
    assert steps.losses == pytest.approx([2.0, 1.0, 0.0, 0.5, 0.0])


def test_scaled_learning_rate():
    assert distribute.scaled_learning_rate(0.1, 1024, 256) == pytest.approx(0.4)
    assert distribute.scaled_learning_rate(np.float32(0.1), np.int64(512), 256) == pytest.approx(0.2)
    for args, match in (
        ((0.1, 0, 256), "global_batch"),
        ((0.1, 64, 0), "reference_batch"),
        ((0.1, 64.0, 256), "global_batch"),
        ((-0.1, 64, 256), "learning_rate"),
        (("0.1", 64, 256), "learning_rate"),
        ((float("inf"), 64, 256), "learning_rate"),
    ):
        with pytest.raises(ValueError, match=match):
            distribute.scaled_learning_rate(*args)


def test_plot_comparison():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def result(losses):
        return training.TrainingResult({"loss": losses}, [1, 2], 1.0, [0.5, 0.5], 128)

    comparison = distribute.Comparison(
        result([2.0, 1.0]), result([2.1, 1.05]), [2.2, 1.8, 1.2, 0.8], [2.2, 1.9, 1.3, 0.8], None, 2
    )
    assert comparison.final_loss_difference() == pytest.approx(0.05)
    fig = plots.plot_comparison(comparison, tolerance=distribute.LOSS_TOLERANCE)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    plt.close(fig)
    fig = plots.plot_data_parallelism(3, 64, ["GPU:0", "GPU:1", "GPU:2"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("replica 2 on GPU:2\n21 images" in t for t in texts) and any("22 images" in t for t in texts)
    plt.close(fig)
    with pytest.raises(ValueError):
        plots.plot_data_parallelism(0)
