"""Fused loss primitives: binary cross-entropy (of probabilities and of logits) and softmax cross-entropy.

Each is one node where the composed formula would be slow (softmax cross-entropy:
one node instead of five) or inexact (the clamps and saturations of the binary
cross-entropies). They take PyTorch's ``(input, target, reduction="mean")`` and
check their arguments; :mod:`nn.functional` re-exports them beside the losses
composed from ops (``mse_loss``, ``nll_loss``).

Each states its derivative in ``backward`` and in ``jvp`` (forward mode), with
the same clamps, so forward and reverse mode agree. The binary cross-entropies are
elementwise primitives (their reduction is a ``mean`` or ``sum`` op after them), so
both rules take a batch of directions as they are; softmax cross-entropy's
``jvp`` does, its ``backward`` (the training hot path) is given one at a time.

>>> import numpy as np
>>> from autograd import Tensor
>>> from autograd.ops.losses import softmax_cross_entropy
>>> z = Tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]], requires_grad=True)
>>> loss = softmax_cross_entropy(z, np.array([0, 2]))
>>> round(loss.item(), 4)
0.6342
"""
from functools import lru_cache

import numpy as np

from autograd.function import Function
from autograd.modes import replayed
from autograd.ops.arguments import (check_reduction, class_labels, class_scores, float_input, float_target,
                                    reduced)
from autograd.ops.arrays import shift_by_max
from autograd.ops.elementwise import sigmoid, where
from autograd.ops.reduce import SoftmaxFunction
from autograd.tensor import Tensor

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "softmax_cross_entropy"]


def _check_binary_targets(t, op):
    """ValueError unless every target in the array ``t`` is in [0, 1] (labels 0/1, or probabilities): one min
    and one max (again on every replay of a step captured by autograd.compile)."""
    if t.size:
        low, high = np.minimum.reduce(t, axis=None), np.maximum.reduce(t, axis=None)
        if not (low >= 0 and high <= 1):            # (also false for nan)
            bad = t[~((t >= 0) & (t <= 1))]
            raise ValueError(f"{op}: targets must be in [0, 1] (class labels 0/1 or probabilities), got "
                             f"{np.unique(bad)[:5].tolist()} in shape {t.shape} (values from {low} to {high}); "
                             "for labels -1/+1 use (y + 1) / 2")


_BCE_EPS = float(np.float32(1e-12))      # PyTorch's clamp of p (1 - p): 1e-12 rounded to float32


class BinaryCrossEntropy(Function):
    """``-(y log p + (1 - y) log(1 - p))`` with each log clamped at -100, as PyTorch.

    A fused op because the clamp must also tame the gradient: composed from
    ``log`` and ``maximum`` it would be ``0 / 0 = nan`` at p = 0 or 1. The
    gradient is PyTorch's ``(p - y) / max(p (1 - p), 1e-12)``: finite everywhere.
    """
    name = "binary_cross_entropy"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, p, y):
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_q = np.maximum(np.log(1 - p), -100)
        return -(y * log_p + (1 - y) * log_q)

    def backward(self, g, out, p, y):
        need_p, need_y = self.needs_input_grad
        gp = gy = None
        if need_p:
            gp = g * (p - y) / np.maximum(p * (1 - p), _BCE_EPS)
        if need_y:
            with np.errstate(divide="ignore"):
                gy = g * (np.maximum(np.log(1 - p), -100) - np.maximum(np.log(p), -100))
        return gp, gy

    def jvp(self, i, dx, out, p, y):
        if i == 0:                                   # d/dp = (p - y) / max(p (1 - p), eps), as backward
            return dx * (p - y) / np.maximum(p * (1 - p), _BCE_EPS)
        with np.errstate(divide="ignore"):           # d/dy = log(1 - p) - log(p), each clamped at -100
            return dx * (np.maximum(np.log(1 - p), -100) - np.maximum(np.log(p), -100))


def binary_cross_entropy(input, target, reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against targets in [0, 1].

    Each log is clamped at -100 (as PyTorch), so p = 0 or 1 gives a finite loss
    (at most 100 per element) and finite gradients.

    >>> import numpy as np
    >>> round(binary_cross_entropy(np.array([0.5, 0.5, 0.5, 0.5]), np.array([1, 1, 0, 0])).item(), 3)
    0.693
    >>> binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0]), reduction="none")
    Tensor([100., 100.])
    """
    name = "binary_cross_entropy"
    check_reduction(reduction, name)
    p = float_input(input, name)
    y = float_target(target, p, name)
    replayed(_check_binary_targets, y.data, name)
    if p.size and not ((p.data >= 0) & (p.data <= 1)).all():
        bad = p.data[~((p.data >= 0) & (p.data <= 1))].flat[0]
        raise ValueError(f"{name}: input must be probabilities in [0, 1] (apply sigmoid, or use "
                         f"binary_cross_entropy_with_logits on raw scores); found {bad} in shape {p.shape}")
    return reduced(BinaryCrossEntropy.apply(p, y), reduction)


class BinaryCrossEntropyWithLogits(Function):
    """``max(z, 0) - z y + log1p(exp(-|z|))``, the BCE of ``sigmoid(z)``, as one node.

    A fused op for accuracy at saturation. Composed from ops, the gradient
    ``sigmoid(z) - y`` would arrive as a sum of three terms (``1 - y - 1e-313``
    at z = 720, y = 1) whose rounding depends on the order they are added in;
    here it is computed directly as ``(1 - y) - sigmoid(-z)`` for z >= 0 and
    ``sigmoid(z) - y`` below, so a saturated output keeps its tiny true gradient
    (and ``log1p`` keeps the tiny true loss).
    """
    name = "binary_cross_entropy_with_logits"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, z, y):
        return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))   # exp of -|z|: never overflows

    def backward(self, g, out, z, y):
        need_z, need_y = self.needs_input_grad
        if isinstance(z, Tensor):                    # differentiable again: the same formula from ops
            dz = where(z >= 0, (1 - y) - sigmoid(-z), sigmoid(z) - y)
        else:
            e = np.exp(-np.abs(z))
            small = e / (1 + e)                      # sigmoid(-|z|)
            dz = np.where(z >= 0, (1 - y) - small, small - y)
        return (g * dz if need_z else None,          # d/dz = sigmoid(z) - y
                -g * z if need_y else None)          # d/dy = -z

    def jvp(self, i, dx, out, z, y):
        if i == 0:                                   # d/dz = sigmoid(z) - y, computed as backward does
            return dx * where(z >= 0, (1 - y) - sigmoid(-z), sigmoid(z) - y)
        return -dx * z                               # d/dy = -z


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably from the logits.

    Uses ``max(z, 0) - z y + log1p(exp(-|z|))``: no overflow at |z| = 1e4, and
    the gradient is ``sigmoid(z) - y`` everywhere, accurate even where the
    sigmoid saturates (see :class:`BinaryCrossEntropyWithLogits`).

    >>> import numpy as np
    >>> binary_cross_entropy_with_logits(np.array([1e4, -1e4, 0.0]), np.array([1.0, 1.0, 0.0]),
    ...                                  reduction="none")
    Tensor([0.00000000e+00, 1.00000000e+04, 6.93147181e-01])
    """
    name = "binary_cross_entropy_with_logits"
    check_reduction(reduction, name)
    z = float_input(input, name)
    y = float_target(target, z, name)
    replayed(_check_binary_targets, y.data, name)
    return reduced(BinaryCrossEntropyWithLogits.apply(z, y), reduction)


@lru_cache(maxsize=64)                                # batch shapes are few
def _row_starts(n, c):
    """``[0, c, 2c, ...]`` (n entries): where each row starts in a flattened (n, c) array."""
    starts = np.arange(n) * c
    starts.flags.writeable = False
    return starts


class SoftmaxCrossEntropy(Function):
    """``-log softmax(z)[label]`` per sample, reduced, as one node.

    Fused for measured speed (one node instead of the five of log_softmax,
    indexing, negation and the mean) and computed stably from ``z - max(z)``.
    The derivative is the classic ``softmax(z) - one_hot(label)``, times the
    upstream gradient (divided by N for the mean).
    """
    name = "cross_entropy"
    trusted = True
    capturable = True
    batched_jvp = True               # (not batched_backward: backward's scaling of g takes one row)

    def forward(self, z, labels=None, reduction="mean"):
        self.reduction, self.labels = reduction, labels
        n, c = z.shape
        # each sample's own score as an index into the flattened (N, C) array: the cheapest gather
        self._flat = labels + _row_starts(n, c)
        shifted, _ = shift_by_max(z, 1)
        e = np.exp(shifted)
        s = np.add.reduce(e, axis=1, keepdims=True)  # (ufuncs called directly: ndarray.sum adds a Python layer)
        self.probabilities = e / s                   # saved: backward needs softmax(z)
        losses = np.log(s).ravel() - shifted.ravel()[self._flat]  # -log softmax(z)[label]
        if reduction == "none":
            return losses
        total = np.add.reduce(losses)
        return total / n if reduction == "mean" else total

    def backward(self, g, out, z):
        n = len(self._flat)
        if self.reduction == "none":
            g = g.reshape(-1, 1)
        elif type(g) is np.ndarray:                  # 0-d: scaled as a Python number, no numpy call
            g = float(g) / n if self.reduction == "mean" else float(g)
        elif self.reduction == "mean":
            g = g / n
        if isinstance(z, Tensor):                    # differentiable again: softmax as an op
            return ((SoftmaxFunction.apply(z, axis=1) - self._one_hot(z)) * g,)
        # (softmax - one_hot) * g without building the one-hot; C order, so ravel() is a view
        d = np.multiply(self.probabilities, g, order="C")
        d.ravel()[self._flat] -= g.ravel() if self.reduction == "none" else g
        return (d,)

    def jvp(self, i, dx, out, z):
        # d loss_k = sum over classes c of (softmax(z)_kc - one_hot_kc) dz_kc, then the reduction;
        # negative axes: dx may carry a batch axis in front (softmax as an op: differentiable again)
        per_sample = ((SoftmaxFunction.apply(z, axis=1) - self._one_hot(z)) * dx).sum(axis=-1)
        if self.reduction == "none":
            return per_sample
        total = per_sample.sum(axis=-1)
        return total / len(self._flat) if self.reduction == "mean" else total

    def _one_hot(self, z):
        """The labels one-hot, as an array of ``z``'s shape and dtype (from ``_flat``, ours: the caller's
        labels may change after the forward)."""
        one_hot = np.zeros(z.shape, z.dtype)
        one_hot.ravel()[self._flat] = 1
        return one_hot


def softmax_cross_entropy(input, target, reduction="mean"):
    """Cross-entropy of raw scores ``input`` of shape (N, C) against integer class labels of shape (N,).

    ``-log softmax(input)[label]`` per sample, averaged (``"mean"``), added up (``"sum"``)
    or per sample (``"none"``); its gradient is ``softmax(input) - one_hot(target)``
    (divided by N for the mean). :func:`nn.functional.cross_entropy` also takes
    probability targets.
    """
    name = "cross_entropy"
    check_reduction(reduction, name)
    x = class_scores(input, name)
    return SoftmaxCrossEntropy.apply(x, labels=class_labels(target, x, name), reduction=reduction)
