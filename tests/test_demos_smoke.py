"""Smoke tests of the lab demos and the tour: each runs with ``--quick`` on data the test makes
(tiny IDX files) or on scikit-learn's digits, and the printed numbers and written files are checked."""
import re
import shutil

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
    assert f"--data-dir {empty} lacks train-images-idx3-ubyte[.gz]" in err
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
