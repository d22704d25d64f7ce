"""Bad arguments get a ``ValueError`` that says what is wrong and what is allowed.

Covers the builders of ``resnext_edu.blocks`` and ``resnext_edu.models`` and the counts of
``resnext_edu.complexity``: every check must fire in the library, before TensorFlow sees the value,
with a message naming the argument (GUIDE.md §4: names follow the paper, ``cardinality``,
``bottleneck_width``, ``form``). ImageNet nets downsample by 32 and the CIFAR ResNeXt-29 by 4
(paper Table 1 and Sec. 5.3), so smaller inputs are refused.
"""

import keras
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resnext_edu import blocks, complexity, models

BLOCK_ARGS = {"filters": 64, "cardinality": 4, "bottleneck_width": 4}
NOT_POSITIVE_INTS = [0, -1, -64]
NOT_INTS = [2.5, 4.0, "4", True, None]

# Anything that is not a whole number >= 1.
invalid_counts = st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.none(),
    st.booleans(),
    st.lists(st.integers(1, 8), max_size=2),
)


@pytest.fixture(scope="module")
def block_input():
    return keras.Input((8, 8, 64))


# --- blocks.resnext_block -----------------------------------------------------------------------


@pytest.mark.parametrize("argument", ["filters", "cardinality", "bottleneck_width"])
@pytest.mark.parametrize("value", NOT_POSITIVE_INTS)
def test_resnext_block_rejects_non_positive(block_input, argument, value):
    kwargs = {**BLOCK_ARGS, argument: value}
    with pytest.raises(ValueError, match=rf"{argument} must be a whole number >= 1; got {value}"):
        blocks.resnext_block(block_input, **kwargs)


@pytest.mark.parametrize("argument", ["filters", "cardinality", "bottleneck_width"])
@pytest.mark.parametrize("value", NOT_INTS, ids=repr)
def test_resnext_block_rejects_non_integers(block_input, argument, value):
    kwargs = {**BLOCK_ARGS, argument: value}
    with pytest.raises(ValueError, match=rf"{argument} must be a whole number"):
        blocks.resnext_block(block_input, **kwargs)


@pytest.mark.parametrize("form", ["d", None, "C", "grouped", 3])
def test_resnext_block_rejects_unknown_form(block_input, form):
    with pytest.raises(ValueError, match=r"form must be one of 'a', 'b', 'c', 'auto'"):
        blocks.resnext_block(block_input, 64, 4, 4, form=form)


@pytest.mark.parametrize("strides", [0, -2, 1.5])
def test_resnext_block_rejects_bad_strides(block_input, strides):
    with pytest.raises(ValueError, match="strides must be a whole number >= 1"):
        blocks.resnext_block(block_input, 64, 4, 4, strides=strides)


@pytest.mark.parametrize("shape", [(8, 64), (64,), (4, 8, 8, 64)])
def test_resnext_block_rejects_input_that_is_not_4d(shape):
    with pytest.raises(ValueError, match="4-D channels-last tensor"):
        blocks.resnext_block(keras.Input(shape), 64, 4, 4)


def test_resnext_block_rejects_unknown_channels():
    with pytest.raises(ValueError, match="known channels"):
        blocks.resnext_block(keras.Input((8, 8, None)), 64, 4, 4)


@pytest.mark.parametrize("name", ["", 3])
def test_resnext_block_rejects_bad_name(block_input, name):
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        blocks.resnext_block(block_input, 64, 4, 4, name=name)


def test_resnext_block_accepts_valid_arguments(block_input):
    y = blocks.resnext_block(block_input, 128, 4, 4, strides=2, form="auto")
    assert tuple(y.shape) == (None, 4, 4, 128)


@settings(max_examples=25, deadline=None)
@given(argument=st.sampled_from(["cardinality", "bottleneck_width"]), value=invalid_counts)
def test_resnext_block_rejects_any_invalid_count(argument, value):
    kwargs = {**BLOCK_ARGS, argument: value}
    with pytest.raises(ValueError, match=argument):
        blocks.resnext_block(keras.Input((8, 8, 64)), **kwargs)


# --- blocks.bottleneck_block --------------------------------------------------------------------


@pytest.mark.parametrize("filters", [6, 30, 257])
def test_bottleneck_block_rejects_filters_not_multiple_of_4(block_input, filters):
    with pytest.raises(ValueError, match="multiple of 4"):
        blocks.bottleneck_block(block_input, filters)


@pytest.mark.parametrize("filters", [0, 1, 2, 3, -4])
def test_bottleneck_block_rejects_filters_below_4(block_input, filters):
    with pytest.raises(ValueError, match=r"filters must be a whole number >= 4"):
        blocks.bottleneck_block(block_input, filters)


@pytest.mark.parametrize("filters", [4.0, "256", None])
def test_bottleneck_block_rejects_non_integer_filters(block_input, filters):
    with pytest.raises(ValueError, match=r"filters must be a whole number"):
        blocks.bottleneck_block(block_input, filters)


def test_bottleneck_block_accepts_multiple_of_4(block_input):
    assert tuple(blocks.bottleneck_block(block_input, 4).shape) == (None, 8, 8, 4)


# --- models.resnext / resnext29 -----------------------------------------------------------------


@pytest.mark.parametrize("depth", [34, 18, 0, "50", 29.0, True])
def test_resnext_rejects_unknown_depth(depth):
    with pytest.raises(ValueError, match=r"depth must be one of 26, 38, 50, 101, 152, 200, or give blocks_per_stage"):
        models.resnext(depth)


def test_resnext_depth_29_points_to_resnext29():
    with pytest.raises(ValueError, match="resnext29"):
        models.resnext(29)


def test_resnext_rejects_float_depth():
    with pytest.raises(ValueError, match="depth must be one of"):
        models.resnext(50.0, 1, 64, 10, input_shape=(64, 64, 3))


@pytest.mark.parametrize("argument", ["cardinality", "bottleneck_width", "num_classes"])
@pytest.mark.parametrize("value", [0, -3, 2.5, "8", True])
def test_resnext_rejects_bad_counts(argument, value):
    with pytest.raises(ValueError, match=rf"{argument} must be a whole number >= 1"):
        models.resnext(**{argument: value})


@pytest.mark.parametrize("form", ["d", None, "A"])
def test_resnext_rejects_unknown_form(form):
    with pytest.raises(ValueError, match="form must be one of"):
        models.resnext(50, 2, 4, input_shape=(64, 64, 3), form=form)


@pytest.mark.parametrize(("input_shape", "side"), [((16, 224, 3), "height 16"), ((224, 31, 3), "width 31")])
def test_resnext_rejects_input_smaller_than_downsampling(input_shape, side):
    with pytest.raises(ValueError, match=rf"input {side} is smaller than the network's total downsampling \(32\)"):
        models.resnext(50, 32, 4, input_shape=input_shape)


@pytest.mark.parametrize("input_shape", [(224, 224), (224, 224, 3, 1), 224, "224x224", None])
def test_resnext_rejects_malformed_input_shape(input_shape):
    with pytest.raises(ValueError, match=r"input_shape must be \(height, width, channels\)"):
        models.resnext(input_shape=input_shape)


@pytest.mark.parametrize("channels", [0, -3, 3.0, "3"])
def test_resnext_rejects_bad_input_channels(channels):
    with pytest.raises(ValueError, match="input_shape's channels must be a whole number >= 1"):
        models.resnext(input_shape=(224, 224, channels))


@pytest.mark.parametrize("side", [0, -32, 64.5])
def test_resnext_rejects_bad_input_side(side):
    with pytest.raises(ValueError, match="input height must be a whole number >= 1"):
        models.resnext(input_shape=(side, 224, 3))


@pytest.mark.parametrize("input_shape", [(3, 32, 3), (32, 2, 3), (1, 1, 3)])
def test_resnext29_rejects_input_smaller_than_4(input_shape):
    with pytest.raises(ValueError, match=r"total downsampling \(4\)"):
        models.resnext29(2, 2, input_shape=input_shape)


def test_resnext29_accepts_4x4_input():
    model = models.resnext29(2, 2, num_classes=3, input_shape=(4, 4, 3))
    assert model.output_shape == (None, 3)
    assert model.get_layer("conv4_block3_out").output.shape == (None, 1, 1, 1024)


@pytest.mark.parametrize(("argument", "value"), [("cardinality", 0), ("bottleneck_width", "64"), ("num_classes", 0)])
def test_resnext29_rejects_bad_counts(argument, value):
    with pytest.raises(ValueError, match=rf"{argument} must be a whole number"):
        models.resnext29(**{argument: value})


# --- complexity ---------------------------------------------------------------------------------


def test_block_params_rejects_zero_cardinality():
    with pytest.raises(ValueError, match="cardinality must be a whole number >= 1; got 0"):
        complexity.block_params(256, 256, 0, 4)


@pytest.mark.parametrize("args", [(0, 256, 1, 64), (256, -1, 1, 64), (256, 256, 1, 0)])
def test_block_params_rejects_other_bad_arguments(args):
    with pytest.raises(ValueError, match="must be a whole number >= 1"):
        complexity.block_params(*args)


@pytest.mark.parametrize("cardinality", [0, -1, 2.0, "32", None])
def test_width_for_cardinality_rejects_bad_cardinality(cardinality):
    with pytest.raises(ValueError, match="cardinality must be a whole number >= 1"):
        complexity.width_for_cardinality(cardinality)


def test_model_params_rejects_unknown_depth():
    with pytest.raises(
        ValueError,
        match=r"depth must be one of 26, 38, 50, 101, 152, 200, or give blocks_per_stage=\(n2, n3, n4, n5\); got 34",
    ):
        complexity.model_params(34, 32, 4)


def test_model_macs_rejects_small_input():
    with pytest.raises(ValueError, match=r"total downsampling \(32\)"):
        complexity.model_macs(50, 32, 4, input_size=16)


def test_block_macs_rejects_zero_height():
    with pytest.raises(ValueError, match="height must be a whole number >= 1"):
        complexity.block_macs(256, 256, 32, 4, height=0)


@pytest.mark.parametrize("arch", [None, "resnext50", {"depth": 50}])
def test_stage_table_rejects_non_architecture(arch):
    with pytest.raises(ValueError, match="stage_table needs an Architecture"):
        complexity.stage_table(arch)


def test_stage_table_rejects_unknown_input_size():
    with pytest.raises(ValueError, match="fixed input size"):
        complexity.stage_table(complexity.imagenet_architecture(input_size=(None, 224)))


@given(argument=st.sampled_from(["cardinality", "bottleneck_width"]), value=invalid_counts)
def test_block_params_rejects_any_invalid_count(argument, value):
    kwargs = {"in_channels": 256, "out_channels": 256, "cardinality": 4, "bottleneck_width": 4, argument: value}
    with pytest.raises(ValueError, match=rf"{argument} must be a whole number >= 1"):
        complexity.block_params(**kwargs)
