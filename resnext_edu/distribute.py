"""Training on several devices with ``tf.distribute``: data parallelism, tested on one CPU split in two.

TensorFlow only: on Keras' JAX or PyTorch backend the functions that make devices, strategies or distributed runs
raise a ``RuntimeError`` that says so (``tf_config``, ``scaled_learning_rate`` and the plots work on any backend).

Data parallelism: every replica holds a copy of the same weights, takes ``global_batch / N`` of each batch,
computes its gradients, and the gradients are summed across replicas (an *all-reduce*) before every copy
applies the same update. ``training.train(..., strategy=...)`` builds and compiles the model in the
strategy's scope; Keras' ``fit`` then splits every batch and all-reduces the gradients.

- ``logical_cpus(n)``: split the physical CPU into ``n`` logical devices, so that ``MirroredStrategy`` has
  two "devices" on a machine without GPUs; it must run before TensorFlow initialises its devices.
- ``replica_devices()`` / ``strategy_for(kind)``: the strategy for ``"mirrored"`` (this machine's GPUs, or its
  logical CPUs), ``"multi-worker"`` (several processes or machines, configured by ``TF_CONFIG``; ``tf_config``
  writes it, and ``resnext_edu.cluster`` runs such a cluster on this machine), ``"tpu"`` (a Cloud TPU, as in Colab)
  or ``"default"`` (no distribution). Of ``"tpu"`` the tests check the arguments only.
- ``replica_batches``: the batch size each replica receives from a dataset, as ``fit`` distributes it.
- ``replica_weights_differ``: the largest difference between the replicas' copies of a model's weights (the
  trainable ones are equal after every step; BatchNorm's moving statistics are not, unless synchronised).
- ``starting_from``, ``synchronized_batchnorm``, ``batch_loss``, ``compare_runs``: train the same model from the
  same weights on one device and under a strategy, and compare the losses (``plots.plot_comparison`` draws them).
- ``scaled_learning_rate``: the linear scaling rule for a larger global batch.

With ``MirroredStrategy``, BatchNormalization normalises each replica's share of the batch with that share's own
mean and variance, so a distributed run differs slightly from a single-device one; ``synchronized=True`` (here:
``synchronized_batchnorm``) all-reduces the statistics and removes that difference; float32 round-off, which training
amplifies, remains (``LOSS_TOLERANCE``).
"""

import dataclasses
import functools

import keras
import numpy as np
import tensorflow as tf

from resnext_edu import cluster, training
from resnext_edu._checks import one_of, positive_int, tensorflow_backend
from resnext_edu.cluster import tf_config

#: The kinds of strategy ``strategy_for`` makes.
STRATEGIES = ("mirrored", "multi-worker", "tpu", "default")

#: How far (relative) the last epoch's training loss of a two-replica run may land from the single-device run of the
#: same seed and weights. Measured on the scaling-out chapter's run (a 4x8d CIFAR-style ResNeXt, the first 512 training
#: digits, batch 64, 2 epochs, AdamW): 3.0, 0.4, 0.6 and 6.2 % for seeds 0-3 with per-replica BatchNorm, 1.4, 0.7 and
#: 0.1 % for seeds 0-2 with synchronised BatchNorm; repeated runs of seed 0 gave 2.7-3.0 % (the single-device run itself
#: is not bit-reproducible on a CPU: its loss moved by 0.3 %). Float32 round-off that the steps amplify is left even
#: when synchronised. A change of seed moves the same loss by up to 16 %.
LOSS_TOLERANCE = 0.10

_TOO_LATE = (
    "TensorFlow has already initialised its devices ({found} logical CPU(s)), so the CPU can no longer be "
    "split into {n}. Restart the kernel (in Colab: Runtime > Restart session) and call "
    "distribute.logical_cpus({n}) first, before anything else runs a TensorFlow operation."
)


def logical_cpus(n=2):
    """Split the physical CPU into ``n`` logical devices (before TensorFlow initialises them); returns their names."""
    n = positive_int("n", n)
    tensorflow_backend("distribute.logical_cpus (tf.distribute's devices)")
    cpu = tf.config.list_physical_devices("CPU")[0]
    configured = tf.config.get_logical_device_configuration(cpu)
    if configured is None or len(configured) != n:
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
        except RuntimeError:
            found = len(tf.config.list_logical_devices("CPU"))
            if found != n:
                raise RuntimeError(_TOO_LATE.format(found=found, n=n)) from None
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def replica_devices():
    """The devices ``MirroredStrategy`` should use here: every GPU if there are two or more, else every logical CPU."""
    gpus = tf.config.list_logical_devices("GPU")
    return [d.name for d in (gpus if len(gpus) >= 2 else tf.config.list_logical_devices("CPU"))]


def _check_devices(devices):
    """``devices`` as this machine's device names, or a ``ValueError`` naming those it has."""
    if isinstance(devices, str) or not isinstance(devices, (list, tuple)) or not devices:
        raise ValueError(f"devices must be a non-empty list of device names, with kind='mirrored'; got {devices!r}.")

    def key(name):  # ("CPU", 0) for "/cpu:0", "/device:CPU:0", "/job:localhost/replica:0/task:0/device:CPU:0"
        try:
            spec = tf.DeviceSpec.from_string(name) if isinstance(name, str) else None
        except ValueError:
            return None
        local = spec is not None and spec.job in (None, "localhost") and spec.device_type is not None
        return (spec.device_type.upper(), spec.device_index or 0) if local else None

    known = {key(d.name): d.name for d in tf.config.list_logical_devices()}
    for device in devices:
        if key(device) not in known:
            names = ", ".join(repr(d.split("device:")[-1]) for d in known.values())
            raise ValueError(f"devices must name devices of this machine ({names}); got {device!r}.")
    return list(devices)


def strategy_for(kind="mirrored", *, devices=None, tpu="", timeout=None):
    """A ``tf.distribute`` strategy: "mirrored", "multi-worker" (reads TF_CONFIG), "tpu" (at address ``tpu``), "default"

    "mirrored" uses ``devices`` (default: ``replica_devices()``). "multi-worker": one worker of a cluster (see
    ``resnext_edu.cluster``, which runs one on this machine); with ``timeout`` (seconds), an all-reduce that waits
    longer for a worker — one that died — fails instead of hanging, and a worker that stops answering is noticed within
    about that time. "tpu" is constructed only when asked, in an environment that has one (a Colab TPU runtime).
    """
    one_of("kind", kind, STRATEGIES)
    tensorflow_backend("distribute.strategy_for (tf.distribute)")
    if devices is not None:
        if kind != "mirrored":
            raise ValueError(f"devices are for kind='mirrored' only; got devices={devices!r} with kind={kind!r}.")
        devices = _check_devices(devices)
    if not isinstance(tpu, str) or (tpu and kind != "tpu"):
        raise ValueError(f"tpu must be a TPU's name or address (a string), for kind='tpu' only; got {tpu!r}.")
    if timeout is not None and (kind != "multi-worker" or not cluster.positive_seconds(timeout)):
        raise ValueError(f"timeout must be a number of seconds > 0, for kind='multi-worker' only; got {timeout!r}.")
    if kind == "mirrored":
        return tf.distribute.MirroredStrategy(list(devices or replica_devices()))
    if kind == "multi-worker":
        return cluster.multi_worker_strategy(timeout)
    if kind == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)  # "": Colab's or this VM's TPU
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    return tf.distribute.get_strategy()


@dataclasses.dataclass
class ReplicaBatches:
    """How a strategy split a dataset's batches: the global batch sizes and, per batch, each replica's share."""

    devices: list  # the device of each replica, in replica order
    global_sizes: list  # images per batch of the dataset
    per_replica: list  # per batch: the images each replica received, in replica order
    replica_ids: list  # per batch: the id each replica reported from inside its step (0, 1, ...)

    def adds_up(self):
        """True if every replica ran a step on every batch, and the replicas' shares sum to the global batch."""
        everyone = list(range(len(self.devices)))
        return all(
            ids == everyone and len(s) == len(everyone) and sum(s) == g
            for s, g, ids in zip(self.per_replica, self.global_sizes, self.replica_ids)
        )


def replica_batches(strategy, dataset):
    """Run a step on every replica for each batch of ``(images, labels)`` ``dataset``; record each replica's share."""

    def share(x):
        return tf.shape(x)[0], tf.distribute.get_replica_context().replica_id_in_sync_group

    global_sizes = [int(tf.shape(images)[0]) for images, _ in dataset]
    step = tf.function(lambda images: strategy.run(share, args=(images,)), reduce_retracing=True)
    per_replica, replica_ids = [], []
    for images, _ in strategy.experimental_distribute_dataset(dataset):
        sizes, ids = (strategy.experimental_local_results(t) for t in step(images))
        per_replica.append([int(n) for n in sizes])
        replica_ids.append([int(i) for i in ids])
    devices = [tf.DeviceSpec.from_string(d).to_string() for d in strategy.extended.worker_devices]
    return ReplicaBatches(devices, global_sizes, per_replica, replica_ids)


def replica_weights_differ(model, strategy, trainable=True):
    """The largest absolute difference between the replicas' copies of the model's trainable (or other) weights."""
    worst = 0.0
    for weight in model.trainable_weights if trainable else model.non_trainable_weights:
        copies = [np.asarray(c) for c in strategy.experimental_local_results(getattr(weight, "value", weight))]
        worst = max([worst, *(float(np.max(np.abs(c - copies[0]))) for c in copies[1:])])
    return worst


def synchronized_batchnorm(model):
    """A copy of ``model`` (same weights) whose BatchNormalization layers all-reduce their batch statistics."""

    tensorflow_backend("distribute.synchronized_batchnorm (BatchNormalization(synchronized=True))")

    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, keras.layers.BatchNormalization):
            config["synchronized"] = True
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def starting_from(build, weights, synchronized=False):
    """A function that builds ``build()`` with the given initial ``weights`` (for ``train``, in a strategy's scope)."""

    def make():
        model = build()
        model.set_weights(weights)
        return synchronized_batchnorm(model) if synchronized else model

    return make


def batch_loss(model, images, labels, strategy=None):
    """Mean cross-entropy of one global batch in training mode (BatchNorm on batch statistics), split by a strategy."""
    tensorflow_backend("distribute.batch_loss (tf.distribute)")
    strategy = strategy or tf.distribute.get_strategy()
    n = tf.shape(images)[0]

    def replica_loss(x, y):
        logits = model(x, training=True)
        per_image = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
        return tf.reduce_sum(per_image) / tf.cast(n, per_image.dtype)

    dataset = tf.data.Dataset.from_tensors((images, labels))
    x, y = next(iter(strategy.experimental_distribute_dataset(dataset)))
    return float(strategy.reduce("SUM", strategy.run(tf.function(replica_loss), args=(x, y)), axis=None))


class StepLosses(keras.callbacks.Callback):
    """Records the training loss of every step (Keras logs the running mean over the epoch; this undoes the mean)."""

    def __init__(self):
        super().__init__()
        self.losses, self._previous = [], (0, 0.0)

    def on_epoch_begin(self, epoch, logs=None):
        self._previous = (0, 0.0)

    def on_train_batch_end(self, batch, logs=None):
        steps, mean = batch + 1, float((logs or {})["loss"])
        self.losses.append(steps * mean - self._previous[0] * self._previous[1])
        self._previous = (steps, mean)


@dataclasses.dataclass
class Comparison:
    """One model trained from the same weights on the same batches, on one device and under a strategy."""

    single: training.TrainingResult
    distributed: training.TrainingResult
    single_steps: list  # the training loss of every step, on one device
    distributed_steps: list  # and under the strategy
    model: keras.Model  # the model trained under the strategy (its weights are mirrored on every replica)
    replicas: int

    def final_loss_difference(self):
        """|distributed - single| / single, of the last epoch's training loss."""
        a, b = self.single.history["loss"][-1], self.distributed.history["loss"][-1]
        return abs(b - a) / a


def compare_runs(build, train_ds, epochs, strategy, *, seed=0, synchronized=False, **train_kwargs):
    """Train ``build()`` (seeded with ``seed``) on one device, then from the same weights under ``strategy``.

    ``train_ds`` must give the same batches every epoch (no shuffling or augmentation) for the runs to be comparable.
    ``synchronized``: all-reduce BatchNorm statistics in the distributed run. Other arguments go to ``training.train``.
    """
    tensorflow_backend("distribute.compare_runs (tf.distribute)")
    keras.utils.set_random_seed(seed)
    weights = build().get_weights()  # one set of initial weights for both runs
    replicas, callbacks = strategy.num_replicas_in_sync, list(train_kwargs.pop("callbacks", ()))
    runs, models = [], []

    def make(synchronized_here):
        models.append(starting_from(build, weights, synchronized_here)())
        return models[-1]

    for label, scope in (("1 device", None), (f"{replicas} replicas", strategy)):
        keras.utils.set_random_seed(seed)
        steps = StepLosses()
        result = training.train(
            functools.partial(make, synchronized and scope is not None),
            train_ds,
            epochs=epochs,
            strategy=scope,
            callbacks=[*callbacks, steps],
            **{"label": label, **train_kwargs},
        )
        runs.append((result, steps.losses))
    return Comparison(runs[0][0], runs[1][0], runs[0][1], runs[1][1], models[-1], replicas)


def scaled_learning_rate(learning_rate, global_batch, reference_batch):
    """Linear scaling (Goyal et al. 2017): ``learning_rate``, tuned at ``reference_batch``, for ``global_batch``."""
    from resnext_edu.recipes import finite_rate

    learning_rate, global_batch = (
        finite_rate("learning_rate", learning_rate),
        positive_int("global_batch", global_batch),
    )
    return learning_rate * global_batch / positive_int("reference_batch", reference_batch)


__all__ = [
    "STRATEGIES",
    "LOSS_TOLERANCE",
    "logical_cpus",
    "replica_devices",
    "tf_config",
    "strategy_for",
    "ReplicaBatches",
    "replica_batches",
    "replica_weights_differ",
    "synchronized_batchnorm",
    "starting_from",
    "batch_loss",
    "StepLosses",
    "Comparison",
    "compare_runs",
    "scaled_learning_rate",
]
