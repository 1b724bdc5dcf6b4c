"""Pictures of computation graphs with graphviz: forward values and backward gradients on one drawing.

Like the lecture figures of backprop: every tensor shows its value (green,
above the line) and its gradient (red, below), every op sits between its inputs
and its output, so a hand computation can be checked by eye.

>>> from autograd import Tensor
>>> from autograd import viz
>>> x = Tensor(-2.0, requires_grad=True, name="x")
>>> y = Tensor(5.0, requires_grad=True, name="y")
>>> z = Tensor(-4.0, requires_grad=True, name="z")
>>> q = x + y
>>> f = q * z
>>> f.backward()
>>> g = viz.draw(f, names=locals())      # a graphviz.Digraph; displays inline in Jupyter
>>> g
<labgrad graph: 7 nodes, 6 edges>

In Jupyter a graph as a cell's last expression shows the picture; without
Graphviz's ``dot`` program it shows how to install it and the DOT source
(``g.source``) instead. ``viz.save(g, "graph.svg")`` writes a picture
(``.svg``, ``.png``, ``.pdf``, or ``.dot`` source); ``python -m autograd.viz``
renders the seed exercises into ``out/viz`` (``--out DIR`` elsewhere).
"""
import colorsys
import contextlib
import functools
import html
import pathlib
import re
import warnings

import numpy as np

from autograd.engine import record_backward
from autograd.graph import graph_tensors, is_tensor, tensor_names
from autograd.trace import backward_steps, format_array

__all__ = ["draw", "save", "backward_steps"]

INSTALL_HINT = ("Rendering needs the Graphviz 'dot' program: install it with 'apt-get install graphviz' "
                "(Debian/Ubuntu), 'brew install graphviz' (macOS) or 'conda install graphviz'. "
                "Building the graph and reading its .source work without it.")

_GREEN, _RED, _GREY = "#1a7f37", "#cf222e", "#777777"
_VANISHING, _EXPLODING = 1e-6, 1e2       # color_by_grad: the ends of the colour scale (mean |grad|)
_ZERO_COLOUR, _NONFINITE_COLOUR, _EDGE_COLOUR = "#1f4fd0", "#d00000", "#555555"   # the last: no gradient
_STYLE = {  # tensor node kinds: graphviz attributes
    "output": dict(style="rounded,filled,bold", fillcolor="#fff1b8", penwidth="2"),
    "parameter": dict(style="rounded,filled", fillcolor="#dbe8f7"),
    "intermediate": dict(style="rounded"),
    "constant": dict(style="rounded,dashed", color="#999999", fontcolor=_GREY, fontsize="9"),
}


def draw(*roots, names=None, show_data=True, show_grad=True, rankdir="LR", max_elements=6,
         group_by_module=False, max_nodes=1000, highlight=(), color_by_grad=False):
    """Draw the graph behind ``roots``: tensors with values and gradients, ops between them.

    Legend
    ------
    Tensor nodes (boxes), top to bottom: name; shape (and dtype unless float64);
    value in green; a line; gradient in red.

    - blue fill: parameter (a leaf that requires grad);
    - yellow fill, thick border: output (one of ``roots``);
    - white: intermediate tensor;
    - grey dashed, small, no gradient row: constant (requires no grad);
    - orange border: tensor listed in ``highlight``.

    Values and gradients with at most ``max_elements`` elements are shown in
    full, larger ones as ``min / mean / max``. A gradient that was never
    computed shows as ``—`` (distinct from ``0``).

    Op nodes (grey ellipses) show the op name (``+``, ``-``, ``*``, ``/``, ``**``,
    ``neg``, ``matmul``, ``relu``, ``sum``...) and its parameters (``axis=1``).
    When argument order matters (``-``, ``/``, ``**``, ``matmul``, ``where``...)
    the input edges are labelled ``a`` and ``b`` (or 0, 1, 2...).

    Gradients: leaves (and tensors that called ``retain_grad``) show their
    ``.grad``. Intermediate tensors keep none, so ``draw`` computes
    ``d root / d t`` for them with a backward walk of its own that changes
    nothing and also works after the graph was released: no ``retain_grad``
    needed. It does so when every root has one element and the leaves hold
    exactly the gradients one backward of the roots gives (e.g. right after
    ``f.backward()``); otherwise (before any backward, or after gradients
    accumulated over several backward calls) intermediates show ``—``, so the
    picture never mixes gradients of different backward passes.

    Zero the gradients before the backward you want to see. ``.grad``
    accumulates, so ``loss.backward()`` after training (``nn.fit``, an
    optimiser loop) or after an earlier backward adds this graph's gradients to
    the ones already there: the parameters would show the sum of two batches.
    Call ``model.zero_grad()`` (or ``opt.zero_grad()``) right before
    ``loss.backward()``, then ``draw``. When ``draw`` finds a leaf whose
    ``.grad`` is not what one backward of the root gives (it can tell for a
    single root with one element, such as a loss), it says so under the
    picture and with a ``UserWarning``.

    Parameters
    ----------
    *roots : Tensor
        The outputs whose graph is drawn.
    names : mapping or iterable of (name, Tensor) pairs, optional
        Labels, e.g. ``locals()`` or ``dict(model.named_parameters())``; they win
        over ``Tensor.name``. Other tensors that require grad get ``t0``, ``t1``...
    show_data, show_grad : bool
        Show the value / gradient rows.
    rankdir : {"LR", "TB", "RL", "BT"}
        Direction of the forward pass.
    max_elements : int
        Largest tensor shown element by element.
    group_by_module : bool
        Wrap each module's parameters and the ops that consume them in a
        labelled cluster. The hook is the dotted parameter name (from ``names``,
        e.g. ``dict(model.named_parameters())``, or ``Tensor.name``):
        ``"layers.2.bias"`` belongs to module ``layers.2``. An op joins the
        module of the first parameter it consumes, directly or through a unary
        op such as ``W.T``; ops consuming no parameter (activations, the loss)
        stay outside.
    max_nodes : int
        Refuse (``ValueError``) graphs with more tensor + op nodes, before
        walking all of them: dot needs about a second for 1000 nodes in a chain,
        half a minute for 4000, and longer when a tensor feeds many ops.
    highlight : Tensor, str, or iterable of them
        Tensors (or names) to mark with an orange border.
    color_by_grad : bool
        Colour each edge by the mean ``|grad|`` of the tensor it carries, and
        label it with that number: blue at 1e-6 and below (vanishing), green
        around 1e-2, yellow around 1, red at 1e2 and above (exploding), on a
        log scale; dashed where the gradient is exactly zero, thick red where it
        is nan or inf. A legend under the picture shows the scale.

    Returns
    -------
    graphviz.Digraph
        ``.source`` is the DOT text; ``repr`` gives its size
        (``<labgrad graph: 7 nodes, 6 edges>``). Rendering (``.pipe``,
        ``.render``, :func:`save`) needs the ``dot`` program and otherwise raises
        ``graphviz.ExecutableNotFound`` with the install commands. Jupyter shows
        the picture inline; without ``dot`` it shows the install commands and
        the DOT source instead of an error.
    """
    gv = _graphviz()
    roots = _check_roots(roots, "draw")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw: rankdir must be one of 'LR', 'TB', 'RL', 'BT', got {rankdir!r}")
    order = graph_tensors(roots, max_nodes, "draw")
    label_of = tensor_names(order, names)
    grads, stale = _gradients(order, roots) if show_grad or color_by_grad else ({}, None)
    marked = _highlighted(highlight, order, label_of)
    module_of = _modules(order, label_of) if group_by_module else {}
    index = {id(t): i for i, t in enumerate(order)}
    outputs = {id(r) for r in roots}
    if stale is not None:
        leaf = label_of[id(stale)] or f"a leaf of shape {stale.shape}"
        warnings.warn(
            f"draw: the .grad of {leaf!r} is not what one backward of this graph gives: gradients accumulated "
            "over several backward() calls (e.g. after nn.fit or an earlier backward), or come from another "
            "graph; the picture shows the stored .grad and '—' for intermediate tensors. Call "
            "model.zero_grad() (or opt.zero_grad()) right before loss.backward() to draw one backward's gradients",
            UserWarning, stacklevel=2)

    Graph, _ = _classes(gv)
    caption = _caption(show_data, show_grad, stale is not None, color_by_grad)
    g = Graph(name="autograd", graph_attr=dict(rankdir=rankdir, nodesep="0.25", ranksep="0.35", label=caption,
                                               labelloc="b", fontsize="9", fontcolor=_GREY, fontname="Helvetica"),
              node_attr=dict(shape="box", fontname="Helvetica", fontsize="11", margin="0.08,0.04"),
              edge_attr=dict(arrowsize="0.6", color=_EDGE_COLOUR, fontname="Helvetica", fontsize="8"))
    clusters = {}

    def body(t):
        path = module_of.get(id(t))
        if path is None:
            return g
        if path not in clusters:
            clusters[path] = gv.Digraph(name=f"cluster_{len(clusters)}", graph_attr=dict(
                label=f"<{html.escape(path)}>", style="rounded,dashed", color="#888888", fontcolor="#555555", fontname="Helvetica"))
        return clusters[path]

    for t in order:
        i, where = index[id(t)], body(t)
        kind = ("output" if id(t) in outputs else "constant" if not t.requires_grad
                else "parameter" if t.op is None else "intermediate")
        attrs = dict(_STYLE[kind])
        if id(t) in marked:
            attrs.update(color="#ff7f0e", penwidth="3")
        grad_row = show_grad and t.requires_grad
        where.node(f"t{i}", _tensor_label(t, label_of[id(t)], show_data, grad_row,
                                          grads.get(id(t)), max_elements), **attrs)
        if t.op is None:
            continue
        symbol = t.op.infix                            # "+", "*", "/", "**": bigger, in a circle
        where.node(f"op{i}", _op_label(t.op), shape="circle" if symbol else "ellipse", style="filled",
                   fillcolor="#eeeeee", color="#aaaaaa", fontsize="14" if symbol else "10",
                   width="0.3", height="0.3", margin="0.02,0.02")
        ordered = len(t.op.parents) > 1 and not t.op.commutative
        for k, p in enumerate(t.op.parents):
            attrs = _grad_edge(grads.get(id(p))) if color_by_grad and p.requires_grad else {}
            if ordered:
                attrs.update(headlabel=("ab"[k] if len(t.op.parents) == 2 else str(k)), fontcolor=_GREY)
            g.edge(f"t{index[id(p)]}", f"op{i}", **attrs)
        g.edge(f"op{i}", f"t{i}", **(_grad_edge(grads.get(id(t))) if color_by_grad else {}))
    for sub in clusters.values():
        g.subgraph(sub)
    return g


def save(graph, path, **draw_kwargs):
    """Write a graph (or the graph behind a Tensor, drawn with ``draw_kwargs``) to ``path``.

    The extension picks the format: ``.svg``, ``.png``, ``.pdf`` are rendered
    by ``dot``; ``.dot`` / ``.gv`` write the DOT source as text (no ``dot``
    needed). Nothing is written if rendering fails. Returns the path.
    """
    if is_tensor(graph):
        graph = draw(graph, **draw_kwargs)
    elif draw_kwargs:
        raise TypeError(f"save: draw options {sorted(draw_kwargs)} apply only when saving a Tensor")
    if not hasattr(graph, "source"):
        raise TypeError(f"save: expected a graphviz graph or a Tensor, got {type(graph).__name__}")
    path = pathlib.Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if not path.parent.is_dir():                      # before rendering, which may take a while
        raise FileNotFoundError(f"save: no folder {str(path.parent)!r} to write {str(path)!r} into")
    if fmt in ("dot", "gv"):
        path.write_text(graph.source, encoding="utf-8")
    elif fmt in ("svg", "png", "pdf"):
        with _dot_hint(_graphviz()):
            data = graph.pipe(format=fmt)
        path.write_bytes(data)
    else:
        raise ValueError(f"save: unknown extension {path.suffix!r} in {str(path)!r}; "
                         "use .svg, .png, .pdf, or .dot/.gv for the source")
    return path


# --- graphviz, imported lazily ---------------------------------------------------------

def _graphviz():
    try:
        import graphviz
    except ImportError:
        raise ImportError("autograd.viz needs the graphviz Python package: pip install -e . in labgrad's repository folder (or pip install graphviz). "
                          + INSTALL_HINT) from None
    return graphviz


@functools.lru_cache(maxsize=None)
def _classes(gv):
    """A ``graphviz.Digraph`` subclass whose rendering errors carry the install hint, and that error."""

    class DotNotFound(gv.ExecutableNotFound):
        def __init__(self, message):
            RuntimeError.__init__(self, message)

    class Graph(gv.Digraph):
        """A ``graphviz.Digraph`` that says its size in ``repr`` and never fails to display in Jupyter."""

        def pipe(self, *args, **kwargs):
            with _dot_hint(gv):
                return super().pipe(*args, **kwargs)

        def render(self, *args, **kwargs):
            with _dot_hint(gv):
                return super().render(*args, **kwargs)

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            # Jupyter displays a cell's last value with this; without dot, text beats an error cell
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except gv.ExecutableNotFound:
                intro = f"{self!r}, no picture. {INSTALL_HINT}"
                return {"text/plain": f"{intro}\n\nDOT source:\n{self.source}",
                        "text/html": f"<p>{html.escape(intro)}</p>\n<p>DOT source:</p>\n"
                                     f"<pre>{html.escape(self.source)}</pre>"}

        def __repr__(self):
            nodes, edges = _size(self.source)
            return f"<labgrad graph: {nodes} nodes, {edges} edges>"

    Graph.__qualname__, DotNotFound.__qualname__ = "Graph", "DotNotFound"
    return Graph, DotNotFound


_STATEMENT = re.compile(r'^[ \t]*(?P<id>"(?:[^"\\]|\\.)*"|[\w.]+)[ \t]*(?P<kind>->|\[|$)', flags=re.M)


def _size(source):
    """(nodes, edges) declared in DOT ``source``, one statement per line as graphviz writes them."""
    nodes = edges = 0
    for m in _STATEMENT.finditer(source):
        if m["kind"] == "->":
            edges += 1
        elif m["id"] not in ("graph", "node", "edge"):      # attribute statements
            nodes += 1
    return nodes, edges


@contextlib.contextmanager
def _dot_hint(gv):
    try:
        yield
    except gv.ExecutableNotFound as e:
        _, DotNotFound = _classes(gv)
        if isinstance(e, DotNotFound):
            raise
        raise DotNotFound(f"{e}. {INSTALL_HINT}") from e


# --- what goes on the picture ----------------------------------------------------------

def _check_roots(roots, caller):
    if len(roots) == 1 and isinstance(roots[0], (list, tuple)):
        roots = tuple(roots[0])
    if not roots:
        raise ValueError(f"{caller}: give at least one Tensor to draw")
    for r in roots:
        if not is_tensor(r):
            raise TypeError(f"{caller}: roots must be Tensors, got {type(r).__name__}")
    return list({id(r): r for r in roots}.values())


def _gradients(order, roots):
    """Gradient per tensor id, and the first leaf whose ``.grad`` is not one backward's (or None).

    The gradients are the stored ``.grad``, plus ``d root / d t`` for
    intermediates when the leaves hold exactly what one backward of the roots
    gives. With a single root, the first leaf whose ``.grad`` holds other
    values is returned too: the sign of gradients accumulated over several
    backward calls, or left by another graph (a leaf without ``.grad`` is no
    such sign: several roots of which one was backpropagated leave some).
    """
    stored = {id(t): t.grad for t in order if t.grad is not None}
    if not stored or not all(r.requires_grad and r.size == 1 for r in roots):
        return stored, None
    with np.errstate(all="ignore"):                   # (backward already said it once)
        computed = {id(t): g for t, g in record_backward(roots, caller="draw").items()}
    leaves = [t for t in order if t.op is None and id(t) in computed]
    if any(id(t) not in stored for t in leaves):     # only if the leaves hold what one backward gives
        return stored, None
    for t in leaves:
        if not _one_backward(np.asarray(stored[id(t)]), np.asarray(computed[id(t)])):
            return stored, (t if len(roots) == 1 else None)
    for t in order:
        if t.op is not None and id(t) not in stored and id(t) in computed:
            stored[id(t)] = computed[id(t)]
    return stored, None


def _one_backward(stored, computed):
    """True if a leaf's ``.grad`` is what one backward gives: nan and inf in the same places, and the
    finite entries equal up to rounding."""
    if stored.shape != computed.shape:
        return False
    finite = np.isfinite(stored)
    if not np.array_equal(finite, np.isfinite(computed)) or \
            not np.array_equal(stored[~finite], computed[~finite], equal_nan=True):
        return False
    s, c = stored[finite], computed[finite]
    return np.allclose(s, c, rtol=1e-4, atol=1e-6 * np.abs(s).max(initial=0))


def _highlighted(highlight, order, label_of):
    if highlight is None or isinstance(highlight, str) or is_tensor(highlight):
        highlight = [] if highlight is None else [highlight]
    in_graph = {id(t) for t in order}
    by_name = {label_of[id(t)]: id(t) for t in order if label_of[id(t)] is not None}
    marked = set()
    for h in highlight:
        if is_tensor(h) and id(h) in in_graph:
            marked.add(id(h))
        elif isinstance(h, str) and h in by_name:
            marked.add(by_name[h])
        else:
            what = repr(h) if isinstance(h, str) else f"a tensor of shape {getattr(h, 'shape', '?')}"
            raise ValueError(f"draw: highlight {what} is not in the graph")
    return marked


def _modules(order, label_of):
    """Module path per tensor id: dotted-name leaves, the ops consuming them, and those ops' outputs."""
    owner, module = {}, {}          # owner: the parameter itself, or it through a unary op (W.T)
    for t in order:
        if t.op is None:
            name = label_of[id(t)]
            if name and "." in name:
                owner[id(t)] = module[id(t)] = name.rpartition(".")[0]
            continue
        paths = [owner[id(p)] for p in t.op.parents if id(p) in owner]
        if paths:
            module[id(t)] = paths[0]
            if len(t.op.parents) == 1:
                owner[id(t)] = paths[0]
    return module


def _tensor_label(t, name, show_data, grad_row, grad, max_elements):
    rows = []
    if name:
        rows.append(f"<B>{html.escape(name)}</B>")
    meta = " ".join(([str(t.shape)] if t.ndim else []) + ([str(t.dtype)] if t.dtype != np.float64 else []))
    if meta:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{_GREY}">{html.escape(meta)}</FONT>')
    if show_data:
        rows.append(f'<FONT COLOR="{_GREEN}">{_html_text(format_array(t.data, max_elements))}</FONT>')
    cells = [f"<TR><TD>{r}</TD></TR>" for r in rows]
    if grad_row:
        text = "—" if grad is None else _html_text(format_array(grad, max_elements))
        cells += ["<HR/>"] * bool(cells) + [f'<TR><TD><FONT COLOR="{_RED}">{text}</FONT></TD></TR>']
    if not cells:
        cells = ["<TR><TD> </TD></TR>"]
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(cells)}</TABLE>>'


def _html_text(text):
    return "<BR/>".join(html.escape(line) for line in text.splitlines())


def _op_label(op):
    """The op's name, with its parameters (``op.describe()``) in small print below."""
    label = html.escape(op.name)
    params = op.describe()
    if params:
        label += f'<BR/><FONT POINT-SIZE="8">{html.escape(params)}</FONT>'
    return f"<{label}>"


def _grad_colour(m):
    """Colour of a mean |grad| ``m`` > 0 on a log scale: blue at 1e-6 and below, green, yellow, red at 1e2 and above."""
    s = (np.log10(m) - np.log10(_VANISHING)) / (np.log10(_EXPLODING) - np.log10(_VANISHING))
    r, g, b = colorsys.hsv_to_rgb(0.66 * (1 - min(max(s, 0.0), 1.0)), 0.85, 0.80)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _text_colour(background):
    """Black on light backgrounds (yellow, green), white on dark ones (blue, red)."""
    r, g, b = (int(background[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def _grad_edge(grad):
    """Edge attributes for a tensor's gradient: coloured and labelled by its mean |grad|."""
    if grad is None:
        return {}
    m = float(np.abs(grad).mean()) if grad.size else 0.0
    attrs = dict(label=f"{m + 0:.3g}", penwidth="1.5")   # short and plain: 3.2e-05, 0.25, 1e+06
    if not np.isfinite(m):
        return dict(attrs, color=_NONFINITE_COLOUR, penwidth="3")
    if m == 0:
        return dict(attrs, color=_ZERO_COLOUR, style="dashed")
    return dict(attrs, color=_grad_colour(m))


def _caption(show_data, show_grad, stale, color_by_grad):
    """The HTML label under the picture: what the colours of nodes (and edges) mean, and a stale-gradient notice."""
    rows = []
    text = ", ".join(["green: value"] * show_data + ["red: gradient (—: never computed)"] * show_grad)
    if text:
        rows.append(html.escape(text))
    if stale:
        rows.append(f'<FONT COLOR="{_RED}">leaf .grad ≠ one backward of this graph (accumulated over several '
                    "backward() calls?), so intermediates show —;<BR/>call zero_grad() right before backward() "
                    "to see one backward's gradients</FONT>")
    if color_by_grad:
        scale = [(_VANISHING, "≤ 1e-6<BR/>vanishing"), (1e-4, "1e-4"), (1e-2, "0.01"), (1.0, "1"),
                 (_EXPLODING, "≥ 100<BR/>exploding")]
        cells = "".join(f'<TD BGCOLOR="{_grad_colour(m)}" WIDTH="56"><FONT COLOR="{_text_colour(_grad_colour(m))}">'
                        f"{label}</FONT></TD>" for m, label in scale)
        cells += (f'<TD><FONT COLOR="{_ZERO_COLOUR}">- - -</FONT><BR/>exactly 0</TD>'
                  f'<TD><FONT COLOR="{_NONFINITE_COLOUR}"><B>━━</B></FONT><BR/>nan or inf</TD>'
                  f'<TD><FONT COLOR="{_EDGE_COLOUR}">━━</FONT><BR/>no gradient</TD>')
        rows.append("edges: colour and label = mean |gradient| of the tensor they carry")
        rows.append(f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="3"><TR>{cells}</TR></TABLE>')
    if not rows:
        return ""
    return "<" + "".join(f"<TR><TD>{r}</TD></TR>" for r in rows).join(
        ['<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">', "</TABLE>"]) + ">"
