"""resnext_edu: the library behind the book *ResNeXt, Explained*.

Xie et al., 2017, "Aggregated Residual Transformations for Deep Neural Networks" (arXiv 1611.05431).

Modules, in the order the book meets them:

- ``complexity``  exact parameter and multiply-add counts (pure Python, Table 1 and Table 2)
- ``layers``      ``Conv2D``: Keras' conv layer with a grouped path fast for inference and training
- ``blocks``      the ResNet bottleneck and the three ResNeXt block forms (Fig. 3 a, b, c)
- ``models``      whole networks (Table 1) and the CIFAR ResNeXt-29
- ``equivalence`` ``convert``: carry weights between forms (a), (b) and (c)
- ``introspect``  counts read off a built Keras model
- ``plots``       figures drawn from the code: block diagrams (Fig. 1, 3), Tables 1-3
- ``widgets``     explorers of cardinality and of whole networks, driven by ``complexity``
- ``benchmark``   ``python -m resnext_edu.benchmark``: images/s of each form
- ``audit``       ``compare``: any Keras model checked against the paper, read from its graph
- ``pitfalls``    faulty blocks as public implementations wrote them, for the audit to catch
- ``distribute``  ``tf.distribute`` strategies, logical CPUs, distributed vs single-device runs
- ``fashion_mnist`` Fashion-MNIST's arrays from Debian's package or Keras, checked by SHA-256 (``data`` loads splits)
- ``experiments`` a ResNet against ResNeXts of equal cost over seeds; ``python -m resnext_edu.experiments``
- ``records``     the JSON record of such a run; the reference run shipped in ``resnext_edu/reference/``
- ``comparison``  spread over seeds, bootstrap intervals, learning curves with a band
- ``inside``      a trained ResNeXt path by path: filters, maps, weight norms, path ablation (``inside_plots``)

Importing the package imports no TensorFlow; the modules that need Keras import it themselves.
"""

__version__ = "0.1.0"
