"""The reference package's losses (tinytorch.core.losses), as later modules rely on them."""
import numpy as np
import pytest

from autograder.gradcheck import check_vjp
from tinytorch.core.losses import (BinaryCrossEntropyLoss, CrossEntropyLoss, Loss, MSELoss,
                                   log_softmax)
from tinytorch.core.tensor import Tensor

# Overflow, 0/0 and log(0) must not happen; exp of a very negative shifted logit rounding
# to 0 inside a sum is expected and harmless.
STRICT = dict(all="raise", under="ignore")


def reference_log_softmax(x, axis):
    """Float64 log-softmax by the textbook formula (safe for moderate values only)."""
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


def reference_cross_entropy(logits, targets):
    return np.mean(-reference_log_softmax(logits, 1)[np.arange(len(targets)), targets])


# ---- log_softmax ----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)])
def test_log_softmax_matches_the_formula_along_every_dim(shape):
    values = np.random.default_rng(1).standard_normal(shape) * 3
    for dim in range(-len(shape), len(shape)):
        got = log_softmax(Tensor(values), dim=dim)
        assert isinstance(got, Tensor) and got.shape == shape
        np.testing.assert_allclose(got.data, reference_log_softmax(values, dim), rtol=1e-12, atol=1e-13)


def test_log_softmax_accepts_a_numpy_array():
    values = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(log_softmax(values).data, reference_log_softmax(values, -1))


@pytest.mark.parametrize("scale", [1e3, 1e4, 1e30])
def test_log_softmax_is_finite_at_huge_logits(scale):
    logits = np.array([[1.0, 0.0, -1.0], [-1.0, -1.0, -2.0]]) * scale
    with np.errstate(**STRICT):
        got = log_softmax(Tensor(logits)).data
    assert np.all(np.isfinite(got)) and np.all(got <= 0)
    np.testing.assert_allclose(got[0], [0.0, -scale, -2 * scale])


def test_log_softmax_is_shift_invariant():
    values = np.random.default_rng(2).standard_normal((4, 6))
    np.testing.assert_allclose(log_softmax(Tensor(values + 1e4)).data, log_softmax(Tensor(values)).data, atol=1e-9)


def test_log_softmax_propagates_nan_to_its_own_slice_only():
    """A NaN logit is a bug upstream: it must show, not be hidden, and not spread to other rows."""
    values = np.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]])
    with np.errstate(invalid="ignore"):
        got = log_softmax(Tensor(values)).data
    assert np.all(np.isnan(got[0]))
    np.testing.assert_allclose(got[1], reference_log_softmax(values[1], -1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_keeps_the_dtype(dtype):
    assert log_softmax(Tensor(np.ones((2, 3), dtype=dtype))).dtype == dtype


def test_log_softmax_is_built_from_tensor_operations(monkeypatch):
    """Module 05 differentiates log_softmax through the Tensor operations it calls."""
    calls = []
    for name in ("max", "exp", "sum", "log", "__sub__"):
        plain = getattr(Tensor, name)
        monkeypatch.setattr(Tensor, name, lambda *a, _plain=plain, _name=name, **k: calls.append(_name) or _plain(*a, **k))
    log_softmax(Tensor([[1.0, 2.0]]))
    assert {"max", "exp", "sum", "log", "__sub__"} <= set(calls)


# ---- the Loss interface -------------------------------------------------------------------------

def test_call_goes_through_forward_by_name(monkeypatch):
    """Calling a loss runs its (possibly replaced) forward, looked up on the instance."""
    monkeypatch.setattr(MSELoss, "forward", lambda self, p, t: "wrapped")
    assert MSELoss()(Tensor([1.0]), [1.0]) == "wrapped"


def test_base_class_methods_are_abstract():
    with pytest.raises(NotImplementedError):
        Loss()(Tensor([1.0]), [1.0])
    with pytest.raises(NotImplementedError):
        Loss().backward(Tensor([1.0]), [1.0])


# ---- values against float64 formulas ------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_mse_values(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 6, size=rng.integers(1, 4)))
    p, t = rng.standard_normal(shape), rng.standard_normal(shape)
    loss = MSELoss()(Tensor(p), Tensor(t))
    assert isinstance(loss, Tensor) and loss.shape == ()
    np.testing.assert_allclose(loss.item(), np.mean((p - t) ** 2), rtol=1e-13)
    np.testing.assert_allclose(MSELoss().backward(Tensor(p), t), 2 * (p - t) / p.size, rtol=1e-13)


@pytest.mark.parametrize("seed", range(4))
def test_cross_entropy_values(seed):
    rng = np.random.default_rng(10 + seed)
    n, c = rng.integers(1, 9, size=2)
    z, y = rng.standard_normal((n, c)) * 4, rng.integers(0, c, size=n)
    np.testing.assert_allclose(CrossEntropyLoss()(Tensor(z), y).item(), reference_cross_entropy(z, y), rtol=1e-12)
    softmax = np.exp(reference_log_softmax(z, 1))
    np.testing.assert_allclose(CrossEntropyLoss().backward(Tensor(z), y), (softmax - np.eye(c)[y]) / n, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("classes", [2, 3, 10, 1000])
def test_cross_entropy_of_uniform_logits_is_log_c(classes):
    logits = Tensor(np.full((5, classes), 3.7))
    np.testing.assert_allclose(CrossEntropyLoss()(logits, np.arange(5) % classes).item(), np.log(classes), rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_bce_values(seed):
    rng = np.random.default_rng(20 + seed)
    shape = tuple(rng.integers(1, 6, size=rng.integers(1, 4)))
    p, t = rng.uniform(0.01, 0.99, shape), rng.uniform(0, 1, shape)
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(BinaryCrossEntropyLoss()(Tensor(p), t).item(), expected, rtol=1e-12)
    np.testing.assert_allclose(BinaryCrossEntropyLoss().backward(Tensor(p), t), (p - t) / (p * (1 - p)) / p.size, rtol=1e-12)


def test_bce_through_a_sigmoid_gives_p_minus_t_at_the_logit():
    z = np.linspace(-5, 5, 11)
    p = 1 / (1 + np.exp(-z))
    t = (z > 0).astype(np.float64)
    logit_gradient = BinaryCrossEntropyLoss().backward(Tensor(p), t) * p * (1 - p)
    np.testing.assert_allclose(logit_gradient, (p - t) / p.size, rtol=1e-12)


# ---- every backward against central differences ---------------------------------------------------

def _vjp(loss, targets):
    forward = lambda x: np.asarray(loss.forward(Tensor(x), targets).data)
    backward = lambda upstream, x: upstream * loss.backward(Tensor(x), targets)
    return forward, backward


@pytest.mark.parametrize("seed", range(3))
def test_every_backward_matches_central_differences(seed):
    rng = np.random.default_rng(30 + seed)
    p, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    check_vjp("MSELoss", *_vjp(MSELoss(), t), [p], seed=seed)
    z, y = rng.standard_normal((5, 7)) * 3, rng.integers(0, 7, size=5)
    check_vjp("CrossEntropyLoss", *_vjp(CrossEntropyLoss(), y), [z], seed=seed)
    probabilities, soft = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))
    check_vjp("BinaryCrossEntropyLoss", *_vjp(BinaryCrossEntropyLoss(), soft), [probabilities], seed=seed)


# ---- stability at the extremes ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e3, 1e4])
def test_cross_entropy_is_finite_at_huge_logits(dtype, scale):
    rng = np.random.default_rng(40)
    z = (rng.choice([-1.0, 1.0], size=(6, 5)) * scale).astype(dtype)
    y = rng.integers(0, 5, size=6)
    with np.errstate(**STRICT):
        loss = CrossEntropyLoss()(Tensor(z), y).item()
        gradient = CrossEntropyLoss().backward(Tensor(z), y)
    assert np.isfinite(loss) and np.all(np.isfinite(gradient))
    assert np.all(np.abs(gradient) <= 1.0 / 6 + 1e-7), "each entry of (softmax - onehot) / N lies in [-1/N, 1/N]"
    np.testing.assert_allclose(gradient.sum(axis=1), 0.0, atol=1e-6)


def test_cross_entropy_at_tiny_logits_is_log_c():
    with np.errstate(**STRICT):
        loss = CrossEntropyLoss()(Tensor(np.full((2, 4), 1e-300)), [0, 3]).item()
    np.testing.assert_allclose(loss, np.log(4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_is_finite_at_probabilities_0_and_1(dtype):
    p = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype)
    t = np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype)
    with np.errstate(all="raise"):
        loss = BinaryCrossEntropyLoss()(Tensor(p), t).item()
        gradient = BinaryCrossEntropyLoss().backward(Tensor(p), t)
    assert np.isfinite(loss) and np.all(np.isfinite(gradient))
    # Two certainly-wrong elements cost about -log(eps) each, the right ones about 0.
    np.testing.assert_allclose(loss, -np.log(1e-7) / 2, rtol=1e-2)
    assert gradient[0] < 0 < gradient[1]


def test_bce_clamp_is_below_one_in_float32():
    """1 - eps must not round to 1.0 in float32, or log(1 - p) is -inf again."""
    assert np.float32(1) - np.float32(BinaryCrossEntropyLoss().eps) < 1


def test_nan_input_propagates_to_the_loss():
    """NaN is never silently turned into a number: the loss shows it."""
    with np.errstate(invalid="ignore"):
        assert np.isnan(MSELoss()(Tensor([np.nan, 1.0]), [0.0, 0.0]).item())
        assert np.isnan(CrossEntropyLoss()(Tensor([[np.nan, 1.0], [0.0, 1.0]]), [0, 1]).item())
        assert np.isnan(BinaryCrossEntropyLoss()(Tensor([np.nan, 0.5]), [1.0, 0.0]).item())


# ---- targets and errors ---------------------------------------------------------------------------

def test_targets_as_list_array_or_tensor_agree():
    z = np.random.default_rng(50).standard_normal((4, 3))
    ids = [2, 0, 1, 1]
    values = {CrossEntropyLoss()(Tensor(z), given).item() for given in (ids, np.array(ids), Tensor(ids))}
    assert len(values) == 1
    p, t = Tensor([[0.2, 0.7]]), [[0.0, 1.0]]
    for loss in (MSELoss(), BinaryCrossEntropyLoss()):
        results = [loss(p, given).item() for given in (t, np.array(t), Tensor(t))]
        assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("loss", [MSELoss(), BinaryCrossEntropyLoss()], ids=lambda l: type(l).__name__)
@pytest.mark.parametrize("method", ["forward", "backward"])
def test_shape_mismatch_names_both_shapes(loss, method):
    with pytest.raises(ValueError) as error:
        getattr(loss, method)(Tensor(np.full((4, 1), 0.5)), np.zeros(4))
    assert "(4, 1)" in str(error.value) and "(4,)" in str(error.value)


@pytest.mark.parametrize("targets,mentions", [([0, 3], "3"), ([-1, 0], "-1"), ([0, 1, 2], "(3,)"), ([[0, 1]], "(1, 2)")])
@pytest.mark.parametrize("method", ["forward", "backward"])
def test_cross_entropy_rejects_bad_targets_clearly(targets, mentions, method):
    with pytest.raises(ValueError) as error:
        getattr(CrossEntropyLoss(), method)(Tensor(np.zeros((2, 3))), targets)
    assert mentions in str(error.value)


def test_cross_entropy_needs_2d_logits():
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        CrossEntropyLoss()(Tensor(np.zeros(3)), [0])


# ---- dtypes and new tensors -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_in_is_dtype_out(dtype):
    rng = np.random.default_rng(60)
    cases = [
        (MSELoss(), rng.standard_normal((3, 2)), rng.standard_normal((3, 2))),
        (CrossEntropyLoss(), rng.standard_normal((3, 4)), np.array([0, 3, 1])),
        (BinaryCrossEntropyLoss(), rng.uniform(0.1, 0.9, (3, 2)), rng.integers(0, 2, (3, 2)).astype(np.float64)),
    ]
    for loss, predictions, targets in cases:
        predictions = Tensor(predictions.astype(dtype))
        assert loss(predictions, targets).dtype == dtype, type(loss).__name__
        assert loss.backward(predictions, targets).dtype == dtype, type(loss).__name__


def test_losses_leave_their_inputs_alone():
    z = np.random.default_rng(70).standard_normal((3, 4))
    logits = Tensor(z.copy())
    CrossEntropyLoss()(logits, [0, 1, 2])
    CrossEntropyLoss().backward(logits, [0, 1, 2])
    np.testing.assert_array_equal(logits.data, z)
    p = Tensor(np.array([0.0, 1.0]))
    BinaryCrossEntropyLoss().backward(p, [1.0, 0.0])
    np.testing.assert_array_equal(p.data, [0.0, 1.0])


def test_training_a_linear_classifier_with_the_hand_gradient():
    """The loss's backward, chained through a matmul by hand, is enough to learn."""
    rng = np.random.default_rng(80)
    labels = np.repeat(np.arange(3), 40)
    centres = np.array([[3.0, 0.0], [-1.5, 2.6], [-1.5, -2.6]])
    x = Tensor(centres[labels] + 0.5 * rng.standard_normal((120, 2)))
    weight, bias = Tensor(np.zeros((2, 3))), Tensor(np.zeros(3))
    loss_fn, history = CrossEntropyLoss(), []
    for _ in range(100):
        logits = x @ weight + bias
        history.append(loss_fn(logits, labels).item())
        gradient = Tensor(loss_fn.backward(logits, labels))
        weight, bias = weight - 0.5 * (x.T @ gradient), bias - 0.5 * gradient.sum(axis=0)
    assert history[0] == pytest.approx(np.log(3))
    assert history[-1] < 0.1 * history[0]
    assert np.mean((x @ weight + bias).data.argmax(axis=1) == labels) > 0.95
