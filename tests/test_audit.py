"""audit.compare: passes the library's own networks (any depth, form, layer names) and catches each pitfall."""

import itertools

import keras
import numpy as np
import pytest

from resnext_edu import audit, complexity, models, pitfalls

SMALL = complexity.cifar_architecture(8, 4, 10, 32, blocks_per_stage=2, out_channels=64, stem_filters=16)


def _small(block=None, arch=SMALL, **kwargs):
    return models.build(arch, (32, 32, 3), block=block, **kwargs)


def _departures(result):
    return {(c.where, c.what) for c in result.departures}


@pytest.mark.slow
@pytest.mark.parametrize("depth, cardinality, width", [(50, 32, 4), (50, 1, 64), (101, 32, 8), (152, 8, 4)])
def test_the_library_networks_of_every_depth_match(depth, cardinality, width):
    result = audit.compare(models.resnext(depth, cardinality, width), depth, cardinality, width)
    assert result.matches, str(result)
    assert result.summary().startswith("matches ")
    assert len(result.blocks) == sum(complexity.STAGE_BLOCKS[depth])
    assert [len(s) for s in result.stages] == list(complexity.STAGE_BLOCKS[depth])


@pytest.mark.slow
@pytest.mark.parametrize("form", ["a", "b", "c"])
def test_every_form_matches_at_imagenet_and_cifar_scale(form):
    assert audit.compare(models.resnext(50, 2, 40, form=form), 50, 2, 40).matches
    assert audit.compare(_small(form=form), architecture=SMALL).matches


@pytest.mark.slow
def test_resnext29_matches_the_cifar_architecture_and_classes_default_to_the_model():
    arch = complexity.cifar_architecture(2, 8, 100, 32, out_channels=64, stem_filters=16)
    model = models.resnext_cifar(2, 8, 100, out_channels=64, stem_filters=16)
    assert audit.compare(model, architecture=arch).matches
    assert audit.compare(models.resnext(50, 2, 8, num_classes=7, input_shape=(64, 64, 3)), 50, 2, 8).matches


@pytest.mark.slow
def test_a_claim_that_is_not_the_model_departs_where_it_differs():
    result = audit.compare(models.resnet50())  # claimed: ResNeXt-50 (32x4d)
    assert not result.matches
    stages = [s.name for s in result.architecture.stages]
    assert _departures(result) == {
        *((s, "3x3: groups C, group width d") for s in stages),
        *((s, "trainable parameters") for s in stages),
        ("model", "trainable parameters"),
        ("model", "multiply-adds"),
    }
    found = {c.where: c.found for c in result.departures if c.what.startswith("3x3")}
    assert found["conv2"] == "C=1, d=64"


def test_layer_names_play_no_part():
    model = _small()
    names = (f"x{i}" for i in itertools.count())
    renamed = keras.models.clone_model(
        model, clone_function=lambda layer: layer.__class__.from_config({**layer.get_config(), "name": next(names)})
    )
    assert not any(layer.name.startswith("conv") for layer in renamed.layers)
    assert audit.compare(renamed, architecture=SMALL).matches


def test_nested_models_are_read_through():
    inner = _small()
    inputs = keras.Input((32, 32, 3))
    outer = keras.Model(inputs, inner(inputs))
    assert audit.compare(outer, architecture=SMALL).matches
    assert audit.compare(keras.Sequential([keras.Input((32, 32, 3)), inner]), architecture=SMALL).matches


class _OpaqueBlock(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], input_shape[-1]))

    def call(self, x):
        return x @ self.w


def test_a_subclassed_layer_with_weights_is_reported_unreadable():
    model = _small()
    x = _OpaqueBlock()(model.layers[-3].output)
    y = model.layers[-2](x)
    result = audit.compare(keras.Model(model.inputs, model.layers[-1](y)), architecture=SMALL)
    assert not result.matches
    assert ("model", "readable graph") in _departures(result)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, block, expected",
    [
        ("late_bound_slices", pitfalls.late_bound_slices, {"channel slices"}),
        ("groups_as_width", pitfalls.groups_as_width, {"3x3: groups C, group width d", "trainable parameters"}),
        ("full_width_copies", pitfalls.full_width_copies, {"3x3: groups C, group width d", "trainable parameters"}),
        ("concatenated_shortcut", pitfalls.concatenated_shortcut, {"branches merged by", "output (channels x size)"}),
        ("split_input", pitfalls.split_input, {"paths read", "trainable parameters"}),
    ],
)
def test_each_pitfall_is_caught(name, block, expected):
    result = audit.compare(_small(block), architecture=SMALL)
    assert not result.matches
    assert expected <= {c.what for c in result.departures}, str(result)
    assert name in pitfalls.FAULTY_BLOCKS


@pytest.mark.slow
def test_late_bound_slices_hide_from_the_counts_but_not_from_the_probe():
    result = audit.compare(_small(pitfalls.late_bound_slices), architecture=SMALL)
    assert {c.what for c in result.departures} == {"channel slices"}  # same parameters, same multiply-adds
    conv2 = next(c for c in result.departures if c.where == "conv2")
    assert conv2.found.startswith("8 of 8 paths read the same channels 28-31 of 32")
    assert audit.compare(_small(pitfalls.bound_slices), architecture=SMALL).matches


@pytest.mark.slow
def test_the_stride_on_the_first_1x1_is_another_convention_that_only_moves_the_stride_and_the_cost():
    """Keras' ResNet50 convention: same weights as the paper's block, fewer multiply-adds, the stride elsewhere."""
    result = audit.compare(_small(pitfalls.stride_on_first_1x1), architecture=SMALL)
    assert {c.what for c in result.departures} == {"stride at", "multiply-adds"}, str(result)
    conv3 = next(c for c in result.departures if c.what == "stride at" and c.where == "conv3")
    assert "1x1 before" in conv3.found and "3x3" in conv3.expected
    model = next(c for c in result.departures if c.what == "multiply-adds")
    assert int(model.found.replace(",", "")) < int(model.expected.replace(",", ""))
    assert "stride_on_first_1x1" not in pitfalls.FAULTY_BLOCKS  # a convention, not one of the chapter's mistakes


def test_late_bound_slices_compute_something_else():
    """The symptom: a path-numbered input shows every path reading the last group's channels."""
    x = keras.Input((1, 1, 8))
    paths = pitfalls.late_bound_slices(x, 8, 4, 2)
    model = keras.Model(x, paths)
    lambdas = [layer for layer in model.layers if isinstance(layer, keras.layers.Lambda)]
    numbered = np.arange(8, dtype="float32").reshape(1, 1, 1, 8)
    seen = [keras.ops.convert_to_numpy(layer(numbered)).ravel().tolist() for layer in lambdas]
    assert seen == [[6.0, 7.0]] * 4


def test_projection_plus_n_is_the_31_million_parameter_resnext50():
    wrong = pitfalls.projection_plus_n(complexity.imagenet_architecture(50, 32, 4))
    assert [s.blocks for s in wrong.stages] == [4, 5, 7, 4]
    assert round(complexity.architecture_params(wrong) / 1e6, 1) == 31.0  # README, "Reference counts": ~31.0 M
    result = audit.compare(_small(arch=pitfalls.projection_plus_n(SMALL)), architecture=SMALL)
    assert {c.what for c in result.departures} == {"blocks", "trainable parameters", "multiply-adds"}
    with pytest.raises(ValueError, match="Architecture"):
        pitfalls.projection_plus_n("resnext50")


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="Keras model"):
        audit.compare("resnext50")
    with pytest.raises(ValueError, match="depth must be one of"):
        audit.compare(_small(), depth=34)
    with pytest.raises(ValueError, match="cardinality"):
        audit.compare(_small(), cardinality=0)
    with pytest.raises(ValueError, match="fixed input size"):
        audit.compare(models.resnext(50, 2, 8, input_shape=(None, None, 3)), 50, 2, 8)
    with pytest.raises(ValueError, match="complexity.Architecture"):
        audit.compare(_small(), architecture={"depth": 50})


def test_the_result_renders_as_a_table_and_a_summary():
    result = audit.compare(_small(pitfalls.groups_as_width), architecture=SMALL)
    text = str(result)
    n, total = len(result.departures), len(result.checks)
    assert text.splitlines()[0] == f"departs from {SMALL.name} in {n} of {total} checks"
    assert "3x3: groups C, group width d: found C=4, d=8, expected C=8, d=4" in text
    page = result._repr_html_()
    assert page.count("<tr>") == len(result.checks) + 1 and "✗" in page and "✓" in page


def test_plot_departures_draws_one_row_per_audit():
    import matplotlib

    matplotlib.use("Agg")
    results = {
        "library": audit.compare(_small(), architecture=SMALL),
        "concatenated": audit.compare(_small(pitfalls.concatenated_shortcut), architecture=SMALL),
    }
    fig = audit.plot_departures(results)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(results)
    assert "branches merged by" in [t.get_text() for t in ax.get_xticklabels()]
    with pytest.raises(ValueError, match="Audit"):
        audit.plot_departures({"x": 1})


@pytest.mark.slow
def test_a_model_built_elsewhere_keras_applications_resnet50():
    """Keras' ResNet50 (v1, as in Caffe): stride in the first 1x1, conv biases; otherwise the paper's ResNet-50."""
    result = audit.compare(keras.applications.ResNet50(weights=None), 50, 1, 64)
    assert {c.what for c in result.departures} == {"stride at", "trainable parameters", "multiply-adds", "conv biases"}
    assert {c.where for c in result.departures if c.what == "stride at"} == {"conv3", "conv4", "conv5"}
    assert next(c for c in result.departures if c.what == "stride at").found == "block 1: 1x1 before + shortcut"


def test_a_depth_cardinality_or_width_that_contradicts_the_architecture_is_refused():
    model = _small()
    for kwargs, match in (
        (dict(depth=50), "depth=50 contradicts architecture"),
        (dict(depth=101), "depth=101 contradicts"),
        (dict(cardinality=32), "cardinality=32 contradicts"),
        (dict(bottleneck_width=8), "bottleneck_width=8 contradicts"),
    ):
        with pytest.raises(ValueError, match=match):
            audit.compare(model, architecture=SMALL, **kwargs)
    assert audit.compare(model, SMALL.depth, 8, 4, architecture=SMALL).matches  # the architecture's own: fine
    assert audit.compare(models.resnext(np.int64(50), 2, 8, num_classes=7, input_shape=(64, 64, 3)), np.int64(50), 2, 8)
