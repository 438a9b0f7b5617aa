"""One cycle over every source, as ``wirewatch check`` and ``wirewatch demo`` run it."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from bot.config import Config
from bot.console import clean, print_alerts, print_joined
from bot.errors import WirewatchError
from bot.fetch import FetchStats
from bot.loopwatch import LoopWatch
from bot.models import Alert, PollResult
from bot.poll.pipeline import running
from bot.store import Store, queries
from bot.store.db import writable


@dataclass(slots=True)
class CycleStats:
    """What ``check --stats`` prints: the cycle's cost, for benchmarks and for sizing a machine."""

    seconds: float = 0.0
    sources: int = 0
    fetched: FetchStats = field(default_factory=FetchStats)
    loop_stall_max_ms: float = 0.0
    loop_stall_p99_ms: float = 0.0
    loop_busy_max_ms: float = 0.0  # of the worst stall, the part spent in the loop's own work
    pool_busy_seconds: float = 0.0  # time with a task in the worker pool
    pool_full_share: float = 0.0  # of it, the share with a task for every worker (under 1: the pool went hungry)
    pages_waiting_max: int = 0  # the most pages waiting to be read at once (``workers: auto`` starts the pool at 100)
    writer_backlog_max: int = 0  # the most articles read and waiting for the SQLite writer (bot/poll/writer.py)
    writer_waits: int = 0  # times an article's reading waited for the writer's backlog to go down
    pages_cheap: int = 0  # article pages no alert could come from, read by our rules alone (bot/prefilter.py)
    pages_accurate: int = 0  # ... and those read by the three readers
    ms_per_cheap_page: float = 0.0  # CPU per page, all of its reading (parse, prefilter, extraction, matching)
    ms_per_accurate_page: float = 0.0

    def flat(self) -> dict:
        """One JSON object: the cycle's own figures and the fetch counters (without the per-status table)."""
        figures = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "fetched"}
        return figures | {f.name: getattr(self.fetched, f.name) for f in fields(FetchStats) if f.name != "by_status"}


async def cycle(
    config: Config,
    store: Store,
    on_done: Callable[[PollResult], None] | None = None,
    stats: CycleStats | None = None,
) -> list[PollResult]:
    watch = LoopWatch()
    watcher = asyncio.create_task(watch.run()) if stats is not None else None
    started = time.perf_counter()
    try:
        async with running(config, store) as pipeline:
            results = await pipeline.poll_all(on_done)
    finally:
        if watcher is not None:
            watcher.cancel()
    if stats is not None:
        stats.seconds, stats.sources = time.perf_counter() - started, len(results)
        stats.fetched = pipeline.fetcher.stats
        stats.loop_stall_max_ms, stats.loop_stall_p99_ms = watch.worst_ms(), watch.percentile_ms(0.99)
        stats.loop_busy_max_ms = watch.busiest_ms()
        pool = pipeline.workers
        stats.pool_busy_seconds = pool.active_seconds
        stats.pages_waiting_max = pool.most_planned
        stats.pool_full_share = pool.full_seconds / pool.active_seconds if pool.active_seconds else 0.0
        stats.writer_backlog_max, stats.writer_waits = pipeline.writer.most_backlog, pipeline.writer.waits
        tiers = pipeline.tiers
        stats.pages_cheap, stats.pages_accurate = tiers.cheap, tiers.accurate
        stats.ms_per_cheap_page = 1000 * tiers.cheap_seconds / tiers.cheap if tiers.cheap else 0.0
        stats.ms_per_accurate_page = 1000 * tiers.accurate_seconds / tiers.accurate if tiers.accurate else 0.0
    return results


def report(results: list[PollResult]) -> None:
    """One line per failed source (and per warning) on stderr: what, where, and why."""
    for result in results:
        if result.error:
            print(f"wirewatch: source {result.source!r} ({result.url}): {clean(result.error)}", file=sys.stderr)
        for warning in result.warnings:
            print(f"wirewatch: source {result.source!r}: warning: {clean(warning)}", file=sys.stderr)


def run_check(config: Config, as_json: bool = False, with_stats: bool = False, links: bool = False) -> int:
    """``wirewatch check``: exit 0 whatever the sources did; their failures are reported on stderr."""
    stats = CycleStats() if with_stats else None
    run_check_with(config, as_json, stats, links)
    if stats is not None:
        print(f"wirewatch: cycle stats: {json.dumps(stats.flat())}", file=sys.stderr)
    return 0


def run_check_with(config: Config, as_json: bool = False, stats: CycleStats | None = None,
                   links: bool = False) -> list[PollResult]:  # fmt: skip
    """``links`` (with ``as_json``): a line ``{"type": "also_reported", ...}`` for each report that joined a story
    alerted in an earlier cycle (a copy, or the event in another language); off by default, since the contract's
    ``--json`` is one line per new alert and nothing else."""
    store = Store.open(config.database_path)
    unwritable = writable(config.database_path)
    if unwritable:  # before polling, not after every source was read for nothing
        store.close()
        raise WirewatchError(f"{config.database_path}: the database cannot be written ({unwritable})")
    try:
        results = _with_progress(config, store, show=sys.stderr.isatty() and not as_json, stats=stats)
        alerts: list[Alert] = [alert for result in results for alert in result.alerts]
        for alert in alerts:  # the copies that arrived in the same cycle, from any source
            alert.also = queries.also(store, alert.story_id, alert.article_id) if alert.story_id else []
        joined = _joined_earlier_stories(store, results, {a.story_id for a in alerts})
        drained = deliver(config, store)
    finally:
        store.close()
    report(results)
    if drained:
        from bot.channels import report as report_delivery

        report_delivery(drained)
    print_alerts(alerts, as_json=as_json)
    if joined and not as_json:
        print_joined(joined)
    elif joined and links:  # one line of its own kind per report joining a story alerted before
        for item in joined:
            print(json.dumps({"type": "also_reported", **item}, ensure_ascii=False), flush=True)
    if not as_json:
        failed = sum(1 for r in results if r.error)
        unchanged = sum(1 for r in results if r.not_modified)
        new = sum(r.new_articles for r in results)
        print(
            f"{len(results)} sources polled: {new} new articles, {unchanged} unchanged, {failed} failed.",
            file=sys.stderr,
        )
    return results


def deliver(config: Config, store: Store) -> list:
    """The outbox of every configured chat channel drained once (nothing to do without channels)."""
    if not config.channels:
        return []
    from bot.brief import send_due
    from bot.channels import drain_all
    from bot.chat.sender import Policy

    # a one-shot command retries briefly (0.5 s, then 1 s); what still fails waits in the outbox for the next run
    policy = Policy(tries=3, backoff=0.5, max_wait=120)

    async def drain() -> list:
        return await drain_all(config, store, policy) + await send_due(config, store, policy=policy)

    return asyncio.run(drain())


def _joined_earlier_stories(store: Store, results: list[PollResult], alerted_now: set) -> list[dict]:
    """Republications of stories alerted in an earlier cycle: no new alert, but worth a line."""
    if not any(result.joined for result in results):
        return []
    out = []
    for result in results:
        for story_id, source, url in result.joined:
            if story_id in alerted_now:
                continue
            row = queries.story(store, story_id, members=False)
            if row and row["keywords"]:
                out.append({"story": story_id, "title": row["title"], "source": source, "url": url,
                            "alert_url": row["url"], "lang": queries.language_of(store, story_id, url)})  # fmt: skip
    return out


def _with_progress(config: Config, store: Store, show: bool, stats: CycleStats | None = None) -> list[PollResult]:
    if not show:
        return asyncio.run(cycle(config, store, stats=stats))
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("polling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("", total=len(config.sources))

        def done(result: PollResult) -> None:
            progress.update(task, advance=1, description=clean(result.source))

        return asyncio.run(cycle(config, store, done, stats))
