"""``manual_seed``: one call that makes labgrad's default random draws repeatable.

labgrad draws random numbers without an explicit ``rng`` from numpy's global
random state (``np.random``): the weight initialisers of :mod:`nn.init`, and
:class:`nn.Linear`, :class:`nn.MLP` and :class:`nn.Dropout` when no ``rng`` is
given, and the shuffling of :class:`nn.data.DataLoader` and :func:`nn.data.train_val_split`. ``manual_seed`` seeds that state, as PyTorch's ``torch.manual_seed``
seeds its default generator. An explicit ``rng=``/``seed=`` argument still
takes precedence wherever it is given.

>>> import numpy as np
>>> from autograd import manual_seed
>>> manual_seed(0); a = np.random.standard_normal(2)
>>> manual_seed(0); b = np.random.standard_normal(2)
>>> bool((a == b).all())
True
"""
import numpy as np

from autograd.checks import integer

__all__ = ["manual_seed"]


def manual_seed(seed):
    """Seed labgrad's default random source (numpy's global state, ``np.random.seed``).

    Parameters
    ----------
    seed : int
        In ``[0, 2**32)``, numpy's range for its global state.
    """
    seed = integer(seed, "seed", "manual_seed", 0, 2 ** 32 - 1,
                   hint="pass an int in [0, 2**32), the range of numpy's global random state")
    np.random.seed(seed)
