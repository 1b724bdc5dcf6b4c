"""Forward-mode differentiation with dual tensors, under PyTorch's names (``torch.autograd.forward_ad``).

Reverse mode (``backward``) runs the graph backwards once per output; forward mode
carries a *tangent* with every value as the computation runs, once per input
direction: ``x = 2 + 1 eps`` gives ``x * x = 4 + 4 eps``, the derivative riding
along (dual numbers). Each op computes its output's tangent by its ``jvp`` rule
(see :class:`autograd.Function`), so no graph is needed and nothing runs backwards.

>>> from autograd import Tensor
>>> from autograd.forward_ad import dual_level, make_dual, unpack_dual
>>> with dual_level():
...     x = make_dual(Tensor([0.0, 1.0]), Tensor([1.0, 1.0]))
...     y = (x * 3).exp()
...     unpack_dual(y).tangent                       # d exp(3x) = 3 exp(3x) dx
Tensor([ 3.        , 60.25661077])

The transforms of :mod:`autograd.func` (``jvp``, ``jacfwd``, ``hvp``) are built on this.
"""
from typing import NamedTuple

import numpy as np

from autograd.function import Function
from autograd.modes import dual_level, thread_modes
from autograd.tensor import Tensor

__all__ = ["dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor", "as_primal", "as_tangent", "MakeDual"]


class UnpackedDualTensor(NamedTuple):
    """What :func:`unpack_dual` returns: the value and its tangent (None if it has none)."""
    primal: Tensor
    tangent: Tensor


def _open_level(level, caller):
    """``level``, or the innermost open level if None; it must be open in this thread."""
    levels = thread_modes.forward_levels
    if level is None:
        if not levels:
            raise RuntimeError(f"{caller}: no forward-mode level is open; use it inside `with dual_level():`")
        return levels[-1]
    if not isinstance(level, dual_level):
        raise TypeError(f"{caller}: level must be a dual_level, got {type(level).__name__}")
    if level not in levels:
        raise RuntimeError(f"{caller}: this dual_level is not open (in this thread); use it inside its with-block")
    return level


def as_primal(x, caller, what="the primal"):
    """``x`` as a Tensor of a floating dtype (derivatives with respect to integers do not exist).

    >>> as_primal([1, 2], "jvp")
    Traceback (most recent call last):
    ...
    TypeError: jvp: the primal has dtype int64; derivatives need a floating dtype: pass floats (np.asarray(x, dtype=float))
    """
    if not isinstance(x, Tensor):
        try:
            x = Tensor(x)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{caller}: {what} must be a Tensor or an array of numbers, got {type(x).__name__} ({e})") from None
    if x.dtype.kind != "f":
        raise TypeError(f"{caller}: {what} has dtype {x.dtype}; derivatives need a floating dtype: "
                        "pass floats (np.asarray(x, dtype=float))")
    return x


def as_tangent(tangent, primal, batch=(), caller="make_dual", what="the tangent", of="primal"):
    """``tangent`` as a Tensor of ``batch + primal.shape`` and the primal's dtype, or a clear error.

    A list or a number takes the primal's dtype; an array or Tensor must have it already.
    ``of`` names what ``primal`` is in messages (``"output"`` for a cotangent).
    """
    if not isinstance(tangent, Tensor):
        if isinstance(tangent, np.ndarray):
            tangent = Tensor(tangent)
        else:
            try:
                tangent = Tensor(np.asarray(tangent, dtype=primal.dtype))
            except (TypeError, ValueError) as e:
                raise TypeError(f"{caller}: {what} must be a Tensor or an array of numbers, got "
                                f"{type(tangent).__name__} ({e})") from None
    if tangent.dtype != primal.dtype:
        raise TypeError(f"{caller}: {what} has dtype {tangent.dtype} and its {of} {primal.dtype}; "
                        f"give it the {of}'s dtype (.astype(np.{primal.dtype}))")
    expected = batch + primal.shape
    if tangent.shape != expected:
        extra = f" (a batch of {batch[0]} in front of the {of}'s shape)" if batch else ""
        article = "an" if of[0] in "aeiou" else "a"
        raise ValueError(f"{caller}: {what} has shape {tangent.shape} for {article} {of} of shape {primal.shape}; "
                         f"it must have shape {expected}{extra}")
    return tangent


class MakeDual(Function):
    """The identity, as the op :func:`make_dual` records: a graph picture shows where a tangent enters."""
    name = "make_dual"
    trusted = True
    batched_jvp = True
    batched_backward = True

    def forward(self, a):
        return a.view()                               # the same values: a new array object, no copy

    def backward(self, g, out, a):
        return (g,)

    def jvp(self, i, dx, out, a):
        return dx


def make_dual(tensor, tangent, *, level=None):
    """A new tensor with the value of ``tensor`` and the tangent ``tangent`` at ``level``.

    Parameters
    ----------
    tensor : Tensor or array_like
        The value (the primal), of a floating dtype. If it requires grad, the dual tensor
        is differentiable with respect to it (reverse mode sees through).
    tangent : Tensor or array_like
        The direction: the primal's shape (with the level's batch axis in front, for a
        level opened with ``batch_size``) and its dtype; a list or number takes the primal's dtype.
    level : dual_level, optional
        Defaults to the innermost open level.

    Examples
    --------
    >>> import numpy as np
    >>> from autograd.forward_ad import dual_level, make_dual, unpack_dual
    >>> with dual_level():
    ...     x = make_dual(np.array([1.0, 2.0]), [0.0, 1.0])
    ...     unpack_dual((x ** 2).sum()).tangent       # d/dt sum((x + t v)^2) = 2 x . v
    Tensor(4.)
    """
    level = _open_level(level, "make_dual")
    primal = as_primal(tensor, "make_dual")
    tangent = as_tangent(tangent, primal, level.batch)
    dual = MakeDual.apply(primal)        # a new tensor (a graph node if the primal requires grad)
    level.set_tangent(dual, tangent)
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of ``tensor`` at ``level`` (the innermost open one by default).

    The primal is a view of ``tensor`` without the tangent at ``level`` (as in PyTorch:
    what is computed from it carries none), differentiable as ``tensor`` is; the tangent
    is a Tensor, or None where ``tensor`` does not depend on any dual input.
    """
    level = _open_level(level, "unpack_dual")
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual: expected a Tensor, got {type(tensor).__name__}")
    primal = tensor.view(tensor.shape)
    level.forget(primal)
    return UnpackedDualTensor(primal, level.tangent_of(tensor))
