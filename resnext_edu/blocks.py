"""The ResNet bottleneck and the ResNeXt block in the three forms of the paper's Fig. 3.

Every block computes y = relu(shortcut(x) + BN(F(x))), F(x) = sum_i T_i(x) (Eqs. 2-3), where each
path T_i is 1x1 conv (-> d) . 3x3 conv (d -> d) . 1x1 conv (d -> out), with BN + ReLU after the
first two convs (torchvision's design: no conv biases, stride in the 3x3). The forms differ only
in how the C paths are laid out:

- (a) aggregated paths: C separate paths, their last 1x1 outputs summed (Fig. 3a);
- (b) early concatenation: C paths of 1x1 . 3x3, concatenated, then one 1x1 (Fig. 3b);
- (c) grouped convolution: one 1x1 to C*d channels, one 3x3 conv in C groups, one 1x1 (Fig. 3c).

``padding="symmetric"`` pads a strided 3x3 by one zero on each side, as torchvision and the paper's Torch code
do (``resnext_edu.port``); Keras' "same" pads 0 before and 1 after on even sizes (stride-1 convs agree either way).

Layer names follow one scheme (``{name}_conv1``, ``{name}_path{i}_conv2``, ``{name}_bn3``, ...),
so that model summaries read like the paper's table and ``equivalence.convert`` can map weights.
"""

import keras

from resnext_edu import layers
from resnext_edu._checks import FORMS, one_of, positive_int

BN_EPSILON = 1e-5  # torchvision's
BN_MOMENTUM = 0.9  # torchvision's momentum=0.1, in Keras' convention
PADDINGS = ("same", "symmetric")


def resolve_form(form, cardinality=32):
    """The form ``form`` builds: ``"auto"`` is (c), one grouped conv whose op suits the device.

    (c) is fastest wherever the grouped conv runs on a native kernel, which ``layers.Conv2D``
    ensures (see ``resnext_edu.layers``); the C small convolutions of (a) and (b) cost a kernel
    launch and a memory pass each. ``python -m resnext_edu.benchmark`` measures all of them.
    """
    one_of("form", form, FORMS)
    positive_int("cardinality", cardinality)
    return "c" if form == "auto" else form


def pad_for(x, kernel_size, strides, padding, name):
    """``(x, conv padding)``: "symmetric" with a stride > 1 zero-pads (k - 1) / 2 on each side, then a "valid" conv."""
    if one_of("padding", padding, PADDINGS) == "same" or strides == 1 or kernel_size == 1:
        return x, "same"
    return keras.layers.ZeroPadding2D(kernel_size // 2, name=name)(x), "valid"


def _conv(x, filters, kernel_size, name, strides=1, groups=1, implementation="auto", padding="same"):
    return layers.Conv2D(
        filters,
        kernel_size,
        strides,
        padding=padding,
        groups=groups,
        use_bias=False,
        kernel_initializer="he_normal",
        implementation=implementation,
        name=name,
    )(x)


def _bn(x, name):
    return layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name)(x)


def _conv_bn_relu(x, filters, kernel_size, prefix, index, strides=1, groups=1, implementation="auto", padding="same"):
    """conv -> BN -> ReLU, named ``{prefix}_conv{index}``, ``{prefix}_bn{index}``, ``{prefix}_relu{index}``."""
    x, padding = pad_for(x, kernel_size, strides, padding, f"{prefix}_pad{index}")
    x = _conv(x, filters, kernel_size, f"{prefix}_conv{index}", strides, groups, implementation, padding)
    x = _bn(x, f"{prefix}_bn{index}")
    return keras.layers.ReLU(name=f"{prefix}_relu{index}")(x)


def _input_channels(x):
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) != 4 or shape[-1] is None:
        raise ValueError(
            "a block needs a 4-D channels-last tensor (batch, height, width, channels) with "
            f"known channels; got shape {shape}."
        )
    return int(shape[-1])


def resnext_block(
    x,
    filters,
    cardinality,
    bottleneck_width,
    strides=1,
    form="c",
    name=None,
    *,
    conv_implementation="auto",
    padding="same",
):
    """One ResNeXt block, y = x + sum_{i=1..C} T_i(x) (Eq. 3), in form "a", "b", "c" or "auto" (Fig. 3).

    ``filters``: output channels; ``cardinality``: C, the number of paths; ``bottleneck_width``: d,
    each path's inner width; ``strides``: of the 3x3 conv (and of the projection shortcut).
    ``conv_implementation`` is passed to the grouped ``layers.Conv2D`` of form (c) ("keras": the stock op).
    ``padding``: "same" (Keras') or "symmetric" (torchvision's; module doc) for a strided 3x3.
    """
    in_channels = _input_channels(x)
    filters = positive_int("filters", filters)
    c = positive_int("cardinality", cardinality)
    d = positive_int("bottleneck_width", bottleneck_width)
    strides = positive_int("strides", strides)
    form = resolve_form(form, c)
    one_of("padding", padding, PADDINGS)
    if name is None:
        name = f"resnext_block_{keras.backend.get_uid('resnext_block')}"
    elif not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string or None; got {name!r}.")

    if form == "c":  # Fig. 3c: 1x1 to C*d, 3x3 in C groups, 1x1
        t = _conv_bn_relu(x, c * d, 1, name, 1)
        t = _conv_bn_relu(t, c * d, 3, name, 2, strides, c, conv_implementation, padding)
        t = _conv(t, filters, 1, f"{name}_conv3")
    else:
        paths = []
        for i in range(1, c + 1):
            p = _conv_bn_relu(x, d, 1, f"{name}_path{i}", 1)
            p = _conv_bn_relu(p, d, 3, f"{name}_path{i}", 2, strides, padding=padding)
            if form == "a":  # Fig. 3a: each path ends in its own 1x1 to `filters`
                p = _conv(p, filters, 1, f"{name}_path{i}_conv3")
            paths.append(p)
        if form == "a":
            t = keras.layers.Add(name=f"{name}_sum")(paths)
        else:  # Fig. 3b: concatenate the paths, then one 1x1
            t = keras.layers.Concatenate(name=f"{name}_concat")(paths)
            t = _conv(t, filters, 1, f"{name}_conv3")
    t = _bn(t, f"{name}_bn3")

    shortcut = x
    if strides != 1 or in_channels != filters:  # projection shortcut (He et al. option B)
        shortcut = _conv(x, filters, 1, f"{name}_shortcut_conv", strides)
        shortcut = _bn(shortcut, f"{name}_shortcut_bn")
    y = keras.layers.Add(name=f"{name}_add")([shortcut, t])
    return keras.layers.ReLU(name=f"{name}_out")(y)


def bottleneck_block(x, filters, strides=1, name=None):
    """The ResNet bottleneck (He et al. 2016): 1x1 (-> filters/4), 3x3, 1x1 (-> filters); C = 1."""
    filters = positive_int("filters", filters, minimum=4)
    if filters % 4:
        raise ValueError(f"filters must be a multiple of 4 (the bottleneck is filters/4 wide); got {filters}.")
    if name is None:
        name = f"bottleneck_{keras.backend.get_uid('bottleneck')}"
    return resnext_block(x, filters, 1, filters // 4, strides, form="c", name=name)


def depth2_block(x, filters, cardinality, bottleneck_width, form="a", name=None):
    """A block of depth 2 (Fig. 4): C paths of 3x3 (-> d) . 3x3 (d -> filters), or one wide pair.

    ``form="a"`` sums C paths; ``form="wide"`` is Fig. 4 right: one 3x3 to C*d channels and one 3x3
    back, no groups. They compute the same function (``equivalence.depth2_to_wide``): with only two
    layers, every path's first layer sees the whole input and the sum of the last layers is one
    wide conv, so aggregation adds nothing that width does not. Grouping needs depth >= 3.
    """
    in_channels = _input_channels(x)
    filters = positive_int("filters", filters)
    c = positive_int("cardinality", cardinality)
    d = positive_int("bottleneck_width", bottleneck_width)
    one_of("form", form, ("a", "wide"))
    name = name or f"depth2_block_{keras.backend.get_uid('depth2_block')}"
    if form == "wide":
        t = _conv_bn_relu(x, c * d, 3, name, 1)
        t = _conv(t, filters, 3, f"{name}_conv2")
    else:
        paths = [
            _conv(_conv_bn_relu(x, d, 3, f"{name}_path{i}", 1), filters, 3, f"{name}_path{i}_conv2")
            for i in range(1, c + 1)
        ]
        t = keras.layers.Add(name=f"{name}_sum")(paths)
    t = _bn(t, f"{name}_bn2")
    shortcut = x
    if in_channels != filters:
        shortcut = _bn(_conv(x, filters, 1, f"{name}_shortcut_conv"), f"{name}_shortcut_bn")
    return keras.layers.ReLU(name=f"{name}_out")(keras.layers.Add(name=f"{name}_add")([shortcut, t]))
