"""prod, std, cumsum, cumprod, logcumsumexp, sort, argsort, topk, any and all (issue 20's reductions and scans).

Values and gradients against PyTorch (float32 and float64) over a table of calls; gradients with zeros
in the input (prod, cumprod: one zero, several) checked by hand and to second order; logcumsumexp at
scales where a naive formula overflows; PyTorch's names (``dim``, ``correction``, ``unbiased``,
``descending``, ``largest``, ``(values, indices)``); a table of bad calls and their messages. The
property tests (finite differences, forward mode) are the rows of tests/op_cases.py.
"""
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, grad, gradcheck

DTYPES = [np.float64, np.float32]
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-5)}

RNG = np.random.default_rng(20)
PLAIN = RNG.uniform(0.5, 2.0, (3, 4)) * RNG.choice([-1, 1], (3, 4))
ONE_ZERO = np.array([[2.0, 0.0, 3.0, -0.5], [1.5, -2.0, 0.25, 4.0], [0.0, 1.0, 2.0, 3.0]])
ZEROS = np.array([[0.0, 0.0, 3.0, -0.5], [1.5, 0.0, 0.25, 0.0], [2.0, 1.0, 0.0, 3.0]])
TIES = np.array([[1.0, 3.0, 1.0, 2.0], [2.0, 2.0, 2.0, -1.0], [0.5, -1.0, 0.5, -1.0]])
LARGE = np.array([[-1000.0, 1000.0, 3.0, 999.0], [1e4, -1e4, 1e4, 0.0], [-700.0, -710.0, -720.0, -1e4]])


pytestmark = pytest.mark.usefixtures("one_torch_thread")   # (the fixture: conftest.py)

# (id, labgrad call, torch call, input): values of the outputs that are floats, and the gradient of
# <u, values>, must be PyTorch's; integer outputs (indices) must be equal
CASES = [
    ("prod", lambda x: x.prod(), lambda t: t.prod(), ONE_ZERO),
    ("prod dim=1, one zero per row", lambda x: x.prod(dim=1), lambda t: t.prod(dim=1), ONE_ZERO),
    ("prod dim=1, several zeros", lambda x: x.prod(dim=1), lambda t: t.prod(dim=1), ZEROS),
    ("prod dim=0 keepdim", lambda x: x.prod(dim=0, keepdim=True), lambda t: t.prod(0, keepdim=True), ZEROS),
    ("prod no zeros", lambda x: x.prod(axis=-1), lambda t: t.prod(-1), PLAIN),
    ("std", lambda x: x.std(), lambda t: t.std(correction=0), PLAIN),
    ("std unbiased", lambda x: x.std(unbiased=True), lambda t: t.std(), PLAIN),
    ("std dim correction", lambda x: x.std(dim=1, correction=1), lambda t: t.std(dim=1, correction=1), PLAIN),
    ("std dim=0 ddof keepdim", lambda x: x.std(axis=0, ddof=1, keepdims=True),
     lambda t: t.std(0, keepdim=True), PLAIN),
    ("var correction", lambda x: x.var(dim=(0, 1), correction=1), lambda t: t.var(dim=(0, 1), correction=1), PLAIN),
    ("var unbiased=False", lambda x: x.var(dim=1, unbiased=False), lambda t: t.var(1, unbiased=False), PLAIN),
    ("cumsum dim=0", lambda x: x.cumsum(0), lambda t: t.cumsum(0), PLAIN),
    ("cumsum dim=-1", lambda x: x.cumsum(dim=-1), lambda t: t.cumsum(dim=-1), PLAIN),
    ("cumprod dim=1, one zero", lambda x: x.cumprod(1), lambda t: t.cumprod(1), ONE_ZERO),
    ("cumprod dim=1, several zeros", lambda x: x.cumprod(dim=1), lambda t: t.cumprod(1), ZEROS),
    ("cumprod dim=0, zeros", lambda x: x.cumprod(dim=0), lambda t: t.cumprod(0), ZEROS),
    ("cumprod no zeros", lambda x: x.cumprod(dim=1), lambda t: t.cumprod(1), PLAIN),
    ("logcumsumexp dim=1", lambda x: x.logcumsumexp(1), lambda t: t.logcumsumexp(1), PLAIN),
    ("logcumsumexp dim=0", lambda x: x.logcumsumexp(dim=0), lambda t: t.logcumsumexp(0), PLAIN),
    ("logcumsumexp large", lambda x: x.logcumsumexp(1), lambda t: t.logcumsumexp(1), LARGE),
    ("sort", lambda x: x.sort(), lambda t: t.sort(), PLAIN),
    ("sort dim=0 descending", lambda x: x.sort(dim=0, descending=True),
     lambda t: t.sort(dim=0, descending=True), PLAIN),
    ("sort ties stable", lambda x: ag.sort(x, dim=1, stable=True), lambda t: t.sort(dim=1, stable=True), TIES),
    ("sort ties descending stable", lambda x: x.sort(dim=1, descending=True, stable=True),
     lambda t: t.sort(dim=1, descending=True, stable=True), TIES),
    ("argsort", lambda x: x.argsort(dim=0), lambda t: t.argsort(dim=0), PLAIN),
    ("argsort ties descending stable", lambda x: x.argsort(dim=1, descending=True, stable=True),
     lambda t: t.argsort(dim=1, descending=True, stable=True), TIES),
    ("topk", lambda x: x.topk(2), lambda t: t.topk(2), PLAIN),
    ("topk dim=0 smallest", lambda x: x.topk(2, dim=0, largest=False), lambda t: t.topk(2, dim=0, largest=False),
     PLAIN),
    ("topk all", lambda x: ag.topk(x, 4, dim=1), lambda t: t.topk(4, dim=1), PLAIN),
    ("topk k=0", lambda x: x.topk(0), lambda t: t.topk(0), PLAIN),
    ("any", lambda x: x.any(), lambda t: t.any(), ZEROS),
    ("any dim", lambda x: (x > 2.5).any(dim=1), lambda t: (t > 2.5).any(dim=1), ZEROS),
    ("all dim keepdim", lambda x: x.all(dim=1, keepdim=True), lambda t: t.all(dim=1, keepdim=True), ZEROS),
    ("all", lambda x: ag.all(x), lambda t: t.all(), PLAIN),
]


def _outputs(result):
    return list(result) if isinstance(result, tuple) else [result]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("ours, theirs, data", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_values_and_gradients_match_torch(ours, theirs, data, dtype):
    torch = pytest.importorskip("torch")
    data = data.astype(dtype)
    x, xt = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    outs, outs_t = _outputs(ours(x)), _outputs(theirs(xt))
    assert len(outs) == len(outs_t)
    loss, loss_t = None, None
    for out, out_t in zip(outs, outs_t):
        expected = out_t.detach().numpy()
        assert out.shape == expected.shape
        if expected.dtype.kind in "fc":
            assert out.dtype == dtype
            np.testing.assert_allclose(out.data, expected, **TOL[dtype])
            u = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
            loss = (out * u).sum()
            loss_t = (out_t * torch.tensor(u)).sum()
        else:                                           # indices, truth values: equal, and no graph
            np.testing.assert_array_equal(out.data, expected)
            assert out.data.dtype == expected.dtype and not out.requires_grad
    if loss is not None and loss_t.requires_grad:
        (g,) = grad(loss, x)
        (g_t,) = torch.autograd.grad(loss_t, xt)
        assert g.dtype == dtype
        np.testing.assert_allclose(g, g_t.numpy(), **TOL[dtype])


# --- zeros: prod and cumprod --------------------------------------------------------------------

@pytest.mark.parametrize("values, expected", [
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
    ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),                 # one zero: its slot gets the product of the others
    ([0.0, 3.0, 0.0], [0.0, 0.0, 0.0]),                 # two zeros: every product of the others holds one
    ([0.0], [1.0]),
])
def test_prod_gradient_with_zeros(values, expected):
    x = Tensor(values, requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad, expected)


@pytest.mark.parametrize("values, expected", [
    # d/dx_i of sum_k prod_{j<=k} x_j
    ([2.0, 3.0, 4.0], [1 + 3 + 12, 2 + 8, 6]),
    ([2.0, 0.0, 4.0], [1.0, 2 + 8, 0.0]),               # after the zero every product is 0
    ([0.0, 3.0, 4.0], [1 + 3 + 12, 0.0, 0.0]),
    ([2.0, 0.0, 0.0, 5.0], [1.0, 2.0, 0.0, 0.0]),       # d/dx2 of 2 x1 x2 (+ 2 x1 x2 x3) is 2 x1 (1 + x3) = 0
    ([0.0, 0.0], [1.0, 0.0]),
])
def test_cumprod_gradient_with_zeros(values, expected):
    x = Tensor(values, requires_grad=True)
    x.cumprod(0).sum().backward()
    np.testing.assert_array_equal(x.grad, expected)


@pytest.mark.parametrize("op", ["prod", "cumprod"])
@pytest.mark.parametrize("data", [ONE_ZERO, ZEROS], ids=["one zero", "zeros"])
def test_second_derivatives_at_zeros_match_finite_differences(op, data):
    """A zero's gradient depends on the other elements (and theirs on it): the create_graph backward is exact."""
    u = np.random.default_rng(3).standard_normal((3,) if op == "prod" else (3, 4))

    def first_derivative(t):
        out = t.prod(dim=1) if op == "prod" else t.cumprod(dim=1)
        return grad(out, t, grad_outputs=u, create_graph=True)[0]

    assert gradcheck(first_derivative, Tensor(data, requires_grad=True))
    assert gradcheck(lambda t: t.prod(dim=1) if op == "prod" else t.cumprod(dim=1), Tensor(data, requires_grad=True))


@pytest.mark.parametrize("op", ["prod", "cumprod"])
def test_second_derivatives_at_zeros_match_torch(op):
    torch = pytest.importorskip("torch")
    u, v = np.random.default_rng(4).standard_normal((2, 3, 4))
    u = u[:, 0] if op == "prod" else u
    f = (lambda t: t.prod(dim=1)) if op == "prod" else (lambda t: t.cumprod(dim=1))
    x, xt = Tensor(ZEROS, requires_grad=True), torch.tensor(ZEROS, requires_grad=True)
    (g,) = grad(f(x), x, grad_outputs=u, create_graph=True)
    (g_t,) = torch.autograd.grad(f(xt), xt, torch.tensor(u), create_graph=True)
    (h,) = grad((g * v).sum(), x)
    (h_t,) = torch.autograd.grad((g_t * torch.tensor(v)).sum(), xt)
    np.testing.assert_allclose(h, h_t.numpy(), rtol=1e-12, atol=1e-12)


# --- stability --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_logcumsumexp_is_finite_where_exp_overflows_or_underflows(dtype):
    x = Tensor(np.array([-1e4, -1e4, 1e4, 0.0, 1e4], dtype), requires_grad=True)
    out = x.logcumsumexp(0)
    np.testing.assert_allclose(out.data, [-1e4, -1e4 + np.log(2), 1e4, 1e4, 1e4 + np.log(2)], rtol=1e-6)
    assert out.dtype == dtype
    out.backward(np.array([1.0, -1.0, 2.0, 1.0, -3.0], dtype))
    # d out[k]/d x[i] = exp(x[i] - out[k]): the two -1e4 share out[1]; the 1e4 ones take out[2..4] between them
    # (float32 holds 1e4 + log 2 to 1e-3, an error exp(x - out) carries: as PyTorch's float32)
    np.testing.assert_allclose(x.grad, [1 - 0.5, -0.5, 2 + 1 - 1.5, 0.0, -1.5],
                               rtol=1e-12 if dtype == np.float64 else 2e-3, atol=1e-30)
    assert x.grad.dtype == dtype


def test_logcumsumexp_of_minus_infinity_is_minus_infinity():
    out = Tensor([-np.inf, 0.0, -np.inf]).logcumsumexp(0)
    np.testing.assert_array_equal(out.data, [-np.inf, 0.0, 0.0])


# --- PyTorch's names and forms ---------------------------------------------------------------

def test_sort_and_topk_return_values_and_indices_by_name():
    x = Tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    result = x.sort(dim=1)
    assert result.values is result[0] and result.indices is result[1]
    values, indices = x.topk(2, dim=1, largest=False, sorted=True)
    np.testing.assert_array_equal(values.data, [[1.0, 2.0]])
    np.testing.assert_array_equal(indices.data, [[1, 2]])
    assert indices.data.dtype == np.int64 and not indices.requires_grad
    values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 1.0]])


def test_numpy_functions_of_tensors_follow_numpy():
    t = Tensor([[3.0, 1.0], [0.0, 2.0]])
    np.testing.assert_array_equal(np.sort(t).data, [[1.0, 3.0], [0.0, 2.0]])
    np.testing.assert_array_equal(np.sort(t, axis=None).data, [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(np.argsort(t, axis=0).data, [[1, 0], [0, 1]])
    np.testing.assert_array_equal(np.cumsum(t).data, [3.0, 4.0, 4.0, 6.0])        # flattened, as numpy
    assert np.prod(t).item() == 0.0 and np.std(t, ddof=1).item() == pytest.approx(np.std(t.data, ddof=1))
    assert np.any(t).item() is True and np.all(t).item() is False
    for result in (np.sort(t), np.cumsum(t), np.cumprod(t, axis=1), np.any(t, axis=0)):
        assert isinstance(result, Tensor)


@pytest.mark.parametrize("call, shape", [
    (lambda x: x.cumsum(0), ()), (lambda x: x.cumprod(-1), ()), (lambda x: x.logcumsumexp(0), ()),
    (lambda x: x.sort()[0], ()), (lambda x: x.topk(1)[0], ()), (lambda x: x.cumsum(), (1,)),
])
def test_zero_dimensional_tensors_as_pytorch(call, shape):
    x = Tensor(2.0, requires_grad=True)
    out = call(x)
    assert out.shape == shape and out.data.ravel()[0] == 2.0 or out.shape == shape
    out.sum().backward()
    assert x.grad.shape == () and x.grad == 1.0


def test_integer_and_bool_inputs_follow_numpy_and_carry_no_graph():
    t = Tensor(np.array([[1, 2], [3, 4]], np.int32))
    assert t.prod().item() == 24 and t.cumsum(1).data.tolist() == [[1, 3], [3, 7]]
    assert t.logcumsumexp(1).dtype == np.float64
    assert Tensor(np.array([True, False])).cumsum(0).data.tolist() == [1, 1]
    values, indices = t.sort(dim=0, descending=True)
    assert values.data.tolist() == [[3, 4], [1, 2]] and not values.requires_grad


def test_empty_reductions_and_scans():
    x = Tensor(np.zeros((2, 0)), requires_grad=True)
    np.testing.assert_array_equal(x.prod(dim=1).data, [1.0, 1.0])
    assert x.cumsum(1).shape == (2, 0) and x.cumprod(1).shape == (2, 0) and x.sort(1)[0].shape == (2, 0)
    x.prod(dim=1).sum().backward()
    assert x.grad.shape == (2, 0)
    assert Tensor(np.zeros((0,))).any().item() is False and Tensor(np.zeros((0,))).all().item() is True


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("call", [
    lambda x: x.prod(dim=1), lambda x: x.std(dim=0), lambda x: x.cumsum(1), lambda x: x.cumprod(0),
    lambda x: x.logcumsumexp(1), lambda x: x.sort(dim=0)[0], lambda x: x.topk(2)[0],
], ids=["prod", "std", "cumsum", "cumprod", "logcumsumexp", "sort", "topk"])
def test_float32_stays_float32_through_backward_and_create_graph(call, dtype):
    x = Tensor(ZEROS.astype(dtype) + np.arange(12).reshape(3, 4).astype(dtype) / 7, requires_grad=True)
    out = call(x)
    assert out.dtype == dtype
    (g,) = grad(out, x, grad_outputs=np.ones(out.shape, dtype), create_graph=True)
    assert g.dtype == dtype


def test_pictures_name_the_ops():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.prod(dim=1).op.describe() == "axis=1"
    assert x.cumsum(1).op.name == "cumsum" and x.cumsum(1).op.describe() == "axis=1"
    assert x.std(unbiased=True).op.parents[0].op.describe() == "ddof=1"          # std: sqrt of var


# --- bad input ----------------------------------------------------------------------------------

X = Tensor(np.arange(6.0).reshape(2, 3))

BAD = [
    (lambda: X.prod(axis=3), ValueError, r"prod: invalid axis 3 for 2 dimensions"),
    (lambda: X.std(ddof=1, correction=1), TypeError, r"std: got ddof and correction, which say the same thing"),
    (lambda: X.var(correction=1, unbiased=True), TypeError, r"var: got correction and unbiased"),
    (lambda: X.std(unbiased=1), TypeError, r"std: unbiased must be True or False, got 1 \(int\)"),
    (lambda: X.var(correction=-1), ValueError, r"var: correction must be a non-negative int, got -1"),
    (lambda: X.std(ddof=1.5), TypeError, r"std: ddof must be a non-negative int, got 1.5"),
    (lambda: X[:, :1].std(dim=1, unbiased=True), ValueError, r"std: 1 elements with ddof=1 \(shape \(2, 1\)"),
    (lambda: X.std(dim=2), ValueError, r"std: invalid axis 2 for 2 dimensions"),
    (lambda: X.cumsum(2), ValueError, r"cumsum: invalid axis 2 for 2 dimensions"),
    (lambda: X.cumprod(dim=(0, 1)), TypeError, r"cumprod: axis must be an int, got \(0, 1\)"),
    (lambda: X.logcumsumexp(axis=0, dim=1), TypeError, r"logcumsumexp: got both axis=0 .* and dim=1"),
    (lambda: Tensor(1.0).cumsum(1), ValueError, r"cumsum: invalid axis 1 for 1 dimensions"),
    (lambda: X.sort(dim=5), ValueError, r"sort: invalid axis 5 for 2 dimensions"),
    (lambda: X.sort(descending=1), TypeError, r"sort: descending must be True or False"),
    (lambda: X.argsort(dim=1.0), TypeError, r"argsort: axis must be an int, got 1.0"),
    (lambda: X.topk(4), ValueError, r"topk: k must be an int in \[0, 3\], got 4; the tensor of shape \(2, 3\) "
                                    r"has 3 elements along dim 1"),
    (lambda: X.topk(-1, dim=0), ValueError, r"topk: k must be an int in \[0, 2\], got -1"),
    (lambda: X.topk(1.5), TypeError, r"topk: k must be an int in \[0, 3\], got 1.5 \(float\)"),
    (lambda: X.topk(1, largest="yes"), TypeError, r"topk: largest must be True or False"),
    (lambda: X.any(axis=2), ValueError, r"any: invalid axis 2 for 2 dimensions"),
    (lambda: X.all(dim="0"), TypeError, r"all: axis must be None, an int or a tuple of ints"),
]


@pytest.mark.parametrize("call, error, message", BAD, ids=[m.split(":")[0] + " " + m[m.index(":") + 2:][:30]
                                                            for _, _, m in BAD])
def test_bad_input_names_the_op_and_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_compiled_step_through_the_new_ops_replays_the_eager_step():
    """The orderings are found by ops or replayed calls: a recorded step sorts its own batch on every replay."""
    import warnings

    import autograd
    import nn

    def build():
        model = nn.Linear(5, 6, dtype=np.float64, rng=2)
        opt = nn.SGD(model.parameters(), lr=0.01)

        def step(x):
            out = model(ag.Tensor(x))
            loss = (out.sort(dim=1, descending=True).values.cumsum(1).std() + out.topk(2)[0].logcumsumexp(1).sum()
                    + out.tanh().cumprod(dim=0).prod(dim=1).sum() + (out * out.argsort(dim=0)).mean()
                    + out.any(dim=1).sum() * 0.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return step

    rng = np.random.default_rng(4)
    batches = [rng.standard_normal((7, 5)) for _ in range(5)]
    eager, compiled = build(), autograd.compile(build())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in batches:
            assert eager(x).data.tobytes() == compiled(x).data.tobytes()
    assert compiled.replays == len(batches) - 2
