"""The chat commands (``/wirewatch ...`` in Slack, ``!wirewatch ...`` in Matrix): parse, check, answer.

Plain data in, plain data out: a ``Request`` (the words after the command, who asked, in which channel,
whether they are an admin) becomes a ``Reply`` (a title, rows, a line of text). Each chat module only
renders a Reply in its own markup, so both chats answer alike and this layer is tested without either.
A bad command or argument gets a short usage reply, never a stack trace.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.config import Config, parse_duration
from bot.errors import QueryError
from bot.schedule import backoff, duration
from bot.store import Store, from_iso, iso, outbox, queries, utcnow
from bot.store.search import search

if TYPE_CHECKING:
    from bot.config import Channel

HIGHLIGHT = ("\ue000", "\ue001")  # search hits, marked with characters no page text keeps (bot.chat.inert)


def hits(snippet: str) -> list[tuple[str, bool]]:
    """A search snippet as (piece, is a hit), split on the HIGHLIGHT marks before anything makes it inert."""
    start, end = HIGHLIGHT
    return [(part, bool(i % 2)) for i, part in enumerate(snippet.replace(end, start).split(start))]


USAGE = {
    "recent": "recent [group] [N | 24h]: the latest alerted stories",
    "search": 'search <query>: full-text search, newest first (words, "a phrase", AND / OR / NOT, prefix*)',
    "story": "story <id>: one story and every outlet that ran it",
    "sources": "sources: each source's last success, last error, articles and next poll",
    "keywords": "keywords: the keyword groups, their terms, and what is muted here",
    "mute": "mute <group> <duration>: no alerts of that group in this channel for a while (admins)",
    "unmute": "unmute <group>: alerts of that group again in this channel (admins)",
    "brief": "brief: the stories of the last 24 hours per keyword group (what the daily brief posts)",
    "status": "status: the outbox of each chat channel",
    "help": "help: this list",
}


@dataclass(slots=True)
class Request:
    text: str  # the words after the command
    user: str
    channel: str | None  # the outbox id of the configured channel the command came from (slack:#alerts), if any
    is_admin: bool = False


@dataclass(slots=True)
class Reply:
    kind: str  # stories | story | sources | keywords | status | help | done | refused | usage | empty
    title: str
    rows: list[dict] = field(default_factory=list)
    text: str = ""


def channel_for(config: Config, kind: str, *refs: str | None) -> Channel | None:
    """The configured channel a command came from, by any of the ids or names the chat gave for it."""
    wanted = {r.lower() for r in refs if r} | {"#" + r.lower() for r in refs if r and not r.startswith(("#", "!"))}
    return next((c for c in config.channels if c.kind == kind and c.target.lower() in wanted), None)


def answer(config: Config, kind: str, words: str, user: str, refs: tuple[str | None, ...], is_admin: bool) -> Reply:
    """A command from a chat, answered on a connection of its own (chat listeners call this in a thread)."""
    channel = channel_for(config, kind, *refs)
    store = Store.open(config.database_path)
    try:
        return handle(Request(words, user, channel.id if channel else None, is_admin), config, store)
    finally:
        store.close()


def handle(request: Request, config: Config, store: Store) -> Reply:
    words = request.text.split()
    name = words[0].lower() if words else "help"
    args = request.text.strip()[len(words[0]) :].strip() if words else ""
    handler = _HANDLERS.get(name)
    if handler is None:
        return Reply("usage", f"Unknown command “{words[0][:40]}”.", text=_usage())
    try:
        return handler(args, request, config, store)
    except QueryError as exc:
        return Reply("usage", str(exc), text=USAGE[name])


def _usage() -> str:
    return "\n".join(USAGE.values())


def _group(config: Config, text: str) -> str | None:
    wanted = text.strip().casefold()
    return next((k.name for k in config.keywords if k.name.casefold() == wanted), None)


def _unknown_group(config: Config, text: str, name: str) -> Reply:
    groups = ", ".join(k.name for k in config.keywords)
    return Reply("usage", f"No keyword group named “{text[:60]}”.", text=f"{USAGE[name]}\nGroups: {groups}")


_COUNT_OR_WINDOW = re.compile(r"^(\d+|\d+\s*[smhdw]|\d[\dsmhdw]*)$", re.IGNORECASE)


def _recent(args: str, request: Request, config: Config, store: Store) -> Reply:
    words = args.split()
    limit, window, said = 10, None, ""
    if words and _COUNT_OR_WINDOW.match(words[-1]):
        last = words.pop()
        if last.isdigit():
            limit = max(1, min(int(last), 50))
        else:
            try:
                window, said = parse_duration(last), last
            except ValueError:
                return Reply("usage", f"“{last}” is neither a number nor a duration.", text=USAGE["recent"])
    group = None
    if words:
        group = _group(config, " ".join(words))
        if group is None:
            return _unknown_group(config, " ".join(words), "recent")
    rows = queries.recent(store, group, limit=50 if window else limit)
    if window:
        since = utcnow() - timedelta(seconds=window)
        rows = [r for r in rows if (from_iso(r["last_seen"]) or since) >= since][:50]
    title = f"Latest alerts{' for ' + group if group else ''}{' in the last ' + said if window else ''}"
    return Reply("stories" if rows else "empty", title, rows, "" if rows else "No alerts yet.")


def _search(args: str, request: Request, config: Config, store: Store) -> Reply:
    if not args:
        return Reply("usage", "What should I search for?", text=USAGE["search"])
    rows = search(store, args, limit=10, marks=HIGHLIGHT, groups=config.keywords)
    if not rows:
        return Reply("empty", f"Search: {args[:100]}", text="No article matches.")
    return Reply("stories", f"Search: {args[:100]}", rows)


def _story(args: str, request: Request, config: Config, store: Store) -> Reply:
    if not args.strip().isdigit():
        return Reply("usage", "Which story? Give its number.", text=USAGE["story"])
    row = queries.story(store, int(args.strip()))
    if row is None:
        return Reply("empty", f"Story {args.strip()}", text=f"There is no story {args.strip()}.")
    return Reply("story", f"Story {row['story']}", [row])


def source_rows(config: Config, store: Store) -> list[dict]:
    """Each configured source's state: last success, last error, failures in a row, articles, its interval and
    when it is polled next (after its backoff, if it fails); what ``/wirewatch sources`` and ``wirewatch
    sources`` show."""
    states = {s.name: s for s in store.sources()}
    cadences = store.cadences()
    rows = []
    for source in config.sources:
        state = states.get(source.name)
        seconds, why, next_poll = cadences.get(source.name, (None, None, None))
        fixed = config.fixed_interval(source)
        if fixed or seconds is None:  # fixed, or not scheduled by ``run`` yet
            seconds, why = config.interval(source), "fixed" if fixed else "new: no dated item yet"
            if state and state.last_poll:
                delay = backoff(seconds, state.errors)
                next_poll = (from_iso(state.last_poll) + timedelta(seconds=delay)).isoformat(timespec="seconds")
        rows.append({"name": source.name, "type": source.type, "url": source.url,
                     "every": duration(seconds), "why": why, "last_ok": state.last_ok if state else None,
                     "last_error": state.last_error if state and state.errors else None,
                     "errors": state.errors if state else 0, "articles": state.articles if state else 0,
                     "next_poll": next_poll})  # fmt: skip
    return rows


def _sources(args: str, request: Request, config: Config, store: Store) -> Reply:
    rows = source_rows(config, store)
    failing = [s for s in outbox.states(store, [c.id for c in config.channels]) if s.failed]
    text = "\n".join(f"{s.channel}: {s.failed} alerts failed: {s.last_error} (wirewatch redeliver {s.channel})"
                     for s in failing)  # fmt: skip
    return Reply("sources", f"{len(rows)} sources", rows, text)


def _keywords(args: str, request: Request, config: Config, store: Store) -> Reply:
    silenced = outbox.muted(store, request.channel) if request.channel else {}
    rows = [{"name": k.name, "terms": k.terms, "exact": k.exact, "require": k.require, "exclude": k.exclude,
             "muted_until": silenced.get(k.name)} for k in config.keywords]  # fmt: skip
    return Reply("keywords", f"{len(rows)} keyword groups", rows)


def _admin_only(request: Request, name: str) -> Reply | None:
    if not request.is_admin:
        return Reply("refused", "Sorry, only the bot's admins can change that.",
                     text=f"{name} is limited to the users listed as admins in the bot's config.")  # fmt: skip
    if request.channel is None:
        return Reply("refused", "This channel receives no alerts, so there is nothing to mute here.")
    return None


def _mute(args: str, request: Request, config: Config, store: Store) -> Reply:
    refused = _admin_only(request, "mute")
    if refused:
        return refused
    words = args.split()
    if len(words) < 2:
        return Reply("usage", "Mute which group, and for how long?", text=USAGE["mute"])
    try:
        seconds = parse_duration(words[-1])
    except ValueError:
        return Reply("usage", f"“{words[-1][:20]}” is not a duration (e.g. 30m, 24h, 7d).", text=USAGE["mute"])
    group = _group(config, " ".join(words[:-1]))
    if group is None:
        return _unknown_group(config, " ".join(words[:-1]), "mute")
    until = utcnow() + timedelta(seconds=seconds)
    outbox.mute(store, request.channel, group, until, request.user)
    return Reply("done", f"Muted {group} here for {words[-1]}.",
                 text=f"until {until.isoformat(timespec='minutes')}; `unmute {group}` ends it sooner")  # fmt: skip


def _unmute(args: str, request: Request, config: Config, store: Store) -> Reply:
    refused = _admin_only(request, "unmute")
    if refused:
        return refused
    group = _group(config, args)
    if group is None:
        return _unknown_group(config, args, "unmute")
    if not outbox.unmute(store, request.channel, group):
        return Reply("done", f"{group} was not muted here.")
    return Reply("done", f"{group} is no longer muted here.")


def _status(args: str, request: Request, config: Config, store: Store) -> Reply:
    rows = [asdict(s) for s in outbox.states(store, [c.id for c in config.channels])]
    return Reply("status", "Outbox", rows, "" if rows else "No channels configured.")


def brief_data(config: Config, store: Store, channel_id: str | None, now: datetime | None = None,
               day: str | None = None) -> dict:  # fmt: skip
    """The brief for a channel (its routed groups, less those muted there; every group for no channel): the
    stories alerted in the 24 hours before ``now``, per group. ``day``: the date it is for, in the channel's
    brief time zone (today there by default)."""
    now = now or utcnow()
    channel = next((c for c in config.channels if c.id == channel_id), None)
    routed = [k.name for k in config.keywords if channel is None or not channel.keywords or k.name in channel.keywords]
    muted = outbox.muted(store, channel_id, now) if channel_id else {}
    tz = ZoneInfo(channel.brief.tz) if channel is not None and channel.brief is not None else UTC
    day = day or now.astimezone(tz).date().isoformat()
    groups = queries.brief(store, iso(now - timedelta(days=1)), [g for g in routed if g not in muted])
    note = f"Muted here, left out: {', '.join(g for g in routed if g in muted)}" if set(routed) & muted.keys() else ""
    return {"title": f"Brief for {day}: stories alerted in the last 24 hours", "day": day, "groups": groups,
            "note": note}  # fmt: skip


def _brief(args: str, request: Request, config: Config, store: Store) -> Reply:
    data = brief_data(config, store, request.channel)
    text = data["note"] if data["groups"] else "\n".join(filter(None, ["No alerted stories in the last 24 hours.",
                                                                       data["note"]]))  # fmt: skip
    return Reply("brief" if data["groups"] else "empty", data["title"], data["groups"], text)


def _help(args: str, request: Request, config: Config, store: Store) -> Reply:
    return Reply("help", "wirewatch commands", text=_usage())


_HANDLERS = {"recent": _recent, "search": _search, "story": _story, "sources": _sources, "keywords": _keywords,
             "mute": _mute, "unmute": _unmute, "brief": _brief, "status": _status, "help": _help}  # fmt: skip
