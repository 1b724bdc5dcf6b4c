"""Convolution and pooling over images laid out (N, C, H, W), as PyTorch's ``conv2d``, ``max_pool2d`` and ``avg_pool2d``.

The forward and the gradients are numpy's strided views and BLAS products, with no
Python loop over positions or images:

- ``conv2d`` copies the input's receptive fields into columns (im2col: one row per
  (channel, kernel offset), one column per (image, output position)) and multiplies
  them by the weight in one matrix product per group (per image and group when there
  are few rows: see :data:`PER_IMAGE_BELOW`); with one group, a 2-d product (numpy's
  3-d matmul over a stack of one is slower). The weight's gradient is one
  product of the upstream gradient with the same columns (kept from the forward); the
  input's gradient is the weight's transpose times the upstream gradient, added back
  into place one kernel offset at a time (col2im: kh * kw slice additions, each over the
  whole batch). With stride 1 and the batch-wide layout, that product is taken over the
  padded input's grid (the upstream gradient laid on zeros, channels first), so each
  kernel offset's addition is one contiguous shift of the flattened grid (see
  :data:`SHIFTED_UP_TO`). Measured against the other way, a convolution of the padded upstream
  gradient with the flipped weight (its own im2col and product): as fast with 32 input
  channels, 17x faster with one (the first layer of an image network).

  Measured at (64, 32, 14, 14) x (64, 32, 3, 3), float32, OpenBLAS at 2 threads (best of
  30): the three products take 2.6-2.7 ms each at (64, 288) x (288, 12544), near the
  machine's peak; im2col's copy 2.0 ms (runs of Wo = 14 values); the input gradient's
  product over the padded grid 4.1 ms (16384 columns) but its additions 0.65 ms instead
  of 3.8 for nine strided ones with runs of 14. Tried and slower or no faster: im2col into
  a channels-last (N Ho Wo, kh kw C) matrix (a 1.3 ms copy, but its product (L, K) x (K, O)
  is 0.8 ms slower), the padded grid for the forward and weight gradient too (the products
  grow more than the copy shrinks), one product per kernel offset into a reused buffer,
  the per-image layout on the padded grid (its additions are already short: C = 1).
- the pools take one strided slice of the padded input per kernel offset (kh * kw of
  them, each over the whole batch) and reduce across them.

Every backward is differentiable again (``create_graph=True``): on Tensors it is built
from the primitives below, each linear in its inputs and the adjoint of another. The
input gradient of a convolution (:class:`Conv2dInputGrad`, a transposed convolution)
has the convolution and the weight gradient (:class:`Conv2dWeightGrad`) as its own
derivatives, and so on around the three; max pooling's gradient (:class:`MaxPool2dGrad`,
a scatter to the chosen positions) has the gather from those positions as its
derivative, and average pooling's (:class:`AvgPool2dGrad`) average pooling itself.

>>> import numpy as np
>>> from autograd import Tensor
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
>>> conv2d(x, np.ones((1, 1, 2, 2)), stride=2).data.tolist()
[[[[10.0, 18.0], [42.0, 50.0]]]]
>>> max_pool2d(x, 2).data.tolist()
[[[[5.0, 7.0], [13.0, 15.0]]]]
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd.checks import int_pair, positive_int
from autograd.function import Function
from autograd.ops.arrays import all_finite
from autograd.tensor import Tensor, as_tensor

__all__ = ["conv2d", "max_pool2d", "avg_pool2d"]


# --- arguments --------------------------------------------------------------------------

def _image(x, op, what="input"):
    """``x`` as a float Tensor of shape (N, C, H, W); a single image (C, H, W) gets a batch axis (``True`` returned)."""
    x = as_tensor(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: {what} must have shape (N, C, H, W) (or (C, H, W) for one image), got shape "
                         f"{x.shape}; reshape it, e.g. x.reshape(N, 1, 28, 28) for grey images")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: {what} must be a float tensor, got dtype {x.dtype} with shape {x.shape}; "
                        "pass float data (x.astype(np.float32))")
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


def _output_size(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _check_fits(op, x_shape, kernel, padding, dilation=(1, 1)):
    """A ValueError if the (dilated) kernel is larger than the padded input."""
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(n + 2 * p for n, p in zip(x_shape[-2:], padding))
    if span[0] > padded[0] or span[1] > padded[1]:
        dilated = f" (dilated: {span})" if span != kernel else ""
        raise ValueError(f"{op}: kernel {kernel}{dilated} is larger than the padded input {padded} "
                         f"(input of shape {x_shape}, padding {padding}); use a smaller kernel or more padding")


def _label(kernel, stride, padding, dilation=(1, 1), groups=1):
    """``kernel=(3, 3) stride=1 padding=1``: what pictures show under a conv or pool node (a pair of equal
    numbers as one, dilation and groups only when not 1)."""
    def one(pair):
        return pair[0] if pair[0] == pair[1] else pair
    text = f"kernel={kernel} stride={one(stride)} padding={one(padding)}"
    if dilation != (1, 1):
        text += f" dilation={one(dilation)}"
    return text + (f" groups={groups}" if groups != 1 else "")


# --- numpy kernels: arrays in, arrays out ----------------------------------------------------

def _pad(x, padding, value):
    """``x`` with ``padding`` rows and columns of ``value`` around its last two axes (``x`` itself if none)."""
    ph, pw = padding
    if not (ph or pw):
        return x
    *lead, h, w = x.shape
    xp = np.full((*lead, h + 2 * ph, w + 2 * pw), value, x.dtype)
    xp[..., ph:ph + h, pw:pw + w] = x
    return xp


def _unpad(xp, padding, shape):
    ph, pw = padding
    return xp[..., ph:ph + shape[-2], pw:pw + shape[-1]] if ph or pw else xp


def _offsets(kernel, stride, dilation, out_hw):
    """``(k, (rows, columns))`` per kernel offset: the slices of the padded input that offset ``k`` of every
    window reads (row-major over the kernel)."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, (slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
                               slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))


# Two layouts of the im2col columns, chosen by their number of rows K = C/groups * kh * kw (measured with OpenBLAS
# at 2 threads, float32, batch 64, 3x3 kernels): with few rows (K = 9: one grey channel) one product per image,
# which lands straight in the (N, O, H, W) layout, is 2-3x faster than one long product with K = 9; with many rows
# (K = 288) one product over the whole batch is 2x faster than 64 small ones, and the transposes to and from the
# channels-first layout (N * O * Ho * Wo values) cost little beside it.
PER_IMAGE_BELOW = 64


def _columns(x, kernel, stride, padding, dilation, groups):
    """im2col: ``(columns, (Ho, Wo))``, a copy of the receptive fields: of shape (N, groups, K, Ho * Wo) if
    K = C/groups * kh * kw < :data:`PER_IMAGE_BELOW`, else (groups, K, N * Ho * Wo)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    out_hw = (_output_size(h, kh, sh, padding[0], dh), _output_size(w, kw, sw, padding[1], dw))
    xp = _pad(x, padding, 0)
    s_n, s_c, s_h, s_w = xp.strides
    cg = c // groups
    rows, n_out = cg * kh * kw, out_hw[0] * out_hw[1]
    field = (cg, kh, kw), (s_c, dh * s_h, dw * s_w)
    if rows < PER_IMAGE_BELOW:
        view = as_strided(xp, (n, groups) + field[0] + out_hw, (s_n, cg * s_c) + field[1] + (sh * s_h, sw * s_w),
                          writeable=False)
        return view.reshape(n, groups, rows, n_out), out_hw
    view = as_strided(xp, (groups,) + field[0] + (n,) + out_hw, (cg * s_c,) + field[1] + (s_n, sh * s_h, sw * s_w),
                      writeable=False)
    return view.reshape(groups, rows, n * n_out), out_hw


def _channels_first(g, groups):
    """The upstream gradient (N, O, Ho, Wo) as (groups, O/groups, N * Ho * Wo), the batch-wide columns' layout."""
    n, o, ho, wo = g.shape
    return g.reshape(n, groups, o // groups, ho * wo).transpose(1, 2, 0, 3).reshape(groups, o // groups, n * ho * wo)


def _matmul(a, b):
    """``np.matmul(a, b)``, as one 2-d product when both are a stack of one (a single group): OpenBLAS's 2-d product
    is 1.3x faster than numpy's 3-d matmul over a batch of one (measured: (64, 288) x (288, 12544), float32)."""
    if a.ndim == b.ndim == 3 and a.shape[0] == b.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return np.matmul(a, b)


def _conv_array(x, weight, bias, stride, padding, dilation, groups):
    """``(out, columns)``: the convolution (N, O, Ho, Wo), contiguous, and the im2col columns it multiplied."""
    o, cg, kh, kw = weight.shape
    n = x.shape[0]
    cols, (ho, wo) = _columns(x, (kh, kw), stride, padding, dilation, groups)
    filters = weight.reshape(groups, o // groups, cg * kh * kw)
    if cols.ndim == 4:                      # one product per image and group, straight into (N, O, Ho, Wo)
        out = np.matmul(filters, cols).reshape(n, o, ho, wo)
        if bias is not None:
            out += bias.reshape(o, 1, 1)
        return out, cols
    by_channel = _matmul(filters, cols).reshape(o, n, ho, wo).transpose(1, 0, 2, 3)   # one per group
    out = np.empty((n, o, ho, wo), by_channel.dtype)
    if bias is None:
        np.copyto(out, by_channel)
    else:
        np.add(by_channel, bias.reshape(o, 1, 1), out=out)       # the bias added in the layout's copy
    return out, cols


def _weight_grad_array(cols, g, weight_shape, groups):
    """d loss / d weight = upstream gradient x columns^T (summed over the images)."""
    n, o = g.shape[:2]
    if cols.ndim == 4:
        # (sizes, not -1, in reshapes here and below: -1 cannot be inferred for an empty batch)
        return np.matmul(g.reshape(n, groups, o // groups, g.shape[2] * g.shape[3]), cols.swapaxes(-1, -2)).sum(
            axis=0).reshape(weight_shape)
    return _matmul(_channels_first(g, groups), cols.swapaxes(-1, -2)).reshape(weight_shape)


# The input gradient's col2im with stride 1 is done on the padded input's grid: the upstream gradient is laid on
# a zero (Hp, Wp) grid per image and channel, so the columns' gradient of every kernel offset (i, j) is the whole
# grid shifted by i * dh * Wp + j * dw in the flattened padded input: one contiguous addition per offset instead
# of a strided one with runs of Wo values. It costs Hp * Wp / (Ho * Wo) times the product (1.31x at 14x14,
# padding 1); taken up to this ratio (measured at (64, 32, 14, 14) x (64, 32, 3, 3): 1.1 ms of additions instead
# of 3.8, for 1 ms more of product).
SHIFTED_UP_TO = 3


def _input_grad_shifted(g, filters_t, x_shape, padding, dilation, kernel):
    """:func:`_input_grad_array` with stride 1 and the batch-wide layout, by shifted contiguous additions over the
    flattened padded input (channels first: (C, N, Hp, Wp))."""
    n, c, h, w = x_shape
    (ph, pw), (dh, dw), (kh, kw) = padding, dilation, kernel
    groups, o = filters_t.shape[0], g.shape[1]
    ho, wo = g.shape[-2:]
    hp, wp = h + 2 * ph, w + 2 * pw
    plane = n * hp * wp
    gp = np.zeros((o, n, hp, wp), g.dtype)                   # the upstream gradient on the padded grid
    gp[:, :, :ho, :wo] = g.transpose(1, 0, 2, 3)
    cols = _matmul(filters_t, gp.reshape(groups, o // groups, plane)).reshape(c, kh * kw, plane)
    # grid position p of offset (i, j) lands on p + i * dh * Wp + j * dw of the flattened padded input; positions
    # outside the output (Ho, Wo) hold zeros, so a shift past the end of a row or image adds nothing
    size = c * plane
    shifts = [i * dh * wp + j * dw for i in range(kh) for j in range(kw)]
    flat = np.empty(size + shifts[-1], g.dtype)
    flat[size:] = 0
    np.copyto(flat[:size].reshape(c, plane), cols[:, 0])          # offset (0, 0) covers the whole grid
    for k, shift in enumerate(shifts[1:], 1):
        target = flat[shift:shift + size].reshape(c, plane)
        target += cols[:, k]
    grad = _unpad(flat[:size].reshape(c, n, hp, wp), padding, x_shape)
    return np.ascontiguousarray(grad.transpose(1, 0, 2, 3))


def _input_grad_array(g, weight, x_shape, stride, padding, dilation, groups):
    """d loss / d input (a transposed convolution): weight^T x upstream gradient gives the gradient of every
    column (col2im's input), added back into the padded input one kernel offset at a time."""
    n, c, h, w = x_shape
    o, cg, kh, kw = weight.shape
    ho, wo = g.shape[-2:]
    rows = cg * kh * kw
    filters_t = weight.reshape(groups, o // groups, rows).swapaxes(-1, -2)
    per_image = rows < PER_IMAGE_BELOW
    if (not per_image and stride == (1, 1) and (h + 2 * padding[0]) * (w + 2 * padding[1]) <= SHIFTED_UP_TO * ho * wo
            and all_finite(weight)):          # (its zero grid times an inf weight would add nan where PyTorch has none)
        return _input_grad_shifted(g, filters_t, x_shape, padding, dilation, (kh, kw))
    if per_image:
        cols = np.matmul(filters_t, g.reshape(n, groups, o // groups, ho * wo)).reshape(n, c, kh * kw, ho, wo)
        grad = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), cols.dtype)
    else:                                   # channels first, as the columns: (C, kh * kw, N, Ho, Wo)
        cols = _matmul(filters_t, _channels_first(g, groups)).reshape(c, kh * kw, n, ho, wo).swapaxes(0, 1)
        grad = np.zeros((c, n, h + 2 * padding[0], w + 2 * padding[1]), cols.dtype)
    for k, (rows_k, columns_k) in _offsets((kh, kw), stride, dilation, (ho, wo)):
        grad[..., rows_k, columns_k] += cols[:, :, k] if per_image else cols[k]
    grad = _unpad(grad, padding, x_shape)
    return grad if per_image else np.ascontiguousarray(grad.transpose(1, 0, 2, 3))


def _max_pool_array(x, kernel, stride, padding):
    """``(out, choice)``: the window maxima and which offset of its window (0 .. kh * kw - 1, row-major) each came
    from: the first maximum, or the last nan (PyTorch's rule: a later value wins if larger, or if nan). One pass per
    kernel offset over the output (a reduction over a short last axis of windows is many times slower)."""
    xp = _pad(x, padding, -np.inf)
    out_hw = tuple((n - k) // s + 1 for n, k, s in zip(xp.shape[-2:], kernel, stride))
    offsets = _offsets(kernel, stride, (1, 1), out_hw)
    out = xp[(Ellipsis,) + next(offsets)[1]].copy()
    choice = np.zeros(out.shape, np.uint8 if kernel[0] * kernel[1] <= 256 else np.intp)
    for k, (rows, columns) in offsets:        # (arithmetic, not masked copies: those are 10x slower here)
        candidate = xp[..., rows, columns]
        wins = candidate > out
        wins |= np.isnan(candidate)
        np.maximum(out, candidate, out=out)
        np.maximum(choice, np.multiply(wins, k, dtype=choice.dtype), out=choice)   # k grows: the last win stays
    if padding != (0, 0):                     # a window of -inf alone chose offset 0, which may be padding
        lost = out == -np.inf
        if lost.any():
            first = _first_real_offsets(x.shape[-2:], kernel, stride, padding, out_hw).astype(choice.dtype)
            choice = np.where(lost, first, choice)
    return out, choice


def _first_real_offsets(shape, kernel, stride, padding, out_hw):
    """Each window's first offset (row-major) on the image rather than its padding, shape ``out_hw``: where
    PyTorch's max pooling starts, so the choice of a window whose values are all -inf."""
    real = _pad(np.ones(shape, bool), padding, False)
    first = np.zeros(out_hw, np.intp)
    for k, (rows, columns) in reversed(list(_offsets(kernel, stride, (1, 1), out_hw))):
        first[real[rows, columns]] = k
    return first


def _tiles(x, kernel, stride, padding):
    """The windows of ``x`` as a view of shape (..., Ho, kh, Wo, kw) where they tile it (stride equal to the kernel,
    no padding: every network's ``MaxPool2d(2)``), else None."""
    if stride != kernel or padding != (0, 0):
        return None
    (kh, kw), (h, w) = kernel, x.shape[-2:]
    ho, wo = h // kh, w // kw
    return x[..., :ho * kh, :wo * kw].reshape(x.shape[:-2] + (ho, kh, wo, kw))


def _tiled_max(tiles):
    """The maximum of each window of :func:`_tiles`' view (nan where the window holds one, as np.maximum)."""
    kh, kw = tiles.shape[-3], tiles.shape[-1]
    out = np.maximum(tiles[..., 0, :, 0], tiles[..., 0, :, 1]) if kw > 1 else tiles[..., 0, :, 0].copy()
    for k in range(2 if kw > 1 else 1, kh * kw):
        np.maximum(out, tiles[..., k // kw, :, k % kw], out=out)
    return out


def _tiled_scatter(g, x, out, kernel):
    """Max pooling's input gradient where the windows tile ``x`` (see :func:`_tiles`): each value of ``g`` written
    to its window's first maximum, found by comparing with ``out``, and 0 to the window's other positions: no
    offsets to keep from the forward, no zeros added to. None where ``out`` holds a nan (its rule, the last nan,
    takes the general path) or ``g`` a nan or inf (times a miss, 0, it would give nan where PyTorch gives 0)."""
    flat = out.ravel()
    if math.isnan(flat.dot(flat)) or not all_finite(g):
        return None
    grad = np.empty(x.shape, g.dtype) if x.shape[-2:] == tuple(n * k for n, k in zip(out.shape[-2:], kernel)) \
        else np.zeros(x.shape, g.dtype)                          # (rows and columns no window covers: 0)
    x_tiles, grad_tiles = _tiles(x, kernel, kernel, (0, 0)), _tiles(grad, kernel, kernel, (0, 0))
    taken, last = None, kernel[0] * kernel[1] - 1
    for k in range(last + 1):
        i, j = divmod(k, kernel[1])
        hit = x_tiles[..., i, :, j] == out                        # a maximum here ...
        if taken is None:
            taken = hit
        else:
            np.greater(hit, taken, out=hit)                       # ... and none earlier in the window (True > False)
            if k < last:
                taken |= hit
        np.multiply(g, hit, out=grad_tiles[..., i, :, j])
    return grad


def _gather_array(x, choice, kernel, stride, padding):
    """The values of ``x`` at the offsets ``choice`` (of a max pool of the same geometry) of each window; ``x`` may
    have more leading axes than ``choice`` (a batch of tangents)."""
    xp = _pad(x, padding, 0)
    out = np.zeros(x.shape[:-2] + choice.shape[-2:], x.dtype)
    for k, (rows, columns) in _offsets(kernel, stride, (1, 1), choice.shape[-2:]):
        np.copyto(out, xp[..., rows, columns], where=choice == k)
    return out


def _scatter_array(g, choice, kernel, stride, padding, x_shape):
    """The adjoint of :func:`_gather_array`: each value of ``g`` added to the position its window chose."""
    padded = tuple(n + 2 * p for n, p in zip(x_shape[-2:], padding))
    grad = np.zeros(g.shape[:-2] + padded, g.dtype)
    finite = all_finite(g)                                    # (else inf times a miss, 0, would give nan)
    for k, (rows, columns) in _offsets(kernel, stride, (1, 1), g.shape[-2:]):
        hit = choice == k
        grad[..., rows, columns] += hit * g if finite else np.where(hit, g, 0)   # (np.where is 5x slower)
    return _unpad(grad, padding, x_shape)


def _avg_pool_array(x, kernel, stride, padding):
    """The mean over each window, padding counted as zeros (PyTorch's ``count_include_pad=True``)."""
    xp = _pad(x, padding, 0)
    out_hw = tuple((n - k) // s + 1 for n, k, s in zip(xp.shape[-2:], kernel, stride))
    out = np.zeros(x.shape[:-2] + out_hw, x.dtype)
    for _, (rows, columns) in _offsets(kernel, stride, (1, 1), out_hw):
        out += xp[..., rows, columns]
    out *= np.asarray(1 / (kernel[0] * kernel[1]), x.dtype)
    return out


def _avg_pool_grad_array(g, kernel, stride, padding, x_shape):
    """The adjoint of average pooling: each value of ``g`` / (kh * kw) added to every position of its window."""
    grad = np.zeros(g.shape[:-2] + tuple(n + 2 * p for n, p in zip(x_shape[-2:], padding)), g.dtype)
    share = g * np.asarray(1 / (kernel[0] * kernel[1]), g.dtype)
    for _, (rows, columns) in _offsets(kernel, stride, (1, 1), g.shape[-2:]):
        grad[..., rows, columns] += share
    return _unpad(grad, padding, x_shape)


# --- a batch of tangents (forward mode) as one convolution -------------------------------------

def _folded_size(t):
    """B * N of a batch of tangents (B, N, ...): the leading axis when the batch is folded into the images."""
    return t.shape[0] * t.shape[1]


def _tiled(t, copies):
    """(N, C, H, W) -> (N, copies * C, H, W): ``copies`` copies of ``t`` side by side along the channels."""
    n, c, h, w = t.shape
    return t.unsqueeze(1).broadcast_to((n, copies, c, h, w)).reshape(n, copies * c, h, w)


def _batch_into_channels(t):
    """(B, N, C, H, W) -> (N, B * C, H, W)."""
    b, n, c, h, w = t.shape
    return t.transpose((1, 0, 2, 3, 4)).reshape(n, b * c, h, w)


def _channels_into_batch(t, b):
    """(N, B * C, H, W) -> (B, N, C, H, W)."""
    n, bc, h, w = t.shape
    return t.reshape(n, b, bc // b, h, w).transpose((1, 0, 2, 3, 4))


# --- convolution -------------------------------------------------------------------------------

def conv2d_forward(x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """:class:`Conv2dFunction`'s forward as a plain function of arrays: ``(out, residuals)``, the residuals
    (the im2col columns, the input's shape, the weight, whether there is a bias, the geometry) being what
    :func:`conv2d_backward` needs.

    >>> x, w = np.arange(9.0).reshape(1, 1, 3, 3), np.ones((1, 1, 2, 2))
    >>> out, residuals = conv2d_forward(x, w)
    >>> out.tolist()
    [[[[8.0, 12.0], [20.0, 24.0]]]]
    >>> conv2d_backward(residuals, np.ones_like(out))[0].tolist()    # how many windows each pixel is in
    [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    out, columns = _conv_array(x, weight, bias, stride, padding, dilation, groups)
    return out, (columns, x.shape, weight, bias is not None, (stride, padding, dilation, groups))


def conv2d_backward(residuals, g, needs_input_grad=(True, True, True)):
    """:class:`Conv2dFunction`'s backward as a plain function: the gradients of ``x``, ``weight`` (and ``bias``
    where there is one) from :func:`conv2d_forward`'s ``residuals`` and the upstream gradient ``g``. Those of
    ``x`` and ``weight`` are None where ``needs_input_grad`` says that input wants none (the input's gradient is
    the costliest pass: a first layer skips it); the bias's, a sum, is always made."""
    columns, x_shape, weight, has_bias, (stride, padding, dilation, groups) = residuals
    need_x, need_w = needs_input_grad[:2]
    dx = _input_grad_array(g, weight, x_shape, stride, padding, dilation, groups) if need_x else None
    dw = _weight_grad_array(columns, g, weight.shape, groups) if need_w else None
    return (dx, dw, g.sum(axis=(0, 2, 3))) if has_bias else (dx, dw)


class Conv2dFunction(Function):
    """The 2-d convolution (cross-correlation, as PyTorch's) of ``x`` (N, C, H, W) with ``weight``
    (O, C / groups, kh, kw), plus ``bias`` (O,); drawn as ``conv2d`` with its kernel and stride.

    The work on arrays is done by :func:`conv2d_forward` and :func:`conv2d_backward` (the op's
    ``residual_functions``): a step recorded by :func:`autograd.compile` calls them without an op object."""
    name = "conv2d"
    trusted = True
    capturable = True
    batched_jvp = True
    residual_functions = (conv2d_forward, conv2d_backward)

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        self.kernel_size, self.stride, self.padding, self.dilation, self.groups = (
            weight.shape[2:], stride, padding, dilation, groups)
        out, self.residuals = conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
        return out

    def geometry(self):
        """The keyword arguments that repeat this op's geometry (for the ops its derivatives are made of)."""
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups)

    def describe(self):
        return _label(self.kernel_size, self.stride, self.padding, self.dilation, self.groups)

    def backward(self, g, out, x, weight, bias=None):
        if not isinstance(g, Tensor):
            return conv2d_backward(self.residuals, g, self.needs_input_grad)
        # create_graph: the gradients as ops, differentiable again (the bias's made first: the order of the
        # ops is the order in which a second backward adds up their gradients of g)
        need_x, need_w = self.needs_input_grad[:2]
        db = g.sum(axis=(0, 2, 3)) if bias is not None else None
        dx = Conv2dInputGrad.apply(g, weight, x_shape=x.shape, **self.geometry()) if need_x else None
        dw = Conv2dWeightGrad.apply(x, g, weight_shape=weight.shape, **self.geometry()) if need_w else None
        return (dx, dw, db) if bias is not None else (dx, dw)

    def jvp(self, i, dx, out, x, weight, bias=None):
        # d conv(x, w) + db = conv(dx, w) + conv(x, dw) + db: bilinear
        if i == 2:                                        # (O,) -> (O, 1, 1); a batch (B, O) -> (B, 1, O, 1, 1)
            return dx.reshape(dx.shape + (1, 1)) if dx.ndim == 1 else dx.reshape(dx.shape[:1] + (1, dx.shape[1], 1, 1))
        batch = dx.ndim == 5
        geometry = self.geometry()
        if i == 0:
            if not batch:
                return Conv2dFunction.apply(dx, weight, **geometry)
            folded = Conv2dFunction.apply(dx.reshape((_folded_size(dx),) + x.shape[1:]), weight,   # B into N
                                          **geometry)
            return folded.reshape(dx.shape[:1] + out.shape)
        if not batch:
            return Conv2dFunction.apply(x, dx, **geometry)
        b = dx.shape[0]            # B weights as B * groups groups over B copies of x
        geometry["groups"] = b * self.groups
        both = Conv2dFunction.apply(_tiled(x, b), dx.reshape((_folded_size(dx),) + weight.shape[1:]), **geometry)
        return _channels_into_batch(both, b)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution of images, as PyTorch's ``F.conv2d``.

    Parameters
    ----------
    input : Tensor or array of shape (N, C, H, W) (or (C, H, W): one image)
    weight : Tensor or array of shape (O, C / groups, kh, kw)
    bias : Tensor or array of shape (O,), optional
    stride, padding, dilation : int or (int, int)
        Step between windows, zeros added on each side, spacing of the kernel's taps.
    groups : int
        Split the input channels and the filters into ``groups`` independent convolutions.

    Returns
    -------
    Tensor of shape (N, O, Ho, Wo), ``Ho = (H + 2 padding - dilation (kh - 1) - 1) // stride + 1``.

    >>> import numpy as np
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> conv2d(x, np.ones((2, 1, 2, 2)), bias=[0.0, 100.0]).data.tolist()
    [[[[8.0, 12.0], [20.0, 24.0]], [[108.0, 112.0], [120.0, 124.0]]]]
    >>> conv2d(x, np.ones((1, 1, 5, 5)))
    Traceback (most recent call last):
        ...
    ValueError: conv2d: kernel (5, 5) is larger than the padded input (3, 3) (input of shape (1, 1, 3, 3), padding (0, 0)); use a smaller kernel or more padding
    """
    x, single = _image(input, "conv2d")
    w = as_tensor(weight)
    if w.ndim != 4:
        raise ValueError(f"conv2d: weight must have shape (out_channels, in_channels / groups, kh, kw), got shape "
                         f"{w.shape} (input of shape {x.shape}); reshape it, e.g. w.reshape(out, in, kh, kw)")
    if w.dtype != x.dtype:
        raise TypeError(f"conv2d: input of dtype {x.dtype} and weight of dtype {w.dtype} must have the same dtype; "
                        f"cast one of them, e.g. x.astype(np.{w.dtype})")
    stride = int_pair(stride, "stride", "conv2d", 1)
    padding = int_pair(padding, "padding", "conv2d", 0)
    dilation = int_pair(dilation, "dilation", "conv2d", 1)
    groups = positive_int(groups, "groups", "conv2d")
    (n, c, h, width), (o, cg, kh, kw) = x.shape, w.shape
    if c % groups or o % groups:
        raise ValueError(f"conv2d: groups={groups} must divide both the input's {c} channels and the weight's {o} "
                         f"filters (input of shape {x.shape}, weight of shape {w.shape}); pick a common divisor")
    if cg * groups != c:
        raise ValueError(f"conv2d: weight of shape {w.shape} expects {cg * groups} input channels "
                         f"({cg} per group x {groups} groups), got input of shape {x.shape} with {c}; "
                         f"make the weight (out, {c // groups}, kh, kw) or the input's channels {cg * groups}")
    _check_fits("conv2d", x.shape, (kh, kw), padding, dilation)
    params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if bias is None:
        out = Conv2dFunction.apply(x, w, **params)
    else:
        b = as_tensor(bias, w)
        if b.shape != (o,):
            raise ValueError(f"conv2d: bias must have shape ({o},) (one per filter of the weight {w.shape}), "
                             f"got shape {b.shape}")
        if b.dtype != w.dtype:
            raise TypeError(f"conv2d: bias of dtype {b.dtype} and weight of dtype {w.dtype} must have the same "
                            f"dtype; cast the bias, e.g. b.astype(np.{w.dtype})")
        out = Conv2dFunction.apply(x, w, b, **params)
    return out.squeeze(0) if single else out


class Conv2dInputGrad(Function):
    """The gradient of a convolution with respect to its input: the transposed convolution of ``g`` (N, O, Ho, Wo)
    with ``weight``, of shape ``x_shape``. Linear in ``g`` and in ``weight``: its derivatives are the convolution
    (for ``g``) and the weight gradient (for ``weight``), ops again."""
    name = "conv2d_input_grad"
    trusted = True
    capturable = True
    batched_jvp = True

    def forward(self, g, weight, x_shape=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        self.kernel_size, self.stride, self.padding, self.dilation, self.groups = (
            weight.shape[2:], stride, padding, dilation, groups)
        self.x_shape = tuple(x_shape)
        return _input_grad_array(g, weight, self.x_shape, stride, padding, dilation, groups)

    geometry = Conv2dFunction.geometry
    describe = Conv2dFunction.describe

    def backward(self, gx, out, g, weight):
        # <gx, input_grad(g, w)> = <conv(gx, w), g> = <weight_grad(gx, g), w>
        need_g, need_w = self.needs_input_grad
        if isinstance(gx, Tensor):
            dg = Conv2dFunction.apply(gx, weight, **self.geometry()) if need_g else None
            dw = Conv2dWeightGrad.apply(gx, g, weight_shape=weight.shape, **self.geometry()) if need_w else None
            return dg, dw
        dg = dw = None
        if need_g or need_w:
            dg, cols = _conv_array(gx, weight, None, self.stride, self.padding, self.dilation, self.groups)
            dw = _weight_grad_array(cols, g, weight.shape, self.groups) if need_w else None
        return (dg if need_g else None), dw

    def jvp(self, i, d, out, g, weight):
        batch = d.ndim == 5
        geometry = self.geometry()
        if i == 0:
            if not batch:
                return Conv2dInputGrad.apply(d, weight, x_shape=self.x_shape, **geometry)
            b = d.shape[0]
            folded = Conv2dInputGrad.apply(d.reshape((_folded_size(d),) + g.shape[1:]), weight,
                                           x_shape=(b * self.x_shape[0],) + self.x_shape[1:], **geometry)
            return folded.reshape((b,) + self.x_shape)
        if not batch:
            return Conv2dInputGrad.apply(g, d, x_shape=self.x_shape, **geometry)
        b = d.shape[0]
        n, c, h, w = self.x_shape
        geometry["groups"] = b * self.groups
        both = Conv2dInputGrad.apply(_tiled(g, b), d.reshape((_folded_size(d),) + weight.shape[1:]),
                                     x_shape=(n, b * c, h, w), **geometry)
        return _channels_into_batch(both, b)


class Conv2dWeightGrad(Function):
    """The gradient of a convolution with respect to its weight, from the input ``x`` and the upstream gradient
    ``g``, of shape ``weight_shape``. Linear in ``x`` and in ``g``: its derivatives are the input gradient (for
    ``x``) and the convolution (for ``g``), ops again."""
    name = "conv2d_weight_grad"
    trusted = True
    capturable = True
    batched_jvp = True

    def forward(self, x, g, weight_shape=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        self.weight_shape = tuple(weight_shape)
        self.kernel_size, self.stride, self.padding, self.dilation, self.groups = (
            self.weight_shape[2:], stride, padding, dilation, groups)
        cols, _ = _columns(x, self.kernel_size, stride, padding, dilation, groups)
        return _weight_grad_array(cols, g, self.weight_shape, groups)

    geometry = Conv2dFunction.geometry
    describe = Conv2dFunction.describe

    def backward(self, gw, out, x, g):
        # <gw, weight_grad(x, g)> = <conv(x, gw), g> = <input_grad(g, gw), x>
        need_x, need_g = self.needs_input_grad
        if isinstance(gw, Tensor):
            dx = Conv2dInputGrad.apply(g, gw, x_shape=x.shape, **self.geometry()) if need_x else None
            dg = Conv2dFunction.apply(x, gw, **self.geometry()) if need_g else None
            return dx, dg
        dx = _input_grad_array(g, gw, x.shape, self.stride, self.padding, self.dilation,
                               self.groups) if need_x else None
        dg = _conv_array(x, gw, None, self.stride, self.padding, self.dilation, self.groups)[0] if need_g else None
        return dx, dg

    def jvp(self, i, d, out, x, g):
        geometry = self.geometry()
        if d.ndim == 4:
            x, g = (d, g) if i == 0 else (x, d)
            return Conv2dWeightGrad.apply(x, g, weight_shape=self.weight_shape, **geometry)
        b = d.shape[0]              # B tangents as B * groups groups, side by side along the channels
        x, g = (_batch_into_channels(d), _tiled(g, b)) if i == 0 else (_tiled(x, b), _batch_into_channels(d))
        geometry["groups"] = b * self.groups
        both = Conv2dWeightGrad.apply(x, g, weight_shape=(b * self.weight_shape[0],) + self.weight_shape[1:],
                                      **geometry)
        return both.reshape((b,) + self.weight_shape)


# --- pooling -----------------------------------------------------------------------------------

def _pool_arguments(op, input, kernel_size, stride, padding):
    x, single = _image(input, op)
    kernel = int_pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None else int_pair(stride, "stride", op, 1)
    padding = int_pair(padding, "padding", op, 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel {kernel} (a window of only "
                         f"padding has no value; input of shape {x.shape}); pad less")
    _check_fits(op, x.shape, kernel, padding)
    return x, single, dict(kernel_size=kernel, stride=stride, padding=padding)


def max_pool2d_forward(x, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0), choice=None):
    """:class:`MaxPool2dFunction`'s forward as a plain function of arrays: ``(out, residuals)``, the residuals
    being what :func:`max_pool2d_backward` needs (``x``, ``out``, the offsets the maxima came from where the
    forward found them, the geometry).

    >>> x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
    >>> out, residuals = max_pool2d_forward(x, (2, 2), (2, 2))
    >>> out.tolist(), max_pool2d_backward(residuals, np.ones_like(out))[0].tolist()
    ([[[[5.0]]]], [[[[0.0, 1.0], [0.0, 0.0]]]])
    """
    if choice is not None:                    # (given: a gather there)
        out = _gather_array(x, choice, kernel_size, stride, padding)
    else:
        tiles = _tiles(x, kernel_size, stride, padding)
        if tiles is not None:                 # (the offsets are found by the backward, where needed)
            out = _tiled_max(tiles)
        else:
            out, choice = _max_pool_array(x, kernel_size, stride, padding)
    return out, (x, out, choice, (kernel_size, stride, padding))


def max_pool2d_backward(residuals, g):
    """:class:`MaxPool2dFunction`'s backward as a plain function: each value of ``g`` added where its window's
    maximum was, from :func:`max_pool2d_forward`'s ``residuals``."""
    x, out, choice, (kernel_size, stride, padding) = residuals
    if choice is None:
        grad = _tiled_scatter(g, x, out, kernel_size)
        if grad is not None:
            return (grad,)
        _, choice = _max_pool_array(x, kernel_size, stride, padding)
    return (_scatter_array(g, choice, kernel_size, stride, padding, x.shape),)


class MaxPool2dFunction(Function):
    """The maximum over each window of ``x`` (..., H, W), padding counted as -inf; drawn as ``max_pool2d``.

    Given ``choice`` (the offsets a max pool of the same geometry chose), it gathers the values there instead:
    the derivative of the scatter :class:`MaxPool2dGrad`, and forward mode's rule. The work on arrays is done
    by :func:`max_pool2d_forward` and :func:`max_pool2d_backward` (the op's ``residual_functions``).
    """
    name = "max_pool2d"
    trusted = True
    capturable = True
    batched_jvp = True
    residual_functions = (max_pool2d_forward, max_pool2d_backward)

    def forward(self, x, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0), choice=None):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        out, self.residuals = max_pool2d_forward(x, kernel_size, stride, padding, choice)
        return out

    def _chosen(self):
        """The offset each window's maximum came from (kept from the forward, or found now and kept)."""
        x, out, choice, geometry = self.residuals
        if choice is None:
            _, choice = _max_pool_array(x, self.kernel_size, self.stride, self.padding)
            self.residuals = (x, out, choice, geometry)
        return choice

    def describe(self):
        return _label(self.kernel_size, self.stride, self.padding)

    def _pool(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding, choice=self._chosen())

    def backward(self, g, out, x):
        if isinstance(g, Tensor):
            return (MaxPool2dGrad.apply(g, x_shape=x.shape, **self._pool()),)
        return max_pool2d_backward(self.residuals, g)

    def jvp(self, i, dx, out, x):
        return MaxPool2dFunction.apply(dx, **self._pool())     # (a batch axis in front is carried along)


class MaxPool2dGrad(Function):
    """Max pooling's gradient: each value of ``g`` added where its window's maximum was (``choice``), in an
    array of shape ``x_shape``. Linear in ``g``; its derivative is the gather at the same positions."""
    name = "max_pool2d_grad"
    trusted = True
    capturable = True
    batched_jvp = True

    def forward(self, g, x_shape=None, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0), choice=None):
        self.kernel_size, self.stride, self.padding, self._choice = kernel_size, stride, padding, choice
        self.x_shape = tuple(x_shape)
        return _scatter_array(g, choice, kernel_size, stride, padding, self.x_shape)

    describe = MaxPool2dFunction.describe

    def _pool(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding, choice=self._choice)

    def backward(self, gx, out, g):
        if isinstance(gx, Tensor):
            return (MaxPool2dFunction.apply(gx, **self._pool()),)
        return (_gather_array(gx, self._choice, self.kernel_size, self.stride, self.padding),)

    def jvp(self, i, d, out, g):
        shape = d.shape[:d.ndim - len(self.x_shape)] + self.x_shape      # (a batch axis in front is kept)
        return MaxPool2dGrad.apply(d, x_shape=shape, **self._pool())


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """The maximum over each ``kernel_size`` window, as PyTorch's ``F.max_pool2d``.

    Parameters
    ----------
    input : Tensor or array of shape (N, C, H, W) (or (C, H, W))
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Step between windows; the kernel size by default (windows side by side).
    padding : int or (int, int)
        -inf added on each side (at most half the kernel).

    The gradient goes to the first maximum of each window (as PyTorch's).

    >>> import numpy as np
    >>> x = np.array([[[[1.0, 2.0, 5.0], [3.0, 4.0, 0.0], [0.0, 6.0, 1.0]]]])
    >>> max_pool2d(x, 2, stride=1).data.tolist()
    [[[[4.0, 5.0], [6.0, 6.0]]]]
    """
    x, single, params = _pool_arguments("max_pool2d", input, kernel_size, stride, padding)
    out = MaxPool2dFunction.apply(x, **params)
    return out.squeeze(0) if single else out


def avg_pool2d_forward(x, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0)):
    """:class:`AvgPool2dFunction`'s forward as a plain function of arrays: ``(out, residuals)``, the residuals
    (the input's shape and the geometry) being what :func:`avg_pool2d_backward` needs.

    >>> out, residuals = avg_pool2d_forward(np.array([[[[1.0, 5.0], [3.0, 2.0]]]]), (2, 2), (2, 2))
    >>> out.tolist(), avg_pool2d_backward(residuals, np.ones_like(out))[0].tolist()
    ([[[[2.75]]]], [[[[0.25, 0.25], [0.25, 0.25]]]])
    """
    return _avg_pool_array(x, kernel_size, stride, padding), (x.shape, (kernel_size, stride, padding))


def avg_pool2d_backward(residuals, g):
    """:class:`AvgPool2dFunction`'s backward as a plain function: each value of ``g`` / (kh * kw) added over its
    window, from :func:`avg_pool2d_forward`'s ``residuals``."""
    x_shape, (kernel_size, stride, padding) = residuals
    return (_avg_pool_grad_array(g, kernel_size, stride, padding, x_shape),)


class AvgPool2dFunction(Function):
    """The mean over each window of ``x`` (..., H, W), padding counted as zeros; drawn as ``avg_pool2d``.

    The work on arrays is done by :func:`avg_pool2d_forward` and :func:`avg_pool2d_backward` (the op's
    ``residual_functions``)."""
    name = "avg_pool2d"
    trusted = True
    capturable = True
    batched_jvp = True
    residual_functions = (avg_pool2d_forward, avg_pool2d_backward)

    def forward(self, x, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0)):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        out, self.residuals = avg_pool2d_forward(x, kernel_size, stride, padding)
        return out

    describe = MaxPool2dFunction.describe

    def _pool(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding)

    def backward(self, g, out, x):
        if isinstance(g, Tensor):
            return (AvgPool2dGrad.apply(g, x_shape=x.shape, **self._pool()),)
        return avg_pool2d_backward(self.residuals, g)

    def jvp(self, i, dx, out, x):
        return AvgPool2dFunction.apply(dx, **self._pool())      # linear (a batch axis in front is carried along)


class AvgPool2dGrad(Function):
    """Average pooling's gradient: each value of ``g`` / (kh * kw) added over its window, in an array of shape
    ``x_shape``. Linear in ``g``, and the adjoint of average pooling, its derivative."""
    name = "avg_pool2d_grad"
    trusted = True
    capturable = True
    batched_jvp = True

    def forward(self, g, x_shape=None, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0)):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.x_shape = tuple(x_shape)
        return _avg_pool_grad_array(g, kernel_size, stride, padding, self.x_shape)

    describe = MaxPool2dFunction.describe
    _pool = AvgPool2dFunction._pool

    def backward(self, gx, out, g):
        if isinstance(gx, Tensor):
            return (AvgPool2dFunction.apply(gx, **self._pool()),)
        return (_avg_pool_array(gx, self.kernel_size, self.stride, self.padding),)

    def jvp(self, i, d, out, g):
        shape = d.shape[:d.ndim - len(self.x_shape)] + self.x_shape
        return AvgPool2dGrad.apply(d, x_shape=shape, **self._pool())


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    """The mean over each ``kernel_size`` window, as PyTorch's ``F.avg_pool2d`` (``count_include_pad=True``:
    padded zeros count in the mean).

    Parameters are those of :func:`max_pool2d`; the padding is zeros.

    >>> import numpy as np
    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2).data.tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    x, single, params = _pool_arguments("avg_pool2d", input, kernel_size, stride, padding)
    out = AvgPool2dFunction.apply(x, **params)
    return out.squeeze(0) if single else out
