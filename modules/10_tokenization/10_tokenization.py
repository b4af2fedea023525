# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 10 — Tokenization
#
# A neural network does arithmetic on numbers; it cannot read. Before a language model can
# learn anything from text, the text has to become a list of whole numbers, and after the model
# has produced numbers, they have to become text again. The piece of the system that does
# this is the **tokenizer**, and this module builds two of them.
#
# **What you build.**
# - `Tokenizer`: the base class, with four **special tokens** at fixed ids (`<pad>` 0,
#   `<unk>` 1, `<bos>` 2, `<eos>` 3), `encode(text, add_special=False)`, `decode(ids)`,
#   `vocab_size`, and `save`/`load` as JSON;
# - `CharTokenizer`: one token per character, vocabulary learned from a corpus;
# - `BPETokenizer`: **byte-pair encoding**, which learns sub-word tokens such as `" the"` or
#   `"ing"` by repeatedly gluing together the most frequent pair of neighbours;
# - `load_corpus()`: reads the small text corpus shipped with the course (`data/text/`).
#
# **Why build them yourself.** The tokenizer decides how long every sequence is, how big the
# model's embedding table is, and which strings the model can see at all. Those choices set the
# cost of every attention layer in modules 12 and 13. Building BPE also shows that the
# "vocabulary" of a modern language model is not a list of words someone wrote down: it is
# *learned* from data, by a greedy algorithm that fits in forty lines.
#
# **What you need.** Python strings, lists and dictionaries. `Tensor` from module 01 appears
# only at the end, where token ids pick rows of a weight matrix. There are no gradients in
# this module: a tokenizer has no parameters.
#
# **Where it lands.** `tinytorch/text/tokenization.py`: module 11 turns your token ids into
# vectors, and module 13 trains a small GPT on the corpus encoded by your `BPETokenizer`.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then run the test cell below it. When
# your notebook is graded, hidden tests in the same cells try random strings, fresh corpora,
# ties, unknown characters, and save/load round trips.

# %%
#| default_exp text.tokenization
#| export
import json
import re
from collections import Counter

from tinytorch.core.dataloader import data_root

# %%
import functools
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np

from tinytorch.core.tensor import Tensor

# %% [markdown]
# ## The corpus
#
# The course ships a small corpus in `data/text/tinycorpus.txt`: about 30 KB of original prose
# written for the course — short stories and plain-language passages about machine learning
# (`data/text/README.md` says where it comes from). `load_corpus` finds it beside your
# `tinytorch/` folder, or in the folder named by the environment variable `TINYTORCH_DATA`
# (module 08's `data_root` decides, as it does for the digits). It is given: read it, run
# it, and move on.

# %%
#| export
def load_corpus(name="tinycorpus", root=None):
    """The text of the corpus `<data root>/text/<name>.txt`, as one string."""
    path = data_root(root) / "text" / f"{name}.txt"
    if not path.is_file():
        raise FileNotFoundError(
            f"corpus '{name}' not found: expected the file {path}. Put {name}.txt in "
            f"{path.parent}/, or set the environment variable TINYTORCH_DATA to a folder "
            f"that holds text/{name}.txt."
        )
    return path.read_text(encoding="utf-8")


# %%
corpus = load_corpus()
words = corpus.split()
print(f"{len(corpus):,} characters, {len(words):,} words, "
      f"{len(set(corpus))} distinct characters, {len(set(words)):,} distinct words")
print(corpus[:300])

# %% [markdown]
# ## Characters, words, or something in between?
#
# Every tokenizer trades **vocabulary size** $V$ against **sequence length** $L$:
#
# | unit | $V$ (this corpus) | $L$ for the corpus | a word it never saw |
# |---|---|---|---|
# | character | about 60 | every character, ~30 000 | spelled out, always works |
# | word | about 1 700 | every word, ~5 700 | has no id at all |
# | sub-word (BPE) | what you choose, e.g. 500 | in between | spelled from smaller pieces |
#
# Both ends cost something. A model pays for $V$ in its embedding table ($V \times d$
# numbers, module 11) and its output layer (another $d \times V$), and for $L$ in every layer:
# attention compares every position with every other, so its cost grows as $L^2$. Words would
# make $L$ short, but language has a long tail: a few words are everywhere, most words are rare.
# Count them:

# %%
word_counts = Counter(words)
ranked_counts = sorted(word_counts.values(), reverse=True)
seen_once = sum(1 for count in ranked_counts if count == 1)
print(f"{seen_once:,} of {len(ranked_counts):,} distinct words ({seen_once / len(ranked_counts):.0%}) "
      f"appear exactly once; the top 10: {word_counts.most_common(10)}")

figure, axis = plt.subplots(figsize=(5, 3.5))
axis.loglog(range(1, len(ranked_counts) + 1), ranked_counts, ".", markersize=3)
axis.set(xlabel="rank of the word", ylabel="times it appears", title="Word counts in the corpus (Zipf's law)")
figure.tight_layout()
plt.show()

# %% [markdown]
# Nearly a straight line on log-log axes: the $r$-th most common word appears roughly
# $\propto 1/r$ times (Zipf's law). A word vocabulary big enough to cover new text would be
# huge and mostly made of rows that are trained once in a blue moon; a word missing from it
# cannot be written at all. **Sub-word** tokenizers give the frequent words a token of their
# own and spell the rare ones from frequent pieces, so nothing is unwritable and common text is
# short. Byte-pair encoding (BPE) is the sub-word scheme of GPT-2 and most models since.
#
# ## Step 1 — The `Tokenizer` base class and special tokens
#
# Every tokenizer in TinyTorch has the same interface and the same four **special tokens**,
# always at the same ids, so that code written for one tokenizer (padding a batch, stopping
# generation) works with all of them:
#
# | id | token | meaning |
# |---|---|---|
# | 0 | `<pad>` | filler that makes the sequences of a batch equally long |
# | 1 | `<unk>` | a character the tokenizer has never seen |
# | 2 | `<bos>` | beginning of sequence: "start writing here" |
# | 3 | `<eos>` | end of sequence: "stop here" |
#
# The vocabulary is a list, `vocab[id] = token string`, starting with those four; its inverse
# is the dictionary `token_to_id`. A subclass only says how text becomes ids
# (`text_to_ids`). The base class adds what all tokenizers share:
#
# - `encode(text, add_special=False)`: `text_to_ids(text)`, wrapped in `<bos>` … `<eos>`
#   when `add_special` is true (a language model learns where texts start and stop from them);
# - `decode(ids)`: the tokens' strings joined together, **skipping** `<pad>`, `<bos>` and
#   `<eos>` (they mark structure, not text). `<unk>` is kept and shows as `"<unk>"`, so a
#   reader can see that something was lost;
# - `save(path)` / `load(path)` (step 7) store a trained tokenizer as JSON, so a BPE
#   vocabulary trained once can be reused — a model is useless without the exact tokenizer it
#   was trained with.
#
# Fill in `encode` and `decode` now; `save` and `load` wait for step 7.

# %% nbgrader={"grade": false, "grade_id": "tokenizer-base-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class Tokenizer:
    """Turns text into a list of token ids and back. Subclasses define `text_to_ids`."""

    SPECIAL_TOKENS = ("<pad>", "<unk>", "<bos>", "<eos>")
    PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3

    def __init__(self, tokens=()):
        """Vocabulary: the four special tokens, then `tokens` in the order given.

        A token already in the vocabulary is not added twice (its first id is kept).
        """
        self.vocab = []
        self.token_to_id = {}
        for token in (*self.SPECIAL_TOKENS, *tokens):
            if token not in self.token_to_id:
                self.token_to_id[token] = len(self.vocab)
                self.vocab.append(token)

    @property
    def vocab_size(self):
        return len(self.vocab)

    def text_to_ids(self, text):
        """The ids of `text`, without special tokens. Each subclass says how."""
        raise NotImplementedError(f"{type(self).__name__} must define text_to_ids(text)")

    def encode(self, text, add_special=False):
        """Token ids of `text` (a list of ints); with add_special, [BOS_ID] + ids + [EOS_ID]."""
        ### BEGIN SOLUTION
        ids = self.text_to_ids(text)
        if add_special:
            ids = [self.BOS_ID, *ids, self.EOS_ID]
        return ids
        ### END SOLUTION

    def decode(self, ids):
        """The text of a sequence of ids (list, 1-D numpy array...).

        Join `self.vocab[id]` for every id, skipping PAD_ID, BOS_ID and EOS_ID. Numpy
        integers are fine as ids once converted with int().
        """
        ### BEGIN SOLUTION
        structural = (self.PAD_ID, self.BOS_ID, self.EOS_ID)
        return "".join(self.vocab[int(i)] for i in ids if int(i) not in structural)
        ### END SOLUTION

    # ---- Step 7: save and load -----------------------------------------------------------

    def to_dict(self):
        """Everything needed to rebuild this tokenizer, as JSON-friendly values."""
        return {"type": type(self).__name__, "special_tokens": list(self.SPECIAL_TOKENS),
                "tokens": self.vocab[len(self.SPECIAL_TOKENS):]}

    @classmethod
    def from_dict(cls, state):
        return cls(state["tokens"])

    @classmethod
    def class_named(cls, type_name):
        """`cls` or the subclass of it called `type_name` (the "type" a saved file records)."""
        family, matching = [cls], []
        while family:
            kind = family.pop()
            matching += [kind] if kind.__name__ == type_name else []
            family += kind.__subclasses__()
        if not matching:
            raise ValueError(f"the file holds a {type_name}, which is not a {cls.__name__}")
        return matching[0]

    def save(self, path):
        """Write `self.to_dict()` to `path` as JSON (UTF-8; keep non-ASCII characters readable
        with ensure_ascii=False)."""
        ### BEGIN SOLUTION
        with open(path, "w", encoding="utf-8") as file:
            json.dump(self.to_dict(), file, ensure_ascii=False, indent=1)
        ### END SOLUTION

    @classmethod
    def load(cls, path):
        """Read a tokenizer saved by `save`. `Tokenizer.load(path)` returns an object of the
        class recorded in the file: find it with `cls.class_named(state["type"])`, then
        build it with that class's `from_dict(state)`. Refuse a file whose special tokens
        differ from SPECIAL_TOKENS with a ValueError: its ids would mean something else."""
        ### BEGIN SOLUTION
        with open(path, encoding="utf-8") as file:
            state = json.load(file)
        if tuple(state["special_tokens"]) != cls.SPECIAL_TOKENS:
            raise ValueError(f"{path}: special tokens {state['special_tokens']} differ from "
                             f"{list(cls.SPECIAL_TOKENS)}")
        return cls.class_named(state["type"]).from_dict(state)
        ### END SOLUTION


# %% [markdown]
# The test uses a toy subclass that splits text on spaces, one token per known word. Note
# what its `decode` gives back: the spaces are gone, because a word tokenizer throws them away.
# That is one more reason real tokenizers keep spaces inside their tokens, as BPE will below.

# %% nbgrader={"grade": true, "grade_id": "tokenizer-base", "locked": true, "points": 2, "schema_version": 3, "solution": false}
class ToyWordTokenizer(Tokenizer):
    """One token per known word; for testing the base class only."""

    def text_to_ids(self, text):
        return [self.token_to_id.get(word, self.UNK_ID) for word in text.split()]


toy = ToyWordTokenizer(["the", "cat", "sat"])
assert toy.vocab[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"], f"special tokens first: {toy.vocab}"
assert toy.vocab_size == 7, f"4 special tokens + 3 words = 7, got {toy.vocab_size}"
assert toy.encode("the cat sat") == [4, 5, 6], f"encode('the cat sat') = {toy.encode('the cat sat')}"
with_special = toy.encode("the cat", add_special=True)
assert with_special == [2, 4, 5, 3], f"add_special=True should give [<bos>, ..., <eos>] = [2, 4, 5, 3], got {with_special}"
assert toy.encode("the dog") == [4, 1], "an unknown word is <unk> (id 1)"
decoded = toy.decode([2, 4, 5, 6, 3, 0, 0])
assert decoded == "thecatsat", f"decode must skip <bos>, <eos> and <pad>: got {decoded!r}, expected 'thecatsat'"
assert toy.decode([4, 1]) == "the<unk>", f"<unk> stays visible: got {toy.decode([4, 1])!r}"
assert toy.decode(np.array([5, 6])) == "catsat", "decode accepts a numpy array of ids"
print("Step 1 passed: special tokens, encode with <bos>/<eos>, decode skips structure tokens.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1001)
words_known = ["w" + str(k) for k in range(12)]
hidden_toy = ToyWordTokenizer(words_known + ["w3"])
assert hidden_toy.vocab_size == 16, "a repeated token is not added twice"
for _ in range(20):
    picks = rng.integers(0, 12, size=rng.integers(0, 9))
    text = " ".join(words_known[k] for k in picks)
    ids = hidden_toy.encode(text)
    assert ids == [4 + int(k) for k in picks], f"encode({text!r})"
    assert hidden_toy.encode(text, add_special=True) == [2, *ids, 3], "add_special wraps in <bos> ... <eos>"
    assert hidden_toy.encode(text, add_special=False) == ids, "add_special=False adds nothing"
    padded = [2, *ids, 3] + [0] * int(rng.integers(0, 4))
    assert hidden_toy.decode(padded) == text.replace(" ", ""), "decode skips <bos>, <eos> and <pad>"
    assert hidden_toy.decode(np.array(padded, dtype=np.int64)) == text.replace(" ", "")
assert hidden_toy.decode([]) == "" and hidden_toy.encode("") == [], "empty text <-> no ids"
assert hidden_toy.decode([1, 1]) == "<unk><unk>", "<unk> is kept"
assert (Tokenizer.PAD_ID, Tokenizer.UNK_ID, Tokenizer.BOS_ID, Tokenizer.EOS_ID) == (0, 1, 2, 3)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — `CharTokenizer`
#
# The simplest real tokenizer: one token per character. Its vocabulary is the set of
# characters of a corpus, **sorted**. Why sorted? A Python `set` of strings iterates in an
# order that changes from one run of Python to the next (string hashing is randomized for
# security), so `list(set(text))` would give the same character a different id tomorrow, and a
# model trained today would read garbage. Sorting makes the ids a pure function of the corpus.
#
# A character not in the vocabulary encodes to `<unk>` instead of crashing: the model will
# meet text that its corpus did not contain (an accented name, an emoji).

# %% nbgrader={"grade": false, "grade_id": "char-tokenizer-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class CharTokenizer(Tokenizer):
    """One token per character. Build it from text with `CharTokenizer.from_corpus(text)`."""

    @classmethod
    def from_corpus(cls, text):
        """A CharTokenizer whose tokens are the distinct characters of `text`, sorted."""
        ### BEGIN SOLUTION
        return cls(sorted(set(text)))
        ### END SOLUTION

    def text_to_ids(self, text):
        """One id per character; characters not in the vocabulary become UNK_ID."""
        ### BEGIN SOLUTION
        return [self.token_to_id.get(character, self.UNK_ID) for character in text]
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "char-tokenizer", "locked": true, "points": 2, "schema_version": 3, "solution": false}
chars = CharTokenizer.from_corpus("hello world")
assert chars.vocab[4:] == [" ", "d", "e", "h", "l", "o", "r", "w"], f"sorted distinct characters after the specials: {chars.vocab[4:]}"
assert chars.vocab_size == 12, f"4 special + 8 characters, got {chars.vocab_size}"
ids = chars.encode("hello")
assert ids == [7, 6, 8, 8, 9], f"encode('hello') = {ids}, expected [7, 6, 8, 8, 9]"
assert chars.decode(ids) == "hello", "decode(encode(text)) == text"
assert chars.encode("hex") == [7, 6, 1], f"'x' is unknown and must encode to <unk> = 1, got {chars.encode('hex')}"
assert chars.decode(chars.encode("old", add_special=True)) == "old", "decode drops <bos>/<eos>"
print("Step 2 passed: sorted character vocabulary, <unk> for unknown characters.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1002)
alphabet = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ .,;!?\n\té")
for _ in range(10):
    text = "".join(rng.choice(alphabet, size=int(rng.integers(20, 200))))
    tokenizer = CharTokenizer.from_corpus(text)
    assert tokenizer.vocab[4:] == sorted(set(text)), "vocabulary = sorted distinct characters"
    assert tokenizer.vocab[:4] == list(Tokenizer.SPECIAL_TOKENS)
    assert tokenizer.decode(tokenizer.encode(text)) == text, "round trip on the corpus"
    assert len(tokenizer.encode(text)) == len(text), "one id per character"
    assert CharTokenizer.from_corpus(text).vocab == tokenizer.vocab, "deterministic"
    unknown = "".join(rng.choice(list("0123456789"), size=5))
    assert tokenizer.encode(unknown) == [1] * 5, "digits never seen -> <unk>"
    assert tokenizer.decode(tokenizer.encode(text, add_special=True) + [0, 0]) == text
assert CharTokenizer.from_corpus("").vocab_size == 4, "an empty corpus leaves the special tokens"
### END HIDDEN TESTS

# %% [markdown]
# ## Byte-pair encoding by hand
#
# BPE starts from characters and **learns merges**. Each round it counts every pair of
# neighbouring symbols in the corpus, picks the most frequent pair, and glues it into one new
# symbol everywhere. Each merge adds one token to the vocabulary and shortens the corpus by the
# pair's count. Stop when the vocabulary has the size you asked for.
#
# Counting over the raw text would be slow: the same word appears hundreds of times. So BPE
# first counts **distinct words with their frequencies**, and counts pairs per distinct word,
# weighted by its frequency. Take four words:
#
# | word | count | symbols |
# |---|---|---|
# | banana | 3 | `b a n a n a` |
# | bandana | 2 | `b a n d a n a` |
# | band | 4 | `b a n d` |
# | nab | 2 | `n a b` |
#
# **Round 1.** `(a, n)` appears twice in *banana* (×3), twice in *bandana* (×2), once in *band*
# (×4): $6 + 4 + 4 = 14$, more than any other pair (`(n, a)` has 10, `(b, a)` 9). Merge it:
# `b an an a`, `b an d an a`, `b an d`, `n a b`.
#
# **Round 2.** Now `(b, an)` leads with $3 + 2 + 4 = 9$: `ban an a`, `ban d an a`, `ban d`.
#
# **Round 3.** `(ban, d)` has 6: `ban an a`, `band an a`, `band`.
#
# **Round 4.** `(an, a)` has 5: `ban ana`, `band ana`. **Round 5.** `(ban, ana)` has 3: *banana*
# is now one token, *bandana* is `band ana`, and the rare *nab* is still spelled letter by letter.
#
# The merges, **in the order learned**, are the tokenizer: `(a,n), (b,an), (ban,d), (an,a),
# (ban,ana)`. To encode new text, apply them in that same order.
#
# Three details make BPE correct and reproducible:
#
# 1. **Ties.** When two pairs have the same count, take the **lexicographically smallest**
#    pair (compare the left strings, then the right ones: Python's tuple order). "Whichever
#    the dictionary gives first" would make the merges depend on insertion order.
# 2. **Overlaps.** In `a a a` the pair `(a, a)` occurs **twice** (positions 0–1 and 1–2), and
#    counting says 2. But merging goes left to right and cannot use the middle `a` twice:
#    `a a a` becomes `aa a`, not `aa aa`.
# 3. **Word boundaries.** Merges never cross from one word into the next, so no token spans
#    `"e c"` in *"the cat"*. The next cell splits text into the pieces merges stay inside.
#
# ## Pre-tokenization (given)
#
# `pretokenize` cuts text into **chunks**: a run of letters/digits with at most one space in
# front (`" cat"`), a run of punctuation with at most one space in front (`" ("`, `"."`), or a
# run of whitespace. Keeping the space in front of a word means `" the"` can become a single
# token, so a common word costs one token instead of two. Every character belongs to exactly
# one chunk, so `"".join(pretokenize(text)) == text` for any text: nothing is lost, which is
# what makes `decode(encode(text)) == text` possible.

# %%
#| export
# \w is a letter, digit or underscore (Unicode-aware); \s is whitespace. The three
# alternatives between them match every character, so the chunks tile the text exactly.
CHUNK_PATTERN = re.compile(r" ?\w+| ?[^\w\s]+|\s+")


def pretokenize(text):
    """Split text into chunks that BPE merges stay inside; "".join of them is text."""
    return CHUNK_PATTERN.findall(text)


# %%
print(pretokenize("The cat sat.  Then (quietly) it slept!\n"))

# %% [markdown]
# ## Step 3 — Counting pairs
#
# A **word table** maps each distinct chunk, as a tuple of its current symbols, to how many
# times it appears: `{("b","a","n","d"): 4, ...}`. `count_pairs` returns how often each
# adjacent pair appears across the whole table:
#
# $$\text{count}(x, y) = \sum_{w \in \text{table}} \text{freq}(w) \cdot \#\{i : w_i = x,\; w_{i+1} = y\}$$
#
# Every adjacent position counts, overlapping ones included: `("a","a","a")` holds `("a","a")`
# twice. Hint: `zip(symbols, symbols[1:])` yields the adjacent pairs of a tuple.

# %% nbgrader={"grade": false, "grade_id": "count-pairs-function", "locked": false, "schema_version": 3, "solution": true}
#| export
def count_pairs(word_freqs):
    """{(left, right): count} over a word table {tuple of symbols: frequency}."""
    ### BEGIN SOLUTION
    counts = {}
    for symbols, freq in word_freqs.items():
        for pair in zip(symbols, symbols[1:]):
            counts[pair] = counts.get(pair, 0) + freq
    return counts
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "bpe-pair-counts", "locked": true, "points": 2, "schema_version": 3, "solution": false}
table = {tuple("banana"): 3, tuple("bandana"): 2, tuple("band"): 4, tuple("nab"): 2}
counts = count_pairs(table)
assert counts[("a", "n")] == 14, f"(a, n): 6 + 4 + 4 = 14, got {counts.get(('a', 'n'))}"
assert counts[("n", "a")] == 10 and counts[("b", "a")] == 9, f"(n, a) 10 and (b, a) 9, got {counts.get(('n', 'a'))}, {counts.get(('b', 'a'))}"
assert ("a", "b") in counts and counts[("a", "b")] == 2, "the pair (a, b) in 'nab' counts 2"
overlap = count_pairs({("a", "a", "a"): 1})
assert overlap == {("a", "a"): 2}, f"'aaa' holds (a, a) twice (overlapping), got {overlap}"
assert count_pairs({("x",): 5}) == {}, "a one-symbol word has no pairs"
print("Step 3 passed: pair counts weighted by word frequency, overlaps counted.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1003)
for _ in range(20):
    hidden_table = {}
    for _ in range(int(rng.integers(1, 8))):
        word = tuple(rng.choice(list("abc"), size=int(rng.integers(1, 7))))
        hidden_table[word] = int(rng.integers(1, 6))
    expected = Counter()
    for word, freq in hidden_table.items():
        for i in range(len(word) - 1):
            expected[(word[i], word[i + 1])] += freq
    assert dict(count_pairs(hidden_table)) == dict(expected), f"count_pairs({hidden_table})"
assert count_pairs({("ab", "c", "ab", "c"): 3}) == {("ab", "c"): 6, ("c", "ab"): 3}, "symbols are strings of any length"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 4 — Applying one merge
#
# `merge_pair(symbols, pair)` walks a tuple of symbols **left to right**. Where the next two
# symbols are the pair, it emits their concatenation and **skips both**; otherwise it emits
# the symbol and moves one step. Skipping both is what turns `a a a` into `aa a` and not into
# something longer than the text it came from.

# %% nbgrader={"grade": false, "grade_id": "merge-pair-function", "locked": false, "schema_version": 3, "solution": true}
#| export
def merge_pair(symbols, pair):
    """`symbols` (a tuple or list of strings) with every non-overlapping occurrence of
    `pair`, found left to right, replaced by pair[0] + pair[1]. Returns a tuple."""
    ### BEGIN SOLUTION
    left, right = pair
    merged, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == left and symbols[i + 1] == right:
            merged.append(left + right)
            i += 2  # both symbols are used up by the merge
        else:
            merged.append(symbols[i])
            i += 1
    return tuple(merged)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "bpe-merge", "locked": true, "points": 2, "schema_version": 3, "solution": false}
merged = merge_pair(tuple("banana"), ("a", "n"))
assert merged == ("b", "an", "an", "a"), f"merge (a, n) in banana: got {merged}"
assert merge_pair(("b", "an", "d"), ("b", "an")) == ("ban", "d"), "symbols can be longer strings"
triple = merge_pair(("a", "a", "a"), ("a", "a"))
assert triple == ("aa", "a"), f"left to right, no symbol used twice: 'a a a' -> ('aa', 'a'), got {triple}"
assert merge_pair(("a", "a", "a", "a"), ("a", "a")) == ("aa", "aa"), "four a's make two aa's"
assert merge_pair(("x", "y"), ("a", "b")) == ("x", "y"), "no occurrence: unchanged"
assert merge_pair(["a", "b"], ("a", "b")) == ("ab",), "a list works too; the result is a tuple"
print("Step 4 passed: merges go left to right without overlap.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1004)
for _ in range(50):
    symbols = tuple(rng.choice(list("aab"), size=int(rng.integers(0, 12))))
    pair = tuple(rng.choice(list("ab"), size=2))
    got = merge_pair(symbols, pair)
    assert isinstance(got, tuple), "merge_pair returns a tuple"
    assert "".join(got) == "".join(symbols), f"merging never changes the text: {symbols} {pair} -> {got}"
    expected, i = [], 0
    while i < len(symbols):
        if symbols[i:i + 2] == pair:
            expected.append(pair[0] + pair[1])
            i += 2
        else:
            expected.append(symbols[i])
            i += 1
    assert got == tuple(expected), f"merge_pair({symbols}, {pair}) = {got}, expected {tuple(expected)}"
assert merge_pair((), ("a", "b")) == ()
### END HIDDEN TESTS

# %% [markdown]
# ## Step 5 — Training BPE
#
# `train(corpus, vocab_size)` puts the pieces together:
#
# 1. The characters of the corpus, **sorted**, are the first tokens (after the four special
#    ones). We start from characters rather than from the 256 byte values that GPT-2 uses:
#    tokens stay readable, and a text made of characters the corpus contains always
#    round-trips. The price: a character the corpus never had becomes `<unk>`. With bytes
#    nothing is unknown, but a token can hold half of a multi-byte UTF-8 character, and
#    decoding has to glue bytes back into valid text — a complication we skip.
# 2. The word table: each chunk of `pretokenize(corpus)`, as a tuple of characters, with its
#    count (a `Counter` does it in one line).
# 3. Count the pairs of the table once, with `count_pairs`.
# 4. Repeat while the vocabulary is smaller than `vocab_size`: take the most frequent pair,
#    breaking ties by the smallest pair, `min(counts, key=lambda pair: (-counts[pair], pair))`;
#    **stop** if there are no pairs left or the best one appears fewer than 2 times (merging a
#    pair seen once only memorizes the corpus); record the merge; then update the table and the
#    counts.
# 5. Store the result with `self.set_vocabulary(characters, merges)` and return `self`.
#
# **Updating instead of re-counting.** A merge changes only the words that contain the pair,
# usually a small fraction of the table. For each of those words: remove it from the table and
# **subtract** its pair counts (`count_pairs({symbols: freq})` gives them), merge it, put it
# back, and **add** the pair counts of the merged word. Delete a pair whose count drops to 0.
# A quick filter finds the candidates: a word can only hold the pair if it holds both symbols
# (`best[0] in symbols and best[1] in symbols`). Re-counting the whole table after every merge
# gives the same merges, but each round would touch every one of the ~1 400 distinct chunks of
# our corpus; updating keeps training to 512 tokens around a second in pure Python. Never count
# over the raw text: the same word would be counted hundreds of times.
#
# Encoding (step 6) is filled in next; the encode method sits in the same class.

# %% nbgrader={"grade": false, "grade_id": "bpe-tokenizer-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class BPETokenizer(Tokenizer):
    """Byte-pair encoding over characters: `BPETokenizer().train(corpus, vocab_size)`.

    Token ids: the four special tokens, the corpus's characters in sorted order, then one
    token per merge in the order the merges were learned.
    """

    def __init__(self, characters=(), merges=()):
        self.set_vocabulary(characters, merges)

    def set_vocabulary(self, characters, merges):
        """Rebuild the vocabulary and the merge ranks from characters and ordered merges."""
        self.characters = list(characters)
        self.merges = [tuple(pair) for pair in merges]
        # A merge's rank is its position in the learned order: lower ranks are applied first.
        self.merge_ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        super().__init__([*self.characters, *(left + right for left, right in self.merges)])

    def to_dict(self):
        return {**super().to_dict(), "characters": self.characters,
                "merges": [list(pair) for pair in self.merges]}

    @classmethod
    def from_dict(cls, state):
        return cls(state["characters"], state["merges"])

    def train(self, corpus, vocab_size):
        """Learn merges from `corpus` until the vocabulary has `vocab_size` tokens (or no pair
        appears at least twice). Ties go to the smallest pair. Returns self.

        Outline (the text above explains each step):
        - characters = sorted distinct characters of the corpus;
        - word_freqs = Counter of tuple(chunk) over pretokenize(corpus); counts = count_pairs(...);
        - loop: best pair = min(counts, key=lambda pair: (-counts[pair], pair)); stop when
          counts is empty or counts[best] < 2; record the merge; for every word holding both
          symbols of best: subtract its pair counts, merge it, re-insert it, add its new counts;
        - self.set_vocabulary(characters, merges); return self.
        """
        ### BEGIN SOLUTION
        characters = sorted(set(corpus))
        word_freqs = Counter(tuple(chunk) for chunk in pretokenize(corpus))
        counts = count_pairs(word_freqs)
        tokens = set(characters)
        merges = []
        while len(self.SPECIAL_TOKENS) + len(tokens) < vocab_size and counts:
            best = min(counts, key=lambda pair: (-counts[pair], pair))
            if counts[best] < 2:
                break
            merges.append(best)
            tokens.add(best[0] + best[1])
            # Only words that hold both symbols can change; `in` on a tuple is a fast scan.
            for symbols in [word for word in word_freqs if best[0] in word and best[1] in word]:
                freq = word_freqs.pop(symbols)
                merged = merge_pair(symbols, best)
                # A merged word keeps its text, so it cannot collide with another word.
                word_freqs[merged] = freq
                for pair, count in count_pairs({symbols: freq}).items():
                    counts[pair] -= count
                    if counts[pair] == 0:
                        del counts[pair]
                for pair, count in count_pairs({merged: freq}).items():
                    counts[pair] = counts.get(pair, 0) + count
        self.set_vocabulary(characters, merges)
        return self
        ### END SOLUTION

    # ---- Step 6: encoding ----------------------------------------------------------------

    def encode_chunk(self, chunk):
        """The ids of one pre-tokenized chunk.

        Start from its characters. Repeatedly find, among the adjacent pairs of the current
        symbols, the one with the LOWEST merge rank (learned first), and merge it with
        merge_pair; stop when no adjacent pair is a known merge. Then map each symbol to its
        id, with UNK_ID for a symbol not in the vocabulary (an unknown character).
        """
        ### BEGIN SOLUTION
        symbols = tuple(chunk)
        while len(symbols) > 1:
            known = [(self.merge_ranks[pair], pair) for pair in zip(symbols, symbols[1:])
                     if pair in self.merge_ranks]
            if not known:
                break
            _, pair = min(known)
            symbols = merge_pair(symbols, pair)
        return [self.token_to_id.get(symbol, self.UNK_ID) for symbol in symbols]
        ### END SOLUTION

    def text_to_ids(self, text):
        return [i for chunk in pretokenize(text) for i in self.encode_chunk(chunk)]


# %% [markdown]
# The visible test trains on the four words of the hand example (with spaces between them,
# so the chunks carry a leading space) and on a corpus made to have **ties**.

# %% nbgrader={"grade": true, "grade_id": "bpe-train", "locked": true, "points": 3, "schema_version": 3, "solution": false}
tiny = BPETokenizer().train("banana banana banana", 100)
assert tiny.characters == [" ", "a", "b", "n"], f"sorted characters first: {tiny.characters}"
assert tiny.merges[0] == ("a", "n"), f"(a, n) appears 6 times and comes first, got {tiny.merges[:1]}"
assert all(" " not in token[1:] for token in tiny.vocab[4:]), f"no token may hold a space after its first character: {tiny.vocab}"
tied = BPETokenizer().train("zy zy ab ab", 100)
assert tied.merges == [(" ", "a"), (" a", "b"), ("z", "y")], (
    f"ties go to the smallest pair: (' ', 'a') < ('a', 'b') < ('z', 'y'); got {tied.merges}")
assert tied.vocab_size == 4 + 5 + 3, f"4 special + 5 characters + 3 merges, got {tied.vocab_size}"
limited = BPETokenizer().train("banana banana banana", 9)
assert limited.vocab_size == 9 and len(limited.merges) == 1, f"vocab_size=9 allows exactly one merge, got {limited.merges}"
print("Step 5 passed: merges learned in order, ties broken by the smallest pair, words kept apart.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1005)
hand = BPETokenizer().train("banana banana banana bandana bandana band band band band nab nab", 100)
assert hand.merges[0] == ("a", "n"), "(a, n) is the most frequent pair of the hand example"
for _ in range(6):
    vocabulary_words = ["".join(rng.choice(list("abcde"), size=int(rng.integers(1, 6)))) for _ in range(8)]
    text = " ".join(rng.choice(vocabulary_words, size=60)) + "."
    first = BPETokenizer().train(text, 40)
    second = BPETokenizer().train(text, 40)
    assert first.merges == second.merges and first.vocab == second.vocab, "training twice gives identical merges"
    assert first.characters == sorted(set(text))
    assert first.vocab_size <= 40
    # Replay training with a plain reference: same merges, same order.
    table = Counter(tuple(chunk) for chunk in CHUNK_PATTERN.findall(text))
    replayed = []
    while 4 + len(set(text)) + len(replayed) < 40:
        pair_counts = Counter()
        for word, freq in table.items():
            for i in range(len(word) - 1):
                pair_counts[word[i], word[i + 1]] += freq
        if not pair_counts:
            break
        top = max(pair_counts.values())
        if top < 2:
            break
        best = sorted(p for p, c in pair_counts.items() if c == top)[0]
        replayed.append(best)
        table = {merge_pair(word, best): freq for word, freq in table.items()}
    assert first.merges == replayed, f"merges differ from the reference replay: {first.merges[:8]} vs {replayed[:8]}"
    for token in first.vocab[4 + len(first.characters):]:
        assert CHUNK_PATTERN.findall(token) == [token], f"token {token!r} crosses a word boundary"
overlapping = BPETokenizer().train("aaa aaa aaa", 100)
assert overlapping.decode(overlapping.encode("aaa aaa aaa")) == "aaa aaa aaa"
assert BPETokenizer().train("abc", 100).merges == [], "pairs seen once are not merged"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 6 — Encoding and decoding with BPE
#
# To encode, pre-tokenize, then encode each chunk by replaying the merges **in the order they
# were learned**. Replaying them literally (for every merge, in order, scan the chunk) costs
# one pass per merge — hundreds of passes over a five-letter word. Instead, `encode_chunk`
# repeatedly merges whichever adjacent pair has the **lowest rank**. This gives the same
# result: a token can only take part in merges learned after it was created, so the ranks
# merged in a chunk only ever increase, exactly as in the literal replay.
#
# Order matters. With merges `[(b, c), (a, b)]`, the chunk `abc` becomes `a bc`: `(b, c)` was
# learned first, although `(a, b)` comes first from the left.
#
# Decoding needs nothing new: `decode` from the base class joins the token strings. Because
# every chunk's symbols always concatenate back to the chunk, and the chunks back to the text,
# `decode(encode(text)) == text` for any text made of known characters.

# %% nbgrader={"grade": true, "grade_id": "bpe-encode-decode", "locked": true, "points": 3, "schema_version": 3, "solution": false}
ordered = BPETokenizer(characters=["a", "b", "c"], merges=[("b", "c"), ("a", "b")])
assert ordered.vocab[4:] == ["a", "b", "c", "bc", "ab"], f"characters, then one token per merge: {ordered.vocab}"
got = ordered.encode("abc")
assert got == [4, 7], f"(b, c) was learned first, so 'abc' -> ['a', 'bc'] = [4, 7]; got {got} = {[ordered.vocab[i] for i in got]}"
assert ordered.encode("abab") == [8, 8], f"'abab' -> ['ab', 'ab'], got {ordered.encode('abab')}"
assert ordered.encode("axc") == [4, 1, 6], f"'x' is unknown -> <unk>, got {ordered.encode('axc')}"
banana = BPETokenizer().train("banana banana banana", 100)
ids = banana.encode("banana banana")
assert len(ids) == 2, f"every merge learned: 'banana' and ' banana' are single tokens, got {[banana.vocab[i] for i in ids]}"
assert banana.decode(ids) == "banana banana", "round trip"
assert banana.decode(banana.encode("nab ban", add_special=True)) == "nab ban", "round trip with special tokens"
print("Step 6 passed: merges applied in learned order, round trip holds.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1006)
for _ in range(5):
    alphabet = list("abcdefg ,.\n")
    text = "".join(rng.choice(alphabet, size=400))
    tokenizer = BPETokenizer().train(text, 60)
    assert tokenizer.decode(tokenizer.encode(text)) == text, "round trip on the training corpus"
    for _ in range(10):
        probe = "".join(rng.choice(alphabet, size=int(rng.integers(0, 40))))
        assert tokenizer.decode(tokenizer.encode(probe)) == probe, f"round trip on {probe!r}"
    # Encoding equals the literal replay of every merge in order.
    for chunk in CHUNK_PATTERN.findall(text)[:40]:
        symbols = tuple(chunk)
        for pair in tokenizer.merges:
            symbols = merge_pair(symbols, pair)
        assert tokenizer.encode(chunk) == [tokenizer.token_to_id[s] for s in symbols], f"encode({chunk!r})"
    assert len(tokenizer.encode(text)) < len(text), "BPE must compress its own corpus"
    unknown_ids = tokenizer.encode("a" + "XYZ" + "b")
    assert unknown_ids.count(1) == 3, f"three unknown characters -> three <unk>, got {unknown_ids}"
hand = BPETokenizer(characters=list("abnd"), merges=[("a", "n"), ("b", "an"), ("ban", "d"), ("an", "a"), ("ban", "ana")])
assert [hand.vocab[i] for i in hand.encode("bandana")] == ["band", "ana"]
assert [hand.vocab[i] for i in hand.encode("nab")] == ["n", "a", "b"]
assert hand.encode("banana", add_special=True) == [2, hand.token_to_id["banana"], 3]
### END HIDDEN TESTS

# %% [markdown]
# ## Step 7 — Saving and loading
#
# A trained tokenizer is part of a model: the ids in the embedding table only mean something
# together with the exact vocabulary and merges that produced them. `save` writes
# `to_dict()` as JSON (human-readable, diff-able); `load` reads it back and rebuilds the right
# class. Go back to the `Tokenizer` cell and fill in `save` and `load`.

# %% nbgrader={"grade": true, "grade_id": "tokenizer-save-load", "locked": true, "points": 2, "schema_version": 3, "solution": false}
with tempfile.TemporaryDirectory() as folder:
    bpe = BPETokenizer().train("the cat and the hat and the bat", 30)
    bpe.save(f"{folder}/bpe.json")
    with open(f"{folder}/bpe.json", encoding="utf-8") as file:
        saved = json.load(file)
    assert saved["type"] == "BPETokenizer", f"the file records the tokenizer's class: {saved.get('type')}"
    restored = Tokenizer.load(f"{folder}/bpe.json")
    assert isinstance(restored, BPETokenizer), f"Tokenizer.load rebuilds a BPETokenizer, got {type(restored).__name__}"
    assert restored.merges == bpe.merges and restored.vocab == bpe.vocab, "same merges and vocabulary after loading"
    assert restored.encode("the bat") == bpe.encode("the bat"), "same ids after loading"
    chars = CharTokenizer.from_corpus("hello")
    chars.save(f"{folder}/chars.json")
    assert CharTokenizer.load(f"{folder}/chars.json").vocab == chars.vocab, "CharTokenizer round trip"
print("Step 7 passed: tokenizers survive save and load.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1007)
with tempfile.TemporaryDirectory() as folder:
    for trial in range(4):
        text = "".join(rng.choice(list("abcdeé ñ.\n"), size=300))
        for tokenizer in (BPETokenizer().train(text, 50), CharTokenizer.from_corpus(text)):
            path = f"{folder}/t{trial}.json"
            tokenizer.save(path)
            again = Tokenizer.load(path)
            assert type(again) is type(tokenizer), "load rebuilds the saved class"
            assert again.vocab == tokenizer.vocab and again.encode(text) == tokenizer.encode(text)
            assert again.decode(again.encode(text)) == text
            with open(path, encoding="utf-8") as file:
                assert "é" in file.read(), "non-ASCII characters are stored readably (ensure_ascii=False)"
    CharTokenizer.from_corpus("abc").save(f"{folder}/c.json")
    try:
        BPETokenizer.load(f"{folder}/c.json")
    except ValueError:
        pass
    else:
        raise AssertionError("BPETokenizer.load of a CharTokenizer file must raise ValueError")
    with open(f"{folder}/odd.json", "w", encoding="utf-8") as file:
        json.dump({"type": "CharTokenizer", "special_tokens": ["<unk>", "<pad>", "<bos>", "<eos>"], "tokens": ["a"]}, file)
    try:
        Tokenizer.load(f"{folder}/odd.json")
    except ValueError:
        pass
    else:
        raise AssertionError("a file with other special tokens must be refused with ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## BPE on the course corpus
#
# Train on the whole corpus. BPE is greedy: a run that learns 508 merges learns first exactly
# the merges a shorter run would learn. So one run to 512 tokens gives every smaller
# vocabulary for free, as a prefix of its merges.

# %%
start = time.perf_counter()
corpus_bpe = BPETokenizer().train(corpus, 512)
training_seconds = time.perf_counter() - start
print(f"trained {len(corpus_bpe.merges)} merges ({corpus_bpe.vocab_size} tokens) in {training_seconds:.2f} s "
      f"from {len(set(pretokenize(corpus))):,} distinct chunks")
print("first 24 merges:", ["".join(pair) for pair in corpus_bpe.merges[:24]])
print("last 12 merges: ", ["".join(pair) for pair in corpus_bpe.merges[-12:]])
sample = "The tokenizer learned that the most common pieces deserve a token."
print([corpus_bpe.vocab[i] for i in corpus_bpe.encode(sample)])


def truncated(tokenizer, vocab_size):
    """The tokenizer that training to `vocab_size` would give: a prefix of the merges."""
    merges_kept = vocab_size - len(Tokenizer.SPECIAL_TOKENS) - len(tokenizer.characters)
    return BPETokenizer(tokenizer.characters, tokenizer.merges[:merges_kept])


# %% [markdown]
# The first merges are a space joined to a frequent first letter (`" t"`, `" a"`) and common
# letter pairs (`"he"`, `"in"`); whole words follow (`" the"`, `" and"`), then frequent endings
# and words of this particular corpus. The late merges are words that appear only a few times:
# on a 30 KB corpus, a vocabulary much larger than this starts memorizing the text.
#
# **How much shorter does BPE make the text?** Tokens per character, for each vocabulary size
# (1.0 is the character tokenizer), and the lengths of the tokens actually used:

# %%
char_tokenizer = CharTokenizer.from_corpus(corpus)
sizes = [char_tokenizer.vocab_size, 80, 100, 150, 200, 300, 400, 512]
tokens_per_char = []
for size in sizes:
    tokenizer = char_tokenizer if size == char_tokenizer.vocab_size else truncated(corpus_bpe, size)
    tokens_per_char.append(len(tokenizer.encode(corpus)) / len(corpus))
used_lengths = [len(corpus_bpe.vocab[i]) for i in corpus_bpe.encode(corpus)]

figure, (left_axis, right_axis) = plt.subplots(1, 2, figsize=(10, 3.5))
left_axis.plot(sizes, tokens_per_char, "o-")
left_axis.set(xlabel="vocabulary size", ylabel="tokens per character",
              title="Bigger vocabulary, shorter sequences")
right_axis.hist(used_lengths, bins=np.arange(0.5, max(used_lengths) + 1.5), rwidth=0.85)
right_axis.set(xlabel="characters in the token", ylabel="tokens in the encoded corpus",
               title=f"Token lengths, BPE with {corpus_bpe.vocab_size} tokens")
figure.tight_layout()
plt.show()

# %% [markdown]
# The curve falls fast, then flattens: the first merges capture pairs that occur thousands of
# times, later ones capture words that occur a handful of times, each saving only a few tokens.
# Real tokenizers (30 000–100 000 tokens) are trained on gigabytes, where even the 50 000th
# merge is seen millions of times.
#
# ## Systems view: sequence length, embedding memory, and speed
#
# What does the choice cost downstream? For each tokenizer, measured on the corpus: its number
# of tokens, the memory of an embedding table with $d = 128$ float32 numbers per token
# ($V \cdot d \cdot 4$ bytes, module 11), how many characters of text a context window of 256
# tokens holds, and the size of one attention score matrix over that window for one head
# ($256^2 \times 4$ bytes — fixed by the window, so what changes is how much text it covers).

# %%
embed_dim, window = 128, 256
print(f"{'tokenizer':>12} {'vocab':>6} {'corpus tokens':>14} {'tokens/char':>12} {'embedding KB':>13} {'chars per window':>17}")
for name, tokenizer in [("char", char_tokenizer), ("BPE 128", truncated(corpus_bpe, 128)),
                        ("BPE 256", truncated(corpus_bpe, 256)), ("BPE 512", corpus_bpe)]:
    n_tokens = len(tokenizer.encode(corpus))
    table_bytes = np.zeros((tokenizer.vocab_size, embed_dim), dtype=np.float32).nbytes
    print(f"{name:>12} {tokenizer.vocab_size:>6} {n_tokens:>14,} {n_tokens / len(corpus):>12.3f} "
          f"{table_bytes / 1024:>13.0f} {window * len(corpus) / n_tokens:>17.0f}")
print(f"attention scores for one {window}-token window, one head: {window * window * 4 / 1024:.0f} KB")

# %% [markdown]
# The embedding table grows linearly with $V$ and is small here either way; with GPT-2's
# 50 257 tokens and $d = 768$ it is 154 MB. In exchange, a window of 256 BPE tokens covers
# more than twice the text of 256 characters — and since attention costs grow as $L^2$, reading
# the same text as characters costs about $(\text{chars per token})^2$ times more attention
# work: about $2.7^2 \approx 7$ times more for BPE 512 on this corpus.
#
# **Speed.** Encoding throughput on the corpus, best of 3 runs (the machine is shared, so
# the best run is the least disturbed). BPE does far more work per character than a
# dictionary lookup. Real tokenizers cache each chunk's ids, since the same words recur
# constantly; `functools.lru_cache` shows the effect (after the first of the 3 runs the cache
# is warm, as it is for a tokenizer that has been running for a while):

# %%
def best_seconds(function, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


cached_chunk = functools.lru_cache(maxsize=None)(corpus_bpe.encode_chunk)
cached_chunk_ids = lambda text: [i for chunk in pretokenize(text) for i in cached_chunk(chunk)]
assert cached_chunk_ids(corpus) == corpus_bpe.encode(corpus)
for name, encode in [("char", char_tokenizer.encode), ("BPE 512", corpus_bpe.encode),
                     ("BPE 512, cached", cached_chunk_ids)]:
    seconds = best_seconds(lambda: encode(corpus))
    print(f"{name:>16}: {len(corpus) / seconds / 1e6:6.2f} M chars/s")

# %% [markdown]
# Pure-Python BPE manages a fraction of a million characters a second, tens of times slower
# than the character lookup; caching wins most of that back, because most chunks are repeats
# (about 1 400 distinct chunks among 6 600). Production tokenizers are written in Rust or C++ and
# reach tens of millions of characters per second, but they use the same two ideas: merge by
# rank, and cache words.
#
# ## Putting it together
#
# The integration test trains a BPE tokenizer on a short text, encodes a batch of sentences
# with `<bos>`/`<eos>`, pads them with `<pad>` into one rectangular array, and uses the ids to
# pick rows of an embedding matrix — exactly what module 11 does next. It also saves and
# reloads the tokenizer and checks that the batch decodes back to the sentences.

# %% nbgrader={"grade": true, "grade_id": "tokenization-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
def encode_batch(tokenizer, texts):
    """A (batch, longest + 2) int array of <bos> ids <eos>, padded with <pad> on the right."""
    rows = [tokenizer.encode(text, add_special=True) for text in texts]
    batch = np.full((len(rows), max(len(row) for row in rows)), Tokenizer.PAD_ID, dtype=np.int64)
    for index, row in enumerate(rows):
        batch[index, :len(row)] = row
    return batch


story = ("Once there was a small robot who liked to count. It counted the stars, "
         "it counted the stones, and it counted the steps to the sea.\n") * 4
tokenizer = BPETokenizer().train(story, 80)
sentences = ["the robot counted the stars", "it liked the sea", "Once there was a stone."]
batch = encode_batch(tokenizer, sentences)
assert batch[:, 0].tolist() == [2, 2, 2], "every row starts with <bos>"
assert batch.shape[1] == max(len(tokenizer.encode(s)) for s in sentences) + 2, f"padded width, got {batch.shape}"
assert [tokenizer.decode(row) for row in batch] == sentences, "rows decode back to the sentences"
assert len(tokenizer.encode(story)) < len(story) / 2, "BPE halves a repetitive story"
embedding = Tensor(np.random.default_rng(0).standard_normal((tokenizer.vocab_size, 8)))
vectors = embedding[Tensor(batch)]
assert vectors.shape == (3, batch.shape[1], 8), f"one 8-number vector per token: {vectors.shape}"
np.testing.assert_allclose(vectors.data[:, 0], np.tile(embedding.data[2], (3, 1)), err_msg="<bos> row")
with tempfile.TemporaryDirectory() as folder:
    tokenizer.save(f"{folder}/story.json")
    assert (encode_batch(Tokenizer.load(f"{folder}/story.json"), sentences) == batch).all(), "same batch after reload"
print(f"Integration passed: {len(story)} characters -> {len(tokenizer.encode(story))} tokens; batch {batch.shape}.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1010)
syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "so"]
lexicon = ["".join(rng.choice(syllables, size=int(rng.integers(1, 4)))) for _ in range(15)]
text = " ".join(rng.choice(lexicon, size=400))
tokenizer = BPETokenizer().train(text, 64)
characters = CharTokenizer.from_corpus(text)
assert len(tokenizer.encode(text)) < len(characters.encode(text)) / 2, "BPE shortens the text"
assert tokenizer.decode(tokenizer.encode(text)) == characters.decode(characters.encode(text)) == text
sentences = [" ".join(rng.choice(lexicon, size=int(rng.integers(1, 8)))) for _ in range(6)]
batch = encode_batch(tokenizer, sentences)
assert [tokenizer.decode(row) for row in batch] == sentences
lengths = (batch != Tokenizer.PAD_ID).sum(axis=1)
assert lengths.tolist() == [len(tokenizer.encode(s)) + 2 for s in sentences]
assert all(batch[i, lengths[i] - 1] == Tokenizer.EOS_ID for i in range(len(sentences))), "<eos> before the padding"
assert BPETokenizer().train(text, 64).merges == tokenizer.merges, "deterministic"
assert tokenizer.decode(tokenizer.encode("kaXlo")) == "ka<unk>lo", "unknown characters decode as <unk>"
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# You built the bridge between text and tensors:
#
# - a `Tokenizer` base with special tokens at fixed ids (`<pad>` 0, `<unk>` 1, `<bos>` 2,
#   `<eos>` 3), `encode(add_special=...)`, a `decode` that skips structure tokens, and JSON
#   `save`/`load`;
# - `CharTokenizer`, with a sorted vocabulary and `<unk>` for characters it never saw;
# - `BPETokenizer`: pair counting over a word table, left-to-right merges, greedy training
#   with deterministic ties, merges that stay inside words, and encoding by merge rank;
#   `decode(encode(text)) == text` for any text of known characters.
#
# You measured the trade-off that sets the cost of everything after this module: a bigger
# vocabulary makes sequences shorter (cheaper attention, more text per window) and embedding
# tables bigger, with diminishing returns on a small corpus.
#
# **Next:** module 11 turns each token id into a learned vector (`Embedding`) and adds
# positions, and module 13 trains a GPT on this corpus through your `BPETokenizer`.
#
# **Export your work:** `python -m autograder export` with this notebook writes
# `tinytorch/text/tokenization.py`.
