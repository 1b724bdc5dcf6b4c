"""What the public op functions do with their arguments before ``Function.apply``.

Shared by every module of ``autograd.ops`` (and by ``nn.functional``), so no op
reaches into another's private helpers:

- :func:`operands` and :func:`floating` turn numbers, lists and arrays into Tensors
  of the right dtype;
- :func:`normalize_axes` and :func:`single_axis` check an ``axis`` argument and
  name the op in the error;
- :func:`float_input`, :func:`float_target`, :func:`class_labels`,
  :func:`check_reduction` and :func:`reduced` take a loss's ``(input, target, reduction)`` as PyTorch does;
- :func:`accepts_pytorch_names`: labgrad speaks numpy (``axis=``, ``keepdims=``); a
  student coming from PyTorch writes ``dim=`` and ``keepdim=``. The decorator lets
  each public op take both, and refuses a call that gives the same argument under
  both names.

>>> from autograd import Tensor
>>> x = Tensor([[1.0, 2.0], [3.0, 4.0]])
>>> x.sum(dim=1, keepdim=True)
Tensor([[3.],
        [7.]])
"""
import functools
import inspect

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from autograd.checks import integer, is_int, one_of
from autograd.modes import carries_derivative, refuse_listed_arrays, replayed
from autograd.tensor import Tensor, as_tensor

__all__ = ["PYTORCH_NAMES", "accepts_pytorch_names", "operands", "floating", "normalize_axes",
           "single_axis", "REDUCTIONS", "float_input", "float_target", "class_scores", "class_labels",
           "labels_in_range", "check_reduction", "reduced"]

#: PyTorch's argument name -> labgrad's (numpy's) name
PYTORCH_NAMES = {
    "dim": "axis", "keepdim": "keepdims",
    "start_dim": "start_axis", "end_dim": "end_axis",           # flatten
    "dim0": "axis1", "dim1": "axis2",                           # swapaxes (PyTorch's transpose)
}


def accepts_pytorch_names(func):
    """Let ``func`` also take the PyTorch names in :data:`PYTORCH_NAMES` of its own parameters.

    A call without keywords costs one extra call frame (about 0.1 us); the renaming runs
    only when keywords are given.
    """
    parameters = list(inspect.signature(func).parameters)
    renames = {theirs: (ours, parameters.index(ours))
               for theirs, ours in PYTORCH_NAMES.items() if ours in parameters}
    if not renames:
        raise ValueError(f"accepts_pytorch_names: {func.__name__} has none of the parameters "
                         f"{sorted(set(PYTORCH_NAMES.values()))}")
    name, theirs_names = func.__name__, frozenset(renames)

    @functools.wraps(func)
    def with_pytorch_names(*args, **kwargs):
        if kwargs and not theirs_names.isdisjoint(kwargs):     # (one C call when no alias is used)
            for theirs, (ours, position) in renames.items():
                if theirs in kwargs:
                    if ours in kwargs or position < len(args):
                        given = kwargs[ours] if ours in kwargs else args[position]
                        who = type(args[0]).__name__ if name == "__init__" else name   # (a layer's constructor)
                        raise TypeError(f"{who}: got both {ours}={given!r} (numpy's name) and "
                                        f"{theirs}={kwargs[theirs]!r} (PyTorch's name) for the same argument; "
                                        "pass one of them")
                    kwargs[ours] = kwargs.pop(theirs)
        return func(*args, **kwargs)

    return with_pytorch_names


# --- tensors from arguments -------------------------------------------------------------

def operands(a, b):
    """Both operands of a binary op as Tensors; a Python scalar takes the other operand's float dtype.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> a, b = operands(Tensor(np.ones(2, np.float32)), 2.0)
    >>> b.dtype
    dtype('float32')
    """
    if isinstance(a, Tensor):
        return a, as_tensor(b, a)
    b = as_tensor(b)
    return as_tensor(a, b), b


def floating(a):
    """``a`` as a float Tensor: integer and bool data become floats as numpy's ``exp`` makes them
    (uint8 -> float16, int64 -> float64), for ops whose arithmetic would wrap around on them.

    >>> floating([1, 2]).dtype
    dtype('float64')
    """
    a = as_tensor(a)
    dtype = a.data.dtype
    if dtype.kind in "fc":
        return a
    # (ints never require grad; through Tensor(), which a step recorded by autograd.compile has every replay
    # repeat: a cast of the recording's array would be replayed as a constant)
    return Tensor(a, dtype=np.result_type(dtype, np.float16))


# --- axes -------------------------------------------------------------------------------

def normalize_axes(axis, ndim, op):
    """``axis`` (None: all axes; an int or a tuple) as a sorted tuple of non-negative axes.

    >>> normalize_axes(-1, 3, "sum"), normalize_axes(None, 2, "sum")
    ((2,), (0, 1))
    >>> normalize_axes(3, 2, "sum")
    Traceback (most recent call last):
        ...
    ValueError: sum: invalid axis 3 for 2 dimensions (axis 3 is out of bounds for array of dimension 2); pass an axis in [-2, 2)
    """
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:     # the common case, without numpy's helper
        return (axis % ndim,)
    if not (is_int(axis) or (isinstance(axis, (tuple, list)) and all(is_int(a) for a in axis))):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}; pass e.g. axis=1")
    try:
        return tuple(sorted(normalize_axis_tuple(axis, ndim)))
    except (np.exceptions.AxisError, ValueError) as e:
        raise ValueError(f"{op}: invalid axis {axis!r} for {ndim} dimensions ({e}); "
                         f"pass an axis in [{-ndim}, {ndim})") from None


def single_axis(axis, ndim, op):
    """A single int axis in ``[-ndim, ndim)``, made non-negative; errors name the op.

    >>> single_axis(-1, 2, "stack")
    1
    """
    if not is_int(axis):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}; pass one axis as an int")
    return normalize_axes(int(axis), ndim, op)[0]


# --- a loss's arguments: (input, target, reduction="mean") --------------------------------

#: what a loss's ``reduction=`` may be: average, add up, or the per-element losses
REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction, op):
    """``reduction`` if it is one of :data:`REDUCTIONS`; checked before any other argument of a loss."""
    if type(reduction) is str and reduction in REDUCTIONS:    # (per training step: skip one_of's message)
        return reduction
    hint = None if isinstance(reduction, str) else (
        "pass one of those (a loss takes reduction as its third positional argument, where PyTorch's functions "
        "take weight: pass weight=... by keyword)")
    return one_of(reduction, REDUCTIONS, "reduction", op, hint=hint)


def reduced(loss, reduction):
    """``loss`` averaged (``"mean"``), added up (``"sum"``) or as it is (``"none"``).

    >>> from autograd import Tensor
    >>> reduced(Tensor([1.0, 3.0]), "mean")
    Tensor(2.)
    """
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def float_input(x, op):
    """A loss's input as a float Tensor (integer data that needs no gradient becomes float64)."""
    x = as_tensor(x)
    kind = x.data.dtype.kind
    if kind != "f":
        if x.requires_grad or kind not in "iub":
            raise TypeError(f"{op}: input must be a float tensor, got dtype {x.dtype}; "
                            "pass float data (x.astype(np.float32))")
        x = Tensor(x, dtype=np.float64)            # (a cast a replay repeats, as floating's)
    return x


def float_target(target, x, op):
    """The target as a Tensor of the input's shape and dtype (a float cast keeps any graph)."""
    t = target if isinstance(target, Tensor) else Tensor(target)
    if t.shape != x.shape:
        raise ValueError(f"{op}: input of shape {x.shape} and target of shape {t.shape} must have the same "
                         "shape (reshape one of them; broadcasting (N,) against (N, 1) gives an (N, N) loss)")
    if t.dtype.kind not in "iubf":
        raise TypeError(f"{op}: target must be numeric, got dtype {t.dtype}; pass numbers")
    if t.dtype != x.dtype:
        t = t.astype(x.dtype) if carries_derivative(t) else Tensor(t, dtype=x.dtype)   # (a cast a replay repeats)
    return t


def class_scores(x, op):
    """A classification loss's input: float scores of shape (N, C) (N samples, C classes), or (N, C, d1, ...)
    (a class score per position: pixels of an image, tokens of a sequence)."""
    x = float_input(x, op)
    if x.data.ndim < 2:
        raise ValueError(f"{op}: input must have shape (N, C) (N samples, C classes) or (N, C, d1, ...), got "
                         f"{x.shape}; reshape it to (N, C)")
    return x


def class_labels(target, x, op, ignore_index=None):
    """Integer class labels of shape (N,) (or (N, d1, ...)) in [0, C) for scores ``x`` of shape (N, C)
    (or (N, C, d1, ...)), as an int64 array; labels equal to ``ignore_index`` are allowed too (PyTorch's).

    Which samples are ignored is for the loss to find on each call (a step recorded by :func:`autograd.compile`
    replays the loss, not a Python branch taken on the first batch's labels).

    >>> class_labels([2, 0], Tensor(np.zeros((2, 3))), "cross_entropy")
    array([2, 0])
    >>> class_labels([2, -100], Tensor(np.zeros((2, 3))), "nll_loss", ignore_index=-100)
    array([   2, -100])
    """
    labels = target.data if isinstance(target, Tensor) else target
    if type(labels) is not np.ndarray:
        refuse_listed_arrays(labels)
        labels = np.asarray(labels)
    if type(ignore_index) is not int and ignore_index is not None:
        ignore_index = integer(ignore_index, "ignore_index", op)
    shape = x.data.shape
    expected = shape[:1] if len(shape) == 2 else shape[:1] + shape[2:]
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: class labels must be integers, got dtype {labels.dtype} with shape "
                        f"{labels.shape} (for one-hot or probability targets use shape {shape})")
    if labels.shape != expected:
        raise ValueError(f"{op}: input of shape {shape} needs labels of shape {expected}, "
                         f"got {labels.shape}")
    if shape[1] == 0 and labels.size:             # (no label can be in [0, 0): refused even where all are ignored)
        raise ValueError(f"{op}: input of shape {shape} has no classes for its {labels.size} labels; scores need "
                         "at least one class (C = shape[1])")
    # (the values are checked, and cast, again on every replay of a step captured by autograd.compile; a Tensor
    # handed on: a leaf's labels are guarded)
    return replayed(labels_in_range, target if isinstance(target, Tensor) else labels, shape, op, ignore_index)


_INT64 = np.dtype(np.int64)     # (tested by identity: native int64 arrays carry this dtype object; another is cast)


def labels_in_range(labels, shape, op, ignore_index=None):
    """``labels`` as int64 after checking that each is in [0, C) for scores of ``shape`` (N, C, ...), or is
    ``ignore_index``; ``labels`` an array or a Tensor."""
    if isinstance(labels, Tensor):
        labels = labels.data
    n_classes = shape[1]
    flat = labels if labels.ndim == 1 else labels.ravel()
    # the extremes read at their argmax and argmin, which numpy runs as vectorised loops (its max and min are
    # generic reductions: a max over the labels seen as uint64 cost a compiled tiny net's step 2.5-5 us more than
    # this, measured in the step)
    if flat.size and (flat[flat.argmax()] >= n_classes or flat[flat.argmin()] < 0):
        ignored = labels == ignore_index if ignore_index is not None else np.zeros(labels.shape, bool)
        outside = (labels < 0) | (labels >= n_classes)
        if (outside & ~ignored).any():
            bad = labels[outside & ~ignored]
            also = f", such as {bad[0]}, which is not ignore_index={ignore_index}" if ignore_index is not None else ""
            raise ValueError(f"{op}: labels must be in [0, {n_classes}) for input of shape {shape}, "
                             f"got values from {labels.min()} to {labels.max()}{also}")
    return labels if labels.dtype is _INT64 else labels.astype(np.int64)   # in range: a safe cast
