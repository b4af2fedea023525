"""Module 10 with modules 01-05: token ids from the tokenizers index a weight matrix, and the
gradient flows back to exactly the rows of the tokens used, once per use."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor
from tinytorch.text.tokenization import BPETokenizer, CharTokenizer, Tokenizer

TEXT = "the cat sat on the mat. the dog sat on the log.\n" * 3


def test_bpe_ids_pick_rows_whose_gradient_counts_each_use():
    tokenizer = BPETokenizer().train(TEXT, 40)
    ids = tokenizer.encode("the cat sat on the log.", add_special=True)
    weight = Tensor(np.random.default_rng(0).standard_normal((tokenizer.vocab_size, 5)), requires_grad=True)
    rows = weight[Tensor(ids)]
    assert rows.shape == (len(ids), 5)
    rows.sum().backward()
    uses = np.bincount(ids, minlength=tokenizer.vocab_size)
    np.testing.assert_array_equal(weight.grad, np.repeat(uses[:, None], 5, axis=1))


def test_a_next_token_model_on_char_ids_sends_gradients_to_the_embedding():
    tokenizer = CharTokenizer.from_corpus(TEXT)
    ids = np.array(tokenizer.encode(TEXT[:40], add_special=True))
    rng = np.random.default_rng(1)
    embedding = Tensor(rng.standard_normal((tokenizer.vocab_size, 6)), requires_grad=True)
    output = Tensor(rng.standard_normal((6, tokenizer.vocab_size)) * 0.3, requires_grad=True)

    def loss():
        return CrossEntropyLoss()(embedding[Tensor(ids[:-1])] @ output, ids[1:])

    check_gradient_flow(loss, {"embedding": embedding, "output": output})
    embedding.zero_grad()
    loss().backward()
    unused = np.setdiff1d(np.arange(tokenizer.vocab_size), ids[:-1])
    assert np.all(embedding.grad[unused] == 0), "rows of tokens never read get no gradient"
    assert np.all(np.abs(embedding.grad[np.unique(ids[:-1])]).sum(axis=1) > 0)


def test_padding_id_is_the_same_row_for_every_tokenizer():
    for tokenizer in (CharTokenizer.from_corpus(TEXT), BPETokenizer().train(TEXT, 40)):
        assert tokenizer.vocab[Tokenizer.PAD_ID] == "<pad>"
        assert tokenizer.encode("", add_special=True) == [Tokenizer.BOS_ID, Tokenizer.EOS_ID]
