"""The same networks in PyTorch (torchvision's ``ResNet``), timed by the same protocol beside the library's.

PyTorch is not a requirement of the library: ``available()`` says whether ``torch`` and ``torchvision`` import, and
``run`` refuses the PyTorch variants where they do not. torchvision's ``ResNet(Bottleneck, blocks, groups=C,
width_per_group=d)`` is the reference design of Table 1 (stride in the 3x3, BatchNorm after every conv), so the
variants ``torch-resnet`` and ``torch-resnext`` compute the networks that ``resnet`` and ``c`` build in Keras. They
run in channels-last memory (PyTorch's faster layout for convolutions on a CPU), inference under
``torch.inference_mode`` in eval mode, a training step as forward, cross-entropy, backward and an SGD update.
"""

import importlib.util
import sys

from resnext_edu import complexity


def available():
    """Whether PyTorch and torchvision can be imported here."""
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "torchvision"))


def timed_model(depth, cardinality, bottleneck_width, num_classes, x, y, modes, steps, warmup):
    """``protocol.timed_model``'s triple for torchvision's ResNeXt-{depth} (C x d) on NumPy images ``x`` (NHWC)."""
    # PyTorch's CUDA wheels bring Triton, whose native module crashes the process when torchvision loads it after
    # TensorFlow; timing on a CPU needs no Triton, and torch treats it as absent when its import fails.
    sys.modules.setdefault("triton", None)
    import torch
    from torchvision.models.resnet import Bottleneck, ResNet

    torch.manual_seed(0)
    model = ResNet(
        Bottleneck,
        list(complexity.STAGE_BLOCKS[depth]),
        num_classes=num_classes,
        groups=cardinality,
        width_per_group=bottleneck_width,
    ).to(memory_format=torch.channels_last)
    images = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
    labels = torch.from_numpy(y).long()
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

    fns = {"inference": inference, "train": train}
    arch = complexity.imagenet_architecture(depth, cardinality, bottleneck_width, num_classes, x.shape[1])
    return {m: (fns[m], steps, warmup) for m in modes}, len(x), complexity.architecture_macs(arch)
