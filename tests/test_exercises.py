"""``resnext_edu.exercises``: every checker accepts the right answer, rejects the plausible wrong ones with their own
hint, reports an unanswered starter, and never compares an expression with itself (the expected answer is computed
by the library, the reader's answer comes from outside)."""

import numpy as np
import pytest

from resnext_edu import exercises
from resnext_edu.exercises.core import (
    CORRECT,
    NOT_QUITE,
    UNANSWERED,
    Exercise,
    close,
    includes,
    judge,
    leaves_out,
    outside,
    same_text,
)

KEYS = list(exercises.EXERCISES)


def test_there_are_exercises_and_keys_are_unique_topic_names():
    assert len(KEYS) >= 3
    assert all(key.rsplit("-", 1)[-1].isdigit() and not key.startswith("ch") for key in KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_the_right_answer_is_correct(key, capsys):
    expected = exercises.get(key).expected()
    exercises.check(key, expected)
    assert capsys.readouterr().out == f"{key}: correct.\n"


@pytest.mark.parametrize("key", KEYS)
def test_an_unanswered_starter_says_so(key, capsys):
    exercises.check(key, None)
    line = capsys.readouterr().out
    assert line.startswith(f"{key}: not answered yet") and line.count("\n") == 1
    assert exercises.verdict(key, ...).status == UNANSWERED


@pytest.mark.parametrize("key", KEYS)
def test_each_likely_mistake_gets_its_own_hint(key):
    exercise = exercises.get(key)
    examples = [m for m in exercise.mistakes if m.example is not None]
    assert examples, f"{key}: give at least one mistake an example wrong answer"
    expected = exercise.expected()
    for mistake in examples:
        wrong = mistake.example(expected)
        result = exercises.verdict(key, wrong)
        assert result.status == NOT_QUITE, (key, wrong)
        assert result.line.endswith(mistake.hint), (key, wrong, result.line)


@pytest.mark.parametrize("key", KEYS)
def test_an_answer_of_the_wrong_kind_is_not_quite_and_never_raises(key):
    wrong = 42 if isinstance(exercises.get(key).expected(), str) else "forty-two"
    result = exercises.verdict(key, wrong)
    assert result.status == NOT_QUITE and f"got {type(wrong).__name__}" in result.line


def test_numpy_numbers_are_numbers():
    key = KEYS[0]
    assert exercises.verdict(key, np.int64(exercises.get(key).expected())).status == CORRECT


def test_an_unknown_key_is_a_value_error_naming_the_nearest():
    with pytest.raises(ValueError, match="Did you mean 'cardinality-vs-width-1'"):
        exercises.check("cardinality-vs-width1", 8)
    with pytest.raises(ValueError, match="no exercise has the key 3"):
        exercises.check(3, 8)


def test_the_general_hint_when_no_mistake_matches():
    exercise = Exercise("t-1", "?", lambda: (1, 2), "General hint.", compare=close(rel=0.01))
    assert judge(exercise, (1, 2.001)).status == CORRECT
    assert judge(exercise, (1, 3)).line == "t-1: not quite. General hint."
    assert "a sequence of 2 values" in judge(exercise, (1, 2, 3)).line


def test_a_set_answer_takes_any_collection_of_the_names_and_each_wrong_name_has_its_hint():
    exercise = Exercise(
        "t-2",
        "?",
        lambda: frozenset({"a"}),
        "General hint.",
        mistakes=(
            outside(lambda: ("a", "b", "c"), "Unknown name."),
            includes("b", "Not b."),
            leaves_out("a", "Where is a?"),
        ),
    )
    assert all(judge(exercise, answer).status == CORRECT for answer in ({"a"}, ["a"], ("a",), frozenset("a")))
    assert judge(exercise, {"a", "zz"}).line.endswith("Unknown name.")
    assert judge(exercise, ["a", "b"]).line.endswith("Not b.")
    assert judge(exercise, set()).line.endswith("Where is a?")
    assert judge(exercise, {"c", "a"}).line.endswith("General hint.")
    assert "a set of names" in judge(exercise, "a").line
    assert judge(exercise, [["a"]]).status == NOT_QUITE  # unhashable: never raises


def test_text_answers_ignore_case_and_spaces():
    exercise = Exercise("t-3", "?", lambda: "conv5", "General hint.", compare=same_text)
    assert judge(exercise, " Conv5 ").status == CORRECT
    assert judge(exercise, "conv4").line.endswith("General hint.")
    assert "got int" in judge(exercise, 5).line
