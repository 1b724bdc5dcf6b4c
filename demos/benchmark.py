"""Speed of labgrad against PyTorch CPU eager and hand-written numpy, side by side in one run.

Two measurements (issue #2), the backprop player's figures (issue #16), the function transforms (issue #18),
for issue #19 the lab's ComplexNet against PyTorch, the captured step (:func:`autograd.compile`) in b) and e)
and micrograd's moons MLP, and for issue #20 the convolutions and the CNN lab against PyTorch:

a) **Per-op overhead.** A 1000-op chain on tiny float32 tensors of shape (8,)
   (``y * w``, ``y + 0.5``, ``tanh`` repeated 333 times, then ``sum``), forward
   and backward. With 8 elements the arithmetic costs next to nothing, so the
   time is the framework's own bookkeeping per op. Reported in microseconds per
   op, median over repeats. Target: labgrad at most 0.8x PyTorch's time (issue #19).

b) **One MLP training epoch.** A 784-256-128-10 ReLU network, softmax
   cross-entropy (mean over the batch, via log_softmax), plain SGD with
   lr 0.01, batch 64, float32, 60,000 samples: labgrad as a user writes it
   (``nn.Linear`` with ``W`` of shape (in, out), ``F.cross_entropy``, ``nn.optim.SGD``),
   the same network with a hand-written backward in numpy (the labs' style:
   ``softmax - onehot``), and PyTorch (``nn.Linear``, ``F.cross_entropy``,
   ``optim.SGD``). All three start from the same He-initialised weights and see
   the same batches in the same order; the first-batch loss, the mean loss of
   the epoch and the weights after it are compared as a sanity check. All three
   train weights that start on 64-byte boundaries: labgrad's and PyTorch's own
   (both allocate parameters that way; the initial values are copied in) and,
   for numpy, copies made so (:func:`nn.init.aligned_copy`).
   Reported in seconds per epoch (best, median, mean). Target: labgrad within
   1.10x of numpy, on the total time of the paired epochs (see below).
   labgrad's SGD updates a weight in one pass (BLAS ``axpy``, :mod:`nn.blas`),
   the numpy loop in two (``W -= LR * dW``); ``--unfused-sgd`` gives labgrad the
   numpy loop's update (``nn.optim.SGD(..., fused=False)``, PyTorch's flag), which
   leaves the per-op bookkeeping as the only difference.
   Two more rows (issue #19): **labgrad compiled**, the same labgrad epoch with its step
   (``zero_grad``, forward, loss, ``backward``, ``step``) through :func:`autograd.compile`
   and ``loss.item()`` read outside the step. labgrad eager and compiled each keep one
   model, optimiser and step for all the timed epochs, as a user trains (made before the
   first, untimed, as numpy's copies of the weights are; the weights set back to the start
   before each epoch): the compiled step records its first two batches and the first batch
   of the short last batch's shape in the first timed epoch, and that shape's second
   (checking) recording in the second (each costs an eager step or two, about 2 ms on the
   tiny net), and replays everywhere else, as ``nn.fit(..., compile=True)`` over epochs
   does (until 2026-12-07 each epoch made a new step and paid 3 recordings); compiled must
   equal eager bit for bit in every epoch; and the **GEMM floor**, the numpy
   epoch's 8 matrix products per batch alone (3 forward; each layer's ``dW`` and the
   two ``dX`` of the backward) on the same shapes, with no elementwise work and no
   update: what no implementation of this step can go below with this BLAS. Both are
   paired with numpy and labgrad eager in the same worker. Sanity: labgrad compiled's
   batch losses and final weights must equal labgrad eager's bit for bit (a replay is
   the eager step; a difference is printed as a MISMATCH, with the first batch or
   weight that differs) and agree with numpy's as eager's do; the GEMM floor, which
   trains nothing, only has to run every batch. Targets (issue #19), on the total time
   of the paired epochs: compiled at most 0.85x numpy and 1.5x the GEMM floor on the
   784-256-128-10 net; with ``--sizes`` (the tiny 8-6-4-10 net, where only the per-step
   overhead is left) compiled at most 1.1x numpy.

c) **The backprop player** (``viz.player``, issue #16): the size in bytes of the
   player page (``.html``) of a 50-node graph, and the time to write the player of a
   1,000-node graph: ``viz.player(root)`` plus ``p.save("player.html")``, median of
   a few runs (target: under 2 s). The graph is :func:`player_graph`: a chain of
   ``h = tanh(h * w_i)`` on float32 tensors of shape (8,), each ``w_i`` a leaf of its
   own, summed at the end; every node is a tensor or an op of the scene, as
   ``max_nodes`` counts them. It runs in the main process once the workers are gone.

d) **Function transforms** (issue #18): ``autograd.func`` against PyTorch's ``torch.func``
   on a 784-64-10 tanh MLP, float32, the same weights on both sides (each side's own
   layout: labgrad's ``W`` is (in, out), torch's ``F.linear`` weight its transpose):
   the Jacobian of the 10 outputs with respect to one input (10 x 784) by ``jacrev``
   (one backward walk with a batch of 10 seeds) and by ``jacfwd`` (one forward pass
   with a batch of 784 tangents), and the Hessian-vector product of the softmax
   cross-entropy (mean over a batch of 64) with respect to the four parameters
   (50,890 numbers) along a random direction: ``func.hvp(loss, params, vs)`` against
   ``torch.func.jvp(torch.func.grad(loss, argnums=(0, 1, 2, 3)), params, vs)[1]``
   (forward over reverse on both sides). Reported in milliseconds per call, the
   median over rounds in which the two workers take turns (a block of calls of about
   0.1 s each, the order flipping every time), as labgrad / torch.func ratios.
   Target: at most 1.0x torch.func's time for each of the three. Before timing, each
   result is computed once and compared: labgrad against torch.func, ``jacfwd``
   against ``jacrev``, and ``hvp`` against a central difference of labgrad's gradient
   in float64, so a fast wrong answer shows as a mismatch. It runs while the workers
   are up, so it is printed after b) and before c).

e) **The lab's ComplexNet** (seed 004, issue #19): one training epoch of
   :class:`demos.fashion_mnist.ComplexNet` (784-512-256-128-10, BatchNorm1d and
   LeakyReLU(0.2) after each hidden Linear, cross-entropy, Adam lr 1e-3 weight decay
   1e-5, batch 64, float32) built, trained and evaluated by that demo's public
   functions (``lab_init``, ``to_torch``, ``epoch_orders``, ``train_epoch``, ``evaluate``):
   the same initial weights and the same batch order on both sides. Whole epochs of
   60,000 samples (``--samples``) alternate between the two workers, the order
   flipping every epoch (3 epochs each, ``--complexnet-epochs``; a whole epoch took
   about 4 s here, short enough to take in turn, and training continues from one epoch
   to the next as in the lab). Reported in seconds per epoch (best, median, mean) with the
   ratio of the means; after the timed epochs each side's test accuracy
   (BatchNorm in evaluation mode) and its mean loss epoch by epoch are compared,
   so a fast wrong run shows as a mismatch. Target: labgrad at most 0.9x PyTorch's
   time with the same accuracy. labgrad's worker trains a second model from the same
   weights with ``train_epoch(..., compile=True)`` (``nn.fit``'s ``compile``: each
   epoch's ``fit`` records its first two batches and the last batch's shape twice, in
   the timed epoch), its epochs taking their turn with the other two; its mean losses
   epoch by epoch and its test accuracy must be eager labgrad's bit for bit, and its
   target is the same 0.9x PyTorch. It runs while the workers are up, after d).

f) **micrograd's moons MLP as 0-d tensors** (issue #19): the network of micrograd's
   demo, an MLP 2-16-16-1 of scalar neurons (``sum(w_i * x_i) + b``, ReLU on the
   hidden layers), its max-margin loss ``mean((1 - y_i * score_i).relu()) + 1e-4 *
   sum(p * p)`` and plain SGD (lr 0.1, constant), the batch all 100 points of two noisy
   half circles (:func:`make_moons`, numpy, seeded; sklearn's ``make_moons`` without
   sklearn), written with labgrad's float64 0-d Tensors, the data through Tensor ops
   (``X[i, j]``): about 65,000 ops per step. labgrad eager; labgrad compiled, the whole
   step through :func:`autograd.compile` (a tape of plain Python float arithmetic), whose
   two recording calls take several seconds and are reported apart, only replays
   being timed; and micrograd itself (``micrograd.engine.Value``, ``micrograd.nn.MLP``,
   the same initial weights) when it is importable (not a dependency). Before timing,
   three steps of each from the same weights: labgrad compiled's losses must be eager's
   bit for bit (the third is a replay), micrograd's within 1e-12. Reported in ms per
   step and us per node (the ops of one step's graph, counted from the loss: the same
   count for labgrad and micrograd), the median over rounds taken in turn, twice: as a
   user runs it, and with Python's cyclic garbage collector off during the step
   (micrograd's graph is full of reference cycles, which only the collector frees, and
   the collector's passes over tens of thousands of young objects cost labgrad eager
   too). Target: compiled at most 1.5 us per node. Pure Python and single-threaded: it
   runs in the main process once the workers are gone, after c).

g) **The CNN lab** (issue #20), in two parts, against PyTorch. First **conv2d** alone:
   ``autograd.conv2d(x, w, padding=1)`` and its ``backward(g)`` from a given upstream
   gradient ``g`` (no bias) against ``torch.nn.functional.conv2d`` and ``out.backward(g)``,
   float32, at the CNN's two shapes, (64, 1, 28, 28) x weight (32, 1, 3, 3) and
   (64, 32, 14, 14) x weight (64, 32, 3, 3) (:func:`conv_problem`). Reported in ms per call
   (forward + backward), best and median over rounds in which the two workers take turns
   (blocks of calls of about 0.2 s, the order flipping every time), with the labgrad / torch
   ratios. Before timing, both compute the output and the gradients of ``x`` and ``w`` once
   from the same arrays, which must agree within ``AGREE_RTOL`` of their largest entry.
   Target: labgrad at most 1.5x torch's median time for each shape. Then **one training
   epoch** of :mod:`demos.fashion_cnn`'s network (Conv2d(1, 32, 3, padding 1), BatchNorm2d,
   ReLU, MaxPool2d(2), Conv2d(32, 64, 3, padding 1), ReLU, MaxPool2d(2), Linear(3136, 128),
   ReLU, Linear(128, 10); cross-entropy, Adam lr 1e-3, batch 64, float32) built and trained by
   that demo's public functions (``make_model``, ``torch_default_init``, ``to_torch``,
   ``make_optimizer``, ``train_epoch``, ``measure_memory``; ``epoch_orders`` and ``evaluate``
   of :mod:`demos.fashion_mnist`): labgrad eager, labgrad with ``compile=True`` (``nn.fit``'s,
   recording its first batches in the timed epoch) and PyTorch, from the same initial weights
   and the same batch orders, whole epochs in turn (the order flipping every epoch), as e).
   An epoch is 12,800 images by default (``--cnn-samples``; 200 batches), two epochs per side
   (``--cnn-epochs``), so that g) stays a few minutes: on the shared 2-core VM where it was
   written (2026-12, loaded by other work), a whole epoch of 60,000 images scaled to 1-2 min for
   PyTorch and 1-4 min for labgrad (1 and 2 threads), 6-20 min for three sides and two epochs.
   Reported in seconds per epoch (best, median, mean), ms per batch and the
   mean scaled to 60,000 images, with the ratio of the means to PyTorch's. Sanity: the mean
   loss epoch by epoch and the test accuracy afterwards agree with PyTorch's (2%, 1.5 points),
   and the compiled model's are eager's bit for bit. Beside them, the peak memory of training:
   the demo's probe, a fresh process per side running the first 30 batches, the resident
   memory a training step adds (VmHWM above the memory after setup), and for labgrad
   tracemalloc's peak. Target: labgrad eager and compiled each at most 1.5x PyTorch's time per
   epoch, with the same accuracy. It runs while the workers are up, after e) (the memory
   probes are processes of their own).

Why the alignment: numpy arrays start wherever ``malloc`` puts them, 16-byte
boundaries with glibc, and on an AVX-512 Xeon the in-place update
``W -= lr * dW`` of the (784, 256) weight took 240 us instead of 120 us when ``W``
did not start on a 64-byte boundary (three times in four, by chance), about 15%
of a whole training step. Before the copies were aligned, which implementation
drew the unlucky address decided the ratio: 1.0x to 1.25x from one epoch (or run)
to the next with the code unchanged, stable within an epoch.

The data are the real Fashion-MNIST training images when :func:`nn.data.locate`
finds them (``$LABGRAD_FASHION_MNIST_DIR``, ``$LABGRAD_DATA/fashion-mnist``, Debian's
``/usr/share/datasets/fashion-mnist`` from ``dataset-fashion-mnist``, the user cache;
never downloaded), else random float32 images and random labels 0-9 of the same
shape; the printout says which. Speed does not depend on the values.

labgrad (with numpy's BLAS) and PyTorch run in two worker processes, started
once and used by a) and b): numpy's OpenBLAS and torch's OpenMP keep their
threads spinning for a while after each call, and in one process on 2 cores
they steal each other's cores (both ran 10-30x slower when interleaved in one
process here). Only one worker computes at a time, with a short pause between
tasks for the spinning threads to go idle, and whole epochs are interleaved
across the workers.

numpy and labgrad share one BLAS, so in b) they share one worker and are
*paired*: their epochs (numpy, labgrad eager, labgrad compiled, the GEMM floor) run
side by side, 25 batches of one, then 25 of the next (about 15 ms each, the order
flipping every round), and the targets are
checked on their total time over all epochs. On the 2-core VM where this was
written, one epoch took anywhere from 0.47 to 1.0 s from one minute to the
next, for any implementation: with whole epochs in turn, "best of 5" over
"best of 5" swung between 1.09x and 1.19x from run to run with the code
unchanged, while paired epochs see the same machine. (Chunks across separate
processes were tried before: every resumption woke sleeping threads and paid
for cold caches, inflating all epoch times by 20-50%; within one process there
is neither pause nor wake-up.) The table shows best, median and mean epochs;
best over best is printed as well.

Usage::

    python -m demos.benchmark              # full run: a few minutes on an idle 2-core machine
    python -m demos.benchmark --quick      # smoke run, under a minute (some of it starting processes)
    python -m demos.benchmark --epochs 3 --repeats 21 --threads 1 --random-data
    python -m demos.benchmark --skip-overhead --sizes 8,6,4,10   # a tiny net: only per-step overhead left
    python -m demos.benchmark --skip-overhead --unfused-sgd      # labgrad's SGD as numpy's two passes
    python -m demos.benchmark --skip-overhead --skip-mlp --skip-transforms --skip-complexnet --skip-moons \\
                              --skip-cnn   # c) alone
    python -m demos.benchmark --skip-overhead --skip-mlp --skip-player --skip-complexnet --skip-moons \\
                              --skip-cnn   # d) alone
    python -m demos.benchmark --skip-overhead --skip-mlp --skip-player --skip-transforms --skip-moons \\
                              --skip-cnn   # e) alone
    python -m demos.benchmark --skip-overhead --skip-mlp --skip-player --skip-transforms --skip-complexnet \\
                              --skip-cnn --no-torch   # f) alone (the workers still start; --quick: 10 points,
                                                      # an MLP 2-4-1)
    python -m demos.benchmark --skip-overhead --skip-mlp --skip-player --skip-transforms --skip-complexnet \\
                              --skip-moons   # g) alone (--cnn-samples 60000 --cnn-epochs 1: a whole epoch a side)

How it was run: ``python -m demos.benchmark`` with the default settings on
2-core VMs (KVM), a 2-core AMD EPYC until the morning of 2026-12-02 and an Intel
Xeon with AVX-512 (OpenBLAS SkylakeX kernels) since, Python 3.11, numpy 2.4
(scipy-openblas 0.3.31, 2 threads), torch 2.13 CPU (MKL, 2 threads), with the machine
otherwise idle: on a loaded machine multi-threaded BLAS (both numpy's and
torch's) degrades badly and the numbers mean little (``--threads 1`` helps).
Even idle, absolute times on that VM varied by up to 2x from run to run; the
ratios between the implementations varied much less.
The printout shows any ``OPENBLAS_*`` variable of the environment (on
2026-12-02 the VM set ``OPENBLAS_CORETYPE=Haswell`` and ``OPENBLAS_L2_SIZE=512``;
on earlier days neither). Setting ``OPENBLAS_CORETYPE=Haswell`` or ``Zen``, or
``OPENBLAS_L2_SIZE=1048576`` or ``512``, changed the numpy epoch by at most
about 5%, within run-to-run noise, and a 64x784 @ 784x256 sgemm by nothing
measurable on the idle machine.
``--unset-openblas-env`` removes both from the workers' environment, for the
benchmark only.
"""
import argparse
import contextlib
import functools
import gc
import importlib.util
import os
import platform
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

import nn.data
from autograd import Tensor
from nn import blas
from nn.init import aligned_copy

__all__ = ["main", "load_data", "he_init", "labgrad_trainer", "epoch_labgrad", "epoch_numpy", "epoch_torch",
           "chain_labgrad", "chain_torch", "worker_state", "init_worker", "worker_info", "start_epoch", "train_paired",
           "player_graph", "bench_player", "transform_problem", "transforms_labgrad", "transforms_torch",
           "start_transforms", "transform_results", "hvp_by_differences", "time_transform", "compare_transforms",
           "transforms_agree", "timed_in_turn", "bench_transforms", "load_complexnet_data", "start_complexnet",
           "complexnet_epoch", "complexnet_accuracy", "complexnet_agree", "complexnet_compiled_difference",
           "epochs_in_turn", "report_epochs", "bench_complexnet", "epoch_gemm", "mlp_sanity", "bitwise_difference",
           "make_moons", "moons_init", "moons_labgrad", "moons_micrograd", "count_nodes", "moons_difference",
           "bench_moons", "conv_problem", "conv_labgrad", "conv_torch", "start_conv", "conv_results", "time_conv",
           "compare_conv", "bench_conv", "load_cnn_data", "cnn_initial", "start_cnn", "cnn_epoch", "cnn_accuracy",
           "bench_cnn"]

SIZES = (784, 256, 128, 10)
DEFAULT_SIZES = SIZES               # b)'s targets for this net; another (--sizes) gets the tiny net's
MLP_NAMES = {"numpy": "numpy (hand-written)", "labgrad": "labgrad eager", "labgrad compiled": "labgrad compiled",
             "gemm": "GEMM floor", "torch": "torch"}
LR = 0.01
BATCH = 64
CHAIN_CYCLES = 333                  # (y*w, y+0.5, tanh) x 333 + sum = 1000 ops
PER_OP_BOUND = 0.8                  # a)'s target (issue #19: eager keeps its per-op figure at most 0.8x PyTorch's)
PAIRED_CHUNK = 25                   # batches of numpy, then of labgrad, in turn (about 15 ms each)
TRANSFORM_SIZES = (784, 64, 10)     # d): the MLP of the function transforms
TRANSFORMS = ("jacrev", "jacfwd", "hvp")
AGREE_RTOL = 1e-4                   # d)'s sanity: float32 results within this fraction of the largest entry
COMPLEXNET_SEED = 4                 # e): the weights (lab_init) and the batch orders (epoch_orders)
COMPLEXNET_TEST = 10000             # e): test images for the accuracy after the timed epochs
MOONS_SIZES = (2, 16, 16, 1)        # f): micrograd's demo network
MOONS_POINTS = 100                  # f): the batch, all of the data (micrograd's demo)
MOONS_NOISE, MOONS_SEED = 0.1, 0
MOONS_ALPHA = 1e-4                  # f): the L2 term of micrograd's demo loss
MOONS_LR = 0.1                      # f): plain SGD (the demo decays its rate from 1.0; a constant one here)
CONV_SHAPES = (((64, 1, 28, 28), (32, 1, 3, 3)),       # g): the CNN's two convolutions (input, weight)
               ((64, 32, 14, 14), (64, 32, 3, 3)))
CONV_PADDING = 1
CONV_SEED = 5
CNN_SEED = 20                       # g): the initial weights (torch_default_init) and the batch orders
CNN_LR = 1e-3                       # g): demos.fashion_cnn's Adam
CNN_SAMPLES = 12800                 # g): training images per epoch (200 batches); --cnn-samples 60000 for a full one
CNN_TEST = 10000                    # g): test images for the accuracy after the timed epochs


# --- a) per-op overhead -----------------------------------------------------------------

def chain_labgrad(x0, w0, cycles=CHAIN_CYCLES):
    """Seconds for the forward and for the backward of the chain, and d loss / d x."""
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


def chain_torch(torch, x0, w0, cycles=CHAIN_CYCLES):
    """The same chain in PyTorch eager."""
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


# --- b) the MLP epoch, three ways --------------------------------------------------------

def load_data(n, random_data):
    """``n`` float32 images (n, 784) in [0, 1] and int64 labels, and a description.

    Fashion-MNIST's training images where :func:`nn.data.locate` finds them (no download),
    unless ``random_data``; else random images and labels of the same shape.
    """
    if SIZES[0] != 784:
        rng = np.random.default_rng(1)
        return (rng.random((n, SIZES[0]), dtype=np.float32), rng.integers(0, SIZES[-1], n),
                f"random float32 data of shape (n, {SIZES[0]}) and random labels (--sizes)")
    folder = None
    if not random_data:
        try:
            folder = nn.data.locate("fashion-mnist", split="train")
        except FileNotFoundError:
            pass                                     # not installed here: random data, and the printout says so
    if folder is not None:
        x, y = nn.data.load_fashion_mnist(folder, "train", download=False)
        return x[:n], y[:n], f"real Fashion-MNIST training images ({folder})"
    rng = np.random.default_rng(1)
    x = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return x, y, "random float32 data of shape (n, 784) and random labels 0-9 (Fashion-MNIST-sized)"


def he_init(seed=0):
    """[(W, b), ...] in float32, W of shape (in, out) ~ N(0, 2/in), b = 0."""
    rng = np.random.default_rng(seed)
    return [((rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(np.float32),
             np.zeros(n_out, dtype=np.float32)) for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]


def batches(x, y):
    for i in range(0, len(x), BATCH):
        yield x[i:i + BATCH], y[i:i + BATCH]


def labgrad_trainer(params, fused=None, compile=False):
    """The labgrad side of b) the way a user writes it: nn.Linear layers of ``params``' shapes, F.cross_entropy,
    nn.optim.SGD; returns ``(layers, step)``.

    ``fused`` is SGD's flag (None: BLAS axpy where reachable; False: numpy's two passes,
    ``--unfused-sgd``). ``compile``: the step (zero_grad, forward, loss, backward, SGD step)
    goes through :func:`autograd.compile`, recorded on its first two calls of each batch shape
    and replayed after. The weights are set by :func:`epoch_labgrad`.
    """
    import autograd
    import nn
    import nn.functional as F

    layers = []
    for W, _ in params:
        layers += [nn.Linear(*W.shape), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    opt = nn.optim.SGD(model.parameters(), lr=LR, fused=fused)

    def step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss
    return layers[::2], autograd.compile(step) if compile else step


def epoch_labgrad(params, x, y, fused=None, compile=False, trainer=None):
    """One SGD epoch from ``params`` (not modified) with :func:`labgrad_trainer`'s model and step, or with
    ``trainer``'s (its layers and step, kept from epoch to epoch as a user keeps them: a compiled step
    records once per batch shape, not once per epoch). ``loss.item()`` is read outside the step.
    Yields each batch's loss, returns the trained weights (copies).
    """
    layers, step = trainer or labgrad_trainer(params, fused, compile)
    for layer, (W, b) in zip(layers, params):
        layer.weight.data[...], layer.bias.data[...] = W, b    # the same start, in the layer's own memory
    for xb, yb in batches(x, y):
        yield step(xb, yb).item()
    return [(layer.weight.data.copy(), layer.bias.data.copy()) for layer in layers]


def epoch_gemm(params, x, y):
    """The GEMM floor: the matrix products of :func:`epoch_numpy`'s epoch and nothing else.

    Per batch the 3 forward products and the 5 of the backward (each layer's ``dW`` and the
    two ``dX`` passed down), on the same shapes and memory layouts (transposed views as
    there); no bias, ReLU, softmax or update. Not a training: each product's input is the
    previous product's output (the pre-activations stand in for the activations and for
    ``dz3``), the weights stay as they are. Yields None per batch (no loss), returns None.
    """
    (W1, _), (W2, _), (W3, _) = params
    for xb, _ in batches(x, y):
        z1 = xb @ W1
        z2 = z1 @ W2
        z3 = z2 @ W3
        dW3 = z2.T @ z3                   # (z3 standing in for dz3)
        dz2 = z3 @ W3.T
        dW2 = z1.T @ dz2
        dz1 = dz2 @ W2.T
        dW1 = xb.T @ dz1
        yield None


def epoch_numpy(params, x, y):
    """The same epoch with a hand-written forward and backward, as in the labs."""
    (W1, b1), (W2, b2), (W3, b3) = params
    eye = np.eye(W3.shape[1], dtype=np.float32)
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
        W1 -= LR * dW1
        b1 -= LR * db1
        W2 -= LR * dW2
        b2 -= LR * db2
        W3 -= LR * dW3
        b3 -= LR * db3
        yield float(loss)
    return [(W1, b1), (W2, b2), (W3, b3)]


def epoch_torch(torch, params, x, y):
    """The same epoch in PyTorch: nn.Linear layers, F.cross_entropy, optim.SGD."""
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
    for i in range(0, len(x), BATCH):
        loss = F.cross_entropy(model(xt[i:i + BATCH]), yt[i:i + BATCH])
        opt.zero_grad()
        loss.backward()
        opt.step()
        yield loss.item()
    lins = [m for m in model if isinstance(m, nn.Linear)]
    return [(m.weight.detach().numpy().T, m.bias.detach().numpy()) for m in lins]


# --- workers: each implementation in its own process -------------------------------------

#: This process's part as a worker: ``impl``, ``torch`` (the module, in torch's worker), ``unfused_sgd``,
#: the training data ``x``, ``y`` and the epochs under way (set by :func:`init_worker` and :func:`start_epoch`).
worker_state = {}


def init_worker(impl, data_path, threads, unfused_sgd=False):
    """Set up this process as the worker of ``impl`` (``"torch"``, or ``"labgrad"`` for numpy and labgrad paired).

    Parameters
    ----------
    impl : str
    data_path : str or os.PathLike or None
        The ``.npz`` file of the training data (``x``, ``y``), or None to load it later.
    threads : int or None
        torch's threads (None: the machine default); numpy's come from the environment.
    unfused_sgd : bool
        ``--unfused-sgd``: labgrad's SGD is built with ``fused=False`` (numpy's two passes).
    """
    worker_state["impl"] = impl
    if impl == "torch":
        import torch
        torch.set_num_threads(threads or torch.get_num_threads())   # the machine default unless --threads
        worker_state["torch"] = torch
    worker_state["unfused_sgd"] = unfused_sgd
    if data_path is not None:
        _load_data(data_path)


def _load_data(path):
    """The training data of b), from the ``.npz`` file the parent wrote."""
    data = np.load(path)
    worker_state["x"], worker_state["y"] = data["x"], data["y"]


def worker_info():
    """What the worker runs, as printed: for numpy, its BLAS and labgrad's SGD update; for torch,
    its version, threads and BLAS."""
    torch = worker_state.get("torch")
    if torch is None:
        return {"blas": _numpy_blas_description(), "sgd": _sgd_update()}
    blas = "MKL" if torch.backends.mkl.is_available() else "no MKL"
    return {"torch": f"{torch.__version__}, CPU eager, {torch.get_num_threads()} threads, {blas}"}


def _sgd_update():
    """How labgrad's SGD updates a large float32 weight in this worker: ``fused=False``, or what nn.blas reaches."""
    if worker_state.get("unfused_sgd"):
        return "numpy's two passes (--unfused-sgd)"
    if blas.available(np.float32):
        return "one pass, BLAS axpy"
    return "numpy's two passes (numpy's BLAS not reachable)"


def _chain(x0, w0):
    if worker_state["impl"] == "torch":
        return chain_torch(worker_state["torch"], x0, w0)
    return chain_labgrad(x0, w0)


def start_epoch(params, n=None):
    """Start an epoch (over the first ``n`` samples) from ``params``, which are not modified.

    In torch's worker one epoch, run by ``_train``; in the other, a numpy, a labgrad eager, a
    labgrad compiled and a GEMM-floor epoch, each on its own copy of the weights, run side by
    side by :func:`train_paired`. The timed epochs (``n`` None) of labgrad eager and compiled
    each keep one model and step (:func:`labgrad_trainer`), made at the first; a warm-up's
    (``n`` given) are its own.
    """
    impl, x, y = worker_state["impl"], worker_state["x"][:n], worker_state["y"][:n]
    if impl == "torch":
        worker_state["epoch"] = epoch_torch(worker_state["torch"], params, x, y)
    else:                            # numpy and labgrad, each with its own copy of the weights
        # numpy's copy is 64-byte aligned, as labgrad's and torch's own weights are (see the docstring)
        fused = False if worker_state.get("unfused_sgd") else None
        if n is None and "trainers" not in worker_state:     # (the timed epochs share them; a warm-up has its own)
            worker_state["trainers"] = {compile: labgrad_trainer(params, fused, compile) for compile in (False, True)}
        trainers = worker_state.get("trainers", {}) if n is None else {}
        worker_state["epochs"] = {
            "numpy": epoch_numpy([(aligned_copy(W), aligned_copy(b)) for W, b in params], x, y),
            "labgrad": epoch_labgrad(params, x, y, fused, trainer=trainers.get(False)),
            "labgrad compiled": epoch_labgrad(params, x, y, fused, compile=True, trainer=trainers.get(True)),
            "gemm": epoch_gemm([(aligned_copy(W), aligned_copy(b)) for W, b in params], x, y)}
    gc.collect()


def _train(n_batches):
    """Run up to ``n_batches`` batches: (seconds, their losses, the trained params if the epoch ended)."""
    epoch, losses, trained = worker_state["epoch"], [], None
    t0 = time.perf_counter()
    try:
        for _ in range(n_batches):
            losses.append(next(epoch))
    except StopIteration as end:
        trained = end.value
    return time.perf_counter() - t0, losses, trained


def train_paired(chunk):
    """Run the epochs :func:`start_epoch` started to their end, alternating ``chunk`` batches of each.

    The order flips after every round (numpy, labgrad, ..., labgrad, numpy, ...). Returns
    ``{impl: (seconds, losses, trained params)}`` with the seconds summed over the chunks.
    """
    epochs = worker_state["epochs"]
    seconds, losses, trained = dict.fromkeys(epochs, 0.0), {impl: [] for impl in epochs}, {}
    order = list(epochs)
    while len(trained) < len(epochs):
        for impl in order:
            if impl in trained:
                continue
            epoch, out = epochs[impl], losses[impl]
            t0 = time.perf_counter()
            try:
                for _ in range(chunk):
                    out.append(next(epoch))
            except StopIteration as end:
                trained[impl] = end.value
            seconds[impl] += time.perf_counter() - t0
        order.reverse()
    return {impl: (seconds[impl], losses[impl], trained[impl]) for impl in epochs}


class _Workers:
    """One single-process pool per implementation; ``call`` runs one task and waits for it.

    After a task the caller may ask for a ``pause`` in seconds: OpenBLAS threads keep
    spinning for about 0.1 s after a call (2**28 cycles) and would slow down the
    next worker; 0.02 s was measurably too short here, 0.1 s enough.
    """

    def __init__(self, impls, threads, unfused_sgd=False):
        ctx = get_context("spawn")           # fresh interpreters: no thread pools inherited
        self.pools = {impl: ProcessPoolExecutor(1, ctx, init_worker, (impl, None, threads, unfused_sgd))
                      for impl in impls}

    def call(self, impl, fn, *args, pause=0.0):
        result = self.pools[impl].submit(fn, *args).result()
        time.sleep(pause)
        return result

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for pool in self.pools.values():
            pool.shutdown()
        return False


# --- printing ------------------------------------------------------------------------------

def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _numpy_blas_description():
    """numpy's BLAS library, version, kernels and threads, as threadpoolctl reports them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(f"{i['internal_api']} {i.get('version')} ({i.get('architecture')} kernels, "
                     f"{i['num_threads']} threads)" for i in infos) or "unknown"


def print_machine(workers, threads, torch_note):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"CPU     : {_cpu_model()}, {cores} cores available ({os.cpu_count()} online)")
    info = {impl: workers.call(impl, worker_info) for impl in workers.pools}      # as the workers see them
    print(f"python  : {platform.python_version()}, numpy {np.__version__}, BLAS {info['labgrad']['blas']}")
    print(f"torch   : {info['torch']['torch'] if 'torch' in info else torch_note}")
    print(f"threads : {threads or 'the machine default'} (--threads)")
    blas_env = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")}
    print(f"env     : {blas_env or 'no OPENBLAS_* variables set'}")
    print(f"labgrad : SGD update p -= lr g as {info['labgrad']['sgd']}")
    print("method  : each implementation in its own process (OpenBLAS and OpenMP threads spin-wait and would\n"
          "          fight over the cores in one process), one computing at a time; epochs interleaved")


def _row(cells, widths):
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    print(_row(header, widths))
    print(_row(["-" * w for w in widths], widths))
    for r in rows:
        print(_row(r, widths))


# --- the two benchmarks ---------------------------------------------------------------------

def bench_overhead(workers, repeats):
    n_ops = 3 * CHAIN_CYCLES + 1
    print(f"\n== a) per-op overhead: {n_ops}-op chain (y*w, y+0.5, tanh)x{CHAIN_CYCLES} + sum "
          f"on float32 tensors of shape (8,), forward + backward; median of {repeats} repeats ==")
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(8).astype(np.float32)
    w0 = rng.uniform(0.5, 1.5, 8).astype(np.float32)
    impls = list(workers.pools)                      # labgrad, and torch if it is used
    have_torch = "torch" in impls
    times, grads = {impl: [] for impl in impls}, {}
    for i in range(repeats + 1):                     # interleaved; the first round is a warm-up
        for impl in impls:
            fwd, bwd, grads[impl] = workers.call(impl, _chain, x0, w0, pause=0.01)
            if i:
                times[impl].append((fwd, bwd))
    rows, per_op = [], {}
    for impl, ts in times.items():
        fwd = statistics.median(t[0] for t in ts) / n_ops * 1e6
        bwd = statistics.median(t[1] for t in ts) / n_ops * 1e6
        per_op[impl] = statistics.median(t[0] + t[1] for t in ts) / n_ops * 1e6
        rows.append([impl, f"{fwd:.2f}", f"{bwd:.2f}", f"{per_op[impl]:.2f}"])
    header = ["", "forward us/op", "backward us/op", "fwd+bwd us/op"]
    if have_torch:
        header.append("vs torch")
        for r, impl in zip(rows, impls):
            r.append(f"{per_op[impl] / per_op['torch']:.2f}x")
    print_table(header, rows)
    if not have_torch:
        print("labgrad only (no torch)")
        return per_op
    err = np.abs(grads["labgrad"] - grads["torch"]).max()
    print(f"sanity: max |dx labgrad - dx torch| = {err:.1e}")
    ratio = per_op["labgrad"] / per_op["torch"]
    verdict = "met" if ratio <= PER_OP_BOUND else "NOT met"
    print(f"target labgrad <= {PER_OP_BOUND}x torch per op (issue #19): {verdict} "
          f"({ratio:.3f}x: {per_op['labgrad']:.2f} vs {per_op['torch']:.2f} us/op)")
    return per_op


def bench_mlp(workers, epochs, n, random_data):
    x, y, what = load_data(n, random_data)
    order = np.random.default_rng(2).permutation(len(x))
    x, y = np.ascontiguousarray(x[order]), y[order]       # shuffled once: batches are plain slices
    n_batches = -(-len(x) // BATCH)
    print(f"\n== b) one training epoch: MLP {'-'.join(map(str, SIZES))} ReLU, softmax cross-entropy (mean), "
          f"SGD lr {LR}, batch {BATCH}, float32, {len(x)} samples ({n_batches} batches); "
          f"{epochs} epochs each; numpy, labgrad eager, labgrad compiled and the GEMM floor paired: one process, "
          f"{PAIRED_CHUNK} batches of each in turn ==")
    print(f"data: {what}")
    print("labgrad eager and compiled: one model, optimiser and step each for all the timed epochs (as a user "
          "trains; made before them, untimed), the weights set back to the start before each; compiled: the same "
          "step through autograd.compile, recorded on the first 2 batches and the short last batch in the first "
          "timed epoch and on that short batch once more in the second, replayed everywhere else; loss.item() "
          "outside the step")
    print("GEMM floor: numpy by hand's 8 matrix products per batch alone (3 forward, dW and dX of the backward), "
          "no elementwise work, no update")
    init = he_init()
    have_torch = "torch" in workers.pools
    impls = ["numpy", "labgrad", "labgrad compiled", "gemm"] + (["torch"] if have_torch else [])
    times, results = {impl: [] for impl in impls}, {}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npz")
        np.savez(path, x=x, y=y)
        call = functools.partial(workers.call, pause=0.15)
        for worker in workers.pools:                 # numpy and labgrad are paired in labgrad's worker
            call(worker, _load_data, path)
        call("labgrad", start_epoch, init, 10 * BATCH)      # warm-up: train a few batches
        call("labgrad", train_paired, 5)
        if have_torch:
            call("torch", start_epoch, init, 10 * BATCH)
            call("torch", _train, 10)
        epoch_differences = []                       # (compiled against eager, bit for bit, in every epoch)
        for _ in range(epochs):                      # rounds of one epoch each, from the same init
            call("labgrad", start_epoch, init)
            for impl, result in call("labgrad", train_paired, PAIRED_CHUNK).items():
                times[impl].append(result[0])
                results[impl] = result[1:]
            epoch_differences.append(bitwise_difference(results["labgrad"], results["labgrad compiled"]))
            if have_torch:
                call("torch", start_epoch, init)
                seconds, losses, trained = call("torch", _train, n_batches + 1)
                times["torch"].append(seconds)
                results["torch"] = losses, trained
    best = {impl: min(ts) for impl, ts in times.items()}
    refs = [r for r in ("numpy", "gemm", "torch") if r in impls]
    mean = {impl: statistics.fmean(ts) for impl, ts in times.items()}
    header = ["", "best s/epoch", "median s/epoch", "mean s/epoch", "ms/batch (mean)"] + [
        f"vs {MLP_NAMES[r].split(' (')[0]} (mean)" for r in refs]
    rows = [[MLP_NAMES[impl], f"{best[impl]:.3f}", f"{statistics.median(ts):.3f}", f"{mean[impl]:.3f}",
             f"{mean[impl] / n_batches * 1e3:.3f}"] + [f"{mean[impl] / mean[r]:.2f}x" for r in refs]
            for impl, ts in times.items()]
    print_table(header, rows)
    ok, compiled_ok, lines = mlp_sanity(results)
    mismatched = [(k, d) for k, d in enumerate(epoch_differences[:-1], 1) if d is not None]
    if mismatched:                                   # (mlp_sanity compared the last epoch)
        compiled_ok = False
        lines.append(f"sanity: MISMATCH: labgrad compiled differs from labgrad eager in epoch {mismatched[0][0]}: "
                     f"{mismatched[0][1]}")
    else:
        lines.append(f"sanity: labgrad compiled = labgrad eager bit for bit in each of the {len(times['numpy'])} "
                     "timed epochs")
    print("\n".join(lines))
    # the targets on the paired measurement: all epochs' time, over numpy's (or the GEMM floor's)
    total = {impl: sum(ts) for impl, ts in times.items()}
    ratio = total["labgrad"] / total["numpy"]
    for impl in ("labgrad", "labgrad compiled"):
        per_epoch = ", ".join(f"{a / b:.2f}" for a, b in zip(times[impl], times["numpy"]))
        print(f"{MLP_NAMES[impl]} / numpy epoch by epoch: {per_epoch}; best epoch over best epoch: "
              f"{best[impl] / best['numpy']:.3f}x")
    print("labgrad compiled / GEMM floor epoch by epoch: "
          + ", ".join(f"{a / b:.2f}" for a, b in zip(times["labgrad compiled"], times["gemm"])))
    n_epochs = len(times["numpy"])
    if SIZES == DEFAULT_SIZES:                       # (the eager target is the 784-256-128-10 net's)
        print(f"target labgrad eager <= 1.10x numpy (total time of the {n_epochs} paired epochs): "
              f"{'met' if ratio <= 1.10 else 'NOT met'} ({ratio:.3f}x)")
    else:
        print(f"labgrad eager / numpy: {ratio:.3f}x (no eager target for --sizes)")
    compiled_numpy = total["labgrad compiled"] / total["numpy"]
    compiled_gemm = total["labgrad compiled"] / total["gemm"]
    wrong = "" if compiled_ok else "; its result differs from eager's"
    if SIZES == DEFAULT_SIZES:
        targets = [("numpy", 0.85, compiled_numpy), ("the GEMM floor", 1.5, compiled_gemm)]
    else:                                            # a tiny net: the issue's per-step overhead target
        targets = [("numpy", 1.1, compiled_numpy)]
        print(f"labgrad compiled / GEMM floor: {compiled_gemm:.3f}x (no target for --sizes)")
    for what, bound, value in targets:
        print(f"target labgrad compiled <= {bound}x {what} (total time of the {n_epochs} paired epochs): "
              f"{'met' if value <= bound and compiled_ok else 'NOT met'} ({value:.3f}x{wrong})")
    return times


def mlp_sanity(results):
    """b)'s sanity: ``(all agree, compiled is eager's bit for bit, lines to print)``.

    ``results`` is ``{impl: (losses, trained weights)}``. The trained implementations (all but
    the GEMM floor) must have the same first-batch loss (rtol 1e-5) and mean loss (rtol 1e-3)
    as labgrad eager; labgrad compiled must have exactly eager's losses and final weights, bit
    for bit (a replay is the eager step); the GEMM floor, which trains nothing, must have run
    as many batches as the others.
    """
    trained = {impl: r for impl, r in results.items() if impl != "gemm"}
    first = {impl: r[0][0] for impl, r in trained.items()}
    mean_loss = {impl: float(np.mean(r[0])) for impl, r in trained.items()}
    drift = {impl: max(float(np.abs(a - b).max()) for pa, pb in zip(r[1], trained["labgrad"][1])
                       for a, b in zip(pa, pb))
             for impl, r in trained.items() if impl != "labgrad"}
    lines = ["sanity: first-batch loss " + ", ".join(f"{MLP_NAMES[k]} {v:.6f}" for k, v in first.items()),
             "sanity: mean loss of the epoch " + ", ".join(f"{MLP_NAMES[k]} {v:.6f}" for k, v in mean_loss.items()),
             "sanity: max |weight - labgrad eager's weight| after the epoch: "
             + ", ".join(f"{MLP_NAMES[k]} {v:.1e}" for k, v in drift.items())]
    ok = (np.allclose(list(first.values()), first["labgrad"], rtol=1e-5)
          and np.allclose(list(mean_loss.values()), mean_loss["labgrad"], rtol=1e-3))
    compiled_ok = True
    if "labgrad compiled" in results:
        difference = bitwise_difference(results["labgrad"], results["labgrad compiled"])
        compiled_ok = difference is None
        lines.append("sanity: labgrad compiled = labgrad eager bit for bit (every batch's loss, every final weight)"
                     if compiled_ok else f"sanity: MISMATCH: labgrad compiled differs from labgrad eager: {difference}")
    if "gemm" in results:
        n, expected = len(results["gemm"][0]), len(trained["labgrad"][0])
        lines.append(f"sanity: the GEMM floor ran {n} batches" + ("" if n == expected else
                                                                   f": MISMATCH, the others ran {expected}"))
        ok = ok and n == expected
    ok = ok and compiled_ok
    lines.append(f"sanity: {'the implementations agree' if ok else 'MISMATCH between the implementations'}")
    return ok, compiled_ok, lines


def bitwise_difference(expected, got):
    """None if ``got`` is ``expected`` bit for bit, else where they first differ.

    Both are ``(losses, [(W, b), ...])``: Python floats, then numpy arrays (dtype, shape and bytes).

    >>> w = [(np.ones((2, 2), np.float32), np.zeros(2, np.float32))]
    >>> bitwise_difference(([0.5, 0.25], w), ([0.5, 0.25], [(w[0][0].copy(), w[0][1].copy())])) is None
    True
    >>> bitwise_difference(([0.5, 0.25], w), ([0.5, 0.2500001], w))
    'the loss of batch 1: 0.25 vs 0.2500001'
    """
    (losses_a, params_a), (losses_b, params_b) = expected, got
    if len(losses_a) != len(losses_b):
        return f"{len(losses_b)} batch losses instead of {len(losses_a)}"
    for k, (a, b) in enumerate(zip(losses_a, losses_b)):
        if np.float64(a).tobytes() != np.float64(b).tobytes():
            return f"the loss of batch {k}: {a!r} vs {b!r}"
    for k, (pa, pb) in enumerate(zip(params_a, params_b)):
        for name, a, b in zip(("W", "b"), pa, pb):
            if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
                return (f"the final {name} of layer {k + 1}: max |difference| "
                        f"{float(np.abs(a.astype(np.float64) - b).max()):.1e}")
    return None


def player_graph(n_nodes, seed=0):
    """A graph of exactly ``n_nodes`` scene nodes (tensors and ops): its root. ``n_nodes`` is 3, 5 or at least 7.

    ``x``, then blocks ``h = tanh(h * w_i)`` (5 nodes: the leaf ``w_i``, the op ``*``, its
    output, ``tanh``, its output), then as many lone ``tanh`` (2 nodes) as the count needs,
    then ``sum`` (2 nodes); float32 tensors of shape (8,), so each box shows min/mean/max.

    >>> from autograd import viz
    >>> len(viz.player(player_graph(50)).scene.nodes)
    50
    """
    blocks, rest = divmod(n_nodes - 3, 5)
    if rest % 2:                                     # lone tanh come in 2s: trade one block for 5 more
        blocks, rest = blocks - 1, rest + 5
    if blocks < 0:
        raise ValueError(f"player_graph: n_nodes must be 3, 5 or at least 7 (1 + 2 + 5 a + 2 b), got {n_nodes}")
    rng = np.random.default_rng(seed)
    h = Tensor(rng.standard_normal(8).astype(np.float32), requires_grad=True, name="x")
    for i in range(blocks):
        h = (h * Tensor(rng.uniform(0.5, 1.5, 8).astype(np.float32), requires_grad=True, name=f"w{i}")).tanh()
    for _ in range(rest // 2):
        h = h.tanh()
    return h.sum()


def bench_player(repeats):
    """c) The player page's size for 50 nodes, and the median time to make and write it for 1,000 nodes."""
    from autograd import viz
    print(f"\n== c) the backprop player (viz.player): page size of a 50-node graph; time to make and write the "
          f"player of a 1,000-node graph, median of {repeats} ==")
    print("graph: x, then h = tanh(h * w_i) on float32 tensors of shape (8,), then sum (demos.benchmark.player_graph)")
    rows, result = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (50, 1000):
            root = player_graph(n)
            made, saved = [], []
            for _ in range(repeats if n == 1000 else 1):
                t0 = time.perf_counter()
                p = viz.player(root)
                t1 = time.perf_counter()
                path = p.save(os.path.join(tmp, f"player{n}.html"))
                saved.append(time.perf_counter() - t1)
                made.append(t1 - t0)
            total = [a + b for a, b in zip(made, saved)]
            size = os.path.getsize(path)
            result[n] = dict(bytes=size, seconds=statistics.median(total), frames=len(p.frames))
            rows.append([f"{len(p.scene.nodes)} nodes", str(len(p.frames)), f"{size:,}",
                         f"{statistics.median(made):.3f}", f"{statistics.median(saved):.3f}",
                         f"{statistics.median(total):.3f}"])
    print_table(["graph", "frames", "page bytes", "viz.player s", "save(.html) s", "total s"], rows)
    print(f"player page of a 50-node graph: {result[50]['bytes']:,} bytes "
          f"({result[50]['bytes'] / 1024:.0f} KiB; target under 300 KB: "
          f"{'met' if result[50]['bytes'] < 300_000 else 'NOT met'})")
    print(f"player of a 1,000-node graph made and written in {result[1000]['seconds']:.2f} s "
          f"(median of {repeats}; target under 2 s: {'met' if result[1000]['seconds'] < 2 else 'NOT met'})")
    return result


# --- d) function transforms: autograd.func against torch.func ------------------------------

def transform_problem(seed=3):
    """d)'s MLP and data, float32 numpy arrays shared by both sides.

    ``params`` (W1 (784, 64), b1 (64,), W2 (64, 10), b2 (10,)), W ~ N(0, 1/n_in) and biases
    ~ N(0, 0.1^2) (not zero, so that the check sees them); ``x`` one input (784,) in [0, 1);
    ``X`` (64, 784) and ``y`` (64,) the batch of the loss; ``vs`` the hvp's direction, one
    N(0, 1) array per parameter.
    """
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out = TRANSFORM_SIZES
    params = []
    for a, b in zip(TRANSFORM_SIZES[:-1], TRANSFORM_SIZES[1:]):
        params += [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32),
                   (0.1 * rng.standard_normal(b)).astype(np.float32)]
    return dict(params=params, x=rng.random(n_in, dtype=np.float32),
                X=rng.random((BATCH, n_in), dtype=np.float32), y=rng.integers(0, n_out, BATCH),
                vs=[rng.standard_normal(p.shape).astype(np.float32) for p in params])


def _tanh_mlp(linear, tanh, x, W1, b1, W2, b2):
    return linear(tanh(linear(x, W1, b1)), W2, b2)


def transforms_labgrad(problem):
    """The three transforms of d) with :mod:`autograd.func`, as a user writes them: ``{name: call}``.

    Each call computes its transform once (a Tensor, or for ``hvp`` a tuple of four Tensors).
    """
    import nn.functional as F
    from autograd import func

    params = tuple(Tensor(p) for p in problem["params"])
    x, X, vs = Tensor(problem["x"]), Tensor(problem["X"]), tuple(Tensor(v) for v in problem["vs"])
    y = problem["y"]
    mlp = functools.partial(_tanh_mlp, F.linear, F.tanh)

    def f(x):
        return mlp(x, *params)

    def loss(W1, b1, W2, b2):
        return F.cross_entropy(mlp(X, W1, b1, W2, b2), y)

    return {"jacrev": lambda: func.jacrev(f)(x),
            "jacfwd": lambda: func.jacfwd(f)(x),
            "hvp": lambda: func.hvp(loss, params, vs)[1]}


def transforms_torch(torch, problem):
    """The same with ``torch.func``; torch's weights are the transposes (``F.linear``'s layout, as ``nn.Linear``)."""
    F, tf = torch.nn.functional, torch.func

    def torch_layout(a):
        return torch.from_numpy(np.ascontiguousarray(a.T if a.ndim == 2 else a))

    params = tuple(torch_layout(p) for p in problem["params"])
    vs = tuple(torch_layout(v) for v in problem["vs"])
    x, X, y = (torch.from_numpy(problem[k]) for k in ("x", "X", "y"))
    mlp = functools.partial(_tanh_mlp, F.linear, torch.tanh)

    def f(x):
        return mlp(x, *params)

    def loss(W1, b1, W2, b2):
        return F.cross_entropy(mlp(X, W1, b1, W2, b2), y)

    return {"jacrev": lambda: tf.jacrev(f)(x),
            "jacfwd": lambda: tf.jacfwd(f)(x),
            "hvp": lambda: tf.jvp(tf.grad(loss, argnums=(0, 1, 2, 3)), params, vs)[1]}


def start_transforms(problem):
    """Build this worker's side of d) (labgrad, or torch.func in torch's worker)."""
    if worker_state["impl"] == "torch":
        worker_state["transforms"] = transforms_torch(worker_state["torch"], problem)
    else:
        worker_state["transforms"] = transforms_labgrad(problem)


def _as_arrays(result):
    """A transform's result as a list of float64 numpy arrays in labgrad's layout (torch's weights transposed back)."""
    parts = result if isinstance(result, (tuple, list)) else [result]
    torch = worker_state.get("torch")
    arrays = []
    for part in parts:
        a = part.detach().numpy() if torch is not None else part.data
        arrays.append((a.T if torch is not None and isinstance(result, tuple) and a.ndim == 2 else a)
                      .astype(np.float64))
    return arrays


def transform_results():
    """Each transform of d) computed once (its first call, untimed): ``{name: [arrays]}``, or the
    error's text where this side cannot compute it (a forward-mode rule missing, say)."""
    results = {}
    for name, call in worker_state["transforms"].items():
        try:
            results[name] = _as_arrays(call())
        except NotImplementedError as e:
            results[name] = f"{type(e).__name__}: {e}"
    return results


def hvp_by_differences(problem, eps=1e-4):
    """The reference for labgrad's hvp: the central difference ``(g(p + eps v) - g(p - eps v)) / (2 eps)`` of
    labgrad's gradient ``g`` of d)'s loss, in float64 (reverse mode only, so it does not rest on the jvp rules)."""
    import nn.functional as F
    from autograd import func

    X = Tensor(problem["X"].astype(np.float64))
    mlp = functools.partial(_tanh_mlp, F.linear, F.tanh)
    gradient = func.grad(lambda W1, b1, W2, b2: F.cross_entropy(mlp(X, W1, b1, W2, b2), problem["y"]),
                         argnums=(0, 1, 2, 3))
    p = [a.astype(np.float64) for a in problem["params"]]
    v = [a.astype(np.float64) for a in problem["vs"]]
    plus = gradient(*(a + eps * d for a, d in zip(p, v)))
    minus = gradient(*(a - eps * d for a, d in zip(p, v)))
    return [(gp.data - gm.data) / (2 * eps) for gp, gm in zip(plus, minus)]


def time_transform(name, budget):
    """Seconds of each call of transform ``name``, called until ``budget`` seconds have passed (at least once)."""
    return _time_calls(worker_state["transforms"][name], budget)


def _time_calls(call, budget):
    """Seconds of each ``call()``, called until ``budget`` seconds have passed (at least once); d) and g)."""
    gc.collect()                                      # not in the timed calls
    times, start = [], time.perf_counter()
    while True:
        t0 = time.perf_counter()
        call()
        t1 = time.perf_counter()
        times.append(t1 - t0)
        if t1 - start >= budget:
            return times


def compare_transforms(results, hvp_reference):
    """d)'s sanity: ``[(what, max |a - b|, largest |b|), ...]`` for every comparison that both results allow.

    ``results`` is ``{impl: {name: [arrays] or error text}}`` (from :func:`transform_results`);
    labgrad is compared with torch.func (when present), its jacfwd with its jacrev, and its
    hvp with ``hvp_reference`` (:func:`hvp_by_differences`).
    """
    def diff(a, b):
        return (max(float(np.abs(x - r).max()) for x, r in zip(a, b)),
                max(float(np.abs(r).max()) for r in b))

    ours, rows = results["labgrad"], []
    if "torch" in results:
        for name in TRANSFORMS:
            if not isinstance(ours[name], str) and not isinstance(results["torch"][name], str):
                rows.append((f"{name} labgrad vs torch.func", *diff(ours[name], results["torch"][name])))
    if not isinstance(ours["jacfwd"], str):
        rows.append(("labgrad jacfwd vs jacrev", *diff(ours["jacfwd"], ours["jacrev"])))
    if not isinstance(ours["hvp"], str):
        rows.append(("labgrad hvp vs central difference of its gradient (float64)", *diff(ours["hvp"], hvp_reference)))
    return rows


def transforms_agree(checks):
    """True when every comparison of :func:`compare_transforms` is within ``AGREE_RTOL`` of its largest entry."""
    return all(err <= AGREE_RTOL * scale for _, err, scale in checks)


def started(workers, start, results_of, problem):
    """Each worker runs ``start(problem)`` and then ``results_of()`` (its first calls: also a warm-up). Returns
    ``(impls, call, {impl: results})``, ``call`` being the workers' call with a pause before each (their OpenBLAS
    and OpenMP threads go idle in between)."""
    impls = list(workers.pools)
    call = functools.partial(workers.call, pause=0.1)
    results = {}
    for impl in impls:
        call(impl, start, problem)
        results[impl] = call(impl, results_of)
    return impls, call, results


def timed_in_turn(call, impls, names, timer, rounds, budget):
    """``{(impl, name): [seconds per call, ...]}``: each worker in turn runs ``timer(name, budget)`` (a block of
    calls of about ``budget`` seconds), the order flipping every time, over ``rounds`` rounds after a warm-up."""
    times = {(impl, name): [] for impl in impls for name in names}
    order = list(impls)
    for r in range(rounds + 1):                        # the first round is a warm-up
        for name in names:
            for impl in order:
                seconds = call(impl, timer, name, budget)
                if r:
                    times[impl, name] += seconds
            order.reverse()
    return times


def bench_transforms(workers, rounds, budget=0.1):
    """d) The Jacobian by jacrev and jacfwd, and the hvp, labgrad against torch.func: median ms per call."""
    n_in, n_hidden, n_out = TRANSFORM_SIZES
    n_params = n_in * n_hidden + n_hidden + n_hidden * n_out + n_out
    print(f"\n== d) function transforms, autograd.func vs torch.func: MLP {'-'.join(map(str, TRANSFORM_SIZES))} "
          f"tanh, float32; median ms per call over {rounds} rounds, the workers taking turns with blocks of about "
          f"{budget * 1e3:.0f} ms ==")
    print(f"jacrev, jacfwd: the Jacobian ({n_out} x {n_in}) of the output f(x) for one input x")
    print(f"hvp           : H v of loss(W1, b1, W2, b2), the cross-entropy (mean over a batch of {BATCH}), "
          f"w.r.t. the {n_params:,} parameters")
    print("labgrad       : func.jacrev(f)(x), func.jacfwd(f)(x), func.hvp(loss, params, vs)")
    print("torch.func    : jacrev(f)(x), jacfwd(f)(x), jvp(grad(loss, argnums=(0, 1, 2, 3)), params, vs)[1]")
    problem = transform_problem()
    impls, call, results = started(workers, start_transforms, transform_results, problem)
    have_torch = "torch" in impls
    reference = call("labgrad", hvp_by_differences, problem)
    missing = {name: text for impl in impls for name, text in results[impl].items() if isinstance(text, str)}
    measured = [name for name in TRANSFORMS if name not in missing]
    times = timed_in_turn(call, impls, measured, time_transform, rounds, budget)
    ms = {key: statistics.median(ts) * 1e3 for key, ts in times.items()}
    header = ["", "labgrad ms"] + (["torch.func ms", "labgrad / torch.func"] if have_torch else []) + [
        "calls timed" + (" (labgrad / torch.func)" if have_torch else "")]
    rows = []
    for name in TRANSFORMS:
        if name in missing:
            rows.append([name, "not measured"] + ["-", "-"] * have_torch + ["0"])
            continue
        row = [name, f"{ms['labgrad', name]:.3f}"]
        if have_torch:
            row += [f"{ms['torch', name]:.3f}", f"{ms['labgrad', name] / ms['torch', name]:.2f}x"]
        row.append(" / ".join(str(len(times[impl, name])) for impl in impls))
        rows.append(row)
    print_table(header, rows)
    for name, text in missing.items():
        print(f"not measured: {name}: {text.splitlines()[0][:200]}")
    checks = compare_transforms(results, reference)
    for what, err, scale in checks:
        print(f"sanity: max |{what}| = {err:.1e} (largest entry {scale:.2g})")
    if not checks:
        print("sanity: nothing compared (no transform computed on both sides)")
    else:
        verdict = "the transforms agree" if transforms_agree(checks) else "MISMATCH between the transforms"
        print(f"sanity: {verdict} (each within {AGREE_RTOL:g} of its largest entry)")
    if not have_torch:
        print("labgrad only (no torch)")
        return ms
    for name in measured:
        ratio = ms["labgrad", name] / ms["torch", name]
        print(f"target {name}: labgrad <= 1.0x torch.func: {'met' if ratio <= 1.0 else 'NOT met'} ({ratio:.2f}x)")
    return ms


# --- e) the lab's ComplexNet: one training epoch against PyTorch ----------------------------

def load_complexnet_data(n, random_data, n_test=COMPLEXNET_TEST):
    """The first ``n`` training and ``n_test`` test images, normalised as the lab does ((x - 0.5) / 0.5), float32.

    Fashion-MNIST where :func:`nn.data.locate` finds both splits (no download), unless
    ``random_data``; else random images and labels 0-9 of the same shape. Returns
    ``(x, y, x_test, y_test, description)``.
    """
    found = _fashion_mnist(random_data)
    if found is not None:
        x, y, x_test, y_test, folder = found
        what = f"real Fashion-MNIST ({folder})"
    else:
        rng = np.random.default_rng(4)
        x, y = rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)
        x_test, y_test = rng.random((n_test, 784), dtype=np.float32), rng.integers(0, 10, n_test)
        what = "random float32 images (n, 784) and random labels 0-9 (Fashion-MNIST not found; accuracy ~10%)"
    x, y, x_test, y_test = x[:n], y[:n], x_test[:n_test], y_test[:n_test]
    normalise = lambda a: ((a - np.float32(0.5)) / np.float32(0.5)).astype(np.float32)   # the lab's Normalize
    return normalise(x), y.astype(np.int64), normalise(x_test), y_test.astype(np.int64), what


def _fashion_mnist(random_data):
    """Fashion-MNIST's training and test images and labels (flat rows in [0, 1]) and their folder, where
    :func:`nn.data.locate` finds both splits (no download), unless ``random_data``; else None (e) and g))."""
    if random_data:
        return None
    try:
        folder = nn.data.locate("fashion-mnist", split="train")
        nn.data.locate("fashion-mnist", root=folder, split="test")
    except FileNotFoundError:
        return None                                  # not installed here: random data, and the printout says so
    return (*nn.data.load_fashion_mnist(folder, "train", download=False),
            *nn.data.load_fashion_mnist(folder, "test", download=False), folder)


def start_complexnet(path, seed=COMPLEXNET_SEED):
    """Build the lab's ComplexNet and its Adam in this worker, from the data in ``path`` (an ``.npz``).

    The weights are :func:`demos.fashion_mnist.lab_init`'s with ``seed``, the same in both workers
    (torch's: :func:`demos.fashion_mnist.to_torch` of them). labgrad's worker builds two models
    from them, one trained eagerly and one with ``compile=True``. A throwaway model trains a few
    batches first, both ways (a warm-up that leaves the timed models untouched).
    """
    from demos import fashion_mnist as fm
    data = np.load(path)
    worker_state["complexnet_data"] = x, y, x_test, y_test = (data["x"], data["y"], data["x_test"], data["y_test"])
    framework = "torch" if worker_state["impl"] == "torch" else "labgrad"

    def build(init_seed):
        cls, kind = fm.SPECS["ComplexNet"]
        model = fm.lab_init(cls(x.shape[1]), np.random.default_rng(init_seed))
        if framework == "torch":
            model = fm.to_torch(model)
            return model, fm.make_optimizer(kind, model.parameters(), worker_state["torch"])
        return model, fm.make_optimizer(kind, model.parameters())

    warm_model, warm_opt = build(seed + 1)
    warm_order = np.arange(min(len(x), 5 * BATCH))
    fm.train_epoch(warm_model, warm_opt, x, y, warm_order, BATCH, framework)
    worker_state["complexnet"] = {False: build(seed) + (framework,)}
    if framework == "labgrad":
        fm.train_epoch(warm_model, warm_opt, x, y, warm_order, BATCH, framework, compile=True)
        worker_state["complexnet"][True] = build(seed) + (framework,)
    gc.collect()


def complexnet_epoch(order, compiled=False):
    """One epoch of the worker's ComplexNet over ``x[order]``: (mean batch loss, seconds).

    ``compiled``: labgrad's second model, trained with ``nn.fit(..., compile=True)`` (recorded on
    the epoch's first batches, replayed on the others)."""
    from demos import fashion_mnist as fm
    model, opt, framework = worker_state["complexnet"][compiled]
    x, y = worker_state["complexnet_data"][:2]
    return fm.train_epoch(model, opt, x, y, order, BATCH, framework, compile=compiled)


def complexnet_accuracy(compiled=False):
    """Test accuracy and cross-entropy of the worker's ComplexNet, BatchNorm in evaluation mode."""
    from demos import fashion_mnist as fm
    model, _, framework = worker_state["complexnet"][compiled]
    return fm.evaluate(model, *worker_state["complexnet_data"][2:], framework)


def complexnet_agree(losses, accuracies, impl="labgrad"):
    """e)'s sanity: ``impl`` and torch have the same mean loss epoch by epoch (within 2%) and test accuracies
    within 1.5 points.

    Float32 with BatchNorm and Adam drifts apart slowly over an epoch, so exact agreement is not
    expected; a wrong or skipped computation shows much larger differences.

    >>> complexnet_agree({"labgrad": [0.50, 0.36], "torch": [0.501, 0.359]}, {"labgrad": 0.85, "torch": 0.846})
    True
    >>> complexnet_agree({"labgrad": [2.30], "torch": [0.50]}, {"labgrad": 0.10, "torch": 0.84})
    False
    """
    return (np.allclose(losses[impl], losses["torch"], rtol=0.02)
            and abs(accuracies[impl] - accuracies["torch"]) <= 0.015)


def complexnet_compiled_difference(losses, accuracies):
    """e)'s sanity for the compiled model: None if its mean losses (epoch by epoch) and test accuracy are
    eager labgrad's, bit for bit (the same weights, batches and steps), else what differs.

    >>> complexnet_compiled_difference({"labgrad": [0.5, 0.4], "labgrad compiled": [0.5, 0.4]},
    ...                                {"labgrad": 0.85, "labgrad compiled": 0.85}) is None
    True
    >>> complexnet_compiled_difference({"labgrad": [0.5, 0.4], "labgrad compiled": [0.5, 0.4000001]},
    ...                                {"labgrad": 0.85, "labgrad compiled": 0.85})
    'the mean loss of epoch 2: 0.4000001 vs 0.4'
    """
    eager, compiled = losses["labgrad"], losses["labgrad compiled"]
    for k, (a, b) in enumerate(zip(eager, compiled)):
        if np.float64(a).tobytes() != np.float64(b).tobytes():
            return f"the mean loss of epoch {k + 1}: {b!r} vs {a!r}"
    if len(eager) != len(compiled):
        return f"{len(compiled)} epochs instead of {len(eager)}"
    if np.float64(accuracies["labgrad"]).tobytes() != np.float64(accuracies["labgrad compiled"]).tobytes():
        return f"the test accuracy: {accuracies['labgrad compiled']!r} vs {accuracies['labgrad']!r}"
    return None


def bench_complexnet(workers, epochs, n, random_data, n_test=COMPLEXNET_TEST):
    """e) The lab's ComplexNet, one epoch at a time, labgrad (eager and compiled) and PyTorch in turn:
    s/epoch and test accuracy."""
    x, y, x_test, y_test, what = load_complexnet_data(n, random_data, n_test)
    n_batches = -(-len(x) // BATCH)
    print(f"\n== e) seed 004 ComplexNet epoch: 784-512-256-128-10, BatchNorm1d + LeakyReLU(0.2), Adam lr 1e-3 "
          f"weight decay 1e-5, batch {BATCH}, float32, {len(x)} samples ({n_batches} batches); {epochs} epochs "
          f"each, whole epochs in turn (the order flipping every epoch), from the same weights and batch order ==")
    print(f"data: {what}; test: {len(x_test)} images")
    print("model: demos.fashion_mnist's ComplexNet, lab_init, to_torch, train_epoch (nn.fit) and evaluate; "
          "labgrad compiled: a second labgrad model, train_epoch(..., compile=True) (each epoch's nn.fit records "
          "its first 2 batches and the short last batch's first 2, in the timed epoch)")
    runs = {"labgrad": ("labgrad", False), "labgrad compiled": ("labgrad", True)}     # name -> (worker, compiled)
    if "torch" in workers.pools:
        runs["torch"] = ("torch", False)
    have_torch = "torch" in runs
    times, losses, accuracy = epochs_in_turn(workers, runs, (x, y, x_test, y_test), start_complexnet,
                                             _complexnet_orders(len(x), epochs), complexnet_epoch,
                                             complexnet_accuracy)
    mean = {name: statistics.fmean(ts) for name, ts in times.items()}
    header = ["", "best s/epoch", "median s/epoch", "mean s/epoch", "ms/batch (mean)", "mean loss, last epoch",
              f"test accuracy after {epochs} epoch{'s' * (epochs > 1)}"] + (["vs torch (mean)"] if have_torch else [])
    rows = [[name, f"{min(ts):.3f}", f"{statistics.median(ts):.3f}", f"{mean[name]:.3f}",
             f"{mean[name] / n_batches * 1e3:.2f}",
             f"{losses[name][-1]:.4f}", f"{100 * accuracy[name]:.2f}%"]
            + ([f"{mean[name] / mean['torch']:.2f}x"] if have_torch else []) for name, ts in times.items()]
    print_table(header, rows)
    report_epochs(times, mean, losses, accuracy, epochs, have_torch, bound=0.9, what="")
    return times


def epochs_in_turn(workers, runs, data, start, orders, epoch, accuracy_of):
    """Train e)'s or g)'s models whole epochs in turn (the order flipping every epoch), then test them.

    ``runs``: ``{name: (worker, what)}``; ``data``: ``(x, y, x_test, y_test)``, saved once for every worker's
    ``start(path)``; each epoch is ``epoch(order, what)`` in ``worker`` -> (mean loss, seconds), the test
    ``accuracy_of(what)`` -> (accuracy, loss). Returns ``(times, losses, accuracy)`` by name.
    """
    call = functools.partial(workers.call, pause=0.15)
    times, losses = {name: [] for name in runs}, {name: [] for name in runs}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npz")
        np.savez(path, **dict(zip(("x", "y", "x_test", "y_test"), data)))
        for impl in workers.pools:
            call(impl, start, path)
    order = list(runs)
    for epoch_order in orders:
        for name in order:
            loss, seconds = call(runs[name][0], epoch, epoch_order, runs[name][1])
            losses[name].append(loss)
            times[name].append(seconds)
        order.reverse()
    return times, losses, {name: call(worker, accuracy_of, what)[0] for name, (worker, what) in runs.items()}


def report_epochs(times, mean, losses, accuracy, epochs, have_torch, bound, what, loss_line=True):
    """The end of e) and g): each epoch's mean loss, the sanity lines (compiled is eager bit for bit; labgrad and
    torch agree), the epoch-by-epoch ratios and the targets (labgrad and labgrad compiled at most ``bound`` x
    torch, on the mean of the ``epochs``); ``what`` names the workload in the target lines."""
    if loss_line:
        print("mean loss epoch by epoch: " + "; ".join(
            f"{name} " + ", ".join(f"{v:.4f}" for v in ls) for name, ls in losses.items()))
    difference = complexnet_compiled_difference(losses, accuracy)
    print("sanity: labgrad compiled = labgrad eager bit for bit (mean loss of every epoch, test accuracy)"
          if difference is None else f"sanity: MISMATCH: labgrad compiled differs from labgrad eager: {difference}")
    if not have_torch:
        print("labgrad only (no torch)")
        return
    ok = complexnet_agree(losses, accuracy)
    print(f"sanity: {'labgrad and torch agree' if ok else 'MISMATCH between labgrad and torch'} "
          f"(mean losses within 2% epoch by epoch, test accuracies within 1.5 points: "
          f"{100 * (accuracy['labgrad'] - accuracy['torch']):+.2f} points)")
    for name in ("labgrad", "labgrad compiled"):
        per_epoch = ", ".join(f"{a / b:.2f}" for a, b in zip(times[name], times["torch"]))
        print(f"{name} / torch epoch by epoch: {per_epoch}; best epoch over best epoch: "
              f"{min(times[name]) / min(times['torch']):.2f}x")
    for name, same in (("labgrad", ok), ("labgrad compiled", ok and difference is None)):
        ratio = mean[name] / mean["torch"]
        print(f"target {what}{name} <= {bound}x torch s/epoch (mean of {epochs}), same accuracy: "
              f"{'met' if ratio <= bound and same else 'NOT met'} ({ratio:.2f}x)")


def _complexnet_orders(n, epochs):
    from demos import fashion_mnist as fm
    return fm.epoch_orders(n, epochs, COMPLEXNET_SEED)


# --- f) micrograd's moons MLP as 0-d tensors ------------------------------------------------

def make_moons(n, noise=MOONS_NOISE, seed=MOONS_SEED):
    """``n`` points of two interleaved half circles plus Gaussian noise (as sklearn's ``make_moons``),
    shuffled: ``x`` (n, 2) float64 and labels ``y`` in {-1, +1} (n,) float64, as micrograd's demo uses them.

    >>> x, y = make_moons(10)
    >>> x.shape, y.tolist().count(-1.0), y.tolist().count(1.0)
    ((10, 2), 5, 5)
    """
    rng = np.random.default_rng(seed)
    n_outer = n // 2
    outer, inner = np.linspace(0, np.pi, n_outer), np.linspace(0, np.pi, n - n_outer)
    x = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], axis=1),
                        np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], axis=1)])
    y = np.concatenate([-np.ones(n_outer), np.ones(n - n_outer)])
    x += rng.normal(0.0, noise, x.shape)
    order = rng.permutation(n)
    return x[order], y[order]


def moons_init(sizes=MOONS_SIZES, seed=MOONS_SEED):
    """The network's weights as Python floats: ``[[(w, b), ...] per layer]``, each neuron's ``w`` a list of
    ``n_in`` values uniform in [-1, 1) and ``b`` 0.0 (micrograd's ``Neuron``)."""
    rng = np.random.default_rng(seed)
    return [[([float(v) for v in rng.uniform(-1, 1, n_in)], 0.0) for _ in range(n_out)]
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def _moons_loss(scores, y, params):
    """micrograd's demo loss: the mean max-margin ``(1 - y_i score_i).relu()`` plus ``MOONS_ALPHA * sum(p * p)``."""
    losses = [(1 + -y[i] * s).relu() for i, s in enumerate(scores)]
    return sum(losses) * (1.0 / len(losses)) + MOONS_ALPHA * sum(p * p for p in params)


def moons_labgrad(init):
    """The network with labgrad 0-d float64 Tensors, as micrograd's ``MLP`` builds it: ``(params, step)``.

    ``step(x, y)`` (numpy arrays: the whole batch) runs the forward, the loss, the backward and
    ``nn.SGD``'s update, and returns the loss Tensor. The batch goes through Tensor ops
    (``X[i, j]``, ``Y[i]``), so :func:`autograd.compile` can replay the step for new data.
    """
    import nn
    layers = [[([Tensor(v, requires_grad=True) for v in w], Tensor(b, requires_grad=True)) for w, b in layer]
              for layer in init]
    params = [p for layer in layers for w, b in layer for p in w + [b]]
    opt = nn.SGD(params, lr=MOONS_LR)

    def forward(x):
        for k, layer in enumerate(layers):
            sums = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in layer]
            x = [s.relu() for s in sums] if k < len(layers) - 1 else sums
        return x[0]

    def step(x, y):
        X, Y = Tensor(x), Tensor(y)
        loss = _moons_loss([forward([X[i, j] for j in range(X.shape[1])]) for i in range(len(X))], Y, params)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return params, step


def moons_micrograd(init):
    """The same network in micrograd (``micrograd.nn.MLP`` with ``init``'s weights), its demo's step: ``step(x, y)``
    returns the loss Value (the update ``p.data -= lr * p.grad`` by hand, as the demo does)."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    sizes = [len(init[0][0][0])] + [len(layer) for layer in init]
    model = MLP(sizes[0], sizes[1:])
    for layer, weights in zip(model.layers, init):
        for neuron, (w, b) in zip(layer.neurons, weights):
            for p, v in zip(neuron.w, w):
                p.data = v
            neuron.b.data = b
    params = model.parameters()

    def step(x, y):
        scores = [model([Value(v) for v in row]) for row in x.tolist()]
        loss = _moons_loss(scores, y.tolist(), params)
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= MOONS_LR * p.grad
        return loss
    return step


def count_nodes(loss):
    """The ops of one step's graph (labgrad: :func:`autograd.graph.topological_order` from the loss; micrograd:
    the Values made by an op, found from the loss as its ``backward`` does)."""
    if isinstance(loss, Tensor):
        from autograd.graph import topological_order
        return len(topological_order([loss]))
    seen, stack, ops = set(), [loss], 0
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        ops += bool(v._prev)
        stack.extend(v._prev)
    return ops


def moons_difference(losses):
    """f)'s sanity: None, or what is wrong. ``losses`` is ``{impl: [loss of step 1, 2, ...]}`` from the same
    initial weights: labgrad compiled's must be labgrad eager's bit for bit (its third step is a replay),
    micrograd's (when there) within 1e-12 (relative) of them.

    >>> moons_difference({"labgrad eager": [0.9, 0.8], "labgrad compiled": [0.9, 0.8], "micrograd": [0.9, 0.8]})
    >>> moons_difference({"labgrad eager": [0.9, 0.8], "labgrad compiled": [0.9, 0.8000000000000002]})
    'labgrad compiled differs from labgrad eager at step 2: 0.8000000000000002 vs 0.8'
    """
    eager = losses["labgrad eager"]
    for impl, tolerance in (("labgrad compiled", 0.0), ("micrograd", 1e-12)):
        for k, (a, b) in enumerate(zip(eager, losses.get(impl, []))):
            if tolerance:
                same = abs(b - a) <= tolerance * abs(a)
            else:
                same = np.float64(a).tobytes() == np.float64(b).tobytes()
            if not same:
                return f"{impl} differs from labgrad eager at step {k + 1}: {b!r} vs {a!r}"
    return None


def bench_moons(rounds, points=MOONS_POINTS, sizes=MOONS_SIZES, micrograd=True, check_steps=3, block=0.2):
    """f) One training step of micrograd's moons MLP: labgrad eager, labgrad compiled (replays only) and
    micrograd (``micrograd``: when it is importable), in turn: ms per step and us per node."""
    import autograd
    print(f"\n== f) micrograd's moons MLP as 0-d tensors: MLP {'-'.join(map(str, sizes))} of scalar neurons "
          f"(sum(w_i x_i) + b, ReLU on hidden layers), max-margin loss + {MOONS_ALPHA:g} sum(p^2), SGD lr {MOONS_LR}, "
          f"batch = all {points} points; one step = forward, loss, backward, update; median of {rounds} rounds "
          f"taken in turn (the order flipping every round), in this process ==")
    print(f"data: {points} points of two noisy half circles (make_moons, numpy, noise {MOONS_NOISE}, "
          f"seed {MOONS_SEED}); float64 0-d Tensors, the batch through Tensor ops (X[i, j], Y[i])")
    x, y = make_moons(points)
    init = moons_init(sizes)
    steps = {"labgrad eager": moons_labgrad(init)[1]}
    compiled = steps["labgrad compiled"] = autograd.compile(moons_labgrad(init)[1])
    if micrograd:
        steps["micrograd"] = moons_micrograd(init)
    # the sanity steps, before any timing: the same losses from the same weights (the compiled step
    # records on its first 2 calls and replays from the 3rd), each training on from there
    losses, nodes, recording = {impl: [] for impl in steps}, {}, []
    for k in range(check_steps):
        for impl, step in steps.items():
            t0 = time.perf_counter()
            loss = step(x, y)
            if impl == "labgrad compiled" and k < 2:
                recording.append(time.perf_counter() - t0)
            elif impl != "labgrad compiled" and k == 0:
                nodes[impl] = count_nodes(loss)
            losses[impl].append(loss.item() if isinstance(loss, Tensor) else loss.data)
    nodes["labgrad compiled"] = nodes["labgrad eager"]
    tape = compiled.code.count("\n")
    print(f"nodes per step (ops of the graph from the loss): labgrad {nodes['labgrad eager']:,}"
          + (f", micrograd {nodes['micrograd']:,}" if micrograd else "")
          + f"; labgrad compiled replays a tape of {tape:,} lines (recorded {compiled.recordings}x, "
          f"replayed {compiled.replays}x so far)")
    print(f"labgrad compiled: recording took {recording[0]:.2f} s (1st call) + {recording[1]:.2f} s (2nd call, which "
          "also replays the 1st tape to check it); not in the times below, which are replays only")
    difference = moons_difference(losses)
    print("sanity: loss of the first steps " + ", ".join(
        f"{impl} " + ", ".join(f"{v:.15f}" for v in ls) for impl, ls in losses.items()))
    print("sanity: labgrad compiled = labgrad eager bit for bit" + (", micrograd within 1e-12" if micrograd else "")
          if difference is None else f"sanity: MISMATCH: {difference}")
    times, order = {(impl, off): [] for impl in steps for off in (False, True)}, list(steps)
    for _ in range(rounds):
        for impl in order:
            for gc_off in (False, True):
                times[impl, gc_off].append(_time_steps(steps[impl], x, y, block, gc_off))
        order.reverse()
    seconds = {key: statistics.median(ts) for key, ts in times.items()}
    us_per_node = {(impl, off): seconds[impl, off] / nodes[impl] * 1e6 for impl, off in seconds}
    header = ["", "ms/step", "us/node", "ms/step, gc off", "us/node, gc off"] + (
        ["vs micrograd", "vs micrograd, gc off"] if micrograd else [])
    rows = [[impl] + [f"{seconds[impl, off] * 1e3:.2f}" if k == 0 else f"{us_per_node[impl, off]:.3f}"
                      for off in (False, True) for k in (0, 1)]
            + ([f"{seconds[impl, off] / seconds['micrograd', off]:.2f}x" for off in (False, True)] if micrograd else [])
            for impl in steps]
    print_table(header, rows)
    print("gc off: Python's cyclic garbage collector disabled during the timed step (collected between steps); "
          "the other columns as a user runs it, the collector on (it walks the step's young objects, and micrograd's "
          "graph, full of reference cycles, is freed only by it)")
    if not micrograd:
        print("micrograd: not installed (pip install micrograd to compare)")
    compiled_us = us_per_node["labgrad compiled", False]
    verdict = compiled_us <= 1.5 and difference is None
    print(f"target labgrad compiled <= 1.5 us per node (gc on): {'met' if verdict else 'NOT met'} "
          f"({compiled_us:.3f} us/node)")
    return us_per_node


def _time_steps(step, x, y, block, gc_off):
    """The median seconds of ``step(x, y)`` over a block of steps timed for about ``block`` seconds (at least one);
    the garbage collected before each step, untimed; ``gc_off``: the collector disabled during the step."""
    per_step = []
    while not per_step or sum(per_step) < block:
        gc.collect()
        if gc_off:
            gc.disable()
        try:
            t0 = time.perf_counter()
            step(x, y)
            per_step.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    return statistics.median(per_step)


# --- g) the CNN lab: conv2d and a training epoch of demos.fashion_cnn against PyTorch -------

def conv_problem(seed=CONV_SEED):
    """g)'s two convolutions: ``{name: (x, w, g)}``, float32 numpy arrays shared by both workers.

    ``x`` ~ N(0, 1) images, ``w`` ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default init), and
    ``g`` ~ N(0, 1) the upstream gradient ``d L / d out`` the backward starts from (padding 1:
    ``out`` has ``x``'s height and width).

    >>> {name: [a.shape for a in arrays] for name, arrays in conv_problem().items()}["64x1x28x28 * 32x1x3x3"]
    [(64, 1, 28, 28), (32, 1, 3, 3), (64, 32, 28, 28)]
    """
    rng = np.random.default_rng(seed)
    problem = {}
    for x_shape, w_shape in CONV_SHAPES:
        bound = 1 / np.sqrt(np.prod(w_shape[1:]))
        x = rng.standard_normal(x_shape).astype(np.float32)
        w = rng.uniform(-bound, bound, w_shape).astype(np.float32)
        g = rng.standard_normal((x_shape[0], w_shape[0]) + x_shape[2:]).astype(np.float32)
        problem["x".join(map(str, x_shape)) + " * " + "x".join(map(str, w_shape))] = x, w, g
    return problem


def conv_labgrad(x, w, g):
    """One call of g)'s conv2d with labgrad: ``autograd.conv2d(x, w, padding=1)`` forward and ``backward(g)``;
    the call returns ``(out, dx, dw)`` as numpy arrays (the leaves' gradients reset before each call)."""
    import autograd
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)

    def call():
        xt.grad = wt.grad = None
        out = autograd.conv2d(xt, wt, padding=CONV_PADDING)
        out.backward(g)
        return out.data, xt.grad, wt.grad
    return call


def conv_torch(torch, x, w, g):
    """The same with ``torch.nn.functional.conv2d(x, w, padding=1)`` and ``out.backward(g)``; torch tensors."""
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    gt = torch.from_numpy(g)

    def call():
        xt.grad = wt.grad = None
        out = torch.nn.functional.conv2d(xt, wt, padding=CONV_PADDING)
        out.backward(gt)
        return out, xt.grad, wt.grad
    return call


def start_conv(problem):
    """Build this worker's side of g)'s convolutions (labgrad, or torch in torch's worker)."""
    torch = worker_state.get("torch")
    worker_state["conv"] = {name: conv_torch(torch, *arrays) if torch is not None else conv_labgrad(*arrays)
                            for name, arrays in problem.items()}


def conv_results():
    """Each convolution of g) computed once (untimed): ``{name: [out, dx, dw]}`` as float64 numpy arrays."""
    in_torch = worker_state.get("torch") is not None
    return {name: [(t.detach().numpy() if in_torch else t).astype(np.float64) for t in call()]
            for name, call in worker_state["conv"].items()}


def time_conv(name, budget):
    """Seconds of each call of convolution ``name``, called until ``budget`` seconds have passed (at least once)."""
    return _time_calls(worker_state["conv"][name], budget)


def compare_conv(results):
    """g)'s sanity for conv2d: ``[(what, max |labgrad - torch|, largest |torch|), ...]`` for the output and the
    two gradients of each convolution (judged by :func:`transforms_agree`, within ``AGREE_RTOL``).

    >>> a = [np.ones((2, 2)), np.zeros(2), np.full(3, 2.0)]
    >>> compare_conv({"labgrad": {"c": a}, "torch": {"c": [a[0] + 1e-3, a[1], a[2]]}})[0]
    ('c: out', 0.0009999999999998899, 1.001)
    """
    rows = []
    for name, ours in results["labgrad"].items():
        for what, a, b in zip(("out", "dx", "dw"), ours, results["torch"][name]):
            rows.append((f"{name}: {what}", float(np.abs(a - b).max()), float(np.abs(b).max())))
    return rows


def bench_conv(workers, rounds, budget):
    """g), first part: conv2d forward + backward, labgrad against torch, at the CNN's two shapes: ms per call."""
    print(f"\n== g) the CNN lab (issue #20), conv2d: autograd.conv2d vs torch.nn.functional.conv2d, float32, padding "
          f"{CONV_PADDING}, no bias, forward + backward(g) from a given upstream gradient g; best and median ms per "
          f"call over {rounds} rounds, the workers taking turns with blocks of about {budget * 1e3:.0f} ms ==")
    problem = conv_problem()
    impls, call, results = started(workers, start_conv, conv_results, problem)
    have_torch = "torch" in impls
    times = timed_in_turn(call, impls, list(problem), time_conv, rounds, budget)
    best = {key: min(ts) * 1e3 for key, ts in times.items()}
    median = {key: statistics.median(ts) * 1e3 for key, ts in times.items()}
    header = ["input * weight", "labgrad best ms", "labgrad median ms"] + (
        ["torch best ms", "torch median ms", "labgrad / torch (median)", "(best)"] if have_torch else []) + [
        "calls timed" + (" (labgrad / torch)" if have_torch else "")]
    rows = []
    for name in problem:
        row = [name, f"{best['labgrad', name]:.2f}", f"{median['labgrad', name]:.2f}"]
        if have_torch:
            row += [f"{best['torch', name]:.2f}", f"{median['torch', name]:.2f}",
                    f"{median['labgrad', name] / median['torch', name]:.2f}x",
                    f"{best['labgrad', name] / best['torch', name]:.2f}x"]
        row.append(" / ".join(str(len(times[impl, name])) for impl in impls))
        rows.append(row)
    print_table(header, rows)
    if not have_torch:
        print("labgrad only (no torch)")
        return median
    checks = compare_conv(results)
    for what, err, scale in checks:
        print(f"sanity: max |conv2d {what} labgrad - torch| = {err:.1e} (largest entry {scale:.2g})")
    agree = transforms_agree(checks)
    print(f"sanity: {'the convolutions agree' if agree else 'MISMATCH between the convolutions'} (output and "
          f"gradients from the same x, w, g, each within {AGREE_RTOL:g} of its largest entry)")
    for name in problem:
        ratio = median["labgrad", name] / median["torch", name]
        print(f"target conv2d {name}: labgrad <= 1.5x torch (median per call): "
              f"{'met' if ratio <= 1.5 and agree else 'NOT met'} ({ratio:.2f}x)")
    return median


def load_cnn_data(n, random_data, n_test=CNN_TEST):
    """The first ``n`` training and ``n_test`` test images as :func:`demos.fashion_cnn.as_images` makes them
    ((N, 1, 28, 28) float32, (x - 0.5) / 0.5), int64 labels, and a description.

    Fashion-MNIST where :func:`nn.data.locate` finds both splits (no download), unless
    ``random_data``; else random images and labels 0-9 of the same shape.
    """
    from demos import fashion_cnn as fc
    found = _fashion_mnist(random_data)
    if found is not None:
        x, y, x_test, y_test, folder = found
        what = f"real Fashion-MNIST ({folder})"
    else:
        rng = np.random.default_rng(20)
        x, y = rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)
        x_test, y_test = rng.random((n_test, 784), dtype=np.float32), rng.integers(0, 10, n_test)
        what = ("random float32 images and random labels 0-9 (--random-data, or Fashion-MNIST not found; "
                "accuracy ~10%)")
    return (fc.as_images(x[:n], (28, 28)), y[:n].astype(np.int64), fc.as_images(x_test[:n_test], (28, 28)),
            y_test[:n_test].astype(np.int64), what)


def cnn_initial(seed=CNN_SEED):
    """The CNN of :mod:`demos.fashion_cnn` with its initial weights (PyTorch's default init drawn with numpy,
    ``seed``): the same in every worker and in the memory probes."""
    from demos import fashion_cnn as fc
    return fc.torch_default_init(fc.make_model(), np.random.default_rng(seed))


def start_cnn(path, seed=CNN_SEED):
    """Build g)'s CNN and its Adam in this worker from :func:`cnn_initial`, with the data in ``path`` (an ``.npz``).

    labgrad's worker builds two copies, ``"labgrad"`` (eager) and ``"compiled"`` (trained with
    ``nn.fit(..., compile=True)``); torch's worker one, ``"torch"`` (:func:`demos.fashion_cnn.to_torch`).
    A throwaway model trains a few batches first, each way (a warm-up that leaves the timed models untouched).
    """
    from demos import fashion_cnn as fc
    data = np.load(path)
    worker_state["cnn_data"] = x, y, _, _ = data["x"], data["y"], data["x_test"], data["y_test"]
    initial = cnn_initial(seed)
    sides = ["torch"] if worker_state["impl"] == "torch" else ["labgrad", "compiled"]

    def build(side, model):
        if side == "torch":
            model = fc.to_torch(model)
        else:
            copy = fc.make_model()
            copy.load_state_dict(model.state_dict())
            model = copy
        return model, fc.make_optimizer(side, model, CNN_LR)

    warm_order = np.arange(min(len(x), 2 * BATCH))
    for side in sides:
        warm_model, warm_opt = build(side, cnn_initial(seed + 1))
        fc.train_epoch(side, warm_model, warm_opt, x, y, warm_order, BATCH)
    worker_state["cnn"] = {side: build(side, initial) for side in sides}
    gc.collect()


def cnn_epoch(order, side):
    """One epoch of this worker's CNN ``side`` over ``x[order]``: (mean batch loss, seconds)."""
    from demos import fashion_cnn as fc
    model, opt = worker_state["cnn"][side]
    x, y = worker_state["cnn_data"][:2]
    return fc.train_epoch(side, model, opt, x, y, order, BATCH)


def cnn_accuracy(side):
    """Test accuracy and cross-entropy of this worker's CNN ``side``, BatchNorm in evaluation mode."""
    from demos import fashion_mnist as fm
    model, _ = worker_state["cnn"][side]
    return fm.evaluate(model, *worker_state["cnn_data"][2:], "torch" if side == "torch" else "labgrad")


def bench_cnn(workers, epochs, n, random_data, n_test=CNN_TEST, threads=None, memory_batches=None):
    """g), second part: a training epoch of demos.fashion_cnn's CNN, labgrad eager, labgrad compiled and PyTorch
    in turn: s/epoch, test accuracy, and the peak memory a training step adds (a fresh process per side)."""
    from demos import fashion_cnn as fc
    from demos import fashion_mnist as fm
    memory_batches = memory_batches or fc.MEMORY_BATCHES
    x, y, x_test, y_test, what = load_cnn_data(n, random_data, n_test)
    n_batches = -(-len(x) // BATCH)
    print(f"\n== g) the CNN lab (issue #20), one training epoch of demos.fashion_cnn's network: Conv2d(1, 32, 3, p1) "
          f"BatchNorm2d ReLU MaxPool2d(2) Conv2d(32, 64, 3, p1) ReLU MaxPool2d(2) Linear(3136, 128) ReLU "
          f"Linear(128, 10), cross-entropy, Adam lr {CNN_LR:g}, batch {BATCH}, float32, {len(x)} samples "
          f"({n_batches} batches); {epochs} epochs each, whole epochs in turn (the order flipping every epoch), "
          f"from the same weights and batch order ==")
    print(f"data: {what}; test: {len(x_test)} images")
    print("model: demos.fashion_cnn's make_model, torch_default_init (seed 20), to_torch, make_optimizer, "
          "train_epoch (labgrad: nn.fit), measure_memory; demos.fashion_mnist's epoch_orders and evaluate; "
          "labgrad compiled: a second labgrad model, nn.fit(..., compile=True) (each epoch records its first 2 "
          "batches and the short last batch's first 2, in the timed epoch)")
    runs = {"labgrad": ("labgrad", "labgrad"), "labgrad compiled": ("labgrad", "compiled")}   # name -> (worker, side)
    if "torch" in workers.pools:
        runs["torch"] = ("torch", "torch")
    have_torch = "torch" in runs
    times, losses, accuracy = epochs_in_turn(workers, runs, (x, y, x_test, y_test), start_cnn,
                                             fm.epoch_orders(len(x), epochs, CNN_SEED), cnn_epoch, cnn_accuracy)
    # the peak memory of training: a fresh process per side (the demo's probe), the workers idle meanwhile
    initial, memory = cnn_initial(), {}
    for name, (_, side) in runs.items():
        memory[name] = fc.measure_memory(side, initial, x, y, BATCH, CNN_LR, threads, memory_batches)
    mean = {name: statistics.fmean(ts) for name, ts in times.items()}
    header = ["", "best s/epoch", "median s/epoch", "mean s/epoch", "ms/batch (mean)",
              "s per 60,000 images (mean, scaled)", "mean loss, last epoch",
              f"test accuracy after {epochs} epoch{'s' * (epochs > 1)}"] + (["vs torch (mean)"] if have_torch else [])
    rows = [[name, f"{min(ts):.3f}", f"{statistics.median(ts):.3f}", f"{mean[name]:.3f}",
             f"{mean[name] / n_batches * 1e3:.2f}", f"{mean[name] / n_batches * -(-60000 // BATCH):.1f}",
             f"{losses[name][-1]:.4f}", f"{100 * accuracy[name]:.2f}%"]
            + ([f"{mean[name] / mean['torch']:.2f}x"] if have_torch else []) for name, ts in times.items()]
    print_table(header, rows)
    print("mean loss epoch by epoch: " + "; ".join(
        f"{name} " + ", ".join(f"{v:.4f}" for v in ls) for name, ls in losses.items()))
    _print_cnn_memory(memory, memory_batches, have_torch)
    report_epochs(times, mean, losses, accuracy, epochs, have_torch, bound=1.5, what="CNN ", loss_line=False)
    return times


def _print_cnn_memory(memory, batches, have_torch):
    """g)'s peak memory table: ``memory`` is ``{name: measure_memory's dict, or why it was not measured}``."""
    rows = []
    torch_rss = memory.get("torch") if have_torch and not isinstance(memory.get("torch"), str) else None
    for name, m in memory.items():
        if isinstance(m, str):
            rows.append([name, "not measured", "-"] + ["-"] * have_torch)
            print(f"peak memory of {name}: not measured: {m}")
            continue
        rss, traced = m["rss"], m["traced"]
        ratio = (f"{rss / torch_rss['rss']:.2f}x" if rss is not None and torch_rss and torch_rss["rss"] else "-")
        rows.append([name, "n/a (no /proc)" if rss is None else f"{rss:.1f}",
                     "-" if traced is None else f"{traced:.1f}"] + [ratio] * have_torch)
    print(f"peak memory of training (demos.fashion_cnn.measure_memory: a fresh process per side runs the first "
          f"{batches} batches; resident memory above that after setup, VmHWM):")
    print_table(["", "peak resident MiB a training step adds", "tracemalloc peak MiB (labgrad)"]
                + ["vs torch (resident)"] * have_torch, rows)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m demos.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 5 chain repeats, 1 epoch of 6,400 samples, 2 short rounds of d), "
                             "1 ComplexNet epoch of 6,400 samples in e), f) on 10 points with an MLP 2-4-1, "
                             "g) with 1 short round of conv2d and 1 CNN epoch of 256 samples (256 test images; "
                             "memory: 3 batches)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats of the op chain (default 51)")
    parser.add_argument("--epochs", type=int, default=None, help="timed epochs per implementation (default 5)")
    parser.add_argument("--samples", type=int, default=None,
                        help="training samples per epoch of b) and e) (default 60000; g) has --cnn-samples)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/OpenMP threads for numpy and torch (default: the machine default)")
    parser.add_argument("--random-data", action="store_true", help="random data even if Fashion-MNIST exists")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    parser.add_argument("--unset-openblas-env", action="store_true",
                        help="remove OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for the benchmark's processes")
    parser.add_argument("--sizes", default=None,
                        help="layer sizes of the MLP, 4 numbers (default 784,256,128,10); a tiny net such as "
                             "8,6,4,10 leaves only the per-step overhead (random data)")
    parser.add_argument("--unfused-sgd", action="store_true",
                        help="labgrad's SGD update as numpy's two passes (p -= lr * g), not BLAS axpy: "
                             "the per-step bookkeeping alone")
    parser.add_argument("--skip-overhead", action="store_true", help="skip benchmark a)")
    parser.add_argument("--skip-mlp", action="store_true", help="skip benchmark b)")
    parser.add_argument("--skip-player", action="store_true", help="skip benchmark c) (the backprop player)")
    parser.add_argument("--skip-transforms", action="store_true",
                        help="skip benchmark d) (the function transforms against torch.func)")
    parser.add_argument("--skip-complexnet", action="store_true",
                        help="skip benchmark e) (the lab's ComplexNet epoch against PyTorch)")
    parser.add_argument("--skip-moons", action="store_true",
                        help="skip benchmark f) (micrograd's moons MLP as 0-d tensors)")
    parser.add_argument("--complexnet-epochs", type=int, default=None,
                        help="e): epochs per framework, taken in turn (default 3; --quick 1)")
    parser.add_argument("--skip-cnn", action="store_true",
                        help="skip benchmark g) (conv2d and the CNN lab's training epoch against PyTorch)")
    parser.add_argument("--cnn-samples", type=int, default=None,
                        help=f"g): training images per CNN epoch (default {CNN_SAMPLES:,}, 200 batches, to keep the "
                             "default run a few minutes; 60000 for a whole epoch, 938 batches: minutes per side and "
                             "epoch on 2 cores; --quick 256)")
    parser.add_argument("--cnn-epochs", type=int, default=None,
                        help="g): CNN epochs per side (labgrad eager, compiled, torch), taken in turn (default 2; "
                             "--quick 1)")
    args = parser.parse_args(argv)
    sizes = SIZES
    if args.sizes:
        try:
            sizes = tuple(int(s) for s in args.sizes.split(","))
        except ValueError:
            sizes = ()
        if len(sizes) != 4 or min(sizes) < 1:
            parser.error(f"--sizes: expected 4 positive integers such as 784,256,128,10, got {args.sizes!r}")
    environ = {}                                     # the workers are spawned with this environment
    if args.unset_openblas_env:
        environ.update(OPENBLAS_CORETYPE=None, OPENBLAS_L2_SIZE=None)
    if args.threads:                                 # read by OpenBLAS and OpenMP when the workers start
        environ.update(dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"),
                                     str(args.threads)))
    with _changed_environ(environ), _layer_sizes(sizes):
        _run(args)


def _run(args):
    """The benchmarks ``main`` has parsed the options of (the workers' environment already set)."""
    repeats = args.repeats or (5 if args.quick else 51)
    epochs = args.epochs or (1 if args.quick else 5)
    samples = args.samples or (6400 if args.quick else 60000)
    installed = importlib.util.find_spec("torch") is not None
    have_torch = installed and not args.no_torch
    impls = ["labgrad", "torch"] if have_torch else ["labgrad"]
    with _Workers(impls, args.threads, args.unfused_sgd) as workers:
        print_machine(workers, args.threads, "torch not installed" if not installed else "not used (--no-torch)")
        if not args.skip_overhead:
            bench_overhead(workers, repeats)
        if not args.skip_mlp:
            bench_mlp(workers, epochs, samples, args.random_data)
        if not args.skip_transforms:                 # d), while the workers are up
            bench_transforms(workers, 2 if args.quick else 15, 0.01 if args.quick else 0.1)
        if not args.skip_complexnet:                 # e)
            bench_complexnet(workers, args.complexnet_epochs or (1 if args.quick else 3), samples, args.random_data,
                             1000 if args.quick else COMPLEXNET_TEST)
        if not args.skip_cnn:                        # g)
            bench_conv(workers, 1 if args.quick else 10, 0.01 if args.quick else 0.2)
            bench_cnn(workers, args.cnn_epochs or (1 if args.quick else 2),
                      args.cnn_samples or (256 if args.quick else CNN_SAMPLES), args.random_data,
                      256 if args.quick else CNN_TEST, args.threads, 3 if args.quick else None)
    if not args.skip_player:                         # in this process, once the workers have stopped
        bench_player(3 if args.quick else 7)
    if not args.skip_moons:                          # pure Python, in this process too
        if args.quick:
            bench_moons(2, points=10, sizes=(2, 4, 1), micrograd=_have_micrograd(), block=0.01)
        else:
            bench_moons(7, micrograd=_have_micrograd())


def _have_micrograd():
    return importlib.util.find_spec("micrograd") is not None


@contextlib.contextmanager
def _changed_environ(changes):
    """``os.environ`` with ``changes`` (``None`` removes a variable) inside, as it was after."""
    def update(values):
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    saved = {name: os.environ.get(name) for name in changes}
    update(changes)
    try:
        yield
    finally:
        update(saved)


@contextlib.contextmanager
def _layer_sizes(sizes):
    """The module's ``SIZES`` set to ``sizes`` inside (the parent process builds data and weights from it)."""
    global SIZES
    saved, SIZES = SIZES, sizes
    try:
        yield
    finally:
        SIZES = saved


if __name__ == "__main__":
    main()
