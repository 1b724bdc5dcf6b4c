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
import numbers
from functools import lru_cache

import numpy as np

from autograd import Tensor, as_tensor
from autograd.function import Function
from autograd.ops.elementwise import leaky_relu, relu, sigmoid, tanh, where
from autograd.ops.linalg import linear
from autograd.ops import reduce as reduce_ops
from autograd.ops.reduce import Softmax, _shift_by_max
from nn.init import as_rng

__all__ = [
    "linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "mse_loss",
]

REDUCTIONS = ("mean", "sum", "none")


# --- PyTorch's argument names ----------------------------------------------------------------

def axis_alias(axis, dim, fn, axis_name="axis", dim_name="dim"):
    """``axis``, or ``dim`` (PyTorch's name for it) when only that is given; both: TypeError.

    >>> axis_alias(None, 1, "softmax"), axis_alias(0, None, "softmax")
    (1, 0)
    """
    if dim is None:
        return axis
    if axis is not None:
        raise TypeError(f"{fn}: got both {axis_name}={axis!r} and {dim_name}={dim!r}; they are the same "
                        f"argument ({dim_name} is PyTorch's name): give one")
    return dim


# --- activations along an axis ----------------------------------------------------------------

def softmax(x, axis=None, *, dim=None):
    """``exp(x) / sum(exp(x))`` along ``axis`` (default: the last), computed stably.

    ``dim=`` is accepted as PyTorch's name for ``axis``.

    >>> import numpy as np
    >>> softmax(np.zeros((1, 2)), dim=1)
    Tensor([[0.5, 0.5]])
    """
    axis = axis_alias(axis, dim, "softmax")
    return reduce_ops.softmax(x, -1 if axis is None else axis)


def log_softmax(x, axis=None, *, dim=None):
    """``x - logsumexp(x)`` along ``axis`` (default: the last), computed stably; ``dim=`` as for softmax."""
    axis = axis_alias(axis, dim, "log_softmax")
    return reduce_ops.log_softmax(x, -1 if axis is None else axis)


# --- dropout ----------------------------------------------------------------------------

def _dropout_p(p, where):
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0 <= p <= 1:
        raise ValueError(f"{where}: p must be a probability in [0, 1], got {p!r}")
    return float(p)


def dropout(x, p=0.5, training=True, rng=None):
    """Inverted dropout: zero elements with probability ``p``, scale the rest by ``1 / (1 - p)``.

    The expected value of every element is unchanged, so nothing needs rescaling
    at evaluation time, where (``training=False``) ``x`` is returned as is.
    ``rng`` is as in :mod:`nn.init` (an int seeds a fresh generator on every call:
    pass a Generator to get new masks each time).
    """
    p = _dropout_p(p, "dropout")
    x = as_tensor(x)
    if not training or p == 0:
        return x
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    if p == 1:
        mask = np.zeros(x.shape, dtype)
    else:
        mask = (as_rng(rng).random(x.shape) >= p) * np.asarray(1 / (1 - p), dtype)
    return x * mask


# --- helpers shared by the losses ----------------------------------------------------------

def _check_reduction(reduction, name):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _float_input(x, name):
    x = as_tensor(x)
    kind = x.data.dtype.kind
    if kind != "f":
        if x.requires_grad or kind not in "iub":
            raise TypeError(f"{name}: input must be a float tensor, got dtype {x.dtype}")
        x = Tensor(x.data.astype(np.float64))
    return x


def _float_target(target, x, name):
    """The target as a Tensor of the input's shape and dtype (a float cast keeps any graph)."""
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if t.shape != x.shape:
        raise ValueError(f"{name}: input of shape {x.shape} and target of shape {t.shape} must have the same "
                         "shape (reshape one of them; broadcasting (N,) against (N, 1) gives an (N, N) loss)")
    if t.dtype.kind not in "iubf":
        raise TypeError(f"{name}: target must be numeric, got dtype {t.dtype}")
    if t.dtype != x.dtype:
        t = t.astype(x.dtype) if t.requires_grad else Tensor(t.data.astype(x.dtype))
    return t


def _labels(target, x, name):
    """Integer class labels of shape (N,) in [0, C) for (N, C) scores, as int64."""
    labels = target.data if isinstance(target, Tensor) else target
    if type(labels) is not np.ndarray:
        labels = np.asarray(labels)
    shape = x.data.shape
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: class labels must be integers, got dtype {labels.dtype} with shape "
                        f"{labels.shape} (for one-hot or probability targets use shape {shape})")
    if labels.shape != shape[:1]:
        raise ValueError(f"{name}: input of shape {shape} needs labels of shape {shape[:1]}, "
                         f"got {labels.shape}")
    n_classes = shape[1]
    # one reduction checks both ends: seen as unsigned, a negative label is larger than any class
    unsigned = labels.view(np.uint64) if labels.dtype == np.int64 else labels.astype(np.uint64)
    if labels.size and np.maximum.reduce(unsigned) >= n_classes:
        raise ValueError(f"{name}: labels must be in [0, {n_classes}) for input of shape {shape}, "
                         f"got values from {labels.min()} to {labels.max()}")
    return labels if labels.dtype == np.int64 else labels.astype(np.int64)   # in range: a safe cast


def _scores(x, name):
    x = _float_input(x, name)
    if x.data.ndim != 2:
        raise ValueError(f"{name}: input must have shape (N, C) (N samples, C classes), got {x.shape}")
    return x


# --- binary cross-entropy ------------------------------------------------------------------

def _check_binary_targets(y, name):
    """ValueError unless every target is in [0, 1] (labels 0/1, or probabilities): one min and one max."""
    t = y.data
    if t.size:
        low, high = np.minimum.reduce(t, axis=None), np.maximum.reduce(t, axis=None)
        if not (low >= 0 and high <= 1):            # (also false for nan)
            bad = t[~((t >= 0) & (t <= 1))]
            raise ValueError(f"{name}: targets must be in [0, 1] (class labels 0/1 or probabilities), got "
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


def binary_cross_entropy(input, target, reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against targets in [0, 1].

    Each log is clamped at -100 (as PyTorch), so p = 0 or 1 gives a finite loss
    (at most 100 per element) and finite gradients.

    >>> import numpy as np
    >>> import nn.functional as F
    >>> round(F.binary_cross_entropy(np.array([0.5, 0.5, 0.5, 0.5]), np.array([1, 1, 0, 0])).item(), 3)
    0.693
    >>> F.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0]), reduction="none")
    Tensor([100., 100.])
    """
    name = "binary_cross_entropy"
    _check_reduction(reduction, name)
    p = _float_input(input, name)
    y = _float_target(target, p, name)
    _check_binary_targets(y, name)
    if p.size and not ((p.data >= 0) & (p.data <= 1)).all():
        bad = p.data[~((p.data >= 0) & (p.data <= 1))].flat[0]
        raise ValueError(f"{name}: input must be probabilities in [0, 1] (apply sigmoid, or use "
                         f"binary_cross_entropy_with_logits on raw scores); found {bad} in shape {p.shape}")
    return _reduce(BinaryCrossEntropy.apply(p, y), reduction)


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


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably from the logits.

    Uses ``max(z, 0) - z y + log1p(exp(-|z|))``: no overflow at |z| = 1e4, and
    the gradient is ``sigmoid(z) - y`` everywhere, accurate even where the
    sigmoid saturates (see :class:`BinaryCrossEntropyWithLogits`).

    >>> import numpy as np
    >>> import nn.functional as F
    >>> F.binary_cross_entropy_with_logits(np.array([1e4, -1e4, 0.0]), np.array([1.0, 1.0, 0.0]),
    ...                                    reduction="none")
    Tensor([0.00000000e+00, 1.00000000e+04, 6.93147181e-01])
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, name)
    z = _float_input(input, name)
    y = _float_target(target, z, name)
    _check_binary_targets(y, name)
    return _reduce(BinaryCrossEntropyWithLogits.apply(z, y), reduction)


# --- multi-class ---------------------------------------------------------------------------

def nll_loss(input, target, reduction="mean"):
    """Negative log-likelihood of integer labels under log-probabilities ``input`` of shape (N, C).

    ``nll_loss(log_softmax(z), y)`` is ``cross_entropy(z, y)``.
    """
    return _nll(input, target, reduction, "nll_loss")


def _nll(input, target, reduction, name):
    _check_reduction(reduction, name)
    x = _scores(input, name)
    labels = _labels(target, x, name)
    loss = -x[np.arange(x.shape[0]), labels]
    return _reduce(loss, reduction)


class SoftmaxCrossEntropy(Function):
    """``-log softmax(z)[label]`` per sample, reduced, as one node.

    Fused for measured speed (one node instead of the five of log_softmax,
    indexing, negation and the mean) and computed stably from ``z - max(z)``.
    The derivative is the classic ``softmax(z) - one_hot(label)``, times the
    upstream gradient (divided by N for the mean).
    """
    name = "cross_entropy"

    def forward(self, z, labels=None, reduction="mean"):
        self.reduction, self.labels = reduction, labels
        n, c = z.shape
        # each sample's own score as an index into the flattened (N, C) array: the cheapest gather
        self._flat = labels + _row_starts(n, c)
        shifted, _ = _shift_by_max(z, 1)
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
            one_hot = np.zeros(z.shape, z.dtype)
            one_hot.ravel()[self._flat] = 1              # (_flat is ours: the caller's labels may change)
            return ((Softmax.apply(z, axis=1) - one_hot) * g,)
        # (softmax - one_hot) * g without building the one-hot; C order, so ravel() is a view
        d = np.multiply(self.probabilities, g, order="C")
        d.ravel()[self._flat] -= g.ravel() if self.reduction == "none" else g
        return (d,)


@lru_cache(maxsize=64)                                # batch shapes are few
def _row_starts(n, c):
    """``[0, c, 2c, ...]`` (n entries): where each row starts in a flattened (n, c) array."""
    starts = np.arange(n) * c
    starts.flags.writeable = False
    return starts


def cross_entropy(input, target, reduction="mean"):
    """Cross-entropy of raw scores (logits) ``input`` of shape (N, C) against the target.

    The target is either integer class labels of shape (N,), or one-hot /
    probability rows of shape (N, C). Computed through ``log_softmax`` (stable
    at any scale); the gradient is ``softmax(input) - target`` (divided by N for
    the mean).
    """
    name = "cross_entropy"
    _check_reduction(reduction, name)
    x = _scores(input, name)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind in "iu":
        return SoftmaxCrossEntropy.apply(x, labels=_labels(t, x, name), reduction=reduction)
    if t.dtype.kind != "f" or t.shape != x.shape:
        raise ValueError(f"{name}: target must be integer labels of shape {x.shape[:1]} or probabilities of "
                         f"shape {x.shape}, got dtype {t.dtype} and shape {t.shape}")
    t = _float_target(target, x, name)
    loss = -(t * x.log_softmax(axis=1)).sum(axis=1)
    return _reduce(loss, reduction)


# --- regression ----------------------------------------------------------------------------

def mse_loss(input, target, reduction="mean"):
    """Mean squared error ``(input - target)^2``.

    >>> import nn.functional as F
    >>> F.mse_loss([1.0, 2.0], [0.0, 0.0]).item()
    2.5
    """
    name = "mse_loss"
    _check_reduction(reduction, name)
    x = _float_input(input, name)
    d = x - _float_target(target, x, name)
    return _reduce(d * d, reduction)
