"""Backprop by hand on the seeds' two small graphs, next to what labgrad computes, with pictures.

Seed 001 task 3.5 (and seed 000's backprop figure): ``f = (x + y) * z`` at
x = -2, y = 5, z = -4, and the sigmoid neuron ``y = sigma(w0 x0 + w1 x1 + w2)``
at w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3. For each, the chain rule is
worked step by step in plain Python floats (the "hand" column) and set beside
the gradients labgrad's ``backward`` produced (the "engine" column); the
sigmoid neuron is done twice, once split into the primitive gates of the
lecture figure (``*``, ``+``, ``neg``, ``exp``, ``+1``, ``1/x``) and once with
the single ``sigmoid`` op whose local derivative is ``sigma (1 - sigma)``.
Each graph is drawn with its values (green) and gradients (red), and stepped
through by a player (``viz.player``): ``<name>_player.html``, one offline page
with first / back / play / next / last, a slider and the arrow keys, and
``<name>_player.gif``, the same frames as an animation for slides.

>>> r = f_xyz()
>>> r["value"], r["grads"]["x"], r["grads"]["z"]
(-12.0, (-4.0, -4.0), (3.0, 3.0))
"""
import argparse
import math
from pathlib import Path

from autograd import Tensor, viz
from autograd.trace import backward_steps

from demos import common

__all__ = ["f_xyz", "sigmoid_neuron_gates", "sigmoid_neuron", "save_player", "run", "main", "PLAYERS"]


def _leaf(value, name):
    return Tensor(float(value), requires_grad=True, name=name)


def _named(t, name):
    t.name = name
    return t.retain_grad()           # keep the engine's gradient of this intermediate for the table


def _result(root, steps, leaves, names):
    """Collect (hand, engine) pairs and the printed chain-rule lines."""
    grads = {}
    for label, formula, hand, tensor in steps:
        grads[label] = (hand, float(tensor.grad))
    return dict(value=float(root.data), grads=grads, steps=steps, root=root, names=names, leaves=leaves)


def f_xyz(x=-2.0, y=5.0, z=-4.0):
    """``f = (x + y) * z``: forward, ``backward()``, and the chain rule by hand.

    Returns
    -------
    dict
        ``value`` (f), ``grads`` (name -> (hand, engine)), ``steps`` (printable
        chain-rule lines with their tensors), ``root`` and ``names`` (for drawing).
    """
    tx, ty, tz = _leaf(x, "x"), _leaf(y, "y"), _leaf(z, "z")
    q = _named(tx + ty, "q")
    f = _named(q * tz, "f")
    f.backward()
    # by hand: q = x + y, f = q z
    hq = x + y
    df_dq, df_dz = z, hq                  # d(qz)/dq = z, d(qz)/dz = q
    df_dx, df_dy = df_dq * 1.0, df_dq * 1.0   # d(x+y)/dx = d(x+y)/dy = 1
    steps = [
        ("f", "df/df = 1", 1.0, f),
        ("q", f"df/dq = z = {z:g}", df_dq, q),
        ("z", f"df/dz = q = x + y = {hq:g}", df_dz, tz),
        ("x", f"df/dx = df/dq * dq/dx = {df_dq:g} * 1", df_dx, tx),
        ("y", f"df/dy = df/dq * dq/dy = {df_dq:g} * 1", df_dy, ty),
    ]
    forward = [f"q = x + y = {x:g} + {y:g} = {hq:g}", f"f = q * z = {hq:g} * {z:g} = {hq * z:g}"]
    r = _result(f, steps, (tx, ty, tz), dict(x=tx, y=ty, z=tz, q=q, f=f))
    r["forward"] = forward
    return r


def sigmoid_neuron_gates(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0):
    """``1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))`` built from primitive gates, as in the lecture figure."""
    L = dict(w0=_leaf(w0, "w0"), x0=_leaf(x0, "x0"), w1=_leaf(w1, "w1"), x1=_leaf(x1, "x1"), w2=_leaf(w2, "w2"))
    a = _named(L["w0"] * L["x0"], "a")
    b = _named(L["w1"] * L["x1"], "b")
    c = _named(a + b, "c")
    z = _named(c + L["w2"], "z")
    n = _named(-z, "n")
    e = _named(n.exp(), "e")
    d = _named(e + 1.0, "d")
    y = _named(1.0 / d, "y")
    y.backward()
    # by hand, gate by gate from the output back
    hz = w0 * x0 + w1 * x1 + w2
    he = math.exp(-hz)
    hd = he + 1.0
    dy_dd = -1.0 / hd ** 2                # d(1/d)/dd = -1/d^2
    dy_de = dy_dd * 1.0                   # d(e+1)/de = 1
    dy_dn = dy_de * he                    # d(exp n)/dn = exp n
    dy_dz = dy_dn * -1.0                  # d(-z)/dz = -1
    dy_dc = dy_dw2 = dy_dz                # + passes the gradient to both inputs
    dy_da = dy_db = dy_dc
    steps = [
        ("y", "dy/dy = 1", 1.0, y),
        ("d", f"dy/dd = -1/d^2 = -1/{hd:.4f}^2", dy_dd, d),
        ("e", "dy/de = dy/dd * 1", dy_de, e),
        ("n", f"dy/dn = dy/de * exp(n) = {dy_de:.4f} * {he:.4f}", dy_dn, n),
        ("z", "dy/dz = dy/dn * -1", dy_dz, z),
        ("w2", "dy/dw2 = dy/dz * 1", dy_dw2, L["w2"]),
        ("c", "dy/dc = dy/dz * 1", dy_dc, c),
        ("a", "dy/da = dy/dc * 1", dy_da, a),
        ("b", "dy/db = dy/dc * 1", dy_db, b),
        ("w0", f"dy/dw0 = dy/da * x0 = {dy_da:.4f} * {x0:g}", dy_da * x0, L["w0"]),
        ("x0", f"dy/dx0 = dy/da * w0 = {dy_da:.4f} * {w0:g}", dy_da * w0, L["x0"]),
        ("w1", f"dy/dw1 = dy/db * x1 = {dy_db:.4f} * {x1:g}", dy_db * x1, L["w1"]),
        ("x1", f"dy/dx1 = dy/db * w1 = {dy_db:.4f} * {w1:g}", dy_db * w1, L["x1"]),
    ]
    forward = [f"a = w0 * x0 = {w0 * x0:g}", f"b = w1 * x1 = {w1 * x1:g}", f"c = a + b = {w0 * x0 + w1 * x1:g}",
               f"z = c + w2 = {hz:g}", f"n = -z = {-hz:g}", f"e = exp(n) = {he:.4f}", f"d = e + 1 = {hd:.4f}",
               f"y = 1 / d = {1 / hd:.4f}"]
    r = _result(y, steps, tuple(L.values()), dict(L, a=a, b=b, c=c, z=z, n=n, e=e, d=d, y=y))
    r["forward"] = forward
    return r


def sigmoid_neuron(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0):
    """The same neuron with one ``sigmoid`` op: local derivative ``sigma(z) (1 - sigma(z))``."""
    L = dict(w0=_leaf(w0, "w0"), x0=_leaf(x0, "x0"), w1=_leaf(w1, "w1"), x1=_leaf(x1, "x1"), w2=_leaf(w2, "w2"))
    a = _named(L["w0"] * L["x0"], "a")
    b = _named(L["w1"] * L["x1"], "b")
    c = _named(a + b, "c")
    z = _named(c + L["w2"], "z")
    y = _named(z.sigmoid(), "y")
    y.backward()
    hz = w0 * x0 + w1 * x1 + w2
    s = 1.0 / (1.0 + math.exp(-hz))
    dz = s * (1 - s)
    steps = [
        ("y", "dy/dy = 1", 1.0, y),
        ("z", f"dy/dz = sigma(z) (1 - sigma(z)) = {s:.4f} * {1 - s:.4f}", dz, z),
        ("w0", f"dy/dw0 = dy/dz * x0 = {dz:.4f} * {x0:g}", dz * x0, L["w0"]),
        ("x0", f"dy/dx0 = dy/dz * w0 = {dz:.4f} * {w0:g}", dz * w0, L["x0"]),
        ("w1", f"dy/dw1 = dy/dz * x1 = {dz:.4f} * {x1:g}", dz * x1, L["w1"]),
        ("x1", f"dy/dx1 = dy/dz * w1 = {dz:.4f} * {w1:g}", dz * w1, L["x1"]),
        ("w2", "dy/dw2 = dy/dz * 1", dz, L["w2"]),
    ]
    forward = [f"z = w0 x0 + w1 x1 + w2 = {hz:g}", f"y = sigmoid(z) = {s:.4f}"]
    r = _result(y, steps, tuple(L.values()), dict(L, a=a, b=b, c=c, z=z, y=y))
    r["forward"] = forward
    return r


EXERCISES = {
    "f_xyz": ("f(x, y, z) = (x + y) * z at x = -2, y = 5, z = -4", f_xyz),
    "sigmoid_neuron_gates": ("sigmoid neuron y = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))), gate by gate, "
                             "at w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3", sigmoid_neuron_gates),
    "sigmoid_neuron": ("the same neuron with one sigmoid op", sigmoid_neuron),
}


def print_exercise(title, r):
    """The forward values, then each chain-rule step with the hand value and the engine's gradient."""
    print(title)
    for line in r["forward"]:
        print(f"  forward   {line}")
    print(f"  {'backward (chain rule by hand)':<54} {'hand':>9} {'engine':>9}")
    for label, formula, hand, tensor in r["steps"]:
        eng = float(tensor.grad)
        mark = "" if math.isclose(hand, eng, rel_tol=1e-12, abs_tol=1e-12) else "   <-- DIFFERENT"
        print(f"  {formula:<54} {hand:9.4f} {eng:9.4f}{mark}")


#: the exercises that also get a player (HTML and GIF): the seeds' (x + y) * z and sigmoid neuron
PLAYERS = ("f_xyz", "sigmoid_neuron_gates")


def save_player(player, path_stem, formats=("html", "gif")):
    """Write a ``viz.player`` to ``<path_stem>_player.<format>`` for each format; print each path."""
    stem = Path(path_stem)
    return [common.wrote(player.save(stem.with_name(f"{stem.name}_player.{fmt}"))) for fmt in formats]


def run(out=None, formats=("svg", "png"), show_steps=True, players=PLAYERS):
    """Work, print and (if ``out``) draw the three exercises, and write the players of ``players``;
    return their results by name."""
    results = {}
    for stem, (title, fn) in EXERCISES.items():
        r = fn()
        results[stem] = r
        print_exercise(title, r)
        if show_steps:
            print("  labgrad's own backward, step by step (autograd.trace.backward_steps):")
            print("    " + str(backward_steps(r["root"], names=r["names"])).replace("\n", "\n    "))
        if out is not None:
            common.save_graph(viz.draw(r["root"], names=r["names"]), Path(out) / stem, formats)
            if stem in players:
                save_player(viz.player(r["root"], names=r["names"]), Path(out) / stem)
        print()
    agree = all(math.isclose(h, e, rel_tol=1e-12, abs_tol=1e-12)
                for r in results.values() for h, e in r["grads"].values())
    print("hand and engine agree on every gradient" if agree else "hand and engine DISAGREE (see above)")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m demos.computational_graphs", description=__doc__.split("\n\n")[0],
        epilog="No training here, so no --epochs/--batch-size/--lr/--data options.")
    parser.add_argument("--out", default="out/computational_graphs", help="folder for the pictures "
                        "(default out/computational_graphs)")
    parser.add_argument("--quick", action="store_true", help="SVG pictures only (skip the PNG renders)")
    parser.add_argument("--no-steps", action="store_true", help="do not print labgrad's step table")
    return common.run_demo(parser.parse_args(argv), _run)


def _run(args, out):
    results = run(out, formats=("svg",) if args.quick else ("svg", "png"), show_steps=not args.no_steps)
    common.finish(args)
    ok = all(math.isclose(h, e, rel_tol=1e-12, abs_tol=1e-12) for r in results.values() for h, e in r["grads"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
