"""Classification metrics on numpy arrays (Tensors are accepted and read as arrays).

>>> accuracy(np.array([[2.0, 0.1], [0.3, 1.5], [0.9, 0.2]]), [0, 1, 1])
0.6666666666666666
"""
import numpy as np

from autograd.capture import read_into_python
from autograd.checks import positive_int, real_number

__all__ = ["accuracy", "confusion_matrix", "to_labels"]


def to_labels(pred, threshold=0.5):
    """Class labels from model outputs.

    * 2-d scores ``(n, k)`` with ``k > 1`` (logits or probabilities): the argmax of each row.
    * float probabilities ``(n,)`` or ``(n, 1)`` (a sigmoid output): ``1`` where ``p >= threshold``.
    * integer or bool labels ``(n,)``: unchanged (as int64).

    >>> to_labels(np.array([[0.1, 0.7, 0.2]])), to_labels(np.array([0.2, 0.5])), to_labels([3, 1])
    (array([1]), array([0, 1]), array([3, 1]))
    """
    read_into_python("nn.metrics.to_labels")     # (a compiled step with it runs eagerly)
    pred = np.asarray(pred)
    if pred.ndim == 2 and pred.shape[1] == 1:
        pred = pred[:, 0]
    if pred.ndim == 2:
        return pred.argmax(axis=1)
    if pred.ndim != 1:
        raise ValueError(f"to_labels: expected labels (n,), probabilities (n,) or (n, 1), or scores (n, k); "
                         f"got shape {pred.shape}")
    if pred.dtype.kind == "f":
        return (pred >= real_number(threshold, "threshold", "to_labels")).astype(np.int64)
    if pred.dtype.kind not in "iub":
        raise TypeError(f"to_labels: unsupported dtype {pred.dtype}; pass float scores or probabilities, "
                        "or integer labels")
    return pred.astype(np.int64)


def _true_labels(y, name):
    """1-d integer labels from ``y``: labels, ``(n, 1)`` 0/1 targets, or one-hot rows."""
    y = np.asarray(y)
    if y.ndim == 1 and y.dtype.kind in "iu":      # the common case, first
        return y.astype(np.int64, copy=False)     # (uint8 labels, as read from IDX files, would wrap)
    if y.ndim == 2:
        y = y[:, 0] if y.shape[1] == 1 else y.argmax(axis=1)
    if y.ndim != 1:
        raise ValueError(f"{name}: y must be labels (n,), (n, 1) or one-hot (n, k), got shape {y.shape}")
    if y.dtype.kind not in "iubf":
        raise TypeError(f"{name}: y must hold numbers, got dtype {y.dtype}")
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise ValueError(f"{name}: float targets must be whole numbers (0./1. for binary), "
                             f"got {y[y != np.round(y)][0]}")
    return y.astype(np.int64, copy=False)


def accuracy(pred, y, threshold=0.5):
    """Fraction of samples whose predicted class equals the true one.

    Parameters
    ----------
    pred : array_like
        Scores ``(n, k)`` (argmax taken), probabilities ``(n,)``/``(n, 1)``
        (thresholded at ``threshold``), or labels ``(n,)``; see :func:`to_labels`.
    y : array_like
        True labels ``(n,)`` (binary targets may be floats 0./1., also ``(n, 1)``),
        or one-hot rows ``(n, k)``.

    Returns
    -------
    float

    Examples
    --------
    >>> accuracy(np.array([0.9, 0.4, 0.6]), np.array([1.0, 0.0, 0.0]))   # sigmoid outputs
    0.6666666666666666
    """
    read_into_python("nn.metrics.accuracy")     # (a compiled step with it runs eagerly)
    p, t = to_labels(pred, threshold), _true_labels(y, "accuracy")
    if len(p) != len(t):
        raise ValueError(f"accuracy: {len(p)} predictions (shape {np.shape(pred)}) but {len(t)} labels "
                         f"(shape {np.shape(y)})")
    if len(t) == 0:
        raise ValueError("accuracy: no samples")
    return int(np.count_nonzero(p == t)) / len(t)    # cheaper than np.mean: fit calls this every batch


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts ``C[i, j]`` of samples of true class ``i`` predicted as class ``j``.

    Parameters
    ----------
    y_true : array_like
        True labels ``(n,)`` (or one-hot / ``(n, 1)``, as in :func:`accuracy`).
    y_pred : array_like
        Predicted labels, or model outputs (see :func:`to_labels`).
    num_classes : int, optional
        Size of the matrix (default: largest label + 1).

    Returns
    -------
    numpy.ndarray of int64, shape ``(num_classes, num_classes)``
        Rows sum to the class counts of ``y_true``; the diagonal holds the hits.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    read_into_python("nn.metrics.confusion_matrix")     # (a compiled step with it runs eagerly)
    t, p = _true_labels(y_true, "confusion_matrix"), to_labels(y_pred)
    if len(t) != len(p):
        raise ValueError(f"confusion_matrix: {len(t)} true labels but {len(p)} predictions")
    if num_classes is None:
        num_classes = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    num_classes = positive_int(num_classes, "num_classes", "confusion_matrix")
    for name, labels in (("y_true", t), ("y_pred", p)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"confusion_matrix: {name} has label "
                             f"{labels[(labels < 0) | (labels >= num_classes)][0]} outside 0..{num_classes - 1}")
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)
