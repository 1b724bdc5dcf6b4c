"""The creation functions (autograd/ops/creation.py): shapes, dtypes (float32 by default, PyTorch's
inference for full and arange), values against numpy and PyTorch, leaves that require grad, random
draws from the generator they are given, and a table of bad inputs."""
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

F32 = np.dtype(np.float32)


@pytest.mark.parametrize("make, shape, dtype, values", [
    (lambda: ag.zeros(2, 3), (2, 3), F32, np.zeros((2, 3))),
    (lambda: ag.zeros((2, 3)), (2, 3), F32, np.zeros((2, 3))),
    (lambda: ag.zeros([4]), (4,), F32, np.zeros(4)),
    (lambda: ag.zeros(()), (), F32, np.zeros(())),
    (lambda: ag.zeros(0, 2), (0, 2), F32, np.zeros((0, 2))),
    (lambda: ag.ones(3, dtype=np.float64), (3,), np.dtype(np.float64), np.ones(3)),
    (lambda: ag.ones(2, dtype="int64"), (2,), np.dtype(np.int64), np.ones(2)),
    (lambda: ag.full((2, 2), 1.5), (2, 2), F32, np.full((2, 2), 1.5)),
    (lambda: ag.full((2,), 3), (2,), np.dtype(np.int64), [3, 3]),
    (lambda: ag.full((2,), True), (2,), np.dtype(bool), [True, True]),
    (lambda: ag.full(3, 2, dtype=np.float64), (3,), np.dtype(np.float64), [2.0, 2.0, 2.0]),
    (lambda: ag.eye(3), (3, 3), F32, np.eye(3)),
    (lambda: ag.eye(2, 4, dtype=np.float64), (2, 4), np.dtype(np.float64), np.eye(2, 4)),
    (lambda: ag.arange(5), (5,), np.dtype(np.int64), np.arange(5)),
    (lambda: ag.arange(2, 8, 3), (2,), np.dtype(np.int64), [2, 5]),
    (lambda: ag.arange(0, 1, 0.25), (4,), F32, [0, 0.25, 0.5, 0.75]),
    (lambda: ag.arange(5, 0, -2), (3,), np.dtype(np.int64), [5, 3, 1]),
    (lambda: ag.arange(3, dtype=np.float64), (3,), np.dtype(np.float64), [0.0, 1.0, 2.0]),
    (lambda: ag.arange(2, 2), (0,), np.dtype(np.int64), []),
    (lambda: ag.linspace(0, 1, 5), (5,), F32, np.linspace(0, 1, 5)),
    (lambda: ag.linspace(-1, 1, 1, dtype=np.float64), (1,), np.dtype(np.float64), [-1.0]),
    (lambda: ag.zeros_like(Tensor(np.ones((2, 3), np.float64))), (2, 3), np.dtype(np.float64), np.zeros((2, 3))),
    (lambda: ag.ones_like(Tensor([1, 2])), (2,), np.dtype(np.int64), [1, 1]),
    (lambda: ag.ones_like(np.ones(2, np.float32), dtype=np.float64), (2,), np.dtype(np.float64), [1.0, 1.0]),
    (lambda: ag.full_like(Tensor(np.zeros(3, np.float32)), 0.5), (3,), F32, [0.5, 0.5, 0.5]),
    (lambda: np.zeros_like(Tensor([1.0, 2.0])), (2,), np.dtype(np.float64), [0.0, 0.0]),
    (lambda: ag.zeros(2, device="cpu"), (2,), F32, [0.0, 0.0]),
])
def test_creation_gives_the_shape_dtype_and_values(make, shape, dtype, values):
    t = make()
    assert isinstance(t, Tensor) and t.shape == shape and t.dtype == dtype
    np.testing.assert_array_equal(t.data, np.asarray(values, dtype=dtype))
    assert t.is_leaf and not t.requires_grad


@pytest.mark.parametrize("make", [
    lambda: ag.zeros(2, requires_grad=True), lambda: ag.ones(2, requires_grad=True),
    lambda: ag.full((2,), 0.5, requires_grad=True), lambda: ag.eye(2, requires_grad=True),
    lambda: ag.arange(0.0, 2.0, requires_grad=True), lambda: ag.linspace(0, 1, 3, requires_grad=True),
    lambda: ag.zeros_like(Tensor(np.ones(1, np.float32)), requires_grad=True), lambda: ag.rand(2, requires_grad=True),
    lambda: ag.randn(2, requires_grad=True),
])
def test_a_created_leaf_that_requires_grad_gets_its_gradient(make):
    t = make()
    assert t.requires_grad and t.is_leaf and t.dtype == F32
    (t * t).sum().backward()
    np.testing.assert_allclose(t.grad, 2 * t.data)
    assert t.grad.dtype == F32


def test_like_forms_are_new_leaves_outside_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = ag.zeros_like(y)
    assert z.op is None and not z.requires_grad and z.data is not y.data


@pytest.mark.parametrize("draw, numpy_draw", [
    (ag.rand, lambda g, shape: g.random(shape)), (ag.randn, lambda g, shape: g.standard_normal(shape))])
def test_random_draws_come_from_the_given_generator(draw, numpy_draw):
    a = draw(3, 4, generator=np.random.default_rng(7), dtype=np.float64)
    np.testing.assert_array_equal(a.data, numpy_draw(np.random.default_rng(7), (3, 4)))
    np.testing.assert_array_equal(draw(3, 4, rng=7, dtype=np.float64).data, a.data)        # an int seeds
    g = np.random.default_rng(1)
    assert not np.array_equal(draw(5, generator=g).data, draw(5, generator=g).data)    # a Generator moves on
    ag.manual_seed(3)
    first = draw(4).data
    ag.manual_seed(3)
    np.testing.assert_array_equal(draw(4).data, first)                                  # None: the global state
    assert draw((2, 3), rng=0).shape == (2, 3) and draw(rng=0).shape == ()


@pytest.mark.parametrize("draw, numpy_draw", [
    (ag.rand_like, lambda g, shape: g.random(shape)), (ag.randn_like, lambda g, shape: g.standard_normal(shape))])
def test_random_like_forms_take_the_inputs_shape_and_float_dtype(draw, numpy_draw):
    x = Tensor(np.zeros((3, 2), np.float64), requires_grad=True)
    a = draw(x, generator=np.random.default_rng(7))
    assert a.shape == (3, 2) and a.dtype == np.float64 and a.op is None and not a.requires_grad
    np.testing.assert_array_equal(a.data, numpy_draw(np.random.default_rng(7), (3, 2)))
    assert draw(np.zeros(4, np.int64), rng=0, dtype=np.float32).dtype == F32
    assert draw(np.float32(1), rng=0, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match=draw.__name__ + ": the input has dtype int64"):
        draw(np.zeros(4, np.int64))
    with pytest.raises(TypeError, match="positional argument"):     # (keyword-only after the input, as PyTorch's)
        draw(x, np.float64)


def test_rand_stays_below_one_in_float32():
    class AlmostOne(np.random.RandomState):        # a source whose float64 draws round up to 1 in float32
        def random(self, size=None):
            return np.full(size, 1 - 2.0 ** -30)
    values = ag.rand(4, generator=AlmostOne(0)).data
    assert values.dtype == F32 and (values < 1).all() and (values > 0.99).all()
    x = ag.rand(10000, rng=0).data
    assert x.dtype == F32 and x.min() >= 0 and x.max() < 1 and abs(x.mean() - 0.5) < 0.02


def test_random_draws_in_a_compiled_step_are_drawn_again_on_each_replay():
    g = np.random.default_rng(0)

    @ag.compile
    def step(x):
        return (x * ag.randn(3, generator=g, dtype=np.float64)).sum()

    expected_g = np.random.default_rng(0)
    for _ in range(4):
        got = step(np.ones(3)).item()
        assert got == pytest.approx(expected_g.standard_normal(3).sum(), rel=1e-12)


def test_values_match_pytorch():
    torch = pytest.importorskip("torch")
    pairs = [(ag.arange(0, 1, 0.1), torch.arange(0, 1, 0.1)), (ag.arange(-3, 7, 2), torch.arange(-3, 7, 2)),
             (ag.linspace(-2, 3, 7), torch.linspace(-2, 3, 7)), (ag.full((2,), 7), torch.full((2,), 7)),
             (ag.eye(3, 2), torch.eye(3, 2)), (ag.arange(1.5, 4), torch.arange(1.5, 4))]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


BAD = [
    (lambda: ag.zeros(2, -1), ValueError, "zeros: size must be a tuple of non-negative ints"),
    (lambda: ag.zeros(2.5), TypeError, "zeros: size must be an int or a tuple of ints"),
    (lambda: ag.ones("3"), TypeError, "ones: size"),
    (lambda: ag.zeros(2, dtype=np.complex128), TypeError, "zeros: dtype must be a numpy number or bool dtype"),
    (lambda: ag.zeros(2, dtype="floaty"), TypeError, "zeros: expected a numpy dtype"),
    (lambda: ag.zeros(2, device="cuda"), ValueError, "zeros: labgrad runs on the CPU only"),
    (lambda: ag.zeros(2, dtype=np.int64, requires_grad=True), TypeError, "zeros: only float tensors can require grad"),
    (lambda: ag.arange(5, requires_grad=True), TypeError, "arange: only float tensors can require grad"),
    (lambda: ag.zeros(2, requires_grad=1), TypeError, "zeros: requires_grad must be True or False"),
    (lambda: ag.full((2,), "a"), TypeError, "full: fill_value must be a number"),
    (lambda: ag.full((2,), Tensor([1.0, 2.0])), ValueError, "full: fill_value must be a number or a 0-d tensor"),
    (lambda: ag.eye(-1), ValueError, "eye: n must be an int >= 0"),
    (lambda: ag.eye(2, 2.0), TypeError, "eye: m must be an int"),
    (lambda: ag.arange(0, 1, 0), ValueError, "arange: .*step non-zero"),
    (lambda: ag.arange(0, float("inf")), ValueError, "arange: start, end and step must be finite"),
    (lambda: ag.arange(0, 5, -1), ValueError, "arange: step=-1 moves away from end=5"),
    (lambda: ag.linspace(0, 1, -2), ValueError, "linspace: steps must be an int >= 0"),
    (lambda: ag.linspace(0, 1, 2.0), TypeError, "linspace: steps must be an int"),
    (lambda: ag.rand(2, dtype=np.int64), TypeError, "rand: dtype must be a numpy float dtype"),
    (lambda: ag.randn(2, generator=np.random.default_rng(0), rng=1), TypeError, "randn: got both generator="),
    (lambda: ag.randn(2, generator="seed"), TypeError, "rng: must be None, np.random, an int seed"),
    (lambda: ag.rand(2, rng=-1), ValueError, "rng: rng must be an int >= 0"),
]


@pytest.mark.parametrize("call, error, message", BAD, ids=range(len(BAD)))
def test_bad_inputs_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
