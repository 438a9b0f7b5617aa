"""``!wirewatch ...`` in Matrix rooms: matrix-nio's sync loop over the shared command layer.

Thin, like the Slack listener: a message in a configured room that starts with ``!wirewatch`` is
parsed and answered by bot/chat/commands.py, and the Reply is rendered (bot/matrix/render.py) as an HTML ``m.notice`` in
reply to the asker (``m.in_reply_to``), with every stored string made inert and ``m.mentions`` empty.
The bot ignores its own messages and everything sent before it started (the first sync is read for
its position only). Invites are accepted only from ``matrix.invites_from`` (user ids, or homeserver
names such as ``example.org``); any other is declined. mute/unmute are for ``matrix.admins``, anyone
with power level 50 or more in the room, and the room's creators (room version 12 gives them no level:
they outrank all).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import Any

from bot.chat.commands import answer
from bot.chat.link import Link
from bot.config import Config
from bot.matrix.render import reply_message
from bot.store import Store

log = logging.getLogger(__name__)
PREFIX = "!wirewatch"
ADMIN_LEVEL = 50


def invite_allowed(inviter: str, allowed: list[str]) -> bool:
    server = inviter.partition(":")[2]
    return any(inviter == entry or server == entry.lstrip(":") for entry in allowed)


def _answer(config: Config, words: str, user: str, room_id: str, level: int) -> tuple[str, str]:
    admins = set(config.matrix.admins) if config.matrix else set()
    return reply_message(answer(config, "matrix", words, user, (room_id,), user in admins or level >= ADMIN_LEVEL))


_WARNED: set[str] = set()  # encrypted rooms already warned of (once, not at every reconnect)


async def listen(config: Config, link: Link) -> None:
    """One life of the Matrix listener for ``wirewatch run``: syncs and answers commands until the connection
    fails (raises); bot/chat/supervise.py starts it again with backoff. Its own sync loop, not nio's
    ``sync_forever``, which retries a refused token (401) at once, for ever (16,780 requests in 20 s)."""
    from bot.matrix.post import connect

    assert config.matrix is not None
    store = Store.open(config.database_path)
    try:
        web = await connect(config.matrix, store)
    finally:
        store.close()
    try:
        await _serve(config, web, link)
    finally:
        await web.close()


async def _serve(config: Config, web: Any, link: Link) -> None:
    from nio import InviteMemberEvent, RoomGetStateEventResponse, RoomMessageText, SyncResponse

    from bot.matrix.post import translate

    settings = config.matrix
    assert settings is not None
    rooms: dict[str, str] = {}  # room id -> configured target
    for channel in config.channels:
        if channel.kind == "matrix":
            joined = await _call(web.join(channel.target), translate, f"joining {channel.target}: ")
            if not hasattr(joined, "room_id"):
                error = translate(joined, doing=f"joining {channel.target}: ")
                if error.scope in ("token", "transient", "rate"):
                    raise error
                log.warning("matrix: cannot join %s: %s", channel.target, error)
                continue
            rooms[joined.room_id] = channel.target
            encrypted = await _call(web.room_get_state_event(joined.room_id, "m.room.encryption"), translate)
            if isinstance(encrypted, RoomGetStateEventResponse) and channel.target not in _WARNED:
                _WARNED.add(channel.target)  # said once, at start; status says it after
                print(f"wirewatch: warning: matrix room {channel.target} is end-to-end encrypted, which wirewatch "
                      "does not support: its alerts will fail (see wirewatch status); use an unencrypted room",
                      file=sys.stderr, flush=True)  # fmt: skip
    started_ms = time.time() * 1000
    first = await _call(web.sync(timeout=0, full_state=True), translate, "syncing: ")
    if not isinstance(first, SyncResponse):
        raise translate(first, doing="syncing: ")

    known: dict[str, set[str]] = {}

    async def creators(room_id: str) -> set[str]:
        """Who created the room (the create event's sender and additional_creators), asked once per room."""
        if room_id not in known:
            state = await web.room_get_state(room_id)
            create = next((e for e in getattr(state, "events", []) if e.get("type") == "m.room.create"), {})
            extra = (create.get("content") or {}).get("additional_creators") or []
            known[room_id] = {create.get("sender"), *extra} - {None}
        return known[room_id]

    async def on_message(room: Any, event: Any) -> None:
        body = (event.body or "").strip()
        if event.sender == settings.user_id or event.server_timestamp < started_ms or room.room_id not in rooms:
            return
        if body.split(maxsplit=1)[:1] != [PREFIX]:
            return
        words = body[len(PREFIX) :].strip()
        level = room.power_levels.get_user_level(event.sender) if getattr(room, "power_levels", None) else 0
        if event.sender in await creators(room.room_id):  # room v12: creators outrank every power level
            level = max(level, 100)
        plain, html = await asyncio.to_thread(_answer, config, words, event.sender, room.room_id, level)
        content = {"msgtype": "m.notice", "body": plain, "format": "org.matrix.custom.html", "formatted_body": html,
                   "m.mentions": {}, "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}}}  # fmt: skip
        response = await web.room_send(
            room.room_id, "m.room.message", content, tx_id=f"wirewatch-reply-{event.event_id}"
        )
        if not hasattr(response, "event_id"):
            log.warning("matrix: could not answer in %s: %s", room.room_id, getattr(response, "message", response))

    async def on_invite(room: Any, event: Any) -> None:
        if event.state_key != settings.user_id or event.membership != "invite":
            return
        if invite_allowed(event.sender, settings.invites_from):
            joined = await web.join(room.room_id)
            if hasattr(joined, "room_id"):
                log.info("matrix: joined %s, invited by %s", room.room_id, event.sender)
        else:
            await web.room_leave(room.room_id)
            log.warning("matrix: declined an invite to %s from %s (not in matrix.invites_from)", room.room_id,
                        event.sender)  # fmt: skip

    web.add_event_callback(on_message, RoomMessageText)
    web.add_event_callback(on_invite, InviteMemberEvent)
    link.connected()
    print(f"wirewatch: Matrix commands ({PREFIX}) in {len(rooms)} room(s) as {settings.user_id}", flush=True)
    while True:  # each sync waits up to 30 s for news; its events reach the callbacks above
        response = await _call(web.sync(timeout=30000), translate, "syncing: ")
        if not isinstance(response, SyncResponse):
            raise translate(response, doing="syncing: ")
        link.connected()


async def _call(request, translate, doing: str = ""):
    """A nio request; a transport failure (refused, DNS, timeout) as a DeliveryError, like an error response."""
    try:
        return await request
    except Exception as exc:
        raise translate(exc=exc, doing=doing) from exc
