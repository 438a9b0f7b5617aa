"""Alerts, digests, follow-ups and briefs as a title and a body for a service that is not a chat: Markdown
where the service renders it (Discord, Teams, Mattermost, Telegram, HTML email), plain text where it does not
(SMS, plain email, ntfy); bot/hooks/notify.py picks by the Apprise service's own format.

Every scraped string is made inert first (bot/chat/inert.py: no mention, no link, nothing invisible). In
Markdown, every character with a meaning is then backslash-escaped (CommonMark escapes all ASCII
punctuation) and ``< > &`` are swapped for look-alikes, since Python-Markdown, which Apprise uses to make
HTML, passes raw HTML and entities through. The only link is the article's (``article_url``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.chat.inert import article_url, cut, inert, marked
from bot.chat.protocol import found_spellings
from bot.models import Alert

_SPECIAL = re.compile(r"([\\`*_{}\[\]()!|~])")  # inline Markdown; a line's start is handled by _LEAD
_LEAD = re.compile(r"^(\s*)([#+=-]|\d+[.)])")  # would start a heading, a list or a rule
_LOOKALIKE = str.maketrans({"<": "‹", ">": "›", "&": "＆"})


@dataclass(slots=True)
class Text:
    title: str
    body: str


def md(raw: str | None, limit: int = 600) -> str:
    """Scraped text as inert Markdown that renders as exactly that text."""
    return _escape(cut(inert(raw), limit))


def _escape(inert_text: str) -> str:
    out = _SPECIAL.sub(r"\\\1", inert_text.translate(_LOOKALIKE))
    return _LEAD.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1] if len(m.group(2)) > 1
                     else m.group(1) + "\\" + m.group(2), out)  # fmt: skip


def plain(raw: str | None, limit: int = 600) -> str:
    return cut(inert(raw), limit)


def _link(url: str, label: str | None, markdown: bool, limit: int = 300) -> str:
    target = article_url(url)
    if not markdown:
        return f"{plain(label or url, limit)} {target}" if target else plain(label or url, limit)
    shown = md(label or url, limit)
    return f"[{shown}]({target.replace('(', '%28').replace(')', '%29')})" if target else shown


def when(alert: Alert) -> str:
    return alert.published.strftime("%Y-%m-%d %H:%M UTC") if alert.published else "undated"


def _snippet(alert: Alert, markdown: bool) -> str:
    if not markdown:
        return plain(alert.snippet, 800)
    pieces = marked(alert.snippet, alert.mark)
    if pieces is None:
        return md(alert.snippet, 800)
    before, spelling, after = (_escape(piece) for piece in pieces)
    return f"{before[-400:]}**{spelling}**{cut(after, 400)}"


def also_line(also: list[dict], markdown: bool, limit: int = 20) -> str:
    esc = md if markdown else plain
    shown = [_link(a.get("url") or "", a.get("source") or a.get("url"), markdown, 100)
             + (f" ({esc(a['lang'], 5)}): “{esc(a['title'], 200)}”" if a.get("title") and a.get("lang") else "")
             for a in also[:limit]]  # fmt: skip
    more = f" and {len(also) - limit} more" if len(also) > limit else ""
    return "also reported by: " + ", ".join(shown) + more


def alert(item: Alert, markdown: bool) -> Text:
    esc = md if markdown else plain
    title = f"[{', '.join(inert(k) for k in item.keywords)}] {inert(item.title or item.url)}"
    origin = f" · forwarded from {esc(item.forwarded.name, 100)}" if item.forwarded is not None else ""
    groups = " · ".join(f"{esc(g, 100)}: found “{esc(s, 100)}”" for g, s in found_spellings(item).items())
    where = f"{esc(item.source, 150)} · {when(item)}{origin}"
    if markdown:
        lines = [f"**{_link(item.url, item.title or item.url, True)}**", f"*{where}*"]
    else:
        lines = [_link(item.url, item.title, False), where]
    if item.snippet:
        lines.append(("> " if markdown else "") + _snippet(item, markdown))
    lines.append(groups or esc(", ".join(item.keywords), 300))
    if item.also:
        lines.append(also_line(item.also, markdown))
    return Text(cut(title, 250), "\n\n".join(lines))


def digest(alerts: list[Alert], total: int, markdown: bool) -> Text:
    esc = md if markdown else plain
    items = [f"- {_link(a.url, a.title or a.url, markdown)} — {esc(a.source, 100)} · {when(a)} · "
             f"{esc(', '.join(a.keywords), 200)}" for a in alerts]  # fmt: skip
    return Text(f"{total} new alerts", "\n".join(items))


def followup(sightings: list[dict], markdown: bool) -> Text:
    return Text("Also reported", also_line(sightings, markdown))


def brief(title: str, groups: list[dict], markdown: bool, note: str = "") -> Text:
    """The morning brief: per keyword group, its stories of the day (headline, how many sources, link)."""
    esc = md if markdown else plain
    parts = []
    for group in groups:
        lines = [f"**{esc(group['group'], 100)}**" if markdown else esc(group["group"], 100)]
        for story in group["stories"]:
            sources = story.get("sources", 1)
            lines.append(f"- {_link(story.get('url') or '', story.get('title'), markdown)} — "
                         f"{sources} source{'s' if sources != 1 else ''}")  # fmt: skip
        if group.get("more"):
            lines.append(f"- and {group['more']} more")
        parts.append("\n".join(lines))
    body = "\n\n".join(parts) or "No alerted stories in the last 24 hours."
    return Text(title, body + (f"\n\n{esc(note, 300)}" if note else ""))
