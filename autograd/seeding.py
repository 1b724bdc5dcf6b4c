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

from autograd.checks import integer, is_int

__all__ = ["manual_seed", "as_rng"]


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


def as_rng(rng=None):
    """The random source an ``rng=`` (or PyTorch's ``generator=``) argument names.

    None or ``np.random``: numpy's global state (what :func:`manual_seed` seeds); a numpy
    ``Generator`` or ``RandomState``: itself; an int: a fresh ``np.random.default_rng(seed)``
    (the same draws on every call). Anything else is a TypeError.

    >>> as_rng(0).standard_normal() == np.random.default_rng(0).standard_normal()
    True
    >>> as_rng("0")
    Traceback (most recent call last):
        ...
    TypeError: rng: must be None, np.random, an int seed, a numpy Generator or RandomState, got str; pass e.g. rng=0
    """
    if rng is None or rng is np.random:
        return np.random                      # the module's functions use the global RandomState
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if is_int(rng):
        return np.random.default_rng(integer(rng, "rng", "rng", low=0, hint="pass a seed >= 0"))
    raise TypeError(f"rng: must be None, np.random, an int seed, a numpy Generator or RandomState, "
                    f"got {type(rng).__name__}; pass e.g. rng=0")
