"""Argument checks shared by autograd and nn: one rule, one message form.

Every check returns the value normalised (a Python ``int``, ``float``, ``bool``,
``tuple`` or ``np.dtype``) or raises

- ``TypeError`` when the value has the wrong type (a float where an int is needed,
  a bool where a number is needed, a string where a shape is needed), and
- ``ValueError`` when the type is right but the value is not (a negative size,
  a probability above 1, a nan learning rate, an unknown option),

with a message of one form: ``op: what is wrong; how to fix``. ``op`` is what the
user called (``"Linear"``, ``"SGD"``, ``"dropout"``) and ``name`` the argument.

Bools are not numbers here (``Linear(True, 3)`` is a mistake, not ``Linear(1, 3)``);
numpy integer and float scalars are accepted like Python's; nan is never a valid
number, and infinity only where ``finite=False`` says so.

>>> positive_int(np.int64(3), "in_features", "Linear")
3
>>> positive_int(-3, "in_features", "Linear")
Traceback (most recent call last):
    ...
ValueError: Linear: in_features must be a positive int, got -3; pass an int >= 1
>>> real_number(0.1, "lr", "SGD", low=0)
0.1
>>> one_of("sum", ("mean", "sum", "none"), "reduction", "mse_loss")
'sum'
"""
import collections.abc
import math
import numbers

import numpy as np

__all__ = [
    "is_int", "integer", "positive_int", "non_negative_int", "int_pair", "real_number", "probability", "boolean",
    "one_of", "shape_tuple", "unordered", "float_dtype", "dtype_and_device", "show",
]


def show(value, limit=60):
    """``repr`` of ``value`` for an error message: numpy scalars as plain numbers, long text cut.

    >>> show(np.float32(0.5))
    '0.5'
    >>> show("x" * 100)[-5:]
    'xx...'
    """
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _got(value):
    """``got 2.5 (float)``: the value, and its type when the type is the problem."""
    return f"got {show(value)} ({type(value).__name__})"


def is_int(value):
    """True for Python and numpy integers, False for bools (``True`` is not a size, an axis or a count)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _interval(low, high, low_open=False, high_open=False):
    """``[0, 1)``, ``>= 1``, ``> 0``, ... for the messages."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high}"
    return ""


def integer(value, name, op, low=None, high=None, *, what=None, hint=None):
    """``value`` as a Python int in ``[low, high]`` (either bound may be None).

    Parameters
    ----------
    value : object
        Any ``numbers.Integral`` but a bool: ``3``, ``np.int64(3)``.
    name, op : str
        The argument's name and the operation, for the message.
    low, high : int or None
        Inclusive bounds.
    what : str, optional
        The requirement as the message states it (default ``"an int >= low"`` etc.).
    hint : str, optional
        The "how to fix" part of the message (default: the requirement again).

    Raises
    ------
    TypeError
        ``value`` is not an integer (a float, a bool, a string, ...).
    ValueError
        ``value`` is outside the bounds.

    >>> integer(5, "seed", "manual_seed", low=0, high=2**32 - 1)
    5
    >>> integer(2.0, "step_size", "StepLR", low=1)
    Traceback (most recent call last):
        ...
    TypeError: StepLR: step_size must be an int >= 1, got 2.0 (float); pass an int >= 1
    >>> integer(True, "n", "f")
    Traceback (most recent call last):
        ...
    TypeError: f: n must be an int, got True (bool); pass an int (bools are not ints)
    """
    bounds = _interval(low, high)
    what = what or ("an int " + bounds).rstrip()
    if not is_int(value):
        fix = hint or ("pass an int " + bounds).rstrip()
        if isinstance(value, (bool, np.bool_)):
            fix += " (bools are not ints)"
        raise TypeError(f"{op}: {name} must be {what}, {_got(value)}; {fix}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{op}: {name} must be {what}, got {value}; {hint or 'pass an int ' + bounds}")
    return value


def positive_int(value, name, op, *, hint=None):
    """``value`` as an int >= 1 (a size, a count); TypeError for a non-int, ValueError for <= 0.

    >>> positive_int(8, "out_features", "Linear")
    8
    >>> positive_int(2.5, "out_features", "Linear")
    Traceback (most recent call last):
        ...
    TypeError: Linear: out_features must be a positive int, got 2.5 (float); pass an int >= 1
    """
    return integer(value, name, op, low=1, what="a positive int", hint=hint)


def non_negative_int(value, name, op, *, hint=None):
    """``value`` as an int >= 0 (an index, a step count, a seed).

    >>> non_negative_int(0, "step", "Adam.load_state_dict")
    0
    >>> non_negative_int(-1, "step", "Adam.load_state_dict")
    Traceback (most recent call last):
        ...
    ValueError: Adam.load_state_dict: step must be a non-negative int, got -1; pass an int >= 0
    """
    return integer(value, name, op, low=0, what="a non-negative int", hint=hint)


def int_pair(value, name, op, low=0):
    """``value`` (an int, or a pair of ints: (height, width)) as a pair of Python ints, each >= ``low``: the
    kernel sizes, strides, paddings and dilations of the 2-d ops, which PyTorch takes either way.

    >>> int_pair(3, "kernel_size", "conv2d", low=1), int_pair((2, np.int64(1)), "stride", "conv2d", low=1)
    ((3, 3), (2, 1))
    >>> int_pair((1, 0), "stride", "conv2d", low=1)
    Traceback (most recent call last):
        ...
    ValueError: conv2d: stride must be an int >= 1 (or a pair of them), got 0; pass an int >= 1
    >>> int_pair(1.5, "padding", "conv2d")
    Traceback (most recent call last):
        ...
    TypeError: conv2d: padding must be an int or a pair of ints (height, width), got 1.5 (float); pass e.g. padding=1 or padding=(2, 1)
    """
    items = (value, value) if is_int(value) else value
    if not (isinstance(items, (tuple, list)) and len(items) == 2 and all(is_int(v) for v in items)):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints (height, width), {_got(value)}; "
                        f"pass e.g. {name}=1 or {name}=(2, 1)")
    return tuple(integer(v, name, op, low=low, what=f"an int >= {low} (or a pair of them)") for v in items)


def real_number(value, name, op, low=None, high=None, *, low_open=False, high_open=False, finite=True,
                what=None, hint=None):
    """``value`` as a Python float, in the range the bounds give (closed unless ``*_open``).

    Parameters
    ----------
    value : object
        Any ``numbers.Real`` but a bool: ``0.1``, ``1``, ``np.float32(0.1)``.
    name, op : str
        The argument's name and the operation, for the message.
    low, high : float or None
        Bounds; ``low_open``/``high_open`` exclude them.
    finite : bool
        Refuse ``inf`` and ``-inf`` (True, the default); nan is always refused.
    what, hint : str, optional
        The requirement and the "how to fix" part of the message, if the defaults do not say it well.

    Raises
    ------
    TypeError
        ``value`` is not a real number (a bool, a string, a complex, an array).
    ValueError
        ``value`` is nan, infinite (when ``finite``), or outside the bounds.

    >>> real_number(np.float32(0.5), "momentum", "SGD", low=0)
    0.5
    >>> real_number(1.0, "betas[1]", "Adam", low=0, high=1, high_open=True)
    Traceback (most recent call last):
        ...
    ValueError: Adam: betas[1] must be a number in [0, 1), got 1.0; pass a number in [0, 1)
    >>> real_number(float("nan"), "lr", "SGD", low=0)
    Traceback (most recent call last):
        ...
    ValueError: SGD: lr must be a finite number, got nan; pass a number >= 0
    >>> real_number("0.1", "lr", "SGD", low=0)
    Traceback (most recent call last):
        ...
    TypeError: SGD: lr must be a number >= 0, got '0.1' (str); pass a number >= 0
    >>> real_number(float("inf"), "max_norm", "clip_grad_norm_", low=0, low_open=True, finite=False)
    inf
    """
    bounds = _interval(low, high, low_open, high_open)
    what = what or ("a number " + bounds).rstrip()
    fix = hint or ("pass a number " + bounds).rstrip()
    if not _is_real(value):
        raise TypeError(f"{op}: {name} must be {what}, {_got(value)}; {fix}")
    value = float(value)
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{op}: {name} must be a finite number, got {value!r}; {fix}")
    if (low is not None and (value <= low if low_open else value < low)) or \
            (high is not None and (value >= high if high_open else value > high)):
        raise ValueError(f"{op}: {name} must be {what}, got {value!r}; {fix}")
    return value


def probability(value, name, op, *, high_open=False, hint=None):
    """``value`` as a float in ``[0, 1]`` (``[0, 1)`` with ``high_open``), e.g. a dropout rate.

    >>> probability(0.5, "p", "dropout")
    0.5
    >>> probability(1.5, "p", "Dropout")
    Traceback (most recent call last):
        ...
    ValueError: Dropout: p must be a probability in [0, 1], got 1.5; pass a number in [0, 1]
    """
    return real_number(value, name, op, low=0, high=1, high_open=high_open,
                       what=f"a probability in [0, 1{')' if high_open else ']'}", hint=hint)


def boolean(value, name, op, *, hint=None):
    """``value`` as a Python bool: True, False or a numpy bool; nothing else (not 0/1, not None).

    >>> boolean(np.bool_(True), "mode", "Module.train")
    True
    >>> boolean(1, "mode", "Module.train")
    Traceback (most recent call last):
        ...
    TypeError: Module.train: mode must be True or False, got 1 (int); pass True or False
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be True or False, {_got(value)}; {hint or 'pass True or False'}")
    return bool(value)


def one_of(value, choices, name, op, *, hint=None):
    """``value`` if it is one of ``choices`` (compared with ``==``); else an error listing them.

    TypeError when ``value``'s type is none of the choices' types (``reduction=3`` for
    string options), ValueError when the type fits but the value is not a choice.

    >>> one_of("none", ("mean", "sum", "none"), "reduction", "cross_entropy")
    'none'
    >>> one_of("avg", ("mean", "sum", "none"), "reduction", "cross_entropy")
    Traceback (most recent call last):
        ...
    ValueError: cross_entropy: reduction must be one of 'mean', 'sum', 'none', got 'avg'; pass one of those
    >>> one_of(None, ("mean", "sum"), "reduction", "mse_loss")
    Traceback (most recent call last):
        ...
    TypeError: mse_loss: reduction must be one of 'mean', 'sum', got None (NoneType); pass one of those
    """
    listed = ", ".join(show(c) for c in choices)
    fix = hint or "pass one of those"
    types = tuple({type(c) for c in choices})
    if not isinstance(value, types) or isinstance(value, (bool, np.bool_)) and bool not in types:
        raise TypeError(f"{op}: {name} must be one of {listed}, {_got(value)}; {fix}")
    for choice in choices:
        if isinstance(value, type(choice)) and value == choice:
            return choice                         # (np.str_("sum") comes back as the plain "sum")
    raise ValueError(f"{op}: {name} must be one of {listed}, got {show(value)}; {fix}")


def unordered(value):
    """True for a set or a mapping: iterable, but not in the order written, so never taken as sizes or axes
    (``reshape({3, 2})`` would read (2, 3)).

    >>> unordered({3, 2}), unordered({6: 0}), unordered((3, 2))
    (True, True, False)
    """
    # (tuples and lists first: an abstract base class's isinstance costs 0.4 us, as much as a reshape's own checks)
    return type(value) not in (tuple, list) and isinstance(value, (collections.abc.Set, collections.abc.Mapping))


def shape_tuple(value, name, op, *, hint=None):
    """``value`` as a shape: a tuple of non-negative ints; one int ``n`` means ``(n,)``.

    >>> shape_tuple(3, "shape", "zeros")
    (3,)
    >>> shape_tuple([2, np.int64(4)], "shape", "zeros")
    (2, 4)
    >>> shape_tuple((2, -1), "shape", "zeros")
    Traceback (most recent call last):
        ...
    ValueError: zeros: shape must be a tuple of non-negative ints, got (2, -1); no dimension can be negative
    >>> shape_tuple((2.0, 3), "shape", "zeros")
    Traceback (most recent call last):
        ...
    TypeError: zeros: shape must be an int or a tuple of ints, got (2.0, 3) (tuple); pass e.g. (2, 3)
    """
    fix = hint or "pass e.g. (2, 3)"
    if is_int(value):
        dims = (int(value),)
    else:
        try:
            items = tuple(value)
        except TypeError:
            items = None
        if items is None or isinstance(value, (str, bytes)) or unordered(value) or not all(is_int(n) for n in items):
            raise TypeError(f"{op}: {name} must be an int or a tuple of ints, {_got(value)}; {fix}") from None
        dims = tuple(int(n) for n in items)
    if any(n < 0 for n in dims):
        raise ValueError(f"{op}: {name} must be a tuple of non-negative ints, got {dims}; "
                         f"{hint or 'no dimension can be negative'}")
    return dims


def float_dtype(value, name, op, *, allow_none=False, hint=None):
    """``value`` as a numpy floating dtype (``np.float32``, ``"float64"``, ``np.dtype("f4")`` ...).

    ``None`` is refused unless ``allow_none`` (then returned as is): ``np.dtype(None)`` would
    silently be float64.

    >>> float_dtype("float32", "dtype", "Linear")
    dtype('float32')
    >>> float_dtype(np.int64, "dtype", "Linear")
    Traceback (most recent call last):
        ...
    TypeError: Linear: dtype must be a numpy float dtype, got numpy.int64; pass np.float32 or np.float64
    """
    if value is None and allow_none:
        return None
    try:
        resolved = np.dtype(value) if value is not None else None
    except TypeError:
        resolved = None
    if resolved is None or resolved.kind != "f":
        fix = hint or "pass np.float32 or np.float64"
        got = (f"{value.__module__}.{value.__name__}" if isinstance(value, type)
               else f"numpy.{value.name}" if isinstance(value, np.dtype) else show(value))
        raise TypeError(f"{op}: {name} must be a numpy float dtype, got {got}; {fix}")
    return resolved


#: what PyTorch users pass to ``.to(...)`` as a device; labgrad has only the first
DEVICES = ("cpu", "cuda", "mps", "xpu", "meta")


def dtype_and_device(args, op, dtype=None, device=None):
    """The dtype in PyTorch's ``.to(...)`` arguments (None if only a device is given).

    A dtype and a device may come positionally in any order or by keyword, as PyTorch
    takes them. labgrad runs on numpy, on the CPU: ``"cpu"`` is accepted and any other
    device is a ValueError.

    >>> dtype_and_device(("cpu", "float32"), "Tensor.to")
    dtype('float32')
    >>> dtype_and_device(("cuda",), "Tensor.to")
    Traceback (most recent call last):
        ...
    ValueError: Tensor.to: labgrad runs on the CPU only, got device 'cuda'; drop the device or pass 'cpu'
    """
    for arg in args:
        if isinstance(arg, str) and arg.split(":")[0] in DEVICES:
            if device is not None:
                raise TypeError(f"{op}: got the device twice ({device!r} and {arg!r}); pass it once")
            device = arg
        elif dtype is None:
            dtype = arg
        else:
            raise TypeError(f"{op}: expected a dtype and/or a device, got {show(args)}; pass e.g. np.float64 or 'cpu'")
    if device is not None and str(device) != "cpu":
        raise ValueError(f"{op}: labgrad runs on the CPU only, got device {device!r}; drop the device or pass 'cpu'")
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: expected a numpy dtype (np.float32, 'float64') or 'cpu', got {show(dtype)}") from None
