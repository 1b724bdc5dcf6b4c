"""Fused loss primitives: binary cross-entropy (of probabilities and of logits), softmax cross-entropy and the
negative log-likelihood.

Each is one node where the composed formula would be slow (softmax cross-entropy:
one node instead of five; the negative log-likelihood: one instead of a gather, a
negation, the weights and the mean) or inexact (the clamps and saturations of the
binary cross-entropies). They take PyTorch's ``(input, target, reduction="mean")``
and its options by keyword (the two of class labels: a class ``weight``,
``ignore_index`` and (N, C, d1, ...) scores, softmax cross-entropy
``label_smoothing`` too, in the same one node; with logits: ``pos_weight``, and
``weight`` as a product after the node), and check their arguments;
:mod:`nn.functional` re-exports them beside ``mse_loss``, composed from ops.

Each states its derivative in ``backward`` and in ``jvp`` (forward mode), with
the same clamps, so forward and reverse mode agree. The binary cross-entropies are
elementwise primitives (their reduction is a ``mean`` or ``sum`` op after them), so
both rules take a batch of directions as they are; the losses of class labels'
``jvp`` do, their ``backward`` (the training hot path) is given one at a time.

>>> import numpy as np
>>> from autograd import Tensor
>>> from autograd.ops.losses import softmax_cross_entropy
>>> z = Tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]], requires_grad=True)
>>> loss = softmax_cross_entropy(z, np.array([0, 2]))
>>> round(loss.item(), 4)
0.6342
"""

import math

import numpy as np

from autograd.function import Function
from autograd.checks import real_number
from autograd.modes import refuse_listed_arrays, replayed
from autograd.ops.arguments import (check_reduction, class_scores, class_labels, float_input, float_target,
                                    reduced)
from autograd.ops.arrays import ones_vector, row_starts, shift_by_max, subtract_max, values
from autograd.ops.elementwise import sigmoid, where
from autograd.ops.reduce import SoftmaxFunction
from autograd.tensor import Tensor

# (the op functions, re-exported by autograd.ops; cross_entropy_forward, cross_entropy_backward, nll_loss_forward
# and nll_loss_backward work on arrays: not ops)
__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "softmax_cross_entropy"]


def _outside_unit_interval(x):
    """The values of array ``x`` outside [0, 1] (nan included), or None where there is none: one min and one max
    (a mask only where one is outside)."""
    if x.size:
        low, high = np.minimum.reduce(x, axis=None), np.maximum.reduce(x, axis=None)
        if not (low >= 0 and high <= 1):            # (also false for nan)
            return x[~((x >= 0) & (x <= 1))]
    return None


def _check_binary_targets(t, op):
    """ValueError unless every target in ``t`` (an array or a Tensor) is in [0, 1] (labels 0/1, or
    probabilities); again on every replay of a step captured by autograd.compile."""
    t = values(t)
    bad = _outside_unit_interval(t)
    if bad is not None:
        raise ValueError(f"{op}: targets must be in [0, 1] (class labels 0/1 or probabilities), got "
                         f"{np.unique(bad)[:5].tolist()} in shape {t.shape} (values from "
                         f"{np.minimum.reduce(t, axis=None)} to {np.maximum.reduce(t, axis=None)}); "
                         "for labels -1/+1 use (y + 1) / 2")


def _check_probabilities(p, op):
    """ValueError unless every input in ``p`` (an array or a Tensor) is a probability in [0, 1] (again on every
    replay of a step captured by autograd.compile)."""
    p = values(p)
    bad = _outside_unit_interval(p)
    if bad is not None:
        raise ValueError(f"{op}: input must be probabilities in [0, 1] (apply sigmoid, or use "
                         f"binary_cross_entropy_with_logits on raw scores); found {bad.flat[0]} in shape {p.shape}")


_BCE_EPS = float(np.float32(1e-12))      # PyTorch's clamp of p (1 - p): 1e-12 rounded to float32


def binary_cross_entropy_forward(p, y):
    """:class:`BinaryCrossEntropy`'s forward as a plain function of arrays: ``(out, residuals)``, the residuals
    (``p`` and ``y``) being what :func:`binary_cross_entropy_backward` needs.

    >>> out, residuals = binary_cross_entropy_forward(np.array([0.5, 0.75]), np.array([1.0, 0.0]))
    >>> out.round(4).tolist(), binary_cross_entropy_backward(residuals, np.ones(2))[0].tolist()
    ([0.6931, 1.3863], [-2.0, 4.0])
    """
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100)
        log_q = np.maximum(np.log(1 - p), -100)
    return np.asarray(-(y * log_p + (1 - y) * log_q)), (p, y)


def binary_cross_entropy_backward(residuals, g, needs_input_grad=(True, True)):
    """:class:`BinaryCrossEntropy`'s backward as a plain function: the gradients of ``p`` and ``y`` (None where
    ``needs_input_grad`` says that input wants none) from ``residuals`` (``p`` and ``y``: arrays, or Tensors to
    differentiate again). PyTorch's ``(p - y) / max(p (1 - p), 1e-12)`` for ``p``: finite everywhere."""
    p, y = residuals
    need_p, need_y = needs_input_grad
    gp = gy = None
    if need_p:
        gp = g * (p - y) / np.maximum(p * (1 - p), _BCE_EPS)
    if need_y:
        with np.errstate(divide="ignore"):
            gy = g * (np.maximum(np.log(1 - p), -100) - np.maximum(np.log(p), -100))
    return gp, gy


class BinaryCrossEntropy(Function):
    """``-(y log p + (1 - y) log(1 - p))`` with each log clamped at -100, as PyTorch.

    A fused op because the clamp must also tame the gradient: composed from
    ``log`` and ``maximum`` it would be ``0 / 0 = nan`` at p = 0 or 1. The
    gradient is PyTorch's ``(p - y) / max(p (1 - p), 1e-12)``: finite everywhere.
    The work is done by :func:`binary_cross_entropy_forward` and
    :func:`binary_cross_entropy_backward` (the op's ``residual_functions``).
    """
    name = "binary_cross_entropy"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True
    residual_functions = (binary_cross_entropy_forward, binary_cross_entropy_backward)

    def forward(self, p, y):
        out, self.residuals = binary_cross_entropy_forward(p, y)
        return out

    def backward(self, g, out, p, y):
        # (p and y as the walk gives them: Tensors under create_graph)
        return binary_cross_entropy_backward((p, y), g, self.needs_input_grad)

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
    replayed(_check_binary_targets, y, name)
    replayed(_check_probabilities, p, name)
    return reduced(BinaryCrossEntropy.apply(p, y), reduction)


def binary_cross_entropy_with_logits_forward(z, y, pos_weight=None):
    """:class:`BinaryCrossEntropyWithLogits`'s forward as a plain function of arrays: ``(out, residuals)``, the
    residuals (``z``, ``y``, ``pos_weight``) being what :func:`binary_cross_entropy_with_logits_backward` needs.

    >>> out, residuals = binary_cross_entropy_with_logits_forward(np.array([0.0, 1e4]), np.array([1.0, 1.0]))
    >>> out.round(4).tolist(), binary_cross_entropy_with_logits_backward(residuals, np.ones(2))[0].tolist()
    ([0.6931, 0.0], [-0.5, 0.0])
    """
    if pos_weight is None:
        out = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))       # exp of -|z|: never overflows
    else:
        softplus_minus = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))    # softplus(-z) = -log sigmoid(z)
        out = (1 - y) * z + (1 + (pos_weight - 1) * y) * softplus_minus    # (PyTorch's formula)
    return np.asarray(out), (z, y, pos_weight)


def binary_cross_entropy_with_logits_backward(residuals, g, needs_input_grad=(True, True)):
    """:class:`BinaryCrossEntropyWithLogits`'s backward as a plain function: the gradients of ``z`` and ``y``
    (None where ``needs_input_grad`` says that input wants none) from ``residuals`` (``z`` and ``y``: arrays, or
    Tensors to differentiate again, and ``pos_weight``)."""
    z, y, pos_weight = residuals
    need_z, need_y = needs_input_grad
    return (g * _logits_dz(z, y, pos_weight) if need_z else None,
            g * _logits_dy(z, pos_weight) if need_y else None)


def _logits_dz(z, y, pw):
    """d/dz: sigmoid(z) - y, or (1 - y) sigmoid(z) - pos_weight y sigmoid(-z); as ops on Tensors."""
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


def _logits_dy(z, pw):
    """d/dy: -z, or pos_weight softplus(-z) - softplus(z)."""
    if pw is None:
        return -z
    tail = np.log1p(np.exp(-np.abs(z)))
    return pw * (np.maximum(-z, 0) + tail) - (np.maximum(z, 0) + tail)


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
    The work is done by :func:`binary_cross_entropy_with_logits_forward` and
    :func:`binary_cross_entropy_with_logits_backward` (the op's ``residual_functions``).
    """
    name = "binary_cross_entropy_with_logits"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True
    residual_functions = (binary_cross_entropy_with_logits_forward, binary_cross_entropy_with_logits_backward)

    def forward(self, z, y, pos_weight=None):
        self.pos_weight = pos_weight
        out, self.residuals = binary_cross_entropy_with_logits_forward(z, y, pos_weight)
        return out

    def backward(self, g, out, z, y):
        # (z and y as the walk gives them: Tensors under create_graph)
        return binary_cross_entropy_with_logits_backward((z, y, self.pos_weight), g, self.needs_input_grad)

    def jvp(self, i, dx, out, z, y):
        return dx * (_logits_dz(z, y, self.pos_weight) if i == 0 else _logits_dy(z, self.pos_weight))


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
    replayed(_check_binary_targets, y, name)
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
    given, array = _constant_weight(weight, what, op, "a float array")
    if not _broadcasts_to(array.shape, z.shape):
        raise ValueError(f"{op}: {what} of shape {array.shape} does not broadcast to the input's shape {z.shape}; "
                         f"pass one of shape {z.shape[-1:]} (per class) or {z.shape}")
    return replayed(_weight_copy, given, z.dtype)


def _constant_weight(weight, what, op, hint):
    """A loss's ``weight`` (a Tensor, an array or numbers) checked to be a constant of numbers: ``(given, array)``,
    ``given`` what to hand to ``replayed`` (the Tensor itself: a leaf is guarded) and ``array`` its values."""
    if isinstance(weight, Tensor) and weight.requires_grad:
        raise TypeError(f"{op}: {what} requires grad, but it is a constant of the loss (PyTorch does not "
                        f"differentiate it either); pass {what}.detach()")
    refuse_listed_arrays(weight)
    array = values(weight) if isinstance(weight, Tensor) else np.asarray(weight)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{op}: {what} must be numbers, got dtype {array.dtype}; pass {hint}")
    return (weight if isinstance(weight, Tensor) else array), array


def _weight_copy(weight, dtype):
    """A copy of a loss's constant ``weight`` (an array or a Tensor) in ``dtype``: a later change of the caller's
    array must not move the loss; through replayed, a step recorded by autograd.compile copies each call's own."""
    return values(weight).astype(dtype)


def _broadcasts_to(shape, to):
    """Whether an array of ``shape`` broadcasts against one of shape ``to`` without enlarging it."""
    try:
        return np.broadcast_shapes(shape, to) == to
    except ValueError:
        return False


def _summed_in(dtype):
    """The dtype a classification loss adds its losses (and weights) of ``dtype`` up in: float32 for float16, as
    numpy's mean does (a big batch's sum passes float16's largest number, 65,504), else None (their own)."""
    return np.float32 if dtype.char == "e" else None


def _counted_labels(labels, c, ignore_index):
    """``(labels, ignored)``: the labels of (N, C) scores flattened to (N,), those equal to ``ignore_index`` replaced
    by class 0 (any class: the sample's target weight is then 0), and ``ignored`` the mask of those samples, None
    where no sample of this call is ignored (the hot path). Found on each call's labels, so that a step recorded by
    :func:`autograd.compile` takes the path each batch needs."""
    if labels.ndim != 1:
        labels = labels.reshape(-1)
    # is a sample ignored? The labels are in [0, C) or ignore_index, so one outside [0, C) is told by the labels'
    # min or max, read at its argmin or argmax (a vectorised pass; a comparison of every label costs 5x that)
    if ignore_index is not None and labels.size and (
            labels[labels.argmin()] < 0 if ignore_index < 0 else
            labels[labels.argmax()] >= c if ignore_index >= c else ignore_index in labels):
        ignored = labels == ignore_index
        return np.where(ignored, 0, labels), ignored
    return labels, None


def cross_entropy_forward(z, labels, reduction="mean", weight=None, ignore_index=-100, label_smoothing=0.0):
    """:class:`SoftmaxCrossEntropy`'s forward as a plain function of arrays: ``(loss, residuals)``, the residuals
    being what :func:`cross_entropy_backward` needs.

    ``z``: (N, C) scores; ``labels``: one per row of ``z``, integers in [0, C) or equal to ``ignore_index``
    (checked by :func:`softmax_cross_entropy`, which calls the op; labels of (N, d1, ...) are flattened, for
    scores (N, C, d1, ...) moved to rows); ``reduction``: ``"mean"``, ``"sum"`` or ``"none"``; PyTorch's
    options: a class ``weight`` (C,) of ``z``'s dtype, ``ignore_index`` (None: none) and ``label_smoothing``.
    Which samples are ignored is found here, on each call's labels: a step recorded by :func:`autograd.compile`
    calls this function again, and a batch with ignored samples after one without takes the path it needs.

    >>> z = np.array([[2.0, 0.0], [0.0, 0.0]])
    >>> loss, residuals = cross_entropy_forward(z, np.array([0, 1]))
    >>> round(float(loss), 4)
    0.41
    >>> cross_entropy_backward(residuals, np.array(1.0))[0].round(4).tolist()      # (softmax - one-hot) / N
    [[-0.0596, 0.0596], [0.25, -0.25]]
    """
    n, c = z.shape
    labels, ignored = _counted_labels(labels, c, ignore_index)
    # each sample's own score as an index into the flattened (N, C) array: the cheapest gather
    starts = row_starts(n, c)
    flat = labels + starts
    # the rows' maxima picked at their argmax, as shift_by_max does for rows, without its call and tests (2.5 us of
    # a compiled tiny net's step, measured); where one is infinite or nan (or their squares overflow), as it does
    if z.size:
        top = z.ravel()[z.argmax(axis=1) + starts]
        shifted = z - top[:, None] if math.isfinite(top.dot(top)) else subtract_max(z, top[:, None])
    else:
        shifted, _ = shift_by_max(z, 1)
    e = np.exp(shifted)
    s = e @ ones_vector(c, e.dtype)              # each row's sum (BLAS: 2x numpy's sum over short rows)
    probabilities = e / s[:, None]               # saved: backward needs softmax(z)
    log_s = np.log(s)
    losses = log_s - shifted.ravel()[flat]       # -log softmax(z)[label]
    plain = weight is None and ignored is None and not label_smoothing      # (the training hot path)
    wide = _summed_in(z.dtype)
    if plain:
        # (an empty batch's mean is 0 / 0, nan, and so is the scale of its empty gradient)
        residuals = (probabilities, flat, reduction, n or math.nan, None)
    else:
        losses, target_weight = _with_options(losses, log_s, shifted, labels, weight, ignored, label_smoothing)
        # the mean divides by sum w[label] over the samples that count (their number); a float16 one's as a Python
        # number, which leaves the gradient's dtype alone
        total_weight = target_weight.sum() if wide is None else float(target_weight.sum(dtype=wide))
        residuals = (probabilities, flat, reduction, total_weight, (target_weight, weight, ignored, label_smoothing))
    if reduction == "none":
        return losses, residuals
    total = np.add.reduce(losses, dtype=wide)
    if reduction == "sum":
        return np.asarray(total, z.dtype), residuals
    if plain:
        return np.asarray(total / n if n else math.nan, z.dtype), residuals     # (an empty batch: 0 / 0, nan)
    with np.errstate(invalid="ignore", divide="ignore"):     # every target ignored: 0 / 0 = nan, as PyTorch
        return np.asarray(total / residuals[3], z.dtype), residuals


def _target_weight(labels, weight, ignored, dtype):
    """Each sample's weight in a classification loss: its label's class weight (1 without ``weight``), 0 where
    ``ignored`` (a mask, or None)."""
    target_weight = np.ones(labels.shape, dtype) if weight is None else weight[labels]
    if ignored is not None:
        target_weight = np.where(ignored, 0, target_weight).astype(dtype)
    return target_weight


def _with_options(losses, log_s, shifted, labels, weight, ignored, eps):
    """The per-sample losses with class weights, ignored samples and label smoothing, and the target weight of
    each sample (``w[label]``, 0 where ignored)."""
    n, c = shifted.shape
    eps = float(eps)
    dtype = shifted.dtype.type
    target_weight = _target_weight(labels, weight, ignored, shifted.dtype)
    with np.errstate(invalid="ignore"):
        losses = np.where(target_weight != 0, target_weight * losses, 0) * dtype(1 - eps)
        if eps and c:                             # eps / C times -sum_c w_c log softmax(z)_c (C = 0: no samples)
            w = np.ones(c, shifted.dtype) if weight is None else weight
            smooth = w.sum() * log_s - shifted @ w
            if ignored is not None:
                smooth = np.where(ignored, 0, smooth)
            losses = losses + dtype(eps / c) * smooth
    return losses.astype(shifted.dtype, copy=False), target_weight


def cross_entropy_backward(residuals, g, softmax=None):
    """:class:`SoftmaxCrossEntropy`'s backward as a plain function: the gradient with respect to the scores, as
    a one-element tuple, from :func:`cross_entropy_forward`'s ``residuals`` and the upstream gradient ``g``.

    ``(softmax(z) - one_hot(label)) * g`` (divided by N for the mean); with the options ``(sum(q) softmax(z) -
    q) * g`` for the target rows ``q``. ``softmax``: that of ``z`` as a Tensor, to compute the gradient
    with ops (``create_graph``) instead of from the saved probabilities.
    """
    probabilities, flat, reduction, denominator, options = residuals
    if reduction == "mean" and options is not None and not denominator:
        # nothing counts (every sample ignored, or weighted 0): the loss is 0 / 0, nan, and its gradient 0, as
        # PyTorch's for ignored samples
        return (np.zeros(probabilities.shape, probabilities.dtype) if softmax is None else softmax * 0,)
    if reduction == "none":
        g = g.reshape(-1, 1)
    elif type(g) is np.ndarray:                  # 0-d: scaled as a Python number, no numpy call
        g = float(g) / denominator if reduction == "mean" else float(g)
    elif reduction == "mean":
        g = g / float(denominator)
    if softmax is None and options is None:
        # (softmax - one_hot) * g without building the one-hot; C order, so ravel() is a view
        d = np.multiply(probabilities, g, order="C")
        d.ravel()[flat] -= g.ravel() if reduction == "none" else g
        return (d,)
    p = probabilities if softmax is None else softmax
    targets, total = _target_rows(residuals)
    return ((p * total - targets) * g if total is not None else (p - targets) * g,)


def _target_rows(residuals):
    """The target rows ``q`` of a cross-entropy call, as an array of its scores' shape and dtype, and their sums
    (None: all 1, the one-hot labels), from its residuals (not from the caller's labels, which may change)."""
    probabilities, flat, _, _, options = residuals
    q = np.zeros(probabilities.shape, probabilities.dtype)
    if options is None:
        q.ravel()[flat] = 1
        return q, None
    target_weight, weight, ignored, eps = options
    n, c = q.shape
    q.ravel()[flat] = target_weight * (1 - eps)
    if eps and c:                                 # (C = 0: no samples either, nothing to smooth)
        w = np.ones(c, q.dtype) if weight is None else weight
        smooth = (eps / c) * w * np.ones((n, 1), q.dtype)
        if ignored is not None:
            smooth[ignored] = 0
        q += smooth
    return q, q.sum(axis=1, keepdims=True)


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
    of the targets that count (``sum w[label]``, or their number), as PyTorch's.

    The work is done by two plain functions, :func:`cross_entropy_forward` and
    :func:`cross_entropy_backward` (the op's ``residual_functions``): a step recorded by
    :func:`autograd.compile` calls them without an op object.
    """
    name = "cross_entropy"
    trusted = True
    capturable = True
    residual_functions = (cross_entropy_forward, cross_entropy_backward)
    batched_jvp = True               # (not batched_backward: backward's scaling of g takes one row)

    def forward(self, z, labels=None, reduction="mean", weight=None, ignore_index=-100, label_smoothing=0.0):
        self.reduction = reduction           # (shown in the op's repr)
        out, self.residuals = cross_entropy_forward(z, labels, reduction, weight, ignore_index, label_smoothing)
        return out

    def backward(self, g, out, z):
        if not isinstance(z, Tensor):
            return cross_entropy_backward(self.residuals, g)
        # create_graph: z is a Tensor, and softmax an op of it, so that the gradient is differentiable again
        return cross_entropy_backward(self.residuals, g, SoftmaxFunction.apply(z, axis=1))

    def jvp(self, i, dx, out, z):
        # d loss_k = sum over classes c of (softmax(z)_kc sum(q_k) - q_kc) dz_kc, then the reduction
        # (q: the one-hot labels without options); negative axes: dx may carry a batch axis in front
        _, _, reduction, denominator, _ = self.residuals
        targets, total = _target_rows(self.residuals)
        p = SoftmaxFunction.apply(z, axis=1)
        per_sample = ((p * total - targets if total is not None else p - targets) * dx).sum(axis=-1)
        if reduction == "none":
            return per_sample
        total_change = per_sample.sum(axis=-1)
        if reduction != "mean":
            return total_change
        with np.errstate(divide="ignore", invalid="ignore"):     # (nothing counted: 0 / 0, nan, as the loss)
            return total_change / float(denominator)

    def describe(self):
        _, _, reduction, _, options = self.residuals
        parts = [f"reduction={reduction!r}"]
        if options is not None:
            _, weight, ignored, eps = options
            parts += (["weight"] if weight is not None else []) + (
                ["ignore_index"] if ignored is not None else []) + (
                [f"label_smoothing={eps!r}"] if eps else [])
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
    labels = class_labels(target, x, name, ignore_index)
    options = _class_options(x, name, weight, ignore_index)
    if label_smoothing != 0:
        options["label_smoothing"] = float(real_number(label_smoothing, "label_smoothing", name, 0, 1))
    return _per_position(SoftmaxCrossEntropy, x, labels, reduction, options)


def _class_options(x, op, weight, ignore_index):
    """A classification loss's options for its op, as keyword arguments: given only where not the defaults (the
    training hot path's call, and its replay, stay short)."""
    options = {}
    if weight is not None:
        options["weight"] = class_weight(weight, x, op)
    if ignore_index != -100:
        options["ignore_index"] = None if ignore_index is None else int(ignore_index)
    return options


def _per_position(op_class, x, labels, reduction, options):
    """The classification loss ``op_class`` of scores ``x`` (N, C) or (N, C, d1, ...), checked, against its
    ``labels`` (N,) or (N, d1, ...): for more than two axes, one sample per position (the class axis moved last,
    the positions made rows); ``"none"`` gives the labels' shape."""
    positions = labels.shape
    if x.data.ndim > 2:
        x = x.transpose((0,) + tuple(range(2, x.ndim)) + (1,)).reshape(-1, x.shape[1])
    # (labels of (N, d1, ...) are flattened inside the op, so that a step recorded by autograd.compile replays it)
    loss = op_class.apply(x, labels=labels, reduction=reduction, **options)
    return loss.reshape(positions) if reduction == "none" and len(positions) > 1 else loss


def class_weight(weight, x, op):
    """A class weight of shape (C,) for scores ``x`` (N, C, ...) as an array of x's dtype (None stays None).
    A constant, as in PyTorch (which refuses to differentiate it)."""
    if weight is None:
        return None
    given, array = _constant_weight(weight, "weight", op, f"a float array of shape ({x.shape[1]},)")
    if array.shape != (x.shape[1],):
        raise ValueError(f"{op}: weight must have shape ({x.shape[1]},), one per class of the input of shape "
                         f"{x.shape}, got {array.shape}")
    return replayed(_weight_copy, given, x.dtype)


# --- negative log-likelihood ---------------------------------------------------------------------------------

def nll_loss_forward(x, labels, reduction="mean", weight=None, ignore_index=-100):
    """:class:`NegativeLogLikelihood`'s forward as a plain function of arrays: ``(loss, residuals)``, the residuals
    being what :func:`nll_loss_backward` needs.

    ``x``: (N, C) log-probabilities; ``labels``, ``reduction``, ``weight`` and ``ignore_index`` as for
    :func:`cross_entropy_forward`. Each sample's loss is ``-w[label] x[n, label]`` (0 where ignored, even for
    an ``x`` of -inf there); the mean divides by the sum of the target weights (their number without options).

    >>> loss, residuals = nll_loss_forward(np.log(np.array([[0.5, 0.5], [0.25, 0.75]])), np.array([0, 1]))
    >>> round(float(loss), 4)                                               # (log 2 + log 4/3) / 2
    0.4904
    >>> nll_loss_backward(residuals, np.array(1.0))[0].tolist()            # -1/N at each label
    [[-0.5, 0.0], [0.0, -0.5]]
    """
    n, c = x.shape
    labels, ignored = _counted_labels(labels, c, ignore_index)
    flat = labels + row_starts(n, c)
    losses = -x.ravel()[flat]
    target_weight = None
    if weight is not None or ignored is not None:
        target_weight = _target_weight(labels, weight, ignored, x.dtype)
        with np.errstate(invalid="ignore"):
            losses = np.where(target_weight != 0, losses * target_weight, 0).astype(x.dtype, copy=False)
    # the mean's denominator: the total target weight (in float64: float16 weights add up past its range)
    total_weight = None if target_weight is None else target_weight.sum(dtype=np.float64)
    options = None if target_weight is None else (target_weight, weight, ignored, total_weight)
    residuals = (x.shape, x.dtype, flat, reduction, options)
    if reduction == "none":
        return losses, residuals
    total = np.add.reduce(losses, dtype=_summed_in(x.dtype))
    if reduction == "sum":
        return np.asarray(total, x.dtype), residuals
    if not n:
        return np.asarray(np.nan, x.dtype), residuals         # (an empty batch's mean: 0 / 0, as PyTorch's)
    with np.errstate(invalid="ignore", divide="ignore"):     # (every weight 0: 0 / 0, nan, as PyTorch's)
        return np.asarray(total / (n if options is None else total_weight), x.dtype), residuals


def nll_loss_backward(residuals, g):
    """:class:`NegativeLogLikelihood`'s backward as a plain function: the gradient with respect to the
    log-probabilities, as a one-element tuple: ``-g w[label]`` at each sample's label (divided by the total
    target weight for the mean), 0 elsewhere and for ignored samples."""
    shape, dtype, flat, reduction, options = residuals
    d = np.zeros(shape, dtype)
    if not flat.size:
        return (d,)
    if reduction == "none":
        g = g.reshape(-1)
    elif reduction == "mean" and options is None:
        g = float(g) / shape[0]             # (a Python number: 1 / N of a float16 batch past 65,504 overflows float16)
    if options is not None:
        target_weight, _, _, total_weight = options
        with np.errstate(invalid="ignore", divide="ignore"):     # (every weight 0: g / 0 * 0, where takes 0)
            if reduction == "mean":
                g = g / total_weight
            g = np.where(target_weight != 0, g * target_weight, 0)
    d.ravel()[flat] = -g
    return (d,)


class NegativeLogLikelihood(Function):
    """``-x[label]`` per sample (times its class weight), reduced, as one node: the loss of log-probabilities
    ``x`` (``log_softmax``'s output) and integer labels, with PyTorch's options.

    Fused for measured speed: one node instead of a gather, a negation, the weights and the
    mean (19 against 82 us for a (64, 10) batch, forward and backward). Its derivative is ``-w[label]``
    at each sample's label and 0 elsewhere, times the upstream gradient (divided by the total
    target weight for the mean); linear in ``x``, so differentiating it again gives 0.

    The work is done by :func:`nll_loss_forward` and :func:`nll_loss_backward` (the op's
    ``residual_functions``): a step recorded by :func:`autograd.compile` calls them without an
    op object.
    """
    name = "nll_loss"
    trusted = True
    capturable = True
    residual_functions = (nll_loss_forward, nll_loss_backward)
    batched_jvp = True

    def forward(self, x, labels=None, reduction="mean", weight=None, ignore_index=-100):
        self.reduction = reduction           # (shown in the op's repr)
        out, self.residuals = nll_loss_forward(x, labels, reduction, weight, ignore_index)
        return out

    def backward(self, g, out, x):
        if not isinstance(g, Tensor):
            return nll_loss_backward(self.residuals, g)
        # create_graph: g times the derivative, a constant (an upstream gradient that is a Tensor is differentiated)
        return (self._times_derivative(g.reshape(-1, 1) if self.reduction == "none" else g, self.reduction),)

    def jvp(self, i, dx, out, x):
        # each sample's change, -w[label] times its label's dx (negative axes: dx may carry a batch axis in front),
        # then the reduction, the mean as numpy's (float16 added up in float32: a sum of a big batch overflows)
        per_sample = self._times_derivative(dx, "none").sum(axis=-1)
        shape, _, _, reduction, options = self.residuals
        if reduction == "none":
            return per_sample
        if reduction == "sum":
            return per_sample.sum(axis=-1)
        if not shape[0]:
            return per_sample.sum(axis=-1) * math.nan        # (the loss is 0 / 0: so is its change, as PyTorch's)
        mean = per_sample.mean(axis=-1)
        if options is None:
            return mean
        with np.errstate(divide="ignore", invalid="ignore"):     # (every weight 0: nan, the loss's 0 / 0)
            return mean * (shape[0] / options[3])

    def _times_derivative(self, t, reduction):
        """``t`` (a Tensor) times the derivative with respect to ``x`` of the loss with ``reduction`` (``"none"``:
        each sample's; the backward of an upstream gradient of ones), and 0 where the loss reads no ``x``: an
        inf or nan of ``t`` there must not give nan (inf * 0), as in the array path, which writes only the labels'
        places."""
        shape, dtype, flat, _, options = self.residuals
        residuals = (shape, dtype, flat, reduction, options)
        derivative = nll_loss_backward(residuals, np.ones(shape[:1] if reduction == "none" else (), dtype))[0]
        with np.errstate(invalid="ignore"):          # (inf * 0 where the loss reads nothing: masked)
            return where(derivative != 0, t * derivative, 0.0)

    def describe(self):
        options = self.residuals[4]
        _, weight, ignored, _ = options if options is not None else (None, None, None, None)
        return " ".join([f"reduction={self.reduction!r}"] + ["weight"] * (weight is not None)
                        + ["ignore_index"] * (ignored is not None))


def nll_loss(input, target, reduction="mean", *, weight=None, ignore_index=-100):
    """Negative log-likelihood of integer labels under log-probabilities ``input`` of shape (N, C).

    ``nll_loss(log_softmax(z), y)`` is ``cross_entropy(z, y)``. As PyTorch's: inputs of shape
    (N, C, d1, ...) take labels (N, d1, ...); a class ``weight`` (C,) weights each sample by its
    label's weight, and the mean divides by the sum of those weights; samples labelled
    ``ignore_index`` count for nothing (the mean is over the others; nan if none is left, or if the
    batch is empty). One node, :class:`NegativeLogLikelihood` (after a transpose and a reshape for
    (N, C, d1, ...) inputs).

    >>> import numpy as np
    >>> logp = np.log(np.array([[0.5, 0.5], [0.25, 0.75], [0.9, 0.1]]))
    >>> round(nll_loss(logp, np.array([0, 1, -100])).item(), 4)        # (log 2 + log 4/3) / 2
    0.4904
    >>> round(nll_loss(logp, np.array([0, 1, 0]), weight=np.array([1.0, 3.0])).item(), 4)
    0.3323
    """
    name = "nll_loss"
    check_reduction(reduction, name)
    x = class_scores(input, name)
    labels = class_labels(target, x, name, ignore_index)
    return _per_position(NegativeLogLikelihood, x, labels, reduction, _class_options(x, name, weight, ignore_index))
