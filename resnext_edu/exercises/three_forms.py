"""Exercises of the chapter *Three forms, one function* (paper Fig. 3): the grouped kernel, its weights, form (b)."""

import functools

from resnext_edu import complexity
from resnext_edu.exercises.core import Exercise, answer_is, off_by, scaled_by

_C, _D = 32, 4  # ResNeXt-50's conv2 block, 256 -> 256 (Table 1, Fig. 3)
_SMALL_C, _SMALL_D, _SMALL_CHANNELS = 8, 2, 128  # the block of the first exercise: 28x28x128 in, 128 out


@functools.cache
def _grouped_kernel_shape():
    """The kernel shape of the grouped 3x3 that ``blocks.resnext_block`` builds in form (c) for C = 8, d = 2."""
    import keras

    from resnext_edu import blocks, names

    inputs = keras.Input((28, 28, _SMALL_CHANNELS))
    model = keras.Model(inputs, blocks.resnext_block(inputs, _SMALL_CHANNELS, _SMALL_C, _SMALL_D, form="c", name="b"))
    return tuple(int(n) for n in model.get_layer(names.layer_name("b", "conv2")).kernel.shape)


def _layer_weights(cardinality, group_width=_C * _D):
    """Conv weights of each layer ("conv1", "conv2", "conv3") of a 256 -> 256 block whose 3x3 is C groups wide."""
    (row,) = complexity.fixed_width_sweep(group_width=group_width, cardinalities=[cardinality])
    return row["params"]


EXERCISES = (
    Exercise(
        key="three-forms-1",
        question="Form (c) with C = 8 paths of width d = 2 (128 channels in and out): the grouped 3x3's kernel shape?",
        expected=_grouped_kernel_shape,
        hint="Keras stores a kernel as (height, width, input channels per group, output channels).",
        mistakes=(
            answer_is(
                lambda: (3, 3, _SMALL_C * _SMALL_D, _SMALL_C * _SMALL_D),
                "That is a dense 3x3 of the same width. Each group reads only its own channels: C·d / C of them.",
            ),
            answer_is(
                lambda: (3, 3, _SMALL_D, _SMALL_D),
                "That is one path's kernel. The grouped layer stores all C paths side by side along the output axis.",
            ),
            answer_is(
                lambda: (3, 3, _SMALL_C * _SMALL_D, _SMALL_D),
                "Input and output are swapped: Keras' kernel is (height, width, in per group, out).",
            ),
            answer_is(
                lambda: (3, 3, _SMALL_C, _SMALL_C * _SMALL_D),
                "8 is the number of groups C; each group reads d channels.",
            ),
        ),
    ),
    Exercise(
        key="three-forms-2",
        question="How many weights does the grouped 3x3 of ResNeXt-50's conv2 block (32x4d, 128 wide) hold?",
        expected=lambda: _layer_weights(_C)["conv2"],
        hint="Kernel height · kernel width · input channels per group · output channels.",
        mistakes=(
            answer_is(
                lambda: _layer_weights(1)["conv2"],
                "That is a dense 3x3 of 128 channels: with 32 groups each output channel reads only 4 inputs.",
            ),
            answer_is(
                lambda: _layer_weights(_D)["conv2"],
                "That is 4 groups of 32 channels: groups = C·d // C passes the group width d where the number of "
                "groups C belongs.",
            ),
            scaled_by(lambda: 1 / _C, "That is one group, one path's 3x3; the layer holds all 32 of them."),
            off_by(lambda: 2 * _C * _D, "That adds the BatchNorm after it; count the convolution's weights only."),
        ),
    ),
    Exercise(
        key="three-forms-3",
        question="Form (b) of the 32x4d block (256 -> 256): how many weights does its single last 1x1 hold?",
        expected=lambda: _layer_weights(_C)["conv3"],
        hint="The 1x1 reads the C·d concatenated channels of the paths and writes the block's 256 output channels.",
        mistakes=(
            scaled_by(
                lambda: 1 / _C,
                "That is one path's last 1x1 in form (a). Form (b)'s single 1x1 does the work of all C of them: it "
                "reads every path's channels.",
            ),
            answer_is(
                lambda: 256 * 256,
                "It reads the C·d = 128 concatenated channels, not the block's 256 input channels.",
            ),
            off_by(lambda: 2 * 256, "That adds the BatchNorm after it; count the convolution's weights only."),
        ),
    ),
)
