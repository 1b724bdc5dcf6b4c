"""Derivatives as functions: tanh's six derivatives, forward vs reverse mode, Newton's method, a forward pass drawn.

``python -m demos.derivatives`` uses :mod:`autograd.func` (torch.func's names) and
:mod:`autograd.forward_ad` in four parts, each checked, each with a figure:

1. **Higher derivatives.** ``func.grad`` applied six times to ``tanh`` (each
   time to the sum over a grid, which gives the derivative at every grid point),
   drawn on [-7, 7] and checked against the closed forms, polynomials in
   ``t = tanh(x)`` (:data:`TANH_DERIVATIVES`).
2. **Forward vs reverse mode.** ``func.jacfwd`` and ``func.jacrev`` on a wide
   function (R^n -> R) and a tall one (R -> R^m): the same Jacobian, the passes
   each takes (counted by an identity op at the input, :class:`Probe`) and the
   time, beside the one-direction-at-a-time versions (``func.jvp`` per input
   direction, ``func.vjp`` per output row).
3. **Newton's method.** ``func.grad`` and ``func.hessian`` (forward over reverse)
   take Newton steps on Rosenbrock's banana valley, beside gradient descent; both
   paths over the contour plot, with the iterations each needed.
4. **A forward pass drawn.** ``f(x, y) = tanh(x y) + exp(x)`` with the tangent
   ``dx = 1`` carried along (dual numbers): a table of every node's value and
   tangent (by hand and by labgrad), the graph with the tangents on the nodes, and
   the graph of the tangent computation itself (the ops the ``jvp`` rules ran).

``--quick`` makes every part small (the smoke tests' mode; its times are not results).

>>> import numpy as np
>>> from autograd import func, tanh
>>> second = func.grad(func.grad(tanh))                       # at one point: no sum needed
>>> t = np.tanh(0.3)
>>> round(float(second(0.3).data), 6), round(float(np.polynomial.polynomial.polyval(t, TANH_DERIVATIVES[2])), 6)
(-0.533182, -0.533182)
"""
import argparse
import math
import textwrap
import time

import numpy as np

from autograd import Function, Tensor, exp, func, tanh
from autograd.forward_ad import dual_level, make_dual, unpack_dual
from autograd.graph import topological_order
from demos import common

__all__ = ["TANH_DERIVATIVES", "polynomial_text", "derivative_functions", "tanh_derivatives", "Probe",
           "wide_function", "tall_function", "compare_modes", "rosenbrock", "rosenbrock_hessian", "newton",
           "gradient_descent", "dual_table", "forward_pass_graphs", "main"]

# --- 1. tanh and its first six derivatives ------------------------------------------------

#: d^k tanh / dx^k as a polynomial in t = tanh(x): coefficients of t^0, t^1, t^2, ...
#: (from tanh' = 1 - t^2 and the chain rule: P_{k+1}(t) = P_k'(t) (1 - t^2))
TANH_DERIVATIVES = {
    1: (1, 0, -1),
    2: (0, -2, 0, 2),
    3: (-2, 0, 8, 0, -6),
    4: (0, 16, 0, -40, 0, 24),
    5: (16, 0, -136, 0, 240, 0, -120),
    6: (0, -272, 0, 1232, 0, -1680, 0, 720),
}
#: the largest |autograd - closed form| accepted, relative to max(1, |closed form|) (float64)
DERIVATIVE_TOLERANCE = 1e-10


def polynomial_text(coefficients, var="t"):
    """``(1, 0, -1)`` as ``"1 - t^2"``.

    >>> polynomial_text((0, -272, 0, 1232, 0, -1680, 0, 720))
    '-272t + 1232t^3 - 1680t^5 + 720t^7'
    """
    terms = []
    for power, c in enumerate(coefficients):
        if c == 0:
            continue
        mono = "" if power == 0 else var if power == 1 else f"{var}^{power}"
        size = abs(c)
        body = f"{size:g}" if not mono else (mono if size == 1 else f"{size:g}{mono}")
        terms.append(("-" if c < 0 else "+", body))
    text = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    return text + "".join(f" {sign} {body}" for sign, body in terms[1:])


def derivative_functions(f, order):
    """``[f, f', f'', ...]`` up to ``order``, each the ``func.grad`` of the one before.

    ``f`` acts elementwise, so the gradient of ``x -> f(x).sum()`` at a grid ``x`` is
    ``f'`` at every grid point: one reverse pass gives the derivative on the whole grid.
    """
    functions = [f]
    for _ in range(order):
        functions.append(func.grad(_summed(functions[-1])))
    return functions


def _summed(g):
    return lambda x: g(x).sum()


def tanh_derivatives(x, order=6):
    """tanh and its derivatives on the grid ``x`` by repeated ``func.grad``, checked against the closed forms.

    Returns a list of dicts, one per order k = 0..``order``: ``values`` (autograd's),
    ``exact`` (the closed form), ``error`` (max |values - exact|), ``ok`` (within
    :data:`DERIVATIVE_TOLERANCE`), ``ops`` (ops in the graph that computes it) and ``seconds``.

    >>> rows = tanh_derivatives(np.linspace(-2, 2, 5), order=2)
    >>> [r["ok"] for r in rows], float(rows[1]["values"][2])     # tanh'(0) = 1
    ([True, True, True], 1.0)
    """
    t = np.tanh(x)
    rows = []
    for k, fk in enumerate(derivative_functions(tanh, order)):
        t0 = time.perf_counter()
        values = fk(x).data
        seconds = time.perf_counter() - t0
        exact = t if k == 0 else np.polynomial.polynomial.polyval(t, TANH_DERIVATIVES[k])
        error = float(np.abs(values - exact).max())
        scale = max(1.0, float(np.abs(exact).max()))
        # the graph that computes the k-th derivative: from an input that requires grad, every op is recorded
        ops = len(topological_order([fk(Tensor(x, requires_grad=True))]))
        rows.append(dict(order=k, values=values, exact=exact, error=error, ok=error <= DERIVATIVE_TOLERANCE * scale,
                         ops=ops, seconds=seconds))
    return rows


def print_tanh_derivatives(rows, n_points):
    print(f"tanh and its derivatives by repeated func.grad on {n_points} points of [-7, 7], "
          f"against the closed forms in t = tanh(x):")
    print(f"  {'order':<6}{'closed form':<40}{'ops in its graph':>16}{'time':>11}")
    for r in rows:
        k = r["order"]
        form = "tanh(x)" if k == 0 else polynomial_text(TANH_DERIVATIVES[k])
        print(f"  {k:<6}{form:<40}{r['ops']:16d}{1e3 * r['seconds']:8.2f} ms")
    for r in rows[1:]:
        k = r["order"]
        print(f"d^{k} tanh/dx^{k}: max |autograd - closed form| = {r['error']:.1e}"
              + ("" if r["ok"] else f"   <-- ABOVE THE TOLERANCE ({DERIVATIVE_TOLERANCE:g} x max(1, |closed form|))"))
    print("each func.grad differentiates the graph of the one before, so the graph grows with the order "
          "(the 'ops in its graph' column)")


def plot_tanh_derivatives(x, rows, path):
    plt = _plt()
    fig, axes = plt.subplots(2, 4, figsize=(15, 6.5))
    for ax, r in zip(axes.flat, rows):
        k = r["order"]
        ax.plot(x, r["exact"], color="#bbbbbb", lw=5, label="closed form")
        ax.plot(x, r["values"], color="C0", lw=1.4, label="func.grad, k times")
        ax.set_title("tanh(x)" if k == 0 else f"d^{k} tanh / dx^{k} = {polynomial_text(TANH_DERIVATIVES[k])}",
                     fontsize=8 if k >= 5 else 9)
        ax.axhline(0, color="k", lw=0.5)
        ax.grid(alpha=0.3)
        ax.set_xlim(x[0], x[-1])
        if k == 0:
            ax.legend(fontsize=8, loc="lower right")
    ax = axes.flat[-1]
    for r in rows[1:]:
        exact = " (all 0)" if r["error"] == 0 else ""      # (nothing to draw on a log scale)
        ax.semilogy(x, np.abs(r["values"] - r["exact"]) + 1e-20, lw=0.8, label=f"order {r['order']}{exact}")
    ax.set_ylim(1e-18, 1e-10)
    ax.set_xlim(x[0], x[-1])
    ax.set_title("|func.grad - closed form| (float64)", fontsize=9)
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("x")
    fig.suptitle("tanh and its first six derivatives: func.grad applied k times (blue) on the closed forms (grey)")
    fig.tight_layout()
    _save(plt, fig, path)


# --- 2. forward vs reverse mode ---------------------------------------------------------------

class Probe(Function):
    """The identity, as an op that writes in ``log`` every pass through it: how the transforms use a function.

    ``Probe.apply(x, log=log)`` returns ``x``'s values. Each forward appends
    ``("forward", ())``; each backward walk that reaches it ``("backward", batch)``
    and each forward-mode pass ``("jvp", batch)``, where ``batch`` is ``(n,)``
    when the pass carries n seeds or tangents at once (a leading axis) and ``()``
    for one. It accepts batches (``batched_jvp``, ``batched_backward``), so the
    engine hands it a batch as one call: the log shows what the transform asked for.

    >>> log = []
    >>> J = func.jacfwd(lambda x: Probe.apply(x, log=log) * 2.0)(np.ones(3))
    >>> log
    [('forward', ()), ('jvp', (3,))]
    """
    name = "probe"
    elementwise = True
    batched_jvp = True
    batched_backward = True

    def forward(self, a, log):
        self._log = log                    # (a leading underscore: not a parameter shown in pictures)
        log.append(("forward", ()))
        return a.copy()

    def backward(self, g, out, a):
        self._log.append(("backward", tuple(g.shape[:g.ndim - out.ndim])))
        return g

    def jvp(self, i, dx, out, a):
        self._log.append(("jvp", tuple(dx.shape[:dx.ndim - out.ndim])))
        return dx


def wide_function(log):
    """``f(x) = sum(x tanh(x))``, R^n -> R (its Jacobian, one row: ``tanh(x) + x (1 - tanh(x)^2)``)."""
    def f(x):
        x = Probe.apply(x, log=log)
        return (x * x.tanh()).sum()
    return f


def tall_function(a, c, log):
    """``g(s) = tanh(a s) exp(c s)`` for s of shape (1,), R -> R^m (a, c: m constants)."""
    def g(s):
        s = Probe.apply(s, log=log)
        return (s * a).tanh() * (s * c).exp()
    return g


def _timed(fn, repeat):
    best, result = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return result, best


def _passes(log):
    """The log of a :class:`Probe` in words: ``'1 forward pass, 1 backward walk carrying 1000 seeds at once'``.

    >>> _passes([("forward", ()), ("jvp", (5,))]), _passes([("forward", ())] * 3 + [("jvp", ())] * 3)
    ('1 forward pass carrying 5 tangents at once', '3 forward passes each carrying 1 tangent')
    """
    forwards = sum(kind == "forward" for kind, _ in log)
    jvps = [batch for kind, batch in log if kind == "jvp"]
    walks = [batch for kind, batch in log if kind == "backward"]
    if jvps:                                  # forward mode: the tangents ride on the forward passes
        return _count(len(jvps), "forward pass") + _carrying(jvps, "tangent")
    text = _count(forwards, "forward pass")
    return text + (f", {_count(len(walks), 'backward walk')}{_carrying(walks, 'seed')}" if walks else "")


def _count(n, noun):
    return f"{n} {noun if n == 1 else noun + ('es' if noun.endswith('s') else 's')}"


def _carrying(batches, noun):
    sizes = {batch[0] if batch else 1 for batch in batches}
    if len(sizes) > 1:
        return f" carrying batches of {', '.join(map(str, sorted(sizes)))} {noun}s"
    size = sizes.pop()
    return f" {'each ' if len(batches) > 1 else ''}carrying {_count(size, noun)}{' at once' if size > 1 else ''}"


def _batch_awareness(f, x):
    """Which ops of ``f``'s graph take a batch of tangents / seeds in one call (the others get one at a time)."""
    out = f(Tensor(x, requires_grad=True))
    ops = {}
    for t in topological_order([out]):
        if not isinstance(t.op, Probe):
            ops[t.op.name] = (t.op.batched_jvp, t.op.batched_backward)
    return ops


def compare_modes(n, m, repeat=3, seed=0):
    """Jacobians of a wide (R^n -> R) and a tall (R -> R^m) function both ways; counts, times and checks.

    Returns a dict per shape (``"wide"``, ``"tall"``) of method name -> dict(``J``, ``passes``
    (text), ``log`` (the :class:`Probe` log of one run), ``seconds``), plus ``"exact"`` (closed form)
    and ``"ops"`` (which ops of the function take batches). Times are the best of ``repeat`` runs (the first
    one pays for warming up); the one-at-a-time versions run once.
    """
    rng = np.random.default_rng(seed)
    results = {}

    # the wide function: one output, n inputs
    x = rng.uniform(-2, 2, n)
    t = np.tanh(x)
    wide = {}

    def run(make, repeat):
        log = []
        J, seconds = _timed(lambda: (log.clear(), make(log))[1], repeat)
        return dict(J=np.asarray(J.data if isinstance(J, Tensor) else J), log=list(log), passes=_passes(log),
                    seconds=seconds)

    wide["jacrev"] = run(lambda log: func.jacrev(wide_function(log))(x), repeat)
    wide["jacfwd"] = run(lambda log: func.jacfwd(wide_function(log))(x), repeat)
    eye = np.eye(n)
    wide["jvp, one direction at a time"] = run(
        lambda log: np.array([func.jvp(wide_function(log), (x,), (eye[i],))[1].data for i in range(n)]), 1)
    results["wide"] = dict(methods=wide, exact=t + x * (1 - t * t), ops=_batch_awareness(wide_function([]), x),
                           shape=f"R^{n} -> R", jacobian=f"1 x {n}")

    # the tall function: n = 1 input, m outputs
    a, c = np.linspace(0.5, 2.0, m), -np.linspace(0.0, 1.0, m)
    s = np.array([0.7])
    tall = {}
    tall["jacfwd"] = run(lambda log: func.jacfwd(tall_function(a, c, log))(s), repeat)
    tall["jacrev"] = run(lambda log: func.jacrev(tall_function(a, c, log))(s), repeat)
    eye = np.eye(m)

    def by_rows(log):
        _, pullback = func.vjp(tall_function(a, c, log), s)
        return np.stack([pullback(eye[j])[0].data for j in range(m)])

    tall["vjp, one row at a time"] = run(by_rows, 1)
    ta = np.tanh(a * s[0])
    exact = (a * (1 - ta * ta) + ta * c) * np.exp(c * s[0])
    results["tall"] = dict(methods=tall, exact=exact[:, None], ops=_batch_awareness(tall_function(a, c, []), s),
                           shape=f"R -> R^{m}", jacobian=f"{m} x 1")
    return results


#: the largest |difference| accepted between two ways of computing a Jacobian (float64)
JACOBIAN_TOLERANCE = 1e-12


def print_modes(results):
    """Print the comparison; return True if every Jacobian agrees with the closed form."""
    ok = True
    for title, r in results.items():
        exact = r["exact"]
        print(f"{title} function {r['shape']} (Jacobian {r['jacobian']}):")
        for name, mth in r["methods"].items():
            err = float(np.abs(mth["J"].reshape(exact.shape) - exact).max())
            good = err <= JACOBIAN_TOLERANCE
            ok &= good
            print(f"  {name:<31}{mth['passes']:<58}{1e3 * mth['seconds']:9.2f} ms   "
                  f"max |J - closed form| {err:.1e}{'' if good else '   <-- WRONG'}")
        fastest = min(r["methods"], key=lambda k: r["methods"][k]["seconds"])
        names = list(r["methods"])
        spread = r["methods"][names[1]]["seconds"] / r["methods"][names[0]]["seconds"]
        print(f"{title}: fastest {fastest}; {names[1]} took {spread:.1f}x the time of {names[0]}")
        unbatched = [op for op, (fwd, rev) in r["ops"].items() if not (fwd and rev)]
        print(f"  ops of the function: {', '.join(r['ops'])}"
              + (f"; given a batch one direction at a time (no batched rule): {', '.join(unbatched)}"
                 if unbatched else "; each takes a whole batch of tangents/seeds in one call"))
    jf, jr = results["wide"]["methods"]["jacfwd"]["J"], results["wide"]["methods"]["jacrev"]["J"]
    print(f"wide: max |jacfwd - jacrev| = {float(np.abs(jf - jr).max()):.1e}")
    jf, jr = results["tall"]["methods"]["jacfwd"]["J"], results["tall"]["methods"]["jacrev"]["J"]
    print(f"tall: max |jacfwd - jacrev| = {float(np.abs(jf - jr).max()):.1e}")
    print(textwrap.fill(
        "why: forward mode gets one Jacobian column (d outputs / d one input direction) per tangent, reverse mode "
        "one row (d one output / d inputs) per seed. A wide function has 1 row and n columns: reverse mode needs "
        "one walk, forward mode n directions. A tall one has m rows and 1 column: forward mode needs one "
        "tangent, reverse mode m seeds. Batching (jacfwd's n tangents, jacrev's m seeds, as a leading axis) "
        "makes it one pass instead of n or m, which saves the Python work of each pass, but the pass still "
        "carries n or m times the numbers: pick the mode whose count is 1.", width=110, subsequent_indent="  "))
    return ok


def plot_modes(results, path):
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.4))
    for ax, key in zip(axes, ("wide", "tall")):
        r = results[key]
        names = list(r["methods"])
        ms = [1e3 * r["methods"][k]["seconds"] for k in names]
        bars = ax.barh(range(len(names)), ms, color=["C2", "C1", "C3"])
        ax.set_yticks(range(len(names)), [f"{k}\n{r['methods'][k]['passes']}" for k in names], fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("time (ms, log scale)")
        ax.set_title(f"{key} function {r['shape']}")
        for b, v in zip(bars, ms):
            ax.text(v, b.get_y() + b.get_height() / 2, f" {v:.2f} ms", va="center", fontsize=8)
        ax.set_xlim(min(ms) / 2, max(ms) * 8)
        ax.grid(alpha=0.3, axis="x")
    fig.suptitle("the same Jacobian three ways: wide -> reverse mode, tall -> forward mode")
    fig.tight_layout()
    _save(plt, fig, path)


# --- 3. Newton's method vs gradient descent ---------------------------------------------

def rosenbrock(p):
    """Rosenbrock's banana valley ``(1 - x)^2 + 100 (y - x^2)^2``, minimum 0 at (1, 1); for Tensors and arrays."""
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def rosenbrock_hessian(p):
    """The Hessian of :func:`rosenbrock`, by hand: ``[[1200 x^2 - 400 y + 2, -400 x], [-400 x, 200]]``."""
    x, y = p
    return np.array([[1200 * x * x - 400 * y + 2, -400 * x], [-400 * x, 200.0]])


def newton(f, x0, gtol=1e-6, max_iter=50):
    """Newton's method: ``x <- x - H(x)^-1 grad f(x)``, with ``func.hessian`` and ``func.grad``.

    Stops when ``|grad f| < gtol``; returns the path (array of points) and whether it converged.
    """
    grad_f, hess_f = func.grad(f), func.hessian(f)
    x = np.asarray(x0, dtype=float)
    path = [x]
    for _ in range(max_iter):
        g = grad_f(x).data
        if np.linalg.norm(g) < gtol:
            return np.array(path), True
        x = x - np.linalg.solve(hess_f(x).data, g)
        path.append(x)
    return np.array(path), bool(np.linalg.norm(grad_f(x).data) < gtol)


def gradient_descent(f, x0, lr, gtol=1e-6, max_iter=10000):
    """Plain gradient descent ``x <- x - lr grad f(x)`` with ``func.grad``; the path and whether it converged."""
    grad_f = func.grad(f)
    x = np.asarray(x0, dtype=float)
    path = [x]
    for _ in range(max_iter):
        g = grad_f(x).data
        if np.linalg.norm(g) < gtol:
            return np.array(path), True
        x = x - lr * g
        path.append(x)
    return np.array(path), bool(np.linalg.norm(grad_f(x).data) < gtol)


#: Rosenbrock's usual start, the step size of gradient descent (stable: below 2 / 1002, the Hessian's largest
#: eigenvalue at the minimum), and the stopping rule |grad f| < GTOL
START, GD_LR, GTOL = (-1.2, 1.0), 1e-3, 1e-4


def run_newton(max_gd_steps, path):
    """Part 3: print and draw; return True if Newton converged and func.hessian matched the hand Hessian."""
    x0 = np.array(START)
    H = func.hessian(rosenbrock)(x0).data
    h_err = float(np.abs(H - rosenbrock_hessian(x0)).max())
    v = np.array([0.3, -0.7])
    _, (hv,) = func.hvp(rosenbrock, (x0,), (v,))
    hv_err = float(np.abs(hv.data - H @ v).max())
    print(f"func.hessian(rosenbrock) at {START}: {H.round(6).tolist()}; max |H - hand Hessian| = {h_err:.1e}")
    print(f"func.hvp(rosenbrock, (x,), (v,)) = H v without forming H: max |hvp - H @ v| = {hv_err:.1e}")
    t0 = time.perf_counter()
    newton_path, newton_ok = newton(rosenbrock, x0, gtol=GTOL)
    t_newton = time.perf_counter() - t0
    t0 = time.perf_counter()
    gd_path, gd_ok = gradient_descent(rosenbrock, x0, GD_LR, gtol=GTOL, max_iter=max_gd_steps)
    t_gd = time.perf_counter() - t0
    for name, p, done, seconds in (("Newton (func.hessian)", newton_path, newton_ok, t_newton),
                                   (f"gradient descent (lr {GD_LR:g})", gd_path, gd_ok, t_gd)):
        steps = len(p) - 1
        where = f"({p[-1][0]:.6f}, {p[-1][1]:.6f}), |x - (1, 1)| = {np.linalg.norm(p[-1] - 1):.1e}"
        state = (f"|grad f| < {GTOL:g} after {steps} iterations" if done
                 else f"NOT converged: |grad f| >= {GTOL:g} after {steps} iterations (the cap)")
        print(f"{name}: {state}, at {where} ({seconds:.2f} s)")
    if newton_ok and gd_ok:
        print(f"Newton needed {len(newton_path) - 1} iterations, gradient descent {len(gd_path) - 1} "
              f"({(len(gd_path) - 1) / (len(newton_path) - 1):.0f}x as many): the Hessian rescales the long flat "
              "valley and the steep walls alike, one step size cannot")
    elif newton_ok:
        print(f"Newton needed {len(newton_path) - 1} iterations; gradient descent had not converged after "
              f"{len(gd_path) - 1} (the valley is 1000x steeper across than along: the step must suit the steep "
              "walls, and then crawls along the floor)")
    plot_newton(newton_path, gd_path, path)
    ok = newton_ok and h_err < 1e-9 and hv_err < 1e-9 and np.linalg.norm(newton_path[-1] - 1) < 1e-4
    if not ok:
        print("FAILED: Newton with func.hessian did not reach (1, 1), or func.hessian/func.hvp disagree "
              "with the hand Hessian")
    return ok


def plot_newton(newton_path, gd_path, path):
    plt = _plt()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw=dict(width_ratios=[1.25, 1]))
    X, Y = np.meshgrid(np.linspace(-2, 2, 400), np.linspace(-3.5, 3.5, 400))
    Z = rosenbrock(np.array([X, Y]))
    cs = ax.contourf(X, Y, np.log10(Z + 1e-3), levels=30, cmap="viridis", alpha=0.85)
    fig.colorbar(cs, ax=ax, label="log10 f(x, y)")
    ax.plot(gd_path[:, 0], gd_path[:, 1], "-", color="#ff8c00", lw=1.6,
            label=f"gradient descent, lr {GD_LR:g}: {len(gd_path) - 1} iterations")
    ax.plot(gd_path[::max(1, len(gd_path) // 40), 0], gd_path[::max(1, len(gd_path) // 40), 1], ".",
            color="#ff8c00", ms=4)
    ax.plot(newton_path[:, 0], newton_path[:, 1], "-o", color="white", mec="k", lw=1.5, ms=6,
            label=f"Newton (func.hessian): {len(newton_path) - 1} iterations")
    for k, (px, py) in enumerate(newton_path[:5]):      # (later ones sit on the minimum)
        if -2 <= px <= 2 and -3.5 <= py <= 3.5:
            ax.annotate(str(k), (px, py), textcoords="offset points", xytext=(7, -3), fontsize=9, fontweight="bold",
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    ax.plot(*START, "s", color="red", ms=8, label=f"start {START}")
    ax.plot(1, 1, "*", color="yellow", mec="k", ms=16, label="minimum (1, 1)")
    ax.set_xlim(-2, 2), ax.set_ylim(-3.5, 3.5)
    ax.set_xlabel("x", labelpad=0), ax.set_ylabel("y")
    ax.set_title("Rosenbrock (1 - x)^2 + 100 (y - x^2)^2", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=2)
    for p, name, style in ((gd_path, "gradient descent", dict(color="#ff8c00")),
                           (newton_path, "Newton", dict(color="k", marker="o"))):
        ax2.loglog(np.arange(1, len(p) + 1), np.linalg.norm(p - 1, axis=1) + 1e-17, label=name, **style)
    ax2.set_xlabel("iteration + 1 (log scale)"), ax2.set_ylabel("|x - (1, 1)|")
    ax2.set_title("distance to the minimum", fontsize=10)
    ax2.grid(alpha=0.3, which="both")
    ax2.legend(fontsize=9)
    fig.tight_layout()
    _save(plt, fig, path)


# --- 4. a forward pass, drawn -------------------------------------------------------------

#: the dotted letters of the tangents: d(node)/dx
_DOT = {"x": "ẋ", "y": "ẏ", "a": "ȧ", "h": "ḣ", "e": "ė", "f": "ḟ"}


def dual_table(x=0.5, y=-1.5, dx=1.0):
    """``f(x, y) = tanh(x y) + exp(x)`` in forward mode with the tangent ``dx`` on x (y has none: a constant here).

    Each node's value and tangent from labgrad (``make_dual``/``unpack_dual`` inside a
    ``dual_level``) and by hand, in plain floats; and the two pictures of the pass
    (:func:`forward_pass_graphs`), drawn while the level is open. ``df/dx`` is also
    computed by reverse mode (``func.grad``) and by hand, to compare with ``f``'s tangent.

    Returns a dict: ``rows`` (name, formula, value, engine tangent, hand tangent, rule),
    ``reverse`` (df/dx by ``func.grad``), ``exact`` (by hand: ``y (1 - tanh(x y)^2) + exp(x)``),
    ``graphs`` (the two ``graphviz`` graphs).

    >>> r = dual_table()
    >>> round(r["rows"][-1][3], 9) == round(r["reverse"], 9) == round(r["exact"], 9)
    True
    """
    x_leaf = Tensor(x, requires_grad=True)        # requires grad, so that the pass is recorded (to be drawn)
    y_leaf = Tensor(y, requires_grad=True)
    seed = Tensor(dx, requires_grad=True)         # ... and so is the tangent computation
    with dual_level() as level:
        xt = make_dual(x_leaf, seed)
        a = xt * y_leaf
        h = a.tanh()
        e = xt.exp()
        f = h + e
        nodes = dict(x=xt, y=y_leaf, a=a, h=h, e=e, f=f)
        tangents = {name: unpack_dual(t).tangent for name, t in nodes.items()}
        graphs = forward_pass_graphs(nodes, tangents, x_leaf, level)
    reverse = float(func.grad(lambda v: tanh(v * y) + exp(v))(x).data)
    # the same pass by hand, one dual number (value, tangent) at a time
    ha, hh, he = x * y, math.tanh(x * y), math.exp(x)
    ta = dx * y                                  # d(x y) = dx y + x dy, and dy = 0
    th = (1 - hh * hh) * ta                      # d tanh(a) = (1 - tanh(a)^2) da
    te = he * dx                                 # d exp(x) = exp(x) dx
    tf = th + te                                 # d(h + e) = dh + de
    rows = [
        ("x", "x", x, dx, f"ẋ = {dx:g} (the seed: the direction of the derivative)"),
        ("y", "y", y, 0.0, "ẏ = 0 (no tangent: y is held fixed)"),
        ("a", "x * y", ha, ta, f"ȧ = ẋ y + x ẏ = {dx:g} * {y:g} + {x:g} * 0"),
        ("h", "tanh(a)", hh, th, f"ḣ = (1 - h^2) ȧ = {1 - hh * hh:.4f} * {ta:.4f}"),
        ("e", "exp(x)", he, te, f"ė = e ẋ = {he:.4f} * {dx:g}"),
        ("f", "h + e", hh + he, tf, f"ḟ = ḣ + ė = {th:.4f} + {te:.4f}"),
    ]
    table = []
    for name, formula, value, hand, rule in rows:
        engine = tangents[name]
        table.append((name, formula, value, 0.0 if engine is None else float(engine.data), hand, rule))
    return dict(rows=table, reverse=reverse, exact=y * (1 - math.tanh(x * y) ** 2) + math.exp(x), graphs=graphs)


def print_dual_table(r):
    """Print the dual numbers (value, tangent) node by node; return True if hand, engine and reverse agree."""
    print("f(x, y) = tanh(x y) + exp(x) at x = 0.5, y = -1.5, forward mode with ẋ = 1, ẏ = 0 "
          "(each node carries a dual number value + tangent ε):")
    print(f"  {'node':<5}{'formula':<10}{'value':>9}{'tangent':>10}{'by hand':>10}   tangent rule")
    ok = True
    for name, formula, value, engine, hand, rule in r["rows"]:
        same = math.isclose(engine, hand, rel_tol=1e-12, abs_tol=1e-12)
        ok &= same
        print(f"  {name:<5}{formula:<10}{value:9.4f}{engine:10.4f}{hand:10.4f}   {rule}"
              + ("" if same else "   <-- DIFFERENT"))
    tangent = r["rows"][-1][3]
    agree = math.isclose(tangent, r["reverse"], rel_tol=1e-12) and math.isclose(tangent, r["exact"], rel_tol=1e-12)
    print(f"df/dx: forward mode (f's tangent) {tangent:.10f}, reverse mode (func.grad) {r['reverse']:.10f}, "
          f"by hand {r['exact']:.10f}")
    print("forward mode: " + ("every tangent agrees with the hand computation, and f's with reverse mode's df/dx"
                              if ok and agree else "DISAGREEMENT (see above)"))
    return ok and agree


def forward_pass_graphs(nodes, tangents, x_leaf, level):
    """Two ``viz.draw`` graphs of a forward-mode pass, drawn while ``level`` is open: the pass with each node's
    value and tangent (``tangents=level``), and the graph of the tangent computation itself."""
    from autograd import viz
    names = dict(nodes, **{"x (leaf)": x_leaf})
    forward = viz.draw(nodes["f"], names=names, tangents=level)
    names.update({_DOT[name]: t for name, t in tangents.items() if t is not None})
    tangent = viz.draw(tangents["f"], names=names, show_grad=False)
    return forward, tangent


# --- the command line -------------------------------------------------------------------------

def _plt():
    import nn.plot
    return nn.plot.pyplot()


def _save(plt, fig, path):
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    common.wrote(path)


def _section(title):
    print(f"\n=== {title} " + "=" * max(0, 72 - len(title)))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m demos.derivatives", description=__doc__.split("\n\n")[0],
        epilog="No training here, so no --epochs/--batch-size/--lr/--data options.")
    parser.add_argument("--out", default="out/derivatives", help="folder for the figures (default out/derivatives)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, PNG graphs only: seconds (the smoke test; the times are not results)")
    parser.add_argument("--size", type=int, default=None,
                        help="n inputs of the wide function and m outputs of the tall one (default 1000; "
                             "200 with --quick)")
    parser.add_argument("--gd-steps", type=int, default=None,
                        help="most gradient-descent iterations on Rosenbrock (default 50000; 2000 with --quick)")
    args = parser.parse_args(argv)
    for option in ("size", "gd_steps"):
        value = getattr(args, option)
        if value is not None and value < 1:
            parser.error(f"--{option.replace('_', '-')} must be a positive integer, got {value}")
    args._prog = parser.prog                 # (named in run_demo's message about a missing package)
    return common.run_demo(args, _run, "matplotlib")


def _run(args, out):
    size = args.size or (200 if args.quick else 1000)
    gd_steps = args.gd_steps or (2000 if args.quick else 50000)
    failed = []

    _section("1. tanh and its first six derivatives, by func.grad applied again and again")
    x = np.linspace(-7, 7, 281 if args.quick else 1401)
    rows = tanh_derivatives(x)
    print_tanh_derivatives(rows, len(x))
    plot_tanh_derivatives(x, rows, out / "tanh_derivatives.png")
    if not all(r["ok"] for r in rows):
        failed.append(f"derivatives of tanh above the tolerance ({DERIVATIVE_TOLERANCE:g} x max(1, |closed form|))")

    _section("2. Forward vs reverse mode: jacfwd and jacrev on a wide and a tall function")
    results = compare_modes(size, size, repeat=3, seed=0)
    if not print_modes(results):
        failed.append("a Jacobian differs from the closed form")
    plot_modes(results, out / "forward_vs_reverse.png")

    _section("3. Newton's method (func.hessian) vs gradient descent on Rosenbrock's valley")
    if not run_newton(gd_steps, out / "newton_vs_gradient_descent.png"):
        failed.append("Newton's method or func.hessian")

    _section("4. A forward pass with its tangents (dual numbers), drawn")
    r = dual_table()
    if not print_dual_table(r):
        failed.append("the forward-mode tangents")
    forward, tangent = r["graphs"]
    formats = ("png",) if args.quick else ("svg", "png")
    common.save_graph(forward, out / "forward_pass", formats)
    common.save_graph(tangent, out / "tangent_graph", formats)
    print("forward_pass: every node with its value (green) and its tangent d node/dx (red), "
          "viz.draw(f, tangents=level) inside the dual_level")
    print("tangent_graph: the ops the jvp rules ran (the seed ẋ requires grad, so they were recorded): "
          "each tangent is made from the tangents before it and the values of the pass")

    _section("Done")
    common.finish(args)
    if failed:
        print("FAILED: " + "; ".join(failed))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
