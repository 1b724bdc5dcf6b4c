"""Capture and replay: ``autograd.compile(step)`` runs a training step as straight-line numpy calls.

A training step (forward, loss, backward, optimiser update) does the same numpy work
every batch; what costs is the Python around it: a Tensor and a Function object per
op, the graph, the backward walk's heap and dicts. ``compile`` records the step once
as a :class:`Tape` (every op's ``forward``, every ``backward`` the walk called, each
gradient's reduction and accumulation, the ``.grad`` writes and the optimiser's
update, in the order they ran) and writes it out as one Python function of plain
statements, which later calls run instead: no Tensor, no graph, no walk. An op that
declares its ``array_code`` is written out as numpy (``v3 = v2 @ param2 + param3``,
``g13 = g12 @ param2.T``); one that declares its ``residual_functions`` has them called
(``v6, cross_entropy0 = cross_entropy_forward(v4, ...)``, ``r = cross_entropy_backward(cross_entropy0, g7)``;
a backward function that takes ``needs_input_grad`` is given the op's, as convolution's);
any other is called, a new op object on each replay as eagerly (``clip0 = new_op(...)``,
``v6 = forward_of(clip0, ...)``, ``r = clip0.backward(...)``).
Each array of 64 KiB or more is deleted after its last use: a replay holds about as
much memory as the eager step. ``step.code`` shows that function: backprop, written out.

What a replay trusts, and how it is made sure of:

* the arguments: arrays and Tensors of the same shapes and dtypes (and the same one
  passed twice where it was: ``step(X, X)``), other arguments equal (a float to the
  bit); a different last-batch size records a second tape; checked on every call;
* the calling thread's grad mode, every leaf tensor the
  step read (the same array, the same ``requires_grad``) and every module called in
  the step: every attribute the same object (its ``training`` flag, hyperparameters
  such as a dropout's ``p``, its parameters, buffers and submodules; a module's count of
  changes stands for them, and where only the count moved, ``eval()`` then ``train()``,
  they are compared); checked on every call (a guard that fails records again);
* the names through which the step reaches its modules, optimisers and leaf tensors: a
  global its code names, a variable of its closure, the instance of a bound method, or
  an entry or attribute of what those hold (``model``, ``state["opt"]``, ``self.opt``)
  must lead to the same object (a notebook cell run again binds a new ``model``: the
  step records again and trains the new one); checked on every call. Not what it
  reaches through a helper function it calls (``update()`` stepping a global ``opt``),
  deeper, or by a name that held nothing (None) when it was recorded;
* the step itself: recorded once, then at the second call that recording is replayed,
  everything a replay changes is copied and put back (parameters, ``.grad``, module
  buffers and attributes, the state of the optimisers and schedulers it stepped, the
  random generators), the step runs eagerly while it is recorded again, and both must
  agree to the last bit: the same statements and constants, the same results, the same
  state afterwards;
* what the step returns: a replay returns new Tensors (or arrays) of the values it computed
  and of the leaf tensors it returns (a Tensor argument, a frozen leaf, a frozen parameter too:
  a plain Tensor of the same array); a parameter, and a tensor or array no op computed or read,
  itself, as eagerly: it must be the same object at both recordings, and the names that lead
  to it are guarded as above; nor may it return, or return a view of, a writable array its ops
  read as a constant that it makes anew on each call (a replay would read the recording's
  again, a caller's changes included). Either runs the step eagerly, said once.

A call first tries the tape it replayed last, through that tape's ``entry``: one generated
function that tests the arguments as the key would (except that a tape recorded with
distinct arrays also takes one array passed twice: it reads each argument by its own name
and computes the same), then the guards, then replays; a call of another form finds its
own tape through the key.

A step whose own code reads values (``.item()``, ``float()``, ``if loss > 1``,
``print(loss)``, ``.data``, ``.grad``, ``.numpy()``, ``np.asarray(t)``, an ``nn.metrics``
function: see :func:`read_into_python`) or sets ``.grad``, that uses an op which is not
``capturable``, ``autograd.grad``, ``retain_grad``, that backpropagates into a tensor it
made itself, or anything else that makes the replay differ from the eager step, runs
eagerly from then on with a
:class:`CaptureWarning` that says what (and where, when it is a line of the step).
A call made where forward-mode levels are open (inside ``autograd.forward_ad.dual_level``
or a forward-mode transform) runs eagerly too, that call only: a replay computes no
tangents (warned once); so does one inside ``detect_anomaly()``: a replay checks no op's
output for nan or inf. ``fullgraph=True`` raises :class:`CaptureError` instead, as
``torch.compile``: a call refused before it runs (its arguments, a dual level) does not
run; a step found not capturable while it is recorded raises after that recording, which
is the eager step, its updates made.

What is *not* guarded, as in JAX's ``jit``: Python numbers the step reads from
outside itself (a closure's ``beta``, a schedule computed in Python), and Python values and
arrays it builds from its arguments' numpy arrays with numpy (``rows = list(idx)``,
``int(y[0])``, ``np.eye(10)[y]``: numpy's work is not seen) are recorded as constants; a
numpy view of one of the step's own arrays (``y[:, None]``, ``x.T``, also of a batch slice
passed), which would read the recording's memory, makes the step run eagerly, said once, as
does an array made from a list holding tensors or arrays, a shape, size, slice bound or pad
widths given as an array, ``np.allclose`` of tensors and ``detect_anomaly()`` opened inside.
Pass what changes from call to call as an argument, as an array or a Tensor
(``step(x, y, np.array(beta, np.float32))``: a 0-d array, not a numpy scalar, which is keyed by
its value), or compute it in the step with labgrad's ops. Nor are the step's Python side
effects repeated, as in JAX's ``jit``: ``history.append(t)`` or a tensor kept in a global
happen at its recordings only; a constant tensor the step makes and keeps in a global is the
recording's, which every replay reads (a change to it changes later replays): return what the
caller needs instead.
Library work outside the ops that a replay must repeat goes through :func:`replayed`
(the optimisers, schedulers, ``zero_grad``, ``clip_grad_norm_``, label checks and
casts do). Where the replay has just given every ``.grad`` a new array and the step calls
the optimiser's ``step()`` next, the replay calls what the optimiser offers for that moment
instead (``step_after_backward``: the small parameters' gradients copied into its flat
buffers and the same update, without the checks the replay has made already).

Random ops (dropout) draw from their generator again on every replay, in the same
order as the eager step, so a replayed run is bit-for-bit the eager run.

While a step is recorded, ``Tensor.data`` and ``Tensor.grad`` are properties (in every
thread: other threads' eager work pays a Python call per access until it ends).

Examples
--------
>>> import numpy as np, autograd, nn
>>> model = nn.Linear(3, 2, rng=0)
>>> opt = nn.SGD(model.parameters(), lr=0.1)
>>> @autograd.compile
... def step(x, y):
...     opt.zero_grad()
...     loss = nn.functional.mse_loss(model(x), y)
...     loss.backward()
...     opt.step()
...     return loss
>>> x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
>>> losses = [step(x, y).item() for _ in range(4)]      # recorded twice, then replayed
>>> step.replays
2
>>> print(step.code.splitlines()[0])
def replayed_step(a0, a1):
"""
import builtins
import dis
import functools
import inspect
import itertools
import keyword
import linecache
import math
import operator
import os
import re
import sys
import threading
import types
import warnings
from itertools import count

import numpy as np

from autograd.engine import reduce_broadcast
from autograd.function import named_error
from autograd.modes import open_blocks, read_into_python, replayed, thread_modes
from autograd.tensor import Tensor

__all__ = ["compile", "CompiledStep", "Tape", "CaptureError", "CaptureWarning", "is_capturing", "replayed",
           "replayed_method", "read_into_python"]

MAX_MISSES = 4                 # guard failures in a row on one argument shape before it runs eagerly
FREED_FROM = 1 << 16           # bytes: a variable this large is deleted after its last use (as eagerly, where the
                               # walk drops each gradient once passed on), a smaller one lives to the end of the replay
MAX_TAPES = 8                  # distinct argument shapes recorded before a step runs eagerly (torch: 8 too)
_HERE = os.path.dirname(os.path.abspath(__file__))
_LIBRARY = (_HERE + os.sep, os.path.join(os.path.dirname(_HERE), "nn") + os.sep)   # autograd's and nn's files


_LITERALS = (bool, int, float, str, type(None))


class CaptureError(RuntimeError):
    """A step cannot be captured (with ``fullgraph=True``; otherwise it runs eagerly, with a warning)."""


class CaptureWarning(UserWarning):
    """A step, or one of its argument shapes, runs eagerly: the warning says what could not be captured."""


# --- the hooks other modules call while a step is recorded ----------------------------------

def is_capturing():
    """True while this thread records a step for :func:`compile`."""
    return bool(open_blocks.count) and thread_modes.capture is not None


def replayed_method(method=None, *, stateful=False, after_backward=None):
    """Decorator: ``method`` runs as usual, and while a step is recorded every replay calls it again
    (see :func:`replayed`): a module's ``zero_grad``, an optimiser's ``step`` and ``zero_grad``, a
    scheduler's ``step``. ``stateful``: the object keeps state the method changes, which the check of a
    replay against the eager step copies and puts back: an optimiser's ``state`` and ``param_groups``
    (in place: its buffers stay where they are), anything else's ``state_dict()``. ``after_backward``:
    the name of a method of the object (an optimiser's ``step_after_backward``) for a call without
    arguments that the step makes right after a backward's ``.grad`` writes, with nothing between:
    once the call has run, the recording gives it ``{tensor: gradient}`` of that backward, and it returns
    what a replay calls instead where the backward gave every ``.grad`` a new array (a function of no
    arguments that does the same with fewer checks and returns True, or returns False, having changed
    nothing, for the replay to call the method itself), or None to have the call replayed as usual."""
    if method is None:
        return functools.partial(replayed_method, stateful=stateful, after_backward=after_backward)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        tape = thread_modes.capture if open_blocks.count else None
        if tape is None:
            return method(self, *args, **kwargs)
        if stateful:
            tape.holds_state(self)
        offer = getattr(self, after_backward) if after_backward is not None and not args and not kwargs else None
        return tape.call(method.__get__(self), args, kwargs, after_backward=offer)
    return wrapper


# --- the tape ---------------------------------------------------------------------------

class Tape:
    """One recording of a step: its statements, the objects they use, and its guards.

    Every array the step computes gets a variable (``v12``); the step's arguments are
    ``a0, a1, ...``; everything else a statement uses (an op's bound ``forward``, a
    parameter's array, a label array) is a constant ``c3`` of the function's namespace.
    ``signature`` lists what must be the same in the next recording (each op's class and
    parameters, each constant), ``guards`` what must still hold before each replay.
    """

    def __init__(self, name, n_args):
        self.name = name
        self.lines = []
        self.namespace = {"np": np, "Tensor": Tensor, "reduce_broadcast": reduce_broadcast, "is_": operator.is_,
                          "new_op": _new_op, "forward_of": _forward_of}
        self.names = {}                   # id(array) -> its variable
        self.alive = []                   # the recorded arrays, kept so that their ids stay theirs
        self.signature = []
        self.params = {}                  # id(leaf tensor) -> (tensor, its array's name): guarded
        self.tensor_names = {}            # id(leaf tensor) -> its own name in the namespace (see tensor_name)
        self.modules = {}                 # id(module) -> a module called in the step (guarded, see watch)
        self.refused = None               # (what, where) of the first thing that cannot be captured
        self.optimizers = {}              # id -> an optimiser stepped in the step
        self.stateful = {}                # id -> another object with state_dict() whose method the step calls
        self.generators = {}              # id -> a random source an op of the step draws from
        self.grads = {}                   # during a backward: tensor -> the variable of its gradient so far
        self.ops = {}                     # id(op) -> how the replay does that recorded op (see _Replayed)
        self.counter = count()
        self.held_numbers = set()         # variables holding numpy scalars (0-d float64 steps), not arrays
        self.foreign = set()              # variables holding an array a user op returned as it is
        self.read_numbers = {}            # constant -> the variable holding its value as a number
        self.large = set()                # variables of FREED_FROM bytes or more (see note_size)
        self.numbers = {}                 # hint -> how many names it has given
        self.args = [f"a{i}" for i in range(n_args)]
        self.arguments = []               # (k, the array of argument k) of the recorded call
        self.bound = []                   # (path, object): see note_bindings
        self.replay = None
        self.verified = False             # True once a second recording did the same
        self.writes = None                # (where the .grad writes end, the gradients they wrote)
        self.guard_checks = []            # the guards' tests, written into the entry too (see guard_code)

    # the step's inputs and values
    def bind_argument(self, k, array):
        self.names[id(array)] = self.args[k]
        self.alive.append(array)
        self.arguments.append((k, array))

    def new_variable(self, array, prefix="v"):
        name = f"{prefix}{next(self.counter)}"
        self.names[id(array)] = name
        self.alive.append(array)
        self.note_size(name, array.nbytes)
        return name

    def name_of(self, obj):
        """The name of a Tensor's array, or of an array, in the replay (a variable or a constant), or None."""
        return self.names.get(id(obj.data if isinstance(obj, Tensor) else obj))

    def computes(self, array):
        """Whether ``array`` is one of the step's own: an argument or a value the replay computes (not a constant)."""
        name = self.names.get(id(array))
        return name is not None and name not in self.namespace

    def note_size(self, name, nbytes):
        """Variable ``name`` holds ``nbytes`` (an array, or what an op saved): a large one is deleted once no
        later statement reads it (see :func:`_with_deletes`)."""
        if nbytes >= FREED_FROM:
            self.large.add(name)

    def value(self, obj):
        """The expression of ``obj`` in a statement: its variable if the tape computed it, else a constant; a
        Tensor's array as an op's input's (see :meth:`input_name`)."""
        if isinstance(obj, Tensor):
            return self.array(self.input_name(obj))
        if type(obj) is np.ndarray:
            name = self.names.get(id(obj))
            if name is not None:
                return self.array(name)
            self.refuse_view_of_own(obj)
        elif isinstance(obj, tuple):
            items = [self.value(x) for x in obj]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        # (a function passed on, numpy's greater say, under its own name: greater0, for whoever reads step.code)
        name = getattr(obj, "__name__", None) if callable(obj) and not isinstance(obj, type) else None
        return self.constant(obj, name if isinstance(name, str) else "c")

    def constant(self, obj, hint="c"):
        if type(obj) in _LITERALS and (type(obj) is not float or math.isfinite(obj)):
            self.signature.append(obj)
            return repr(obj)              # (written as it is: repr gives back the same value, to the last bit)
        name = self.fresh(hint)
        self.namespace[name] = obj
        if isinstance(obj, (np.random.Generator, np.random.RandomState)):
            self.generators[id(obj)] = obj             # (a random source: its state is part of a snapshot)
        self.signature.append(obj)
        if type(obj) is np.ndarray:       # (one name per array: a parameter read by many statements)
            self.names[id(obj)] = name
            self.alive.append(obj)
        return name

    def refuse_view_of_own(self, array):
        """Refuse an array the step made with numpy outside labgrad's ops (handed to an op or a replayed call, made
        into a Tensor, returned) that is a view of one of its own arrays (``y[:, None]``, ``x.T``, a
        ``sliding_window_view`` of an argument): a replay would read the recording's memory, not its call's. An
        argument is told by the memory it shares (a batch slice ``Y[i:i + 64]`` passed, its view's ``.base`` is
        ``Y``), a computed array by the view's ``.base``. (A leaf tensor made before the call is not asked: a
        replay reads its memory as the eager step does.)"""
        if id(array) in self.names:
            return
        of = next((f"the step's argument {k}" for k, argument in self.arguments
                   if np.shares_memory(array, argument)), None)
        base = array.base
        while of is None and isinstance(base, np.ndarray):
            if self.computes(base):
                of = f"an array of shape {base.shape} this call computed"
            base = base.base
        if of is not None:
            self.refuse(f"an array of shape {array.shape} is a numpy view of {of}, made outside labgrad's ops "
                        "(a replay would read the recording's memory): make it with Tensor ops "
                        "(Tensor(y)[:, None]), or pass it to the step as an argument")

    def refuse_list_of_own(self, items):
        """Refuse an array numpy makes from a list (or tuple, nested or not) holding tensors or arrays
        (``Tensor([a, b])``): a constant of their values now, which a replay would not make again from its call's
        (nor from a leaf's written in place)."""
        for x in items:
            if isinstance(x, (list, tuple)):
                self.refuse_list_of_own(x)
            elif isinstance(x, (Tensor, np.ndarray)):
                self.refuse(f"numpy made an array from a list holding arrays (one of shape {np.shape(x)}), outside "
                            "labgrad's ops (a replay would keep the recording's values): use autograd.stack or "
                            "autograd.cat")
                return

    def array(self, name):
        """``name`` where an array is needed: a variable holding a number (see :meth:`number`) becomes a
        0-d array."""
        return f"np.asarray({name})" if name in self.held_numbers else name

    def number(self, name):
        """``name`` where a number will do: a 0-d array the step did not compute (a parameter, a constant)
        is read as a numpy scalar (``np.float64``: numpy's arithmetic, division by zero included) once per
        replay, where first needed."""
        if name in self.namespace and type(self.namespace[name]) is np.ndarray:
            if name not in self.read_numbers:
                self.read_numbers[name] = f"{name}_value"
                self.lines.append(f"{name}_value = {name}[()]")
            return self.read_numbers[name]
        return name

    def call(self, func, args, kwargs, after_backward=None):
        """Call ``func(*args, **kwargs)`` with recording paused (its own work is the one call) and record the call
        (see :func:`replayed`; ``after_backward``: see :func:`replayed_method`)."""
        thread_modes.capture = None
        try:
            result = func(*args, **kwargs)
        finally:
            thread_modes.capture = self
        self.record_call(func, args, kwargs, result, after_backward)
        return result

    def holds_state(self, owner):
        """``owner``'s state changes in the step (see :func:`replayed_method`): part of every snapshot."""
        if isinstance(getattr(owner, "state", None), dict) and hasattr(owner, "param_groups"):
            self.optimizers[id(owner)] = owner
        else:
            self.stateful[id(owner)] = owner

    def read_by(self, filename, what):
        """``what`` (a tensor's value) was read by code in ``filename``: refused if that is the step's own."""
        if not _in_library(filename):
            self.refuse(f"{what} by the step (a value taken into Python, which a replay would not compute "
                        "again; use labgrad's ops, or read it outside the step)")

    def refuse(self, what):
        if self.refused is None:
            self.refused = (what, _where())

    def watch(self, module):
        """Guard ``module`` (an object whose attributes decide what the step computes): as the recording
        leaves it, by its ``revision`` (a count of changes to its attributes) if it keeps one, else every
        attribute by identity (see :meth:`guard_code`)."""
        self.modules[id(module)] = module

    def note_bindings(self, fn, args, result=None):
        """Guard the ways ``fn`` reaches what the recording used (its modules, optimisers, random sources, leaf
        tensors, the tensors and arrays of its ``result`` that it did not compute): each global its code names,
        each variable of its closure, a bound method's instance and each
        hashable argument (a trainer object), directly or one entry or attribute further (``model``,
        ``state["opt"]``, ``self.opt``, ``trainer.opt``), must lead to the same object. A notebook cell run
        again binds a new ``model`` to the old name; eagerly the step would train the new one: here it records
        again. Each way is kept as a path from what ``fn`` or the key holds anyway (its globals, closure and
        instance, the arguments), so nothing else is kept alive. (Not guarded: what the step reaches through
        another function's globals, or deeper, or by a name that held None: the recording's objects, as in
        JAX's ``jit``. Following helpers was tried: a helper made anew on every call, a lambda in a loop, then
        failed the guards on every call.)"""
        roots = [(a, None) for a in args if not isinstance(a, (Tensor, np.ndarray))]   # (held by the key)
        while isinstance(fn, (types.MethodType, functools.partial)):
            if getattr(fn, "__self__", None) is not None:
                roots.append((fn.__self__, None))
            fn = getattr(fn, "__func__", None) or fn.func
        roots += [(cell, None) for cell in getattr(fn, "__closure__", None) or ()]
        namespace = getattr(fn, "__globals__", None)
        if namespace is not None:
            code = getattr(fn, "__code__", None)
            roots += [(namespace, name) for name in (sorted(_names_in(code)) if code is not None else ())]
        used = {id(o) for group in (self.modules, self.optimizers, self.stateful, self.generators)
                for o in group.values()}
        used.update(id(t) for t, _ in self.params.values())
        used.update(id(obj) for obj in _leaves(result)       # (a replay returns them: see _template)
                    if isinstance(obj, (Tensor, np.ndarray)) and self.name_of(obj) is None)
        for root, key in roots:
            value = _step_into(root, key)
            if id(value) in used:
                self.bound.append(((root, key, _NO_KEY), value))
            elif value is not None and not isinstance(value, (types.ModuleType, type, types.FunctionType)):
                self.bound += [((root, key, k), v) for k, v in _entries(value) if id(v) in used]

    def attributes(self):
        """``{id: (module, its attributes now)}`` of the modules watched (dicts copied one level)."""
        return {i: (m, {k: dict(v) if type(v) is dict else v for k, v in vars(m).items()})
                for i, m in self.modules.items()}

    # forward: an op
    def record_op(self, fn, inputs, params, data):
        if self.refused is not None:       # (nothing more to write down)
            return
        if not type(fn).capturable:
            self.refuse(f"the op {fn.name!r} ({type(fn).__name__}) is not capturable (a user op: set "
                        "capturable = True on the class if its forward depends only on its inputs and parameters "
                        "and its backward only on what forward saved)")
            return
        args = [self.input_name(t) for t in inputs]
        self.signature.append(type(fn))
        # (named as the op, or as its class where the op is a symbol: "**" -> pow0)
        replayed = self.ops[id(fn)] = _Replayed(self.fresh(fn.name if fn.name.isidentifier() else
                                                           type(fn).__name__.lower()))
        code, _ = _stated_code(type(fn), "scalar_code")
        if (code is not None and not params and _scalar(data) and all(_scalar(t.data) for t in inputs)
                and _writable(code, len(inputs))):
            replayed.code = code, [self.number(name) for name in args], True      # (on numbers)
            out = self.new_variable(data)
            self.lines.append(f"{out} = {_filled_in(code[0], replayed.code[1])}")
            self.held_numbers.add(out)
            return
        code, owner = _stated_code(type(fn), "array_code")
        if code is not None and not params and data.ndim and _writable(code, len(inputs)) and self.helpers_of(owner):
            replayed.code = code, [self.array(name) for name in args], False
            self.lines.append(f"{self.new_variable(data)} = {_filled_in(code[0], replayed.code[1])}")
            return
        arguments = ", ".join([self.array(a) for a in args] + [f"{k}={self.value(v)}" for k, v in params.items()])
        functions, _ = _stated_code(type(fn), "residual_functions")
        if functions is not None:
            # the op's two plain functions: its residuals a variable of the replay, no op object
            if fn.residuals is None:
                self.refuse(f"the op {fn.name!r} ({type(fn).__name__}) states residual_functions, but its forward "
                            "left self.residuals None: a replay calls those functions, not its methods, so its "
                            "forward must keep the residuals on every call")
                return
            forward_fn, backward_fn = functions
            replayed.backward = self.own_name(backward_fn)
            # (which inputs want a gradient, where the function asks: the same on every replay, since the guards
            # keep each leaf's requires_grad and the arguments want none)
            replayed.needs = _takes_needs_input_grad(backward_fn)
            out = self.new_variable(data)
            self.lines.append(f"{out}, {replayed.name} = {self.own_name(forward_fn)}({arguments})")
            self.note_size(replayed.name, _nbytes(fn.residuals))
            return
        # a new op object on every replay, as Function.apply makes one per call: what its forward saves for its
        # backward lives as long as the replay (not from one step to the next), and the recording's is let go
        flags = self.constant_quiet(tuple(_Input(t.requires_grad) for t in inputs), replayed.name + "_inputs")
        self.lines.append(f"{replayed.name} = new_op({self.own_name(type(fn))}, {flags})")
        self.note_size(replayed.name, _nbytes(list(vars(fn).values())))
        # (through forward_of: an error names the op and its inputs' shapes, as eagerly)
        shapes = self.constant_quiet(tuple(t.shape for t in inputs), replayed.name + "_shapes")
        call = f"forward_of({replayed.name}, {shapes}, {arguments})"
        out = self.new_variable(data)
        self.lines.append(f"{out} = {call}" if data.ndim else f"{out} = np.asarray({call})")

    def input_name(self, t):
        """The name of tensor ``t``'s array, an op's input or an argument of a replayed call: a variable of the
        replay, or a constant; a leaf's constant (a parameter, frozen or not) is guarded: ``t`` must keep this
        array and flag (also where another leaf, or a replayed call such as a comparison, named it first)."""
        name = self.names.get(id(t.data))
        if name is None:
            name = self.constant(t.data, "param" if t.requires_grad else "const")
        if t.op is None and id(t) not in self.params and name in self.namespace:
            self.params[id(t)] = (t, name)
        return name

    def tensor_name(self, t):
        """The name of guarded leaf tensor ``t`` in the namespace: its array's and ``_tensor``, and a number where
        another leaf shares that array (``leaf`` and ``leaf.detach()``: each guarded, neither hiding the other)."""
        name = self.tensor_names.get(id(t))
        if name is None:
            base = name = self.params[id(t)][1] + "_tensor"
            taken = set(self.tensor_names.values())
            k = 1
            while name in taken:
                name, k = f"{base}{k}", k + 1
            self.tensor_names[id(t)] = name
            self.namespace[name] = t
        return name

    def own_name(self, obj):
        """The name of ``obj`` (an op's class, a function) in the namespace: its own where free and unlike
        the names the generated code uses (``SoftmaxCrossEntropy``, ``cross_entropy_forward``), else a
        constant's (a lambda, a ``functools.partial``, a function named ``r``, ``v3``, ``len`` or ``guards``)."""
        name = getattr(obj, "__name__", "")
        if _free_name(name) and self.namespace.setdefault(name, obj) is obj:
            return name
        return self.constant_quiet(obj, name or "call")

    def helpers_of(self, op_class):
        """Put the functions ``op_class.array_code`` calls by name (``_sum_rows`` of the module of the class that
        states it) in the namespace; False if a name is taken there by something else, or is one the generated
        code uses itself (``wrap``, ``v3``: the op is then called as usual)."""
        module = sys.modules.get(op_class.__module__)
        if module is None:                # (a class made by exec, or of a module not registered)
            return False
        module = vars(module)
        for name in _called_names(op_class.array_code):
            if name in module:
                if not _free_name(name) or self.namespace.setdefault(name, module[name]) is not module[name]:
                    return False
        return True

    def constant_quiet(self, obj, hint):
        """A constant the next recording need not repeat (what a statement calls, an op's class or its inputs'
        flags: the signature compares what decides them)."""
        name = self.fresh(hint)
        self.namespace[name] = obj
        return name

    def fresh(self, hint):
        """A new name for the namespace: ``hint`` and a number (``linear3``, ``param0``)."""
        hint = "".join(ch if ch.isalnum() else "_" for ch in hint).strip("_") or "c"
        if not hint[0].isalpha():
            hint = "op_" + hint
        if hint in _OWN_PREFIXES:         # (a function or op named g: g_0, not the gradient variable g0)
            hint += "_"
        number = self.numbers.get(hint, 0)
        self.numbers[hint] = number + 1
        return f"{hint}{number}"

    def record_call(self, func, args, kwargs, result, after_backward=None):
        if self.refused is not None:       # (nothing more to write down)
            return
        owner = getattr(func, "__self__", None)
        if isinstance(func, functools.partial) or owner is None:
            self.signature.append(func)
        else:                             # a bound method: the same object's
            self.signature.append((func.__func__, owner))
        text = ", ".join([self.value(a) for a in args] + [f"{k}={self.value(v)}" for k, v in kwargs.items()])
        call = f"{self.constant_quiet(func, getattr(func, '__name__', 'call'))}({text})"
        if (after_backward is not None and result is None and self.writes is not None
                and self.writes[0] == len(self.lines)):
            # right after the .grad writes: where the replay gave every .grad anew (their if), the form that
            # trusts them; else (the writes' else, the line before their last) the call itself
            end, grads = self.writes
            else_at = end - 2
            fresh = after_backward(grads)
            if fresh is not None:
                self.lines[else_at:else_at] = [
                    f"    if not {self.constant_quiet(fresh, func.__name__ + '_after_backward')}():", "        " + call]
                self.lines.append("    " + call)
                self.writes = None
                self.read_numbers = {}
                return
        if type(result) is np.ndarray:
            self.lines.append(f"{self.new_variable(result)} = {call}")
        else:
            self.lines.append(call)
        self.read_numbers = {}            # (the call may change a parameter, an optimiser's step: read them again)

    # backward: the seeds, each op's backward, each gradient passed on, the .grad writes
    def seeds(self, seeds):
        if self.refused is not None:       # (nothing more to write down)
            return
        self.grads = {}
        self.handed, self.handed_arrays = [], set()     # the caller's seeds: their variables, and the recording's
        self.lines.append("# backward: each op's backward, newest first; gradients added up where paths meet")
        for root, g, owned in seeds:
            if owned:                     # ones made by the walk: made again, fresh, on every replay
                name = self.new_variable(g, "g")
                self.lines.append(f"{name} = np.ones({g.shape}, np.{g.dtype})" if g.ndim
                                  else f"{name} = np.array(1, np.{g.dtype})")
            else:
                name = self.value(g)
                self.handed.append(name)
                self.handed_arrays.add(id(g))
            prev = self.grads.get(root)
            if prev is not None:
                name = self.add(prev, name, np.asarray(g).nbytes)
            self.grads[root] = name

    def add(self, a, b, nbytes):
        name = f"g{next(self.counter)}"
        self.lines.append(f"{name} = {a} + {b}")
        self.note_size(name, nbytes)
        return name

    def computed(self, op, out, g, returned, input_grads):
        """The walk called ``op.backward``: the replay calls it on its own arrays."""
        if self.refused is not None:       # (nothing more to write down)
            return
        self.returned = input_grads
        replayed = self.ops.get(id(op))
        if replayed is None:
            self.refuse(f"the step backpropagates through an op ({op.name!r}) made before it ran (a graph kept with "
                        "retain_graph): a replay repeats only what the step computes; compute that part in the step")
            return
        if replayed.code is not None:        # written out: each input's gradient is written where passed
            return
        if replayed.backward is not None:    # the op's backward function, on the residuals its forward gave
            needs = f", needs_input_grad={op.needs_input_grad!r}" if replayed.needs else ""
            call = f"{replayed.backward}({replayed.name}, {self.array(self.grads[out])}{needs})"
        else:
            inputs = ", ".join(self.value(p.data) for p in op.parents)
            call = f"{replayed.name}.backward({self.array(self.grads[out])}, {self.value(out.data)}, {inputs})"
        bare = type(returned) is not tuple and type(returned) is not list    # (one input's gradient, as the walk
        self.lines.append(f"r = ({call},)" if bare else f"r = {call}")          # takes it: PyTorch's rule too)

    def passed(self, op, out, g, p, k, gi, accumulated):
        """The walk passed ``gi`` to input ``k`` of ``op``: reduce and cast it as the walk did, then add it up."""
        if self.refused is not None:       # (nothing more to write down)
            return
        prev = self.grads.get(p)
        name = f"g{next(self.counter)}"
        code, operands, on_numbers = self.ops[id(op)].code or (None, None, False)
        if code is not None:                     # as the op's scalar_code or array_code says
            g = self.grads[out] if on_numbers else self.array(self.grads[out])
            expr = _filled_in(code[1 + k], operands, g=g, out=self.names[id(out.data)])
        else:
            expr = f"r[{k}]"
        if on_numbers:
            self.held_numbers.add(name)
        else:
            raw = self.returned[k]
            if raw.shape != p.data.shape:
                expr = f"reduce_broadcast({expr}, {p.data.shape})"
            if raw.dtype != p.data.dtype:
                expr = f"({expr}).astype(np.{p.data.dtype})"
            if prev in self.held_numbers:
                self.held_numbers.add(name)
            if prev is None and expr == f"r[{k}]" and not op.trusted:
                self.foreign.add(name)            # (an array a user op returned: it may keep it)
        self.lines.append(f"{name} = {expr}" if prev is None else f"{name} = {prev} + ({expr})")
        self.note_size(name, np.asarray(accumulated).nbytes)
        self.grads[p] = name

    def wrote_grads(self, write, finished):
        """``write(finished, handed)`` added the walk's gradients to the ``.grad`` of ``finished``'s tensors.
        A replay calls it again; where every ``.grad`` is None (after
        ``zero_grad()``), it first sets them itself: each tensor takes its gradient as it is if no one
        else can see that array (a new array of the step's own: not a view, not a number, not given
        to another tensor, not the caller's nor a user op's), else a copy, as ``write`` does."""
        if self.refused is not None:       # (nothing more to write down)
            return
        made = next((t for t in finished if id(t) not in self.params), None)
        if made is not None:
            self.refuse(f"the step backpropagates into a tensor of shape {made.shape} that it made itself (with "
                        "requires_grad=True): "
                        "a replay makes no new tensor to give the gradient to; make it outside the step and pass "
                        "it in, or read the gradient outside")
            return
        tensors = {t: self.tensor_name(t) for t in finished}
        self.lines.append("# the gradients into .grad")
        entries = ", ".join(f"{tensors[t]}: {self.array(self.grads[t])}" for t in finished)
        handed = "{" + ", ".join(f"id({h})" for h in self.handed) + "}" if self.handed else "set()"
        call = f"{self.constant_quiet(write, 'write_grads')}({{{entries}}}, {handed})"
        if finished:
            self.lines.append(f"if {' and '.join(f'{n}.grad is None' for n in tensors.values())}:")
            given = set(self.handed_arrays)
            for t, name in tensors.items():
                # (decided by the recording's arrays, not by variable names: an op's backward that passes an array
                # on as it is (``a + b``'s: to both inputs; the caller's seed) does so on every replay too, under
                # other names; one variable is one array)
                g, array = self.grads[t], finished[t]
                adopted = (type(array) is np.ndarray and array.base is None and id(array) not in given
                           and g not in self.foreign and g not in self.held_numbers)
                given.add(id(array))
                self.lines.append(f"    {name}.grad = {g if adopted else f'np.array({g})'}")
            self.lines.append("else:")
            call = "    " + call
        self.lines.append(call)
        self.writes = (len(self.lines), dict(finished)) if finished else None
        self.signature.append(len(finished))
        self.grads = {}

    # the end: the function
    def finish(self, result, key, args, build=True):
        """Write the statements out as a function returning ``result``'s arrays, and the entry that replays it
        for a call whose ``key`` (see :meth:`CompiledStep._key`) and ``args`` are as this one's; compile them
        (with ``build``: a recording made only to be compared with the first is not compiled)."""
        self.result_template, outputs = self._template(result)
        self.returned = self.writes = None    # (the last backward's gradients: not kept alive with the tape)
        self.arguments = []                   # (nor the recorded call's arguments)
        self.ops = {}
        if self.refused is not None:
            return
        self.lines.append(f"return ({''.join(self.array(o) + ', ' for o in outputs)})")
        self.lines = _with_deletes(self.lines, self.large)
        if not build:
            return
        self.code = (f"def replayed_{self.name}({', '.join(self.args)}):\n"
                     + "".join(f"    {line}\n" for line in self.lines))
        self.filled = _filler(self.result_template)
        source = self.code + "\n\n" + self.guard_code() + "\n\n" + self.entry_code(key, args)
        filename = f"<autograd.compile {self.name} #{id(self)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # (tracebacks)
        exec(builtins.compile(source, filename, "exec"), self.namespace)   # noqa: S102 (our own generated statements)
        self.replay = self.namespace[f"replayed_{self.name}"]
        self.guards_hold = self.namespace["guards"]
        self.entry = self.namespace["entry"]
        self.alive = None                 # (the namespace keeps what the statements use)

    def _template(self, result):
        """``result`` with each array the tape computed replaced by its position among the outputs."""
        outputs = []

        def leaf(obj):
            # a parameter (a leaf that requires grad, which the guards keep) is returned itself, as eagerly, not as
            # a new Tensor of its array
            parameter = isinstance(obj, Tensor) and obj.requires_grad and id(obj) in self.params
            name = self.name_of(obj) if isinstance(obj, (Tensor, np.ndarray)) else None
            if name is not None and not parameter:
                outputs.append(name)
                return _Output(len(outputs) - 1, tensor=isinstance(obj, Tensor))
            if isinstance(obj, (Tensor, np.ndarray)):
                # a parameter, or an array the tape did not compute (a constant): the object itself, as eagerly; the
                # next recording must return the same object (one the step makes anew on each call would be the
                # recording's on every replay, changes made to it included: such a step runs eagerly)
                self.refuse_view_of_own(obj.data if isinstance(obj, Tensor) else obj)
                self.signature.append(_Identical(obj))
                return obj
            if obj is not None and not isinstance(obj, str):
                self.refuse(f"the step returns a {type(obj).__name__} ({_short(obj)}), a value computed in Python "
                            "that a replay would repeat: return a Tensor (computed with labgrad's ops), or compute "
                            "it outside the step")
            self.signature.append(obj)        # a value of the recording: the next one must return the same
            return obj
        return _mapped(result, leaf), outputs

    def guard_code(self):
        """The guards as one function: every tensor the step read as a leaf keeps its array and its
        ``requires_grad``; every way the step reaches its objects leads to the same ones (see
        :meth:`note_bindings`); every module called keeps its attributes (see :meth:`watch`). A test per
        statement, each an attribute read and a comparison (the guards run before every replay: passes with
        ``map`` over tuples cost more, measured on the tiny net's step)."""
        checks = []
        for t, name in self.params.values():      # (the arrays the statements read, which may have been replaced)
            checks += [f"{self.tensor_name(t)}.data is {name}", f"{self.tensor_name(t)}.requires_grad is "
                       f"{t.requires_grad!r}"]
        for path, value in self.bound:
            root, key, entry = path
            value_name = self.constant_quiet(value, "bound")
            if entry is _NO_KEY and isinstance(root, types.CellType):
                checks.append(f"{self.constant_quiet(root, 'cell')}.cell_contents is {value_name}")
            elif entry is _NO_KEY and isinstance(root, dict) and isinstance(key, str):     # (a global)
                checks.append(f"{self.constant_quiet(root, 'names')}.get({key!r}) is {value_name}")
            else:
                checks.append(f"follow({self.constant_quiet(path, 'path')}) is {value_name}")
        # every module as the recording left it: one number each where the module counts the changes of its
        # attributes (nn's modules: ``revision``, noted by note_modules), else every attribute the same object, in
        # one pass over them all (a number written again is a change too: it records again)
        counted = [m for m in self.modules.values() if isinstance(getattr(m, "revision", None), int)]
        others = [m for m in self.modules.values() if not isinstance(getattr(m, "revision", None), int)]
        self.counted = counted
        self.namespace.update(attributes=tuple(vars(m) for m in others), values_of=dict.values,
                              chained=itertools.chain.from_iterable, follow=_follow)
        checks += [f"{self.constant_quiet(m, 'module')}.revision == revision{i}" for i, m in enumerate(counted)]
        self.note_modules()
        if others:
            checks += ["tuple(map(len, attributes)) == counts",
                       "all(map(is_, chained(map(values_of, attributes)), held))"]
        self.guard_checks = checks
        return ("def guards():\n    try:\n        return (" + "\n                and ".join(checks or ["True"]) + ")\n"
                "    except ValueError:            # (a closure variable deleted since: an empty cell)\n"
                "        return False\n")

    def entry_code(self, key, args):
        """The replay's way in: ``entry(*args)`` replays (the guards and the statements) and returns the step's
        result where the arguments give ``key`` (:meth:`CompiledStep._key`'s tests, written out for the
        arguments of this recording), else returns ``MISS``. A call of a compiled step tries the last entry
        used first: one generated function where a key would be built and looked up (what a tiny step's call
        costs, measured: see docs/performance.md)."""
        self.namespace.update(MISS=_MISS, ndarray=np.ndarray, open_blocks=open_blocks, thread_modes=thread_modes,
                              modes_key=_modes_key, value_key=_value_key, filled=self.filled)
        modes = key[0]                    # (0 for this thread's default modes: the usual call)
        checks = [("(not open_blocks.count or thread_modes.capture is None and modes_key() == 0)" if not modes else
                   "open_blocks.count and thread_modes.capture is None "
                   f"and modes_key() == {self.constant_quiet(modes, 'modes')}")]
        arrays, replayed = [], []
        for k, a in enumerate(args):
            if isinstance(a, Tensor):         # (its array, checked and replayed on)
                checks += [f"isinstance(a{k}, Tensor)", f"not a{k}.requires_grad"]
                a, name = a.data, f"a{k}.data"
            elif type(a) is np.ndarray:
                checks.append(f"type(a{k}) is ndarray")
                name = f"a{k}"
            else:
                checks.append(f"value_key(a{k}) == {self.constant_quiet(_value_key(a), 'argument')}")
                replayed.append(f"a{k}")
                continue
            checks += [f"{name}.shape == {a.shape!r}", f"{name}.dtype == {self.constant_quiet(a.dtype, 'dtype')}"]
            # one array passed twice where it was (a tape recorded with distinct arrays reads each argument by its
            # own name: it computes the same when they are one, as eagerly)
            same = next((other_name for other, other_name in arrays if other is a), None)
            if same is not None:
                checks.append(f"{name} is {same}")
            arrays.append((a, name))
            replayed.append(name)
        # the guards written in, not called (see guard_code), and a lone Tensor result made here, not by ``filled``:
        # each Python call a replay makes costs about a microsecond inside a tiny step (docs/performance.md)
        replay = f"replayed_{self.name}({', '.join(replayed)})"
        template = self.result_template
        if type(template) is _Output and template.tensor:
            self.namespace["wrap"] = Tensor.wrap
            result = f"wrap({replay}[{template.index}])"
        else:
            result = f"filled({replay})"
        body = [f"if len(args) == {len(args)}:"]
        if args:
            body.append(f"    {', '.join(f'a{k}' for k in range(len(args)))}, = args")
        body += ["    if (" + "\n            and ".join(checks) + "):",
                 "        try:",
                 "            guarded = (" + "\n                       and ".join(self.guard_checks or ["True"]) + ")",
                 "        except ValueError:    # (a closure variable deleted since: an empty cell)",
                 "            guarded = False",
                 "        if guarded:",
                 f"            return {result}",
                 "return MISS"]
        return "def entry(*args):\n" + "".join(f"    {line}\n" for line in body)

    def note_modules(self):
        """What the guards expect of the modules: as they are now (at the end of a recording, or after the
        eager step that confirmed it: a step that sets attributes and sets them back, ``model.eval()`` then
        ``model.train()``, leaves its modules' counts moved)."""
        ns = self.namespace
        ns.update((f"revision{i}", m.revision) for i, m in enumerate(self.counted))
        ns["counts"] = tuple(map(len, ns["attributes"]))
        ns["held"] = tuple(itertools.chain.from_iterable(map(dict.values, ns["attributes"])))
        self.noted = self.attributes()

    def revalidated(self):
        """After the guards failed: True if they hold once the modules' counts are taken anew, because every
        attribute of every module is still the very object it was when they were noted (the count moved and
        nothing else: ``model.eval()`` and ``model.train()`` between calls, as ``nn.fit``'s validation does)."""
        if any(_own_slots(type(m)) for m in self.modules.values()):
            return False                  # (attributes in slots, outside vars(): their changes are seen by the count)
        now = self.attributes()
        if now.keys() != self.noted.keys() or not all(map(_same_attributes, now.values(), self.noted.values())):
            return False
        self.note_modules()
        return self.guards_hold()

    def same_as(self, other):
        """(True, "") if ``other`` recorded the same step, else (False, the first difference)."""
        if self.lines != other.lines:
            for a, b in zip(self.lines + ["(the end)"], other.lines + ["(the end)"]):
                if a != b:
                    return False, f"the step did other work the second time ({a!r} then {b!r})"
        if len(self.signature) != len(other.signature):
            return False, "the step did other work the second time"
        for a, b in zip(self.signature, other.signature):
            if type(a) is _Identical and type(b) is _Identical and a != b:
                return False, (f"the step returns a value it makes anew on each call ({_short(a.obj)}, not "
                               "computed by labgrad's ops), which a replay would return itself on every call: make "
                               "it outside the step, or compute it with labgrad's ops")
            if not _same(a, b):
                return False, f"a value of the step changed between calls ({_short(a)} then {_short(b)})"
        return True, ""

    def returns_no_array_made_anew(self, other, result):
        """(True, "") unless ``result``, what the step returned at ``other`` (the next recording), shares memory
        with a constant array the step made anew: equal in both recordings but another object (``c =
        Tensor(np.ones(3))`` read by an op). A replay reads the recording's array as that constant on every call,
        so a caller's change to the returned value (``c``, ``c.detach()``, a view of it) would change the next
        replay's results; eagerly each call makes its own."""
        returned = [obj.data if isinstance(obj, Tensor) else obj for obj in _leaves(result)
                    if isinstance(obj, (Tensor, np.ndarray))]
        for a, b in zip(self.signature, other.signature):
            # (made anew: another object, not a view of the same memory, PE[:n] of a table say; and one a caller can
            # change: not read-only, as np.broadcast_to's views are)
            if (type(a) is np.ndarray and a is not b and b.flags.writeable and not np.may_share_memory(a, b)
                    and any(np.may_share_memory(b, r) for r in returned)):
                return False, (f"the step returns {_short(b)} that it makes anew on each call (or a view of it) and "
                               "its ops read as a constant, which a replay would read again on every call, changes "
                               "made to the returned value included: make it outside the step, or return a copy")
        return True, ""

    def run(self, arrays):
        """Replay on ``arrays`` (the arguments, Tensors as their arrays), unchecked: the step's result."""
        return self.filled(self.replay(*arrays))


class _Snapshot:
    """A copy of everything a replay of ``tape`` changes: its parameters' values and ``.grad``, the buffers
    of the modules it called, the state of the optimisers it stepped, its random generators.

    ``restore()`` puts it all back into the same arrays (views into an optimiser's buffers stay views);
    ``same_as(other, ...)`` compares two snapshots bit for bit and names the first difference.
    """

    def __init__(self, tape):
        tensors = {id(t): t for t, _ in tape.params.values()}
        for opt in tape.optimizers.values():        # (what it updates without the step reading it: weight decay)
            tensors.update((id(p), p) for group in opt.param_groups for p in group["params"])
        self.tensors = [(t, t.data.copy(), t.grad, None if t.grad is None else np.array(t.grad))
                        for t in tensors.values()]
        modules = tape.attributes().values()
        self.buffers = [(module, name, array, array.copy()) for module, attributes in modules
                        for name, array in attributes.items() if type(array) is np.ndarray]
        self.attributes = [(module, {k: v for k, v in attributes.items() if type(v) is not np.ndarray})
                           for module, attributes in modules]
        self.optimizers = [(opt, {p: {k: (v, np.array(v) if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                                  for p, s in opt.state.items()},
                            [{k: v for k, v in group.items() if k != "params"} for group in opt.param_groups])
                           for opt in tape.optimizers.values()]
        self.stateful = [(obj, obj.state_dict()) for obj in tape.stateful.values()]
        # (numpy's global state always: dropout without an rng draws from it)
        self.generators = [(g, _generator_state(g)) for g in [np.random, *tape.generators.values()]]

    def restore(self):
        # (a read-only array, a frozen constant's, nothing can have changed: not written)
        for t, data, grad, values in self.tensors:
            if t.data.flags.writeable:
                t.data[...] = data
            t.grad = grad
            if grad is not None and grad.flags.writeable:
                grad[...] = values
        for _, _, array, values in self.buffers:
            if array.flags.writeable:
                array[...] = values
        for obj, state in self.stateful:
            obj.load_state_dict(state)
        for opt, state, hyper in self.optimizers:
            for group, values in zip(opt.param_groups, hyper):
                group.update(values)
            opt.state.clear()
            for p, entries in state.items():
                for k, (obj, value) in entries.items():
                    if isinstance(obj, np.ndarray):
                        obj[...] = value
                opt.state[p] = {k: obj for k, (obj, _) in entries.items()}
        for g, state in self.generators:
            _set_generator_state(g, state)

    def same_as(self, other, result, other_result):
        """(True, "") if ``other`` (after the eager step) holds what this (after the replay) holds."""
        for (t, a, _, ga), (_, b, _, gb) in zip(self.tensors, other.tensors):
            if not _bitwise(a, b):
                return False, (f"a parameter of shape {t.shape} differs after a replay from the eager step: the step "
                               "changes it outside labgrad's ops and optimisers (p.data -= ..., numpy in place)")
            if not _bitwise(ga, gb):
                return False, (f"the .grad of a parameter of shape {t.shape} differs after a replay from the eager "
                               "step: the step changes it outside backward and the optimisers")
        for (module, name, _, a), (_, _, _, b) in zip(self.buffers, other.buffers):
            if not _bitwise(a, b):
                return False, (f"the buffer {name!r} of {type(module).__name__} differs after a replay from the "
                               "eager step")
        for (module, a), (_, b) in zip(self.attributes, other.attributes):
            for k in a.keys() | b.keys():
                if k not in a or k not in b or not (a[k] is b[k] or type(a[k]) in _LITERALS and _same(a[k], b[k])
                                                     or type(a[k]) is dict and _same_entries(a[k], b[k])):
                    return False, (f"the attribute {k!r} of {type(module).__name__} differs after a replay from the "
                                   "eager step: the step changes it in Python, which a replay does not repeat")
        for (opt, a, ha), (_, b, hb) in zip(self.optimizers, other.optimizers):
            if a.keys() != b.keys() or any(not _bitwise(a[p][k][1], b[p][k][1]) for p in a for k in a[p]):
                return False, f"the state of {type(opt).__name__} differs after a replay from the eager step"
            if not _bitwise(ha, hb):
                return False, (f"the hyperparameters of {type(opt).__name__} (lr, ...) differ after a replay from "
                               "the eager step: the step changes them in Python, which a replay does not repeat")
        for (obj, a), (_, b) in zip(self.stateful, other.stateful):
            if not _bitwise(a, b):
                return False, f"the state of {type(obj).__name__} differs after a replay from the eager step"
        for (g, a), (_, b) in zip(self.generators, other.generators):
            if not _bitwise(a, b):
                return False, ("a random generator is in another state after a replay than after the eager step: "
                               "the step draws random numbers outside labgrad's ops")
        arrays = (lambda x: x.data if isinstance(x, Tensor) else x)      # (a replay's Tensors against eager's)
        if not _bitwise(_mapped(result, arrays), _mapped(other_result, arrays)):
            return False, ("the step returned other values when replayed than when run eagerly: they are computed "
                           "outside labgrad's ops (from .data, or numpy on the batch)")
        return True, ""


def _same_entries(a, b):
    return a.keys() == b.keys() and all(a[k] is b[k] for k in a)


def _own_slots(cls):
    """Whether instances of ``cls`` keep attributes in slots of their own (beyond ``__dict__`` and ``revision``)."""
    names = (klass.__dict__.get("__slots__", ()) for klass in cls.__mro__)
    return any(name not in ("__dict__", "__weakref__", "revision")
               for slots in names for name in ((slots,) if isinstance(slots, str) else slots))


def _same_attributes(a, b):
    """Two entries of :meth:`Tape.attributes`: one module, each attribute the same object (a dict: its entries)."""
    (module, x), (other, y) = a, b
    return module is other and x.keys() == y.keys() and all(
        x[k] is y[k] or type(x[k]) is dict and type(y[k]) is dict and _same_entries(x[k], y[k]) for k in x)


def _generator_state(g):
    if g is np.random:
        return np.random.get_state(legacy=False)
    if isinstance(g, np.random.RandomState):
        return g.get_state(legacy=False)
    return g.bit_generator.state


def _set_generator_state(g, state):
    if g is np.random:
        np.random.set_state(state)
    elif isinstance(g, np.random.RandomState):
        g.set_state(state)
    else:
        g.bit_generator.state = state


def _leaves(result):
    """The values of ``result`` (a step's return value: tuples, lists and dicts of values), one by one."""
    if isinstance(result, (tuple, list)):
        for x in result:
            yield from _leaves(x)
    elif isinstance(result, dict):
        for x in result.values():
            yield from _leaves(x)
    else:
        yield result


def _mapped(result, leaf):
    """``result`` (a step's return value: tuples, lists and dicts of values) with ``leaf`` applied to each value."""
    if isinstance(result, (tuple, list)):
        items = [_mapped(x, leaf) for x in result]
        return type(result)(*items) if hasattr(result, "_fields") else type(result)(items)     # (a namedtuple)
    if isinstance(result, dict):
        return {k: _mapped(v, leaf) for k, v in result.items()}
    return leaf(result)


def _bitwise(a, b):
    """The same bits: arrays of one dtype and shape with equal bytes (nan is nan, -0.0 is not 0.0), else ``_same``."""
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_bitwise(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_bitwise(a[k], b[k]) for k in a)
    return _same(a, b)


# the names the generated functions use besides the builtins, their variables (r, a0, v3, g7: a digit at the end)
# and constants (a digit at the end too, or ``param0_tensor``): see Tape.entry_code and Tape.guard_code
_OWN_PREFIXES = frozenset({"a", "v", "g", "revision"})
"""What the generated code numbers itself: the arguments (a0), values (v3), gradients (g7), module counts."""

_GENERATED_NAMES = frozenset({"r", "guards", "entry", "filled", "wrap", "guarded", "MISS", "ndarray", "open_blocks",
                              "thread_modes", "modes_key", "value_key", "attributes", "values_of", "chained", "follow",
                              "counts", "held"})


def _free_name(name):
    """Whether a function or class may be put in a tape's namespace under its own ``name`` (if no other object
    holds it there): an identifier the generated code does not use otherwise."""
    return (name.isidentifier() and not keyword.iskeyword(name) and not name[-1].isdigit()
            and name not in _GENERATED_NAMES and not hasattr(builtins, name)
            and not name.endswith("_tensor") and not name.startswith("replayed_"))


def _nbytes(saved):
    """The bytes of the arrays in ``saved`` (what an op saved, its residuals): an array, or those of a tuple or list."""
    if type(saved) is np.ndarray:
        return saved.nbytes
    return sum(v.nbytes for v in saved if type(v) is np.ndarray) if isinstance(saved, (tuple, list)) else 0


def _takes_needs_input_grad(backward_fn):
    """Whether an op's ``backward_fn`` (of its ``residual_functions``) takes ``needs_input_grad``, by name."""
    try:
        return "needs_input_grad" in inspect.signature(backward_fn).parameters
    except (TypeError, ValueError):       # (a callable without a signature to read: a builtin's)
        return False


def _scalar(array):
    return array.ndim == 0 and array.dtype == np.float64


def _filled_in(code, operands, **names):
    """An op's ``scalar_code`` or ``array_code`` expression with its names (``a``, ``b``, ``c``, ``g``, ``out``)
    replaced by variables."""
    names.update(zip("abc", operands))
    return _template_of(code).format_map(names)


def _stated_code(op_class, attribute):
    """``(code, owner)``: ``op_class``'s ``scalar_code``, ``array_code`` or ``residual_functions`` and the class that
    states it, where that class also gives the ``forward`` and ``backward`` an op of ``op_class`` runs; ``(None,
    None)`` where a subclass overrides either (a user's ``Tanh`` with a clipped gradient: the expressions describe
    its parent's methods, not its own). (Not cached: it runs while a step is recorded, and a method may be patched
    between recordings.)"""
    owner = next((klass for klass in op_class.__mro__ if attribute in vars(klass)), None)
    if owner is None or vars(owner)[attribute] is None:
        return None, None
    if any(getattr(op_class, method) is not getattr(owner, method) for method in ("forward", "backward")):
        return None, None
    return vars(owner)[attribute], owner


def _with_deletes(lines, names):
    """``lines`` (the replay's statements) with ``del`` of each of ``names`` after the last statement that reads
    it: the replay then holds about as much memory as the eager step. (Not inside the ``if``/``else`` of the
    ``.grad`` writes: what is read there lives to the end.)"""
    last = {}
    for i, line in enumerate(lines):
        for name in re.findall(r"\b\w+\b", line):
            if name in names:
                last[name] = i
    dying = {}
    for name, i in last.items():
        if not (lines[i].startswith(" ") or lines[i].endswith(":")):      # (a statement of the function's own)
            dying.setdefault(i, []).append(name)
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        if i in dying and not line.startswith("return"):
            out.append("del " + ", ".join(sorted(dying[i], key=lambda n: (len(n), n))))
    return out


_NOT_CALLED = {"a", "b", "c", "g", "out", "np", "if", "else", "and", "or", "not", "None", "True", "False"}


def _called_names(code):
    """The names other than the operands and ``np`` in an op's ``array_code`` (helpers of its module)."""
    return {name for expr in code for name in re.findall(r"(?<![\w.])([A-Za-z_]\w*)", expr)} - _NOT_CALLED


_OPERAND = re.compile(r"\b(a|b|c|g|out)\b")
_CALLED_OPERAND = re.compile(_OPERAND.pattern + r"\s*\(")


def _writable(code, n_inputs):
    """Whether an op's ``scalar_code`` or ``array_code`` can be filled in for an op of ``n_inputs`` inputs: an
    expression for the output, naming inputs only, and one per input's gradient, and no operand name called as a
    function (a helper of the op's module named ``g``): else the op is called through its methods."""
    if not isinstance(code, (tuple, list)) or len(code) != 1 + n_inputs or not all(type(e) is str for e in code):
        return False
    inputs = set("abc"[:n_inputs])
    return (set(_OPERAND.findall(code[0])) <= inputs
            and all(set(_OPERAND.findall(e)) <= inputs | {"g", "out"} for e in code[1:])
            and not any(_CALLED_OPERAND.search(e) for e in code))


@functools.lru_cache(maxsize=None)
def _template_of(code):
    """``code`` as a format string: ``"g * b"`` -> ``"{g} * {b}"`` (once per expression)."""
    code = code.replace("{", "{{").replace("}", "}}")
    return _OPERAND.sub(r"{\1}", code)


class _Replayed:
    """How a replay does one recorded op: the name of its variable (its residuals, or its op object), and its
    written-out ``code`` (``(expressions, operands, on_numbers)``) or the name of its ``backward`` function (and
    whether that takes ``needs_input_grad``); kept by the tape, not on the op, whose attributes users see."""
    __slots__ = ("name", "code", "backward", "needs")

    def __init__(self, name):
        self.name, self.code, self.backward, self.needs = name, None, None, False


class _Input:
    """What a replayed op may ask of an input besides its array (``needs_input_grad``): whether it wants a
    gradient."""
    __slots__ = ("requires_grad",)

    def __init__(self, requires_grad):
        self.requires_grad = requires_grad


def _new_op(op_class, inputs):
    """A new op object for one replay of a recorded op (see :meth:`Tape.record_op`)."""
    op = op_class()
    op.parents = inputs
    return op


def _forward_of(op, shapes, /, *arrays, **params):
    """``op.forward(*arrays, **params)`` in a replay, for a recorded op of inputs of ``shapes`` (see
    :meth:`Tape.record_op`); its ValueError or TypeError named as :meth:`Function.apply` names it."""
    try:
        return op.forward(*arrays, **params)
    except (ValueError, TypeError) as e:
        raise named_error(op, shapes, e) from e


class _Identical:
    """A tape's signature entry equal only to one of the same object (a returned parameter or constant, see
    :meth:`Tape._template`: a replay returns that object)."""
    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return self.obj is other.obj

    __hash__ = None


class _Output:
    __slots__ = ("index", "tensor")

    def __init__(self, index, tensor=True):
        self.index, self.tensor = index, tensor


def _filler(template):
    """``outputs -> the replay's result`` for a step that returns ``template`` (see :func:`_filled`); a lone
    Tensor, the usual loss, without a walk over the template."""
    if type(template) is _Output and template.tensor:
        return lambda outputs, index=template.index: Tensor.wrap(outputs[index])
    return functools.partial(_filled, template)


def _filled(template, outputs):
    """The replay's result: ``template`` with each :class:`_Output` replaced by its array (or a Tensor of it)."""
    def leaf(obj):
        if type(obj) is not _Output:
            return obj
        array = outputs[obj.index]
        return Tensor.wrap(array) if obj.tensor else array
    return _mapped(template, leaf)


def _same(a, b):
    """Equal for a replay: the same object, equal arrays (dtype and shape too), equal values."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:                     # (an object without a usable ==)
        return False


_NO_KEY = object()
_MISS = object()                          # what a tape's entry returns for a call it does not replay


def _step_into(root, key):
    """``root``'s entry ``key`` (a dict's) or, with ``key`` None, a closure variable's value or ``root`` itself."""
    if isinstance(root, types.CellType):
        try:
            return root.cell_contents
        except ValueError:                # (a variable not set)
            return None
    return root if key is None else root.get(key)


@functools.lru_cache(maxsize=256)
def _names_in(code):
    """The global names ``code`` reads, its nested functions', comprehensions' and lambdas' too (not its
    attribute names: ``opt.step()`` reads no global ``step``). Cached: a code object does not change, and
    reading its bytecode takes 0.2 ms of every recording (a tiny net's: 2-3 ms)."""
    names = {i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.update(_names_in(const))
    return frozenset(names)


def _entries(holder):
    """``(key, value)`` of a dict's entries, a list's items or an object's attributes (read when a step is
    recorded; [] for an object without a ``__dict__``)."""
    if isinstance(holder, list):
        return list(enumerate(holder))
    try:
        entries = holder if isinstance(holder, dict) else vars(holder)
    except Exception:                     # (no __dict__, or a __getattr__ that raises its own error)
        return []
    return list(entries.items()) if isinstance(entries, dict) else []


def _entry(holder, key):
    """``holder``'s entry ``key`` now, as :func:`_entries` found it (None if it has none): one lookup."""
    if isinstance(holder, list):
        return holder[key] if key < len(holder) else None
    if isinstance(holder, dict):
        return holder.get(key)
    try:
        entries = vars(holder)
    except Exception:
        return None
    return entries.get(key) if isinstance(entries, dict) else None


def _follow(path):
    """Where a path of :meth:`Tape.note_bindings` leads now (None where it leads nowhere)."""
    root, key, entry = path
    value = _step_into(root, key)
    return value if entry is _NO_KEY or value is None else _entry(value, entry)


def _modes_of(modes):
    return modes.grad_enabled, modes.anomaly, bool(modes.forward_levels)


_DEFAULT_MODES = _modes_of(type(thread_modes))      # (the class's: what every thread starts with)


def _modes_key():
    """The modes a replay is keyed on, where some mode block is open (``open_blocks.count``): 0, as where none is,
    if this thread's are the defaults: another thread's block (its own step being recorded, say), or blocks of
    this thread's that leave its modes at the defaults (``enable_grad()`` inside ``no_grad()``), give no tapes of
    their own."""
    modes = _modes_of(thread_modes)
    return 0 if modes == _DEFAULT_MODES else modes


def _value_key(value):
    """What a hashable argument's key holds: its type and value, and for a float its bits (-0.0 is not 0.0 to a
    replay, which writes the recorded one; a nan equals the next nan)."""
    if isinstance(value, (float, complex, np.inexact)):
        return type(value), np.asarray(value).tobytes()
    if isinstance(value, tuple):                      # (a namedtuple too)
        return type(value), tuple(map(_value_key, value))
    return type(value), value


def _short(obj):
    if type(obj) is np.ndarray:
        return f"an array of shape {obj.shape}" + (f" = {obj.item()!r}" if obj.size == 1 else "")
    text = repr(obj)
    return text if len(text) <= 60 else text[:57] + "..."


def _frames_in_this_file():
    """The ``stacklevel`` that points a warning at the first caller outside this file (the user's call)."""
    level, frame = 2, sys._getframe(2)   # (1: the function that warns; 2: its caller, and so on)
    while frame is not None and frame.f_code.co_filename == __file__:
        level += 1
        frame = frame.f_back
    return level


@functools.lru_cache(maxsize=None)
def _in_library(filename):
    """True for a file of autograd or nn (their own reads of .data and .grad are their business)."""
    return os.path.abspath(filename).startswith(_LIBRARY)


def _where():
    """``file:line`` of the innermost frame outside autograd and nn: the user's line."""
    frame = sys._getframe(1)
    while frame is not None:
        if not _in_library(frame.f_code.co_filename):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "(unknown)"


# --- .data and .grad read by the step itself -------------------------------------------------

class _ReadsWatched:
    """While open (in any thread), ``Tensor.data`` and ``Tensor.grad`` are properties that tell a recording
    tape when the step's own code (not autograd's or nn's) reads them: a value taken into Python (an
    accuracy, an ``if``, an update by hand on ``.data``) that a replay would not compute again.

    The slots themselves stay where they are; the properties read and write them, and are put back
    when the last recording in any thread ends.
    """
    lock = threading.Lock()
    open = 0
    slots = {name: Tensor.__dict__[name] for name in ("data", "grad")}

    def __enter__(self):
        with self.lock:
            if _ReadsWatched.open == 0:
                for name, slot in self.slots.items():
                    setattr(Tensor, name, _watched(slot, name))
            _ReadsWatched.open += 1

    def __exit__(self, *exc):
        with self.lock:
            _ReadsWatched.open -= 1
            if _ReadsWatched.open == 0:
                for name, slot in self.slots.items():
                    setattr(Tensor, name, slot)


def _watched(slot, name):
    def read(t):
        if open_blocks.count and thread_modes.capture is not None:
            thread_modes.capture.read_by(sys._getframe(1).f_code.co_filename, f".{name} of a tensor read")
        return slot.__get__(t)

    def write(t, value):
        if open_blocks.count and thread_modes.capture is not None:
            thread_modes.capture.read_by(sys._getframe(1).f_code.co_filename, f".{name} of a tensor set")
        slot.__set__(t, value)
    return property(read, write, doc=slot.__doc__)


# --- the compiled step ---------------------------------------------------------------------

class CompiledStep:
    """A step function that records itself and then replays; made by :func:`compile`.

    Attributes
    ----------
    code : str
        The replayed function's source (of the last tape used), "" before there is one.
    replays, recordings : int
        How many calls were replayed, and how many recorded (eagerly).
    """

    def __init__(self, fn, fullgraph=False):
        if not callable(fn):
            raise TypeError(f"compile: expects the step function, got {type(fn).__name__}")
        self.fn = fn
        self.fullgraph = bool(fullgraph)
        self.name = getattr(fn, "__name__", "step")
        if not self.name.isidentifier():
            self.name = "step"
        self.tapes = {}                   # key -> a Tape to replay, or the first recording, or None: eager
        self.replays = self.recordings = 0
        self.code = ""
        self.eager = False                # set once the step cannot be captured at all
        self.said = set()                 # the reasons for running eagerly already warned about (_said_once)
        self.misses = {}                  # key -> guard failures in a row
        self.signature = None             # fn's, once called with arguments by name
        self.plans = {}                   # (number of positional arguments, names) -> where the named ones go
        self.entry = None                 # the entry of the tape replayed last (see Tape.entry_code), tried first
        functools.update_wrapper(self, fn)

    def __get__(self, instance, owner=None):
        """``@autograd.compile`` on a method: refused with the way that works (a compiled step shared by every
        instance would key on each and keep it alive)."""
        if instance is None:
            return self
        raise TypeError(f"compile: {self.name} is compiled as a method of {type(instance).__name__}; compile the "
                        f"bound method instead, once per instance: self.{self.name} = autograd.compile(self._"
                        f"{self.name}) in __init__ (and def _{self.name}(self, ...) in the class)")

    def __call__(self, *args, **kwargs):
        entry = self.entry                # (read once: another thread's recording may set it to None meanwhile)
        if entry is not None and not kwargs:
            try:
                result = entry(*args)
            except BaseException:         # (the replay refused the call, bad labels say: a replay all the same)
                self.replays += 1
                raise
            if result is not _MISS:
                self.replays += 1
                return result
        if kwargs:                        # (by name: placed where fn's parameters put them)
            positional = self._positional(args, kwargs)
            if positional is None:        # (keyword-only, or not to be placed: eagerly, said once)
                return self.fn(*args, **kwargs)
            args = positional
        if self.eager or (open_blocks.count and thread_modes.capture is not None):
            return self.fn(*args)         # (inside another step's recording: its ops are that step's to record)
        if open_blocks.count and thread_modes.forward_levels:     # (a replay would give values without tangents)
            self._said_once("forward-mode tangents are not replayed (a call inside autograd.forward_ad.dual_level "
                            "or a forward-mode transform)", args)
            return self.fn(*args)
        if open_blocks.count and thread_modes.anomaly:    # (a replay checks no op's output for nan or inf)
            self._said_once("anomaly detection is not replayed (a call inside autograd.detect_anomaly)", args)
            return self.fn(*args)
        key = self._key(args)
        if type(key) is str:              # arguments a replay cannot be guarded on: eager
            self._said_once(key, args)
            return self.fn(*args)
        state = self.tapes.get(key)
        if state is False:                # this key runs eagerly (said once)
            return self.fn(*args)
        if state is not None and (state.guards_hold() or state.revalidated()):
            if state.verified:
                self.replays += 1
                self.misses.pop(key, None)
                self.entry = state.entry  # (the next call with such arguments goes straight in)
                return state.run([a.data if isinstance(a, Tensor) else a for a in args])
            return self._record(key, args, first=state)
        if state is not None:             # a guard failed: record again, unless it fails call after call
            self.misses[key] = self.misses.get(key, 0) + 1
            if self.misses[key] > MAX_MISSES:
                self._give_up(f"its guards failed on {MAX_MISSES + 1} calls in a row: something the step's "
                              "modules or parameters hold changes on every call (an attribute set in the step, "
                              "p.data replaced, a module switched between train and eval?)", None, args, key=key)
                return self.fn(*args)
        if len(self.tapes) >= MAX_TAPES and key not in self.tapes:
            self._said_once(f"{MAX_TAPES} different argument shapes were recorded already", args)
            return self.fn(*args)
        return self._record(key, args, first=None)      # (new, or a guard failed: record from scratch)

    def _positional(self, args, kwargs):
        """``args`` and ``kwargs`` as the positional arguments of the same call of ``fn``, or None (said once: the
        call runs eagerly) where ``fn`` takes some by keyword only, or where its signature cannot place them (a
        wrong call then raises ``fn``'s own TypeError after the warning; with ``fullgraph``, the CaptureError)."""
        plan = self.plans.get((len(args), tuple(kwargs)))
        if plan is not None:              # (as the first such call placed them: each name, or its default)
            return args + tuple(kwargs[name] if name in kwargs else default for name, default in plan)
        if self.signature is None:
            self.signature = inspect.signature(self.fn)
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as e:            # (a wrong call: fn raises its own error; or a signature that a decorator
            bound, what = None, f"its arguments by name cannot be placed ({e})"      # words otherwise: eagerly)
        else:
            bound.apply_defaults()        # (a default skipped before a named argument: its value in its place)
            what = (f"it takes arguments by keyword only ({', '.join(bound.kwargs)}), which a replay is not keyed "
                    "on") if bound.kwargs else None
        if what is not None:
            self._said_once(what, args)
            return None
        names = list(self.signature.parameters)[len(args):len(bound.args)]
        self.plans[(len(args), tuple(kwargs))] = tuple((name, bound.arguments[name]) for name in names)
        return bound.args

    def _key(self, args):
        """What the arguments must share with the recording's: shapes and dtypes, or the values themselves."""
        parts = [open_blocks.count and _modes_key()]
        arrays = []
        for k, a in enumerate(args):
            if isinstance(a, Tensor):
                if a.requires_grad:
                    return (f"argument {k} is a tensor that requires grad (the step's arguments are data: arrays, "
                            "Tensors without grad, hashable values)")
                a = a.data
                parts.append(("T", a.shape, a.dtype))
                arrays.append(a)
            elif type(a) is np.ndarray:
                parts.append((a.shape, a.dtype))
                arrays.append(a)
            else:
                try:
                    hash(a)
                except TypeError:
                    return (f"argument {k} is a {type(a).__name__}, which cannot be compared with the recording's "
                            "(pass arrays, Tensors or hashable values)")
                parts.append(_value_key(a))
        if len(arrays) > 1 and len(set(map(id, arrays))) < len(arrays):
            # one array passed twice (step(X, X)): the recording cannot tell which argument a statement read, so
            # such calls get tapes of their own
            parts.append(tuple(next(j for j, b in enumerate(arrays) if b is a) for a in arrays))
        return tuple(parts)

    def _record(self, key, args, first):
        """Run the step eagerly, recording it. The first recording waits; at the second, the first is
        replayed, everything it changed put back, and the step run eagerly: both must do the same."""
        self.entry = None                 # (found again through the key once this recording is done)
        if first is not None:
            before = _Snapshot(first)
            try:
                replayed_result = first.run([a.data if isinstance(a, Tensor) else a for a in args])
            except Exception as e:        # (the eager step below says what is wrong, if anything)
                before.restore()
                self._give_up(f"its replay raised {type(e).__name__}: {e}", None, args, key=key)
                return self.fn(*args)
            after_replay = _Snapshot(first)
            before.restore()
            del before                    # (its copies need not live through the eager step: a lower peak)
        tape = Tape(self.name, len(args))
        for k, a in enumerate(args):
            if isinstance(a, Tensor):
                tape.bind_argument(k, a.data)
            elif type(a) is np.ndarray:
                tape.bind_argument(k, a)
        open_blocks.add(1)
        thread_modes.capture = tape
        try:
            with _ReadsWatched():
                result = self.fn(*args)
        finally:
            thread_modes.capture = None
            open_blocks.add(-1)
        self.recordings += 1
        if tape.refused is None:
            tape.note_bindings(self.fn, args, result)
            tape.finish(result, key, args, build=first is None)
        if tape.refused is not None:
            what, where = tape.refused
            self._give_up(what, where, args, every_key=True)
            return result
        if first is None:
            self.tapes[key] = tape        # replayed once the next call agrees
            return result
        same, difference = first.same_as(tape)
        if same:
            same, difference = first.returns_no_array_made_anew(tape, result)
        if same:
            same, difference = after_replay.same_as(_Snapshot(first), replayed_result, result)
        if not same:
            self._give_up(difference, None, args, key=key)
            return result
        first.verified = True
        first.note_modules()
        self.code = first.code
        return result

    def _said_once(self, what, args):
        """Such calls run eagerly: a warning once for each reason (``fullgraph``: a CaptureError on every call).
        The reason's text is what is remembered, so a reason that names an argument is said once per name; a
        warning per call would drown a training loop."""
        if self.fullgraph or what not in self.said:
            self.said.add(what)
            self._give_up(what, None, args)

    def _give_up(self, what, where, args, every_key=False, key=None):
        shapes = ", ".join(str(a.shape) for a in args if isinstance(a, (Tensor, np.ndarray)))
        scope = ("it runs eagerly from now on" if every_key else
                 f"it runs eagerly for arguments of shapes {shapes} from now on" if key is not None else
                 "such calls run eagerly")
        text = (f"compile: {self.name} cannot be replayed: {what}" + (f", at {where}" if where else "")
                + f"; {scope} (correct, just not faster)")
        if self.fullgraph:
            raise CaptureError(text)
        warnings.warn(text, CaptureWarning, stacklevel=_frames_in_this_file())
        if every_key:
            self.eager, self.entry = True, None
        elif key is not None:
            self.tapes[key], self.entry = False, None

    def __repr__(self):
        return (f"<compiled {self.name}: {len(self.tapes)} tape(s), {self.recordings} recorded, "
                f"{self.replays} replayed{', eager' if self.eager else ''}>")


def compile(fn=None, *, fullgraph=False):
    """Capture ``fn`` (a training step) once and replay it as straight-line numpy calls.

    Parameters
    ----------
    fn : callable
        The step: called with numpy arrays or Tensors (a batch) and hashable values;
        it may call models, losses, ``backward`` and an optimiser's ``zero_grad`` and
        ``step``, and return Tensors (the loss, the outputs), arrays, None or strings (tuples, lists and
        dicts of them).
    fullgraph : bool
        Raise :class:`CaptureError` for a step that cannot be captured, instead of
        running it eagerly with a :class:`CaptureWarning` (as ``torch.compile``): on every
        such call, before it runs where its arguments or modes refuse it, after the
        recording (the eager step) where the step's own work does.

    Returns
    -------
    CompiledStep
        Called like ``fn`` (arguments by position or by name; as a method, with its
        instance). Tensors it returns hold the replay's values and no graph.

    See the module docstring for what is recorded, what is guarded and what is not
    captured. Usable as a decorator, with or without arguments.
    """
    if fn is None:
        return functools.partial(compile, fullgraph=fullgraph)
    return CompiledStep(fn, fullgraph=fullgraph)
