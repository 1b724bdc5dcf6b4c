"""Optimisers and schedules: hand-computed steps from the published update rules, PyTorch when installed."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor
from nn import blas


def _param(values, dtype=np.float64):
    return nn.Parameter(np.array(values, dtype=dtype))


def _run(opt, params, grads):
    """Apply the given gradients (one list per step) and return the parameter values after each step."""
    history = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else np.array(g, dtype=p.dtype)
        opt.step()
        history.append([p.data.copy() for p in params])
    return history


# --- SGD: hand-computed steps (p0 = 1, gradients 1 then 2, lr = 0.1) ----------------------------

@pytest.mark.parametrize("options, expected", [
    ({}, [0.9, 0.7]),                                                    # p -= lr g
    ({"momentum": 0.9}, [0.9, 0.61]),                                    # b = g; then b = 0.9 * 1 + 2 = 2.9
    ({"momentum": 0.9, "dampening": 0.5}, [0.9, 0.71]),                  # first b = g undamped; 0.9 + 0.5 * 2
    ({"momentum": 0.9, "nesterov": True}, [0.81, 0.349]),                # g + 0.9 b: 1.9, then 2 + 0.9 * 2.9
    ({"weight_decay": 0.1}, [0.89, 0.89 - 0.1 * (2 + 0.1 * 0.89)]),      # g + wd p
    ({"momentum": 0.5, "weight_decay": 0.1}, [0.89, 0.89 - 0.1 * (0.5 * 1.1 + 2 + 0.1 * 0.89)]),
])
def test_sgd_hand_computed_steps(options, expected):
    p = _param([1.0])
    history = _run(nn.SGD([p], lr=0.1, **options), [p], [[[1.0]], [[2.0]]])
    np.testing.assert_allclose([h[0][0] for h in history], expected, rtol=1e-14)


# --- Adam / AdamW: hand-computed steps (lr = 0.1, betas = (0.9, 0.999), eps = 1e-8) -------------

def test_adam_first_step_is_lr_times_sign_thanks_to_bias_correction():
    p = _param([1.0, -3.0, 0.5])
    _run(nn.Adam([p], lr=0.1), [p], [[[2.0, -0.001, 50.0]]])
    # m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps)
    np.testing.assert_allclose(p.data, [1 - 0.1 * 2 / (2 + 1e-8), -3 + 0.1 * 0.001 / (0.001 + 1e-8),
                                        0.5 - 0.1 * 50 / (50 + 1e-8)], rtol=1e-14)


def test_adam_two_hand_computed_steps():
    p = _param([1.0])
    history = _run(nn.Adam([p], lr=0.1), [p], [[[2.0]], [[-1.0]]])
    p1 = 1 - 0.1 * 2 / (math.sqrt(4) + 1e-8)
    m = 0.9 * (0.1 * 2) + 0.1 * -1                                     # 0.08
    v = 0.999 * (0.001 * 4) + 0.001 * 1                                # 0.004996
    p2 = p1 - 0.1 * (m / (1 - 0.9 ** 2)) / (math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8)
    np.testing.assert_allclose([h[0][0] for h in history], [p1, p2], rtol=1e-14)


def test_adam_weight_decay_is_l2_added_to_the_gradient():
    p = _param([1.0])
    _run(nn.Adam([p], lr=0.1, weight_decay=0.5), [p], [[[2.0]]])
    np.testing.assert_allclose(p.data, [1 - 0.1 * 2.5 / (2.5 + 1e-8)], rtol=1e-14)     # g = 2 + 0.5 * 1


def test_adamw_decay_is_decoupled():
    p = _param([1.0])
    history = _run(nn.AdamW([p], lr=0.1, weight_decay=0.5), [p], [[[2.0]], [[-1.0]]])
    p1 = 1 * (1 - 0.1 * 0.5) - 0.1 * 2 / (2 + 1e-8)                   # decay, then the plain Adam step
    m, v = 0.9 * 0.2 - 0.1, 0.999 * 0.004 + 0.001
    p2 = p1 * (1 - 0.05) - 0.1 * (m / 0.19) / (math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8)
    np.testing.assert_allclose([h[0][0] for h in history], [p1, p2], rtol=1e-14)
    assert nn.AdamW([p]).param_groups[0]["weight_decay"] == 1e-2


# --- a literal transcription of the published algorithms, for longer random runs --------------------

def _reference(kind, p, grads, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0,
               betas=(0.9, 0.999), eps=1e-8):
    p, out = np.array(p, dtype=np.float64), []
    b = m = v = None
    for t, g in enumerate(grads, start=1):
        g = np.array(g, dtype=np.float64)
        if kind == "sgd":
            if weight_decay:
                g = g + weight_decay * p
            if momentum:
                b = g if t == 1 else momentum * b + (1 - dampening) * g
                g = g + momentum * b if nesterov else b
            p = p - lr * g
        else:
            if kind == "adamw":
                p = p - lr * weight_decay * p
            elif weight_decay:
                g = g + weight_decay * p
            m = (1 - betas[0]) * g if t == 1 else betas[0] * m + (1 - betas[0]) * g
            v = (1 - betas[1]) * g * g if t == 1 else betas[1] * v + (1 - betas[1]) * g * g
            m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
            p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


CONFIGS = [
    ("sgd", nn.SGD, dict(lr=0.05)),
    ("sgd", nn.SGD, dict(lr=0.05, momentum=0.9)),
    ("sgd", nn.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("sgd", nn.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("adam", nn.Adam, dict(lr=0.01)),
    ("adam", nn.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adamw", nn.AdamW, dict(lr=0.01, weight_decay=1e-2)),
    ("adamw", nn.AdamW, dict(lr=0.02, betas=(0.5, 0.9), weight_decay=0.3)),
]


@pytest.mark.parametrize("kind, cls, options", CONFIGS)
def test_random_runs_follow_the_published_algorithms(kind, cls, options):
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((3, 2))
    grads = [rng.standard_normal((3, 2)) for _ in range(6)]
    p = _param(p0)
    history = _run(cls([p], **options), [p], [[g] for g in grads])
    expected = _reference(kind, p0, grads, **options)
    for got, want in zip(history, expected):
        np.testing.assert_allclose(got[0], want, rtol=1e-12, atol=1e-14)


@given(seed=st.integers(0, 2 ** 16), steps=st.integers(1, 5), config=st.sampled_from(CONFIGS))
def test_random_runs_property(seed, steps, config):
    kind, cls, options = config
    rng = np.random.default_rng(seed)
    p0 = rng.standard_normal(4) * 3
    grads = [rng.standard_normal(4) * 10 ** rng.uniform(-3, 2) for _ in range(steps)]
    p = _param(p0)
    history = _run(cls([p], **options), [p], [[g] for g in grads])
    np.testing.assert_allclose(history[-1][0], _reference(kind, p0, grads, **options)[-1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind, cls, options", CONFIGS)
def test_matches_torch(kind, cls, options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    p0 = [rng.standard_normal((4, 3)), rng.standard_normal(3)]
    ours = [_param(v) for v in p0]
    theirs = [torch.tensor(v, requires_grad=True) for v in p0]
    torch_cls = {nn.SGD: torch.optim.SGD, nn.Adam: torch.optim.Adam, nn.AdamW: torch.optim.AdamW}[cls]
    opt, ref = cls(ours, **options), torch_cls(theirs, **options)
    for _ in range(5):
        grads = [rng.standard_normal(v.shape) for v in p0]
        for p, t, g in zip(ours, theirs, grads):
            p.grad, t.grad = g.copy(), torch.tensor(g)
        opt.step()
        ref.step()
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12, atol=1e-14)


# --- mechanics -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, cls, options", CONFIGS)
def test_step_is_in_place_float32_and_skips_missing_gradients(kind, cls, options):
    a, b = _param([1.0, 2.0], np.float32), _param([3.0], np.float32)
    opt = cls([a, b], **options)
    data_a, data_b = a.data, b.data                   # (after the optimiser is built: views into its buffer)
    a.grad = np.array([0.5, -0.5], np.float32)
    opt.step()
    assert a.data is data_a and a.dtype == np.float32
    assert not np.array_equal(a.data, [1.0, 2.0])
    assert b.data is data_b and b.data.tolist() == [3.0]           # grad None: untouched, even by weight decay
    assert b not in opt.state
    assert all(v.dtype == np.float32 for s in opt.state.values() for v in s.values() if isinstance(v, np.ndarray))


def test_only_optimizers_with_state_keep_some():
    p, q = _param([1.0, 2.0]), _param([1.0, 2.0])
    plain, heavy = nn.optim.SGD([p], lr=0.1), nn.optim.SGD([q], lr=0.1, momentum=0.9)
    p.grad = q.grad = np.array([0.5, 0.5])
    plain.step()
    heavy.step()
    assert plain.state == {} and plain.state_dict()["state"] == {}
    np.testing.assert_array_equal(heavy.state[q]["momentum_buffer"], [0.5, 0.5])


def test_step_does_not_touch_the_gradient():
    p = _param([1.0, 2.0])
    p.grad = np.array([0.5, 0.5])
    nn.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5).step()
    np.testing.assert_array_equal(p.grad, [0.5, 0.5])


def test_zero_grad_and_training_a_linear_regression():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    model = nn.Linear(3, 1, dtype=np.float64, rng=0)
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(500):
        opt.zero_grad()
        assert all(p.grad is None for p in model.parameters())
        nn.MSELoss()(model(X), y).backward()
        opt.step()
    np.testing.assert_allclose(model.weight.data.ravel(), [1.0, -2.0, 0.5], atol=1e-6)
    np.testing.assert_allclose(model.bias.data, [0.3], atol=1e-6)


def test_param_groups_have_their_own_settings():
    a, b = _param([1.0]), _param([1.0])
    opt = nn.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    _run(opt, [a, b], [[[1.0], [1.0]]])
    assert a.data.tolist() == [0.9] and b.data.tolist() == [0.5]
    with pytest.raises(ValueError, match=r"unknown hyper-parameters \['betas'\]"):
        nn.SGD([{"params": [a], "betas": (0.9, 0.99)}], lr=0.1)


def test_constructor_validation():
    p = _param([1.0])
    with pytest.raises(ValueError, match="SGD: lr must be a number >= 0, got -1.0"):
        nn.SGD([p], lr=-1)
    for lr in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match=f"SGD: lr must be a finite number, got {lr}"):
            nn.SGD([p], lr=lr)
    for bad in ("0.1", None, True):                  # wrong types: TypeError (all ValueError before issue 15)
        with pytest.raises(TypeError, match=r"SGD: lr must be a number >= 0, got .* \(\w+\); pass a number >= 0"):
            nn.SGD([p], lr=bad)
    with pytest.raises(TypeError, match="SGD: nesterov must be True or False, got 1"):
        nn.SGD([p], lr=0.1, momentum=0.9, nesterov=1)
    with pytest.raises(TypeError, match="Adam: betas must be a pair"):
        nn.Adam([p], betas=0.9)
    with pytest.raises(ValueError, match="Adam: betas must be a pair .*got 3 values"):
        nn.Adam([p], betas=(0.9, 0.99, 0.999))
    with pytest.raises(TypeError, match="StepLR: step_size must be a positive int, got 2.0"):
        nn.StepLR(nn.SGD([p], lr=0.1), step_size=2.0)
    with pytest.raises(ValueError, match="SGD: nesterov needs momentum > 0 and dampening = 0"):
        nn.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"Adam: betas\[1\] must be a number in \[0.0, 1.0\)"):
        nn.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="AdamW: eps must be"):
        nn.AdamW([p], eps=-1e-8)
    with pytest.raises(ValueError, match="Adam: got an empty parameter list"):
        nn.Adam([])
    with pytest.raises(TypeError, match="single Tensor; wrap it in a list"):
        nn.Adam(p)
    with pytest.raises(TypeError, match="expected Parameters/Tensors, got ndarray"):
        nn.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="leaf tensors that require grad"):
        nn.SGD([Tensor([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="appears more than once"):
        nn.SGD([p, p], lr=0.1)


# --- state_dict ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, cls, options", CONFIGS)
def test_state_dict_round_trip_continues_identically(kind, cls, options):
    rng = np.random.default_rng(2)
    p0 = rng.standard_normal(5)
    grads = [[rng.standard_normal(5)] for _ in range(6)]
    a = _param(p0)
    opt_a = cls([a], **options)
    _run(opt_a, [a], grads[:3])
    saved = opt_a.state_dict()
    b = _param(a.data.copy())
    opt_b = cls([b], lr=0.123)                       # hyper-parameters come back from the state too
    opt_b.load_state_dict(saved)
    for arr in (v for s in saved["state"].values() for v in s.values() if isinstance(v, np.ndarray)):
        arr[...] = 1e9                               # the saved copies are independent of both
    np.testing.assert_array_equal(_run(opt_a, [a], grads[3:])[-1][0], _run(opt_b, [b], grads[3:])[-1][0])


@pytest.mark.parametrize("kind, cls, options", [c for c in CONFIGS if c[2].get("momentum") or c[1] is not nn.SGD])
def test_state_arrays_live_in_aligned_memory(kind, cls, options):
    p = _param(np.arange(37.0), np.float32)
    opt = cls([p], **options)
    _run(opt, [p], [[np.ones(37)]] * 2)
    arrays = [v for v in opt.state[p].values() if isinstance(v, np.ndarray)]
    assert arrays and all(a.ctypes.data % nn.init.ALIGNMENT == 0 and a.dtype == np.float32 for a in arrays)
    fresh = cls([_param(np.arange(37.0), np.float32)], **options)
    fresh.load_state_dict(opt.state_dict())
    loaded = [v for s in fresh.state.values() for v in s.values() if isinstance(v, np.ndarray)]
    assert len(loaded) == len(arrays) and all(a.ctypes.data % nn.init.ALIGNMENT == 0 for a in loaded)


# --- the fused update y += a x (nn.blas) and the optimisers' fused= flag ---------------------------

needs_blas = pytest.mark.skipif(not blas.available(), reason=f"BLAS axpy {blas.describe()}")


def _recording(monkeypatch):
    """Wrap the BLAS routines (if numpy's BLAS was found) so a test sees the sizes they ran on.

    Observation only: which path an update takes is chosen through ``fused=``, never by editing the table.
    """
    calls = []

    def wrap(f):
        def recorded(n, *args):
            calls.append(n)
            return f(n, *args)
        return recorded

    monkeypatch.setattr(blas, "ROUTINES", {dtype: wrap(f) for dtype, f in blas.ROUTINES.items()})
    return calls


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-6), (np.float64, 1e-15)])
def test_axpy_large_contiguous_arrays_match_numpy(monkeypatch, dtype, rtol):
    rng = np.random.default_rng(0)
    x, y0 = rng.standard_normal((400, 100)).astype(dtype), rng.standard_normal((400, 100)).astype(dtype)
    calls = _recording(monkeypatch)
    y = y0.copy()
    blas.axpy(-0.01, x, y)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, y0 - dtype(0.01) * x, rtol=rtol, atol=rtol)
    assert calls == ([40000] if blas.available(dtype) else [])
    calls.clear()
    y_numpy = y0.copy()
    blas.axpy(-0.01, x, y_numpy, fused=False)              # numpy's two passes: the same values
    assert calls == []
    np.testing.assert_array_equal(y_numpy, y0 + dtype(-0.01) * x)       # exactly numpy's y += a * x
    np.testing.assert_allclose(y, y_numpy, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-6), (np.float64, 1e-15)])
@pytest.mark.parametrize("fused", [None, True, False])
def test_axpby_is_numpys_scaled_update_through_blas_where_axpy_would_be(monkeypatch, dtype, rtol, fused):
    """y = a x + b y: OpenBLAS's axpby for the large arrays axpy would take (fused=None, True), numpy's
    y *= b; y += a x otherwise (and exactly those values); with no BLAS at all, numpy's."""
    rng = np.random.default_rng(2)
    x, y0 = rng.standard_normal(40000).astype(dtype), rng.standard_normal(40000).astype(dtype)
    expected = y0 * dtype(0.9)
    expected += dtype(0.1) * x
    calls = []

    def recorded(table, f):
        return lambda n, *args: (calls.append((table, n)), f(n, *args))
    for table in ("ROUTINES", "SCALED_ROUTINES"):
        monkeypatch.setattr(blas, table, {k: recorded(table, f) for k, f in getattr(blas, table).items()})
    y = y0.copy()
    blas.axpby(0.1, x, 0.9, y, fused=fused)
    through_blas = fused is not False and np.dtype(dtype) in blas.SCALED_ROUTINES
    assert calls == ([("SCALED_ROUTINES", 40000)] if through_blas else [])
    if through_blas:
        np.testing.assert_allclose(y, expected, rtol=rtol, atol=rtol)
    else:
        np.testing.assert_array_equal(y, expected)
    monkeypatch.setattr(blas, "ROUTINES", {})                # as on a numpy built with another BLAS: numpy's
    y = y0.copy()
    if fused:
        with pytest.raises(ValueError, match="axpby: fused=True needs BLAS axpby"):
            blas.axpby(0.1, x, 0.9, y, fused=fused)
    else:
        blas.axpby(0.1, x, 0.9, y, fused=fused)
        np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("a, x, b, y, expected", [
    (0.5, "y", 0.25, [1.0, 2.0], [0.75, 1.5]),                      # x is y: read before y is scaled
    (0.0, [np.inf, 1.0], 0.9, [1.0, 1.0], [np.nan, 0.9]),           # 0 * inf is nan, as numpy and PyTorch
    (0.5, [1.0, 1.0], 0.0, [np.nan, 1.0], [np.nan, 0.5]),           # 0 * nan too
])
@pytest.mark.parametrize("fused", [None, True, False])
@pytest.mark.filterwarnings("ignore:invalid value encountered in multiply")     # (numpy's, for 0 * inf)
def test_axpby_keeps_numpys_values_where_blas_would_not(fused, a, x, b, y, expected):
    """x overlapping y, and a zero factor (OpenBLAS's axpby skips that term, nan and inf in it included), take
    numpy's path, whatever the size and ``fused``."""
    for n in (2, 40000):                                    # (below and above the size where BLAS takes over)
        y_array = np.resize(np.array(y, np.float32), n)
        x_array = y_array if isinstance(x, str) else np.resize(np.array(x, np.float32), n)
        blas.axpby(a, x_array, b, y_array, fused=fused if blas.available() else False)
        np.testing.assert_array_equal(y_array[:2], np.array(expected, np.float32))


@pytest.mark.parametrize("x, error, message", [
    (np.ones((2, 3), np.float32), ValueError, r"axpby: x of shape \(2, 3\) does not broadcast to y's shape \(3,\)"),
    (np.ones(3, np.complex64), TypeError, "axpby: a \\* x of dtype complex64 cannot be added into y of dtype float32"),
])
@pytest.mark.parametrize("fused", [None, False])
def test_axpby_refuses_bad_x_before_changing_y(x, error, message, fused):
    y = np.ones(3, np.float32)
    with pytest.raises(error, match=message):
        blas.axpby(2.0, x, 0.5, y, fused=fused)
    np.testing.assert_array_equal(y, 1)                    # (numpy's path scaled y first, then failed)


@needs_blas
@pytest.mark.parametrize("fused, expected_calls", [(None, []), (True, [10]), (False, [])])
def test_axpy_small_arrays_take_blas_only_when_fused_is_true(monkeypatch, fused, expected_calls):
    x, y = np.arange(10, dtype=np.float32), np.ones(10, np.float32)
    calls = _recording(monkeypatch)
    blas.axpy(2.0, x, y, fused=fused)
    assert calls == expected_calls
    np.testing.assert_array_equal(y, 1 + 2 * np.arange(10, dtype=np.float32))


_N = 40000                            # float32 elements: 160 KB, above the size where BLAS takes over


def _big(dtype=np.float32):
    return np.random.default_rng(1).standard_normal(_N).astype(dtype)


@pytest.mark.parametrize("fused", [None, True])
@pytest.mark.parametrize("case, make", [
    ("small", lambda: (np.ones(10, np.float32), np.zeros(10, np.float32))),
    ("strided x", lambda: (np.ones(2 * _N, np.float32)[::2], _big())),
    ("strided y", lambda: (_big(), np.zeros(2 * _N, np.float32)[::2])),
    ("other dtype", lambda: (_big(np.float64), _big())),
    ("broadcast x", lambda: (np.ones((1, _N), np.float32), np.zeros((3, _N), np.float32))),
    ("x inside y", lambda: (lambda y: (y[:_N], y[_N // 2:]))(np.arange(_N * 3 // 2, dtype=np.float32))),
])
def test_axpy_falls_back_to_numpy_with_numpys_semantics(monkeypatch, case, make, fused):
    if fused and not blas.available(np.float32):
        pytest.skip(f"BLAS axpy {blas.describe()}")
    if fused and case == "small":
        return                        # fused=True takes BLAS for small arrays (the test above)
    x, y = make()
    expected = y + np.float32(0.5) * x.astype(y.dtype, copy=True)    # computed before y changes
    calls = _recording(monkeypatch)
    blas.axpy(0.5, x, y, fused=fused)
    assert calls == []
    np.testing.assert_allclose(y, expected, rtol=1e-6)


@pytest.mark.parametrize("fused", [None, True, False])
def test_axpy_refuses_a_read_only_target_as_numpy_does(fused):
    if fused and not blas.available(np.float32):
        pytest.skip(f"BLAS axpy {blas.describe()}")
    y = _big()
    y.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        blas.axpy(1.0, _big(), y, fused=fused)
    np.testing.assert_array_equal(y, _big())


@pytest.mark.parametrize("fused", [None, False, True])
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-4), (np.float64, 1e-12)])
@pytest.mark.parametrize("kind, cls, options", CONFIGS)
def test_large_weights_follow_the_published_algorithms_fused_or_not(monkeypatch, kind, cls, options, dtype, rtol,
                                                                   fused):
    if fused and not blas.available(dtype):
        pytest.skip(f"BLAS axpy {blas.describe()}")
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal((250, 200)).astype(dtype)       # 200 KB or more: BLAS axpy where reachable
    grads = [rng.standard_normal((250, 200)).astype(dtype) for _ in range(3)]
    calls = _recording(monkeypatch)
    p = _param(p0, dtype)
    opt = cls([p], **options, fused=fused)
    for g, expected in zip(grads, _reference(kind, p0, grads, **options)):
        p.grad = g.copy()
        opt.step()
        np.testing.assert_array_equal(p.grad, g)             # the gradient itself is untouched
        np.testing.assert_allclose(p.data, expected, rtol=rtol, atol=rtol)
    assert p.data.dtype == dtype
    assert (len(calls) > 0) == (fused is not False and blas.available(dtype))


@needs_blas
@pytest.mark.parametrize("cls", [nn.SGD, nn.Adam, nn.AdamW])
def test_fused_true_takes_blas_for_small_weights_and_false_never(monkeypatch, cls):
    calls = _recording(monkeypatch)
    for fused, expected in ((True, True), (False, False), (None, False)):      # (None: small arrays stay numpy)
        p = _param(np.ones(5), np.float32)
        opt = cls([p], lr=0.1, fused=fused)
        p.grad = np.ones(5, np.float32)
        opt.step()
        assert bool(calls) == expected, fused
        calls.clear()


@pytest.mark.parametrize("cls", [nn.SGD, nn.Adam, nn.AdamW])
def test_fused_true_without_blas_is_refused_saying_why(monkeypatch, cls):
    monkeypatch.setattr(blas, "ROUTINES", {})                # as on a numpy built with another BLAS
    assert not blas.available() and blas.describe().startswith("not reachable")
    p = _param([1.0], np.float32)
    with pytest.raises(ValueError, match=rf"{cls.__name__}: fused=True needs BLAS axpy for the parameters' dtype "
                                         r"float32, and there is none here \(not reachable: .*fused=None"):
        cls([p], lr=0.1, fused=True)
    for fused in (None, False):                             # the other settings work without BLAS
        opt = cls([p], lr=0.1, fused=fused)
        p.grad = np.ones(1, np.float32)
        opt.step()
    with pytest.raises(ValueError, match="axpy: fused=True needs BLAS axpy for dtype float32"):
        blas.axpy(1.0, np.ones(1, np.float32), np.ones(1, np.float32), fused=True)


@needs_blas
def test_fused_true_refuses_a_dtype_blas_has_no_axpy_for():
    with pytest.raises(ValueError, match="SGD: fused=True needs BLAS axpy for the parameters' dtype float16"):
        nn.SGD([_param([1.0], np.float16)], lr=0.1, fused=True)


@pytest.mark.parametrize("fused, error", [("yes", TypeError), (1, TypeError), (np.bool_(False), None)])
def test_fused_takes_none_or_a_bool(fused, error):
    p = _param([1.0])
    if error is None:
        assert nn.SGD([p], lr=0.1, fused=fused).fused is False
        return
    with pytest.raises(error, match="SGD: fused must be True or False"):
        nn.SGD([p], lr=0.1, fused=fused)
    with pytest.raises(ValueError, match=r"unknown hyper-parameters \['fused'\]"):   # not a per-group setting
        nn.SGD([{"params": [p], "fused": False}], lr=0.1)


@pytest.mark.parametrize("cls, options", [(nn.SGD, dict(lr=0.1, momentum=0.9)), (nn.Adam, {}), (nn.AdamW, {})])
def test_fused_is_in_defaults_not_in_groups_or_state_dict(cls, options):
    p = _param([1.0, 2.0])
    opt = cls([p], **options, fused=False)
    assert opt.defaults["fused"] is False and opt.fused is False
    assert {k: v for k, v in opt.defaults.items() if k not in ("fused", "foreach")} == \
        {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    p.grad = np.ones(2)
    opt.step()
    saved = opt.state_dict()
    assert all("fused" not in group for group in saved["param_groups"])
    q = _param([1.0, 2.0])
    other = cls([q], **options)                             # fused=None: the checkpoint loads as is
    other.load_state_dict(saved)
    assert other.fused is None
    np.testing.assert_array_equal(other.state_dict()["state"][0][next(iter(saved["state"][0]))],
                                  saved["state"][0][next(iter(saved["state"][0]))])


def test_refused_optimizer_load_changes_nothing():
    p, q = _param([1.0, 2.0]), _param([3.0])
    opt = nn.Adam([p, q], lr=0.1)
    _run(opt, [p, q], [[[1.0, 1.0], [1.0]]])
    before = opt.state_dict()
    bad = opt.state_dict()
    bad["state"][0]["exp_avg"] = np.zeros(3)
    bad["param_groups"][0]["lr"] = 0.5
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 has shape \(3,\)"):
        opt.load_state_dict(bad)
    with pytest.raises(ValueError, match=r"parameter groups of sizes \[1\] do not match this optimiser's \[2\]"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0], "lr": 0.5}]})
    with pytest.raises(ValueError, match="unknown parameter index 5"):
        opt.load_state_dict({"state": {5: {}}, "param_groups": before["param_groups"]})
    with pytest.raises(ValueError, match=r"lacks \['betas', 'eps'\]"):       # another optimiser's
        opt.load_state_dict(nn.SGD([p, q], lr=0.1).state_dict())
    partial = opt.state_dict()
    del partial["state"][0]["exp_avg"]
    with pytest.raises(ValueError, match=r"state of parameter 0 has keys \['exp_avg_sq', 'step'\]"):
        opt.load_state_dict(partial)
    wrong_type = opt.state_dict()
    wrong_type["state"][0]["step"] = "x"
    with pytest.raises(ValueError, match="'step' of parameter 0 must be a non-negative int"):
        opt.load_state_dict(wrong_type)
    with pytest.raises(ValueError, match="must be a list of dicts"):
        opt.load_state_dict({"state": {0: None}, "param_groups": before["param_groups"]})
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        for k, v in before["state"][i].items():
            np.testing.assert_array_equal(after["state"][i][k], v)


# --- learning-rate schedules -----------------------------------------------------------------------

def _lrs(scheduler, epochs):
    out = []
    for _ in range(epochs):
        out.append(scheduler.get_last_lr()[0])
        scheduler.step()
    return out


def test_step_lr_and_cosine_values():
    opt = nn.SGD([_param([0.0])], lr=0.1)
    np.testing.assert_allclose(_lrs(nn.StepLR(opt, step_size=3, gamma=0.5), 7),
                               [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025], rtol=1e-15)
    opt = nn.SGD([_param([0.0])], lr=1.0)
    lrs = _lrs(nn.CosineAnnealingLR(opt, T_max=4, eta_min=0.2), 5)
    np.testing.assert_allclose(lrs, [1.0, 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2, 0.6,
                                     0.2 + 0.8 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.2], rtol=1e-15)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.2 + 0.8 * (1 + math.cos(5 * math.pi / 4)) / 2)


def test_schedule_drives_the_optimizer_and_round_trips():
    p = _param([1.0])
    opt = nn.SGD([p], lr=1.0)
    sched = nn.StepLR(opt, step_size=1, gamma=0.1)
    sched.step()
    _run(opt, [p], [[[1.0]]])
    np.testing.assert_allclose(p.data, [0.9])                        # the step used lr = 0.1
    other = nn.StepLR(nn.SGD([_param([0.0])], lr=1.0), step_size=1, gamma=0.1)
    other.load_state_dict(sched.state_dict())
    assert other.get_last_lr() == sched.get_last_lr()
    with pytest.raises(ValueError, match="StepLR: step_size must be a positive int"):
        nn.StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="expected an Optimizer"):
        nn.CosineAnnealingLR("sgd", T_max=3)


def test_schedules_match_torch():
    torch = pytest.importorskip("torch")
    for ours_cls, torch_cls, kwargs in [(nn.StepLR, torch.optim.lr_scheduler.StepLR, dict(step_size=2, gamma=0.7)),
                                        (nn.CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR,
                                         dict(T_max=5, eta_min=0.01))]:
        ours = ours_cls(nn.SGD([_param([0.0])], lr=0.5), **kwargs)
        t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
        theirs = torch_cls(t_opt, **kwargs)
        for _ in range(6):
            assert ours.get_last_lr()[0] == pytest.approx(theirs.get_last_lr()[0], rel=1e-12)
            t_opt.step()
            ours.step()
            theirs.step()
