"""``resnext_edu.blocks``: bad arguments get a ``ValueError`` that says what is wrong and what is allowed.

Every check must fire in the library, before TensorFlow sees the value, with a message naming the argument
(README: names follow the paper, ``cardinality``, ``bottleneck_width``, ``form``).
"""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import invalid_counts

from resnext_edu import blocks, complexity, models

BLOCK_ARGS = {"filters": 64, "cardinality": 4, "bottleneck_width": 4}
NOT_POSITIVE_INTS = [0, -1, -64]
NOT_INTS = [2.5, 4.0, "4", True, None]


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


# --- sizes no machine holds are refused with their estimate ----------------------------------------------------


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
