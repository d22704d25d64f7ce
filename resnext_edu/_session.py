"""One model's training run for ``resnext_edu.training``: inputs checked, model compiled, backup restored and written.

``Session.start`` checks everything a run needs before its first step — the datasets (``tf.data`` pipelines of
``(images, labels)`` batches, not empty, every label a class of the model), the strategy, the model — compiles the
model for the recipe and restores the backup, if any (``resnext_edu.backup``). ``Session.fit`` runs epochs with the
callbacks that set the pipelines' epoch (``pipeline.set_epoch``), time the steps, draw the progress and back up after
every epoch; ``Session.finish`` deletes the backup and returns the ``TrainingResult`` of the whole run.
"""

import contextlib
import hashlib
import time

import keras
import numpy as np
import tensorflow as tf

from resnext_edu import backup, pipeline
from resnext_edu._checks import tensorflow_backend
from resnext_edu.progress import epoch_line


class WorkerLost(RuntimeError):
    """A worker of a ``MultiWorkerMirroredStrategy`` cluster stopped during training; the others cannot go on."""


def count_batches(dataset):
    """``(batches, images, smallest label, largest label)`` of one pass over a batched ``(images, labels)`` dataset."""
    big = tf.constant(np.iinfo(np.int64).max, tf.int64)

    def add(state, batch):
        labels = tf.cast(tf.reshape(batch[1], [-1]), tf.int64)
        return (
            state[0] + 1,
            state[1] + tf.cast(tf.shape(batch[1])[0], tf.int64),
            tf.minimum(state[2], tf.reduce_min(tf.concat([labels, [big]], 0))),
            tf.maximum(state[3], tf.reduce_max(tf.concat([labels, [-big]], 0))),
        )

    zero = tf.constant(0, tf.int64)
    return tuple(int(v) for v in dataset.reduce((zero, zero, big, -big), add))


def compile_model(model, optimizer):
    """Compile for classification on logits: sparse categorical cross-entropy and accuracy."""
    model.compile(
        optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    return model


def _check_dataset(name, dataset):
    """A ``tf.data.Dataset`` of ``(images, labels)`` batches with integer class labels; its counts."""
    hint = (
        f"{name} must be a tf.data.Dataset of (images, labels) batches, labels integer class indices "
        "(data.make_datasets makes them; from arrays: tf.data.Dataset.from_tensor_slices((x, y)).batch(64))"
    )
    if not isinstance(dataset, tf.data.Dataset):
        raise ValueError(f"{hint}; got {type(dataset).__name__}.")
    spec = dataset.element_spec
    if not isinstance(spec, tuple) or len(spec) != 2 or not all(isinstance(s, tf.TensorSpec) for s in spec):
        raise ValueError(f"{hint}; got elements {spec}.")
    images, labels = spec
    one_hot = labels.shape.rank == 2 and labels.shape[-1] not in (1, None)
    if not labels.dtype.is_integer or labels.shape.rank not in (1, 2, None) or one_hot or images.shape.rank in (0, 1):
        raise ValueError(f"{hint}, shape (batch,) or (batch, 1); got images {images} and labels {labels}.")
    if dataset.cardinality() == tf.data.INFINITE_CARDINALITY:
        raise ValueError(f"{name} must be finite (one pass is one epoch); it repeats forever.")
    batches, images, low, high = count_batches(dataset)
    if batches == 0 or images == 0:
        raise ValueError(f"{name} is empty: it gives no batch (a batch larger than the data with drop_remainder?).")
    return batches, images, low, high


def _classes(model, dataset):
    """The number of classes ``model`` outputs, checked on one image of ``dataset``."""
    images = next(iter(dataset))[0][:1]
    declared = getattr(model, "inputs", None)  # a functional or Sequential model's Input: its sizes must match
    if declared and len(declared) == 1 and len(declared[0].shape) == len(images.shape):
        if any(d is not None and d != n for d, n in zip(declared[0].shape[1:], images.shape[1:])):
            raise ValueError(
                f"the model {model.name!r} takes images of shape {tuple(declared[0].shape[1:])}; the dataset's are "
                f"{tuple(images.shape[1:])}."
            )
    try:
        logits = model(images, training=False)
    except Exception as error:  # Keras or TensorFlow, whatever the mismatch: one clear message
        raise ValueError(
            f"the model {model.name!r} does not take the dataset's images, of shape {tuple(images.shape[1:])} "
            f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})."
        ) from None
    if len(logits.shape) != 2:
        raise ValueError(f"the model must output one vector of class logits per image; it outputs {logits.shape}.")
    return int(logits.shape[-1])


def _signature(model):
    """The model's weights as a short string: two models with the same shapes, in order, share it."""
    shapes = ";".join("x".join(map(str, w.shape)) for w in model.weights)
    params = sum(int(np.prod(w.shape)) for w in model.weights)
    return f"{len(model.weights)} arrays, {params:,} numbers, shapes {hashlib.sha256(shapes.encode()).hexdigest()[:12]}"


def _reason(error):
    """What TensorFlow says went wrong, without the traceback it puts first."""
    lines = [line.strip() for line in str(getattr(error, "message", error)).splitlines()]
    lines = [
        line
        for line in lines
        if line and not line.startswith(("File ", "Graph execution error", "Detected at node", "[[", "The error could"))
    ]
    return " ".join(lines[:3]) or type(error).__name__


def _barrier(strategy):
    """Wait for every worker of a multi-worker strategy (an all-reduce of one number); nothing otherwise."""
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None)


class Session:
    """One model's run: its datasets, model, recipe, backup and the record of every epoch."""

    @classmethod
    def start(cls, model, train_ds, val_ds, recipe, label, strategy, backup_dir, restart):
        if strategy is not None and not isinstance(strategy, tf.distribute.Strategy):
            raise ValueError(
                "strategy must be a tf.distribute.Strategy (distribute.strategy_for('mirrored') makes one) or None; "
                f"got {strategy!r}."
            )
        if strategy is not None:
            tensorflow_backend("training with a strategy (tf.distribute)")
        if not isinstance(model, keras.Model) and not callable(model):
            raise ValueError(f"model must be a Keras model, or a function returning one; got {model!r}.")
        steps, images, low, high = _check_dataset("train_ds", train_ds)
        lows, highs = [low], [high]
        if val_ds is not None:
            _, _, low, high = _check_dataset("val_ds", val_ds)
            lows.append(low)
            highs.append(high)
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            if not isinstance(model, keras.Model):
                model = model()
                if not isinstance(model, keras.Model):
                    raise ValueError(f"the model function must return a keras.Model; it returned {model!r}.")
        classes = _classes(model, train_ds)
        if min(lows) < 0 or max(highs) >= classes:
            raise ValueError(
                f"the labels must be class indices 0..{classes - 1} (the model {model.name!r} outputs {classes} "
                f"logits); the data holds labels from {min(lows)} to {max(highs)}."
            )
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            compile_model(model, recipe.make_optimizer(steps))
        session = cls(model, train_ds, val_ds, recipe, label, strategy, backup_dir, steps, images)
        session._restore(restart)
        return session

    def __init__(self, model, train_ds, val_ds, recipe, label, strategy, backup_dir, steps, images):
        self.model, self.train_ds, self.val_ds, self.recipe, self.label = model, train_ds, val_ds, recipe, label
        self.strategy, self.backup_dir, self.steps, self.images = strategy, backup_dir, steps, images
        self.chief = strategy is None or strategy.extended.should_checkpoint
        self.done, self.resumed_from, self.seconds = 0, 0, 0.0
        self.history, self.train_seconds, self.step_seconds = {}, [], []
        self.settings = {
            **{k: v for k, v in recipe.settings().items() if k not in ("batch_size", "augmentation")},
            "steps_per_epoch": steps,
            "images_per_epoch": images,
            "weights": _signature(model),
        }

    def _restore(self, restart):
        if self.backup_dir is None:
            return
        if restart and self.chief:
            backup.delete(self.backup_dir)
        _barrier(self.strategy)
        found = backup.read(self.backup_dir, self.recipe.epochs, self.settings)
        if found is not None:
            metadata, weights = found
            with self.strategy.scope() if self.strategy is not None else contextlib.nullcontext():
                backup.restore(self.backup_dir, self.model, weights)
            self.done = self.resumed_from = metadata["epoch"]
            self.history, self.seconds = metadata["history"], float(metadata["seconds"])
            self.train_seconds, self.step_seconds = metadata["train_seconds"], metadata["step_seconds"]
        _barrier(self.strategy)
        if self.chief:
            backup.clean(self.backup_dir)

    def fit(self, first, last, bar, callbacks):
        """Run epochs ``first`` .. ``last - 1`` (counted from 0), drawing on ``bar``; back up after each."""
        from resnext_edu import cluster

        self.model._initial_epoch = None  # left by Keras' BackupAndRestore (3.15), fit would prefer it to first
        start = time.perf_counter()
        record = _Record(self, bar, start)
        multi_worker = isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy)
        try:
            with cluster.keras_fit_fixes(self.model, self.strategy) if multi_worker else contextlib.nullcontext():
                self.model.fit(
                    self.train_ds,
                    validation_data=self.val_ds,
                    initial_epoch=first,
                    epochs=last,
                    verbose=0,
                    shuffle=False,
                    callbacks=[record, *callbacks],
                )
        except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.AbortedError) as error:
            if not multi_worker:
                raise
            raise WorkerLost(
                f"a worker of the cluster stopped responding in epoch {self.done + 1} ({type(error).__name__}: "
                f"{_reason(error)}). Training cannot go on without it: restart every worker with the same "
                f"backup_dir to resume after epoch {self.done}, the last completed one."
            ) from None
        finally:
            self.seconds += time.perf_counter() - start - record.counted

    def finish(self):
        """The ``TrainingResult`` of the whole run; the backup is deleted (the run is complete)."""
        from resnext_edu.training import TrainingResult

        if self.backup_dir is not None:
            _barrier(self.strategy)
            if self.chief:
                backup.delete(self.backup_dir)
        return TrainingResult(
            {key: list(values) for key, values in self.history.items()},
            list(range(1, self.done + 1)),
            self.seconds,
            list(self.train_seconds),
            self.images,
            list(self.step_seconds),
            self.steps,
            self.resumed_from,
        )


class _Record(keras.callbacks.Callback):
    """Sets the pipelines' epoch, times the steps, records the epoch's logs, draws progress, writes the backup."""

    def __init__(self, session, bar, start):
        super().__init__()
        self.session, self.bar, self.start, self.counted = session, bar, start, 0.0
        self._epoch_start = self._step = None

    def on_epoch_begin(self, epoch, logs=None):
        pipeline.set_epoch(epoch)
        self._epoch_start = time.perf_counter()

    def on_train_batch_begin(self, batch, logs=None):
        self._step = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self._step is not None:
            self.session.step_seconds.append(time.perf_counter() - self._step)
            self._step = None
        self.bar.step(self.session.label, self.session.done + 1, self.session.recipe.epochs, logs or {})

    def _stop_clock(self):
        if self._epoch_start is not None:
            self.session.train_seconds.append(time.perf_counter() - self._epoch_start)
            self._epoch_start = None

    def on_test_begin(self, logs=None):
        self._stop_clock()

    def on_epoch_end(self, epoch, logs=None):
        self._stop_clock()
        session, logs = self.session, {key: float(value) for key, value in (logs or {}).items()}
        for key, value in logs.items():
            session.history.setdefault(key, []).append(value)
        session.done = epoch + 1
        now = time.perf_counter()
        session.seconds += now - self.start - self.counted
        self.counted = now - self.start
        self.bar.line(epoch_line(session.label, epoch + 1, session.recipe.epochs, logs, session.train_seconds[-1]))
        if session.backup_dir is not None and session.chief:
            metadata = dict(
                settings=session.settings,
                history=session.history,
                train_seconds=session.train_seconds,
                step_seconds=session.step_seconds,
                seconds=session.seconds,
            )
            backup.write(session.backup_dir, self.model, epoch + 1, metadata)


__all__ = ["WorkerLost", "count_batches", "compile_model", "Session"]
