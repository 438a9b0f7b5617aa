"""The morning brief's rows: one per channel and day, claimed before the brief is posted (bot/brief.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.outbox import Pending
from bot.store.times import iso, utcnow

if TYPE_CHECKING:
    from bot.store.db import Store


def claim(store: Store, channel: str, day: str) -> Pending | None:
    """The day's brief row for ``channel``, created if new; None when it was sent (or given up) already."""
    store.db.execute(
        "INSERT OR IGNORE INTO briefs (channel, day, created) VALUES (?, ?, ?)", [channel, day, iso(utcnow())]
    )
    row = store.db.execute(
        "SELECT id, attempts, created, status FROM briefs WHERE channel = ? AND day = ?", [channel, day]
    ).fetchone()
    return Pending(row[0], row[1], row[2]) if row[3] == "pending" else None


def sent(store: Store, channel: str, day: str) -> bool:
    row = store.db.execute("SELECT status FROM briefs WHERE channel = ? AND day = ?", [channel, day]).fetchone()
    return bool(row) and row[0] == "sent"
