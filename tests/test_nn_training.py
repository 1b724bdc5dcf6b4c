"""nn.training (fit / evaluate / predict) and nn.plot, on small data made here."""
import functools
import re
import sys

import numpy as np
import pytest

import nn
from autograd import Tensor, no_grad
from nn import functional as F
from nn.data import DataLoader
from nn.metrics import accuracy
from nn.training import evaluate, fit, predict


def blobs(n=300, k=3, dim=2, seed=0, spread=0.6):
    """``k`` well separated Gaussian blobs: a linearly separable multi-class problem."""
    rng = np.random.default_rng(seed)
    centers = 3.0 * np.stack([np.cos(2 * np.pi * np.arange(k) / k), np.sin(2 * np.pi * np.arange(k) / k)], 1)
    y = rng.integers(0, k, n)
    X = centers[y, :dim] + spread * rng.normal(size=(n, dim))
    return X.astype(np.float32), y.astype(np.int64)


class Spy(nn.Module):
    """Wraps a model and records, per forward, the mode and whether a graph was recorded."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls = []

    def forward(self, x):
        out = self.inner(x)
        self.calls.append((self.training, out.requires_grad, len(x)))
        return out


# --- fit -------------------------------------------------------------------------------------

def test_fit_learns_separable_blobs_and_history_structure():
    X, y = blobs(400, seed=0)
    Xv, yv = blobs(200, seed=1)
    model = nn.MLP([2, 16, 3], rng=0)
    history = fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), (X, y), val_data=(Xv, yv),
                  epochs=6, batch_size=32, seed=0, progress=False)
    assert list(history) == ["train_loss", "train_acc", "val_loss", "val_acc", "epoch_time"]
    assert all(len(v) == 6 and all(type(x) is float for x in v) for v in history.values())
    assert all(t > 0 for t in history["epoch_time"])
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_acc"][-1] > 0.9                    # chance is 1/3
    # the recorded validation numbers are those of the final model
    final = evaluate(model, F.cross_entropy, (Xv, yv))
    assert final["acc"] == history["val_acc"][-1]
    assert final["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)


def test_fit_on_sklearn_digits_beats_chance():
    pytest.importorskip("sklearn")
    (X, y), (Xt, yt) = nn.data.load_digits(test_size=0.25, seed=0)
    model = nn.MLP([64, 32, 10], rng=0)
    history = fit(model, nn.CrossEntropyLoss(), nn.Adam(model.parameters(), lr=1e-2), (X, y),
                  val_data=(Xt, yt), epochs=4, batch_size=32, seed=0, progress=False)
    assert history["val_acc"][-1] > 0.85                   # chance is 0.1
    assert accuracy(predict(model, Xt), yt) == history["val_acc"][-1]


def test_fit_binary_with_sigmoid_output_and_column_targets():
    X, y = blobs(300, k=2, seed=3)
    model = nn.MLP([2, 8, 1], out_activation="sigmoid", rng=0)
    history = fit(model, nn.BCELoss(), nn.Adam(model.parameters(), lr=0.05), (X, y[:, None].astype(np.float32)),
                  epochs=5, batch_size=25, seed=0, progress=False)
    assert history["train_acc"][-1] > 0.9


def test_fit_logits_with_custom_metric_pairs_and_functions():
    X, y = blobs(300, k=2, seed=4)
    yc = y[:, None].astype(np.float32)

    def mean_logit(out, target):
        return float(out.mean())
    model = nn.MLP([2, 8, 1], rng=0)
    history = fit(model, nn.BCEWithLogitsLoss(), nn.Adam(model.parameters(), lr=0.05), (X, yc),
                  val_data=(X, yc), epochs=4, seed=0, progress=False,
                  metrics=[("acc", functools.partial(accuracy, threshold=0.0)), mean_logit])
    assert list(history) == ["train_loss", "train_acc", "train_mean_logit", "val_loss", "val_acc",
                             "val_mean_logit", "epoch_time"]
    assert history["val_acc"][-1] > 0.9
    assert history["val_mean_logit"][-1] == pytest.approx(float(predict(model, X).mean()), rel=1e-5)


def test_fit_without_metrics_and_with_dataloaders():
    X, y = blobs(100, seed=5)
    model = nn.Linear(2, 3, rng=0)
    history = fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1),
                  DataLoader(X, y, batch_size=10, shuffle=True, seed=1), val_data=DataLoader(X, y, 30),
                  epochs=2, metrics=(), progress=False)
    assert list(history) == ["train_loss", "val_loss", "epoch_time"]


def test_fit_is_reproducible_from_seed():
    X, y = blobs(200, seed=6)

    def run(seed):
        model = nn.MLP([2, 8, 3], rng=0)
        h = fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), (X, y), epochs=2, batch_size=16,
                seed=seed, progress=False)
        return h["train_loss"], model.state_dict()
    (la, sa), (lb, sb), (lc, sc) = run(1), run(1), run(2)
    assert la == lb and all(np.array_equal(sa[k], sb[k]) for k in sa)
    assert la != lc and not np.array_equal(sa["0.weight"], sc["0.weight"])


def test_fit_train_and_eval_modes_and_no_grad_in_validation():
    X, y = blobs(50, seed=7)
    spy = Spy(nn.MLP([2, 4, 3], rng=0))
    fit(spy, F.cross_entropy, nn.SGD(spy.parameters(), lr=0.1), (X, y), val_data=(X[:20], y[:20]),
        epochs=2, batch_size=25, progress=False)
    # per epoch: 2 training batches (train mode, graph) then 1 validation batch (eval mode, no graph)
    assert spy.calls == [(True, True, 25), (True, True, 25), (False, False, 20)] * 2
    assert spy.training                                   # left in the mode it came in
    spy.eval()
    fit(spy, F.cross_entropy, nn.SGD(spy.parameters(), lr=0.1), (X, y), epochs=1, batch_size=50, progress=False)
    assert spy.calls[-1][0] is True and not spy.training


def test_fit_errors():
    X, y = blobs(20)
    model = nn.Linear(2, 3, rng=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="fit: train_data must be an \\(X, y\\) pair or a DataLoader"):
        fit(model, F.cross_entropy, opt, X)
    with pytest.raises(ValueError, match="fit: epochs must be a positive int"):
        fit(model, F.cross_entropy, opt, (X, y), epochs=0)
    with pytest.raises(ValueError, match="fit: no training batches"):
        fit(model, F.cross_entropy, opt, DataLoader(X, y, batch_size=64, drop_last=True))
    with pytest.raises(ValueError, match="train_data has no targets"):
        fit(model, F.cross_entropy, opt, DataLoader(X))
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, F.cross_entropy, opt, (X, y), metrics=("f1",))
    with pytest.raises(ValueError, match="distinct"):
        fit(model, F.cross_entropy, opt, (X, y), metrics=("accuracy", ("acc", accuracy)))
    with pytest.raises(ValueError, match="not 'loss'"):
        fit(model, F.cross_entropy, opt, (X, y), metrics=(("loss", lambda out, t: 0.0),))
    with pytest.raises(ValueError, match="predict: the DataLoader shuffles"):
        predict(model, DataLoader(X, batch_size=4, shuffle=True, seed=0))


@pytest.mark.parametrize("drop_last, sizes", [(False, [16, 16, 16, 2]), (True, [16, 16, 16])])
def test_fit_on_batch_sees_every_step_and_drop_last_skips_the_short_batch(drop_last, sizes):
    X, y = blobs(50)
    model = nn.Linear(2, 3, rng=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    seen = []

    def on_batch(info):
        assert isinstance(info, nn.training.BatchEnd) and info.model is model and info.optimizer is opt
        assert isinstance(info.outputs, Tensor) and info.outputs.shape == (info.size, 3)
        assert len(info.targets) == info.size
        assert info.loss == pytest.approx(float(F.cross_entropy(Tensor(info.outputs.data), info.targets).item()))
        seen.append((info.epoch, info.batch, info.size, info.loss))

    history = fit(model, F.cross_entropy, opt, (X, y), epochs=2, batch_size=16, seed=0, progress=False,
                  metrics=(), drop_last=drop_last, on_batch=on_batch)
    assert [(e, b, n) for e, b, n, _ in seen] == [(e, b, n) for e in (1, 2) for b, n in enumerate(sizes)]
    for epoch in (1, 2):                     # the history's epoch loss is the size-weighted mean of the batches'
        batches = [(n, loss) for e, _, n, loss in seen if e == epoch]
        expected = sum(n * loss for n, loss in batches) / sum(n for n, _ in batches)
        assert history["train_loss"][epoch - 1] == pytest.approx(expected, rel=1e-12)


def test_fit_drop_last_with_a_loader_follows_the_loader_and_refuses_a_contradiction():
    X, y = blobs(50)
    model = nn.Linear(2, 3, rng=0)
    before = model.weight.data.copy()
    with pytest.raises(ValueError, match="fit: drop_last=True, but the train_data DataLoader keeps its last"):
        fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), DataLoader(X, y, batch_size=16),
            progress=False, drop_last=True)
    np.testing.assert_array_equal(model.weight.data, before)
    sizes = []
    fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), DataLoader(X, y, batch_size=16, drop_last=True),
        progress=False, on_batch=lambda info: sizes.append(info.size))
    assert sizes == [16, 16, 16]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(epochs=2.0), TypeError, "fit: epochs must be a positive int, got 2.0 (float)"),
    (dict(epochs=True), TypeError, "fit: epochs must be a positive int, got True (bool)"),
    (dict(epochs=-1), ValueError, "fit: epochs must be a positive int, got -1"),
    (dict(on_batch="print"), TypeError, "fit: on_batch must be a callable on_batch(info) or None, got str"),
    (dict(batch_size=0), ValueError, "DataLoader: batch_size must be a positive int, got 0"),
    (dict(drop_last="yes"), TypeError, "fit: drop_last must be True or False, got 'yes'"),
])
def test_fit_argument_errors(kwargs, error, message):
    X, y = blobs(20)
    model = nn.Linear(2, 3, rng=0)
    before = model.weight.data.copy()
    with pytest.raises(error, match=re.escape(message)):
        fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), (X, y), progress=False, **kwargs)
    np.testing.assert_array_equal(model.weight.data, before)        # nothing trained by a failed call


# --- progress bar ----------------------------------------------------------------------------

class SpyBar:
    """Stands in for tqdm.tqdm: records every bar made and what was done to it."""
    made = []

    def __init__(self, total=None, desc=None, **kwargs):
        self.total, self.descriptions, self.postfixes, self.n, self.closed = total, [desc], [], 0, 0
        SpyBar.made.append(self)

    def update(self, n=1):
        self.n += n

    def set_description_str(self, desc, refresh=True):
        self.descriptions.append(desc)

    def set_postfix_str(self, s, refresh=True):
        self.postfixes.append(s)

    def close(self):
        self.closed += 1


@pytest.mark.parametrize("epochs, val", [(1, False), (3, True)])
def test_fit_shows_one_progress_bar_for_the_whole_run(monkeypatch, epochs, val):
    tqdm = pytest.importorskip("tqdm")
    monkeypatch.setattr(tqdm, "tqdm", SpyBar)
    SpyBar.made = []
    X, y = blobs(60)
    model = nn.Linear(2, 3, rng=0)
    history = fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), (X, y),
                  val_data=(X, y) if val else None, epochs=epochs, batch_size=20, progress=True)
    assert len(SpyBar.made) == 1                                # (issue #14: was one bar per epoch)
    bar = SpyBar.made[0]
    assert bar.total == bar.n == epochs * 3 and bar.closed == 1
    assert bar.descriptions == [f"epoch {e}/{epochs}" for e in range(1, epochs + 1)]
    assert len(bar.postfixes) == epochs * 3 + epochs            # the live loss every batch, results every epoch
    assert bar.postfixes[0].startswith("loss=")
    final = bar.postfixes[-1]
    assert f"train_loss={history['train_loss'][-1]:.4f}" in final
    assert ("val_acc=" in final) == val


def test_progress_bar_writes_to_stderr(capsys):
    pytest.importorskip("tqdm")
    X, y = blobs(60)
    model = nn.Linear(2, 3, rng=0)
    fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), (X, y), val_data=(X, y), epochs=2,
        batch_size=20, progress=True)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "6/6" in err and "val_acc=" in err


def test_no_bar_when_not_a_terminal_or_disabled(capsys):
    X, y = blobs(60)
    model = nn.Linear(2, 3, rng=0)
    for progress in (None, False):              # under pytest stderr is not a terminal
        fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), (X, y), batch_size=20, progress=progress)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_progress_without_tqdm_warns_and_trains(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    X, y = blobs(60)
    model = nn.Linear(2, 3, rng=0)
    with pytest.warns(UserWarning, match="needs tqdm"):
        history = fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), (X, y), progress=True)
    assert len(history["train_loss"]) == 1


# --- evaluate / predict -------------------------------------------------------------------------

def test_evaluate_matches_a_direct_computation_and_restores_mode():
    X, y = blobs(103, seed=8)
    model = nn.MLP([2, 8, 3], rng=1)
    with no_grad():
        logits = model(Tensor(X))
        direct_loss = F.cross_entropy(logits, y).item()
    for bs in (7, 64, 1000):                    # batching does not change the result
        result = evaluate(model, F.cross_entropy, (X, y), batch_size=bs)
        assert result["loss"] == pytest.approx(direct_loss, rel=1e-6)
        assert result["acc"] == accuracy(logits.data, y)
    assert model.training
    assert evaluate(model, None, (X, y), metrics=()) == {}
    with pytest.raises(ValueError, match="evaluate: data has no targets"):
        evaluate(model, F.cross_entropy, DataLoader(X))


def test_predict():
    X, _ = blobs(50, seed=9)
    spy = Spy(nn.Sequential(nn.Linear(2, 5, rng=0), nn.Dropout(0.5, rng=0)))
    out = predict(spy, X, batch_size=16)
    assert isinstance(out, np.ndarray) and out.shape == (50, 5)
    assert [c[2] for c in spy.calls] == [16, 16, 16, 2]
    assert not any(c[0] or c[1] for c in spy.calls)      # eval mode (no dropout), no graph
    assert spy.training
    with no_grad():
        np.testing.assert_allclose(out, spy.inner.eval()(Tensor(X)).data, rtol=1e-6)
    np.testing.assert_array_equal(predict(spy, DataLoader(X, batch_size=50)), out)


# --- plots ----------------------------------------------------------------------------------

@pytest.fixture
def plt_headless(monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    import matplotlib.pyplot as plt
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() called in headless mode"))
    return plt


def test_plot_history_writes_a_file(tmp_path, plt_headless):
    from nn.plot import plot_history
    history = {"train_loss": [1.0, 0.5, 0.3], "train_acc": [0.5, 0.7, 0.8], "val_loss": [1.1, 0.6, 0.5],
               "val_acc": [0.4, 0.6, 0.7], "epoch_time": [0.1, 0.1, 0.1]}
    fig = plot_history(history, tmp_path / "history.png", show=True)
    assert (tmp_path / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    fig = plot_history({"train_loss": [1.0, 0.5]})          # no path: the figure is returned, not closed
    assert len(fig.axes) == 1 and plt_headless.fignum_exists(fig.number)
    plt_headless.close(fig)
    with pytest.raises(ValueError, match="plot_history: expected fit"):
        plot_history({"val_loss": [1.0]})


def test_plot_images_grid_with_labels(tmp_path, plt_headless):
    from nn.plot import plot_images
    rng = np.random.default_rng(0)
    X = rng.random((10, 784)).astype(np.float32)
    y = np.arange(10)
    scores = np.eye(10)[[0, 1, 2, 3, 4, 5, 6, 7, 8, 0]]      # the last one is wrong
    fig = plot_images(X, y, scores, tmp_path / "grid.png", ncols=5, class_names=[f"c{i}" for i in range(10)])
    assert (tmp_path / "grid.png").stat().st_size > 1000
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(fig.axes) == 10 and titled[0].get_title() == "c0 → c0" and titled[9].get_title() == "c9 → c0"
    assert titled[9].title.get_color() == "red" and titled[0].title.get_color() == "black"
    fig = plot_images(X.reshape(10, 28, 28), max_images=3, path=tmp_path / "plain.svg")
    assert len(fig.axes) == 3 and (tmp_path / "plain.svg").exists()
    with pytest.raises(ValueError, match="not square images; pass image_shape"):
        plot_images(np.zeros((2, 10)))
    plot_images(np.zeros((2, 10)), image_shape=(2, 5), path=tmp_path / "rect.png")
    with pytest.raises(ValueError, match="y_true has 1 labels for 2 images"):
        plot_images(np.zeros((2, 4)), [0])


def test_plot_switches_gui_backend_to_agg_only_when_headless(monkeypatch, plt_headless):
    import matplotlib
    from nn import plot
    used = []
    monkeypatch.setattr(matplotlib, "use", lambda name, *a, **k: used.append(name))
    for backend, expected in (("TkAgg", ["Agg"]), ("agg", []), ("module://matplotlib_inline.backend_inline", [])):
        used.clear()
        monkeypatch.setattr(matplotlib, "get_backend", lambda b=backend: b)
        plot.pyplot()
        assert used == expected, backend
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(matplotlib, "get_backend", lambda: "TkAgg")
    used.clear()
    plot.pyplot()
    assert used == []


def test_plot_without_matplotlib(monkeypatch):
    from nn import plot
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="nn.plot needs matplotlib, an optional extra"):
        plot.plot_history({"train_loss": [1.0]})


@pytest.mark.parametrize("backend, swapped", [("inline", False), ("nbagg", False), ("agg", False), ("TkAgg", True)])
def test_pyplot_keeps_notebook_backends_on_a_headless_machine(backend, swapped, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    import nn.plot
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setattr(matplotlib, "get_backend", lambda: backend)
    uses = []
    monkeypatch.setattr(matplotlib, "use", lambda name, *a, **k: uses.append(name))
    nn.plot.pyplot()
    assert uses == (["Agg"] if swapped else [])          # a notebook's inline figures must stay visible
