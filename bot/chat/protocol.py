"""The channel protocol: what a chat kind (bot/slack/, bot/matrix/) implements for the outbox sender, and the
``Message`` it renders. The sender (bot/chat/sender.py) decides what to send and when from a message's
``event`` and ``ids`` alone; what the chat's API takes stays in ``body``, which only that chat reads.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Protocol

from bot.models import Alert

EVENT_ALERT = "wirewatch_alert"  # carried by each message (Slack metadata, a Matrix content key): its alert ids
EVENT_FOLLOWUP = "wirewatch_followup"  # ... or the follow-up ids of a reply in an alert's thread
EVENT_BRIEF = "wirewatch_brief"  # ... or the day's brief row it carries (bot/brief.py)
EVENT_NOTICE = "wirewatch_notice"  # a notice to the admins' channel: no outbox row, nothing to find again
DIGEST_PER_MESSAGE = 20  # a digest of more alerts is sent as several messages
KEYS = {EVENT_ALERT: "alert_ids", EVENT_FOLLOWUP: "followup_ids", EVENT_BRIEF: "brief_ids"}  # the ids' key, by event


@dataclass(slots=True)
class Message:
    """One message to post: ``body`` in the chat's own terms (chat.postMessage's arguments; a Matrix event's
    content and transaction id), and which outbox rows it carries, so that the crash check can find it."""

    body: dict
    event: str = EVENT_NOTICE
    ids: list[int] = field(default_factory=list)


class Chat(Protocol):
    id: str  # the channel's outbox id (slack:#alerts)
    kind: str

    def render_alert(self, alert: Alert) -> Message: ...
    def render_digest(self, alerts: list[Alert]) -> list[Message]: ...
    def render_followup(self, sightings: list[dict], followup_ids: list[int]) -> Message: ...
    def render_notice(self, text: str) -> Message: ...
    def render_brief(self, brief: dict, ids: list[int]) -> Message: ...
    async def post(self, message: Message, thread: str | None = None) -> str: ...
    async def find(
        self, event_type: str, key: str, ids: set[int], since: str, thread: str | None = None
    ) -> dict[int, str]: ...


def found_spellings(alert: Alert) -> dict[str, str]:
    """Each group of the alert with the first spelling that fired it."""
    found: dict[str, str] = {}
    for match in alert.matches:
        found.setdefault(match.keyword, match.found)
    return found


def transport_error(exc: BaseException) -> str:
    """A failure under a chat's client (aiohttp, for slack_sdk and matrix-nio alike) in one line that says what
    happened, not aiohttp's repr."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve {exc.host}"
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS failed with {exc.host}:{exc.port}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        number = getattr(exc.os_error, "errno", None)
        reason = os.strerror(number).lower() if number else "no connection"
        return f"cannot connect to {exc.host}:{exc.port} ({reason})"
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return "the connection was lost"
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return "timed out"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
