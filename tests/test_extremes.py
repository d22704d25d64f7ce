"""The extremes of cardinality (chapter 9): at a fixed group width W = C·d, C = 1 is a dense 3x3, C = W a depthwise one.

``complexity.fixed_width_sweep`` must count what Keras builds, layer by layer, at every C (Xie et al. 2017 Eq. 3
blocks in form c); at C = 1 and W = out/4 it is the ResNet bottleneck of He et al. 2016; at C = W the grouped 3x3
is Keras' ``DepthwiseConv2D`` with its kernel reshaped (``equivalence.grouped_to_depthwise``), the channel-wise
convolution of Xception (Chollet 2017) and MobileNet (Howard et al. 2017), with the same outputs.
"""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from resnext_edu import blocks, complexity, equivalence, introspect, layers, plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _block(c, d, channels=256, size=8, name="block"):
    inputs = keras.Input((size, size, channels))
    return keras.Model(inputs, blocks.resnext_block(inputs, channels, c, d, name=name))


def _randomise_batchnorm(model, seed=0):
    """Non-trivial BN statistics, so that a wrong channel order would show in the outputs."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in layer.get_weights()])


# --- complexity.fixed_width_sweep --------------------------------------------------------------------------------


def test_sweep_defaults_to_powers_of_two_up_to_the_width():
    rows = complexity.fixed_width_sweep()
    assert [r["cardinality"] for r in rows] == [1, 2, 4, 8, 16, 32, 64, 128]
    assert [r["bottleneck_width"] for r in rows] == [128, 64, 32, 16, 8, 4, 2, 1]
    assert [r["kind"] for r in rows] == ["dense"] + ["grouped"] * 6 + ["depthwise"]
    assert {r["group_width"] for r in rows} == {128}
    assert [r["cardinality"] for r in complexity.fixed_width_sweep(96)] == [1, 2, 4, 8, 16, 32, 96]
    assert [r["kind"] for r in complexity.fixed_width_sweep(1)] == ["dense"]


def test_sweep_counts_each_layer_and_agrees_with_block_params():
    for r in complexity.fixed_width_sweep(128, 256, 256, size=56):
        c, d = r["cardinality"], r["bottleneck_width"]
        assert r["params"] == {"conv1": 256 * 128, "conv2": 9 * 128 * 128 // c, "conv3": 128 * 256}
        assert r["macs"] == {k: v * 56 * 56 for k, v in r["params"].items()}
        assert r["total_params"] == complexity.block_params(256, 256, c, d)
        assert r["total_macs"] == complexity.block_macs(256, 256, c, d, 56)
    row = complexity.fixed_width_sweep(128, 64, 512, [32], size=7)[0]  # in != out
    assert row["params"] == {"conv1": 64 * 128, "conv2": 9 * 4 * 128, "conv3": 128 * 512}
    assert row["total_macs"] == complexity.block_macs(64, 512, 32, 4, 7)
    assert complexity.fixed_width_sweep(128)[5]["total_params"] == 70_144  # ResNeXt-50's 32x4d (Table 2)


def test_the_3x3_share_vanishes_and_the_1x1s_bound_the_cost():
    rows = complexity.fixed_width_sweep()
    shares = [r["params"]["conv2"] / r["total_params"] for r in rows]
    assert shares == sorted(shares, reverse=True) and shares[0] > 0.6 and shares[-1] < 0.02
    assert all(r["total_params"] > 2 * 256 * 128 for r in rows)  # the two 1x1s never shrink


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(cardinalities=[3]), r"cardinality 3 does not divide the group width 128.*1, 2, 4, 8, 16, 32, 64, 128\."),
        (dict(group_width=96, cardinalities=[64]), "does not divide the group width 96"),
        (dict(cardinalities=[256]), "does not divide"),
        (dict(cardinalities=[0]), "cardinality must be a whole number >= 1"),
        (dict(cardinalities=[2.0]), "cardinality must be a whole number"),
        (dict(cardinalities=[]), "must not be empty"),
        (dict(cardinalities="12"), "sequence of whole numbers"),
        (dict(cardinalities=4), "sequence of whole numbers"),
        (dict(group_width=0), "group_width must be a whole number >= 1"),
        (dict(in_channels=-1), "in_channels"),
        (dict(size=0), "size"),
    ],
)
def test_sweep_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        complexity.fixed_width_sweep(**kwargs)


def test_divides_group_width_returns_d_and_shortens_long_lists():
    assert complexity.divides_group_width(128, 32) == 4 and complexity.divides_group_width(7, 7) == 1
    with pytest.raises(ValueError, match=r"1, 2, 3, 4, 5, 6, \.\.\., 240, 360, 720\.$"):
        complexity.divides_group_width(720, 7)


# --- the counts are what Keras builds ----------------------------------------------------------------------------


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
    assert row["total_params"] == 69_632  # GUIDE §1.1: the conv2-stage bottleneck


# --- C = W is a depthwise convolution -----------------------------------------------------------------------------


@pytest.mark.parametrize("implementation", ["native", "split", "keras"])
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


# --- the figure ---------------------------------------------------------------------------------------------------


def test_fixed_width_costs_stacks_the_layers_of_the_sweep():
    fig = plots.fixed_width_costs()
    ax = fig.axes[0]
    rows = complexity.fixed_width_sweep()
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 3 * len(rows)
    heights = [round(b.get_height()) for b in bars]
    n = len(rows)
    assert heights[:n] == [r["params"]["conv1"] for r in rows]
    assert heights[n : 2 * n] == [r["params"]["conv3"] for r in rows]
    assert heights[2 * n :] == [r["params"]["conv2"] for r in rows]
    tops = [round(b.get_y() + b.get_height()) for b in bars[2 * n :]]
    assert tops == [r["total_params"] for r in rows]
    labels = [t.get_text() for t in ax.texts]
    assert labels[0] == "dense\n1×128d\n3x3: 69%" and labels[-1] == "depthwise\n128×1d\n3x3: 2%"
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(r["cardinality"]) for r in rows]
    reference = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert list(reference[0].get_ydata()) == [69_632, 69_632]
    with pytest.raises(ValueError, match="does not divide"):
        plots.fixed_width_costs(cardinalities=[1, 3])
