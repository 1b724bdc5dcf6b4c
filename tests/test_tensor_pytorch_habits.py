"""What a PyTorch user writes by habit: it works with PyTorch's meaning, or the error says what to write.

Also: detect_anomaly on non-finite data and without numpy warnings, and ops named as the user wrote them.
"""
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import AnomalyError, Tensor, detect_anomaly, gradcheck

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))


def _t(a=X, requires_grad=False):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)


# --- dim= / keepdim= wherever an axis is taken ------------------------------------------------

ALIASES = [   # (call with PyTorch's names, the same call with numpy's)
    (lambda t: t.sum(dim=1, keepdim=True), lambda t: t.sum(axis=1, keepdims=True)),
    (lambda t: t.mean(dim=0), lambda t: t.mean(axis=0)),
    (lambda t: t.max(dim=-1, keepdim=True).values, lambda t: t.max(axis=-1, keepdims=True)),
    (lambda t: t.min(dim=0)[0], lambda t: t.min(axis=0)),
    (lambda t: t.var(dim=1, ddof=1), lambda t: t.var(axis=1, ddof=1)),
    (lambda t: t.logsumexp(dim=1), lambda t: t.logsumexp(axis=1)),
    (lambda t: t.softmax(dim=0), lambda t: t.softmax(axis=0)),
    (lambda t: t.log_softmax(dim=0), lambda t: t.log_softmax(axis=0)),
    (lambda t: t.argmax(dim=1, keepdim=True), lambda t: t.argmax(axis=1, keepdims=True)),
    (lambda t: t.argmin(dim=0), lambda t: t.argmin(axis=0)),
    (lambda t: t.unsqueeze(dim=1), lambda t: t.unsqueeze(axis=1)),
    (lambda t: t.unsqueeze(dim=0).squeeze(dim=0), lambda t: t.unsqueeze(axis=0).squeeze(axis=0)),
    (lambda t: t.flatten(start_dim=0, end_dim=1), lambda t: t.flatten(start_axis=0, end_axis=1)),
    (lambda t: t.swapaxes(dim0=0, dim1=1), lambda t: t.swapaxes(axis1=0, axis2=1)),
    (lambda t: ag.sum(t, dim=0), lambda t: ag.sum(t, axis=0)),
    (lambda t: ag.softmax(t, dim=1), lambda t: ag.softmax(t, axis=1)),
    (lambda t: ag.cat([t, t], dim=1), lambda t: ag.concatenate([t, t], axis=1)),
    (lambda t: ag.stack([t, t], dim=2), lambda t: ag.stack([t, t], axis=2)),
    (lambda t: np.sum(t, axis=0), lambda t: ag.sum(t, 0)),             # numpy dispatch unchanged
]


@pytest.mark.parametrize("pytorch, numpy_names", ALIASES)
def test_pytorch_axis_names_are_aliases(pytorch, numpy_names):
    got, expected = pytorch(_t()), numpy_names(_t())
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got.data, expected.data)


@pytest.mark.parametrize("call, message", [
    (lambda t: t.sum(axis=0, dim=1), r"sum: got both axis=0 .* and dim=1 "),
    (lambda t: t.sum(0, dim=1), r"sum: got both axis=0 .* and dim=1 "),
    (lambda t: t.mean(keepdims=True, keepdim=True), r"mean: got both keepdims=True .* and keepdim=True "),
    (lambda t: t.flatten(0, start_dim=0), r"flatten: got both start_axis=0 .* and start_dim=0 "),
    (lambda t: ag.cat([t], 0, dim=0), r"concatenate: got both axis="),
])
def test_both_names_for_one_argument_is_a_type_error(call, message):
    with pytest.raises(TypeError, match=message):
        call(_t())


def test_aliases_keep_signatures_and_docstrings():
    import inspect
    assert list(inspect.signature(Tensor.sum).parameters) == ["a", "axis", "keepdims"]
    assert "Sum over" in Tensor.sum.__doc__


# --- new Tensor methods with PyTorch semantics ----------------------------------------------

def test_casts_follow_pytorch():
    t = _t()
    assert t.float().dtype == np.float32 and t.float().float() is not t
    assert t.double() is t                                  # already float64: self, as PyTorch
    assert t.to(np.float32).dtype == np.float32 and t.to("float32").dtype == np.float32
    assert t.to("cpu") is t
    with pytest.raises(ValueError, match=r"Tensor.to: labgrad runs on the CPU only, got device 'cuda'"):
        t.to("cuda")                                    # (a wrong value: ValueError, as Module.to says it)
    with pytest.raises(TypeError, match=r"Tensor.to: expected a numpy dtype .* got 'flaot32'"):
        t.to("flaot32")
    assert t.to("cpu", np.float64) is t and t.to(device="cpu", dtype=np.float32).dtype == np.float32


def test_t_and_view():
    t = _t()
    np.testing.assert_array_equal(t.t().data, X.T)
    np.testing.assert_array_equal(_t([1.0, 2.0]).t().data, [1.0, 2.0])
    np.testing.assert_array_equal(t.view(4, 3).data, X.reshape(4, 3))
    np.testing.assert_array_equal(t.view((2, -1)).data, X.reshape(2, -1))
    with pytest.raises(ValueError, match=r"t: expects a tensor with at most 2 dimensions, got shape \(1, 3, 4\)"):
        t.view(1, 3, 4).t()
    with pytest.raises(ValueError, match=r"view: cannot reshape a tensor of shape \(3, 4\)"):
        t.view(5, 2)


def test_argmax_is_an_int_tensor_without_a_graph():
    t = _t(requires_grad=True)
    i = t.argmax(dim=1)
    assert isinstance(i, Tensor) and i.dtype == np.int64 and not i.requires_grad and i.op is None
    np.testing.assert_array_equal(i.data, X.argmax(1))
    assert t.argmax().item() == X.argmax()
    with pytest.raises(TypeError, match=r"argmax: axis must be an int or None, got \(0, 1\)"):
        t.argmax(axis=(0, 1))
    with pytest.raises(ValueError, match=r"argmin: invalid axis 2 for 2 dimensions"):
        t.argmin(2)


def test_clone_is_a_copy_in_the_graph():
    t = _t(requires_grad=True)
    c = t.clone()
    assert c.op.name == "clone" and not np.shares_memory(c.data, t.data)
    (c * 3).sum().backward()
    np.testing.assert_array_equal(t.grad, np.full(X.shape, 3.0))


GRADCHECKED = [   # new methods: first derivatives against finite differences, float64
    ("clone", lambda t: t.clone() * t),
    ("float->double", lambda t: t.float().double() * 1.0),
    ("to", lambda t: t.to(np.float32).to(np.float64)),
    ("pow", lambda t: t.pow(3)),
    ("clamp both", lambda t: t.clamp(min=-0.3, max=0.4)),
    ("clamp min only", lambda t: t.clamp(min=0.1)),
    ("t", lambda t: t.t() @ t),
    ("view", lambda t: t.view(2, 6).sum(dim=0)),
    ("mean dim", lambda t: t.mean(dim=1, keepdim=True) * t),
    ("var dim", lambda t: t.var(dim=0, ddof=1)),
    ("sqrt", lambda t: (t * t + 1).sqrt()),
    ("stack dim", lambda t: ag.stack([t, t * 2], dim=1)),
]


@pytest.mark.parametrize("name, fn", GRADCHECKED, ids=[n for n, _ in GRADCHECKED])
def test_new_methods_have_correct_gradients(name, fn):
    x = _t(RNG.standard_normal((3, 4)) + 0.05, requires_grad=True)     # (away from clamp's bounds)
    through_float32 = dict(eps=1e-2, atol=1e-4)   # casts are linear: wide steps beat float32 rounding
    assert gradcheck(fn, x, **(through_float32 if "float" in name or name == "to" else {}))


TORCH_ORACLE = [   # (labgrad, torch): same values and same gradient
    (lambda t: t.clamp(min=-0.5, max=0.5), lambda t: t.clamp(min=-0.5, max=0.5)),
    (lambda t: t.clone().pow(2), lambda t: t.clone().pow(2)),
    (lambda t: t.t(), lambda t: t.t()),
    (lambda t: t.view(6, 2), lambda t: t.view(6, 2)),
    (lambda t: t.var(dim=1, ddof=1, keepdim=True), lambda t: t.var(dim=1, keepdim=True)),
    (lambda t: t.sum(dim=0, keepdim=True), lambda t: t.sum(dim=0, keepdim=True)),
    (lambda t: t.flatten(start_dim=0), lambda t: t.flatten(start_dim=0)),
    (lambda t: t.unsqueeze(dim=1).squeeze(dim=1), lambda t: t.unsqueeze(dim=1).squeeze(dim=1)),
    (lambda t: t.swapaxes(0, 1), lambda t: t.transpose(0, 1)),
    (lambda t: t.float().double(), lambda t: t.float().double()),
]


@pytest.mark.parametrize("ours, theirs", TORCH_ORACLE)
def test_matches_torch(ours, theirs):
    torch = pytest.importorskip("torch")
    x = _t(requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-6)
    u = RNG.standard_normal(out.shape)
    (out * Tensor(u)).sum().backward()
    (tout * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6)


def test_argmax_matches_torch():
    torch = pytest.importorskip("torch")
    for dim in (None, 0, 1):
        np.testing.assert_array_equal(_t().argmax(dim=dim).data, torch.tensor(X).argmax(dim=dim).numpy())


# --- inference_mode, manual_seed ---------------------------------------------------------------

def test_inference_mode_is_no_grad_as_context_and_decorator():
    w = _t(requires_grad=True)
    with ag.inference_mode():
        assert not (w * 2).requires_grad
    with ag.inference_mode(False):
        assert (w * 2).requires_grad

    @ag.inference_mode
    def f(t):
        return t * 2

    @ag.inference_mode()
    def g(t):
        return t * 2

    @ag.inference_mode(False)
    def h(t):
        return t * 2

    assert not f(w).requires_grad and not g(w).requires_grad
    assert (w * 2).requires_grad and h(w).requires_grad
    with ag.no_grad():
        assert not h(w).requires_grad          # inference_mode(False) leaves the mode as it is


def test_manual_seed_makes_default_initialisation_and_dropout_repeatable():
    import nn
    draws = []
    for _ in range(2):
        ag.manual_seed(7)
        layer, drop = nn.Linear(4, 3), nn.Dropout(0.5)
        draws.append((layer.weight.data.copy(), drop(Tensor(np.ones(20))).data.copy()))
    for a, b in zip(*draws):
        np.testing.assert_array_equal(a, b)
    ag.manual_seed(8)
    assert not np.array_equal(nn.Linear(4, 3).weight.data, draws[0][0])


def test_manual_seed_makes_shuffling_and_splits_repeatable():
    import nn
    orders = []
    for _ in range(2):
        ag.manual_seed(3)
        loader = nn.data.DataLoader(np.arange(50.0)[:, None], batch_size=50, shuffle=True)
        _, (val_X, _) = nn.data.train_val_split(np.arange(40.0), np.arange(40), val_size=10)
        orders.append((next(iter(loader))[:, 0].copy(), val_X.copy()))
    for a, b in zip(*orders):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (2 ** 32, ValueError), (1.5, TypeError), (True, TypeError)])
def test_manual_seed_refuses_bad_seeds(seed, error):
    with pytest.raises(error, match="manual_seed: seed must"):
        ag.manual_seed(seed)


# --- where labgrad differs, the error says so --------------------------------------------------

def test_size_is_the_element_count_and_calling_it_explains():
    t = _t()
    assert t.size == 12 and isinstance(t.size, int) and repr(t.size) == "12"
    assert np.zeros(t.size).shape == (12,) and t.size + 1 == 13 and type(t.size + 1) is int
    for call in (lambda: t.size(), lambda: t.size(0), lambda: t.size(dim=1)):
        with pytest.raises(TypeError, match=r"Tensor.size is the element count \(12\) as in numpy.*t\.shape"):
            call()


def test_transpose_with_two_axes_on_3d_points_to_swapaxes():
    t = Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"PyTorch's transpose\(dim0, dim1\), use swapaxes\(1, 2\)"):
        t.transpose(1, 2)


def test_from_autograd_import_star_exports_everything_it_lists():
    namespace = {}
    exec("from autograd import *", namespace)
    assert {"Tensor", "manual_seed", "inference_mode", "cat", "clamp", "clone", "view", "argmax",
            "argmin"} <= set(namespace)
    assert not [name for name in ag.__all__ if name not in namespace]


# --- op names are what the user wrote ----------------------------------------------------------

@pytest.mark.parametrize("call, name", [
    (lambda t: t.sqrt(), "sqrt"), (lambda t: t.mean(), "mean"), (lambda t: t.var(), "var"),
    (lambda t: t.clip(0, 1), "clip"), (lambda t: t.clamp(0, 1), "clamp"), (lambda t: t.squeeze(), "squeeze"),
    (lambda t: t.unsqueeze(0), "unsqueeze"), (lambda t: t.flatten(), "flatten"), (lambda t: t.view(-1), "view"),
    (lambda t: t.permute(1, 0), "permute"), (lambda t: t.swapaxes(0, 1), "swapaxes"),
    (lambda t: ag.stack([t, t]), "stack"), (lambda t: t.clone(), "clone"), (lambda t: t.sigmoid(), "sigmoid"),
])
def test_ops_are_named_as_written(call, name):
    out = call(_t(np.abs(X), requires_grad=True))
    assert out.op.name == name
    assert all(p.op is None for p in out.op.parents)      # one node: not composed from other ops


# --- detect_anomaly: non-finite data, and no numpy warnings -------------------------------------

@pytest.mark.parametrize("values, name, counts", [
    ([1.0, np.nan, 2.0], "pixels", "1 nan and 0 inf"),
    ([np.inf, -np.inf, np.nan, 0.0], None, "1 nan and 2 inf"),
])
def test_detect_anomaly_flags_non_finite_data_at_the_first_op_that_reads_it(values, name, counts):
    w = Tensor(np.ones(len(values)), requires_grad=True)
    x = Tensor(values, name=name)
    label = rf"'{name}', " if name else ""
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=rf"forward of '\*': input 1 \({label}a leaf tensor of shape "
                                               rf"\({len(values)},\)\) holds {counts} among its {len(values)} values"):
            w * x
    w * x                                                 # outside the block: no check, no cost


def test_detect_anomaly_flags_non_finite_parameters_and_constants():
    w = Tensor([1.0, np.nan], requires_grad=True)
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"forward of 'exp': input 0"):
            w.exp()
        with pytest.raises(AnomalyError, match=r"forward of '\+': input 1"):
            Tensor([1.0]) + float("inf")


@pytest.mark.parametrize("make, error", [
    (lambda: Tensor([0.0, 1.0]).log(), r"forward of 'log'"),
    (lambda: Tensor([1.0, 0.0]).sqrt().sum().backward(), None),     # forward fine; backward checked below
    (lambda: Tensor([-1.0]).sqrt(), r"forward of 'sqrt'"),
    (lambda: Tensor([1.0]) / Tensor([0.0]), r"forward of '/'"),
    (lambda: Tensor([1000.0]).exp(), r"forward of 'exp'"),
    (lambda: Tensor([0.0]) / Tensor([0.0]), r"forward of '/'"),
])
def test_no_numpy_warning_escapes_before_the_anomaly_error(make, error):
    if error is None:
        x = Tensor([1.0, 0.0], requires_grad=True)
        make = lambda: x.sqrt().sum().backward()          # noqa: E731  (d sqrt/dx = inf at 0)
        error = r"backward of 'sqrt'"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with detect_anomaly():
            with pytest.raises(AnomalyError, match=error):
                make()
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]


def test_numpy_warnings_still_show_outside_detect_anomaly():
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        Tensor([0.0]).log()


# --- the habits that would otherwise give a silently different result ---------------------------

@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_and_min_with_dim_return_values_and_indices_as_pytorch(name, keepdim):
    data = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, -1.0]])
    x = Tensor(data, requires_grad=True)
    values, indices = getattr(x, name)(dim=1, keepdim=keepdim)
    result = getattr(x, name)(dim=1, keepdim=keepdim)
    assert result.values is values or np.array_equal(result.values.data, values.data)
    expected = getattr(np, name)(data, axis=1, keepdims=keepdim)
    np.testing.assert_array_equal(values.data, expected)
    np.testing.assert_array_equal(indices.data, getattr(np, f"arg{name}")(data, axis=1, keepdims=keepdim))
    assert indices.dtype == np.int64 and not indices.requires_grad
    values.sum().backward()
    assert x.grad.sum() == 2.0                                     # one unit per row (ties share it)
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.tensor(data), name)(dim=1, keepdim=keepdim)
    np.testing.assert_array_equal(values.data, theirs.values.numpy())


@pytest.mark.parametrize("call", [lambda x: x.max(axis=1), lambda x: x.max(1), lambda x: np.max(x, axis=1)])
def test_max_with_numpys_axis_returns_the_values_alone(call):
    x = Tensor([[1.0, 5.0], [7.0, 2.0]])
    np.testing.assert_array_equal(call(x).data, [5.0, 7.0])


def test_max_refuses_axis_and_dim_together():
    with pytest.raises(TypeError, match="max: got both axis= .* and dim="):
        Tensor([[1.0]]).max(axis=0, dim=0)


@pytest.mark.parametrize("axes", [(0, 1), (np.int64(0), np.int64(1)), (np.array(0), np.array(1)),
                                  (Tensor(np.array(0)), 1)], ids=["ints", "numpy ints", "0-d arrays", "a 0-d tensor"])
def test_transpose_0_1_of_a_matrix_is_refused_with_the_swap_to_write(axes):
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match=r"identity permutation .* t.T, t.t\(\) or t.swapaxes\(0, 1\)"):
        x.transpose(*axes)
    np.testing.assert_array_equal(x.transpose(1, 0).data, x.data.T)      # a real permutation still works
    np.testing.assert_array_equal(x.transpose((0, 1)).data, x.data)      # numpy's tuple form: the identity
    np.testing.assert_array_equal(np.transpose(x, (0, 1)).data, x.data)
    np.testing.assert_array_equal(x.T.data, x.data.T)
