"""Issue 15: one backward walk (backward, backward_steps and viz share the engine's), per-thread modes,
and pictures driven by the op classes' display attributes."""
import threading

import numpy as np
import pytest

from autograd import AnomalyError, Tensor, detect_anomaly, is_grad_enabled, no_grad, viz
from autograd.function import Function
from autograd.trace import backward_steps


class CountingScale(Function):
    """A user op (untrusted) that counts its backward calls."""
    name = "scale3"
    calls = 0

    def forward(self, x):
        return x * 3

    def backward(self, g, out, x):
        CountingScale.calls += 1
        return (g * 3,)


def float32_graph():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((5, 4)).astype(np.float32), requires_grad=True, name="w")
    b = Tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True, name="b")
    x = Tensor(rng.standard_normal((7, 5)).astype(np.float32))
    h = CountingScale.apply((x @ w + b).tanh())
    loss = (h * h + h * w.sum()).mean()          # w used twice: gradients add up at a shared leaf
    return loss, w, b


def test_backward_steps_gradients_equal_backward_bit_for_bit_in_float32():
    loss, w, b = float32_graph()
    CountingScale.calls = 0
    steps = backward_steps(loss)
    steps_calls = CountingScale.calls
    loss.backward()
    assert w.grad.dtype == np.float32
    assert steps.grad(w).tobytes() == w.grad.tobytes() and steps.grad(b).tobytes() == b.grad.tobytes()
    # the walk calls the user's backward once; backward_steps once more for the local derivative
    assert CountingScale.calls - steps_calls == 1 and steps_calls == 2


def test_viz_intermediate_gradients_come_from_the_same_walk_and_change_nothing():
    loss, w, b = float32_graph()
    loss.backward()
    before = w.grad.copy()
    CountingScale.calls = 0
    viz.draw(loss)
    assert CountingScale.calls == 1                       # one recorded walk, after the graph was released
    assert w.grad.tobytes() == before.tobytes()


def _in_thread(enter, check):
    """Run ``check`` in a second thread while this one is inside ``enter``; the events interleave them."""
    inside, checked, result = threading.Event(), threading.Event(), {}

    def other():
        inside.wait()
        try:
            result["value"] = check()
        except BaseException as e:  # noqa: BLE001 (reported to the test)
            result["error"] = e
        checked.set()

    thread = threading.Thread(target=other)
    thread.start()
    with enter():
        inside.set()
        assert checked.wait(5)
    thread.join(5)
    return result


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    w = Tensor([1.0, 2.0], requires_grad=True)

    def records():
        return is_grad_enabled(), (w * 2).requires_grad

    result = _in_thread(no_grad, records)
    assert result == {"value": (True, True)}
    with no_grad():                                      # and this thread is not recording meanwhile
        assert not is_grad_enabled() and not (w * 2).requires_grad
    assert (w * 2).requires_grad


def test_no_grad_in_another_thread_leaves_this_thread_recording():
    w = Tensor([1.0, 2.0], requires_grad=True)
    entered, done = threading.Event(), threading.Event()

    def other():
        with no_grad():
            entered.set()
            done.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    entered.wait(5)
    try:
        assert is_grad_enabled() and (w * 2).requires_grad
    finally:
        done.set()
        thread.join(5)


def test_detect_anomaly_in_one_thread_does_not_check_another():
    def log_of_zero():
        with np.errstate(divide="ignore"):
            return Tensor([0.0]).log().data.tolist()

    result = _in_thread(detect_anomaly, log_of_zero)
    assert result == {"value": [-np.inf]}
    with detect_anomaly(), pytest.raises(AnomalyError, match="log"):
        Tensor([0.0]).log()


class Blend(Function):
    """A user op with its own display facts."""
    name = "<>"
    infix = True

    def forward(self, a, b, weight=0.25):
        self.weight = weight
        return a + b

    def backward(self, g, out, a, b):
        return g, g


class Blend2(Blend):
    name = "blend"
    infix = False
    commutative = True

    def describe(self):
        return f"w={self.weight}"


def _op_node(source):
    return next(line for line in source.splitlines() if "op" in line.split("[")[0] and "label=" in line)


@pytest.mark.parametrize("cls, circle, labels_ab, text", [
    (Blend, True, True, "weight=0.25"),     # infix: a symbol in a circle; not commutative: edges a and b
    (Blend2, False, False, "w=0.25"),       # commutative: no edge labels; describe() is the small print
])
def test_display_attributes_of_the_class_drive_the_picture(cls, circle, labels_ab, text):
    a, b = Tensor(1.0, requires_grad=True, name="a"), Tensor(2.0, requires_grad=True, name="b")
    out = cls.apply(a, b)
    source = viz.draw(out).source
    node = _op_node(source)
    assert ("shape=circle" in node) == circle and text in node
    assert ('headlabel=a' in source) == labels_ab
    formula = str(backward_steps(out, names=locals())).splitlines()[2]
    assert (f"a {cls.name} b" in formula) == cls.infix and (f"{cls.name}(a, b)" in formula) != cls.infix


def test_user_ops_are_not_trusted_unless_they_say_so():
    assert Blend.trusted is False and CountingScale.trusted is False


def test_one_block_object_entered_twice_restores_each_entry():
    from autograd import is_grad_enabled
    block = no_grad()
    with block:
        with block:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    w = Tensor([1.0], requires_grad=True)
    inside, release = threading.Event(), threading.Event()

    def other_thread():
        with no_grad():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=other_thread)
    worker.start()
    inside.wait(5)
    try:
        assert (w * 2).requires_grad          # another thread's block changes nothing here
    finally:
        release.set()
        worker.join()


@pytest.mark.parametrize("mode", ["no_grad", "enable_grad"])
def test_a_mode_given_a_non_function_is_a_type_error(mode):
    import autograd
    with pytest.raises(TypeError, match=f"{mode}: takes no argument"):
        getattr(autograd, mode)(3)


def test_a_step_names_the_input_slot_the_walk_passed_to_even_when_one_tensor_fills_two():
    class FirstIgnored(Function):
        """out = 2 a + 3 b, whose backward gives a no gradient (None): only b's slot gets one."""
        name = "first_ignored"

        def forward(self, a, b):
            return 2 * a + 3 * b

        def backward(self, g, out, a, b):
            return None, g * 3.0

    x = Tensor([1.0, 2.0], requires_grad=True)
    y = FirstIgnored.apply(x, x).sum()
    steps = backward_steps(y)
    step = [s for s in steps if s.op.name == "first_ignored"][0]
    assert step.index == 1                                   # the slot the gradient went to, not x's first
    np.testing.assert_array_equal(step.local, [3.0, 3.0])    # its local derivative is b's, 3
