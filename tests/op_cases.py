"""The table of every op, shared by the property tests: tests/test_ops.py (forward pass, gradients,
mixing with constants) and tests/test_forward_mode_ops.py (forward mode, transforms).

Each row (an :class:`Op`) names the op, calls it, gives its numpy reference and a hypothesis strategy of
inputs per dtype: random shapes (0-d, size-1 axes and broadcasting included), parameters, and values
kept where finite differences are defined (away from kinks and ties).
"""
import math
import operator
from dataclasses import dataclass, field
from typing import Callable

import hypothesis
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor
from autograd.testing import broadcastable_shapes, tensors, valid_axes

__all__ = ["SIDE", "Op", "OPS", "DIFFERENTIABLE", "MIXABLE", "floats", "away_from_zero", "grid", "anything",
           "unary", "binary", "reduction"]

SIDE = 3        # largest axis: finite differences cost one forward per element


# --- input domains: dtype -> strategy of element values --------------------------------

def floats(lo=-10.0, hi=10.0):
    """Any float in [lo, hi] that the dtype represents (bounds must be exact in float32)."""
    return lambda dtype: st.floats(lo, hi, width=8 * np.dtype(dtype).itemsize)


def away_from_zero(lo=0.125, hi=10.0):
    """|x| in [lo, hi]: keeps abs/relu/leaky_relu away from their kink and 1/x finite."""
    return lambda dtype: st.one_of(floats(-hi, -lo)(dtype), floats(lo, hi)(dtype))


def grid(lo=-4, hi=4, offset=0.0):
    """Multiples of 1/8 plus ``offset``: exact in float32; grids offset by 1/16 never tie."""
    return lambda dtype: st.integers(8 * lo, 8 * hi).map(lambda k: k / 8 + offset)


def anything(dtype):
    """Any value of the dtype, inf and nan included (for non-differentiable ops)."""
    return st.floats(width=8 * np.dtype(dtype).itemsize)


# --- case strategies: dtype -> strategy of (input tensors, keyword params) --------------

@st.composite
def _tensor(draw, dtype, domain=floats(), min_dims=0, max_side=SIDE, distinct=False):
    """A tensor of random shape (0-d and size-1 axes included); ``distinct`` values differ by >= 1/4."""
    if not distinct:
        return draw(tensors(dtype=dtype, elements=domain(dtype), min_dims=min_dims, max_side=max_side))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, max_side=max_side))
    perm = np.array(draw(st.permutations(range(int(np.prod(shape))))))
    return Tensor(((perm - perm.size / 2) / 4).reshape(shape).astype(dtype), requires_grad=True)


def unary(domain=floats(), min_dims=0, **params):
    """One tensor; ``params`` maps keyword names to strategies of their values."""
    @st.composite
    def cases(draw, dtype):
        return [draw(_tensor(dtype, domain, min_dims))], {k: draw(v) for k, v in params.items()}
    return cases


def binary(domain_a=floats(), domain_b=floats()):
    """Two tensors of broadcast-compatible shapes."""
    @st.composite
    def cases(draw, dtype):
        sa, sb = draw(broadcastable_shapes(2, max_side=SIDE))
        return [draw(tensors(sa, dtype, domain_a(dtype))), draw(tensors(sb, dtype, domain_b(dtype)))], {}
    return cases


def reduction(domain=floats(), distinct=False, ddof=False):
    """One tensor, any valid ``axis`` (None, int, tuple) and ``keepdims``; ``ddof`` 0 or 1 for var."""
    @st.composite
    def cases(draw, dtype):
        x = draw(_tensor(dtype, domain, distinct=distinct))
        params = {"axis": draw(valid_axes(x.ndim)), "keepdims": draw(st.booleans())}
        if ddof:
            axes = range(x.ndim) if params["axis"] is None else np.atleast_1d(params["axis"])
            n = int(np.prod([x.shape[i] for i in axes]))
            params["ddof"] = draw(st.integers(0, min(1, n - 1)))
        return [x], params
    return cases


@st.composite
def along_axis(draw, dtype):
    """One tensor with at least one axis and one int ``axis`` (softmax family)."""
    x = draw(_tensor(dtype, min_dims=1))
    return [x], {"axis": draw(st.integers(-x.ndim, x.ndim - 1))}


def _signed(draw, axis, ndim):
    """``axis`` or its negative spelling."""
    return axis - ndim if draw(st.booleans()) else axis


@st.composite
def matmul_cases(draw, dtype):
    """1-d and 2-d operands and batched stacks whose batch axes broadcast."""
    k, m, n = (draw(st.integers(1, SIDE)) for _ in range(3))
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=2))
    a_shape = (k,) if draw(st.booleans()) else batch_a + (m, k)
    b_shape = (k,) if draw(st.booleans()) else batch_b + (k, n)
    return [draw(tensors(a_shape, dtype)), draw(tensors(b_shape, dtype))], {}


@st.composite
def linear_cases(draw, dtype):
    """x of shape (..., n_in) with up to two batch axes, w (n_in, n_out), b (n_out,)."""
    n_in, n_out = draw(st.integers(1, SIDE)), draw(st.integers(1, SIDE))
    batch = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=SIDE))
    return [draw(tensors(batch + (n_in,), dtype)), draw(tensors((n_in, n_out), dtype)),
            draw(tensors((n_out,), dtype))], {}


@st.composite
def where_cases(draw, dtype):
    sc, sa, sb = draw(broadcastable_shapes(3, max_side=SIDE))
    condition = draw(hnp.arrays(bool, sc))
    return [draw(tensors(sa, dtype)), draw(tensors(sb, dtype))], {"condition": condition}


@st.composite
def clip_cases(draw, dtype):
    """Bounds on the 1/8 grid, values on the grid offset by 1/16: no value sits on a bound."""
    x = draw(_tensor(dtype, grid(offset=1 / 16)))
    lo, hi = draw(grid()(dtype)), draw(grid()(dtype))
    return [x], draw(st.sampled_from([{"min": lo, "max": None}, {"min": None, "max": hi},
                                      {"min": min(lo, hi), "max": max(lo, hi)}]))


@st.composite
def clip_tensor_cases(draw, dtype):
    """Tensor bounds that broadcast with x (which gets the gradient where a bound is the value);
    lo <= 0 < hi, and no value sits on a bound (grids offset by 1/16 and 1/32)."""
    sx, slo, shi = draw(broadcastable_shapes(3, max_side=SIDE))
    return [draw(tensors(sx, dtype, grid(offset=1 / 16)(dtype))), draw(tensors(slo, dtype, grid(-4, 0)(dtype))),
            draw(tensors(shi, dtype, grid(0, 4, offset=1 / 32)(dtype)))], {}


@st.composite
def arg_extremum_cases(draw, dtype):
    """One tensor, ``axis`` None or an int, and ``keepdims``."""
    x = draw(_tensor(dtype))
    axis = draw(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
    return [x], {"axis": axis, "keepdims": draw(st.booleans())}


@st.composite
def reshape_cases(draw, dtype):
    """A new shape with the same size (size-1 axes, 0-d when possible, maybe one -1)."""
    x = draw(_tensor(dtype))
    rest, shape = x.size, []
    for _ in range(draw(st.integers(0, 3))):
        d = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
        shape.append(d)
        rest //= d
    if rest > 1 or draw(st.booleans()):
        shape.append(rest)
    if shape and draw(st.booleans()):
        shape[draw(st.integers(0, len(shape) - 1))] = -1
    return [x], {"shape": tuple(shape)}


@st.composite
def permutation_cases(draw, dtype, allow_none):
    x = draw(_tensor(dtype))
    if allow_none and draw(st.booleans()):
        return [x], {"axes": None}
    perm = draw(st.permutations(range(x.ndim)))
    return [x], {"axes": tuple(_signed(draw, a, x.ndim) for a in perm)}


@st.composite
def swapaxes_cases(draw, dtype):
    x = draw(_tensor(dtype, min_dims=1))
    axis = st.integers(-x.ndim, x.ndim - 1)
    return [x], {"axis1": draw(axis), "axis2": draw(axis)}


@st.composite
def broadcast_to_cases(draw, dtype):
    """Stretch size-1 axes and prepend new ones."""
    x = draw(_tensor(dtype, max_side=2))
    stretched = tuple(draw(st.integers(1, SIDE)) if n == 1 else n for n in x.shape)
    lead = tuple(draw(st.lists(st.integers(1, SIDE), max_size=2)))
    return [x], {"shape": lead + stretched}


@st.composite
def squeeze_cases(draw, dtype):
    x = draw(_tensor(dtype, max_side=2))
    ones = [i for i, n in enumerate(x.shape) if n == 1]
    options = [st.none()]
    if ones:
        options.append(st.sampled_from(ones).map(lambda i: i - x.ndim if i % 2 else i))
        options.append(st.lists(st.sampled_from(ones), unique=True).map(tuple))
    return [x], {"axis": draw(st.one_of(options))}


@st.composite
def unsqueeze_cases(draw, dtype):
    """One axis (an int), or several (a tuple, as numpy's expand_dims takes)."""
    x = draw(_tensor(dtype))
    n_new = draw(st.integers(1, 2))
    axes = draw(st.lists(st.integers(0, x.ndim + n_new - 1), min_size=n_new, max_size=n_new, unique=True))
    axes = [ax - (x.ndim + n_new) if draw(st.booleans()) else ax for ax in axes]    # negative ones too
    return [x], {"axis": axes[0] if n_new == 1 and draw(st.booleans()) else tuple(axes)}


@st.composite
def flatten_cases(draw, dtype):
    x = draw(_tensor(dtype))
    if x.ndim == 0:
        return [x], {"start_axis": 0, "end_axis": -1}
    start = draw(st.integers(0, x.ndim - 1))
    end = draw(st.integers(start, x.ndim - 1))
    return [x], {"start_axis": _signed(draw, start, x.ndim), "end_axis": _signed(draw, end, x.ndim)}


@st.composite
def getitem_cases(draw, dtype):
    """Ints, slices, ..., None; integer arrays (repeats accumulate); boolean masks; mixtures."""
    kind = draw(st.sampled_from(["basic", "int arrays", "repeated list", "mask", "slice + array"]))
    x = draw(_tensor(dtype, min_dims=0 if kind == "basic" else 1))
    shape = x.shape
    if kind == "basic":
        index = draw(hnp.basic_indices(shape, allow_newaxis=True))
    elif kind == "int arrays":
        index = draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=0, max_dims=2)))
    elif kind == "repeated list":    # longer than the axis: some index repeats
        index = draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=shape[0] + 1, max_size=6))
    elif kind == "mask":
        index = draw(hnp.arrays(bool, shape[:draw(st.integers(1, x.ndim))]))
    else:
        axis = draw(st.integers(0, x.ndim - 1))
        rows = draw(hnp.arrays(np.intp, st.integers(1, 4), elements=st.integers(-shape[axis], shape[axis] - 1)))
        index = tuple(draw(st.slices(n)) for n in shape[:axis]) + (rows, Ellipsis)
    return [x], {"index": index}


@st.composite
def concatenate_cases(draw, dtype):
    """1-3 tensors whose shapes differ only along ``axis``."""
    base = list(draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=SIDE)))
    axis = draw(st.integers(-len(base), len(base) - 1))
    xs = []
    for _ in range(draw(st.integers(1, 3))):
        base[axis] = draw(st.integers(1, SIDE))
        xs.append(draw(tensors(tuple(base), dtype)))
    return xs, {"axis": axis}


@st.composite
def stack_cases(draw, dtype):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=SIDE))
    xs = [draw(tensors(shape, dtype)) for _ in range(draw(st.integers(1, 3)))]
    return xs, {"axis": draw(st.integers(-len(shape) - 1, len(shape)))}



@st.composite
def batch_norm_cases(draw, dtype):
    """x (N, C) or (N, C, L), weight and bias (C,) or neither, training (batch statistics: at least two
    values per channel, distinct ones, by 1/4 or more) or evaluation (running statistics as parameters)."""
    shape = (draw(st.integers(1, SIDE)), draw(st.integers(1, SIDE))) + tuple(
        draw(st.lists(st.integers(1, SIDE), max_size=1)))
    c = shape[1]
    perm = np.array(draw(st.permutations(range(int(np.prod(shape))))))
    xs = [Tensor(((perm - perm.size / 2) / 4).reshape(shape).astype(dtype), requires_grad=True)]
    if draw(st.booleans()):
        xs += [draw(tensors((c,), dtype)), draw(tensors((c,), dtype))]
    return xs, {"training": perm.size // c >= 2 and draw(st.booleans()),
                "running_mean": draw(hnp.arrays(dtype, c, elements=floats(-2.0, 2.0)(dtype))),
                "running_var": draw(hnp.arrays(dtype, c, elements=floats(0.25, 4.0)(dtype)))}


@st.composite
def _pair_or_int(draw, low, high):
    """An int, or a pair (height, width) of ints, in [low, high]: the 2-d ops take either."""
    if draw(st.booleans()):
        return draw(st.integers(low, high))
    return (draw(st.integers(low, high)), draw(st.integers(low, high)))


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


@st.composite
def conv2d_cases(draw, dtype):
    """x (N, C, H, W), weight (O, C / groups, kh, kw), a bias or none; strides, paddings and dilations (ints or
    pairs), groups 1-2; H and W from the smallest the dilated kernel fits to two more."""
    groups = draw(st.integers(1, 2))
    c, o = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    params = {"stride": draw(_pair_or_int(1, 2)), "padding": draw(_pair_or_int(0, 1)),
              "dilation": draw(_pair_or_int(1, 2)), "groups": groups}
    size = [max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 2))
            for k, d, p in zip(kernel, _pair(params["dilation"]), _pair(params["padding"]))]
    xs = [draw(tensors((draw(st.integers(1, 2)), c, *size), dtype)), draw(tensors((o, c // groups, *kernel), dtype))]
    if draw(st.booleans()):
        xs.append(draw(tensors((o,), dtype)))
    return xs, params


@st.composite
def pool2d_cases(draw, dtype, distinct=False):
    """x (N, C, H, W) (distinct values, by 1/4 or more, for max: no ties), a kernel, a stride (None: the kernel's)
    and a padding of at most half the kernel; H and W from the kernel's size to two more."""
    kernel = draw(_pair_or_int(1, 3))
    kh, kw = _pair(kernel)
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    stride = draw(st.none() | _pair_or_int(1, 3))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)),
             max(1, kh - 2 * padding[0]) + draw(st.integers(0, 2)), max(1, kw - 2 * padding[1]) + draw(st.integers(0, 2)))
    if distinct:
        perm = np.array(draw(st.permutations(range(int(np.prod(shape))))))
        x = Tensor(((perm - perm.size / 2) / 4).reshape(shape).astype(dtype), requires_grad=True)
    else:
        x = draw(tensors(shape, dtype))
    return [x], {"kernel_size": kernel, "stride": stride, "padding": padding}

# --- data movement (autograd/ops/movement.py) and einsum ------------------------------------

@st.composite
def pad_cases(draw, dtype):
    """Constant (negative widths crop, a fill value), reflect (widths below the size) or replicate padding of
    the last 1-3 axes."""
    x = draw(_tensor(dtype, min_dims=1))
    mode = draw(st.sampled_from(["constant", "reflect", "replicate"]))
    pad = []
    for ax in range(x.ndim - 1, x.ndim - 1 - draw(st.integers(1, min(x.ndim, 3))), -1):
        n = x.shape[ax]
        if mode == "constant":
            before = draw(st.integers(-min(n, 1), 2))
            pad += [before, draw(st.integers(-min(n + before, 1), 2))]
        else:
            pad += [draw(st.integers(0, n - 1 if mode == "reflect" else 2)) for _ in range(2)]
    params = {"pad": tuple(pad), "mode": mode}
    if mode == "constant" and draw(st.booleans()):
        params["value"] = draw(grid()(dtype))
    return [x], params


def _pad(x, pad, mode, value=0.0):
    widths = [(0, 0)] * (x.ndim - len(pad) // 2) + [(pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]
    cropped = x[tuple(slice(max(-b, 0), n - max(-e, 0)) for (b, e), n in zip(widths, x.shape))]
    grown = [(max(b, 0), max(e, 0)) for b, e in widths]
    if mode == "constant":
        return np.pad(cropped, grown, constant_values=value)
    return np.pad(x, grown, mode="reflect" if mode == "reflect" else "edge")


@st.composite
def flip_cases(draw, dtype):
    x = draw(_tensor(dtype, min_dims=1))
    dims = draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, unique=True))
    return [x], {"dims": tuple(_signed(draw, d, x.ndim) for d in dims)}


@st.composite
def roll_cases(draw, dtype):
    """One shift of the flattened tensor, or shifts (of any sign and size) along axes (one may repeat)."""
    x = draw(_tensor(dtype, min_dims=1))
    if draw(st.booleans()):
        return [x], {"shifts": draw(st.integers(-5, 5)), "dims": None}
    dims = draw(st.lists(st.integers(-x.ndim, x.ndim - 1), min_size=1, max_size=3))
    return [x], {"shifts": tuple(draw(st.integers(-5, 5)) for _ in dims), "dims": tuple(dims)}


def _roll(x, shifts, dims):
    return np.roll(x, shifts, dims)


@st.composite
def repeat_cases(draw, dtype):
    """Copies per axis (0 to 2), with up to two new leading axes."""
    x = draw(_tensor(dtype, max_side=2))
    return [x], {"sizes": tuple(draw(st.integers(0 if draw(st.booleans()) else 1, 2))
                                for _ in range(x.ndim + draw(st.integers(0, 2))))}


@st.composite
def tile_cases(draw, dtype):
    """Copies for the last axes (fewer than the axes, or more: new leading axes)."""
    x = draw(_tensor(dtype, max_side=2))
    return [x], {"dims": tuple(draw(st.integers(1, 2)) for _ in range(draw(st.integers(0, x.ndim + 1))))}


@st.composite
def repeat_interleave_cases(draw, dtype):
    """One count, or one per element, along an axis or of the flattened tensor."""
    x = draw(_tensor(dtype))
    axis = draw(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
    n = x.size if axis is None else x.shape[axis]
    repeats = draw(st.integers(0, 3) | st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return [x], {"repeats": repeats, "axis": axis}


@st.composite
def triangle_cases(draw, dtype):
    x = draw(_tensor(dtype, min_dims=2))
    return [x], {"diagonal": draw(st.integers(-3, 3))}


@st.composite
def diag_cases(draw, dtype):
    """A vector (placed on a diagonal) or a matrix (its diagonal), any offset."""
    x = draw(tensors(hnp.array_shapes(min_dims=1, max_dims=2, max_side=SIDE), dtype))
    return [x], {"diagonal": draw(st.integers(-3, 3))}


@st.composite
def diagonal_cases(draw, dtype):
    x = draw(_tensor(dtype, min_dims=2))
    dim1, dim2 = draw(st.lists(st.integers(0, x.ndim - 1), min_size=2, max_size=2, unique=True))
    return [x], {"offset": draw(st.integers(-3, 3)), "dim1": _signed(draw, dim1, x.ndim),
                 "dim2": _signed(draw, dim2, x.ndim)}


@st.composite
def split_cases(draw, dtype):
    """A piece size, or piece sizes (zeros included) that add up to the axis' size."""
    x = draw(_tensor(dtype, min_dims=1))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    if draw(st.booleans()):
        return [x], {"split_size_or_sections": draw(st.integers(1, n + 1)), "axis": axis}
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    return [x], {"split_size_or_sections": [b - a for a, b in zip([0] + cuts, cuts + [n])], "axis": axis}


@st.composite
def chunk_cases(draw, dtype):
    x = draw(_tensor(dtype, min_dims=1))
    return [x], {"chunks": draw(st.integers(1, 4)), "axis": draw(st.integers(-x.ndim, x.ndim - 1))}


def _weighted_pieces(pieces, join):
    """Pieces told apart (piece i times i + 1), flattened and joined into one array or tensor."""
    return join([(p * (i + 1)).reshape(-1) for i, p in enumerate(pieces)])


def _split(x, split_size_or_sections, axis):
    n = x.shape[axis]
    sizes = split_size_or_sections
    if isinstance(sizes, int):
        sizes = [min(sizes, n - s) for s in range(0, n, sizes)]
    bounds = np.cumsum([0] + list(sizes))
    return [np.take(x, np.arange(a, b), axis=axis) for a, b in zip(bounds[:-1], bounds[1:])]


def _chunk(x, chunks, axis):
    return _split(x, -(-x.shape[axis] // chunks), axis)


@st.composite
def unflatten_cases(draw, dtype):
    x = draw(_tensor(dtype, min_dims=1))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    n, sizes = x.shape[axis], []
    rest = n
    for _ in range(draw(st.integers(0, 2))):
        d = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
        sizes.append(d)
        rest //= d
    sizes.append(rest)
    if draw(st.booleans()):
        sizes[draw(st.integers(0, len(sizes) - 1))] = -1
    return [x], {"axis": axis, "sizes": tuple(sizes)}


@st.composite
def _along_axis_index(draw, shape, axis):
    """An index for gather/scatter_add: no larger than ``shape`` off ``axis`` (any size on it), positions
    (repeats included) in [0, shape[axis])."""
    index_shape = tuple(draw(st.integers(1, SIDE if d == axis else n)) for d, n in enumerate(shape))
    return draw(hnp.arrays(np.int64, index_shape, elements=st.integers(0, shape[axis] - 1)))


@st.composite
def gather_cases(draw, dtype):
    x = draw(_tensor(dtype, min_dims=1))
    axis = draw(st.integers(0, x.ndim - 1))
    return [x], {"axis": _signed(draw, axis, x.ndim), "index": draw(_along_axis_index(x.shape, axis))}


def _gather(x, axis, index):
    axis %= x.ndim
    kept = x[tuple(slice(0, i) if d != axis else slice(None) for d, i in enumerate(index.shape))]
    return np.take_along_axis(kept, index, axis)


@st.composite
def scatter_add_cases(draw, dtype):
    """input, and src at least as large as the index (its extra values unused)."""
    x = draw(_tensor(dtype, min_dims=1))
    axis = draw(st.integers(0, x.ndim - 1))
    index = draw(_along_axis_index(x.shape, axis))
    src = draw(tensors(tuple(i + draw(st.integers(0, 1)) for i in index.shape), dtype))
    return [x, src], {"axis": _signed(draw, axis, x.ndim), "index": index}


def _scatter_add(x, src, axis, index):
    out, axis = x.copy(), axis % x.ndim
    for position in np.ndindex(index.shape):
        target = list(position)
        target[axis] = index[position]
        out[tuple(target)] += src[position]
    return out


@st.composite
def masked_fill_cases(draw, dtype):
    x = draw(_tensor(dtype))
    mask = draw(hnp.arrays(bool, x.shape[draw(st.integers(0, x.ndim)):]))
    return [x], {"mask": mask, "value": draw(grid()(dtype))}


@st.composite
def masked_fill_tensor_cases(draw, dtype):
    """The fill value a 0-d tensor that gets a gradient (the sum of the gradient where it is written)."""
    x = draw(_tensor(dtype))
    return [x, draw(tensors((), dtype))], {"mask": draw(hnp.arrays(bool, x.shape))}


EINSUM_EQUATIONS = ["ij,jk->ik", "ij,kj", "bij,bjk->bik", "ij->", "ij->j", "ji", "ii->i", "ii", "iij->j",
                    "i,j->ij", "i,i->", "ij,ij,ij->i", "...ij,...jk->...ik", "...i,i->...", "i...->...",
                    "Ab,bC->CA", "ij,j->i"]


@st.composite
def einsum_cases(draw, dtype):
    """Operands for an equation: products, sums, transposes, diagonals, traces and '...' broadcasting
    (batch shapes that broadcast), and a named axis of size 1 broadcast against the letter's size."""
    equation = draw(st.sampled_from(EINSUM_EQUATIONS))
    sizes = {c: draw(st.integers(1, SIDE)) for c in set(equation) if c.isalpha()}
    terms = equation.split("->")[0].split(",")
    batches = draw(broadcastable_shapes(len(terms), max_dims=2, max_side=2))
    shapes = [batch + tuple(sizes[c] for c in term.replace("...", "")) if "..." in term else
              tuple(sizes[c] for c in term) for term, batch in zip(terms, batches)]
    k = draw(st.integers(0, len(terms) - 1))
    letters = terms[k].replace("...", "")
    once = [i for i, c in enumerate(letters) if letters.count(c) == 1]
    if once and draw(st.booleans()):                 # a named axis of size 1 that broadcasts against the others
        axis = len(shapes[k]) - len(letters) + draw(st.sampled_from(once))
        shapes[k] = shapes[k][:axis] + (1,) + shapes[k][axis + 1:]
    return [draw(tensors(shape, dtype)) for shape in shapes], {"equation": equation}


@st.composite
def one_hot_cases(draw, dtype):
    labels = draw(hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=SIDE),
                             elements=st.integers(0, 4)))
    return [Tensor(labels)], {"num_classes": draw(st.sampled_from([-1, 5, 7]))}


def _one_hot(labels, num_classes):
    n = labels.max(initial=0) + 1 if num_classes == -1 else num_classes
    return (labels[..., None] == np.arange(n)).astype(np.int64)


@st.composite
def lerp_cases(draw, dtype):
    """start, end and weight: three tensors whose shapes broadcast together."""
    shapes = draw(broadcastable_shapes(3, max_side=SIDE))
    return [draw(tensors(shape, dtype)) for shape in shapes], {}


def divisors(dtype):
    """Divisors b for remainder/fmod: a on grid(offset=1/16) is an odd multiple of 1/16 and 16 b is even, so
    a / b is never an integer (where the result jumps) and stays >= 1/48 away from one."""
    return st.sampled_from([-3.0, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.0])


@st.composite
def softplus_cases(draw, dtype):
    """x on the grid offset by 1/16, so beta * x is never at the threshold (where PyTorch switches to x)."""
    x = draw(_tensor(dtype, grid(offset=1 / 16)))
    return [x], {"beta": draw(st.sampled_from([0.5, 1.0, 2.0])), "threshold": draw(st.sampled_from([1.0, 20.0]))}


@st.composite
def std_cases(draw, dtype):
    """Distinct values, and an axis over which each reduction takes at least two of them (more than ddof):
    std = sqrt(var) has an infinite slope where the variance is 0."""
    x = draw(_tensor(dtype, distinct=True, min_dims=1))
    axis = draw(valid_axes(x.ndim))
    axes = range(x.ndim) if axis is None else np.atleast_1d(axis)
    n = int(np.prod([x.shape[i] for i in axes]))
    if n < 2:                                            # (too few to spread: every axis)
        axis = None
        n = x.size
    hypothesis.assume(n >= 2)
    return [x], {"axis": axis, "keepdims": draw(st.booleans()), "ddof": draw(st.integers(0, min(1, n - 2)))}


@st.composite
def scan_cases(draw, dtype, domain=floats()):
    """One tensor and ``axis`` None (flattened, as numpy) or an int (at least one axis then)."""
    x = draw(_tensor(dtype, domain))
    return [x], {"axis": draw(st.integers(-x.ndim, x.ndim - 1)) if x.ndim and draw(st.booleans()) else None}


@st.composite
def ordering_cases(draw, dtype, k=False):
    """Distinct values (a tie has no derivative: which of the two moves first?), an int ``axis``, a direction;
    with ``k``, how many of the first to keep (0 to all)."""
    x = draw(_tensor(dtype, distinct=True, min_dims=1))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    params = {"axis": axis, "descending": draw(st.booleans())}
    if k:
        params["k"] = draw(st.integers(0, x.shape[axis]))
    return [x], params


# --- numpy references that numpy lacks under these names --------------------------------

def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype)


def _erfc(x):
    return np.vectorize(math.erfc, otypes=[np.float64])(x).astype(x.dtype)


def _gelu(x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))).astype(x.dtype)
    return (x * 0.5 * (1 + np.vectorize(math.erf, otypes=[np.float64])(x / np.sqrt(2)))).astype(x.dtype)


def _elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _softplus(x, beta, threshold):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(np.minimum(x * beta, 50))) / beta).astype(x.dtype)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946



def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _flatten(x, start_axis, end_axis):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_axis % x.ndim, end_axis % x.ndim
    return x.reshape(x.shape[:s] + (int(np.prod(x.shape[s:e + 1])),) + x.shape[e + 1:])



def _batch_norm(x, *affine, training, running_mean, running_var, eps=1e-5):
    axes, shape = (0,) + tuple(range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    y = (x - mean) / np.sqrt(var + eps)
    return y * affine[0].reshape(shape) + affine[1].reshape(shape) if affine else y

def _windows(x, kernel, stride, padding, dilation, fill):
    """Every window of x (N, C, H, W) padded with ``fill``, as (N, C, Ho, Wo, kh, kw), by loops: the plain definition."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (_pair(v) for v in (kernel, stride, padding, dilation))
    xp = np.full(x.shape[:2] + (x.shape[2] + 2 * ph, x.shape[3] + 2 * pw), fill, x.dtype)
    xp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]] = x
    ho, wo = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1, (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.empty(x.shape[:2] + (ho, wo, kh, kw), x.dtype)
    for r in range(ho):
        for c in range(wo):
            out[:, :, r, c] = xp[:, :, r * sh:r * sh + dh * (kh - 1) + 1:dh, c * sw:c * sw + dw * (kw - 1) + 1:dw]
    return out


def _conv2d(x, w, *bias, stride, padding, dilation, groups):
    windows = _windows(x, w.shape[2:], stride, padding, dilation, 0.0)
    cg, og = x.shape[1] // groups, w.shape[0] // groups
    out = np.concatenate([np.einsum("nchwij,ocij->nohw", windows[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og])
                          for g in range(groups)], axis=1)
    return out + bias[0].reshape(-1, 1, 1) if bias else out


def _max_pool2d(x, kernel_size, stride, padding):
    return _windows(x, kernel_size, kernel_size if stride is None else stride, padding, 1, -np.inf).max(axis=(4, 5))


def _avg_pool2d(x, kernel_size, stride, padding):
    return _windows(x, kernel_size, kernel_size if stride is None else stride, padding, 1, 0.0).mean(axis=(4, 5))
def _scan_reference(scan):
    def reference(x, axis):
        return scan(x.reshape(-1) if axis is None else x, axis=0 if axis is None else axis)
    return reference


def _sorted(x, axis, descending):
    s = np.sort(x, axis=axis)
    return np.flip(s, axis) if descending else s


def _topk(x, k, axis, descending):
    return np.take(_sorted(x, axis, descending), np.arange(k), axis=axis)


def _argsort(x, axis, descending):
    return np.argsort(-x if descending else x, axis=axis, kind="stable")     # (distinct values: one order)


# --- the table ---------------------------------------------------------------------------

@dataclass
class Op:
    name: str
    fn: Callable                 # the engine: fn(*tensors, **params) -> Tensor
    ref: Callable                # numpy: ref(*arrays, **params) -> array
    cases: Callable              # dtype -> strategy of (tensors, params)
    differentiable: bool = True
    mix: tuple = ()              # kinds of constants that may replace either tensor operand
    check: dict = field(default_factory=dict)   # gradcheck keyword arguments

    def __str__(self):
        return self.name


SCALARS = ("python scalar", "numpy scalar", "ndarray")
LINEAR = dict(eps=1e-2)   # astype is linear: wide steps are exact and beat float32 rounding

OPS = [
    # arithmetic, broadcasting
    Op("add", operator.add, np.add, binary(), mix=SCALARS),
    Op("sub", operator.sub, np.subtract, binary(), mix=SCALARS),
    Op("mul", operator.mul, np.multiply, binary(), mix=SCALARS),
    Op("div", operator.truediv, np.divide, binary(floats(), away_from_zero(0.5)), mix=SCALARS),
    Op("pow", operator.pow, np.power, binary(floats(0.5, 3.0), floats(-2.0, 2.0)), mix=SCALARS),
    Op("pow int scalar", lambda x, p: x ** p, lambda x, p: x ** p,
       unary(away_from_zero(0.5, 4.0), p=st.integers(-2, 3))),
    Op("pow float scalar", lambda x, p: x ** p, lambda x, p: x ** p,
       unary(floats(0.25, 4.0), p=st.floats(-2.5, 2.5))),
    Op("neg", operator.neg, np.negative, unary()),
    Op("matmul", operator.matmul, np.matmul, matmul_cases, mix=("ndarray",)),
    Op("linear", ag.linear, lambda x, w, b: x @ w + b, linear_cases),
    Op("maximum", ag.maximum, np.maximum, binary(grid(), grid(offset=1 / 16)), mix=SCALARS),
    Op("minimum", ag.minimum, np.minimum, binary(grid(), grid(offset=1 / 16)), mix=SCALARS),
    Op("where", lambda a, b, condition: ag.where(condition, a, b),
       lambda a, b, condition: np.where(condition, a, b), where_cases, mix=SCALARS),
    # elementwise functions
    Op("exp", lambda x: x.exp(), np.exp, unary()),
    Op("log", lambda x: x.log(), np.log, unary(floats(0.125, 10.0))),
    Op("sqrt", lambda x: x.sqrt(), np.sqrt, unary(floats(0.125, 10.0))),
    Op("abs", lambda x: x.abs(), np.abs, unary(away_from_zero())),
    Op("tanh", lambda x: x.tanh(), np.tanh, unary()),
    Op("sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), unary()),
    Op("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), unary(away_from_zero())),
    Op("leaky_relu", lambda x, slope: x.leaky_relu(slope), lambda x, slope: np.where(x > 0, x, x * slope),
       unary(away_from_zero(), slope=st.floats(0, 1))),
    Op("clip", lambda x, min, max: x.clip(min, max), np.clip, clip_cases),
    Op("clamp", lambda x, min, max: x.clamp(min=min, max=max), np.clip, clip_cases),
    Op("clip tensor bounds", lambda x, lo, hi: ag.clip(x, lo, hi), np.clip, clip_tensor_cases),
    Op("clone", lambda x: x.clone(), np.copy, unary()),
    Op("astype", lambda x, dtype: x.astype(dtype), lambda x, dtype: x.astype(dtype),
       unary(dtype=st.sampled_from([np.float32, np.float64])), check=LINEAR),
    # trigonometric, hyperbolic, logarithms, exponentials (away from poles and domain ends)
    Op("sin", lambda x: x.sin(), np.sin, unary()),
    Op("cos", lambda x: x.cos(), np.cos, unary()),
    Op("tan", lambda x: x.tan(), np.tan, unary(floats(-1.25, 1.25))),
    Op("sinh", lambda x: x.sinh(), np.sinh, unary(floats(-5.0, 5.0))),
    Op("cosh", lambda x: x.cosh(), np.cosh, unary(floats(-5.0, 5.0))),
    Op("asin", lambda x: x.asin(), np.arcsin, unary(floats(-0.875, 0.875))),
    Op("acos", lambda x: x.acos(), np.arccos, unary(floats(-0.875, 0.875))),
    Op("atan", lambda x: x.atan(), np.arctan, unary()),
    Op("asinh", lambda x: x.asinh(), np.arcsinh, unary()),
    Op("acosh", lambda x: x.acosh(), np.arccosh, unary(floats(1.25, 10.0))),
    Op("atanh", lambda x: x.atanh(), np.arctanh, unary(floats(-0.875, 0.875))),
    Op("log2", lambda x: x.log2(), np.log2, unary(floats(0.125, 10.0))),
    Op("log10", lambda x: x.log10(), np.log10, unary(floats(0.125, 10.0))),
    Op("exp2", lambda x: x.exp2(), np.exp2, unary()),
    Op("log1p", lambda x: x.log1p(), np.log1p, unary(floats(-0.875, 10.0))),
    Op("expm1", lambda x: x.expm1(), np.expm1, unary(floats(-5.0, 5.0))),
    Op("erf", lambda x: x.erf(), _erf, unary(floats(-4.0, 4.0))),
    Op("erfc", lambda x: x.erfc(), _erfc, unary(floats(-4.0, 4.0))),
    Op("rsqrt", lambda x: x.rsqrt(), lambda x: 1 / np.sqrt(x), unary(floats(0.125, 10.0))),
    Op("remainder", lambda a, b: a % b, np.remainder, binary(grid(offset=1 / 16), divisors)),
    Op("fmod", lambda a, b: a.fmod(b), np.fmod, binary(grid(offset=1 / 16), divisors)),
    Op("logaddexp", ag.logaddexp, np.logaddexp, binary(), mix=SCALARS),
    Op("lerp", lambda a, b, w: a.lerp(b, w), lambda a, b, w: a + w * (b - a), lerp_cases),
    # activations (kinks kept away by the grids offset by 1/16)
    Op("gelu", ag.gelu, _gelu, unary(approximate=st.sampled_from(["none", "tanh"]))),
    Op("silu", ag.silu, lambda x: x / (1 + np.exp(-x)), unary()),
    Op("elu", ag.elu, _elu, unary(away_from_zero(), alpha=st.sampled_from([0.5, 1.0, 2.0]))),
    Op("selu", ag.selu, lambda x: (SELU_SCALE * _elu(x, SELU_ALPHA)).astype(x.dtype), unary(away_from_zero())),
    Op("celu", ag.celu, lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha)),
       unary(away_from_zero(), alpha=st.sampled_from([0.5, 1.0, 2.0]))),
    Op("softplus", ag.softplus, _softplus, softplus_cases),
    Op("softsign", ag.softsign, lambda x: x / (1 + np.abs(x)), unary(away_from_zero())),
    Op("logsigmoid", ag.logsigmoid, lambda x: -np.log1p(np.exp(-x)), unary()),
    Op("hardtanh", ag.hardtanh, lambda x, min_val, max_val: np.clip(x, min_val, max_val),
       unary(grid(offset=1 / 16), min_val=st.sampled_from([-1.0, -2.0]), max_val=st.sampled_from([0.5, 1.0]))),
    Op("relu6", ag.relu6, lambda x: np.clip(x, 0, 6), unary(grid(-8, 8, offset=1 / 16))),
    Op("hardsigmoid", ag.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), unary(grid(-5, 5, offset=1 / 16))),
    Op("hardswish", ag.hardswish, lambda x: x * np.clip(x / 6 + 0.5, 0, 1), unary(grid(-5, 5, offset=1 / 16))),
    Op("mish", ag.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), unary()),
    # reductions
    Op("sum", lambda x, **p: x.sum(**p), lambda x, **p: np.sum(x, **p), reduction()),
    Op("mean", lambda x, **p: x.mean(**p), lambda x, **p: np.mean(x, **p), reduction()),
    Op("max", lambda x, **p: x.max(**p), lambda x, **p: np.max(x, **p), reduction(distinct=True)),
    Op("min", lambda x, **p: x.min(**p), lambda x, **p: np.min(x, **p), reduction(distinct=True)),
    Op("var", lambda x, **p: x.var(**p), lambda x, **p: np.var(x, **p), reduction(ddof=True)),
    Op("prod", lambda x, **p: x.prod(**p), lambda x, **p: np.prod(x, **p), reduction(grid(-2, 2))),  # (zeros too)
    Op("std", lambda x, **p: x.std(**p), lambda x, **p: np.std(x, **p), std_cases),
    Op("logsumexp", lambda x, **p: x.logsumexp(**p),
       lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)), reduction()),
    Op("softmax", lambda x, axis: x.softmax(axis), _softmax, along_axis),
    Op("log_softmax", lambda x, axis: x.log_softmax(axis), lambda x, axis: np.log(_softmax(x, axis)), along_axis),
    # scans and orderings (sort and topk: the values; ties kept away by the strategy)
    Op("cumsum", lambda x, axis: x.cumsum(axis), _scan_reference(np.cumsum), scan_cases),
    Op("cumprod", lambda x, axis: x.cumprod(dim=axis), _scan_reference(np.cumprod),
       lambda dtype: scan_cases(dtype, grid(-2, 2))),                  # (zeros too: the gradient is exact there)
    Op("logcumsumexp", lambda x, axis: x.logcumsumexp(axis), _scan_reference(np.logaddexp.accumulate), scan_cases),
    Op("sort", lambda x, axis, descending: x.sort(dim=axis, descending=descending).values, _sorted, ordering_cases),
    Op("topk", lambda x, k, axis, descending: x.topk(k, dim=axis, largest=descending)[0], _topk,
       lambda dtype: ordering_cases(dtype, k=True)),
    # shape ops
    Op("reshape", lambda x, shape: x.reshape(shape), np.reshape, reshape_cases),
    Op("view", lambda x, shape: x.view(*shape), np.reshape, reshape_cases),
    Op("transpose", lambda x, axes: x.transpose(axes), np.transpose,
       lambda dtype: permutation_cases(dtype, allow_none=True)),
    Op("permute", lambda x, axes: x.permute(*axes), np.transpose,
       lambda dtype: permutation_cases(dtype, allow_none=False)),
    Op(".T", lambda x: x.T, lambda x: x.T, unary()),
    Op("swapaxes", lambda x, **p: x.swapaxes(**p), np.swapaxes, swapaxes_cases),
    Op("broadcast_to", lambda x, shape: x.broadcast_to(shape), np.broadcast_to, broadcast_to_cases),
    Op("squeeze", lambda x, axis: x.squeeze(axis), np.squeeze, squeeze_cases),
    Op("unsqueeze", lambda x, axis: x.unsqueeze(axis), np.expand_dims, unsqueeze_cases),
    Op("flatten", lambda x, **p: x.flatten(**p), _flatten, flatten_cases),
    Op("getitem", lambda x, index: x[index], lambda x, index: x[index], getitem_cases),
    Op("concatenate", lambda *xs, axis: ag.concatenate(xs, axis=axis),
       lambda *xs, axis: np.concatenate(xs, axis=axis), concatenate_cases),
    Op("cat", lambda *xs, axis: ag.cat(xs, dim=axis),
       lambda *xs, axis: np.concatenate(xs, axis=axis), concatenate_cases),
    Op("stack", lambda *xs, axis: ag.stack(xs, axis=axis), lambda *xs, axis: np.stack(xs, axis=axis), stack_cases),
    # data movement and einsum (autograd/ops/movement.py, autograd/ops/contraction.py)
    Op("pad", lambda x, **p: ag.pad(x, **p), _pad, pad_cases),
    Op("flip", lambda x, dims: x.flip(dims), lambda x, dims: np.flip(x, dims), flip_cases),
    Op("roll", lambda x, shifts, dims: x.roll(shifts, dims), _roll, roll_cases),
    Op("repeat", lambda x, sizes: x.repeat(*sizes), lambda x, sizes: np.tile(x, sizes), repeat_cases),
    Op("tile", lambda x, dims: x.tile(dims), lambda x, dims: np.tile(x, dims), tile_cases),
    Op("repeat_interleave", lambda x, repeats, axis: x.repeat_interleave(repeats, dim=axis),
       lambda x, repeats, axis: np.repeat(x, repeats, axis), repeat_interleave_cases),
    Op("tril", lambda x, diagonal: x.tril(diagonal), lambda x, diagonal: np.tril(x, diagonal), triangle_cases),
    Op("triu", lambda x, diagonal: x.triu(diagonal), lambda x, diagonal: np.triu(x, diagonal), triangle_cases),
    Op("diag", lambda x, diagonal: x.diag(diagonal), lambda x, diagonal: np.diag(x, diagonal), diag_cases),
    Op("diagonal", lambda x, **p: x.diagonal(**p),
       lambda x, offset, dim1, dim2: np.diagonal(x, offset, dim1, dim2), diagonal_cases),
    Op("split", lambda x, **p: _weighted_pieces(x.split(**p), ag.concatenate),
       lambda x, **p: _weighted_pieces(_split(x, **p), np.concatenate), split_cases),
    Op("chunk", lambda x, **p: _weighted_pieces(x.chunk(**p), ag.concatenate),
       lambda x, **p: _weighted_pieces(_chunk(x, **p), np.concatenate), chunk_cases),
    Op("unflatten", lambda x, axis, sizes: x.unflatten(axis, sizes),
       lambda x, axis, sizes: x.reshape(x.shape[:axis % x.ndim] + sizes + x.shape[axis % x.ndim + 1:]),
       unflatten_cases),
    Op("gather", lambda x, axis, index: x.gather(axis, index), _gather, gather_cases),
    Op("scatter_add", lambda x, src, axis, index: x.scatter_add(axis, index, src), _scatter_add, scatter_add_cases),
    Op("masked_fill", lambda x, mask, value: x.masked_fill(mask, value),
       lambda x, mask, value: np.where(mask, value, x), masked_fill_cases),
    Op("masked_fill tensor value", lambda x, v, mask: x.masked_fill(mask, v),
       lambda x, v, mask: np.where(mask, v, x), masked_fill_tensor_cases),
    Op("einsum", lambda *xs, equation: ag.einsum(equation, *xs), lambda *xs, equation: np.einsum(equation, *xs),
       einsum_cases),
    Op("one_hot", lambda labels, num_classes: ag.one_hot(labels, num_classes), _one_hot, one_hot_cases,
       differentiable=False),
    # normalisation (the running statistics are copied: training mode updates them in place)
    Op("batch_norm", lambda x, *affine, training, running_mean, running_var: ag.batch_norm(
        x, running_mean.copy(), running_var.copy(), *affine, training=training), _batch_norm, batch_norm_cases),
    # convolution and pooling
    Op("conv2d", lambda *xs, **p: ag.conv2d(*xs, **p), _conv2d, conv2d_cases),
    Op("max_pool2d", ag.max_pool2d, _max_pool2d, lambda dtype: pool2d_cases(dtype, distinct=True)),
    Op("avg_pool2d", ag.avg_pool2d, _avg_pool2d, pool2d_cases),
    # non-differentiable: bool or sign results carry no graph
    *[Op(name, f, f, binary(grid(-1, 1), grid(-1, 1)), differentiable=False, mix=SCALARS)
      for name, f in [("==", operator.eq), ("!=", operator.ne), ("<", operator.lt),
                      ("<=", operator.le), (">", operator.gt), (">=", operator.ge)]],
    Op("sign", ag.sign, np.sign, unary(grid(-1, 1)), differentiable=False),
    Op("floor", lambda x: x.floor(), np.floor, unary(anything), differentiable=False),
    Op("ceil", lambda x: x.ceil(), np.ceil, unary(anything), differentiable=False),
    Op("trunc", lambda x: x.trunc(), np.trunc, unary(anything), differentiable=False),
    Op("round", lambda x, decimals: x.round(decimals), np.round, unary(floats(-1e6, 1e6), decimals=st.integers(-2, 3)),
       differentiable=False),
    Op("argmax", lambda x, **p: x.argmax(**p), lambda x, **p: np.argmax(x, **p), arg_extremum_cases,
       differentiable=False),
    Op("argmin", lambda x, **p: ag.argmin(x, **p), lambda x, **p: np.argmin(x, **p), arg_extremum_cases,
       differentiable=False),
    Op("argsort", lambda x, axis, descending: x.argsort(dim=axis, descending=descending), _argsort,
       ordering_cases, differentiable=False),
    Op("any", lambda x, **p: x.any(**p), lambda x, **p: np.any(x, **p), reduction(grid(-1, 1)), differentiable=False),
    Op("all", lambda x, **p: x.all(**p), lambda x, **p: np.all(x, **p), reduction(grid(-1, 1)), differentiable=False),
    Op("isfinite", ag.isfinite, np.isfinite, unary(anything), differentiable=False),
    Op("isnan", ag.isnan, np.isnan, unary(anything), differentiable=False),
]

DIFFERENTIABLE = [op for op in OPS if op.differentiable]
MIXABLE = [op for op in OPS if op.mix]
