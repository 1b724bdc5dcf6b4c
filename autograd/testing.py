"""Checking code built on autograd: a student's function against a reference, and hypothesis strategies.

:func:`check_backward` compares a function (a student's backward, loss, update
step...) with a reference on random inputs and says in words what is wrong and
where; it needs only numpy, so notebooks can use it without the ``test`` extra.

The hypothesis strategies draw :class:`~autograd.Tensor` inputs, broadcastable
shapes and axis arguments; :func:`check_gradients` property-tests any
function's gradients against finite differences in one line, and
:func:`check_forward_mode` its forward mode (the ``jvp`` rules) against reverse
mode and finite differences. They need ``hypothesis`` (the ``test`` extra),
imported when they are first called.

>>> from autograd.testing import check_forward_mode, check_gradients, tensors
>>> check_gradients(lambda x, y: (x * y).tanh(), tensors((3,)), tensors((3,)), max_examples=5)
>>> check_forward_mode(lambda x, y: (x * y).tanh(), tensors((3,)), tensors((3,)), max_examples=5)
"""
import copy
import os
import traceback

import numpy as np

from autograd.gradcheck import gradcheck
from autograd.tensor import Tensor

# hypothesis is imported inside the strategy functions: a student's environment (the demos and notebooks
# extras) has numpy but not hypothesis, and check_backward must still import.
__all__ = ["check_backward", "CheckFailed", "tensors", "broadcastable_shapes", "valid_axes", "check_gradients",
           "check_forward_mode"]


class _StudentMistake(Exception):
    """What is wrong with the student's function, in words (turned into the AssertionError)."""


class CheckFailed(AssertionError):
    """A student's function gave a wrong result (or none): the message says what is wrong and where.

    In Jupyter only the message shows, not the frames of the check inside labgrad.
    """

    def _render_traceback_(self):            # IPython's hook for what an error cell shows
        return [f"{type(self).__name__}: {line}" if k == 0 else line for k, line in enumerate(str(self).splitlines())]


def check_backward(student_fn, reference_fn, *args_shapes_or_arrays, rng=0, trials=3, rtol=1e-6, atol=1e-8,
                   name=None, hint=None):
    """Check a student's function against a reference on random inputs, and say in words what is wrong.

    Both functions are called on the same inputs, ``trials`` times with fresh
    random values, and their outputs compared element by element (each output
    of a tuple in turn). Made for exercise notebooks: a layer's backward, a
    loss and its derivative, an update step.

    Parameters
    ----------
    student_fn, reference_fn : callable
        Called as ``fn(*inputs)``. They return a numpy array, a number, a
        :class:`~autograd.Tensor` (its data is compared) or a tuple of those.
    *args_shapes_or_arrays
        One per argument. A tuple of ints is a shape: a new float64 array of
        standard-normal values of that shape is drawn for each trial. A numpy
        array is passed as is (a copy to each function, so in-place changes do
        not leak). A ``numpy.random.Generator`` is passed as an identical copy
        to each function, so both draw the same numbers. Anything else (a
        number, a string, a Tensor) is passed unchanged.
    rng : int or numpy.random.Generator
        Seed or generator for the random inputs.
    trials : int
        Number of random inputs tried.
    rtol, atol : float
        Tolerances, as in :func:`numpy.isclose` (``expected`` is the reference).
    name : str, optional
        Name of the exercise in the messages (default: ``student_fn.__name__``).
    hint : str, optional
        The teacher's hint, added to every failure message.

    Returns
    -------
    True
        If every output matches on every trial; ``check passed: <name>`` is printed.

    Raises
    ------
    AssertionError
        If the student's function is wrong: the message says which output,
        which element (expected vs got), a wrong shape, dtype or type (None, a
        list), NaN, an exception raised in the student's code (with its line),
        "not done yet" for ``NotImplementedError``, and hints read from the
        numbers (m times too large or small, sign flipped, transposed, off by a
        constant).
    TypeError, ValueError
        If the check itself is called wrongly (not the student's fault).

    Examples
    --------
    >>> import numpy as np
    >>> def linear_backward(grad_out, x, w):            # y = x @ w
    ...     return grad_out @ w.T, x.T @ grad_out
    >>> def reference(grad_out, x, w):
    ...     return grad_out @ w.T, x.T @ grad_out
    >>> check_backward(linear_backward, reference, (4, 2), (4, 3), (3, 2))
    check passed: linear_backward
    True
    >>> def mean_backward(grad_out, x):                  # d mean(x) / dx
    ...     return np.full_like(x, grad_out) / x.size / x.size     # divided twice
    >>> try:
    ...     check_backward(mean_backward, lambda g, x: np.full_like(x, g) / x.size, (), (5,), name="mean")
    ... except CheckFailed as failure:
    ...     print(failure)                               # doctest: +ELLIPSIS
    check failed: mean: the result is wrong at element [0]: expected ..., got ... (5 of 5 elements wrong)
      hint: your result is 5 times too small: did you divide by the batch size (5) once too often?
      inputs: shapes (), (5,) (trial 1 of 3)
    """
    __tracebackhide__ = True  # pytest: show the message, not this function's frames
    for role, fn in (("student_fn", student_fn), ("reference_fn", reference_fn)):
        if not callable(fn):
            raise TypeError(f"check_backward: {role} must be a function, got {type(fn).__name__}; "
                            f"pass the function itself, without calling it")
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)):
        raise TypeError(f"check_backward: trials must be an int, got {type(trials).__name__}")
    if trials < 1:
        raise ValueError(f"check_backward: trials must be a positive int, got {trials}")
    for spec in args_shapes_or_arrays:
        if isinstance(spec, tuple) and not all(isinstance(n, (int, np.integer)) and n >= 0 for n in spec):
            raise ValueError(f"check_backward: a tuple argument is a shape and must hold non-negative ints, "
                             f"got {spec!r}; pass np.array(...) for values")
    name = name or getattr(student_fn, "__name__", None) or "your function"
    generator = np.random.default_rng(rng)
    for trial in range(trials):
        inputs = [np.asarray(generator.standard_normal(spec)) if isinstance(spec, tuple) else spec
                  for spec in args_shapes_or_arrays]
        expected = _outputs_of(reference_fn(*_private_copies(inputs)))
        try:
            returned = student_fn(*_private_copies(inputs))
        except NotImplementedError:
            message = f"not done yet: {name} still raises NotImplementedError"
            raise CheckFailed(_with_hint(message, hint)) from None
        except Exception as error:          # the student's bug: reported in words, not as a traceback
            said = f": {error}" if str(error) else ""
            message = f"check failed: {name} raised {type(error).__name__}{said}{_student_line(error)}"
            raise CheckFailed(_with_hint(message, hint, inputs, trial, trials)) from None
        try:
            _compare_outputs(returned, expected, inputs, rtol, atol)
        except _StudentMistake as mistake:
            message = f"check failed: {name}: {mistake}"
            raise CheckFailed(_with_hint(message, hint, inputs, trial, trials)) from None
    print(f"check passed: {name}")
    return True


def _private_copies(inputs):
    """Each function gets its own arrays and generator state, so neither can disturb the other."""
    return [value.copy() if isinstance(value, np.ndarray)
            else Tensor(value.data.copy(), requires_grad=value.requires_grad) if isinstance(value, Tensor)
            else copy.deepcopy(value) if isinstance(value, np.random.Generator) else value
            for value in inputs]


def _outputs_of(result):
    """The reference's outputs as arrays, and whether it returned a tuple of them."""
    values = result if isinstance(result, tuple) else (result,)
    arrays = []
    for value in values:
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind not in "biufc":
            raise TypeError(f"check_backward: reference_fn returned {type(value).__name__}, not an array; "
                            f"make it return numpy arrays, numbers or Tensors")
        arrays.append(array)
    return (arrays, isinstance(result, tuple))


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"a single array of shape {value.shape}"
    return "None" if value is None else f"a {type(value).__name__}"


def _compare_outputs(returned, expected, inputs, rtol, atol):
    """Raise _StudentMistake saying what differs between the student's outputs and the reference's."""
    arrays, is_tuple = expected
    if is_tuple:
        if returned is None:
            raise _StudentMistake(f"returned None, expected a tuple of {len(arrays)} arrays: "
                                  f"did you forget `return`?")
        if isinstance(returned, list):
            raise _StudentMistake(f"returned a list, expected a tuple of {len(arrays)} arrays: "
                                  f"return them separated by commas, e.g. `return a, b`")
        if not isinstance(returned, tuple):
            raise _StudentMistake(f"returned {_describe(returned)}, expected a tuple of {len(arrays)} arrays "
                                  f"(return them separated by commas, e.g. `return a, b`)")
        if len(returned) != len(arrays):
            raise _StudentMistake(f"returned {len(returned)} outputs, expected {len(arrays)}")
        for index, (got, want) in enumerate(zip(returned, arrays)):
            _compare_one(got, want, f"output {index} (of {len(arrays)})", inputs, rtol, atol)
    else:
        if isinstance(returned, tuple):
            raise _StudentMistake(f"returned a tuple of {len(returned)}, expected one array of shape "
                                  f"{arrays[0].shape}")
        _compare_one(returned, arrays[0], "the result", inputs, rtol, atol)


def _compare_one(got, want, where, inputs, rtol, atol):
    if got is None:
        raise _StudentMistake(f"{where} is None, expected an array of shape {want.shape}: "
                              f"did you forget `return`?")
    if isinstance(got, list):
        raise _StudentMistake(f"{where} is a list, expected a numpy array of shape {want.shape}: "
                              f"use numpy operations, or wrap it with np.array(...)")
    if isinstance(got, Tensor):
        got = got.data
    if not isinstance(got, (np.ndarray, np.generic, int, float, bool)):
        raise _StudentMistake(f"{where} is {_describe(got)}, expected a numpy array of shape {want.shape}")
    got = np.asarray(got)
    if got.shape != want.shape:
        raise _StudentMistake(f"{where} has shape {got.shape}, expected {want.shape}{_shape_hint(got, want)}")
    if got.dtype.kind != want.dtype.kind or (want.dtype.kind in "fc" and got.dtype != want.dtype):
        raise _StudentMistake(f"{where} has dtype {got.dtype}, expected {want.dtype}: keep the inputs' "
                              f"dtype (no astype, no integer division, no np.float32 literals)")
    if want.dtype.kind in "fc":
        for bad, test in (("NaN", np.isnan), ("inf", np.isinf)):
            wrong = test(got) & ~test(want)
            if wrong.any():
                first = tuple(np.argwhere(wrong)[0])
                bad = "-inf" if bad == "inf" and got[first] < 0 else bad
                raise _StudentMistake(f"{where} has {bad} at {_index(first)} ({wrong.sum()} of {got.size} elements), "
                                      f"expected {want[first].item()!r}: a log of 0, a division by "
                                      f"0 or an overflowing exp? use a stable formula or clip")
    if want.dtype.kind in "biu":
        got, want = got.astype(np.float64), want.astype(np.float64)
    close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return
    first = tuple(np.argwhere(~close)[0])
    if got.ndim == 0:
        message = f"{where} is wrong: expected {want.item()!r}, got {got.item()!r}"
    else:
        message = (f"{where} is wrong at element {_index(first)}: expected {want[first].item()!r}, "
                   f"got {got[first].item()!r} ({(~close).sum()} of {got.size} elements wrong)")
    diagnosis = _value_hint(got, want, inputs, rtol, atol) or _where_hint(~close)
    raise _StudentMistake(message + (f"\n  hint: {diagnosis}" if diagnosis else ""))


def _index(position):
    return "[" + ", ".join(str(int(i)) for i in position) + "]"


def _shape_hint(got, want):
    if got.ndim >= 2 and got.shape == want.shape[:-2] + want.shape[-1:] + want.shape[-2:-1]:
        return ": looks transposed (did you swap the operands of a matrix product, or forget a .T?)"
    if got.ndim == 0 and want.size > 1:
        return ": did you sum (or average) over everything instead of along one axis?"
    if want.ndim == 0:
        return ": expected a single number; did you forget to sum (or average)?"
    if got.ndim < want.ndim and got.shape == tuple(n for n in want.shape if n != 1):
        return ": did you forget keepdims=True (or a reshape)?"
    if got.size == want.size:
        return ": same number of elements, arranged differently (a reshape, or keepdims?)"
    if _broadcastable(got, want):
        broadcast = np.broadcast_shapes(got.shape, want.shape)
        if broadcast == got.shape:
            return (": did you forget to sum over the batch axis? (the gradient of a broadcast input, "
                    "such as a bias, has that input's shape)")
        if broadcast == want.shape:
            return ": did you sum over an axis you should keep (or forget keepdims=True)?"
    return ""


def _broadcastable(got, want):
    try:
        np.broadcast_shapes(got.shape, want.shape)
        return True
    except ValueError:
        return False


def _value_hint(got, want, inputs, rtol, atol):
    """A guess at the mistake from the numbers: transposed, sign, a constant factor or offset, all zeros."""
    loose = dict(rtol=max(rtol, 1e-9) * 10, atol=max(atol, 1e-12) * 10)
    scale = np.abs(want).max()
    if scale <= loose["atol"]:
        return ""
    if np.allclose(got, 0, rtol=0, atol=loose["atol"] + loose["rtol"] * scale):
        return "your result is all zeros: did you return the array before filling it in?"
    if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and np.allclose(np.swapaxes(got, -1, -2), want, **loose):
        return "looks transposed (did you swap the operands of a matrix product, or forget a .T?)"
    if np.allclose(got, -want, **loose):
        return "the sign is flipped"
    nonzero = np.abs(want) > loose["atol"] + loose["rtol"] * scale
    ratio = float(np.median(got[nonzero] / want[nonzero]))
    if ratio != 0 and np.allclose(got, ratio * want, **loose):
        return _ratio_hint(ratio, inputs, few_numbers=nonzero.sum() < 2)
    offset = float(np.median(got - want))
    if got.size >= 2 and np.allclose(got, want + offset, **loose):
        return (f"every element is off by the same constant ({offset:+.4g}): a term missing or added, "
                f"such as a bias or a +1/-1?")
    return ""


def _where_hint(wrong):
    """Say so when all the wrong elements share a row, a column or an index along some axis."""
    positions = np.argwhere(wrong)
    for axis in range(wrong.ndim):
        along = np.unique(positions[:, axis])
        if len(along) == 1 and wrong.shape[axis] > 1:
            if wrong.ndim == 2:
                place = f"{'row' if axis == 0 else 'column'} {along[0]}"
            else:
                place = f"index {along[0]} of axis {axis}"
            return f"all the wrong elements are in {place}; the others are right"
    return ""


def _ratio_hint(ratio, inputs, few_numbers):
    """Say how many times too large or small, and name the batch size when the factor is one."""
    sign = "the sign is flipped and " if ratio < 0 else ""
    factor = abs(ratio) if abs(ratio) >= 1 else 1 / abs(ratio)
    shown = f"{round(factor)}" if abs(factor - round(factor)) < 1e-6 else f"{factor:.4g}"
    batch = {np.shape(value)[0] for value in inputs if np.ndim(value) >= 1}
    sizes = {n for value in inputs if np.ndim(value) >= 1 for n in np.shape(value)}
    matched = next((n for n in sorted(batch) + sorted(sizes) if n > 1 and abs(factor - n) < 1e-6 * n), None)
    if few_numbers and matched is None and round(factor, 6) != 2:
        return ""          # a single number: any wrong value has "a ratio", which tells nothing
    size_name = "the batch size" if matched in batch else "an input's size"
    if abs(ratio) > 1:
        advice = f": did you forget to divide by {size_name} ({matched})?" if matched else ""
        return f"{sign}your result is {shown} times too large{advice}"
    advice = f": did you divide by {size_name} ({matched}) once too often?" if matched else ""
    return f"{sign}your result is {shown} times too small{advice}"


def _student_line(error):
    """' (at <file> line N: <code>)' for the deepest frame in the student's code, not numpy's or labgrad's."""
    labgrad = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    library_dirs = tuple(os.path.join(directory, "") for directory in
                         (os.path.dirname(np.__file__), os.path.join(labgrad, "autograd"), os.path.join(labgrad, "nn"),
                          os.path.join(labgrad, "demos")))
    frames = traceback.extract_tb(error.__traceback__)[1:]     # [0] is check_backward's call
    own = [frame for frame in frames if not os.path.abspath(frame.filename).startswith(library_dirs)]
    if not (own or frames):
        return ""
    frame = (own or frames)[-1]
    in_a_notebook = frame.filename.startswith("<") or "ipykernel" in frame.filename    # a cell, not a file
    where = "your cell" if in_a_notebook else os.path.basename(frame.filename)
    return f"\n  at {where}, line {frame.lineno}: {frame.line}" if frame.line else f"\n  at {where}, line {frame.lineno}"


def _with_hint(message, hint, inputs=None, trial=0, trials=1):
    if inputs is not None:
        shapes = ", ".join(str(np.shape(value)) if isinstance(value, np.ndarray) else type(value).__name__
                           for value in inputs)
        message += f"\n  inputs: shapes {shapes} (trial {trial + 1} of {trials})"
    return message + (f"\n  teacher's hint: {hint}" if hint else "")


def _default_elements(dtype):
    """Finite values in [-10, 10] that ``dtype`` represents exactly."""
    from hypothesis import strategies as st
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
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
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
    from hypothesis.extra import numpy as hnp
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
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
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
    @_property_test(strategies, max_examples)
    def check_gradients_of(inputs):
        gradcheck(fn, *inputs, **gradcheck_kwargs)

    check_gradients_of()


def check_forward_mode(fn, *strategies, max_examples=None, **gradcheck_kwargs):
    """Property-test ``fn``'s forward mode (the ops' ``jvp`` rules) against reverse mode and finite differences.

    On inputs drawn from ``strategies`` (one per argument of ``fn``), in float64,
    for each input that requires grad and a random direction ``u`` of it: the
    forward-mode derivative ``J u`` must match central differences element by
    element, and reverse mode by the dot-product identity ``<v, J u> == <J^T v, u>``
    (``v`` a random vector of the output's shape) to roundoff (1e-10 relative in float64).
    Cheap: two calls of ``fn`` per input, not per element (see :func:`check_gradients`
    for reverse mode element by element). On a mismatch hypothesis shrinks the
    inputs and the :class:`~autograd.GradcheckError` says which input, where, the
    two numbers and which rule (``jvp`` or ``backward``) is the suspect; an op
    without a ``jvp`` rule raises its ``NotImplementedError``, which names it.

    Parameters
    ----------
    fn : callable
        Takes one argument per strategy and returns a Tensor.
    *strategies : hypothesis strategies
        Usually :func:`tensors`.
    max_examples : int, optional
        Number of examples (default: the active hypothesis profile's).
    **gradcheck_kwargs
        ``eps``, ``atol``, ``rtol``, ``seed`` for :func:`autograd.gradcheck`
        (run with ``check_forward_ad=True, check_backward_ad=False``).

    Notes
    -----
    Call it from a plain test function, not from inside another ``@given`` test
    (hypothesis does not nest).

    Examples
    --------
    >>> from autograd import Function
    >>> class Cube(Function):
    ...     name = "cube"
    ...     def forward(self, x): return x ** 3
    ...     def backward(self, g, out, x): return (g * 3 * x * x,)
    ...     def jvp(self, i, dx, out, x): return 3 * x * x * dx
    >>> check_forward_mode(lambda x: Cube.apply(x), tensors(), max_examples=5)
    """
    for flag in ("check_forward_ad", "check_backward_ad"):
        if flag in gradcheck_kwargs:
            raise TypeError(f"check_forward_mode: {flag} is set by check_forward_mode itself; use "
                            "autograd.gradcheck directly to choose which modes to check")

    @_property_test(strategies, max_examples)
    def check_forward_mode_of(inputs):
        gradcheck(fn, *inputs, check_forward_ad=True, check_backward_ad=False, **gradcheck_kwargs)

    check_forward_mode_of()


def _property_test(strategies, max_examples):
    """Decorator: a hypothesis test of ``test(inputs)``, the inputs drawn as a tuple from ``strategies``."""
    from hypothesis import given, settings, strategies as st
    # No deadline: finite differences cost one forward per element, their timing is not the point.
    config = settings(deadline=None) if max_examples is None else settings(deadline=None, max_examples=max_examples)

    def decorate(test):
        return config(given(st.tuples(*strategies))(test))
    return decorate
