"""When each source is polled: its interval, the backoff after failures, the jitter, and the first polls.

A source's interval follows its rhythm unless the user fixed one (``every``), as Miniflux's entry-frequency
scheduler does: the mean gap between its last items (up to ``RECENT``, of the last ``WINDOW``), or the time
since its newest item when that is longer (a source that went quiet slows down), halved so that a new item
waits half a gap on average, within ``min_every`` (1 min) and ``max_every`` (2 h):

    interval = clamp(max(mean gap of the last 10 items, time since the newest) / 2, min_every, max_every)

A burst (``BURST`` new items or more in one poll) polls again after ``min_every``. The busiest tenth of the
sources (by items in the last week, at least ``BUSY_LEAST``; ``busiest``, ranked every 10 min) are read at least
every ``BUSY_EVERY`` (100 s): halving the gap reads a source that posts every 5 minutes every 2.5 minutes, and
news waits up to that long; 100 s keeps their p95 under 2 minutes (bench/schedule_week.py), for the requests
the other 90% no longer make. A source with no dated item yet is polled every ``START_EVERY`` (10 min) until
it has one: never hours (miniflux#2166). Then the server's
word: a feed fresh for N seconds (Cache-Control max-age, Expires) is not asked again sooner, up to
``max_every``. Jitter is ±10% of the interval itself (never one global delay: changedetection.io#2355), never
below the server's freshness or ``SHORTEST`` (30 s between two requests for one source, unless the user set a
shorter ``min_every``). Failures back off.

The service's scheduler (bot/service.py) asks these; ``/wirewatch sources`` shows the interval and its reason.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import START_EVERY, Config, Source

MAX_BACKOFF = 6 * 3600.0
GAP = 1.0  # at most this many seconds between two first polls that are due at start
RECENT = 10  # items whose gaps give a source's rhythm
WINDOW = 7 * 86400.0  # ... published within this long
BURST = 3  # new items in one poll that make the next poll come at min_every
SHORTEST = 30.0  # never two requests for one source closer than this
BUSY_SHARE = 0.1  # the busiest tenth of the sources ...
BUSY_LEAST = 14  # ... with at least two items a day ...
BUSY_EVERY = 100.0  # ... are read at least this often


@dataclass(frozen=True, slots=True)
class Cadence:
    """A source's interval and why: shown by ``/wirewatch sources`` and ``wirewatch sources``."""

    seconds: float
    why: str
    floor: float = SHORTEST  # jitter never goes below this (the server's freshness)


def busiest(config: Config, counts: dict[str, int]) -> set[str]:
    """The busiest tenth of the adaptive sources by their items published in the last week (``counts``), each
    with at least ``BUSY_LEAST``: a tenth at most, whatever the ties, so that the requests stay bounded."""
    adaptive = [s.name for s in config.sources if not config.fixed_interval(s)]
    ranked = sorted(adaptive, key=lambda name: -counts.get(name, 0))[: max(1, round(len(adaptive) * BUSY_SHARE))]
    return {name for name in ranked if counts.get(name, 0) >= BUSY_LEAST}


def cadence(config: Config, source: Source, times: list[datetime], new: int, fresh_for: float | None,
            now: datetime, busy: bool = False) -> Cadence:  # fmt: skip
    """The interval after a poll. ``times``: the source's items' publication times (else first-seen times),
    newest first; ``new``: items this poll found; ``fresh_for``: the response's max-age or Expires; ``busy``:
    the source is among the busiest tenth (``busiest``)."""
    fixed = config.fixed_interval(source)
    if fixed:
        return Cadence(fixed, "fixed", min(fixed, SHORTEST))
    low, high = config.interval_bounds(source)
    recent = [t for t in times if (now - t).total_seconds() <= WINDOW][:RECENT]
    if new >= BURST and len(times) > new:  # not the first poll, where every item is new
        seconds, why = low, f"burst: {new} new items"
    elif len(recent) >= 2:
        gap = (recent[0] - recent[-1]).total_seconds() / (len(recent) - 1)
        since = (now - recent[0]).total_seconds()
        seconds = min(max(max(gap, since) / 2, low), high)
        why = f"rate: an item every {duration(gap)}" if gap >= since else f"quiet: no item for {duration(since)}"
    elif recent:
        seconds = min(max((now - recent[0]).total_seconds() / 2, low, START_EVERY), high)
        why = "one item this week"
    elif times:
        seconds, why = high, "quiet: no item this week"
    else:
        seconds, why = min(max(START_EVERY, low), high), "new: no dated item yet"
    if busy and seconds > max(BUSY_EVERY, low):
        seconds, why = max(BUSY_EVERY, low), f"busy: among the busiest tenth ({why})"
    floor = min(SHORTEST, low)  # 30 s, unless the user set a shorter min_every
    if fresh_for and fresh_for > seconds:
        seconds = floor = min(fresh_for, high)
        why = f"max-age {duration(fresh_for)}"
    return Cadence(seconds, why, floor)


def next_delay(cadence_: Cadence, errors: int, rng: random.Random, retry_after: float | None = None) -> float:
    """Seconds to the next poll: the interval (backed off after failures) with ±10% jitter, never below the
    cadence's floor nor before a Retry-After (capped at a day)."""
    delay = max(jittered(backoff(cadence_.seconds, errors), rng), cadence_.floor)
    if retry_after:
        delay = max(delay, min(retry_after, 86400.0))
    return delay


def duration(seconds: float) -> str:
    """10m, 2h, 1d12h: an interval as the config writes it; to the minute from an hour up, to the hour from a day."""
    step = 3600 if seconds >= 86400 else 60 if seconds >= 3600 else 1
    out, left = "", round(seconds / step) * step
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            out, left = out + f"{left // size}{unit}", left % size
    return out or "0s"


def backoff(interval: float, errors: int) -> float:
    """Seconds until the next poll of a source that failed ``errors`` times in a row."""
    if errors <= 0:
        return interval
    return min(interval * 2 ** min(errors, 16), max(interval, MAX_BACKOFF))


def first_runs(config: Config, last_polls: dict[str, str | None], now: datetime,
               planned: dict[str, str | None] | None = None) -> dict[str, datetime]:  # fmt: skip
    """When each source polls first: where its schedule left off before a restart (the next poll the scheduler
    saved, or the last poll plus a fixed interval); what is due now one after the other, ``min_every``/N
    apart for adaptive sources and interval/N for fixed ones (at most ``GAP``): a start never fires every
    source at once, and a busy source is read within a minute of the start (1,000 sources: 0.06 s apart)."""
    due: list[Source] = []
    runs: dict[str, datetime] = {}
    for source in config.sources:
        last, saved = last_polls.get(source.name), (planned or {}).get(source.name)
        fixed = config.fixed_interval(source)
        if saved and not fixed:
            nxt = min(datetime.fromisoformat(saved), now + timedelta(seconds=config.max_every))
        elif last:
            nxt = datetime.fromisoformat(last) + timedelta(seconds=config.interval(source))
        else:
            nxt = now
        if nxt > now:
            runs[source.name] = nxt
        else:
            due.append(source)
    offset = 0.0
    for source in due:
        runs[source.name] = now + timedelta(seconds=offset)
        spread = config.fixed_interval(source) or config.interval_bounds(source)[0]
        offset += min(spread / len(due), GAP)
    return runs


def jittered(seconds: float, rng: random.Random) -> float:
    """An interval with ±10% jitter: sources that started together drift apart instead of firing together."""
    return seconds * rng.uniform(0.9, 1.1)
