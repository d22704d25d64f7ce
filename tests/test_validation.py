"""Bad arguments get a ``ValueError`` that says what is wrong and what is allowed.

Covers the builders of ``resnext_edu.blocks`` and ``resnext_edu.models`` and the counts of
``resnext_edu.complexity``: every check must fire in the library, before TensorFlow sees the value,
with a message naming the argument (GUIDE.md §4: names follow the paper, ``cardinality``,
``bottleneck_width``, ``form``). ImageNet nets downsample by 32 and the CIFAR ResNeXt-29 by 4
(paper Table 1 and Sec. 5.3), so smaller inputs are refused.
"""

import keras
import numpy as np
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


@pytest.mark.parametrize("depth", [34, 18, 0, "50", None, True])
def test_resnext_rejects_unknown_depth(depth):
    with pytest.raises(ValueError, match=r"depth must be one of 50, 101, 152"):
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
    with pytest.raises(ValueError, match=r"depth must be one of 50, 101, 152; got 34"):
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


# --- numpy integers are integers; other types, and sizes no machine holds, get a ValueError ----------------------


def test_numpy_integers_are_integers_everywhere():
    assert complexity.model_params(np.int64(50), np.int64(32), np.int32(4)) == 25_028_904
    arch = complexity.imagenet_architecture(np.int64(50), np.int64(32), np.int64(4))
    assert arch.depth == 50 and type(arch.depth) is int and arch.display_name == "ResNeXt-50 (32×4d)"
    assert complexity.width_for_cardinality(np.int64(32), np.int64(256), np.int64(256), np.int64(64)) == 4
    model = models.resnext(np.int64(50), np.int64(2), np.int64(4), num_classes=np.int64(10), input_shape=(64, 64, 3))
    assert model.name == "resnext50_2x4d" and model.output_shape == (None, 10)


@pytest.mark.parametrize("arch", ["resnext50", 50, None, {"depth": 50}])
def test_architectures_are_architectures(arch):
    with pytest.raises(ValueError, match="arch must be a complexity.Architecture"):
        models.build(arch, (224, 224, 3))
    for function in (complexity.architecture_params, complexity.architecture_macs, complexity.stage_table):
        with pytest.raises(ValueError, match="Architecture"):
            function(arch)


def test_a_block_that_no_machine_holds_is_refused_with_its_estimate(block_input):
    with pytest.raises(ValueError, match=r"this block would hold about 360,054,400,256 weights \(1,341\.3 GiB"):
        blocks.resnext_block(block_input, 64, 4, 100000)  # a 3x3x100000x400000 grouped kernel
    with pytest.raises(ValueError, match="the network resnext50_32x1000000d would hold about"):
        models.resnext(50, 32, 10**6)


@pytest.mark.parametrize("form", ["a", "b", "c"])
@pytest.mark.parametrize(
    "in_channels, filters, c, d, strides", [(64, 64, 4, 4, 1), (32, 64, 2, 8, 2), (16, 16, 1, 4, 1)]
)
def test_block_weights_counts_what_keras_allocates(form, in_channels, filters, c, d, strides):
    x = keras.Input((8, 8, in_channels))
    block = keras.Model(x, blocks.resnext_block(x, filters, c, d, strides, form=form))
    allocated = sum(int(np.prod(w.shape)) for w in block.weights)  # BatchNorm's moving statistics included
    assert complexity.block_weights(in_channels, filters, c, d, strides) == allocated


def _width_by_search(c, in_channels, out_channels, reference_width):
    """The former width_for_cardinality: every width from 1 up, the nearer of the last two; a tie to the smaller."""
    target = complexity.block_params(in_channels, out_channels, 1, reference_width)
    d = 1
    while complexity.block_params(in_channels, out_channels, c, d + 1) <= target:
        d += 1
    below = abs(target - complexity.block_params(in_channels, out_channels, c, d))
    above = abs(complexity.block_params(in_channels, out_channels, c, d + 1) - target)
    return d if below <= above else d + 1


def test_width_for_cardinality_in_closed_form_is_the_search_it_replaces():
    for c in (1, 2, 3, 4, 5, 8, 16, 32, 64, 100, 1000):
        for in_channels in (1, 3, 16, 64, 256, 1024):
            for out_channels in (1, 8, 16, 256, 2048):
                for reference in [*range(1, 70), 100, 128, 255, 256, 512, 1000]:
                    d = complexity.width_for_cardinality(c, in_channels, out_channels, reference)
                    assert d == _width_by_search(c, in_channels, out_channels, reference), (c, in_channels, reference)
    assert [complexity.width_for_cardinality(c) for c in (1, 2, 4, 8, 32)] == [64, 40, 24, 14, 4]  # Table 2


def test_width_for_cardinality_breaks_a_tie_for_the_smaller_width():
    """C = 2, 1 -> 8 channels, reference d = 8: 648 weights; d = 5 gives 540, d = 6 gives 756: 108 either side."""
    target, cost = complexity.block_params(1, 8, 1, 8), lambda d: complexity.block_params(1, 8, 2, d)
    assert (target, cost(5), cost(6)) == (648, 540, 756)
    assert complexity.width_for_cardinality(2, 1, 8, 8) == 5 == _width_by_search(2, 1, 8, 8)


def test_width_for_cardinality_at_a_reference_width_of_a_million():
    """The search took over a second here; the closed form is exact at any size (integer square root)."""
    d = complexity.width_for_cardinality(32, 256, 256, 10**6)
    target, cost = complexity.block_params(256, 256, 1, 10**6), lambda w: complexity.block_params(256, 256, 32, w)
    assert cost(d) <= target < cost(d + 1) or cost(d - 1) <= target < cost(d)
    assert min(d - 1, d, d + 1, key=lambda w: (abs(cost(w) - target), w)) == d
