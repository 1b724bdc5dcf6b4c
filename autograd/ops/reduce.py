"""Reductions over axes: sum, mean, max, min, var, the softmax family, argmax and argmin.

A reduction's backward spreads the upstream gradient back over the reduced
axes. ``logsumexp``, ``softmax`` and ``log_softmax`` are fused primitives for
numerical stability: they subtract the maximum first, so they are finite at
+-1e4 and well defined at +-inf. ``mean`` and ``var`` are primitives too, so
errors and graph pictures name the op the user wrote. Every function takes
PyTorch's ``dim=`` and ``keepdim=`` as well as ``axis=`` and ``keepdims=``.
"""
import math

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from autograd.function import Function
from autograd.ops.arguments import accepts_pytorch_names
from autograd.ops.elementwise import _floating, _values
from autograd.tensor import Tensor, as_tensor

__all__ = ["sum", "mean", "max", "min", "var", "logsumexp", "softmax", "log_softmax", "argmax", "argmin"]

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


def _count(shape, axes):
    """How many elements a reduction over ``axes`` of ``shape`` takes in."""
    return math.prod(shape[i] for i in axes)


class Mean(Function):
    name = "mean"

    def forward(self, a, axis=None, keepdims=False):
        self.axis = _axes(axis, a.ndim, "mean")
        self.keepdims = keepdims
        if _count(a.shape, self.axis) == 0:
            raise ValueError(f"mean: cannot average over zero elements (shape {a.shape}, axis {axis!r})")
        return a.mean(axis=self.axis, keepdims=keepdims)

    def backward(self, g, out, a):
        # d mean/da_i = 1/n for each of the n reduced elements
        n = _count(a.shape, self.axis)
        return (np.broadcast_to(g.reshape(_kept_shape(a.shape, self.axis)) / n, a.shape),)


class Var(Function):
    name = "var"

    def forward(self, a, axis=None, ddof=0, keepdims=False):
        self.axis = _axes(axis, a.ndim, "var")
        self.ddof, self.keepdims = ddof, keepdims
        n = _count(a.shape, self.axis)
        if n - ddof <= 0:
            raise ValueError(f"var: {n} elements with ddof={ddof} (shape {a.shape}, axis {axis!r}); "
                             "need more elements than ddof")
        return a.var(axis=self.axis, ddof=ddof, keepdims=keepdims)

    def backward(self, g, out, a):
        # d var/da_i = 2 (a_i - mean(a)) / (n - ddof)
        scale = 2.0 / (_count(a.shape, self.axis) - self.ddof)     # (a Python float keeps float32)
        centred = a - a.mean(axis=self.axis, keepdims=True)
        return (centred * (g.reshape(_kept_shape(a.shape, self.axis)) * scale),)


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

@accepts_pytorch_names
def sum(a, axis=None, keepdims=False):
    """Sum over ``axis`` (None: all axes; int or tuple)."""
    return Sum.apply(as_tensor(a), axis=axis, keepdims=keepdims)


@accepts_pytorch_names
def mean(a, axis=None, keepdims=False):
    """Mean over ``axis`` (None: all axes; int or tuple)."""
    return Mean.apply(as_tensor(a), axis=axis, keepdims=keepdims)


@accepts_pytorch_names
def max(a, axis=None, keepdims=False):
    """Maximum over ``axis``; tied maxima share the gradient.

    Returns the values only, as numpy (PyTorch's ``max(dim)`` also returns indices:
    use :func:`argmax` for those).
    """
    return Max.apply(as_tensor(a), axis=axis, keepdims=keepdims)


@accepts_pytorch_names
def min(a, axis=None, keepdims=False):
    """Minimum over ``axis``; tied minima share the gradient (values only, see :func:`max`)."""
    return Min.apply(as_tensor(a), axis=axis, keepdims=keepdims)


@accepts_pytorch_names
def var(a, axis=None, ddof=0, keepdims=False):
    """Variance over ``axis`` with numpy's ``ddof`` (0: population, as numpy; 1: unbiased, PyTorch's default).

    >>> from autograd import Tensor
    >>> Tensor([1.0, 2.0, 3.0, 4.0]).var()
    Tensor(1.25)
    """
    return Var.apply(as_tensor(a), axis=axis, ddof=ddof, keepdims=keepdims)


@accepts_pytorch_names
def logsumexp(a, axis=None, keepdims=False):
    """``log(sum(exp(a)))`` over ``axis``, computed stably."""
    return LogSumExp.apply(_floating(a), axis=axis, keepdims=keepdims)


@accepts_pytorch_names
def softmax(a, axis=-1):
    """``exp(a) / sum(exp(a))`` along ``axis``, computed stably."""
    return Softmax.apply(_floating(a), axis=axis)


@accepts_pytorch_names
def log_softmax(a, axis=-1):
    """``a - logsumexp(a)`` along ``axis``, computed stably."""
    return LogSoftmax.apply(_floating(a), axis=axis)


# --- non-differentiable: indices carry no graph (as comparisons) ---------------------------

def _arg_extremum(find, a, axis, keepdims):
    a = as_tensor(a)
    name = find.__name__
    if axis is not None:
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f"{name}: axis must be an int or None, got {axis!r}")
        axis = _axes(int(axis), a.ndim, name)[0] if a.ndim else axis
    try:
        index = find(a.data, axis=axis, keepdims=keepdims)
    except (ValueError, np.exceptions.AxisError) as e:
        raise ValueError(f"{name}: {e} (shape {a.shape}, axis {axis!r})") from None
    return Tensor._from_op(np.asarray(index), None)


@accepts_pytorch_names
def argmax(a, axis=None, keepdims=False):
    """Index of the maximum over ``axis`` (None: of the flattened tensor), as an int64 tensor without a graph.

    >>> from autograd import Tensor
    >>> Tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(dim=1)
    Tensor([1, 0])
    """
    return _arg_extremum(np.argmax, a, axis, keepdims)


@accepts_pytorch_names
def argmin(a, axis=None, keepdims=False):
    """Index of the minimum over ``axis`` (None: of the flattened tensor), as an int64 tensor without a graph."""
    return _arg_extremum(np.argmin, a, axis, keepdims)
