"""autograd.viz.scene, .layout and .svg: the picture model, labgrad's own layered layout, and its SVG."""
import itertools
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from autograd import Tensor
from autograd.viz.layout import layered_layout, node_rows, text_width
from autograd.viz.scene import GRAD_SCALE_LEGEND, RED, STALE_NOTICE, build_scene
from autograd.viz.svg import render_svg

SVG = "{http://www.w3.org/2000/svg}"


def lecture():
    x = Tensor(-2.0, requires_grad=True, name="x")
    y = Tensor(5.0, requires_grad=True, name="y")
    z = Tensor(-4.0, requires_grad=True, name="z")
    f = (x + y) * z
    f.backward(retain_graph=True)
    return f, dict(x=x, y=y, z=z, f=f)


def mlp():
    """A 6-5-3-1 MLP with nn-style parameter names, and its loss after one backward."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 6)))
    params, h = {}, x
    for i, (n_in, n_out) in enumerate([(6, 5), (5, 3), (3, 1)]):
        w = params[f"layers.{i}.weight"] = Tensor(rng.standard_normal((n_in, n_out)), requires_grad=True)
        b = params[f"layers.{i}.bias"] = Tensor(np.zeros(n_out), requires_grad=True)
        h = h @ w + b
        h = h.relu() if i < 2 else h
    loss = (h * h).mean()
    loss.backward()
    return loss, params


def chain(ops):
    h = Tensor(0.5, requires_grad=True, name="x")
    for _ in range(ops):
        h = h * 1.0001
    return h


def wide(leaves):
    xs = [Tensor(float(i), requires_grad=True, name=f"x{i}") for i in range(leaves)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x * x
    return total


def skips(steps):
    """x feeds every step: long edges from one tensor all over the graph."""
    x = Tensor(1.0, requires_grad=True, name="x")
    h = x
    for _ in range(steps):
        h = h * 0.5 + x
    return h


def diamond():
    a = Tensor(2.0, requires_grad=True, name="a")
    b, c = a * 3.0, a.exp()
    d = b + c
    d.backward()
    return d, dict(a=a, b=b, c=c, d=d)


def graphs():
    f, names = lecture()
    loss, params = mlp()
    d, dnames = diamond()
    return {
        "lecture LR": build_scene(f, names=names),
        "lecture TB": build_scene(f, names=names, rankdir="TB", color_by_grad=True),
        "lecture RL": build_scene(f, names=names, rankdir="RL"),
        "lecture BT": build_scene(f, names=names, rankdir="BT", show_data=False),
        "diamond": build_scene(d, names=dnames),
        "mlp grouped": build_scene(loss, names=params, group_by_module=True, color_by_grad=True),
        "mlp grouped TB": build_scene(loss, names=params, group_by_module=True, rankdir="TB"),
        "wide": build_scene(wide(40)),
        "skips": build_scene(skips(12)),
    }


GRAPHS = graphs()


def overlap(a, b, gap=0.0):
    return (a.x < b.x + b.width + gap and b.x < a.x + a.width + gap and
            a.y < b.y + b.height + gap and b.y < a.y + a.height + gap)


def inside(inner, outer):
    return (outer.x <= inner.x and inner.x + inner.width <= outer.x + outer.width and
            outer.y <= inner.y and inner.y + inner.height <= outer.y + outer.height)


# --- the scene ---------------------------------------------------------------------------

def test_scene_holds_what_draw_shows():
    f, names = lecture()
    scene = build_scene(f, names=names, highlight="x")
    by_key = {n.key: n for n in scene.nodes}
    assert [(n.title, n.value, n.grad) for n in scene.nodes if n.kind != "op"] == [
        ("x", "-2", "-4"), ("y", "5", "-4"), ("t0", "3", "-4"), ("z", "-4", "3"), ("f", "-12", "1")]
    assert [(n.key, n.title, n.symbol) for n in scene.nodes if n.kind == "op"] == [("op2", "+", True),
                                                                                 ("op4", "*", True)]
    assert [n.key for n in scene.nodes if n.highlighted] == ["t0"] and by_key["t4"].kind == "output"
    assert scene.tensors["t4"] is f and scene.ops["op4"] is f.op and set(scene.tensors) | set(scene.ops) == set(by_key)
    assert scene.caption == "green: value, red: gradient (—: never computed)" and scene.legend == ()


def test_scene_grads_override_and_the_stale_notice():
    f, names = lecture()
    scene = build_scene(f, names=names, grads={names["x"]: np.array(7.0)})
    assert [n.grad for n in scene.nodes if n.kind != "op"] == ["7", "—", "—", "—", "—"]
    f.backward()                                        # twice: the leaves hold two backwards' sum
    with pytest.warns(UserWarning, match="zero_grad"):
        scene = build_scene(f, names=names, color_by_grad=True)
    assert scene.legend[0] == (STALE_NOTICE, RED) and scene.legend[-len(GRAD_SCALE_LEGEND):] == GRAD_SCALE_LEGEND
    with pytest.raises(ValueError, match="player: rankdir must be"):
        build_scene(f, rankdir="up", caller="player")


def test_scene_edges_carry_argument_order_and_gradient_colours():
    a = Tensor(6.0, requires_grad=True, name="a")
    b = Tensor(2.0, requires_grad=True, name="b")
    out = a / b
    out.backward()
    scene = build_scene(out, color_by_grad=True)
    ins = [e for e in scene.edges if e.target == "op2"]
    assert [(e.source, e.label) for e in ins] == [("t0", "a"), ("t1", "b")]
    assert all(e.color.startswith("#") and e.width == 1.5 and e.grad_label for e in scene.edges)


# --- the layout ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_layout_invariants(name):
    scene = GRAPHS[name]
    layout = layered_layout(scene)
    assert set(layout.boxes) == {n.key for n in scene.nodes}
    for (ka, a), (kb, b) in itertools.combinations(layout.boxes.items(), 2):
        assert not overlap(a, b), f"{ka} and {kb} overlap"
    axis, sign = {"LR": (0, 1), "RL": (0, -1), "TB": (1, 1), "BT": (1, -1)}[scene.rankdir]
    for e in scene.edges:
        a, b = layout.boxes[e.source].center[axis], layout.boxes[e.target].center[axis]
        assert sign * (b - a) > 0, f"{e.source} -> {e.target} goes against rankdir {scene.rankdir}"
        points = layout.edges[(e.source, e.target)]
        along = [sign * p[axis] for p in points]
        assert along == sorted(along) and len(points) >= 2            # forward all the way
    cluster_of = {n.key: n.cluster for n in scene.nodes}
    assert set(layout.clusters) == {path for path, _ in scene.clusters}
    for path, frame in layout.clusters.items():
        for key, box in layout.boxes.items():
            if cluster_of[key] == path:
                assert inside(box, frame), f"{key} is outside its module {path}"
            else:
                assert not overlap(box, frame), f"{key} is inside module {path}, not its own"
    for a, b in itertools.combinations(layout.clusters.values(), 2):
        assert not overlap(a, b)
    every = list(layout.boxes.values()) + list(layout.clusters.values()) + [layout.caption]
    assert all(0 <= b.x and b.x + b.width <= layout.width and 0 <= b.y and b.y + b.height <= layout.height
               for b in every)


def crosses(p, q, box, inset=0.5):
    """Whether the segment p-q passes through ``box`` shrunk by ``inset`` px (touching its border is not crossing)."""
    lo = (box.x + inset, box.y + inset)
    hi = (box.x + box.width - inset, box.y + box.height - inset)
    t0, t1 = 0.0, 1.0                                     # Liang-Barsky: clip the segment's parameter range
    for axis in (0, 1):
        d = q[axis] - p[axis]
        if d == 0:
            if not lo[axis] < p[axis] < hi[axis]:
                return False
            continue
        a, b = (lo[axis] - p[axis]) / d, (hi[axis] - p[axis]) / d
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
    return t0 < t1


def random_dag(seed, size=40):
    rng = np.random.default_rng(seed)
    pool = [Tensor(rng.normal(size=3), requires_grad=True, name=f"l{i}") for i in range(6)]
    while len(pool) < size:
        a, b = rng.choice(len(pool), 2)
        pool.append(pool[a] * pool[b] if rng.random() < .5 else (pool[a] + pool[b]).tanh())
    return sum(pool[-5:], Tensor(0.0)).sum()


def player_chain():
    import sys
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from player_graphs import chain as fan_out_chain
    root, names = fan_out_chain(24)
    return build_scene(root, names=names)


ROUTED = dict(GRAPHS, **{"player chain": player_chain(), "random dag 0": build_scene(random_dag(0)),
                         "random dag 1": build_scene(random_dag(1)), "skips TB": build_scene(skips(8), rankdir="TB")})


@pytest.mark.parametrize("name", sorted(ROUTED))
def test_no_edge_passes_through_a_box_that_is_not_its_end(name):
    """Review of #16: long edges were straight lines between rank centres and cut through other boxes."""
    scene = ROUTED[name]
    layout = layered_layout(scene)
    hits = []
    for (source, target), points in layout.edges.items():
        for p, q in zip(points, points[1:]):
            hits += [(source, target, key) for key, box in layout.boxes.items()
                     if key not in (source, target) and crosses(p, q, box)]
    assert hits == []


def test_layout_fits_the_text_and_is_deterministic():
    loss, params = mlp()
    scene = build_scene(loss, names=params, group_by_module=True)
    layout = layered_layout(scene)
    for node in scene.nodes:
        widest = max(text_width(text, size, bold) for _, text, size, bold in node_rows(node))
        assert layout.boxes[node.key].width >= widest
    loss2, params2 = mlp()
    assert layered_layout(build_scene(loss2, names=params2, group_by_module=True)) == layout
    wider = layered_layout(scene, extra_text={"t0": {"grad": ["a much longer running sum = 1 + 2 + 3 + 4"]}})
    assert wider.boxes["t0"].width > layout.boxes["t0"].width


def test_layout_puts_a_leaf_next_to_the_op_that_uses_it():
    loss, params = mlp()
    scene = build_scene(loss, names=params)
    layout = layered_layout(scene)
    bias = next(n.key for n in scene.nodes if n.title == "layers.2.bias")
    [consumer] = [e.target for e in scene.edges if e.source == bias]
    leaf, op = layout.boxes[bias], layout.boxes[consumer]
    assert 0 < op.x - (leaf.x + leaf.width) < 60          # one rank gap apart, not at the far left


@pytest.mark.parametrize("build", [lambda: chain(333), lambda: wide(200), lambda: skips(199)],
                         ids=["chain", "wide", "skips"])
def test_layout_of_a_thousand_nodes_is_quick(build):
    scene = build_scene(build(), max_nodes=1000)
    assert len(scene.nodes) >= 900
    start = time.perf_counter()
    layout = layered_layout(scene)
    seconds = time.perf_counter() - start
    assert len(layout.boxes) == len(scene.nodes) and seconds < 5        # about 0.1 s each, here


# --- the SVG ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_svg_is_well_formed_with_one_group_per_node(name):
    scene = GRAPHS[name]
    svg = render_svg(scene, layered_layout(scene), id_prefix="p1")
    root = ET.fromstring(svg)
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "").split()}
    assert sorted(groups) == sorted(f"p1-{n.key}" for n in scene.nodes)
    for node in scene.nodes:
        g = groups[f"p1-{node.key}"]
        assert g.get("class").split()[:2] == ["node", node.kind]
        texts = [(t.get("class"), t.text or "") for t in g.iter(f"{SVG}text")]
        assert texts == [(cls, text) for cls, text, _, _ in node_rows(node)]
        if node.kind != "op":
            assert ("value" in dict(texts)) == (node.value is not None)
            assert ("grad" in dict(texts)) == (node.grad is not None)
    paths = {p.get("id") for p in root.iter(f"{SVG}path") if p.get("class") == "edge"}
    assert paths == {f"p1-e-{e.source}-{e.target}" for e in scene.edges}
    clusters = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert [g.find(f"{SVG}text").text for g in clusters] == [label for _, label in scene.clusters]
    outside_namespace = svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http" not in outside_namespace and "href" not in outside_namespace and "url(" not in outside_namespace
    assert svg == render_svg(scene, layered_layout(scene), id_prefix="p1")   # byte for byte


def test_svg_escapes_text_and_keeps_empty_rows():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True, name='<w & "v">')
    out = (w * 2.0).sum()                               # no backward: gradients never computed
    scene = build_scene(out)
    svg = render_svg(scene, layered_layout(scene))
    assert "&lt;w &amp; &quot;v&quot;&gt;" in svg and '<w & "v">' not in svg
    root = ET.fromstring(svg)
    [node] = [g for g in root.iter(f"{SVG}g") if g.get("id") == "g-t0"]
    assert [t.text for t in node.iter(f"{SVG}text") if t.get("class") == "grad"] == ["—"]
    with pytest.raises(ValueError, match="id_prefix"):
        render_svg(scene, layered_layout(scene), id_prefix='a"b')


def test_svg_colours_values_green_and_gradients_red():
    f, names = lecture()
    scene = build_scene(f, names=names, color_by_grad=True)
    root = ET.fromstring(render_svg(scene, layered_layout(scene)))
    fills = {(t.get("class"), t.get("fill")) for t in root.iter(f"{SVG}text") if t.get("class") in ("value", "grad")}
    assert fills == {("value", "#1a7f37"), ("grad", "#cf222e")}
    strokes = {p.get("id"): p.get("stroke") for p in root.iter(f"{SVG}path")}
    assert {strokes[f"g-e-{e.source}-{e.target}"] for e in scene.edges} == {e.color for e in scene.edges}
    caption = "".join(t.text for g in root.iter(f"{SVG}g") if g.get("class") == "caption" for t in g.iter(f"{SVG}text"))
    assert "vanishing" in caption and "mean |gradient|" in caption
