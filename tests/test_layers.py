"""``layers.BatchNormalization`` computes what Keras' layer does, in inference and in training (on every backend:
TensorFlow's fused kernel there, Keras' own computation on JAX and PyTorch)."""

import keras
import numpy as np
import pytest
from backends import to_numpy

from resnext_edu import layers


def _pair(channels=6):
    """The library's and Keras' BatchNormalization with the same random non-trivial statistics."""
    rng = np.random.default_rng(0)
    ours = layers.BatchNormalization(epsilon=1e-5, momentum=0.9)
    stock = keras.layers.BatchNormalization(epsilon=1e-5, momentum=0.9)
    stats = [
        rng.uniform(0.5, 1.5, channels),
        rng.normal(0, 0.3, channels),
        rng.normal(0, 0.3, channels),
        rng.uniform(0.5, 1.5, channels),
    ]
    for layer in (ours, stock):
        layer.build((None, 5, 5, channels))
        layer.set_weights([s.astype("float32") for s in stats])
    x = rng.normal(1.0, 2.0, (4, 5, 5, channels)).astype("float32")
    return ours, stock, x


def test_inference_equals_keras_batchnorm():
    ours, stock, x = _pair()
    np.testing.assert_allclose(to_numpy(ours(x, training=False)), to_numpy(stock(x, training=False)), atol=1e-5)


def test_training_equals_keras_batchnorm_and_updates_the_same_statistics():
    ours, stock, x = _pair()
    np.testing.assert_allclose(to_numpy(ours(x, training=True)), to_numpy(stock(x, training=True)), atol=1e-5)
    for a, b in zip(ours.get_weights(), stock.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_non_4d_input_falls_back_to_keras():
    layer = layers.BatchNormalization()
    x = np.ones((3, 7), "float32")
    assert layer(x, training=False).shape == (3, 7)


@pytest.mark.parametrize("direction", ["ours_to_stock", "stock_to_ours"])
def test_weight_files_interchange_with_the_stock_layer(tmp_path, direction):
    def model(bn_class):
        inputs = keras.Input((4, 4, 3))
        y = keras.layers.Conv2D(6, 3, name="conv")(inputs)
        return keras.Model(inputs, bn_class(name="bn")(y))

    src, dst = (model(layers.BatchNormalization), model(keras.layers.BatchNormalization))
    if direction == "stock_to_ours":
        src, dst = dst, src
    src.get_layer("bn").set_weights([np.full(6, v, "float32") for v in (2.0, 0.5, 0.1, 3.0)])
    src.save_weights(tmp_path / "w.weights.h5")
    dst.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(src.get_weights(), dst.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
