# %% [markdown]
# # A binary classifier by hand: 0s against 1s with a 784-25-15-1 network
#
# Seed lab 000. The network is `Linear-ReLU-Linear-ReLU-Linear-sigmoid`, trained on the mean binary
# cross-entropy. Part 1 is the lab's own numpy functions (`demos.mnist_binary`), checked against the
# lab's test cases; part 2 recomputes the gradients with labgrad; part 3 trains the network with
# labgrad. Your exercises: He initialisation and one gradient-descent (SGD) step.

# %%
import numpy as np
from IPython.display import display

import nn
import nn.plot
from autograd import Tensor
from autograd.testing import check_backward
from demos import common
from demos import mnist_binary as lab

plt = nn.plot.pyplot()

# %% [markdown]
# ## Exercise 1: He initialisation
#
# With ReLU layers, weights drawn from $\mathcal N(0, 1)$ make the activations grow or vanish layer
# after layer. He initialisation draws $W \sim \mathcal N(0, 1)\cdot\sqrt{2 / n_\text{in}}$, of shape
# `(n_in, n_out)`, and the biases are 0. Write `he_init(n_in, n_out, rng)` returning `W`; draw the
# noise with `rng.standard_normal((n_in, n_out))` so that your draws are the lab's.

# %%
def he_init(n_in, n_out, rng):
    ### BEGIN SOLUTION
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
    ### END SOLUTION


# %% [markdown]
# The check hands your function and the lab's `init_params` identical copies of one generator.

# %%
def lab_he_init(n_in, n_out, rng):
    return lab.init_params((n_in, n_out), rng=rng)["W1"]


check_backward(he_init, lab_he_init, 784, 25, np.random.default_rng(7), name="he_init",
               hint="draw with rng.standard_normal, not np.random; the scale is sqrt(2 / n_in), "
                    "with n_in the number of inputs of the layer");

# %% [markdown]
# ## Part 1: the lab's functions against the lab's test cases

# %%
rows = lab.lab_tests()
for r in rows:
    print(f"{r['name']:<28} {'PASS' if r['ok'] else 'FAIL'}")

# %% [markdown]
# ## Part 2: the same gradients from labgrad
#
# labgrad's gradients are exactly `m` (the batch size) times the lab's: the lab's `BCE_loss_derivative`
# already divides by `m` (the loss is a mean) and its `dW = 1/m a^T dz` divides a second time. So a lab
# step with learning rate `lr` is a true gradient step with `lr / m`.

# %%
m = lab.LAB_TEST_Y.shape[0]
lab_grads, engine_grads, err = lab.compare_with_engine(lab.LAB_TEST_X, lab.LAB_TEST_Y, lab.LAB_TEST_PARAMS["first"])
print("lab    dW1:", lab_grads["W1"].ravel())
print("engine dW1:", engine_grads["W1"].ravel())
print(f"max |engine - {m} * lab| = {err:.1e}")

# %% [markdown]
# ## Exercise 2: one SGD step
#
# Given the parameters of the network, a batch `X` and its labels `y`, return the parameters after one
# step $\theta \leftarrow \theta - \text{lr}\,\nabla_\theta L$ with `lr = LR` on the mean BCE. Get the
# true gradients from labgrad with `lab.engine_gradients(X, y, params)` (a dict keyed like `params`).
# Careful: the lab's own `lab.lab_gradients` are `m` times too small (see part 2).

# %%
LR = 0.1
NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def sgd_step(X, y, W1, b1, W2, b2, W3, b3):
    params = dict(W1=W1, b1=b1, W2=W2, b2=b2, W3=W3, b3=b3)
    ### BEGIN SOLUTION
    grads = lab.engine_gradients(X, y, params)
    return tuple(params[k] - LR * grads[k] for k in NAMES)
    ### END SOLUTION


# %% [markdown]
# The check compares your step with labgrad's own: the lab's network as `nn` modules
# (`lab.make_model`), `loss.backward()` and `nn.optim.SGD`.

# %%
def labgrad_sgd_step(X, y, W1, b1, W2, b2, W3, b3):
    model = lab.make_model(dict(W1=W1, b1=b1, W2=W2, b2=b2, W3=W3, b3=b3), dtype=np.float64)
    optimizer = nn.optim.SGD(model.parameters(), lr=LR)
    nn.functional.binary_cross_entropy(model(Tensor(X)), Tensor(y)).backward()
    optimizer.step()
    return tuple(p.data.reshape(1, -1) if p.ndim == 1 else p.data for p in model.parameters())


rng = np.random.default_rng(0)
batch = [rng.standard_normal((6, 4)), rng.integers(0, 2, size=(6, 1)).astype(float)]
start = lab.init_params((4, 3, 2, 1), rng=rng)
check_backward(sgd_step, labgrad_sgd_step, *batch, *(start[k] for k in NAMES), name="sgd_step",
               hint="θ − lr·grad, with the engine's gradients");

# %% [markdown]
# ## Part 3: training with labgrad
#
# The lab's loop: He init, zero biases, mini-batch gradient descent on the mean BCE, batches of 64,
# learning rate 0.1, reshuffled every epoch (30 epochs in the lab; 2 in quick mode). Only the
# classes 0 and 1 are kept.

# %%
DOWNLOAD = False      # True: download the data set when its files are not found (MNIST ~11 MB)
data = common.notebook_data(DATA, download=DOWNLOAD)
fitted = lab.fit(data, epochs=2 if QUICK else 30, batch_size=64, lr=0.1, seed=0, quick=QUICK)
losses, pred, rng = fitted["losses"], fitted["pred"], fitted["rng"]
X_test, y_test = fitted["test"]

# %%
fig = nn.plot.plot_history({"train_loss": losses})
display(fig)
plt.close(fig)      # shown once, then closed (nn.plot keeps figures open for more drawing)

# %%
shown = rng.choice(len(X_test), size=min(5, len(X_test)), replace=False)
fig = nn.plot.plot_images(X_test[shown], y_test[shown], pred[shown], image_shape=data.image_shape,
                    class_names=data.classes, ncols=5, title="TEST set: label → prediction")
display(fig)
plt.close(fig)      # shown once, then closed (nn.plot keeps figures open for more drawing)
