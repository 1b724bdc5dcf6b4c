"""What every demo shares: one command line, one way to find data, one output folder.

Conventions for ``demos/<name>.py`` (the lab demos follow them; new demos should too):

* **Entry point.** ``main(argv=None) -> int`` (exit code: 0 ok, 1 a lab check
  failed, 2 data not found or an optional package missing), and
  ``if __name__ == "__main__": raise SystemExit(main())``. The module docstring's first
  paragraph is the ``--help`` description. ``main`` parses the command line and hands
  the rest to :func:`run_demo`: ``return run_demo(args, _run, "matplotlib")``, which
  checks the optional packages, sets numpy's BLAS threads, creates the output folder
  and calls ``_run(args, out)``.
* **Optional packages.** :func:`run_demo` (through :func:`require_extras`) checks the
  optional packages (the ``[demos]`` extra) the demo imports, before anything runs: it
  prints what is missing and ``pip install -e '.[demos]'`` (labgrad is installed from
  its repository, not from PyPI) instead of a traceback half-way.
* **Threads.** The body runs inside :func:`blas_threads` (numpy's BLAS at
  ``--blas-threads``, default 1: on 2 busy cores, 2 BLAS threads made a 784-25-15-1
  epoch over 10x slower).
* **Command line.** ``parser = make_parser(name, description, epochs=..., batch_size=...,
  lr=..., default_data=..., quick_epochs=...)`` gives ``--help --epochs --batch-size
  --lr --seed --data {mnist,fashion-mnist,digits} --data-dir DIR --download --out DIR
  --quick --no-progress --blas-threads N``. ``--quick`` sets the epochs to ``quick_epochs`` (unless
  ``--epochs`` is given) and tells the demo to use small subsets: it is the mode the
  smoke tests run, seconds long, and its numbers are not results. Add demo-specific
  options to ``parser`` before ``parse_args``.
* **Data.** ``data = load_data(args)`` returns a :class:`Data` (``X_train, y_train,
  X_test, y_test`` with ``X`` float32 in [0, 1] flattened, ``y`` int64; ``name``,
  ``source``, ``image_shape``, ``classes``) and prints one line saying exactly what
  was loaded from where. MNIST and Fashion-MNIST come through ``nn.data``: ``--data-dir``
  (then *only* that folder), else ``$LABGRAD_MNIST_DIR`` / ``$LABGRAD_FASHION_MNIST_DIR``,
  ``$LABGRAD_DATA/<name>``, Debian's ``/usr/share/datasets/fashion-mnist`` and
  ``~/.cache/labgrad/<name>`` (one search, :func:`nn.data.locate`); ``--download`` also
  allows the official mirrors (saving into ``--data-dir`` if given, else the cache).
  If the files are not there, ``load_data`` prints every place it looked, how to get
  the files, and the same command with ``--data digits`` (the 8x8 scikit-learn digits
  that ship with scikit-learn, no download), then returns None: ``main`` returns 2.
  A file that is there but damaged (truncated download, wrong format) is reported the
  same way, with :func:`nn.data.read_idx`'s message naming the file.
  A demo never swaps the data set on its own, since that changes what is measured.
* **Output.** ``out`` (from :func:`run_demo`, or ``output_dir(args)``) is ``--out`` or
  ``out/<name>``, created and announced. :func:`save_history` (``nn.plot.plot_history``), :func:`save_images`
  (``nn.plot.plot_images``) and :func:`save_graph` (``autograd.viz.save``, SVG and
  PNG) write files and print ``wrote <path>``; no display is needed. A file written
  another way is announced with ``wrote(path)``. End with :func:`finish`, which lists
  what was written.
* **Progress.** One bar per training run. ``nn.fit(..., progress=fit_progress(args))``, or
  for a loop of your own ``bar = progress_bar(args, "training", total=epochs * batches)``
  and ``for b in bar(batches, f"epoch {e}/{epochs}")`` in each epoch (``bar(iterable)``
  alone when one iterable is the whole run): a tqdm bar on stderr when it is a terminal,
  none with ``--no-progress``/``--quick``; stdout holds only the results.
* **Did it learn?** After measuring the test accuracy, ``if not learned(acc, y_test, n_classes,
  hint): ...`` prints a warning when the accuracy is within noise of chance, and the demo
  then prints no conclusion that assumes a trained network.
* **Printed numbers.** One fact per line, ``name: value`` (``test accuracy: 0.9981``,
  ``training: 2.61 s (0.087 s/epoch)``), so that the smoke tests and the README can quote them.

A skeleton::

    def main(argv=None):
        parser = common.make_parser("my_demo", __doc__.split("\n\n")[0], epochs=10, batch_size=64,
                                    lr=0.1, default_data="mnist", quick_epochs=1)
        return common.run_demo(parser.parse_args(argv), _run, "matplotlib")

    def _run(args, out):
        data = common.load_data(args)
        if data is None:
            return 2                        # load_data said what was missing and what to do
        ...                                 # train; with --quick use data.X_train[:512] etc.
        print(f"test accuracy: {acc:.4f}")
        common.learned(acc, data.y_test, len(data.classes), "try more --epochs or another --lr")
        common.save_history(history, out / "loss.png")
        common.finish(args)
        return 0
"""
import argparse
import contextlib
import dataclasses
import importlib
import math
import sys
from pathlib import Path

import numpy as np

import nn.data

__all__ = [
    "Data", "DATASETS", "EXTRAS", "INSTALL_EXTRAS", "make_parser", "run_demo", "require_extras", "blas_threads",
    "load_data", "notebook_data",
    "output_dir", "progress_bar", "fit_progress", "chance_level", "learned", "save_history", "save_images",
    "save_graph", "wrote", "finish",
]

#: how to install the optional packages, from the repository folder (labgrad is not on PyPI)
INSTALL_EXTRAS = "pip install -e '.[demos]'"
#: module imported -> package name of the ``[demos]`` extra (pyproject.toml)
EXTRAS = {"matplotlib": "matplotlib", "tqdm": "tqdm", "sklearn": "scikit-learn"}

#: ``--data`` choice -> (nn.data loader name, title, environment variable or None)
DATASETS = {
    "mnist": ("load_mnist", nn.data.DATASETS["mnist"]["title"], nn.data.DATASETS["mnist"]["env"]),
    "fashion-mnist": ("load_fashion_mnist", nn.data.DATASETS["fashion-mnist"]["title"],
                      nn.data.DATASETS["fashion-mnist"]["env"]),
    "digits": ("load_digits", "scikit-learn digits (8x8)", None),
}

_DIGITS_TEST = 360            # fixed 20 % stratified test split of the 1,797 digits (seed 0)
_written = []                 # files written by this process, for finish()


@dataclasses.dataclass
class Data:
    """A train/test split of images: ``X`` float32 in [0, 1], flattened; ``y`` int64 class ids."""
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str                 # "MNIST", "Fashion-MNIST", "scikit-learn digits (8x8)"
    source: str               # where it came from, e.g. "/usr/share/datasets/fashion-mnist"
    image_shape: tuple        # (28, 28) or (8, 8)
    classes: tuple            # class names, index = label


def make_parser(name, description, *, epochs, batch_size, lr, default_data="mnist", quick_epochs=1, prog=None,
                lr_help=None):
    """The shared ``argparse`` parser of a demo (see the module docstring).

    >>> p = make_parser("x", "A demo.", epochs=30, batch_size=64, lr=0.1, quick_epochs=2)
    >>> a = p.parse_args(["--quick"]); (a.epochs, a.batch_size, a.lr, a.data, a.out)
    (2, 64, 0.1, 'mnist', 'out/x')
    >>> p.parse_args(["--epochs", "5", "--quick"]).epochs
    5
    """
    prog = prog or f"python -m demos.{name}"
    parser = _Parser(prog, prog=prog, description=description,
                     epilog="Data: MNIST/Fashion-MNIST are looked for in --data-dir (only there, if given), "
                            "else $LABGRAD_MNIST_DIR / $LABGRAD_FASHION_MNIST_DIR, $LABGRAD_DATA/<name>, "
                            "/usr/share/datasets/fashion-mnist (Debian: apt-get install dataset-fashion-mnist) "
                            "and ~/.cache/labgrad/<name>. '--data digits' uses scikit-learn's 8x8 digits, "
                            "no download.")
    parser.add_argument("--epochs", type=_positive_int, default=None,
                        help=f"training epochs (default {epochs}; {quick_epochs} with --quick)")
    parser.add_argument("--batch-size", type=_positive_int, default=batch_size,
                        help=f"mini-batch size (default {batch_size})")
    parser.add_argument("--lr", type=float, default=lr, help=lr_help or f"learning rate (default {lr})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights and shuffles (default 0)")
    parser.add_argument("--data", choices=sorted(DATASETS), default=default_data,
                        help=f"data set (default {default_data})")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding the four standard IDX files (train-images-idx3-ubyte.gz, ...)")
    parser.add_argument("--download", action="store_true",
                        help="if the files are not found, download them from the official mirrors "
                             "into --data-dir if given, else ~/.cache/labgrad/<name>")
    parser.add_argument("--out", default=f"out/{name}", help=f"folder for the figures (default out/{name})")
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds on small subsets (smoke test; the numbers are not results)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="threads of numpy's BLAS during the demo (default 1: the labs' matrices are small, "
                             "and with 2 threads on 2 busy cores a 784-25-15-1 epoch was over 10x slower; "
                             "0 = numpy's default)")
    parser.set_defaults(_default_epochs=epochs, _quick_epochs=quick_epochs)
    return parser


class _Parser(argparse.ArgumentParser):
    """Fills in the epochs (which depend on --quick) and remembers the command line for messages."""

    def __init__(self, command, **kwargs):
        super().__init__(**kwargs)
        self.command = command

    def parse_args(self, args=None, namespace=None):
        argv = list(sys.argv[1:] if args is None else args)
        ns = super().parse_args(argv, namespace)
        if ns.epochs is None:
            ns.epochs = ns._quick_epochs if ns.quick else ns._default_epochs
        ns._command = " ".join([self.command] + _without_data_options(argv))
        ns._prog = self.command
        return ns


def _without_data_options(argv):
    """The arguments minus --data/--data-dir/--download (to print the '--data digits' variant)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in ("--data", "--data-dir"):
            skip = True
        elif not (a.startswith("--data=") or a.startswith("--data-dir=") or a == "--download"):
            out.append(a)
    return out


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


# --- the body of every main() -------------------------------------------------------------

def run_demo(args, body, *extras):
    """Run a demo's ``body(args, out)`` as every ``main`` does; return its exit code.

    Checks the optional packages ``extras`` (:func:`require_extras`: 2 if one is
    missing, after saying how to install it), then, with numpy's BLAS at
    ``--blas-threads`` (:func:`blas_threads`), creates and announces the output
    folder (:func:`output_dir`) and returns ``body(args, out)``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``make_parser(...).parse_args(argv)``).
    body : callable
        ``body(args, out) -> int``, the demo itself; ``out`` is a ``pathlib.Path``.
    *extras : str
        Import names of the optional packages the demo needs (``"matplotlib"``, ``"sklearn"``).
    """
    if not require_extras(args, *extras):
        return 2
    with blas_threads(args):
        return body(args, output_dir(args))


# --- optional packages --------------------------------------------------------------------

def require_extras(args, *modules):
    """True if the optional packages the demo needs can be imported; else say which are missing and how to
    install them, and return False (``main`` then returns 2).

    ``modules`` are import names from :data:`EXTRAS` (``"matplotlib"``, ``"tqdm"``, ``"sklearn"``);
    scikit-learn is added when ``args.data`` is ``"digits"``, whose images come with it. Checked
    before the demo starts, so that a missing package does not stop it half-way with a traceback.
    """
    needed = list(modules) + (["sklearn"] if getattr(args, "data", None) == "digits" else [])
    missing = []
    for module in dict.fromkeys(needed):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(EXTRAS.get(module, module))
    if missing:
        print(f"error: {getattr(args, '_prog', 'this demo')} needs {' and '.join(missing)}, "
              f"{'an optional package' if len(missing) == 1 else 'optional packages'} of labgrad's [demos] "
              f"extra that {'is' if len(missing) == 1 else 'are'} not installed.\n"
              f"Install the extra from the labgrad repository folder (labgrad is not on PyPI): {INSTALL_EXTRAS}",
              file=sys.stderr)
    return not missing


# --- data ---------------------------------------------------------------------------------

def _how_to_get(choice, args):
    _, title, env = DATASETS[choice]
    lines = [f"How to get {title}:"]
    if choice == "fashion-mnist":
        lines.append("  - Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist "
                     "(installs /usr/share/datasets/fashion-mnist)")
    lines += [f"  - rerun with --download (official mirrors, checked by MD5, saved in --data-dir if given, "
              f"else ~/.cache/labgrad/{choice})",
              "  - put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and "
              f"t10k-labels-idx1-ubyte.gz in a folder and pass --data-dir FOLDER (or set ${env})",
              "Or run on the 8x8 digits that ship with scikit-learn (no download; a smaller, easier data set):",
              f"  {getattr(args, '_command', 'python -m demos.<name>')} --data digits"]
    return "\n".join(lines)


def _read(choice, data_dir=None, download=False):
    """Data set ``choice`` as a :class:`Data`, printed in one line; locate's FileNotFoundError and
    read_idx's ValueError (a damaged file) go through to the caller, which says how to fix them."""
    loader, title, _ = DATASETS[choice]
    if choice == "digits":
        (Xtr, ytr), (Xte, yte) = nn.data.load_digits(test_size=_DIGITS_TEST, seed=0)
        data = Data(Xtr, ytr, Xte, yte, title, "sklearn.datasets.load_digits (ships with scikit-learn; "
                    f"fixed stratified split, {_DIGITS_TEST} test images)", (8, 8), tuple(str(i) for i in range(10)))
    else:
        folder = nn.data.locate(choice, data_dir, download=download)
        source = f"{folder.resolve()} (--data-dir)" if data_dir else str(folder)
        load = getattr(nn.data, loader)
        Xtr, ytr = load(folder, "train", download=False)
        Xte, yte = load(folder, "test", download=False)
        classes = nn.data.FASHION_MNIST_CLASSES if choice == "fashion-mnist" else tuple(str(i) for i in range(10))
        data = Data(Xtr, ytr, Xte, yte, title, source, (28, 28), tuple(classes))
    print(f"data: {data.name} from {data.source}: {len(data.X_train)} train / {len(data.X_test)} test images "
          f"of {data.image_shape[0]}x{data.image_shape[1]}")
    return data


def load_data(args):
    """Load ``args.data`` as a :class:`Data`, or print why not and how to fix it and return None.

    Nothing is downloaded unless ``args.download``; another data set is never substituted.
    """
    choice = args.data
    title = DATASETS[choice][1]
    if choice == "digits" and args.data_dir:
        print(f"error: --data-dir {args.data_dir} was given with --data digits, which reads no files; "
              "use --data mnist or --data fashion-mnist with --data-dir", file=sys.stderr)
        return None
    try:           # --data-dir is the only folder searched, if given; --download fetches what is missing
        return _read(choice, args.data_dir, args.download)
    except FileNotFoundError as e:
        given = f"--data-dir {args.data_dir}: " if args.data_dir else ""
        print(f"error: {given}{e}\n\n{_how_to_get(choice, args)}", file=sys.stderr)
    except ValueError as e:                           # read_idx: a damaged or foreign file, named
        print(f"error: {e}\n\nThe {title} files are there but one is damaged (an interrupted download?) or "
              f"is not an IDX file: replace it.\n{_how_to_get(choice, args)}", file=sys.stderr)
    return None


def notebook_data(data, download=False):
    """Load data set ``data`` for a notebook, as :func:`load_data` does; raise with a notebook's fix if absent.

    Parameters
    ----------
    data : {"mnist", "fashion-mnist", "digits"}
        The notebook's ``DATA`` (set in its first cell).
    download : bool
        The notebook's ``DOWNLOAD``: fetch missing MNIST / Fashion-MNIST files into the user cache.

    Raises
    ------
    FileNotFoundError
        When the files are not found: where they were looked for, and what to set in the notebook
        (``DATA = "digits"`` in the first cell, or ``DOWNLOAD = True``); no command-line advice.
    ValueError
        For an unknown ``data``, or a damaged data file (named).
    """
    if data not in DATASETS:
        raise ValueError(f"notebook_data: unknown DATA {data!r}; set DATA in the first cell to one of "
                         + ", ".join(repr(k) for k in DATASETS))
    title = DATASETS[data][1]
    digits = ('set DATA = "digits" in the first cell to use the 8x8 digits that ship with scikit-learn '
              "(nothing to download)")
    try:
        return _read(data, download=bool(download))
    except FileNotFoundError as e:
        # locate's places and download errors, without its advice for Python callers (root=...)
        places = [line for line in str(e).splitlines()[1:] if line.startswith(("  ", "Download failed"))]
        fetch = ("" if download else
                 f', or set DOWNLOAD = True in the data cell to download {title} into the user cache')
        raise FileNotFoundError("\n".join(
            [f"notebook_data: no {title} files found. Looked in:"] + places
            + [f"To go on: {digits}{fetch}."])) from None
    except ValueError as e:
        raise ValueError(f"notebook_data: {e}\nThe {title} files are there but one is damaged (an interrupted "
                         f"download?) or is not an IDX file: delete or replace it, or {digits}.") from None


# --- threads --------------------------------------------------------------------------------

@contextlib.contextmanager
def blas_threads(args):
    """Run the body with numpy's BLAS limited to ``args.blas_threads`` threads (0: unchanged).

    The labs multiply small matrices (64 x 784 by 784 x 25): one thread does that
    in microseconds, and several threads waiting for each other on cores that are
    busy with other work can make each product 10-50x slower. Uses threadpoolctl
    (installed with scikit-learn); without it the setting is left alone, and said so.
    """
    n = getattr(args, "blas_threads", 0)
    if not n:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("note: threadpoolctl is not installed, so --blas-threads is ignored (pip install threadpoolctl)")
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        print(f"numpy BLAS threads: {n} (--blas-threads)")
        yield


# --- output -------------------------------------------------------------------------------

def output_dir(args):
    """Create ``args.out`` and say where the figures go."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"figures go to {out}/")
    return out


def progress_bar(args, desc, total=None):
    """One tqdm bar on stderr for a whole training run: returns ``track(iterable, step=None)``.

    ``track`` yields the items of ``iterable`` and advances the bar by one for each.
    Call it once per epoch on the epoch's batches, with ``total`` the number of
    batches of the whole run and ``step`` (e.g. ``"epoch 3/10"``) shown after ``desc``;
    or once on an iterable that is the whole run (``total`` defaults to its length).
    The bar closes when ``total`` items went by. Bars are off (``track`` returns the
    iterable itself) with ``--no-progress`` or ``--quick``, when stderr is not a
    terminal (logs, tests) and without tqdm.
    """
    if fit_progress(args) is False or not sys.stderr.isatty():
        return _no_bar
    try:
        from tqdm import tqdm
    except ImportError:
        return _no_bar
    bar = None

    def track(iterable, step=None):
        nonlocal bar
        if bar is None:
            bar = tqdm(total=len(iterable) if total is None else total, desc=desc, file=sys.stderr, leave=False,
                       dynamic_ncols=True)
        if step:
            bar.set_description(f"{desc} {step}", refresh=False)
        for item in iterable:
            yield item
            bar.update()
        if bar.n >= bar.total:
            bar.close()

    return track


def _no_bar(iterable, step=None):
    return iterable


def fit_progress(args):
    """The ``progress=`` argument for ``nn.fit``: False when bars are off, else None (a bar on a terminal)."""
    return False if getattr(args, "no_progress", False) or getattr(args, "quick", False) else None


# --- did it learn? -------------------------------------------------------------------------

def chance_level(y_true, n_classes):
    """Accuracy without learning: the larger of ``1 / n_classes`` and the most frequent class's share of ``y_true``.

    >>> chance_level([0, 1, 1, 1], 2)
    0.75
    >>> round(chance_level(list(range(10)) * 3, 10), 4)
    0.1
    """
    counts = np.bincount(np.asarray(y_true, dtype=np.int64).ravel(), minlength=n_classes)
    return max(1.0 / n_classes, float(counts.max() / counts.sum()))


def learned(accuracy, y_true, n_classes, hint="try more epochs (--epochs) or another learning rate (--lr)",
            what="test accuracy"):
    """False, after a warning line, if ``accuracy`` on ``y_true`` is within noise of :func:`chance_level`.

    Within noise means at most three binomial standard deviations above chance,
    ``3 sqrt(p (1 - p) / n)`` for ``n`` labels: a network that outputs one class, or
    random guesses, lands there. The demo should then print no conclusion that
    assumes a trained network.

    >>> learned(0.95, [0, 1] * 50, 2)
    True
    >>> learned(0.55, [0, 1] * 50, 2, hint="try --lr 0.5")
    warning: test accuracy 0.5500 is chance level for 2 classes (0.5000, +-0.1500 over 100 labels): \
the network has not learned; try --lr 0.5
    False
    """
    n = len(y_true)
    p = chance_level(y_true, n_classes)
    noise = 3 * math.sqrt(p * (1 - p) / n)
    if accuracy > p + noise:
        return True
    print(f"warning: {what} {accuracy:.4f} is chance level for {n_classes} classes ({p:.4f}, +-{noise:.4f} "
          f"over {n} labels): the network has not learned; {hint}")
    return False


def save_history(history, path):
    """Loss (and accuracy) per epoch, ``nn.plot.plot_history`` of a ``fit``-style history dict; print the path."""
    from nn.plot import plot_history
    plot_history(history, path)
    return wrote(path)


def save_images(X, y_true, y_pred, path, **kwargs):
    """Images with their labels and predictions (``nn.plot.plot_images``; wrong ones in red); print the path."""
    from nn.plot import plot_images
    plot_images(X, y_true, y_pred, path, **kwargs)
    return wrote(path)


def save_graph(graph, path_stem, formats=("svg", "png")):
    """Render a ``graphviz.Digraph`` to ``path_stem.<format>`` for each format; print each path.

    Without Graphviz's ``dot`` program the DOT source (``.dot``) is written instead
    and the message says how to install ``dot``.
    """
    import graphviz
    from autograd import viz
    path_stem = Path(path_stem)
    path_stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        try:
            written.append(wrote(viz.save(graph, path_stem.with_suffix("." + fmt))))
        except graphviz.ExecutableNotFound as e:
            dot = viz.save(graph, path_stem.with_suffix(".dot"))
            print(f"{e}\nwrote the graph source {dot} instead")
            return written + [wrote(dot, quiet=True)]
    return written


def wrote(path, quiet=False):
    """Record a file the demo wrote by other means (listed by :func:`finish`) and announce it."""
    _written.append(Path(path))
    if not quiet:
        print(f"wrote {path}")
    return Path(path)




def finish(args=None):
    """Print the files this run wrote (and forget them); ``args`` is accepted so every demo ends alike."""
    if _written:
        print("files written: " + ", ".join(str(p) for p in _written))
    _written.clear()
