"""Fused loss primitives: binary cross-entropy (of probabilities and of logits) and softmax cross-entropy.

Each is one node where the composed formula would be slow (softmax cross-entropy:
one node instead of five) or inexact (the clamps and saturations of the binary
cross-entropies). They take PyTorch's ``(input, target, reduction="mean")`` and
its options by keyword (softmax cross-entropy: a class ``weight``, ``ignore_index``,
``label_smoothing`` and (N, C, d1, ...) scores, in the same one node; with logits:
``pos_weight``, and ``weight`` as a product after the node), and check their
arguments; :mod:`nn.functional` re-exports them beside the losses composed from
ops (``mse_loss``, ``nll_loss``).

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

import numpy as np

from autograd.function import Function
from autograd.checks import real_number
from autograd.modes import replayed
from autograd.ops.arguments import (check_reduction, class_scores, class_targets, float_input, float_target,
                                    reduced)
from autograd.ops.arrays import ones_vector, row_starts, shift_by_max
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

    With PyTorch's ``pos_weight`` (a constant that broadcasts against z, weighting the
    positive term): ``(1 - y) softplus(z) + pos_weight y softplus(-z)``, whose derivative
    ``(1 - y) sigmoid(z) - pos_weight y sigmoid(-z)`` is again a sum of accurate terms.
    """
    name = "binary_cross_entropy_with_logits"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, z, y, pos_weight=None):
        self.pos_weight = pos_weight
        if pos_weight is None:
            return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))   # exp of -|z|: never overflows
        softplus_minus = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))      # softplus(-z) = -log sigmoid(z)
        return (1 - y) * z + (1 + (pos_weight - 1) * y) * softplus_minus      # (PyTorch's formula)

    def backward(self, g, out, z, y):
        need_z, need_y = self.needs_input_grad
        return (g * self._dz(z, y) if need_z else None,
                g * self._dy(z) if need_y else None)

    def jvp(self, i, dx, out, z, y):
        return dx * (self._dz(z, y) if i == 0 else self._dy(z))

    def _dz(self, z, y):
        """d/dz: sigmoid(z) - y, or (1 - y) sigmoid(z) - pos_weight y sigmoid(-z); as ops on Tensors."""
        pw = self.pos_weight
        if isinstance(z, Tensor):                    # differentiable again: the same formula from ops
            if pw is None:
                return where(z >= 0, (1 - y) - sigmoid(-z), sigmoid(z) - y)
            return (1 - y) * sigmoid(z) - pw * y * sigmoid(-z)
        e = np.exp(-np.abs(z))
        small = e / (1 + e)                          # sigmoid(-|z|)
        if pw is None:
            return np.where(z >= 0, (1 - y) - small, small - y)
        positive = z >= 0
        large = 1 / (1 + e)                          # sigmoid(|z|)
        return (1 - y) * np.where(positive, large, small) - pw * y * np.where(positive, small, large)

    def _dy(self, z):
        """d/dy: -z, or pos_weight softplus(-z) - softplus(z)."""
        if self.pos_weight is None:
            return -z
        tail = np.log1p(np.exp(-np.abs(z)))
        return self.pos_weight * (np.maximum(-z, 0) + tail) - (np.maximum(z, 0) + tail)


def binary_cross_entropy_with_logits(input, target, reduction="mean", *, weight=None, pos_weight=None):
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably from the logits.

    Uses ``max(z, 0) - z y + log1p(exp(-|z|))``: no overflow at |z| = 1e4, and
    the gradient is ``sigmoid(z) - y`` everywhere, accurate even where the
    sigmoid saturates (see :class:`BinaryCrossEntropyWithLogits`). PyTorch's
    ``weight`` multiplies each element's loss and ``pos_weight`` its positive term
    (shape (C,) for (N, C) inputs: more weight on the rare positives of a class); both
    broadcast against the input and are constants (as in PyTorch).

    >>> import numpy as np
    >>> binary_cross_entropy_with_logits(np.array([1e4, -1e4, 0.0]), np.array([1.0, 1.0, 0.0]),
    ...                                  reduction="none")
    Tensor([0.00000000e+00, 1.00000000e+04, 6.93147181e-01])
    >>> binary_cross_entropy_with_logits(np.array([0.0, 0.0]), np.array([1.0, 0.0]), pos_weight=np.array(3.0),
    ...                                  reduction="none")
    Tensor([2.07944154, 0.69314718])
    """
    name = "binary_cross_entropy_with_logits"
    check_reduction(reduction, name)
    z = float_input(input, name)
    y = float_target(target, z, name)
    replayed(_check_binary_targets, y.data, name)
    if pos_weight is None:
        loss = BinaryCrossEntropyWithLogits.apply(z, y)
    else:
        loss = BinaryCrossEntropyWithLogits.apply(z, y, pos_weight=_elementwise_weight(pos_weight, z, "pos_weight",
                                                                                        name))
    if weight is not None:
        loss = loss * _elementwise_weight(weight, z, "weight", name)
    return reduced(loss, reduction)


def _elementwise_weight(weight, z, what, op):
    """A constant weight that broadcasts against the input ``z``, as an array of z's dtype."""
    if isinstance(weight, Tensor):
        if weight.requires_grad:
            raise TypeError(f"{op}: {what} requires grad, but it is a constant of the loss (PyTorch does not "
                            f"differentiate it either); pass {what}.detach()")
        weight = weight.data
    weight = np.asarray(weight)
    if weight.dtype.kind not in "iuf":
        raise TypeError(f"{op}: {what} must be numbers, got dtype {weight.dtype}; pass a float array")
    if not _broadcasts_to(weight.shape, z.shape):
        raise ValueError(f"{op}: {what} of shape {weight.shape} does not broadcast to the input's shape {z.shape}; "
                         f"pass one of shape {z.shape[-1:]} (per class) or {z.shape}")
    return weight.astype(z.dtype, copy=False)


def _broadcasts_to(shape, to):
    """Whether an array of ``shape`` broadcasts against one of shape ``to`` without enlarging it."""
    try:
        return np.broadcast_shapes(shape, to) == to
    except ValueError:
        return False


class SoftmaxCrossEntropy(Function):
    """``-log softmax(z)[label]`` per sample, reduced, as one node; with PyTorch's options too.

    Fused for measured speed (one node instead of the five of log_softmax,
    indexing, negation and the mean) and computed stably from ``z - max(z)``.
    The derivative is the classic ``softmax(z) - one_hot(label)``, times the
    upstream gradient (divided by N for the mean).

    With a class ``weight``, an ``ignore_index`` or ``label_smoothing`` the one-hot
    becomes a target row ``q``: ``(1 - eps) w[label]`` at the label plus ``eps w[c] / C``
    at every class ``c`` (0 for an ignored sample), the loss ``-sum_c q_c log softmax(z)_c``
    and its derivative ``sum(q) softmax(z) - q``; the mean divides by the total weight
    of the targets that count (``sum w[label]``, or their number), as PyTorch's. Without
    options the plain path runs as before (its cost is measured: see the benchmark).
    """
    name = "cross_entropy"
    trusted = True
    capturable = True
    batched_jvp = True               # (not batched_backward: backward's scaling of g takes one row)

    def forward(self, z, labels=None, reduction="mean", weight=None, ignore_index=None, label_smoothing=None):
        self.reduction = reduction
        n, c = z.shape
        # (the options come together, label_smoothing a number, or not at all: one test on the hot path)
        self._options = options = label_smoothing is not None
        ignored = None
        if options:
            if labels.ndim != 1:                     # (N, d1, ...) labels of scores flattened to (N d1 ..., C)
                labels = labels.reshape(-1)
            if ignore_index is not None:             # (found here, from the labels: a recorded step replays it)
                ignored = labels == ignore_index
                if ignored.any():
                    labels = np.where(ignored, 0, labels)   # (any class: its row's target weight is 0)
                else:
                    ignored = None
            self.weight, self.ignored, self.label_smoothing = weight, ignored, label_smoothing
        # each sample's own score as an index into the flattened (N, C) array: the cheapest gather
        self._flat = labels + row_starts(n, c)
        shifted, _ = shift_by_max(z, 1)
        e = np.exp(shifted)
        s = e @ ones_vector(c, e.dtype)              # each row's sum (BLAS: 2x numpy's sum over short rows)
        self.probabilities = e / s[:, None]          # saved: backward needs softmax(z)
        log_s = np.log(s)
        losses = log_s - shifted.ravel()[self._flat]  # -log softmax(z)[label]
        if options:
            losses = self._with_options(losses, log_s, shifted, weight, ignored, label_smoothing)
        else:
            self._denominator = n
        if reduction == "none":
            return losses
        total = np.add.reduce(losses)
        if reduction == "sum":
            return total
        if not options:
            return total / n
        with np.errstate(invalid="ignore", divide="ignore"):     # every target ignored: 0 / 0 = nan, as PyTorch
            return total / self._denominator

    def _with_options(self, losses, log_s, shifted, weight, ignored, eps):
        """The per-sample losses with class weights, ignored samples and label smoothing; sets what
        backward needs: the target weight of each sample and the mean's denominator."""
        n, c = shifted.shape
        eps = float(eps)
        dtype = shifted.dtype.type
        target_weight = np.ones(n, shifted.dtype) if weight is None else weight[self._flat - row_starts(n, c)]
        if ignored is not None:
            target_weight = np.where(ignored, 0, target_weight).astype(shifted.dtype)
        self._target_weight = target_weight
        self._denominator = target_weight.sum()       # sum w[label] over the samples that count (their number)
        with np.errstate(invalid="ignore"):
            losses = np.where(target_weight != 0, target_weight * losses, 0) * dtype(1 - eps)
            if eps:                                   # eps / C times -sum_c w_c log softmax(z)_c
                w = np.ones(c, shifted.dtype) if weight is None else weight
                smooth = w.sum() * log_s - shifted @ w
                if ignored is not None:
                    smooth = np.where(ignored, 0, smooth)
                losses = losses + dtype(eps / c) * smooth
        return losses.astype(shifted.dtype, copy=False)

    def backward(self, g, out, z):
        if self.reduction == "none":
            g = g.reshape(-1, 1)
        elif type(g) is np.ndarray:                  # 0-d: scaled as a Python number, no numpy call
            g = float(g) / self._denominator if self.reduction == "mean" else float(g)
        elif self.reduction == "mean":
            g = g / float(self._denominator)
        if isinstance(z, Tensor) or self._options:   # softmax as an op where z is a Tensor: differentiable again
            p = SoftmaxFunction.apply(z, axis=1) if isinstance(z, Tensor) else self.probabilities
            targets, total = self._targets(z)
            return ((p * total - targets) * g if total is not None else (p - targets) * g,)
        # (softmax - one_hot) * g without building the one-hot; C order, so ravel() is a view
        d = np.multiply(self.probabilities, g, order="C")
        d.ravel()[self._flat] -= g.ravel() if self.reduction == "none" else g
        return (d,)

    def jvp(self, i, dx, out, z):
        # d loss_k = sum over classes c of (softmax(z)_kc sum(q_k) - q_kc) dz_kc, then the reduction
        # (q: the one-hot labels without options); negative axes: dx may carry a batch axis in front
        targets, total = self._targets(z)
        p = SoftmaxFunction.apply(z, axis=1)
        per_sample = ((p * total - targets if total is not None else p - targets) * dx).sum(axis=-1)
        if self.reduction == "none":
            return per_sample
        total_change = per_sample.sum(axis=-1)
        return total_change / float(self._denominator) if self.reduction == "mean" else total_change

    def _targets(self, z):
        """The target rows ``q`` as an array of ``z``'s shape and dtype, and their sums (None: all 1, the
        one-hot labels). Built from ``_flat`` and the saved weights (ours: the caller's labels may change)."""
        q = np.zeros(z.shape, z.dtype)
        if not self._options:
            q.ravel()[self._flat] = 1
            return q, None
        n, c = z.shape
        eps = self.label_smoothing
        q.ravel()[self._flat] = self._target_weight * (1 - eps)
        if eps:
            w = np.ones(c, q.dtype) if self.weight is None else self.weight
            smooth = (eps / c) * w * np.ones((n, 1), q.dtype)
            if self.ignored is not None:
                smooth[self.ignored] = 0
            q += smooth
        return q, q.sum(axis=1, keepdims=True)

    def describe(self):
        parts = [f"reduction={self.reduction!r}"]
        if self._options:
            parts += (["weight"] if self.weight is not None else []) + (
                ["ignore_index"] if self.ignored is not None else []) + (
                [f"label_smoothing={self.label_smoothing!r}"] if self.label_smoothing else [])
        return " ".join(parts)


def softmax_cross_entropy(input, target, reduction="mean", *, weight=None, ignore_index=-100, label_smoothing=0.0):
    """Cross-entropy of raw scores ``input`` of shape (N, C) against integer class labels of shape (N,).

    ``-log softmax(input)[label]`` per sample, averaged (``"mean"``), added up (``"sum"``)
    or per sample (``"none"``); its gradient is ``softmax(input) - one_hot(target)``
    (divided by N for the mean). Scores of shape (N, C, d1, ...) take labels (N, d1, ...).
    PyTorch's options: a class ``weight`` (C,) (the mean divides by the weights of the
    targets), ``ignore_index`` (those samples count for nothing, also in the mean) and
    ``label_smoothing`` in [0, 1]. :func:`nn.functional.cross_entropy` also takes
    probability targets.

    >>> import numpy as np
    >>> z = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    >>> round(softmax_cross_entropy(z, np.array([0, -100])).item(), 4)     # the second is ignored
    0.1698
    >>> round(softmax_cross_entropy(z, np.array([0, 2]), weight=np.array([1.0, 1.0, 3.0])).item(), 4)
    0.8664
    """
    name = "cross_entropy"
    check_reduction(reduction, name)
    x = class_scores(input, name)
    labels, ignored = class_targets(target, x, name, ignore_index)
    if weight is None and ignored is None and not label_smoothing and x.data.ndim == 2:
        return SoftmaxCrossEntropy.apply(x, labels=labels, reduction=reduction)    # (the training hot path)
    weight = class_weight(weight, x, name)
    if label_smoothing != 0:
        label_smoothing = real_number(label_smoothing, "label_smoothing", name, 0, 1)
    positions = labels.shape
    if x.data.ndim > 2:                               # (N, C, d1, ...): one sample per position
        x = x.transpose((0,) + tuple(range(2, x.ndim)) + (1,)).reshape(-1, x.shape[1])
    # (labels of (N, d1, ...) are flattened inside the op, so that a step recorded by autograd.compile replays it)
    loss = SoftmaxCrossEntropy.apply(x, labels=labels, reduction=reduction, weight=weight,
                                     ignore_index=int(ignore_index), label_smoothing=float(label_smoothing))
    return loss.reshape(positions) if reduction == "none" and len(positions) > 1 else loss


def class_weight(weight, x, op):
    """A class weight of shape (C,) for scores ``x`` (N, C, ...) as an array of x's dtype (None stays None).
    A constant, as in PyTorch (which refuses to differentiate it)."""
    if weight is None:
        return None
    if isinstance(weight, Tensor):
        if weight.requires_grad:
            raise TypeError(f"{op}: weight requires grad, but it is a constant of the loss (PyTorch does not "
                            "differentiate it either); pass weight.detach()")
        weight = weight.data
    weight = np.asarray(weight)
    if weight.dtype.kind not in "iuf":
        raise TypeError(f"{op}: weight must be numbers, got dtype {weight.dtype}; pass a float array of shape "
                        f"({x.shape[1]},)")
    if weight.shape != (x.shape[1],):
        raise ValueError(f"{op}: weight must have shape ({x.shape[1]},), one per class of the input of shape "
                         f"{x.shape}, got {weight.shape}")
    return weight.astype(x.dtype)
