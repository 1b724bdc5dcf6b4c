"""Seed 000: a 784-25-15-1 MLP that tells handwritten 0s from 1s, by hand and with labgrad.

Part 1 is the lab's own numpy code: ``sigmoid``, ``relu``, He initialisation
with zero biases, ``forward``, ``binary_cross_entropy``, ``BCE_loss_derivative``,
``sigmoid_derivative``, ``backward_third_layer``, ``backward_second_layer``,
``backward_first_layer`` and ``backward``, each checked against the lab's test
cases and expected numbers (:func:`lab_tests`).

Part 2 recomputes those gradients with labgrad and shows that the engine's are
exactly ``m`` (the batch size) times the lab's. That is not an engine error: the
lab's ``BCE_loss_derivative`` already divides by ``m`` (the loss is a mean), and
its ``dW = 1/m a^T dz`` and ``db = mean(dz)`` divide by ``m`` a second time, so
the lab's expected gradients are the true gradient of the mean BCE divided once
more by ``m``. A lab ``backward`` step with learning rate ``lr`` is therefore a
true gradient step with learning rate ``lr / m``.

Part 3 trains the same network (He init, zero biases) with labgrad the lab's
way: mini-batch gradient descent on the mean BCE, 30 epochs, batches of 64,
learning rate 0.1, ``floor(N / 64)`` batches per epoch, reshuffled every epoch.
It prints the loss of every epoch and the test accuracy, and draws the loss
curve and 5 random train and test images with their labels and predictions.

With full MNIST the 0/1 subset is 12,665 training and 2,115 test images. Run
``python -m demos.mnist_binary --help`` for the data options.
"""
import time
from typing import Dict, Tuple

import numpy as np

import nn
from autograd import Tensor, no_grad
from demos import common

__all__ = [
    "sigmoid", "relu", "init_params", "forward", "binary_cross_entropy", "BCE_loss_derivative",
    "sigmoid_derivative", "relu_derivative", "backward_third_layer", "forward_backward_third_layer",
    "backward_second_layer", "forward_backward_second_layer", "backward_first_layer",
    "forward_backward_first_layer", "lab_gradients", "backward", "fit", "lab_tests", "LAB_TEST_X", "LAB_TEST_Y",
    "LAB_TEST_PARAMS", "engine_gradients", "compare_with_engine", "lab_step_vs_engine_step", "make_model", "train", "predict", "main",
]


# --- Part 1: the lab's functions ------------------------------------------------------------

def sigmoid(x):
    """``1 / (1 + e^-x)``, computed as ``(1 + tanh(x/2)) / 2`` so that large ``|x|`` cannot overflow."""
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def relu(x):
    """``max(x, 0)`` elementwise."""
    return np.maximum(x, 0)


def init_params(sizes=(784, 25, 15, 1), rng=None):
    """He initialisation ``W ~ N(0, 1) * sqrt(2 / n_in)`` of shape (n_in, n_out), biases ``0`` of shape (1, n_out)."""
    rng = np.random.default_rng() if rng is None else rng
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{i}"] = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
        params[f"b{i}"] = np.zeros((1, n_out))
    return params


def forward(X, params):
    """``z1 = X W1 + b1, a1 = relu(z1), z2 = a1 W2 + b2, a2 = relu(z2), z3 = a2 W3 + b3, a3 = sigmoid(z3)``."""
    z1 = X @ params["W1"] + params["b1"]
    a1 = relu(z1)
    z2 = a1 @ params["W2"] + params["b2"]
    a2 = relu(z2)
    z3 = a2 @ params["W3"] + params["b3"]
    a3 = sigmoid(z3)
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "z3": z3, "a3": a3}


def binary_cross_entropy(y_true, y_pred, eps=1e-12):
    """Mean of ``-(y log p + (1 - y) log(1 - p))``; ``p`` is kept ``eps`` away from 0 and 1 so log stays finite."""
    p = np.clip(y_pred, eps, 1 - eps)
    return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))


def BCE_loss_derivative(y_true, y_pred):
    """``d BCE / d p_i = (-y_i / p_i + (1 - y_i) / (1 - p_i)) / m``: the ``1/m`` of the mean is already here."""
    m = y_pred.shape[0]
    return (-y_true / y_pred + (1 - y_true) / (1 - y_pred)) / m


def sigmoid_derivative(x):
    """``sigma'(x) = sigma(x) (1 - sigma(x))``."""
    s = sigmoid(x)
    return s * (1 - s)


def relu_derivative(x):
    """1 where ``x > 0``, else 0."""
    return (np.asarray(x) > 0).astype(float)


def backward_third_layer(y: np.ndarray, activations: Dict[str, np.ndarray]
                         ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``dz3 = BCE'(a3) * sigma'(z3)``, ``dW3 = 1/m a2^T dz3``, ``db3 = mean of dz3 over the batch``."""
    m = y.shape[0]
    dz3 = BCE_loss_derivative(y, activations["a3"]) * sigmoid_derivative(activations["z3"])
    dW3 = activations["a2"].T @ dz3 / m
    db3 = dz3.mean(axis=0, keepdims=True)
    return dz3, dW3, db3


def forward_backward_third_layer(X, y, params):
    return backward_third_layer(y, forward(X, params))


def backward_second_layer(y: np.ndarray, params: Dict[str, np.ndarray], activations: Dict[str, np.ndarray]
                          ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``dz2 = (dz3 W3^T) * relu'(z2)``, ``dW2 = 1/m a1^T dz2``, ``db2 = mean of dz2``."""
    m = y.shape[0]
    dz3, _, _ = backward_third_layer(y, activations)
    dz2 = (dz3 @ params["W3"].T) * relu_derivative(activations["z2"])
    dW2 = activations["a1"].T @ dz2 / m
    db2 = dz2.mean(axis=0, keepdims=True)
    return dz2, dW2, db2


def forward_backward_second_layer(X, y, params):
    return backward_second_layer(y, params, forward(X, params))


def backward_first_layer(X: np.ndarray, y: np.ndarray, params: Dict[str, np.ndarray],
                         activations: Dict[str, np.ndarray]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``dz1 = (dz2 W2^T) * relu'(z1)``, ``dW1 = 1/m X^T dz1``, ``db1 = mean of dz1``."""
    m = y.shape[0]
    dz2, _, _ = backward_second_layer(y, params, activations)
    dz1 = (dz2 @ params["W2"].T) * relu_derivative(activations["z1"])
    dW1 = X.T @ dz1 / m
    db1 = dz1.mean(axis=0, keepdims=True)
    return dz1, dW1, db1


def forward_backward_first_layer(X, y, params):
    return backward_first_layer(X, y, params, forward(X, params))


def lab_gradients(X, y, params, activations):
    """All six gradients with the lab's formulas (each layer's backward calls the one above it, as the lab does)."""
    _, dW3, db3 = backward_third_layer(y, activations)
    _, dW2, db2 = backward_second_layer(y, params, activations)
    _, dW1, db1 = backward_first_layer(X, y, params, activations)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}


def backward(X, y, params, activations, learning_rate=0.001):
    """Ex8: one gradient-descent step ``theta <- theta - lr * grad`` with the lab's gradients; returns new params."""
    grads = lab_gradients(X, y, params, activations)
    return {k: v - learning_rate * grads[k] for k, v in params.items()}


# --- the lab's test cases ------------------------------------------------------------------

LAB_TEST_X = np.array([[1.5, -0.3], [0.7, 2.2]])
LAB_TEST_Y = np.array([[1], [0]])
_W3, _B3 = np.array([[5.0], [-3.0]]), np.array([[0.5]])

#: The lab's Ex5-Ex7 test batch (m = 2 examples) and its three parameter sets (each test changes a few entries).
LAB_TEST_PARAMS = {
    "third": {"W1": np.array([[0.1, -0.05, 0.02], [0.03, 0.07, -0.02]]), "b1": np.array([[0.01, 0.02, -0.03]]),
              "W2": np.array([[0.1, -0.1], [0.05, 0.02], [-0.03, 0.06]]), "b2": np.array([[0.03, -0.02]]),
              "W3": _W3, "b3": _B3},
    "second": {"W1": np.array([[0.1, -0.05, 0.02], [0.03, 0.07, -0.02]]), "b1": np.array([[0.01, 0.02, -0.03]]),
               "W2": np.array([[0.1, 0.1], [4.0, 2.0], [-0.03, 0.06]]), "b2": np.array([[0.03, -0.02]]),
               "W3": _W3, "b3": _B3},
    "first": {"W1": np.array([[0.1, -0.05, 0.2], [0.3, 0.7, -0.02]]), "b1": np.array([[0.1, 0.2, -0.3]]),
              "W2": np.array([[0.1, 0.1], [4.0, 2.0], [-0.03, 0.06]]), "b2": np.array([[0.03, -0.02]]),
              "W3": _W3, "b3": _B3},
}


def lab_tests():
    """Run the lab's test cells (Ex3, Ex5, Ex6, Ex7) with its expected numbers and its tolerance.

    Returns
    -------
    list of dict
        ``name``, ``computed``, ``expected`` and ``ok`` (``np.allclose(..., atol=1e-4)`` as in the lab).
    """
    rows = []

    def check(name, computed, expected):
        rows.append(dict(name=name, computed=computed, expected=expected,
                         ok=bool(np.allclose(computed, expected, atol=1e-4))))

    check("BCE_loss_derivative case 1", BCE_loss_derivative(np.array([1, 0, 1]), np.array([0.8, 0.1, 0.5])),
          np.array([-0.41666667, 0.37037037, -0.66666667]))
    check("BCE_loss_derivative case 2",
          BCE_loss_derivative(np.array([[0], [1], [0]]), np.array([[0.4], [0.8], [0.2]])),
          np.array([[0.55555556], [-0.41666667], [0.41666667]]))
    _, dW, db = forward_backward_third_layer(LAB_TEST_X, LAB_TEST_Y, LAB_TEST_PARAMS["third"])
    check("Ex5 dW3", dW, np.array([[0.00510939], [0.]]))
    check("Ex5 db3", db, np.array([[0.08862105]]))
    _, dW, db = forward_backward_second_layer(LAB_TEST_X, LAB_TEST_Y, LAB_TEST_PARAMS["second"])
    check("Ex6 dW2", dW, np.array([[0.10924257, -0.10250817], [0.16265566, -0.09759339], [-0.00244786, 0]]))
    check("Ex6 db2", db, np.array([[0.76220853, -0.70211075]]))
    _, dW, db = forward_backward_first_layer(LAB_TEST_X, LAB_TEST_Y, LAB_TEST_PARAMS["first"])
    check("Ex7 dW1", dW, np.array([[-2.60110482e-02, 2.45, 1.83033145e-02],
                                   [1.22202210e-01, 7.7, -3.66066289e-03]]))
    check("Ex7 db1", db, np.array([[0.00932597, 3.5, 0.01220221]]))
    return rows


# --- Part 2: the same gradients from the engine ---------------------------------------------

def make_model(params, dtype=np.float32):
    """labgrad's ``Linear-ReLU-Linear-ReLU-Linear-Sigmoid`` holding a copy of the lab's ``params``."""
    sizes = [params["W1"].shape[0]] + [params[f"W{i}"].shape[1] for i in (1, 2, 3)]
    model = nn.Sequential(nn.Linear(sizes[0], sizes[1], dtype=dtype), nn.ReLU(),
                          nn.Linear(sizes[1], sizes[2], dtype=dtype), nn.ReLU(),
                          nn.Linear(sizes[2], sizes[3], dtype=dtype), nn.Sigmoid())
    for i, lin in zip((1, 2, 3), _linears(model)):
        lin.weight.data = params[f"W{i}"].astype(dtype, copy=True)
        lin.bias.data = params[f"b{i}"].reshape(-1).astype(dtype, copy=True)
    return model


def _linears(model):
    return model[0], model[2], model[4]


def engine_gradients(X, y, params):
    """True gradients of the mean BCE from labgrad's backward, keyed like ``params`` (float64)."""
    model = make_model(params, dtype=np.float64)
    loss = nn.functional.binary_cross_entropy(model(Tensor(np.asarray(X, dtype=np.float64))),
                                              Tensor(np.asarray(y, dtype=np.float64)))
    loss.backward()
    grads = {}
    for i, lin in zip((1, 2, 3), _linears(model)):
        grads[f"W{i}"] = lin.weight.grad
        grads[f"b{i}"] = lin.bias.grad.reshape(1, -1)
    return grads


def compare_with_engine(X, y, params):
    """The lab's gradients, labgrad's, and the largest ``|engine - m * lab|`` over all six."""
    m = y.shape[0]
    lab = lab_gradients(X, y, params, forward(X, params))
    eng = engine_gradients(X, y, params)
    return lab, eng, max(float(np.abs(eng[k] - m * lab[k]).max()) for k in lab)


def lab_step_vs_engine_step(X, y, params, lr=0.1):
    """Largest difference between the lab's ``backward`` step with ``lr`` and labgrad's SGD step with ``lr / m``."""
    m = y.shape[0]
    lab = backward(X, y, params, forward(X, params), learning_rate=lr)
    model = make_model(params, dtype=np.float64)
    opt = nn.optim.SGD(model.parameters(), lr=lr / m)
    nn.functional.binary_cross_entropy(model(Tensor(X.astype(np.float64))), Tensor(y.astype(np.float64))).backward()
    opt.step()
    return max(max(float(np.abs(lin.weight.data - lab[f"W{i}"]).max()),
                   float(np.abs(lin.bias.data - lab[f"b{i}"].reshape(-1)).max()))
               for i, lin in zip((1, 2, 3), _linears(model)))


def _row(a):
    return np.array2string(np.asarray(a).ravel(), separator=", ", max_line_width=10_000,
                           formatter={"float_kind": lambda v: f"{v:.8g}"})


# --- Part 3: training with labgrad -----------------------------------------------------------

def train(model, X, y, epochs=30, batch_size=64, lr=0.1, rng=None, progress=None):
    """Ex9 with labgrad: mini-batch GD on the mean BCE, ``floor(N / batch_size)`` shuffled batches per epoch.

    The lab's loop is ``nn.fit``'s (forward, loss, ``zero_grad``, ``backward``, ``step``),
    with ``drop_last=True`` for the lab's ``floor(N / batch_size)`` batches; the epochs
    are shuffled with ``rng``. ``progress`` is ``nn.fit``'s (None: a bar on a terminal).
    Returns the mean batch loss of every epoch.
    """
    rng = np.random.default_rng() if rng is None else rng
    if len(X) // batch_size == 0:
        raise ValueError(f"train: batch_size {batch_size} is larger than the {len(X)} training examples; "
                         "pass a smaller batch_size")
    history = nn.fit(model, nn.functional.binary_cross_entropy, nn.optim.SGD(model.parameters(), lr=lr),
                     (X, y.reshape(-1, 1).astype(X.dtype)), epochs=epochs, batch_size=batch_size, seed=rng,
                     drop_last=True, progress=progress, metrics=())
    return history["train_loss"]


def predict(model, X):
    """Class 1 where ``p(y = 1 | x) >= 0.5`` (Ex10), with the probabilities."""
    with no_grad():
        p = model(Tensor(X)).data.reshape(-1)
    return (p >= 0.5).astype(int), p


def fit(data, *, epochs=30, batch_size=64, lr=0.1, seed=0, quick=False, progress=False):
    """Part 3: the lab's network trained on the classes 0 and 1 of ``data``, printing how it went; no files.

    ``quick`` keeps 256 training and 128 test images. Returns a dict: ``model``, ``losses`` (one per
    epoch), ``train`` and ``test`` (the ``(X, y)`` used), ``pred`` (test predictions), ``acc``, ``seconds``
    and ``rng`` (the generator after training, for picking examples to show).
    """
    keep_tr, keep_te = np.isin(data.y_train, (0, 1)), np.isin(data.y_test, (0, 1))
    X_train, y_train = data.X_train[keep_tr], data.y_train[keep_tr]
    X_test, y_test = data.X_test[keep_te], data.y_test[keep_te]
    if quick:
        X_train, y_train, X_test, y_test = X_train[:256], y_train[:256], X_test[:128], y_test[:128]
    n_in = X_train.shape[1]
    rng = np.random.default_rng(seed)
    params = init_params((n_in, 25, 15, 1), rng)
    acts = forward(X_train[:1].astype(np.float64), params)
    what = "digits 0 and 1" if data.classes[1] == "1" else f"classes 0 and 1 ({data.classes[0]}, {data.classes[1]})"
    print(f"Part 3 - training on {data.name}, {what}: {len(X_train)} train / {len(X_test)} test images")
    print(f"  Ex1 shapes for one example: X {X_train[:1].shape}, "
          + ", ".join(f"W{i} {params[f'W{i}'].shape} b{i} {params[f'b{i}'].shape} a{i} {acts[f'a{i}'].shape}"
                      for i in (1, 2, 3)))
    model = make_model(params)
    print(f"  {n_in}-25-15-1, ReLU/ReLU/sigmoid, He init, zero biases; mini-batch GD, {epochs} epochs, "
          f"batch {batch_size}, lr {lr}")
    t0 = time.perf_counter()
    losses = train(model, X_train, y_train, epochs=epochs, batch_size=batch_size, lr=lr, rng=rng, progress=progress)
    seconds = time.perf_counter() - t0
    for e, loss in enumerate(losses, start=1):
        print(f"  epoch {e:3d}  loss {loss:.6f}")
    pred, _ = predict(model, X_test)
    acc = float((pred == y_test).mean())
    print(f"  training: {seconds:.2f} s ({seconds / max(len(losses), 1):.3f} s/epoch)")
    print(f"  test accuracy: {acc:.4f} ({int((pred == y_test).sum())}/{len(y_test)})")
    return {"model": model, "losses": losses, "train": (X_train, y_train), "test": (X_test, y_test),
            "pred": pred, "acc": acc, "seconds": seconds, "rng": rng}


def main(argv=None):
    parser = common.make_parser("mnist_binary", __doc__.split("\n\n")[0],
                                epochs=30, batch_size=64, lr=0.1, default_data="mnist", quick_epochs=2)
    args = parser.parse_args(argv)
    return common.run_demo(args, _run, "matplotlib")


def _run(args, out):

    print("Part 1 - the lab's functions against the lab's test cases (np.allclose, atol=1e-4):")
    rows = lab_tests()
    for r in rows:
        print(f"  {r['name']:<28} {'PASS' if r['ok'] else 'FAIL'}   computed {_row(r['computed'])}")
    n_pass = sum(r["ok"] for r in rows)
    print(f"  {n_pass}/{len(rows)} pass\n")

    print("Part 2 - the same gradients from labgrad (the true gradient of the mean BCE):")
    m = LAB_TEST_Y.shape[0]
    for key, ex in {"third": "Ex5", "second": "Ex6", "first": "Ex7"}.items():
        lab, eng, err = compare_with_engine(LAB_TEST_X, LAB_TEST_Y, LAB_TEST_PARAMS[key])
        print(f"  {ex} parameters (m = {m}): engine = {m} x lab for all six gradients, "
              f"max |engine - {m} lab| = {err:.1e}")
    print(f"    e.g. Ex7 dW1  lab    {_row(lab['W1'])}\n"
          f"                  engine {_row(eng['W1'])}")
    step_err = lab_step_vs_engine_step(LAB_TEST_X, LAB_TEST_Y, LAB_TEST_PARAMS["first"], lr=0.1)
    print(f"  lab backward(lr=0.1) vs labgrad SGD(lr=0.1/m) step: max parameter difference {step_err:.1e}")
    print("  Why: the lab's BCE_loss_derivative already divides by m (the loss is a mean), and its\n"
          "  dW = 1/m a^T dz and db = mean(dz) divide by m a second time. So the lab's gradients are the\n"
          "  true gradient / m, and a lab step with learning rate lr is a true step with lr / m.\n")

    data = common.load_data(args)
    if data is None:
        return 2
    fitted = fit(data, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                 quick=args.quick, progress=common.fit_progress(args))
    model, rng, pred, acc = fitted["model"], fitted["rng"], fitted["pred"], fitted["acc"]
    (X_train, y_train), (X_test, y_test) = fitted["train"], fitted["test"]
    common.learned(acc, y_test, 2)

    common.save_history({"train_loss": fitted["losses"]}, out / "loss.png")
    i_tr = rng.choice(len(X_train), size=min(5, len(X_train)), replace=False)
    i_te = rng.choice(len(X_test), size=min(5, len(X_test)), replace=False)
    shown = dict(image_shape=data.image_shape, class_names=data.classes, ncols=5)
    common.save_images(X_train[i_tr], y_train[i_tr], predict(model, X_train[i_tr])[0], out / "train_images.png",
                       title="TRAIN set: label → prediction", **shown)
    common.save_images(X_test[i_te], y_test[i_te], pred[i_te], out / "test_images.png",
                       title="TEST set: label → prediction", **shown)
    common.finish(args)
    return 0 if n_pass == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
