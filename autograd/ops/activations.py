"""The activation functions beyond ``relu``/``sigmoid``/``tanh``/``leaky_relu`` (which live in
:mod:`autograd.ops.elementwise`), with PyTorch's names, arguments and formulas.

Each is composed from primitives, exactly and stably: its gradient (and forward-mode
tangent, and higher derivatives) comes from the primitives' rules. Where the textbook
formula overflows or cancels, a stable equivalent is used:

- softplus is one primitive (``max(x, 0) + log1p(exp(-|x|))``, and PyTorch's switch to ``x``
  above its threshold), where ``log(1 + exp(x))`` overflows for x > 709; ``logsigmoid(x)`` is
  ``-softplus(-x)`` and mish ``x * tanh(softplus(x))``, both without the threshold;
- ``gelu(x) = x * erfc(-x / sqrt(2)) / 2`` (``x * (1 + erf(x / sqrt(2))) / 2`` cancels to 0
  for x < -8, where the true value is tiny but not 0), and its tanh approximation as
  ``x * sigmoid(2 z)`` (``1 + tanh(z)`` cancels likewise);
- ``elu``/``celu``/``selu`` are ``relu(x) + alpha * expm1(min(x, 0))``: no exp of a positive
  x, which would overflow and meet a zero gradient (``0 * inf`` is nan).

>>> from autograd import Tensor
>>> x = Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
>>> softplus(x)
Tensor([0.00000000e+00, 6.93147181e-01, 1.00000000e+03], op='softplus')
>>> softplus(x).sum().backward()
>>> x.grad                         # sigmoid(x): no overflow, no nan
array([0. , 0.5, 1. ])
"""
import math

import numpy as np

from autograd.checks import one_of, real_number
from autograd.function import Function
from autograd.ops.arguments import floating
from autograd.ops.elementwise import clip, erfc, expm1, relu, sigmoid, tanh

__all__ = ["gelu", "silu", "elu", "selu", "celu", "softplus", "softsign", "logsigmoid", "hardtanh", "relu6",
           "hardsigmoid", "hardswish", "mish"]

# SELU's constants (Klambauer et al. 2017), to the digits PyTorch uses
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def gelu(x, approximate="none"):
    """Gaussian Error Linear Unit ``x * Phi(x)``, Phi the standard normal CDF (PyTorch's ``gelu``).

    ``approximate="tanh"`` gives ``x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` instead.

    >>> from autograd import Tensor
    >>> gelu(Tensor([-1.0, 0.0, 1.0]))
    Tensor([-0.15865525,  0.        ,  0.84134475])
    >>> gelu(Tensor([1.0]), approximate="tanh")
    Tensor([0.84119199])
    """
    one_of(approximate, ("none", "tanh"), "approximate", "gelu")
    x = floating(x)
    if approximate == "tanh":
        z = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
        return x * sigmoid(2 * z)                     # 1 + tanh(z) = 2 sigmoid(2 z), without cancellation
    return x * (0.5 * erfc(x * -math.sqrt(0.5)))      # Phi(x) = erfc(-x / sqrt(2)) / 2


def silu(x):
    """Sigmoid Linear Unit (swish) ``x * sigmoid(x)``.

    >>> from autograd import Tensor
    >>> silu(Tensor([0.0, 1.0]))
    Tensor([0.        , 0.73105858])
    """
    x = floating(x)
    return x * sigmoid(x)


def _exponential_linear(x, alpha, scale=1.0):
    """``x`` for x > 0, ``alpha * (exp(x / scale) - 1)`` for x <= 0 (elu, celu, selu), as
    ``relu(x) + alpha * expm1(min(x, 0) / scale)``: one of the two terms is 0 at each x, the exp of
    a positive x is never taken (no inf to meet a zero gradient), and at 0 the gradient is
    ``alpha / scale``, the left derivative, as PyTorch's."""
    x = floating(x)
    negative = clip(x, max=0.0)                       # (clip passes the gradient at its bound: x = 0 included)
    if scale != 1.0:
        negative = negative / scale
    return relu(x) + alpha * expm1(negative)


def elu(x, alpha=1.0):
    """Exponential Linear Unit: ``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise.

    >>> from autograd import Tensor
    >>> elu(Tensor([-1.0, 2.0]))
    Tensor([-0.63212056,  2.        ])
    """
    alpha = real_number(alpha, "alpha", "elu")
    return _exponential_linear(x, alpha)


def selu(x):
    """Scaled ELU ``scale * elu(x, alpha)`` with the self-normalising constants ``SELU_SCALE``, ``SELU_ALPHA``.

    >>> from autograd import Tensor
    >>> selu(Tensor([1.0]))
    Tensor([1.05070099])
    """
    return SELU_SCALE * _exponential_linear(x, SELU_ALPHA)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``x`` for x > 0, ``alpha * (exp(x / alpha) - 1)`` otherwise.

    >>> from autograd import Tensor
    >>> celu(Tensor([-1.0]), alpha=2.0)
    Tensor([-0.78693868])
    """
    alpha = real_number(alpha, "alpha", "celu")
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides x); pass e.g. alpha=1.0")
    return _exponential_linear(x, alpha, scale=alpha)


class SoftplusFunction(Function):
    """``log(1 + exp(beta x)) / beta``, and ``x`` where ``beta x > threshold`` (drawn as ``softplus``).

    A primitive, not ``where(beta x > threshold, x, logaddexp(beta x, 0) / beta)``: PyTorch's
    threshold switch is a selection on the input's values, which must happen inside an op
    (a condition array made outside would be a constant to a step recorded by
    :func:`autograd.compile`); and it is one numpy pass instead of four ops.
    """
    name = "softplus"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, x, beta=1.0, threshold=20.0):
        self.beta, self.threshold = beta, threshold
        z = x * beta if beta != 1.0 else x
        # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow; in place, and with numpy's vectorised
        # exp and log1p (np.logaddexp computes the same, 25 times slower in float32)
        smooth = np.abs(z, out=np.empty(np.shape(z), x.dtype))     # (an array even when z is 0-d)
        np.negative(smooth, out=smooth)
        np.exp(smooth, out=smooth)
        np.log1p(smooth, out=smooth)
        smooth += np.maximum(z, 0)
        if beta != 1.0:
            smooth /= beta
        self._linear = z > threshold if threshold != math.inf else None     # (where PyTorch returns x itself)
        if self._linear is None or not self._linear.any():
            self._linear = None
            return smooth
        return np.where(self._linear, x, smooth)

    def backward(self, g, out, x):
        # d/dx = sigmoid(beta x) = 1 - exp(-beta out) (as e^(beta out) = 1 + e^(beta x)): expm1 keeps
        # it exact where it is tiny; 1 where the output is x itself
        slope = g * -np.expm1(out * -self.beta)
        return (slope if self._linear is None else np.where(self._linear, g, slope),)

    def jvp(self, i, dx, out, x):
        slope = dx * -np.expm1(out * -self.beta)
        return slope if self._linear is None else np.where(self._linear, dx, slope)


def softplus(x, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold`` (PyTorch's
    ``softplus``), computed without overflow.

    >>> from autograd import Tensor
    >>> softplus(Tensor([0.0, 30.0]))
    Tensor([ 0.69314718, 30.        ])
    """
    beta = real_number(beta, "beta", "softplus")
    if beta == 0:
        raise ValueError("softplus: beta must not be 0 (it divides the result); pass e.g. beta=1.0")
    threshold = real_number(threshold, "threshold", "softplus", finite=False)
    return SoftplusFunction.apply(floating(x), beta=beta, threshold=threshold)


def softsign(x):
    """``x / (1 + |x|)``.

    >>> from autograd import Tensor
    >>> softsign(Tensor([-3.0, 1.0]))
    Tensor([-0.75,  0.5 ])
    """
    x = floating(x)
    return x / (1 + abs(x))


def logsigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)`` (without softplus's threshold), finite for any finite x.

    >>> from autograd import Tensor
    >>> logsigmoid(Tensor([-1000.0, 0.0]))
    Tensor([-1.00000000e+03, -6.93147181e-01])
    """
    return -SoftplusFunction.apply(-floating(x), beta=1.0, threshold=math.inf)


class HardtanhFunction(Function):
    """``x`` clamped to ``[min_val, max_val]`` (drawn as ``hardtanh``).

    A primitive, not :func:`clip`: PyTorch's hardtanh (and relu6, hardsigmoid, hardswish built
    on it) passes no gradient at the bounds themselves (``relu6`` has 0 at 0, as ``relu`` does),
    while ``clamp`` passes it there; only a mask of its own gives that.
    """
    name = "hardtanh"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.min_val, self.max_val = min_val, max_val
        self._inside = (x > min_val) & (x < max_val)  # the gradient passes strictly inside
        return np.minimum(np.maximum(x, min_val), max_val)

    def backward(self, g, out, x):
        return (np.where(self._inside, g, 0),)

    def jvp(self, i, dx, out, x):
        return np.where(self._inside, dx, 0)


def hardtanh(x, min_val=-1.0, max_val=1.0):
    """``x`` clamped to ``[min_val, max_val]``; the gradient is 1 strictly inside, 0 elsewhere (bounds included,
    as PyTorch's).

    >>> from autograd import Tensor
    >>> x = Tensor([-2.0, -1.0, 0.5, 2.0], requires_grad=True)
    >>> hardtanh(x).sum().backward()
    >>> x.grad
    array([0., 0., 1., 0.])
    """
    min_val = real_number(min_val, "min_val", "hardtanh")
    max_val = real_number(max_val, "max_val", "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val={min_val} is above max_val={max_val}; pass min_val <= max_val")
    return HardtanhFunction.apply(floating(x), min_val=min_val, max_val=max_val)


def relu6(x):
    """``min(max(x, 0), 6)``: :func:`hardtanh` on [0, 6] (gradient 0 at 0 and 6, as PyTorch's).

    >>> from autograd import Tensor
    >>> relu6(Tensor([-1.0, 3.0, 7.0]))
    Tensor([0., 3., 6.])
    """
    return HardtanhFunction.apply(floating(x), min_val=0.0, max_val=6.0)


def hardsigmoid(x):
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between (gradient 0 at +-3, as PyTorch's).

    >>> from autograd import Tensor
    >>> hardsigmoid(Tensor([-4.0, 0.0, 1.5]))
    Tensor([0.  , 0.5 , 0.75])
    """
    return HardtanhFunction.apply(floating(x) / 6 + 0.5, min_val=0.0, max_val=1.0)


def hardswish(x):
    """``x * hardsigmoid(x)``.

    >>> from autograd import Tensor
    >>> hardswish(Tensor([-4.0, 1.5, 4.0]))
    Tensor([-0.   ,  1.125,  4.   ])
    """
    x = floating(x)
    return x * hardsigmoid(x)


def mish(x):
    """``x * tanh(softplus(x))`` (softplus without its threshold, as PyTorch's mish).

    >>> from autograd import Tensor
    >>> mish(Tensor([1.0]))
    Tensor([0.86509839])
    """
    x = floating(x)
    return x * tanh(SoftplusFunction.apply(x, beta=1.0, threshold=math.inf))
