"""nn.Module and nn.Parameter: registration, naming, traversal, modes, repr, state_dict round trips."""
import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))
        self.norm = nn.BatchNorm1d(2)
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))
        self.note = "plain attribute"

    def forward(self, x):
        return self.norm(self.layers(x)) * self.scale


def _x(n=5, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 3)).astype(np.float32)


# --- Parameter ---------------------------------------------------------------------------

def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(np.array([1, 2]))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == np.float64                       # int data that requires grad becomes float
    assert nn.Parameter(np.zeros(2, np.float32)).dtype == np.float32
    assert repr(p).startswith("Parameter containing:\nTensor(")
    y = (p * 2).sum()
    assert type(y) is Tensor                           # results of ops are plain tensors
    y.backward()
    np.testing.assert_array_equal(p.grad, [2.0, 2.0])


# --- registration and naming --------------------------------------------------------------

def test_named_parameters_are_dotted_and_in_registration_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "norm.weight", "norm.bias"]
    assert [p for p in net.parameters()][1] is net.layers[0].weight
    assert [n for n, _ in net.named_buffers()] == [
        "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]


def test_children_and_modules():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["layers", "norm"]
    assert list(net.children()) == [net.layers, net.norm]
    assert [n for n, _ in net.named_modules()] == ["", "layers", "layers.0", "layers.1", "layers.2", "norm"]
    assert list(net.modules())[0] is net


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2, rng=0)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3


def test_reassignment_moves_a_name_between_kinds():
    m = nn.Module()
    m.x = nn.Parameter(np.zeros(2))
    assert [n for n, _ in m.named_parameters()] == ["x"]
    m.x = nn.Linear(2, 2)
    assert [n for n, _ in m.named_parameters()] == ["x.weight", "x.bias"]
    assert [n for n, _ in m.named_children()] == ["x"]
    with pytest.raises(TypeError, match="cannot assign int to submodule 'x'"):
        m.x = 3                                        # as PyTorch: a Module or None only
    assert [n for n, _ in m.named_children()] == ["x"]
    m.x = None                                         # an empty slot
    assert list(m.named_parameters()) == [] and list(m.children()) == []
    del m.x
    m.x = 3                                            # gone: a plain attribute again
    assert m.x == 3


def test_a_layer_used_twice_is_saved_under_each_name_and_loads_like_pytorch():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in model.named_children()] == ["0", "1"] and len(list(model.parameters())) == 2
    model.load_state_dict(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)).state_dict())


def test_a_disabled_bias_is_an_empty_parameter_slot():
    for layer in (nn.Linear(2, 2, bias=False), nn.BatchNorm1d(2, affine=False)):
        with pytest.raises(TypeError):
            layer.bias = Tensor(np.ones(2, np.float32), requires_grad=True)
        layer.bias = nn.Parameter(np.ones(2, np.float32))          # a Parameter is registered
        assert "bias" in [n for n, _ in layer.named_parameters()]


def test_delattr_unregisters():
    layer = nn.Linear(2, 3)
    del layer.bias
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(AttributeError):
        layer.bias


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'wieght'"):
        nn.Linear(2, 3).wieght


def test_assigning_an_array_to_a_parameter_is_refused():
    layer = nn.Linear(2, 3)
    before = layer.weight
    with pytest.raises(TypeError, match=r"parameter 'weight' \(nn.Parameter or None expected"):
        layer.weight = np.zeros((2, 3))
    assert layer.weight is before


def test_assigning_before_super_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgetful()


def test_buffers_are_arrays_and_checked():
    m = nn.Module()
    m.register_buffer("stats", np.zeros(3))
    m.stats = np.ones(3)                               # reassignment keeps it a buffer
    assert [n for n, _ in m.named_buffers()] == ["stats"]
    np.testing.assert_array_equal(m.state_dict()["stats"], np.ones(3))
    with pytest.raises(TypeError, match="buffer 'stats'"):
        m.stats = [1, 2, 3]
    with pytest.raises(ValueError, match="invalid name"):
        m.register_buffer("a.b", np.zeros(1))
    with pytest.raises(TypeError, match="numpy array"):
        m.register_buffer("other", [1.0])


def test_forward_must_be_written():
    with pytest.raises(NotImplementedError, match="Module.forward"):
        nn.Module()(1)


# --- modes and gradients ---------------------------------------------------------------------

def test_train_and_eval_are_recursive_and_return_self():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_clears_every_parameter():
    net = Net()
    net(_x()).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# --- repr ----------------------------------------------------------------------------------

def test_repr_is_pytorch_like():
    assert repr(Net()) == (
        "Net(\n"
        "  (layers): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (1): ReLU()\n"
        "    (2): Linear(in_features=4, out_features=2, bias=True)\n"
        "  )\n"
        "  (norm): BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True)\n"
        ")")
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"


# --- state_dict ------------------------------------------------------------------------------

def test_state_dict_holds_copies_of_parameters_and_buffers():
    net = Net()
    state = net.state_dict()
    assert list(state) == ["scale", "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
                           "norm.weight", "norm.bias", "norm.running_mean", "norm.running_var",
                           "norm.num_batches_tracked"]
    assert all(type(v) is np.ndarray for v in state.values())
    state["layers.0.weight"][...] = 7.0
    state["norm.running_mean"][...] = 7.0
    assert not (net.layers[0].weight.data == 7).any() and not (net.norm.running_mean == 7).any()


def test_state_dict_round_trip_restores_outputs_and_running_stats():
    a, b = Net(), Net()
    b.layers[0].weight.data[...] = 0
    for seed in range(3):                              # move a's BatchNorm statistics
        a(_x(seed=seed))
    a.eval()
    result = b.load_state_dict(a.state_dict())
    assert result == ([], [])
    b.eval()
    np.testing.assert_array_equal(a(_x(seed=9)).data, b(_x(seed=9)).data)
    assert int(b.norm.num_batches_tracked) == 3


def test_load_casts_dtypes_and_keeps_parameter_objects():
    layer = nn.Linear(2, 3, rng=0)
    weight = layer.weight
    state = {k: v.astype(np.float64) + 1 for k, v in layer.state_dict().items()}
    layer.load_state_dict(state)
    assert layer.weight is weight and layer.weight.dtype == np.float32
    np.testing.assert_allclose(layer.weight.data, state["weight"])


def _snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def _assert_unchanged(model, snapshot):
    now = model.state_dict()
    assert list(now) == list(snapshot)
    for k in now:
        np.testing.assert_array_equal(now[k], snapshot[k])


def test_refused_load_lists_every_problem_and_changes_nothing():
    net = Net()
    before = _snapshot(net)
    bad = {k: np.zeros_like(v) for k, v in net.state_dict().items()}
    del bad["norm.bias"]                                              # missing
    bad["extra.weight"] = np.zeros(3)                                 # unexpected
    bad["layers.0.weight"] = np.zeros((4, 3))                         # transposed shape
    bad["norm.num_batches_tracked"] = np.array(1.5)                   # float into int64
    with pytest.raises(ValueError) as info:
        net.load_state_dict(bad)
    message = str(info.value)
    for fragment in ("nothing was loaded", "missing keys ['norm.bias']", "unexpected keys ['extra.weight']",
                     "layers.0.weight: expected shape (3, 4), got (4, 3); Linear.weight is (in, out) in labgrad, "
                     "PyTorch's is (out, in): transpose it (w.T)",
                     "norm.num_batches_tracked: cannot cast dtype float64 to int64"):
        assert fragment in message
    _assert_unchanged(net, before)


def test_a_single_bad_shape_refuses_the_whole_load():
    net = Net()
    before = _snapshot(net)
    bad = {k: v + 1 for k, v in net.state_dict().items()}
    bad["norm.running_var"] = np.ones(3, np.float32)
    with pytest.raises(ValueError, match=r"norm.running_var: expected shape \(2,\), got \(3,\)"):
        net.load_state_dict(bad)
    _assert_unchanged(net, before)


def test_non_strict_load_skips_and_reports_names_but_not_bad_shapes():
    layer = nn.Linear(2, 3, rng=0)
    result = layer.load_state_dict({"weight": np.ones((2, 3)), "other": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(layer.weight.data, np.ones((2, 3)))
    with pytest.raises(ValueError, match="weight: expected shape"):
        layer.load_state_dict({"weight": np.ones((3, 3))}, strict=False)


def test_load_accepts_tensors():
    layer = nn.Linear(2, 3, rng=0)
    layer.load_state_dict({k: Tensor(v * 2) for k, v in layer.state_dict().items()})
    np.testing.assert_array_equal(layer.bias.data, np.zeros(3))


def test_deepcopy_gives_an_independent_model():
    net = Net()
    twin = copy.deepcopy(net)
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in net.named_parameters()]
    twin.layers[0].weight.data[...] = 0
    assert net.layers[0].weight.data.any()
    twin.layers[0].weight = nn.Parameter(np.ones((3, 4)))    # registration still works on the copy
    assert next(p for n, p in twin.named_parameters() if n == "layers.0.weight") is twin.layers[0].weight


@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5), seed=st.integers(0, 2 ** 16))
def test_mlp_state_dict_round_trip_property(sizes, seed):
    a = nn.MLP(sizes, rng=seed)
    b = nn.MLP(sizes, rng=seed + 1)
    state = a.state_dict()
    assert sum(v.size for v in state.values()) == sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:]))
    b.load_state_dict(state)
    x = np.random.default_rng(seed).standard_normal((3, sizes[0])).astype(np.float32)
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_train_takes_a_bool_and_a_ragged_value_is_refused_by_name():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="mode must be True or False"):     # (ValueError before issue 15)
        layer.train("False")
    before = layer.state_dict()
    bad = {**before, "weight": [[1.0, 2.0], [3.0]]}
    with pytest.raises(ValueError, match="weight: not an array"):
        layer.load_state_dict(bad)
    np.testing.assert_array_equal(layer.weight.data, before["weight"])


class _OwnNew(nn.Module):
    """A subclass whose __new__ skips Module's (and so never set its revision)."""

    def __new__(cls):
        return object.__new__(cls)

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)


@pytest.mark.parametrize("make", [lambda: nn.Linear(2, 2), _OwnNew], ids=["Linear", "own __new__"])
def test_revision_counts_changes_and_is_not_a_users_attribute(make):
    module = make()
    before = module.revision
    module.p = 0.5                                # a hyperparameter set: counted
    module.train(False)
    assert module.revision == before + 2
    with pytest.raises(AttributeError, match="revision is the module's own count"):
        module.revision = 0
    with pytest.raises(AttributeError, match="revision is the module's own count.*cannot be deleted"):
        del module.revision
    assert copy.deepcopy(module).revision == module.revision
