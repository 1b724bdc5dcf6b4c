"""Writing a picture or a page so that it is complete or absent: never half-written.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_atomically(folder / "a.txt", b"hello").read_bytes()
b'hello'
"""
import os
import uuid
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path, data):
    """Write ``data`` (bytes) to a new file beside ``path``, then rename it over ``path``; returns the path.

    A failure leaves the old file (if any) as it was and no temporary file behind. The file gets
    the permissions any ``open(path, "wb")`` would give it (the process's umask applies).
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        with open(temporary, "xb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
