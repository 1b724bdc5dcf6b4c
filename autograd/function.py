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
(:func:`autograd.reduce_broadcast`) and checks the shape afterwards.

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

from autograd.modes import AnomalyError, check_anomaly, open_blocks, thread_modes

__all__ = ["Function"]


_op_counter = count()              # numbers recorded ops in the order they ran
_requires_grad = attrgetter("requires_grad")


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
    check_anomaly("forward", fn, [data], arrays)
    return data


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
        True for labgrad's own ops (each states it in its class body), whose backward returns
        new arrays: a leaf adopts them as its ``.grad`` without a copy. A user op's gradients
        are copied first: it may return an array it keeps or was given.

    How an op is shown, in the step table of :func:`autograd.trace.backward_steps` and in the
    pictures of :mod:`autograd.viz`, is stated here too, once per op:

    infix : bool
        True for binary operators written ``a + b`` (and drawn as the symbol in a circle).
    commutative : bool
        True where the order of the inputs does not matter (the picture labels no edges).
    """
    name = "function"
    released = False
    trusted = False
    infix = False
    commutative = False

    @classmethod
    def apply(cls, *inputs, **params):
        """Run ``forward`` on the inputs' arrays and wrap the result, recording the graph if needed."""
        fn = cls()
        # the modes: while no thread is in a mode block (the count is 0) every thread has the defaults
        if open_blocks.count and thread_modes.anomaly:
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
        if not open_blocks.count or thread_modes.grad_enabled:
            try:
                for t in inputs:
                    if t.requires_grad:
                        fn.parents = inputs
                        fn.seq = next(_op_counter)  # the engine walks ops newest first
                        return Tensor.wrap(data, fn)
            except AttributeError:
                _check_tensors(cls, inputs)
                raise
        return Tensor.wrap(data)

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

    def describe(self):
        """The parameter text shown under the op's name in pictures (``"axis=1"``), "" if none.

        Built from :attr:`params`: None, False and arrays are left out, a one-element
        tuple shows as its element, and long texts are cut. Ops with special needs
        (an index written ``[0, :]``, a default not worth showing) override it.

        >>> class Scale(Function):
        ...     name = "scale"
        ...     def forward(self, x, factor, note=None):
        ...         self.factor, self.axis, self.note = factor, (0,), note
        ...         return x * factor
        >>> import autograd
        >>> Scale.apply(autograd.Tensor([1.0], requires_grad=True), factor=2.0).op.describe()
        'factor=2.0 axis=0'
        """
        parts = []
        for key, value in self.params.items():
            if value is None or value is False or isinstance(value, np.ndarray):
                continue
            if isinstance(value, tuple) and len(value) == 1:
                value = value[0]
            text = f"{key}={value if isinstance(value, np.dtype) else repr(value)}"
            parts.append(text if len(text) <= 24 else text[:23] + "…")
        return " ".join(parts)

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if not isinstance(v, np.ndarray))
        return f"<{type(self).__name__} {self.name!r}{' ' + params if params else ''}>"


# tensor.py imports this module at its end, after the Tensor class exists.
from autograd.tensor import Tensor  # noqa: E402
