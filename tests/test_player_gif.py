"""``player.save("x.gif")``: one image per frame, one size, readable, deterministic; without Pillow a clear error."""
import sys

import numpy as np
import pytest

from autograd import Tensor, viz
from autograd.viz import raster

Image = pytest.importorskip("PIL.Image")


def f_xyz():
    x = Tensor(-2.0, requires_grad=True, name="x")
    y = Tensor(5.0, requires_grad=True, name="y")
    z = Tensor(-4.0, requires_grad=True, name="z")
    q = x + y
    return viz.player(q * z, names=dict(x=x, y=y, z=z, q=q))


def sigmoid_neuron():
    w, x = Tensor([2.0, -3.0], requires_grad=True, name="w"), Tensor([-1.0, -2.0], name="x")
    b = Tensor(-3.0, requires_grad=True, name="b")
    return viz.player(((w * x).sum() + b).sigmoid(), names=dict(w=w, x=x, b=b))


def diamond():
    a = Tensor(3.0, requires_grad=True, name="a")
    b, c = a * 2.0, a + 1.0
    return viz.player(b * c, names=dict(a=a, b=b, c=c))


def module_step():
    import nn
    import nn.functional as F
    model = nn.MLP([3, 4, 2], rng=0)
    loss = F.cross_entropy(model(Tensor(np.ones((2, 3), dtype=np.float32))), np.array([0, 1]))
    return viz.player(loss, names=dict(model.named_parameters(), loss=loss), group_by_module=True, color_by_grad=True)


def _frames(path):
    with Image.open(path) as im:
        frames, durations = [], []
        for k in range(im.n_frames):
            im.seek(k)
            frames.append(np.asarray(im.convert("RGB")))
            durations.append(im.info.get("duration"))
    return frames, durations


@pytest.mark.parametrize("make", [f_xyz, sigmoid_neuron, diamond, module_step])
def test_one_image_per_frame_of_one_size(make, tmp_path):
    p = make()
    path = p.save(tmp_path / "p.gif")
    frames, durations = _frames(path)
    assert len(frames) == len(p.frames)
    assert len({f.shape for f in frames}) == 1
    assert durations[:-1] == [900] * (len(frames) - 1) and durations[-1] == 900 * raster.HOLD_LAST
    first, last = frames[0], frames[-1]
    assert (last < 128).any(axis=2).mean() > 0.005               # dark pixels: text and lines, not a blank image
    assert not np.array_equal(first, last)                      # the gradients appeared


def _has(image, colour, tolerance=40):
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image.astype(int) - rgb).sum(axis=2) < tolerance).sum())


def test_the_colours_say_what_is_shown(tmp_path):
    """Values green, gradients red, the frame's node and edges orange: frame by frame, as the player shows them."""
    p = f_xyz()
    frames, _ = _frames(p.save(tmp_path / "p.gif"))
    kinds = [f.kind for f in p.frames]
    assert (frames[0][0, 0] == 255).all() and (frames[-1][0, 0] == 255).all()   # white stays white, exactly
    assert _has(frames[0], "#1a7f37") > 50                      # the leaves' values
    assert _has(frames[0], "#cf222e") == 0                      # no gradient before the backward pass
    assert _has(frames[-1], "#cf222e") > 50                     # every gradient at the end
    backward = kinds.index("backward")
    assert _has(frames[backward], "#ff7f0e") > 200              # the step's node and edges
    # the frame's explanation is drawn: frames that differ only in their text differ in pixels
    assert all(not np.array_equal(a, b) for a, b in zip(frames, frames[1:]))


def test_same_player_same_bytes_and_frame_ms(tmp_path):
    a = f_xyz().save(tmp_path / "a.gif")
    b = raster.save_gif(f_xyz(), tmp_path / "b.gif")
    assert a.read_bytes() == b.read_bytes()
    c = raster.save_gif(f_xyz(), tmp_path / "c.gif", frame_ms=250)
    assert _frames(c)[1][:2] == [250, 250]


def test_render_frames_are_the_gif_frames(tmp_path):
    p = diamond()
    images = raster.render_frames(p)
    frames, _ = _frames(p.save(tmp_path / "d.gif"))
    assert [im.size for im in images] == [(f.shape[1], f.shape[0]) for f in frames]
    # the GIF is the drawing in 256 colours: close to it everywhere
    for image, frame in zip(images, frames):
        assert np.abs(np.asarray(image).astype(int) - frame).mean() < 3


def test_without_pillow_a_clear_error_and_no_file(tmp_path, monkeypatch):
    p = f_xyz()
    monkeypatch.setitem(sys.modules, "PIL", None)                # `from PIL import Image` now fails
    with pytest.raises(ImportError, match=r"needs Pillow.*pip install -e '\.\[demos\]'"):
        p.save(tmp_path / "p.gif")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("frame_ms", [0, -5, "fast", True])
def test_bad_frame_ms(frame_ms, tmp_path):
    with pytest.raises(ValueError, match="save_gif: frame_ms must be a positive number"):
        raster.save_gif(f_xyz(), tmp_path / "p.gif", frame_ms=frame_ms)
    assert list(tmp_path.iterdir()) == []


def test_not_a_player(tmp_path):
    with pytest.raises(TypeError, match=r"save_gif: expected a Player \(viz.player\(...\)\), got Tensor"):
        raster.save_gif(Tensor(1.0), tmp_path / "p.gif")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_and_no_litter(tmp_path, monkeypatch):
    path = tmp_path / "p.gif"
    path.write_bytes(b"old")
    real_save = Image.Image.save

    def failing_save(self, fp, *args, **kwargs):
        real_save(self, fp, *args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        f_xyz().save(path)
    assert path.read_bytes() == b"old" and [q.name for q in tmp_path.iterdir()] == ["p.gif"]


def test_written_like_any_file(tmp_path):
    path = f_xyz().save(tmp_path / "p.gif")
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"")
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777   # what open() gives (not mkstemp's 0600)


def test_a_big_graph_is_drawn_one_frame_at_a_time_and_fits_max_side(tmp_path, monkeypatch):
    """Review of #16: a 50-node chain kept every frame in full colour (2.4 GB) in a GIF 11,847 px wide."""
    import weakref
    from collections import Counter
    from player_graphs import chain
    root, names = chain(24)
    p = viz.player(root, names=names)
    made, most = [], []                                            # every full-colour image Pillow makes
    real_new = Image.new

    def counting_new(mode, size, *args, **kwargs):
        image = real_new(mode, size, *args, **kwargs)
        if mode == "RGB":
            made.append((size, weakref.ref(image)))
            most.append((size, sum(s == size and r() is not None for s, r in made)))   # of its size, alive
        return image

    monkeypatch.setattr(Image, "new", counting_new)
    frames, _ = _frames(p.save(tmp_path / "chain.gif"))
    (frame_size, drawn), = Counter(size for size, _ in most).most_common(1)   # the frames' (drawing) size
    assert drawn >= len(p.frames) == len(frames)
    assert max(alive for size, alive in most if size == frame_size) <= 2
    height, width = frames[0].shape[:2]
    assert width <= raster.MAX_SIDE and height <= raster.MAX_SIDE
    assert p.layout.width * raster.ZOOM > raster.MAX_SIDE         # (it was too wide: it was drawn smaller)
    assert (frames[-1] < 128).any(axis=2).mean() > 0.005           # and it is still a picture


def test_the_gif_draws_boxes_in_the_svgs_colours():
    """Review of #16: the GIF had its own copy of the node styles, and its borders disagreed (#24292f, #222222)."""
    from autograd.viz.style import NODE_STYLE
    p = f_xyz()
    last = len(p.frames) - 1
    image = np.asarray(list(raster.iter_frames(p))[last]).astype(int)
    scale = raster.ZOOM                                             # a small graph: at full size, centred
    ox = (image.shape[1] - p.layout.width * scale) / 2
    checked = 0
    for node in p.scene.nodes:
        if node.kind == "op" or node.key in p.frames[last].highlight:
            continue
        checked += 1
        fill, stroke = (np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) for c in NODE_STYLE[node.kind][:2])
        box = p.layout.boxes[node.key]
        row = int((box.y + box.height * 0.15) * scale)                  # beside the title, inside the box
        x = int(box.x * scale + ox)
        border = image[row, x - 3:x + 4]
        darkest = border[np.argmin(border.sum(axis=1))]
        assert np.abs(darkest - stroke).sum() <= 3, (node.key, darkest, NODE_STYLE[node.kind][1])
        assert np.abs(image[row, x + 4] - fill).sum() <= 3, (node.key, image[row, x + 4], NODE_STYLE[node.kind][0])
    assert checked >= 2


def test_gradient_colours_appear_only_in_the_final_frame():
    p = module_step()
    colours = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in {e.color for e in p.scene.edges if e.color}
               if c.startswith("#")}
    frames = raster.render_frames(p)

    def pixels(image):
        rgb = np.asarray(image.convert("RGB")).reshape(-1, 3)
        return sum(int((rgb == c).all(axis=1).sum()) for c in colours)

    first, last = pixels(frames[0]), pixels(frames[-1])
    assert colours and last - first > 500, (first, last)   # the edges gain them; the legend swatches have them in every frame
