"""fold.fold_batchnorm: each BatchNorm folded into its convolution computes the same inference outputs."""

import keras
import numpy as np
import pytest

from resnext_edu import blocks, equivalence, fold, layers, models


def _randomise_batchnorms(model, seed=1):
    """BatchNorm statistics far from their initial values, so that a wrongly folded channel shows."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.3, 2.0, w.shape).astype("float32") for w in layer.get_weights()])
    return model


def _block_model(form, cardinality=4, bottleneck_width=2, strides=2):
    inputs = keras.Input((8, 8, 16))
    y = blocks.resnext_block(inputs, 32, cardinality, bottleneck_width, strides, form=form, name="block")
    return _randomise_batchnorms(keras.Model(inputs, y))


def _assert_same_outputs(model, folded, shape, tolerance=1e-5):
    x = np.random.default_rng(2).standard_normal((2, *shape)).astype("float32")
    expected, got = model.predict_on_batch(x), folded.predict_on_batch(x)
    assert np.abs(got - expected).max() <= tolerance * np.abs(expected).max()


@pytest.mark.parametrize("form", ["a", "b", "c"])
def test_every_form_folds_to_the_same_function(form):
    model = _block_model(form)
    folded = fold.fold_batchnorm(model)
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert set(fold.foldable_pairs(model)) == {bn.name for bn in bns}  # every BN of a block follows a conv
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in folded.layers)
    assert all(layer.use_bias for layer in folded.layers if isinstance(layer, keras.layers.Conv2D))
    assert [layer.name for layer in folded.layers[1:]] == [layer.name for layer in model.layers[1:]]
    _assert_same_outputs(model, folded, (8, 8, 16))


def test_the_grouped_conv_keeps_its_groups_and_implementation():
    model = _block_model("c", cardinality=4, bottleneck_width=2)
    folded = fold.fold_batchnorm(model)
    conv2 = folded.get_layer("block_conv2")
    assert isinstance(conv2, layers.Conv2D) and conv2.groups == 4 and conv2.implementation == "auto"
    assert conv2.kernel.shape == model.get_layer("block_conv2").kernel.shape


def test_a_whole_resnet_and_resnext_fold_the_same_way():
    for c, d in ((1, 16), (4, 4)):
        model = _randomise_batchnorms(models.resnext_cifar(c, d, 10, (16, 16, 3), out_channels=32, stem_filters=16))
        folded = fold.fold_batchnorm(model)
        bns = sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)
        assert len(fold.foldable_pairs(model)) == bns  # the stem's BN too
        assert folded.count_params() < model.count_params()  # BN's four vectors per channel become one bias
        _assert_same_outputs(model, folded, (16, 16, 3))


def test_a_depthwise_conv_folds_along_its_multiplier():
    inputs = keras.Input((6, 6, 4))
    y = keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, use_bias=False)(inputs)
    y = keras.layers.BatchNormalization()(y)
    model = _randomise_batchnorms(keras.Model(inputs, y))
    folded = fold.fold_batchnorm(model)
    assert isinstance(folded.layers[1], keras.layers.DepthwiseConv2D) and folded.layers[1].use_bias
    _assert_same_outputs(model, folded, (6, 6, 4))
    twin = _randomise_batchnorms(equivalence.depthwise_convs(_block_model("c", cardinality=8, bottleneck_width=1)))
    _assert_same_outputs(twin, fold.fold_batchnorm(twin), (8, 8, 16))


def test_a_batchnorm_that_does_not_follow_a_conv_alone_is_kept():
    inputs = keras.Input((6, 6, 4))
    conv = keras.layers.Conv2D(4, 3, padding="same", name="shared_conv")(inputs)
    y = keras.layers.BatchNormalization(name="after_conv")(conv)
    y = keras.layers.Add(name="add")([y, conv])  # the conv's output is read twice: its BN cannot be folded
    y = keras.layers.BatchNormalization(name="after_add")(y)
    y = keras.layers.BatchNormalization(name="after_bn")(keras.layers.Conv2D(4, 1, name="last_conv")(y))
    model = _randomise_batchnorms(keras.Model(inputs, y))
    assert set(fold.foldable_pairs(model)) == {"after_bn"}
    folded = fold.fold_batchnorm(model)
    assert isinstance(folded.get_layer("after_conv"), keras.layers.BatchNormalization)
    assert isinstance(folded.get_layer("after_bn"), fold.FoldedBatchNorm)
    _assert_same_outputs(model, folded, (6, 6, 4))


def test_bad_models_are_refused():
    with pytest.raises(ValueError, match="functional keras.Model"):
        fold.fold_batchnorm(keras.layers.Dense(2))
    inputs = keras.Input((4,))
    with pytest.raises(ValueError, match="no BatchNormalization right after a convolution"):
        fold.fold_batchnorm(keras.Model(inputs, keras.layers.Dense(2)(inputs)))
