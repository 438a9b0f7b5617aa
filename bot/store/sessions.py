"""Matrix logins made with a password once: the access token and device id they yielded, kept here so that the
config never holds them and every later run is the same device (bot/matrix/post.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.times import iso, utcnow

if TYPE_CHECKING:
    from bot.store.db import Store


def saved_login(store: Store, homeserver: str, user_id: str) -> tuple[str, str | None] | None:
    """(access token, device id) of an earlier login of ``user_id`` on ``homeserver``."""
    row = store.db.execute(
        "SELECT access_token, device_id FROM chat_sessions WHERE homeserver = ? AND user_id = ?",
        [homeserver, user_id],
    ).fetchone()
    return (row[0], row[1]) if row else None


def save_login(store: Store, homeserver: str, user_id: str, access_token: str, device_id: str | None) -> None:
    store.db.execute(
        "INSERT OR REPLACE INTO chat_sessions (homeserver, user_id, access_token, device_id, created) "
        "VALUES (?, ?, ?, ?, ?)",
        [homeserver, user_id, access_token, device_id, iso(utcnow())],
    )
