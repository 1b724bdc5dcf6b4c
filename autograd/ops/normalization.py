"""Batch normalisation as one op: statistics over every axis but the channels (axis 1), a closed-form backward.

Composed from elementwise ops and reductions, a BatchNorm layer is a dozen graph
nodes with a dozen backward calls per step; fused here for measured speed (the
ComplexNet of seed lab 004 spends a third of its step there). The derivative is
the classic one from the normalised input ``x_hat`` and ``1 / sigma``.
"""
import math

import numpy as np

from autograd.checks import boolean, real_number
from autograd.function import Function
from autograd.tensor import Tensor, as_tensor

__all__ = ["batch_norm"]


# A per-channel sum of products over every axis but the channels, as a batch of dot products over each sample's
# channel (N, C, M) with no temporary product array: 0.25 ms instead of 0.67 for ``(a * b).sum(axis=(0, 2, 3))`` on
# (64, 32, 28, 28) float32. The forward and backward on arrays make as few passes over the (N, C, ...) arrays as
# they can (the CNN of demos/fashion_cnn.py: 3.7 ms instead of 7.4 for the backward of its BatchNorm2d).
# (sums of a float16 array in float32, as np.mean does: 65,504 is float16's largest number, so a channel of 64 x 32
# x 32 values or a sum of that many overflows)
def _channel_sum(a):
    """``a.sum`` over every axis but axis 1, shape (C,), in float32 at least."""
    return a.sum(axis=(0,) + tuple(range(2, a.ndim)), dtype=np.promote_types(a.dtype, np.float32))


def _channel_dot(a, b):
    """``(a * b).sum`` over every axis but axis 1, shape (C,), in float32 at least."""
    wide = np.promote_types(a.dtype, np.float32)
    if a.dtype != wide:
        a, b = a.astype(wide), b.astype(wide)
    if a.ndim == 2:
        return np.einsum("nc,nc->c", a, b)
    runs = a.shape[:2] + (math.prod(a.shape[2:]),)         # (not -1: it cannot be inferred for an empty batch)
    runs_a, runs_b = a.reshape(runs), b.reshape(runs)
    return np.matmul(runs_a[:, :, None, :], runs_b[:, :, :, None]).reshape(runs[:2]).sum(axis=0)


def batch_norm_forward(x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None,
                       momentum=0.1):
    """:class:`BatchNormFunction`'s forward as a plain function of arrays: ``(out, residuals)``, the residuals
    being what :func:`batch_norm_backward` needs (``x_hat``, ``1 / sigma``, the mean, the weight, the mode).

    In training mode the running statistics (if given) are updated in place here, so that a step captured
    by :func:`autograd.compile`, which calls this function again, updates them on every replay; in evaluation
    mode they are copied (the residuals keep them, and a later training step updates them in place).

    >>> out, residuals = batch_norm_forward(np.array([[1.0], [2.0], [6.0]]))     # 3 samples of 1 channel
    >>> out.round(3).tolist(), batch_norm_backward(residuals, np.array([[1.0], [0.0], [0.0]]))[0].round(3).tolist()
    ([[-0.926], [-0.463], [1.389]], [[0.176], [-0.22], [0.044]])
    """
    channel_shape = (1, -1) + (1,) * (x.ndim - 2)        # per-channel values broadcast over the rest
    if training:
        count = x.size // x.shape[1]
        mean = (_channel_sum(x) / count).astype(x.dtype, copy=False)
        centred = x - mean.reshape(channel_shape)
        var = _channel_dot(centred, centred) / count        # (float32 for float16: it may pass 65,504)
        _update_running(running_mean, running_var, mean, var, momentum, count)
        mean = mean.reshape(channel_shape)
    else:
        mean = np.array(running_mean, x.dtype).reshape(channel_shape)
        var = np.asarray(running_var, np.promote_types(x.dtype, np.float32))
        centred = x - mean
    inv_std = (1 / np.sqrt(var.reshape(channel_shape) + eps)).astype(x.dtype, copy=False)
    centred *= inv_std
    x_hat = centred                                      # saved: the backward's two factors
    residuals = (x_hat, inv_std, mean, weight, training, eps)
    if weight is None:
        return x_hat, residuals
    out = x_hat * weight.reshape(channel_shape)
    out += bias.reshape(channel_shape)
    return out, residuals


def _update_running(running_mean, running_var, mean, var, momentum, n):
    """``running = (1 - momentum) running + momentum batch``, with the unbiased variance (as PyTorch)."""
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean
    if running_var is not None:
        running_var *= 1 - momentum
        running_var += momentum * (n / (n - 1)) * var


def batch_norm_backward(residuals, g):
    """:class:`BatchNormFunction`'s backward on arrays, in few passes: the gradients of ``x`` (and of the weight
    and bias where there are). With g_hat = g weight, mean(g_hat) = weight mean(g) and mean(g_hat x_hat) =
    weight mean(g x_hat), the per-channel sums that are also the gradients of bias and weight, so dx = weight /
    sigma (g - mean(g) - x_hat mean(g x_hat))."""
    x_hat, inv_std, _, weight, training, _ = residuals
    shape = inv_std.shape
    scale = inv_std if weight is None else inv_std * weight.reshape(shape)
    dw = _channel_dot(g, x_hat) if weight is not None or training else None
    db = _channel_sum(g) if weight is not None or training else None
    if not training:
        dx = g * scale                                         # constant statistics: x_hat is affine in x
    else:
        count = g.size // g.shape[1]
        dx = np.multiply(x_hat, (dw / count).reshape(shape))
        np.subtract(g, dx, out=dx)
        dx -= (db / count).reshape(shape)
        dx *= scale
    dtype = g.dtype                                            # (the sums were float32 for float16)
    if weight is None:
        return (dx.astype(dtype, copy=False),)
    return dx.astype(dtype, copy=False), dw.astype(dtype, copy=False), db.astype(dtype, copy=False)


class BatchNormFunction(Function):
    """``(x - mean) / sqrt(var + eps) * weight + bias`` per channel (axis 1), drawn as ``batch_norm``.

    In training mode ``mean`` and ``var`` are the batch's own (biased) statistics, and
    so depend on ``x``; in evaluation mode they are the running statistics, constants.
    The work on arrays is done by :func:`batch_norm_forward` and :func:`batch_norm_backward`
    (the op's ``residual_functions``: a step recorded by :func:`autograd.compile` calls them
    without an op object).
    """
    name = "batch_norm"
    trusted = True
    capturable = True
    residual_functions = (batch_norm_forward, batch_norm_backward)
    batched_jvp = True

    def forward(self, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None,
                momentum=0.1):
        self.eps, self.training = eps, training         # (its repr shows them; the rules on Tensors read training)
        out, self.residuals = batch_norm_forward(x, weight, bias, eps, training, running_mean, running_var,
                                                 momentum)
        return out

    def backward(self, g, out, x, weight=None, bias=None):
        if not isinstance(g, Tensor) and not isinstance(x, Tensor):
            return batch_norm_backward(self.residuals, g)
        # create_graph: the same rule with ops, on x_hat and 1 / sigma recomputed from x, differentiable again
        x_hat, inv_std = self._normalized(x)
        axes = self._axes(x)
        dw = (g * x_hat).sum(axis=axes) if weight is not None else None      # d out/d weight = x_hat
        db = g.sum(axis=axes) if bias is not None else None                  # d out/d bias = 1
        g_hat = g if weight is None else g * weight.reshape(inv_std.shape)   # d out/d x_hat = weight
        if not self.training:
            dx = g_hat * inv_std                                   # constant statistics: x_hat is affine in x
        else:   # mean and var move with x: dx = (g_hat - mean(g_hat) - x_hat mean(g_hat x_hat)) / sigma
            dx = (g_hat - g_hat.mean(axis=axes, keepdims=True)
                  - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True)) * inv_std
        return (dx, dw, db) if weight is not None else (dx,)

    def jvp(self, i, dx, out, x, weight=None, bias=None):
        x_hat, inv_std = self._normalized(x)
        channel_shape = self.residuals[1].shape
        if i > 0:                            # weight or bias: a per-channel tangent (after a batch axis, if any)
            per_channel = dx.reshape(dx.shape[:-1] + channel_shape[1:] if dx.ndim == 1 else
                                     dx.shape[:-1] + (1,) + channel_shape[1:])
            return per_channel * x_hat if i == 1 else per_channel
        axes = tuple(a - x.ndim for a in self._axes(x))           # negative: dx may carry a batch axis in front
        if self.training:                    # d x_hat = (dx - mean(dx) - x_hat mean(dx x_hat)) / sigma
            d_hat = (dx - dx.mean(axis=axes, keepdims=True)
                     - x_hat * (dx * x_hat).mean(axis=axes, keepdims=True)) * inv_std
        else:
            d_hat = dx * inv_std
        return d_hat if weight is None else d_hat * weight.reshape(channel_shape)

    @staticmethod
    def _axes(x):
        """Every axis of ``x`` but the channels (axis 1)."""
        return (0,) + tuple(range(2, x.ndim))

    def _normalized(self, x):
        """``(x_hat, 1 / sigma)``: the forward's arrays, or, given a Tensor, the same recomputed from it
        with ops, so that the backward and jvp rules are differentiable again."""
        x_hat, inv_std, mean, _, training, eps = self.residuals
        if not isinstance(x, Tensor):
            return x_hat, inv_std
        if not training:
            return (x - mean) * inv_std, inv_std
        axes = self._axes(x)
        x_mean = x.mean(axis=axes, keepdims=True)
        d = x - x_mean
        inv_std = ((d * d).mean(axis=axes, keepdims=True) + eps) ** -0.5
        return d * inv_std, inv_std


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Batch normalisation of ``input`` (N, C, ...) per channel, as PyTorch's ``F.batch_norm``.

    With ``training=True`` the batch's mean and biased variance normalise, and the
    running statistics (arrays of shape (C,), if given) are updated in place with the
    *unbiased* variance: ``running = (1 - momentum) * running + momentum * batch``.
    With ``training=False`` the running statistics normalise.

    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> mean, var = np.zeros(2), np.ones(2)
    >>> batch_norm(x, mean, var, training=True).data.round(3).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> mean.tolist(), var.tolist()                 # momentum 0.1, unbiased batch variances [2, 200]
    ([0.2, 2.0], [1.1, 20.9])
    """
    x = as_tensor(input)
    training = boolean(training, "training", "batch_norm")
    eps = real_number(eps, "eps", "batch_norm", low=0, low_open=True)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C, ...), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"batch_norm: input must be floating, got dtype {x.dtype}")
    channels = x.shape[1]
    affine = [as_tensor(t, x) for t in (weight, bias) if t is not None]
    if len(affine) == 1:
        raise ValueError("batch_norm: pass both weight and bias, or neither")
    for name, t in zip(("weight", "bias"), affine):
        if t.shape != (channels,):
            raise ValueError(f"batch_norm: {name} must have shape ({channels},) for input {x.shape}, got {t.shape}")
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if stat is not None and np.shape(stat) != (channels,):
            raise ValueError(f"batch_norm: {name} must have shape ({channels},) for input {x.shape}, "
                             f"got {np.shape(stat)}")
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation mode (training=False) needs running_mean and running_var")
        return BatchNormFunction.apply(x, *affine, eps=eps, training=False, running_mean=running_mean,
                                       running_var=running_var)
    if x.size // channels < 2:
        raise ValueError(f"batch_norm: need more than 1 value per channel in training mode, got input of shape {x.shape}")
    momentum = real_number(momentum, "momentum", "batch_norm", low=0, high=1)
    return BatchNormFunction.apply(x, *affine, eps=eps, training=True, running_mean=running_mean,
                                   running_var=running_var, momentum=momentum)
