"""Module 11 with modules 01-05: an embedding-bag text classifier trains end to end."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import Tanh
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Layer, Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor
from tinytorch.text.embeddings import Embedding, LearnedPositionalEncoding, PositionalEncoding

SENTENCES = {0: ["good film", "great fun", "loved it", "so good"], 1: ["bad film", "dull plot", "hated it", "so bad"]}


class EmbeddingBag(Layer):
    """Embed characters, add positions, average over the sequence, classify with an MLP."""

    def __init__(self, vocab_size, max_len, learned):
        self.tokens = Embedding(vocab_size, 16)
        self.positions = (LearnedPositionalEncoding if learned else PositionalEncoding)(max_len, 16)
        self.classifier = Sequential(Linear(16, 16), Tanh(), Linear(16, 2))

    def forward(self, ids):
        return self.classifier(self.positions(self.tokens(ids)).mean(axis=1))


def character_batch():
    texts = [(text, label) for label, group in SENTENCES.items() for text in group]
    vocabulary = sorted({char for text, _ in texts for char in text})
    width = max(len(text) for text, _ in texts)
    ids = np.array([[vocabulary.index(char) for char in text.ljust(width)] for text, _ in texts])
    return ids, np.array([label for _, label in texts]), len(vocabulary), width


def test_embedding_bag_classifier_trains_with_either_positional_encoding():
    ids, labels, vocab_size, width = character_batch()
    for learned in (True, False):
        np.random.seed(11)
        model = EmbeddingBag(vocab_size, width, learned)
        loss_fn = CrossEntropyLoss()
        losses = []
        for _ in range(150):
            for parameter in model.parameters():
                parameter.zero_grad()
            loss = loss_fn(model(ids), labels)
            loss.backward()
            with no_grad():
                for parameter in model.parameters():
                    parameter.data -= 0.2 * parameter.grad
            losses.append(loss.item())
        assert losses[-1] < 0.1 * losses[0], (learned, losses[0], losses[-1])
        assert np.all(model(ids).data.argmax(axis=1) == labels)


def test_every_parameter_of_the_stack_gets_a_correct_gradient():
    ids, labels, vocab_size, width = character_batch()
    np.random.seed(12)
    model = EmbeddingBag(vocab_size, width, learned=True)
    for parameter in model.parameters():
        parameter.data = parameter.data.astype(np.float64)
    errors = check_model_gradients(model, lambda: CrossEntropyLoss()(model(ids), labels), max_entries=40)
    assert len(errors) == 6  # tokens, positions, two Linear layers' weight and bias


def test_only_tokens_in_the_batch_are_updated():
    np.random.seed(13)
    model = EmbeddingBag(10, 4, learned=False)
    ids = np.array([[1, 2, 2, 3]])
    CrossEntropyLoss()(model(ids), [1]).backward()
    used = np.any(model.tokens.weight.grad != 0, axis=1)
    np.testing.assert_array_equal(np.flatnonzero(used), [1, 2, 3])
    assert model.tokens.weight.grad.dtype == np.float32
    assert isinstance(model(Tensor(ids)), Tensor)
