"""Scans and orderings along one axis: cumsum, cumprod, logcumsumexp, sort, argsort and topk.

A scan keeps the axis (``out[k]`` combines ``a[0..k]``), so its backward runs the
scan backwards along it: ``cumsum``'s is the reversed cumulative sum of the upstream
gradient. ``cumprod``'s gradient is exact where the input holds zeros (where
``out / a`` would be 0 / 0), and ``logcumsumexp`` is computed with
``np.logaddexp.accumulate``, stable at any scale, its backward too.

``sort`` and ``topk`` return ``(values, indices)`` as PyTorch does; the values are
the input taken at the indices along the axis (their gradient goes back to where each
value came from), the indices carry no graph. Ties are ordered stably
(first come first), also with ``descending=True``, so ``stable=`` changes nothing here.
Every function takes PyTorch's ``dim=`` as well as numpy's ``axis=``.

>>> from autograd import Tensor
>>> Tensor([1.0, 2.0, 3.0]).cumsum(dim=0)
Tensor([1., 3., 6.])
>>> Tensor([[3.0, 1.0, 2.0]]).sort(dim=1)
(Tensor([[1., 2., 3.]]), Tensor([[1, 2, 0]]))
"""
import numpy as np

from autograd.checks import boolean, integer
from autograd.function import Function
from autograd.ops.arguments import accepts_pytorch_names, floating, single_axis
from autograd.ops.arrays import values
from autograd.ops.elementwise import where
from autograd.modes import replayed
from autograd.ops.reduce import ValuesIndices
from autograd.tensor import Tensor, as_tensor

__all__ = ["cumsum", "cumprod", "logcumsumexp", "sort", "argsort", "topk"]


def _reversed(x, axis):
    """``x`` backwards along ``axis`` (a view of an array; a ``getitem`` op on a Tensor)."""
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


def _reverse_cumsum(g, axis):
    """``sum over k >= i of g[k]`` at each ``i`` along ``axis``: the transpose of ``cumsum``."""
    return _reversed(_reversed(g, axis).cumsum(axis=axis), axis)


def _scan_axis(a, axis, op):
    """``a`` (a Tensor) and ``axis`` as a scan takes them: None flattens ``a`` first (numpy's rule); a 0-d
    ``a`` is seen as one element (PyTorch's rule: dim 0 or -1), the caller reshapes the result back."""
    if axis is None:
        return a.reshape(-1), 0
    if a.ndim == 0:
        single_axis(axis, 1, op)
        return a.reshape(1), 0
    return a, single_axis(axis, a.ndim, op)


def _scan(function, a, axis, op):
    x, ax = _scan_axis(a, axis, op)
    out = function.apply(x, axis=ax)
    return out.reshape(()) if a.ndim == 0 and axis is not None else out


def _upper(n, dtype=bool):
    """The (n, n) upper triangle (``[i, k]`` for k >= i): where ``out[k]`` of a scan depends on ``a[i]``."""
    return np.triu(np.ones((n, n), dtype))


class Scan(Function):
    """Base of the scans: one non-negative int ``self.axis``; the ``jvp`` rules work along it counted from
    the end, so they take a batch of tangents."""
    trusted = True
    capturable = True
    batched_jvp = True


class CumSum(Scan):
    name = "cumsum"
    trusted = True
    capturable = True

    def forward(self, a, axis=0):
        self.axis = axis
        return np.cumsum(a, axis=axis)

    def backward(self, g, out, a):
        # out[k] = sum_{i <= k} a[i]: a[i] gets every g[k] with k >= i
        return (_reverse_cumsum(g, self.axis),)

    def jvp(self, i, dx, out, a):
        return dx.cumsum(axis=self.axis - a.ndim)


@accepts_pytorch_names
def cumsum(a, axis=None):
    """Cumulative sum along ``axis`` (None: of the flattened tensor, as numpy; PyTorch's ``dim=``).

    >>> from autograd import Tensor
    >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).cumsum(1)
    Tensor([[1., 3.],
            [3., 7.]])
    """
    return _scan(CumSum, as_tensor(a), axis, "cumsum")


class CumProd(Scan):
    name = "cumprod"
    trusted = True
    capturable = True

    def forward(self, a, axis=0):
        self.axis = axis
        return np.cumprod(a, axis=axis)

    def backward(self, g, out, a):
        axis = self.axis
        zero = values(a) == 0
        if not zero.any():
            # d out[k]/d a[i] = out[k] / a[i] for k >= i
            return (_reverse_cumsum(g * out, axis) / a,)
        if isinstance(a, Tensor):                     # differentiable again, exact at the zeros
            rows = _cumprod_jacobian(a.swapaxes(axis, -1))
            return ((rows * g.swapaxes(axis, -1).unsqueeze(-2)).sum(axis=-1).swapaxes(axis, -1),)
        # Before the first zero z of a scan, out[k] / a[i] holds (out is 0 from z on). At z,
        # d out[k]/d a[z] is the product of a[0..k] without a[z]: the cumprod of a with a[z] set to 1.
        # After z every out[k] still holds a[z] = 0: no gradient.
        zeros_so_far = zero.cumsum(axis=axis)
        before, first = zeros_so_far == 0, zero & (zeros_so_far == 1)
        without_first = np.cumprod(np.where(first, 1, a), axis=axis)
        return (np.where(before, _reverse_cumsum(g * out, axis) / np.where(before, a, 1),
                         np.where(first, _reverse_cumsum(g * without_first, axis), 0)),)

    def jvp(self, i, dx, out, a):
        axis = self.axis - a.ndim                      # (dx may carry a batch axis in front)
        if not (values(a) == 0).any():
            return out * (dx / a).cumsum(axis=axis)    # d out[k] = out[k] sum_{i <= k} da[i] / a[i]
        rows = _cumprod_jacobian(a.swapaxes(axis, -1))
        return (rows * dx.swapaxes(axis, -1).unsqueeze(-1)).sum(axis=-2).swapaxes(axis, -1)


def _cumprod_jacobian(a):
    """``[..., i, k] = d out[k] / d a[i]`` of ``out = cumprod(a)`` along the last axis of the Tensor ``a``:
    the product of ``a[0..k]`` without ``a[i]`` for k >= i, 0 below; exact with zeros, from ops (n x n)."""
    n = a.shape[-1]
    rows = where(np.eye(n, dtype=bool), 1.0, a.unsqueeze(-2))      # row i: a with a[i] replaced by 1
    return rows.cumprod(axis=-1) * _upper(n, a.dtype)


@accepts_pytorch_names
def cumprod(a, axis=None):
    """Cumulative product along ``axis`` (None: of the flattened tensor); the gradient is exact at zeros.

    >>> from autograd import Tensor
    >>> x = Tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> y = x.cumprod(0)
    >>> y
    Tensor([2., 0., 0.], op='cumprod')
    >>> y.sum().backward()
    >>> x.grad                          # d/dx1 of 2 + 2 x1 + 2 x1 x2 = 2 + 2 * 3
    array([1., 8., 0.])
    """
    return _scan(CumProd, as_tensor(a), axis, "cumprod")


class LogCumSumExp(Scan):
    name = "logcumsumexp"
    trusted = True
    capturable = True

    def forward(self, a, axis=0):
        self.axis = axis
        return np.logaddexp.accumulate(a, axis=axis)       # log(exp(out[k-1]) + exp(a[k])), stably

    def backward(self, g, out, a):
        # d out[k]/d a[i] = exp(a[i] - out[k]) for k >= i (<= 1: out[k] >= a[i])
        axis = self.axis
        if isinstance(a, Tensor):                     # differentiable again: the n x n Jacobian from ops
            rows = _logcumsumexp_jacobian(a.swapaxes(axis, -1), out.swapaxes(axis, -1))
            return ((rows * g.swapaxes(axis, -1).unsqueeze(-2)).sum(axis=-1).swapaxes(axis, -1),)
        # sum_{k >= i} g[k] exp(a[i] - out[k]) = exp(a[i] + log sum_{k >= i} g[k] exp(-out[k])), with the
        # positive and the negative g apart (a log needs them positive), each a reversed logcumsumexp: no overflow
        parts = []
        with np.errstate(divide="ignore"):
            for sign in (1, -1):
                logs = np.log(np.where(sign * g > 0, sign * g, 0)) - out
                tail = _reversed(np.logaddexp.accumulate(_reversed(logs, axis), axis=axis), axis)
                parts.append(np.exp(a + tail))
        return (parts[0] - parts[1],)

    def jvp(self, i, dx, out, a):
        axis = self.axis - a.ndim
        rows = _logcumsumexp_jacobian(a.swapaxes(axis, -1), out.swapaxes(axis, -1))
        return (rows * dx.swapaxes(axis, -1).unsqueeze(-1)).sum(axis=-2).swapaxes(axis, -1)


def _logcumsumexp_jacobian(a, out):
    """``[..., i, k] = exp(a[i] - out[k])`` for k >= i, 0 below: ``d out[k] / d a[i]`` of logcumsumexp along
    the last axis, from ops (the exponent is masked before ``exp``: below the diagonal it may be large)."""
    n = a.shape[-1]
    return where(_upper(n), a.unsqueeze(-1) - out.unsqueeze(-2), -np.inf).exp()


@accepts_pytorch_names
def logcumsumexp(a, axis=None):
    """``log(cumsum(exp(a)))`` along ``axis``, computed stably (no overflow or underflow at any scale).

    >>> from autograd import Tensor
    >>> Tensor([-1000.0, -1000.0, 1000.0, 0.0]).logcumsumexp(0)
    Tensor([-1000.        ,  -999.30685282,  1000.        ,  1000.        ])
    """
    return _scan(LogCumSumExp, floating(a), axis, "logcumsumexp")


# --- orderings ------------------------------------------------------------------------------

def _order(data, axis, descending, k=None):
    """Indices that sort ``data`` (an array or a Tensor) along ``axis`` (the first ``k``), ties first come first
    (also descending: the stable ascending order of the reversed data, reversed; it puts nan first, as PyTorch).

    Called through :func:`_ordering`: a step recorded by :func:`autograd.compile` sorts its own batch on
    every replay."""
    data = values(data)
    if not descending:
        order = np.argsort(data, axis=axis, kind="stable")
    else:
        n = data.shape[axis]
        order = _reversed(n - 1 - np.argsort(_reversed(data, axis), axis=axis, kind="stable"), axis)
    return order if k is None else order[(slice(None),) * axis + (slice(0, k),)]


def _ordering(x, axis, descending, k=None):
    """:func:`_order` of Tensor ``x`` through ``replayed``: a step recorded by :func:`autograd.compile` sorts its
    own batch on every replay (a leaf sorted is guarded)."""
    return replayed(_order, x, axis, descending, k)


class TakeAlongAxis(Function):
    """``a`` at ``indices`` along ``axis`` (numpy's ``take_along_axis``): the values of sort and topk.

    The indices (a parameter: no gradient) are distinct along the axis (an ordering), so the
    backward puts each upstream gradient back where its value came from, without accumulating
    (:class:`PutAlongAxis`, whose own backward is this op again: differentiable to any order).
    """
    name = "take_along_axis"
    trusted = True
    capturable = True
    batched_jvp = True

    def forward(self, a, indices=None, axis=0):
        self.indices, self.axis = indices, axis
        return np.take_along_axis(a, indices, axis=axis)

    def backward(self, g, out, a):
        return (_put_along(g, self.indices, self.axis, a.shape),)

    def jvp(self, i, dx, out, a):
        # linear: the tangent is taken as the value was (a batch axis in front: the indices broadcast over it)
        extra = dx.ndim - a.ndim
        return TakeAlongAxis.apply(dx, indices=self.indices.reshape((1,) * extra + self.indices.shape),
                                   axis=self.axis - a.ndim)


class SortValues(TakeAlongAxis):
    """The values of :func:`sort` (drawn as ``sort``)."""
    name = "sort"
    trusted = True
    capturable = True


class TopKValues(TakeAlongAxis):
    """The values of :func:`topk` (drawn as ``topk``)."""
    name = "topk"
    trusted = True
    capturable = True


class PutAlongAxis(Function):
    """Zeros of ``shape`` with ``g`` put at ``indices`` along ``axis``: the transpose of :class:`TakeAlongAxis`."""
    name = "put_along_axis"
    trusted = True
    capturable = True
    batched_jvp = True

    def forward(self, g, indices=None, axis=0, shape=None):
        self.indices, self.axis, self.shape = indices, axis, shape
        out = np.zeros(shape, g.dtype)
        np.put_along_axis(out, indices, g, axis=axis)
        return out

    def backward(self, g2, out, g):
        return (TakeAlongAxis.apply(g2, indices=self.indices, axis=self.axis) if isinstance(g2, Tensor)
                else np.take_along_axis(g2, self.indices, axis=self.axis),)

    def jvp(self, i, dx, out, g):
        extra = dx.ndim - g.ndim
        return PutAlongAxis.apply(dx, indices=self.indices.reshape((1,) * extra + self.indices.shape),
                                  axis=self.axis - g.ndim, shape=dx.shape[:extra] + self.shape)


def _put_along(g, indices, axis, shape):
    """The gradient of ``take_along_axis``: ``g`` put back at ``indices`` (as an op on Tensors)."""
    if isinstance(g, Tensor):
        return PutAlongAxis.apply(g, indices=indices, axis=axis, shape=shape)
    out = np.zeros(shape, g.dtype)
    np.put_along_axis(out, indices, g, axis=axis)
    return out


def _ordering_args(a, axis, op, **flags):
    a = as_tensor(a)
    for name, value in flags.items():
        boolean(value, name, op)
    if a.ndim == 0:                                   # one element (PyTorch: dim 0 or -1)
        single_axis(axis, 1, op)
        return a, a.reshape(1), 0
    return a, a, single_axis(axis, a.ndim, op)


@accepts_pytorch_names
def sort(a, axis=-1, descending=False, stable=False):
    """``(values, indices)`` of ``a`` sorted along ``axis``, as PyTorch's ``torch.sort``.

    The values are differentiable (each gets the gradient of where it came from); the indices
    are an int64 tensor without a graph. Ties keep their order (a stable sort, whatever ``stable``).

    >>> from autograd import Tensor
    >>> values, indices = Tensor([[3.0, 1.0, 2.0]]).sort(dim=1, descending=True)
    >>> values, indices
    (Tensor([[3., 2., 1.]]), Tensor([[0, 2, 1]]))
    """
    a, x, axis = _ordering_args(a, axis, "sort", descending=descending, stable=stable)
    indices = _ordering(x, axis, descending)
    values = SortValues.apply(x, indices=indices, axis=axis)
    if a.ndim == 0:
        return ValuesIndices((values.reshape(()), Tensor.wrap(np.asarray(indices[0]))))
    return ValuesIndices((values, Tensor.wrap(indices)))


@accepts_pytorch_names
def argsort(a, axis=-1, descending=False, stable=False):
    """Indices that sort ``a`` along ``axis`` (ties first come first), an int64 tensor without a graph.

    >>> from autograd import Tensor
    >>> Tensor([3.0, 1.0, 2.0]).argsort()
    Tensor([1, 2, 0])
    """
    a, x, axis = _ordering_args(a, axis, "argsort", descending=descending, stable=stable)
    indices = _ordering(x, axis, descending)
    return Tensor.wrap(np.asarray(indices[0]) if a.ndim == 0 else indices)


@accepts_pytorch_names
def topk(a, k, axis=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along ``axis``,
    as PyTorch's ``torch.topk``; always in sorted order (``sorted=False`` allows any: this one).

    >>> from autograd import Tensor
    >>> x = Tensor([[1.0, 5.0, 3.0, 4.0]], requires_grad=True)
    >>> values, indices = x.topk(2)
    >>> values, indices
    (Tensor([[5., 4.]], op='topk'), Tensor([[1, 3]]))
    >>> values.sum().backward()
    >>> x.grad
    array([[0., 1., 0., 1.]])
    """
    a, x, axis = _ordering_args(a, axis, "topk", largest=largest, sorted=sorted)
    n = x.shape[axis]
    k = integer(k, "k", "topk", low=0, high=n, what=f"an int in [0, {n}]",
                hint=f"the tensor of shape {a.shape} has {n} elements along dim {axis}")
    indices = _ordering(x, axis, largest, k)
    values = TopKValues.apply(x, indices=indices, axis=axis)
    if a.ndim == 0 and k == 1:                       # (one element: a 0-d result, as PyTorch)
        return ValuesIndices((values.reshape(()), Tensor.wrap(np.asarray(indices[0]))))
    return ValuesIndices((values, Tensor.wrap(indices)))
