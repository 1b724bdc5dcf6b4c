# %% [markdown]
# # Fashion-MNIST: a saturated network, then the lab's Net and ComplexNet
#
# Seed lab 004. Exercise 1b feeds `[5, 4, 1, 3, 2]` through `Linear(5, 3) - ReLU - Linear(3, 2) -
# LeakyReLU(0.01) - Linear(2, 1) - sigmoid` with every weight 2 and no bias: the output unit saturates,
# the BCE rounds to 0 and so does every gradient. The fix is to compute the BCE from the logit. Then the
# lab's two models are trained with labgrad (`demos.fashion_mnist`).

# %%
import argparse

import numpy as np
from IPython.display import display

import nn
import nn.plot
from autograd import Tensor
from autograd.testing import check_backward
from demos import common
from demos import fashion_mnist as lab

plt = nn.plot.pyplot()

# %% [markdown]
# ## Exercise 1b, as the lab runs it, and why

# %%
lab.print_exercise_1b();

# %% [markdown]
# ## Exercise: binary cross-entropy from the logit, and its derivative
#
# For logits `z` and labels `y` in {0, 1}, both of shape `(N,)`, the mean BCE of `p = sigmoid(z)` is
# $\frac1N\sum_i \big(\max(z_i, 0) - z_i y_i + \log(1 + e^{-|z_i|})\big)$: the same value as
# $-\frac1N\sum_i (y_i\log p_i + (1 - y_i)\log(1 - p_i))$, but finite for every `z` (use `np.log1p`).
# Write `bce_with_logits(z, y)` and its derivative `bce_with_logits_grad(z, y)` with respect to `z`
# (simple: `(sigmoid(z) - y) / N`; compute the sigmoid without overflow). The check uses logits up to
# several hundred, like the lab's 720.

# %%
def bce_with_logits(z, y):
    ### BEGIN SOLUTION
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    ### END SOLUTION


def bce_with_logits_grad(z, y):
    ### BEGIN SOLUTION
    sigmoid = 0.5 * (1 + np.tanh(0.5 * z))
    return (sigmoid - y) / z.shape[0]
    ### END SOLUTION


# %%
def labgrad_bce_with_logits(z, y):
    return nn.functional.binary_cross_entropy_with_logits(Tensor(z), Tensor(y)).data


def labgrad_bce_with_logits_grad(z, y):
    t = Tensor(z, requires_grad=True)
    nn.functional.binary_cross_entropy_with_logits(t, Tensor(y)).backward()
    return t.grad


rng = np.random.default_rng(0)
z = np.concatenate([3 * rng.standard_normal(12), [720.0, -720.0, 300.0, -45.0]])
y = rng.integers(0, 2, size=z.shape).astype(float)
check_backward(bce_with_logits, labgrad_bce_with_logits, z, y, name="bce_with_logits");

# %%
check_backward(bce_with_logits_grad, labgrad_bce_with_logits_grad, z, y, name="bce_with_logits_grad",
               hint="d BCE / d z_i = (sigmoid(z_i) - y_i) / N");

# %% [markdown]
# ## The lab's models
#
# `Net`: 784-256-128-10 ReLU, cross-entropy, SGD lr 0.01, batch 64, 10 epochs (the lab: 84.47 % test
# accuracy). `ComplexNet`: 784-512-256-128-10 with BatchNorm1d and LeakyReLU(0.2), Adam lr 1e-3 (88.66 %).
# Inputs are normalised as the lab's `(x - 0.5) / 0.5`. In quick mode: `Net` only, one epoch, 2,000
# images. `python -m demos.fashion_mnist --compare-torch` trains PyTorch alongside.

# %%
DOWNLOAD = False      # True: download the data set when its files are not found (Fashion-MNIST ~30 MB)
data = common.notebook_data(DATA, download=DOWNLOAD)
X, y, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test
if QUICK:
    X, y, X_test, y_test = X[:2000], y[:2000], X_test[:500], y_test[:500]
X, X_test = (X - 0.5) / 0.5, (X_test - 0.5) / 0.5
settings = argparse.Namespace(lr=None, seed=0, batch_size=64, epochs=1 if QUICK else 10)
results = {name: lab.run_model(name, (X, y, X_test, y_test), settings, ["labgrad"], lambda desc: None)
           for name in (("Net",) if QUICK else ("Net", "ComplexNet"))}

# %%
fig = lab.plot_losses(results, ["labgrad"])
display(fig)
plt.close(fig)      # shown once, then closed (nn.plot keeps figures open for more drawing)
