"""Reductions over axes: sum, mean, prod, max, min, var, std, the softmax family, argmax, argmin, any and all.

A reduction's backward spreads the upstream gradient back over the reduced
axes. ``logsumexp``, ``softmax`` and ``log_softmax`` are fused primitives for
numerical stability: they subtract the maximum first, so they are finite at
+-1e4 and well defined at +-inf. ``mean`` and ``var`` are primitives too, so
errors and graph pictures name the op the user wrote. Every function takes
PyTorch's ``dim=`` and ``keepdim=`` as well as ``axis=`` and ``keepdims=``.
"""
import builtins
import math

import numpy as np

from autograd.function import Function
from autograd.checks import boolean, is_int, non_negative_int
from autograd.ops.arguments import accepts_pytorch_names, floating, normalize_axes
from autograd.modes import replayed
from autograd.ops.arrays import applied, shift_by_max, softmax_array, values
from autograd.ops.elementwise import sqrt, where
from autograd.tensor import Tensor, as_tensor

# (sum, max, min, any and all are left out of a star-import, which would shadow the builtins:
# see autograd/ops/__init__.py)
__all__ = ["mean", "prod", "var", "std", "logsumexp", "softmax", "log_softmax", "argmax", "argmin"]


def _kept_shape(shape, axes):
    """``shape`` with the reduced axes set to 1 (what keepdims=True gives)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape, axes):
    """How many elements a reduction over ``axes`` of ``shape`` takes in."""
    return math.prod(shape[i] for i in axes)


def _from_end(axes, ndim):
    """``axes`` of an ``ndim``-d input counted from the end (negative), so that they name the same axes
    of a batch of tangents, which has one more axis in front (a jvp rule reduces along them).

    >>> _from_end((0, 2), 3)
    (-3, -1)
    """
    return tuple(ax - ndim for ax in axes)


class Reduction(Function):
    """Base of the ops that work along ``self.axis`` (a tuple of non-negative axes).

    Pictures show the axis only where it is not every axis (the default), and the other
    parameters only where they differ from their defaults (``keepdims=True``, ``ddof=1``).

    Every reduction's ``jvp`` reduces along the axes counted from the end, so it takes a batch
    of tangents (``batched_jvp``); the backwards reshape ``g`` to the input's rank with
    non-negative axes, so a batch of upstream gradients goes one row at a time.
    """
    trusted = True
    capturable = True
    batched_jvp = True

    def describe(self):
        axis = self.axis
        parts = [] if len(axis) == self.parents[0].data.ndim else [f"axis={axis[0] if len(axis) == 1 else axis}"]
        parts += [f"{key}={value!r}" for key, value in self.params.items()
                  if key != "axis" and value is not None and value is not False and value != 0]
        return " ".join(parts)


def sum_forward(a, axis=None, keepdims=False):
    """:class:`Sum`'s forward as a plain function of arrays: ``(out, residuals)``, the residuals (the input's
    shape and the axes summed over) being what :func:`sum_backward` needs.

    >>> out, residuals = sum_forward(np.ones((2, 3)), axis=1)
    >>> out.tolist(), sum_backward(residuals, np.array([1.0, 2.0]))[0].tolist()
    ([3.0, 3.0], [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    """
    axes = normalize_axes(axis, a.ndim, "sum")
    return np.asarray(a.sum(axis=axes, keepdims=keepdims)), (a.shape, axes)


def sum_backward(residuals, g):
    """:class:`Sum`'s backward as a plain function: d sum/da_i = 1, every reduced element receives the upstream
    gradient (a broadcast view of ``g``)."""
    shape, axes = residuals
    return (np.broadcast_to(g.reshape(_kept_shape(shape, axes)), shape),)


class Sum(Reduction):
    """The sum over ``self.axis``, done by :func:`sum_forward` and :func:`sum_backward` (the op's
    ``residual_functions``: a step recorded by :func:`autograd.compile` calls them without an op object)."""
    name = "sum"
    trusted = True
    capturable = True
    residual_functions = (sum_forward, sum_backward)

    def forward(self, a, axis=None, keepdims=False):
        out, self.residuals = sum_forward(a, axis, keepdims)
        self.axis, self.keepdims = self.residuals[1], keepdims      # (in this order: the op's repr lists them so)
        return out

    def backward(self, g, out, a):
        return sum_backward(self.residuals, g)

    def jvp(self, i, dx, out, a):
        # d sum(a) = sum(da): the tangent is reduced as the value was
        return dx.sum(axis=_from_end(self.axis, a.ndim), keepdims=self.keepdims)


@accepts_pytorch_names
def sum(a, axis=None, keepdims=False):
    """Sum over ``axis`` (None: all axes; int or tuple)."""
    return Sum.apply(as_tensor(a), axis=axis, keepdims=keepdims)


def mean_forward(a, axis=None, keepdims=False):
    """:class:`Mean`'s forward as a plain function of arrays: ``(out, residuals)``, the residuals (the input's
    shape and the axes averaged over) being what :func:`mean_backward` needs.

    >>> out, residuals = mean_forward(np.arange(4.0))
    >>> float(out), mean_backward(residuals, np.array(1.0))[0].tolist()
    (1.5, [0.25, 0.25, 0.25, 0.25])
    """
    axes = normalize_axes(axis, a.ndim, "mean")
    if _count(a.shape, axes) == 0:
        raise ValueError(f"mean: cannot average over zero elements (shape {a.shape}, axis {axis!r})")
    return np.asarray(a.mean(axis=axes, keepdims=keepdims)), (a.shape, axes)


def mean_backward(residuals, g):
    """:class:`Mean`'s backward as a plain function: d mean/da_i = 1/n for each of the n reduced elements."""
    shape, axes = residuals
    return (np.broadcast_to(g.reshape(_kept_shape(shape, axes)) / _count(shape, axes), shape),)


class Mean(Reduction):
    """The mean over ``self.axis``, done by :func:`mean_forward` and :func:`mean_backward` (the op's
    ``residual_functions``)."""
    name = "mean"
    trusted = True
    capturable = True
    residual_functions = (mean_forward, mean_backward)

    def forward(self, a, axis=None, keepdims=False):
        out, self.residuals = mean_forward(a, axis, keepdims)
        self.axis, self.keepdims = self.residuals[1], keepdims      # (in this order: the op's repr lists them so)
        return out

    def backward(self, g, out, a):
        return mean_backward(self.residuals, g)

    def jvp(self, i, dx, out, a):
        # d mean(a) = mean(da)
        return dx.mean(axis=_from_end(self.axis, a.ndim), keepdims=self.keepdims)


@accepts_pytorch_names
def mean(a, axis=None, keepdims=False):
    """Mean over ``axis`` (None: all axes; int or tuple)."""
    return Mean.apply(as_tensor(a), axis=axis, keepdims=keepdims)


def _products_of_the_others(a, out, axis):
    """``d prod(a) / d a_i``: the product of every reduced element but ``a_i``, at each ``i`` (a's shape).

    Exact where ``a`` holds zeros (``out / a`` would be 0 / 0 there): with one zero in a
    reduction, its slot gets the product of the others and every other slot 0; with more, all 0.
    On Tensors (``create_graph``) it is built from ops so that it is differentiable again; with
    zeros that takes each reduction's n x n leave-one-out products (second derivatives at a zero
    are not 0: d^2 prod / d a_i d a_j is the product of the rest).
    """
    kept = _kept_shape(a.shape, axis)
    zero = values(a) == 0
    if not zero.any():
        return out.reshape(kept) / a
    if isinstance(a, Tensor):
        return _leave_one_out_products(a, axis)
    zeros = zero.sum(axis=axis, keepdims=True)
    rest = np.where(zero, 1, a).prod(axis=axis, keepdims=True)      # the product of the non-zero elements
    # a non-zero slot: out / a_i, which is 0 where the reduction holds a zero (out is 0 there)
    return np.where(zero, np.where(zeros == 1, rest, 0), out.reshape(kept) / np.where(zero, 1, a))


def _leave_one_out_products(a, axis):
    """The product over ``axis`` of every element but ``a_i``, at each ``i``, built from ops (a Tensor)."""
    others = [i for i in range(a.ndim) if i not in axis]
    order = others + list(axis)
    moved = a.transpose(order)
    n = _count(a.shape, axis)
    flat = moved.reshape(moved.shape[:len(others)] + (n,))
    # row i of the (n, n) block: the reduced elements with a_i replaced by 1
    rows = where(np.eye(n, dtype=bool), 1.0, flat.reshape(flat.shape[:-1] + (1, n)))
    return rows.prod(axis=-1).reshape(moved.shape).transpose(tuple(np.argsort(order)))


class Prod(Reduction):
    name = "prod"
    trusted = True
    capturable = True

    def forward(self, a, axis=None, keepdims=False):
        self.axis = normalize_axes(axis, a.ndim, "prod")
        self.keepdims = keepdims
        return a.prod(axis=self.axis, keepdims=keepdims)

    def backward(self, g, out, a):
        # d prod/d a_i = the product of the others (exact with zeros: see _products_of_the_others)
        return (g.reshape(_kept_shape(a.shape, self.axis)) * _products_of_the_others(a, out, self.axis),)

    def jvp(self, i, dx, out, a):
        # d prod(a) = sum_i (product of the others) da_i
        others = _products_of_the_others(a, out, self.axis)
        return (others * dx).sum(axis=_from_end(self.axis, a.ndim), keepdims=self.keepdims)


@accepts_pytorch_names
def prod(a, axis=None, keepdims=False):
    """Product over ``axis`` (None: all axes; int or tuple); its gradient is exact where inputs are 0.

    >>> from autograd import Tensor
    >>> x = Tensor([[2.0, 0.0, 3.0], [1.0, 2.0, 4.0]], requires_grad=True)
    >>> y = x.prod(dim=1)
    >>> y
    Tensor([0., 8.], op='prod')
    >>> y.sum().backward()
    >>> x.grad                                  # the zero's slot gets 2 * 3
    array([[0., 6., 0.],
           [8., 4., 2.]])
    """
    return Prod.apply(as_tensor(a), axis=axis, keepdims=keepdims)


class Var(Reduction):
    name = "var"
    trusted = True
    capturable = True

    def forward(self, a, axis=None, ddof=0, keepdims=False):
        self.axis = normalize_axes(axis, a.ndim, "var")
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

    def jvp(self, i, dx, out, a):
        # d var(a) = 2 sum((a_i - mean(a)) da_i) / (n - ddof)   (the change of the mean drops out: sum(a_i - mean) = 0)
        scale = 2.0 / (_count(a.shape, self.axis) - self.ddof)
        centred = a - a.mean(axis=self.axis, keepdims=True)
        return (centred * dx).sum(axis=_from_end(self.axis, a.ndim), keepdims=self.keepdims) * scale


def _ddof(ddof, correction, unbiased, op):
    """The ``ddof`` of var / std from numpy's ``ddof=`` or PyTorch's ``correction=`` / ``unbiased=`` (one of them).

    >>> _ddof(None, None, True, "std"), _ddof(None, 1, None, "var"), _ddof(None, None, None, "var")
    (1, 1, 0)
    """
    given = [name for name, value in (("ddof", ddof), ("correction", correction), ("unbiased", unbiased))
             if value is not None]
    if len(given) > 1:
        raise TypeError(f"{op}: got {' and '.join(given)}, which say the same thing (numpy's ddof, PyTorch's "
                        "correction and unbiased); pass one of them")
    if unbiased is not None:
        return int(boolean(unbiased, "unbiased", op, hint="unbiased=True is ddof=1"))
    if correction is not None:
        return non_negative_int(correction, "correction", op)
    if ddof is None:
        return 0
    return non_negative_int(ddof, "ddof", op, hint="ddof=1 for the unbiased estimate (PyTorch's default)")


@accepts_pytorch_names
def var(a, axis=None, ddof=None, keepdims=False, *, correction=None, unbiased=None):
    """Variance over ``axis`` with numpy's ``ddof`` (0: population, as numpy; 1: unbiased, PyTorch's default).

    PyTorch's ``correction=`` (the same number) and ``unbiased=`` (True is ``ddof=1``) are taken too.

    >>> from autograd import Tensor
    >>> Tensor([1.0, 2.0, 3.0, 4.0]).var()
    Tensor(1.25)
    >>> Tensor([1.0, 2.0, 3.0, 4.0]).var(unbiased=True)
    Tensor(1.66666667)
    """
    return Var.apply(as_tensor(a), axis=axis, ddof=_ddof(ddof, correction, unbiased, "var"), keepdims=keepdims)


@accepts_pytorch_names
def std(a, axis=None, ddof=None, keepdims=False, *, correction=None, unbiased=None):
    """Standard deviation ``sqrt(var(a))`` over ``axis``; ``ddof`` / ``correction`` / ``unbiased`` as :func:`var`.

    Composed (a ``var`` node and a ``sqrt`` node): its gradient is infinite where every value is equal
    (as PyTorch's: nan there).

    >>> from autograd import Tensor
    >>> Tensor([1.0, 3.0]).std()
    Tensor(1.)
    >>> Tensor([[1.0, 3.0], [2.0, 2.0]]).std(dim=1, correction=1)
    Tensor([1.41421356, 0.        ])
    """
    a = as_tensor(a)
    ddof = _ddof(ddof, correction, unbiased, "std")
    n = _count(a.shape, normalize_axes(axis, a.ndim, "std"))        # (checked here: errors name std, not var)
    if n - ddof <= 0:
        raise ValueError(f"std: {n} elements with ddof={ddof} (shape {a.shape}, axis {axis!r}); "
                         "need more elements than ddof")
    return sqrt(Var.apply(a, axis=axis, ddof=ddof, keepdims=keepdims))


class Extremum(Reduction):
    """max / min: the gradient goes to the extreme elements, shared evenly between ties."""
    trusted = True
    capturable = True

    def forward(self, a, axis=None, keepdims=False):
        self.axis = normalize_axes(axis, a.ndim, self.name)
        self.keepdims = keepdims
        if builtins.any(a.shape[i] == 0 for i in self.axis):
            raise ValueError(f"{self.name}: cannot reduce an empty tensor of shape {a.shape}")
        return self.reduce(a, axis=self.axis, keepdims=keepdims)

    def backward(self, g, out, a):
        mask, count = self._extremes(out, a)
        return (np.where(mask, g.reshape(count.shape) / count, 0),)          # (count has the kept axes)

    def jvp(self, i, dx, out, a):
        # the extreme moves as the extreme elements do; tied ones share it as in backward: the mean of their tangents
        mask, count = self._extremes(out, a)
        changes = np.where(mask, dx, 0).sum(axis=_from_end(self.axis, a.ndim), keepdims=True) / count
        return changes if self.keepdims else changes.reshape(changes.shape[:changes.ndim - a.ndim] + out.shape)

    def _extremes(self, out, a):
        """Where ``a`` holds its extreme (a bool mask of a's shape) and how many per reduction (kept axes)."""
        a_, m = values(a), values(out).reshape(_kept_shape(a.shape, self.axis))   # (the mask takes no gradient)
        mask = a_ == m
        if np.isnan(m).any():                            # a nan is the extreme (numpy's rule): it gets the gradient
            mask |= np.isnan(a_) & np.isnan(m)
        return mask, mask.sum(axis=self.axis, keepdims=True)


class Max(Extremum):
    name = "max"
    trusted = True
    capturable = True
    reduce = staticmethod(np.max)


class ValuesIndices(tuple):
    """``(values, indices)``, what PyTorch's ``max(dim=...)`` / ``min(dim=...)`` return, with both names."""
    __slots__ = ()
    values = property(lambda self: self[0], doc="The extreme values (differentiable).")
    indices = property(lambda self: self[1], doc="Where they are, as an int64 tensor without a graph.")


def _extremum(op, arg, a, axis, keepdims, dim, keepdim):
    """numpy's call (``axis=``) gives the values; PyTorch's (``dim=``) gives ``(values, indices)`` as PyTorch."""
    if dim is None:
        return op.apply(as_tensor(a), axis=axis, keepdims=bool(keepdim) if keepdim is not None else keepdims)
    if axis is not None:
        raise TypeError(f"{op.name}: got both axis= (numpy's name) and dim= (PyTorch's name); pass one of them")
    keep = bool(keepdim) if keepdim is not None else keepdims
    a = as_tensor(a)
    return ValuesIndices((op.apply(a, axis=dim, keepdims=keep), arg(a, axis=dim, keepdims=keep)))


def max(a, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Maximum over ``axis``; tied maxima share the gradient.

    With numpy's ``axis=`` it returns the values, as numpy; with PyTorch's ``dim=`` it
    returns ``(values, indices)``, as PyTorch (a pair with those two names).

    >>> from autograd import Tensor
    >>> x = Tensor([[1.0, 5.0], [7.0, 2.0]])
    >>> x.max(axis=1)
    Tensor([5., 7.])
    >>> values, indices = x.max(dim=1)
    >>> indices
    Tensor([1, 0])
    """
    return _extremum(Max, argmax, a, axis, keepdims, dim, keepdim)


class Min(Extremum):
    name = "min"
    trusted = True
    capturable = True
    reduce = staticmethod(np.min)


def min(a, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Minimum over ``axis``; tied minima share the gradient (``dim=`` gives ``(values, indices)``: see :func:`max`)."""
    return _extremum(Min, argmin, a, axis, keepdims, dim, keepdim)


class LogSumExp(Reduction):
    name = "logsumexp"
    trusted = True
    capturable = True

    def forward(self, a, axis=None, keepdims=False):
        self.axis = normalize_axes(axis, a.ndim, "logsumexp")
        self.keepdims = keepdims
        z, m = shift_by_max(a, self.axis)
        with np.errstate(divide="ignore"):               # an empty axis sums to 0: log gives -inf
            out = np.log(np.exp(z).sum(axis=self.axis, keepdims=True)) + m
        return out if keepdims else out.reshape([n for i, n in enumerate(a.shape) if i not in self.axis])

    def backward(self, g, out, a):
        # d logsumexp/da = softmax(a)
        p = SoftmaxFunction.apply(a, axis=self.axis) if isinstance(a, Tensor) else softmax_array(a, self.axis)
        return (g.reshape(_kept_shape(a.shape, self.axis)) * p,)

    def jvp(self, i, dx, out, a):
        # d logsumexp(a) = sum(softmax(a) da)   (over an empty axis: 0, the tangent of a constant -inf)
        p = SoftmaxFunction.apply(a, axis=self.axis)
        return (p * dx).sum(axis=_from_end(self.axis, a.ndim), keepdims=self.keepdims)


@accepts_pytorch_names
def logsumexp(a, axis=None, keepdims=False):
    """``log(sum(exp(a)))`` over ``axis``, computed stably; -inf over an empty axis (an empty sum is 0).

    >>> from autograd import Tensor
    >>> Tensor([[0.0, 0.0]]).logsumexp(axis=1)
    Tensor([0.69314718])
    >>> Tensor([[], []]).logsumexp(axis=1)
    Tensor([-inf, -inf])
    """
    return LogSumExp.apply(floating(a), axis=axis, keepdims=keepdims)


def softmax_forward(a, axis=-1):
    """:class:`SoftmaxFunction`'s forward as a plain function of arrays: ``(out, residuals)``, the residuals (the
    output and the axes, a tuple) being what :func:`softmax_backward` needs.

    >>> out, residuals = softmax_forward(np.array([0.0, 0.0]))
    >>> out.tolist(), softmax_backward(residuals, np.array([1.0, 0.0]))[0].tolist()
    ([0.5, 0.5], [0.25, -0.25])
    """
    axes = normalize_axes(axis, a.ndim, "softmax")
    out = np.asarray(softmax_array(a, axes))          # (an array: over no axis, numpy gives a 0-d input a scalar)
    return out, (out, axes)


def softmax_backward(residuals, g):
    """:class:`SoftmaxFunction`'s backward as a plain function: the Jacobian diag(s) - s s^T applied to ``g``,
    from the output ``s`` (an array, or a Tensor to differentiate again) and the axes in ``residuals``."""
    out, axes = residuals
    return (out * (g - (g * out).sum(axis=axes, keepdims=True)),)


class SoftmaxFunction(Reduction):
    """The normalised exponential ``exp(a) / sum(exp(a))`` along ``axis`` (drawn as ``softmax``), done by
    :func:`softmax_forward` and :func:`softmax_backward` (the op's ``residual_functions``)."""
    name = "softmax"
    trusted = True
    capturable = True
    residual_functions = (softmax_forward, softmax_backward)

    def forward(self, a, axis=-1):
        out, self.residuals = softmax_forward(a, axis)
        self.axis = self.residuals[1]
        return out

    def backward(self, g, out, a):
        return softmax_backward((out, self.axis), g)      # (out: a Tensor under create_graph)

    def jvp(self, i, dx, out, a):
        # (diag(s) - s s^T) da = s (da - sum(s da))
        return out * (dx - (out * dx).sum(axis=_from_end(self.axis, a.ndim), keepdims=True))


@accepts_pytorch_names
def softmax(a, axis=-1):
    """``exp(a) / sum(exp(a))`` along ``axis``, computed stably (an empty axis gives an empty result)."""
    return SoftmaxFunction.apply(floating(a), axis=axis)


def log_softmax_forward(a, axis=-1):
    """:class:`LogSoftmaxFunction`'s forward as a plain function of arrays: ``(out, residuals)``, the residuals
    (the output and the axes, a tuple) being what :func:`log_softmax_backward` needs.

    >>> out, residuals = log_softmax_forward(np.array([0.0, 0.0]))
    >>> out.round(4).tolist(), log_softmax_backward(residuals, np.array([1.0, 0.0]))[0].tolist()
    ([-0.6931, -0.6931], [0.5, -0.5])
    """
    axes = normalize_axes(axis, a.ndim, "log_softmax")
    z, _ = shift_by_max(a, axes)
    # (an empty axis: log(0) would warn; an array: over no axis, numpy gives a 0-d input a scalar)
    out = z if z.size == 0 else np.asarray(z - np.log(np.exp(z).sum(axis=axes, keepdims=True)))
    return out, (out, axes)


def log_softmax_backward(residuals, g):
    """:class:`LogSoftmaxFunction`'s backward as a plain function: d log_softmax_i/da_j = delta_ij - softmax_j,
    from the output (an array, or a Tensor to differentiate again) and the axes in ``residuals``."""
    out, axes = residuals
    return (g - np.exp(out) * g.sum(axis=axes, keepdims=True),)


class LogSoftmaxFunction(Reduction):
    """The log of the normalised exponential, ``a - logsumexp(a)`` along ``axis`` (drawn as ``log_softmax``),
    done by :func:`log_softmax_forward` and :func:`log_softmax_backward` (the op's ``residual_functions``)."""
    name = "log_softmax"
    trusted = True
    capturable = True
    residual_functions = (log_softmax_forward, log_softmax_backward)

    def forward(self, a, axis=-1):
        out, self.residuals = log_softmax_forward(a, axis)
        self.axis = self.residuals[1]
        return out

    def backward(self, g, out, a):
        return log_softmax_backward((out, self.axis), g)      # (out: a Tensor under create_graph)

    def jvp(self, i, dx, out, a):
        # d log_softmax(a) = da - sum(softmax(a) da), with softmax(a) = exp(out) (an empty axis: empty, as backward)
        return dx - (np.exp(out) * dx).sum(axis=_from_end(self.axis, a.ndim), keepdims=True)


@accepts_pytorch_names
def log_softmax(a, axis=-1):
    """``a - logsumexp(a)`` along ``axis``, computed stably (an empty axis gives an empty result)."""
    return LogSoftmaxFunction.apply(floating(a), axis=axis)


# --- non-differentiable: indices carry no graph (as comparisons) ---------------------------

def _arg_extremum(find, a, axis, keepdims):
    a = as_tensor(a)
    name = find.__name__
    if axis is not None:
        if not is_int(axis):
            raise TypeError(f"{name}: axis must be an int or None, got {axis!r}; pass one axis, or None for all")
        axis = normalize_axes(int(axis), a.ndim, name)[0] if a.ndim else axis
    try:
        # (through replayed: a step recorded by autograd.compile finds each call's own, its accuracy say)
        index = replayed(applied, find, a, axis=axis, keepdims=keepdims)
    except (ValueError, np.exceptions.AxisError) as e:
        raise ValueError(f"{name}: {e} (shape {a.shape}, axis {axis!r})") from None
    return Tensor.wrap(index)


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


# --- non-differentiable: truth values carry no graph ----------------------------------------

def _truth(reduce, a, axis, keepdims):
    a = as_tensor(a)
    axes = normalize_axes(axis, a.ndim, reduce.__name__)
    return Tensor.wrap(replayed(applied, reduce, a, axis=axes, keepdims=bool(keepdims)))     # (as _arg_extremum)


@accepts_pytorch_names
def any(a, axis=None, keepdims=False):
    """Whether any element over ``axis`` is non-zero (True), as a bool tensor without a graph.

    >>> from autograd import Tensor
    >>> Tensor([[0.0, 1.0], [0.0, 0.0]]).any(dim=1)
    Tensor([ True, False])
    """
    return _truth(np.any, a, axis, keepdims)


@accepts_pytorch_names
def all(a, axis=None, keepdims=False):
    """Whether every element over ``axis`` is non-zero (True), as a bool tensor without a graph.

    >>> from autograd import Tensor
    >>> Tensor([[1.0, 1.0], [0.0, 1.0]]).all(dim=1)
    Tensor([ True, False])
    """
    return _truth(np.all, a, axis, keepdims)

