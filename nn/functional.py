"""Stateless functions: activations, dropout and losses (``import nn.functional as F``).

Every loss takes ``(input, target, reduction="mean")``: ``"mean"`` averages over
all elements (over samples for ``cross_entropy`` / ``nll_loss``; with class weights,
over their weights, as PyTorch), ``"sum"`` adds them up, ``"none"`` returns the
per-element losses. PyTorch's other options are keywords (``weight=``,
``ignore_index=``, ``label_smoothing=``, ``pos_weight=``). Targets are arrays or
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
from autograd.checks import probability, real_number
from autograd.ops import leaky_relu, linear, log_softmax, relu, sigmoid, softmax, tanh  # (dim= accepted)
from autograd.modes import refuse_listed_arrays
from autograd.ops.activations import (celu, elu, gelu, hardsigmoid, hardswish, hardtanh, logsigmoid, mish, relu6,
                                      selu, silu, softplus, softsign)
from autograd.ops.arguments import check_reduction, class_scores, float_input, float_target, reduced
from autograd.ops.conv import avg_pool2d, conv2d, max_pool2d
from autograd.ops.losses import (binary_cross_entropy, binary_cross_entropy_with_logits, class_weight, nll_loss,
                                 softmax_cross_entropy)
from autograd.ops.normalization import batch_norm
from nn.init import as_rng

__all__ = [
    "linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "silu", "elu", "selu",
    "celu", "softplus", "softsign", "logsigmoid", "hardtanh", "relu6", "hardsigmoid", "hardswish", "mish",
    "dropout", "batch_norm", "conv2d", "max_pool2d", "avg_pool2d",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "mse_loss",
]


# --- dropout ----------------------------------------------------------------------------

def dropout_forward(x, p=0.5, rng=None):
    """:class:`DropoutFunction`'s forward as a plain function of arrays: ``(out, mask)``, the mask (0 or
    ``1 / (1 - p)``) being what :func:`dropout_backward` needs. A step recorded by :func:`autograd.compile` calls
    it again, so it draws a fresh mask from ``rng`` on every replay, as the eager step does.

    >>> out, mask = dropout_forward(np.ones(4), p=0.5, rng=np.random.default_rng(0))
    >>> out.tolist(), dropout_backward(mask, np.ones(4))[0].tolist()
    ([2.0, 0.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0])
    """
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    if p == 1:
        mask = np.zeros(x.shape, dtype)
    else:       # kept with probability 1 - p, scaled by 1 / (1 - p): the expected value is x
        mask = (as_rng(rng).random(x.shape) >= p) * np.asarray(1 / (1 - p), dtype)
    return np.asarray(x * mask), mask         # (0-d arithmetic gives a numpy scalar)


def dropout_backward(mask, g):
    """:class:`DropoutFunction`'s backward: ``g`` times the mask (d out/d x)."""
    return (g * mask,)


class DropoutFunction(Function):
    """Inverted dropout as one op: the mask is drawn in ``forward``, from the generator it is given.

    Drawn inside the op (not beside it), so a step captured by :func:`autograd.compile`
    draws a fresh mask on every replay, as the eager step does (it calls the op's
    ``residual_functions``, :func:`dropout_forward` and :func:`dropout_backward`).
    """
    name = "dropout"
    trusted = True
    capturable = True
    residual_functions = (dropout_forward, dropout_backward)
    elementwise = batched_jvp = batched_backward = True

    def forward(self, x, p=0.5, rng=None):
        self.p = p
        out, self.residuals = dropout_forward(x, p, rng)
        return out

    def backward(self, g, out, x):
        return dropout_backward(self.residuals, g)

    def jvp(self, i, dx, out, x):
        return dx * self.residuals


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
# The fused ones (binary_cross_entropy, binary_cross_entropy_with_logits, nll_loss, and cross_entropy with
# class labels) are primitives of autograd.ops.losses, imported above; the others are composed here.

def cross_entropy(input, target, reduction="mean", *, weight=None, ignore_index=-100, label_smoothing=0.0):
    """Cross-entropy of raw scores (logits) ``input`` of shape (N, C) against the target.

    The target is either integer class labels of shape (N,), or one-hot /
    probability rows of shape (N, C). Computed through ``log_softmax`` (stable
    at any scale); the gradient is ``softmax(input) - target`` (divided by N for
    the mean). PyTorch's options: inputs (N, C, d1, ...) with labels (N, d1, ...)
    or probabilities of the input's shape; a class ``weight`` (C,); ``ignore_index``
    (labels only) and ``label_smoothing`` in [0, 1] (the target becomes
    ``(1 - eps) target + eps / C``), with PyTorch's numbers: see
    :func:`autograd.ops.losses.softmax_cross_entropy`.

    >>> import numpy as np
    >>> import nn.functional as F
    >>> z = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    >>> round(F.cross_entropy(z, np.array([0, 2]), label_smoothing=0.1).item(), 4)
    0.7176
    """
    name = "cross_entropy"
    refuse_listed_arrays(target)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind in "iu":                         # class labels: the fused primitive (which checks reduction)
        labels = target if isinstance(target, Tensor) else t     # (a Tensor handed on: a leaf's labels guarded)
        if weight is None and ignore_index == -100 and not label_smoothing:     # (the training hot path)
            return softmax_cross_entropy(input, labels, reduction)
        return softmax_cross_entropy(input, labels, reduction, weight=weight, ignore_index=ignore_index,
                                     label_smoothing=label_smoothing)
    check_reduction(reduction, name)
    x = class_scores(input, name)
    if t.dtype.kind != "f" or t.shape != x.shape:
        raise ValueError(f"{name}: target must be integer labels of shape {x.shape[:1] + x.shape[2:]} or "
                         f"probabilities of shape {x.shape}, got dtype {t.dtype} and shape {t.shape}")
    if ignore_index != -100:
        raise ValueError(f"{name}: ignore_index={ignore_index} applies to class labels, not to probability targets "
                         "(as in PyTorch); give those samples zero rows, or pass integer labels")
    weight = class_weight(weight, x, name)
    t = float_target(target, x, name)
    if label_smoothing != 0:
        eps = real_number(label_smoothing, "label_smoothing", name, 0, 1)
        if x.shape[1]:                            # (no classes: an empty target, nothing to smooth)
            t = t * (1 - eps) + eps / x.shape[1]
    log_p = x.log_softmax(axis=1)
    if weight is not None:
        log_p = log_p * weight.reshape((-1,) + (1,) * (x.ndim - 2))
    loss = -(t * log_p).sum(axis=1)
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
