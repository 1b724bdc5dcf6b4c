"""Forward mode is right for every op: the ``jvp`` rules property-tested over the op table.

The table is tests/op_cases.py (the one tests/test_ops.py uses for gradients), plus the four fused
losses. For every differentiable op, in float64, over random shapes, broadcasts and parameters:

1. the dot-product identity ``<u, J v> = <J^T u, v>``: ``func.jvp`` (forward) against ``func.vjp`` (reverse);
2. ``func.jacfwd == func.jacrev ==`` central differences;
3. a batch of tangents pushed in one pass equals one tangent at a time (the rules' ``batched_jvp``);
4. ``engine.grad(..., is_grads_batched=True)`` equals one row at a time (the rules' ``batched_backward``);
5. float32 in, float32 tangents out (and close to the float64 ones);
6. the rules are differentiable again: grad of jvp (= central differences) and jvp of jvp agree.

Then: Hessians (``func.hessian`` symmetric, ``func.hvp`` = H v, both = central differences of
``func.grad``, = jacfwd(jacfwd) = jacrev(jacfwd)) of each elementwise op summed and of functions built
from many ops; forward mode through every ``nn`` layer and loss, agreeing with reverse mode; and
every ``Function`` of autograd and nn has a ``jvp`` rule of its own.
"""
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
import nn
from autograd import Tensor, engine, func
from autograd.forward_ad import dual_level, make_dual, unpack_dual
from autograd.function import Function
from autograd.ops.losses import (binary_cross_entropy, binary_cross_entropy_with_logits, nll_loss,
                                 softmax_cross_entropy)
from autograd.testing import tensors
from op_cases import DIFFERENTIABLE, OPS, SIDE, Op, floats

# Tolerances. Two computations of the same derivative (forward and reverse, batched and not) differ
# by rounding: in float64 a few ulps per op of the magnitudes involved, so they must agree to EXACT
# relative to the scale of what is compared: its largest magnitude (or, for a dot product, the sum of
# its terms' magnitudes: honest cancellation must not fail), plus 1 for the directions u, v and the
# one-hot columns, which have unit scale: a rule's intermediates are of their size even where the
# result is tiny (softmax's s (dx - sum(s dx)) at s = [1, 1e-7] rounds to 1e-16 in a result of 1e-8).
# 1e-10 leaves a wide margin over rounding and still catches any wrong rule (off by O(1) of the
# scale). A float32 result (astype) rounds each tangent: 1e-5. NUMERIC is the loose one: central
# differences with step H err by h^2 |f^(3)| / 6 (truncation) plus eps |f| / h (rounding of f's values).
EXACT = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}
NUMERIC = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 1e-3}
H = 2.0 ** -20          # about 1e-6, float64's best central-difference step at |x| ~ 1..10
FLOAT32_VS_FLOAT64 = 1e-4

# Each property runs for every op (~60): a quarter of the profile's examples keeps the file fast (dev: 6
# each, ci: 15; 80 each passed when this file was written); FEWER for the costlier second derivatives.
FEW = settings(max_examples=max(4, settings().max_examples // 4))
FEWER = settings(max_examples=max(3, settings().max_examples // 6))


# --- the fused losses: ops of autograd.ops.losses that test_ops.py leaves to test_nn_losses.py ---------

REDUCTION = st.sampled_from(["mean", "sum", "none"])
INSIDE = floats(0.0625, 0.9375)


@st.composite
def bce_cases(draw, dtype):
    """Probabilities away from 0 and 1 (where the clamps of the logs begin), and targets (which the
    central differences move) inside [0, 1]."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=SIDE))
    return [draw(tensors(shape, dtype, INSIDE(dtype))), draw(tensors(shape, dtype, INSIDE(dtype)))], \
        {"reduction": draw(REDUCTION)}


@st.composite
def logits_cases(draw, dtype):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=SIDE))
    return [draw(tensors(shape, dtype)), draw(tensors(shape, dtype, INSIDE(dtype)))], \
        {"reduction": draw(REDUCTION)}


@st.composite
def class_cases(draw, dtype):
    """Scores (N, C) and integer labels (N,) (a parameter: only the scores have derivatives)."""
    n, c = draw(st.integers(1, SIDE)), draw(st.integers(1, SIDE))
    labels = draw(hnp.arrays(np.int64, n, elements=st.integers(0, c - 1)))
    return [draw(tensors((n, c), dtype))], {"labels": labels, "reduction": draw(REDUCTION)}


@st.composite
def weighted_class_cases(draw, dtype):
    """Log-probabilities (N, C) (any numbers: the loss is linear in them), labels (N,) some of which are ignored
    (-100, never the first: some sample counts) and a class weight (0 for some classes, not the first sample's:
    its mean is not 0 / 0) or none."""
    [x], params = draw(class_cases(dtype))
    n, c = x.shape
    labels = params["labels"]
    ignored = draw(hnp.arrays(bool, n))
    ignored[0] = False
    params["labels"] = np.where(ignored, -100, labels)
    if draw(st.booleans()):
        weight = draw(hnp.arrays(np.float64, c, elements=st.sampled_from([0.0]) | st.floats(0.5, 2.0)))
        weight[labels[0]] = max(weight[labels[0]], 0.5)
        params["weight"] = weight.astype(dtype)
    return [x], params


# (their forward values are tested in tests/test_nn_losses.py: no numpy reference here)
FUSED_LOSSES = [
    Op("binary_cross_entropy", lambda p, y, reduction: binary_cross_entropy(p, y, reduction), None, bce_cases),
    Op("binary_cross_entropy_with_logits",
       lambda z, y, reduction: binary_cross_entropy_with_logits(z, y, reduction), None, logits_cases),
    Op("softmax_cross_entropy", lambda z, labels, reduction: softmax_cross_entropy(z, labels, reduction), None,
       class_cases),
    Op("nll_loss", lambda x, labels, reduction, weight=None: nll_loss(x, labels, reduction, weight=weight), None,
       weighted_class_cases),
]
FORWARD_OPS = DIFFERENTIABLE + FUSED_LOSSES


# --- helpers -----------------------------------------------------------------------------------

def _draw_case(op, dtype, data):
    """The op as a function of its tensor inputs (parameters bound), the inputs as arrays, and a
    random generator seeded by hypothesis (generic directions: no accidental zeros or ties)."""
    xs, params = data.draw(op.cases(dtype), label="inputs, params")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
    return (lambda *ts: op.fn(*ts, **params)), tuple(x.data for x in xs), rng


def _randn(rng, shape, dtype=np.float64):
    return np.asarray(rng.standard_normal(shape), dtype=dtype)


def _assert_close(got, want, rtol, what):
    """``got == want`` elementwise, to ``rtol`` of (the largest magnitude in ``want``, plus 1)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    scale = float(np.abs(want).max(initial=0.0)) + 1.0
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=what)


def _assert_dot_products_agree(forward_terms, reverse_terms, rtol, what):
    """sum(forward_terms) == the sum of reverse_terms' sums, to rtol of the sum of the terms' magnitudes
    (what their rounding scales with), plus 1."""
    forward_terms = np.asarray(forward_terms, dtype=np.float64).reshape(-1)
    reverse_terms = np.concatenate([np.asarray(t, dtype=np.float64).reshape(-1) for t in reverse_terms])
    forward, reverse = forward_terms.sum(), reverse_terms.sum()
    scale = np.abs(forward_terms).sum() + np.abs(reverse_terms).sum() + 1.0
    assert abs(forward - reverse) <= rtol * scale, \
        f"{what}: <u, Jv> = {forward!r}, <J^T u, v> = {reverse!r} (terms' scale {scale:.3g})"


def _data(t, shape, dtype):
    """A transform's result as an array; zeros where it is None (no dependence)."""
    return np.zeros(shape, dtype) if t is None else t.data


def _central_jacobians(f, arrays, h=H):
    """``d f / d arrays[k]`` by central differences, each of shape ``out.shape + arrays[k].shape``."""
    out = f(*[Tensor(a) for a in arrays])
    jacobians = []
    for k, a in enumerate(arrays):
        columns = np.zeros((out.size, a.size))
        for j in range(a.size):
            plus, minus = a.copy(), a.copy()
            plus.flat[j] += h
            minus.flat[j] -= h
            step = float(plus.flat[j]) - float(minus.flat[j])       # the step actually taken, after rounding
            moved = [[Tensor(b) for b in arrays] for b in (plus, minus)]
            moved[0][k], moved[1][k] = Tensor(plus), Tensor(minus)
            columns[:, j] = (f(*moved[0]).data.astype(np.float64) - f(*moved[1]).data).reshape(-1) / step
        jacobians.append(columns.reshape(out.shape + a.shape))
    return jacobians


# --- 1-5: every op -----------------------------------------------------------------------------

@pytest.mark.parametrize("op", FORWARD_OPS, ids=str)
@FEW
@given(data=st.data())
def test_jvp_and_vjp_satisfy_the_dot_product_identity(op, data):
    """<u, J v> from forward mode equals <J^T u, v> from reverse mode, for random u and v."""
    f, arrays, rng = _draw_case(op, np.float64, data)
    vs = tuple(_randn(rng, a.shape) for a in arrays)
    out, jv = func.jvp(f, arrays, vs)
    assert jv.shape == out.shape and jv.dtype == out.dtype
    u = _randn(rng, out.shape, out.dtype)
    _, pullback = func.vjp(f, *arrays)
    jtu = pullback(u)
    assert len(jtu) == len(arrays)
    _assert_dot_products_agree(u * jv.data, [g.data * v for g, v in zip(jtu, vs)], EXACT[out.dtype], str(op))


@pytest.mark.parametrize("op", FORWARD_OPS, ids=str)
@FEW
@given(data=st.data())
def test_jacfwd_equals_jacrev_equals_central_differences(op, data):
    f, arrays, _ = _draw_case(op, np.float64, data)
    argnums = tuple(range(len(arrays)))
    forward = func.jacfwd(f, argnums=argnums)(*arrays)
    reverse = func.jacrev(f, argnums=argnums)(*arrays)
    numeric = _central_jacobians(f, arrays, h=op.check.get("eps", H))    # (astype: a wide step, it is linear)
    out = f(*[Tensor(a) for a in arrays])
    for k, (jf, jr, jn) in enumerate(zip(forward, reverse, numeric)):
        assert jf.shape == jr.shape == out.shape + arrays[k].shape
        assert jf.dtype == out.dtype
        _assert_close(jf.data, jr.data, EXACT[out.dtype], f"{op}: jacfwd vs jacrev, input {k}")
        _assert_close(jf.data, jn, NUMERIC[out.dtype], f"{op}: jacfwd vs central differences, input {k}")


@pytest.mark.parametrize("op", FORWARD_OPS, ids=str)
@FEW
@given(data=st.data())
def test_a_batch_of_tangents_equals_one_tangent_at_a_time(op, data):
    """A dual level of batch_size n (what jacfwd opens) against n calls of func.jvp."""
    f, arrays, rng = _draw_case(op, np.float64, data)
    n = data.draw(st.integers(1, 3), label="directions")
    batches = [_randn(rng, (n,) + a.shape) for a in arrays]
    with dual_level(batch_size=n):
        out = f(*[make_dual(a, v) for a, v in zip(arrays, batches)])
        batched = unpack_dual(out).tangent
    batched = _data(batched, (n,) + out.shape, out.dtype)
    assert batched.shape == (n,) + out.shape and batched.dtype == out.dtype
    for k in range(n):
        _, one = func.jvp(f, arrays, tuple(v[k] for v in batches))
        _assert_close(batched[k], one.data, EXACT[out.dtype], f"{op}: direction {k} of {n}")


@pytest.mark.parametrize("op", FORWARD_OPS, ids=str)
@FEW
@given(data=st.data())
def test_a_batch_of_seeds_equals_one_backward_at_a_time(op, data):
    """engine.grad with is_grads_batched (what jacrev runs) against one walk per seed."""
    f, arrays, rng = _draw_case(op, np.float64, data)
    n = data.draw(st.integers(1, 3), label="seeds")
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = f(*xs)
    seeds = _randn(rng, (n,) + out.shape, out.dtype)
    batched = engine.grad(out, xs, grad_outputs=seeds, is_grads_batched=True, retain_graph=True,
                          allow_unused=True)
    for i, (g, x) in enumerate(zip(batched, xs)):
        g = _data(g, (n,) + x.shape, x.dtype)
        assert g.shape == (n,) + x.shape and g.dtype == x.dtype, (i, g.shape, g.dtype)
        for k in range(n):
            (row,) = engine.grad(out, x, grad_outputs=seeds[k], retain_graph=True, allow_unused=True)
            _assert_close(g[k], _data(row, x.shape, x.dtype), EXACT[x.dtype], f"{op}: input {i}, seed {k} of {n}")


@pytest.mark.parametrize("op", FORWARD_OPS, ids=str)
@FEW
@given(data=st.data())
def test_float32_tangents_stay_float32(op, data):
    """float32 in: the tangent (one and batched) has the output's dtype, float32, and is close to float64's."""
    f, arrays, rng = _draw_case(op, np.float32, data)
    vs = tuple(_randn(rng, a.shape, np.float32) for a in arrays)
    out, jv = func.jvp(f, arrays, vs)
    if op.name != "astype":                  # (whose output dtype is its parameter)
        assert out.dtype == np.float32
    assert jv.dtype == out.dtype and jv.shape == out.shape
    jacobians = func.jacfwd(f, argnums=tuple(range(len(arrays))))(*arrays)
    assert all(j.dtype == out.dtype for j in jacobians)
    _, jv64 = func.jvp(f, tuple(a.astype(np.float64) for a in arrays), tuple(v.astype(np.float64) for v in vs))
    scale = 1.0 + float(np.abs(jv64.data).max(initial=0.0))
    np.testing.assert_allclose(jv.data, jv64.data.astype(jv.dtype), rtol=FLOAT32_VS_FLOAT64,
                               atol=FLOAT32_VS_FLOAT64 * scale, err_msg=f"{op}: float32 vs float64 tangent")


@pytest.mark.parametrize("op", FORWARD_OPS, ids=str)
@FEWER
@given(data=st.data())
def test_jvp_rules_are_differentiable_again(op, data):
    """x -> <u, J(x) v> differentiated by reverse over forward mode (grad of jvp) equals central
    differences, and forward over forward (nested levels) equals it: the rules are made of ops."""
    f, arrays, rng = _draw_case(op, np.float64, data)
    vs = tuple(_randn(rng, a.shape) for a in arrays)
    ws = tuple(_randn(rng, a.shape) for a in arrays)
    out = f(*[Tensor(a) for a in arrays])
    u = _randn(rng, out.shape, out.dtype)

    def directional(*xs):          # (constant for a linear op: its gradient is then zero)
        return (func.jvp(f, xs, vs)[1] * u).sum()

    reverse = func.grad(directional, argnums=tuple(range(len(arrays))))(*arrays)
    numeric = _central_jacobians(directional, arrays, h=op.check.get("eps", H))
    for k, (g, gn) in enumerate(zip(reverse, numeric)):
        _assert_close(g.data, gn, NUMERIC[out.dtype], f"{op}: grad of jvp vs central differences, input {k}")
    _, forward = func.jvp(directional, arrays, ws)
    _assert_dot_products_agree(forward.data, [g.data * w for g, w in zip(reverse, ws)], EXACT[out.dtype],
                               f"{op}: jvp of jvp vs grad of jvp")


def constant(x):
    """A function that does not depend on its argument."""
    return Tensor([1.0, 2.0])


@pytest.mark.parametrize("transform, expected", [
    (lambda: func.grad(lambda x: constant(x).sum())(np.ones(3)), np.zeros(3)),
    (lambda: func.grad(lambda x: func.grad(lambda y: (3 * y).sum())(x).sum())(np.ones(3)), np.zeros(3)),
    (lambda: func.jacrev(constant)(np.ones(3)), np.zeros((2, 3))),
    (lambda: func.vjp(constant, np.ones(3))[1](np.ones(2))[0], np.zeros(3)),
    (lambda: func.jacfwd(constant)(np.ones(3)), np.zeros((2, 3))),
    (lambda: func.jvp(constant, (np.ones(3),), (np.ones(3),))[1], np.zeros(2)),
], ids=["grad", "grad of grad of a linear function", "jacrev", "vjp", "jacfwd", "jvp"])
def test_transforms_of_a_constant_function_give_zeros(transform, expected):
    """As torch.func and JAX: a derivative of what does not depend on x is zero, in both modes."""
    result = transform()
    assert isinstance(result, Tensor)
    np.testing.assert_array_equal(result.data, expected)


# --- Hessians ----------------------------------------------------------------------------------

def _assert_hessian_is_right(f, x, v, what):
    """hessian(f)(x): shape, symmetric, hvp = H v, = central differences of grad(f), and = the Hessians by
    forward over forward and reverse over forward mode."""
    hessian = func.hessian(f)(x)
    assert hessian.shape == x.shape + x.shape and hessian.dtype == x.dtype
    n = x.size
    h = hessian.data.reshape(n, n)
    _assert_close(h, h.T, EXACT[x.dtype], f"{what}: H symmetric")
    value, (hv,) = func.hvp(f, (x,), (v,))
    _assert_close(value.data, f(Tensor(x)).data, EXACT[x.dtype], f"{what}: hvp's value")
    assert hv.shape == x.shape and hv.dtype == x.dtype
    # H v's rounding scales with sum |H_ij| |v_j| (cancellation is honest), not with the largest entry
    scale = float((np.abs(h) @ np.abs(v.reshape(-1))).max(initial=0.0)) + 1.0
    np.testing.assert_allclose(hv.data.reshape(-1), h @ v.reshape(-1), rtol=EXACT[x.dtype],
                               atol=EXACT[x.dtype] * scale, err_msg=f"{what}: hvp vs H v")
    gradient = func.grad(f)
    numeric = np.zeros((n, n))
    for j in range(n):
        plus, minus = x.copy(), x.copy()
        plus.flat[j] += 1e-5          # (differences of exact-to-rounding gradients: a wider step than for values)
        minus.flat[j] -= 1e-5
        numeric[:, j] = (gradient(plus).data - gradient(minus).data).reshape(-1) / (plus.flat[j] - minus.flat[j])
    _assert_close(h, numeric, NUMERIC[x.dtype], f"{what}: H vs central differences of grad")
    # the other orders of the two modes: forward over forward (nested levels), reverse over forward
    _assert_close(func.jacfwd(func.jacfwd(f))(x).data.reshape(n, n), h, EXACT[x.dtype], f"{what}: jacfwd(jacfwd)")
    _assert_close(func.jacrev(func.jacfwd(f))(x).data.reshape(n, n), h, EXACT[x.dtype], f"{what}: jacrev(jacfwd)")


OPS_BY_NAME = {op.name: op for op in OPS}
ELEMENTWISE_UNARY = ["neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "leaky_relu", "clip", "clamp",
                     "clone", "pow int scalar", "pow float scalar", "sin", "tan", "atanh", "log1p", "expm1", "erf",
                     "erfc", "gelu", "softplus", "mish", "elu", "logsigmoid", "hardtanh"]


@pytest.mark.parametrize("name", ELEMENTWISE_UNARY)
@FEWER
@given(data=st.data())
def test_hessian_of_each_elementwise_op_summed(name, data):
    op = OPS_BY_NAME[name]
    f, (x,), rng = _draw_case(op, np.float64, data)
    _assert_hessian_is_right(lambda t: f(t).sum(), x, _randn(rng, x.shape), name)


_W = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
_B = np.array([0.1, -0.2, 0.3, 0.0])
_MASK = np.array([True, False, True, False, False, True])
_LABELS = np.array([2, 0])
_TARGETS = np.array([0.0, 1.0, 0.25, 1.0, 0.5, 0.0])
_CLASS_WEIGHT = np.array([0.5, 1.0, 2.0])

# scalar functions of x of shape (6,), with values in [0.25, 2] (random: no ties, kinks far away)
SCALAR_FUNCTIONS = {
    "tanh(x) x": lambda x: (x.tanh() * x).sum(),
    "a sigmoid layer, squared": lambda x: (ag.linear(x.reshape(2, 3), _W, _B).sigmoid() ** 2).mean(),
    "log_softmax, indexing, logsumexp": lambda x: x.reshape(2, 3).log_softmax(axis=1)[:, 0].sum() + x.logsumexp(),
    "var and a quotient": lambda x: x.var(ddof=1) + (x.exp() / (1 + x * x)).sum() - x.mean() ** 3,
    "slices, max and min": lambda x: ((x[:3] * x[3:]).sum() + x.max() * x.min()
                                      - (x.reshape(2, 3).max(axis=1) ** 2).sum()),
    "where, sqrt, clip, abs": lambda x: (ag.where(_MASK, x ** 3, (x * x + 1).sqrt()).sum()
                                         + (x.clip(0.5, 1.5) * x).sum() + ((x - 1.0).abs() * x).sum()),
    "x with itself through matmul and transposes": lambda x: ((x.reshape(2, 3).T @ x.reshape(2, 3)).tanh().sum()
                                                              + x.reshape(2, 3).swapaxes(0, 1).reshape(-1) @ x),
    "the fused losses": lambda x: (softmax_cross_entropy(x.reshape(2, 3), _LABELS)
                                   + nll_loss(x.reshape(2, 3).log_softmax(axis=1), _LABELS, weight=_CLASS_WEIGHT)
                                   + binary_cross_entropy_with_logits(x - 1, _TARGETS, "sum")
                                   + binary_cross_entropy((x - 1).sigmoid(), _TARGETS)),
    "stack, concatenate, broadcast, squeeze": lambda x: (
        (ag.stack([x, x.exp()]) * ag.concatenate([x[::-1], x]).reshape(2, 6)).sum()
        + (x.unsqueeze(0).broadcast_to((3, 6)).softmax(axis=1)[:, 1:2].squeeze(1) ** 2).sum()),
    "relu, leaky_relu, maximum, minimum, division": lambda x: (
        (x - 1).relu().sum() * (x - 1.2).leaky_relu(0.1).sum()
        + (ag.maximum(x, 1.1) * ag.minimum(x, 0.9)).sum() + (x / (x + 1)).sum() - (-x.log()).sum()),
}


@pytest.mark.parametrize("name", list(SCALAR_FUNCTIONS))
@FEWER
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_hessian_of_functions_built_from_many_ops(name, seed):
    rng = np.random.default_rng(seed)
    _assert_hessian_is_right(SCALAR_FUNCTIONS[name], rng.uniform(0.25, 2.0, 6), rng.standard_normal(6), name)


# --- nn: forward mode through every layer and loss ---------------------------------------------

def _trained_batchnorm(features, rng, dtype):
    """A BatchNorm1d whose running statistics moved away from 0 and 1 (one training step of statistics)."""
    bn = nn.BatchNorm1d(features, dtype=dtype)
    bn(rng.standard_normal((8, features)) * 2 + 1)
    bn.weight.data[:] = rng.uniform(0.5, 1.5, features)
    bn.bias.data[:] = rng.standard_normal(features)
    return bn.eval()


def _one_hot_rows(rng, n, c):
    p = rng.uniform(0.1, 1.0, (n, c))
    return p / p.sum(axis=1, keepdims=True)


class Unflatten(nn.Module):
    """PyTorch's ``nn.Unflatten(axis, sizes)``: axis ``axis`` split into ``sizes`` (here: an (N, C, L) input
    for BatchNorm1d inside a Sequential). (Named as no op's Function: see tests/test_op_registry.py.)"""

    def __init__(self, axis, sizes):
        super().__init__()
        self.axis, self.sizes = axis, tuple(sizes)

    def forward(self, x):
        return x.reshape(x.shape[:self.axis] + self.sizes + x.shape[self.axis + 1:])


# name -> build(rng, dtype, reduction) -> (model, loss function, x, target); every nn layer and loss appears
NETWORKS = {
    "Linear ReLU BatchNorm1d(train) Linear Softmax, MSELoss": lambda rng, dtype, r: (
        nn.Sequential(nn.Linear(4, 6, dtype=dtype, rng=rng), nn.ReLU(), nn.BatchNorm1d(6, dtype=dtype),
                      nn.Linear(6, 3, dtype=dtype, rng=rng), nn.Softmax(dim=1)),
        nn.MSELoss(r), rng.standard_normal((5, 4)), rng.uniform(0, 1, (5, 3))),
    "Linear Tanh Dropout(eval) Linear LogSoftmax, NLLLoss": lambda rng, dtype, r: (
        nn.Sequential(nn.Linear(4, 6, dtype=dtype, rng=rng), nn.Tanh(), nn.Dropout(0.5, rng=0),
                      nn.Linear(6, 3, dtype=dtype, rng=rng), nn.LogSoftmax(dim=1)).eval(),
        nn.NLLLoss(r), rng.standard_normal((5, 4)), rng.integers(0, 3, 5)),
    "Linear Sigmoid BatchNorm1d(eval) Linear, CrossEntropyLoss(labels)": lambda rng, dtype, r: (
        nn.Sequential(nn.Linear(4, 6, dtype=dtype, rng=rng), nn.Sigmoid(), _trained_batchnorm(6, rng, dtype),
                      nn.Linear(6, 3, dtype=dtype, rng=rng)),
        nn.CrossEntropyLoss(r), rng.standard_normal((5, 4)), rng.integers(0, 3, 5)),
    "Linear LeakyReLU BatchNorm1d(train, no affine) Linear, CrossEntropyLoss(probabilities)": lambda rng, dtype, r: (
        nn.Sequential(nn.Linear(4, 6, dtype=dtype, rng=rng), nn.LeakyReLU(0.1),
                      nn.BatchNorm1d(6, affine=False, dtype=dtype), nn.Linear(6, 3, dtype=dtype, rng=rng)),
        nn.CrossEntropyLoss(r), rng.standard_normal((5, 4)), _one_hot_rows(rng, 5, 3)),
    "Flatten Linear Identity Tanh Linear Sigmoid, BCELoss": lambda rng, dtype, r: (
        nn.Sequential(nn.Flatten(), nn.Linear(4, 5, dtype=dtype, rng=rng), nn.Identity(), nn.Tanh(),
                      nn.Linear(5, 2, dtype=dtype, rng=rng), nn.Sigmoid()),
        nn.BCELoss(r), rng.standard_normal((5, 2, 2)), rng.uniform(0, 1, (5, 2))),
    "Conv2d BatchNorm2d(train) Tanh MaxPool2d Conv2d(groups) AvgPool2d Flatten Linear, CrossEntropyLoss":
        lambda rng, dtype, r: (
            nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, dtype=dtype, rng=rng), nn.BatchNorm2d(3, dtype=dtype), nn.Tanh(),
                          nn.MaxPool2d(2, stride=1), nn.Conv2d(3, 3, 2, stride=2, groups=3, dtype=dtype, rng=rng),
                          nn.AvgPool2d(2), nn.Flatten(), nn.Linear(3, 3, dtype=dtype, rng=rng)),
            nn.CrossEntropyLoss(r), rng.standard_normal((4, 2, 6, 6)), rng.integers(0, 3, 4)),
    "MLP(tanh), (N, C, L) BatchNorm1d(train), BCEWithLogitsLoss": lambda rng, dtype, r: (
        nn.Sequential(nn.MLP([4, 6, 6], activation="tanh", dtype=dtype, rng=rng), Unflatten(1, (2, 3)),
                      nn.BatchNorm1d(2, dtype=dtype)),
        nn.BCEWithLogitsLoss(r), rng.standard_normal((5, 4)), rng.uniform(0, 1, (5, 2, 3))),
}


def _tangents_and_gradients(model, loss_fn, x, target, rng):
    """One forward pass with tangents on x and on every parameter (and the graph for reverse mode):
    the loss, its tangent, the directions, and the gradients of <u, loss> for a random u."""
    params = list(model.parameters())
    directions = [_randn(rng, x.shape, x.dtype)] + [_randn(rng, p.shape, p.dtype) for p in params]
    leaf = Tensor(x, requires_grad=True)
    with dual_level() as level:
        for p, v in zip(params, directions[1:]):
            level.set_tangent(p, Tensor(v))            # a parameter is a leaf of the model: it carries its own
        try:
            loss = loss_fn(model(make_dual(leaf, directions[0])), target)
            tangent = unpack_dual(loss).tangent
        finally:
            for p in params:
                level.forget(p)
    assert tangent is not None, "forward mode lost the tangent on its way through the network"
    u = _randn(rng, loss.shape, loss.dtype)
    gradients = engine.grad(loss, [leaf] + params, grad_outputs=u, allow_unused=True)
    return loss, tangent, u, directions, [_data(g, d.shape, d.dtype) for g, d in zip(gradients, directions)]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(NETWORKS))
def test_forward_mode_runs_through_every_layer_and_loss_and_agrees_with_reverse_mode(name, reduction):
    rng = np.random.default_rng(18)
    model, loss_fn, x, target = NETWORKS[name](rng, np.float64, reduction)
    loss, tangent, u, directions, gradients = _tangents_and_gradients(model, loss_fn, x, target, rng)
    assert tangent.shape == loss.shape and tangent.dtype == np.float64
    # the whole network's dot-product identity, with respect to the input and every parameter at once
    _assert_dot_products_agree(u * tangent.data, [g * d for g, d in zip(gradients, directions)],
                               EXACT[np.dtype(np.float64)], name)
    # and the Jacobian with respect to the input, by columns (forward) and by rows (reverse)
    f = lambda t: loss_fn(model(t), target)          # noqa: E731
    _assert_close(func.jacfwd(f)(x).data, func.jacrev(f)(x).data, EXACT[np.dtype(np.float64)], name)


def test_forward_mode_through_dropout_in_training_sees_the_same_mask_as_reverse_mode():
    """One pass with tangents and graph: the tangent is zero where the mask dropped, and agrees with reverse mode."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 8, dtype=np.float64, rng=rng), nn.Dropout(0.5, rng=1), nn.Tanh())
    x = rng.standard_normal((6, 4))
    loss, tangent, u, directions, gradients = _tangents_and_gradients(model, lambda y, _: y, x, None, rng)
    dropped = loss.data == 0                        # tanh(0) = 0: where the mask zeroed the layer's output
    assert dropped.any() and not dropped.all()
    assert np.all(tangent.data[dropped] == 0)
    _assert_dot_products_agree(u * tangent.data, [g * d for g, d in zip(gradients, directions)],
                               EXACT[np.dtype(np.float64)], "dropout")


@pytest.mark.parametrize("name", list(NETWORKS))
def test_float32_networks_give_float32_tangents(name):
    rng = np.random.default_rng(32)
    model, loss_fn, x, target = NETWORKS[name](rng, np.float32, "none")
    loss, tangent = _tangents_and_gradients(model, loss_fn, x.astype(np.float32), target, rng)[:2]
    assert loss.dtype == tangent.dtype == np.float32
    assert np.isfinite(tangent.data).all()


def test_a_float64_dual_input_to_a_float32_layer_keeps_its_tangent_or_raises():
    """A layer casts an input of another dtype only when it carries no derivative; with one it raises
    (reverse mode: "requires grad and meets parameters of dtype float32"). A tangent must not be cast away."""
    layer = nn.Linear(3, 2, rng=0)                                  # float32 parameters
    x, v = np.ones((1, 3)), np.array([[1.0, -2.0, 0.5]])
    try:
        _, tangent = func.jvp(layer, (x,), (v,))
    except TypeError as e:
        assert "Linear" in str(e) and "float32" in str(e)
        return
    np.testing.assert_allclose(tangent.data, v.astype(np.float32) @ layer.weight.data, rtol=1e-6)


@pytest.mark.parametrize("loss, x", [
    (nn.functional.mse_loss, np.array([1.0, 2.0, -0.5])),
    (nn.functional.binary_cross_entropy, np.array([0.25, 0.5, 0.75])),
    (nn.functional.binary_cross_entropy_with_logits, np.array([1.0, -2.0, 0.5])),
    (nn.functional.cross_entropy, np.array([[1.0, -2.0, 0.5]])),
], ids=["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy(probabilities)"])
def test_a_loss_casting_its_target_keeps_the_targets_tangent(loss, x):
    """A float32 target of a float64 input is cast to float64: with its graph (reverse mode) and its tangent."""
    y, v = np.full(x.shape, 1 / 3, np.float32), np.array([0.5, -1.0, 2.0], np.float32).reshape(x.shape)
    _, tangent = func.jvp(lambda t: loss(x, t), (y,), (v,))
    gradient = func.grad(lambda t: loss(x, t))(y)
    np.testing.assert_allclose(tangent.data, (gradient.data * v).sum(), rtol=1e-6)
    assert tangent.data != 0


# --- every op has a rule -----------------------------------------------------------------------

def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_function_of_labgrad_has_a_jvp_rule():
    """Forward mode runs through every op: no Function of autograd (its ops, make_dual) or nn falls back on
    the base class's jvp, which raises NotImplementedError. Abstract bases (no forward of their own) and
    classes that are no module's attribute (doctests' examples) are left out."""
    classes = [c for c in _subclasses(Function) if c.__module__.split(".")[0] in ("autograd", "nn")
               and getattr(sys.modules[c.__module__], c.__name__, None) is c and c.forward is not Function.forward]
    assert len([c for c in classes if c.__module__.startswith("autograd.ops.")]) > 40
    missing = sorted(f"{c.__module__}.{c.__name__}" for c in classes if c.jvp is Function.jvp)
    assert not missing, f"Function classes without a jvp rule: {missing}"
