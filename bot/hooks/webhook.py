"""``webhook: URL`` channels: one JSON object per alert, POSTed and signed the way GitHub and Slack sign theirs.

Each request carries ``X-Wirewatch-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by secret>``,
``X-Wirewatch-Delivery`` (the same id on every retry of one message: the receiver drops repeats by it),
``X-Wirewatch-Timestamp`` (Unix seconds, also in the signed body as ``timestamp``: a receiver rejects a body
older than its replay window, 5 minutes in docs/channels.md) and ``X-Wirewatch-Event`` (the body's ``type``).

Bodies: ``alert`` (the fields of ``wirewatch check --json``, story and ``also`` included), ``also_reported``
(a story seen on more outlets, ``in_reply_to`` the alert's delivery id), ``brief`` and ``notice``. A digest is
no use to a machine, so a webhook is sent one object per alert whatever ``digest_after`` says.

What the receiver's answer means (bot/chat/sender.py acts on the scope): 2xx delivered; 429 waits its
Retry-After; 5xx, a timeout or a lost connection is retried with capped backoff under the same delivery id;
any other 4xx (or a redirect) fails that message alone, with the status in ``wirewatch status``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from typing import Any

import httpx

from bot.chat.inert import cut, plain
from bot.chat.protocol import EVENT_ALERT, EVENT_FOLLOWUP, EVENT_NOTICE, Message
from bot.errors import DeliveryError
from bot.fetch import retry_after
from bot.models import Alert

NAMESPACE = uuid.UUID("5d1c9a3e-3f43-4f2b-9a55-7a1f4c2e8b10")  # wirewatch's: delivery ids are uuid5 in it
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class _Unlogged(logging.Filter):
    """Drops httpx's request lines (logged under --debug) that name a webhook's URL: the URL may hold a token."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(str(arg).startswith(url) for arg in args for url in self.urls)


_UNLOGGED = _Unlogged()


def client(user_agent: str) -> httpx.AsyncClient:
    """One client for every webhook channel of a drain: no redirects followed (a moved receiver is the user's
    to fix, and a redirect must not carry the signature elsewhere)."""
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, headers={"User-Agent": user_agent})


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhook:
    """One ``channels: - webhook: ...`` entry."""

    kind = "webhook"

    def __init__(self, outbox_id: str, url: str, secret: str | None, headers: dict[str, str],
                 web: httpx.AsyncClient) -> None:  # fmt: skip
        self.id, self.url, self.secret, self.headers, self.web = outbox_id, url, secret, headers, web
        _UNLOGGED.urls.add(url)
        if _UNLOGGED not in logging.getLogger("httpx").filters:
            logging.getLogger("httpx").addFilter(_UNLOGGED)

    def _message(self, payload: dict, event: str, ids: list[int], key: str) -> Message:
        delivery = str(uuid.uuid5(NAMESPACE, f"{self.id}|{event}|{key}|{','.join(map(str, ids))}"))
        return Message({"payload": {**payload, "channel": self.id}, "delivery": delivery}, event, ids)

    def render_alert(self, alert: Alert) -> Message:
        return self._message({"type": "alert", **alert.to_json()}, EVENT_ALERT, [alert.id], alert.url)

    def render_digest(self, alerts: list[Alert]) -> list[Message]:
        return [self.render_alert(alert) for alert in alerts]

    def render_followup(self, sightings: list[dict], followup_ids: list[int]) -> Message:
        keys = ("source", "url", "seen", "lang", "title")
        also = [{k: s[k] for k in keys if k in s} for s in sightings]
        return self._message({"type": "also_reported", "also": also}, EVENT_FOLLOWUP, followup_ids, "")

    def render_notice(self, text: str) -> Message:
        return self._message({"type": "notice", "text": plain(text)}, EVENT_NOTICE, [], text)

    def render_brief(self, brief: dict, ids: list[int]) -> Message:
        return self._message({"type": "brief", **brief}, "wirewatch_brief", ids, brief.get("day", ""))

    async def post(self, message: Message, thread: str | None = None) -> str:
        stamp = int(time.time())
        payload = {**message.body["payload"], "timestamp": stamp}
        if thread:
            payload["in_reply_to"] = thread
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        delivery = message.body["delivery"]
        headers = {**self.headers, "Content-Type": "application/json", "X-Wirewatch-Delivery": delivery,
                   "X-Wirewatch-Timestamp": str(stamp), "X-Wirewatch-Event": payload["type"]}  # fmt: skip
        if self.secret:
            headers["X-Wirewatch-Signature"] = signature(self.secret, body)
        try:
            response = await self.web.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryError("the receiver timed out", "transient") from exc
        except httpx.HTTPError as exc:  # connection refused, DNS, TLS, reset: the URL stays out of the message
            raise DeliveryError(f"cannot reach the receiver ({type(exc).__name__})", "transient") from exc
        status = response.status_code
        if 200 <= status < 300:
            return delivery
        said = cut(plain(response.text), 160) if response.text else ""
        what = f"the receiver answered {status} {response.reason_phrase}".rstrip() + (f": {said}" if said else "")
        if status == 429:
            after = retry_after(response.headers.get("Retry-After")) or 1.0
            raise DeliveryError(f"{what} (retry after {after:g} s)", "rate", after)
        if status >= 500:
            raise DeliveryError(what, "transient", retry_after(response.headers.get("Retry-After")))
        if 300 <= status < 400:
            raise DeliveryError(f"{what}: the receiver moved; set the webhook to its new URL", "message")
        raise DeliveryError(what, "message")

    async def find(self, event_type: str, key: str, ids: set[int], since: str,
                   thread: str | None = None) -> dict[int, str]:  # fmt: skip
        """Nothing to look in: a repeat reaches the receiver under the same delivery id, which it drops."""
        return {}


def make(channel: Any, web: httpx.AsyncClient) -> Webhook:
    secret = channel.secret.get_secret_value() if channel.secret is not None else None
    headers = {name: value.get_secret_value() for name, value in channel.headers.items()}
    return Webhook(channel.id, channel.url, secret, headers, web)
