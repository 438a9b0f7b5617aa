"""Sources that stay down: one message to the admins' channel when a source has failed for longer than
``source_down_after``, and one when it works again; never one per failed poll.

The state is in the sources table (``failing_since``, set by the first failure of a streak, and
``down_notified``: bot/store/sources.py), so a restart neither repeats a message nor forgets one owed. A
message that cannot be posted now is tried again after the source's next poll.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.chat.inert import inert
from bot.store import from_iso, utcnow
from bot.store.sources import Streak


def due(streak: Streak | None, down_after: float, now: datetime | None = None) -> str | None:
    """``"down"``, ``"back"`` or None: what the admins should be told about a source with this streak now."""
    if streak is None:
        return None
    now = now or utcnow()
    since = from_iso(streak.failing_since)
    if streak.errors and not streak.down_notified and since and now - since >= timedelta(seconds=down_after):
        return "down"
    if not streak.errors and streak.down_notified:
        return "back"
    return None


def text(name: str, streak: Streak, what: str) -> str:
    if what == "down":
        return (f"Source {inert(name)} has been failing since {streak.failing_since} ({inert(streak.last_error)}); "
                f"wirewatch keeps retrying with backoff. {inert(streak.url)}")  # fmt: skip
    return f"Source {inert(name)} works again. {inert(streak.url)}"
