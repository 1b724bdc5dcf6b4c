"""Which numpy functions a Tensor answers, so ``np.exp(t)`` and ``ndarray + t`` give Tensors.

Every op that has a numpy function of the same name (or numpy's name for it, such as
``np.negative`` for ``neg``) is here; tests/test_op_registry.py checks it. This is also
what lets one backward formula, written with numpy calls, run on arrays (first-order
gradients) and on Tensors (``create_graph=True``).
"""
import numpy as np

from autograd.ops import elementwise as ew, linalg, reduce, scan, shape as shape_ops

__all__ = ["UFUNCS", "FUNCTIONS", "ON_VALUES"]

UFUNCS = {
    np.add: ew.add, np.subtract: ew.sub, np.multiply: ew.mul, np.true_divide: ew.div,
    np.power: ew.pow, np.negative: ew.neg, np.matmul: linalg.matmul,
    np.exp: ew.exp, np.log: ew.log, np.sqrt: ew.sqrt, np.absolute: ew.abs, np.tanh: ew.tanh,
    np.maximum: ew.maximum, np.minimum: ew.minimum, np.sign: ew.sign,
    np.isfinite: ew.isfinite, np.isnan: ew.isnan,
    np.equal: ew.equal, np.not_equal: ew.not_equal, np.less: ew.less, np.less_equal: ew.less_equal,
    np.greater: ew.greater, np.greater_equal: ew.greater_equal,
}

FUNCTIONS = {
    np.sum: reduce.sum, np.mean: reduce.mean, np.max: reduce.max, np.min: reduce.min,
    np.amax: reduce.max, np.amin: reduce.min, np.var: reduce.var,
    np.argmax: reduce.argmax, np.argmin: reduce.argmin,
    np.prod: reduce.prod, np.std: reduce.std, np.any: reduce.any, np.all: reduce.all,
    np.cumsum: scan.cumsum, np.cumprod: scan.cumprod,
    # numpy's sort gives the values and takes axis=None (flattened); labgrad's, PyTorch's (values, indices)
    np.sort: lambda a, axis=-1: scan.sort(a.reshape(-1) if axis is None else a, axis=-1 if axis is None else axis)[0],
    np.argsort: lambda a, axis=-1: scan.argsort(a.reshape(-1) if axis is None else a, axis=-1 if axis is None else axis),
    np.where: ew.where, np.clip: ew.clip,
    np.reshape: lambda a, shape: shape_ops.reshape(a, shape),
    np.transpose: lambda a, axes=None: shape_ops.transpose(a, axes),
    np.swapaxes: shape_ops.swapaxes, np.broadcast_to: shape_ops.broadcast_to,
    np.expand_dims: shape_ops.unsqueeze, np.squeeze: shape_ops.squeeze,
    np.concatenate: shape_ops.concatenate, np.stack: shape_ops.stack,
    **({np.astype: ew.astype} if hasattr(np, "astype") else {}),     # (numpy >= 2.1)
    np.shape: lambda a: a.shape, np.ndim: lambda a: a.ndim, np.size: lambda a, axis=None: np.size(a.data, axis),
}


def _on_values(func):
    """``func`` applied to the tensors' values: for comparisons whose result has no gradient."""
    def on_values(*args, **kwargs):
        return func(*[getattr(a, "data", a) for a in args], **kwargs)
    return on_values


#: comparisons (True/False answers: no gradient to lose), answered on the tensors' values
ON_VALUES = {f: _on_values(f) for f in (np.allclose, np.isclose, np.array_equal, np.array_equiv)}
FUNCTIONS.update(ON_VALUES)
