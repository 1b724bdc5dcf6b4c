"""Layers: Linear, activations, Dropout, BatchNorm1d (and the base of every batch norm), Flatten, Identity,
Sequential, MLP. (Convolution, pooling and BatchNorm2d are in :mod:`nn.conv`.)

Every layer is a :class:`~nn.Module` whose ``forward`` composes autograd ops,
so gradients come from the ops' own backward formulas. Inputs may be Tensors
or numpy arrays.

>>> import numpy as np
>>> import nn
>>> model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 2, rng=1))
>>> model(np.zeros((5, 4), dtype=np.float32)).shape
(5, 2)
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
"""
import numpy as np

from autograd import Tensor, as_tensor
from autograd.capture import replayed
from autograd.checks import boolean, float_dtype, integer, positive_int, probability, real_number
from autograd.modes import carries_derivative
from autograd.ops.arguments import accepts_pytorch_names
from nn import functional as F
from nn import init as init_
from nn.module import Module, Parameter

__all__ = [
    "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Dropout", "BatchNormBase",
    "BatchNorm1d", "Flatten", "Identity", "Sequential", "MLP", "match_dtype",
]


def match_dtype(x, dtype, layer):
    """Tensor ``x`` in the parameters' ``dtype``: cast if it carries no derivative, else a TypeError (``layer``
    names the layer in the message). Every layer with parameters calls it on an input of another dtype."""
    if carries_derivative(x):
        what = "requires grad" if x.requires_grad else "carries a tangent (forward mode)"
        raise TypeError(f"{layer}: input of dtype {x.dtype} {what} and meets parameters of dtype {dtype}; "
                        f"cast one side: x.astype(np.{dtype}), or convert the model with "
                        f"model.to(np.{x.dtype})")
    return Tensor(x, dtype=dtype)                  # (a cast a step captured by autograd.compile repeats)


class Linear(Module):
    """Fully connected layer ``X @ W + b``, with ``weight`` of shape (in, out) as in the labs.

    (PyTorch stores ``(out, in)`` and computes ``X @ W.T``; transpose its weights to load them here.)

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
        Add a learned bias of shape ``(out_features,)``.
    init : str or callable
        Weight initialiser (see :mod:`nn.init`): ``"he"`` (default), ``"xavier_uniform"``,
        ``"xavier_normal"``, ``"normal"``, ``"randn"``, ``"small_randn"``, ``"zeros"``, or
        ``f(shape, rng=None) -> array``.
    bias_init : str or callable
        Bias initialiser, ``"zeros"`` by default. Drawn after the weight.
    dtype : numpy float dtype
        float32 by default.
    rng : None, np.random, int, or numpy Generator
        Random source for the initialisers (None: numpy's global state, as ``np.random.seed`` sets).

    >>> import numpy as np
    >>> import nn
    >>> layer = nn.Linear(784, 10)
    >>> layer.weight.shape, layer.bias.shape, layer.weight.dtype
    ((784, 10), (10,), dtype('float32'))
    >>> layer(np.zeros((64, 100)))
    Traceback (most recent call last):
    ...
    ValueError: Linear(in_features=784, out_features=10): expected input of shape (..., 784), got (64, 100)
    """

    def __init__(self, in_features, out_features, bias=True, init="he", bias_init="zeros",
                 dtype=np.float32, rng=None):
        super().__init__()
        self.in_features = positive_int(in_features, "in_features", "Linear")
        self.out_features = positive_int(out_features, "out_features", "Linear")
        dtype = float_dtype(dtype, "dtype", "Linear")
        bias = boolean(bias, "bias", "Linear")
        rng = init_.as_rng(rng)
        self.weight = Parameter(_draw(init, (self.in_features, self.out_features), rng, dtype, "Linear weight"))
        if bias:
            self.bias = Parameter(_draw(bias_init, (self.out_features,), rng, dtype, "Linear bias"))
        else:
            self.register_parameter("bias", None)    # an empty slot: assigning a Tensor to it raises

    def forward(self, x):
        x = as_tensor(x)
        shape = x.data.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"Linear(in_features={self.in_features}, out_features={self.out_features}): "
                             f"expected input of shape (..., {self.in_features}), got {shape}")
        if x.data.dtype != self.weight.data.dtype:
            x = match_dtype(x, self.weight.data.dtype, "Linear")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _draw(init, shape, rng, dtype, what):
    values = np.asarray(init_.get(init)(shape, rng=rng))
    if values.shape != shape:
        raise ValueError(f"{what}: initialiser returned shape {values.shape}, expected {shape}")
    return init_.aligned_copy(values, dtype)      # (aligned: updated in place every step)


# --- activations ------------------------------------------------------------------------

class ReLU(Module):
    """``max(x, 0)`` elementwise."""

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    >>> import nn
    >>> nn.LeakyReLU(0.2)(np.array([-1.0, 2.0]))
    Tensor([-0.2,  2. ])
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = real_number(negative_slope, "negative_slope", "LeakyReLU")

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``, computed without overflow."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class Softmax(Module):
    """Softmax along ``axis`` (the last by default): rows become probabilities.

    ``dim=`` is accepted as PyTorch's name for ``axis``.

    >>> import nn
    >>> nn.Softmax(dim=1)(np.zeros((1, 2)))
    Tensor([[0.5, 0.5]])
    """

    @accepts_pytorch_names
    def __init__(self, axis=-1):
        super().__init__()
        self.axis = integer(axis, "axis", type(self).__name__)

    def forward(self, x):
        return F.softmax(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    """``log(softmax(x))`` along ``axis``, computed stably (pair it with ``NLLLoss``)."""

    def forward(self, x):
        return F.log_softmax(x, self.axis)


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge axes ``start_axis..end_axis`` (all but the batch axis by default): (N, 28, 28) -> (N, 784).

    ``start_dim=`` / ``end_dim=`` are accepted as PyTorch's names.
    """

    @accepts_pytorch_names
    def __init__(self, start_axis=1, end_axis=-1):
        super().__init__()
        self.start_axis = integer(start_axis, "start_axis", "Flatten")
        self.end_axis = integer(end_axis, "end_axis", "Flatten")

    def forward(self, x):
        return as_tensor(x).flatten(self.start_axis, self.end_axis)

    def extra_repr(self):
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


# --- regularisation and normalisation ---------------------------------------------------

class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability ``p`` and scale the rest by 1/(1-p).

    In evaluation mode (``model.eval()``) it returns its input unchanged.

    Parameters
    ----------
    p : float in [0, 1]
    rng : None, np.random, int, or numpy Generator
        Source of the masks; an int seeds a generator owned by the layer.

    >>> import nn
    >>> d = nn.Dropout(0.5, rng=0)
    >>> d(np.ones(6)).tolist()
    [2.0, 0.0, 0.0, 0.0, 2.0, 2.0]
    >>> d.eval()(np.ones(6)).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p = probability(p, "p", "Dropout")
        self.rng = init_.as_rng(rng)

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self):
        return f"p={self.p}"


class BatchNormBase(Module):
    """What every batch norm layer shares: parameters, running statistics, training and evaluation modes.

    Training mode normalises with the batch mean and biased variance and updates
    the running statistics: ``running = (1 - momentum) * running + momentum * batch``,
    with the *unbiased* batch variance for ``running_var`` (``momentum=None``: a
    cumulative average). Evaluation mode normalises with the running statistics.
    Then ``y = x_hat * weight + bias`` when ``affine``. Statistics are per channel
    (axis 1), over every other axis. A subclass states the input shapes it takes:
    ``input_ndims`` (its numbers of dimensions) and ``input_shapes`` (the text of the error).
    """
    input_ndims = ()
    input_shapes = ""            # e.g. "(N, {c}) or (N, {c}, L)"

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, dtype=np.float32):
        super().__init__()
        layer = type(self).__name__
        self.num_features = positive_int(num_features, "num_features", layer)
        self.eps = real_number(eps, "eps", layer, low=0, low_open=True)
        if momentum is not None:                      # (None: a cumulative average)
            momentum = real_number(momentum, "momentum", layer, low=0, high=1, what="a number in [0, 1] or None")
        self.momentum, self.affine = momentum, boolean(affine, "affine", layer)
        dtype = float_dtype(dtype, "dtype", layer)
        for name, fill in (("weight", np.ones), ("bias", np.zeros)):
            self.register_parameter(name, Parameter(init_.aligned_copy(fill(self.num_features), dtype)) if affine else None)
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def forward(self, x):
        x = as_tensor(x)
        layer = f"{type(self).__name__}({self.num_features})"
        if x.ndim not in self.input_ndims or x.shape[1] != self.num_features:
            raise ValueError(f"{layer}: expected input of shape {self.input_shapes.format(c=self.num_features)}, "
                             f"got {x.shape}")
        dtype = self.running_mean.dtype
        if x.data.dtype != dtype:
            x = match_dtype(x, dtype, layer)
        if not self.training:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, training=False,
                                eps=self.eps)
        # momentum None: a cumulative average, each batch weighing 1 / (batches so far)
        momentum = self.momentum
        if momentum is None:
            momentum = 1.0 / (int(self.num_batches_tracked) + 1)
        if x.size // self.num_features < 2:
            raise ValueError(f"{layer}: need more than 1 value per channel in training mode, got input of shape "
                             f"{x.shape}")
        out = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, training=True,
                           momentum=momentum, eps=self.eps)
        # counted after the op (a refused batch changes nothing), in place, and again by a replay of a step
        # captured by autograd.compile
        replayed(np.add, self.num_batches_tracked, 1, out=self.num_batches_tracked)
        return out

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class BatchNorm1d(BatchNormBase):
    """Batch normalisation over the batch axis of (N, C) or (N, C, L) inputs, as PyTorch's (see
    :class:`BatchNormBase`).

    >>> import nn
    >>> bn = nn.BatchNorm1d(2)
    >>> y = bn(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> np.round(y.data, 3).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> bn.running_mean, bn.running_var                  # momentum 0.1; unbiased variance [2, 200]
    (array([0.2, 2. ], dtype=float32), array([ 1.1, 20.9], dtype=float32))
    """
    input_ndims = (2, 3)
    input_shapes = "(N, {c}) or (N, {c}, L)"


# --- containers ---------------------------------------------------------------------------

class Sequential(Module):
    """Modules applied in order; children are named ``"0"``, ``"1"``, ...

    Indexable (``model[0]``, ``model[-1]``, ``model[1:]`` is a new Sequential of
    the same modules), sized and iterable.

    >>> import nn
    >>> model = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    >>> len(model), type(model[1]).__name__
    (2, 'Tanh')
    """

    def __init__(self, *modules):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        """Add ``module`` at the end (named by its position); returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: expected a Module, got {type(module).__name__}")
        setattr(self, str(len(self._modules)), module)
        return self

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        try:
            return modules[index]
        except (IndexError, TypeError):
            raise IndexError(f"Sequential: index {index!r} out of range for {len(modules)} modules") from None


_ACTIVATIONS = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax,
    "log_softmax": LogSoftmax, "identity": Identity,
}


def _activation(spec, what):
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec not in _ACTIVATIONS:
            raise ValueError(f"MLP: unknown {what} {spec!r}; use one of {sorted(_ACTIVATIONS)}, "
                             "a Module class, or None")
        return _ACTIVATIONS[spec]()
    if isinstance(spec, Module):
        raise TypeError(f"MLP: pass the {what} as a name or a class (one instance per layer is made), "
                        f"not the instance {spec!r}")
    module = spec()
    if not isinstance(module, Module):
        raise TypeError(f"MLP: {what} factory returned {type(module).__name__}, not a Module")
    return module


class MLP(Sequential):
    """Multi-layer perceptron: Linear layers of the given sizes with an activation between them.

    ``MLP([784, 25, 15, 1], out_activation="sigmoid")`` is lab 000's network:
    Linear(784, 25), ReLU, Linear(25, 15), ReLU, Linear(15, 1), Sigmoid.

    Parameters
    ----------
    sizes : sequence of int
        Input size, hidden sizes..., output size (at least two numbers).
    activation : str, Module class or None
        After every hidden layer: ``"relu"`` (default), ``"leaky_relu"``, ``"tanh"``, ``"sigmoid"``, ...
    out_activation : str, Module class or None
        After the last layer (None: raw scores, what the ``*WithLogits`` / cross-entropy losses want).
    init, dtype, rng
        As for :class:`Linear`; one random source is shared so every layer gets fresh draws.

    >>> import nn
    >>> mlp = nn.MLP([784, 25, 15, 1], out_activation="sigmoid", rng=0)
    >>> [type(m).__name__ for m in mlp]
    ['Linear', 'ReLU', 'Linear', 'ReLU', 'Linear', 'Sigmoid']
    """

    def __init__(self, sizes, activation="relu", out_activation=None, init="he", dtype=np.float32, rng=None):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs an input and an output size, got {sizes}")
        super().__init__()
        rng = init_.as_rng(rng)
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.append(Linear(n_in, n_out, init=init, dtype=dtype, rng=rng))
            act = _activation(activation if i < len(sizes) - 2 else out_activation,
                              "activation" if i < len(sizes) - 2 else "out_activation")
            if act is not None:
                self.append(act)

