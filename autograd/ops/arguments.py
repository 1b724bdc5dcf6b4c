"""PyTorch's argument names as aliases of numpy's, for every op that takes an axis.

labgrad speaks numpy (``axis=``, ``keepdims=``); a student coming from PyTorch
writes ``dim=`` and ``keepdim=``. One decorator lets each public op take both,
and refuses a call that gives the same argument under both names.

>>> from autograd import Tensor
>>> x = Tensor([[1.0, 2.0], [3.0, 4.0]])
>>> x.sum(dim=1, keepdim=True)
Tensor([[3.],
        [7.]])
"""
import functools
import inspect

__all__ = ["PYTORCH_NAMES", "accepts_pytorch_names"]

#: PyTorch's argument name -> labgrad's (numpy's) name
PYTORCH_NAMES = {
    "dim": "axis", "keepdim": "keepdims",
    "start_dim": "start_axis", "end_dim": "end_axis",           # flatten
    "dim0": "axis1", "dim1": "axis2",                           # swapaxes (PyTorch's transpose)
}


def accepts_pytorch_names(func):
    """Let ``func`` also take the PyTorch names in :data:`PYTORCH_NAMES` of its own parameters.

    A call without keywords costs one extra call frame (about 0.1 us); the renaming runs
    only when keywords are given.
    """
    parameters = list(inspect.signature(func).parameters)
    renames = {theirs: (ours, parameters.index(ours))
               for theirs, ours in PYTORCH_NAMES.items() if ours in parameters}
    if not renames:
        raise ValueError(f"accepts_pytorch_names: {func.__name__} has none of the parameters "
                         f"{sorted(set(PYTORCH_NAMES.values()))}")
    name, theirs_names = func.__name__, frozenset(renames)

    @functools.wraps(func)
    def with_pytorch_names(*args, **kwargs):
        if kwargs and not theirs_names.isdisjoint(kwargs):     # (one C call when no alias is used)
            for theirs, (ours, position) in renames.items():
                if theirs in kwargs:
                    if ours in kwargs or position < len(args):
                        raise TypeError(f"{name}: got both {ours}= (numpy's name) and {theirs}= "
                                        f"(PyTorch's name) for the same argument; pass one of them")
                    kwargs[ours] = kwargs.pop(theirs)
        return func(*args, **kwargs)

    return with_pytorch_names
