"""Near-duplicate story lookup at scale: the real store code on 10k, 100k and 1M stored articles.

Run: .venv/bin/python bench/stories.py [--sizes 10000,100000,1000000] [--new 10000] [--db PATH]

Synthetic articles (150-250 words from a 20,000-word vocabulary, deterministic per id) are stored with the
real schema: article rows with their story, the fingerprint table and the LSH band index (texts are not
stored: the check reads fingerprints only). At each size, 10,000 new articles are checked with
``Store._similar_story`` (the code the pipeline runs) without being stored, so every check sees the same
store: 10% are near-duplicates of stored articles (a random mix of: verbatim, a "Source:" line added, cut
to its first 70-95%, cut to its first 55-70%, 1-2% of the words changed), 90% are new texts. Reports p50/p99
per check, precision and recall of the grouping (and recall by kind of copy), and database bytes per article.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot import stories
from bot.store import Store
from bot.store.articles import save_fingerprint

SYLLABLES = [c + v for c in "bdfghklmnprstwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def vocabulary(n: int = 20_000) -> list[str]:
    rng = random.Random(1)
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(n)]


VOCAB = vocabulary()


def text(i: int) -> str:
    rng = random.Random(i * 7919 + 17)
    return " ".join(rng.choice(VOCAB) for _ in range(rng.randint(150, 250)))


KINDS = ("verbatim", "source", "cut", "short cut", "edit")


def near_duplicate(original: str, rng: random.Random) -> tuple[str, str]:
    """A copy of the original, and its kind."""
    words = original.split()
    kind = rng.choice(KINDS)
    if kind == "source":
        words = [*words, "Source:", "Euphrates", "Post"]
    elif kind == "cut":
        words = words[: int(len(words) * rng.uniform(0.7, 0.95))]
    elif kind == "short cut":  # Jaccard 0.55-0.7: the containment rule's to join, if the band index finds it
        words = words[: int(len(words) * rng.uniform(0.55, 0.7))]
    elif kind == "edit":  # a copy editor's touch: 1-2% of the words changed
        rate = rng.uniform(0.01, 0.02)
        words = [rng.choice(VOCAB) if rng.random() < rate else w for w in words]
    return " ".join(words), kind


def fill(store: Store, start: int, stop: int) -> None:
    """Store articles start..stop-1, each its own story (ids are story ids too)."""
    db = store.db
    batch = 20_000
    for low in range(start, stop, batch):
        high = min(stop, low + batch)
        with store.transaction():
            db.conn.executemany(
                "INSERT INTO articles (id, url, canonical_url, source, title, text, first_seen, story_id) "
                "VALUES (?, '', ?, 'bench', '', '', '', ?)",
                [(i, f"https://bench.example/{i}", i) for i in range(low, high)],
            )
            for i in range(low, high):
                fingerprint = stories.fingerprint(text(i))
                save_fingerprint(db, i, fingerprint)
        print(f"  stored {high:,} articles", end="\r", file=sys.stderr)
    print(file=sys.stderr)


def measure(store: Store, stored: int, new: int, seed: int = 5) -> dict:
    rng = random.Random(seed)
    checks, truth, kinds = [], [], []
    for n in range(new):
        if rng.random() < 0.10:
            original = rng.randrange(1, stored + 1)
            copy, kind = near_duplicate(text(original), rng)
            checks.append(copy)
            truth.append(original)
            kinds.append(kind)
        else:
            checks.append(text(10_000_000 + seed * 100_000 + n))  # never stored
            truth.append(None)
            kinds.append(None)
    prints = [stories.fingerprint(t) for t in checks]
    times, found = [], []
    for fingerprint in prints:
        started = time.perf_counter()
        found.append(store._similar_story(fingerprint))
        times.append(time.perf_counter() - started)
    joined = [(f, t) for f, t in zip(found, truth, strict=True) if f is not None]
    duplicates = sum(1 for t in truth if t is not None)
    correct = sum(1 for f, t in joined if f == t)
    times.sort()
    by_kind = {kind: [f == t for f, t, k in zip(found, truth, kinds, strict=True) if k == kind] for kind in KINDS}
    return {
        "recall_by_kind": {kind: sum(hits) / len(hits) for kind, hits in by_kind.items() if hits},
        "stored": stored,
        "p50_ms": statistics.median(times) * 1000,
        "p99_ms": times[int(len(times) * 0.99)] * 1000,
        "precision": correct / len(joined) if joined else 1.0,
        "recall": correct / duplicates if duplicates else 1.0,
        "duplicates": duplicates,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--db", default=None, help="database file (default: a temporary one)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = tempfile.mkdtemp(prefix="wirewatch-bench-")
    path = Path(args.db or Path(folder) / "stories.db")
    store = Store.open(path)
    print(f"fingerprint {stories.version()}; bands {stories.BANDS}x{stories.ROWS}; db {path}")
    head = ("stored", "p50 ms", "p99 ms", "precision", "recall", "bytes/article", "fill s")
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, (10, 8, 8, 10, 8, 14, 7), strict=True)))
    have = store.db.execute("SELECT count(*) FROM articles").fetchone()[0]
    for size in sizes:
        started = time.perf_counter()
        if size > have:
            fill(store, have + 1, size + 1)
            have = size
        filled = time.perf_counter() - started
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        result = measure(store, size, args.new)
        per_article = os.path.getsize(path) / size
        print(f"{size:>10,} {result['p50_ms']:8.3f} {result['p99_ms']:8.3f} {result['precision']:10.4f} "
              f"{result['recall']:8.4f} {per_article:14.0f} {filled:7.0f}")  # fmt: skip
        print("    recall by kind: " + ", ".join(f"{k} {r:.4f}" for k, r in result["recall_by_kind"].items()))
    tables = store.db.execute(
        "SELECT name, sum(pgsize) FROM dbstat WHERE name IN ('story_bands', 'fingerprints', 'articles') GROUP BY name"
    ).fetchall()
    print("bytes per article by table: " + ", ".join(f"{n} {b / have:.0f}" for n, b in tables))
    store.close()


if __name__ == "__main__":
    main()
