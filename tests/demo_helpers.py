"""Shared by the demo smoke tests: tiny MNIST-format folders and reading numbers from output."""
import gzip
import re

import numpy as np

__all__ = ["write_idx", "fake_mnist", "number"]


def write_idx(path, array):
    """A gzipped IDX file: two zero bytes, type 0x08 (uint8), ndim, big-endian sizes, then the data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def fake_mnist(folder, n_train=300, n_test=120, seed=0):
    """An MNIST-format folder of 28x28 images: class 0 rings, 1 bars, 2 blobs, with a little noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:28, :28]
    shapes = [np.abs(np.hypot(yy - 14, xx - 14) - 8) < 2,
              (np.abs(xx - 14) < 2) & (yy > 4) & (yy < 24),
              np.hypot(yy - 10, xx - 18) < 5]
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 3, size=n)
        images = np.stack([shapes[k] * 220.0 for k in labels]) + rng.integers(0, 30, size=(n, 28, 28))
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", np.clip(images, 0, 255))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return folder


def number(pattern, text):
    """The number captured by ``pattern``'s first group in ``text`` (fails, showing the text, if absent)."""
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in output:\n{text}"
    return float(m.group(1))
