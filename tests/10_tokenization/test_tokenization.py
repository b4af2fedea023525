"""The reference package's tokenizers (tinytorch.text.tokenization), as later modules rely on them."""
import json
import re
import time
from collections import Counter

import numpy as np
import pytest

from tinytorch.text.tokenization import (BPETokenizer, CharTokenizer, Tokenizer, count_pairs,
                                         load_corpus, merge_pair, pretokenize)

ALPHABET = list("abcdefgh ABC.,;!?'\n\t-é")


def random_text(rng, size):
    return "".join(rng.choice(ALPHABET, size=size))


# ---- special tokens and the base class ----------------------------------------------------

def test_special_tokens_have_the_same_ids_in_every_tokenizer():
    for tokenizer in (Tokenizer(), CharTokenizer.from_corpus("xyz"), BPETokenizer().train("ab ab ab", 20)):
        assert tokenizer.vocab[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
        assert [tokenizer.token_to_id[t] for t in Tokenizer.SPECIAL_TOKENS] == [0, 1, 2, 3]
    assert (Tokenizer.PAD_ID, Tokenizer.UNK_ID, Tokenizer.BOS_ID, Tokenizer.EOS_ID) == (0, 1, 2, 3)


def test_the_base_class_asks_subclasses_for_text_to_ids():
    with pytest.raises(NotImplementedError, match="text_to_ids"):
        Tokenizer(["a"]).encode("a")


def test_encode_adds_bos_and_eos_only_when_asked_and_decode_skips_them():
    chars = CharTokenizer.from_corpus("abc")
    assert chars.encode("cab") == [6, 4, 5]
    assert chars.encode("cab", add_special=True) == [2, 6, 4, 5, 3]
    assert chars.decode([2, 6, 4, 5, 3, 0, 0, 0]) == "cab"
    assert chars.decode(np.array([2, 6, 1, 3])) == "c<unk>"


# ---- CharTokenizer ---------------------------------------------------------------------

def test_char_vocabulary_is_sorted_and_deterministic():
    text = "the quick brown fox; THE LAZY DOG!"
    tokenizer = CharTokenizer.from_corpus(text)
    assert tokenizer.vocab[4:] == sorted(set(text))
    assert tokenizer.vocab_size == 4 + len(set(text))


@pytest.mark.parametrize("seed", range(5))
def test_char_round_trip_and_unknown_characters(seed):
    rng = np.random.default_rng(seed)
    text = random_text(rng, 300)
    tokenizer = CharTokenizer.from_corpus(text)
    assert tokenizer.decode(tokenizer.encode(text)) == text
    assert tokenizer.encode("Z0") == [Tokenizer.UNK_ID] * 2


# ---- BPE building blocks -------------------------------------------------------------------

def test_pretokenize_tiles_any_text_and_keeps_one_leading_space():
    rng = np.random.default_rng(7)
    for _ in range(50):
        text = random_text(rng, int(rng.integers(0, 80)))
        assert "".join(pretokenize(text)) == text
    assert pretokenize("Hi there,  you.\n") == ["Hi", " there", ",", "  ", "you", ".", "\n"]


def test_count_pairs_weights_by_frequency_and_counts_overlaps():
    assert count_pairs({("a", "a", "a"): 2, ("a", "b"): 3}) == {("a", "a"): 4, ("a", "b"): 3}


def test_merge_pair_goes_left_to_right_without_reusing_a_symbol():
    assert merge_pair(("a", "a", "a"), ("a", "a")) == ("aa", "a")
    assert merge_pair(["x", "ab", "c", "ab", "c"], ("ab", "c")) == ("x", "abc", "abc")


# ---- BPE training, encoding, decoding --------------------------------------------------------

def test_training_learns_the_hand_example_and_breaks_ties_by_the_smallest_pair():
    tokenizer = BPETokenizer().train("banana banana banana", 100)
    assert tokenizer.merges[0] == ("a", "n")
    assert BPETokenizer().train("zy zy ab ab", 100).merges == [(" ", "a"), (" a", "b"), ("z", "y")]


def test_training_stops_at_the_vocabulary_size_or_when_no_pair_repeats():
    assert BPETokenizer().train("banana banana banana", 9).vocab_size == 9
    assert BPETokenizer().train("abcdef", 100).merges == []


def recount_reference(text, vocab_size):
    """BPE by re-counting every pair of the word table after each merge: slow, obviously right."""
    table = Counter(tuple(chunk) for chunk in pretokenize(text))
    merges = []
    while 4 + len(set(text)) + len(merges) < vocab_size:
        counts = Counter()
        for word, freq in table.items():
            for pair in zip(word, word[1:]):
                counts[pair] += freq
        if not counts or max(counts.values()) < 2:
            break
        top = max(counts.values())
        best = min(pair for pair, count in counts.items() if count == top)
        merges.append(best)
        table = {merge_pair(word, best): freq for word, freq in table.items()}
    return merges


@pytest.mark.parametrize("seed", range(4))
def test_incremental_training_equals_recounting_and_is_deterministic(seed):
    rng = np.random.default_rng(100 + seed)
    lexicon = ["".join(rng.choice(list("abcde"), size=int(rng.integers(1, 7)))) for _ in range(20)]
    text = " ".join(rng.choice(lexicon, size=300)) + ".\n"
    first = BPETokenizer().train(text, 80)
    assert first.merges == recount_reference(text, 80)
    assert BPETokenizer().train(text, 80).merges == first.merges
    for token in first.vocab[4 + len(first.characters):]:
        assert pretokenize(token) == [token], f"token {token!r} crosses a chunk boundary"


@pytest.mark.parametrize("seed", range(4))
def test_bpe_round_trip_on_corpus_and_on_random_strings(seed):
    rng = np.random.default_rng(200 + seed)
    corpus = random_text(rng, 2000)
    tokenizer = BPETokenizer().train(corpus, 120)
    assert tokenizer.decode(tokenizer.encode(corpus)) == corpus
    for _ in range(30):
        probe = random_text(rng, int(rng.integers(0, 60)))
        assert tokenizer.decode(tokenizer.encode(probe)) == probe
        assert tokenizer.decode(tokenizer.encode(probe, add_special=True)) == probe


def test_encoding_applies_merges_in_learned_order():
    tokenizer = BPETokenizer(["a", "b", "c"], [("b", "c"), ("a", "b")])
    assert [tokenizer.vocab[i] for i in tokenizer.encode("abc")] == ["a", "bc"]
    literal = ("a", "b", "c")
    for pair in tokenizer.merges:
        literal = merge_pair(literal, pair)
    assert literal == ("a", "bc")


def test_bpe_unknown_characters_become_unk_and_stay_visible():
    tokenizer = BPETokenizer().train("the cat the cat", 20)
    ids = tokenizer.encode("the ðat")
    assert ids.count(Tokenizer.UNK_ID) == 1
    assert tokenizer.decode(ids) == "the <unk>at"


# ---- save and load ---------------------------------------------------------------------

def test_save_and_load_round_trip_through_json(tmp_path):
    corpus = "naïve café, naïve café; the end.\n" * 3
    for tokenizer in (BPETokenizer().train(corpus, 40), CharTokenizer.from_corpus(corpus)):
        path = tmp_path / f"{type(tokenizer).__name__}.json"
        tokenizer.save(path)
        state = json.loads(path.read_text(encoding="utf-8"))
        assert state["type"] == type(tokenizer).__name__
        assert "ï" in path.read_text(encoding="utf-8")
        again = Tokenizer.load(path)
        assert type(again) is type(tokenizer)
        assert again.vocab == tokenizer.vocab and again.encode(corpus) == tokenizer.encode(corpus)


def test_load_refuses_the_wrong_class_and_foreign_special_tokens(tmp_path):
    CharTokenizer.from_corpus("abc").save(tmp_path / "chars.json")
    with pytest.raises(ValueError, match="not a BPETokenizer"):
        BPETokenizer.load(tmp_path / "chars.json")
    state = json.loads((tmp_path / "chars.json").read_text())
    state["special_tokens"] = ["<s>", "</s>", "<unk>", "<pad>"]
    (tmp_path / "foreign.json").write_text(json.dumps(state))
    with pytest.raises(ValueError, match="special tokens"):
        Tokenizer.load(tmp_path / "foreign.json")


# ---- the shipped corpus: speed and compression -------------------------------------------------

def test_training_on_the_shipped_corpus_is_fast_and_compresses():
    corpus = load_corpus()
    start = time.perf_counter()
    tokenizer = BPETokenizer().train(corpus, 400)
    seconds = time.perf_counter() - start
    assert tokenizer.vocab_size == 400
    assert seconds < 10, f"training to 400 tokens took {seconds:.1f} s; it should take a few seconds"
    ids = tokenizer.encode(corpus)
    assert len(ids) < 0.5 * len(corpus)
    assert tokenizer.decode(ids) == corpus
    assert re.fullmatch(r" ?the", tokenizer.vocab[tokenizer.encode(" the")[0]])
