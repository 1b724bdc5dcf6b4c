"""Convolution and pooling: the ops (autograd.conv2d, max_pool2d, avg_pool2d) and the layers (nn.Conv2d, MaxPool2d,
AvgPool2d, BatchNorm2d).

The op table (tests/op_cases.py) property-tests the ops' gradients, second derivatives and forward mode against
finite differences over random shapes, strides, paddings, dilations and groups; here: values and gradients equal
PyTorch's (where installed) over a table of configurations and in both im2col layouts, second derivatives by both
modes, bad input, the layers (initialisation, layout, state_dict, BatchNorm2d's statistics), pictures' labels and a
small CNN that learns.
"""
import math

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, func, grad
from autograd.ops import conv as conv_ops

RNG = np.random.default_rng(20)

# (input shape, weight shape, keyword arguments): strides, paddings, dilations, groups, pairs and bias
CONV_CONFIGS = [
    ((2, 1, 9, 9), (4, 1, 3, 3), dict(padding=1)),
    ((2, 3, 8, 7), (5, 3, 2, 3), dict(stride=2)),
    ((1, 4, 9, 8), (6, 2, 3, 3), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
    ((2, 8, 7, 7), (4, 8, 3, 3), dict(padding=2, dilation=2)),                      # K = 72: batch-wide columns
    ((2, 16, 6, 6), (8, 8, 3, 3), dict(stride=2, padding=1, groups=2)),
    ((3, 6, 5, 5), (6, 1, 3, 3), dict(padding=1, groups=6)),                         # depthwise
    ((1, 2, 4, 6), (3, 2, 4, 6), dict()),                                            # kernel = whole image
    ((2, 3, 6, 6), (2, 3, 1, 1), dict(stride=3)),
]
# the two column layouts (one product per image, one over the batch): every configuration runs in both
LAYOUTS = {"per image": 10 ** 9, "batch-wide": 0}


@pytest.fixture(params=list(LAYOUTS), ids=list(LAYOUTS))
def layout(request, monkeypatch):
    monkeypatch.setattr(conv_ops, "PER_IMAGE_BELOW", LAYOUTS[request.param])
    return request.param


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV_CONFIGS)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
def test_conv2d_values_and_gradients_equal_pytorchs(x_shape, w_shape, kwargs, bias, layout):
    torch = pytest.importorskip("torch")
    x, w = RNG.standard_normal(x_shape, np.float32), RNG.standard_normal(w_shape, np.float32)
    b = RNG.standard_normal(w_shape[0]).astype(np.float32) if bias else None
    ours = [Tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    out = ag.conv2d(*ours, **kwargs)
    expected = torch.nn.functional.conv2d(*theirs, **kwargs)
    assert out.dtype == np.float32 and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-4, atol=1e-4)
    u = RNG.standard_normal(out.shape).astype(np.float32)
    for g, t in zip(grad(out, ours, grad_outputs=u), torch.autograd.grad(expected, theirs, torch.tensor(u))):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, t.numpy(), rtol=1e-4, atol=1e-3)


POOL_CONFIGS = [((2, 3, 8, 8), 2, None, 0), ((1, 2, 7, 9), 3, 2, 1), ((2, 1, 6, 5), (3, 2), 1, (1, 1)),
                ((1, 2, 5, 5), 2, (1, 2), 0), ((1, 1, 4, 4), 4, None, 2)]


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("shape, kernel, stride, padding", POOL_CONFIGS)
def test_pools_values_and_gradients_equal_pytorchs(name, shape, kernel, stride, padding):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape, np.float32)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(ag, name)(ours, kernel, stride, padding)
    expected = getattr(torch.nn.functional, name)(theirs, kernel, stride, padding)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-6, atol=1e-6)
    u = RNG.standard_normal(out.shape).astype(np.float32)
    (g,) = grad(out, ours, grad_outputs=u)
    np.testing.assert_allclose(g, torch.autograd.grad(expected, theirs, torch.tensor(u))[0].numpy(), rtol=1e-5,
                               atol=1e-6)


TIES_AND_NANS = np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, np.nan, 2.0, 0.0], [np.nan, 0.0, 3.0, 3.0],
                             [np.nan, 0.0, 3.0, 1.0]]]])


@pytest.mark.parametrize("x, stride", [
    (np.ones((1, 1, 4, 4)), 1), (TIES_AND_NANS, 1),
    (np.ones((1, 1, 4, 4)), 2), (TIES_AND_NANS, 2),                 # windows that tile the image (the fast path)
    (np.maximum(RNG.standard_normal((2, 3, 5, 7)), 0), 2),          # relu's zeros tie; a row and column left over
], ids=["ties", "ties and nans", "tiled ties", "tiled ties and nans", "tiled relu zeros"])
def test_max_pool_breaks_ties_and_nans_as_pytorch(x, stride):
    """The gradient goes to the first maximum of a window, or to its last nan (PyTorch's CPU rule)."""
    torch = pytest.importorskip("torch")
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = ag.max_pool2d(ours, 2, stride=stride)
    expected = torch.nn.functional.max_pool2d(theirs, 2, stride=stride)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


@pytest.mark.parametrize("stride", [2, 1], ids=["tiled", "overlapping"])
def test_max_pool_sends_an_infinite_gradient_to_the_maximum_only_as_pytorch(stride):
    """An inf or -inf upstream gradient reaches its window's maximum; the other positions get 0, not inf * 0."""
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 6, 6))
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = ag.max_pool2d(ours, 2, stride=stride)
    u = RNG.standard_normal(out.shape)
    u[0, 0, 0, 0], u[1, 2, 1, 1] = np.inf, -np.inf
    (g,) = grad(out, ours, grad_outputs=u)
    expected = torch.autograd.grad(torch.nn.functional.max_pool2d(theirs, 2, stride=stride), theirs,
                                   torch.tensor(u))[0].numpy()
    assert not np.isnan(g).any()
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel, stride, padding", [(2, 1, 1), (3, 2, 1), (3, 1, (0, 1))])
def test_max_pool_of_minus_infinity_beside_padding_chooses_the_first_real_value_as_pytorch(kernel, stride, padding):
    """A window whose values are all -inf ties with its padding: the gradient goes to its first value on the
    image (where PyTorch starts), not to the padding, where it would be lost."""
    torch = pytest.importorskip("torch")
    x = np.where(RNG.random((2, 2, 5, 4)) < 0.7, -np.inf, RNG.standard_normal((2, 2, 5, 4)))
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = ag.max_pool2d(ours, kernel, stride, padding)
    expected = torch.nn.functional.max_pool2d(theirs, kernel, stride, padding)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    u = RNG.standard_normal(out.shape)
    (g,) = grad(out, ours, grad_outputs=u)
    np.testing.assert_allclose(g, torch.autograd.grad(expected, theirs, torch.tensor(u))[0].numpy(), rtol=1e-12)


def test_conv2d_with_an_infinite_weight_gives_nan_where_pytorch_does(layout):
    """Only the input positions that meet the inf weight get inf or nan: none from the padding's zeros."""
    torch = pytest.importorskip("torch")
    x, w = RNG.standard_normal((2, 8, 6, 6), np.float32), RNG.standard_normal((4, 8, 3, 3), np.float32)
    w[1, 2, 0, 0] = w[3, 5, 2, 1] = np.inf                    # (off-centre: shifted, the zero grid lands on pixels)
    ours = [Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    u = RNG.standard_normal((2, 4, 6, 6)).astype(np.float32)
    with np.errstate(invalid="ignore"):                           # (the forward's inf * 0 at the padding: nan)
        (g,) = grad(ag.conv2d(*ours, padding=1), ours[:1], grad_outputs=u)
    expected = torch.autograd.grad(torch.nn.functional.conv2d(*theirs, padding=1), theirs[:1], torch.tensor(u))
    expected = expected[0].numpy()
    np.testing.assert_array_equal(np.isfinite(g), np.isfinite(expected))
    finite = np.isfinite(g)
    assert 0 < finite.sum() < g.size
    np.testing.assert_allclose(g[finite], expected[finite], rtol=1e-4, atol=1e-4)


def test_an_empty_batch_gives_an_empty_input_gradient_and_a_zero_weight_gradient(layout):
    x = Tensor(np.zeros((0, 2, 5, 5), np.float32), requires_grad=True)
    w = Tensor(RNG.standard_normal((4, 2, 3, 3), np.float32), requires_grad=True)
    out = ag.max_pool2d(ag.conv2d(x, w, padding=1), 2)
    assert out.shape == (0, 4, 2, 2)
    gx, gw = grad(out.sum(), [x, w])
    assert gx.shape == (0, 2, 5, 5)
    np.testing.assert_array_equal(gw, np.zeros((4, 2, 3, 3), np.float32))


def test_a_single_image_without_batch_axis_works_as_in_pytorch():
    x = RNG.standard_normal((2, 5, 5))
    w = RNG.standard_normal((3, 2, 3, 3))
    assert ag.conv2d(x, w, padding=1).shape == (3, 5, 5)
    np.testing.assert_allclose(ag.conv2d(x, w).data, ag.conv2d(x[None], w).data[0])
    assert ag.max_pool2d(x, 2).shape == ag.avg_pool2d(x, 2).shape == (2, 2, 2)


# --- second derivatives: create_graph, and forward over reverse mode ----------------------------

def test_double_backward_through_conv_and_pools_equals_pytorchs():
    torch = pytest.importorskip("torch")
    x, w, b = RNG.standard_normal((2, 4, 7, 7)), RNG.standard_normal((6, 2, 3, 3)), RNG.standard_normal(6)

    def network(F, conv, x, w, b):
        h = F.max_pool2d(conv(x, w, b, stride=1, padding=1, groups=2).tanh(), 2, 1)
        return F.avg_pool2d(h, 3, 2, 1)

    ours = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = network(ag, ag.conv2d, *ours)
    expected = network(torch.nn.functional, torch.nn.functional.conv2d, *theirs)
    u = RNG.standard_normal(out.shape)
    first = grad(out, ours, grad_outputs=u, create_graph=True)
    first_t = torch.autograd.grad(expected, theirs, torch.tensor(u), create_graph=True)
    for g, t in zip(first, first_t):
        np.testing.assert_allclose(g.data, t.detach().numpy(), rtol=1e-10, atol=1e-10)
    # a function of the gradients, differentiated again
    second = grad(sum((g * g).sum() for g in first), ours)
    second_t = torch.autograd.grad(sum((t * t).sum() for t in first_t), theirs)
    for g, t in zip(second, second_t):
        np.testing.assert_allclose(g, t.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kwargs", [dict(padding=1), dict(stride=2, dilation=(1, 2), groups=2)])
def test_hessians_by_forward_over_reverse_equal_reverse_over_reverse(kwargs, layout):
    """jacfwd of a gradient pushes a batch of tangents through the gradient's own ops (the input and weight
    gradients of the convolution, max pooling's scatter): their batched jvp rules against reverse mode."""
    x0, w0 = RNG.standard_normal((2, 2, 7, 7)), RNG.standard_normal((2, 1 if kwargs.get("groups") else 2, 3, 3))

    def loss(x, w):
        out = ag.conv2d(x, w, **kwargs)
        return (ag.max_pool2d(out.tanh(), 2, 1) ** 2).sum() + (ag.avg_pool2d(out, 2) ** 2).sum()

    gradient = func.grad(loss, argnums=(0, 1))
    for forward, reverse in zip(func.jacfwd(gradient, argnums=(0, 1))(x0, w0),
                                func.jacrev(gradient, argnums=(0, 1))(x0, w0)):
        for f, r in zip(forward, reverse):
            np.testing.assert_allclose(f.data, r.data, rtol=1e-9, atol=1e-9)


def test_pictures_label_conv_and_pool_nodes_with_kernel_and_stride():
    x = Tensor(np.ones((1, 2, 8, 8)), requires_grad=True)
    conv = ag.conv2d(x, np.ones((4, 1, 3, 3)), padding=1, stride=(2, 1), groups=2)
    pooled = ag.max_pool2d(ag.conv2d(x, np.ones((2, 2, 3, 3)), padding=1), 2)
    assert conv.op.describe() == "kernel=(3, 3) stride=(2, 1) padding=1 groups=2"
    assert pooled.op.describe() == "kernel=(2, 2) stride=2 padding=0"
    assert ag.avg_pool2d(x, 3, 1, 1).op.describe() == "kernel=(3, 3) stride=1 padding=1"
    picture = str(ag.viz.draw(pooled.sum()).source)
    assert "kernel=(3, 3) stride=1 padding=1" in picture and "kernel=(2, 2) stride=2 padding=0" in picture


# --- bad input ----------------------------------------------------------------------------------

X = np.zeros((2, 3, 8, 8))
ERRORS = [
    (lambda: ag.conv2d(np.zeros((3, 8)), np.zeros((4, 3, 3, 3))), ValueError,
     r"conv2d: input must have shape \(N, C, H, W\) \(or \(C, H, W\) for one image\), got shape \(3, 8\)"),
    (lambda: ag.conv2d(X, np.zeros((4, 3, 3))), ValueError,
     r"conv2d: weight must have shape \(out_channels, in_channels / groups, kh, kw\), got shape \(4, 3, 3\)"),
    (lambda: ag.conv2d(X, np.zeros((4, 2, 3, 3))), ValueError,
     r"conv2d: weight of shape \(4, 2, 3, 3\) expects 2 input channels .* got input of shape \(2, 3, 8, 8\) with 3"),
    (lambda: ag.conv2d(X, np.zeros((4, 1, 3, 3)), groups=2), ValueError,
     r"conv2d: groups=2 must divide both the input's 3 channels and the weight's 4 filters \(input of shape "
     r"\(2, 3, 8, 8\), weight of shape \(4, 1, 3, 3\)\)"),
    (lambda: ag.conv2d(X, np.zeros((4, 3, 9, 3))), ValueError,
     r"conv2d: kernel \(9, 3\) is larger than the padded input \(8, 8\) \(input of shape \(2, 3, 8, 8\)"),
    (lambda: ag.conv2d(X, np.zeros((4, 3, 3, 3)), dilation=4), ValueError,
     r"conv2d: kernel \(3, 3\) \(dilated: \(9, 9\)\) is larger than the padded input \(8, 8\)"),
    (lambda: ag.conv2d(X, np.zeros((4, 3, 3, 3)), stride=0), ValueError,
     r"conv2d: stride must be an int >= 1 \(or a pair of them\), got 0"),
    (lambda: ag.conv2d(X, np.zeros((4, 3, 3, 3)), padding=-1), ValueError, r"conv2d: padding must be an int >= 0"),
    (lambda: ag.conv2d(X, np.zeros((4, 3, 3, 3)), stride=1.5), TypeError,
     r"conv2d: stride must be an int or a pair of ints \(height, width\), got 1.5 \(float\)"),
    (lambda: ag.conv2d(X, np.zeros((4, 3, 3, 3)), groups=0), ValueError, r"conv2d: groups must be a positive int"),
    (lambda: ag.conv2d(X, np.zeros((4, 3, 3, 3)), bias=np.zeros(3)), ValueError,
     r"conv2d: bias must have shape \(4,\) .*weight \(4, 3, 3, 3\)\), got shape \(3,\)"),
    (lambda: ag.conv2d(X, np.zeros((4, 3, 3, 3), np.float32)), TypeError,
     r"conv2d: input of dtype float64 and weight of dtype float32 must have the same dtype"),
    (lambda: ag.conv2d(np.zeros((2, 3, 8, 8), int), np.zeros((4, 3, 3, 3))), TypeError,
     r"conv2d: input must be a float tensor, got dtype int64 with shape \(2, 3, 8, 8\)"),
    (lambda: ag.max_pool2d(np.zeros((8, 8)), 2), ValueError,
     r"max_pool2d: input must have shape \(N, C, H, W\) \(or \(C, H, W\) for one image\), got shape \(8, 8\)"),
    (lambda: ag.max_pool2d(X, 9), ValueError,
     r"max_pool2d: kernel \(9, 9\) is larger than the padded input \(8, 8\) \(input of shape \(2, 3, 8, 8\)"),
    (lambda: ag.avg_pool2d(X, 2, stride=(1, 0)), ValueError, r"avg_pool2d: stride must be an int >= 1"),
    (lambda: ag.avg_pool2d(X, 0), ValueError, r"avg_pool2d: kernel_size must be an int >= 1"),
    (lambda: ag.max_pool2d(X, 2, padding=2), ValueError,
     r"max_pool2d: padding \(2, 2\) must be at most half the kernel \(2, 2\) .*input of shape \(2, 3, 8, 8\)"),
    (lambda: nn.Conv2d(3, 4, 3)(np.zeros((2, 2, 8, 8))), ValueError,
     r"Conv2d\(3, 4, kernel_size=3\): expected input of shape \(N, 3, H, W\) or \(3, H, W\), got \(2, 2, 8, 8\)"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError,
     r"Conv2d: groups=2 must divide in_channels=3 and out_channels=4"),
    (lambda: nn.Conv2d(3, 4, 0), ValueError, r"Conv2d: kernel_size must be an int >= 1"),
    (lambda: nn.MaxPool2d(2, stride=-1), ValueError, r"MaxPool2d: stride must be an int >= 1"),
    (lambda: nn.BatchNorm2d(3)(np.zeros((2, 3, 4))), ValueError,
     r"BatchNorm2d\(3\): expected input of shape \(N, 3, H, W\), got \(2, 3, 4\)"),
    (lambda: nn.BatchNorm2d(3)(np.zeros((1, 3, 1, 1))), ValueError,
     r"BatchNorm2d\(3\): need more than 1 value per channel in training mode, got input of shape \(1, 3, 1, 1\)"),
    (lambda: nn.BatchNorm2d(3, momentum=2), ValueError, r"BatchNorm2d: momentum must be a number in \[0, 1\]"),
]


@pytest.mark.parametrize("call, kind, message", ERRORS)
def test_bad_input_gets_a_clear_error_naming_the_op_and_the_shapes(call, kind, message):
    with pytest.raises(kind, match=message):
        call()


# --- the layers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs, fan_in", [((3, 8, 3), {}, 27), ((4, 6, (2, 5)), dict(groups=2), 10),
                                                  ((1, 2, 5), dict(bias=False), 25)])
def test_conv2d_layer_has_pytorchs_layout_and_initialisation(args, kwargs, fan_in):
    layer = nn.Conv2d(*args, **kwargs, rng=0)
    in_channels, out_channels, kernel = args
    kernel = (kernel, kernel) if isinstance(kernel, int) else kernel
    assert layer.weight.shape == (out_channels, in_channels // kwargs.get("groups", 1)) + kernel
    assert layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(fan_in)
    drawn = [layer.weight.data] + ([layer.bias.data] if layer.bias is not None else [])
    for values in drawn:
        assert np.abs(values).max() <= bound
    values = np.concatenate([d.ravel() for d in drawn])
    assert values.max() > 0.5 * bound and values.min() < -0.5 * bound       # spread over the interval
    assert (layer.bias is None) == (kwargs.get("bias") is False)
    np.testing.assert_array_equal(nn.Conv2d(*args, **kwargs, rng=0).weight.data, layer.weight.data)


def test_conv2d_layer_computes_what_pytorch_computes_with_its_weights():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=1, dilation=(2, 1), groups=2)
    ours = nn.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=1, dilation=(2, 1), groups=2)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = RNG.standard_normal((2, 4, 7, 6))                       # float64: cast to the layer's float32
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x, dtype=torch.float32)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    assert repr(ours) == repr(theirs)


def test_state_dict_round_trip_of_a_cnn():
    def cnn(seed):
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=seed), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(4, 4, 3, rng=seed), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4, 3, rng=seed))
    model = cnn(0)
    x = RNG.standard_normal((5, 1, 8, 8)).astype(np.float32)
    model(x)                                                    # moves BatchNorm2d's running statistics
    state = model.state_dict()
    assert set(state) == {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                          "1.num_batches_tracked", "4.weight", "4.bias", "7.weight", "7.bias"}
    assert state["0.weight"].shape == (4, 1, 3, 3) and state["4.weight"].shape == (4, 4, 3, 3)
    copy = cnn(1)
    copy.load_state_dict(state)
    np.testing.assert_array_equal(copy.eval()(x).data, model.eval()(x).data)


def test_batchnorm2d_matches_pytorch_in_training_and_evaluation():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm2d(3, momentum=0.3, dtype=np.float64), torch.nn.BatchNorm2d(3, momentum=0.3).double()
    for _ in range(3):
        x = RNG.normal(2.0, 3.0, (4, 3, 5, 6))
        np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 3
    x = RNG.normal(2.0, 3.0, (2, 3, 5, 6))
    np.testing.assert_allclose(ours.eval()(x).data, theirs.eval()(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert isinstance(ours, nn.layers.BatchNormBase) and isinstance(nn.BatchNorm1d(3), nn.layers.BatchNormBase)


def test_flatten_takes_images_to_rows():
    x = Tensor(np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5), requires_grad=True)
    out = nn.Flatten()(x)
    assert out.shape == (2, 60)
    np.testing.assert_array_equal(out.data, x.data.reshape(2, 60))


def _bars(n, rng):
    """n 8x8 images of one vertical (class 0) or horizontal (class 1) bar at a random place, plus noise."""
    labels = rng.integers(0, 2, n)
    images = rng.normal(0.0, 0.1, (n, 1, 8, 8)).astype(np.float32)
    where = rng.integers(1, 7, n)
    for i, (label, k) in enumerate(zip(labels, where)):     # (building test data, not the op under test)
        if label:
            images[i, 0, k, 1:7] += 1.0
        else:
            images[i, 0, 1:7, k] += 1.0
    return images, labels


def test_a_small_cnn_learns_to_tell_bars_apart():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=rng), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 4, 3, rng=rng), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                          nn.Linear(4, 2, rng=rng))
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
    criterion = nn.CrossEntropyLoss()
    images, labels = _bars(64, rng)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0], losses
    test_images, test_labels = _bars(64, rng)
    accuracy = (model.eval()(test_images).data.argmax(axis=1) == test_labels).mean()
    assert accuracy > 0.9, accuracy
