"""Exercises of the chapter *Pitfalls* (paper Table 1, Fig. 3, Eq. 3): what counts catch, and where a bug hides."""

import functools

from resnext_edu import complexity
from resnext_edu.exercises.core import Exercise, answer_is, includes, leaves_out, off_by, outside, same_text

#: The chapter's small network to break: a CIFAR ResNeXt of three stages of two blocks, C = 8, d = 4.
SMALL = complexity.cifar_architecture(
    cardinality=8,
    bottleneck_width=4,
    num_classes=10,
    input_size=32,
    blocks_per_stage=2,
    out_channels=64,
    stem_filters=16,
)
PROJECTION_PLUS_N = "projection_plus_n"


def _pitfalls():
    from resnext_edu import pitfalls

    return pitfalls


def _names():
    return (*_pitfalls().FAULTY_BLOCKS, PROJECTION_PLUS_N)


@functools.cache
def _missed_by_counts():
    """The pitfalls whose small network has exactly the trainable parameters ``complexity`` computes for SMALL."""
    from resnext_edu import introspect, models

    pitfalls = _pitfalls()
    right = complexity.architecture_params(SMALL)
    missed = {
        name
        for name, block in pitfalls.FAULTY_BLOCKS.items()
        if introspect.trainable_params(models.build(SMALL, (32, 32, 3), block=block)) == right
    }
    if complexity.architecture_params(pitfalls.projection_plus_n(SMALL)) == right:
        missed.add(PROJECTION_PLUS_N)
    return frozenset(missed)


@functools.cache
def _stride_on_first_1x1_departures():
    """What ``audit.compare`` reports for the small network built of blocks with the stride on the first 1x1."""
    from resnext_edu import audit, models

    model = models.build(SMALL, (32, 32, 3), block=_pitfalls().stride_on_first_1x1)
    return frozenset(check.what for check in audit.compare(model, architecture=SMALL).departures)


def _resnext50():
    return complexity.imagenet_architecture(50, 32, 4)


def _projection_plus_n_params(batchnorm=True):
    return complexity.architecture_params(_pitfalls().projection_plus_n(_resnext50()), batchnorm)


def _where_groups_as_width_hides():
    """The stage of ResNeXt-50 (32x4d) whose width d equals C: there groups = C·d // C happens to be right."""
    return next(stage.name for stage in _resnext50().stages if stage.bottleneck_width == stage.cardinality)


EXERCISES = (
    Exercise(
        key="pitfalls-1",
        question="Which pitfalls would a test comparing trainable parameters with complexity miss? A set of names.",
        expected=_missed_by_counts,
        hint="A count misses a mistake that keeps every layer and every weight, and changes only what a layer reads.",
        mistakes=(
            outside(_names, "Name the pitfalls as pitfalls.FAULTY_BLOCKS does, or 'projection_plus_n'."),
            includes(
                "groups_as_width",
                "groups_as_width changes the 3x3's weights wherever d ≠ C (conv2 and conv4 of the small network): "
                "its count is wrong.",
            ),
            includes(
                "split_input", "split_input's first 1x1s read 1/C of the input: fewer weights, and a count sees it."
            ),
            includes("full_width_copies", "C full-width copies cost C times the weights: a count sees it at once."),
            includes(
                "concatenated_shortcut",
                "Concatenating doubles the channels the next block reads: its first 1x1 has more weights.",
            ),
            includes(PROJECTION_PLUS_N, "One block more per stage is more weights: a count sees it."),
            leaves_out(
                "late_bound_slices",
                "One pitfall keeps every layer and every weight and only changes which channels its paths read.",
            ),
        ),
    ),
    Exercise(
        key="pitfalls-2",
        question="How many trainable parameters does 'one projection block plus n identity blocks' ResNeXt-50 have?",
        expected=_projection_plus_n_params,
        hint="One block more per stage: pitfalls.projection_plus_n, then complexity.architecture_params.",
        mistakes=(
            answer_is(
                lambda: complexity.architecture_params(_resnext50()),
                "That is the paper's ResNeXt-50: the mistake gives every stage one block more.",
            ),
            off_by(
                lambda: _projection_plus_n_params() - _projection_plus_n_params(batchnorm=False),
                "That is Keras' count_params(): it adds BatchNorm's moving statistics, which are not trained.",
            ),
            answer_is(
                lambda: _projection_plus_n_params(batchnorm=False),
                "That leaves out BatchNorm's γ and β; trainable parameters include them.",
            ),
        ),
    ),
    Exercise(
        key="pitfalls-3",
        question="In which stage of ResNeXt-50 (32x4d) does groups=channels // cardinality happen to be right?",
        expected=_where_groups_as_width_hides,
        compare=same_text,
        hint="channels // cardinality is d, and d doubles at each stage (Table 1): find the stage where d equals C.",
        mistakes=(
            answer_is(
                lambda: _resnext50().stages[0].name,
                "In conv2 d = 4 and C = 32: groups=4 makes 4 groups of 32 channels. d doubles from stage to stage.",
                compare=same_text,
            ),
            answer_is(
                lambda: "none",
                "d doubles at every stage (Table 1), so at one stage it meets C = 32.",
                compare=same_text,
            ),
        ),
    ),
    Exercise(
        key="pitfalls-4",
        question="Build the small network of blocks with the stride on the first 1x1: which checks does audit report?",
        expected=_stride_on_first_1x1_departures,
        hint="Only the stride moves: the same layers and weights as the paper's block, the stride on the first 1x1.",
        mistakes=(
            includes(
                "trainable parameters",
                "Moving the stride changes no weight. If the audit counts other parameters, your block has other "
                "layers than the paper's: a conv bias (use_bias=False), a missing BatchNorm, or another width.",
            ),
            includes("conv biases", "The paper's convolutions have no bias (BatchNorm follows each): use_bias=False."),
            includes("3x3: groups C, group width d", "Keep the 3x3 grouped as the paper's: C·d wide, groups=C."),
            includes("branches merged by", "Add the shortcut to the residual branch (Eq. 3), do not concatenate it."),
            leaves_out(
                "stride at",
                "The audit should find the stride on the first 1x1: give that layer `strides`, and the 3x3 none.",
            ),
            leaves_out(
                "multiply-adds",
                "With the stride on the first 1x1 that layer runs at the lower resolution: fewer multiply-adds. If "
                "the audit finds the same count, the stride did not move.",
            ),
        ),
    ),
)
