"""Grad mode and anomaly mode, per thread (as in PyTorch): ``no_grad`` in one thread leaves the others recording.

Every op asks two questions: does it record the graph (grad mode), and does it
check for nan/inf (anomaly mode)? Asking a ``threading.local`` on every op costs
more than a small op itself, so the answer is found in two steps. A process-wide
count says how many mode blocks (``with no_grad()``, ``detect_anomaly()``, ...)
are open in any thread right now. While it is 0, every thread runs with the
defaults (record, no checks), and the op reads nothing else. Only while some
block is open does an op read its own thread's modes. A thread's own blocks
always count, so a thread never misses its own mode; another thread's blocks
only make it look up its own (unchanged) modes.

>>> from autograd import Tensor, no_grad, is_grad_enabled
>>> with no_grad():
...     is_grad_enabled()
False
>>> is_grad_enabled()
True
"""
import functools
import inspect
import threading
import weakref

import numpy as np

from autograd.checks import positive_int

__all__ = [
    "no_grad", "enable_grad", "inference_mode", "is_grad_enabled", "detect_anomaly", "is_anomaly_enabled",
    "AnomalyError", "check_anomaly", "open_blocks", "thread_modes", "dual_level", "carries_derivative", "replayed",
    "refuse_listed_arrays", "read_into_python",
]


class ThreadModes(threading.local):
    """The calling thread's modes; the class attributes are the defaults every new thread starts with.

    ``saved`` is the thread's stack of the values its open blocks replaced: kept here, not on
    the block object, so one ``no_grad()`` object entered twice (nested, or by two threads)
    restores each entry's own previous value.
    """
    grad_enabled = True
    anomaly = False
    forward_levels = ()            # the open forward-mode levels (autograd.forward_ad), outermost first
    capture = None                 # the Tape of the step autograd.compile is recording, if any

    def __init__(self):
        self.saved = []


class OpenBlocks:
    """How many mode blocks are open in all threads together (``count`` 0: every thread has the defaults).

    Ops read ``open_blocks.count`` first and :data:`thread_modes` only when it is not 0.
    """
    count = 0

    def __init__(self):
        self.lock = threading.Lock()       # count += 1 is a read and a write: two threads could interleave

    def add(self, n):
        with self.lock:
            self.count += n


thread_modes = ThreadModes()
open_blocks = OpenBlocks()


def is_grad_enabled():
    """Return True when new ops (in this thread) record the graph."""
    return not open_blocks.count or thread_modes.grad_enabled


def is_anomaly_enabled():
    """Return True inside :class:`detect_anomaly` (in this thread)."""
    return bool(open_blocks.count) and thread_modes.anomaly


class _ModeBlock:
    """Set one of this thread's modes (``attribute``) to ``self.value`` inside a ``with`` block.

    The block is counted in :data:`open_blocks` before the mode changes and after it is
    restored, so whenever this thread's mode is not the default, the count is not 0.
    """
    attribute = "grad_enabled"
    value = True

    def __enter__(self):
        open_blocks.add(1)
        thread_modes.saved.append(getattr(thread_modes, self.attribute))
        if self.value is not None:
            setattr(thread_modes, self.attribute, self.value)
        return self

    def __exit__(self, *exc):
        setattr(thread_modes, self.attribute, thread_modes.saved.pop())   # (blocks close in reverse order)
        open_blocks.add(-1)
        return False


class _GradMode(_ModeBlock):
    """Set grad recording to ``self.value`` inside a ``with`` block or a decorated function.

    As a decorator it works with or without parentheses, and on generator functions
    the mode holds whenever the generator runs (not only while it is created).
    """

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if func is None:
            return self
        if not callable(func):
            raise TypeError(f"{cls.__name__}: takes no argument as a context manager (with {cls.__name__}():) "
                            f"and a function as a decorator, got {func!r}")
        return self(func)                                 # ``@no_grad`` without parentheses

    def __call__(self, func):
        mode = type(self)            # a fresh block per entry: re-entrant
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
    """Context manager and decorator: ops inside (in this thread) record no graph.

    >>> from autograd import Tensor, no_grad
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    value = False


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
            return super().__new__(cls if mode else _InferenceModeOff)
        if callable(mode):
            return super().__new__(cls, mode)    # used as a decorator without parentheses
        raise TypeError(f"inference_mode: mode must be True or False, got {mode!r}")


class _InferenceModeOff(inference_mode):
    """``inference_mode(False)``: a block that keeps the current grad mode."""
    value = None                             # (read by __enter__: keep the current mode)


class enable_grad(_GradMode):
    """Context manager and decorator: turn graph recording back on inside ``no_grad``."""
    value = True


class dual_level:
    """Context manager: a forward-mode level; tensors made by ``make_dual`` inside carry a tangent at it.

    While the level is open (in this thread), every op whose inputs have a tangent at
    this level also computes its output's tangent, by its ``Function.jvp`` rule: the
    tangent is carried along with the value, as in dual numbers ``a + b eps``. Levels
    nest (forward mode over forward mode): an op's rule for one level runs with only
    the outer levels open, so the tangents of different levels never mix.

    Parameters
    ----------
    batch_size : int, optional
        With ``batch_size=n`` every tangent at this level carries a leading axis of n:
        n directions pushed through one forward pass (how ``autograd.func.jacfwd`` gets
        a whole Jacobian at once).

    Examples
    --------
    >>> from autograd import Tensor
    >>> from autograd.forward_ad import dual_level, make_dual, unpack_dual
    >>> with dual_level():
    ...     x = make_dual(Tensor(2.0), Tensor(1.0))     # x = 2 + 1 eps
    ...     y = x * x * x                               # y = 8 + 12 eps: dy/dx = 3 x^2
    ...     unpack_dual(y).tangent
    Tensor(12.)
    """

    def __init__(self, batch_size=None):
        self.batch = () if batch_size is None else (positive_int(batch_size, "batch_size", "dual_level"),)
        self._carriers = weakref.WeakSet()     # the tensors given a tangent here: it is dropped at the exit
        self._used = False

    def __enter__(self):
        if self._used:     # (a closed level's tangents are gone: reopened, it would mean something else)
            raise RuntimeError("dual_level: this level was entered before; open a new dual_level() each time")
        self._used = True
        open_blocks.add(1)
        thread_modes.saved.append(thread_modes.forward_levels)
        thread_modes.forward_levels = thread_modes.forward_levels + (self,)
        return self

    def __exit__(self, *exc):
        thread_modes.forward_levels = thread_modes.saved.pop()
        open_blocks.add(-1)
        for t in list(self._carriers):          # as in PyTorch: the tangents go with the level
            self.forget(t)
        self._carriers.clear()
        return False

    # A tensor keeps its tangents in its ``tangents`` slot, {level: tangent Tensor}, set only on tensors
    # that have one (the ops' hot path never touches it); a level's entries go when it closes.
    def tangent_of(self, t):
        """``t``'s tangent (a Tensor) at this level, or None."""
        tangents = getattr(t, "tangents", None)
        return None if tangents is None else tangents.get(self)

    def set_tangent(self, t, tangent):
        tangents = getattr(t, "tangents", None)
        if tangents is None:
            t.tangents = {self: tangent}
        else:
            tangents[self] = tangent
        self._carriers.add(t)

    def forget(self, t):
        """Drop ``t``'s tangent at this level (``unpack_dual``'s primal; every carrier when the level closes)."""
        tangents = getattr(t, "tangents", None)
        if tangents is not None:
            tangents.pop(self, None)

    def __repr__(self):
        return f"<dual_level{' batch_size=%d' % self.batch[0] if self.batch else ''}>"


def carries_derivative(t):
    """True if tensor ``t`` requires grad or has a tangent at an open forward-mode level: a cast or copy
    of it must then be an op (keeping the derivative), not a new constant.

    >>> from autograd import Tensor
    >>> carries_derivative(Tensor(1.0)), carries_derivative(Tensor(1.0, requires_grad=True))
    (False, True)
    """
    if t.requires_grad:
        return True
    tangents = getattr(t, "tangents", None)
    return bool(tangents) and any(level in tangents for level in thread_modes.forward_levels)


class AnomalyError(FloatingPointError):
    """Raised under :func:`detect_anomaly` by the first op that produces nan or inf."""


class detect_anomaly(_ModeBlock):
    """Context manager: the first op whose forward or backward *creates* a nan/inf raises (in this thread).

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
    autograd.modes.AnomalyError: forward of 'log' produced non-finite values (-inf) from finite inputs of shapes [(2,)]
    """
    attribute = "anomaly"
    value = True

    def __enter__(self):
        if open_blocks.count and thread_modes.capture is not None:       # (a replay checks no op's output)
            thread_modes.capture.refuse("detect_anomaly() inside the step (a replay would check no op's output)")
        return super().__enter__()


def check_anomaly(stage, op, produced, sources):
    """Raise :class:`AnomalyError` if ``produced`` has nan/inf while every numeric source array is finite.

    ``stage`` is ``"forward"`` or ``"backward"``, ``op`` the Function (its ``name`` is shown).

    >>> class Log:
    ...     name = "log"
    >>> check_anomaly("forward", Log(), [np.array([0.0])], [np.array([1.0])])
    >>> check_anomaly("forward", Log(), [np.array([-np.inf])], [np.array([0.0])])
    Traceback (most recent call last):
    ...
    autograd.modes.AnomalyError: forward of 'log' produced non-finite values (-inf) from finite inputs of shapes [(1,)]
    """
    produced = [np.asarray(p) for p in produced if p is not None]
    if all(np.isfinite(p).all() for p in produced):
        return
    if all(np.isfinite(s).all() for s in sources if np.issubdtype(np.asarray(s).dtype, np.number)):
        bad = next(_first_bad(p) for p in produced if not np.isfinite(p).all())
        shapes = [np.shape(s) for s in sources]
        raise AnomalyError(
            f"{stage} of {op.name!r} produced non-finite values ({bad}) from finite inputs of shapes {shapes}")


def _first_bad(array):
    bad = np.asarray(array)[~np.isfinite(array)]
    return bad.flat[0] if bad.size else None


# --- a call a step recorded by autograd.compile makes again ---------------------------------

def replayed(func, *args, **kwargs):
    """Call ``func(*args, **kwargs)``; while a step is recorded, every replay calls it again.

    For work a step does outside labgrad's ops that a replay must repeat: the
    optimiser's update, a counter of a module, a label check. Array arguments the tape
    knows (the step's inputs and what was computed from them) are passed as the replay's
    arrays; the result becomes known to the tape. Nothing is recorded inside ``func``
    itself. (Here, beside the modes, so that the ops can use it; see :mod:`autograd.capture`.)
    """
    tape = thread_modes.capture if open_blocks.count else None
    if tape is None:
        return func(*args, **kwargs)
    return tape.call(func, args, kwargs)


def shape_from_values(values, what):
    """Say that ``what`` makes a shape from ``values`` (an array or a Tensor: a boolean mask as an index, counts,
    a size): while a step is recorded, it then runs eagerly, with a warning that names ``what`` (a replay keeps
    its recording's shapes; the values may be the call's own, or a leaf's or a constant's written in place,
    which no guard sees)."""
    tape = thread_modes.capture if open_blocks.count else None
    if tape is not None:
        tape.refuse(f"{what} makes a shape from the values of an array (a replay keeps its recording's shapes)")


def refuse_listed_arrays(value):
    """While a step is recorded, refuse ``value`` if it is a list or tuple holding Tensors or arrays that numpy
    is about to copy into one array (a constant, which a replay would keep: ``autograd.stack`` is replayed)."""
    if open_blocks.count and thread_modes.capture is not None and isinstance(value, (list, tuple)):
        thread_modes.capture.refuse_list_of_own(value)


def read_into_python(what):
    """Say that ``what`` takes a tensor's value into Python (``.item()``, a printout, a metric): while a step is
    recorded, it then runs eagerly, with a warning that names ``what`` (a replay would not compute it again).
    For library code whose result is a Python value, as nn.metrics' functions.
    """
    if open_blocks.count and thread_modes.capture is not None:
        thread_modes.capture.refuse(f"{what} reads a value of this call into Python (a replay would reuse it)")
