"""The exact computations of a grouped convolution, and the choice among them (``layers.Conv2D`` runs them).

A grouped 3x3 with C groups of d channels (form c of Fig. 3) can be computed many ways with the same outputs and
gradients; which is fastest depends on the framework, the device and the shape (``benchmark.conv_sweep`` times
them). ``implementation``:

- ``"native"``: ``tf.nn.conv2d`` with the grouped kernel (oneDNN on CPU, cuDNN on GPU);
- ``"split"``: one ``tf.nn.conv2d`` per group, concatenated (for TensorFlow builds whose native op rejects
  grouped kernels);
- ``"merged"``: the groups gathered into fewer, wider groups of at least ``MERGED_CHANNELS`` input channels, with
  a block-diagonal kernel (``merge_kernel``: the added products are exact zeros);
- ``"dense"``: the same with one group: a dense convolution of the block-diagonal kernel (C times the
  multiply-adds, at a dense convolution's speed);
- ``"dense-gradient"``: the backend's own grouped op forward, its two gradients computed as those of "dense"
  (for backends whose grouped convolution is fast forward and slow backward, as XLA's on a CPU);
- ``"depthwise"``: for one input channel per group (C = channels): a depthwise convolution of the reshaped kernel;
- ``"keras"``: Keras' own op (the stock layer's computation: through XLA on TensorFlow).

"native" and "split" need TensorFlow, "dense-gradient" TensorFlow or JAX; the others run on every backend.
``resolve_implementation("auto")`` picks "native" on TensorFlow when a one-off check on the device
(``native_grouped_conv_works``) shows that it computes grouped convolutions and their gradients exactly, else
"merged" ("depthwise" for groups of one channel), which is faster than "split" there; "dense-gradient" on JAX;
Keras' op on PyTorch (whose grouped convolution is oneDNN's). TensorFlow's CPU builds compute grouped gradients only
with oneDNN's kernels, which they turn on by default only on processors with AVX-512's neural-network instructions
(``TF_ENABLE_ONEDNN_OPTS=1`` turns them on elsewhere): without them "native" is refused with a ``ValueError``, and
"merged" and "dense-gradient", which run grouped kernels too, compute them group by group.
"""

import functools

import keras
import numpy as np

IMPLEMENTATIONS = ("auto", "native", "split", "merged", "dense", "dense-gradient", "depthwise", "keras")
_NEEDS = {"native": ("tensorflow",), "split": ("tensorflow",), "dense-gradient": ("tensorflow", "jax")}

#: "merged" gathers groups into merged groups of at least this many input channels: the float32 lanes of an
#: AVX-512 register, the width at which oneDNN's CPU kernels stop padding a group's channels.
MERGED_CHANNELS = 16


@functools.cache
def native_grouped_conv_works(device=""):
    """True if TensorFlow's conv ops take grouped kernels exactly on ``device``, as a model runs them.

    Compares with the same ops applied group by group: the three ops that a training step runs (forward, both
    gradients), and, in a compiled graph, the fusions that TensorFlow's graph optimiser makes of a convolution
    followed by BatchNorm or bias, and ReLU (without oneDNN, its fused kernel rejects grouped convolutions).
    """
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x, k, dy = (tf.constant(rng.standard_normal(s), tf.float32) for s in ((1, 5, 5, 4), (3, 3, 2, 4), (1, 5, 5, 4)))
    scale, shift = tf.constant([1.0, 2.0, 0.5, 1.5]), tf.constant([0.1, -0.2, 0.3, 0.0])
    args = dict(strides=[1, 1, 1, 1], padding="SAME")

    def ops(x, k, dy):
        return (
            tf.nn.conv2d(x, k, **args),
            tf.raw_ops.Conv2DBackpropInput(input_sizes=tf.shape(x), filter=k, out_backprop=dy, **args),
            tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=tf.shape(k), out_backprop=dy, **args),
        )

    @tf.function
    def fused(x, k):  # the patterns the remapper fuses: conv + FusedBatchNorm + ReLU, conv + bias + ReLU
        z = tf.nn.conv2d(x, k, **args)
        y, *_ = tf.raw_ops.FusedBatchNormV3(
            x=z, scale=scale, offset=shift, mean=shift, variance=scale, epsilon=1e-3, is_training=False
        )
        return tf.nn.relu(y), tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, k, **args), shift))

    try:
        with tf.init_scope(), tf.device(device):
            native = ops(x, k, dy)
            groups = [ops(*parts) for parts in zip(tf.split(x, 2, -1), tf.split(k, 2, -1), tf.split(dy, 2, -1))]
            reference = [tf.concat(list(outs), -1) for outs in zip(*groups)]
            z = reference[0]
            bn = tf.nn.relu((z - shift) / tf.sqrt(scale + 1e-3) * scale + shift)
            pairs = [*zip(native, reference), *zip(fused(x, k), (bn, tf.nn.relu(z + shift)))]
            return all(float(tf.reduce_max(tf.abs(a - b))) < 1e-4 for a, b in pairs)
    except Exception:  # any failure of the native ops means: do not use them here
        return False


def _split_conv(x, kernel, groups, strides, padding, dilations):
    import tensorflow as tf

    xs = tf.split(x, groups, axis=-1)
    ks = tf.split(kernel, groups, axis=-1)
    ys = [tf.nn.conv2d(a, b, strides, padding, dilations=dilations) for a, b in zip(xs, ks)]
    return tf.concat(ys, axis=-1)


def _conv(x, kernel, strides, padding, dilations):
    """A convolution whose groups are read off the kernel: TensorFlow's op (group by group where its grouped op is
    not exact on this device), or Keras' on other backends."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        groups = x.shape[-1] // kernel.shape[2]
        if groups > 1 and not native_grouped_conv_works():
            return _split_conv(x, kernel, groups, strides, padding.upper(), dilations)
        return tf.nn.conv2d(x, kernel, strides, padding.upper(), dilations=dilations)
    return keras.ops.conv(x, kernel, strides, padding, dilation_rate=dilations)


def _depthwise(x, kernel, strides, padding, dilations):
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.nn.depthwise_conv2d(x, kernel, [1, *strides, 1], padding.upper(), dilations=dilations)
    return keras.ops.depthwise_conv(x, kernel, strides, padding, dilation_rate=dilations)


def merged_groups(channels, groups, minimum=MERGED_CHANNELS):
    """How many groups "merged" makes of ``groups`` groups of ``channels / groups`` input channels: the most whose
    merged groups hold at least ``minimum`` channels each (``groups`` if they already do, 1 if none can)."""
    if channels // groups >= minimum:
        return groups
    return max((m for m in range(1, groups + 1) if groups % m == 0 and channels // m >= minimum), default=1)


def merge_kernel(kernel, groups, merged):
    """The block-diagonal kernel of ``merged`` groups that computes what grouped ``kernel`` computes in ``groups``.

    Output channels keep their order; merged group j reads the input channels of groups j*p .. (j+1)*p - 1
    (p = groups / merged), and its kernel is zero wherever an output channel's own group does not reach:
    y = conv(x, merge_kernel(k)) equals the grouped conv exactly (the added products are exact zeros), and so do
    the gradients, which flow to the diagonal blocks only.
    """
    p = groups // merged
    if p == 1:
        return kernel
    kh, kw, per, out = kernel.shape
    k = keras.ops.reshape(kernel, (kh, kw, per, merged, p, out // groups))  # [h, w, c, j, q, o]
    blocks = keras.ops.einsum("hwcjqo,iq->hwicjqo", k, keras.ops.eye(p, dtype=kernel.dtype))
    return keras.ops.reshape(blocks, (kh, kw, p * per, out))


#: Implementations that also need something of the device: ``(check, what a refusal says it needs)``.
_DEVICE_NEEDS = {
    "native": (
        lambda: native_grouped_conv_works(),
        "TensorFlow's grouped convolution and its gradients, which TensorFlow does not compute exactly on this device "
        "(native_grouped_conv_works() is False: on a CPU, its oneDNN kernels are off, as they are by default without "
        "AVX-512's neural-network instructions; TF_ENABLE_ONEDNN_OPTS=1, set before TensorFlow is imported, turns "
        "them on)",
    ),
}


def _runs_here(implementation, backend):
    """Whether ``implementation`` (not "auto") runs on ``backend`` and this device (any group width)."""
    if backend not in _NEEDS.get(implementation, (backend,)):
        return False
    return implementation not in _DEVICE_NEEDS or _DEVICE_NEEDS[implementation][0]()


def usable_implementations(group_width=None):
    """The implementations (not "auto") that run on this backend and device; "depthwise" only for
    ``group_width`` = 1 (one input channel per group)."""
    backend = keras.backend.backend()
    return tuple(i for i in IMPLEMENTATIONS[1:] if _runs_here(i, backend) and (i != "depthwise" or group_width == 1))


def resolve_implementation(implementation="auto", group_width=None):
    """The computation ``Conv2D`` uses for ``implementation`` on this backend and device; ``group_width``: the
    input channels per group, if known (on TensorFlow without an exact native op, "auto" takes "depthwise" for 1,
    else "merged": fewer, wider groups, convolved one by one)."""
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}; got {implementation!r}.")
    backend = keras.backend.backend()
    if implementation != "auto":
        if backend not in _NEEDS.get(implementation, (backend,)):
            here = ", ".join(repr(i) for i in IMPLEMENTATIONS if backend in _NEEDS.get(i, (backend,)))
            raise ValueError(
                f"implementation={implementation!r} needs the {' or '.join(_NEEDS[implementation])} backend; this "
                f"is {backend!r}. Use one of {here}."
            )
        if not _runs_here(implementation, backend):
            here = ", ".join(repr(i) for i in ("auto", *usable_implementations()))
            raise ValueError(
                f"implementation={implementation!r} needs {_DEVICE_NEEDS[implementation][1]}. Use one of {here}."
            )
        return implementation
    if backend == "jax":
        return "dense-gradient"
    if backend != "tensorflow":
        return "keras"
    if native_grouped_conv_works():
        return "native"
    return "depthwise" if group_width == 1 else "merged"


def convolve(inputs, kernel, groups, strides, padding, dilations, implementation):
    """The grouped convolution of channels-last ``inputs`` with ``kernel`` (kh, kw, in/groups, out), computed by
    ``implementation`` (resolved: not "auto", not "keras"); ``padding``: "same" or "valid"."""
    if implementation == "depthwise":
        kh, kw, per_group, out = kernel.shape
        if per_group != 1:
            raise ValueError(
                f"implementation='depthwise' needs one input channel per group; it has {per_group} ({groups} groups)."
            )
        depthwise = keras.ops.reshape(kernel, (kh, kw, groups, out // groups))
        return _depthwise(inputs, depthwise, strides, padding, dilations)
    if implementation == "split":
        return _split_conv(inputs, kernel, groups, strides, padding.upper(), dilations)
    if implementation in ("merged", "dense"):
        merged = merged_groups(kernel.shape[2] * groups, groups) if implementation == "merged" else 1
        return _conv(inputs, merge_kernel(kernel, groups, merged), strides, padding, dilations)
    if implementation == "dense-gradient":
        return _dense_gradient(inputs, kernel, groups, strides, padding, dilations)
    return _conv(inputs, kernel, strides, padding, dilations)


def _dense_gradient(inputs, kernel, groups, strides, padding, dilations):
    """The grouped op forward; backward, the gradients of the dense block-diagonal convolution (exactly equal)."""

    def forward(x, k):
        return _conv(x, k, strides, padding, dilations)

    def dense(x, k):
        return _conv(x, merge_kernel(k, groups, 1), strides, padding, dilations)

    if keras.backend.backend() == "jax":
        import jax

        @jax.custom_vjp
        def conv(x, k):
            return forward(x, k)

        conv.defvjp(lambda x, k: (forward(x, k), (x, k)), lambda saved, dy: jax.vjp(dense, *saved)[1](dy))
        return conv(keras.ops.convert_to_tensor(inputs), keras.ops.convert_to_tensor(kernel))
    import tensorflow as tf

    @tf.custom_gradient
    def conv(x, k):
        def gradient(dy):
            with tf.GradientTape() as tape:
                tape.watch([x, k])
                y = dense(x, k)
            return tape.gradient(y, [x, k], output_gradients=dy)

        return forward(x, k), gradient

    return conv(tf.convert_to_tensor(inputs), tf.convert_to_tensor(kernel))
