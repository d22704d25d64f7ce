"""The exercise checker's machinery: an ``Exercise`` knows its answer (computed by the library, never typed) and the
likely mistakes, each with the hint it deserves; ``verdict`` compares a reader's answer with it.

A check has three outcomes: "not answered yet" (the starter's ``None``), "correct", or "not quite" with the hint of
the first mistake the answer matches (an off-by-BatchNorm count, d and C·d swapped, a per-path count where a
per-block one was asked, ...) or the exercise's general hint. A wrong answer never raises; an unknown key does.
"""

import dataclasses
import math
import numbers
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A likely wrong answer: ``matches(answer, expected)`` says whether ``answer`` is it; ``hint`` says what to fix.

    ``example``: a function of the expected answer returning one such wrong answer (the tests feed it to the checker
    and expect this hint back).
    """

    matches: Callable
    hint: str
    example: Callable = None


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise: its ``key``, the ``question`` in a line, how to compute the ``expected`` answer, how to compare.

    ``expected``: a function of no arguments returning the right answer (computed with ``resnext_edu``).
    ``compare``: ``(answer, expected) -> bool``; ``exact`` by default (``close`` for measured or rounded values).
    ``mistakes``: checked in order for a wrong answer; ``hint``: said when none matches.
    """

    key: str
    question: str
    expected: Callable
    hint: str
    mistakes: tuple = ()
    compare: Callable = None

    def is_right(self, answer):
        return (self.compare or exact)(answer, self.expected())


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome of a check: ``status`` is "not answered yet", "correct" or "not quite"; ``line`` is what it says."""

    key: str
    status: str
    line: str

    def __bool__(self):
        return self.status == "correct"

    def __str__(self):
        return self.line


UNANSWERED = "not answered yet"
CORRECT = "correct"
NOT_QUITE = "not quite"


def judge(exercise, answer):
    """The ``Verdict`` on ``answer`` (``None`` or ``...`` is an unanswered starter)."""
    key = exercise.key
    if answer is None or answer is Ellipsis:
        return Verdict(key, UNANSWERED, f"{key}: not answered yet. Put your answer in place of None and run the cell.")
    try:
        right = exercise.is_right(answer)
    except (TypeError, ValueError) as err:  # an answer of another kind than the question asks for
        return Verdict(key, NOT_QUITE, f"{key}: not quite. {_kind_hint(exercise.expected(), answer)} ({err})")
    if right:
        return Verdict(key, CORRECT, f"{key}: correct.")
    expected = exercise.expected()
    if not _same_kind(answer, expected):
        return Verdict(key, NOT_QUITE, f"{key}: not quite. {_kind_hint(expected, answer)}")
    for mistake in exercise.mistakes:
        try:
            if mistake.matches(answer, expected):
                return Verdict(key, NOT_QUITE, f"{key}: not quite. {mistake.hint}")
        except (TypeError, ValueError, ArithmeticError):
            continue
    return Verdict(key, NOT_QUITE, f"{key}: not quite. {exercise.hint}")


# --- comparing answers -----------------------------------------------------------------------------------------------


def _is_number(x):
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def _is_collection(x):
    return isinstance(x, (set, frozenset, tuple, list))


def _same_kind(answer, expected):
    if _is_number(expected):
        return _is_number(answer)
    if isinstance(expected, (set, frozenset)):  # a set of names: any collection of them will do
        return _is_collection(answer)
    if isinstance(expected, (bool, str)):
        return isinstance(answer, type(expected))
    if isinstance(expected, (tuple, list)):
        return isinstance(answer, (tuple, list)) and len(answer) == len(expected)
    return True


def _kind_hint(expected, answer):
    if _is_number(expected):
        want = "a whole number" if isinstance(expected, numbers.Integral) else "a number"
    elif isinstance(expected, bool):
        want = "True or False"
    elif isinstance(expected, str):
        want = "a string"
    elif isinstance(expected, (set, frozenset)):
        want = "a set of names, e.g. {'name_one', 'name_two'} (or set() for none)"
    elif isinstance(expected, (tuple, list)):
        want = f"a sequence of {len(expected)} values"
    else:
        want = f"a {type(expected).__name__}"
    return f"The answer is {want}; got {type(answer).__name__} {answer!r}."


def exact(answer, expected):
    """Equal, with numbers compared as numbers (``np.int64(8) == 8``) and sequences element by element."""
    if isinstance(expected, (tuple, list)):
        return (
            isinstance(answer, (tuple, list))
            and len(answer) == len(expected)
            and all(exact(a, e) for a, e in zip(answer, expected))
        )
    if isinstance(expected, (set, frozenset)):
        return _is_collection(answer) and set(answer) == set(expected)
    if isinstance(expected, bool) or isinstance(answer, bool):
        return answer is expected or (isinstance(answer, bool) and answer == expected)
    return bool(answer == expected)


def same_text(answer, expected):
    """Equal strings, ignoring case and surrounding spaces ("Conv5 " is "conv5")."""
    return isinstance(answer, str) and answer.strip().casefold() == expected.strip().casefold()


def close(rel=1e-3, abs_tol=0.0):
    """A comparison within ``rel`` relative (or ``abs_tol`` absolute) tolerance, element by element for sequences."""

    def compare(answer, expected):
        if isinstance(expected, (tuple, list)):
            return len(answer) == len(expected) and all(compare(a, e) for a, e in zip(answer, expected))
        return math.isclose(float(answer), float(expected), rel_tol=rel, abs_tol=abs_tol)

    return compare


# --- likely mistakes -------------------------------------------------------------------------------------------------


def answer_is(wrong, hint, compare=None):
    """The mistake of answering ``wrong()`` (a function computing that wrong value with the library)."""
    return Mistake(lambda answer, expected: (compare or exact)(answer, wrong()), hint, lambda expected: wrong())


def off_by(delta, hint):
    """The mistake of an answer that is ``delta()`` away from the right one (e.g. BatchNorm's 2 per channel)."""
    return Mistake(lambda answer, expected: answer - expected == delta(), hint, lambda expected: expected + delta())


def scaled_by(factor, hint, rel=1e-6):
    """The mistake of an answer ``factor()`` times the right one (per path instead of per block, ...)."""
    return Mistake(
        lambda answer, expected: math.isclose(answer, expected * factor(), rel_tol=rel),
        hint,
        lambda expected: expected * factor(),
    )


def includes(item, hint):
    """The mistake of a set answer that includes ``item``, which the right set does not."""
    return Mistake(
        lambda answer, expected: item in set(answer) and item not in expected, hint, lambda expected: {*expected, item}
    )


def leaves_out(item, hint):
    """The mistake of a set answer that leaves out ``item``, which the right set holds."""
    return Mistake(
        lambda answer, expected: item in expected and item not in set(answer),
        hint,
        lambda expected: {*expected} - {item},
    )


def outside(allowed, hint, example="no_such_name"):
    """The mistake of a set answer holding something other than the ``allowed()`` names (a typo, a wrong name)."""
    return Mistake(
        lambda answer, expected: not set(answer) <= set(allowed()), hint, lambda expected: {*expected, example}
    )


def too_large(hint, by=1):
    """Any answer above the right one (the example is ``by`` above it)."""
    return Mistake(lambda answer, expected: answer > expected, hint, lambda expected: expected + by)


def too_small(hint, by=1):
    """Any answer below the right one (the example is ``by`` below it)."""
    return Mistake(lambda answer, expected: answer < expected, hint, lambda expected: expected - by)
