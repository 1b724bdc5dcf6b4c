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

In Jupyter a graph as a cell's last expression shows the picture.
``viz.save(g, "graph.svg")`` writes a picture (``.svg``, ``.png``, ``.pdf``,
or ``.dot`` source); ``python -m autograd.viz`` renders the seed exercises
into ``out/viz`` (``--out DIR`` elsewhere). Graphviz's ``dot`` program lays the
pictures out; where it is missing, the notebook display and ``.svg`` files
use labgrad's own layout instead (:mod:`autograd.viz.layout`,
:mod:`autograd.viz.svg`), and ``.png`` / ``.pdf`` say how to install ``dot``.
What a picture shows is decided once, in :func:`autograd.viz.scene.build_scene`.
"""
import contextlib
import functools
import html
import pathlib
import re

from autograd.graph import is_tensor
from autograd.trace import backward_steps
from autograd.viz.layout import layered_layout
from autograd.viz.files import write_atomically
from autograd.viz.scene import (EDGE_COLOUR, GRAD_LEGEND_TITLE, GRAD_SCALE_LEGEND, GREEN, GREY, HIGHLIGHT,
                                NONFINITE_COLOUR, RED, ZERO_COLOUR, build_scene, text_colour)
from autograd.viz.svg import render_svg

from autograd.viz.player import player   # (after the modules it builds on)

__all__ = ["draw", "save", "backward_steps", "player"]

SVG_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
INSTALL_HINT = ("Rendering needs the Graphviz 'dot' program: install it with 'apt-get install graphviz' "
                "(Debian/Ubuntu), 'brew install graphviz' (macOS) or 'conda install graphviz'. "
                "Building the graph and reading its .source work without it.")

_STYLE = {  # tensor node kinds: graphviz attributes
    "output": dict(style="rounded,filled,bold", fillcolor="#fff1b8", penwidth="2"),
    "parameter": dict(style="rounded,filled", fillcolor="#dbe8f7"),
    "intermediate": dict(style="rounded"),
    "constant": dict(style="rounded,dashed", color="#999999", fontcolor=GREY, fontsize="9"),
}


def draw(*roots, names=None, show_data=True, show_grad=True, rankdir="LR", max_elements=6,
         group_by_module=False, max_nodes=1000, highlight=(), color_by_grad=False, tangents=None):
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
    tangents : dual_level, optional
        Draw a forward-mode pass: an open level of :mod:`autograd.forward_ad` whose
        tangents (the derivatives riding along with the values, as dual numbers
        ``a + b eps``) take the red row instead of gradients. The dual inputs must
        require grad, so that the graph is recorded to be drawn.

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
    scene = build_scene(*roots, names=names, show_data=show_data, show_grad=show_grad, rankdir=rankdir,
                        max_elements=max_elements, group_by_module=group_by_module, max_nodes=max_nodes,
                        highlight=highlight, color_by_grad=color_by_grad, tangents=tangents, caller="draw")
    return _digraph(gv, scene)


def _digraph(gv, scene):
    """The scene as a Graphviz graph: tensors as boxes with HTML-table labels, ops as ellipses or circles."""
    Graph, _ = _classes(gv)
    g = Graph(name="autograd", graph_attr=dict(rankdir=scene.rankdir, nodesep="0.25", ranksep="0.35",
                                               label=_caption(scene), labelloc="b", fontsize="9", fontcolor=GREY,
                                               fontname="Helvetica"),
              node_attr=dict(shape="box", fontname="Helvetica", fontsize="11", margin="0.08,0.04"),
              edge_attr=dict(arrowsize="0.6", color=EDGE_COLOUR, fontname="Helvetica", fontsize="8"))
    g.scene = scene                                   # for the picture without dot
    clusters = {}
    for path, label in scene.clusters:
        clusters[path] = gv.Digraph(name=f"cluster_{len(clusters)}", graph_attr=dict(
            label=f"<{html.escape(label)}>", style="rounded,dashed", color="#888888", fontcolor="#555555",
            fontname="Helvetica"))
    incoming, outgoing = {}, {}
    for e in scene.edges:
        if e.target.startswith("op"):
            incoming.setdefault(e.target, []).append(e)
        else:
            outgoing[e.source] = e
    for node in scene.nodes:
        where = g if node.cluster is None else clusters[node.cluster]
        if node.kind != "op":
            attrs = dict(_STYLE[node.kind])
            if node.highlighted:
                attrs.update(color=HIGHLIGHT, penwidth="3")
            where.node(node.key, _tensor_label(node), **attrs)
            continue
        where.node(node.key, _op_label(node), shape="circle" if node.symbol else "ellipse", style="filled",
                   fillcolor="#eeeeee", color="#aaaaaa", fontsize="14" if node.symbol else "10",
                   width="0.3", height="0.3", margin="0.02,0.02")
        for e in incoming.get(node.key, ()) + [outgoing[node.key]]:
            g.edge(e.source, e.target, **_edge_attrs(e))
    for sub in clusters.values():
        g.subgraph(sub)
    return g


def save(graph, path, **draw_kwargs):
    """Write a graph (or the graph behind a Tensor, drawn with ``draw_kwargs``) to ``path``.

    The extension picks the format: ``.svg``, ``.png``, ``.pdf`` are rendered
    by ``dot``; ``.dot`` / ``.gv`` write the DOT source as text (no ``dot``
    needed). Where ``dot`` is missing, a graph made by :func:`draw` is still
    saved as ``.svg``, laid out by labgrad itself
    (:func:`autograd.viz.layout.layered_layout`, drawn by
    :func:`autograd.viz.svg.render_svg`); ``.png`` and ``.pdf`` need ``dot``
    and say how to install it. Nothing is written if rendering fails. Returns
    the path.
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
        write_atomically(path, graph.source.encode("utf-8"))
    elif fmt == "svg" and getattr(graph, "scene", None) is not None:
        write_atomically(path, graph._repr_svg_().encode("utf-8"))   # dot's SVG, or labgrad's own without dot
    elif fmt in ("svg", "png", "pdf"):
        with _dot_hint(_graphviz()):
            data = graph.pipe(format=fmt)
        write_atomically(path, data)
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
            # Jupyter displays a cell's last value with this; without dot, labgrad lays the graph out itself
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except gv.ExecutableNotFound:
                intro = f"{self!r}, drawn without Graphviz's 'dot' (labgrad's own layout). {INSTALL_HINT}"
                if getattr(self, "scene", None) is None:      # (a graph not made by draw: no scene to draw)
                    intro = f"{self!r}, no picture. {INSTALL_HINT}"
                    return {"text/plain": f"{intro}\n\nDOT source:\n{self.source}",
                            "text/html": f"<p>{html.escape(intro)}</p>\n<p>DOT source:</p>\n"
                                         f"<pre>{html.escape(self.source)}</pre>"}
                return {"image/svg+xml": self.fallback_svg(), "text/plain": intro}

        def _repr_svg_(self):
            """The picture as SVG text: dot's where it is installed, else labgrad's own layout."""
            try:
                return self.pipe(format="svg", encoding="utf-8")
            except gv.ExecutableNotFound:
                if getattr(self, "scene", None) is None:
                    raise
                return self.fallback_svg()

        def fallback_svg(self):
            """The picture drawn without dot: :func:`~autograd.viz.layout.layered_layout` and
            :func:`~autograd.viz.svg.render_svg`, as a standalone SVG document."""
            return SVG_DECLARATION + render_svg(self.scene, layered_layout(self.scene))

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


# --- the scene in DOT ---------------------------------------------------------------

def _tensor_label(node):
    rows = []
    if node.title:
        rows.append(f"<B>{html.escape(node.title)}</B>")
    if node.meta:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{GREY}">{html.escape(node.meta)}</FONT>')
    if node.value is not None:
        rows.append(f'<FONT COLOR="{GREEN}">{_html_text(node.value)}</FONT>')
    cells = [f"<TR><TD>{r}</TD></TR>" for r in rows]
    if node.grad is not None:
        cells += ["<HR/>"] * bool(cells) + [f'<TR><TD><FONT COLOR="{RED}">{_html_text(node.grad)}</FONT></TD></TR>']
    if not cells:
        cells = ["<TR><TD> </TD></TR>"]
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(cells)}</TABLE>>'


def _html_text(text):
    return "<BR/>".join(html.escape(line) for line in text.splitlines())


def _op_label(node):
    """The op's name, with its parameters (``op.describe()``) in small print below."""
    label = html.escape(node.title)
    if node.meta:
        label += f'<BR/><FONT POINT-SIZE="8">{html.escape(node.meta)}</FONT>'
    return f"<{label}>"


def _edge_attrs(edge):
    attrs = {}
    if edge.grad_label is not None:                   # color_by_grad
        attrs.update(label=edge.grad_label, penwidth=f"{edge.width:g}", color=edge.color)
        if edge.dashed:
            attrs.update(style="dashed")
    if edge.label is not None:
        attrs.update(headlabel=edge.label, fontcolor=GREY)
    return attrs


_LINE_SAMPLES = {ZERO_COLOUR: "- - -", NONFINITE_COLOUR: "<B>━━</B>", EDGE_COLOUR: "━━"}   # the key's last three


def _caption(scene):
    """The HTML label under the picture: what the colours of nodes (and edges) mean, and notices."""
    rows = [html.escape(scene.caption)] if scene.caption else []
    swatches = []
    for text, colour in scene.legend:
        if (text, colour) in GRAD_SCALE_LEGEND:
            swatches.append((text, colour))
        elif text == GRAD_LEGEND_TITLE:
            rows.append(text)
        else:
            text = "<BR/>".join(html.escape(line, quote=False) for line in text.splitlines())
            rows.append(f'<FONT COLOR="{colour}">{text}</FONT>')
    if swatches:
        cells = "".join(f'<TD BGCOLOR="{c}" WIDTH="56"><FONT COLOR="{text_colour(c)}">{_html_text(t)}</FONT></TD>'
                        for t, c in swatches if c not in _LINE_SAMPLES)
        cells += "".join(f'<TD><FONT COLOR="{c}">{_LINE_SAMPLES[c]}</FONT><BR/>{_html_text(t)}</TD>'
                         for t, c in swatches if c in _LINE_SAMPLES)
        rows.append(f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="3"><TR>{cells}</TR></TABLE>')
    if not rows:
        return ""
    return "<" + "".join(f"<TR><TD>{r}</TD></TR>" for r in rows).join(
        ['<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">', "</TABLE>"]) + ">"
