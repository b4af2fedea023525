"""2017: attention is all you need -- a tiny GPT learns to write from a 30 KB corpus.

Vaswani et al. ("Attention Is All You Need", NeurIPS 2017) replaced recurrence with
self-attention: every position looks at every earlier one through learned queries, keys and
values, in parallel. Stacked with MLPs, residual connections and layer norm, and trained to
predict the next token, the same block became GPT. This script trains a two-layer GPT on the
characters of data/text/tinycorpus.txt and prints what it writes.

    python milestones/2017_transformer.py [--fast]
"""
import time
from itertools import islice

# common first: it pins BLAS to one thread before numpy loads
from common import plt, report, run, save_figure, seed_everything

import numpy as np

from tinytorch.core.dataloader import DataLoader, TensorDataset
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import AdamW
from tinytorch.core.training import CosineSchedule, Trainer
from tinytorch.core.transformer import GPT
from tinytorch.text.tokenization import CharTokenizer, load_corpus

SEED = 2017
CONTEXT = 64
PROMPTS = ("The ", "A gradient ")


def windows(ids, stride):
    """(inputs, targets): every window of CONTEXT ids starting each `stride` positions, and the
    same window shifted by one -- the token that follows each input token."""
    starts = np.arange(0, len(ids) - CONTEXT - 1, stride)
    inputs = np.stack([ids[s:s + CONTEXT] for s in starts])
    targets = np.stack([ids[s + 1:s + CONTEXT + 1] for s in starts])
    return inputs, targets


def endless(loader):
    """Batches forever, a new shuffled epoch of the loader after another."""
    while True:
        yield from loader


def main(fast=False, out_dir=None):
    started = time.perf_counter()
    seed_everything(SEED)
    text = load_corpus()
    tokenizer = CharTokenizer.from_corpus(text)
    vocab = tokenizer.vocab_size
    ids = np.array(tokenizer.encode(text), dtype=np.int64)
    split = int(0.9 * len(ids))  # the last 10% of the corpus is held out
    train_ids, held_out_ids = ids[:split], ids[split:]
    train = DataLoader(TensorDataset(*windows(train_ids, stride=1)), batch_size=16, shuffle=True, seed=SEED)
    held_out = DataLoader(TensorDataset(*windows(held_out_ids, stride=CONTEXT)), batch_size=64)
    frequencies = np.bincount(train_ids, minlength=vocab) / len(train_ids)
    seen = frequencies[frequencies > 0]
    unigram = float(-(seen * np.log(seen)).sum())  # the best loss without looking at context
    uniform = float(np.log(vocab))                 # the loss of a model that knows nothing

    # 600 steps is about 5 passes over the corpus: longer, and the held-out loss turns back up
    # (it is 27,000 characters for 112,000 parameters).
    steps, interval = (150, 25) if fast else (600, 50)
    model = GPT(vocab_size=vocab, embed_dim=64, num_layers=2, num_heads=4, max_seq_len=CONTEXT)
    cross_entropy = CrossEntropyLoss()

    def next_token_loss(logits, targets):  # (B, T, V) logits against (B, T) next tokens
        return cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))

    trainer = Trainer(model, AdamW(model.parameters(), lr=1e-2, weight_decay=0.1), next_token_loss,
                      scheduler=CosineSchedule(1e-2, 1e-4, total_steps=steps, warmup_steps=50),
                      grad_clip=1.0)
    batches = endless(train)
    curve = {"step": [], "train": [], "held_out": []}
    for done in range(interval, steps + 1, interval):
        curve["train"].append(trainer.train_epoch(islice(batches, interval)))
        curve["held_out"].append(trainer.evaluate(held_out)["loss"])
        curve["step"].append(done)
    samples = [tokenizer.decode(model.generate(np.array(tokenizer.encode(prompt)), 160, temperature=0.8, seed=SEED))
               for prompt in PROMPTS]
    results = {
        "train_loss": curve["train"][-1],
        "held_out_loss": curve["held_out"][-1],
        "uniform_loss": uniform,
        "unigram_loss": unigram,
        "vocab_size": vocab,
        "steps": steps,
        "parameters": model.num_parameters(),
        "samples": samples,
    }

    figure = plt.figure(figsize=(11, 6.5))
    axis = figure.add_axes([0.08, 0.42, 0.88, 0.52])
    axis.plot(curve["step"], curve["train"], "o-", label="training loss (mean of the interval)")
    axis.plot(curve["step"], curve["held_out"], "s-", label="held-out loss (last 10% of the corpus)")
    axis.axhline(uniform, color="k", linestyle=":", label=f"uniform guess: log {vocab} = {uniform:.2f}")
    axis.axhline(unigram, color="tab:gray", linestyle="--", label=f"character frequencies only: {unigram:.2f}")
    axis.set(xlabel="optimizer step (batch of 16 windows of 64 characters)",
             ylabel="cross-entropy (nats per character)",
             title=f"Character-level GPT, 2 layers, {results['parameters']:,} parameters", ylim=(0, uniform + 0.3))
    axis.legend(fontsize=8, loc="upper right")
    lines = "\n\n".join(f"sample {i + 1}: " + " ".join(s.split()) for i, s in enumerate(samples))
    figure.text(0.08, 0.3, lines, fontsize=8, family="monospace", va="top", wrap=True)
    results["figure"] = str(save_figure(figure, "2017_transformer", out_dir))

    report("2017 transformer: a tiny GPT on tinycorpus.txt", [
        ("data", f"{len(ids):,} characters, {vocab} tokens (characters and 4 specials), 90/10 split"),
        ("model", f"GPT, d 64, 2 layers, 4 heads, context {CONTEXT} ({results['parameters']:,} parameters)"),
        ("training", f"AdamW 1e-2 cosine to 1e-4, clip 1.0, batch 16, {steps} steps"),
        ("training loss", f"{results['train_loss']:.3f}"),
        ("held-out loss", f"{results['held_out_loss']:.3f} (uniform log {vocab} = {uniform:.3f}, "
                          f"character frequencies {unigram:.3f})"),
        *((f"sample {i + 1}", repr(sample)) for i, sample in enumerate(samples)),
        ("figure", results["figure"]),
    ], started)
    return results


if __name__ == "__main__":
    raise SystemExit(run(main, __doc__.splitlines()[0]))
