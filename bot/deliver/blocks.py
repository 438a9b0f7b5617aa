"""Slack messages as Block Kit: an alert, a digest of alerts, a follow-up in an alert's thread.

Every scraped string goes through ``mrkdwn`` (inert, then Slack's three escapes, then its formatting
characters swapped for look-alikes: mrkdwn has no escape for ``*`` ``_`` ``~`` and backticks), and every
mrkdwn text object is ``verbatim`` so Slack links and mentions nothing by itself. The only links are
the ones built here, to article URLs checked by ``safe_url``. Block Kit's limits (3,000 characters a
section, 10 context elements, 50 blocks, 75 characters an option) are kept by cutting at a word.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.deliver.inert import article_url, at_found, cut, inert
from bot.models import Alert

SECTION = 3000
CONTEXT = 2000
FALLBACK = 3000
OPTION = 75
MAX_BLOCKS = 50
DIGEST_PER_MESSAGE = 20  # a digest of more alerts is sent as several messages
EVENT_ALERT = "wirewatch_alert"  # message metadata: which alerts a message carries (the crash check)
EVENT_FOLLOWUP = "wirewatch_followup"
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


def found_spellings(alert: Alert) -> dict[str, str]:
    """Each group of the alert with the first spelling that fired it."""
    found: dict[str, str] = {}
    for match in alert.matches:
        found.setdefault(match.keyword, match.found)
    return found


def snippet(alert: Alert, limit: int = SECTION) -> str:
    """The snippet with the spelling that fired in bold: the one place scraped text gets formatting."""
    text = inert(alert.snippet)
    found = at_found(text, (inert(s) for s in found_spellings(alert).values()))
    if found is None:
        return mrkdwn(text, limit)
    before, spelling, after = found
    room = max(0, limit - len(spelling) * 2 - 8) // 2
    return f"{mrkdwn(before[len(before) - room :], room)}*{mrkdwn(spelling, 200)}*{mrkdwn(after, room)}"


def _menu(alert: Alert) -> dict:
    options = [
        {"text": {"type": "plain_text", "text": cut(f"Mute {group} for 24 h", OPTION)}, "value": f"mute|{group}"[:150]}
        for group in alert.keywords[:4]
    ]
    options.append({"text": {"type": "plain_text", "text": "Show story"}, "value": f"story|{alert.story_id or ''}"})
    return {"type": "overflow", "action_id": MENU_ACTION, "options": options}


def alert_message(alert: Alert) -> dict:
    """chat.postMessage arguments (without the channel) for one alert."""
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
    return {
        "text": fallback_text(alert),
        "blocks": blocks,
        "metadata": {"event_type": EVENT_ALERT, "event_payload": {"alert_ids": [alert.id]}},
    }


def also_text(also: list[dict], limit: int = CONTEXT) -> str:
    parts, used = [], len("also reported by: ")
    for item in also:
        part = link(item.get("url") or "", item.get("source") or item.get("url"), 200)
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


def digest_messages(alerts: list[Alert]) -> list[dict]:
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
        messages.append(
            {
                "text": mrkdwn(f"{total} new alerts: " + "; ".join(inert(a.title) for a in chunk), FALLBACK),
                "blocks": blocks[:MAX_BLOCKS],
                "metadata": {"event_type": EVENT_ALERT, "event_payload": {"alert_ids": [a.id for a in chunk]}},
            }
        )
    return messages


def followup_message(sightings: list[dict], followup_ids: list[int]) -> dict:
    """A reply in an alert's thread: the story was seen again on other sources."""
    text = also_text(sightings, SECTION)
    return {
        "text": mrkdwn("also reported by: " + ", ".join(inert(s.get("source")) for s in sightings), FALLBACK),
        "blocks": [_mrkdwn_block(text)],
        "metadata": {"event_type": EVENT_FOLLOWUP, "event_payload": {"followup_ids": followup_ids}},
    }


# chat.postMessage arguments every message carries: nothing unfurled, nothing parsed into links or mentions.
POST_DEFAULTS = {"unfurl_links": False, "unfurl_media": False, "link_names": False, "parse": "none"}
