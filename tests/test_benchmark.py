"""``python -m demos.benchmark`` runs in every mode, ``--unfused-sgd`` really gives labgrad numpy's update, and d)
times the function transforms it names and catches a wrong result.

The runs are in-process calls of ``benchmark.main`` (its workers are spawned processes, as in a user's run),
shrunk to a few seconds with ``--repeats 1 --samples 128`` on top of ``--quick``. The numbers they print
are timings and not checked; what is checked is that each mode runs to the end and says what it measured.
"""
import ctypes
import importlib.util
import os
import re

import numpy as np
import pytest
from demo_helpers import number

from demos import benchmark
from nn import blas

SHRINK = ["--quick", "--repeats", "1", "--samples", "128", "--random-data"]
HAVE_TORCH = importlib.util.find_spec("torch") is not None
SGD_LINE = "labgrad : SGD update p -= lr g as "


def _sgd_line(out):
    return next(line for line in out.splitlines() if line.startswith(SGD_LINE))[len(SGD_LINE):]


@pytest.mark.parametrize("options", [[], ["--unfused-sgd", "--no-torch"], ["--threads", "1"], ["--no-torch"],
                                     ["--sizes", "8,6,4,10"]],
                         ids=["default", "unfused-sgd", "threads-1", "no-torch", "sizes"])   # (torch: 4 s a run)
def test_main_runs_to_the_end(options, capsys):
    environ, sizes = dict(os.environ), benchmark.SIZES
    transforms = options in ([], ["--no-torch"])     # d) and e) with and without torch, skipped in the other runs
    benchmark.main(SHRINK + (options or []) + ["--skip-player"] * bool(options)   # c) once, in the default run
                   + ["--skip-transforms", "--skip-complexnet"] * (not transforms))
    out = capsys.readouterr().out
    assert "== a) per-op overhead" in out and "== b) one training epoch" in out
    assert ("== e) seed 004 ComplexNet epoch" in out) == transforms
    if transforms:
        _check_complexnet_section(out, with_torch=HAVE_TORCH and "--no-torch" not in options)
    assert ("== c) the backprop player" in out) == (not options)
    if not options:
        _check_player_section(out)
    assert ("== d) function transforms" in out) == transforms
    if transforms:
        _check_transforms_section(out, with_torch=HAVE_TORCH and "--no-torch" not in options)
    assert "sanity: the implementations agree" in out, out
    torch_line = ("torch   : torch not installed" if not HAVE_TORCH
                  else "torch   : not used (--no-torch)" if "--no-torch" in options else "torch   : 2.")
    assert torch_line in out, out
    if HAVE_TORCH and "--no-torch" not in options:
        assert number(r"sanity: max \|dx labgrad - dx torch\| = ([\d.e+-]+)", out) < 1e-5
        assert "vs torch (mean)" in out
    if "--threads" in options:                                             # as the workers see it
        assert "threads : 1 (--threads)" in out
        assert "1 threads)" in out or "threadpoolctl not installed" in out   # numpy's BLAS
        assert not HAVE_TORCH or "CPU eager, 1 threads" in out
    if "--sizes" in options:
        assert "MLP 8-6-4-10 ReLU" in out
    else:
        assert "MLP 784-256-128-10 ReLU" in out
    if "--unfused-sgd" in options:
        assert _sgd_line(out) == "numpy's two passes (--unfused-sgd)"
    elif blas.available(np.float32):       # the workers reach numpy's BLAS as this process does
        assert _sgd_line(out) == "one pass, BLAS axpy"
    else:
        assert _sgd_line(out) == "numpy's two passes (numpy's BLAS not reachable)"
    # the caller's process is left as it was: the options only reach the workers
    assert dict(os.environ) == environ and benchmark.SIZES == sizes


# --- --unfused-sgd in the worker: what the header says and what the optimiser does ----------------------

@pytest.fixture
def axpy_spy(monkeypatch):
    """nn.blas's float32 axpy routine replaced by one that records its calls and does the update in numpy.

    monkeypatch restores the real table afterwards.
    """
    calls = []

    def spy(n, a, x, incx, y, incy):
        calls.append(n)
        view = ctypes.POINTER(ctypes.c_float)
        x_arr = np.ctypeslib.as_array(ctypes.cast(x, view), (n,))
        y_arr = np.ctypeslib.as_array(ctypes.cast(y, view), (n,))
        y_arr += np.float32(a) * x_arr

    monkeypatch.setattr(blas, "ROUTINES", {np.dtype(np.float32): spy})
    monkeypatch.setattr(benchmark, "worker_state", {})
    return calls


def _labgrad_epoch(x, y):
    """One epoch of the benchmark's labgrad loop on the default 784-256-128-10 net: (losses, trained weights)."""
    losses, epoch = [], benchmark.epoch_labgrad(benchmark.he_init(), x, y)
    while True:
        try:
            losses.append(next(epoch))
        except StopIteration as end:
            return losses, end.value


@pytest.mark.parametrize("unfused", [False, True])
def test_unfused_sgd_worker_takes_numpys_two_passes(unfused, axpy_spy, tmp_path):
    assert benchmark.SIZES == (784, 256, 128, 10)        # (784, 256) float32: above axpy's 128 KiB threshold
    x, y, _ = benchmark.load_data(128, random_data=True)
    reference_losses, reference_params = _labgrad_epoch(x, y)      # through the spy: one pass
    big = benchmark.SIZES[0] * benchmark.SIZES[1]
    assert axpy_spy.count(big) == 2                                   # the spy sees the first weight's steps
    axpy_spy.clear()

    np.savez(tmp_path / "data.npz", x=x, y=y)
    benchmark.init_worker("labgrad", tmp_path / "data.npz", None, unfused_sgd=unfused)
    info = benchmark.worker_info()
    benchmark.start_epoch(benchmark.he_init())                      # as the benchmark's worker runs it
    _, losses, params = benchmark.train_paired(1)["labgrad"]
    if unfused:
        assert info["sgd"] == "numpy's two passes (--unfused-sgd)"
        assert axpy_spy == []                                        # the optimiser never reached BLAS axpy
    else:
        assert info["sgd"] == "one pass, BLAS axpy"
        assert axpy_spy.count(big) == 2
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-6)  # the same training either way
    for (w, b), (w_ref, b_ref) in zip(params, reference_params):
        np.testing.assert_allclose(w, w_ref, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(b, b_ref, rtol=1e-5, atol=1e-7)


def test_sgd_line_without_reachable_blas_says_so(monkeypatch):
    monkeypatch.setattr(blas, "ROUTINES", {})
    monkeypatch.setattr(benchmark, "worker_state", {})
    benchmark.init_worker("labgrad", None, None)
    assert benchmark.worker_info()["sgd"] == "numpy's two passes (numpy's BLAS not reachable)"


# --- c) the backprop player -------------------------------------------------------------------------

def _check_player_section(out):
    """The two figures are printed, as measured on graphs of exactly 50 and 1,000 nodes."""
    assert "50 nodes" in out and "1000 nodes" in out
    size = number(r"player page of a 50-node graph: ([\d,]+) bytes", out.replace(",", ""))
    assert 10_000 < size < 300_000                                   # the bound, measured
    seconds = number(r"player of a 1,000-node graph made and written in ([\d.]+) s", out)
    assert 0 < seconds < 30                                          # a time, not the target (timing is no test)


def test_player_section_alone(capsys):
    benchmark.main(["--quick", "--skip-overhead", "--skip-mlp", "--skip-transforms", "--skip-complexnet", "--no-torch"])
    out = capsys.readouterr().out
    assert "== a)" not in out and "== b)" not in out and "== d)" not in out and "== e)" not in out
    _check_player_section(out)
    assert "CPU     : " in out                                       # the machine line, as for a) and b)


@pytest.mark.parametrize("n", [3, 5, 7, 8, 9, 50, 1000])
def test_player_graph_has_exactly_n_nodes(n):
    from autograd import viz
    assert len(viz.player(benchmark.player_graph(n), max_nodes=1000).scene.nodes) == n


@pytest.mark.parametrize("n", [0, 4, 6])
def test_player_graph_of_a_count_it_cannot_make(n):
    with pytest.raises(ValueError, match=f"player_graph: n_nodes must be 3, 5 or at least 7 .*, got {n}"):
        benchmark.player_graph(n)


# --- d) the function transforms ---------------------------------------------------------------------

def _check_transforms_section(out, with_torch):
    """All three transforms timed (a time per call, and the ratio with torch), and their results checked."""
    assert "MLP 784-64-10 tanh, float32" in out and "not measured" not in out
    for name in benchmark.TRANSFORMS:
        ms = number(rf"\n{name} +([\d.]+) ", out)                     # the table's row: labgrad's ms per call
        assert 0 < ms < 10_000                                         # a time, not the target (timing is no test)
        if with_torch:
            assert number(rf"\n{name} +[\d.]+ +[\d.]+ +([\d.]+)x", out) >= 0   # (0.00x: printed, not judged)
            assert number(rf"sanity: max \|{name} labgrad vs torch.func\| = ([\d.e+-]+)", out) < 1e-4
            assert f"target {name}: labgrad <= 1.0x torch.func: " in out
    assert number(r"sanity: max \|labgrad jacfwd vs jacrev\| = ([\d.e+-]+)", out) < 1e-5
    assert number(r"sanity: max \|labgrad hvp vs central difference of its gradient \(float64\)\| = ([\d.e+-]+)",
                  out) < 1e-3
    assert "sanity: the transforms agree" in out
    assert ("labgrad / torch.func" in out) == with_torch


def test_transforms_section_alone(capsys):
    benchmark.main(["--quick", "--skip-overhead", "--skip-mlp", "--skip-player", "--skip-complexnet"])
    out = capsys.readouterr().out
    assert "== a)" not in out and "== b)" not in out and "== c)" not in out and "== e)" not in out
    _check_transforms_section(out, with_torch=HAVE_TORCH)
    assert "CPU     : " in out


def _labgrad_transforms(monkeypatch):
    monkeypatch.setattr(benchmark, "worker_state", {})
    benchmark.init_worker("labgrad", None, None)
    problem = benchmark.transform_problem()
    benchmark.start_transforms(problem)
    return problem


def test_transforms_compute_the_mlps_jacobian_and_hvp(monkeypatch):
    """What d) times is what it says: the Jacobian of tanh(x W1 + b1) W2 + b2 (by hand here) and H v."""
    problem = _labgrad_transforms(monkeypatch)
    W1, b1, W2, b2 = (p.astype(np.float64) for p in problem["params"])
    hidden = np.tanh(problem["x"] @ W1 + b1)
    jacobian = (W2.T * (1 - hidden ** 2)) @ W1.T                    # (10, 784)
    results = benchmark.transform_results()
    for name in benchmark.TRANSFORMS:
        assert not isinstance(results[name], str), results[name]      # (the error's text: a jvp rule missing)
    for name in ("jacrev", "jacfwd"):
        (j,) = results[name]
        assert j.shape == (10, 784)
        np.testing.assert_allclose(j, jacobian, atol=1e-6)
    reference = benchmark.hvp_by_differences(problem)
    assert [h.shape for h in results["hvp"]] == [(784, 64), (64,), (64, 10), (10,)]
    for h, r in zip(results["hvp"], reference):
        np.testing.assert_allclose(h, r, atol=1e-4 * max(np.abs(r).max() for r in reference))
    checks = benchmark.compare_transforms({"labgrad": results}, reference)
    assert [c[0] for c in checks] == ["labgrad jacfwd vs jacrev",
                                      "labgrad hvp vs central difference of its gradient (float64)"]
    assert benchmark.transforms_agree(checks)


def test_the_reference_hvp_is_torchs(monkeypatch):
    """The float64 central difference that d) checks labgrad's hvp against agrees with torch.func's hvp
    (torch's worker, in this process: its results come back in labgrad's layout)."""
    pytest.importorskip("torch")
    monkeypatch.setattr(benchmark, "worker_state", {})
    benchmark.init_worker("torch", None, None)
    problem = benchmark.transform_problem()
    benchmark.start_transforms(problem)
    results = benchmark.transform_results()
    reference = benchmark.hvp_by_differences(problem)
    scale = max(np.abs(r).max() for r in reference)
    assert [h.shape for h in results["hvp"]] == [r.shape for r in reference]
    for h, r in zip(results["hvp"], reference):
        np.testing.assert_allclose(h, r, atol=1e-4 * scale)
    np.testing.assert_allclose(results["jacfwd"][0], results["jacrev"][0], atol=1e-6)


@pytest.mark.parametrize("wrong", ["jacrev", "jacfwd", "hvp"])
def test_a_wrong_transform_is_a_mismatch(wrong):
    rng = np.random.default_rng(0)
    right = {"jacrev": [rng.standard_normal((10, 784))],
             "hvp": [rng.standard_normal(s) for s in [(784, 64), (64,), (64, 10), (10,)]]}
    right["jacfwd"] = [right["jacrev"][0].copy()]
    ours = {name: [a.copy() for a in arrays] for name, arrays in right.items()}
    assert benchmark.transforms_agree(benchmark.compare_transforms({"labgrad": ours, "torch": right}, right["hvp"]))
    ours[wrong][-1][-1] += 0.01                                       # one entry off by 0.01
    checks = benchmark.compare_transforms({"labgrad": ours, "torch": right}, right["hvp"])
    assert not benchmark.transforms_agree(checks)
    assert {what for what, err, _ in checks if err > 0} >= {f"{wrong} labgrad vs torch.func"}


def test_a_transform_without_a_rule_is_reported_not_raised(monkeypatch):
    _labgrad_transforms(monkeypatch)

    def no_rule():
        raise NotImplementedError("forward mode through 'op': Op has no jvp rule")

    transforms = benchmark.worker_state["transforms"]
    transforms["jacfwd"] = transforms["hvp"] = no_rule
    results = benchmark.transform_results()
    assert results["jacfwd"] == results["hvp"] == "NotImplementedError: forward mode through 'op': Op has no jvp rule"
    assert results["jacrev"][0].shape == (10, 784)
    assert benchmark.compare_transforms({"labgrad": results}, None) == []       # nothing to compare it with


# --- e) the lab's ComplexNet against PyTorch ------------------------------------------------------------

def _check_complexnet_section(out, with_torch):
    """e) times labgrad (and torch) per epoch, prints each side's test accuracy, and judges the target with torch."""
    assert "784-512-256-128-10, BatchNorm1d + LeakyReLU(0.2), Adam" in out
    for impl in ["labgrad"] + ["torch"] * with_torch:
        seconds = number(rf"\n{impl} +([\d.]+) ", out)                    # the table's row: best s/epoch
        assert 0 < seconds < 10_000                                       # a time, not the target (timing is no test)
        accuracy = number(rf"\n{impl} +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +([\d.]+)%", out)
        assert 0 <= accuracy <= 100
    if with_torch:
        assert "sanity: labgrad and torch agree" in out, out
        assert "target labgrad <= 0.9x torch s/epoch" in out
    else:
        assert "labgrad only (no torch)" in out and re.search(r"\ntorch +[\d.]+ ", out) is None   # no torch row


@pytest.mark.parametrize("options", [[], ["--no-torch"]], ids=["torch", "no-torch"])
def test_complexnet_section_alone(options, capsys):
    if not options and not HAVE_TORCH:
        pytest.skip("the torch run needs torch (the no-torch run covers labgrad alone)")
    benchmark.main(SHRINK + ["--skip-overhead", "--skip-mlp", "--skip-player", "--skip-transforms"] + options)
    out = capsys.readouterr().out
    assert "== a)" not in out and "== b)" not in out and "== c)" not in out and "== d)" not in out
    assert "128 samples (2 batches); 1 epochs each" in out
    assert "data: random float32 images" in out                         # --random-data, said so
    _check_complexnet_section(out, with_torch=not options)


@pytest.mark.parametrize("losses, accuracies, agree", [
    ({"labgrad": [0.50, 0.36], "torch": [0.501, 0.359]}, {"labgrad": 0.850, "torch": 0.846}, True),
    ({"labgrad": [0.50, 0.36], "torch": [0.501, 0.40]}, {"labgrad": 0.850, "torch": 0.846}, False),   # loss off
    ({"labgrad": [0.50], "torch": [0.50]}, {"labgrad": 0.10, "torch": 0.85}, False),                   # accuracy off
    ({"labgrad": [2.30], "torch": [0.50]}, {"labgrad": 0.10, "torch": 0.10}, False),
])
def test_complexnet_agree(losses, accuracies, agree):
    assert benchmark.complexnet_agree(losses, accuracies) is agree


def test_complexnet_worker_trains_the_labs_model(monkeypatch, tmp_path):
    """In-process, as labgrad's worker runs it: the epoch lowers the loss and beats chance on separable data."""
    monkeypatch.setattr(benchmark, "worker_state", {})
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 640)
    x = (rng.standard_normal((640, 784)) * 0.1 + np.eye(10)[y].repeat(79, axis=1)[:, :784]).astype(np.float32)
    np.savez(tmp_path / "d.npz", x=x, y=y, x_test=x[:200], y_test=y[:200])
    benchmark.init_worker("labgrad", None, None)
    benchmark.start_complexnet(tmp_path / "d.npz")
    first, seconds = benchmark.complexnet_epoch(np.arange(640))
    second, _ = benchmark.complexnet_epoch(np.arange(640))
    accuracy, _ = benchmark.complexnet_accuracy()
    assert seconds > 0 and second < first
    assert accuracy > 0.9                                                 # ten separable classes
