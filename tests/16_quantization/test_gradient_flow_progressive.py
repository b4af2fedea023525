"""Module 16 with modules 01-09: quantize a trained digits MLP and a CNN; QAT through the Trainer."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.activations import ReLU
from tinytorch.core.autograd import no_grad
from tinytorch.core.dataloader import DataLoader, TensorDataset, load_digits, train_test_split
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import Adam
from tinytorch.core.spatial import Conv2d
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import Trainer
from tinytorch.perf.quantization import QATLinear, dequantize, model_nbytes, quantize_model, quantize_weight


def digits():
    images, labels = load_digits()
    x = (images.reshape(len(images), -1) / 16.0).astype(np.float32)
    return train_test_split(x, labels, test_fraction=0.2, seed=0)


def accuracy(model, x, y):
    with no_grad():
        return float(np.mean(model(Tensor(x)).data.argmax(axis=1) == y))


def test_int8_digits_mlp_is_four_times_smaller_and_as_accurate():
    x_train, x_test, y_train, y_test = digits()
    np.random.seed(0)
    model = Sequential(Linear(64, 32, init="he"), ReLU(), Linear(32, 10))
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True, seed=0)
    Trainer(model, Adam(model.parameters(), lr=0.01), CrossEntropyLoss()).fit(loader, epochs=10, progress=False)
    float_accuracy = accuracy(model, x_test, y_test)
    small = quantize_model(model, calibration_batches=[x_train[:512]])
    assert float_accuracy > 0.9
    assert abs(accuracy(small, x_test, y_test) - float_accuracy) <= 0.015
    assert model_nbytes(model) / model_nbytes(small) > 3.5

    qat = Sequential(QATLinear(model.layers[0], bits=2), ReLU(), QATLinear(model.layers[2], bits=2))
    history = Trainer(qat, Adam(qat.parameters(), lr=0.005), CrossEntropyLoss()).fit(loader, epochs=3, progress=False)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert all(p.grad is not None and p.grad.shape == p.shape for p in qat.parameters())


def test_conv_weights_quantize_per_output_channel():
    np.random.seed(3)
    conv = Conv2d(2, 4, 3)
    q, scale = quantize_weight(conv.weight.data, layout="conv")
    assert q.dtype == np.int8 and scale.shape == (4, 1, 1, 1)
    x = Tensor(np.random.default_rng(3).standard_normal((2, 2, 6, 6)).astype(np.float32))
    expected = conv(x).data
    conv.weight.data = dequantize(q, scale)
    found = conv(x).data
    assert np.linalg.norm(found - expected) / np.linalg.norm(expected) < 0.01
