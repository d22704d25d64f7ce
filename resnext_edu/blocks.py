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

Layer names have one owner, ``resnext_edu.names`` (``{block}_conv1``, ``{block}_path{i}_conv2``, ``{block}_bn3``,
...): model summaries read like the paper's table, and ``equivalence``, ``plots`` and ``audit`` look layers up by it.
"""

import keras

from resnext_edu import complexity, layers
from resnext_edu._checks import FORMS, fits_in_memory, one_of, positive_int
from resnext_edu.names import block_name, layer_name, parse_block_name, parse_layer_name  # noqa: F401 (public here)

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


def _conv_bn_relu(
    x, filters, kernel_size, block, index, path=None, strides=1, groups=1, implementation="auto", padding="same"
):
    """conv -> BN -> ReLU: the parts ``conv{index}``, ``bn{index}``, ``relu{index}`` of ``block`` (or of its path),
    after a ``pad{index}`` layer where ``padding="symmetric"`` pads a strided conv (``pad_for``)."""
    x, padding = pad_for(x, kernel_size, strides, padding, layer_name(block, f"pad{index}", path))
    x = _conv(
        x, filters, kernel_size, layer_name(block, f"conv{index}", path), strides, groups, implementation, padding
    )
    x = _bn(x, layer_name(block, f"bn{index}", path))
    return keras.layers.ReLU(name=layer_name(block, f"relu{index}", path))(x)


def _input_channels(x):
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) != 4 or shape[-1] is None:
        raise ValueError(
            "a block needs a 4-D channels-last tensor (batch, height, width, channels) with "
            f"known channels; got shape {shape}."
        )
    return int(shape[-1])


def _block_arguments(x, filters, cardinality, bottleneck_width, strides, form, name, kind="resnext_block"):
    """Check a block's arguments; returns ``(in_channels, filters, C, d, strides, form, name)``."""
    in_channels = _input_channels(x)
    c = positive_int("cardinality", cardinality)
    args = (
        positive_int("filters", filters),
        c,
        positive_int("bottleneck_width", bottleneck_width),
        positive_int("strides", strides),
        resolve_form(form, c) if form != "wide" else form,
    )
    if name is None:
        name = f"{kind}_{keras.backend.get_uid(kind)}"
    elif not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string or None; got {name!r}.")
    return (in_channels, *args, name)


def _shortcut(x, in_channels, filters, strides, name):
    """Identity, or a 1x1 conv + BN projection where the shape changes (He et al. 2016, option B)."""
    if strides == 1 and in_channels == filters:
        return x
    return _bn(_conv(x, filters, 1, layer_name(name, "shortcut_conv"), strides), layer_name(name, "shortcut_bn"))


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
    in_channels, filters, c, d, strides, form, name = _block_arguments(
        x, filters, cardinality, bottleneck_width, strides, form, name
    )
    fits_in_memory(complexity.block_weights(in_channels, filters, c, d, strides), "this block")
    one_of("padding", padding, PADDINGS)
    if form == "c":  # Fig. 3c: 1x1 to C*d, 3x3 in C groups, 1x1
        t = _conv_bn_relu(x, c * d, 1, name, 1)
        t = _conv_bn_relu(t, c * d, 3, name, 2, None, strides, c, conv_implementation, padding)
        t = _conv(t, filters, 1, layer_name(name, "conv3"))
    else:  # Fig. 3a and 3b: C paths of 1x1 (-> d) and 3x3 (d -> d)
        paths = []
        for i in range(1, c + 1):
            p = _conv_bn_relu(_conv_bn_relu(x, d, 1, name, 1, i), d, 3, name, 2, i, strides, padding=padding)
            if form == "a":  # each path ends in its own 1x1 to `filters`
                p = _conv(p, filters, 1, layer_name(name, "conv3", i))
            paths.append(p)
        if form == "a":  # the paths' outputs are summed
            t = keras.layers.Add(name=layer_name(name, "sum"))(paths)
        else:  # concatenate the paths, then one 1x1
            t = keras.layers.Concatenate(name=layer_name(name, "concat"))(paths)
            t = _conv(t, filters, 1, layer_name(name, "conv3"))
    t = _bn(t, layer_name(name, "bn3"))
    y = keras.layers.Add(name=layer_name(name, "add"))([_shortcut(x, in_channels, filters, strides, name), t])
    return keras.layers.ReLU(name=layer_name(name, "out"))(y)


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
    one_of("form", form, ("a", "wide"))
    in_channels, filters, c, d, _, form, name = _block_arguments(
        x, filters, cardinality, bottleneck_width, 1, form, name, kind="depth2_block"
    )
    if form == "wide":
        t = _conv_bn_relu(x, c * d, 3, name, 1)
        t = _conv(t, filters, 3, layer_name(name, "conv2"))
    else:
        paths = [
            _conv(_conv_bn_relu(x, d, 3, name, 1, i), filters, 3, layer_name(name, "conv2", i)) for i in range(1, c + 1)
        ]
        t = keras.layers.Add(name=layer_name(name, "sum"))(paths)
    t = _bn(t, layer_name(name, "bn2"))
    y = keras.layers.Add(name=layer_name(name, "add"))([_shortcut(x, in_channels, filters, 1, name), t])
    return keras.layers.ReLU(name=layer_name(name, "out"))(y)
