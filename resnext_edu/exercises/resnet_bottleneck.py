"""Exercises of the chapter *The ResNet bottleneck* (paper Fig. 1 left, Table 1): weights, shapes, shares."""

from resnext_edu import complexity
from resnext_edu.exercises.core import Exercise, Mistake, answer_is, close, off_by, scaled_by

# conv4 of ResNet-50 (Table 1): 1024 channels in and out, a bottleneck 1024 / 4 wide.
_CONV4 = dict(in_channels=1024, out_channels=1024, cardinality=1, bottleneck_width=256)


def _conv4_weights():
    return complexity.block_params(**_CONV4)


def _conv4_bn_channels():
    """Channels normalised by the block's three BatchNorms: after the 1x1, the 3x3 and the last 1x1."""
    d, out = _CONV4["bottleneck_width"], _CONV4["out_channels"]
    return d + d + out


def _conv4_first_block_output():
    """(height, width, channels) that ResNet-50's conv4 outputs at 224x224 (its first block makes the shape)."""
    rows = {row["stage"]: row for row in complexity.stage_table(complexity.imagenet_architecture(50, 1, 64))}
    return (*rows["conv4"]["output_size"], rows["conv4"]["out_channels"])


def _conv2_layers():
    """The conv weights of conv2's three layers (1x1, 3x3, 1x1): a one-path block of width 64."""
    (row,) = complexity.fixed_width_sweep(group_width=64, cardinalities=[1])
    return row["params"]


def _share_of_3x3():
    layers = _conv2_layers()
    return layers["conv2"] / sum(layers.values())


EXERCISES = (
    Exercise(
        key="resnet-bottleneck-1",
        question="How many convolution weights does one conv4 block of ResNet-50 (1024 -> 1024, width 256) have?",
        expected=_conv4_weights,
        hint="Add the three layers: k·k·(input channels)·(output channels) for the 1x1, the 3x3 and the 1x1.",
        mistakes=(
            off_by(
                lambda: 2 * _conv4_bn_channels(),
                "That adds BatchNorm's γ and β (2 per channel): count the convolution kernels only, as Table 2 does.",
            ),
            off_by(
                lambda: 4 * _conv4_bn_channels(),
                "That is what Keras' count_params() reports: BatchNorm's four numbers per channel on top, two of them "
                "moving statistics that are not even trained. Count the convolution kernels only.",
            ),
            answer_is(
                lambda: complexity.block_params(256, 256, 1, 64),
                "That is the conv2 block (256 channels, width 64). conv4 works at 1024 channels with width 256.",
            ),
            off_by(
                lambda: -8 * _CONV4["bottleneck_width"] ** 2,
                "The 3x3 layer has 3·3 weights for each pair of input and output channels, not one.",
            ),
        ),
    ),
    Exercise(
        key="resnet-bottleneck-2",
        question="conv4's first block: 28x28x512 in, 1024 filters, stride 2. Its output (height, width, channels)?",
        expected=_conv4_first_block_output,
        hint="Stride 2 halves the height and the width once; the last 1x1 sets the channels to `filters`.",
        mistakes=(
            answer_is(lambda: (28, 28, 1024), "The block has stride 2: its 3x3 (and its shortcut) halve the map."),
            answer_is(
                lambda: (14, 14, 512),
                "The spatial size is right; the channels are the last 1x1's filters, not the input's.",
            ),
            answer_is(
                lambda: (14, 14, 256),
                "256 is the bottleneck width inside the block; the block outputs what its last 1x1 restores.",
            ),
            answer_is(lambda: (7, 7, 1024), "Stride 2 halves the map once, from 28 to 14, not twice."),
        ),
    ),
    Exercise(
        key="resnet-bottleneck-3",
        question="What fraction (between 0 and 1) of the conv2 bottleneck's conv weights sit in its 3x3 layer?",
        expected=_share_of_3x3,
        compare=close(rel=1e-3),
        hint="Divide the 3x3's weights, 3·3·64·64, by the block's three layers together.",
        mistakes=(
            scaled_by(lambda: 100, "That looks like a percentage: give the fraction, between 0 and 1.", rel=1e-3),
            answer_is(
                lambda: 1 / 3,
                "The three layers do not hold equal shares: the 3x3 has 3·3 weights per pair of channels.",
                compare=close(rel=1e-3),
            ),
            Mistake(
                lambda answer, expected: abs(answer - (1 - expected)) < 1e-3,
                "That is the share of the two 1x1 layers together; the question asks for the 3x3's.",
                lambda expected: 1 - expected,
            ),
            answer_is(
                lambda: _conv2_layers()["conv2"] / (sum(_conv2_layers().values()) + 2 * (64 + 64 + 256)),
                "Count convolution weights only, in the denominator too: BatchNorm's γ and β are not part of it.",
                compare=close(rel=1e-4),
            ),
        ),
    ),
)
