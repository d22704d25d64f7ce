"""Exercises of the chapter *Cardinality versus width* (paper Table 2): equal cost, solved for d."""

from resnext_edu import complexity
from resnext_edu.exercises.core import Exercise, answer_is, too_large, too_small

_CHANNELS = 256  # Table 2's block: 256-d in, 256-d out


def _width(c):
    return complexity.width_for_cardinality(c, _CHANNELS, _CHANNELS)


def _first_cardinality_with_one_channel_paths():
    c = 1
    while _width(c) > 1:
        c += 1
    return c


EXERCISES = (
    Exercise(
        key="cardinality-vs-width-1",
        question="Which whole-number width d keeps a block of C = 16 paths closest to the ResNet block's weights?",
        expected=lambda: _width(16),
        hint="Solve C·(256·d + 9·d² + d·256) = 69,632 for C = 16, then compare the whole numbers on either side.",
        mistakes=(
            answer_is(
                lambda: 16 * _width(16), "That is the group width C·d; the question asks for d, one path's width."
            ),
            answer_is(lambda: _width(8), "That is the width for C = 8 (Table 2); with 16 paths each must be thinner."),
            too_large("Too wide: 16 paths of that width cost more than the ResNet block's weights. Count them."),
            too_small("Too thin: a wider path stays closer to the ResNet block's weights. Count both neighbours."),
        ),
    ),
    Exercise(
        key="cardinality-vs-width-2",
        question="From which cardinality C on does equal cost leave each path a single channel (d = 1)?",
        expected=_first_cardinality_with_one_channel_paths,
        hint="d = 1 wins once the budget is nearer to C·(512 + 9) than to C·(1024 + 36); try C = 80, 90, 100.",
        mistakes=(
            too_small("At that C the best width is still 2 or more: check complexity.width_for_cardinality(C)."),
            too_large("A smaller C already gives d = 1: look for the first one."),
        ),
    ),
    Exercise(
        key="cardinality-vs-width-3",
        question="What is the group width C·d of the grouped 3×3 for C = 64 at equal cost?",
        expected=lambda: 64 * _width(64),
        hint="Find d for C = 64 with complexity.width_for_cardinality, then multiply by C.",
        mistakes=(
            answer_is(lambda: _width(64), "That is d, one path's width; the group width is C·d."),
            answer_is(
                lambda: 64 * _width(32), "That keeps the width d of C = 32; with 64 paths d must shrink. Solve for d."
            ),
        ),
    ),
)
