"""Training the book's networks with Keras ``fit``: one line of progress per epoch, resumable runs.

``train(model, train_ds, val_ds, epochs)`` compiles the model (AdamW, or the paper's SGD with momentum,
with a cosine-decayed learning rate; sparse categorical cross-entropy on the logits the library's models
output; accuracy), fits it, prints one short line per epoch and returns a ``TrainingResult`` (history,
epochs run, time, images/s). ``train_side_by_side`` trains several models taking turns epoch by epoch, so
that their speeds can be compared on a busy machine; ``plot_histories`` draws their learning curves.

With ``backup_dir``, ``keras.callbacks.BackupAndRestore`` saves the weights, the optimizer's state
(momentum and step count, hence the learning-rate schedule) and the epoch count at the end of every
epoch. A run that stops — a crash, a closed Colab tab, or ``InterruptAfterEpoch(k)`` raising
``TrainingInterrupted`` to simulate one — is continued by calling ``train`` again with the same
arguments: it restores the backup and runs only the epochs still missing, k + 1 .. ``epochs``. When a
run completes, its backup is deleted. The backup holds no position in the data pipeline: a resumed run
draws its batches afresh from ``train_ds`` (the same images, reshuffled and re-augmented).
"""

import contextlib
import dataclasses
import numbers
import os
import re
import shutil
import statistics
import sys
import time

import keras

from resnext_edu import paper, style
from resnext_edu._checks import one_of, positive_int

#: The optimizers ``train`` knows, with their default peak learning rate and weight decay (decoupled).
#: "sgd" takes the paper's CIFAR values (``paper.CIFAR_RECIPE``, Appendix A: momentum, weight decay, learning rate
#: at its batch of 128); its schedule here is a cosine, not the paper's steps.
_SGD = paper.CIFAR_RECIPE
OPTIMIZERS = {
    "adamw": dict(learning_rate=1e-2, weight_decay=1e-4),
    "sgd": dict(learning_rate=_SGD.learning_rate, weight_decay=_SGD.weight_decay),
}
MOMENTUM = _SGD.momentum


class TrainingInterrupted(RuntimeError):
    """Raised by ``InterruptAfterEpoch`` to stop ``fit`` after an epoch, as a crash would."""


class InterruptAfterEpoch(keras.callbacks.Callback):
    """Raise ``TrainingInterrupted`` at the end of epoch ``epoch`` (counted from 1), to simulate a crash.

    ``train`` puts its ``BackupAndRestore`` before the caller's callbacks, so the backup of that epoch
    is on disk when the exception leaves ``fit``.
    """

    def __init__(self, epoch):
        super().__init__()
        self.epoch = positive_int("epoch", epoch)

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            raise TrainingInterrupted(
                f"training interrupted after epoch {self.epoch} (simulated); call train() "
                "again with the same backup_dir to resume"
            )


class EpochLog(keras.callbacks.Callback):
    """Records the epochs run (from 1), their training seconds and every step's; prints one line per epoch
    if ``stream``.

    An epoch's training time runs from its start to the start of validation (or the epoch's end), so
    it counts the optimisation steps only.
    """

    def __init__(self, epochs, label="", stream=None):
        super().__init__()
        self.epochs, self.label, self.stream = epochs, label, stream
        self.epochs_run, self.train_seconds, self.step_seconds, self.steps_per_epoch = [], [], [], []
        self._start = self._step = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self.steps_per_epoch.append(0)

    def on_train_batch_begin(self, batch, logs=None):
        self._step = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self._step is not None:
            self.step_seconds.append(time.perf_counter() - self._step)
            self.steps_per_epoch[-1] += 1
            self._step = None

    def _stop_clock(self):
        if self._start is not None:
            self.train_seconds.append(time.perf_counter() - self._start)
            self._start = None

    def on_test_begin(self, logs=None):
        self._stop_clock()

    def on_epoch_end(self, epoch, logs=None):
        self._stop_clock()
        self.epochs_run.append(epoch + 1)
        if self.stream is not None:
            print(self.line(epoch + 1, logs or {}, self.train_seconds[-1]), file=self.stream, flush=True)

    def line(self, epoch, logs, seconds):
        """``"1x20d  epoch 2/5  loss 0.412  accuracy 87.3%  val_loss 0.301  val_accuracy 91.1%  2.1 s"``."""
        width = len(str(self.epochs))
        parts = [self.label] if self.label else []
        parts.append(f"epoch {epoch:>{width}}/{self.epochs}")
        for key, value in logs.items():
            if key == "learning_rate":
                continue
            parts.append(f"{key} {value:.1%}" if key.endswith("accuracy") else f"{key} {value:.3f}")
        parts.append(f"{seconds:.1f} s")
        return "  ".join(parts)


@dataclasses.dataclass
class TrainingResult:
    """What one call of ``train`` did: the Keras history of the epochs it ran, and how fast."""

    history: dict  # metric name -> one value per epoch run, as keras.callbacks.History records it
    epochs: list  # the epochs this call ran, counted from 1 (a resumed run starts after the backup's)
    seconds: float  # wall-clock time of fit, validation and first-epoch tracing included
    train_seconds: list  # per epoch run: the optimisation steps only
    images_per_epoch: int
    step_seconds: list = dataclasses.field(default_factory=list)  # every training step, in order
    steps_per_epoch: int = 0

    @property
    def images_per_second(self):
        """Training images per second: an epoch's images over its steps times the median step time.

        The median over all steps but the first (which builds the graph) is what other work on the machine
        disturbs least: a burst of it slows some steps, not the median. Without step times (a result made by
        hand), the fastest epoch after the first.
        """
        if len(self.step_seconds) > 1 and self.steps_per_epoch:
            return self.images_per_epoch / (statistics.median(self.step_seconds[1:]) * self.steps_per_epoch)
        steady = self.train_seconds[1:] or self.train_seconds
        return self.images_per_epoch / min(steady) if steady else float("nan")


def count_images(dataset):
    """The number of examples in one pass over a finite, batched ``(images, labels)`` dataset."""
    import tensorflow as tf

    return int(dataset.reduce(tf.constant(0, tf.int64), lambda n, batch: n + tf.shape(batch[1], tf.int64)[0]))


def make_optimizer(name="adamw", learning_rate=None, decay_steps=None, weight_decay=None):
    """An optimizer of ``OPTIMIZERS``: "adamw" (AdamW) or "sgd" (SGD, Nesterov momentum 0.9).

    ``learning_rate`` and ``weight_decay`` default to the ``OPTIMIZERS`` entry; with ``decay_steps`` the
    rate follows a cosine from its peak to 0 over that many steps.
    """
    one_of("optimizer", name, tuple(OPTIMIZERS))
    defaults = OPTIMIZERS[name]
    learning_rate = defaults["learning_rate"] if learning_rate is None else learning_rate
    weight_decay = defaults["weight_decay"] if weight_decay is None else weight_decay
    for label, value in (("learning_rate", learning_rate), ("weight_decay", weight_decay)):
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or value < 0
            or (label == "learning_rate" and value == 0)
        ):
            raise ValueError(f"{label} must be a positive number; got {value!r}.")
    if decay_steps:
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=MOMENTUM, nesterov=True, weight_decay=weight_decay)
    return keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay)


def compile_model(model, optimizer):
    """Compile for classification on logits: sparse categorical cross-entropy and accuracy."""
    model.compile(
        optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    return model


def _result(history, log, seconds, images):
    return TrainingResult(
        history,
        log.epochs_run,
        seconds,
        log.train_seconds,
        images,
        log.step_seconds,
        max(log.steps_per_epoch, default=0),
    )


def _check_common(epochs, optimizer, learning_rate, weight_decay, callbacks):
    epochs = positive_int("epochs", epochs)
    make_optimizer(optimizer, learning_rate, weight_decay=weight_decay)  # checks the arguments early
    if not isinstance(callbacks, (list, tuple)):
        raise ValueError(f"callbacks must be a list or tuple of Keras callbacks; got {callbacks!r}.")
    return epochs


def _decay_steps(train_ds, epochs):
    steps = int(train_ds.cardinality())
    return epochs * steps if steps > 0 else None  # unknown or infinite length: a constant rate


def _stream(progress):
    return sys.stdout if progress is True else (progress or None)


def train(
    model,
    train_ds,
    val_ds=None,
    epochs=10,
    *,
    backup_dir=None,
    optimizer="adamw",
    learning_rate=None,
    weight_decay=None,
    callbacks=(),
    progress=True,
    label="",
    strategy=None,
):
    """Compile ``model`` and fit it on ``train_ds`` for ``epochs`` epochs; returns a ``TrainingResult``.

    AdamW is the default because it trains these small networks fastest when there are few steps: in 3-epoch
    runs of chapter 6's three networks on the digits (seeds 0 and 1) it reached 84-94 % test accuracy, where the
    paper's SGD with momentum (learning rate 0.1) reached 71-84 %. For long runs (CIFAR-10, hundreds of epochs)
    ``optimizer="sgd"`` takes the paper's SGD settings (``paper.CIFAR_RECIPE``: Appendix A), not its 300-epoch
    step schedule nor its augmentation. The learning rate follows a cosine over ``epochs`` (the step
    count comes from ``train_ds``'s cardinality; a dataset of unknown length keeps the rate constant).

    ``backup_dir``: back up every epoch and resume from the backup if one is there (module docstring).
    ``callbacks`` run after the backup's. ``progress``: print one line per epoch (``label`` first), or
    write them to a stream passed instead of True. ``strategy``: a ``tf.distribute.Strategy`` to compile
    (and, if ``model`` is a function returning a model, to build) in its scope.
    """
    epochs = _check_common(epochs, optimizer, learning_rate, weight_decay, callbacks)
    if not callable(model):
        raise ValueError(f"model must be a Keras model, or a function returning one; got {model!r}.")
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        if not isinstance(model, keras.Model):
            model = model()
        compile_model(model, make_optimizer(optimizer, learning_rate, _decay_steps(train_ds, epochs), weight_decay))
    if not model.built:
        model.build((None, *train_ds.element_spec[0].shape[1:]))
    log = EpochLog(epochs, label, _stream(progress))
    backup = [keras.callbacks.BackupAndRestore(str(backup_dir))] if backup_dir is not None else []
    images = count_images(train_ds)
    # Keras sets `_initial_epoch` when BackupAndRestore restores and never clears it (Keras 3.15): a later
    # fit of the same model would skip epochs. Clear it; a backup in backup_dir sets it again.
    model._initial_epoch = None
    start = time.perf_counter()
    history = model.fit(
        train_ds, validation_data=val_ds, epochs=epochs, verbose=0, shuffle=False, callbacks=[*backup, log, *callbacks]
    )
    seconds = time.perf_counter() - start
    return _result({k: list(v) for k, v in history.history.items()}, log, seconds, images)


class _BackupOnly(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that restores when asked (``restore()``), not at the start of every ``fit``."""

    def on_train_begin(self, logs=None):
        pass

    def restore(self):
        super().on_train_begin()


def train_side_by_side(
    models,
    train_ds,
    val_ds=None,
    epochs=10,
    *,
    backup_dir=None,
    optimizer="adamw",
    learning_rate=None,
    weight_decay=None,
    callbacks=(),
    progress=True,
):
    """Train several models on the same data, taking turns epoch by epoch; returns ``{label: TrainingResult}``.

    ``models``: ``{label: keras.Model}``. Epoch 1 of every model, then epoch 2 of every model, and so on, so
    that other work on the machine slows them alike: the way to compare their images per second (as
    ``resnext_edu.benchmark`` interleaves its rounds). Each model trains as ``train`` would train it (one
    compile, a cosine schedule over ``epochs``; each epoch is one ``fit``, continuing the optimizer), and the
    arguments mean the same. With ``backup_dir``, each model backs up into its own folder in it after every
    epoch; a second call resumes each model after its last completed epoch, and the backups are deleted when
    all models have finished. A result's ``history`` and ``epochs`` hold the epochs run by this call.
    """
    epochs = _check_common(epochs, optimizer, learning_rate, weight_decay, callbacks)
    if not isinstance(models, dict) or not models or not all(isinstance(m, keras.Model) for m in models.values()):
        raise ValueError(f"models must be a non-empty dict of label -> keras.Model; got {models!r}.")
    decay_steps, stream = _decay_steps(train_ds, epochs), _stream(progress)
    folders = {label: re.sub(r"[^A-Za-z0-9_.-]+", "_", str(label)) for label in models}
    if backup_dir is not None and len(set(folders.values())) < len(folders):
        raise ValueError(
            f"the labels {list(models)} must differ in their letters, digits, '_', '.' or '-' "
            "(each names a backup folder)."
        )
    logs, histories, seconds, backups, done = {}, {}, {}, {}, {}
    for label, model in models.items():
        compile_model(model, make_optimizer(optimizer, learning_rate, decay_steps, weight_decay))
        logs[label], histories[label], seconds[label] = EpochLog(epochs, label, stream), {}, 0.0
        backups[label], done[label] = [], 0
        model._initial_epoch = None  # see train()
        if backup_dir is not None:
            backup = _BackupOnly(os.path.join(str(backup_dir), folders[label]), delete_checkpoint=False)
            backup.set_model(model)
            backup.restore()  # the model's last backup, if it has one
            backups[label], done[label] = [backup], model._initial_epoch or 0
    images = count_images(train_ds)
    for epoch in range(epochs):
        for label, model in models.items():
            if epoch < done[label]:
                continue
            model._initial_epoch = None
            start = time.perf_counter()
            history = model.fit(
                train_ds,
                validation_data=val_ds,
                initial_epoch=epoch,
                epochs=epoch + 1,
                verbose=0,
                shuffle=False,
                callbacks=[*backups[label], logs[label], *callbacks],
            )
            seconds[label] += time.perf_counter() - start
            for key, values in history.history.items():
                histories[label].setdefault(key, []).extend(values)
    if backup_dir is not None:
        for folder in folders.values():
            shutil.rmtree(os.path.join(str(backup_dir), folder), ignore_errors=True)
    return {label: _result(histories[label], logs[label], seconds[label], images) for label in models}


def plot_histories(histories, metrics=("loss", "accuracy"), title=None):
    """Learning curves of several runs on one figure: a panel per metric, training solid, validation dashed.

    ``histories``: ``{label: TrainingResult or history dict}``. Returns the matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if not histories:
        raise ValueError("plot_histories needs at least one history.")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for i, (label, run) in enumerate(histories.items()):
            history = run.history if isinstance(run, TrainingResult) else run
            color = style.series_color(i)
            for key, line, suffix in ((metric, "-", "training"), (f"val_{metric}", "--", "validation")):
                if key in history:
                    values = history[key]
                    ax.plot(
                        range(1, len(values) + 1),
                        values,
                        line,
                        color=color,
                        lw=1.6,
                        marker="o",
                        markersize=3.5,
                        label=f"{label} ({suffix})",
                    )
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric + (" (log scale)" if metric.endswith("loss") else ""))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if metric.endswith("loss"):
            ax.set_yscale("log")  # early validation losses can be many times the final ones
        if metric.endswith("accuracy"):
            ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0][-1].legend(fontsize=7.5, frameon=False, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


__all__ = [
    "OPTIMIZERS",
    "MOMENTUM",
    "TrainingInterrupted",
    "InterruptAfterEpoch",
    "EpochLog",
    "TrainingResult",
    "count_images",
    "make_optimizer",
    "compile_model",
    "train",
    "train_side_by_side",
    "plot_histories",
]
