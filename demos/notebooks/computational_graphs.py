# %% [markdown]
# # Computational graphs: the chain rule by hand, then by labgrad
#
# Seed lab 001, task 3.5 (and seed 000's backprop figure). We take the function
#
# $$f(x, y, z) = (x + y)\,z \quad\text{at}\quad x = -2,\ y = 5,\ z = -4,$$
#
# compute it forward, then walk the chain rule backward by hand, and compare each gradient with what
# labgrad's `backward()` computes. Then the same for a sigmoid neuron.

# %%
import numpy as np

from autograd import Tensor, viz
from autograd.testing import check_backward
from demos import computational_graphs as lab

# %% [markdown]
# ## Forward and backward, step by step
#
# Name the intermediate `q = x + y`, so `f = q * z`. Backward from `df/df = 1`:
# `df/dq = z`, `df/dz = q`, and since `d(x + y)/dx = d(x + y)/dy = 1`, `df/dx = df/dy = df/dq`.
# `lab.f_xyz()` does exactly this, next to labgrad (hand | engine columns):

# %%
r = lab.f_xyz()
lab.print_exercise("f(x, y, z) = (x + y) * z", r)

# %% [markdown]
# ## Exercise 1: the chain rule on (x + y) * z
#
# Write `grads_xyz(x, y, z)` returning the three gradients `(df/dx, df/dy, df/dz)` of
# `f = (x + y) * z`. The inputs are numpy arrays of the same shape and `f` is applied elementwise,
# so each gradient is an array of that shape.

# %%
def grads_xyz(x, y, z):
    ### BEGIN SOLUTION
    q = x + y
    df_dq = z
    return df_dq * 1.0, df_dq * 1.0, q
    ### END SOLUTION


# %% [markdown]
# The check calls your function and labgrad on the same random inputs and says what is wrong, and where.

# %%
def labgrad_grads_xyz(x, y, z):
    tx, ty, tz = (Tensor(a, requires_grad=True) for a in (x, y, z))
    ((tx + ty) * tz).sum().backward()       # the sum's gradient is 1 for every element
    return tx.grad, ty.grad, tz.grad


check_backward(grads_xyz, labgrad_grads_xyz, (5,), (5,), (5,), name="grads_xyz",
               hint="df/dx = df/dq * dq/dx with q = x + y");

# %% [markdown]
# ## The graph, drawn
#
# Each tensor shows its value (green) and its gradient (red); ops sit between their inputs and outputs.

# %%
viz.draw(r["root"], names=r["names"])

# %% [markdown]
# ## The backprop player
#
# Step through the forward pass and then the backward pass (buttons, slider or arrow keys).

# %%
viz.player(r["root"], names=r["names"])

# %% [markdown]
# ## The sigmoid neuron
#
# $y = \sigma(w_0 x_0 + w_1 x_1 + w_2)$ at $w_0 = 2, x_0 = -1, w_1 = -3, x_1 = -2, w_2 = -3$: first split
# into the primitive gates of the lecture figure (`*`, `+`, `neg`, `exp`, `+1`, `1/x`), then with one
# `sigmoid` op whose local derivative is $\sigma(z)(1 - \sigma(z))$. Both give the same gradients.

# %%
gates = lab.sigmoid_neuron_gates()
lab.print_exercise("sigmoid neuron, gate by gate", gates)
print()
lab.print_exercise("the same neuron with one sigmoid op", lab.sigmoid_neuron())

# %%
viz.draw(gates["root"], names=gates["names"])

# %%
viz.player(gates["root"], names=gates["names"])
