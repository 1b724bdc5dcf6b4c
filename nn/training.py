"""The training loop, written once: ``fit``, ``evaluate`` and ``predict``.

One step is the lab's recipe and nothing more: slice a minibatch, forward,
loss, ``zero_grad``, ``backward``, ``optimizer.step()``. Losses are recorded
with ``loss.item()`` (a float, so no graph is kept alive by the history).

>>> import numpy as np, nn
>>> from nn import functional as F
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 2)).astype(np.float32); y = (X[:, 0] > X[:, 1]).astype(np.int64)
>>> model = nn.Linear(2, 2, rng=0)
>>> history = fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.5), (X, y),
...               epochs=5, batch_size=20, seed=0, progress=False)
>>> sorted(history), len(history["train_loss"])
(['epoch_time', 'train_acc', 'train_loss'], 5)
>>> evaluate(model, F.cross_entropy, (X, y))["acc"] > 0.9
True
"""
import functools
import sys
import time
import typing
import warnings

import numpy as np

from autograd import Tensor, capture, checks, concatenate, no_grad
from nn import functional as F
from nn.data import DataLoader
from nn.losses import BCELoss, BCEWithLogitsLoss
from nn.metrics import accuracy

__all__ = ["fit", "evaluate", "predict", "BatchEnd"]

_METRICS = {"accuracy": "acc"}                     # name -> history key suffix

# what one-column outputs are, by the loss trained on them: sigmoid probabilities or raw logits
_PROBABILITY_LOSSES = (BCELoss, F.binary_cross_entropy)
_LOGIT_LOSSES = (BCEWithLogitsLoss, F.binary_cross_entropy_with_logits)


def _one_column_threshold(loss_fn):
    """Where ``"accuracy"`` cuts one-column outputs for this loss: 0.5, 0.0, or None (unknown)."""
    while isinstance(loss_fn, functools.partial):
        loss_fn = loss_fn.func
    for losses, threshold in ((_PROBABILITY_LOSSES, 0.5), (_LOGIT_LOSSES, 0.0)):
        if any(loss_fn is f or (isinstance(f, type) and isinstance(loss_fn, f)) for f in losses):
            return threshold
    return None


def _default_accuracy(loss_fn, fn):
    """The ``"accuracy"`` metric: argmax of (n, k) scores; one column cut where ``loss_fn`` says."""
    threshold = _one_column_threshold(loss_fn)

    def acc(outputs, y):
        if outputs.ndim == 1 or (outputs.ndim == 2 and outputs.shape[1] == 1):
            if threshold is None:
                raise ValueError(
                    f"{fn}: metric 'accuracy' cannot tell whether the model's one-column outputs are "
                    f"probabilities (cut at 0.5) or logits (cut at 0) from loss_fn={loss_fn!r}; pass "
                    "metrics=[('acc', functools.partial(nn.metrics.accuracy, threshold=0.0))] for logits, "
                    "threshold=0.5 for probabilities, or metrics=() for none")
            return accuracy(outputs, y, threshold)
        return accuracy(outputs, y)
    return acc


def _metric_fns(metrics, loss_fn, fn):
    out = []
    for m in metrics or ():
        if isinstance(m, str) and m in _METRICS:
            out.append((_METRICS[m], _default_accuracy(loss_fn, fn)))
        elif isinstance(m, tuple) and len(m) == 2 and isinstance(m[0], str) and callable(m[1]):
            out.append(m)
        elif callable(m) and hasattr(m, "__name__"):
            out.append((m.__name__, m))
        else:
            raise ValueError(f"{fn}: unknown metric {m!r}; use one of {sorted(_METRICS)}, a function "
                             "f(outputs, y), or a (name, f) pair")
    names = [k for k, _ in out]
    if len(set(names)) != len(names) or "loss" in names:
        raise ValueError(f"{fn}: metric names must be distinct and not 'loss' (the history's own), got {names}; "
                         "name them with (name, f) pairs")
    return out


def _as_loader(model, data, batch_size, shuffle, seed, fn, role, drop_last=False):
    drop_last = checks.boolean(drop_last, "drop_last", fn)
    if isinstance(data, DataLoader):
        if drop_last and not data.drop_last:
            raise ValueError(f"{fn}: drop_last=True, but the {role} DataLoader keeps its last short batch; "
                             "build it with DataLoader(..., drop_last=True) (a DataLoader batches by itself)")
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        X = data[0].data if isinstance(data[0], Tensor) else np.asarray(data[0])
        # a float64 X cast once, here, to the model's dtype (not every batch)
        return DataLoader(model.cast_input(X), data[1], batch_size=batch_size, shuffle=shuffle, seed=seed,
                          drop_last=drop_last)
    raise TypeError(f"{fn}: {role} must be an (X, y) pair or a DataLoader, got {type(data).__name__}; "
                    "pass (X, y) or nn.data.DataLoader(X, y, ...)")


def _progress_bar(progress):
    """tqdm's class if a bar is wanted and possible, else None."""
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        if progress:
            warnings.warn("fit(progress=True) needs tqdm, an optional extra (pip install -e '.[demos]' in labgrad's repository folder, or pip install tqdm); "
                          "training without a progress bar", stacklevel=3)
        return None
    return tqdm


def _run(model, loader, with_targets=True):
    """Model outputs as one Tensor (and targets) over a loader, in eval mode under no_grad; restores the mode."""
    was_training = model.training
    model.eval()
    outs, ys = [], []
    try:
        with no_grad():
            for batch in loader:
                xb, yb = batch if loader.y is not None else (batch, None)
                outs.append(model(Tensor(model.cast_input(xb))))
                ys.append(yb)
            out = outs[0] if len(outs) == 1 else concatenate(outs)
    finally:
        model.train(was_training)
    return (out, np.concatenate(ys)) if with_targets else out


def evaluate(model, loss_fn, data, batch_size=256, metrics=("accuracy",)):
    """Loss and metrics of ``model`` on ``data``, in eval mode under ``no_grad``.

    Parameters
    ----------
    model : Module
    loss_fn : callable or None
        ``loss_fn(outputs, y)`` returning a mean loss Tensor (None: no loss).
    data : (X, y) pair or DataLoader
    batch_size : int
        Batch size of the forward passes (ignored for a DataLoader).
    metrics : sequence
        As for :func:`fit` (``"accuracy"`` reads one-column outputs by ``loss_fn``).

    Returns
    -------
    dict
        ``{"loss": float, "acc": float, ...}`` over all samples (the model's
        mode is restored afterwards).
    """
    metric_fns = _metric_fns(metrics, loss_fn, "evaluate")
    loader = _as_loader(model, data, batch_size, False, None, "evaluate", "data")
    if loader.y is None:
        raise ValueError("evaluate: data has no targets; build the DataLoader with y")
    out, y = _run(model, loader)
    result = {}
    if loss_fn is not None:
        with no_grad():
            result["loss"] = float(loss_fn(out, y).item())
    for key, fn in metric_fns:
        result[key] = float(fn(out.data, y))
    return result


def predict(model, X, batch_size=256):
    """Model outputs for ``X`` as one numpy array (eval mode, ``no_grad``, in batches).

    For class labels take ``predict(model, X).argmax(axis=1)`` (or
    :func:`nn.metrics.to_labels`, which also thresholds sigmoid outputs).

    Parameters
    ----------
    model : Module
    X : array_like or DataLoader
    batch_size : int
    """
    loader = X if isinstance(X, DataLoader) else DataLoader(model.cast_input(np.asarray(X)), batch_size=batch_size)
    if loader.shuffle:
        raise ValueError("predict: the DataLoader shuffles, so the outputs would not line up with the samples; "
                         "pass the array (or a loader with shuffle=False)")
    return _run(model, loader, with_targets=False).data


class BatchEnd(typing.NamedTuple):
    """What :func:`fit` passes to ``on_batch`` after each optimiser step (as Keras' ``on_train_batch_end``).

    ``epoch`` counts from 1, ``batch`` from 0 within the epoch; ``loss`` is the
    batch's loss before the step (a float), ``size`` its number of samples;
    ``outputs`` the model's output Tensor for the batch and ``targets`` the numpy
    targets; ``model`` and ``optimizer`` are the ones being trained.
    """
    epoch: int
    batch: int
    loss: float
    size: int
    outputs: Tensor
    targets: np.ndarray
    model: object
    optimizer: object


def fit(model, loss_fn, optimizer, train_data, val_data=None, epochs=1, batch_size=64, shuffle=True,
        seed=None, progress=None, metrics=("accuracy",), drop_last=False, on_batch=None, compile=False):
    """Train ``model`` for ``epochs`` passes over ``train_data``; return the per-epoch history.

    Parameters
    ----------
    model : Module
        Called as ``model(Tensor(xb))``; put in training mode for the epochs,
        evaluation mode for validation, and left in the mode it came in.
        Float inputs are cast to the model's dtype (``model.cast_input``): an
        ``(X, y)`` pair once, up front, a DataLoader's batches one by one.
    loss_fn : callable
        ``loss_fn(outputs, yb)`` returning the batch's *mean* loss as a scalar Tensor
        (e.g. ``nn.functional.cross_entropy``); ``yb`` is a numpy array.
    optimizer
        Has ``zero_grad()`` and ``step()`` (``nn.SGD``, ``nn.Adam``).
    train_data, val_data : (X, y) pair or DataLoader
        Pairs are batched with ``batch_size`` (``shuffle``/``seed`` for training);
        a DataLoader is used as given. Validation runs after every epoch.
    epochs : int
    batch_size : int
    shuffle : bool
        Reshuffle the training samples every epoch.
    seed : int, optional
        Seed of the shuffling, for reproducible runs (the model's initial weights
        are seeded where it is built).
    progress : bool or None
        One tqdm bar for the whole run (``epochs * batches`` steps; the epoch in
        its description, the live loss and the last epoch's results after it).
        None: only when stderr is a terminal and tqdm is installed (an optional extra).
    metrics : sequence
        ``"accuracy"`` (history key ``acc``), a function ``f(outputs, y) -> float``
        on numpy arrays (keyed by its ``__name__``), or a ``(name, f)`` pair
        (``()``: none, the fastest).
        ``"accuracy"`` takes the argmax of (n, k) scores; one-column outputs are
        cut at 0.5 for ``BCELoss`` / ``F.binary_cross_entropy`` (probabilities)
        and at 0 for ``BCEWithLogitsLoss`` / ``F.binary_cross_entropy_with_logits``
        (logits). With any other loss one-column outputs are ambiguous and
        ``"accuracy"`` raises ValueError: pass ``("acc", functools.partial(
        nn.metrics.accuracy, threshold=...))``.
    drop_last : bool
        Skip each epoch's last batch when it is smaller than ``batch_size`` (as
        PyTorch's ``DataLoader(drop_last=True)``); for an ``(X, y)`` pair, a
        DataLoader keeps its own setting.
    on_batch : callable, optional
        Called as ``on_batch(info)`` after every optimiser step, with a
        :class:`BatchEnd` (epoch, batch index, loss, size, outputs, targets,
        model, optimizer): to log per-batch losses, advance a progress bar of
        your own, or run a lab's step beside labgrad's. Its return value is ignored.
    compile : bool
        Run the training step (forward, loss, backward, optimiser step) through
        :func:`autograd.compile`: recorded on the first batches of each shape, then
        replayed as straight-line numpy calls, bit for bit the same training. The
        metrics are then computed after each step, from the outputs it computed
        before updating (the same values).

    Returns
    -------
    dict of lists, one entry per epoch
        ``train_loss``, ``train_acc`` (per metric), then ``val_loss``, ``val_acc``
        when ``val_data`` is given, and ``epoch_time`` (seconds, validation
        included). Train values are averages over the epoch's batches, weighted
        by batch size, of the outputs computed before each step; validation
        values use the model at the end of the epoch.
    """
    epochs = checks.positive_int(epochs, "epochs", "fit")
    if on_batch is not None and not callable(on_batch):
        raise TypeError(f"fit: on_batch must be a callable on_batch(info) or None, got {type(on_batch).__name__}; "
                        "pass a function")
    loader = _as_loader(model, train_data, batch_size, shuffle, seed, "fit", "train_data", drop_last)
    if loader.y is None:
        raise ValueError("fit: train_data has no targets; build the DataLoader with y")
    if len(loader) == 0:
        raise ValueError(f"fit: no training batches ({loader.num_samples} samples, batch_size="
                         f"{loader.batch_size}, drop_last=True); use a smaller batch_size or drop_last=False")
    val_loader = None if val_data is None else _as_loader(model, val_data, batch_size, False, None, "fit",
                                                           "val_data")
    metric_fns = _metric_fns(metrics, loss_fn, "fit")
    keys = ["loss"] + [k for k, _ in metric_fns]
    history = {f"train_{k}": [] for k in keys}
    if val_loader is not None:
        history.update({f"val_{k}": [] for k in keys})
    history["epoch_time"] = []
    bar_class = _progress_bar(progress)
    n_batches = len(loader)
    was_training = model.training
    bar = None if bar_class is None else bar_class(total=epochs * n_batches, desc=f"epoch 1/{epochs}",
                                                   unit="batch", leave=True)
    last = ""                                  # the previous epoch's results, shown after the live loss

    def forward(xb, yb):
        out = model(Tensor(xb))
        return out, loss_fn(out, yb)

    def update(loss):
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def train_step(xb, yb):
        out, loss = forward(xb, yb)
        update(loss)
        return out, loss
    compiled = capture.compile(train_step) if checks.boolean(compile, "compile", "fit") else None

    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            model.train()
            if bar is not None and epoch > 1:
                bar.set_description_str(f"epoch {epoch}/{epochs}", refresh=False)
            seen, loss_sum, metric_sums = 0, 0.0, [0.0] * len(metric_fns)
            for index, (xb, yb) in enumerate(loader):       # the hot path
                if compiled is None:
                    out, loss = forward(model.cast_input(xb), yb)
                else:
                    out, loss = compiled(model.cast_input(xb), yb)
                n = len(xb)
                for i, (_, fn) in enumerate(metric_fns):     # eager: before the step, a metric that fails changes nothing
                    metric_sums[i] += fn(out.data, yb) * n
                if compiled is None:
                    update(loss)
                value = loss.item()
                seen += n
                loss_sum += value * n
                if on_batch is not None:
                    on_batch(BatchEnd(epoch, index, value, n, out, yb, model, optimizer))
                if bar is not None:
                    bar.set_postfix_str(f"loss={value:.4f}{last}", refresh=False)
                    bar.update()
                out = loss = None              # (this batch's graph let go before the next is built: a lower peak)
            epoch_values = {"train_loss": loss_sum / seen}
            epoch_values.update({f"train_{k}": s / seen for (k, _), s in zip(metric_fns, metric_sums)})
            if val_loader is not None:
                epoch_values.update({f"val_{k}": v for k, v in
                                     evaluate(model, loss_fn, val_loader, metrics=metrics).items()})
            for k, v in epoch_values.items():
                history[k].append(float(v))
            history["epoch_time"].append(time.perf_counter() - start)
            if bar is not None:
                last = " | " + ", ".join(f"{k}={v:.4f}" for k, v in epoch_values.items())
                bar.set_postfix_str(f"loss={value:.4f}{last}")
    finally:
        if bar is not None:
            bar.close()
        model.train(was_training)
    return history
