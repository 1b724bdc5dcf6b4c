"""The CNN lab: two convolutions, BatchNorm2d and max pooling on Fashion-MNIST (>= 91 % in 10 epochs), beside PyTorch.

The network (issue 20), for 28x28 images::

    nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))

trained with cross-entropy and Adam (lr 1e-3), batch 64, 10 epochs, on inputs
(x/255 - 0.5)/0.5. Other image sizes keep the layers and size the first Linear
for them (64 * (side // 4)^2: 64 * 2 * 2 for scikit-learn's 8x8 digits), so
``--quick --data digits`` runs the same network in seconds.

Initial weights are PyTorch's defaults (Conv2d and Linear: weight and bias
U(-1/sqrt(fan_in), 1/sqrt(fan_in)); BatchNorm: 1 and 0), drawn once with numpy.
``--compare-torch`` copies them into the same network in PyTorch (Linear weights
transposed: labgrad's are (in, out)) and trains both on the same batches, one
epoch of each framework in turn, so that load from other processes hits both
alike; ``--compile`` also trains a copy through ``nn.fit(..., compile=True)``
(the step recorded once, then replayed as straight-line numpy calls), which must
end bit for bit where the eager copy ends. Each side's peak memory is measured
the same way for both frameworks: a fresh process per side runs the first
batches of an epoch, and the peak resident memory (Linux's VmHWM, reset after
setup) above the resident memory after setup is what training added; for
labgrad, tracemalloc's peak (the bytes numpy and Python asked for) is printed too.

The first layer's 32 filters and the feature maps of one test image after each
convolution are drawn as pictures.

    python -m demos.fashion_cnn --compare-torch --compile
"""
import contextlib
import multiprocessing
import time
import tracemalloc

import numpy as np

import nn
from autograd import Tensor, no_grad
from demos import common
from demos.fashion_mnist import epoch_orders, evaluate, machine_description, torch_threads

__all__ = ["make_model", "torch_default_init", "to_torch", "as_images", "make_optimizer", "train_epoch",
           "peak_memory", "measure_memory", "feature_maps", "save_filters", "save_feature_maps", "results_table",
           "SIDES", "TARGET_ACCURACY", "MEMORY_BATCHES", "main"]

#: the issue's bar for the full run (10 epochs on 60,000 Fashion-MNIST images)
TARGET_ACCURACY = 0.91
#: side -> its name in the printed table
SIDES = {"torch": "PyTorch", "labgrad": "labgrad", "compiled": "labgrad, compile=True"}
#: batches run by each side's memory probe (a step frees what it allocates: after the first
#: steps, which also allocate Adam's state and, compiled, record the tape, the peak stays put)
MEMORY_BATCHES = 30
_TRACED_BATCHES = 5            # tracemalloc's pass after the resident-memory one (it slows Python down)


# --- the network, its initial weights and its PyTorch twin ---------------------------------------

def make_model(side=28, channels=1, classes=10):
    """The issue's CNN for ``side`` x ``side`` images (the first Linear takes 64 * (side // 4)^2 inputs).

    >>> model = make_model()
    >>> model(np.zeros((2, 1, 28, 28), np.float32)).shape, model[8].in_features
    ((2, 10), 3136)
    >>> make_model(8)[8].in_features
    256
    """
    pooled = side // 2 // 2
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * pooled * pooled, 128), nn.ReLU(), nn.Linear(128, classes))


def torch_default_init(model, rng):
    """PyTorch's default init of Conv2d and Linear, drawn with numpy: weight, then bias, ~ U(-1/sqrt(fan_in), ..).

    ``fan_in`` is ``in_channels * kh * kw`` for a convolution and ``in_features`` for a Linear
    (whose labgrad weight is (in, out), the transpose of PyTorch's). Batch norm keeps 1 and 0.

    >>> model = torch_default_init(make_model(), np.random.default_rng(0))
    >>> bool(np.abs(model[0].weight.data).max() <= 1 / 3), model[0].weight.dtype
    (True, dtype('float32'))
    """
    for layer in model.modules():
        if isinstance(layer, nn.Conv2d):
            fan_in = int(np.prod(layer.weight.shape[1:]))
        elif isinstance(layer, nn.Linear):
            fan_in = layer.in_features
        else:
            continue
        bound = 1.0 / np.sqrt(fan_in)
        layer.weight.data = rng.uniform(-bound, bound, layer.weight.shape).astype(np.float32)
        layer.bias.data = rng.uniform(-bound, bound, layer.bias.shape).astype(np.float32)
    return model


def to_torch(model):
    """The same network in PyTorch with a copy of ``model``'s parameters and buffers (Linear weights transposed)."""
    import torch
    tnn = torch.nn
    layers = []
    for layer in model:
        if isinstance(layer, nn.Conv2d):
            t = tnn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                           layer.dilation, layer.groups, bias=layer.bias is not None)
        elif isinstance(layer, nn.BatchNorm2d):
            t = tnn.BatchNorm2d(layer.num_features, eps=layer.eps, momentum=layer.momentum)
        elif isinstance(layer, nn.MaxPool2d):
            t = tnn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding)
        elif isinstance(layer, nn.Linear):
            t = tnn.Linear(layer.in_features, layer.out_features)
        elif isinstance(layer, nn.ReLU):
            t = tnn.ReLU()
        elif isinstance(layer, nn.Flatten):
            t = tnn.Flatten()
        else:
            raise TypeError(f"to_torch: no PyTorch twin for {type(layer).__name__}; the demo's network has Conv2d, "
                            "BatchNorm2d, ReLU, MaxPool2d, Flatten and Linear")
        layers.append(t)
    tmodel = tnn.Sequential(*layers)
    with torch.no_grad():
        for layer, t in zip(model, tmodel):
            for name, value in list(layer.named_parameters()) + list(layer.named_buffers()):
                array = value.data.T if isinstance(layer, nn.Linear) and name == "weight" else value.data
                target = getattr(t, name)         # num_batches_tracked: labgrad's (1,), PyTorch's ()
                target.copy_(torch.from_numpy(np.ascontiguousarray(array)).reshape(target.shape))
    return tmodel


def as_images(X, image_shape):
    """Flat rows in [0, 1] as (N, 1, h, w) float32 images, normalised as the labs: (x - 0.5) / 0.5."""
    return ((np.asarray(X, np.float32) - 0.5) / 0.5).reshape((-1, 1) + tuple(image_shape))


def make_optimizer(side, model, lr):
    """Adam(lr) over ``model``'s parameters, labgrad's or PyTorch's (``side == "torch"``)."""
    if side == "torch":
        import torch
        return torch.optim.Adam(model.parameters(), lr=lr)
    return nn.Adam(model.parameters(), lr=lr)


# --- training -------------------------------------------------------------------------------------

def train_epoch(side, model, opt, X, y, order, batch_size, tick=None):
    """One epoch over ``X[order]`` in batches (the last may be short); returns (mean batch loss, seconds).

    labgrad trains through ``nn.fit`` on a DataLoader taking ``order`` as its sampler
    (``side == "compiled"``: ``nn.fit(..., compile=True)``); PyTorch runs the same steps in
    its usual loop. ``tick()`` is called after each batch (a progress bar).
    """
    tick = tick or (lambda: None)
    losses, t0 = [], time.perf_counter()
    if side == "torch":
        import torch
        cross_entropy = torch.nn.functional.cross_entropy
        model.train()
        Xt, yt, idx = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(order)
        for i in range(0, len(order), batch_size):
            b = idx[i:i + batch_size]
            loss = cross_entropy(model(Xt[b]), yt[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            tick()
    else:
        def on_batch(info):
            losses.append(info.loss)
            tick()
        nn.fit(model, nn.functional.cross_entropy, opt, nn.data.DataLoader(X, y, batch_size, sampler=order),
               progress=False, metrics=(), on_batch=on_batch, compile=side == "compiled")
    return float(np.mean(losses)), time.perf_counter() - t0


# --- peak memory: one fresh process per side ------------------------------------------------------

def _resident_kib(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def peak_memory(side, model, X, y, batch_size, lr, threads=1):
    """Memory a training epoch adds, measured in this process (run it in a fresh one): a dict of MiB.

    After setup (model, optimiser, data, imports) the resident-memory high-water mark
    (Linux's VmHWM) is reset (``/proc/self/clear_refs``); ``rss`` is the peak resident
    memory over the batches of ``X`` minus the resident memory after setup: the same
    measure for numpy and PyTorch, allocator slack and freed-but-kept pages included.
    For labgrad, ``traced`` is tracemalloc's peak over a few more batches (bytes asked
    for by numpy and Python, which PyTorch's allocator does not report to tracemalloc).
    Either is None where it cannot be measured (no /proc).
    """
    result = {"rss": None, "traced": None}
    context = torch_threads(threads if side == "torch" else 0)
    blas = contextlib.nullcontext()
    if threads:
        from threadpoolctl import threadpool_limits
        blas = threadpool_limits(limits=threads, user_api="blas")
    with context, blas:
        if side == "torch":
            model = to_torch(model)
        opt = make_optimizer(side, model, lr)
        order = np.arange(len(X))
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")                                   # reset VmHWM to the current resident memory
            before = _resident_kib("VmRSS")
        except OSError:
            before = None
        train_epoch(side, model, opt, X, y, order, batch_size)
        if before is not None:
            result["rss"] = (_resident_kib("VmHWM") - before) / 1024
        if side != "torch":
            n = min(len(X), _TRACED_BATCHES * batch_size)
            tracemalloc.start()
            start, _ = tracemalloc.get_traced_memory()
            train_epoch(side, model, opt, X[:n], y[:n], order[:n], batch_size)
            result["traced"] = (tracemalloc.get_traced_memory()[1] - start) / 2 ** 20
            tracemalloc.stop()
    return result


def _probe(connection, *args):
    try:
        connection.send(peak_memory(*args))
    except Exception as e:                   # shown by the parent, which goes on without this number
        connection.send(f"{type(e).__name__}: {e}")
    connection.close()


def measure_memory(side, model, X, y, batch_size, lr, threads, batches=MEMORY_BATCHES):
    """:func:`peak_memory` of ``side`` over its first ``batches`` batches of ``X``, in a fresh (spawned) process."""
    n = min(len(X), batches * batch_size)
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_probe, args=(send, side, model, X[:n], y[:n], batch_size, lr, threads))
    process.start()
    send.close()
    try:
        result = receive.recv()
    except EOFError:
        result = f"the probe process ended with exit code {process.exitcode}"
    process.join()
    return result


# --- pictures -------------------------------------------------------------------------------------

def feature_maps(model, image):
    """The outputs of the first and second convolutions (model[0] and model[4]) for one (1, h, w) image."""
    model.eval()
    with no_grad():
        x = Tensor(image[None])
        maps = []
        for index, layer in enumerate(model):
            x = layer(x)
            if isinstance(layer, nn.Conv2d):
                maps.append(x.data[0])
            if index == 4:
                break
    model.train()
    return maps


def save_filters(model, path):
    """The first convolution's filters as a grid of pictures (light: positive weights); print the path."""
    weights = model[0].weight.data[:, 0]
    return common.save_images(weights, np.array([f"filter {i}" for i in range(len(weights))]), None, path,
                              max_images=len(weights), ncols=8, cmap="gray",
                              title=f"conv1: the {len(weights)} learned {weights.shape[1]}x{weights.shape[2]} filters")


def save_feature_maps(model, image, label, path_stem):
    """One test image and its feature maps after conv1 and conv2 (first 32 channels each); print the paths."""
    paths = []
    for number, maps in enumerate(feature_maps(model, image), start=1):
        shown = maps[:32]
        pictures, names = shown, [f"ch {i}" for i in range(len(shown))]
        if number == 1:                                   # the input beside the maps of the same size
            pictures, names = np.concatenate([image, shown]), ["input"] + names
        path = path_stem.with_name(f"{path_stem.name}_conv{number}.png")
        paths.append(common.save_images(
            pictures, np.array(names), None, path, max_images=len(pictures), ncols=11 if number == 1 else 8,
            cmap="viridis", title=f"a test image ({label}) after conv{number}: {len(shown)} of {len(maps)} "
                                  f"channels, {maps.shape[1]}x{maps.shape[2]}"))
    return paths


# --- the table ------------------------------------------------------------------------------------

def results_table(results, sides, epochs, n_train, source, machine, training="Adam lr 0.001, batch 64"):
    """The side-by-side markdown table: accuracy, loss, seconds per epoch and peak memory of each side."""
    rows = ["| | " + " | ".join(SIDES[s] for s in sides) + " |", "|---|" + "---|" * len(sides)]

    def row(label, fmt, key):
        rows.append(f"| {label} | " + " | ".join(fmt(results[s][key]) if results[s].get(key) is not None else "-"
                                                 for s in sides) + " |")

    row("test accuracy", "{:.2%}".format, "test_acc")
    row("test cross-entropy", "{:.4f}".format, "test_ce")
    row("last epoch's mean training loss", "{:.4f}".format, "last_loss")
    row("seconds/epoch (mean)", "{:.2f}".format, "s_per_epoch")
    row("seconds/epoch (fastest)", "{:.2f}".format, "s_fastest")
    row(f"peak resident memory a training step adds (MiB, first {MEMORY_BATCHES} batches, fresh process)",
        "{:.1f}".format, "rss")
    row(f"tracemalloc peak (MiB, {_TRACED_BATCHES} batches; numpy arrays and Python objects)",
        "{:.1f}".format, "traced")
    note = f"{epochs} epoch(s) on {n_train} training images of {source}; {training}."
    if len(sides) > 1:
        note += (" Same initial weights (PyTorch's defaults, drawn once with numpy) and the same batch order on "
                 "every side; one epoch of each side in turn.")
    if epochs != 10 or n_train != 60000:
        note += " NOT the issue's setting (10 epochs on 60,000 Fashion-MNIST images): not a result."
    return "\n".join(rows) + f"\n\n{note}\n\nMachine: {machine}\n"


# --- the command line -----------------------------------------------------------------------------

def main(argv=None):
    parser = common.make_parser("fashion_cnn", __doc__.split("\n\n")[0], epochs=10, batch_size=64, lr=1e-3,
                                default_data="fashion-mnist", quick_epochs=2)
    parser.add_argument("--compare-torch", action="store_true",
                        help="also train the network with PyTorch (if installed) from the same weights and batches")
    parser.add_argument("--compile", action="store_true",
                        help="also train a copy through nn.fit(..., compile=True) (bit for bit the eager training)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory probes")
    return common.run_demo(parser.parse_args(argv), _run, "matplotlib")


def _run(args, out):
    sides = ["labgrad"]
    if args.compare_torch:
        try:
            import torch  # noqa: F401  (installed? the sides below import it where they use it)
            sides.insert(0, "torch")
        except ImportError:
            print("--compare-torch: PyTorch is not installed (pip install torch, an optional package): "
                  "training with labgrad only")
    if args.compile:
        sides.append("compiled")

    data = common.load_data(args)
    if data is None:
        return 2
    X, y, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test
    if args.quick:
        X, y, X_test, y_test = X[:1500], y[:1500], X_test[:500], y_test[:500]
    X, X_test = as_images(X, data.image_shape), as_images(X_test, data.image_shape)
    machine = machine_description(args.blas_threads, "torch" in sides)
    print(f"machine: {machine}")

    initial = torch_default_init(make_model(data.image_shape[0], classes=len(data.classes)),
                                 np.random.default_rng(args.seed))
    models = {}
    for s in sides:                              # every side starts from a copy of the same weights
        if s == "torch":
            models[s] = to_torch(initial)
        else:
            models[s] = make_model(data.image_shape[0], classes=len(data.classes))
            models[s].load_state_dict(initial.state_dict())
    opts = {s: make_optimizer(s, models[s], args.lr) for s in sides}
    print(f"network: {' - '.join(type(m).__name__ for m in initial)}, {sum(p.size for p in initial.parameters()):,} "
          f"parameters; first Linear {initial[8].in_features} -> 128 for {data.image_shape[0]}x"
          f"{data.image_shape[1]} images")
    print(f"training: Adam(lr={args.lr:g}), batch {args.batch_size}, {args.epochs} epochs, {len(X)} images, "
          f"sides: {', '.join(SIDES[s] for s in sides)} (one epoch each in turn)")

    results = {s: {"epoch_loss": [], "epoch_time": []} for s in sides}
    batches = len(range(0, len(X), args.batch_size))
    bar = common.progress_bar(args, "training", total=len(sides) * args.epochs * batches)
    for epoch, order in enumerate(epoch_orders(len(X), args.epochs, args.seed), start=1):
        parts = []
        for s in sides:
            ticks = iter(bar(range(batches), f"{SIDES[s]} epoch {epoch}/{args.epochs}"))
            next(ticks, None)                       # the bar shows 0 done; each tick counts one finished batch
            with torch_threads(args.blas_threads if s == "torch" else 0):
                loss, seconds = train_epoch(s, models[s], opts[s], X, y, order, args.batch_size,
                                            lambda: next(ticks, None))
            results[s]["epoch_loss"].append(loss)
            results[s]["epoch_time"].append(seconds)
            parts.append(f"{SIDES[s]} loss {loss:.4f} ({seconds:.1f} s)")
        print(f"epoch {epoch}: " + ", ".join(parts))

    for s in sides:
        r = results[s]
        with torch_threads(args.blas_threads if s == "torch" else 0):
            r["test_acc"], r["test_ce"] = evaluate(models[s], X_test, y_test, "torch" if s == "torch" else "labgrad")
        r["last_loss"] = r["epoch_loss"][-1]
        r["s_per_epoch"], r["s_fastest"] = float(np.mean(r["epoch_time"])), float(np.min(r["epoch_time"]))
        print(f"{SIDES[s]}: test accuracy {r['test_acc']:.4f}, test cross-entropy {r['test_ce']:.4f}, "
              f"{r['s_per_epoch']:.2f} s/epoch")
        common.learned(r["test_acc"], y_test, len(data.classes), what=f"{SIDES[s]} test accuracy")
    if "compiled" in sides:
        same = all(np.array_equal(a.data, b.data) for a, b in zip(
            models["labgrad"].state_dict().values(), models["compiled"].state_dict().values()))
        print(f"compile=True trained bit for bit as eager (every parameter and buffer equal): {same}")
    if not args.no_memory:
        for s in sides:
            measured = measure_memory(s, initial, X, y, args.batch_size, args.lr, args.blas_threads)
            if isinstance(measured, str):
                print(f"{SIDES[s]}: peak memory not measured: {measured}")
            else:
                results[s].update(measured)
                print(f"{SIDES[s]}: peak memory a training step adds: " + (
                    f"{measured['rss']:.1f} MiB resident" if measured["rss"] is not None else "n/a (no /proc)")
                    + (f", tracemalloc {measured['traced']:.1f} MiB" if measured["traced"] is not None else ""))

    table = results_table(results, sides, args.epochs, len(X), f"{data.name} ({data.source})", machine,
                          f"Adam lr {args.lr:g}, batch {args.batch_size}")
    print("\n" + table)
    seconds = {s: results[s]["s_per_epoch"] for s in sides}
    if "torch" in sides:
        print(f"seconds/epoch labgrad / PyTorch: {seconds['labgrad'] / seconds['torch']:.2f}")
    if "compiled" in sides:
        print(f"seconds/epoch compile=True / eager: {seconds['compiled'] / seconds['labgrad']:.2f}")
    if "torch" in sides:
        print(f"test accuracy labgrad - PyTorch: "
              f"{100 * (results['labgrad']['test_acc'] - results['torch']['test_acc']):+.2f} points")
    if args.epochs == 10 and len(X) == 60000 and data.name == "Fashion-MNIST":
        acc = results["labgrad"]["test_acc"]
        print(f"issue 20's target, >= {TARGET_ACCURACY:.0%} test accuracy in 10 epochs: "
              f"{'met' if acc >= TARGET_ACCURACY else 'NOT met'} ({acc:.2%})")
    (out / "results.md").write_text(table)
    common.wrote(out / "results.md")
    common.save_history({"train_loss": results["labgrad"]["epoch_loss"]}, out / "loss.png")
    save_filters(models["labgrad"], out / "filters.png")
    label = data.classes[int(y_test[0])]
    save_feature_maps(models["labgrad"], X_test[0], label, out / "feature_maps")
    common.finish(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
