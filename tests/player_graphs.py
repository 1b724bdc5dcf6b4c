"""Shared by the player tests: the seed graphs, and what the engine itself does on them."""
import numpy as np

from autograd import Tensor
from autograd.engine import record_backward

__all__ = ["lecture", "neuron", "diamond", "chain", "mlp", "GRAPHS", "engine_walk"]


def lecture():
    """f = (x + y) * z at x=-2, y=5, z=-4: (root, names)."""
    x = Tensor(-2.0, requires_grad=True, name="x")
    y = Tensor(5.0, requires_grad=True, name="y")
    z = Tensor(-4.0, requires_grad=True, name="z")
    q = x + y
    f = q * z
    return f, dict(x=x, y=y, z=z, q=q, f=f)


def neuron():
    """The sigmoid neuron of the seeds: o = sigmoid(w0 x0 + w1 x1 + w2) at w0=2, x0=-1, w1=-3, x1=-2, w2=-3."""
    w0, x0 = Tensor(2.0, requires_grad=True), Tensor(-1.0, requires_grad=True)
    w1, x1 = Tensor(-3.0, requires_grad=True), Tensor(-2.0, requires_grad=True)
    w2 = Tensor(-3.0, requires_grad=True)
    n = w0 * x0 + w1 * x1 + w2
    o = n.sigmoid()
    return o, dict(w0=w0, x0=x0, w1=w1, x1=x1, w2=w2, n=n, o=o)


def diamond():
    """a feeds b and c, both feed d: a's gradient is a sum of two."""
    a = Tensor(3.0, requires_grad=True)
    b = a * 2
    c = a + 1
    d = b * c
    return d, dict(a=a, b=b, c=c, d=d)


def chain(n_ops=24):
    """A graph of about ``2 * n_ops + 2`` nodes on small vectors (a 50-node graph for n_ops=24)."""
    x = Tensor(np.linspace(-1.0, 1.0, 4), requires_grad=True, name="x")
    w = Tensor(np.full(4, 0.5), requires_grad=True, name="w")
    h = x
    for i in range(n_ops - 1):
        h = (h * w) if i % 3 == 0 else h.tanh() if i % 3 == 1 else h + x
    return h.sum(), dict(x=x, w=w)


def mlp():
    """One step of a small MLP (3 -> 4 -> 2, ReLU) on a batch of 5, as the tour draws it: (root, names)."""
    import nn

    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))
    x = Tensor(np.linspace(-1.0, 1.0, 15).reshape(5, 3), name="x")
    loss = (model(x) ** 2).mean()
    return loss, {**dict(model.named_parameters()), "x": x, "loss": loss}


GRAPHS = {"lecture": lecture, "neuron": neuron, "diamond": diamond}


def engine_walk(root):
    """(op, output, input) of every gradient the engine's walk passes, in its order (via on_step)."""
    visits = []
    record_backward([root], on_step=lambda op, output, upstream, input, index, passed, accumulated:
                    visits.append((op, output, input)))
    return visits
