"""Exercises that can say "not quite": ``check(key, answer)`` prints one line about a reader's answer.

Every chapter's exercises follow one pattern: the question; a starter cell that runs but holds no answer
(``answer = None``, then ``exercises.check("cardinality-vs-width-1", answer)``); a collapsed hint; a worked solution,
collapsed until opened, that computes the answer with the library and calls ``check``. The expected answers are
computed by the library when a check runs (never typed in), and each exercise knows the likely mistakes and the hint
each deserves. Keys name the chapter's topic (not its number) and the exercise's place in it.
"""

import difflib

from resnext_edu.exercises import (
    cardinality_vs_width,
    extremes_of_cardinality,
    imagenet_weights,
    inside_resnext,
    paper_results,
    pitfalls,
    resnet_bottleneck,
    resnet_vs_resnext,
    scaling_out,
    speed,
    split_transform_merge,
    start_here,
    three_forms,
    whole_network,
)
from resnext_edu.exercises.core import CORRECT, NOT_QUITE, UNANSWERED, Exercise, Mistake, Verdict, judge

#: The modules holding each chapter's exercises (an ``EXERCISES`` tuple each), in the book's order.
CHAPTERS = (
    start_here,
    resnet_bottleneck,
    split_transform_merge,
    three_forms,
    cardinality_vs_width,
    whole_network,
    paper_results,
    imagenet_weights,
    resnet_vs_resnext,
    inside_resnext,
    speed,
    pitfalls,
    extremes_of_cardinality,
    scaling_out,
)

#: Every exercise by key.
EXERCISES = {exercise.key: exercise for chapter in CHAPTERS for exercise in chapter.EXERCISES}


def get(key):
    """The ``Exercise`` of ``key``, or a ``ValueError`` naming the keys that exist (the nearest first)."""
    if not isinstance(key, str) or key not in EXERCISES:
        near = difflib.get_close_matches(str(key), list(EXERCISES), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, near))}?" if near else ""
        raise ValueError(f"no exercise has the key {key!r}.{hint} Keys: {', '.join(EXERCISES)}.")
    return EXERCISES[key]


def verdict(key, answer):
    """The ``Verdict`` on ``answer`` to exercise ``key``, without printing it."""
    return judge(get(key), answer)


def check(key, answer):
    """Print one line: not answered yet, correct, or "not quite" with a hint tied to the likely mistake."""
    print(verdict(key, answer).line)


__all__ = ["CHAPTERS", "EXERCISES", "Exercise", "Mistake", "Verdict", "UNANSWERED", "CORRECT", "NOT_QUITE", "get",
           "verdict", "check"]  # fmt: skip
