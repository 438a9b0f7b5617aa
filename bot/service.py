"""``wirewatch run``: every source on its own interval (APScheduler), until SIGINT/SIGTERM.

One Fetcher (one connection pool) and one Store serve every job. A source that failed is retried with a
capped exponential backoff instead of at its normal interval, so a dead site is not hammered. Polling starts
first and never waits on a chat: each chat listener (Slack's Socket Mode or HTTP mode, Matrix's sync) and each
channel's sender (its outbox, drained at start, after every poll that raised alerts and every 30 s, on a
database connection of its own) is a task of its own that restarts itself with backoff (bot/chat/supervise.py).
SIGTERM stops it all within 35 s: polls in flight get 25 s to finish while the chat tasks are cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import random
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.brief import brief_forever
from bot.channels import listeners, send_forever
from bot.channels import report as report_delivery
from bot.chat.link import Link
from bot.chat.supervise import supervise
from bot.check import report
from bot.config import Config, Source
from bot.console import print_alerts
from bot.poll.pipeline import Pipeline, running
from bot.schedule import WINDOW, busiest, cadence, first_runs, next_delay
from bot.store import Store

log = logging.getLogger(__name__)


def run_service(config: Config, overrides: dict | None = None) -> int:
    """``overrides``: what the command line set over the file (database, metrics), kept across reloads."""
    asyncio.run(_serve(config, overrides or {}))
    return 0


def pid_file(config: Config) -> Path:
    """Where ``run`` writes its process id, for ``wirewatch reload``: beside the database."""
    return config.database_path.with_name(config.database_path.name + ".pid")


async def _serve(config: Config, overrides: dict) -> None:
    """Run until SIGINT/SIGTERM. SIGHUP (``wirewatch reload``) re-reads the config: a bad one is reported
    and the service goes on as it was; a good one replaces the sources, groups, channels and listeners
    without a restart (each source resumes its schedule where it was)."""
    loop = asyncio.get_running_loop()
    exiting = asyncio.Event()
    pid = pid_file(config)
    pid.parent.mkdir(parents=True, exist_ok=True)
    pid.write_text(str(os.getpid()))
    try:
        while True:
            stop, reload = asyncio.Event(), asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, _set_all, exiting, stop)
            loop.add_signal_handler(signal.SIGHUP, _set_all, reload, stop)
            await _serve_once(config, stop)
            if exiting.is_set() or not reload.is_set():
                break
            config = _reloaded(config, overrides)
    finally:
        with contextlib.suppress(OSError):
            pid.unlink()
    print("wirewatch: stopped.", file=sys.stderr)


async def _watch(config: Config, pipeline: Pipeline, name: str) -> None:
    """Tell the admins' channel once when a source has been down too long, and once when it is back."""
    from bot import downtime
    from bot.channels import notify

    streak = await pipeline.write(pipeline.store.streak, name)
    what = downtime.due(streak, config.source_down_after)
    if what is None:
        return
    body = downtime.text(name, streak, what)
    store = Store.open(config.database_path)  # its own connection: the writer thread owns the pipeline's
    try:
        posted = await notify(config, store, body)
    finally:
        store.close()
    if posted:
        await pipeline.write(pipeline.store.mark_notified, name, what == "down")


def _set_all(*events: asyncio.Event) -> None:
    for event in events:
        event.set()


def _reloaded(config: Config, overrides: dict) -> Config:
    from bot.config import load
    from bot.errors import ConfigError

    try:
        new = load(config.path)
    except ConfigError as exc:
        print(f"wirewatch: reload: {exc}; still running on the previous config", file=sys.stderr, flush=True)
        return config
    new = new.model_copy(update=overrides) if overrides else new
    print(f"wirewatch: reloaded {new.path}: {len(new.sources)} sources, {len(new.keywords)} keyword groups, "
          f"{len(new.channels)} channels", file=sys.stderr, flush=True)  # fmt: skip
    return new


async def _serve_once(config: Config, stop: asyncio.Event) -> None:
    """The database and the scheduler first (polling starts at once), /healthz and /metrics, then each chat
    listener and each channel's sender as a supervised task of its own: none of them is waited for, and none of
    them failing stops the polls (bot/chat/supervise.py)."""
    store = Store.open(config.database_path)
    outbox = Store.open(config.database_path) if config.channels else None
    links: list[Link] = []
    wakes: list[asyncio.Event] = []
    tasks: list[asyncio.Task] = []
    try:
        async with (
            running(config, store, worker_idle=WORKER_IDLE) as pipeline,
            _health(config, lambda: links) as health,
        ):
            for link, run in listeners(config):
                links.append(link)
                if run is not None:
                    tasks.append(asyncio.create_task(supervise(link, run), name=f"listener {link.name}"))
            if outbox is not None:
                for channel in config.channels:
                    link, wake = Link(channel.id), asyncio.Event()
                    links.append(link)
                    wakes.append(wake)
                    drained = functools.partial(_drained, health)
                    sender = send_forever(config, outbox, channel, link, wake, drained)
                    tasks.append(asyncio.create_task(sender, name=f"sender {channel.id}"))
                    if channel.brief is not None:
                        brief = brief_forever(config, outbox, channel, report_delivery)
                        tasks.append(asyncio.create_task(brief, name=f"brief {channel.id}"))
            try:
                await _schedule(config, pipeline, stop, wakes, health, functools.partial(_cancel, tasks))
            finally:
                await _cancel(tasks)  # done already, unless _schedule itself failed
    finally:
        store.close()
        if outbox is not None:
            outbox.close()


def _drained(health, results) -> None:
    report_delivery(results, problems=False)  # the link says once when a chat fails and when it is back
    health.drained(results)


async def _cancel(tasks: list[asyncio.Task], within: float = 5.0) -> None:
    """Cancel the chat tasks and wait for them to end; one that does not end in time is named, not waited for."""
    tasks = [task for task in tasks if not task.done()]
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=within)
    for task in pending:
        print(f"wirewatch: stopping: {task.get_name()} did not end within {within:.0f} s; left behind",
              file=sys.stderr, flush=True)  # fmt: skip


@contextlib.asynccontextmanager
async def _health(config: Config, links):
    """/healthz and /metrics when ``metrics:`` is set; else a Health that nobody serves."""
    from bot.health import Health, serving

    health = Health(config.database_path, links)
    if config.metrics is None:
        yield health
        return
    async with serving(health, config.metrics.listen, stale_after=60.0):
        yield health


GRACE = 25.0  # seconds that polls in flight get to finish after SIGTERM (the chat tasks stop meanwhile)
LONGEST = 366 * 86400.0  # no timer is set further out than this (a later one would overflow the clock)
BACKLOG_EVERY = 5.0  # seconds between two batches of older articles keyed for search (bot/store/search.py)
WORKER_IDLE = 60.0  # the worker processes exit after this long without a page to read, and start again on one


async def _schedule(config: Config, pipeline: Pipeline, stop: asyncio.Event, wakes: list[asyncio.Event],
                    health, on_stop) -> None:  # fmt: skip
    """Every source on its own timer (its interval, or the backoff after failures) until ``stop``; then no
    new poll starts, those in flight get ``GRACE`` seconds to finish and be stored, and ``on_stop()`` (the chat
    tasks' end) runs meanwhile. Whatever a poll does, its source is scheduled again."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(timezone=UTC)
    inflight: set[asyncio.Task] = set()
    notices: dict[str, asyncio.Task] = {}  # per source, its admins' notice being posted (never awaited by a poll)
    rng = random.Random()
    busy: set[str] = set()  # the busiest tenth of the sources (bot/schedule.py), ranked again every 10 minutes,
    began = datetime.now(UTC)  # every minute in the first 10, as the first polls come in
    ranked = began - timedelta(days=1)

    async def poll(source: Source) -> None:
        task = asyncio.current_task()
        inflight.add(task)
        result = None
        try:
            pipeline.now = datetime.now(UTC)
            result = await pipeline.poll(source)
            await pipeline.flush()
            _after(result)
        except Exception:  # a bug in what follows a poll: logged, and the source is still scheduled again
            log.exception("after polling %s", source.name)
        finally:
            inflight.discard(task)
            if not stop.is_set():
                _again(source, result)

    def _after(result) -> None:
        report([result])
        health.polled(result)
        if result.alerts and not config.channels:
            print_alerts(result.alerts)
            sys.stdout.flush()
        if result.alerts or result.joined:
            for wake in wakes:
                wake.set()
        if config.alerts_admin_channel is not None and result.source not in notices:  # one at a time per source
            notice = notices[result.source] = asyncio.create_task(_watch(config, pipeline, result.source))
            notice.add_done_callback(lambda _, name=result.source: notices.pop(name, None))

    def _again(source: Source, result) -> None:
        """The source's next poll: its own interval (bot/schedule.py), backed off after failures, never before
        the site's Retry-After; saved with its reason for ``wirewatch sources``."""
        nonlocal busy, ranked
        now = datetime.now(UTC)
        if now - ranked > timedelta(minutes=1 if now - began < timedelta(minutes=10) else 10):
            busy = busiest(config, pipeline.reads.item_counts(now - timedelta(seconds=WINDOW), now))
            ranked = now
        times = pipeline.reads.item_times(source.name, now)
        new, fresh = (result.new_articles, result.fresh_for) if result is not None else (0, None)
        chosen = cadence(config, source, times, new, fresh, now, source.name in busy)
        retry = result.retry_after if result is not None else None
        delay = min(next_delay(chosen, pipeline.reads.errors(source.name), rng, retry), LONGEST)
        when = now + timedelta(seconds=delay)
        scheduler.add_job(poll, "date", run_date=when, args=[source], id=source.name, replace_existing=True,
                          misfire_grace_time=None)  # fmt: skip
        saving = asyncio.ensure_future(pipeline.write(pipeline.writer.save_cadence, source.name, chosen.seconds,
                                                      chosen.why, when))  # fmt: skip
        saving.add_done_callback(_saved)

    def _saved(task: asyncio.Future) -> None:
        if not task.cancelled() and task.exception() is not None:  # the writer closed at a stop: nothing lost
            log.debug("saving a source's interval: %s", task.exception())

    last = {state.name: state.last_poll for state in pipeline.reads.sources()}
    planned = {name: next_poll for name, (_, _, next_poll) in pipeline.reads.cadences().items()}
    runs = first_runs(config, last, datetime.now(UTC), planned)
    for source in config.sources:
        scheduler.add_job(poll, "date", run_date=runs[source.name], args=[source], id=source.name,
                          misfire_grace_time=None)  # fmt: skip
    scheduler.add_job(health.tick, "interval", seconds=15, id="heartbeat", next_run_time=datetime.now(UTC))

    async def prune() -> None:
        from bot.store.retention import prune as prune_store

        counts = await pipeline.write(prune_store, pipeline.store, config.keep)
        if counts["articles"]:
            log.info("retention: %s", counts)

    scheduler.add_job(prune, "interval", hours=24, id="retention",
                      next_run_time=datetime.now(UTC) + timedelta(minutes=5))  # fmt: skip

    async def index_backlog() -> None:
        from bot.store.search import index_backlog as index_some

        keyed = await pipeline.write(index_some, pipeline.store)
        if keyed:
            log.info("search: %d older articles indexed in every spelling", keyed)
        else:
            scheduler.remove_job("search-keys")

    scheduler.add_job(index_backlog, "interval", seconds=BACKLOG_EVERY, id="search-keys",
                      next_run_time=datetime.now(UTC) + timedelta(seconds=BACKLOG_EVERY))  # fmt: skip
    scheduler.start()
    log.info("wirewatch run: %d sources scheduled", len(config.sources))
    print(f"wirewatch: watching {len(config.sources)} sources; Ctrl-C to stop.", file=sys.stderr)
    try:
        await stop.wait()
    finally:
        scheduler.pause()  # nothing new starts
        for notice in list(notices.values()):
            notice.cancel()
        if inflight:
            print(f"wirewatch: stopping: letting {len(inflight)} poll(s) in flight finish (up to {GRACE:.0f} s)",
                  file=sys.stderr)  # fmt: skip
        await asyncio.gather(asyncio.wait(set(inflight), timeout=GRACE) if inflight else asyncio.sleep(0), on_stop())
        scheduler.shutdown(wait=False)
