"""Every op in one table, property-tested with hypothesis.

For each entry: the forward pass matches its numpy reference (values, shape,
dtype, in float64 and float32), first- and second-order gradients match
finite differences (float64, random shapes incl. 0-d, size-1 axes and
broadcasting), and binary ops mix with Python scalars, numpy scalars and
ndarrays on either side. Inputs where finite differences are undefined
(kinks, ties) are excluded by the input strategies, never by changing an op.
"""
import operator
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor, grad, gradcheck
from autograd.testing import broadcastable_shapes, tensors, valid_axes

SIDE = 3        # largest axis: finite differences cost one forward per element
DTYPES = [np.float64, np.float32]
TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=2e-5, atol=2e-5)}


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


# --- numpy references that numpy lacks under these names --------------------------------

def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _flatten(x, start_axis, end_axis):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_axis % x.ndim, end_axis % x.ndim
    return x.reshape(x.shape[:s] + (int(np.prod(x.shape[s:e + 1])),) + x.shape[e + 1:])


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
    Op("logsumexp", lambda x, **p: x.logsumexp(**p),
       lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)), reduction()),
    Op("softmax", lambda x, axis: x.softmax(axis), _softmax, along_axis),
    Op("log_softmax", lambda x, axis: x.log_softmax(axis), lambda x, axis: np.log(_softmax(x, axis)), along_axis),
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
    # non-differentiable: bool or sign results carry no graph
    *[Op(name, f, f, binary(grid(-1, 1), grid(-1, 1)), differentiable=False, mix=SCALARS)
      for name, f in [("==", operator.eq), ("!=", operator.ne), ("<", operator.lt),
                      ("<=", operator.le), (">", operator.gt), (">=", operator.ge)]],
    Op("sign", ag.sign, np.sign, unary(grid(-1, 1)), differentiable=False),
    Op("argmax", lambda x, **p: x.argmax(**p), lambda x, **p: np.argmax(x, **p), arg_extremum_cases,
       differentiable=False),
    Op("argmin", lambda x, **p: ag.argmin(x, **p), lambda x, **p: np.argmin(x, **p), arg_extremum_cases,
       differentiable=False),
    Op("isfinite", ag.isfinite, np.isfinite, unary(anything), differentiable=False),
    Op("isnan", ag.isnan, np.isnan, unary(anything), differentiable=False),
]

DIFFERENTIABLE = [op for op in OPS if op.differentiable]
MIXABLE = [op for op in OPS if op.mix]
# Second-order checks run a create_graph backward per finite-difference step: fewer examples.
SECOND_ORDER = settings(max_examples=max(10, settings().max_examples // 2))


def _assert_matches(out, expected, dtype):
    assert isinstance(out, Tensor)
    assert out.shape == expected.shape, (out.shape, expected.shape)
    assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
    if expected.dtype == bool:
        np.testing.assert_array_equal(out.data, expected)
    else:
        np.testing.assert_allclose(out.data, expected, **TOL[dtype])


# --- the tests ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("op", OPS, ids=str)
@given(data=st.data())
def test_forward_matches_numpy_and_keeps_dtype(op, dtype, data):
    xs, params = data.draw(op.cases(dtype), label="inputs, params")
    out = op.fn(*xs, **params)
    expected = np.asarray(op.ref(*[x.data.copy() for x in xs], **params))
    _assert_matches(out, expected, dtype)
    if not op.differentiable:
        assert not out.requires_grad and out.op is None
        return
    if op.name != "astype":
        assert out.dtype == dtype
    # float32 in, float32 gradients out (and float64 likewise)
    for g, x in zip(grad(out, xs, grad_outputs=np.ones(out.shape, out.dtype)), xs):
        assert g.shape == x.shape and g.dtype == x.dtype


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=str)
@given(data=st.data())
def test_gradient_matches_finite_differences(op, data):
    xs, params = data.draw(op.cases(np.float64), label="inputs, params")
    assert gradcheck(lambda *ts: op.fn(*ts, **params), *xs, **op.check)


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=str)
@SECOND_ORDER
@given(data=st.data())
def test_second_order_gradient_matches_finite_differences(op, data):
    """gradcheck of x -> grad(f(x), x, grad_outputs=u, create_graph=True)."""
    xs, params = data.draw(op.cases(np.float64), label="inputs, params")
    out_shape = op.fn(*xs, **params).shape
    u = data.draw(hnp.arrays(np.float64, out_shape, elements=st.floats(-2, 2)), label="u")

    def first_derivative(*ts):
        gs = grad(op.fn(*ts, **params), ts, grad_outputs=u, create_graph=True)
        return ag.concatenate([g.reshape(-1) for g in gs])

    assert gradcheck(first_derivative, *xs, **op.check)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("op", MIXABLE, ids=str)
@given(data=st.data())
def test_mixing_with_scalars_and_arrays_on_either_side(op, dtype, data):
    xs, params = data.draw(op.cases(dtype), label="inputs, params")
    side = data.draw(st.sampled_from([0, 1]), label="constant side")
    kind = data.draw(st.sampled_from(op.mix), label="constant kind")
    value = xs[side].data           # the constant comes from the operand's own domain
    const = {"python scalar": lambda: float(value.flat[0]), "numpy scalar": lambda: value.flat[0],
             "ndarray": lambda: value.copy()}[kind]()
    x = xs[1 - side]

    def with_const(t):
        return op.fn(*([const, t] if side == 0 else [t, const]), **params)

    out = with_const(x)
    expected = np.asarray(op.ref(*([const, x.data] if side == 0 else [x.data, const]), **params))
    _assert_matches(out, expected, dtype)
    if not op.differentiable:
        assert not out.requires_grad
        return
    assert out.dtype == dtype
    (g,) = grad(out, x, grad_outputs=np.ones(out.shape, out.dtype))
    assert g.shape == x.shape and g.dtype == dtype
    assert gradcheck(with_const, x, **op.check)


def test_table_covers_every_public_op():
    """A new op in autograd.ops must get a row here (or be listed as covered elsewhere)."""
    tested = {op.name for op in OPS}
    aliases = {"equal": "==", "not_equal": "!=", "less": "<", "less_equal": "<=", "greater": ">",
               "greater_equal": ">="}
    # the fused losses are tested through nn.functional, which re-exports them (tests/test_nn_losses.py)
    elsewhere = {"binary_cross_entropy", "binary_cross_entropy_with_logits", "softmax_cross_entropy"}
    public = list(ag.ops.__all__) + list(ag.ops.BUILTIN_NAMED)
    missing = [name for name in public if aliases.get(name, name) not in tested and name not in elsewhere]
    assert not missing, f"ops without a row in the table: {missing}"


@pytest.mark.parametrize("dx, dw, db", [(np.float64, np.float32, np.float32), (np.float32, np.float32, np.float64),
                                        (np.float32, np.float32, np.float32)])
@pytest.mark.parametrize("batch", [(5,), (2, 5)])
def test_linear_follows_numpy_dtype_rules_and_leaves_inputs_alone(dx, dw, db, batch):
    # the fused op adds the bias in place when the dtypes allow: same values and dtype as x @ w + b
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(batch + (3,)).astype(dx), rng.standard_normal((3, 4)).astype(dw), \
        rng.standard_normal(4).astype(db)
    copies = [a.copy() for a in (x, w, b)]
    out = ag.linear(Tensor(x, requires_grad=True), Tensor(w, requires_grad=True), Tensor(b, requires_grad=True))
    expected = x @ w + b
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-6)
    for a, c in zip((x, w, b), copies):
        np.testing.assert_array_equal(a, c)
    out.backward(np.ones(out.shape, out.dtype))
    assert out.op.parents[2].grad.dtype == db
    np.testing.assert_allclose(out.op.parents[2].grad, np.full(4, np.prod(batch)), rtol=1e-6)


def test_clip_passes_the_gradient_at_its_bounds_like_torch_clamp():
    # maximum/minimum split a tie; clamp's gradient is 1 on the closed interval [min, max]
    x = Tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    y = x.clip(0.0, 1.0)
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 0.5, 1.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])
    # a tensor bound gets the gradient where it is the value (strictly), the input on a tie
    lo = Tensor([0.5, 0.5, 0.5], requires_grad=True)
    x = Tensor([0.0, 0.5, 1.0], requires_grad=True)
    x.clip(lo).sum().backward()
    np.testing.assert_array_equal(lo.grad, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0])
    assert np.isnan(Tensor([np.nan]).clip(0.0, 1.0).data).all()


def test_clip_gradients_match_torch_clamp():
    torch = pytest.importorskip("torch")
    values = np.array([-1.0, 0.0, 0.25, 1.0, 3.0])
    bounds = np.array([0.0, 0.0, 0.5, 1.0, 0.0])
    x, lo = Tensor(values, requires_grad=True), Tensor(bounds, requires_grad=True)
    (x.clip(lo, 1.0) * values).sum().backward()
    xt, lot = torch.tensor(values, requires_grad=True), torch.tensor(bounds, requires_grad=True)
    (xt.clamp(lot, torch.tensor(1.0, dtype=torch.float64)) * torch.tensor(values)).sum().backward()
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())
    np.testing.assert_array_equal(lo.grad, lot.grad.numpy())


def test_pow_with_exponent_zero_has_zero_gradient_at_zero(recwarn):
    # b a^(b-1) is 0 * inf at a = b = 0; PyTorch (and the limit along a) give 0
    a, b = Tensor([0.0, 0.0, 2.0], requires_grad=True), Tensor([0.0, 2.0, 0.0], requires_grad=True)
    (a ** b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.0, 0.0])
    np.testing.assert_allclose(b.grad, [0.0, 0.0, np.log(2.0)])
    x = Tensor(0.0, requires_grad=True)
    (x ** 0).backward()
    assert x.grad == 0.0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_indexing_gradients_follow_numpy_advanced_indexing():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x[(0, 0), :].sum().backward()                     # an inner tuple is an index array, as in numpy
    np.testing.assert_array_equal(x.grad, [[2, 2, 2], [0, 0, 0]])
    x = Tensor(np.arange(4.0), requires_grad=True)
    idx = np.array([0, 1])
    y = x[idx]
    idx[:] = 3                                        # the caller's array changes after the forward
    y.backward(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad, [1, 2, 0, 0])
    assert Tensor(np.ones((3, 2)))[[]].shape == np.ones((3, 2))[[]].shape == (0, 2)


def test_shape_functions_accept_what_numpy_accepts():
    t = Tensor(np.arange(6.0))
    assert np.reshape(t, (2, 3)).shape == (2, 3) and np.shape(t) == (6,) and np.ndim(t) == 1 and np.size(t) == 6
    assert ag.concatenate([t, t.reshape(2, 3)], axis=None).shape == (12,)
    assert ag.broadcast_to(Tensor(1.0), 3).shape == (3,)
    assert Tensor(5.0).squeeze(0).shape == Tensor(5.0).squeeze(-1).shape == ()
    assert Tensor(np.ones((0, 3, 4))).flatten(1).shape == (0, 12)
    assert [row.shape for row in Tensor(np.ones((2, 3)))] == [(3,), (3,)]
    # a bias that broadcasts, as in PyTorch's F.linear
    out = ag.linear(Tensor(np.ones((5, 3))), Tensor(np.ones((3, 2))), Tensor([0.5], requires_grad=True))
    np.testing.assert_array_equal(out.data, np.full((5, 2), 3.5))


def test_unsigned_and_bool_data_follow_numpy():
    # -b wraps around for unsigned b, so a - b is a primitive; float ops on integers compute in floats
    x, img = Tensor([1.0, 1.0], requires_grad=True), np.array([10, 200], np.uint8)
    np.testing.assert_array_equal((x - img).data, x.data - img)
    np.testing.assert_array_equal((0.5 - Tensor(np.array([3, 5], np.uint8))).data, [-2.5, -4.5])
    np.testing.assert_array_equal((Tensor(np.float32([1, 2])) - np.array([True, False])).data, [0, 2])
    u = np.array([1, 2, 3], np.uint8)
    for op, reference in [("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
                          ("softmax", lambda v: np.exp(v) / np.exp(v).sum()),
                          ("log_softmax", lambda v: v - np.log(np.exp(v).sum())),
                          ("logsumexp", lambda v: np.log(np.exp(v).sum()))]:
        out = getattr(Tensor(u), op)()
        assert out.dtype == np.exp(u).dtype, op
        np.testing.assert_allclose(out.data, reference(u.astype(np.float64)), rtol=2e-3, err_msg=op)


def test_small_numpy_agreements():
    assert Tensor(np.ones((0, 3))).max(axis=1).shape == (0,)           # only an empty reduced axis fails
    assert Tensor(np.float32([1, 2, 4])).var(ddof=np.int64(1)).dtype == np.float32
    np.testing.assert_array_equal(Tensor([np.inf, -1.0, 2.0]).leaky_relu(0.0).data, [np.inf, 0.0, 2.0])


@pytest.mark.parametrize("base, exponent", [(2.0, 0.0), (1.0, 0.0), (0.5, 0.0), (3.0, 2.5)])
def test_second_derivatives_of_pow_at_a_zero_exponent(base, exponent):
    def mixed(a, b):
        ga, gb = grad((a ** b).sum(), [a, b], create_graph=True)
        return (ga * 1.3 + gb * 0.7).sum()
    assert gradcheck(mixed, Tensor([base], requires_grad=True), Tensor([exponent], requires_grad=True))


def test_max_and_min_give_the_gradient_to_a_nan_they_return(recwarn):
    a = Tensor([[1.0, np.nan, 0.0], [3.0, 2.0, 3.0]], requires_grad=True)
    out = a.max(axis=1)
    assert np.isnan(out.data[0])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [[0, 1, 0], [0.5, 0, 0.5]])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# --- bugs found by comparing with PyTorch (issue 15) ------------------------------------------

@pytest.mark.filterwarnings("ignore:divide by zero encountered in power")     # (0 ** -1 = inf: numpy warns)
def test_pow_gradient_wrt_the_exponent_is_zero_where_the_base_is_zero():
    """d(a^b)/db = a^b log(a) is taken as 0 where a == 0, also for b < 0 (0^b = inf there: was nan)."""
    a = Tensor([0.0, 0.0, 0.0, 2.0])
    b = Tensor([-1.0, -2.5, 1.5, -1.5], requires_grad=True)
    (gb,) = grad((a ** b).sum(), b, create_graph=True)
    expected = np.array([0.0, 0.0, 0.0, 2.0 ** -1.5 * np.log(2.0)])
    np.testing.assert_allclose(gb.data, expected, rtol=1e-12)
    # second order: d/db (a^b log a) = a^b log(a)^2, again 0 where a == 0
    (gbb,) = grad(gb.sum(), b)
    np.testing.assert_allclose(gbb, [0.0, 0.0, 0.0, 2.0 ** -1.5 * np.log(2.0) ** 2], rtol=1e-12)
    # and the exponent's gradient is checked to second order where it is smooth (a > 0)
    positive = Tensor([0.5, 2.0, 3.0])
    assert gradcheck(lambda e: grad((positive ** e).sum(), e, create_graph=True)[0],
                     Tensor([-1.0, -2.5, 1.5], requires_grad=True))


def test_pow_exponent_gradient_matches_pytorch_away_from_zero():
    torch = pytest.importorskip("torch")
    a, b = np.array([0.5, 2.0, 3.0, 0.0]), np.array([-1.0, -2.5, 1.5, 2.0])
    tb = torch.tensor(b, requires_grad=True)
    (torch.tensor(a) ** tb).sum().backward()
    x = Tensor(b, requires_grad=True)
    (Tensor(a) ** x).sum().backward()
    np.testing.assert_allclose(x.grad, tb.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
@pytest.mark.parametrize("shape, axis", [((3, 0), 1), ((0,), 0), ((2, 0, 4), 1), ((0, 3), 1)])
def test_softmax_family_over_an_empty_axis_gives_an_empty_result(name, shape, axis):
    """As numpy and PyTorch: empty in, empty out; ``logsumexp`` of an empty set is -inf (log of 0)."""
    x = Tensor(np.zeros(shape), requires_grad=True)
    out = getattr(x, name)(axis=axis)
    if name == "logsumexp":
        expected_shape = shape[:axis] + shape[axis + 1:]
        assert out.shape == expected_shape
        assert np.all(out.data == -np.inf)
    else:
        assert out.shape == shape
    (g,) = grad(out, x, grad_outputs=np.ones(out.shape), create_graph=True)
    assert g.shape == shape and g.size == 0
    torch = pytest.importorskip("torch")
    reference = getattr(torch, name)(torch.zeros(shape, dtype=torch.float64), axis)
    np.testing.assert_array_equal(out.data, reference.numpy())
