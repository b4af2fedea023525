"""The reference package's activations (tinytorch.core.activations), as later modules rely on them."""
import numpy as np
import pytest

from autograder.gradcheck import GradientCheckError, check_vjp
from tinytorch.core.activations import GELU, Activation, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.tensor import Tensor

ELEMENTWISE = [Sigmoid, ReLU, Tanh, GELU]
ALL = [Sigmoid, ReLU, Tanh, GELU, Softmax]


def reference(activation, values):
    """The textbook formula in float64 (fine for moderate values)."""
    values = np.asarray(values, dtype=np.float64)
    if isinstance(activation, Sigmoid):
        return 1 / (1 + np.exp(-values))
    if isinstance(activation, ReLU):
        return np.where(values > 0, values, 0.0)
    if isinstance(activation, Tanh):
        return (np.exp(values) - np.exp(-values)) / (np.exp(values) + np.exp(-values))
    if isinstance(activation, GELU):
        return 0.5 * values * (1 + np.tanh(np.sqrt(2 / np.pi) * (values + 0.044715 * values**3)))
    exponentials = np.exp(values)
    return exponentials / exponentials.sum(axis=activation.dim, keepdims=True)


def away_from_kinks(values):
    """ReLU has a kink at 0: central differences there average two slopes."""
    return np.where(np.abs(values) < 0.1, np.sign(values + 1e-12) * 0.1 + values, values)


def check_local_backward(activation, values, seed=0):
    return check_vjp(
        repr(activation),
        lambda x: activation.forward(Tensor(x)).data,
        lambda upstream, x: activation.backward(Tensor(x), upstream),
        [values],
        seed=seed,
    )


def no_float_errors():
    """Overflow, invalid (NaN-making) and divide-by-zero raise; underflow to 0 is correct."""
    return np.errstate(all="raise", under="ignore")


@pytest.mark.parametrize("make", ALL)
def test_values_match_float64_formulas(make):
    rng = np.random.default_rng(1)
    activation = make()
    for shape in [(7,), (3, 5), (2, 3, 4)]:
        values = rng.standard_normal(shape) * 3
        np.testing.assert_allclose(activation(Tensor(values)).data, reference(activation, values), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("make", ALL)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved_forward_and_backward(make, dtype):
    activation = make()
    x = Tensor(np.random.default_rng(2).standard_normal((3, 4)).astype(dtype))
    assert activation(x).dtype == dtype
    assert activation.backward(x, np.ones(x.shape, dtype=dtype)).dtype == dtype


@pytest.mark.parametrize("make", ALL)
def test_forward_returns_a_new_tensor_and_leaves_its_input_alone(make):
    values = np.array([[-1.5, 0.5, 2.0]])
    x = Tensor(values.copy())
    y = make()(x)
    assert isinstance(y, Tensor) and y is not x and y.data is not x.data
    np.testing.assert_array_equal(x.data, values)


@pytest.mark.parametrize("make", ALL)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_plus_minus_1000(make, dtype):
    activation = make()
    x = Tensor(np.array([[-1000.0, -100.0, 0.0, 100.0, 1000.0]], dtype=dtype))
    with no_float_errors():
        y = activation(x).data
        grad = activation.backward(x, np.ones(x.shape, dtype=dtype))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))
    expected = {
        Sigmoid: [0, 0, 0.5, 1, 1], ReLU: [0, 0, 0, 100, 1000], Tanh: [-1, -1, 0, 1, 1],
        GELU: [0, 0, 0, 100, 1000], Softmax: [0, 0, 0, 0, 1],
    }[make]
    np.testing.assert_allclose(y[0], expected, atol=1e-30)


@pytest.mark.parametrize("make", ELEMENTWISE)
def test_tiny_inputs_behave_like_the_first_order_expansion(make):
    """Near 0: sigmoid ~ 1/2 + x/4, tanh ~ x, GELU ~ x/2, ReLU(x) = x for x > 0."""
    activation = make()
    tiny = np.array([1e-30, 1e-300, 5e-324, -1e-30])
    with no_float_errors():
        y = activation(Tensor(tiny)).data
        slope = activation.backward(Tensor(tiny), np.ones_like(tiny))
    first_order = {Sigmoid: (0.5, 0.25), Tanh: (0.0, 1.0), GELU: (0.0, 0.5)}
    if make is ReLU:
        np.testing.assert_array_equal(y, [1e-30, 1e-300, 5e-324, 0.0])
        np.testing.assert_array_equal(slope, [1, 1, 1, 0])
    else:
        value_at_0, slope_at_0 = first_order[make]
        np.testing.assert_allclose(y, value_at_0 + slope_at_0 * tiny, rtol=1e-12, atol=0)
        np.testing.assert_allclose(slope, slope_at_0, rtol=1e-12)


def test_softmax_of_tiny_logits_is_uniform():
    with no_float_errors():
        y = Softmax()(Tensor(np.full((2, 4), 1e-30))).data
    np.testing.assert_allclose(y, 0.25, rtol=1e-12)


@pytest.mark.parametrize("make", ELEMENTWISE)
def test_nan_propagates(make):
    """A NaN input gives a NaN output in its own position, and leaves the others alone."""
    x = Tensor(np.array([np.nan, 1.0]))
    y = make()(x).data
    assert np.isnan(y[0]) and np.isfinite(y[1])


def test_softmax_nan_spreads_over_its_own_row_only():
    y = Softmax()(Tensor(np.array([[np.nan, 1.0], [0.0, 1.0]]))).data
    assert np.all(np.isnan(y[0]))
    np.testing.assert_allclose(y[1].sum(), 1.0)


def test_infinite_inputs_saturate_sigmoid_and_tanh_and_pass_through_relu():
    infinities = Tensor(np.array([-np.inf, np.inf]))
    with no_float_errors():
        np.testing.assert_array_equal(Sigmoid()(infinities).data, [0.0, 1.0])
        np.testing.assert_array_equal(Tanh()(infinities).data, [-1.0, 1.0])
        np.testing.assert_array_equal(ReLU()(infinities).data, [0.0, np.inf])
        assert GELU()(Tensor(np.array([np.inf]))).data[0] == np.inf


def test_gelu_of_minus_infinity_is_nan():
    """Documented limitation: 0.5 x (1 + tanh u) is -inf * 0 at x = -inf, which IEEE makes NaN."""
    with np.errstate(invalid="ignore"):
        assert np.isnan(GELU()(Tensor(np.array([-np.inf]))).data[0])


def test_softmax_gives_minus_infinity_logits_probability_zero():
    """What attention masks rely on (module 12): -inf scores get exactly 0 probability."""
    logits = np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, -np.inf]])
    with no_float_errors():
        y = Softmax()(Tensor(logits)).data
    unmasked = reference(Softmax(), [0.0, 1.0])
    np.testing.assert_allclose(y[0], [unmasked[0], 0.0, unmasked[1]], rtol=1e-12)
    np.testing.assert_array_equal(y[1], [0.0, 1.0, 0.0])


def test_softmax_of_a_fully_masked_row_is_nan():
    """Documented limitation: every logit -inf leaves nothing to normalize (-inf - -inf is NaN)."""
    with np.errstate(invalid="ignore"):
        y = Softmax()(Tensor(np.full((1, 3), -np.inf))).data
    assert np.all(np.isnan(y))


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2])
def test_softmax_sums_to_one_along_any_dim(dim):
    values = np.random.default_rng(3).standard_normal((3, 4, 5)) * 10
    y = Softmax(dim=dim)(Tensor(values)).data
    np.testing.assert_allclose(y.sum(axis=dim), 1.0, rtol=1e-12)
    assert np.all(y > 0)
    np.testing.assert_allclose(y, reference(Softmax(dim=dim), values), rtol=1e-10)


def test_softmax_ignores_a_shift_of_each_row():
    values = np.random.default_rng(4).standard_normal((3, 4))
    shift = np.array([[1000.0], [-1000.0], [500.0]])
    with no_float_errors():
        np.testing.assert_allclose(Softmax()(Tensor(values + shift)).data, Softmax()(Tensor(values)).data, rtol=1e-9)


@pytest.mark.parametrize("make", ALL)
@pytest.mark.parametrize("shape", [(6,), (3, 4), (2, 3, 4)])
def test_backward_matches_central_differences(make, shape):
    activation = make()
    values = np.random.default_rng(5).standard_normal(shape) * 2
    if make is ReLU:
        values = away_from_kinks(values)
    assert max(check_local_backward(activation, values).values()) < 1e-7


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_backward_along_each_dim(dim):
    values = np.random.default_rng(6).standard_normal((3, 4, 2))
    check_local_backward(Softmax(dim=dim), values)


def test_softmax_backward_never_builds_the_jacobian_but_equals_it():
    y_values = np.random.default_rng(7).standard_normal(5)
    upstream = np.random.default_rng(8).standard_normal(5)
    y = Softmax()(Tensor(y_values)).data
    jacobian = np.diag(y) - np.outer(y, y)
    np.testing.assert_allclose(Softmax().backward(Tensor(y_values), upstream), jacobian.T @ upstream, rtol=1e-12, atol=1e-15)


class _WrongSigmoid(Sigmoid):
    def backward(self, x, grad_output):
        s = self.forward(x).data
        return grad_output * s * (1 + s)


class _WrongReLU(ReLU):
    def backward(self, x, grad_output):
        return grad_output * (x.data != 0)


class _WrongTanh(Tanh):
    def backward(self, x, grad_output):
        return grad_output * (1 - np.tanh(x.data))


class _WrongGELU(GELU):
    def backward(self, x, grad_output):
        u = self.SQRT_2_OVER_PI * (x.data + self.CUBIC * x.data**3)
        return grad_output * 0.5 * (1 + np.tanh(u))


class _WrongSoftmax(Softmax):
    def backward(self, x, grad_output):
        return self.forward(x).data * grad_output


class _IgnoresUpstream(Tanh):
    def backward(self, x, grad_output):
        return 1 - np.tanh(x.data) ** 2


@pytest.mark.parametrize("wrong", [_WrongSigmoid, _WrongReLU, _WrongTanh, _WrongGELU, _WrongSoftmax, _IgnoresUpstream])
def test_a_wrong_local_backward_is_caught(wrong):
    values = away_from_kinks(np.random.default_rng(9).standard_normal((3, 4)) * 2)
    with pytest.raises(GradientCheckError, match="does not match central differences"):
        check_local_backward(wrong(), values)


def test_activations_have_no_parameters():
    for make in ALL:
        activation = make()
        assert isinstance(activation, Activation) and activation.parameters() == []


def test_call_goes_through_forward_by_name(monkeypatch):
    """Calling an activation runs its (possibly replaced) forward, looked up on the instance."""
    calls = []
    plain_forward = Tanh.forward
    monkeypatch.setattr(Tanh, "forward", lambda self, x: calls.append("forward") or plain_forward(self, x))
    Tanh()(Tensor([0.5]))
    assert calls == ["forward"]


def test_backward_does_not_call_forward(monkeypatch):
    """In module 05 forward records graph nodes; backward must work from x.data alone."""
    x = Tensor(np.array([[0.3, -1.2, 2.0]]))
    for make in ALL:
        monkeypatch.setattr(make, "forward", lambda self, x: pytest.fail(f"{make.__name__}.backward called forward"))
        make().backward(x, np.ones(x.shape))


def test_the_base_class_asks_for_an_implementation():
    with pytest.raises(NotImplementedError):
        Activation()(Tensor([1.0]))
    with pytest.raises(NotImplementedError):
        Activation().backward(Tensor([1.0]), np.ones(1))
