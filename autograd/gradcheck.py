"""Gradient checking: analytic gradients against central finite differences.

>>> import numpy as np
>>> from autograd import Tensor, gradcheck
>>> x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
>>> gradcheck(lambda t: (t * t).sigmoid(), x)
True
"""
import numpy as np

__all__ = ["gradcheck", "GradcheckError", "numerical_gradient"]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with finite differences."""


def numerical_gradient(f, x, h=1e-5, verbose=False):
    """Central-difference gradient of a scalar function ``f`` at the ndarray ``x``.

    The seeds' ``eval_numerical_gradient``: ``x`` is perturbed in place one
    element at a time (and restored), ``f(x)`` must return a number.

    >>> numerical_gradient(lambda v: (v ** 2).sum(), np.array([1.0, -3.0])).round(6)
    array([ 2., -6.])
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"numerical_gradient: x must be a float array, got dtype {x.dtype}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = float(f(x))
        x[ix] = old - h
        fxmh = float(f(x))
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def _float64_copy(x):
    """A Tensor copy of ``x`` in float64 (integer and bool data, such as indices and masks, keep their dtype)."""
    from autograd.tensor import Tensor

    data = np.asarray(x.data if isinstance(x, Tensor) else x)
    if data.dtype.kind in "iub":
        return Tensor(data.copy())
    return Tensor(np.array(data, dtype=np.float64), requires_grad=isinstance(x, Tensor) and x.requires_grad)


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check ``fn``'s analytic gradients against central finite differences, in float64.

    ``fn`` takes the inputs (Tensors or arrays) and returns a Tensor. Every
    input that requires grad is checked over every element, for the scalar
    ``sum(fn(*inputs) * v)``: the output projected on a random vector ``v``
    (the upstream gradient), so every entry of the Jacobian matters. The
    inputs are copied to float64 first; the caller's tensors are not modified.

    Returns True, or raises :class:`GradcheckError` naming the input, the index,
    and the analytic and numeric values. Both values are gradients of that
    projection, not ``fn``'s own gradient, and the message says so.

    >>> from autograd import Tensor, Function
    >>> class WrongSquare(Function):         # x**2 whose backward forgets the factor 2
    ...     name = "wrong_square"
    ...     def forward(self, a): return a * a
    ...     def backward(self, g, out, a): return (g * a,)
    >>> gradcheck(lambda t: WrongSquare.apply(t), Tensor([3.0], requires_grad=True))
    Traceback (most recent call last):
    ...
    autograd.gradcheck.GradcheckError: gradcheck: input 0 (shape (1,)): analytic and numerical gradients
    differ at index (0,): analytic 0.37719066 vs numeric 0.75438133 (1 of 1 elements differ; atol=1e-05,
    rtol=0.001). Both are gradients of sum(fn(*inputs) * v), fn's output projected on a random vector v
    (seed=0), not of fn's output itself
    """
    from autograd.engine import grad
    from autograd.tensor import Tensor

    xs = [_float64_copy(x) for x in inputs]
    checked = [i for i, x in enumerate(xs) if x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")

    out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    v = np.random.default_rng(seed).standard_normal(out.shape)   # the random projection
    if out.requires_grad:
        analytic = grad(out, [xs[i] for i in checked], grad_outputs=v, allow_unused=True)
    else:
        analytic = [None] * len(checked)

    def objective():
        return float(np.sum(np.asarray(fn(*xs).data, dtype=np.float64) * v))

    for i, a in zip(checked, analytic):
        x = xs[i].data
        a = np.zeros_like(x) if a is None else a.data
        if a.shape != x.shape:
            raise GradcheckError(f"gradcheck: gradient of input {i} has shape {a.shape}, expected {x.shape}")
        numeric = np.zeros_like(x)
        for ix in np.ndindex(x.shape):
            old = x[ix]
            x[ix] = old + eps
            plus = objective()
            x[ix] = old - eps
            minus = objective()
            x[ix] = old
            numeric[ix] = (plus - minus) / (2 * eps)
        bad = ~(np.abs(a - numeric) <= atol + rtol * np.abs(numeric))
        if bad.any():
            ix = tuple(int(j) for j in np.argwhere(bad)[0])
            raise GradcheckError(
                f"gradcheck: input {i} (shape {x.shape}): analytic and numerical gradients differ at index {ix}: "
                f"analytic {a[ix]:.8g} vs numeric {numeric[ix]:.8g} "
                f"({int(bad.sum())} of {bad.size} elements differ; atol={atol:g}, rtol={rtol:g}). Both are "
                f"gradients of sum(fn(*inputs) * v), fn's output projected on a random vector v (seed={seed}), "
                "not of fn's output itself")
    return True
