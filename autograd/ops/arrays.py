"""Array helpers shared by the ops' ``forward`` and ``backward`` (numpy arrays in, numpy arrays out).

Kept in one public module so the ops of ``autograd/ops`` (and the fused losses) reuse
one stable formulation instead of importing each other's private helpers.
"""
import math

import numpy as np

from autograd.tensor import Tensor

__all__ = ["values", "shift_by_max", "softmax_array"]


def values(x):
    """The array behind ``x``: backwards run on arrays, and on Tensors under ``create_graph``.

    >>> from autograd import Tensor
    >>> values(Tensor([1.0])), values(np.array([2.0]))
    (array([1.]), array([2.]))
    """
    return x.data if isinstance(x, Tensor) else x


def shift_by_max(x, axis):
    """``x - max(x)`` along ``axis``, and the max; well defined where the max is infinite.

    Where the max is +inf, the +inf entries become 0 and the others -inf (all the
    mass on the infinite entries); where every entry is -inf they all become 0
    (the uniform limit). An axis of length 0 gives an empty result and a max of -inf
    (the max of an empty set, as for ``logsumexp``).

    >>> shift_by_max(np.array([1.0, 3.0]), 0)
    (array([-2.,  0.]), array([3.]))
    """
    if x.size == 0:                                      # (numpy's max refuses an empty axis)
        kept = tuple(1 if i in _axis_tuple(axis, x.ndim) else n for i, n in enumerate(x.shape))
        return x.copy(), np.full(kept, -np.inf, x.dtype)
    m = np.maximum.reduce(x, axis=axis, keepdims=True)   # x.max() without its Python wrapper
    flat = m.ravel()
    if math.isfinite(flat.dot(flat)):                    # every max finite (an overflow: safe path); a sum of
        return x - m, m                                  # squares, as +inf + -inf would warn and give nan
    with np.errstate(invalid="ignore"):
        z = x - m
    return np.where(np.isnan(z) & ~np.isnan(x), 0, z), m


def _axis_tuple(axis, ndim):
    return tuple(a % ndim for a in axis) if isinstance(axis, tuple) else (axis % ndim,)


def softmax_array(x, axis):
    """``exp(x) / sum(exp(x))`` along ``axis``, computed from ``x - max(x)`` (no overflow).

    >>> softmax_array(np.array([0.0, 0.0]), 0)
    array([0.5, 0.5])
    """
    z, _ = shift_by_max(x, axis)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)
