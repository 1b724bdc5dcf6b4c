"""Seed 003: a tanh hidden layer and a softmax output in numpy, backpropagated by hand, on MNIST.

``init_params(nx, nh, ny)`` draws every weight from N(0, 0.3^2) after
``np.random.seed(42)``, so ``init_params(1, 2, 1)`` prints exactly the lab's
output. The hand-written ``backward`` is checked against labgrad's autograd,
then a 784-128-10 network is trained with SGD (eta 0.1, batch 128, 50 epochs).

The lab's loop is ``for i in range(0, X_train.shape[1], batch_size)``:
``shape[1]`` is the 784 features, not the 60,000 samples, so each of its
"epochs" visits only the first 7 batches (896 samples) of the shuffled set.
Here an epoch visits every sample (``--lab-loop`` reproduces the lab's loop).

    python -m demos.tanh_softmax --data-dir /path/to/mnist
"""
import numpy as np

__all__ = ["init_params", "softmax", "forward", "loss_accuracy", "backward", "sgd", "autograd_grads",
           "batch_starts", "evaluate", "train", "plot_curves", "main"]


def init_params(nx, nh, ny):
    """Weights and biases of an ``nx``-``nh``-``ny`` MLP, all N(0, 0.3^2), after ``np.random.seed(42)``.

    >>> p = init_params(1, 2, 1)
    >>> p['W1'].round(8).tolist(), p['b2'].round(8).tolist()
    ([[0.14901425, -0.04147929]], [[0.47376384]])
    """
    np.random.seed(42)
    W1 = np.random.normal(0, 0.3, (nx, nh))
    b1 = np.random.normal(0, 0.3, (1, nh))
    W2 = np.random.normal(0, 0.3, (nh, ny))
    b2 = np.random.normal(0, 0.3, (1, ny))
    return {'W1': W1, 'b1': b1, 'W2': W2, 'b2': b2}


def softmax(z):
    """Row-wise softmax, shifted by the row max so ``exp`` cannot overflow."""
    exp_z = np.exp(z - np.max(z, axis=1, keepdims=True))
    return exp_z / np.sum(exp_z, axis=1, keepdims=True)


def forward(params, X):
    """``Z1 = X W1 + b1, A1 = tanh(Z1), Z2 = A1 W2 + b2, Yhat = softmax(Z2)``; returns ``Yhat`` and the cache."""
    Z1 = X @ params['W1'] + params['b1']
    A1 = np.tanh(Z1)
    Z2 = A1 @ params['W2'] + params['b2']
    return softmax(Z2), {'Z1': Z1, 'A1': A1, 'Z2': Z2}


def loss_accuracy(Y_hat, Y):
    """Mean cross-entropy of the probabilities ``Y_hat`` against one-hot ``Y``, and the accuracy."""
    m = Y.shape[0]
    loss = -np.sum(Y * np.log(Y_hat + 1e-10)) / m          # the lab's epsilon keeps log(0) finite
    accuracy = np.mean(np.argmax(Y_hat, axis=1) == np.argmax(Y, axis=1))
    return float(loss), float(accuracy)


def backward(X, params, outputs, Y):
    """Gradients of the mean cross-entropy, by hand (the lab's derivation)."""
    m = Y.shape[0]
    A1 = outputs['A1']
    dZ2 = (softmax(outputs['Z2']) - Y) / m                 # softmax + cross-entropy: Yhat - Y
    dW2 = A1.T @ dZ2
    db2 = dZ2.sum(axis=0, keepdims=True)
    dZ1 = (dZ2 @ params['W2'].T) * (1 - A1 * A1)           # tanh' = 1 - tanh^2
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0, keepdims=True)
    return {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}


def sgd(params, grads, eta):
    """In-place step ``p -= eta * grad`` for every parameter; returns ``params``."""
    for key in params:
        params[key] -= eta * grads[key]
    return params


def autograd_grads(params, X, Y):
    """The same gradients from labgrad's autograd, to check :func:`backward` against.

    >>> rng = np.random.default_rng(0)
    >>> p = init_params(4, 3, 2); X = rng.standard_normal((5, 4)); Y = np.eye(2)[[0, 1, 1, 0, 1]]
    >>> hand = backward(X, p, forward(p, X)[1], Y); auto = autograd_grads(p, X, Y)
    >>> all(np.allclose(hand[k], auto[k]) for k in p)
    True
    """
    from autograd import Tensor
    t = {k: Tensor(v, requires_grad=True) for k, v in params.items()}
    Z2 = (X @ t['W1'] + t['b1']).tanh() @ t['W2'] + t['b2']
    loss = -(Z2.log_softmax(axis=1) * Y).sum() / Y.shape[0]
    loss.backward()
    return {k: v.grad for k, v in t.items()}


def batch_starts(n_samples, n_features, batch_size, lab_loop=False):
    """Start index of each minibatch: over all samples, or (``lab_loop``) the lab's ``range(0, n_features, batch)``.

    The lab's loop stops at ``n_features`` (784): on MNIST that is 7 batches of the 60,000
    samples. (On a set smaller than that, the batches past its end are empty and skipped.)

    >>> len(batch_starts(60000, 784, 128)), len(batch_starts(60000, 784, 128, lab_loop=True))
    (469, 7)
    """
    return range(0, min(n_features, n_samples) if lab_loop else n_samples, batch_size)


def evaluate(params, X, Y, batch_size=4096):
    """Mean loss and accuracy over ``(X, Y)``, in chunks."""
    n, loss, correct = len(X), 0.0, 0.0
    for i in range(0, n, batch_size):
        Yhat, _ = forward(params, X[i:i + batch_size])
        l, a = loss_accuracy(Yhat, Y[i:i + batch_size])
        loss += l * len(Yhat)
        correct += a * len(Yhat)
    return loss / n, correct / n


def train(params, X, Y, X_test, Y_test, epochs, batch_size, eta, rng, lab_loop=False, progress=None, say=print):
    """The lab's SGD loop, per epoch: shuffle, then forward / backward / sgd on each minibatch.

    Returns a history dict of per-epoch lists: ``train_loss``/``train_acc`` (means over the epoch's
    batches, before each step, as the lab's ``loss_history``), ``test_loss``/``test_acc`` (after the
    epoch), ``epoch_time``; and ``batch_loss`` with one entry per step. ``progress(batch_starts, "epoch
    e/epochs")`` wraps each epoch's batches (e.g. a tracker of :func:`demos.common.progress_bar`).
    """
    import time
    h = {k: [] for k in ("train_loss", "train_acc", "test_loss", "test_acc", "epoch_time", "batch_loss")}
    starts = batch_starts(len(X), X.shape[1], batch_size, lab_loop)
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        perm = rng.permutation(len(X))
        X, Y = X[perm], Y[perm]
        losses, accs, sizes = [], [], []
        for i in (progress(starts, f"epoch {epoch}/{epochs}") if progress else starts):
            X_batch, Y_batch = X[i:i + batch_size], Y[i:i + batch_size]
            Yhat, outputs = forward(params, X_batch)
            grads = backward(X_batch, params, outputs, Y_batch)
            sgd(params, grads, eta)
            loss, accuracy = loss_accuracy(Yhat, Y_batch)
            losses.append(loss), accs.append(accuracy), sizes.append(len(X_batch))
        h["epoch_time"].append(time.perf_counter() - t0)
        h["batch_loss"] += losses
        h["train_loss"].append(float(np.average(losses, weights=sizes)))
        h["train_acc"].append(float(np.average(accs, weights=sizes)))
        test_loss, test_acc = evaluate(params, X_test, Y_test)
        h["test_loss"].append(test_loss), h["test_acc"].append(test_acc)
        say(f"epoch {epoch:2d}: train loss {h['train_loss'][-1]:.4f}, train accuracy {h['train_acc'][-1]:.4f}, "
            f"test loss {test_loss:.4f}, test accuracy {test_acc:.4f} ({h['epoch_time'][-1]:.2f} s)")
    return h


def plot_curves(h, path=None, title=""):
    """Loss and accuracy per epoch (train: mean over the epoch's batches; test: after the epoch).

    Saved to ``path`` (and closed); without a path, the figure is returned unsaved (a notebook shows it).
    """
    import nn.plot
    plt = nn.plot.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    epochs = np.arange(1, len(h["train_loss"]) + 1)
    for ax, key, name in zip(axes, ("loss", "acc"), ("Loss", "Accuracy")):
        ax.plot(epochs, h[f"train_{key}"], "-o", markersize=3, label=f"train {name.lower()}")
        ax.plot(epochs, h[f"test_{key}"], "--s", markersize=3, label=f"test {name.lower()}")
        ax.set_xlabel("Epochs"), ax.set_ylabel(name), ax.grid(alpha=0.3), ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    if path is None:
        return fig
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return None


def main(argv=None):
    from demos import common

    parser = common.make_parser("tanh_softmax", __doc__.split("\n\n")[0], epochs=50, batch_size=128, lr=0.1,
                                default_data="mnist", quick_epochs=3)
    parser.add_argument("--hidden", type=int, default=128, help="hidden units (default 128)")
    parser.add_argument("--lab-loop", action="store_true",
                        help="iterate as the lab does, range(0, X_train.shape[1], batch_size): 7 batches per epoch")
    args = parser.parse_args(argv)
    return common.run_demo(args, _run, "matplotlib")


def _run(args, out):
    from demos import common
    import nn.data


    print("init_params(1, 2, 1), as printed in the lab:")
    print(init_params(1, 2, 1))
    rng = np.random.default_rng(args.seed)
    Xc, Yc = rng.standard_normal((16, 5)), np.eye(3)[rng.integers(0, 3, 16)]
    pc = init_params(5, 4, 3)
    hand, auto = backward(Xc, pc, forward(pc, Xc)[1], Yc), autograd_grads(pc, Xc, Yc)
    err = max(float(np.abs(hand[k] - auto[k]).max()) for k in pc)
    print(f"hand-written backward vs labgrad autograd (5-4-3 net, 16 samples): max |difference| {err:.1e}")
    if not err < 1e-10:
        print("FAILED: the hand-written gradients disagree with autograd")
        return 1

    data = common.load_data(args)
    if data is None:
        return 2
    X_train, y_train, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test
    if args.quick:
        X_train, y_train, X_test, y_test = X_train[:1000], y_train[:1000], X_test[:300], y_test[:300]
    if data.name == "MNIST" and len(data.X_train) < 60000:
        print(f"note: {len(data.X_train)} training images, not MNIST's 60,000: results are not comparable "
              "with a full-MNIST run")
    n_classes = len(data.classes)
    Y_train, Y_test = nn.data.one_hot(y_train, n_classes, np.float64), nn.data.one_hot(y_test, n_classes, np.float64)
    common.save_images(X_train[:10], y_train[:10], None, out / "samples.png", image_shape=data.image_shape,
                       ncols=10, class_names=data.classes, title=f"{data.name}: first training images")

    nx, nh, ny = X_train.shape[1], args.hidden, n_classes
    params = init_params(nx, nh, ny)
    n_batches = len(batch_starts(len(X_train), nx, args.batch_size, args.lab_loop))
    print(f"network: {nx}-{nh}-{ny}, tanh hidden layer, softmax output, cross-entropy; init N(0, 0.3^2) seed 42; "
          f"SGD eta {args.lr}, batch {args.batch_size}, {args.epochs} epochs")
    if args.lab_loop:
        print(f"--lab-loop: the lab's range(0, X_train.shape[1] = {nx}, {args.batch_size}) gives {n_batches} batches "
              f"({min(n_batches * args.batch_size, len(X_train))} samples) per epoch, out of {len(X_train)}")
    else:
        print(f"{n_batches} batches per epoch cover all {len(X_train)} training images (the lab's "
              f"range(0, X_train.shape[1], batch_size) stops at the {nx} features: "
              f"{len(range(0, nx, args.batch_size))} batches; --lab-loop reproduces it)")
    h = train(params, X_train, Y_train, X_test, Y_test, args.epochs, args.batch_size, args.lr, rng,
              lab_loop=args.lab_loop, progress=common.progress_bar(args, "training", total=args.epochs * n_batches))
    print(f"train accuracy: {h['train_acc'][-1]:.4f}")
    print(f"test loss: {h['test_loss'][-1]:.4f}")
    print(f"test accuracy: {h['test_acc'][-1]:.4f}")
    common.learned(h["test_acc"][-1], y_test, n_classes)
    print(f"seconds/epoch: {np.mean(h['epoch_time']):.2f}")
    print("note: the lab's early stop `if accuracy_history[-1] > 99` never fires (accuracy is a fraction)")
    plot_curves(h, out / "curves.png", f"{data.name}, {nx}-{nh}-{ny} tanh/softmax, "
                f"{'lab loop (7 batches/epoch)' if args.lab_loop else 'full epochs'}")
    common.wrote(out / "curves.png")
    common.finish(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
