"""Every op in one table (tests/op_cases.py), property-tested with hypothesis.

For each entry: the forward pass matches its numpy reference (values, shape,
dtype, in float64 and float32), first- and second-order gradients match
finite differences (float64, random shapes incl. 0-d, size-1 axes and
broadcasting), and binary ops mix with Python scalars, numpy scalars and
ndarrays on either side. Inputs where finite differences are undefined
(kinks, ties) are excluded by the input strategies, never by changing an op.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor, grad, gradcheck
from op_cases import DIFFERENTIABLE, MIXABLE, OPS    # the table (shared with test_forward_mode_ops.py)

DTYPES = [np.float64, np.float32]
TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=2e-5, atol=2e-5)}


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
    elsewhere = {"binary_cross_entropy", "binary_cross_entropy_with_logits", "softmax_cross_entropy", "nll_loss"}
    # the creation functions take no tensor: tests/test_ops_creation.py
    elsewhere |= {"zeros", "ones", "full", "eye", "arange", "linspace", "zeros_like", "ones_like", "full_like",
                  "rand", "randn", "rand_like", "randn_like"}
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
