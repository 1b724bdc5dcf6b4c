"""Demos and benchmarks for labgrad: run each as ``python -m demos.<name>``.

``python -m demos`` is the tour (about a minute or less, no download): the seed
backprop graphs by hand and by labgrad, the labs' numeric checks, and a small MLP
trained on scikit-learn's digits, with figures in ``out/tour/``.

The labs, each with ``--help``, ``--quick`` and the shared options of
:mod:`demos.common` (``--epochs --batch-size --lr --seed --data --data-dir --out``):

- ``computational_graphs``: seed 001 task 3.5 / seed 000's figure, chain rule by hand beside labgrad
- ``layers_lab``: seed 001, ``LinearLayer``/``ReLULayer``/BCE by hand, every assert, checked by labgrad
- ``mnist_binary``: seed 000, the 784-25-15-1 network for 0 vs 1, the lab's tests, trained with labgrad
- ``mnist_mlp``: seed 002, the ``Layer``/``Dense`` numpy MLP
- ``tanh_softmax``: seed 003, tanh hidden layer and softmax output by hand
- ``fashion_cnn``: the CNN lab, Conv2d/BatchNorm2d/MaxPool2d on Fashion-MNIST, beside PyTorch (``--compare-torch``, ``--compile``)
- ``derivatives``: ``autograd.func`` and forward mode: higher derivatives, jacfwd vs jacrev, Newton, dual numbers drawn
- ``benchmark``: labgrad against numpy and PyTorch

:mod:`demos.common` holds what they share and documents the conventions.
"""
import nn  # noqa: E402,F401  first of all: nn checks that the installed `autograd` is labgrad's own
