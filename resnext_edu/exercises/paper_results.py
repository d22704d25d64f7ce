"""Exercises of the chapter *What the paper measured* (Tables 3 to 6, Sec. 5.1 and 5.2): costs computed, errors read."""

import math

from resnext_edu import complexity, paper
from resnext_edu.exercises.core import Exercise, Mistake, answer_is, close, too_large, too_small

_RESNET200 = dict(depth=200, cardinality=1, bottleneck_width=64)  # Table 4's deeper network, Table 5's 320 crop
_LARGE_CROP = 320  # Table 5


def _macs(input_size=_LARGE_CROP, **changes):
    return complexity.model_macs(**{**_RESNET200, **changes}, input_size=input_size)


def _scaled_from_224():
    """The 224x224 count times (320/224)²: it scales the classifier too, whose cost does not depend on the input."""
    return _macs(224) * (_LARGE_CROP / 224) ** 2


def _twice_resnet101(count):
    """The whole width d whose one-path ResNet-101 comes closest to twice ResNet-101's ``count`` (macs or params)."""
    target = 2 * count(101, 1, 64)
    return min(range(64, 257), key=lambda d: abs(count(101, 1, d) - target))


def _row(table, name):
    return next(row for row in table if row.name == name)


_NAME = "ResNeXt-101 (32×4d)"


def _given_up(five_k="top1_1k", one_k="top1", table=paper.TABLE3):
    """Points of 1K-way error the 5K-trained network gives up against the 1K-trained one (Table 6 vs Table 3)."""
    return round(getattr(_row(paper.TABLE6, _NAME), five_k) - getattr(_row(table, _NAME), one_k), 1)


def _table4_width():
    return _row(paper.TABLE4, "ResNet-101, wider (1×100d)").bottleneck_width


EXERCISES = (
    Exercise(
        key="paper-results-1",
        question="How many multiply-adds does ResNet-200 perform on Table 5's 320x320 crop? The exact count.",
        expected=_macs,
        hint="complexity.model_macs takes input_size; ResNet-200 is depth 200 with C = 1 and d = 64.",
        mistakes=(
            answer_is(lambda: _macs(224), "That is the count at 224x224; Table 5's larger crop is 320x320."),
            Mistake(
                lambda answer, expected: math.isclose(answer, _scaled_from_224(), rel_tol=1e-9),
                "Scaling the 224x224 count by (320/224)² scales the classifier too, whose cost does not depend on "
                "the image size: count at 320 with input_size=320.",
                lambda expected: _scaled_from_224(),
            ),
            answer_is(
                lambda: _macs(depth=101, cardinality=64, bottleneck_width=4),
                "That is ResNeXt-101 (64x4d), the other network Table 5 tests at 320x320; the question asks for "
                "ResNet-200.",
            ),
            Mistake(
                lambda answer, expected: abs(answer - expected / 1e9) < 0.1,
                "That is the count in billions (G); give the count itself, as complexity.model_macs returns it.",
                lambda expected: round(expected / 1e9, 2),
            ),
            answer_is(
                lambda: complexity.model_params(**_RESNET200),
                "That is the number of trainable parameters; multiply-adds come from complexity.model_macs.",
            ),
        ),
    ),
    Exercise(
        key="paper-results-2",
        question="Which whole width d gives a one-path ResNet-101 the multiply-adds closest to twice ResNet-101's?",
        expected=lambda: _twice_resnet101(complexity.model_macs),
        hint="Loop over d from 64 upward and keep the one that minimises the distance of "
        "complexity.model_macs(101, 1, d) to 2 * complexity.model_macs(101, 1, 64).",
        mistakes=(
            answer_is(
                _table4_width,
                "100 is the paper's wider ResNet-101 (Table 4), a round number near the answer: compute the "
                "multiply-adds of the widths around it.",
            ),
            answer_is(
                lambda: _twice_resnet101(complexity.model_params),
                "That width doubles the parameters; the paper doubles the FLOPs (multiply-adds): count with "
                "complexity.model_macs.",
            ),
            answer_is(
                lambda: round(64 * math.sqrt(2)),
                "That doubles the 3x3's cost alone (it grows with d²); the two 1x1 layers grow only with d, so d must "
                "grow more than √2 times.",
            ),
            answer_is(
                lambda: 2 * 64,
                "Doubling d doubles the 1x1 layers' cost and quadruples the 3x3's: more than twice the network.",
            ),
            too_small("Too narrow: that network costs less than twice ResNet-101. Count a few wider ones.", by=3),
            too_large("Too wide: that network costs more than twice ResNet-101. Count a few narrower ones."),
        ),
    ),
    Exercise(
        key="paper-results-3",
        question="How many points of 1K-way top-1 error does ResNeXt-101 (32x4d) trained on ImageNet-5K give up "
        "against the same network trained on ImageNet-1K (Table 6 against Table 3)?",
        expected=_given_up,
        compare=close(abs_tol=1e-6),
        hint="Find the rows named 'ResNeXt-101 (32×4d)' in paper.TABLE6 and paper.TABLE3, and subtract the 1K-trained "
        "top1 from the 5K-trained top1_1k.",
        mistakes=(
            answer_is(
                lambda: -_given_up(),
                "The 5K-trained network has the higher error: subtract the 1K-trained error from it.",
                compare=close(abs_tol=1e-6),
            ),
            answer_is(
                lambda: _given_up(five_k="top1_5k"),
                "That uses the 5K-way error (a choice among 5000 classes); both networks must be tested on the same "
                "1K-way task: top1_1k.",
                compare=close(abs_tol=1e-6),
            ),
            answer_is(
                lambda: _given_up(five_k="top5_1k", one_k="top5", table=paper.TABLE4),
                "That is the top-5 error; the question asks for top-1.",
                compare=close(abs_tol=1e-6),
            ),
        ),
    ),
)
