"""What a picture of a graph shows, decided once for every way of drawing it.

:func:`build_scene` walks the graph behind some root tensors and decides
everything a picture shows: which nodes there are (tensors and the ops that
made them), their names, kinds, value and gradient rows, op labels, module
clusters, highlights, the edges (with their colour and label under
``color_by_grad``), the caption and legend. The result, a :class:`Scene`, is
plain text and numbers: ``viz.draw`` turns it into a Graphviz graph,
:func:`autograd.viz.svg.render_svg` into SVG without Graphviz, the player
into frames and the GIF writer into images, so they all show the same thing.

>>> from autograd import Tensor
>>> x = Tensor(-2.0, requires_grad=True, name="x")
>>> y = Tensor(5.0, requires_grad=True, name="y")
>>> z = Tensor(-4.0, requires_grad=True, name="z")
>>> f = (x + y) * z
>>> f.backward()
>>> scene = build_scene(f, names=locals())
>>> [(n.key, n.kind, n.title, n.value, n.grad) for n in scene.nodes][:4]
[('t0', 'parameter', 'x', '-2', '-4'), ('t1', 'parameter', 'y', '5', '-4'), ('t2', 'intermediate', 't0', '3', '-4'), ('op2', 'op', '+', None, None)]
>>> [(e.source, e.target) for e in scene.edges][:3]
[('t0', 'op2'), ('t1', 'op2'), ('op2', 't2')]
"""
import colorsys
import dataclasses
import warnings

import numpy as np

from autograd.engine import record_backward
from autograd.modes import dual_level, thread_modes
from autograd.graph import graph_tensors, is_tensor, tensor_names
from autograd.trace import format_array

__all__ = ["SceneNode", "SceneEdge", "Scene", "build_scene", "check_roots", "grad_colour", "text_colour",
           "GREEN", "RED", "GREY", "HIGHLIGHT", "ZERO_COLOUR", "NONFINITE_COLOUR", "EDGE_COLOUR",
           "GRAD_SCALE_LEGEND", "GRAD_LEGEND_TITLE", "STALE_NOTICE", "RANKDIRS"]

GREEN, RED, GREY = "#1a7f37", "#cf222e", "#777777"   # values, gradients, small print
HIGHLIGHT = "#ff7f0e"                               # the border of highlighted tensors
ZERO_COLOUR, NONFINITE_COLOUR, EDGE_COLOUR = "#1f4fd0", "#d00000", "#555555"   # the last: no gradient
VANISHING, EXPLODING = 1e-6, 1e2       # color_by_grad: the ends of the colour scale (mean |grad|)
RANKDIRS = ("LR", "TB", "RL", "BT")
NEVER_COMPUTED = "—"


@dataclasses.dataclass(frozen=True)
class SceneNode:
    """One box (tensor) or ellipse (op) of the picture, as text.

    ``key`` is ``"t3"`` for the fourth tensor of the graph order and ``"op3"``
    for the op that made it (the ids of ``draw``'s DOT source). ``kind`` is
    ``"output"``, ``"parameter"``, ``"intermediate"``, ``"constant"`` or
    ``"op"``. Tensors: ``title`` is the name (or None), ``meta`` the shape and
    dtype (``"(4, 64) float32"``, None for a float64 scalar), ``value`` and
    ``grad`` the :func:`~autograd.trace.format_array` texts (lines separated
    by ``"\\n"``); ``grad`` is ``"—"`` when never computed and None when the
    node has no gradient row (a constant, or ``show_grad=False``). Ops:
    ``title`` is the op name (``"+"``, ``"matmul"``), ``meta`` its
    parameters (``op.describe()``, or None), ``symbol`` True for infix ops
    drawn in a circle.
    """
    key: str
    kind: str
    title: "str | None"
    meta: "str | None"
    value: "str | None"
    grad: "str | None"
    cluster: "str | None"
    symbol: bool
    highlighted: bool


@dataclasses.dataclass(frozen=True)
class SceneEdge:
    """An arrow ``source -> target`` (node keys): input tensor to op, or op to its output.

    ``label`` names the argument where order matters (``"a"``, ``"b"``, or
    ``"0"``, ``"1"``...). With ``color_by_grad``, an edge carrying a
    gradient has ``color``, ``width`` (px-ish line width, as Graphviz's
    penwidth), ``dashed`` (the gradient is exactly zero) and ``grad_label``
    (its mean ``|grad|``, ``"0.25"``); otherwise these are None / False.
    """
    source: str
    target: str
    label: "str | None"
    color: "str | None"
    width: "float | None"
    dashed: bool
    grad_label: "str | None"


@dataclasses.dataclass(frozen=True)
class Scene:
    """Everything a picture of a graph shows; see :func:`build_scene`.

    ``nodes`` in graph order (each tensor, then the op that made it),
    ``edges`` grouped by op (its inputs in argument order, then its output),
    ``clusters`` ``((path, label), ...)`` in first-seen order, ``rankdir``
    the direction of the forward pass, ``caption`` what the colours of the
    rows mean (``""`` when no row is shown), ``legend`` rows ``(text,
    colour)`` under it: the stale-gradient notice (red) and, with
    ``color_by_grad``, :data:`GRAD_LEGEND_TITLE` and the
    :data:`GRAD_SCALE_LEGEND` swatches. Text may hold ``"\\n"`` line breaks.
    ``tensors`` maps tensor keys to the Tensor, ``ops`` op keys to the op
    (:class:`~autograd.function.Function`).
    """
    nodes: tuple
    edges: tuple
    clusters: tuple
    rankdir: str
    caption: str
    legend: tuple
    tensors: dict
    ops: dict


def grad_colour(m):
    """Colour of a mean |grad| ``m`` > 0 on a log scale: blue at 1e-6 and below, green, yellow, red at 1e2 and above.

    >>> grad_colour(1e-9), grad_colour(1e-2), grad_colour(1e6)
    ('#1f26cc', '#22cc1f', '#cc1f1f')
    """
    s = (np.log10(m) - np.log10(VANISHING)) / (np.log10(EXPLODING) - np.log10(VANISHING))
    r, g, b = colorsys.hsv_to_rgb(0.66 * (1 - min(max(s, 0.0), 1.0)), 0.85, 0.80)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def text_colour(background):
    """Black on light backgrounds (yellow, green), white on dark ones (blue, red).

    >>> text_colour("#1f26cc"), text_colour("#ccca1f")
    ('white', 'black')
    """
    r, g, b = (int(background[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


GRAD_LEGEND_TITLE = "edges: colour and label = mean |gradient| of the tensor they carry"
GRAD_SCALE_LEGEND = tuple((label, grad_colour(m)) for m, label in [
    (VANISHING, "≤ 1e-6\nvanishing"), (1e-4, "1e-4"), (1e-2, "0.01"), (1.0, "1"), (EXPLODING, "≥ 100\nexploding")]
) + (("exactly 0", ZERO_COLOUR), ("nan or inf", NONFINITE_COLOUR), ("no gradient", EDGE_COLOUR))
"""color_by_grad's key: five filled swatches of the log scale, then the line styles for a zero gradient
(dashed), nan or inf (thick) and no gradient (plain)."""
STALE_NOTICE = ("leaf .grad ≠ one backward of this graph (accumulated over several backward() calls?), "
                "so intermediates show —;\ncall zero_grad() right before backward() to see one backward's gradients")


def check_roots(roots, caller):
    """The root tensors as a list without repeats; ``roots`` may also be one list or tuple of them.

    >>> check_roots([], "draw")
    Traceback (most recent call last):
    ...
    ValueError: draw: give at least one Tensor to draw
    """
    if len(roots) == 1 and isinstance(roots[0], (list, tuple)):
        roots = tuple(roots[0])
    if not roots:
        raise ValueError(f"{caller}: give at least one Tensor to draw")
    for r in roots:
        if not is_tensor(r):
            raise TypeError(f"{caller}: roots must be Tensors, got {type(r).__name__}")
    return list({id(r): r for r in roots}.values())


def build_scene(*roots, names=None, show_data=True, show_grad=True, rankdir="LR", max_elements=6,
                group_by_module=False, max_nodes=1000, highlight=(), color_by_grad=False, grads=None,
                tangents=None, caller="draw"):
    """The :class:`Scene` of the graph behind ``roots``: what ``viz.draw`` shows, as plain data.

    The arguments are ``viz.draw``'s (see there for what each shows), plus:

    Parameters
    ----------
    grads : mapping Tensor -> array, optional
        The gradients to show instead of the stored ``.grad`` and the ones
        computed for intermediates (a tensor missing from it shows ``—``);
        no stale-gradient check is made then.
    tangents : autograd.forward_ad.dual_level, optional
        Show forward mode instead of gradients: each tensor's tangent at this open
        level in the lower row (``0`` where it has none: it does not depend on the
        dual inputs).
    caller : str
        The name errors and warnings start with.

    Raises ``ValueError`` above ``max_nodes`` nodes (before walking them all),
    for an unknown ``rankdir`` or a ``highlight`` not in the graph; warns
    (``UserWarning``) when the leaves hold gradients that are not one backward
    of the root's.
    """
    roots = check_roots(roots, caller)
    if rankdir not in RANKDIRS:
        raise ValueError(f"{caller}: rankdir must be one of 'LR', 'TB', 'RL', 'BT', got {rankdir!r}")
    order = graph_tensors(roots, max_nodes, caller)
    label_of = tensor_names(order, names)
    if tangents is not None:
        shown, stale = _tangents(order, tangents, color_by_grad, caller), None
    elif grads is not None:
        shown, stale = {id(t): g for t, g in grads.items()}, None
    elif show_grad or color_by_grad:
        shown, stale = _gradients(order, roots, caller)
    else:
        shown, stale = {}, None
    marked = _highlighted(highlight, order, label_of, caller)
    module_of = _modules(order, label_of) if group_by_module else {}
    index = {id(t): i for i, t in enumerate(order)}
    outputs = {id(r) for r in roots}
    if stale is not None:
        leaf = label_of[id(stale)] or f"a leaf of shape {stale.shape}"
        warnings.warn(
            f"{caller}: the .grad of {leaf!r} is not what one backward of this graph gives: gradients accumulated "
            "over several backward() calls (e.g. after nn.fit or an earlier backward), or come from another "
            "graph; the picture shows the stored .grad and '—' for intermediate tensors. Call "
            "model.zero_grad() (or opt.zero_grad()) right before loss.backward() to draw one backward's gradients",
            UserWarning, stacklevel=3)

    nodes, edges, clusters, tensors, ops = [], [], {}, {}, {}
    for t in order:
        i, path = index[id(t)], module_of.get(id(t))
        if path is not None:
            clusters.setdefault(path, path)
        kind = ("output" if id(t) in outputs else "constant" if not t.requires_grad
                else "parameter" if t.op is None else "intermediate")
        meta = " ".join(([str(t.shape)] if t.ndim else []) + ([str(t.dtype)] if t.dtype != np.float64 else []))
        grad = shown.get(id(t))
        grad_text = None
        if (show_grad or tangents is not None) and t.requires_grad:
            grad_text = NEVER_COMPUTED if grad is None else format_array(grad, max_elements)
        nodes.append(SceneNode(
            key=f"t{i}", kind=kind, title=label_of[id(t)], meta=meta or None,
            value=format_array(t.data, max_elements) if show_data else None, grad=grad_text,
            cluster=path, symbol=False, highlighted=id(t) in marked))
        tensors[f"t{i}"] = t
        if t.op is None:
            continue
        op = t.op
        nodes.append(SceneNode(key=f"op{i}", kind="op", title=op.name, meta=op.describe() or None, value=None,
                               grad=None, cluster=path, symbol=bool(op.infix), highlighted=False))
        ops[f"op{i}"] = op
        ordered = len(op.parents) > 1 and not op.commutative
        for k, p in enumerate(op.parents):
            label = ("ab"[k] if len(op.parents) == 2 else str(k)) if ordered else None
            style = _grad_edge(shown.get(id(p))) if color_by_grad and p.requires_grad else _NO_GRAD_STYLE
            edges.append(SceneEdge(f"t{index[id(p)]}", f"op{i}", label, *style))
        edges.append(SceneEdge(f"op{i}", f"t{i}", None, *(_grad_edge(grad) if color_by_grad else _NO_GRAD_STYLE)))

    legend = [(STALE_NOTICE, RED)] if stale is not None else []
    if color_by_grad:
        legend += [(GRAD_LEGEND_TITLE, GREY), *GRAD_SCALE_LEGEND]
    lower = (["red: tangent (forward mode: the change along the dual inputs' direction)"] if tangents is not None
             else ["red: gradient (—: never computed)"] * show_grad)
    caption = ", ".join(["green: value"] * show_data + lower)
    return Scene(nodes=tuple(nodes), edges=tuple(edges), clusters=tuple(clusters.items()), rankdir=rankdir,
                 caption=caption, legend=tuple(legend), tensors=tensors, ops=ops)


# --- what goes on the picture ----------------------------------------------------------

_NO_GRAD_STYLE = (None, None, False, None)    # color, width, dashed, grad_label


def _grad_edge(grad):
    """(color, width, dashed, grad_label) of an edge carrying ``grad``: coloured and labelled by its mean |grad|."""
    if grad is None:
        return _NO_GRAD_STYLE
    grad = np.asarray(grad)
    m = float(np.abs(grad).mean()) if grad.size else 0.0
    label = f"{m + 0:.3g}"                             # short and plain: 3.2e-05, 0.25, 1e+06
    if not np.isfinite(m):
        return NONFINITE_COLOUR, 3.0, False, label
    if m == 0:
        return ZERO_COLOUR, 1.5, True, label
    return grad_colour(m), 1.5, False, label


def _tangents(order, level, color_by_grad, caller):
    """Tangent (array) per tensor id at forward-mode ``level``: zeros where a tensor has none."""
    if not isinstance(level, dual_level):
        raise TypeError(f"{caller}: tangents must be an open dual_level (autograd.forward_ad), "
                        f"got {type(level).__name__}")
    if level not in thread_modes.forward_levels:
        raise ValueError(f"{caller}: the dual_level given as tangents is closed (its tangents are gone); "
                         "draw inside its with-block")
    if color_by_grad:
        raise ValueError(f"{caller}: color_by_grad colours gradients; it cannot be combined with tangents=")
    shown = {}
    for t in order:
        tangent = level.tangent_of(t)
        shown[id(t)] = (np.zeros(level.batch + t.data.shape, t.data.dtype) if tangent is None
                        else tangent.data)
    return shown


def _gradients(order, roots, caller):
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
        computed = {id(t): g for t, g in record_backward(roots, caller=caller).items()}
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


def _highlighted(highlight, order, label_of, caller):
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
            raise ValueError(f"{caller}: highlight {what} is not in the graph")
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
