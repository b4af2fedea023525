"""Module 13 with modules 01-12: a GPT trained with the Trainer, Adam, a cosine schedule and
gradient clipping learns a small text; gradients reach the first layer through the whole stack."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import AdamW
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import CosineSchedule, Trainer, diagnose_gradients
from tinytorch.core.transformer import GPT

TEXT = "one two three four five six seven eight nine ten. " * 6
VOCAB = sorted(set(TEXT))
DATA = np.array([VOCAB.index(c) for c in TEXT])
SEQ_LEN = 12


def next_token_loss(logits, targets):
    values = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    return CrossEntropyLoss()(logits.reshape(-1, logits.shape[-1]), values.reshape(-1).astype(np.int64))


def batches(rng, count, batch_size=16):
    out = []
    for _ in range(count):
        starts = rng.integers(0, len(DATA) - SEQ_LEN - 1, size=batch_size)
        out.append((np.stack([DATA[s:s + SEQ_LEN] for s in starts]),
                    np.stack([DATA[s + 1:s + SEQ_LEN + 1] for s in starts])))
    return out


def test_trainer_fits_a_gpt_and_generation_reads_the_text():
    np.random.seed(13)
    rng = np.random.default_rng(13)
    model = GPT(len(VOCAB), 32, 2, 4, SEQ_LEN)
    optimizer = AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    trainer = Trainer(model, optimizer, next_token_loss, scheduler=CosineSchedule(1e-2, 1e-3, 120, 10), grad_clip=1.0)
    validation = batches(np.random.default_rng(99), 2)
    before = trainer.evaluate(validation)["loss"]
    history = trainer.fit(batches(rng, 40), validation, epochs=3, progress=False)
    assert history["val_loss"][-1] < 0.3 * before, (before, history["val_loss"])
    sample = "".join(VOCAB[i] for i in model.generate(np.array([VOCAB.index(c) for c in "one two "]), 20, top_k=1))
    assert "three" in sample, sample


def test_gradients_reach_the_embeddings_through_the_whole_stack():
    np.random.seed(14)
    model = GPT(len(VOCAB), 16, 3, 2, SEQ_LEN)
    inputs, targets = batches(np.random.default_rng(14), 1, batch_size=4)[0]
    model.loss(inputs, targets).backward()
    report = diagnose_gradients(model)
    assert report.healthy, str(report)
    used = np.unique(inputs)
    assert np.all(np.any(model.token_embedding.weight.grad[used] != 0, axis=-1))
