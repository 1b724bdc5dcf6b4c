"""The optimisers' flat buffers (issue 19) and the in-place accumulation of .grad they rely on."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import blas

CLASSES = [(nn.SGD, dict(lr=0.05)), (nn.SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
           (nn.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)), (nn.Adam, dict(lr=0.01, weight_decay=0.1)),
           (nn.AdamW, dict(lr=0.01))]
LARGE = 100_000                        # float32 elements (400 KB): updated on its own when its gradient is fresh


def _params(sizes, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return [nn.Parameter(rng.standard_normal(n).astype(dtype)) for n in sizes]


def _same_buffer(arrays):
    """Whether the arrays are views into one buffer (the optimiser's), each on a 64-byte boundary."""
    return (len({id(a.base) for a in arrays}) == 1 and arrays[0].base is not None
            and all(a.ctypes.data % nn.init.ALIGNMENT == 0 for a in arrays))


# --- the layout --------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls, options", CLASSES)
def test_values_and_gradients_are_views_into_one_buffer_per_group_and_dtype(cls, options):
    a, b = _params([3, 5])
    c = _params([4], np.float64)[0]
    d = _params([2])[0]
    opt = cls([{"params": [a, b, c]}, {"params": [d]}], **options)
    assert _same_buffer([a.data, b.data]) and not np.shares_memory(a.data, b.data)
    assert c.data.base is not a.data.base and d.data.base is not a.data.base       # another dtype, another group
    for p in (a, b, c, d):
        p.grad = np.ones_like(p.data)
    grads = [p.grad for p in (a, b, c, d)]
    opt.step()
    assert all(p.grad is g for p, g in zip((a, b, c, d), grads))        # copied into the buffer, not rebound
    assert c.dtype == np.float64 and a.dtype == a.grad.dtype == np.float32


@pytest.mark.skipif(not blas.available(), reason=f"BLAS axpy {blas.describe()}")
@pytest.mark.parametrize("foreach, calls_expected", [(None, 1), (False, 3)])
def test_a_step_is_one_update_over_the_buffer(monkeypatch, foreach, calls_expected):
    calls = _counting_blas_calls(monkeypatch)
    params = _params([3, 20, 7])
    opt = nn.SGD(params, lr=0.1, fused=True, foreach=foreach)
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    assert len(calls) == calls_expected


def _counting_blas_calls(monkeypatch):
    """The sizes of the BLAS calls (axpy and axpby) made from now on."""
    calls = []
    for table in ("ROUTINES", "SCALED_ROUTINES"):
        monkeypatch.setattr(blas, table, {k: (lambda f: lambda n, *a: (calls.append(n), f(n, *a)))(f)
                                          for k, f in getattr(blas, table).items()})
    return calls


@pytest.mark.skipif(not blas.available(), reason=f"BLAS axpy {blas.describe()}")
@pytest.mark.parametrize("cls, options, skipped_at, calls_after", [
    (nn.Adam, dict(lr=0.1), 1, 2 * 3),                    # step counts 2 and 3: two runs, axpy + 2 axpby each
    (nn.SGD, dict(lr=0.1, momentum=0.9), 0, 2),          # momentum started for all again: one run, axpby + axpy
])
def test_after_a_skipped_gradient_runs_of_alike_parameters_are_still_updated_at_once(
        monkeypatch, cls, options, skipped_at, calls_after):
    calls = _counting_blas_calls(monkeypatch)
    params = _params([3, 20, 7, 5])
    opt = cls(params, **options, fused=True)
    for step in range(3):
        for i, p in enumerate(params):
            p.grad = None if (step, i) == (skipped_at, 0) else np.full(p.shape, 0.5 + step, np.float32)
        calls.clear()
        opt.step()
    assert len(calls) == calls_after                      # (one by one: 4 parameters x 2)


def test_foreach_false_leaves_the_arrays_where_they_are():
    p = _params([3])[0]
    data = p.data
    opt = nn.Adam([p], foreach=False)
    p.grad = np.ones(3, np.float32)
    opt.step()
    assert p.data is data and opt.defaults["foreach"] is False
    with pytest.raises(TypeError, match="Adam: foreach must be True or False, got 0"):
        nn.Adam([p], foreach=0)


# --- the same values as the loop over parameters -----------------------------------------------------

def _train(cls, options, foreach, schedule, set_to_none=True, seed=1):
    """Steps with the gradients of ``schedule`` (per step, per parameter: True = a gradient, None = none)."""
    params = _params([4, 1, LARGE, 6], seed=seed)
    opt = cls(params, **options, fused=False, foreach=foreach)
    rng = np.random.default_rng(seed)
    history = []
    for has_grad in schedule:
        opt.zero_grad(set_to_none=set_to_none)
        for p, has in zip(params, has_grad):
            g = rng.standard_normal(p.shape).astype(np.float32)
            if has and p.grad is not None:
                p.grad += g                   # as backward does: into the existing .grad, in place
            elif has:
                p.grad = g
            else:
                p.grad = None
        opt.step()
        history.append([p.data.copy() for p in params])
    return history, opt


SCHEDULES = {
    "every gradient": [[True] * 4] * 3,
    "one skipped, then all": [[True] * 4, [True, None, True, True], [True] * 4, [True] * 4],
    "the large one skipped": [[True, True, None, True], [True] * 4],
    "one never": [[True, True, True, None]] * 3,
    "the first skipped at the first step": [[None, True, True, True], [True] * 4, [True] * 4],
}


@pytest.mark.parametrize("schedule", SCHEDULES.values(), ids=SCHEDULES.keys())
@pytest.mark.parametrize("set_to_none", [True, False])
@pytest.mark.parametrize("cls, options", CLASSES)
def test_flat_buffers_give_the_loops_values_bit_for_bit(cls, options, schedule, set_to_none):
    flat, flat_opt = _train(cls, options, None, schedule, set_to_none)
    loop, loop_opt = _train(cls, options, False, schedule, set_to_none)
    for got, want in zip(flat, loop):
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    assert flat_opt.state_dict()["state"].keys() == loop_opt.state_dict()["state"].keys()
    for i, s in loop_opt.state_dict()["state"].items():
        for k, v in s.items():
            np.testing.assert_array_equal(flat_opt.state_dict()["state"][i][k], v)


@pytest.mark.parametrize("cls", [nn.Adam, nn.SGD])
def test_a_none_gradient_skips_the_parameter_as_torch_does(cls):
    torch = pytest.importorskip("torch")
    options = dict(lr=0.1, momentum=0.9) if cls is nn.SGD else dict(lr=0.1)
    values = [np.arange(1.0, 4.0), np.array([0.5, -0.5])]
    ours = [nn.Parameter(v.copy()) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    opt, ref = cls(ours, **options), getattr(torch.optim, cls.__name__)(theirs, **options)
    rng = np.random.default_rng(0)
    for skip in (None, 1, None, 0, None):
        for i, (p, t) in enumerate(zip(ours, theirs)):
            g = None if i == skip else rng.standard_normal(p.shape)
            p.grad, t.grad = g, None if g is None else torch.tensor(g)
        opt.step()
        ref.step()
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-13)
    if cls is nn.Adam:
        assert [opt.state[p]["step"] for p in ours] == [int(ref.state[t]["step"]) for t in theirs] == [4, 4]


def test_adam_with_eps_zero_warns_of_nothing_in_the_gaps():
    p = _params([3])[0]                       # 3 float32 of a 16-element line: 13 zeros after it
    opt = nn.Adam([p], eps=0.0)
    p.grad = np.array([1.0, -2.0, 3.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    assert np.isfinite(p.data).all()


# --- what is replaced from outside is noticed ------------------------------------------------------

def _replace_same(model, new):
    model.load_state_dict({k: v * 0 + new for k, v in model.state_dict().items()})


def _replace_by_hand(model, new):
    model.weight.data = np.full_like(model.weight.data, new)


@pytest.mark.parametrize("replace", [_replace_same, _replace_by_hand])
@pytest.mark.parametrize("cls, options", CLASSES)
def test_replaced_data_is_copied_into_the_buffer_not_lost(cls, options, replace):
    results = []
    for foreach in (None, False):
        model = nn.Linear(3, 2, rng=0)
        opt = cls(model.parameters(), **options, foreach=foreach)
        x = np.ones((4, 3), np.float32)
        for step in range(3):
            if step == 1:
                replace(model, 0.25)
            opt.zero_grad()
            model(x).sum().backward()
            opt.step()
        results.append(model.weight.data.copy())
        if foreach is None:
            assert _same_buffer([model.weight.data, model.bias.data])
    np.testing.assert_array_equal(*results)           # the loop over parameters updates whatever p.data is


@pytest.mark.parametrize("cls, options", CLASSES)
def test_model_to_another_dtype_lays_the_buffer_out_again(cls, options):
    model = nn.Linear(3, 2, rng=0)
    opt = cls(model.parameters(), **options)
    x = np.ones((4, 3))
    for dtype in (np.float32, np.float64):
        model.to(dtype)
        opt.zero_grad()
        model(x.astype(dtype)).sum().backward()
        opt.step()
        assert model.weight.dtype == model.weight.grad.dtype == dtype
        assert all(v.dtype == dtype for s in opt.state.values() for v in s.values() if isinstance(v, np.ndarray))
        assert _same_buffer([model.weight.data, model.bias.data])


def test_data_of_another_shape_with_state_is_refused_changing_nothing():
    p, q = _params([3, 2])
    opt = nn.Adam([p, q], lr=0.1)
    p.grad, q.grad = np.ones(3, np.float32), np.ones(2, np.float32)
    opt.step()
    before = opt.state_dict()
    p.data = np.zeros(5, np.float32)
    with pytest.raises(ValueError, match=r"Adam.step: a parameter of shape \(5,\) has state 'exp_avg' of shape "
                                         r"\(3,\) \(was its .data replaced"):
        opt.step()
    with pytest.raises(ValueError, match=r"Adam.zero_grad: a parameter of shape \(5,\) has state 'exp_avg'"):
        opt.zero_grad(set_to_none=False)
    assert opt.state_dict()["state"][1]["step"] == before["state"][1]["step"] == 1
    plain = nn.SGD([p], lr=0.1)               # no state: the new shape is simply laid out
    p.grad = np.ones(5, np.float32)
    plain.step()
    np.testing.assert_array_equal(p.data, np.full(5, -0.1, np.float32))


@pytest.mark.parametrize("cls, options", CLASSES)
def test_gradients_and_state_assigned_by_hand_are_used(cls, options):
    results = []
    for foreach in (None, False):
        p, q = _params([3, 4])
        opt = cls([p, q], **options, fused=False, foreach=foreach)
        for step in range(3):
            p.grad, q.grad = np.full(3, 0.5), np.full(4, -0.5, np.float32)    # (a float64 gradient: cast)
            if step == 2:
                for s in opt.state.values():
                    for k in s:
                        if isinstance(s[k], np.ndarray):
                            s[k] = np.zeros_like(s[k])
            opt.step()
        assert p.dtype == np.float32
        results.append(np.concatenate([p.data, q.data]))
    np.testing.assert_allclose(*results, rtol=1e-6)   # (the loop computes with the float64 gradient, then casts)


@pytest.mark.parametrize("cls, options", CLASSES)
def test_a_step_refused_in_a_later_group_changes_no_earlier_group(cls, options):
    a, b = _params([2, 3])
    opt = cls([{"params": [a]}, {"params": [b]}], **options)
    a.grad, b.grad = np.ones(2, np.float32), np.ones(3, np.float32)
    opt.step()
    before, values = opt.state_dict(), [a.data.copy(), b.data.copy()]
    a.grad, b.grad = np.ones(2, np.float32), np.ones(4, np.float32)
    with pytest.raises(ValueError, match=r"the .grad of a parameter of shape \(3,\) has shape \(4,\)"):
        opt.step()
    np.testing.assert_array_equal(a.data, values[0])
    np.testing.assert_array_equal(b.data, values[1])
    for i, s in before["state"].items():
        for k, v in s.items():
            np.testing.assert_array_equal(opt.state_dict()["state"][i][k], v)


@pytest.mark.parametrize("grad, error, message", [
    (Tensor([1.0, 1.0, 1.0]), TypeError, "SGD.step: a .grad holds a Tensor; .*assign p.grad = g.data"),
    ([1.0, 1.0, 1.0], TypeError, "SGD.step: a .grad holds a list"),
    (np.ones(4), ValueError, r"SGD.step: the .grad of a parameter of shape \(3,\) has shape \(4,\)"),
])
def test_a_wrong_gradient_assigned_by_hand_is_refused_before_any_update(grad, error, message):
    p, q = _params([2, 3])
    opt = nn.SGD([p, q], lr=0.1)
    values = [p.data.copy(), q.data.copy()]
    p.grad, q.grad = np.ones(2, np.float32), grad
    with pytest.raises(error, match=message):
        opt.step()
    np.testing.assert_array_equal(p.data, values[0])
    np.testing.assert_array_equal(q.data, values[1])


# --- copies; the gradients a student keeps ----------------------------------------------------------

def _deepcopy(pair):
    return copy.deepcopy(pair)


def _pickled(pair):
    return pickle.loads(pickle.dumps(pair))


def test_a_shallow_copy_shares_the_buffers():
    p = _params([3])[0]
    opt = nn.SGD([p], lr=0.1)
    data, values = p.data, p.data.copy()
    same = copy.copy(opt)
    p.grad = np.ones(3, np.float32)
    same.step()
    opt.step()
    assert p.data is data                                 # laid out again by neither
    np.testing.assert_allclose(p.data, values - 0.2, rtol=1e-6)


@pytest.mark.parametrize("duplicate", [_deepcopy, _pickled])
@pytest.mark.parametrize("cls, options", CLASSES)
def test_a_copied_model_and_optimiser_train_the_copy_only(cls, options, duplicate):
    model = nn.Linear(3, 2, rng=0)
    opt = cls(model.parameters(), **options)
    x = np.ones((4, 3), np.float32)
    for _ in range(2):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    original = model.weight.data.copy()
    model2, opt2 = duplicate((model, opt))
    opt2.zero_grad()
    model2(x).sum().backward()
    opt2.step()
    assert not np.array_equal(model2.weight.data, original)          # the copy trains
    np.testing.assert_array_equal(model.weight.data, original)       # the original does not move
    opt.zero_grad()
    model(x).sum().backward()
    opt.step()
    np.testing.assert_array_equal(model.weight.data, model2.weight.data)   # the same step, state and all
    assert _same_buffer([model2.weight.data, model2.bias.data])


@pytest.mark.parametrize("set_to_none", [True, False])
@pytest.mark.parametrize("cls, options", CLASSES)
def test_gradients_kept_step_after_step_are_distinct_arrays(cls, options, set_to_none):
    model = nn.Linear(3, 2, rng=0)
    opt = cls(model.parameters(), **options)
    kept = []
    for step in range(3):
        opt.zero_grad()
        model(np.full((1, 3), step + 1.0, np.float32)).sum().backward()
        opt.step()
        kept.append(model.weight.grad if set_to_none else model.weight.grad.copy())
    np.testing.assert_array_equal([g[0, 0] for g in kept], [1.0, 2.0, 3.0])


# --- zero_grad, backward into the buffer ---------------------------------------------------------------

def test_zero_grad_set_to_none_false_zeros_the_buffer_and_backward_adds_into_it():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 1, rng=1))
    opt = nn.Adam(model.parameters())
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    model(x).sum().backward()
    opt.step()
    opt.zero_grad(set_to_none=False)
    views = [p.grad for p in model.parameters()]
    assert _same_buffer(views) and not any(v.any() for v in views)
    model(x).sum().backward()
    expected = [p.grad.copy() for p in model.parameters()]
    assert all(p.grad is v for p, v in zip(model.parameters(), views))           # in place, as PyTorch
    model(x).sum().backward()                                                    # accumulates
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.grad, 2 * e, rtol=1e-6)
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_a_large_fresh_gradient_is_used_where_it_is():
    small, large = _params([3, LARGE])
    large_values = large.data.copy()
    opt = nn.SGD([small, large], lr=0.1)
    g_small, g_large = np.ones(3, np.float32), np.ones(LARGE, np.float32)
    small.grad, large.grad = g_small, g_large
    opt.step()
    assert small.grad is g_small and large.grad is g_large          # (copied into the buffer / not copied)
    np.testing.assert_array_equal(g_small, 1)
    np.testing.assert_allclose(large.data, large_values - 0.1, rtol=1e-6)


# --- parameter groups added later; state_dict ------------------------------------------------------

def test_add_param_group_lays_the_new_group_out_and_checks_it():
    a, b = _params([2, 3])
    opt = nn.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["momentum"] == 0.9 and b.data.base is not a.data.base
    values = b.data.copy()
    a.grad, b.grad = np.ones(2, np.float32), np.ones(3, np.float32)
    opt.step()
    np.testing.assert_allclose(b.data, values - 0.01, rtol=1e-6)
    with pytest.raises(ValueError, match="appears more than once"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="SGD.add_param_group: expected a dict with 'params'"):
        opt.add_param_group([a])
    with pytest.raises(ValueError, match=r"unknown hyper-parameters \['betas'\]"):
        opt.add_param_group({"params": _params([1]), "betas": (0.9, 0.9)})
    assert len(opt.param_groups) == 2


@pytest.mark.parametrize("cls, options", CLASSES)
def test_loaded_state_goes_into_the_buffers_and_a_refused_load_changes_nothing(cls, options):
    a = _params([3, 4], seed=2)
    opt = cls(a, **options)
    for _ in range(2):
        for p in a:
            p.grad = np.full(p.shape, 0.3, np.float32)
        opt.step()
    saved = opt.state_dict()
    assert all("foreach" not in g and "fused" not in g for g in saved["param_groups"])
    b = _params([3, 4], seed=3)
    other = cls(b, lr=0.5)
    data = [p.data for p in b]
    bad = {"state": saved["state"], "param_groups": [{**saved["param_groups"][0], "lr": "x"}]}
    with pytest.raises(ValueError):
        other.load_state_dict(bad)
    assert other.state == {} and other.param_groups[0]["lr"] == 0.5 and all(p.data is d for p, d in zip(b, data))
    other.load_state_dict(saved)
    for p, q in zip(a, b):
        q.data[...] = p.data
    for key in (k for k, kind in cls.state_keys.items() if kind == "array" and other.state):
        assert _same_buffer([s[key] for s in other.state.values()])                # views into the buffers
    for params, o in ((a, opt), (b, other)):
        for p in params:
            p.grad = np.full(p.shape, -0.2, np.float32)
        o.step()
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)


# --- the engine: .grad accumulates in place, never into another tensor's ------------------------------

def _read_only(shape):
    g = np.zeros(shape)
    g.flags.writeable = False
    return g


@pytest.mark.parametrize("make, in_place", [
    (lambda: np.zeros(2), True),                        # PyTorch's in-place accumulation
    (lambda: np.zeros(2, np.float32), False),           # another dtype: replaced by the sum (float64)
    (lambda: _read_only(2), False),
])
def test_backward_adds_into_an_existing_grad_in_place_when_it_can(make, in_place):
    w = Tensor([1.0, 2.0], requires_grad=True)
    old = make()
    w.grad = old
    (w * w).sum().backward()
    assert (w.grad is old) == in_place
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    assert w.grad.dtype == np.float64 and w.grad.flags.writeable
    if not in_place:
        assert not old.any()


def test_one_array_assigned_to_two_grads_is_not_added_into_twice():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    shared = np.ones(2)
    a.grad = b.grad = shared
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad, [4.0, 5.0])              # 1 + b
    np.testing.assert_array_equal(b.grad, [2.0, 3.0])              # 1 + a
    assert not np.shares_memory(a.grad, b.grad)
    np.testing.assert_array_equal(shared, [1.0, 1.0])


# --- the step a compiled training step replays right after its backward ---------------------------

def _same_state(a, b):
    """Two ``state_dict()``s alike to the bit."""
    return a["state"].keys() == b["state"].keys() and all(
        np.asarray(a["state"][i][k]).tobytes() == np.asarray(b["state"][i][k]).tobytes()
        for i in a["state"] for k in a["state"][i])


def _without_gradient(params, grads, opt):
    del grads[params[1]]


def _gradient_in_float64(params, grads, opt):
    grads[params[1]] = grads[params[1]].astype(np.float64)


def _group_added(params, grads, opt):
    opt.add_param_group({"params": _params([2], seed=9)})


def _foreach_off(params, grads, opt):
    opt.foreach = False


@pytest.mark.parametrize("before, since", [
    (None, None),                          # every parameter has a new gradient of its own shape and dtype
    (_without_gradient, None),             # one without: step() skips it
    (_gradient_in_float64, None),          # one of another dtype: step() casts it
    (None, _group_added),                  # step() sees the new group
    (None, _foreach_off),                  # step() loops over the parameters
], ids=["new gradients", "one without", "one in float64", "a group added since", "foreach=False since"])
@pytest.mark.parametrize("cls, options", CLASSES)
def test_step_after_backward_steps_as_step_or_says_it_did_not(cls, options, before, since):
    """``opt.step_after_backward(grads)``, offered the gradients a backward wrote, gives what a replay of
    ``autograd.compile`` calls right after its .grad writes: it updates as ``step()`` would, large parameters
    too, and returns True; or returns False, changing nothing, for the replay to call ``step()``."""
    params, twins = _params([3, 5, LARGE]), _params([3, 5, LARGE])
    opt, twin_opt = cls(params, **options), cls(twins, **options)
    for k in range(3):                     # (the first step and later ones: momentum, Adam's counts)
        changed = k == 2 and (before is not None or since is not None)
        grads = {p: np.full(p.shape, 0.5 + k, np.float32) for p in params}
        if changed and before:
            before(params, grads, opt)
        fresh = opt.step_after_backward(grads)
        if changed and since:
            since(params, grads, opt)
        for p, twin in zip(params, twins):
            p.grad, twin.grad = np.full(p.shape, 0.5 + k, np.float32), np.full(p.shape, 0.5 + k, np.float32)
        values, state = [p.data.copy() for p in params], opt.state_dict()
        done = fresh()
        assert done is (not changed)
        if not done:                       # (nothing changed: the values, the moments, the counts)
            assert all(v.tobytes() == p.data.tobytes() for v, p in zip(values, params))
            assert _same_state(state, opt.state_dict())
            opt.step()
        twin_opt.step()
        for p, twin in zip(params, twins):
            assert p.data.tobytes() == twin.data.tobytes()
