"""Linear algebra: matrix multiplication (1-d, 2-d and batched with broadcasting)."""
from autograd.function import Function
from autograd.ops.elementwise import _operands

__all__ = ["matmul"]


class MatMul(Function):
    name = "matmul"

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
            return (g * b if need_a else None), (g * a if need_b else None)
        # 1-d operands act as a row (a) or a column (b) matrix; put the missing axis back in g
        if a.ndim == 1:
            a, g = a.reshape(1, -1), g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        if b.ndim == 1:
            b, g = b.reshape(-1, 1), g.reshape(g.shape + (1,))
        # C = A B:  dA = G B^T,  dB = A^T G  (batch axes are summed by the engine)
        ga = g @ b.swapaxes(-1, -2) if need_a else None
        gb = a.swapaxes(-1, -2) @ g if need_b else None
        if gb is not None and self.parents[1].ndim == 1:
            gb = gb.reshape(gb.shape[:-1])
        return ga, gb


def matmul(a, b):
    """Matrix product ``a @ b`` with numpy's rules for 1-d and batched operands."""
    return MatMul.apply(*_operands(a, b))
