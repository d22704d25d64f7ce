"""Exercises of the chapter *The extremes of cardinality*: MobileNet's saving counted, where the 3x3 stops
mattering at a fixed group width, and a grouped kernel with a depth multiplier read as ``DepthwiseConv2D``."""

import functools

from resnext_edu import complexity
from resnext_edu.exercises.core import Exercise, Mistake, answer_is, close, too_large, too_small

_N = 128  # channels of the separable conv of the first exercise
_WIDTH, _CHANNELS = 128, 256  # ResNeXt-50's conv2 block: group width 128, 256 in and out
_TENTH = 0.1
_GROUPS, _OUTPUTS = 32, 64  # the grouped 3x3 of the third exercise: 32 channels in, 32 groups, 64 out


def _sweep(width=_N, channels=_N):
    return {r["cardinality"]: r for r in complexity.fixed_width_sweep(width, channels, channels)}


def _separable(parts=("conv2", "conv3"), width=_N):
    """Weights of a depthwise 3x3 (C = N) plus one 1x1, over a dense 3x3 (C = 1), all N channels wide."""
    rows = _sweep(width)
    return sum(rows[width]["params"][p] for p in parts) / rows[1]["params"]["conv2"]


def _shares():
    return {c: r["params"]["conv2"] / r["total_params"] for c, r in _sweep(_WIDTH, _CHANNELS).items()}


def _first_under_a_tenth():
    return min(c for c, share in _shares().items() if share < _TENTH)


@functools.cache
def _twin_shape(groups=_GROUPS, outputs=_OUTPUTS):
    """The kernel shape of the ``DepthwiseConv2D`` that ``equivalence.grouped_to_depthwise`` makes of the layer."""
    import numpy as np

    from resnext_edu import equivalence, layers

    conv = layers.Conv2D(outputs, 3, padding="same", groups=groups, use_bias=False)
    conv(np.zeros((1, 8, 8, groups), "float32"))
    return tuple(int(n) for n in equivalence.grouped_to_depthwise(conv).kernel.shape)


EXERCISES = (
    Exercise(
        key="extremes-of-cardinality-1",
        question="With N = 128 channels in and out, what fraction of a dense 3x3's weights does a depthwise separable "
        "conv (depthwise 3x3, then one 1x1) hold?",
        expected=_separable,
        compare=close(rel=1e-4),
        hint="complexity.fixed_width_sweep(N, N, N) gives each layer's weights for C = 1 (dense 3x3) and C = N "
        "(depthwise 3x3); the separable conv is the depthwise 3x3 plus one N -> N 1x1 (conv3).",
        mistakes=(
            answer_is(
                lambda: _separable(("conv2",)),
                "That is the depthwise 3x3 alone (1/N of the dense one); add the 1x1 that follows it.",
                compare=close(rel=1e-4),
            ),
            answer_is(
                lambda: _separable(("conv3",)),
                "That is the 1x1 alone (1/9 of the dense 3x3); add the depthwise 3x3 in front of it.",
                compare=close(rel=1e-4),
            ),
            answer_is(
                lambda: _separable(("conv1", "conv2", "conv3")),
                "That counts the block's two 1x1s; a separable conv has one, after the depthwise 3x3.",
                compare=close(rel=1e-4),
            ),
            answer_is(
                lambda: 1 / _separable(),
                "Upside down: the separable conv is the smaller one, so the fraction is below 1.",
                compare=close(rel=1e-4),
            ),
        ),
    ),
    Exercise(
        key="extremes-of-cardinality-2",
        question="At group width W = 128 (256 -> 256), from which C on does the grouped 3x3 hold less than a tenth of "
        "the block's weights?",
        expected=_first_under_a_tenth,
        hint="The 3x3 holds 9·W²/C weights, the two 1x1s 2·256·W at every C: compute the 3x3's share for each C "
        "that divides W (complexity.fixed_width_sweep) and take the first below 0.1.",
        mistakes=(
            Mistake(
                lambda answer, expected: answer > 0 and _WIDTH % answer != 0,
                "C must divide W = 128: each group holds W / C whole channels.",
                lambda expected: expected + 1,
            ),
            too_small("At that C the 3x3 still holds more than a tenth of the block's weights.", by=16),
            too_large("A smaller C already brings the 3x3 under a tenth of the block's weights.", by=32),
        ),
    ),
    Exercise(
        key="extremes-of-cardinality-3",
        question="A grouped 3x3 with 32 input channels in 32 groups and 64 outputs: the kernel shape of its "
        "DepthwiseConv2D twin?",
        expected=_twin_shape,
        hint="Keras' DepthwiseConv2D stores (height, width, input channels, depth multiplier): each input channel "
        "gets outputs / inputs filters.",
        mistakes=(
            answer_is(
                lambda: (3, 3, _OUTPUTS // _GROUPS, _GROUPS),
                "Input channels and depth multiplier are swapped: (height, width, channels, multiplier).",
            ),
            answer_is(
                lambda: (3, 3, 1, _OUTPUTS),
                "That is the grouped kernel (height, width, inputs per group, outputs); the depthwise layer lays "
                "the same numbers out as (height, width, channels, multiplier).",
            ),
            answer_is(
                lambda: (3, 3, _GROUPS, 1),
                "A multiplier of 1 gives one filter per channel, 32 outputs; this layer has 64.",
            ),
        ),
    ),
)
