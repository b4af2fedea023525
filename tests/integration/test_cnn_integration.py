"""A complete CNN: Conv2d, pooling, Flatten and Linear, forward, backward and training."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import ReLU
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.spatial import AvgPool2d, BatchNorm2d, Conv2d, Flatten, MaxPool2d
from tinytorch.core.tensor import Tensor


def small_cnn(in_channels, image_size, num_classes, channels=8, seed=0):
    """Conv(3x3, same) -> BatchNorm -> ReLU -> MaxPool(2) -> Conv(3x3, same) -> ReLU -> MaxPool(2) -> Flatten -> Linear.

    Reusable for any square image size divisible by 4 (e.g. 8x8 digits: small_cnn(1, 8, 10)).
    """
    np.random.seed(seed)
    side = image_size // 4
    return Sequential(
        Conv2d(in_channels, channels, 3, padding=1, bias=False), BatchNorm2d(channels), ReLU(), MaxPool2d(2),
        Conv2d(channels, 2 * channels, 3, padding=1), ReLU(), MaxPool2d(2),
        Flatten(), Linear(2 * channels * side * side, num_classes, init="he"),
    )


def train_classifier(model, images, labels, epochs, batch_size=32, learning_rate=0.05, momentum=0.9, seed=0):
    """Minibatch SGD with momentum on (images, labels); returns the mean loss of each epoch."""
    rng = np.random.default_rng(seed)
    velocities = [np.zeros_like(p.data) for p in model.parameters()]
    loss_function, history = CrossEntropyLoss(), []
    model.train()
    for _ in range(epochs):
        order, losses = rng.permutation(len(images)), []
        for start in range(0, len(images), batch_size):
            batch = order[start:start + batch_size]
            for p in model.parameters():
                p.zero_grad()
            loss = loss_function(model(Tensor(images[batch])), labels[batch])
            loss.backward()
            with no_grad():
                for p, velocity in zip(model.parameters(), velocities):
                    velocity *= momentum
                    velocity += p.grad
                    p.data -= learning_rate * velocity
            losses.append(loss.item())
        history.append(float(np.mean(losses)))
    return history


def accuracy(model, images, labels):
    model.eval()
    with no_grad():
        predictions = model(Tensor(images)).data.argmax(axis=1)
    model.train()
    return float(np.mean(predictions == labels))


def shapes_dataset(count, size=12, seed=0):
    """Noisy images of one of three shapes at a random place: 0 a square outline, 1 a plus, 2 a diagonal line."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0.0, 0.2, size=(count, 1, size, size)).astype(np.float32)
    labels = rng.integers(0, 3, size=count)
    for image, label in zip(images, labels):
        top, left = (int(v) for v in rng.integers(0, size - 5, size=2))
        patch = np.zeros((5, 5), dtype=np.float32)
        if label == 0:
            patch[[0, -1], :] = patch[:, [0, -1]] = 1.0
        elif label == 1:
            patch[2, :] = patch[:, 2] = 1.0
        else:
            patch[np.arange(5), np.arange(5)] = 1.0
        image[0, top:top + 5, left:left + 5] += patch
    return images, labels


def test_conv2d_forward_and_backward_in_a_graph():
    np.random.seed(0)
    conv = Conv2d(3, 4, 3, stride=2, padding=1)
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 9, 9)).astype(np.float32), requires_grad=True)
    out = conv(x)
    assert out.shape == (2, 4, 5, 5)
    (out * out).mean().backward()
    assert x.grad.shape == x.shape and conv.weight.grad.shape == conv.weight.shape and conv.bias.grad.shape == (4,)
    assert np.any(x.grad) and np.any(conv.weight.grad)


def test_complete_cnn_forward_shapes_and_every_gradient():
    model = small_cnn(2, 8, 3)
    x = Tensor(np.random.default_rng(1).standard_normal((4, 2, 8, 8)).astype(np.float32))
    shapes = []
    h = x
    for layer in model.layers:
        h = layer(h)
        shapes.append(h.shape)
    assert shapes == [(4, 8, 8, 8), (4, 8, 8, 8), (4, 8, 8, 8), (4, 8, 4, 4), (4, 16, 4, 4), (4, 16, 4, 4),
                      (4, 16, 2, 2), (4, 64), (4, 3)]
    rng = np.random.default_rng(2)
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    x64 = Tensor(rng.standard_normal((4, 2, 8, 8)), requires_grad=True)
    check_model_gradients(model, lambda: CrossEntropyLoss()(model(x64), [0, 1, 2, 1]), inputs={"x": x64}, max_entries=10)


def test_pooling_inside_a_network_passes_gradients_to_the_first_layer():
    np.random.seed(3)
    model = Sequential(Conv2d(1, 2, 3, padding=1), ReLU(), AvgPool2d(2), Conv2d(2, 2, 3, padding=1), ReLU(),
                       MaxPool2d(2, stride=1), Flatten(), Linear(2 * 3 * 3, 2))
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    x = Tensor(np.random.default_rng(3).standard_normal((3, 1, 8, 8)), requires_grad=True)
    check_model_gradients(model, lambda: CrossEntropyLoss()(model(x), [0, 1, 1]), inputs={"x": x}, max_entries=10)


def test_small_cnn_learns_a_synthetic_shape_task_quickly():
    train_images, train_labels = shapes_dataset(600, seed=0)
    test_images, test_labels = shapes_dataset(300, seed=1)
    model = small_cnn(1, 12, 3, channels=6)
    history = train_classifier(model, train_images, train_labels, epochs=4)
    assert history[-1] < 0.25 * history[0], history
    assert accuracy(model, test_images, test_labels) >= 0.95
