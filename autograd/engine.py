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

This is the only backward walk: ``backward``, ``grad``, and, in recording mode
(:func:`record_backward`), :func:`autograd.trace.backward_steps` and the
pictures of :mod:`autograd.viz` all run it. It knows tensors by their
attributes (see :mod:`autograd.graph`) and imports no Tensor class, so that
``Tensor.backward`` can call it.
"""
from heapq import heappop, heappush

import numpy as np

from autograd.graph import is_tensor, topological_order
from autograd.modes import (check_anomaly, enable_grad, is_anomaly_enabled, open_blocks, refuse_listed_arrays,
                            replayed, thread_modes)

__all__ = ["backward", "grad", "record_backward", "reduce_broadcast"]


# --- the walk -------------------------------------------------------------------------

def _walk(seeds, create_graph=False, keep=None, only=None, recording=False, observer=None, batch=()):
    """Backpropagate ``seeds`` ((root, gradient, owned) triples) through the graph.

    Returns ``(finished, handed, visited)``: the gradient of every leaf reached and of
    every tensor in ``keep`` (or that retains its grad), the ids of arrays not ours to
    give away, and the ops walked. Writes nothing: the callers do, once the walk succeeded.
    ``only`` limits the walk to those tensors' ops. ``recording`` keeps every gradient,
    walks released graphs and skips the anomaly checks. An ``observer`` (the steps of
    :mod:`autograd.trace`, a tape of :mod:`autograd.capture`) is told of every backward called,
    ``observer.computed(op, output, upstream, returned, input_grads)``, and of every gradient
    passed to an input, ``observer.passed(op, output, upstream, input, index, passed, accumulated)``.
    ``batch`` is ``(n,)`` when every gradient carries a leading axis of n (a batch of seeds).
    """
    grads, waiting, handed = _start(seeds, only)
    anomaly = is_anomaly_enabled() and not recording
    finished, visited = {}, []
    while waiting:
        # 1. the next tensor: the newest op's output, whose every consumer has passed its gradient
        t = heappop(waiting)[1]
        g = grads.pop(t)
        if t.retains_grad or (keep is not None and t in keep):
            finished[t] = g
        op = t.op
        if op.released and not recording:
            raise _released_error(op)
        # 2. the chain rule: the op's backward turns the upstream gradient into one gradient per input
        parents, n = op.parents, len(op.parents)
        if batch:                    # n seeds at once: jacrev's rows
            input_grads = _batched_backward(op, g, t, parents, create_graph)
        elif create_graph:           # on Tensors: the backward records a graph of its own
            input_grads = op.backward(g, t, *parents)
        elif n == 1:                 # on arrays, the common arities unpacked by hand: cheaper than a star-call
            input_grads = op.backward(g, t.data, parents[0].data)
        elif n == 2:
            input_grads = op.backward(g, t.data, parents[0].data, parents[1].data)
        elif n == 3:                 # (linear: x, W, b)
            input_grads = op.backward(g, t.data, parents[0].data, parents[1].data, parents[2].data)
        else:
            input_grads = op.backward(g, t.data, *[p.data for p in parents])
        returned = input_grads
        if type(input_grads) is not tuple or len(input_grads) != n:
            input_grads = _as_tuple(input_grads, op, n)    # a list, a bare gradient, or the op's mistake
        if anomaly:
            check_anomaly("backward", op, input_grads, [g] + [p.data for p in parents])
        if not op.trusted:           # a user op may return an array it keeps or was given: never adopt it
            handed.update(id(gi) for gi in input_grads)
        visited.append(op)
        if observer is not None:     # (recording only: which input slots the loop below passes gradients to)
            observer.computed(op, t, g, returned, input_grads)
            slots = iter([k for k in range(n) if input_grads[k] is not None and parents[k].requires_grad])
        # 3. accumulation: each input's gradient (fitted to its shape and dtype) adds to what it has
        for p, gi in zip(parents, input_grads):
            if gi is None or not p.requires_grad:
                continue
            data = p.data
            try:
                if gi.shape != data.shape or gi.dtype != data.dtype:
                    gi = _fit(gi, data, op, batch)      # undo broadcasting, cast to the input's dtype
            except AttributeError:
                raise _not_an_array(gi, op) from None
            prev = grads.get(p)
            if prev is not None:
                grads[p] = prev + gi
            else:
                grads[p] = gi
                if p.op is not None and (only is None or p in only):
                    heappush(waiting, (-p.op.seq, p))
            if observer is not None:
                observer.passed(op, t, g, p, next(slots), gi, grads[p])
    finished.update(grads)           # what is left in grads belongs to leaves (or ends the walk)
    return finished, handed, visited


def _start(seeds, only):
    """The walk's starting state: gradients per root (summed if a root repeats), the heap, the caller's arrays."""
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
        if r.op is not None and (only is None or r in only):
            heappush(waiting, (-r.op.seq, r))
    return grads, waiting, handed


class _Everything:
    """``keep`` of a recording walk: every gradient is kept."""

    def __contains__(self, t):
        return True


def _as_tuple(input_grads, op, n_inputs):
    """A backward's result as a tuple of ``n_inputs``: a list is fine, and so is a bare gradient for a
    one-input op (as PyTorch allows); anything else is the op's mistake."""
    if type(input_grads) is list or type(input_grads) is tuple:
        input_grads = tuple(input_grads)
    elif n_inputs == 1 and (input_grads is None or isinstance(input_grads, (np.ndarray, np.generic))
                            or is_tensor(input_grads)):
        input_grads = (input_grads,)
    else:
        raise TypeError(f"backward of {op.name!r} returned a {type(input_grads).__name__} for {n_inputs} inputs; "
                        f"return a tuple with one gradient (an array or None) per input")
    if len(input_grads) != n_inputs:
        raise RuntimeError(f"backward of {op.name!r} returned {len(input_grads)} gradients "
                           f"for {n_inputs} inputs")
    return input_grads


def _fit(gi, data, op, batch=()):
    """``gi`` reduced to ``batch + data.shape`` (undoing broadcasting) and cast to the dtype of ``data``."""
    if gi.shape != batch + data.shape:
        try:
            gi = reduce_broadcast(gi, data.shape, batch_axes=len(batch))
            if gi.shape[:len(batch)] != batch:
                raise ValueError
        except ValueError:
            raise RuntimeError(f"backward of {op.name!r} returned a gradient of shape {gi.shape} "
                               f"for an input of shape {data.shape}"
                               + (f" (with a batch of {batch[0]})" if batch else "")) from None
    return gi if gi.dtype == data.dtype else gi.astype(data.dtype)


def _batched_backward(op, g, out, parents, create_graph):
    """``op.backward`` for a batch of upstream gradients ``g`` (leading axis): at once where the op's
    backward takes a batch (``batched_backward``), else one row at a time, stacked per input."""
    n = len(parents)
    outputs, inputs = (out, parents) if create_graph else (out.data, [p.data for p in parents])
    if op.batched_backward:
        return _as_tuple(op.backward(g, outputs, *inputs), op, n)
    rows = [_as_tuple(op.backward(g[k], outputs, *inputs), op, n) for k in range(len(g))]
    columns = []
    for j, p in enumerate(parents):
        if all(row[j] is None for row in rows) or not p.requires_grad:
            columns.append(None)
            continue
        zeros = np.zeros(p.data.shape, p.data.dtype)
        columns.append(np.stack([zeros if row[j] is None else _fit(row[j], p.data, op) for row in rows]))
    return tuple(columns)


def _not_an_array(gi, op):
    return TypeError(f"backward of {op.name!r} returned a {type(gi).__name__} as a gradient, "
                     "not an array; return a numpy array (np.asarray(...)) or None")


def _released_error(op):
    return RuntimeError(
        f"backward through {op.name!r} a second time: its graph was released by the previous "
        "backward; pass retain_graph=True to the first backward to backpropagate twice")


# --- before and after the walk: the seeds, the .grad writes, the release ---------------

def _seeds(roots, grads, caller, create_graph=False, batched=False):
    """(root, upstream gradient, owned) per root: ones for one-element roots, else the given ``grads``.

    The one check of what ``backward``, ``grad`` and ``backward_steps`` are given:
    ``TypeError`` for a root that is not a Tensor, ``ValueError`` for a root that
    requires no grad, a missing gradient or one of the wrong shape or number. With ``batched``
    (``is_grads_batched``) every gradient has one more leading axis, of the same length.
    """
    if grads is None:
        grads = [None] * len(roots)
    if len(grads) != len(roots):
        raise ValueError(f"{caller}: got {len(grads)} gradients for {len(roots)} roots; pass one per root")
    seeds = []
    for r, g in zip(roots, grads):
        if not is_tensor(r):
            raise TypeError(f"{caller}: the root must be a Tensor, got {type(r).__name__}")
        if not r.requires_grad:
            raise ValueError(f"{caller}: the root of shape {r.shape} does not require grad and has no op "
                             "(did you compute it under no_grad, or from tensors without requires_grad=True?)")
        if g is None:
            if batched:
                raise ValueError(f"{caller}: is_grads_batched needs grad_outputs, a batch of gradients per output")
            if r.data.size != 1:
                raise ValueError(f"{caller}: grad can be omitted only for a one-element root; "
                                 f"root has shape {r.shape}; pass grad= of that shape")
            data = r.data                # (a 0-d one, the usual loss, is cheapest made by np.array)
            g, owned = np.ones(data.shape, data.dtype) if data.ndim else np.array(1, data.dtype), True
        else:
            refuse_listed_arrays(g)
            g_data = g.data if is_tensor(g) else np.asarray(g)
            if batched:
                if g_data.ndim != r.ndim + 1 or g_data.shape[1:] != r.shape:
                    raise ValueError(f"{caller}: with is_grads_batched, grad of shape {g_data.shape} must be a batch "
                                     f"of root-shaped gradients, (n,) + {r.shape}")
                if seeds and g_data.shape[0] != seeds[0][1].shape[0]:
                    raise ValueError(f"{caller}: with is_grads_batched, every grad needs the same batch size; "
                                     f"got {seeds[0][1].shape[0]} and {g_data.shape[0]}")
            elif g_data.shape != r.shape:
                raise ValueError(f"{caller}: grad of shape {g_data.shape} does not match root shape {r.shape}")
            if not (create_graph and is_tensor(g)):
                # (another dtype cast through replayed: a step recorded by autograd.compile casts each call's own)
                g = g_data if g_data.dtype == r.dtype else replayed(_cast, g if is_tensor(g) else g_data, r.dtype)
            owned = False
        if create_graph and not is_tensor(g):
            g = r.wrap(g)
        seeds.append((r, g, owned))
    return seeds


def _cast(g, dtype):
    """A copy of gradient ``g`` (an array or a Tensor) in the root's ``dtype``."""
    return (g.data if is_tensor(g) else g).astype(dtype)


def _write_grads(finished, handed):
    """Add each gradient to its tensor's ``.grad``; every ``.grad`` is checked before any is written.

    A ``.grad`` that is a writeable numpy array of the tensor's shape and dtype is added to
    in place, as PyTorch accumulates (an optimiser's gradient buffer after
    ``zero_grad(set_to_none=False)`` keeps receiving the gradients, see :mod:`nn.optim`).
    Any other ``.grad`` (read-only, of another dtype) is replaced by the sum, and so is one
    array object assigned by hand as the ``.grad`` of two tensors, which would otherwise
    receive both gradients. Distinct arrays that overlap in memory (views of one array
    assigned by hand) are added into in place, each its own gradient, as in PyTorch. The
    walk itself hands each tensor an array of its own (see :func:`_exclusive`).
    """
    held, shared = set(), set()      # ids of the .grad arrays already there; those held twice
    for t in finished:
        old = t.grad
        if old is not None:
            if type(old) is not np.ndarray or old.shape != t.data.shape:
                _check_assigned_grad(t, old)
            if id(old) in held:
                shared.add(id(old))
            held.add(id(old))
    for t, g in finished.items():
        old = t.grad
        if old is None:
            t.grad = _exclusive(g, handed)
        elif (type(old) is np.ndarray and old.dtype == t.data.dtype and old.flags.writeable
              and id(old) not in shared):
            np.add(old, g, out=old)
        else:
            total = old + g
            t.grad = total if type(total) is np.ndarray else np.asarray(total)   # (0-d math gives scalars)


def _check_assigned_grad(t, old):
    """A ``.grad`` assigned by hand must be a numpy array of the tensor's shape for the walk to add to it."""
    if is_tensor(old):
        raise TypeError("backward: a .grad holds a Tensor (assigned by hand?); labgrad's gradients are numpy "
                        "arrays, not Tensors as in PyTorch: assign t.grad = g.data")
    if not isinstance(old, (np.ndarray, np.generic)):
        raise TypeError(f"backward: a .grad holds a {type(old).__name__} (assigned by hand?); gradients are "
                        "numpy arrays: assign t.grad = np.asarray(...)")
    if np.shape(old) != t.data.shape:
        raise ValueError(f"backward: the .grad of a tensor of shape {t.data.shape} has shape {np.shape(old)} "
                         "(assigned by hand, or .data replaced?); cannot accumulate: set .grad = None first")


def _release(visited):
    for op in visited:
        op.released = True


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


def _needed(roots, inputs):
    """The non-leaf tensors behind ``roots`` whose op leads to one of ``inputs`` (the ones to walk)."""
    leads = set(inputs)              # tensors from which an input can be reached
    walk = set()
    for t in reversed(topological_order(roots)):    # each tensor after its parents
        if any(p in leads for p in t.op.parents):
            walk.add(t)
            leads.add(t)
    return walk


# --- the one place broadcasting is undone --------------------------------------------

def reduce_broadcast(grad, shape, batch_axes=0):
    """Sum ``grad`` over the axes numpy broadcasting added or stretched to reach its shape.

    Works on numpy arrays and, for higher-order gradients, on Tensors. The first
    ``batch_axes`` axes of ``grad`` (a batch of gradients) are kept as they are.

    >>> reduce_broadcast(np.ones((4, 2, 3)), (2, 1)).tolist()
    [[12.0], [12.0]]
    >>> reduce_broadcast(np.ones((5, 4, 2, 3)), (2, 1), batch_axes=1).shape
    (5, 2, 1)
    """
    if batch_axes:
        return _reduce_batched(grad, shape, batch_axes)
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
    if any(n != 1 and gshape[lead + i] != n for i, n in enumerate(shape)):
        raise ValueError(f"reduce_broadcast: gradient of shape {gshape} cannot be reduced to shape {shape}")
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _reduce_batched(grad, shape, batch_axes):
    """:func:`reduce_broadcast` of each gradient in a batch (the batch axes lead)."""
    batch, gshape = grad.shape[:batch_axes], grad.shape[batch_axes:]
    lead = len(gshape) - len(shape)
    if lead < 0 or any(n != 1 and gshape[lead + i] != n for i, n in enumerate(shape)):
        raise ValueError(f"reduce_broadcast: gradients of shape {gshape} cannot be reduced to shape {shape}")
    axes = tuple(batch_axes + i for i in range(lead)) + tuple(
        batch_axes + lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(batch + shape)


# --- the public doors ----------------------------------------------------------------

def backward(tensors, grad_tensors=None, retain_graph=False):
    """Accumulate the gradients of ``tensors`` into every leaf's ``.grad`` (see ``Tensor.backward``)."""
    seeds = _seeds(list(tensors), grad_tensors, "backward")
    tape = thread_modes.capture if open_blocks.count else None
    if tape is not None:             # a step recorded by autograd.compile: the walk is written down as it runs
        tape.seeds(seeds)
        finished, handed, visited = _walk(seeds, observer=tape)
        _write_grads(finished, handed)
        tape.wrote_grads(_write_grads, finished)
    elif is_anomaly_enabled():
        with np.errstate(all="ignore"):  # numpy's warnings silenced: the anomaly check names the op instead
            finished, handed, visited = _walk(seeds)
    else:
        finished, handed, visited = _walk(seeds)
    if tape is None:
        _write_grads(finished, handed)   # .grad writes and releases wait until the walk succeeded
    if not retain_graph:
        _release(visited)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False,
         is_grads_batched=False):
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
    is_grads_batched : bool
        Each ``grad_outputs`` has one more leading axis, of n: n backward passes in one walk
        (one row of a Jacobian each), giving gradients with the same leading axis.

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
    if open_blocks.count and thread_modes.capture is not None:
        thread_modes.capture.refuse("autograd.grad inside the step (higher-order gradients are not captured)")
    outputs = [outputs] if is_tensor(outputs) else list(outputs)
    inputs = [inputs] if is_tensor(inputs) else list(inputs)
    if is_tensor(grad_outputs) or isinstance(grad_outputs, np.ndarray) or np.isscalar(grad_outputs):
        grad_outputs = [grad_outputs]
    for i, x in enumerate(inputs):
        if not is_tensor(x):
            raise TypeError(f"grad: input {i} must be a Tensor, got {type(x).__name__}")
        if not x.requires_grad:
            raise ValueError(f"grad: input {i} (shape {x.shape}) does not require grad; "
                             "every input must be a Tensor that requires grad")
    if retain_graph is None:
        retain_graph = create_graph
    with enable_grad() if create_graph else _nothing(), _quiet_under_anomaly():
        seeds = _seeds(outputs, grad_outputs, "grad", create_graph, is_grads_batched)
        batch = seeds[0][1].shape[:1] if is_grads_batched else ()
        finished, handed, visited = _walk(seeds, create_graph, keep=set(inputs), only=_needed(outputs, inputs),
                                          batch=batch)
    if not retain_graph:
        _release(visited)
    results = []
    for i, x in enumerate(inputs):
        g = finished.get(x)
        if g is None:
            if not allow_unused:
                raise ValueError(f"grad: input {i} (shape {x.shape}) is not used by the outputs; "
                                 "pass allow_unused=True to get None for it")
            results.append(None)
        elif is_tensor(g):
            results.append(g)
        else:                            # (made through an output: this module imports no Tensor class)
            results.append(outputs[0].wrap(g if create_graph else _exclusive(g, handed)))
    return tuple(results)


def record_backward(roots, grads=None, on_step=None, caller="record_backward"):
    """The backward walk in recording mode: ``d roots / d t`` for every tensor ``t`` it reaches.

    Nothing is written and nothing released (a graph already released by a backward
    is walked too); no anomaly check runs. The same ops run in the same order as in
    :func:`backward`, so the gradients are the same to the last bit.

    Parameters
    ----------
    roots : sequence of Tensor
    grads : sequence of array_like, optional
        Upstream gradient per root; may be omitted for one-element roots.
    on_step : callable, optional
        Called as ``on_step(op, output, upstream, input, index, passed, accumulated)`` each time
        ``op`` passes gradient ``passed`` (fitted to the input's shape and dtype) from its
        ``output`` (whose complete gradient is ``upstream``) to its input number ``index``, whose
        gradient summed so far is ``accumulated``; in the walk's order.

    Returns
    -------
    dict
        Gradient (numpy array) per tensor reached, leaves and intermediates.

    Examples
    --------
    >>> from autograd import Tensor
    >>> x = Tensor(3.0, requires_grad=True)
    >>> y = x * x
    >>> z = y + 1
    >>> g = record_backward([z])
    >>> float(g[y]), float(g[x]), x.grad
    (1.0, 6.0, None)
    """
    seeds = _seeds(list(roots), grads, caller)
    finished, _, _ = _walk(seeds, keep=_Everything(), recording=True,
                           observer=None if on_step is None else _StepCallback(on_step))
    return finished


class _StepCallback:
    """The walk's observer that calls ``on_step`` for every gradient passed (see :func:`record_backward`)."""

    def __init__(self, on_step):
        self.passed = on_step

    def computed(self, op, output, upstream, returned, input_grads):
        pass


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _quiet_under_anomaly():
    """numpy's warnings silenced under detect_anomaly (its check reports the event, naming the op)."""
    return np.errstate(all="ignore") if is_anomaly_enabled() else _nothing()
