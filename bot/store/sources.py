"""Each source's state: its last poll and error streak, its conditional-GET validators, and for a Telegram
channel the newest message read. The poll's writer records a poll in one statement; ``/wirewatch sources``,
the scheduler's backoff and the admins' downtime notices read it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.times import from_iso, iso, utcnow


@dataclass(slots=True)
class SourceState:
    name: str
    url: str
    type: str
    last_poll: str | None
    last_ok: str | None
    last_error: str | None
    errors: int
    articles: int


@dataclass(slots=True)
class Streak:
    """A source's failing streak, as the admins' channel is told of it (bot/downtime.py)."""

    url: str
    errors: int
    last_error: str | None
    failing_since: str | None
    down_notified: str | None


class SourceRows:
    """The Store's methods on the ``sources``, ``http_cache`` and ``telegram_channels`` tables."""

    db: Any  # sqlite-utils' Database, or the plain reader of bot/store/db.py

    # ---------------------------------------------------------------------------- conditional GET

    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self.db.execute("SELECT etag, last_modified FROM http_cache WHERE url = ?", [url]).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.db.execute(
            "INSERT INTO http_cache (url, etag, last_modified, checked) VALUES (?, ?, ?, ?) ON CONFLICT (url) "
            "DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, checked = excluded.checked",
            [url, etag, last_modified, iso(utcnow())],
        )

    # ----------------------------------------------------------------------------- Telegram channels

    def newest_message(self, url: str) -> int | None:
        """The newest message id read from the Telegram channel at ``url`` (its preview page), if any."""
        row = self.db.execute("SELECT newest FROM telegram_channels WHERE url = ?", [url]).fetchone()
        return int(row[0]) if row else None

    def save_newest_message(self, url: str, newest: int) -> None:
        self.db.execute(
            "INSERT INTO telegram_channels (url, newest, checked) VALUES (?, ?, ?) ON CONFLICT (url) "
            "DO UPDATE SET newest = max(newest, excluded.newest), checked = excluded.checked",
            [url, newest, iso(utcnow())],
        )

    # ------------------------------------------------------------------------------------- sources

    def record_poll(self, name: str, url: str, type_: str, error: str | None, new_articles: int) -> None:
        """One statement per poll (plain SQL: sqlite-utils' upsert reads the table's schema every call)."""
        now = iso(utcnow())
        if error:
            self.db.execute(
                "INSERT INTO sources (name, url, type, last_poll, last_error, last_error_at, errors, articles, "
                "failing_since) VALUES (?1, ?2, ?3, ?4, ?5, ?4, 1, 0, ?4) ON CONFLICT (name) DO UPDATE SET "
                "url = ?2, type = ?3, last_poll = ?4, last_error = ?5, last_error_at = ?4, "
                "failing_since = CASE WHEN coalesce(errors, 0) = 0 THEN ?4 ELSE failing_since END, "
                "errors = coalesce(errors, 0) + 1",
                [name, url, type_, now, error],
            )
        else:
            self.db.execute(
                "INSERT INTO sources (name, url, type, last_poll, last_ok, errors, articles) "
                "VALUES (?1, ?2, ?3, ?4, ?4, 0, ?5) ON CONFLICT (name) DO UPDATE SET url = ?2, type = ?3, "
                "last_poll = ?4, last_ok = ?4, errors = 0, articles = coalesce(articles, 0) + ?5, "
                "failing_since = NULL",
                [name, url, type_, now, new_articles],
            )

    def sources(self) -> list[SourceState]:
        rows = self.db.execute(
            "SELECT name, url, type, last_poll, last_ok, last_error, errors, articles FROM sources ORDER BY name"
        ).fetchall()
        return [SourceState(*row) for row in rows]

    def item_times(self, name: str, now: datetime, limit: int = 60) -> list[datetime]:
        """The source's last ``limit`` items seen, newest first, by their publication time, else the time they
        were first seen (but not for the first poll's items, which were all seen at once); none from the future.
        However old: a source quiet for weeks still has its newest item, which says it is quiet."""
        rows = self.db.execute(
            "SELECT t FROM (SELECT coalesce(published, CASE WHEN first_seen > (SELECT min(first_seen) FROM articles "
            "WHERE source = ?1) THEN first_seen END) AS t FROM articles WHERE source = ?1 "
            "ORDER BY first_seen DESC LIMIT ?3) WHERE t IS NOT NULL AND t <= ?2 ORDER BY t DESC",
            [name, iso(now), limit],
        ).fetchall()
        return [from_iso(row[0]) for row in rows]

    def item_counts(self, since: datetime, now: datetime) -> dict[str, int]:
        """Items published since ``since`` (and seen since then), per source: which are the busiest
        (``schedule.busiest``). A first poll's items count by their dates; undated items do not count."""
        rows = self.db.execute(
            "SELECT source, count(*) FROM articles WHERE first_seen >= ?1 AND published >= ?1 AND published <= ?2 "
            "GROUP BY source",
            [iso(since), iso(now)],
        ).fetchall()
        return {row[0]: row[1] for row in rows}

    def save_cadence(self, name: str, seconds: float, why: str, next_poll: datetime) -> None:
        self.db.execute(
            "UPDATE sources SET every = ?2, every_why = ?3, next_poll = ?4 WHERE name = ?1",
            [name, seconds, why, iso(next_poll)],
        )

    def cadences(self) -> dict[str, tuple[float | None, str | None, str | None]]:
        """Each source's interval, why, and next poll, as the scheduler last set them."""
        rows = self.db.execute("SELECT name, every, every_why, next_poll FROM sources").fetchall()
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def errors(self, name: str) -> int:
        """How many polls of this source failed in a row."""
        row = self.db.execute("SELECT errors FROM sources WHERE name = ?", [name]).fetchone()
        return int(row[0] or 0) if row else 0

    # ------------------------------------------------------------------------------ downtime

    def streak(self, name: str) -> Streak | None:
        row = self.db.execute(
            "SELECT url, errors, last_error, failing_since, down_notified FROM sources WHERE name = ?", [name]
        ).fetchone()
        return Streak(*row) if row else None

    def mark_notified(self, name: str, down: bool) -> None:
        """The admins were told the source is down (``down``), or that it is back."""
        self.db.execute("UPDATE sources SET down_notified = ? WHERE name = ?", [iso(utcnow()) if down else None, name])
