"""Exercises of the chapter *Split, transform, merge* (paper Eqs. 1-4, Table 4): paths, their cost, three directions."""

from resnext_edu import complexity
from resnext_edu.exercises.core import Exercise, answer_is, off_by, scaled_by, too_large, too_small

_CHANNELS = 256  # the conv2 block of Table 1 and Fig. 1: 256-d in, 256-d out


def _weights(cardinality, bottleneck_width):
    return complexity.block_params(_CHANNELS, _CHANNELS, cardinality, bottleneck_width)


def _budget():
    """The ResNet bottleneck's conv weights (Fig. 1 left): the cost every equal-cost block must meet."""
    return _weights(1, 64)


def _nearest(candidates, cost, target):
    """The candidate whose ``cost`` is nearest to ``target`` (the smaller one on a tie)."""
    return min(candidates, key=lambda k: (abs(cost(k) - target), k))


def _one_path():
    """One path of the 32x4d block is a block of cardinality 1 and width 4 (Eq. 4 with C = 1)."""
    return _weights(1, 4)


def _twice_as_wide():
    """The whole-number width d of one path whose block costs nearest to twice the bottleneck (Table 4's 'wider')."""
    return _nearest(range(1, 4 * 64), lambda d: _weights(1, d), 2 * _budget())


def _paths_of_width_8():
    """The cardinality C whose paths of width 8 cost nearest to the bottleneck."""
    return _nearest(range(1, 64), lambda c: _weights(c, 8), _budget())


EXERCISES = (
    Exercise(
        key="split-transform-merge-1",
        question="How many conv weights does one path of the 32x4d block (256 -> 256) have?",
        expected=_one_path,
        hint="One path is 1x1 (256 -> 4), 3x3 (4 -> 4), 1x1 (4 -> 256): count each layer's k·k·in·out.",
        mistakes=(
            scaled_by(lambda: 32, "That is the whole block, all 32 paths; the question asks for one path."),
            answer_is(
                lambda: complexity.block_params(_CHANNELS // 32, _CHANNELS, 1, 4),
                "That path reads only 256 / 32 input channels: the input-splitting mistake. In Eq. 2 every "
                "path's first 1x1 reads the whole input x.",
            ),
            off_by(lambda: -8 * 4 * 4, "The 3x3 layer has 3·3 weights for each pair of its input and output channels."),
        ),
    ),
    Exercise(
        key="split-transform-merge-2",
        question="Which whole-number width d makes a one-path block (1 x d) cost nearest to twice the bottleneck?",
        expected=_twice_as_wide,
        hint="Search d with complexity.block_params(256, 256, 1, d) against 2 * block_params(256, 256, 1, 64).",
        mistakes=(
            answer_is(
                lambda: 2 * 64,
                "Doubling d more than doubles the cost: the 3x3 grows with d², only the 1x1s grow with d.",
            ),
            answer_is(
                lambda: round(64 * 2**0.5),
                "√2 · 64 would double a block made of 3x3 weights alone; the 1x1s grow only linearly with d, so d "
                "must grow more than that.",
            ),
            too_large("Too wide: that block costs more than twice the bottleneck, and a narrower one is nearer."),
            too_small("Too narrow: a wider path comes nearer to twice the bottleneck's weights."),
        ),
    ),
    Exercise(
        key="split-transform-merge-3",
        question="With paths of width d = 8, how many paths C keep the 256 -> 256 block nearest the bottleneck?",
        expected=_paths_of_width_8,
        hint="The block costs C·(256·8 + 3·3·8·8 + 8·256): divide the bottleneck's weights by one path's.",
        mistakes=(
            answer_is(
                lambda: 128 // 8,
                "Keeping C·d at 32·4 = 128 keeps the 1x1s' cost, but the 3x3 grows with d²: 16 paths of width 8 "
                "overshoot. Fewer paths.",
            ),
            answer_is(
                lambda: 64 // 8,
                "C·d = 64, the bottleneck's own width, leaves most of the budget unspent: the thin paths' 3x3s "
                "are cheap. More paths.",
            ),
            too_large("Too many: that block costs more than the bottleneck, and fewer paths come nearer.", by=2),
            too_small("Too few: one path more comes nearer to the bottleneck's weights."),
        ),
    ),
)
