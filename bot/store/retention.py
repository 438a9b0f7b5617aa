"""Retention: articles first seen longer ago than ``keep`` go, with everything that hangs on them.

A daily job of ``wirewatch run``. One transaction: the articles, their URLs, matches, fingerprints and
band keys, their alerts and the alerts' sent deliveries and follow-ups, and the stories left with no
article; the full-text index follows through its triggers. What is never pruned: an article whose alert
is still pending or failed in some channel (an alert is never lost to retention). The URLs of pruned
articles are remembered in ``gone_urls`` (reason ``pruned``) so a feed that still lists one does not bring
it back as new and alert it again; those markers go after a second ``keep``.

The full-text index does not shrink by itself: FTS5 keeps a deleted article's postings, beside a delete
marker, until the segment that holds them is merged with the marker's, and the oldest, largest segments
are merged least often (bench/retention.py: at ``keep`` 5 days the index held 3.9 times its live size after
ten days, and the file grew by the whole index's daily intake). So once the articles pruned since the last
such merge reach a quarter of those stored, the index is merged into one segment (FTS5's incremental
optimize), which drops them; with the default 180 days that is every ~45 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.store.articles import band_rows
from bot.store.times import iso, utcnow

if TYPE_CHECKING:
    from bot.store.db import Store

_OLD = (
    "SELECT a.id FROM articles a WHERE a.first_seen < ? AND NOT EXISTS ("
    "SELECT 1 FROM alerts al JOIN deliveries d ON d.alert_id = al.id "
    "WHERE al.article_id = a.id AND d.status IN ('pending', 'failed'))"
)
MERGE_AFTER = 0.25  # share of the stored articles pruned since the index was last merged whole
MERGE_PAGES = 2000  # FTS5 pages (~4 KB) merged per transaction: the WAL grows by ~8 MB at most


def prune(store: Store, keep: float, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Delete what is older than ``keep`` seconds; how many articles, alerts and stories went."""
    now = now or utcnow()
    cutoff = iso(now - timedelta(seconds=keep))
    counts = {"articles": 0, "alerts": 0, "stories": 0, "gone_markers": 0}
    while True:
        with store.transaction():
            ids = [row[0] for row in store.db.execute(_OLD + " LIMIT ?", [cutoff, batch]).fetchall()]
            if not ids:
                break
            _delete(store, ids, iso(now), counts)
    with store.transaction():
        counts["stories"] = store.db.execute(
            "DELETE FROM stories WHERE NOT EXISTS (SELECT 1 FROM articles WHERE story_id = stories.id)"
        ).rowcount
        store.db.execute(
            "DELETE FROM story_keywords WHERE NOT EXISTS (SELECT 1 FROM stories WHERE id = story_keywords.story_id)"
        )
        counts["gone_markers"] = store.db.execute(
            "DELETE FROM gone_urls WHERE reason = 'pruned' AND seen < ?",
            [iso(now - timedelta(seconds=keep))],
        ).rowcount
    counts["index_merged"] = _merge_index(store, counts["articles"])
    return counts


def _merge_index(store: Store, pruned: int) -> int:
    """Merge the FTS5 index whole (dropping the postings of deleted articles) once enough were pruned
    since it last was; 1 if it was merged now. In steps of ``MERGE_PAGES``, each its own transaction:
    'merge' with a negative size puts every segment on one level and starts, positive ones go on until
    one does nothing (the FTS5 documentation's incremental 'optimize')."""
    db = store.db
    row = db.execute("SELECT value FROM meta WHERE key = 'pruned_since_merge'").fetchone()
    pruned += int(row[0]) if row else 0
    merge = pruned > 0 and pruned >= MERGE_AFTER * db.execute("SELECT count(*) FROM articles").fetchone()[0]
    if merge:
        with store.transaction():
            db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', ?)", [-MERGE_PAGES])
        while True:
            before = db.conn.total_changes
            with store.transaction():
                db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', ?)", [MERGE_PAGES])
            if db.conn.total_changes - before < 2:  # nothing left to merge
                break
        pruned = 0
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('pruned_since_merge', ?)", [str(pruned)])
    return int(merge)


def _delete(store: Store, ids: list[int], now: str, counts: dict[str, int]) -> None:
    marks = ",".join("?" * len(ids))
    db = store.db
    story_ids = [r[0] for r in db.execute(f"SELECT DISTINCT story_id FROM articles WHERE id IN ({marks})", ids)]  # noqa: S608
    alerts = [r[0] for r in db.execute(f"SELECT id FROM alerts WHERE article_id IN ({marks})", ids)]  # noqa: S608
    if alerts:
        amarks = ",".join("?" * len(alerts))
        db.execute(f"DELETE FROM deliveries WHERE alert_id IN ({amarks})", alerts)  # noqa: S608
        db.execute(f"UPDATE story_keywords SET alert_id = NULL WHERE alert_id IN ({amarks})", alerts)  # noqa: S608
        db.execute(f"DELETE FROM alerts WHERE id IN ({amarks})", alerts)  # noqa: S608
    db.execute(
        f"INSERT OR IGNORE INTO gone_urls (url, reason, seen) SELECT url, 'pruned', ? FROM article_urls "  # noqa: S608
        f"WHERE article_id IN ({marks})",
        [now, *ids],
    )
    # band keys by their primary key, from the fingerprints (story_bands has no index on article_id: a
    # DELETE by article_id reads the whole table, 21 rows an article, for every batch)
    prints = db.execute(f"SELECT article_id, digest, shingles FROM fingerprints WHERE article_id IN ({marks})", ids)  # noqa: S608
    db.conn.executemany("DELETE FROM story_bands WHERE key = ? AND article_id = ?", band_rows(prints.fetchall()))
    for table, column in (("followups", "article_id"), ("article_urls", "article_id"), ("matches", "article_id"),
                          ("fingerprints", "article_id"), ("article_keys_text", "article_id")):  # fmt: skip
        db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", ids)  # noqa: S608
    db.execute(f"DELETE FROM articles WHERE id IN ({marks})", ids)  # noqa: S608
    smarks = ",".join("?" * len(story_ids))
    db.execute(  # a story that keeps members: counted again, its oldest remaining copy now its first
        f"UPDATE stories SET members = (SELECT count(*) FROM articles WHERE story_id = stories.id), "  # noqa: S608
        f"first_article = (SELECT min(id) FROM articles WHERE story_id = stories.id) WHERE id IN ({smarks})",
        story_ids,
    )
    counts["articles"] += len(ids)
    counts["alerts"] += len(alerts)
