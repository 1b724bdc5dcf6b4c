"""autograd.checks: the shared argument checks; TypeError for a wrong type, ValueError for a wrong value,
messages ``op: what is wrong; how to fix``; and the nn constructors that use them."""
import math

import numpy as np
import pytest

import nn
from autograd import checks

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("check, args, kwargs, expected", [
    (checks.integer, (np.int64(3),), {}, 3),
    (checks.integer, (0,), {"low": 0, "high": 0}, 0),
    (checks.positive_int, (np.uint8(7),), {}, 7),
    (checks.non_negative_int, (0,), {}, 0),
    (checks.real_number, (1,), {}, 1.0),
    (checks.real_number, (np.float32(0.5),), {"low": 0, "high": 1}, 0.5),
    (checks.real_number, (INF,), {"low": 0, "finite": False}, INF),
    (checks.probability, (0,), {}, 0.0),
    (checks.probability, (1.0,), {}, 1.0),
    (checks.boolean, (np.bool_(False),), {}, False),
    (checks.shape_tuple, (np.int32(4),), {}, (4,)),
    (checks.shape_tuple, ([2, np.int64(0)],), {}, (2, 0)),
    (checks.shape_tuple, ((),), {}, ()),
    (checks.float_dtype, ("float32",), {}, np.dtype(np.float32)),
    (checks.float_dtype, (None,), {"allow_none": True}, None),
])
def test_accepted_values_come_back_normalised(check, args, kwargs, expected):
    out = check(*args, "x", "op", **kwargs)
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize("check, value, kwargs, error, message", [
    # a wrong type: TypeError, whatever the value
    (checks.integer, 2.0, {}, TypeError, "op: x must be an int, got 2.0 (float); pass an int"),
    (checks.integer, True, {}, TypeError, "op: x must be an int, got True (bool); pass an int (bools are not ints)"),
    (checks.integer, np.bool_(True), {}, TypeError, "(bools are not ints)"),
    (checks.positive_int, "3", {}, TypeError, "op: x must be a positive int, got '3' (str); pass an int >= 1"),
    (checks.real_number, True, {}, TypeError, "op: x must be a number, got True (bool); pass a number"),
    (checks.real_number, 1j, {}, TypeError, "got 1j (complex)"),
    (checks.real_number, np.ones(2), {}, TypeError, "(ndarray)"),
    (checks.probability, None, {}, TypeError, "op: x must be a probability in [0, 1], got None (NoneType)"),
    (checks.boolean, 0, {}, TypeError, "op: x must be True or False, got 0 (int); pass True or False"),
    (checks.boolean, None, {}, TypeError, "got None (NoneType)"),
    (checks.one_of, 3, {"choices": ("a", "b")}, TypeError, "op: x must be one of 'a', 'b', got 3 (int)"),
    (checks.shape_tuple, "ab", {}, TypeError, "op: x must be an int or a tuple of ints, got 'ab' (str)"),
    (checks.shape_tuple, (2.0, 3), {}, TypeError, "got (2.0, 3) (tuple); pass e.g. (2, 3)"),
    (checks.shape_tuple, (True, 3), {}, TypeError, "must be an int or a tuple of ints"),
    (checks.float_dtype, np.int32, {}, TypeError, "op: x must be a numpy float dtype, got numpy.int32; pass np.float32"),
    (checks.float_dtype, None, {}, TypeError, "got None"),
    (checks.float_dtype, "foo", {}, TypeError, "got 'foo'"),
    # the right type, a wrong value: ValueError
    (checks.integer, 11, {"low": 0, "high": 10}, ValueError, "op: x must be an int in [0, 10], got 11; pass an int in"),
    (checks.positive_int, 0, {}, ValueError, "op: x must be a positive int, got 0; pass an int >= 1"),
    (checks.non_negative_int, -1, {}, ValueError, "op: x must be a non-negative int, got -1; pass an int >= 0"),
    (checks.real_number, NAN, {}, ValueError, "op: x must be a finite number, got nan"),
    (checks.real_number, NAN, {"finite": False}, ValueError, "got nan"),
    (checks.real_number, -INF, {}, ValueError, "op: x must be a finite number, got -inf"),
    (checks.real_number, 0.0, {"low": 0, "low_open": True}, ValueError, "op: x must be a number > 0, got 0.0"),
    (checks.real_number, 1.0, {"low": 0, "high": 1, "high_open": True}, ValueError, "must be a number in [0, 1), got 1.0"),
    (checks.real_number, 2, {"high": 1}, ValueError, "must be a number <= 1, got 2.0"),
    (checks.probability, 1.5, {}, ValueError, "op: x must be a probability in [0, 1], got 1.5; pass a number in [0, 1]"),
    (checks.probability, 1.0, {"high_open": True}, ValueError, "a probability in [0, 1), got 1.0"),
    (checks.one_of, "c", {"choices": ("a", "b")}, ValueError, "op: x must be one of 'a', 'b', got 'c'; pass one of those"),
    (checks.shape_tuple, (2, -1), {}, ValueError, "op: x must be a tuple of non-negative ints, got (2, -1)"),
])
def test_wrong_type_is_a_type_error_and_wrong_value_a_value_error(check, value, kwargs, error, message):
    if check is checks.one_of:
        with pytest.raises(error) as info:
            check(value, kwargs["choices"], "x", "op")
    else:
        with pytest.raises(error) as info:
            check(value, "x", "op", **kwargs)
    text = str(info.value)
    assert message in text
    head, _, fix = text.partition("; ")
    assert head.startswith("op: x ") and fix, "message form: 'op: what is wrong; how to fix'"


def test_hint_replaces_the_how_to_fix_part_and_numpy_scalars_show_as_numbers():
    with pytest.raises(ValueError, match=r"^f: n must be a positive int, got -2; use the batch size$"):
        checks.positive_int(np.int64(-2), "n", "f", hint="use the batch size")
    assert checks.show(np.float64(0.25)) == "0.25" and len(checks.show("y" * 500)) == 60
    assert checks.one_of(np.str_("sum"), ("mean", "sum"), "reduction", "f") == "sum"


def test_checks_import_nothing_from_nn():
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(checks))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"collections.abc", "math", "numbers", "numpy"}, imported     # (the standard library and numpy)


# --- the nn constructors that use them: one rule for the same mistake everywhere ------------------------

@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.Linear(2.0, 3), TypeError, "Linear: in_features must be a positive int, got 2.0 (float)"),
    (lambda: nn.Linear(True, 3), TypeError, "(bools are not ints)"),
    (lambda: nn.Linear(-3, 3), ValueError, "Linear: in_features must be a positive int, got -3; pass an int >= 1"),
    (lambda: nn.Linear(2, 3, bias="yes"), TypeError, "Linear: bias must be True or False"),
    (lambda: nn.BatchNorm1d(3, eps=NAN), ValueError, "BatchNorm1d: eps must be a finite number, got nan"),
    (lambda: nn.BatchNorm1d(3, affine=None), TypeError, "BatchNorm1d: affine must be True or False"),
    (lambda: nn.Dropout(NAN), ValueError, "Dropout: p must be a finite number, got nan"),
    (lambda: nn.Softmax(axis=1.0), TypeError, "Softmax: axis must be an int, got 1.0 (float)"),
    (lambda: nn.Flatten(start_dim="1"), TypeError, "Flatten: start_axis must be an int"),
    (lambda: nn.MSELoss(reduction=None), TypeError, "MSELoss: reduction must be one of 'mean', 'sum', 'none'"),
    (lambda: nn.SGD([nn.Parameter(np.ones(1))], lr="0.1"), TypeError, "SGD: lr must be a number >= 0, got '0.1'"),
    (lambda: nn.Adam([nn.Parameter(np.ones(1))], eps=INF), ValueError, "Adam: eps must be a finite number, got inf"),
    (lambda: nn.Adam([nn.Parameter(np.ones(1))], betas=(0.9, True)), TypeError, "Adam: betas[1] must be a number"),
    (lambda: nn.CosineAnnealingLR(nn.SGD([nn.Parameter(np.ones(1))], lr=1.0), T_max=0), ValueError,
     "CosineAnnealingLR: T_max must be a positive int, got 0"),
    (lambda: nn.init.zeros((2, 2.5)), TypeError, "zeros: shape must be an int or a tuple of ints"),
    (lambda: nn.init.normal((2,), std=-1), ValueError, "normal: std must be a number >= 0, got -1.0"),
    (lambda: nn.init.calculate_gain("leaky_relu", "0.2"), TypeError, "calculate_gain: param (negative_slope) must be"),
    (lambda: nn.init.uniform_(np.zeros(2), a=1.0, b=0.0), ValueError, "uniform_: need a <= b, got a=1.0, b=0.0; swap"),
    (lambda: nn.Linear(2, 2).train(1), TypeError, "Linear.train: mode must be True or False, got 1 (int)"),
    (lambda: nn.Linear(2, 2).to(np.int64), TypeError, "Linear.to: dtype must be a numpy float dtype, got numpy.int64"),
    (lambda: nn.Linear(2, 2).load_state_dict({}, strict="no"), TypeError,
     "Linear.load_state_dict: strict must be True or False"),
    (lambda: nn.Module().register_buffer(3, np.zeros(1)), TypeError, "Module.register_buffer: name must be a str"),
    (lambda: nn.metrics.confusion_matrix([0, 1], [0, 1], num_classes=2.0), TypeError,
     "confusion_matrix: num_classes must be a positive int, got 2.0 (float)"),
    (lambda: nn.metrics.to_labels(np.array([0.2, 0.7]), threshold="0.5"), TypeError,
     "to_labels: threshold must be a number, got '0.5' (str)"),
    (lambda: nn.utils.clip_grad_value_([], clip_value=-1), ValueError, "clip_grad_value_: clip_value must be a number >= 0"),
    (lambda: nn.utils.clip_grad_norm_([], max_norm=NAN), ValueError, "clip_grad_norm_: max_norm must be a finite number"),
    (lambda: nn.utils.clip_grad_norm_([], 1.0, error_if_nonfinite=None), TypeError,
     "clip_grad_norm_: error_if_nonfinite must be True or False"),
    (lambda: nn.save({"": np.zeros(1)}, "x.npz"), ValueError, "save: state keys must be non-empty strings, got ''"),
    (lambda: nn.save({"w": np.zeros(1)}, 3), TypeError, "save: path must be a str or os.PathLike, got int"),
    (lambda: nn.load(3), TypeError, "load: path must be a str or os.PathLike, got int"),
])
def test_nn_arguments_follow_the_rule(make, error, message):
    with pytest.raises(error) as info:
        make()
    assert message in str(info.value)
    assert "; " in str(info.value), "message form: 'op: what is wrong; how to fix'"


def test_max_norm_inf_measures_without_clipping():
    w = nn.Parameter(np.zeros(2))
    w.grad = np.array([3.0, 4.0])
    assert math.isclose(float(nn.utils.clip_grad_norm_([w], max_norm=INF)), 5.0)
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])


def test_a_refused_optimizer_load_is_a_value_error_even_for_a_wrong_type():
    p = nn.Parameter(np.ones(1))
    opt = nn.SGD([p], lr=0.1)
    state = opt.state_dict()
    state["param_groups"][0]["lr"] = "fast"
    with pytest.raises(ValueError, match="SGD.load_state_dict: SGD: lr must be a number >= 0, got 'fast'"):
        opt.load_state_dict(state)
    assert opt.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize("call, error, message", [
    (lambda t: t.sum(axis=1.5), TypeError, r"sum: axis must be None, an int or a tuple of ints, got 1.5"),
    (lambda t: t.softmax(axis="0"), TypeError, r"softmax: axis must be None, an int or a tuple of ints"),
    (lambda t: t.sum(axis=(0, True)), TypeError, r"sum: axis must be None, an int or a tuple of ints"),
    (lambda t: t.sum(axis=5), ValueError, r"sum: invalid axis 5 for 2 dimensions"),
    (lambda t: t.sum(axis=(0, 0)), ValueError, r"sum: invalid axis \(0, 0\)"),
])
def test_axes_follow_the_rule(call, error, message):
    from autograd import Tensor
    with pytest.raises(error, match=message):
        call(Tensor(np.ones((2, 3))))


@pytest.mark.parametrize("seed, error", [(1.5, TypeError), (True, TypeError), (-1, ValueError), (2 ** 32, ValueError)])
def test_manual_seed_follows_the_rule(seed, error):
    from autograd import manual_seed
    with pytest.raises(error, match=r"manual_seed: seed must be .*; pass an int in \[0, 2\*\*32\)"):
        manual_seed(seed)
