"""The gradient-flow check library catches planted bugs, and passes correct gradients.

The bugs are planted in a tiny stand-in for a tensor whose `backward` is written by hand,
so each test controls exactly one mistake: a wrong sign, a missing accumulation, a dropped
broadcast reduction, a transposed matmul gradient, a parameter left out of parameters().
"""
import numpy as np
import pytest

from autograder.gradcheck import (
    GradientCheckError, check_gradient_flow, check_model_gradients, check_parameter_coverage,
    check_vjp, compare_gradients, numerical_gradient, relative_error,
)


class Leaf:
    """Just enough of a Tensor for the checks: data, grad, requires_grad."""

    def __init__(self, data):
        self.data = np.asarray(data, dtype=np.float64)
        self.grad = None
        self.requires_grad = True


class Loss:
    """A scalar whose backward() runs a hand-written gradient rule."""

    def __init__(self, value, rule):
        self.data = np.asarray(value)
        self.rule = rule

    def backward(self):
        self.rule()


def _accumulate(leaf, grad):
    leaf.grad = grad if leaf.grad is None else leaf.grad + grad


RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 3))
W = RNG.standard_normal((3, 3))
B = RNG.standard_normal(3)
UP = RNG.standard_normal((3, 3))


def affine(bug=None):
    """L = sum((x @ w + b - x) * x * UP) with an optional planted bug in its backward."""
    x, w, b = Leaf(X.copy()), Leaf(W.copy()), Leaf(B.copy())

    def loss():
        y = x.data @ w.data + b.data - x.data
        return Loss(np.sum(y * x.data * UP), lambda: rule(y))

    def rule(y):
        g_y = x.data * UP                                   # d/dy
        g_x_direct = y * UP                                 # x used as a factor
        g_w = x.data.T @ g_y if bug != "transposed" else (x.data.T @ g_y).T
        g_b = g_y.sum(axis=0) if bug != "no-broadcast-reduction" else g_y
        g_x_matmul = g_y @ w.data.T
        g_x_minus = -g_y if bug != "wrong-sign" else g_y
        _accumulate(w, g_w)
        _accumulate(b, g_b)
        if bug == "no-accumulation":                        # later uses overwrite earlier ones
            x.grad = g_x_minus
        else:
            _accumulate(x, g_x_direct + g_x_matmul + g_x_minus)

    return loss, {"x": x, "w": w, "b": b}


def test_a_correct_gradient_passes_with_a_tiny_error():
    loss, tensors = affine()
    errors = check_gradient_flow(loss, tensors)
    assert set(errors) == {"x", "w", "b"} and max(errors.values()) < 1e-8


@pytest.mark.parametrize("bug,tensor,hint", [
    ("wrong-sign", "x", "check the derivative formula"),
    ("no-accumulation", "x", "adds up all of its gradient contributions"),
    ("transposed", "w", "looks transposed"),
])
def test_planted_value_bugs_are_caught_with_a_useful_message(bug, tensor, hint):
    loss, tensors = affine(bug)
    with pytest.raises(GradientCheckError) as error:
        check_gradient_flow(loss, tensors)
    message = str(error.value)
    assert message.startswith(f"{tensor}: gradient does not match central differences")
    assert "relative error found" in message and "expected below 1e-05" in message
    assert hint in message


def test_a_dropped_broadcast_reduction_is_a_shape_error():
    loss, tensors = affine("no-broadcast-reduction")
    with pytest.raises(GradientCheckError, match=r"b.grad has shape \(3, 3\) but b has shape \(3,\)"):
        check_gradient_flow(loss, tensors)


def test_the_sign_hint_names_a_flipped_sign():
    x = Leaf(X.copy())
    loss = lambda: Loss(np.sum(np.sin(x.data)), lambda: _accumulate(x, -np.cos(x.data)))
    with pytest.raises(GradientCheckError, match="wrong sign"):
        check_gradient_flow(loss, {"x": x})


def test_a_missing_scale_is_named_with_its_factor():
    x = Leaf(X.copy())
    loss = lambda: Loss(np.mean(x.data ** 2), lambda: _accumulate(x, 2 * x.data))  # forgot the 1/n
    with pytest.raises(GradientCheckError, match="same factor 9"):
        check_gradient_flow(loss, {"x": x})


def test_missing_and_zero_gradients_are_named():
    x, y = Leaf(X.copy()), Leaf(X.copy())
    with pytest.raises(GradientCheckError, match=r"y.grad is None after loss.backward\(\)"):
        check_gradient_flow(lambda: Loss(np.sum(x.data * y.data), lambda: _accumulate(x, y.data)), {"x": x, "y": y})
    with pytest.raises(GradientCheckError, match="y.grad is all zeros"):
        check_gradient_flow(
            lambda: Loss(np.sum(x.data * y.data), lambda: (_accumulate(x, y.data), _accumulate(y, 0 * x.data))),
            {"x": x, "y": y},
        )


def test_float32_inputs_are_refused_with_a_reason():
    with pytest.raises(GradientCheckError, match="need float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))


def test_a_non_scalar_loss_is_refused():
    x = Leaf(X.copy())
    with pytest.raises(GradientCheckError, match="single number"):
        check_gradient_flow(lambda: Loss(x.data * 2, lambda: None), {"x": x})


class Model:
    def __init__(self, skip_bias=False):
        self.encoder = {"unused": 1}
        self.layers = [Leaf(W.copy()), Leaf(B.copy())]
        self.head = Leaf(W.copy())
        self.frozen = Leaf(B.copy())
        self.frozen.requires_grad = False
        self.skip_bias = skip_bias

    def parameters(self):
        found = [self.layers[0], self.head]
        return found if self.skip_bias else found + [self.layers[1]]


def test_a_parameter_left_out_of_parameters_is_caught():
    assert set(check_parameter_coverage(Model())) == {"Model.layers.0", "Model.layers.1", "Model.head"}
    with pytest.raises(GradientCheckError, match=r"Model.layers.1 is a trainable tensor of the model but parameters\(\)"):
        check_parameter_coverage(Model(skip_bias=True))


def test_check_model_gradients_checks_coverage_then_every_gradient():
    model = Model()
    w, b, head = model.layers[0], model.layers[1], model.head

    def loss():
        h = X @ w.data + b.data
        out = h @ head.data
        def rule():
            _accumulate(head, h.T @ UP)
            g_h = UP @ head.data.T
            _accumulate(w, X.T @ g_h)
            _accumulate(b, g_h.sum(axis=0))
        return Loss(np.sum(out * UP), rule)

    errors = check_model_gradients(model, loss)
    assert set(errors) == {"Model.layers.0", "Model.layers.1", "Model.head"}


def test_check_vjp_on_a_local_backward():
    sigmoid = lambda x: 1 / (1 + np.exp(-x))
    errors = check_vjp("sigmoid", sigmoid, lambda g, x: g * sigmoid(x) * (1 - sigmoid(x)), [X])
    assert list(errors) == ["sigmoid"] and errors["sigmoid"] < 1e-8
    assert set(check_vjp("product", lambda a, b: a * b, lambda g, a, b: (g * b, g * a), [X, W])) == {
        "product (input 0)", "product (input 1)"}
    with pytest.raises(GradientCheckError, match="sigmoid: gradient does not match"):
        check_vjp("sigmoid", sigmoid, lambda g, x: g * sigmoid(x) * (1 + sigmoid(x)), [X])
    with pytest.raises(GradientCheckError, match="input 1"):
        check_vjp("product", lambda a, b: a * b, lambda g, a, b: (g * b, g * b), [X, W])


def test_a_backward_that_ignores_its_upstream_gradient_fails():
    with pytest.raises(GradientCheckError):
        check_vjp("tanh", np.tanh, lambda g, x: 1 - np.tanh(x) ** 2, [X])


def test_sampled_entries_are_deterministic_and_still_catch_bugs():
    x = Leaf(RNG.standard_normal((20, 20)))
    good = lambda: Loss(np.sum(x.data ** 3), lambda: _accumulate(x, 3 * x.data ** 2))
    first = check_gradient_flow(good, {"x": x}, max_entries=25, seed=3)
    assert first == check_gradient_flow(good, {"x": x}, max_entries=25, seed=3)
    bad = lambda: Loss(np.sum(x.data ** 3), lambda: _accumulate(x, 3 * x.data ** 2 + (x.data > 0)))
    with pytest.raises(GradientCheckError):
        check_gradient_flow(bad, {"x": x}, max_entries=25, seed=3)


def test_relative_error_scales_by_the_largest_entry():
    assert relative_error([1.0, 0.0], [1.0, 1e-12]) < 1e-11
    assert relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert relative_error([2.0], [1.0]) == pytest.approx(0.5)
    with pytest.raises(GradientCheckError, match="NaN or inf"):
        compare_gradients("z", np.array([np.nan]), np.array([1.0]))


def test_a_gradient_that_is_zero_by_the_mathematics_can_be_declared():
    x, constant_shift = Leaf(X.copy()), Leaf(B.copy())

    def loss():
        shifted = x.data + constant_shift.data.sum()          # the same shift for every entry ...
        centred = shifted - shifted.mean()                    # ... is removed again here
        def rule():
            _accumulate(x, 2 * centred)  # centred has mean 0, so the mean's gradient vanishes
            _accumulate(constant_shift, np.zeros(3))
        return Loss(np.sum(centred ** 2), rule)

    with pytest.raises(GradientCheckError, match="constant_shift.grad is all zeros"):
        check_gradient_flow(loss, {"x": x, "constant_shift": constant_shift})
    errors = check_gradient_flow(loss, {"x": x, "constant_shift": constant_shift}, zero_gradients=("constant_shift",))
    assert errors["constant_shift"] == 0.0 and errors["x"] < 1e-8

    def wrong_rule_loss():
        result = loss()
        result.rule = lambda: (_accumulate(x, 2 * (x.data - x.data.mean())),
                               _accumulate(constant_shift, np.ones(3)))
        return result

    with pytest.raises(GradientCheckError, match="should be zero"):
        check_gradient_flow(wrong_rule_loss, {"x": x, "constant_shift": constant_shift}, zero_gradients=("constant_shift",))
