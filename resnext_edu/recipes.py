"""Training recipes as data: optimizer, learning rate and its schedule, weight decay, epochs, batch, augmentation.

``Recipe()`` is what ``training.train`` does by default (AdamW, a cosine over the run). ``PAPER_CIFAR`` is the
paper's CIFAR recipe (Sec. 5.3; the augmentation of He et al. 2016 it follows): SGD with momentum 0.9 and weight decay
5e-4, learning rate 0.1 for a batch of 128, 300 epochs, divided by 10 at epochs 150 and 225, 4-pixel padding with
random crops and horizontal flips. A recipe is a small frozen record: ``dataclasses.replace(PAPER_CIFAR, epochs=30)``
keeps the schedule's shape (its milestones are fractions of the run). Pure Python until ``make_optimizer``.
"""

import dataclasses
import math
import numbers

from resnext_edu import paper
from resnext_edu._checks import one_of, positive_int

_PAPER = paper.CIFAR_RECIPE  # Appendix A: what the paper states of its CIFAR training

#: The optimizers a recipe names, with their default peak learning rate and weight decay.
#: "sgd": the paper's (momentum 0.9, Nesterov as in fb.resnet.torch, which the paper's code builds on; weight decay
#: as an L2 penalty added to the gradient, as torch.optim.SGD does). "adamw": AdamW, its weight decay decoupled.
OPTIMIZERS = {
    "adamw": dict(learning_rate=1e-2, weight_decay=1e-4),
    "sgd": dict(learning_rate=_PAPER.learning_rate, weight_decay=_PAPER.weight_decay),
}
MOMENTUM = _PAPER.momentum
#: How the learning rate moves over the run: along a cosine to 0, in steps (x ``factor`` at each milestone), or not.
SCHEDULES = ("cosine", "step", "constant")
AUGMENTATIONS = ("shift-zoom", "pad-crop-flip", "none")  # as resnext_edu.pipeline.AUGMENTATIONS


def finite_rate(name, value, *, zero=False):
    """``value`` as a float if it is a finite number > 0 (>= 0 with ``zero``); else a ``ValueError``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value < 0
        or (value == 0 and not zero)
    ):
        wanted = "a finite number >= 0" if zero else "a finite number > 0"
        raise ValueError(f"{name} must be {wanted}; got {value!r}.")
    return float(value)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How to train: checked when made, so that a bad recipe fails before any work starts."""

    optimizer: str = "adamw"
    learning_rate: float | None = None  # the peak rate; None: the optimizer's default (OPTIMIZERS)
    weight_decay: float | None = None  # None: the optimizer's default
    schedule: str = "cosine"
    milestones: tuple = ()  # "step": fractions of the run after which the rate is multiplied by `factor`
    factor: float = 0.1
    epochs: int = 10
    batch_size: int = 64
    augmentation: str = "shift-zoom"

    def __post_init__(self):
        one_of("optimizer", self.optimizer, tuple(OPTIMIZERS))
        one_of("schedule", self.schedule, SCHEDULES)
        one_of("augmentation", self.augmentation, AUGMENTATIONS)
        defaults = OPTIMIZERS[self.optimizer]
        rate = defaults["learning_rate"] if self.learning_rate is None else self.learning_rate
        decay = defaults["weight_decay"] if self.weight_decay is None else self.weight_decay
        object.__setattr__(self, "learning_rate", finite_rate("learning_rate", rate))
        object.__setattr__(self, "weight_decay", finite_rate("weight_decay", decay, zero=True))
        object.__setattr__(self, "factor", finite_rate("factor", self.factor))
        object.__setattr__(self, "epochs", positive_int("epochs", self.epochs))
        object.__setattr__(self, "batch_size", positive_int("batch_size", self.batch_size))
        milestones = self.milestones
        if (
            not isinstance(milestones, (tuple, list))
            or not all(isinstance(m, numbers.Real) and not isinstance(m, bool) and 0 < m < 1 for m in milestones)
            or list(milestones) != sorted(set(milestones))
            or (self.schedule == "step") != bool(milestones)
        ):
            raise ValueError(
                "milestones must be increasing fractions of the run strictly between 0 and 1, given for "
                f"schedule='step' only (e.g. (0.5, 0.75): epochs 150 and 225 of 300); got {milestones!r} "
                f"with schedule={self.schedule!r}."
            )
        object.__setattr__(self, "milestones", tuple(float(m) for m in milestones))

    @property
    def milestone_epochs(self):
        """The epochs after which a step schedule lowers the rate: (150, 225) for the paper's 300 (1 at least)."""
        return tuple(max(1, math.floor(m * self.epochs + 0.5)) for m in self.milestones)

    def learning_rate_at(self, step, steps_per_epoch):
        """The learning rate of step ``step`` (from 0), in pure Python: what ``make_optimizer``'s schedule gives."""
        total = self.epochs * steps_per_epoch
        if self.schedule == "cosine":
            return self.learning_rate * 0.5 * (1 + math.cos(math.pi * min(step, total) / total))
        if self.schedule == "step":
            passed = sum(step >= e * steps_per_epoch for e in self.milestone_epochs)
            return self.learning_rate * self.factor**passed
        return self.learning_rate

    def settings(self):
        """The recipe as JSON-able data (what a backup records and checks on resume)."""
        return {**dataclasses.asdict(self), "milestones": list(self.milestones)}

    def make_optimizer(self, steps_per_epoch):
        """The Keras optimizer of this recipe, its learning rate scheduled over ``epochs * steps_per_epoch`` steps."""
        import keras

        steps_per_epoch = positive_int("steps_per_epoch", steps_per_epoch)
        rate = self.learning_rate
        if self.schedule == "cosine":
            rate = keras.optimizers.schedules.CosineDecay(rate, self.epochs * steps_per_epoch)
        elif self.schedule == "step":
            boundaries = [e * steps_per_epoch - 1 for e in self.milestone_epochs]  # rate[i] up to step b[i]
            values = [self.learning_rate * self.factor**i for i in range(len(boundaries) + 1)]
            rate = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)
        if self.optimizer == "sgd":
            return _sgd_class()(rate, momentum=MOMENTUM, nesterov=True, l2=self.weight_decay)
        return keras.optimizers.AdamW(rate, weight_decay=self.weight_decay)

    def datasets(self, splits, seed=0, **kwargs):
        """``pipeline.make_datasets(splits, batch_size, augment, seed)`` with this recipe's batch and augmentation."""
        from resnext_edu import pipeline

        return pipeline.make_datasets(splits, self.batch_size, self.augmentation, seed, **kwargs)


_SGD = []


def _sgd_class():
    """keras.optimizers.SGD whose weight decay is an L2 penalty: ``l2 * w`` added to each gradient before momentum."""
    if not _SGD:
        import keras

        class SGD(keras.optimizers.SGD):
            def __init__(self, learning_rate=0.01, *, l2=0.0, **kwargs):
                super().__init__(learning_rate, **kwargs)
                self.l2 = float(l2)

            def update_step(self, gradient, variable, learning_rate):
                if self.l2:
                    penalty = keras.ops.multiply(keras.ops.cast(variable, gradient.dtype), self.l2)
                    gradient = keras.ops.add(gradient, penalty)
                return super().update_step(gradient, variable, learning_rate)

            def get_config(self):
                return {**super().get_config(), "l2": self.l2}

        _SGD.append(SGD)
    return _SGD[0]


#: The paper's CIFAR-10 recipe (Sec. 5.3): batch 128 on 8 GPUs, 300 epochs, rate 0.1 divided by 10 at 150 and 225.
#: The paper's CIFAR recipe (Appendix A, ``paper.CIFAR_RECIPE``): its rates, epochs, batch and drops as it states
#: them. The drop factor is not stated there: x0.1 is fb.resnet.torch's, the code the paper's training follows.
PAPER_CIFAR = Recipe(
    optimizer="sgd",
    learning_rate=_PAPER.learning_rate,
    weight_decay=_PAPER.weight_decay,
    schedule="step",
    milestones=tuple(epoch / _PAPER.epochs for epoch in _PAPER.lr_drops),
    factor=0.1,
    epochs=_PAPER.epochs,
    batch_size=_PAPER.batch_size,
    augmentation="pad-crop-flip",
)

__all__ = ["OPTIMIZERS", "MOMENTUM", "SCHEDULES", "AUGMENTATIONS", "finite_rate", "Recipe", "PAPER_CIFAR"]
