"""Forms (a), (b), (c) compute one function; ``layers.Conv2D`` computes what Keras' grouped Conv2D does.

The paper's Fig. 3 (Xie et al. 2017, arXiv 1611.05431, Sec. 3.3): aggregated paths (a),
early concatenation (b) and grouped convolution (c) are equivalent, so weights carried by
``equivalence.convert`` between any two forms give the same outputs to float32 precision. Checked
with random, non-trivial BatchNorm statistics in inference mode, for identity, projection and
strided blocks and a small whole network. Also: ``convert``'s errors, and ``layers.Conv2D``
(each implementation) against ``keras.layers.Conv2D(groups=...)``: outputs, gradients, weight
files and ``.keras`` round trips (README, "Performance", on why the layer exists). On every Keras
backend; TensorFlow's own implementations ("native", "split") on TensorFlow only.
"""

import itertools

import keras
import numpy as np
import pytest
from backends import BACKEND, gradients, to_numpy

from resnext_edu import blocks, complexity, equivalence, introspect, layers, models

FORMS = ("a", "b", "c")
TOLERANCE = 1e-4


def randomize_batch_norm(model, seed=0):
    """Give every BatchNormalization layer random gamma, beta, moving mean and variance."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 1.5, n).astype("float32"))
            layer.beta.assign(rng.normal(0, 0.1, n).astype("float32"))
            layer.moving_mean.assign(rng.normal(0, 0.1, n).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, n).astype("float32"))
    return model


def block_model(form, in_channels, filters, cardinality, width, strides, side=8):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((side, side, in_channels))
    y = blocks.resnext_block(inputs, filters, cardinality, width, strides, form=form, name="block")
    return randomize_batch_norm(keras.Model(inputs, y), seed=1)


def max_difference(model_1, model_2, x):
    return float(np.max(np.abs(to_numpy(model_1(x, training=False)) - to_numpy(model_2(x, training=False)))))


def assert_same_function(model_1, model_2, x):
    """max |y1 - y2| < 1e-4 for outputs of order 1; float32 rounding grows with the outputs' size."""
    scale = max(1.0, float(np.max(np.abs(to_numpy(model_1(x, training=False))))))
    assert max_difference(model_1, model_2, x) < TOLERANCE * scale


def sample(shape, seed=2):
    return np.random.default_rng(seed).standard_normal((2, *shape)).astype("float32")


def forms_of(model):
    return [spec.form for spec in equivalence.find_blocks(model)]


def weights_by_layer(model):
    return {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in model.layers if layer.weights}


# Single blocks: (in channels, filters, C, d, strides).
BLOCKS = {
    "identity": (64, 64, 4, 4, 1),
    "projection": (32, 64, 4, 2, 2),
    "strided_same_channels": (64, 64, 4, 4, 2),
}


@pytest.fixture(scope="module", params=list(BLOCKS))
def block_sources(request):
    """(input shape, {form: model}) for one block configuration, random weights in every form."""
    in_channels, *config = BLOCKS[request.param]
    sources = {form: block_model(form, in_channels, *config) for form in FORMS}
    return (8, 8, in_channels), sources


@pytest.fixture(scope="module")
def network_sources():
    """A small CIFAR ResNeXt-29 (C=3, d=2) in every form, random weights and BN statistics."""
    sources = {}
    for form in FORMS:
        keras.utils.set_random_seed(0)
        model = models.resnext29(3, 2, num_classes=5, input_shape=(8, 8, 3), form=form)
        sources[form] = randomize_batch_norm(model, seed=1)
    return (8, 8, 3), sources


DIRECTIONS = list(itertools.permutations(FORMS, 2))


@pytest.mark.parametrize(("source", "target"), DIRECTIONS, ids=[f"{a}->{b}" for a, b in DIRECTIONS])
def test_block_forms_equal_after_convert(block_sources, source, target):
    shape, sources = block_sources
    converted = equivalence.convert(sources[source], target)
    assert forms_of(converted) == [target]
    assert_same_function(sources[source], converted, sample(shape))


@pytest.mark.slow
@pytest.mark.parametrize(("source", "target"), DIRECTIONS, ids=[f"{a}->{b}" for a, b in DIRECTIONS])
def test_network_forms_equal_after_convert(network_sources, source, target):
    shape, sources = network_sources
    converted = equivalence.convert(sources[source], target)
    assert forms_of(converted) == [target] * 9
    assert_same_function(sources[source], converted, sample(shape))


def test_block_sources_are_not_trivial(block_sources):
    """Differently initialised forms differ: the equalities above are not vacuous."""
    shape, sources = block_sources
    x = sample(shape)
    assert max_difference(sources["a"], sources["c"], x) > 1e-2
    assert float(np.std(to_numpy(sources["c"](x, training=False)))) > 1e-2


def test_converted_form_a_has_per_path_layers(block_sources):
    _, sources = block_sources
    converted = equivalence.convert(sources["c"], "a")
    names = {layer.name for layer in converted.layers}
    assert {"block_path4_conv3", "block_sum"} <= names
    assert not any(getattr(layer, "groups", 1) > 1 for layer in converted.layers)


@pytest.mark.parametrize("via", ["a", "b"])
def test_round_trip_gives_identical_weights(block_sources, via):
    _, sources = block_sources
    back = equivalence.convert(equivalence.convert(sources["c"], via), "c")
    before, after = weights_by_layer(sources["c"]), weights_by_layer(back)
    assert before.keys() == after.keys()
    for name, arrays in before.items():
        assert len(arrays) == len(after[name]), name
        for old, new in zip(arrays, after[name], strict=True):
            np.testing.assert_array_equal(old, new, err_msg=name)


@pytest.mark.slow
def test_network_round_trip_c_a_c_gives_identical_weights(network_sources):
    _, sources = network_sources
    back = equivalence.convert(equivalence.convert(sources["c"], "a"), "c")
    before, after = weights_by_layer(sources["c"]), weights_by_layer(back)
    assert before.keys() == after.keys()
    for name, arrays in before.items():
        for old, new in zip(arrays, after[name], strict=True):
            np.testing.assert_array_equal(old, new, err_msg=name)


@pytest.mark.slow
def test_convert_auto_gives_form_c(network_sources):
    shape, sources = network_sources
    converted = equivalence.convert(sources["a"], "auto")
    assert forms_of(converted) == ["c"] * 9
    grouped = [layer for layer in converted.layers if getattr(layer, "groups", 1) > 1]
    assert len(grouped) == 9 and all(layer.groups == 3 for layer in grouped)
    assert_same_function(sources["a"], converted, sample(shape))


@pytest.mark.slow
@pytest.mark.parametrize("target", FORMS)
def test_convert_keeps_non_block_weights(network_sources, target):
    _, sources = network_sources
    source = sources["b"]
    converted = equivalence.convert(source, target)
    for name in ("conv1_conv", "conv1_bn", "fc"):
        for old, new in zip(source.get_layer(name).get_weights(), converted.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(old, new, err_msg=name)


@pytest.mark.parametrize("form", FORMS)
def test_convert_keeps_symmetric_padding(form):
    """A strided block with PyTorch's padding (``padding="symmetric"``) stays so in every form, on an even input."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 32))
    y = blocks.resnext_block(inputs, 64, 4, 2, 2, form="c", name="block", padding="symmetric")
    source = randomize_batch_norm(keras.Model(inputs, y), seed=1)
    converted = equivalence.convert(source, form)
    assert [(spec.form, spec.padding) for spec in equivalence.find_blocks(converted)] == [(form, "symmetric")]
    assert_same_function(source, converted, sample((8, 8, 32)))


def test_convert_keeps_layer_names():
    """Every layer of a block model, its input layer (named by Keras, not by the user) included, keeps its name."""
    model = block_model("c", 16, 16, 2, 2, 1)
    converted = equivalence.convert(model, "c")
    assert [layer.name for layer in converted.layers] == [layer.name for layer in model.layers]


@pytest.mark.slow
def test_convert_keeps_model_name_and_shapes(network_sources):
    _, sources = network_sources
    converted = equivalence.convert(sources["c"], "a")
    assert converted.name == sources["c"].name
    assert converted.input_shape == sources["c"].input_shape
    assert converted.output_shape == sources["c"].output_shape


def test_convert_bottleneck_block():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 16))
    model = randomize_batch_norm(keras.Model(inputs, blocks.bottleneck_block(inputs, 32, 2, name="res")))
    converted = equivalence.convert(model, "a")
    assert forms_of(converted) == ["a"]
    assert_same_function(model, converted, sample((8, 8, 16)))


# --- convert's errors ---------------------------------------------------------------------------


def test_convert_rejects_sequential_without_blocks():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="no resnext_edu block"):
        equivalence.convert(model, "a")


def test_convert_rejects_plain_conv_model():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, name="conv1")(inputs)
    x = keras.layers.Conv2D(4, 3, name="conv2", groups=2)(x)
    with pytest.raises(ValueError, match="no resnext_edu block"):
        equivalence.convert(keras.Model(inputs, x), "c")


@pytest.mark.slow
def test_convert_rejects_keras_applications_resnet50():
    model = keras.applications.ResNet50(weights=None)
    with pytest.raises(ValueError, match="resnext_edu"):
        equivalence.convert(model, "a")


@pytest.mark.parametrize("not_a_model", ["resnext50", None, 3, keras.layers.Dense(3)])
def test_convert_rejects_non_models(not_a_model):
    with pytest.raises(ValueError, match="keras.Model"):
        equivalence.convert(not_a_model, "c")


@pytest.mark.parametrize("form", ["d", "C", None, 3])
def test_convert_rejects_unknown_form(block_sources, form):
    _, sources = block_sources
    with pytest.raises(ValueError, match="form must be one of"):
        equivalence.convert(sources["c"], form)


# --- layers.Conv2D -------------------------------------------------------------------------------


def implementation_param(name):
    """``name`` as a parameter: TensorFlow's own implementations are tested on TensorFlow only."""
    if name in ("auto", "keras"):
        return pytest.param(name)
    marks = [pytest.mark.tensorflow_only(f"layers.Conv2D's {name!r} implementation runs TensorFlow's conv ops")]
    if name == "native" and BACKEND == "tensorflow":
        rejected = not layers.native_grouped_conv_works()
        marks.append(pytest.mark.skipif(rejected, reason="TensorFlow's conv ops reject grouped kernels on this device"))
    return pytest.param(name, marks=marks)


IMPLEMENTATIONS = [implementation_param(name) for name in ("native", "split", "keras")]
#: The library's layer computed otherwise than Keras' own op: TensorFlow's "split", or the backend's "auto".
OWN_IMPLEMENTATIONS = [implementation_param(name) for name in ("split", "auto")]


def conv_pair(implementation, strides, groups=4, filters=8, padding="same", use_bias=True):
    """A library Conv2D and a stock Conv2D with the same (random) weights, both built on 8 channels."""
    keras.utils.set_random_seed(0)
    kwargs = dict(filters=filters, kernel_size=3, strides=strides, padding=padding, groups=groups, use_bias=use_bias)
    ours = layers.Conv2D(implementation=implementation, **kwargs)
    stock = keras.layers.Conv2D(**kwargs)
    ours.build((None, 9, 9, 8))
    stock.build((None, 9, 9, 8))
    rng = np.random.default_rng(3)
    stock.set_weights([rng.standard_normal(w.shape).astype("float32") for w in stock.get_weights()])
    ours.set_weights(stock.get_weights())
    return ours, stock


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("strides", [1, 2])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_group_conv_outputs_equal_stock_conv(implementation, strides, padding):
    ours, stock = conv_pair(implementation, strides, padding=padding)
    x = sample((9, 9, 8))
    y_ours, y_stock = to_numpy(ours(x)), to_numpy(stock(x))
    assert y_ours.shape == y_stock.shape
    assert float(np.max(np.abs(y_ours - y_stock))) < TOLERANCE


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("strides", [1, 2])
def test_group_conv_gradients_equal_stock_conv(implementation, strides):
    ours, stock = conv_pair(implementation, strides, use_bias=False)
    x = sample((9, 9, 8))
    upstream = np.random.default_rng(4).standard_normal(stock(x).shape).astype("float32")
    grads = [gradients(layer, x, upstream) for layer in (ours, stock)]
    assert float(np.max(np.abs(grads[1][1]))) > 0.1  # the gradients compared are not vacuous
    for g_ours, g_stock in zip(*grads, strict=True):
        assert g_ours.shape == g_stock.shape
        assert float(np.max(np.abs(g_ours - g_stock))) < TOLERANCE


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_group_conv_kernel_has_stock_layout(implementation):
    ours, stock = conv_pair(implementation, 1)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in stock.weights] == [(3, 3, 2, 8), (8,)]


def test_group_conv_rejects_unknown_implementation():
    with pytest.raises(ValueError, match="implementation must be one of"):
        layers.Conv2D(8, 3, groups=2, implementation="xla")


def test_tensorflows_implementations_are_refused_on_other_backends():
    """``auto`` picks TensorFlow's native op on TensorFlow, the backend's own elsewhere; asking for TensorFlow's is an
    error before anything is built on JAX or PyTorch."""
    if BACKEND == "tensorflow":
        assert layers.resolve_implementation("auto") in ("native", "merged")
        assert layers.Conv2D(8, 3, groups=2, implementation="split").implementation == "split"
        return
    assert layers.resolve_implementation("auto") not in ("native", "split")
    for name in ("native", "split"):
        refused = f"implementation='{name}' needs the tensorflow backend; this is '{BACKEND}'"
        with pytest.raises(ValueError, match=refused):
            layers.Conv2D(8, 3, groups=2, implementation=name)


def _one_conv_model(conv_class, **kwargs):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((9, 9, 8), name="x")
    y = conv_class(8, 3, groups=4, padding="same", name="grouped", **kwargs)(inputs)
    return keras.Model(inputs, y, name="one_conv")


@pytest.mark.parametrize("implementation", OWN_IMPLEMENTATIONS)
def test_group_conv_weights_load_into_stock_conv(tmp_path, implementation):
    ours = _one_conv_model(layers.Conv2D, implementation=implementation)
    stock = _one_conv_model(keras.layers.Conv2D, kernel_initializer="zeros")
    ours.save_weights(tmp_path / "w.weights.h5")
    stock.load_weights(tmp_path / "w.weights.h5")
    x = sample((9, 9, 8))
    assert max_difference(ours, stock, x) < TOLERANCE


@pytest.mark.parametrize("implementation", OWN_IMPLEMENTATIONS)
def test_stock_conv_weights_load_into_group_conv(tmp_path, implementation):
    stock = _one_conv_model(keras.layers.Conv2D)
    ours = _one_conv_model(layers.Conv2D, implementation=implementation, kernel_initializer="zeros")
    stock.save_weights(tmp_path / "w.weights.h5")
    ours.load_weights(tmp_path / "w.weights.h5")
    x = sample((9, 9, 8))
    assert max_difference(ours, stock, x) < TOLERANCE


@pytest.mark.parametrize("implementation", OWN_IMPLEMENTATIONS)
def test_group_conv_model_keras_file_round_trip(tmp_path, implementation):
    model = _one_conv_model(layers.Conv2D, implementation=implementation)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    layer = loaded.get_layer("grouped")
    assert isinstance(layer, layers.Conv2D)
    assert (layer.groups, layer.implementation) == (4, implementation)
    assert max_difference(model, loaded, sample((9, 9, 8))) < 1e-6


def test_resnext_block_keras_file_round_trip(tmp_path):
    model = block_model("c", 64, 64, 4, 4, 1)
    path = tmp_path / "block.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert forms_of(loaded) == ["c"]
    assert max_difference(model, loaded, sample((8, 8, 64))) < 1e-6


# --- Fig. 4: a depth-2 block aggregated over C paths is one wide block -----------------------------------------


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
    diff = np.max(np.abs(to_numpy(model(x, training=False)) - to_numpy(wide(x, training=False))))
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


def _block(c, d, channels=256, size=8, name="block"):
    inputs = keras.Input((size, size, channels))
    return keras.Model(inputs, blocks.resnext_block(inputs, channels, c, d, name=name))


def _randomise_batchnorm(model, seed=0):
    """Non-trivial BN statistics, so that a wrong channel order would show in the outputs."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in layer.get_weights()])


# --- the extremes of cardinality: fixed_width_sweep counts what Keras builds -----------------------------------


@pytest.mark.parametrize("cardinality", [1, 8, 128])
def test_sweep_counts_the_layers_keras_builds(cardinality):
    row = complexity.fixed_width_sweep(128, cardinalities=[cardinality], size=8)[0]
    model = _block(cardinality, row["bottleneck_width"])
    for conv in complexity.BLOCK_CONVS:
        layer = model.get_layer(f"block_{conv}")
        assert int(np.prod(layer.kernel.shape)) == row["params"][conv]
        assert introspect.conv_macs(layer) == row["macs"][conv]
    assert model.get_layer("block_conv2").groups == cardinality
    assert introspect.count_macs(model) == row["total_macs"]


def test_c1_at_a_quarter_of_the_output_is_the_resnet_bottleneck():
    row = complexity.fixed_width_sweep(64, cardinalities=[1], size=8)[0]
    inputs = keras.Input((8, 8, 256))
    resnet = keras.Model(inputs, blocks.bottleneck_block(inputs, 256, name="block"))
    ours = _block(1, 64)
    assert introspect.trainable_params(resnet) == introspect.trainable_params(ours)
    assert introspect.count_macs(resnet) == row["total_macs"] == complexity.block_macs(256, 256, 1, 64, 8)
    assert row["total_params"] == 69_632  # Table 2: the conv2-stage bottleneck


# --- C = W is a depthwise convolution -----------------------------------------------------------------------------


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    "config",
    [
        dict(filters=16, kernel_size=3, padding="same"),
        dict(filters=32, kernel_size=3, padding="valid", strides=2, use_bias=True),  # depth multiplier 2
        dict(filters=16, kernel_size=3, padding="same", dilation_rate=2, use_bias=True, activation="relu"),
    ],
)
def test_grouped_to_depthwise_gives_the_same_outputs(implementation, config):
    conv = layers.Conv2D(groups=16, implementation=implementation, **config)
    x = np.random.default_rng(0).standard_normal((2, 9, 9, 16)).astype("float32")
    expected = keras.ops.convert_to_numpy(conv(x))
    if conv.use_bias:
        conv.bias.assign(np.random.default_rng(1).standard_normal(conv.bias.shape).astype("float32"))
        expected = keras.ops.convert_to_numpy(conv(x))
    assert equivalence.is_depthwise(conv)
    depthwise = equivalence.grouped_to_depthwise(conv)
    assert isinstance(depthwise, keras.layers.DepthwiseConv2D) and depthwise.name == conv.name
    assert tuple(depthwise.kernel.shape) == (3, 3, 16, config["filters"] // 16)
    assert depthwise.count_params() == conv.count_params()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(depthwise(x)), expected, atol=1e-5)


def test_grouped_to_depthwise_rejects_what_is_not_depthwise():
    grouped = layers.Conv2D(16, 3, groups=4)
    grouped.build((None, 8, 8, 16))
    assert not equivalence.is_depthwise(grouped)
    with pytest.raises(ValueError, match="groups=4 for 16 input channels"):
        equivalence.grouped_to_depthwise(grouped)
    with pytest.raises(ValueError, match="built"):
        equivalence.grouped_to_depthwise(layers.Conv2D(16, 3, groups=16))
    dense = keras.layers.Dense(4)
    dense.build((None, 4))
    assert not equivalence.is_depthwise(dense)
    with pytest.raises(ValueError, match="needs a keras.layers.Conv2D"):
        equivalence.grouped_to_depthwise(dense)
    one_channel = keras.layers.Conv2D(4, 3)  # one input channel, but no groups: a plain conv
    one_channel.build((None, 8, 8, 1))
    assert not equivalence.is_depthwise(one_channel)


def test_the_c_equals_w_block_is_a_depthwise_separable_bottleneck():
    model = _block(128, 1)
    _randomise_batchnorm(model)
    twin = equivalence.depthwise_convs(model)
    kinds = {layer.name: type(layer).__name__ for layer in twin.layers}
    assert kinds["block_conv2"] == "DepthwiseConv2D" and kinds["block_conv1"] == kinds["block_conv3"] == "Conv2D"
    assert sum(isinstance(layer, keras.layers.DepthwiseConv2D) for layer in twin.layers) == 1
    row = complexity.fixed_width_sweep(128, cardinalities=[128], size=8)[0]
    assert introspect.count_macs(twin) == introspect.count_macs(model) == row["total_macs"]
    assert introspect.trainable_params(twin) == introspect.trainable_params(model)
    x = np.random.default_rng(1).standard_normal((2, 8, 8, 256)).astype("float32")
    np.testing.assert_allclose(twin.predict_on_batch(x), model.predict_on_batch(x), atol=1e-4)


def test_depthwise_convs_needs_a_depthwise_conv():
    with pytest.raises(ValueError, match="no grouped Conv2D with one input channel per group"):
        equivalence.depthwise_convs(_block(32, 4))
    with pytest.raises(ValueError, match="functional keras.Model"):
        equivalence.depthwise_convs(keras.layers.Dense(2))
