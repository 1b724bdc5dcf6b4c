"""Tensors made from a shape or a range: ``zeros ones full eye arange linspace``, the ``*_like`` forms,
and random ``rand randn``, with PyTorch's names and arguments.

They are not ops (no inputs, nothing to differentiate): each returns a leaf tensor, which
requires grad when ``requires_grad=True`` is passed (float dtypes only, as in PyTorch).

The default float dtype is **float32**, as PyTorch's and as ``nn``'s layers (``Tensor([1.0])``
follows numpy and gives float64; pass ``dtype=np.float64`` for gradient checks). As in
PyTorch, ``full`` and ``arange`` infer an integer (int64) or bool dtype from integer or bool
arguments, and the ``*_like`` forms keep the dtype of the tensor they copy the shape of.
``device="cpu"`` is accepted (labgrad runs on the CPU).

>>> import numpy as np
>>> import autograd as ag
>>> ag.zeros(2, 3).shape, ag.zeros((2, 3)).dtype
((2, 3), dtype('float32'))
>>> ag.arange(5), ag.arange(0, 1, 0.25)
(Tensor([0, 1, 2, 3, 4]), Tensor([0.  , 0.25, 0.5 , 0.75], dtype=float32))
>>> w = ag.randn(3, 2, generator=np.random.default_rng(0), dtype=np.float64, requires_grad=True)
>>> w.requires_grad, w.shape
(True, (3, 2))
"""
import numpy as np

from autograd.checks import boolean, dtype_and_device, float_dtype, integer, is_int, shape_tuple, show
from autograd.modes import open_blocks, read_into_python, shape_from_values, thread_modes
from autograd.seeding import as_rng
from autograd.tensor import Tensor, as_tensor

__all__ = ["zeros", "ones", "full", "eye", "arange", "linspace", "zeros_like", "ones_like", "full_like",
           "rand", "randn", "rand_like", "randn_like"]

# the float dtype of a tensor made without ``dtype=`` (PyTorch's default, and nn's layers')
DEFAULT_FLOAT = np.dtype(np.float32)


# --- shared argument handling -------------------------------------------------------------

def _size(size, op):
    """PyTorch's ``*size``: ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f()`` (0-d)."""
    for n in (size[0] if len(size) == 1 and isinstance(size[0], (list, tuple)) else size):
        if isinstance(n, (np.ndarray, Tensor)):
            shape_from_values(n, f"{op}'s size given as an array")
    hint = f"pass ints, e.g. {op}(2, 3) or {op}((2, 3))"
    return shape_tuple(size[0] if len(size) == 1 and not is_int(size[0]) else size, "size", op, hint=hint)


def _dtype(dtype, device, op, default):
    """``dtype`` (None: ``default``) as a numpy dtype of numbers or bools; a device other than the CPU refused."""
    resolved = dtype_and_device((), op, dtype=dtype, device=device)
    resolved = default if resolved is None else resolved
    if resolved.kind not in "fiub":
        raise TypeError(f"{op}: dtype must be a numpy number or bool dtype, got {resolved}; "
                        "pass e.g. np.float32, np.float64 or np.int64")
    return resolved


def _leaf(data, requires_grad, op):
    """The new leaf tensor; ``requires_grad`` only for float data (as PyTorch: an int cannot have a gradient)."""
    if boolean(requires_grad, "requires_grad", op) and data.dtype.kind != "f":
        raise TypeError(f"{op}: only float tensors can require grad, got dtype {data.dtype}; "
                        "pass dtype=np.float32 (or np.float64), or requires_grad=False")
    return Tensor(data, requires_grad=requires_grad)


def _number(value, name, op):
    """A Python or numpy number (bool included, as PyTorch's fill values)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"{op}: {name} must be a number or a 0-d tensor, got a tensor of shape {value.shape}; "
                             "pass one number")
        read_into_python(f"{op}'s {name} given as a 0-d tensor")      # (a replay would keep the recording's)
        value = value.data[()]
    if not isinstance(value, (int, float, bool, np.number, np.bool_)):
        raise TypeError(f"{op}: {name} must be a number, got {show(value)} ({type(value).__name__}); pass e.g. 0.5")
    return value


def _inferred(values, dtype, device, op):
    """PyTorch's dtype for numbers: bool if all are bools, int64 if all are ints, else the default float."""
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        default = np.dtype(bool)
    elif all(isinstance(v, (int, np.integer, bool, np.bool_)) for v in values):
        default = np.dtype(np.int64)
    else:
        default = DEFAULT_FLOAT
    return _dtype(dtype, device, op, default)


# --- filled -------------------------------------------------------------------------------

def zeros(*size, dtype=None, requires_grad=False, device=None):
    """A tensor of zeros of shape ``size`` (``zeros(2, 3)`` or ``zeros((2, 3))``), float32 by default.

    >>> zeros(2, dtype=np.float64, requires_grad=True)
    Tensor([0., 0.], requires_grad=True)
    """
    return _leaf(np.zeros(_size(size, "zeros"), _dtype(dtype, device, "zeros", DEFAULT_FLOAT)), requires_grad, "zeros")


def ones(*size, dtype=None, requires_grad=False, device=None):
    """A tensor of ones of shape ``size``, float32 by default.

    >>> ones(2, 2, dtype=np.int64)
    Tensor([[1, 1],
            [1, 1]])
    """
    return _leaf(np.ones(_size(size, "ones"), _dtype(dtype, device, "ones", DEFAULT_FLOAT)), requires_grad, "ones")


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    """A tensor of shape ``size`` filled with ``fill_value``; its dtype by default from the value, as in
    PyTorch: float32 for a float, int64 for an int, bool for a bool.

    >>> full((2,), 7), full((2,), 0.5)
    (Tensor([7, 7]), Tensor([0.5, 0.5], dtype=float32))
    """
    shape = shape_tuple(size, "size", "full")
    fill_value = _number(fill_value, "fill_value", "full")
    dtype = _inferred([fill_value], dtype, device, "full")
    return _leaf(np.full(shape, fill_value, dtype), requires_grad, "full")


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    """The ``n`` x ``m`` identity matrix (``m`` = ``n`` by default): ones on the diagonal, float32 by default.

    >>> eye(2, 3)
    Tensor([[1., 0., 0.],
            [0., 1., 0.]], dtype=float32)
    """
    n = integer(n, "n", "eye", low=0)
    m = n if m is None else integer(m, "m", "eye", low=0)
    return _leaf(np.eye(n, m, dtype=_dtype(dtype, device, "eye", DEFAULT_FLOAT)), requires_grad, "eye")


# --- ranges -------------------------------------------------------------------------------

def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Values from ``start`` (0 if only one bound is given) up to but excluding ``end``, ``step`` apart.

    int64 when every argument is an int, else float32 (PyTorch's rule); the values are
    computed in float64 and then cast, as ``start + i * step``.

    >>> arange(3), arange(1, 2.5, 0.5)
    (Tensor([0, 1, 2]), Tensor([1. , 1.5, 2. ], dtype=float32))
    """
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, name, "arange") for v, name in ((start, "start"), (end, "end"), (step, "step")))
    dtype = _inferred([start, end, step], dtype, device, "arange")
    if step == 0 or not np.isfinite([start, end, step]).all():
        raise ValueError(f"arange: start, end and step must be finite and step non-zero, got start={start}, "
                         f"end={end}, step={step}; pass e.g. arange(0, 1, 0.1)")
    if (end - start) * step < 0:
        raise ValueError(f"arange: step={step} moves away from end={end} from start={start}; "
                         "flip the sign of step (or pass start == end for an empty range)")
    if dtype.kind in "iub" and all(is_int(v) for v in (start, end, step)):
        data = np.arange(start, end, step, dtype=dtype)
    else:
        data = np.arange(start, end, step, dtype=np.float64).astype(dtype)
    return _leaf(data, requires_grad, "arange")


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """``steps`` evenly spaced values from ``start`` to ``end``, both included; float32 by default.

    >>> linspace(0, 1, 5)
    Tensor([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    start, end = _number(start, "start", "linspace"), _number(end, "end", "linspace")
    steps = integer(steps, "steps", "linspace", low=0)
    dtype = _dtype(dtype, device, "linspace", DEFAULT_FLOAT)
    return _leaf(np.linspace(start, end, steps, dtype=np.float64).astype(dtype), requires_grad, "linspace")


# --- the shape (and dtype) of another tensor ----------------------------------------------

def _like(input, dtype, device, op):
    x = as_tensor(input)
    return x.shape, _dtype(dtype, device, op, x.dtype)


def zeros_like(input, dtype=None, requires_grad=False, device=None):
    """Zeros of ``input``'s shape and (by default) dtype; a new leaf, never part of ``input``'s graph.

    >>> zeros_like(Tensor([[1.0, 2.0]], requires_grad=True))
    Tensor([[0., 0.]])
    """
    shape, dtype = _like(input, dtype, device, "zeros_like")
    return _leaf(np.zeros(shape, dtype), requires_grad, "zeros_like")


def ones_like(input, dtype=None, requires_grad=False, device=None):
    """Ones of ``input``'s shape and (by default) dtype."""
    shape, dtype = _like(input, dtype, device, "ones_like")
    return _leaf(np.ones(shape, dtype), requires_grad, "ones_like")


def full_like(input, fill_value, dtype=None, requires_grad=False, device=None):
    """``fill_value`` in ``input``'s shape and (by default) dtype.

    >>> full_like(Tensor([1, 2]), 7)
    Tensor([7, 7])
    """
    shape, dtype = _like(input, dtype, device, "full_like")
    fill_value = _number(fill_value, "fill_value", "full_like")
    return _leaf(np.full(shape, fill_value, dtype), requires_grad, "full_like")


# --- random -------------------------------------------------------------------------------

def _uniform(source, shape, dtype):
    """Uniform draws in [0, 1) of ``dtype``: drawn in float64, and a value the cast rounds up to 1 taken
    as the largest float below 1 (so float32's are in [0, 1) too)."""
    data = np.asarray(source.random(shape), dtype=np.float64).astype(dtype)
    data[data >= 1] = np.nextafter(dtype.type(1), dtype.type(0))
    return data


def _normal(source, shape, dtype):
    return np.asarray(source.standard_normal(shape), dtype=np.float64).astype(dtype)


def _random(draw, size, generator, rng, dtype, requires_grad, device, op):
    shape = _size(size, op)
    if generator is not None and rng is not None:
        raise TypeError(f"{op}: got both generator= (PyTorch's name) and rng= (labgrad's) for the random source; "
                        "pass one of them")
    source = as_rng(rng if generator is None else generator)
    dtype = float_dtype(dtype_and_device((), op, dtype=dtype, device=device) or DEFAULT_FLOAT, "dtype", op)
    data = draw(source, shape, dtype)
    if open_blocks.count and thread_modes.capture is not None:
        # a step recorded by autograd.compile draws again on each replay, from the same source
        thread_modes.capture.record_call(draw, (source, shape, dtype), {}, data)
    return _leaf(data, requires_grad, op)


def rand(*size, generator=None, rng=None, dtype=None, requires_grad=False, device=None):
    """Uniform random values in [0, 1) of shape ``size``, float32 by default.

    The random source is ``generator=`` (PyTorch's name) or ``rng=`` (labgrad's, as in
    :mod:`nn.init`): a numpy Generator or RandomState, an int seed, or None for numpy's
    global state (which :func:`autograd.manual_seed` seeds).

    >>> a = rand(2, 3, generator=np.random.default_rng(0))
    >>> a.shape, a.dtype, bool(((a.data >= 0) & (a.data < 1)).all())
    ((2, 3), dtype('float32'), True)
    """
    return _random(_uniform, size, generator, rng, dtype, requires_grad, device, "rand")


def randn(*size, generator=None, rng=None, dtype=None, requires_grad=False, device=None):
    """Standard normal random values of shape ``size``, float32 by default (random source: see :func:`rand`).

    >>> randn(3, rng=0).data.round(3)
    array([ 0.126, -0.132,  0.64 ], dtype=float32)
    """
    return _random(_normal, size, generator, rng, dtype, requires_grad, device, "randn")


def _random_like(draw, input, generator, rng, dtype, requires_grad, device, op):
    shape, like_dtype = _like(input, dtype, device, op)
    if dtype is None and like_dtype.kind != "f":
        raise TypeError(f"{op}: the input has dtype {like_dtype}, and random values are floats; pass a float input "
                        "or dtype=np.float32")
    return _random(draw, (shape,), generator, rng, like_dtype, requires_grad, device, op)


def rand_like(input, *, generator=None, rng=None, dtype=None, requires_grad=False, device=None):
    """:func:`rand` in ``input``'s shape and (by default) dtype, which must then be a float dtype, as PyTorch's.

    >>> rand_like(np.zeros((1, 2), np.float32), rng=0)
    Tensor([[0.6369617 , 0.26978672]], dtype=float32)
    """
    return _random_like(_uniform, input, generator, rng, dtype, requires_grad, device, "rand_like")


def randn_like(input, *, generator=None, rng=None, dtype=None, requires_grad=False, device=None):
    """:func:`randn` in ``input``'s shape and (by default) dtype, which must then be a float dtype.

    >>> randn_like(np.zeros(3), rng=0).dtype
    dtype('float64')
    """
    return _random_like(_normal, input, generator, rng, dtype, requires_grad, device, "randn_like")
