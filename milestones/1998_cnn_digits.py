"""1998: a convolutional network reads the digits better than a fully connected one.

LeCun, Bottou, Bengio and Haffner ("Gradient-based learning applied to document
recognition", Proc. IEEE, 1998) trained LeNet-5 end to end on MNIST: convolutions share a
small kernel across the image, subsampling makes the features tolerate small shifts, and
the whole stack learns by backpropagation. This script trains a LeNet-like network -- two
convolution + pooling stages, then two fully connected layers -- on the shipped 8x8 digits.

    python milestones/1998_cnn_digits.py [--fast]
"""
import time

# common first: it pins BLAS to one thread before numpy loads
from common import (digits_loaders, plot_learning_curves, plt, report, run, save_figure, seed_everything,
                    train_and_evaluate)

from tinytorch.core.activations import ReLU
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import Adam
from tinytorch.core.spatial import Conv2d, Flatten, MaxPool2d
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import CosineSchedule, Trainer

SEED = 1998


def lenet_like():
    """(N, 1, 8, 8) -> (N, 10). LeNet-5 had tanh units and average subsampling; ReLU and max
    pooling are the modern choices for the same shape of network."""
    return Sequential(
        Conv2d(1, 16, 3, padding=1), ReLU(), MaxPool2d(2),      # 16 x 4 x 4
        Conv2d(16, 32, 3, padding=1), ReLU(), MaxPool2d(2),     # 32 x 2 x 2
        Flatten(), Linear(128, 64, init="he"), ReLU(), Linear(64, 10),
    )


def main(fast=False, out_dir=None):
    started = time.perf_counter()
    seed_everything(SEED)
    epochs = 5 if fast else 20
    train, test, train_size, test_size = digits_loaders(SEED, (1, 8, 8))
    model = lenet_like()
    schedule = CosineSchedule(max_lr=0.003, min_lr=0.0001, total_steps=epochs * len(train),
                              warmup_steps=len(train) // 2)
    trainer = Trainer(model, Adam(model.parameters(), lr=0.003), CrossEntropyLoss(), scheduler=schedule)
    history, results = train_and_evaluate(trainer, train, test, epochs)

    figure = plt.figure(figsize=(13, 4.6))
    grid = figure.add_gridspec(4, 14)
    curves = figure.add_subplot(grid[:, :5])
    plot_learning_curves(curves, history,
                         f"LeNet-like CNN: test accuracy {results['test_accuracy']:.1%}", accuracy_floor=0.7)
    # One held-out digit and what the first convolution (16 kernels of 3x3, then ReLU) sees in it.
    digit = next(iter(test))[0].data[:1]
    with no_grad():
        maps = model[1](model[0](Tensor(digit))).data[0]
    image_axis = figure.add_subplot(grid[1:3, 7:9])
    image_axis.imshow(digit[0, 0], cmap="gray_r")
    image_axis.set_title("a test digit", fontsize=9)
    image_axis.set_axis_off()
    for channel in range(16):
        axis = figure.add_subplot(grid[channel // 4, 10 + channel % 4])
        axis.imshow(maps[channel], cmap="viridis")
        axis.set_axis_off()
    figure.text(0.82, 0.94, "its 16 first-layer feature maps", ha="center")
    results["figure"] = str(save_figure(figure, "1998_cnn_digits", out_dir))

    report("1998 convolutional network: LeNet-like CNN on the digits", [
        ("data", f"8x8 digits, {train_size} training / {test_size} held-out images"),
        ("model", f"2 x (Conv2d 3x3, ReLU, MaxPool2d 2), Linear 128-64-10 ({results['parameters']} parameters)"),
        ("training", f"Adam, cosine schedule 0.003 -> 0.0001, batch 32, {epochs} epochs"),
        ("test accuracy", f"{results['test_accuracy']:.3f} (test loss {results['test_loss']:.3f})"),
        ("figure", results["figure"]),
    ], started)
    return results


if __name__ == "__main__":
    raise SystemExit(run(main, __doc__.splitlines()[0]))
