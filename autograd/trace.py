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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from autograd import checks
from autograd.engine import record_backward
from autograd.graph import graph_tensors, tensor_names

__all__ = ["backward_steps", "BackwardSteps", "Step", "StepText", "format_array", "node_formula"]


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


def node_formula(output, names):
    """``"f = q * z"``: how ``output`` was made, with the names (``names``: tensor id -> name) of its op's inputs.

    A constant input, which has no name, is written as its value (min/mean/max for an array).

    >>> from autograd import Tensor
    >>> q = Tensor(3.0, requires_grad=True, name="q")
    >>> f, g = q * 2, q.exp()
    >>> node_formula(f, {id(q): "q", id(f): "f"}), node_formula(g, {id(q): "q", id(g): "g"})
    ('f = q * 2', 'g = exp(q)')
    """
    op = output.op
    args = [names.get(id(p)) or format_array(p.data, 1) for p in op.parents]
    formula = f" {op.name} ".join(args) if op.infix and len(args) == 2 else f"{op.name}({', '.join(args)})"
    return f"{names.get(id(output))} = {formula}"


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


@dataclass(frozen=True)
class StepText:
    """One chain-rule step as text, formatted once for :func:`backward_steps`'s table and the player.

    Attributes
    ----------
    number : int
        1 for the first step of the walk.
    root, output, input : str
        Names of the tensor differentiated, of the op's output and of the input the gradient goes to.
    node : str
        ``"f = q * z"``: the op, written with the names of its inputs.
    upstream, local, passed, accumulated : str
        The numbers of :class:`Step`, as the table prints them.
    rule : str or None
        The local derivative in words (``"z"`` for ``d(q * z)/dq``), for labgrad's elementwise
        ops; None where there is no short formula.
    product : bool
        True when ``passed`` is exactly ``upstream × local`` (elementwise ops, no broadcasting).
    previous : str or None
        The input's gradient accumulated before this step, if it had one (a tensor used twice).
    """
    number: int
    root: str
    output: str
    node: str
    upstream: str
    input: str
    local: str
    rule: str | None
    passed: str
    product: bool
    accumulated: str
    previous: str | None

    def cells(self):
        """The step's row of the table: step, node, upstream, input, local, passed down, accumulated."""
        return (str(self.number), self.node, self.upstream, self.input, self.local, self.passed, self.accumulated)

    def lines(self):
        """The step in words, one line per part of the chain rule (what the player shows beside the graph)."""
        r, out, x = self.root, self.output, self.input
        upstream, local = f"d{r}/d{out}", f"d{out}/d{x}"
        rule = f"{self.rule} = " if self.rule not in (None, self.local) else ""
        if self.product:
            chain = f"{upstream} × {local} = {self.upstream} × {self.local} = {self.passed}"
        else:
            chain = f"the backward of {self.node.partition(' = ')[2]} passes {self.passed} to {x}"
        lines = [f"step {self.number}: {self.node} passes the gradient on to {x}",
                 f"upstream gradient  {upstream} = {self.upstream}",
                 f"local derivative   {local} = {rule}{self.local}" if self.product else
                 f"local derivative   {local} (the backward applied to ones) = {self.local}",
                 f"chain rule         {chain}"]
        if self.previous is None:
            lines.append(f"{x}.grad = {self.accumulated}")
        else:
            lines += [f"{x} is used more than once: its gradients add up",
                      f"{x}.grad = {self.previous} + {self.passed} = {self.accumulated}"]
        return tuple(lines)


# The local derivative of labgrad's own elementwise ops in words, by (op name, input index):
# {a}, {b} name the inputs, {out} the output (as in each op's backward).
_RULES = {
    ("+", 0): "1", ("+", 1): "1", ("-", 0): "1", ("-", 1): "-1",
    ("*", 0): "{b}", ("*", 1): "{a}", ("/", 0): "1/{b}", ("/", 1): "-{out}/{b}",
    ("**", 0): "{b}·{a}^({b} - 1)", ("**", 1): "{out}·log({a})",
    ("neg", 0): "-1", ("exp", 0): "exp({a})", ("log", 0): "1/{a}", ("sqrt", 0): "1/(2·{out})",
    ("abs", 0): "sign({a})", ("tanh", 0): "1 - {out}²", ("sigmoid", 0): "{out}·(1 - {out})",
    ("relu", 0): "1 where {a} > 0, else 0",
}


def _rule(op, index, args, output):
    """The local derivative of ``op`` for input ``index`` in words, or None (user ops: no formula known)."""
    rule = _RULES.get((op.name, index)) if op.trusted and len(args) <= 2 else None
    if rule is None:
        return None
    return rule.format(a=args[0], b=args[-1], out=output)


def _is_product(step):
    """True if the gradient passed is upstream × local up to rounding (so the player may write it as that product).

    The backward computes the passed gradient in its own order (``g / b`` rather than ``g × (1/b)``), so
    the last bits may differ from the product: compare with a tolerance of a few units of the dtype's
    precision (relative, and absolute scaled to the size of the product).
    """
    if not step.upstream.shape == step.local.shape == step.passed.shape:
        return False
    with np.errstate(all="ignore"):
        product = step.upstream * step.local
        dtype = np.result_type(product, step.passed)
        if not np.issubdtype(dtype, np.inexact):
            return bool(np.array_equal(product, step.passed))
        rtol = 1e-12 if np.finfo(dtype).bits >= 64 else 1e-6 if np.finfo(dtype).bits >= 32 else 1e-3
        finite = np.abs(product[np.isfinite(product)])
        atol = rtol * (float(finite.max()) if finite.size else 0.0)
        return bool(np.allclose(product, step.passed, rtol=rtol, atol=atol, equal_nan=True))


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

    def texts(self):
        """Every step as :class:`StepText`: the one formatting of a step, for the table and the player.

        >>> from autograd import Tensor
        >>> a = Tensor(3.0, requires_grad=True, name="a")
        >>> d = (a * 2) * (a + 1)
        >>> texts = backward_steps(d, names={"d": d}).texts()
        >>> texts[-1].cells()
        ('4', 't0 = a * 2', '4', 'a', '2', '8', '14')
        >>> print("\\n".join(texts[-1].lines()))
        step 4: t0 = a * 2 passes the gradient on to a
        upstream gradient  dd/dt0 = 4
        local derivative   dt0/da = 2
        chain rule         dd/dt0 × dt0/da = 4 × 2 = 8
        a is used more than once: its gradients add up
        a.grad = 6 + 8 = 14
        """
        name = self.names.get
        fmt = lambda a: format_array(a, self.max_elements).replace("\n", "")  # noqa: E731
        root, so_far, texts = name(id(self.root)), {}, []
        for number, s in enumerate(self, 1):
            args = [name(id(p)) or format_array(p.data, 1) for p in s.op.parents]
            output, source = name(id(s.output)), name(id(s.input))
            texts.append(StepText(
                number=number, root=root, output=output, node=node_formula(s.output, self.names),
                upstream=fmt(s.upstream), input=source, local=fmt(s.local), rule=_rule(s.op, s.index, args, output),
                passed=fmt(s.passed),
                product=_is_product(s), accumulated=fmt(s.accumulated), previous=so_far.get(id(s.input))))
            so_far[id(s.input)] = texts[-1].accumulated
        return texts

    def table(self):
        """The steps as a text table, one row per (op, input) pair."""
        r = self.names.get(id(self.root))
        rows = [("step", "node", "upstream", "input", "local", "passed down", "accumulated")]
        rows += [t.cells() for t in self.texts()]
        widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
        seed = format_array(self.seed, self.max_elements).replace("\n", "")
        lines = [f"backward of {r}, seeded with d{r}/d{r} = {seed}"]
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

    def __call__(self, op, output, upstream, input, index, passed, accumulated):
        if op is not self.op:             # the walk passes an op's gradients one after another
            self.op = op
            local = op.backward(np.ones_like(upstream), output.data, *[p.data for p in op.parents])
            self.local = local if isinstance(local, (tuple, list)) else (local,)
        self.steps.append(Step(op, output, upstream, input, index, np.asarray(self.local[index]),
                               passed, accumulated))


def _checked_names(names, caller):
    """``names`` as a mapping or a list of (name, tensor) pairs, or a TypeError naming ``caller``."""
    if names is None or isinstance(names, Mapping):
        return names
    fix = "pass a dict such as locals() or dict(model.named_parameters()), or (name, tensor) pairs"
    if isinstance(names, (str, bytes)) or not isinstance(names, Iterable):
        raise TypeError(f"{caller}: names must be a mapping or (name, tensor) pairs, got {checks.show(names)} "
                        f"({type(names).__name__}); {fix}")
    pairs = list(names)
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"{caller}: names must be a mapping or (name, tensor) pairs, got the item "
                            f"{checks.show(pair)} ({type(pair).__name__}); {fix}")
    return pairs


def backward_steps(root, grad=None, names=None, max_elements=6, *, caller="backward_steps"):
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
    caller : str
        The name error messages start with (``viz.player`` passes its own).

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
    max_elements = checks.non_negative_int(max_elements, "max_elements", caller)
    names = _checked_names(names, caller)
    if grad is not None and not hasattr(grad, "data") and np.asarray(grad).dtype.kind not in "biuf":
        raise TypeError(f"{caller}: grad must be numbers (a Tensor, an array or a float), got {checks.show(grad)} "
                        f"({type(grad).__name__}); pass d L / d root with the root's shape")
    record = _Recorder()
    grads = record_backward([root], None if grad is None else [grad], record, caller)
    seed = grads[root]                   # (the walk keeps every gradient: the root's is the seed)
    labels = tensor_names(graph_tensors([root]), names)
    return BackwardSteps(record.steps, root, seed, labels, {id(t): g for t, g in grads.items()}, max_elements)
