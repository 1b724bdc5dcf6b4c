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

from autograd.viz.layout import FONT_SIZES, caption_parts, node_rows, row_places
from autograd.viz.scene import EDGE_COLOUR, GREEN, GREY, HIGHLIGHT, RED
from autograd.viz.style import NODE_STYLE

__all__ = ["render_svg", "FONT_FAMILY"]

FONT_FAMILY = "Helvetica, Arial, 'Liberation Sans', sans-serif"
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
    places, rule = row_places(node_rows(node), box)
    if rule is not None:
        parts.append(f'<line class="separator" x1="{_num(box.x)}" y1="{_num(rule)}" x2="{_num(box.x + box.width)}" '
                     f'y2="{_num(rule)}" stroke="{stroke}" stroke-width="0.75"/>')
    for (cls, text, size, bold), centre in places:
        colour = GREY if node.kind == "constant" and cls in ("title", "meta") else _TEXT_COLOUR[cls]
        if node.kind == "op":
            colour = "#000000" if cls == "title" else "#333333"
        weight = ' font-weight="bold"' if bold else ""
        parts.append(f'<text class="{cls}" x="{_num(cx)}" y="{_num(centre + size * 0.35)}" '
                     f'text-anchor="middle" font-size="{_num(size)}" fill="{colour}"{weight} '
                     f'xml:space="preserve">{_esc(text)}</text>')
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
    _, _, texts, marks = caption_parts(scene)
    ox, oy = layout.caption.x, layout.caption.y
    parts = ['<g class="caption">']
    for mark in marks:
        if mark[0] == "rect":
            _, x, y, w, h, colour = mark
            parts.append(f'<rect x="{_num(ox + x)}" y="{_num(oy + y)}" width="{_num(w)}" height="{_num(h)}" '
                         f'fill="{colour}"/>')
        else:
            _, x0, y, x1, colour, width, dashed = mark
            dash = ' stroke-dasharray="5,3"' if dashed else ""
            parts.append(f'<line x1="{_num(ox + x0)}" y1="{_num(oy + y)}" x2="{_num(ox + x1)}" y2="{_num(oy + y)}" '
                         f'stroke="{colour}" stroke-width="{_num(width)}"{dash}/>')
    for x, y, text, colour in texts:
        parts.append(f'<text x="{_num(ox + x)}" y="{_num(oy + y + size * 0.35)}" text-anchor="middle" '
                     f'font-size="{_num(size)}" fill="{colour}">{_esc(text)}</text>')
    parts.append("</g>")
    return "".join(parts)
