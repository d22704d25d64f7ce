"""The library's networks on Keras' other backends (JAX, PyTorch), timed in the same rounds as TensorFlow's.

Keras reads ``KERAS_BACKEND`` once, when it is imported, so one process holds one backend: each variant
``"{variant}@{backend}"`` (e.g. ``auto@jax``) runs in a child process of its own (this file, run as a script, with
``KERAS_BACKEND`` set), which builds ``variant`` exactly as ``run`` builds it, on the same images, and runs one step
each time the benchmark asks (``pytorch``'s protocol: the parent times each request from sending it to the answer).
``available()`` says which backends are installed here.
"""

import importlib.util
import json
import os
import sys

import numpy as np

#: Keras' other backends the benchmark can time, and the module each needs.
BACKENDS = {"jax": "jax", "torch": "torch"}


def available():
    """The backends of ``BACKENDS`` whose package is installed here."""
    return [b for b, module in BACKENDS.items() if importlib.util.find_spec(module) is not None]


def timed_model(backend, variant, network, config, x, y, modes, steps, warmup):
    """``protocol.timed_model``'s triple for ``variant`` of ``network`` (``config``: ``settings``' keywords) built
    on the Keras backend ``backend``, in a child process. (No variant timed this way is in ``networks.SLOW``.)"""
    from resnext_edu.benchmark import pytorch

    spec = dict(backend=backend, variant=variant, network=network, config=config, modes=modes)
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")}
    child = pytorch.Child(spec, x, y, script=__file__, env=env, what=f"Keras ({backend})")
    calls = {m: (lambda m=m: child.step(m), steps, warmup) for m in modes}
    return calls, len(x), int(child.info)


def _serve(spec):
    """The child's side: build the variant, answer "ready {multiply-adds}", then one step per line read."""
    import keras

    from resnext_edu.benchmark import networks, protocol

    if keras.backend.backend() != spec["backend"]:
        raise RuntimeError(f"expected the {spec['backend']!r} backend; Keras runs {keras.backend.backend()!r}.")
    keras.utils.set_random_seed(0)
    s = networks.settings(spec["network"], **spec["config"])
    data = np.load(spec["data"])
    if s.num_classes is None:
        loss = keras.losses.MeanSquaredError()
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model = s.build(spec["variant"])
    calls, _, macs = protocol.timed_model(model, data["x"], data["y"], loss, spec["modes"], 1, 0)
    print(f"ready {macs}", flush=True)
    for line in sys.stdin:
        calls[line.strip()][0]()
        print("done", flush=True)


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
