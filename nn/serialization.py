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

_ZIP_MAGIC = b"PK\x03\x04"        # an .npz is a zip archive
_NPY_MAGIC = b"\x93NUMPY"


def _arrays(obj):
    """name -> ndarray from a Module (its state_dict) or a mapping of arrays/Tensors."""
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise TypeError(f"save: expected a Module or a dict of arrays, got {type(obj).__name__}")
    arrays = {}
    for name, value in obj.items():
        if not isinstance(name, str):
            raise TypeError(f"save: state keys must be non-empty strings, got {name!r} "
                            f"({type(name).__name__}); name every array with a str")
        if not name:
            raise ValueError("save: state keys must be non-empty strings, got ''; name every array")
        array = np.asarray(value)              # Tensors convert through __array__
        if array.dtype.hasobject:
            raise TypeError(f"save: {name!r} has dtype {array.dtype}; only numeric arrays can be saved "
                            "without pickle")
        arrays[name] = array
    return arrays


def _fspath(path, fn):
    """``path`` as a str (or bytes), with an error that names ``fn`` for anything else."""
    try:
        return os.fspath(path)
    except TypeError:
        raise TypeError(f"{fn}: path must be a str or os.PathLike, got {type(path).__name__}; "
                        "pass e.g. 'model.npz'") from None


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
    path = _fspath(path, "save")
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
    path = _fspath(path, "load")
    if model is not None and not callable(getattr(model, "load_state_dict", None)):
        raise TypeError(f"load: model must be a Module, got {type(model).__name__}; "
                        "pass the model to load into, or nothing to get the arrays")
    with open(path, "rb") as f:                # (a missing file: FileNotFoundError, as open gives)
        magic = f.read(len(_ZIP_MAGIC))
    if magic == _NPY_MAGIC[:len(magic)] and magic:
        raise ValueError(f"load: {path} holds a single .npy array, not an .npz archive of named arrays "
                         "(read it with np.load)")
    if magic != _ZIP_MAGIC:
        # not numpy's own message: for a pickle (a torch.save file, say) it advises allow_pickle=True,
        # which would let the file run code
        raise ValueError(f"load: {path} is not an .npz archive (it starts with {magic!r}, an .npz with "
                         f"{_ZIP_MAGIC!r}); nn.load reads only what nn.save writes")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile) as e:   # a damaged zip
        raise ValueError(f"load: {path} is not a readable .npz archive ({type(e).__name__}: {e})") from None
    with archive:
        others = [n for n in archive.zip.namelist() if not n.endswith(".npy")]
        if others:                             # e.g. a torch.save file, also a zip: pickles inside
            raise ValueError(f"load: {path} is a zip archive but not an .npz of arrays (it holds "
                             f"{others[:3]}{' ...' if len(others) > 3 else ''}); a PyTorch checkpoint is "
                             "read with torch.load, and its tensors converted with .numpy() "
                             "(Linear weights transposed: w.T)")
        state = {}
        for name in archive.files:
            try:
                state[name] = archive[name]
            except ValueError as e:
                if "allow_pickle" in str(e):   # object arrays: numpy's message advises allow_pickle=True
                    raise ValueError(f"load: {path}: entry {name!r} is unreadable: it holds Python objects, "
                                     "which only a pickle can restore, and nn.load never unpickles "
                                     "(a pickle can run any code)") from None
                raise ValueError(f"load: {path}: entry {name!r} is unreadable ({e})") from None
            except (EOFError, zipfile.BadZipFile) as e:
                raise ValueError(f"load: {path}: entry {name!r} is unreadable ({type(e).__name__}: {e})") from None
    if model is None:
        return state
    model.load_state_dict(state)
    return model
