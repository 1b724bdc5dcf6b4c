"""A player's frames as pictures, drawn with Pillow, and the animated GIF of them.

:func:`save_gif` draws every frame of a :class:`~autograd.viz.player.Player`
from the player's one :class:`~autograd.viz.scene.Scene` and one layout
(:func:`~autograd.viz.layout.layered_layout`), so nothing moves between frames:
the tensors as boxes with their rows (name, shape, value in green, gradient in
red, as ``viz.draw`` and the SVG show them), the ops as circles and ellipses,
the arrows, the module clusters, the frame's highlighted node and active edges
in orange, and under the graph a panel with the frame counter ("frame 3 / 9"),
a progress bar and the frame's explanation, the same lines the HTML player
shows. The last frame is held longer, so a looping GIF pauses on the result.

Pillow comes with matplotlib (labgrad's ``[demos]`` extra); the text is set in
DejaVu Sans from matplotlib's own fonts when matplotlib is installed, else in
the scalable font Pillow bundles (Pillow 10.1 and later), always with Pillow's
basic text layout: the same input gives the same bytes.
"""
import dataclasses
import importlib.util
import io
import math
from pathlib import Path

from autograd.viz.files import write_atomically
from autograd.viz.layout import FONT_SIZES, PAD_X, caption_parts, line_height, node_rows, row_places
from autograd.viz.scene import (EDGE_COLOUR, GREEN, GREY, HIGHLIGHT, NONFINITE_COLOUR, RED, ZERO_COLOUR,
                                text_colour)
from autograd.viz.style import NODE_STYLE

__all__ = ["save_gif", "render_frames", "iter_frames", "INSTALL_PILLOW", "HOLD_LAST", "MAX_SIDE"]

#: what to run when Pillow is missing (labgrad is installed from its repository folder, not from PyPI)
INSTALL_PILLOW = "pip install -e '.[demos]'"
#: the last frame stays this many times ``frame_ms`` on screen: a looping GIF pauses on the result
HOLD_LAST = 4

ZOOM = 1.5                        # the layout's px (11-12 px text, as in the SVG) times this: 16-18 px text
SUPERSAMPLE = 2                   # drawn at twice that, then reduced: smooth lines, circles and arrowheads
MAX_SUPERSAMPLED_PIXELS = 24e6    # above this (huge graphs) drawn once at the final size: memory and time
PALETTE_SAMPLE = 8                # frames drawn to choose the GIF's 256 colours
#: a GIF is at most this many pixels wide and high: a bigger graph is drawn smaller (all of it, smaller text)
MAX_SIDE = 1600
PANEL_TEXT, PANEL_HEAD = 11, 12   # explanation lines and step header, in layout px
PANEL_MIN_WIDTH = 420             # the picture is at least this wide (layout px), for the panel,
PANEL_MAX_TEXT = 600              # and as wide as the longest explanation line up to this; longer ones wrap
MARGIN = 10
INK, PANEL_FILL, RULE, BAR_FILL = "#24292f", "#f6f8fa", "#c8c8c8", "#d0d7de"
CLUSTER_COLOUR, CLUSTER_TEXT = "#888888", "#555555"


def _plain(edge):
    """``edge`` without color_by_grad's colour, width and label (as the page draws it before the final frame)."""
    return dataclasses.replace(edge, color=None, width=None, dashed=False, grad_label=None)


def save_gif(player, path, *, frame_ms=900):
    """Write ``player``'s frames to ``path`` as an animated GIF (one image per frame, looping).

    Parameters
    ----------
    player : autograd.viz.player.Player
        What ``viz.player(...)`` returns (``.scene``, ``.layout``, ``.frames``).
    path : str or os.PathLike
        The GIF file. It appears complete or not at all: the frames are drawn
        and reduced to 256 colours one at a time (only the small 256-colour
        frames are kept), written to a temporary file beside it that is renamed.
        A graph wider or taller than :data:`MAX_SIDE` px is drawn smaller to fit.
    frame_ms : int
        Milliseconds each frame shows; the last one shows :data:`HOLD_LAST` times as long.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ImportError
        Without Pillow, naming the extra to install (:data:`INSTALL_PILLOW`).
    TypeError, ValueError
        For a ``player`` that is not a player, or ``frame_ms`` that is not a positive number.
    """
    if isinstance(frame_ms, bool) or not isinstance(frame_ms, (int, float)) or not frame_ms > 0:
        raise ValueError(f"save_gif: frame_ms must be a positive number of milliseconds, got {frame_ms!r}")
    painter = _painter(player)                               # checks the player, and that Pillow is there
    Image = painter.Image
    path = Path(path)
    count = len(painter.frames)
    durations = [int(frame_ms)] * (count - 1) + [int(frame_ms * HOLD_LAST)]
    # the palette from a sample of the frames (the first, the last and some between, each drawn, reduced
    # and dropped): the blends of colours all frames use; drawing all of them twice would double the time
    sample = sorted({round(i * (count - 1) / (PALETTE_SAMPLE - 1)) for i in range(PALETTE_SAMPLE)})
    palette = _shared_palette((painter.draw(k) for k in sample), _key_colours(player.scene), Image)
    # one full-colour frame at a time: a big graph's frames would not all fit in memory (gigabytes)
    frames = (painter.draw(k).quantize(palette=palette, dither=Image.Dither.NONE) for k in range(count))
    buffer = io.BytesIO()
    next(frames).save(buffer, format="GIF", save_all=True, append_images=frames, duration=durations, loop=0)
    return write_atomically(path, buffer.getvalue())


def render_frames(player):
    """The frames of ``player`` as Pillow RGB images, all of one size, in order.

    >>> from autograd import Tensor, viz
    >>> x = Tensor(2.0, requires_grad=True, name="x")
    >>> p = viz.player(x * x, names=locals())
    >>> images = render_frames(p)
    >>> len(images) == len(p.frames), len({im.size for im in images})
    (True, 1)
    """
    return list(iter_frames(player))


def iter_frames(player):
    """The frames of ``player`` as Pillow RGB images, drawn one by one as they are asked for.

    >>> from autograd import Tensor, viz
    >>> x = Tensor(2.0, requires_grad=True, name="x")
    >>> first = next(iter_frames(viz.player(x * x, names=locals())))
    >>> first.mode
    'RGB'
    """
    painter = _painter(player)
    return (painter.draw(k) for k in range(len(painter.frames)))


def _painter(player):
    Image = _pillow()
    for attribute in ("scene", "layout", "frames"):
        if not hasattr(player, attribute):
            raise TypeError(f"save_gif: expected a Player (viz.player(...)), got {type(player).__name__}")
    frames = tuple(player.frames)
    if not frames:
        raise ValueError("save_gif: the player has no frames")
    return _Painter(player.scene, player.layout, frames, Image)


# --- Pillow and fonts -----------------------------------------------------------------------

def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("save_gif: writing a GIF needs Pillow, which is not installed; it comes with "
                          f"labgrad's [demos] extra: from the labgrad repository folder run {INSTALL_PILLOW}"
                          ) from None
    return Image


def _font_files():
    """{style: path} of DejaVu Sans (regular, bold, mono) among matplotlib's fonts, or {} without matplotlib."""
    spec = importlib.util.find_spec("matplotlib")          # found without importing matplotlib (slow)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        ttf = Path(folder) / "mpl-data" / "fonts" / "ttf"
        files = {"regular": ttf / "DejaVuSans.ttf", "bold": ttf / "DejaVuSans-Bold.ttf",
                 "mono": ttf / "DejaVuSansMono.ttf"}
        if all(f.is_file() for f in files.values()):
            return {style: str(f) for style, f in files.items()}
    return {}


_FONTS = {}


def _font(size, style="regular"):
    """A scalable font of ``size`` px: DejaVu Sans (matplotlib's), else Pillow's own (10.1+); cached."""
    key = (round(size, 2), style)
    if key not in _FONTS:
        from PIL import ImageFont
        files = _font_files()
        if files:
            _FONTS[key] = ImageFont.truetype(files[style], key[0], layout_engine=ImageFont.Layout.BASIC)
        else:
            _FONTS[key] = ImageFont.load_default(size=key[0])
    return _FONTS[key]


# --- drawing ------------------------------------------------------------------------------------

def _shared_palette(images, key_colours, Image):
    """One 256-colour palette for every frame (no colour flicker between frames, a smaller file).

    ``images`` may be a generator: each image is reduced as it comes, and only the reduced copy is kept.

    The picture's own colours (``key_colours``: white, ink, green, red, orange, the fills...) are in it
    exactly, so text and boxes keep their colours; the rest of the palette is a median cut of all
    frames side by side, for the antialiased edges in between.
    """
    keys = list(dict.fromkeys(_rgb(c) for c in key_colours))[:128]
    small = [im.reduce(3) if min(im.size) >= 6 else im for im in images]     # a sample of the pixels is enough
    sheet = Image.new("RGB", (sum(im.width for im in small), max(im.height for im in small)), "white")
    x = 0
    for im in small:
        sheet.paste(im, (x, 0))
        x += im.width
    rest = sheet.quantize(colors=256 - len(keys), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    extra = rest.getpalette()[:3 * (256 - len(keys))]
    extra = [rgb for rgb in zip(extra[0::3], extra[1::3], extra[2::3])        # Pillow maps each pixel to a
             if min(sum(abs(a - b) for a, b in zip(rgb, key)) for key in keys) > 12]   # near one: keep keys exact
    colours = [c for rgb in keys + extra for c in rgb]
    palette = Image.new("P", (1, 1))
    palette.putpalette(colours + [255] * (768 - len(colours)))
    return palette


def _rgb(colour):
    """``"#1a7f37"`` or ``"white"`` as an (r, g, b) tuple."""
    from PIL import ImageColor
    return ImageColor.getrgb(colour)[:3]


def _slots(lines, count):
    """``lines`` in ``count`` rows, as the HTML player fills them: the last row holds what is left over."""
    if count <= 0:
        return []
    rows = [lines[i] if i < len(lines) else "" for i in range(count - 1)]
    return rows + [" ".join(lines[count - 1:])]


class _Painter:
    """Draws frame ``k`` of a player; every size that must not change between frames is fixed here, once.

    Coordinates are the layout's px (``u``); :meth:`_p` turns them into the image's pixels.
    """

    def __init__(self, scene, layout, frames, Image):
        from PIL import ImageDraw
        self.Image, self.ImageDraw = Image, ImageDraw
        self.scene, self.layout, self.frames = scene, layout, frames
        self.rows = {n.key: node_rows(n) for n in scene.nodes}     # the SVG's rows: one per line of the scene
        mono = _font(PANEL_TEXT, "mono")
        widest = max((mono.getlength(str(line)) for f in frames for line in f.explanation or ()), default=0.0)
        # the graph at ZOOM, or smaller to fit MAX_SIDE (a big graph: complete, with smaller text); the panel
        # under it always at ZOOM, so the step's explanation stays readable
        graph_u = (max(float(layout.width), 1.0), float(layout.height))
        self.graph_zoom = min(ZOOM, MAX_SIDE / graph_u[0], MAX_SIDE / max(graph_u[1], 1.0))
        graph_px = (graph_u[0] * self.graph_zoom, graph_u[1] * self.graph_zoom)
        panel_u = max(graph_px[0] / ZOOM, PANEL_MIN_WIDTH + 2 * MARGIN, min(widest, PANEL_MAX_TEXT) + 4 * MARGIN)
        self.panel_width = panel_u
        self.text_width = panel_u - 4 * MARGIN                    # inside the panel
        self.explanations = [self._wrap(f.explanation) for f in frames]
        lines = max(len(e) for e in self.explanations)
        self.panel_height = 2 * MARGIN + line_height(PANEL_HEAD) + 14 + lines * line_height(PANEL_TEXT)
        width = max(graph_px[0], panel_u * ZOOM)                  # the final image's px
        height = graph_px[1] + (self.panel_height + MARGIN) * ZOOM
        fits = width * height * SUPERSAMPLE ** 2 <= MAX_SUPERSAMPLED_PIXELS
        self.supersample = SUPERSAMPLE if fits else 1
        self.size = (round(width) * self.supersample, round(height) * self.supersample)
        # where the graph and the panel go: (scale, x offset, y offset) from layout px to the drawing's px
        self.graph_place = (self.graph_zoom * self.supersample, (width - graph_px[0]) / 2 * self.supersample, 0.0)
        self.panel_place = (ZOOM * self.supersample, (width - panel_u * ZOOM) / 2 * self.supersample,
                            graph_px[1] * self.supersample)
        self.scale, self.ox, self.oy = self.graph_place

    def _p(self, x, y):
        return x * self.scale + self.ox, y * self.scale + self.oy

    def _wrap(self, explanation):
        """The explanation as lines that fit the panel (long ones broken at spaces, the rest indented)."""
        font, out = _font(PANEL_TEXT, "mono"), []
        for line in explanation or ():
            current = ""
            for word in str(line).split(" "):
                candidate = f"{current} {word}" if current else word
                if current.strip() and font.getlength(candidate) > self.text_width:
                    out.append(current)
                    current = "    " + word
                else:
                    current = candidate
            out.append(current)
        return out

    def draw(self, k):
        frame = self.frames[k]
        im = self.Image.new("RGB", self.size, "white")
        d = self.ImageDraw.Draw(im)
        self.scale, self.ox, self.oy = self.graph_place    # the graph, centred, at its zoom
        for path, label in self.scene.clusters:
            if path in self.layout.clusters:
                self._cluster(d, self.layout.clusters[path], label)
        active = {tuple(e) for e in frame.edges}
        graded = frame.kind == "final"                     # color_by_grad's colours: once every gradient is known
        for e in sorted(self.scene.edges, key=lambda e: (e.source, e.target) in active):   # active ones on top
            points = self.layout.edges.get((e.source, e.target))
            if points:
                self._edge(d, e if graded else _plain(e), points, (e.source, e.target) in active)
        highlight = set(frame.highlight)
        for n in self.scene.nodes:
            if n.key in self.layout.boxes:
                self._node(d, n, self.layout.boxes[n.key], frame, n.key in highlight)
        self._caption(d)
        self.scale, self.ox, self.oy = self.panel_place    # the panel under it, at ZOOM
        self._panel(d, frame, k)
        if self.supersample != 1:
            im = im.reduce(self.supersample)             # a box filter: each pixel the mean of 2 x 2
        return im

    # --- primitives, in layout px ---------------------------------------------------------------

    def _text(self, d, x, y, text, size, fill, style="regular", anchor="la"):
        if text:
            d.text(self._p(x, y), text, font=_font(size * self.scale, style), fill=fill, anchor=anchor)

    def _width(self, px):
        return max(1, round(px * self.scale))

    def _line(self, d, points, fill, width, dashed=False):
        if not dashed:
            d.line([self._p(x, y) for x, y in points], fill=fill, width=self._width(width), joint="curve")
            return
        dash, gap = 4.0, 3.0
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            length = math.hypot(x1 - x0, y1 - y0)
            at = 0.0
            while at < length:
                a, b = at / length, min(at + dash, length) / length
                d.line([self._p(x0 + a * (x1 - x0), y0 + a * (y1 - y0)),
                        self._p(x0 + b * (x1 - x0), y0 + b * (y1 - y0))], fill=fill, width=self._width(width))
                at += dash + gap

    def _box(self, box):
        return [*self._p(box.x, box.y), *self._p(box.x + box.width, box.y + box.height)]

    # --- the pieces -----------------------------------------------------------------------------

    def _cluster(self, d, box, label):
        x0, y0, x1, y1 = box.x, box.y, box.x + box.width, box.y + box.height
        self._line(d, [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], CLUSTER_COLOUR, 1, dashed=True)
        self._text(d, x0 + 5, y0 + 3, label, FONT_SIZES["cluster"], CLUSTER_TEXT)

    def _edge(self, d, e, points, active):
        colour = HIGHLIGHT if active else (e.color or EDGE_COLOUR)
        width = 2.5 if active else (e.width or 1.0)
        (x0, y0), (x1, y1) = points[-2], points[-1]
        length = max(math.hypot(x1 - x0, y1 - y0), 1e-9)
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        size = 7.0 if active else 6.0                      # the arrowhead, its tip on the target's border
        base = (x1 - size * ux, y1 - size * uy)
        self._line(d, list(points[:-1]) + [base], colour, width, dashed=e.dashed and not active)
        head = [(x1, y1), (base[0] + size * 0.45 * uy, base[1] - size * 0.45 * ux),
                (base[0] - size * 0.45 * uy, base[1] + size * 0.45 * ux)]
        d.polygon([self._p(x, y) for x, y in head], fill=colour)
        if e.label:                                        # which argument: beside the arrowhead
            self._text(d, x1 - 12 * ux + 7 * uy, y1 - 12 * uy - 7 * ux, e.label, FONT_SIZES["edge-label"], GREY,
                       anchor="mm")
        if e.grad_label:                                   # color_by_grad: mean |grad| halfway
            i = len(points) // 2
            (ax, ay), (bx, by) = points[i - 1], points[i]
            self._text(d, (ax + bx) / 2, (ay + by) / 2 - 6, e.grad_label, FONT_SIZES["edge-label"],
                       e.color or GREY, anchor="mm")

    def _node(self, d, n, box, frame, highlighted):
        fill, border, width, dashed = NODE_STYLE[n.kind]            # as the SVG draws it
        if highlighted:
            border, width, dashed = HIGHLIGHT, 2.5, False
        rows = self.rows[n.key]
        if n.kind == "op":
            d.ellipse(self._box(box), fill=fill, outline=border, width=self._width(width))
            texts = [(cls, text, size, bold, INK if cls == "title" else GREY) for cls, text, size, bold in rows]
        else:
            d.rounded_rectangle(self._box(box), radius=5 * self.scale, fill=fill,
                                outline=None if dashed else border, width=self._width(width))
            if dashed:
                x0, y0, x1, y1 = box.x, box.y, box.x + box.width, box.y + box.height
                self._line(d, [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], border, 1, dashed=True)
            shown = {"value": _slots(_lines(frame.values.get(n.key)), sum(r[0] == "value" for r in rows)),
                     "grad": _slots(_lines(frame.grads.get(n.key)), sum(r[0] == "grad" for r in rows))}
            texts = []
            for cls, text, size, bold in rows:
                if cls in shown:
                    text = shown[cls].pop(0)
                colour = {"value": GREEN, "grad": RED}.get(cls, GREY if cls == "meta" or n.kind == "constant"
                                                           else INK)
                texts.append((cls, text, size, bold, colour))
        places, rule = row_places(texts, box)                      # where the SVG puts them
        if rule is not None:                                       # draw's <HR/>
            self._line(d, [(box.x + 3, rule), (box.x + box.width - 3, rule)], RULE, 1)
        cx = box.x + box.width / 2
        for (cls, text, size, bold, colour), centre in places:
            style = "bold" if bold else "regular"
            fitted = _fitted(text, size, style, box.width - PAD_X)
            self._text(d, cx, centre, text, fitted, colour, style, "mm")

    def _caption(self, d):
        """The caption and legend, placed as the SVG places them (:func:`~autograd.viz.layout.caption_parts`)."""
        size = FONT_SIZES["caption"]
        _, _, texts, marks = caption_parts(self.scene)
        ox, oy = self.layout.caption.x, self.layout.caption.y
        for mark in marks:
            if mark[0] == "rect":
                _, x, y, w, h, colour = mark
                d.rectangle([*self._p(ox + x, oy + y), *self._p(ox + x + w, oy + y + h)], fill=colour)
            else:
                _, x0, y, x1, colour, width, dashed = mark
                self._line(d, [(ox + x0, oy + y), (ox + x1, oy + y)], colour, width, dashed=dashed)
        for x, y, text, colour in texts:
            self._text(d, ox + x, oy + y, text, size, colour, anchor="mm")

    def _panel(self, d, frame, k):
        x, y = MARGIN, 0.0
        w = self.panel_width - 2 * MARGIN
        d.rounded_rectangle([*self._p(x, y), *self._p(x + w, y + self.panel_height)], radius=6 * self.scale,
                            fill=PANEL_FILL, outline=BAR_FILL, width=self._width(1))
        tx, ty = x + MARGIN, y + MARGIN
        n = len(self.frames)
        head = f"frame {k + 1} / {n}"
        self._text(d, tx, ty + line_height(PANEL_HEAD) / 2, head, PANEL_HEAD, INK, "bold", "lm")
        offset = _font(PANEL_HEAD, "bold").getlength(head + "  ")
        title = _fit(frame.title or "", _font(PANEL_HEAD), w - 2 * MARGIN - offset)
        self._text(d, tx + offset, ty + line_height(PANEL_HEAD) / 2, title, PANEL_HEAD, INK, anchor="lm")
        ty += line_height(PANEL_HEAD) + 4
        bar = w - 2 * MARGIN                               # progress: k + 1 of n frames
        d.rounded_rectangle([*self._p(tx, ty), *self._p(tx + bar, ty + 4)], radius=2 * self.scale, fill=BAR_FILL)
        d.rounded_rectangle([*self._p(tx, ty), *self._p(tx + max(4.0, bar * (k + 1) / n), ty + 4)],
                            radius=2 * self.scale, fill=HIGHLIGHT)
        ty += 10
        for line in self.explanations[k]:
            self._text(d, tx, ty + line_height(PANEL_TEXT) / 2, line, PANEL_TEXT, INK, "mono", "lm")
            ty += line_height(PANEL_TEXT)


def _key_colours(scene):
    """Every colour the pictures of ``scene`` are drawn in."""
    fixed = ["white", INK, GREEN, RED, GREY, HIGHLIGHT, EDGE_COLOUR, PANEL_FILL, RULE, BAR_FILL, CLUSTER_COLOUR,
             CLUSTER_TEXT, ZERO_COLOUR, NONFINITE_COLOUR, *(c for style in NODE_STYLE.values() for c in style[:2])]
    drawn = [e.color for e in scene.edges if e.color] + [c for _, c in scene.legend]
    return fixed + sorted(set(drawn)) + sorted({text_colour(c) for _, c in scene.legend})


def _lines(text):
    return [] if text is None else str(text).split("\n")


def _fitted(text, size, style, room):
    """The font size at which ``text`` fits ``room`` px: the layout sized the boxes with Helvetica's widths,
    narrower than DejaVu's (digits by about 12%), so a line that fills its box is set a little smaller."""
    actual = _font(size, style).getlength(text)
    return size if actual <= room or not actual else size * room / actual


def _fit(text, font, width):
    """``text`` cut with "…" to fit ``width`` px of ``font``."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"
