"""Activation modules with PyTorch's names and constructor arguments, each wrapping its function
in :mod:`autograd.ops.activations` (``nn.GELU()(x)`` is ``autograd.gelu(x)``).

>>> import numpy as np
>>> import nn
>>> nn.Softplus(beta=2.0)
Softplus(beta=2.0, threshold=20.0)
>>> nn.Sequential(nn.Linear(2, 3, rng=0), nn.GELU(), nn.Linear(3, 1, rng=0))(np.ones((4, 2), np.float32)).shape
(4, 1)
"""
from autograd.checks import one_of, real_number
from autograd.ops import activations as A
from nn.module import Module

__all__ = ["GELU", "SiLU", "ELU", "SELU", "CELU", "Softplus", "Softsign", "LogSigmoid", "Hardtanh", "ReLU6",
           "Hardsigmoid", "Hardswish", "Mish"]


class GELU(Module):
    """``x * Phi(x)`` (exact, with erf), or its tanh approximation with ``approximate="tanh"``."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = one_of(approximate, ("none", "tanh"), "approximate", "GELU")

    def forward(self, x):
        return A.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(x)`` (swish)."""

    def forward(self, x):
        return A.silu(x)


class ELU(Module):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = real_number(alpha, "alpha", "ELU")

    def forward(self, x):
        return A.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SELU(Module):
    """Scaled ELU with the self-normalising constants."""

    def forward(self, x):
        return A.selu(x)


class CELU(Module):
    """``x`` for x > 0, ``alpha * (exp(x / alpha) - 1)`` otherwise."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = real_number(alpha, "alpha", "CELU")
        if self.alpha == 0:
            raise ValueError("CELU: alpha must not be 0 (it divides x); pass e.g. alpha=1.0")

    def forward(self, x):
        return A.celu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta``, ``x`` where ``beta x > threshold``."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = real_number(beta, "beta", "Softplus")
        if self.beta == 0:
            raise ValueError("Softplus: beta must not be 0 (it divides the result); pass e.g. beta=1.0")
        self.threshold = real_number(threshold, "threshold", "Softplus", finite=False)

    def forward(self, x):
        return A.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """``x / (1 + |x|)``."""

    def forward(self, x):
        return A.softsign(x)


class LogSigmoid(Module):
    """``log(sigmoid(x))``, finite for any finite x."""

    def forward(self, x):
        return A.logsigmoid(x)


class Hardtanh(Module):
    """``x`` clamped to ``[min_val, max_val]``."""

    def __init__(self, min_val=-1.0, max_val=1.0):
        super().__init__()
        self.min_val = real_number(min_val, "min_val", "Hardtanh")
        self.max_val = real_number(max_val, "max_val", "Hardtanh")
        if self.min_val > self.max_val:
            raise ValueError(f"Hardtanh: min_val={self.min_val} is above max_val={self.max_val}; "
                             "pass min_val <= max_val")

    def forward(self, x):
        return A.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Module):
    """``min(max(x, 0), 6)``."""

    def forward(self, x):
        return A.relu6(x)


class Hardsigmoid(Module):
    """``relu6(x + 3) / 6``."""

    def forward(self, x):
        return A.hardsigmoid(x)


class Hardswish(Module):
    """``x * hardsigmoid(x)``."""

    def forward(self, x):
        return A.hardswish(x)


class Mish(Module):
    """``x * tanh(softplus(x))``."""

    def forward(self, x):
        return A.mish(x)
