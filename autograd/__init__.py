"""labgrad's autograd: a numpy Tensor that records its computation graph and backpropagates.

``from autograd import *`` gives every op except those named after Python builtins
(``abs all any max min pow round sum``, which it would shadow): use ``autograd.sum`` or ``t.sum()``.

>>> from autograd import Tensor
>>> x = Tensor(3.0, requires_grad=True)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad                     # dy/dx = 2x + 2
array(8.)
"""
from autograd.tensor import Tensor, as_tensor
from autograd.function import Function
from autograd.modes import (AnomalyError, detect_anomaly, enable_grad, inference_mode, is_anomaly_enabled,
                            is_grad_enabled, no_grad)
from autograd.engine import backward, grad, reduce_broadcast
from autograd.ops import *  # noqa: F401,F403
from autograd.ops import abs, all, any, max, min, pow, round, sum  # noqa: F401  (not in __all__: they would shadow builtins)
from autograd import ops
from autograd.gradcheck import GradcheckError, gradcheck, numerical_gradient
from autograd.seeding import manual_seed
from autograd.capture import compile  # noqa: A004  (torch.compile's name; not in __all__: it would shadow the builtin)

__all__ = [
    "Tensor", "as_tensor", "Function", "backward", "grad", "no_grad", "inference_mode", "enable_grad",
    "is_grad_enabled", "detect_anomaly", "is_anomaly_enabled", "AnomalyError", "reduce_broadcast", "gradcheck", "GradcheckError",
    "numerical_gradient", "manual_seed", "viz", "func", "forward_ad",
] + list(ops.__all__)


def __getattr__(name):
    """``autograd.viz`` (the largest part, which few programs need), ``autograd.func`` (the function transforms)
    and ``autograd.forward_ad`` (dual tensors) are imported on first use."""
    if name in ("viz", "func", "forward_ad"):
        import importlib
        return importlib.import_module(f"autograd.{name}")
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
