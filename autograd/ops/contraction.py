"""``einsum``: sums of products over named axes, differentiable in every operand.

An equation ``"ij,jk->ik"`` names each operand's axes with letters; the output keeps the
letters after ``->`` and sums over the others. ``einsum`` is linear in each operand, so its
derivatives are einsums again:

- the gradient of operand k is the einsum of the upstream gradient with the other operands,
  into operand k's letters (``"ik,jk->ij"`` for ``A`` of ``"ij,jk->ik"``); a letter only operand
  k has (summed away: ``"ij->i"``) comes back through a vector of ones, and a letter that
  operand k repeats (a diagonal: ``"ii->i"``) through an identity matrix, which puts the
  gradient on that diagonal;
- the tangent of the output is the same einsum with operand k replaced by its tangent.

So a backward is differentiable again (``create_graph=True``) with no other rule.

The equation is parsed once into explicit letters (``...`` becomes letters of its own, aligned
from the right and broadcast as numpy broadcasts, a size-1 axis against any size), which
is what :class:`Einsum` stores and what its rules rewrite.

>>> from autograd import Tensor
>>> a = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> einsum("ij,jk->ik", a, a), einsum("ii->", a), einsum("ii->i", a)
(Tensor([[ 7., 10.],
        [15., 22.]], op='einsum'), Tensor(5., op='einsum'), Tensor([1., 4.], op='einsum'))
>>> einsum("ii->", a).backward()
>>> a.grad
array([[1., 0.],
       [0., 1.]])
"""
import functools
import math
import string

import numpy as np

from autograd.function import Function
from autograd.tensor import Tensor, as_tensor

__all__ = ["einsum"]

#: the letters a subscript may use (numpy's set: a-z, A-Z)
LETTERS = string.ascii_letters

#: above this many products (the product of all letter sizes) numpy's einsum is asked to plan the
#: contraction (``optimize=True``: BLAS through tensordot, 6x faster for (64, 128) @ (128, 256));
#: below it the plan costs more than it saves (about 10 us against 2-7 us at 8^3-24^3, measured)
PLAN_ABOVE = 2 ** 15


def _numpy_einsum(equation, arrays, sizes):
    """numpy's einsum of an explicit equation, planned when the work or the operand count is large."""
    plan = len(arrays) > 2 or math.prod(sizes.values()) > PLAN_ABOVE
    return np.einsum(equation, *arrays, optimize=plan)


def _spare_letters(used):
    """Letters not in ``used``, in order: names for the axes of ``...``, a batch axis, a diagonal's copy."""
    return [c for c in LETTERS if c not in used]


def parse_equation(equation, shapes):
    """``equation`` for operands of ``shapes`` as explicit letters: ``(inputs, output)``, a tuple of letter
    strings (one per operand) and the output's letters. ``...`` becomes spare letters, aligned from the
    right; without ``->`` the output is ``...`` then the letters used once, sorted (numpy's and PyTorch's rule).

    >>> parse_equation("...ij,jk", [(5, 2, 3), (3, 4)])
    (('aij', 'jk'), 'aik')
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string such as 'ij,jk->ik', got {equation!r}; the sublist "
                        "form einsum(a, [0, 1], b, [1, 2]) is not supported, write the letters instead")
    text = equation.replace(" ", "")
    if text.count("->") > 1:
        raise ValueError(f"einsum: equation {equation!r} has more than one '->'; write inputs->output once")
    lhs, arrow, rhs = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: equation {equation!r} names {len(terms)} operand(s), got {len(shapes)} "
                         f"of shapes {[tuple(s) for s in shapes]}; give one comma-separated term per operand")
    for term in terms + ([rhs] if arrow else []):
        letters = term.replace("...", "", 1)
        bad = [c for c in letters if c not in LETTERS]
        if bad:
            raise ValueError(f"einsum: invalid subscript {bad[0]!r} in {term!r} of {equation!r}; subscripts are "
                             "letters a-z, A-Z and at most one '...' per term (other characters are not supported)")
    spare = _spare_letters(set(text))
    explicit, ellipsis_ndim = [], 0
    for term, shape in zip(terms, shapes):
        named = len(term.replace("...", ""))
        if "..." in term:
            if len(shape) < named:
                raise ValueError(f"einsum: term {term!r} names {named} axes, but its operand has shape {tuple(shape)}")
            ellipsis_ndim = max(ellipsis_ndim, len(shape) - named)
        elif len(shape) != named:
            raise ValueError(f"einsum: term {term!r} names {named} axes, but its operand has shape {tuple(shape)} "
                             f"({len(shape)} axes); name every axis, or use '...' for the leading ones")
    if ellipsis_ndim > len(spare):
        raise ValueError(f"einsum: equation {equation!r} uses more than the 52 letters numpy's einsum can name")
    ellipsis = "".join(spare[:ellipsis_ndim])
    for term, shape in zip(terms, shapes):
        own = len(shape) - len(term.replace("...", ""))
        explicit.append(term.replace("...", ellipsis[ellipsis_ndim - own:] if own else "", 1))
    if arrow:
        output = rhs.replace("...", ellipsis, 1)
        repeated = sorted({c for c in output if output.count(c) > 1})
        unknown = sorted({c for c in rhs.replace("...", "") if c not in lhs})
        if repeated or unknown:
            raise ValueError(f"einsum: output {rhs!r} of {equation!r} must name each letter once and only letters "
                             f"of the inputs (repeated: {repeated}, not in the inputs: {unknown})")
    else:
        named = "".join(terms).replace("...", "")
        output = ellipsis + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    return tuple(explicit), output


@functools.lru_cache(maxsize=256)
def _parsed(equation, shapes):
    """:func:`parse_equation`, remembered: a training step spells the same equation on the same shapes."""
    return parse_equation(equation, shapes)


def letter_sizes(inputs, shapes, equation="einsum"):
    """The size of each letter: equal wherever it names an axis, or 1 (broadcast) in some operands.

    >>> letter_sizes(("ij", "jk"), [(2, 3), (1, 4)])
    {'i': 2, 'j': 3, 'k': 4}
    """
    sizes = {}
    for k, (term, shape) in enumerate(zip(inputs, shapes)):
        own = {}
        for c, n in zip(term, shape):
            if own.setdefault(c, n) != n:
                raise ValueError(f"einsum: letter {c!r} is repeated in operand {k} of shape {tuple(shape)} "
                                 f"(a diagonal) on axes of sizes {own[c]} and {n} ({equation!r}); a diagonal "
                                 "needs a square plane")
            seen = sizes.setdefault(c, n)
            if seen != n and 1 not in (seen, n):
                raise ValueError(f"einsum: letter {c!r} names axes of sizes {seen} and {n} (operand {k} of shape "
                                 f"{tuple(shape)}) in {equation!r}, with shapes {[tuple(s) for s in shapes]}; "
                                 "sizes must match (or be 1, which broadcasts)")
            sizes[c] = max(seen, n) if 1 in (seen, n) else n
    return sizes


class Einsum(Function):
    """The einsum of explicit letters ``inputs -> output`` (see :func:`parse_equation`)."""
    name = "einsum"
    trusted = True
    capturable = True
    batched_jvp = batched_backward = True        # (a batch axis is one more letter)

    def forward(self, *arrays, equation="", inputs=(), output=""):
        self.equation, self.inputs, self.output = equation, inputs, output
        self.sizes = letter_sizes(inputs, [x.shape for x in arrays], equation)
        return _numpy_einsum(",".join(inputs) + "->" + output, arrays, self.sizes)

    def backward(self, g, out, *operands):
        batch = self._batch_letter(g.ndim - out.ndim)
        return tuple(self._operand_grad(k, g, batch, operands) if needed else None
                     for k, needed in enumerate(self.needs_input_grad))

    def _operand_grad(self, k, g, batch, operands):
        """``d out / d operands[k]`` applied to ``g``: the einsum of g with the other operands into k's letters."""
        spare = iter(_spare_letters(set(self.sizes) | set(batch)))
        dtype = g.dtype
        terms, arrays, target = [batch + self.output], [g], []
        terms += [t for j, t in enumerate(self.inputs) if j != k]
        arrays += [x for j, x in enumerate(operands) if j != k]
        for c in self.inputs[k]:
            if c in target:               # a repeated letter (a diagonal): its copy tied by an identity matrix
                copy = next(spare)
                terms.append(c + copy)
                arrays.append(np.eye(self.sizes[c], dtype=dtype))
                c = copy
            target.append(c)
        reached = {}                      # the size each letter has in the other terms (1: broadcast there)
        for term, x in zip(terms, arrays):
            for c, n in zip(term, x.shape):
                reached[c] = max(reached.get(c, 1), n)
        for c, n in zip(target, operands[k].shape):
            if reached.get(c, 0) < n:     # summed away from operand k alone, or broadcast from size 1 elsewhere:
                terms.append(c)           # every position of operand k got the same gradient
                arrays.append(np.ones(n, dtype))
        return einsum_of(",".join(terms) + "->" + batch + "".join(target), arrays, self.sizes)

    def jvp(self, i, dx, out, *inputs):
        # linear in each operand: d einsum(.., x_i, ..) = einsum(.., dx_i, ..) (a batch axis is one more letter)
        batch = self._batch_letter(dx.ndim - inputs[i].ndim)
        terms = list(self.inputs)
        terms[i] = batch + terms[i]
        operands = list(inputs)
        operands[i] = dx
        return einsum_of(",".join(terms) + "->" + batch + self.output, operands, self.sizes)

    def _batch_letter(self, lead):
        return _spare_letters(set(self.sizes))[0] if lead else ""

    def describe(self):
        return self.equation


def einsum_of(equation, operands, sizes):
    """The einsum of an explicit ``equation`` (no ``...``; ``sizes`` of its letters, for the plan): numpy's
    on arrays (a first-order backward), the op on Tensors (a graph under ``create_graph``)."""
    if not any(isinstance(x, Tensor) for x in operands):
        return _numpy_einsum(equation, operands, sizes)
    lhs, _, output = equation.partition("->")
    tensors = [x if isinstance(x, Tensor) else Tensor.wrap(np.asarray(x)) for x in operands]
    return Einsum.apply(*tensors, equation=equation, inputs=tuple(lhs.split(",")), output=output)


def einsum(equation, *operands):
    """Einstein summation as PyTorch's ``torch.einsum`` (and numpy's): ``einsum("ij,jk->ik", a, b)`` is a @ b.

    Supports letters ``a-z A-Z``, one ``...`` per term (broadcast axes, aligned from the right), the
    implicit output (no ``->``: ``...`` then the letters used once, sorted), repeated letters in an
    operand (``"ii->i"``, a diagonal; ``"ii"``, the trace) and sums (``"ij->"``). Operands may also be
    given as one list. The sublist form ``einsum(a, [0, 1])`` is not supported.

    >>> from autograd import Tensor
    >>> einsum("...i,...i->...", Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([1.0, 1.0]))
    Tensor([3., 7.])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError(f"einsum: no operands for {equation!r}; pass at least one tensor")
    tensors = [as_tensor(x) for x in operands]
    if not isinstance(equation, str):
        parse_equation(equation, ())                                  # (raises the TypeError)
    inputs, output = _parsed(equation, tuple(t.shape for t in tensors))
    return Einsum.apply(*tensors, equation=equation, inputs=inputs, output=output)
