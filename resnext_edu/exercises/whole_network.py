"""Exercises of the chapter *The whole network* (paper Table 1): blocks, a new classifier, another input size."""

from resnext_edu import complexity
from resnext_edu.exercises.core import Exercise, answer_is, off_by

_C, _D = 32, 4  # ResNeXt-50 (32x4d)
_CLASSES = 10  # the new classifier of exercise 2


def _stages(input_size=224, num_classes=1000):
    arch = complexity.imagenet_architecture(50, _C, _D, num_classes, input_size)
    return {row["stage"]: row for row in complexity.stage_table(arch)}


def _blocks():
    return sum(row["blocks"] for row in _stages().values())


def _params(num_classes=_CLASSES, batchnorm=True):
    return complexity.model_params(50, _C, _D, num_classes, batchnorm=batchnorm)


def _batchnorm_params():
    """BatchNorm's gamma and beta in the whole network: the difference between the two conventions."""
    return _params() - _params(batchnorm=False)


EXERCISES = (
    Exercise(
        key="whole-network-1",
        question="How many grouped convolutions does ResNeXt-50 (32x4d) have?",
        expected=_blocks,
        hint="Each block has one grouped layer, its 3x3. Add up the blocks of Table 1's four stages.",
        mistakes=(
            answer_is(lambda: _C, "32 is the number of groups in each grouped layer, C; count the layers."),
            answer_is(
                lambda: _blocks() + 4,
                "The four projection shortcuts are 1x1 convolutions without groups: count the blocks only.",
            ),
            answer_is(lambda: 3 * _blocks(), "Only the 3x3 of a block is grouped; its two 1x1s are dense."),
            answer_is(lambda: 50, "50 counts the layers with weights; only one layer per block is grouped."),
        ),
    ),
    Exercise(
        key="whole-network-2",
        question="How many trainable parameters does ResNeXt-50 (32x4d) have with a 10-class classifier?",
        expected=_params,
        hint="Only fc changes: it has 2048 inputs, one weight per input and class, plus one bias per class.",
        mistakes=(
            off_by(
                lambda: 1000 - _CLASSES,
                "The fc layer has a bias per class too: each class removed takes 2048 weights and 1 bias with it.",
            ),
            off_by(
                _batchnorm_params,
                "That is Keras' count_params(): it adds BatchNorm's moving mean and variance, which are not trained.",
            ),
            answer_is(
                lambda: _params(batchnorm=False),
                "That leaves out BatchNorm's γ and β (the convention of the paper's Table 1 totals); trainable "
                "parameters include them.",
            ),
            answer_is(lambda: _params(1000), "That is the 1000-class network; the classifier has 10 outputs."),
            answer_is(
                lambda: _stages(num_classes=_CLASSES)["fc"]["params"],
                "That is the classifier alone; the question asks for the whole network.",
            ),
        ),
    ),
    Exercise(
        key="whole-network-3",
        question="What is the (height, width) of conv4's output for a 320x320 input (Table 5's test crop)?",
        expected=lambda: _stages(320)["conv4"]["output_size"],
        hint="Count the stride-2 layers up to the end of conv4: the stem's 7x7, the max pool, and the first "
        "blocks of conv3 and conv4.",
        mistakes=(
            answer_is(
                lambda: _stages(320)["conv3"]["output_size"], "That is conv3's output; conv4 halves it once more."
            ),
            answer_is(
                lambda: _stages(320)["conv5"]["output_size"], "That is conv5's output; conv4 ends one halving earlier."
            ),
            answer_is(
                lambda: _stages(224)["conv4"]["output_size"], "That is the size at 224x224; the input is 320x320."
            ),
        ),
    ),
)
