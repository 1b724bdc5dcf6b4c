"""``y += a * x`` in one pass, through numpy's own BLAS when it can be reached.

numpy has no fused multiply-add of arrays: ``y -= lr * g`` writes ``lr * g`` to a
temporary and reads it back, two passes over memory. For a (784, 256) float32
weight that pass dominates an SGD step: 75-120 us, against 40 us for BLAS
``saxpy`` (one pass, and threaded), measured on a 2-core Xeon VM. PyTorch's SGD
uses the same fused update (``p.add_(g, alpha=-lr)``).

numpy's wheels ship OpenBLAS (``scipy-openblas``, 64-bit integers); its ``axpy``
is called through ctypes when numpy reports that build and the library is loaded.
Anything else (another BLAS, another platform, small or non-contiguous arrays,
overlapping memory) takes the numpy path, which gives the same values up to
rounding.
"""
import ctypes

import numpy as np

__all__ = ["axpy"]

_MIN_BYTES = 1 << 17                  # below 128 KiB the ctypes call costs more than numpy's two passes


def _load():
    """{dtype: cblas ?axpy} from numpy's bundled ILP64 OpenBLAS, or {} if it cannot be found."""
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        if blas.get("name") != "scipy-openblas" or "USE64BITINT" not in blas.get("openblas configuration", ""):
            return {}
        with open("/proc/self/maps") as maps:        # the library numpy loaded (Linux)
            path = next(line.split()[-1] for line in maps if "libscipy_openblas64_" in line)
        lib = ctypes.CDLL(path)
        found = {}
        for dtype, name, scalar in ((np.float32, "scipy_cblas_saxpy64_", ctypes.c_float),
                                    (np.float64, "scipy_cblas_daxpy64_", ctypes.c_double)):
            f = getattr(lib, name)
            f.argtypes = [ctypes.c_int64, scalar, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64]
            f.restype = None
            found[np.dtype(dtype)] = f
        return found
    except Exception:                                 # (no such file, symbol or config: the numpy path)
        return {}


_AXPY = _load()


def axpy(a, x, y):
    """``y += a * x`` in place (``y`` a writeable array, ``x`` of its shape and dtype).

    >>> y = np.ones(3)
    >>> axpy(-0.5, np.array([2.0, 4.0, 6.0]), y)
    >>> y.tolist()
    [0.0, -1.0, -2.0]
    """
    f = _AXPY.get(y.dtype) if type(y) is np.ndarray and y.nbytes >= _MIN_BYTES else None
    if (f is None or type(x) is not np.ndarray or x.dtype != y.dtype or x.shape != y.shape
            or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)
            or np.may_share_memory(x, y)):
        y += a * x                    # (numpy's rules: casting, broadcasting, read-only errors)
        return
    f(y.size, float(a), x.ctypes.data, 1, y.ctypes.data, 1)
