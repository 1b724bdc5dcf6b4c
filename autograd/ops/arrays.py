"""Array helpers shared by the ops' ``forward`` and ``backward`` (numpy arrays in, numpy arrays out).

Kept in one public module so the ops of ``autograd/ops`` (and the fused losses) reuse
one stable formulation instead of importing each other's private helpers.
"""
import math
from functools import lru_cache

import numpy as np

from autograd.tensor import Tensor

__all__ = ["values", "applied", "all_finite", "row_starts", "ones_vector", "shift_by_max", "subtract_max",
           "softmax_array", "erf_array", "erfc_array"]


def values(x):
    """The array behind ``x``: backwards run on arrays, and on Tensors under ``create_graph``.

    >>> from autograd import Tensor
    >>> values(Tensor([1.0])), values(np.array([2.0]))
    (array([1.]), array([2.]))
    """
    return x.data if isinstance(x, Tensor) else x


def applied(func, *args, **options):
    """``func`` of the arrays of ``args`` (Tensors, or a replay's arrays), as an array (numpy gives 0-d operands
    a scalar): how a value without a gradient (a comparison, ``argmax``, ``any``) is made, through
    :func:`autograd.modes.replayed`, so that a step recorded by :func:`autograd.compile` makes each call's own.

    >>> from autograd import Tensor
    >>> applied(np.greater, Tensor([1.0, -1.0]), np.array(0.0))
    array([ True, False])
    """
    return np.asarray(func(*[values(a) for a in args], **options))


@lru_cache(maxsize=64)                                # batch shapes are few
def row_starts(n, c):
    """``[0, c, 2c, ...]`` (n entries, read-only): where each row starts in a flattened (n, c) array.

    >>> row_starts(3, 4)
    array([0, 4, 8])
    """
    starts = np.arange(n) * c
    starts.flags.writeable = False
    return starts


def all_finite(g):
    """True if ``g`` is a numpy array or scalar with no nan/inf, so multiplying it by a 0/1 mask is safe
    (``inf * 0`` is nan: a gradient routed by a mask takes ``np.where`` where this is False).

    One dot product tells: ``g . g`` is finite only if every element is (an overflow just
    takes the slow path), and BLAS computes it about twice as fast as numpy sums ``g``.

    >>> all_finite(np.array([1.0, -2.0])), all_finite(np.array([1.0, np.inf]))
    (True, False)
    """
    if type(g) is not np.ndarray:         # (a numpy scalar: 0-d math gives them)
        return isinstance(g, np.floating) and math.isfinite(g)
    flat = g.ravel()
    return math.isfinite(flat.dot(flat))              # (the method: np.dot adds a Python layer)


@lru_cache(maxsize=64)                                # batch sizes and dtypes are few
def ones_vector(n, dtype):
    """``n`` ones of ``dtype`` (read-only, cached): ``ones_vector(n, dtype) @ g`` adds up the rows of ``g``
    (n, k) through BLAS, and ``g @ ones_vector(k, dtype)`` gives each row's sum, about twice as fast as
    ``g.sum(axis=...)`` on a (64, 256) or (64, 10) batch.

    >>> ones_vector(3, np.float32) @ np.arange(6.0, dtype=np.float32).reshape(3, 2)
    array([6., 9.], dtype=float32)
    """
    ones = np.ones(n, dtype)
    ones.flags.writeable = False
    return ones


def shift_by_max(x, axis):
    """``x - max(x)`` along ``axis``, and the max; well defined where the max is infinite.

    Where the max is +inf, the +inf entries become 0 and the others -inf (all the
    mass on the infinite entries); where every entry is -inf they all become 0
    (the uniform limit). An axis of length 0 gives an empty result and a max of -inf
    (the max of an empty set, as for ``logsumexp``).

    >>> shift_by_max(np.array([1.0, 3.0]), 0)
    (array([-2.,  0.]), array([3.]))
    """
    if x.ndim == 2 and axis in (1, -1) and x.size and x.flags.c_contiguous:
        # the rows' maxima picked at their argmax: numpy's argmax runs a vectorised loop per row, its max a
        # generic reduction, 5x slower on short rows ((64, 10) float32: 0.7 vs 3.8 us); the same values
        flat = x.ravel()[x.argmax(axis=1) + row_starts(*x.shape)]
        m = flat[:, None]
    elif x.size == 0:                                    # (numpy's max refuses an empty axis)
        kept = tuple(1 if i in _axis_tuple(axis, x.ndim) else n for i, n in enumerate(x.shape))
        return x.copy(), np.full(kept, -np.inf, x.dtype)
    else:
        m = np.maximum.reduce(x, axis=axis, keepdims=True)   # x.max() without its Python wrapper
        flat = m.ravel()
    if math.isfinite(flat.dot(flat)):                    # every max finite (an overflow: safe path); a sum of
        return x - m, m                                  # squares, as +inf + -inf would warn and give nan
    return subtract_max(x, m), m


def subtract_max(x, m):
    """``x - m`` for maxima ``m`` of ``x`` (broadcast against it) of which some may be infinite or nan: what
    :func:`shift_by_max` returns then (0 where an entry is its +inf max or every entry is -inf).

    >>> subtract_max(np.array([[1.0, np.inf], [-np.inf, -np.inf]]), np.array([[np.inf], [-np.inf]]))
    array([[-inf,   0.],
           [  0.,   0.]])
    """
    with np.errstate(invalid="ignore"):
        z = x - m
    return np.where(np.isnan(z) & ~np.isnan(x), 0, z)


def _axis_tuple(axis, ndim):
    return tuple(a % ndim for a in axis) if isinstance(axis, tuple) else (axis % ndim,)


def softmax_array(x, axis):
    """``exp(x) / sum(exp(x))`` along ``axis``, computed from ``x - max(x)`` (no overflow).

    >>> softmax_array(np.array([0.0, 0.0]), 0)
    array([0.5, 0.5])
    """
    z, _ = shift_by_max(x, axis)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


# --- the error function: W. J. Cody's rational Chebyshev approximations -------------------
# (numpy has no erf; math.erf elementwise is a Python call per element.) Cody, "Rational Chebyshev
# approximations for the error function", Math. Comp. 23 (1969), as in his CALERF (netlib specfun):
# relative error below 1e-16 on each interval, so gradchecks of gelu in float64 see only rounding.

_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
           2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_ERFC_ZERO_FROM = 26.543          # erfc(y) underflows to 0 in float64 beyond this (Cody's xbig)


# (Written in place on a few arrays: at these sizes a fresh temporary per step costs more, in page
# faults, than the arithmetic; the rational function of the middle interval is evaluated on every
# element, which is cheaper than gathering and scattering the elements it is for.)

def _rational_terms(z, p, q, out=None):
    """``(P(z), Q(z))`` by Horner's rule in place, Cody's form: ``p`` the numerator's coefficients with its
    leading one last, ``q`` the monic denominator's (one fewer); the numerator written into ``out`` (or a new
    array), the denominator into a copy of ``z``."""
    num = np.multiply(z, p[-1], out=out)
    den = z.copy()
    for i in range(len(q) - 1):
        num += p[i]
        num *= z
        den += q[i]
        den *= z
    num += p[len(q) - 1]
    den += q[-1]
    return num, den


def _erf_small(x):
    """erf(x) for |x| <= 0.5: x P(x^2) / Q(x^2)."""
    num, den = _rational_terms(x * x, _ERF_A, _ERF_B)
    num *= x
    num /= den
    return num


def _erfc_of_abs(y, scratch):
    """erfc(y) for y = |x| (accurate where y > 0.5), written into ``scratch`` (an array of y's shape and
    dtype, returned), using ``y`` as scratch too: exp(-y^2) R(y), R rational in y (y <= 4) or in 1/y^2
    (y > 4).

    exp(-y^2) is taken as exp(-t^2) exp(-(y - t)(y + t)) with t = y rounded down to 1/16 (t^2 is
    exact), so the rounding of y^2 (large for large y) does not reach the result.
    """
    zero = y >= _ERFC_ZERO_FROM                   # (nan: False, and stays nan)
    far = y > 4.0
    with np.errstate(invalid="ignore", over="ignore"):     # (huge y: inf / inf, replaced below)
        num, den = _rational_terms(y, _ERFC_C, _ERFC_D, out=scratch)
        num /= den
        if far.any():
            yf = np.minimum(y[far], _ERFC_ZERO_FROM)     # (inf would give inf - inf below; the result is 0)
            z = 1.0 / (yf * yf)
            pn, pd = _ERFC_P[5] * z, z
            for i in range(4):
                pn = (pn + _ERFC_P[i]) * z
                pd = (pd + _ERFC_Q[i]) * z
            num[far] = (1 / math.sqrt(math.pi) - z * (pn + _ERFC_P[4]) / (pd + _ERFC_Q[4])) / yf
        t = np.multiply(y, 16, out=den)           # (den is free: t, then t^2, in its place)
        np.trunc(t, out=t)
        t /= 16
        rest = np.subtract(t, y, out=np.empty_like(y))     # exact (t <= y < t + 1/16, t >= 1/2 where it matters)
        y += t
        rest *= y                                 # -(y - t)(y + t): small, its exp accurate
        t *= t
        np.negative(t, out=t)
        num *= np.exp(t, out=t)
        num *= np.exp(rest, out=rest)
    num[zero] = 0.0
    return num


def _parts(x):
    """x, x as float64, |x| (a new array), and a float64 scratch array of x's shape."""
    x = np.asarray(x)
    x64 = x.astype(np.float64, copy=False)
    y = np.abs(x64, out=np.empty(x64.shape))      # (arrays even when x is 0-d: they are written in place)
    return x, x64, y, np.empty(x64.shape)


def _as_float_of(result, x):
    """``result`` (float64) in x's float dtype (an integer x: float64, as numpy's ufuncs make it)."""
    return result.astype(np.result_type(x.dtype, np.float16), copy=False)


def erf_array(x):
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt`` elementwise, in x's float dtype.

    Computed in float64 (Cody's approximations, relative error < 1e-15), then cast back.

    >>> erf_array(np.array([0.0, 0.5, -1.0, np.inf]))
    array([ 0.        ,  0.52049988, -0.84270079,  1.        ])
    """
    x, x64, y, scratch = _parts(x)
    small = y <= 0.5
    out = _erfc_of_abs(y, scratch)
    np.subtract(1.0, out, out=out)                # 1 - erfc: no cancellation for |x| > 0.5, where erfc < 0.48
    np.copysign(out, x64, out=out)
    out[small] = _erf_small(x64[small])
    return _as_float_of(out, x)


def erfc_array(x):
    """The complementary error function ``1 - erf(x)`` elementwise, accurate where it is tiny (large x).

    >>> erfc_array(np.array([0.0, 10.0, -10.0]))
    array([1.00000000e+00, 2.08848758e-45, 2.00000000e+00])
    """
    x, x64, y, scratch = _parts(x)
    small = y <= 0.5
    out = _erfc_of_abs(y, scratch)
    np.subtract(2.0, out, out=out, where=x64 < 0)   # erfc(-y) = 2 - erfc(y)
    out[small] = 1.0 - _erf_small(x64[small])
    return _as_float_of(out, x)
