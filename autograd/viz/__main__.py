"""``python -m autograd.viz``: render the seeds' two backprop exercises into ``out/viz`` (``--out DIR`` elsewhere).

The command lives in its own module so that :mod:`autograd.viz` itself needs no
Tensor class (``Tensor.draw`` imports it: the imports run one way).
"""
import argparse
import pathlib

from autograd.tensor import Tensor
from autograd.trace import backward_steps
from autograd.viz import draw, save

__all__ = ["seed_exercises", "main"]


def seed_exercises():
    """The seeds' two backprop exercises with the lecture numbers, backpropagated: {file stem: (root, names)}."""
    x = Tensor(-2.0, requires_grad=True, name="x")
    y = Tensor(5.0, requires_grad=True, name="y")
    z = Tensor(-4.0, requires_grad=True, name="z")
    q = x + y
    f = q * z
    f.backward()
    graph = (f, dict(q=q, f=f))

    w0, x0 = Tensor(2.0, requires_grad=True, name="w0"), Tensor(-1.0, requires_grad=True, name="x0")
    w1, x1 = Tensor(-3.0, requires_grad=True, name="w1"), Tensor(-2.0, requires_grad=True, name="x1")
    w2 = Tensor(-3.0, requires_grad=True, name="w2")
    z = w0 * x0 + w1 * x1 + w2
    y = z.sigmoid()
    y.backward()
    return {"computational_graph": graph, "sigmoid_neuron": (y, dict(z=z, y=y))}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograd.viz",
                                     description="Render the seed backprop exercises with values and gradients.")
    parser.add_argument("--out", default="out/viz", help="output directory (default: out/viz, under the current one)")
    parser.add_argument("--format", default="svg", choices=["svg", "png", "pdf", "dot"])
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for stem, (root, names) in seed_exercises().items():
        path = save(draw(root, names=names), out / f"{stem}.{args.format}")
        print(f"wrote {path}\n{backward_steps(root, names=names)}\n")


if __name__ == "__main__":
    main()
