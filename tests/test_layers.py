"""``layers.BatchNormalization`` computes what Keras' layer does (outputs, gradients, moving statistics)."""

import keras
import numpy as np
import pytest

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
    np.testing.assert_allclose(ours(x, training=False), stock(x, training=False), atol=1e-5)


def test_training_equals_keras_batchnorm_and_updates_the_same_statistics():
    ours, stock, x = _pair()
    np.testing.assert_allclose(ours(x, training=True), stock(x, training=True), atol=1e-5)
    for a, b in zip(ours.get_weights(), stock.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_training_gradients_equal_keras_batchnorm():
    import tensorflow as tf

    ours, stock, x = _pair()
    dy = np.random.default_rng(1).standard_normal(x.shape).astype("float32")
    grads = []
    for layer in (ours, stock):
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            loss = tf.reduce_sum(layer(xt, training=True) * dy)
        grads.append(tape.gradient(loss, [xt, layer.gamma.value, layer.beta.value]))
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_a_frozen_layer_normalises_with_its_moving_statistics_even_in_training():
    ours, stock, x = _pair()
    ours.trainable = stock.trainable = False
    before = ours.get_weights()
    np.testing.assert_allclose(ours(x, training=True), stock(x, training=True), atol=1e-5)
    for a, b in zip(ours.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_training_steps_of_a_model_match_the_stock_layer():
    """A few SGD steps through ``train_on_batch`` (a compiled graph): same losses, same moving statistics."""

    def model(bn_class):
        keras.utils.set_random_seed(0)
        inputs = keras.Input((6, 6, 3))
        y = keras.layers.Conv2D(8, 3, name="conv")(inputs)
        y = keras.layers.GlobalAveragePooling2D()(bn_class(name="bn")(y))
        m = keras.Model(inputs, keras.layers.Dense(2)(y))
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        return m

    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((8, 6, 6, 3)).astype("float32"), rng.standard_normal((8, 2)).astype("float32")
    ours, stock = model(layers.BatchNormalization), model(keras.layers.BatchNormalization)
    for _ in range(3):
        np.testing.assert_allclose(ours.train_on_batch(x, y), stock.train_on_batch(x, y), rtol=1e-4)
    for a, b in zip(ours.get_layer("bn").get_weights(), stock.get_layer("bn").get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


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
