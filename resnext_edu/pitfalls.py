"""Faulty ResNeXt blocks, written the way public implementations got them wrong (the pitfalls chapter).

Each block function is called like ``blocks.resnext_block`` (``x, filters, cardinality, bottleneck_width,
strides, name``), so ``models.build(arch, input_shape, block=pitfalls.late_bound_slices)`` builds a whole
network of it; ``projection_plus_n`` gets the stages wrong instead. They use stock Keras layers and no layer
names of the library: ``audit.compare`` has to find each mistake from the graph alone. ``bound_slices`` is
the correct version of ``late_bound_slices``, to show that slicing is not the mistake.
"""

import dataclasses

import keras

from resnext_edu import complexity


def _conv_bn(x, filters, kernel_size, strides=1, groups=1, relu=True):
    x = keras.layers.Conv2D(filters, kernel_size, strides, padding="same", groups=groups, use_bias=False)(x)
    x = keras.layers.BatchNormalization(epsilon=1e-5)(x)
    return keras.layers.ReLU()(x) if relu else x


def _merge(x, t, filters, strides):
    """The shortcut (projection where the shape changes) added to the residual branch, then ReLU (Eq. 3)."""
    if strides != 1 or x.shape[-1] != filters:
        x = _conv_bn(x, filters, 1, strides, relu=False)
    return keras.layers.ReLU()(keras.layers.Add()([x, t]))


def late_bound_slices(x, filters, cardinality, bottleneck_width, strides=1, name=None):
    """Form (b) with per-path ``Lambda`` slices whose loop variable ``i`` is read when the model runs."""
    d = bottleneck_width
    t = _conv_bn(x, cardinality * d, 1)
    paths = []
    for i in range(cardinality):
        # The bug: `i` is looked up when the Lambda runs, after the loop: every path gets the last slice.
        part = keras.layers.Lambda(lambda z: z[..., i * d : (i + 1) * d])(t)  # noqa: B023 (ruff warns of it)
        paths.append(_conv_bn(part, d, 3, strides))
    t = _conv_bn(keras.layers.Concatenate()(paths), filters, 1, relu=False)
    return _merge(x, t, filters, strides)


def bound_slices(x, filters, cardinality, bottleneck_width, strides=1, name=None):
    """``late_bound_slices`` done right: ``i=i`` binds each path's slice when the ``Lambda`` is made."""
    d = bottleneck_width
    t = _conv_bn(x, cardinality * d, 1)
    paths = []
    for i in range(cardinality):
        part = keras.layers.Lambda(lambda z, i=i: z[..., i * d : (i + 1) * d])(t)
        paths.append(_conv_bn(part, d, 3, strides))
    t = _conv_bn(keras.layers.Concatenate()(paths), filters, 1, relu=False)
    return _merge(x, t, filters, strides)


def groups_as_width(x, filters, cardinality, bottleneck_width, strides=1, name=None):
    """Form (c) with the group *width* passed where the number of groups belongs."""
    width = cardinality * bottleneck_width
    t = _conv_bn(x, width, 1)
    t = _conv_bn(t, width, 3, strides, groups=width // cardinality)  # should be groups=cardinality
    t = _conv_bn(t, filters, 1, relu=False)
    return _merge(x, t, filters, strides)


def full_width_copies(x, filters, cardinality, bottleneck_width, strides=1, name=None):
    """C copies of the whole ResNet bottleneck (width filters/4 each), summed: C times its cost."""
    paths = []
    for _ in range(cardinality):
        t = _conv_bn(x, filters // 4, 1)
        t = _conv_bn(t, filters // 4, 3, strides)
        paths.append(_conv_bn(t, filters, 1, relu=False))
    return _merge(x, keras.layers.Add()(paths), filters, strides)


def concatenated_shortcut(x, filters, cardinality, bottleneck_width, strides=1, name=None):
    """Form (c) whose shortcut is concatenated to the residual branch instead of added to it."""
    width = cardinality * bottleneck_width
    t = _conv_bn(x, width, 1)
    t = _conv_bn(t, width, 3, strides, groups=cardinality)
    t = _conv_bn(t, filters, 1, relu=False)
    shortcut = x if strides == 1 and x.shape[-1] == filters else _conv_bn(x, filters, 1, strides, relu=False)
    return keras.layers.ReLU()(keras.layers.Concatenate()([shortcut, t]))  # should be Add


def split_input(x, filters, cardinality, bottleneck_width, strides=1, name=None):
    """Form (a) that splits the block's *input* into C groups: each path's 1x1 sees 1/C of the channels."""
    share = x.shape[-1] // cardinality
    paths = []
    for i in range(cardinality):
        part = keras.layers.Lambda(lambda z, i=i: z[..., i * share : (i + 1) * share])(x)  # should be all of x
        t = _conv_bn(part, bottleneck_width, 1)
        t = _conv_bn(t, bottleneck_width, 3, strides)
        paths.append(_conv_bn(t, filters, 1, relu=False))
    return _merge(x, keras.layers.Add()(paths), filters, strides)


def stride_on_first_1x1(x, filters, cardinality, bottleneck_width, strides=1, name=None):
    """Form (c) with a stage's stride on the first 1x1, as Keras' ResNet50 and ResNet's Caffe models place it.

    Not a bug but another convention: the paper puts the stride on the 3x3 (Sec. 4). Same weights, fewer
    multiply-adds (the first 1x1 runs at the lower resolution), a different function.
    """
    width = cardinality * bottleneck_width
    t = _conv_bn(x, width, 1, strides)  # the stride here, not in the 3x3
    t = _conv_bn(t, width, 3, groups=cardinality)
    t = _conv_bn(t, filters, 1, relu=False)
    return _merge(x, t, filters, strides)


def projection_plus_n(arch):
    """``arch`` built as "one projection block plus n identity blocks" per stage: one block too many."""
    if not isinstance(arch, complexity.Architecture):
        raise ValueError(f"projection_plus_n needs a complexity.Architecture; got {arch!r}.")
    stages = tuple(dataclasses.replace(stage, blocks=stage.blocks + 1) for stage in arch.stages)
    return dataclasses.replace(arch, stages=stages)


#: The faulty blocks, by name (``bound_slices`` is the correct control).
FAULTY_BLOCKS = {
    f.__name__: f for f in (late_bound_slices, groups_as_width, full_width_copies, concatenated_shortcut, split_input)
}

__all__ = [
    "late_bound_slices",
    "bound_slices",
    "groups_as_width",
    "full_width_copies",
    "concatenated_shortcut",
    "split_input",
    "stride_on_first_1x1",
    "projection_plus_n",
    "FAULTY_BLOCKS",
]
