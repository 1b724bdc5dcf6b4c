"""Forward mode through the reductions, shape ops and linear algebra: the cases their jvp rules must get right.

(The table-driven property test of every op is tests/test_forward_mode_ops.py.) Here: each rule
against the Jacobian and central differences, jacfwd against jacrev, a batch of tangents against
one direction at a time and a batched backward against one row at a time (the flags switched off),
second derivatives through the rules (jvp of jvp, grad of jvp, hessian), max/min ties, empty
axes, advanced indices that numpy moves to the front, 1-d matmul operands, concatenate and stack
with constant inputs, float32.
"""
import inspect

import numpy as np
import pytest

from autograd import Tensor, func
from autograd.forward_ad import dual_level, make_dual, unpack_dual
from autograd.function import Function
from autograd.ops import linalg, reduce, shape as shape_ops

MODULES = (reduce, shape_ops, linalg)
OUR_OPS = [cls for module in MODULES for cls in vars(module).values()
           if inspect.isclass(cls) and issubclass(cls, Function) and cls.__module__ == module.__name__
           and cls.forward is not Function.forward]       # (the op classes, not the Reduction base)


def jvp(f, x, v):
    """``(f(x), J v)`` for one direction."""
    return func.jvp(f, (x,), (v,))


def jacobian_times(J, v, out_shape):
    """``J`` (shape out + x) contracted with ``v`` (shape x)."""
    return J.reshape(out_shape + (-1,)) @ v.reshape(-1) if J.size else np.zeros(out_shape)


def split(p, *shapes):
    """The flat parameter vector ``p`` cut into tensors of ``shapes`` (ops of several inputs, one argument)."""
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(p[start:start + size].reshape(shape))
        start += size
    return parts


ONES = Tensor(np.ones((2, 4)))
MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
W = np.random.default_rng(7).standard_normal((4, 5))

# (id, f, shape of x): each f a function of one float64 tensor, through the op under test
CASES = [
    ("sum axes (0, 2)", lambda x: x.sum(axis=(0, 2)), (3, 4, 2)),
    ("sum keepdims", lambda x: x.sum(axis=1, keepdims=True), (3, 4, 2)),
    ("sum all", lambda x: x.sum(), (3, 4)),
    ("sum of a 0-d", lambda x: x.reshape(()).sum(), (1,)),
    ("mean axis -1", lambda x: x.mean(axis=-1), (3, 4)),
    ("mean keepdims", lambda x: x.mean(axis=(0, 1), keepdims=True), (3, 4, 2)),
    ("var axis 0", lambda x: x.var(axis=0), (3, 4)),
    ("var ddof=1 keepdims", lambda x: x.var(axis=(0, 2), ddof=1, keepdims=True), (3, 4, 2)),
    ("max axis 1", lambda x: x.max(axis=1), (3, 4)),
    ("min keepdims", lambda x: x.min(axis=0, keepdims=True), (3, 4)),
    ("max all", lambda x: x.max(), (3, 4)),
    ("logsumexp axis 1", lambda x: x.logsumexp(axis=1), (3, 4)),
    ("logsumexp all keepdims", lambda x: x.logsumexp(keepdims=True), (3, 4)),
    ("softmax axis 0", lambda x: x.softmax(axis=0), (3, 4)),
    ("softmax axes (0, 2)", lambda x: x.softmax(axis=(0, 2)), (3, 4, 2)),
    ("log_softmax", lambda x: x.log_softmax(axis=-1), (3, 4)),
    ("reshape", lambda x: x.reshape(4, -1), (3, 4)),
    ("view", lambda x: x.view(2, 6), (3, 4)),
    ("squeeze", lambda x: x.squeeze(), (3, 1, 4)),
    ("unsqueeze", lambda x: x.unsqueeze(1), (3, 4)),
    ("flatten middle", lambda x: x.flatten(1, 2), (2, 3, 2, 2)),
    ("transpose", lambda x: x.T, (3, 4, 2)),
    ("permute", lambda x: x.permute(2, 0, 1), (3, 4, 2)),
    ("swapaxes", lambda x: x.swapaxes(0, -1), (3, 4, 2)),
    ("broadcast_to new axes", lambda x: x.broadcast_to((2, 3, 4)), (3, 1)),
    ("getitem slices, ...", lambda x: x[1:, ..., 0], (3, 4, 2)),
    ("getitem int, None", lambda x: x[None, :, 1], (3, 4)),
    ("getitem repeated ints", lambda x: x[[0, 0, 2]], (3, 4)),
    ("getitem int and array apart", lambda x: x[0, :, [1, 0, 1]], (3, 4, 2)),
    ("getitem arrays apart", lambda x: x[[0, 2], :, [1, 0]], (3, 4, 2)),
    ("getitem arrays apart by None", lambda x: x[[0, 2], None, [1, 0]], (3, 4)),
    ("getitem arrays adjacent", lambda x: x[:, [0, 3], [1, 1]], (2, 4, 2)),
    ("getitem bool mask", lambda x: x[MASK], (3, 4)),
    ("getitem bool scalar apart", lambda x: x[0, :, True], (3, 4)),
    ("scatter_add basic", lambda x: shape_ops.ScatterAdd.apply(x, index=(slice(1, 3), 0), shape=(4, 3),
                                                             advanced=False), (2,)),
    ("scatter_add repeated", lambda x: shape_ops.ScatterAdd.apply(x, index=(np.array([0, 0, 2]),), shape=(3, 2),
                                                                advanced=True), (3, 2)),
    ("scatter_add apart", lambda x: shape_ops.ScatterAdd.apply(x, index=(0, slice(None), np.array([1, 0])),
                                                             shape=(2, 3, 2), advanced=True), (2, 3)),
    ("concatenate with a constant", lambda x: shape_ops.concatenate([x, ONES, x * 2]), (3, 4)),
    ("concatenate axis -1", lambda x: shape_ops.concatenate([ONES.T[:3], x], axis=-1), (3, 4)),
    ("concatenate one input twice", lambda x: shape_ops.concatenate([x, x], axis=1), (2, 3)),
    ("stack with a constant", lambda x: shape_ops.stack([x, ONES[:, :3], x], axis=1), (2, 3)),
    ("stack axis -1", lambda x: shape_ops.stack([ONES[0], x], axis=-1), (4,)),
    ("matmul 2-d @ 2-d", lambda p: linalg.matmul(*split(p, (3, 4), (4, 2))), (20,)),
    ("matmul 1-d @ 2-d", lambda p: linalg.matmul(*split(p, (4,), (4, 2))), (12,)),
    ("matmul 2-d @ 1-d", lambda p: linalg.matmul(*split(p, (3, 4), (4,))), (16,)),
    ("matmul 1-d @ 1-d", lambda p: linalg.matmul(*split(p, (4,), (4,))), (8,)),
    ("matmul 1-d @ 3-d", lambda p: linalg.matmul(*split(p, (3,), (2, 3, 2))), (15,)),
    ("matmul 3-d @ 1-d", lambda p: linalg.matmul(*split(p, (2, 2, 3), (3,))), (15,)),
    ("matmul batch dims broadcast", lambda p: linalg.matmul(*split(p, (2, 1, 2, 3), (3, 3, 2))), (30,)),
    ("matmul x @ x.T", lambda x: x @ x.T, (3, 2)),
    ("linear x, w, b", lambda p: linalg.linear(*split(p, (3, 4), (4, 2), (2,))), (22,)),
    ("linear 3-d x", lambda p: linalg.linear(*split(p, (2, 3, 4), (4, 2), (2,))), (34,)),
    ("linear x only", lambda x: linalg.linear(x, W, W[0]), (3, 4)),
]
IDS = [case[0] for case in CASES]
SMOOTH = [case for case in CASES if not case[0].startswith(("max", "min"))]   # (no kinks: second derivatives)


def random_point(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape)


# --- first order: jvp == J v == central differences; jacfwd == jacrev --------------------------

@pytest.mark.parametrize("name, f, shape", CASES, ids=IDS)
def test_jvp_is_jacobian_times_v_and_central_difference(name, f, shape):
    x, v = random_point(shape, 0)
    out, tangent = jvp(f, Tensor(x), Tensor(v))
    assert tangent.shape == out.shape and tangent.dtype == out.dtype
    J = func.jacrev(f)(x).data
    np.testing.assert_allclose(tangent.data, jacobian_times(J, v, out.shape), rtol=1e-10, atol=1e-12)
    eps = 1e-6
    central = (f(Tensor(x + eps * v)).data - f(Tensor(x - eps * v)).data) / (2 * eps)
    np.testing.assert_allclose(tangent.data, central, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, f, shape", CASES, ids=IDS)
def test_jacfwd_equals_jacrev(name, f, shape):
    x, _ = random_point(shape, 1)
    np.testing.assert_allclose(func.jacfwd(f)(x).data, func.jacrev(f)(x).data, rtol=1e-12, atol=1e-14)


# --- a batch at once == one at a time ----------------------------------------------------------

@pytest.mark.parametrize("name, f, shape", CASES, ids=IDS)
def test_batched_jvp_equals_one_direction_at_a_time(name, f, shape, monkeypatch):
    x, _ = random_point(shape, 2)
    batched = func.jacfwd(f)(x).data
    for cls in OUR_OPS:
        monkeypatch.setattr(cls, "batched_jvp", False)     # the engine then calls each rule once per column
    np.testing.assert_array_equal(func.jacfwd(f)(x).data, batched)


@pytest.mark.parametrize("name, f, shape", CASES, ids=IDS)
def test_batched_backward_equals_one_row_at_a_time(name, f, shape, monkeypatch):
    x, _ = random_point(shape, 3)
    batched = func.jacrev(f)(x).data
    for cls in OUR_OPS:
        monkeypatch.setattr(cls, "batched_backward", False)
    np.testing.assert_allclose(func.jacrev(f)(x).data, batched, rtol=1e-13, atol=1e-15)


def test_every_op_has_a_jvp_that_takes_a_batch():
    assert {cls.__name__ for cls in OUR_OPS} >= {
        "Sum", "Mean", "Var", "Max", "Min", "LogSumExp", "SoftmaxFunction", "LogSoftmaxFunction", "Reshape",
        "View", "Squeeze", "Unsqueeze", "FlattenFunction", "Transpose", "Permute", "SwapAxes", "BroadcastTo",
        "GetItem", "ScatterAdd", "Concatenate", "Stack", "MatMul", "LinearFunction"}
    for cls in OUR_OPS:
        assert cls.jvp is not Function.jvp, f"{cls.__name__} has no jvp rule"
        assert cls.batched_jvp, f"{cls.__name__}.jvp is run one direction at a time"


# --- second order: the rules are differentiable again -------------------------------------------

@pytest.mark.parametrize("name, f, shape", SMOOTH, ids=[case[0] for case in SMOOTH])
def test_second_derivatives_through_the_rules(name, f, shape):
    """jvp of jvp, grad of jvp and hessian (jacfwd of jacrev) against reverse over reverse.

    ``g(x) = f(x * x)`` so that even the linear ops have a second derivative (and a rule that
    left the Tensor world, computing on arrays, would lose it).
    """
    def g(x):
        return f(x * x)

    x, v1 = random_point(shape, 4)
    _, v2 = random_point(shape, 5)
    out = g(Tensor(x))
    u = np.random.default_rng(6).standard_normal(out.shape)
    H = func.jacrev(func.jacrev(g))(x).data.reshape(out.shape + (x.size, x.size))      # reverse over reverse
    tol = dict(rtol=1e-9, atol=1e-11)
    # jvp of jvp: the tangent (at the outer level) of the inner tangent is v1^T H v2
    with dual_level() as outer:
        x1 = make_dual(Tensor(x), Tensor(v1), level=outer)
        with dual_level() as inner:
            inner_tangent = unpack_dual(g(make_dual(x1, Tensor(v2), level=inner)), level=inner).tangent
        second = unpack_dual(inner_tangent, level=outer).tangent
    np.testing.assert_allclose(second.data, H @ v2.ravel() @ v1.ravel(), **tol)
    # grad of jvp: d/dx <u, J(x) v1> = u^T H v1 (over the output)
    grad_of_jvp = func.grad(lambda y: (jvp(g, y, Tensor(v1))[1] * u).sum())(x)
    np.testing.assert_allclose(grad_of_jvp.data.ravel(), np.tensordot(u, H @ v1.ravel(), axes=u.ndim), **tol)
    # hessian = jacfwd(jacrev): forward mode through the (batched) backward graphs of these ops
    scalar = lambda y: (g(y) * u).sum()                   # noqa: E731
    np.testing.assert_allclose(func.hessian(scalar)(x).data.reshape(x.size, x.size),
                               np.tensordot(u, H, axes=u.ndim), **tol)


# --- the cases the rules were written for -------------------------------------------------------

@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("x, axis, keepdims", [
    ([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], 1, False),
    ([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], None, False),
    ([[5.0, -1.0], [5.0, -1.0], [0.0, 7.0]], 0, True),
    ([[np.nan, 1.0, np.nan], [0.0, 0.0, 4.0]], 1, False),
], ids=["ties in rows", "ties overall", "ties down columns", "nan is the extreme"])
def test_max_min_ties_share_the_tangent_as_backward_shares_the_gradient(op, x, axis, keepdims):
    x = np.array(x)
    f = lambda t: getattr(t, op)(axis=axis, keepdims=keepdims)          # noqa: E731
    rng = np.random.default_rng(8)
    v = rng.standard_normal(x.shape)
    out, tangent = jvp(f, Tensor(x), Tensor(v))
    u = rng.standard_normal(out.shape)
    (pulled,) = func.vjp(f, x)[1](u)
    # <u, J v> = <J^T u, v>
    assert np.isclose((tangent.data * u).sum(), (pulled.data * v).sum(), rtol=1e-14, atol=1e-15)
    # the tangent is the mean of the tied elements' tangents
    extreme = getattr(np, op)(x, axis=axis, keepdims=True)
    ties = (x == extreme) | (np.isnan(x) & np.isnan(extreme))
    expected = (np.where(ties, v, 0).sum(axis=axis, keepdims=True) / ties.sum(axis=axis, keepdims=True))
    np.testing.assert_allclose(tangent.data, expected.reshape(out.shape), rtol=1e-14)
    np.testing.assert_array_equal(func.jacfwd(f)(x).data, func.jacrev(f)(x).data)


@pytest.mark.parametrize("op, expected_shape", [
    ("logsumexp", (2, 3)), ("softmax", (2, 0, 3)), ("log_softmax", (2, 0, 3)), ("sum", (2, 3))])
@pytest.mark.parametrize("batch", [None, 4], ids=["one tangent", "batch of 4"])
def test_empty_axis_gives_the_tangent_backward_implies(op, expected_shape, batch):
    """Over an empty axis logsumexp is a constant -inf and sum a constant 0: zero tangents of the output's
    shape (as the backward's zero rows of the Jacobian); softmax and log_softmax are empty, tangents too."""
    x = Tensor(np.zeros((2, 0, 3)))
    lead = () if batch is None else (batch,)
    with dual_level(batch) as level:
        out = getattr(make_dual(x, Tensor(np.zeros(lead + x.shape)), level=level), op)(axis=1)
        tangent = unpack_dual(out, level=level).tangent
    assert tangent.shape == lead + expected_shape
    np.testing.assert_array_equal(tangent.data, 0)
    # a non-empty input with an empty slice: jacfwd and jacrev agree (zeros)
    f = lambda t: getattr(t[:, :0], op)(axis=1)            # noqa: E731
    J = func.jacfwd(f)(np.ones((2, 3)))
    np.testing.assert_array_equal(J.data, func.jacrev(f)(np.ones((2, 3))).data)
    np.testing.assert_array_equal(J.data, 0)


# (shift_by_max in autograd/ops/arrays.py adds the row maxima +inf and -inf to test them: numpy warns)
@pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning")
@pytest.mark.parametrize("op", ["logsumexp", "softmax", "log_softmax"])
def test_infinite_entries_jvp_matches_vjp(op):
    x = np.array([[1.0, np.inf, 2.0, np.inf], [-np.inf, 0.0, 1.0, -np.inf], [-np.inf] * 4])
    f = lambda t: getattr(t, op)(axis=1)                  # noqa: E731
    rng = np.random.default_rng(9)
    v = rng.standard_normal(x.shape)
    out, tangent = jvp(f, Tensor(x), Tensor(v))
    assert np.isfinite(tangent.data).all()
    np.testing.assert_allclose(tangent.data, jacobian_times(func.jacrev(f)(x).data, v, out.shape), rtol=1e-14)


INDICES = {          # numpy puts the axes of advanced indices (arrays, and ints or bools among them) first
    "int": (1, (3, 4, 2)),                                 # where a slice, None or ... separates them
    "reversed, ..., None": ((slice(None, None, -1), Ellipsis, None), (3, 4)),
    "int and array apart": ((0, slice(None), np.array([1, 0, 1])), (3, 4, 2)),
    "arrays apart": ((np.array([0, 2]), slice(None), np.array([1, 0])), (3, 4, 2)),
    "..., 2-d array": ((Ellipsis, np.array([[0, 1], [1, 0]])), (3, 2)),
    "arrays apart by None": ((np.array([0, 2]), None, np.array([1, 0])), (3, 4)),
    "bool mask": (MASK, (3, 4)),
    "int and bool apart": ((0, slice(None), True), (3, 4)),
    "() of a 0-d": ((), ()),
}


@pytest.mark.parametrize("index, shape", INDICES.values(), ids=INDICES.keys())
def test_getitem_batch_of_tangents_is_indexed_on_the_trailing_axes(index, shape):
    x = Tensor(np.random.default_rng(10).standard_normal(shape))
    dx = np.random.default_rng(11).standard_normal((5,) + shape)
    with dual_level(batch_size=5) as level:
        tangent = unpack_dual(make_dual(x, Tensor(dx), level=level)[index], level=level).tangent
    np.testing.assert_array_equal(tangent.data, np.stack([d[index] for d in dx]))


def test_concatenate_and_stack_give_inputs_without_a_tangent_zeros():
    x, c = Tensor(np.ones((2, 3))), Tensor(np.full((2, 3), 7.0))
    with dual_level() as level:
        d = make_dual(x, Tensor(np.full((2, 3), 2.0)), level=level)
        joined = unpack_dual(shape_ops.concatenate([c, d, c], axis=1), level=level).tangent
        stacked = unpack_dual(shape_ops.stack([d, c]), level=level).tangent
        untouched = unpack_dual(shape_ops.concatenate([c, c]), level=level).tangent
    np.testing.assert_array_equal(joined.data, np.concatenate([np.zeros((2, 3)), np.full((2, 3), 2.0),
                                                               np.zeros((2, 3))], axis=1))
    np.testing.assert_array_equal(stacked.data, np.stack([np.full((2, 3), 2.0), np.zeros((2, 3))]))
    assert untouched is None


@pytest.mark.parametrize("f", [
    lambda x: x.var(axis=0, ddof=1), lambda x: x.softmax(axis=1), lambda x: x.max(axis=0),
    lambda x: x[[0, 0]].T.reshape(-1), lambda x: x @ x.T, lambda x: linalg.linear(x, x.T, x[0, :2]),
    lambda x: shape_ops.stack([x, x]).logsumexp(axis=0),
], ids=["var", "softmax", "max", "getitem-transpose-reshape", "matmul", "linear", "stack-logsumexp"])
def test_float32_tangents_stay_float32(f):
    x = np.random.default_rng(12).standard_normal((2, 3)).astype(np.float32)
    _, tangent = jvp(f, Tensor(x), Tensor(np.ones_like(x)))
    assert tangent.dtype == np.float32
    J = func.jacfwd(f)(x)
    assert J.dtype == np.float32
    np.testing.assert_allclose(J.data, func.jacrev(f)(x).data, rtol=1e-5, atol=1e-6)
