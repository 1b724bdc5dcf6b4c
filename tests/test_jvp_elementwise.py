"""Forward mode through the elementwise ops and the fused losses: the ``jvp`` rules and their flags.

Each rule is checked against reverse mode (the op's ``backward``) and central differences,
its batched form (``jacfwd``'s one pass) against one direction at a time, its output dtype,
and the edge cases where a convention decides the derivative (``0 ** b``, ties of ``maximum``,
kinks, clamps): there forward and reverse mode must agree exactly. The property test over
every op, shape and dtype is tests/test_forward_mode_ops.py.
"""
import numpy as np
import pytest

from autograd import Tensor, func
from autograd.forward_ad import dual_level, make_dual, unpack_dual
from autograd.function import Function
from autograd.ops import elementwise as ew, losses, reduce

rng = np.random.default_rng(18)


def _any(shape):
    return rng.standard_normal(shape)


def _positive(shape):
    return rng.uniform(0.5, 2.0, shape)


def _probability(shape):
    return rng.uniform(0.05, 0.95, shape)


LABELS = np.array([0, 2, 1, 2])
CONDITION = np.arange(12).reshape(2, 3, 2) % 3 == 0


# name -> (function of tensors, input shapes (broadcasting for binary ops), input values)
CASES = {
    "add": (lambda a, b: a + b, [(3, 1), (4,)], _any),
    "sub": (lambda a, b: a - b, [(3, 1), (4,)], _any),
    "mul": (lambda a, b: a * b, [(2, 3, 1), (3, 4)], _any),
    "div": (lambda a, b: a / b, [(3, 1), (4,)], _positive),
    "pow": (lambda a, b: a ** b, [(3, 1), (4,)], _positive),
    "pow_scalar": (lambda a: a ** 3.0, [(3, 4)], _any),
    "neg": (lambda a: -a, [(3, 4)], _any),
    "exp": (lambda a: a.exp(), [(3, 4)], _any),
    "log": (lambda a: a.log(), [(3, 4)], _positive),
    "sqrt": (lambda a: ew.sqrt(a), [(3, 4)], _positive),
    "abs": (lambda a: ew.abs(a), [(3, 4)], _any),
    "tanh": (lambda a: a.tanh(), [(3, 4)], _any),
    "sigmoid": (lambda a: ew.sigmoid(a), [(3, 4)], _any),
    "relu": (lambda a: ew.relu(a), [(3, 4)], _any),
    "leaky_relu": (lambda a: ew.leaky_relu(a, 0.1), [(3, 4)], _any),
    "leaky_relu_steep": (lambda a: ew.leaky_relu(a, -2.0), [(3, 4)], _any),
    "maximum": (lambda a, b: ew.maximum(a, b), [(3, 1), (4,)], _any),
    "minimum": (lambda a, b: ew.minimum(a, b), [(3, 1), (4,)], _any),
    "where": (lambda a, b: ew.where(CONDITION, a, b), [(3, 1), (2,)], _any),
    "clip_numbers": (lambda a: ew.clip(a, -0.5, 0.5), [(3, 4)], _any),
    "clip_tensors": (lambda a, low, high: ew.clip(a, low, high), [(3, 4), (4,), (3, 1)], _any),
    "clamp_min": (lambda a, low: ew.clamp(a, low), [(3, 4), (4,)], _any),
    "clamp_max": (lambda a, high: ew.clamp(a, max=high), [(3, 4), (3, 1)], _any),
    "astype": (lambda a: ew.astype(a, np.float64), [(3,)], _any),
    "clone": (lambda a: ew.clone(a), [(3,)], _any),
    "bce": (lambda p, y: losses.binary_cross_entropy(p, y, reduction="none"), [(5,), (5,)], _probability),
    "bce_logits": (lambda z, y: losses.binary_cross_entropy_with_logits(z, y, reduction="none"),
                   [(2, 3), (2, 3)], _probability),
    "cross_entropy_none": (lambda z: losses.softmax_cross_entropy(z, LABELS, reduction="none"), [(4, 3)], _any),
    "cross_entropy_sum": (lambda z: losses.softmax_cross_entropy(z, LABELS, reduction="sum"), [(4, 3)], _any),
    "cross_entropy_mean": (lambda z: losses.softmax_cross_entropy(z, LABELS, reduction="mean"), [(4, 3)], _any),
}

ELEMENTWISE_OPS = [ew.Add, ew.Sub, ew.Mul, ew.Div, ew.Pow, ew.Neg, ew.Exp, ew.Log, ew.Sqrt, ew.Abs,
                   ew.TanhFunction, ew.SigmoidFunction, ew.ReLUFunction, ew.LeakyReLUFunction, ew.Maximum,
                   ew.Minimum, ew.Where, ew.Clip, ew.Clamp, ew.Cast, ew.Clone,
                   losses.BinaryCrossEntropy, losses.BinaryCrossEntropyWithLogits]


def _point(case):
    f, shapes, values = CASES[case]
    return f, [values(s) for s in shapes], [_any(s) for s in shapes]


def _jvp(f, xs, vs):
    """f's value and its tangent along vs, by forward_ad (None where the output has no tangent: func.jvp
    would give zeros)."""
    with dual_level():
        out = f(*[make_dual(Tensor(x), Tensor(v)) for x, v in zip(xs, vs)])
        return out, unpack_dual(out).tangent


def _reverse(f, xs, vs):
    """J v from the reverse-mode Jacobian: the backward rules' answer."""
    jacobians = func.jacrev(f, argnums=tuple(range(len(xs))))(*xs)
    return sum(np.tensordot(j.data, v, axes=v.ndim) for j, v in zip(jacobians, vs))


def _central(f, xs, vs, h=1e-6):
    ahead = f(*[Tensor(x + h * v) for x, v in zip(xs, vs)]).data
    behind = f(*[Tensor(x - h * v) for x, v in zip(xs, vs)]).data
    return (ahead - behind) / (2 * h)


@pytest.fixture
def one_direction_at_a_time(monkeypatch):
    """Every op here given batches one row at a time: the engine's fallback, the reference for the flags."""
    for op in ELEMENTWISE_OPS + [losses.SoftmaxCrossEntropy]:
        monkeypatch.setattr(op, "batched_jvp", False)
        monkeypatch.setattr(op, "batched_backward", False)


# --- every rule: reverse mode, central differences, the batch, the dtype --------------------

@pytest.mark.parametrize("case", CASES)
def test_jvp_matches_reverse_mode_and_central_differences(case):
    f, xs, vs = _point(case)
    out, tangent = func.jvp(f, tuple(xs), tuple(vs))
    assert tangent.shape == out.shape and tangent.dtype == out.dtype
    np.testing.assert_allclose(tangent.data, _reverse(f, xs, vs), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tangent.data, _central(f, xs, vs), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", CASES)
def test_jacfwd_equals_jacrev(case):
    f, xs, _ = _point(case)
    argnums = tuple(range(len(xs)))
    for forward, backward in zip(func.jacfwd(f, argnums)(*xs), func.jacrev(f, argnums)(*xs)):
        np.testing.assert_allclose(forward.data, backward.data, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("case", CASES)
def test_batched_rules_equal_one_direction_at_a_time(case, request):
    f, xs, _ = _point(case)
    argnums = tuple(range(len(xs)))
    batched = [func.jacfwd(f, argnums)(*xs), func.jacrev(f, argnums)(*xs)]
    request.getfixturevalue("one_direction_at_a_time")
    for together, apart in zip(batched, [func.jacfwd(f, argnums)(*xs), func.jacrev(f, argnums)(*xs)]):
        for t, a in zip(together, apart):
            np.testing.assert_array_equal(t.data, a.data)


@pytest.mark.parametrize("op", ELEMENTWISE_OPS, ids=lambda op: op.__name__)
def test_elementwise_ops_take_batches_in_both_directions(op):
    assert op.elementwise and op.batched_jvp and op.batched_backward
    assert op.jvp is not Function.jvp


def test_cross_entropy_takes_a_batch_of_tangents_but_gradients_one_at_a_time():
    # (its backward, the training hot path, scales g as one row: the engine gives it one at a time)
    op = losses.SoftmaxCrossEntropy
    assert op.batched_jvp and not op.batched_backward and not op.elementwise
    assert op.jvp is not Function.jvp


@pytest.mark.parametrize("case", CASES)
def test_rules_keep_float32(case):
    """The rule itself, before the engine's cast: float32 inputs and tangents give a float32 change."""
    f, xs, vs = _point(case)
    inputs = [Tensor(x.astype(np.float32), requires_grad=True) for x in xs]
    out = f(*inputs)
    fn, checked = out.op, 0
    for i, p in enumerate(fn.parents):
        for x, v in zip(inputs, vs):
            if p is x:
                change = fn.jvp(i, Tensor(v.astype(np.float32)), out, *fn.parents)
                assert change.dtype == out.dtype, (fn.name, i, change.dtype)
                checked += 1
    assert checked == len(inputs)


# --- differentiable again: grad of a tangent ------------------------------------------------

@pytest.mark.parametrize("case", ["pow", "pow_scalar", "log", "sqrt", "tanh", "sigmoid", "bce_logits", "bce",
                                  "cross_entropy_mean"])         # (ops whose derivative depends on x)
def test_grad_of_jvp_equals_reverse_over_reverse(case):
    """d/dx of <1, J(x) v> (forward mode inside reverse mode) against the same from two reverse passes."""
    f, xs, vs = _point(case)
    rest = [Tensor(x) for x in xs[1:]]

    def tangent_total(x):
        with dual_level():
            tangent = unpack_dual(f(make_dual(x, Tensor(vs[0])), *rest)).tangent
        return tangent.sum()

    def directional(x):                              # <grad sum f(x), v>: the same number by reverse mode
        return (func.grad(lambda y: f(y, *rest).sum())(x) * vs[0]).sum()

    np.testing.assert_allclose(func.grad(tangent_total)(xs[0]).data, func.grad(directional)(xs[0]).data,
                               rtol=1e-10, atol=1e-12)


# --- the conventions: forward and reverse mode agree exactly ---------------------------------

def _both_modes(f, xs, vs):
    """The tangent, and J v from reverse mode (elementwise ops: each output needs only its own row)."""
    _, tangent = _jvp(f, xs, vs)
    jacobians = func.jacrev(f, argnums=tuple(range(len(xs))))(*xs)
    reverse = sum(np.diagonal(j.data.reshape(v.size, v.size)) * v.ravel() for j, v in zip(jacobians, vs))
    return tangent.data, reverse


def test_pow_at_zero_base_follows_the_backward():
    # 0^0, 0^2, 0^-1, 0^0.5, 2^0, 0^1: d/da = b a^(b-1) with 0 at 0^0; d/db = a^b log a, taken as 0 at a == 0
    a = np.array([0.0, 0.0, 0.0, 0.0, 2.0, 0.0])
    b = np.array([0.0, 2.0, -1.0, 0.5, 0.0, 1.0])
    va, vb = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), np.array([0.5, 0.25, 0.125, 1.0, 2.0, 3.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        tangent, reverse = _both_modes(lambda a, b: a ** b, [a, b], [va, vb])
    np.testing.assert_array_equal(tangent, reverse)
    np.testing.assert_array_equal(tangent, [0.0, 0.0, -np.inf, np.inf, 2.0 * np.log(2.0), 6.0])


@pytest.mark.parametrize("op, share", [(ew.maximum, [1.0, 0.5, 0.0]), (ew.minimum, [0.0, 0.5, 1.0])])
def test_ties_split_the_change_as_the_backward_splits_the_gradient(op, share):
    a, b = np.array([2.0, 1.0, -1.0]), np.array([1.0, 1.0, 3.0])       # a wins, a tie, b wins (for maximum)
    va, vb = np.array([1.0, 4.0, 16.0]), np.array([2.0, 8.0, 32.0])
    tangent, reverse = _both_modes(op, [a, b], [va, vb])
    np.testing.assert_array_equal(tangent, reverse)
    share = np.array(share)
    np.testing.assert_array_equal(tangent, share * va + (1 - share) * vb)


@pytest.mark.parametrize("op, x, expected", [
    (ew.relu, [-1.0, 0.0, 2.0], [0.0, 0.0, 1.0]),
    (lambda x: ew.leaky_relu(x, 0.1), [-1.0, 0.0, 2.0], [0.1, 0.1, 1.0]),
    (ew.abs, [-1.0, 0.0, 2.0], [-1.0, 0.0, 1.0]),
    (lambda x: ew.clip(x, 0.0, 1.0), [-1.0, 0.0, 1.0], [0.0, 1.0, 1.0]),         # bounds included
    (ew.sqrt, [4.0, 0.0, 1.0], [0.25, np.inf, 0.5]),
    (lambda x: x.log(), [2.0, 0.5, 1.0], [0.5, 2.0, 1.0]),
    (ew.sigmoid, [0.0, 800.0, -800.0], [0.25, 0.0, 0.0]),
], ids=["relu", "leaky_relu", "abs", "clip", "sqrt", "log", "sigmoid"])
def test_kinks_and_limits_match_the_backward(op, x, expected):
    x = np.array(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        tangent, reverse = _both_modes(op, [x], [np.ones(3)])
    np.testing.assert_array_equal(tangent, reverse)
    np.testing.assert_array_equal(tangent, expected)


def test_clip_with_tensor_bounds_passes_the_change_of_whichever_is_the_value():
    # below min, inside, above max, all three equal (a is the value), min above max (max wins)
    a, low, high = np.array([-2.0, 0.5, 3.0, 0.0, 0.5]), np.array([-1.0, 0.0, 0.0, 0.0, 2.0]), \
        np.array([1.0, 1.0, 1.0, 0.0, 1.0])
    va, vlow, vhigh = np.array([1.0, 2.0, 4.0, 8.0, 16.0]), np.full(5, 32.0), np.full(5, 64.0)
    tangent, reverse = _both_modes(lambda a, lo, hi: ew.clip(a, lo, hi), [a, low, high], [va, vlow, vhigh])
    np.testing.assert_array_equal(tangent, reverse)
    np.testing.assert_array_equal(tangent, [32.0, 2.0, 64.0, 8.0, 64.0])


def test_where_gives_each_input_its_change_where_chosen():
    cond = np.array([True, False, True])
    va, vb = np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])
    _, tangent = _jvp(lambda a, b: ew.where(cond, a, b), [np.zeros(3), np.ones(3)], [va, vb])
    np.testing.assert_array_equal(tangent.data, [1.0, 20.0, 3.0])
    _, only_b = _jvp(lambda b: ew.where(cond, Tensor(np.zeros(3)), b), [np.ones(3)], [vb])
    np.testing.assert_array_equal(only_b.data, [0.0, 20.0, 0.0])


@pytest.mark.parametrize("make", [
    lambda x: x > 0, lambda x: ew.equal(x, x), lambda x: ew.less_equal(x, 1.0), lambda x: ew.sign(x),
    lambda x: ew.isfinite(x), lambda x: ew.isnan(x), lambda x: ew.astype(x, np.int64),
], ids=["greater", "equal", "less_equal", "sign", "isfinite", "isnan", "astype_int"])
def test_constants_have_no_tangent(make):
    out, tangent = _jvp(make, [np.array([-1.0, 0.0, 2.0])], [np.ones(3)])
    assert tangent is None
    # used in arithmetic they are constants: d(x * sign(x)) = sign(x) dx
    _, tangent = _jvp(lambda x: x * make(x), [np.array([-1.0, 0.0, 2.0])], [np.full(3, 2.0)])
    np.testing.assert_array_equal(tangent.data, 2.0 * out.data)


def test_cast_carries_the_change_in_the_new_dtype():
    x, v = np.array([0.1, 1.0 / 3.0]), np.array([1.0 / 3.0, 0.25])
    out, tangent = _jvp(lambda x: ew.astype(x, np.float32), [x], [v])
    assert out.dtype == tangent.dtype == np.float32
    np.testing.assert_array_equal(tangent.data, v.astype(np.float32))
    z = Tensor(x, requires_grad=True)
    to_int = ew.astype(z, np.int32)                  # (recorded: its input requires grad)
    assert to_int.op.jvp(0, Tensor(v), to_int, z) is None


def test_float32_stays_float32_through_forward_mode():
    x, v = _positive((3,)).astype(np.float32), _any((3,)).astype(np.float32)
    f = lambda x: ew.sigmoid(x.log() ** 2.0 / ew.maximum(x, 1.0)).tanh()
    out, tangent = _jvp(f, [x], [v])
    assert out.dtype == tangent.dtype == np.float32
    assert func.jacfwd(f)(x).dtype == np.float32


# --- the fused losses: every reduction, input and target ---------------------------------------

def _loss_case(loss, reduction):
    if loss is losses.softmax_cross_entropy:
        return (lambda z: loss(z, LABELS, reduction=reduction)), [_any((4, 3))]
    values = _any if loss is losses.binary_cross_entropy_with_logits else _probability
    return (lambda x, y: loss(x, y, reduction=reduction)), [values((2, 3)), _probability((2, 3))]


def _needs_reductions_in_forward_mode(reduction):
    if reduction != "none" and Function.jvp in (reduce.Mean.jvp, reduce.Sum.jvp):
        pytest.skip("the mean and sum ops have no jvp rule yet (autograd/ops/reduce.py)")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", [losses.binary_cross_entropy, losses.binary_cross_entropy_with_logits,
                                  losses.softmax_cross_entropy], ids=lambda f: f.__name__)
def test_losses_forward_mode_matches_reverse_mode_for_each_reduction(loss, reduction):
    if loss is not losses.softmax_cross_entropy:     # (its reduction is inside the fused op)
        _needs_reductions_in_forward_mode(reduction)
    f, xs = _loss_case(loss, reduction)
    vs = [_any(x.shape) for x in xs]                  # input and target both move
    out, tangent = _jvp(f, xs, vs)
    assert tangent.shape == out.shape
    np.testing.assert_allclose(tangent.data, _reverse(f, xs, vs), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tangent.data, _central(f, xs, vs), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("p, y", [([0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]),
                                  ([1e-30, 1 - 1e-16, 0.5, 0.25], [0.0, 1.0, 0.5, 1.0])])
def test_binary_cross_entropy_clamps_agree_in_both_modes(p, y):
    """At p = 0 or 1 the derivatives are PyTorch's clamped ones, finite, in forward mode too."""
    p, y = np.array(p), np.array(y)
    f = lambda p, y: losses.binary_cross_entropy(p, y, reduction="none")
    vp, vy = np.array([1.0, -1.0, 2.0, 0.5]), np.array([0.25, 1.0, -1.0, 3.0])
    tangent, reverse = _both_modes(f, [p, y], [vp, vy])
    assert np.isfinite(tangent).all()
    np.testing.assert_array_equal(tangent, reverse)


def test_binary_cross_entropy_with_logits_keeps_tiny_derivatives_at_saturation():
    z, y = np.array([720.0, -720.0, 40.0]), np.array([1.0, 0.0, 1.0])
    _, tangent = _jvp(lambda z: losses.binary_cross_entropy_with_logits(z, Tensor(y), reduction="none"),
                      [z], [np.ones(3)])
    np.testing.assert_allclose(tangent.data, [-np.exp(-720.0), np.exp(-720.0), -np.exp(-40.0) / (1 + np.exp(-40.0))],
                               rtol=1e-12)
    assert tangent.data[0] != 0.0


def test_cross_entropy_jvp_is_the_softmax_minus_one_hot_contracted_with_the_direction():
    z, v = _any((4, 3)), _any((4, 3))
    s = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = ((s - np.eye(3)[LABELS]) * v).sum(axis=1)
    for reduction, reduce_ in [("none", lambda d: d), ("sum", np.sum), ("mean", np.mean)]:
        _, tangent = _jvp(lambda z: losses.softmax_cross_entropy(z, LABELS, reduction=reduction), [z], [v])
        np.testing.assert_allclose(tangent.data, reduce_(expected), rtol=1e-12)
