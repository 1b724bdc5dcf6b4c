"""viz.player (issue 16): the frames of a graph's forward and backward pass, and the one-file HTML player.

The browser half (controls, keys, highlights in headless Chromium) is tests/test_player_browser.py.
"""
import html
import json
import re

import numpy as np
import pytest

import nn
from autograd import Tensor, viz
from autograd.trace import backward_steps, format_array
from autograd.viz.player import Frame, Player, player
from player_graphs import GRAPHS, chain, diamond, engine_walk, lecture, neuron

NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/XML/1998/namespace"}


def table_rows(steps):
    """The printed table of ``backward_steps`` cut into cells at the header's column starts."""
    lines = str(steps).splitlines()
    header = lines[1]
    starts = [header.index(word) for word in ("node", "upstream", "input", "local", "passed down", "accumulated")]
    return [[line[:starts[0]].strip()] + [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
            for line in lines[2:]]


# --- the frames ---------------------------------------------------------------------------

def test_lecture_frames_string_for_string():
    f, names = lecture()
    p = player(f, names=names)
    assert [(fr.kind, fr.title) for fr in p.frames] == [
        ("leaves", "the leaves: the inputs of the graph"),
        ("forward", "forward 1 / 2: + computes q"), ("forward", "forward 2 / 2: * computes f"),
        ("backward", "backward step 1 / 4: f = q * z"), ("backward", "backward step 2 / 4: f = q * z"),
        ("backward", "backward step 3 / 4: q = x + y"), ("backward", "backward step 4 / 4: q = x + y"),
        ("final", "done: every gradient of f")]
    assert [fr.explanation for fr in p.frames] == [
        ("The leaves hold the inputs:", "x = -2", "y = 5", "z = -4", "Next, the forward pass runs each op in turn."),
        ("q = x + y", "  = -2 + 5", "  = 3"),
        ("f = q * z", "  = 3 * -4", "  = -12"),
        ("step 1: f = q * z passes the gradient on to q", "upstream gradient  df/df = 1",
         "local derivative   df/dq = z = -4", "chain rule         df/df × df/dq = 1 × -4 = -4", "q.grad = -4"),
        ("step 2: f = q * z passes the gradient on to z", "upstream gradient  df/df = 1",
         "local derivative   df/dz = q = 3", "chain rule         df/df × df/dz = 1 × 3 = 3", "z.grad = 3"),
        ("step 3: q = x + y passes the gradient on to x", "upstream gradient  df/dq = -4",
         "local derivative   dq/dx = 1", "chain rule         df/dq × dq/dx = -4 × 1 = -4", "x.grad = -4"),
        ("step 4: q = x + y passes the gradient on to y", "upstream gradient  df/dq = -4",
         "local derivative   dq/dy = 1", "chain rule         df/dq × dq/dy = -4 × 1 = -4", "y.grad = -4"),
        ("The gradients of the leaves (what backward() adds to .grad):", "x.grad = -4", "y.grad = -4",
         "z.grad = 3", "The picture shows the intermediates' gradients too.")]
    key = {name: k for k, t in p.scene.tensors.items() for name, u in names.items() if u is t}
    shown = [({n: fr.values.get(key[n]) for n in "xyzqf"}, {n: fr.grads.get(key[n]) for n in "xyzqf"})
             for fr in p.frames]
    assert shown[0] == ({"x": "-2", "y": "5", "z": "-4", "q": None, "f": None}, dict.fromkeys("xyzqf"))
    assert shown[2][0] == {"x": "-2", "y": "5", "z": "-4", "q": "3", "f": "-12"}
    assert shown[3][1] == {"x": None, "y": None, "z": None, "q": "-4", "f": "1"}
    assert shown[-1][1] == {"x": "-4", "y": "-4", "z": "3", "q": "-4", "f": "1"}


@pytest.mark.parametrize("line", [
    "local derivative   do/dn = o·(1 - o) = 0.1966",
    "chain rule         do/dt0 × dt0/dw0 = 0.1966 × -1 = -0.1966",
    "x0.grad = 0.3932"])
def test_neuron_explains_the_sigmoid_step(line):
    o, names = neuron()
    p = player(o, names=names)
    assert any(line in fr.explanation for fr in p.frames)


def test_diamond_shows_the_running_sum_where_a_is_used_twice():
    d, names = diamond()
    p = player(d, names=names)
    last_step = [fr for fr in p.frames if fr.kind == "backward"][-1]
    assert last_step.explanation[-2:] == ("a is used more than once: its gradients add up", "a.grad = 6 + 8 = 14")
    first_to_a = [fr for fr in p.frames if fr.kind == "backward" and fr.explanation[-1] == "a.grad = 6"]
    assert len(first_to_a) == 1


@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_frames_are_the_engines_walk_and_backward_steps_rows(graph):
    root, names = GRAPHS[graph]()
    p = player(root, names=names)
    steps = backward_steps(root, names=names)
    walk = engine_walk(root)
    n_ops = sum(1 for n in p.scene.nodes if n.kind == "op")
    assert [fr.kind for fr in p.frames] == ["leaves"] + ["forward"] * n_ops + ["backward"] * len(walk) + ["final"]
    key = {id(t): k for k, t in p.scene.tensors.items()}
    backward = [fr for fr in p.frames if fr.kind == "backward"]
    r = steps.names[id(root)]
    for fr, (op, output, input), row in zip(backward, walk, table_rows(steps)):
        number, node, upstream, source, local, passed, accumulated = row
        out = node.split(" = ")[0]
        assert fr.highlight == ("op" + key[id(output)][1:], key[id(output)], key[id(input)])
        assert p.scene.ops[fr.highlight[0]] is op
        assert fr.explanation[0] == f"step {number}: {node} passes the gradient on to {source}"
        assert fr.explanation[1] == f"upstream gradient  d{r}/d{out} = {upstream}"
        assert fr.explanation[2].startswith(f"local derivative   d{out}/d{source} = ")
        assert fr.explanation[2].endswith(f" {local}")
        assert fr.explanation[3].endswith(f"= {upstream} × {local} = {passed}")
        assert fr.explanation[-1].startswith(f"{source}.grad = ") and fr.explanation[-1].endswith(f" {accumulated}")
        assert fr.grads[key[id(input)]] == accumulated
    forward = [fr for fr in p.frames if fr.kind == "forward"]
    made = sorted((t for t in p.scene.tensors.values() if t.op is not None), key=lambda t: t.op.seq)
    assert [fr.highlight[1] for fr in forward] == [key[id(t)] for t in made]
    root.backward()                                            # the numbers are the engine's
    final = p.frames[-1]
    for t in names.values():
        if t.op is None:
            assert final.grads[key[id(t)]] == format_array(t.grad)


@pytest.mark.parametrize("after_backward", [False, True])
def test_the_users_gradients_are_left_as_they_were(after_backward):
    f, names = lecture()
    if after_backward:
        f.backward(retain_graph=True)
    before = {k: (None if t.grad is None else (t.grad, t.grad.copy())) for k, t in names.items()}
    p = player(f, names=names)
    p.html()
    for k, t in names.items():
        if before[k] is None:
            assert t.grad is None
        else:
            assert t.grad is before[k][0] and np.array_equal(t.grad, before[k][1])
    assert p.frames[-1].grads == player(f, names=names).frames[-1].grads


def test_a_vector_root_takes_a_seed_and_frames_are_read_only():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    out = w * w
    p = player(out, grad=[1.0, 10.0], names=dict(w=w, out=out))
    assert p.frames[-1].grads["t0"] == "[2, 40]"
    assert p.frames[-2].explanation[-1] == "w.grad = [1, 20] + [1, 20] = [2, 40]"
    with pytest.raises(TypeError):
        p.frames[0].values["t0"] = "x"
    assert isinstance(p.frames[0], Frame) and isinstance(p, Player)


@pytest.mark.parametrize("call, error, message", [
    (lambda: player(1.0), TypeError, "player: the root must be a Tensor, got float"),
    (lambda: player(Tensor(1.0)), ValueError, "player: the root of shape () does not require grad"),
    (lambda: player(Tensor([1.0, 2.0], requires_grad=True) * 2), ValueError, "player: grad can be omitted only"),
    (lambda: player(chain()[0], max_nodes=20), ValueError, "player: the graph has more than max_nodes=20"),
    (lambda: player(lecture()[0], names=5), TypeError, "player: names must be a mapping or (name, tensor) pairs, got 5"),
    (lambda: player(lecture()[0], names=[1, 2]), TypeError, "player: names must be a mapping or (name, tensor) pairs"),
    (lambda: player(lecture()[0], grad="a"), TypeError, "player: grad must be numbers"),
    (lambda: player(lecture()[0], max_elements=-1), ValueError, "player: max_elements must be a non-negative int"),
    (lambda: player(lecture()[0], max_elements=1.5), TypeError, "player: max_elements must be a non-negative int"),
    (lambda: player(lecture()[0]).save(3), TypeError, "player.save: path must be a str or a path, got int"),
])
def test_bad_input_is_refused_clearly(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_save_refuses_unknown_extensions_and_writes_nothing_half_way(tmp_path, monkeypatch):
    p = player(lecture()[0])
    with pytest.raises(ValueError, match=r"player.save: unknown extension '\.png'.*use \.html"):
        p.save(tmp_path / "p.png")
    with pytest.raises(FileNotFoundError, match="player.save: no folder"):
        p.save(tmp_path / "missing" / "p.html")
    target = tmp_path / "p.html"
    target.write_text("old", encoding="utf-8")

    def broken():
        raise RuntimeError("disk full")
    monkeypatch.setattr(p, "html", broken)
    with pytest.raises(RuntimeError):
        p.save(target)
    assert target.read_text(encoding="utf-8") == "old" and sorted(x.name for x in tmp_path.iterdir()) == ["p.html"]
    monkeypatch.undo()
    assert p.save(target) == target and target.read_text(encoding="utf-8") == p.html()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["p.html"]


# --- the page -----------------------------------------------------------------------------

def frames_from_page(page):
    """The frames' texts as the page's script rebuilds them from the per-frame changes."""
    data = json.loads(re.search(r'<script type="application/json" id="[^"]+">(.*?)</script>', page, re.S)[1])
    values, grads, states = {}, {}, []
    for f in data:
        values, grads = {**values, **f["v"]}, {**grads, **f["g"]}
        states.append((f, {k: v for k, v in values.items() if v}, {k: g for k, g in grads.items() if g}))
    return states


@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_the_page_holds_every_frame(graph):
    root, names = GRAPHS[graph]()
    p = player(root, names=names)
    states = frames_from_page(p.html())
    assert len(states) == len(p.frames)
    for fr, (data, values, grads) in zip(p.frames, states):
        assert (data["k"], data["t"], tuple(data["x"]), tuple(data["h"])) == \
            (fr.kind, fr.title, fr.explanation, fr.highlight)
        assert [tuple(e) for e in data["e"]] == list(fr.edges)
        assert values == {k: v for k, v in fr.values.items() if v is not None}
        assert grads == {k: g for k, g in fr.grads.items() if g is not None}


def test_the_page_is_self_contained_deterministic_and_small():
    page = player(lecture()[0], names=lecture()[1]).html()
    assert page == player(lecture()[0], names=lecture()[1]).html()          # byte-identical for the same graph
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= NAMESPACES
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", page)
    assert page.count("<svg") == 1 and page.count("<script") == 2
    big, names = chain()
    assert sum(1 for _ in viz.player(big, names=names).scene.nodes) == 50
    assert len(viz.player(big, names=names).html().encode("utf-8")) < 300_000


def test_names_cannot_break_out_of_the_script():
    x = Tensor(2.0, requires_grad=True)
    y = x * 3
    page = player(y, names={"</script><b>": x, "y&<!--": y}).html()
    assert page.count("</script>") == 2 and "<b>" not in page.split("<script")[1]
    data = frames_from_page(page)
    assert "</script><b> = 2" in data[0][0]["x"]


def test_different_graphs_get_different_ids_and_jupyter_gets_an_iframe():
    a, b = player(lecture()[0]), player(diamond()[0])
    ids = [re.search(r'class="labgrad-player" id="([\w-]+)"', q.html())[1] for q in (a, b)]
    assert ids[0] != ids[1]
    inline = a._repr_html_()
    srcdoc = re.fullmatch(r'<iframe srcdoc="([^"]*)" .*</iframe>', inline, re.S)[1]
    assert html.unescape(srcdoc) == a.html()


def test_modules_and_gradient_colours_reach_the_player():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 1, rng=1))
    loss = (model(Tensor(np.ones((2, 3)))) ** 2).mean()
    p = viz.player(loss, names=dict(model.named_parameters()), group_by_module=True, color_by_grad=True)
    assert [path for path, _ in p.scene.clusters] == ["0", "2"]
    assert all(e.color is not None for e in p.scene.edges if e.target.startswith("t"))
    assert "0.weight.grad" in "\n".join(p.frames[-1].explanation)
    assert p.frames[-1].grads == {n.key: n.grad for n in p.scene.nodes if n.grad is not None}


def test_one_layout_fits_the_widest_text_of_any_frame():
    from autograd.viz.layout import layered_layout

    a = Tensor(np.ones(6), requires_grad=True, name="a")
    c = np.linspace(1.23456, 2.3456, 6)
    d = (a * c + a * -c).sum()                         # a.grad is [1.235, ...] half-way, [0, 0, ...] at the end
    p = player(d, names=dict(a=a, d=d))
    key = next(k for k, t in p.scene.tensors.items() if t is a)
    assert p.frames[-1].grads[key] == "[0, 0, 0, 0, 0, 0]"
    assert max(len(f.grads.get(key) or "") for f in p.frames) > len("[0, 0, 0, 0, 0, 0]")
    assert p.layout.boxes[key].width > layered_layout(p.scene).boxes[key].width


def test_a_saved_page_gets_the_permissions_open_gives(tmp_path):
    from autograd.viz.player import player as make_player
    x = Tensor(2.0, requires_grad=True, name="x")
    page = make_player(x * x, names={"x": x}).save(tmp_path / "p.html")
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"")
    assert page.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777      # (mkstemp would give 0600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.html", "plain.txt"]


# --- the chain-rule line survives rounding (review of #16) ------------------------------

PRODUCT_OPS = {
    "/": lambda a, b: a / b, "**": lambda a, b: a ** b, "log": lambda a, b: a.log() * b,
    "sqrt": lambda a, b: a.sqrt() * b, "sigmoid": lambda a, b: a.sigmoid() * b,
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op", sorted(PRODUCT_OPS))
def test_every_step_is_written_as_the_chain_rule_product(op, dtype):
    # upstream != 1 everywhere (the root is scaled by 0.37 and each op sits under a product), at values whose
    # passed gradient differs from upstream × local in the last bit: the step still reads as the product
    a = Tensor(np.array(1.7, dtype=dtype), requires_grad=True, name="a")
    b = Tensor(np.array(0.3, dtype=dtype), requires_grad=True, name="b")
    f = PRODUCT_OPS[op](a, b) * 0.37
    texts = backward_steps(f, names={"a": a, "b": b, "f": f}).texts()
    assert texts and all(t.product for t in texts), [t.lines()[3] for t in texts if not t.product]
    assert all("the backward of" not in t.lines()[3] for t in texts)
    p = player(f, names={"a": a, "b": b, "f": f})
    assert not any("the backward of" in line for fr in p.frames for line in fr.explanation)


def test_the_size_guard_says_what_applies_to_the_player():
    # no word of graphviz: the player does not use it
    with pytest.raises(ValueError) as error:
        player(chain()[0], max_nodes=20)
    assert "graphviz" not in str(error.value) and "or pass a larger max_nodes" in str(error.value)


def test_names_may_be_a_one_shot_iterator():
    f, names = lecture()
    p = player(f, names=iter(names.items()))
    assert p.html() == player(f, names=names).html()


def test_gradient_colours_are_marked_for_the_final_frame_only():
    # color_by_grad's colours and |grad| labels are the final gradients: the page marks them so that its
    # style shows them in the final frame only (the browser half: test_player_browser)
    f, names = diamond()
    page = player(f, names=names, color_by_grad=True).html()
    scene = player(f, names=names, color_by_grad=True).scene
    assert page.count('<text class="edge-label grad-label"') == sum(e.grad_label is not None for e in scene.edges) > 0
    assert page.count(' class="edge graded"') == sum(e.color is not None or e.dashed for e in scene.edges) > 0
    assert ":not([data-final]) text.grad-label { visibility: hidden; }" in page
    assert 'data-final' not in player(f, names=names).html().split("<body>")[1].split("<script")[0]


def test_the_counter_counts_frames_and_the_page_has_no_unused_style():
    f, names = lecture()
    page = player(f, names=names).html()
    assert ">frame 1 / 8</span>" in page and "text.pending" not in page
    assert page.count("aria-label=") >= 8 and page.count('aria-live="polite"') == 2 and 'aria-pressed="false"' in page
