"""resnext_edu.recipes: the paper's CIFAR recipe as data, schedules, the L2 weight decay of SGD, bad recipes."""

import dataclasses
import math

import numpy as np
import pytest

from resnext_edu import recipes


def test_the_paper_cifar_recipe():
    """Sec. 5.3: batch 128, weight decay 0.0005, momentum 0.9, rate 0.1, 300 epochs, lowered at 150 and 225."""
    paper = recipes.PAPER_CIFAR
    assert (paper.optimizer, paper.learning_rate, paper.weight_decay, recipes.MOMENTUM) == ("sgd", 0.1, 5e-4, 0.9)
    assert (paper.epochs, paper.batch_size, paper.milestone_epochs, paper.factor) == (300, 128, (150, 225), 0.1)
    assert paper.augmentation == "pad-crop-flip"
    steps = 351  # 45,000 images / 128
    rates = [paper.learning_rate_at(e * steps, steps) for e in (0, 149, 150, 224, 225, 299)]
    assert rates == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
    shorter = dataclasses.replace(paper, epochs=30)  # the same shape, on a shorter run (22.5 rounds up)
    assert shorter.milestone_epochs == (15, 23) and shorter.settings()["milestones"] == [0.5, 0.75]


def test_the_default_recipe_is_adamw_on_a_cosine():
    recipe = recipes.Recipe()
    assert (recipe.optimizer, recipe.schedule, recipe.epochs) == ("adamw", "cosine", 10)
    assert recipe.learning_rate == recipes.OPTIMIZERS["adamw"]["learning_rate"]
    assert recipe.learning_rate_at(0, 5) == recipe.learning_rate and recipe.learning_rate_at(50, 5) == 0.0
    assert recipe.learning_rate_at(25, 5) == pytest.approx(recipe.learning_rate / 2)
    assert recipes.Recipe(schedule="constant").learning_rate_at(49, 5) == recipe.learning_rate


def test_sgd_adds_the_l2_penalty_to_the_gradient_before_momentum():
    """As torch.optim.SGD(weight_decay=...) and fb.resnet.torch: g <- g + wd * w, then Nesterov momentum."""
    import keras

    recipe = recipes.Recipe("sgd", learning_rate=0.1, weight_decay=0.5, schedule="constant")
    optimizer = recipe.make_optimizer(steps_per_epoch=1)
    w = keras.Variable(np.array([2.0], "float32"))
    optimizer.apply_gradients([(np.array([1.0], "float32"), w)])
    g = 1.0 + 0.5 * 2.0
    assert float(w.numpy()[0]) == pytest.approx(2.0 - 0.1 * g * (1 + recipes.MOMENTUM))  # Nesterov's first step


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(optimizer="adam"), "optimizer"),
        (dict(learning_rate=math.nan), "learning_rate"),
        (dict(learning_rate=-0.1), "learning_rate"),
        (dict(weight_decay=math.inf), "weight_decay"),
        (dict(weight_decay="5e-4"), "weight_decay"),
        (dict(schedule="linear"), "schedule"),
        (dict(schedule="step"), "milestones"),
        (dict(schedule="step", milestones=(0.75, 0.5)), "milestones"),
        (dict(schedule="step", milestones=(150, 225)), "milestones"),
        (dict(milestones=(0.5,)), "milestones"),
        (dict(factor=0), "factor"),
        (dict(epochs=np.float64(3)), "epochs"),
        (dict(batch_size=0), "batch_size"),
        (dict(augmentation="flip"), "augmentation"),
    ],
)
def test_bad_recipes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        recipes.Recipe(**kwargs)


def test_numpy_numbers_are_numbers():
    recipe = recipes.Recipe(epochs=np.int64(3), batch_size=np.int32(32), learning_rate=np.float32(0.01))
    assert recipe.epochs == 3 and type(recipe.epochs) is int and type(recipe.learning_rate) is float
