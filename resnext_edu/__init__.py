"""resnext_edu: the library behind the book *ResNeXt, Explained*.

Xie et al., 2017, "Aggregated Residual Transformations for Deep Neural Networks" (arXiv 1611.05431).
``MODULES`` lists the modules in the order the book meets them, each with its one concern; the README's module
table is the same list (a test keeps them equal).

Importing the package imports no TensorFlow; the modules that need Keras import it themselves.
"""

__version__ = "0.1.0"

#: The modules, in the order the book meets them: name -> what it is for.
MODULES = {
    "paper": "what the paper reports (Tables 1-8, Sec. 5.1, Appendix A), each value with its source",
    "complexity": "exact parameter and multiply-add counts (pure Python, Table 1 and Table 2)",
    "architectures": "a network as data: stem, table of stages (Table 1), classifier; any depth",
    "names": "the one owner of the library's layer names",
    "style": "the book's palette, axes style, log2 axis and titles",
    "layers": "Conv2D with a grouped path fast for inference and training; BatchNormalization's fused kernel",
    "grouped": "the exact computations of a grouped convolution (native, split, block-diagonal, ...)",
    "blocks": "the ResNet bottleneck and the three ResNeXt block forms (Fig. 3 a, b, c); the depth-2 block (Fig. 4)",
    "models": "whole networks (Table 1) and the CIFAR ResNeXt-29",
    "equivalence": "convert: carry weights between forms (a), (b) and (c); depth-2 and depthwise twins",
    "port": "from_torchvision: torchvision's ResNet/ResNeXt weights in the library's Keras model",
    "fold": "fold_batchnorm: each BatchNorm folded into its convolution, for inference",
    "introspect": "counts read off a built Keras model",
    "plots": "figures drawn from the code: block diagrams (Figs. 1, 3), Tables 1-3; the paper's Tables 4 and 7",
    "readouts": "what the explorers show (pure Python; the web book runs it in the browser)",
    "widgets": "explorers of cardinality and of whole networks (ipywidgets), over readouts",
    "data": "images to train on: digits offline, CIFAR-10 in Colab",
    "pipeline": "tf.data pipelines whose every batch is a function of (seed, epoch); the augmentations",
    "recipes": "training recipes as data; the paper's CIFAR recipe",
    "progress": "one progress bar per training run, in a notebook or a terminal",
    "backup": "a training run's atomic, checked backup after every epoch",
    "training": "training runs checked before their first step, resumed to the bit, and their learning curves",
    "benchmark": "python -m resnext_edu.benchmark: images/s of each form, profiles, reports (a package)",
    "audit": "compare: any Keras model checked against the paper, read from its graph",
    "pitfalls": "faulty blocks as public implementations wrote them, for the audit to catch",
    "distribute": "tf.distribute strategies, logical CPUs, distributed vs single-device runs",
    "cluster": "a multi-worker cluster of processes on one machine, bounded in time, resumed from its backup",
    "exercises": "check(key, answer): every chapter's exercises, with hints tied to the likely mistakes",
}
