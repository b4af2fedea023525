# Generated from modules/10_tokenization/10_tokenization.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import json
import re
from collections import Counter

from tinytorch.core.dataloader import data_root


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
        ids = self.text_to_ids(text)
        if add_special:
            ids = [self.BOS_ID, *ids, self.EOS_ID]
        return ids

    def decode(self, ids):
        """The text of a sequence of ids (list, 1-D numpy array...).

        Join `self.vocab[id]` for every id, skipping PAD_ID, BOS_ID and EOS_ID. Numpy
        integers are fine as ids once converted with int().
        """
        structural = (self.PAD_ID, self.BOS_ID, self.EOS_ID)
        return "".join(self.vocab[int(i)] for i in ids if int(i) not in structural)

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
        with open(path, "w", encoding="utf-8") as file:
            json.dump(self.to_dict(), file, ensure_ascii=False, indent=1)

    @classmethod
    def load(cls, path):
        """Read a tokenizer saved by `save`. `Tokenizer.load(path)` returns an object of the
        class recorded in the file: find it with `cls.class_named(state["type"])`, then
        build it with that class's `from_dict(state)`. Refuse a file whose special tokens
        differ from SPECIAL_TOKENS with a ValueError: its ids would mean something else."""
        with open(path, encoding="utf-8") as file:
            state = json.load(file)
        if tuple(state["special_tokens"]) != cls.SPECIAL_TOKENS:
            raise ValueError(f"{path}: special tokens {state['special_tokens']} differ from "
                             f"{list(cls.SPECIAL_TOKENS)}")
        return cls.class_named(state["type"]).from_dict(state)


class CharTokenizer(Tokenizer):
    """One token per character. Build it from text with `CharTokenizer.from_corpus(text)`."""

    @classmethod
    def from_corpus(cls, text):
        """A CharTokenizer whose tokens are the distinct characters of `text`, sorted."""
        return cls(sorted(set(text)))

    def text_to_ids(self, text):
        """One id per character; characters not in the vocabulary become UNK_ID."""
        return [self.token_to_id.get(character, self.UNK_ID) for character in text]


# \w is a letter, digit or underscore (Unicode-aware); \s is whitespace. The three
# alternatives between them match every character, so the chunks tile the text exactly.
CHUNK_PATTERN = re.compile(r" ?\w+| ?[^\w\s]+|\s+")


def pretokenize(text):
    """Split text into chunks that BPE merges stay inside; "".join of them is text."""
    return CHUNK_PATTERN.findall(text)


def count_pairs(word_freqs):
    """{(left, right): count} over a word table {tuple of symbols: frequency}."""
    counts = {}
    for symbols, freq in word_freqs.items():
        for pair in zip(symbols, symbols[1:]):
            counts[pair] = counts.get(pair, 0) + freq
    return counts


def merge_pair(symbols, pair):
    """`symbols` (a tuple or list of strings) with every non-overlapping occurrence of
    `pair`, found left to right, replaced by pair[0] + pair[1]. Returns a tuple."""
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

    # ---- Step 6: encoding ----------------------------------------------------------------

    def encode_chunk(self, chunk):
        """The ids of one pre-tokenized chunk.

        Start from its characters. Repeatedly find, among the adjacent pairs of the current
        symbols, the one with the LOWEST merge rank (learned first), and merge it with
        merge_pair; stop when no adjacent pair is a known merge. Then map each symbol to its
        id, with UNK_ID for a symbol not in the vocabulary (an unknown character).
        """
        symbols = tuple(chunk)
        while len(symbols) > 1:
            known = [(self.merge_ranks[pair], pair) for pair in zip(symbols, symbols[1:])
                     if pair in self.merge_ranks]
            if not known:
                break
            _, pair = min(known)
            symbols = merge_pair(symbols, pair)
        return [self.token_to_id.get(symbol, self.UNK_ID) for symbol in symbols]

    def text_to_ids(self, text):
        return [i for chunk in pretokenize(text) for i in self.encode_chunk(chunk)]
