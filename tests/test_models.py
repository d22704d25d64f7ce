"""Keras models of ``resnext_edu.models`` against the exact counts and the paper's Table 1.

Checks that what Keras builds has the trainable parameters of the README's reference counts and the multiply-adds
that ``resnext_edu.complexity`` computes (analytic == Keras over a sweep of depth, C, d, classes),
and that the built ResNeXt-50 (32x4d) has the structure of Table 1 of Xie et al. 2017
(arXiv 1611.05431): stage sizes, grouped 3x3 with the stride, no conv biases, BN after every conv,
projection shortcuts only in each stage's first block (torchvision's design, README "Reference counts").
"""

import math
import re

import keras
import numpy as np
import pytest
from backends import to_numpy

from resnext_edu import complexity, introspect, models

# README, "Reference counts": builder -> ((depth, C, d), trainable params).
PRESETS = {
    "resnet50": ((50, 1, 64), 25_557_032),
    "resnext50_32x4d": ((50, 32, 4), 25_028_904),
    "resnet101": ((101, 1, 64), 44_549_160),
    "resnext101_32x4d": ((101, 32, 4), 44_177_704),
    "resnext101_32x8d": ((101, 32, 8), 88_791_336),
}


@pytest.fixture(scope="module")
def resnext50():
    """ResNeXt-50 (32x4d) at 224x224x3, 1000 classes, built once for this module."""
    return models.resnext50_32x4d()


@pytest.fixture(scope="module", params=list(PRESETS))
def preset(request):
    """(name, model) for each preset of the reference counts, built once each at 224x224x3."""
    name = request.param
    if name == "resnext50_32x4d":
        return name, request.getfixturevalue("resnext50")
    return name, getattr(models, name)()


# --- the reference counts (README) --------------------------------------------------------------------------


@pytest.mark.slow
def test_preset_trainable_params_match_the_reference_counts(preset):
    name, model = preset
    assert introspect.trainable_params(model) == PRESETS[name][1]


@pytest.mark.slow
def test_preset_macs_match_complexity(preset):
    name, model = preset
    assert introspect.count_macs(model) == complexity.model_macs(*PRESETS[name][0])


@pytest.mark.slow
def test_preset_is_what_models_resnext_builds(preset):
    name, model = preset
    assert model.name == name
    assert model.output_shape == (None, 1000)


def test_resnext50_count_params_includes_bn_moving_statistics(resnext50):
    assert resnext50.count_params() == 25_097_128
    bn_channels = sum(
        layer.gamma.shape[0] for layer in resnext50.layers if isinstance(layer, keras.layers.BatchNormalization)
    )
    assert resnext50.count_params() - introspect.trainable_params(resnext50) == 2 * bn_channels


def test_resnext50_forward_pass_on_a_batch_of_two(resnext50):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((2, 224, 224, 3)).astype("float32")
    y = to_numpy(resnext50(x, training=False))
    assert y.shape == (2, 1000)
    assert np.all(np.isfinite(y))
    assert not np.allclose(y[0], y[1])


# --- analytic == Keras over a sweep -------------------------------------------------------------

SWEEP = [(50, 1, 64, 10), (50, 2, 40, 7), (50, 8, 14, 1000), (101, 4, 24, 3), (152, 1, 64, 5), (50, 3, 5, 2)]


@pytest.mark.slow
@pytest.mark.parametrize(("depth", "c", "d", "num_classes"), SWEEP)
def test_keras_params_equal_analytic(depth, c, d, num_classes):
    model = models.resnext(depth, c, d, num_classes, input_shape=(64, 64, 3))
    assert introspect.trainable_params(model) == complexity.model_params(depth, c, d, num_classes)
    assert model.output_shape == (None, num_classes)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("depth", "c", "d", "num_classes", "input_shape"),
    [(50, 2, 40, 7, (224, 224, 3)), (50, 3, 5, 2, (224, 224, 3)), (50, 3, 5, 2, (100, 75, 3))],
)
def test_keras_macs_equal_analytic(depth, c, d, num_classes, input_shape):
    """At 224, and at sides that are no multiple of 32 ("same" padding rounds each stride up)."""
    model = models.resnext(depth, c, d, num_classes, input_shape=input_shape)
    assert introspect.count_macs(model) == complexity.model_macs(depth, c, d, num_classes, input_shape[:2])
    assert introspect.trainable_params(model) == complexity.model_params(depth, c, d, num_classes)


def test_stem_follows_input_channels():
    """The stem's input channels follow input_shape; the analytic count assumes 3, so compare by hand."""
    model = models.resnext(50, 2, 4, 5, input_shape=(64, 64, 1))
    assert introspect.trainable_params(model) == complexity.model_params(50, 2, 4, 5) - 7 * 7 * 2 * 64


@pytest.mark.parametrize(("c", "d", "num_classes", "side"), [(2, 4, 10, 32), (3, 2, 100, 36)])
def test_resnext29_keras_equals_analytic(c, d, num_classes, side):
    model = models.resnext29(c, d, num_classes, input_shape=(side, side, 3))
    assert introspect.trainable_params(model) == complexity.resnext29_params(c, d, num_classes)
    assert introspect.count_macs(model) == complexity.resnext29_macs(c, d, num_classes, side)


def test_resnext29_8x64d_params_exact():
    model = models.resnext29(8, 64)
    assert introspect.trainable_params(model) == complexity.resnext29_params(8, 64) == 34_426_698
    assert model.output_shape == (None, 10)


def test_small_model_forward_pass():
    keras.utils.set_random_seed(0)
    model = models.resnext29(2, 2, num_classes=3, input_shape=(8, 8, 3))
    y = model(np.random.default_rng(0).standard_normal((2, 8, 8, 3)).astype("float32"), training=False)
    assert tuple(y.shape) == (2, 3)


# --- padding="symmetric": strided layers pad as PyTorch does (resnext_edu.port builds it) ---------------------


def _same_and_symmetric():
    keras.utils.set_random_seed(0)
    same = models.resnext(50, 2, 2, num_classes=5, input_shape=(None, None, 3))
    symmetric = models.resnext(50, 2, 2, num_classes=5, input_shape=(None, None, 3), padding="symmetric")
    for layer in same.layers:
        if layer.weights:
            symmetric.get_layer(layer.name).set_weights(layer.get_weights())
    return same, symmetric


def test_symmetric_padding_differs_from_same_only_on_even_sides():
    """On odd sides Keras' "same" pads (k - 1) / 2 on each side too; on even ones it pads 0 before and 1 after, so the
    two networks compute different functions. Side 65 stays odd at every stride-2 layer (65, 33, 17, 9, 5)."""
    same, symmetric = _same_and_symmetric()
    pads = sorted(layer.name for layer in symmetric.layers if isinstance(layer, keras.layers.ZeroPadding2D))
    assert pads == ["conv1_pad", "conv3_block1_pad2", "conv4_block1_pad2", "conv5_block1_pad2", "pool1_pad"]
    assert not any(isinstance(layer, keras.layers.ZeroPadding2D) for layer in same.layers)
    rng = np.random.default_rng(0)
    for side, equal in ((65, True), (64, False)):
        x = rng.standard_normal((1, side, side, 3)).astype("float32")
        a, b = (keras.ops.convert_to_numpy(m(x, training=False)) for m in (same, symmetric))
        assert np.allclose(a, b, rtol=1e-5, atol=1e-5) == equal
        assert symmetric.compute_output_shape((1, side, side, 3)) == (1, 5)


def test_padding_must_be_same_or_symmetric():
    with pytest.raises(ValueError, match="padding must be one of 'same', 'symmetric'"):
        models.resnext(50, 2, 2, padding="valid")


# --- Table 1 structure of the built ResNeXt-50 --------------------------------------------------

STAGES = {
    "conv2": (3, 56, 256, 128),
    "conv3": (4, 28, 512, 256),
    "conv4": (6, 14, 1024, 512),
    "conv5": (3, 7, 2048, 1024),
}  # blocks, output side, out channels, group width


def _conv_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def test_stage_output_shapes(resnext50):
    assert resnext50.get_layer("conv2_block3_out").output.shape == (None, 56, 56, 256)
    assert resnext50.get_layer("conv5_block3_out").output.shape == (None, 7, 7, 2048)
    for stage, (blocks, side, channels, _) in STAGES.items():
        assert resnext50.get_layer(f"{stage}_block{blocks}_out").output.shape == (None, side, side, channels)


def test_stem_output_shapes(resnext50):
    assert resnext50.get_layer("conv1_relu").output.shape == (None, 112, 112, 64)
    assert resnext50.get_layer("pool1").output.shape == (None, 56, 56, 64)


def test_blocks_per_stage(resnext50):
    names = [layer.name for layer in resnext50.layers]
    for stage, (blocks, *_) in STAGES.items():
        found = [n for n in names if re.fullmatch(rf"{stage}_block\d+_out", n)]
        assert len(found) == blocks


def test_grouped_conv_of_conv3_block1(resnext50):
    conv = resnext50.get_layer("conv3_block1_conv2")
    assert conv.strides == (2, 2)
    assert conv.groups == 32
    assert conv.filters == 256
    assert conv.kernel_size == (3, 3)


def test_every_grouped_conv_has_table_1_width(resnext50):
    for stage, (blocks, _, _, group_width) in STAGES.items():
        for i in range(1, blocks + 1):
            conv = resnext50.get_layer(f"{stage}_block{i}_conv2")
            assert (conv.groups, conv.filters, conv.kernel.shape[2]) == (32, group_width, group_width // 32)
            assert conv.strides == ((2, 2) if i == 1 and stage != "conv2" else (1, 1))


def test_stride_sits_in_the_3x3_not_the_first_1x1(resnext50):
    first_convs = [layer for layer in resnext50.layers if re.fullmatch(r"conv\d_block\d+_conv1", layer.name)]
    assert len(first_convs) == 16
    for conv in first_convs:
        assert conv.strides == (1, 1), conv.name
        assert conv.kernel_size == (1, 1), conv.name


def test_no_conv_has_a_bias(resnext50):
    convs = _conv_layers(resnext50)
    assert len(convs) == 1 + 16 * 3 + 4
    for conv in convs:
        assert not conv.use_bias, conv.name
        assert conv.bias is None, conv.name


def test_every_conv_is_followed_by_batch_norm(resnext50):
    consumers = {}
    for layer in resnext50.layers:
        for tensor in keras.tree.flatten(layer.input) if not isinstance(layer, keras.layers.InputLayer) else []:
            consumers.setdefault(tensor._keras_history.operation.name, []).append(layer)
    for conv in _conv_layers(resnext50):
        following = consumers[conv.name]
        assert len(following) == 1, conv.name
        assert isinstance(following[0], keras.layers.BatchNormalization), conv.name
        assert following[0].name == re.sub(r"conv(\d?)$", r"bn\1", conv.name)


def test_projection_shortcuts_only_in_first_block_of_each_stage(resnext50):
    shortcuts = {layer.name for layer in resnext50.layers if "shortcut" in layer.name}
    expected = {f"conv{k}_block1_shortcut_{part}" for k in range(2, 6) for part in ("conv", "bn")}
    assert shortcuts == expected
    for k, (_, _, channels, _) in zip(range(2, 6), STAGES.values(), strict=True):
        conv = resnext50.get_layer(f"conv{k}_block1_shortcut_conv")
        assert (conv.filters, conv.kernel_size) == (channels, (1, 1))
        assert conv.strides == ((1, 1) if k == 2 else (2, 2))


def test_identity_blocks_add_their_input(resnext50):
    """In blocks 2.. of a stage the Add takes the previous block's output itself."""
    add = resnext50.get_layer("conv4_block3_add")
    producers = [t._keras_history.operation.name for t in add.input]
    assert "conv4_block2_out" in producers


def test_classifier(resnext50):
    fc = resnext50.get_layer("fc")
    assert fc.kernel.shape == (2048, 1000)
    assert fc.use_bias
    assert isinstance(resnext50.get_layer("avg_pool"), keras.layers.GlobalAveragePooling2D)


def test_params_without_batchnorm_are_the_conv_and_fc_weights(resnext50):
    """``batchnorm=False`` (Table 7's convention) counts exactly the non-BN trainable weights."""
    not_bn = [layer for layer in resnext50.layers if not isinstance(layer, keras.layers.BatchNormalization)]
    weights = sum(math.prod(w.shape) for layer in not_bn for w in layer.trainable_weights)
    assert complexity.model_params(50, 32, 4, batchnorm=False) == weights


@pytest.mark.parametrize("c,d,n,out,stem", [(1, 16, 1, 64, 32), (8, 3, 1, 64, 32), (4, 4, 2, 32, 16)])
def test_scaled_down_cifar_resnext_keras_equals_analytic(c, d, n, out, stem):
    model = models.resnext_cifar(c, d, blocks_per_stage=n, out_channels=out, stem_filters=stem)
    arch = complexity.cifar_architecture(c, d, blocks_per_stage=n, out_channels=out, stem_filters=stem)
    assert introspect.trainable_params(model) == complexity.architecture_params(arch)
    assert introspect.count_macs(model) == complexity.architecture_macs(arch)
    assert len(model.layers) > 0 and model.name == arch.name == f"resnext{9 * n + 2}_{c}x{d}d_{stem}-{out}"


# --- bad arguments (README: names follow the paper; ImageNet nets downsample by 32, ResNeXt-29 by 4) ---


@pytest.mark.parametrize("depth", [34, 18, 0, "50", 29.0, True])
def test_resnext_rejects_unknown_depth(depth):
    with pytest.raises(ValueError, match=r"depth must be one of 26, 38, 50, 101, 152, 200, or give blocks_per_stage"):
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


# --- numpy integers are integers; other types get a ValueError -----------------------------------------------


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
