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
from contextlib import asynccontextmanager
from typing import Any

from bot.chat.commands import answer
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


@asynccontextmanager
async def listening(config: Config):
    """Sync in the background and answer commands until the block ends."""
    settings = config.matrix
    if settings is None:
        yield None
        return
    from nio import InviteMemberEvent, RoomMessageText, SyncResponse

    from bot.matrix.post import connect

    store = Store.open(config.database_path)
    try:
        web = await connect(settings, store)
    finally:
        store.close()
    rooms: dict[str, str] = {}  # room id -> configured target
    from nio import RoomGetStateEventResponse

    for channel in config.channels:
        if channel.kind == "matrix":
            joined = await web.join(channel.target)
            if not hasattr(joined, "room_id"):
                log.warning("matrix: cannot join %s: %s", channel.target, getattr(joined, "message", joined))
                continue
            rooms[joined.room_id] = channel.target
            encrypted = await web.room_get_state_event(joined.room_id, "m.room.encryption")
            if isinstance(encrypted, RoomGetStateEventResponse):  # said once, at start; status says it after
                print(f"wirewatch: warning: matrix room {channel.target} is end-to-end encrypted, which wirewatch "
                      "does not support: its alerts will fail (see wirewatch status); use an unencrypted room",
                      file=sys.stderr, flush=True)  # fmt: skip
    started_ms = time.time() * 1000
    first = await web.sync(timeout=0, full_state=True)
    since = first.next_batch if isinstance(first, SyncResponse) else None

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
    task = asyncio.create_task(web.sync_forever(timeout=30000, since=since, full_state=False))
    print(f"wirewatch: Matrix commands ({PREFIX}) in {len(rooms)} room(s) as {settings.user_id}", flush=True)
    try:
        yield lambda: not task.done()  # the sync loop runs: /healthz asks this
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await web.close()
