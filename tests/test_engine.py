"""Engine semantics (issue #2): the Tensor API, backward, autograd.grad, grad modes,
anomaly detection, numerics at extreme values, error messages and graph lifetime.

Per-op forward values and gradients are tested in ``test_ops.py``; gradcheck and
finite-difference checks of higher-order gradients live in ``test_gradcheck.py``.
"""
import gc
import math
import re
import time
import warnings
import weakref

import numpy as np
import pytest

import autograd
from autograd import AnomalyError, Tensor, detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad
from autograd.function import Function


class Identity(Function):
    """The cheapest possible op (no numpy work): isolates the engine's own cost."""
    name = "identity"

    def forward(self, a):
        return a

    def backward(self, g, out, a):
        return (g,)


class InfGrad(Function):
    """Finite forward, infinite backward: d/da of a with a bogus 1/0 local derivative."""
    name = "inf_grad"

    def forward(self, a):
        return a.copy()

    def backward(self, g, out, a):
        with np.errstate(divide="ignore"):
            return (g / np.zeros_like(a),)


# --- the seed examples -------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_seed_example_scalar_grads_are_arrays_of_tensor_shape_and_dtype(dtype):
    x = Tensor(-2.0, requires_grad=True, dtype=dtype)
    y = Tensor(5.0, requires_grad=True, dtype=dtype)
    z = Tensor(-4.0, requires_grad=True, dtype=dtype)
    f = (x + y) * z
    assert f.item() == -12.0
    f.backward()
    for t, expected in [(x, -4.0), (y, -4.0), (z, 3.0)]:
        assert type(t.grad) is np.ndarray
        assert t.grad.shape == () and t.grad.dtype == dtype
        assert t.grad == expected


def test_seed_example_elementwise_on_vectors():
    x = Tensor([-2.0, 1.0, 0.5], requires_grad=True)
    y = Tensor([5.0, 2.0, -1.0], requires_grad=True)
    z = Tensor([-4.0, 3.0, 2.0], requires_grad=True)
    ((x + y) * z).sum().backward()
    np.testing.assert_array_equal(x.grad, z.data)
    np.testing.assert_array_equal(y.grad, z.data)
    np.testing.assert_array_equal(z.grad, x.data + y.data)
    assert x.grad.shape == (3,) and x.grad.dtype == np.float64


def test_sigmoid_neuron_matches_hand_formula():
    w0, x0, w1, x1, w2 = 2.0, -1.0, -3.0, -2.0, -3.0
    ts = [Tensor(v, requires_grad=True) for v in (w0, x0, w1, x1, w2)]
    tw0, tx0, tw1, tx1, tw2 = ts
    f = (tw0 * tx0 + tw1 * tx1 + tw2).sigmoid()
    s = 1 / (1 + math.exp(-(w0 * x0 + w1 * x1 + w2)))
    assert f.item() == pytest.approx(s, rel=1e-15)
    f.backward()
    ds = s * (1 - s)
    expected = [x0 * ds, w0 * ds, x1 * ds, w1 * ds, ds]
    for t, e in zip(ts, expected):
        assert t.grad.item() == pytest.approx(e, rel=1e-12)
    assert tw0.grad.item() == pytest.approx(-0.19661193, abs=1e-8)      # CS231n's numbers
    assert tx0.grad.item() == pytest.approx(0.39322387, abs=1e-8)


# --- the Tensor API -----------------------------------------------------------------------

def test_array_attributes():
    a = np.arange(6.0).reshape(2, 3)
    t = Tensor(a)
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float64 and t.size == 6
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.data, a.T)
    assert Tensor(3.5).item() == 3.5 and type(Tensor(3.5).item()) is float
    assert t.numpy() is t.data
    assert isinstance(t.numpy(), np.ndarray)
    with pytest.raises(ValueError):
        t.item()                                      # more than one element


def test_detach_shares_data_and_has_no_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert d.data is y.data
    assert d.op is None and d.parents == () and d.is_leaf and not d.requires_grad
    z = d * x                                         # gradient must not flow back through d
    z.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 6.0])
    y.data[0] = 100.0                                 # shared memory: visible through d
    assert d.data[0] == 100.0


def test_requires_grad_and_zero_grad():
    t = Tensor([1, 2, 3])
    assert t.dtype == np.int64 and not t.requires_grad
    assert t.requires_grad_() is t
    assert t.requires_grad and t.dtype == np.float64
    (t * t).sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 4.0, 6.0])
    assert t.zero_grad() is t and t.grad is None
    (t * t).sum().backward()
    held = t.grad
    t.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(t.grad, [0.0, 0.0, 0.0])
    assert t.grad.dtype == np.float64 and t.grad is held       # zeroed in place, as PyTorch
    t.requires_grad_(False)
    assert not t.requires_grad
    y = t * 2
    assert not y.requires_grad and y.op is None


@pytest.mark.parametrize("data", [[1, 2], [True, False], np.arange(3, dtype=np.int32), 7])
def test_int_and_bool_data_become_float64_when_requiring_grad(data):
    t = Tensor(data, requires_grad=True)
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float64))
    assert Tensor(data).dtype == np.asarray(data).dtype       # not without requires_grad


def test_repr_is_readable():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    r = repr(w)
    assert r.startswith("Tensor([1., 2.]") and "requires_grad=True" in r and "name='w'" in r
    assert "op='*'" in repr(w * w)
    assert "dtype=float32" in repr(Tensor([1.0], dtype=np.float32))
    assert "..." in repr(Tensor(np.arange(1000.0)))          # long data is summarised
    assert len(repr(Tensor(np.arange(1000.0)))) < 200


def test_op_and_parents_expose_the_graph():
    x = Tensor(2.0, requires_grad=True, name="x")
    y = Tensor(3.0, requires_grad=True, name="y")
    z = x * y
    s = (z + x).sum()
    assert x.op is None and x.parents == () and x.is_leaf
    assert z.op.name == "*" and z.parents[0] is x and z.parents[1] is y and not z.is_leaf
    assert s.op.name == "sum" and s.parents[0].op.name == "+"
    assert s.parents[0].parents[0] is z and s.parents[0].parents[1] is x
    m = Tensor(np.ones((2, 3)), requires_grad=True).sum(axis=1, keepdims=True)
    assert m.op.params == {"axis": (1,), "keepdims": True}
    assert isinstance(z.op, Function)


def test_comparisons_and_inputs_without_grad_record_no_graph():
    x = Tensor([1.0, -1.0], requires_grad=True)
    c = x > 0
    assert c.dtype == np.bool_ and c.op is None and not c.requires_grad
    k = Tensor([1.0, 2.0]) * 3
    assert k.op is None and not k.requires_grad


FLOAT32_PROGRAMS = {
    "scalar arithmetic": lambda x: ((x * 2.0 + 1) / 3.0 - 0.5) ** 2,
    "reverse scalars": lambda x: 2.0 - 3.0 / (x + 5.0) + 2 * x,
    "exp log sqrt": lambda x: (x * x + 1.0).sqrt().log() + (x * 0.1).exp(),
    "activations": lambda x: x.sigmoid() + x.tanh() + x.relu() + x.leaky_relu(0.2) + abs(x),
    "clip maximum where": lambda x: x.clip(-0.5, 0.5) + x.maximum(0.0) + autograd.where(x > 0, x, 0.0),
    "reductions": lambda x: x.mean(axis=0) + x.var(axis=0) + x.max(axis=0) + x.logsumexp(axis=0),
    "softmax family": lambda x: x.softmax(axis=-1) * x.log_softmax(axis=-1),
    "matmul": lambda x: x @ Tensor(np.ones((3, 2), dtype=np.float32)),
    "shape ops": lambda x: x.T.reshape(-1)[1:4].unsqueeze(0).flatten(),
    "numpy functions": lambda x: np.exp(x) + np.sum(x, axis=0) + np.float32(2) * x,
}


@pytest.mark.parametrize("name", FLOAT32_PROGRAMS)
def test_float32_stays_float32_forward_and_backward(name):
    x = Tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    y = FLOAT32_PROGRAMS[name](x)
    assert y.dtype == np.float32
    y.sum().backward(retain_graph=True)
    assert x.grad.dtype == np.float32 and x.grad.shape == x.shape
    (g,) = grad(y.sum(), x, create_graph=True)
    assert g.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_has_the_dtype_of_its_tensor_when_mixing_dtypes(dtype):
    other = np.float64 if dtype == np.float32 else np.float32
    a = Tensor([1.0, 2.0], requires_grad=True, dtype=dtype)
    b = Tensor([3.0, 4.0], requires_grad=True, dtype=other)
    (a * b).sum().backward()
    assert a.grad.dtype == dtype and b.grad.dtype == other


def test_ndarray_and_python_scalars_on_either_side_give_tensors():
    t = Tensor([1.0, 2.0], requires_grad=True)
    arr = np.array([10.0, 20.0])
    results = [arr + t, arr * t, arr - t, arr / t, 2 * t, 2.0 - t, 1 / t, 2 ** t,
               np.exp(t), np.array([[1.0, 1.0]]) @ t]
    for r in results:
        assert isinstance(r, Tensor) and r.requires_grad
    (arr * t).sum().backward()
    np.testing.assert_array_equal(t.grad, arr)


# --- backward is iterative and linear -------------------------------------------------------

def test_million_op_chain_backpropagates_without_recursion_error(no_cyclic_gc):
    n = 1_000_000
    x = Tensor(1.5, requires_grad=True)
    y = x
    apply = Identity.apply
    for _ in range(n):
        y = apply(y)
    assert y.op.name == "identity"
    y.backward()
    assert x.grad == 1.0
    del y                                             # a million-deep graph is freed without crashing


def test_deep_chain_of_real_ops():
    x = Tensor(0.5, requires_grad=True)
    y = x
    for _ in range(10_000):                           # 20x the recursion limit in ops
        y = y * 1.0 + 0.0
    y.backward(retain_graph=True)
    assert x.grad == 1.0
    (g,) = grad(y * y, x)                             # the grad() path walks it iteratively too
    assert g.item() == 1.0


def _backward_seconds(n):
    x = Tensor(0.0, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    was_enabled = gc.isenabled()
    gc.disable()                                      # time the engine, not the cyclic collector
    try:
        times = []
        for _ in range(2):
            t0 = time.process_time()                  # CPU time: robust to other processes
            y.backward(retain_graph=True)
            times.append(time.process_time() - t0)
    finally:
        if was_enabled:
            gc.enable()
    assert x.grad == 2.0
    return min(times)


def test_backward_time_is_linear_in_graph_size():
    small, large = _backward_seconds(20_000), _backward_seconds(80_000)
    ratio = large / small
    assert ratio < 8, f"4x more ops took {ratio:.1f}x longer (quadratic would be ~16x)"


def test_exponentially_many_paths_are_visited_once():
    # y = y + y doubles the number of paths each step: 2**200 paths, 200 nodes
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(200):
        y = y + y
    t0 = time.process_time()
    y.backward()
    assert time.process_time() - t0 < 1.0
    assert x.grad == 2.0 ** 200                       # exact: powers of two


# --- reused nodes and accumulation ------------------------------------------------------------

def test_same_tensor_twice_in_one_op():
    a = Tensor(3.0, requires_grad=True)
    (a + a).backward()
    assert a.grad == 2.0
    a.zero_grad()
    (a * a).backward()
    assert a.grad == 6.0
    a.zero_grad()
    (a * a * a).backward()
    assert a.grad == 27.0


def test_diamond():
    a = Tensor(0.7, requires_grad=True)
    b = a * 3.0                                       # shared by both branches
    out = b.exp() + b * b
    out.backward()
    b_val = 2.1
    assert a.grad.item() == pytest.approx(3 * (math.exp(b_val) + 2 * b_val), rel=1e-14)


def test_deep_reuse_of_intermediates():
    x = Tensor(np.array([0.3, -0.2]), requires_grad=True)
    h = x
    for _ in range(10):
        h = h * h * 0.5 + h                           # each h is used twice
    h.sum().backward()
    # reference: forward-mode derivative of the same recurrence
    v, dv = x.data.copy(), np.ones(2)
    for _ in range(10):
        v, dv = v * v * 0.5 + v, (v + 1) * dv
    np.testing.assert_allclose(h.data, v, rtol=1e-14)
    np.testing.assert_allclose(x.grad, dv, rtol=1e-12)


def test_leaf_grads_accumulate_until_zeroed():
    w = Tensor([1.0, -2.0], requires_grad=True)
    for k in range(1, 4):
        (w * w).sum().backward()
        np.testing.assert_array_equal(w.grad, k * 2 * w.data)
    w.zero_grad()
    (w * 5).sum().backward()
    np.testing.assert_array_equal(w.grad, [5.0, 5.0])


def test_retain_graph_second_backward_does_not_double_count_intermediates():
    a = Tensor([1.5, -0.5], requires_grad=True)
    b = a * 3.0                                       # intermediate, used twice below
    c = (b * b + b).sum()
    c.backward(retain_graph=True)
    first = a.grad.copy()
    np.testing.assert_allclose(first, (2 * 3 * a.data * 3 + 3))
    c.backward(retain_graph=True)
    np.testing.assert_array_equal(a.grad, 2 * first)  # micrograd would give 3x
    c.backward()
    np.testing.assert_array_equal(a.grad, 3 * first)
    assert b.grad is None                             # intermediates keep no .grad


def test_retain_grad_on_intermediate_accumulates_like_a_leaf():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = (a * 3.0).retain_grad()
    c = (b * b).sum()
    c.backward(retain_graph=True)
    np.testing.assert_array_equal(b.grad, 2 * b.data)
    np.testing.assert_array_equal(a.grad, 6 * b.data)
    c.backward()
    np.testing.assert_array_equal(b.grad, 4 * b.data)
    np.testing.assert_array_equal(a.grad, 12 * b.data)


def test_parameters_not_reached_keep_grad_none():
    used = Tensor([1.0, 2.0], requires_grad=True)
    unused = Tensor([3.0], requires_grad=True)
    cut = Tensor([4.0, 5.0], requires_grad=True)
    compared = Tensor([6.0, 7.0], requires_grad=True)
    loss = (used * cut.detach() + (compared > 6.5)).sum()
    loss.backward()
    np.testing.assert_array_equal(used.grad, [4.0, 5.0])
    assert unused.grad is None and cut.grad is None and compared.grad is None


def test_second_backward_without_retain_graph_raises_and_names_the_fix():
    a = Tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()
    np.testing.assert_array_equal(a.grad, [2.0, 4.0])          # unchanged by the failed call
    assert y.op.released


@pytest.mark.parametrize("order", ["h + c", "c + h"])
def test_backward_through_a_released_subgraph_changes_no_grad(order):
    a = Tensor(2.0, requires_grad=True)
    c = Tensor(5.0, requires_grad=True)
    h = a * a
    h.backward()                                      # releases the '*' op
    out = h + c if order == "h + c" else c + h
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        out.backward()
    assert a.grad == 4.0
    assert c.grad is None                             # nothing half-changed on failure


def test_retain_graph_allows_many_backwards():
    a = Tensor(2.0, requires_grad=True)
    y = a ** 3
    for k in range(1, 4):
        y.backward(retain_graph=True)
        assert a.grad == 12.0 * k
    assert not y.op.released


def test_backward_of_non_scalar_needs_a_grad():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    y = a * 2
    with pytest.raises(ValueError, match=r"\(2, 3\)"):     # a wrong value (issue 15: was RuntimeError)
        y.backward()
    y.backward(np.full((2, 3), 0.5))
    np.testing.assert_array_equal(a.grad, np.ones((2, 3)))
    a.zero_grad()
    a.sum(axis=1, keepdims=True).reshape(1, 2)[:, :1].backward()   # one element: no grad needed
    np.testing.assert_array_equal(a.grad, [[1, 1, 1], [0, 0, 0]])


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((3, 2)), np.ones((1, 2, 3)), 1.0])
def test_backward_with_grad_of_wrong_shape_raises_value_error_and_changes_nothing(bad):
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    y = a * 2
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        y.backward(bad)
    assert a.grad is None
    y.backward(np.ones((2, 3)))                       # the graph is intact
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 2.0))


def test_backward_of_tensor_without_grad_raises():
    with pytest.raises(ValueError, match="does not require grad"):   # (issue 15: was RuntimeError)
        Tensor(1.0).backward()
    with no_grad():
        y = Tensor(1.0, requires_grad=True) * 2
    with pytest.raises(ValueError, match="no_grad"):
        y.backward()


def test_backward_on_a_leaf():
    a = Tensor([[1.0, 2.0]], requires_grad=True)
    a.backward(np.array([[3.0, 4.0]]))
    np.testing.assert_array_equal(a.grad, [[3.0, 4.0]])


# --- gradients never alias -------------------------------------------------------------------

def test_grads_of_an_add_are_distinct_arrays():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad and not np.shares_memory(a.grad, b.grad)
    a.grad += 10
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_user_grad_is_not_stored_as_is():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    u = np.array([5.0, 6.0])
    (a + b).backward(u)
    for t in (a, b):
        assert t.grad is not u and not np.shares_memory(t.grad, u)
    u[:] = 0
    np.testing.assert_array_equal(a.grad, [5.0, 6.0])
    leaf = Tensor([1.0, 1.0], requires_grad=True)
    leaf.backward(u)
    assert not np.shares_memory(leaf.grad, u)
    v = Tensor([7.0, 8.0])
    (a * 1.0).backward(v)                             # a Tensor as upstream gradient
    assert not np.shares_memory(a.grad, v.data)


@pytest.mark.parametrize("program", [
    lambda a: a.sum(),
    lambda a: a.reshape(-1).sum(),
    lambda a: a.T.sum(),
    lambda a: a[0].sum() + a[1].sum(),
    lambda a: a.broadcast_to((4, 2, 3)).sum(),
    lambda a: autograd.concatenate([a, a], axis=0).sum(),
    lambda a: a.astype(np.float32).sum(),
])
def test_grads_are_writeable_and_own_their_memory(program):
    a = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = Tensor(np.ones((2, 3)), requires_grad=True)
    h = (a + b).retain_grad()
    program(h).backward()
    for t in (a, b, h):
        assert t.grad.flags.writeable and t.grad.shape == (2, 3)
    assert not np.shares_memory(a.grad, b.grad) and not np.shares_memory(a.grad, h.grad)
    assert not np.shares_memory(b.grad, h.grad)
    before = b.grad.copy()
    a.grad -= 1.0                                     # an SGD-style in-place update
    h.grad *= 3.0
    np.testing.assert_array_equal(b.grad, before)


# --- grad modes --------------------------------------------------------------------------------

def test_no_grad_context_manager_and_enable_grad_inside():
    w = Tensor([1.0, 2.0], requires_grad=True)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = w * 2
        with enable_grad():
            assert is_grad_enabled()
            z = w * 2
            with no_grad():
                assert not (w * 2).requires_grad
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert not y.requires_grad and y.op is None
    assert z.requires_grad and z.op is not None
    z.sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0])


def test_no_grad_decorator_and_exceptions_restore_state():
    w = Tensor([1.0], requires_grad=True)

    @no_grad()
    def f(x):
        assert not is_grad_enabled()
        return x * 2

    @no_grad()
    def fails():
        raise KeyError("boom")

    @enable_grad()
    def g(x):
        return x * 2

    assert not f(w).requires_grad
    assert is_grad_enabled()
    assert f.__name__ == "f"                          # functools.wraps
    with pytest.raises(KeyError):
        fails()
    assert is_grad_enabled()
    with no_grad():
        assert g(w).requires_grad                     # enable_grad decorator inside no_grad
        assert not is_grad_enabled()
        with pytest.raises(KeyError):
            fails()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    with pytest.raises(ValueError):
        with no_grad():
            raise ValueError
    assert is_grad_enabled()


def test_no_grad_decorated_function_is_reentrant():
    w = Tensor([1.0], requires_grad=True)
    seen = []

    @no_grad()
    def rec(k):
        seen.append(is_grad_enabled())
        if k:
            rec(k - 1)
        return (w * 2).requires_grad

    assert rec(3) is False
    assert seen == [False] * 4 and is_grad_enabled()


# --- autograd.grad ------------------------------------------------------------------------------

def test_grad_first_order_and_does_not_touch_dot_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    w.grad = np.array([100.0, 100.0])
    (gx, gw) = grad((x * w).sum(), [x, w])
    assert isinstance(gx, Tensor) and not gx.requires_grad
    np.testing.assert_array_equal(gx.data, [3.0, 4.0])
    np.testing.assert_array_equal(gw.data, [1.0, 2.0])
    assert x.grad is None
    np.testing.assert_array_equal(w.grad, [100.0, 100.0])


def test_grad_accepts_a_single_tensor_and_grad_outputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (gx,) = grad(x * x, x, grad_outputs=np.array([1.0, -1.0]))
    np.testing.assert_array_equal(gx.data, [2.0, -4.0])


@pytest.mark.parametrize("x0", [2.0, -1.5])
def test_grad_higher_orders_of_a_cube(x0):
    x = Tensor(x0, requires_grad=True)
    (d1,) = grad(x ** 3, x, create_graph=True)
    (d2,) = grad(d1, x, create_graph=True)
    (d3,) = grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == pytest.approx((3 * x0 ** 2, 6 * x0, 6.0), rel=1e-14)
    assert d1.requires_grad and d2.requires_grad
    assert x.grad is None


@pytest.mark.parametrize("fn, derivatives", [
    (lambda t: t.tanh(), lambda t: (1 - t * t, -2 * t * (1 - t * t), (6 * t * t - 2) * (1 - t * t))),
    (lambda s: s.sigmoid(), lambda s: (s * (1 - s), s * (1 - s) * (1 - 2 * s),
                                       s * (1 - s) * (1 - 6 * s + 6 * s * s))),
    (lambda e: (e * 2.0).exp(), lambda e: (2 * e, 4 * e, 8 * e)),
])
def test_grad_third_order_of_activations(fn, derivatives):
    x = Tensor(np.array([-1.3, 0.2, 0.9]), requires_grad=True)
    y = fn(x)
    expected = derivatives(y.data)
    d = y
    for k in range(3):
        (d,) = grad(d.sum(), x, create_graph=True)
        np.testing.assert_allclose(d.data, expected[k], rtol=1e-12, atol=1e-14)


def test_grad_with_respect_to_a_non_leaf():
    x = Tensor([1.0, -2.0], requires_grad=True)
    h = x * 3.0
    y = (h ** 2).sum()
    (gh, gx) = grad(y, [h, x])
    np.testing.assert_array_equal(gh.data, 2 * h.data)
    np.testing.assert_array_equal(gx.data, 6 * h.data)
    assert h.grad is None and x.grad is None


def test_grad_allow_unused():
    x = Tensor(1.0, requires_grad=True)
    u = Tensor(2.0, requires_grad=True)
    y = x * 4.0
    with pytest.raises(ValueError, match="allow_unused=True"):
        grad(y, [x, u], retain_graph=True)
    gx, gu = grad(y, [x, u], allow_unused=True)
    assert gx.item() == 4.0 and gu is None


def test_grad_releases_graph_unless_retained():
    x = Tensor(1.0, requires_grad=True)
    y = x * x
    grad(y, x, retain_graph=True)
    grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        grad(y, x)
    z = x * x
    (g,) = grad(z, x, create_graph=True)              # create_graph retains by default
    (g2,) = grad(z, x)
    assert g.item() == g2.item() == 2.0


def test_grad_rejects_inputs_that_do_not_require_grad():
    x = Tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="requires grad"):
        grad(x * 2, Tensor(1.0))


def test_hessian_vector_product_of_a_quadratic_is_exact():
    rng = np.random.default_rng(1)
    m = rng.standard_normal((4, 4))
    a = Tensor(m @ m.T)
    x = Tensor(rng.standard_normal(4), requires_grad=True)
    v = Tensor(rng.standard_normal(4))
    loss = 0.5 * (x @ a @ x)
    (g,) = grad(loss, x, create_graph=True)
    (hv,) = grad((g * v).sum(), x)
    np.testing.assert_allclose(hv.data, a.data @ v.data, rtol=1e-12)


# --- anomaly detection -----------------------------------------------------------------------------

def test_detect_anomaly_names_the_op_in_forward():
    with np.errstate(divide="ignore"):
        x = Tensor([0.0, 1.0], requires_grad=True)
        with detect_anomaly():
            with pytest.raises(AnomalyError, match=r"forward of 'log'"):
                x.log()
        assert np.isneginf(x.log().data[0])           # outside the context: no error
    assert isinstance(AnomalyError("x"), FloatingPointError)


def test_detect_anomaly_names_the_op_in_backward():
    x = Tensor([0.0, 4.0], requires_grad=True)
    r = x.sqrt()                                      # forward is finite; d sqrt/dx = inf at 0
    y = r.sum()
    with np.errstate(divide="ignore"):
        with detect_anomaly():
            with pytest.raises(AnomalyError, match=rf"backward of '{re.escape(r.op.name)}'.*inf"):
                y.backward(retain_graph=True)
        y.backward()                                  # outside: inf gradient, no error
    assert np.isposinf(x.grad[0])


def test_detect_anomaly_custom_function_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        y = InfGrad.apply(x)
        with pytest.raises(AnomalyError, match="backward of 'inf_grad'"):
            y.sum().backward()


@pytest.mark.parametrize("order", ["first", "last"])
def test_backward_failing_on_an_anomaly_changes_nothing(order):
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0], requires_grad=True)
    bad = InfGrad.apply(x)
    y = (c * 2.0 + bad).sum() if order == "first" else (bad + c * 2.0).sum()
    with detect_anomaly():
        with pytest.raises(AnomalyError):
            y.backward()
    assert c.grad is None and x.grad is None
    with np.errstate(divide="ignore"):
        y.backward()                                  # the graph was not released by the failure
    np.testing.assert_array_equal(c.grad, [2.0, 2.0])
    assert np.isposinf(x.grad).all()


def test_detect_anomaly_ignores_non_finite_values_it_did_not_create():
    x = Tensor([np.inf, -np.inf, np.nan, 1.0], requires_grad=True)
    h = x * 1.0                                       # made by an op outside the block (a leaf would raise)
    with detect_anomaly():
        y = (h.exp() + 1.0) * 2.0                     # inf/nan in, inf/nan out: not created here
        (h * 2.0).backward(np.ones(4), retain_graph=True)            # finite gradient
        (h * 3.0).backward(np.array([np.inf, 1.0, 1.0, np.nan]))   # non-finite upstream gradient
    assert np.isnan(y.data[2])
    np.testing.assert_array_equal(x.grad, [np.inf, 5.0, 5.0, np.nan])


def test_detect_anomaly_restores_state_after_an_error():
    with np.errstate(divide="ignore"):
        with pytest.raises(AnomalyError):
            with detect_anomaly():
                Tensor(0.0).log()
        Tensor(0.0).log()                             # no longer raises
        with detect_anomaly():
            with detect_anomaly():
                pass
            with pytest.raises(AnomalyError):         # still active after the nested block
                Tensor(0.0).log()


# --- numerics at extreme values ----------------------------------------------------------------------

EXTREME_INPUTS = {
    "+-1e4": [1e4, -1e4, 0.0],
    "+-inf": [np.inf, -np.inf, 0.0],
    "+inf with finite": [np.inf, 1.0, 2.0],
    "all -inf": [-np.inf, -np.inf],
    "all +inf": [np.inf, np.inf],
    "equal large": [1e4, 1e4],
    "equal very negative": [-1e4, -1e4],
}
STABLE_OPS = {
    "sigmoid": lambda t: t.sigmoid(),
    "tanh": lambda t: t.tanh(),
    "softmax": lambda t: t.softmax(),
    "log_softmax": lambda t: t.log_softmax(),
    "logsumexp": lambda t: t.logsumexp(),
    "logsumexp keepdims 2-d": lambda t: t.reshape(1, -1).logsumexp(axis=1, keepdims=True),
}


@pytest.mark.parametrize("op", STABLE_OPS)
@pytest.mark.parametrize("inputs", EXTREME_INPUTS)
def test_stable_ops_have_no_warnings_and_no_nan(op, inputs):
    x = Tensor(EXTREME_INPUTS[inputs], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # underflow to 0 (exp(-1e4)) is the correct answer, so only real trouble raises
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            y = STABLE_OPS[op](x)
            assert not np.isnan(y.data).any()
            y.backward(np.linspace(0.5, 1.5, y.size).reshape(y.shape))
    assert not np.isnan(x.grad).any() and np.isfinite(x.grad).all()


@pytest.mark.parametrize("op, inputs, expected, expected_grad", [
    # elementwise: upstream gradient of ones gives the derivative itself
    ("sigmoid", [1e4, -1e4, np.inf, -np.inf, 0.0], [1, 0, 1, 0, 0.5], [0, 0, 0, 0, 0.25]),
    ("tanh", [1e4, -1e4, np.inf, -np.inf, 0.0], [1, -1, 1, -1, 0], [0, 0, 0, 0, 1]),
    # vector-valued: upstream e_0 gives d out_0 / d x (softmax: s_0 (delta_0j - s_j))
    ("softmax", [1e4, -1e4], [1, 0], [0, 0]),
    ("softmax", [np.inf, 0.0], [1, 0], [0, 0]),
    ("softmax", [1e4, 1e4], [0.5, 0.5], [0.25, -0.25]),
    ("softmax", [-np.inf, -np.inf], [0.5, 0.5], [0.25, -0.25]),
    ("log_softmax", [1e4, -1e4], [0, -2e4], [0, 0]),            # delta_0j - s_j
    ("log_softmax", [1e4, 1e4], [-math.log(2), -math.log(2)], [0.5, -0.5]),
    ("log_softmax", [np.inf, 0.0], [0, -np.inf], [0, 0]),
    # scalar-valued: the gradient is softmax(x)
    ("logsumexp", [1e4, 1e4], 1e4 + math.log(2), [0.5, 0.5]),
    ("logsumexp", [-1e4, -1e4], -1e4 + math.log(2), [0.5, 0.5]),
    ("logsumexp", [1e4, -1e4], 1e4, [1, 0]),
    ("logsumexp", [np.inf, 0.0], np.inf, [1, 0]),
    ("logsumexp", [-np.inf, 0.0], 0.0, [0, 1]),
    ("logsumexp", [-np.inf, -np.inf], -np.inf, [0.5, 0.5]),
])
def test_stable_ops_exact_values_at_extremes(op, inputs, expected, expected_grad):
    x = Tensor(inputs, requires_grad=True)
    y = getattr(x, op)()
    np.testing.assert_array_equal(y.data, expected)
    upstream = {"sigmoid": np.ones(y.shape), "tanh": np.ones(y.shape)}.get(op, np.eye(1, y.size)[0])
    y.backward(upstream if y.ndim else None)
    np.testing.assert_array_equal(x.grad, expected_grad)


def test_log_softmax_and_logsumexp_agree_with_naive_formulas_in_range():
    x = Tensor(np.array([[0.1, -2.0, 3.0], [5.0, 5.0, -5.0]]))
    naive_lse = np.log(np.exp(x.data).sum(axis=1))
    np.testing.assert_allclose(x.logsumexp(axis=1).data, naive_lse, rtol=1e-14)
    np.testing.assert_allclose(x.log_softmax(axis=1).data, x.data - naive_lse[:, None], rtol=1e-14)
    np.testing.assert_allclose(x.softmax(axis=1).data.sum(axis=1), [1.0, 1.0], rtol=1e-15)


# --- errors name the op and the shapes -----------------------------------------------------------------

ERROR_CASES = {
    "matmul": (lambda: Tensor(np.ones((64, 784))) @ Tensor(np.ones((25, 15))),
               ValueError, ["matmul", "(64, 784)", "(25, 15)"]),
    "matmul vector": (lambda: Tensor(np.ones(3)) @ Tensor(np.ones((4, 2))), ValueError, ["matmul", "(3,)", "(4, 2)"]),
    "matmul 0-d": (lambda: Tensor(2.0) @ Tensor(np.ones(2)), ValueError, ["matmul", "()", "(2,)"]),
    "add broadcast": (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones(4)), ValueError, ["+", "(2, 3)", "(4,)"]),
    "mul broadcast": (lambda: Tensor(np.ones((2, 3))) * np.ones((3, 2)), ValueError, ["*", "(2, 3)", "(3, 2)"]),
    "maximum broadcast": (lambda: Tensor(np.ones(2)).maximum(Tensor(np.ones(3))), ValueError,
                          ["maximum", "(2,)", "(3,)"]),
    "where broadcast": (lambda: autograd.where(np.ones(4, bool), Tensor(np.ones(2)), 0.0), ValueError,
                        ["where", "(4,)", "(2,)"]),
    "comparison broadcast": (lambda: Tensor(np.ones(2)) < Tensor(np.ones(3)), ValueError, ["less", "(2,)", "(3,)"]),
    "reshape": (lambda: Tensor(np.ones((2, 3))).reshape(4), ValueError, ["reshape", "(2, 3)", "(4,)"]),
    "broadcast_to": (lambda: Tensor(np.ones(3)).broadcast_to((2, 4)), ValueError,
                     ["broadcast_to", "(3,)", "(2, 4)"]),
    "concatenate": (lambda: autograd.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((3, 2)))]),
                    ValueError, ["concatenate", "(2, 3)", "(3, 2)"]),
    "concatenate axis": (lambda: autograd.concatenate([Tensor(np.ones(2)), Tensor(np.ones(2))], axis=1),
                         ValueError, ["concatenate", "axis"]),
    "stack": (lambda: autograd.stack([Tensor(np.ones(2)), Tensor(np.ones(3))]), ValueError,
              ["stack", "(2,)", "(3,)"]),
    "transpose repeated": (lambda: Tensor(np.ones((2, 3))).transpose(0, 0), ValueError,
                           ["transpose", "(0, 0)", "(2, 3)"]),
    "transpose too many": (lambda: Tensor(np.ones((2, 3))).transpose(0, 1, 2), ValueError, ["transpose", "(2, 3)"]),
    "sum axis": (lambda: Tensor(np.ones((2, 3))).sum(axis=2), ValueError, ["sum", "axis", "2"]),
    "mean axis": (lambda: Tensor(np.ones((2, 3))).mean(axis=(0, 5)), ValueError, ["mean", "axis"]),
    "softmax axis": (lambda: Tensor(np.ones((2, 3))).softmax(axis=-3), ValueError, ["softmax", "axis"]),
    "squeeze": (lambda: Tensor(np.ones((2, 3))).squeeze(0), ValueError, ["squeeze", "(2, 3)"]),
    "squeeze axis": (lambda: Tensor(np.ones((2, 1))).squeeze(3), ValueError, ["squeeze", "axis", "3"]),
    "unsqueeze axis": (lambda: Tensor(np.ones((2, 3))).unsqueeze(3), ValueError, ["unsqueeze", "axis", "3"]),
    "unsqueeze repeated": (lambda: Tensor(np.ones(2)).unsqueeze((0, 0)), ValueError, ["unsqueeze", "(0, 0)"]),
    "flatten axis": (lambda: Tensor(np.ones((2, 3, 4))).flatten(5), ValueError, ["flatten", "axis", "5"]),
    "flatten float axis": (lambda: Tensor(np.ones((2, 3))).flatten(1.0), TypeError, ["flatten", "axis"]),
    "transpose float axes": (lambda: Tensor(np.ones((2, 3))).transpose(1.0, 0.0), TypeError, ["transpose", "(2, 3)"]),
    "swapaxes float axis": (lambda: Tensor(np.ones((2, 3))).swapaxes(0, 1.0), TypeError, ["swapaxes", "axis"]),
    "stack axis None": (lambda: autograd.stack([Tensor(np.ones(2))], axis=None), TypeError, ["stack", "axis"]),
    "reshape float": (lambda: Tensor(np.ones((2, 3))).reshape(3.0, 2), TypeError, ["reshape", "(2, 3)"]),
    "iterate 0-d": (lambda: list(Tensor(5.0)), TypeError, ["0-d"]),
    "strings": (lambda: Tensor(["a", "b"]), TypeError, ["Tensor", "dtype"]),
    "objects": (lambda: Tensor([{}, 1]), TypeError, ["Tensor", "object"]),
    "complex grad": (lambda: Tensor([1 + 2j], requires_grad=True), TypeError, ["complex"]),
    "backward grad shape": (lambda: (Tensor(np.ones((2, 2)), requires_grad=True) * 2).backward(np.ones(3)),
                            ValueError, ["backward", "(3,)", "(2, 2)"]),
}


@pytest.mark.parametrize("case", ERROR_CASES)
def test_errors_name_the_op_and_shapes(case):
    fn, exc, fragments = ERROR_CASES[case]
    with pytest.raises(exc) as info:
        fn()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_failed_op_leaves_inputs_unchanged():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError):
        a.reshape(5)
    assert a.shape == (2, 3) and a.grad is None and a.op is None
    (a * 2).sum().backward()
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 2.0))


# --- graph lifetime: freed by reference counting alone ---------------------------------------------------

@pytest.fixture
def no_cyclic_gc():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _mlp_graph(x, w):
    h = (x @ w).tanh()
    return h, (h.softmax() * h + h[0]).sum()


@pytest.mark.parametrize("after", ["forward", "backward", "backward retain_graph", "grad create_graph",
                                   "grad second order"])
def test_graph_dies_by_refcount(no_cyclic_gc, after):
    x = Tensor(np.ones((2, 3)))
    w = Tensor(np.full((3, 4), 0.1), requires_grad=True)
    h, out = _mlp_graph(x, w)
    refs = [weakref.ref(h), weakref.ref(h.op), weakref.ref(out), weakref.ref(out.op)]
    results = []
    if after == "backward":
        out.backward()
    elif after == "backward retain_graph":
        out.backward(retain_graph=True)
    elif after == "grad create_graph":
        results = list(grad(out, w, create_graph=True))
        refs += [weakref.ref(results[0]), weakref.ref(results[0].op)]
    elif after == "grad second order":
        (g,) = grad(out, w, create_graph=True)
        results = list(grad((g * g).sum(), w, create_graph=True))
        refs += [weakref.ref(g), weakref.ref(g.op), weakref.ref(results[0].op)]
        del g
    assert all(r() is not None for r in refs)
    del h, out, results
    dead = [r() is None for r in refs]
    assert all(dead), f"alive without gc.collect(): {[refs[i]() for i, d in enumerate(dead) if not d]}"
    assert w.op is None                                # the leaf itself lives on
    if after == "backward":
        assert w.grad is not None


def test_graph_dies_after_a_failed_backward(no_cyclic_gc):
    w = Tensor(np.ones(3), requires_grad=True)
    y = w * 2
    ref = weakref.ref(y.op)
    try:
        y.backward(np.ones(4))
    except ValueError:
        pass
    del y
    assert ref() is None


# --- from an audit: ownership, partial failures, user ops, grad's reach ------------------

class _Keeps(Function):
    """A user op whose backward hands back arrays it does not own: its input, its output, a saved one."""
    name = "keeps"

    def forward(self, x, which="input"):
        self.which, self.saved = which, x * 3
        return x * 2

    def backward(self, g, out, x):
        return ({"input": x, "output": out, "saved": self.saved}[self.which],)


@pytest.mark.parametrize("which", ["input", "output", "saved"])
def test_user_op_gradients_are_copied_not_adopted(which):
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = _Keeps.apply(x, which=which)
    op = y.op
    y.backward(np.ones(2))
    for array in (x.data, y.data, op.saved):
        assert not np.shares_memory(x.grad, array)


def test_backward_onto_a_bad_grad_changes_nothing_and_can_be_retried():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    b.grad = np.zeros(5)[:2]
    b.data = np.arange(5.0)                           # data replaced by hand: the .grad no longer fits
    a = Tensor(np.ones(5), requires_grad=True)
    loss = (a * b).sum()
    with pytest.raises(ValueError, match=r"\(5,\).*\(2,\)"):
        loss.backward()
    assert a.grad is None
    b.grad = None
    loss.backward()                                   # the graph was not released by the failure
    np.testing.assert_array_equal(a.grad, np.arange(5.0))


@pytest.mark.parametrize("value, error, message", [
    (np.zeros(5), ValueError, r"the .grad of a tensor of shape \(2,\) has shape \(5,\)"),
    (Tensor([1.0, 1.0]), TypeError, r"not Tensors as in PyTorch: assign t.grad = g.data"),
    ([1.0, 1.0], TypeError, r"a .grad holds a list .*assign t.grad = np.asarray"),
])
def test_a_wrong_grad_assigned_by_hand_is_refused_by_the_next_backward_which_changes_nothing(value, error, message):
    # .grad is a plain attribute (a property cost 5% of a small training step): the walk checks it
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    b.grad = value
    loss = (a * b).sum()
    with pytest.raises(error, match=message):
        loss.backward()
    assert a.grad is None and b.grad is value
    b.grad = None
    loss.backward()                                   # the graph was not released by the failure
    np.testing.assert_array_equal(b.grad, [1.0, 2.0])


def test_accumulating_onto_a_0d_grad_keeps_an_array():
    x = Tensor(2.0, requires_grad=True)
    for _ in range(2):
        (x * x).backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad == 8.0


@pytest.mark.parametrize("returned, message", [(lambda g: g * 1.0, "tuple"), (lambda g: (1.5, None), "float")])
def test_user_backward_returning_the_wrong_thing_names_the_op(returned, message):
    class Outer(Function):
        name = "outer"

        def forward(self, a, b):
            return np.outer(a, b)

        def backward(self, g, out, a, b):
            return returned(g)

    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(TypeError, match=f"outer.*{message}"):
        Outer.apply(a, b).backward(np.ones((2, 2)))
    assert a.grad is None and b.grad is None
    with pytest.raises(TypeError, match="Outer.apply takes Tensors"):
        Outer.apply(np.ones(2), b)


class _Triple(Function):
    """A one-input op whose backward returns what ``returns`` makes of its gradient."""
    name = "triple"

    def forward(self, a, returns=None):
        self.returns = returns
        return 3 * a

    def backward(self, g, out, a):
        return self.returns(3 * g)


@pytest.mark.parametrize("returns, expected", [
    (lambda g: g, [3.0, 3.0]),                        # a bare array, as PyTorch allows for one input
    (lambda g: (g,), [3.0, 3.0]),
    (lambda g: [g], [3.0, 3.0]),
    (lambda g: None, None),                           # no gradient for the one input
])
def test_one_input_backward_may_return_a_bare_gradient(returns, expected):
    x = Tensor([1.0, 2.0], requires_grad=True)
    _Triple.apply(x, returns=returns).sum().backward()
    if expected is None:
        assert x.grad is None
    else:
        np.testing.assert_array_equal(x.grad, expected)


def test_one_input_backward_returning_a_bare_gradient_works_with_create_graph():
    x = Tensor(2.0, requires_grad=True)
    (g,) = autograd.grad(_Triple.apply(x * x, returns=lambda g: g), x, create_graph=True)   # 6x
    (g2,) = autograd.grad(g, x)
    assert (g.item(), g2.item()) == (12.0, 6.0)


@pytest.mark.parametrize("returns, message", [
    (lambda g: "oops", r"backward of 'triple' returned a str for 1 inputs; return a tuple"),
    (lambda g: {"a": g}, r"backward of 'triple' returned a dict"),
    (lambda g: (1.5,), r"backward of 'triple' returned a float as a gradient, not an array"),
])
def test_one_input_backward_returning_the_wrong_type_is_a_type_error(returns, message):
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=message):
        _Triple.apply(x, returns=returns).sum().backward()
    assert x.grad is None


def test_grad_walks_only_down_to_its_inputs():
    x = Tensor(2.0, requires_grad=True)
    h = x * x
    y, z = h * 3, h.exp()
    assert autograd.grad(y, h)[0].item() == 3.0
    z.backward()                                      # h's own op was neither walked nor released
    assert x.grad == pytest.approx(4 * np.exp(4.0))
    h = x * x
    (dh, dx) = autograd.grad(h * 3, [h, x])           # an input below h: the walk goes through it
    assert dh.item() == 3.0 and dx.item() == 12.0


def test_no_grad_decorates_generators_and_works_without_parentheses():
    x = Tensor(1.0, requires_grad=True)

    @no_grad()
    def records():
        yield (x * 2).requires_grad
        yield (x * 2).requires_grad
        return "done"

    gen = records()
    assert next(gen) is False
    assert (x * 2).requires_grad and autograd.is_grad_enabled()   # suspended: the caller's mode
    assert next(gen) is False
    with pytest.raises(StopIteration, match="done"):
        next(gen)

    @no_grad
    def bare():
        return (x * 2).requires_grad
    assert bare() is False and autograd.is_grad_enabled()


def test_package_level_backward_takes_several_roots():
    a = Tensor(2.0, requires_grad=True)
    autograd.backward([a * 3, a * a])
    assert a.grad == 7.0


def test_gradients_of_a_parameter_are_plain_tensors():
    import nn
    w = nn.Parameter(np.array([1.0, 2.0]))
    (g,) = grad((w * w).sum(), w)
    assert type(g) is Tensor and not g.requires_grad
    (g2,) = grad(w, w, grad_outputs=np.ones(2))
    assert type(g2) is Tensor
    assert type(w * 2) is Tensor
