"""Convolutional layers: Conv2d, MaxPool2d, AvgPool2d and BatchNorm2d, with PyTorch's names, layouts and defaults.

Images are laid out (N, C, H, W); a single image (C, H, W) is accepted too. The ops
are :func:`autograd.conv2d`, :func:`autograd.max_pool2d` and :func:`autograd.avg_pool2d`.

>>> import numpy as np
>>> import nn
>>> model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, rng=0), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
...                       nn.Flatten(), nn.Linear(8 * 14 * 14, 10, rng=0))
>>> model(np.zeros((5, 1, 28, 28), np.float32)).shape
(5, 10)
>>> model[0].weight.shape                      # (out_channels, in_channels / groups, kh, kw), as PyTorch
(8, 1, 3, 3)
"""
import math

import numpy as np

from autograd import as_tensor
from autograd.checks import boolean, float_dtype, int_pair, positive_int
from autograd.ops.conv import avg_pool2d, conv2d, max_pool2d
from nn import init as init_
from nn.layers import BatchNormBase, match_dtype
from nn.module import Module, Parameter

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d"]


def _pair_text(pair):
    return pair[0] if pair[0] == pair[1] else pair


class Conv2d(Module):
    """2-d convolution layer: ``conv2d(x, weight, bias, stride, padding, dilation, groups)``, as PyTorch's.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, dilation : int or (int, int)
    groups : int
        Split channels and filters into ``groups`` independent convolutions (must divide both).
    bias : bool
        Add a learned bias of shape ``(out_channels,)``.
    dtype : numpy float dtype
        float32 by default.
    rng : None, np.random, int, or numpy Generator
        Random source of the initial values (see :mod:`nn.init`).

    ``weight`` has shape (out_channels, in_channels / groups, kh, kw). Both parameters
    start as PyTorch's do (``kaiming_uniform_`` with ``a=sqrt(5)``): drawn from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in = in_channels / groups * kh * kw``,
    the weight first.

    >>> import nn
    >>> conv = nn.Conv2d(3, 16, 5, stride=2, padding=2, rng=0)
    >>> conv.weight.shape, conv.bias.shape, conv(np.zeros((4, 3, 32, 32))).shape
    ((16, 3, 5, 5), (16,), (4, 16, 16, 16))
    >>> conv(np.zeros((4, 1, 32, 32)))
    Traceback (most recent call last):
        ...
    ValueError: Conv2d(3, 16, kernel_size=5): expected input of shape (N, 3, H, W) or (3, H, W), got (4, 1, 32, 32)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, dtype=np.float32, rng=None):
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels", "Conv2d")
        self.out_channels = positive_int(out_channels, "out_channels", "Conv2d")
        self.kernel_size = int_pair(kernel_size, "kernel_size", "Conv2d", low=1)
        self.stride = int_pair(stride, "stride", "Conv2d", low=1)
        self.padding = int_pair(padding, "padding", "Conv2d", low=0)
        self.dilation = int_pair(dilation, "dilation", "Conv2d", low=1)
        self.groups = positive_int(groups, "groups", "Conv2d")
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"Conv2d: groups={self.groups} must divide in_channels={self.in_channels} and "
                             f"out_channels={self.out_channels}; pick a common divisor")
        bias = boolean(bias, "bias", "Conv2d")
        dtype = float_dtype(dtype, "dtype", "Conv2d")
        rng = init_.as_rng(rng)
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        bound = 1 / math.sqrt(shape[1] * shape[2] * shape[3])      # 1 / sqrt(fan_in)
        self.weight = Parameter(init_.aligned_copy(rng.uniform(-bound, bound, shape), dtype))
        if bias:
            self.bias = Parameter(init_.aligned_copy(rng.uniform(-bound, bound, self.out_channels), dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        x = as_tensor(x)
        if x.ndim not in (3, 4) or x.shape[-3] != self.in_channels:
            raise ValueError(f"{self._name()}: expected input of shape (N, {self.in_channels}, H, W) or "
                             f"({self.in_channels}, H, W), got {x.shape}")
        if x.data.dtype != self.weight.data.dtype:
            x = match_dtype(x, self.weight.data.dtype, self._name())
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def _name(self):
        return f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={_pair_text(self.kernel_size)})"

    def extra_repr(self):            # PyTorch's text, pairs and all
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class _Pool2d(Module):
    """A pooling layer: ``pool(x, kernel_size, stride, padding)`` with its arguments checked once."""
    pool = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = int_pair(kernel_size, "kernel_size", name, low=1)
        self.stride = self.kernel_size if stride is None else int_pair(stride, "stride", name, low=1)
        self.padding = int_pair(padding, "padding", name, low=0)

    def forward(self, x):
        return self.pool(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return (f"kernel_size={_pair_text(self.kernel_size)}, stride={_pair_text(self.stride)}, "
                f"padding={_pair_text(self.padding)}")


class MaxPool2d(_Pool2d):
    """The maximum over each ``kernel_size`` window (stride: the kernel size by default), as PyTorch's.

    >>> import nn
    >>> nn.MaxPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4)).data.tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    pool = staticmethod(max_pool2d)


class AvgPool2d(_Pool2d):
    """The mean over each ``kernel_size`` window, padded zeros included (``count_include_pad=True``), as PyTorch's.

    >>> import nn
    >>> nn.AvgPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4)).data.tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    pool = staticmethod(avg_pool2d)


class BatchNorm2d(BatchNormBase):
    """Batch normalisation per channel of (N, C, H, W) images, over the batch and both image axes, as PyTorch's
    (see :class:`nn.layers.BatchNormBase` for the running statistics and modes).

    >>> import nn
    >>> bn = nn.BatchNorm2d(3)
    >>> y = bn(np.random.default_rng(0).normal(5.0, 2.0, (8, 3, 4, 4)))
    >>> bool(abs(y.data.mean()) < 1e-5), y.shape
    (True, (8, 3, 4, 4))
    """
    input_ndims = (4,)
    input_shapes = "(N, {c}, H, W)"
