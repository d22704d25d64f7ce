"""``layers.BatchNormalization`` computes what Keras' layer does, in inference and in training (on every backend:
TensorFlow's fused kernel there, Keras' own computation on JAX and PyTorch)."""

import keras
import numpy as np
import pytest
from backends import BACKEND, gradients, to_numpy

from resnext_edu import grouped, layers


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


@pytest.mark.tensorflow_only("TensorFlow's fused kernel and its gradient; on JAX and PyTorch the layer is Keras' own")
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


# --- Conv2D: every exact computation of a grouped convolution ---------------------------------------------------------


def _grouped_pair(implementation, channels=32, groups=8, filters=32, strides=1):
    """The library's Conv2D with ``implementation`` and the stock layer, same random weights, built on ``channels``."""
    kwargs = dict(filters=filters, kernel_size=3, strides=strides, padding="same", groups=groups, use_bias=False)
    ours, stock = layers.Conv2D(implementation=implementation, **kwargs), keras.layers.Conv2D(**kwargs)
    for layer in (ours, stock):
        layer.build((None, 7, 7, channels))
    stock.set_weights([np.random.default_rng(3).standard_normal(stock.kernel.shape).astype("float32")])
    ours.set_weights(stock.get_weights())
    return ours, stock


def test_merged_groups_hold_at_least_the_vector_width():
    assert layers.merged_groups(128, 32) == 8  # ResNeXt-50's conv2 stage: 32 groups of 4 -> 8 of 16
    assert layers.merged_groups(256, 32) == 16 and layers.merged_groups(512, 32) == 32  # 8 -> 16; 16 stays
    assert layers.merged_groups(8, 4) == 1 and layers.merged_groups(96, 3, minimum=64) == 1  # no split fits: dense
    assert layers.merged_groups(48, 6) == 3  # 6 groups of 8 -> 3 of 16


def test_merge_kernel_is_block_diagonal():
    kernel = np.random.default_rng(0).standard_normal((3, 3, 2, 8)).astype("float32")  # 4 groups of 2 -> 2 outputs
    merged = keras.ops.convert_to_numpy(layers.merge_kernel(kernel, 4, 2))
    assert merged.shape == (3, 3, 4, 8)
    for out in range(8):
        group, merged_group = out // 2, out // 4
        for i in range(4):  # input channel i of the merged group
            own = merged_group * 2 + i // 2 == group
            np.testing.assert_array_equal(merged[:, :, i, out], kernel[:, :, i % 2, out] if own else 0)


@pytest.mark.parametrize("implementation", ["merged", "dense", "dense-gradient"])
@pytest.mark.parametrize("strides", [1, 2])
def test_block_diagonal_convolutions_equal_the_grouped_one_with_their_gradients(implementation, strides):
    if implementation == "dense-gradient" and BACKEND == "torch":
        pytest.skip("'dense-gradient' runs on TensorFlow and JAX only (and is refused on PyTorch, tested below)")
    ours, stock = _grouped_pair(implementation, strides=strides)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 7, 7, 32)).astype("float32")
    outputs = [to_numpy(layer(x)) for layer in (ours, stock)]
    np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-4)
    upstream = rng.standard_normal(outputs[0].shape).astype("float32")
    grads = [gradients(layer, x, upstream) for layer in (ours, stock)]  # wrt the input and the kernel
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-3)


def test_depthwise_computes_one_channel_per_group():
    ours, stock = _grouped_pair("depthwise", channels=16, groups=16, filters=32)
    x = np.random.default_rng(5).standard_normal((2, 7, 7, 16)).astype("float32")
    np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(stock(x)), atol=1e-4)
    wide, _ = _grouped_pair("depthwise", channels=16, groups=8, filters=16)
    with pytest.raises(ValueError, match="needs one input channel per group; it has 2"):
        wide(x)


def test_implementations_are_checked_early():
    with pytest.raises(ValueError, match="implementation must be one of"):
        layers.Conv2D(8, 3, groups=2, implementation="xla")
    with pytest.raises(ValueError, match="needs channels_last data"):
        layers.Conv2D(8, 3, groups=2, implementation="merged", data_format="channels_first")


@pytest.mark.parametrize(
    "backend, auto, refused", [("jax", "dense-gradient", "native"), ("torch", "keras", "dense-gradient")]
)
def test_auto_and_the_implementations_each_backend_allows(monkeypatch, backend, auto, refused):
    monkeypatch.setattr(keras.backend, "backend", lambda: backend)
    assert layers.resolve_implementation("auto") == auto
    assert layers.resolve_implementation("merged") == "merged"
    with pytest.raises(ValueError, match=f"implementation='{refused}' needs the .*; this is '{backend}'"):
        layers.resolve_implementation(refused)


# --- TensorFlow on a device whose grouped op is not exact (e.g. a CPU without oneDNN: no AVX-512) ---------------------


@pytest.fixture
def native_op(monkeypatch, request):
    """Whether TensorFlow's grouped op counts as exact here (grouped.native_grouped_conv_works), forced either way:
    both kinds of machine are tested on whichever this is."""
    monkeypatch.setattr(grouped, "native_grouped_conv_works", lambda device="": request.param)
    return request.param


@pytest.mark.tensorflow_only("TensorFlow's native grouped op and its fallbacks")
@pytest.mark.parametrize("native_op", [True, False], indirect=True, ids=["native-exact", "native-not-exact"])
def test_auto_takes_the_native_op_only_where_it_is_exact(native_op):
    assert layers.resolve_implementation("auto", group_width=4) == ("native" if native_op else "merged")
    assert layers.resolve_implementation("auto", group_width=1) == ("native" if native_op else "depthwise")
    usable = layers.usable_implementations()
    assert ("native" in usable) == native_op and "split" in usable and "depthwise" not in usable
    assert "depthwise" in layers.usable_implementations(group_width=1)
    if native_op:
        assert layers.Conv2D(8, 3, groups=2, implementation="native").implementation == "native"
    else:
        with pytest.raises(ValueError, match="implementation='native' needs TensorFlow's grouped convolution.*'split'"):
            layers.Conv2D(8, 3, groups=2, implementation="native")


@pytest.mark.tensorflow_only("TensorFlow's fallbacks where its grouped op is not exact")
@pytest.mark.parametrize("native_op", [False], indirect=True, ids=["native-not-exact"])
@pytest.mark.parametrize(
    ("implementation", "groups"), [("auto", 8), ("auto", 32), ("merged", 8), ("dense-gradient", 8)]
)
def test_without_the_native_op_every_implementation_computes_group_by_group(native_op, implementation, groups):
    """Also "merged" and "dense-gradient", which convolve grouped kernels: without an exact native op, per group."""
    ours, stock = _grouped_pair(implementation, groups=groups)
    x = np.random.default_rng(6).standard_normal((2, 7, 7, 32)).astype("float32")
    y = to_numpy(stock(x))
    np.testing.assert_allclose(to_numpy(ours(x)), y, atol=1e-4)
    upstream = np.random.default_rng(7).standard_normal(y.shape).astype("float32")
    for a, b in zip(gradients(ours, x, upstream), gradients(stock, x, upstream), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-3)
