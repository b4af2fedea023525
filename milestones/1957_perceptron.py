"""1957: Rosenblatt's perceptron learns a line that separates two classes.

The learning rule is not gradient descent: when a point is on the wrong side, add it (times
its label) to the weights; when it is on the right side, do nothing. On linearly separable
data this stops after finitely many mistakes, at most (R / margin)^2 (Novikoff, 1962).

    python milestones/1957_perceptron.py [--fast]
"""
import time

# common first: it pins BLAS to one thread before numpy loads
from common import plt, report, run, save_figure, seed_everything

import numpy as np
from matplotlib.ticker import MaxNLocator

from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Linear
from tinytorch.core.tensor import Tensor

SEED = 1957


def separable_points(rng, count, margin):
    """`count` points in [-1, 1]^2 labelled +1/-1 by a fixed line, none closer than `margin` to it."""
    normal = np.array([0.6, -0.8])  # unit normal of the true line normal . x + offset = 0
    offset = 0.1
    points, labels = [], []
    while len(points) < count:
        x = rng.uniform(-1, 1, size=2)
        distance = normal @ x + offset
        if abs(distance) >= margin:
            points.append(x)
            labels.append(1.0 if distance > 0 else -1.0)
    return np.array(points, dtype=np.float32), np.array(labels, dtype=np.float32), (normal, offset)


def predict(neuron, x):
    """The perceptron's output: the sign of the weighted sum (a threshold unit), +1 or -1."""
    with no_grad():  # the 1957 rule needs no gradient
        score = neuron(Tensor(x)).data[..., 0]
    return np.where(score > 0, 1.0, -1.0)


def train_perceptron(neuron, x, y, rng, max_epochs):
    """Rosenblatt's rule, one point at a time in a new order each epoch, until an epoch has no
    mistake. Returns the number of mistakes in every epoch."""
    neuron.weight.data[:] = 0.0  # start from zero weights, as the convergence theorem does
    neuron.bias.data[:] = 0.0
    mistakes_per_epoch = []
    for _ in range(max_epochs):
        mistakes = 0
        for i in rng.permutation(len(x)):
            if predict(neuron, x[i:i + 1])[0] != y[i]:
                neuron.weight.data[:, 0] += y[i] * x[i]  # move the line towards the point's side
                neuron.bias.data[0] += y[i]
                mistakes += 1
        mistakes_per_epoch.append(mistakes)
        if mistakes == 0:
            break
    return mistakes_per_epoch


def novikoff_bound(x, y, true_line):
    """(R / gamma)^2 for the inputs augmented with a constant 1 (the bias), with gamma the
    margin of the true line written as a unit vector in that augmented space."""
    normal, offset = true_line
    augmented = np.hstack([x, np.ones((len(x), 1))])
    unit = np.append(normal, offset) / np.linalg.norm(np.append(normal, offset))
    radius = np.linalg.norm(augmented, axis=1).max()
    gamma = (y * (augmented @ unit)).min()
    return float((radius / gamma) ** 2)


def main(fast=False, out_dir=None):
    started = time.perf_counter()
    rng = seed_everything(SEED)
    count = 60 if fast else 200
    x, y, true_line = separable_points(rng, count, margin=0.1)
    x_test, y_test, _ = separable_points(rng, 1000, margin=0.0)
    neuron = Linear(2, 1)
    mistakes = train_perceptron(neuron, x, y, rng, max_epochs=100)
    bound = novikoff_bound(x, y, true_line)
    results = {
        "epochs": len(mistakes),
        "mistakes": int(sum(mistakes)),
        "mistake_bound": bound,
        "converged": mistakes[-1] == 0,
        "train_accuracy": float(np.mean(predict(neuron, x) == y)),
        "test_accuracy": float(np.mean(predict(neuron, x_test) == y_test)),
    }

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for label, colour in ((1.0, "tab:blue"), (-1.0, "tab:orange")):
        chosen = y == label
        left.scatter(x[chosen, 0], x[chosen, 1], s=14, c=colour, label=f"class {label:+.0f}")
    line_x = np.array([-1.0, 1.0])
    w, b = neuron.weight.data[:, 0], neuron.bias.data[0]
    left.plot(line_x, -(w[0] * line_x + b) / w[1], "k-", label="learned line")
    normal, offset = true_line
    left.plot(line_x, -(normal[0] * line_x + offset) / normal[1], "k:", label="line that made the labels")
    left.set(xlim=(-1, 1), ylim=(-1, 1), aspect="equal", title="Perceptron decision boundary")
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8)
    right.bar(np.arange(1, len(mistakes) + 1), mistakes, color="tab:gray")
    right.set(xlabel="epoch", ylabel="mistakes (= weight updates)",
              title=f"{results['mistakes']} mistakes in all (bound {bound:.0f})")
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    results["figure"] = str(save_figure(figure, "1957_perceptron", out_dir))

    report("1957 perceptron (Rosenblatt's rule, no backprop)", [
        ("training points", f"{count}, linearly separable (margin 0.1)"),
        ("converged", f"{results['converged']} after {results['epochs']} epochs"),
        ("mistakes", f"{results['mistakes']} (Novikoff bound (R/margin)^2 = {bound:.0f})"),
        ("train accuracy", f"{results['train_accuracy']:.3f}"),
        ("test accuracy", f"{results['test_accuracy']:.3f} on 1000 new points"),
        ("figure", results["figure"]),
    ], started)
    return results


if __name__ == "__main__":
    raise SystemExit(run(main, __doc__.splitlines()[0]))
