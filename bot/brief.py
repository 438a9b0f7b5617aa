"""The morning brief: ``brief: "07:00 Europe/Berlin"`` on a channel posts, once a day at that local time, the
stories alerted in the 24 hours before, per keyword group (bot/chat/commands.py ``brief_data``).

Exactly once a day across restarts: the day's row (bot/store/briefs.py) is claimed before the brief is posted
and marked with the chat's receipt, and a row tried before is looked for in the channel first, as an alert's
delivery is (bot/chat/sender.py). A brief whose time passed while nothing ran is posted when ``run`` (or
``check``) comes back, up to ``LATE`` after its time; later than that, that day is skipped. ``wirewatch check``
posts a due brief too, so a cron of ``check`` gets its briefs.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.channels import connected
from bot.chat.commands import brief_data
from bot.chat.sender import Drained, Policy, Sender
from bot.chat.supervise import describe
from bot.config import Brief, Channel, Config
from bot.store import Store, utcnow
from bot.store.briefs import claim

log = logging.getLogger(__name__)

LATE = timedelta(hours=12)  # a brief missed by more than this is skipped, not posted hours out of place
RETRY = (60.0, 900.0)  # a brief that failed for a passing reason: tried again after 1 min, doubling, at most 15


def last_time(brief: Brief, now: datetime) -> datetime:
    """The latest time at or before ``now`` that the brief was due (a nonexistent local time, in a DST gap,
    is read as zoneinfo reads it: an hour later)."""
    zone = ZoneInfo(brief.tz)
    local = now.astimezone(zone).date()
    for day in (local, local - timedelta(days=1)):
        at = _utc(day, brief, zone)
        if at <= now:
            return at
    return _utc(local - timedelta(days=2), brief, zone)


def _utc(day, brief: Brief, zone: ZoneInfo) -> datetime:
    """The brief's local time on ``day``, in UTC (a time in a DST gap compares unequal to every other until
    converted: PEP 495)."""
    return datetime.combine(day, time(brief.hour, brief.minute), zone).astimezone(UTC)


def next_time(brief: Brief, now: datetime) -> datetime:
    """The first time after ``now`` the brief is due."""
    zone = ZoneInfo(brief.tz)
    day = last_time(brief, now).astimezone(zone).date()
    while True:
        day += timedelta(days=1)
        at = _utc(day, brief, zone)
        if at > now:
            return at


async def send_due(config: Config, store: Store, now: datetime | None = None, only: str | None = None,
                   policy: Policy | None = None) -> list[Drained]:  # fmt: skip
    """Each channel's brief (or ``only`` that channel's) that is due and not posted yet, posted now."""
    now = now or utcnow()
    results = []
    for channel in config.channels:
        if channel.brief is None or (only is not None and channel.id != only):
            continue
        at = last_time(channel.brief, now)
        if now - at > LATE:
            continue
        day = at.astimezone(ZoneInfo(channel.brief.tz)).date().isoformat()
        row = claim(store, channel.id, day)
        if row is not None:
            results.append(await _post(config, store, channel, row, brief_data(config, store, channel.id, now, day),
                                       policy))  # fmt: skip
    return results


async def _post(config: Config, store: Store, channel: Channel, row, data: dict, policy: Policy | None) -> Drained:
    async with connected(config, store, channel) as (chat, problem):
        if chat is None:
            return problem
        return await Sender(store, chat, config.digest_after, policy).brief(chat.render_brief(data, [row.id]), row)


async def brief_forever(config: Config, store: Store, channel: Channel, report) -> None:
    """A channel's brief for ``wirewatch run``: at each due time (and at start, if one was missed within
    ``LATE``); a brief that failed for a passing reason is tried again with backoff until it is posted."""
    assert channel.brief is not None
    wait = RETRY[0]
    while True:
        try:
            results = await send_due(config, store, only=channel.id)
        except Exception as exc:  # a bug here must not stop the service: one line, and a retry
            log.debug("brief for %s failed", channel.id, exc_info=True)
            results = [Drained(channel.id, errors=[f"{channel.id}: the brief failed: {describe(exc)}"])]
        report(results)
        if any(r.errors and not r.briefs for r in results):
            await asyncio.sleep(wait)
            wait = min(wait * 2, RETRY[1])
            continue
        wait = RETRY[0]
        now = utcnow()
        await asyncio.sleep(min((next_time(channel.brief, now) - now).total_seconds(), 3600.0))
