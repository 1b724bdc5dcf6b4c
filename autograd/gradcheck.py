"""Gradient checking: analytic gradients against central finite differences.

Reverse mode (the ops' ``backward``) is checked by default; ``check_forward_ad=True``
checks forward mode (the ops' ``jvp`` rules) too.

>>> import numpy as np
>>> from autograd import Tensor, gradcheck
>>> x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
>>> gradcheck(lambda t: (t * t).exp(), x, check_forward_ad=True)
True
"""
import numpy as np

from autograd.checks import boolean

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


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, check_forward_ad=False,
              check_backward_ad=True):
    """Check ``fn``'s analytic derivatives against central finite differences, in float64.

    ``fn`` takes the inputs (Tensors or arrays) and returns a Tensor. The inputs
    are copied to float64 first; the caller's tensors are not modified. Only the
    inputs that require grad are checked; the others are constants.

    Reverse mode (``check_backward_ad``, on by default): every element of every
    checked input, for the scalar ``sum(fn(*inputs) * v)``: the output projected
    on a random vector ``v`` (the upstream gradient), so every entry of the
    Jacobian matters.

    Forward mode (``check_forward_ad``): for each checked input, the directional
    derivative ``J u`` along a random direction ``u`` of that input, computed in
    one forward pass by the ops' ``jvp`` rules (:mod:`autograd.forward_ad`), is
    compared with ``(fn(x + eps u) - fn(x - eps u)) / (2 eps)`` element by
    element, and with reverse mode by the dot-product identity
    ``<v, J u> == <J^T v, u>``, which holds exactly in theory and to roundoff
    in practice (1e-10 relative in float64, 100 eps of the output's dtype when
    ``fn`` returns float32): it catches a rule that is slightly off, which finite
    differences cannot.

    Parameters
    ----------
    fn : callable
        Takes one argument per input and returns a Tensor.
    *inputs : Tensor or array_like
    eps : float
        The finite-difference step.
    atol, rtol : float
        How far the analytic values may be from the numerical ones
        (``|analytic - numeric| <= atol + rtol * |numeric|``).
    seed : int
        Seed of the random projection ``v`` and directions ``u``.
    check_forward_ad : bool
        Also check forward mode (PyTorch's name).
    check_backward_ad : bool
        Check reverse mode (PyTorch's name); ``False`` with ``check_forward_ad=True``
        checks forward mode alone: two calls of ``fn`` per input instead of two
        per element (reverse mode still gives the other side of the identity).

    Returns
    -------
    True
        Or raises :class:`GradcheckError` naming the input, the index (or the
        direction), the two values and which derivatives disagree. A
        ``NotImplementedError`` from an op without a ``jvp`` rule is raised as it
        is, with gradcheck's context added in front.

    Examples
    --------
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

    A ``jvp`` rule that forgets the factor 2 (its backward is right):

    >>> class WrongSquareJvp(Function):
    ...     name = "wrong_square_jvp"
    ...     def forward(self, a): return a * a
    ...     def backward(self, g, out, a): return (2 * g * a,)
    ...     def jvp(self, i, dx, out, a): return dx * a
    >>> gradcheck(lambda t: WrongSquareJvp.apply(t), Tensor([3.0], requires_grad=True), check_forward_ad=True)
    Traceback (most recent call last):
    ...
    autograd.gradcheck.GradcheckError: gradcheck: input 0 (shape (1,)): forward-mode and numerical derivatives
    differ at output index (0,): forward -0.39631459 vs numeric -0.79262918 (1 of 1 elements differ; atol=1e-05,
    rtol=0.001). Both are derivatives of fn's output along a random direction u of input 0 (seed=0): J u by
    forward mode and (fn(x + eps u) - fn(x - eps u)) / (2 eps); reverse mode agrees with finite differences,
    so the suspect is the jvp rule of an op that fn uses
    """
    from autograd.engine import grad
    from autograd.modes import enable_grad
    from autograd.tensor import Tensor

    check_forward_ad = boolean(check_forward_ad, "check_forward_ad", "gradcheck")
    check_backward_ad = boolean(check_backward_ad, "check_backward_ad", "gradcheck")
    if not (check_forward_ad or check_backward_ad):
        raise ValueError("gradcheck: check_forward_ad and check_backward_ad are both False, so there is nothing "
                         "to check; leave check_backward_ad=True or pass check_forward_ad=True")
    xs = [_float64_copy(x) for x in inputs]
    checked = [i for i, x in enumerate(xs) if x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")

    with enable_grad():                  # the check records what it differentiates, inside a no_grad block too
        out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(out.shape)   # the random projection
    if out.requires_grad:
        analytic = grad(out, [xs[i] for i in checked], grad_outputs=v, allow_unused=True)
    else:
        analytic = [None] * len(checked)
    analytic = [np.zeros_like(xs[i].data) if a is None else a.data for i, a in zip(checked, analytic)]
    for i, a in zip(checked, analytic):
        if a.shape != xs[i].shape:
            raise GradcheckError(f"gradcheck: gradient of input {i} has shape {a.shape}, expected {xs[i].shape}")

    def objective():
        return float(np.sum(np.asarray(fn(*xs).data, dtype=np.float64) * v))

    if check_backward_ad:
        for i, a in zip(checked, analytic):
            _check_reverse(objective, xs[i].data, i, a, eps, atol, rtol, seed)
    if check_forward_ad:
        for i, a in zip(checked, analytic):
            u = rng.standard_normal(xs[i].shape)            # the random direction of input i
            _check_forward(fn, xs, i, u, v, a, eps, atol, rtol, seed, check_backward_ad)
    return True


def _check_reverse(objective, x, i, a, eps, atol, rtol, seed):
    """The gradient ``a`` of the projection against central differences, element by element of input ``x``."""
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


# The dot-product identity <v, J u> = <J^T v, u> holds to roundoff: relative to the size of its terms
# (below 1e-15 for float64 sums of a few terms; 100 eps of the output's dtype when fn returns float32),
# and absolutely where values are subnormal (~1e-308).
_IDENTITY_RTOL = 1e-10
_IDENTITY_ATOL = 1e-300


def _check_forward(fn, xs, i, u, v, reverse_gradient, eps, atol, rtol, seed, reverse_checked):
    """Forward mode along ``u`` for input ``i``: against central differences, then against reverse mode."""
    forward, out_dtype = _forward_derivative(fn, xs, i, u)
    x = xs[i].data
    old = x.copy()
    try:
        x[...] = old + eps * u             # (copies: the output of a view op shares x's memory)
        plus = np.array(fn(*xs).data, dtype=np.float64)
        x[...] = old - eps * u
        minus = np.array(fn(*xs).data, dtype=np.float64)
    finally:
        x[...] = old
    numeric = (plus - minus) / (2 * eps)
    where = f"gradcheck: input {i} (shape {x.shape})"
    direction = f"along a random direction u of input {i} (seed={seed})"
    if forward.shape != numeric.shape:
        raise GradcheckError(f"{where}: forward mode gave a tangent of shape {forward.shape} for an output of "
                             f"shape {numeric.shape}")
    bad = ~(np.abs(forward - numeric) <= atol + rtol * np.abs(numeric))
    if bad.any():
        ix = tuple(int(j) for j in np.argwhere(bad)[0])
        why = "reverse mode agrees with finite differences, so " if reverse_checked else ""
        if not (np.isfinite(forward[ix]) and np.isfinite(numeric[ix])):
            why = "fn overflows or divides by zero near these inputs (check it where it is finite), or "
        raise GradcheckError(
            f"{where}: forward-mode and numerical derivatives differ at output index {ix}: "
            f"forward {forward[ix]:.8g} vs numeric {numeric[ix]:.8g} "
            f"({int(bad.sum())} of {bad.size} elements differ; atol={atol:g}, rtol={rtol:g}). Both are "
            f"derivatives of fn's output {direction}: J u by forward mode and "
            f"(fn(x + eps u) - fn(x - eps u)) / (2 eps); {why}the suspect is the jvp rule of an op that fn uses")
    by_forward = float(np.sum(v * forward))                 # <v, J u>
    by_reverse = float(np.sum(reverse_gradient * u))        # <J^T v, u>
    scale = float(np.sum(np.abs(v * forward)) + np.sum(np.abs(reverse_gradient * u)))
    identity_rtol = max(_IDENTITY_RTOL, 100 * np.finfo(out_dtype).eps)
    if not abs(by_forward - by_reverse) <= identity_rtol * scale + _IDENTITY_ATOL:
        by_differences = float(np.sum(v * numeric))
        if abs(by_reverse - by_differences) > abs(by_forward - by_differences):
            suspect = "reverse mode is farther from them: the suspect is the backward of an op that fn uses"
        else:
            suspect = "forward mode is farther from them: the suspect is the jvp rule of an op that fn uses"
        raise GradcheckError(
            f"{where}: forward and reverse mode disagree {direction}: <v, J u> = {by_forward:.17g} by forward "
            f"mode vs <J^T v, u> = {by_reverse:.17g} by reverse mode (v: the random projection of the output); "
            f"they must agree to roundoff ({identity_rtol:g} relative). Finite differences give "
            f"{by_differences:.17g}; {suspect}")


def _forward_derivative(fn, xs, i, u):
    """``J u``, the tangent of ``fn``'s output when input ``i`` carries the tangent ``u`` (one forward
    pass), and the output's dtype."""
    from autograd.forward_ad import dual_level, make_dual, unpack_dual
    from autograd.tensor import Tensor

    args = list(xs)
    try:
        with dual_level():
            args[i] = make_dual(xs[i], Tensor(u))
            out = fn(*args)
            tangent = unpack_dual(out).tangent if isinstance(out, Tensor) else None
    except NotImplementedError as e:
        raise NotImplementedError(f"gradcheck with check_forward_ad=True, input {i}: {e}") from e
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    forward = np.zeros(out.shape) if tangent is None else np.array(tangent.data, dtype=np.float64)
    return forward, out.dtype if out.dtype.kind == "f" else np.dtype(np.float64)
