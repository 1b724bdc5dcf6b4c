"""The primitive ops, grouped by kind: elementwise, activations, reduce, scan (scans and sorting), shape, data
movement, linalg, einsum, the fused losses, batch norm, and convolution and pooling; and the creation functions
(``zeros``, ``arange``, ``randn``, ...), which make leaf tensors.

``__all__`` lists every op function except the eight named after Python builtins
(``abs``, ``all``, ``any``, ``max``, ``min``, ``pow``, ``round``, ``sum``): a star-import must not shadow those. They are
ops like the others, reachable as ``autograd.sum`` (or ``autograd.ops.sum``) and as Tensor
methods (``t.sum()``); :data:`BUILTIN_NAMED` lists them.

Each op is a ``Function`` class named after what it computes (``Add``, ``Exp``, ``MatMul``);
where that name is an ``nn`` Module's (``ReLU``, ``Linear``, ``Softmax``...), the class takes
``Function`` as a suffix, as in PyTorch's "Extending autograd" tutorial: ``ReLUFunction``,
``LinearFunction``, ``SoftmaxFunction``. An op is found under the name it shows in errors and
pictures (``relu``, ``linear``, ``softmax``).
"""
from autograd.ops.elementwise import *  # noqa: F401,F403
from autograd.ops.linalg import *  # noqa: F401,F403
from autograd.ops.reduce import *  # noqa: F401,F403
from autograd.ops.scan import *  # noqa: F401,F403
from autograd.ops.shape import *  # noqa: F401,F403
from autograd.ops.losses import *  # noqa: F401,F403
from autograd.ops.normalization import *  # noqa: F401,F403
from autograd.ops.conv import *  # noqa: F401,F403
from autograd.ops.movement import *  # noqa: F401,F403
from autograd.ops.contraction import *  # noqa: F401,F403
from autograd.ops.activations import *  # noqa: F401,F403
from autograd.ops.creation import *  # noqa: F401,F403
from autograd.ops.elementwise import abs, pow, round  # noqa: F401  (named after builtins: not in __all__)
from autograd.ops.reduce import all, any, max, min, sum  # noqa: F401
from autograd.ops import (activations, contraction, conv, creation, elementwise, linalg, losses, movement,
                          normalization, reduce, scan, shape)

#: the ops named after Python builtins, left out of ``__all__`` (and so of ``from autograd import *``)
BUILTIN_NAMED = ("abs", "all", "any", "max", "min", "pow", "round", "sum")

__all__ = (elementwise.__all__ + linalg.__all__ + reduce.__all__ + scan.__all__ + shape.__all__ + losses.__all__
           + normalization.__all__ + conv.__all__ + movement.__all__ + contraction.__all__
           + activations.__all__ + creation.__all__)
