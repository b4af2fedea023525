"""The reference package's layers (tinytorch.core.layers), as later modules rely on them."""
import numpy as np
import pytest

from autograder.gradcheck import GradientCheckError, check_parameter_coverage, check_vjp
from tinytorch.core.layers import Dropout, Layer, Linear, Sequential
from tinytorch.core.tensor import Tensor


class Affine(Layer):
    def __init__(self, size):
        self.scale = Tensor(np.ones(size), requires_grad=True)
        self.shift = Tensor(np.zeros(size), requires_grad=True)
        self.constant = Tensor(np.ones(size))

    def forward(self, x):
        return x * self.scale + self.shift


class ActivationLike:
    """What module 02's activations look like to Sequential: callable, parameters() == []."""

    def __call__(self, x):
        return Tensor(np.tanh(x.data))

    def parameters(self):
        return []


def same_tensors(got, expected):
    return len(got) == len(expected) and all(a is b for a, b in zip(got, expected))


def linear_as_function(layer):
    """forward(x, W[, b]) and backward(g, x, W[, b]) of a layer in float64, for check_vjp."""
    def use(weight, bias):
        layer.weight = Tensor(weight, requires_grad=True)
        layer.bias = None if bias is None else Tensor(bias, requires_grad=True)

    def forward(x, weight, bias=None):
        use(weight, bias)
        return layer(Tensor(x)).data

    def backward(grad_output, x, weight, bias=None):
        use(weight, bias)
        grad_x, grad_weight, grad_bias = layer.backward(Tensor(x), grad_output)
        return (grad_x, grad_weight) if bias is None else (grad_x, grad_weight, grad_bias)

    return forward, backward


# ---- shapes and dtypes ---------------------------------------------------------------------

def test_linear_shapes_dtypes_and_bias():
    layer = Linear(5, 3)
    assert layer.weight.shape == (5, 3) and layer.bias.shape == (3,)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert layer.weight.requires_grad and layer.bias.requires_grad
    assert not np.any(layer.bias.data)
    assert layer(Tensor(np.ones((4, 5)))).shape == (4, 3)
    assert layer(Tensor(np.ones((2, 7, 5)))).shape == (2, 7, 3)
    assert layer(Tensor(np.ones((4, 5), dtype=np.float32))).dtype == np.float32


def test_linear_without_bias_has_one_parameter():
    layer = Linear(5, 3, bias=False)
    assert layer.bias is None
    assert same_tensors(layer.parameters(), [layer.weight])
    x = np.random.default_rng(0).standard_normal((2, 5))
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data, rtol=1e-6)


def test_linear_forward_uses_tensor_operations(monkeypatch):
    """Module 05 differentiates Linear through Tensor's @ and +: forward must call them."""
    calls = []
    plain_matmul, plain_add = Tensor.matmul, Tensor.__add__
    monkeypatch.setattr(Tensor, "matmul", lambda a, b: calls.append("@") or plain_matmul(a, b))
    monkeypatch.setattr(Tensor, "__add__", lambda a, b: calls.append("+") or plain_add(a, b))
    Linear(3, 2)(Tensor(np.ones((1, 3))))
    assert calls == ["@", "+"]


def test_unknown_init_is_rejected():
    with pytest.raises(ValueError, match="xavier"):
        Linear(3, 2, init="zeros")


# ---- initialization statistics --------------------------------------------------------------

@pytest.mark.parametrize("n_in,n_out", [(300, 700), (800, 400)])
def test_xavier_is_uniform_with_glorot_limit(n_in, n_out):
    np.random.seed(0)
    weight = Linear(n_in, n_out).weight.data
    limit = np.sqrt(6 / (n_in + n_out))
    assert np.abs(weight).max() <= limit and np.abs(weight).max() > 0.99 * limit
    assert abs(weight.std() / (limit / np.sqrt(3)) - 1) < 0.02
    assert abs(weight.mean()) < 0.02 * limit


@pytest.mark.parametrize("n_in,n_out", [(300, 700), (800, 400)])
def test_he_is_normal_with_std_sqrt_2_over_fan_in(n_in, n_out):
    np.random.seed(1)
    weight = Linear(n_in, n_out, init="he").weight.data
    target = np.sqrt(2 / n_in)
    assert abs(weight.std() / target - 1) < 0.02
    assert abs(weight.mean()) < 0.02 * target
    assert abs(np.mean(np.abs(weight) < target) - 0.6827) < 0.01


def test_init_follows_the_global_numpy_seed():
    np.random.seed(42)
    first = Linear(4, 6, init="he").weight.data.copy()
    np.random.seed(42)
    assert np.array_equal(first, Linear(4, 6, init="he").weight.data)


def test_he_keeps_a_deep_relu_stack_at_unit_scale_and_xavier_does_not():
    np.random.seed(0)
    x = np.random.standard_normal((256, 128)).astype(np.float32)
    stds = {}
    for init in ("xavier", "he"):
        h = Tensor(x)
        for _ in range(12):
            h = Tensor(np.maximum(Linear(128, 128, init=init)(h).data, 0))
        stds[init] = h.data.std()
    assert 0.3 < stds["he"] < 3
    assert stds["xavier"] < 0.1


# ---- parameters() coverage ----------------------------------------------------------------

def test_parameters_recurse_into_layers_lists_and_tuples_once_each():
    class Model(Layer):
        def __init__(self):
            self.encoder = Affine(2)
            self.blocks = [Affine(2), (Affine(2), [Affine(2)])]
            self.activation = ActivationLike()
            self.alias = self.encoder
            self.extra = Tensor(np.ones(2), requires_grad=True)
            self.tied = self.extra
            self.table = Tensor(np.ones(3))
            self.kind = Affine
            self.sizes = (2, 3)

    model = Model()
    affines = [model.encoder, model.blocks[0], model.blocks[1][0], model.blocks[1][1][0]]
    expected = [p for a in affines for p in (a.scale, a.shift)] + [model.extra]
    assert same_tensors(model.parameters(), expected)
    assert check_parameter_coverage(model)


def test_coverage_check_catches_a_parameters_override_that_forgets_a_layer():
    class Forgetful(Layer):
        def __init__(self):
            self.first, self.second = Linear(2, 2), Linear(2, 2)

        def parameters(self):
            return self.first.parameters()

    with pytest.raises(GradientCheckError, match="second"):
        check_parameter_coverage(Forgetful())


def test_sequential_collects_parameters_in_order_including_nested_sequentials():
    layers = [Linear(3, 4), Linear(4, 4, bias=False), Linear(4, 2)]
    model = Sequential(layers[0], ActivationLike(), Sequential(layers[1], ActivationLike()), layers[2])
    expected = [layers[0].weight, layers[0].bias, layers[1].weight, layers[2].weight, layers[2].bias]
    assert same_tensors(model.parameters(), expected)
    check_parameter_coverage(model)


def test_a_shared_layer_contributes_its_parameters_once():
    shared = Linear(3, 3)
    assert len(Sequential(shared, ActivationLike(), shared).parameters()) == 2


# ---- train / eval -----------------------------------------------------------------------------

def test_train_and_eval_reach_every_nested_layer_and_return_self():
    inner = Sequential(Dropout(0.2), Linear(2, 2))
    holder = Sequential(Linear(2, 2), inner)
    holder.extra = [[Dropout(0.5)]]
    everything = [holder, holder[0], inner, inner[0], inner[1], holder.extra[0][0]]
    assert all(layer.training for layer in everything)
    assert holder.eval() is holder
    assert not any(layer.training for layer in everything)
    assert holder.train() is holder
    assert all(layer.training for layer in everything)


def test_a_layer_without_init_starts_in_training_mode():
    class Bare(Layer):
        def forward(self, x):
            return x

    assert Bare().training is True


# ---- Dropout ------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    np.random.seed(3)
    x = Tensor(np.ones((500, 400), dtype=np.float32))
    dropout = Dropout(p)
    out = dropout(x).data
    assert out.dtype == np.float32
    assert abs(np.mean(out == 0) - p) < 0.01
    np.testing.assert_allclose(out[out != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(out.mean() - 1) < 0.02
    np.testing.assert_array_equal(out, x.data * dropout.mask)


def test_dropout_is_the_identity_in_eval_mode_and_at_p_zero():
    x = Tensor(np.random.default_rng(0).standard_normal((20, 30)))
    assert Dropout(0.5).eval()(x) is x
    assert Dropout(0.0)(x) is x


@pytest.mark.parametrize("p", [1.0, 1.5, -0.1])
def test_dropout_rejects_p_outside_zero_one(p):
    with pytest.raises(ValueError):
        Dropout(p)


def test_dropout_forward_is_a_tensor_multiplication(monkeypatch):
    calls = []
    plain_mul = Tensor.__mul__
    monkeypatch.setattr(Tensor, "__mul__", lambda a, b: calls.append("*") or plain_mul(a, b))
    Dropout(0.5)(Tensor(np.ones(10)))
    assert calls == ["*"]


# ---- Linear.backward against central differences -------------------------------------------------

@pytest.mark.parametrize("x_shape", [(5, 4), (3, 6, 4), (2, 2, 3, 4), (4,)])
def test_linear_backward_matches_central_differences(x_shape):
    rng = np.random.default_rng(sum(x_shape))
    forward, backward = linear_as_function(Linear(4, 3))
    inputs = [rng.standard_normal(x_shape), rng.standard_normal((4, 3)), rng.standard_normal(3)]
    assert max(check_vjp(f"Linear on {x_shape}", forward, backward, inputs).values()) < 1e-7


def test_linear_backward_without_bias():
    rng = np.random.default_rng(7)
    forward, backward = linear_as_function(Linear(3, 5, bias=False))
    check_vjp("Linear(bias=False)", forward, backward, [rng.standard_normal((2, 4, 3)), rng.standard_normal((3, 5))])
    assert Linear(3, 5, bias=False).backward(np.ones((2, 3)), np.ones((2, 5)))[2] is None


def test_linear_backward_returns_numpy_arrays_of_the_right_shapes():
    grads = Linear(4, 3).backward(Tensor(np.ones((2, 6, 4))), Tensor(np.ones((2, 6, 3))))
    assert [type(g) for g in grads] == [np.ndarray] * 3
    assert [g.shape for g in grads] == [(2, 6, 4), (4, 3), (3,)]
    np.testing.assert_allclose(grads[2], [12.0] * 3)


def test_a_transposed_weight_gradient_is_caught():
    """The gradient check the graded cells rely on fails a classic bug: G.T @ x for x.T @ G."""
    rng = np.random.default_rng(1)
    layer = Linear(4, 4)
    forward, _ = linear_as_function(layer)

    def transposed_backward(grad_output, x, weight, bias):
        layer.weight, layer.bias = Tensor(weight), Tensor(bias)
        return grad_output @ weight.T, grad_output.T @ x, grad_output.sum(axis=0)

    with pytest.raises(GradientCheckError, match="transposed"):
        check_vjp("Linear", forward, transposed_backward,
                  [rng.standard_normal((6, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4)])
