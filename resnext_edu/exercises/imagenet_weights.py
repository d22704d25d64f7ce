"""Exercises of the chapter *A real ImageNet ResNeXt*: what a torchvision tensor's shape says, and where Keras pads."""

import numpy as np

from resnext_edu import complexity, port
from resnext_edu.exercises.core import Exercise, answer_is, too_large, too_small

_RESNEXT50 = (50, 32, 4)  # torchvision's resnext50_32x4d
_WIDE_FIRST_3X3 = (128, 128, 3, 3)  # wide_resnet50_2's layer1.0.conv2.weight, as the question gives it
_TENSOR = "layer3.0.conv2.weight"  # the grouped 3x3 of conv4's first block
_AT_LEAST = 299  # Inception's test crop (Table 5)


def _read(first_3x3):
    """(C, d) as port.read_architecture reads them from a depth-50 state_dict whose first grouped 3x3 has that shape."""
    state = {name: np.zeros(shape, "float32") for name, shape in port.torchvision_shapes(*_RESNEXT50).items()}
    state["layer1.0.conv2.weight"] = np.zeros(first_3x3, "float32")
    return port.read_architecture(state)[1:3]


def _torch_shape(name=_TENSOR, network=_RESNEXT50):
    return port.torchvision_shapes(*network)[name]


def _keras_shape(name=_TENSOR, network=_RESNEXT50):
    """The shape of the Keras kernel the port makes of a torchvision tensor (``port._kernel``'s transposition)."""
    return port._kernel(np.zeros(_torch_shape(name, network), "float32")).shape


def _strided_inputs(side):
    """The side of the map entering each stride-2 layer with a kernel > 1 (stem 7x7, max pool, three 3x3s)."""
    rows = complexity.stage_table(complexity.imagenet_architecture(*_RESNEXT50, input_size=side))
    out = {row["stage"]: row["output_size"][0] for row in rows}
    return [side, out["conv1"], out["conv2"], out["conv3"], out["conv4"]]


def _same_as_torch(side):
    """Keras' "same" pads as PyTorch does before every strided layer exactly when the side entering it is odd."""
    return all(s % 2 for s in _strided_inputs(side))


def _smallest_side():
    side = _AT_LEAST
    while not _same_as_torch(side):
        side += 1
    return side


EXERCISES = (
    Exercise(
        key="imagenet-weights-1",
        question="wide_resnet50_2's first grouped 3x3 kernel has the shape (128, 128, 3, 3). Which (C, d) does the "
        "port read from it?",
        expected=lambda: _read(_WIDE_FIRST_3X3),
        hint="A grouped 3x3 of C groups of d channels has the shape (C·d, d, 3, 3): d is the second number, C the "
        "first divided by the second.",
        mistakes=(
            answer_is(
                lambda: tuple(reversed(_read(_WIDE_FIRST_3X3))),
                "That is (d, C): the answer asks for the cardinality first, then the bottleneck width.",
            ),
            answer_is(
                lambda: _read((128, 64, 3, 3)),
                "Two paths of 64 would have the shape (128, 64, 3, 3); here each output channel reads all 128 inputs.",
            ),
            answer_is(
                lambda: _read((64, 64, 3, 3)),
                "(1, 64) is ResNet-50's first 3x3; the wide network's reads 128 channels in one group.",
            ),
            answer_is(lambda: _read((128, 4, 3, 3)), "(32, 4) is resnext50_32x4d; read the shape given here."),
        ),
    ),
    Exercise(
        key="imagenet-weights-2",
        question="torchvision's resnext50_32x4d has a tensor 'layer3.0.conv2.weight'. What is the shape of the Keras "
        "kernel the port makes of it?",
        expected=_keras_shape,
        hint="layer3 is Table 1's conv4 (layer1 is conv2). Its 3x3 is grouped: C·d outputs, each reading the d "
        "channels of its group. PyTorch stores (out, in per group, height, width); Keras (height, width, in per "
        "group, out).",
        mistakes=(
            answer_is(
                _torch_shape,
                "That is PyTorch's layout (out, in per group, height, width); Keras puts the kernel's height and "
                "width first and the outputs last.",
            ),
            answer_is(
                lambda: (*_keras_shape()[:2], *reversed(_keras_shape()[2:])),
                "Inputs and outputs swapped: Keras' layout is (height, width, in per group, out).",
            ),
            answer_is(
                lambda: _keras_shape(network=(50, 1, 128)),
                "That is a dense 3x3 reading all C·d channels; a grouped kernel holds only the d input channels of "
                "its own group.",
            ),
            answer_is(
                lambda: _keras_shape("layer2.0.conv2.weight"),
                "That is layer2's, Table 1's conv3; layer3 is conv4, where d and C·d are twice as large.",
            ),
        ),
    ),
    Exercise(
        key="imagenet-weights-3",
        question="What is the smallest image side of at least 299 at which ResNeXt-50 built with Keras' "
        "padding='same' and the ported weights gives torchvision's logits?",
        expected=_smallest_side,
        hint="Keras' 'same' pads as PyTorch only where a stride-2 layer with a kernel larger than 1 sees an odd side. "
        "Follow the side through the stem's 7x7, the max pool and the strided 3x3s of conv3, conv4 and conv5 (each "
        "halves it, rounding up), e.g. with complexity.stage_table.",
        mistakes=(
            answer_is(
                lambda: _AT_LEAST,
                "299 is odd, but the stem halves it to 150, an even side before the max pool: every one of the five "
                "strided layers must see an odd side.",
            ),
            answer_is(
                lambda: 320,
                "320 is even: Keras pads the stem's 7x7 with 2 zeros before and 3 after, PyTorch with 3 and 3.",
            ),
            too_small(
                "At that side one of the five strided layers sees an even side (or the side is below 299): follow it "
                "through them.",
                by=2,
            ),
            too_large("A smaller side of at least 299 already keeps all five strided layers on odd sides."),
        ),
    ),
)
