"""The exercise of the chapter *Start here*: find the right function of ``resnext_edu`` and read its answer."""

from resnext_edu import complexity
from resnext_edu.exercises.core import Exercise, Mistake, answer_is, scaled_by

_NETWORK = dict(depth=101, cardinality=32, bottleneck_width=8)  # ResNeXt-101 (32x8d)


def _macs(**changes):
    return complexity.model_macs(**{**_NETWORK, **changes})


EXERCISES = (
    Exercise(
        key="start-here-1",
        question="How many multiply-adds does ResNeXt-101 (32x8d) perform on a 224x224 image? The exact count.",
        expected=_macs,
        hint="complexity.model_macs(depth, cardinality, bottleneck_width) counts them; 32x8d is C = 32, d = 8.",
        mistakes=(
            Mistake(
                lambda answer, expected: abs(answer - expected / 1e9) < 0.1,
                "That is the count in billions (G); give the count itself, as complexity.model_macs returns it.",
                lambda expected: round(expected / 1e9, 1),
            ),
            answer_is(
                lambda: complexity.model_params(**_NETWORK),
                "That is the number of trainable parameters; multiply-adds come from complexity.model_macs.",
            ),
            answer_is(lambda: _macs(bottleneck_width=4), "That is ResNeXt-101 (32x4d); 32x8d has paths of width 8."),
            answer_is(lambda: _macs(depth=50), "That is the 50-layer network; the question asks for depth 101."),
            scaled_by(
                lambda: 2,
                "That counts a multiply and an add as two operations, as profilers count FLOPs; the paper's FLOPs "
                "are multiply-adds, one per weight and output position.",
            ),
        ),
    ),
)
