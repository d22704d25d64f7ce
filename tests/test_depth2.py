"""Fig. 4: a block of depth 2 aggregated over C paths is the same function as one wide block."""

import keras
import numpy as np
import pytest

from resnext_edu import blocks, equivalence, introspect


def _depth2_model(in_channels, filters, c, d, form="a"):
    inputs = keras.Input((6, 6, in_channels))
    return keras.Model(inputs, blocks.depth2_block(inputs, filters, c, d, form=form, name="blk"))


@pytest.mark.parametrize("in_channels,filters", [(16, 16), (8, 16)])
def test_aggregated_depth2_equals_its_wide_twin(in_channels, filters):
    keras.utils.set_random_seed(0)
    model = _depth2_model(in_channels, filters, 4, 3)
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights(
                [rng.uniform(0.5, 1.5, n), rng.normal(0, 0.2, n), rng.normal(0, 0.2, n), rng.uniform(0.5, 1.5, n)]
            )
    wide = equivalence.depth2_to_wide(model)
    x = rng.normal(size=(2, 6, 6, in_channels)).astype("float32")
    diff = np.max(np.abs(np.asarray(model(x, training=False)) - np.asarray(wide(x, training=False))))
    assert diff < 1e-4
    assert not any(getattr(layer, "groups", 1) > 1 for layer in wide.layers)
    assert wide.get_layer("blk_conv1").filters == 12


def test_wide_twin_has_the_same_trainable_weights():
    model = _depth2_model(16, 16, 4, 3)
    assert introspect.trainable_params(model) == introspect.trainable_params(equivalence.depth2_to_wide(model))


def test_depth2_rejects_bad_input():
    inputs = keras.Input((6, 6, 8))
    with pytest.raises(ValueError, match="form must be one of"):
        blocks.depth2_block(inputs, 8, 2, 2, form="c")
    with pytest.raises(ValueError, match="cardinality"):
        blocks.depth2_block(inputs, 8, 0, 2)
    with pytest.raises(ValueError, match="no form-'a' depth2_block"):
        equivalence.depth2_to_wide(_depth2_model(8, 8, 2, 2, form="wide"))
