"""Layers and initialisers: values against numpy references, the labs' own numbers, PyTorch when installed."""
from functools import partial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor, gradcheck


def _randn(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# --- nn.init -----------------------------------------------------------------------------

def test_lab003_init_params_is_reproduced_exactly():
    # Lab 003: np.random.seed(42); W1, b1, W2, b2 = np.random.normal(0, 0.3, shape) in that order,
    # printed as {'W1': [[0.14901425, -0.04147929]], 'b1': [[0.19430656, 0.45690896]],
    #             'W2': [[-0.07024601], [-0.07024109]], 'b2': [[0.47376384]]}
    np.random.seed(42)
    init = partial(nn.init.normal, std=0.3)
    hidden = nn.Linear(1, 2, init=init, bias_init=init, dtype=np.float64)
    out = nn.Linear(2, 1, init=init, bias_init=init, dtype=np.float64)
    printed = {"W1": [[0.14901425, -0.04147929]], "b1": [0.19430656, 0.45690896],
               "W2": [[-0.07024601], [-0.07024109]], "b2": [0.47376384]}
    got = {"W1": hidden.weight.data, "b1": hidden.bias.data, "W2": out.weight.data, "b2": out.bias.data}
    for k in printed:
        np.testing.assert_array_equal(np.round(got[k], 8), printed[k])
    np.random.seed(42)                                  # and bit for bit what the lab computed
    lab = [np.random.normal(0, 0.3, s) for s in [(1, 2), (1, 2), (2, 1), (1, 1)]]
    for mine, theirs in zip(got.values(), lab):
        np.testing.assert_array_equal(mine, theirs.reshape(mine.shape))


def test_lab000_he_init_is_randn_times_sqrt_2_over_fan_in():
    np.random.seed(3)
    w = nn.init.he_normal((784, 25))
    np.random.seed(3)
    np.testing.assert_array_equal(w, np.random.randn(784, 25) * np.sqrt(2 / 784))
    assert nn.init.kaiming_normal is nn.init.he_normal
    big = nn.init.he_normal((500, 400), rng=0)
    assert abs(big.std() - np.sqrt(2 / 500)) < 0.02 * np.sqrt(2 / 500) and abs(big.mean()) < 1e-3


def test_lab002_small_randn_and_lab001_randn():
    np.random.seed(5)
    small = nn.init.small_randn((128, 150))
    np.random.seed(5)
    np.testing.assert_array_equal(small, np.random.randn(128, 150) * 0.01)
    np.random.seed(5)
    np.testing.assert_array_equal(nn.init.randn((4, 3)), np.random.RandomState(5).randn(4, 3))


def test_xavier_statistics():
    u = nn.init.xavier_uniform((300, 200), rng=0)
    a = np.sqrt(6 / 500)
    assert -a <= u.min() and u.max() <= a and u.max() > 0.99 * a
    assert abs(u.std() - a / np.sqrt(3)) < 0.02 * a
    n = nn.init.xavier_normal((300, 200), rng=0)
    assert abs(n.std() - np.sqrt(2 / 500)) < 0.02 * np.sqrt(2 / 500)


def test_zeros_ones_and_fans():
    assert not nn.init.zeros((2, 3)).any() and nn.init.ones(4).tolist() == [1.0] * 4
    assert nn.init.fans((3, 4, 5)) == (12, 5)


def test_rng_sources_are_reproducible():
    for init in (nn.init.he_normal, nn.init.xavier_uniform, nn.init.xavier_normal, nn.init.normal,
                 nn.init.small_randn, nn.init.randn):
        np.testing.assert_array_equal(init((3, 4), rng=7), init((3, 4), rng=7))
        np.testing.assert_array_equal(init((3, 4), rng=np.random.default_rng(7)), init((3, 4), rng=7))
        assert not np.array_equal(init((3, 4), rng=7), init((3, 4), rng=8))
        np.random.seed(1)
        a = init((3, 4), rng=np.random)
        np.random.seed(1)
        np.testing.assert_array_equal(a, init((3, 4)))          # None: the global state, as np.random


def test_init_errors():
    with pytest.raises(TypeError, match="rng: must be None, np.random, an int seed"):
        nn.init.he_normal((2, 2), rng="seed")
    with pytest.raises(ValueError, match="rng: rng must be an int >= 0, got -1"):
        nn.init.he_normal((2, 2), rng=-1)
    with pytest.raises(ValueError, match="init: init must be one of 'he', .* got 'glorot'"):
        nn.Linear(2, 2, init="glorot")
    with pytest.raises(TypeError, match="init: expected a name or a callable"):
        nn.Linear(2, 2, init=3)
    with pytest.raises(ValueError, match="normal: std must be a number >= 0, got -1.0"):
        nn.init.normal((2,), std=-1)
    with pytest.raises(ValueError, match=r"initialiser returned shape \(3,\), expected \(2, 2\)"):
        nn.Linear(2, 2, init=lambda shape, rng: np.zeros(3))


@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (5,), (784, 256), (2, 3, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_empty_aligned_and_aligned_copy(shape, dtype):
    a = nn.init.empty_aligned(shape, dtype)
    assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable
    assert a.size == 0 or a.ctypes.data % nn.init.ALIGNMENT == 0
    values = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    c = nn.init.aligned_copy(values, dtype)
    assert c.dtype == dtype and (c.size == 0 or c.ctypes.data % nn.init.ALIGNMENT == 0)
    np.testing.assert_array_equal(c, values.astype(dtype))
    values[...] = -1                                          # a copy: the source is not shared
    assert c.size == 0 or (c != -1).all()
    assert nn.init.aligned_copy(np.float32(2.5)).dtype == np.float32    # its own dtype by default


def _aligned(array):
    return array.ctypes.data % nn.init.ALIGNMENT == 0


def test_parameters_and_loaded_values_live_in_aligned_memory():
    # An in-place update of a weight off a 64-byte boundary took twice as long (see nn.init.empty_aligned)
    for seed in range(4):                                     # malloc alone lands on 16-byte boundaries
        model = nn.Sequential(nn.Linear(13, 7, rng=seed), nn.BatchNorm1d(7), nn.Linear(7, 3, dtype=np.float64))
        assert all(_aligned(p.data) for p in model.parameters())
        state = {k: v + 1 for k, v in model.state_dict().items()}
        model.load_state_dict(state)
        assert all(_aligned(p.data) for p in model.parameters())
        for k, v in model.state_dict().items():
            np.testing.assert_array_equal(v, state[k])


# --- Linear ----------------------------------------------------------------------------------

def test_lab001_linear_layer_forward_and_backward_numbers():
    np.random.seed(17)
    X = np.random.random(size=(10000, 5))
    linear = nn.Linear(5, 3, init="randn", dtype=np.float64)          # W = randn(5, 3), b = 0
    correct = [[-0.75476927, 0.39598163, -0.11428765],
               [1.28828674, -0.90586033, 0.67063637],
               [2.51515422, -0.95305043, 1.4073423]]
    np.testing.assert_allclose(linear(X).data[:3], correct, rtol=1e-7)
    np.testing.assert_allclose(nn.ReLU()(linear(X)).data[:3], np.maximum(correct, 0), rtol=1e-7)

    np.random.seed(17)                                                  # "Задача 4*": the backward pass
    linear = nn.Linear(5, 3, init="randn", dtype=np.float64)
    x = Tensor(np.random.randn(10000, 5), requires_grad=True)
    linear(x).backward(np.random.randn(10000, 3))
    assert x.grad.shape == (10000, 5) and linear.weight.grad.shape == (5, 3)
    assert round(x.grad.sum(), 3) == 647.044
    assert round(linear.weight.grad.sum(), 3) == 397.748


def test_lab002_dense_with_fixed_weights():
    layer = nn.Linear(3, 4, dtype=np.float64)
    layer.weight.data[...] = np.linspace(-1, 1, 12).reshape(3, 4)
    layer.bias.data[...] = np.linspace(-1, 1, 4)
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    np.testing.assert_allclose(layer(x).data, [[0.07272727, 0.41212121, 0.75151515, 1.09090909],
                                               [-0.90909091, 0.08484848, 1.07878788, 2.07272727]], rtol=1e-7)


def test_linear_is_one_fused_op_on_the_callers_data():
    layer = nn.Linear(4, 3, rng=0)
    x = Tensor(_randn(5, 4, dtype=np.float32))
    out = layer(x)
    assert out.op.name == "linear" and out.parents == (x, layer.weight, layer.bias)
    assert out.dtype == np.float32
    arr = _randn(5, 4, dtype=np.float32)
    assert layer(arr).parents[0].data is arr                        # ndarray input: no copy
    np.testing.assert_allclose(out.data, x.data @ layer.weight.data + layer.bias.data, rtol=1e-6)


def test_linear_without_bias_and_batched_input():
    layer = nn.Linear(4, 2, bias=False, rng=0)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert repr(layer) == "Linear(in_features=4, out_features=2, bias=False)"
    x = _randn(2, 3, 4)
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data, rtol=1e-6)


def test_linear_gradcheck():
    layer = nn.Linear(3, 2, dtype=np.float64, rng=0)
    x = Tensor(_randn(4, 3), requires_grad=True)
    assert gradcheck(lambda x, w, b: x @ w + b, x, layer.weight, layer.bias)
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, x.data.T @ np.ones((4, 2)))
    np.testing.assert_allclose(layer.bias.grad, [4.0, 4.0])


def test_linear_errors_name_the_layer_and_shapes():
    layer = nn.Linear(784, 10, rng=0)
    with pytest.raises(ValueError, match=r"Linear\(in_features=784, out_features=10\): expected input of "
                                         r"shape \(\.\.\., 784\), got \(64, 100\)"):
        layer(np.zeros((64, 100)))
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        nn.Linear(0, 3)
    with pytest.raises(TypeError, match=r"out_features must be a positive int, got 2.5 \(float\)"):
        nn.Linear(3, 2.5)                             # a wrong type (was ValueError before issue 15)
    with pytest.raises(TypeError, match="float dtype"):
        nn.Linear(3, 2, dtype=np.int32)
    for dtype in (None, "foo"):                       # not float64 by accident, nor numpy's message
        with pytest.raises(TypeError, match=f"Linear: dtype must be a numpy float dtype, got {dtype!r}"):
            nn.Linear(3, 2, dtype=dtype)


def test_linear_matches_torch_with_transposed_weights():
    torch = pytest.importorskip("torch")
    layer = nn.Linear(5, 3, dtype=np.float64, rng=0)
    ref = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(layer.weight.data.T))
        ref.bias.copy_(torch.tensor(layer.bias.data + 0.5))
    layer.bias.data += 0.5
    x = _randn(4, 5)
    xt = torch.tensor(x)
    ref(xt).pow(2).sum().backward()
    (layer(x) ** 2).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy().T, rtol=1e-10)
    np.testing.assert_allclose(layer.bias.grad, ref.bias.grad.numpy(), rtol=1e-10)


# --- activations ---------------------------------------------------------------------------

def test_activation_modules_match_numpy():
    x = _randn(4, 5)
    cases = [
        (nn.ReLU(), np.maximum(x, 0)),
        (nn.LeakyReLU(0.2), np.where(x > 0, x, 0.2 * x)),
        (nn.LeakyReLU(), np.where(x > 0, x, 0.01 * x)),
        (nn.Sigmoid(), 1 / (1 + np.exp(-x))),
        (nn.Tanh(), np.tanh(x)),
        (nn.Softmax(), np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
        (nn.Softmax(axis=0), np.exp(x) / np.exp(x).sum(0, keepdims=True)),
        (nn.LogSoftmax(), x - np.log(np.exp(x).sum(-1, keepdims=True))),
        (nn.Identity(), x),
    ]
    for module, expected in cases:
        np.testing.assert_allclose(module(x).data, expected, rtol=1e-12, atol=1e-15, err_msg=repr(module))
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.LogSoftmax(axis=1)) == "LogSoftmax(axis=1)"


@pytest.mark.parametrize("module", [nn.ReLU(), nn.LeakyReLU(0.1), nn.Sigmoid(), nn.Tanh(), nn.Softmax(),
                                    nn.LogSoftmax(), nn.Flatten()])
def test_activation_gradcheck(module):
    x = Tensor(_randn(3, 4) + 0.05, requires_grad=True)        # away from relu's kink
    assert gradcheck(module, x)


def test_flatten():
    x = _randn(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)


# --- Dropout ---------------------------------------------------------------------------------

def test_dropout_statistics_in_training():
    p = 0.3
    drop = nn.Dropout(p, rng=0)
    x = np.ones((400, 500), dtype=np.float32)
    y = drop(x).data
    assert y.dtype == np.float32
    zeroed = (y == 0).mean()
    assert abs(zeroed - p) < 0.005                                     # 200k draws: sd 0.001
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)     # survivors scaled up
    assert abs(y.mean() - 1.0) < 0.01                                  # expectation preserved


def test_dropout_gradient_is_the_mask():
    drop = nn.Dropout(0.5, rng=1)
    x = Tensor(_randn(6, 7), requires_grad=True)
    y = drop(x)
    y.sum().backward()
    mask = y.data / x.data
    np.testing.assert_allclose(x.grad, mask)
    assert set(np.round(np.unique(mask), 12)) <= {0.0, 2.0}


def test_dropout_eval_is_identity_and_reproducible_with_seed():
    x = Tensor(_randn(5, 5))
    assert nn.Dropout(0.5, rng=3).eval()(x) is x
    a, b = nn.Dropout(0.5, rng=3), nn.Dropout(0.5, rng=3)
    first = a(x).data
    np.testing.assert_array_equal(first, b(x).data)                   # same seed, same masks
    assert not np.array_equal(a(x).data, first)                       # the generator moves on: a new mask
    assert (a.eval().train()(x).data == 0).any()                      # back in training mode, dropping again


def test_dropout_extremes_and_validation():
    x = _randn(3, 3)
    assert nn.Dropout(0.0)(x).data is x
    assert not nn.Dropout(1.0)(x).data.any()
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="Dropout: p must be a"):
            nn.Dropout(p)
    for p in ("0.5", None, True):                     # wrong types (were ValueError before issue 15)
        with pytest.raises(TypeError, match="Dropout: p must be a probability in"):
            nn.Dropout(p)
    with pytest.raises(ValueError, match="dropout: p must be"):
        nn.functional.dropout(x, 2.0)


# --- BatchNorm1d -----------------------------------------------------------------------------

def _bn_reference(x, gamma, beta, eps):
    axes = (0,) if x.ndim == 2 else (0, 2)
    mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1)
    return (x - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("shape", [(8, 3), (6, 3, 4)])
def test_batchnorm_train_and_eval_against_numpy(shape):
    bn = nn.BatchNorm1d(3, momentum=0.2, dtype=np.float64)
    bn.weight.data[...] = [1.0, 2.0, -0.5]
    bn.bias.data[...] = [0.0, 1.0, 3.0]
    running_mean, running_var = np.zeros(3), np.ones(3)
    axes = (0,) if len(shape) == 2 else (0, 2)
    for seed in range(3):
        x = _randn(*shape, seed=seed) * 2 + 1
        np.testing.assert_allclose(bn(x).data, _bn_reference(x, bn.weight.data, bn.bias.data, 1e-5), rtol=1e-10)
        n = x.size // 3
        running_mean = 0.8 * running_mean + 0.2 * x.mean(axes)
        running_var = 0.8 * running_var + 0.2 * x.var(axes) * n / (n - 1)     # unbiased
        np.testing.assert_allclose(bn.running_mean, running_mean, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var, running_var, rtol=1e-12)
    bn.eval()
    x = _randn(*shape, seed=9)
    s = (1, -1) if len(shape) == 2 else (1, -1, 1)
    expected = (x - running_mean.reshape(s)) / np.sqrt(running_var.reshape(s) + 1e-5) * bn.weight.data.reshape(s) \
        + bn.bias.data.reshape(s)
    np.testing.assert_allclose(bn(x).data, expected, rtol=1e-10)
    np.testing.assert_array_equal(bn.running_mean, running_mean)       # eval leaves the statistics alone
    assert int(bn.num_batches_tracked) == 3


def test_batchnorm_cumulative_average_and_no_affine():
    bn = nn.BatchNorm1d(2, momentum=None, affine=False, dtype=np.float64)
    assert list(bn.parameters()) == []
    xs = [_randn(5, 2, seed=s) for s in range(4)]
    for x in xs:
        out = bn(x).data
        np.testing.assert_allclose(out.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean, np.mean([x.mean(0) for x in xs], axis=0), rtol=1e-12)


def test_batchnorm_gradcheck_in_training_and_eval():
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    bn.weight.data[...] = [0.5, 1.5, -1.0]
    x = Tensor(_randn(5, 3), requires_grad=True)
    assert gradcheck(lambda x, w, b: bn(x), x, bn.weight, bn.bias)
    bn.eval()
    assert gradcheck(lambda x, w, b: bn(x), x, bn.weight, bn.bias)


def test_batchnorm_float32_stays_float32():
    bn = nn.BatchNorm1d(4)
    y = bn(_randn(6, 4, dtype=np.float32))
    assert y.dtype == np.float32 and bn.running_var.dtype == np.float32
    assert bn.eval()(_randn(6, 4, dtype=np.float32)).dtype == np.float32


def test_batchnorm_float16_sums_in_float32_as_np_mean():
    """65,536 values per channel: summed in float16 they overflow (its largest number is 65,504)."""
    x = (_randn(64, 2, 1024, dtype=np.float32) + 3).astype(np.float16)
    t = Tensor(x, requires_grad=True)
    out = nn.functional.batch_norm(t, None, None, training=True)
    wide = x.astype(np.float32)
    expected = (wide - wide.mean((0, 2), keepdims=True)) / np.sqrt(wide.var((0, 2), keepdims=True) + 1e-5)
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.data.astype(np.float32), expected, atol=1e-2)
    out.sum().backward()                          # d sum(x_hat) / dx = 0 (the mean of x_hat is fixed)
    assert t.grad.dtype == np.float16 and np.all(np.isfinite(t.grad)) and np.abs(t.grad).max() < 1e-2


def test_batchnorm_float16_statistics_beyond_float16s_range_as_pytorch():
    """A variance above 65,504 (values of std 400): normalised, and the running variance updated, in float32."""
    torch = pytest.importorskip("torch")
    x = (_randn(8, 2, 4, 4, dtype=np.float32) * 400).astype(np.float16)
    mean, var = np.zeros(2, np.float16), np.ones(2, np.float16)
    out = nn.functional.batch_norm(x, mean, var, training=True)
    mean_t, var_t = torch.zeros(2, dtype=torch.float16), torch.ones(2, dtype=torch.float16)
    expected = torch.nn.functional.batch_norm(torch.tensor(x), mean_t, var_t, training=True)
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.data.astype(np.float32), expected.float().numpy(), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(var.astype(np.float32), var_t.float().numpy(), rtol=1e-3)
    evaluated = nn.functional.batch_norm(x, mean, var, training=False)         # (the same running variance read)
    expected = torch.nn.functional.batch_norm(torch.tensor(x), mean_t, var_t, training=False)
    np.testing.assert_allclose(evaluated.data.astype(np.float32), expected.float().numpy(), rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batchnorm2d_backward_of_an_empty_batch_is_zero_as_pytorch(training):
    bn = nn.BatchNorm2d(3).train(training)
    x = Tensor(np.zeros((0, 3, 2, 2), np.float32), requires_grad=True)
    if training:                                  # (training needs values: PyTorch refuses an empty batch too)
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            bn(x)
        return
    bn(x).sum().backward()
    assert x.grad.shape == (0, 3, 2, 2)
    np.testing.assert_array_equal(bn.weight.grad, 0)
    np.testing.assert_array_equal(bn.bias.grad, 0)


def test_batchnorm_errors():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected input of shape \(N, 3\) or \(N, 3, L\), "
                                         r"got \(4, 5\)"):
        bn(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(np.zeros((1, 3)))
    assert bn.eval()(np.zeros((1, 3))).shape == (1, 3)                  # fine in eval
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(3, momentum=2)
    with pytest.raises(ValueError, match="eps"):
        nn.BatchNorm1d(3, eps=0)
    with pytest.raises(TypeError, match="BatchNorm1d: eps must be a number > 0, got None"):
        nn.BatchNorm1d(3, eps=None)
    with pytest.raises(TypeError, match="BatchNorm1d: momentum must be a number"):
        nn.BatchNorm1d(3, momentum="0.1")
    with pytest.raises(TypeError, match="LeakyReLU: negative_slope must be a number"):
        nn.LeakyReLU("a")


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_batchnorm_matches_torch(shape):
    torch = pytest.importorskip("torch")
    bn = nn.BatchNorm1d(3, momentum=0.3, dtype=np.float64)
    ref = torch.nn.BatchNorm1d(3, momentum=0.3).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor([1.0, -2.0, 0.5]))
        ref.bias.copy_(torch.tensor([0.1, 0.2, 0.3]))
    bn.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    for seed in range(3):
        x = _randn(*shape, seed=seed) * 3 - 1
        u = _randn(*shape, seed=seed + 10)
        xt = torch.tensor(x, requires_grad=True)
        xm = Tensor(x, requires_grad=True)
        (ref(xt) * torch.tensor(u)).sum().backward()
        (bn(xm) * u).sum().backward()
        np.testing.assert_allclose(xm.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bn.weight.grad, ref.weight.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(bn.bias.grad, ref.bias.grad.numpy(), rtol=1e-9)
    for k, v in ref.state_dict().items():
        np.testing.assert_allclose(bn.state_dict()[k], v.numpy(), rtol=1e-12)
    bn.eval()
    ref.eval()
    x = _randn(*shape, seed=7)
    np.testing.assert_allclose(bn(x).data, ref(torch.tensor(x)).detach().numpy(), rtol=1e-10)


# --- containers ------------------------------------------------------------------------------

def test_sequential_indexing_len_iteration_and_names():
    layers = [nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[2]
    assert list(model[1:]) == layers[1:] and isinstance(model[1:], nn.Sequential)
    assert [n for n, _ in model.named_children()] == ["0", "1", "2"]
    x = _randn(4, 2, dtype=np.float32)
    np.testing.assert_allclose(model(x).data, layers[2](layers[1](layers[0](x))).data)
    model.append(nn.Sigmoid())
    assert [n for n, _ in model.named_children()] == ["0", "1", "2", "3"]
    with pytest.raises(IndexError, match="out of range for 4 modules"):
        model[4]
    with pytest.raises(TypeError, match="expected a Module"):
        nn.Sequential(np.tanh)


def test_mlp_structure_names_and_fresh_draws():
    mlp = nn.MLP([784, 25, 15, 1], out_activation="sigmoid", rng=0)
    assert [type(m).__name__ for m in mlp] == ["Linear", "ReLU", "Linear", "ReLU", "Linear", "Sigmoid"]
    assert [n for n, _ in mlp.named_parameters()][:3] == ["0.weight", "0.bias", "2.weight"]
    assert mlp[0].weight.shape == (784, 25) and mlp[4].weight.shape == (15, 1)
    tanh = nn.MLP([3, 3, 3, 2], activation="tanh", rng=0)
    assert [type(m).__name__ for m in tanh] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    w1, w2 = tanh[0].weight.data, tanh[2].weight.data
    assert not np.array_equal(w1, w2)                                  # one generator shared, not reseeded
    again = nn.MLP([3, 3, 3, 2], activation="tanh", rng=0)
    np.testing.assert_array_equal(again[2].weight.data, w2)
    leaky = nn.MLP([2, 4, 2], activation=lambda: nn.LeakyReLU(0.2), out_activation=nn.LogSoftmax)
    assert leaky[1].negative_slope == 0.2 and type(leaky[3]) is nn.LogSoftmax


def test_mlp_errors():
    with pytest.raises(ValueError, match="unknown activation 'relu6'"):
        nn.MLP([2, 3, 1], activation="relu6")
    with pytest.raises(TypeError, match="not the instance"):
        nn.MLP([2, 3, 1], activation=nn.ReLU())
    with pytest.raises(ValueError, match="needs an input and an output size"):
        nn.MLP([3])


@given(sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4), batch=st.integers(1, 4), seed=st.integers(0, 99))
def test_mlp_forward_equals_numpy_property(sizes, batch, seed):
    mlp = nn.MLP(sizes, dtype=np.float64, rng=seed)
    x = _randn(batch, sizes[0], seed=seed)
    a = x
    linears = [m for m in mlp if isinstance(m, nn.Linear)]
    for i, layer in enumerate(linears):
        a = a @ layer.weight.data + layer.bias.data
        if i < len(linears) - 1:
            a = np.maximum(a, 0)
    np.testing.assert_allclose(mlp(x).data, a, rtol=1e-12, atol=1e-12)
