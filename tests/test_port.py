"""``port.from_torchvision`` against real torchvision: the ported Keras model computes what torchvision's computes.

Five torchvision networks (resnet50, resnext50_32x4d, resnext101_32x8d, resnext101_64x4d, wide_resnet50_2), built
with ``weights=None`` (nothing is downloaded), every BatchNorm given random non-trivial affine parameters and running
statistics, in eval mode, on random 64x64 images (even sizes: where Keras' "same" padding and torch's differ): the
ported logits agree with torchvision's within 1e-4 of their size in forms a, b and c. One torch model per network
(module-scoped fixture), one port per form. Also: the architecture read from the shapes, errors for state_dicts
that do not fit, a safetensors round trip, and that nothing is unpickled. Forms (a) and (b) of the two ResNeXt-101s
(7,000 to 15,000 Keras layers each) take most of this file's time: they carry the marker ``heavy``, and ``make test``
runs them on Keras' PyTorch backend only, where building them takes less than half as long as on TensorFlow.

torch comes before TensorFlow in this process: the root conftest.py imports triton first (tensorflow#124205).
"""

import pickle

import keras
import numpy as np
import pytest
import safetensors.numpy
import torch
import torchvision

from resnext_edu import introspect, models, port

TOLERANCE = 1e-4  # max |keras - torch| / max |torch logits|
SIDE = 64
#: torchvision's name -> (depth, cardinality C, bottleneck width d) the port must read from the shapes.
NETWORKS = {
    "resnet50": (50, 1, 64),
    "resnext50_32x4d": (50, 32, 4),
    "resnext101_32x8d": (101, 32, 8),
    "resnext101_64x4d": (101, 64, 4),
    "wide_resnet50_2": (50, 1, 128),
}


def randomize_batch_norm(model, seed=0):
    """Random gamma, beta, running mean and variance in every BatchNorm; eval mode."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                n = module.num_features
                module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                module.bias.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_mean.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
    return model.eval()


def torchvision_model(name, **kwargs):
    torch.manual_seed(0)
    return randomize_batch_norm(getattr(torchvision.models, name)(weights=None, **kwargs))


def images(side=SIDE, width=None, seed=1):
    """Random NCHW images for torch and the same as NHWC for Keras."""
    x = np.random.default_rng(seed).standard_normal((2, 3, side, width or side)).astype("float32")
    return x, x.transpose(0, 2, 3, 1)


def torch_logits(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def relative_error(keras_model, x_nhwc, reference):
    logits = keras.ops.convert_to_numpy(keras_model(x_nhwc, training=False))
    assert logits.shape == reference.shape
    return float(np.max(np.abs(logits - reference)) / np.max(np.abs(reference)))


@pytest.fixture(scope="module")
def network(request):
    """(name, torch model, NHWC images, torch's logits): one torchvision model per network for all three forms."""
    model = torchvision_model(request.param)
    x, x_nhwc = images()
    yield request.param, model, x_nhwc, torch_logits(model, x)
    keras.backend.clear_session()


def _case(name, form):
    """Forms (a) and (b) of the ResNeXt-101s have 7,000 to 15,000 Keras layers: most of this file's time (marked)."""
    heavy = form in ("a", "b") and name.startswith("resnext101")
    return pytest.param(name, form, marks=[pytest.mark.heavy] if heavy else [], id=f"{name}-{form}")


@pytest.mark.parametrize(("network", "form"), [_case(n, f) for n in NETWORKS for f in "cab"], indirect=["network"])
def test_logits_agree_with_torchvision(network, form):
    name, model, x_nhwc, reference = network
    _, c, _ = NETWORKS[name]
    if form == "c":  # what the port reads, and every tensor in torchvision's order (BatchNorm step counters too)
        assert port.read_architecture(port.load_state_dict(model)) == (*NETWORKS[name], 1000)
        assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == port.torchvision_shapes(*NETWORKS[name])
    ported = port.from_torchvision(model, form=form)
    names = {layer.name for layer in ported.layers}
    last = "conv5_block3"  # each form's own layers (equivalence.find_blocks reads them too, but slowly for C paths)
    assert {"a": f"{last}_path{c}_conv3", "b": f"{last}_concat", "c": f"{last}_conv2"}[form] in names
    if form == "c":
        assert introspect.trainable_params(ported) == sum(p.numel() for p in model.parameters())
    assert relative_error(ported, x_nhwc, reference) < TOLERANCE
    del ported
    keras.backend.clear_session()


# --- the padding: torch pads strided convs and the max pool symmetrically ------------------------------------------


@pytest.fixture(scope="module")
def resnet50():
    return torchvision_model("resnet50")


def test_odd_and_non_square_images(resnet50):
    """Odd sizes are where Keras' "same" already pads symmetrically: the port must agree there too."""
    x, x_nhwc = images(65, 47)
    assert relative_error(port.from_torchvision(resnet50), x_nhwc, torch_logits(resnet50, x)) < TOLERANCE


def test_keras_same_padding_does_not_agree(resnet50):
    """Keras' "same" (0 before, 1 after a stride-2 window on even sizes) with the same weights computes another
    function: the symmetric padding of the port is what makes the logits agree."""
    ported = port.from_torchvision(resnet50)
    same = models.resnext(50, 1, 64, input_shape=(None, None, 3))
    for layer in same.layers:
        if layer.weights:
            layer.set_weights(ported.get_layer(layer.name).get_weights())
    x, x_nhwc = images()
    reference = torch_logits(resnet50, x)
    assert relative_error(ported, x_nhwc, reference) < TOLERANCE
    assert relative_error(same, x_nhwc, reference) > 100 * TOLERANCE


# --- sources: state_dicts, safetensors, and nothing unpickled ------------------------------------------------------


@pytest.fixture
def no_unpickling(monkeypatch):
    """Any unpickling (pickle, torch.load) fails the test."""

    def forbidden(*args, **kwargs):
        raise AssertionError("something was unpickled")

    for owner, name in ((pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"), (torch, "load")):
        monkeypatch.setattr(owner, name, forbidden)


def test_safetensors_round_trip(resnet50, tmp_path, no_unpickling):
    path = tmp_path / "resnet50.safetensors"
    safetensors.numpy.save_file({k: v.numpy() for k, v in resnet50.state_dict().items()}, str(path))
    x, x_nhwc = images()
    for source in (path, str(path)):
        assert relative_error(port.from_torchvision(source), x_nhwc, torch_logits(resnet50, x)) < TOLERANCE


def test_state_dict_of_arrays_and_data_parallel_names(resnet50, no_unpickling):
    arrays = {f"module.{k}": v.numpy() for k, v in resnet50.state_dict().items()}  # as DataParallel saves it
    x, x_nhwc = images()
    assert relative_error(port.from_torchvision(arrays), x_nhwc, torch_logits(resnet50, x)) < TOLERANCE


class Payload:
    """Unpickling this runs code: it creates the file ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("suffix", [".pth", ".pt", ".bin", ".safetensors"])
def test_pickle_files_are_never_opened(tmp_path, suffix):
    marker, path = tmp_path / "unpickled", tmp_path / f"weights{suffix}"
    path.write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(ValueError, match="safetensors"):
        port.from_torchvision(path)
    assert not marker.exists()


# --- state_dicts that fit no supported network ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def state():
    """resnext50_32x4d's tensors as numpy arrays (torchvision's order)."""
    return {k: v.numpy() for k, v in torchvision_model("resnext50_32x4d").state_dict().items()}


def test_wrong_shape_names_the_tensor(state):
    bad = dict(state, **{"layer2.0.conv2.weight": np.zeros((256, 16, 3, 3), "float32")})
    expected = r"'layer2\.0\.conv2\.weight' has shape \(256, 16, 3, 3\); .*ResNeXt-50 \(32x4d.*expects \(256, 8, 3, 3\)"
    with pytest.raises(ValueError, match=expected):
        port.from_torchvision(bad)


def test_renamed_tensor_is_unknown(state):
    bad = {("layer1.0.bn1.gamma" if k == "layer1.0.bn1.weight" else k): v for k, v in state.items()}
    with pytest.raises(ValueError, match=r"'layer1\.0\.bn1\.gamma' is not in torchvision's ResNeXt-50"):
        port.from_torchvision(bad)
    with pytest.raises(ValueError, match=r"no tensor 'fc\.weight'"):
        port.from_torchvision({("classifier.weight" if k == "fc.weight" else k): v for k, v in state.items()})


def test_missing_tensor(state):
    bad = {k: v for k, v in state.items() if k != "layer3.5.conv2.weight"}
    with pytest.raises(ValueError, match=r"lacks 1 tensors .* 'layer3\.5\.conv2\.weight'"):
        port.from_torchvision(bad)
    # BatchNorm's step counters are optional (older torchvision files have none)
    counters = [k for k in state if k.endswith("num_batches_tracked")]
    assert counters
    port.check_state_dict({k: v for k, v in state.items() if k not in counters}, 50, 32, 4, 1000)


def test_truncated_state_dict_is_no_supported_depth(state):
    truncated = {k: v for k, v in state.items() if not k.startswith("layer3.5.")}
    with pytest.raises(ValueError, match=r"\(3, 4, 5, 3\) blocks .* no supported depth"):
        port.from_torchvision(truncated)


def test_basic_block_networks_are_refused():
    with pytest.raises(ValueError, match=r"\(2, 2, 2, 2\) blocks .*basic blocks"):
        port.from_torchvision(torchvision.models.resnet18(weights=None))


def test_batchnorm_epsilon_must_match():
    model = torchvision.models.resnet50(weights=None, norm_layer=lambda n: torch.nn.BatchNorm2d(n, eps=1e-3))
    with pytest.raises(ValueError, match="eps=0.001"):
        port.from_torchvision(model)


@pytest.mark.parametrize(
    "source, message",
    [
        (42, "got int"),
        ([1, 2], "got list"),
        ({"conv1.weight": "abc"}, "'conv1.weight' is not numeric"),
        ("missing.safetensors", "no file"),
    ],
)
def test_bad_sources(source, message):
    with pytest.raises(ValueError, match=message):
        port.from_torchvision(source)


def test_bad_form(state):
    with pytest.raises(ValueError, match="form must be one of"):
        port.from_torchvision(state, form="d")
