"""Reductions over axes: sum, mean, max, min, var, and the softmax family.

A reduction's backward spreads the upstream gradient back over the reduced
axes. ``logsumexp``, ``softmax`` and ``log_softmax`` are fused primitives for
numerical stability: they subtract the maximum first, so they are finite at
+-1e4 and well defined at +-inf.
"""
import math

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from autograd.function import Function
from autograd.ops.elementwise import _floating, _values
from autograd.tensor import Tensor, as_tensor

__all__ = ["sum", "mean", "max", "min", "var", "logsumexp", "softmax", "log_softmax"]

def _axes(axis, ndim, op):
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative axes; errors name the op."""
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:     # the common case, without numpy's helper
        return (axis % ndim,)
    try:
        return tuple(sorted(normalize_axis_tuple(axis, ndim)))
    except (np.exceptions.AxisError, TypeError, ValueError) as e:
        raise ValueError(f"{op}: invalid axis {axis!r} for {ndim} dimensions ({e})") from None


def _kept_shape(shape, axes):
    """``shape`` with the reduced axes set to 1 (what keepdims=True gives)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    name = "sum"

    def forward(self, a, axis=None, keepdims=False):
        self.axis = _axes(axis, a.ndim, "sum")
        self.keepdims = keepdims
        return a.sum(axis=self.axis, keepdims=keepdims)

    def backward(self, g, out, a):
        # d sum/da_i = 1: every reduced element receives the upstream gradient
        return (np.broadcast_to(g.reshape(_kept_shape(a.shape, self.axis)), a.shape),)


class _Extremum(Function):
    """max / min: the gradient goes to the extreme elements, shared evenly between ties."""

    def forward(self, a, axis=None, keepdims=False):
        self.axis = _axes(axis, a.ndim, self.name)
        self.keepdims = keepdims
        if any(a.shape[i] == 0 for i in self.axis):
            raise ValueError(f"{self.name}: cannot reduce an empty tensor of shape {a.shape}")
        return self.reduce(a, axis=self.axis, keepdims=keepdims)

    def backward(self, g, out, a):
        kept = _kept_shape(a.shape, self.axis)
        a_, m = _values(a), _values(out).reshape(kept)    # (the mask takes no gradient: arrays suffice)
        mask = a_ == m
        if np.isnan(m).any():                            # a nan is the extreme (numpy's rule): it gets the gradient
            mask |= np.isnan(a_) & np.isnan(m)
        count = mask.sum(axis=self.axis, keepdims=True)
        return (np.where(mask, g.reshape(kept) / count, 0),)


class Max(_Extremum):
    name = "max"
    reduce = staticmethod(np.max)


class Min(_Extremum):
    name = "min"
    reduce = staticmethod(np.min)


def _shift_by_max(x, axis):
    """``x - max(x)`` along ``axis``, and the max; well defined where the max is infinite.

    Where the max is +inf, the +inf entries become 0 and the others -inf (all the
    mass on the infinite entries); where every entry is -inf they all become 0
    (the uniform limit).
    """
    m = np.maximum.reduce(x, axis=axis, keepdims=True)   # x.max() without its Python wrapper
    if math.isfinite(np.add.reduce(m, axis=None)):       # every max finite (an overflow: safe path)
        return x - m, m
    with np.errstate(invalid="ignore"):
        z = x - m
    return np.where(np.isnan(z) & ~np.isnan(x), 0, z), m


def _softmax_array(x, axis):
    z, _ = _shift_by_max(x, axis)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


class LogSumExp(Function):
    name = "logsumexp"

    def forward(self, a, axis=None, keepdims=False):
        self.axis = _axes(axis, a.ndim, "logsumexp")
        self.keepdims = keepdims
        z, m = _shift_by_max(a, self.axis)
        out = np.log(np.exp(z).sum(axis=self.axis, keepdims=True)) + m
        return out if keepdims else out.reshape([n for i, n in enumerate(a.shape) if i not in self.axis])

    def backward(self, g, out, a):
        # d logsumexp/da = softmax(a)
        p = Softmax.apply(a, axis=self.axis) if isinstance(a, Tensor) else _softmax_array(a, self.axis)
        return (g.reshape(_kept_shape(a.shape, self.axis)) * p,)


class Softmax(Function):
    name = "softmax"

    def forward(self, a, axis=-1):
        self.axis = _axes(axis, a.ndim, "softmax")
        return _softmax_array(a, self.axis)

    def backward(self, g, out, a):
        # Jacobian diag(s) - s s^T applied to g
        return (out * (g - (g * out).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    name = "log_softmax"

    def forward(self, a, axis=-1):
        self.axis = _axes(axis, a.ndim, "log_softmax")
        z, _ = _shift_by_max(a, self.axis)
        return z - np.log(np.exp(z).sum(axis=self.axis, keepdims=True))

    def backward(self, g, out, a):
        # d log_softmax_i/da_j = delta_ij - softmax_j
        return (g - np.exp(out) * g.sum(axis=self.axis, keepdims=True),)


# --- public functions -------------------------------------------------------------------

def sum(a, axis=None, keepdims=False):
    """Sum over ``axis`` (None: all axes; int or tuple)."""
    return Sum.apply(as_tensor(a), axis=axis, keepdims=keepdims)


def mean(a, axis=None, keepdims=False):
    """Mean over ``axis``, composed as ``sum / n``."""
    a = as_tensor(a)
    axes = _axes(axis, a.ndim, "mean")
    n = int(np.prod([a.shape[i] for i in axes]))
    if n == 0:
        raise ValueError(f"mean: cannot average over zero elements (shape {a.shape}, axis {axis!r})")
    return sum(a, axes, keepdims) / n


def max(a, axis=None, keepdims=False):
    """Maximum over ``axis``; tied maxima share the gradient."""
    return Max.apply(as_tensor(a), axis=axis, keepdims=keepdims)


def min(a, axis=None, keepdims=False):
    """Minimum over ``axis``; tied minima share the gradient."""
    return Min.apply(as_tensor(a), axis=axis, keepdims=keepdims)


def var(a, axis=None, ddof=0, keepdims=False):
    """Variance over ``axis`` with numpy's ``ddof`` (0: population, 1: unbiased), composed."""
    a = as_tensor(a)
    axes = _axes(axis, a.ndim, "var")
    n = int(np.prod([a.shape[i] for i in axes]))
    if n - ddof <= 0:
        raise ValueError(f"var: {n} elements with ddof={ddof} (shape {a.shape}, axis {axis!r})")
    d = a - mean(a, axes, keepdims=True)
    return sum(d * d, axes, keepdims) / float(n - ddof)     # (a Python number keeps float32 float32)


def logsumexp(a, axis=None, keepdims=False):
    """``log(sum(exp(a)))`` over ``axis``, computed stably."""
    return LogSumExp.apply(_floating(a), axis=axis, keepdims=keepdims)


def softmax(a, axis=-1):
    """``exp(a) / sum(exp(a))`` along ``axis``, computed stably."""
    return Softmax.apply(_floating(a), axis=axis)


def log_softmax(a, axis=-1):
    """``a - logsumexp(a)`` along ``axis``, computed stably."""
    return LogSoftmax.apply(_floating(a), axis=axis)
