"""Data movement: ops that copy, repeat, select or rearrange values along axes (PyTorch's names and semantics).

``pad flip roll repeat tile repeat_interleave tril triu diag diagonal split chunk unflatten gather
scatter_add masked_fill one_hot``.

None of them computes with the values, so almost all are compositions of the shape ops
(autograd/ops/shape.py), and their gradients and ``jvp`` rules are those ops' own:

- a selection by an index (``flip``, ``roll``, ``diagonal``, ``split``, ``gather``, ``pad`` in
  ``reflect``/``replicate`` mode) is ``getitem``, whose backward scatters the gradient back
  (accumulating where an index repeats: a reflected border, a gathered row taken twice) and
  whose double backward is ``getitem`` again;
- a placement (``diag`` of a vector, ``scatter_add``) is the adjoint of ``getitem``;
- a repetition (``repeat``, ``tile``, ``repeat_interleave`` by an int) is a reshape, a broadcast
  and a reshape, whose backward sums the copies;
- a mask (``tril``, ``triu``, ``masked_fill``) is ``where``.

The compositions are subclasses of those primitives that change the ``name`` (and what pictures
show under it), so that graph pictures say ``flip dims=0`` or ``gather dim=1`` where the user
wrote it (as ``view`` and ``squeeze`` are ``reshape``); ``pad``'s reflect/replicate subclass
also has a faster first-order backward (see :class:`PadByIndex`). The one new primitive is
:class:`Pad` (constant padding adds values no input holds): its backward is a crop, which is
:class:`Pad` with the widths negated. ``one_hot`` returns integers and has no gradient.

>>> from autograd import Tensor
>>> x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
>>> x.flip(1).roll(1, 0)
Tensor([[6., 5., 4.],
        [3., 2., 1.]], op='roll')
"""
import math

import numpy as np

from autograd.checks import integer, is_int, one_of, positive_int, real_number
from autograd.function import Function
from autograd.modes import refuse_listed_arrays, replayed, shape_from_values
from autograd.ops.arguments import accepts_pytorch_names, normalize_axes, single_axis
from autograd.ops.arrays import applied, values
from autograd.ops.elementwise import Where
from autograd.ops.shape import BroadcastTo, GetItem, Reshape, ScatterAdd
from autograd.tensor import Tensor, as_tensor

__all__ = ["pad", "flip", "roll", "repeat", "tile", "repeat_interleave", "tril", "triu", "diag", "diagonal",
           "split", "chunk", "unflatten", "gather", "scatter_add", "masked_fill", "one_hot"]

PAD_MODES = ("constant", "reflect", "replicate")


def _int_tuple(value, name, op):
    """An int or a sequence of ints as a tuple of Python ints; TypeError naming the op otherwise."""
    if is_int(value):
        return (int(value),)
    if isinstance(value, (tuple, list)) and all(is_int(v) for v in value):
        return tuple(int(v) for v in value)
    raise TypeError(f"{op}: {name} must be an int or a sequence of ints, got {value!r}; pass e.g. (1, 2)")


def _sizes_arg(sizes, op):
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike, as a tuple of ints."""
    if len(sizes) == 1 and not is_int(sizes[0]):
        sizes = sizes[0]
    return _int_tuple(tuple(sizes) if isinstance(sizes, (tuple, list)) else sizes, "sizes", op)


def _index_array(index, op, name="index"):
    """An integer index (Tensor, array or list) as a numpy array; TypeError for anything else."""
    refuse_listed_arrays(index)
    data = index.data if isinstance(index, Tensor) else np.asarray(index)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must hold integers, got dtype {data.dtype} with shape {data.shape}; "
                        "pass an int64 tensor (index.astype(np.int64))")
    return data


class Selection(GetItem):
    """``getitem`` under the name of the op the user called, described by that op's arguments (``dims=(0,)``
    for ``flip``) rather than by the index arrays it builds."""
    name = "getitem"
    trusted = True
    capturable = True

    def forward(self, a, index=None, advanced=False, shown=""):
        self.shown = shown
        return super().forward(a, index, advanced)

    def describe(self):
        return self.shown


# --- pad ------------------------------------------------------------------------------------

class Pad(Function):
    """Constant padding (negative widths crop), PyTorch's ``pad`` argument: last axis first.

    Its own adjoint up to the sign of the widths: the backward crops what the forward added
    and pads with zeros what it cropped, so it differentiates again with no other op.
    """
    name = "pad"
    trusted = True
    capturable = True
    batched_jvp = batched_backward = True     # (the widths name the trailing axes: a leading batch axis is kept)

    def forward(self, a, pad=(), value=0.0):
        self.pad, self.value = pad, (value or None)        # (None: the default 0 is not shown in pictures)
        widths = [(0, 0)] * (a.ndim - len(pad) // 2) + [(pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]
        kept = tuple(slice(max(-before, 0), n - max(-after, 0)) for (before, after), n in zip(widths, a.shape))
        out = np.full([n + before + after for (before, after), n in zip(widths, a.shape)], value, a.dtype)
        out[tuple(slice(max(before, 0), max(before, 0) + s.stop - s.start) for (before, _), s
                  in zip(widths, kept))] = a[kept]
        return out

    def backward(self, g, out, a):
        return (_pad_constant(g, tuple(-w for w in self.pad)),)

    def jvp(self, i, dx, out, a):
        # linear in a: d pad(a) = pad(da) with zeros (the constant does not change)
        return Pad.apply(dx, pad=self.pad)


def _pad_constant(g, pad):
    """``g`` padded (cropped where ``pad`` is negative) with zeros: on arrays, or on Tensors in a graph."""
    if isinstance(g, Tensor):
        return Pad.apply(g, pad=pad)
    return Pad().forward(g, pad=pad)


class PadByIndex(Selection):
    """``reflect`` and ``replicate`` padding: a gather of each padded axis by its index map
    (``[2, 1, 0, 1, 2, 3, 2, 1]`` reflects ``[0..3]`` by 2), so the backward accumulates the
    border's gradient into the values it copied.

    On arrays the accumulation runs axis by axis: the inner block of the gradient, plus each
    border column added to the column it copied (one slice per border position, 10x faster than
    getitem's ``np.add.at`` at (64, 32, 16, 16)); under ``create_graph`` it is getitem's
    scatter, whose own backward is this gather again.
    """
    name = "pad"
    trusted = True
    capturable = True

    def forward(self, a, index=None, advanced=True, shown="", before=()):
        self.before = before                  # the left width of each padded axis (the last axes)
        return super().forward(a, index, advanced, shown)

    def backward(self, g, out, a):
        if isinstance(g, Tensor):
            return super().backward(g, out, a)
        maps = [m.ravel() for m in self.index[1:]]
        for ax, positions, before in zip(range(a.ndim - len(maps), a.ndim), maps, self.before):
            n, lead = a.shape[ax], (slice(None),) * ax
            summed = g[lead + (slice(before, before + n),)].copy()
            for j in [*range(before), *range(before + n, len(positions))]:     # the border columns
                summed[lead + (positions[j],)] += g[lead + (j,)]
            g = summed
        return (g,)


def pad(a, pad, mode="constant", value=None):
    """Pad the last axes (PyTorch's ``F.pad``): ``pad`` lists (before, after) pairs, last axis first.

    Parameters
    ----------
    a : Tensor
    pad : sequence of ints
        ``(left, right)`` pads the last axis, ``(left, right, top, bottom)`` the last two, and so on.
        Negative widths crop (constant mode only).
    mode : {"constant", "reflect", "replicate"}
        Fill with ``value``; mirror the values without repeating the edge; repeat the edge.
    value : float, optional
        The fill of constant mode (default 0).

    >>> from autograd import Tensor
    >>> x = Tensor([[1.0, 2.0, 3.0]])
    >>> pad(x, (1, 2)), pad(x, (2, 1), mode="reflect"), pad(x, (1, 1, 1, 0), mode="replicate")
    (Tensor([[0., 1., 2., 3., 0., 0.]]), Tensor([[3., 2., 1., 2., 3., 2.]]), Tensor([[1., 1., 2., 3., 3.],
            [1., 1., 2., 3., 3.]]))
    """
    a = as_tensor(a)
    pad = _int_tuple(pad, "pad", "pad")
    mode = one_of(mode, PAD_MODES, "mode", "pad")
    if len(pad) % 2 or len(pad) // 2 > a.ndim:
        raise ValueError(f"pad: pad {pad} must hold an even number of widths, two per padded axis (last axis "
                         f"first), for at most the {a.ndim} axes of shape {a.shape}; pass e.g. (1, 1)")
    axes = [a.ndim - 1 - k for k in range(len(pad) // 2)]       # pad[2k], pad[2k + 1] widen axes[k]
    if mode == "constant":
        value = 0.0 if value is None else real_number(value, "value", "pad", finite=False)
        for k, ax in enumerate(axes):
            if a.shape[ax] + pad[2 * k] + pad[2 * k + 1] < 0:
                raise ValueError(f"pad: widths {pad[2 * k: 2 * k + 2]} crop axis {ax} of shape {a.shape} below "
                                 "size 0; crop at most the axis' size")
        return Pad.apply(a, pad=pad, value=value)
    if value is not None and value != 0:
        raise ValueError(f"pad: value={value!r} is only used by mode='constant', got mode={mode!r}; drop value")
    if any(w < 0 for w in pad):
        raise ValueError(f"pad: mode={mode!r} takes non-negative widths, got pad={pad}; crop with a slice first")
    maps = []
    for k, ax in enumerate(axes):
        n, widths = a.shape[ax], (pad[2 * k], pad[2 * k + 1])
        if mode == "reflect" and max(widths) >= n:
            raise ValueError(f"pad: reflect widths {widths} of axis {ax} must be less than its size {n} "
                             f"(shape {a.shape}); use smaller widths or mode='replicate'")
        if mode == "replicate" and n == 0 and max(widths) > 0:
            raise ValueError(f"pad: replicate cannot pad the empty axis {ax} of shape {a.shape}")
        positions = np.arange(-widths[0], n + widths[1])
        maps.append(np.clip(positions, 0, n - 1) if mode == "replicate"            # the edge, repeated
                    else (n - 1) - np.abs((n - 1) - np.abs(positions)))              # mirrored at 0 and n - 1
    index = (Ellipsis,) + np.ix_(*reversed(maps))           # the padded axes are the last ones, in order
    return PadByIndex.apply(a, index=index, advanced=True, shown=f"pad={pad} mode={mode!r}",
                            before=tuple(pad[i] for i in range(len(pad) - 2, -1, -2)))


# --- reordering: flip, roll -------------------------------------------------------------------

class Flip(Selection):
    """``a[..., ::-1, ...]``: a slice, so its backward is the reversed gradient."""
    name = "flip"
    trusted = True
    capturable = True


def flip(a, dims):
    """Reverse the order of the values along ``dims`` (an int or a tuple), as PyTorch's ``flip``.

    >>> from autograd import Tensor
    >>> flip(Tensor([[1.0, 2.0], [3.0, 4.0]]), (0, 1))
    Tensor([[4., 3.],
            [2., 1.]])
    """
    a = as_tensor(a)
    axes = normalize_axes(_int_tuple(dims, "dims", "flip"), a.ndim, "flip")
    index = tuple(slice(None, None, -1) if ax in axes else slice(None) for ax in range(a.ndim))
    return Flip.apply(a, index=index, advanced=False, shown=f"dims={dims!r}")


class Roll(Selection):
    """A rotation of the positions along some axes: a permutation, so the gradient is rotated back
    by assignment (no index repeats)."""
    name = "roll"
    trusted = True
    capturable = True


def roll(a, shifts, dims=None):
    """Rotate the values by ``shifts`` positions along ``dims`` (None: the flattened tensor), as PyTorch.

    >>> from autograd import Tensor
    >>> roll(Tensor([1.0, 2.0, 3.0, 4.0]), 1)
    Tensor([4., 1., 2., 3.])
    """
    a = as_tensor(a)
    shifts = _int_tuple(shifts, "shifts", "roll")
    if dims is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: {len(shifts)} shifts {shifts} need as many dims, got dims=None (which "
                             "rolls the flattened tensor by one shift); pass dims")
        return Reshape.apply(roll(Reshape.apply(a, shape=(-1,)), shifts, 0), shape=a.shape)
    dims = _int_tuple(dims, "dims", "roll")
    if len(dims) != len(shifts):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length (one shift per dim)")
    total = [0] * a.ndim
    for shift, dim in zip(shifts, dims):                 # (a dim given twice rolls by both shifts)
        total[single_axis(dim, a.ndim, "roll")] += shift
    maps = [np.roll(np.arange(n), s) if s % max(n, 1) else np.arange(n) for n, s in zip(a.shape, total)]
    rolled = [ax for ax in range(a.ndim) if total[ax] % max(a.shape[ax], 1)]
    if not rolled:
        return Roll.apply(a, index=(Ellipsis,), advanced=False, shown=f"shifts={shifts} dims={dims}")
    index = [slice(None)] * a.ndim
    for ax, open_map in zip(rolled, np.ix_(*[maps[ax] for ax in rolled])):
        index[ax] = open_map
    if len(rolled) > 1 and rolled[-1] - rolled[0] != len(rolled) - 1:
        return _roll_axis_by_axis(a, rolled, maps)
    return Roll.apply(a, index=tuple(index), advanced=False, shown=f"shifts={shifts} dims={dims}")


def _roll_axis_by_axis(a, rolled, maps):
    """Rolls along axes that a slice separates, one axis at a time (one index array per step keeps
    numpy from moving the indexed axes to the front)."""
    for ax in rolled:
        a = Roll.apply(a, index=(slice(None),) * ax + (maps[ax],), advanced=False, shown=f"axis={ax}")
    return a


# --- repetition: repeat, tile, repeat_interleave ------------------------------------------------

class Repeat(Reshape):
    """The last step of a repetition: a reshape that merges each (copies, size) pair of axes of a
    broadcast view into one axis (its backward sums the copies, through the broadcast's)."""
    name = "repeat"
    trusted = True
    capturable = True


class Tile(Repeat):
    name = "tile"
    trusted = True
    capturable = True


def _repeated(a, copies, merge):
    """``a`` repeated whole ``copies[d]`` times along each axis d (``len(copies) == a.ndim``): a view of
    shape (copies[0], n0, copies[1], n1, ...) merged by the reshape ``merge`` (exact: no arithmetic)."""
    pairs = tuple(x for n in a.shape for x in (1, n))
    spread = BroadcastTo.apply(Reshape.apply(a, shape=pairs), shape=tuple(
        x for r, n in zip(copies, a.shape) for x in (r, n)))
    return merge.apply(spread, shape=tuple(r * n for r, n in zip(copies, a.shape)))


def repeat(a, *sizes):
    """Repeat the whole tensor ``sizes[d]`` times along each axis d (PyTorch's ``Tensor.repeat``, numpy's
    ``tile``); more sizes than axes add leading axes.

    >>> from autograd import Tensor
    >>> repeat(Tensor([1.0, 2.0]), 2, 2)
    Tensor([[1., 2., 1., 2.],
            [1., 2., 1., 2.]])
    """
    a = as_tensor(a)
    sizes = _sizes_arg(sizes, "repeat")
    if len(sizes) < a.ndim or any(s < 0 for s in sizes):
        raise ValueError(f"repeat: sizes {sizes} must be non-negative, one per axis of shape {a.shape} at least; "
                         "pass at least as many sizes as axes (use tile to repeat only the last ones)")
    return _repeated(Reshape.apply(a, shape=(1,) * (len(sizes) - a.ndim) + a.shape), sizes, Repeat)


def tile(a, dims):
    """Repeat the whole tensor along each axis (PyTorch's ``tile``: fewer ``dims`` than axes repeat the
    last axes).

    >>> from autograd import Tensor
    >>> tile(Tensor([[1.0, 2.0]]), (2,))
    Tensor([[1., 2., 1., 2.]])
    """
    a = as_tensor(a)
    dims = _int_tuple(dims, "dims", "tile")
    if any(d < 0 for d in dims):
        raise ValueError(f"tile: dims {dims} must be non-negative (copies per axis of shape {a.shape})")
    dims = (1,) * (a.ndim - len(dims)) + dims
    return _repeated(Reshape.apply(a, shape=(1,) * (len(dims) - a.ndim) + a.shape), dims, Tile)


class RepeatInterleave(Selection):
    """``repeat_interleave`` with one count per element: a gather of each index as many times as its
    count (the gradient of an element is the sum over its copies)."""
    name = "repeat_interleave"
    trusted = True
    capturable = True


class InterleavedCopies(Repeat):
    """``repeat_interleave`` by one count: the copies, broadcast on a new axis after ``axis``, merged into it."""
    name = "repeat_interleave"
    trusted = True
    capturable = True


@accepts_pytorch_names
def repeat_interleave(a, repeats, axis=None):
    """Repeat each element ``repeats`` times (an int, or one count per element) along ``axis``
    (None: the flattened tensor), as PyTorch's ``repeat_interleave``.

    >>> from autograd import Tensor
    >>> repeat_interleave(Tensor([1.0, 2.0]), 2), repeat_interleave(Tensor([1.0, 2.0]), [1, 3])
    (Tensor([1., 1., 2., 2.]), Tensor([1., 2., 2., 2.]))
    """
    a = as_tensor(a)
    if axis is None:
        a, axis = Reshape.apply(a, shape=(-1,)), 0
    axis = single_axis(axis, a.ndim, "repeat_interleave")
    n = a.shape[axis]
    if isinstance(repeats, (Tensor, np.ndarray)):       # (the output's shape is made from the counts' values)
        shape_from_values(repeats, "repeat_interleave's repeats")
    if is_int(repeats) or (isinstance(repeats, (Tensor, np.ndarray)) and np.ndim(repeats) == 0):
        count = integer(int(_index_array(repeats, "repeat_interleave", "repeats")), "repeats",
                        "repeat_interleave", low=0)
        lifted = Reshape.apply(a, shape=a.shape[:axis + 1] + (1,) + a.shape[axis + 1:])
        copies = BroadcastTo.apply(lifted, shape=a.shape[:axis + 1] + (count,) + a.shape[axis + 1:])
        return InterleavedCopies.apply(copies, shape=a.shape[:axis] + (n * count,) + a.shape[axis + 1:])
    counts = _index_array(repeats, "repeat_interleave", "repeats")
    if counts.ndim != 1 or counts.shape[0] not in (1, n) or (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must be one non-negative count or {n} of them (axis {axis} "
                         f"of shape {a.shape}), got shape {counts.shape}"
                         + (f" with values from {counts.min()}" if counts.size else ""))
    index = np.repeat(np.arange(n), np.broadcast_to(counts, (n,)))
    return RepeatInterleave.apply(a, index=(slice(None),) * axis + (index,), advanced=True,
                                  shown=f"repeats=<{counts.size} counts> axis={axis}")


# --- triangles and diagonals ------------------------------------------------------------------

class Tril(Where):
    """The values on and below a diagonal, zeros elsewhere: ``where`` with a triangular mask."""
    name = "tril"
    trusted = True
    capturable = True


class Triu(Where):
    """The values on and above a diagonal, zeros elsewhere: ``where`` with a triangular mask."""
    name = "triu"
    trusted = True
    capturable = True


def _triangle(a, diagonal, lower, op):
    a = as_tensor(a)
    if a.ndim < 2:
        raise ValueError(f"{op}: needs a matrix or a stack of matrices (at least 2 axes), got shape {a.shape}")
    diagonal = integer(diagonal, "diagonal", op)
    n, m = a.shape[-2:]
    mask = np.tri(n, m, diagonal, dtype=bool) if lower else ~np.tri(n, m, diagonal - 1, dtype=bool)
    return (Tril if lower else Triu).apply(a, Tensor.wrap(np.zeros((), a.dtype)), condition=mask)


def tril(a, diagonal=0):
    """The lower triangle of the last two axes (on and below the ``diagonal``-th diagonal), zeros above.

    >>> from autograd import Tensor
    >>> tril(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    Tensor([[1., 0.],
            [3., 4.]])
    """
    return _triangle(a, diagonal, True, "tril")


def triu(a, diagonal=0):
    """The upper triangle of the last two axes (on and above the ``diagonal``-th diagonal), zeros below.

    >>> from autograd import Tensor
    >>> triu(Tensor([[1.0, 2.0], [3.0, 4.0]]), 1)
    Tensor([[0., 2.],
            [0., 0.]])
    """
    return _triangle(a, diagonal, False, "triu")


class Diagonal(Selection):
    """The values ``a[..., i, i + offset, ...]``: a gather by index arrays on every axis."""
    name = "diagonal"
    trusted = True
    capturable = True


class DiagonalOfMatrix(Diagonal):
    name = "diag"
    trusted = True
    capturable = True


def diagonal(a, offset=0, dim1=0, dim2=1):
    """The ``offset``-th diagonal of the planes of axes ``dim1``, ``dim2``, as a last axis (PyTorch's
    ``diagonal``; ``offset > 0`` above the main diagonal).

    >>> from autograd import Tensor
    >>> diagonal(Tensor([[1.0, 2.0], [3.0, 4.0]])), diagonal(Tensor([[1.0, 2.0], [3.0, 4.0]]), 1)
    (Tensor([1., 4.]), Tensor([2.]))
    """
    return _diagonal(as_tensor(a), offset, dim1, dim2, Diagonal)


def _diagonal(a, offset, dim1, dim2, cls):
    offset = integer(offset, "offset", "diagonal")
    if a.ndim < 2:
        raise ValueError(f"diagonal: needs at least 2 axes, got shape {a.shape}; for a vector use diag")
    d1, d2 = single_axis(dim1, a.ndim, "diagonal"), single_axis(dim2, a.ndim, "diagonal")
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 must be different axes, got {dim1} and {dim2} "
                         f"for shape {a.shape}")
    rows0, cols0 = max(-offset, 0), max(offset, 0)
    length = max(0, min(a.shape[d1] - rows0, a.shape[d2] - cols0))
    others = [ax for ax in range(a.ndim) if ax not in (d1, d2)]
    k = len(others)
    index = [None] * a.ndim
    for position, ax in enumerate(others):         # every other axis kept, in order, before the diagonal
        index[ax] = np.arange(a.shape[ax]).reshape((1,) * position + (-1,) + (1,) * (k - position))
    steps = np.arange(length).reshape((1,) * k + (-1,))
    index[d1], index[d2] = steps + rows0, steps + cols0
    return cls.apply(a, index=tuple(index), advanced=False, shown=f"offset={offset} dims=({d1}, {d2})")


class DiagonalMatrix(ScatterAdd):
    """``diag`` of a vector: the vector placed on a diagonal of a square matrix of zeros (the adjoint
    of taking that diagonal, so the gradient is the diagonal of the upstream gradient)."""
    name = "diag"
    trusted = True
    capturable = True

    def describe(self):
        return f"shape={self.shape}"


def diag(a, diagonal=0):
    """A vector -> the square matrix with it on the ``diagonal``-th diagonal; a matrix -> that diagonal
    (PyTorch's and numpy's ``diag``).

    >>> from autograd import Tensor
    >>> diag(Tensor([1.0, 2.0]))
    Tensor([[1., 0.],
            [0., 2.]])
    """
    a = as_tensor(a)
    diagonal = integer(diagonal, "diagonal", "diag")
    if a.ndim == 2:
        return _diagonal(a, diagonal, 0, 1, DiagonalOfMatrix)
    if a.ndim != 1:
        raise ValueError(f"diag: takes a vector (1 axis) or a matrix (2 axes), got shape {a.shape}; "
                         "for a stack of matrices use diagonal")
    n = a.shape[0]
    steps = np.arange(n)
    index = (steps + max(-diagonal, 0), steps + max(diagonal, 0))
    return DiagonalMatrix.apply(a, index=index, shape=(n + abs(diagonal),) * 2, advanced=False)


# --- splitting and unflattening -----------------------------------------------------------------

class Split(Selection):
    """One piece of ``split``/``chunk``: a slice along the axis."""
    name = "split"
    trusted = True
    capturable = True


@accepts_pytorch_names
def split(a, split_size_or_sections, axis=0):
    """Pieces along ``axis``: of ``split_size_or_sections`` values each (an int; the last may be shorter),
    or of the listed sizes (which sum to the axis' size), as PyTorch's ``split``; returns a tuple.

    >>> from autograd import Tensor
    >>> split(Tensor([1.0, 2.0, 3.0]), 2), split(Tensor([1.0, 2.0, 3.0]), [1, 2])
    ((Tensor([1., 2.]), Tensor([3.])), (Tensor([1.]), Tensor([2., 3.])))
    """
    a = as_tensor(a)
    if a.ndim == 0:
        raise ValueError("split: cannot split a 0-d tensor; reshape it to 1-d first")
    axis = single_axis(axis, a.ndim, "split")
    n = a.shape[axis]
    if is_int(split_size_or_sections):
        size = integer(split_size_or_sections, "split_size", "split", low=0)
        if size == 0 and n:
            raise ValueError(f"split: split_size 0 cannot split axis {axis} of size {n} (shape {a.shape}); "
                             "pass a positive size")
        sizes = [min(size, n - start) for start in range(0, n, size)] if n else [0]
    else:
        sizes = list(_int_tuple(split_size_or_sections, "split_size_or_sections", "split"))
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"split: sizes {tuple(sizes)} must be non-negative and sum to the size {n} of axis "
                             f"{axis} (shape {a.shape}); pass sizes that add up to {n}")
    pieces, start, lead = [], 0, (slice(None),) * axis
    for size in sizes:
        pieces.append(Split.apply(a, index=lead + (slice(start, start + size),), advanced=False,
                                  shown=f"{start}:{start + size} axis={axis}"))
        start += size
    return tuple(pieces)


def numpy_split(a, indices_or_sections, axis=0):
    """What ``np.split(tensor, ...)`` gives: a list of pieces, ``indices_or_sections`` equal ones (an int that
    divides the axis) or the pieces between the split points (a list), as numpy (PyTorch's :func:`split`
    takes piece sizes instead).

    >>> from autograd import Tensor
    >>> np.split(Tensor([1.0, 2.0, 3.0, 4.0]), [1, 3])
    [Tensor([1.]), Tensor([2., 3.]), Tensor([4.])]
    """
    a = as_tensor(a)
    if a.ndim == 0:
        raise ValueError("split: cannot split a 0-d tensor; reshape it to 1-d first")
    axis = single_axis(axis, a.ndim, "split")
    n = a.shape[axis]
    if is_int(indices_or_sections):
        sections = positive_int(indices_or_sections, "sections", "split")
        if n % sections:
            raise ValueError(f"split: {sections} sections do not divide axis {axis} of size {n} (shape {a.shape}) "
                             "equally; use np.array_split's sizes with autograd.split")
        points = list(range(0, n, n // sections))[1:] if n else [0] * (sections - 1)
    else:
        points = list(_int_tuple(indices_or_sections, "indices_or_sections", "split"))
    lead = (slice(None),) * axis
    return [Split.apply(a, index=lead + (slice(start, stop),), advanced=False, shown=f"{start}:{stop} axis={axis}")
            for start, stop in zip([0] + points, points + [n])]


@accepts_pytorch_names
def chunk(a, chunks, axis=0):
    """``chunks`` pieces (or fewer) of equal size along ``axis``, the last one shorter if need be: PyTorch's
    ``chunk``, which is ``split`` by ``ceil(size / chunks)``.

    >>> from autograd import Tensor
    >>> [t.shape for t in chunk(Tensor(np.zeros(5)), 3)]
    [(2,), (2,), (1,)]
    """
    a = as_tensor(a)
    chunks = positive_int(chunks, "chunks", "chunk")
    if a.ndim == 0:
        raise ValueError("chunk: cannot chunk a 0-d tensor; reshape it to 1-d first")
    n = a.shape[single_axis(axis, a.ndim, "chunk")]
    if n == 0:                                          # PyTorch: as many empty pieces as asked for
        return split(a, [0] * chunks, axis)
    return split(a, -(-n // chunks), axis)


class UnflattenFunction(Reshape):
    """One axis spread over several (the inverse of ``flatten``)."""
    name = "unflatten"
    trusted = True
    capturable = True


@accepts_pytorch_names
def unflatten(a, axis, sizes):
    """Spread axis ``axis`` over the shape ``sizes`` (one may be -1), as PyTorch's ``unflatten``.

    >>> from autograd import Tensor
    >>> unflatten(Tensor(np.zeros((2, 6))), 1, (3, -1)).shape
    (2, 3, 2)
    """
    a = as_tensor(a)
    if a.ndim == 0:
        raise ValueError("unflatten: cannot unflatten a 0-d tensor; it has no axis")
    axis = single_axis(axis, a.ndim, "unflatten")
    sizes = _int_tuple(sizes, "sizes", "unflatten")
    n, known = a.shape[axis], math.prod(s for s in sizes if s != -1)
    free = sizes.count(-1)
    if not sizes or free > 1 or any(s < -1 for s in sizes) or (
            known != n if not free else (known == 0 or n % known)):
        raise ValueError(f"unflatten: sizes {sizes} do not fit axis {axis} of size {n} (shape {a.shape}); "
                         f"pass sizes whose product is {n} (at most one -1)")
    if free:
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    return UnflattenFunction.apply(a, shape=a.shape[:axis] + sizes + a.shape[axis + 1:])


# --- gather and scatter_add: indices along one axis ------------------------------------------

def _along_axis(index, axis, op, a, index_name="index"):
    """The full numpy index that picks ``a[..., index[i, j, k], ...]`` (``index`` on ``axis``, the position
    itself on every other axis), after PyTorch's checks: ``index`` has a's number of axes, is no larger
    than ``a`` off ``axis`` and holds positions in ``[0, a.shape[axis])``."""
    data = _index_array(index, op)
    if data.ndim != a.ndim or any(i > n for d, (i, n) in enumerate(zip(data.shape, a.shape)) if d != axis):
        raise ValueError(f"{op}: index of shape {data.shape} must have the {a.ndim} axes of the {index_name} of "
                         f"shape {a.shape}, and no larger size on any axis but {axis}; reshape the index")
    full = [np.arange(size).reshape((1,) * d + (-1,) + (1,) * (data.ndim - d - 1))
            for d, size in enumerate(data.shape)]
    # the positions through replayed (a Tensor handed on: a leaf used as an index is guarded): a step recorded by
    # autograd.compile checks and copies each call's own index on every replay, not the recording's
    full[axis] = replayed(_positions, index if isinstance(index, Tensor) else data, op, axis, a.shape)
    return tuple(full)


def _positions(index, op, axis, shape):
    """Index ``index`` (an integer array or Tensor) checked to hold positions in ``[0, shape[axis])``, as a copy
    (a later change of the caller's index must not move the gradient)."""
    index = values(index)
    n = shape[axis]
    if index.size and (index.min() < 0 or index.max() >= n):
        raise ValueError(f"{op}: index values must be in [0, {n}) for axis {axis} of shape {shape}, got values "
                         f"from {index.min()} to {index.max()}")
    return index.astype(np.intp, copy=True)


class Gather(Selection):
    """``gather``: ``out[i][j] = a[index[i][j]][j]`` (for ``dim=0``), an advanced index on every axis; its
    backward is the scatter-add of the gradient to the gathered positions (the adjoint), and that one's is
    this gather again."""
    name = "gather"
    trusted = True
    capturable = True


@accepts_pytorch_names
def gather(a, axis, index):
    """Values of ``a`` picked along ``axis`` by ``index`` (PyTorch's ``gather(input, dim, index)``); the
    output has the index's shape.

    >>> from autograd import Tensor
    >>> gather(Tensor([[1.0, 2.0], [3.0, 4.0]]), 1, np.array([[0, 0], [1, 0]]))
    Tensor([[1., 1.],
            [4., 3.]])
    """
    a = as_tensor(a)
    if a.ndim == 0:
        raise ValueError("gather: needs a tensor with at least one axis, got a 0-d tensor; reshape it to 1-d")
    axis = single_axis(axis, a.ndim, "gather")
    return Gather.apply(a, index=_along_axis(index, axis, "gather", a), advanced=True, shown=f"dim={axis}")


class ScatterAddAlongAxis(ScatterAdd):
    """``src`` added into zeros at the positions ``index`` names along an axis (repeats accumulate): the
    adjoint of :class:`Gather`, so its backward is the gather of the gradient."""
    name = "scatter_add"
    trusted = True
    capturable = True

    def describe(self):
        return f"shape={self.shape}"


@accepts_pytorch_names
def scatter_add(a, axis, index, src):
    """``a`` with ``src[i][j]`` added at ``[index[i][j]][j]`` (for ``dim=0``): PyTorch's
    ``scatter_add(input, dim, index, src)`` (repeated positions accumulate; only ``src``'s values inside
    the index's shape are used).

    >>> from autograd import Tensor
    >>> scatter_add(Tensor(np.zeros(3)), 0, np.array([0, 2, 0]), Tensor([1.0, 2.0, 3.0]))
    Tensor([4., 0., 2.])
    """
    a, src = as_tensor(a), as_tensor(src)
    if a.ndim == 0:
        raise ValueError("scatter_add: needs an input with at least one axis, got a 0-d tensor; reshape it to 1-d")
    axis = single_axis(axis, a.ndim, "scatter_add")
    shape = _index_array(index, "scatter_add").shape
    if src.ndim != len(shape) or any(i > n for i, n in zip(shape, src.shape)):
        raise ValueError(f"scatter_add: src of shape {src.shape} must have the axes of the index of shape {shape} "
                         "and at least its size on each; pass a src as large as the index")
    full = _along_axis(index, axis, "scatter_add", a, index_name="input")
    if src.dtype != a.dtype:
        raise TypeError(f"scatter_add: src of dtype {src.dtype} must have the input's dtype {a.dtype}; "
                        f"cast it (src.astype(np.{a.dtype}))")
    if src.shape != shape:                              # only the values inside the index's shape count
        src = GetItem.apply(src, index=tuple(slice(0, i) for i in shape), advanced=False)
    return a + ScatterAddAlongAxis.apply(src, index=full, shape=a.shape, advanced=True)


# --- masks ------------------------------------------------------------------------------------

class MaskedFill(Where):
    """``value`` where ``mask`` holds, ``a`` elsewhere: ``where(mask, value, a)``."""
    name = "masked_fill"
    trusted = True
    capturable = True


def masked_fill(a, mask, value):
    """``a`` with ``value`` (a number or a 0-d tensor) where the boolean ``mask`` (broadcast to a's shape)
    is True, as PyTorch's ``masked_fill``.

    >>> from autograd import Tensor
    >>> masked_fill(Tensor([1.0, 2.0, 3.0]), np.array([True, False, True]), 0.0)
    Tensor([0., 2., 0.])
    """
    a = as_tensor(a)
    given = mask
    refuse_listed_arrays(mask)
    mask = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(f"masked_fill: mask must be boolean, got dtype {mask.dtype} with shape {mask.shape}; "
                        "pass a comparison (x > 0) or mask.astype(bool)")
    try:
        fits = np.broadcast_shapes(mask.shape, a.shape) == a.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast to the input's shape "
                         f"{a.shape}; pass a mask of that shape or one that broadcasts to it")
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}; "
                             "use where(mask, value, a) to fill from a tensor")
        if value.dtype != a.dtype:
            value = value.astype(a.dtype)
    else:                                  # (cast as PyTorch does: an int tensor filled with 1.5 gets 1)
        value = Tensor.wrap(np.asarray(real_number(value, "value", "masked_fill", finite=False), a.dtype))
    # (through replayed, as where's condition: a step recorded by autograd.compile reads each call's own, a leaf's
    # guarded)
    condition = replayed(applied, np.asarray, given if isinstance(given, Tensor) else mask)
    return MaskedFill.apply(value, a, condition=condition)


def one_hot(labels, num_classes=-1):
    """Integer labels -> int64 one-hot vectors along a new last axis (PyTorch's ``F.one_hot``); no gradient.

    ``num_classes=-1`` takes one more than the largest label.

    >>> one_hot(np.array([0, 2]), 3)
    Tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    data = _index_array(labels, "one_hot", "labels")
    num_classes = integer(num_classes, "num_classes", "one_hot", low=-1)
    if num_classes == -1:
        if not data.size:
            raise ValueError(f"one_hot: cannot infer num_classes from empty labels of shape {data.shape}; "
                             "pass num_classes")
        shape_from_values(labels if isinstance(labels, Tensor) else data, "one_hot with num_classes=-1")
        num_classes = int(data.max()) + 1
    # through replayed (a Tensor handed on: a leaf is guarded): a step recorded by autograd.compile makes each
    # call's own one-hot vectors on every replay, not the recording's
    return Tensor.wrap(replayed(_one_hot, labels if isinstance(labels, Tensor) else data, num_classes))


def _one_hot(labels, num_classes):
    """The one-hot int64 vectors of integer ``labels`` (an array or Tensor), checked to be in ``[0, num_classes)``."""
    data = values(labels)
    if data.size and (data.min() < 0 or data.max() >= num_classes):
        raise ValueError(f"one_hot: labels of shape {data.shape} must be in [0, {num_classes}), got values from "
                         f"{data.min()} to {data.max()}; pass a larger num_classes or fix the labels")
    return (data[..., None] == np.arange(num_classes)).astype(np.int64)
