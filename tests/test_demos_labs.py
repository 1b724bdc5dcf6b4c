"""The seed labs' own checks, as tests: seed 001's asserts exactly as written, seed 000's test cases.

Each seed-001 test is the lab's cell verbatim (seed, draw order, the ``assert``),
run on the classes of ``demos.layers_lab``; each seed-000 test uses the lab's
inputs, expected numbers and tolerance (``np.allclose(..., atol=1e-4)``) on the
functions of ``demos.mnist_binary``. Then labgrad is held to the same numbers.
"""
import doctest
import math

import numpy as np
import pytest

import nn
from autograd import Tensor
from demos import common, computational_graphs, layers_lab, mnist_binary
from demos.layers_lab import (BinaryCrossEntropyLoss, BinaryCrossEntropyLossWithBackprop, LinearLayer,
                              LinearLayerWithBackprop, ReLULayer, ReLULayerWithBackprop)
from demos.mnist_binary import (BCE_loss_derivative, LAB_TEST_PARAMS, forward_backward_first_layer,
                                forward_backward_second_layer, forward_backward_third_layer)


# --- seed 001, cell by cell -----------------------------------------------------------------

def test_seed001_task1_linear_forward():
    np.random.seed(17)

    X = np.random.random(size=(10000, 5))
    linear = LinearLayer(5, 3)
    output = linear.forward(X)
    correct_answer = np.array([[-0.75476927, 0.39598163, -0.11428765],
                               [1.28828674, -0.90586033, 0.67063637],
                               [2.51515422, -0.95305043, 1.4073423]])
    assert np.isclose(output[:3], correct_answer).all()


def test_seed001_task2_relu_forward():
    np.random.seed(17)

    X = np.random.random(size=(10000, 5))
    linear = LinearLayer(5, 3)
    output = linear.forward(X)
    output_relu = ReLULayer().forward(output)
    correct_answer = np.array([[0, 0.39598163, 0],
                               [1.28828674, 0, 0.67063637],
                               [2.51515422, 0, 1.4073423]])
    assert np.isclose(output_relu[:3], correct_answer).all()


def test_seed001_task3_bce_forward():
    np.random.seed(17)

    bceloss = BinaryCrossEntropyLoss()

    y_true = np.array([1, 1, 0, 0])
    y_pred = np.array([0.5] * 4)
    assert round(bceloss.forward(y_true, y_pred), 3) == 0.693

    y_true = np.random.randint(0, 2, size=(100))
    y_pred = np.random.random(100)
    assert round(bceloss.forward(y_true, y_pred), 3) == 0.997


def test_seed001_task4_linear_backward():
    np.random.seed(17)

    # initialization
    linear_backprop = LinearLayerWithBackprop(5, 3)
    X = np.random.randn(10000, 5)

    # forward pass
    linear_backprop.forward(X)

    # backpropagation
    dout = np.random.randn(10000, 3)
    dX, dW = linear_backprop.backward(dout)

    assert dX.shape == X.shape
    assert dW[0].shape == linear_backprop.W.shape
    assert round(dX.sum(), 3) == 647.044
    assert round(dW[0].sum(), 3) == 397.748


def test_seed001_task5_relu_backward():
    np.random.seed(17)

    # initialization
    relu_backprop = ReLULayerWithBackprop()
    X = np.random.randn(10000, 5)

    # forward pass
    relu_backprop.forward(X)

    # backpropagation
    dout = np.random.randn(10000, 5)
    dX, _ = relu_backprop.backward(dout)

    assert dX.shape == X.shape
    assert round(dX.sum(), 3) == 170.764


def test_seed001_task6_bce_backward():
    y_true = np.array([1, 1, 1, 0, 0])
    y_pred = np.array([0.99, 0.9, 0.8, 0.5, 0.2])
    bceloss_backward = BinaryCrossEntropyLossWithBackprop()

    right_answer = np.array([-0.2020202, -0.22222222, -0.25, 0.4, 0.25])
    assert np.isclose(bceloss_backward.backward(y_true, y_pred), right_answer).all()


@pytest.mark.parametrize("init", [
    lambda i, o: (np.random.randn(o, i).T, np.zeros(o)),          # PyTorch's (out, in) layout
    lambda i, o: (np.random.randn(i, o), np.random.randn(o)),      # a random bias
    lambda i, o: (np.random.randn(i, o) * np.sqrt(2 / i), np.zeros(o)),   # He scaling
])
def test_seed001_numbers_pin_down_the_init(init):
    """Other plausible inits miss the lab's numbers: the asserts really identify randn(in, out), b = 0."""
    np.random.seed(17)
    X = np.random.random(size=(10000, 5))
    W, b = init(5, 3)
    correct_answer = np.array([[-0.75476927, 0.39598163, -0.11428765],
                               [1.28828674, -0.90586033, 0.67063637],
                               [2.51515422, -0.95305043, 1.4073423]])
    assert not np.isclose((X @ W + b)[:3], correct_answer).all()


def test_seed001_engine_agrees_on_every_check():
    rows = layers_lab.lab_checks()
    assert len(rows) == 9
    failed = [r["task"] for r in rows if not r["ok"]]
    assert not failed, f"tasks {failed} failed"
    for r in rows:
        np.testing.assert_allclose(r["engine"], r["lab"], rtol=1e-9, atol=1e-9)


def test_seed001_engine_alone_reproduces_the_lab_numbers():
    """nn.Linear(init="randn") under the lab's seed gives the lab's answers without the lab's class."""
    np.random.seed(17)
    layer = nn.Linear(5, 3, init="randn", dtype=np.float64)
    X = Tensor(np.random.randn(10000, 5), requires_grad=True)
    layer(X).backward(np.random.randn(10000, 3))
    assert round(X.grad.sum(), 3) == 647.044
    assert round(layer.weight.grad.sum(), 3) == 397.748


def test_seed001_hand_training_matches_engine_training():
    rng = np.random.default_rng(3)
    X = rng.random((150, 12))
    y = X[:, 0] + X[:, 1] > 1.0
    hist = layers_lab.train_side_by_side(X, y, hidden=8, epochs=4, batch_size=32, lr=0.5, seed=1)
    np.testing.assert_allclose(hist["lab"], hist["engine"], rtol=1e-12, atol=1e-12)
    assert hist["max_diff"] < 1e-12
    assert hist["engine"][-1] < hist["engine"][0]          # it did learn something


# --- seed 000: the lab's test cases -------------------------------------------------------------

X_T = np.array([[1.5, -0.3], [0.7, 2.2]])
Y_T = np.array([[1], [0]])


@pytest.mark.parametrize("y_hat, y, expected", [
    (np.array([0.8, 0.1, 0.5]), np.array([1, 0, 1]), np.array([-0.41666667, 0.37037037, -0.66666667])),
    (np.array([[0.4], [0.8], [0.2]]), np.array([[0], [1], [0]]), np.array([[0.55555556], [-0.41666667], [0.41666667]])),
])
def test_seed000_bce_loss_derivative(y_hat, y, expected):
    computed = BCE_loss_derivative(y, y_hat)
    assert computed.shape == y_hat.shape
    assert np.allclose(computed, expected, atol=1e-4)


def test_seed000_ex5_third_layer():
    _, dW, db = forward_backward_third_layer(X_T, Y_T, LAB_TEST_PARAMS["third"])
    assert np.allclose(dW, np.array([[0.00510939], [0.]]), atol=1e-4)
    assert np.allclose(db, np.array([[0.08862105]]), atol=1e-4)


def test_seed000_ex6_second_layer():
    _, dW, db = forward_backward_second_layer(X_T, Y_T, LAB_TEST_PARAMS["second"])
    assert np.allclose(dW, np.array([[0.10924257, -0.10250817], [0.16265566, -0.09759339], [-0.00244786, 0]]),
                       atol=1e-4)
    assert np.allclose(db, np.array([[0.76220853, -0.70211075]]), atol=1e-4)


def test_seed000_ex7_first_layer():
    _, dW, db = forward_backward_first_layer(X_T, Y_T, LAB_TEST_PARAMS["first"])
    assert np.allclose(dW, np.array([[-2.60110482e-02, 2.45, 1.83033145e-02],
                                     [1.22202210e-01, 7.7, -3.66066289e-03]]), atol=1e-4)
    assert np.allclose(db, np.array([[0.00932597, 3.5, 0.01220221]]), atol=1e-4)


def test_seed000_lab_tests_report_all_pass():
    rows = mnist_binary.lab_tests()
    assert len(rows) == 8 and all(r["ok"] for r in rows)


def test_seed000_forward_shapes_and_he_init():
    params = mnist_binary.init_params((784, 25, 15, 1), np.random.default_rng(0))
    assert [params[k].shape for k in ("W1", "b1", "W2", "b2", "W3", "b3")] == \
        [(784, 25), (1, 25), (25, 15), (1, 15), (15, 1), (1, 1)]
    assert all(not params[f"b{i}"].any() for i in (1, 2, 3))
    assert abs(params["W1"].std() - math.sqrt(2 / 784)) < 0.003          # 19,600 draws of N(0, 2/784)
    acts = mnist_binary.forward(np.ones((3, 784)), params)
    assert acts["a3"].shape == (3, 1) and ((acts["a3"] > 0) & (acts["a3"] < 1)).all()


def test_seed000_sigmoid_is_finite_and_silent_at_extremes():
    with np.errstate(all="raise"):
        s = mnist_binary.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(mnist_binary.sigmoid_derivative(0.0), 0.25)


@pytest.mark.parametrize("name", ["third", "second", "first"])
def test_seed000_engine_gradient_is_m_times_the_labs(name):
    lab, eng, err = mnist_binary.compare_with_engine(X_T, Y_T, LAB_TEST_PARAMS[name])
    assert err < 1e-12
    for k in lab:
        np.testing.assert_allclose(eng[k], 2 * lab[k], rtol=1e-12, atol=1e-15)


def test_seed000_factor_is_the_batch_size_not_a_constant():
    rng = np.random.default_rng(0)
    params = mnist_binary.init_params((6, 5, 4, 1), rng)
    for m in (1, 3, 7):
        X, y = rng.normal(size=(m, 6)), rng.integers(0, 2, size=(m, 1))
        lab, eng, err = mnist_binary.compare_with_engine(X, y, params)
        assert err < 1e-12 * max(1.0, max(float(np.abs(v).max()) for v in eng.values()))
        np.testing.assert_allclose(eng["W1"], m * lab["W1"], rtol=1e-10, atol=1e-14)


def test_seed000_engine_gradient_matches_numerical_gradient():
    """The engine's (m-times-larger) gradient is the true gradient of the mean BCE, not the lab's."""
    from autograd import numerical_gradient
    rng = np.random.default_rng(1)
    params = mnist_binary.init_params((3, 4, 3, 1), rng)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=(5, 1))
    eng = mnist_binary.engine_gradients(X, y, params)

    def loss(W1):
        return mnist_binary.binary_cross_entropy(y, mnist_binary.forward(X, dict(params, W1=W1))["a3"])

    np.testing.assert_allclose(eng["W1"], numerical_gradient(loss, params["W1"].copy()), rtol=1e-5, atol=1e-8)


def test_seed000_lab_backward_step_is_a_true_step_with_lr_over_m():
    assert mnist_binary.lab_step_vs_engine_step(X_T, Y_T, LAB_TEST_PARAMS["first"], lr=0.1) < 1e-14


def test_seed000_training_learns_separable_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 20)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    model = mnist_binary.make_model(mnist_binary.init_params((20, 25, 15, 1), rng))
    losses = mnist_binary.train(model, X, y, epochs=15, batch_size=32, lr=0.1, rng=rng)
    assert len(losses) == 15 and losses[-1] < 0.5 * losses[0]
    pred, _ = mnist_binary.predict(model, X)
    assert (pred == y).mean() > 0.9


def test_seed000_train_rejects_batch_larger_than_data():
    model = mnist_binary.make_model(mnist_binary.init_params((4, 25, 15, 1), np.random.default_rng(0)))
    with pytest.raises(ValueError, match="batch_size 64 is larger than the 10"):
        mnist_binary.train(model, np.zeros((10, 4), np.float32), np.zeros(10), batch_size=64)


# --- seed 001 task 3.5: the computational graphs --------------------------------------------

def test_graph_f_xyz():
    r = computational_graphs.f_xyz()
    assert r["value"] == -12.0
    assert {k: v[1] for k, v in r["grads"].items()} == {"f": 1.0, "q": -4.0, "z": 3.0, "x": -4.0, "y": -4.0}
    assert all(h == e for h, e in r["grads"].values())


@pytest.mark.parametrize("fn", [computational_graphs.sigmoid_neuron_gates, computational_graphs.sigmoid_neuron])
def test_graph_sigmoid_neuron(fn):
    r = fn()
    assert r["value"] == pytest.approx(1 / (1 + math.exp(-1.0)))
    # the lecture's answers, to its two decimals
    answers = {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}
    for name, value in answers.items():
        hand, engine = r["grads"][name]
        assert round(engine, 2) == value
        assert hand == pytest.approx(engine, rel=1e-12)


def test_graph_at_other_points_agrees_with_numerical_gradient():
    r = computational_graphs.sigmoid_neuron_gates(w0=0.3, x0=1.7, w1=-0.8, x1=0.4, w2=0.1)
    h = 1e-6

    def y(w0=0.3, x0=1.7, w1=-0.8, x1=0.4, w2=0.1):
        return 1 / (1 + math.exp(-(w0 * x0 + w1 * x1 + w2)))

    base = dict(w0=0.3, x0=1.7, w1=-0.8, x1=0.4, w2=0.1)
    for name in base:
        up, down = dict(base), dict(base)
        up[name] += h
        down[name] -= h
        assert r["grads"][name][1] == pytest.approx((y(**up) - y(**down)) / (2 * h), rel=1e-6)


# --- the demos' docstring examples ----------------------------------------------------------------

@pytest.mark.parametrize("module", [common, computational_graphs, layers_lab])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
