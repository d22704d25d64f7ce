"""Whole networks, built from the table of stages in ``resnext_edu.complexity`` (paper Table 1).

``resnext(depth, cardinality, bottleneck_width)`` is ResNeXt-{depth} (C x d); C=1, d=64 is ResNet.
``resnext29`` is the paper's CIFAR network (Sec. 5.3, Table 7).
"""

import dataclasses

import keras

from resnext_edu import complexity, layers, names
from resnext_edu._checks import fits_in_memory, positive_int
from resnext_edu.blocks import BN_EPSILON, BN_MOMENTUM, pad_for, resnext_block, resolve_form


def _check_input_shape(input_shape):
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels); got {input_shape!r}.")
    positive_int("input_shape's channels", input_shape[-1])
    return tuple(input_shape)


def build(
    arch,
    input_shape,
    form="auto",
    *,
    classifier_activation=None,
    conv_implementation="auto",
    block=None,
    blocks_per_stage=None,
    padding="same",
):
    """A Keras model of ``arch`` (a ``complexity.Architecture``): stem, stages of blocks, pool, classifier.

    ``block``: a function called like ``blocks.resnext_block`` (default), to build the network of other blocks
    (``resnext_edu.pitfalls`` has faulty ones); it gets ``form``, ``conv_implementation`` and ``padding`` only if
    it is the default. ``padding="symmetric"``: strided convs and the max pool pad (k - 1) / 2 zeros on each side,
    as torchvision does (``blocks.pad_for``; what ``resnext_edu.port`` builds); "same" is Keras' padding.
    ``blocks_per_stage``: one count per stage of ``arch``, replacing its own (``complexity.with_blocks``).
    """
    if not isinstance(arch, complexity.Architecture):
        raise ValueError(
            "arch must be a complexity.Architecture (complexity.imagenet_architecture(50, 32, 4), "
            f"complexity.cifar_architecture(8, 64), ...); got {arch!r}. By name: models.PRESETS[name]()."
        )
    if blocks_per_stage is not None:
        arch = complexity.with_blocks(arch, blocks_per_stage)
    input_shape = _check_input_shape(input_shape)
    resolve_form(form)
    fits_in_memory(complexity.architecture_params(arch), f"the network {arch.name}")
    if block is not None and not callable(block):
        raise ValueError(f"block must be a function called like blocks.resnext_block, or None; got {block!r}.")
    options = dict(form=form, conv_implementation=conv_implementation, padding=padding) if block is None else {}
    block = block or resnext_block
    arch = dataclasses.replace(arch, in_channels=input_shape[-1])
    inputs = keras.Input(input_shape, name=names.INPUT)
    x, stem_padding = pad_for(inputs, arch.stem_kernel, arch.stem_strides, padding, names.STEM_PAD)
    x = keras.layers.Conv2D(
        arch.stem_filters,
        arch.stem_kernel,
        arch.stem_strides,
        padding=stem_padding,
        use_bias=False,
        kernel_initializer="he_normal",
        name=names.STEM_CONV,
    )(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=names.STEM_BN)(x)
    x = keras.layers.ReLU(name=names.STEM_RELU)(x)
    if arch.stem_pool:  # zeros pad like -inf here: the ReLU's outputs are >= 0
        x, pool_padding = pad_for(x, 3, 2, padding, names.POOL_PAD)
        x = keras.layers.MaxPooling2D(3, 2, padding=pool_padding, name=names.STEM_POOL)(x)
    for stage in arch.stages:
        for i in range(stage.blocks):
            x = block(
                x,
                stage.out_channels,
                stage.cardinality,
                stage.bottleneck_width,
                strides=stage.strides if i == 0 else 1,
                name=names.block_name(stage.name, i + 1),
                **options,
            )
    x = keras.layers.GlobalAveragePooling2D(name=names.GLOBAL_POOL)(x)
    outputs = keras.layers.Dense(arch.num_classes, activation=classifier_activation, name=names.CLASSIFIER)(x)
    return keras.Model(inputs, outputs, name=arch.name)


def resnext(
    depth=None,
    cardinality=32,
    bottleneck_width=4,
    num_classes=1000,
    input_shape=(224, 224, 3),
    form="auto",
    *,
    blocks_per_stage=None,
    **kwargs,
):
    """ResNeXt-{depth} (C x d) for ImageNet (Table 1). Outputs logits.

    ``depth``: one of ``complexity.STAGE_BLOCKS`` (26, 38, 50, 101, 152, 200; default 50), or any stage table as
    ``blocks_per_stage=(n2, n3, n4, n5)`` (depth 3 * sum + 2; both may be given if they agree).
    """
    _check_input_shape(input_shape)
    arch = complexity.imagenet_architecture(
        depth, cardinality, bottleneck_width, num_classes, tuple(input_shape[:2]), blocks_per_stage=blocks_per_stage
    )
    return build(arch, input_shape, form, **kwargs)


def resnext29(cardinality=8, bottleneck_width=64, num_classes=10, input_shape=(32, 32, 3), form="auto", **kwargs):
    """The CIFAR ResNeXt-29 (C x d): 3x3 stem of 64, 3 stages of 3 blocks, d doubling per stage."""
    return resnext_cifar(cardinality, bottleneck_width, num_classes, input_shape, form, **kwargs)


def resnext_cifar(
    cardinality=8,
    bottleneck_width=64,
    num_classes=10,
    input_shape=(32, 32, 3),
    form="auto",
    *,
    blocks_per_stage=3,
    out_channels=256,
    stem_filters=64,
    stem_strides=1,
    **kwargs,
):
    """A CIFAR ResNeXt of depth 9n + 2, scaled by ``out_channels``, ``stem_filters`` and ``stem_strides`` (defaults:
    ResNeXt-29; ``complexity.cifar_architecture``)."""
    _check_input_shape(input_shape)
    arch = complexity.cifar_architecture(
        cardinality,
        bottleneck_width,
        num_classes,
        tuple(input_shape[:2]),
        blocks_per_stage=blocks_per_stage,
        out_channels=out_channels,
        stem_filters=stem_filters,
        stem_strides=stem_strides,
    )
    return build(arch, input_shape, form, **kwargs)


def resnet50(**kwargs):
    """ResNet-50 (1 x 64d): 25,557,032 trainable parameters, 4.1 G multiply-adds."""
    return resnext(50, 1, 64, **kwargs)


def resnet101(**kwargs):
    """ResNet-101 (1 x 64d)."""
    return resnext(101, 1, 64, **kwargs)


def resnet152(**kwargs):
    """ResNet-152 (1 x 64d)."""
    return resnext(152, 1, 64, **kwargs)


def resnet200(**kwargs):
    """ResNet-200 (1 x 64d), stages of 3, 24, 36, 3 blocks: Table 4's deeper network (post-activation here)."""
    return resnext(200, 1, 64, **kwargs)


def resnext50_32x4d(**kwargs):
    """ResNeXt-50 (32 x 4d): 25,028,904 trainable parameters, 4.2 G multiply-adds (Table 3)."""
    return resnext(50, 32, 4, **kwargs)


def resnext101_32x4d(**kwargs):
    """ResNeXt-101 (32 x 4d)."""
    return resnext(101, 32, 4, **kwargs)


def resnext101_32x8d(**kwargs):
    """ResNeXt-101 (32 x 8d), torchvision's wide variant."""
    return resnext(101, 32, 8, **kwargs)


def resnext101_64x4d(**kwargs):
    """ResNeXt-101 (64 x 4d): Table 4's doubled cardinality, Table 5's best single model."""
    return resnext(101, 64, 4, **kwargs)


def resnext29_8x64d(**kwargs):
    """CIFAR ResNeXt-29 (8 x 64d): 34.4 M parameters (Table 7)."""
    return resnext29(8, 64, **kwargs)


def resnext29_16x64d(**kwargs):
    """CIFAR ResNeXt-29 (16 x 64d): 68.1 M conv and fc weights (Table 7); 68.2 M with BN."""
    return resnext29(16, 64, **kwargs)


#: The presets by name, as the README's reference counts list them.
PRESETS = {
    f.__name__: f
    for f in (
        resnet50,
        resnet101,
        resnet152,
        resnet200,
        resnext50_32x4d,
        resnext101_32x4d,
        resnext101_32x8d,
        resnext101_64x4d,
        resnext29_8x64d,
        resnext29_16x64d,
    )
}
