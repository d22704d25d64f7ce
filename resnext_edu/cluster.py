"""Scaling out for real: several worker processes of ``MultiWorkerMirroredStrategy`` on this machine.

Every worker of a cluster runs the same program, with the environment variable ``TF_CONFIG`` saying which
"host:port" addresses form the cluster and which one it is (``distribute.tf_config``). Here the hosts are all
``127.0.0.1`` with free ports, so one machine shows what several would do: gradients all-reduced between processes
over gRPC, every step.

- ``tf_config(workers, index)``: a worker's ``TF_CONFIG``; ``multi_worker_strategy(timeout)``: its strategy (what
  ``distribute.strategy_for("multi-worker")`` returns), whose all-reduces time out when a worker dies.
- ``local_workers(n)``: n "127.0.0.1:port" addresses with ports free now.
- ``run_workers(n, out_dir, ...)``: start n worker processes (``python -m resnext_edu.cluster``), wait for all of them
  (a bounded time), and return what each reported: exit code, result (history, resumed epochs), final weights, log.
- ``python -m resnext_edu.cluster CONFIG``: one worker. It trains a network of the book on the digits (or CIFAR-10) with
  ``training.train(..., strategy=distribute.strategy_for("multi-worker"), backup_dir=...)`` — chapter *Scaling
  out*'s run by default — and writes its result into ``CONFIG["out"]/worker-<index>``. Without ``TF_CONFIG`` it trains
  the same network on one process (the reference a cluster must agree with). ``CONFIG["kill"] = [worker, epoch,
  step]`` makes that worker kill itself with SIGKILL there, as a machine that dies would: the others fail within
  ``CONFIG["timeout"]`` seconds with ``training.WorkerLost``, and running the cluster again resumes from the backup.
"""

import contextlib
import dataclasses
import json
import numbers
import os
import signal
import socket
import subprocess
import sys
import time

from resnext_edu._checks import positive_int

#: The networks a worker can train: chapter *Scaling out*'s (the 4x8d of *ResNet versus ResNeXt*) on 32x32 images, or a
#: tiny one on 16x16.
NETWORKS = {  # name: (image side, models.resnext_cifar's arguments)
    "chapter": (32, dict(cardinality=4, bottleneck_width=8, blocks_per_stage=1, out_channels=64, stem_filters=32)),
    "tiny": (16, dict(cardinality=2, bottleneck_width=2, blocks_per_stage=1, out_channels=8, stem_filters=4)),
}
#: What a worker does unless told otherwise: chapter *Scaling out*'s run (512 digits, 64 a step, 2 epochs, seed 0).
DEFAULTS = {
    "network": "chapter",  # one of NETWORKS
    "dataset": "digits",  # or "cifar10" (data.load: a download), for the "chapter" network
    "images": 512,  # the first training images (None: all); 64 a step (the global batch), split between the workers
    "global_batch": 64,
    "epochs": 2,
    "seed": 0,  # of the initial weights
    "synchronized": True,  # BatchNorm statistics all-reduced: every weight, moving statistics too, the same everywhere
    "timeout": 120,  # seconds an all-reduce waits for a worker before it fails (a dead one is noticed sooner)
    "backup_dir": None,  # the cluster's backup (written by worker 0, read by all)
    "kill": None,  # [worker, epoch, step]: that worker kills itself with SIGKILL after that step
}


def tf_config(workers, index):
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of ``workers`` ("host:port" strings), as a JSON string."""
    if (
        isinstance(workers, str)
        or not isinstance(workers, (list, tuple))
        or not workers
        or not all(isinstance(w, str) and w.rpartition(":")[2].isdigit() and w.rpartition(":")[0] for w in workers)
    ):
        raise ValueError(f"workers must be a non-empty list of 'host:port' strings; got {workers!r}.")
    index = positive_int("index", index, minimum=0)
    if index >= len(workers):
        raise ValueError(f"index must name one of the {len(workers)} workers (0..{len(workers) - 1}); got {index}.")
    return json.dumps({"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}})


def check_tf_config():
    """This worker's ``TF_CONFIG``, checked: a ``ValueError`` saying what it must look like otherwise."""
    text = os.environ.get("TF_CONFIG")
    if not text:
        raise ValueError(
            "strategy_for('multi-worker') needs the environment variable TF_CONFIG (the cluster and this "
            "worker's place in it): set os.environ['TF_CONFIG'] = distribute.tf_config(workers, index) on "
            "every worker, before TensorFlow starts."
        )
    try:
        config = json.loads(text)
        workers, task = config["cluster"]["worker"], config["task"]
        tf_config(workers, task["index"])
        if task["type"] not in ("worker", "chief"):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise ValueError(
            "TF_CONFIG must be JSON like distribute.tf_config writes: "
            f'{{"cluster": {{"worker": ["host:port", ...]}}, "task": {{"type": "worker", "index": i}}}}; '
            f"got {text!r}."
        ) from None
    return config


def positive_seconds(value):
    """True if ``value`` is a finite number of seconds > 0."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 < value < float("inf")


def multi_worker_strategy(timeout=None):
    """``MultiWorkerMirroredStrategy`` for this worker's ``TF_CONFIG``; with ``timeout`` (seconds), an all-reduce that
    waits longer for a worker fails instead of hanging, and a worker that stops answering is noticed within it."""
    import tensorflow as tf

    check_tf_config()
    if timeout is None:
        return tf.distribute.MultiWorkerMirroredStrategy()
    if not positive_seconds(timeout):
        raise ValueError(f"timeout must be a number of seconds > 0; got {timeout!r}.")
    # TensorFlow checks that every worker answers every 30 s (3 tries of 10 s) and then aborts the survivors'
    # collectives; these class attributes are not public API, hence the guard (the collectives' timeout remains).
    from tensorflow.python.distribute import collective_all_reduce_strategy as collective

    extended = getattr(collective, "CollectiveAllReduceExtended", None)
    if extended is not None and hasattr(extended, "_check_health_interval"):
        extended._check_health_interval = max(1.0, timeout / 6)
        extended._check_health_timeout = max(1.0, timeout / 6)
        extended._check_health_retry_limit = 2
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=float(timeout))
    return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


@contextlib.contextmanager
def keras_fit_fixes(model, strategy):
    """Let Keras' ``fit`` train ``model`` under ``MultiWorkerMirroredStrategy`` with several workers.

    Keras 3 (3.15, and its main branch: keras-team/keras#20585) cannot: before the first step it reduces a batch across
    the workers, which that strategy cannot do for a nest of tensors, and after every step it reduces the step's
    scalar logs along an axis they do not have. Inside this context the batch gives shapes from the worker's own share
    (as with one worker), and the logs are averaged over the workers; outside it, Keras is untouched.
    """
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    original = trainer.reduce_per_replica

    def local(value):
        distributed = isinstance(value, tf.distribute.DistributedValues)
        return strategy.experimental_local_results(value)[0] if distributed else value

    def symbolic_build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(local, next(batches))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    def reduce_per_replica(values, strategy_, reduction):
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy_):
            return tf.nest.map_structure(lambda v: strategy_.reduce("MEAN", v, axis=None), values)
        return original(values, strategy_, reduction)

    model._maybe_symbolic_build = symbolic_build
    trainer.reduce_per_replica = reduce_per_replica
    try:
        yield
    finally:
        trainer.reduce_per_replica = original
        del model._maybe_symbolic_build


def local_workers(n=2):
    """``n`` addresses "127.0.0.1:port" of this machine, with ports the system reports free now."""
    sockets = []
    try:
        for _ in range(positive_int("n", n)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [f"127.0.0.1:{s.getsockname()[1]}" for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclasses.dataclass
class WorkerRun:
    """What one worker process did."""

    index: int
    returncode: int  # 0: trained to the end; -9: killed (SIGKILL); 1: failed (its log says why)
    result: dict | None  # the TrainingResult as JSON (history, epochs, resumed_from, ...), if it finished
    weights: list | None  # its final weights (NumPy arrays), if it finished
    log: str  # what it printed (stdout and stderr)
    seconds: float  # when it ended, from the start of the cluster


def run_workers(n, out_dir, *, time_limit=600, **config):
    """Run ``n`` workers (``n=1``: one process without a cluster) on this machine; returns their ``WorkerRun``s.

    ``config`` overrides ``DEFAULTS``. Every worker is waited for, and killed if it outlives ``time_limit`` seconds.
    """
    import numpy as np

    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; the settings are {sorted(DEFAULTS)}.")
    config = {**DEFAULTS, **config, "out": str(out_dir)}
    workers = local_workers(n) if n > 1 else []
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1", "KERAS_BACKEND": "tensorflow"}
    env.pop("TF_CONFIG", None)
    processes, start = [], time.perf_counter()
    for index in range(n):
        os.makedirs(os.path.join(out_dir, f"worker-{index}"), exist_ok=True)
        log = open(os.path.join(out_dir, f"worker-{index}", "log.txt"), "w")
        worker_env = {**env, "TF_CONFIG": tf_config(workers, index)} if workers else env
        command = [sys.executable, "-m", "resnext_edu.cluster", json.dumps(config)]
        processes.append((subprocess.Popen(command, env=worker_env, stdout=log, stderr=subprocess.STDOUT), log))
    ended = {}
    while len(ended) < n:  # every worker, until each has ended, or the time limit has passed
        for index, (process, _) in enumerate(processes):
            if index not in ended and process.poll() is not None:
                ended[index] = time.perf_counter() - start
        if time.perf_counter() - start > time_limit:
            for index, (process, _) in enumerate(processes):
                if index not in ended:
                    process.kill()
                    process.wait()
                    ended[index] = time.perf_counter() - start
        time.sleep(0.1)
    runs = []
    for index, (process, log) in enumerate(processes):
        log.close()
        folder = os.path.join(out_dir, f"worker-{index}")
        result = weights = None
        if os.path.exists(os.path.join(folder, "result.json")):
            with open(os.path.join(folder, "result.json")) as f:
                result = json.load(f)
            with np.load(os.path.join(folder, "weights.npz"), allow_pickle=False) as f:
                weights = [f[f"arr_{i}"] for i in range(len(f.files))]
        with open(os.path.join(folder, "log.txt")) as f:
            text = f.read()
        runs.append(WorkerRun(index, process.returncode, result, weights, text, ended[index]))
    return runs


def _worker(config):
    """One worker's program (module docstring)."""
    import keras
    import numpy as np
    import tensorflow as tf

    from resnext_edu import data, distribute, models, training

    tf.get_logger().setLevel("ERROR")
    multi = "TF_CONFIG" in os.environ
    index = json.loads(os.environ["TF_CONFIG"])["task"]["index"] if multi else 0
    strategy = distribute.strategy_for("multi-worker", timeout=config["timeout"]) if multi else None
    size, network = NETWORKS[config["network"]]
    options = {"image_size": size} if config["dataset"] == "digits" else {}
    splits = data.load(config["dataset"], seed=config["seed"], **options)
    batch = config["global_batch"]
    train_ds = data.make_datasets(splits, batch_size=batch, augment=False, shuffle=False)[0]
    if config["images"] is not None:
        train_ds = train_ds.take(config["images"] // batch)

    def build():
        return models.resnext_cifar(num_classes=splits.num_classes, input_shape=splits.image_shape, **network)

    keras.utils.set_random_seed(config["seed"])
    weights = build().get_weights()  # as distribute.compare_runs: one set of initial weights for every run
    with strategy.scope() if multi else contextlib.nullcontext():
        model = distribute.starting_from(build, weights, synchronized=multi and config["synchronized"])()
    kill = config["kill"]
    result = training.train(
        model,
        train_ds,
        epochs=config["epochs"],
        strategy=strategy,
        backup_dir=config["backup_dir"],
        callbacks=[_kill_at(*kill[1:])] if kill and kill[0] == index else [],
        progress="lines",
        label=f"worker {index}" if multi else "1 process",
    )
    folder = os.path.join(config["out"], f"worker-{index}")
    np.savez(os.path.join(folder, "weights.npz"), *model.get_weights())
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump(dataclasses.asdict(result), f)


def _kill_at(epoch, step):
    """A callback that kills this process with SIGKILL after step ``step`` of epoch ``epoch`` (both from 1)."""
    import keras

    now = {}

    def begin(e, logs=None):
        now["epoch"] = e + 1

    def end(batch, logs=None):
        if (now["epoch"], batch + 1) == (epoch, step):
            print(f"killing this worker (SIGKILL) after step {step} of epoch {epoch}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    return keras.callbacks.LambdaCallback(on_epoch_begin=begin, on_train_batch_end=end)


def main(argv=None):
    """``python -m resnext_edu.cluster CONFIG``: one worker (module docstring); CONFIG is JSON, overriding DEFAULTS."""
    argv = sys.argv[1:] if argv is None else argv
    _worker({**DEFAULTS, **json.loads(argv[0])})


__all__ = [
    "NETWORKS",
    "DEFAULTS",
    "tf_config",
    "check_tf_config",
    "multi_worker_strategy",
    "keras_fit_fixes",
    "local_workers",
    "WorkerRun",
    "run_workers",
    "main",
]

if __name__ == "__main__":
    main()
