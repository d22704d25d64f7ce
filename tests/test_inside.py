"""resnext_edu.inside: a ResNeXt's paths read from form (c), checked against form (a), where each path is its own
layers (equivalence.convert carries the weights)."""

import math

import keras
import matplotlib
import numpy as np
import pytest
from backends import to_numpy

from resnext_edu import equivalence, inside, models

matplotlib.use("Agg")

SHAPE = dict(blocks_per_stage=1, out_channels=32, stem_filters=16, stem_strides=2)


def randomise(model, seed):
    """Trained-looking weights: random kernels and BatchNorm statistics (so that no path is a copy of another)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            new = [rng.normal(0, 0.3, w.shape).astype("float32") for w in weights]
            if isinstance(layer, keras.layers.BatchNormalization):
                new[3] = np.abs(new[3]) + 0.5  # a positive moving variance
            layer.set_weights(new)
    return model


@pytest.fixture(scope="module")
def resnext():
    keras.utils.set_random_seed(0)
    return randomise(models.resnext_cifar(4, 5, 10, (28, 28, 1), **SHAPE), 1)


@pytest.fixture(scope="module")
def form_a(resnext):
    return equivalence.convert(resnext, "a")


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(2).uniform(0, 1, (16, 28, 28, 1)).astype("float32")


def test_paths_of_every_block(resnext):
    found = inside.paths(resnext)
    assert list(found) == ["conv2_block1", "conv3_block1", "conv4_block1"]
    assert [(p.cardinality, p.bottleneck_width, p.inner_channels) for p in found.values()] == [
        (4, 5, 20),
        (4, 10, 40),
        (4, 20, 80),
    ]
    assert found["conv2_block1"].channels(2) == [10, 11, 12, 13, 14]


def test_only_form_c_models_and_known_blocks(form_a, resnext):
    with pytest.raises(ValueError, match="form \\(c\\)"):
        inside.paths(form_a)
    with pytest.raises(ValueError, match="form \\(c\\)"):
        inside.paths("model")
    with pytest.raises(ValueError, match="block must be one of conv2_block1"):
        inside.path_filters(resnext, "conv5_block1", 0)
    with pytest.raises(ValueError, match="path must be 0..3"):
        inside.path_filters(resnext, "conv2_block1", 4)


def test_path_filters_are_the_paths_own_3x3_kernels(resnext, form_a):
    for block, d in (("conv2_block1", 5), ("conv4_block1", 20)):
        for i in range(4):
            kernel = inside.path_filters(resnext, block, i)
            assert kernel.shape == (3, 3, d, d)
            np.testing.assert_array_equal(kernel, form_a.get_layer(f"{block}_path{i + 1}_conv2").get_weights()[0])


def test_path_activations_are_the_paths_own_maps(resnext, form_a, images):
    probe = keras.Model(form_a.input, form_a.get_layer("conv3_block1_path3_relu2").output)
    expected = to_numpy(probe(images, training=False))
    got = inside.path_activations(resnext, "conv3_block1", 2, images)
    assert got.shape == (16, 7, 7, 10)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


def test_removing_a_path_is_zeroing_its_last_1x1_and_is_undone_after(resnext, form_a, images):
    before = resnext.get_layer("conv2_block1_conv3").get_weights()[0].copy()
    layer = form_a.get_layer("conv2_block1_path2_conv3")
    saved = layer.get_weights()
    layer.set_weights([np.zeros_like(saved[0])])
    try:
        expected = to_numpy(form_a(images, training=False))
    finally:
        layer.set_weights(saved)
    p = inside.block_paths(resnext, "conv2_block1")
    with inside.removed(resnext, {"conv2_block1": p.channels(1)}):
        got = to_numpy(resnext(images, training=False))
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)
    assert not np.allclose(got, to_numpy(resnext(images, training=False)), atol=1e-3)  # the path mattered
    np.testing.assert_array_equal(resnext.get_layer("conv2_block1_conv3").get_weights()[0], before)
    with pytest.raises(ValueError, match="channels of conv2_block1 must lie in 0..19"):
        with inside.removed(resnext, {"conv2_block1": [20]}):
            pass
    np.testing.assert_array_equal(resnext.get_layer("conv2_block1_conv3").get_weights()[0], before)


def test_weight_norms_split_each_layer_by_path(resnext, form_a):
    rows = inside.weight_norms(resnext)
    assert len(rows) == 12 and rows[0]["block"] == "conv2_block1" and rows[-1]["path"] == 3
    conv3 = resnext.get_layer("conv3_block1_conv3").get_weights()[0]
    block = [r for r in rows if r["block"] == "conv3_block1"]
    assert math.isclose(sum(r["conv3"] ** 2 for r in block), float(np.sum(conv3**2)), rel_tol=1e-5)
    gamma = form_a.get_layer("conv3_block1_path4_bn2").get_weights()[0]
    kernel = form_a.get_layer("conv3_block1_path4_conv3").get_weights()[0][0, 0]
    assert math.isclose(block[3]["strength"], float(np.sqrt(np.sum(gamma[:, None] ** 2 * kernel**2))), rel_tol=1e-5)
    assert math.isclose(block[3]["conv2"], float(np.linalg.norm(inside.path_filters(resnext, "conv3_block1", 3))))


def test_ablation_tries_every_choice_of_paths_and_matching_channels_of_a_resnet(resnext, images):
    labels = to_numpy(resnext(images, training=False)).argmax(-1)  # the intact network is right on all of them
    curve = inside.ablation(resnext, "conv2_block1", images, labels)
    assert sorted(curve) == [0, 5, 10, 15, 20] and [len(v) for v in curve.values()] == [1, 4, 6, 4, 1]
    assert curve[0] == [1.0]
    keras.utils.set_random_seed(3)
    resnet = randomise(models.resnext_cifar(1, 12, 10, (28, 28, 1), **SHAPE), 4)
    twin = inside.ablation(resnet, "conv2_block1", images, labels, unit=5, draws=3, seed=1)
    assert sorted(twin) == [0, 5, 10, 12] and [len(v) for v in twin.values()] == [1, 3, 3, 1]
    assert twin == inside.ablation(resnet, "conv2_block1", images, labels, unit=5, draws=3, seed=1)


def test_figures(resnext, images):
    from resnext_edu import inside_plots

    fig = inside_plots.plot_filters(resnext, "conv2_block1")
    assert len(fig.axes) == 5  # four paths and a colour bar
    fig = inside_plots.plot_activations(resnext, "conv2_block1", images[0])
    assert len(fig.axes) == 5 * 5  # a column a path (and the input), a row a channel
    ax = inside_plots.plot_ablation({"4×5d": {0: [0.9], 5: [0.8, 0.7]}, "1×12d": {0: [0.9], 5: [0.6]}})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["4×5d", "1×12d"]
    ax = inside_plots.plot_weight_norms(inside.weight_norms(resnext))
    assert len(ax.patches) == 12
    import matplotlib.pyplot as plt

    plt.close("all")


def test_ablation_everywhere_removes_paths_in_every_block_and_as_many_resnet_channels(resnext, images):
    labels = to_numpy(resnext(images, training=False)).argmax(-1)
    curve = inside.ablation_everywhere(resnext, images, labels, draws=2, seed=0)
    assert sorted(curve) == [0, 1, 2, 3, 4] and [len(v) for v in curve.values()] == [1, 2, 2, 2, 1]
    assert curve[0] == [1.0]
    with inside.removed(resnext, {b: list(range(p.inner_channels)) for b, p in inside.paths(resnext).items()}):
        nothing_left = inside.accuracy(resnext, images, labels)
    assert curve[4] == [nothing_left]
    keras.utils.set_random_seed(3)
    resnet = randomise(models.resnext_cifar(1, 12, 10, (28, 28, 1), **SHAPE), 4)
    widths = {b: p.bottleneck_width for b, p in inside.paths(resnext).items()}  # 5, 10, 20 of 12, 24, 48 channels
    twin = inside.ablation_everywhere(resnet, images, labels, widths=widths, draws=2, seed=0)
    assert sorted(twin) == [0, 1, 2, 3]  # three widths remove every channel of every block
    with pytest.raises(ValueError, match="widths must give d for each block"):
        inside.ablation_everywhere(resnet, images, labels, widths={"conv2_block1": 5})


def test_weight_shares_split_the_squared_weights_by_stage(resnext):
    shares = inside.weight_shares(resnext)
    assert list(shares) == ["stem", "conv2", "conv3", "conv4", "classifier"]
    assert math.isclose(sum(shares.values()), 1.0)
    fc = resnext.get_layer("fc").get_weights()
    convs = [layer for layer in resnext.layers if isinstance(layer, keras.layers.Conv2D)]
    total = sum(float(np.sum(np.square(w))) for layer in convs for w in layer.get_weights())
    total += sum(float(np.sum(np.square(w))) for w in fc)
    assert math.isclose(shares["classifier"], sum(float(np.sum(np.square(w))) for w in fc) / total, rel_tol=1e-6)


def test_ablation_samples_the_choices_of_paths_when_there_are_many(images):
    keras.utils.set_random_seed(5)
    eight = randomise(models.resnext_cifar(8, 3, 10, (28, 28, 1), **SHAPE), 6)
    labels = np.zeros(len(images), int)
    curve = inside.ablation(eight, "conv2_block1", images, labels, draws=3, seed=2)
    assert sorted(curve) == list(range(0, 25, 3)) and [len(v) for v in curve.values()] == [1, 3, 3, 3, 3, 3, 3, 3, 1]
