"""Module 07's Trainer with module 06's real optimizers: training, checkpoints, schedules."""
import numpy as np
import pytest

from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam, AdamW
from tinytorch.core.training import CosineSchedule, Trainer


def blobs(seed):
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    labels = np.repeat(np.arange(3), 40)
    points = (centers[labels] + rng.standard_normal((120, 2)) * 0.6).astype(np.float32)
    return [(points[i:i + 20], labels[i:i + 20]) for i in range(0, 120, 20)]


def make_trainer(optimizer_class, seed=0, **options):
    np.random.seed(seed)
    model = Sequential(Linear(2, 16), ReLU(), Linear(16, 3))
    optimizer = optimizer_class(model.parameters(), **options)
    return Trainer(model, optimizer, CrossEntropyLoss())


@pytest.mark.parametrize("optimizer_class,options", [
    (SGD, {"lr": 0.1, "momentum": 0.9}), (Adam, {"lr": 0.01}), (AdamW, {"lr": 0.01, "weight_decay": 0.01}),
])
def test_each_optimizer_trains_a_classifier_through_the_trainer(optimizer_class, options):
    trainer = make_trainer(optimizer_class, **options)
    batches = blobs(1)
    history = trainer.fit(batches, batches, epochs=15, progress=False)
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_accuracy"][-1] > 0.9


@pytest.mark.parametrize("optimizer_class", [SGD, Adam, AdamW])
def test_a_checkpoint_resumes_training_exactly(tmp_path, optimizer_class):
    batches = blobs(2)
    options = {"lr": 0.05, "momentum": 0.9} if optimizer_class is SGD else {"lr": 0.01}
    first = make_trainer(optimizer_class, seed=3, **options)
    first.fit(batches, epochs=2, progress=False)
    first.save_checkpoint(tmp_path / "checkpoint.npz")
    first.fit(batches, epochs=1, progress=False)

    resumed = make_trainer(optimizer_class, seed=99, **options)  # different initial weights
    resumed.load_checkpoint(tmp_path / "checkpoint.npz")
    resumed.fit(batches, epochs=1, progress=False)
    for a, b in zip(first.model.parameters(), resumed.model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_a_cosine_schedule_drives_the_optimizer_learning_rate():
    trainer = make_trainer(Adam, lr=0.01)
    schedule = CosineSchedule(max_lr=0.01, min_lr=0.001, total_steps=12)
    trainer.scheduler = schedule
    history = trainer.fit(blobs(4), epochs=2, progress=False)  # 6 batches an epoch: steps 0..11
    assert history["lr"] == [pytest.approx(schedule(5)), pytest.approx(schedule(11))]
    assert schedule(11) < schedule(5) < 0.01
