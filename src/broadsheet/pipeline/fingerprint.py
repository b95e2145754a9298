"""Fingerprints that recognise the same copy however it was typeset, or lightly edited.

``content_hash`` identifies exact duplicates: two bodies with the same words in the same order,
whatever their case, punctuation, quote style or spacing, hash the same. Headlines are left out on
purpose, because outlets re-running wire copy nearly always write their own.

``minhash_signature`` identifies near duplicates: wire copy re-run with a dateline or byline
added, furniture the cleaner let through, the last paragraph trimmed or a few words edited. It is a
MinHash (datasketch, ``affine32`` scheme, ``NUM_PERM`` permutations from a fixed seed) over the
body's word ``SHINGLE``-grams, encoded as ``NUM_PERM`` little-endian unsigned 32-bit values.
The store indexes it under ``BANDS`` LSH band keys (``band_keys``) and confirms every candidate
with ``is_near_duplicate``: the share of the smaller body's shingles found in the other, estimated
from the two signatures and shingle counts, against a threshold fitted on ECB+ train (see
``bench/dedupe.py`` and ``docs/deduplication.md``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from datasketch import MinHash

from broadsheet.model import ArticleDraft

__all__ = [
    "BANDS",
    "MIN_CONTAINMENT",
    "NUM_PERM",
    "ROWS",
    "SHINGLE",
    "Signature",
    "band_keys",
    "containment",
    "content_hash",
    "decode_signature",
    "estimate_jaccard",
    "fingerprint",
    "is_near_duplicate",
    "minhash_signature",
    "near_duplicate_mask",
    "normalized_words",
    "shingles",
]

Signature = npt.NDArray[np.uint32]

# Words per shingle. Five words rarely recur by chance across different write-ups of one event,
# while one edited word only breaks the five shingles that cover it.
SHINGLE = 5
NUM_PERM = 128
SEED = 1
# LSH: BANDS bands of ROWS rows. Two bodies become candidates when all the rows of at least one
# band agree: probability 1 - (1 - J**ROWS)**BANDS, 0.87 at Jaccard 0.5, 0.99 at 0.6.
BANDS = 32
ROWS = NUM_PERM // BANDS
# Verification: a candidate is a copy when at least MIN_CONTAINMENT of the smaller body's
# shingles are in the other (estimated from the signatures and shingle counts). Fitted on ECB+
# train by ``bench/dedupe.py --fit``: the highest train recall with pair precision >= 0.995.
# A Jaccard threshold as well added nothing there (containment is never below Jaccard).
MIN_CONTAINMENT = 0.45

_WORD = re.compile(r"\w+")
_DTYPE = np.dtype("<u4")
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32")


def normalized_words(text: str) -> list[str]:
    """The words of ``text``: NFKC, case-folded, punctuation and spacing dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def content_hash(paragraphs: Sequence[str]) -> str:
    """SHA-256 (hex) of the body's normalised words."""
    words = normalized_words("\n".join(paragraphs))
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def shingles(paragraphs: Sequence[str], k: int = SHINGLE) -> set[bytes]:
    """The distinct ``k``-word shingles of the body; a body shorter than ``k`` words is one."""
    words = normalized_words("\n".join(paragraphs))
    if not words:
        return set()
    if len(words) < k:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i : i + k]).encode("utf-8") for i in range(len(words) - k + 1)}


def minhash_signature(paragraphs: Sequence[str]) -> tuple[bytes, int]:
    """The body's MinHash signature (``NUM_PERM`` * 4 bytes) and its number of shingles.

    An empty body has the empty signature and no shingles.
    """
    grams = shingles(paragraphs)
    if not grams:
        return b"", 0
    sketch = MinHash(
        num_perm=NUM_PERM, seed=SEED, scheme="affine32", permutations=_TEMPLATE.permutations
    )
    sketch.update_batch(grams)
    return np.asarray(sketch.hashvalues, dtype=_DTYPE).tobytes(), len(grams)


def decode_signature(data: bytes) -> Signature:
    """The ``NUM_PERM`` hash values of an encoded signature. Raises ``ValueError`` if malformed."""
    if len(data) != NUM_PERM * _DTYPE.itemsize:
        raise ValueError(f"a signature has {NUM_PERM * _DTYPE.itemsize} bytes, not {len(data)}")
    return np.frombuffer(data, dtype=_DTYPE).astype(np.uint32)


def estimate_jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets: the share of agreeing values."""
    return float(np.count_nonzero(a == b)) / len(a)


def containment(jaccard: float, count_a: int, count_b: int) -> float:
    """Estimated share of the smaller shingle set found in the larger one.

    From ``J = |A & B| / |A | B|`` and ``|A | B| = |A| + |B| - |A & B|``:
    ``|A & B| = J (|A| + |B|) / (1 + J)``.
    """
    smaller = min(count_a, count_b)
    if smaller <= 0:
        return 0.0
    overlap = jaccard * (count_a + count_b) / (1.0 + jaccard)
    return min(1.0, overlap / smaller)


def near_duplicate_mask(
    signature: Signature, count: int, others: npt.NDArray[np.uint32], counts: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """For each row of ``others`` (signatures) and ``counts``: is it a copy of this body?"""
    if others.size == 0:
        return np.zeros(0, dtype=np.bool_)
    jaccard = (others == signature).mean(axis=1)
    overlap = jaccard * (counts + count) / (1.0 + jaccard)
    smaller = np.maximum(np.minimum(counts, count), 1)
    result: npt.NDArray[np.bool_] = overlap / smaller >= MIN_CONTAINMENT
    return result


def is_near_duplicate(a: Signature, count_a: int, b: Signature, count_b: int) -> bool:
    """Whether two bodies are copies of one text (symmetric)."""
    mask = near_duplicate_mask(a, count_a, b.reshape(1, -1), np.array([count_b], dtype=np.int64))
    return bool(mask[0])


def band_keys(signature: Signature) -> list[int]:
    """The ``BANDS`` LSH keys of a signature, each a signed 64-bit integer (fits a BIGINT).

    A key hashes the band's index with its ``ROWS`` values, so equal values in different bands
    never collide.
    """
    raw = np.ascontiguousarray(signature, dtype=_DTYPE).tobytes()
    width = ROWS * _DTYPE.itemsize
    keys = []
    for band in range(BANDS):
        digest = hashlib.blake2b(
            raw[band * width : (band + 1) * width], digest_size=8, person=b"bs-lsh%02d" % band
        ).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def fingerprint(draft: ArticleDraft) -> ArticleDraft:
    """Return ``draft`` with its ``content_hash``, ``minhash`` and ``shingle_count`` set."""
    signature, count = minhash_signature(draft.paragraphs)
    return dataclasses.replace(
        draft,
        content_hash=content_hash(draft.paragraphs),
        minhash=signature,
        shingle_count=count,
    )
