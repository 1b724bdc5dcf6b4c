"""Issue #14: what a user coming from PyTorch (or from the labs' float64 numpy) meets in nn.

The input-dtype rule, PyTorch's names (dim=, keepdim=, Module.to, nn.utils.clip_grad_norm_,
nn.init.*_), fit's accuracy on one-column outputs, and the errors where labgrad differs on purpose.
"""
import functools

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import functional as F
from nn import init


def mlp(dtype=np.float32):
    return nn.Sequential(nn.Linear(8, 6, rng=0, dtype=dtype), nn.ReLU(), nn.Linear(6, 4, rng=1, dtype=dtype),
                         nn.ReLU(), nn.Linear(4, 10, rng=2, dtype=dtype))


def data(n=64, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 8)).astype(dtype), rng.integers(0, 10, n)


class InputSpy(nn.Module):
    """Records the dtype of every input its forward sees."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.seen = inner, []

    def forward(self, x):
        self.seen.append(np.asarray(x).dtype)
        return self.inner(x)


# --- the input dtype rule ---------------------------------------------------------------------

@pytest.mark.parametrize("model_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("input_dtype", [np.float16, np.float32, np.float64])
def test_a_float_array_is_cast_to_the_model_dtype_where_it_enters(model_dtype, input_dtype):
    model = mlp(model_dtype)
    X, y = data(dtype=input_dtype)
    out = model(X)
    assert out.dtype == model_dtype
    loss = F.cross_entropy(out, y)
    loss.backward()
    assert all(p.grad.dtype == model_dtype for p in model.parameters())


def test_integer_and_bool_arrays_and_modules_without_parameters_are_left_alone():
    labels = np.array([3, 1, 2])
    assert nn.Identity()(labels) is labels                          # no float dtype to cast to
    assert mlp().cast_input(labels) is labels                       # indices are never cast
    assert mlp().cast_input(labels > 1).dtype == np.bool_
    x64 = np.ones((2, 3))
    assert nn.ReLU()(x64).dtype == np.float64                      # no parameters: computes in the input's dtype
    assert nn.MSELoss()(x64, x64).dtype == np.float64


def test_the_cached_dtype_follows_conversions_and_new_layers():
    model = mlp()
    X, _ = data()
    assert model(X).dtype == np.float32
    model.double()
    assert model(X.astype(np.float32)).dtype == np.float64
    model.append(nn.Linear(10, 2, rng=0, dtype=np.float32))         # a new layer: the first one still decides
    assert model.cast_input(X.astype(np.float32)).dtype == np.float64
    first = nn.Sequential(nn.Linear(8, 8, rng=0, dtype=np.float32), *model)
    assert first.cast_input(X).dtype == np.float32


@pytest.mark.parametrize("layer", [nn.Linear(3, 2, rng=0), nn.BatchNorm1d(3)])
def test_a_float64_tensor_that_requires_grad_meeting_float32_parameters_is_an_error(layer):
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    with pytest.raises(TypeError, match=r"input of dtype float64 requires grad and meets parameters of dtype "
                                        r"float32; cast one side: x.astype\(np.float32\).*model.to\(np.float64\)"):
        layer(x)
    assert layer(Tensor(np.ones((4, 3)))).dtype == np.float32      # without grad: data, cast
    assert layer(x.astype(np.float32)).dtype == np.float32


def test_fit_evaluate_and_predict_run_a_float32_model_in_float32_on_float64_data():
    X, y = data(96)
    model = InputSpy(mlp())
    history = nn.fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), (X, y), val_data=(X, y),
                     epochs=2, batch_size=32, seed=0, progress=False)
    loader = nn.data.DataLoader(X, y, batch_size=32)                # a loader of float64 batches
    nn.fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), loader, progress=False)
    assert nn.evaluate(model, F.cross_entropy, (X, y))["loss"] > 0
    assert nn.predict(model, X).dtype == np.float32
    assert set(model.seen) == {np.dtype(np.float32)} and len(model.seen) > 10
    assert len(history["train_loss"]) == 2


def test_dataloader_dtype_casts_float_inputs_once():
    X, y = data(10)
    loader = nn.data.DataLoader(X, y, batch_size=4, dtype=np.float32)
    assert loader.X.dtype == np.float32 and all(xb.dtype == np.float32 for xb, _ in loader)
    assert loader.y.dtype == y.dtype                                # targets never cast
    ints = nn.data.DataLoader(np.arange(10), dtype=np.float32)
    assert ints.X.dtype == np.arange(10).dtype                      # indices never cast
    with pytest.raises(TypeError, match="DataLoader: dtype must be a numpy float dtype"):
        nn.data.DataLoader(X, dtype=np.int32)


# --- Module.to / float / double -------------------------------------------------------------------

def test_to_converts_parameters_gradients_and_float_buffers_in_place():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4))
    params = list(model.parameters())
    F.mse_loss(model(np.ones((5, 3))), np.zeros((5, 4))).backward()
    assert model.to(np.float64) is model
    assert list(model.parameters()) == params                       # the same Parameter objects (optimisers)
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    bn = model[1]
    assert bn.running_mean.dtype == bn.running_var.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64                 # integer buffers keep their dtype
    assert all(p.data.ctypes.data % init.ALIGNMENT == 0 for p in params)
    assert model.float() is model and all(p.dtype == np.float32 for p in params)
    assert model.double().to(dtype="float32").to("cpu") is model and params[0].dtype == np.float32
    assert model.to("cpu", np.float64) is model and params[0].dtype == np.float64


@pytest.mark.parametrize("args, error, match", [
    (("cuda",), ValueError, "labgrad runs on the CPU only, got device 'cuda'"),
    (("cuda:0", np.float32), ValueError, "CPU only"),
    ((np.int32,), TypeError, "dtype must be a numpy float dtype"),
    ((np.float32, np.float64), TypeError, "expected a dtype and/or a device"),
])
def test_to_errors_change_nothing(args, error, match):
    layer = nn.Linear(2, 2, rng=0)
    with pytest.raises(error, match=match):
        layer.to(*args)
    assert layer.weight.dtype == np.float32


def test_a_double_model_passes_gradcheck_style_float64_inputs():
    layer = nn.Linear(3, 2, rng=0).double()
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    layer(x).sum().backward()
    assert x.grad.dtype == np.float64


# --- dim= / keepdim= ------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_functional_accepts_dim(fn, axis):
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_array_equal(fn(x, dim=axis).data, fn(x, axis=axis).data)
    np.testing.assert_array_equal(fn(x, axis).data, fn(x, axis=axis).data)
    with pytest.raises(TypeError, match=f"{fn.__name__}: got both axis=0 .* and dim=1 "):
        fn(x, axis=0, dim=1)


def test_softmax_dim_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(3, 4))
    for dim in (0, 1):
        np.testing.assert_allclose(F.softmax(x, dim=dim).data, torch.softmax(torch.tensor(x), dim=dim).numpy())
        np.testing.assert_allclose(nn.LogSoftmax(dim=dim)(x).data,
                                   torch.nn.LogSoftmax(dim=dim)(torch.tensor(x)).numpy())


@pytest.mark.parametrize("cls", [nn.Softmax, nn.LogSoftmax])
def test_softmax_modules_accept_dim(cls):
    assert cls(dim=0).axis == 0 and cls().axis == -1 and cls(1).axis == 1
    with pytest.raises(TypeError, match=f"{cls.__name__}: got both axis=0 .* and dim=1 "):
        cls(axis=0, dim=1)


def test_flatten_accepts_start_dim_and_end_dim():
    x = np.zeros((2, 3, 4, 5))
    assert nn.Flatten(start_dim=2)(x).shape == (2, 3, 20)
    assert nn.Flatten(start_dim=0, end_dim=1)(x).shape == (6, 4, 5)
    with pytest.raises(TypeError, match="Flatten: got both start_axis=1 .* and start_dim=2 "):
        nn.Flatten(1, start_dim=2)


# --- fit's accuracy on one-column outputs ------------------------------------------------------------

def one_column_model():
    """outputs = x (a logit): the right label is x > 0, which a 0.5 cut misreads for x in (0, 0.5)."""
    model = nn.Linear(1, 1, rng=0)
    model.weight.data[...] = 1
    return model


@pytest.mark.parametrize("loss_fn", [nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits,
                                     functools.partial(F.binary_cross_entropy_with_logits, reduction="mean")])
def test_accuracy_cuts_logits_at_zero(loss_fn):
    x = np.linspace(-1, 1, 20, dtype=np.float32)[:, None]
    y = (x > 0).astype(np.float32)
    assert nn.evaluate(one_column_model(), loss_fn, (x, y))["acc"] == 1.0    # was 0.75: cut at 0.5
    history = nn.fit(one_column_model(), loss_fn, nn.SGD(one_column_model().parameters(), lr=0.0), (x, y),
                     shuffle=False, progress=False)
    assert history["train_acc"] == [1.0]


@pytest.mark.parametrize("loss_fn", [nn.BCELoss(), F.binary_cross_entropy])
def test_accuracy_cuts_probabilities_at_one_half(loss_fn):
    model = nn.Sequential(one_column_model(), nn.Sigmoid())
    x = np.linspace(-1, 1, 20, dtype=np.float32)[:, None]
    assert nn.evaluate(model, loss_fn, (x, (x > 0).astype(np.float32)))["acc"] == 1.0


@pytest.mark.parametrize("loss_fn", [nn.MSELoss(), lambda out, y: F.binary_cross_entropy_with_logits(out, y), None])
def test_accuracy_refuses_one_column_outputs_of_an_unknown_loss(loss_fn):
    x = np.linspace(-1, 1, 20, dtype=np.float32)[:, None]
    y = (x > 0).astype(np.float32)
    with pytest.raises(ValueError, match="metric 'accuracy' cannot tell whether the model's one-column outputs "
                                         "are probabilities.*threshold=0.0"):
        nn.evaluate(one_column_model(), loss_fn, (x, y))
    assert nn.evaluate(one_column_model(), loss_fn, (x, y), metrics=()) == (
        {} if loss_fn is None else {"loss": pytest.approx(float(loss_fn(one_column_model()(x), y).item()))})
    if loss_fn is not None:
        model = one_column_model()
        before = [p.data.copy() for p in model.parameters()]
        with pytest.raises(ValueError, match="fit: metric 'accuracy' cannot tell"):
            nn.fit(model, loss_fn, nn.SGD(model.parameters(), lr=0.1), (x, y), progress=False)
        for p, b in zip(model.parameters(), before):          # refused before the first step
            np.testing.assert_array_equal(p.data, b)


def test_accuracy_of_several_columns_needs_no_loss():
    x, y = data(20, np.float32)
    model = mlp()
    expected = float((model(x).data.argmax(axis=1) == y).mean())
    assert nn.evaluate(model, None, (x, y))["acc"] == pytest.approx(expected)


# --- binary cross-entropy targets, optimisers given a Module -------------------------------------------------

@pytest.mark.parametrize("fn", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
@pytest.mark.parametrize("bad, shown", [(-1.0, "[-1.0]"), (2.0, "[2.0]"), (np.nan, "[nan]")])
def test_binary_cross_entropy_refuses_targets_outside_zero_one(fn, bad, shown):
    p = np.array([0.2, 0.7, 0.5])
    with pytest.raises(ValueError, match=rf"{fn.__name__}: targets must be in \[0, 1\].*got {re_escape(shown)}"):
        fn(p, np.array([0.0, 1.0, bad]))
    assert fn(p, np.array([0.0, 1.0, 0.25])).item() > 0               # soft targets are fine


def re_escape(text):
    import re
    return re.escape(text)


@pytest.mark.parametrize("cls", [nn.SGD, nn.Adam, nn.AdamW])
def test_an_optimiser_given_a_module_says_parameters(cls):
    with pytest.raises(TypeError, match=rf"^{cls.__name__}: got a Module; pass model.parameters\(\)$"):
        cls(nn.Linear(2, 2), lr=0.1)


# --- nn.utils.clip_grad_norm_ / clip_grad_value_ ----------------------------------------------------------

def grads_for(shapes, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    params = [nn.Parameter(np.zeros(s)) for s in shapes]
    for p in params:
        p.grad = rng.normal(size=p.shape) * scale
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    params = grads_for([(3, 4), (4,), (2, 2)])
    tparams = [torch.nn.Parameter(torch.zeros(p.shape, dtype=torch.float64)) for p in params]
    for p, t in zip(params, tparams):
        t.grad = torch.tensor(p.grad)
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type=norm_type)
    assert isinstance(total, Tensor)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_formula_without_torch():
    params = grads_for([(5,), (2, 3)], scale=10.0)
    norm = np.sqrt(sum((p.grad ** 2).sum() for p in params))
    before = [p.grad.copy() for p in params]
    assert nn.utils.clip_grad_norm_(iter(params), 1.0).item() == pytest.approx(norm)
    for p, g in zip(params, before):
        np.testing.assert_allclose(p.grad, g * (1.0 / (norm + 1e-6)))
    assert np.sqrt(sum((p.grad ** 2).sum() for p in params)) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_keeps_float32_skips_missing_grads_and_checks_its_arguments():
    model = nn.Linear(3, 2, rng=0)
    F.mse_loss(model(np.ones((2, 3))), np.zeros((2, 2))).backward()
    model.bias.grad = None
    total = nn.utils.clip_grad_norm_(model.parameters(), 1e-3)
    assert model.weight.grad.dtype == np.float32 and model.bias.grad is None
    assert total.item() > 1e-3
    with pytest.raises(TypeError, match=r"clip_grad_norm_: got a Module; pass model.parameters\(\)"):
        nn.utils.clip_grad_norm_(model, 1.0)
    params = grads_for([(3,)])
    params[0].grad[0] = np.inf
    before = params[0].grad.copy()
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm .* is inf"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[0].grad, before)
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_of_a_nan_norm_scales_by_nan_as_pytorch():
    params = grads_for([(3,)])
    params[0].grad[1] = np.nan
    assert np.isnan(nn.utils.clip_grad_norm_(params, 1.0).item())
    assert np.isnan(params[0].grad).all()                    # the nan shows in every gradient
    torch = pytest.importorskip("torch")
    w = torch.zeros(3, requires_grad=True)
    w.grad = torch.tensor([1.0, float("nan"), 2.0])
    torch.nn.utils.clip_grad_norm_([w], 1.0)
    assert torch.isnan(w.grad).all()


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    params = grads_for([(3, 4), (5,)])
    tparams = [torch.nn.Parameter(torch.zeros(p.shape, dtype=torch.float64)) for p in params]
    for p, t in zip(params, tparams):
        t.grad = torch.tensor(p.grad)
    assert nn.utils.clip_grad_value_(params, 1.5) is None
    torch.nn.utils.clip_grad_value_(tparams, 1.5)
    for p, t in zip(params, tparams):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())


# --- nn.init's in-place initialisers -----------------------------------------------------------------------

@pytest.mark.parametrize("fn, kwargs, fan_in_out, expected_std", [
    (init.kaiming_normal_, {}, "in", lambda fi, fo: np.sqrt(2 / fi)),
    (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}, "out", lambda fi, fo: np.sqrt(2 / fo)),
    (init.kaiming_normal_, {"a": 0.2}, "in", lambda fi, fo: np.sqrt(2 / (1 + 0.04)) / np.sqrt(fi)),
    (init.xavier_normal_, {"gain": 2.0}, None, lambda fi, fo: 2 * np.sqrt(2 / (fi + fo))),
    (init.normal_, {"std": 0.3}, None, lambda fi, fo: 0.3),
])
def test_normal_initialisers_scale_draws_by_the_formula_on_labgrads_layout(fn, kwargs, fan_in_out, expected_std):
    layer = nn.Linear(7, 3)                                         # weight (in, out) = (7, 3): fan_in 7
    assert fn(layer.weight, **kwargs, rng=5) is layer.weight
    ratio = layer.weight.data / np.random.default_rng(5).standard_normal((7, 3))
    np.testing.assert_allclose(ratio, expected_std(7, 3), rtol=1e-6)
    assert layer.weight.dtype == np.float32 and layer.weight.data.ctypes.data % init.ALIGNMENT == 0


@pytest.mark.parametrize("fn, kwargs, bound", [
    (init.kaiming_uniform_, {}, np.sqrt(2) * np.sqrt(3 / 7)),
    (init.kaiming_uniform_, {"a": np.sqrt(5)}, 1 / np.sqrt(7)),     # PyTorch's own nn.Linear default
    (init.xavier_uniform_, {}, np.sqrt(6 / 10)),
    (init.uniform_, {"a": -0.1, "b": 0.1}, 0.1),
])
def test_uniform_initialisers_draw_within_the_formula_bound(fn, kwargs, bound):
    w = np.zeros((7, 3))
    fn(w, **kwargs, rng=0)
    expected = np.random.default_rng(0).uniform(-bound, bound, (7, 3))
    np.testing.assert_allclose(w, expected, rtol=1e-12)


@pytest.mark.parametrize("name, kwargs", [("kaiming_normal_", {"nonlinearity": "relu"}),
                                          ("kaiming_uniform_", {}), ("xavier_normal_", {}), ("xavier_uniform_", {})])
def test_initialisers_give_pytorchs_spread_for_the_same_layer(name, kwargs):
    torch = pytest.importorskip("torch")
    n_in, n_out = 300, 200
    ours = getattr(init, name)(nn.Linear(n_in, n_out).weight, **kwargs, rng=0).data   # (in, out)
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, name)(torch.empty(n_out, n_in), **kwargs).numpy()  # (out, in)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)


def test_constant_initialisers_and_errors():
    p = nn.Parameter(np.ones((2, 2), np.float32))
    assert init.zeros_(p) is p and not p.data.any()
    assert init.ones_(p).data.sum() == 4
    assert init.constant_(p, 0.25).data.tolist() == [[0.25, 0.25], [0.25, 0.25]]
    with pytest.raises(ValueError, match="kaiming_normal_: fan in and fan out cannot be computed .* shape \\(4,\\)"):
        init.kaiming_normal_(np.zeros(4))
    with pytest.raises(ValueError, match="kaiming_uniform_: mode must be one of 'fan_in', 'fan_out', got 'in'"):
        init.kaiming_uniform_(np.zeros((2, 2)), mode="in")
    with pytest.raises(TypeError, match=r"normal_: expected a Parameter, Tensor or numpy array, got tuple.*init.normal\(shape\)"):
        init.normal_((2, 3))
    with pytest.raises(TypeError, match="zeros_: can only fill a float array, got dtype int64"):
        init.zeros_(np.arange(3))
    with pytest.raises(ValueError, match="calculate_gain: unsupported nonlinearity 'gelu'"):
        init.calculate_gain("gelu")


# --- where labgrad differs on purpose: Linear.weight is (in, out) --------------------------------------------

def test_loading_a_pytorch_linear_says_to_transpose_and_works_once_transposed():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(4, 3)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    ours = nn.Linear(4, 3)
    with pytest.raises(ValueError, match=r"weight: expected shape \(4, 3\), got \(3, 4\); Linear.weight is "
                                         r"\(in, out\) in labgrad, PyTorch's is \(out, in\): transpose it \(w.T\)"):
        ours.load_state_dict(state)
    ours.load_state_dict({**state, "weight": state["weight"].T})
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
