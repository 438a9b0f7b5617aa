"""The outbox tables: what each chat channel still owes, has sent, has failed, and what it has muted.

``deliveries`` holds one row per (alert, channel), written in the transaction that stored the alert;
``followups`` one per (channel, republished copy) of an alerted story. A row is ``pending`` until the chat
returns its receipt (``sent``), refuses it for good (``failed``, with the reason, until ``redeliver``), or
every group of its alert is muted in that channel (``muted``). ``attempts`` is raised *before* each post,
so a pending row with attempts > 0 may have reached the chat before a crash: the sender looks for it in
the channel before posting again.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.models import Alert, Forwarded, Match
from bot.store.queries import also, language
from bot.store.times import from_iso, iso, utcnow

if TYPE_CHECKING:
    from bot.store.db import Store


@dataclass(slots=True)
class Pending:
    """One outbox row to send: a delivery of an alert, or a follow-up of a story."""

    id: int
    attempts: int
    created: str | None


@dataclass(slots=True)
class ChannelState:
    channel: str
    pending: int
    sent: int
    failed: int
    muted: int
    oldest_pending: str | None
    last_error: str | None


def pending_deliveries(store: Store, channel: str) -> list[tuple[Pending, int]]:
    """(row, alert id) of the channel's pending deliveries, oldest alert first."""
    rows = store.db.execute(
        "SELECT d.id, d.attempts, a.created, d.alert_id FROM deliveries d JOIN alerts a ON a.id = d.alert_id "
        "WHERE d.channel = ? AND d.status = 'pending' ORDER BY d.alert_id",
        [channel],
    ).fetchall()
    return [(Pending(i, attempts, created), alert_id) for i, attempts, created, alert_id in rows]


def alerts(store: Store, alert_ids: list[int]) -> dict[int, Alert]:
    """The alerts as chat messages show them: article, groups, the spelling found, the story's other copies."""
    if not alert_ids:
        return {}
    marks = ",".join("?" * len(alert_ids))
    rows = store.db.execute(
        "SELECT al.id, al.article_id, al.story_id, al.keywords, al.snippet, al.mark_start, al.mark_end, a.url, "  # noqa: S608
        "a.title, a.source, a.published, a.forwarded_from, a.forwarded_url FROM alerts al "
        "JOIN articles a ON a.id = al.article_id "
        f"WHERE al.id IN ({marks})",
        alert_ids,
    ).fetchall()
    out = {}
    for alert_id, article_id, story_id, keywords, snippet, start, end, url, title, source, published, *origin in rows:
        groups = json.loads(keywords)
        matches = [
            Match(*row)
            for row in store.db.execute(
                "SELECT keyword, term, found, start, end FROM matches WHERE article_id = ? ORDER BY start", [article_id]
            ).fetchall()
            if row[0] in groups
        ]
        out[alert_id] = Alert(
            id=alert_id, article_id=article_id, url=url, title=title or "", source=source,
            published=from_iso(published), keywords=groups, snippet=snippet or "", matches=matches,
            story_id=story_id, also=also(store, story_id, article_id) if story_id else [],
            forwarded=Forwarded(*origin) if origin[0] else None,
            mark=(start, end) if start is not None else None,
        )  # fmt: skip
    return out


def mark_attempt(store: Store, table: str, ids: list[int]) -> None:
    _update(store, table, ids, "attempts = attempts + 1")


def mark_sent(store: Store, table: str, ids: list[int], receipt: str) -> None:
    _update(store, table, ids, "status = 'sent', receipt = ?, sent_at = ?, last_error = NULL", [receipt, iso(utcnow())])


def mark_error(store: Store, table: str, ids: list[int], error: str) -> None:
    """A passing failure: the rows stay pending, the reason shows in ``status``."""
    _update(store, table, ids, "last_error = ?", [error])


def mark_failed(store: Store, table: str, ids: list[int], reason: str) -> None:
    extra = ", failed_at = ?" if table == "deliveries" else ""
    params = [reason, iso(utcnow())] if extra else [reason]
    _update(store, table, ids, f"status = 'failed', last_error = ?{extra}", params)


def mark_muted(store: Store, ids: list[int]) -> None:
    _update(store, "deliveries", ids, "status = 'muted'")


def _update(store: Store, table: str, ids: list[int], assignments: str, params: list | None = None) -> None:
    assert table in ("deliveries", "followups", "briefs")
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    store.db.execute(f"UPDATE {table} SET {assignments} WHERE id IN ({marks})", [*(params or []), *ids])  # noqa: S608


def fail_channel(store: Store, channel: str, reason: str) -> int:
    """Every pending row of ``channel`` failed with ``reason`` (the channel is gone, the token revoked)."""
    now = iso(utcnow())
    cursor = store.db.execute(
        "UPDATE deliveries SET status = 'failed', last_error = ?, failed_at = ? "
        "WHERE channel = ? AND status = 'pending'",
        [reason, now, channel],
    )
    store.db.execute(
        "UPDATE followups SET status = 'failed', last_error = ? WHERE channel = ? AND status = 'pending'",
        [reason, channel],
    )
    return cursor.rowcount


def redeliver(store: Store, channel: str) -> int:
    """Failed rows of ``channel`` pending again, with a clean slate of attempts."""
    cursor = store.db.execute(
        "UPDATE deliveries SET status = 'pending', attempts = 0, last_error = NULL, failed_at = NULL "
        "WHERE channel = ? AND status = 'failed'",
        [channel],
    )
    store.db.execute(
        "UPDATE followups SET status = 'pending', attempts = 0, last_error = NULL "
        "WHERE channel = ? AND status = 'failed'",
        [channel],
    )
    return cursor.rowcount


def states(store: Store, channels: list[str]) -> list[ChannelState]:
    """Per channel (configured ones first, then any other the outbox knows): counts, oldest pending, last error."""
    known = [row[0] for row in store.db.execute("SELECT DISTINCT channel FROM deliveries ORDER BY channel")]
    out = []
    for channel in dict.fromkeys([*channels, *known]):
        counts = dict(
            store.db.execute("SELECT status, count(*) FROM deliveries WHERE channel = ? GROUP BY status", [channel])
        )
        oldest = store.db.execute(
            "SELECT min(a.created) FROM deliveries d JOIN alerts a ON a.id = d.alert_id "
            "WHERE d.channel = ? AND d.status = 'pending'",
            [channel],
        ).fetchone()[0]
        error = store.db.execute(
            "SELECT last_error FROM deliveries WHERE channel = ? AND last_error IS NOT NULL "
            "ORDER BY coalesce(failed_at, '') DESC, id DESC LIMIT 1",
            [channel],
        ).fetchone()
        out.append(
            ChannelState(
                channel,
                counts.get("pending", 0),
                counts.get("sent", 0),
                counts.get("failed", 0),
                counts.get("muted", 0),
                oldest,
                error[0] if error else None,
            )
        )
    return out


# ------------------------------------------------------------------------------------------ follow-ups


def enqueue_followups(store: Store, story_id: int, article_id: int) -> None:
    """A copy of an alerted story: one follow-up for each channel that was sent (or owes) the story's alert."""
    store.db.execute(
        "INSERT OR IGNORE INTO followups (channel, story_id, article_id, created) "
        "SELECT DISTINCT d.channel, ?, ?, ? FROM deliveries d JOIN alerts a ON a.id = d.alert_id "
        "WHERE a.story_id = ? AND d.status IN ('pending', 'sent')",
        [story_id, article_id, iso(utcnow()), story_id],
    )


def pending_followups(store: Store, channel: str) -> dict[int, list[tuple[Pending, dict]]]:
    """Per story: its pending follow-ups (row, the sighting: source, url, seen), oldest first."""
    rows = store.db.execute(
        "SELECT f.id, f.attempts, f.created, f.story_id, a.source, a.url, a.first_seen, a.title, a.lang, "
        "first.title, first.lang FROM followups f JOIN articles a ON a.id = f.article_id "
        "JOIN stories s ON s.id = f.story_id LEFT JOIN articles first ON first.id = s.first_article "
        "WHERE f.channel = ? AND f.status = 'pending' ORDER BY f.id",
        [channel],
    ).fetchall()
    out: dict[int, list[tuple[Pending, dict]]] = {}
    for row_id, attempts, created, story_id, source, url, seen, title, lang, first_title, first_lang in rows:
        sighting = {"source": source, "url": url, "seen": seen, "lang": language(lang, title)}
        if sighting["lang"] != language(first_lang, first_title):  # the event, reported in another language
            sighting["title"] = title
        out.setdefault(story_id, []).append((Pending(row_id, attempts, created), sighting))
    return out


def thread_of(store: Store, channel: str, story_id: int) -> tuple[str | None, bool]:
    """The receipt of the story's first alert sent to ``channel``, and whether one is still pending."""
    rows = store.db.execute(
        "SELECT d.status, d.receipt FROM deliveries d JOIN alerts a ON a.id = d.alert_id "
        "WHERE d.channel = ? AND a.story_id = ? ORDER BY d.alert_id",
        [channel, story_id],
    ).fetchall()
    sent = next((receipt for status, receipt in rows if status == "sent" and receipt), None)
    return sent, any(status == "pending" for status, _ in rows)


def covered_followups(store: Store, channel: str, alert: Alert) -> list[int]:
    """Pending follow-ups that an alert about to be sent already lists under "also reported by"."""
    if not alert.story_id or not alert.also:
        return []
    urls = [item["url"] for item in alert.also]
    marks = ",".join("?" * len(urls))
    rows = store.db.execute(
        f"SELECT f.id FROM followups f JOIN articles a ON a.id = f.article_id WHERE f.channel = ? "  # noqa: S608
        f"AND f.story_id = ? AND f.status = 'pending' AND a.url IN ({marks})",
        [channel, alert.story_id, *urls],
    ).fetchall()
    return [row[0] for row in rows]


# ------------------------------------------------------------------------------------------ mutes


def mute(store: Store, channel: str, group: str, until: datetime, by: str | None) -> None:
    store.db.execute(
        "INSERT OR REPLACE INTO mutes (channel, keyword, until, by) VALUES (?, ?, ?, ?)",
        [channel, group, iso(until), by],
    )


def unmute(store: Store, channel: str, group: str) -> bool:
    return store.db.execute("DELETE FROM mutes WHERE channel = ? AND keyword = ?", [channel, group]).rowcount > 0


def muted(store: Store, channel: str, now: datetime | None = None) -> dict[str, str]:
    """Groups muted in ``channel`` now, with the time each mute ends."""
    now_iso = iso(now or utcnow())
    rows = store.db.execute("SELECT keyword, until FROM mutes WHERE channel = ? AND until > ?", [channel, now_iso])
    return dict(rows.fetchall())


def since(created: str | None, margin: float = 120.0) -> str:
    """The oldest time a message for a row created at ``created`` can have (the crash check's window)."""
    when = from_iso(created) or utcnow() - timedelta(days=1)
    return str((when - timedelta(seconds=margin)).timestamp())


def age(created: str | None) -> float:
    """Seconds since ``created`` (an ISO time), 0 when unknown."""
    when = from_iso(created)
    return max(0.0, (utcnow() - when).total_seconds()) if when else 0.0


def counts(path: Path) -> tuple[dict[str, int], str | None]:
    """Deliveries by status, and when the oldest pending alert was raised; on a connection of its own (the
    metrics' scrape runs beside the writer)."""
    db = sqlite3.connect(path, timeout=5)
    try:
        by_status = dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())
        oldest = db.execute(
            "SELECT min(a.created) FROM deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.status = 'pending'"
        ).fetchone()[0]
        return by_status, oldest
    finally:
        db.close()
