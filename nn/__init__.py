"""labgrad's neural-network library: modules, layers, losses, initialisers and optimisers.

>>> import numpy as np
>>> import nn
>>> model = nn.MLP([2, 8, 1], rng=0)
>>> opt = nn.optim.Adam(model.parameters(), lr=0.05)
>>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
>>> y = np.array([[0], [1], [1], [0]], dtype=np.float32)       # XOR
>>> criterion = nn.BCEWithLogitsLoss()
>>> for _ in range(300):
...     opt.zero_grad()
...     loss = criterion(model(x), y)
...     loss.backward()
...     opt.step()
>>> bool(loss.item() < 0.1)
True
"""


def _require_labgrads_autograd():
    """Fail with one clear message when ``autograd`` is not labgrad's own package.

    HIPS autograd (PyPI ``autograd``) installs into the same ``site-packages/autograd/`` folder: its
    ``__init__.py`` replaces labgrad's (then ``autograd.Tensor`` is missing), and uninstalling it removes
    that file and leaves a folder without one (then ``autograd`` is a namespace package).
    """
    import autograd
    if isinstance(getattr(autograd, "Tensor", None), type) and hasattr(autograd, "Function"):
        return
    where = getattr(autograd, "__file__", None) or ", ".join(getattr(autograd, "__path__", [])) or "?"
    fresh = ("python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[demos]' "
             "(from labgrad's repository)")
    if getattr(autograd, "__file__", None) is None:
        raise ImportError(
            f"labgrad: the package 'autograd' at {where} has no __init__.py. Uninstalling HIPS autograd "
            "(PyPI 'autograd') removes that file, which labgrad installs too: both projects name their package "
            "'autograd', so they cannot share a virtualenv. To recover, reinstall labgrad: "
            f"pip install --force-reinstall --no-deps . (from labgrad's repository), or better: {fresh}")
    raise ImportError(
        f"labgrad: the package 'autograd' imported from {where} is not labgrad's; it is most likely HIPS "
        "autograd (PyPI 'autograd'), which installs into the same folder. Both projects name their package "
        "'autograd', so they cannot share a virtualenv. To recover: pip uninstall autograd labgrad, then "
        f"install labgrad into a virtualenv of its own: {fresh}")


_require_labgrads_autograd()

from nn import functional, init, optim  # noqa: E402  (after the check: they import from autograd)
from nn.module import LoadResult, Module, Parameter
from nn.layers import (MLP, BatchNorm1d, Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, ReLU,
                       Sequential, Sigmoid, Softmax, Tanh)
from nn.conv import AvgPool2d, BatchNorm2d, Conv2d, MaxPool2d
from nn.activations import (CELU, ELU, GELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish, ReLU6, SiLU,
                            Softplus, Softsign)
from nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from nn.optim import SGD, Adam, AdamW, CosineAnnealingLR, StepLR
from nn import blas, data, metrics, utils
from nn.training import evaluate, fit, predict
from nn.serialization import load, save

__all__ = [
    "Module", "Parameter", "LoadResult", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Dropout", "BatchNorm1d", "BatchNorm2d", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "Identity", "Sequential", "MLP", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "SGD", "Adam", "AdamW", "StepLR", "CosineAnnealingLR",
    "GELU", "SiLU", "ELU", "SELU", "CELU", "Softplus", "Softsign", "LogSigmoid", "Hardtanh", "ReLU6", "Hardsigmoid",
    "Hardswish", "Mish",
    "functional", "init", "optim", "blas", "data", "metrics", "utils", "fit", "evaluate", "predict", "save", "load",
]
