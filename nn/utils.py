"""Gradient clipping, as PyTorch's ``torch.nn.utils``: ``clip_grad_norm_`` and ``clip_grad_value_``.

Call them between ``loss.backward()`` and ``optimizer.step()``; they change
the parameters' ``.grad`` arrays and skip parameters without a gradient.

>>> import numpy as np
>>> import nn
>>> w = nn.Parameter(np.zeros(2))
>>> w.grad = np.array([3.0, 4.0])
>>> float(nn.utils.clip_grad_norm_([w], max_norm=1.0))       # the norm before clipping
5.0
>>> np.round(w.grad, 4)
array([0.6, 0.8])
"""
import math

import numpy as np

from autograd import Tensor
from autograd.capture import replayed
from autograd.checks import boolean, real_number
from nn.module import Module

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters, fn):
    """The Tensors in ``parameters`` (a Tensor or an iterable of them) that have a gradient."""
    if isinstance(parameters, Module):
        raise TypeError(f"{fn}: got a Module; pass model.parameters()")
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    out = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: expected Parameters/Tensors, got {type(p).__name__}")
        if p.grad is not None:
            out.append(p)
    return out


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their total norm is at most ``max_norm``; return that norm.

    As PyTorch: the total norm is the ``norm_type`` norm of the gradients seen
    as one vector (``float("inf")``: the largest magnitude); if it exceeds
    ``max_norm`` every gradient is multiplied by ``max_norm / (total + 1e-6)``.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensors
        E.g. ``model.parameters()``.
    max_norm : float
    norm_type : float
        ``2.0`` by default; ``float("inf")`` or ``"inf"`` for the max norm.
    error_if_nonfinite : bool
        Raise RuntimeError (as PyTorch) if the total norm is nan or inf,
        leaving the gradients unchanged. Otherwise they are scaled anyway.
    foreach : ignored
        Accepted for PyTorch compatibility.

    Returns
    -------
    Tensor
        The total norm before clipping, a 0-d Tensor (``.item()`` gives a float).
    """
    fn = "clip_grad_norm_"
    params = _with_grads(parameters, fn)
    max_norm = real_number(max_norm, "max_norm", fn, low=0, finite=False)    # (inf: measure, never clip)
    norm_type = math.inf if isinstance(norm_type, str) and norm_type == "inf" else \
        real_number(norm_type, "norm_type", fn, finite=False)
    error_if_nonfinite = boolean(error_if_nonfinite, "error_if_nonfinite", fn)
    if not params:
        return Tensor(np.array(0.0))
    # (in a step recorded by autograd.compile, every replay measures and clips again)
    return Tensor(replayed(_clip_to_norm, params, max_norm, norm_type, error_if_nonfinite))


def _clip_to_norm(params, max_norm, norm_type, error_if_nonfinite):
    """Scale the gradients of ``params`` to a total norm of at most ``max_norm``; return the norm before."""
    fn = "clip_grad_norm_"
    grads = [p.grad for p in params]
    if norm_type == math.inf:
        norms = [np.max(np.abs(g)) if g.size else np.zeros((), g.dtype) for g in grads]
        total = np.max(np.stack(norms))
    else:
        norms = [np.linalg.norm(g.ravel(), norm_type) for g in grads]
        total = np.linalg.norm(np.stack(norms), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"{fn}: the total norm of order {norm_type} of the gradients is {total}, so they "
                           "cannot be clipped; set error_if_nonfinite=False to scale them anyway")
    coef = max_norm / (float(total) + 1e-6)
    if not coef >= 1:                 # (a nan norm scales by nan, as PyTorch: the gradients show it)
        for p in params:
            p.grad = p.grad * p.grad.dtype.type(coef)     # a new array: a gradient may be shared
    return np.asarray(total)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clip every gradient element to ``[-clip_value, clip_value]``, as PyTorch; returns None.

    >>> import numpy as np
    >>> import nn
    >>> w = nn.Parameter(np.zeros(3))
    >>> w.grad = np.array([-5.0, 0.5, 2.0])
    >>> nn.utils.clip_grad_value_([w], 1.0)
    >>> w.grad
    array([-1. ,  0.5,  1. ])
    """
    fn = "clip_grad_value_"
    params = _with_grads(parameters, fn)
    clip_value = real_number(clip_value, "clip_value", fn, low=0, finite=False)
    replayed(_clip_values, params, clip_value)     # (in a recorded step, every replay clips again)


def _clip_values(params, clip_value):
    for p in params:
        p.grad = np.clip(p.grad, -clip_value, clip_value).astype(p.grad.dtype, copy=False)
