"""``Conv2D`` and ``BatchNormalization``: Keras' layers, computed fast for inference and training.

Keras 3 on TensorFlow sends ``Conv2D(groups > 1)`` through XLA, which on a CPU is about 9x
slower to predict and hundreds of times slower to train than TensorFlow's own ``tf.nn.conv2d``
on the same grouped kernel. ``resnext_edu.layers.Conv2D`` is a ``keras.layers.Conv2D`` (same
weights, same layout: kernel ``(kh, kw, in/groups, out)``) whose grouped convolution runs on the
fastest exact computation of the backend and device (``resnext_edu.grouped``: ``implementation``
"auto", "native", "split", "merged", "dense", "dense-gradient", "depthwise" or "keras"). It keeps the class name
``Conv2D`` because Keras 3 files a layer's weights under its class name: weight files of models built with it and
with the stock layer are interchangeable. ``BatchNormalization`` likewise runs TensorFlow's fused kernel.
"""

import keras

from resnext_edu import grouped
from resnext_edu.grouped import (  # noqa: F401 (public here: the implementations of Conv2D)
    IMPLEMENTATIONS,
    MERGED_CHANNELS,
    merge_kernel,
    merged_groups,
    native_grouped_conv_works,
    resolve_implementation,
    usable_implementations,
)


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
        impl = resolve_implementation(self.implementation, group_width=kernel.shape[2])
        if self.groups == 1 or impl == "keras" or self.data_format != "channels_last":
            return super().convolution_op(inputs, kernel)
        return grouped.convolve(inputs, kernel, self.groups, self.strides, self.padding, self.dilation_rate, impl)

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
