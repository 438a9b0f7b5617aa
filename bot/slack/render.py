"""Slack messages as Block Kit: an alert, a digest of alerts, a follow-up in an alert's thread, a notice to the
admins, and the replies to ``/wirewatch``.

Every scraped string goes through ``mrkdwn`` (inert, then Slack's three escapes, then its formatting
characters swapped for look-alikes: mrkdwn has no escape for ``*`` ``_`` ``~`` and backticks), and every
mrkdwn text object is ``verbatim`` so Slack links and mentions nothing by itself. The only links are
the ones built here, to article URLs checked by ``safe_url``. Block Kit's limits (3,000 characters a
section, 10 context elements, 50 blocks, 75 characters an option) are kept by cutting at a word.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.chat.commands import Reply, hits
from bot.chat.inert import article_url, cut, inert, marked
from bot.chat.protocol import (
    DIGEST_PER_MESSAGE,
    EVENT_ALERT,
    EVENT_BRIEF,
    EVENT_FOLLOWUP,
    KEYS,
    Message,
    found_spellings,
)
from bot.models import Alert
from bot.store import from_iso

SECTION = 3000
CONTEXT = 2000
FALLBACK = 3000
OPTION = 75
MAX_BLOCKS = 50
MENU_ACTION = "wirewatch_alert_menu"

_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})


def mrkdwn(raw: str | None, limit: int = SECTION) -> str:
    """Scraped text as inert mrkdwn of at most ``limit`` characters (escapes included)."""
    text = inert(raw)
    budget = limit
    while budget > 0:
        out = cut(text, budget).translate(_MRKDWN)
        if len(out) <= limit:
            return out
        budget -= len(out) - limit
    return ""


def safe_url(url: str) -> str | None:
    """An http(s) URL fit for ``<url|text>``: characters that would end or split the link encoded."""
    target = article_url(url)
    return target.replace("&", "&amp;") if target else None


def link(url: str, text: str | None, limit: int = 500) -> str:
    target = safe_url(url)
    label = mrkdwn(text or url, limit)
    return f"<{target}|{label}>" if target else label


def date_token(when: datetime | None) -> str:
    """``<!date^...>``: each reader sees the time in their own time zone; the fallback is UTC."""
    if when is None:
        return "undated"
    when = when.astimezone(UTC)
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _mrkdwn_block(text: str, kind: str = "section") -> dict:
    obj = {"type": "mrkdwn", "text": text, "verbatim": True}
    return {"type": "section", "text": obj} if kind == "section" else {"type": "context", "elements": [obj]}


def _escaped(text: str, limit: int, tail: bool = False) -> str:
    """Inert text as mrkdwn of at most ``limit`` characters: its beginning (``tail``: its end), escapes included."""
    budget = limit
    while budget > 0:
        out = (text[-budget:] if tail else cut(text, budget)).translate(_MRKDWN)
        if len(out) <= limit:
            return out
        budget -= len(out) - limit
    return ""


def snippet(alert: Alert, limit: int = SECTION) -> str:
    """The snippet with the spelling that fired in bold: the one place scraped text gets formatting."""
    pieces = marked(alert.snippet, alert.mark)
    if pieces is None:
        return mrkdwn(alert.snippet, limit)
    before, spelling, after = pieces
    room = max(0, limit - len(spelling) * 2 - 8) // 2
    return f"{_escaped(before, room, tail=True)}*{_escaped(spelling, 200)}*{_escaped(after, room)}"


def _menu(alert: Alert) -> dict:
    options = [
        {"text": {"type": "plain_text", "text": cut(f"Mute {group} for 24 h", OPTION)}, "value": f"mute|{group}"[:150]}
        for group in alert.keywords[:4]
    ]
    options.append({"text": {"type": "plain_text", "text": "Show story"}, "value": f"story|{alert.story_id or ''}"})
    return {"type": "overflow", "action_id": MENU_ACTION, "options": options}


def alert_message(alert: Alert) -> Message:
    """One alert, as chat.postMessage's arguments (without the channel)."""
    headline = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": f"*{link(alert.url, alert.title or alert.url)}*", "verbatim": True},
        "accessory": _menu(alert),
    }
    where = f"{mrkdwn(alert.source, 300)} · {date_token(alert.published)}"
    if alert.forwarded is not None:  # a Telegram message forwarded from another channel: its origin, unlinked
        where += f" · forwarded from {mrkdwn(alert.forwarded.name, 200)}"
    groups = " · ".join(
        f"{mrkdwn(group, 200)}: found “{mrkdwn(spelling, 200)}”" for group, spelling in found_spellings(alert).items()
    ) or " · ".join(mrkdwn(group, 200) for group in alert.keywords)
    blocks = [headline, _mrkdwn_block(where, "context")]
    if alert.snippet:
        blocks.append(_mrkdwn_block(snippet(alert)))
    blocks.append(_mrkdwn_block(cut(groups, CONTEXT), "context"))
    if alert.also:
        blocks.append(_mrkdwn_block(also_text(alert.also), "context"))
    return _message({"text": fallback_text(alert), "blocks": blocks}, EVENT_ALERT, [alert.id])


def _message(body: dict, event: str, ids: list[int]) -> Message:
    """The ids travel in the message's metadata too: the crash check finds them there (bot/slack/post.py)."""
    return Message({**body, "metadata": {"event_type": event, "event_payload": {KEYS[event]: ids}}}, event, ids)


def also_text(also: list[dict], limit: int = CONTEXT) -> str:
    parts, used = [], len("also reported by: ")
    for item in also:
        part = link(item.get("url") or "", item.get("source") or item.get("url"), 200)
        if item.get("title") and item.get("lang"):  # a report in another language: its language and headline
            part += f" ({mrkdwn(item['lang'], 5)}): “{mrkdwn(item['title'], 200)}”"
        if used + len(part) + 2 > limit - 20:
            parts.append(f"and {len(also) - len(parts)} more")
            break
        parts.append(part)
        used += len(part) + 2
    return "also reported by: " + ", ".join(parts)


def fallback_text(alert: Alert) -> str:
    """The notification's plain line: groups, headline, source."""
    line = f"[{', '.join(alert.keywords)}] {inert(alert.title)} — {inert(alert.source)}"
    return mrkdwn(line, FALLBACK)


def digest_messages(alerts: list[Alert]) -> list[Message]:
    """One message per ``DIGEST_PER_MESSAGE`` alerts, each listing its alerts one line apiece."""
    messages = []
    total = len(alerts)
    for start in range(0, total, DIGEST_PER_MESSAGE):
        chunk = alerts[start : start + DIGEST_PER_MESSAGE]
        title = f"*{total} new alerts*" + (f" ({start + 1}-{start + len(chunk)})" if total > DIGEST_PER_MESSAGE else "")
        blocks = [_mrkdwn_block(title)]
        for alert in chunk:
            line = (
                f"• *{link(alert.url, alert.title or alert.url, 300)}*\n"
                f"{mrkdwn(alert.source, 200)} · {date_token(alert.published)} · "
                f"{', '.join(mrkdwn(k, 100) for k in alert.keywords)}"
            )
            blocks.append(_mrkdwn_block(line[:SECTION]))
        text = mrkdwn(f"{total} new alerts: " + "; ".join(inert(a.title) for a in chunk), FALLBACK)
        messages.append(_message({"text": text, "blocks": blocks[:MAX_BLOCKS]}, EVENT_ALERT, [a.id for a in chunk]))
    return messages


def followup_message(sightings: list[dict], followup_ids: list[int]) -> Message:
    """A reply in an alert's thread: the story was seen again on other sources."""
    text = also_text(sightings, SECTION)
    fallback = mrkdwn("also reported by: " + ", ".join(inert(s.get("source")) for s in sightings), FALLBACK)
    return _message({"text": fallback, "blocks": [_mrkdwn_block(text)]}, EVENT_FOLLOWUP, followup_ids)


def brief_message(brief: dict, ids: list[int]) -> Message:
    """The day's brief, posted in the channel: the blocks of ``/wirewatch brief``'s reply."""
    reply = reply_message(Reply("brief", brief["title"], brief["groups"], brief.get("note", "")))
    return _message({"text": reply["text"], "blocks": reply["blocks"]}, EVENT_BRIEF, ids)


def _brief_group(row: dict) -> str:
    lines = [f"*{mrkdwn(row['group'], 100)}*"]
    for story in row["stories"]:
        sources = story.get("sources", 1)
        lines.append(f"• {link(story.get('url') or '', story.get('title') or story.get('url'), 300)} · "
                     f"{sources} source{'s' if sources != 1 else ''}")  # fmt: skip
    if row.get("more"):
        lines.append(f"and {row['more']} more")
    return "\n".join(lines)


def notice_message(text: str) -> Message:
    """A plain notice (the admins' channel: a source down or back), carrying no outbox rows."""
    return Message({"text": mrkdwn(text)})


# ------------------------------------------------------------------------------- replies to /wirewatch


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION], "verbatim": True}}


def _highlighted(snippet: str) -> str:
    """A search snippet with the hits in bold; the hit markers are split on before the text is made inert."""
    out = []
    for part, hit in hits(snippet):
        text = mrkdwn(part, 600)
        out.append(f"*{text}*" if hit and text.strip() else text)
    return "".join(out)


def _story_line(row: dict) -> str:
    seen = from_iso(row.get("last_seen"))
    groups = ", ".join(mrkdwn(k, 100) for k in row.get("keywords") or [])
    line = (
        f"*{link(row.get('url') or '', row.get('title') or row.get('url'), 300)}*\n"
        f"story {row['story']} · {mrkdwn(row.get('source'), 100)} · {row.get('sources', 1)} source"
        f"{'s' if row.get('sources', 1) != 1 else ''}{' · ' + groups if groups else ''}"
        f"{' · ' + date_token(seen) if seen else ''}"
    )
    if row.get("snippet"):
        line += "\n" + _highlighted(row["snippet"])
    return line


def reply_message(reply: Reply) -> dict:
    """A Reply as response_url arguments: ephemeral Block Kit with a plain fallback."""
    title = f"*{mrkdwn(reply.title, 300)}*"
    parts = [_section(title)]
    if reply.kind == "stories":
        parts += [_section(_story_line(row)) for row in reply.rows[:40]]
    elif reply.kind == "story":
        row = reply.rows[0]
        parts.append(_section(_story_line(row)))
        for article in row.get("articles", [])[:40]:
            headline = link(article["url"], article.get("title") or article["url"], 300)
            seen = mrkdwn(article.get("seen"), 40)
            lang = f" · {mrkdwn(article['lang'], 5)}" if article.get("lang") else ""
            parts.append(_section(f"• {headline}\n{mrkdwn(article['source'], 100)}{lang} · seen {seen}"))
    elif reply.kind == "sources":
        lines = []
        for row in reply.rows:
            state = f"last error: {mrkdwn(row['last_error'], 200)}" if row["last_error"] else "ok"
            kind = f"{row['type']}, every {row['every']}: {mrkdwn(row['why'], 60)}"
            lines.append(f"• *{mrkdwn(row['name'], 100)}* ({kind}): {state} · last success "
                         f"{mrkdwn(row['last_ok'] or 'never', 40)} · {row['articles']} articles · next poll "
                         f"{mrkdwn(row['next_poll'] or 'at start', 40)}")  # fmt: skip
        parts += [_section("\n".join(lines[i : i + 15])) for i in range(0, len(lines), 15)][:45]
    elif reply.kind == "keywords":
        for row in reply.rows[:45]:
            terms = ", ".join(mrkdwn(t, 80) for t in row["terms"])
            muted = f" · muted until {mrkdwn(row['muted_until'], 40)}" if row["muted_until"] else ""
            parts.append(
                _section(f"• *{mrkdwn(row['name'], 100)}*: {terms}{' (exact)' if row['exact'] else ''}{muted}")
            )
    elif reply.kind == "brief":
        parts += [_section(cut(_brief_group(row), SECTION)) for row in reply.rows[:45]]
    elif reply.kind == "status":
        for row in reply.rows[:45]:
            error = f" · last error: {mrkdwn(row['last_error'], 300)}" if row["last_error"] else ""
            parts.append(_section(f"• *{mrkdwn(row['channel'], 100)}*: {row['pending']} pending, {row['sent']} sent, "
                                  f"{row['failed']} failed, {row['muted']} muted{error}"))  # fmt: skip
    if reply.text:
        parts.append(_section(mrkdwn(reply.text, SECTION)))
    return {"response_type": "ephemeral", "text": mrkdwn(reply.title, 300), "blocks": parts[:MAX_BLOCKS]}


# chat.postMessage arguments every message carries: nothing unfurled, nothing parsed into links or mentions.
POST_DEFAULTS = {"unfurl_links": False, "unfurl_media": False, "link_names": False, "parse": "none"}
