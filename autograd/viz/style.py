"""How labgrad's own pictures look: the node styles both the SVG (:mod:`autograd.viz.svg`) and the GIF
(:mod:`autograd.viz.raster`) draw with, so the two cannot disagree.

>>> NODE_STYLE["parameter"]
('#dbe8f7', '#222222', 1.0, False)
"""
__all__ = ["NODE_STYLE"]

NODE_STYLE = {  # kind: (fill, stroke, stroke width, dashed)
    "output": ("#fff1b8", "#222222", 2.0, False),
    "parameter": ("#dbe8f7", "#222222", 1.0, False),
    "intermediate": ("#ffffff", "#222222", 1.0, False),
    "constant": ("#ffffff", "#999999", 1.0, True),
    "op": ("#eeeeee", "#aaaaaa", 1.0, False),
}
"""Fill, border colour, border width and dashing of each node kind, as ``viz.draw`` styles them."""
