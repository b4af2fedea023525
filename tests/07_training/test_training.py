"""The training module against the reference package: clipping, schedules, Trainer,
checkpoints, progress output and gradient diagnosis."""
import contextlib
import io

import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.activations import ReLU, Sigmoid, Tanh
from tinytorch.core.layers import Dropout, Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import (
    CosineSchedule, ProgressBar, StepDecay, Trainer, clip_grad_norm, diagnose_gradients, named_parameters,
)


class MomentumSGD:
    """Module 06's optimizer contract (params, lr, zero_grad, step, state_dict, load_state_dict)."""

    def __init__(self, params, lr=0.1, momentum=0.0):
        self.params, self.lr, self.momentum = list(params), lr, momentum
        self.velocities = [np.zeros_like(p.data) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p, v in zip(self.params, self.velocities):
            if p.grad is not None:
                v *= self.momentum
                v += p.grad
                p.data -= self.lr * v

    def state_dict(self):
        state = {"lr": self.lr, "momentum": self.momentum, "steps": 0}
        state.update({f"velocity.{i}": v.copy() for i, v in enumerate(self.velocities)})
        return state

    def load_state_dict(self, state):
        self.lr, self.momentum = state["lr"], state["momentum"]
        assert isinstance(state["steps"], int), "numbers come back as Python numbers"
        for i, v in enumerate(self.velocities):
            v[...] = state[f"velocity.{i}"]


def blobs(n_per_class, seed):
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    y = np.repeat(np.arange(3), n_per_class)
    x = centres[y] + 0.6 * rng.standard_normal((len(y), 2))
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order]


def batches_of(x, y, size):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


def make_trainer(seed, momentum=0.9, **kwargs):
    np.random.seed(seed)
    model = Sequential(Linear(2, 16), Tanh(), Linear(16, 3))
    return Trainer(model, MomentumSGD(model.parameters(), lr=0.2, momentum=momentum), CrossEntropyLoss(), **kwargs)


# ---- clip_grad_norm ---------------------------------------------------------------

def test_clip_scales_by_the_global_norm_and_returns_the_norm_before():
    a, b = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(1), requires_grad=True)
    a.grad, b.grad = np.array([3.0, 4.0]), np.array([12.0])
    assert clip_grad_norm([a, b], 6.5) == pytest.approx(13.0)
    np.testing.assert_allclose(a.grad, [1.5, 2.0])
    np.testing.assert_allclose(b.grad, [6.0])


def test_clip_leaves_small_gradients_alone_and_skips_missing_ones():
    a, missing = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    a.grad = np.array([0.1, 0.2])
    assert clip_grad_norm([a, missing], 1.0) == pytest.approx(np.sqrt(0.05))
    np.testing.assert_array_equal(a.grad, [0.1, 0.2])
    assert missing.grad is None
    assert clip_grad_norm([missing], 1.0) == 0.0


def test_clip_rejects_a_non_positive_limit():
    with pytest.raises(ValueError):
        clip_grad_norm([], 0.0)


def test_clip_leaves_non_finite_gradients_for_the_caller_to_see():
    a = Tensor(np.zeros(2), requires_grad=True)
    a.grad = np.array([np.inf, 1.0])
    assert clip_grad_norm([a], 1.0) == np.inf
    np.testing.assert_array_equal(a.grad, [np.inf, 1.0])


# ---- schedules ---------------------------------------------------------------------

def test_cosine_schedule_matches_the_formula_at_random_steps():
    rng = np.random.default_rng(0)
    for _ in range(30):
        total = int(rng.integers(2, 300))
        warmup = int(rng.integers(0, total))
        high = float(rng.uniform(0.01, 1))
        low = float(rng.uniform(0, high))
        schedule = CosineSchedule(high, low, total, warmup)
        for step in map(int, rng.integers(0, total + 20, size=20)):
            if step < warmup:
                expected = high * (step + 1) / warmup
            elif step >= total:
                expected = low
            else:
                expected = low + 0.5 * (high - low) * (1 + np.cos(np.pi * (step - warmup) / (total - warmup)))
            assert schedule(step) == pytest.approx(expected, rel=1e-12)


def test_cosine_schedule_is_continuous_where_its_pieces_meet():
    schedule = CosineSchedule(1.0, 0.1, total_steps=50, warmup_steps=10)
    assert schedule(9) == pytest.approx(1.0) and schedule(10) == pytest.approx(1.0)
    assert schedule(49) == pytest.approx(0.1, abs=2e-3) and schedule(50) == 0.1


def test_step_decay_and_schedule_arguments_are_checked():
    decay = StepDecay(1.0, step_size=10, gamma=0.5)
    assert [decay(s) for s in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    with pytest.raises(ValueError):
        CosineSchedule(1.0, 0.1, total_steps=5, warmup_steps=5)
    with pytest.raises(ValueError):
        CosineSchedule(0.1, 1.0, total_steps=5)
    with pytest.raises(ValueError):
        StepDecay(1.0, step_size=0)


# ---- Trainer -------------------------------------------------------------------------

def test_train_epoch_equals_the_hand_written_loop_with_a_schedule_and_uneven_batches():
    x, y = blobs(9, seed=1)
    batches = batches_of(x, y, 8)
    schedule = CosineSchedule(0.3, 0.01, total_steps=8, warmup_steps=2)
    trainer = make_trainer(0, scheduler=schedule)
    losses = [trainer.train_epoch(batches) for _ in range(2)]
    reference = make_trainer(0)
    optimizer, step = reference.optimizer, 0
    for epoch in range(2):
        total = 0.0
        for xb, yb in batches:
            optimizer.lr = schedule(step)
            optimizer.zero_grad()
            loss = CrossEntropyLoss()(reference.model(Tensor(xb)), yb)
            loss.backward()
            optimizer.step()
            step += 1
            total += loss.item() * len(xb)
        assert losses[epoch] == pytest.approx(total / len(x), rel=1e-6)
    for mine, theirs in zip(trainer.model.parameters(), reference.model.parameters()):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-6)
    assert (trainer.epoch, trainer.global_step) == (2, 2 * len(batches))


def test_train_epoch_clips_the_update():
    x, y = blobs(5, seed=2)
    trainer = make_trainer(1, momentum=0.0, grad_clip=1e-3)
    for p in trainer.model.parameters():
        p.data = p.data.astype(np.float64)
    trainer.optimizer = MomentumSGD(trainer.model.parameters(), lr=0.1)
    before = [p.data.copy() for p in trainer.model.parameters()]
    trainer.train_epoch([(x.astype(np.float64), y)])
    moved = np.sqrt(sum(np.sum((p.data - b) ** 2) for p, b in zip(trainer.model.parameters(), before)))
    assert moved == pytest.approx(1e-4, rel=1e-9)


def test_empty_batches_are_an_error():
    trainer = make_trainer(0)
    with pytest.raises(ValueError):
        trainer.train_epoch([])
    with pytest.raises(ValueError):
        trainer.evaluate([])


def test_evaluate_uses_eval_mode_no_graph_and_reports_accuracy():
    np.random.seed(3)
    model = Sequential(Linear(2, 32), ReLU(), Dropout(0.5), Linear(32, 3))
    outputs_seen = []

    def spy(outputs, targets):
        outputs_seen.append(outputs)
        return CrossEntropyLoss()(outputs, targets)

    trainer = Trainer(model, MomentumSGD(model.parameters()), spy)
    x, y = blobs(5, seed=3)
    model.train()
    result = trainer.evaluate(batches_of(x, y, 4))
    assert result == trainer.evaluate(batches_of(x, y, 4))
    model.eval()
    logits = model(Tensor(x)).data
    assert result["loss"] == pytest.approx(CrossEntropyLoss()(Tensor(logits), y).item(), rel=1e-5)
    assert result["accuracy"] == pytest.approx(np.mean(logits.argmax(axis=1) == y))
    assert all(o.grad_fn is None for o in outputs_seen)
    assert all(p.grad is None for p in model.parameters())


def test_evaluate_gives_no_accuracy_for_regression():
    np.random.seed(0)
    model = Sequential(Linear(3, 1))
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    result = Trainer(model, MomentumSGD(model.parameters()), MSELoss()).evaluate([(x, x[:, :1])])
    assert result["accuracy"] is None and result["loss"] > 0


def test_fit_returns_one_history_entry_per_epoch_and_learns():
    x, y = blobs(40, seed=4)
    trainer = make_trainer(4)
    history = trainer.fit(batches_of(x[:90], y[:90], 15), batches_of(x[90:], y[90:], 15), epochs=8, progress=False)
    assert set(history) == {"train_loss", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 8 for v in history.values())
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_accuracy"][-1] >= 0.9
    no_val = trainer.fit(batches_of(x, y, 30), epochs=1, progress=False)
    assert no_val["val_loss"] == [None] and no_val["val_accuracy"] == [None]


def test_checkpoint_round_trip_reproduces_the_next_epochs_exactly(tmp_path):
    x, y = blobs(20, seed=5)
    train = batches_of(x, y, 12)
    trainer = make_trainer(5, scheduler=CosineSchedule(0.2, 0.02, total_steps=30, warmup_steps=4))
    trainer.fit(train, epochs=2, progress=False)
    path = tmp_path / "run.npz"
    trainer.save_checkpoint(path)
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]
    expected = trainer.fit(train, train, epochs=2, progress=False)
    resumed = make_trainer(123, scheduler=CosineSchedule(0.2, 0.02, total_steps=30, warmup_steps=4))
    resumed.load_checkpoint(path)
    assert (resumed.epoch, resumed.global_step) == (2, 2 * len(train))
    assert resumed.fit(train, train, epochs=2, progress=False) == expected
    for mine, theirs in zip(resumed.model.parameters(), trainer.model.parameters()):
        np.testing.assert_array_equal(mine.data, theirs.data)
    for mine, theirs in zip(resumed.optimizer.velocities, trainer.optimizer.velocities):
        np.testing.assert_array_equal(mine, theirs)


def test_checkpoint_keys_hold_parameters_optimizer_state_and_position(tmp_path):
    trainer = make_trainer(6)
    trainer.save_checkpoint(tmp_path / "c")
    with np.load(tmp_path / "c") as saved:
        keys = set(saved.files)
    assert {"parameter.0", "parameter.3", "optimizer.velocity.0", "optimizer_scalar.lr", "epoch", "global_step"} <= keys


def test_loading_a_checkpoint_into_another_architecture_fails_clearly_and_changes_nothing(tmp_path):
    make_trainer(7).save_checkpoint(tmp_path / "c.npz")
    np.random.seed(0)
    other = Trainer(Sequential(Linear(2, 8), Tanh(), Linear(8, 3)), MomentumSGD([]), CrossEntropyLoss())
    before = [p.data.copy() for p in other.model.parameters()]
    with pytest.raises(ValueError, match="shape"):
        other.load_checkpoint(tmp_path / "c.npz")
    deeper = Trainer(Sequential(Linear(2, 16), Tanh(), Linear(16, 16), Linear(16, 3)), MomentumSGD([]), CrossEntropyLoss())
    with pytest.raises(ValueError, match="parameters"):
        deeper.load_checkpoint(tmp_path / "c.npz")
    assert all(np.array_equal(p.data, b) for p, b in zip(other.model.parameters(), before))


def test_fit_prints_one_line_per_epoch_when_not_a_terminal_and_nothing_when_asked():
    x, y = blobs(10, seed=8)
    trainer = make_trainer(8)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        trainer.fit(batches_of(x, y, 5), epochs=3)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[2].startswith("epoch 3/3 [####################] 6/6 batches loss ")
    with contextlib.redirect_stdout(io.StringIO()) as out:
        trainer.fit(batches_of(x, y, 5), epochs=1, progress=False)
    assert out.getvalue() == ""


def test_progress_bar_redraws_in_place_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    bar = ProgressBar(2, stream=screen, width=10)
    bar.start_epoch(1, total_batches=5)
    for done in range(1, 6):
        bar.update(done, 0.25)
    bar.end_epoch(0.25, val_accuracy=0.75)
    text = screen.getvalue()
    assert text.count("\r") == 6 and text.count("\n") == 1
    assert text.endswith("epoch 1/2 [##########] 5/5 batches loss 0.250 val_accuracy 0.750\n")


# ---- diagnosis ---------------------------------------------------------------------------

def test_named_parameters_follow_attribute_paths_in_parameters_order():
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1, bias=False))
    named = named_parameters(model)
    assert list(named) == ["layers.0.weight", "layers.0.bias", "layers.2.weight"]
    assert [id(p) for p in named.values()] == [id(p) for p in model.parameters()]


def test_report_prints_a_table_and_flags_missing_gradients():
    np.random.seed(0)
    model = Sequential(Linear(4, 4), Sigmoid(), Linear(4, 2))
    report = diagnose_gradients(model)
    assert not report.healthy and all(flag == "missing" for flag in report.flags.values())
    assert "layers.0.weight" in str(report) and "none" in str(report)
    assert "4 problem(s)" in repr(report)
