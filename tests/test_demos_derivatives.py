"""Smoke and check tests of demos.derivatives: the quick run's printed checks and figures, the closed forms of
tanh's derivatives derived again, the pass counts of the transforms, and a wrong closed form being caught."""
import re
import shutil

import numpy as np
import pytest
from demo_helpers import number

from autograd import func

pytest.importorskip("matplotlib")
HAVE_DOT = shutil.which("dot") is not None
FIGURES = ("tanh_derivatives.png", "forward_vs_reverse.png", "newton_vs_gradient_descent.png")
GRAPHS = ("forward_pass", "tangent_graph")


def _png(path, min_size=(300, 150)):
    """``path`` is a non-empty PNG of at least ``min_size`` pixels."""
    from PIL import Image
    assert path.is_file() and path.stat().st_size > 0, path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] >= min_size[0] and image.size[1] >= min_size[1], image.size


def test_quick_run_prints_its_checks_and_writes_its_figures(tmp_path, capsys):
    from demos import derivatives
    code = derivatives.main(["--quick", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "all checks passed" in out and "FAILED" not in out and "WRONG" not in out and "DIFFERENT" not in out
    # 1. six orders, each within the tolerance of its closed form (printed as a polynomial in t)
    for k in range(1, 7):
        assert number(rf"d\^{k} tanh/dx\^{k}: max \|autograd - closed form\| = ([\d.e+-]+)", out) < 1e-10
    assert "-272t + 1232t^3 - 1680t^5 + 720t^7" in out
    ops = [int(n) for n in re.findall(r"^  \d\s+\S.*?\s(\d+)\s+[\d.]+ ms$", out, flags=re.M)]
    assert len(ops) == 7 and ops == sorted(ops) and ops[0] == 1    # each grad differentiates a larger graph
    # 2. the passes each transform took, counted at the input (quick: n = m = 200)
    for method, passes in [("jacrev", "1 forward pass, 1 backward walk carrying 1 seed"),
                           ("jacfwd", "1 forward pass carrying 200 tangents at once"),
                           ("jvp, one direction at a time", "200 forward passes each carrying 1 tangent"),
                           ("jacfwd", "1 forward pass carrying 1 tangent"),
                           ("jacrev", "1 forward pass, 1 backward walk carrying 200 seeds at once"),
                           ("vjp, one row at a time", "1 forward pass, 200 backward walks each carrying 1 seed")]:
        assert number(rf"(?m)^  {re.escape(method)}\s+{re.escape(passes)}\s+[\d.]+ ms\s+max \|J - closed form\| "
                      r"([\d.e+-]+)$", out) < 1e-12, (method, passes)
    for shape in ("wide", "tall"):
        assert number(rf"{shape}: max \|jacfwd - jacrev\| = ([\d.e+-]+)", out) < 1e-12
    # 3. Newton with func.hessian: a handful of iterations; the hand Hessian and hvp agree
    assert number(r"max \|H - hand Hessian\| = ([\d.e+-]+)", out) < 1e-9
    assert number(r"max \|hvp - H @ v\| = ([\d.e+-]+)", out) < 1e-9
    newton = number(r"Newton \(func\.hessian\): \|grad f\| < 0\.0001 after (\d+) iterations", out)
    assert 3 <= newton <= 10
    assert "gradient descent (lr 0.001): NOT converged: |grad f| >= 0.0001 after 2000 iterations (the cap)" in out
    # 4. the dual numbers, node by node: value, tangent, hand tangent
    rows = re.findall(r"^  ([xyaehf])\s+\S+(?: \* \S+| \+ \S+)?\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s", out, re.M)
    assert [r[0] for r in rows] == ["x", "y", "a", "h", "e", "f"]
    assert all(r[2] == r[3] for r in rows)
    assert rows[-1][2] == "0.7538"                                # df/dx = y (1 - tanh(xy)^2) + exp(x)
    assert "forward mode (f's tangent) 0.7538425583, reverse mode (func.grad) 0.7538425583" in out
    for name in FIGURES:
        _png(tmp_path / name)
    for stem in GRAPHS:
        if HAVE_DOT:
            _png(tmp_path / f"{stem}.png", min_size=(200, 80))
        else:
            assert (tmp_path / f"{stem}.dot").stat().st_size > 0
        assert f"wrote {tmp_path / stem}" in out


@pytest.mark.parametrize("k", range(1, 7))
def test_closed_forms_follow_from_tanh_prime(k):
    """P_0 = t, P_{k+1}(t) = P_k'(t) (1 - t^2) (the chain rule with tanh' = 1 - tanh^2): derived again here."""
    from numpy.polynomial import polynomial as P
    from demos.derivatives import TANH_DERIVATIVES
    p = np.array([0.0, 1.0])
    for _ in range(k):
        p = P.polymul(P.polyder(p), [1.0, 0.0, -1.0])
    np.testing.assert_array_equal(P.polytrim(p), np.array(TANH_DERIVATIVES[k], dtype=float))


def test_a_wrong_closed_form_makes_the_demo_fail(tmp_path, capsys, monkeypatch):
    from demos import derivatives
    wrong = dict(derivatives.TANH_DERIVATIVES)
    wrong[4] = (0, 16, 0, -40, 0, 25)                             # one coefficient off: 24 -> 25
    monkeypatch.setattr(derivatives, "TANH_DERIVATIVES", wrong)
    assert derivatives.main(["--quick", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    error = number(r"d\^4 tanh/dx\^4: max \|autograd - closed form\| = ([\d.e+-]+)   <-- ABOVE THE TOLERANCE", out)
    assert error > 0.01
    assert "FAILED: derivatives of tanh above the tolerance" in out and "all checks passed" not in out


@pytest.mark.parametrize("transform, expected", [
    (lambda f, x: func.jacfwd(f)(x), [("forward", ()), ("jvp", (4,))]),           # 4 tangents, one pass
    (lambda f, x: func.jacrev(f)(x), [("forward", ()), ("backward", (4,))]),       # 4 seeds, one walk
    (lambda f, x: func.jvp(f, (x,), (np.ones(4),)), [("forward", ()), ("jvp", ())]),
    (lambda f, x: func.vjp(f, x)[1](np.ones(4)), [("forward", ()), ("backward", ())]),
    (lambda f, x: [func.vjp(f, x)[1](np.ones(4)) for _ in range(2)], [("forward", ()), ("backward", ())] * 2),
])
def test_the_probe_logs_what_each_transform_asks_for(transform, expected):
    from demos.derivatives import Probe
    log = []
    transform(lambda x: Probe.apply(x, log=log).tanh(), np.linspace(-1, 1, 4))
    assert log == expected


def test_the_forward_pass_graphs_show_values_and_tangents():
    from demos.derivatives import dual_table
    r = dual_table()
    forward, tangent = r["graphs"]
    assert "tangent" in forward.source and ">0.7538<" in forward.source and ">1.014<" in forward.source
    assert ">ḟ<" in tangent.source and ">ẋ<" in tangent.source and ">ȧ<" in tangent.source


def test_missing_matplotlib_is_named_before_anything_runs(tmp_path, capsys, monkeypatch):
    import sys

    from demos import derivatives
    monkeypatch.setitem(sys.modules, "matplotlib", None)            # `import matplotlib` now fails
    assert derivatives.main(["--quick", "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert "python -m demos.derivatives needs matplotlib" in captured.err and "Traceback" not in captured.err
    assert captured.out == "" and not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv", [["--size", "0"], ["--gd-steps", "-3"]])
def test_bad_sizes_are_refused(argv, capsys):
    from demos import derivatives
    with pytest.raises(SystemExit) as exit_info:
        derivatives.main(argv)
    assert exit_info.value.code == 2
    assert "must be a positive integer" in capsys.readouterr().err


def test_docstring_examples():
    """The demo's doctests (pytest collects those of autograd/ and nn/ only)."""
    import doctest

    from demos import derivatives
    result = doctest.testmod(derivatives, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 8
