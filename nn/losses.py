"""Loss modules: ``criterion = nn.CrossEntropyLoss(); loss = criterion(scores, labels)``.

Each wraps the function of the same name in :mod:`nn.functional` and stores
its ``reduction`` ("mean", "sum" or "none", the first argument) and PyTorch's options, by keyword
(``nn.CrossEntropyLoss(weight=w, ignore_index=-100, label_smoothing=0.1)``); a class weight is a
buffer, saved in the state dict as PyTorch's.

>>> import numpy as np
>>> import nn
>>> criterion = nn.MSELoss(reduction="sum")
>>> criterion(np.array([1.0, 2.0]), np.array([0.0, 0.0])).item()
5.0
"""
import warnings

import numpy as np

from autograd import Tensor
from autograd.checks import boolean, integer, real_number
from autograd.ops.arguments import check_reduction
from nn import functional as F
from nn.module import Module

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "MSELoss"]


def legacy_reduction(size_average, reduce, reduction, op):
    """``reduction`` from PyTorch's deprecated ``size_average=`` / ``reduce=`` where one is given (as PyTorch:
    ``reduce=False`` is "none", else ``size_average=False`` is "sum", else "mean"), with PyTorch's warning."""
    if size_average is None and reduce is None:
        return check_reduction(reduction, op)
    warnings.warn(f"{op}: size_average and reduce are deprecated (as in PyTorch); pass reduction='mean', 'sum' "
                  "or 'none' instead", DeprecationWarning, stacklevel=3)
    if reduce is not None and not boolean(reduce, "reduce", op):
        return "none"
    return "sum" if size_average is not None and not boolean(size_average, "size_average", op) else "mean"


class _Loss(Module):
    function = None

    def __init__(self, reduction="mean", *, size_average=None, reduce=None):
        super().__init__()
        self.reduction = legacy_reduction(size_average, reduce, reduction, type(self).__name__)

    def forward(self, input, target):
        return self.function(input, target, reduction=self.reduction)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    """A loss with a class ``weight`` (a buffer, saved in the state dict, as PyTorch's) and more options."""

    def __init__(self, reduction="mean", *, weight=None, size_average=None, reduce=None):
        super().__init__(reduction, size_average=size_average, reduce=reduce)
        if isinstance(weight, Tensor):
            weight = weight.data
        self.register_buffer("weight", None if weight is None else np.asarray(weight))

    def options(self):
        """The keyword arguments this module passes to its function besides ``reduction``."""
        return {"weight": self.weight}

    def forward(self, input, target):
        return self.function(input, target, reduction=self.reduction, **self.options())

    def extra_repr(self):
        shown = {k: v for k, v in self.options().items() if k != "weight"}
        return ", ".join([f"reduction={self.reduction!r}"] + (["weight=..."] if self.weight is not None else [])
                         + [f"{k}={v!r}" for k, v in shown.items()])


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (after a sigmoid); see :func:`nn.functional.binary_cross_entropy`."""
    function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of raw scores, stable; see :func:`nn.functional.binary_cross_entropy_with_logits`.

    ``weight`` multiplies each element's loss, ``pos_weight`` the positive term (per class, shape (C,)).
    """
    function = staticmethod(F.binary_cross_entropy_with_logits)

    def __init__(self, reduction="mean", *, weight=None, pos_weight=None, size_average=None, reduce=None):
        super().__init__(reduction, weight=weight, size_average=size_average, reduce=reduce)
        if isinstance(pos_weight, Tensor):
            pos_weight = pos_weight.data
        self.register_buffer("pos_weight", None if pos_weight is None else np.asarray(pos_weight))

    def options(self):
        return {"weight": self.weight, "pos_weight": self.pos_weight}

    def extra_repr(self):
        return ", ".join([f"reduction={self.reduction!r}"] + [f"{k}=..." for k in ("weight", "pos_weight")
                                                              if getattr(self, k) is not None])


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of raw scores (N, C) against labels (N,) or probabilities (N, C).

    PyTorch's ``weight``, ``ignore_index`` and ``label_smoothing`` (see :func:`nn.functional.cross_entropy`).

    >>> import numpy as np
    >>> import nn
    >>> criterion = nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)
    >>> criterion
    CrossEntropyLoss(reduction='mean', ignore_index=0, label_smoothing=0.1)
    >>> round(criterion(np.zeros((2, 3)), np.array([0, 2])).item(), 4)      # log 3: the only sample counted
    1.0986
    """
    function = staticmethod(F.cross_entropy)

    def __init__(self, reduction="mean", *, weight=None, ignore_index=-100, label_smoothing=0.0, size_average=None,
                 reduce=None):
        super().__init__(reduction, weight=weight, size_average=size_average, reduce=reduce)
        self.ignore_index = integer(ignore_index, "ignore_index", "CrossEntropyLoss")
        self.label_smoothing = real_number(label_smoothing, "label_smoothing", "CrossEntropyLoss", 0, 1)

    def options(self):
        return {"weight": self.weight, "ignore_index": self.ignore_index, "label_smoothing": self.label_smoothing}

    def forward(self, input, target):
        if self.weight is None and self.ignore_index == -100 and self.label_smoothing == 0:   # (the hot path)
            return F.cross_entropy(input, target, self.reduction)
        return F.cross_entropy(input, target, self.reduction, **self.options())

    def extra_repr(self):
        return ", ".join([f"reduction={self.reduction!r}"] + (["weight=..."] if self.weight is not None else [])
                         + ([f"ignore_index={self.ignore_index}"] if self.ignore_index != -100 else [])
                         + ([f"label_smoothing={self.label_smoothing}"] if self.label_smoothing else []))


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of labels under log-probabilities (after ``LogSoftmax``); PyTorch's ``weight``
    and ``ignore_index`` (see :func:`nn.functional.nll_loss`)."""
    function = staticmethod(F.nll_loss)

    def __init__(self, reduction="mean", *, weight=None, ignore_index=-100, size_average=None, reduce=None):
        super().__init__(reduction, weight=weight, size_average=size_average, reduce=reduce)
        self.ignore_index = integer(ignore_index, "ignore_index", "NLLLoss")

    def options(self):
        return {"weight": self.weight, "ignore_index": self.ignore_index}

    def extra_repr(self):
        return ", ".join([f"reduction={self.reduction!r}"] + (["weight=..."] if self.weight is not None else [])
                         + ([f"ignore_index={self.ignore_index}"] if self.ignore_index != -100 else []))


class MSELoss(_Loss):
    """Mean squared error."""
    function = staticmethod(F.mse_loss)
