"""Reverse-mode differentiation: walk the graph from the outputs back to the inputs.

Every recorded op is numbered when it runs (``Function.seq``), and an op always
runs after the ops that made its inputs. Taking the waiting ops newest first
therefore reaches each tensor only after every op that consumes it has passed
its gradient back: a topological order without a separate sorting pass. The
waiting ops sit in a heap, so the walk is iterative (no recursion limit: a
million-op chain is fine) and costs n log w for n ops, w of them waiting at
most at once (linear for a chain, where w is 1).

Gradients of intermediate tensors live only in a dict for the duration of one
walk, so a second backward never double-counts them; only leaves (and tensors
that asked with ``retain_grad()``) keep a ``.grad``, which accumulates.
"""
from heapq import heappop, heappush

import numpy as np

from autograd.function import _modes, _check_anomaly, enable_grad, reduce_broadcast
from autograd.tensor import Tensor

__all__ = ["backward", "grad"]


def _topological_order(roots):
    """Non-leaf tensors reachable from ``roots`` that require grad, each before its parents.

    Leaves are left out: nothing flows on from a leaf, so it needs no place in the order
    (a walk collects leaf gradients as they arrive). Used by :mod:`autograd.trace`; the
    engine's own walk gets the same order from the ops' ``seq`` numbers.
    """
    # Sets and dicts of the walk hold the tensors themselves: a Tensor hashes by identity
    # (``object.__hash__``), which is cheaper than calling id() on every visit.
    order, seen = [], set()
    stack = [(r, False) for r in roots if r.op is not None]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)          # all of t's parents are already in order
            continue
        if t in seen:
            continue
        seen.add(t)
        stack.append((t, True))
        for p in t.op.parents:
            if p.op is not None and p.requires_grad and p not in seen:
                stack.append((p, False))
    order.reverse()
    return order


def _seed_gradients(roots, grads, create_graph, fn_name):
    """Initial upstream gradients: ones for one-element outputs, else the given ``grads``."""
    if grads is None:
        grads = [None] * len(roots)
    if len(grads) != len(roots):
        raise ValueError(f"{fn_name}: got {len(grads)} gradients for {len(roots)} outputs")
    seeds = []
    for r, g in zip(roots, grads):
        if not isinstance(r, Tensor):
            raise TypeError(f"{fn_name}: outputs must be Tensors, got {type(r).__name__}")
        if not r.requires_grad:
            raise RuntimeError(f"{fn_name}: output of shape {r.shape} does not require grad and has no op "
                               "(did you compute it under no_grad, or from tensors without requires_grad=True?)")
        if g is None:
            if r.data.size != 1:
                raise RuntimeError(f"{fn_name}: grad can be omitted only for one-element outputs; "
                                   f"got shape {r.shape}, pass grad= of that shape")
            data = r.data                # (a 0-d one, the usual loss, is cheapest made by np.array)
            g, owned = np.ones(data.shape, data.dtype) if data.ndim else np.array(1, data.dtype), True
        else:
            g_data = g.data if isinstance(g, Tensor) else np.asarray(g, dtype=r.dtype)
            if g_data.shape != r.shape:
                raise ValueError(f"{fn_name}: grad of shape {g_data.shape} does not match output shape {r.shape}")
            g, owned = (g if create_graph and isinstance(g, Tensor) else g_data.astype(r.dtype, copy=False)), False
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._from_op(g, None)
        seeds.append((r, g, owned))
    return seeds


def _needed(roots, inputs):
    """The non-leaf tensors behind ``roots`` whose op leads to one of ``inputs`` (the ones to walk)."""
    leads = {id(x) for x in inputs}  # ids of tensors from which an input can be reached
    walk = set()
    for t in reversed(_topological_order(roots)):    # each tensor after its parents
        if any(id(p) in leads for p in t.op.parents):
            walk.add(t)
            leads.add(id(t))
    return walk


def _run(seeds, retain_graph, create_graph, capture=None, walk=None):
    """The backward walk. Writes leaf ``.grad`` unless ``capture`` (id -> grad dict) is given.

    ``walk``, if given, limits the walk to those tensors' ops (``grad`` walks only what leads to
    its inputs, and leaves the rest of the graph unreleased).
    """
    grads = {}                       # tensor -> gradient
    waiting = []                     # heap of (-op.seq, tensor): the newest op comes out first
    handed = set()                   # ids of arrays not ours to give away: the caller's, or given already
    for r, g, owned in seeds:
        if not owned:
            handed.add(id(g))
        prev = grads.get(r)
        if prev is not None:
            grads[r] = prev + g
            continue
        grads[r] = g
        if r.op is not None and (walk is None or r in walk):
            heappush(waiting, (-r.op.seq, r))
    anomaly = _modes.anomaly
    # .grad writes and releases wait until the walk succeeds: a failure changes nothing
    finished, visited = {}, []          # non-leaves to hand out -> gradient; ops walked
    while waiting:
        t = heappop(waiting)[1]
        g = grads.pop(t)
        if t._retains_grad or (capture is not None and id(t) in capture):
            finished[t] = g
        op = t.op
        if op.released:
            raise RuntimeError(
                f"backward through {op.name!r} a second time: its graph was released by the previous "
                "backward; pass retain_graph=True to the first backward to backpropagate twice")
        parents = op.parents
        if create_graph:
            input_grads = op.backward(g, t, *parents)
        elif len(parents) == 1:          # the common arities unpacked by hand: cheaper than a star-call
            input_grads = op.backward(g, t.data, parents[0].data)
        elif len(parents) == 2:
            input_grads = op.backward(g, t.data, parents[0].data, parents[1].data)
        elif len(parents) == 3:
            input_grads = op.backward(g, t.data, parents[0].data, parents[1].data, parents[2].data)
        else:
            input_grads = op.backward(g, t.data, *[p.data for p in parents])
        if type(input_grads) is not tuple:
            input_grads = _as_tuple(input_grads, op, len(parents))
        if len(input_grads) != len(parents):
            raise RuntimeError(f"backward of {op.name!r} returned {len(input_grads)} gradients "
                               f"for {len(parents)} inputs")
        if anomaly:
            _check_anomaly("backward", op, [gi for gi in input_grads if gi is not None],
                           [g] + [p.data for p in parents])
        if not op.trusted:           # a user op may return an array it keeps or was given: never adopt it
            handed.update(id(gi) for gi in input_grads)
        visited.append(op)
        for p, gi in zip(parents, input_grads):
            if gi is None or not p.requires_grad:
                continue
            data = p.data
            try:
                if gi.shape != data.shape or gi.dtype != data.dtype:
                    gi = _fit(gi, data, op)
            except AttributeError:
                raise TypeError(f"backward of {op.name!r} returned a {type(gi).__name__} as a gradient, "
                                "not an array; return a numpy array (np.asarray(...)) or None") from None
            prev = grads.get(p)
            if prev is not None:
                grads[p] = prev + gi
            else:
                grads[p] = gi
                if p.op is not None and (walk is None or p in walk):
                    heappush(waiting, (-p.op.seq, p))
    finished.update(grads)           # what is left in grads belongs to leaves (or ends the walk)
    if capture is not None:
        for t, g in finished.items():
            if id(t) in capture:
                capture[id(t)] = g if create_graph else _exclusive(g, handed)
    else:
        # every .grad is checked before any is written: a failure changes nothing
        for t in finished:
            old = t.grad
            if old is not None and getattr(old, "shape", None) != t.data.shape:
                raise RuntimeError(f"backward: the .grad of a tensor of shape {t.data.shape} has shape "
                                   f"{getattr(old, 'shape', None)} (it was assigned by hand?); cannot accumulate")
        for t, g in finished.items():
            t.grad = _exclusive(g, handed) if t.grad is None else t.grad + g
    if not retain_graph:
        for op in visited:
            op.released = True


def _as_tuple(input_grads, op, n_inputs):
    """A backward's result as a tuple: a list is fine, and so is a bare gradient for a one-input op
    (as PyTorch allows); anything else is the op's mistake."""
    if type(input_grads) is list:
        return tuple(input_grads)
    if n_inputs == 1 and (input_grads is None or isinstance(input_grads, (np.ndarray, np.generic, Tensor))):
        return (input_grads,)
    raise TypeError(f"backward of {op.name!r} returned a {type(input_grads).__name__} for {n_inputs} inputs; "
                    f"return a tuple with one gradient (an array or None) per input")


def _exclusive(g, handed):
    """``g`` itself if no one else can see it, else a copy; either way no longer ours to hand out.

    The walk makes fresh arrays, but an op's backward may pass its upstream gradient on
    unchanged (``a + b``) or return a view, and the caller's ``grad`` must not be shared:
    only a base array not handed out before (``handed``) is given away without a copy.
    """
    if type(g) is np.ndarray and g.base is None and id(g) not in handed:   # (0-d math gives scalars)
        handed.add(id(g))
        return g
    return np.array(g)


def _fit(gi, data, op):
    """``gi`` reduced to the shape of ``data`` (undoing broadcasting) and cast to its dtype."""
    if gi.shape != data.shape:
        try:
            gi = reduce_broadcast(gi, data.shape)
        except ValueError:
            raise RuntimeError(f"backward of {op.name!r} returned a gradient of shape {gi.shape} "
                               f"for an input of shape {data.shape}") from None
    return gi if gi.dtype == data.dtype else gi.astype(data.dtype)


def backward(tensors, grad_tensors=None, retain_graph=False):
    """Accumulate the gradients of ``tensors`` into every leaf's ``.grad`` (see ``Tensor.backward``)."""
    seeds = _seed_gradients(list(tensors), grad_tensors, False, "backward")
    with _quiet_under_anomaly():
        _run(seeds, retain_graph=retain_graph, create_graph=False)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Return the gradients of ``outputs`` with respect to ``inputs`` as Tensors; ``.grad`` is untouched.

    Parameters
    ----------
    outputs : Tensor or sequence of Tensor
    inputs : Tensor or sequence of Tensor
        Tensors (leaves or not) that require grad.
    grad_outputs : array_like or Tensor, or a sequence of them, optional
        Upstream gradients; may be omitted for one-element outputs.
    retain_graph : bool, optional
        Defaults to ``create_graph``. Only the ops between the outputs and the inputs are
        walked (and released): the graph below the inputs stays usable.
    create_graph : bool
        Record the backward pass itself, so the returned gradients can be
        differentiated again (higher-order derivatives, Hessian-vector products).
    allow_unused : bool
        Return None for inputs the outputs do not depend on, instead of raising.

    Returns
    -------
    tuple of Tensor

    Examples
    --------
    >>> from autograd import Tensor, grad
    >>> x = Tensor(2.0, requires_grad=True)
    >>> (dx,) = grad(x ** 3, x, create_graph=True)     # 3 x^2 = 12
    >>> (d2x,) = grad(dx, x)                            # 6 x = 12
    >>> dx.item(), d2x.item()
    (12.0, 12.0)
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if isinstance(grad_outputs, (Tensor, np.ndarray)) or np.isscalar(grad_outputs):
        grad_outputs = [grad_outputs]
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise ValueError("grad: every input must be a Tensor that requires grad")
    if retain_graph is None:
        retain_graph = create_graph
    capture = {id(x): None for x in inputs}
    with enable_grad() if create_graph else _nothing(), _quiet_under_anomaly():
        seeds = _seed_gradients(outputs, grad_outputs, create_graph, "grad")
        _run(seeds, retain_graph=retain_graph, create_graph=create_graph, capture=capture,
             walk=_needed(outputs, inputs))
    results = []
    for i, x in enumerate(inputs):
        g = capture[id(x)]
        if g is None:
            if not allow_unused:
                raise ValueError(f"grad: input {i} (shape {x.shape}) is not used by the outputs; "
                                 "pass allow_unused=True to get None for it")
            results.append(None)
        else:
            results.append(g if isinstance(g, Tensor) else Tensor._from_op(g, None))
    return tuple(results)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _quiet_under_anomaly():
    """numpy's warnings silenced under detect_anomaly (its check reports the event, naming the op)."""
    return np.errstate(all="ignore") if _modes.anomaly else _nothing()
