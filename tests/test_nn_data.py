"""nn.data and nn.metrics: IDX parsing, dataset lookup/download (never on the network), splits, batches."""
import gzip
import hashlib
import io
import os
import re
import struct
import sys
import urllib.error

import numpy as np
import pytest
from hypothesis import given, strategies as st

from nn import data as D
from nn.data import DataLoader, load_fashion_mnist, load_mnist, one_hot, read_idx, train_val_split
from nn.metrics import accuracy, confusion_matrix, to_labels

CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array, code=None):
    """The IDX encoding of ``array``, written independently of nn.data (the test's oracle)."""
    array = np.asarray(array)
    code = CODES[array.dtype.type] if code is None else code
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, payload, gz):
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No dataset env vars, an empty user cache, no system folders, and a network that raises if used."""
    for var in ("LABGRAD_MNIST_DIR", "LABGRAD_FASHION_MNIST_DIR", "LABGRAD_DATA"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setitem(D.DATASETS["fashion-mnist"], "system", (str(tmp_path / "no-system-folder"),))
    calls = []

    def offline(url, timeout):
        calls.append(url)
        raise urllib.error.URLError("network is unreachable (test)")
    monkeypatch.setattr(D, "urlopen", offline)
    return calls


def make_split(folder, split, n=12, gz=True, seed=0, raw_name_dot=False):
    """Write a small MNIST-like split (n images 28x28, labels 0..9) into ``folder``; return the arrays."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    y = (np.arange(n) % 10).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    prefix = "train" if split == "train" else "t10k"
    sep = "." if raw_name_dot else "-"
    suffix = ".gz" if gz else ""
    write(folder / f"{prefix}-images{sep}idx3-ubyte{suffix}", idx_bytes(X), gz)
    write(folder / f"{prefix}-labels{sep}idx1-ubyte{suffix}", idx_bytes(y), gz)
    return X, y


# --- read_idx -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", list(CODES))
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, gz):
    base = np.arange(24).reshape(2, 3, 4)
    a = {np.uint8: base * 10, np.int8: base - 12, np.int16: (base - 12) * 1000, np.int32: (base - 12) * 10**6,
         np.float32: (base - 12) * 0.25, np.float64: (base - 12) / 3}[dtype].astype(dtype)
    out = read_idx(write(tmp_path / "a.idx", idx_bytes(a), gz))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, a)
    out[0, 0, 0] = 1                         # a writable copy, not a view of the file bytes


def test_read_idx_detects_gzip_by_content_not_name(tmp_path):
    a = np.arange(5, dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "labels.raw", idx_bytes(a), gz=True)), a)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "labels.gz", idx_bytes(a), gz=False)), a)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("payload, message", [
    (idx_bytes(np.zeros((3, 4, 4), np.uint8))[:-5], "truncated: header says shape (3, 4, 4) of uint8 = 48"),
    (idx_bytes(np.zeros((3, 4), np.int32))[:-1], "truncated"),
    (idx_bytes(np.zeros((3, 4), np.uint8)) + b"\0" * 7, "7 unexpected bytes"),
    (bytes([0, 0, 0x08, 3, 0, 0, 0, 2]), "truncated header: 3 dimensions need 16 bytes"),
    (bytes([0, 0, 0x0E, 4]) + b"\xff" * 16 + b"\0" * 8, "truncated: header says shape (4294967295,"),
    (b"\x08\x03" + idx_bytes(np.zeros(4, np.uint8))[2:], "bad magic number"),
    (bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 0]), "unknown data type code 0x07"),
    (bytes([0, 0, 0x08, 0]), "0 dimensions"),
    (b"\0\0", "too short"),
])
def test_read_idx_rejects_corrupt_files(tmp_path, gz, payload, message):
    path = write(tmp_path / "bad-idx3-ubyte", payload, gz)
    with pytest.raises(ValueError, match="read_idx: .*bad-idx3-ubyte") as info:
        read_idx(path)
    assert message in str(info.value)


def test_read_idx_truncated_gzip_stream(tmp_path):
    blob = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    path = tmp_path / "cut.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"cut\.gz: corrupt or truncated gzip"):
        read_idx(path)


def test_read_idx_real_fashion_mnist_if_installed():
    folder = "/usr/share/datasets/fashion-mnist"
    if not os.path.exists(f"{folder}/t10k-labels-idx1-ubyte.gz"):
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    y = read_idx(f"{folder}/t10k-labels-idx1-ubyte.gz")
    assert y.shape == (10000,) and np.bincount(y).tolist() == [1000] * 10


# --- load_mnist / load_fashion_mnist: finding the files -----------------------------------------

def test_load_from_root_gz_and_raw(tmp_path, clean_env):
    Xtr, ytr = make_split(tmp_path / "m", "train", n=12, gz=True)
    Xte, yte = make_split(tmp_path / "m", "test", n=7, gz=False, seed=1, raw_name_dot=True)
    X, y = load_mnist(tmp_path / "m", split="train")
    assert X.shape == (12, 784) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, Xtr.reshape(12, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, ytr)
    X, y = load_mnist(str(tmp_path / "m"), split="test", normalize=False, flatten=False)
    assert X.dtype == np.uint8 and X.shape == (7, 28, 28)
    np.testing.assert_array_equal(X, Xte)
    assert clean_env == []                   # found locally: no download attempted


def test_load_validation_split(tmp_path, clean_env):
    make_split(tmp_path, "train", n=40)
    (Xt, yt), (Xv, yv) = load_mnist(tmp_path, val_size=0.25, seed=3)
    assert len(Xt) == 30 and len(Xv) == 10 and Xt.shape[1:] == (784,)
    assert np.bincount(yv, minlength=10).tolist() == [1] * 10       # stratified: 4 of each class, 1 held out


def test_env_vars_and_search_order(tmp_path, clean_env, monkeypatch):
    X_env, _ = make_split(tmp_path / "env", "train", seed=1)
    X_common, _ = make_split(tmp_path / "common" / "fashion-mnist", "train", seed=2)
    X_root, _ = make_split(tmp_path / "root", "train", seed=3)
    monkeypatch.setenv("LABGRAD_MNIST_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("LABGRAD_DATA", str(tmp_path / "common"))
    raw = dict(normalize=False, flatten=False)
    np.testing.assert_array_equal(load_mnist(**raw)[0], X_env)
    np.testing.assert_array_equal(load_mnist(tmp_path / "root", **raw)[0], X_root)   # root comes first
    np.testing.assert_array_equal(load_fashion_mnist(**raw)[0], X_common)              # $LABGRAD_DATA/fashion-mnist
    monkeypatch.setenv("LABGRAD_FASHION_MNIST_DIR", str(tmp_path / "env"))
    np.testing.assert_array_equal(load_fashion_mnist(**raw)[0], X_env)                 # own variable first


def test_folder_missing_one_file_is_skipped(tmp_path, clean_env, monkeypatch):
    # without root, a folder lacking one file of the split is passed over for the next place
    make_split(tmp_path / "half", "train")
    (tmp_path / "half" / "train-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("LABGRAD_MNIST_DIR", str(tmp_path / "half"))
    X_cache, _ = make_split(tmp_path / "cache" / "labgrad" / "mnist", "train", seed=5)
    X, _ = load_mnist(normalize=False, flatten=False)
    np.testing.assert_array_equal(X, X_cache)
    assert D.locate("mnist", split="train") == tmp_path / "cache" / "labgrad" / "mnist"


@pytest.mark.parametrize("download", [False, True])
def test_an_explicit_root_is_the_only_place_searched(tmp_path, clean_env, monkeypatch, download):
    """Issue #15: a root lacking a file fell through to the env variables and the cache."""
    make_split(tmp_path / "half", "train")
    (tmp_path / "half" / "train-labels-idx1-ubyte.gz").unlink()
    make_split(tmp_path / "cache" / "labgrad" / "mnist", "train", seed=5)      # what a search would find
    make_split(tmp_path / "env", "train", seed=6)
    monkeypatch.setenv("LABGRAD_MNIST_DIR", str(tmp_path / "env"))
    for call in (lambda: load_mnist(tmp_path / "half", download=download),
                 lambda: D.locate("mnist", tmp_path / "half", "train", download=download)):
        with pytest.raises(FileNotFoundError) as info:
            call()
        msg = str(info.value)
        assert f"{tmp_path / 'half'} (root argument, the only folder searched): " \
               "lacks train-labels-idx1-ubyte[.gz]" in msg
        assert str(tmp_path / "env") not in msg and str(tmp_path / "cache") not in msg
        assert ("Download failed" in msg) == download and ("download=False" in msg) == (not download)
    # with download allowed, only the missing file was fetched (into root), from each mirror in turn
    assert clean_env == (2 * [m + "train-labels-idx1-ubyte.gz" for m in D.DATASETS["mnist"]["mirrors"]]
                         if download else [])


def test_locate_finds_the_folder_once_for_every_loader(tmp_path, clean_env, monkeypatch):
    make_split(tmp_path / "m", "train")
    assert D.locate("mnist", tmp_path / "m", "train") == tmp_path / "m"
    with pytest.raises(FileNotFoundError, match=r"locate: MNIST files \(train-images-idx3-ubyte\[\.gz\], "
                                                r"train-labels.*t10k-labels-idx1-ubyte\[\.gz\]\) not found"):
        D.locate("mnist", tmp_path / "m")                        # all four files: the test split is missing
    make_split(tmp_path / "m", "test")
    assert D.locate("mnist", str(tmp_path / "m")) == tmp_path / "m"
    monkeypatch.setenv("LABGRAD_DATA", str(tmp_path))
    monkeypatch.setattr(D, "DATASETS", {**D.DATASETS, "m": {**D.DATASETS["mnist"], "env": "LABGRAD_M_DIR"}})
    assert D.locate("m") == tmp_path / "m"                       # $LABGRAD_DATA/<name>


@pytest.mark.parametrize("name, split, error, message", [
    ("emnist", None, ValueError, "locate: name must be one of 'mnist', 'fashion-mnist', got 'emnist'"),
    (3, None, TypeError, "locate: name must be one of 'mnist', 'fashion-mnist', got 3 (int)"),
    ("mnist", "val", ValueError, "locate: split must be one of 'train', 'test', got 'val'"),
])
def test_locate_rejects_unknown_names(tmp_path, clean_env, name, split, error, message):
    with pytest.raises(error, match=re.escape(message)):
        D.locate(name, tmp_path, split)


def test_user_cache_and_system_folder(tmp_path, clean_env, monkeypatch):
    X_sys, _ = make_split(tmp_path / "debian", "test", seed=4)
    monkeypatch.setitem(D.DATASETS["fashion-mnist"], "system", (str(tmp_path / "debian"),))
    np.testing.assert_array_equal(load_fashion_mnist(split="test", normalize=False, flatten=False)[0], X_sys)


@pytest.mark.parametrize("loader", [load_mnist, load_fashion_mnist])
@pytest.mark.parametrize("make", ["nothing", "file"])
def test_a_root_that_is_not_a_folder_is_an_error(tmp_path, clean_env, monkeypatch, loader, make):
    """Issue #14: a typo in root= silently loaded the data set from another folder."""
    for name in ("mnist", "fashion-mnist"):
        make_split(tmp_path / "cache" / "labgrad" / name, "train")     # what the search would find
    root = tmp_path / "typo-folder"
    if make == "file":
        root.write_text("not a folder")
    with pytest.raises(FileNotFoundError, match=f"{loader.__name__}: root folder '.*typo-folder' "
                       f"{'is a file, not a folder' if make == 'file' else 'does not exist'}"):
        loader(root=str(root))
    assert clean_env == []                                            # and no download was tried


def test_offline_failure_names_every_place(tmp_path, clean_env, monkeypatch):
    monkeypatch.setenv("LABGRAD_DATA", str(tmp_path / "common"))
    with pytest.raises(FileNotFoundError) as info:
        load_fashion_mnist(split="test")
    msg = str(info.value)
    for place in ("$LABGRAD_FASHION_MNIST_DIR: not set",
                  str(tmp_path / "common" / "fashion-mnist"), str(tmp_path / "no-system-folder"),
                  str(tmp_path / "cache" / "labgrad" / "fashion-mnist"),
                  "t10k-images-idx3-ubyte", "network is unreachable", "LABGRAD_FASHION_MNIST_DIR to it"):
        assert place in msg
    # every mirror was tried for the first file, then it gave up; nothing was left behind
    assert clean_env == [m + "t10k-images-idx3-ubyte.gz" for m in D.DATASETS["fashion-mnist"]["mirrors"]]
    assert not (tmp_path / "cache").exists()


def test_offline_failure_with_a_root_names_it_alone(tmp_path, clean_env, monkeypatch):
    monkeypatch.setenv("LABGRAD_DATA", str(tmp_path / "common"))
    (tmp_path / "given").mkdir()
    with pytest.raises(FileNotFoundError) as info:
        load_fashion_mnist(tmp_path / "given", split="test")
    msg = str(info.value)
    for place in (str(tmp_path / "given") + " (root argument, the only folder searched)",
                  "t10k-images-idx3-ubyte", "network is unreachable", "pass it as root="):
        assert place in msg
    for elsewhere in ("LABGRAD_FASHION_MNIST_DIR", str(tmp_path / "common"), str(tmp_path / "cache")):
        assert elsewhere not in msg
    assert clean_env == [m + "t10k-images-idx3-ubyte.gz" for m in D.DATASETS["fashion-mnist"]["mirrors"]]
    assert list((tmp_path / "given").iterdir()) == [] and not (tmp_path / "cache").exists()


def test_download_false_never_touches_the_network(tmp_path, clean_env):
    with pytest.raises(FileNotFoundError, match=r"(?s)load_mnist: MNIST 'train' files.*download=False"):
        load_mnist(tmp_path, download=False)
    assert clean_env == []


def test_bad_split_name(tmp_path, clean_env):
    with pytest.raises(ValueError, match="load_mnist: split must be one of 'train', 'test', got 'val'"):
        load_mnist(tmp_path, split="val")


class FakeResponse(io.BytesIO):
    pass


def test_download_verifies_md5_and_caches(tmp_path, clean_env, monkeypatch):
    """A fake mirror network: the first mirror serves a corrupted file, the second the right one."""
    rng = np.random.default_rng(0)
    files = {"t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(rng.integers(0, 256, (5, 28, 28), np.uint8))),
             "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(np.arange(5, dtype=np.uint8)))}
    for name, blob in files.items():
        monkeypatch.setitem(D.DATASETS["mnist"]["md5"], name, hashlib.md5(blob).hexdigest())
    good, bad = D.DATASETS["mnist"]["mirrors"][1], D.DATASETS["mnist"]["mirrors"][0]
    calls = []

    def fake_urlopen(url, timeout):
        calls.append(url)
        assert timeout == D.DOWNLOAD_TIMEOUT
        name = url.rsplit("/", 1)[1]
        return FakeResponse(files[name] if url.startswith(good) else files[name][:-3] + b"xyz")
    monkeypatch.setattr(D, "urlopen", fake_urlopen)

    X, y = load_mnist(split="test")
    assert X.shape == (5, 784) and y.tolist() == [0, 1, 2, 3, 4]
    cache = tmp_path / "cache" / "labgrad" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(files)          # verified files only, no .part
    assert [c.startswith(bad) for c in calls] == [True, False, True, False]
    calls.clear()
    load_mnist(split="test")                                                  # now found in the cache
    assert calls == []


def test_download_fetches_only_what_the_cache_lacks(tmp_path, clean_env, monkeypatch):
    X, _ = make_split(tmp_path / "cache" / "labgrad" / "mnist", "test", n=3)
    (tmp_path / "cache" / "labgrad" / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    labels = gzip.compress(idx_bytes(np.array([4, 2, 0], np.uint8)))
    monkeypatch.setitem(D.DATASETS["mnist"]["md5"], "t10k-labels-idx1-ubyte.gz", hashlib.md5(labels).hexdigest())
    calls = []
    monkeypatch.setattr(D, "urlopen", lambda url, timeout: calls.append(url) or FakeResponse(labels))
    Xl, yl = load_mnist(split="test", normalize=False, flatten=False)
    np.testing.assert_array_equal(Xl, X)
    assert yl.tolist() == [4, 2, 0] and calls == [D.DATASETS["mnist"]["mirrors"][0] + "t10k-labels-idx1-ubyte.gz"]


def test_download_all_mirrors_bad_checksum(tmp_path, clean_env, monkeypatch):
    monkeypatch.setattr(D, "urlopen", lambda url, timeout: FakeResponse(b"not the file"))
    with pytest.raises(FileNotFoundError, match="has MD5 .*, not the published .*; the mirror served a damaged or different file"):
        load_mnist(split="test")
    assert list((tmp_path / "cache" / "labgrad" / "mnist").iterdir()) == []


def test_corrupt_file_found_is_reported_not_skipped(tmp_path, clean_env):
    make_split(tmp_path, "train")
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\0\0\x08\x03garbage"))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz: truncated header"):
        load_mnist(tmp_path)


def test_images_and_labels_must_agree(tmp_path, clean_env):
    make_split(tmp_path, "train", n=12)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(11, np.uint8)), gz=True)
    with pytest.raises(ValueError, match=r"shape \(12, 28, 28\).*shape \(11,\)"):
        load_mnist(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.full(12, 10, np.uint8)), gz=True)
    with pytest.raises(ValueError, match="labels outside 0..9"):
        load_mnist(tmp_path)


# --- load_digits ---------------------------------------------------------------------------

def test_load_digits():
    pytest.importorskip("sklearn")
    X, y = D.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32 and 0 <= X.min() and X.max() == 1
    assert y.dtype == np.int64 and set(y.tolist()) == set(range(10))
    raw, _ = D.load_digits(normalize=False, flatten=False)
    assert raw.shape == (1797, 8, 8) and raw.dtype == np.uint8 and raw.max() == 16
    np.testing.assert_allclose(X, raw.reshape(1797, 64) / 16)
    (Xt, yt), (Xv, yv) = D.load_digits(test_size=0.2, seed=1)
    assert len(Xv) == round(0.2 * 1797) and len(Xt) + len(Xv) == 1797
    assert np.all(np.abs(np.bincount(yv) - np.bincount(y) * len(yv) / len(y)) <= 1)


def test_load_digits_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)      # makes the import fail
    with pytest.raises(ImportError, match="load_digits needs scikit-learn, an optional extra"):
        D.load_digits()


# --- train_val_split, one_hot ------------------------------------------------------------------

@given(n=st.integers(2, 200), frac=st.floats(0.01, 0.99), k=st.integers(1, 6),
       seed=st.integers(0, 2**32 - 1), stratify=st.booleans())
def test_train_val_split_partitions(n, frac, k, seed, stratify):
    n_val = int(round(frac * n))
    if not 1 <= n_val <= n - 1:
        with pytest.raises(ValueError, match="validation samples"):
            train_val_split(np.arange(n), np.arange(n) % k, frac, seed=seed)
        return
    X, y = np.arange(n) * 10, np.random.default_rng(seed).integers(0, k, n)
    (Xt, yt), (Xv, yv) = train_val_split(X, y, frac, seed=seed, stratify=stratify)
    assert len(Xv) == n_val and len(Xt) == n - n_val
    assert sorted(np.concatenate([Xt, Xv]).tolist()) == X.tolist()           # a partition
    np.testing.assert_array_equal(yt, y[Xt // 10])                           # pairs kept together
    np.testing.assert_array_equal(yv, y[Xv // 10])
    assert np.all(np.diff(Xt) > 0) and np.all(np.diff(Xv) > 0)                # original order kept
    if stratify:
        share = np.bincount(y, minlength=k) * n_val / n
        assert np.all(np.abs(np.bincount(yv, minlength=k) - share) < 1 + 1e-9)
    (Xt2, _), _ = train_val_split(X, y, frac, seed=seed, stratify=stratify)
    np.testing.assert_array_equal(Xt, Xt2)                                    # reproducible


def test_train_val_split_errors():
    X = np.zeros((10, 2))
    for bad, err in ((0, ValueError), (10, ValueError), (0.0, ValueError), (1.0, ValueError),
                     (True, TypeError), ("0.1", TypeError)):
        with pytest.raises(err, match="train_val_split"):
            train_val_split(X, np.zeros(10), bad)
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        train_val_split(X, np.zeros(9), 2)
    with pytest.raises(ValueError, match="stratify needs 1-d labels"):
        train_val_split(X, np.zeros((10, 2)), 2, stratify=True)


def test_one_hot():
    np.testing.assert_array_equal(one_hot(np.array([1, 0, 2]), 4),
                                  [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]])
    assert one_hot([[0, 1], [1, 1]]).shape == (2, 2, 2)
    assert one_hot([3], dtype=np.int64).dtype == np.int64
    with pytest.raises(TypeError, match="one_hot: labels must be integers"):
        one_hot(np.array([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match=r"one_hot: label 3 is outside 0..2"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match=r"one_hot: label -1 is outside"):
        one_hot([0, -1], 3)
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        one_hot([0], 0)


# --- DataLoader -----------------------------------------------------------------------------

@given(n=st.integers(1, 300), batch_size=st.integers(1, 70), drop_last=st.booleans(),
       shuffle=st.booleans(), seed=st.integers(0, 1000))
def test_dataloader_covers_every_sample_once_per_epoch(n, batch_size, drop_last, shuffle, seed):
    X = np.arange(n * 2).reshape(n, 2)
    loader = DataLoader(X, X[:, 0] * 10, batch_size=batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last)
    for _ in range(2):                                       # re-iterable: a fresh pass each time
        batches = list(loader)
        assert len(batches) == len(loader)
        seen = np.concatenate([xb[:, 0] for xb, _ in batches]) // 2 if batches else np.array([], int)
        for xb, yb in batches:
            np.testing.assert_array_equal(yb, xb[:, 0] * 10)
            assert isinstance(xb, np.ndarray) and isinstance(yb, np.ndarray)
        if drop_last:
            assert all(len(xb) == batch_size for xb, _ in batches)
            assert len(seen) == (n // batch_size) * batch_size and len(set(seen.tolist())) == len(seen)
        else:
            assert sorted(seen.tolist()) == list(range(n))
            assert all(len(xb) == batch_size for xb, _ in batches[:-1])
        if not shuffle:
            assert seen.tolist() == sorted(seen.tolist())


def test_dataloader_shuffling_is_reproducible_and_new_each_epoch():
    X = np.arange(100)

    def epochs(seed):
        loader = DataLoader(X, batch_size=16, shuffle=True, seed=seed)
        return [np.concatenate(list(loader)) for _ in range(3)]
    a, b, c = epochs(7), epochs(7), epochs(8)
    for ea, eb in zip(a, b):
        np.testing.assert_array_equal(ea, eb)
    assert not np.array_equal(a[0], a[1])                    # a new order every epoch
    assert not np.array_equal(a[0], c[0])                    # and another one for another seed
    assert not np.array_equal(a[0], X)


def test_dataloader_sampler_gives_every_epochs_order():
    X, y = np.arange(10) * 10, np.arange(10)
    order = np.random.default_rng(0).permutation(10)[:7]
    loader = DataLoader(X, y, batch_size=3, sampler=order)
    assert len(loader) == 3 and loader.num_samples == 7
    for _ in range(2):                                       # the same order every epoch
        batches = list(loader)
        np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), X[order])
        np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y[order])
    assert len(DataLoader(X, y, batch_size=3, sampler=order, drop_last=True)) == 2
    with pytest.raises(ValueError, match="sampler and shuffle=True exclude each other"):
        DataLoader(X, y, shuffle=True, sampler=order)
    with pytest.raises(TypeError, match="sampler must be a 1-d sequence of int indices"):
        DataLoader(X, y, sampler=[0.5, 1.0])
    with pytest.raises(ValueError, match=r"sampler has indices outside 0..9"):
        DataLoader(X, y, sampler=[0, 10])


def test_dataloader_without_y_and_errors():
    batches = list(DataLoader(np.ones((5, 3)), batch_size=2))
    assert [b.shape for b in batches] == [(2, 3), (2, 3), (1, 3)]
    assert DataLoader(np.ones(5), batch_size=2).num_samples == 5
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(np.ones(5), batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be a positive int, got True"):   # a bool is no int
        DataLoader(np.ones(5), batch_size=True)
    with pytest.raises(ValueError, match="X has 5 samples but y has shape"):
        DataLoader(np.ones(5), np.ones(4))
    with pytest.raises(ValueError, match="at least one sample"):
        DataLoader(np.ones((0, 3)))


# --- metrics ---------------------------------------------------------------------------------

def test_accuracy_forms():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 0.5, 3.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    y = np.array([0, 2, 0, 2])
    assert accuracy(logits, y) == 0.75
    assert accuracy(logits, one_hot(y, 3)) == 0.75                    # one-hot targets
    assert accuracy(np.array([0, 2, 1, 2]), y) == 0.75                 # labels
    probs = np.array([0.9, 0.5, 0.49, 0.1])
    assert accuracy(probs, np.array([1.0, 1.0, 1.0, 0.0])) == 0.75      # sigmoid outputs, float targets
    assert accuracy(probs[:, None], np.array([[1], [1], [0], [0]])) == 1.0
    assert accuracy(probs, [1, 0, 0, 0], threshold=0.6) == 1.0


def test_accuracy_accepts_tensors():
    from autograd import Tensor
    assert accuracy(Tensor([[0.0, 1.0], [1.0, 0.0]]), Tensor(np.array([1, 1]))) == 0.5


def test_accuracy_errors():
    with pytest.raises(ValueError, match=r"accuracy: 3 predictions \(shape \(3, 2\)\) but 2 labels"):
        accuracy(np.zeros((3, 2)), [0, 1])
    with pytest.raises(ValueError, match="float targets must be whole numbers"):
        accuracy(np.array([0.2, 0.8]), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="to_labels: expected labels"):
        to_labels(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="no samples"):
        accuracy(np.zeros((0, 3)), np.zeros(0, int))


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=60))
def test_confusion_matrix_counts(pairs):
    t, p = (np.array(v) for v in zip(*pairs))
    cm = confusion_matrix(t, p, 5)
    expected = np.zeros((5, 5), int)
    for a, b in pairs:
        expected[a, b] += 1
    np.testing.assert_array_equal(cm, expected)
    assert cm.trace() / len(pairs) == accuracy(p, t)


def test_confusion_matrix_from_logits_and_errors():
    cm = confusion_matrix([1, 0], np.array([[0.1, 0.9], [0.2, 0.8]]))
    np.testing.assert_array_equal(cm, [[0, 1], [0, 1]])
    with pytest.raises(ValueError, match=r"y_pred has label 3 outside 0..2"):
        confusion_matrix([0, 1], [0, 3], 3)
    with pytest.raises(ValueError, match="2 true labels but 3 predictions"):
        confusion_matrix([0, 1], [0, 1, 1])
    # uint8 labels, as IDX files hold them, count like any integers (t * k + p must not wrap)
    cm = confusion_matrix(np.array([0, 9, 9], np.uint8), np.array([0, 9, 8]), num_classes=30)
    assert (cm[0, 0], cm[9, 9], cm[9, 8], cm.sum()) == (1, 1, 1, 3)
    assert confusion_matrix(np.array([0, 12], np.int8), np.array([0, 11], np.int8)).shape == (13, 13)
    with pytest.raises(TypeError, match="accuracy: y must hold numbers"):
        accuracy(np.array([0.9, 0.1]), np.array(["1", "0"]))
