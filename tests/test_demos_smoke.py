"""Smoke tests of the lab demos and the tour: each runs with ``--quick`` on data the test makes
(tiny IDX files) or on scikit-learn's digits, and the printed numbers and written files are checked."""
import io
import re
import shutil
import sys
import warnings

import numpy as np
import pytest
from demo_helpers import fake_mnist, number

from demos import common

pytest.importorskip("matplotlib")
HAVE_DOT = shutil.which("dot") is not None


def _picture(path_stem, fmt="svg"):
    """The rendered picture, or the .dot source that save_graph writes when Graphviz is missing."""
    path = path_stem.with_suffix("." + fmt) if HAVE_DOT else path_stem.with_suffix(".dot")
    assert path.is_file() and path.stat().st_size > 0, path
    return path


def _player_files(path_stem, n_frames):
    """The player's page and GIF are there and are what they claim: the page holds the n frames, the GIF has n."""
    import json

    from PIL import Image
    page = path_stem.with_name(path_stem.name + "_player.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    frames = re.search(r'<script type="application/json" id="[^"]+-frames">(.*?)</script>', page, flags=re.S)
    assert frames and len(json.loads(frames.group(1))) == n_frames
    with Image.open(path_stem.with_name(path_stem.name + "_player.gif")) as gif:
        assert gif.format == "GIF" and gif.n_frames == n_frames


# --- computational_graphs -----------------------------------------------------------------------

def test_computational_graphs_quick(tmp_path, capsys):
    from demos import computational_graphs
    assert computational_graphs.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "hand and engine agree on every gradient" in out
    assert re.search(r"f = q \* z = 3 \* -4 = -12", out)
    assert re.search(r"df/dx = df/dq \* dq/dx = -4 \* 1\s+-4\.0000\s+-4\.0000", out)
    assert re.search(r"dy/dx1 = dy/db \* w1 = 0\.1966 \* -3\s+-0\.5898\s+-0\.5898", out)
    assert "DIFFERENT" not in out
    for stem in ("f_xyz", "sigmoid_neuron_gates", "sigmoid_neuron"):
        picture = _picture(tmp_path / stem)
        if HAVE_DOT:
            assert picture.read_text().lstrip().startswith("<?xml")
        assert not (tmp_path / f"{stem}.png").exists()        # --quick renders SVG only
    from autograd import viz
    for stem in computational_graphs.PLAYERS:                    # (x + y) * z and the sigmoid neuron
        r = computational_graphs.EXERCISES[stem][1]()
        _player_files(tmp_path / stem, len(viz.player(r["root"], names=r["names"]).frames))
        assert f"wrote {tmp_path / stem}_player.gif" in out
    assert set(computational_graphs.PLAYERS) == {"f_xyz", "sigmoid_neuron_gates"}


# --- layers_lab ---------------------------------------------------------------------------------

def test_layers_lab_quick(tmp_path, capsys):
    pytest.importorskip("sklearn")
    from demos import layers_lab
    assert layers_lab.main(["--quick", "--data", "digits", "--out", str(tmp_path), "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "9/9 checks pass" in out and "FAIL" not in out
    rows = re.findall(r"^\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.e+-]+)$", out, flags=re.M)
    assert [int(r[0]) for r in rows] == [1, 2, 3]
    for _, lab, eng, diff in rows:
        assert abs(float(lab) - float(eng)) < 1e-11 and float(diff) < 1e-12
    assert number(r"largest difference between the final weights: ([\d.e+-]+)", out) < 1e-12
    assert 0.5 < number(r"test accuracy \(even vs odd, labgrad model\): ([\d.]+)", out) <= 1
    assert (tmp_path / "loss.png").stat().st_size > 0


# --- mnist_binary -------------------------------------------------------------------------------

def test_mnist_binary_quick_on_idx_files(tmp_path, capsys, no_data_env):
    from demos import mnist_binary
    data_dir = fake_mnist(tmp_path / "mnist")
    out_dir = tmp_path / "out"
    code = mnist_binary.main(["--quick", "--data-dir", str(data_dir), "--out", str(out_dir), "--epochs", "3",
                              "--batch-size", "16"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "8/8 pass" in out and "FAIL" not in out
    for ex in ("Ex5", "Ex6", "Ex7"):
        assert number(ex + r" parameters \(m = 2\): engine = 2 x lab for all six gradients, "
                       r"max \|engine - 2 lab\| = ([\d.e+-]+)", out) < 1e-12
    assert number(r"SGD\(lr=0\.1/m\) step: max parameter difference ([\d.e+-]+)", out) < 1e-14
    assert f"data: MNIST from {data_dir.resolve()} (--data-dir): 300 train / 120 test images of 28x28" in out
    n_train = int(number(r"digits 0 and 1: (\d+) train", out))
    assert 0 < n_train < 300                                  # the 2s (blobs) were filtered out
    losses = [float(v) for v in re.findall(r"epoch\s+\d+\s+loss ([\d.]+)", out)]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert number(r"test accuracy: ([\d.]+)", out) >= 0.95   # rings vs bars: easy
    assert number(r"\(([\d.]+) s/epoch\)", out) > 0
    for name in ("loss.png", "train_images.png", "test_images.png"):
        assert (out_dir / name).stat().st_size > 0


def test_mnist_binary_says_what_is_missing(tmp_path, capsys, no_data_env):
    from demos import mnist_binary
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    assert mnist_binary.main(["--quick", "--data-dir", str(empty), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"--data-dir {empty}: " in err
    assert f"{empty} (root argument, the only folder searched): lacks train-images-idx3-ubyte[.gz]" in err
    assert "--download" in err and "--data digits" in err
    assert "python -m demos.mnist_binary --quick --out" in err        # the same command, other data


def test_mnist_binary_search_lists_every_place(tmp_path, capsys, no_data_env):
    from demos import mnist_binary
    assert mnist_binary.main(["--quick", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "$LABGRAD_MNIST_DIR: not set" in err
    assert str(tmp_path / "empty-cache" / "labgrad" / "mnist") in err
    assert "Download disabled" in err                          # nothing fetched without --download


def test_data_env_variable_is_used_and_named(tmp_path, capsys, no_data_env, monkeypatch):
    data_dir = fake_mnist(tmp_path / "via-env", n_train=40, n_test=20)
    monkeypatch.setenv("LABGRAD_MNIST_DIR", str(data_dir))
    args = common.make_parser("t", "t", epochs=1, batch_size=8, lr=0.1).parse_args([])
    data = common.load_data(args)
    assert data is not None and data.X_train.shape == (40, 784) and data.y_test.shape == (20,)
    assert data.X_train.dtype == np.float32 and 0 <= data.X_train.min() and data.X_train.max() <= 1
    assert f"data: MNIST from {data_dir}: 40 train / 20 test" in capsys.readouterr().out


def test_digits_with_data_dir_is_refused(capsys):
    args = common.make_parser("t", "t", epochs=1, batch_size=8, lr=0.1).parse_args(
        ["--data", "digits", "--data-dir", "/somewhere"])
    assert common.load_data(args) is None
    assert "--data digits, which reads no files" in capsys.readouterr().err


# --- the tour -------------------------------------------------------------------------------------

def test_tour_quick(tmp_path, capsys):
    pytest.importorskip("sklearn")
    from demos.__main__ import main
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "hand and engine agree on every gradient" in out
    assert "seed 001 (layers_lab): 9/9 asserts pass" in out
    assert "seed 000 (mnist_binary): 8/8 test cases pass" in out
    assert "data: scikit-learn digits (8x8)" in out
    acc = number(r"test accuracy: ([\d.]+) on 360 test images", out)
    assert 0.3 < acc <= 1.0                                    # 2 epochs on 300 images: well above 1/10
    for stem in ("graphs/f_xyz", "graphs/sigmoid_neuron_gates", "graphs/sigmoid_neuron", "mlp_graph"):
        _picture(tmp_path / stem)
    from autograd import viz
    from demos import computational_graphs
    for stem in computational_graphs.PLAYERS:
        r = computational_graphs.EXERCISES[stem][1]()
        _player_files(tmp_path / "graphs" / stem, len(viz.player(r["root"], names=r["names"]).frames))
    # one training step of the MLP, grouped by layer: a frame per op and per chain-rule step, the leaves, the end
    page = (tmp_path / "mlp_step_player.html").read_text(encoding="utf-8")
    assert 'class="cluster"' in page and "0.weight" in page and "loss" in page
    from PIL import Image
    with Image.open(tmp_path / "mlp_step_player.gif") as gif:
        n = gif.n_frames
    _player_files(tmp_path / "mlp_step", n)
    assert n >= 10
    for name in ("loss.png", "predictions.png"):
        assert (tmp_path / name).stat().st_size > 0


# --- the command lines ----------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["demos.__main__", "demos.layers_lab", "demos.mnist_binary"])
def test_help_lists_the_shared_options(module, capsys):
    import importlib
    with pytest.raises(SystemExit) as exit_info:
        importlib.import_module(module).main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--epochs", "--batch-size", "--lr", "--seed", "--data-dir", "--out", "--quick", "--data"):
        assert option in text


def test_quick_sets_epochs_unless_given():
    p = common.make_parser("x", "x", epochs=30, batch_size=64, lr=0.1, quick_epochs=2)
    assert p.parse_args([]).epochs == 30
    assert p.parse_args(["--quick"]).epochs == 2
    assert p.parse_args(["--quick", "--epochs", "4"]).epochs == 4
    with pytest.raises(SystemExit):
        p.parse_args(["--epochs", "0"])


# --- what every demo shares: missing extras, damaged data, chance level, one progress bar ----------

TRAINING_DEMOS = ["demos.__main__", "demos.layers_lab", "demos.mnist_binary", "demos.mnist_mlp",
                  "demos.tanh_softmax", "demos.fashion_mnist"]


def _main(module):
    import importlib
    return importlib.import_module(module).main


@pytest.mark.parametrize("module", TRAINING_DEMOS)
def test_missing_extra_is_named_before_anything_runs(module, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)            # `import matplotlib` now fails
    out_dir = tmp_path / "out"
    assert _main(module)(["--quick", "--out", str(out_dir)]) == 2
    captured = capsys.readouterr()
    assert "needs matplotlib, an optional package of labgrad's [demos] extra" in captured.err
    assert "pip install -e '.[demos]'" in captured.err and "Traceback" not in captured.err
    assert captured.out == "" and not out_dir.exists()               # stopped before it started


def test_digits_need_scikit_learn_and_the_message_lists_every_missing_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert _main("demos.__main__")(["--quick", "--out", str(tmp_path)]) == 2     # the tour runs on digits
    err = capsys.readouterr().err
    assert "python -m demos needs matplotlib and scikit-learn, optional packages" in err
    assert "pip install -e '.[demos]'" in err


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[:len(raw) // 2], "corrupt or truncated gzip data"),          # an interrupted download
    (lambda raw: b"<html>not found</html>", "bad magic number"),                  # an error page saved as data
])
def test_damaged_data_file_is_reported_without_a_traceback(damage, message, tmp_path, capsys, no_data_env):
    from demos import mnist_binary
    data_dir = fake_mnist(tmp_path / "mnist")
    bad = data_dir / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(damage(bad.read_bytes()))
    assert mnist_binary.main(["--quick", "--data-dir", str(data_dir), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"error: read_idx: {bad}: {message}" in err
    assert "Traceback" not in err and "--data digits" in err


@pytest.mark.parametrize("accuracy, labels, classes, expected", [
    (0.10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] * 36, 10, False),   # 1/10 of 360: chance
    (0.14, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] * 36, 10, False),   # 2.5 standard deviations above: still noise
    (0.30, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] * 36, 10, True),
    (0.80, [0] * 80 + [1] * 20, 2, False),                    # always "0" on 80 % zeros: the majority rate
    (0.99, [0] * 80 + [1] * 20, 2, True),
    (0.55, [0, 1] * 2000, 2, True),                           # 5 points above chance on 4000 labels
])
def test_learned_warns_only_within_noise_of_chance(accuracy, labels, classes, expected, capsys):
    assert common.learned(accuracy, np.array(labels), classes, hint="try X") is expected
    out = capsys.readouterr().out
    if expected:
        assert out == ""
    else:
        assert out.startswith(f"warning: test accuracy {accuracy:.4f} is chance level for {classes} classes")
        assert "the network has not learned; try X" in out


def _demo_args(module, tmp_path):
    if module in ("demos.__main__", "demos.layers_lab"):
        return ["--data", "digits"]
    return ["--data-dir", str(fake_mnist(tmp_path / "mnist"))]


@pytest.mark.parametrize("module", TRAINING_DEMOS)
def test_every_training_demo_checks_its_accuracy_against_chance(module, tmp_path, capsys, monkeypatch,
                                                               no_data_env):
    pytest.importorskip("sklearn")
    calls = []
    real = common.learned
    monkeypatch.setattr(common, "learned", lambda acc, y, n, *a, **k: calls.append((acc, len(y), n)) or real(
        acc, y, n, *a, **k))
    extra = ["--skip-1b", "--models", "Net"] if module == "demos.fashion_mnist" else []
    assert _main(module)(["--quick", "--epochs", "1", "--out", str(tmp_path / "o")]
                         + _demo_args(module, tmp_path) + extra) == 0
    out = capsys.readouterr().out
    assert calls, "the demo never compared its accuracy with chance"
    acc, n, classes = calls[-1]
    assert 0 <= acc <= 1 and n > 0 and classes in (2, 3, 10)
    assert f"{acc:.4f}" in out or f"{100 * acc:.2f}%" in out  # the accuracy checked is the one printed


class _CountingBars:
    """Stands in for tqdm.tqdm: counts the bars made (each is a real tqdm writing to the fake terminal)."""
    made = 0

    def __new__(cls, *args, **kwargs):
        _CountingBars.made += 1
        return _CountingBars.real(*args, **kwargs)


@pytest.mark.parametrize("module, argv", [
    ("demos.__main__", ["--epochs", "3"]),
    ("demos.mnist_mlp", ["--data", "digits", "--epochs", "3", "--tsne-points", "0"]),
    ("demos.tanh_softmax", ["--epochs", "3"]),
    ("demos.fashion_mnist", ["--epochs", "2", "--skip-1b", "--data", "digits"]),
])
def test_one_progress_bar_per_training_run(module, argv, tmp_path, capsys, monkeypatch, no_data_env):
    pytest.importorskip("sklearn")
    tqdm = pytest.importorskip("tqdm")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(_CountingBars, "real", tqdm.tqdm, raising=False)
    monkeypatch.setattr(_CountingBars, "made", 0)
    monkeypatch.setattr(tqdm, "tqdm", _CountingBars)
    monkeypatch.setattr(sys, "stderr", Terminal())
    if module == "demos.tanh_softmax":
        argv = argv + ["--data-dir", str(fake_mnist(tmp_path / "mnist"))]
    assert _main(module)(argv + ["--out", str(tmp_path / "o")]) == 0
    assert _CountingBars.made == 1


# --- the tour's picture of one training step, and layers_lab's figure ------------------------------

def test_tour_step_graph_shows_one_batch_and_every_intermediate_gradient(monkeypatch):
    import copy

    import nn
    from autograd import Tensor, viz
    from demos import __main__ as tour
    from nn import functional as F
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 6)).astype(np.float32), rng.integers(0, 3, 40)
    model = nn.MLP([6, 5, 3], rng=0)
    nn.fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1, batch_size=8,
           seed=0, progress=False)                      # leaves the last batch's gradients behind
    fresh = copy.deepcopy(model)
    fresh.zero_grad()
    F.cross_entropy(fresh(Tensor(X[:4])), y[:4]).backward()
    drawn = {}
    real_draw = viz.draw

    def spy(*roots, names=None, **kwargs):
        drawn.update({k: v.grad.copy() for k, v in names.items() if k != "loss"})
        return real_draw(*roots, names=names, **kwargs)

    monkeypatch.setattr(tour.viz, "draw", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # draw warns about accumulated gradients
        graph = tour.step_graph(model, X[:4], y[:4])
    for name, p in fresh.named_parameters():
        np.testing.assert_allclose(drawn[name], p.grad, rtol=1e-6, atol=1e-7, err_msg=name)
    assert ">—</FONT>" not in graph.source               # no gradient row says "never computed": every
    assert graph.source.count("<HR/>") >= 8               # intermediate shows d loss / d t below its value
    assert all(p.grad is None or not np.any(p.grad) for p in model.parameters())    # left clean


def test_layers_lab_figure_shows_both_loss_curves():
    pytest.importorskip("sklearn")
    import nn.data
    from demos import layers_lab
    X, y = nn.data.load_digits()
    hist = layers_lab.train_side_by_side(X[:200].astype(np.float64), y[:200] % 2 == 0, epochs=3)
    fig = layers_lab.plot_side_by_side(hist)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["lab's layers (numpy, hand-written backward)", "labgrad (autograd)"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels
    lab, engine = ax.lines
    np.testing.assert_allclose(lab.get_ydata(), hist["lab"])
    np.testing.assert_allclose(engine.get_ydata(), hist["engine"])
    # they coincide, so they must differ in style to both be seen: thick pale under thin dashed with markers
    assert lab.get_linewidth() > 2 * engine.get_linewidth() and lab.get_alpha() < 1
    assert engine.get_linestyle() == "--" and engine.get_marker() == "o"
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_tour_step_player_is_one_step_grouped_by_layer_and_changes_no_grad():
    import nn
    from autograd import Tensor
    from autograd.trace import format_array
    from demos import __main__ as tour
    from nn import functional as F
    rng = np.random.default_rng(0)
    X, y = rng.random((4, 6)).astype(np.float32), rng.integers(0, 3, 4)
    model = nn.MLP([6, 5, 3], rng=0)
    p = tour.step_player(model, X, y)
    assert all(q.grad is None for q in model.parameters())           # the player computes, the model keeps
    assert [path for path, _ in p.scene.clusters] == ["0", "2"]
    F.cross_entropy(model(Tensor(X)), y).backward()                    # what one backward gives
    final = p.frames[-1].grads
    key = {n.title: n.key for n in p.scene.nodes if n.kind != "op"}
    for name, q in model.named_parameters():
        assert final[key[name]] == format_array(q.grad), name
