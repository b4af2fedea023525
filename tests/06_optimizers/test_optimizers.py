"""The reference package's optimizers (tinytorch.core.optimizers) against independent float64 references."""
import io

import numpy as np
import pytest

from tinytorch.core.optimizers import SGD, Adam, AdamW, Optimizer
from tinytorch.core.tensor import Tensor


def reference_sgd(theta, grads, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
    """torch.optim.SGD (dampening 0) in float64, one step per gradient."""
    theta, buffer = theta.astype(np.float64).copy(), None
    for g in grads:
        g = g.astype(np.float64) + weight_decay * theta
        if momentum:
            buffer = g.copy() if buffer is None else momentum * buffer + g
            g = g + momentum * buffer if nesterov else buffer
        theta = theta - lr * g
    return theta


def reference_adam(theta, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """Adam (L2 in the gradient) or AdamW (decoupled decay) in float64."""
    beta1, beta2 = betas
    theta = theta.astype(np.float64).copy()
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        theta = theta - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return theta


def run(optimizer_class, theta, grads, **hyper):
    param = Tensor(theta.copy(), requires_grad=True)
    optimizer = optimizer_class([param], **hyper)
    for g in grads:
        param.grad = g
        optimizer.step()
    return param, optimizer


SGD_SETTINGS = [
    dict(lr=0.1), dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.3), dict(lr=0.02, momentum=0.5, weight_decay=0.1, nesterov=True),
]


@pytest.mark.parametrize("hyper", SGD_SETTINGS, ids=str)
def test_sgd_matches_the_reference_over_five_steps(hyper):
    rng = np.random.default_rng(60)
    theta = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) for _ in range(5)]
    param, _ = run(SGD, theta, grads, **hyper)
    np.testing.assert_allclose(param.data, reference_sgd(theta, grads, **hyper), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("hyper", [dict(lr=0.01), dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6),
                                   dict(lr=0.01, weight_decay=0.2)], ids=str)
def test_adam_matches_the_reference_over_five_steps(hyper):
    rng = np.random.default_rng(61)
    theta = rng.standard_normal((2, 5))
    grads = [rng.standard_normal((2, 5)) * 10.0 ** rng.integers(-4, 2, size=(2, 5)) for _ in range(5)]
    param, _ = run(Adam, theta, grads, **hyper)
    np.testing.assert_allclose(param.data, reference_adam(theta, grads, **hyper), rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("hyper", [dict(lr=0.01), dict(lr=0.05, weight_decay=0.3, betas=(0.85, 0.95))], ids=str)
def test_adamw_matches_the_reference_with_decoupled_decay(hyper):
    rng = np.random.default_rng(62)
    theta = rng.standard_normal(7)
    grads = [rng.standard_normal(7) for _ in range(5)]
    param, _ = run(AdamW, theta, grads, **hyper)
    expected = reference_adam(theta, grads, **{"weight_decay": 0.01, **hyper}, decoupled=True)
    np.testing.assert_allclose(param.data, expected, rtol=1e-11, atol=1e-14)


def test_adam_first_step_is_lr_times_sign_of_the_gradient():
    grad = np.array([1e3, -1e-3, 5.0, -2.0])
    param, _ = run(Adam, np.zeros(4), [grad], lr=0.01)
    np.testing.assert_allclose(param.data, -0.01 * np.sign(grad), rtol=1e-4)


def test_adamw_and_adam_with_l2_differ_but_agree_without_decay():
    rng = np.random.default_rng(63)
    theta, grads = rng.standard_normal(6), [rng.standard_normal(6) for _ in range(3)]
    adamw, _ = run(AdamW, theta, grads, lr=0.01, weight_decay=0.0)
    adam, _ = run(Adam, theta, grads, lr=0.01)
    np.testing.assert_array_equal(adamw.data, adam.data)
    adamw, _ = run(AdamW, theta, grads, lr=0.01, weight_decay=0.5)
    adam, _ = run(Adam, theta, grads, lr=0.01, weight_decay=0.5)
    assert not np.allclose(adamw.data, adam.data, rtol=1e-6, atol=0)


OPTIMIZERS = [
    lambda ps: SGD(ps, lr=0.1),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: Adam(ps, lr=0.1, weight_decay=0.1),
    lambda ps: AdamW(ps, lr=0.1, weight_decay=0.1),
]
NAMES = ["sgd", "momentum-decay", "nesterov", "adam-l2", "adamw"]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=NAMES)
def test_parameters_without_gradient_stay_bit_identical_and_get_no_state(make):
    rng = np.random.default_rng(64)
    params = [Tensor(rng.standard_normal((3, 3)), requires_grad=True) for _ in range(3)]
    optimizer = make(params)
    before = [p.data.copy() for p in params]
    for step in range(3):
        params[0].grad = rng.standard_normal((3, 3))
        params[2].grad = rng.standard_normal((3, 3)) if step == 0 else None
        optimizer.step()
    assert not np.array_equal(params[0].data, before[0])
    assert np.array_equal(params[1].data, before[1])
    assert 1 not in optimizer.state


@pytest.mark.parametrize("make", OPTIMIZERS, ids=NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_and_updates_are_in_place(make, dtype):
    rng = np.random.default_rng(65)
    param = Tensor(rng.standard_normal((5, 2)).astype(dtype), requires_grad=True)
    storage = param.data
    optimizer = make([param])
    for _ in range(3):
        param.grad = rng.standard_normal((5, 2)).astype(dtype)
        optimizer.step()
    assert param.dtype == dtype and param.data is storage
    for buffers in optimizer.state.values():
        for value in buffers.values():
            if isinstance(value, np.ndarray):
                assert value.dtype == dtype


def test_a_float64_gradient_does_not_promote_a_float32_parameter():
    param = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    optimizer = Adam([param], lr=0.1)
    param.grad = np.ones(3, dtype=np.float64)
    optimizer.step()
    assert param.dtype == np.float32 and optimizer.state[0]["exp_avg"].dtype == np.float32


def test_lr_changed_between_steps_is_used():
    param, optimizer = run(SGD, np.zeros(2), [np.ones(2)], lr=0.1)
    optimizer.lr = 1.0
    param.grad = np.ones(2)
    optimizer.step()
    np.testing.assert_allclose(param.data, [-1.1, -1.1])


def test_zero_grad_sets_none():
    params = [Tensor(np.ones(2), requires_grad=True) for _ in range(2)]
    optimizer = SGD(params, lr=0.1)
    for p in params:
        p.grad = np.ones(2)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)


@pytest.mark.parametrize("make", OPTIMIZERS, ids=NAMES)
def test_state_dict_round_trip_through_npz_reproduces_the_next_steps_exactly(make):
    rng = np.random.default_rng(66)
    shapes = [(4, 3), (3,), (2, 2, 2)]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(6)]
    params = [Tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]
    original = make(params)

    def steps(optimizer, ps, batch):
        for gs in batch:
            for p, g in zip(ps, gs):
                p.grad = g
            optimizer.step()

    steps(original, params, grads[:3])
    original.lr = 0.037
    saved = original.state_dict()
    assert all(isinstance(v, np.ndarray) for v in saved.values())
    at_save = [p.data.copy() for p in params]
    steps(original, params, grads[3:])

    file = io.BytesIO()
    np.savez(file, **saved)
    file.seek(0)
    copies = [Tensor(w.copy(), requires_grad=True) for w in at_save]
    resumed = make(copies)
    resumed.load_state_dict(dict(np.load(file)))
    assert resumed.lr == pytest.approx(0.037)
    steps(resumed, copies, grads[3:])
    for a, b in zip(params, copies):
        np.testing.assert_array_equal(a.data, b.data)


def test_state_dict_is_a_snapshot_and_hyperparameters_keep_their_types():
    param = Tensor(np.zeros(3), requires_grad=True)
    optimizer = Adam([param], lr=0.1, betas=(0.8, 0.9))
    param.grad = np.ones(3)
    optimizer.step()
    saved = optimizer.state_dict()
    assert set(saved) == {"lr", "betas", "eps", "weight_decay", "state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq"}
    snapshot = {k: v.copy() for k, v in saved.items()}
    optimizer.step()
    for key in saved:
        np.testing.assert_array_equal(saved[key], snapshot[key])
    other = Adam([Tensor(np.zeros(3), requires_grad=True)])
    other.load_state_dict(saved)
    assert other.betas == (0.8, 0.9) and isinstance(other.betas, tuple)
    assert other.state[0]["step"] == 1 and isinstance(other.state[0]["step"], int)
    sgd = SGD([Tensor(np.zeros(2), requires_grad=True)], lr=0.1, momentum=0.9, nesterov=True)
    restored = SGD([Tensor(np.zeros(2), requires_grad=True)], lr=1.0, momentum=0.5)
    restored.load_state_dict(sgd.state_dict())
    assert restored.nesterov is True and restored.momentum == 0.9 and restored.lr == 0.1


def test_load_state_dict_rejects_what_does_not_fit():
    optimizer = SGD([Tensor(np.zeros(3), requires_grad=True)], lr=0.1, momentum=0.9)
    good = dict(lr=np.asarray(0.1), momentum=np.asarray(0.9), weight_decay=np.asarray(0.0), nesterov=np.asarray(False))
    with pytest.raises(ValueError):
        optimizer.load_state_dict({**good, "state.0.momentum_buffer": np.zeros(4)})
    with pytest.raises(ValueError):
        optimizer.load_state_dict({**good, "state.5.momentum_buffer": np.zeros(3)})
    with pytest.raises(KeyError, match="momentum"):
        optimizer.load_state_dict({"lr": np.asarray(0.1)})


def test_state_bytes_per_parameter():
    def bytes_per_parameter(make, dtype):
        params = [Tensor(np.ones((10, 10), dtype=dtype), requires_grad=True), Tensor(np.ones(10, dtype=dtype), requires_grad=True)]
        optimizer = make(params)
        for p in params:
            p.grad = np.ones_like(p.data)
        optimizer.step()
        return optimizer.state_bytes() / 110

    assert bytes_per_parameter(lambda ps: SGD(ps, lr=0.1), np.float32) == 0
    assert bytes_per_parameter(lambda ps: SGD(ps, lr=0.1, momentum=0.9), np.float32) == 4
    assert bytes_per_parameter(lambda ps: Adam(ps), np.float32) == 8
    assert bytes_per_parameter(lambda ps: AdamW(ps), np.float64) == 16


@pytest.mark.parametrize("call", [
    lambda: Optimizer([]),
    lambda: SGD([], lr=0.1),
    lambda: SGD([Tensor([1.0])], lr=-0.1),
    lambda: SGD([Tensor([1.0])], lr=0.1, momentum=-0.1),
    lambda: SGD([Tensor([1.0])], lr=0.1, weight_decay=-0.1),
    lambda: SGD([Tensor([1.0])], lr=0.1, nesterov=True),
    lambda: Adam([Tensor([1.0])], lr=-1.0),
    lambda: Adam([Tensor([1.0])], betas=(1.0, 0.999)),
    lambda: Adam([Tensor([1.0])], betas=(0.9, -0.1)),
    lambda: Adam([Tensor([1.0])], eps=-1.0),
    lambda: AdamW([Tensor([1.0])], weight_decay=-0.01),
], ids=["empty", "sgd-empty", "negative-lr", "negative-momentum", "negative-decay", "nesterov-no-momentum",
        "adam-negative-lr", "beta1-one", "beta2-negative", "negative-eps", "adamw-negative-decay"])
def test_invalid_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_non_tensor_parameter_raises_type_error():
    with pytest.raises(TypeError):
        SGD([np.ones(3)], lr=0.1)


def test_base_step_is_abstract():
    with pytest.raises(NotImplementedError):
        Optimizer([Tensor([1.0])]).step()
