"""``Conv2D``: Keras' conv layer with a grouped convolution (form c) fast for inference and training.

Keras 3 on TensorFlow sends ``Conv2D(groups > 1)`` through XLA, which on a CPU is about 9x
slower to predict and hundreds of times slower to train than TensorFlow's own ``tf.nn.conv2d``
on the same grouped kernel. ``resnext_edu.layers.Conv2D`` is a ``keras.layers.Conv2D`` (same
weights, same layout: kernel ``(kh, kw, in/groups, out)``) whose grouped convolution runs on the
fastest exact computation of the backend and device. It keeps the class name ``Conv2D`` because
Keras 3 files a layer's weights under its class name: weight files of models built with it and
with the stock layer are interchangeable. Computations (``implementation``):

- ``"native"``: ``tf.nn.conv2d`` with the grouped kernel (oneDNN on CPU, cuDNN on GPU);
- ``"split"``: one ``tf.nn.conv2d`` per group, concatenated (exact, for TensorFlow builds
  whose native op rejects grouped kernels);
- ``"keras"``: Keras' own op (the stock layer's computation; the right one on JAX and PyTorch).

``"auto"`` (the default) picks "native" when a one-off check on the current
device shows that TensorFlow computes grouped convolutions and their gradients exactly, else
"split"; on other backends it uses Keras' op.
"""

import functools

import keras
import numpy as np

IMPLEMENTATIONS = ("auto", "native", "split", "keras")


@functools.cache
def native_grouped_conv_works(device=""):
    """True if TensorFlow's conv ops (forward, and both gradients) take grouped kernels exactly on ``device``.

    Compares the three ops that a training step runs with the same ops applied group by group.
    """
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x, k, dy = (tf.constant(rng.standard_normal(s), tf.float32) for s in ((1, 5, 5, 4), (3, 3, 2, 4), (1, 5, 5, 4)))

    def ops(x, k, dy):
        args = dict(strides=[1, 1, 1, 1], padding="SAME")
        return (
            tf.nn.conv2d(x, k, **args),
            tf.raw_ops.Conv2DBackpropInput(input_sizes=tf.shape(x), filter=k, out_backprop=dy, **args),
            tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=tf.shape(k), out_backprop=dy, **args),
        )

    try:
        with tf.init_scope(), tf.device(device):
            native = ops(x, k, dy)
            groups = [ops(*parts) for parts in zip(tf.split(x, 2, -1), tf.split(k, 2, -1), tf.split(dy, 2, -1))]
            reference = [tf.concat(list(outs), axis) for outs, axis in zip(zip(*groups), (-1, -1, -1))]
            return all(float(tf.reduce_max(tf.abs(a - b))) < 1e-4 for a, b in zip(native, reference))
    except Exception:  # any failure of the native ops means: do not use them here
        return False


def _split_conv(x, kernel, groups, strides, padding, dilations):
    import tensorflow as tf

    xs = tf.split(x, groups, axis=-1)
    ks = tf.split(kernel, groups, axis=-1)
    ys = [tf.nn.conv2d(a, b, strides, padding, dilations=dilations) for a, b in zip(xs, ks)]
    return tf.concat(ys, axis=-1)


def resolve_implementation(implementation="auto"):
    """The computation ``Conv2D`` uses for ``implementation`` on this backend and device."""
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}; got {implementation!r}.")
    if implementation != "auto":
        if implementation != "keras" and keras.backend.backend() != "tensorflow":
            raise ValueError(
                f"implementation={implementation!r} needs the TensorFlow backend; "
                f"this is {keras.backend.backend()!r}. Use 'auto' or 'keras'."
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
        if self.data_format != "channels_last" and implementation in ("native", "split"):
            raise ValueError("Conv2D's 'native' and 'split' implementations need channels_last data.")
        self.implementation = implementation

    def convolution_op(self, inputs, kernel):
        impl = resolve_implementation(self.implementation)
        if self.groups == 1 or impl == "keras" or self.data_format != "channels_last":
            return super().convolution_op(inputs, kernel)
        import tensorflow as tf

        padding = self.padding.upper()
        if impl == "native":
            return tf.nn.conv2d(inputs, kernel, self.strides, padding, dilations=self.dilation_rate)
        return _split_conv(inputs, kernel, self.groups, self.strides, padding, self.dilation_rate)

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
