"""The floor plan, checked from the code's own imports (those inside functions too: a lazy import is
still a dependency).

- Inside ``autograd/`` the only import cycle is the inherent one: ``Tensor`` methods are ops, ops are
  ``Function`` classes, and ``Function.apply`` makes Tensors (see the comment in autograd/tensor.py).
- No private name (``_x``) is imported from, or reached into, another module of the project: not a
  module's ``_helper``, not a private module, not a class's ``_method`` from outside the module that
  defines the class. What another module needs is public, with a docstring.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("autograd", "nn", "demos")
ALLOWED_KNOT = {"autograd.tensor", "autograd.function"}          # plus every autograd.ops module


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for pkg in PACKAGES + ("tests",) for p in sorted((ROOT / pkg).rglob("*.py"))}


def _is_private(name):
    return name.startswith("_") and not name.startswith("__")


def _absolute(module, node):
    """The module an ``ImportFrom`` names, relative imports resolved."""
    if not node.level:
        return node.module
    package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
    package = package[:len(package) - node.level + 1]
    return ".".join(package + ([node.module] if node.module else []))


def _source(module):
    return MODULES[module].read_text(encoding="utf-8")


def _imports(module, source):
    """(imported module or module.name, bound alias, line) for every import in ``source``, at any depth."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, a.asname or a.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom):
            origin = _absolute(module, node)
            for a in node.names:
                yield f"{origin}.{a.name}", a.asname or a.name, node.lineno


def _project(name):
    return name.split(".")[0] in PACKAGES


def _owning_module(dotted):
    """The longest prefix of ``dotted`` that is a module of the project (None if none is)."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in MODULES:
            return ".".join(parts[:n])
    return None


def _dependencies(module):
    deps = set()
    for target, _, _ in _imports(module, _source(module)):
        if _project(target):
            owner = _owning_module(target)
            if owner and owner != module:
                deps.add(owner)
    return deps


def _import_graph(modules):
    return {m: _dependencies(m) & set(modules) for m in modules}


def _cycles(graph):
    """Strongly connected components of more than one module in ``graph`` (module -> modules it imports)."""
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(component)

    for m in sorted(graph):
        if m not in index:
            visit(m)
    return result


def test_the_only_cycle_in_autograd_is_the_tensor_function_ops_knot():
    autograd_modules = [m for m in MODULES if m.split(".")[0] == "autograd"]
    bad = []
    for component in _cycles(_import_graph(autograd_modules)):
        outside = {m for m in component if m not in ALLOWED_KNOT and not m.startswith("autograd.ops")}
        if outside:
            bad.append(sorted(component))
    assert not bad, f"import cycles inside autograd beyond the Tensor/Function/ops knot: {bad}"


def test_no_module_outside_autograd_is_in_a_cycle():
    assert not _cycles(_import_graph([m for m in MODULES if m.split(".")[0] in ("nn", "demos")]))


def _private_crossings(module, source):
    tree = ast.parse(source)
    bound = {}
    found = []
    for target, alias, line in _imports(module, source):
        if not _project(target):
            continue
        if any(_is_private(part) for part in target.split(".")):
            found.append(f"{module}:{line} imports {target}")
        bound[alias] = target if alias != target.split(".")[0] or "." not in target else target.split(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found.extend(f"{module}:{node.lineno} {what}" for what in _private_strings(node, bound, module))
        if not (isinstance(node, ast.Attribute) and _is_private(node.attr)):
            continue
        chain, value = [node.attr], node.value
        while isinstance(value, ast.Attribute):
            chain.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name) and value.id in bound:
            dotted = ".".join([bound[value.id]] + chain[::-1])
            owner = _owning_module(dotted)
            if owner and owner != module:
                found.append(f"{module}:{node.lineno} reaches {dotted}")
    return found


def _resolve(expr, bound):
    """The project module an expression names through imported aliases (``nn.data``, ``D``), else None."""
    chain = []
    while isinstance(expr, ast.Attribute):
        chain.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name) and expr.id in bound:
        return _owning_module(".".join([bound[expr.id]] + chain[::-1]))
    return None


def _private_strings(call, bound, module):
    """Private names passed as strings: ``setattr(mod, "_x", ...)`` (getattr, delattr, hasattr, monkeypatch's
    setattr alike), ``monkeypatch.setattr("pkg.mod._x", ...)`` and ``import_module("pkg._mod")``."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    strings = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if name in ("setattr", "getattr", "delattr", "hasattr") and call.args:
        owner = _resolve(call.args[0], bound)
        if owner and owner != module:
            for text in strings:
                if _is_private(text):
                    yield f"reaches {owner}.{text} by name"
    if name in ("setattr", "delattr", "import_module", "__import__"):
        for text in strings:
            parts = text.split(".")
            if parts[0] in PACKAGES and any(_is_private(part) for part in parts):
                yield f"reaches {text} by name"


@pytest.mark.parametrize("package", PACKAGES + ("tests",))
def test_no_private_name_crosses_a_module_boundary(package):
    found = [f for m in sorted(MODULES) if m.split(".")[0] == package for f in _private_crossings(m, _source(m))]
    assert not found, "private names used across modules (make them public, or test through the public API):\n" \
        + "\n".join(found)


CROSSINGS = [
    ("from autograd.engine import _walk", ["imports autograd.engine._walk"]),
    ("from nn import _blas", ["imports nn._blas"]),
    ("import nn.data\nnn.data._load_split()", ["reaches nn.data._load_split"]),
    ("from autograd.tensor import Tensor\nTensor._from_op(1, None)", ["reaches autograd.tensor.Tensor._from_op"]),
    ("def f():\n    from autograd import function\n    return function._modes", ["reaches autograd.function._modes"]),
    ("from autograd.engine import backward\nimport numpy as np\nnp._core", []),
    ("import autograd\nautograd.__all__", []),
    ("import nn.data as D\nmonkeypatch.setattr(D, '_urlopen', None)", ["reaches nn.data._urlopen by name"]),
    ("from nn import data\ngetattr(data, '_DATASETS')", ["reaches nn.data._DATASETS by name"]),
    ("monkeypatch.setattr('nn.data._urlopen', None)", ["reaches nn.data._urlopen by name"]),
    ("import importlib\nimportlib.import_module('nn._blas')", ["reaches nn._blas by name"]),
    ("import nn.data as D\nmonkeypatch.setattr(D, 'urlopen', None)", []),
    ("getattr(args, '_prog', None)", []),
]


@pytest.mark.parametrize("source, expected", CROSSINGS)
def test_the_private_name_check_sees_each_kind_of_crossing(source, expected):
    found = _private_crossings("demos.common", source)
    assert [f.split(" ", 1)[1] for f in found] == expected


def test_the_cycle_check_finds_cycles_and_only_them():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []
