"""Function transforms with torch.func's (and JAX's) names: derivatives of Python functions, as functions.

Each transform takes a function of tensors and returns a new function (or its
result): ``grad(f)`` is the function ``x -> df/dx``. They compose, because each
one's result is made of ordinary ops that the others differentiate again:
``grad(grad(f))``, ``jvp`` of ``grad`` (forward over reverse), ``grad`` of ``jvp``,
``jacfwd(jacrev(f))`` (which is :func:`hessian`).

=========================  ======================  =========================================
transform                  mode                    result for ``f: R^n -> R^m`` at ``x``
=========================  ======================  =========================================
``grad(f)(x)``             reverse, one pass       ``df/dx`` (m = 1)
``value_and_grad(f)(x)``   reverse, one pass       ``(f(x), df/dx)``
``vjp(f, x)``              reverse                 ``(f(x), u -> u^T J)``
``jvp(f, (x,), (v,))``     forward, one pass       ``(f(x), J v)``
``jacrev(f)(x)``           reverse, m rows at once ``J`` (shape ``f(x).shape + x.shape``)
``jacfwd(f)(x)``           forward, n columns      ``J``
``hessian(f)(x)``          forward over reverse    ``d2f/dx2`` (m = 1)
``hvp(f, (x,), (v,))``     forward over reverse    ``(f(x), H v)`` without forming H
=========================  ======================  =========================================

Inputs may be Tensors, numpy arrays or lists of floats; results are Tensors.
As in torch.func, a transform is not stopped by a ``no_grad`` around it, and
``no_grad`` *inside* ``f`` makes what it computes a constant for reverse mode
(``grad``, ``vjp``, ``jacrev``); forward mode (``jvp``, ``jacfwd``) carries its
tangents through ``no_grad`` as PyTorch's forward AD does.

>>> import numpy as np
>>> from autograd import func
>>> f = lambda x: (x.tanh() * x).sum()
>>> x, v = np.array([0.5, -1.0]), np.array([1.0, 0.0])
>>> func.grad(f)(x)                               # tanh(x) + x (1 - tanh(x)^2)
Tensor([ 0.85534102, -1.1815685 ])
>>> func.jvp(f, (x,), (v,))                       # f(x), and the slope along v
(Tensor(0.99265273), Tensor(0.85534102))
"""
import functools

import numpy as np

from autograd import engine
from autograd.checks import is_int
from autograd.forward_ad import as_primal, as_tangent, make_dual
from autograd.graph import topological_order
from autograd.modes import dual_level, enable_grad, is_grad_enabled, thread_modes
from autograd.tensor import Tensor

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "hvp"]


# --- what the transforms share: arguments, outputs -------------------------------------

def _positions(argnums, n_args, transform):
    """``argnums`` (an int or a tuple of ints, negatives from the end) as positions among ``n_args``."""
    single = is_int(argnums)
    nums = (argnums,) if single else argnums
    if not isinstance(nums, tuple) or not nums or not all(is_int(i) for i in nums):
        raise TypeError(f"{transform}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    positions = []
    for i in nums:
        if not -n_args <= i < n_args:
            raise ValueError(f"{transform}: argnums {argnums!r} asks for argument {i}, but the function "
                             f"was called with {n_args} positional argument(s)")
        positions.append(int(i) % n_args)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{transform}: argnums {argnums!r} names an argument twice")
    return positions, single


def _tracked(x):
    """A new tensor with ``x``'s value that reverse mode differentiates with respect to.

    A leaf when ``x`` is a constant; a node over ``x`` when an outer transform tracks ``x``,
    so the outer one still sees through. Either way it carries ``x``'s tangents.
    """
    t = x.view(x.shape)
    if not t.requires_grad:
        t.requires_grad = True
    return t


def _split_aux(result, has_aux, transform):
    if not has_aux:
        return result, None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(f"{transform}: with has_aux=True the function must return a pair (output, aux), "
                        f"got {type(result).__name__}")
    return result


def _outputs(out, transform):
    """The function's output as a list of float Tensors, and whether it was a tuple."""
    many = isinstance(out, (tuple, list))
    outs = list(out) if many else [out]
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            where = f" (element {k} of the returned {type(out).__name__})" if many else ""
            hint = ("; with has_aux=False the function must return only Tensors (pass has_aux=True to return "
                    "(output, aux))") if isinstance(out, tuple) else "; build the result from Tensor ops"
            raise TypeError(f"{transform}: the function must return a Tensor, got {type(o).__name__}{where}{hint}")
        if o.dtype.kind != "f":
            raise TypeError(f"{transform}: the function returned a Tensor of dtype {o.dtype}; only floating "
                            "outputs have derivatives")
    if many and not outs:
        raise ValueError(f"{transform}: the function returned an empty {type(out).__name__}")
    return outs, many


def _scalar(out, transform):
    """``out`` must be one Tensor with one element: the transform differentiates a number."""
    if not isinstance(out, (tuple, list)):
        (out,), _ = _outputs(out, transform)
    if isinstance(out, (tuple, list)) or out.size != 1:
        got = f"a {type(out).__name__}" if isinstance(out, (tuple, list)) else f"shape {out.shape}"
        hint = " (to return more, pass has_aux=True and return (output, aux))" if isinstance(out, tuple) else ""
        raise ValueError(f"{transform}: the function must return a scalar (one element) to be differentiated, "
                         f"got {got}{hint}; reduce it (.sum(), .mean()) or use jacrev/jacfwd for a Jacobian")
    return out


def _reverse_outside(outs, tracked, grad_was_enabled):
    """True when reverse mode outside the transform reaches its results: grad mode was on and the
    outputs depend on a tensor that requires grad (an input an outer transform tracks, a model's
    parameters the function closes over). Then the results keep their graph, as in torch.func."""
    if not grad_was_enabled:
        return False
    if any(t.op is not None for t in tracked):         # an input that requires grad outside
        return True
    ours = set(tracked)
    for t in topological_order(outs):
        for p in t.op.parents:
            if p.op is None and p.requires_grad and p not in ours:
                return True
    return False


def _needs_graph(outs, tracked, grad_was_enabled):
    """True when the derivatives must be differentiable themselves: for a forward-mode level that is
    open (forward over reverse), or for reverse mode outside."""
    return bool(thread_modes.forward_levels) or _reverse_outside(outs, tracked, grad_was_enabled)


def _detached(result):
    """``result`` (a Tensor, or a tuple of them, nested) without its graph: the tensors the transform
    made inside are its own. Tangents of open levels stay, detached too (forward mode outside still
    needs them)."""
    if isinstance(result, (tuple, list, dict)):          # (a container without Tensors comes back as it was)
        items = list(result.items()) if isinstance(result, dict) else list(enumerate(result))
        detached = [(k, _detached(v)) for k, v in items]
        if all(d is v for (_, d), (_, v) in zip(detached, items)):
            return result
        return dict(detached) if isinstance(result, dict) else type(result)(d for _, d in detached)
    if not isinstance(result, Tensor):
        return result
    detached = Tensor.wrap(result.data)
    for level in thread_modes.forward_levels:
        tangent = level.tangent_of(result)
        if tangent is not None:
            level.set_tangent(detached, _detached(tangent))
    return detached


def _callable(func, transform):
    if not callable(func):
        raise TypeError(f"{transform}: the first argument must be the function to transform, "
                        f"got {type(func).__name__}")


def _zeros(shape, dtype):
    return Tensor.wrap(np.zeros(shape, dtype))


def _gradients(outs, tracked, seeds, create_graph, batched=False):
    """d(outs . seeds)/d(tracked) by one walk of the engine; zeros where an input is not used (an output
    that depends on no input, as a constant or under no_grad, contributes zeros, as in torch.func)."""
    lead = (len(seeds[0]),) if batched else ()
    live = [k for k, o in enumerate(outs) if o.requires_grad]
    grads = [None] * len(tracked)
    if live:
        grads = engine.grad([outs[k] for k in live], tracked,
                            grad_outputs=None if seeds is None else [seeds[k] for k in live],
                            create_graph=create_graph, retain_graph=True, allow_unused=True, is_grads_batched=batched)
    return [_zeros(lead + x.shape, x.dtype) if g is None else g for g, x in zip(grads, tracked)]


def _call_tracked(func, args, kwargs, argnums, has_aux, transform):
    """Run ``func`` with the ``argnums`` arguments replaced by tracked tensors (grad mode on)."""
    positions, single = _positions(argnums, len(args), transform)
    args = list(args)
    tracked = []
    for i in positions:
        args[i] = _tracked(as_primal(args[i], transform, f"argument {i}"))
        tracked.append(args[i])
    out, aux = _split_aux(func(*args, **kwargs), has_aux, transform)
    return out, aux, tracked, single


# --- reverse mode -----------------------------------------------------------------------

def value_and_grad(func, argnums=0, has_aux=False):
    """``func`` and its gradient together: returns ``f`` with ``f(*args) = (value, gradient)``.

    Parameters
    ----------
    func : callable
        Returns a one-element Tensor (with ``has_aux``, a pair ``(output, aux)``).
    argnums : int or tuple of int
        Which positional arguments to differentiate with respect to; with a tuple the
        gradient is a tuple, one per argument.
    has_aux : bool
        ``func`` returns ``(output, aux)``; the value is then ``(output, aux)``.

    Examples
    --------
    >>> from autograd import func
    >>> value, slope = func.value_and_grad(lambda x: (x ** 3).sum())([2.0])
    >>> value, slope
    (Tensor(8.), Tensor([12.]))
    """
    _callable(func, "value_and_grad")
    return _value_and_grad(func, argnums, has_aux, "value_and_grad")


def _value_and_grad(func, argnums, has_aux, transform):
    """:func:`value_and_grad`, its errors named after ``transform`` (``grad`` and ``hvp`` build on it)."""
    @functools.wraps(func)
    def value_and_grad_f(*args, **kwargs):
        grad_was_enabled = is_grad_enabled()
        with enable_grad():
            out, aux, tracked, single = _call_tracked(func, args, kwargs, argnums, has_aux, transform)
            out = _scalar(out, transform)
            grads = _gradients([out], tracked, None, _needs_graph([out], tracked, grad_was_enabled))
            keep = _reverse_outside([out], tracked, grad_was_enabled)
        result = ((out, aux) if has_aux else out), (grads[0] if single else tuple(grads))
        return result if keep else _detached(result)
    return value_and_grad_f


def grad(func, argnums=0, has_aux=False):
    """The gradient of ``func`` as a function: ``grad(f)(x)`` is ``df/dx`` (``(df/dx, aux)`` with ``has_aux``).

    ``func`` must return a one-element Tensor; see :func:`value_and_grad` for the parameters.

    Examples
    --------
    >>> from autograd import func
    >>> f = lambda x: x ** 3
    >>> func.grad(f)(2.0), func.grad(func.grad(f))(2.0)      # 3 x^2, 6 x
    (Tensor(12.), Tensor(12.))
    """
    _callable(func, "grad")
    value_and_grad_f = _value_and_grad(func, argnums, has_aux, "grad")

    @functools.wraps(func)
    def grad_f(*args, **kwargs):
        value, g = value_and_grad_f(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return grad_f


def vjp(func, *primals, has_aux=False):
    """``func(*primals)`` and the function ``u -> u^T J`` (a vector-Jacobian product: reverse mode).

    Returns ``(output, vjp_fn)`` (``(output, vjp_fn, aux)`` with ``has_aux``); ``vjp_fn(u)``,
    with ``u`` of the output's shape (a tuple of them for a tuple of outputs), returns a
    tuple with one gradient per primal and can be called any number of times.

    Examples
    --------
    >>> from autograd import func
    >>> out, pullback = func.vjp(lambda x: x * x, [1.0, 3.0])
    >>> pullback([1.0, 1.0])
    (Tensor([2., 6.]),)
    """
    _callable(func, "vjp")
    if not primals:
        raise TypeError("vjp: no primals given; write vjp(f, x) (or vjp(f, x, y) for a function of two)")
    grad_was_enabled = is_grad_enabled()
    with enable_grad():
        out, aux, tracked, _ = _call_tracked(func, primals, {}, tuple(range(len(primals))), has_aux, "vjp")
        outs, many = _outputs(out, "vjp")
        keep = _reverse_outside(outs, tracked, grad_was_enabled)

    def vjp_fn(cotangents):
        cotangents = _matching(cotangents, outs, many, "vjp_fn", "cotangent")
        with enable_grad():
            create = keep or bool(thread_modes.forward_levels) or any(
                c.requires_grad or getattr(c, "tangents", None) for c in cotangents)
            grads = tuple(_gradients(outs, tracked, cotangents if create else [c.data for c in cotangents], create))
        return grads if create else _detached(grads)

    if not keep:
        out, aux = _detached(out), _detached(aux)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def _matching(values, outs, many, caller, what):
    """One Tensor per output, each of its output's shape and dtype (a tuple when the outputs were one)."""
    if many:
        if not isinstance(values, (tuple, list)) or len(values) != len(outs):
            raise TypeError(f"{caller}: the function returned {len(outs)} outputs; pass a tuple of "
                            f"{len(outs)} {what}s, got {type(values).__name__}")
    else:
        values = [values]
    return [as_tangent(v, o, (), caller, f"the {what}", of="output") for v, o in zip(values, outs)]


def jacrev(func, argnums=0, *, has_aux=False):
    """The Jacobian of ``func`` by reverse mode: all m rows in one backward walk (a batch of m seeds).

    ``jacrev(f)(x)`` has shape ``f(x).shape + x.shape``; with a tuple ``argnums`` a tuple
    of Jacobians, with a tuple of outputs a tuple over the outputs. Best when the output
    is small (m rows) and the input large; :func:`jacfwd` is the other way round.

    Examples
    --------
    >>> from autograd import func
    >>> func.jacrev(lambda x: x * x)([1.0, 2.0])
    Tensor([[2., 0.],
            [0., 4.]])
    """
    _callable(func, "jacrev")
    return _jacrev(func, argnums, has_aux, "jacrev")


def _jacrev(func, argnums, has_aux, transform):
    @functools.wraps(func)
    def jacrev_f(*args, **kwargs):
        grad_was_enabled = is_grad_enabled()
        with enable_grad():
            out, aux, tracked, single = _call_tracked(func, args, kwargs, argnums, has_aux, transform)
            outs, many = _outputs(out, transform)
            create = _needs_graph(outs, tracked, grad_was_enabled)
            per_output = [_jacobian_rows(o, outs, tracked, create) for o in outs]
            keep = _reverse_outside(outs, tracked, grad_was_enabled)
        jac = [j[0] if single else tuple(j) for j in per_output]
        jac = tuple(jac) if many else jac[0]
        result = (jac, aux) if has_aux else jac
        return result if keep else _detached(result)
    return jacrev_f


def _jacobian_rows(o, outs, tracked, create):
    """The Jacobians of output ``o`` with respect to each tracked input (a batch of one-hot seeds)."""
    m = o.size
    if m == 0 or any(x.size == 0 for x in tracked):
        return [_zeros(o.shape + x.shape, x.dtype) for x in tracked]
    seeds = []
    for other in outs:
        eye = np.eye(m, dtype=o.dtype) if other is o else np.zeros((m, other.size), other.dtype)
        eye = eye.reshape((m,) + other.shape)
        seeds.append(Tensor.wrap(eye) if create else eye)
    grads = _gradients(outs, tracked, seeds, create, batched=True)
    return [g.reshape(o.shape + x.shape) for g, x in zip(grads, tracked)]


def hessian(func, argnums=0):
    """The Hessian of a scalar ``func``: ``jacfwd(jacrev(func))``, forward mode over reverse mode.

    ``hessian(f)(x)`` has shape ``x.shape + x.shape``; with a tuple ``argnums``, nested tuples
    ``H[i][j]`` (second derivatives with respect to arguments i and j).

    Examples
    --------
    >>> from autograd import func
    >>> func.hessian(lambda x: (x[0] ** 2) * x[1])([1.0, 3.0])     # [[2 x1, 2 x0], [2 x0, 0]]
    Tensor([[6., 2.],
            [2., 0.]])
    """
    _callable(func, "hessian")
    return _jacfwd(_jacrev(_named_scalar(func, "hessian"), argnums, False, "hessian"), argnums, False, "hessian")


def _named_scalar(func, transform):
    """``func``, checked to return a scalar, in an error naming ``transform``."""
    @functools.wraps(func)
    def scalar_func(*args, **kwargs):
        return _scalar(func(*args, **kwargs), transform)
    return scalar_func


# --- forward mode -----------------------------------------------------------------------

def jvp(func, primals, tangents, *, has_aux=False):
    """``func(*primals)`` and its directional derivative ``J v`` along ``tangents``, in one forward pass.

    Parameters
    ----------
    func : callable
        Returns a Tensor or a tuple of Tensors (with ``has_aux``, a pair ``(output, aux)``).
    primals, tangents : tuple
        The point, and one direction per primal (of its shape and dtype).

    Returns
    -------
    (output, jvp_out) or (output, jvp_out, aux)
        ``jvp_out`` has the output's structure.

    Examples
    --------
    >>> from autograd import func
    >>> func.jvp(lambda x: (x * x).sum(), ([1.0, 2.0],), ([1.0, 0.0],))
    (Tensor(5.), Tensor(2.))
    """
    _callable(func, "jvp")
    return _jvp(func, primals, tangents, has_aux, "jvp")


def _jvp(func, primals, tangents, has_aux, transform):
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise TypeError(f"{transform}: primals and tangents must be tuples (one entry per argument of the function), "
                        f"got {type(primals).__name__} and {type(tangents).__name__}; write {transform}(f, (x,), (v,))")
    if not primals or len(primals) != len(tangents):
        raise ValueError(f"{transform}: got {len(primals)} primals and {len(tangents)} tangents; "
                         "pass one tangent per primal, at least one")
    primals = [as_primal(p, transform, f"primal {i}") for i, p in enumerate(primals)]
    tangents = [as_tangent(t, p, (), transform, f"tangent {i}") for i, (p, t) in enumerate(zip(primals, tangents))]
    out, aux, outs, many, out_tangents = _forward(func, primals, tangents, (), has_aux, transform)
    result = tuple(out_tangents) if many else out_tangents[0]
    return (out, result, aux) if has_aux else (out, result)


def _forward(func, primals, tangents, batch, has_aux, transform):
    """Run ``func`` on dual tensors at a new level; the output, aux and the outputs' tangents."""
    grad_was_enabled = is_grad_enabled()
    with enable_grad(), dual_level(batch[0] if batch else None) as level:
        duals = [make_dual(p, t, level=level) for p, t in zip(primals, tangents)]
        out, aux = _split_aux(func(*duals), has_aux, transform)
        outs, many = _outputs(out, transform)
        out_tangents = []
        for o in outs:
            t = level.tangent_of(o)
            out_tangents.append(_zeros(batch + o.shape, o.dtype) if t is None else t)
        if not _reverse_outside(outs + out_tangents, duals, grad_was_enabled):
            out, aux, out_tangents = _detached(out), _detached(aux), _detached(tuple(out_tangents))
            outs = list(out) if many else [out]
    return out, aux, outs, many, list(out_tangents)


def jacfwd(func, argnums=0, *, has_aux=False):
    """The Jacobian of ``func`` by forward mode: all n columns in one forward pass (a batch of n tangents).

    ``jacfwd(f)(x)`` has shape ``f(x).shape + x.shape``, as :func:`jacrev`; best when the
    input is small (n columns) and the output large.

    Examples
    --------
    >>> from autograd import func
    >>> func.jacfwd(lambda x: x.exp())([0.0, 1.0])
    Tensor([[1.        , 0.        ],
            [0.        , 2.71828183]])
    """
    _callable(func, "jacfwd")
    return _jacfwd(func, argnums, has_aux, "jacfwd")


def _jacfwd(func, argnums, has_aux, transform):
    @functools.wraps(func)
    def jacfwd_f(*args, **kwargs):
        positions, single = _positions(argnums, len(args), transform)
        primals = [as_primal(args[i], transform, f"argument {i}") for i in positions]
        sizes = [p.size for p in primals]
        n = sum(sizes)
        # the n x n identity's columns, split by argument (one array: a zeroed copy too would cost the page
        # faults of a fresh 2.4 MB each call, half of jacfwd's time at n = 784)
        identity = np.eye(n, dtype=np.result_type(*[p.dtype for p in primals]))
        tangents, start = [], 0
        for p, size in zip(primals, sizes):
            columns = identity[:, start:start + size] if len(primals) > 1 else identity
            tangents.append(Tensor.wrap(columns.astype(p.dtype, copy=False).reshape((n,) + p.shape)))
            start += size

        def on_primals(*duals):
            call = list(args)
            for i, d in zip(positions, duals):
                call[i] = d
            return func(*call, **kwargs)

        if n == 0:                               # nothing to vary: the Jacobians are empty
            out, aux = _split_aux(on_primals(*primals), has_aux, transform)
            outs, many = _outputs(out, transform)
            out_tangents = [_zeros((0,) + o.shape, o.dtype) for o in outs]
        else:
            out, aux, outs, many, out_tangents = _forward(on_primals, primals, tangents, (n,), has_aux, transform)
        jac = []
        for o, t in zip(outs, out_tangents):
            per_arg, start = [], 0
            for p, size in zip(primals, sizes):        # rows of t are the input's elements: move them last
                block = t[start:start + size].reshape(size, o.size).T
                per_arg.append(block.reshape(o.shape + p.shape))
                start += size
            jac.append(per_arg[0] if single else tuple(per_arg))
        jac = tuple(jac) if many else jac[0]
        return (jac, aux) if has_aux else jac
    return jacfwd_f


def hvp(func, primals, tangents):
    """``func(*primals)`` and the Hessian-vector product ``H v``, forward over reverse, without forming H.

    The gradient is taken with respect to every primal, and ``H v`` is a tuple with one
    entry per primal (``d/dt grad f(x + t v)`` at 0).

    Examples
    --------
    >>> from autograd import func
    >>> func.hvp(lambda x: (x ** 3).sum(), ([1.0, 2.0],), ([1.0, 1.0],))     # H = diag(6 x)
    (Tensor(9.), (Tensor([ 6., 12.]),))
    """
    _callable(func, "hvp")
    if not isinstance(primals, tuple) or not primals:
        raise TypeError(f"hvp: primals must be a non-empty tuple (one entry per argument), got "
                        f"{type(primals).__name__}; write hvp(f, (x,), (v,))")
    value_and_grads = _value_and_grad(_named_scalar(func, "hvp"), tuple(range(len(primals))), False, "hvp")

    def gradients_with_value(*p):
        value, grads = value_and_grads(*p)
        return grads, value

    _, hvps, value = _jvp(gradients_with_value, primals, tangents, True, "hvp")
    return value, hvps
