"""autograd.testing.check_backward: passes a right function, and for each kind of student mistake fails
with a message that says in words what is wrong and where."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograd import Tensor
from autograd.testing import CheckFailed, check_backward

SHAPES = ((4, 2), (4, 3), (3, 2))        # grad_out, x, w of y = x @ w; batch size 4


def linear_backward(grad_out, x, w):
    """The reference: gradients of y = x @ w with respect to x and w."""
    return grad_out @ w.T, x.T @ grad_out


def mean_squared_error(pred, target):
    return np.mean((pred - target) ** 2)


def mse_gradient(pred, target):
    return 2 * (pred - target) / pred.size


def student_calling_a_helper(grad_out, x, w):
    return helper_with_a_bug(grad_out, w), x.T @ grad_out


def helper_with_a_bug(grad_out, w):
    return grad_out @ w                  # the student's line: w should be transposed


def not_done_yet(grad_out, x, w):
    # YOUR CODE HERE
    raise NotImplementedError()


# (mistake, student_fn, reference_fn, inputs, fragments the message must contain, in order)
MISTAKES = [
    ("returns None", lambda g, x, w: None, linear_backward, SHAPES,
     ["returned None, expected a tuple of 2 arrays", "did you forget `return`?"]),
    ("returns a list", lambda g, x, w: [g @ w.T, x.T @ g], linear_backward, SHAPES,
     ["returned a list, expected a tuple of 2 arrays", "`return a, b`"]),
    ("one array for two", lambda g, x, w: g @ w.T, linear_backward, SHAPES,
     ["returned a single array of shape (4, 3), expected a tuple of 2 arrays"]),
    ("three outputs for two", lambda g, x, w: (g @ w.T, x.T @ g, g), linear_backward, SHAPES,
     ["returned 3 outputs, expected 2"]),
    ("tuple for one", lambda p, t: (mse_gradient(p, t),), mse_gradient, ((5,), (5,)),
     ["returned a tuple of 1, expected one array of shape (5,)"]),
    ("an output is None", lambda g, x, w: (g @ w.T, None), linear_backward, SHAPES,
     ["output 1 (of 2) is None, expected an array of shape (3, 2)"]),
    ("an output is a list", lambda g, x, w: (g @ w.T, (x.T @ g).tolist()), linear_backward, SHAPES,
     ["output 1 (of 2) is a list, expected a numpy array of shape (3, 2)", "np.array(...)"]),
    ("an output is a string", lambda p, t: "2 (p - t) / n", mse_gradient, ((5,), (5,)),
     ["the result is a str, expected a numpy array of shape (5,)"]),
    ("transposed shape", lambda g, x, w: (g @ w.T, g.T @ x), linear_backward, SHAPES,
     ["output 1 (of 2) has shape (2, 3), expected (3, 2)", "looks transposed"]),
    ("summed over everything", lambda x: x.sum(), lambda x: x.sum(axis=0), ((3, 4),),
     ["the result has shape (), expected (4,)", "sum (or average) over everything"]),
    ("forgot to sum a bias gradient", lambda g: g, lambda g: g.sum(axis=0), ((4, 3),),
     ["the result has shape (4, 3), expected (3,)", "forget to sum over the batch axis"]),
    ("lost keepdims", lambda x: x.sum(axis=1), lambda x: x.sum(axis=1, keepdims=True), ((3, 2),),
     ["the result has shape (3,), expected (3, 1)", "keepdims=True"]),
    ("wrong float dtype", lambda g, x, w: (g @ w.T, (x.T @ g).astype(np.float32)), linear_backward, SHAPES,
     ["output 1 (of 2) has dtype float32, expected float64"]),
    ("integer result", lambda x: np.zeros(x.shape, dtype=int), lambda x: np.zeros_like(x), ((3,),),
     ["the result has dtype int64, expected float64"]),
    ("NaN from a log", lambda p, t: np.log(p - 100), mse_gradient, ((5,), (5,)),
     ["the result has NaN at [0] (5 of 5 elements)", "stable formula"]),
    ("inf from a division", lambda p, t: mse_gradient(p, t) / 0.0, mse_gradient, ((5,), (5,)),
     ["the result has -inf at [0]"]),   # (a negative gradient over 0)
    ("-inf from a log of 0", lambda x: np.log(x * 0.0), lambda x: x, (np.array([1.0, 2.0]),),
     ["the result has -inf at [0]"]),
    ("zeros and roundoff", lambda x: np.array([1e-17, 0, 0, 0, 0]), lambda x: 2 * np.ones(5), ((5,),),
     ["the result is wrong at element [0]", "hint: your result is all zeros"]),
    ("a wrong single number", lambda x: float(x.sum()) + 1.0, lambda x: float(x.sum()), ((3,),),
     ["the result is wrong: expected"]),
    ("divided by the batch size twice", lambda g, x, w: (g @ w.T / 4, x.T @ g), linear_backward, SHAPES,
     ["output 0 (of 2) is wrong at element [0, 0]: expected", "(12 of 12 elements wrong)",
      "hint: your result is 4 times too small: did you divide by the batch size (4) once too often?"]),
    ("forgot to divide by the batch size", lambda p, t: np.sum((p - t) ** 2), mean_squared_error,
     ((8,), (8,)), ["the result is wrong: expected",
                    "hint: your result is 8 times too large: did you forget to divide by the batch size (8)?"]),
    ("another factor", lambda g, x, w: (2.5 * (g @ w.T), x.T @ g), linear_backward, SHAPES,
     ["hint: your result is 2.5 times too large"]),
    ("sign flipped", lambda p, t: 2 * (t - p) / p.size, mse_gradient, ((5,), (5,)),
     ["the result is wrong at element [0]", "hint: the sign is flipped"]),
    ("transposed values", lambda x: (x @ np.diag([1.0, 2.0, 3.0])).T, lambda x: x @ np.diag([1.0, 2.0, 3.0]),
     ((3, 3),), ["the result is wrong at element [0, 1]", "hint: looks transposed"]),
    ("off by a constant", lambda p, t: mse_gradient(p, t) + 1, mse_gradient, ((5,), (5,)),
     ["hint: every element is off by the same constant (+1)"]),
    ("all zeros", lambda g, x, w: (np.zeros_like(x), x.T @ g), linear_backward, SHAPES,
     ["output 0 (of 2) is wrong at element [0, 0]", "got 0.0", "hint: your result is all zeros"]),
    ("one column wrong", lambda g, x, w: (g @ w.T, (x.T @ g) * [1, 0]), linear_backward, SHAPES,
     ["output 1 (of 2) is wrong at element [0, 1]", "(3 of 6 elements wrong)",
      "hint: all the wrong elements are in column 1"]),
    ("exception in the student's code", student_calling_a_helper, linear_backward, SHAPES,
     ["check failed: student_calling_a_helper raised ValueError: matmul",
      "at test_check_backward.py, line", "return grad_out @ w  ", "inputs: shapes (4, 2), (4, 3), (3, 2)"]),
    ("not done yet", not_done_yet, linear_backward, SHAPES,
     ["not done yet: not_done_yet still raises NotImplementedError"]),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")        # the NaN and inf students' own warnings
@pytest.mark.parametrize("mistake, student_fn, reference_fn, inputs, fragments", MISTAKES,
                         ids=[row[0] for row in MISTAKES])
def test_each_mistake_is_said_in_words(mistake, student_fn, reference_fn, inputs, fragments, capsys):
    with pytest.raises(AssertionError) as failure:
        check_backward(student_fn, reference_fn, *inputs)
    message = str(failure.value)
    position = 0
    for fragment in fragments:
        found = message.find(fragment, position)
        assert found >= 0, f"{fragment!r} missing (or out of order) in:\n{message}"
        position = found + len(fragment)
    assert failure.value.__cause__ is None and failure.value.__suppress_context__   # no student traceback
    assert "check passed" not in capsys.readouterr().out


def test_a_wrong_value_without_a_pattern_gets_no_made_up_hint():
    with pytest.raises(AssertionError) as failure:
        check_backward(lambda p, t: mean_squared_error(p, t) * 1.37, mean_squared_error, (6,), (6,), name="mse")
    message = str(failure.value)
    assert message.startswith("check failed: mse: the result is wrong: expected ")
    assert "hint" not in message


@pytest.mark.parametrize("student_fn, inputs", [
    (linear_backward, SHAPES),
    (lambda g, x, w: (Tensor(g @ w.T), Tensor(x.T @ g)), SHAPES),        # Tensors are compared by their data
    (lambda p, t: float(mean_squared_error(p, t)), ((7,), (7,))),        # a Python float for a 0-d result
])
def test_a_right_function_passes_and_says_so(student_fn, inputs, capsys):
    reference = linear_backward if len(inputs) == 3 else mean_squared_error
    assert check_backward(student_fn, reference, *inputs, name="exercise 1") is True
    assert capsys.readouterr().out == "check passed: exercise 1\n"


def test_the_name_defaults_to_the_function_name_and_the_hint_is_added(capsys):
    check_backward(mse_gradient, mse_gradient, (3,), (3,))
    assert capsys.readouterr().out == "check passed: mse_gradient\n"
    with pytest.raises(AssertionError) as failure:
        check_backward(not_done_yet, linear_backward, *SHAPES, hint="dL/dx = dL/dy @ W.T")
    assert str(failure.value).endswith("\n  teacher's hint: dL/dx = dL/dy @ W.T")


def test_tolerances_are_forwarded():
    slightly_off = lambda p, t: mse_gradient(p, t) * (1 + 1e-4)
    with pytest.raises(AssertionError):
        check_backward(slightly_off, mse_gradient, (5,), (5,))
    assert check_backward(slightly_off, mse_gradient, (5,), (5,), rtol=1e-3)


def test_each_trial_draws_new_inputs_from_the_seed():
    seen = []
    record = lambda x: seen.append(x.copy()) or x
    check_backward(record, lambda x: x, (2,), trials=4, rng=7)
    assert len(seen) == 4 and len({tuple(x) for x in seen}) == 4
    again = []
    check_backward(lambda x: again.append(x.copy()) or x, lambda x: x, (2,), trials=4, rng=7)
    np.testing.assert_array_equal(seen, again)


def test_a_student_right_only_on_some_inputs_is_caught_on_a_later_trial():
    relu_grad = lambda g, x: g * (x > 0)
    lucky = lambda g, x: g if x[0] < 0 else g * (x > 0)        # forgets the mask when x[0] < 0
    with pytest.raises(AssertionError, match=r"\(trial [2-9] of 20\)"):
        check_backward(lucky, relu_grad, (1,), (1,), trials=20, rng=1)   # x > 0 on trial 1, < 0 on 2


def test_arrays_are_passed_as_is_and_each_function_gets_a_copy():
    x = np.array([1.0, -2.0, 3.0])

    def reference_that_clobbers_its_input(x):
        out = x.copy()
        x[...] = 0                         # without copies the student would see zeros
        return out

    assert check_backward(lambda x: x.copy(), reference_that_clobbers_its_input, x)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])


def test_numbers_pass_unchanged_and_generators_as_identical_copies():
    def he_init(fan_in, fan_out, rng):
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))

    def xavier_init(fan_in, fan_out, rng):
        return rng.normal(0.0, np.sqrt(1.0 / fan_in), size=(fan_in, fan_out))

    generator = np.random.default_rng(3)
    assert check_backward(he_init, he_init, 4, 3, generator, name="He")
    with pytest.raises(AssertionError, match=r"1.414 times too small"):
        check_backward(xavier_init, he_init, 4, 3, generator, name="He")


@pytest.mark.parametrize("call, error, words", [
    (lambda: check_backward(mse_gradient(np.ones(2), np.zeros(2)), mse_gradient, (2,), (2,)),
     TypeError, "check_backward: student_fn must be a function, got ndarray"),
    (lambda: check_backward(mse_gradient, None, (2,)), TypeError, "reference_fn must be a function"),
    (lambda: check_backward(mse_gradient, mse_gradient, (2,), (2,), trials=0), ValueError, "trials must be"),
    (lambda: check_backward(mse_gradient, mse_gradient, (2,), (2,), trials="3"), TypeError, "trials must be an int"),
    (lambda: check_backward(mse_gradient, mse_gradient, (2, 1.5), (2,)), ValueError, "non-negative ints"),
    (lambda: check_backward(mse_gradient, lambda p, t: "x", (2,), (2,)), TypeError,
     "reference_fn returned str"),
])
def test_calling_the_check_wrongly_is_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_autograd_testing_imports_without_hypothesis():
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"          # as if not installed
        "import numpy as np\n"
        "from autograd.testing import check_backward, tensors\n"
        "assert check_backward(np.tanh, np.tanh, (3,), name='tanh')\n"
        "try:\n"
        "    tensors()\n"
        "except ImportError:\n"
        "    print('strategies need hypothesis')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "check passed: tanh\nstrategies need hypothesis\n"



def test_a_student_changing_a_tensor_in_place_does_not_reach_the_reference():
    from autograd import Tensor
    seen = []

    def student(t):
        t.data[...] = -2.0                      # an in-place slip
        return t.data

    def reference(t):
        seen.append(t.data.copy())
        return t.data * 0 - 2.0

    check_backward(student, reference, Tensor(np.array([1.0, 2.0, 3.0])), name="in place")
    for values in seen:
        np.testing.assert_array_equal(values, [1.0, 2.0, 3.0])


def test_a_failed_check_shows_no_labgrad_frames_in_jupyter():
    failure = None
    try:
        check_backward(lambda x: -x, lambda x: x, (3,), name="flip")
    except CheckFailed as error:
        failure = error
    shown = "\n".join(failure._render_traceback_())        # what IPython prints for an error cell
    assert shown.startswith("CheckFailed: check failed: flip:") and "the sign is flipped" in shown
    assert "testing.py" not in shown and "Traceback" not in shown
    assert isinstance(failure, AssertionError)             # pytest and plain `assert` users still see an assertion
