"""Optimisers (SGD, Adam, AdamW) and learning-rate schedules (StepLR, CosineAnnealingLR).

The updates follow PyTorch's documented algorithms exactly. A step works on
``p.data`` in place with numpy (no graph, no Tensors made), and skips
parameters whose ``grad`` is None.

>>> import numpy as np
>>> import nn
>>> from autograd import Tensor
>>> w = nn.Parameter(np.array([1.0, -2.0]))
>>> opt = nn.optim.SGD([w], lr=0.1)
>>> loss = (w * w).sum()            # gradient 2 w
>>> loss.backward()
>>> opt.step()
>>> w.data                          # w - 0.1 * 2 w
array([ 0.8, -1.6])
>>> opt.zero_grad()
>>> w.grad is None
True

Parameters can also be given as groups with their own settings:
``SGD([{"params": body.parameters()}, {"params": head.parameters(), "lr": 0.1}], lr=0.01)``.

**Flat buffers.** An optimiser keeps the parameters of each group (of each dtype in
the group) side by side in one buffer, and their gradients and each state array
(Adam's moments, SGD's momentum) in one more each, so that a step is a few numpy
calls over whole buffers rather than a few per parameter, with the same values.
What users see:

- From the moment the optimiser is built, ``p.data`` is a view into its buffer: build
  the optimiser before keeping ``p.data`` arrays (one fetched earlier is no longer the
  parameter). ``opt.state[p]``'s arrays are views too.
- ``p.grad`` stays the array backward made (``step()`` copies it into the buffer), so
  gradients kept step after step are distinct arrays.
- ``opt.zero_grad()`` sets every ``.grad`` to None, as PyTorch's default does: a
  parameter the next loss does not reach has no gradient and ``step()`` skips it.
  ``opt.zero_grad(set_to_none=False)`` zeros the gradient buffer and makes each ``.grad``
  that is not None a view into it, which backward adds into (as PyTorch accumulates):
  every parameter that had a gradient is updated, with zeros if the loss did not reach it.
- What is replaced from outside is noticed at the next ``step()``: a ``p.data``
  assigned anew (``model.load_state_dict``, ``model.to(dtype)``, by hand), a ``.grad`` or
  a state array assigned by hand. A copied (``copy.deepcopy``, ``pickle``) model and
  optimiser train together, as the originals do.
- A step refused (a ``.grad`` of the wrong shape or type) changes nothing.

``foreach`` (PyTorch's flag for updating many parameters in one call): ``None`` (default)
or ``True`` for flat buffers, ``False`` for a plain loop over the parameters that leaves
their arrays where they are. ``fused`` (PyTorch's flag) says how the ``y += a * x``
updates (and the running averages ``y = a * x + b * y``) run: BLAS ``axpy`` (``axpby``)
in one pass or numpy's two (see :class:`Optimizer`).

>>> a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.ones(3))
>>> opt = nn.optim.SGD([a, b], lr=0.1)
>>> a.data.base is b.data.base               # views into one buffer
True
"""
import functools
import math
import numbers
import operator

import numpy as np

from autograd import Tensor
from autograd.capture import replayed_method
from autograd.checks import boolean, positive_int, real_number
from nn import blas
from nn.blas import axpby, axpy
from nn.init import ALIGNMENT, aligned_copy, empty_aligned
from nn.module import Module

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "LRScheduler", "StepLR", "CosineAnnealingLR"]


def _aligned_zeros(like):
    """Zeros of the shape and dtype of array ``like``, in aligned memory (updated in place every step)."""
    zeros = empty_aligned(like.shape, like.dtype)
    zeros.fill(0)
    return zeros


_LARGE_BYTES = 1 << 17
"""A parameter of this many bytes or more whose gradient backward made anew (after ``zero_grad()``) is
updated on its own, from that gradient: copying it into the flat buffer would cost more than the few
numpy calls of its own update."""


class _Flat:
    """The parameters of one group that share a dtype, laid out side by side in one buffer per kind of array.

    Parameter ``i`` (small ones first, see ``_LARGE_BYTES``; otherwise in the group's
    order) occupies ``spans[i]`` of every buffer (values ``data``, gradients ``grad``,
    each state array, the work arrays) and starts on a 64-byte boundary, as aligned
    arrays do (see :func:`nn.init.empty_aligned`); the gaps between parameters hold
    zeros, which the elementwise updates keep at zero (zero gradient, zero state).
    """

    def __init__(self, params, dtype):
        small = [p for p in params if p.data.nbytes < _LARGE_BYTES]
        self.params = small + [p for p in params if p.data.nbytes >= _LARGE_BYTES]
        self.n_small = len(small)
        per_line = max(1, ALIGNMENT // dtype.itemsize)
        self.spans, self.shapes, end = [], [], 0
        for p in self.params:
            self.spans.append((end, end + p.data.size))
            self.shapes.append(p.data.shape)
            end += -(-p.data.size // per_line) * per_line
        self.starts = [a for a, _ in self.spans] + [end]    # where the first k parameters end: starts[k]
        self.data = empty_aligned((end,), dtype)
        self.data.fill(0)
        self.grad = _aligned_zeros(self.data)
        self.data_views = self.views(self.data)
        self.grad_views = self.views(self.grad)
        self.small = list(zip(self.params, self.grad_views))[:self.n_small]     # (parameter, gradient view)
        self.large = list(zip(self.params, self.grad_views))[self.n_small:]
        # what Optimizer._gathered returns when every gradient is new: the large ones are updated on their own
        self.large_apart = None if not self.large else [True] * self.n_small + [False] * len(self.large)
        self.state = {}              # state key -> (buffer, views), made when first asked for
        self.work = None             # two work buffers, made when first asked for

    def views(self, buffer):
        """Every parameter's part of ``buffer``, shaped as the parameter."""
        return [buffer[a:b].reshape(shape) for (a, b), shape in zip(self.spans, self.shapes)]

    def part(self, lo, hi, *buffers):
        """The part of each buffer that parameters ``lo`` to ``hi - 1`` occupy (the whole buffers when all)."""
        if lo == 0 and hi == len(self.params):
            return buffers
        a, b = self.starts[lo], self.starts[hi]
        return [None if x is None else x[a:b] for x in buffers]

    def state_buffer(self, key):
        """``(buffer, views)`` of state array ``key`` (zeros when first asked for)."""
        found = self.state.get(key)
        if found is None:
            buffer = _aligned_zeros(self.data)
            found = self.state[key] = (buffer, self.views(buffer))
        return found

    def work_buffers(self):
        """``(a, b, views of a, views of b)``: two work buffers an update computes in (not state)."""
        if self.work is None:
            a, b = empty_aligned(self.data.shape, self.data.dtype), empty_aligned(self.data.shape, self.data.dtype)
            self.work = (a, b, self.views(a), self.views(b))
        return self.work


class Optimizer:
    """Base class: holds parameter groups and per-parameter state; subclasses write the updates.

    A subclass writes ``_update(p, grad, group)`` (one parameter) and, for the flat buffers
    (see the module's docstring), ``_update_flat(flat, group, lo, hi)`` (parameters ``lo`` to
    ``hi - 1`` of one flat layout at once; returning False hands them to ``_update`` one by one).

    Attributes
    ----------
    param_groups : list of dict
        Each has ``"params"`` (a list of Parameters) and the hyper-parameters
        (``"lr"``, ...); a schedule changes ``group["lr"]``.
    state : dict
        Per-parameter state (momentum buffers, Adam moments, step counts), keyed by the Parameter.
        With flat buffers its arrays are views into them: change them in place, or assign new
        arrays (copied into the buffers at the next step).
    defaults : dict
        The hyper-parameters given to the constructor, ``fused`` and ``foreach``.
    fused : None or bool
        PyTorch's flag: how the ``y += a * x`` updates and the running averages
        ``y = a * x + b * y`` run (see :func:`nn.blas.axpy`, :func:`nn.blas.axpby`).
        ``None`` (default): BLAS for large arrays where it is reachable, else
        numpy's two passes; ``False``: numpy's two passes always; ``True``: BLAS for
        every array it can take, and a ValueError here if it cannot be reached for the
        parameters' dtypes. As in PyTorch it is in ``defaults``; unlike PyTorch it is not
        copied into each parameter group nor saved by :meth:`state_dict`: it says how
        this process computes, not what is learned, so a checkpoint loads into an
        optimiser built with any setting.
    foreach : None or bool
        PyTorch's flag for updating many parameters in one call. ``None`` (default) or
        ``True``: flat buffers, one update per group and dtype (the module's docstring);
        ``False``: a loop over the parameters, each updated on its own, their arrays left
        where they are. Like ``fused``, in ``defaults`` only, and not saved.
    """
    state_keys = {}          # per-parameter state: key -> "array" (of the parameter's shape) or "count"

    def __init__(self, params, *, fused=None, foreach=None, **hyper):
        name = type(self).__name__
        if fused is not None:
            fused = boolean(fused, "fused", name, hint="pass None (BLAS where reachable), True or False")
        if foreach is not None:
            foreach = boolean(foreach, "foreach", name,
                              hint="pass None or True (flat buffers), or False (a loop over the parameters)")
        if isinstance(params, Module):        # (a Module is not iterable: the error would be obscure)
            raise TypeError(f"{name}: got a Module; pass model.parameters()")
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of Parameters (e.g. model.parameters()), "
                            "got a single Tensor; wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.fused, self.foreach = fused, foreach
        self.defaults = {**hyper, "fused": fused, "foreach": foreach}
        seen = set()
        groups = [self._checked_group(group, hyper, seen) for group in groups]
        if fused:
            self._require_blas(name, [p for group in groups for p in group["params"]])
        self.state = {}
        self._scratch = {}           # per-parameter work arrays of the loop over parameters (not state)
        self.param_groups = []
        self._flats = []             # per group: its _Flat layouts, one per dtype ([] with foreach=False)
        self._slots = {}             # parameter -> (its _Flat, its index there)
        for group in groups:
            self._append(group)

    def _checked_group(self, group, hyper, seen):
        """``group`` completed with ``hyper`` and checked; ``seen``: ids of parameters already in a group."""
        name = type(self).__name__
        group = {**hyper, **group}
        unknown = set(group) - set(hyper) - {"params"}
        if unknown:
            raise ValueError(f"{name}: unknown hyper-parameters {sorted(unknown)} in a parameter group")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: expected Parameters/Tensors, got {type(p).__name__}")
            if not (p.is_leaf and p.requires_grad):
                raise ValueError(f"{name}: can only optimise leaf tensors that require grad "
                                 f"(got one of shape {p.shape})")
            if id(p) in seen:
                raise ValueError(f"{name}: a parameter of shape {p.shape} appears more than once")
            seen.add(id(p))
        self._check(group)
        return {**group, "params": params}

    def _append(self, group):
        self.param_groups.append(group)
        self._flats.append([])
        if self.foreach is not False:
            self._flatten(len(self.param_groups) - 1, "__init__")

    def add_param_group(self, param_group):
        """Add a group of parameters: a dict with ``"params"`` and any hyper-parameters, the
        others taken from the constructor's (as PyTorch's ``add_param_group``).

        >>> import numpy as np, nn
        >>> opt = nn.optim.SGD([nn.Parameter(np.zeros(2))], lr=0.1)
        >>> opt.add_param_group({"params": [nn.Parameter(np.zeros(3))], "lr": 0.01})
        >>> [group["lr"] for group in opt.param_groups]
        [0.1, 0.01]
        """
        name = type(self).__name__
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{name}.add_param_group: expected a dict with 'params' (and hyper-parameters), "
                            f"got {type(param_group).__name__}; pass e.g. {{'params': head.parameters(), 'lr': 0.1}}")
        hyper = {k: v for k, v in self.defaults.items() if k not in ("fused", "foreach")}
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        group = self._checked_group(param_group, hyper, seen)
        if self.fused:
            self._require_blas(name, group["params"])
        self._append(group)

    def _require_blas(self, name, params):
        """``fused=True``: BLAS axpy must be reachable for every parameter's dtype, else a ValueError saying why."""
        dtypes = sorted({str(p.dtype) for p in params})
        missing = [d for d in dtypes if not blas.available(d)]
        if missing:
            raise ValueError(f"{name}: fused=True needs BLAS axpy for the parameters' dtype "
                             f"{', '.join(missing)}, and there is none here ({blas.describe()}); "
                             "pass fused=None to use it where it is reachable, or fused=False")

    def _check(self, group):
        """Validate one group's hyper-parameters (TypeError/ValueError naming the optimiser)."""

    # --- the flat buffers ----------------------------------------------------------------
    def _flatten(self, index, caller):
        """Lay group ``index`` out in flat buffers (one per dtype), from its parameters' arrays now.

        Values and state arrays are copied in and replaced by views (gradients are copied
        in at each step); a state array whose shape is not its parameter's is a ValueError
        (naming ``caller``) raised before anything changes.
        """
        params = self.param_groups[index]["params"]
        arrays = [k for k, kind in self.state_keys.items() if kind == "array"]
        for p in params:
            for k, v in (self.state.get(p) or {}).items():
                if k in arrays and np.shape(v) != p.data.shape:
                    raise ValueError(f"{type(self).__name__}.{caller}: a parameter of shape {p.data.shape} has "
                                     f"state {k!r} of shape {np.shape(v)} (was its .data replaced by an array of "
                                     "another shape?); build a new optimiser for the new parameters")
        by_dtype = {}
        for p in params:
            by_dtype.setdefault(p.data.dtype, []).append(p)
        flats = []
        for dtype, members in by_dtype.items():
            flat = _Flat(members, dtype)
            for i, p in enumerate(flat.params):
                flat.data_views[i][...] = p.data
                p.data = flat.data_views[i]
                state = self.state.get(p) or {}
                for k in arrays:
                    if k in state:
                        view = flat.state_buffer(k)[1][i]
                        view[...] = state[k]
                        state[k] = view
                self._slots[p] = (flat, i)
            flats.append(flat)
        self._flats[index] = flats

    def _synced(self, index, caller):
        """Group ``index``'s flat layouts, laid out anew if some ``p.data`` was replaced since
        (``model.load_state_dict``, ``model.to(dtype)``, ``p.data = ...``): its values are kept."""
        flats = self._flats[index]
        for flat in flats:
            for p, view in zip(flat.params, flat.data_views):
                if p.data is not view:
                    self._flatten(index, caller)
                    return self._flats[index]
        return flats

    def __setstate__(self, state):
        """After ``copy.deepcopy`` or ``pickle``, whose copies of the views no longer share the copied
        buffers' memory (``p.data`` would be updated nowhere): lay those groups out again, from the
        copied values and state."""
        self.__dict__.update(state)
        for index, flats in enumerate(self._flats):
            if any(not np.may_share_memory(flat.data_views[0], flat.data) for flat in flats):
                self._flatten(index, "__setstate__")

    def _gathered(self, flat):
        """Check every gradient of ``flat.params`` and copy those made anew (by backward after
        ``zero_grad()``, or by hand) into ``flat.grad``; ``.grad`` stays the caller's array.

        Returns None when every gradient is now in the buffer (the usual case), else a list
        saying for each parameter whether its gradient is: not when it is None (the parameter
        is skipped), nor for a large parameter's fresh gradient (updated where it is, see
        ``_LARGE_BYTES``).
        """
        ready = None
        for i, (p, view) in enumerate(flat.small):
            grad = p.grad
            if grad is view:                  # (after zero_grad(set_to_none=False): backward added into it)
                continue
            if grad is None:
                if ready is None:
                    ready = [True] * len(flat.params)
                ready[i] = False
                continue
            if type(grad) is not np.ndarray or grad.shape != view.shape:
                self._check_grad(p, grad)
            try:
                np.copyto(view, grad, casting="same_kind")    # (a float64 gradient of a float32 parameter: cast)
            except TypeError:                                 # (complex, object: not a real gradient)
                self._check_grad(p, grad)
                raise
        for i, (p, view) in enumerate(flat.large, flat.n_small):
            grad = p.grad
            if grad is view:
                continue
            if grad is not None and (type(grad) is not np.ndarray or grad.shape != view.shape
                                     or grad.dtype.kind not in "fiu"):
                self._check_grad(p, grad)
            if ready is None:
                ready = [True] * len(flat.params)
            ready[i] = False
        return ready

    def _runs(self, flat, ready):
        """``(lo, hi)`` of each run of consecutive parameters of ``flat`` that one update over a part of
        the buffers can take: their gradients in the buffer (``ready``, see :meth:`_gathered`) and their
        states alike (:meth:`_state_kind`: all new, or Adam's step counts equal)."""
        kind, state = self._state_kind, self.state
        if ready is None and not state:
            return ((0, len(flat.params)),)   # (no state at all, SGD without momentum: one update)
        kinds = [kind(state.get(p)) for p in flat.params]
        if ready is None and kinds.count(kinds[0]) == len(kinds):
            return ((0, len(kinds)),)         # (the usual case: one update over the whole buffers)
        runs, lo = [], None
        for i, k in enumerate(kinds):
            if lo is not None and (k != kinds[lo] or not (ready is None or ready[i])):
                runs.append((lo, i))
                lo = None
            if lo is None and (ready is None or ready[i]):
                lo = i
        if lo is not None:
            runs.append((lo, len(kinds)))
        return runs

    @staticmethod
    def _state_kind(state):
        """What must be equal in the states of parameters updated at once: whether they have any."""
        return bool(state)

    def _check_grad(self, p, grad):
        """A ``.grad`` assigned by hand must be a real numpy array of its parameter's shape."""
        name = f"{type(self).__name__}.step"
        if isinstance(grad, Tensor):
            raise TypeError(f"{name}: a .grad holds a Tensor; gradients are numpy arrays: assign p.grad = g.data")
        if not isinstance(grad, (np.ndarray, np.generic)) or np.asarray(grad).dtype.kind not in "fiu":
            raise TypeError(f"{name}: a .grad holds a {type(grad).__name__} of dtype "
                            f"{getattr(grad, 'dtype', None)}; gradients are real numpy arrays: "
                            "assign p.grad = np.asarray(...)")
        if np.shape(grad) != p.data.shape:
            raise ValueError(f"{name}: the .grad of a parameter of shape {p.data.shape} has shape {np.shape(grad)}; "
                             "assign a gradient of the parameter's shape, or None to skip it")

    def _slot(self, p):
        """``(flat, index)`` of ``p`` in a flat layout that still holds its values, or None."""
        slot = self._slots.get(p)
        if slot is not None and p.data is slot[0].data_views[slot[1]]:
            return slot
        return None

    def _state_zeros(self, p, key):
        """A new state array of zeros for ``p``: its part of the flat state buffer, or an array of its own."""
        slot = self._slot(p)
        if slot is None:
            return _aligned_zeros(p.data)
        view = slot[0].state_buffer(key)[1][slot[1]]
        view.fill(0)
        return view

    def _work(self, p):
        """Two work arrays of ``p``'s shape and dtype for its own update (its parts of the flat work buffers)."""
        slot = self._slot(p)
        if slot is not None:
            flat, i = slot
            _, _, a, b = flat.work_buffers()
            return a[i], b[i]
        work = self._scratch.get(p)
        if work is None or work[0].shape != p.data.shape or work[0].dtype != p.data.dtype:
            work = self._scratch[p] = (empty_aligned(p.shape, p.dtype), empty_aligned(p.shape, p.dtype))
        return work

    def _flat_states(self, flat, lo, hi):
        """The state dicts of ``flat.params[lo:hi]`` (states alike, see :meth:`_runs`) if one update can serve
        them all: ``[]`` when none has state yet, the list of them, their arrays made views into the flat
        buffers, when all have; None otherwise."""
        states = [self.state.get(p) for p in flat.params[lo:hi]]
        if not states[0]:
            return []
        for k, kind in self.state_keys.items():
            if kind != "array":
                continue
            views = flat.state_buffer(k)[1][lo:hi]
            for s, view in zip(states, views):
                array = s.get(k)
                if array is view:
                    continue
                if array is None or np.shape(array) != view.shape:
                    return None               # (the update of that parameter alone says what is wrong)
                view[...] = array             # a state array assigned by hand: its values, in the buffer
                s[k] = view
        return states

    # --- the public methods --------------------------------------------------------------
    @replayed_method(stateful=True)           # (a step recorded by autograd.compile: every replay does it too)
    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient: ``None`` (the default, as PyTorch), or zeros if ``set_to_none=False``.

        With flat buffers, ``set_to_none=False`` zeros the whole gradient buffer in one call and
        makes each ``.grad`` a view into it (a parameter without a gradient keeps None, as in
        PyTorch): backward then accumulates into the buffer and ``step()`` copies nothing.
        """
        if set_to_none:
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad = None
            return
        if self.foreach is False:
            for group in self.param_groups:
                for p in group["params"]:
                    p.zero_grad(False)
            return
        for index in range(len(self.param_groups)):
            for flat in self._synced(index, "zero_grad"):
                flat.grad.fill(0)
                for p, view in zip(flat.params, flat.grad_views):
                    if p.grad is not None:
                        p.grad = view

    @replayed_method(stateful=True, after_backward="step_after_backward")
    def step(self):
        """Update every parameter that has a gradient, in place.

        Every gradient is checked before any parameter changes: a refused step changes nothing.
        """
        if self.foreach is False:
            for group in self.param_groups:
                for p in group["params"]:
                    grad = p.grad
                    if grad is not None:
                        self._update(p, grad, group)
            return
        gathered = [(group, flat, self._gathered(flat))
                    for index, group in enumerate(self.param_groups) for flat in self._synced(index, "step")]
        for group, flat, ready in gathered:
            self._update_gathered(flat, group, ready)

    def _update_gathered(self, flat, group, ready):
        """Update the parameters of ``flat`` once their gradients are gathered (``ready``: see :meth:`_gathered`)."""
        for lo, hi in self._runs(flat, ready):
            if not self._update_flat(flat, group, lo, hi):
                for p in flat.params[lo:hi]:
                    self._update(p, p.grad, group)
        if ready is not None:             # the skipped (grad None), and large ones with a fresh gradient
            for p, in_buffer in zip(flat.params, ready):
                if not in_buffer and p.grad is not None:
                    self._update(p, p.grad, group)

    def step_after_backward(self, grads):
        """For :func:`autograd.compile`: what a replay calls instead of ``step()`` right after its backward gave
        every ``.grad`` a new array.

        ``grads`` maps each tensor the recorded backward wrote a gradient to, to that gradient
        (asked while the step is recorded, after its ``step()`` ran: the layouts are current).
        The result is a function of no arguments. Where every parameter has such a gradient of
        its own shape and dtype, it does what ``step()`` does then, without the checks the replay
        has made already (its guards keep each ``p.data``, hence the flat layouts; it computes
        gradients of the recorded shapes and dtypes): it copies the small parameters' gradients
        into the flat buffers, updates them (the large ones from their own ``.grad``, as
        ``step()`` does) and returns True. It returns False, having changed nothing, for the
        replay to call ``step()`` itself: where the recording's gradients were not those, with
        ``foreach=False``, or where ``param_groups`` no longer holds the same group dicts (one
        replaced, added, removed), from then on. (A function either way: the replay's statements
        do not depend on it, so a group added between the two recordings that check each other
        does not tell them apart.)
        """
        fresh = self.foreach is not False
        for flat in (flat for flats in self._flats for flat in flats):
            for p, view in zip(flat.params, flat.grad_views):
                g = grads.get(p)
                if g is None or g.shape != view.shape or g.dtype != view.dtype:
                    fresh = False
        return functools.partial(self._step_fresh_grads, tuple(self.param_groups) if fresh else None)

    def _step_fresh_grads(self, groups):
        """``step()`` where every parameter's ``.grad`` is a new array of its shape and dtype and each ``p.data``
        is still its view (see :meth:`step_after_backward`): True; False where ``groups`` is None or no longer
        the parameter groups, or ``foreach`` is False."""
        if groups is None or self.foreach is False or len(self.param_groups) != len(groups) or not all(
                map(operator.is_, self.param_groups, groups)):
            return False
        for group, flats in zip(groups, self._flats):
            for flat in flats:
                for p, view in flat.small:
                    view[...] = p.grad        # (same shape and dtype: np.copyto's Python dispatch costs 2.8x this)
                # no state and no large parameter apart (SGD without momentum): one update over the whole buffers,
                # as _runs would say, without its two calls (2-3 us of a tiny net's replayed step, measured)
                if flat.large_apart is None and not self.state and self._update_flat(flat, group, 0, len(flat.params)):
                    continue
                self._update_gathered(flat, group, flat.large_apart)
        return True

    def _update(self, p, grad, group):
        """Update ``p`` in place; per-parameter state, if any, lives in ``self.state[p]`` (a dict)."""
        raise NotImplementedError

    def _update_flat(self, flat, group, lo, hi):
        """Update ``flat.params[lo:hi]`` (gradients in ``flat.grad``, states alike, see :meth:`_runs`) in one
        go over their part of the buffers (:meth:`_Flat.part`) and return True; or return False, changing
        nothing, to have them updated one by one."""
        return False

    # --- saving and loading -------------------------------------------------------------
    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [...]}`` with copies of the arrays.

        Parameters are numbered in order across the groups, as in PyTorch.
        """
        index, groups = {}, []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index[p] = len(index)
                ids.append(index[p])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[p]: {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in s.items()}
                 for p, s in self.state.items() if p in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned; on any mismatch raise ValueError and change nothing."""
        name = type(self).__name__
        try:
            groups, state = state_dict["param_groups"], state_dict["state"]
        except (KeyError, TypeError):
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups'") from None
        if not isinstance(groups, (list, tuple)) or not all(isinstance(g, dict) for g in groups) \
                or not isinstance(state, dict) or not all(isinstance(s, dict) for s in state.values()):
            raise ValueError(f"{name}.load_state_dict: 'param_groups' must be a list of dicts and 'state' "
                             "a dict of dicts (as state_dict() returns)")
        params = [p for group in self.param_groups for p in group["params"]]
        sizes = [len(g["params"]) for g in self.param_groups]
        if [len(g.get("params", ())) for g in groups] != sizes:
            raise ValueError(f"{name}.load_state_dict: parameter groups of sizes "
                             f"{[len(g.get('params', ())) for g in groups]} do not match this optimiser's {sizes}")
        new_state = {}
        for i, s in state.items():
            if not isinstance(i, numbers.Integral) or not 0 <= i < len(params):
                raise ValueError(f"{name}.load_state_dict: state for unknown parameter index {i!r}")
            new_state[params[i]] = self._checked_state(s, params[i], i)
        new_groups = []
        for mine, theirs in zip(self.param_groups, groups):
            hyper = {k: v for k, v in theirs.items() if k != "params"}
            missing = sorted(set(mine) - set(hyper) - {"params", "initial_lr"})
            if missing:
                raise ValueError(f"{name}.load_state_dict: a parameter group lacks {missing} "
                                 f"(a state_dict of another optimiser?)")
            try:
                self._check(hyper)
            except TypeError as e:                # (a refused load is a ValueError, whatever is wrong)
                raise ValueError(f"{name}.load_state_dict: {e}") from None
            new_groups.append({**hyper, "params": mine["params"]})
        self.param_groups, self.state = new_groups, new_state
        if self.foreach is not False:             # (the loaded arrays, checked already: into the buffers)
            for index in range(len(self.param_groups)):
                self._flatten(index, "load_state_dict")

    def _checked_state(self, s, p, i):
        """One parameter's loaded state, checked against ``state_keys`` and cast to its dtype."""
        name = type(self).__name__
        unknown = sorted(set(s) - set(self.state_keys))
        missing = sorted(set(self.state_keys) - set(s))
        if unknown or (s and missing and len(self.state_keys) > 1):
            raise ValueError(f"{name}.load_state_dict: state of parameter {i} has keys {sorted(s)}, "
                             f"expected {sorted(self.state_keys)}")
        checked = {}
        for k, v in s.items():
            if self.state_keys[k] == "count":
                if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 0:
                    raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {i} must be a "
                                     f"non-negative int, got {v!r}")
                checked[k] = int(v)
                continue
            try:
                v = np.asarray(v.data if isinstance(v, Tensor) else v)
            except (ValueError, TypeError) as e:
                raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {i} is not an array ({e})") from None
            if v.shape != p.shape or v.dtype.kind not in "iuf":
                raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {i} has shape {v.shape} "
                                 f"and dtype {v.dtype}, the parameter has shape {p.shape} (real numbers)")
            checked[k] = aligned_copy(v, p.dtype)         # (a copy: the caller's arrays stay theirs)
        return checked

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and L2 weight decay.

    PyTorch's algorithm, for each parameter ``p`` with gradient ``g`` at step t::

        g = g + weight_decay * p
        if momentum:
            b = g                                  (t = 1)
            b = momentum * b + (1 - dampening) * g (t > 1)
            g = g + momentum * b  if nesterov else  b
        p = p - lr * g

    The updates are in place, over each group's flat buffers (see :mod:`nn.optim`), and
    ``p -= lr g`` is one pass over memory (BLAS ``axpy`` for large arrays, see :mod:`nn.blas`),
    as PyTorch's ``p.add_(g, alpha=-lr)``; ``fused=False`` gives numpy's two passes,
    ``fused=True`` requires BLAS (see :class:`Optimizer`).
    """

    state_keys = {"momentum_buffer": "array"}

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0, *, fused=None,
                 foreach=None):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                         weight_decay=weight_decay, fused=fused, foreach=foreach)

    def _check(self, group):
        for key in ("lr", "momentum", "dampening", "weight_decay"):
            if key in group:
                group[key] = real_number(group[key], key, "SGD", low=0)
        if "nesterov" in group:
            group["nesterov"] = boolean(group["nesterov"], "nesterov", "SGD")
        if group.get("nesterov") and (group.get("momentum", 0) <= 0 or group.get("dampening", 0) != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0; set them, or nesterov=False")

    def _update(self, p, grad, group):
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        g = grad + wd * p.data if wd else grad          # a new array: p.grad keeps the true gradient
        if momentum:
            state = self.state.setdefault(p, {})        # (plain SGD keeps no state)
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = self._state_zeros(p, "momentum_buffer")
                buf[...] = g
            else:
                axpby(1 - group["dampening"], g, momentum, buf, self.fused)   # b = momentum b + (1 - d) g
            g = g + momentum * buf if group["nesterov"] else buf
        axpy(-lr, g, p.data, self.fused)                # p -= lr g, in one pass

    def _update_flat(self, flat, group, lo, hi):
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        if momentum:
            states = self._flat_states(flat, lo, hi)
            if states is None:
                return False
            buffer, views = flat.state_buffer("momentum_buffer")
        data, g, work, buf = flat.part(lo, hi, flat.data, flat.grad, flat.work_buffers()[0] if wd else None,
                                       buffer if momentum else None)
        if wd:                                          # g + wd p, in a work buffer: the gradients stay
            work = np.multiply(data, wd, out=work)
            work += g
            g = work
        if momentum:
            if not states:                              # the first step of every parameter: b = g
                np.copyto(buf, g)
                for p, view in zip(flat.params[lo:hi], views[lo:hi]):
                    self.state[p] = {"momentum_buffer": view}
            else:
                axpby(1 - group["dampening"], g, momentum, buf, self.fused)
            g = g + momentum * buf if group["nesterov"] else buf
        axpy(-lr, g, data, self.fused)
        return True


class Adam(Optimizer):
    """Adam with bias correction, and L2 ``weight_decay`` added to the gradient (PyTorch's Adam).

    For each parameter at step t (``m``, ``v`` start at zero)::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2
        p = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

    In place, over each group's flat buffers (see :mod:`nn.optim`) and two work buffers of
    their layout; the updates of ``m``, ``v`` and ``p`` are one pass each through BLAS
    (``axpby`` for the moments, ``axpy`` for ``p``) where :class:`SGD`'s would be, with the
    same ``fused=`` flag.
    """
    decoupled = False
    state_keys = {"step": "count", "exp_avg": "array", "exp_avg_sq": "array"}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, fused=None,
                 foreach=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, fused=fused,
                         foreach=foreach)

    def _check(self, group):
        name = type(self).__name__
        for key in ("lr", "eps", "weight_decay"):
            if key in group:
                group[key] = real_number(group[key], key, name, low=0)
        if "betas" in group:
            betas = group["betas"]
            if not isinstance(betas, (tuple, list)):
                raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {type(betas).__name__}; "
                                "pass e.g. (0.9, 0.999)")
            if len(betas) != 2:
                raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {len(betas)} values; "
                                 "pass e.g. (0.9, 0.999)")
            group["betas"] = tuple(real_number(b, f"betas[{i}]", name, low=0.0, high=1.0, high_open=True)
                                   for i, b in enumerate(betas))

    def _update(self, p, grad, group):
        state = self.state.get(p)
        if not state:
            state = self.state[p] = {"step": 0, "exp_avg": self._state_zeros(p, "exp_avg"),
                                     "exp_avg_sq": self._state_zeros(p, "exp_avg_sq")}
        state["step"] += 1
        self._adam(p.data, grad, state["exp_avg"], state["exp_avg_sq"], state["step"], *self._work(p), group)

    @staticmethod
    def _state_kind(state):
        return state["step"] if state else None      # (one bias correction per update: equal step counts)

    def _update_flat(self, flat, group, lo, hi):
        if group["eps"] == 0:             # (0 / 0 in the gaps between parameters: one by one, as before)
            return False
        states = self._flat_states(flat, lo, hi)
        if states is None:
            return False
        (m, m_views), (v, v_views) = flat.state_buffer("exp_avg"), flat.state_buffer("exp_avg_sq")
        a, b = flat.work_buffers()[:2]
        data, grad, m, v, a, b = flat.part(lo, hi, flat.data, flat.grad, m, v, a, b)
        if not states:                    # the first step of every parameter
            m.fill(0)
            v.fill(0)
            for p, m_view, v_view in zip(flat.params[lo:hi], m_views[lo:hi], v_views[lo:hi]):
                states.append(self.state.setdefault(p, {}))
                states[-1].update(step=0, exp_avg=m_view, exp_avg_sq=v_view)
        t = states[0]["step"] + 1         # (equal in the run, see _state_kind)
        for s in states:
            s["step"] = t
        self._adam(data, grad, m, v, t, a, b, group)
        return True

    def _adam(self, data, grad, m, v, t, g_wd, tmp, group):
        """One Adam step at count ``t`` on arrays: values ``data``, gradient ``grad``, moments ``m`` and
        ``v``, all updated in place; ``g_wd`` and ``tmp`` are work arrays of the same shape.

        Work arrays are kept, not made: fresh temporaries of a 784x512 weight cost more
        (allocation, page faults) than the arithmetic itself.
        """
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if self.decoupled and wd:
            data *= 1 - lr * wd                          # AdamW: decay the weights, not the gradient
        elif wd:
            np.multiply(data, wd, out=g_wd)              # g = grad + wd * p
            g_wd += grad
            grad = g_wd
        axpby(1 - beta1, grad, beta1, m, self.fused)    # m = b1 m + (1 - b1) g, in one pass where BLAS is reached
        np.multiply(grad, grad, out=tmp)
        axpby(1 - beta2, tmp, beta2, v, self.fused)     # v = b2 v + (1 - b2) g^2
        # lr * m_hat / (sqrt(v_hat) + eps), arranged as PyTorch does it
        denom = np.sqrt(v, out=tmp)
        denom /= math.sqrt(1 - beta2 ** t)
        denom += eps
        step = np.divide(m, denom, out=tmp)
        axpy(-lr / (1 - beta1 ** t), step, data, self.fused)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p = p - lr * weight_decay * p`` first,
    then the Adam step on the plain gradient."""
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, *, fused=None,
                 foreach=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, fused=fused,
                         foreach=foreach)


# --- learning-rate schedules --------------------------------------------------------------

class LRScheduler:
    """Sets each group's ``lr`` from its initial value and the epoch count; call ``step()`` once per epoch.

    >>> import numpy as np
    >>> import nn
    >>> opt = nn.optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    >>> schedule = nn.optim.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(schedule.get_last_lr()[0])   # train an epoch, then
    ...     schedule.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lrs = [group.setdefault("initial_lr", group["lr"]) for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, base_lr, epoch):
        raise NotImplementedError

    def _apply(self):
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base, self.last_epoch)

    @replayed_method(stateful=True)           # (a scheduler stepped inside a recorded step: every replay too)
    def step(self):
        """Advance one epoch and set the new learning rates."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self):
        """The learning rate of each group now."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        self.last_epoch, self.base_lrs = int(state["last_epoch"]), list(state["base_lrs"])
        self._apply()


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs: ``lr0 * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = positive_int(step_size, "step_size", "StepLR")
        self.gamma = real_number(gamma, "gamma", "StepLR", low=0)
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from the initial rate to ``eta_min`` over ``T_max`` epochs (SGDR without restarts):
    ``eta_min + (lr0 - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = positive_int(T_max, "T_max", "CosineAnnealingLR")
        self.eta_min = real_number(eta_min, "eta_min", "CosineAnnealingLR", low=0)
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
