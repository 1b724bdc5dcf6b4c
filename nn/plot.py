"""Pictures for the labs: training curves and image grids (matplotlib, an optional extra).

Headless-safe: without a display an interactive backend is swapped for Agg,
and ``show=True`` only shows where a window can open. Each function returns
the matplotlib Figure; with ``path`` it is saved there and closed.
"""
import os
import sys

import numpy as np

__all__ = ["pyplot", "plot_history", "plot_images"]

# backends that draw to files or to a notebook, never to a window (Jupyter's "inline" among them:
# swapping it for Agg on a headless notebook server would hide every figure)
_NON_GUI = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template", "inline", "nbagg", "notebook", "widget", "ipympl"}


def _headless():
    return sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def pyplot():
    """``matplotlib.pyplot``, ready for a script or lab to draw its own figures.

    The same door :func:`plot_history` and :func:`plot_images` use: headless-safe
    (without a display a GUI backend is swapped for Agg, so ``fig.savefig`` works
    on a server or in CI) and, without matplotlib, an ImportError saying how to
    install it (an optional extra of labgrad).

    Returns
    -------
    module
        ``matplotlib.pyplot``.

    Raises
    ------
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> plt = pyplot()
    >>> fig, ax = plt.subplots()
    >>> plt.close(fig)
    """
    try:
        import matplotlib
    except ImportError:
        raise ImportError("nn.plot needs matplotlib, an optional extra: pip install -e '.[demos]' in labgrad's "
                          "repository folder (or pip install matplotlib)") from None
    backend = matplotlib.get_backend().lower()
    if _headless() and backend not in _NON_GUI and not backend.startswith("module://"):
        matplotlib.use("Agg")          # a GUI backend cannot open a window here
    import matplotlib.pyplot as plt
    return plt


def _finish(plt, fig, path, show):
    if path is not None:
        fig.savefig(os.fspath(path), bbox_inches="tight", dpi=100)
    if show and not _headless() and plt.get_backend().lower() not in _NON_GUI:
        plt.show()
    if path is not None:
        plt.close(fig)                 # saved: free it (a script may make hundreds)
    return fig


def plot_history(history, path=None, show=False):
    """Loss and metric curves per epoch from :func:`nn.training.fit`'s history.

    One panel for the losses, one per metric (``train_acc``/``val_acc``, ...);
    validation curves are drawn when present.

    Parameters
    ----------
    history : dict of lists
        Needs ``train_loss``; other ``train_*`` / ``val_*`` keys are plotted too.
    path : str or os.PathLike, optional
        Save the figure here (format from the extension) and close it.
    show : bool
        Also ``plt.show()`` when a display is available.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(history, dict) or not history.get("train_loss"):
        raise ValueError("plot_history: expected fit()'s history, a dict with a non-empty 'train_loss' list")
    names = ["loss"] + [k[6:] for k in history if k.startswith("train_") and k != "train_loss"]
    plt = pyplot()
    from matplotlib import ticker
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        for split, style in (("train", "-o"), ("val", "--s")):
            values = history.get(f"{split}_{name}")
            if values:
                ax.plot(np.arange(1, len(values) + 1), values, style, markersize=3, label=split)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.set_title({"acc": "accuracy"}.get(name, name))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return _finish(plt, fig, path, show)


def plot_images(X, y_true=None, y_pred=None, path=None, *, class_names=None, max_images=32, ncols=8,
                image_shape=None, cmap="gray_r", title=None, show=False):
    """A grid of images titled with their true (and predicted) labels; wrong predictions in red.

    Parameters
    ----------
    X : array_like
        Images ``(n, h, w)`` or ``(n, h, w, 3)``, or flat rows ``(n, h*w)`` of
        square images (or any size with ``image_shape``).
    y_true : array_like, optional
        True labels ``(n,)``.
    y_pred : array_like, optional
        Predicted labels ``(n,)``, or model scores ``(n, k)`` (argmax taken).
    path : str or os.PathLike, optional
        Save the figure here and close it.
    class_names : sequence of str, optional
        Names shown instead of label numbers (e.g. ``nn.data.FASHION_MNIST_CLASSES``).
    max_images : int
        Draw the first ``max_images`` images.
    ncols : int
    image_shape : tuple, optional
        Shape of one image, for flat rows that are not square.
    cmap : str
        Colormap of grayscale images (``"gray_r"``: dark ink on white, as the labs).
    title : str, optional
    show : bool

    Returns
    -------
    matplotlib.figure.Figure
    """
    X = np.asarray(X)
    n = min(len(X), int(max_images))
    if n == 0:
        raise ValueError("plot_images: no images to draw")
    X = X[:n]
    if image_shape is not None:
        X = X.reshape((n,) + tuple(image_shape))
    elif X.ndim == 2:
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1]:
            raise ValueError(f"plot_images: rows of {X.shape[1]} pixels are not square images; pass image_shape")
        X = X.reshape(n, side, side)
    if X.ndim not in (3, 4):
        raise ValueError(f"plot_images: expected images (n, h, w[, 3]) or flat rows, got shape {X.shape}")
    labels = []
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y is None:
            labels.append(None)
            continue
        y = np.asarray(y)
        y = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))
        if len(y) < n:
            raise ValueError(f"plot_images: {name} has {len(y)} labels for {n} images")
        labels.append(y[:n])
    truth, pred = labels

    def show_label(v):
        return str(class_names[int(v)]) if class_names is not None else str(v)

    plt = pyplot()
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.5 * ncols, 1.7 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(X[i], cmap=cmap if X.ndim == 3 else None)
        text, color = [], "black"
        if truth is not None:
            text.append(show_label(truth[i]))
        if pred is not None:
            text.append(("pred " if truth is None else "→ ") + show_label(pred[i]))
            if truth is not None and pred[i] != truth[i]:
                color = "red"
        if text:
            ax.set_title(" ".join(text), fontsize=8, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _finish(plt, fig, path, show)
