"""Backprop one chain-rule step at a time, for reading: what ``backward`` does, written down.

:func:`backward_steps` replays the backward pass of a graph and records every
chain-rule step: for each op (in backward order) and each of its inputs, the
upstream gradient ``d root / d out``, the local derivative ``d out / d in``, the
gradient passed down to the input and the input's gradient accumulated so far.
It changes no ``.grad``, releases nothing and also works after ``backward``
released the graph. :mod:`autograd.viz` uses the same walk to show the
gradients of intermediate tensors, which ``backward`` does not keep.

>>> from autograd import Tensor
>>> x, y, z = Tensor(-2.0, requires_grad=True), Tensor(5.0, requires_grad=True), Tensor(-4.0, requires_grad=True)
>>> q = x + y
>>> f = q * z
>>> print(backward_steps(f, names=locals()))
backward of f, seeded with df/df = 1
step  node       upstream  input  local  passed down  accumulated
   1  f = q * z  1         q      -4     -4           -4
   2  f = q * z  1         z      3      3            3
   3  q = x + y  -4        x      1      -4           -4
   4  q = x + y  -4        y      1      -4           -4
"""
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from autograd.engine import _topological_order
from autograd.function import Function, reduce_broadcast
from autograd.tensor import Tensor

__all__ = ["backward_steps", "BackwardSteps", "Step", "format_array", "graph_tensors", "tensor_names"]


# --- shared by the table and the pictures -------------------------------------------

def format_array(a, max_elements=6):
    """Short text for an array: every value when it has at most ``max_elements``, else min/mean/max.

    >>> format_array(np.array(-12.0)), format_array(np.array([0.5, 2.0]))
    ('-12', '[0.5, 2]')
    >>> format_array(np.arange(100.0))
    'min 0  mean 49.5  max 99'
    """
    a = np.asarray(a)
    if a.size <= max_elements:
        if a.ndim == 0:
            return _number(a.item())
        return np.array2string(a, separator=", ", formatter={"float_kind": _number})
    if a.dtype.kind == "c":
        return f"{a.size} complex values  mean |.| {_number(np.abs(a).mean())}"
    return f"min {_number(a.min())}  mean {_number(a.mean())}  max {_number(a.max())}"


def _number(v):
    return f"{v + 0:.4g}"                 # + 0 turns -0.0 into 0


def graph_tensors(roots, max_nodes=None, caller="graph_tensors"):
    """Every tensor behind ``roots`` (constants included), each after its op's inputs.

    Iterative, with a visited set. Raises ``ValueError`` as soon as the graph has
    more than ``max_nodes`` nodes (tensors plus ops), without walking the rest.
    """
    order, seen, count = [], set(), 0
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        count += 1 if t.op is None else 2
        if max_nodes is not None and count > max_nodes:
            raise ValueError(
                f"{caller}: the graph has more than max_nodes={max_nodes} nodes (tensors and ops); "
                "graphviz would take very long to lay it out. Draw a smaller part (an intermediate "
                "tensor, or .detach() where the interesting part starts) or pass a larger max_nodes")
        stack.append((t, True))
        if t.op is not None:
            stack.extend((p, False) for p in reversed(t.op.parents) if id(p) not in seen)
    return order


def tensor_names(order, names=None):
    """Display name per tensor id: from ``names``, else ``Tensor.name``, else ``t0``, ``t1``, ...

    ``names`` maps names to tensors (``locals()``, ``dict(model.named_parameters())``),
    or is an iterable of ``(name, tensor)`` pairs; entries that are not tensors are
    skipped and a name without a leading underscore wins over one with. Auto names
    go to unnamed tensors that require grad, in forward order; constants stay
    unnamed (their value is their label).
    """
    given = {}
    pairs = names.items() if isinstance(names, Mapping) else (names or ())
    for key, value in pairs:
        if isinstance(key, Tensor) and isinstance(value, str):
            key, value = value, key
        if not (isinstance(key, str) and isinstance(value, Tensor)):
            continue
        old = given.get(id(value))
        if old is None or (old.startswith("_") and not key.startswith("_")):
            given[id(value)] = key
    result, counter = {}, 0
    taken = set(given.values()) | {t.name for t in order if t.name is not None}
    for t in order:
        name = given.get(id(t), t.name)
        if name is None and t.requires_grad:
            while f"t{counter}" in taken:            # never the name of another tensor
                counter += 1
            name, counter = f"t{counter}", counter + 1
        result[id(t)] = name
    return result


# --- the walk --------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Step:
    """One application of the chain rule: ``op`` sends gradient from its ``output`` to one ``input``.

    Attributes
    ----------
    op : Function
    output : Tensor
    upstream : numpy.ndarray
        ``d root / d output``, complete when the step runs.
    input : Tensor
        The op's input number ``index``.
    index : int
    local : numpy.ndarray
        The local derivative ``d output / d input``: the op's backward applied to
        an upstream gradient of ones (shape of the output). Exact elementwise for
        elementwise ops; for matmul and reductions it is that vector-Jacobian product.
    passed : numpy.ndarray
        What the op's backward passes to the input (``upstream * local`` for
        elementwise ops), summed over broadcast axes to the input's shape.
    accumulated : numpy.ndarray
        ``d root / d input`` summed over the steps so far.
    """
    op: Function
    output: Tensor
    upstream: np.ndarray
    input: Tensor
    index: int
    local: np.ndarray
    passed: np.ndarray
    accumulated: np.ndarray


class BackwardSteps(list):
    """The :class:`Step` list of one backward walk; prints as a table.

    Attributes
    ----------
    names : dict
        Display name per tensor id.
    grads : dict
        ``d root / d t`` per tensor id, for every tensor the walk reached.
    """

    def __init__(self, steps, root, seed, names, grads, max_elements=6):
        super().__init__(steps)
        self.root, self.seed, self.names, self.grads = root, seed, names, grads
        self.max_elements = max_elements

    def grad(self, tensor):
        """``d root / d tensor`` as computed by the walk, or None if it never reached ``tensor``."""
        return self.grads.get(id(tensor))

    def table(self):
        """The steps as a text table, one row per (op, input) pair."""
        name = self.names.get
        fmt = lambda a: format_array(a, self.max_elements).replace("\n", "")  # noqa: E731
        r = name(id(self.root))
        rows = [("step", "node", "upstream", "input", "local", "passed down", "accumulated")]
        for i, s in enumerate(self, 1):
            args = [name(id(p)) or format_array(p.data, 1) for p in s.op.parents]
            if s.op.name in _INFIX and len(args) == 2:
                formula = f" {s.op.name} ".join(args)
            else:
                formula = f"{s.op.name}({', '.join(args)})"
            rows.append((str(i), f"{name(id(s.output))} = {formula}", fmt(s.upstream),
                         name(id(s.input)), fmt(s.local), fmt(s.passed), fmt(s.accumulated)))
        widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
        lines = [f"backward of {r}, seeded with d{r}/d{r} = {fmt(self.seed)}"]
        for row in rows:
            cells = [row[0].rjust(widths[0])] + [c.ljust(w) for c, w in zip(row[1:], widths[1:])]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)

    __str__ = __repr__ = table


_INFIX = {"+", "-", "*", "/", "**"}


def _walk(roots, seeds, steps=None):
    """``d (seeds . roots) / d t`` for every tensor t that requires grad, by the engine's rules.

    Calls each op's backward on arrays and touches no ``.grad``; ignores
    ``op.released`` (a released op keeps its inputs, only the engine refuses it).
    Appends a :class:`Step` per (op, input) to ``steps`` when given.
    """
    grads = {}
    for r, g in zip(roots, seeds):
        grads[id(r)] = g if id(r) not in grads else grads[id(r)] + g
    # newest op first, as the engine walks: gradients add up in the same order (float32 sums match)
    for t in sorted(_topological_order(roots), key=lambda t: -t.op.seq):
        g = grads.get(id(t))
        op = t.op
        if g is None or op is None:
            continue
        inputs = [p.data for p in op.parents]
        passed = op.backward(g, t.data, *inputs)
        local = op.backward(np.ones_like(g), t.data, *inputs) if steps is not None else passed
        for i, (p, gi, li) in enumerate(zip(op.parents, passed, local)):
            if gi is None or not p.requires_grad:
                continue
            gi = reduce_broadcast(np.asarray(gi), p.shape).astype(p.dtype, copy=False)
            acc = gi if id(p) not in grads else grads[id(p)] + gi
            grads[id(p)] = acc
            if steps is not None:
                steps.append(Step(op, t, g, p, i, np.asarray(li), gi, acc))
    return grads


def backward_steps(root, grad=None, names=None, max_elements=6):
    """Replay the backward pass of ``root`` and record each chain-rule step, in backward order.

    Nothing is changed: no ``.grad`` is written and the graph is not released
    (it may already be: this works after ``root.backward()`` too).

    Parameters
    ----------
    root : Tensor
        The output to differentiate; it must require grad.
    grad : array_like, optional
        Upstream gradient ``d L / d root``; required unless ``root`` has one element.
    names : mapping or iterable of (name, Tensor) pairs, optional
        Names for the table, e.g. ``locals()`` (see :func:`tensor_names`).
    max_elements : int
        Arrays with more elements print as min/mean/max.

    Returns
    -------
    BackwardSteps
        A list of :class:`Step`; ``print`` it for the table, ``.grad(t)`` gives
        ``d root / d t`` for any tensor, intermediate ones included.

    Examples
    --------
    >>> from autograd import Tensor
    >>> w = Tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> loss = (w * w).sum()
    >>> steps = backward_steps(loss, names={"loss": loss})
    >>> steps.grad(w)
    array([ 2., -4.])
    >>> print(steps)
    backward of loss, seeded with dloss/dloss = 1
    step  node            upstream  input  local    passed down  accumulated
       1  loss = sum(t0)  1         t0     [1, 1]   [1, 1]       [1, 1]
       2  t0 = w * w      [1, 1]    w      [1, -2]  [1, -2]      [1, -2]
       3  t0 = w * w      [1, 1]    w      [1, -2]  [1, -2]      [2, -4]
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"backward_steps: root must be a Tensor, got {type(root).__name__}")
    if not root.requires_grad:
        raise ValueError(f"backward_steps: root of shape {root.shape} does not require grad, "
                         "so there is no graph to walk")
    if grad is None:
        if root.size != 1:
            raise ValueError(f"backward_steps: root has shape {root.shape}; pass grad= of that shape")
        seed = np.ones(root.shape, dtype=root.dtype)
    else:
        seed = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=root.dtype)
        if seed.shape != root.shape:
            raise ValueError(f"backward_steps: grad of shape {seed.shape} does not match root shape {root.shape}")
    steps = []
    grads = _walk([root], [seed], steps)
    labels = tensor_names(graph_tensors([root]), names)
    return BackwardSteps(steps, root, seed, labels, grads, max_elements)
