"""Seed 004: exercise 1b's saturated network, then the lab's 'Net' and 'ComplexNet' on Fashion-MNIST.

Part 1 (exercise 1b) feeds ``[5, 4, 1, 3, 2]`` through Linear(5, 3) - ReLU -
Linear(3, 2) - LeakyReLU(0.01) - Linear(2, 1) - sigmoid with every weight 2
and no bias. The pre-activations are 30, 180 and 720, and sigmoid(720) rounds
to exactly 1.0, so with y = 1 the BCE is 0 and every gradient is 0: SGD
changes nothing. The true loss is log(1 + e^-720), about 1e-313, and the true
gradients are about 1e-311: the network is not at a minimum, its output unit
is saturated. The same network with the numerically safe BCE on the logits
shows those gradients in float64, and with y = 0 it shows why the safe loss
matters: BCE on the saturated probability is stuck (loss clamped at 100, all
gradients 0), BCE with logits gives the loss 720 and a gradient that moves.

Part 2 trains the lab's two models on Fashion-MNIST with labgrad, and with
PyTorch too under ``--compare-torch`` (same data, same initial weights, same
batch order), and prints the lab's test accuracies (84.47 %, 88.66 %) beside
ours with the seconds per epoch:

* 'Net': 784-256-128-10 ReLU, inputs (x/255 - 0.5)/0.5, cross-entropy,
  SGD lr 0.01, batch 64, 10 epochs;
* 'ComplexNet': 784-512-256-128-10, BatchNorm1d after each hidden Linear and
  LeakyReLU(0.2), Adam lr 1e-3, weight decay 1e-5, batch 64, 10 epochs. The
  lab defines Dropout(0.5) but never calls it, so it is not applied here.

Initial weights follow PyTorch's default for ``nn.Linear`` (weights and biases
U(-1/sqrt(fan_in), 1/sqrt(fan_in))), what the lab's models started from; they
are drawn once with numpy and copied (transposed) into the PyTorch models.
The lab tests with the model still in training mode (it never calls
``net.eval()``), so ComplexNet's BatchNorm normalises each test batch of 64
with its own statistics; both that number and the proper evaluation-mode
number (running statistics) are printed. The two frameworks train epoch by
epoch in turn, so load from other processes affects both alike, and PyTorch
gets as many threads as numpy's BLAS (``--blas-threads``, default 1; 0 leaves
both libraries at their defaults).

    python -m demos.fashion_mnist --compare-torch
"""
import contextlib
import os
import platform
import time

import numpy as np

import nn
from autograd import Tensor, checks, no_grad

__all__ = ["exercise_1b", "print_exercise_1b", "Net", "ComplexNet", "SPECS", "lab_init", "to_torch", "epoch_orders",
           "make_optimizer", "train_epoch", "torch_threads", "evaluate", "run_model", "machine_description", "results_table", "plot_losses",
           "LAB_RESULTS", "main"]

#: The lab's printed results (seed 004, exercise 1c and 1d).
LAB_RESULTS = {
    "Net": {"test_acc": 0.8447, "train_ce": 0.37405235665058023, "test_ce": 0.4217475307215551,
            "epoch_loss": [0.961732804616377, 0.5474599316430244, 0.4815413070512987, 0.44872575202412696,
                           0.4265495993689433, 0.4093995988051266, 0.39465504908549, 0.38299932659689045,
                           0.3717110209754789, 0.36276883485792544]},
    "ComplexNet": {"test_acc": 0.8866, "train_ce": 0.19269801209222026, "test_ce": 0.320014977293789,
                   "epoch_loss": [0.45866134827896987, 0.3540881048721164, 0.32221466568169566,
                                  0.2985416015884134, 0.28089767953416683, 0.2671330156070845,
                                  0.25372612392946853, 0.24080968309027045, 0.23350627290239848,
                                  0.22304274401526208]},
}


# --- Part 1: exercise 1b ------------------------------------------------------------------------

def _ex1b_forward(W, dtype):
    """The lab's ``ForwardPass`` with ``b = 0``: relu, leaky_relu(0.01), then the logit ``z3``."""
    X = Tensor(np.array([[5., 4., 1., 3., 2.]], dtype))
    a1 = (X @ W[0].T).relu()
    a2 = (a1 @ W[1].T).leaky_relu(0.01)
    z3 = a2 @ W[2].T
    return a1, a2, z3


def exercise_1b(y=1.0, loss="bce", dtype=np.float32, lr=0.2):
    """Exercise 1b's network (every weight 2) with one loss; one SGD step of ``lr``.

    Parameters
    ----------
    y : float
        The target (the lab's is 1).
    loss : {"bce", "logits", "naive"}
        ``"bce"``: ``nn.functional.binary_cross_entropy`` on ``sigmoid(z3)`` (logs clamped at -100,
        as PyTorch); ``"logits"``: ``binary_cross_entropy_with_logits`` on ``z3``; ``"naive"``: the
        formula ``-(y log p + (1 - y) log(1 - p))`` written out, without the lab's special case.
    dtype : numpy float dtype
        The lab ran in PyTorch's default float32.

    Returns
    -------
    dict
        ``z1, z2, z3, a3`` (floats), ``loss``, ``grads`` (three arrays), ``W_after`` (three arrays).

    >>> r = exercise_1b()
    >>> r["z3"], r["a3"], r["loss"], [float(abs(g).max()) for g in r["grads"]]
    (720.0, 1.0, 0.0, [0.0, 0.0, 0.0])
    >>> r = exercise_1b(y=0.0, loss="logits")
    >>> r["loss"], r["grads"][2].tolist()
    (720.0, [[180.0, 180.0]])
    """
    loss = checks.one_of(loss, ("bce", "logits", "naive"), "loss", "exercise_1b")
    W = [nn.Parameter(np.full(shape, 2, dtype)) for shape in ((3, 5), (2, 3), (1, 2))]
    a1, a2, z3 = _ex1b_forward(W, dtype)
    a3 = z3.sigmoid()
    target = np.array([[y]], dtype)
    if loss == "bce":
        L = nn.functional.binary_cross_entropy(a3, target)
    elif loss == "logits":
        L = nn.functional.binary_cross_entropy_with_logits(z3, target)
    else:                                   # "naive"
        with np.errstate(divide="ignore", invalid="ignore"):
            L = -(target * a3.log() + (1 - target) * (1 - a3).log()).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        L.backward()
    grads = [w.grad.copy() for w in W]
    nn.SGD(W, lr=lr).step()
    return {"z1": float(a1.data[0, 0]), "z2": float(a2.data[0, 0]), "z3": float(z3.item()),
            "a3": float(a3.item()), "loss": float(L.item()), "grads": grads, "W_after": [w.data for w in W]}


def _fmt(values):
    return np.array2string(np.asarray(values), separator=", ", max_line_width=200)


def print_exercise_1b(say=print):
    """Print exercise 1b as the lab runs it, the explanation, and the same network with the safe loss."""
    r = exercise_1b(1.0, "bce")
    say("Exercise 1b: input [5, 4, 1, 3, 2], every weight 2, no bias, y = 1, float32 (PyTorch's default)")
    say(f"  z1 = {r['z1']:g} (x3), a1 = relu(z1); z2 = {r['z2']:g} (x2), a2 = leaky_relu(z2); "
        f"z3 = {r['z3']:g}; a3 = sigmoid(z3)")
    say(f"  Predicted Output (a3): {r['a3']}")
    say(f"  Binary Cross-Entropy Loss: {r['loss']}")
    for i, g in enumerate(r["grads"], start=1):
        say(f"  dL_dW{i}: {_fmt(g).replace(chr(10), ' ')}")
    unchanged = all(np.array_equal(w, np.full(w.shape, 2)) for w in r["W_after"])
    say(f"  after SGD (lr 0.2) every weight is still 2: {unchanged}")
    naive = exercise_1b(1.0, "naive")
    say(f"  the BCE formula written out, without the lab's `if y_true == y_hat: return 0`: loss {naive['loss']}, "
        f"gradients {'nan' if np.isnan(naive['grads'][0]).all() else 'finite'} (0 * log(0) = 0 * -inf = nan)")
    say("  Why: z3 = 720 saturates the sigmoid. sigmoid(720) = 1 - 1e-313 rounds to exactly 1.0 (in float64 too),")
    say("  so the loss log(1 + e^-720) ~ 1e-313 rounds to 0 and so does every gradient, all of which carry the")
    say("  factor sigmoid'(z3) = a3 (1 - a3). The output is right, but not because training found a minimum; the")
    say("  weights were never trained. Also, with every weight equal, the units of a layer compute the same value")
    say("  and receive the same gradient, so even a nonzero step would keep them identical (break the symmetry")
    say("  with random initial weights).")
    say("The same network with a numerically safe loss, binary_cross_entropy_with_logits(z3, y):")
    for dtype in (np.float32, np.float64):
        s = exercise_1b(1.0, "logits", dtype)
        say(f"  y = 1, {np.dtype(dtype).name}: loss {s['loss']:.3e}, largest gradient "
            f"{max(float(np.abs(g).max()) for g in s['grads']):.3e}"
            + (" (the true value, a subnormal float64; a step of lr 0.2 changes nothing)" if dtype == np.float64
               else " (underflows in float32)"))
    b0, l0 = exercise_1b(0.0, "bce"), exercise_1b(0.0, "logits")
    say(f"  y = 0, BCE on sigmoid(z3): loss {b0['loss']:g} (log clamped at -100), largest gradient "
        f"{max(float(np.abs(g).max()) for g in b0['grads']):g}: maximally wrong and unable to learn")
    say(f"  y = 0, BCE with logits:     loss {l0['loss']:g} (the true value), dL/dW3 = {_fmt(l0['grads'][2][0])}, "
        f"dL/dW2 row = {_fmt(l0['grads'][1][0])}: SGD moves")
    after = _ex1b_forward([Tensor(w) for w in l0["W_after"]], np.float32)[2].item()
    say(f"  after one SGD step (lr 0.2) z3 = {after:g} (from 720); the step is so large that every first-layer ReLU "
        "is now off")
    return r


# --- Part 2: the lab's models ---------------------------------------------------------------------

class Net(nn.Module):
    """The lab's 784-256-128-10 ReLU network (exercise 1c); ``n_in`` other than 784 for other image sizes."""

    def __init__(self, n_in=784):
        super().__init__()
        self.fc1 = nn.Linear(n_in, 256)
        self.fc2 = nn.Linear(256, 128)
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.fc1(x).relu()
        x = self.fc2(x).relu()
        return self.fc3(x)


class ComplexNet(nn.Module):
    """The lab's 784-512-256-128-10 network with BatchNorm1d and LeakyReLU(0.2) (exercise 1d)."""

    def __init__(self, n_in=784):
        super().__init__()
        self.fc1 = nn.Linear(n_in, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 128)
        self.fc4 = nn.Linear(128, 10)
        self.relu = nn.LeakyReLU(0.2)
        self.dropout = nn.Dropout(0.5)          # defined by the lab, never called in its forward
        self.batch_norm1 = nn.BatchNorm1d(512)
        self.batch_norm2 = nn.BatchNorm1d(256)
        self.batch_norm3 = nn.BatchNorm1d(128)

    def forward(self, x):
        x = self.relu(self.batch_norm1(self.fc1(x)))
        x = self.relu(self.batch_norm2(self.fc2(x)))
        x = self.relu(self.batch_norm3(self.fc3(x)))
        return self.fc4(x)


def _linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def lab_init(model, rng):
    """PyTorch's default ``nn.Linear`` init, drawn with numpy: W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    >>> net = lab_init(Net(), np.random.default_rng(0))
    >>> bound = 1 / np.sqrt(784); bool(np.abs(net.fc1.weight.data).max() <= bound), net.fc1.weight.dtype
    (True, dtype('float32'))
    """
    for lin in _linears(model):
        bound = 1.0 / np.sqrt(lin.in_features)
        lin.weight.data = rng.uniform(-bound, bound, lin.weight.shape).astype(np.float32)
        lin.bias.data = rng.uniform(-bound, bound, lin.bias.shape).astype(np.float32)
    return model


def to_torch(model):
    """The same architecture in PyTorch with a copy of ``model``'s parameters (Linear weights transposed)."""
    import torch
    tnn = torch.nn
    n_in = model.fc1.in_features
    if isinstance(model, ComplexNet):
        tmodel = tnn.Sequential(
            tnn.Linear(n_in, 512), tnn.BatchNorm1d(512), tnn.LeakyReLU(0.2),
            tnn.Linear(512, 256), tnn.BatchNorm1d(256), tnn.LeakyReLU(0.2),
            tnn.Linear(256, 128), tnn.BatchNorm1d(128), tnn.LeakyReLU(0.2),
            tnn.Linear(128, 10))
    else:
        tmodel = tnn.Sequential(tnn.Linear(n_in, 256), tnn.ReLU(), tnn.Linear(256, 128), tnn.ReLU(),
                                tnn.Linear(128, 10))
    t_linears = [m for m in tmodel if isinstance(m, tnn.Linear)]
    with torch.no_grad():
        for lin, tlin in zip(_linears(model), t_linears):
            tlin.weight.copy_(torch.from_numpy(lin.weight.data.T.copy()))
            tlin.bias.copy_(torch.from_numpy(lin.bias.data.copy()))
    return tmodel


def epoch_orders(n, epochs, seed):
    """One shuffled order of the ``n`` training samples per epoch (shared by both frameworks)."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(epochs)]


def make_optimizer(kind, params, torch_module=None):
    """The lab's optimiser: SGD(lr 0.01) for Net, Adam(lr 1e-3, weight decay 1e-5) for ComplexNet."""
    optim = nn.optim if torch_module is None else torch_module.optim
    name, hyper = kind
    return getattr(optim, name)(params, **hyper)


def train_epoch(model, opt, X, y, order, batch_size, framework="labgrad", progress=None, compile=False):
    """One epoch over ``X[order]`` in batches (the last one may be short, as PyTorch's DataLoader).

    labgrad trains with ``nn.fit`` (the same steps as PyTorch's loop below), on a DataLoader
    taking ``order`` as its sampler; ``compile=True`` passes ``compile=True`` to ``nn.fit``
    (the step recorded on its first batches, then replayed: the same training, bit for bit).
    ``progress(iterable)`` wraps the epoch's batches (a tracker of
    :func:`demos.common.progress_bar`). Returns ``(mean batch loss, seconds)``: the lab's
    unweighted mean of the batch losses.
    """
    if compile and framework != "labgrad":
        raise ValueError(f"train_epoch: compile=True is labgrad's (nn.fit's compile), got framework={framework!r}; "
                         "pass compile=False for torch")
    starts = range(0, len(order), batch_size)
    total, t0 = 0.0, time.perf_counter()
    if framework == "torch":
        starts = progress(starts) if progress else starts
        import torch
        F = torch.nn.functional
        model.train()
        Xt, yt, idx = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(order)
        for i in starts:
            b = idx[i:i + batch_size]
            loss = F.cross_entropy(model(Xt[b]), yt[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
    else:
        tick = _ticker(progress, len(starts))
        losses = []

        def on_batch(info):
            losses.append(info.loss)
            tick()
        nn.fit(model, nn.functional.cross_entropy, opt, nn.data.DataLoader(X, y, batch_size, sampler=order),
               progress=False, metrics=(), on_batch=on_batch, compile=compile)
        total = sum(losses)
    return total / len(starts), time.perf_counter() - t0


def _ticker(progress, n):
    """A function that advances ``progress``'s bar by one batch per call (``n`` calls in all), for ``on_batch``."""
    if not progress:
        return lambda: None
    steps = iter(progress(range(n)))
    next(steps, None)                  # the bar starts at 0; each later call counts one finished batch
    return lambda: next(steps, None)


def evaluate(model, X, y, framework="labgrad", train_mode=False, batch_size=64):
    """Accuracy and mean cross-entropy over batches of 64, in evaluation mode (or training mode, as the lab).

    The loss is the mean of the per-batch means, as the lab computes it.
    """
    losses, correct = [], 0
    if framework == "torch":
        import torch
        model.train(train_mode)
        with torch.no_grad():
            Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
            for i in range(0, len(X), batch_size):
                out = model(Xt[i:i + batch_size])
                losses.append(torch.nn.functional.cross_entropy(out, yt[i:i + batch_size]).item())
                correct += int((out.argmax(1) == yt[i:i + batch_size]).sum())
        model.train()
    else:
        model.train(train_mode)
        with no_grad():
            for i in range(0, len(X), batch_size):
                out = model(Tensor(X[i:i + batch_size]))
                losses.append(nn.functional.cross_entropy(out, y[i:i + batch_size]).item())
                correct += int((out.data.argmax(1) == y[i:i + batch_size]).sum())
        model.train()
    return correct / len(X), float(np.mean(losses))


SPECS = {
    "Net": (Net, ("SGD", {"lr": 0.01})),
    "ComplexNet": (ComplexNet, ("Adam", {"lr": 1e-3, "weight_decay": 1e-5})),
}


def run_model(name, data, args, frameworks, progress_factory, say=print):
    """Train one of the lab's models with each framework in ``frameworks``, epoch by epoch in turn.

    Returns ``{framework: {"epoch_loss": [...], "epoch_time": [...], "test_acc": ..., ...}}``.
    """
    cls, (opt_name, hyper) = SPECS[name]
    if args.lr is not None:
        hyper = {**hyper, "lr": args.lr}
    X, y, X_test, y_test = data
    model = lab_init(cls(X.shape[1]), np.random.default_rng(args.seed))
    models, opts = {}, {}
    for fw in frameworks:
        if fw == "torch":
            import torch
            models[fw] = to_torch(model)
            opts[fw] = make_optimizer((opt_name, hyper), models[fw].parameters(), torch)
        else:
            models[fw] = model
            opts[fw] = make_optimizer((opt_name, hyper), model.parameters())
    results = {fw: {"epoch_loss": [], "epoch_time": []} for fw in frameworks}
    say(f"{name}: {opt_name}({', '.join(f'{k}={v:g}' for k, v in hyper.items())}), batch {args.batch_size}, "
        f"{args.epochs} epochs, {len(X)} training images")
    for epoch, order in enumerate(epoch_orders(len(X), args.epochs, args.seed), start=1):
        parts = []
        for fw in frameworks:
            loss, seconds = train_epoch(models[fw], opts[fw], X, y, order, args.batch_size, fw,
                                        progress_factory(f"{name} {fw} epoch {epoch}"))
            results[fw]["epoch_loss"].append(loss)
            results[fw]["epoch_time"].append(seconds)
            parts.append(f"{fw} loss {loss:.4f} ({seconds:.1f} s)")
        say(f"  Epoch {epoch}: " + ", ".join(parts))
    for fw in frameworks:
        r = results[fw]
        r["test_acc"], r["test_ce"] = evaluate(models[fw], X_test, y_test, fw)
        r["train_acc"], r["train_ce"] = evaluate(models[fw], X, y, fw)
        if name == "ComplexNet":
            # the lab tests in training mode: BatchNorm uses each test batch's statistics (and updates
            # its running statistics, which is why this comes last)
            r["test_acc_train_mode"], _ = evaluate(models[fw], X_test, y_test, fw, train_mode=True)
        r["s_per_epoch"] = float(np.mean(r["epoch_time"]))
        extra = (f", {100 * r['test_acc_train_mode']:.2f}% with training-mode BatchNorm as the lab"
                 if "test_acc_train_mode" in r else "")
        say(f"  {fw}: test accuracy {100 * r['test_acc']:.2f}%{extra}; cross-entropy train {r['train_ce']:.4f}, "
            f"test {r['test_ce']:.4f}; {r['s_per_epoch']:.2f} s/epoch")
    return results


def machine_description(threads, with_torch=False):
    """CPU model, cores, and library versions (PyTorch's if ``with_torch``), for the results table."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    if with_torch:
        import torch
        versions.append(f"torch {torch.__version__}")
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()}; {', '.join(versions)}; "
            f"threads: {threads if threads else 'library defaults'} (numpy BLAS" + (" and PyTorch" if with_torch else "")
            + ", --blas-threads)")


def results_table(results, frameworks, epochs, n_train, machine, source):
    """The side-by-side markdown table: the lab, PyTorch and labgrad, accuracy and seconds per epoch."""
    names = {"torch": "PyTorch (this run)", "labgrad": "labgrad (this run)"}
    head = "| model | metric | lab (seed 004) | " + " | ".join(names[fw] for fw in frameworks) + " |"
    rows = [head, "|" + "---|" * (3 + len(frameworks))]

    def row(model, metric, lab, key, fmt):
        cells = [fmt(results[model][fw][key]) if key in results[model][fw] else "-" for fw in frameworks]
        rows.append(f"| {model} | {metric} | {lab} | " + " | ".join(cells) + " |")

    pct = "{:.2%}".format
    for model in results:
        lab = LAB_RESULTS[model]
        row(model, "test accuracy", pct(lab["test_acc"]), "test_acc", pct)
        if model == "ComplexNet":
            row(model, "test accuracy, training-mode BatchNorm (as the lab)", pct(lab["test_acc"]),
                "test_acc_train_mode", pct)
        row(model, "test cross-entropy", f"{lab['test_ce']:.4f}", "test_ce", "{:.4f}".format)
        row(model, "train cross-entropy", f"{lab['train_ce']:.4f}", "train_ce", "{:.4f}".format)
        rows.append(f"| {model} | last epoch loss | {lab['epoch_loss'][-1]:.4f} | " + " | ".join(
            f"{results[model][fw]['epoch_loss'][-1]:.4f}" for fw in frameworks) + " |")
        row(model, "seconds/epoch", "-", "s_per_epoch", "{:.2f}".format)
    note = (f"{epochs} epoch(s) on {n_train} training images of {source}. Same initial weights "
            "(PyTorch's default Linear init, drawn once) and the same batch order in both frameworks.")
    if epochs != 10 or n_train != 60000:
        note += " NOT the lab's setting (10 epochs on 60,000 images): the accuracies are not comparable."
    return "\n".join(rows) + f"\n\n{note}\n\nMachine: {machine}\n"


def plot_losses(results, frameworks, path=None):
    """Training loss per epoch of each model: the lab's printed values and each framework's.

    Saved to ``path`` (and closed); without a path, the figure is returned unsaved (a notebook shows it).
    """
    import nn.plot                     # matplotlib is an optional extra: imported when a figure is drawn
    plt = nn.plot.pyplot()
    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4), squeeze=False)
    for ax, (name, res) in zip(axes[0], results.items()):
        lab = LAB_RESULTS[name]["epoch_loss"]
        ax.plot(np.arange(1, len(lab) + 1), lab, "k:o", markersize=3, label="lab (seed 004)")
        for fw, style in zip(frameworks, ("-s", "--^")):
            values = res[fw]["epoch_loss"]
            ax.plot(np.arange(1, len(values) + 1), values, style, markersize=3,
                    label={"torch": "PyTorch", "labgrad": "labgrad"}[fw])
        ax.set_title(f"{name}: mean training loss per epoch"), ax.set_xlabel("epoch"), ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    if path is None:
        return fig
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return None


@contextlib.contextmanager
def torch_threads(n):
    """PyTorch at ``n`` threads inside the block (0: unchanged), as numpy's BLAS under ``--blas-threads``."""
    if not n:
        yield
        return
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def main(argv=None):
    from demos import common

    parser = common.make_parser("fashion_mnist", __doc__.split("\n\n")[0], epochs=10, batch_size=64, lr=None,
                                default_data="fashion-mnist", quick_epochs=1,
                                lr_help="learning rate of both models (default: the lab's, 0.01 for Net's SGD, "
                                        "1e-3 for Adam)")
    parser.add_argument("--compare-torch", action="store_true",
                        help="also train both models with PyTorch (if installed) and print them side by side")
    parser.add_argument("--models", default="Net,ComplexNet",
                        help="comma-separated models to train (default Net,ComplexNet)")
    parser.add_argument("--skip-1b", action="store_true", help="skip exercise 1b")
    args = parser.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in SPECS]
    if unknown:
        parser.error(f"--models: unknown {unknown}; choose from {sorted(SPECS)}")
    return common.run_demo(args, _run, "matplotlib")


def _run(args, out):
    from demos import common


    if not args.skip_1b:
        print_exercise_1b()

    frameworks = ["labgrad"]
    if args.compare_torch:
        try:
            import torch
            frameworks = ["torch", "labgrad"]
            torch.manual_seed(args.seed)
        except ImportError:
            print("--compare-torch: PyTorch is not installed (pip install torch); training with labgrad only")

    data = common.load_data(args)
    if data is None:
        return 2
    X, y, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test
    if args.quick:
        X, y, X_test, y_test = X[:2000], y[:2000], X_test[:500], y_test[:500]
    if X.shape[1] != 784:
        print(f"note: {data.name} images have {X.shape[1]} pixels: the models take {X.shape[1]} inputs instead of "
              "the lab's 784, so the lab's numbers do not apply")
    # the lab's transforms: ToTensor (x / 255) then Normalize((0.5,), (0.5,))
    X, X_test = (X - 0.5) / 0.5, (X_test - 0.5) / 0.5
    machine = machine_description(args.blas_threads, "torch" in frameworks)
    print(f"machine: {machine}")

    results = {}
    batches = len(range(0, len(X), args.batch_size))
    bar = common.progress_bar(args, "training", total=len(args.models) * len(frameworks) * args.epochs * batches)
    with torch_threads(args.blas_threads if "torch" in frameworks else 0):
        for name in args.models:
            results[name] = run_model(name, (X, y, X_test, y_test), args, frameworks,
                                      lambda desc: lambda starts: bar(starts, desc))
    for name in results:
        for fw in frameworks:
            common.learned(results[name][fw]["test_acc"], y_test, len(data.classes),
                           what=f"{name} ({fw}) test accuracy")

    table = results_table(results, frameworks, args.epochs, len(X), machine, f"{data.name} ({data.source})")
    print("\n" + table)
    for name in results:
        if "torch" in results[name]:
            t, g = results[name]["torch"], results[name]["labgrad"]
            print(f"{name}: labgrad - PyTorch test accuracy: {100 * (g['test_acc'] - t['test_acc']):+.2f} points; "
                  f"seconds/epoch labgrad / PyTorch: {g['s_per_epoch'] / t['s_per_epoch']:.2f}")
    (out / "results.md").write_text(table)
    common.wrote(out / "results.md")
    plot_losses(results, frameworks, out / "loss.png")
    common.wrote(out / "loss.png")
    common.finish(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
