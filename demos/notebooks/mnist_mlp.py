# %% [markdown]
# # An MLP from Layer classes, trained with softmax cross-entropy
#
# Seed lab 002. Every layer has `forward(input)` and `backward(input, grad_output)`, and a `Dense`
# layer takes its SGD step inside `backward` (`demos.mnist_mlp`). The network `Dense-ReLU-Dense-ReLU-Dense`
# is trained with the softmax cross-entropy of the logits. Your exercise: that loss and its gradient.

# %%
import numpy as np
from IPython.display import display

import nn.data
import nn.plot
from autograd import Tensor
from autograd.testing import check_backward
from demos import common
from demos import mnist_mlp as lab

plt = nn.plot.pyplot()

# %% [markdown]
# ## The lab's gradient checks
#
# ReLU, Dense and the loss, against numerical gradients (`autograd.numerical_gradient`, the lab's
# `eval_numerical_gradient`):

# %%
errors = lab.lab_checks()
print("largest relative errors:", {k: f"{v:.1e}" for k, v in errors.items()})

# %% [markdown]
# ## Exercise: softmax cross-entropy with logits
#
# `logits` has shape `(m, classes)`, `answers` holds the index of the right class of each sample.
# The loss of sample `i` is $-z_{i,a_i} + \log\sum_k e^{z_{ik}}$ (compute the log-sum-exp with each
# row's maximum subtracted, so large logits cannot overflow). Write
# `softmax_crossentropy_with_logits(logits, answers)`, the per-sample losses (shape `(m,)`), and
# `grad_softmax_crossentropy_with_logits(logits, answers)`, the gradient of the **mean** loss with
# respect to the logits (shape `(m, classes)`).

# %%
def softmax_crossentropy_with_logits(logits, answers):
    ### BEGIN SOLUTION
    shift = logits.max(axis=1)
    log_sum_exp = shift + np.log(np.exp(logits - shift[:, None]).sum(axis=1))
    return -logits[np.arange(len(logits)), answers] + log_sum_exp
    ### END SOLUTION


def grad_softmax_crossentropy_with_logits(logits, answers):
    ### BEGIN SOLUTION
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax = e / e.sum(axis=1, keepdims=True)
    onehot = np.zeros_like(logits)
    onehot[np.arange(len(logits)), answers] = 1
    return (softmax - onehot) / logits.shape[0]
    ### END SOLUTION


# %% [markdown]
# The checks compare with labgrad: `log_softmax`, picking each row's answer, and `.backward()` of the mean.

# %%
def labgrad_losses(logits, answers):
    onehot = nn.data.one_hot(answers, logits.shape[1], np.float64)
    return -(logits.log_softmax(axis=1) * Tensor(onehot)).sum(axis=1)


def labgrad_softmax_crossentropy_with_logits(logits, answers):
    return labgrad_losses(Tensor(logits), answers).data


def labgrad_grad_softmax_crossentropy_with_logits(logits, answers):
    t = Tensor(logits, requires_grad=True)
    labgrad_losses(t, answers).mean().backward()
    return t.grad


rng = np.random.default_rng(0)
logits, answers = 4 * rng.standard_normal((16, 10)), rng.integers(0, 10, size=16)
check_backward(softmax_crossentropy_with_logits, labgrad_softmax_crossentropy_with_logits, logits, answers,
               name="softmax_crossentropy_with_logits");

# %%
check_backward(grad_softmax_crossentropy_with_logits, labgrad_grad_softmax_crossentropy_with_logits,
               logits, answers, name="grad_softmax_crossentropy_with_logits",
               hint="the gradient of the mean loss is (softmax(logits) - onehot(answers)) / m");

# %% [markdown]
# ## Training
#
# The lab's 784-40-40-10 network, SGD with learning rate 0.1 inside `Dense.backward`, batches of 32,
# 15 epochs (2 in quick mode), the last sixth of the training set held out for validation. On the
# 8x8 digits the weights start as He's: the lab's N(0, 0.01^2) stays at chance there (see the demo's
# docstring).

# %%
DOWNLOAD = False      # True: download the data set when its files are not found (MNIST ~11 MB)
data = common.notebook_data(DATA, download=DOWNLOAD)
splits = lab.split_data(data, quick=QUICK, seed=0)
fitted = lab.fit(splits, len(data.classes), hidden=40, lr=0.1, init="he" if DATA == "digits" else "lab",
                 epochs=2 if QUICK else 15, batch_size=32, seed=0)
history = fitted["history"]
print(f"test accuracy: {fitted['test_acc']:.4f}")

# %%
fig = nn.plot.plot_history(history)
display(fig)
plt.close(fig)      # shown once, then closed (nn.plot keeps figures open for more drawing)

# %% [markdown]
# ## What the network learned
#
# The lab's second part. `forward(network, X)[2]`, the second hidden layer's activations, are features the
# network learned for itself. A t-SNE map of them beside one of the raw pixels shows how far apart training
# pulled the digits (skipped in quick mode: it takes about 20 s), and a logistic regression trained with
# labgrad predicts from each whether a digit is even or odd.

# %%
import pathlib
import tempfile

from IPython.display import Image

tsne_path = None if QUICK else pathlib.Path(tempfile.mkdtemp()) / "tsne.png"     # (not in your folder)
learned = lab.what_it_learned(fitted["network"], splits, tsne_path=tsne_path, seed=0)
if learned["agreement"] is not None:
    display(Image(filename=str(tsne_path)))
