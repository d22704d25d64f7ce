"""Exercises of the chapter *Speed: FLOPs are not time*: where a block's multiply-adds sit, how much work a grouped
3x3 does per value it moves, and how many layers each form dispatches. Counts from the library, never timings."""

import functools

from resnext_edu import complexity
from resnext_edu.exercises.core import Exercise, Mistake, answer_is, close, scaled_by

_C, _D, _CHANNELS, _SIZE = 32, 4, 256, 56  # ResNeXt-50's conv2 block (Table 1): 256 -> 256 at 56x56
_RESNET_WIDTH = 64  # the ResNet bottleneck of equal cost (Table 2)


def _layers(cardinality, bottleneck_width):
    """Per-layer multiply-adds and weights of the conv2 block with C groups of d channels in its 3x3."""
    (row,) = complexity.fixed_width_sweep(
        cardinality * bottleneck_width, _CHANNELS, _CHANNELS, cardinalities=[cardinality], size=_SIZE
    )
    return row


def _share_1x1(cardinality=_C, bottleneck_width=_D, parts=("conv1", "conv3")):
    row = _layers(cardinality, bottleneck_width)
    return sum(row["macs"][p] for p in parts) / row["total_macs"]


def _per_value(cardinality, bottleneck_width, weights=True):
    """Multiply-adds of the block's 3x3 per value it moves: input and output activations (and its weights)."""
    row = _layers(cardinality, bottleneck_width)
    activations = 2 * _SIZE * _SIZE * cardinality * bottleneck_width
    return row["macs"]["conv2"] / (activations + (row["params"]["conv2"] if weights else 0))


def _work_ratio(weights=True):
    """How many times more multiply-adds per value moved the dense 3x3 does than the grouped one."""
    return _per_value(1, _RESNET_WIDTH, weights) / _per_value(_C, _D, weights)


def _mac_ratio():
    return _layers(1, _RESNET_WIDTH)["macs"]["conv2"] / _layers(_C, _D)["macs"]["conv2"]


@functools.cache
def _convolutions(form):
    """The convolution layers a block of ``form`` holds, counted on the block ``blocks.resnext_block`` builds."""
    import keras

    from resnext_edu import blocks

    inputs = keras.Input((_SIZE, _SIZE, _CHANNELS))
    model = keras.Model(inputs, blocks.resnext_block(inputs, _CHANNELS, _C, _D, form=form, name="block"))
    return sum(isinstance(layer, keras.layers.Conv2D) for layer in model.layers)


EXERCISES = (
    Exercise(
        key="speed-1",
        question="What fraction (between 0 and 1) of the 32x4d block's multiply-adds sit in its two 1x1 layers?",
        expected=_share_1x1,
        compare=close(rel=1e-3),
        hint="Each layer's multiply-adds are its weights times the 56x56 output positions; the 1x1s are 256 -> 128 "
        "and 128 -> 256, the grouped 3x3 holds 3·3·4·128 weights.",
        mistakes=(
            answer_is(
                lambda: _share_1x1(1, _RESNET_WIDTH),
                "That is the ResNet bottleneck's share (1x1s of 64 channels); ResNeXt's 1x1s are 128 wide.",
                compare=close(rel=1e-3),
            ),
            answer_is(
                lambda: _share_1x1(parts=("conv2",)),
                "That is the grouped 3x3's share; the question asks for the two 1x1 layers.",
                compare=close(rel=1e-3),
            ),
            answer_is(
                lambda: _share_1x1(parts=("conv1",)),
                "That is one 1x1 layer; the block has two, a reduce and a restore.",
                compare=close(rel=1e-3),
            ),
            scaled_by(lambda: 100, "That is a percentage; give a fraction between 0 and 1.", rel=1e-3),
        ),
    ),
    Exercise(
        key="speed-2",
        question="At 56x56, how many times more multiply-adds per value moved (activations in and out, and weights) "
        "does ResNet's dense 3x3 (64 channels) do than ResNeXt's grouped 3x3 (128 channels, 32 groups)?",
        expected=_work_ratio,
        compare=close(rel=1e-2),
        hint="For each layer: multiply-adds / (input activations + output activations + weights), with 56·56·channels "
        "activations each way; then divide the dense layer's figure by the grouped one's.",
        mistakes=(
            answer_is(
                _mac_ratio,
                "That is the ratio of their multiply-adds alone; the grouped layer also moves twice the "
                "activations (128 channels in and out, against 64).",
                compare=close(rel=1e-2),
            ),
            answer_is(
                lambda: 1 / _work_ratio(),
                "Upside down: the dense layer does more work per value, so the ratio is above 1.",
                compare=close(rel=1e-2),
            ),
            answer_is(
                lambda: _work_ratio(weights=False),
                "Close: that leaves out the weights, which each layer reads too.",
                compare=close(rel=1e-3),
            ),
        ),
    ),
    Exercise(
        key="speed-3",
        question="How many convolution layers does one form (a) block of 32x4d (256 -> 256) dispatch, against form "
        "(c)'s three?",
        expected=lambda: _convolutions("a"),
        hint="Form (a) builds every path as its own layers: a 1x1, a 3x3 and a 1x1 for each of the C paths.",
        mistakes=(
            answer_is(
                lambda: _convolutions("b"),
                "That is form (b): its paths end before their last 1x1, which one shared 1x1 replaces.",
            ),
            answer_is(lambda: _convolutions("c"), "That is form (c); form (a) builds each path separately."),
            answer_is(lambda: _C, "One per path; but each path is three convolutions, not one."),
            Mistake(
                lambda answer, expected: answer == expected + 1,
                "The shortcut of this block is the identity (256 in, 256 out): it has no convolution.",
                lambda expected: expected + 1,
            ),
        ),
    ),
)
