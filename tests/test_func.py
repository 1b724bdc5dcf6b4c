"""autograd.func's transforms and autograd.forward_ad: closed forms, compositions, modes, the caller's
tensors, bad input, and user-defined Functions with and without a jvp rule.

Every expected value is a closed form written out by hand (no transform is checked only against
another), in float64. PyTorch's behaviour (torch.func, torch.autograd.forward_ad) is the reference
where labgrad follows it; comments say where it matters.
"""
import numpy as np
import pytest

import nn
from autograd import Function, Tensor, func, is_grad_enabled, linear, no_grad
from autograd.forward_ad import UnpackedDualTensor, dual_level, make_dual, unpack_dual
from autograd.modes import thread_modes

# --- the point, the directions and the closed forms ------------------------------------------

X = np.array([0.5, -1.0, 2.0])
Y = np.array([1.5, 0.25, -0.75])
V = np.array([1.0, -2.0, 0.5])           # directions (tangents, cotangents)
W = np.array([-0.5, 1.0, 3.0])
A = np.array([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0], [0.25, 0.0, -2.0]])
M = np.array([[0.5, -1.0, 0.25], [2.0, 0.0, -0.5]])      # a matrix argument
U = np.array([1.0, -0.5, 2.0])


def cube(x):                             # sum x^3: gradient 3 x^2, Hessian diag(6 x)
    return (x * x * x).sum()


def tanh_x(x):                           # sum tanh(x) x
    return (x.tanh() * x).sum()


def tanh_x_grad(x):
    t = np.tanh(x)
    return t + x * (1 - t * t)


def tanh_x_hessian(x):
    t = np.tanh(x)
    return np.diag(2 * (1 - t * t) * (1 - x * t))


def quadratic(x):                        # x^T A x: gradient (A + A^T) x, Hessian A + A^T
    return x @ Tensor(A) @ x


def two_args(x, y):                      # sum x^2 y + sum e^y
    return (x * x * y).sum() + y.exp().sum()


def two_args_grads(x, y):
    return 2 * x * y, x * x + np.exp(y)


def two_args_hessian(x, y):              # H[i][j]: second derivatives by arguments i and j
    return ((np.diag(2 * y), np.diag(2 * x)), (np.diag(2 * x), np.diag(np.exp(y))))


def two_outputs(x, y):                   # (x y, sum e^x)
    return x * y, x.exp().sum()


def two_outputs_jacobians(x, y):         # J[output][argument], of shape output.shape + argument.shape
    return ((np.diag(y), np.diag(x)), (np.exp(x), np.zeros(3)))


def tanh_of_matrix(m):                   # tanh(M u) for M of shape (2, 3): a Jacobian of shape (2, 2, 3)
    return (m @ Tensor(U)).tanh()


def tanh_of_matrix_jacobian(m):
    d = 1 - np.tanh(m @ U) ** 2
    return np.einsum("ik,l->ikl", np.diag(d), U)


def assert_close(got, expected, rtol=1e-10, atol=1e-12, where="result"):
    """``got`` has ``expected``'s structure (nested tuples of Tensors) and values (and shapes)."""
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), \
            f"{where}: expected a tuple of {len(expected)}, got {type(got).__name__} {got!r}"
        for k, (g, e) in enumerate(zip(got, expected)):
            assert_close(g, e, rtol, atol, f"{where}[{k}]")
        return
    assert isinstance(got, Tensor), f"{where}: expected a Tensor, got {type(got).__name__}"
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{where}: shape {got.shape}, expected {expected.shape}"
    np.testing.assert_allclose(got.data, expected, rtol=rtol, atol=atol, err_msg=where)


# --- every transform against closed forms ----------------------------------------------------

CLOSED_FORMS = {
    # reverse mode
    "grad": (lambda: func.grad(cube)(X), 3 * X ** 2),
    "grad of a Python float": (lambda: func.grad(lambda x: x * x * x)(2.0), 12.0),
    "grad tanh": (lambda: func.grad(tanh_x)(X), tanh_x_grad(X)),
    "grad quadratic": (lambda: func.grad(quadratic)(X), (A + A.T) @ X),
    "grad argnums=1": (lambda: func.grad(two_args, argnums=1)(X, Y), two_args_grads(X, Y)[1]),
    "grad argnums=-2": (lambda: func.grad(two_args, argnums=-2)(X, Tensor(Y)), two_args_grads(X, Y)[0]),
    "grad argnums=(0, 1)": (lambda: func.grad(two_args, argnums=(0, 1))(X, Y), two_args_grads(X, Y)),
    "grad argnums=(1,)": (lambda: func.grad(two_args, argnums=(1,))(X, Y), (two_args_grads(X, Y)[1],)),
    "grad argnums=(1, 0)": (lambda: func.grad(two_args, argnums=(1, 0))(X, Y), two_args_grads(X, Y)[::-1]),
    "grad has_aux": (lambda: func.grad(lambda x: (cube(x), x * 2), has_aux=True)(X), (3 * X ** 2, 2 * X)),
    "grad of a matrix": (lambda: func.grad(lambda m: tanh_of_matrix(m).sum())(M),
                         tanh_of_matrix_jacobian(M).sum(axis=0)),
    "value_and_grad": (lambda: func.value_and_grad(cube)(X), ((X ** 3).sum(), 3 * X ** 2)),
    "value_and_grad argnums=(0, 1)": (lambda: func.value_and_grad(two_args, argnums=(0, 1))(X, Y),
                                      ((X * X * Y).sum() + np.exp(Y).sum(), two_args_grads(X, Y))),
    "value_and_grad has_aux": (lambda: func.value_and_grad(lambda x: (cube(x), x.exp()), has_aux=True)(X),
                               (((X ** 3).sum(), np.exp(X)), 3 * X ** 2)),
    "value_and_grad has_aux argnums=(0, 1)": (
        lambda: func.value_and_grad(lambda x, y: (two_args(x, y), y * 3), argnums=(0, 1), has_aux=True)(X, Y),
        (((X * X * Y).sum() + np.exp(Y).sum(), 3 * Y), two_args_grads(X, Y))),
    "jacrev": (lambda: func.jacrev(lambda x: x.tanh())(X), np.diag(1 - np.tanh(X) ** 2)),
    "jacrev of a matrix": (lambda: func.jacrev(tanh_of_matrix)(M), tanh_of_matrix_jacobian(M)),
    "jacrev argnums=1": (lambda: func.jacrev(lambda x, y: x * y, argnums=1)(X, Y), np.diag(X)),
    "jacrev argnums=(0, 1), two outputs": (lambda: func.jacrev(two_outputs, argnums=(0, 1))(X, Y),
                                           two_outputs_jacobians(X, Y)),
    "jacrev two outputs": (lambda: func.jacrev(two_outputs)(X, Y), (np.diag(Y), np.exp(X))),
    "jacrev has_aux": (lambda: func.jacrev(lambda x: (x * x, x + 1), has_aux=True)(X), (np.diag(2 * X), X + 1)),
    "hessian": (lambda: func.hessian(cube)(X), np.diag(6 * X)),
    "hessian tanh": (lambda: func.hessian(tanh_x)(X), tanh_x_hessian(X)),
    "hessian quadratic": (lambda: func.hessian(quadratic)(X), A + A.T),
    "hessian argnums=(0, 1)": (lambda: func.hessian(two_args, argnums=(0, 1))(X, Y), two_args_hessian(X, Y)),
    "hessian argnums=1": (lambda: func.hessian(two_args, argnums=1)(X, Y), np.diag(np.exp(Y))),
    "hessian of a matrix": (lambda: func.hessian(lambda m: (m * m * m).sum())(M),
                            np.diag(6 * M.ravel()).reshape(2, 3, 2, 3)),
    # forward mode
    "jvp": (lambda: func.jvp(lambda x: x * x, (X,), (V,)), (X * X, 2 * X * V)),
    "jvp scalar": (lambda: func.jvp(cube, (X,), (V,)), ((X ** 3).sum(), 3 * X ** 2 @ V)),
    "jvp two primals": (lambda: func.jvp(two_args, (X, Y), (V, W)),
                        ((X * X * Y).sum() + np.exp(Y).sum(),
                         two_args_grads(X, Y)[0] @ V + two_args_grads(X, Y)[1] @ W)),
    "jvp two outputs": (lambda: func.jvp(two_outputs, (X, Y), (V, W)),
                        ((X * Y, np.exp(X).sum()), (Y * V + X * W, np.exp(X) @ V))),
    "jvp has_aux": (lambda: func.jvp(lambda x: (x.exp(), x * 2), (X,), (V,), has_aux=True),
                    (np.exp(X), np.exp(X) * V, 2 * X)),
    "jvp has_aux, two outputs": (lambda: func.jvp(lambda x: ((x.exp(), x.tanh()), x * 2), (X,), (V,), has_aux=True),
                                 ((np.exp(X), np.tanh(X)), (np.exp(X) * V, (1 - np.tanh(X) ** 2) * V), 2 * X)),
    "jvp of a matrix": (lambda: func.jvp(tanh_of_matrix, (M,), (M[::-1].copy(),)),
                        (np.tanh(M @ U), np.einsum("ikl,kl->i", tanh_of_matrix_jacobian(M), M[::-1]))),
    "jvp list tangents": (lambda: func.jvp(lambda x: x * x, ([1.0, 2.0],), ([1.0, 0.0],)), ([1.0, 4.0], [2.0, 0.0])),
    "jacfwd": (lambda: func.jacfwd(lambda x: x.tanh())(X), np.diag(1 - np.tanh(X) ** 2)),
    "jacfwd of a matrix": (lambda: func.jacfwd(tanh_of_matrix)(M), tanh_of_matrix_jacobian(M)),
    "jacfwd argnums=1": (lambda: func.jacfwd(lambda x, y: x * y, argnums=1)(X, Y), np.diag(X)),
    "jacfwd argnums=(0, 1), two outputs": (lambda: func.jacfwd(two_outputs, argnums=(0, 1))(X, Y),
                                           two_outputs_jacobians(X, Y)),
    "jacfwd two outputs": (lambda: func.jacfwd(two_outputs)(X, Y), (np.diag(Y), np.exp(X))),
    "jacfwd has_aux": (lambda: func.jacfwd(lambda x: (x * x, x + 1), has_aux=True)(X), (np.diag(2 * X), X + 1)),
    "hvp": (lambda: func.hvp(cube, (X,), (V,)), ((X ** 3).sum(), (6 * X * V,))),
    "hvp tanh": (lambda: func.hvp(tanh_x, (X,), (V,)), ((np.tanh(X) * X).sum(), (tanh_x_hessian(X) @ V,))),
    "hvp two primals": (lambda: func.hvp(two_args, (X, Y), (V, W)),
                        ((X * X * Y).sum() + np.exp(Y).sum(),
                         (2 * Y * V + 2 * X * W, 2 * X * V + np.exp(Y) * W))),
    # derivatives that are zero: the output does not depend on the argument (torch.func: zeros)
    "grad of a constant function": (lambda: func.grad(lambda x: Tensor(2.0))(X), np.zeros(3)),
    "grad by an unused argument": (lambda: func.grad(lambda x, y: (y * 2).sum())(X, Tensor(Y)), np.zeros(3)),
    "vjp of a constant function": (lambda: func.vjp(lambda x: Tensor(Y), X)[1](V), (np.zeros(3),)),
    "jacrev of a constant function": (lambda: func.jacrev(lambda x: Tensor(Y))(X), np.zeros((3, 3))),
    "jacfwd of a constant function": (lambda: func.jacfwd(lambda x: Tensor(Y))(X), np.zeros((3, 3))),
    "jvp of a constant function": (lambda: func.jvp(lambda x: Tensor(Y), (X,), (V,)), (Y, np.zeros(3))),
    "hessian of a linear function": (lambda: func.hessian(lambda x: (x * 2).sum())(X), np.zeros((3, 3))),
    "hvp of a linear function": (lambda: func.hvp(lambda x: (x * 2).sum(), (X,), (V,)), (2 * X.sum(), (np.zeros(3),))),
    "jacrev of an empty input": (lambda: func.jacrev(lambda x: x * 2)(np.zeros(0)), np.zeros((0, 0))),
    "jacfwd of an empty input": (lambda: func.jacfwd(lambda x: x * 2)(np.zeros(0)), np.zeros((0, 0))),
}


@pytest.mark.parametrize("name", CLOSED_FORMS)
def test_transform_against_its_closed_form(name):
    compute, expected = CLOSED_FORMS[name]
    assert_close(compute(), expected)


def test_vjp_pullback_can_be_called_again_and_again():
    out, pullback = func.vjp(lambda x, y: x * y, X, Y)
    assert_close(out, X * Y)
    for u in (V, W, V, np.zeros(3)):                  # the same graph serves every call
        assert_close(pullback(u), (u * Y, u * X))
    assert_close(pullback(Tensor(W)), (W * Y, W * X))


def test_vjp_with_two_outputs_and_aux():
    out, pullback, aux = func.vjp(lambda x: ((x * x, x.exp().sum()), "note"), X, has_aux=True)
    assert aux == "note"
    assert_close(out, (X * X, np.exp(X).sum()))
    assert_close(pullback((V, 2.0)), (2 * X * V + 2 * np.exp(X),))
    assert_close(pullback((W, 0.0)), (2 * X * W,))


def test_aux_comes_back_as_it_was_returned():
    aux = {"any": ["python", "object"]}
    assert func.grad(lambda x: (cube(x), aux), has_aux=True)(X)[1] is aux
    assert func.value_and_grad(lambda x: (cube(x), aux), has_aux=True)(X)[0][1] is aux
    assert func.jvp(lambda x: (x * 2, aux), (X,), (V,), has_aux=True)[2] is aux
    assert func.jacrev(lambda x: (x * 2, aux), has_aux=True)(X)[1] is aux
    assert func.jacfwd(lambda x: (x * 2, aux), has_aux=True)(X)[1] is aux


def test_an_unused_argument_gets_zeros_of_its_shape():
    assert_close(func.grad(lambda x, y: cube(x), argnums=(0, 1))(X, M), (3 * X ** 2, np.zeros((2, 3))))
    assert_close(func.jacrev(lambda x, y: x * 2, argnums=1)(Tensor(X), M), np.zeros((3, 2, 3)))
    assert_close(func.jacfwd(lambda x, y: x * 2, argnums=1)(Tensor(X), M), np.zeros((3, 2, 3)))
    assert_close(func.jvp(lambda x, y: x * 2, (X, M), (V, M))[1], 2 * V)
    assert_close(func.vjp(lambda x, y: x * 2, X, M)[1](V), (2 * V, np.zeros((2, 3))))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_keep_the_inputs_float_dtype(dtype):
    x, v = X.astype(dtype), V.astype(dtype)
    results = [func.grad(cube)(x), func.jvp(tanh_x, (x,), (v,))[1], func.jacrev(lambda t: t.exp())(x),
               func.jacfwd(lambda t: t.exp())(x), func.hessian(cube)(x), func.hvp(cube, (x,), (v,))[1][0],
               func.vjp(lambda t: t * t, x)[1](v)[0]]
    assert [r.dtype for r in results] == [np.dtype(dtype)] * len(results)
    assert_close(results[0], 3 * X ** 2, rtol=1e-6)


# --- compositions ------------------------------------------------------------------------------

def test_grad_of_grad_of_grad():
    f = lambda x: x * x * x * x                                    # noqa: E731
    assert_close(func.grad(f)(2.0), 32.0)                           # 4 x^3
    assert_close(func.grad(func.grad(f))(2.0), 48.0)                # 12 x^2
    assert_close(func.grad(func.grad(func.grad(f)))(2.0), 48.0)     # 24 x
    assert_close(func.grad(lambda x: func.grad(cube)(x).sum())(X), 6 * X)


def test_forward_over_reverse_and_reverse_over_forward_give_the_hessian_vector_product():
    hv = tanh_x_hessian(X) @ V
    assert_close(func.jvp(func.grad(tanh_x), (X,), (V,)), (tanh_x_grad(X), hv))           # jvp of grad
    assert_close(func.grad(lambda x: func.jvp(tanh_x, (x,), (V,))[1])(X), hv)             # grad of jvp
    assert_close(func.vjp(func.grad(tanh_x), X)[1](V), (hv,))                             # vjp of grad
    assert_close(func.hvp(tanh_x, (X,), (V,))[1], (hv,))


@pytest.mark.parametrize("f, hessian", [(cube, lambda x: np.diag(6 * x)), (tanh_x, tanh_x_hessian),
                                        (quadratic, lambda x: A + A.T)], ids=["cube", "tanh_x", "quadratic"])
def test_all_four_jacobian_compositions_give_the_symmetric_hessian(f, hessian):
    expected = hessian(X)
    for outer in (func.jacfwd, func.jacrev):
        for inner in (func.jacfwd, func.jacrev):
            h = outer(inner(f))(X)
            assert_close(h, expected, where=f"{outer.__name__}({inner.__name__}(f))")
            np.testing.assert_allclose(h.data, h.data.T, rtol=1e-12, atol=1e-14)
    assert_close(func.hessian(f)(X), expected)


def test_transforms_inside_a_users_dual_level_carry_its_tangents():
    # forward over reverse by hand, PyTorch's way: make_dual, then the gradient's tangent is H v
    with dual_level():
        x = make_dual(Tensor(X), Tensor(V))
        assert_close(unpack_dual(func.grad(tanh_x)(x)).tangent, tanh_x_hessian(X) @ V)
        for jacobian in (func.jacfwd, func.jacrev):     # d/dt J(x + t v) = diag(H v) for tanh(x) x
            assert_close(unpack_dual(jacobian(lambda y: y.tanh() * y)(x)).tangent, np.diag(tanh_x_hessian(X) @ V))


def test_jacobians_of_jacobians_of_a_vector_function():
    # d2 tanh(x_i) / dx_j dx_k = -2 t_i (1 - t_i^2) on i = j = k: shape (3, 3, 3)
    t = np.tanh(X)
    expected = np.zeros((3, 3, 3))
    expected[np.arange(3), np.arange(3), np.arange(3)] = -2 * t * (1 - t * t)
    for outer in (func.jacfwd, func.jacrev):
        for inner in (func.jacfwd, func.jacrev):
            assert_close(outer(inner(lambda x: x.tanh()))(X), expected, where=f"{outer.__name__}({inner.__name__})")


def test_jvp_of_jvp_is_the_second_directional_derivative():
    def first(x):
        return func.jvp(tanh_x, (x,), (V,))[1]

    assert_close(func.jvp(first, (X,), (W,))[1], V @ tanh_x_hessian(X) @ W)
    # x^3 at 3: tangents at two nested levels, and their cross term
    inner = lambda x: func.jvp(lambda y: y * y * y, (x,), (Tensor(1.0),))[1]   # noqa: E731
    assert_close(func.jvp(inner, (Tensor(3.0),), (Tensor(1.0),)), (27.0, 18.0))


def _derivative(kind):
    """d/dt f(t) at a scalar: by jvp (forward mode) or by grad (reverse mode)."""
    if kind == "jvp":
        return lambda f, at: func.jvp(f, (at,), (Tensor(1.0),))[1]
    return lambda f, at: func.grad(f)(at)


@pytest.mark.parametrize("outer", ["jvp", "grad"])
@pytest.mark.parametrize("inner", ["jvp", "grad"])
def test_no_perturbation_confusion(outer, inner):
    # Siskind & Pearlmutter: d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1, not 2 (the inner
    # derivative must not see the outer perturbation of x)
    d_outer, d_inner = _derivative(outer), _derivative(inner)
    assert_close(d_outer(lambda x: x * d_inner(lambda y: x + y, Tensor(1.0)), Tensor(2.0)), 1.0)
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2 x
    assert_close(d_outer(lambda x: x * d_inner(lambda y: x * y, Tensor(1.0)), Tensor(3.0)), 6.0)


def test_per_sample_gradients_by_closing_over_a_models_parameters():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64, rng=1), nn.Tanh(), nn.Linear(4, 2, dtype=np.float64, rng=2))
    first, second = model[0], model[2]
    x, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))

    def loss(w1, b1, w2, b2, xi, ti):
        out = linear(linear(xi, w1, b1).tanh(), w2, b2)
        return ((out - ti) * (out - ti)).sum()

    params = (first.weight, first.bias, second.weight, second.bias)
    per_sample = [func.grad(loss, argnums=(0, 1, 2, 3))(*params, x[i:i + 1], target[i:i + 1]) for i in range(5)]
    assert all(p.grad is None for p in model.parameters())     # the transforms leave .grad alone
    # one sample in closed form: backprop by hand
    h = np.tanh(x[:1] @ first.weight.data + first.bias.data)
    d_out = 2 * (h @ second.weight.data + second.bias.data - target[:1])
    d_pre = (d_out @ second.weight.data.T) * (1 - h * h)
    assert_close(per_sample[0], (x[:1].T @ d_pre, d_pre[0], h.T @ d_out, d_out[0]))
    # their sum is the batch gradient of ordinary backward
    loss(*params, x, target).backward()
    for k, p in enumerate(params):
        np.testing.assert_allclose(sum(g[k].data for g in per_sample), p.grad, rtol=1e-10)
    # gradients with respect to each input, the model closed over (its parameters require grad)
    for p in model.parameters():
        p.grad = None
    per_input = [func.grad(lambda xi: ((model(xi) - target[i]) ** 2).sum())(x[i]) for i in range(5)]
    d_out = 2 * (model(x).data - target)
    d_pre = (d_out @ second.weight.data.T) * (1 - np.tanh(x @ first.weight.data + first.bias.data) ** 2)
    assert_close(tuple(per_input), tuple(d_pre @ first.weight.data.T))
    assert all(p.grad is None for p in model.parameters())


def test_a_jacobian_of_a_model_with_respect_to_its_input():
    layer = nn.Linear(3, 2, dtype=np.float64, rng=0)
    assert_close(func.jacrev(layer)(X), layer.weight.data.T)          # d (x W + b) / dx = W^T
    assert_close(func.jacfwd(layer)(X), layer.weight.data.T)
    assert layer.weight.grad is None


# --- grad mode: no_grad outside and inside a transform ---------------------------------------

NO_GRAD_OUTSIDE = {
    "grad": (lambda: func.grad(cube)(X), 3 * X ** 2),
    "value_and_grad": (lambda: func.value_and_grad(cube)(X)[1], 3 * X ** 2),
    "vjp": (lambda: func.vjp(lambda x: x * x * x, X)[1](V), (3 * X ** 2 * V,)),
    "jvp": (lambda: func.jvp(cube, (X,), (V,))[1], 3 * X ** 2 @ V),
    "jacrev": (lambda: func.jacrev(lambda x: x * x * x)(X), np.diag(3 * X ** 2)),
    "jacfwd": (lambda: func.jacfwd(lambda x: x * x * x)(X), np.diag(3 * X ** 2)),
    "hessian": (lambda: func.hessian(cube)(X), np.diag(6 * X)),
    "hvp": (lambda: func.hvp(cube, (X,), (V,))[1], (6 * X * V,)),
    "grad of grad": (lambda: func.grad(lambda x: func.grad(cube)(x).sum())(X), 6 * X),
}


@pytest.mark.parametrize("name", NO_GRAD_OUTSIDE)
def test_no_grad_outside_a_transform_does_not_stop_it(name):
    # as torch.func: a transform records what it needs whatever the caller's grad mode
    compute, expected = NO_GRAD_OUTSIDE[name]
    with no_grad():
        result = compute()
        assert not is_grad_enabled()                  # and the caller's mode is back
    assert_close(result, expected)


def _cube_with_a_constant_square(x):
    """sum(c x) with c = x^2 computed under no_grad: reverse mode treats c as a constant."""
    with no_grad():
        c = x * x
    return (c * x).sum()


NO_GRAD_INSIDE = {   # name: (compute, expected, what torch.func gives)
    # reverse mode: c is a constant, d/dx sum(c x) = c = x^2 (PyTorch: the same)
    "grad": (lambda: func.grad(_cube_with_a_constant_square)(X), X ** 2),
    "jacrev": (lambda: func.jacrev(_cube_with_a_constant_square)(X), X ** 2),
    "vjp": (lambda: func.vjp(_cube_with_a_constant_square, X)[1](2.0), (2 * X ** 2,)),
    # forward mode: no_grad is reverse mode's switch; PyTorch's forward AD ignores it: 3 x^2
    "jvp": (lambda: func.jvp(_cube_with_a_constant_square, (X,), (V,))[1], 3 * X ** 2 @ V),
    "jacfwd": (lambda: func.jacfwd(_cube_with_a_constant_square)(X), 3 * X ** 2),
    # hessian = jacfwd(jacrev): the inner gradient is x^2, whose forward derivative is 2 x (PyTorch: diag(2 x))
    "hessian": (lambda: func.hessian(_cube_with_a_constant_square)(X), np.diag(2 * X)),
    "jacfwd(jacfwd)": (lambda: func.jacfwd(func.jacfwd(_cube_with_a_constant_square))(X), np.diag(6 * X)),
    "jacrev(jacrev)": (lambda: func.jacrev(func.jacrev(_cube_with_a_constant_square))(X), np.zeros((3, 3))),
}


@pytest.mark.parametrize("name", NO_GRAD_INSIDE)
def test_no_grad_inside_the_function_as_pytorch(name):
    compute, expected = NO_GRAD_INSIDE[name]
    assert_close(compute(), expected)


def test_modes_are_restored_after_a_transform_fails_inside():
    def broken(x):
        raise KeyError("inside")

    for call in (lambda: func.grad(broken)(X), lambda: func.jvp(broken, (X,), (V,)), lambda: func.jacfwd(broken)(X),
                 lambda: func.hessian(broken)(X), lambda: func.hvp(broken, (X,), (V,))):
        with no_grad(), pytest.raises(KeyError, match="inside"):
            call()
        assert is_grad_enabled() and thread_modes.forward_levels == ()


# --- the caller's tensors and the results ------------------------------------------------------

CALLS_ON = {
    "vjp's output": lambda x, c: func.vjp(lambda a, b: a * b, x, c)[0],
    "grad": lambda x, c: func.grad(lambda a, b: (a * a * b).sum(), argnums=(0, 1))(x, c),
    "value_and_grad": lambda x, c: func.value_and_grad(lambda a, b: (a * b).sum())(x, c),
    "vjp": lambda x, c: func.vjp(lambda a, b: a * b, x, c)[1](V),
    "jvp": lambda x, c: func.jvp(lambda a, b: a * a * b, (x, c), (V, W)),
    "jacrev": lambda x, c: func.jacrev(lambda a, b: a * b, argnums=(0, 1))(x, c),
    "jacfwd": lambda x, c: func.jacfwd(lambda a, b: a * b, argnums=(0, 1))(x, c),
    "hessian": lambda x, c: func.hessian(lambda a, b: (a * a * b).sum(), argnums=(0, 1))(x, c),
    "hvp": lambda x, c: func.hvp(lambda a, b: (a * a * b).sum(), (x, c), (V, W)),
    "grad of jvp": lambda x, c: func.grad(lambda a: func.jvp(lambda t: (t * t * c).sum(), (a,), (V,))[1])(x),
}


def _leaves(result):
    return [r for part in result for r in _leaves(part)] if isinstance(result, tuple) else [result]


@pytest.mark.parametrize("name", CALLS_ON)
def test_the_callers_tensors_are_not_changed(name):
    x_data, c_data = X.copy(), Y.copy()
    x, c = Tensor(x_data, requires_grad=True), Tensor(c_data)
    CALLS_ON[name](x, c)
    for t, data, requires_grad in ((x, x_data, True), (c, c_data, False)):
        assert t.data is data and t.grad is None and t.requires_grad is requires_grad and t.op is None
        assert getattr(t, "tangents", None) is None      # no tangent left behind
    np.testing.assert_array_equal(x_data, X)
    np.testing.assert_array_equal(c_data, Y)


@pytest.mark.parametrize("name", CALLS_ON)
def test_results_of_constant_inputs_do_not_require_grad(name):
    # as torch.func: with no input requiring grad, the results are plain values (no graph kept alive)
    results = _leaves(CALLS_ON[name](Tensor(X), Tensor(Y)))
    assert [r.requires_grad for r in results] == [False] * len(results)


def test_gradients_of_an_input_that_requires_grad_can_be_backpropagated():
    # as torch.func: the transforms are transparent to ordinary autograd outside them
    x = Tensor(X, requires_grad=True)
    g = func.grad(cube)(x)                            # 3 x^2
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * X)
    x.grad = None
    func.jvp(cube, (x,), (V,))[1].backward()          # d/dx (3 x^2 . v) = 6 x v
    np.testing.assert_allclose(x.grad, 6 * X * V)


# --- forward_ad: dual_level, make_dual, unpack_dual -------------------------------------------

def test_make_dual_and_unpack_dual():
    primal = Tensor(X)
    with dual_level():
        x = make_dual(primal, Tensor(V))
        y = (x * x).exp()
        unpacked = unpack_dual(y)
        assert isinstance(unpacked, UnpackedDualTensor)
        p, t = unpacked                               # a named pair, as in PyTorch
        assert p is unpacked.primal and np.array_equal(p.data, y.data)
        assert unpack_dual(p * 2).tangent is None            # the primal carries no tangent (PyTorch's)
        assert_close(t, 2 * X * V * np.exp(X * X))
        assert unpack_dual(Tensor(Y)).tangent is None       # no dual input: no tangent
        assert_close(unpack_dual(x * Tensor(Y)).tangent, V * Y)
        assert_close(unpack_dual(x).tangent, V)
    assert getattr(primal, "tangents", None) is None        # make_dual made a new tensor
    with dual_level():
        assert unpack_dual(y).tangent is None               # the closed level's tangents are gone


def test_make_dual_of_a_list_and_a_list_tangent():
    with dual_level():
        x = make_dual([1.0, 2.0], [0.0, 1.0])
        assert_close(unpack_dual((x * x).sum()).tangent, 4.0)


def test_nested_dual_levels_keep_their_tangents_apart():
    with dual_level() as outer:
        x = make_dual(Tensor(3.0), Tensor(1.0), level=outer)           # x = 3 + e1
        with dual_level() as inner:
            y = make_dual(x, Tensor(1.0), level=inner)                   # y = x + e2
            z = y * y * y
            inner_tangent = unpack_dual(z, level=inner).tangent         # 3 y^2
            assert_close(inner_tangent, 27.0)
            assert_close(unpack_dual(z, level=outer).tangent, 27.0)     # through x: 3 x^2
            assert_close(unpack_dual(inner_tangent, level=outer).tangent, 18.0)    # d(3 x^2) = 6 x
            assert unpack_dual(x, level=inner).tangent is None
            assert_close(unpack_dual(y).tangent, 1.0)                   # the innermost level by default
        assert unpack_dual(z).tangent is not None                       # z keeps its outer tangent


def test_a_level_with_a_batch_of_tangents():
    with dual_level(batch_size=3):
        x = make_dual(Tensor(X), Tensor(np.eye(3)))
        y = x.exp() * x
        assert_close(unpack_dual(y).tangent, np.diag(np.exp(X) * (1 + X)))   # one row per direction


def test_make_dual_of_a_tensor_that_requires_grad_lets_reverse_mode_see_through():
    w = Tensor(X, requires_grad=True)
    with dual_level():
        x = make_dual(w, Tensor(V))
        y = (x * x).sum()
        assert_close(unpack_dual(y).tangent, 2 * X @ V)
    y.backward()
    np.testing.assert_allclose(w.grad, 2 * X)


def _in_a_level(call, **level):
    with dual_level(**level):
        return call()


FORWARD_AD_ERRORS = {   # name: (call, error, message pieces)
    # no open level: RuntimeError, as PyTorch's make_dual/unpack_dual
    "make_dual without a level": (lambda: make_dual(Tensor(X), Tensor(V)), RuntimeError,
                                  ["make_dual: no forward-mode level is open", "dual_level()"]),
    "unpack_dual without a level": (lambda: unpack_dual(Tensor(X)), RuntimeError,
                                    ["unpack_dual: no forward-mode level is open"]),
    "make_dual at a closed level": (lambda: make_dual(Tensor(X), Tensor(V), level=_in_a_level(dual_level)),
                                    RuntimeError, ["make_dual: this dual_level is not open"]),
    "tangent of the wrong shape": (lambda: _in_a_level(lambda: make_dual(Tensor(X), Tensor(np.ones(2)))),
                                   ValueError, ["make_dual:", "shape (2,)", "primal of shape (3,)"]),
    "tangent of the wrong dtype": (lambda: _in_a_level(lambda: make_dual(Tensor(X), Tensor(V.astype(np.float32)))),
                                   TypeError, ["make_dual:", "float32", "float64"]),
    "tangent without the batch axis": (
        lambda: _in_a_level(lambda: make_dual(Tensor(X), Tensor(V)), batch_size=2),
        ValueError, ["make_dual:", "shape (3,)", "must have shape (2, 3)", "batch of 2"]),
    "integer primal": (lambda: _in_a_level(lambda: make_dual(Tensor([1, 2]), Tensor([1, 1]))), TypeError,
                       ["make_dual:", "int64", "floating dtype"]),
    "a string tangent": (lambda: _in_a_level(lambda: make_dual(Tensor(X), "up")), TypeError,
                         ["make_dual:", "tangent", "str"]),
    "unpack_dual of an array": (lambda: _in_a_level(lambda: unpack_dual(X)), TypeError,
                                ["unpack_dual: expected a Tensor, got ndarray"]),
    "level that is no level": (lambda: _in_a_level(lambda: make_dual(Tensor(X), Tensor(V), level=1)), TypeError,
                               ["make_dual: level must be a dual_level, got int"]),
    "bad batch_size": (lambda: dual_level(batch_size=0), ValueError, ["dual_level:", "batch_size"]),
}


@pytest.mark.parametrize("name", FORWARD_AD_ERRORS)
def test_forward_ad_errors(name):
    call, error, pieces = FORWARD_AD_ERRORS[name]
    with pytest.raises(error) as info:
        call()
    for piece in pieces:
        assert piece in str(info.value), f"{piece!r} not in {str(info.value)!r}"
    assert thread_modes.forward_levels == ()


def test_a_level_cannot_be_entered_twice():
    level = dual_level()
    with level:
        with pytest.raises(RuntimeError, match="dual_level: this level was entered before"):
            level.__enter__()                         # nested
    with pytest.raises(RuntimeError, match="dual_level: this level was entered before"):
        level.__enter__()                             # again after it closed: its tangents are gone
    assert thread_modes.forward_levels == ()


def test_results_of_transforms_inside_a_level_keep_no_tangent_after_it():
    # tangents attached to detached results go through the level, so its exit drops them too
    with dual_level():
        x = make_dual(Tensor([1.0, 2.0]), [1.0, 1.0])
        g = func.grad(lambda x: (x ** 3).sum())(x)
        assert_close(unpack_dual(g).tangent, 6 * np.array([1.0, 2.0]))
        _, _, aux = func.jvp(lambda x: (x * x, (x * 2, [x * 3])), (X,), (V,), has_aux=True)
    assert not getattr(g, "tangents", None)
    assert not getattr(aux[0], "tangents", None) and not getattr(aux[1][0], "tangents", None)


def test_aux_in_a_list_or_dict_is_detached_too():
    _, aux = func.grad(lambda x: ((x * x).sum(), {"twice": [x * 2]}), has_aux=True)(X)
    assert not aux["twice"][0].requires_grad


def test_a_batched_rule_that_loses_the_batch_axis_is_an_error_not_a_wrong_jacobian():
    class LosesTheBatch(Function):
        name = "loses_the_batch"
        batched_jvp = True

        def forward(self, x):
            return 2 * x

        def backward(self, g, out, x):
            return (2 * g,)

        def jvp(self, i, dx, out, x):
            return dx[0] * 2                          # wrong: drops the batch axis

    with pytest.raises(RuntimeError, match="batched_jvp = False"):
        func.jacfwd(lambda x: LosesTheBatch.apply(x))(np.ones(2))


def test_a_closed_level_cannot_be_drawn():
    from autograd import viz
    with dual_level() as level:
        y = make_dual(Tensor(X, requires_grad=True), Tensor(V)) * 2
    with pytest.raises(ValueError, match="closed"):
        viz.draw(y, tangents=level)


# --- bad input: each error names the transform and what is wrong -------------------------------

def square(x):
    return x * x


INTS = np.array([1, 2, 3])

BAD_INPUT = {   # name: (call, error, message pieces; the first is the transform's name)
    # tangents and cotangents of the wrong shape or dtype
    "jvp tangent shape": (lambda: func.jvp(square, (X,), (np.ones(2),)), ValueError,
                          ["jvp:", "tangent 0", "shape (2,)", "(3,)"]),
    "jvp tangent dtype": (lambda: func.jvp(square, (X,), (V.astype(np.float32),)), TypeError,
                          ["jvp:", "tangent 0", "float32", "float64"]),
    "jvp second tangent shape": (lambda: func.jvp(two_args, (X, Y), (V, np.ones((3, 1)))), ValueError,
                                 ["jvp:", "tangent 1", "shape (3, 1)", "(3,)"]),
    "hvp tangent shape": (lambda: func.hvp(cube, (X,), (np.ones(4),)), ValueError,
                          ["hvp:", "shape (4,)", "(3,)"]),
    "hvp tangent dtype": (lambda: func.hvp(cube, (X,), (INTS,)), TypeError, ["hvp:", "int64", "float64"]),
    "vjp cotangent shape": (lambda: func.vjp(square, X)[1](np.ones(4)), ValueError,
                            ["vjp", "shape (4,)", "output of shape (3,)"]),
    "vjp cotangent dtype": (lambda: func.vjp(square, X)[1](V.astype(np.float32)), TypeError,
                            ["vjp", "float32", "float64"]),
    "vjp one cotangent for two outputs": (lambda: func.vjp(lambda x: (x, x * 2), X)[1](V), TypeError,
                                          ["vjp", "2 outputs", "tuple of 2"]),
    # integer inputs: no derivatives
    "grad of ints": (lambda: func.grad(cube)(INTS), TypeError, ["grad:", "int64", "floating"]),
    "value_and_grad of ints": (lambda: func.value_and_grad(cube)(INTS), TypeError, ["value_and_grad:", "int64"]),
    "vjp of ints": (lambda: func.vjp(square, INTS), TypeError, ["vjp:", "int64"]),
    "jvp of ints": (lambda: func.jvp(square, (INTS,), (INTS,)), TypeError, ["jvp:", "primal 0", "int64"]),
    "jacrev of ints": (lambda: func.jacrev(square)(INTS), TypeError, ["jacrev:", "int64"]),
    "jacfwd of ints": (lambda: func.jacfwd(square)(INTS), TypeError, ["jacfwd:", "int64"]),
    "hessian of ints": (lambda: func.hessian(cube)(INTS), TypeError, ["hessian:", "int64"]),
    "hvp of ints": (lambda: func.hvp(cube, (INTS,), (V,)), TypeError, ["hvp:", "int64"]),
    "grad of a string": (lambda: func.grad(cube)("abc"), TypeError, ["grad:", "str"]),
    # the function returns something that is no Tensor
    "grad returns a float": (lambda: func.grad(lambda x: 1.0)(X), TypeError, ["grad:", "float"]),
    "value_and_grad returns an array": (lambda: func.value_and_grad(lambda x: X.sum())(X), TypeError,
                                        ["value_and_grad:", "float64"]),
    "vjp returns a list of floats": (lambda: func.vjp(lambda x: [1.0], X), TypeError, ["vjp:", "float"]),
    "jvp returns an array": (lambda: func.jvp(lambda x: x.data, (X,), (V,)), TypeError, ["jvp:", "ndarray"]),
    "jvp returns a tuple with a float": (lambda: func.jvp(lambda x: (x, 1.0), (X,), (V,)), TypeError,
                                         ["jvp:", "float", "element 1", "has_aux"]),
    "jacrev returns None": (lambda: func.jacrev(lambda x: None)(X), TypeError, ["jacrev:", "NoneType"]),
    "jacfwd returns an int Tensor": (lambda: func.jacfwd(lambda x: Tensor(INTS))(X), TypeError,
                                     ["jacfwd:", "int64"]),
    "hessian returns a float": (lambda: func.hessian(lambda x: 1.0)(X), TypeError, ["hessian:", "float"]),
    "hvp returns a float": (lambda: func.hvp(lambda x: 1.0, (X,), (V,)), TypeError, ["hvp:", "float"]),
    # a non-scalar where a scalar is differentiated
    "grad of a vector": (lambda: func.grad(square)(X), ValueError, ["grad:", "scalar", "shape (3,)", "jacrev"]),
    "value_and_grad of a vector": (lambda: func.value_and_grad(square)(X), ValueError,
                                   ["value_and_grad:", "scalar", "shape (3,)"]),
    "hessian of a vector": (lambda: func.hessian(square)(X), ValueError, ["hessian:", "scalar", "shape (3,)"]),
    "hvp of a vector": (lambda: func.hvp(square, (X,), (V,)), ValueError, ["hvp:", "scalar", "shape (3,)"]),
    "grad of a pair without has_aux": (lambda: func.grad(lambda x: (cube(x), x))(X), ValueError,
                                       ["grad:", "tuple", "has_aux=True"]),
    # argnums
    "grad argnums out of range": (lambda: func.grad(cube, argnums=1)(X), ValueError,
                                  ["grad:", "argnums 1", "1 positional argument"]),
    "grad argnums negative out of range": (lambda: func.grad(two_args, argnums=(0, -3))(X, Y), ValueError,
                                           ["grad:", "-3", "2 positional argument"]),
    "grad argnums float": (lambda: func.grad(cube, argnums=0.0)(X), TypeError, ["grad:", "argnums", "0.0"]),
    "grad argnums list": (lambda: func.grad(two_args, argnums=[0, 1])(X, Y), TypeError, ["grad:", "argnums", "[0, 1]"]),
    "grad argnums bool": (lambda: func.grad(cube, argnums=True)(X), TypeError, ["grad:", "argnums", "True"]),
    "grad argnums empty": (lambda: func.grad(cube, argnums=())(X), TypeError, ["grad:", "argnums", "()"]),
    "grad argnums twice": (lambda: func.grad(two_args, argnums=(0, -2))(X, Y), ValueError, ["grad:", "twice"]),
    "value_and_grad argnums": (lambda: func.value_and_grad(cube, argnums=2)(X), ValueError,
                               ["value_and_grad:", "argnums 2"]),
    "jacrev argnums": (lambda: func.jacrev(square, argnums=1)(X), ValueError, ["jacrev:", "argnums 1"]),
    "jacfwd argnums": (lambda: func.jacfwd(square, argnums=(0, 0))(X), ValueError, ["jacfwd:", "twice"]),
    "jacfwd argnums type": (lambda: func.jacfwd(square, argnums="0")(X), TypeError, ["jacfwd:", "argnums"]),
    "hessian argnums": (lambda: func.hessian(cube, argnums=1)(X), ValueError, ["hessian:", "argnums 1"]),
    "hessian argnums type": (lambda: func.hessian(cube, argnums=[0])(X), TypeError, ["hessian:", "argnums"]),
    # has_aux misuse
    "grad has_aux without a pair": (lambda: func.grad(cube, has_aux=True)(X), TypeError,
                                    ["grad:", "has_aux=True", "pair (output, aux)", "Tensor"]),
    "value_and_grad has_aux with a triple": (lambda: func.value_and_grad(lambda x: (cube(x), 1, 2), has_aux=True)(X),
                                             TypeError, ["value_and_grad:", "has_aux=True", "pair"]),
    "vjp has_aux without a pair": (lambda: func.vjp(square, X, has_aux=True), TypeError, ["vjp:", "has_aux=True"]),
    "jvp has_aux without a pair": (lambda: func.jvp(square, (X,), (V,), has_aux=True), TypeError,
                                   ["jvp:", "has_aux=True", "pair"]),
    "jacrev has_aux without a pair": (lambda: func.jacrev(square, has_aux=True)(X), TypeError,
                                      ["jacrev:", "has_aux=True"]),
    "jacfwd has_aux without a pair": (lambda: func.jacfwd(square, has_aux=True)(X), TypeError,
                                      ["jacfwd:", "has_aux=True"]),
    # the transforms' own arguments
    "jvp primals not a tuple": (lambda: func.jvp(square, X, V), TypeError, ["jvp:", "tuples", "jvp(f, (x,), (v,))"]),
    "jvp tangents a list": (lambda: func.jvp(square, (X,), [V]), TypeError, ["jvp:", "tuples", "list"]),
    "jvp counts differ": (lambda: func.jvp(two_args, (X, Y), (V,)), ValueError, ["jvp:", "2 primals", "1 tangents"]),
    "hvp primals not a tuple": (lambda: func.hvp(cube, X, V), TypeError, ["hvp:", "tuple", "hvp(f, (x,), (v,))"]),
    "vjp without primals": (lambda: func.vjp(square), TypeError, ["vjp:", "no primals"]),
    "grad of no function": (lambda: func.grad(3)(X), TypeError, ["grad:", "int"]),
    "jvp of no function": (lambda: func.jvp("f", (X,), (V,)), TypeError, ["jvp:", "str"]),
}


@pytest.mark.parametrize("name", BAD_INPUT)
def test_bad_input_gets_an_error_naming_the_transform(name):
    call, error, pieces = BAD_INPUT[name]
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert message.startswith(pieces[0]), f"the message does not start with {pieces[0]!r}: {message!r}"
    for piece in pieces[1:]:
        assert piece in message, f"{piece!r} not in {message!r}"
    assert thread_modes.forward_levels == () and is_grad_enabled()


# --- a user's Function: without a jvp rule, with one, with a batched one ----------------------

class Cube(Function):
    """x^3 with a backward and no jvp rule: reverse mode works, forward mode says what is missing."""
    name = "my_cube"

    def forward(self, x):
        return x ** 3

    def backward(self, g, out, x):
        return (g * 3 * x * x,)


class CubeWithJvp(Cube):
    calls = []

    def jvp(self, i, dx, out, x):
        type(self).calls.append(dx.shape)
        return 3 * x * x * dx               # Tensor operators: differentiable again


class CubeWithBatchedJvp(CubeWithJvp):
    elementwise = True
    batched_jvp = True                      # the rule above broadcasts over a leading batch axis


def test_a_function_without_a_jvp_rule_works_in_reverse_mode():
    f = lambda x: Cube.apply(x).sum()                                   # noqa: E731
    assert_close(func.grad(f)(X), 3 * X ** 2)
    assert_close(func.jacrev(lambda x: Cube.apply(x))(X), np.diag(3 * X ** 2))
    assert_close(func.vjp(lambda x: Cube.apply(x), X)[1](V), (3 * X ** 2 * V,))
    assert_close(func.grad(func.grad(lambda x: Cube.apply(x)))(2.0), 12.0)     # its backward is made of Tensor ops


@pytest.mark.parametrize("call", [
    lambda: func.jvp(lambda x: Cube.apply(x), (X,), (V,)),
    lambda: func.jacfwd(lambda x: Cube.apply(x))(X),
    lambda: func.hessian(lambda x: Cube.apply(x).sum())(X),
    lambda: func.hvp(lambda x: Cube.apply(x).sum(), (X,), (V,)),
], ids=["jvp", "jacfwd", "hessian", "hvp"])
def test_forward_mode_through_a_function_without_a_jvp_rule_names_it(call):
    with pytest.raises(NotImplementedError) as info:
        call()
    message = str(info.value)
    assert "'my_cube'" in message and "Cube has no jvp rule" in message
    assert "def jvp(self, i, dx, out, *inputs)" in message      # how to add one
    assert thread_modes.forward_levels == ()


def test_a_function_with_a_jvp_rule_works_in_forward_mode_one_direction_at_a_time():
    CubeWithJvp.calls = []
    assert_close(func.jvp(lambda x: CubeWithJvp.apply(x), (X,), (V,))[1], 3 * X ** 2 * V)
    assert CubeWithJvp.calls == [(3,)]
    CubeWithJvp.calls = []
    assert_close(func.jacfwd(lambda x: CubeWithJvp.apply(x))(X), np.diag(3 * X ** 2))
    assert CubeWithJvp.calls == [(3,)] * 3              # no batched_jvp: one column at a time
    assert_close(func.hessian(lambda x: CubeWithJvp.apply(x).sum())(X), np.diag(6 * X))
    assert_close(func.grad(lambda x: func.jvp(lambda t: CubeWithJvp.apply(t).sum(), (x,), (V,))[1])(X), 6 * X * V)


def test_a_function_with_a_batched_jvp_rule_gets_all_directions_at_once():
    CubeWithBatchedJvp.calls = []
    assert_close(func.jacfwd(lambda x: CubeWithBatchedJvp.apply(x))(X), np.diag(3 * X ** 2))
    assert CubeWithBatchedJvp.calls == [(3, 3)]        # n directions in one call
    assert_close(func.jacfwd(lambda m: CubeWithBatchedJvp.apply(m))(M),
                 np.diag(3 * M.ravel() ** 2).reshape(2, 3, 2, 3))


class ScaleAndShift(Function):
    """x * s + b for x (N, C) and per-column s, b (C,): a user op whose rule leaves the bias's tangent in
    its own (lower) rank, as the protocol allows."""
    name = "scale_and_shift"
    calls = []

    def forward(self, x, s, b):
        return x * s + b

    def backward(self, g, out, x, s, b):
        return g * s, g * x, g

    def jvp(self, i, dx, out, x, s, b):
        type(self).calls.append((i, dx.shape))
        return (dx * s, x * dx, dx)[i]


class ScaleAndShiftBatched(ScaleAndShift):
    elementwise = True
    batched_jvp = True


@pytest.mark.parametrize("op", [ScaleAndShift, ScaleAndShiftBatched])
def test_a_rule_may_return_a_tangent_in_a_broadcastable_shape(op):
    # 3 rows and 3 columns: a batch of 3 tangents of the (3,) bias must not line up with the rows
    x, s, b = A, X, Y
    expected_b = np.broadcast_to(np.eye(3), (3, 3, 3))        # d out[i, j] / d b[l] = 1 where j == l
    jac = func.jacfwd(lambda x, s, b: op.apply(x, s, b), argnums=(0, 1, 2))(x, s, b)
    assert_close(jac[2], expected_b)
    assert_close(jac[1], np.einsum("ij,jl->ijl", x, np.eye(3)))
    assert_close(jac[0], np.einsum("j,ik,jl->ijkl", s, np.eye(3), np.eye(3)))
    op.calls = []
    func.jacfwd(lambda b: op.apply(Tensor(x), Tensor(s), b))(b)
    assert op.calls == ([(2, (3, 1, 3))] if op.batched_jvp else [(2, (3,))] * 3)   # aligned to the rank of out, or one per direction


def test_a_levels_tangents_are_dropped_when_it_closes():
    # as in PyTorch ("after exiting the level, the grad is deleted"): no tangent keeps memory alive
    with dual_level():
        x = make_dual(Tensor(X), Tensor(V))
        y = (x * x).exp()
        assert unpack_dual(y).tangent is not None
    assert not getattr(x, "tangents", None) and not getattr(y, "tangents", None)
