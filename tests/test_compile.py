"""autograd.compile: a replayed step is the eager step, bit for bit; what cannot be replayed runs eagerly, said.

Every case builds the same model twice from the same seeds, runs one copy eagerly and
the other through ``autograd.compile`` on the same batches, and compares every
returned value and, at the end, every parameter, buffer, gradient and optimiser state
by their bytes.
"""
import collections
import functools
import gc
import re
import threading
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

import autograd
import autograd.forward_ad as fwd
import nn
import nn.functional as F
from autograd import Function, Tensor
from autograd.capture import CaptureError, CaptureWarning

RNG = np.random.default_rng(0)
X = RNG.standard_normal((1000, 6))
Y = RNG.integers(0, 4, 1000)


def batches(n_steps, size=32):
    for i in range(n_steps):
        lo = (i * size) % (len(X) - size)
        yield X[lo:lo + size], Y[lo:lo + size]


# --- the models: each a function of a seed giving (model, optimiser, step) ---------------------

def classifier(layers, optimizer, train=True):
    def build(seed):
        autograd.manual_seed(seed)
        model = nn.Sequential(*layers())
        model.train(train)
        opt = optimizer(model.parameters())

        def step(x, y):
            opt.zero_grad()
            out = model(x)
            loss = F.cross_entropy(out, y)
            loss.backward()
            opt.step()
            return loss, out
        return model, opt, step
    return build


def training_step(model, opt, loss_fn=F.cross_entropy, zero_grad=None):
    """The usual step: zero the gradients, the loss of ``model(x)`` against ``y``, backward, the update."""
    zero_grad = zero_grad or opt.zero_grad

    def step(x, y):
        zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def mlp():
    return [nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 4)]


def batch_norm_dropout():
    return [nn.Linear(6, 16), nn.BatchNorm1d(16), nn.LeakyReLU(0.1), nn.Dropout(0.3), nn.Linear(16, 16),
            nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2, rng=np.random.default_rng(5)), nn.Linear(16, 4)]


def scalar_mlp(seed):
    """micrograd's moons MLP in miniature: 0-d tensors, neurons as sums of products, a max-margin loss."""
    rng = np.random.default_rng(seed)
    layers = [[([Tensor(rng.uniform(-1, 1), requires_grad=True) for _ in range(n_in)], Tensor(0.0, requires_grad=True))
               for _ in range(n_out)] for n_in, n_out in ((2, 4), (4, 1))]
    params = [p for layer in layers for w, b in layer for p in w + [b]]
    opt = nn.SGD(params, lr=0.05)

    def forward(x):
        for k, layer in enumerate(layers):
            sums = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in layer]
            x = [s.relu() for s in sums] if k < len(layers) - 1 else sums
        return x[0]

    def step(x, y):                              # (the batch through ops: indexing a Tensor is one)
        x, y = Tensor(x), Tensor(y)
        scores = [forward([x[i, 0], x[i, 1]]) for i in range(len(x))]
        losses = [(1 + -y[i] * s).relu() for i, s in enumerate(scores)]
        loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return params, opt, step


MODELS = {
    "MLP, SGD": classifier(mlp, lambda p: nn.SGD(p, lr=0.1)),
    "MLP, SGD with momentum and weight decay": classifier(
        mlp, lambda p: nn.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    "BatchNorm (train), Dropout, Adam": classifier(batch_norm_dropout, lambda p: nn.Adam(p, lr=1e-2)),
    "BatchNorm (eval), Dropout (eval), Adam": classifier(batch_norm_dropout, lambda p: nn.Adam(p, lr=1e-2),
                                                         train=False),
    "BatchNorm, Dropout, AdamW": classifier(batch_norm_dropout, lambda p: nn.AdamW(p, lr=1e-2)),
    "CNN: Conv2d, BatchNorm2d, MaxPool2d, AvgPool2d, Adam": classifier(
        lambda: [_Image(), nn.Conv2d(1, 4, 2, padding=1),
                 nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2, stride=1), nn.Conv2d(4, 4, 2, padding=1, groups=2),
                 nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 4)],
        lambda p: nn.Adam(p, lr=1e-2)),
    "Sigmoid, softmax, log_softmax, transposes, sum, mean, where, pow, indexing, SGD": classifier(
        lambda: [nn.Linear(6, 8), nn.Sigmoid(), nn.Linear(8, 4), _Normalised()], lambda p: nn.SGD(p, lr=0.1)),
    "MLP float64": classifier(lambda: [nn.Linear(6, 8, dtype=np.float64), nn.ReLU(), nn.Linear(8, 4, dtype=np.float64)],
                              lambda p: nn.SGD(p, lr=0.1)),
    "a module that counts no changes (made without Module.__new__), SGD": classifier(
        lambda: [nn.Linear(6, 8), _Uncounted(), nn.Linear(8, 4)], lambda p: nn.SGD(p, lr=0.1)),
}


class _MadeElsewhere:
    """A mixin with a ``__new__`` of its own (a registry's, say): Module.__new__ never runs, so no ``revision``."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)


class _Uncounted(_MadeElsewhere, nn.Module):
    """Swish, guarded attribute by attribute (the guards' path for modules without a count of their changes)."""

    def forward(self, x):
        return x * F.sigmoid(x)


class _Normalised(nn.Module):
    """Scores through the reductions and moves a loss may be written with (each replayed as its op's functions)."""

    def forward(self, z):
        scores = F.log_softmax(z.T, axis=0).T + F.softmax(z, axis=1).sum(axis=1, keepdims=True)
        centred = scores - scores.mean(axis=1, keepdims=True)
        bent = autograd.where(centred > 0, centred, centred ** 2 * 0.5)
        return bent[:, [3, 1, 2, 0]] + bent[:, 1:2]


class _Image(nn.Module):
    """(N, 6) rows as (N, 1, 2, 3) images."""

    def forward(self, x):
        return Tensor(x).reshape(len(x), 1, 2, 3)      # (through the op: numpy's reshape would be a constant)


def state_of(model_or_params, opt):
    """Every array of the model (or list of parameters), their gradients and the optimiser's state."""
    if isinstance(model_or_params, nn.Module):
        params = list(model_or_params.parameters())
        arrays = [np.asarray(v) for v in model_or_params.state_dict().values()]
    else:
        params, arrays = model_or_params, []
    arrays += [p.data for p in params] + [p.grad for p in params if p.grad is not None]
    for s in opt.state_dict()["state"].values():
        arrays += [np.asarray(v) for v in s.values()]
    return arrays


def assert_same_bits(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), what


def run_both(build, steps, batches_of=batches):
    """The eager run, then the compiled one (one after the other: dropout draws from numpy's global state,
    which ``build`` seeds)."""
    eager_model, eager_opt, eager_step = build(1)
    expected = [_arrays(eager_step(x, y)) for x, y in batches_of(steps)]
    model, opt, step = build(1)
    compiled = autograd.compile(step)
    for i, (x, y) in enumerate(batches_of(steps)):
        for e, g in zip(expected[i], _arrays(compiled(x, y)), strict=True):
            assert_same_bits(e, g, f"step {i}")
    for k, (e, g) in enumerate(zip(state_of(eager_model, eager_opt), state_of(model, opt), strict=True)):
        assert_same_bits(e, g, f"state array {k}")
    return compiled


def _arrays(result):
    return [t.data.copy() for t in (result if isinstance(result, tuple) else (result,)) if t is not None]


@pytest.mark.parametrize("name", MODELS)
def test_a_replayed_run_is_the_eager_run_bit_for_bit_over_100_steps(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # (no CaptureWarning: every model here is captured)
        compiled = run_both(MODELS[name], 100)
    assert (compiled.recordings, compiled.replays) == (2, 98)


def test_the_scalar_moons_mlp_replays_bit_for_bit():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = run_both(scalar_mlp, 100, lambda n: ((x[:, :2], 2.0 * (y % 2) - 1) for x, y in batches(n, size=8)))
    assert compiled.replays == 98


def test_fit_with_compile_trains_as_fit_without():
    histories, states = [], []
    for compile_step in (False, True):
        model, opt, _ = MODELS["BatchNorm (train), Dropout, Adam"](3)
        history = nn.fit(model, F.cross_entropy, opt, (X[:200], Y[:200]), val_data=(X[:50], Y[:50]), epochs=4,
                         batch_size=48, seed=2, progress=False, compile=compile_step)   # (a last batch of 8)
        del history["epoch_time"]
        histories.append(history)
        states.append(state_of(model, opt))
    assert histories[0] == histories[1]
    for e, g in zip(*states, strict=True):
        assert_same_bits(e, g, "state after fit")


# --- guards: a change records again ----------------------------------------------------------

def test_another_batch_size_gets_its_own_tape():
    model, opt, step = MODELS["MLP, SGD"](0)
    compiled = autograd.compile(step)
    for size in (32, 32, 32, 20, 20, 20, 32):
        compiled(X[:size], Y[:size])
    assert len(compiled.tapes) == 2 and compiled.recordings == 4 and compiled.replays == 3


def _alternating(change):
    """Batches whose arguments switch form every third step, the changed form first."""
    def batches_of(n):
        for i, (x, y) in enumerate(batches(n)):
            yield change(x, y) if i % 6 < 3 else (x, y)
    return batches_of


@pytest.mark.parametrize("change", [
    lambda x, y: (Tensor(x), y),                                  # a Tensor where an array was
    lambda x, y: (x.astype(np.float32), y),                       # another dtype
    lambda x, y: (x[:20], y[:20]),                                # another batch size
    lambda x, y: (x, y.astype(np.int32)),
    lambda x, y: (np.asfortranarray(x), y),                       # another layout: the same key, the same tape
], ids=["Tensor", "float32", "batch size", "int32 labels", "Fortran order"])
def test_calls_switching_between_argument_forms_each_replay_their_own_tape(change):
    """A call first tries the tape replayed last (its entry tests the arguments as the key does): a call of
    another form goes through the key to its own tape, and both replay as eagerly, bit for bit."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = run_both(MODELS["MLP, SGD"], 24, _alternating(change))
    assert compiled.replays >= 24 - 2 * len(compiled.tapes)


def _outcome(call):
    """What ``call()`` did: its result's bytes, or the type and message of what it raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CaptureWarning)
        try:
            return ("returned", [a.tobytes() for a in _arrays(call())])
        except Exception as e:            # noqa: BLE001 (the eager step's own error, whatever it is)
            return ("raised", type(e), str(e))


@pytest.mark.parametrize("call", [
    lambda step, x, y: step(Tensor(x), y),                           # (the recorded form: replayed)
    lambda step, x, y: step(Tensor(x, requires_grad=True), y),        # an input that requires grad
    lambda step, x, y: _under(autograd.no_grad(), step, Tensor(x), y),  # a loss that requires no grad
], ids=["as recorded", "argument requiring grad", "no_grad"])
def test_a_call_the_last_tape_must_not_take_does_what_the_eager_step_does(call):
    """After replays, a call whose Tensor argument requires grad, or made under no_grad, is not replayed by the
    last tape's entry: it does what the eager step does (raise, here), and the model is left as eagerly."""
    twins = []
    for compile_step in (False, True):
        model, opt, step = MODELS["MLP, SGD"](0)
        step = autograd.compile(step) if compile_step else step
        for x, y in batches(4):
            step(Tensor(x), y)
        twins.append((model, opt, _outcome(lambda: call(step, x, y))))
    (eager_model, eager_opt, expected), (model, opt, got) = twins
    assert got == expected
    for k, (e, g) in enumerate(zip(state_of(eager_model, eager_opt), state_of(model, opt), strict=True)):
        assert_same_bits(e, g, f"state array {k}")


def _under(block, step, *args):
    with block:
        return step(*args)


def test_a_step_called_under_a_mode_block_replays_its_own_tape():
    """An evaluation called under no_grad in turn with one called outside: a tape for each."""
    results = []
    for compile_step in (False, True):
        model, _, _ = MODELS["MLP, SGD"](0)

        def evaluate(x, y):
            return F.cross_entropy(model(x), y)
        step = autograd.compile(evaluate) if compile_step else evaluate
        for i, (x, y) in enumerate(batches(12)):
            if i % 4 >= 2:
                with autograd.no_grad():
                    results.append(step(x, y).data.copy())
            else:
                results.append(step(x, y).data.copy())
    for k, (e, g) in enumerate(zip(results[:12], results[12:], strict=True)):
        assert_same_bits(e, g, f"step {k}")
    assert len(step.tapes) == 2 and step.replays == 8


def test_a_step_called_under_detect_anomaly_runs_eagerly_and_its_ops_are_checked():
    """A replay checks no op's output for nan or inf: under detect_anomaly the step runs eagerly (said once), and
    the anomaly is raised as eagerly (a replay used to compute on)."""
    w = Tensor(np.ones(3), requires_grad=True)
    step = autograd.compile(lambda x: (w * autograd.log(Tensor(x))).sum())
    for _ in range(3):
        step(np.ones(3))
    with autograd.detect_anomaly(), pytest.warns(CaptureWarning, match="anomaly detection is not replayed"):
        step(np.ones(3))
        with pytest.raises(autograd.AnomalyError):
            step(np.zeros(3))
    assert step.replays == 1


def _step_and_forget():
    """A step reaching its model through a closure, and a function that deletes that closure variable."""
    model = nn.Linear(6, 4)
    step = training_step(model, nn.SGD(model.parameters(), lr=0.1))

    def closure_step(x, y):
        return step(x, y) if model is not None else None

    def forget():
        nonlocal model
        del model
    return closure_step, forget


def test_a_closure_variable_deleted_since_the_recording_fails_as_eagerly():
    """The guards read a closure's cell; an empty one (``del model`` in the enclosing function) is a failed
    guard, not an error of the guards: the step runs and fails as the eager step does."""
    step, forget = _step_and_forget()
    compiled = autograd.compile(step)
    for x, y in batches(4):
        compiled(x, y)
    forget()
    with pytest.raises(NameError, match="model"):
        compiled(x, y)
    assert compiled.replays == 2


@pytest.mark.parametrize("layers", [
    lambda: [nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4), nn.Linear(4, 4)],     # one layer the loss never reaches
    lambda: [nn.Linear(6, 8192), nn.ReLU(), nn.Linear(8192, 4)],               # large parameters: updated in place
], ids=["a parameter without gradient", "large parameters"])
@pytest.mark.parametrize("set_to_none", [False, True], ids=["gradients zeroed", "gradients None"])
def test_an_optimiser_step_over_parameters_the_step_does_not_read_replays_as_eagerly(layers, set_to_none):
    """Parameters without gradient are skipped, large ones updated where they are (from the gradient the
    replay gave anew, or in the buffer backward added into); with weight decay an optimiser's parameter the
    forward never reads still changes: the check of the first replay against the eager step puts it back
    too, so the verified run is the eager run."""
    def build(seed):
        autograd.manual_seed(seed)
        model = nn.Sequential(*layers())
        unused = model[3] if len(model) == 4 else None     # (in the optimiser, not in the forward)
        model.forward = lambda x: model[2](model[1](model[0](x)))
        opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.5, weight_decay=0.1)
        if unused is not None:
            unused.weight.grad = np.zeros(unused.weight.shape, np.float32)    # (zeroed below, or forgotten)
        return model, opt, training_step(model, opt, zero_grad=lambda: opt.zero_grad(set_to_none=set_to_none))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = run_both(build, 6)
    assert compiled.replays == 4


@pytest.mark.parametrize("change", [
    "model.eval()",
    "model[0].weight.data = model[0].weight.data.copy()",
    "model[0].weight.requires_grad_(False)",
    "model.load_state_dict(model.state_dict())",
    "model[3].p = 0.6",                                          # a module's hyperparameter
    "model[2].negative_slope = 0.3",
    "model[1].eps = 1e-2",
    "setattr(model, '8', nn.Linear(16, 4))",                     # a submodule replaced (untrained: as eager)
])
def test_a_change_to_the_model_records_again_and_trains_as_eager(change):
    results = []
    for compile_step in (False, True):
        model, opt, step = MODELS["BatchNorm (train), Dropout, Adam"](4)
        if compile_step:
            step = autograd.compile(step)
        losses = [step(x, y)[0].data for x, y in batches(4)]
        exec(change, {"model": model, "nn": nn})
        losses += [step(x, y)[0].data for x, y in batches(8)]
        results.append(losses)
    for e, g in zip(*results):
        assert_same_bits(e, g, change)
    assert step.recordings > 2 and step.replays > 2 + 2     # recorded again, then replayed again


@pytest.mark.parametrize("name, between_calls", [
    # only the modules' counts of changes moved (nn.fit's validation between epochs): their attributes are compared
    ("BatchNorm (train), Dropout, Adam", lambda model: (model.eval(), model.train())),
    # a module built elsewhere (a second model, another thread's) moves the count of every module's structure that
    # keys each module's cache of its dtype source, not the step's modules' attributes
    ("MLP, SGD", lambda model: nn.Linear(3, 3)),
], ids=["a module switched to eval and back", "another module built"])
def test_what_leaves_the_modules_as_they_were_between_calls_does_not_record_again(name, between_calls):
    model, opt, step = MODELS[name](0)
    compiled = autograd.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, y in batches(8):
            compiled(x, y)
            between_calls(model)
    assert (compiled.recordings, compiled.replays) == (2, 6)


class _ShrinkingSGD(nn.SGD):
    """An SGD whose ``step()`` does more after the update: the weights shrunk, itself replayed work."""

    def step(self):
        super().step()
        self.shrink()

    @autograd.capture.replayed_method
    def shrink(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.data *= 0.99


def _wide():
    """Small parameters, but a flat buffer large enough for BLAS's axpy (the loop over them takes numpy's)."""
    return [nn.Linear(6, 4000), nn.ReLU(), nn.Linear(4000, 4)]


@pytest.mark.parametrize("change, optimizer, layers, calls_before", [
    ("opt.param_groups[0] = dict(opt.param_groups[0], lr=0.5)", nn.SGD, mlp, 4),    # a group replaced: its lr now
    ("opt.add_param_group({'params': [extra]})", nn.SGD, mlp, 4),                   # a group added: its .grad, kept
    ("opt.add_param_group({'params': [extra]})", _ShrinkingSGD, mlp, 4),            # ... and step() overridden
    ("opt.add_param_group({'params': [extra]})", nn.SGD, mlp, 1),                   # ... between the recordings
    ("opt.foreach = False", nn.SGD, _wide, 4),                                      # a loop over the parameters now
], ids=["group replaced", "group added", "group added, step overridden", "group added after the first call",
        "foreach set to False"])
def test_the_optimiser_step_after_a_replayed_backward_sees_what_changed_since(change, optimizer, layers, calls_before):
    """The replay's own form of ``opt.step()`` (right after the gradients it wrote) trusts the layouts; a
    parameter group replaced or added since the recording, or ``foreach`` switched off, is stepped as
    eagerly, by the step the replay recorded (not an override's extra work twice); a group added between
    the two recordings that check each other leaves them alike."""
    results = []
    for compile_step in (False, True):
        model, opt, _ = classifier(layers, lambda p: optimizer(p, lr=0.1))(3)
        extra = nn.Parameter(np.ones(3, np.float32))
        extra.grad = np.full(3, 0.25, np.float32)               # (model.zero_grad() below leaves it)
        step = training_step(model, opt, zero_grad=model.zero_grad)
        step = autograd.compile(step) if compile_step else step
        with warnings.catch_warnings():
            warnings.simplefilter("error")                       # (no CaptureWarning: replayed throughout)
            losses = [step(x, y).data for x, y in batches(calls_before)]
            exec(change, {"opt": opt, "extra": extra})
            losses += [step(x, y).data for x, y in batches(4)]
        results.append(losses + state_of(model, opt) + [extra.data.copy()])
    assert "if not step_after_backward0():" in step.code
    for k, (e, g) in enumerate(zip(*results, strict=True)):
        assert_same_bits(e, g, f"{change}: array {k}")
    assert step.replays >= 3


def _step_through(trainer, x, y):
    """The usual step on ``trainer.model`` and ``trainer.opt`` (a method of a trainer, or given one)."""
    trainer.opt.zero_grad()
    loss = F.cross_entropy(trainer.model(x), y)
    loss.backward()
    trainer.opt.step()
    return loss


def _rebound(how):
    """A step that reaches its model and optimiser through a global name, a closure variable's dict or a bound
    method's instance, and a function that binds a new model and optimiser there (a notebook cell run again)."""
    namespace, holder = {"F": F}, {}

    class Trainer:
        _step = _step_through
    trainer = Trainer()

    def step(x, y):                               # (holder: a variable of its closure)
        holder["opt"].zero_grad()
        loss = F.cross_entropy(holder["model"](x), y)
        loss.backward()
        holder["opt"].step()
        return loss

    def bind(seed):
        autograd.manual_seed(seed)
        model = nn.Sequential(*mlp())
        objects = {"model": model, "opt": nn.SGD(model.parameters(), lr=0.1, foreach=False)}
        {"global": namespace, "closure dict": holder, "instance": vars(trainer)}[how].update(objects)
        return model
    exec("def step(x, y):\n    opt.zero_grad(); loss = F.cross_entropy(model(x), y)\n"
         "    loss.backward(); opt.step()\n    return loss", namespace)
    return bind, {"global": namespace["step"], "closure dict": step, "instance": trainer._step}[how]


def _rebound_more(how):
    """More ways to reach the model: an argument's attribute, a name read only in a generator expression, a
    list's item."""
    namespace, models = {"F": F, "nn": nn}, []

    class Trainer:
        pass
    trainer = Trainer()

    def bind(seed):
        if how == "generator" and seed == 2:      # (only the loss, a name read in the generator alone)
            namespace["loss_fn"] = nn.CrossEntropyLoss(label_smoothing=0.2)
            return namespace["model"]
        autograd.manual_seed(seed)
        model = nn.Sequential(*mlp())
        opt = nn.SGD(model.parameters(), lr=0.1, foreach=False)
        trainer.model, trainer.opt = model, opt
        namespace.update(model=model, opt=opt, loss_fn=nn.CrossEntropyLoss(label_smoothing=0.1 * seed))
        models[:] = [model, opt]
        return model
    namespace["models"] = models
    exec("def generator(x, y):\n    opt.zero_grad()\n    loss = sum(loss_fn(model(a), b) for a, b in [(x, y)])\n"
         "    loss.backward(); opt.step()\n    return loss\n"
         "def listed(x, y):\n    models[1].zero_grad(); loss = F.cross_entropy(models[0](x), y)\n"
         "    loss.backward(); models[1].step()\n    return loss", namespace)

    if how == "argument":
        return bind, lambda step: (lambda x, y: step(trainer, x, y)), _step_through
    return bind, lambda step: step, namespace[how]


@pytest.mark.parametrize("how", ["argument", "generator", "listed"])
def test_a_model_reached_another_way_and_bound_anew_is_the_one_trained(how):
    results = []
    for compile_step in (False, True):
        bind, call, step = _rebound_more(how)
        step = autograd.compile(step) if compile_step else step
        losses = []
        for seed in (1, 2):
            model = bind(seed)
            losses += [call(step)(x, y).data for x, y in batches(4)]
        results.append((losses, [p.data for p in model.parameters()]))
    for e, g in zip(results[0][0] + results[0][1], results[1][0] + results[1][1], strict=True):
        assert_same_bits(e, g, how)
    assert step.recordings == 4


def test_guards_look_entries_up_without_comparing_keys():
    """A dict keyed by parameters (Tensors: == is elementwise) on the way to the optimisers."""
    model, _, _ = MODELS["MLP, SGD"](0)
    optimisers = {p: nn.SGD([p], lr=0.1) for p in model.parameters()}

    def step(x, y):
        for opt in optimisers.values():
            opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        for opt in optimisers.values():
            opt.step()
        return loss
    compiled = autograd.compile(step)
    for x, y in batches(4):
        compiled(x, y)
    assert compiled.replays == 2


@pytest.mark.parametrize("how", ["global", "closure dict", "instance"])
def test_a_model_bound_anew_under_the_same_name_is_the_one_trained(how):
    results = []
    for compile_step in (False, True):
        bind, step = _rebound(how)
        step = autograd.compile(step) if compile_step else step
        losses = []
        for seed in (1, 2):                       # the cell that builds the model, run twice
            model = bind(seed)
            losses += [step(x, y).data for x, y in batches(4)]
        results.append((losses, [p.data for p in model.parameters()]))
    for e, g in zip(results[0][0] + results[0][1], results[1][0] + results[1][1], strict=True):
        assert_same_bits(e, g, how)
    assert step.recordings == 4                   # recorded again for the new model


def test_a_compiled_method_is_refused_with_the_way_that_works():
    class Trainer:
        @autograd.compile
        def step(self, x, y):
            return x
    with pytest.raises(TypeError, match=r"compile the bound method instead, once per instance: "
                                        r"self\.step = autograd\.compile\(self\._step\)"):
        Trainer().step(X, Y)


def test_one_array_passed_as_two_arguments_gets_a_tape_of_its_own():
    """step(X, X), then step(Xn, X): the recording could not tell which argument a statement read."""
    results = []
    for compile_step in (False, True):
        autograd.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 3), nn.Tanh(), nn.Linear(3, 6))
        step = training_step(model, nn.SGD(model.parameters(), lr=0.1), F.mse_loss)
        step = autograd.compile(step) if compile_step else step
        x = X[:16].astype(np.float32)
        noisy = x + np.float32(0.5)
        results.append([step(*args).data for args in [(x, x)] * 3 + [(noisy, x)] * 3 + [(x, x)] * 2])
    for e, g in zip(*results, strict=True):
        assert_same_bits(e, g, "autoencoder")
    assert len(step.tapes) == 2


@pytest.mark.parametrize("updates, read_after", [(2, False), (1, True)],
                         ids=["a second update", "the result read after the update"])
def test_a_number_read_from_a_parameter_is_read_again_after_the_optimiser_changed_it(updates, read_after):
    """A 0-d float64 step that uses its parameter after the update too (two updates per call, or the result)."""
    results = []
    for compile_step in (False, True):
        w = Tensor(0.5, requires_grad=True)
        opt = nn.SGD([w], lr=0.0)

        def step(x):
            for _ in range(updates):
                opt.zero_grad()
                loss = (w * x - 2.0) ** 2
                loss.backward()
                opt.step()
            return loss + w * 1.0 if read_after else loss
        step = autograd.compile(step) if compile_step else step
        losses = []
        with warnings.catch_warnings():
            warnings.simplefilter("error")                # (replayed, not run eagerly after a failed check)
            for i in range(6):
                if i == 2:                                # (zero updates while recorded: the check cannot see it)
                    opt.param_groups[0]["lr"] = 0.01
                losses.append(step(np.float64(3.0)).data)
        results.append(losses + [w.data])
    for e, g in zip(*results, strict=True):
        assert_same_bits(e, g, "0-d step")
    assert step.replays == 4


_Shift = collections.namedtuple("_Shift", "value")


@pytest.mark.parametrize("first, then", [(0.0, -0.0), (np.float32(0.0), np.float32(-0.0)), (np.nan, np.nan),
                                         ((0.0,), (-0.0,)), (_Shift(0.0), _Shift(-0.0))])
def test_float_arguments_are_keyed_to_the_bit(first, then):
    compiled = autograd.compile(lambda x, c: Tensor(x) * (c[0] if isinstance(c, tuple) else c))
    x = np.ones(3, np.float32)
    for value in (first, first, first, then):
        expected = x * (value[0] if isinstance(value, tuple) else value)
        assert_same_bits(expected, compiled(x, value).data, repr(value))


class _Scaled(nn.Module):
    __slots__ = ("k",)                            # (an attribute outside vars(): only the module's count sees it)

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x * self.k


def test_a_module_attribute_kept_in_a_slot_records_again_when_changed():
    results = []
    for compile_step in (False, True):
        scaled = _Scaled(2.0)
        step = autograd.compile(lambda x: scaled(Tensor(x)).sum()) if compile_step else (
            lambda x: scaled(Tensor(x)).sum())
        values = []
        for i in range(6):
            if i == 3:
                scaled.k = 5.0
            values.append(step(X[:4]).data)
        results.append(values)
    for e, g in zip(*results, strict=True):
        assert_same_bits(e, g, "slot")


@pytest.mark.parametrize("call", ["step(x, y)", "step(x, y=y)", "step(inputs=x, y=y)", "step(x, y, scale=1.0)"])
def test_arguments_by_name_replay_as_by_position(call):
    model, opt, plain = MODELS["MLP, SGD"](0)

    def step(inputs, y, mode=None, scale=1.0):
        return plain(inputs, y)[0] * scale
    compiled = autograd.compile(step)
    _, _, eager = MODELS["MLP, SGD"](0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i, (x, y) in enumerate(batches(4)):
            assert_same_bits(eager(x, y)[0].data, eval(call, {"step": compiled, "x": x, "y": y}).data, call)
    assert compiled.replays == 2


@pytest.mark.parametrize("clipped", [False, True], ids=["the step right after backward", "clipped first"])
def test_the_recording_keeps_no_gradient_it_computed(clipped):
    model, opt, step = MODELS["MLP, SGD"](0)
    if clipped:                                     # (work between the .grad writes and the update)
        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return loss
    compiled = autograd.compile(step)
    compiled(*next(batches(1)))
    gradient = weakref.ref(model[0].weight.grad)
    opt.zero_grad()
    assert gradient() is None


def test_a_tape_keeps_no_optimiser_buffer_laid_out_again_since():
    """The optimiser's buffers, laid out anew (its state loaded), are let go even by a tape no longer replayed
    (the short last batch's): the replay's form of ``opt.step()`` holds the groups, not the layouts."""
    model, opt, step = classifier(mlp, lambda p: nn.Adam(p, lr=1e-2))(0)
    compiled = autograd.compile(step)
    x, y = next(batches(1))
    for size in (32, 32, 8, 8, 32):                  # two tapes, each verified and replayed
        compiled(x[:size], y[:size])
    moments = weakref.ref(opt.state[model[0].weight]["exp_avg"].base)     # (a view into the flat buffer)
    opt.load_state_dict(opt.state_dict())
    for _ in range(3):                                # (the batch-32 tape records again; the other waits)
        compiled(x, y)
    assert "step_after_backward0()" in compiled.code
    gc.collect()
    assert moments() is None


def test_a_mode_block_open_in_another_thread_does_not_record_the_step_again(monkeypatch):
    """Another thread's mode block (its own step being recorded, a ``no_grad()``) leaves this thread's modes as
    they were: its calls are replayed from the tape recorded without it, through the tape's entry."""
    _, _, step = MODELS["MLP, SGD"](0)
    compiled = autograd.compile(step)
    opened, release = threading.Event(), threading.Event()

    def hold_a_block_open():
        with autograd.no_grad():
            opened.set()
            release.wait(timeout=60)
    x, y = next(batches(1))
    for _ in range(3):                                # recorded, checked, replayed: no block open anywhere
        compiled(x, y)
    holder = threading.Thread(target=hold_a_block_open)
    holder.start()
    try:
        assert opened.wait(timeout=60)
        monkeypatch.setattr(compiled, "_key", lambda args: pytest.fail("keyed anew: the tape's entry refused it"))
        for _ in range(3):
            compiled(x, y)                            # (replayed through the entry, which a key never built)
    finally:
        release.set()
        holder.join()
        monkeypatch.undo()
    compiled(x, y)
    assert (compiled.recordings, compiled.replays, len(compiled.tapes)) == (2, 5, 1)


@pytest.mark.parametrize("fullgraph", [False, True])
def test_a_call_where_forward_mode_levels_are_open_runs_eagerly_with_its_tangents(fullgraph):
    """A replay computes no tangents: inside ``dual_level`` a compiled step runs eagerly, after replays too, with
    the eager step's values and tangents and one warning (``fullgraph=True``: refused)."""
    layer = nn.Linear(3, 2, rng=0)
    compiled = autograd.compile(lambda x: layer(x), fullgraph=fullgraph)
    x = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    for _ in range(3):                                # recorded, checked, replayed
        compiled(x)
    with fwd.dual_level():
        dual = fwd.make_dual(Tensor(x), Tensor(np.ones_like(x)))
        expected = fwd.unpack_dual(layer(dual))
        if fullgraph:
            with pytest.raises(CaptureError, match="forward-mode tangents are not replayed"):
                compiled(dual)
            return
        with pytest.warns(CaptureWarning, match="forward-mode tangents are not replayed") as caught:
            got = [fwd.unpack_dual(compiled(dual)) for _ in range(3)]
    assert len(caught) == 1
    for primal, tangent in got:
        assert_same_bits(expected.primal.data, primal.data, "value")
        assert_same_bits(expected.tangent.data, tangent.data, "tangent")
    compiled(x)
    assert (compiled.recordings, compiled.replays) == (2, 2)


def test_a_step_whose_guards_fail_on_every_call_runs_eagerly_with_a_warning():
    model, opt, step = MODELS["MLP, SGD"](0)
    compiled = autograd.compile(step)
    with pytest.warns(CaptureWarning, match="its guards failed on 5 calls in a row") as caught:
        for x, y in batches(12):
            compiled(x, y)
            model[1].seen = getattr(model[1], "seen", 0) + 1      # an attribute changed between calls
    assert len(caught) == 1 and caught[0].filename == __file__       # (pointing at the caller's line)
    assert compiled.replays == 0


def test_too_many_shapes_run_eagerly_with_a_warning():
    _, _, step = MODELS["MLP, SGD"](0)
    compiled = autograd.compile(step)
    for size in range(2, 2 + autograd.capture.MAX_TAPES):
        compiled(X[:size], Y[:size])
    with pytest.warns(CaptureWarning, match="8 different argument shapes were recorded already") as caught:
        compiled(X[:40], Y[:40])
        compiled(X[:41], Y[:41])
    assert len(caught) == 1


# --- what cannot be replayed: eager, with a warning that says what and where ---------------------

def _item(model, x, y, rng):
    loss = F.cross_entropy(model(x), y)
    return loss, loss.item()


def _branch(model, x, y, rng):
    loss = F.cross_entropy(model(x), y)
    if loss > 1.0:
        loss = loss * 2
    return loss, None


def _noise(model, x, y, rng):
    return F.cross_entropy(model(x + rng.normal(size=x.shape)), y), None


def _accuracy_from_data(model, x, y, rng):
    out = model(x)
    return F.cross_entropy(out, y), float((out.data.argmax(axis=1) == y).mean())


class Cube(Function):
    name = "cube"

    def forward(self, x):
        return x ** 3

    def backward(self, g, out, x):
        return (g * 3 * x * x,)


class CapturableCube(Cube):
    capturable = True


class BareCube(CapturableCube):
    def backward(self, g, out, x):
        return g * 3 * x * x                      # (one input: a bare gradient, as PyTorch allows)


def _user_op(model, x, y, rng):
    return F.cross_entropy(Cube.apply(model(x)), y), None


def _higher_order(model, x, y, rng):
    loss = F.cross_entropy(model(x), y)
    (g,) = autograd.grad(loss, model[0].weight, create_graph=True)
    return loss + (g * g).sum(), None


def _numpy_branch(model, x, y, rng):
    loss = F.cross_entropy(model(x), y)
    return (loss * 10 if loss.numpy() > 1.45 else loss), None


def _asarray(model, x, y, rng):
    loss = F.cross_entropy(model(x), y)
    return loss, np.asarray(loss) * 0


def _retain_grad(model, x, y, rng):
    hidden = model[0](x)
    hidden.retain_grad()
    return F.cross_entropy(model[4](model[3](model[2](model[1](hidden)))), y), None


def _grad_set_by_hand(model, x, y, rng):
    model[0].bias.grad = None
    return F.cross_entropy(model(x), y), None


def _metric(model, x, y, rng):
    out = model(x)
    return F.cross_entropy(out, y), nn.metrics.accuracy(out, y)


def _printed(model, x, y, rng):
    loss = F.cross_entropy(model(x), y)
    return loss, str(loss) and None               # (print(loss) without the output)


def _leaf_made_in_the_step(model, x, y, rng):
    inputs = Tensor(x, requires_grad=True)        # (eagerly, each call's own tensor gets a .grad)
    return F.cross_entropy(model(inputs.astype(np.float32)), y), None


UNCAPTURABLE = {
    ".item()": (_item, r"\.item\(\) reads a value of this call into Python"),
    "if on a tensor": (_branch, r"bool\(\) of a tensor \(an if or while on a tensor's value\)"),
    "random numbers outside the ops": (_noise, "a value of the step changed between calls"),
    "a value computed from .data": (_accuracy_from_data, r"\.data of a tensor read by the step"),
    "a user op": (_user_op, "the op 'cube' \\(Cube\\) is not capturable"),
    "autograd.grad in the step": (_higher_order, "autograd.grad inside the step"),
    "a branch on .numpy()": (_numpy_branch, r"\.numpy\(\) of a tensor read by the step"),
    "np.asarray of a tensor": (_asarray, "a tensor read as an array by the step"),
    "retain_grad": (_retain_grad, r"retain_grad\(\) in the step"),
    ".grad set by hand": (_grad_set_by_hand, r"\.grad of a tensor set by the step"),
    "an nn.metrics function": (_metric, r"nn\.metrics\.accuracy reads a value of this call into Python"),
    "printing a tensor": (_printed, "printing a tensor reads a value of this call into Python"),
    "a leaf made in the step": (_leaf_made_in_the_step, r"backpropagates into a tensor of shape \(32, 6\) that it"),
}


def _training(body, manual_update=False):
    def build(seed):
        autograd.manual_seed(seed)
        model = nn.Sequential(*mlp())
        opt = nn.SGD(model.parameters(), lr=0.1)
        rng = np.random.default_rng(seed)

        def step(x, y):
            opt.zero_grad()
            loss, extra = body(model, x, y, rng)
            loss.backward()
            if manual_update:                     # the labs' update, by hand on .data: invisible to a tape
                for p in model.parameters():
                    p.data -= 0.1 * p.grad
            else:
                opt.step()
            return loss, extra
        return model, opt, step
    return build


@pytest.mark.parametrize("name", UNCAPTURABLE)
def test_what_cannot_be_replayed_runs_eagerly_with_a_warning_saying_what_and_where(name):
    body, message = UNCAPTURABLE[name]
    build = _training(body)
    eager_model, _, eager_step = build(1)
    model, _, step = build(1)
    compiled = autograd.compile(step)
    with pytest.warns(CaptureWarning, match=message) as caught:    # (no dropout here: interleaving is fine)
        results = [(eager_step(x, y), compiled(x, y)) for x, y in batches(6)]
    assert len(caught) == 1                       # said once
    assert "runs eagerly" in str(caught[0].message)
    if name in (".item()", "if on a tensor", "a value computed from .data", "a branch on .numpy()",
                "an nn.metrics function", "printing a tensor", "a leaf made in the step"):    # where
        assert f"{__file__}:" in str(caught[0].message)
    for (e_loss, e_extra), (loss, extra) in results:
        assert_same_bits(e_loss.data, loss.data, name)
        assert e_extra == extra
    for e, g in zip(eager_model.parameters(), model.parameters()):
        assert_same_bits(e.data, g.data, name)


def test_a_step_that_backpropagates_through_a_graph_made_before_it_runs_eagerly_with_a_warning():
    """A replay repeats only what the step computes: the op made outside it is said, not a crash."""
    w = nn.Parameter(np.ones(3))
    doubled = w * 2                               # (before the step; its graph kept by retain_graph)

    def step(x):
        (doubled * x).sum().backward(retain_graph=True)
    compiled = autograd.compile(step)
    with pytest.warns(CaptureWarning, match=r"backpropagates through an op \('\*'\) made before it ran"):
        for _ in range(4):
            compiled(np.ones(3))
    assert compiled.replays == 0 and w.grad.tolist() == [8.0, 8.0, 8.0]


def _gated():
    """A frozen leaf read first through a comparison, its array replaced before the fourth call."""
    model = nn.Linear(3, 1, rng=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    gate = Tensor(np.array([1.0, -1.0, 1.0]))

    def replace_gate():
        gate.data = np.array([-1.0, 1.0, 1.0])

    def step(x, _):
        opt.zero_grad()
        loss = (model(Tensor(x) * autograd.where(gate > 0, gate, 0.0)) ** 2).sum()
        loss.backward()
        opt.step()
        return loss
    return step, [(np.arange(3.0) + i, replace_gate if i == 3 else None) for i in range(6)]


def _rows_picked():
    """An index passed as an argument, other rows on later calls."""
    model = nn.Linear(3, 4, rng=0)
    opt = nn.SGD(model.parameters(), lr=0.1)

    def step(x, rows, _):
        opt.zero_grad()
        loss = model(x)[rows].sum()
        loss.backward()
        opt.step()
        return loss
    x = np.arange(15, dtype=np.float32).reshape(5, 3)
    return step, [(x, np.array(rows), None) for rows in ([0, 1, 4], [0, 1, 4], [0, 1, 4], [2, 2, 3], [4, 0, 1])]


def _masked():
    """A boolean mask of the step's own values as an index: a shape made from values."""
    w = Tensor(np.array([1.0, 2.0, 3.0, 4.0]), requires_grad=True)
    opt = nn.SGD([w], lr=0.01)

    def step(x, _):
        opt.zero_grad()
        h = Tensor(x) * w
        loss = h[h > 0].sum()
        loss.backward()
        opt.step()
        return loss
    signs = ([1.0, -1.0, 1.0, -1.0], [1.0, -1.0, 1.0, -1.0], [-1.0, 1.0, 1.0, 1.0], [1.0, 1.0, -1.0, 1.0])
    return step, [(np.array(s), None) for s in signs]


def _named_a():
    """A function named like the replay's arguments (a0, a1), values (v0) and gradients (g0) handed to a replayed
    call."""
    model = nn.Linear(3, 2, rng=0)
    opt = nn.SGD(model.parameters(), lr=0.1)

    def a(x):
        return x * 2.0

    def step(x, _):
        opt.zero_grad()
        loss = model(autograd.capture.replayed(a, x)).sum()
        loss.backward()
        opt.step()
        return loss
    return step, [(np.ones((4, 3)) * i, None) for i in range(5)]


def _accuracy():
    """The batch's accuracy computed in the step from argmax and a comparison, returned beside the loss."""
    model, opt, _ = MODELS["MLP, SGD"](0)

    def step(x, y, _):
        opt.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        opt.step()
        return (out.argmax(axis=1) == Tensor(y)).any(axis=0, keepdims=True) + (out.argmax(axis=1) == Tensor(y))
    return step, [(x, y, None) for x, y in batches(6)]


def _leaf_selects():
    """A frozen leaf as an index and as where's condition, its array replaced before the fourth call."""
    model = nn.Linear(3, 4, rng=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    rows, keep = Tensor(np.array([0, 2])), Tensor(np.array([True, False, True, True]))

    def select_others():
        rows.data, keep.data = np.array([1, 1]), np.array([False, True, True, False])

    def step(x, _):
        opt.zero_grad()
        h = model(x)
        loss = autograd.where(keep, h, 0.0)[rows].sum()
        loss.backward()
        opt.step()
        return loss
    x = np.arange(15, dtype=np.float32).reshape(5, 3)
    return step, [(x, select_others if i == 3 else None) for i in range(6)]


VALUE_READING_STEPS = {
    "a leaf as an index and as where's condition": (_leaf_selects, None),
    "argmax, a comparison and any in the step": (_accuracy, None),
    "a leaf compared before an op reads it": (_gated, None),
    "an index passed as an argument": (_rows_picked, None),
    "a boolean mask of the step's values as an index": (_masked, "indexing with a boolean mask makes a shape"),
    "a function named a handed to replayed": (_named_a, None),
}


@pytest.mark.parametrize("name", VALUE_READING_STEPS)
def test_a_replay_reads_each_calls_own_values_or_the_step_runs_eagerly_saying_why(name):
    """Eager against compiled, call by call: each replay computes from its own call's leaves and indices (the
    recording's copies used to be replayed: wrong results, no warning), or the step runs eagerly, said once."""
    build, refused = VALUE_READING_STEPS[name]
    results = []
    for compiled in (False, True):
        step, calls = build()             # (each call's arguments, the last a change made before it, or None)
        fn = autograd.compile(step) if compiled else step
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append([])
            for *args, change in calls:
                if change is not None:
                    change()
                results[-1].append(fn(*args, None).data.copy())
    said = [str(w.message) for w in caught if w.category is CaptureWarning]
    for e, g in zip(*results, strict=True):
        assert_same_bits(e, g, name)
    if refused is None:
        assert fn.replays >= 1 and not said
    else:
        assert fn.replays == 0 and len(said) == 1 and refused in said[0]


def _integers(shape, high=4):
    return lambda k: np.random.default_rng(k).integers(0, high, shape)


def _reals(shape, dtype=np.float64):
    return lambda k: np.random.default_rng(k).standard_normal(shape).astype(dtype)


# name -> (the loss of a (6, 4) parameter w and the step's argument a, the argument of call k, None or what the
# warning of a step that runs eagerly says); the library's own work on the argument, no numpy of the step's own
ARGUMENT_STEPS = {
    "sqrt of integers (the cast to float)": (lambda w, a: (w * autograd.sqrt(Tensor(a))[:, None]).sum(),
                                             _integers(6), None),
    "softplus of integers (an activation's cast)": (lambda w, a: (w * F.softplus(Tensor(a))).sum(),
                                                    _integers((6, 4)), None),
    "an integer input to mse_loss": (lambda w, a: F.mse_loss(a, w), _integers((6, 4)), None),
    "rounded to a decimal": (lambda w, a: (w * autograd.round(Tensor(a), 1)).sum(), _reals((6, 4)), None),
    "rounded integers": (lambda w, a: (w * autograd.round(Tensor(a))).sum(), _integers((6, 4)), None),
    "gather by an index passed": (lambda w, a: (autograd.gather(w, 1, a) ** 2).sum(), _integers((6, 2)), None),
    "scatter_add by an index passed": (
        lambda w, a: (autograd.scatter_add(autograd.zeros((6, 4), dtype=np.float64), 1, a, w) ** 2).sum(),
        _integers((6, 2)), None),
    "one_hot of the labels passed": (lambda w, a: ((w - autograd.one_hot(a, 4)) ** 2).sum(), _integers(6), None),
    "a numpy view of an argument as an index": (lambda w, a: autograd.gather(w, 1, a[:, None]).sum(),
                                                _integers(6), "is a numpy view of the step's argument 0"),
    "repeat_interleave by counts passed": (lambda w, a: autograd.repeat_interleave(w[0], a, 0).sum(),
                                           _integers(4), "repeat_interleave's repeats makes a shape"),
    "one_hot with num_classes=-1": (lambda w, a: (w * autograd.one_hot(a)[:, :1]).sum(), _integers(6),
                                    "one_hot with num_classes=-1 makes a shape"),
    "class weights passed": (lambda w, a: F.cross_entropy(w, np.arange(6) % 4, weight=a), _reals(4), None),
    "pos_weight passed as integers": (
        lambda w, a: F.binary_cross_entropy_with_logits(w, np.ones((6, 4)), pos_weight=a), _integers(4), None),
    "a float32 gradient handed to backward": (lambda w, a: (w * 2.0, a), _reals((6, 4), np.float32), None),
    "np.isclose of the step's tensors": (
        lambda w, a: autograd.where(np.isclose(Tensor(a), 0.0, atol=0.5), w, 0.0).sum(), _reals((6, 4)), None),
    "a numpy view of a batch slice as an index": (lambda w, a: autograd.gather(w, 1, a[:, None]).sum(),
                                                  lambda k: _BATCHES[6 * k:6 * k + 6],
                                                  "is a numpy view of the step's argument 0"),
    "full_like filled with a 0-d tensor": (lambda w, a: (w * autograd.full_like(w, Tensor(a))).sum(), _reals(()),
                                           "full_like's fill_value given as a 0-d tensor reads a value"),
    "a tensor made from a list of the step's arrays": (lambda w, a: (w[:2] * Tensor([a, a])).sum(), _reals(4),
                                                       "numpy made an array from a list holding arrays"),
    "a list of the step's arrays as an index": (lambda w, a: w[[a, a]].sum(), lambda k: np.array(k % 6),
                                                "numpy made an array from a list holding arrays"),
    "a shape passed as an array": (lambda w, a: w.reshape(a).sum(0).sum(), lambda k: np.array(((2, 12), (3, 8),
                                                                                                (4, 6))[k]),
                                   "a shape or axes given as an array makes a shape"),
    "np.pad's widths passed as an array": (lambda w, a: np.pad(w, a).sum(), lambda k: np.array([[k, 1], [1, k]]),
                                           "np.pad's widths given as an array makes a shape"),
    "detect_anomaly opened inside the step": (lambda w, a: _under_anomaly(lambda: (w * Tensor(a)).sum()),
                                              _reals((6, 4)), "detect_anomaly() inside the step"),
    "a slice bound passed as a 0-d array": (lambda w, a: w[:a].sum(), lambda k: np.array(k + 2),
                                            "a slice bound given as an array makes a shape"),
    "a size passed as a 0-d array": (lambda w, a: w.view(a, -1).sum(0).sum(), lambda k: np.array((2, 3, 4)[k]),
                                     "a size or an axis given as an array makes a shape"),
    "np.pad's widths passed in a tuple": (lambda w, a: np.pad(w, (a, a)).sum(), lambda k: np.array(k),
                                          "numpy made an array from a list holding arrays"),
    "np.allclose of the step's tensors": (lambda w, a: w.sum() * float(np.allclose(Tensor(a), 0.0)), _reals(3),
                                          "np.allclose of tensors reads a value"),
}
_BATCHES = np.random.default_rng(7).integers(0, 4, 60)


def _under_anomaly(compute):
    with autograd.detect_anomaly():
        return compute()


@pytest.mark.parametrize("name", ARGUMENT_STEPS)
def test_library_functions_given_a_steps_argument_compute_from_each_calls_own(name):
    """Eager against compiled, call by call, the first two calls alike (the check of a replay against the eager
    step compares those): each replay casts, rounds, gathers and one-hots its own call's argument (the
    recording's used to be replayed: wrong results, no warning), or the step runs eagerly, said once."""
    loss_of, argument, refused = ARGUMENT_STEPS[name]
    results = []
    for compiled in (False, True):
        w = Tensor(np.linspace(-1.0, 1.0, 24).reshape(6, 4), requires_grad=True)
        opt = nn.SGD([w], lr=0.1)

        def step(a):
            opt.zero_grad()
            loss = loss_of(w, a)          # (or a root and the gradient handed to its backward)
            root, grad = loss if isinstance(loss, tuple) else (loss, None)
            root.backward(grad)
            opt.step()
            return root
        fn = autograd.compile(step) if compiled else step
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append([(fn(argument(k)).data.copy(), w.data.copy()) for k in (0, 0, 1, 2, 1)])
    said = [str(m.message) for m in caught if m.category is CaptureWarning]
    for (e, ew), (g, gw) in zip(*results, strict=True):
        assert_same_bits(e, g, name)
        assert_same_bits(ew, gw, name)
    if refused is None:
        assert fn.replays >= 1 and not said
    else:
        assert fn.replays == 0 and len(said) == 1 and refused in said[0]


# name -> (a step's result from w (2, 4) and its argument, a good argument, a bad one, the error it raises)
BAD_ARGUMENT_STEPS = {
    "gather, a position past the end": (lambda w, a: autograd.gather(w, 1, a).sum(), np.array([[0], [3]]),
                                        np.array([[0], [4]]), r"gather: index values must be in \[0, 4\) for axis 1"),
    "gather, a negative position": (lambda w, a: autograd.gather(w, 1, a).sum(), np.array([[0], [3]]),
                                    np.array([[0], [-1]]), r"gather: index values must be in \[0, 4\) for axis 1"),
    "binary_cross_entropy of no probability": (
        lambda w, a: F.binary_cross_entropy(autograd.sigmoid(w) * a, np.ones((2, 4))), np.ones((2, 4)),
        np.full((2, 4), 3.0), r"binary_cross_entropy: input must be probabilities in \[0, 1\]"),
    "one_hot of a label past the classes": (lambda w, a: (w * autograd.one_hot(a, 4)).sum(), np.array([0, 3]),
                                            np.array([0, 4]), r"one_hot: labels of shape \(2,\) must be in \[0, 4\)"),
}


@pytest.mark.parametrize("name", BAD_ARGUMENT_STEPS)
def test_a_replay_checks_each_calls_argument_as_eagerly(name):
    """A bad argument on a replay raises the op's error (these were checked at the recording only: numpy's
    IndexError, a negative position read from the end, a loss computed from no probability)."""
    result_of, good, bad, error = BAD_ARGUMENT_STEPS[name]
    w = Tensor(np.ones((2, 4)), requires_grad=True)
    step = autograd.compile(lambda a: result_of(w, a))
    for _ in range(3):                    # (recorded, checked, replayed)
        step(good)
    with pytest.raises(ValueError, match=error):
        step(bad)
    assert step.replays == 2


# name -> (the loss of a (6, 4) parameter w and a leaf tensor, the leaf's array before call k); the library reads
# the leaf's values outside its ops
LEAF_STEPS = {
    "sqrt of an integer leaf (the cast)": (lambda w, t: (w * autograd.sqrt(t)).sum(), _integers((6, 4))),
    "mse_loss of an integer leaf": (lambda w, t: F.mse_loss(t, w), _integers((6, 4))),
    "a float64 leaf into a float32 layer": (lambda w, t: (w * _FROZEN_FLOAT32(t)).sum(), _reals((6, 4))),
    "a leaf detached": (lambda w, t: (w * t.detach()).sum(), _reals((6, 4))),
    "a leaf mask of masked_fill": (lambda w, t: autograd.masked_fill(w, t, 0.0).sum() ** 2,
                                   lambda k: np.random.default_rng(k).random((6, 4)) > 0.5),
    "a leaf's labels to cross_entropy": (lambda w, t: F.cross_entropy(w, t), _integers(6)),
    "a leaf's counts to repeat_interleave": (lambda w, t: autograd.repeat_interleave(w[0], t, 0).sum() ** 2,
                                             _integers(4)),
    "a leaf sorted by argsort": (lambda w, t: (w * autograd.argsort(t, axis=1)).sum(), _reals((6, 4))),
    "a leaf in a list made into a tensor": (lambda w, t: (w * Tensor([t, t]).sum(0)).sum(), _reals((6, 4))),
    "a leaf as a size": (lambda w, t: w.view(t, -1).sum(0).sum(), lambda k: np.array((2, 3, 4)[k])),
}


_FROZEN_FLOAT32 = nn.Linear(4, 4, rng=0)
for _p in _FROZEN_FLOAT32.parameters():
    _p.requires_grad = False


@pytest.mark.parametrize("name", LEAF_STEPS)
def test_a_leaf_the_library_reads_is_guarded(name):
    """Eager against compiled, the leaf's array replaced before the third and fourth calls: the guards see it
    (the step records again), where a replay used to read the recording's array, no warning."""
    loss_of, data = LEAF_STEPS[name]
    results = []
    for compiled in (False, True):
        w = Tensor(np.linspace(-1.0, 1.0, 24).reshape(6, 4), requires_grad=True)
        leaf = Tensor(data(0))
        opt = nn.SGD([w], lr=0.1)

        def step():
            opt.zero_grad()
            loss = loss_of(w, leaf)
            loss.backward()
            opt.step()
            return loss
        fn = autograd.compile(step) if compiled else step
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CaptureWarning)
            results.append([])
            for k in (0, 0, 0, 1, 2, 2):
                leaf.data = data(k)
                results[-1].append((fn().data.copy(), w.data.copy()))
    for (e, ew), (g, gw) in zip(*results, strict=True):
        assert_same_bits(e, g, name)
        assert_same_bits(ew, gw, name)


def _ops_of(t):
    """The ops of ``t``'s graph, newest first."""
    ops, stack = [], [t]
    while stack:
        t = stack.pop()
        if t.op is not None and all(op is not t.op for op in ops):
            ops.append(t.op)
            stack.extend(t.op.parents)
    return ops


def test_the_ops_a_recording_ran_show_users_what_an_eager_step_shows():
    """The recording's bookkeeping is the tape's, not the ops': the recorded call's loss has the eager graph's
    parameters and labels (what reprs, tables and pictures show)."""
    _, _, eager = MODELS["Sigmoid, softmax, log_softmax, transposes, sum, mean, where, pow, indexing, SGD"](0)
    _, _, step = MODELS["Sigmoid, softmax, log_softmax, transposes, sum, mean, where, pow, indexing, SGD"](0)
    x, y = next(batches(1))
    recorded, expected = autograd.compile(step)(x, y)[0], eager(x, y)[0]
    shown = [[(repr(op), repr(op.params), op.describe()) for op in _ops_of(loss)] for loss in (recorded, expected)]
    assert len(shown[0]) > 10 and shown[0] == shown[1]


def test_a_manual_update_on_data_is_refused():
    build = _training(lambda model, x, y, rng: (F.cross_entropy(model(x), y), None), manual_update=True)
    eager_model, _, eager_step = build(1)
    model, _, step = build(1)
    compiled = autograd.compile(step)
    with pytest.warns(CaptureWarning, match=r"\.(data|grad) of a tensor read by the step"):
        for x, y in batches(5):
            eager_step(x, y)
            compiled(x, y)
    for e, g in zip(eager_model.parameters(), model.parameters()):
        assert_same_bits(e.data, g.data, "manual update")


@pytest.mark.parametrize("outside, message", [
    # a parameter changed in place by a library function no replay repeats
    ("nn.init.zeros_(model[0].bias)", r"a parameter of shape \(16,\) differs after a replay from the eager step"),
    # a module's attribute changed by the step in Python
    ("setattr(model[1], 'calls', getattr(model[1], 'calls', 0) + 1)",
     "the attribute 'calls' of ReLU differs after a replay from the eager step"),
])
def test_work_a_tape_cannot_see_is_caught_by_the_check_of_a_replay_against_the_eager_step(outside, message):
    def build(seed):
        autograd.manual_seed(seed)
        model = nn.Sequential(*mlp())
        opt = nn.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            exec(outside, {"np": np, "nn": nn, "model": model})
            opt.step()
            return loss
        return model, opt, step
    eager_model, _, eager_step = build(1)
    model, _, step = build(1)
    compiled = autograd.compile(step)
    with pytest.warns(CaptureWarning, match=message):
        for x, y in batches(5):
            assert_same_bits(eager_step(x, y).data, compiled(x, y).data, outside)
    for e, g in zip(eager_model.parameters(), model.parameters()):
        assert_same_bits(e.data, g.data, outside)
    assert compiled.replays == 0


def _step_with(inside):
    """An MLP step with ``inside`` (source run after backward, before the optimiser's step)."""
    def build(seed):
        autograd.manual_seed(seed)
        model = nn.Sequential(*mlp(), nn.Dropout(0.2))
        opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.5)
        schedule = nn.optim.StepLR(opt, step_size=3, gamma=0.5)

        def step(x, y):
            model.zero_grad() if "model.zero_grad" in inside else opt.zero_grad(set_to_none="False" not in inside)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            exec(inside, {"nn": nn, "model": model, "opt": opt, "schedule": schedule})
            opt.step()
            return loss
        return model, opt, step
    return build


@pytest.mark.parametrize("inside, labels_dtype", [
    ("nn.utils.clip_grad_norm_(model.parameters(), 0.6)", np.int64),   # clips some batches, not others
    ("nn.utils.clip_grad_value_(model.parameters(), 0.01)", np.int64),
    ("schedule.step()", np.int64),                               # a scheduler per batch, inside the step
    ("model.eval(); model.train()", np.int64),                   # modes switched and back inside the step
    ("pass  # model.zero_grad", np.int64),
    ("pass  # opt.zero_grad(set_to_none=False)", np.int64),      # the flat buffers' own gradients
    ("pass", np.int32),                                          # labels cast to int64 by the loss
    ("pass", np.uint8),
])
def test_library_calls_inside_the_step_are_replayed_too(inside, labels_dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = run_both(_step_with(inside), 12,
                            lambda n: ((x, y.astype(labels_dtype)) for x, y in batches(n)))   # (cast outside)
    assert compiled.replays == 10


def test_bad_labels_are_refused_on_a_replay_as_eagerly():
    _, _, step = _step_with("pass")(0)
    compiled = autograd.compile(step)
    for x, y in batches(3):
        compiled(x, y)
    x, y = next(batches(1))
    with pytest.raises(ValueError, match=r"cross_entropy: labels must be in \[0, 4\)"):
        compiled(x, y + 4)
    assert compiled.replays == 2                  # (the second, refused, before it changed anything)


class CheckedRoot(Function):
    """A user op whose forward refuses negative values with an error of its own words."""
    name = "checked_root"
    capturable = True

    def forward(self, a):
        if (a < 0).any():
            raise ValueError("negative input")
        return np.sqrt(a)

    def backward(self, g, out, a):
        return (g / (2 * out),)


def test_a_user_ops_error_on_a_replay_names_the_op_and_shapes_as_eagerly():
    weight = Tensor(np.ones(3), requires_grad=True)
    opt = nn.SGD([weight], lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = CheckedRoot.apply(Tensor(x) * weight).sum()
        loss.backward()
        opt.step()
        return loss
    compiled = autograd.compile(step)
    for _ in range(3):
        compiled(np.ones(3))
    said = r"checked_root: negative input \(inputs of shapes \(3,\)\)"
    with pytest.raises(ValueError, match=said):
        compiled(-np.ones(3))
    assert compiled.replays == 2
    with pytest.raises(ValueError, match=said):
        step(-np.ones(3))


class Scaled(Function):
    """A user op whose parameters are named as the replay's helper's own (``op``, ``shapes``)."""
    name = "scaled"
    capturable = True

    def forward(self, a, shapes=2.0, op=1.0):
        self.factor = shapes * op
        return a * self.factor

    def backward(self, g, out, a):
        return (g * self.factor,)


def test_a_user_ops_parameters_named_op_or_shapes_are_passed_on_a_replay():
    def scaled_step():
        weight = Tensor(np.ones(3), requires_grad=True)
        opt = nn.SGD([weight], lr=0.1)

        def step(x):
            opt.zero_grad()
            loss = Scaled.apply(Tensor(x) * weight, shapes=3.0, op=0.5).sum()
            loss.backward()
            opt.step()
            return loss
        return step
    eager, compiled = scaled_step(), autograd.compile(scaled_step())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = [compiled(np.ones(3)).item() for _ in range(4)]
    assert compiled.replays == 2 and losses == [eager(np.ones(3)).item() for _ in range(4)]
    assert losses[0] == 4.5 and losses[1] < losses[0]          # (3 x 1.5, then lower: the weights moved)


def _returning_a_leaf_that_requires_grad(size):
    def step(x):
        leaf = Tensor(np.ones(size), requires_grad=True)
        with autograd.no_grad():
            return (Tensor(x) * leaf).sum(), leaf
    return step


def _returning_a_constant_tensor(size):
    return lambda x: ((Tensor(x) * 2.0).sum(), Tensor(np.ones(size)))


def _returning_a_constant_array(size):
    return lambda x: ((Tensor(x) * 2.0).sum(), np.ones(size))


@pytest.mark.parametrize("size", [1, 3])
@pytest.mark.parametrize("returning, shown", [(_returning_a_leaf_that_requires_grad, r"Tensor\("),
                                              (_returning_a_constant_tensor, r"Tensor\("),
                                              (_returning_a_constant_array, "an array of shape")])
def test_a_step_returning_a_tensor_or_array_it_makes_anew_runs_eagerly(returning, shown, size):
    """Such a value is another object on each call: a replay, which would return the recording's on every call
    (changes a caller made to it included), is not the eager step; said once, whatever its size (its values are not
    what differs)."""
    compiled = autograd.compile(returning(size))
    with pytest.warns(CaptureWarning, match=rf"the step returns a value it makes anew on each call \({shown}"):
        results = [compiled(np.ones(3))[1] for _ in range(4)]
    assert compiled.replays == 0 and len({id(value) for value in results}) == 4     # (each the caller's own)


TABLE = np.arange(3.0)
WEIGHT = Tensor(np.ones(3), requires_grad=True)


def _constant(x):
    """A step's own constant tensor (made anew on each call) and what it reads."""
    constant = Tensor(np.ones(3))
    return (Tensor(x) * constant).sum(), constant


RETURNING_CONSTANTS = {           # a step, and whether a replay may return what it returns
    "a constant it reads, made anew": (_constant, False),
    "its detach()": (lambda x: (lambda loss, c: (loss, c.detach()))(*_constant(x)), False),
    "a view of it": (lambda x: (lambda loss, c: (loss, c[0:2]))(*_constant(x)), False),
    "a Tensor of it": (lambda x: (lambda loss, c: (loss, Tensor(c)))(*_constant(x)), False),
    "an array it reads, made anew": (lambda x: (lambda m: ((Tensor(x) * m).sum(), m))(np.ones(3)), False),
    "a Tensor of an array made before it": (lambda x: (lambda e: ((Tensor(x) * e).sum(), e))(Tensor(TABLE)), True),
    "a parameter's detach() it reads": (lambda x: (lambda w: ((Tensor(x) * w).sum(), w))(WEIGHT.detach()), True),
    "a view of a table made before it": (lambda x: (lambda e: ((Tensor(x) * e).sum(), e))(Tensor(TABLE[:3])), True),
    "a read-only broadcast": (lambda x: (lambda e: ((Tensor(x) * e).sum(), e))(
        Tensor(np.broadcast_to(np.ones(1), (3,)))), True),
}


@pytest.mark.parametrize("name", RETURNING_CONSTANTS)
def test_a_returned_constant_the_step_makes_anew_is_not_the_recordings_on_a_replay(name):
    """A caller's change to what the step returned (a constant it made and read, a view of it) must not reach the
    next call: eagerly each call makes its own. Such a step runs eagerly; one whose constant exists before it
    replays (a Tensor of it is made anew, its array is the same)."""
    step, replays = RETURNING_CONSTANTS[name]
    compiled = autograd.compile(step)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses = []
        for i in range(6):
            loss, returned = compiled(np.ones(3))
            losses.append(loss.item())
            if i >= 3 and not replays:                # (the caller's own change to what it got)
                (returned.data if isinstance(returned, Tensor) else returned)[...] += 5
    said = [str(w.message) for w in caught if w.category is CaptureWarning]
    assert losses == [step(np.ones(3))[0].item()] * 6 and compiled.replays == (4 if replays else 0)
    assert len(said) == (0 if replays else 1) and all("makes anew on each call" in m for m in said)


READ_ONLY = np.arange(3.0)
READ_ONLY.flags.writeable = False
Halves = collections.namedtuple("Halves", "loss doubled")


@pytest.mark.parametrize("step", [
    lambda x: (Tensor(x) * Tensor(READ_ONLY)).sum(),                 # (a read-only leaf: not written back)
    lambda x: Halves((Tensor(x) * 2.0).sum(), Tensor(x) * 2.0),      # (a namedtuple: rebuilt as one)
], ids=["a read-only leaf", "a namedtuple returned"])
def test_steps_of_unusual_forms_replay_as_eagerly(step):
    compiled = autograd.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = [compiled(np.ones(3)) for _ in range(4)]
    expected = step(np.ones(3))
    assert compiled.replays == 2 and type(results[-1]) is type(expected)
    assert all(np.array_equal(a, b) for r in results for a, b in zip(_arrays(r), _arrays(expected), strict=True))


def test_a_constant_made_before_the_step_is_returned_itself_and_the_name_that_holds_it_guarded():
    constant = Tensor(np.arange(3.0))
    compiled = autograd.compile(lambda x: ((Tensor(x) * 2.0).sum(), constant))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert all(compiled(np.ones(3))[1] is constant for _ in range(4))
        constant = Tensor(np.ones(3))             # (bound anew: recorded again, the new one returned)
        assert all(compiled(np.ones(3))[1] is constant for _ in range(4))
    assert (compiled.recordings, compiled.replays) == (4, 4)


IGNORING_LOSSES = {                                 # a loss, and the label it ignores
    "cross_entropy": (F.cross_entropy, -100),
    "cross_entropy, ignore_index a class": (lambda z, y: F.cross_entropy(z, y, ignore_index=3), 3),
    "cross_entropy with label smoothing": (lambda z, y: F.cross_entropy(z, y, label_smoothing=0.1), -100),
    "nll_loss": (lambda z, y: F.nll_loss(z.log_softmax(axis=1), y), -100),
    "nll_loss with a class weight": (lambda z, y: F.nll_loss(z.log_softmax(axis=1), y, weight=np.arange(1.0, 5.0)),
                                     -100),
    "nll_loss, ignore_index a class": (lambda z, y: F.nll_loss(z.log_softmax(axis=1), y, ignore_index=3), 3),
}


@pytest.mark.parametrize("early, late", [(False, True), (True, False)],
                         ids=["ignored from the 4th batch on", "ignored in the first 3 batches only"])
@pytest.mark.parametrize("loss", IGNORING_LOSSES)
def test_ignored_labels_that_come_or_go_after_the_recording_replay_as_eagerly(loss, early, late):
    """Which samples a loss ignores is found on each batch, not on the one a step was recorded on (a replay
    that took the first batch's branch read another row's score for label -100)."""
    loss_fn, ignored = IGNORING_LOSSES[loss]

    def labelled(n):
        for i, (x, y) in enumerate(batches(n)):
            y = y % 3                             # (classes 0-2 of 4: class 3 only where it is the ignored label)
            if early if i < 3 else late:
                y[:5] = ignored
            yield x, y

    def build(seed):
        autograd.manual_seed(seed)
        model = nn.Sequential(*mlp())
        opt = nn.SGD(model.parameters(), lr=0.1)
        return model, opt, training_step(model, opt, loss_fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = run_both(build, 8, labelled)
    assert compiled.replays == 6


def test_a_compiled_step_called_inside_another_is_recorded_as_part_of_it():
    model, opt, step = MODELS["MLP, SGD"](1)
    inner = autograd.compile(step)
    for x, y in batches(3):                       # the inner step verified and replaying on its own
        inner(x, y)
    eager_model, _, eager_step = MODELS["MLP, SGD"](1)
    for x, y in batches(3):
        eager_step(x, y)
    outer = autograd.compile(lambda x, y: inner(x, y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for (x, y), (ex, ey) in zip(batches(8), batches(8)):
            assert_same_bits(outer(x, y)[0].data, eager_step(ex, ey)[0].data, "nested")
    assert outer.replays == 6 and inner.replays == 1


@pytest.mark.parametrize("op", [CapturableCube, BareCube], ids=["gradients as a tuple", "a bare gradient"])
def test_a_user_op_that_says_it_is_capturable_is_replayed(op):
    compiled = run_both(_training(lambda model, x, y, rng: (F.cross_entropy(op.apply(model(x)), y), None)), 10)
    assert compiled.replays == 8


def test_fullgraph_raises_instead_of_falling_back():
    _, _, step = _training(_item)(0)
    compiled = autograd.compile(step, fullgraph=True)
    with pytest.raises(CaptureError, match=r"compile: step cannot be replayed: \.item\(\)"):
        compiled(X[:8], Y[:8])


def _scaled_sum(x, *, scale=1.0):
    return (Tensor(x) * scale).sum()


def _under_a_dual_level(compiled):
    with fwd.dual_level():
        return compiled(fwd.make_dual(Tensor(X[:4]), Tensor(np.ones_like(X[:4]))))


def _one_shape_too_many(compiled):
    for size in range(2, 2 + autograd.capture.MAX_TAPES):
        compiled(X[:size])
    return compiled(X[:40])


@pytest.mark.parametrize("call, says", [
    (lambda compiled: compiled(Tensor(X[:4], requires_grad=True)), "argument 0 is a tensor that requires grad"),
    (lambda compiled: compiled(X[:4], scale=2.0), r"it takes arguments by keyword only \(scale\)"),
    (_under_a_dual_level, "forward-mode tangents are not replayed"),
    (_one_shape_too_many, "8 different argument shapes were recorded already"),
], ids=["requires grad", "keyword only", "dual level", "too many shapes"])
def test_a_call_run_eagerly_is_said_once_and_refused_every_time_with_fullgraph(call, says):
    compiled = autograd.compile(_scaled_sum)
    with pytest.warns(CaptureWarning, match=says) as caught:
        call(compiled)
        call(compiled)
    assert sum(bool(re.search(says, str(w.message))) for w in caught) == 1
    compiled = autograd.compile(_scaled_sum, fullgraph=True)
    for _ in range(2):
        with pytest.raises(CaptureError, match=says):
            call(compiled)


# --- what a user sees ---------------------------------------------------------------------

def test_the_code_is_the_step_written_out():
    _, _, step = MODELS["MLP, SGD"](0)
    compiled = autograd.compile(step)
    assert compiled.code == ""
    for x, y in batches(3):
        compiled(x, y)
    code = compiled.code
    assert code.startswith("def replayed_step(a0, a1):")
    # linear, relu and tanh written out (their array_code), the fused loss as its two functions (no op object);
    # backprop newest op first
    for line in ("zero_grad0(", "v1 = v0 @ param0 + param1", "v2 = np.maximum(v1, 0)", "v4 = np.tanh(v3)",
                 "v7, cross_entropy0 = cross_entropy_forward(v5, labels=v6, reduction='mean')",
                 "r = cross_entropy_backward(cross_entropy0, g8)", "g10 = g9 @ param4.T",
                 "g13 = g10 * (1 - v4 * v4)", "g14 = g13 @ param2.T", "g18 = v0.swapaxes(-1, -2) @ g17",
                 "step_after_backward0()", "step0()"):
        assert line in code, line
    assert "linear0(" not in code and "asarray(g" not in code and "new_op(" not in code
    assert code.index("v5 = v4 @ param4") < code.index("cross_entropy_backward(") < code.index("g18 = ")
    # the update right after the gradients the replay gave anew (their if), the step itself otherwise
    lines = [line.strip() for line in code.splitlines()]
    at = lines.index("if not step_after_backward0():")
    assert lines[at - 1] == "param1_tensor.grad = g19"
    assert lines[at + 1:at + 3] == ["step0()", "else:"] and lines[at + 3].startswith("write_grads0(")
    assert lines[at + 4] == "step0()"
    assert "2 recorded, 1 replayed" in repr(compiled)


class ClippedTanh(autograd.ops.elementwise.TanhFunction):
    """A user's tanh whose gradient is clipped: it inherits tanh's array_code, which does not describe it."""

    def backward(self, g, out, a):
        return (np.clip(g, -1, 1) * (1 - out * out),)


def wrap(a):
    """The helper of an op's array_code, named as one the generated entry uses (``Tensor.wrap``)."""
    return a * 2.0


def g(a):
    """The helper of an op's array_code, named as the upstream gradient of the expressions."""
    return a * 2.0


def _doubling_op(name, array_code, double):
    """A user op that doubles its input with ``double`` and states ``array_code`` for it."""
    def forward(self, a):
        return double(a)

    def backward(self, grad, out, a):
        return (grad * 2.0,)
    return type(name, (Function,), {"capturable": True, "array_code": array_code, "forward": forward,
                                    "backward": backward, "__module__": __name__})


DoubledByWrap = _doubling_op("DoubledByWrap", ("wrap(a)", "g * 2.0"), wrap)
DoubledByG = _doubling_op("DoubledByG", ("g(a)", "g * 2.0"), g)
DoubledByList = _doubling_op("DoubledByList", ["a * 2.0", "g * 2.0"], lambda a: a * 2.0)   # (a list will do)


class _Doubled(nn.Module):
    def __init__(self, op):
        super().__init__()
        self.op = op

    def forward(self, x):
        return self.op.apply(x)


@pytest.mark.parametrize("op, written_out", [(DoubledByWrap, False), (DoubledByG, False), (DoubledByList, True)])
def test_an_ops_array_code_is_written_out_or_its_methods_called(op, written_out):
    """A helper named as the entry's ``wrap`` or as the expressions' ``g``: the op is called through its methods
    (not given ``Tensor.wrap``, not failing to fill ``g(a)`` in); expressions in a list are written out."""
    def build(seed):                              # (the loss alone returned: the entry makes its Tensor itself)
        autograd.manual_seed(seed)
        model = nn.Sequential(nn.Linear(6, 4), _Doubled(op))
        opt = nn.SGD(model.parameters(), lr=0.1)
        return model, opt, training_step(model, opt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # (replayed: no CaptureWarning that the replay differs)
        compiled = run_both(build, 5)
    assert (compiled.recordings, compiled.replays) == (2, 3)
    assert ("* 2.0" in compiled.code) is written_out and ("forward_of(" in compiled.code) is not written_out


PLUGIN = {}
exec("from autograd import Function\n"         # noqa: S102 (a class of a module Python has not registered)
     "class Double(Function):\n"
     "    capturable = True\n"
     "    array_code = ('a * 2', 'g * 2')\n"
     "    def forward(self, a):\n"
     "        return a * 2\n"
     "    def backward(self, g, out, a):\n"
     "        return (g * 2,)\n", {"__name__": "plugin_ops"}, PLUGIN)


@pytest.mark.parametrize("op", [ClippedTanh, PLUGIN["Double"]], ids=["subclass overriding backward", "exec'd op"])
def test_an_op_whose_array_code_cannot_be_trusted_or_found_is_called(op):
    """A subclass's inherited array_code is not written out (the clip only shows on the last call, after the check);
    an op whose module Python does not know is called too."""
    w = nn.Parameter(np.ones(3, np.float32))
    model = nn.Module()
    model.w = w

    def step(x, scale):
        model.zero_grad()
        (op.apply(w * x) * scale).sum().backward()
    compiled = autograd.compile(step)
    x = np.array([0.1, 0.2, 0.3], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # (captured, not run eagerly)
        for scale in [np.full(3, 0.5, np.float32)] * 3 + [np.full(3, 10, np.float32)]:
            step(x, scale)
            expected = w.grad.copy()
            compiled(x, scale)
            np.testing.assert_array_equal(w.grad, expected)
    assert compiled.replays == 2


def _scale_forward(a, factor=2.0, keep=True):
    return a * factor, factor


def _scale_backward(residuals, g):
    return (g * residuals,)


class Scale(autograd.Function):
    """An op stating its residual functions; ``keep=False`` leaves its residuals None, which its functions cannot
    replay."""
    name = "scale"
    capturable = True
    residual_functions = (_scale_forward, _scale_backward)

    def forward(self, a, factor=2.0, keep=True):
        out, residuals = _scale_forward(a, factor)
        self.residuals = residuals if keep else None
        self.factor = factor
        return out

    def backward(self, g, out, a):
        return (g * self.factor,)


class ClippedScale(Scale):
    """A subclass whose backward differs from the residual function it inherits."""

    def backward(self, g, out, a):
        return (np.clip(g * self.factor, -1, 1),)


class UnnamedScale(Scale):
    """Residual functions without a name of their own (a partial, a lambda); a bare gradient, as the walk takes."""
    residual_functions = (functools.partial(_scale_forward), lambda residuals, g: g * residuals)

    def backward(self, g, out, a):
        return g * self.factor


def _named(function, name):
    function.__name__ = name
    return function


class BuiltinNamedScale(Scale):
    """Residual functions named as what the generated code uses: a builtin, the guards."""
    residual_functions = (_named(lambda a, factor=2.0, keep=True: (a * factor, factor), "len"),
                          _named(lambda residuals, g: (g * residuals,), "guards"))


@pytest.mark.parametrize("op, keep, written", [
    (Scale, True, ["v1, scale0 = _scale_forward(v0, factor=3.0, keep=True)", "r = _scale_backward(scale0, g4)"]),
    (ClippedScale, True, ["scale0 = new_op(ClippedScale, "]),
    (UnnamedScale, True, ["v1, scale0 = call0(v0, factor=3.0, keep=True)", "r = (lambda0(scale0, g4),)"]),
    (BuiltinNamedScale, True, ["v1, scale0 = len0(v0, factor=3.0, keep=True)", "r = guards0(scale0, g4)"]),
    (Scale, False, None),
], ids=["residual functions", "subclass overriding backward", "unnamed functions, a bare gradient",
        "functions named len and guards", "residuals left None: eager"])
def test_an_op_with_residual_functions_is_replayed_through_them_where_they_describe_it(op, keep, written):
    """The functions where the op's class states them; the op's methods where a subclass overrides one (the clip
    shows from the first call: its parent's functions would not clip). A call that keeps no residuals cannot be
    replayed through them: eager, said once."""
    w = nn.Parameter(np.ones(3, np.float32))
    model = nn.Module()
    model.w = w

    def step(x):
        model.zero_grad()
        op.apply(w * x, factor=3.0, keep=keep).sum().backward()
    compiled = autograd.compile(step)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(4):
            x = np.array([0.1, 0.2, 0.3], np.float32)
            step(x)
            expected = w.grad.copy()
            compiled(x)
            np.testing.assert_array_equal(w.grad, expected)
    said = [str(w.message) for w in caught]
    if written is None:
        assert compiled.replays == 0 and len(said) == 1 and "left self.residuals None" in said[0]
    else:
        assert compiled.replays == 2 and not said and all(line in compiled.code for line in written)


ZERO_D_LAYERS = {"leaky ReLU": lambda: nn.LeakyReLU(0.1),
                 "dropout": lambda: nn.Dropout(0.3, rng=np.random.default_rng(5))}


@pytest.mark.parametrize("layer", ZERO_D_LAYERS)
def test_a_0d_output_of_an_op_with_residual_functions_is_replayed_and_returned(layer):
    """0-d arithmetic gives numpy scalars; the functions give arrays, as the op does eagerly."""
    def build(seed):
        w = nn.Parameter(np.array(0.5))
        model = nn.Module()
        model.w, model.act = w, ZERO_D_LAYERS[layer]()
        opt = nn.SGD([w], lr=0.1)

        def step(x, y):
            opt.zero_grad()
            a = model.act(w * x)
            loss = (a - y) * (a - y)
            loss.backward()
            opt.step()
            return loss, a
        return model, opt, step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = run_both(build, 6, lambda n: ((np.array(1.0 + i), np.array(0.25)) for i in range(n)))
    assert compiled.replays == 4


@pytest.mark.parametrize("name", MODELS)
def test_a_replay_makes_no_op_object(name):
    """Every op of the models here is written out (array_code) or called through its two functions
    (residual_functions, convolution, pooling and reshapes included): a replay makes no Function object."""
    _, _, step = MODELS[name](0)
    compiled = autograd.compile(step)
    for x, y in batches(3):
        compiled(x, y)
    assert compiled.replays == 1 and "new_op" not in compiled.code


BINARY_LOSSES = {
    "binary cross-entropy of a sigmoid": lambda out, t: F.binary_cross_entropy(F.sigmoid(out), t),
    "with logits and pos_weight": lambda out, t: F.binary_cross_entropy_with_logits(
        out, t, pos_weight=np.array([2.0], np.float32)),
}


@pytest.mark.parametrize("loss", BINARY_LOSSES)
def test_a_binary_classifier_replays_bit_for_bit_with_no_op_object(loss):
    """The binary lab's step (a sigmoid and binary cross-entropy, or the loss from the logits): written out or
    called as functions, the targets' gradient skipped as eagerly (they want none)."""
    def build(seed):
        autograd.manual_seed(seed)
        model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 1))
        opt = nn.Adam(model.parameters(), lr=1e-2)

        def step(x, t):
            opt.zero_grad()
            value = BINARY_LOSSES[loss](model(x), t)
            value.backward()
            opt.step()
            return value
        return model, opt, step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = run_both(build, 20, lambda n: ((x, (y % 2).astype(np.float32)[:, None]) for x, y in batches(n)))
    assert compiled.replays == 18 and "new_op" not in compiled.code
    assert "needs_input_grad=(True, False))" in compiled.code


ASKED = []          # what _product_backward was told, call by call


def _product_forward(a, b):
    return a * b, (a, b)


def _product_backward(residuals, g, needs_input_grad=(True, True)):
    ASKED.append(needs_input_grad)
    a, b = residuals
    return (g * b if needs_input_grad[0] else None, g * a if needs_input_grad[1] else None)


class Product(autograd.Function):
    """``a * b`` as two functions, the backward told which inputs want a gradient."""
    name = "product"
    capturable = True
    residual_functions = (_product_forward, _product_backward)

    def forward(self, a, b):
        out, self.residuals = _product_forward(a, b)
        return out

    def backward(self, g, out, a, b):
        return _product_backward(self.residuals, g, self.needs_input_grad)


@pytest.mark.parametrize("wanted", [(False, True), (True, False)], ids=["the weight's", "the input's"])
def test_a_backward_function_that_asks_which_inputs_want_a_gradient_is_told_as_eagerly(wanted):
    """A ``backward_fn`` with a ``needs_input_grad`` parameter is given the op's on every replay, as the eager
    backward is (convolution's skips its costliest pass so: the CNN's first layer's input gradient)."""
    x, w = Tensor(np.ones(3), requires_grad=wanted[0]), nn.Parameter(np.full(3, 2.0), requires_grad=wanted[1])

    def step():
        Product.apply(x, w).sum().backward()
    compiled = autograd.compile(step)
    ASKED.clear()
    for _ in range(4):
        compiled()
    assert compiled.replays == 2 and ASKED == [wanted] * 5      # (eager, the check's replay and eager, 2 replays)


def test_the_first_convolution_of_a_replay_makes_no_input_gradient():
    """Its input, the images, wants none; its bias and weight do."""
    _, _, step = MODELS["CNN: Conv2d, BatchNorm2d, MaxPool2d, AvgPool2d, Adam"](0)
    compiled = autograd.compile(step)
    for x, y in batches(3):
        compiled(x, y)
    first = [line for line in compiled.code.splitlines() if "conv2d_backward(conv2d0," in line]
    assert len(first) == 1 and first[0].endswith("needs_input_grad=(False, True, True))")


class PlainReLU(autograd.ops.elementwise.ReLUFunction):
    """A user's subclass that changes nothing: written out with relu's array_code, its helper from relu's module."""


def test_a_subclass_that_changes_no_method_is_written_out_with_its_parents_helpers():
    w = nn.Parameter(np.ones(3, np.float32))
    model = nn.Module()
    model.w = w

    def step(x):
        model.zero_grad()
        PlainReLU.apply(w * x).sum().backward()
    compiled = autograd.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # (no NameError at the check: captured)
        for _ in range(4):
            compiled(np.array([-1.0, 0.5, 2.0], np.float32))
    assert compiled.replays == 2 and "all_finite(" in compiled.code
    np.testing.assert_array_equal(w.grad, [0.0, 0.5, 2.0])


SEED = np.full(3, 2.0, np.float32)


@pytest.mark.parametrize("backward", [
    lambda a, b, x: ((a + b) * x).sum().backward(),    # a + b's backward hands one array to both inputs
    lambda a, b, x: (a + b + x).backward(SEED),         # ... and the caller's seed on, as it is
])
def test_gradients_are_never_aliased_on_a_replay(backward):
    """Eager backward copies an array already given (to another ``.grad``, or the caller's): so must every
    replay (two parameters sharing a gradient array would update each other's)."""
    a, b = nn.Parameter(np.ones(3, np.float32)), nn.Parameter(np.ones(3, np.float32))
    model = nn.Module()
    model.a, model.b = a, b

    def step(x):
        model.zero_grad()
        backward(a, b, x)
    compiled = autograd.compile(step)
    for _ in range(4):
        compiled(np.arange(3, dtype=np.float32))
        assert not (np.shares_memory(a.grad, b.grad) or np.shares_memory(a.grad, SEED)
                    or np.shares_memory(b.grad, SEED))
    assert compiled.replays == 2


def test_a_replay_holds_no_more_memory_than_the_eager_step():
    """Between steps a replay keeps nothing of the step (each op's saved arrays live as long as the replay), and
    within it frees each large array after its last use: its peak is no higher than eager's."""
    x, y = np.ones((64, 256), np.float32), np.arange(64) % 10

    def measured(compile):
        model = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        step = training_step(model, nn.SGD(model.parameters(), lr=0.01))
        step = autograd.compile(step) if compile else step
        for _ in range(3):                        # (compiled: recorded, checked; then replayed below)
            step(x, y)
        tracemalloc.start()
        try:
            step(x, y)
            return tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    (eager_held, eager_peak), (held, peak) = measured(False), measured(True)
    assert held <= eager_held + 4096 and peak <= eager_peak + 4096, (held, eager_held, peak, eager_peak)


def test_returned_tensors_hold_the_values_and_no_graph():
    _, _, step = MODELS["MLP, SGD"](0)
    compiled = autograd.compile(step)
    for x, y in batches(3):
        loss, out = compiled(x, y)
    assert not loss.requires_grad and loss.op is None and loss.shape == () and out.shape == (32, 4)


def test_a_returned_parameter_is_the_parameter_itself_and_a_detached_one_a_tensor_without_grad():
    """As eagerly: ``return loss, model.weight`` gives the Parameter (not a Tensor of its array);
    ``weight.detach()`` a Tensor of the parameter's array that requires no grad."""
    model = nn.Linear(3, 2)
    opt = nn.SGD(model.parameters(), lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = model(x).sum()
        loss.backward()
        opt.step()
        return loss, model.weight, model.weight.detach()
    compiled = autograd.compile(step)
    for _ in range(4):
        _, weight, detached = compiled(np.ones((4, 3), np.float32))
        assert weight is model.weight and weight.requires_grad
        assert not detached.requires_grad and detached.data is model.weight.data
    assert compiled.replays == 2


def test_tensor_arguments_are_batches_like_arrays():
    compiled = run_both(classifier(mlp, lambda p: nn.SGD(p, lr=0.1)), 5,
                        lambda n: ((Tensor(x), y) for x, y in batches(n)))
    assert compiled.replays == 3


@pytest.mark.parametrize("argument, message", [
    ([1, 2], "argument 2 is a list, which cannot be compared with the recording's"),
    (Tensor(np.ones(3), requires_grad=True), "argument 2 is a tensor that requires grad"),
])
def test_arguments_that_cannot_be_guarded_run_eagerly_with_a_warning(argument, message):
    model, opt, step = MODELS["MLP, SGD"](0)
    compiled = autograd.compile(lambda x, y, extra: step(x, y))
    with pytest.warns(CaptureWarning, match=message + ".*such calls run eagerly") as caught:
        for x, y in batches(4):
            compiled(x, y, argument)
    assert len(caught) == 1 and compiled.recordings == 0


@pytest.mark.parametrize("bad, kind, message", [
    (3, TypeError, "compile: expects the step function, got int"),
    ("step", TypeError, "compile: expects the step function, got str"),
])
def test_bad_input(bad, kind, message):
    with pytest.raises(kind, match=message):
        autograd.compile(bad)
