"""Text columns read as 64-bit words, 8 bytes at a time: whole-column comparisons of short strings
without a hash table, for key uniqueness (fingerprints) and child keys (starts_with_each)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..read import byte_view

KEEP_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], np.uint64)  # the first k bytes
MIX = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9)
MAX_FINGERPRINT_WORDS = 8  # values up to 64 bytes are fingerprinted; longer ones go to the hash table


class Words:
    """The values of a string array as little-endian 64-bit words, read from a zero-padded copy of its
    bytes so that reading up to `reach` bytes past any value's start stays inside."""

    def __init__(self, values: pa.Array, reach: int):
        data, offsets = byte_view(values)
        used = data[offsets[0]:offsets[-1]]
        padded = np.zeros(len(used) + reach + 8, np.uint8)
        padded[:len(used)] = used
        self.at = np.ndarray((len(padded) - 7,), "<u8", padded, 0, (1,))  # a word starting at every byte
        self.starts = offsets[:-1].astype(np.int64) - offsets[0]
        self.lengths = np.diff(offsets)

    def word(self, k: int, lengths: np.ndarray | None = None) -> np.ndarray:
        """Each value's k-th word, keeping only bytes before `lengths` (each value's own length by default)."""
        lengths = self.lengths if lengths is None else lengths
        return self.at[self.starts + 8 * k] & KEEP_BYTES[np.clip(lengths - 8 * k, 0, 8)]


def fingerprints(values: pa.Array) -> np.ndarray | None:
    """A 64-bit fingerprint of each value of a string array without nulls, from its words and its length:
    equal values have equal fingerprints. None when a value is too long to be worth it."""
    lengths = np.diff(byte_view(values)[1])
    count = int(-(-lengths.max(initial=0) // 8))
    if count > MAX_FINGERPRINT_WORDS:
        return None
    words = Words(values, 8 * count)
    out = words.lengths.astype(np.uint64) * MIX[0]
    for k in range(count):
        out = (out ^ words.word(k)) * MIX[1]
        out ^= out >> np.uint64(31)
    return out


def starts_with_each(values: pa.Array, prefixes: pa.DictionaryArray) -> np.ndarray:
    """Whether each value starts with its own row's prefix (a dictionary-encoded array as long as values),
    compared exactly, word by word; False where either is null."""
    dictionary, indices = prefixes.dictionary, prefixes.indices
    if not len(dictionary):  # every prefix is null
        return np.zeros(len(values), bool)
    valid = pc.and_(pc.is_valid(values), pc.is_valid(indices)).to_numpy(zero_copy_only=False)
    index = pc.fill_null(indices, 0).to_numpy(zero_copy_only=False)
    sizes = np.diff(byte_view(dictionary)[1])
    wanted = sizes[index]  # each row's prefix length
    count = int(-(-sizes.max(initial=0) // 8))
    expected, have = Words(dictionary, 8 * count), Words(values, 8 * count)
    match = valid & (have.lengths >= wanted)
    for k in range(count):
        match &= have.word(k, wanted) == expected.word(k)[index]
    return match
