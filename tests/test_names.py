"""``resnext_edu.names``: the one owner of the library's layer names, and what reads them back."""

import keras
import pytest

from resnext_edu import blocks, equivalence, models, names


@pytest.mark.parametrize(
    "block,part,path,expected",
    [
        ("conv2_block1", "conv1", None, "conv2_block1_conv1"),
        ("conv2_block1", "conv2", 3, "conv2_block1_path3_conv2"),
        ("b", "shortcut_bn", None, "b_shortcut_bn"),
        ("my_path_block", "out", None, "my_path_block_out"),
    ],
)
def test_layer_names_round_trip(block, part, path, expected):
    assert names.layer_name(block, part, path) == expected
    assert names.parse_layer_name(expected) == (block, part, path)


def test_names_that_are_not_block_layers_parse_to_none():
    for name in ("conv1_conv", "fc", "image", "_out", "conv2_block1_relu3"):
        assert names.parse_layer_name(name) is None
    assert names.parse_layer_name("blk_path3_bn3") == ("blk_path3", "bn3", None)  # bn3 follows the sum: no path part
    assert names.parse_block_name("conv3_block12") == ("conv3", 12)
    assert names.parse_block_name("fc") is None


@pytest.mark.parametrize("form", ["a", "b", "c"])
def test_every_layer_of_a_block_is_named_by_the_owner(form):
    inputs = keras.Input((8, 8, 16))
    model = keras.Model(inputs, blocks.resnext_block(inputs, 32, 2, 2, strides=2, form=form, name="blk"))
    parsed = [names.parse_layer_name(layer.name) for layer in model.layers[1:]]
    assert all(p is not None and p[0] == "blk" and p[1] in names.BLOCK_PARTS for p in parsed)
    assert [s.name for s in equivalence.find_blocks(model)] == ["blk"]


def test_a_network_uses_the_stem_and_classifier_names():
    model = models.resnext_cifar(2, 4, blocks_per_stage=1, out_channels=16, stem_filters=8, input_shape=(8, 8, 3))
    layer_names = {layer.name for layer in model.layers}
    assert {names.INPUT, names.STEM_CONV, names.STEM_BN, names.STEM_RELU, names.GLOBAL_POOL, names.CLASSIFIER} <= (
        layer_names
    )
    assert names.block_name("conv2", 1) + "_out" in layer_names
