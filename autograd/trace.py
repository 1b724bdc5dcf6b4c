"""Backprop one chain-rule step at a time, for reading: what ``backward`` does, written down.

:func:`backward_steps` replays the backward pass of a graph and records every
chain-rule step: for each op (in backward order) and each of its inputs, the
upstream gradient ``d root / d out``, the local derivative ``d out / d in``, the
gradient passed down to the input and the input's gradient accumulated so far.
It changes no ``.grad``, releases nothing and also works after ``backward``
released the graph. The walk is the engine's own, in recording mode
(:func:`autograd.engine.record_backward`): the same ops in the same order, so
the numbers are those ``backward`` computes, to the last bit. :mod:`autograd.viz`
uses it to show the gradients of intermediate tensors, which ``backward`` does not keep.

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
from dataclasses import dataclass

import numpy as np

from autograd.engine import record_backward
from autograd.graph import graph_tensors, tensor_names

__all__ = ["backward_steps", "BackwardSteps", "Step", "format_array"]


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


# --- the steps --------------------------------------------------------------------------

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
    op: "Function"           # (names only: this module needs neither class, see autograd.graph)
    output: "Tensor"
    upstream: np.ndarray
    input: "Tensor"
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
            if s.op.infix and len(args) == 2:
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


class _Recorder:
    """``on_step`` of the engine's recording walk: makes a :class:`Step` of each gradient passed.

    The local derivative is the op's backward applied to ones, computed once per op.
    """

    def __init__(self):
        self.steps = []
        self.op = self.local = None
        self.next_index = 0

    def __call__(self, op, output, upstream, input, passed, accumulated):
        if op is not self.op:             # the walk passes an op's gradients one after another
            self.op, self.next_index = op, 0
            local = op.backward(np.ones_like(upstream), output.data, *[p.data for p in op.parents])
            self.local = local if isinstance(local, (tuple, list)) else (local,)
        # the walk skips inputs that get no gradient: the input's position is the next one that is it
        index = next(i for i in range(self.next_index, len(op.parents)) if op.parents[i] is input)
        self.next_index = index + 1
        self.steps.append(Step(op, output, upstream, input, index, np.asarray(self.local[index]),
                               passed, accumulated))


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
    record = _Recorder()
    grads = record_backward([root], None if grad is None else [grad], record, "backward_steps")
    seed = grads[root]                   # (the walk keeps every gradient: the root's is the seed)
    labels = tensor_names(graph_tensors([root]), names)
    return BackwardSteps(record.steps, root, seed, labels, {id(t): g for t, g in grads.items()}, max_elements)
