"""Elementwise ops: arithmetic, activations, comparisons.

Each primitive states its local derivative twice: in ``backward`` (reverse mode,
``g * derivative``) and in ``jvp`` (forward mode, ``dx * derivative``). Binary ops
broadcast as numpy does and return gradients in the output's shape; the engine
reduces them to each input's shape (``reduce_broadcast``). Every public op is its
own primitive (``sqrt`` is not ``** 0.5``), so errors and graph pictures name the
op the user wrote.

Every differentiable op here is ``elementwise`` (its inputs broadcast to the
output) and its rules only multiply by, or select from, arrays that broadcast
against the output, so both take a batch of directions with one extra leading
axis as they are (``batched_jvp``, ``batched_backward``: ``jacfwd`` and ``jacrev``
push all of them through one pass). A kink (``relu`` at 0, a tie of ``maximum``)
gets the same one-sided or split derivative in ``jvp`` as in ``backward``, so
forward and reverse mode agree exactly. Comparisons, ``sign``, ``floor``, ``ceil``,
``round``, ``trunc``, ``isfinite`` and ``isnan`` are constants: they carry neither a graph
nor a tangent.

>>> import numpy as np
>>> from autograd import func
>>> func.jacfwd(lambda x: x.relu())(np.array([-1.0, 0.0, 2.0]))     # 0 at the kink, as backward
Tensor([[0., 0., 0.],
        [0., 0., 0.],
        [0., 0., 1.]])
"""
import math

import numpy as np

from autograd.function import Function
from autograd.ops.arguments import floating, operands
from autograd.checks import integer
from autograd.modes import replayed
from autograd.ops.arrays import all_finite, applied, erf_array, erfc_array, values
from autograd.tensor import Tensor, as_tensor

# (abs, pow and round are left out of a star-import, which would shadow the builtins: see autograd/ops/__init__.py)
__all__ = [
    "add", "sub", "mul", "div", "neg", "exp", "log", "sqrt", "tanh", "sigmoid",
    "relu", "leaky_relu", "maximum", "minimum", "clip", "clamp", "where", "astype", "clone", "sign",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "isfinite", "isnan",
    "sin", "cos", "tan", "sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh",
    "log2", "log10", "exp2", "log1p", "expm1", "erf", "erfc", "rsqrt", "remainder", "fmod", "logaddexp", "lerp",
    "floor", "ceil", "trunc",
]


# --- arithmetic -------------------------------------------------------------------------

class Add(Function):
    name = "+"
    infix = True
    commutative = True
    trusted = True
    capturable = True
    scalar_code = array_code = ("a + b", "g", "g")
    elementwise = batched_jvp = batched_backward = True    # (see the module docstring)

    def forward(self, a, b):
        return a + b

    def backward(self, g, out, a, b):
        return g, g                                   # d(a+b)/da = d(a+b)/db = 1

    def jvp(self, i, dx, out, a, b):
        return dx                                     # d(a+b) = da + db (the engine adds the two)


def add(a, b):
    """``a + b`` with numpy broadcasting."""
    return Add.apply(*operands(a, b))


class Sub(Function):
    name = "-"
    infix = True
    trusted = True
    capturable = True
    scalar_code = array_code = ("a - b", "g", "-g")
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a, b):
        return a - b                                  # (not a + (-b): -b wraps around for unsigned b)

    def backward(self, g, out, a, b):
        return g, -g                                  # d(a-b)/da = 1, d(a-b)/db = -1

    def jvp(self, i, dx, out, a, b):
        return dx if i == 0 else -dx                  # d(a-b) = da - db


def sub(a, b):
    """``a - b`` with numpy broadcasting (and numpy's dtypes: a primitive, as -b wraps for unsigned b)."""
    return Sub.apply(*operands(a, b))


class Mul(Function):
    name = "*"
    infix = True
    commutative = True
    trusted = True
    capturable = True
    scalar_code = array_code = ("a * b", "g * b", "g * a")
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a, b):
        return a * b

    def backward(self, g, out, a, b):
        need_a, need_b = self.needs_input_grad
        return (g * b if need_a else None,            # d(ab)/da = b
                g * a if need_b else None)            # d(ab)/db = a

    def jvp(self, i, dx, out, a, b):
        return dx * b if i == 0 else dx * a           # d(ab) = b da + a db


def mul(a, b):
    """``a * b`` with numpy broadcasting."""
    return Mul.apply(*operands(a, b))


class Div(Function):
    name = "/"
    infix = True
    trusted = True
    capturable = True
    scalar_code = array_code = ("a / b", "g / b", "-g * out / b")
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a, b):
        return a / b

    def backward(self, g, out, a, b):
        need_a, need_b = self.needs_input_grad
        return (g / b if need_a else None,            # d(a/b)/da = 1/b
                -g * out / b if need_b else None)     # d(a/b)/db = -a/b^2 = -out/b

    def jvp(self, i, dx, out, a, b):
        return dx / b if i == 0 else -dx * out / b    # d(a/b) = da/b - (a/b^2) db


def div(a, b):
    """``a / b`` with numpy broadcasting."""
    return Div.apply(*operands(a, b))


def pow_forward(a, b):
    """:class:`Pow`'s forward as a plain function of arrays: ``(a ** b, residuals)``, the residuals (``a``, ``b``
    and the output) being what :func:`pow_backward` needs.

    >>> out, residuals = pow_forward(np.array([0.0, 2.0]), np.array([2.0, 3.0]))
    >>> out.tolist(), [g.tolist() for g in pow_backward(residuals, np.ones(2))]
    ([0.0, 8.0], [[0.0, 12.0], [0.0, 5.545177444479562]])
    """
    out = np.asarray(a ** b)                         # (an array: numpy gives 0-d operands a scalar)
    return out, (a, b, out)


def pow_backward(residuals, g, needs_input_grad=(True, True)):
    """:class:`Pow`'s backward as a plain function: the gradients of ``a`` and ``b`` (None where
    ``needs_input_grad`` says that input wants none), from ``residuals`` (``a``, ``b`` and the output: arrays,
    or Tensors to differentiate again)."""
    a, b, out = residuals
    need_a, need_b = needs_input_grad
    # d(a^b)/da = b a^(b-1), 0 where a == b == 0 (0 * inf: a is taken as 1 there);
    # d(a^b)/db = a^b log(a), taken as 0 where a == 0 (both factors replaced there, so
    # that 0^b = inf for b < 0 never meets log(1) = 0 and makes a nan, in any order)
    a_zero = values(a) == 0
    return (g * b * np.where(a_zero & (values(b) == 0), 1, a) ** (b - 1) if need_a else None,
            g * np.where(a_zero, 0, out) * np.log(np.where(a_zero, 1, a)) if need_b else None)


class Pow(Function):
    """``a ** b``, done by :func:`pow_forward` and :func:`pow_backward` (the op's ``residual_functions``)."""
    name = "**"
    infix = True
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True
    residual_functions = (pow_forward, pow_backward)

    def forward(self, a, b):
        out, self.residuals = pow_forward(a, b)
        return out

    def backward(self, g, out, a, b):
        # (a, b and out as the walk gives them: Tensors under create_graph)
        return pow_backward((a, b, out), g, self.needs_input_grad)

    def jvp(self, i, dx, out, a, b):
        # the backward's derivatives, with its conventions at a == 0
        a_zero = values(a) == 0
        if i == 0:
            return dx * b * np.where(a_zero & (values(b) == 0), 1, a) ** (b - 1)    # b a^(b-1), 0 at 0^0
        return dx * np.where(a_zero, 0, out) * np.log(np.where(a_zero, 1, a))     # a^b log(a), 0 at a == 0


def pow(a, b):
    """``a ** b``; the exponent may be a scalar or a tensor.

    ``d(a ** b)/db = a ** b * log(a)`` is taken as 0 where ``a == 0`` (``b < 0`` included, where
    PyTorch gives -inf): the limit along ``a ** b`` for ``b > 0``, and no nan or inf enters a
    backward from an exponent that was never meant to be learned at a zero base.
    """
    return Pow.apply(*operands(a, b))


class Neg(Function):
    name = "neg"
    trusted = True
    capturable = True
    scalar_code = array_code = ("-a", "-g")
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return -a

    def backward(self, g, out, a):
        return (-g,)

    def jvp(self, i, dx, out, a):
        return -dx


def neg(a):
    return Neg.apply(as_tensor(a))


# --- unary functions --------------------------------------------------------------------

class Exp(Function):
    name = "exp"
    trusted = True
    capturable = True
    scalar_code = array_code = ("np.exp(a)", "g * out")
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.exp(a)

    def backward(self, g, out, a):
        return (g * out,)                             # d e^a/da = e^a

    def jvp(self, i, dx, out, a):
        return dx * out                               # d e^a = e^a da


def exp(a):
    return Exp.apply(as_tensor(a))


class Log(Function):
    name = "log"
    trusted = True
    capturable = True
    scalar_code = array_code = ("np.log(a)", "g / a")
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.log(a)

    def backward(self, g, out, a):
        return (g / a,)                               # d log(a)/da = 1/a

    def jvp(self, i, dx, out, a):
        return dx / a


def log(a):
    """Natural logarithm."""
    return Log.apply(as_tensor(a))


class Sqrt(Function):
    name = "sqrt"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.sqrt(a)

    def backward(self, g, out, a):
        return (g / (2 * out),)                       # d sqrt(a)/da = 1 / (2 sqrt(a)): inf at 0

    def jvp(self, i, dx, out, a):
        return dx / (2 * out)


def sqrt(a):
    """Square root; its gradient ``1 / (2 sqrt(a))`` is inf at 0."""
    return Sqrt.apply(floating(a))


class Abs(Function):
    name = "abs"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.abs(a)

    def backward(self, g, out, a):
        return (g * np.sign(a),)                      # d|a|/da = sign(a), 0 at 0

    def jvp(self, i, dx, out, a):
        return dx * np.sign(a)


def abs(a):
    return Abs.apply(as_tensor(a))


class TanhFunction(Function):
    """``tanh(a)`` (drawn as ``tanh``)."""
    name = "tanh"
    trusted = True
    capturable = True
    scalar_code = array_code = ("np.tanh(a)", "g * (1 - out * out)")
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.tanh(a)                             # saturates to +-1, never overflows

    def backward(self, g, out, a):
        return (g * (1 - out * out),)                 # d tanh/da = 1 - tanh^2

    def jvp(self, i, dx, out, a):
        return dx * (1 - out * out)


def tanh(a):
    return TanhFunction.apply(as_tensor(a))


def _sigmoid(a):
    """``1 / (1 + exp(-a))`` on an array, without overflow (:class:`SigmoidFunction`'s forward and array code).

    ``exp`` is taken of ``-|a|`` only, never of a large positive number: finite at +-1e4 and +-inf.

    >>> _sigmoid(np.array([-np.inf, 0.0, 1e4])).tolist()
    [0.0, 0.5, 1.0]
    """
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1, e) / (1 + e)


class SigmoidFunction(Function):
    """The logistic function ``1 / (1 + exp(-a))`` (drawn as ``sigmoid``)."""
    name = "sigmoid"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True
    array_code = ("_sigmoid(a)", "g * out * (1 - out)")

    def forward(self, a):
        return _sigmoid(a)

    def backward(self, g, out, a):
        return (g * out * (1 - out),)                 # d s/da = s (1 - s)

    def jvp(self, i, dx, out, a):
        return dx * out * (1 - out)


def sigmoid(a):
    """The logistic sigmoid ``1 / (1 + exp(-a))``, computed without overflow."""
    return SigmoidFunction.apply(floating(a))


class ReLUFunction(Function):
    """``max(a, 0)``, the rectifier (drawn as ``relu``)."""
    name = "relu"
    trusted = True
    capturable = True
    scalar_code = ("a if a > 0 or a != a else np.float64(0)",          # (nan stays nan, -0.0 becomes 0.0)
                   "g * (a > 0) if g - g == 0 else (g if a > 0 else np.float64(0))")
    array_code = ("np.maximum(a, 0)", "g * (a > 0) if all_finite(g) else np.where(a > 0, g, 0)")
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.maximum(a, 0)

    def backward(self, g, out, a):
        # 1 where a > 0, else 0. Multiplying by the mask is branch-free, many times faster than
        # np.where on random signs; but 0 * inf is nan, so a non-finite g takes np.where.
        mask = a > 0
        if all_finite(g):
            return (g * mask,)
        return (np.where(mask, g, 0),)

    def jvp(self, i, dx, out, a):
        return np.where(a > 0, dx, 0)                 # 1 where a > 0, else 0 (0 at the kink, as backward)


def relu(a):
    return ReLUFunction.apply(as_tensor(a))


def leaky_relu_forward(a, negative_slope=0.01):
    """:class:`LeakyReLUFunction`'s forward as a plain function of arrays: ``(out, (a, negative_slope))``, what
    :func:`leaky_relu_backward` needs.

    >>> out, residuals = leaky_relu_forward(np.array([-2.0, 3.0]), 0.1)
    >>> out.tolist(), leaky_relu_backward(residuals, np.array([1.0, 1.0]))[0].tolist()
    ([-0.2, 3.0], [0.1, 1.0])
    """
    if 0 < negative_slope <= 1:                   # then max(a, slope a) is a or slope a: no branches
        out = np.maximum(a, a * negative_slope)
    elif negative_slope == 0:                     # (inf * 0 is nan)
        out = np.maximum(a, 0)
    else:
        out = np.where(a > 0, a, a * negative_slope)
    return np.asarray(out), (a, negative_slope)         # (0-d arithmetic gives a numpy scalar)


def leaky_relu_backward(residuals, g):
    """:class:`LeakyReLUFunction`'s backward: ``g`` times 1 where ``a > 0``, else the slope."""
    a, negative_slope = residuals
    # as a product with the slope-filled mask when g is finite (branch-free, like ReLUFunction's backward), else
    # with np.where (0 * inf is nan)
    if all_finite(g):
        scale = (a > 0).astype(g.dtype)
        scale *= 1 - negative_slope
        scale += negative_slope
        return (g * scale,)
    return (np.where(a > 0, g, g * negative_slope),)


class LeakyReLUFunction(Function):
    """``a`` where positive, else ``negative_slope * a`` (drawn as ``leaky_relu``); its work is done by
    :func:`leaky_relu_forward` and :func:`leaky_relu_backward` (its ``residual_functions``)."""
    name = "leaky_relu"
    trusted = True
    capturable = True
    residual_functions = (leaky_relu_forward, leaky_relu_backward)
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a, negative_slope=0.01):
        self.negative_slope = negative_slope
        out, self.residuals = leaky_relu_forward(a, negative_slope)
        return out

    def backward(self, g, out, a):
        return leaky_relu_backward(self.residuals, g)

    def jvp(self, i, dx, out, a):
        return np.where(a > 0, dx, dx * self.negative_slope)    # 1 where a > 0, else the slope


def leaky_relu(a, negative_slope=0.01):
    return LeakyReLUFunction.apply(as_tensor(a), negative_slope=negative_slope)


class Maximum(Function):
    name = "maximum"
    commutative = True
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a, b):
        return np.maximum(a, b)

    def backward(self, g, out, a, b):
        # 1 to the larger input; ties split evenly (what central differences measure)
        ga = np.where(a > b, g, np.where(a == b, g * 0.5, 0))
        return ga, g - ga

    def jvp(self, i, dx, out, a, b):
        # the larger input's change; at a tie half of each (as backward: then <u, J v> = <J^T u, v> exactly)
        if i == 0:
            return np.where(a > b, dx, np.where(a == b, dx * 0.5, 0))
        return np.where(a > b, 0, np.where(a == b, dx * 0.5, dx))


def maximum(a, b):
    """Elementwise maximum; at ties each input gets half the gradient."""
    return Maximum.apply(*operands(a, b))


class Minimum(Function):
    name = "minimum"
    commutative = True
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a, b):
        return np.minimum(a, b)

    def backward(self, g, out, a, b):
        ga = np.where(a < b, g, np.where(a == b, g * 0.5, 0))
        return ga, g - ga

    def jvp(self, i, dx, out, a, b):
        if i == 0:                                    # the smaller input's change; half of each at a tie
            return np.where(a < b, dx, np.where(a == b, dx * 0.5, 0))
        return np.where(a < b, 0, np.where(a == b, dx * 0.5, dx))


def minimum(a, b):
    """Elementwise minimum; at ties each input gets half the gradient."""
    return Minimum.apply(*operands(a, b))


def where_forward(a, b, condition=None):
    """:class:`Where`'s forward as a plain function of arrays: ``(out, residuals)``, the residuals (the condition)
    being what :func:`where_backward` needs.

    >>> out, residuals = where_forward(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([True, False]))
    >>> out.tolist(), [g.tolist() for g in where_backward(residuals, np.array([5.0, 6.0]))]
    ([1.0, 4.0], [[5.0, 0.0], [0.0, 6.0]])
    """
    return np.where(condition, a, b), (condition,)


def where_backward(residuals, g):
    """:class:`Where`'s backward as a plain function: ``g`` to ``a`` where the condition holds, to ``b`` elsewhere."""
    condition, = residuals
    return np.where(condition, g, 0), np.where(condition, 0, g)


class Where(Function):
    """``a`` where ``condition`` (a parameter) holds, else ``b``; done by :func:`where_forward` and
    :func:`where_backward` (the op's ``residual_functions``)."""
    name = "where"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True
    residual_functions = (where_forward, where_backward)

    def forward(self, a, b, condition=None):
        self.condition = condition
        out, self.residuals = where_forward(a, b, condition)
        return out

    def backward(self, g, out, a, b):
        return where_backward(self.residuals, g)

    def jvp(self, i, dx, out, a, b):
        # each input's change where it is chosen (the condition, a parameter, has no tangent)
        return np.where(self.condition, dx, 0) if i == 0 else np.where(self.condition, 0, dx)


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b``; the condition gets no gradient."""
    # (through replayed: a step recorded by autograd.compile makes each call's own, a leaf's guarded)
    condition = replayed(applied, np.asarray, condition, dtype=bool)
    a, b = operands(a, b)
    return Where.apply(a, b, condition=condition)


class Clip(Function):
    """``a`` limited to ``[min, max]``; each bound, when given, is an input after ``a``.

    The gradient passes to ``a`` where ``min <= a <= max``, bounds included (as in
    PyTorch), and to a bound where that bound is the value. nan stays nan.
    """
    name = "clip"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a, *bounds, has_min=False, has_max=False):
        self.has_min, self.has_max = has_min, has_max
        out = a
        if has_min:
            out = np.where(a < bounds[0], bounds[0], out)     # (nan < min is False: nan stays)
        if has_max:
            out = np.where(out > bounds[-1], bounds[-1], out)
        return out

    def backward(self, g, out, a, *bounds):
        below, above = self._masks(values(a), [values(b) for b in bounds])
        grads = [np.where(below | above, 0, g)]
        if self.has_min:
            grads.append(np.where(below & ~above, g, 0))
        if self.has_max:
            grads.append(np.where(above, g, 0))
        return tuple(grads)

    def jvp(self, i, dx, out, a, *bounds):
        # the change of whichever is the value: a inside [min, max], else the bound it is clipped to
        below, above = self._masks(values(a), [values(b) for b in bounds])
        if i == 0:
            return np.where(below | above, 0, dx)
        if i == 1 and self.has_min:
            return np.where(below & ~above, dx, 0)
        return np.where(above, dx, 0)                 # (the max bound, the last input)

    def _masks(self, a, bounds):
        """Where the min bound is the value, and where the max bound is (it wins over the min)."""
        below = a < bounds[0] if self.has_min else np.zeros(np.shape(a), bool)
        if not self.has_max:
            return below, np.zeros(np.shape(below), bool)
        clipped_low = np.where(below, bounds[0], a) if self.has_min else a
        return below, clipped_low > bounds[-1]


def clip(a, min=None, max=None):
    """Limit values to ``[min, max]``; a bound may be None, a number or a tensor.

    The gradient passes where ``min <= a <= max``, bounds included (as in PyTorch;
    ``maximum`` would split it at a tie), and goes to a tensor bound where that bound
    is the value. nan stays nan (and passes the gradient on, where PyTorch's gives it 0).

    >>> from autograd import Tensor
    >>> x = Tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    >>> x.clip(0.0, 1.0).sum().backward()
    >>> x.grad
    array([0., 1., 1., 1., 0.])
    """
    return _clip(Clip, a, min, max)


class Clamp(Clip):
    name = "clamp"                                    # PyTorch's name for clip
    trusted = True
    capturable = True


def clamp(a, min=None, max=None):
    """PyTorch's name for :func:`clip` (drawn as ``clamp``)."""
    return _clip(Clamp, a, min, max)


def _clip(op, a, min, max):
    a = as_tensor(a)
    if min is None and max is None:
        return a
    bounds = [as_tensor(b, a) for b in (min, max) if b is not None]
    return op.apply(a, *bounds, has_min=min is not None, has_max=max is not None)


class Cast(Function):
    name = "astype"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a, dtype=None):
        self.dtype = np.dtype(dtype)
        return a.astype(self.dtype)

    def backward(self, g, out, a):
        return (g,)                                   # the engine casts back to a's dtype

    def jvp(self, i, dx, out, a):
        # the change, cast as the value is (float32 -> float64 and back); an integer result has none
        return dx.astype(self.dtype) if self.dtype.kind == "f" else None


def astype(a, dtype):
    """Cast to ``dtype``; the gradient is cast back."""
    return Cast.apply(as_tensor(a), dtype=dtype)


class Clone(Function):
    name = "clone"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return a.copy()

    def backward(self, g, out, a):
        return (g,)

    def jvp(self, i, dx, out, a):
        return dx


def clone(a):
    """A copy that stays in the graph: the gradient passes through (PyTorch's ``clone``)."""
    return Clone.apply(as_tensor(a))


# --- trigonometric, hyperbolic, logarithms and exponentials ------------------------------

class Sin(Function):
    name = "sin"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.sin(a)

    def backward(self, g, out, a):
        return (g * np.cos(a),)                 # d sin/da = cos

    def jvp(self, i, dx, out, a):
        return dx * np.cos(a)


def sin(a):
    """Sine (radians).

    >>> from autograd import Tensor
    >>> x = Tensor([0.0, 1.0], requires_grad=True)
    >>> x.sin().sum().backward()
    >>> x.grad                     # cos(x)
    array([1.        , 0.54030231])
    """
    return Sin.apply(floating(a))


class Cos(Function):
    name = "cos"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.cos(a)

    def backward(self, g, out, a):
        return (-g * np.sin(a),)                # d cos/da = -sin

    def jvp(self, i, dx, out, a):
        return -dx * np.sin(a)


def cos(a):
    """Cosine (radians)."""
    return Cos.apply(floating(a))


class Tan(Function):
    name = "tan"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.tan(a)

    def backward(self, g, out, a):
        return (g * (1 + out * out),)           # d tan/da = 1 + tan^2

    def jvp(self, i, dx, out, a):
        return dx * (1 + out * out)


def tan(a):
    """Tangent (radians); poles at pi/2 + k pi."""
    return Tan.apply(floating(a))


class Sinh(Function):
    name = "sinh"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.sinh(a)

    def backward(self, g, out, a):
        return (g * np.cosh(a),)                # d sinh/da = cosh

    def jvp(self, i, dx, out, a):
        return dx * np.cosh(a)


def sinh(a):
    """Hyperbolic sine."""
    return Sinh.apply(floating(a))


class Cosh(Function):
    name = "cosh"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.cosh(a)

    def backward(self, g, out, a):
        return (g * np.sinh(a),)                # d cosh/da = sinh

    def jvp(self, i, dx, out, a):
        return dx * np.sinh(a)


def cosh(a):
    """Hyperbolic cosine."""
    return Cosh.apply(floating(a))


class Asin(Function):
    name = "asin"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.arcsin(a)

    def backward(self, g, out, a):
        return (g / np.sqrt(1 - a * a),)        # 1 / sqrt(1 - a^2)

    def jvp(self, i, dx, out, a):
        return dx / np.sqrt(1 - a * a)


def asin(a):
    """Inverse sine (``arcsin``), defined on [-1, 1]; its gradient is inf at +-1."""
    return Asin.apply(floating(a))


class Acos(Function):
    name = "acos"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.arccos(a)

    def backward(self, g, out, a):
        return (-g / np.sqrt(1 - a * a),)       # -1 / sqrt(1 - a^2)

    def jvp(self, i, dx, out, a):
        return -dx / np.sqrt(1 - a * a)


def acos(a):
    """Inverse cosine (``arccos``), defined on [-1, 1]; its gradient is -inf at +-1."""
    return Acos.apply(floating(a))


class Atan(Function):
    name = "atan"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.arctan(a)

    def backward(self, g, out, a):
        return (g / (1 + a * a),)               # 1 / (1 + a^2)

    def jvp(self, i, dx, out, a):
        return dx / (1 + a * a)


def atan(a):
    """Inverse tangent (``arctan``).

    >>> from autograd import Tensor
    >>> Tensor([1.0]).atan() * 4
    Tensor([3.14159265])
    """
    return Atan.apply(floating(a))


class Asinh(Function):
    name = "asinh"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.arcsinh(a)

    def backward(self, g, out, a):
        return (g / np.sqrt(a * a + 1),)        # 1 / sqrt(a^2 + 1)

    def jvp(self, i, dx, out, a):
        return dx / np.sqrt(a * a + 1)


def asinh(a):
    """Inverse hyperbolic sine."""
    return Asinh.apply(floating(a))


class Acosh(Function):
    name = "acosh"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.arccosh(a)

    def backward(self, g, out, a):
        return (g / np.sqrt((a - 1) * (a + 1)),)  # 1 / sqrt(a^2 - 1), as (a-1)(a+1): exact near 1

    def jvp(self, i, dx, out, a):
        return dx / np.sqrt((a - 1) * (a + 1))


def acosh(a):
    """Inverse hyperbolic cosine, defined on [1, inf); its gradient is inf at 1."""
    return Acosh.apply(floating(a))


class Atanh(Function):
    name = "atanh"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.arctanh(a)

    def backward(self, g, out, a):
        return (g / (1 - a * a),)               # 1 / (1 - a^2)

    def jvp(self, i, dx, out, a):
        return dx / (1 - a * a)


def atanh(a):
    """Inverse hyperbolic tangent, defined on (-1, 1)."""
    return Atanh.apply(floating(a))


class Log2(Function):
    name = "log2"
    # (a primitive, not log(a) / log(2): numpy's log2 is exact at powers of 2, the quotient is not)
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.log2(a)

    def backward(self, g, out, a):
        return (g / (a * math.log(2)),)         # 1 / (a ln 2)

    def jvp(self, i, dx, out, a):
        return dx / (a * math.log(2))


def log2(a):
    """Base-2 logarithm.

    >>> from autograd import Tensor
    >>> Tensor([1.0, 8.0]).log2()
    Tensor([0., 3.])
    """
    return Log2.apply(floating(a))


class Log10(Function):
    name = "log10"
    # (a primitive, not log(a) / log(10): log10(1000) is 3 here, 2.9999999999999996 as the quotient)
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.log10(a)

    def backward(self, g, out, a):
        return (g / (a * math.log(10)),)        # 1 / (a ln 10)

    def jvp(self, i, dx, out, a):
        return dx / (a * math.log(10))


def log10(a):
    """Base-10 logarithm.

    >>> from autograd import Tensor
    >>> Tensor([1.0, 1000.0]).log10()       # exact at powers of 10 (log(x) / log(10) is not)
    Tensor([0., 3.])
    """
    return Log10.apply(floating(a))


class Exp2(Function):
    name = "exp2"
    # (a primitive, not exp(a log 2): exp2(3) is 8 here, 7.999999999999998 through exp)
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.exp2(a)

    def backward(self, g, out, a):
        return (g * out * math.log(2),)         # 2^a ln 2

    def jvp(self, i, dx, out, a):
        return dx * out * math.log(2)


def exp2(a):
    """``2 ** a``.

    >>> from autograd import Tensor
    >>> Tensor([3.0, -1.0]).exp2()
    Tensor([8. , 0.5])
    """
    return Exp2.apply(floating(a))


class Log1p(Function):
    name = "log1p"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.log1p(a)

    def backward(self, g, out, a):
        return (g / (1 + a),)                   # 1 / (1 + a)

    def jvp(self, i, dx, out, a):
        return dx / (1 + a)


def log1p(a):
    """``log(1 + a)``, accurate for small ``a`` (where ``1 + a`` rounds).

    >>> from autograd import Tensor
    >>> Tensor([1e-20]).log1p()             # log(1 + 1e-20) would be 0
    Tensor([1.e-20])
    """
    return Log1p.apply(floating(a))


class Expm1(Function):
    name = "expm1"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return np.expm1(a)

    def backward(self, g, out, a):
        return (g * (out + 1),)                 # e^a = out + 1

    def jvp(self, i, dx, out, a):
        return dx * (out + 1)


def expm1(a):
    """``exp(a) - 1``, accurate for small ``a``.

    >>> from autograd import Tensor
    >>> Tensor([1e-20]).expm1()
    Tensor([1.e-20])
    """
    return Expm1.apply(floating(a))


class Erf(Function):
    """The error function (drawn as ``erf``); numpy has none: see :func:`autograd.ops.arrays.erf_array`."""
    name = "erf"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return erf_array(a)

    def backward(self, g, out, a):
        return (g * (2 / math.sqrt(math.pi)) * np.exp(-(a * a)),)     # d erf/da = 2/sqrt(pi) e^(-a^2)

    def jvp(self, i, dx, out, a):
        return dx * (2 / math.sqrt(math.pi)) * np.exp(-(a * a))


def erf(a):
    """The error function ``2/sqrt(pi) * integral from 0 to a of exp(-t^2) dt``.

    Accurate to about 1e-16 relative (W. J. Cody's rational approximations, computed in float64).

    >>> from autograd import Tensor
    >>> Tensor([0.0, 1.0, -2.0]).erf()
    Tensor([ 0.        ,  0.84270079, -0.99532227])
    """
    return Erf.apply(floating(a))


class Erfc(Function):
    """``1 - erf(a)`` (drawn as ``erfc``), accurate where it is tiny: a primitive, as 1 - erf(a) cancels."""
    name = "erfc"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a):
        return erfc_array(a)

    def backward(self, g, out, a):
        return (g * (-2 / math.sqrt(math.pi)) * np.exp(-(a * a)),)    # d erfc/da = -2/sqrt(pi) e^(-a^2)

    def jvp(self, i, dx, out, a):
        return dx * (-2 / math.sqrt(math.pi)) * np.exp(-(a * a))


def erfc(a):
    """The complementary error function ``1 - erf(a)``, without the cancellation of ``1 - erf(a)`` for large ``a``.

    >>> from autograd import Tensor
    >>> Tensor([0.0, 10.0]).erfc()                 # 1 - erf(10) is 0
    Tensor([1.00000000e+00, 2.08848758e-45])
    """
    return Erfc.apply(floating(a))


def rsqrt(a):
    """``1 / sqrt(a)`` (composed: the reciprocal of :func:`sqrt`).

    >>> from autograd import Tensor
    >>> Tensor([4.0, 0.25]).rsqrt()
    Tensor([0.5, 2. ])
    """
    return 1 / sqrt(a)


class Remainder(Function):
    name = "remainder"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a, b):
        return np.remainder(a, b)                     # a - floor(a / b) * b: the sign of b, as Python's %

    def backward(self, g, out, a, b):
        # d/da = 1, d/db = -floor(a / b) (a step function of the inputs: a constant in the graph)
        return g, -g * np.floor(values(a) / values(b))

    def jvp(self, i, dx, out, a, b):
        return dx if i == 0 else -dx * np.floor(values(a) / values(b))


def remainder(a, b):
    """``a - floor(a / b) * b``, the result taking the sign of ``b`` (Python's and PyTorch's ``%``, numpy's ``mod``).

    The gradient is 1 with respect to ``a`` and ``-floor(a / b)`` with respect to ``b``
    (the remainder jumps where ``a / b`` is an integer).

    >>> from autograd import Tensor
    >>> Tensor([-3.0, 3.0]) % 2
    Tensor([1., 1.])
    """
    return Remainder.apply(*operands(a, b))


class Fmod(Function):
    name = "fmod"
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a, b):
        return np.fmod(a, b)                          # a - trunc(a / b) * b: the sign of a, as C's fmod

    def backward(self, g, out, a, b):
        return g, -g * np.trunc(values(a) / values(b))    # d/da = 1, d/db = -trunc(a / b)

    def jvp(self, i, dx, out, a, b):
        return dx if i == 0 else -dx * np.trunc(values(a) / values(b))


def fmod(a, b):
    """``a - trunc(a / b) * b``, the result taking the sign of ``a`` (C's ``fmod``; see :func:`remainder`).

    >>> from autograd import Tensor
    >>> Tensor([-3.0, 3.0]).fmod(2)
    Tensor([-1.,  1.])
    """
    return Fmod.apply(*operands(a, b))


class LogAddExp(Function):
    """``log(exp(a) + exp(b))`` (drawn as ``logaddexp``): numpy's stable ufunc, no overflow, exact at ties."""
    name = "logaddexp"
    commutative = True
    trusted = True
    capturable = True
    elementwise = batched_jvp = batched_backward = True

    def forward(self, a, b):
        return np.logaddexp(a, b)

    def backward(self, g, out, a, b):
        # d/da = e^a / (e^a + e^b) = e^(a - out) <= 1: no overflow for any finite a, b
        need_a, need_b = self.needs_input_grad
        return (g * np.exp(a - out) if need_a else None,
                g * np.exp(b - out) if need_b else None)

    def jvp(self, i, dx, out, a, b):
        return dx * np.exp((a if i == 0 else b) - out)


def logaddexp(a, b):
    """``log(exp(a) + exp(b))`` computed without overflow (softplus is ``logaddexp(x, 0)``).

    >>> from autograd import Tensor
    >>> Tensor([0.0, 1000.0]).logaddexp(Tensor([0.0, 1000.0]))
    Tensor([6.93147181e-01, 1.00069315e+03])
    """
    return LogAddExp.apply(*operands(a, b))


def lerp(start, end, weight):
    """``start + weight * (end - start)``: linear interpolation (composed; each input gets its gradient).

    ``weight`` may be a number or a tensor; the three broadcast together.

    >>> from autograd import Tensor
    >>> Tensor([0.0, 10.0]).lerp(Tensor([10.0, 20.0]), 0.25)
    Tensor([ 2.5, 12.5])
    """
    start, end = operands(start, end)
    return start + as_tensor(weight, start) * (end - start)


# --- non-differentiable: results carry no graph ------------------------------------------

def _constant(ufunc, *args):
    try:
        # through replayed(), given the tensors: a step recorded by autograd.compile computes the mask (x > 0) of
        # each call's own values on every replay, not the recording's, and guards a leaf compared (its array kept)
        data = replayed(applied, ufunc, *args)
    except ValueError as e:
        shapes = ", ".join(str(x.shape) for x in args)
        raise ValueError(f"{ufunc.__name__}: {str(e).strip()} (inputs of shapes {shapes})") from None
    return Tensor.wrap(data)



def sign(a):
    """-1, 0 or 1 by the sign of ``a`` (0 for 0, nan for nan); a constant: no gradient, no graph."""
    return _constant(np.sign, as_tensor(a))


def floor(a):
    """The largest integer <= ``a`` (in ``a``'s dtype); a constant: no gradient, no graph.

    >>> from autograd import Tensor
    >>> Tensor([-1.5, 1.5], requires_grad=True).floor()
    Tensor([-2.,  1.])
    """
    return _constant(np.floor, as_tensor(a))


def ceil(a):
    """The smallest integer >= ``a`` (in ``a``'s dtype); a constant: no gradient, no graph."""
    return _constant(np.ceil, as_tensor(a))


def trunc(a):
    """``a`` rounded toward zero (in ``a``'s dtype); a constant: no gradient, no graph."""
    return _constant(np.trunc, as_tensor(a))


def round(a, decimals=0):
    """``a`` rounded to ``decimals`` decimals, halves to even (as numpy and PyTorch); a constant: no gradient.

    >>> from autograd import Tensor
    >>> Tensor([0.5, 1.5, 2.5, -0.5]).round()
    Tensor([ 0.,  2.,  2., -0.])
    >>> Tensor([1.2345]).round(decimals=2)
    Tensor([1.23])
    """
    decimals = integer(decimals, "decimals", "round")
    a = as_tensor(a)
    if decimals == 0 and a.data.dtype.kind == "f":
        return _constant(np.rint, a)                  # (np.round's own path: slower, same values)
    # (integers stay integers; through replayed, as comparisons: a compiled step rounds each call's own values)
    return Tensor.wrap(replayed(applied, np.round, a, decimals=decimals))


def isfinite(a):
    return _constant(np.isfinite, as_tensor(a))


def isnan(a):
    return _constant(np.isnan, as_tensor(a))


def equal(a, b): return _constant(np.equal, *operands(a, b))
def not_equal(a, b): return _constant(np.not_equal, *operands(a, b))
def less(a, b): return _constant(np.less, *operands(a, b))
def less_equal(a, b): return _constant(np.less_equal, *operands(a, b))
def greater(a, b): return _constant(np.greater, *operands(a, b))
def greater_equal(a, b): return _constant(np.greater_equal, *operands(a, b))

