"""Shape ops: reshape, transpose, broadcast, indexing, concatenation.

They move values around without changing them, so each backward moves the
gradient back: reshape it, transpose it by the inverse permutation, sum it over
broadcast axes, scatter it into the indexed positions. Each ``jvp`` moves the
tangent forward the way the values went (they are linear maps: the derivative is
the op itself). A jvp rule takes a batch of tangents (one more leading axis, what
``jacfwd`` pushes through): it works on the trailing axes, the input's own.
"""
import math
import operator

import numpy as np

from autograd.function import Function
from autograd.checks import is_int, unordered
from autograd.ops.arguments import accepts_pytorch_names, normalize_axes, single_axis
from autograd.modes import refuse_listed_arrays, replayed, shape_from_values
from autograd.ops.arrays import values
from autograd.tensor import Tensor, as_tensor

__all__ = [
    "reshape", "view", "transpose", "permute", "swapaxes", "broadcast_to", "squeeze", "unsqueeze", "flatten",
    "getitem", "concatenate", "cat", "stack",
]


def _shape_arg(shape, op):
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike; sizes given as arrays make a shape from values (see
    :func:`_size`); a set, a mapping or a string is refused (see :func:`autograd.checks.unordered`)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        given = shape[0]
        if isinstance(given, _ARRAYS):
            if given.ndim == 0:                # (one size, as numpy takes it: f(np.array(24)))
                return (_size(given, "a size or an axis given as an array"),)
            shape_from_values(given, "a shape or axes given as an array")
        if unordered(given) or isinstance(given, (str, bytes)):
            raise _not_sizes(given, op)
        try:
            items = iter(given)             # (not tuple(given): a TypeError the user's iterable raises is its own)
        except TypeError:
            raise _not_sizes(given, op) from None
        shape = tuple(items)
    if _ARRAY_TYPES.isdisjoint(map(type, shape)):      # (the usual ints: one pass in C)
        return shape
    return tuple(_size(n, "a size or an axis given as an array") for n in shape)


def _not_sizes(given, op):
    return TypeError(f"{op}: sizes or axes must be ints or a sequence of them, got a {type(given).__name__} "
                     f"({given!r}); pass a tuple, e.g. (2, 3)")


_ARRAYS = (np.ndarray, Tensor)
_ARRAY_TYPES = frozenset(_ARRAYS)


def _size(n, what):
    """A size or a slice bound ``n`` as it is, or one given as a 0-d array or Tensor as an int: a shape made from
    values (a step recorded by autograd.compile that computes or is passed it runs eagerly, said once)."""
    if isinstance(n, _ARRAYS) and n.ndim == 0:
        shape_from_values(n, what)
        try:
            return operator.index(values(n))
        except TypeError:                     # (a float or bool array: numpy refuses it too)
            raise TypeError(f"{what} must hold an integer, got one of dtype {values(n).dtype}; pass an int") from None
    return n


def _batch_shape(dx, a):
    """The leading batch axes of the tangent ``dx`` of ``a``: ``()``, or ``(n,)`` for a batch of n."""
    return dx.shape[:dx.ndim - a.ndim]


def reshape_forward(a, shape=None):
    """:class:`Reshape`'s forward as a plain function of arrays: ``(a.reshape(shape), a.shape)``, the input's shape
    being what :func:`reshape_backward` needs.

    >>> out, residuals = reshape_forward(np.arange(6.0), (2, 3))
    >>> out.shape, reshape_backward(residuals, np.ones((2, 3)))[0].shape
    ((2, 3), (6,))
    """
    return a.reshape(shape), a.shape


def reshape_backward(residuals, g):
    """:class:`Reshape`'s backward as a plain function: ``g`` in the input's shape (``residuals``)."""
    return (g.reshape(residuals),)


class Reshape(Function):
    """The same values in a new shape (and the ops that are one: ``view``, ``squeeze``, ``unsqueeze``,
    ``flatten``), done by :func:`reshape_forward` and :func:`reshape_backward` (the op's
    ``residual_functions``: a step recorded by :func:`autograd.compile` calls them without an op object)."""
    name = "reshape"
    trusted = True
    capturable = True
    batched_jvp = True           # (the backward reshapes to the input's shape: one upstream gradient at a time)
    residual_functions = (reshape_forward, reshape_backward)

    def forward(self, a, shape=None):
        try:
            out, self.residuals = reshape_forward(a, shape)
        except ValueError:
            raise ValueError(f"{self.name}: cannot reshape a tensor of shape {a.shape} "
                             f"({a.size} elements) into shape {shape}") from None
        return out

    def backward(self, g, out, a):
        return reshape_backward(self.residuals, g)

    def jvp(self, i, dx, out, a):
        # d reshape(a) = reshape(da)   (after the batch axis, if any; so for view, squeeze, unsqueeze, flatten)
        return dx.reshape(_batch_shape(dx, a) + out.shape)


def reshape(a, *shape):
    """Same values in a new shape (one dimension may be -1)."""
    return Reshape.apply(as_tensor(a), shape=_shape_arg(shape, "reshape"))


class View(Reshape):
    name = "view"
    trusted = True
    capturable = True


def view(a, *shape):
    """PyTorch's name for :func:`reshape` (a copy where numpy cannot make a view: it never fails for that)."""
    return View.apply(as_tensor(a), shape=_shape_arg(shape, "view"))


class Squeeze(Reshape):
    name = "squeeze"
    trusted = True
    capturable = True


@accepts_pytorch_names
def squeeze(a, axis=None):
    """Drop size-1 axes (all of them, or the given int or tuple of axes), composed from reshape."""
    a = as_tensor(a)
    if a.ndim == 0:                                   # numpy and PyTorch take axis 0 (or -1) here
        if axis is not None and axis not in (0, -1, (0,), (-1,)):
            raise ValueError(f"squeeze: invalid axis {axis!r} for a 0-d tensor (only 0 or -1)")
        return Squeeze.apply(a, shape=())
    axes = range(a.ndim) if axis is None else normalize_axes(axis, a.ndim, "squeeze")
    drop = [ax for ax in axes if a.shape[ax] == 1]
    if axis is not None and len(drop) != len(axes):
        raise ValueError(f"squeeze: axis {axis!r} of shape {a.shape} does not have size 1")
    return Squeeze.apply(a, shape=tuple(n for i, n in enumerate(a.shape) if i not in drop))


class Unsqueeze(Reshape):
    name = "unsqueeze"
    trusted = True
    capturable = True


@accepts_pytorch_names
def unsqueeze(a, axis):
    """Insert a size-1 axis at ``axis`` (an int, or a tuple as numpy's expand_dims), composed from reshape."""
    a = as_tensor(a)
    new = normalize_axes(axis, a.ndim + (len(axis) if type(axis) in (tuple, list) else 1), "unsqueeze")
    rest = iter(a.shape)
    return Unsqueeze.apply(a, shape=tuple(1 if i in new else next(rest) for i in range(a.ndim + len(new))))


class FlattenFunction(Reshape):
    """A reshape that merges a run of axes into one (drawn as ``flatten``)."""
    name = "flatten"
    trusted = True
    capturable = True


@accepts_pytorch_names
def flatten(a, start_axis=0, end_axis=-1):
    """Merge axes ``start_axis..end_axis`` into one (PyTorch's flatten), composed from reshape."""
    a = as_tensor(a)
    s, e = (single_axis(axis, max(a.ndim, 1), "flatten") for axis in (start_axis, end_axis))
    if a.ndim == 0:
        return FlattenFunction.apply(a, shape=(1,))
    if s > e:
        raise ValueError(f"flatten: start_axis {start_axis} comes after end_axis {end_axis} for shape {a.shape}")
    return FlattenFunction.apply(a, shape=a.shape[:s] + (math.prod(a.shape[s:e + 1]),) + a.shape[e + 1:])


def transpose_forward(a, axes=None):
    """:class:`Transpose`'s forward as a plain function of arrays: ``(out, residuals)``, the residuals (the
    permutation, each axis in [0, ndim)) being what :func:`transpose_backward` needs.

    >>> out, residuals = transpose_forward(np.zeros((2, 3, 4)), (1, -1, 0))
    >>> out.shape, residuals, transpose_backward(residuals, out)[0].shape
    ((3, 4, 2), (1, 2, 0), (2, 3, 4))
    """
    axes = tuple(reversed(range(a.ndim))) if axes is None else tuple(int(i) % a.ndim for i in axes)
    return a.transpose(axes), axes


def transpose_backward(residuals, g):
    """:class:`Transpose`'s backward as a plain function: ``g`` moved back by the inverse permutation."""
    return (g.transpose(tuple(np.argsort(residuals))),)


class Transpose(Function):
    """Permuted axes (and the ops that are one: ``permute``, ``swapaxes``), done by :func:`transpose_forward` and
    :func:`transpose_backward` (the op's ``residual_functions``) once the axes are checked."""
    name = "transpose"
    trusted = True
    capturable = True
    batched_jvp = True
    residual_functions = (transpose_forward, transpose_backward)

    def forward(self, a, axes=None):
        if axes is None:
            axes = tuple(reversed(range(a.ndim)))
        if not all(is_int(i) for i in axes):
            raise TypeError(f"{self.name}: axes must be ints, got {tuple(axes)} for shape {a.shape}")
        in_range = all(-a.ndim <= i < a.ndim for i in axes)
        if not in_range or sorted(i % a.ndim for i in axes) != list(range(a.ndim)):
            hint = (f"; to swap two axes as PyTorch's transpose(dim0, dim1), use swapaxes{tuple(axes)}"
                    if len(axes) == 2 and a.ndim != 2 else "")
            raise ValueError(f"{self.name}: axes {tuple(axes)} are not a permutation of the "
                             f"{a.ndim} axes of shape {a.shape}{hint}")
        out, self.residuals = transpose_forward(a, axes)
        self.axes = self.residuals
        return out

    def backward(self, g, out, a):
        return transpose_backward(self.residuals, g)

    def jvp(self, i, dx, out, a):
        # d transpose(a) = transpose(da), a batch axis staying in front (so for permute and swapaxes)
        lead = dx.ndim - a.ndim
        return dx.permute(tuple(range(lead)) + tuple(lead + ax for ax in self.axes))


def transpose(a, *axes):
    """Permute axes as numpy does: no axes reverses them (PyTorch's ``transpose(d0, d1)`` is :func:`swapaxes`).

    ``t.transpose(0, 1)`` of a 2-d tensor (PyTorch's spelling, two ints) is refused: numpy
    reads it as the identity permutation, PyTorch as a swap, and the silent difference is
    a trap. The permutation as one tuple, ``transpose((0, 1))``, is numpy's and is kept.
    """
    a = as_tensor(a)
    given = axes
    axes = _shape_arg(axes, "transpose") if axes and not (len(axes) == 1 and axes[0] is None) else None
    # (two axes given apart, each an int once parsed: 0-d arrays too; an array compared with (0, 1) is ambiguous)
    if a.ndim == 2 and len(given) == 2 and all(map(is_int, axes)) and axes == (0, 1):
        raise ValueError("transpose: transpose(0, 1) of a 2-d tensor is numpy's identity permutation (it changes "
                         "nothing), not PyTorch's swap; to swap the axes use t.T, t.t() or t.swapaxes(0, 1)")
    return Transpose.apply(a, axes=axes)


class Permute(Transpose):
    name = "permute"
    trusted = True
    capturable = True


def permute(a, *axes):
    """Reorder the axes (PyTorch's name): ``permute(t, 2, 0, 1)``."""
    return Permute.apply(as_tensor(a), axes=_shape_arg(axes, "permute"))


class SwapAxes(Transpose):
    name = "swapaxes"
    trusted = True
    capturable = True


@accepts_pytorch_names
def swapaxes(a, axis1, axis2):
    """Swap two axes (PyTorch's ``transpose(dim0, dim1)``; ``dim0=``/``dim1=`` are accepted)."""
    a = as_tensor(a)
    axes = list(range(a.ndim))
    i, j = single_axis(axis1, a.ndim, "swapaxes"), single_axis(axis2, a.ndim, "swapaxes")
    axes[i], axes[j] = j, i
    return SwapAxes.apply(a, axes=tuple(axes))


class BroadcastTo(Function):
    name = "broadcast_to"
    trusted = True
    capturable = True
    batched_jvp = True
    batched_backward = True          # (g comes back as it is: the engine's sum keeps the batch axis)

    def forward(self, a, shape=None):
        try:
            return np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to {tuple(shape)}") from None

    def backward(self, g, out, a):
        return (g,)                      # the engine sums it back over the broadcast axes

    def jvp(self, i, dx, out, a):
        # d broadcast_to(a) = broadcast_to(da); new axes go after the batch axis, if any
        lead = _batch_shape(dx, a)
        return dx.reshape(lead + (1,) * (out.ndim - a.ndim) + a.shape).broadcast_to(lead + out.shape)


def broadcast_to(a, shape):
    """Repeat along new or size-1 axes to reach ``shape`` (numpy rules)."""
    return BroadcastTo.apply(as_tensor(a), shape=_shape_arg((shape,), "broadcast_to"))


def _index_text(index):
    """An index as it is written between brackets (what pictures show under ``getitem``).

    >>> import numpy as np
    >>> _index_text((0, slice(1, 3), Ellipsis, np.array([2, 0])))
    '0, 1:3, ..., <int64 array (2,)>'
    """
    if isinstance(index, tuple):
        return ", ".join(_index_text(i) for i in index)
    if isinstance(index, slice):
        text = f"{'' if index.start is None else index.start}:{'' if index.stop is None else index.stop}"
        return text + (f":{index.step}" if index.step is not None else "")
    if index is Ellipsis:
        return "..."
    if isinstance(index, np.ndarray):
        return f"<{index.dtype} array {index.shape}>"
    return repr(index)


def _plain_index(index):
    """The index with Tensors, lists and inner tuples turned into arrays; True if it uses advanced indexing.

    Index arrays are copied: changing the caller's array after the forward pass must not
    move the gradient. An array's copy goes through ``replayed``: a step recorded by
    :func:`autograd.compile` copies each call's own index (passed to it, or computed in it)
    on every replay; a boolean mask of its own makes a shape from its values, and runs it eagerly.
    """
    items = index if isinstance(index, tuple) else (index,)
    plain, advanced = [], False
    for i in items:
        if isinstance(i, (Tensor, np.ndarray)):
            if values(i).dtype == bool:
                shape_from_values(i, "indexing with a boolean mask")
            i = replayed(_index_array, i)         # (a Tensor handed on: a leaf used as an index is guarded)
            advanced = True
        elif isinstance(i, (list, tuple)):
            refuse_listed_arrays(i)
            i = _index_array(i)
            advanced = True
        elif type(i) is slice and not _ARRAY_TYPES.isdisjoint((type(i.start), type(i.stop), type(i.step))):
            i = slice(*(_size(b, "a slice bound given as an array") for b in (i.start, i.stop, i.step)))
        plain.append(i)
    return (tuple(plain) if isinstance(index, tuple) else plain[0]), advanced


def _index_array(i):
    """A copy of index ``i`` (a list, an array or a Tensor) as an array (``[]``, which numpy reads as floats, as
    integers: it selects nothing)."""
    i = np.array(values(i))
    return i.astype(np.intp) if i.size == 0 and i.dtype.kind == "f" else i


def _scatter_add(g, index, shape, advanced):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate)."""
    if isinstance(g, Tensor):
        return ScatterAdd.apply(g, index=index, shape=shape, advanced=advanced)
    z = np.zeros(shape, dtype=g.dtype)
    if advanced:
        np.add.at(z, index, g)
    else:
        z[index] = g
    return z


def _batch_last(index):
    """``index`` for an array with one more axis at the end (a batch moved out of its way), left untouched."""
    index = index if isinstance(index, tuple) else (index,)
    has_ellipsis = any(item is Ellipsis for item in index)     # (not `in`: it compares index arrays)
    return index + ((slice(None),) if has_ellipsis else (Ellipsis, slice(None)))


def _move_batch(t, to_front):
    """``t`` with its first axis moved last (``to_front=False``), or its last axis moved first."""
    order = (t.ndim - 1,) + tuple(range(t.ndim - 1)) if to_front else tuple(range(1, t.ndim)) + (0,)
    return t.permute(order)


def getitem_forward(a, index=None, advanced=False):
    """:class:`GetItem`'s forward as a plain function of arrays: ``(a[index], residuals)``, the residuals (the
    index, the input's shape, whether the index is advanced) being what :func:`getitem_backward` needs.

    >>> out, residuals = getitem_forward(np.arange(4.0), np.array([1, 1, 3]), advanced=True)
    >>> out.tolist(), getitem_backward(residuals, np.ones(3))[0].tolist()     # (repeated indices add up)
    ([1.0, 1.0, 3.0], [0.0, 2.0, 0.0, 1.0])
    """
    try:
        out = a[index]
    except (IndexError, TypeError) as e:      # (here, not in the op: a replay's index out of range says so too)
        raise IndexError(f"getitem: index {index!r} is invalid for shape {a.shape} ({e})") from None
    return np.asarray(out), (index, a.shape, advanced)      # (an array: an element comes as a scalar)


def getitem_backward(residuals, g):
    """:class:`GetItem`'s backward as a plain function: zeros of the input's shape with ``g`` added at the index."""
    index, shape, advanced = residuals
    return (_scatter_add(g, index, shape, advanced),)


class GetItem(Function):
    """``a[index]``, done by :func:`getitem_forward` and :func:`getitem_backward` (the op's
    ``residual_functions``)."""
    name = "getitem"
    trusted = True
    capturable = True
    batched_jvp = True
    residual_functions = (getitem_forward, getitem_backward)

    def forward(self, a, index=None, advanced=False):
        self.index, self.advanced = index, advanced
        out, self.residuals = getitem_forward(a, index, advanced)
        return out

    def backward(self, g, out, a):
        return getitem_backward(self.residuals, g)

    def jvp(self, i, dx, out, a):
        # d a[index] = da[index]
        if dx.ndim == a.ndim:
            return GetItem.apply(dx, index=self.index, advanced=self.advanced)
        # A batch of tangents: the index must pick from the trailing axes. A leading batch slice would not
        # always stay in front (numpy moves the axes of advanced indices that a slice separates, as in
        # a[0, :, [1, 2]], to the front), so the batch axis is moved last, out of the index's way, and back.
        picked = GetItem.apply(_move_batch(dx, to_front=False), index=_batch_last(self.index), advanced=self.advanced)
        return _move_batch(picked, to_front=True)

    def describe(self):
        return f"[{_index_text(self.index)}]"          # as written: x[0, 1:3]


def getitem(a, index):
    """``a[index]``: ints, slices, ``...``, None, integer arrays and boolean masks.

    Repeated integer indices accumulate in the gradient.
    """
    index, advanced = _plain_index(index)
    return GetItem.apply(as_tensor(a), index=index, advanced=advanced)


class ScatterAdd(Function):
    """The transpose of indexing, needed to differentiate indexing's backward again."""
    name = "scatter_add"
    trusted = True
    capturable = True
    batched_jvp = True

    def forward(self, g, index=None, shape=None, advanced=False):
        self.index, self.shape, self.advanced = index, shape, advanced
        return _scatter_add(g, index, shape, advanced)

    def backward(self, g2, out, g):
        return (g2[self.index],)

    def jvp(self, i, dx, out, g):
        # linear in g: d scatter_add(g) = scatter_add(dg); a batch of tangents moved last, as in GetItem.jvp
        if dx.ndim == g.ndim:
            return ScatterAdd.apply(dx, index=self.index, shape=self.shape, advanced=self.advanced)
        scattered = ScatterAdd.apply(_move_batch(dx, to_front=False), index=_batch_last(self.index),
                                     shape=self.shape + dx.shape[:1], advanced=self.advanced)
        return _move_batch(scattered, to_front=True)

    def describe(self):
        return f"[{_index_text(self.index)}] shape={self.shape}"


class Concatenate(Function):
    name = "concatenate"
    trusted = True
    capturable = True
    batched_jvp = True

    def forward(self, *arrays, axis=0):
        try:
            out = np.concatenate(arrays, axis=axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ValueError(f"concatenate: cannot join shapes {[x.shape for x in arrays]} "
                             f"along axis {axis} ({e})") from None
        self.axis = axis % out.ndim
        return out

    def backward(self, g, out, *inputs):
        grads, start, lead = [], 0, (slice(None),) * self.axis
        for x in inputs:
            n = x.shape[self.axis]
            grads.append(g[lead + (slice(start, start + n),)])
            start += n
        return tuple(grads)

    def jvp(self, i, dx, out, *inputs):
        # input i's change fills its own slot of the output; the other slots do not change (zeros there)
        lead = _batch_shape(dx, inputs[i])
        parts = [dx if k == i else Tensor.wrap(np.zeros(lead + x.shape, dx.dtype)) for k, x in enumerate(inputs)]
        return Concatenate.apply(*parts, axis=len(lead) + self.axis)


@accepts_pytorch_names
def concatenate(tensors, axis=0):
    """Join tensors along an existing axis (``axis=None``: flattened first, as numpy)."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    if axis is None:
        tensors, axis = [reshape(t, -1) for t in tensors], 0
    elif not is_int(axis):
        raise TypeError(f"concatenate: axis must be an int or None, got {axis!r}")
    return Concatenate.apply(*tensors, axis=axis)


cat = concatenate     # PyTorch's name


class Stack(Function):
    name = "stack"
    trusted = True
    capturable = True
    batched_jvp = True

    def forward(self, *arrays, axis=0):
        self.axis = axis                              # (checked, non-negative: see stack below)
        return np.stack(arrays, axis=axis)

    def backward(self, g, out, *inputs):
        lead = (slice(None),) * self.axis
        return tuple(g[lead + (i,)] for i in range(len(inputs)))

    def jvp(self, i, dx, out, *inputs):
        # input i's change fills its own slot of the output; the other slots do not change (zeros there)
        lead = _batch_shape(dx, inputs[i])
        parts = [dx if k == i else Tensor.wrap(np.zeros(lead + x.shape, dx.dtype)) for k, x in enumerate(inputs)]
        return Stack.apply(*parts, axis=len(lead) + self.axis)


@accepts_pytorch_names
def stack(tensors, axis=0):
    """Join equally shaped tensors along a new axis."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    axis = single_axis(axis, tensors[0].ndim + 1, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {[t.shape for t in tensors]}")
    return Stack.apply(*tensors, axis=axis)
