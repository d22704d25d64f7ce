"""The same networks in PyTorch (torchvision's ``ResNet``), timed by the same protocol beside the library's.

PyTorch is not a requirement of the library: ``available()`` says whether ``torch`` and ``torchvision`` are
installed, and ``run`` refuses the PyTorch variants where they are not. torchvision's ``ResNet(Bottleneck, blocks,
groups=C, width_per_group=d)`` is the reference design of Table 1 (stride in the 3x3, BatchNorm after every conv),
so the variants ``torch-resnet`` and ``torch-resnext`` compute the networks that ``resnet`` and ``c`` build in
Keras. They run in channels-last memory (PyTorch's faster layout for convolutions on a CPU), inference under
``torch.inference_mode`` in eval mode, a training step as forward, cross-entropy, backward and an SGD update.

Each PyTorch network runs in a child process of its own (this file, run as a script), which builds it and then
runs one step each time the benchmark asks: PyTorch's thread pool and TensorFlow's would otherwise compete in one
process, each slowing the other. The parent times each request from sending it to the child's answer.
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import weakref

import numpy as np

from resnext_edu import complexity


def available():
    """Whether PyTorch and torchvision are installed here."""
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "torchvision"))


class Child:
    """A child process holding one network (``script`` run with ``spec``, the batch and ``env``); ``step(mode)``
    runs one step of it there. ``info``: what the child said after "ready" (e.g. its multiply-adds)."""

    def __init__(self, spec, x, y, script=__file__, env=None, what="PyTorch"):
        self._dir = tempfile.TemporaryDirectory()
        self._what = what
        data = os.path.join(self._dir.name, "batch.npz")
        np.savez(data, x=x, y=y)
        self._process = subprocess.Popen(
            [sys.executable, script, json.dumps(dict(spec, data=data))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        weakref.finalize(self, _stop, self._process, self._dir)
        self.info = self._expect("ready")

    def _expect(self, word):
        answer = self._process.stdout.readline().strip()
        if answer.split(" ", 1)[0] != word:
            raise RuntimeError(f"the {self._what} child process answered {answer!r} instead of {word!r}.")
        return answer.partition(" ")[2]

    def step(self, mode):
        self._process.stdin.write(mode + "\n")
        self._process.stdin.flush()
        self._expect("done")


def _stop(process, directory):
    if process.poll() is None:
        process.stdin.close()
        process.wait(timeout=60)
    directory.cleanup()


def timed_model(depth, cardinality, bottleneck_width, num_classes, x, y, modes, steps, warmup):
    """``protocol.timed_model``'s triple for torchvision's ResNeXt-{depth} (C x d) on NumPy images ``x`` (NHWC)."""
    spec = dict(depth=depth, cardinality=cardinality, bottleneck_width=bottleneck_width, num_classes=num_classes)
    child = Child(spec, x, y)
    arch = complexity.imagenet_architecture(depth, cardinality, bottleneck_width, num_classes, x.shape[1])
    calls = {m: (lambda m=m: child.step(m), steps, warmup) for m in modes}
    return calls, len(x), complexity.architecture_macs(arch)


def _serve(spec):
    """The child's side: build the network, answer "ready", then run one step per line read ("done" after each)."""
    import torch
    from torchvision.models.resnet import Bottleneck, ResNet

    torch.manual_seed(0)
    model = ResNet(
        Bottleneck,
        list(complexity.STAGE_BLOCKS[spec["depth"]]),
        num_classes=spec["num_classes"],
        groups=spec["cardinality"],
        width_per_group=spec["bottleneck_width"],
    ).to(memory_format=torch.channels_last)
    data = np.load(spec["data"])
    images = torch.from_numpy(data["x"]).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
    labels = torch.from_numpy(data["y"]).long()
    optimizer, loss = torch.optim.SGD(model.parameters(), lr=0.01), torch.nn.CrossEntropyLoss()

    def inference():
        model.eval()
        with torch.inference_mode():
            model(images)

    def train():
        model.train()
        optimizer.zero_grad()
        loss(model(images), labels).backward()
        optimizer.step()

    steps = {"inference": inference, "train": train}
    print("ready", flush=True)
    for line in sys.stdin:
        steps[line.strip()]()
        print("done", flush=True)


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
