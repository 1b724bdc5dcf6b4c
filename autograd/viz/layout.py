"""A layered layout of a :class:`~autograd.viz.scene.Scene` in pure Python: pictures without Graphviz's ``dot``.

Why labgrad's own layout and not a package: the runtime dependencies are numpy
and graphviz only, and the point of this module is to draw where the ``dot``
program is missing (a fresh Windows install, a course hub). A package such as
``grandalf`` would have to be an optional extra, so exactly the users without
``dot`` would also lack it, and it leaves the parts that matter here to the
caller anyway: node sizes from the text each node shows, module clusters kept
in one frame, edge routes between boxes. Autograd graphs are small, acyclic
and mostly narrow, which a textbook layered (Sugiyama) layout of ~300 lines
handles well, in a few tens of milliseconds for 1,000 nodes.

The steps:

1. **Ranks** by longest path along the forward pass; then, from the output
   back, a node moves up to just before its first consumer when that
   shortens more edges than it stretches: a bias sits by its ``+``, not at
   the far left, and ``x * x`` by the sum it feeds.
2. **Long edges** get a dummy point per rank they cross, which takes its own
   slot in that rank's order like a node; the long edges leaving one node
   share these points (one trunk that branches off to each consumer), which
   keeps a tensor used all over the graph cheap to lay out and easy to follow.
   An edge runs straight along the forward pass inside each rank (out of its
   source, through its dummies' slots, into its target) and bends only
   between ranks, where there are no boxes: it passes through no box but its
   own two ends.
3. **Order** within each rank by barycentre sweeps (down and up, keeping the
   order with the fewest crossings). A module's nodes (``cluster``) stay
   contiguous in every rank, and modules keep one order in all ranks.
4. **Coordinates** across ranks: each node is pulled toward the mean of its
   neighbours, then a pass over the separation constraints (nodes in a rank
   do not overlap; a cluster is one band that non-members stay out of) makes
   the positions legal. Pushing down and pushing up are averaged, which stays
   legal (the constraints are convex) and keeps the picture balanced.

Everything is deterministic: the same scene gives the same numbers.

>>> from autograd import Tensor
>>> from autograd.viz.scene import build_scene
>>> x = Tensor(-2.0, requires_grad=True, name="x")
>>> y = Tensor(5.0, requires_grad=True, name="y")
>>> z = Tensor(-4.0, requires_grad=True, name="z")
>>> f = (x + y) * z
>>> layout = layered_layout(build_scene(f, names=locals()))
>>> sorted(layout.boxes)                  # x, y, x + y and the + that made it, z, f and the *
['op2', 'op4', 't0', 't1', 't2', 't3', 't4']
>>> layout.boxes["t0"].x < layout.boxes["op2"].x < layout.boxes["t2"].x    # left to right: the forward pass
True
"""
import bisect
import dataclasses
import math

from autograd.viz.scene import EDGE_COLOUR, GRAD_SCALE_LEGEND, GREY, NONFINITE_COLOUR, ZERO_COLOUR, text_colour

__all__ = ["Box", "Layout", "layered_layout", "text_width", "node_rows", "line_height", "row_places",
           "caption_parts", "FONT_SIZES", "PAD_X", "PAD_Y", "SEPARATOR"]

# --- text -------------------------------------------------------------------------------

# Helvetica advance widths (the AFM metrics, in 1/1000 em) for printable ASCII, space to "~":
_WIDTHS = [278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,      # ' ' to '/'
           556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,      # '0' to '?'
           1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,     # '@' to 'O'
           667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,      # 'P' to '_'
           333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,      # '`' to 'o'
           556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584]           # 'p' to '~'
_OTHER = {"—": 1000, "–": 556, "≤": 584, "≥": 584, "≠": 584, "·": 278, "×": 584, "━": 1000, "∂": 556}
_BOLD = 1.08            # Helvetica-Bold runs about 8% wider

FONT_SIZES = {"title": 12.0, "meta": 9.0, "value": 11.0, "grad": 11.0, "symbol": 16.0, "op": 11.0, "op-meta": 9.0,
              "caption": 10.0, "cluster": 10.0, "edge-label": 9.0}
"""Font sizes (px) of each kind of text; constants (``kind == "constant"``) draw theirs at 0.85 times."""
PAD_X, PAD_Y = 8.0, 4.0     # inside a box, around its text
SEPARATOR = 5.0             # room for the line between value and gradient
_CONSTANT_SCALE = 0.85


def text_width(text, size, bold=False):
    """Width in px of one line of ``text`` at font ``size`` px in Helvetica (a fixed per-character table).

    Every renderer measures with this, so boxes fit their text the same way in SVG and in the GIF.

    >>> text_width("-12", 11)
    15.89
    >>> text_width("", 11), text_width("W", 10) > text_width("i", 10)
    (0.0, True)
    """
    units = 0
    for ch in text:
        code = ord(ch)
        units += _WIDTHS[code - 32] if 32 <= code < 127 else _OTHER.get(ch, 600)
    return round(units * size / 1000 * (_BOLD if bold else 1.0), 2)


def line_height(size):
    """Height in px of one line of text at font ``size`` px.

    >>> line_height(10)
    13.0
    """
    return round(size * 1.3, 2)


def node_rows(node):
    """The lines of text a node shows, top to bottom: ``(cls, text, size, bold)`` tuples.

    ``cls`` is ``"title"``, ``"meta"``, ``"value"`` or ``"grad"`` (one row per
    line of a multi-line value); a tensor's value and gradient rows are there
    whenever the scene has them, even if their text is empty. Ops have a
    ``"title"`` (the op name) and maybe a ``"meta"`` row (its parameters).
    """
    if node.kind == "op":
        rows = [("title", node.title or "", FONT_SIZES["symbol" if node.symbol else "op"], False)]
        if node.meta:
            rows.append(("meta", node.meta, FONT_SIZES["op-meta"], False))
        return tuple(rows)
    scale = _CONSTANT_SCALE if node.kind == "constant" else 1.0
    rows = []
    if node.title:
        rows.append(("title", node.title, FONT_SIZES["title"] * scale, True))
    if node.meta:
        rows.append(("meta", node.meta, FONT_SIZES["meta"] * scale, False))
    for cls in ("value", "grad"):
        text = getattr(node, cls)
        if text is not None:
            rows += [(cls, line, FONT_SIZES[cls] * scale, False) for line in (text.splitlines() or [""])]
    return tuple(rows)


def _has_separator(rows):
    """Whether a node's rows have the line between value and gradient (``draw``'s ``<HR/>``)."""
    grads = sum(cls == "grad" for cls, *_ in rows)
    return 0 < grads < len(rows)


def row_places(rows, box):
    """Where each row of a node goes in its ``box``: ``([(row, centre y), ...], separator y or None)``.

    The rows (from :func:`node_rows`, perhaps with other texts of the same sizes) are centred in the box
    as a block; the separator sits just before the first gradient row. Both renderers place text with this.

    >>> rows = (("title", "x", 12.0, True), ("value", "2", 11.0, False), ("grad", "1", 11.0, False))
    >>> places, separator = row_places(rows, Box(0, 0, 40, 60))
    >>> [round(y, 2) for _, y in places], separator
    ([13.2, 28.15, 47.45], 37.8)
    """
    separator = SEPARATOR if _has_separator(rows) else 0.0
    y = box.y + (box.height - sum(line_height(row[2]) for row in rows) - separator) / 2
    places, rule = [], None
    for i, row in enumerate(rows):
        if separator and row[0] == "grad" and rows[i - 1][0] != "grad":
            rule = round(y + separator / 2, 2)
            y += separator
        places.append((row, y + line_height(row[2]) / 2))
        y += line_height(row[2])
    return places, rule


CAPTION_SWATCH_GAP = 2.0    # between the legend's swatches
_SWATCH_MIN, _SWATCH_PAD = 60.0, 8.0
_LINE_SAMPLES = {ZERO_COLOUR: (True, 1.5), NONFINITE_COLOUR: (False, 3.0), EDGE_COLOUR: (False, 1.0)}


def caption_parts(scene, measure=text_width):
    """The caption and legend under a graph: ``(width, height, texts, marks)``, relative to its top-left corner.

    ``texts``: ``(centre x, centre y, text, colour)`` at ``FONT_SIZES["caption"]``; ``marks``: ``("rect",
    x, y, width, height, colour)`` (a ``color_by_grad`` swatch) or ``("line", x0, y, x1, colour, width,
    dashed)`` (an edge style's sample). The caption and the legend lines are centred, one per row; the
    ``color_by_grad`` scale is one row of swatches under them. The layout sizes the caption's box with this
    and both renderers draw from it.

    >>> from types import SimpleNamespace
    >>> caption_parts(SimpleNamespace(caption="hello", legend=()))
    (21.12, 13.0, [(10.56, 6.5, 'hello', '#777777')], [])
    """
    size = FONT_SIZES["caption"]
    lh = line_height(size)
    lines = ([(scene.caption, GREY)] if scene.caption else []) + [
        (line, colour or GREY) for text, colour in scene.legend if not _is_swatch(text) for line in text.splitlines()]
    swatches = [(text, colour) for text, colour in scene.legend if _is_swatch(text)]
    cells = [max(_SWATCH_MIN, max(measure(line, size) for line in text.splitlines()) + _SWATCH_PAD)
             for text, _ in swatches]
    row = sum(cells) + CAPTION_SWATCH_GAP * max(len(cells) - 1, 0)
    width = round(max([measure(line, size) for line, _ in lines] + [row], default=0.0), 2)
    mid, y = width / 2, 0.0
    texts, marks = [], []
    for line, colour in lines:
        texts.append((mid, y + lh / 2, line, colour))
        y += lh
    if swatches:
        y += 4
        cell_h = 2 * lh + 6
        x = mid - row / 2
        for (text, colour), cw in zip(swatches, cells):
            parts = text.splitlines()
            if colour in _LINE_SAMPLES:                 # an edge style: a sample line, its name under it
                dashed, line_w = _LINE_SAMPLES[colour]
                marks.append(("line", x + 12, y + lh / 2 + 2, x + cw - 12, colour, line_w, dashed))
                ink, top = GREY, y + lh + 3
            else:                                       # a colour of the scale: a swatch, its name on it
                marks.append(("rect", x, y, cw, cell_h, colour))
                ink, top = text_colour(colour), y + (cell_h - len(parts) * lh) / 2
            texts += [(x + cw / 2, top + k * lh + lh / 2, part, ink) for k, part in enumerate(parts)]
            x += cw + CAPTION_SWATCH_GAP
        y += cell_h
    return width, round(y, 2), texts, marks


# --- the layout -------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Box:
    """A rectangle in px: top-left corner ``(x, y)``, ``width``, ``height``."""
    x: float
    y: float
    width: float
    height: float

    @property
    def center(self):
        return self.x + self.width / 2, self.y + self.height / 2


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where everything of a scene goes, in px (y grows downward).

    ``boxes``: node key -> :class:`Box` (an op's ellipse or circle is inscribed
    in its box); ``edges``: ``(source, target)`` -> tuple of ``(x, y)`` points,
    from the source's border to the target's border (the arrow tip), through
    the bends; ``clusters``: module path -> :class:`Box` of its frame;
    ``caption``: the :class:`Box` under the graph for the caption and legend;
    ``width``, ``height``: the whole picture.
    """
    boxes: dict
    edges: dict
    clusters: dict
    caption: Box
    width: float
    height: float


_MARGIN = 12.0
_NODE_GAP = 14.0            # between neighbours in a rank
_DUMMY_SIZE = 6.0           # the room a long edge takes where it crosses a rank
_RANK_GAP = {"LR": 44.0, "TB": 40.0}
_CLUSTER_PAD = 8.0          # around a module's nodes inside its frame
_CLUSTER_GAP = 8.0          # between a frame and a node outside it
_CLUSTER_LABEL = line_height(FONT_SIZES["cluster"]) + 2.0
_STRAIGHTEN = 2.0           # px an edge may be straightened by (well inside a dummy's slot and its gaps)
_SWEEPS = 6
_ROUNDS = 12


def _node_size(node, measure, extra):
    rows = node_rows(node)
    widths = [measure(text, size, bold) for _, text, size, bold in rows]
    for cls, texts in (extra or {}).items():            # other texts a row may show (a player's frames)
        size = next((s for c, _, s, _ in rows if c == cls), FONT_SIZES.get(cls, 11.0))
        widths += [measure(line, size, False) for text in texts for line in str(text).splitlines()]
    text_w = max(widths, default=0.0)
    text_h = sum(line_height(size) for _, _, size, _ in rows)
    if node.kind == "op":
        if node.symbol and len(rows) == 1:
            d = max(28.0, text_w + 12.0, text_h + 8.0)
            return d, d
        return max(36.0, text_w * 1.25 + 16.0), max(26.0, text_h * 1.25 + 6.0)
    if _has_separator(rows):
        text_h += SEPARATOR
    return max(36.0, text_w + 2 * PAD_X), max(22.0, text_h + 2 * PAD_Y)


def _is_swatch(text):
    """Whether a legend entry is a swatch of the ``color_by_grad`` scale (drawn as a cell, not a line of text)."""
    return any(text == t for t, _ in GRAD_SCALE_LEGEND)


def layered_layout(scene, *, measure=None, extra_text=None):
    """Lay out ``scene`` in ranks along ``scene.rankdir``: boxes, edge routes, cluster frames, in px.

    Parameters
    ----------
    scene : Scene
        From :func:`~autograd.viz.scene.build_scene`.
    measure : callable ``(text, size, bold=False) -> px``, optional
        How to measure a line of text; default this module's :func:`text_width`.
    extra_text : mapping node key -> {row class: iterable of str}, optional
        Other texts a node's rows may show (a player's frames show running
        sums, or ``—`` before a gradient arrives): boxes are made wide enough
        for the widest, so nothing moves between frames.

    Returns
    -------
    Layout
    """
    measure = measure or text_width
    extra_text = extra_text or {}
    keys = [n.key for n in scene.nodes]
    n = len(keys)
    index = {k: i for i, k in enumerate(keys)}
    sizes = [_node_size(node, measure, extra_text.get(node.key)) for node in scene.nodes]
    horizontal = scene.rankdir in ("LR", "RL")
    main = [w if horizontal else h for w, h in sizes]       # extent along the forward pass
    cross = [h if horizontal else w for w, h in sizes]
    cluster_of = [node.cluster for node in scene.nodes]
    succ, pred = [[] for _ in range(n)], [[] for _ in range(n)]
    for e in scene.edges:
        s, t = index[e.source], index[e.target]
        succ[s].append(t)
        pred[t].append(s)

    rank = _ranks(n, succ, pred)
    # dummies: one per rank a long edge crosses; chains[(s, t)] = [s, d1, d2, ..., t]
    node_rank, node_cluster, node_cross = list(rank), list(cluster_of), list(cross)
    up, down = [list(p) for p in pred], [list(s) for s in succ]
    chains, trunk = {}, {}          # trunk: the long edges leaving one node share their dummies, rank by rank
    for e in scene.edges:
        s, t = index[e.source], index[e.target]
        chain, prev = [s], s
        same = cluster_of[s] if cluster_of[s] is not None and cluster_of[s] == cluster_of[t] else None
        for r in range(rank[s] + 1, rank[t]):
            d = trunk.get((s, r, same))
            if d is None:
                d = trunk[(s, r, same)] = len(node_rank)
                node_rank.append(r), node_cluster.append(same), node_cross.append(_DUMMY_SIZE)
                up.append([prev]), down.append([])
                down[prev].append(d)
            chain.append(d)
            prev = d
        if prev != s:
            down[s].remove(t), up[t].remove(s)
            down[prev].append(t), up[t].append(prev)
        chain.append(t)
        chains[(e.source, e.target)] = chain
    # fillers: a cluster holds its band in every rank it spans, even where it has no node
    span = {}
    for v, c in enumerate(node_cluster):
        if c is not None:
            lo, hi = span.get(c, (node_rank[v], node_rank[v]))
            span[c] = (min(lo, node_rank[v]), max(hi, node_rank[v]))
    present = {(node_cluster[v], node_rank[v]) for v in range(len(node_rank))}
    for c, (lo, hi) in span.items():
        for r in range(lo, hi + 1):
            if (c, r) not in present:
                node_rank.append(r), node_cluster.append(c), node_cross.append(0.0)
                up.append([]), down.append([])
    total = len(node_rank)
    layers = [[] for _ in range(max(node_rank, default=-1) + 1)]
    for v in range(total):                              # graph order: a good first order
        layers[node_rank[v]].append(v)
    cluster_ids = {c: i for i, c in enumerate(span)}

    layers = _order(layers, up, down, node_cluster, cluster_ids)
    pos = _cross_positions(layers, up, down, node_cross, node_cluster, horizontal)

    # along the forward pass: each rank as thick as its thickest node
    gap = _RANK_GAP["LR" if horizontal else "TB"]
    thickness = [max((main[v] for v in layer if v < n), default=_DUMMY_SIZE) for layer in layers]
    centre, at = [], _MARGIN + (_CLUSTER_LABEL if not horizontal and span else 0.0)
    for t in thickness:
        centre.append(at + t / 2)
        at += t + gap
    main_end = at - gap + _MARGIN
    flip = scene.rankdir in ("RL", "BT")

    def point(v):
        m = centre[node_rank[v]]
        if flip:
            m = main_end - m
        return (m, pos[v]) if horizontal else (pos[v], m)

    boxes = {}
    for v, key in enumerate(keys):
        (cx, cy), (w, h) = point(v), sizes[v]
        boxes[key] = Box(round(cx - w / 2, 2), round(cy - h / 2, 2), w, h)
    frames = {}
    for c in span:
        members = [boxes[k] for k, cl in zip(keys, cluster_of) if cl == c]
        x0 = min(b.x for b in members) - _CLUSTER_PAD
        y0 = min(b.y for b in members) - _CLUSTER_PAD - _CLUSTER_LABEL
        x1 = max(b.x + b.width for b in members) + _CLUSTER_PAD
        y1 = max(b.y + b.height for b in members) + _CLUSTER_PAD
        frames[c] = Box(round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2))
    def band(v, side):
        """Where ``v``'s rank band begins (side -1) or ends (+1) along the forward pass, at ``v``'s place across."""
        m = centre[node_rank[v]] + side * thickness[node_rank[v]] / 2
        if flip:
            m = main_end - m
        return (m, pos[v]) if horizontal else (pos[v], m)

    # an edge runs straight along the forward pass inside each rank's band (out of its source, through each
    # dummy's own slot, into its target) and bends only in the gaps between ranks, where there are no boxes:
    # so it passes through no box but its two ends
    edges = {}
    ops = {node.key for node in scene.nodes if node.kind == "op"}
    for (s, t), chain in chains.items():
        start, end = band(chain[0], +1), band(chain[-1], -1)
        pts = [_clip(boxes[s], start, s in ops)]
        pts += [start] if _apart(pts[0], start) else []
        for d in chain[1:-1]:
            pts += [band(d, -1), band(d, +1)]
        last = _clip(boxes[t], end, t in ops)
        pts += [end] if _apart(end, last) else []
        pts.append(last)
        edges[(s, t)] = _straightened(tuple((round(x, 2), round(y, 2)) for x, y in pts), 0 if horizontal else 1)

    every = list(boxes.values()) + list(frames.values())
    right = max((b.x + b.width for b in every), default=0.0) + _MARGIN
    bottom = max((b.y + b.height for b in every), default=0.0)
    cap_w, cap_h = caption_parts(scene, measure)[:2]
    width = round(max(right, cap_w + 2 * _MARGIN), 2)
    shift = round((width - right) / 2, 2)             # a graph narrower than its caption: centred above it
    if shift:
        boxes = {k: Box(b.x + shift, b.y, b.width, b.height) for k, b in boxes.items()}
        frames = {k: Box(b.x + shift, b.y, b.width, b.height) for k, b in frames.items()}
        edges = {k: tuple((round(x + shift, 2), y) for x, y in pts) for k, pts in edges.items()}
    caption = Box(round((width - cap_w) / 2, 2), round(bottom + (10.0 if cap_h else 0.0), 2), round(cap_w, 2), round(cap_h, 2))
    height = round(caption.y + cap_h + _MARGIN, 2)
    return Layout(boxes=boxes, edges=edges, clusters=frames, caption=caption, width=width, height=height)


def _ranks(n, succ, pred):
    """Longest path from the sources; then nodes move up to just before their nearest consumer (see the docstring)."""
    indegree = [len(p) for p in pred]
    queue = [v for v in range(n) if not indegree[v]]
    rank, order = [0] * n, []
    i = 0
    while i < len(queue):
        v = queue[i]
        i += 1
        order.append(v)
        for w in succ[v]:
            rank[w] = max(rank[w], rank[v] + 1)
            indegree[w] -= 1
            if not indegree[w]:
                queue.append(w)
    if len(order) != n:
        raise ValueError("layered_layout: the scene's edges have a cycle; a computation graph has none")
    for v in reversed(order):       # later, next to the consumers, where that shortens more edges than it stretches
        if not succ[v]:
            continue
        target = min(rank[w] for w in succ[v]) - 1
        stuck = sum(1 for p in pred[v] if any(w != v for w in succ[p]))   # inputs that cannot follow v
        if target > rank[v] and len(succ[v]) > stuck:
            rank[v] = target
    low = min(rank, default=0)
    return [r - low for r in rank]


def _order(layers, up, down, cluster, cluster_ids):
    """Barycentre sweeps; clusters contiguous in each rank, in one order across ranks; fewest crossings wins."""
    where = {}

    def place(layers):
        for layer in layers:
            size = len(layer)
            for i, v in enumerate(layer):
                where[v] = (i + 0.5) / size

    def sort_layer(layer, neighbours, keys):
        bary = {}
        for v in layer:
            near = neighbours[v]
            bary[v] = sum(where[u] for u in near) / len(near) if near else where[v]
        group = {c: keys[c] for c in keys}
        return sorted(layer, key=lambda v: (group[cluster[v]] if cluster[v] is not None else bary[v],
                                            cluster_ids.get(cluster[v], -1), bary[v], where[v]))

    def cluster_keys():
        sums = {}
        for c in cluster_ids:
            sums[c] = [0.0, 0]
        for v, p in where.items():
            if cluster[v] is not None:
                sums[cluster[v]][0] += p
                sums[cluster[v]][1] += 1
        return {c: s / max(k, 1) for c, (s, k) in sums.items()}

    place(layers)
    best, best_crossings = [list(layer) for layer in layers], _crossings(layers, down)
    for sweep in range(_SWEEPS):
        keys = cluster_keys()
        sequence = range(1, len(layers)) if sweep % 2 == 0 else range(len(layers) - 2, -1, -1)
        neighbours = up if sweep % 2 == 0 else down
        for r in sequence:
            layers[r] = sort_layer(layers[r], neighbours, keys)
            place([layers[r]])
        crossings = _crossings(layers, down)
        if crossings < best_crossings:
            best, best_crossings = [list(layer) for layer in layers], crossings
    place(best)                                      # one cluster order for every rank
    keys = cluster_keys()
    return [sorted(layer, key=lambda v: (keys[cluster[v]] if cluster[v] is not None else where[v],
                                         cluster_ids.get(cluster[v], -1), where[v])) for layer in best]


def _crossings(layers, down):
    """Edge crossings between neighbouring ranks (inversions, counted by merge sort)."""
    total = 0
    for upper, lower in zip(layers, layers[1:]):
        at = {v: i for i, v in enumerate(lower)}
        ends = [p for v in upper for p in sorted(at[w] for w in down[v] if w in at)]
        total += _inversions(ends)
    return total


def _inversions(seq):
    """Pairs i < j with seq[i] > seq[j]."""
    seen, count = [], 0
    for x in seq:
        at = bisect.bisect_right(seen, x)
        count += len(seen) - at
        seen.insert(at, x)
    return count


def _cross_positions(layers, up, down, size, cluster, horizontal):
    """Position across the ranks for every item: pulled toward its neighbours, never overlapping.

    Variables: every item of every rank, plus a top and a bottom edge per
    cluster; constraints ``pos[b] >= pos[a] + d`` along each rank's order (a
    cluster's items between its top and bottom). The graph of constraints is
    acyclic because clusters have one order in all ranks. Each round pulls
    items toward the mean of their neighbours, then legalises twice (pushing
    down in topological order, pushing up in reverse) and averages the two.
    """
    total = len(size)
    names = sorted({c for c in cluster if c is not None})
    top = {c: total + 2 * i for i, c in enumerate(names)}
    bottom = {c: total + 2 * i + 1 for i, c in enumerate(names)}
    count = total + 2 * len(names)
    after = [[] for _ in range(count)]               # a -> [(b, d)]: pos[b] >= pos[a] + d
    head = _CLUSTER_PAD + (_CLUSTER_LABEL if horizontal else 0.0)

    def gap(a, b):
        return _NODE_GAP if size[a] > _DUMMY_SIZE and size[b] > _DUMMY_SIZE else _NODE_GAP / 2

    for layer in layers:
        prev, prev_half = None, 0.0                  # the last variable, and how far below it the next must start
        for i, v in enumerate(layer):
            c = cluster[v]
            entering = c is not None and (i == 0 or cluster[layer[i - 1]] != c)
            if entering:
                if prev is not None:
                    after[prev].append((top[c], prev_half + _CLUSTER_GAP))
                prev, prev_half = top[c], head
            if prev is not None:
                d = prev_half + size[v] / 2 + (gap(prev, v) if prev < total else 0.0)
                after[prev].append((v, d))
            prev, prev_half = v, size[v] / 2
            leaving = c is not None and (i == len(layer) - 1 or cluster[layer[i + 1]] != c)
            if leaving:
                after[v].append((bottom[c], size[v] / 2 + _CLUSTER_PAD))
                prev, prev_half = bottom[c], _CLUSTER_GAP
    for c in names:
        after[top[c]].append((bottom[c], head + _CLUSTER_PAD))
    before = [[] for _ in range(count)]
    indegree = [0] * count
    for a in range(count):
        for b, d in after[a]:
            before[b].append((a, d))
            indegree[b] += 1
    topo = [v for v in range(count) if not indegree[v]]
    i = 0
    while i < len(topo):
        for b, _ in after[topo[i]]:
            indegree[b] -= 1
            if not indegree[b]:
                topo.append(b)
        i += 1

    def legal(want):
        down_pass, up_pass = list(want), list(want)
        for v in topo:
            for a, d in before[v]:
                if down_pass[v] < down_pass[a] + d:
                    down_pass[v] = down_pass[a] + d
        for v in reversed(topo):
            for b, d in after[v]:
                if up_pass[v] > up_pass[b] - d:
                    up_pass[v] = up_pass[b] - d
        return [(p + q) / 2 for p, q in zip(down_pass, up_pass)]

    members = {c: [v for v in range(total) if cluster[v] == c] for c in names}

    def with_frames(pos):
        for c in names:                                # a frame wants to hug its members
            pos[top[c]] = min(pos[v] - size[v] / 2 for v in members[c]) - head
            pos[bottom[c]] = max(pos[v] + size[v] / 2 for v in members[c]) + _CLUSTER_PAD
        return pos

    pos = [0.0] * count
    for layer in layers:                               # packed from 0, then centred on each other
        at = 0.0
        for v in layer:
            pos[v] = at + size[v] / 2
            at += size[v] + _NODE_GAP
        for v in layer:
            pos[v] -= at / 2
    pos = legal(with_frames(pos))
    near = [(v, up[v] + down[v]) for v in range(total) if up[v] or down[v]]
    for _ in range(_ROUNDS):
        want = list(pos)
        for v, others in near:
            want[v] = 0.5 * pos[v] + 0.5 * sum([pos[u] for u in others]) / len(others)
        pos = legal(with_frames(want))
    low = min((pos[v] - size[v] / 2 for v in range(total)), default=0.0)
    low = min([low] + [pos[top[c]] for c in names])
    return [p - low + _MARGIN for p in pos[:total]]


def _straightened(points, main, tolerance=_STRAIGHTEN):
    """``points`` with the bends a straight line can replace within ``tolerance`` px across the forward pass.

    A trunk drifts by fractions of a pixel from rank to rank; its points, two per rank, would be repeated
    by every edge that shares it (a page quadratic in the graph's size). ``main`` is the axis of the
    forward pass (0: x, 1: y); the points move monotonically along it. Kept points are original ones, and
    the line between them stays within ``tolerance`` of the route everywhere (checked at every dropped
    point; both are straight in between), so it stays in the slots the route was given. One pass: the
    slopes from the last kept point that stay within ``tolerance`` of every point since form an interval.

    >>> _straightened(((0, 0), (1, 0), (2, 0.5), (3, 4), (4, 8)), main=0)
    ((0, 0), (2, 0.5), (4, 8))
    """
    cross = 1 - main
    direction = 1.0 if points[-1][main] >= points[0][main] else -1.0
    out = [points[0]]
    i, last = 1, None
    low, high = -math.inf, math.inf
    while i < len(points):
        anchor, p = out[-1], points[i]
        along = direction * (p[main] - anchor[main])
        slope = (p[cross] - anchor[cross]) / along if along > 0 else None
        if slope is not None and low <= slope <= high:
            low = max(low, (p[cross] - tolerance - anchor[cross]) / along)
            high = min(high, (p[cross] + tolerance - anchor[cross]) / along)
            last, i = i, i + 1
        elif last is None:                 # straight across the forward pass (or back): keep the point
            out.append(p)
            i += 1
        else:                              # the line to p would stray: the last point that fit is a bend
            out.append(points[last])
            last, low, high = None, -math.inf, math.inf
    if last is not None:
        out.append(points[last])
    return tuple(out)


def _apart(p, q, tolerance=0.5):
    """Whether points ``p`` and ``q`` are more than ``tolerance`` px apart (a bend worth a point)."""
    return abs(p[0] - q[0]) > tolerance or abs(p[1] - q[1]) > tolerance


def _clip(box, toward, ellipse):
    """The point where the line from ``box``'s centre toward ``toward`` leaves the box (or its inscribed ellipse)."""
    cx, cy = box.center
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    a, b = box.width / 2, box.height / 2
    if ellipse:
        t = 1 / math.sqrt((dx / a) ** 2 + (dy / b) ** 2)
    else:
        t = min(a / abs(dx) if dx else math.inf, b / abs(dy) if dy else math.inf)
    return cx + dx * t, cy + dy * t
