"""demos.fashion_cnn: the CNN lab runs end to end with --quick (scikit-learn's digits, or 28x28 IDX files the
test writes), trains PyTorch's twin from the same weights on the same batches, replays compiled steps bit for
bit, and writes pictures that open."""
import re
import sys

import numpy as np
import pytest
from demo_helpers import fake_mnist, number

import nn

pytest.importorskip("matplotlib")

PICTURES = {"filters.png": (600, 300), "feature_maps_conv1.png": (600, 200), "feature_maps_conv2.png": (600, 300),
            "loss.png": (300, 150)}


def _png(path, min_size):
    """``path`` is a PNG of at least ``min_size`` pixels that PIL opens."""
    from PIL import Image
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] >= min_size[0] and image.size[1] >= min_size[1], image.size


def _epochs(out, side):
    return [float(v) for v in re.findall(rf"{re.escape(side)} loss ([\d.]+) \(", out)]


def _run(tmp_path, capsys, *argv):
    from demos import fashion_cnn
    out_dir = tmp_path / "out"
    code = fashion_cnn.main(["--quick", "--no-progress", "--out", str(out_dir), *argv])
    out = capsys.readouterr().out
    assert code == 0, out
    return out, out_dir


# --- the network and its PyTorch twin --------------------------------------------------------------

@pytest.mark.parametrize("side, linear_in", [(28, 64 * 7 * 7), (8, 64 * 2 * 2), (16, 64 * 4 * 4)])
def test_the_first_linear_is_sized_for_the_images(side, linear_in):
    from demos.fashion_cnn import make_model
    model = make_model(side)
    assert model[8].in_features == linear_in
    assert model(np.zeros((3, 1, side, side), np.float32)).shape == (3, 10)


def test_initial_weights_are_pytorchs_defaults_drawn_once():
    from demos.fashion_cnn import make_model, torch_default_init
    a = torch_default_init(make_model(), np.random.default_rng(3))
    b = torch_default_init(make_model(), np.random.default_rng(3))
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(x, y, err_msg=name)                 # same seed, same weights
    for index, fan_in in [(0, 9), (4, 32 * 9), (8, 3136), (10, 128)]:
        bound = 1 / np.sqrt(fan_in)
        for p in (a[index].weight.data, a[index].bias.data):
            assert p.dtype == np.float32 and np.abs(p).max() <= bound
            assert np.abs(p).max() > 0.9 * bound                           # uniform over the whole range
    assert (a[1].weight.data == 1).all() and (a[1].bias.data == 0).all()


def test_pytorch_twin_starts_from_the_same_weights_and_computes_the_same():
    torch = pytest.importorskip("torch")
    from demos.fashion_cnn import make_model, to_torch, torch_default_init
    model = torch_default_init(make_model(), np.random.default_rng(0))
    twin = to_torch(model)
    theirs = dict(twin.named_parameters())
    for name, ours in model.named_parameters():
        expected = ours.data.T if name in ("8.weight", "10.weight") else ours.data   # Linear: (in, out) vs (out, in)
        np.testing.assert_array_equal(theirs[name].detach().numpy(), expected, err_msg=name)
    x = np.random.default_rng(1).normal(size=(5, 1, 28, 28)).astype(np.float32)
    for training in (True, False):
        model.train(training), twin.train(training)
        with torch.no_grad():
            np.testing.assert_allclose(model(x).data, twin(torch.from_numpy(x)).numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model[1].running_mean, twin[1].running_mean.numpy(), rtol=1e-5, atol=1e-7)


def test_to_torch_names_a_layer_it_cannot_copy():
    pytest.importorskip("torch")
    from demos.fashion_cnn import to_torch
    with pytest.raises(TypeError, match=r"to_torch: no PyTorch twin for Tanh; the demo's network has Conv2d"):
        to_torch(nn.Sequential(nn.Flatten(), nn.Tanh()))


# --- the command ---------------------------------------------------------------------------------

def test_quick_on_the_digits_learns_and_draws_its_pictures(tmp_path, capsys):
    pytest.importorskip("sklearn")
    out, out_dir = _run(tmp_path, capsys, "--data", "digits", "--no-memory")
    assert "first Linear 256 -> 128 for 8x8 images" in out
    assert len(_epochs(out, "labgrad")) == 2 and "PyTorch loss" not in out
    assert number(r"labgrad: test accuracy ([\d.]+)", out) > 0.6          # 10 classes: chance is 0.1
    assert "warning" not in out and "NOT the issue's setting" in out
    table = (out_dir / "results.md").read_text()
    assert table.startswith("| | labgrad |\n") and "| seconds/epoch (mean) |" in table
    for name, size in PICTURES.items():
        _png(out_dir / name, size)
    assert f"files written: {out_dir / 'results.md'}" in out


def test_quick_on_28x28_images_runs_the_issues_network(tmp_path, capsys, no_data_env):
    data_dir = fake_mnist(tmp_path / "fashion")
    out, out_dir = _run(tmp_path, capsys, "--data-dir", str(data_dir), "--no-memory")
    assert f"data: Fashion-MNIST from {data_dir.resolve()} (--data-dir): 300 train / 120 test" in out
    assert "421,706 parameters; first Linear 3136 -> 128 for 28x28 images" in out
    assert number(r"labgrad: test accuracy ([\d.]+)", out) > 0.6          # 3 easy classes
    for name, size in PICTURES.items():
        _png(out_dir / name, size)


def test_compiled_training_ends_bit_for_bit_where_eager_ends(tmp_path, capsys):
    pytest.importorskip("sklearn")
    out, _ = _run(tmp_path, capsys, "--data", "digits", "--compile", "--no-memory")
    assert _epochs(out, "labgrad, compile=True") == _epochs(out, "labgrad") != []
    assert "compile=True trained bit for bit as eager (every parameter and buffer equal): True" in out
    assert number(r"seconds/epoch compile=True / eager: ([\d.]+)", out) > 0


def test_compare_torch_trains_the_same_network_on_the_same_batches(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    out, out_dir = _run(tmp_path, capsys, "--data", "digits", "--compare-torch")
    ours, theirs = _epochs(out, "labgrad"), _epochs(out, "PyTorch")
    assert len(ours) == len(theirs) == 2
    np.testing.assert_allclose(ours, theirs, rtol=2e-3, atol=2e-4)          # same weights, same batches
    assert abs(number(r"test accuracy labgrad - PyTorch: ([+-][\d.]+) points", out)) <= 1.5   # <= 5 of 360
    assert number(r"seconds/epoch labgrad / PyTorch: ([\d.]+)", out) > 0
    for side in ("PyTorch", "labgrad"):                                    # each measured in its own process
        assert re.search(rf"^{side}: peak memory a training step adds: [\d.]+ MiB resident", out, re.M), out
    assert number(r"labgrad: peak memory .*, tracemalloc ([\d.]+) MiB", out) > 0
    table = (out_dir / "results.md").read_text()
    assert table.startswith("| | PyTorch | labgrad |\n")
    assert "threads: 1 (numpy BLAS and PyTorch, --blas-threads)" in table
    assert re.search(r"\| peak resident memory .* \| [\d.]+ \| [\d.]+ \|", table), table


def test_compare_torch_without_torch_says_so_and_trains_labgrad(tmp_path, capsys, monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.setitem(sys.modules, "torch", None)                        # `import torch` now fails
    out, _ = _run(tmp_path, capsys, "--data", "digits", "--compare-torch", "--no-memory", "--epochs", "1")
    assert "--compare-torch: PyTorch is not installed (pip install torch, an optional package)" in out
    assert len(_epochs(out, "labgrad")) == 1 and "PyTorch loss" not in out


def test_missing_fashion_mnist_is_reported_with_the_fix(tmp_path, capsys, no_data_env):
    from demos import fashion_cnn
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    assert fashion_cnn.main(["--quick", "--data-dir", str(empty), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"--data-dir {empty}: " in err and "apt-get install dataset-fashion-mnist" in err
    assert re.search(r"^  python -m demos.fashion_cnn --quick .* --data digits$", err, re.M), err


def test_main_goes_through_run_demo_and_lists_its_options(monkeypatch, tmp_path, capsys):
    from demos import common, fashion_cnn
    seen = []
    monkeypatch.setattr(common, "run_demo", lambda args, body, *extras: seen.append(extras) or 0)
    assert fashion_cnn.main(["--out", str(tmp_path)]) == 0 and seen == [("matplotlib",)]
    monkeypatch.undo()
    with pytest.raises(SystemExit) as exit_info:
        fashion_cnn.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--epochs", "--data-dir", "--out", "--quick", "--compare-torch", "--compile", "--no-memory"):
        assert option in text
