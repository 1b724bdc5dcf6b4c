"""Weight initialisers: functions ``f(shape, rng=None) -> ndarray`` (float64).

Weights are laid out ``(in, out)`` as in the labs (``X @ W + b``), so for a
shape ``(..., out)`` the fan-in is the product of all but the last axis and
the fan-out is the last axis. Layers copy the values into 64-byte-aligned arrays
made by :func:`aligned_copy` (see :func:`empty_aligned` for why).

``rng`` chooses where the random numbers come from:

* ``None`` or the ``np.random`` module: numpy's global legacy state, so a
  lab's ``np.random.seed(42)`` reproduces its weights exactly;
* an ``int``: a fresh ``np.random.default_rng(int)``;
* a ``np.random.Generator`` or ``np.random.RandomState``: used as is.

>>> import numpy as np
>>> from nn import init
>>> np.random.seed(0)
>>> w = init.he_normal((784, 25))                    # lab 000: randn * sqrt(2 / n_in)
>>> np.random.seed(0)
>>> np.array_equal(w, np.random.randn(784, 25) * np.sqrt(2 / 784))
True
>>> init.normal((2, 3), std=0.3, rng=1).shape
(2, 3)
"""
import math
import numbers

import numpy as np

__all__ = [
    "as_rng", "fans", "he_normal", "kaiming_normal", "xavier_uniform", "xavier_normal", "normal",
    "randn", "small_randn", "zeros", "ones", "get", "ALIGNMENT", "empty_aligned", "aligned_copy",
]


def as_rng(rng=None):
    """The random source for ``rng`` (see the module docstring); raises TypeError otherwise."""
    if rng is None or rng is np.random:
        return np.random                      # the module's functions use the global RandomState
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be None, np.random, an int seed, a numpy Generator or RandomState; "
                    f"got {type(rng).__name__}")


def _shape(shape, fn):
    try:
        shape = (int(shape),) if isinstance(shape, numbers.Integral) else tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: shape must be an int or a tuple of ints, got {shape!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{fn}: negative dimension in shape {shape}")
    return shape


def fans(shape):
    """``(fan_in, fan_out)`` of a weight of ``shape`` laid out ``(..., in, out)``.

    >>> fans((784, 25))
    (784, 25)
    >>> fans((10,))
    (10, 10)
    """
    shape = _shape(shape, "fans")
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    return int(np.prod(shape[:-1])), shape[-1]


def _positive_fan(n, fn, shape):
    if n == 0:
        raise ValueError(f"{fn}: cannot scale by the fan of an empty shape {shape}")
    return n


def normal(shape, std=1.0, mean=0.0, rng=None):
    """Draws from N(mean, std^2): ``mean + std * standard_normal(shape)``.

    With ``np.random.seed(42)`` this reproduces ``np.random.normal(0, 0.3, shape)``
    bit for bit (lab 003's ``init_params``).

    >>> import numpy as np
    >>> np.random.seed(42)
    >>> normal((1, 2), std=0.3)
    array([[ 0.14901425, -0.04147929]])
    """
    shape = _shape(shape, "normal")
    if not std >= 0:
        raise ValueError(f"normal: std must be >= 0, got {std}")
    return mean + std * as_rng(rng).standard_normal(shape)


def randn(shape, rng=None):
    """Standard normal draws, ``np.random.randn(*shape)`` (lab 001's layer weights)."""
    return normal(shape, 1.0, 0.0, rng)


def small_randn(shape, rng=None):
    """``randn * 0.01`` (lab 002's ``Dense``: small random weights)."""
    return as_rng(rng).standard_normal(_shape(shape, "small_randn")) * 0.01


def he_normal(shape, rng=None):
    """He (Kaiming) normal init for ReLU nets: N(0, 2 / fan_in), as ``randn * sqrt(2 / fan_in)``."""
    shape = _shape(shape, "he_normal")
    fan_in = _positive_fan(fans(shape)[0], "he_normal", shape)
    return as_rng(rng).standard_normal(shape) * np.sqrt(2.0 / fan_in)


kaiming_normal = he_normal


def xavier_uniform(shape, rng=None):
    """Glorot uniform: U(-a, a) with ``a = sqrt(6 / (fan_in + fan_out))``."""
    shape = _shape(shape, "xavier_uniform")
    fan_in, fan_out = fans(shape)
    a = np.sqrt(6.0 / _positive_fan(fan_in + fan_out, "xavier_uniform", shape))
    return as_rng(rng).uniform(-a, a, shape)


def xavier_normal(shape, rng=None):
    """Glorot normal: N(0, 2 / (fan_in + fan_out))."""
    shape = _shape(shape, "xavier_normal")
    fan_in, fan_out = fans(shape)
    n = _positive_fan(fan_in + fan_out, "xavier_normal", shape)
    return as_rng(rng).standard_normal(shape) * np.sqrt(2.0 / n)


def zeros(shape, rng=None):
    """All zeros (the labs' biases); ``rng`` is accepted and unused."""
    return np.zeros(_shape(shape, "zeros"))


def ones(shape, rng=None):
    """All ones (BatchNorm's scale); ``rng`` is accepted and unused."""
    return np.ones(_shape(shape, "ones"))


_BY_NAME = {
    "he": he_normal, "he_normal": he_normal, "kaiming": he_normal, "kaiming_normal": he_normal,
    "xavier": xavier_uniform, "xavier_uniform": xavier_uniform, "xavier_normal": xavier_normal,
    "normal": normal, "randn": randn, "small_randn": small_randn, "zeros": zeros, "ones": ones,
}


def get(init):
    """The initialiser for a name (``"he"``, ``"xavier_uniform"``, ...) or a callable, unchanged.

    A callable is called as ``init(shape, rng=rng)`` and must return an array of that shape.

    >>> get("he") is he_normal
    True
    """
    if callable(init):
        return init
    if isinstance(init, str) and init in _BY_NAME:
        return _BY_NAME[init]
    raise ValueError(f"unknown init {init!r}; use one of {sorted(_BY_NAME)} or a callable f(shape, rng=None)")


# --- parameter memory ---------------------------------------------------------------------

ALIGNMENT = 64        # bytes: a cache line and an AVX-512 register (PyTorch's CPU allocator uses 64 too)


def empty_aligned(shape, dtype=np.float64):
    """An uninitialised C-contiguous array whose data starts on a 64-byte boundary.

    numpy puts an array wherever ``malloc`` does: on 16-byte boundaries with glibc.
    For a parameter that is updated in place every step this matters: on an AVX-512
    Xeon, ``W -= lr * dW`` for a (784, 256) float32 weight took 240 us when ``W``
    started off a 64-byte boundary and 120 us when it started on one. Layers,
    ``load_state_dict`` and the optimisers' state arrays are therefore made here.

    >>> w = empty_aligned((784, 256), np.float32)
    >>> w.ctypes.data % ALIGNMENT, w.flags.c_contiguous
    (0, True)
    """
    dtype = np.dtype(dtype)
    shape = _shape(shape, "empty_aligned")
    nbytes = math.prod(shape) * dtype.itemsize
    buffer = np.empty(nbytes + ALIGNMENT, np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    return buffer[start:start + nbytes].view(dtype).reshape(shape)


def aligned_copy(values, dtype=None):
    """A copy of ``values`` (cast to ``dtype``, default: its own) in 64-byte-aligned memory.

    >>> w = aligned_copy(np.arange(6.0).reshape(2, 3), np.float32)
    >>> w.ctypes.data % ALIGNMENT, w.dtype, w.tolist()
    (0, dtype('float32'), [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    """
    values = np.asarray(values)
    out = empty_aligned(values.shape, values.dtype if dtype is None else dtype)
    np.copyto(out, values, casting="unsafe" if dtype is not None else "no")
    return out
