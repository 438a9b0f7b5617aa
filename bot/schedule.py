"""When each source is polled: its interval, the backoff after failures, the jitter, and the first polls.

The service's scheduler (bot/service.py) asks these; ``/wirewatch sources`` asks ``backoff`` too, to say when
a source is polled next.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bot.config import Config, Source

MAX_BACKOFF = 6 * 3600.0
GAP = 1.0  # at most this many seconds between two first polls that are due at start


def backoff(interval: float, errors: int) -> float:
    """Seconds until the next poll of a source that failed ``errors`` times in a row."""
    if errors <= 0:
        return interval
    return min(interval * 2 ** min(errors, 16), max(interval, MAX_BACKOFF))


def first_runs(config: Config, last_polls: dict[str, str | None], now: datetime) -> dict[str, datetime]:
    """When each source polls first: where its schedule left off before a restart; what is due now one
    after the other, interval/N apart (at most ``GAP``): a start (or a restart) never fires every source at
    once, and a small config still starts at once (1,000 sources at 10m: 0.6 s apart, 10 minutes in all)."""
    due: list[Source] = []
    runs: dict[str, datetime] = {}
    for source in config.sources:
        last = last_polls.get(source.name)
        if last:
            nxt = datetime.fromisoformat(last) + timedelta(seconds=config.interval(source))
            if nxt > now:
                runs[source.name] = nxt
                continue
        due.append(source)
    offset = 0.0
    for source in due:
        runs[source.name] = now + timedelta(seconds=offset)
        offset += min(config.interval(source) / len(due), GAP)
    return runs


def jittered(seconds: float, rng: random.Random) -> float:
    """An interval with ±10% jitter: sources that started together drift apart instead of firing together."""
    return seconds * rng.uniform(0.9, 1.1)
