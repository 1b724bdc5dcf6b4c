"""The table of every op, shared by the property tests: tests/test_ops.py (forward pass, gradients,
mixing with constants) and tests/test_forward_mode_ops.py (forward mode, transforms).

Each row (an :class:`Op`) names the op, calls it, gives its numpy reference and a hypothesis strategy of
inputs per dtype: random shapes (0-d, size-1 axes and broadcasting included), parameters, and values
kept where finite differences are defined (away from kinks and ties).
"""
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
    # normalisation (the running statistics are copied: training mode updates them in place)
    Op("batch_norm", lambda x, *affine, training, running_mean, running_var: ag.batch_norm(
        x, running_mean.copy(), running_var.copy(), *affine, training=training), _batch_norm, batch_norm_cases),
    # non-differentiable: bool or sign results carry no graph
    *[Op(name, f, f, binary(grid(-1, 1), grid(-1, 1)), differentiable=False, mix=SCALARS)
      for name, f in [("==", operator.eq), ("!=", operator.ne), ("<", operator.lt),
                      ("<=", operator.le), (">", operator.gt), (">=", operator.ge)]],
    Op("sign", ag.sign, np.sign, unary(grid(-1, 1)), differentiable=False),
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
