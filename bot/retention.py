"""Retention: articles first seen longer ago than ``keep`` go, with everything that hangs on them.

A daily job of ``wirewatch run``. One transaction: the articles, their URLs, matches, fingerprints and
band keys, their alerts and the alerts' sent deliveries and follow-ups, and the stories left with no
article; the full-text index follows through its triggers. What is never pruned: an article whose alert
is still pending or failed in some channel (an alert is never lost to retention). The URLs of pruned
articles are remembered in ``gone_urls`` (reason ``pruned``) so a feed that still lists one does not bring
it back as new and alert it again; those markers go after a second ``keep``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.store import Store, iso, utcnow

_OLD = (
    "SELECT a.id FROM articles a WHERE a.first_seen < ? AND NOT EXISTS ("
    "SELECT 1 FROM alerts al JOIN deliveries d ON d.alert_id = al.id "
    "WHERE al.article_id = a.id AND d.status IN ('pending', 'failed'))"
)


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
    return counts


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
    for table, column in (("followups", "article_id"), ("article_urls", "article_id"), ("matches", "article_id"),
                          ("fingerprints", "article_id"), ("story_bands", "article_id")):  # fmt: skip
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
