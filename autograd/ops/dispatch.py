"""Which numpy functions a Tensor answers, so ``np.exp(t)`` and ``ndarray + t`` give Tensors.

Every op that has a numpy function of the same name (or numpy's name for it, such as
``np.negative`` for ``neg``) is here; tests/test_op_registry.py checks it. This is also
what lets one backward formula, written with numpy calls, run on arrays (first-order
gradients) and on Tensors (``create_graph=True``).
"""
import numpy as np

from autograd.modes import read_into_python, refuse_listed_arrays, replayed, shape_from_values
from autograd.ops import contraction, creation, elementwise as ew, linalg, movement, reduce, scan, shape as shape_ops
from autograd.ops.arrays import applied, values
from autograd.tensor import Tensor

__all__ = ["UFUNCS", "FUNCTIONS", "ON_VALUES"]

UFUNCS = {
    np.add: ew.add, np.subtract: ew.sub, np.multiply: ew.mul, np.true_divide: ew.div,
    np.power: ew.pow, np.negative: ew.neg, np.matmul: linalg.matmul,
    np.exp: ew.exp, np.log: ew.log, np.sqrt: ew.sqrt, np.absolute: ew.abs, np.tanh: ew.tanh,
    np.maximum: ew.maximum, np.minimum: ew.minimum, np.sign: ew.sign,
    np.isfinite: ew.isfinite, np.isnan: ew.isnan,
    np.equal: ew.equal, np.not_equal: ew.not_equal, np.less: ew.less, np.less_equal: ew.less_equal,
    np.greater: ew.greater, np.greater_equal: ew.greater_equal,
    np.sin: ew.sin, np.cos: ew.cos, np.tan: ew.tan, np.sinh: ew.sinh, np.cosh: ew.cosh,
    np.arcsin: ew.asin, np.arccos: ew.acos, np.arctan: ew.atan,          # (numpy 2 also calls them asin, ...)
    np.arcsinh: ew.asinh, np.arccosh: ew.acosh, np.arctanh: ew.atanh,
    np.log2: ew.log2, np.log10: ew.log10, np.exp2: ew.exp2, np.log1p: ew.log1p, np.expm1: ew.expm1,
    np.floor: ew.floor, np.ceil: ew.ceil, np.trunc: ew.trunc, np.rint: ew.round,
    np.remainder: ew.remainder, np.fmod: ew.fmod, np.logaddexp: ew.logaddexp,
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
    np.where: ew.where, np.clip: ew.clip, np.round: ew.round,
    np.zeros_like: creation.zeros_like, np.ones_like: creation.ones_like, np.full_like: creation.full_like,
    np.reshape: lambda a, shape: shape_ops.reshape(a, shape),
    np.transpose: lambda a, axes=None: shape_ops.transpose(a, axes),
    np.swapaxes: shape_ops.swapaxes, np.broadcast_to: shape_ops.broadcast_to,
    np.expand_dims: shape_ops.unsqueeze, np.squeeze: shape_ops.squeeze,
    np.concatenate: shape_ops.concatenate, np.stack: shape_ops.stack,
    **({np.astype: ew.astype} if hasattr(np, "astype") else {}),     # (numpy >= 2.1)
    # data movement, called with numpy's arguments; where numpy's function differs from PyTorch's namesake
    # (np.repeat is repeat_interleave, np.split takes section counts or split points, np.pad widths per axis
    # first to last and mode "edge"), the lambda translates it to the op that computes what numpy computes
    np.flip: lambda m, axis=None: movement.flip(m, tuple(range(m.ndim)) if axis is None else axis),
    np.roll: lambda a, shift, axis=None: movement.roll(a, shift, axis),
    np.tile: lambda A, reps: movement.tile(A, reps),
    np.repeat: lambda a, repeats, axis=None: movement.repeat_interleave(a, repeats, axis),
    np.tril: lambda m, k=0: movement.tril(m, k), np.triu: lambda m, k=0: movement.triu(m, k),
    np.diag: lambda v, k=0: movement.diag(v, k),
    np.diagonal: lambda a, offset=0, axis1=0, axis2=1: movement.diagonal(a, offset, axis1, axis2),
    np.split: lambda ary, indices_or_sections, axis=0: movement.numpy_split(ary, indices_or_sections, axis),
    np.pad: lambda array, pad_width, mode="constant", constant_values=0: movement.pad(
        array, _pad_widths(pad_width, array.ndim), {"edge": "replicate"}.get(mode, mode),
        constant_values if mode == "constant" else None),
    np.einsum: lambda subscripts, *operands, optimize=False: contraction.einsum(subscripts, *operands),
    np.shape: lambda a: a.shape, np.ndim: lambda a: a.ndim, np.size: lambda a, axis=None: np.size(a.data, axis),
}


def _pad_widths(pad_width, ndim):
    """numpy's ``pad_width`` as PyTorch's flat widths, last axis first (from an array, or arrays in a tuple: a shape
    made from values); integers only, as numpy's."""
    if isinstance(pad_width, (np.ndarray, Tensor)):
        shape_from_values(pad_width, "np.pad's widths given as an array")
    refuse_listed_arrays(pad_width)
    widths = np.broadcast_to(values(pad_width), (ndim, 2))[::-1].ravel()
    if widths.dtype.kind not in "iu":
        raise TypeError(f"np.pad: pad_width must hold integers, got {pad_width!r} (dtype {widths.dtype}); pass ints")
    return tuple(int(w) for w in widths)


def _on_values(func):
    """``func`` applied to the tensors' values: for comparisons whose result has no gradient. An array of answers
    (``np.isclose``) is made through ``replayed`` (a step recorded by autograd.compile computes each call's own);
    one True or False is a value read into Python (such a step runs eagerly, said once)."""
    if func is np.isclose:
        def on_values(*args, **kwargs):
            return replayed(applied, func, *args, **kwargs)
    else:
        def on_values(*args, **kwargs):
            read_into_python(f"np.{func.__name__} of tensors")
            return func(*[values(a) for a in args], **kwargs)
    return on_values


#: comparisons (True/False answers: no gradient to lose), answered on the tensors' values
ON_VALUES = {f: _on_values(f) for f in (np.allclose, np.isclose, np.array_equal, np.array_equiv)}
FUNCTIONS.update(ON_VALUES)
