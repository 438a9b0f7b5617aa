"""Sources that stay down: one message to the admins' channel when a source has failed for longer than
``source_down_after``, and one when it works again; never one per failed poll.

The state is in the sources table (``failing_since``, set by the first failure of a streak, and
``down_notified``), so a restart neither repeats a message nor forgets one owed. A message that cannot be
posted now is tried again after the source's next poll.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.deliver.inert import inert
from bot.store import Store, from_iso, iso, utcnow


def due(store: Store, name: str, down_after: float, now: datetime | None = None) -> str | None:
    """``"down"``, ``"back"`` or None: what the admins should be told about source ``name`` now."""
    now = now or utcnow()
    row = store.db.execute("SELECT errors, failing_since, down_notified FROM sources WHERE name = ?", [name]).fetchone()
    if row is None:
        return None
    errors, since, notified = row
    if errors and not notified and since and now - from_iso(since) >= timedelta(seconds=down_after):
        return "down"
    if not errors and notified:
        return "back"
    return None


def mark(store: Store, name: str, what: str) -> None:
    value = iso(utcnow()) if what == "down" else None
    store.db.execute("UPDATE sources SET down_notified = ? WHERE name = ?", [value, name])


def text(store: Store, name: str, what: str) -> str:
    row = store.db.execute("SELECT url, last_error, failing_since FROM sources WHERE name = ?", [name]).fetchone()
    url, error, since = row or ("", "", "")
    if what == "down":
        return (f"Source {inert(name)} has been failing since {since} ({inert(error)}); wirewatch keeps "
                f"retrying with backoff. {inert(url)}")  # fmt: skip
    return f"Source {inert(name)} works again. {inert(url)}"


def message(chat: Any, body: str) -> dict:
    """A plain notice in the chat's own format (no alert ids: the admins' channel has no outbox rows)."""
    if getattr(chat, "kind", "") == "matrix":
        from html import escape

        content = {"msgtype": "m.notice", "body": body, "format": "org.matrix.custom.html",
                   "formatted_body": escape(body), "m.mentions": {}}  # fmt: skip
        import hashlib

        return {
            "content": content,
            "txn": "wirewatch-watchdog-" + hashlib.blake2b(body.encode(), digest_size=8).hexdigest(),
        }
    from bot.deliver.blocks import mrkdwn

    return {"text": mrkdwn(body)}
