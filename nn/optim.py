"""Optimisers (SGD, Adam, AdamW) and learning-rate schedules (StepLR, CosineAnnealingLR).

The updates follow PyTorch's documented algorithms exactly. A step works on
``p.data`` in place with numpy (no graph, no Tensors made), and skips
parameters whose ``grad`` is None.

>>> import numpy as np
>>> import nn
>>> from autograd import Tensor
>>> w = nn.Parameter(np.array([1.0, -2.0]))
>>> opt = nn.optim.SGD([w], lr=0.1)
>>> loss = (w * w).sum()            # gradient 2 w
>>> loss.backward()
>>> opt.step()
>>> w.data                          # w - 0.1 * 2 w
array([ 0.8, -1.6])
>>> opt.zero_grad()
>>> w.grad is None
True

Parameters can also be given as groups with their own settings:
``SGD([{"params": body.parameters()}, {"params": head.parameters(), "lr": 0.1}], lr=0.01)``.
"""
import math
import numbers

import numpy as np

from autograd import Tensor
from autograd.checks import boolean, positive_int, real_number
from nn import blas
from nn.blas import axpy
from nn.init import aligned_copy, empty_aligned
from nn.module import Module

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "LRScheduler", "StepLR", "CosineAnnealingLR"]


def _aligned_zeros(like):
    """Zeros of the shape and dtype of array ``like``, in aligned memory (updated in place every step)."""
    zeros = empty_aligned(like.shape, like.dtype)
    zeros.fill(0)
    return zeros


class Optimizer:
    """Base class: holds parameter groups and per-parameter state; subclasses write ``_update``.

    Attributes
    ----------
    param_groups : list of dict
        Each has ``"params"`` (a list of Parameters) and the hyper-parameters
        (``"lr"``, ...); a schedule changes ``group["lr"]``.
    state : dict
        Per-parameter state (momentum buffers, Adam moments, step counts), keyed by the Parameter.
    defaults : dict
        The hyper-parameters given to the constructor, and ``fused``.
    fused : None or bool
        PyTorch's flag: how the ``y += a * x`` updates run (see :func:`nn.blas.axpy`).
        ``None`` (default): BLAS ``axpy`` for large arrays where it is reachable, else
        numpy's two passes; ``False``: numpy's two passes always; ``True``: BLAS for
        every array it can take, and a ValueError here if it cannot be reached for the
        parameters' dtypes. As in PyTorch it is in ``defaults``; unlike PyTorch it is not
        copied into each parameter group nor saved by :meth:`state_dict`: it says how
        this process computes, not what is learned, so a checkpoint loads into an
        optimiser built with any setting.
    """
    state_keys = {}          # per-parameter state: key -> "array" (of the parameter's shape) or "count"

    def __init__(self, params, *, fused=None, **hyper):
        name = type(self).__name__
        if fused is not None:
            fused = boolean(fused, "fused", name, hint="pass None (BLAS where reachable), True or False")
        if isinstance(params, Module):        # (a Module is not iterable: the error would be obscure)
            raise TypeError(f"{name}: got a Module; pass model.parameters()")
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of Parameters (e.g. model.parameters()), "
                            "got a single Tensor; wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.param_groups, seen = [], set()
        for group in groups:
            group = {**hyper, **group}
            unknown = set(group) - set(hyper) - {"params"}
            if unknown:
                raise ValueError(f"{name}: unknown hyper-parameters {sorted(unknown)} in a parameter group")
            params = group["params"]
            params = [params] if isinstance(params, Tensor) else list(params)
            for p in params:
                if not isinstance(p, Tensor):
                    raise TypeError(f"{name}: expected Parameters/Tensors, got {type(p).__name__}")
                if not (p.is_leaf and p.requires_grad):
                    raise ValueError(f"{name}: can only optimise leaf tensors that require grad "
                                     f"(got one of shape {p.shape})")
                if id(p) in seen:
                    raise ValueError(f"{name}: a parameter of shape {p.shape} appears more than once")
                seen.add(id(p))
            self._check(group)
            self.param_groups.append({**group, "params": params})
        if fused:
            self._require_blas(name)
        self.fused = fused
        self.defaults = {**hyper, "fused": fused}
        self.state = {}
        self._scratch = {}           # per-parameter work arrays of optimizers that want them (not state)

    def _require_blas(self, name):
        """``fused=True``: BLAS axpy must be reachable for every parameter's dtype, else a ValueError saying why."""
        dtypes = sorted({str(p.dtype) for group in self.param_groups for p in group["params"]})
        missing = [d for d in dtypes if not blas.available(d)]
        if missing:
            raise ValueError(f"{name}: fused=True needs BLAS axpy for the parameters' dtype "
                             f"{', '.join(missing)}, and there is none here ({blas.describe()}); "
                             "pass fused=None to use it where it is reachable, or fused=False")

    def _check(self, group):
        """Validate one group's hyper-parameters (TypeError/ValueError naming the optimiser)."""

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (``None``, or zeros if ``set_to_none=False``)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad(set_to_none)

    def step(self):
        """Update every parameter that has a gradient, in place."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is not None:
                    self._update(p, grad, group)

    def _update(self, p, grad, group):
        """Update ``p`` in place; per-parameter state, if any, lives in ``self.state[p]`` (a dict)."""
        raise NotImplementedError

    # --- saving and loading -------------------------------------------------------------
    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [...]}`` with copies of the arrays.

        Parameters are numbered in order across the groups, as in PyTorch.
        """
        index, groups = {}, []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index[p] = len(index)
                ids.append(index[p])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[p]: {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in s.items()}
                 for p, s in self.state.items() if p in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned; on any mismatch raise ValueError and change nothing."""
        name = type(self).__name__
        try:
            groups, state = state_dict["param_groups"], state_dict["state"]
        except (KeyError, TypeError):
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups'") from None
        if not isinstance(groups, (list, tuple)) or not all(isinstance(g, dict) for g in groups) \
                or not isinstance(state, dict) or not all(isinstance(s, dict) for s in state.values()):
            raise ValueError(f"{name}.load_state_dict: 'param_groups' must be a list of dicts and 'state' "
                             "a dict of dicts (as state_dict() returns)")
        params = [p for group in self.param_groups for p in group["params"]]
        sizes = [len(g["params"]) for g in self.param_groups]
        if [len(g.get("params", ())) for g in groups] != sizes:
            raise ValueError(f"{name}.load_state_dict: parameter groups of sizes "
                             f"{[len(g.get('params', ())) for g in groups]} do not match this optimiser's {sizes}")
        new_state = {}
        for i, s in state.items():
            if not isinstance(i, numbers.Integral) or not 0 <= i < len(params):
                raise ValueError(f"{name}.load_state_dict: state for unknown parameter index {i!r}")
            new_state[params[i]] = self._checked_state(s, params[i], i)
        new_groups = []
        for mine, theirs in zip(self.param_groups, groups):
            hyper = {k: v for k, v in theirs.items() if k != "params"}
            missing = sorted(set(mine) - set(hyper) - {"params", "initial_lr"})
            if missing:
                raise ValueError(f"{name}.load_state_dict: a parameter group lacks {missing} "
                                 f"(a state_dict of another optimiser?)")
            try:
                self._check(hyper)
            except TypeError as e:                # (a refused load is a ValueError, whatever is wrong)
                raise ValueError(f"{name}.load_state_dict: {e}") from None
            new_groups.append({**hyper, "params": mine["params"]})
        self.param_groups, self.state = new_groups, new_state

    def _checked_state(self, s, p, i):
        """One parameter's loaded state, checked against ``state_keys`` and cast to its dtype."""
        name = type(self).__name__
        unknown = sorted(set(s) - set(self.state_keys))
        missing = sorted(set(self.state_keys) - set(s))
        if unknown or (s and missing and len(self.state_keys) > 1):
            raise ValueError(f"{name}.load_state_dict: state of parameter {i} has keys {sorted(s)}, "
                             f"expected {sorted(self.state_keys)}")
        checked = {}
        for k, v in s.items():
            if self.state_keys[k] == "count":
                if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 0:
                    raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {i} must be a "
                                     f"non-negative int, got {v!r}")
                checked[k] = int(v)
                continue
            try:
                v = np.asarray(v.data if isinstance(v, Tensor) else v)
            except (ValueError, TypeError) as e:
                raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {i} is not an array ({e})") from None
            if v.shape != p.shape or v.dtype.kind not in "iuf":
                raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {i} has shape {v.shape} "
                                 f"and dtype {v.dtype}, the parameter has shape {p.shape} (real numbers)")
            checked[k] = aligned_copy(v, p.dtype)         # (a copy: the caller's arrays stay theirs)
        return checked

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and L2 weight decay.

    PyTorch's algorithm, for each parameter ``p`` with gradient ``g`` at step t::

        g = g + weight_decay * p
        if momentum:
            b = g                                  (t = 1)
            b = momentum * b + (1 - dampening) * g (t > 1)
            g = g + momentum * b  if nesterov else  b
        p = p - lr * g

    The updates are in place, and ``p -= lr g`` is one pass over memory (BLAS ``axpy`` for
    large arrays, see :mod:`nn.blas`), as PyTorch's ``p.add_(g, alpha=-lr)``; ``fused=False``
    gives numpy's two passes, ``fused=True`` requires BLAS (see :class:`Optimizer`).
    """

    state_keys = {"momentum_buffer": "array"}

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0, *, fused=None):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                         weight_decay=weight_decay, fused=fused)

    def _check(self, group):
        for key in ("lr", "momentum", "dampening", "weight_decay"):
            if key in group:
                group[key] = real_number(group[key], key, "SGD", low=0)
        if "nesterov" in group:
            group["nesterov"] = boolean(group["nesterov"], "nesterov", "SGD")
        if group.get("nesterov") and (group.get("momentum", 0) <= 0 or group.get("dampening", 0) != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0; set them, or nesterov=False")

    def _update(self, p, grad, group):
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        g = grad + wd * p.data if wd else grad          # a new array: p.grad keeps the true gradient
        if momentum:
            state = self.state.setdefault(p, {})        # (plain SGD keeps no state)
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = aligned_copy(g, p.dtype)
            else:
                buf *= momentum
                axpy(1 - group["dampening"], g, buf, self.fused)
            g = g + momentum * buf if group["nesterov"] else buf
        axpy(-lr, g, p.data, self.fused)                # p -= lr g, in one pass


class Adam(Optimizer):
    """Adam with bias correction, and L2 ``weight_decay`` added to the gradient (PyTorch's Adam).

    For each parameter at step t (``m``, ``v`` start at zero)::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2
        p = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

    In place, in two scratch arrays per parameter; the updates of ``m`` and ``p`` are
    fused multiply-adds as in :class:`SGD`, with the same ``fused=`` flag (a (784, 256) and a
    (256, 128) float32 weight: 576 -> 479 us per step).
    """
    decoupled = False
    state_keys = {"step": "count", "exp_avg": "array", "exp_avg_sq": "array"}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, fused=fused)

    def _check(self, group):
        name = type(self).__name__
        for key in ("lr", "eps", "weight_decay"):
            if key in group:
                group[key] = real_number(group[key], key, name, low=0)
        if "betas" in group:
            betas = group["betas"]
            if not isinstance(betas, (tuple, list)):
                raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {type(betas).__name__}; "
                                "pass e.g. (0.9, 0.999)")
            if len(betas) != 2:
                raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {len(betas)} values; "
                                 "pass e.g. (0.9, 0.999)")
            group["betas"] = tuple(real_number(b, f"betas[{i}]", name, low=0.0, high=1.0, high_open=True)
                                   for i, b in enumerate(betas))

    def _update(self, p, grad, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = 0
            state["exp_avg"] = _aligned_zeros(p.data)
            state["exp_avg_sq"] = _aligned_zeros(p.data)
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        # Every step works in two scratch arrays kept per parameter: fresh temporaries of a
        # 784x512 weight cost more (allocation, page faults) than the arithmetic itself.
        scratch = self._scratch.get(p)
        if scratch is None or scratch[0].shape != p.data.shape or scratch[0].dtype != p.data.dtype:
            scratch = self._scratch[p] = (empty_aligned(p.shape, p.dtype), empty_aligned(p.shape, p.dtype))
        g_wd, tmp = scratch
        if self.decoupled and wd:
            p.data *= 1 - lr * wd                        # AdamW: decay the weights, not the gradient
        elif wd:
            np.multiply(p.data, wd, out=g_wd)            # g = grad + wd * p
            g_wd += grad
            grad = g_wd
        m *= beta1
        axpy(1 - beta1, grad, m, self.fused)
        v *= beta2
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - beta2
        v += tmp
        # lr * m_hat / (sqrt(v_hat) + eps), arranged as PyTorch does it
        denom = np.sqrt(v, out=tmp)
        denom /= math.sqrt(1 - beta2 ** t)
        denom += eps
        step = np.divide(m, denom, out=tmp)
        axpy(-lr / (1 - beta1 ** t), step, p.data, self.fused)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p = p - lr * weight_decay * p`` first,
    then the Adam step on the plain gradient."""
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, *, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, fused=fused)


# --- learning-rate schedules --------------------------------------------------------------

class LRScheduler:
    """Sets each group's ``lr`` from its initial value and the epoch count; call ``step()`` once per epoch.

    >>> import numpy as np
    >>> import nn
    >>> opt = nn.optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    >>> schedule = nn.optim.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(schedule.get_last_lr()[0])   # train an epoch, then
    ...     schedule.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lrs = [group.setdefault("initial_lr", group["lr"]) for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, base_lr, epoch):
        raise NotImplementedError

    def _apply(self):
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base, self.last_epoch)

    def step(self):
        """Advance one epoch and set the new learning rates."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self):
        """The learning rate of each group now."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        self.last_epoch, self.base_lrs = int(state["last_epoch"]), list(state["base_lrs"])
        self._apply()


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs: ``lr0 * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = positive_int(step_size, "step_size", "StepLR")
        self.gamma = real_number(gamma, "gamma", "StepLR", low=0)
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from the initial rate to ``eta_min`` over ``T_max`` epochs (SGDR without restarts):
    ``eta_min + (lr0 - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = positive_int(T_max, "T_max", "CosineAnnealingLR")
        self.eta_min = real_number(eta_min, "eta_min", "CosineAnnealingLR", low=0)
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
