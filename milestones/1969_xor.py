"""1969: XOR. One layer of weights cannot compute it; a hidden layer can.

Minsky and Papert's book *Perceptrons* (1969) proved that a single-layer perceptron cannot
compute XOR (more generally, parity): no line puts (0,0) and (1,1) on one side and (0,1)
and (1,0) on the other. Here a single Linear layer, trained and searched, never gets more
than three of the four points right; a two-layer MLP trained by backpropagation gets all four.

    python milestones/1969_xor.py [--fast]
"""
import time

# common first: it pins BLAS to one thread before numpy loads
from common import plt, report, run, save_figure, seed_everything

import numpy as np

from tinytorch.core.activations import Tanh
from tinytorch.core.autograd import no_grad
from tinytorch.core.dataloader import DataLoader, TensorDataset
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import Adam
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import Trainer

SEED = 1969
INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR = np.array([0, 1, 1, 0], dtype=np.int64)


def train(model, epochs):
    """Full-batch training on the four points with cross-entropy; returns the loss per epoch
    and the final accuracy."""
    batches = DataLoader(TensorDataset(INPUTS, XOR), batch_size=4)
    trainer = Trainer(model, Adam(model.parameters(), lr=0.05), CrossEntropyLoss())
    history = trainer.fit(batches, epochs=epochs, progress=False)
    return history["train_loss"], trainer.evaluate(batches)["accuracy"]


def best_line_accuracy(rng, lines):
    """Draw `lines` random lines w . x + b = 0 and return (the best XOR accuracy any of them
    reaches, how many of the 16 labellings of the four corners they produce)."""
    weights = rng.standard_normal((lines, 2))
    biases = rng.standard_normal(lines)
    sides = (INPUTS @ weights.T + biases > 0).astype(np.int64).T  # (lines, 4): the labelling each line makes
    labellings = {tuple(row) for row in sides} | {tuple(1 - row) for row in sides}
    accuracy = np.maximum((sides == XOR).mean(axis=1), (sides != XOR).mean(axis=1))
    return float(accuracy.max()), len(labellings)


def decision_region(axis, model, title):
    grid = np.linspace(-0.5, 1.5, 201, dtype=np.float32)
    xx, yy = np.meshgrid(grid, grid)
    with no_grad():
        logits = model(Tensor(np.stack([xx.ravel(), yy.ravel()], axis=1))).data
    axis.contourf(xx, yy, logits.argmax(axis=1).reshape(xx.shape), levels=[-0.5, 0.5, 1.5],
                  colors=["tab:orange", "tab:blue"], alpha=0.3)
    for label, colour, marker in ((0, "tab:orange", "o"), (1, "tab:blue", "s")):
        chosen = XOR == label
        axis.scatter(INPUTS[chosen, 0], INPUTS[chosen, 1], s=120, c=colour, marker=marker,
                     edgecolors="k", label=f"XOR = {label}")
    axis.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), aspect="equal", title=title)


def main(fast=False, out_dir=None):
    started = time.perf_counter()
    rng = seed_everything(SEED)
    epochs = 150 if fast else 400
    single = Linear(2, 2)  # two logits, one layer of weights: its decision boundary is a line
    single_losses, single_accuracy = train(single, epochs)
    best_accuracy, labellings = best_line_accuracy(rng, 2_000 if fast else 100_000)
    with no_grad():
        logits = single(Tensor(INPUTS)).data
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    confidence = float(probabilities.max())  # how far from 50/50 the single layer ever gets
    mlp = Sequential(Linear(2, 4), Tanh(), Linear(4, 2))
    mlp_losses, mlp_accuracy = train(mlp, epochs)
    results = {
        "single_layer_accuracy": single_accuracy,
        "best_line_accuracy": best_accuracy,
        "labellings_by_lines": labellings,
        "single_layer_confidence": confidence,
        "mlp_accuracy": mlp_accuracy,
        "single_layer_loss": single_losses[-1],
        "mlp_loss": mlp_losses[-1],
    }

    figure, axes = plt.subplots(1, 3, figsize=(14, 4.3))
    decision_region(axes[0], single, f"Single layer: {single_accuracy:.0%} (best line {best_accuracy:.0%})")
    decision_region(axes[1], mlp, f"MLP 2-4-2 with tanh: {mlp_accuracy:.0%}")
    axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8)
    axes[2].plot(single_losses, label="single layer")
    axes[2].plot(mlp_losses, label="MLP")
    axes[2].axhline(np.log(2), color="k", linestyle=":", label="log 2 (a coin flip)")
    axes[2].set(xlabel="epoch (full batch of 4)", ylabel="cross-entropy", title="Training loss")
    axes[2].legend(fontsize=8)
    results["figure"] = str(save_figure(figure, "1969_xor", out_dir))

    report("1969 XOR: one layer cannot, two layers can", [
        ("single layer, trained", f"accuracy {single_accuracy:.2f}: loss {single_losses[-1]:.3f} = log 2, "
                                  f"it says 50/50 everywhere (largest probability {confidence:.3f})"),
        ("any line", f"best accuracy {best_accuracy:.2f}; the random lines made {labellings} of the 16 "
                     "labellings (never XOR or XNOR)"),
        ("MLP 2-4-2, backprop", f"accuracy {mlp_accuracy:.2f}, loss {mlp_losses[-1]:.4f} after {epochs} epochs"),
        ("figure", results["figure"]),
    ], started)
    return results


if __name__ == "__main__":
    raise SystemExit(run(main, __doc__.splitlines()[0]))
