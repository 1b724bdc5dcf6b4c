"""Loss modules: ``criterion = nn.CrossEntropyLoss(); loss = criterion(scores, labels)``.

Each wraps the function of the same name in :mod:`nn.functional` and stores
its ``reduction`` ("mean", "sum" or "none").

>>> import numpy as np
>>> import nn
>>> criterion = nn.MSELoss(reduction="sum")
>>> criterion(np.array([1.0, 2.0]), np.array([0.0, 0.0])).item()
5.0
"""
from autograd.ops.arguments import check_reduction
from nn import functional as F
from nn.module import Module

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "MSELoss"]


class _Loss(Module):
    function = None

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = check_reduction(reduction, type(self).__name__)

    def forward(self, input, target):
        return self.function(input, target, reduction=self.reduction)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (after a sigmoid); see :func:`nn.functional.binary_cross_entropy`."""
    function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of raw scores, stable; see :func:`nn.functional.binary_cross_entropy_with_logits`."""
    function = staticmethod(F.binary_cross_entropy_with_logits)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of raw scores (N, C) against labels (N,) or probabilities (N, C)."""
    function = staticmethod(F.cross_entropy)


class NLLLoss(_Loss):
    """Negative log-likelihood of labels under log-probabilities (after ``LogSoftmax``)."""
    function = staticmethod(F.nll_loss)


class MSELoss(_Loss):
    """Mean squared error."""
    function = staticmethod(F.mse_loss)
