# %% [markdown]
# # A tanh hidden layer and a softmax output, backpropagated by hand
#
# Seed lab 003: `Z1 = X W1 + b1, A1 = tanh(Z1), Z2 = A1 W2 + b2, Yhat = softmax(Z2)`, trained on the
# mean cross-entropy with SGD. The lab's functions are in `demos.tanh_softmax`; labgrad checks the
# hand-written backward. Your exercise: softmax cross-entropy and its gradient.

# %%
import numpy as np
from IPython.display import display

import nn.data
import nn.plot
from autograd import Tensor
from autograd.testing import check_backward
from demos import common
from demos import tanh_softmax as lab

plt = nn.plot.pyplot()

# %% [markdown]
# `init_params` draws every weight from $\mathcal N(0, 0.3^2)$ after `np.random.seed(42)`, so the
# lab's printed example comes out exactly:

# %%
lab.init_params(1, 2, 1)

# %% [markdown]
# ## Exercise: softmax cross-entropy
#
# For scores `Z` of shape `(m, classes)` and one-hot labels `Y` of the same shape:
#
# $$\hat Y = \mathrm{softmax}(Z) \text{ row by row},\qquad L = -\frac1m \sum_{i,k} Y_{ik}\log \hat Y_{ik}.$$
#
# Write `softmax_cross_entropy(Z, Y)` (the number `L`; subtract each row's maximum before `exp` so it
# cannot overflow) and `softmax_cross_entropy_grad(Z, Y)`, the gradient `dL/dZ` (shape `(m, classes)`).

# %%
def softmax_cross_entropy(Z, Y):
    ### BEGIN SOLUTION
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -(Y * log_probs).sum() / Z.shape[0]
    ### END SOLUTION


def softmax_cross_entropy_grad(Z, Y):
    ### BEGIN SOLUTION
    return (lab.softmax(Z) - Y) / Z.shape[0]
    ### END SOLUTION


# %% [markdown]
# The checks compare with labgrad: `log_softmax`, the mean, and `.backward()`.

# %%
def labgrad_loss(Z, Y):
    return -(Z.log_softmax(axis=1) * Tensor(Y)).sum() / Z.shape[0]


def labgrad_softmax_cross_entropy(Z, Y):
    return labgrad_loss(Tensor(Z), Y).data


def labgrad_softmax_cross_entropy_grad(Z, Y):
    tZ = Tensor(Z, requires_grad=True)
    labgrad_loss(tZ, Y).backward()
    return tZ.grad


rng = np.random.default_rng(0)
Z = 3 * rng.standard_normal((8, 4))
Y = np.eye(4)[rng.integers(0, 4, size=8)]
check_backward(softmax_cross_entropy, labgrad_softmax_cross_entropy, Z, Y, name="softmax_cross_entropy");

# %%
check_backward(softmax_cross_entropy_grad, labgrad_softmax_cross_entropy_grad, Z, Y,
               name="softmax_cross_entropy_grad", hint="dL/dZ = (softmax(Z) - Y) / m");

# %% [markdown]
# ## The lab's whole backward against labgrad
#
# `lab.backward` (by hand) and `lab.autograd_grads` (labgrad) on a small 5-4-3 network:

# %%
Xc, Yc = rng.standard_normal((16, 5)), np.eye(3)[rng.integers(0, 3, 16)]
pc = lab.init_params(5, 4, 3)
hand, auto = lab.backward(Xc, pc, lab.forward(pc, Xc)[1], Yc), lab.autograd_grads(pc, Xc, Yc)
print("max |hand - labgrad| =", max(float(np.abs(hand[k] - auto[k]).max()) for k in pc))

# %% [markdown]
# ## Training
#
# The lab trains a 784-128-10 network with SGD (eta 0.1, batch 128, 50 epochs); in quick mode, a
# few epochs on a small subset.

# %%
DOWNLOAD = False      # True: download the data set when its files are not found (MNIST ~11 MB)
data = common.notebook_data(DATA, download=DOWNLOAD)
X_train, y_train, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test
if QUICK:
    X_train, y_train, X_test, y_test = X_train[:1000], y_train[:1000], X_test[:300], y_test[:300]
n_classes = len(data.classes)
Y_train, Y_test = nn.data.one_hot(y_train, n_classes, np.float64), nn.data.one_hot(y_test, n_classes, np.float64)
params = lab.init_params(X_train.shape[1], 128, n_classes)
history = lab.train(params, X_train, Y_train, X_test, Y_test, epochs=3 if QUICK else 50, batch_size=128, eta=0.1,
                    rng=np.random.default_rng(0))

# %%
fig = lab.plot_curves(history, title=f"{data.name}: tanh hidden layer, softmax output")
display(fig)
plt.close(fig)      # shown once, then closed (nn.plot keeps figures open for more drawing)
