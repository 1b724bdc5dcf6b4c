"""PyTorch's options of the classification losses (issue 20): cross_entropy / nll_loss with a class ``weight``,
``ignore_index``, ``label_smoothing`` and (N, C, d1, ...) inputs; binary_cross_entropy_with_logits with
``pos_weight`` and ``weight``; the modules' keyword arguments.

Values and gradients equal PyTorch's over the combinations of the options (float64 and float32);
gradients to second order and forward mode agree with finite differences and reverse mode; the mean
over no counted target is nan (as PyTorch); bad arguments raise errors that name the loss and the shapes.
"""
import itertools
import warnings

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, func, grad, gradcheck
from autograd.forward_ad import dual_level, make_dual, unpack_dual
from autograd.ops.losses import SoftmaxCrossEntropy

DTYPES = [np.float64, np.float32]
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}
C = 4
RNG = np.random.default_rng(2020)
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
SHAPES = {"(N, C)": (5, C), "(N, C, d1)": (3, C, 2), "(N, C, d1, d2)": (2, C, 3, 2)}


pytestmark = pytest.mark.usefixtures("one_torch_thread")   # (the fixture: conftest.py)


def _labels(shape, ignore):
    """Labels for scores of ``shape``; ``ignore`` None, "-100" (some labels -100) or "class 1" (ignore_index=1)."""
    target_shape = shape[:1] + shape[2:]
    labels = np.random.default_rng(sum(shape)).integers(0, C, target_shape)
    labels.flat[0] = 1                                 # (a class 1 to ignore, and one that counts)
    labels.flat[-1] = 3
    if ignore == "-100":
        labels.flat[1::3] = -100
        return labels, {"ignore_index": -100}
    return labels, ({"ignore_index": 1} if ignore == "class 1" else {})


def _compare(ours, theirs, x, target, kwargs, torch_kwargs, dtype, target_is_input=False):
    """Values and the gradient of <u, loss> w.r.t. the input (and a float target) equal PyTorch's."""
    torch = pytest.importorskip("torch")
    xm, xt = Tensor(x.astype(dtype), requires_grad=True), torch.tensor(x.astype(dtype), requires_grad=True)
    if target_is_input:
        tm, tt = Tensor(target.astype(dtype), requires_grad=True), torch.tensor(target.astype(dtype), requires_grad=True)
    else:
        tm, tt = target, torch.tensor(target)
    a = ours(xm, tm, **kwargs)
    b = theirs(xt, tt, **{k: torch.tensor(np.asarray(v, dtype)) if isinstance(v, np.ndarray) else v
                         for k, v in torch_kwargs.items()})
    assert a.shape == tuple(b.shape) and a.dtype == dtype
    np.testing.assert_allclose(a.data, b.detach().numpy(), **TOL[dtype])
    u = np.random.default_rng(7).standard_normal(a.shape).astype(dtype)
    gs = grad((a * u).sum(), [xm, tm] if target_is_input else [xm])
    gs_t = torch.autograd.grad((b * torch.tensor(u)).sum(), [xt, tt] if target_is_input else [xt])
    for g, g_t in zip(gs, gs_t):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, g_t.numpy(), **TOL[dtype])


# --- cross_entropy and nll_loss with class labels, over every combination -------------------------

COMBINATIONS = list(itertools.product(SHAPES, [False, True], [None, "-100", "class 1"], [0.0, 0.2],
                                      ["mean", "sum", "none"]))


@pytest.mark.parametrize("scores, warned", [
    ([[300.0, 1.0], [2.0, 3.0]], ["overflow encountered in dot"]),       # (the maxima's squares pass float16's max)
    ([[np.inf, 1.0], [2.0, 3.0]], []),                                   # (an infinite max: shifted, no warning)
    ([[3.0, 1.0], [2.0, 3.0]], []),
])
def test_cross_entropy_warns_once_where_the_row_maxima_overflow_when_squared(scores, warned):
    """The maxima are tested once: a safe shift where one is infinite or their squares overflow, and one warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.cross_entropy(Tensor(np.array(scores, np.float16)), np.array([0, 1]))
    assert [str(w.message) for w in caught] == warned


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("shape, weighted, ignore, smoothing, reduction", COMBINATIONS,
                         ids=["-".join(map(str, c)) for c in COMBINATIONS])
def test_cross_entropy_with_labels_matches_torch(shape, weighted, ignore, smoothing, reduction, dtype):
    torch = pytest.importorskip("torch")
    shape = SHAPES[shape]
    x = RNG.standard_normal(shape) * 2
    labels, kwargs = _labels(shape, ignore)
    kwargs = dict(kwargs, reduction=reduction, label_smoothing=smoothing, **({"weight": WEIGHT} if weighted else {}))
    _compare(F.cross_entropy, torch.nn.functional.cross_entropy, x, labels, kwargs, kwargs, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("shape, weighted, ignore, reduction",
                         [(s, w, i, r) for s, w, i, _, r in COMBINATIONS if _ == 0.0])
def test_nll_loss_matches_torch(shape, weighted, ignore, reduction, dtype):
    torch = pytest.importorskip("torch")
    shape = SHAPES[shape]
    log_p = RNG.standard_normal(shape)
    labels, kwargs = _labels(shape, ignore)
    kwargs = dict(kwargs, reduction=reduction, **({"weight": WEIGHT} if weighted else {}))
    _compare(F.nll_loss, torch.nn.functional.nll_loss, log_p, labels, kwargs, kwargs, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("shape, weighted, smoothing, reduction",
                         list(itertools.product(["(N, C)", "(N, C, d1)"], [False, True], [0.0, 0.3],
                                                ["mean", "sum", "none"])))
def test_cross_entropy_with_probabilities_matches_torch(shape, weighted, smoothing, reduction, dtype):
    """Probability targets take weight and label_smoothing too (their gradient as well: they are an input)."""
    torch = pytest.importorskip("torch")
    shape = SHAPES[shape]
    x = RNG.standard_normal(shape)
    p = RNG.uniform(0.1, 1.0, shape)
    p /= p.sum(axis=1, keepdims=True)
    kwargs = dict(reduction=reduction, label_smoothing=smoothing, **({"weight": WEIGHT} if weighted else {}))
    _compare(F.cross_entropy, torch.nn.functional.cross_entropy, x, p, kwargs, kwargs, dtype, target_is_input=True)


# --- binary cross-entropy with logits ----------------------------------------------------------------

BCE = list(itertools.product([None, "per class", "scalar"], [None, "per class", "per element"],
                             ["mean", "sum", "none"]))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("pos_weight, weight, reduction", BCE, ids=["-".join(map(str, c)) for c in BCE])
def test_bce_with_logits_pos_weight_and_weight_match_torch(pos_weight, weight, reduction, dtype):
    torch = pytest.importorskip("torch")
    z = np.concatenate([RNG.standard_normal((5, 3)) * 3, [[30.0, -30.0, 0.0]]])     # (saturated ones too)
    y = np.concatenate([RNG.uniform(0, 1, (5, 3)), [[1.0, 1.0, 0.0]]])
    options = {"per class": np.array([3.0, 0.5, 1.5]), "scalar": np.array(2.0),
               "per element": RNG.uniform(0.2, 2.0, (6, 3))}
    kwargs = {"reduction": reduction}
    if pos_weight:
        kwargs["pos_weight"] = options[pos_weight]
    if weight:
        kwargs["weight"] = options[weight]
    _compare(F.binary_cross_entropy_with_logits, torch.nn.functional.binary_cross_entropy_with_logits, z, y,
             kwargs, kwargs, dtype, target_is_input=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_bce_with_logits_pos_weight_is_finite_and_exact_at_huge_logits(dtype):
    z = Tensor(np.array([1e4, -1e4, 1e4, -1e4], dtype), requires_grad=True)
    y = np.array([1.0, 1.0, 0.0, 0.0], dtype)
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="none", pos_weight=np.array(3.0, dtype))
    np.testing.assert_array_equal(loss.data, [0.0, 3e4, 1e4, 0.0])    # pos_weight * softplus(-z) for y = 1
    loss.sum().backward()
    np.testing.assert_array_equal(z.grad, [0.0, -3.0, 1.0, 0.0])     # (1 - y) sigmoid(z) - pos_weight y sigmoid(-z)
    assert z.grad.dtype == dtype


# --- gradients: second order, forward mode -------------------------------------------------------------

OPTION_CALLS = {
    "cross_entropy weight ignore smoothing (N, C, d1)": lambda t: F.cross_entropy(
        t, np.array([[1, -100], [3, 0], [2, 2]]), weight=WEIGHT, label_smoothing=0.25),
    "cross_entropy ignore_index=1 sum": lambda t: F.cross_entropy(
        t[:, :, 0], np.array([1, 0, 3]), ignore_index=1, reduction="sum"),
    "cross_entropy weight none": lambda t: F.cross_entropy(t[:, :, 1], np.array([0, 3, 2]), weight=WEIGHT,
                                                           reduction="none"),
    "nll_loss weight ignore (N, C, d1)": lambda t: F.nll_loss(t, np.array([[1, -100], [3, 0], [2, 2]]),
                                                              weight=WEIGHT),
    "bce_with_logits pos_weight weight": lambda t: F.binary_cross_entropy_with_logits(
        t, np.full(t.shape, 0.25), pos_weight=np.array([1.0, 2.0]), weight=np.array([0.5, 3.0])),
}


@pytest.mark.parametrize("name", list(OPTION_CALLS))
def test_option_paths_pass_gradcheck_to_second_order(name):
    f = OPTION_CALLS[name]
    x = Tensor(np.random.default_rng(5).standard_normal((3, C, 2)), requires_grad=True)
    assert gradcheck(f, x)
    u = np.random.default_rng(6).standard_normal(f(x).shape)
    assert gradcheck(lambda t: grad(f(t), t, grad_outputs=u, create_graph=True)[0], x)


@pytest.mark.parametrize("name", list(OPTION_CALLS))
def test_option_paths_forward_mode_equals_reverse_mode(name):
    f = OPTION_CALLS[name]
    x = np.random.default_rng(8).standard_normal((3, C, 2))
    np.testing.assert_allclose(func.jacfwd(f)(x).data, func.jacrev(f)(x).data, rtol=1e-10, atol=1e-12)


def test_options_stay_one_fused_node_and_are_shown():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    plain = F.cross_entropy(x, np.array([0, 2]))
    weighted = F.cross_entropy(x, np.array([0, -100]), weight=np.ones(3), label_smoothing=0.1)
    for loss in (plain, weighted):
        assert isinstance(loss.op, SoftmaxCrossEntropy) and loss.op.parents == (x,)
    assert plain.op.describe() == "reduction='mean'"
    assert weighted.op.describe() == "reduction='mean' weight ignore_index label_smoothing=0.1"


def test_second_order_keeps_its_own_copy_of_the_options():
    x = Tensor(np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]]), requires_grad=True)
    labels, weight = np.array([0, 2]), np.array([1.0, 2.0, 3.0])
    loss = F.cross_entropy(x, labels, weight=weight, label_smoothing=0.2)
    expected = grad(F.cross_entropy(x, labels.copy(), weight=weight.copy(), label_smoothing=0.2), x)[0]
    labels[:], weight[:] = 1, 9.0                   # changed by the caller after the forward
    (g,) = grad(loss, x, create_graph=True)
    np.testing.assert_allclose(g.data, expected, rtol=1e-12)


# --- PyTorch's edge cases ----------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_every_target_ignored_gives_nan_for_the_mean_zero_for_the_sum_and_a_zero_gradient(loss, reduction, recwarn):
    fn = getattr(F, loss)
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    labels = np.array([-100, -100])
    value = fn(x, labels, reduction=reduction)
    assert np.isnan(value.item()) if reduction == "mean" else value.item() == 0.0     # (0 / 0, as PyTorch)
    value.backward()
    np.testing.assert_array_equal(x.grad, 0.0)       # (PyTorch's too: a batch that counts for nothing moves nothing)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


EMPTY_BATCH = [("labels", "mean", np.nan), ("labels", "sum", 0.0), ("labels", "none", np.zeros(0)),
               ("probabilities", "sum", 0.0), ("probabilities", "none", np.zeros(0))]


@pytest.mark.parametrize("target, reduction, expected", EMPTY_BATCH, ids=[f"{t}-{r}" for t, r, _ in EMPTY_BATCH])
@pytest.mark.parametrize("classes", [0, 3])
def test_an_empty_batch_with_label_smoothing_is_an_empty_loss_even_with_no_classes(classes, target, reduction,
                                                                                    expected):
    """A batch of no samples (of no classes too: eps / C is not taken) gives the empty batch's loss, its gradient
    an empty array. (The mean over probability targets is ``mean``'s, which refuses an empty array.)"""
    x = Tensor(np.zeros((0, classes)), requires_grad=True)
    targets = np.zeros(0, np.int64) if target == "labels" else np.zeros((0, classes))
    value = F.cross_entropy(x, targets, label_smoothing=0.1, reduction=reduction)
    np.testing.assert_array_equal(value.data, expected)
    value.sum().backward()
    assert x.grad.shape == (0, classes)


EMPTY_LOG_PROBABILITIES = [({}, "mean", np.nan), ({}, "sum", 0.0), ({}, "none", np.zeros(0)),
                           ({"weight": np.ones(3)}, "mean", np.nan), ({"ignore_index": None}, "mean", np.nan)]


@pytest.mark.parametrize("options, reduction, expected", EMPTY_LOG_PROBABILITIES,
                         ids=[f"{r} {o}" for o, r, _ in EMPTY_LOG_PROBABILITIES])
def test_nll_loss_of_an_empty_batch_is_the_empty_loss_as_cross_entropy_s(options, reduction, expected):
    """No samples: the mean is 0 / 0, nan, as PyTorch's (it was refused, by ``mean``), without a warning; the
    gradient an empty array."""
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = F.nll_loss(x, np.zeros(0, np.int64), reduction=reduction, **options)
        value.sum().backward()
        same = F.cross_entropy(x, np.zeros(0, np.int64), reduction, **options)      # (it warned 0 / 0 before)
    np.testing.assert_array_equal(value.data, expected)
    np.testing.assert_array_equal(value.data, same.data)
    assert x.grad.shape == (0, 3)


with np.errstate(divide="ignore"):              # (3, 4), labels off the diagonal: a misplaced axis fails
    LOG_PROBABILITIES_WITH_ZEROS = np.log(np.array([[0.25, 0.5, 0.25, 0.0], [0.1, 0.2, 0.3, 0.4],
                                                    [0.0, 0.25, 0.25, 0.5]]))
LABELS_ONE_IGNORED = np.array([1, -100, 3])
UNREAD_NON_FINITE = np.array([[np.nan, 1.0, np.inf, -np.inf], [np.nan, np.inf, 1.0, 2.0], [-np.inf, np.nan, 2.0, 3.0]])
READ_TANGENT = {"mean": -2.0, "sum": -4.0, "none": np.array([-1.0, 0.0, -3.0])}      # -(1 + 3), over 2 counted


@pytest.mark.parametrize("reduction", list(READ_TANGENT))
def test_nll_loss_in_forward_mode_and_under_create_graph_reads_only_the_labels_places(reduction):
    """inf and nan where the loss reads nothing (off the labels, an ignored sample: a log of a softmax that
    underflowed) give no nan (inf * 0) in forward mode or under ``create_graph``, as in the plain backward and in
    PyTorch."""
    with dual_level():
        out = F.nll_loss(make_dual(LOG_PROBABILITIES_WITH_ZEROS, UNREAD_NON_FINITE), LABELS_ONE_IGNORED, reduction)
        np.testing.assert_array_equal(unpack_dual(out).tangent.data, READ_TANGENT[reduction])
    x = Tensor(LOG_PROBABILITIES_WITH_ZEROS, requires_grad=True)
    upstream = np.array([1.0, np.inf, 2.0]) if reduction == "none" else np.array(np.inf)    # (inf at the ignored)
    gradients = [grad(F.nll_loss(x, LABELS_ONE_IGNORED, reduction), x, grad_outputs=Tensor(upstream),
                      create_graph=create_graph)[0].data for create_graph in (False, True)]
    assert not np.isnan(gradients[0]).any()
    np.testing.assert_array_equal(gradients[1], gradients[0])


FLOAT16_MEANS = {                  # samples, the last one's label, options: log-probabilities of -1.875 at the labels
    "small class weights": (100, -100, {"weight": np.array([1e-5, 1.0])}),     # (N / total weight overflowed: inf)
    "a batch past float16's largest number": (70_000, 0, {}),
    "a batch past float16's largest number, one sample ignored": (70_000, -100, {}),
    "a batch past float16's largest number, weighted": (70_000, 0, {"weight": np.array([0.5, 2.0])}),
}


@pytest.mark.parametrize("case", list(FLOAT16_MEANS))
def test_nll_loss_s_float16_mean_and_its_tangent_stay_in_range(case):
    """The mean is the losses' sum (in float32) over the total weight (in float64), its gradient scaled by a Python
    number, and forward mode's tangent the mean of the samples' changes: no float16 overflow on the way (PyTorch's
    loss: 1.875)."""
    n, last_label, options = FLOAT16_MEANS[case]
    labels = np.zeros(n, np.int64)
    labels[-1] = last_label
    log_p = Tensor(np.full((n, 2), -1.875, np.float16), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.nll_loss(log_p, labels, **options)
        loss.backward()
        with dual_level():
            out = F.nll_loss(make_dual(log_p.data, np.ones_like(log_p.data)), labels, **options)
            tangent = unpack_dual(out).tangent
    assert loss.item() == pytest.approx(1.875, rel=1e-3)
    weight = options.get("weight", np.ones(2))
    expected = -weight[0] / weight[labels[labels >= 0]].sum()          # d mean / d log_p[0, 0], label 0
    assert log_p.grad.dtype == np.float16 and log_p.grad[0, 0] == pytest.approx(expected, rel=1e-2)
    # (a weight of 1e-5 is below float16's normal numbers: its samples' changes keep 2 to 3 digits)
    assert tangent.dtype == np.float16 and tangent.item() == pytest.approx(-1.0, rel=5e-3)


FLOAT16_CROSS_ENTROPY = {           # options and the last sample's label: scores of 0 over 10 classes, log 10 each
    "plain": ({}, 0),
    "one sample ignored": ({}, -100),
    "weighted": ({"weight": np.full(10, 2.0)}, 0),
    "label smoothing": ({"label_smoothing": 0.1}, 0),
}


@pytest.mark.parametrize("case", list(FLOAT16_CROSS_ENTROPY))
def test_cross_entropy_s_float16_mean_over_a_batch_past_float16_s_largest_number_stays_in_range(case):
    """The losses (and weights) of 70,000 samples add up in float32, as numpy's mean does: in float16 their sum
    overflowed and the mean was nan (PyTorch: 2.303); the value and the gradient stay float16."""
    options, last_label = FLOAT16_CROSS_ENTROPY[case]
    labels = np.zeros(70_000, np.int64)
    labels[-1] = last_label
    x = Tensor(np.zeros((70_000, 10), np.float16), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, labels, **options)
        loss.backward()
    assert loss.dtype == x.grad.dtype == np.float16 and np.isfinite(x.grad).all()
    assert loss.item() == pytest.approx(np.log(10), rel=1e-3)


NOTHING_COUNTED = {                  # log-probabilities and labels whose mean is 0 / 0
    "every sample ignored": (np.zeros((2, 3)), np.array([-100, -100]), {}),
    "every target weight 0": (np.zeros((2, 3)), np.array([0, 1]), {"weight": np.array([0.0, 0.0, 1.0])}),
    "an empty batch": (np.zeros((0, 3)), np.zeros(0, np.int64), {}),
}


@pytest.mark.parametrize("case", list(NOTHING_COUNTED))
def test_a_mean_of_nothing_has_a_nan_tangent_as_cross_entropy_s_and_pytorch_s(case):
    x, labels, options = NOTHING_COUNTED[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for loss in (F.nll_loss, F.cross_entropy):
            with dual_level():
                out = unpack_dual(loss(make_dual(x, np.ones_like(x)), labels, **options))
            assert np.isnan(out.primal.item()) and np.isnan(out.tangent.item()), loss.__name__


def test_nll_loss_of_a_big_float16_batch_is_averaged_without_overflow():
    """The mean of 32,768 positions adds up in float32, as numpy's mean of float16 does (their sum, about 75,000
    in float16, would overflow its largest number, 65,504)."""
    rng = np.random.default_rng(4)
    log_p = np.log(rng.dirichlet(np.ones(10), (2, 128, 128))).transpose(0, 3, 1, 2)      # (N, C, d1, d2)
    labels = rng.integers(0, 10, (2, 128, 128))
    expected = F.nll_loss(log_p, labels).item()
    for options in ({}, {"weight": np.linspace(0.5, 2.0, 10)}):
        got = F.nll_loss(log_p.astype(np.float16), labels, **options).item()
        want = F.nll_loss(log_p, labels, **options).item() if options else expected
        assert np.isfinite(got) and got == pytest.approx(want, rel=2e-3)


def test_ignored_samples_count_for_nothing():
    x = np.random.default_rng(9).standard_normal((4, 3))
    labels = np.array([2, -100, 0, -100])
    kept = F.cross_entropy(x[[0, 2]], labels[[0, 2]], label_smoothing=0.1, weight=np.array([1.0, 2.0, 3.0]))
    assert F.cross_entropy(x, labels, label_smoothing=0.1, weight=np.array([1.0, 2.0, 3.0])).item() == \
        pytest.approx(kept.item(), rel=1e-12)
    xt = Tensor(x, requires_grad=True)
    F.cross_entropy(xt, labels, reduction="sum").backward()
    np.testing.assert_array_equal(xt.grad[[1, 3]], 0.0)


def test_weighted_mean_divides_by_the_weights_of_the_targets():
    x = np.zeros((3, 2))                             # every sample's loss is log 2
    loss = F.cross_entropy(x, np.array([0, 1, 1]), weight=np.array([1.0, 3.0]))
    assert loss.item() == pytest.approx(np.log(2) * (1 + 3 + 3) / (1 + 3 + 3), rel=1e-12)
    assert F.nll_loss(-np.ones((3, 2)), np.array([0, 1, 1]), weight=np.array([1.0, 3.0])).item() == 1.0


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_options_are_finite_at_huge_logits(dtype):
    x = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype), requires_grad=True)
    loss = F.cross_entropy(x, np.array([0, 1]), weight=np.array([1.0, 2.0, 0.5]), label_smoothing=0.1)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad).all() and x.grad.dtype == dtype
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x.data, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor([0, 1]), weight=torch.tensor([1.0, 2.0, 0.5], dtype=xt.dtype),
                                           label_smoothing=0.1)
    lt.backward()
    np.testing.assert_allclose(loss.item(), lt.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-7)


# --- modules ------------------------------------------------------------------------------------------

MODULES = [
    ("CrossEntropyLoss", dict(weight=WEIGHT, ignore_index=2, label_smoothing=0.1), "labels"),
    ("CrossEntropyLoss", dict(reduction="sum", label_smoothing=0.05), "labels"),
    ("CrossEntropyLoss", dict(weight=WEIGHT, reduction="none"), "probabilities"),
    ("NLLLoss", dict(weight=WEIGHT, ignore_index=0), "labels"),
    ("NLLLoss", dict(reduction="none", ignore_index=-100), "labels"),
    ("BCEWithLogitsLoss", dict(pos_weight=np.array([1.0, 2.0, 0.5, 4.0]), weight=WEIGHT), "binary"),
]


@pytest.mark.parametrize("name, kwargs, target", MODULES, ids=[f"{n} {sorted(k)}" for n, k, _ in MODULES])
def test_loss_modules_take_pytorchs_keyword_arguments(name, kwargs, target):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(11).standard_normal((6, C))
    y = {"labels": np.array([0, 1, 2, 3, 2, kwargs.get("ignore_index", 1)]),       # (one label ignored)
         "probabilities": np.full((6, C), 1 / C), "binary": np.random.default_rng(12).uniform(0, 1, (6, C))}[target]
    ours = getattr(nn, name)(**kwargs)
    theirs = getattr(torch.nn, name)(**{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                        for k, v in kwargs.items()})
    np.testing.assert_allclose(ours(x, y).data, theirs(torch.tensor(x), torch.tensor(y)).numpy(), rtol=1e-10)
    if "weight" in kwargs:
        assert np.array_equal(ours.state_dict()["weight"], kwargs["weight"])      # a buffer, as PyTorch's


def test_loss_module_reprs_show_their_options():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss(reduction='mean')"
    assert repr(nn.CrossEntropyLoss(weight=WEIGHT, ignore_index=0, label_smoothing=0.1)) == \
        "CrossEntropyLoss(reduction='mean', weight=..., ignore_index=0, label_smoothing=0.1)"
    assert repr(nn.NLLLoss(reduction="sum", ignore_index=3)) == "NLLLoss(reduction='sum', ignore_index=3)"
    assert repr(nn.BCEWithLogitsLoss(pos_weight=np.ones(3))) == "BCEWithLogitsLoss(reduction='mean', pos_weight=...)"


@pytest.mark.parametrize("size_average, reduce, expected", [
    (None, False, "none"), (False, None, "sum"), (True, True, "mean"), (False, True, "sum"), (True, False, "none"),
])
def test_deprecated_size_average_and_reduce_map_as_in_pytorch(size_average, reduce, expected):
    torch = pytest.importorskip("torch")
    with pytest.warns(DeprecationWarning, match="CrossEntropyLoss: size_average and reduce are deprecated"):
        ours = nn.CrossEntropyLoss(size_average=size_average, reduce=reduce)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.CrossEntropyLoss(size_average=size_average, reduce=reduce)
    assert ours.reduction == theirs.reduction == expected


# --- bad input ----------------------------------------------------------------------------------------

Z = np.zeros((2, 3))
LABELS = np.array([0, 2])

BAD = [
    (lambda: F.cross_entropy(Z, LABELS, weight=np.ones(4)), ValueError,
     r"cross_entropy: weight must have shape \(3,\), one per class of the input of shape \(2, 3\), got \(4,\)"),
    (lambda: F.nll_loss(Z, LABELS, weight=Tensor(np.ones(3), requires_grad=True)), TypeError,
     r"nll_loss: weight requires grad, but it is a constant of the loss"),
    (lambda: F.cross_entropy(Z, LABELS, weight=np.array(["a", "b", "c"])), TypeError,
     r"cross_entropy: weight must be numbers, got dtype <U1"),
    (lambda: F.cross_entropy(Z, np.array([0, 5])), ValueError,
     r"cross_entropy: labels must be in \[0, 3\) for input of shape \(2, 3\), got values from 0 to 5, such as 5, "
     r"which is not ignore_index=-100"),
    (lambda: F.nll_loss(Z, np.array([-1, 0]), ignore_index=-100), ValueError,
     r"nll_loss: labels must be in \[0, 3\).*such as -1, which is not ignore_index=-100"),
    (lambda: F.cross_entropy(np.zeros((2, 0)), np.array([0, 0]), ignore_index=0), ValueError,
     r"cross_entropy: input of shape \(2, 0\) has no classes for its 2 labels; scores need at least one class"),
    (lambda: F.nll_loss(np.zeros((2, 0, 3)), np.full((2, 3), -100)), ValueError,
     r"nll_loss: input of shape \(2, 0, 3\) has no classes for its 6 labels"),
    (lambda: F.cross_entropy(Z, LABELS, ignore_index=1.5), TypeError,
     r"cross_entropy: ignore_index must be an int, got 1.5 \(float\)"),
    (lambda: F.cross_entropy(Z, LABELS, label_smoothing=1.5), ValueError,
     r"cross_entropy: label_smoothing must be .*1.*got 1.5"),
    (lambda: F.cross_entropy(Z, np.full((2, 3), 1 / 3), ignore_index=0), ValueError,
     r"cross_entropy: ignore_index=0 applies to class labels, not to probability targets"),
    (lambda: F.cross_entropy(np.zeros((2, 3, 4)), np.zeros((2, 3), int)), ValueError,
     r"cross_entropy: input of shape \(2, 3, 4\) needs labels of shape \(2, 4\), got \(2, 3\)"),
    (lambda: F.nll_loss(np.zeros(3), np.array([0])), ValueError,
     r"nll_loss: input must have shape \(N, C\) \(N samples, C classes\) or \(N, C, d1, ...\), got \(3,\)"),
    (lambda: F.cross_entropy(np.zeros((2, 3, 4)), np.zeros((2, 3))), ValueError,
     r"cross_entropy: target must be integer labels of shape \(2, 4\) or probabilities of shape \(2, 3, 4\)"),
    (lambda: F.binary_cross_entropy_with_logits(Z, Z, pos_weight=np.ones(4)), ValueError,
     r"binary_cross_entropy_with_logits: pos_weight of shape \(4,\) does not broadcast to the input's shape "
     r"\(2, 3\)"),
    (lambda: F.binary_cross_entropy_with_logits(Z, Z, weight=np.ones((3, 3))), ValueError,
     r"binary_cross_entropy_with_logits: weight of shape \(3, 3\) does not broadcast"),
    (lambda: F.binary_cross_entropy_with_logits(Z, Z, pos_weight=Tensor(np.ones(3), requires_grad=True)),
     TypeError, r"binary_cross_entropy_with_logits: pos_weight requires grad"),
    (lambda: F.cross_entropy(Z, LABELS, np.ones(3)), TypeError,
     r"cross_entropy: reduction must be one of 'mean', 'sum', 'none', got array.*pass weight=\.\.\. by keyword"),
    (lambda: nn.CrossEntropyLoss(np.ones(3)), TypeError, r"CrossEntropyLoss: reduction must be one of.*weight="),
    (lambda: nn.CrossEntropyLoss(label_smoothing=-0.1), ValueError, r"CrossEntropyLoss: label_smoothing must be"),
    (lambda: nn.NLLLoss(ignore_index="none"), TypeError, r"NLLLoss: ignore_index must be an int"),
    (lambda: nn.BCEWithLogitsLoss(reduce="yes"), TypeError, r"BCEWithLogitsLoss: reduce must be True or False"),
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("call, error, message", BAD, ids=[m[:40] for _, _, m in BAD])
def test_bad_input_names_the_loss_and_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- a compiled training step ---------------------------------------------------------------------------

COMPILED = {      # name -> (loss of the model's (10, 8) output and the labels, the labels' shape)
    "CrossEntropyLoss(weight, ignore_index, label_smoothing)": (
        lambda out, y: nn.CrossEntropyLoss(weight=np.arange(1.0, 9.0), ignore_index=3, label_smoothing=0.1)(out, y),
        (10,)),
    "cross_entropy (N, C, d1) labels": (lambda out, y: F.cross_entropy(out.reshape(-1, C, 2), y), (10, 2)),
    "nll_loss(weight, ignore_index) (N, C, d1)": (lambda out, y: F.nll_loss(
        out.reshape(-1, C, 2).log_softmax(axis=1), y, weight=WEIGHT, ignore_index=0), (10, 2)),
    "BCEWithLogitsLoss(pos_weight, weight)": (lambda out, y: nn.BCEWithLogitsLoss(
        pos_weight=np.arange(1.0, 9.0), weight=np.full(8, 0.5))(out, np.full(out.shape, 0.25)), (10,)),
}


@pytest.mark.parametrize("name", list(COMPILED))
def test_a_compiled_step_with_the_options_replays_the_eager_step(name):
    """Label-dependent work (ignored labels, target weights, indices) is done inside ops or replayed, so a
    step recorded by autograd.compile replays without falling back (no CaptureWarning) and equals eager."""
    import autograd

    def build():
        model = nn.Linear(6, 8, dtype=np.float64, rng=1)
        opt = nn.SGD(model.parameters(), lr=0.05)

        def step(x, y):
            loss = COMPILED[name][0](model(Tensor(x)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return step

    rng = np.random.default_rng(3)
    batches = [(rng.standard_normal((10, 6)), rng.integers(0, C, COMPILED[name][1])) for _ in range(6)]
    eager, compiled = build(), autograd.compile(build())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, y in batches:
            assert eager(x, y).data.tobytes() == compiled(x, y).data.tobytes()
    assert compiled.replays == len(batches) - 2
