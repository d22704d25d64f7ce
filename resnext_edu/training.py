"""Training the book's networks with Keras ``fit``: one progress bar, and runs that survive any interruption.

``train(model, train_ds, val_ds, epochs)`` checks every argument (and the first batch) before the first step,
compiles the model for a ``recipes.Recipe`` (AdamW with a cosine-decayed rate by default; ``recipes.PAPER_CIFAR`` is
the paper's CIFAR recipe), fits it with one progress bar and one line per epoch (``resnext_edu.progress``), and
returns a ``TrainingResult`` (history, epochs, time, images/s). ``train_side_by_side`` trains several models taking
turns epoch by epoch, so that their speeds can be compared on a busy machine; ``plot_histories`` draws the curves.

With ``backup_dir``, the state after every epoch — weights, optimizer state (momentum, step count, hence the
learning-rate schedule) and the whole history — is backed up as one atomic unit (``resnext_edu.backup``). A run that
stops at any point — a crash, a closed Colab tab, a kill -9, or ``InterruptAfterEpoch(k)`` — is continued by calling
``train`` again with the same arguments: it checks the backup (a damaged or foreign one is a ``ValueError`` saying
how to get out of it), restores it and runs the missing epochs only. The training pipelines of
``data.make_datasets`` are a function of (seed, epoch), which ``train`` sets before every epoch, so the resumed
epochs see the batches an uninterrupted run sees: on a CPU the final weights are the same, to the bit, and the
result's history, epochs and plots are those of an uninterrupted run. A completed run deletes its backup.
"""

import dataclasses
import os
import re
import statistics

import keras

from resnext_edu import style
from resnext_edu._checks import positive_int
from resnext_edu._session import Session, WorkerLost, compile_model, count_batches
from resnext_edu.progress import Progress
from resnext_edu.progress import check as check_progress
from resnext_edu.recipes import MOMENTUM, OPTIMIZERS, PAPER_CIFAR, Recipe


class TrainingInterrupted(RuntimeError):
    """Raised by ``InterruptAfterEpoch`` to stop ``fit`` after an epoch, as a crash would."""


class InterruptAfterEpoch(keras.callbacks.Callback):
    """Raise ``TrainingInterrupted`` at the end of epoch ``epoch`` (counted from 1), to simulate a crash.

    ``train`` runs its backup before the caller's callbacks, so the backup of that epoch is on disk when the
    exception leaves ``fit``.
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


@dataclasses.dataclass
class TrainingResult:
    """What a run did, as an uninterrupted run would report it: the history of every epoch, and how fast."""

    history: dict  # metric name -> one value per epoch, as keras.callbacks.History records it
    epochs: list  # the epochs, counted from 1: 1..epochs once the run is complete, resumed or not
    seconds: float  # wall-clock time of fit, validation and first-epoch tracing included (all sessions)
    train_seconds: list  # per epoch: the optimisation steps only
    images_per_epoch: int
    step_seconds: list = dataclasses.field(default_factory=list)  # every training step, in order
    steps_per_epoch: int = 0
    resumed_from: int = 0  # epochs restored from a backup (0: the run started from the first epoch)

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
    return count_batches(dataset)[1]


def make_optimizer(name="adamw", learning_rate=None, decay_steps=None, weight_decay=None):
    """The optimizer of ``Recipe(name, learning_rate, weight_decay)``, its rate decayed along a cosine over
    ``decay_steps`` steps (constant without them)."""
    recipe = Recipe(name, learning_rate, weight_decay, "cosine" if decay_steps else "constant", epochs=1)
    return recipe.make_optimizer(decay_steps or 1)


def _recipe(recipe, epochs, optimizer, learning_rate, weight_decay):
    """The run's recipe: ``recipe`` (default ``Recipe()``), with the arguments given explicitly put in."""
    if recipe is not None and not isinstance(recipe, Recipe):
        raise ValueError(f"recipe must be a recipes.Recipe (such as recipes.PAPER_CIFAR) or None; got {recipe!r}.")
    recipe = recipe or Recipe()
    changes = dict(epochs=epochs, optimizer=optimizer, learning_rate=learning_rate, weight_decay=weight_decay)
    changes = {key: value for key, value in changes.items() if value is not None}
    if "optimizer" in changes and changes["optimizer"] != recipe.optimizer:  # another optimizer: its own defaults
        changes = {"learning_rate": None, "weight_decay": None, **changes}
    return dataclasses.replace(recipe, **changes)  # checked by Recipe


def _check_common(callbacks, progress, backup_dir, restart):
    if not isinstance(callbacks, (list, tuple)) or not all(isinstance(c, keras.callbacks.Callback) for c in callbacks):
        raise ValueError(f"callbacks must be a list or tuple of keras.callbacks.Callback instances; got {callbacks!r}.")
    check_progress(progress)
    if backup_dir is not None and not isinstance(backup_dir, (str, os.PathLike)):
        raise ValueError(f"backup_dir must be a folder's path (a string or pathlib.Path) or None; got {backup_dir!r}.")
    if not isinstance(restart, bool):
        raise ValueError(f"restart must be True (discard any backup and start over) or False; got {restart!r}.")


def train(
    model,
    train_ds,
    val_ds=None,
    epochs=None,
    *,
    recipe=None,
    optimizer=None,
    learning_rate=None,
    weight_decay=None,
    backup_dir=None,
    restart=False,
    callbacks=(),
    progress=True,
    label="",
    strategy=None,
):
    """Compile ``model`` and fit it on ``train_ds`` for ``epochs`` epochs; returns a ``TrainingResult``.

    The recipe (``recipes.Recipe``; default AdamW, a cosine over the run, 10 epochs) sets the optimizer, learning rate
    and its schedule, weight decay and epochs; ``epochs``, ``optimizer``, ``learning_rate`` and ``weight_decay``
    override its fields. AdamW is the default because it trains these small networks fastest when there are few
    steps: in 3-epoch runs of the three networks of chapter *ResNet versus ResNeXt* on the digits (seeds 0 and 1) it
    reached 84-94 % test accuracy, where the paper's SGD with momentum (learning rate 0.1) reached 71-84 %. For long
    runs ``recipe=recipes.PAPER_CIFAR`` is the paper's (its batch and augmentation are those of ``recipe.datasets``).

    ``backup_dir``: back up every epoch and resume from the backup if one is there; ``restart=True`` discards it
    first (module docstring). ``callbacks`` run after the backup's. ``progress``: one of ``progress.MODES`` (True: a
    bar in a notebook or a terminal, and one line per epoch, ``label`` first), False for none, or a stream for the
    lines. ``strategy``: a ``tf.distribute.Strategy`` to compile (and, if ``model`` is a function returning a model, to
    build) in its scope; under ``MultiWorkerMirroredStrategy`` the chief writes the backup, which every worker reads.
    A strategy needs Keras' TensorFlow backend (a ``RuntimeError`` on JAX or PyTorch); all else runs on any backend.
    """
    recipe = _recipe(recipe, epochs, optimizer, learning_rate, weight_decay)
    _check_common(callbacks, progress, backup_dir, restart)
    if not isinstance(label, str):
        raise ValueError(f"label must be a string (the run's name in its progress lines); got {label!r}.")
    session = Session.start(model, train_ds, val_ds, recipe, label, strategy, backup_dir, restart)
    bar = Progress(progress, recipe.epochs * session.steps, session.done * session.steps)
    try:
        session.fit(session.done, recipe.epochs, bar, callbacks)
    finally:
        bar.close()
    return session.finish()


def train_side_by_side(
    models,
    train_ds,
    val_ds=None,
    epochs=None,
    *,
    recipe=None,
    optimizer=None,
    learning_rate=None,
    weight_decay=None,
    backup_dir=None,
    restart=False,
    callbacks=(),
    progress=True,
):
    """Train several models on the same data, taking turns epoch by epoch; returns ``{label: TrainingResult}``.

    ``models``: ``{label: keras.Model}``. Epoch 1 of every model, then epoch 2 of every model, and so on, so that
    other work on the machine slows them alike: the way to compare their images per second (as
    ``resnext_edu.benchmark`` interleaves its rounds). Each model trains exactly as ``train`` would train it (its
    final weights are those ``train`` gives), and the arguments mean the same; one progress bar covers them all.
    With ``backup_dir``, each model backs up into its own folder in it after every epoch; a second call resumes each
    model after its last completed epoch, and the backups are deleted when all models have finished.
    """
    recipe = _recipe(recipe, epochs, optimizer, learning_rate, weight_decay)
    _check_common(callbacks, progress, backup_dir, restart)
    if not isinstance(models, dict) or not models or not all(isinstance(m, keras.Model) for m in models.values()):
        raise ValueError(f"models must be a non-empty dict of label -> keras.Model; got {models!r}.")
    if not all(isinstance(label, str) for label in models):
        raise ValueError(f"the labels of models must be strings; got {list(models)!r}.")
    folders = {label: re.sub(r"[^A-Za-z0-9_.-]+", "_", label) for label in models}
    if backup_dir is not None and len(set(folders.values())) < len(folders):
        raise ValueError(
            f"the labels {list(models)} must differ in their letters, digits, '_', '.' or '-' "
            "(each names a backup folder)."
        )
    sessions = {
        label: Session.start(
            model,
            train_ds,
            val_ds,
            recipe,
            label,
            None,
            None if backup_dir is None else os.path.join(str(backup_dir), folders[label]),
            restart,
        )
        for label, model in models.items()
    }
    steps = next(iter(sessions.values())).steps
    bar = Progress(progress, recipe.epochs * steps * len(models), sum(s.done for s in sessions.values()) * steps)
    try:
        for epoch in range(recipe.epochs):
            for session in sessions.values():
                if epoch >= session.done:
                    session.fit(epoch, epoch + 1, bar, callbacks)
    finally:
        bar.close()
    results = {label: session.finish() for label, session in sessions.items()}
    if backup_dir is not None and os.path.isdir(backup_dir) and not os.listdir(backup_dir):
        os.rmdir(backup_dir)
    return results


def plot_histories(histories, metrics=("loss", "accuracy"), title=None):
    """Learning curves of several runs on one figure: a panel per metric, training solid, validation dashed.

    ``histories``: ``{label: TrainingResult or history dict}``. Returns the matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if not isinstance(histories, dict) or not histories:
        raise ValueError("plot_histories needs a dict of at least one label -> TrainingResult or history.")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for i, (label, run) in enumerate(histories.items()):
            history = run.history if isinstance(run, TrainingResult) else run
            for key, line, suffix in ((metric, "-", "training"), (f"val_{metric}", "--", "validation")):
                if key in history:
                    values = history[key]
                    ax.plot(
                        range(1, len(values) + 1),
                        values,
                        line,
                        color=style.series_color(i),
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
    "PAPER_CIFAR",
    "Recipe",
    "TrainingInterrupted",
    "WorkerLost",
    "InterruptAfterEpoch",
    "TrainingResult",
    "count_images",
    "make_optimizer",
    "compile_model",
    "train",
    "train_side_by_side",
    "plot_histories",
]
