"""Stateless functions: activations, dropout and losses (``import nn.functional as F``).

Every loss takes ``(input, target, reduction="mean")``: ``"mean"`` averages over
all elements (over samples for ``cross_entropy`` / ``nll_loss``), ``"sum"`` adds
them up, ``"none"`` returns the per-element losses. Targets are arrays or
Tensors (float targets that require grad get gradients too); shapes must match
exactly, since silently broadcasting (N,) against (N, 1) is the classic lab bug.

>>> import numpy as np
>>> import nn.functional as F
>>> from autograd import Tensor
>>> logits = Tensor(np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]]), requires_grad=True)
>>> loss = F.cross_entropy(logits, np.array([0, 2]))
>>> round(loss.item(), 4)
0.6342
>>> loss.backward()                                   # (softmax - one_hot) / N
>>> np.round(logits.grad, 4)
array([[-0.0781,  0.0571,  0.021 ],
       [ 0.1667,  0.1667, -0.3333]])
"""
import numpy as np

from autograd import Function, Tensor, as_tensor
from autograd.checks import probability
from autograd.ops import leaky_relu, linear, log_softmax, relu, sigmoid, softmax, tanh  # (dim= accepted)
from autograd.ops.activations import (celu, elu, gelu, hardsigmoid, hardswish, hardtanh, logsigmoid, mish, relu6,
                                      selu, silu, softplus, softsign)
from autograd.ops.arguments import (REDUCTIONS, check_reduction, class_labels, class_scores, float_input,
                                    float_target, reduced)
from autograd.ops.losses import binary_cross_entropy, binary_cross_entropy_with_logits, softmax_cross_entropy
from autograd.ops.conv import avg_pool2d, conv2d, max_pool2d
from autograd.ops.normalization import batch_norm
from nn.init import as_rng

__all__ = [
    "linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "silu", "elu", "selu",
    "celu", "softplus", "softsign", "logsigmoid", "hardtanh", "relu6", "hardsigmoid", "hardswish", "mish",
    "dropout", "batch_norm", "conv2d", "max_pool2d", "avg_pool2d",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "mse_loss",
]


# --- dropout ----------------------------------------------------------------------------

class DropoutFunction(Function):
    """Inverted dropout as one op: the mask is drawn in ``forward``, from the generator it is given.

    Drawn inside the op (not beside it), so a step captured by :func:`autograd.compile`
    draws a fresh mask on every replay, as the eager step does.
    """
    name = "dropout"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, x, p=0.5, rng=None):
        self.p = p
        dtype = x.dtype if x.dtype.kind == "f" else np.float64
        if p == 1:
            self._mask = np.zeros(x.shape, dtype)
        else:       # kept with probability 1 - p, scaled by 1 / (1 - p): the expected value is x
            self._mask = (as_rng(rng).random(x.shape) >= p) * np.asarray(1 / (1 - p), dtype)
        return x * self._mask

    def backward(self, g, out, x):
        return (g * self._mask,)                 # d out/d x = the mask

    def jvp(self, i, dx, out, x):
        return dx * self._mask


def dropout(x, p=0.5, training=True, rng=None):
    """Inverted dropout: zero elements with probability ``p``, scale the rest by ``1 / (1 - p)``.

    The expected value of every element is unchanged, so nothing needs rescaling
    at evaluation time, where (``training=False``) ``x`` is returned as is.
    ``rng`` is as in :mod:`nn.init` (an int seeds a fresh generator on every call:
    pass a Generator to get new masks each time).
    """
    p = probability(p, "p", "dropout")
    x = as_tensor(x)
    if not training or p == 0:
        return x
    as_rng(rng)                                  # (checked here: a wrong rng is the caller's error, not the op's)
    return DropoutFunction.apply(x, p=p, rng=rng)


# --- losses ------------------------------------------------------------------------------
# The fused ones (binary_cross_entropy, binary_cross_entropy_with_logits, and cross_entropy with
# class labels) are primitives of autograd.ops.losses, imported above; the others are composed here.

def nll_loss(input, target, reduction="mean"):
    """Negative log-likelihood of integer labels under log-probabilities ``input`` of shape (N, C).

    ``nll_loss(log_softmax(z), y)`` is ``cross_entropy(z, y)``.
    """
    name = "nll_loss"
    check_reduction(reduction, name)
    x = class_scores(input, name)
    loss = -x[np.arange(x.shape[0]), class_labels(target, x, name)]
    return reduced(loss, reduction)


def cross_entropy(input, target, reduction="mean"):
    """Cross-entropy of raw scores (logits) ``input`` of shape (N, C) against the target.

    The target is either integer class labels of shape (N,), or one-hot /
    probability rows of shape (N, C). Computed through ``log_softmax`` (stable
    at any scale); the gradient is ``softmax(input) - target`` (divided by N for
    the mean).
    """
    name = "cross_entropy"
    check_reduction(reduction, name)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind in "iu":                         # class labels: the fused primitive
        return softmax_cross_entropy(input, t, reduction)
    x = class_scores(input, name)
    if t.dtype.kind != "f" or t.shape != x.shape:
        raise ValueError(f"{name}: target must be integer labels of shape {x.shape[:1]} or probabilities of "
                         f"shape {x.shape}, got dtype {t.dtype} and shape {t.shape}")
    t = float_target(target, x, name)
    loss = -(t * x.log_softmax(axis=1)).sum(axis=1)
    return reduced(loss, reduction)


# --- regression ----------------------------------------------------------------------------

def mse_loss(input, target, reduction="mean"):
    """Mean squared error ``(input - target)^2``.

    >>> import nn.functional as F
    >>> F.mse_loss([1.0, 2.0], [0.0, 0.0]).item()
    2.5
    """
    name = "mse_loss"
    check_reduction(reduction, name)
    x = float_input(input, name)
    d = x - float_target(target, x, name)
    return reduced(d * d, reduction)
