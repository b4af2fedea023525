"""The autograd engine of module 05: accumulation, zero_grad, no_grad, depth, idempotence."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autograder.gradcheck import check_gradient_flow
from autograder.modules import PROJECT_ROOT
from tinytorch.core.autograd import (
    AddBackward, MulBackward, SumBackward, enable_autograd, graph_summary, no_grad, topological_order,
)
from tinytorch.core.tensor import Tensor


def test_two_backward_calls_accumulate_and_zero_grad_resets():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w * 3.0).sum().backward()
    (w * 3.0).sum().backward()
    np.testing.assert_allclose(w.grad, [6.0, 6.0])
    w.zero_grad()
    assert w.grad is None
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [2.0, 4.0])


def test_no_grad_records_nothing_and_restores_recording():
    w = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        out = (w * 2).sum()
        with no_grad():
            inner = w + 1
        after_inner = w + 1
    assert out.grad_fn is None and inner.grad_fn is None and after_inner.grad_fn is None
    assert (w + 1).grad_fn is not None


def test_a_very_deep_graph_needs_no_recursion():
    x = Tensor(np.array([1.0]), requires_grad=True)
    h = x
    for _ in range(20000):
        h = h + x
    h.sum().backward()
    np.testing.assert_allclose(x.grad, [20001.0])


def test_topological_order_visits_a_shared_subgraph_once():
    x = Tensor(np.ones(2), requires_grad=True)
    shared = x * 2
    out = (shared + shared * shared).sum()
    order = topological_order(out)
    assert len(order) == len({id(t) for t in order}) == 5
    assert order.index(x) < order.index(shared) < order.index(out)


def test_enable_autograd_is_idempotent():
    enable_autograd()
    enable_autograd()
    x = Tensor(np.array([3.0]), requires_grad=True)
    y = x * x
    assert isinstance(y.grad_fn, MulBackward) and y.grad_fn.inputs == (x, x), "no wrapper around a wrapper"
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [6.0])


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="one-element"):
        (x * 2).backward()
    (x * 2).backward(np.full((2, 2), 0.5))
    np.testing.assert_allclose(x.grad, np.ones((2, 2)))


def test_graph_summary_lists_the_graph():
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    text = graph_summary((w @ w + 1.0).sum())
    assert "MatmulBackward" in text and "AddBackward" in text and "SumBackward" in text and "leaf" in text


def test_broadcast_gradients_come_back_in_each_inputs_shape():
    rng = np.random.default_rng(5)
    a = Tensor(rng.standard_normal((2, 1, 4)), requires_grad=True)
    b = Tensor(rng.standard_normal((3, 1)), requires_grad=True)
    c = Tensor(rng.standard_normal(()), requires_grad=True)
    check_gradient_flow(lambda: ((a * b + c) ** 2).sum(), {"a": a, "b": b, "c": c})


def test_importing_the_first_four_modules_does_not_switch_autograd_on():
    """The trap of DESIGN section 4: if it did, a blank module-05 notebook would pass."""
    code = textwrap.dedent("""
        import tinytorch, tinytorch.core.tensor, tinytorch.core.activations
        import tinytorch.core.layers, tinytorch.core.losses
        from tinytorch.core.tensor import Tensor
        from tinytorch.core.activations import Sigmoid
        x = Tensor([1.0], requires_grad=True)
        print((x * 2).grad_fn is None, Sigmoid()(x).grad_fn is None)
        import tinytorch.core.autograd
        print((x * 2).grad_fn is None, Sigmoid()(x).grad_fn is None)
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": ""}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "False", "False"]


def test_each_function_holds_exactly_its_operation_arguments():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    assert isinstance((x + 1).grad_fn, AddBackward) and (x + 1).grad_fn.inputs == (x, 1)
    reduced = x.sum(axis=1, keepdims=True)
    assert isinstance(reduced.grad_fn, SumBackward)
    assert (reduced.grad_fn.axis, reduced.grad_fn.keepdims) == (1, True)


def test_attach_records_a_custom_function_only_when_needed():
    from tinytorch.core.autograd import Function, attach

    class Double(Function):
        def backward(self, grad_output):
            return (2 * grad_output,)

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = attach(Tensor(2 * x.data), Double(x))
    assert isinstance(y.grad_fn, Double) and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0])
    assert attach(Tensor(2 * x.data), Double(Tensor(x.data))).grad_fn is None, "no input requires grad"
    with no_grad():
        assert attach(Tensor(2 * x.data), Double(x)).grad_fn is None, "no_grad switches it off"
