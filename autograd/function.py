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

__all__ = ["Function", "named_error"]


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


def named_error(fn, shapes, e):
    """The ValueError or TypeError ``e`` that op ``fn``'s forward raised on inputs of ``shapes``, naming the op and
    the shapes (numpy's own errors, of broadcasting say, do not say which op failed); ``e`` itself where it names
    the op already, as labgrad's ops' errors do. (Also what a replay of :func:`autograd.compile` raises.)

    >>> str(named_error(Function(), [(2,), (3,)], ValueError("shapes do not match")))
    'function: shapes do not match (inputs of shapes (2,), (3,))'
    """
    if str(e).startswith(f"{fn.name}:"):         # our ops' errors already name the op
        return e
    kind = TypeError if isinstance(e, TypeError) else ValueError
    return kind(f"{fn.name}: {str(e).strip()} (inputs of shapes {', '.join(map(str, shapes))})")


def _named_error(fn, inputs, e):
    """:func:`named_error` of a forward called by :meth:`Function.apply`, whose inputs must be Tensors."""
    if not str(e).startswith(f"{fn.name}:"):
        _check_tensors(type(fn), inputs)
    return named_error(fn, [t.shape for t in inputs], e)


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


# --- apply's ending inside mode blocks: grad mode, forward mode ------------------------

def _output_in_modes(fn, inputs, data, params):
    """The output of ``fn`` while some mode block is open: recorded if grad mode is on, with tangents
    at the open forward-mode levels (which ``no_grad`` does not stop, as in PyTorch: it is reverse mode's).
    (apply's recording loop again, on purpose: apply keeps its own copy inline for the hot path.)"""
    out = None
    try:
        if thread_modes.grad_enabled:
            for t in inputs:
                if t.requires_grad:
                    fn.parents = inputs
                    fn.seq = next(_op_counter)
                    out = Tensor.wrap(data, fn)
                    break
    except AttributeError:
        _check_tensors(type(fn), inputs)
        raise
    if out is None:
        out = Tensor.wrap(data)
    if thread_modes.forward_levels and data.dtype.kind == "f":     # (integer and bool results have no tangent)
        _push_tangents(fn, inputs, out)
    if thread_modes.capture is not None:         # a step recorded by autograd.compile
        thread_modes.capture.record_op(fn, inputs, params, data)
    return out


def _push_tangents(fn, inputs, out):
    """Forward mode: give ``out`` its tangent at each open level where an input has one.

    Outer levels first, so a rule that reads ``out`` sees its outer tangents; each rule runs
    with only the levels outside its own open, so a tangent of an inner level carries the
    outer levels' tangents (the cross terms) and no level's tangents leak into another's.
    """
    levels = thread_modes.forward_levels
    for k, level in enumerate(levels):
        tangents = [level.tangent_of(t) for t in inputs]
        if all(dx is None for dx in tangents):
            continue
        thread_modes.forward_levels = levels[:k]
        try:
            dout = _output_tangent(fn, level.batch, inputs, tangents, out)
        finally:
            thread_modes.forward_levels = levels
        if dout is not None:
            level.set_tangent(out, dout)


def _output_tangent(fn, batch, inputs, tangents, out):
    """The sum over the inputs of ``fn.jvp(i, dx, ...)``, fitted to ``batch + out.shape`` and out's dtype."""
    total = None
    for i, dx in enumerate(tangents):
        if dx is None:
            continue
        if batch and not fn.batched_jvp:
            part = _one_direction_at_a_time(fn, i, dx, out, inputs)
        else:
            if batch and fn.elementwise and dx.ndim < len(batch) + out.ndim:   # align to the output's rank
                dx = dx.reshape(batch + (1,) * (len(batch) + out.ndim - dx.ndim) + dx.shape[len(batch):])
            part = fn.jvp(i, dx, out, *inputs)
        if part is None:
            continue
        part = _fit_tangent(part if isinstance(part, Tensor) else Tensor.wrap(np.asarray(part)), batch, out, fn)
        total = part if total is None else total + part      # (each fitted first: a batch axis aligns only so)
    return total


def _one_direction_at_a_time(fn, i, dx, out, inputs):
    """``fn.jvp`` for a batch of tangents, called once per direction (for rules written for one)."""
    parts = []
    for k in range(dx.shape[0]):
        part = fn.jvp(i, dx[k], out, *inputs)
        if part is None:
            part = Tensor.wrap(np.zeros(out.shape, out.dtype))
        elif not isinstance(part, Tensor):
            part = Tensor.wrap(np.asarray(part))
        parts.append(_fit_tangent(part, (), out, fn))
    return shape_ops.stack(parts)


def _fit_tangent(tangent, batch, out, fn):
    """``tangent`` broadcast to ``batch + out.shape`` (a rule may leave it in a broadcastable shape) and
    cast to out's dtype (float32 stays float32)."""
    shape = batch + out.shape
    if tangent.shape != shape:
        try:
            if batch and tangent.ndim != len(shape):   # (a rule that lost the batch axis cannot be told apart)
                raise ValueError
            tangent = tangent.broadcast_to(shape)
        except ValueError:
            raise RuntimeError(
                f"jvp of {fn.name!r} returned a tangent of shape {tangent.shape} for an output of shape {out.shape}"
                + (f" with a batch of {batch[0]} tangents (expected {shape}); a rule given a batch keeps the batch "
                   "axis in front, or set batched_jvp = False to be given one direction at a time" if batch else "")
            ) from None
    if tangent.dtype != out.dtype:
        tangent = tangent.astype(out.dtype)
    return tangent


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

    elementwise : bool
        True where the inputs broadcast against each other to the output's shape (``a * b``):
        forward mode then gives the rule a batch of tangents aligned to the output's rank.
    batched_jvp, batched_backward : bool
        True where ``jvp`` takes tangents, and ``backward`` upstream gradients, with one extra
        leading axis (a batch of directions: ``jacfwd``'s columns, ``jacrev``'s rows); other
        ops are given the batch one direction at a time.

    capturable : bool
        True where ``forward`` depends only on its inputs and parameters (a random op: on the
        generator it is given) and ``backward`` only on what ``forward`` saved on ``self``, so
        a step recorded by :func:`autograd.compile` may call them again. labgrad's own ops say
        so in their class body; a user op that does is captured too.

    scalar_code : tuple of str or None
        The op on numpy scalars, for a captured step of 0-d float64 tensors (micrograd's kind):
        the output, then each input's gradient, as expressions in the inputs ``a``, ``b``, the
        output ``out`` and the upstream gradient ``g``, computing what ``forward`` and
        ``backward`` compute, operation for operation (``("a * b", "g * b", "g * a")``), so that
        the replay is bit for bit the eager step. None: the op is called as usual.
    array_code : tuple of str or None
        The same on arrays, for any captured step: ``forward`` and each input's gradient
        written out in the replay (``v3 = a0 @ param0 + param1``) instead of two calls of
        the op's methods; the inputs ``a``, ``b``, ``c``, ``out``, ``g``, ``np`` and helpers
        of the op's own module by name. Only for ops that keep nothing on ``self`` and
        take no parameters, and again operation for operation what ``forward`` and
        ``backward`` compute, branches included (the compile check compares the two bit for
        bit, but only on the data of one call). A subclass that overrides ``forward`` or
        ``backward`` is called as usual, not written out with its parent's expressions.
    residual_functions : tuple of two functions, or None
        For ops that keep what ``backward`` needs: the op as two plain functions of arrays
        (JAX's ``custom_vjp`` pair), ``forward_fn(*arrays, **params) -> (out, residuals)``
        (``params`` as ``forward`` takes them; ``out`` an array, not the numpy scalar 0-d
        arithmetic gives: ``np.asarray`` it) and ``backward_fn(residuals, g)``, which returns
        what ``backward`` does (one gradient per input; one with a parameter named
        ``needs_input_grad`` is given the op's, to skip the gradients no input wants, as
        convolution's does); the op's ``forward`` calls the first and keeps the residuals in
        ``self.residuals`` on every call (a tuple of arrays and values), its ``backward``
        calls the second. A captured step calls them in place of a
        new op object's methods (``v6, cross_entropy0 = cross_entropy_forward(v4, labels=v5,
        reduction='mean')``), so any choice that depends on the data is theirs to make on each
        call, and the methods must do what the functions do on any data (as for ``array_code``,
        the compile check compares them on one call's data only). As for ``array_code``, a
        subclass that overrides ``forward`` or ``backward`` is called as usual.

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
    capturable = False
    scalar_code = None
    array_code = None
    residual_functions = None
    residuals = None
    infix = False
    commutative = False
    elementwise = False
    batched_jvp = False
    batched_backward = False

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
        if open_blocks.count:            # some thread is in a mode block: this thread's modes decide
            return _output_in_modes(fn, inputs, data, params)
        try:
            for t in inputs:
                if t.requires_grad:
                    fn.parents = inputs
                    fn.seq = next(_op_counter)      # the engine walks ops newest first
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
                if k not in ("parents", "released", "seq", "residuals") and not k.startswith("_")}

    def forward(self, *arrays, **params):
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, g, out, *inputs):
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def jvp(self, i, dx, out, *inputs):
        """Forward mode: the change of the output when input ``i`` changes by ``dx`` (or None for none).

        The Jacobian-vector product of the op's local derivative with respect to input
        ``i`` and the tangent ``dx`` (of that input's shape), written in full view
        (``dx * out`` for ``exp``); forward mode adds the contributions of the inputs
        that have a tangent. It is called on Tensors, so a rule written with operators
        and numpy functions is differentiable again (``grad`` of ``jvp``).
        """
        raise NotImplementedError(
            f"forward mode through {self.name!r}: {type(self).__name__} has no jvp rule. Add one beside its "
            f"backward: def jvp(self, i, dx, out, *inputs), returning the output's change when input i changes "
            f"by dx (for x ** 3: return 3 * x * x * dx). Reverse mode (backward, grad, jacrev) works without it")

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
from autograd.ops import shape as shape_ops  # noqa: E402
