"""The hypothesis strategies of autograd.testing draw what they promise, check_gradients
catches a wrong backward and passes a right one, and check_forward_mode does the same for jvp rules."""
import numpy as np
import pytest
from hypothesis import find, given, strategies as st

from autograd import GradcheckError, Tensor
from autograd.function import Function
from autograd.testing import broadcastable_shapes, check_forward_mode, check_gradients, tensors, valid_axes


# --- tensors -----------------------------------------------------------------------------

@given(tensors((2, 3), dtype=np.float32))
def test_tensors_fixed_shape_and_float32(x):
    assert isinstance(x, Tensor) and x.shape == (2, 3) and x.dtype == np.float32 and x.requires_grad
    assert np.isfinite(x.data).all() and (np.abs(x.data) <= 10).all()


@given(tensors())
def test_tensors_default_values_are_finite_and_bounded(x):
    assert x.dtype == np.float64 and 0 <= x.ndim <= 3 and all(1 <= n <= 4 for n in x.shape)
    assert np.isfinite(x.data).all() and (np.abs(x.data) <= 10).all()


@given(tensors(st.sampled_from([(1,), (2, 2)]), elements=st.floats(1, 2), requires_grad=False))
def test_tensors_shape_strategy_elements_and_requires_grad(x):
    assert x.shape in [(1,), (2, 2)] and not x.requires_grad
    assert ((1 <= x.data) & (x.data <= 2)).all()


@given(tensors(min_dims=2, max_dims=2, min_side=3, max_side=5), tensors(4))
def test_tensors_dims_and_sides(x, v):
    assert x.ndim == 2 and all(3 <= n <= 5 for n in x.shape)
    assert v.shape == (4,)


@given(tensors([3], dtype=np.int32, requires_grad=False), tensors(2, dtype=bool, requires_grad=False))
def test_tensors_other_dtypes(i, b):
    assert i.dtype == np.int32 and i.shape == (3,) and (np.abs(i.data) <= 10).all()
    assert b.dtype == bool and b.shape == (2,)


def test_tensors_refuse_grad_for_integer_dtypes():
    with pytest.raises(ValueError, match="int64 cannot require grad"):
        tensors(dtype=np.int64)


def test_tensors_reach_0d_and_size_1_axes():
    assert find(tensors(), lambda t: t.ndim == 0).shape == ()
    assert 1 in find(tensors(min_dims=2), lambda t: 1 in t.shape).shape


# --- broadcastable_shapes ------------------------------------------------------------------

@given(broadcastable_shapes())
def test_pairs_broadcast(shapes):
    a, b = shapes
    assert (np.zeros(a) + np.zeros(b)).shape == np.broadcast_shapes(a, b)


@given(broadcastable_shapes(3, max_dims=2, max_side=3))
def test_triples_broadcast_within_limits(shapes):
    assert len(shapes) == 3
    np.broadcast_shapes(*shapes)         # raises if they do not broadcast
    assert all(len(s) <= 2 and all(1 <= n <= 3 for n in s) for s in shapes)


def test_broadcastable_shapes_reach_the_interesting_cases():
    assert () in find(broadcastable_shapes(), lambda s: () in s)
    a, b = find(broadcastable_shapes(), lambda s: len(s[0]) != len(s[1]))
    assert len(a) != len(b)
    stretched = find(broadcastable_shapes(min_dims=1),
                     lambda s: any(n == 1 and m > 1 for n, m in zip(s[0][::-1], s[1][::-1])))
    assert 1 in stretched[0]


# --- valid_axes ----------------------------------------------------------------------------

@given(st.data(), st.integers(0, 4))
def test_valid_axes_are_accepted_by_numpy(data, ndim):
    axis = data.draw(valid_axes(ndim))
    shape = (2,) * ndim
    np.sum(np.zeros(shape), axis=axis)   # raises on an invalid axis
    if isinstance(axis, int):
        assert -ndim <= axis < ndim
    elif axis is not None:
        assert len({a % ndim for a in axis}) == len(axis)


@given(valid_axes(3, allow_none=False, allow_tuple=False))
def test_valid_axes_ints_only(axis):
    assert isinstance(axis, int) and -3 <= axis < 3


def test_valid_axes_reach_none_negative_ints_and_tuples():
    assert find(valid_axes(2), lambda a: a is None) is None
    assert find(valid_axes(2), lambda a: isinstance(a, int) and a < 0) < 0
    assert len(find(valid_axes(3), lambda a: isinstance(a, tuple) and len(a) == 2)) == 2
    assert find(valid_axes(0), lambda a: a is not None) == ()


def test_valid_axes_rejects_an_impossible_request():
    with pytest.raises(ValueError, match="ndim=0"):
        valid_axes(0, allow_none=False, allow_tuple=False)


# --- check_gradients -----------------------------------------------------------------------

class Cube(Function):
    name = "cube"

    def forward(self, x):
        return x ** 3

    def backward(self, g, out, x):
        return (g * 3 * x * x,)


class WrongCube(Cube):
    def backward(self, g, out, x):
        return (g * 2 * x * x,)               # wrong: d(x^3)/dx is 3 x^2


class AbsWrongForNegatives(Function):
    name = "bad_abs"

    def forward(self, x):
        return np.abs(x)

    def backward(self, g, out, x):
        return (g,)                          # right only where x > 0


def test_check_gradients_passes_a_correct_op():
    assert check_gradients(lambda x: Cube.apply(x), tensors(), max_examples=10) is None
    check_gradients(lambda x, y: (x * y).tanh(), tensors((3,)), tensors((3,)), max_examples=10)


def test_check_gradients_catches_a_wrong_backward_and_shows_the_example():
    with pytest.raises(GradcheckError) as info:
        check_gradients(lambda x: WrongCube.apply(x), tensors(), max_examples=10)
    # hypothesis attaches the shrunk example as a note ("Falsifying example" / "Failing test case")
    notes = getattr(info.value, "__notes__", [])
    assert any("check_gradients_of(" in note and "inputs=(Tensor(" in note for note in notes), notes


def test_check_gradients_finds_inputs_where_a_backward_is_wrong():
    positive = st.floats(0.5, 10)
    check_gradients(lambda x: AbsWrongForNegatives.apply(x), tensors(elements=positive), max_examples=10)
    with pytest.raises(GradcheckError):
        check_gradients(lambda x: AbsWrongForNegatives.apply(x),
                        tensors(elements=st.floats(-10, -0.5) | positive), max_examples=50)


def test_check_gradients_forwards_gradcheck_tolerances():
    class SlightlyOff(Cube):
        def backward(self, g, out, x):
            return (g * 3.03 * x * x,)       # 1% too large
    nonzero = st.floats(0.5, 2)
    check_gradients(lambda x: SlightlyOff.apply(x), tensors(elements=nonzero), max_examples=5, rtol=0.05)
    with pytest.raises(GradcheckError):
        check_gradients(lambda x: SlightlyOff.apply(x), tensors(elements=nonzero), max_examples=5)


def test_check_gradients_runs_at_most_max_examples():
    seen = []
    check_gradients(lambda x: x * x, tensors().map(lambda t: seen.append(t) or t), max_examples=7)
    assert 1 <= len(seen) <= 7


# --- check_forward_mode --------------------------------------------------------------------

class CubeWithJvp(Cube):
    def jvp(self, i, dx, out, x):
        return 3 * x * x * dx


class CubeWrongJvp(Cube):
    name = "cube_wrong_jvp"

    def jvp(self, i, dx, out, x):
        return 2 * x * x * dx                # wrong: d(x^3) = 3 x^2 dx


class CubeWithJvpWrongBackward(CubeWithJvp):
    def backward(self, g, out, x):
        return (g * 2 * x * x,)              # wrong, the jvp rule right


class CubeJvpOffByRoundingNoise(Cube):
    def jvp(self, i, dx, out, x):
        return 3.0000001 * x * x * dx        # 3e-8 relative: far below finite differences' reach


class AbsJvpWrongForNegatives(AbsWrongForNegatives):
    def backward(self, g, out, x):
        return (g * np.sign(x),)

    def jvp(self, i, dx, out, x):
        return dx                            # right only where x > 0


def test_check_forward_mode_passes_right_rules():
    assert check_forward_mode(lambda x: CubeWithJvp.apply(x), tensors(), max_examples=10) is None
    check_forward_mode(lambda x, y: (CubeWithJvp.apply(x) * y).tanh() + y.exp(), tensors((2, 3)), tensors((3,)),
                       max_examples=10)


def test_check_forward_mode_catches_a_wrong_jvp_and_shows_the_example():
    with pytest.raises(GradcheckError, match="forward-mode and numerical derivatives differ") as info:
        check_forward_mode(lambda x: CubeWrongJvp.apply(x), tensors(elements=st.floats(0.5, 2)), max_examples=10)
    assert "the suspect is the jvp rule" in str(info.value)
    notes = getattr(info.value, "__notes__", [])
    assert any("check_forward_mode_of(" in note and "inputs=(Tensor(" in note for note in notes), notes


def test_check_forward_mode_catches_a_rule_off_by_less_than_finite_differences_can_see():
    nonzero = st.floats(0.5, 2)
    check_gradients(lambda x: CubeJvpOffByRoundingNoise.apply(x), tensors(elements=nonzero), max_examples=5)
    with pytest.raises(GradcheckError, match="forward and reverse mode disagree"):
        check_forward_mode(lambda x: CubeJvpOffByRoundingNoise.apply(x), tensors(elements=nonzero), max_examples=5)


def test_check_forward_mode_catches_a_wrong_backward_too():
    with pytest.raises(GradcheckError, match="the suspect is the backward"):
        check_forward_mode(lambda x: CubeWithJvpWrongBackward.apply(x),
                           tensors(elements=st.floats(0.5, 2)), max_examples=10)


def test_check_forward_mode_finds_inputs_where_a_rule_is_wrong():
    positive = st.floats(0.5, 10)
    check_forward_mode(lambda x: AbsJvpWrongForNegatives.apply(x), tensors(elements=positive), max_examples=10)
    with pytest.raises(GradcheckError):
        check_forward_mode(lambda x: AbsJvpWrongForNegatives.apply(x),
                           tensors(elements=st.floats(-10, -0.5) | positive), max_examples=50)


def test_check_forward_mode_names_an_op_without_a_jvp_rule():
    with pytest.raises(NotImplementedError, match="forward mode through 'cube': Cube has no jvp rule"):
        check_forward_mode(lambda x: Cube.apply(x), tensors(), max_examples=5)


def test_check_forward_mode_forwards_gradcheck_tolerances():
    class SlightlyOffJvp(Cube):
        def jvp(self, i, dx, out, x):
            return 3.03 * x * x * dx         # 1% too large
    nonzero = st.floats(0.5, 2)
    with pytest.raises(GradcheckError, match="forward-mode and numerical derivatives differ"):
        check_forward_mode(lambda x: SlightlyOffJvp.apply(x), tensors(elements=nonzero), max_examples=5)
    with pytest.raises(GradcheckError, match="forward and reverse mode disagree"):      # the identity is exact
        check_forward_mode(lambda x: SlightlyOffJvp.apply(x), tensors(elements=nonzero), max_examples=5, rtol=0.05)


def test_check_forward_mode_runs_at_most_max_examples_and_calls_fn_four_times_each():
    seen, calls = [], []

    def fn(x):
        calls.append(1)
        return CubeWithJvp.apply(x)

    check_forward_mode(fn, tensors((3, 3)).map(lambda t: seen.append(t) or t), max_examples=7)
    assert 1 <= len(seen) <= 7
    assert len(calls) == 4 * len(seen)      # output, forward pass, two differences: not two per element


def test_check_forward_mode_sets_the_modes_itself():
    with pytest.raises(TypeError, match="check_forward_mode: check_backward_ad is set by check_forward_mode"):
        check_forward_mode(lambda x: x * x, tensors(), check_backward_ad=True)
