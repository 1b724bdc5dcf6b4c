"""``manual_seed``: one call that makes labgrad's default random draws repeatable.

labgrad draws random numbers without an explicit ``rng`` from numpy's global
random state (``np.random``): the weight initialisers of :mod:`nn.init`, and
:class:`nn.Linear`, :class:`nn.MLP` and :class:`nn.Dropout` when no ``rng`` is
given. ``manual_seed`` seeds that state, as PyTorch's ``torch.manual_seed``
seeds its default generator. An explicit ``rng=``/``seed=`` argument still
takes precedence wherever it is given.

>>> import numpy as np
>>> from autograd import manual_seed
>>> manual_seed(0); a = np.random.standard_normal(2)
>>> manual_seed(0); b = np.random.standard_normal(2)
>>> bool((a == b).all())
True
"""
import numbers

import numpy as np

__all__ = ["manual_seed"]


def manual_seed(seed):
    """Seed labgrad's default random source (numpy's global state, ``np.random.seed``).

    Parameters
    ----------
    seed : int
        In ``[0, 2**32)``, numpy's range for its global state.
    """
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed < 2 ** 32:
        raise ValueError(f"manual_seed: seed must be in [0, 2**32) (numpy's global random state), got {seed}")
    np.random.seed(int(seed))
