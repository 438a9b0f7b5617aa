"""``wirewatch run``: every source on its own interval (APScheduler), until SIGINT/SIGTERM.

One Fetcher (one connection pool) and one Store serve every job. A source that failed is retried with a
capped exponential backoff instead of at its normal interval, so a dead site is not hammered. The
outbox is drained by one task, on its own database connection, at start (what a crash left) and after
every poll that raised alerts; the Slack listener (Socket Mode or HTTP) answers /wirewatch meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.check import report
from bot.config import Config, Source
from bot.console import print_alerts
from bot.poll.pipeline import Pipeline, running
from bot.schedule import backoff, first_runs, jittered
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
          f"{len(new.channels)} chat channels", file=sys.stderr, flush=True)  # fmt: skip
    return new


async def _serve_once(config: Config, stop: asyncio.Event) -> None:
    store = Store.open(config.database_path)
    outbox = Store.open(config.database_path) if config.channels else None
    wake = asyncio.Event()
    try:
        async with (
            running(config, store, worker_idle=WORKER_IDLE) as pipeline,
            _listening(config) as up,
            _health(config, up) as health,
        ):
            drainer = asyncio.create_task(_drain_forever(config, outbox, wake, health)) if outbox else None
            try:
                await _schedule(config, pipeline, stop, wake, health)
            finally:
                if drainer is not None:
                    drainer.cancel()
    finally:
        store.close()
        if outbox is not None:
            outbox.close()


@contextlib.asynccontextmanager
async def _listening(config: Config):
    """The chat listeners that the config sets up (Slack, Matrix), open for the service's life; yields
    name -> a callable saying whether that listener is connected."""
    up = {}
    async with contextlib.AsyncExitStack() as stack:
        if config.slack is not None:
            from bot.slack.listen import listening as slack

            up["slack"] = await stack.enter_async_context(slack(config))
        if config.matrix is not None:
            from bot.matrix.listen import listening as matrix

            up["matrix"] = await stack.enter_async_context(matrix(config))
        yield up


@contextlib.asynccontextmanager
async def _health(config: Config, listeners: dict):
    """/healthz and /metrics when ``metrics:`` is set; else a Health that nobody serves."""
    from bot.health import Health, serving

    health = Health(config.database_path, lambda: {name: check() for name, check in listeners.items()})
    if config.metrics is None:
        yield health
        return
    async with serving(health, config.metrics.listen, stale_after=60.0):
        yield health


async def _drain_forever(config: Config, store: Store, wake: asyncio.Event, health, every: float = 30.0) -> None:
    """Drain every channel's outbox now, then whenever a poll raised alerts, and every ``every`` seconds
    (retries of what a passing failure left pending)."""
    from bot.channels import drain_all
    from bot.channels import report as report_delivery

    while True:
        wake.clear()
        try:
            results = await drain_all(config, store)
            report_delivery(results)
            health.drained(results)
        except Exception:  # a bug in delivery must not stop polling; it is logged with its traceback
            log.exception("delivery failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), every)


GRACE = 30.0  # seconds that polls in flight get to finish after SIGTERM
WORKER_IDLE = 60.0  # the worker processes exit after this long without a page to read, and start again on one


async def _schedule(config: Config, pipeline: Pipeline, stop: asyncio.Event, wake: asyncio.Event, health) -> None:
    """Every source on its own timer (its interval, or the backoff after failures) until ``stop``; then no
    new poll starts, and those in flight get ``GRACE`` seconds to finish and be stored."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(timezone=UTC)
    inflight: set[asyncio.Task] = set()
    rng = random.Random()

    async def poll(source: Source) -> None:
        task = asyncio.current_task()
        inflight.add(task)
        try:
            pipeline.now = datetime.now(UTC)
            result = await pipeline.poll(source)
            await pipeline.flush()
        finally:
            inflight.discard(task)
        report([result])
        health.polled(result)
        if result.alerts and not config.channels:
            print_alerts(result.alerts)
            sys.stdout.flush()
        if result.alerts or result.joined:
            wake.set()
        if config.alerts_admin_channel is not None:
            await _watch(config, pipeline, source.name)
        if stop.is_set():
            return
        errors = pipeline.reads.errors(source.name)
        delay = jittered(backoff(config.interval(source), errors), rng)
        if result.retry_after:  # the site said when: never sooner (capped at a day against a nonsense value)
            delay = max(delay, min(result.retry_after, 86400.0))
        scheduler.add_job(poll, "date", run_date=datetime.now(UTC) + timedelta(seconds=delay),
                          args=[source], id=source.name, replace_existing=True,
                          misfire_grace_time=None)  # fmt: skip

    last = {state.name: state.last_poll for state in pipeline.reads.sources()}
    runs = first_runs(config, last, datetime.now(UTC))
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
    scheduler.start()
    log.info("wirewatch run: %d sources scheduled", len(config.sources))
    print(f"wirewatch: watching {len(config.sources)} sources; Ctrl-C to stop.", file=sys.stderr)
    try:
        await stop.wait()
    finally:
        scheduler.pause()  # nothing new starts
        if inflight:
            print(f"wirewatch: stopping: letting {len(inflight)} poll(s) in flight finish (up to {GRACE:.0f} s)",
                  file=sys.stderr)  # fmt: skip
            await asyncio.wait(set(inflight), timeout=GRACE)
        scheduler.shutdown(wait=False)
