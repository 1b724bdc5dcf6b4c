"""Smoke tests of demos.mnist_mlp, demos.tanh_softmax and demos.fashion_mnist: each runs with ``--quick``
on tiny IDX files the test writes or on scikit-learn's digits; printed numbers and written files are checked."""
import re

import numpy as np
import pytest
from demo_helpers import fake_mnist, number

pytest.importorskip("matplotlib")


def _files(folder, *names):
    for name in names:
        assert (folder / name).is_file() and (folder / name).stat().st_size > 0, name


# --- mnist_mlp (seed 002) ------------------------------------------------------------------------

def test_mnist_mlp_default_command_learns_the_digits(tmp_path, capsys):
    """The command every 'data missing' message suggests, with its defaults (15 epochs, lr 0.1)."""
    pytest.importorskip("sklearn")
    from demos import mnist_mlp
    out_dir = tmp_path / "out"
    code = mnist_mlp.main(["--data", "digits", "--tsne-points", "0", "--no-progress", "--out", str(out_dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("Well done!") == 5
    assert "split: 1198 train / 239 validation / 360 test" in out
    assert "network: 64-40-40-10 Dense/ReLU, weights He N(0, 2/fan_in) (--init)" in out
    assert "lr 0.1, batch 32, 15 epochs" in out
    epochs = re.findall(r"^epoch +\d+: loss ([\d.]+), train accuracy ([\d.]+), val accuracy ([\d.]+)", out, re.M)
    assert len(epochs) == 15
    assert float(epochs[-1][0]) < 0.5 * float(epochs[0][0])
    assert float(epochs[0][2]) > 0.3                                # off the starting line in the first epoch
    assert number(r"(?m)^val accuracy: ([\d.]+)", out) == float(epochs[-1][2])
    assert number(r"test accuracy: ([\d.]+)", out) > 0.9
    assert "warning:" not in out
    assert "hidden representations: forward(network, X)[2], shape (1198, 40) (train), (360, 40) (test)" in out
    raw = number(r"parity test accuracy, raw pixels \(64-d\): ([\d.]+)", out)
    learned = number(r"parity test accuracy, learned features \(40-d\): ([\d.]+)", out)
    assert 0.7 < raw <= 1 and 0.7 < learned <= 1
    assert number(r"learned features minus raw pixels: ([+-][\d.]+) points", out) == pytest.approx(
        100 * (learned - raw), abs=0.02)
    # the verdict follows the numbers: within the noise says so, beyond it names the better one
    noise = number(r"the noise, \+-([\d.]+) points over 360 test images", out)
    verdict = ("within" if abs(100 * (learned - raw)) <= noise else "beyond") + " the noise"
    assert verdict in out
    assert "t-SNE: skipped (--tsne-points 0)" in out
    _files(out_dir, "samples.png", "accuracy.png")


def test_mnist_mlp_with_the_labs_init_stays_at_chance_and_says_so(tmp_path, capsys):
    """The lab's N(0, 0.01^2) weights: 15 epochs of 37 batches do not leave the flat start on the digits."""
    pytest.importorskip("sklearn")
    from demos import mnist_mlp
    code = mnist_mlp.main(["--data", "digits", "--init", "lab", "--tsne-points", "0", "--no-progress",
                           "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "weights the lab's N(0, 0.01^2) (--init)" in out
    acc = number(r"test accuracy: ([\d.]+)", out)
    assert f"warning: test accuracy {acc:.4f} is chance level for 10 classes" in out
    assert "or --init he" in out
    assert "hidden representations, t-SNE and parity: skipped" in out
    assert "parity test accuracy" not in out and "learned features minus raw pixels" not in out


def test_mnist_mlp_quick_on_digits(tmp_path, capsys):
    pytest.importorskip("sklearn")
    from demos import mnist_mlp
    out_dir = tmp_path / "out"
    code = mnist_mlp.main(["--quick", "--data", "digits", "--out", str(out_dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "split: 1000 train / 200 validation / 300 test" in out
    assert len(re.findall(r"^epoch +\d+:", out, re.M)) == 2          # --quick: 2 epochs
    assert number(r"test accuracy: ([\d.]+)", out) > 0.5
    assert "hidden representations: forward(network, X)[2], shape (1000, 40) (train), (300, 40) (test)" in out
    assert "t-SNE: skipped (--tsne-points 0)" in out                # --quick: no t-SNE unless asked
    _files(out_dir, "samples.png", "accuracy.png")


def test_mnist_mlp_tsne_figure(tmp_path):
    pytest.importorskip("sklearn")
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import nn.data
    from demos import mnist_mlp
    X, y = nn.data.load_digits()
    X, y = X[:90], y[:90]
    with threadpoolctl.threadpool_limits(1):                  # t-SNE is slow when threads fight for 2 cores
        raw, learned = mnist_mlp.tsne_figure(X, np.eye(10)[y] * 5 + X[:, :10], y, tmp_path / "tsne.png")
    assert learned == 1.0                                     # features that spell out the label
    assert 0.5 < raw <= 1.0                                   # the 8x8 digits separate well even raw
    _files(tmp_path, "tsne.png")


def test_mnist_mlp_on_idx_files_says_it_is_not_full_mnist(tmp_path, capsys, no_data_env):
    from demos import mnist_mlp
    data_dir = fake_mnist(tmp_path / "mnist")
    # 250 images are too few for the lab's N(0, 0.01^2) to leave its flat start (that case: the digits' tests)
    code = mnist_mlp.main(["--quick", "--data-dir", str(data_dir), "--out", str(tmp_path / "o"), "--no-progress",
                           "--init", "he"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"data: MNIST from {data_dir.resolve()} (--data-dir): 300 train / 120 test images of 28x28" in out
    assert "note: 300 training images, not MNIST's 60,000" in out
    assert "split: 250 train / 50 validation / 120 test" in out
    assert "t-SNE: skipped" in out
    assert len(re.findall(r"^epoch +\d+:", out, re.M)) == 2          # --quick: 2 epochs
    assert 0 <= number(r"test accuracy: ([\d.]+)", out) <= 1


# --- tanh_softmax (seed 003) ---------------------------------------------------------------------

def test_tanh_softmax_quick_on_idx_files(tmp_path, capsys, no_data_env):
    from demos import tanh_softmax
    data_dir = fake_mnist(tmp_path / "mnist")
    out_dir = tmp_path / "out"
    code = tanh_softmax.main(["--quick", "--data-dir", str(data_dir), "--out", str(out_dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert ("{'W1': array([[ 0.14901425, -0.04147929]]), 'b1': array([[0.19430656, 0.45690896]]), "
            "'W2': array([[-0.07024601],\n       [-0.07024109]]), 'b2': array([[0.47376384]])}") in out
    assert number(r"hand-written backward vs labgrad autograd .*: max \|difference\| ([\d.e+-]+)", out) < 1e-12
    assert "network: 784-128-10, tanh hidden layer" in out
    assert "3 batches per epoch cover all 300 training images" in out
    rows = re.findall(r"^epoch +\d+: train loss ([\d.]+), train accuracy ([\d.]+), test loss ([\d.]+), "
                      r"test accuracy ([\d.]+)", out, re.M)
    assert len(rows) == 3 and float(rows[-1][0]) < float(rows[0][0])
    assert number(r"(?m)^test accuracy: ([\d.]+)", out) == float(rows[-1][3])
    assert float(rows[-1][3]) > 0.9                          # rings, bars and blobs
    _files(out_dir, "samples.png", "curves.png")


def test_tanh_softmax_lab_loop_visits_only_the_first_batches(tmp_path, capsys, no_data_env):
    from demos import tanh_softmax
    data_dir = fake_mnist(tmp_path / "mnist", n_train=1000, n_test=50)
    code = tanh_softmax.main(["--quick", "--lab-loop", "--epochs", "1", "--data-dir", str(data_dir),
                              "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "--lab-loop: the lab's range(0, X_train.shape[1] = 784, 128) gives 7 batches (896 samples) per epoch, " \
           "out of 1000" in out


# --- fashion_mnist (seed 004) --------------------------------------------------------------------

def test_exercise_1b_numbers():
    from demos.fashion_mnist import exercise_1b
    r = exercise_1b()                                         # the lab: float32, y = 1, BCE, lr 0.2
    assert (r["z1"], r["z2"], r["z3"], r["a3"], r["loss"]) == (30.0, 180.0, 720.0, 1.0, 0.0)
    assert all(not g.any() for g in r["grads"])
    assert all((w == 2).all() for w in r["W_after"])
    assert np.isnan(exercise_1b(loss="naive")["loss"])        # 0 * log(0) without the lab's special case
    exact = exercise_1b(loss="logits", dtype=np.float64)      # the true gradient survives as a subnormal
    g3 = exact["grads"][2]
    assert (g3 < 0).all() and np.abs(g3).max() < 1e-300
    stuck, moving = exercise_1b(y=0.0, loss="bce"), exercise_1b(y=0.0, loss="logits")
    assert stuck["loss"] == 100.0 and all(not g.any() for g in stuck["grads"])
    assert moving["loss"] == 720.0
    assert moving["grads"][2].tolist() == [[180.0, 180.0]] and moving["grads"][1].tolist() == [[60.0] * 3] * 2
    with pytest.raises(ValueError, match="loss must be"):
        exercise_1b(loss="mse")


def test_fashion_mnist_quick_on_idx_files(tmp_path, capsys, no_data_env):
    from demos import fashion_mnist
    data_dir = fake_mnist(tmp_path / "fashion")
    out_dir = tmp_path / "out"
    code = fashion_mnist.main(["--quick", "--epochs", "2", "--data-dir", str(data_dir), "--out", str(out_dir),
                               "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    for line in ("Predicted Output (a3): 1.0", "Binary Cross-Entropy Loss: 0.0", "dL_dW3: [[0., 0.]]",
                 "after SGD (lr 0.2) every weight is still 2: True", "loss nan, gradients nan",
                 "y = 0, BCE with logits:     loss 720 (the true value)"):
        assert line in out, line
    assert f"data: Fashion-MNIST from {data_dir.resolve()} (--data-dir): 300 train / 120 test" in out
    assert len(re.findall(r"^  Epoch \d: labgrad loss [\d.]+", out, re.M)) == 4    # 2 models x 2 epochs
    net_acc = number(r"Net: SGD.*\n(?:.*\n)*?  labgrad: test accuracy ([\d.]+)%", out)
    complex_acc = number(r"ComplexNet: Adam.*\n(?:.*\n)*?  labgrad: test accuracy ([\d.]+)%", out)
    assert 0 <= net_acc <= 100 and complex_acc > 90          # 3 easy classes; BatchNorm + Adam learn fast
    table = (out_dir / "results.md").read_text()
    assert "| Net | test accuracy | 84.47% |" in table and "| ComplexNet | test accuracy | 88.66% |" in table
    assert "NOT the lab's setting" in table and "Machine:" in table
    _files(out_dir, "results.md", "loss.png")


def test_fashion_mnist_compare_torch_trains_the_same_models(tmp_path, capsys, no_data_env):
    pytest.importorskip("torch")
    from demos import fashion_mnist
    data_dir = fake_mnist(tmp_path / "fashion")
    code = fashion_mnist.main(["--quick", "--epochs", "2", "--compare-torch", "--blas-threads", "1", "--skip-1b",
                               "--data-dir", str(data_dir), "--out", str(tmp_path / "out"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Exercise 1b" not in out
    epochs = re.findall(r"^  Epoch \d: torch loss ([\d.]+) \(.*\), labgrad loss ([\d.]+)", out, re.M)
    assert len(epochs) == 4
    for torch_loss, labgrad_loss in epochs:                   # same weights, same batches: same losses
        assert float(labgrad_loss) == pytest.approx(float(torch_loss), rel=2e-3, abs=2e-4)
    for name in ("Net", "ComplexNet"):
        diff = number(rf"{name}: labgrad - PyTorch test accuracy: ([+-][\d.]+) points", out)
        assert abs(diff) <= 2.5                               # at most 3 of 120 test images
        assert number(rf"{name}: labgrad - PyTorch test accuracy: .* seconds/epoch labgrad / PyTorch: ([\d.]+)",
                       out) > 0
    table = (tmp_path / "out" / "results.md").read_text()
    assert "| model | metric | lab (seed 004) | PyTorch (this run) | labgrad (this run) |" in table
    assert "threads: 1 (numpy BLAS and PyTorch, --blas-threads)" in table


def test_fashion_mnist_says_what_is_missing(tmp_path, capsys, no_data_env):
    from demos import fashion_mnist
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    assert fashion_mnist.main(["--quick", "--skip-1b", "--data-dir", str(empty), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"--data-dir {empty}: " in err
    assert f"{empty} (root argument, the only folder searched): lacks train-images-idx3-ubyte[.gz]" in err
    assert "apt-get install dataset-fashion-mnist" in err and "--data digits" in err


def test_fashion_mnist_rejects_unknown_models(tmp_path):
    from demos import fashion_mnist
    with pytest.raises(SystemExit):
        fashion_mnist.main(["--models", "Net,ResNet", "--out", str(tmp_path)])


# --- the command lines ---------------------------------------------------------------------------

@pytest.mark.parametrize("module, own", [("demos.mnist_mlp", "--tsne-points"), ("demos.tanh_softmax", "--lab-loop"),
                                         ("demos.fashion_mnist", "--compare-torch")])
def test_help_lists_the_options(module, own, capsys):
    import importlib
    with pytest.raises(SystemExit) as exit_info:
        importlib.import_module(module).main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--epochs", "--batch-size", "--lr", "--seed", "--data-dir", "--out", "--quick", own):
        assert option in text


# --- the benchmark's three implementations compute the same thing -------------------------------

def _run_epoch(fn, params, x, y):
    losses, epoch = [], fn(params, x, y)
    while True:
        try:
            losses.append(next(epoch))
        except StopIteration as end:
            return losses, end.value


def test_benchmark_epochs_agree_on_a_tiny_net(monkeypatch):
    from demos import benchmark
    monkeypatch.setattr(benchmark, "SIZES", (8, 6, 4, 10))
    x, y, what = benchmark.load_data(640, random_data=True)
    assert x.shape == (640, 8) and x.dtype == np.float32 and "random" in what
    init = benchmark.he_init()
    runs = {fn.__name__: _run_epoch(fn, [(w.copy(), b.copy()) for w, b in init], x, y)
            for fn in (benchmark.epoch_numpy, benchmark.epoch_labgrad)}
    (np_losses, np_params), (lab_losses, lab_params) = runs["epoch_numpy"], runs["epoch_labgrad"]
    assert len(np_losses) == len(lab_losses) == 10
    np.testing.assert_allclose(lab_losses, np_losses, rtol=1e-5)
    for (w1, b1), (w2, b2), (w0, _) in zip(lab_params, np_params, init):
        assert not np.array_equal(w1, w0)                          # the epoch trained something
        np.testing.assert_allclose(w1, w2, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(b1, b2, rtol=1e-4, atol=1e-6)


def test_benchmark_rejects_bad_sizes(capsys):
    from demos import benchmark
    with pytest.raises(SystemExit):
        benchmark.main(["--sizes", "784,10"])
    assert "--sizes: expected 4 positive integers" in capsys.readouterr().err
    assert benchmark.SIZES == (784, 256, 128, 10)


def test_benchmark_pairs_numpy_and_labgrad_in_one_worker(monkeypatch, tmp_path):
    # the paired worker runs both epochs to the end, in turns, each on its own copy of the weights
    from demos import benchmark
    monkeypatch.setattr(benchmark, "SIZES", (8, 6, 4, 10))
    monkeypatch.setattr(benchmark, "worker_state", {})
    x, y, _ = benchmark.load_data(640, random_data=True)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    benchmark.init_worker("paired", tmp_path / "data.npz", None)
    init = benchmark.he_init()
    before = [w.copy() for w, _ in init]
    benchmark.start_epoch(init)
    results = benchmark.train_paired(3)                 # 10 batches: 4 turns of each
    assert set(results) == {"numpy", "labgrad", "labgrad compiled", "gemm"}
    (t_np, losses_np, params_np), (t_lab, losses_lab, params_lab) = results["numpy"], results["labgrad"]
    assert t_np > 0 and t_lab > 0 and len(losses_np) == len(losses_lab) == 10
    np.testing.assert_allclose(losses_lab, losses_np, rtol=1e-5)
    for (w_lab, _), (w_np, _), w0, (w_init, _) in zip(params_lab, params_np, before, init):
        assert w_lab is not w_np and not np.array_equal(w_lab, w0)
        np.testing.assert_array_equal(w_init, w0)        # the shared init is left untouched
        np.testing.assert_allclose(w_lab, w_np, rtol=1e-4, atol=1e-6)
