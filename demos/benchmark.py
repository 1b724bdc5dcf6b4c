"""Speed of labgrad against PyTorch CPU eager and hand-written numpy, side by side in one run.

Two measurements (issue #2):

a) **Per-op overhead.** A 1000-op chain on tiny float32 tensors of shape (8,)
   (``y * w``, ``y + 0.5``, ``tanh`` repeated 333 times, then ``sum``), forward
   and backward. With 8 elements the arithmetic is free, so the time is the
   framework's own bookkeeping per op. Reported in microseconds per op, median
   over repeats. Target: labgrad no slower than PyTorch.

b) **One MLP training epoch.** A 784-256-128-10 ReLU network, softmax
   cross-entropy (mean over the batch, via log_softmax), plain SGD with
   lr 0.01, batch 64, float32, 60,000 samples: labgrad (autograd Tensors only),
   the same network with a manual backward in numpy (the labs' style), and
   PyTorch (``nn.Linear``, ``F.cross_entropy``, ``optim.SGD``). All three start
   from the same He-initialised weights and see the same batches in the same
   order; the first-batch loss and the weights after the epoch are compared
   as a sanity check. Target: labgrad within 1.10x of numpy.

The data are the real Fashion-MNIST training images when
``/usr/share/datasets/fashion-mnist`` exists (Debian's ``dataset-fashion-mnist``),
else random float32 images and random labels of the same shape; the printout
says which. Speed does not depend on the values.

Usage::

    python -m demos.benchmark            # full run, about 2 minutes on 2 cores
    python -m demos.benchmark --quick    # smoke run, a few seconds
    python -m demos.benchmark --epochs 5 --repeats 31 --random-data

How the reference numbers were produced: ``python -m demos.benchmark`` on a
2-core AMD EPYC (KVM) with numpy 2.4 (scipy-openblas 0.3.31, 2 threads,
Haswell kernels) and torch 2.13 CPU (2 threads), nothing else running.
``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` were not set in that environment;
setting ``OPENBLAS_CORETYPE=Zen`` or ``Haswell`` for the command changed the
numpy epoch time by less than the run-to-run noise (a few percent). The
benchmark prints any ``OPENBLAS_*`` variables it sees.
"""
import argparse
import gc
import gzip
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from autograd import Tensor

__all__ = ["main"]

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
SIZES = (784, 256, 128, 10)
LR = 0.01
BATCH = 64


# --- machine ----------------------------------------------------------------------------

def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(f"{i['internal_api']} {i.get('version')} ({i.get('architecture')}, "
                     f"{i['num_threads']} threads)" for i in infos) or "unknown"


def print_machine(have_torch):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"CPU     : {_cpu_model()}, {cores} cores available ({os.cpu_count()} online)")
    print(f"python  : {platform.python_version()}, numpy {np.__version__}, BLAS {_blas()}")
    if have_torch:
        worker = _start_workers(["torch"])["torch"]
        version, threads = worker.submit(_info).result()
        worker.shutdown()
        print(f"torch   : {version}, {threads} threads (the machine default), CPU eager")
    else:
        print("torch   : torch not installed")
    blas_env = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")}
    print(f"env     : {blas_env or 'no OPENBLAS_* variables set'}")
    print("method  : each implementation runs in its own process (numpy's OpenBLAS and torch's OpenMP "
          "threads\n          spin-wait and would fight over the cores); rounds are interleaved, one process at a time")


def _row(cells, widths):
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    print(_row(header, widths))
    print(_row(["-" * w for w in widths], widths))
    for r in rows:
        print(_row(r, widths))


# --- a) per-op overhead -----------------------------------------------------------------

def chain_labgrad(x0, w0, cycles):
    """Seconds for the forward and the backward of the chain."""
    x = Tensor(x0, requires_grad=True)
    w = Tensor(w0, requires_grad=True)
    t0 = time.perf_counter()
    y = x
    for _ in range(cycles):
        y = y * w
        y = y + 0.5
        y = y.tanh()
    loss = y.sum()
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, x.grad


def chain_torch(torch, x0, w0, cycles):
    x = torch.tensor(x0, requires_grad=True)
    w = torch.tensor(w0, requires_grad=True)
    t0 = time.perf_counter()
    y = x
    for _ in range(cycles):
        y = y * w
        y = y + 0.5
        y = y.tanh()
    loss = y.sum()
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, x.grad.numpy()


def bench_overhead(torch, repeats, cycles=333):
    n_ops = 3 * cycles + 1
    print(f"\n== a) per-op overhead: {n_ops}-op chain (y*w, y+0.5, tanh)x{cycles} + sum "
          f"on float32 tensors of shape (8,), forward + backward; median of {repeats} repeats ==")
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(8).astype(np.float32)
    w0 = rng.uniform(0.5, 1.5, 8).astype(np.float32)
    runners = {"labgrad": lambda: chain_labgrad(x0, w0, cycles)}
    if torch is not None:
        runners["torch"] = lambda: chain_torch(torch, x0, w0, cycles)
    results = {}
    for name, run in runners.items():
        run()                                           # warm-up
    times = {name: [] for name in runners}
    for _ in range(repeats):                            # interleaved, so drift hits both alike
        for name, run in runners.items():
            fwd, bwd, grad = run()
            times[name].append((fwd, bwd))
            results[name] = grad
    rows, per_op = [], {}
    for name, ts in times.items():
        fwd = statistics.median(t[0] for t in ts) / n_ops * 1e6
        bwd = statistics.median(t[1] for t in ts) / n_ops * 1e6
        tot = statistics.median(t[0] + t[1] for t in ts) / n_ops * 1e6
        per_op[name] = tot
        rows.append([name, f"{fwd:.2f}", f"{bwd:.2f}", f"{tot:.2f}"])
    header = ["", "forward us/op", "backward us/op", "fwd+bwd us/op"]
    if torch is not None:
        for r, name in zip(rows, times):
            r.append(f"{per_op[name] / per_op['torch']:.2f}x")
        header.append("vs torch")
    print_table(header, rows)
    if torch is None:
        print("torch not installed: labgrad only")
    else:
        err = np.abs(results["labgrad"] - results["torch"]).max()
        print(f"sanity: max |dx labgrad - dx torch| = {err:.1e}")
        verdict = "met" if per_op["labgrad"] <= per_op["torch"] else "NOT met"
        print(f"target labgrad <= torch per op: {verdict} "
              f"({per_op['labgrad']:.2f} vs {per_op['torch']:.2f} us/op)")
    return per_op


# --- b) MLP epoch -----------------------------------------------------------------------

def _read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load_data(n, random_data):
    """``n`` float32 images (n, 784) in [0, 1] and int64 labels, and a description."""
    if not random_data and (FASHION_MNIST / "train-images-idx3-ubyte.gz").exists():
        images = _read_idx(FASHION_MNIST / "train-images-idx3-ubyte.gz", 16).reshape(-1, 784)
        labels = _read_idx(FASHION_MNIST / "train-labels-idx1-ubyte.gz", 8)
        x = (images[:n].astype(np.float32) / 255).astype(np.float32)
        return x, labels[:n].astype(np.int64), f"real Fashion-MNIST training images ({FASHION_MNIST})"
    rng = np.random.default_rng(1)
    x = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return x, y, "random float32 data of shape (n, 784) and random labels 0-9 (Fashion-MNIST-sized)"


def he_init(seed=0):
    """[(W, b), ...] float32, W of shape (in, out) ~ N(0, 2/in), b = 0."""
    rng = np.random.default_rng(seed)
    return [((rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(np.float32),
             np.zeros(n_out, dtype=np.float32)) for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]


def batches(x, y):
    for i in range(0, len(x), BATCH):
        yield x[i:i + BATCH], y[i:i + BATCH]


def epoch_labgrad(params, x, y):
    """One SGD epoch with autograd Tensors; returns the loss of every batch."""
    eye = np.eye(10, dtype=np.float32)
    params = [(Tensor(W, requires_grad=True), Tensor(b, requires_grad=True)) for W, b in params]
    losses = []
    for xb, yb in batches(x, y):
        h = Tensor(xb)
        for i, (W, b) in enumerate(params):
            h = h @ W + b
            if i < len(params) - 1:
                h = h.relu()
        loss = -(h.log_softmax() * eye[yb]).sum() / len(xb)
        loss.backward()
        for W, b in params:
            W.data -= LR * W.grad
            b.data -= LR * b.grad
            W.grad = b.grad = None
        losses.append(loss.item())
    return losses, [(W.data, b.data) for W, b in params]


def epoch_numpy(params, x, y):
    """The same epoch with a hand-written forward and backward, as in the labs."""
    eye = np.eye(10, dtype=np.float32)
    (W1, b1), (W2, b2), (W3, b3) = params
    losses = []
    for xb, yb in batches(x, y):
        m = len(xb)
        # forward
        z1 = xb @ W1 + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ W2 + b2
        a2 = np.maximum(z2, 0)
        z3 = a2 @ W3 + b3
        shifted = z3 - z3.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        onehot = eye[yb]
        loss = -((shifted - np.log(s)) * onehot).sum() / m
        # backward: d loss / d z3 = (softmax - onehot) / m
        dz3 = (e / s - onehot) / m
        dW3, db3 = a2.T @ dz3, dz3.sum(axis=0)
        dz2 = (dz3 @ W3.T) * (z2 > 0)
        dW2, db2 = a1.T @ dz2, dz2.sum(axis=0)
        dz1 = (dz2 @ W2.T) * (z1 > 0)
        dW1, db1 = xb.T @ dz1, dz1.sum(axis=0)
        # SGD
        W1 -= LR * dW1; b1 -= LR * db1                  # noqa: E702
        W2 -= LR * dW2; b2 -= LR * db2                  # noqa: E702
        W3 -= LR * dW3; b3 -= LR * db3                  # noqa: E702
        losses.append(float(loss))
    return losses, [(W1, b1), (W2, b2), (W3, b3)]


def epoch_torch(torch, params, x, y):
    nn, F = torch.nn, torch.nn.functional
    layers = []
    for i, (W, b) in enumerate(params):
        lin = nn.Linear(*W.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, nn.ReLU()] if i < len(params) - 1 else [lin]
    model = nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    losses = []
    for i in range(0, len(x), BATCH):
        loss = F.cross_entropy(model(xt[i:i + BATCH]), yt[i:i + BATCH])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    lins = [m for m in model if isinstance(m, nn.Linear)]
    return losses, [(m.weight.detach().numpy().T, m.bias.detach().numpy()) for m in lins]


def _copy(params):
    return [(W.copy(), b.copy()) for W, b in params]


# --- workers: each framework runs in its own process -----------------------------------
# OpenBLAS (numpy) and OpenMP (torch) both keep worker threads spinning for a while
# after each call; in one process on 2 cores they steal each other's cores and both
# slow down many times over. So every implementation is timed in its own process,
# the rounds are interleaved, and only one process computes at a time.

_worker = {}


def _init_worker(impl, data_path):
    _worker["impl"] = impl
    if impl == "torch":
        import torch
        torch.set_num_threads(torch.get_num_threads())   # the machine default, stated explicitly
        _worker["torch"] = torch
    if data_path is not None:
        data = np.load(data_path)
        _worker["x"], _worker["y"] = data["x"], data["y"]


def _info():
    torch = _worker.get("torch")
    return None if torch is None else (torch.__version__, torch.get_num_threads())


def _chain(x0, w0, cycles):
    impl = _worker["impl"]
    if impl == "torch":
        return chain_torch(_worker["torch"], x0, w0, cycles)
    return chain_labgrad(x0, w0, cycles)


def _epoch(params):
    """(seconds, per-batch losses, trained params) for one epoch of this worker's implementation."""
    impl, x, y = _worker["impl"], _worker["x"], _worker["y"]
    gc.collect()
    t0 = time.perf_counter()
    if impl == "torch":
        losses, trained = epoch_torch(_worker["torch"], params, x, y)
    elif impl == "labgrad":
        losses, trained = epoch_labgrad(params, x, y)
    else:
        losses, trained = epoch_numpy(params, x, y)
    return time.perf_counter() - t0, losses, trained


def _start_workers(impls, data_path=None):
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context
    return {impl: ProcessPoolExecutor(1, get_context("spawn"), _init_worker, (impl, data_path))
            for impl in impls}


def _call(worker, fn, *args):
    result = worker.submit(fn, *args).result()
    time.sleep(0.05)                     # let the finished process's threads go idle
    return result


# --- the two benchmarks ---------------------------------------------------------------------

def bench_overhead(have_torch, repeats, cycles=333):
    n_ops = 3 * cycles + 1
    print(f"\n== a) per-op overhead: {n_ops}-op chain (y*w, y+0.5, tanh)x{cycles} + sum "
          f"on float32 tensors of shape (8,), forward + backward; median of {repeats} repeats ==")
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(8).astype(np.float32)
    w0 = rng.uniform(0.5, 1.5, 8).astype(np.float32)
    impls = ["labgrad", "torch"] if have_torch else ["labgrad"]
    workers = _start_workers(impls)
    try:
        times, grads = {impl: [] for impl in impls}, {}
        for i in range(repeats + 1):                 # interleaved; the first round is a warm-up
            for impl in impls:
                fwd, bwd, grads[impl] = _call(workers[impl], _chain, x0, w0, cycles)
                if i:
                    times[impl].append((fwd, bwd))
    finally:
        for w in workers.values():
            w.shutdown()
    rows, per_op = [], {}
    for impl, ts in times.items():
        fwd, bwd, tot = (statistics.median(f(t) for t in ts) / n_ops * 1e6
                         for f in (lambda t: t[0], lambda t: t[1], sum))
        per_op[impl] = tot
        rows.append([impl, f"{fwd:.2f}", f"{bwd:.2f}", f"{tot:.2f}"])
    header = ["", "forward us/op", "backward us/op", "fwd+bwd us/op"]
    if have_torch:
        header.append("vs torch")
        for r, impl in zip(rows, impls):
            r.append(f"{per_op[impl] / per_op['torch']:.2f}x")
    print_table(header, rows)
    if not have_torch:
        print("torch not installed: labgrad only")
        return per_op
    err = np.abs(grads["labgrad"] - grads["torch"]).max()
    print(f"sanity: max |dx labgrad - dx torch| = {err:.1e}")
    verdict = "met" if per_op["labgrad"] <= per_op["torch"] else "NOT met"
    print(f"target labgrad <= torch per op: {verdict} ({per_op['labgrad']:.2f} vs {per_op['torch']:.2f} us/op)")
    return per_op


def bench_mlp(have_torch, epochs, n, random_data):
    import tempfile
    x, y, what = load_data(n, random_data)
    order = np.random.default_rng(2).permutation(len(x))
    x, y = np.ascontiguousarray(x[order]), y[order]       # shuffled once: batches are plain slices
    n_batches = -(-len(x) // BATCH)
    print(f"\n== b) one training epoch: MLP {'-'.join(map(str, SIZES))} ReLU, softmax cross-entropy (mean), "
          f"SGD lr {LR}, batch {BATCH}, float32, {len(x)} samples ({n_batches} batches); "
          f"best and median of {epochs} epochs ==")
    print(f"data: {what}")
    init = he_init()
    impls = ["numpy", "labgrad"] + (["torch"] if have_torch else [])
    names = {"numpy": "numpy (hand-written)", "labgrad": "labgrad", "torch": "torch"}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npz")
        np.savez(path, x=x, y=y)
        workers = _start_workers(impls, path)
        try:
            for w in workers.values():               # wait until every worker has loaded the data
                w.submit(_info).result()
            times, results = {impl: [] for impl in impls}, {}
            for _ in range(epochs):                  # interleaved rounds, each epoch from the same init
                for impl in impls:
                    seconds, losses, trained = _call(workers[impl], _epoch, init)
                    times[impl].append(seconds)
                    results[impl] = losses, trained
        finally:
            for w in workers.values():
                w.shutdown()
    best = {impl: min(ts) for impl, ts in times.items()}
    refs = [r for r in ("numpy", "torch") if r in impls]
    header = ["", "best s/epoch", "median s/epoch", "ms/batch"] + [f"vs {r}" for r in refs]
    rows = [[names[impl], f"{best[impl]:.3f}", f"{statistics.median(ts):.3f}",
             f"{best[impl] / n_batches * 1e3:.3f}"] + [f"{best[impl] / best[r]:.2f}x" for r in refs]
            for impl, ts in times.items()]
    print_table(header, rows)
    # sanity: the same first-batch loss, and the same weights after the epoch
    first = {impl: r[0][0] for impl, r in results.items()}
    print("sanity: first-batch loss " + ", ".join(f"{names[k]} {v:.6f}" for k, v in first.items()))
    drift = {impl: max(float(np.abs(a - b).max()) for pa, pb in zip(r[1], results["labgrad"][1])
                       for a, b in zip(pa, pb))
             for impl, r in results.items() if impl != "labgrad"}
    print("sanity: after one epoch, max |weight - labgrad's weight|: "
          + ", ".join(f"{names[k]} {v:.1e}" for k, v in drift.items())
          + f"; last-batch loss: labgrad {results['labgrad'][0][-1]:.4f}")
    ok = np.allclose(list(first.values()), first["labgrad"], rtol=1e-5) and all(v < 1e-3 for v in drift.values())
    print(f"sanity: {'the implementations agree' if ok else 'MISMATCH between the implementations'}")
    ratio = best["labgrad"] / best["numpy"]
    print(f"target labgrad <= 1.10x numpy: {'met' if ratio <= 1.10 else 'NOT met'} ({ratio:.2f}x)")
    return times


def main(argv=None):
    import importlib.util
    parser = argparse.ArgumentParser(prog="python -m demos.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: few repeats, 6,400 samples, 1 epoch")
    parser.add_argument("--repeats", type=int, default=None, help="repeats of the op chain (default 51)")
    parser.add_argument("--epochs", type=int, default=None, help="timed epochs per implementation (default 5)")
    parser.add_argument("--samples", type=int, default=None, help="training samples per epoch (default 60000)")
    parser.add_argument("--random-data", action="store_true", help="random data even if Fashion-MNIST exists")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    parser.add_argument("--skip-overhead", action="store_true", help="skip benchmark a)")
    parser.add_argument("--skip-mlp", action="store_true", help="skip benchmark b)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (5 if args.quick else 51)
    epochs = args.epochs or (1 if args.quick else 5)
    samples = args.samples or (6400 if args.quick else 60000)
    have_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    print_machine(have_torch)
    if not args.skip_overhead:
        bench_overhead(have_torch, repeats)
    if not args.skip_mlp:
        bench_mlp(have_torch, epochs, samples, args.random_data)


if __name__ == "__main__":
    main()
