"""``Conv2D``: Keras' conv layer with a grouped convolution (form c) fast for inference and training.

Keras 3 on TensorFlow sends ``Conv2D(groups > 1)`` through XLA, which on a CPU is about 9x
slower to predict and hundreds of times slower to train than TensorFlow's own ``tf.nn.conv2d``
on the same grouped kernel. ``resnext_edu.layers.Conv2D`` is a ``keras.layers.Conv2D`` (same
weights, same layout: kernel ``(kh, kw, in/groups, out)``) whose grouped convolution runs on the
fastest exact computation of the backend and device. It keeps the class name ``Conv2D`` because
Keras 3 files a layer's weights under its class name: weight files of models built with it and
with the stock layer are interchangeable. Computations (``implementation``), all exact:

- ``"native"``: ``tf.nn.conv2d`` with the grouped kernel (oneDNN on CPU, cuDNN on GPU);
- ``"split"``: one ``tf.nn.conv2d`` per group, concatenated (for TensorFlow builds whose native op rejects
  grouped kernels);
- ``"merged"``: the groups gathered into fewer, wider groups of at least ``MERGED_CHANNELS`` input channels, with
  a block-diagonal kernel (``merge_kernel``: the added products are exact zeros);
- ``"dense"``: the same with one group: a dense convolution of the block-diagonal kernel (C times the
  multiply-adds, at a dense convolution's speed);
- ``"depthwise"``: for one input channel per group (C = channels): a depthwise convolution of the reshaped kernel;
- ``"keras"``: Keras' own op (the stock layer's computation; the right one on JAX and PyTorch).

"native" and "split" need TensorFlow; the others run on every backend. ``"auto"`` (the default) picks "native"
when a one-off check on the current device shows that TensorFlow computes grouped convolutions and their
gradients exactly, else "split"; on other backends it uses Keras' op. ``python -m resnext_edu.benchmark``
and ``benchmark.conv_sweep`` time them side by side.
"""

import functools

import keras
import numpy as np

IMPLEMENTATIONS = ("auto", "native", "split", "merged", "dense", "depthwise", "keras")
_TENSORFLOW_ONLY = ("native", "split")

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
    """A convolution whose groups are read off the kernel: TensorFlow's op, or Keras' on other backends."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

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


def resolve_implementation(implementation="auto"):
    """The computation ``Conv2D`` uses for ``implementation`` on this backend and device."""
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}; got {implementation!r}.")
    if implementation != "auto":
        if implementation in _TENSORFLOW_ONLY and keras.backend.backend() != "tensorflow":
            anywhere = ", ".join(repr(i) for i in IMPLEMENTATIONS if i not in _TENSORFLOW_ONLY)
            raise ValueError(
                f"implementation={implementation!r} needs the TensorFlow backend; this is "
                f"{keras.backend.backend()!r}. Use one of {anywhere}."
            )
        return implementation
    if keras.backend.backend() != "tensorflow":
        return "keras"
    return "native" if native_grouped_conv_works() else "split"


@keras.saving.register_keras_serializable(package="resnext_edu")
class Conv2D(keras.layers.Conv2D):
    """``keras.layers.Conv2D`` whose ``groups > 1`` convolution runs on the fastest exact op (module doc)."""

    def __init__(self, *args, implementation="auto", **kwargs):
        super().__init__(*args, **kwargs)
        resolve_implementation(implementation)  # validates early
        if self.data_format != "channels_last" and implementation not in ("auto", "keras"):
            raise ValueError(f"Conv2D's {implementation!r} implementation needs channels_last data.")
        self.implementation = implementation

    def convolution_op(self, inputs, kernel):
        impl = resolve_implementation(self.implementation)
        if self.groups == 1 or impl == "keras" or self.data_format != "channels_last":
            return super().convolution_op(inputs, kernel)
        if impl == "depthwise":
            kh, kw, per_group, out = kernel.shape
            if per_group != 1:
                raise ValueError(
                    f"Conv2D {self.name!r}: implementation='depthwise' needs one input channel per group; "
                    f"it has {per_group} ({self.groups} groups)."
                )
            depthwise = keras.ops.reshape(kernel, (kh, kw, self.groups, out // self.groups))
            return _depthwise(inputs, depthwise, self.strides, self.padding, self.dilation_rate)
        if impl in ("merged", "dense"):
            channels = kernel.shape[2] * self.groups
            kernel = merge_kernel(kernel, self.groups, merged_groups(channels, self.groups) if impl == "merged" else 1)
        if impl == "split":
            return _split_conv(inputs, kernel, self.groups, self.strides, self.padding.upper(), self.dilation_rate)
        return _conv(inputs, kernel, self.strides, self.padding, self.dilation_rate)

    def get_config(self):
        return {**super().get_config(), "implementation": self.implementation}


@keras.saving.register_keras_serializable(package="resnext_edu")
class BatchNormalization(keras.layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` computed by TensorFlow's fused kernel, in training and in inference.

    Keras 3 normalises with separate reductions, multiplies and adds (about ten passes over the activations in a
    training step, forward and backward); TensorFlow's ``FusedBatchNormV3`` computes the same (x - mean) /
    sqrt(var + eps) * gamma + beta in one pass, its gradient ``FusedBatchNormGradV3`` in one more, and in
    inference its graph optimiser folds it into the preceding convolution. In training the moving statistics are
    updated as Keras does (momentum, and the batch's biased variance: the kernel returns the unbiased one, which
    is rescaled by (n - 1) / n). Other backends and unusual configurations (masks, renorm, synchronized, not
    float32) use Keras' own computation. Same weights, same class name (weight files interchange with the stock
    layer).
    """

    def _fused_ok(self, inputs, mask):
        return (
            mask is None
            and keras.backend.backend() == "tensorflow"
            and len(inputs.shape) == 4
            and self.axis in (-1, 3)
            and self.center
            and self.scale
            and inputs.dtype == "float32"
            and not getattr(self, "renorm", False)
            and not getattr(self, "synchronized", False)
        )

    def call(self, inputs, training=None, mask=None):
        if not self._fused_ok(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        if not (training and self.trainable):
            y, _, _, _, _, _ = tf.raw_ops.FusedBatchNormV3(
                x=inputs,
                scale=self.gamma,
                offset=self.beta,
                mean=self.moving_mean,
                variance=self.moving_variance,
                epsilon=self.epsilon,
                is_training=False,
            )
            return y
        empty = tf.constant([], dtype=inputs.dtype)
        y, mean, unbiased, _, _, _ = tf.raw_ops.FusedBatchNormV3(
            x=inputs, scale=self.gamma, offset=self.beta, mean=empty, variance=empty, epsilon=self.epsilon
        )
        n = tf.cast(tf.reduce_prod(tf.shape(inputs)[:-1]), inputs.dtype)
        variance = unbiased * tf.maximum(n - 1.0, 1.0) / n
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        return y
