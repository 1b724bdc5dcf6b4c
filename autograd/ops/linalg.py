"""Linear algebra: matrix multiplication (1-d, 2-d and batched with broadcasting), and ``linear``."""

import numpy as np

from autograd.function import Function
from autograd.ops.arguments import operands
from autograd.ops.arrays import ones_vector
from autograd.ops.elementwise import add
from autograd.tensor import as_tensor

__all__ = ["matmul", "linear"]


class MatMul(Function):
    """``a @ b``; drawn by name (an ellipse), not as an infix symbol, since ``@`` reads poorly in a circle."""
    name = "matmul"
    trusted = True
    capturable = True
    batched_jvp = True
    batched_backward = True          # g may carry a leading batch axis: every product below keeps it in front

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must be at least 1-d, got shapes {a.shape} and {b.shape}")
        k_a, k_b = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
        if k_a != k_b:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                             f"({k_a} (last dim of the first) != {k_b} (rows of the second))")
        try:
            return a @ b
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of shapes {a.shape} and {b.shape} "
                             "do not broadcast") from None

    def backward(self, g, out, a, b):
        need_a, need_b = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:               # dot product: g is 0-d
            if g.ndim:                                # (a batch of n seeds: one number per row, times a or b)
                g = g[:, None]
            return (g * b if need_a else None), (g * a if need_b else None)
        # 1-d operands act as a row (a) or a column (b) matrix; put the missing axis back in g
        b_vector = b.ndim == 1
        if a.ndim == 1:
            a, g = a.reshape(1, -1), g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        if b_vector:
            b, g = b.reshape(-1, 1), g.reshape(g.shape + (1,))
        # C = A B:  dA = G B^T,  dB = A^T G  (batch axes are summed by the engine)
        ga = g @ b.swapaxes(-1, -2) if need_a else None
        gb = a.swapaxes(-1, -2) @ g if need_b else None
        if gb is not None and b_vector:
            gb = gb.reshape(gb.shape[:-1])
        return ga, gb

    def jvp(self, i, dx, out, a, b):
        # d(a @ b) = da @ b + a @ db
        if dx.ndim == (a, b)[i].ndim:                 # one tangent: matmul's own rules place 1-d operands
            return dx @ b if i == 0 else a @ dx
        # A batch of n tangents: both operands as stacks of matrices (a 1-d a a row, a 1-d b a column), the
        # tangent's batch axis in front of every batch axis of the product (size-1 axes between), then the
        # size-1 row or column a 1-d operand added dropped again
        n = dx.shape[:1]
        if i == 0 and b.ndim == 2:       # every row of every tangent times one matrix: one BLAS product, not n
            return (dx.reshape(-1, b.shape[0]) @ b).reshape(n + out.shape)
        rows = a.shape if a.ndim > 1 else (1,) + a.shape
        columns = b.shape if b.ndim > 1 else b.shape + (1,)
        rank = max(len(rows), len(columns))
        if i == 0:
            product = dx.reshape(n + (1,) * (rank - len(rows)) + rows) @ b.reshape(columns)
        else:
            product = a.reshape(rows) @ dx.reshape(n + (1,) * (rank - len(columns)) + columns)
        return product.reshape(n + out.shape)


def matmul(a, b):
    """Matrix product ``a @ b`` with numpy's rules for 1-d and batched operands."""
    return MatMul.apply(*operands(a, b))


# Products stay ``@`` (matmul), not ``ndarray.dot``: dot costs less Python per call but
# zeroes its output before BLAS overwrites it, an extra pass over a (784, 256) weight
# gradient in every step (seen in cachegrind: twice the memset traffic of the numpy loop).

def _sum_rows(g, out):
    """``g`` (of ``out``'s shape, or a batch of them: one more leading axis) summed over the rows of
    ``out``: all its axes but the last. A 2-d numpy array as ``ones . g``: BLAS sums the columns
    of a (64, 256) batch twice as fast as ``g.sum(axis=0)``."""
    if type(g) is not np.ndarray or g.ndim != 2:
        return g.sum(axis=tuple(range(g.ndim - out.ndim, g.ndim - 1)))    # (a batch axis in front is kept)
    return ones_vector(g.shape[0], g.dtype).dot(g)          # (2-d: out's own shape, since out has at least 2 axes)


class LinearFunction(Function):
    """The affine map ``x @ w + b`` (drawn as ``linear``), the layer of every MLP, as one node instead of two.

    Fused for measured speed: a training step of a 784-256-128-10 MLP spends a
    good part of its time on per-op bookkeeping, and this halves the nodes of
    each layer. The derivative is that of matmul and add composed.
    """
    name = "linear"
    trusted = True
    capturable = True
    batched_jvp = True
    batched_backward = True          # g may carry a leading batch axis: _sum_rows keeps it, the products too
    array_code = ("a @ b + c", "g @ b.T", "a.swapaxes(-1, -2) @ g", "_sum_rows(g, out)")   # (as below)

    def forward(self, x, w, b):
        xs, ws = x.shape, w.shape
        if len(xs) < 2 or len(ws) != 2 or b.shape != ws[1:] or xs[-1] != ws[0]:
            raise ValueError(f"linear: expected x (..., n_in), w (n_in, n_out), b (n_out,); "
                             f"got shapes {x.shape}, {w.shape}, {b.shape}")
        out = x @ w
        if out.dtype != b.dtype:
            return out + b
        out += b                                      # in place: the product is ours
        return out

    def backward(self, g, out, x, w, b):
        need_x, need_w, need_b = self.needs_input_grad
        # the small results first, while g is in cache: dW (a whole weight's size) evicts it
        db = _sum_rows(g, out) if need_b else None           # db = G summed over the batch
        dx = g @ w.T if need_x else None                     # dX = G W^T
        dw = x.swapaxes(-1, -2) @ g if need_w else None      # dW = X^T G (batch axes summed by the engine)
        return dx, dw, db

    def jvp(self, i, dx, out, x, w, b):
        # d(x @ w + b) = dx @ w + x @ dw + db
        if i == 0:
            return dx @ w
        lead = dx.shape[:dx.ndim - (w, b)[i - 1].ndim]    # (n,) for a batch of tangents, else ()
        if i == 1:               # (the batch axis of dw goes in front of x's batch axes)
            return x @ dx.reshape(lead + (1,) * (x.ndim - 2) + w.shape)
        return dx.reshape(lead + (1,) * (out.ndim - 1) + b.shape)       # the same change for every row


def linear(x, w, b=None):
    """``x @ w + b`` with ``w`` of shape (n_in, n_out), as in the labs (PyTorch's weight is transposed).

    One fused op for 2-d and batched ``x`` with a bias; otherwise composed from matmul and add.
    """
    x, w = as_tensor(x), as_tensor(w)
    if b is None:
        return matmul(x, w)
    b = as_tensor(b, w)
    if x.data.ndim < 2 or w.data.ndim != 2 or b.data.ndim != 1 or (b.data.size == 1 and w.data.shape[1] != 1):
        return add(matmul(x, w), b)                  # (a bias that broadcasts, such as (1,), lands here)
    return LinearFunction.apply(x, w, b)
