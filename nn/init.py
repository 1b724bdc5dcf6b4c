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

PyTorch's in-place initialisers (``kaiming_normal_``, ``xavier_uniform_``,
``normal_``, ``zeros_``, ...) are here too, with PyTorch's arguments, writing
into a Parameter, Tensor or float array and returning it. Their fans are
those of the labgrad layout: ``Linear.weight`` is ``(in, out)`` here and
``(out, in)`` in PyTorch, so the fan-in is ``shape[0]`` here (PyTorch: ``shape[1]``),
and ``kaiming_normal_(linear.weight)`` draws with PyTorch's std for the same layer.

>>> import nn
>>> layer = nn.Linear(400, 10)
>>> _ = init.kaiming_normal_(layer.weight, nonlinearity="relu", rng=0)    # std sqrt(2 / 400)
>>> round(float(layer.weight.data.std()), 2)
0.07
"""
import math

import numpy as np

from autograd import Tensor
from autograd.seeding import as_rng  # noqa: F401  (nn.init.as_rng: the one random-source rule, shared)
from autograd.checks import one_of, real_number, shape_tuple, show

__all__ = [
    "as_rng", "fans", "he_normal", "kaiming_normal", "xavier_uniform", "xavier_normal", "normal",
    "randn", "small_randn", "zeros", "ones", "get", "ALIGNMENT", "empty_aligned", "aligned_copy",
    "calculate_gain", "kaiming_normal_", "kaiming_uniform_", "xavier_normal_", "xavier_uniform_", "normal_",
    "uniform_", "zeros_", "ones_", "constant_",
]


def fans(shape):
    """``(fan_in, fan_out)`` of a weight of ``shape`` laid out ``(..., in, out)``.

    >>> fans((784, 25))
    (784, 25)
    >>> fans((10,))
    (10, 10)
    """
    shape = shape_tuple(shape, "shape", "fans")
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
    shape = shape_tuple(shape, "shape", "normal")
    std = real_number(std, "std", "normal", low=0)
    mean = real_number(mean, "mean", "normal")
    return mean + std * as_rng(rng).standard_normal(shape)


def randn(shape, rng=None):
    """Standard normal draws, ``np.random.randn(*shape)`` (lab 001's layer weights)."""
    return normal(shape, 1.0, 0.0, rng)


def small_randn(shape, rng=None):
    """``randn * 0.01`` (lab 002's ``Dense``: small random weights)."""
    return as_rng(rng).standard_normal(shape_tuple(shape, "shape", "small_randn")) * 0.01


def he_normal(shape, rng=None):
    """He (Kaiming) normal init for ReLU nets: N(0, 2 / fan_in), as ``randn * sqrt(2 / fan_in)``."""
    shape = shape_tuple(shape, "shape", "he_normal")
    fan_in = _positive_fan(fans(shape)[0], "he_normal", shape)
    return as_rng(rng).standard_normal(shape) * np.sqrt(2.0 / fan_in)


kaiming_normal = he_normal


def xavier_uniform(shape, rng=None):
    """Glorot uniform: U(-a, a) with ``a = sqrt(6 / (fan_in + fan_out))``."""
    shape = shape_tuple(shape, "shape", "xavier_uniform")
    fan_in, fan_out = fans(shape)
    a = np.sqrt(6.0 / _positive_fan(fan_in + fan_out, "xavier_uniform", shape))
    return as_rng(rng).uniform(-a, a, shape)


def xavier_normal(shape, rng=None):
    """Glorot normal: N(0, 2 / (fan_in + fan_out))."""
    shape = shape_tuple(shape, "shape", "xavier_normal")
    fan_in, fan_out = fans(shape)
    n = _positive_fan(fan_in + fan_out, "xavier_normal", shape)
    return as_rng(rng).standard_normal(shape) * np.sqrt(2.0 / n)


def zeros(shape, rng=None):
    """All zeros (the labs' biases); ``rng`` is accepted and unused."""
    return np.zeros(shape_tuple(shape, "shape", "zeros"))


def ones(shape, rng=None):
    """All ones (BatchNorm's scale); ``rng`` is accepted and unused."""
    return np.ones(shape_tuple(shape, "shape", "ones"))


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
    if not isinstance(init, str):
        raise TypeError(f"init: expected a name or a callable f(shape, rng=None), got {show(init)}; "
                        f"pass one of {sorted(_BY_NAME)}")
    return _BY_NAME[one_of(init, sorted(_BY_NAME), "init", "init")]


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
    shape = shape_tuple(shape, "shape", "empty_aligned")
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


# --- PyTorch's in-place initialisers ------------------------------------------------------

def calculate_gain(nonlinearity, param=None):
    """PyTorch's recommended gain for ``nonlinearity`` (``param``: leaky_relu's negative slope, default 0.01).

    >>> calculate_gain("relu") == math.sqrt(2), calculate_gain("tanh")
    (True, 1.6666666666666667)
    """
    linear = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
              "conv_transpose2d", "conv_transpose3d")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else real_number(param, "param (negative_slope)", "calculate_gain")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
                     f"{sorted(linear + ('tanh', 'relu', 'leaky_relu', 'selu'))}")


def _target(tensor, fn):
    """The float array behind ``tensor`` (a Parameter, Tensor or ndarray), to be written in place."""
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{fn}: expected a Parameter, Tensor or numpy array, got {type(tensor).__name__} "
                        "(the shape-taking initialisers are the names without '_': init.normal(shape))")
    if array.dtype.kind != "f":
        raise TypeError(f"{fn}: can only fill a float array, got dtype {array.dtype}")
    if not array.flags.writeable:
        raise ValueError(f"{fn}: the array of shape {array.shape} is read-only")
    return array


def _fill(tensor, values):
    _target(tensor, "init")[...] = values            # cast to the tensor's dtype; aligned memory kept
    return tensor


def _torch_fans(shape, fn, mode=None):
    """``(fan_in, fan_out)`` of a weight in labgrad's ``(..., in, out)`` layout; at least 2-d, as PyTorch."""
    if len(shape) < 2:
        raise ValueError(f"{fn}: fan in and fan out cannot be computed for a tensor of shape {shape} "
                         "(fewer than 2 dimensions)")
    fan_in, fan_out = fans(shape)
    if mode is not None:
        mode = one_of(mode, ("fan_in", "fan_out"), "mode", fn)
        return _positive_fan(fan_in if mode == "fan_in" else fan_out, fn, shape)
    return fan_in, fan_out


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """Fill ``tensor`` with N(0, std^2), ``std = gain / sqrt(fan)``, as PyTorch; returns it.

    ``fan`` is the fan-in (``mode="fan_in"``) or fan-out of labgrad's ``(in, out)``
    layout (see the module docstring); ``gain = calculate_gain(nonlinearity, a)``.
    ``rng`` as elsewhere in this module.
    """
    array = _target(tensor, "kaiming_normal_")
    std = calculate_gain(nonlinearity, a) / math.sqrt(_torch_fans(array.shape, "kaiming_normal_", mode))
    return _fill(tensor, as_rng(rng).standard_normal(array.shape) * std)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """Fill ``tensor`` with U(-b, b), ``b = gain * sqrt(3 / fan)``, as PyTorch; returns it.

    With the defaults (``a=0``, leaky_relu) the gain is ``sqrt(2)``. (PyTorch's
    ``nn.Linear`` itself initialises with ``a=sqrt(5)``, i.e. ``b = 1 / sqrt(fan_in)``.)
    """
    array = _target(tensor, "kaiming_uniform_")
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _torch_fans(array.shape, "kaiming_uniform_", mode))
    return _fill(tensor, as_rng(rng).uniform(-bound, bound, array.shape))


def xavier_uniform_(tensor, gain=1.0, rng=None):
    """Fill ``tensor`` with U(-a, a), ``a = gain * sqrt(6 / (fan_in + fan_out))``, as PyTorch; returns it."""
    array = _target(tensor, "xavier_uniform_")
    gain = real_number(gain, "gain", "xavier_uniform_")
    fan_in, fan_out = _torch_fans(array.shape, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / _positive_fan(fan_in + fan_out, "xavier_uniform_", array.shape))
    return _fill(tensor, as_rng(rng).uniform(-bound, bound, array.shape))


def xavier_normal_(tensor, gain=1.0, rng=None):
    """Fill ``tensor`` with N(0, std^2), ``std = gain * sqrt(2 / (fan_in + fan_out))``, as PyTorch; returns it."""
    array = _target(tensor, "xavier_normal_")
    gain = real_number(gain, "gain", "xavier_normal_")
    fan_in, fan_out = _torch_fans(array.shape, "xavier_normal_")
    std = gain * math.sqrt(2.0 / _positive_fan(fan_in + fan_out, "xavier_normal_", array.shape))
    return _fill(tensor, as_rng(rng).standard_normal(array.shape) * std)


def normal_(tensor, mean=0.0, std=1.0, rng=None):
    """Fill ``tensor`` with draws from N(mean, std^2); returns it.

    >>> import numpy as np
    >>> w = np.zeros((2, 2))
    >>> normal_(w, std=0.0, mean=3.0) is w, w.tolist()
    (True, [[3.0, 3.0], [3.0, 3.0]])
    """
    array = _target(tensor, "normal_")
    return _fill(tensor, normal(array.shape, std=std, mean=mean, rng=rng))


def uniform_(tensor, a=0.0, b=1.0, rng=None):
    """Fill ``tensor`` with draws from U(a, b); returns it."""
    array = _target(tensor, "uniform_")
    a, b = real_number(a, "a", "uniform_"), real_number(b, "b", "uniform_")
    if not a <= b:
        raise ValueError(f"uniform_: need a <= b, got a={a}, b={b}; swap them")
    return _fill(tensor, as_rng(rng).uniform(a, b, array.shape))


def constant_(tensor, val):
    """Fill ``tensor`` with ``val``; returns it."""
    _target(tensor, "constant_")
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill ``tensor`` with zeros; returns it."""
    _target(tensor, "zeros_")
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill ``tensor`` with ones; returns it."""
    _target(tensor, "ones_")
    return _fill(tensor, 1)
