"""Step through backprop on your own graph: the forward values appear op by op, then each chain-rule step.

:func:`player` turns the graph behind a root tensor into :class:`Frame` s: the
leaves with their values; one frame per op in the order the ops ran (its
output's value appears); one frame per chain-rule step of the engine's own
backward walk (the rows of :func:`autograd.trace.backward_steps`, in words:
the upstream gradient, the local derivative, what is passed down, and the sum
where a tensor is used twice); a last frame with every gradient. The numbers
are the engine's, recorded by the same walk ``backward`` runs.

>>> from autograd import Tensor
>>> x = Tensor(-2.0, requires_grad=True, name="x")
>>> y = Tensor(5.0, requires_grad=True, name="y")
>>> z = Tensor(-4.0, requires_grad=True, name="z")
>>> f = (x + y) * z
>>> p = player(f, names=locals())
>>> p
<labgrad player: 8 frames (leaves, 2 forward, 4 backward, final), 7 nodes>
>>> print("\\n".join(p.frames[3].explanation))
step 1: f = t0 * z passes the gradient on to t0
upstream gradient  df/df = 1
local derivative   df/dt0 = z = -4
chain rule         df/df × df/dt0 = 1 × -4 = -4
t0.grad = -4
>>> x.grad is None                     # the user's gradients are left as they were
True

``p.save("backprop.html")`` writes one self-contained page (inline SVG, CSS
and script: it opens offline in any browser), ``p.save("backprop.gif")`` the
same frames as an animated GIF; in Jupyter, ``p`` as a cell's last expression
shows the player inline.
"""
import dataclasses
import hashlib
import html
import json
import os
import pathlib
import textwrap
import types
from collections.abc import Iterator

import numpy as np

from autograd.graph import graph_tensors, is_tensor
from autograd.trace import backward_steps, format_array, node_formula
from autograd.viz.files import write_atomically
from autograd.viz.layout import layered_layout
from autograd.viz.scene import EDGE_COLOUR, build_scene
from autograd.viz.svg import render_svg

__all__ = ["player", "Player", "Frame"]

_LISTED = 8                  # leaves / gradients listed by name in the first and last frames' text
_SPEEDS = ((2000, "0.5×"), (1000, "1×"), (500, "2×"), (250, "4×"), (100, "10×"), (25, "40×"))
_DEFAULT_SPEED = 1000        # milliseconds per frame


@dataclasses.dataclass(frozen=True)
class Frame:
    """One picture of the player.

    Attributes
    ----------
    kind : str
        ``"leaves"``, ``"forward"``, ``"backward"`` or ``"final"``.
    title : str
        One line saying what the frame shows (``"backward step 1 / 4: f = t0 * z"``).
    explanation : tuple of str
        The lines shown beside the graph: for a backward step, the row of
        :func:`~autograd.trace.backward_steps` in words (:meth:`~autograd.trace.StepText.lines`).
    values, grads : mapping
        Node key (``"t3"``) -> the value / gradient text that frame shows, None where
        nothing is shown yet (read-only; tensors only).
    highlight : tuple of str
        Keys of the nodes the frame is about: the op and its output (forward); the op,
        its output and the input the gradient goes to (backward).
    edges : tuple of (str, str)
        The edges (source key, target key) along which this frame's value or gradient flows.
    """
    kind: str
    title: str
    explanation: tuple
    values: types.MappingProxyType
    grads: types.MappingProxyType
    highlight: tuple
    edges: tuple


class Player:
    """The frames of one graph's forward and backward pass, with one layout for all of them.

    Made by :func:`player`. ``frames`` is the tuple of :class:`Frame`; ``scene``
    the :class:`~autograd.viz.scene.Scene` (every node, with the final gradients);
    ``layout`` its :func:`~autograd.viz.layout.layered_layout`, sized for the
    widest text any frame shows, so nothing moves from one frame to the next.
    """

    def __init__(self, scene, frames, sizing_scene):
        self.scene, self.frames = scene, tuple(frames)
        self.layout = layered_layout(sizing_scene)
        self._html = None

    def __repr__(self):
        counts = {kind: sum(f.kind == kind for f in self.frames) for kind in ("forward", "backward")}
        return (f"<labgrad player: {len(self.frames)} frames (leaves, {counts['forward']} forward, "
                f"{counts['backward']} backward, final), {len(self.scene.nodes)} nodes>")

    def html(self):
        """The player as one self-contained HTML page (a str): the same graph gives the same text, byte for byte."""
        if self._html is None:
            self._html = _page(self)
        return self._html

    def _repr_html_(self):
        # An iframe with the page as srcdoc: its script runs in JupyterLab and the classic notebook
        # alike, and two players in one notebook have a document (ids, keys) each.
        height = _page_height(self)
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" title="labgrad backprop player" '
                f'style="width: 100%; height: {height}px; border: 1px solid #ddd; border-radius: 4px" '
                'sandbox="allow-scripts"></iframe>')

    def save(self, path):
        """Write the player to ``path``: ``.html`` (the page) or ``.gif`` (one image per frame). Returns the path.

        Nothing is written when the call fails: the file is complete or absent.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"player.save: path must be a str or a path, got {type(path).__name__} {path!r}; "
                            "pass a file name ending in .html or .gif")
        path = pathlib.Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".html", ".htm", ".gif"):
            raise ValueError(f"player.save: unknown extension {path.suffix!r} in {str(path)!r}; "
                             "use .html (the interactive page) or .gif (an animation)")
        if not path.parent.is_dir():
            raise FileNotFoundError(f"player.save: no folder {str(path.parent)!r} to write {str(path)!r} into")
        if suffix == ".gif":
            from autograd.viz.raster import save_gif       # Pillow, only when a GIF is asked for
            save_gif(self, path)
            return path
        write_atomically(path, self.html().encode("utf-8"))
        return path


def player(root, grad=None, names=None, group_by_module=False, color_by_grad=False, max_nodes=1000,
           max_elements=6):
    """A step-through of the forward and backward pass of ``root``'s graph; see the module docstring.

    Nothing is changed: no ``.grad`` is written (it works before and after
    ``root.backward()``; the gradients shown are those one backward of
    ``root`` computes, whatever the ``.grad`` hold).

    Parameters
    ----------
    root : Tensor
        The output to differentiate; it must require grad.
    grad : array_like, optional
        Upstream gradient ``d L / d root``; required unless ``root`` has one element.
    names : mapping or iterable of (name, Tensor) pairs, optional
        Labels, e.g. ``locals()`` or ``dict(model.named_parameters())``.
    group_by_module, color_by_grad, max_nodes, max_elements
        As for :func:`autograd.viz.draw`: module clusters, edges coloured by the
        mean ``|grad|``, the size guard (``ValueError`` above ``max_nodes``
        tensor + op nodes), arrays shown as min/mean/max above ``max_elements``.

    Returns
    -------
    Player
        ``.frames``, ``.save(path)`` (``.html`` or ``.gif``), ``.html()``; displays inline in Jupyter.
    """
    if not is_tensor(root):
        raise TypeError(f"player: the root must be a Tensor, got {type(root).__name__}")
    order = graph_tensors([root], max_nodes, "player")      # the size guard before any walk
    if isinstance(names, Iterator):
        names = list(names)                 # read twice below (the steps' names, the scene's)
    steps = backward_steps(root, grad=grad, names=names, max_elements=max_elements, caller="player")
    grads = {t: steps.grads[id(t)] for t in order if id(t) in steps.grads}
    scene = build_scene(root, names=names, max_elements=max_elements, group_by_module=group_by_module,
                        max_nodes=max_nodes, color_by_grad=color_by_grad, grads=grads, caller="player")
    frames = _frames(scene, steps, max_elements)
    return Player(scene, frames, _sizing_scene(scene, frames))


# --- the frames -------------------------------------------------------------------------

def _frames(scene, steps, max_elements):
    """Leaves, one frame per op in the order the ops ran, one per chain-rule step, the final gradients."""
    key_of = {id(t): key for key, t in scene.tensors.items()}
    op_key = {id(t): "op" + key[1:] for key, t in scene.tensors.items() if t.op is not None}
    name = steps.names.get
    fmt = lambda a: format_array(a, max_elements)   # noqa: E731  (the node rows' text, as the scene's)
    one_line = lambda a: fmt(a).replace("\n", "")   # noqa: E731  (the explanation's text, as the table's)
    tensors = [scene.tensors[n.key] for n in scene.nodes if n.kind != "op"]
    leaves = [t for t in tensors if t.op is None]
    empty = types.MappingProxyType({})
    frames = []

    values = {key_of[id(t)]: fmt(t.data) for t in leaves}
    listed = [f"{name(id(t)) or 'constant'} = {one_line(t.data)}" for t in leaves[:_LISTED]]
    listed += [f"… and {len(leaves) - _LISTED} more"] * (len(leaves) > _LISTED)
    frames.append(Frame("leaves", "the leaves: the inputs of the graph", tuple(
        ["The leaves hold the inputs:"] + listed + ["Next, the forward pass runs each op in turn."]),
        types.MappingProxyType(dict(values)), empty, tuple(key_of[id(t)] for t in leaves), ()))

    ran = sorted((t for t in tensors if t.op is not None), key=lambda t: t.op.seq)
    for k, t in enumerate(ran, 1):
        out, op = key_of[id(t)], op_key[id(t)]
        values[out] = fmt(t.data)
        formula = node_formula(t, steps.names)
        lines = [formula]
        if t.op.infix and len(t.op.parents) == 2 and all(p.data.size == 1 for p in t.op.parents):
            lines.append("  = " + f" {t.op.name} ".join(one_line(p.data) for p in t.op.parents))
        lines.append(f"  = {one_line(t.data)}")
        frames.append(Frame("forward", f"forward {k} / {len(ran)}: {t.op.name} computes {name(id(t))}", tuple(lines),
                            types.MappingProxyType(dict(values)), empty, (op, out),
                            tuple((key_of[id(p)], op) for p in t.op.parents) + ((op, out),)))

    values = types.MappingProxyType(values)
    grads = {key_of[id(steps.root)]: fmt(steps.seed)}
    texts = steps.texts()
    for s, text in zip(steps, texts):
        out, op, target = key_of[id(s.output)], op_key[id(s.output)], key_of[id(s.input)]
        grads[target] = fmt(s.accumulated)
        frames.append(Frame("backward", f"backward step {text.number} / {len(texts)}: {text.node}", text.lines(),
                            values, types.MappingProxyType(dict(grads)), (op, out, target),
                            ((op, out), (target, op))))

    final = {n.key: n.grad for n in scene.nodes if n.kind != "op" and n.grad is not None}
    with_grad = [t for t in leaves if t.requires_grad]
    listed = [f"{name(id(t))}.grad = {one_line(steps.grads[id(t)])}" if id(t) in steps.grads
              else f"{name(id(t))}.grad: never computed (—)" for t in with_grad[:_LISTED]]
    listed += [f"… and {len(with_grad) - _LISTED} more"] * (len(with_grad) > _LISTED)
    frames.append(Frame("final", f"done: every gradient of {name(id(steps.root))}", tuple(
        ["The gradients of the leaves (what backward() adds to .grad):"] + listed
        + ["The picture shows the intermediates' gradients too."]),
        values, types.MappingProxyType(final), tuple(key_of[id(t)] for t in with_grad), ()))
    return frames


def _sizing_scene(scene, frames):
    """The scene with each node's widest value and gradient text of any frame: the layout fits every frame."""
    widest = {"value": {}, "grad": {}}
    for field in widest:
        before = {}
        for f in frames:
            shown = f.values if field == "value" else f.grads
            if shown is before:                       # frames share a mapping where nothing changed
                continue
            for key, text in shown.items():
                if text is not None and before.get(key) is not text and \
                        _width(text) > _width(widest[field].get(key, "")):
                    widest[field][key] = text
            before = shown
    nodes = []
    for n in scene.nodes:
        wider = {field: texts[n.key] for field, texts in widest.items()
                 if n.key in texts and getattr(n, field) is not None
                 and _width(texts[n.key]) > _width(getattr(n, field))}
        nodes.append(dataclasses.replace(n, **wider) if wider else n)
    return dataclasses.replace(scene, nodes=tuple(nodes))


def _width(text):
    return max(map(len, text.split("\n")))


# --- the page ---------------------------------------------------------------------------

def _frames_json(frames):
    """The frames as compact JSON: per frame only the texts that changed since the frame before."""
    rows, values, grads = [], {}, {}
    for f in frames:
        row = {"k": f.kind, "t": f.title, "x": list(f.explanation), "h": list(f.highlight),
               "e": [list(e) for e in f.edges]}
        for field, now, before in (("v", f.values, values), ("g", f.grads, grads)):
            change = {key: text or "" for key, text in now.items() if before.get(key) != text}
            change.update({key: "" for key in before if key not in now and before[key]})
            row[field] = change
        values, grads = f.values, f.grads
        rows.append(row)
    text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # inside <script>: no "</script>" or "<!--" may appear, so "<", ">" and "&" are written as escapes
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(p):
    frames = _frames_json(p.frames)
    content = json.dumps([[n.key, n.kind, n.title, n.meta, n.cluster] for n in p.scene.nodes]
                         + [[e.source, e.target, e.label] for e in p.scene.edges])
    prefix = "lg" + hashlib.sha256((content + frames).encode("utf-8")).hexdigest()[:10]
    svg = _mark_gradient_colours(render_svg(p.scene, p.layout, id_prefix=prefix), p.scene, prefix)
    columns, rows = _panel_size(p.frames)
    speeds = "".join(f'<option value="{ms}"{" selected" * (ms == _DEFAULT_SPEED)}>{label}</option>'
                     for ms, label in _SPEEDS)
    n = len(p.frames)
    return _TEMPLATE.format(
        prefix=prefix, svg=svg, frames=frames, css=_CSS.replace("#P", f"#{prefix}-player").replace("EDGE", EDGE_COLOUR),
        script=_SCRIPT.replace("PREFIX", prefix), speeds=speeds, last=n - 1, n=n,
        height=_LINE * rows, columns=columns, counter_width=len(f"frame {n} / {n}"))


def _mark_gradient_colours(svg, scene, prefix):
    """Classes for what ``color_by_grad`` adds (an edge's colour, its |grad| label): the page shows them only
    in the final frame, where every gradient is known (before, they would tell the answer ahead of the steps).
    """
    labels = iter(svg.split('<text class="edge-label"'))
    out = [next(labels)]
    for e in scene.edges:           # render_svg writes each edge's slot label, then its gradient label
        if e.label is not None:
            out.append('<text class="edge-label"' + next(labels))
        if e.grad_label is not None:
            out.append('<text class="edge-label grad-label"' + next(labels))
    out.extend('<text class="edge-label"' + rest for rest in labels)
    svg = "".join(out)
    for e in scene.edges:
        if e.color is not None or e.dashed:
            path = f'<path id="{prefix}-e-{e.source}-{e.target}" class="edge"'
            svg = svg.replace(path, path[:-1] + ' graded"', 1)
    return svg


_LINE = 20          # px per text row of the explanation
_PANEL_COLUMNS = 46  # the explanation's width in characters: beside the graph in a 900 px notebook cell


def _panel_size(frames):
    """(columns, rows) of the explanation box: as wide as the longest line up to ``_PANEL_COLUMNS``
    characters, as high as the frame that needs the most rows once its lines wrap at that width
    (one size for every frame, so nothing moves between frames)."""
    longest = max(len(line) for f in frames for line in (f.title, *f.explanation))
    columns = min(max(longest, 24), _PANEL_COLUMNS)
    rows = max(sum(max(1, len(textwrap.wrap(line, columns - 1, drop_whitespace=False) or [""]))
                   for line in (f.title, *f.explanation)) for f in frames)
    return columns, rows + 1      # a spare row: the browser may break a line where textwrap did not


def _page_height(p):
    """Pixels an iframe needs to show the page without scrolling (for Jupyter): the controls,
    then the taller of the graph (with its scroll bar) and the explanation."""
    _, rows = _panel_size(p.frames)
    return int(max(p.layout.height + 20, _LINE * rows + 8) + 70)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>labgrad backprop player</title>
<style>
{css}
</style>
</head>
<body>
<div class="labgrad-player" id="{prefix}-player" data-prefix="{prefix}" tabindex="0" aria-label="backprop player: arrow keys step, space plays">
<div class="controls">
<button type="button" data-act="first" title="first frame (Home)" aria-label="first frame">|◀</button>
<button type="button" data-act="back" title="back (←)" aria-label="previous frame">◀</button>
<button type="button" data-act="play" class="play" title="play / pause (space)" aria-label="play" aria-pressed="false">▶ play</button>
<button type="button" data-act="next" title="next (→)" aria-label="next frame">▶</button>
<button type="button" data-act="last" title="last frame (End)" aria-label="last frame">▶|</button>
<input type="range" class="slider" min="0" max="{last}" value="0" step="1" aria-label="frame">
<span class="counter" aria-live="polite" style="min-width: {counter_width}ch">frame 1 / {n}</span>
<label class="speed">speed <select aria-label="speed">{speeds}</select></label>
</div>
<div class="stage">
<div class="graph">
{svg}
</div>
<div class="explain" style="width: {columns}ch; height: {height}px">
<div class="title" aria-live="polite"></div>
<pre class="lines"></pre>
</div>
</div>
</div>
<script type="application/json" id="{prefix}-frames">{frames}</script>
<script>
{script}
</script>
</body>
</html>
"""

_CSS = """body { margin: 8px; font-family: Helvetica, Arial, sans-serif; background: #fff; color: #222; }
#P { outline: none; }
#P:focus-visible { outline: 2px solid #8ab4f8; outline-offset: 2px; }
#P .controls { display: flex; align-items: center; gap: 6px; margin-bottom: 8px; font-size: 14px; }
#P .controls button { min-width: 2.4em; height: 28px; font-size: 14px; cursor: pointer; }
#P .controls button.play { width: 6em; }
#P .slider { flex: 0 1 260px; min-width: 80px; }
#P .counter { font-variant-numeric: tabular-nums; white-space: nowrap; }
#P .stage { display: flex; flex-wrap: nowrap; align-items: flex-start; gap: 16px; }
#P .graph { flex: 1 1 0; min-width: 0; overflow: auto; }
#P .graph svg { display: block; }
#P .explain { flex: 0 0 auto; font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 13px;
  line-height: 20px; overflow-x: hidden; overflow-y: auto; border-left: 3px solid #ff7f0e; padding-left: 10px;
  box-sizing: content-box; }
#P .explain .title { font-weight: bold; white-space: pre-wrap; overflow-wrap: anywhere; }
#P .explain pre { margin: 0; font: inherit; white-space: pre-wrap; overflow-wrap: anywhere; }
#P g.node.hl > rect, #P g.node.hl > ellipse, #P g.node.hl > circle, #P g.node.hl > polygon,
#P g.node.hl > path { stroke: #ff7f0e; stroke-width: 3px; }
#P:not([data-final]) path.edge.graded:not(.on) { stroke: EDGE; stroke-width: 1px; stroke-dasharray: none; }
#P:not([data-final]) text.grad-label { visibility: hidden; }
#P path.edge.on, #P .edge.on path { stroke: #ff7f0e; stroke-width: 2.5px; }"""

_SCRIPT = """(function () {
  "use strict";
  var root = document.getElementById("PREFIX-player");
  var frames = JSON.parse(document.getElementById("PREFIX-frames").textContent);
  var svg = root.querySelector("svg");
  var slider = root.querySelector(".slider"), counter = root.querySelector(".counter");
  var playButton = root.querySelector("button.play"), speed = root.querySelector(".speed select");
  var titleBox = root.querySelector(".explain .title"), linesBox = root.querySelector(".explain .lines");
  // full texts per frame, from the changes stored per frame
  var states = [], values = {}, grads = {}, keys = {};
  frames.forEach(function (f) {
    values = Object.assign({}, values, f.v);
    grads = Object.assign({}, grads, f.g);
    Object.keys(f.v).forEach(function (k) { keys[k] = true; });
    Object.keys(f.g).forEach(function (k) { keys[k] = true; });
    states.push({v: values, g: grads});
  });
  function nodeOf(key) { return document.getElementById("PREFIX-" + key); }
  function setRows(g, cls, text) {
    var rows = g.querySelectorAll("text." + cls);
    if (!rows.length) return;
    var lines = text ? text.split("\\n") : [];
    for (var i = 0; i < rows.length; i++) {
      var line = i < rows.length - 1 ? (lines[i] || "") : lines.slice(i).join(" ");
      if (rows[i].textContent !== line) rows[i].textContent = line;
    }
  }
  var current = -1, lit = [], timer = null;
  function show(i) {
    i = Math.max(0, Math.min(frames.length - 1, i));
    var f = frames[i], s = states[i];
    Object.keys(keys).forEach(function (k) {
      var g = nodeOf(k);
      if (!g) return;
      setRows(g, "value", s.v[k] || "");
      setRows(g, "grad", s.g[k] || "");
    });
    lit.forEach(function (el) { el.classList.remove("hl"); el.classList.remove("on"); });
    lit = [];
    f.h.forEach(function (k) {
      var g = nodeOf(k);
      if (g) { g.classList.add("hl"); lit.push(g); }
    });
    f.e.forEach(function (e) {
      svg.querySelectorAll('[id="PREFIX-e-' + e[0] + "-" + e[1] + '"]').forEach(function (el) {
        el.classList.add("on"); lit.push(el);
      });
    });
    titleBox.textContent = f.t;
    linesBox.textContent = f.x.join("\\n");
    counter.textContent = "frame " + (i + 1) + " / " + frames.length;
    slider.value = String(i);
    root.setAttribute("data-frame", String(i));
    if (f.k === "final") root.setAttribute("data-final", ""); else root.removeAttribute("data-final");
    current = i;
  }
  function pause() {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    playButton.textContent = "\\u25b6 play";
    playButton.setAttribute("aria-label", "play");
    playButton.setAttribute("aria-pressed", "false");
    root.removeAttribute("data-playing");
  }
  function tick() {
    if (current >= frames.length - 1) { pause(); return; }
    show(current + 1);
    if (current >= frames.length - 1) { pause(); return; }
    timer = setTimeout(tick, Number(speed.value));
  }
  function play() {
    if (current >= frames.length - 1) show(0);
    playButton.textContent = "\\u275a\\u275a pause";
    playButton.setAttribute("aria-label", "pause");
    playButton.setAttribute("aria-pressed", "true");
    root.setAttribute("data-playing", "");
    timer = setTimeout(tick, Number(speed.value));
  }
  function toggle() { if (timer !== null) pause(); else play(); }
  var actions = {
    first: function () { pause(); show(0); },
    back: function () { pause(); show(current - 1); },
    play: toggle,
    next: function () { pause(); show(current + 1); },
    last: function () { pause(); show(frames.length - 1); }
  };
  // a button keeps the focus after a click, as buttons do: space or Enter presses it again,
  // the arrow keys, Home and End still step (they reach the player's handler below)
  root.querySelectorAll("button[data-act]").forEach(function (b) {
    b.addEventListener("click", function () { actions[b.getAttribute("data-act")](); });
  });
  slider.addEventListener("input", function () { pause(); show(Number(slider.value)); });
  speed.addEventListener("change", function () {
    // the new speed at once: a running timer is restarted with it
    if (timer !== null) { clearTimeout(timer); timer = setTimeout(tick, Number(speed.value)); }
    root.focus({preventScroll: true});
  });
  var keyActions = {ArrowRight: "next", ArrowLeft: "back", " ": "play", Home: "first", End: "last"};
  root.addEventListener("keydown", function (event) {
    var tag = event.target.tagName;
    if (tag === "BUTTON" && (event.key === " " || event.key === "Enter")) return;   // the button's own action
    if (tag === "INPUT" || tag === "SELECT" || event.altKey || event.ctrlKey || event.metaKey) return;
    var act = keyActions[event.key];
    if (!act) return;
    event.preventDefault();
    actions[act]();
  });
  show(0);
  if (window.self === window.top) root.focus({preventScroll: true});   // a page of its own: keys work at once
})();"""
