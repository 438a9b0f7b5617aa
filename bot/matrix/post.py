"""A Matrix room for the outbox, on matrix-nio: join, post an m.notice, find one already posted.

nio retries rate limits and timeouts by itself unless told not to; here it is told not to (the outbox
decides, bot/chat/sender.py). A send is a PUT with a transaction id derived from the alerts it
carries (bot/matrix/render.py), so a retry after a dropped connection is the same transaction to the
homeserver; the crash check then looks in the room's recent messages for the ``org.wirewatch`` ids.
End-to-end encrypted rooms are not supported: such a room fails its alerts with that reason, loudly.
"""

from __future__ import annotations

from typing import Any

from bot.chat.protocol import Message, transport_error
from bot.errors import DeliveryError
from bot.matrix import render
from bot.store import sessions

_TOKEN_BAD = {"M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_USER_DEACTIVATED"}
_ROOM_GONE = {"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN", "M_BAD_ALIAS"}


def client(homeserver: str, user_id: str, access_token: str, device_id: str | None = None):
    from nio import AsyncClient, AsyncClientConfig

    config = AsyncClientConfig(max_limit_exceeded=0, max_timeouts=0, request_timeout=30, encryption_enabled=False)
    web = AsyncClient(homeserver.rstrip("/"), user_id, device_id=device_id or "WIREWATCH", config=config)
    web.access_token = access_token
    web.user_id = user_id
    return web


async def connect(settings: Any, store: Any) -> Any:
    """A client with a token: the configured one, the one a password login stored before, or a new login.

    A password is used once: the token and device id it yields are kept in the database (chat_sessions),
    never written to the config, and reused by every later run, so the bot stays one device.
    """
    if settings.access_token is not None:
        return client(settings.homeserver, settings.user_id, settings.access_token.get_secret_value(),
                      settings.device_id)  # fmt: skip
    saved = sessions.saved_login(store, settings.homeserver, settings.user_id)
    if saved:
        return client(settings.homeserver, settings.user_id, *saved)
    from nio import LoginResponse

    web = client(settings.homeserver, settings.user_id, "", settings.device_id)
    try:
        response = await web.login(settings.password.get_secret_value(), device_name="wirewatch")
    except Exception as exc:
        await web.close()
        raise translate(exc=exc, doing="logging in: ") from exc
    if not isinstance(response, LoginResponse):
        await web.close()
        raise DeliveryError(f"logging in as {settings.user_id} failed: {getattr(response, 'message', response)}",
                            "token")  # fmt: skip
    sessions.save_login(store, settings.homeserver, settings.user_id, response.access_token, response.device_id)
    return web


def translate(response: Any = None, exc: BaseException | None = None, doing: str = "") -> DeliveryError:
    """A nio error response (or a transport exception) as a DeliveryError with its scope."""
    if exc is not None:
        return DeliveryError(f"{doing}{transport_error(exc)}", "transient")
    code = str(getattr(response, "status_code", "") or "")
    message = getattr(response, "message", "") or code
    status = getattr(getattr(response, "transport_response", None), "status", 0) or 0
    if code == "M_LIMIT_EXCEEDED" or status == 429:
        after = (getattr(response, "retry_after_ms", None) or 1000) / 1000
        return DeliveryError(f"{doing}rate limited (retry after {after:g} s)", "rate", after)
    if code in _TOKEN_BAD:
        return DeliveryError(f"{doing}{code}: {message}", "token")
    if status >= 500 or not code.startswith("M_"):
        return DeliveryError(f"{doing}homeserver answered {status or '?'} {message}".strip(), "transient")
    if code in _ROOM_GONE:
        return DeliveryError(f"{doing}{code}: {message}", "channel")
    return DeliveryError(f"{doing}{code}: {message}", "message")


class MatrixRoom:
    """One ``channels: - matrix: ...`` entry: a room id (!abc:server) or alias (#news:server)."""

    kind = "matrix"
    render_alert = staticmethod(render.alert_message)
    render_digest = staticmethod(render.digest_messages)
    render_followup = staticmethod(render.followup_message)
    render_notice = staticmethod(render.notice_message)
    render_brief = staticmethod(render.brief_message)

    def __init__(self, outbox_id: str, target: str, web: Any) -> None:
        self.id = outbox_id
        self.target = target
        self.web = web
        self._room: str | None = None

    async def _call(self, method: str, *args: Any, ok: type | None = None, doing: str = "", **kwargs: Any) -> Any:
        try:
            response = await getattr(self.web, method)(*args, **kwargs)
        except Exception as exc:  # aiohttp, timeouts, DNS: transient, translated at this one edge
            raise translate(exc=exc, doing=doing) from exc
        if ok is not None and not isinstance(response, ok):
            raise translate(response, doing=doing)
        return response

    async def room_id(self) -> str:
        """Joined (joining is idempotent), checked to be unencrypted; once per drain."""
        if self._room:
            return self._room
        from nio import JoinResponse, RoomGetStateEventResponse

        joined = await self._call("join", self.target, ok=JoinResponse, doing=f"joining {self.target}: ")
        state = await self._call("room_get_state_event", joined.room_id, "m.room.encryption")
        if isinstance(state, RoomGetStateEventResponse):
            raise DeliveryError(
                "the room is end-to-end encrypted, which wirewatch does not support: use an unencrypted room",
                "channel",
            )
        self._room = joined.room_id
        return self._room

    async def post(self, message: Message, thread: str | None = None) -> str:
        from nio import RoomSendResponse

        room = await self.room_id()
        content = dict(message.body["content"])
        txn = message.body["txn"]
        if thread:
            content["m.relates_to"] = {"rel_type": "m.thread", "event_id": thread, "is_falling_back": True,
                                       "m.in_reply_to": {"event_id": thread}}  # fmt: skip
            txn += "-" + thread[-12:]
        response = await self._call("room_send", room, "m.room.message", content, tx_id=txn, ok=RoomSendResponse)
        return response.event_id

    async def find(
        self, event_type: str, key: str, ids: set[int], since: str, thread: str | None = None
    ) -> dict[int, str]:
        """Which of ``ids`` the room's recent messages (sent since ``since``, a Unix time) already carry."""
        from nio import MessageDirection, RoomMessagesResponse

        room = await self.room_id()
        oldest_ms = float(since) * 1000
        found: dict[int, str] = {}
        start = None
        for _ in range(10):  # 1,000 events back at most
            page = await self._call("room_messages", room, start=start, direction=MessageDirection.back, limit=100,
                                    ok=RoomMessagesResponse)  # fmt: skip
            for event in page.chunk:
                source = getattr(event, "source", {}) or {}
                if source.get("sender") != self.web.user_id:
                    continue
                carried = (source.get("content") or {}).get(render.KEY) or {}
                if carried.get("event") == event_type:
                    for item in set(carried.get(key) or []) & ids:
                        found[item] = source["event_id"]
            times = [getattr(e, "server_timestamp", 0) for e in page.chunk]
            if not page.chunk or not page.end or min(times) < oldest_ms or found.keys() >= ids:
                break
            start = page.end
        return found
