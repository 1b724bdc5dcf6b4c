"""gradcheck, numerical_gradient, and higher-order gradients against finite differences."""
import re

import numpy as np
import pytest

import autograd
from autograd import GradcheckError, Tensor, gradcheck, grad, numerical_gradient
from autograd.function import Function


class WrongSquare(Function):
    """x**2 with a backward that forgets the factor 2."""
    name = "wrong_square"

    def forward(self, a):
        return a * a

    def backward(self, g, out, a):
        return (g * a,)


class ForgetsSecondInput(Function):
    """a * b whose backward claims b gets no gradient."""
    name = "forgets_b"

    def forward(self, a, b):
        return a * b

    def backward(self, g, out, a, b):
        return g * b, None


def _floats_after(word, message):
    """The plain number printed after ``word`` (no ``np.float64(...)`` around it)."""
    m = re.search(word + r" (-?(?:[0-9.]+(?:e[-+][0-9]+)?|nan|inf))(?=[ ,;)]|$)", message)
    assert m, f"no plain number after {word!r} in {message!r}"
    return float(m.group(1))


# --- gradcheck -----------------------------------------------------------------------------

CORRECT_FUNCTIONS = {
    "broadcasting arithmetic": (lambda a, b: (a * b + a / (b * b + 1.0)) ** 2, [(2, 3), (3,)]),
    "activations": (lambda a: a.tanh() * a.sigmoid() + a.exp() * 0.1, [(4,)]),
    "softmax cross-entropy": (lambda z: -z.log_softmax(axis=1)[np.arange(3), [0, 2, 1]].mean(), [(3, 4)]),
    "matmul chain": (lambda x, w, b: (x @ w + b).tanh() @ w.T, [(2, 3), (3, 3), (3,)]),
    "reductions": (lambda a: a.var(axis=0) + a.logsumexp(axis=0) + a.mean(), [(5, 2)]),
    "shape ops": (lambda a: autograd.stack([a.T, a.T * 2], axis=1).reshape(3, -1)[1:], [(2, 3)]),
}


@pytest.mark.parametrize("name", CORRECT_FUNCTIONS)
def test_gradcheck_passes_correct_functions(name):
    fn, shapes = CORRECT_FUNCTIONS[name]
    rng = np.random.default_rng(0)
    inputs = [Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(fn, *inputs) is True


def test_gradcheck_reports_input_index_element_and_values():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = np.zeros((2, 3))
    b[1] = [1.5, -2.0, 0.5]                           # row 0 is 0: there the wrong grad is right too
    y = Tensor(b, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda u, v: u.sum() + WrongSquare.apply(v), x, y)
    message = str(info.value)
    assert "input 1" in message and "(1, 0)" in message
    analytic, numeric = _floats_after("analytic", message), _floats_after("numeric", message)
    assert numeric != 0 and numeric == pytest.approx(2 * analytic, rel=1e-6)   # the missing factor 2
    assert "3 of 6" in message                        # how many elements are wrong


class NanGradient(Function):
    """Identity whose backward returns nan."""
    name = "nan_gradient"

    def forward(self, a):
        return a.copy()

    def backward(self, g, out, a):
        return (g * np.nan,)


WRONG_GRADIENTS = {  # fn, input, output shape, (analytic, numeric) at index 0 of the projection on v
    "scalar output": (lambda t: WrongSquare.apply(t).sum(), [3.0, 1.0], (), lambda v, x: (v * x[0], 2 * v * x[0])),
    "vector output": (lambda t: WrongSquare.apply(t), [3.0, 1.0], (2,), lambda v, x: (v[0] * x[0], 2 * v[0] * x[0])),
    "nan gradient": (lambda t: NanGradient.apply(t), [3.0, 1.0], (2,), lambda v, x: (np.nan, v[0])),
}


@pytest.mark.parametrize("name", WRONG_GRADIENTS)
def test_gradcheck_message_prints_plain_numbers_and_says_they_are_projections(name):
    fn, data, out_shape, expected = WRONG_GRADIENTS[name]
    with pytest.raises(GradcheckError) as info:
        gradcheck(fn, Tensor(data, requires_grad=True), seed=3)
    message = str(info.value)
    assert "np.float" not in message and "input 0 (shape (2,))" in message and "index (0,)" in message
    assert "projected on a random vector v (seed=3)" in message and "sum(fn(*inputs) * v)" in message
    # the printed analytic value really is the gradient of the projection on v, not fn's own gradient
    v = np.random.default_rng(3).standard_normal(out_shape)
    analytic, numeric = expected(v, data)
    np.testing.assert_allclose(_floats_after("analytic", message), analytic, rtol=1e-7)
    np.testing.assert_allclose(_floats_after("numeric", message), numeric, rtol=1e-6)


def test_gradcheck_catches_a_missing_gradient():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, -4.0], requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 1 .*index \(0,\)"):
        gradcheck(lambda u, v: ForgetsSecondInput.apply(u, v), a, b)
    assert gradcheck(lambda u, v: ForgetsSecondInput.apply(u, v), a, Tensor([3.0, -4.0])) is True


def test_gradcheck_checks_every_jacobian_entry():
    # only the off-diagonal mixing is wrong: a sum-only check (u = ones) would still pass
    class WrongSwap(Function):
        name = "wrong_swap"

        def forward(self, a):
            return a[::-1].copy()

        def backward(self, g, out, a):
            return (g,)                               # should be g[::-1]

    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(GradcheckError, match="gradients differ at index"):
        gradcheck(lambda t: WrongSwap.apply(t), x)


def test_gradcheck_runs_in_float64_for_float32_inputs():
    seen = []

    def fn(t):
        seen.append(t.dtype)
        return (t * t * t).exp().sum()                # eps=1e-6 is below float32 resolution

    data = np.array([0.3, -0.7, 1.1], dtype=np.float32)
    x = Tensor(data, requires_grad=True)
    assert gradcheck(fn, x) is True
    assert seen and all(d == np.float64 for d in seen)


def test_gradcheck_does_not_modify_the_callers_tensors():
    data = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    original = data.copy()
    x = Tensor(data, requires_grad=True)
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert gradcheck(lambda a, b: (a @ b).sigmoid(), x, w)
    assert x.data is data and x.dtype == np.float32
    np.testing.assert_array_equal(x.data, original)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    assert x.grad is None and w.grad is None and x.op is None and x.requires_grad


def test_gradcheck_works_inside_no_grad():
    # (it once saw no graph there: the analytic gradients were all zeros and every check failed)
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    with autograd.no_grad():
        assert gradcheck(lambda t: (t * t).exp(), x, check_forward_ad=True)
        with pytest.raises(GradcheckError, match="analytic 0.37719066 vs numeric 0.75438133"):
            gradcheck(lambda t: WrongSquare.apply(t), Tensor([3.0], requires_grad=True))
        assert not autograd.is_grad_enabled()


def test_gradcheck_keeps_integer_and_bool_inputs_as_they_are():
    # indices and masks are not cast to float64 (an index array of floats is no index)
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    assert gradcheck(lambda t, i: t[i] * t[i], x, np.array([0, 2, 2]))
    assert gradcheck(lambda t, m: t[m].exp(), x, Tensor(np.array([True, False, True])))


def test_gradcheck_bad_usage():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2, Tensor([1.0]))
    with pytest.raises(TypeError, match="Tensor"):
        gradcheck(lambda t: 1.0, Tensor([1.0], requires_grad=True))


# --- numerical_gradient ------------------------------------------------------------------------

def test_numerical_gradient_of_a_quadratic_matches_analytic():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 4))
    b = rng.standard_normal(4)
    x = rng.standard_normal(4)
    x_before = x.copy()
    seen = []

    def f(v):
        seen.append(type(v))
        return v @ a @ v + b @ v

    numeric = numerical_gradient(f, x)
    np.testing.assert_allclose(numeric, (a + a.T) @ x + b, rtol=1e-7, atol=1e-8)
    np.testing.assert_array_equal(x, x_before)        # every perturbation was undone
    assert seen and all(t is np.ndarray for t in seen)
    assert len(seen) == 2 * x.size                    # central differences: two calls per element


def test_numerical_gradient_like_eval_numerical_gradient_of_the_seeds():
    # the seeds' usage: eval_numerical_gradient(lambda x: layer.forward(x).mean(), x=points)
    points = np.linspace(-1, 1, 10 * 4).reshape([10, 4])
    points_before = points.copy()
    numeric = numerical_gradient(lambda x: np.maximum(x, 0).mean(), x=points)
    analytic = (points > 0) / points.size
    assert numeric.shape == points.shape
    np.testing.assert_allclose(numeric, analytic, rtol=1e-3, atol=0)
    np.testing.assert_array_equal(points, points_before)


def test_numerical_gradient_agrees_with_backward():
    x = np.array([[0.2, -0.4, 1.3], [0.7, 0.0, -2.0]])
    t = Tensor(x.copy(), requires_grad=True)
    (t.tanh() * t).softmax(axis=1)[:, 0].sum().backward()
    numeric = numerical_gradient(lambda v: (Tensor(v).tanh() * Tensor(v)).softmax(axis=1)[:, 0].sum().item(), x)
    np.testing.assert_allclose(numeric, t.grad, rtol=1e-6, atol=1e-9)


def test_numerical_gradient_rejects_integer_arrays():
    with pytest.raises(TypeError, match="float"):
        numerical_gradient(lambda v: v.sum(), np.array([1, 2]))


# --- higher order against finite differences ---------------------------------------------------

def _mlp_params(rng):
    return [Tensor(rng.standard_normal((5, 4)) * 0.5, requires_grad=True),
            Tensor(rng.standard_normal(4) * 0.1, requires_grad=True),
            Tensor(rng.standard_normal((4, 3)) * 0.5, requires_grad=True),
            Tensor(rng.standard_normal(3) * 0.1, requires_grad=True)]


def _mlp_loss(params, x, y, hidden):
    w1, b1, w2, b2 = params
    h = getattr(x @ w1 + b1, hidden)()
    logits = h @ w2 + b2
    return -logits.log_softmax(axis=1)[np.arange(len(y)), y].mean()


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid"])
def test_hessian_vector_product_of_mlp_cross_entropy_matches_finite_differences(hidden):
    rng = np.random.default_rng(42)
    x = Tensor(rng.standard_normal((6, 5)))
    y = np.array([0, 2, 1, 1, 0, 2])
    params = _mlp_params(rng)
    vs = [rng.standard_normal(p.shape) for p in params]

    loss = _mlp_loss(params, x, y, hidden)
    grads = grad(loss, params, create_graph=True)
    assert all(g.requires_grad for g in grads)
    gv = sum((g * v).sum() for g, v in zip(grads, vs))
    hvp = [h.data for h in grad(gv, params)]

    def gradient_at(shift):
        shifted = [Tensor(p.data + shift * v, requires_grad=True) for p, v in zip(params, vs)]
        return [g.data for g in grad(_mlp_loss(shifted, x, y, hidden), shifted)]

    eps = 1e-5
    plus, minus = gradient_at(eps), gradient_at(-eps)
    for h, gp, gm in zip(hvp, plus, minus):
        np.testing.assert_allclose(h, (gp - gm) / (2 * eps), rtol=1e-5, atol=1e-8)
    assert any(np.abs(h).max() > 1e-3 for h in hvp)   # not trivially zero
    assert all(p.grad is None for p in params)


def test_gradient_of_the_gradient_passes_gradcheck():
    # gradcheck of x -> d loss / d w1 (as a function of w1): second derivatives of every op used
    rng = np.random.default_rng(7)
    x = Tensor(rng.standard_normal((4, 5)))
    y = np.array([2, 0, 1, 2])
    params = _mlp_params(rng)

    def grad_w1(w1):
        loss = _mlp_loss([w1] + params[1:], x, y, "tanh")
        return grad(loss, w1, create_graph=True)[0]

    assert gradcheck(grad_w1, params[0])


# --- gradcheck(check_forward_ad=True): forward mode (the jvp rules) -------------------------------

class Cube(Function):
    """x**3 with a right backward; subclasses give it jvp rules, right and wrong."""
    name = "cube"

    def forward(self, a):
        return a ** 3

    def backward(self, g, out, a):
        return (g * 3 * a * a,)


class CubeJvp(Cube):
    def jvp(self, i, dx, out, a):
        return 3 * a * a * dx


class CubeJvpForgetsFactor(Cube):
    name = "cube_bad_jvp"

    def jvp(self, i, dx, out, a):
        return a * a * dx                             # wrong: d(x^3) = 3 x^2 dx


class CubeJvpSlightlyOff(Cube):
    name = "cube_jvp_off"

    def jvp(self, i, dx, out, a):
        return 3.00001 * a * a * dx                   # within gradcheck's rtol, not within roundoff


class CubeBackwardForgetsFactor(CubeJvp):
    def backward(self, g, out, a):
        return (g * a * a,)


class MulJvpForgetsSecond(Function):
    """a * b whose jvp claims a change of b does not change the product."""
    name = "mul_bad_jvp"

    def forward(self, a, b):
        return a * b

    def backward(self, g, out, a, b):
        return g * b, g * a

    def jvp(self, i, dx, out, a, b):
        return dx * b if i == 0 else None


@pytest.mark.parametrize("name", CORRECT_FUNCTIONS)
def test_gradcheck_forward_mode_passes_correct_functions(name):
    fn, shapes = CORRECT_FUNCTIONS[name]
    rng = np.random.default_rng(0)
    inputs = [Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(fn, *inputs, check_forward_ad=True) is True
    assert gradcheck(fn, *inputs, check_forward_ad=True, check_backward_ad=False) is True


def test_gradcheck_forward_mode_passes_a_user_op_with_a_right_rule():
    x = Tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    y = Tensor([1.5, -0.5], requires_grad=True)
    assert gradcheck(lambda a, b: (CubeJvp.apply(a) * b).tanh() + b.exp(), x, y, check_forward_ad=True)
    assert gradcheck(lambda a, b: MulJvpForgetsSecond.apply(a, b), x, Tensor([1.5, -0.5]), check_forward_ad=True)


@pytest.mark.parametrize("fn, shape, eps", [
    (lambda t: t.T, (2, 3), 1e-6),                   # outputs that are views of the input: the differences
    (lambda t: t.reshape(-1), (2, 3), 1e-6),         # must not change under the check's feet
    (lambda t: t.reshape(1, 1), (), 1e-6),
    (lambda t: t[1], (2, 3), 1e-6),
    (lambda t: (t * 3.0).astype(np.float32), (4,), 1e-2),   # float32 output: the identity to float32's roundoff
], ids=["T", "reshape", "reshape 0-d", "index", "float32 output"])
def test_gradcheck_forward_mode_passes_views_and_float32_outputs(fn, shape, eps):
    x = Tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)
    assert gradcheck(fn, x, eps=eps, check_forward_ad=True, check_backward_ad=False)


def test_gradcheck_forward_mode_reports_input_output_index_values_and_the_jvp_rule():
    data, seed = np.array([[1.0, -2.0, 0.5]]), 4
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: CubeJvpForgetsFactor.apply(t) + 1.0, Tensor(data, requires_grad=True),
                  check_forward_ad=True, seed=seed)
    message = str(info.value)
    assert "input 0 (shape (1, 3))" in message and "forward-mode and numerical derivatives" in message
    assert "output index (0, 0)" in message and "3 of 3 elements differ" in message
    assert f"random direction u of input 0 (seed={seed})" in message
    assert "reverse mode agrees with finite differences" in message and "jvp rule" in message
    # the numbers are the real ones: u is drawn after the projection v, from the same seed
    rng = np.random.default_rng(seed)
    rng.standard_normal(data.shape)
    u = rng.standard_normal(data.shape)
    forward, numeric = _floats_after("forward", message), _floats_after("numeric", message)
    assert forward == pytest.approx(data[0, 0] ** 2 * u[0, 0], rel=1e-7)
    assert numeric == pytest.approx(3 * data[0, 0] ** 2 * u[0, 0], rel=1e-6)


def test_gradcheck_forward_mode_catches_a_rule_that_forgets_an_input():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, -4.0], requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 1 \(shape \(2,\)\): forward-mode and numerical"):
        gradcheck(lambda u, v: MulJvpForgetsSecond.apply(u, v), a, b, check_forward_ad=True)
    assert gradcheck(lambda u, v: MulJvpForgetsSecond.apply(u, v), a, b)      # reverse mode alone: right


def test_gradcheck_forward_mode_catches_a_slightly_wrong_rule_by_the_dot_product_identity():
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    fn = lambda t: CubeJvpSlightlyOff.apply(t).tanh()                          # noqa: E731
    assert gradcheck(fn, x)                           # finite differences alone cannot see 1e-5 relative
    with pytest.raises(GradcheckError) as info:
        gradcheck(fn, x, check_forward_ad=True)
    message = str(info.value)
    assert "input 0 (shape (3,)): forward and reverse mode disagree" in message
    assert "<v, J u> = " in message and "<J^T v, u> = " in message and "Finite differences give" in message
    assert "forward mode is farther from them: the suspect is the jvp rule" in message
    by_forward, by_reverse = _floats_after("J u> =", message), _floats_after("v, u> =", message)
    assert by_forward == pytest.approx(3.00001 / 3 * by_reverse, rel=1e-9)     # the rule is 3.00001 / 3 too large


def test_gradcheck_forward_only_names_a_wrong_backward_as_the_suspect():
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    fn = lambda t: CubeBackwardForgetsFactor.apply(t)                          # noqa: E731
    with pytest.raises(GradcheckError, match="reverse mode is farther from them: the suspect is the backward"):
        gradcheck(fn, x, check_forward_ad=True, check_backward_ad=False)
    with pytest.raises(GradcheckError, match="analytic and numerical gradients differ"):
        gradcheck(fn, x, check_forward_ad=True)        # reverse mode is checked first


def test_gradcheck_forward_mode_of_an_op_without_a_jvp_rule_names_it():
    x = Tensor([0.5, -1.0], requires_grad=True)
    assert gradcheck(lambda t: Cube.apply(t), x)       # reverse mode needs no jvp rule
    with pytest.raises(NotImplementedError) as info:
        gradcheck(lambda t: Cube.apply(t) * 2.0, x, check_forward_ad=True)
    message = str(info.value)
    assert message.startswith("gradcheck with check_forward_ad=True, input 0: forward mode through 'cube': ")
    assert "Cube has no jvp rule" in message and "def jvp(self, i, dx, out, *inputs)" in message


def test_gradcheck_forward_mode_runs_in_float64_and_leaves_the_callers_tensors_alone():
    seen = []

    def fn(t, w):
        seen.append((t.dtype, w.dtype))
        return (CubeJvp.apply(t) * w).exp()

    data = np.array([0.3, -0.7, 1.1], dtype=np.float32)
    x, w = Tensor(data, requires_grad=True), Tensor(np.array([1.0, 0.5, -0.5]), requires_grad=True)
    assert gradcheck(fn, x, w, check_forward_ad=True, check_backward_ad=False)
    assert seen and all(d == (np.float64, np.float64) for d in seen)
    assert x.data is data and x.dtype == np.float32 and x.grad is None and w.grad is None
    np.testing.assert_array_equal(data, np.array([0.3, -0.7, 1.1], dtype=np.float32))
    np.testing.assert_array_equal(w.data, [1.0, 0.5, -0.5])
    assert x.requires_grad and w.requires_grad and x.op is None
    assert getattr(x, "tangents", None) is None and getattr(w, "tangents", None) is None


def test_gradcheck_forward_only_calls_fn_twice_per_input_not_per_element():
    calls = []

    def fn(t):
        calls.append(1)
        return CubeJvp.apply(t)

    gradcheck(fn, Tensor(np.ones((4, 5)), requires_grad=True), check_forward_ad=True, check_backward_ad=False)
    assert len(calls) == 4                             # the output, the forward pass, two differences


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(check_forward_ad=False, check_backward_ad=False), ValueError,
     "check_forward_ad and check_backward_ad are both False, so there is nothing to check"),
    (dict(check_forward_ad=1), TypeError, "check_forward_ad must be True or False, got 1"),
    (dict(check_backward_ad="yes"), TypeError, "check_backward_ad must be True or False"),
])
def test_gradcheck_mode_flags_bad_usage(kwargs, error, words):
    with pytest.raises(error, match=re.escape(f"gradcheck: {words}")):
        gradcheck(lambda t: t * 2.0, Tensor([1.0], requires_grad=True), **kwargs)
