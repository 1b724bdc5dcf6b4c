"""Seed 001: ``LinearLayer``, ``ReLULayer`` and ``BinaryCrossEntropyLoss`` by hand, checked by the engine.

The lab's classes are written the lab's way (numpy, a ``forward`` that caches its
input, a ``backward`` that returns the input gradient), and :func:`lab_checks`
runs every assert of the lab exactly as written. The numbers in those asserts
come from one particular initialisation, ``W = np.random.randn(in, out)`` and
``b = 0``, drawn when the layer is made under ``np.random.seed(17)``: the task-1
cell draws ``X`` *before* the layer, the task-4 cell *after* it, and both only
reproduce with that order and that init (``randn(out, in).T``, a random bias, a
uniform or scaled init all give other numbers).

Each cell is then repeated with labgrad (``nn.Linear(init="randn")`` built from the
same seed, ``Tensor.relu``, ``nn.functional.binary_cross_entropy`` and
``.backward()``) to show that the engine gets the same numbers on its own.
Finally a small network built from the lab's layers (Linear-ReLU-Linear-Sigmoid +
BCE, hand-written backward) and the same network in labgrad are trained side by
side from the same initial weights on even-vs-odd digits: their losses agree to
rounding error at every epoch.

Run ``python -m demos.layers_lab --help``.

>>> np.random.seed(17)
>>> X = np.random.random(size=(10000, 5))
>>> LinearLayer(5, 3).forward(X)[0].round(4)
array([-0.7548,  0.396 , -0.1143])
"""
import time

import numpy as np

import nn
from autograd import Tensor
from demos import common
from nn.training import predict

__all__ = [
    "LinearLayer", "ReLULayer", "SigmoidLayer", "BinaryCrossEntropyLoss", "LinearLayerWithBackprop",
    "ReLULayerWithBackprop", "BinaryCrossEntropyLossWithBackprop", "lab_checks", "train_side_by_side",
    "plot_side_by_side", "main",
]


# --- the lab's classes ------------------------------------------------------------------

class LinearLayer:
    """Task 1: ``X @ W + b`` with ``W`` of shape (in, out) drawn from N(0, 1) and ``b = 0``."""

    def __init__(self, in_size, out_size):
        self.W = np.random.randn(in_size, out_size)   # the init the lab's answers were made with
        self.b = np.zeros(out_size)

    def forward(self, X):
        self.X = X                                    # kept for backward
        return X @ self.W + self.b


class ReLULayer:
    """Task 2: ``max(X, 0)`` elementwise."""

    def forward(self, X):
        self.mask = X > 0
        return np.maximum(X, 0)


class BinaryCrossEntropyLoss:
    """Task 3: mean of ``-(y log p + (1 - y) log(1 - p))``."""

    def forward(self, y_true, y_pred):
        return float(-np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)))


class LinearLayerWithBackprop(LinearLayer):
    """Task 4: ``dX = dout W^T``, ``dW = X^T dout``, ``db = sum of dout over the batch``."""

    def backward(self, dout):
        dX = dout @ self.W.T
        dW = self.X.T @ dout
        db = dout.sum(axis=0)
        return dX, (dW, db)                           # the lab reads the weight gradient as dW[0]


class ReLULayerWithBackprop(ReLULayer):
    """Task 5: the gradient passes where the input was positive."""

    def backward(self, dout):
        return dout * self.mask, None                 # no parameters, so no parameter gradient


class BinaryCrossEntropyLossWithBackprop(BinaryCrossEntropyLoss):
    """Task 6: ``d loss / d p = (p - y) / (p (1 - p)) / N`` (the 1/N of the mean)."""

    def backward(self, y_true, y_pred):
        return (y_pred - y_true) / (y_pred * (1 - y_pred)) / y_true.shape[0]


class SigmoidLayer:
    """Not in the lab (it stops at the loss): the output layer that turns scores into ``p``."""

    def forward(self, X):
        self.out = 0.5 * (1 + np.tanh(0.5 * X))       # = 1 / (1 + e^-X), without overflow warnings
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out), None


# --- the lab's asserts, and the engine's version of each ----------------------------------

def lab_checks():
    """Run every assert cell of seed 001 as written; return one row per checked quantity.

    Returns
    -------
    list of dict
        Keys ``task``, ``what``, ``lab`` (the hand-written layer's value), ``expected``
        (the lab's number), ``engine`` (labgrad's value) and ``ok`` (the lab's own
        comparison passed and the engine agrees to 1e-9).
    """
    rows = []

    def row(task, what, lab, expected, engine, ok):
        agree = bool(np.allclose(lab, engine, rtol=1e-9, atol=1e-9))
        rows.append(dict(task=task, what=what, lab=lab, expected=expected, engine=engine,
                         ok=bool(ok) and agree))

    # Task 1: LinearLayer forward (X drawn before the layer). The engine's layer is built the
    # same way from the same seed: nn.Linear(init="randn") draws np.random.randn(in, out).
    np.random.seed(17)
    X = np.random.random(size=(10000, 5))
    linear = LinearLayer(5, 3)
    output = linear.forward(X)
    correct_answer = np.array([[-0.75476927, 0.39598163, -0.11428765],
                               [1.28828674, -0.90586033, 0.67063637],
                               [2.51515422, -0.95305043, 1.4073423]])
    np.random.seed(17)
    X_engine = np.random.random(size=(10000, 5))
    engine_linear = nn.Linear(5, 3, init="randn", dtype=np.float64)
    engine_out = engine_linear(Tensor(X_engine)).data
    row(1, "LinearLayer(5, 3).forward(X)[:3]", output[:3], correct_answer, engine_out[:3],
        np.isclose(output[:3], correct_answer).all())

    # Task 2: ReLU of that output.
    output_relu = ReLULayer().forward(output)
    correct_answer = np.array([[0, 0.39598163, 0],
                               [1.28828674, 0, 0.67063637],
                               [2.51515422, 0, 1.4073423]])
    row(2, "ReLULayer().forward(...)[:3]", output_relu[:3], correct_answer,
        Tensor(engine_out).relu().data[:3], np.isclose(output_relu[:3], correct_answer).all())

    # Task 3: BCE forward, two cases.
    np.random.seed(17)
    bceloss = BinaryCrossEntropyLoss()
    y_true, y_pred = np.array([1, 1, 0, 0]), np.array([0.5] * 4)
    lab = bceloss.forward(y_true, y_pred)
    eng = nn.functional.binary_cross_entropy(Tensor(y_pred), Tensor(y_true.astype(float))).item()
    row(3, "BCE([1,1,0,0], [0.5]*4)", lab, 0.693, eng, round(lab, 3) == 0.693)
    y_true = np.random.randint(0, 2, size=(100))
    y_pred = np.random.random(100)
    lab = bceloss.forward(y_true, y_pred)
    eng = nn.functional.binary_cross_entropy(Tensor(y_pred), Tensor(y_true.astype(float))).item()
    row(3, "BCE(random 100)", lab, 0.997, eng, round(lab, 3) == 0.997)

    # Task 4: LinearLayer backward (layer made first, then X and dout); the engine repeats the
    # cell with nn.Linear and seeds its backward with the same dout.
    np.random.seed(17)
    linear_backprop = LinearLayerWithBackprop(5, 3)
    X = np.random.randn(10000, 5)
    linear_backprop.forward(X)
    dout = np.random.randn(10000, 3)
    dX, dW = linear_backprop.backward(dout)
    np.random.seed(17)
    engine_linear = nn.Linear(5, 3, init="randn", dtype=np.float64)
    Xt = Tensor(np.random.randn(10000, 5), requires_grad=True)
    engine_linear(Xt).backward(np.random.randn(10000, 3))
    ok_shapes = dX.shape == X.shape and dW[0].shape == linear_backprop.W.shape
    row(4, "dX.sum()", dX.sum(), 647.044, Xt.grad.sum(), ok_shapes and round(dX.sum(), 3) == 647.044)
    row(4, "dW[0].sum()", dW[0].sum(), 397.748, engine_linear.weight.grad.sum(),
        ok_shapes and round(dW[0].sum(), 3) == 397.748)
    row(4, "dW[1] (db; not asserted)", dW[1], None, engine_linear.bias.grad, True)

    # Task 5: ReLU backward.
    np.random.seed(17)
    relu_backprop = ReLULayerWithBackprop()
    X = np.random.randn(10000, 5)
    relu_backprop.forward(X)
    dout = np.random.randn(10000, 5)
    dX, _ = relu_backprop.backward(dout)
    Xt = Tensor(X, requires_grad=True)
    Xt.relu().backward(dout)
    row(5, "dX.sum()", dX.sum(), 170.764, Xt.grad.sum(), dX.shape == X.shape and round(dX.sum(), 3) == 170.764)

    # Task 6: BCE backward.
    y_true = np.array([1, 1, 1, 0, 0])
    y_pred = np.array([0.99, 0.9, 0.8, 0.5, 0.2])
    right_answer = np.array([-0.2020202, -0.22222222, -0.25, 0.4, 0.25])
    lab = BinaryCrossEntropyLossWithBackprop().backward(y_true, y_pred)
    pt = Tensor(y_pred, requires_grad=True)
    nn.functional.binary_cross_entropy(pt, Tensor(y_true.astype(float))).backward()
    row(6, "d BCE / d y_pred", lab, right_answer, pt.grad, np.isclose(lab, right_answer).all())
    return rows


def _fmt(value):
    if value is None:
        return "-"
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return f"{float(a):.6f}"
    return np.array2string(a.round(6), separator=", ", max_line_width=200).replace("\n", "")


def print_checks(rows):
    """Print the lab's value, the lab's expected number and labgrad's value for each check."""
    print("Seed 001 asserts (lab = hand-written layer, expected = the lab's number, engine = labgrad):")
    for r in rows:
        print(f"  task {r['task']}  {r['what']:<34} {'PASS' if r['ok'] else 'FAIL'}")
        print(f"      lab      {_fmt(r['lab'])}")
        expected = r["expected"]
        print(f"      expected {expected if isinstance(expected, float) else _fmt(expected)}")
        print(f"      engine   {_fmt(r['engine'])}")


# --- training with the lab's layers, and the same with labgrad ------------------------------

def train_side_by_side(X, y, hidden=16, epochs=10, batch_size=64, lr=0.1, seed=0, progress=None):
    """Train Linear-ReLU-Linear-Sigmoid + BCE twice from the same weights: by hand and with labgrad.

    Both use plain mini-batch gradient descent on the mean BCE of each batch, the
    same shuffles and the same learning rate, so their losses must agree to
    rounding error.

    Returns
    -------
    dict
        ``lab`` and ``engine``: mean training loss per epoch (lists); ``max_diff``:
        the largest difference between the final weights of the two; ``model``:
        the trained labgrad network. The hand-made layers draw their initial
        weights from numpy's global generator after ``np.random.seed(seed)``, as the lab does.
    """
    np.random.seed(seed)
    layers = [LinearLayerWithBackprop(X.shape[1], hidden), ReLULayerWithBackprop(),
              LinearLayerWithBackprop(hidden, 1), SigmoidLayer()]
    for layer in (layers[0], layers[2]):
        layer.W *= np.sqrt(2.0 / layer.W.shape[0])    # He init: N(0, 1) is too wide for 64+ inputs
    loss_fn = BinaryCrossEntropyLossWithBackprop()

    model = nn.Sequential(nn.Linear(X.shape[1], hidden, dtype=np.float64), nn.ReLU(),
                          nn.Linear(hidden, 1, dtype=np.float64), nn.Sigmoid())
    for lin, layer in ((model[0], layers[0]), (model[2], layers[2])):
        lin.weight.data[...] = layer.W
        lin.bias.data[...] = layer.b
    opt = nn.optim.SGD(model.parameters(), lr=lr)

    rng = np.random.default_rng(seed)
    y = y.reshape(-1, 1).astype(np.float64)
    history = {"lab": [], "engine": []}
    epochs_iter = range(epochs) if progress is None else progress(range(epochs))
    for _ in epochs_iter:
        order = rng.permutation(len(X))
        sums = {"lab": 0.0, "engine": 0.0}
        batches = range(0, len(X), batch_size)
        for start in batches:
            xb, yb = X[order[start:start + batch_size]], y[order[start:start + batch_size]]
            # by hand: forward through the layers, backward in reverse, step
            out = xb
            for layer in layers:
                out = layer.forward(out)
            sums["lab"] += loss_fn.forward(yb, out)
            grad = loss_fn.backward(yb, out)
            for layer in reversed(layers):
                grad, param_grads = layer.backward(grad)
                if param_grads is not None:
                    layer.W -= lr * param_grads[0]
                    layer.b -= lr * param_grads[1]
            # labgrad
            loss = nn.functional.binary_cross_entropy(model(Tensor(xb)), Tensor(yb))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums["engine"] += loss.item()
        for k in sums:
            history[k].append(sums[k] / len(batches))
    history["max_diff"] = max(float(np.abs(lin.weight.data - layer.W).max())
                              for lin, layer in ((model[0], layers[0]), (model[2], layers[2])))
    history["model"] = model
    return history


def plot_side_by_side(history, path=None):
    """Both loss curves of :func:`train_side_by_side` in one panel, each visible although they coincide.

    The lab's layers are a thick pale line, labgrad a dashed line with markers on
    top; the title gives the largest difference between them. Returns the
    matplotlib Figure (saved to ``path`` and closed, if given).
    """
    import nn.plot
    plt = nn.plot.pyplot()
    lab, engine = history["lab"], history["engine"]
    fig = nn.plot.plot_history({"train_loss": lab})         # the panel and its style; relabelled below
    ax = fig.axes[0]
    ax.lines[0].set(label="lab's layers (numpy, hand-written backward)", linewidth=6, alpha=0.35, marker="",
                    color="C0")
    ax.plot(np.arange(1, len(engine) + 1), engine, "--o", color="C3", linewidth=1.5, markersize=4,
            label="labgrad (autograd)")
    diff = max(abs(a - b) for a, b in zip(lab, engine))
    ax.set_title(f"mean training loss per epoch (largest difference {diff:.1e}: the lines coincide)", fontsize=10)
    ax.set_ylabel("binary cross-entropy")
    ax.legend()
    if path is not None:
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
    return fig


def main(argv=None):
    parser = common.make_parser(
        "layers_lab", __doc__.split("\n\n")[0],
        epochs=10, batch_size=64, lr=0.1, default_data="digits", quick_epochs=2)
    args = parser.parse_args(argv)
    return common.run_demo(args, _run, "matplotlib")


def _run(args, out):
    rows = lab_checks()
    print_checks(rows)
    passed = sum(r["ok"] for r in rows)
    print(f"{passed}/{len(rows)} checks pass; the lab's init is W = np.random.randn(in, out), b = 0.\n")

    data = common.load_data(args)
    if data is None:
        return 2
    Xtr, ytr = data.X_train, (data.y_train % 2 == 0)
    Xte, yte = data.X_test, (data.y_test % 2 == 0)
    if args.quick:
        Xtr, ytr, Xte, yte = Xtr[:512], ytr[:512], Xte[:256], yte[:256]
    print(f"Training Linear({Xtr.shape[1]}, 16)-ReLU-Linear(16, 1)-Sigmoid on {data.name}: even vs odd digit, "
          f"{len(Xtr)} images, {args.epochs} epochs, batch {args.batch_size}, lr {args.lr}")
    t0 = time.perf_counter()
    hist = train_side_by_side(Xtr.astype(np.float64), ytr, epochs=args.epochs, batch_size=args.batch_size,
                              lr=args.lr, seed=args.seed, progress=common.progress_bar(args, "epochs"))
    seconds = time.perf_counter() - t0
    print("  epoch   lab-layers loss   labgrad loss      difference")
    for e, (a, b) in enumerate(zip(hist["lab"], hist["engine"]), start=1):
        print(f"  {e:5d}   {a:.12f}    {b:.12f}    {abs(a - b):.1e}")
    print(f"  largest difference between the final weights: {hist['max_diff']:.1e}")
    print(f"  training both: {seconds:.2f} s")
    p = predict(hist["model"], Xte.astype(np.float64)).reshape(-1)
    acc = float(((p >= 0.5) == yte).mean())
    print(f"test accuracy (even vs odd, labgrad model): {acc:.4f} on {len(yte)} images")
    common.learned(acc, yte, 2)
    plot_side_by_side(hist, out / "loss.png")
    common.wrote(out / "loss.png")
    common.finish(args)
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
