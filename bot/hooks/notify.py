"""``apprise: URL`` channels: any service Apprise speaks to (Teams, Discord, email, Telegram, Mattermost, ntfy...).

One Apprise object per channel, holding its one URL. A message is a title and a body (bot/hooks/text.py),
in Markdown when the service renders Markdown or HTML (Apprise turns it into HTML where needed), else in
plain text. Apprise answers a notify with success or failure only, so every failure is passing here: the
sender retries it with backoff and leaves the alert pending, with the reason Apprise logged, for the next
drain. That reason is redacted: Apprise URLs hold tokens and passwords, and nothing wirewatch prints may.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from bot.appriselib import library
from bot.chat.protocol import DIGEST_PER_MESSAGE, EVENT_ALERT, EVENT_FOLLOWUP, EVENT_NOTICE, Message
from bot.errors import DeliveryError
from bot.hooks import text
from bot.hooks.webhook import NAMESPACE
from bot.models import Alert

TIMEOUT = 60.0  # seconds one notify may take, whatever the service
_URL = re.compile(r"\b[a-z][a-z0-9+.-]{1,30}://\S+", re.IGNORECASE)


def secrets_of(url: str) -> list[str]:
    """Every piece of ``url`` that may be a secret: user, password, host, path segments, query values."""
    parts = urlsplit(url)
    pieces = [parts.username, parts.password, parts.hostname, *parts.path.split("/"),
              *(value for _, value in parse_qsl(parts.query))]  # fmt: skip
    found = {p for piece in pieces if piece for p in (piece, unquote(piece)) if len(p) >= 3}
    return sorted(found, key=len, reverse=True)


def redact(message: str, url: str) -> str:
    """``message`` with any URL and any piece of ``url`` hidden."""
    out = _URL.sub(lambda m: m.group(0).split("://", 1)[0] + "://…", message)
    for piece in secrets_of(url):
        out = out.replace(piece, "…")
    return out


class AppriseChannel:
    """One ``channels: - apprise: ...`` entry."""

    kind = "apprise"

    def __init__(self, outbox_id: str, url: str) -> None:
        apprise = library()
        self.id, self.url = outbox_id, url
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:  # the config checked it; the Apprise installed since may differ
            raise DeliveryError("Apprise cannot use this URL any more", "channel")
        declared = plugin.notify_format  # one format, or (Apprise 2.3) the formats it takes, its default first
        formats = declared if isinstance(declared, tuple | list) else (declared,)
        self.markdown = bool({apprise.NotifyFormat.MARKDOWN, apprise.NotifyFormat.HTML} & set(formats))
        self.format = apprise.NotifyFormat.MARKDOWN if self.markdown else apprise.NotifyFormat.TEXT
        self.notifier = apprise.Apprise()
        self.notifier.add(plugin)

    def _message(self, body: text.Text, event: str, ids: list[int]) -> Message:
        return Message({"title": body.title, "body": body.body}, event, ids)

    def render_alert(self, alert: Alert) -> Message:
        return self._message(text.alert(alert, self.markdown), EVENT_ALERT, [alert.id])

    def render_digest(self, alerts: list[Alert]) -> list[Message]:
        chunks = [alerts[i : i + DIGEST_PER_MESSAGE] for i in range(0, len(alerts), DIGEST_PER_MESSAGE)]
        return [self._message(text.digest(chunk, len(alerts), self.markdown), EVENT_ALERT, [a.id for a in chunk])
                for chunk in chunks]  # fmt: skip

    def render_followup(self, sightings: list[dict], followup_ids: list[int]) -> Message:
        return self._message(text.followup(sightings, self.markdown), EVENT_FOLLOWUP, followup_ids)

    def render_notice(self, notice: str) -> Message:
        return self._message(text.Text("wirewatch", text.plain(notice, 1000)), EVENT_NOTICE, [])

    def render_brief(self, brief: dict, ids: list[int]) -> Message:
        body = text.brief(brief["title"], brief["groups"], self.markdown, brief.get("note", ""))
        return self._message(body, "wirewatch_brief", ids)

    async def post(self, message: Message, thread: str | None = None) -> str:
        """Notified, or a passing DeliveryError with what Apprise said (redacted). ``thread`` is ignored: a
        follow-up is a message of its own, titled "Also reported"."""
        try:
            result = await asyncio.to_thread(
                self.notifier.notify, body=message.body["body"], title=message.body["title"],
                body_format=self.format, timeout=TIMEOUT,
            )  # fmt: skip
        except Exception as exc:  # a plugin's bug must cost this message a retry, not the sender
            raise DeliveryError(redact(f"Apprise failed: {type(exc).__name__}: {exc}", self.url)) from exc
        if result:
            ids = ",".join(map(str, message.ids)) or message.body["title"]
            return "apprise:" + str(uuid.uuid5(NAMESPACE, f"{self.id}|{message.event}|{ids}"))
        raise DeliveryError(redact(f"the service refused or failed: {_reason(result)}", self.url), "transient")

    async def find(self, event_type: str, key: str, ids: set[int], since: str,
                   thread: str | None = None) -> dict[int, str]:  # fmt: skip
        """Apprise cannot read a service back."""
        return {}


def _reason(result: Any) -> str:
    """The last warning Apprise logged for this notify, else its status."""
    logs = getattr(result, "logs", None)
    entries = [entry for entry in logs()] if callable(logs) else []
    said = [getattr(e, "message", str(e)) for e in entries if str(getattr(e, "level", "")).upper() != "DEBUG"]
    return said[-1] if said else getattr(getattr(result, "status", None), "name", "no answer").lower()


def make(channel: Any) -> AppriseChannel:
    return AppriseChannel(channel.id, channel.url)
