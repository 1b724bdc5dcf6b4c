# %% [markdown]
# # Layers by hand: Linear, ReLU and binary cross-entropy, forward and backward
#
# Seed lab 001. Each layer is a class with a `forward` that keeps what `backward` needs, and a
# `backward` that takes `dout` (the gradient of the loss with respect to the layer's output) and
# returns the gradient with respect to its input (and its parameters). labgrad computes the same
# numbers on its own with `.backward()`; at the end a small network made of the hand-written layers
# and the same network in labgrad are trained side by side.

# %%
import numpy as np
from IPython.display import display

import nn
import nn.plot
from autograd import Tensor
from autograd.testing import check_backward
from demos import common
from demos import layers_lab as lab

plt = nn.plot.pyplot()

# %% [markdown]
# ## The lab's asserts
#
# `lab.lab_checks()` runs every assert cell of the lab (tasks 1-6) with the lab's layers and repeats it
# with labgrad: the lab's value, the lab's expected number and labgrad's value.

# %%
rows = lab.lab_checks()
lab.print_checks(rows)
print(f"{sum(r['ok'] for r in rows)}/{len(rows)} checks pass")

# %% [markdown]
# ## Exercise 1: the backward of a linear layer
#
# The layer computes `out = X @ W + b` for a batch `X` of shape `(N, in)`, `W` of shape `(in, out)`
# and `b` of shape `(out,)`. Given `dout = dL/d out` of shape `(N, out)`, return `(dX, dW, db)`:
# each has the shape of what it is the gradient of. Hint: `db` adds up the contributions of the batch.

# %%
def linear_backward(X, W, b, dout):
    ### BEGIN SOLUTION
    dX = dout @ W.T
    dW = X.T @ dout
    db = dout.sum(axis=0)
    return dX, dW, db
    ### END SOLUTION


# %%
def labgrad_linear_backward(X, W, b, dout):
    tX, tW, tb = (Tensor(a, requires_grad=True) for a in (X, W, b))
    (tX @ tW + tb).backward(dout)          # seed the backward with the upstream gradient dout
    return tX.grad, tW.grad, tb.grad


check_backward(linear_backward, labgrad_linear_backward, (8, 5), (5, 3), (3,), (8, 3), name="linear_backward");

# %% [markdown]
# ## Exercise 2: binary cross-entropy and its derivative
#
# For labels `y_true` in {0, 1} and predicted probabilities `y_pred` in (0, 1), both of shape `(N,)`:
#
# $$\mathrm{BCE} = -\frac{1}{N}\sum_i \big(y_i \log p_i + (1 - y_i)\log(1 - p_i)\big).$$
#
# Write `bce(y_true, y_pred)` (a number) and `bce_derivative(y_true, y_pred)`, the gradient of the
# BCE with respect to `y_pred` (shape `(N,)`; do not forget the `1/N` of the mean).

# %%
def bce(y_true, y_pred):
    ### BEGIN SOLUTION
    return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))
    ### END SOLUTION


def bce_derivative(y_true, y_pred):
    ### BEGIN SOLUTION
    return (y_pred - y_true) / (y_pred * (1 - y_pred)) / y_true.shape[0]
    ### END SOLUTION


# %% [markdown]
# The checks use labels in {0, 1} and probabilities away from 0 and 1, compared with labgrad's
# `nn.functional.binary_cross_entropy` and its backward.

# %%
rng = np.random.default_rng(0)
y_true = rng.integers(0, 2, size=20).astype(float)
y_pred = rng.uniform(0.05, 0.95, size=20)


def labgrad_bce(y_true, y_pred):
    return nn.functional.binary_cross_entropy(Tensor(y_pred), Tensor(y_true)).data


def labgrad_bce_derivative(y_true, y_pred):
    p = Tensor(y_pred, requires_grad=True)
    nn.functional.binary_cross_entropy(p, Tensor(y_true)).backward()
    return p.grad


check_backward(bce, labgrad_bce, y_true, y_pred, name="bce");

# %%
check_backward(bce_derivative, labgrad_bce_derivative, y_true, y_pred, name="bce_derivative",
               hint="d BCE / d p_i = (p_i - y_i) / (p_i (1 - p_i)) / N");

# %% [markdown]
# ## The lab's layers and labgrad, trained side by side
#
# Linear-ReLU-Linear-Sigmoid + BCE, even vs odd digit, the same initial weights, shuffles and
# learning rate: the lab's layers with their hand-written backward, and labgrad's `nn` modules with
# `loss.backward()` and `nn.optim.SGD`. The two loss curves coincide to rounding error.

# %%
DOWNLOAD = False      # True: download the data set when its files are not found (MNIST ~11 MB)
data = common.notebook_data(DATA, download=DOWNLOAD)
n_train = 512 if QUICK else len(data.X_train)
X, y = data.X_train[:n_train].astype(np.float64), data.y_train[:n_train] % 2 == 0
history = lab.train_side_by_side(X, y, epochs=2 if QUICK else 10, batch_size=64, lr=0.1)
print(f"largest difference between the final weights: {history['max_diff']:.1e}")

# %%
fig = lab.plot_side_by_side(history)
display(fig)
plt.close(fig)      # shown once, then closed (nn.plot keeps figures open for more drawing)
