"""Looking inside a trained ResNeXt: its paths one by one (Eq. 3: y = x + sum_i T_i(x)).

A block of form (c) keeps path i in channels [i*d, (i+1)*d) of its first 1x1, its grouped 3x3 (group i) and their
BatchNorms, and in the same input rows of its last 1x1 (``equivalence``'s canonical layout). So, read from the model:

- ``paths``: the library's blocks of a model with their cardinality C and width d (``equivalence.find_blocks``);
- ``path_filters``: the 3x3 kernels of one path's group, ``(3, 3, d in, d out)``;
- ``block_activations`` / ``path_activations``: the maps after the 3x3 (and BN, ReLU) for some images, of all paths
  or of one;
- ``weight_norms``: per block and path, the L2 norm of its weights in each conv, and its *output strength*: the norm
  of its last 1x1 rows scaled by its BatchNorm's gamma (the convs before a BatchNorm can be scaled freely without
  changing the function, so their norms say little; what a path adds to the sum is set by gamma and the last 1x1);
- ``weight_shares``: each stage's share of the squared weights (stem, stages, classifier);
- ``removed``: a context in which some inner channels of some blocks contribute nothing (their rows of the last 1x1
  are zero): a whole path is its d channels, and the same call removes channels of a ResNet (C = 1) for comparison;
- ``ablation``: test accuracy with k paths of a block removed, for every k and every choice of k paths (or, for a
  ResNet, random sets of as many channels); ``ablation_everywhere``: r paths removed in every block at once.

``resnext_edu.inside_plots`` draws them.
"""

import contextlib
import dataclasses
import itertools
import math

import keras
import numpy as np

from resnext_edu import equivalence, names
from resnext_edu._checks import positive_int


@dataclasses.dataclass(frozen=True)
class Paths:
    """A block's paths: its name, cardinality C and bottleneck width d (inner channels C*d)."""

    block: str
    cardinality: int
    bottleneck_width: int

    @property
    def inner_channels(self):
        return self.cardinality * self.bottleneck_width

    def channels(self, path):
        """The inner channels of path ``path`` (from 0)."""
        d = self.bottleneck_width
        return list(range(path * d, (path + 1) * d))


def paths(model):
    """``{block name: Paths}`` for every library block of ``model`` that is in form (c) (``models`` builds them so)."""
    specs = equivalence.find_blocks(model) if isinstance(model, keras.Model) else []
    if not specs or any(s.form != "c" for s in specs):
        raise ValueError(
            f"model {getattr(model, 'name', model)!r} needs the library's blocks in form (c) (models.resnext_cifar, "
            "models.resnext; equivalence.convert(model, 'c') turns other forms into it)."
        )
    return {s.name: Paths(s.name, s.cardinality, s.bottleneck_width) for s in specs}


def block_paths(model, block):
    """The ``Paths`` of the block named ``block`` in ``model``."""
    found = paths(model)
    if block not in found:
        raise ValueError(f"block must be one of {', '.join(found)}; got {block!r}.")
    return found[block]


def _weights(model, name):
    return [keras.ops.convert_to_numpy(w) for w in model.get_layer(name).weights]


def path_filters(model, block, path):
    """The trained 3x3 kernels of ``path`` in ``block``'s grouped conv: an array (3, 3, d in, d out)."""
    p = block_paths(model, block)
    if not 0 <= positive_int("path", path, minimum=0) < p.cardinality:
        raise ValueError(f"path must be 0..{p.cardinality - 1} in {block}; got {path}.")
    kernel = _weights(model, names.layer_name(block, "conv2"))[0]  # (3, 3, d, C*d): group g reads its d inputs
    return kernel[..., p.channels(path)]


def block_activations(model, block, images):
    """All paths' maps after the 3x3, BatchNorm and ReLU of ``block`` for ``images``: (N, h, w, C*d), path i in
    channels [i*d, (i+1)*d)."""
    block_paths(model, block)
    probe = keras.Model(model.input, model.get_layer(names.layer_name(block, "relu2")).output)
    return keras.ops.convert_to_numpy(probe(np.asarray(images), training=False))


def path_activations(model, block, path, images):
    """``path``'s d maps after its 3x3, BatchNorm and ReLU in ``block`` for ``images``: (N, h, w, d)."""
    p = block_paths(model, block)
    if not 0 <= positive_int("path", path, minimum=0) < p.cardinality:
        raise ValueError(f"path must be 0..{p.cardinality - 1} in {block}; got {path}.")
    return block_activations(model, block, images)[..., p.channels(path)]


def weight_norms(model):
    """One row per block and path: L2 norms of the path's part of conv1, conv2 and conv3, and its output strength
    (``sqrt(sum_c gamma2_c**2 * |conv3 row c|**2)`` over the path's channels c)."""
    rows = []
    for name, p in paths(model).items():
        conv1 = _weights(model, names.layer_name(name, "conv1"))[0]  # (1, 1, in, C*d)
        conv2 = _weights(model, names.layer_name(name, "conv2"))[0]  # (3, 3, d, C*d)
        conv3 = _weights(model, names.layer_name(name, "conv3"))[0][0, 0]  # (C*d, out)
        gamma2 = _weights(model, names.layer_name(name, "bn2"))[0]
        for i in range(p.cardinality):
            ch = p.channels(i)
            strength = math.sqrt(float(np.sum(gamma2[ch, None] ** 2 * conv3[ch] ** 2)))
            rows.append(
                dict(
                    block=name,
                    path=i,
                    conv1=float(np.linalg.norm(conv1[..., ch])),
                    conv2=float(np.linalg.norm(conv2[..., ch])),
                    conv3=float(np.linalg.norm(conv3[ch])),
                    strength=strength,
                )
            )
    return rows


def weight_shares(model):
    """``{part: share}``: each part's share of the sum of squared weights of ``model``'s convs and dense layers
    (BatchNorm left out). Parts: "stem", each stage of blocks ("conv2", "conv3", ...: a block's name up to
    names.block_name), "classifier" (the last Dense)."""
    owners = {}
    for layer in model.layers:
        parsed = names.parse_layer_name(layer.name)
        if parsed is not None and names.parse_block_name(parsed[0]) is not None:
            owners[layer.name] = names.parse_block_name(parsed[0])[0]  # the stage of the layer's block
    squares = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization) or not layer.weights:
            continue
        part = owners.get(layer.name, "classifier" if isinstance(layer, keras.layers.Dense) else "stem")
        squares[part] = squares.get(part, 0.0) + sum(float(np.sum(np.square(w))) for w in layer.get_weights())
    total = sum(squares.values())
    return {part: value / total for part, value in squares.items()}


@contextlib.contextmanager
def removed(model, channels):
    """Within the ``with``: the inner channels ``channels`` (``{block: [channel, ...]}``) add nothing to their blocks'
    sums (their rows of the block's last 1x1 are zero). The weights are restored afterwards."""
    saved = {}
    try:
        for block, chosen in channels.items():
            p = block_paths(model, block)
            chosen = sorted(set(int(c) for c in chosen))
            if chosen and not 0 <= chosen[0] <= chosen[-1] < p.inner_channels:
                raise ValueError(f"channels of {block} must lie in 0..{p.inner_channels - 1}; got {chosen}.")
            layer = model.get_layer(names.layer_name(block, "conv3"))
            saved[block] = layer.get_weights()
            kernel = saved[block][0].copy()
            kernel[:, :, chosen, :] = 0
            layer.set_weights([kernel, *saved[block][1:]])
        yield model
    finally:
        for block, weights in saved.items():
            model.get_layer(names.layer_name(block, "conv3")).set_weights(weights)


def accuracy(model, images, labels, batch_size=1000):
    """The fraction of ``images`` that ``model`` classifies as ``labels``."""
    logits = model.predict(np.asarray(images), batch_size=batch_size, verbose=0)
    return float(np.mean(np.asarray(logits).argmax(axis=-1) == np.asarray(labels)))


def ablation(model, block, images, labels, *, unit=None, draws=6, seed=0):
    """Test accuracy with parts of ``block`` removed: ``{removed channels: [accuracy, ...]}``.

    A ResNeXt block (C > 1) loses k = 0..C whole paths (its channels in units of d): every choice of k paths where
    there are at most ``draws`` of them, else ``draws`` random choices (from ``seed``). A ResNet
    block (C = 1) loses 0, ``unit``, 2 ``unit``, ... channels and finally all of them, ``draws`` random choices of that
    many channels each (from ``seed``): with ``unit`` = the ResNeXt's d, the same numbers of channels as its paths.
    """
    p = block_paths(model, block)
    rng = np.random.default_rng(positive_int("seed", seed, minimum=0))
    draws, out = positive_int("draws", draws), {}
    if p.cardinality > 1:
        for k in range(p.cardinality + 1):
            choices = list(itertools.combinations(range(p.cardinality), k))
            if len(choices) > draws:
                choices = [choices[i] for i in sorted(rng.choice(len(choices), draws, replace=False))]
            channels = [sum((p.channels(i) for i in c), []) for c in choices]
            out[k * p.bottleneck_width] = [_score(model, block, chosen, images, labels) for chosen in channels]
        return out
    unit = positive_int("unit", unit or 1)
    for n in sorted({*range(0, p.inner_channels + 1, unit), p.inner_channels}):
        repeats = 1 if n in (0, p.inner_channels) else draws  # removing none or all: one choice only
        picks = [rng.choice(p.inner_channels, n, replace=False) for _ in range(repeats)]
        out[n] = [_score(model, block, pick, images, labels) for pick in picks]
    return out


def ablation_everywhere(model, images, labels, *, widths=None, draws=6, seed=0):
    """Test accuracy with r = 0, 1, ... paths removed in *every* block at once: ``{r: [accuracy, ...]}``, ``draws``
    random choices of the r paths of each block (one for r = 0 and r = C).

    For a ResNet (C = 1) give ``widths``, ``{block: d}`` of the ResNeXt to compare with: r "paths" are then r*d
    random channels of each block (all of them at most), as many channels as the ResNeXt loses.
    """
    found = paths(model)
    rng = np.random.default_rng(positive_int("seed", seed, minimum=0))
    draws = positive_int("draws", draws)
    if widths is not None and set(widths) != set(found):
        raise ValueError(f"widths must give d for each block: {', '.join(found)}; got {sorted(widths)}.")
    units = {b: (p.bottleneck_width if widths is None else positive_int("width", widths[b])) for b, p in found.items()}
    most = max(-(-p.inner_channels // units[b]) for b, p in found.items())  # the r that removes everything
    out = {}
    for r in range(most + 1):
        trials = []
        for _ in range(1 if r in (0, most) else draws):
            chosen = {}
            for b, p in found.items():
                n = min(r * units[b], p.inner_channels)
                if p.cardinality > 1:  # whole paths
                    picks = rng.choice(p.cardinality, n // units[b], replace=False)
                    chosen[b] = sum((p.channels(int(i)) for i in picks), [])
                else:
                    chosen[b] = rng.choice(p.inner_channels, n, replace=False).tolist()
            with removed(model, chosen):
                trials.append(accuracy(model, images, labels))
        out[r] = trials
    return out


def _score(model, block, channels, images, labels):
    with removed(model, {block: channels}):
        return accuracy(model, images, labels)


__all__ = [
    "Paths",
    "paths",
    "block_paths",
    "path_filters",
    "block_activations",
    "path_activations",
    "weight_norms",
    "weight_shares",
    "removed",
    "accuracy",
    "ablation",
    "ablation_everywhere",
]
