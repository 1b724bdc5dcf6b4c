"""Losses: the labs' numbers, extreme inputs, gradients (gradcheck, PyTorch when installed), errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
import nn.functional as F
from autograd import Tensor, grad, gradcheck


def _randn(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- the labs' own checks ----------------------------------------------------------------

def test_lab001_binary_cross_entropy_values_and_gradient():
    assert round(F.binary_cross_entropy(np.array([0.5] * 4), np.array([1, 1, 0, 0])).item(), 3) == 0.693
    np.random.seed(17)
    y_true = np.random.randint(0, 2, size=100)
    y_pred = np.random.random(100)
    assert round(F.binary_cross_entropy(y_pred, y_true).item(), 3) == 0.997
    p = Tensor(np.array([0.99, 0.9, 0.8, 0.5, 0.2]), requires_grad=True)
    F.binary_cross_entropy(p, np.array([1, 1, 1, 0, 0])).backward()
    np.testing.assert_allclose(p.grad, [-0.2020202, -0.22222222, -0.25, 0.4, 0.25], rtol=1e-7)


@pytest.mark.parametrize("y_hat, y, expected", [
    ([0.8, 0.1, 0.5], [1, 0, 1], [-0.41666667, 0.37037037, -0.66666667]),
    ([[0.4], [0.8], [0.2]], [[0], [1], [0]], [[0.55555556], [-0.41666667], [0.41666667]]),
])
def test_lab000_bce_derivative_cases(y_hat, y, expected):
    p = Tensor(np.array(y_hat), requires_grad=True)
    nn.BCELoss()(p, np.array(y)).backward()
    np.testing.assert_allclose(p.grad, expected, rtol=1e-7)


def test_lab002_softmax_crossentropy_with_logits():
    logits = np.linspace(-1, 1, 500).reshape(50, 10)
    answers = np.arange(50) % 10
    reference = -logits[np.arange(50), answers] + np.log(np.exp(logits).sum(-1))
    z = Tensor(logits, requires_grad=True)
    per_sample = F.cross_entropy(z, answers, reduction="none")
    np.testing.assert_allclose(per_sample.data, reference, rtol=1e-12)
    per_sample.mean().backward()
    one_hot = np.eye(10)[answers]
    softmax = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(z.grad, (softmax - one_hot) / 50, rtol=1e-10, atol=1e-15)


# --- values against the formulas -------------------------------------------------------------

def test_losses_match_their_formulas_for_every_reduction():
    p = _sigmoid(_randn(6, 3))
    y01 = (np.random.default_rng(1).random((6, 3)) > 0.5).astype(np.float64)
    z, target = _randn(6, 3, seed=2), _randn(6, 3, seed=3)
    labels = np.array([0, 2, 1, 1, 0, 2])
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    cases = {
        F.binary_cross_entropy: (p, y01, -(y01 * np.log(p) + (1 - y01) * np.log(1 - p))),
        F.binary_cross_entropy_with_logits: (z, y01, -(y01 * np.log(_sigmoid(z))
                                                       + (1 - y01) * np.log(1 - _sigmoid(z)))),
        F.mse_loss: (z, target, (z - target) ** 2),
        F.cross_entropy: (z, labels, -logp[np.arange(6), labels]),
        F.nll_loss: (logp, labels, -logp[np.arange(6), labels]),
    }
    for fn, (x, t, per_element) in cases.items():
        np.testing.assert_allclose(fn(x, t, reduction="none").data, per_element, rtol=1e-10, err_msg=fn.__name__)
        np.testing.assert_allclose(fn(x, t, reduction="sum").item(), per_element.sum(), rtol=1e-10)
        np.testing.assert_allclose(fn(x, t).item(), per_element.mean(), rtol=1e-10)


def test_cross_entropy_with_one_hot_and_probability_targets():
    z = Tensor(_randn(4, 3), requires_grad=True)
    labels = np.array([2, 0, 1, 2])
    one_hot = np.eye(3)[labels]
    np.testing.assert_allclose(F.cross_entropy(z, one_hot).item(), F.cross_entropy(z, labels).item(), rtol=1e-12)
    probs = _sigmoid(_randn(4, 3, seed=5))
    probs /= probs.sum(1, keepdims=True)
    loss = F.cross_entropy(z, probs)
    loss.backward()
    softmax = np.exp(z.data) / np.exp(z.data).sum(1, keepdims=True)
    np.testing.assert_allclose(z.grad, (softmax - probs) / 4, rtol=1e-10)
    np.testing.assert_allclose(loss.item(), -(probs * np.log(softmax)).sum(1).mean(), rtol=1e-10)


def test_float32_stays_float32():
    z = _randn(5, 3, dtype=np.float32)
    p = _sigmoid(z)
    assert F.binary_cross_entropy(p, (p > 0.5).astype(np.float32)).dtype == np.float32
    assert F.binary_cross_entropy(p, np.zeros((5, 3), np.int64)).dtype == np.float32   # integer targets are cast
    assert F.binary_cross_entropy_with_logits(z, np.ones((5, 3))).dtype == np.float32
    assert F.mse_loss(z, np.zeros((5, 3))).dtype == np.float32
    assert F.cross_entropy(z, np.array([0, 1, 2, 0, 1])).dtype == np.float32
    assert F.cross_entropy(z, np.full((5, 3), 1 / 3)).dtype == np.float32


# --- extreme inputs ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_at_probabilities_zero_and_one_is_finite(dtype):
    p = Tensor(np.array([0.0, 0.0, 1.0, 1.0], dtype), requires_grad=True)
    y = np.array([0.0, 1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(loss.data, [0.0, 100.0, 100.0, 0.0])   # log clamped at -100
    loss.sum().backward()
    assert np.isfinite(p.grad).all()
    np.testing.assert_allclose(p.grad, [0.0, -1e12, 1e12, 0.0], rtol=1e-6)  # (p - y) / max(p (1 - p), 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_at_1e4_is_exact_and_finite(dtype):
    z = Tensor(np.array([1e4, 1e4, -1e4, -1e4, 0.0, 0.0], dtype), requires_grad=True)
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    np.testing.assert_allclose(loss.data, [0, 1e4, 1e4, 0, np.log(2), np.log(2)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_array_equal(z.grad, [0.0, 1.0, -1.0, 0.0, -0.5, 0.5])  # sigmoid(z) - y, even at 0


def test_bce_with_logits_keeps_the_tiny_true_loss_and_gradient_of_a_saturated_output():
    # sigmoid(720) rounds to 1.0, but log1p(e^-720) and sigmoid(z) - y = -e^-720 are representable (subnormal)
    z = Tensor(np.array([720.0, -720.0, 30.0]), requires_grad=True)
    y = np.array([1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    np.testing.assert_allclose(loss.data, np.log1p(np.exp(-np.abs(z.data))), rtol=1e-9)
    assert (loss.data > 0).all()
    loss.sum().backward()
    np.testing.assert_allclose(z.grad, [-np.exp(-720.0), np.exp(-720.0), -1 / (1 + np.exp(30.0))], rtol=1e-9)


def test_bce_with_logits_second_derivative():
    z = Tensor(np.array([-2.0, 0.0, 0.5, 3.0]), requires_grad=True)
    y = np.array([1.0, 0.0, 0.3, 1.0])
    assert gradcheck(lambda z: grad(F.binary_cross_entropy_with_logits(z, y, "sum"), z, create_graph=True)[0], z)


def test_bce_with_logits_equals_bce_of_sigmoid_where_both_are_accurate():
    z = Tensor(np.linspace(-15, 15, 31), requires_grad=True)
    y = (np.arange(31) % 2).astype(np.float64)
    a = F.binary_cross_entropy_with_logits(z, y)
    b = F.binary_cross_entropy(_sigmoid(z.data), y)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-9)
    a.backward()
    np.testing.assert_allclose(z.grad, (_sigmoid(z.data) - y) / 31, rtol=1e-9, atol=1e-18)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_at_huge_logits_is_finite(dtype):
    z = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype), requires_grad=True)
    loss = F.cross_entropy(z, np.array([1, 2]), reduction="none")
    np.testing.assert_allclose(loss.data, [2e4, 0.0], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_array_equal(z.grad, [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint64, np.uint8])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_a_non_contiguous_input_with_any_integer_labels(label_dtype, reduction):
    # the fused op gathers and scatters through a flattened view: layout and label dtype must not matter
    scores = _randn(3, 5, seed=7).T                     # (5, 3), Fortran-ordered
    labels = np.array([2, 0, 1, 1, 2], label_dtype)
    upstream = _randn(5, seed=8) if reduction == "none" else np.array(0.7)
    results = []
    for x in (scores, np.ascontiguousarray(scores)):
        z = Tensor(x, requires_grad=True)
        loss = F.cross_entropy(z, labels, reduction)
        loss.backward(upstream)
        results.append((loss.data, z.grad))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    softmax = np.exp(scores) / np.exp(scores).sum(1, keepdims=True)
    scale = upstream[:, None] if reduction == "none" else upstream / (5 if reduction == "mean" else 1)
    np.testing.assert_allclose(results[0][1], (softmax - np.eye(3)[labels.astype(np.int64)]) * scale, rtol=1e-12)


@pytest.mark.parametrize("labels", [
    np.array([0, 3], np.int64), np.array([-1, 0], np.int64), np.array([0, -(2 ** 63)], np.int64),
    np.array([-128, 2], np.int8), np.array([2, 255], np.uint8), np.array([3, 0], np.int32),
    np.array([0, 2 ** 63], np.uint64), np.array([2 ** 64 - 1, 0], np.uint64),
    np.array([[0, 1, 2, 1], [1, 2, 0, 7]]),             # (N, d1) labels of (N, C, d1) scores
], ids=lambda a: f"{a.dtype}-{a.ravel().tolist()}")
def test_a_label_out_of_range_is_refused_in_every_integer_dtype(labels):
    scores = np.zeros((2, 3) + labels.shape[1:])
    with pytest.raises(ValueError, match=r"cross_entropy: labels must be in \[0, 3\) for input of shape"):
        F.cross_entropy(scores, labels)
    within = np.clip(labels.astype(np.float64), 0, 2).astype(labels.dtype)
    assert F.cross_entropy(scores, within).item() == pytest.approx(np.log(3))


def test_nothing_produces_nan_under_detect_anomaly():
    from autograd import detect_anomaly
    with detect_anomaly():
        for fn, x, t in [(F.binary_cross_entropy, np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 1.0])),
                         (F.binary_cross_entropy_with_logits, np.array([1e4, -1e4, 0.0]), np.array([0.0, 1.0, 1.0])),
                         (F.cross_entropy, np.array([[1e4, -1e4]]), np.array([1]))]:
            x = Tensor(x, requires_grad=True)
            fn(x, t).backward()
            assert np.isfinite(x.grad).all()


# --- gradients -------------------------------------------------------------------------------

def test_gradcheck_every_loss():
    p = Tensor(_sigmoid(_randn(4, 3)), requires_grad=True)
    y01 = Tensor((_randn(4, 3, seed=1) > 0).astype(np.float64))
    soft = Tensor(_sigmoid(_randn(4, 3, seed=4)), requires_grad=True)   # targets may be probabilities
    z = Tensor(_randn(4, 3, seed=2), requires_grad=True)
    t = Tensor(_randn(4, 3, seed=3), requires_grad=True)
    labels = np.array([0, 2, 1, 2])
    probs = np.eye(3)[[1, 1, 0, 2]] * 0.7 + 0.1
    for reduction in ("mean", "sum", "none"):
        assert gradcheck(lambda p, y: F.binary_cross_entropy(p, y, reduction), p, y01)
        assert gradcheck(lambda p, y: F.binary_cross_entropy(p, y, reduction), p, soft)   # d/d target too
        assert gradcheck(lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction), z, soft)
        assert gradcheck(lambda z, t: F.mse_loss(z, t, reduction), z, t)
        assert gradcheck(lambda z: F.cross_entropy(z, labels, reduction), z)
        assert gradcheck(lambda z: F.cross_entropy(z, probs, reduction), z)
        assert gradcheck(lambda z: F.nll_loss(z.log_softmax(axis=1), labels, reduction), z)


def test_bce_second_derivative():
    p = Tensor(np.array([0.2, 0.5, 0.9]), requires_grad=True)
    y = np.array([1.0, 0.0, 1.0])
    assert gradcheck(lambda p: grad(F.binary_cross_entropy(p, y, "sum"), p, create_graph=True)[0], p)


@given(logits=hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 5)),
                         elements=st.floats(-50, 50)),
       data=st.data())
def test_cross_entropy_properties(logits, data):
    n, c = logits.shape
    labels = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    z = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(z, labels, reduction="none")
    assert (loss.data >= 0).all()
    shifted = logits - logits.max(1, keepdims=True)
    np.testing.assert_allclose(loss.data, np.log(np.exp(shifted).sum(1)) - shifted[np.arange(n), labels],
                               rtol=1e-9, atol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(z.grad.sum(1), 0, atol=1e-12)            # softmax - one_hot sums to 0 per row
    assert (z.grad[np.arange(n), labels] <= 0).all()


@given(z=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e4, 1e4)),
       y=st.sampled_from([0.0, 1.0]))
@pytest.mark.filterwarnings("ignore:overflow encountered in exp")     # in the test's own sigmoid
def test_bce_with_logits_gradient_property(z, y):
    t = Tensor(z, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(t, np.full(z.shape, y), reduction="sum")
    assert np.isfinite(loss.item()) and loss.item() >= 0
    loss.backward()
    np.testing.assert_allclose(t.grad, _sigmoid(z) - y, atol=1e-12)


# --- against PyTorch ---------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_torch(reduction):
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    p = np.concatenate([_sigmoid(_randn(9)), [0.0, 1.0, 0.0]])
    y = np.concatenate([(_randn(9, seed=1) > 0).astype(np.float64), [1.0, 0.0, 0.0]])
    z = np.concatenate([_randn(9, seed=2), [1e4, -1e4, 0.0]])
    scores, labels = _randn(5, 4, seed=3), np.array([3, 0, 1, 1, 2])
    probs = np.eye(4)[[1, 0, 3, 3, 2]] * 0.6 + 0.1
    cases = [
        (F.binary_cross_entropy, TF.binary_cross_entropy, p, y),
        (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, z, y),
        (F.mse_loss, TF.mse_loss, z[:9], p[:9]),
        (F.cross_entropy, TF.cross_entropy, scores, labels),
        (F.cross_entropy, TF.cross_entropy, scores, probs),
        (F.nll_loss, TF.nll_loss, scores, labels),
    ]
    for ours, theirs, x, t in cases:
        xm, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        a, b = ours(xm, t, reduction=reduction), theirs(xt, torch.tensor(t), reduction=reduction)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, err_msg=ours.__name__)
        u = _randn(*a.shape, seed=4)
        (a * u).sum().backward()
        (b * torch.tensor(u)).sum().backward()
        np.testing.assert_allclose(xm.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=ours.__name__)


# --- modules and errors -----------------------------------------------------------------------

def test_loss_modules_wrap_the_functions():
    z, labels = _randn(4, 3), np.array([0, 1, 2, 0])
    assert nn.CrossEntropyLoss()(z, labels).item() == F.cross_entropy(z, labels).item()
    assert nn.NLLLoss(reduction="sum")(z, labels).item() == F.nll_loss(z, labels, "sum").item()
    assert nn.MSELoss()(z, z + 1).item() == 1.0
    assert nn.BCEWithLogitsLoss()(z, z > 0).item() == F.binary_cross_entropy_with_logits(z, z > 0).item()
    assert nn.BCELoss(reduction="none")(_sigmoid(z), z > 0).shape == (4, 3)
    assert repr(nn.BCELoss()) == "BCELoss(reduction='mean')"
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="avg")


@pytest.mark.parametrize("fn", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits, F.mse_loss,
                                F.cross_entropy, F.nll_loss])
def test_reduction_is_validated(fn):
    with pytest.raises(ValueError, match=f"{fn.__name__}: reduction must be one of"):
        fn(np.full((2, 2), 0.5), np.array([0, 1]), reduction="batchmean")


def test_shape_and_label_errors_name_the_loss_and_shapes():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input of shape \(4, 1\) and target of shape \(4,\)"):
        F.binary_cross_entropy(np.full((4, 1), 0.5), np.ones(4))
    with pytest.raises(ValueError, match=r"mse_loss: input of shape \(3,\) and target of shape \(3, 1\)"):
        F.mse_loss(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must be probabilities in \[0, 1\].*1.5"):
        F.binary_cross_entropy(np.array([0.5, 1.5]), np.ones(2))
    with pytest.raises(ValueError, match=r"cross_entropy: labels must be in \[0, 3\) for input of shape \(2, 3\), "
                                         r"got values from 0 to 3"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"nll_loss: labels must be in \[0, 3\).*from -1"):
        F.nll_loss(np.zeros((2, 3)), np.array([-1, 0]))
    with pytest.raises(ValueError, match=r"cross_entropy: input of shape \(2, 3\) needs labels of shape \(2,\), "
                                         r"got \(3,\)"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"cross_entropy: input must have shape \(N, C\).*got \(3,\)"):
        F.cross_entropy(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match=r"cross_entropy: target must be integer labels of shape \(2,\) or "
                                         r"probabilities of shape \(2, 3\), got dtype float64 and shape \(2,\)"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="nll_loss: class labels must be integers"):
        F.nll_loss(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_cross_entropy_second_order_keeps_its_own_copy_of_the_labels():
    z = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]])
    labels = np.array([0, 2])
    x = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(x, labels)
    labels[:] = 1                                     # changed by the caller after the forward
    (g,) = grad(loss, [x], create_graph=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(g.data, (p - np.eye(3)[[0, 2]]) / 2)
