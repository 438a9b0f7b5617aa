"""Matrix messages as ``m.notice`` events: a plain ``body`` and an ``org.matrix.custom.html`` body (alerts, digests,
follow-ups, the admins' notices and the replies to ``!wirewatch``).

The same content as the Slack alert (bot/slack/render.py). Every scraped string is made inert first
(bot/chat/inert.py: no ``@room``, no ``@user:server``, no link-like text, nothing invisible), then
HTML-escaped, quotes included; the only tags are ``b``, ``i``, ``a``, ``br`` and ``blockquote`` (all in the
spec's allowed list), the only links article URLs (http/https). ``m.mentions`` is sent empty, which
tells clients and servers the message mentions nobody, whatever its text says. Which alerts a message
carries travels in ``org.wirewatch`` (the crash check), and its transaction id is derived from them, so
a retry of the same message is the same transaction to the homeserver.
"""

from __future__ import annotations

import hashlib
from html import escape

from bot.chat.commands import Reply, hits
from bot.chat.inert import article_url, cut, inert, marked
from bot.chat.protocol import DIGEST_PER_MESSAGE, EVENT_ALERT, EVENT_BRIEF, EVENT_FOLLOWUP, Message, found_spellings
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
    pieces = marked(alert.snippet, alert.mark)
    if pieces is None:
        return text(alert.snippet, 800)
    before, spelling, after = pieces
    return (f"{escape(before[-400:], quote=True)}<b>{escape(spelling, quote=True)}</b>"
            f"{escape(cut(after, 400), quote=True)}")  # fmt: skip


def _message(body: str, html: str, event: str, key: str, ids: list[int]) -> Message:
    digest = hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=8).hexdigest()
    content = {"msgtype": "m.notice", "body": cut(body, TEXT), "format": "org.matrix.custom.html",
               "formatted_body": html, "m.mentions": {}, KEY: {"event": event, key: ids}}  # fmt: skip
    return Message({"content": content, "txn": f"wirewatch-{event}-{digest}"}, event, ids)


def alert_message(alert: Alert) -> Message:
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
    shown = [link(a.get("url") or "", a.get("source") or a.get("url"), 100)
             + (f" ({text(a['lang'], 5)}): “{text(a['title'], 200)}”" if a.get("title") and a.get("lang") else "")
             for a in also[:limit]]  # fmt: skip
    more = f" and {len(also) - limit} more" if len(also) > limit else ""
    return "also reported by: " + ", ".join(shown) + more


def digest_messages(alerts: list[Alert]) -> list[Message]:
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


def followup_message(sightings: list[dict], followup_ids: list[int]) -> Message:
    body = "also reported by: " + ", ".join(f"{inert(s.get('source'))} ({inert(s.get('url'))})" for s in sightings)
    return _message(body, also_html(sightings), EVENT_FOLLOWUP, "followup_ids", followup_ids)


def brief_message(brief: dict, ids: list[int]) -> Message:
    """The day's brief, posted in the room: what ``!wirewatch brief`` answers."""
    body, html = reply_message(Reply("brief", brief["title"], brief["groups"], brief.get("note", "")))
    return _message(body, html, EVENT_BRIEF, "brief_ids", ids)


def _brief_group(row: dict) -> str:
    stories = "".join(f"<li>{link(s.get('url') or '', s.get('title'))} · {s.get('sources', 1)} source"
                      f"{'s' if s.get('sources', 1) != 1 else ''}</li>" for s in row["stories"])  # fmt: skip
    more = f"<li>and {row['more']} more</li>" if row.get("more") else ""
    return f"<b>{text(row['group'], 100)}</b><ul>{stories}{more}</ul>"


def notice_message(notice: str) -> Message:
    """A plain notice (the admins' channel: a source down or back), carrying no outbox rows; its transaction id
    comes from its text, so a retry of the same notice is the same transaction."""
    content = {"msgtype": "m.notice", "body": notice, "format": "org.matrix.custom.html",
               "formatted_body": escape(notice), "m.mentions": {}}  # fmt: skip
    txn = "wirewatch-watchdog-" + hashlib.blake2b(notice.encode(), digest_size=8).hexdigest()
    return Message({"content": content, "txn": txn})


# ------------------------------------------------------------------------------- replies to !wirewatch


def _highlighted(snippet: str) -> str:
    return "".join(f"<b>{text(part, 400)}</b>" if hit else text(part, 400) for part, hit in hits(snippet))


def _story(row: dict) -> str:
    groups = ", ".join(row.get("keywords") or [])
    line = (f"<b>{link(row.get('url') or '', row.get('title'))}</b><br><i>story {row['story']} · "
            f"{text(row.get('source'), 100)} · {row.get('sources', 1)} sources · {text(groups, 200)}</i>")  # fmt: skip
    if row.get("snippet"):
        line += f"<br>{_highlighted(row['snippet'])}"
    return line


def reply_message(reply: Reply) -> tuple[str, str]:
    """A Reply as (plain body, HTML body)."""
    items: list[str] = []
    if reply.kind in ("stories", "story"):
        items = [_story(row) for row in reply.rows[:30]]
        if reply.kind == "story":
            items += [f"{link(a['url'], a.get('title'))} — {text(a['source'], 100)}"
                      + (f" ({text(a['lang'], 5)})" if a.get("lang") else "")
                      for a in reply.rows[0].get("articles", [])[:30]]  # fmt: skip
    elif reply.kind == "sources":
        items = [f"<b>{text(r['name'], 100)}</b> ({r['type']}, every {r['every']}: {text(r['why'], 60)}): "
                 f"{'last error: ' + text(r['last_error'], 200) if r['last_error'] else 'ok'} · last success "
                 f"{text(r['last_ok'] or 'never', 40)} · {r['articles']} articles · next poll "
                 f"{text(r['next_poll'] or 'at start', 40)}" for r in reply.rows]  # fmt: skip
    elif reply.kind == "keywords":
        for r in reply.rows:
            muted = f" · muted until {text(r['muted_until'], 40)}" if r["muted_until"] else ""
            items.append(f"<b>{text(r['name'], 100)}</b>: {text(', '.join(r['terms']), 400)}{muted}")
    elif reply.kind == "brief":
        items = [_brief_group(row) for row in reply.rows]
    elif reply.kind == "status":
        items = [f"<b>{text(r['channel'], 100)}</b>: {r['pending']} pending, {r['sent']} sent, {r['failed']} failed, "
                 f"{r['muted']} muted{' · last error: ' + text(r['last_error'], 200) if r['last_error'] else ''}"
                 for r in reply.rows]  # fmt: skip
    html = f"<b>{text(reply.title, 300)}</b>"
    if items:
        html += "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"
    if reply.text:
        html += "<br>" + escape(inert(reply.text.replace("\n", " | ")), quote=True)
    body = inert(reply.title) + ("\n" + inert(reply.text.replace("\n", " | ")) if reply.text else "")
    if reply.kind == "brief":  # the plain body of a brief lists its stories too, for clients without HTML
        body += "".join(f"\n{inert(row['group'])}:" + "".join(f"\n- {inert(s.get('title'))} ({s.get('sources', 1)} "
                        f"sources) {inert(s.get('url'))}" for s in row["stories"]) for row in reply.rows)  # fmt: skip
    return body, html
