"""``y += a * x`` (and ``y = a * x + b * y``) in one pass, through numpy's own BLAS when it can be reached.

numpy has no fused multiply-add of arrays: ``y -= lr * g`` writes ``lr * g`` to a
temporary and reads it back, two passes over memory. For a (784, 256) float32
weight that pass dominates an SGD step: 75-120 us, against 40 us for BLAS
``saxpy`` (one pass, and threaded), measured on a 2-core Xeon VM. PyTorch's SGD
uses the same fused update (``p.add_(g, alpha=-lr)``); the optimisers of
:mod:`nn.optim` choose between the two with PyTorch's ``fused=`` flag.

numpy's wheels ship OpenBLAS (``scipy-openblas``, 64-bit integers); its ``axpy``
is called through ctypes when numpy reports that build and the library is loaded.
Anything else (another BLAS, another platform, non-contiguous or overlapping
arrays) takes the numpy path, which gives the same values up to rounding.

>>> import numpy as np
>>> from nn import blas
>>> y = np.ones(3)
>>> blas.axpy(-0.5, np.array([2.0, 4.0, 6.0]), y)
>>> y.tolist()
[0.0, -1.0, -2.0]
>>> blas.available() in (True, False)        # True with numpy's own wheels on Linux
True
"""
import ctypes

import numpy as np

__all__ = ["axpy", "axpby", "available", "describe", "ROUTINES", "SCALED_ROUTINES", "MIN_BYTES"]

MIN_BYTES = 1 << 17
"""With ``fused=None``, arrays smaller than this (128 KiB) take numpy's path: the ctypes call costs more."""


def _load():
    """``({dtype: cblas ?axpy}, {dtype: cblas ?axpby}, why)`` from numpy's bundled ILP64 OpenBLAS (``axpby`` is
    OpenBLAS's own extension); ``({}, {}, why not)`` if unreachable."""
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    except (AttributeError, KeyError, TypeError):
        return {}, {}, "numpy does not report which BLAS it was built with"
    if blas.get("name") != "scipy-openblas" or "USE64BITINT" not in blas.get("openblas configuration", ""):
        return {}, {}, (f"numpy's BLAS is {blas.get('name')!r}, not the 64-bit-integer scipy-openblas of "
                    "numpy's own wheels")
    try:
        with open("/proc/self/maps") as maps:        # the library numpy loaded (Linux)
            path = next(line.split()[-1] for line in maps if "libscipy_openblas64_" in line)
    except (OSError, StopIteration):
        return {}, {}, "the OpenBLAS library numpy loaded cannot be located (only Linux's /proc/self/maps is read)"
    try:
        lib = ctypes.CDLL(path)
        found, scaled = {}, {}
        for dtype, prefix, scalar in ((np.float32, "s", ctypes.c_float), (np.float64, "d", ctypes.c_double)):
            f = getattr(lib, f"scipy_cblas_{prefix}axpy64_")
            f.argtypes = [ctypes.c_int64, scalar, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64]
            f.restype = None
            found[np.dtype(dtype)] = f
            f = getattr(lib, f"scipy_cblas_{prefix}axpby64_", None)
            if f is not None:
                f.argtypes = [ctypes.c_int64, scalar, ctypes.c_void_p, ctypes.c_int64, scalar, ctypes.c_void_p,
                              ctypes.c_int64]
                f.restype = None
                scaled[np.dtype(dtype)] = f
    except (OSError, AttributeError) as e:             # (no such library or symbol: the numpy path)
        return {}, {}, f"{path} cannot be used ({e})"
    return found, scaled, f"saxpy/daxpy of numpy's own OpenBLAS ({path})"


ROUTINES, SCALED_ROUTINES, _WHERE = _load()
"""The BLAS ``axpy`` routines found, by numpy dtype (float32, float64); empty when BLAS cannot be reached.
``SCALED_ROUTINES``: OpenBLAS's ``axpby``, used only for a dtype that ``ROUTINES`` has too."""


def available(dtype=None):
    """Whether BLAS ``axpy`` can be reached (for ``dtype``, if given).

    >>> available(np.int64)                      # BLAS axpy is for float32 and float64 only
    False
    """
    if dtype is None:
        return bool(ROUTINES)
    try:
        return np.dtype(dtype) in ROUTINES
    except TypeError:
        return False


def describe():
    """One line: which routines :func:`axpy` calls here, or why it takes numpy's two passes.

    >>> describe().startswith(("saxpy/daxpy", "not reachable"))
    True
    """
    if ROUTINES:
        return _WHERE
    return f"not reachable: {_WHERE}; axpy takes numpy's two passes"


def axpy(a, x, y, fused=None):
    """``y += a * x`` in place (``y`` a writeable array, ``x`` of its shape and dtype).

    Parameters
    ----------
    a : float
    x, y : numpy.ndarray
    fused : None, bool
        PyTorch's flag, as the optimisers take it. ``None``: BLAS for arrays of
        :data:`MIN_BYTES` or more when it is reachable, else numpy's two passes.
        ``False``: numpy's two passes (``y += a * x``). ``True``: BLAS for every
        array it can take, whatever its size; ValueError if BLAS has no ``axpy`` for
        ``y``'s dtype here. Arrays BLAS cannot take (non-contiguous, another dtype
        or shape, overlapping ``y``) always take numpy's path, with numpy's
        semantics (casting, broadcasting, the read-only error).

    >>> y = np.zeros(2, np.float32)
    >>> axpy(2.0, np.ones(2, np.float32), y, fused=False)
    >>> y.tolist()
    [2.0, 2.0]
    """
    f = _routine(ROUTINES, x, y, fused, "axpy")
    if f is None:
        y += a * x                    # (numpy's rules: casting, broadcasting, read-only errors)
        return
    f(y.size, float(a), x.ctypes.data, 1, y.ctypes.data, 1)


def axpby(a, x, b, y, fused=None):
    """``y = a * x + b * y`` in place, as :func:`axpy` does ``y += a * x`` (the same ``fused`` and the same
    arrays): one pass through OpenBLAS's ``axpby`` where it is reached, else numpy's (``y *= b; y += a * x``).
    An optimiser's running averages (Adam's moments, SGD's momentum) in one pass instead of two.

    >>> y = np.ones(2, np.float32)
    >>> axpby(2.0, np.ones(2, np.float32), 0.5, y, fused=False)
    >>> y.tolist()
    [2.5, 2.5]
    """
    # (where axpy would run; not with a zero factor, where OpenBLAS skips that term, nan and inf in it included)
    f = _routine(ROUTINES, x, y, fused, "axpby") and a and b and SCALED_ROUTINES.get(y.dtype)
    if not f:
        ax = a * x                    # (first: x may overlap y)
        _check_addable(ax, y, "axpby")    # (refused before y *= b changes y)
        y *= b
        y += ax                       # (numpy's rules, as in axpy)
        return
    f(y.size, float(a), x.ctypes.data, 1, float(b), y.ctypes.data, 1)


def _check_addable(ax, y, name):
    """Refuse, as numpy's ``y += ax`` would but before anything is written, an ``ax`` that does not broadcast to
    ``y``'s shape or cast to its dtype."""
    if not np.can_cast(np.result_type(ax, y), y.dtype, "same_kind"):
        raise TypeError(f"{name}: a * x of dtype {np.result_type(ax)} cannot be added into y of dtype {y.dtype}; "
                        "pass x of a real dtype")
    try:
        fits = np.broadcast_shapes(np.shape(ax), y.shape) == y.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: x of shape {np.shape(ax)} does not broadcast to y's shape {y.shape}; "
                         "pass x of y's shape")


def _routine(table, x, y, fused, name):
    """The BLAS routine of ``table`` that :func:`axpy` may call on ``x`` and ``y``, or None for numpy's path
    (``fused``: see :func:`axpy`)."""
    if fused is None:                 # (the default first: optimisers call this for every parameter)
        f = table.get(y.dtype) if type(y) is np.ndarray and y.nbytes >= MIN_BYTES else None
    elif fused:
        f = table.get(y.dtype) if type(y) is np.ndarray else None
        if f is None and type(y) is np.ndarray:
            raise ValueError(f"{name}: fused=True needs BLAS {name} for dtype {y.dtype}, and there is none: "
                             f"{describe()}; pass fused=None to use it only where it is reachable")
    else:
        return None
    if (f is None or type(x) is not np.ndarray or x.dtype != y.dtype or x.shape != y.shape
            or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)
            or np.may_share_memory(x, y)):
        return None
    return f
