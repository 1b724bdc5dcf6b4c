"""The Tensor: a numpy array that remembers how it was computed.

A leaf tensor is made by the user (``Tensor(data, requires_grad=True)``); every
op on tensors returns a new tensor whose ``op`` is the :class:`~autograd.function.Function`
that made it and whose ``parents`` are that op's inputs. ``backward()`` walks
this graph from the output to the leaves (iteratively, see ``engine.py``) and
accumulates ``d output / d leaf`` into each leaf's ``.grad``.

>>> from autograd import Tensor
>>> x = Tensor(-2.0, requires_grad=True, name="x")
>>> y = Tensor(5.0, requires_grad=True, name="y")
>>> z = Tensor(-4.0, requires_grad=True, name="z")
>>> f = (x + y) * z
>>> f.backward()
>>> x.grad, y.grad, z.grad
(array(-4.), array(-4.), array(3.))
"""
import numbers
import sys

import numpy as np

from autograd.checks import dtype_and_device
from autograd.modes import open_blocks, read_into_python, replayed, thread_modes

__all__ = ["Tensor", "as_tensor", "ElementCount"]


def _converted(data, dtype, requires_grad):
    """What ``Tensor(data, requires_grad, dtype)`` stores, for a replay of a recorded step."""
    data = np.asarray(data, dtype=dtype)
    return data.astype(np.float64) if requires_grad and data.dtype.kind != "f" else data


class Tensor:
    """An n-d array (0-d scalars included) that records the ops applied to it.

    Parameters
    ----------
    data : array_like
        Values; kept as a numpy array without copying when possible.
    requires_grad : bool
        Record ops on this tensor and give it a ``.grad`` on backward. Integer
        and bool data that requires grad becomes float64.
    dtype : numpy dtype, optional
        Cast the data to this dtype.
    name : str, optional
        Shown in reprs and graph pictures.

    Attributes
    ----------
    data : numpy.ndarray
        The values.
    grad : numpy.ndarray or None
        ``d output / d self`` accumulated by ``backward`` (same shape and dtype as
        ``data``); None until a backward reaches this tensor.
    op : Function or None
        The op that computed this tensor, None for a leaf (made by the user).
    parents : tuple of Tensor
        The op's inputs (empty for a leaf).
    name : str or None
        Optional label.
    """
    # (``tangents``, forward mode's {level: tangent}, is set only on tensors that have one: see autograd.forward_ad)
    __slots__ = ("data", "grad", "requires_grad", "op", "name", "retains_grad", "tangents", "__weakref__")
    __array_priority__ = 1000          # ndarray <op> Tensor defers to Tensor

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        source = data
        if isinstance(data, Tensor):
            data = data.data
        given = data
        if dtype is not None or type(data) is not np.ndarray:
            data = np.asarray(data, dtype=dtype)
        kind = data.dtype.kind
        if kind not in "fiubc":
            raise TypeError(f"Tensor: unsupported dtype {data.dtype} (numeric or bool data only)")
        if requires_grad and kind != "f":
            if kind == "c":
                raise TypeError(f"Tensor: complex dtype {data.dtype} cannot require grad")
            data = data.astype(np.float64)
        if data is not given and open_blocks.count and thread_modes.capture is not None:
            # a step recorded by autograd.compile: a replay converts its own batch the same way (a Tensor handed on:
            # a leaf converted is guarded, its array kept); a list of the step's own arrays is refused
            if type(given) is np.ndarray:
                thread_modes.capture.record_call(_converted, (source, dtype, requires_grad), {}, data)
            elif isinstance(given, (list, tuple)):
                thread_modes.capture.refuse_list_of_own(given)
        elif open_blocks.count and thread_modes.capture is not None:
            if source is data:                # (a tensor the step makes of a view of its own array: refused)
                thread_modes.capture.refuse_view_of_own(data)
            elif source.op is None:           # (Tensor(leaf): the leaf guarded, as detach() does)
                thread_modes.capture.input_name(source)
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.op = None
        self.name = name
        self.retains_grad = False

    @classmethod
    def wrap(cls, data, op=None):
        """Wrap a numpy array as a Tensor without copying or checking: the fast constructor ops use.

        ``data`` must already be a numpy array of a supported dtype (nothing is checked);
        the tensor requires grad exactly when it has an ``op`` (the Function that made it).

        >>> import numpy as np
        >>> from autograd import Tensor
        >>> Tensor.wrap(np.array([1.0, 2.0]))
        Tensor([1., 2.])
        """
        t = object.__new__(Tensor)        # a plain Tensor even through a subclass (a Parameter's gradient)
        t.data = data
        t.grad = None
        t.requires_grad = op is not None
        t.op = op
        t.name = None
        t.retains_grad = False
        return t

    # --- array-like attributes -------------------------------------------------------
    shape = property(lambda self: self.data.shape, doc="Shape tuple, as numpy.")
    ndim = property(lambda self: self.data.ndim, doc="Number of dimensions.")
    dtype = property(lambda self: self.data.dtype, doc="numpy dtype of the data.")
    size = property(lambda self: ElementCount(self.data.size),
                    doc="Number of elements, as numpy (PyTorch's ``size()`` is ``shape`` here).")
    parents = property(lambda self: self.op.parents if self.op is not None else (),
                       doc="Inputs of the op that made this tensor (empty for a leaf).")
    is_leaf = property(lambda self: self.op is None, doc="True for tensors made by the user.")

    @property
    def T(self):
        """The tensor with its axes reversed (numpy's ``.T``)."""
        return self.transpose()

    def item(self):
        """The single value as a Python number."""
        if open_blocks.count:             # (read_into_python's own first test: .item() is on every training loop)
            read_into_python(".item()")
        return self.data.item()

    def numpy(self):
        """The data array (shared, not copied)."""
        if open_blocks.count and thread_modes.capture is not None:
            thread_modes.capture.read_by(sys._getframe(1).f_code.co_filename, ".numpy() of a tensor read")
        return self.data

    def tolist(self):
        read_into_python(".tolist()")
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        if open_blocks.count and thread_modes.capture is not None:     # (np.asarray(t) by the step's own code)
            thread_modes.capture.read_by(sys._getframe(1).f_code.co_filename, "a tensor read as an array")
        if copy:
            return np.array(self.data, dtype=dtype)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self):
        read_into_python("bool() of a tensor (an if or while on a tensor's value)")
        return bool(self.data)

    def __float__(self):
        read_into_python("float() of a tensor")
        return float(self.data)

    def __int__(self):
        read_into_python("int() of a tensor")
        return int(self.data)

    __hash__ = object.__hash__          # == is elementwise, identity is the hash

    def __repr__(self):
        read_into_python("printing a tensor")
        extra = []
        if self.data.dtype != np.float64 and self.data.dtype != np.int64 and self.data.dtype != np.bool_:
            extra.append(f"dtype={self.data.dtype}")
        if self.op is not None:
            extra.append(f"op={self.op.name!r}")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        if self.name is not None:
            extra.append(f"name={self.name!r}")
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", threshold=20, edgeitems=3)
        return f"Tensor({body}{''.join(', ' + e for e in extra)})"

    # --- autograd --------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Accumulate ``d self / d leaf`` into the ``.grad`` of every leaf that requires grad.

        Parameters
        ----------
        grad : array_like, optional
            Upstream gradient ``d L / d self``; required unless ``self`` has one element.
        retain_graph : bool
            Keep the graph usable for another backward. Otherwise each op is
            released and a second backward through it raises.
        """
        engine.backward([self], None if grad is None else [grad], retain_graph=retain_graph)

    def retain_grad(self):
        """Also store ``.grad`` on this non-leaf tensor during backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: tensor does not require grad")
        if self.op is not None and open_blocks.count and thread_modes.capture is not None:
            thread_modes.capture.refuse("retain_grad() in the step (a replay makes no tensors to keep it on)")
        self.retains_grad = True
        return self

    def zero_grad(self, set_to_none=True):
        """Forget the accumulated gradient (``None``, or zeros in place if ``set_to_none=False``, as PyTorch)."""
        return replayed(self._forget_grad, set_to_none)      # (in a step autograd.compile records: every replay too)

    def _forget_grad(self, set_to_none):
        g = self.grad
        if set_to_none or g is None:
            self.grad = None
        elif type(g) is np.ndarray and g.flags.writeable:
            g[...] = 0
        else:
            self.grad = np.zeros_like(g)
        return self

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place on a leaf (int/bool data becomes float64); returns self."""
        if self.op is not None:
            if not requires_grad:
                raise RuntimeError("requires_grad_: cannot turn off requires_grad of a non-leaf; use .detach()")
            return self
        if requires_grad and self.data.dtype.kind != "f":
            self.data = self.data.astype(np.float64)
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A new leaf sharing this tensor's data, cut from the graph."""
        if self.op is None and open_blocks.count and thread_modes.capture is not None:
            thread_modes.capture.input_name(self)     # (a step recorded by autograd.compile: a leaf read is guarded)
        return Tensor.wrap(self.data)

    def draw(self, **kwargs):
        """Render the graph behind this tensor (see :func:`autograd.viz.draw`)."""
        from autograd import viz
        return viz.draw(self, **kwargs)

    # --- arithmetic (operators mix with Python scalars and ndarrays from either side) --
    def __add__(self, other): return ew.add(self, other)
    def __radd__(self, other): return ew.add(other, self)
    def __sub__(self, other): return ew.sub(self, other)
    def __rsub__(self, other): return ew.sub(other, self)
    def __mul__(self, other): return ew.mul(self, other)
    def __rmul__(self, other): return ew.mul(other, self)
    def __truediv__(self, other): return ew.div(self, other)
    def __rtruediv__(self, other): return ew.div(other, self)
    def __mod__(self, other): return ew.remainder(self, other)
    def __rmod__(self, other): return ew.remainder(other, self)
    def __pow__(self, other): return ew.pow(self, other)
    def __rpow__(self, other): return ew.pow(other, self)
    def __matmul__(self, other): return linalg.matmul(self, other)
    def __rmatmul__(self, other): return linalg.matmul(other, self)
    def __neg__(self): return ew.neg(self)
    def __pos__(self): return self
    def __abs__(self): return ew.abs(self)

    # comparisons: elementwise, non-differentiable bool tensors
    def __eq__(self, other): return ew.equal(self, other)
    def __ne__(self, other): return ew.not_equal(self, other)
    def __lt__(self, other): return ew.less(self, other)
    def __le__(self, other): return ew.less_equal(self, other)
    def __gt__(self, other): return ew.greater(self, other)
    def __ge__(self, other): return ew.greater_equal(self, other)

    def __getitem__(self, index): return shape_ops.getitem(self, index)

    # --- methods (each one line: the functions live in autograd/ops) --------------------
    def exp(self): return ew.exp(self)
    def log(self): return ew.log(self)
    def sqrt(self): return ew.sqrt(self)
    def abs(self): return ew.abs(self)
    def sign(self): return ew.sign(self)
    def isfinite(self): return ew.isfinite(self)
    def isnan(self): return ew.isnan(self)
    def tanh(self): return ew.tanh(self)
    def sigmoid(self): return ew.sigmoid(self)
    def relu(self): return ew.relu(self)
    def leaky_relu(self, negative_slope=0.01): return ew.leaky_relu(self, negative_slope)
    def pow(self, exponent): return ew.pow(self, exponent)
    def clip(self, min=None, max=None): return ew.clip(self, min, max)
    def clamp(self, min=None, max=None): return ew.clamp(self, min, max)
    def maximum(self, other): return ew.maximum(self, other)
    def minimum(self, other): return ew.minimum(self, other)
    def astype(self, dtype): return ew.astype(self, dtype)
    def clone(self): return ew.clone(self)
    def matmul(self, other): return linalg.matmul(self, other)
    def sin(self): return ew.sin(self)
    def cos(self): return ew.cos(self)
    def tan(self): return ew.tan(self)
    def sinh(self): return ew.sinh(self)
    def cosh(self): return ew.cosh(self)
    def asin(self): return ew.asin(self)
    def acos(self): return ew.acos(self)
    def atan(self): return ew.atan(self)
    def asinh(self): return ew.asinh(self)
    def acosh(self): return ew.acosh(self)
    def atanh(self): return ew.atanh(self)
    def log2(self): return ew.log2(self)
    def log10(self): return ew.log10(self)
    def exp2(self): return ew.exp2(self)
    def log1p(self): return ew.log1p(self)
    def expm1(self): return ew.expm1(self)
    def erf(self): return ew.erf(self)
    def erfc(self): return ew.erfc(self)
    def rsqrt(self): return ew.rsqrt(self)
    def floor(self): return ew.floor(self)
    def ceil(self): return ew.ceil(self)
    def round(self, decimals=0): return ew.round(self, decimals)
    def trunc(self): return ew.trunc(self)
    def remainder(self, other): return ew.remainder(self, other)
    def fmod(self, other): return ew.fmod(self, other)
    def logaddexp(self, other): return ew.logaddexp(self, other)
    def lerp(self, end, weight): return ew.lerp(self, end, weight)

    # PyTorch's casts: differentiable, and ``self`` itself when the dtype is already right (as PyTorch)
    def float(self): return self.to(np.float32)
    def double(self): return self.to(np.float64)

    def to(self, *args, dtype=None, device=None):
        """Cast to a dtype as PyTorch's ``t.to(dtype)`` (``self`` if it already has it); the device
        ``"cpu"`` is accepted and changes nothing: labgrad runs on numpy, on the CPU."""
        resolved = dtype_and_device(args, "Tensor.to", dtype, device)
        return self if resolved is None or resolved == self.data.dtype else ew.astype(self, resolved)

    def t(self):
        """Transpose of a tensor with at most 2 dimensions (PyTorch's ``t()``)."""
        if self.data.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {self.data.shape}; "
                             "use .T to reverse all axes, or .swapaxes(i, j) / .permute(...)")
        return shape_ops.transpose(self)

    def reshape(self, *shape): return shape_ops.reshape(self, *shape)
    def view(self, *shape): return shape_ops.view(self, *shape)
    def transpose(self, *axes): return shape_ops.transpose(self, *axes)
    def permute(self, *axes): return shape_ops.permute(self, *axes)
    def broadcast_to(self, shape): return shape_ops.broadcast_to(self, shape)

    # Methods that take an axis (sum, mean, max, ..., squeeze, flatten, argmax) are the public
    # functions themselves, assigned below the class: they take PyTorch's dim=/keepdim= too.

    # --- numpy interoperability: np.exp(t), ndarray + t, np.sum(t) give Tensors -------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        impl = _UFUNCS.get(ufunc)
        if method != "__call__" or impl is None or kwargs:
            return NotImplemented
        return impl(*inputs)

    def __array_function__(self, func, types, args, kwargs):
        impl = _FUNCTIONS.get(func)
        if impl is None:
            return NotImplemented
        return impl(*args, **kwargs)


class ElementCount(int):
    """``Tensor.size``: the number of elements as numpy's ``size``, an int that explains the
    PyTorch habit ``t.size()`` (which is ``t.shape`` here) instead of "'int' object is not callable".

    >>> from autograd import Tensor
    >>> t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> t.size, t.shape
    (6, (2, 3))
    """
    __slots__ = ()

    def __call__(self, *args, **kwargs):
        raise TypeError(f"Tensor.size is the element count ({int(self)}) as in numpy, not a method; "
                        "for the shape use t.shape (PyTorch's t.size()), and t.shape[d] for t.size(d)")

    def __repr__(self):
        return int.__repr__(self)


def as_tensor(value, like=None):
    """Return ``value`` as a Tensor (unchanged if it already is one).

    Python scalars take the dtype of ``like`` when that is a float tensor, so
    ``float32_tensor * 2.0`` stays float32 (numpy's rules for Python scalars).
    """
    if isinstance(value, Tensor):
        return value
    if like is not None and (type(value) is float or type(value) is int or (
            isinstance(value, numbers.Number) and not isinstance(value, np.generic))):
        dtype = like.data.dtype
        if dtype.kind != "f":
            dtype = np.result_type(dtype, value)
        return Tensor.wrap(np.asarray(value, dtype=dtype))
    return Tensor(value)


# The one import cycle of autograd, and why it is inherent: Tensor's methods and operators are the ops
# (t + u is ops.elementwise.add), each op is a Function whose apply() makes a Tensor, and Tensor.backward
# runs the engine. So tensor.py imports them here, after the class exists, and they import Tensor from it.
from autograd import engine  # noqa: E402
from autograd.ops import elementwise as ew, linalg, reduce, scan  # noqa: E402
from autograd.ops import shape as shape_ops  # noqa: E402
from autograd.ops import movement  # noqa: E402
from autograd.ops.dispatch import UFUNCS as _UFUNCS, FUNCTIONS as _FUNCTIONS  # noqa: E402

for _method in (reduce.sum, reduce.mean, reduce.max, reduce.min, reduce.var, reduce.logsumexp, reduce.softmax,
                reduce.log_softmax, reduce.argmax, reduce.argmin, shape_ops.swapaxes, shape_ops.squeeze,
                shape_ops.unsqueeze, shape_ops.flatten,
                movement.flip, movement.roll, movement.repeat, movement.tile, movement.repeat_interleave,
                movement.tril, movement.triu, movement.diag, movement.diagonal, movement.split, movement.chunk,
                movement.unflatten, movement.gather, movement.scatter_add, movement.masked_fill,
                reduce.prod, reduce.std, reduce.any, reduce.all, scan.cumsum, scan.cumprod, scan.logcumsumexp,
                scan.sort, scan.argsort, scan.topk):
    setattr(Tensor, _method.__name__, _method)
del _method
