"""Story identity by text: near-duplicate articles (republications) are one story.

An article's main text is folded (``bot.text.normalise.fold``), cut into word 5-gram shingles and reduced
to a 64-value MinHash. We use rensa (a Rust MinHash, ~15 µs an article, no numpy/scipy) rather than
datasketch (numpy + scipy, and its LSH lives in memory or Redis, not in our SQLite): only the digest is
taken from the library, the LSH band index is ours, an indexed SQLite table, so a lookup is 21 indexed
probes whatever the number of stored articles.

Two texts are one story when the estimated Jaccard similarity of their shingles is at least 0.7 (chosen
from bench/stories.py), or when the smaller is contained in the larger (a republication cut to its first
paragraphs) for at least 90% of its shingles and is at least half its size. Titles never decide:
templated headlines ("Clashes in the countryside of ...") are common, and a republication often gets
a new one.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from bot.text.normalise import fold, words

NUM_PERM = 64
# The band layout decides which stored articles are compared at all: P(candidate) = 1 - (1 - J^ROWS)^BANDS.
# A copy cut to half its size, which the containment rule joins, has J 0.5: 21 bands of 3 values (63 of the
# 64) hand it over 94% of the time, at J 0.6 99%, at 0.7 99.95% (16 bands of 4 did 64%, 86% and 99%: the cut
# copies of tests/story_web missed their original at 0.08% of page dates). Unrelated texts estimate J ~0:
# among the 362 labelled real pages' bodies (65,341 pairs) one pair shares a band (bench/README.md).
BANDS, ROWS = 21, 3
SHINGLE = 5
MIN_SHINGLES = 20  # shorter texts (a caption, a one-line brief) are not compared
SEED = 20261125
JOIN_JACCARD = 0.7  # measured: light edits (1-2% of words) estimate 0.61-1.0; unrelated texts ~0
JOIN_CONTAINMENT = 0.9
MIN_SIZE_RATIO = 0.5
MAX_CANDIDATES = 64
# A story is told by its opening: copies keep it, cut copies keep only it. Fingerprinting the first 1,000
# words bounds the cost of very long pages (a 3,500-word page: 1.8 -> 0.66 ms) without changing any decision
# on news-length texts.
MAX_WORDS = 1000


def version() -> str:
    """Stored digests are only comparable under the same algorithm and parameters."""
    import rensa

    algorithm = getattr(rensa.RMinHash, "ALGORITHM_VERSION", "?")
    return f"rensa-{algorithm}/perm{NUM_PERM}/shingle{SHINGLE}/seed{SEED}"


@dataclass(frozen=True, slots=True)
class Fingerprint:
    digest: tuple[int, ...]
    shingles: int

    def to_blob(self) -> bytes:
        return struct.pack(f"<{NUM_PERM}I", *self.digest)

    @classmethod
    def from_blob(cls, blob: bytes, shingles: int) -> Fingerprint:
        return cls(struct.unpack(f"<{NUM_PERM}I", blob), shingles)

    def band_keys(self) -> list[int]:
        """One signed 64-bit key per band (SQLite INTEGER), the band number mixed in."""
        keys = []
        for band in range(BANDS):
            values = self.digest[band * ROWS : (band + 1) * ROWS]
            raw = hashlib.blake2b(struct.pack(f"<B{ROWS}I", band, *values), digest_size=8).digest()
            keys.append(int.from_bytes(raw, "little", signed=True))
        return keys


def shingles(text: str) -> set[str]:
    """The folded text's word 5-grams: a copy shares almost all of them, another report almost none."""
    # 12 characters: a long word and a space. ``words`` gives the runs of letters and digits that the regex
    # [^\W_]+ found here before, at half its cost
    return shingles_of(words(fold(text[: MAX_WORDS * 12])))


def shingles_of(text_words: list[str]) -> set[str]:
    """``shingles`` of the folded text's words."""
    found = text_words[:MAX_WORDS]
    return set(map(" ".join, zip(*(found[i:] for i in range(SHINGLE)), strict=False)))


def fingerprint(text: str) -> Fingerprint | None:
    """The text's fingerprint, or None when it is too short to tell a story by."""
    return _fingerprint(shingles(text))


def fingerprint_of(text_words: list[str]) -> Fingerprint | None:
    """``fingerprint`` of the folded text's words (an article's ``body_words``, already split for matching)."""
    return _fingerprint(shingles_of(text_words))


def _fingerprint(grams: set[str]) -> Fingerprint | None:
    import rensa

    if len(grams) < MIN_SHINGLES:
        return None
    minhash = rensa.RMinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update(list(grams))
    return Fingerprint(tuple(minhash.digest()), len(grams))


def similarity(a: Fingerprint, b: Fingerprint) -> tuple[float, float]:
    """(estimated Jaccard, estimated containment of the smaller in the larger)."""
    jaccard = sum(x == y for x, y in zip(a.digest, b.digest, strict=True)) / NUM_PERM
    shared = jaccard * (a.shingles + b.shingles) / (1 + jaccard)
    return jaccard, min(1.0, shared / min(a.shingles, b.shingles))


def same_story(a: Fingerprint, b: Fingerprint) -> tuple[bool, float]:
    """Whether two texts are one story, and how alike they are (for choosing the best candidate)."""
    jaccard, containment = similarity(a, b)
    ratio = min(a.shingles, b.shingles) / max(a.shingles, b.shingles)
    joined = jaccard >= JOIN_JACCARD or (containment >= JOIN_CONTAINMENT and ratio >= MIN_SIZE_RATIO)
    return joined, max(jaccard, containment * ratio)
