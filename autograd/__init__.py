"""labgrad's autograd: a numpy Tensor that records its computation graph and backpropagates.

>>> from autograd import Tensor
>>> x = Tensor(3.0, requires_grad=True)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad                     # dy/dx = 2x + 2
array(8.)
"""
from autograd.tensor import Tensor, as_tensor
from autograd.function import (Function, AnomalyError, detect_anomaly, enable_grad, is_grad_enabled,
                               no_grad, reduce_broadcast)
from autograd.engine import backward, grad
from autograd.ops import *  # noqa: F401,F403
from autograd.ops import __all__ as _ops_all
from autograd.gradcheck import GradcheckError, gradcheck, numerical_gradient
from autograd import viz  # graphviz itself is imported only when drawing

__all__ = [
    "Tensor", "as_tensor", "Function", "backward", "grad", "no_grad", "enable_grad", "is_grad_enabled",
    "detect_anomaly", "AnomalyError", "reduce_broadcast", "gradcheck", "GradcheckError",
    "numerical_gradient", "viz",
] + list(_ops_all)
