"""Data for the labs: IDX files, MNIST / Fashion-MNIST / sklearn digits, splits and minibatches.

Everything here works on numpy arrays: loaders return ``(X, y)`` with ``X``
float32 in [0, 1] (or the raw uint8 pixels) and ``y`` int64, and
:class:`DataLoader` yields numpy minibatches that a model call wraps as needed.

>>> X = np.arange(10.0).reshape(5, 2); y = np.array([0, 1, 0, 1, 1])
>>> [xb.shape for xb, yb in DataLoader(X, y, batch_size=2)]
[(2, 2), (2, 2), (1, 2)]
"""
import gzip
import hashlib
import math
import os
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from autograd import checks
from nn.init import as_rng

__all__ = [
    "read_idx", "locate", "DATASETS", "load_mnist", "load_fashion_mnist", "load_digits", "DataLoader", "train_val_split",
    "one_hot", "FASHION_MNIST_CLASSES", "DOWNLOAD_TIMEOUT", "urlopen",
]

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
DOWNLOAD_TIMEOUT = 10.0      # seconds per connection attempt: offline machines fail fast

# --- IDX files (LeCun's MNIST format) ---------------------------------------------------------

# type code -> big-endian dtype, as in the format's specification
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (gzipped or raw) into a numpy array of native byte order.

    The header is two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions, then one
    big-endian uint32 per dimension; the data follows, big-endian, row-major.
    Gzip is recognised by its content, not by the file name.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    numpy.ndarray
        A new, writable array of the stored shape and type.

    Raises
    ------
    ValueError
        Naming the file, if the gzip stream is corrupt, the magic number or type
        code is wrong, or the data is shorter or longer than the header says.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
    >>> with gzip.open(path, "wb") as f:     # uint8, 1 dimension of size 3, then the data
    ...     _ = f.write(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(path)
    array([7, 2, 1], dtype=uint8)
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"read_idx: {path}: corrupt or truncated gzip data ({e})") from None

    def bad(why):
        return ValueError(f"read_idx: {path}: {why}")

    if len(raw) < 4:
        raise bad(f"only {len(raw)} bytes, too short for the 4-byte IDX magic number")
    if raw[0] != 0 or raw[1] != 0:
        raise bad(f"bad magic number 0x{raw[:4].hex()}: an IDX file starts with two zero bytes "
                  "(is it an IDX file?)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X} {np.dtype(d).name}" for c, d in _IDX_DTYPES.items())
        raise bad(f"unknown data type code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise bad("header declares 0 dimensions")
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise bad(f"truncated header: {ndim} dimensions need {start} bytes, file has {len(raw)}")
    shape = tuple(int(n) for n in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(_IDX_DTYPES[code])
    need, have = math.prod(shape) * dtype.itemsize, len(raw) - start     # Python ints: no overflow
    if have < need:
        raise bad(f"truncated: header says shape {shape} of {dtype.name} = {need} data bytes, "
                  f"file has {have}")
    if have > need:
        raise bad(f"{have - need} unexpected bytes after the {need} data bytes of shape {shape} "
                  "(wrong dimensions in the header?)")
    return np.frombuffer(raw, dtype, offset=start).reshape(shape).astype(dtype.newbyteorder("="))


# --- MNIST and Fashion-MNIST ----------------------------------------------------------------

_SPLIT_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}

#: The IDX data sets :func:`locate` knows: name -> ``title``, ``env`` (the variable naming its folder),
#: ``system`` (folders a system package installs), ``mirrors`` (download URLs, tried in order) and
#: ``md5`` (the published checksum of each file).
DATASETS = {
    "mnist": dict(
        title="MNIST", env="LABGRAD_MNIST_DIR", system=(),
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        md5={"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
             "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
             "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
             "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}),
    "fashion-mnist": dict(
        title="Fashion-MNIST", env="LABGRAD_FASHION_MNIST_DIR",
        system=("/usr/share/datasets/fashion-mnist",),        # Debian's dataset-fashion-mnist
        mirrors=("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
                 "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
        md5={"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
             "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
             "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
             "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}),
}


def urlopen(url, timeout):
    """The one network call of nn.data (replace it to fetch differently: through a proxy, or offline in tests)."""
    return urllib.request.urlopen(url, timeout=timeout)


def _cache_dir(name):
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "labgrad" / name


def _candidates(name):
    """(folder or None, how it was chosen) in search order, when no root is given."""
    spec = DATASETS[name]
    own, common = os.environ.get(spec["env"]), os.environ.get("LABGRAD_DATA")
    out = [(Path(own) if own else None, f"${spec['env']}"),
           (Path(common) / name if common else None, f"$LABGRAD_DATA/{name}")]
    out += [(Path(p), "system dataset folder") for p in spec["system"]]
    out.append((_cache_dir(name), "user cache"))
    return out


def _find(folder, stem):
    """The file for ``stem`` in ``folder``: gzipped or raw, with '-' or '.' before 'idx'."""
    for base in (stem, stem.replace("-idx", ".idx")):
        for suffix in (".gz", ""):
            p = folder / (base + suffix)
            if p.is_file():
                return p
    return None


def _download(name, filename, dest_dir, timeout):
    """Fetch ``filename`` from the first mirror that serves it with the right MD5; return the path or errors."""
    spec, errors = DATASETS[name], []
    dest = dest_dir / filename
    for mirror in spec["mirrors"]:
        url = mirror + filename
        part = dest.with_name(filename + ".part")
        try:
            md5 = hashlib.md5(usedforsecurity=False)
            with urlopen(url, timeout) as response:
                dest_dir.mkdir(parents=True, exist_ok=True)      # only once a mirror answers
                with open(part, "wb") as out:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        md5.update(chunk)
                        out.write(chunk)
            if md5.hexdigest() != spec["md5"][filename]:
                raise ValueError(f"download: {filename} has MD5 {md5.hexdigest()}, not the published "
                                 f"{spec['md5'][filename]}; the mirror served a damaged or different file")
            os.replace(part, dest)          # only a verified file ever takes the real name
            return dest, errors
        except Exception as e:              # any failure: note it, try the next mirror
            errors.append(f"{url}: {type(e).__name__}: {e}")
            part.unlink(missing_ok=True)
    return None, errors


def locate(name, root=None, split=None, *, download=False):
    """The folder holding the IDX files of data set ``name``: the one search every loader and demo uses.

    With ``root`` given, that folder is the only place looked in (a typo must not
    load the data set from somewhere else). Without it the places are, in order,
    ``$LABGRAD_MNIST_DIR`` / ``$LABGRAD_FASHION_MNIST_DIR``, ``$LABGRAD_DATA/<name>``,
    the system folders of :data:`DATASETS` (Debian's ``/usr/share/datasets/fashion-mnist``)
    and the user cache ``~/.cache/labgrad/<name>`` (``$XDG_CACHE_HOME`` is honoured);
    the first folder holding every file wanted wins. Files are gzipped or raw, with
    ``-`` or ``.`` before ``idx`` (``train-images-idx3-ubyte.gz``, ``train-images.idx3-ubyte``).

    Parameters
    ----------
    name : {'mnist', 'fashion-mnist'}
        A key of :data:`DATASETS`.
    root : str or os.PathLike, optional
        The folder to use, and the only one searched; it must exist.
    split : {'train', 'test'}, optional
        The two files of one split; None (default): all four files.
    download : bool
        If the files are not found, fetch the missing ones from the official
        mirrors (checked against their MD5 sums) into ``root``, or the user cache
        when ``root`` is None.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    FileNotFoundError
        If ``root`` is given but is not a folder; or if the files are not found,
        listing every place looked in, any download error and how to get the files.
    ValueError, TypeError
        For an unknown ``name`` or ``split``.

    Examples
    --------
    >>> import tempfile
    >>> locate("mnist", tempfile.mkdtemp(), "test")          # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    FileNotFoundError: locate: MNIST 'test' files (t10k-images-idx3-ubyte[.gz], ...) not found. Looked in:
      - ... (root argument, the only folder searched): lacks t10k-images-idx3-ubyte[.gz], ...
    ...
    """
    return _locate(name, root, split, download, "locate")


def _locate(name, root, split, download, op):
    """:func:`locate`, its messages naming ``op`` (the loader the user called)."""
    checks.one_of(name, tuple(DATASETS), "name", op)
    spec = DATASETS[name]
    if split is None:
        stems, what = _SPLIT_FILES["train"] + _SPLIT_FILES["test"], "files"
    else:
        stems, what = _SPLIT_FILES[checks.one_of(split, tuple(_SPLIT_FILES), "split", op)], f"{split!r} files"
    if root is not None:
        root = Path(root)
        if not root.is_dir():
            # an explicit root that is not there is a typo, not a hint: searching on would silently load
            # from another folder. FileNotFoundError, as when the files themselves are missing.
            state = "is a file, not a folder" if root.exists() else "does not exist"
            raise FileNotFoundError(f"{op}: root folder {os.fspath(root)!r} {state} (absolute: {root.absolute()}); "
                                    f"pass the folder holding the {spec['title']} files, or root=None to search "
                                    "the usual places")
        candidates, dest = [(root, "root argument, the only folder searched")], root
    else:
        candidates, dest = _candidates(name), _cache_dir(name)
    looked = []
    for folder, how in candidates:
        if folder is None:
            looked.append(f"  - {how}: not set")
            continue
        missing = [s for s in stems if _find(folder, s) is None]
        if not missing:
            return folder
        looked.append(f"  - {folder} ({how}): " + ("lacks " + ", ".join(s + "[.gz]" for s in missing)
                                                   if folder.is_dir() else "no such folder"))
    errors = []
    if download:
        for stem in stems:
            if _find(dest, stem) is None:             # a file kept from an earlier, half-finished download stays
                path, errs = _download(name, stem + ".gz", dest, DOWNLOAD_TIMEOUT)
                errors += errs
                if path is None:
                    break
        else:
            return dest
    tried = ("Download failed:\n" + "\n".join(f"  - {e}" for e in errors)) if download else \
        "Download disabled (download=False)."
    where = ("as root=" if root is not None else
             f"as root=, or set ${spec['env']} to it, or copy them to {_cache_dir(name)}")
    raise FileNotFoundError(
        f"{op}: {spec['title']} {what} ({', '.join(s + '[.gz]' for s in stems)}) not found. Looked in:\n"
        + "\n".join(looked) + f"\n{tried}\n"
        f"Put the standard files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        f"t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; gzipped or not) in a folder and pass it {where}.")


def _load_idx_dataset(name, root, split, val_size, normalize, flatten, seed, download):
    op = f"load_{name.replace('-', '_')}"
    folder = _locate(name, root, split, download, op)          # (checks split, naming op)
    images_path, labels_path = (_find(folder, stem) for stem in _SPLIT_FILES[split])
    X, y = read_idx(images_path), read_idx(labels_path)
    if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"{op}: {images_path} has shape {X.shape} and "
                         f"{labels_path} has shape {y.shape}; expected (n, rows, cols) images and n labels")
    if y.size and (y.min() < 0 or y.max() > 9):
        raise ValueError(f"{op}: {labels_path} has labels outside 0..9 "
                         f"(min {y.min()}, max {y.max()})")
    return _finish(X.astype(np.uint8), y.astype(np.int64), 255, normalize, flatten, val_size, seed)


def _finish(X, y, max_value, normalize, flatten, val_size, seed):
    """Shared tail of the loaders: flatten, scale to [0, 1], split."""
    X = X.reshape(len(X), -1) if flatten else X
    if normalize:
        X = X.astype(np.float32) / np.float32(max_value)
    if val_size:
        return train_val_split(X, y, val_size, seed=seed, stratify=True)
    return X, y


def load_mnist(root=None, split="train", val_size=0, *, normalize=True, flatten=True, seed=0,
               download=True):
    """The MNIST handwritten digits (60,000 train / 10,000 test, 28x28, labels 0-9).

    The four standard files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
    ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``; gzipped or raw) are
    found by :func:`locate`: in ``root`` only, if given; else in ``$LABGRAD_MNIST_DIR``,
    ``$LABGRAD_DATA/mnist`` and ``~/.cache/labgrad/mnist`` (``$XDG_CACHE_HOME`` is
    honoured), where the first folder holding both files of the split wins. If they
    are not found and ``download`` is true, they are downloaded from the official
    mirrors into ``root`` (or the cache folder) and checked against their published
    MD5 sums.

    Parameters
    ----------
    root : str or os.PathLike, optional
        The folder holding the files, and the only one looked in; it must exist
        (a FileNotFoundError names it otherwise).
    split : {'train', 'test'}
    val_size : int or float
        If nonzero, also hold out this many (int) or this fraction (float) of the
        split as a stratified validation set (see :func:`train_val_split`).
    normalize : bool
        True: ``X`` is float32 in [0, 1]. False: the raw uint8 pixels.
    flatten : bool
        True: ``X`` has shape ``(n, 784)`` (ready for ``Linear``); False: ``(n, 28, 28)``.
    seed : int
        Seed of the validation split.
    download : bool
        Allow downloading; with False a missing dataset fails at once.

    Returns
    -------
    (X, y), or ((X_train, y_train), (X_val, y_val)) when ``val_size`` is nonzero
        ``y`` is int64.

    Raises
    ------
    FileNotFoundError
        If ``root`` is given but is not a folder; or, listing every folder looked
        in, any download error and where to put the files, if the files are not found
        (see :func:`locate`).
    ValueError
        If a file found is corrupt (see :func:`read_idx`).
    """
    return _load_idx_dataset("mnist", root, split, val_size, normalize, flatten, seed, download)


def load_fashion_mnist(root=None, split="train", val_size=0, *, normalize=True, flatten=True, seed=0,
                       download=True):
    """Zalando's Fashion-MNIST (60,000 train / 10,000 test, 28x28, 10 clothing classes).

    Same files, options and return values as :func:`load_mnist`. Folders looked in:
    ``root`` alone if given; else ``$LABGRAD_FASHION_MNIST_DIR``, ``$LABGRAD_DATA/fashion-mnist``,
    ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``),
    ``~/.cache/labgrad/fashion-mnist``; then the official mirrors. Class names are
    in :data:`FASHION_MNIST_CLASSES`.
    """
    return _load_idx_dataset("fashion-mnist", root, split, val_size, normalize, flatten, seed, download)


def load_digits(test_size=0, *, normalize=True, flatten=True, seed=0):
    """scikit-learn's 8x8 handwritten digits (1,797 images, labels 0-9): small, offline, instant.

    Parameters
    ----------
    test_size : int or float
        If nonzero, hold out this many / this fraction as a stratified test set.
    normalize : bool
        True: ``X`` is float32 in [0, 1]. False: the raw pixel counts 0..16 as uint8.
    flatten : bool
        True: ``X`` has shape ``(n, 64)``; False: ``(n, 8, 8)``.
    seed : int
        Seed of the test split.

    Returns
    -------
    (X, y), or ((X_train, y_train), (X_test, y_test)) when ``test_size`` is nonzero

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, X.dtype, y[:5]
    ((1797, 64), dtype('float32'), array([0, 1, 2, 3, 4]))
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn, an optional extra: "
                          "pip install -e '.[demos]' in labgrad's repository folder (or pip install scikit-learn)") from None
    bunch = sk_load_digits()
    # the pixels are integer counts 0..16 that scikit-learn stores as float64
    return _finish(bunch.images.astype(np.uint8), bunch.target.astype(np.int64), 16, normalize, flatten,
                   test_size, seed)


# --- splits, labels, minibatches -----------------------------------------------------------

def train_val_split(X, y, val_size, seed=None, stratify=False):
    """Split ``(X, y)`` into a training and a validation part, at random.

    Parameters
    ----------
    X, y : array_like
        Same length along axis 0.
    val_size : int or float
        Number of validation samples (int, 1..n-1) or their fraction (float in (0, 1)).
    seed : int or numpy.random.Generator, optional
        Randomness of the split (None: numpy's global random state, which ``autograd.manual_seed`` seeds).
    stratify : bool
        Keep the class proportions of ``y`` in both parts: each class gets
        its share of the validation set, within one sample.

    Returns
    -------
    ((X_train, y_train), (X_val, y_val))
        Each part keeps the original order of its samples.

    Examples
    --------
    >>> X = np.arange(20).reshape(10, 2); y = np.array([0] * 5 + [1] * 5)
    >>> (Xt, yt), (Xv, yv) = train_val_split(X, y, 0.4, seed=0, stratify=True)
    >>> len(yt), len(yv), np.bincount(yv).tolist()
    (6, 4, [2, 2])
    """
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"train_val_split: X has {n} samples but y has {len(y)}; pass one label per sample")
    if isinstance(val_size, (float, np.floating)):
        n_val = int(round(checks.real_number(val_size, "val_size", "train_val_split", low=0, high=1, low_open=True,
                                             high_open=True, what="a fraction in (0, 1) or a count") * n))
    else:
        n_val = checks.integer(val_size, "val_size", "train_val_split", what="an int or a float",
                               hint="pass a count of samples or a fraction in (0, 1)")
    if not 1 <= n_val <= n - 1:
        raise ValueError(f"train_val_split: val_size={val_size} gives {n_val} validation samples out of {n}; "
                         "need 1..n-1")
    order = as_rng(seed).permutation(n)
    if stratify:
        if y.ndim != 1:
            raise ValueError(f"train_val_split: stratify needs 1-d labels, y has shape {y.shape}; "
                             "pass class ids, or stratify=False")
        # group the shuffled samples by class, then take evenly spaced positions:
        # every class gets its proportional share of the n_val picks (within one)
        order = order[np.argsort(y[order], kind="stable")]
        picks = ((np.arange(n_val) + 0.5) * n / n_val).astype(np.int64)
    else:
        picks = np.arange(n_val)
    is_val = np.zeros(n, dtype=bool)
    is_val[order[picks]] = True
    return (X[~is_val], y[~is_val]), (X[is_val], y[is_val])


def one_hot(y, num_classes=None, dtype=np.float32):
    """Encode integer labels as one-hot rows: shape ``y.shape + (num_classes,)``.

    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {y.dtype}; pass class ids (y.astype(int))")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    num_classes = checks.positive_int(num_classes, "num_classes", "one_hot")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        bad = y[(y < 0) | (y >= num_classes)].flat[0]
        raise ValueError(f"one_hot: label {bad} is outside 0..{num_classes - 1}; pass a larger num_classes")
    return np.eye(num_classes, dtype=dtype)[y]


class DataLoader:
    """Iterate over ``(X, y)`` in minibatches of numpy arrays.

    Each pass (epoch) covers every sample exactly once; with ``shuffle`` the
    order is a new permutation every epoch, drawn from one generator seeded
    with ``seed``, so the sequence of epochs is reproducible. Batches are
    numpy arrays (views when not shuffling): a model wraps them as Tensors.

    Parameters
    ----------
    X : array_like
        Inputs, samples along axis 0 (Tensors are accepted and unwrapped).
    y : array_like, optional
        Targets, same length. Without ``y`` the loader yields ``xb`` alone.
    batch_size : int
    shuffle : bool
    seed : int or numpy.random.Generator, optional
        Randomness of the shuffling (None: numpy's global random state, which ``autograd.manual_seed`` seeds).
    drop_last : bool
        Skip the last batch when it is smaller than ``batch_size``.
    sampler : array_like of int, optional
        The sample indices of every epoch, in order (as PyTorch's ``sampler=``):
        e.g. one shuffled order shared with another framework. Excludes ``shuffle``.
    dtype : numpy float dtype, optional
        Cast a float ``X`` to this dtype once, here, rather than every batch.
        Integer and bool ``X`` (indices) and ``y`` are never cast.

    Notes
    -----
    Input dtype: a float batch reaching a model of another float dtype is cast
    to the model's dtype by the model call (see :class:`nn.Module`), so a
    float64 ``X`` (scikit-learn data, ``X / 255.0``) still trains a float32
    model in float32. ``nn.fit``, ``evaluate`` and ``predict`` cast an ``(X, y)``
    pair once, up front; for a loader you build, ``dtype=np.float32`` does the
    same and saves one cast per batch.

    Examples
    --------
    >>> loader = DataLoader(np.arange(5), np.arange(5) * 10, batch_size=2, shuffle=True, seed=0)
    >>> len(loader)
    3
    >>> sorted(int(v) for xb, _ in loader for v in xb)
    [0, 1, 2, 3, 4]
    """

    def __init__(self, X, y=None, batch_size=64, shuffle=False, seed=None, drop_last=False, dtype=None,
                 sampler=None):
        batch_size = checks.positive_int(batch_size, "batch_size", "DataLoader")
        resolved = checks.float_dtype(dtype, "dtype", "DataLoader", allow_none=True,
                                      hint="pass np.float32, np.float64 or None")
        X = np.asarray(X)
        if resolved is not None and X.dtype.kind == "f" and X.dtype != resolved:
            X = X.astype(resolved)
        y = None if y is None else np.asarray(y)
        if X.ndim == 0 or len(X) == 0:
            raise ValueError(f"DataLoader: X must hold at least one sample, got shape {X.shape}; "
                             "pass samples along axis 0")
        if y is not None and (y.ndim == 0 or len(y) != len(X)):
            raise ValueError(f"DataLoader: X has {len(X)} samples but y has shape {y.shape}; "
                             "pass one target per sample")
        if sampler is not None:
            if shuffle:
                raise ValueError("DataLoader: sampler and shuffle=True exclude each other; "
                                 "pass the order as sampler, or shuffle=True alone")
            sampler = np.asarray(sampler)
            if sampler.ndim != 1 or (sampler.size and sampler.dtype.kind not in "iu"):
                raise TypeError(f"DataLoader: sampler must be a 1-d sequence of int indices, got "
                                f"{sampler.dtype} of shape {sampler.shape}; pass e.g. rng.permutation(len(X))")
            if sampler.size and (sampler.min() < -len(X) or sampler.max() >= len(X)):
                raise ValueError(f"DataLoader: sampler has indices outside 0..{len(X) - 1}; "
                                 "pass indices of X's samples")
        self.X, self.y, self.sampler = X, y, sampler
        self.batch_size, self.shuffle, self.drop_last = batch_size, bool(shuffle), bool(drop_last)
        self._rng = as_rng(seed)

    @property
    def num_samples(self):
        """Samples in an epoch: the data set's, or the sampler's (``drop_last`` may skip some of them)."""
        return len(self.X) if self.sampler is None else len(self.sampler)

    def __len__(self):
        n, bs = self.num_samples, self.batch_size
        return n // bs if self.drop_last else -(-n // bs)

    def __iter__(self):
        X, y, bs = self.X, self.y, self.batch_size
        stop = len(self) * bs
        if self.shuffle or self.sampler is not None:
            order = self._rng.permutation(len(X)) if self.sampler is None else self.sampler
            for i in range(0, stop, bs):
                idx = order[i:i + bs]
                yield X[idx] if y is None else (X[idx], y[idx])
        else:
            for i in range(0, stop, bs):
                yield X[i:i + bs] if y is None else (X[i:i + bs], y[i:i + bs])

    def __repr__(self):
        return (f"DataLoader({self.num_samples} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")
