"""Walking a computation graph, and naming its tensors: what the engine, the step table and the pictures share.

A graph is made of tensors and the ops (:class:`~autograd.function.Function`)
that made them: a tensor's ``op`` is None for a leaf, else the op, whose
``parents`` are its input tensors. This module knows tensors only by those
attributes (``data``, ``op``, ``requires_grad``, ``name``), so the engine that
``Tensor.backward`` calls can use it without importing the Tensor class: the
imports of ``autograd`` run one way (see the comment in autograd/tensor.py).

>>> from autograd import Tensor
>>> x = Tensor(2.0, requires_grad=True, name="x")
>>> y = x * 3
>>> z = y + 1
>>> [t.op.name for t in topological_order([z])]
['+', '*']
>>> sorted(n for n in tensor_names(graph_tensors([z]), {"z": z}).values() if n)
['t0', 'x', 'z']
"""
from collections.abc import Mapping

import numpy as np

__all__ = ["topological_order", "graph_tensors", "tensor_names", "is_tensor"]


def is_tensor(x):
    """True if ``x`` is a tensor of a graph (a :class:`~autograd.Tensor`: ``data`` array, ``op``, ``requires_grad``).

    >>> from autograd import Tensor
    >>> is_tensor(Tensor(1.0)), is_tensor(np.ones(2)), is_tensor([1.0])
    (True, False, False)
    """
    return type(getattr(x, "data", None)) is np.ndarray and hasattr(x, "op") and hasattr(x, "requires_grad")


def topological_order(roots):
    """Non-leaf tensors reachable from ``roots`` that require grad, each before its parents.

    Leaves are left out: nothing flows on from a leaf, so it needs no place in the order
    (a walk collects leaf gradients as they arrive). Iterative: deep graphs are fine.
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
                "a picture that large is slow to lay out and too crowded to read. Show a smaller part (an intermediate "
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
        if is_tensor(key) and isinstance(value, str):
            key, value = value, key
        if not (isinstance(key, str) and is_tensor(value)):
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
