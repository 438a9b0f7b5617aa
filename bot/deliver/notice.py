"""Matrix messages as ``m.notice`` events: a plain ``body`` and an ``org.matrix.custom.html`` body.

The same content as the Slack alert (bot/deliver/blocks.py). Every scraped string is made inert first
(bot/deliver/inert.py: no ``@room``, no ``@user:server``, no link-like text, nothing invisible), then
HTML-escaped, quotes included; the only tags are ``b``, ``i``, ``a``, ``br`` and ``blockquote`` (all in the
spec's allowed list), the only links article URLs (http/https). ``m.mentions`` is sent empty, which
tells clients and servers the message mentions nobody, whatever its text says. Which alerts a message
carries travels in ``org.wirewatch`` (the crash check), and its transaction id is derived from them, so
a retry of the same message is the same transaction to the homeserver.
"""

from __future__ import annotations

import hashlib
from html import escape

from bot.deliver.blocks import DIGEST_PER_MESSAGE, EVENT_ALERT, EVENT_FOLLOWUP, found_spellings
from bot.deliver.inert import article_url, at_found, cut, inert
from bot.models import Alert

KEY = "org.wirewatch"
TEXT = 4000  # characters of a body: far under the 64 KiB event limit, and readable


def text(raw: str | None, limit: int = 600) -> str:
    return escape(cut(inert(raw), limit), quote=True)


def href(url: str) -> str | None:
    target = article_url(url)
    return escape(target, quote=True) if target else None


def link(url: str, label: str | None, limit: int = 300) -> str:
    target = href(url)
    shown = text(label or url, limit)
    return f'<a href="{target}">{shown}</a>' if target else shown


def _when(alert: Alert) -> str:
    return alert.published.strftime("%Y-%m-%d %H:%M UTC") if alert.published else "undated"


def _snippet_html(alert: Alert) -> str:
    plain = inert(alert.snippet)
    found = at_found(plain, (inert(s) for s in found_spellings(alert).values()))
    if found is None:
        return text(plain, 800)
    before, spelling, after = found
    return (f"{escape(before[-400:], quote=True)}<b>{escape(spelling, quote=True)}</b>"
            f"{escape(cut(after, 400), quote=True)}")  # fmt: skip


def _message(body: str, html: str, event: str, key: str, ids: list[int]) -> dict:
    digest = hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=8).hexdigest()
    content = {"msgtype": "m.notice", "body": cut(body, TEXT), "format": "org.matrix.custom.html",
               "formatted_body": html, "m.mentions": {}, KEY: {"event": event, key: ids}}  # fmt: skip
    return {"content": content, "txn": f"wirewatch-{event}-{digest}",
            "metadata": {"event_type": event, "event_payload": {key: ids}}}  # fmt: skip


def alert_message(alert: Alert) -> dict:
    groups = found_spellings(alert)
    group_html = " · ".join(f"{text(g, 100)}: found “{text(s, 100)}”" for g, s in groups.items()) or text(
        ", ".join(alert.keywords), 300
    )
    also = also_html(alert.also)
    html = (
        f"<b>{link(alert.url, alert.title or alert.url)}</b><br>"
        f"<i>{text(alert.source, 150)} · {_when(alert)}{_forwarded(alert, text)}</i><br>"
        f"<blockquote>{_snippet_html(alert)}</blockquote>"
        f"{group_html}" + (f"<br>{also}" if also else "")
    )
    body = (
        f"[{', '.join(inert(k) for k in alert.keywords)}] {inert(alert.title)}\n"
        f"{inert(alert.source)} · {_when(alert)}{_forwarded(alert, inert)} · {inert(alert.url)}\n{inert(alert.snippet)}"
    )
    return _message(body, html, EVENT_ALERT, "alert_ids", [alert.id])


def _forwarded(alert: Alert, render) -> str:
    """A Telegram message forwarded from another channel: where from (its name only, never a link)."""
    return f" · forwarded from {render(alert.forwarded.name)}" if alert.forwarded is not None else ""


def also_html(also: list[dict], limit: int = 20) -> str:
    if not also:
        return ""
    shown = [link(a.get("url") or "", a.get("source") or a.get("url"), 100) for a in also[:limit]]
    more = f" and {len(also) - limit} more" if len(also) > limit else ""
    return "also reported by: " + ", ".join(shown) + more


def digest_messages(alerts: list[Alert]) -> list[dict]:
    messages = []
    for start in range(0, len(alerts), DIGEST_PER_MESSAGE):
        chunk = alerts[start : start + DIGEST_PER_MESSAGE]
        items = "".join(
            f"<li><b>{link(a.url, a.title or a.url)}</b> — {text(a.source, 100)} · {_when(a)} · "
            f"{text(', '.join(a.keywords), 200)}</li>"
            for a in chunk
        )
        html = f"<b>{len(alerts)} new alerts</b><ul>{items}</ul>"
        body = f"{len(alerts)} new alerts:\n" + "\n".join(f"- {inert(a.title)} ({inert(a.source)})" for a in chunk)
        messages.append(_message(body, html, EVENT_ALERT, "alert_ids", [a.id for a in chunk]))
    return messages


def followup_message(sightings: list[dict], followup_ids: list[int]) -> dict:
    body = "also reported by: " + ", ".join(f"{inert(s.get('source'))} ({inert(s.get('url'))})" for s in sightings)
    return _message(body, also_html(sightings), EVENT_FOLLOWUP, "followup_ids", followup_ids)
