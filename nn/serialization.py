"""Save and load model weights as plain ``.npz`` archives: no pickle, so loading never runs code.

An archive holds one ``.npy`` array per state-dict entry, named by its dotted
key, readable with ``np.load(path, allow_pickle=False)`` by anything.

>>> import os, tempfile, nn
>>> model = nn.Linear(3, 2, rng=0)
>>> path = save(model, os.path.join(tempfile.mkdtemp(), "linear.npz"))
>>> sorted(load(path))
['bias', 'weight']
>>> fresh = load(path, nn.Linear(3, 2, rng=1))
>>> bool((fresh.weight.data == model.weight.data).all())
True
"""
import os
import tempfile
import zipfile

import numpy as np

__all__ = ["save", "load"]


def _arrays(obj):
    """name -> ndarray from a Module (its state_dict) or a mapping of arrays/Tensors."""
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise TypeError(f"save: expected a Module or a dict of arrays, got {type(obj).__name__}")
    arrays = {}
    for name, value in obj.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"save: state keys must be non-empty strings, got {name!r}")
        array = np.asarray(value)              # Tensors convert through __array__
        if array.dtype.hasobject:
            raise TypeError(f"save: {name!r} has dtype {array.dtype}; only numeric arrays can be saved "
                            "without pickle")
        arrays[name] = array
    return arrays


def save(obj, path):
    """Write a Module's ``state_dict()`` (or a dict of arrays) to ``path`` as an ``.npz`` archive.

    The file is written to a temporary name first and renamed, so an existing
    archive is never left half-written. ``path`` is used exactly as given (no
    ``.npz`` is appended).

    Parameters
    ----------
    obj : Module or dict of array_like
    path : str or os.PathLike

    Returns
    -------
    str
        The path written.
    """
    arrays = _arrays(obj)                      # validate everything before touching the disk
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: no folder {folder!r} to write {path!r} into")
    fd, tmp = tempfile.mkstemp(prefix=".labgrad-", suffix=".npz.part", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)          # what open() would give (mkstemp makes it private)
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
            for name, array in arrays.items():
                # the layout np.savez writes, without its keyword-argument names (a key may be "file")
                with zf.open(name + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def load(path, model=None):
    """Read an archive written by :func:`save` with ``allow_pickle=False``.

    Parameters
    ----------
    path : str or os.PathLike
    model : Module, optional
        Load the arrays into it with ``model.load_state_dict`` (strict: names,
        shapes and dtypes are all checked first; a refused load raises
        ValueError and leaves the model unchanged).

    Returns
    -------
    dict of ndarray, or ``model`` when one is given
    """
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile) as e:   # e.g. a pickle: numpy refuses it
        raise ValueError(f"load: {path} is not a readable .npz archive ({type(e).__name__}: {e})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {path} holds a single .npy array, not an .npz archive of named arrays")
    with archive:
        state = {}
        for name in archive.files:
            try:
                state[name] = archive[name]
            except (ValueError, EOFError, zipfile.BadZipFile) as e:   # object arrays need pickle
                raise ValueError(f"load: {path}: entry {name!r} is unreadable ({type(e).__name__}: {e})") from None
    if model is None:
        return state
    model.load_state_dict(state)
    return model
