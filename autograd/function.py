"""The op protocol: one small class per primitive, forward on numpy, backward on gradients.

A primitive subclasses :class:`Function` and writes two methods:

``forward(self, *arrays, **params)``
    Computes the output from raw numpy arrays. Non-array parameters (an axis, a
    slope, an index) are stored on ``self``: they label the op in graph pictures
    and parametrise its backward.

``backward(self, g, out, *inputs)``
    Returns one gradient (or ``None``) per input: the vector-Jacobian product of
    the upstream gradient ``g`` with the op's local derivative, written in full
    view (``g * out`` for ``exp``). ``out`` is the op's output and ``inputs`` are
    its inputs. The engine calls it with numpy arrays on the fast path, and with
    :class:`~autograd.Tensor` objects under ``create_graph=True``, so a backward
    written with operators, ``numpy`` functions that tensors dispatch
    (``np.exp``, ``np.where``, ...) and array methods (``.sum``, ``.reshape``)
    is differentiable again for free.

A backward may return a gradient in the broadcast shape of the output: the
engine reduces it to the input's shape in exactly one place
(:func:`reduce_broadcast`) and checks the shape afterwards.

Example
-------
>>> import numpy as np
>>> from autograd import Tensor
>>> from autograd.function import Function
>>> class Cube(Function):
...     name = "cube"
...     def forward(self, x):
...         return x ** 3
...     def backward(self, g, out, x):
...         return (g * 3 * x * x,)        # d(x^3)/dx = 3 x^2
>>> x = Tensor(2.0, requires_grad=True)
>>> y = Cube.apply(x)
>>> y.backward()
>>> x.grad
array(12.)
"""
from itertools import count
from operator import attrgetter

import numpy as np

__all__ = [
    "Function", "reduce_broadcast", "no_grad", "inference_mode", "enable_grad", "is_grad_enabled",
    "detect_anomaly", "AnomalyError",
]


_op_counter = count()              # numbers recorded ops in the order they ran
_requires_grad = attrgetter("requires_grad")


# --- global modes -------------------------------------------------------------------

class _Modes:
    """Process-wide switches read on every op (kept in one object for speed and clarity)."""
    grad_enabled = True
    anomaly = False


_modes = _Modes()


def is_grad_enabled():
    """Return True when new ops record the graph."""
    return _modes.grad_enabled


class _GradMode:
    """Set grad recording to ``self.enabled`` inside a ``with`` block or a decorated function.

    As a decorator it works with or without parentheses, and on generator functions
    the mode holds whenever the generator runs (not only while it is created).
    """
    enabled = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self if func is None else self(func)      # ``@no_grad`` without parentheses

    def __enter__(self):
        self._previous = _modes.grad_enabled
        _modes.grad_enabled = self.enabled
        return self

    def __exit__(self, *exc):
        _modes.grad_enabled = self._previous
        return False

    def __call__(self, func):
        import copy
        import functools
        import inspect

        def mode():                  # a fresh copy per entry: re-entrant, and keeps inference_mode(False)
            return copy.copy(self)
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def generator(*args, **kwargs):
                gen = func(*args, **kwargs)
                try:
                    with mode():                     # each resumption runs in the mode
                        sent = next(gen)
                    while True:
                        try:
                            received = yield sent
                        except GeneratorExit:
                            with mode():
                                gen.close()
                            raise
                        except BaseException as e:
                            with mode():
                                sent = gen.throw(e)
                        else:
                            with mode():
                                sent = gen.send(received)
                except StopIteration as stop:
                    return stop.value
            return generator

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with mode():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Context manager and decorator: ops inside record no graph.

    >>> from autograd import Tensor, no_grad
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    enabled = False


class inference_mode(no_grad):
    """PyTorch's name for :class:`no_grad` here (labgrad has no separate inference tensors).

    >>> from autograd import Tensor, inference_mode
    >>> @inference_mode
    ... def predict(x):
    ...     return x * 2
    >>> predict(Tensor([1.0], requires_grad=True)).requires_grad
    False

    ``inference_mode(False)`` leaves the grad mode as it is, as in PyTorch.
    """

    def __new__(cls, mode=True):
        if mode is True or mode is False:
            self = super().__new__(cls)
            if not mode:
                self.enabled = None          # (read by __enter__: keep the current mode)
            return self
        return super().__new__(cls, mode)    # used as a decorator without parentheses

    def __enter__(self):
        self._previous = _modes.grad_enabled
        if self.enabled is not None:
            _modes.grad_enabled = self.enabled
        return self


class enable_grad(_GradMode):
    """Context manager and decorator: turn graph recording back on inside ``no_grad``."""
    enabled = True


class AnomalyError(FloatingPointError):
    """Raised under :func:`detect_anomaly` by the first op that produces nan or inf."""


class detect_anomaly:
    """Context manager: the first op whose forward or backward *creates* a nan/inf raises.

    An op creates a non-finite value when its inputs (or upstream gradient) are
    all finite and its output (or an input gradient) is not; the error names the op.
    nan or inf that comes in with the data (a leaf tensor: data, a parameter, a
    constant) raises at the first op that reads it, naming the op, the input and
    how many values are nan and inf. Inside the block numpy's warnings from the
    ops are silenced: the AnomalyError reports the event instead.

    >>> import numpy as np
    >>> from autograd import Tensor, detect_anomaly
    >>> with detect_anomaly():
    ...     Tensor([0.0, 1.0]).log()
    Traceback (most recent call last):
    ...
    autograd.function.AnomalyError: forward of 'log' produced non-finite values (-inf) from finite inputs of shapes [(2,)]
    """

    def __enter__(self):
        self._previous = _modes.anomaly
        _modes.anomaly = True
        return self

    def __exit__(self, *exc):
        _modes.anomaly = self._previous
        return False


def _first_bad(array):
    bad = np.asarray(array)[~np.isfinite(array)]
    return bad.flat[0] if bad.size else None


def _check_anomaly(stage, fn, produced, sources):
    """Raise AnomalyError if ``produced`` has nan/inf while every source array is finite."""
    produced = [np.asarray(p) for p in produced if p is not None]
    if all(np.isfinite(p).all() for p in produced):
        return
    if all(np.isfinite(s).all() for s in sources if np.issubdtype(np.asarray(s).dtype, np.number)):
        bad = next(_first_bad(p) for p in produced if not np.isfinite(p).all())
        shapes = [np.shape(s) for s in sources]
        raise AnomalyError(
            f"{stage} of {fn.name!r} produced non-finite values ({bad}) from finite inputs of shapes {shapes}")


def _check_tensors(cls, inputs):
    if not all(isinstance(t, Tensor) for t in inputs):
        raise TypeError(f"{cls.name}: {cls.__name__}.apply takes Tensors, got "
                        f"{[type(t).__name__ for t in inputs]} (wrap arrays with Tensor(...))")


def _check_leaves(fn, inputs):
    """Raise AnomalyError if a leaf input (data, a parameter, a constant) holds nan or inf.

    No op made those values, so the creation check cannot name one: the first op that
    reads them is named instead, with the tensor and what it holds.
    """
    for position, t in enumerate(inputs):
        data = t.data
        if t.op is not None or data.dtype.kind not in "fc" or np.isfinite(data).all():
            continue
        n_nan = int(np.isnan(data).sum())
        n_inf = int(np.isinf(data).sum())
        label = f"{t.name!r}, " if t.name is not None else ""
        raise AnomalyError(
            f"forward of {fn.name!r}: input {position} ({label}a leaf tensor of shape {data.shape}) holds "
            f"{n_nan} nan and {n_inf} inf among its {data.size} values, which no op made: they came in "
            "with the data; clean it before making the Tensor (np.isfinite, np.nan_to_num), or run "
            "this op outside detect_anomaly if the values are meant (an -inf mask)")


def _named_error(fn, inputs, e):
    """The ValueError/TypeError ``e`` of a forward, naming the op and the input shapes."""
    if str(e).startswith(f"{fn.name}:"):         # our ops' errors already name the op
        return e
    _check_tensors(type(fn), inputs)
    # numpy's (e.g. broadcasting) do not say which op failed
    shapes = ", ".join(str(t.shape) for t in inputs)
    kind = TypeError if isinstance(e, TypeError) else ValueError
    return kind(f"{fn.name}: {str(e).strip()} (inputs of shapes {shapes})")


def _watched_forward(fn, inputs, params):
    """``fn.forward`` under :func:`detect_anomaly`: non-finite leaves and created nan/inf raise.

    numpy's warnings (divide by zero, invalid value, overflow) are silenced here: the check
    after the forward reports the same event as an AnomalyError that names the op.
    """
    _check_tensors(type(fn), inputs)
    _check_leaves(fn, inputs)
    arrays = [t.data for t in inputs]
    with np.errstate(all="ignore"):
        try:
            data = fn.forward(*arrays, **params)
        except (ValueError, TypeError) as e:
            raise _named_error(fn, inputs, e) from e
    data = np.asarray(data)
    _check_anomaly("forward", fn, [data], arrays)
    return data


# --- the one place broadcasting is undone --------------------------------------------

def reduce_broadcast(grad, shape):
    """Sum ``grad`` over the axes numpy broadcasting added or stretched to reach its shape.

    Works on numpy arrays and, for higher-order gradients, on Tensors.

    >>> reduce_broadcast(np.ones((4, 2, 3)), (2, 1)).tolist()
    [[12.0], [12.0]]
    """
    gshape = grad.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise ValueError(f"reduce_broadcast: gradient of shape {gshape} cannot be reduced to shape {shape}")
    if lead > 0 and shape and gshape[lead:] == shape:     # only new leading axes (a bias): one sum
        return grad.sum(axis=tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if lead < 0 or any(n != 1 and gshape[lead + i] != n for i, n in enumerate(shape)):
        raise ValueError(f"reduce_broadcast: gradient of shape {gshape} cannot be reduced to shape {shape}")
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


# --- the op base class ---------------------------------------------------------------

class Function:
    """Base class of every primitive op; see the module docstring for the protocol.

    Attributes
    ----------
    name : str
        Display name of the op (``"+"``, ``"matmul"``, ``"relu"``), used in errors and graph pictures.
    parents : tuple of Tensor
        The op's inputs, in argument order; the graph is walked through them.
    released : bool
        True once a backward ran without ``retain_graph``: a second backward raises.
    seq : int
        When the op ran, as a running number: an op's inputs always have smaller ones.
    trusted : bool
        True for labgrad's own ops, whose backward returns new arrays: a leaf adopts them as
        its ``.grad`` without a copy. A user op's gradients are copied first.
    """
    name = "function"
    released = False
    trusted = False          # True for labgrad's own ops (set below): their gradients are fresh arrays

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # labgrad's ops return new arrays (or pass the upstream gradient on, which the engine
        # tracks), so a leaf may adopt them without a copy; a user op may return an array it
        # keeps or was given (an input, its output, a saved array), which is copied instead
        cls.trusted = cls.__module__.split(".")[0] in ("autograd", "nn")

    @classmethod
    def apply(cls, *inputs, **params):
        """Run ``forward`` on the inputs' arrays and wrap the result, recording the graph if needed."""
        fn = cls()
        if _modes.anomaly:                   # (the one mode test on the fast path)
            data = _watched_forward(fn, inputs, params)
        else:
            n = len(inputs)
            try:
                # the common arities unpacked by hand: a star-call costs more than the op's own Python
                if n == 1:
                    data = fn.forward(inputs[0].data, **params)
                elif n == 2:
                    data = fn.forward(inputs[0].data, inputs[1].data, **params)
                elif n == 3:
                    data = fn.forward(inputs[0].data, inputs[1].data, inputs[2].data, **params)
                else:
                    data = fn.forward(*[t.data for t in inputs], **params)
            except (ValueError, TypeError) as e:
                raise _named_error(fn, inputs, e) from e
            if type(data) is not np.ndarray:     # numpy returns scalars from 0-d ops
                data = np.asarray(data)
        if _modes.grad_enabled:
            try:
                for t in inputs:
                    if t.requires_grad:
                        fn.parents = inputs
                        fn.seq = next(_op_counter)  # the engine walks ops newest first
                        return Tensor._from_op(data, fn)
            except AttributeError:
                _check_tensors(cls, inputs)
                raise
        return Tensor._from_op(data, None)

    @property
    def needs_input_grad(self):
        """One bool per input: does that input want a gradient? Lets a backward skip work."""
        return tuple(map(_requires_grad, self.parents))   # (map: no Python frame per call)

    @property
    def params(self):
        """The op's non-tensor parameters (axis, slope, ...), for labels and reprs."""
        return {k: v for k, v in vars(self).items()
                if k not in ("parents", "released", "seq") and not k.startswith("_")}

    def forward(self, *arrays, **params):
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, g, out, *inputs):
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if not isinstance(v, np.ndarray))
        return f"<{type(self).__name__} {self.name!r}{' ' + params if params else ''}>"


# tensor.py imports this module at its end, after the Tensor class exists.
from autograd.tensor import Tensor  # noqa: E402
