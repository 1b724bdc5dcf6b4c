"""A scene and its layout as SVG text: the picture of a graph without Graphviz's ``dot``.

The drawing follows ``viz.draw``'s: tensors are boxes with rounded corners
(name, shape, the value in green, a line, the gradient in red), ops are grey
ellipses (infix ops such as ``+`` circles), modules are dashed frames with
their name, and the caption and ``color_by_grad`` legend sit underneath.

The SVG is self-contained (no fonts, images, scripts or links from
elsewhere), deterministic (the same graph gives the same bytes) and made for
scripts to animate: every node is ``<g id="{id_prefix}-{key}" class="node
{kind}">`` with one ``<text>`` per line of class ``title``, ``meta``,
``value`` or ``grad`` (present even when empty), every edge a ``<path
id="{id_prefix}-e-{source}-{target}" class="edge">`` (the arrowhead is part of
the path), every module frame a ``<g class="cluster">``.

>>> from autograd import Tensor
>>> from autograd.viz.scene import build_scene
>>> from autograd.viz.layout import layered_layout
>>> x = Tensor(-2.0, requires_grad=True, name="x")
>>> f = x * 3.0
>>> scene = build_scene(f, names=locals())
>>> svg = render_svg(scene, layered_layout(scene))
>>> svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and 'id="g-t0" class="node parameter"' in svg
True
"""
import html

from autograd.viz.layout import FONT_SIZES, SEPARATOR, line_height, node_rows, text_width
from autograd.viz.scene import (EDGE_COLOUR, GRAD_SCALE_LEGEND, GREEN, GREY, HIGHLIGHT, NONFINITE_COLOUR, RED,
                                ZERO_COLOUR, text_colour)

__all__ = ["render_svg", "FONT_FAMILY", "NODE_STYLE"]

FONT_FAMILY = "Helvetica, Arial, 'Liberation Sans', sans-serif"
NODE_STYLE = {  # kind: (fill, stroke, stroke width, dashed)
    "output": ("#fff1b8", "#222222", 2.0, False),
    "parameter": ("#dbe8f7", "#222222", 1.0, False),
    "intermediate": ("#ffffff", "#222222", 1.0, False),
    "constant": ("#ffffff", "#999999", 1.0, True),
    "op": ("#eeeeee", "#aaaaaa", 1.0, False),
}
"""Fill, border colour, border width and dashing of each node kind, as ``draw`` styles them."""
_TEXT_COLOUR = {"title": "#000000", "meta": GREY, "value": GREEN, "grad": RED}
_ARROW = 7.0                # arrowhead length, px


def _num(v):
    """A coordinate as short, stable text: 2 decimals at most, no trailing zeros."""
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _esc(text):
    return html.escape(text, quote=True)


def render_svg(scene, layout, *, id_prefix="g"):
    """The SVG text of ``scene`` drawn at the places ``layout`` gives.

    Parameters
    ----------
    scene : Scene
        From :func:`~autograd.viz.scene.build_scene`.
    layout : Layout
        From :func:`~autograd.viz.layout.layered_layout` of the same scene.
    id_prefix : str
        Starts every ``id`` in the SVG, so several pictures can share one page.

    Returns
    -------
    str
        An ``<svg>`` element (no XML declaration, so it can go inline in HTML
        as it is; :func:`autograd.viz.save` adds one to files).
    """
    if not isinstance(id_prefix, str) or not id_prefix or any(c in id_prefix for c in " \"'<>&"):
        raise ValueError(f"render_svg: id_prefix must be a non-empty string without spaces, quotes, <, > or &; "
                         f"got {id_prefix!r}")
    w, h = _num(layout.width), _num(layout.height)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{_esc(id_prefix)}" class="labgrad-graph" width="{w}" '
           f'height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}">',
           f'<rect class="background" x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>']
    out.append('<g class="clusters">')
    for i, (path, label) in enumerate(scene.clusters):
        box = layout.clusters[path]
        out.append(f'<g class="cluster" id="{_esc(id_prefix)}-c{i}" data-module="{_esc(path)}">'
                   f'<rect x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.width)}" height="{_num(box.height)}" '
                   f'rx="8" fill="#fafafa" stroke="#888888" stroke-dasharray="5,3"/>'
                   f'<text x="{_num(box.x + 8)}" y="{_num(box.y + 4 + FONT_SIZES["cluster"])}" '
                   f'font-size="{_num(FONT_SIZES["cluster"])}" fill="#555555">{_esc(label)}</text></g>')
    out.append("</g>")
    out.append('<g class="edges">')
    labels = []
    for e in scene.edges:
        points = layout.edges[(e.source, e.target)]
        colour = e.color or EDGE_COLOUR
        width = e.width or 1.0
        dash = ' stroke-dasharray="5,3"' if e.dashed else ""
        out.append(f'<path id="{_esc(id_prefix)}-e-{_esc(e.source)}-{_esc(e.target)}" class="edge" '
                   f'd="{_edge_path(points, width)}" fill="none" stroke="{colour}" stroke-width="{_num(width)}"'
                   f'{dash} stroke-linecap="round" stroke-linejoin="round"/>')
        if e.label is not None:
            labels.append(_edge_text(_near_end(points), e.label, GREY))
        if e.grad_label is not None:
            labels.append(_edge_text(_middle(points), e.grad_label, colour))
    out.append("</g>")
    if labels:
        out.append('<g class="edge-labels">' + "".join(labels) + "</g>")
    out.append('<g class="nodes">')
    for node in scene.nodes:
        out.append(_node(node, layout.boxes[node.key], id_prefix))
    out.append("</g>")
    out.append(_caption(scene, layout))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _node(node, box, id_prefix):
    fill, stroke, stroke_width, dashed = NODE_STYLE[node.kind]
    classes = f"node {node.kind}" + (" highlighted" if node.highlighted else "")
    if node.highlighted:
        stroke, stroke_width = HIGHLIGHT, 3.0
    parts = [f'<g id="{_esc(id_prefix)}-{_esc(node.key)}" class="{classes}">']
    style = (f'fill="{fill}" stroke="{stroke}" stroke-width="{_num(stroke_width)}"'
             + (' stroke-dasharray="4,3"' if dashed else ""))
    cx, cy = box.center
    if node.kind != "op":
        parts.append(f'<rect class="shape" x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.width)}" '
                     f'height="{_num(box.height)}" rx="6" {style}/>')
    elif box.width == box.height:
        parts.append(f'<circle class="shape" cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(box.width / 2)}" {style}/>')
    else:
        parts.append(f'<ellipse class="shape" cx="{_num(cx)}" cy="{_num(cy)}" rx="{_num(box.width / 2)}" '
                     f'ry="{_num(box.height / 2)}" {style}/>')
    rows = node_rows(node)
    grads = sum(cls == "grad" for cls, *_ in rows)
    separator = SEPARATOR if grads and grads < len(rows) else 0.0
    content = sum(line_height(size) for _, _, size, _ in rows) + separator
    y = cy - content / 2
    for i, (cls, text, size, bold) in enumerate(rows):
        if cls == "grad" and separator and rows[i - 1][0] != "grad":
            parts.append(f'<line class="separator" x1="{_num(box.x)}" y1="{_num(y + separator / 2)}" '
                         f'x2="{_num(box.x + box.width)}" y2="{_num(y + separator / 2)}" stroke="{stroke}" '
                         f'stroke-width="0.75"/>')
            y += separator
        colour = GREY if node.kind == "constant" and cls in ("title", "meta") else _TEXT_COLOUR[cls]
        if node.kind == "op":
            colour = "#000000" if cls == "title" else "#333333"
        weight = ' font-weight="bold"' if bold else ""
        lh = line_height(size)
        parts.append(f'<text class="{cls}" x="{_num(cx)}" y="{_num(y + lh / 2 + size * 0.35)}" '
                     f'text-anchor="middle" font-size="{_num(size)}" fill="{colour}"{weight} '
                     f'xml:space="preserve">{_esc(text)}</text>')
        y += lh
    parts.append("</g>")
    return "".join(parts)


def _edge_path(points, width):
    """A polyline with rounded bends (quadratic curves through the midpoints), ending in an open arrowhead."""
    (x0, y0), rest = points[0], points[1:]
    d = [f"M{_num(x0)},{_num(y0)}"]
    for (ax, ay), (bx, by) in zip(points[1:-1], points[2:]):
        d.append(f"Q{_num(ax)},{_num(ay)} {_num((ax + bx) / 2)},{_num((ay + by) / 2)}")
    tx, ty = rest[-1]
    d.append(f"L{_num(tx)},{_num(ty)}")
    fx, fy = points[-2]
    length = ((tx - fx) ** 2 + (ty - fy) ** 2) ** 0.5 or 1.0
    ux, uy = (tx - fx) / length, (ty - fy) / length
    size = _ARROW + width                                # wider lines, bigger heads
    bx, by = tx - ux * size, ty - uy * size
    px, py = -uy * size * 0.45, ux * size * 0.45
    d.append(f"M{_num(bx + px)},{_num(by + py)} L{_num(tx)},{_num(ty)} L{_num(bx - px)},{_num(by - py)}")
    return " ".join(d)


def _near_end(points):
    (fx, fy), (tx, ty) = points[-2], points[-1]
    length = ((tx - fx) ** 2 + (ty - fy) ** 2) ** 0.5 or 1.0
    ux, uy = (tx - fx) / length, (ty - fy) / length
    back = min(14.0, length / 2)
    return tx - ux * back - uy * 7, ty - uy * back + ux * 7 - 3


def _middle(points):
    if len(points) % 2:
        return points[len(points) // 2]
    (ax, ay), (bx, by) = points[len(points) // 2 - 1], points[len(points) // 2]
    return (ax + bx) / 2, (ay + by) / 2 - 3


def _edge_text(at, text, colour):
    size = FONT_SIZES["edge-label"]
    return (f'<text class="edge-label" x="{_num(at[0])}" y="{_num(at[1])}" text-anchor="middle" '
            f'font-size="{_num(size)}" fill="{colour}" stroke="#ffffff" stroke-width="3" '
            f'paint-order="stroke">{_esc(text)}</text>')


def _caption(scene, layout):
    """Caption and legend lines, centred under the graph; color_by_grad's key as a row of swatches."""
    size = FONT_SIZES["caption"]
    lh = line_height(size)
    mid = layout.width / 2
    y = layout.caption.y
    parts = ['<g class="caption">']
    swatch_names = {t for t, _ in GRAD_SCALE_LEGEND}
    lines = ([(scene.caption, GREY)] if scene.caption else []) + [
        (line, colour) for text, colour in scene.legend if text not in swatch_names for line in text.splitlines()]
    for text, colour in lines:
        parts.append(f'<text x="{_num(mid)}" y="{_num(y + lh / 2 + size * 0.35)}" text-anchor="middle" '
                     f'font-size="{_num(size)}" fill="{colour or GREY}">{_esc(text)}</text>')
        y += lh
    swatches = [(t, c) for t, c in scene.legend if t in swatch_names]
    if swatches:
        y += 4
        widths = [max(60.0, max(text_width(line, size) for line in t.splitlines()) + 8) for t, _ in swatches]
        x = mid - (sum(widths) + 2 * (len(widths) - 1)) / 2
        cell_h = 2 * lh + 6
        line_samples = {ZERO_COLOUR: ("5,3", 1.5), NONFINITE_COLOUR: (None, 3.0), EDGE_COLOUR: (None, 1.0)}
        for (text, colour), cw in zip(swatches, widths):
            lines = text.splitlines()
            if colour in line_samples:
                dash, width = line_samples[colour]
                dash = f' stroke-dasharray="{dash}"' if dash else ""
                parts.append(f'<line x1="{_num(x + 12)}" y1="{_num(y + lh / 2 + 2)}" x2="{_num(x + cw - 12)}" '
                             f'y2="{_num(y + lh / 2 + 2)}" stroke="{colour}" stroke-width="{_num(width)}"{dash}/>')
                lines, ink, top = lines, GREY, y + lh + 3
            else:
                parts.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(cw)}" height="{_num(cell_h)}" '
                             f'fill="{colour}"/>')
                ink = text_colour(colour)
                top = y + (cell_h - len(lines) * lh) / 2
            for k, line in enumerate(lines):
                parts.append(f'<text x="{_num(x + cw / 2)}" y="{_num(top + k * lh + lh / 2 + size * 0.35)}" '
                             f'text-anchor="middle" font-size="{_num(size)}" fill="{ink}">{_esc(line)}</text>')
            x += cw + 2
    parts.append("</g>")
    return "".join(parts)
