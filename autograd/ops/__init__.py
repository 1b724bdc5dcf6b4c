"""The primitive ops, grouped by kind: elementwise, reduce, shape, linalg."""
from autograd.ops.elementwise import *  # noqa: F401,F403
from autograd.ops.linalg import *  # noqa: F401,F403
from autograd.ops.reduce import *  # noqa: F401,F403
from autograd.ops.shape import *  # noqa: F401,F403
from autograd.ops import elementwise, linalg, reduce, shape

__all__ = elementwise.__all__ + linalg.__all__ + reduce.__all__ + shape.__all__
