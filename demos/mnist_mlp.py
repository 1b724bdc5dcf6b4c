"""Seed 002: a numpy MLP built from ``Layer``/``Dense``/``ReLU`` classes, trained on MNIST.

The lab's own design, completed: every layer has ``forward(input)`` and
``backward(input, grad_output)``, and a ``Dense`` layer takes its SGD step
inside ``backward``. The gradient checks the lab asks for run first, with
:func:`autograd.numerical_gradient` (the lab's ``eval_numerical_gradient``).
Then a 784-40-40-10 network is trained with softmax cross-entropy (SGD lr 0.1,
batch 32, 15 epochs; the lab asks for > 97 % validation accuracy on MNIST),
its hidden representations are taken, and a logistic regression trained
with labgrad predicts digit parity from raw pixels and from those features.

The weights start as the lab's, N(0, 0.01^2), on MNIST and Fashion-MNIST, and
as He's, N(0, 2 / fan_in), on the 8x8 digits (``--init`` chooses). The lab's
small weights shrink the signal about 15x per layer (0.01 sqrt(fan_in)), so the
first steps barely move anything: on MNIST's 1,562 batches per epoch SGD gets
off that plateau in the first epoch, but on the digits' 37 batches per epoch it
is still at chance (10 %) after 15 epochs (``--data digits --init lab`` shows it).

    python -m demos.mnist_mlp --data-dir /path/to/mnist
"""
import time

import numpy as np

from autograd import numerical_gradient

__all__ = [
    "INITS", "Layer", "ReLU", "Dense", "softmax_crossentropy_with_logits", "grad_softmax_crossentropy_with_logits",
    "build_network", "forward", "predict", "train", "iterate_minibatches", "split_data", "fit", "lab_checks", "hidden_representations",
    "what_it_learned", "logistic_regression", "parity_verdict", "knn_agreement", "tsne_figure", "main",
]


# --- the lab's layers -------------------------------------------------------------------

#: ``Dense(init=...)`` -> standard deviation of the initial weights, given the number of inputs
INITS = {"lab": lambda fan_in: 0.01, "he": lambda fan_in: np.sqrt(2.0 / fan_in)}


class Layer:
    """A building block: ``output = forward(input)``, ``grad_input = backward(input, grad_output)``.

    The base class is the identity. Layers with parameters update them in ``backward``.

    >>> Layer().backward(np.ones((2, 3)), np.full((2, 3), 0.5)).tolist()
    [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
    """

    def forward(self, input):
        """Map ``[batch, input_units]`` to ``[batch, output_units]``."""
        return input

    def backward(self, input, grad_output):
        """Return ``d loss / d input`` given ``d loss / d output`` (chain rule)."""
        return grad_output          # the identity's Jacobian is I: grad_output @ I


class ReLU(Layer):
    """Elementwise ``max(x, 0)``.

    >>> ReLU().forward(np.array([[-1.0, 0.0, 2.0]])).tolist()
    [[0.0, 0.0, 2.0]]
    """

    def forward(self, input):
        return np.maximum(input, 0)

    def backward(self, input, grad_output):
        return grad_output * (input > 0)


class Dense(Layer):
    """Affine layer ``f(x) = x @ W + b`` with ``W`` of shape ``(input_units, output_units)``.

    ``backward`` returns ``d loss / d input`` and then takes one SGD step on
    ``W`` and ``b`` with ``learning_rate`` (the lab's in-layer update).

    Parameters
    ----------
    input_units, output_units : int
    learning_rate : float
    rng : numpy.random.Generator, optional
        Source of the initial weights (default: numpy's global generator, as
        the lab's ``np.random.randn``).
    dtype : numpy dtype
        Dtype of the parameters.
    init : {"lab", "he"}
        ``"lab"``: N(0, 0.01^2), the lab's (its init check asks for a standard
        deviation below 0.1); ``"he"``: N(0, 2 / input_units), which keeps the
        signal's scale through ReLU layers.

    >>> l = Dense(3, 4)
    >>> l.weights = np.linspace(-1, 1, 12).reshape(3, 4); l.biases = np.linspace(-1, 1, 4)
    >>> l.forward(np.linspace(-1, 1, 6).reshape(2, 3)).round(4).tolist()
    [[0.0727, 0.4121, 0.7515, 1.0909], [-0.9091, 0.0848, 1.0788, 2.0727]]
    """

    def __init__(self, input_units, output_units, learning_rate=0.1, rng=None, dtype=np.float64, init="lab"):
        if init not in INITS:
            raise ValueError(f"Dense: unknown init {init!r}; use one of {sorted(INITS)}")
        self.learning_rate = learning_rate
        normal = (rng or np.random).standard_normal
        self.weights = (normal((input_units, output_units)) * INITS[init](input_units)).astype(dtype)
        self.biases = np.zeros(output_units, dtype=dtype)

    def forward(self, input):
        return input @ self.weights + self.biases

    def backward(self, input, grad_output):
        grad_input = grad_output @ self.weights.T        # d(xW)/dx = W^T, taken before the step
        grad_weights = input.T @ grad_output             # d(xW)/dW = x^T
        grad_biases = grad_output.sum(axis=0)            # b is broadcast over the batch
        self.weights = self.weights - self.learning_rate * grad_weights
        self.biases = self.biases - self.learning_rate * grad_biases
        return grad_input


# --- the lab's loss (given in the lab) ---------------------------------------------------

def softmax_crossentropy_with_logits(logits, reference_answers):
    """Per-sample cross-entropy from ``logits[batch, n_classes]`` and the ids of the right answers."""
    logits_for_answers = logits[np.arange(len(logits)), reference_answers]
    # log-sum-exp shifted by the row max: same value, no overflow for large logits
    shift = logits.max(axis=-1)
    return -logits_for_answers + shift + np.log(np.exp(logits - shift[:, None]).sum(axis=-1))


def grad_softmax_crossentropy_with_logits(logits, reference_answers):
    """Gradient of the *mean* cross-entropy with respect to the logits: ``(softmax - onehot) / batch``."""
    ones_for_answers = np.zeros_like(logits)
    ones_for_answers[np.arange(len(logits)), reference_answers] = 1
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    softmax = e / e.sum(axis=-1, keepdims=True)
    return (softmax - ones_for_answers) / logits.shape[0]


# --- the network: a Python list of layers ------------------------------------------------

def build_network(n_inputs, hidden=40, n_outputs=10, learning_rate=0.1, rng=None, dtype=np.float64, init="lab"):
    """The lab's ``Dense-ReLU-Dense-ReLU-Dense`` list (784-40-40-10 on MNIST); ``init`` as in :class:`Dense`."""
    return [Dense(n_inputs, hidden, learning_rate, rng, dtype, init), ReLU(),
            Dense(hidden, hidden, learning_rate, rng, dtype, init), ReLU(),
            Dense(hidden, n_outputs, learning_rate, rng, dtype, init)]


def forward(network, X):
    """Activations of every layer in order; the last one is the logits."""
    activations = []
    for layer in network:
        X = layer.forward(X)
        activations.append(X)
    return activations


def predict(network, X, batch_size=4096):
    """Most likely class of each sample (in chunks, so big sets need little memory)."""
    return np.concatenate([forward(network, X[i:i + batch_size])[-1].argmax(axis=-1)
                           for i in range(0, len(X), batch_size)])


def train(network, X, y):
    """One SGD step on the batch ``(X, y)``; returns the mean loss before the step."""
    activations = forward(network, X)
    layer_inputs = [X] + activations                   # layer_inputs[i] is the input of network[i]
    logits = activations[-1]
    loss = softmax_crossentropy_with_logits(logits, y)
    grad = grad_softmax_crossentropy_with_logits(logits, y)
    for i in range(len(network))[::-1]:               # each Dense steps as the gradient passes it
        grad = network[i].backward(layer_inputs[i], grad)
    return float(np.mean(loss))


def iterate_minibatches(inputs, targets, batchsize, shuffle=False, rng=None, progress=None):
    """Yield ``(x_batch, y_batch)`` of exactly ``batchsize`` samples (a last short batch is dropped, as in the lab).

    ``progress`` wraps the range of batch starts (e.g. a tqdm factory).
    """
    if len(inputs) != len(targets):
        raise ValueError(f"iterate_minibatches: {len(inputs)} inputs but {len(targets)} targets")
    indices = (rng or np.random).permutation(len(inputs)) if shuffle else None
    starts = range(0, len(inputs) - batchsize + 1, batchsize)
    for start in (progress(starts) if progress else starts):
        excerpt = indices[start:start + batchsize] if shuffle else slice(start, start + batchsize)
        yield inputs[excerpt], targets[excerpt]


# --- the lab's checks ---------------------------------------------------------------------

def lab_checks(say=print):
    """Run the lab's tests of ReLU, Dense and the loss; raise AssertionError on a failure.

    Returns a dict of the largest relative errors found, for the record.
    """
    def rel_err(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-300)))

    errors = {}
    points = np.linspace(-1, 1, 10 * 32).reshape([10, 32])
    relu = ReLU()
    grads = relu.backward(points, np.ones([10, 32]) / (32 * 10))
    numeric = numerical_gradient(lambda x: relu.forward(x).mean(), x=points.copy())
    assert np.allclose(grads, numeric, rtol=1e-3, atol=0), "ReLU gradient does not match the numerical gradient"
    errors["relu input"] = rel_err(grads, numeric)
    say("ReLU gradient check: Well done!")

    layer = Dense(128, 150)
    assert -0.05 < layer.weights.mean() < 0.05 and 1e-3 < layer.weights.std() < 1e-1, "bad initial weights"
    assert -0.05 < layer.biases.mean() < 0.05, "biases must be zero mean"
    layer = Dense(3, 4)
    x = np.linspace(-1, 1, 2 * 3).reshape([2, 3])
    layer.weights = np.linspace(-1, 1, 3 * 4).reshape([3, 4])
    layer.biases = np.linspace(-1, 1, 4)
    assert np.allclose(layer.forward(x), np.array([[0.07272727, 0.41212121, 0.75151515, 1.09090909],
                                                   [-0.90909091, 0.08484848, 1.07878788, 2.07272727]]))
    say("Dense init and forward values: Well done!")

    x = np.linspace(-1, 1, 10 * 32).reshape([10, 32])
    layer = Dense(32, 64, learning_rate=0)
    numeric = numerical_gradient(lambda x: layer.forward(x).sum(), x.copy())
    grads = layer.backward(x, np.ones([10, 64]))
    assert np.allclose(grads, numeric, rtol=1e-3, atol=0), "input gradient does not match numeric grad"
    errors["dense input"] = rel_err(grads, numeric)
    say("Dense input gradient check: Well done!")

    def out_given_wb(w, b):
        layer = Dense(32, 64, learning_rate=1)
        layer.weights, layer.biases = np.array(w), np.array(b)
        return layer.forward(np.linspace(-1, 1, 10 * 32).reshape([10, 32]))

    def grad_by_params(w, b):              # with learning_rate=1 the SGD step *is* the gradient
        layer = Dense(32, 64, learning_rate=1)
        layer.weights, layer.biases = np.array(w), np.array(b)
        layer.backward(np.linspace(-1, 1, 10 * 32).reshape([10, 32]), np.ones([10, 64]) / 10.)
        return w - layer.weights, b - layer.biases

    w, b = np.random.default_rng(0).standard_normal((32, 64)), np.linspace(-1, 1, 64)
    numeric_dw = numerical_gradient(lambda w: out_given_wb(w, b).mean(0).sum(), w.copy())
    numeric_db = numerical_gradient(lambda b: out_given_wb(w, b).mean(0).sum(), b.copy())
    grad_w, grad_b = grad_by_params(w, b)
    assert np.allclose(numeric_dw, grad_w, rtol=1e-3, atol=0), "weight gradient does not match numeric weight gradient"
    assert np.allclose(numeric_db, grad_b, rtol=1e-3, atol=0), "bias gradient does not match numeric bias gradient"
    errors["dense weights"], errors["dense biases"] = rel_err(grad_w, numeric_dw), rel_err(grad_b, numeric_db)
    say("Dense parameter gradient check: Well done!")

    logits = np.linspace(-1, 1, 500).reshape([50, 10])
    answers = np.arange(50) % 10
    grads = grad_softmax_crossentropy_with_logits(logits, answers)
    numeric = numerical_gradient(lambda l: softmax_crossentropy_with_logits(l, answers).mean(), logits.copy())
    assert np.allclose(numeric, grads, rtol=1e-3, atol=0), "the loss gradient does not match the numerical gradient"
    errors["loss"] = rel_err(grads, numeric)
    say("Softmax cross-entropy gradient check: Well done!")
    return errors


# --- what the trained network learned -------------------------------------------------------

def hidden_representations(network, X, layer=2, batch_size=4096):
    """Activations of ``network[layer]`` for every row of ``X`` (the lab takes ``forward(...)[2]``:
    the second Dense layer's 40 outputs, before its ReLU)."""
    return np.concatenate([forward(network, X[i:i + batch_size])[layer] for i in range(0, len(X), batch_size)])


def logistic_regression(F_train, y_train, F_test, y_test, steps=300, lr=0.05, seed=0):
    """Train ``sigmoid(F w + b)`` with labgrad (full-batch Adam on the mean BCE with logits); test accuracy.

    Features are standardised with the training mean and standard deviation first.

    >>> rng = np.random.default_rng(0); F = rng.standard_normal((200, 3)); y = (F[:, 0] > 0).astype(np.int64)
    >>> logistic_regression(F[:150], y[:150], F[150:], y[150:], steps=100)["test_acc"] > 0.9
    True
    """
    import nn
    from autograd import no_grad
    mean, std = F_train.mean(axis=0), F_train.std(axis=0)
    std[std < 1e-6] = 1.0                           # constant features (blank border pixels) stay 0
    Xtr = ((F_train - mean) / std).astype(np.float32)
    Xte = ((F_test - mean) / std).astype(np.float32)
    model = nn.Linear(Xtr.shape[1], 1, init="zeros", rng=seed)
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    target = y_train.reshape(-1, 1).astype(np.float32)
    # full batch: one step per "epoch", the samples in order
    history = nn.fit(model, nn.functional.binary_cross_entropy_with_logits, opt, (Xtr, target), epochs=steps,
                     batch_size=len(Xtr), shuffle=False, progress=False, metrics=())
    with no_grad():
        train_acc = float(((model(Xtr).data[:, 0] > 0) == y_train).mean())
        test_acc = float(((model(Xte).data[:, 0] > 0) == y_test).mean())
    return {"loss": history["train_loss"][-1], "train_acc": train_acc, "test_acc": test_acc}


def parity_verdict(raw, learned, n):
    """One line comparing two test accuracies on the same ``n`` images; the verdict follows the numbers.

    A difference counts only beyond two standard errors of a difference of two
    accuracies near their mean ``p``: ``2 sqrt(2 p (1 - p) / n)``.

    >>> parity_verdict(0.90, 0.97, 1000)
    'learned features minus raw pixels: +7.00 points (beyond the noise, +-2.20 points over 1000 test images: \
the features, trained to make the digit linearly readable, make its parity readable too)'
    >>> parity_verdict(0.905, 0.905, 360)[-74:]
    'within the noise, +-4.37 points over 360 test images: no difference shown)'
    """
    gain, p = learned - raw, (raw + learned) / 2
    noise = 2 * np.sqrt(2 * p * (1 - p) / n)
    if gain > noise:
        why = "the features, trained to make the digit linearly readable, make its parity readable too"
    elif gain < -noise:
        why = "the raw pixels keep something about parity that the learned features lost"
    else:
        why = "no difference shown"
    where = "beyond" if abs(gain) > noise else "within"
    return (f"learned features minus raw pixels: {100 * gain:+.2f} points ({where} the noise, "
            f"+-{100 * noise:.2f} points over {n} test images: {why})")


def knn_agreement(points, labels):
    """Fraction of points whose nearest other point has the same label (how well a map separates classes)."""
    d = ((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float((labels[d.argmin(axis=1)] == labels).mean())


def tsne_figure(X_raw, H, y, path, seed=0):
    """t-SNE maps of raw pixels and of learned features side by side; returns the 1-NN agreements, or None
    without scikit-learn."""
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        print("t-SNE: skipped (needs scikit-learn: pip install -e '.[demos]' in the labgrad folder)")
        return None
    import nn.plot
    maps = [TSNE(n_components=2, init="pca", random_state=seed, perplexity=min(30.0, (len(y) - 1) / 3))
            .fit_transform(np.asarray(Z, dtype=np.float64)) for Z in (X_raw, H)]
    agreement = [knn_agreement(m, y) for m in maps]
    plt = nn.plot.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    for ax, m, title, a in zip(axes, maps, (f"raw pixels ({X_raw.shape[1]}-d)", f"learned features ({H.shape[1]}-d)"),
                               agreement):
        sc = ax.scatter(m[:, 0], m[:, 1], c=y, cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
        ax.set_title(f"t-SNE of {title}\nnearest neighbour has the same digit: {a:.1%}", fontsize=10)
        ax.set_xticks([]), ax.set_yticks([])
    fig.colorbar(sc, ax=axes, ticks=range(10), label="digit")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return agreement


def what_it_learned(network, splits, *, tsne_points=1000, tsne_path=None, seed=0):
    """The lab's second part: the hidden representations, their t-SNE map beside the raw pixels' (written to
    ``tsne_path``; skipped without a path or with ``tsne_points`` 0), and digit parity by logistic regression
    from each. Prints one line per result and returns ``{"H_train", "H_test", "agreement", "parity"}``."""
    from demos import common
    (X_train, y_train), (X_test, y_test) = splits["train"], splits["test"]
    H_train = hidden_representations(network, X_train)
    H_test = hidden_representations(network, X_test)
    print(f"hidden representations: forward(network, X)[2], shape {H_train.shape} (train), {H_test.shape} (test)")
    agreement = None
    if tsne_path is None or tsne_points <= 0:
        print("t-SNE: skipped (--tsne-points 0)")
    else:
        n = min(tsne_points, len(X_train))
        ids = np.random.default_rng(seed).permutation(len(X_train))[:n]
        t0 = time.perf_counter()
        agreement = tsne_figure(X_train[ids], H_train[ids], y_train[ids], tsne_path, seed=seed)
        if agreement is not None:
            common.wrote(tsne_path)
            print(f"t-SNE of {n} training images ({time.perf_counter() - t0:.1f} s): a point's nearest neighbour "
                  f"has the same digit for {agreement[0]:.1%} (raw pixels) vs {agreement[1]:.1%} (learned features)")
    print("Digit parity (even/odd) by logistic regression trained with labgrad "
          "(full-batch Adam, lr 0.05, 300 steps, standardised features):")
    parity = {}
    for name, Ftr, Fte in (("raw pixels", X_train, X_test), ("learned features", H_train, H_test)):
        parity[name] = r = logistic_regression(Ftr, y_train % 2, Fte, y_test % 2, seed=seed)
        print(f"  parity test accuracy, {name} ({Ftr.shape[1]}-d): {r['test_acc']:.4f} "
              f"(train {r['train_acc']:.4f})")
    print("  " + parity_verdict(parity["raw pixels"]["test_acc"], parity["learned features"]["test_acc"],
                                len(y_test)))
    return {"H_train": H_train, "H_test": H_test, "agreement": agreement, "parity": parity}


def main(argv=None):
    from demos import common

    parser = common.make_parser("mnist_mlp", __doc__.split("\n\n")[0], epochs=15, batch_size=32, lr=0.1,
                                default_data="mnist", quick_epochs=2)
    parser.add_argument("--hidden", type=int, default=40, help="units in each hidden layer (default 40)")
    parser.add_argument("--tsne-points", type=int, default=None,
                        help="random training images in the t-SNE maps (default 1000, 0 with --quick; 0 skips them)")
    parser.add_argument("--init", choices=sorted(INITS), default=None,
                        help="initial weights: lab, the lab's N(0, 0.01^2) (default on MNIST and Fashion-MNIST), "
                             "or he, N(0, 2/fan_in) (default on the digits, where the lab's needs many more "
                             "steps to leave its flat start: see the module docstring)")
    args = parser.parse_args(argv)
    if args.init is None:
        args.init = "he" if args.data == "digits" else "lab"
    if args.tsne_points is None:
        args.tsne_points = 0 if args.quick else 1000
    return common.run_demo(args, _run, "matplotlib", *(["sklearn"] if args.tsne_points > 0 else []))


# --- training (the script and the notebook both call these) -----------------------------------

def split_data(data, quick=False, seed=0):
    """The lab's split of ``data`` (a ``demos.common.Data``): print it, return ``{"train", "val", "test"}``.

    The lab holds out the last 10,000 of MNIST's 60,000 training images for validation; other sizes keep
    the same share (1/6), stratified. ``quick`` keeps 1,200 training and 300 test images.
    """
    import nn.data

    X, y, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test
    if quick:
        X, y, X_test, y_test = X[:1200], y[:1200], X_test[:300], y_test[:300]
    n_val = 10000 if len(X) == 60000 else max(1, len(X) // 6)
    (X_train, y_train), (X_val, y_val) = nn.data.train_val_split(X, y, n_val, seed=seed, stratify=True)
    print(f"split: {len(X_train)} train / {len(X_val)} validation / {len(X_test)} test")
    if data.name == "MNIST" and len(data.X_train) < 60000:
        print(f"note: {len(data.X_train)} training images, not MNIST's 60,000: "
              "accuracies are not comparable with the lab's (> 97 % with the full set)")
    return {"train": (X_train, y_train), "val": (X_val, y_val), "test": (X_test, y_test)}


def fit(splits, n_classes, *, hidden=40, lr=0.1, init="lab", epochs=15, batch_size=32, seed=0, progress=None):
    """Build the lab's network and train it on ``splits`` (from :func:`split_data`), printing each epoch.

    ``progress(starts, step)`` may wrap each epoch's batch starts (``demos.common.progress_bar``).
    Writes no files. Returns a dict: ``network``, ``history`` (``train_loss``, ``train_acc``, ``val_acc``
    per epoch), ``test_acc``, ``seconds`` (whole run) and ``times`` (SGD seconds per epoch).
    """
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = splits["train"], splits["val"], splits["test"]
    rng = np.random.default_rng(seed)
    network = build_network(X_train.shape[1], hidden, n_classes, lr, rng, X_train.dtype, init)
    weights = {"he": "He N(0, 2/fan_in)", "lab": "the lab's N(0, 0.01^2)"}[init]
    print(f"network: {X_train.shape[1]}-{hidden}-{hidden}-{n_classes} Dense/ReLU, weights "
          f"{weights} (--init), softmax cross-entropy; SGD inside Dense.backward, lr {lr}, "
          f"batch {batch_size}, {epochs} epochs")
    history = {"train_loss": [], "train_acc": [], "val_acc": []}
    times = []
    t_start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        wrap = None if progress is None else (lambda starts: progress(starts, f"epoch {epoch}/{epochs}"))
        batch_losses = [train(network, xb, yb) for xb, yb in iterate_minibatches(
            X_train, y_train, batch_size, shuffle=True, rng=rng, progress=wrap)]
        times.append(time.perf_counter() - t0)
        history["train_loss"].append(float(np.mean(batch_losses)))
        history["train_acc"].append(float(np.mean(predict(network, X_train) == y_train)))
        history["val_acc"].append(float(np.mean(predict(network, X_val) == y_val)))
        print(f"epoch {epoch:2d}: loss {history['train_loss'][-1]:.4f}, train accuracy "
              f"{history['train_acc'][-1]:.4f}, val accuracy {history['val_acc'][-1]:.4f} ({times[-1]:.3f} s)")
    seconds = time.perf_counter() - t_start
    test_acc = float(np.mean(predict(network, X_test) == y_test))
    return {"network": network, "history": history, "test_acc": test_acc, "seconds": seconds, "times": times}


def _run(args, out):
    from demos import common

    print("Lab checks (gradients against autograd.numerical_gradient, the lab's eval_numerical_gradient):")
    try:
        errors = lab_checks(say=lambda s: print("  " + s))
    except AssertionError as e:
        print(f"  FAILED: {e}")
        return 1
    print("  largest relative errors: " + ", ".join(f"{k} {v:.1e}" for k, v in errors.items()))

    data = common.load_data(args)
    if data is None:
        return 2
    splits = split_data(data, quick=args.quick, seed=args.seed)
    (X_train, y_train), (_, y_test) = splits["train"], splits["test"]
    common.save_images(X_train[:4], y_train[:4], None, out / "samples.png", image_shape=data.image_shape,
                       ncols=4, class_names=data.classes, title=f"{data.name}: first training images")

    bar = common.progress_bar(args, "training", total=args.epochs * (len(X_train) // args.batch_size))
    fitted = fit(splits, len(data.classes), hidden=args.hidden, lr=args.lr, init=args.init, epochs=args.epochs,
                 batch_size=args.batch_size, seed=args.seed, progress=bar)
    network, history, seconds, times = fitted["network"], fitted["history"], fitted["seconds"], fitted["times"]
    test_acc = fitted["test_acc"]
    print(f"val accuracy: {history['val_acc'][-1]:.4f}")
    print(f"test accuracy: {test_acc:.4f}")
    print(f"training: {seconds:.2f} s ({np.mean(times):.3f} s/epoch of SGD steps)")
    common.save_history(history, out / "accuracy.png")
    if not common.learned(test_acc, y_test, len(data.classes),
                          hint="try more epochs (--epochs), another --lr, or --init he"
                          if args.init == "lab" else "try more epochs (--epochs) or another --lr"):
        print("hidden representations, t-SNE and parity: skipped (the features of an untrained network say "
              "nothing about what training learns)")
        common.finish(args)
        return 0

    tsne_path = out / "tsne.png" if args.tsne_points > 0 else None
    what_it_learned(network, splits, tsne_points=args.tsne_points, tsne_path=tsne_path, seed=args.seed)
    common.finish(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
