"""Hypothesis strategies for property-testing code built on autograd.

Importing this module needs ``hypothesis`` (the ``test`` extra); ``import autograd``
does not. The strategies draw :class:`~autograd.Tensor` inputs, broadcastable
shapes and axis arguments, and :func:`check_gradients` property-tests any
function's gradients against finite differences in one line.

>>> from autograd.testing import check_gradients, tensors
>>> check_gradients(lambda x, y: (x * y).tanh(), tensors((3,)), tensors((3,)), max_examples=5)
"""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from autograd.gradcheck import gradcheck
from autograd.tensor import Tensor

__all__ = ["tensors", "broadcastable_shapes", "valid_axes", "check_gradients"]


def _default_elements(dtype):
    """Finite values in [-10, 10] that ``dtype`` represents exactly."""
    if dtype.kind == "f":
        return st.floats(-10, 10, width=8 * dtype.itemsize)
    if dtype.kind == "b":
        return st.booleans()
    return st.integers(-10, 10) if dtype.kind == "i" else st.integers(0, 10)


def tensors(shape=None, dtype=np.float64, elements=None, requires_grad=True,
            min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Strategy of :class:`~autograd.Tensor` with the given shape, dtype and values.

    Parameters
    ----------
    shape : tuple of int, int, or strategy of tuples, optional
        A fixed shape or a strategy of shapes. Default: any shape with
        ``min_dims..max_dims`` axes of sizes ``min_side..max_side`` (0-d included).
    dtype : numpy dtype
        dtype of the data (default float64).
    elements : hypothesis strategy, optional
        Strategy of the values. Default: finite floats in [-10, 10] that
        ``dtype`` represents exactly (float32-representable for float32).
    requires_grad : bool
        Passed to the Tensor; only float dtypes can require grad.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10)
    ... @given(tensors((2, 3), dtype=np.float32))
    ... def test_shape_and_dtype(x):
    ...     assert x.shape == (2, 3) and x.dtype == np.float32 and x.requires_grad
    >>> test_shape_and_dtype()
    """
    dtype = np.dtype(dtype)
    if requires_grad and dtype.kind != "f":
        raise ValueError(f"tensors: dtype {dtype} cannot require grad; pass requires_grad=False")
    if shape is None:
        shape = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)
    elif not isinstance(shape, (int, st.SearchStrategy)):
        shape = tuple(shape)
    elements = _default_elements(dtype) if elements is None else elements
    return hnp.arrays(dtype, shape, elements=elements).map(lambda a: Tensor(a, requires_grad=requires_grad))


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Strategy of ``num_shapes``-tuples of shapes that broadcast together (numpy rules).

    Shapes may differ in length, be 0-d and have size-1 axes that stretch.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10)
    ... @given(broadcastable_shapes(3))
    ... def test_they_broadcast(shapes):
    ...     assert len(shapes) == 3
    ...     np.broadcast_shapes(*shapes)      # raises if they do not broadcast
    >>> test_they_broadcast()
    """
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side,
    ).map(lambda b: b.input_shapes)


def valid_axes(ndim, allow_none=True, allow_tuple=True):
    """Strategy of ``axis`` arguments valid for an ``ndim``-d array: None, ints and tuples.

    Ints lie in ``[-ndim, ndim)``; tuples hold distinct axes (possibly negative,
    possibly empty).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10)
    ... @given(valid_axes(2))
    ... def test_sum_accepts_it(axis):
    ...     np.zeros((2, 3)).sum(axis=axis)
    >>> test_sum_accepts_it()
    """
    options = [st.integers(-ndim, ndim - 1)] if ndim > 0 else []
    if allow_none:
        options.append(st.none())
    if allow_tuple:
        options.append(hnp.valid_tuple_axes(ndim))
    if not options:
        raise ValueError(f"valid_axes: no axis argument is valid for ndim={ndim} without None or tuples")
    return st.one_of(options)


def check_gradients(fn, *strategies, max_examples=None, **gradcheck_kwargs):
    """Property-test ``fn``'s gradients against finite differences on drawn inputs.

    Runs :func:`autograd.gradcheck` (in float64) on inputs drawn from
    ``strategies``, one per argument of ``fn``. On a mismatch hypothesis
    shrinks the inputs and the :class:`~autograd.GradcheckError` is raised with
    the falsifying example attached.

    Parameters
    ----------
    fn : callable
        Takes one argument per strategy and returns a Tensor.
    *strategies : hypothesis strategies
        Usually :func:`tensors`.
    max_examples : int, optional
        Number of examples (default: the active hypothesis profile's).
    **gradcheck_kwargs
        ``eps``, ``atol``, ``rtol``, ``seed`` for :func:`autograd.gradcheck`.

    Notes
    -----
    Call it from a plain test function, not from inside another ``@given`` test
    (hypothesis does not nest).

    Examples
    --------
    >>> check_gradients(lambda x: x.exp().sum(axis=-1), tensors(min_dims=1, max_side=3), max_examples=5)
    """
    # No deadline: finite differences cost one forward per element, their timing is not the point.
    config = settings(deadline=None) if max_examples is None else settings(deadline=None, max_examples=max_examples)

    @config
    @given(st.tuples(*strategies))
    def check_gradients_of(inputs):
        gradcheck(fn, *inputs, **gradcheck_kwargs)

    check_gradients_of()
