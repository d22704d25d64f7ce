"""What differs between Keras' backends, for the tests: the backend they run on, arrays and gradients on any of them.

`make test` runs the library's unit tests on TensorFlow, JAX and PyTorch (``KERAS_BACKEND``, set before Keras is
imported: one process per backend). A test of a TensorFlow implementation is marked
``@pytest.mark.tensorflow_only("what it tests")``; on another backend tests/conftest.py skips it with that reason.

- ``BACKEND``: the backend of this process ("tensorflow", "jax" or "torch").
- ``to_numpy(x)``: a backend tensor as a NumPy array (``np.asarray`` fails on a torch tensor that requires grad).
- ``gradients(layer, x, upstream)``: d sum(layer(x) * upstream) / d(x, layer.kernel), with the backend's own autodiff
  (``tf.GradientTape`` works on TensorFlow's variables only).
"""

import keras
import numpy as np

BACKEND = keras.backend.backend()


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def gradients(layer, x, upstream):
    """[d loss / d x, d loss / d kernel] of loss = sum(layer(x) * upstream), as NumPy arrays."""
    x, upstream = np.asarray(x, "float32"), np.asarray(upstream, "float32")
    if BACKEND == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x) * upstream)
        return [to_numpy(g) for g in tape.gradient(loss, [x, layer.kernel])]
    if BACKEND == "jax":
        import jax

        others = [v.value for v in layer.non_trainable_variables]
        index = next(i for i, v in enumerate(layer.trainable_variables) if v is layer.kernel)

        def loss(x, kernel):
            trainable = [v.value for v in layer.trainable_variables]
            trainable[index] = kernel
            y, _ = layer.stateless_call(trainable, others, x)
            return jax.numpy.sum(y * upstream)

        return [np.asarray(g) for g in jax.grad(loss, argnums=(0, 1))(jax.numpy.asarray(x), layer.kernel.value)]
    if BACKEND == "torch":
        import torch

        x = torch.tensor(x, requires_grad=True)
        kernel = layer.kernel.value
        kernel.grad = None
        (layer(x) * torch.as_tensor(upstream, device=kernel.device)).sum().backward()
        return [to_numpy(x.grad), to_numpy(kernel.grad)]
    raise NotImplementedError(f"no gradients for Keras' {BACKEND!r} backend in tests/backends.py")
