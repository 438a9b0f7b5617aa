"""A week of polls at 1,000 sources, in simulated time: each source's own interval (bot/schedule.py) against the
fixed 10-minute schedule it replaced. Requests, publication -> detection latency, empty polls.

Run: .venv/bin/python bench/schedule_week.py [--sources 1000] [--days 7] [--seed 1] [--max-age-share 0.1]
     [--warmup DAYS]

~20 s on 2 vCPUs with the defaults (~40 s with ``--warmup 7``), one process, no network, no sleeping.
Figures: bench/README.md.

Both schedulers are the bot's own functions, driven by an event queue (a heap of next-poll times):
``bot.schedule.first_runs`` places the first polls (nothing polled before), and after every poll
``bot.schedule.cadence`` and ``bot.schedule.next_delay`` (±10% jitter, floors, no failures) set the next one,
as bot/service.py's ``_again`` does. The fixed schedule is the same code with ``every: 10m`` in the config
(``cadence`` answers "fixed", 600 s, jittered to 540-660 s). ``times`` is what ``Store.item_times`` gives the
service: the 60 items first seen last, by publication time, newest first; ``new`` the items this poll found;
the busiest tenth is ranked every 10 minutes by ``bot.schedule.busiest``, as the service ranks it.

Publishing model (seeded; each source's times in its own local time, UTC+3 for 60% of sources, +2, +1, 0 and
-5 for the rest; the week starts on a Monday, 00:00 UTC):

- busy, 3% of sources: an item every 2-10 minutes on average (uniform per source), Poisson, with a day/night
  swing of ±60% (peak 14:00, trough 02:00 local), plus a burst a day;
- daily, 77%: 1-10 items a day (log-uniform per source), Poisson, daytime-weighted (07:00-22:00 local: 92% of
  items), plus a burst every 5 days on average;
- weekly or silent, 20%: 0.5-3 items a week (70% of them), daytime-weighted; the other 30% publish nothing
  this week, their last item 2-26 weeks old;
- a burst: 3-6 items within one minute (daytime-weighted), on top of the rate.

Every source has a past before the week (at least 2 days, ~25 items on average), so its first poll finds a
full feed. A feed lists its latest 20 items with their dates; a poll stores those not seen yet (an item that
fell out of the 20 before a poll is lost). No server max-age in the main scenario; a third scenario gives
``--max-age-share`` of the feeds (seeded) ``Cache-Control: max-age=600`` (``fresh_for=600``), which only the
adaptive schedule heeds (a fixed 10 minutes already waits that long).

``--warmup`` runs the bot for that many days before the measured ones (by default they start with its first
polls). Measured over the items published in the week (polls continue 4 hours past its end, so that every item's
first sighting is known; requests count only within the week): requests in total and per source and day by
class, the share of polls that found nothing, and poll time minus publication time at p50/p95/p99 (by item)
for all sources, for the busiest tenth of sources (by items published in the week) and for the busy class. The
latency is the scheduler's part only: fetching, the pipeline and chat delivery add a few seconds.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import math
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bot import config as config_module
from bot.config import Config
from bot.schedule import WINDOW, busiest, cadence, first_runs, next_delay

START = datetime(2026, 12, 7, tzinfo=UTC)  # a Monday, 00:00 UTC
DAY = 86400.0
FEED = 20  # items a feed lists
LIMIT = 60  # Store.item_times' limit
RANK_EVERY = 600.0  # bot/service.py ranks the busiest tenth this often
DRAIN = 4 * 3600.0  # polls go on this long past the week, so every item of the week is seen (or lost)
CLASSES = ("busy", "daily", "weekly")
OFFSETS = (3, 3, 3, 3, 3, 3, 2, 1, 0, -5)  # the sources' local time, hours from UTC
DAYTIME = (7, 22)  # local hours of full publishing for daily and weekly sources
NIGHT = 0.15  # ... and the weight of the other hours
KEYWORDS = [{"name": "Deir ez-Zor", "terms": ["Deir ez-Zor", "دير الزور"]}]


@dataclass(slots=True)
class Feed:
    kind: str
    pubs: list[float]  # publication times, seconds from START, ascending, the past before the week included
    week: int = 0  # items published within the week


@dataclass(slots=True)
class Run:
    name: str
    requests: list[int]
    empty: int = 0
    lost: int = 0  # items of the week that fell out of the feed's 20 before a poll
    latencies: list[list[float]] = field(default_factory=list)  # per source, seconds
    reasons: Counter = field(default_factory=Counter)  # the cadence's reason, by its first word


def busy_weight(offset: float):
    """Mean 1: ±60% around the day, peak at 14:00 local."""
    return lambda t: 1 + 0.6 * math.cos(2 * math.pi * ((t / 3600 + offset) % 24 - 14) / 24)


DAY_TOP = 24 / (DAYTIME[1] - DAYTIME[0] + NIGHT * (24 - DAYTIME[1] + DAYTIME[0]))  # day_weight's daytime value


def day_weight(offset: float):
    """Mean 1: ``DAY_TOP`` from 07:00 to 22:00 local, ``NIGHT`` of it otherwise."""
    return lambda t: DAY_TOP if DAYTIME[0] <= (t / 3600 + offset) % 24 < DAYTIME[1] else NIGHT * DAY_TOP


def poisson(rng: random.Random, per_day: float, weight, top: float, start: float, end: float) -> list[float]:
    """Times of a Poisson process of ``per_day`` on average, modulated by ``weight`` (mean 1, at most ``top``)."""
    out, t, rate = [], start, per_day * top / DAY
    while rate > 0:
        t += rng.expovariate(rate)
        if t >= end:
            break
        if rng.random() * top < weight(t):
            out.append(t)
    return out


def feeds(count: int, days: float, warmup: float, rng: random.Random) -> list[Feed]:
    """Each source's publication times, past and week, by the model in the docstring."""
    busy, weekly = round(count * 0.03), round(count * 0.20)
    kinds = ["busy"] * busy + ["weekly"] * weekly + ["daily"] * (count - busy - weekly)
    rng.shuffle(kinds)
    end, out = days * DAY, []
    for kind in kinds:
        offset = rng.choice(OFFSETS)
        daytime = day_weight(offset)
        if kind == "weekly" and rng.random() < 0.3:  # silent: its last items weeks or months old
            last, pubs = -(warmup + rng.uniform(14, 182)) * DAY, []
            for _ in range(FEED):
                pubs.append(last)
                last -= rng.uniform(3, 30) * DAY
            out.append(Feed(kind, sorted(pubs)))
            continue
        if kind == "busy":
            per_day, weight, top, bursts = DAY / (rng.uniform(2, 10) * 60), busy_weight(offset), 1.6, 1.0
        elif kind == "daily":
            per_day, weight, top, bursts = math.exp(rng.uniform(0, math.log(10))), daytime, DAY_TOP, 0.2
        else:
            per_day, weight, top, bursts = rng.uniform(0.5, 3) / 7, daytime, DAY_TOP, 0.0
        start = -(warmup + max(2, 25 / per_day)) * DAY
        pubs = poisson(rng, per_day, weight, top, start, end)
        for t0 in poisson(rng, bursts, daytime, DAY_TOP, start, end):
            pubs += [t0 + rng.uniform(0, 60) for _ in range(rng.randint(3, 6))]
        pubs = sorted(t for t in pubs if t < end)
        out.append(Feed(kind, pubs, sum(1 for t in pubs if t >= 0)))
    return out


def config_for(count: int, directory: Path, **top) -> Config:
    path = directory / f"wirewatch-{len(list(directory.iterdir()))}.yaml"
    sources = [{"name": f"s{i:04d}", "url": f"https://s{i:04d}.example/feed"} for i in range(count)]
    path.write_text(yaml.safe_dump({"keywords": KEYWORDS, "sources": sources, **top}, allow_unicode=True))
    return config_module.load(path, environ={})


def simulate(name: str, config: Config, sources: list[Feed], days: float, warmup: float,
             fresh: list[float | None], seed: int) -> Run:  # fmt: skip
    """One scheduler over the week: every poll of every source, in order of time."""
    rng, end = random.Random(seed), days * DAY
    run = Run(name, [0] * len(sources), latencies=[[] for _ in sources])
    first = first_runs(config, {}, START - timedelta(days=warmup))
    queue = [((first[source.name] - START).total_seconds(), i) for i, source in enumerate(config.sources)]
    heapq.heapify(queue)
    busy: set[str] = set()
    ranked = -math.inf
    seen = [0] * len(sources)  # per source: its items up to this index were in a feed it read (or lost)
    stored = [[] for _ in sources]  # per source: the stored items' publication times, as datetimes, ascending
    first_seen = [[] for _ in sources]  # ... and when each was first seen, seconds
    while queue and queue[0][0] < end + DRAIN:
        t, i = heapq.heappop(queue)
        feed, latencies = sources[i], run.latencies[i]
        listed = bisect.bisect_right(feed.pubs, t)
        top = max(seen[i], listed - FEED)
        run.lost += sum(1 for p in feed.pubs[seen[i] : top] if 0 <= p < end)
        for p in feed.pubs[top:listed]:
            if 0 <= p < end:
                latencies.append(t - p)
            stored[i].append(START + timedelta(seconds=p))
            first_seen[i].append(t)
        new, seen[i] = listed - top, listed
        if t - ranked > RANK_EVERY:  # the service ranks the busiest tenth every 10 minutes (Store.item_counts)
            counts = {config.sources[j].name: len(stored[j]) - bisect.bisect_left(stored[j], START + timedelta(
                seconds=t - WINDOW)) for j in range(len(sources))}  # fmt: skip
            busy, ranked = busiest(config, counts), t
        # Store.item_times: the newest LIMIT items by first sighting, newest by publication first
        times = stored[i][-LIMIT:][::-1]
        now = START + timedelta(seconds=t)
        chosen = cadence(config, config.sources[i], times, new, fresh[i], now, config.sources[i].name in busy)
        if 0 <= t < end:
            run.requests[i] += 1
            run.empty += new == 0
            run.reasons[
                "quiet: none this week" if chosen.why == "quiet: no item this week" else chosen.why.split(":")[0]
            ] += 1
        heapq.heappush(queue, (t + next_delay(chosen, 0, rng), i))
    return run


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, max(0, math.ceil(q / 100 * len(values)) - 1))] if values else float("nan")


def human(seconds: float) -> str:
    if seconds != seconds:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def table(runs: list[Run], sources: list[Feed], days: float) -> list[str]:
    tenth = sorted(range(len(sources)), key=lambda i: -sources[i].week)[: max(1, math.ceil(len(sources) / 10))]
    groups = {
        "all sources": range(len(sources)),
        "busiest tenth": tenth,
        "busy class": [i for i, s in enumerate(sources) if s.kind == "busy"],
    }
    count = Counter(s.kind for s in sources)
    rows: list[tuple[str, list[str]]] = []
    total = [sum(run.requests) for run in runs]
    rows.append(
        (
            f"requests in {days:g} days",
            [f"{n:,}" + (f" ({n / total[0]:.0%})" if k else "") for k, n in enumerate(total)],
        )
    )
    for kind in CLASSES:
        label = f"requests per source per day: {kind} ({count[kind]})"
        per = [sum(r.requests[i] for i, s in enumerate(sources) if s.kind == kind) / max(1, count[kind]) / days
               for r in runs]  # fmt: skip
        rows.append((label, [f"{v:.0f}" if v >= 10 else f"{v:.1f}" for v in per]))
    rows.append(("polls that found nothing", [f"{r.empty / max(1, sum(r.requests)):.1%}" for r in runs]))
    for label, members in groups.items():
        items = sum(sources[i].week for i in members)
        cells = []
        for run in runs:
            values = sorted(v for i in members for v in run.latencies[i])
            cells.append(" / ".join(human(pct(values, q)) for q in (50, 95, 99)))
        rows.append((f"latency p50 / p95 / p99: {label} ({len(members)} sources, {items:,} items)", cells))
    rows.append(("items lost (out of the feed's 20 before a poll)", [f"{r.lost}" for r in runs]))
    lines = ["| | " + " | ".join(r.name for r in runs) + " |", "| --- |" + " --- |" * len(runs)]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=0.0,
                        help="days run before the measured ones (0: they begin with the first polls)")  # fmt: skip
    parser.add_argument("--max-age-share", type=float, default=0.1,
                        help="share of feeds sending max-age=600 in a third scenario (0: none)")  # fmt: skip
    args = parser.parse_args()
    began = time.perf_counter()
    sources = feeds(args.sources, args.days, args.warmup, random.Random(args.seed))
    none: list[float | None] = [None] * args.sources
    pick = random.Random(args.seed + 1)
    capped = [600.0 if pick.random() < args.max_age_share else None for _ in range(args.sources)]
    with tempfile.TemporaryDirectory() as directory:
        fixed = config_for(args.sources, Path(directory), every="10m")
        adaptive = config_for(args.sources, Path(directory))
    runs = [
        simulate("fixed 10 min ±10%", fixed, sources, args.days, args.warmup, none, args.seed),
        simulate("adaptive (bot/schedule.py)", adaptive, sources, args.days, args.warmup, none, args.seed),
    ]
    if args.max_age_share > 0:
        name = f"adaptive, {sum(c is not None for c in capped)} feeds max-age=600"
        runs.append(simulate(name, adaptive, sources, args.days, args.warmup, capped, args.seed))
    begin = f"after {args.warmup:g} days of warm-up" if args.warmup else "from the first polls"
    print(f"{args.sources} sources, {args.days:g} days {begin}, seed {args.seed}; "
          f"{sum(s.week for s in sources):,} items published in the period\n")  # fmt: skip
    print("\n".join(table(runs, sources, args.days)))
    for run in runs[1:]:
        polls = sum(run.reasons.values())
        print(f"\n{run.name}, the cadence's reasons: "
              + ", ".join(f"{why} {n / polls:.1%}" for why, n in run.reasons.most_common()))  # fmt: skip
    print(f"\n({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
