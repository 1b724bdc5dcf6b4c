"""autograd.viz and autograd.trace: graph pictures (checked on the DOT source) and backprop step tables."""
import colorsys
import html
import os
import pathlib
import re
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

from autograd import Tensor, viz
from autograd.trace import backward_steps, format_array

ROOT = pathlib.Path(__file__).resolve().parents[1]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


# --- reading the DOT source -------------------------------------------------------------

def nodes(g):
    """{node id: (text cells of its label, attribute text)}."""
    found = re.findall(r"^\t+(\w+) \[label=<(.*)> (.*)\]$", g.source, flags=re.M)
    return {nid: ([html.unescape(c) for c in re.findall(r">([^<>]+)<", f">{label}<")], attrs)
            for nid, label, attrs in found}


def edges(g):
    return re.findall(r"^\t+(\w+) -> (\w+)(?: \[(.*)\])?$", g.source, flags=re.M)


def tensor_cells(g):
    """{tensor name: its label cells}, for named tensor nodes."""
    return {cells[0]: cells for nid, (cells, _) in nodes(g).items() if nid.startswith("t")}


def ops(g):
    return sorted(cells[0] for nid, (cells, _) in nodes(g).items() if nid.startswith("op"))


def lecture():
    """The seeds' first exercise: f = (x + y) * z at x=-2, y=5, z=-4."""
    x = Tensor(-2.0, requires_grad=True, name="x")
    y = Tensor(5.0, requires_grad=True, name="y")
    z = Tensor(-4.0, requires_grad=True, name="z")
    q = x + y
    f = q * z
    return x, y, z, q, f


def neuron():
    w0, x0 = Tensor(2.0, requires_grad=True, name="w0"), Tensor(-1.0, requires_grad=True, name="x0")
    w1, x1 = Tensor(-3.0, requires_grad=True, name="w1"), Tensor(-2.0, requires_grad=True, name="x1")
    w2 = Tensor(-3.0, requires_grad=True, name="w2")
    z = w0 * x0 + w1 * x1 + w2
    y = z.sigmoid()
    return (w0, x0, w1, x1, w2), z, y


def mlp(batch=64, seed=0):
    """A 784-25-15-1 MLP's binary cross-entropy (log and clip ops), parameters named like nn's."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((batch, 784)), dtype=np.float32)
    y = Tensor(rng.random((batch, 1)) < 0.5, dtype=np.float32)
    sizes = [784, 25, 15, 1]
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        params[f"layers.{i}.weight"] = Tensor(rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in),
                                              requires_grad=True, dtype=np.float32)
        params[f"layers.{i}.bias"] = Tensor(np.zeros(n_out), requires_grad=True, dtype=np.float32)
    h = x
    for i in range(3):
        h = h @ params[f"layers.{i}.weight"] + params[f"layers.{i}.bias"]
        h = h.relu() if i < 2 else h.sigmoid()
    p = h.clip(1e-7, 1 - 1e-7)
    loss = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    return loss, params


# --- structure --------------------------------------------------------------------------

def test_lecture_graph_before_backward_shows_values_and_dashes():
    x, y, z, q, f = lecture()
    g = viz.draw(f, names=locals())
    assert len(nodes(g)) == 7 and len(edges(g)) == 6          # 5 tensors, 2 ops
    assert ops(g) == ["*", "+"]
    cells = tensor_cells(g)
    assert {k: v[1] for k, v in cells.items()} == {"x": "-2", "y": "5", "z": "-4", "q": "3", "f": "-12"}
    assert all(v[2] == "—" for v in cells.values())            # no backward yet: never computed


def test_lecture_graph_after_backward_shows_every_gradient():
    x, y, z, q, f = lecture()
    f.backward()
    cells = tensor_cells(f.draw(names=dict(q=q, f=f)))
    assert {k: v[1:] for k, v in cells.items()} == {
        "x": ["-2", "-4"], "y": ["5", "-4"], "z": ["-4", "3"], "q": ["3", "-4"], "f": ["-12", "1"]}
    assert q.grad is None                                      # draw stored nothing


def test_forward_mode_pass_shows_tangents_instead_of_gradients():
    from autograd.forward_ad import dual_level, make_dual
    x, y, z, q, f = lecture()
    with dual_level() as level:
        x_dual = make_dual(x, 1.0)                             # d/dx of f = (x + y) z is z = -4
        q = x_dual + y
        f = q * z
        g = viz.draw(f, names=dict(x=x, y=y, z=z, q=q, f=f, x_dual=x_dual), tangents=level)
    cells = tensor_cells(g)
    assert {k: v[1:] for k, v in cells.items()} == {
        "x": ["-2", "0"], "x_dual": ["-2", "1"], "y": ["5", "0"], "z": ["-4", "0"], "q": ["3", "1"],
        "f": ["-12", "-4"]}
    assert "make_dual" in ops(g) and "red: tangent" in g.source and "gradient" not in g.source


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(tangents="level"), TypeError, "tangents must be an open dual_level"),
    (dict(tangents="level-object", color_by_grad=True), ValueError, "cannot be combined with tangents"),
])
def test_forward_mode_picture_refuses_what_it_cannot_show(kwargs, error, text):
    from autograd.forward_ad import dual_level
    x, y, z, q, f = lecture()
    with dual_level() as level:
        if kwargs["tangents"] == "level-object":
            kwargs = dict(kwargs, tangents=level)
        with pytest.raises(error, match=text):
            viz.draw(f, **kwargs)


def test_sigmoid_neuron_matches_the_lecture_numbers():
    (w0, x0, w1, x1, w2), z, y = neuron()
    y.backward()
    cells = tensor_cells(viz.draw(y, names=dict(z=z, y=y)))
    got = {k: (float(v[1]), float(v[2])) for k, v in cells.items()}
    want = {"w0": (2, -0.1966), "x0": (-1, 0.3932), "w1": (-3, -0.3932), "x1": (-2, -0.5898),
            "w2": (-3, 0.1966), "z": (1, 0.1966), "y": (0.7311, 1)}
    for name, pair in want.items():
        np.testing.assert_allclose(got[name], pair, atol=1e-4)
    auto = sorted(k for k in cells if k not in want)
    assert auto == ["t0", "t1", "t2"]                          # w0*x0, w1*x1, their sum


def test_gradient_zero_is_not_a_dash():
    w = Tensor([-1.0, 2.0], requires_grad=True, name="w")
    b = Tensor(3.0, requires_grad=True, name="b")               # used by nothing below
    loss = w.relu().sum()
    loss.backward()
    cells = tensor_cells(viz.draw(loss, b * 1.0, names={"loss": loss}))
    assert cells["w"][1:] == ["(2,)", "[-1, 2]", "[0, 1]"] and cells["b"][1:] == ["3", "—"]


def test_intermediate_gradients_only_when_consistent_with_the_leaves():
    x = Tensor(3.0, requires_grad=True, name="x")
    h = x * x
    loss = h + 1.0
    names = dict(h=h, loss=loss)
    loss.backward(retain_graph=True)
    assert tensor_cells(viz.draw(loss, names=names))["h"][2] == "1"
    loss.backward()                                            # leaf grads accumulate to 12
    with pytest.warns(UserWarning, match="zero_grad"):
        cells = tensor_cells(viz.draw(loss, names=names))
    assert cells["x"][2] == "12" and cells["h"][2] == "—" and cells["loss"][2] == "—"
    x.zero_grad()
    y = Tensor(2.0, requires_grad=True, name="y")
    m = y * 5.0
    out = m * m
    m.retain_grad()
    out.backward()
    assert m.grad is not None and tensor_cells(viz.draw(out, names=dict(m=m)))["m"][2] == "20"


def test_argument_order_is_visible_where_it_matters():
    a = Tensor(6.0, requires_grad=True, name="a")
    b = Tensor(2.0, requires_grad=True, name="b")
    g = viz.draw(a / b - b)
    by_id = {nid: cells[0] for nid, (cells, _) in nodes(g).items()}
    labelled = {(by_id[s], by_id[d], attrs) for s, d, attrs in edges(g) if by_id[d] == "/"}
    assert {(s, re.search(r"headlabel=(\w)", attrs).group(1)) for s, _, attrs in labelled} == {("a", "a"), ("b", "b")}
    assert ops(g) == ["-", "/"]
    minus = {(by_id[s], re.search(r"headlabel=(\w)", attrs).group(1)) for s, d, attrs in edges(g) if by_id[d] == "-"}
    assert {label for _, label in minus} == {"a", "b"} and ("b", "b") in minus   # a/b - b: the order shows
    g = viz.draw(a + b)
    by_id = {nid: cells[0] for nid, (cells, _) in nodes(g).items()}
    plus = [attrs for s, d, attrs in edges(g) if by_id[d] == "+"]
    assert plus == ["", ""]                                     # + is commutative: no labels


def test_matmul_edges_are_ordered_and_params_are_labelled():
    w = Tensor(np.ones((3, 2)), requires_grad=True, name="W")
    x = Tensor(np.ones((4, 3)), name="X")
    out = (x @ w)[:, 0].sum(axis=0)
    g = viz.draw(out)
    by_id = {nid: cells for nid, (cells, _) in nodes(g).items()}
    mm = [(by_id[s][0], attrs) for s, d, attrs in edges(g) if by_id[d][0] == "matmul"]
    assert [(n, re.search(r"headlabel=(\w)", a).group(1)) for n, a in mm] == [("X", "a"), ("W", "b")]
    op_labels = [cells for cells in by_id.values() if cells[0] in ("getitem", "sum")]
    assert ["getitem", "[:, 0]"] in op_labels and ["sum"] in op_labels   # sum over all axes: no axis=
    h = Tensor(np.ones((2, 3)), requires_grad=True).sum(axis=1)
    assert ["sum", "axis=1"] in [c for c, _ in nodes(viz.draw(h)).values()]


def test_shapes_dtypes_and_summaries():
    small = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, dtype=np.float32, name="small")
    big = Tensor(np.arange(100.0), requires_grad=True, name="big")
    out = small.sum() + big.sum()
    cells = tensor_cells(viz.draw(out, names={"out": out}))
    assert cells["small"][1] == "(2, 3) float32"
    assert cells["small"][2:4] == ["[[0, 1, 2],", " [3, 4, 5]]"]      # full value, one row per line
    assert cells["big"][1:3] == ["(100,)", "min 0  mean 49.5  max 99"]  # float64: no dtype
    assert cells["out"][1] == "4965"                                      # shapeless, float64: no meta row
    cells = tensor_cells(viz.draw(out, names={"out": out}, max_elements=2))
    assert cells["small"][2] == "min 0  mean 2.5  max 5"
    assert format_array(np.array(-0.0)) == "0"


def test_kinds_look_different():
    w = Tensor(2.0, requires_grad=True, name="w")
    h = w * 3.0
    out = h + w
    g = viz.draw(out, names=locals())
    attrs = {cells[0] if cells[0] != "3" else "const": a for nid, (cells, a) in nodes(g).items() if nid.startswith("t")}
    assert "fillcolor=\"#dbe8f7\"" in attrs["w"]                 # parameter
    assert "dashed" in attrs["const"] and len(nodes(g)) == 6     # constant: no name, no gradient row
    assert "bold" in attrs["out"] and attrs["h"] == "style=rounded"
    assert "penwidth=3" in nodes(viz.draw(out, names=locals(), highlight=[h, "w"]))["t0"][1]
    marked = [nid for nid, (_, a) in nodes(viz.draw(out, names=locals(), highlight="h")).items() if "#ff7f0e" in a]
    assert len(marked) == 1
    with pytest.raises(ValueError, match="highlight 'nope' is not in the graph"):
        viz.draw(out, highlight="nope")


def test_names_precedence_and_forms():
    a = Tensor(1.0, requires_grad=True, name="own")
    b = Tensor(2.0, requires_grad=True)
    out = a * b
    assert set(tensor_cells(viz.draw(out))) == {"own", "t0", "t1"}
    assert set(tensor_cells(viz.draw(out, names={"_": b, "b": b, "A": a}))) == {"A", "b", "t0"}
    assert set(tensor_cells(viz.draw(out, names=[("B", b), ("out", out), ("n", 3)]))) == {"own", "B", "out"}
    assert set(tensor_cells(viz.draw(out, names={b: "bee"}))) == {"own", "bee", "t0"}


def edge_from_w(factor, **draw_kwargs):
    """Attributes of the edge leaving w in the graph of sum(w * factor), after its backward."""
    w = Tensor(1.0, requires_grad=True, name="w")
    out = (w * factor).sum()
    out.backward()
    g = viz.draw(out, color_by_grad=True, **draw_kwargs)
    [attrs] = [a for s, _, a in edges(g) if s == "t0"]
    return attrs, g


def hue(attrs):
    """Hue (0 red, 1/3 green, 2/3 blue) of an edge's color="#rrggbb"."""
    rgb = re.search(r'color="#([0-9a-f]{6})"', attrs).group(1)
    return colorsys.rgb_to_hsv(*(int(rgb[i:i + 2], 16) / 255 for i in (0, 2, 4)))[0]


@pytest.mark.parametrize("factor, label", [
    (1e-9, "1e-09"), (3.2e-5, "3.2e-05"), (0.25, "0.25"), (1 / 3, "0.333"), (-2.0, "2"), (1e6, "1e+06"),
])
def test_color_by_grad_labels_edges_with_short_plain_numbers(factor, label):
    attrs, _ = edge_from_w(factor)
    assert re.search(r'label="?([^" ]*)', attrs).group(1) == label


def test_color_by_grad_colours_run_from_blue_to_red_on_a_log_scale():
    sizes = [1e-9, 1e-6, 1e-4, 1e-2, 1.0, 1e2, 1e6]
    hues = [hue(edge_from_w(m)[0]) for m in sizes]
    assert hues[0] == hues[1] == pytest.approx(0.66, abs=0.01)           # vanishing: blue, and no bluer
    assert hues[3] == pytest.approx(1 / 3, abs=0.01)                     # 1e-2: green
    assert hues[-2] == hues[-1] == pytest.approx(0.0, abs=0.01)          # exploding: red, and no redder
    assert all(a > b for a, b in zip(hues[1:-2], hues[2:-1]))           # redder as the gradient grows
    zero, _ = edge_from_w(0.0)
    assert re.search(r"label=0 ", zero) and "dashed" in zero
    with np.errstate(all="ignore"):
        inf, _ = edge_from_w(np.inf)
    assert re.search(r"label=inf ", inf) and "penwidth=3" in inf


def legend_cells(g):
    """{legend text: background colour} from the caption under the picture."""
    return {html.unescape(text).replace("<BR/>", " "): colour
            for colour, text in re.findall(r'<TD BGCOLOR="(#\w+)"[^>]*><FONT [^>]*>(.*?)</FONT></TD>', g.source)}


def test_color_by_grad_legend_explains_the_colours():
    tiny, g = edge_from_w(1e-9)
    legend = legend_cells(g)
    assert list(legend) == ["≤ 1e-6 vanishing", "1e-4", "0.01", "1", "≥ 100 exploding"]
    assert f'color="{legend["≤ 1e-6 vanishing"]}"' in tiny
    huge, _ = edge_from_w(1e6)
    assert f'color="{legend["≥ 100 exploding"]}"' in huge
    assert "mean |gradient| of the tensor they carry" in g.source
    assert "exactly 0" in g.source and "nan or inf" in g.source and "no gradient" in g.source
    x, y, z, q, f = lecture()
    f.backward()
    assert legend_cells(viz.draw(f)) == {} and "mean |gradient|" not in viz.draw(f).source


def test_show_flags_and_rankdir():
    x, y, z, q, f = lecture()
    f.backward()
    g = viz.draw(f, show_data=False, show_grad=False, rankdir="TB")
    assert "rankdir=TB" in g.source and "-12" not in g.source and "<HR/>" not in g.source
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw(f, rankdir="up")
    with pytest.raises(ValueError, match="at least one Tensor"):
        viz.draw()
    with pytest.raises(TypeError, match="roots must be Tensors"):
        viz.draw(np.ones(2))


# --- size guard, iteration ------------------------------------------------------------

def test_size_guard_refuses_huge_graphs_quickly():
    x = Tensor(1.0, requires_grad=True)
    h = x
    for _ in range(50_000):                                    # 100,001 nodes
        h = h + 1.0
    with pytest.raises(ValueError, match=r"more than max_nodes=1000 nodes"):
        viz.draw(h)
    with pytest.raises(ValueError, match="max_nodes=10"):
        viz.draw(h, max_nodes=10)


def test_deep_graphs_are_walked_without_recursion():
    x = Tensor(0.5, requires_grad=True, name="x")
    h = x
    for _ in range(600):                                       # 1200 deep: past Python's recursion limit
        h = (h * 1.0).tanh()
    h.backward()
    g = viz.draw(h, max_nodes=10_000)
    assert len(edges(g)) == 5 * 600 and len(nodes(g)) == 1 + 5 * 600       # per step: 3 tensors, 2 ops
    assert tensor_cells(g)["t0"][2] != "—"


# --- module grouping ------------------------------------------------------------------

def clusters(g):
    blocks = re.findall(r"subgraph (cluster_\d+) \{\n(.*?)\n\t\}", g.source, flags=re.S)
    out = {}
    for _, body in blocks:
        label = html.unescape(re.search(r"label=<([^<>]+)>", body).group(1))
        out[label] = [c[0] for c in (re.findall(r">([^<>]+)<", f">{lab}<")
                                     for lab in re.findall(r"^\t+\w+ \[label=<(.*)> ", body, flags=re.M))]
    return out


def test_mlp_draws_ops_not_scalars_and_groups_by_module():
    loss, params = mlp()
    loss.backward()
    g = viz.draw(loss, names=params)
    n = nodes(g)
    assert len(n) < 60
    assert ops(g).count("matmul") == 3 and ops(g).count("relu") == 2 and ops(g).count("log") == 2
    cells = tensor_cells(g)
    assert cells["layers.0.weight"][1] == "(784, 25) float32" and cells["layers.0.weight"][2].startswith("min ")
    assert not any("—" in c for c in cells.values())            # one backward: every gradient shown
    grouped = clusters(viz.draw(loss, names=params, group_by_module=True))
    assert sorted(grouped) == ["layers.0", "layers.1", "layers.2"]
    for i in range(3):
        members = ["+", "matmul", f"layers.{i}.bias", f"layers.{i}.weight", f"t{3 * i}", f"t{3 * i + 1}"]
        assert sorted(grouped[f"layers.{i}"]) == sorted(members)    # relu t2, t5 stay outside
    assert not clusters(viz.draw(loss, names=params))


def test_group_by_module_follows_parameters_through_unary_ops():
    w = Tensor(np.ones((2, 3)), requires_grad=True, name="enc.proj.weight")
    x = Tensor(np.ones((4, 3)))
    out = (x @ w.T).relu().sum()
    grouped = clusters(viz.draw(out, group_by_module=True))
    assert sorted(grouped) == ["enc.proj"]
    assert sorted(grouped["enc.proj"]) == ["enc.proj.weight", "matmul", "t0", "t1", "transpose"]


# --- rendering ------------------------------------------------------------------------

@needs_dot
def test_renders_svg_png_pdf_with_dot(tmp_path):
    loss, params = mlp()
    loss.backward()
    g = viz.draw(loss, names=params, group_by_module=True, color_by_grad=True)
    svg = viz.save(g, tmp_path / "mlp.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "layers.2.bias" in svg
    x, y, z, q, f = lecture()
    f.backward()
    assert viz.save(f, tmp_path / "f.png", names=locals()).read_bytes()[:4] == b"\x89PNG"
    assert viz.save(f, tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
    assert "-12" in viz.save(f, tmp_path / "f.svg").read_text()
    assert "image/svg+xml" in g._repr_mimebundle_()          # Jupyter's inline display


def test_save_dot_source_and_bad_paths(tmp_path):
    x, y, z, q, f = lecture()
    g = viz.draw(f)
    assert viz.save(g, tmp_path / "f.dot").read_text() == g.source
    with pytest.raises(ValueError, match="unknown extension '.txt'"):
        viz.save(g, tmp_path / "f.txt")
    with pytest.raises(TypeError, match="apply only when saving a Tensor"):
        viz.save(g, tmp_path / "f.svg", rankdir="TB")
    assert not (tmp_path / "f.txt").exists()


def test_without_dot_the_graph_builds_and_rendering_says_how_to_install(tmp_path, monkeypatch):
    import graphviz

    monkeypatch.setenv("PATH", str(tmp_path))                   # no dot on PATH
    x, y, z, q, f = lecture()
    g = viz.draw(f, names=locals())
    assert "-12" in g.source and isinstance(g, graphviz.Digraph)
    renderers = (lambda: g.pipe(format="svg"), lambda: g.render(tmp_path / "f"),
                 lambda: viz.save(g, tmp_path / "f.png"), lambda: viz.save(g, tmp_path / "f.pdf"))
    for render in renderers:
        with pytest.raises(graphviz.ExecutableNotFound) as e:
            render()
        msg = str(e.value)
        assert "apt-get install graphviz" in msg and "brew install graphviz" in msg and "conda install graphviz" in msg
    assert not (tmp_path / "f.png").exists() and not (tmp_path / "f.pdf").exists()
    assert viz.save(g, tmp_path / "f.dot").read_text() == g.source


def lose_dot_from_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))                   # an empty folder: no dot


def lose_dot_in_graphviz(monkeypatch, tmp_path):
    import graphviz.backend.execute

    def not_found(cmd, *args, **kwargs):
        raise graphviz.ExecutableNotFound(cmd)
    monkeypatch.setattr(graphviz.backend.execute, "run_check", not_found)


@pytest.mark.parametrize("lose_dot", [lose_dot_from_path, lose_dot_in_graphviz])
def test_without_dot_save_svg_and_jupyter_use_labgrads_own_layout(lose_dot, tmp_path, monkeypatch):
    import xml.etree.ElementTree as ET

    from autograd.viz.layout import layered_layout
    from autograd.viz.scene import build_scene
    from autograd.viz.svg import render_svg

    lose_dot(monkeypatch, tmp_path)
    x, y, z, q, f = lecture()
    f.backward()
    g = viz.draw(f, names=locals())
    scene = build_scene(f, names=locals())
    own = render_svg(scene, layered_layout(scene))
    written = viz.save(g, tmp_path / "f.svg").read_text(encoding="utf-8")
    assert written.startswith("<?xml") and written.endswith(own)
    ET.fromstring(written.encode("utf-8"))                       # a well-formed document
    bundle = g._repr_mimebundle_(include=None, exclude=None)    # what IPython calls for a cell's last value
    assert sorted(bundle) == ["image/svg+xml", "text/plain"]
    assert bundle["image/svg+xml"].endswith(own) and 'id="g-t4" class="node output"' in own and ">-12<" in own
    text = bundle["text/plain"]
    assert text.startswith("<labgrad graph: 7 nodes, 6 edges>, drawn without Graphviz's 'dot'")
    assert all(f"{tool} install graphviz" in text for tool in ("apt-get", "brew", "conda"))
    assert g._repr_svg_().endswith(own)
    with pytest.raises(ValueError, match="unknown extension"):
        viz.save(g, tmp_path / "f.jpeg")


@pytest.mark.parametrize("lose_dot", [lose_dot_from_path, lose_dot_in_graphviz])
def test_jupyter_without_dot_shows_the_source_of_graphs_not_made_by_draw(lose_dot, tmp_path, monkeypatch):
    lose_dot(monkeypatch, tmp_path)
    x, y, z, q, f = lecture()
    g = viz.draw(f, names=locals())
    g.scene = None                                               # as a graph without a scene behind it
    bundle = g._repr_mimebundle_(include=None, exclude=None)
    assert sorted(bundle) == ["text/html", "text/plain"]
    text = bundle["text/plain"]
    assert text.startswith("<labgrad graph: 7 nodes, 6 edges>, no picture. Rendering needs the Graphviz 'dot' program")
    assert all(f"{tool} install graphviz" in text for tool in ("apt-get", "brew", "conda"))
    assert text.endswith(g.source) and ">-12<" in text
    page = bundle["text/html"]
    assert f"<pre>{html.escape(g.source)}</pre>" in page and "apt-get install graphviz" in page


@needs_dot
def test_with_dot_save_svg_is_dots_picture(tmp_path):
    x, y, z, q, f = lecture()
    f.backward()
    svg = viz.save(viz.draw(f), tmp_path / "f.svg").read_text(encoding="utf-8")
    assert "Generated by graphviz" in svg and 'class="node output"' not in svg


@needs_dot
def test_jupyter_with_dot_displays_the_picture():
    x, y, z, q, f = lecture()
    f.backward()
    bundle = viz.draw(f, names=locals())._repr_mimebundle_(include=None, exclude=None)
    svg = bundle["image/svg+xml"]
    assert list(bundle) == ["image/svg+xml"] and "<svg" in svg and re.search(">(-|&#45;)12<", svg)


def _grouped_mlp():
    loss, params = mlp(batch=4)
    loss.backward()
    return viz.draw(loss, names=params, group_by_module=True, color_by_grad=True)


@pytest.mark.parametrize("build, size", [
    (lambda: viz.draw(lecture()[-1]), (7, 6)),                  # 5 tensors and 2 ops; 4 inputs and 2 outputs
    (lambda: viz.draw(neuron()[-1]), (15, 14)),
    (lambda: viz.draw(Tensor(2.0, requires_grad=True) * 3), (4, 3)),   # a constant is a node too
    (_grouped_mlp, None),                                        # clusters, and an op drawn as "-"
])
def test_repr_says_the_number_of_nodes_and_edges(build, size):
    g = build()
    size = size or (len(nodes(g)), len(edges(g)))
    assert repr(g) == f"<labgrad graph: {size[0]} nodes, {size[1]} edges>"
    assert (len(nodes(g)), len(edges(g))) == size


# --- leaf gradients that are not one backward's --------------------------------------------

def backward_twice():
    x, y, z, q, f = lecture()
    f.backward(retain_graph=True)
    f.backward()
    return f, dict(q=q, f=f)


def tiny_training(zero_grad):
    """The tour's trap: a backward after nn.fit adds to the last batch's gradients unless zeroed first."""
    import nn
    from nn import functional as F

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((12, 3)), rng.integers(0, 2, 12)
    model = nn.Linear(3, 2)
    nn.fit(model, F.cross_entropy, nn.SGD(model.parameters(), lr=0.1), (X, y), epochs=1, batch_size=4,
           seed=0, progress=False)
    if zero_grad:
        model.zero_grad()
    loss = F.cross_entropy(model(Tensor(X[:4])), y[:4])
    loss.backward()
    return loss, dict(model.named_parameters(), loss=loss)


def gradients_from_another_graph():
    x, y, z, q, f = lecture()
    (x * y * z).backward()                              # f itself never backpropagated
    return f, dict(q=q, f=f)


def one_backward():
    x, y, z, q, f = lecture()
    f.backward()
    return f, dict(q=q, f=f)


def no_backward():
    x, y, z, q, f = lecture()
    return f, dict(q=q, f=f)


def vector_root_twice():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    h = w * 3
    h.backward(np.ones(2), retain_graph=True)
    h.backward(np.ones(2))
    return h, dict(h=h)


@pytest.mark.parametrize("build, stale_leaf", [
    (backward_twice, "x"),
    (lambda: tiny_training(zero_grad=False), "weight"),
    (gradients_from_another_graph, "x"),
    (lambda: tiny_training(zero_grad=True), None),
    (one_backward, None),
    (no_backward, None),
    (vector_root_twice, None),                          # several elements in the root: draw cannot tell
])
def test_draw_says_when_the_leaves_hold_not_one_backwards_gradients(build, stale_leaf):
    root, names = build()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = viz.draw(root, names=names)
    said = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if stale_leaf is None:
        assert said == [] and "one backward of this graph" not in g.source
    else:
        assert len(said) == 1 and f"the .grad of {stale_leaf!r}" in said[0] and "zero_grad()" in said[0]
        assert "leaf .grad ≠ one backward of this graph" in g.source and "call zero_grad()" in g.source
        intermediate_grads = [cells[-1] for name, cells in tensor_cells(g).items() if name in ("q", "f", "loss")]
        assert intermediate_grads and set(intermediate_grads) == {"—"}


def test_draw_after_zeroing_shows_one_backwards_gradients_everywhere():
    loss, names = tiny_training(zero_grad=True)
    cells = tensor_cells(viz.draw(loss, names=names))
    assert cells["loss"][-1] == "1" and all(c[-1] != "—" for c in cells.values())


def test_without_the_graphviz_package_draw_says_pip_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    x, y, z, q, f = lecture()
    with pytest.raises(ImportError, match="pip install graphviz"):
        viz.draw(f)
    with pytest.raises(ImportError, match="pip install graphviz"):
        f.draw()
    assert len(backward_steps(f)) == 4                          # the step table needs no graphviz


def test_module_entry_point_renders_the_seed_exercises(tmp_path):
    run = subprocess.run([sys.executable, "-m", "autograd.viz", "--out", str(tmp_path), "--format", "dot"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    assert "f = q * z" in run.stdout and "y = sigmoid(z)" in run.stdout
    lecture_dot = (tmp_path / "computational_graph.dot").read_text()
    assert all(v in lecture_dot for v in (">-12<", ">3<", ">-4<"))
    neuron_dot = (tmp_path / "sigmoid_neuron.dot").read_text()
    assert all(v in neuron_dot for v in (">0.7311<", ">-0.1966<", ">0.3932<", ">-0.3932<", ">-0.5898<"))


@pytest.mark.parametrize("args, folder", [([], "out/viz"), (["--out", "pictures"], "pictures")])
def test_module_entry_point_writes_under_the_current_folder_without_warnings(args, folder, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "autograd.viz", *args, "--format", "dot"],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert run.returncode == 0 and run.stderr == ""             # no runpy RuntimeWarning
    assert sorted(p.name for p in (tmp_path / folder).iterdir()) == ["computational_graph.dot", "sigmoid_neuron.dot"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.split("/")[0]]   # nothing else, no ./docs


# --- backward_steps -------------------------------------------------------------------

def test_backward_steps_follow_the_chain_rule_in_backward_order():
    x, y, z, q, f = lecture()
    steps = backward_steps(f, names=locals())
    rows = [(s.op.name, s.input.name or "q", float(s.upstream), float(s.local), float(s.passed), float(s.accumulated))
            for s in steps]
    assert rows == [("*", "q", 1, -4, -4, -4), ("*", "z", 1, 3, 3, 3),
                    ("+", "x", -4, 1, -4, -4), ("+", "y", -4, 1, -4, -4)]
    assert x.grad is None and steps.grad(q) == -4 and steps.grad(f) == 1
    assert "3  q = x + y  -4        x      1      -4           -4" in str(steps)
    f.backward()                                               # released: steps still replay
    assert float(backward_steps(f).grad(x)) == -4.0 and x.grad == -4.0


def test_backward_steps_accumulate_shared_inputs_and_take_a_seed():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    out = w * w
    steps = backward_steps(out, grad=[1.0, 10.0])
    assert [s.accumulated.tolist() for s in steps] == [[1.0, 20.0], [2.0, 40.0]]
    np.testing.assert_array_equal(steps.grad(w), [2.0, 40.0])
    with pytest.raises(ValueError, match=r"root has shape \(2,\); pass grad="):
        backward_steps(out)
    with pytest.raises(ValueError, match="does not match root shape"):
        backward_steps(out, grad=[1.0])
    with pytest.raises(ValueError, match="does not require grad"):
        backward_steps(Tensor(1.0))
    with pytest.raises(TypeError, match="must be a Tensor"):
        backward_steps(1.0)


def test_backward_steps_gradients_match_the_engine_on_the_mlp():
    loss, params = mlp(batch=8)
    steps = backward_steps(loss, names=params)
    loss.backward()
    for p in params.values():
        np.testing.assert_allclose(steps.grad(p), p.grad, rtol=1e-6)
    assert "layers.0.weight" in str(steps)


def test_intermediate_gradients_show_with_nan_and_inf_in_the_leaves(recwarn):
    a = Tensor([1.0, 0.0, -1.0], requires_grad=True)
    with np.errstate(all="ignore"):
        b = a.log()
        loss = (b * 0 + a).sum()
        loss.backward()                                # a.grad = [1, nan, 1], as PyTorch
    assert tensor_cells(viz.draw(loss, names=dict(a=a, b=b)))["b"][-1] == "[0, 0, 0]"
    c = Tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(all="ignore"):
        h = c.sqrt() * 3
        total = h.sum()
        total.backward(retain_graph=True)
        total.backward()                               # accumulated twice: not one backward's gradients
    with pytest.warns(UserWarning, match="zero_grad"):
        assert tensor_cells(viz.draw(total, names=dict(c=c, h=h)))["h"][-1] == "—"
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_trace_sums_in_the_engines_order_writes_minus_and_keeps_auto_names_apart():
    x = Tensor(1.0, requires_grad=True, dtype=np.float32)
    loss = (x * 1e4 + x * -1e4) + x * 1e-3            # float32 cancellation: the order of the sum shows
    loss.backward()
    assert backward_steps(loss).grad(x) == x.grad
    p, q = Tensor(3.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    d = p - q
    assert "d = p - q" in str(backward_steps(d, names=dict(p=p, q=q, d=d)))
    t1 = p * q                                         # a user's name that looks like an automatic one
    table = str(backward_steps(t1, names={"t1": t1}))
    assert "t1 = t0 * t2" in table


def test_save_names_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="save: no folder"):
        viz.save(viz.draw(Tensor(1.0, requires_grad=True) * 2), tmp_path / "missing" / "g.dot")


@pytest.mark.parametrize("suffix", [".dot", ".svg"])
def test_save_is_complete_or_absent(suffix, tmp_path, monkeypatch):
    """A failed save leaves the old file as it was and no temporary file beside it."""
    import autograd.viz.files
    x = Tensor(2.0, requires_grad=True, name="x")
    path = tmp_path / f"g{suffix}"
    path.write_bytes(b"old")

    def failing_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(autograd.viz.files.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        viz.save(x * x, path)
    assert path.read_bytes() == b"old" and [q.name for q in tmp_path.iterdir()] == [path.name]
