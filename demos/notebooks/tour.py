# %% [markdown]
# # The labgrad tour
#
# labgrad is a small autograd engine on numpy: `Tensor`s remember the operations that made them, and
# `backward()` applies the chain rule through that graph. This tour runs, in a few minutes: backprop
# by hand on the seed graphs next to labgrad's gradients, the labs' own checks, and a small network
# trained on handwritten digits, with the graph of one training step and a player that steps through it.
# Each lab has a notebook of its own, with exercises (`exercises/`).

# %%
from IPython.display import display

import nn
import nn.plot
from autograd import Tensor, viz
from demos import __main__ as tour
from demos import common, computational_graphs
from nn import functional as F

plt = nn.plot.pyplot()

# %% [markdown]
# ## 1. Computational graphs: the chain rule by hand, and labgrad's gradients

# %%
results = computational_graphs.run(out=None, show_steps=False)

# %%
r = results["f_xyz"]
viz.draw(r["root"], names=r["names"])

# %% [markdown]
# ## 2. The labs' own checks
#
# Seed 001's asserts and seed 000's test cases, each with labgrad's value beside the lab's.

# %%
passed, total = tour.lab_checks()
print(f"{passed}/{total} pass")

# %% [markdown]
# ## 3. A small MLP trained with labgrad
#
# A 64-64-10 ReLU network (`nn.MLP`, He init) on the 8x8 digits, softmax cross-entropy, SGD with
# learning rate 0.1, batches of 32: `nn.fit` runs forward, loss, `zero_grad`, `backward` and `step`
# for every batch.

# %%
DOWNLOAD = False      # True: download the data set when its files are not found (MNIST ~11 MB)
data = common.notebook_data(DATA, download=DOWNLOAD)
fitted = tour.fit_mlp(data, epochs=2 if QUICK else 30, batch_size=32, lr=0.1, seed=0, quick=QUICK)
model, history, X_test, y_test = fitted["model"], fitted["history"], fitted["X_test"], fitted["y_test"]

# %%
fig = nn.plot.plot_history(history)
display(fig)
plt.close(fig)      # shown once, then closed (nn.plot keeps figures open for more drawing)

# %%
n = 8 if QUICK else 32
fig = nn.plot.plot_images(X_test[:n], y_test[:n], nn.training.predict(model, X_test[:n]), image_shape=data.image_shape,
                    class_names=data.classes, title="test images: label → prediction (red: wrong)")
display(fig)
plt.close(fig)      # shown once, then closed (nn.plot keeps figures open for more drawing)

# %% [markdown]
# ## The graph of one training step
#
# Four test images through the trained network, grouped by layer, with that batch's gradients; then the
# same step in the player, op by op, forward and backward.

# %%
tour.step_graph(model, X_test[:4], y_test[:4])

# %%
tour.step_player(model, X_test[:4], y_test[:4])
