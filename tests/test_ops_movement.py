"""Data movement and einsum against PyTorch: values and gradients over a table of cases, and a table of bad
inputs whose messages name the op and the shapes.

The property tests of every op (gradients, second order, forward mode, float32) are the rows of
tests/op_cases.py; here each case is written once and run through both libraries (``lib`` is
``autograd`` or a namespace of torch's functions), so the comparison is of PyTorch's semantics:
argument orders, the direction of ``pad``'s widths, ``repeat``'s tiling, ``split``'s sizes.
"""
import re
import types

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

torch = pytest.importorskip("torch")
F = torch.nn.functional

TORCH = types.SimpleNamespace(pad=F.pad, one_hot=F.one_hot, einsum=torch.einsum, diag=torch.diag,
                              index=lambda a: torch.as_tensor(a), mask=lambda m: torch.as_tensor(m))
LABGRAD = types.SimpleNamespace(pad=ag.pad, one_hot=ag.one_hot, einsum=ag.einsum, diag=ag.diag,
                                index=lambda a: a, mask=lambda m: m)

IDX = np.array([[0, 0, 3], [1, 0, 2], [3, 3, 3]])          # repeats: gradients accumulate
MASK = np.array([True, False, False, True])

# (id, input shapes, f(lib, *tensors) -> tensor or tuple of tensors)
CASES = [
    ("pad constant last axis", [(2, 3)], lambda lib, x: lib.pad(x, (1, 2))),
    ("pad constant two axes, value", [(2, 3, 4)], lambda lib, x: lib.pad(x, (1, 1, 2, 0), value=1.5)),
    ("pad constant negative crops", [(2, 4)], lambda lib, x: lib.pad(x, (-1, 2, 1, -1))),
    ("pad reflect 1d", [(1, 2, 4)], lambda lib, x: lib.pad(x, (2, 3), mode="reflect")),
    ("pad reflect 2d", [(1, 2, 3, 4)], lambda lib, x: lib.pad(x, (1, 3, 2, 1), mode="reflect")),
    ("pad reflect 3d", [(1, 2, 3, 3, 4)], lambda lib, x: lib.pad(x, (1, 1, 2, 0, 1, 2), mode="reflect")),
    ("pad replicate 1d", [(2, 3, 2)], lambda lib, x: lib.pad(x, (2, 3), mode="replicate")),
    ("pad replicate 2d", [(2, 3, 3)], lambda lib, x: lib.pad(x, (1, 0, 3, 1), mode="replicate")),
    ("flip one axis", [(3, 4)], lambda lib, x: x.flip(0)),
    ("flip two axes", [(2, 3, 4)], lambda lib, x: x.flip((0, -1))),
    ("roll flattened", [(3, 4)], lambda lib, x: x.roll(5)),
    ("roll two axes", [(3, 4)], lambda lib, x: x.roll((2, -1), (0, 1))),
    ("roll apart axes", [(2, 3, 4)], lambda lib, x: x.roll((1, 3), (0, 2))),
    ("roll one axis twice", [(3, 4)], lambda lib, x: x.roll((1, 2), (1, 1))),
    ("repeat", [(3, 2)], lambda lib, x: x.repeat(2, 1, 3)),
    ("repeat tuple", [(2, 2)], lambda lib, x: x.repeat((1, 3, 1, 2))),
    ("repeat zero copies", [(2, 3)], lambda lib, x: x.repeat(0, 2)),
    ("tile fewer dims", [(2, 3)], lambda lib, x: x.tile((2,))),
    ("tile more dims", [(3, 2)], lambda lib, x: x.tile((2, 1, 2))),
    ("repeat_interleave flattened", [(2, 3)], lambda lib, x: x.repeat_interleave(2)),
    ("repeat_interleave dim", [(2, 3)], lambda lib, x: x.repeat_interleave(3, dim=1)),
    ("repeat_interleave counts", [(3, 2)], lambda lib, x: x.repeat_interleave(lib.index(np.array([1, 0, 2])), dim=0)),
    ("tril", [(3, 4)], lambda lib, x: x.tril()),
    ("tril below", [(2, 3, 3)], lambda lib, x: x.tril(-1)),
    ("triu above", [(4, 3)], lambda lib, x: x.triu(1)),
    ("triu batched", [(2, 3, 4)], lambda lib, x: x.triu(-1)),
    ("diag of vector", [(3,)], lambda lib, x: lib.diag(x)),
    ("diag of vector below", [(3,)], lambda lib, x: lib.diag(x, -2)),
    ("diag of matrix", [(3, 4)], lambda lib, x: x.diag(1)),
    ("diagonal", [(3, 4)], lambda lib, x: x.diagonal()),
    ("diagonal offset dims", [(2, 3, 4)], lambda lib, x: x.diagonal(-1, 1, 2)),
    ("diagonal reversed dims", [(3, 2, 4)], lambda lib, x: x.diagonal(1, 2, 0)),
    ("diagonal empty", [(2, 3)], lambda lib, x: x.diagonal(5)),
    ("split size", [(5, 3)], lambda lib, x: x.split(2)),
    ("split sizes dim", [(2, 6)], lambda lib, x: x.split([1, 0, 5], dim=1)),
    ("chunk", [(5, 2)], lambda lib, x: x.chunk(3)),
    ("chunk fewer pieces", [(5,)], lambda lib, x: x.chunk(4)),
    ("unflatten", [(3, 6)], lambda lib, x: x.unflatten(1, (2, -1))),
    ("gather dim 1", [(3, 4)], lambda lib, x: x.gather(1, lib.index(IDX))),
    ("gather dim 0 smaller index", [(4, 3)], lambda lib, x: x.gather(0, lib.index(IDX[:2, :2]))),
    ("gather keyword", [(4, 3)], lambda lib, x: x.gather(dim=0, index=lib.index(IDX[:, :1]))),
    ("scatter_add", [(4, 3), (3, 3)], lambda lib, x, s: x.scatter_add(0, lib.index(IDX), s)),
    ("masked_fill", [(3, 4)], lambda lib, x: x.masked_fill(lib.mask(MASK), -2.5)),
    ("masked_fill tensor value", [(3, 4), ()], lambda lib, x, v: x.masked_fill(lib.mask(MASK), v)),
    ("einsum matmul", [(2, 3), (3, 4)], lambda lib, a, b: lib.einsum("ij,jk->ik", a, b)),
    ("einsum implicit", [(2, 3), (4, 3)], lambda lib, a, b: lib.einsum("ij,kj", a, b)),
    ("einsum list of operands", [(2, 3), (4, 3)], lambda lib, a, b: lib.einsum("ij,kj->ki", [a, b])),
    ("einsum batched", [(2, 2, 3), (2, 3, 4)], lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b)),
    ("einsum ellipsis broadcast", [(2, 1, 2, 3), (4, 3, 2)], lambda lib, a, b: lib.einsum("...ij,...jk->...ik", a, b)),
    ("einsum ellipsis summed", [(2, 3, 4)], lambda lib, a: lib.einsum("...ij->ij", a)),
    ("einsum ellipsis in the middle", [(2, 5, 3)], lambda lib, a: lib.einsum("i...j->j...", a)),
    ("einsum diagonal", [(3, 3)], lambda lib, a: lib.einsum("ii->i", a)),
    ("einsum trace", [(3, 3)], lambda lib, a: lib.einsum("ii", a)),
    ("einsum diagonal batch", [(3, 3, 2)], lambda lib, a: lib.einsum("iij->ji", a)),
    ("einsum sum", [(2, 3)], lambda lib, a: lib.einsum("ij->", a)),
    ("einsum outer", [(2,), (3,)], lambda lib, a, b: lib.einsum("i,j->ij", a, b)),
    ("einsum three operands", [(2, 3), (3, 4), (4, 2)], lambda lib, a, b, c: lib.einsum("ij,jk,kl->il", a, b, c)),
    ("einsum bilinear", [(2, 3), (5, 3, 4), (2, 4)], lambda lib, a, w, b: lib.einsum("bi,oij,bj->bo", a, w, b)),
    ("einsum upper case", [(2, 3), (3, 4)], lambda lib, a, b: lib.einsum("Ab,bC->CA", a, b)),
    ("einsum size-1 broadcast", [(1, 3), (4, 3)], lambda lib, a, b: lib.einsum("ij,ij->i", a, b)),
    ("einsum spaces", [(2, 3), (3,)], lambda lib, a, b: lib.einsum("i j , j -> i", a, b)),
]


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name, shapes, f", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_equal_pytorchs(name, shapes, f, dtype):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = _outputs(f(LABGRAD, *ours)), _outputs(f(TORCH, *theirs))
    assert len(out) == len(expected)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    weights = [rng.standard_normal(tuple(e.shape)).astype(dtype) for e in expected]
    for o, e in zip(out, expected):
        assert o.shape == tuple(e.shape) and o.dtype == dtype
        np.testing.assert_allclose(o.data, e.detach().numpy(), **tol)
    sum((o * w).sum() for o, w in zip(out, weights)).backward()
    sum((e * torch.tensor(w)).sum() for e, w in zip(expected, weights)).backward()
    for x, t in zip(ours, theirs):
        assert x.grad.dtype == dtype
        np.testing.assert_allclose(x.grad, t.grad.numpy(), **tol)


@pytest.mark.parametrize("labels, num_classes", [
    (np.array([0, 2, 1, 2]), -1), (np.array([[1, 0], [3, 3]]), 5), (np.array(2), 4), (np.zeros((0,), np.int64), 3),
])
def test_one_hot_equals_pytorchs_and_has_no_gradient(labels, num_classes):
    out = ag.one_hot(Tensor(labels), num_classes)
    expected = F.one_hot(torch.as_tensor(labels), num_classes).numpy()
    assert out.dtype == np.int64 and not out.requires_grad and out.op is None
    np.testing.assert_array_equal(out.data, expected)


@pytest.mark.parametrize("name, shapes, f", [c for c in CASES if c[0].startswith(("gather", "scatter", "pad r"))],
                         ids=[c[0] for c in CASES if c[0].startswith(("gather", "scatter", "pad r"))])
def test_second_derivatives_equal_pytorchs(name, shapes, f):
    """grad of <grad(f), v> (double backward through the adjoint pairs gather/scatter_add, pad/accumulate)."""
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = _outputs(f(LABGRAD, *ours))[0], _outputs(f(TORCH, *theirs))[0]
    w = rng.standard_normal(out.shape)
    grads = ag.grad((out * out * w).sum(), ours, create_graph=True)
    torch_grads = torch.autograd.grad((expected * expected * torch.tensor(w)).sum(), theirs, create_graph=True)
    vs = [rng.standard_normal(s) for s in shapes]
    sum((g * v).sum() for g, v in zip(grads, vs)).backward()
    sum((g * torch.tensor(v)).sum() for g, v in zip(torch_grads, vs)).backward()
    for x, t in zip(ours, theirs):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_scatter_add_uses_only_the_part_of_src_the_index_covers():
    """src larger than the index: PyTorch's value (its backward refuses this case: 'ScatterAddBackward0
    returned an invalid gradient'), and src's gradient is the gathered gradient there, zeros elsewhere."""
    rng = np.random.default_rng(2)
    x, src, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 5)), rng.standard_normal((3, 4))
    index = IDX[:2]
    ours_x, ours_src = Tensor(x, requires_grad=True), Tensor(src, requires_grad=True)
    out = ours_x.scatter_add(1, index, ours_src)
    expected = torch.tensor(x).scatter_add(1, torch.as_tensor(index), torch.tensor(src))
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-12, atol=1e-12)
    (out * w).sum().backward()
    np.testing.assert_array_equal(ours_x.grad, w)
    src_grad = np.zeros((3, 5))
    src_grad[:2, :3] = np.take_along_axis(w[:2], index, 1)
    np.testing.assert_array_equal(ours_src.grad, src_grad)


@pytest.mark.parametrize("equation, shapes, stretched", [
    ("ij,jk->ik", [(4, 1), (3, 2)], [(4, 3), (3, 2)]),        # a summed letter of size 1 in one operand
    ("ij,ij->i", [(1, 3), (4, 3)], [(4, 3), (4, 3)]),
    ("i,ij->j", [(1,), (3, 2)], [(3,), (3, 2)]),
])
def test_einsum_broadcasts_a_size_1_axis_and_sums_its_gradient(equation, shapes, stretched):
    """As the same einsum of the operands stretched to full size (PyTorch's own einsum backward refuses
    the first case, so its expand is the oracle)."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = ag.einsum(equation, *ours)
    expected = torch.einsum(equation, *[t.expand(*s) for t, s in zip(theirs, stretched)])
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    w = rng.standard_normal(out.shape)
    (out * w).sum().backward()
    (expected * torch.tensor(w)).sum().backward()
    for x, t in zip(ours, theirs):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_an_index_changed_after_the_forward_pass_does_not_move_the_gradient():
    x, index = Tensor(np.zeros((2, 3)), requires_grad=True), np.array([[0, 1], [2, 2]])
    y = x.gather(1, index)
    index[:] = 0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 1, 0], [0, 0, 2]])


@pytest.mark.parametrize("make, name", [
    (lambda x: x.flip(0), "flip"), (lambda x: x.roll(1, 0), "roll"), (lambda x: x.repeat(2, 1), "repeat"),
    (lambda x: x.tile((2,)), "tile"), (lambda x: x.tril(), "tril"), (lambda x: x.diagonal(), "diagonal"),
    (lambda x: x.gather(0, np.zeros((1, 3), np.int64)), "gather"), (lambda x: ag.pad(x, (1, 1)), "pad"),
    (lambda x: ag.pad(x, (1, 1), mode="reflect"), "pad"), (lambda x: x.split(1)[0], "split"),
    (lambda x: x.unflatten(1, (3, 1)), "unflatten"), (lambda x: ag.einsum("ij->j", x), "einsum"),
    (lambda x: x.masked_fill(np.eye(2, 3, dtype=bool), 0.0), "masked_fill"),
])
def test_graph_pictures_name_the_op_the_user_wrote(make, name):
    assert make(Tensor(np.ones((2, 3)), requires_grad=True)).op.name == name


@pytest.mark.parametrize("make, text", [
    (lambda x: x.flip(0), "dims=0"), (lambda x: x.roll(1, 1), "shifts=(1,) dims=(1,)"),
    (lambda x: ag.pad(x, (1, 2), mode="replicate"), "pad=(1, 2) mode='replicate'"),
    (lambda x: ag.pad(x, (1, 2)), "pad=(1, 2)"), (lambda x: x.gather(1, np.zeros((2, 1), np.int64)), "dim=1"),
    (lambda x: x.split(2, dim=1)[1], "2:3 axis=1"), (lambda x: x.diagonal(1), "offset=1 dims=(0, 1)"),
    (lambda x: ag.einsum("ij->j", x), "ij->j"), (lambda x: x[0].diag(), "shape=(3, 3)"),
])
def test_graph_pictures_describe_the_ops_arguments(make, text):
    assert make(Tensor(np.ones((2, 3)), requires_grad=True)).op.describe() == text


@pytest.mark.parametrize("call, expected", [
    (lambda: np.split(Tensor(np.arange(6.0)), 3), np.split(np.arange(6.0), 3)),
    (lambda: np.split(Tensor(np.arange(6.0).reshape(2, 3)), [1, 2], axis=1),
     np.split(np.arange(6.0).reshape(2, 3), [1, 2], axis=1)),
    (lambda: [np.repeat(Tensor([1.0, 2.0]), 2)], [np.repeat([1.0, 2.0], 2)]),
    (lambda: [np.pad(Tensor(np.ones((2, 2))), ((1, 0), (0, 2)))], [np.pad(np.ones((2, 2)), ((1, 0), (0, 2)))]),
    (lambda: [np.pad(Tensor([1.0, 2.0, 3.0]), 2, mode="edge")], [np.pad([1.0, 2.0, 3.0], 2, mode="edge")]),
    (lambda: [np.flip(Tensor(np.arange(4.0).reshape(2, 2)))], [np.flip(np.arange(4.0).reshape(2, 2))]),
    (lambda: [np.einsum("ij->j", Tensor(np.ones((2, 3))))], [np.full(3, 2.0)]),
])
def test_numpy_functions_keep_numpys_meaning_on_tensors(call, expected):
    got = call()
    assert len(got) == len(expected) and all(isinstance(t, Tensor) for t in got)
    for t, e in zip(got, expected):
        np.testing.assert_array_equal(t.data, e)


X = Tensor(np.ones((2, 3)), requires_grad=True)

BAD_INPUTS = [
    (lambda: ag.pad(X, (1,)), ValueError, ["pad:", "(2, 3)", "(1,)"]),
    (lambda: ag.pad(X, (1, 1, 1, 1, 1, 1)), ValueError, ["pad:", "(2, 3)"]),
    (lambda: ag.pad(X, (1.5, 1)), TypeError, ["pad:", "1.5"]),
    (lambda: ag.pad(X, (1, 1), mode="circular"), ValueError, ["pad:", "'circular'", "'reflect'"]),
    (lambda: ag.pad(X, (3, 0), mode="reflect"), ValueError, ["pad:", "(2, 3)", "(3, 0)"]),
    (lambda: ag.pad(X, (-1, 0), mode="replicate"), ValueError, ["pad:", "replicate", "(-1, 0)"]),
    (lambda: ag.pad(X, (1, 1), mode="reflect", value=2.0), ValueError, ["pad:", "value", "constant"]),
    (lambda: ag.pad(X, (-2, -2)), ValueError, ["pad:", "(2, 3)", "(-2, -2)"]),
    (lambda: X.flip(2), ValueError, ["flip:", "axis 2", "2 dimensions"]),
    (lambda: X.flip(0.5), TypeError, ["flip:", "0.5"]),
    (lambda: X.roll((1, 2), 0), ValueError, ["roll:", "(1, 2)", "(0,)"]),
    (lambda: X.roll((1, 2)), ValueError, ["roll:", "(1, 2)", "dims"]),
    (lambda: X.repeat(2), ValueError, ["repeat:", "(2,)", "(2, 3)"]),
    (lambda: X.repeat(2, -1), ValueError, ["repeat:", "(2, -1)", "(2, 3)"]),
    (lambda: X.tile((-1,)), ValueError, ["tile:", "(-1,)", "(2, 3)"]),
    (lambda: X.repeat_interleave([1, 2], dim=1), ValueError, ["repeat_interleave:", "(2, 3)", "(2,)"]),
    (lambda: X.repeat_interleave(-1), ValueError, ["repeat_interleave:", "-1"]),
    (lambda: X.repeat_interleave(np.array([1.0, 2.0]), dim=0), TypeError, ["repeat_interleave:", "float64"]),
    (lambda: Tensor([1.0, 2.0]).tril(), ValueError, ["tril:", "(2,)"]),
    (lambda: Tensor([1.0, 2.0]).triu(), ValueError, ["triu:", "(2,)"]),
    (lambda: X.tril(0.5), TypeError, ["tril:", "0.5"]),
    (lambda: Tensor(np.ones((2, 2, 2))).diag(), ValueError, ["diag:", "(2, 2, 2)"]),
    (lambda: X.diagonal(0, 1, -1), ValueError, ["diagonal:", "(2, 3)", "dim1"]),
    (lambda: Tensor([1.0]).diagonal(), ValueError, ["diagonal:", "(1,)"]),
    (lambda: X.split([1, 1], dim=1), ValueError, ["split:", "(1, 1)", "(2, 3)"]),
    (lambda: X.split(0), ValueError, ["split:", "(2, 3)"]),
    (lambda: X.split(1.5), TypeError, ["split:", "1.5"]),
    (lambda: X.chunk(0), ValueError, ["chunk:", "0"]),
    (lambda: X.unflatten(1, (2, 2)), ValueError, ["unflatten:", "(2, 2)", "(2, 3)"]),
    (lambda: X.unflatten(1, (-1, -1)), ValueError, ["unflatten:", "(-1, -1)"]),
    (lambda: X.gather(1, np.array([[0.0]])), TypeError, ["gather:", "float64", "(1, 1)"]),
    (lambda: X.gather(1, np.array([[3]])), ValueError, ["gather:", "[0, 3)", "(2, 3)"]),
    (lambda: X.gather(1, np.array([0, 1])), ValueError, ["gather:", "(2,)", "(2, 3)"]),
    (lambda: X.gather(1, np.zeros((3, 1), np.int64)), ValueError, ["gather:", "(3, 1)", "(2, 3)"]),
    (lambda: X.gather(2, np.zeros((2, 3), np.int64)), ValueError, ["gather:", "axis 2"]),
    (lambda: X.scatter_add(0, np.zeros((2, 2), np.int64), Tensor(np.ones((1, 2)))), ValueError,
     ["scatter_add:", "(1, 2)", "(2, 2)"]),
    (lambda: X.scatter_add(0, np.full((1, 3), 2), Tensor(np.ones((1, 3)))), ValueError,
     ["scatter_add:", "[0, 2)", "(2, 3)"]),
    (lambda: X.scatter_add(0, np.zeros((1, 3), np.int64), Tensor(np.ones((1, 3), np.float32))), TypeError,
     ["scatter_add:", "float32", "float64"]),
    (lambda: X.masked_fill(np.ones((2, 3), np.int64), 0.0), TypeError, ["masked_fill:", "int64", "(2, 3)"]),
    (lambda: X.masked_fill(np.ones((3, 2), bool), 0.0), ValueError, ["masked_fill:", "(3, 2)", "(2, 3)"]),
    (lambda: X.masked_fill(np.ones((2, 3), bool), Tensor([1.0, 2.0])), ValueError, ["masked_fill:", "(2,)"]),
    (lambda: X.masked_fill(np.ones((2, 3), bool), "0"), TypeError, ["masked_fill:", "'0'"]),
    (lambda: ag.one_hot(np.array([0.0, 1.0])), TypeError, ["one_hot:", "float64", "(2,)"]),
    (lambda: ag.one_hot(np.array([0, 3]), 3), ValueError, ["one_hot:", "[0, 3)", "(2,)"]),
    (lambda: ag.one_hot(np.array([-1, 0])), ValueError, ["one_hot:", "-1"]),
    (lambda: ag.one_hot(np.zeros(0, np.int64)), ValueError, ["one_hot:", "(0,)", "num_classes"]),
    (lambda: ag.einsum("ij,jk", X, X), ValueError, ["einsum:", "'j'", "(2, 3)"]),
    (lambda: ag.einsum("ij", X, X), ValueError, ["einsum:", "1 operand", "(2, 3)"]),
    (lambda: ag.einsum("ijk", X), ValueError, ["einsum:", "'ijk'", "(2, 3)"]),
    (lambda: ag.einsum("ij->ii", X), ValueError, ["einsum:", "'ii'", "repeated"]),
    (lambda: ag.einsum("ij->k", X), ValueError, ["einsum:", "'k'"]),
    (lambda: ag.einsum("i1", X), ValueError, ["einsum:", "'1'", "letters"]),
    (lambda: ag.einsum("ij->i->j", X), ValueError, ["einsum:", "'->'"]),
    (lambda: ag.einsum("ii", X), ValueError, ["einsum:", "'i'", "(2, 3)", "square"]),
    (lambda: ag.einsum(X, [0, 1]), TypeError, ["einsum:", "sublist"]),
    (lambda: ag.einsum("ij"), ValueError, ["einsum:", "no operands"]),
]


@pytest.mark.parametrize("call, error, fragments", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_input_raises_a_message_naming_the_op_and_shapes(call, error, fragments):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"{missing} not in: {message}"


# how a size, an axis or a slice bound may be given -> the shape it gives
SIZES_GIVEN = {
    "a generator of sizes": (lambda t: t.reshape(n for n in (6, 4)), (6, 4)),
    "an iterator of axes": (lambda t: t.permute(iter([1, 0])), (6, 4)),
    "a shape as an int array": (lambda t: t.reshape(np.array([6, 4])), (6, 4)),
    "a size as a 0-d int array": (lambda t: t.view(np.array(3), -1), (3, 8)),
    "a slice bound as a 0-d int tensor": (lambda t: t[:Tensor(np.array(2))], (2, 6)),
    "a shape to broadcast to as an int tensor": (lambda t: t[:1].broadcast_to(Tensor(np.array([3, 6]))), (3, 6)),
    "a sequence without __iter__": (lambda t: t.reshape(_Sizes((6, 4))), (6, 4)),
    "transpose's axes as an int array": (lambda t: t.transpose(np.array([1, 0])), (6, 4)),
    "one size as a 0-d int array": (lambda t: t.reshape(np.array(24)), (24,)),
    "one size as a 0-d int tensor": (lambda t: t.view(Tensor(np.array(24))), (24,)),
}


class _Sizes:
    """A sequence by the old protocol: __getitem__ up to an IndexError, no __iter__."""

    def __init__(self, sizes):
        self.sizes = sizes

    def __getitem__(self, i):
        return self.sizes[i]


@pytest.mark.parametrize("name", SIZES_GIVEN)
def test_sizes_axes_and_slice_bounds_are_taken_as_numpy_takes_them(name):
    make, shape = SIZES_GIVEN[name]
    assert make(Tensor(np.zeros((4, 6)))).shape == shape


# sizes or axes given in a container without the written order, or as no container of ints at all
SIZES_REFUSED = {
    "reshape of a set": (lambda t: t.reshape({6, 4}), "reshape: sizes or axes must be ints or a sequence of them, "
                                                      "got a set"),
    "view of a dict": (lambda t: t.view({24: 0}), "view: sizes or axes must be ints or a sequence of them, got a dict"),
    "permute of a set": (lambda t: t.permute({1, 0}), "permute: sizes or axes must be ints or a sequence of them"),
    "reshape of a dict's keys": (lambda t: t.reshape({24: 0}.keys()), "got a dict_keys (dict_keys([24]))"),
    "transpose of a dict": (lambda t: t.transpose({1: 0, 0: 1}), "transpose: sizes or axes"),
    "broadcast_to a dict": (lambda t: t.broadcast_to({4: 0, 6: 1}), "broadcast_to: sizes or axes"),
    "broadcast_to a float": (lambda t: t.broadcast_to(2.0), "broadcast_to: sizes or axes must be ints or a sequence "
                                                            "of them, got a float (2.0)"),
    "reshape of a string": (lambda t: t.reshape("24"), "reshape: sizes or axes must be ints or a sequence of them, "
                                                        "got a str"),
    "zeros of a set": (lambda t: ag.zeros({2, 3}), "zeros: size must be an int or a tuple of ints, got {2, 3} (set)"),
    "randn of a dict": (lambda t: ag.randn({2: 0}), "pass ints, e.g. randn(2, 3) or randn((2, 3))"),
}


def test_an_error_raised_while_sizes_are_iterated_is_the_iterables_own():
    def sizes():
        yield int(None)
    with pytest.raises(TypeError, match="int.. argument must be"):
        Tensor(np.zeros(6)).reshape(sizes())


@pytest.mark.parametrize("name", SIZES_REFUSED)
def test_sizes_in_a_set_a_dict_or_no_container_are_refused(name):
    make, message = SIZES_REFUSED[name]
    with pytest.raises(TypeError, match=re.escape(message)):
        make(Tensor(np.zeros((4, 6))))


@pytest.mark.parametrize("make", [lambda t: t[:np.array(2.5)], lambda t: t[:Tensor(2.9)], lambda t: t[:np.array(True)],
                                  lambda t: t.reshape(np.array(3.0), 8), lambda t: np.pad(t, 1.5)])
def test_a_size_or_slice_bound_that_is_no_integer_is_refused(make):
    with pytest.raises(TypeError, match="given as an array must hold an integer, got one of dtype|must hold integers"):
        make(Tensor(np.zeros((4, 6))))
