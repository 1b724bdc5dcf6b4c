"""Every op is declared once and reachable every way it should be.

The rule, checked below:

- **public ops** are ``autograd.ops.__all__`` plus ``autograd.ops.BUILTIN_NAMED`` (``abs max min pow
  sum``, left out of ``__all__`` because a star-import would shadow the builtins); each is reachable as
  ``autograd.<name>``, the same function.
- **Tensor**: every public op is a Tensor method of the same name, or an operator (``+``, ``a[i]``,
  ``==``, ...), except the ops whose first argument is not one tensor (``concatenate``/``cat``/``stack``
  take a list, ``where`` a condition, ``einsum`` an equation, ``linear`` is the functional layer, the losses
  take a target, and PyTorch has no Tensor method for ``conv2d`` and the pools), and ``pad`` and ``one_hot``,
  which PyTorch has only as functions (``F.pad``, ``F.one_hot``).
- **numpy**: every public op that numpy has under the same name (or under numpy's own name for it,
  listed in ``NUMPY_NAMES``) is in the dispatch table, so ``np.<name>(tensor)`` gives a Tensor; and
  every function the table dispatches to is a public op.
- **classes**: no ``Function`` subclass shares a name with an ``nn`` Module, every ``Function``
  subclass under ``autograd`` states ``trusted`` in its own body, and the display facts (``infix``,
  ``commutative``) are set on exactly the operators that have them.
"""
import builtins
import inspect

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, ops
from autograd.function import Function
from autograd.ops import dispatch
from nn.module import Module

PUBLIC_OPS = list(ops.__all__) + list(ops.BUILTIN_NAMED)
# creation functions take a shape or a range, not a tensor; PyTorch has no Tensor methods for these activations
CREATION = {"zeros", "ones", "full", "eye", "arange", "linspace", "zeros_like", "ones_like", "full_like", "rand",
            "randn", "rand_like", "randn_like"}
ACTIVATIONS_WITHOUT_METHODS = {"gelu", "silu", "elu", "selu", "celu", "softplus", "softsign", "logsigmoid", "hardtanh",
                               "relu6", "hardsigmoid", "hardswish", "mish"}
NOT_METHODS = {"concatenate", "cat", "stack", "where", "linear", "pad", "one_hot", "einsum",
               "binary_cross_entropy", "binary_cross_entropy_with_logits", "softmax_cross_entropy", "nll_loss",
               "batch_norm", "conv2d", "max_pool2d", "avg_pool2d"} | CREATION | ACTIVATIONS_WITHOUT_METHODS
# numpy's creation functions take shapes and numbers: no tensor to dispatch on (their *_like forms are dispatched)
NUMPY_TAKES_NO_TENSOR = {"zeros", "ones", "full", "eye", "arange", "linspace"}
OPERATORS = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__", "neg": "__neg__",
             "equal": "__eq__", "not_equal": "__ne__", "less": "__lt__", "less_equal": "__le__",
             "greater": "__gt__", "greater_equal": "__ge__", "getitem": "__getitem__"}
NUMPY_NAMES = {"neg": np.negative, "div": np.true_divide, "sub": np.subtract, "mul": np.multiply,
               "unsqueeze": np.expand_dims, "cat": np.concatenate}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _labgrad_functions():
    return [c for c in _subclasses(Function) if c.__module__.split(".")[0] in ("autograd", "nn")]


def test_public_ops_are_reachable_from_autograd():
    assert len(PUBLIC_OPS) == len(set(PUBLIC_OPS))
    for name in PUBLIC_OPS:
        assert getattr(autograd, name) is getattr(ops, name), name
        assert callable(getattr(ops, name)), name


def test_star_import_shadows_no_builtin():
    namespace = {}
    exec("from autograd import *", namespace)
    shadowed = sorted(n for n in namespace if n != "__builtins__" and hasattr(builtins, n))
    assert not shadowed, f"from autograd import * shadows builtins: {shadowed}"
    assert set(ops.BUILTIN_NAMED) == {"abs", "all", "any", "max", "min", "pow", "round", "sum"}
    assert autograd.sum(Tensor([1.0, 2.0])).item() == 3.0 and Tensor([1.0, 2.0]).sum().item() == 3.0


@pytest.mark.parametrize("name", [n for n in PUBLIC_OPS if n not in NOT_METHODS])
def test_every_op_is_a_tensor_method_or_operator(name):
    if name in OPERATORS:
        method = getattr(Tensor, OPERATORS[name])
    else:
        assert hasattr(Tensor, name), f"Tensor has no method {name!r} for the op autograd.{name}"
        method = getattr(Tensor, name)
    op = getattr(ops, name)
    if method is op:                                 # (assigned as the method itself)
        return
    source = inspect.getsource(method)
    assert f".{name}(self" in source or f".{op.__name__}(self" in source, \
        f"Tensor.{method.__name__} does not call the op {name}: {source.strip()}"


@pytest.mark.parametrize("name", [n for n in PUBLIC_OPS if NUMPY_NAMES.get(n, getattr(np, n, None)) is not None
                                  and n not in NUMPY_TAKES_NO_TENSOR])
def test_ops_numpy_has_are_dispatched(name):
    numpy_function = NUMPY_NAMES.get(name, getattr(np, name, None))
    table = dispatch.UFUNCS if isinstance(numpy_function, np.ufunc) else dispatch.FUNCTIONS
    assert numpy_function in table, f"np.{name} is not dispatched to autograd.{name}"
    target = table[numpy_function]
    assert target is getattr(ops, name) or target.__name__ == "<lambda>", (name, target)


def test_dispatch_table_targets_are_public_ops():
    public = {getattr(ops, n) for n in PUBLIC_OPS}
    for table in (dispatch.UFUNCS, dispatch.FUNCTIONS):
        for numpy_function, target in table.items():
            assert (target in public or target.__name__ == "<lambda>"
                    or numpy_function in dispatch.ON_VALUES), (numpy_function, target)


@pytest.mark.parametrize("compare, expected", [
    (np.allclose, False), (np.array_equal, False), (np.array_equiv, False), (np.isclose, [True, False]),
])
def test_comparisons_of_tensors_answer_on_their_values(compare, expected):
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 2.001])
    assert compare(a, a.data.copy()) is not False and np.all(compare(a, a.data.copy()))
    assert np.array(compare(a, b)).tolist() == expected


def test_numpy_functions_give_tensors():
    t = Tensor([[1.0, -2.0], [3.0, 0.5]])
    for numpy_function in (np.argmax, np.negative, np.exp, np.sum, np.clip):
        args = (t, 0.0, 1.0) if numpy_function is np.clip else (t,)
        assert isinstance(numpy_function(*args), Tensor), numpy_function


def test_no_function_class_shares_a_name_with_an_nn_module():
    modules = {c.__name__ for c in _subclasses(Module)} | {n for n, o in vars(nn).items()
                                                          if inspect.isclass(o) and issubclass(o, Module)}
    clashes = sorted({c.__name__ for c in _labgrad_functions()} & modules)
    assert not clashes, f"Function classes named as nn Modules: {clashes}"


def test_every_labgrad_function_states_trusted_in_its_own_body():
    classes = _labgrad_functions()
    assert len(classes) > 40
    missing = sorted(f"{c.__module__}.{c.__name__}" for c in classes if "trusted" not in vars(c))
    assert not missing, f"Function classes that do not state trusted explicitly: {missing}"
    assert all(c.trusted is True for c in classes)


def test_display_facts_are_set_on_exactly_the_operators():
    classes = _labgrad_functions()
    infix = {c.name for c in classes if getattr(c, "infix", False)}
    commutative = {c.name for c in classes if getattr(c, "commutative", False)}
    assert infix == {"+", "-", "*", "/", "**"}
    assert commutative == {"+", "*", "maximum", "minimum", "logaddexp"}


@pytest.mark.parametrize("make, text", [
    (lambda x: x[0, 1:3], "[0, 1:3]"),
    (lambda x: x[..., np.array([2, 0])], "[..., <int64 array (2,)>]"),
    (lambda x: x.sum(), ""),                          # all axes: the default, not shown
    (lambda x: x.sum(axis=1), "axis=1"),
    (lambda x: x.mean(axis=(0, 1), keepdims=True), "keepdims=True"),
    (lambda x: x.var(axis=0, ddof=1), "axis=0 ddof=1"),
    (lambda x: x.softmax(axis=-1), "axis=1"),
    (lambda x: x.max(), ""),
])
def test_describe_gives_the_parameter_text_pictures_show(make, text):
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    assert make(x).op.describe() == text
