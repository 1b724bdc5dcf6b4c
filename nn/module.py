"""``Module`` and ``Parameter``: the containers every layer and model is built from.

A module registers what it is given by plain assignment: a :class:`Parameter`
becomes one of its parameters, a :class:`Module` one of its children, and an
array passed to :meth:`Module.register_buffer` a buffer (state that is saved
but not trained, like BatchNorm's running statistics). Names are dotted paths
from the root (``"0.weight"``, ``"layers.2.bias"``), stable across runs.

Registered values also live in the instance ``__dict__``, so ``self.weight``
in a ``forward`` is an ordinary attribute read: the module machinery adds
next to nothing to the hot path (``__call__`` is ``forward`` plus one type
check of the first argument, see below).

Input dtype: a module computes in the dtype of its parameters (float32 unless
built or converted otherwise, see :meth:`Module.to`). A float **numpy array**
passed as the first argument of a module call is cast to that dtype where it
enters, so ``model(X / 255.0)`` (float64) runs in float32 as the model does,
not silently in float64 at half the speed. Integer and bool arrays (labels,
indices) and Tensors are passed on unchanged. A float Tensor that requires
grad and meets parameters of another dtype (in ``Linear``, ``BatchNorm1d``) is
an error naming both dtypes; convert one side (``x.astype(np.float32)`` or
``model.double()``).

Graph pictures: no op is tagged at run time (zero cost). Modules are recovered
from the dotted parameter names instead: ``autograd.viz.draw(loss,
names=dict(model.named_parameters()), group_by_module=True)`` puts the ops that
consume ``"layers.2.weight"`` in a cluster for module ``"layers.2"``.

>>> import numpy as np
>>> import nn
>>> class Net(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.hidden = nn.Linear(3, 4, rng=0)
...         self.out = nn.Linear(4, 1, rng=1)
...     def forward(self, x):
...         return self.out(self.hidden(x).relu())
>>> net = Net()
>>> [name for name, p in net.named_parameters()]
['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
>>> net(np.ones((2, 3), dtype=np.float32)).shape
(2, 1)
>>> net
Net(
  (hidden): Linear(in_features=3, out_features=4, bias=True)
  (out): Linear(in_features=4, out_features=1, bias=True)
)
"""
from collections import namedtuple

import numpy as np

from autograd import Tensor
from autograd.capture import is_capturing, replayed, replayed_method
from autograd.modes import open_blocks, thread_modes
from autograd.checks import boolean, dtype_and_device, float_dtype
from nn.init import aligned_copy

__all__ = ["Module", "Parameter", "LoadResult"]


class Parameter(Tensor):
    """A Tensor that a :class:`Module` registers as trainable: ``requires_grad=True`` by default.

    >>> import nn
    >>> w = nn.Parameter([1.0, 2.0])
    >>> w.requires_grad, w.is_leaf
    (True, True)
    """
    __slots__ = ()

    def __init__(self, data, requires_grad=True, dtype=None, name=None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


# bumped whenever a parameter, buffer or submodule is added to or removed from any module: the key of
# each module's cached dtype source (see Module._float_dtype)
_structure_version = [0]
_UNSET = object()               # (an attribute not set yet: any value is a change)

LoadResult = namedtuple("LoadResult", ["missing_keys", "unexpected_keys"])
LoadResult.__doc__ = "What ``load_state_dict(strict=False)`` skipped: names missing from / unknown to the model."


def _indent(text, spaces=2):
    """Indent every line but the first (for nested reprs)."""
    return text.replace("\n", "\n" + " " * spaces)


class Module:
    """Base class of layers and models: subclass it, assign parts in ``__init__``, write ``forward``.

    Attributes
    ----------
    training : bool
        True in training mode (the default), False after :meth:`eval`. Dropout
        and BatchNorm behave differently in the two modes.
    revision : int
        A count that changes whenever an attribute of this module is set to another
        object or deleted (its parameters, buffers and submodules, its training flag,
        its hyperparameters): what the guards of a step compiled by
        :func:`autograd.compile` compare, one number per module. Read-only: setting or deleting
        it raises.
    """
    # (revision in a slot, outside the attributes it counts; a slot is read in C: the guards read one per
    # module before every replay, 5x faster than a property)
    __slots__ = ("__dict__", "__weakref__", "revision")

    def __new__(cls, *args, **kwargs):
        module = super().__new__(cls)
        object.__setattr__(module, "revision", 0)       # (before __init__: a subclass may never call Module's)
        module.__dict__["_dtype_source"] = [None]       # (the cache of _float_dtype, filled in place)
        return module

    def __init__(self):
        d = self.__dict__
        d["_parameters"] = {}         # name -> Parameter (or None: a slot like a disabled bias)
        d["_buffers"] = {}            # name -> ndarray
        d["_modules"] = {}            # name -> Module
        d["training"] = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def __setstate__(self, state):
        """Unpickling and ``copy``: the attributes as they were, and the revision (past __setattr__, which
        refuses it)."""
        attributes, slots = state if isinstance(state, tuple) else (state, None)
        self.__dict__.update(attributes or {})
        for name, value in (slots or {}).items():
            object.__setattr__(self, name, value)

    def _count_change(self):
        # (getattr: a subclass whose __new__ skips Module's starts at 0 here)
        object.__setattr__(self, "revision", getattr(self, "revision", 0) + 1)

    def __call__(self, *args, **kwargs):
        if open_blocks.count and thread_modes.capture is not None:   # (a step being recorded: guard this module)
            thread_modes.capture.watch(self)
        if args and type(args[0]) is np.ndarray:     # the only check Tensors pay for: one type test
            x = self.cast_input(args[0])
            if x is not args[0] and is_capturing():  # (recorded: a replay casts its own batch)
                x = replayed(self.cast_input, args[0])
            args = (x,) + args[1:]
        return self.forward(*args, **kwargs)

    def cast_input(self, x):
        """``x`` cast to this module's float dtype if it is a float numpy array of another dtype.

        What a call does to its first argument (and ``nn.fit``/``evaluate``/``predict``
        to every batch). Anything else (integer or bool arrays, Tensors, modules
        without float parameters) is returned unchanged.

        >>> import numpy as np, nn
        >>> layer = nn.Linear(2, 1)
        >>> layer.cast_input(np.ones(2)).dtype, layer.cast_input(np.arange(2)).dtype
        (dtype('float32'), dtype('int64'))
        """
        if type(x) is np.ndarray and x.dtype.kind == "f":
            dtype = self._float_dtype()
            if dtype is not None and x.dtype != dtype:
                return x.astype(dtype)
        return x

    def _float_dtype(self):
        """dtype of the first float parameter or buffer, depth first (None if there is none).

        Which entry that is gets cached until a parameter, buffer or submodule is
        added or removed anywhere (the entry itself is read each time, so ``p.data``
        changed in place or by ``to()`` is seen): a call on an array pays ~0.3 us,
        not the ~3 us of the walk.
        """
        cache = self.__dict__.get("_dtype_source")
        if type(cache) is not list:       # (a module whose __dict__ was replaced, or unpickled from before)
            cache = self.__dict__["_dtype_source"] = [None]
        cached = cache[0]
        if cached is None or cached[0] != _structure_version[0]:
            # filled in place, in one assignment: the module's attributes stay the very objects they were, so a
            # compiled step's check of its replay against the eager step (which compares them) is not thrown by
            # a module built meanwhile, here or in another thread
            cached = cache[0] = (_structure_version[0], self._find_dtype_source())
        source = cached[1]
        if source is None:
            return None
        owner, registry, name = source
        value = owner.__dict__[registry].get(name)
        if value is None or value.dtype.kind != "f":          # set to None or an int array since: look again
            source = self._find_dtype_source()
            return None if source is None else source[0].__dict__[source[1]][source[2]].dtype
        return value.dtype

    def _find_dtype_source(self):
        """``(module, registry, name)`` of the first float parameter or buffer, depth first, or None."""
        stack, seen = [self], set()
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            d = m.__dict__
            for registry in ("_parameters", "_buffers"):
                for k, v in d[registry].items():
                    if v is not None and v.dtype.kind == "f":
                        return m, registry, k
            stack.extend(c for c in reversed(d["_modules"].values()) if c is not None)
        return None

    # --- registration -----------------------------------------------------------------
    def __setattr__(self, name, value):
        if name == "revision":
            raise AttributeError(f"{type(self).__name__}.revision is the module's own count of attribute changes "
                                 "(see Module); name your attribute otherwise")
        d = self.__dict__
        params, buffers, modules = d.get("_parameters"), d.get("_buffers"), d.get("_modules")
        if params is None:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(f"cannot assign {type(value).__name__} {name!r} before Module.__init__() "
                                     f"runs: call super().__init__() first in {type(self).__name__}.__init__")
        else:
            if isinstance(value, Parameter):
                target = params
            elif isinstance(value, Module):
                target = modules
            elif name in buffers:
                if value is not None and not isinstance(value, np.ndarray):
                    raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to buffer "
                                    f"{name!r} (numpy array or None expected)")
                target = buffers
            elif name in modules and value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to submodule "
                                f"{name!r} (a Module or None expected)")
            elif name in params:
                if value is not None:
                    raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to parameter "
                                    f"{name!r} (nn.Parameter or None expected; to change its values in place "
                                    f"use self.{name}.data[...] = ...)")
                target = params
            else:
                target = None
            for registry in (params, buffers, modules):
                if registry is not target and name in registry:
                    del registry[name]
                    _structure_version[0] += 1
            if target is not None:
                if name not in target:
                    _structure_version[0] += 1
                target[name] = value
        if d.get(name, _UNSET) is not value:
            self._count_change()
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if name == "revision":
            raise AttributeError(f"{type(self).__name__}.revision is the module's own count of attribute changes "
                                 "(see Module): it cannot be deleted")
        for key in ("_parameters", "_buffers", "_modules"):
            if self.__dict__.get(key, {}).pop(name, None) is not None:
                _structure_version[0] += 1
        object.__delattr__(self, name)
        self._count_change()

    def register_buffer(self, name, array):
        """Register ``array`` (an ndarray, or None) as saved, untrained state named ``name``."""
        self._register("_buffers", "buffer", name, array, np.ndarray, "a numpy array")

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None: an empty slot such as a disabled bias) as ``name``."""
        self._register("_parameters", "parameter", name, param, Parameter, "an nn.Parameter")

    def _register(self, registry, kind, name, value, cls, what):
        """Put ``value`` (a ``cls`` or None) in ``registry`` under ``name``; errors name the method."""
        if registry not in self.__dict__:
            raise AttributeError(f"cannot register {kind} {name!r} before Module.__init__() runs")
        method = f"{type(self).__name__}.register_{kind}"
        if not isinstance(name, str):
            raise TypeError(f"{method}: name must be a str, got {type(name).__name__}; pass e.g. 'weight'")
        if not name or "." in name:
            raise ValueError(f"{method}: invalid name {name!r}; use a non-empty name without dots")
        if name in self.__dict__ and name not in self.__dict__[registry]:
            raise ValueError(f"{method}: attribute {name!r} already exists")
        if value is not None and not isinstance(value, cls):
            raise TypeError(f"{method}: {name!r} must be {what} or None, got {type(value).__name__}")
        self.__dict__[registry][name] = value
        _structure_version[0] += 1
        self._count_change()
        object.__setattr__(self, name, value)

    # --- traversal --------------------------------------------------------------------
    def named_modules(self, prefix="", remove_duplicate=True):
        """``(dotted name, module)`` for this module (name ``prefix``) and all below.

        Each module once, under its first name; ``remove_duplicate=False`` gives a module
        used in several places under each of its names (as ``state_dict`` lists it).
        """
        seen, stack = set(), [(prefix, self, ())]
        while stack:
            name, m, above = stack.pop()
            if id(m) in seen if remove_duplicate else id(m) in above:     # (a module inside itself: once)
                continue
            seen.add(id(m))
            above += (id(m),)
            yield name, m
            children = [(f"{name}.{k}" if name else k, c, above) for k, c in m._modules.items() if c is not None]
            stack.extend(reversed(children))          # pre-order, in registration order

    def modules(self):
        """This module and every module below it."""
        return (m for _, m in self.named_modules())

    def named_children(self):
        """``(name, module)`` for the direct children, in registration order (each once)."""
        seen = set()
        for k, c in self._modules.items():
            if c is not None and id(c) not in seen:
                seen.add(id(c))
                yield k, c

    def children(self):
        return (c for _, c in self.named_children())

    def _named_members(self, registry):
        seen = set()
        for prefix, m in self.named_modules():
            for k, v in m.__dict__[registry].items():
                if v is None or id(v) in seen:
                    continue
                seen.add(id(v))
                yield (f"{prefix}.{k}" if prefix else k), v

    def named_parameters(self):
        """``(dotted name, Parameter)`` for every parameter, each once (shared ones under their first name)."""
        return self._named_members("_parameters")

    def parameters(self):
        """Every parameter, each once: what an optimiser takes."""
        return (p for _, p in self.named_parameters())

    def named_buffers(self):
        return self._named_members("_buffers")

    def buffers(self):
        return (b for _, b in self.named_buffers())

    # --- modes and gradients ------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode on this module and all below (``mode=False``: evaluation); returns self."""
        mode = boolean(mode, "mode", f"{type(self).__name__}.train")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    @replayed_method                 # (in a step recorded by autograd.compile: every replay does it too)
    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (``None``, or zeros if ``set_to_none=False``)."""
        for p in self.parameters():
            p.zero_grad(set_to_none)

    # --- dtype ------------------------------------------------------------------------------
    def to(self, *args, dtype=None, device=None):
        """Convert every float parameter, gradient and buffer to ``dtype`` in place; returns self.

        As PyTorch's ``module.to(torch.float64)``: ``model.to(np.float64)``,
        ``model.to("float64")``, ``model.to(dtype=np.float64)``. Integer buffers
        (``num_batches_tracked``) keep their dtype. labgrad runs on the CPU only:
        ``to("cpu")`` is accepted and does nothing, any other device is an error.
        An optimiser built before the conversion (with its default flat buffers)
        notices it at its next ``step()`` or ``zero_grad()``: it lays its buffers
        out again in the new dtype and casts its state (Adam's moments, SGD's
        momentum) to it.

        >>> import nn
        >>> layer = nn.Linear(2, 3).to(np.float64)
        >>> layer.weight.dtype, layer.double() is layer
        (dtype('float64'), True)
        """
        name = f"{type(self).__name__}.to"
        dtype = dtype_and_device(args, name, dtype, device)
        if dtype is None:
            return self
        resolved = float_dtype(dtype, "dtype", name)
        for _, m in self.named_modules():
            for k, p in m._parameters.items():
                if p is not None and p.dtype.kind == "f" and p.dtype != resolved:
                    p.data = aligned_copy(p.data, resolved)
                    if p.grad is not None:
                        p.grad = p.grad.astype(resolved)
            for k, b in list(m._buffers.items()):
                if b is not None and b.dtype.kind == "f" and b.dtype != resolved:
                    setattr(m, k, aligned_copy(b, resolved))
        return self

    def float(self):
        """``to(np.float32)``, in place; returns self."""
        return self.to(np.float32)

    def double(self):
        """``to(np.float64)``, in place; returns self."""
        return self.to(np.float64)

    # --- saving and loading -------------------------------------------------------------
    def _state_entries(self):
        """name -> (owner module, attribute, current array) for every parameter and buffer."""
        entries = {}
        for prefix, m in self.named_modules(remove_duplicate=False):   # a shared layer under each name
            for registry in ("_parameters", "_buffers"):
                for k, v in m.__dict__[registry].items():
                    name = f"{prefix}.{k}" if prefix else k
                    if v is not None and name not in entries:
                        entries[name] = (m, k, v.data if isinstance(v, Tensor) else v)
        return entries

    def state_dict(self):
        """Copies of every parameter and buffer as numpy arrays, keyed by dotted name.

        >>> import nn
        >>> {k: v.shape for k, v in nn.Linear(3, 2).state_dict().items()}
        {'weight': (3, 2), 'bias': (2,)}
        """
        return {name: np.array(array, copy=True) for name, (_, _, array) in self._state_entries().items()}

    def load_state_dict(self, state, strict=True):
        """Copy values from ``state`` (name -> array or Tensor) into the parameters and buffers.

        Every name, shape and dtype is checked before anything is written: on any
        problem a ValueError lists the missing, unexpected, mis-shaped and
        uncastable entries and the module is left unchanged. Values are cast to
        the model's dtypes (``same_kind`` casting, so float64 -> float32 is fine).

        Parameters
        ----------
        state : mapping
        strict : bool
            If False, names missing from ``state`` or unknown to the model are
            skipped (and reported in the result) instead of refused; shapes must
            still match.

        Returns
        -------
        LoadResult
            ``(missing_keys, unexpected_keys)``, both empty when ``strict``.
        """
        strict = boolean(strict, "strict", f"{type(self).__name__}.load_state_dict")
        entries = self._state_entries()
        missing = [k for k in entries if k not in state]
        unexpected = [k for k in state if k not in entries]
        problems, values = [], {}
        for name, (_, _, current) in entries.items():
            if name not in state:
                continue
            value = state[name]
            try:
                value = np.asarray(value.data if isinstance(value, Tensor) else value)
            except (ValueError, TypeError) as e:
                problems.append(f"{name}: not an array ({e})")
                continue
            if value.shape != current.shape:
                hint = ""
                if value.ndim == 2 and value.shape == current.shape[::-1]:
                    owner = entries[name][0]
                    hint = (f"; {type(owner).__name__}.weight is (in, out) in labgrad, PyTorch's is (out, in): "
                            "transpose it (w.T)") if hasattr(owner, "in_features") else " (transposed?)"
                problems.append(f"{name}: expected shape {current.shape}, got {value.shape}{hint}")
            elif not np.can_cast(value.dtype, current.dtype, casting="same_kind"):
                problems.append(f"{name}: cannot cast dtype {value.dtype} to {current.dtype}")
            else:
                values[name] = value
        if problems or (strict and (missing or unexpected)):
            parts = []
            if strict and missing:
                parts.append(f"missing keys {missing}")
            if strict and unexpected:
                parts.append(f"unexpected keys {unexpected}")
            parts += problems
            raise ValueError(f"{type(self).__name__}.load_state_dict: nothing was loaded: " + "; ".join(parts))
        for name, value in values.items():
            m, k, current = entries[name]
            fresh = aligned_copy(value, current.dtype)   # (aligned, as the layers make them)
            if k in m._parameters:
                m._parameters[k].data = fresh
            else:
                setattr(m, k, fresh)
        return LoadResult(missing if not strict else [], unexpected if not strict else [])

    # --- display ------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside the parentheses of this module's repr (its settings)."""
        return ""

    def __repr__(self):
        lines = [f"({k}): {_indent(repr(c))}" for k, c in self.named_children()]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"
