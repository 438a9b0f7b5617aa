"""``/healthz`` and Prometheus ``/metrics`` for ``wirewatch run`` (``metrics.listen``; off by default).

/healthz answers 200 while the sources are being read (the scheduler has ticked recently, the database takes
a write) and 503 otherwise: what a container's liveness check asks. A chat that is down does not make it 503
(the service is alive and reading; its alerts wait in the outbox): the body's ``status`` is then
``degraded``, and ``problems`` and ``chats`` name it, with its state, since when and the last error.
/metrics is prometheus-client's text format; counters are fed by the service as polls and drains end,
gauges (outbox depth, deliveries by state) are read from the database at scrape time, so they are true
after a restart too.

Metrics (prefix ``wirewatch_``): ``polls_total{result}`` (ok, not_modified, error),
``poll_errors_total{kind}`` (timeout, http_4xx, http_5xx, connection, tls, dns, parse, other),
``not_modified_total``, ``articles_total`` (new articles stored), ``alerts_total`` (alerts raised),
``deliveries{state}`` (pending, sent, failed, muted), ``outbox_depth`` (pending deliveries),
``delivery_latency_seconds`` (alert raised -> chat receipt, histogram), ``event_loop_lag_seconds``
(how late a 1 s timer fired, last sample), ``chat_up{link}`` (each chat listener and channel sender).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path

from bot.chat.link import Link
from bot.errors import FETCH_KINDS
from bot.loopwatch import LoopWatch
from bot.store import outbox
from bot.store.db import writable

log = logging.getLogger(__name__)


class Health:
    """The service's vital signs, and the metrics registry they feed."""

    def __init__(self, database: Path, links: Callable[[], list[Link]] = list) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.database = database
        self.links = links  # the chat listeners' and senders' states (bot/chat/link.py)
        self.heartbeat = time.monotonic()
        self.registry = CollectorRegistry()
        self.polls = Counter("wirewatch_polls", "Polls of a source, by result", ["result"], registry=self.registry)
        self.errors = Counter("wirewatch_poll_errors", "Failed polls, by kind", ["kind"], registry=self.registry)
        self.not_modified = Counter("wirewatch_not_modified", "Polls answered 304", registry=self.registry)
        self.articles = Counter("wirewatch_articles", "New articles stored", registry=self.registry)
        self.alerts = Counter("wirewatch_alerts", "Alerts raised", registry=self.registry)
        buckets = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600)
        self.latency = Histogram("wirewatch_delivery_latency_seconds", "Alert raised to chat receipt",
                                 buckets=buckets, registry=self.registry)  # fmt: skip
        self.deliveries = Gauge("wirewatch_deliveries", "Deliveries by state", ["state"], registry=self.registry)
        self.depth = Gauge("wirewatch_outbox_depth", "Pending deliveries", registry=self.registry)
        self.lag = Gauge("wirewatch_event_loop_lag_seconds", "How late a 1 s timer fired", registry=self.registry)
        self.watch = LoopWatch(interval=1.0, keep=60)
        self.lag.set_function(self.loop_lag)
        up = "1 when a chat listener or channel sender is connected (or off), 0 while it retries or is refused"
        self.chat_up = Gauge("wirewatch_chat_up", up, ["link"], registry=self.registry)
        self.pending, self.oldest_pending = 0, None
        for result in ("ok", "not_modified", "error"):
            self.polls.labels(result)
        for state in ("pending", "sent", "failed", "muted"):
            self.deliveries.labels(state)
        for kind in (*FETCH_KINDS, "parse"):
            self.errors.labels(kind)

    def polled(self, result) -> None:
        """A PollResult, as the scheduler's job hands it over."""
        if result.error:
            self.polls.labels("error").inc()
            self.errors.labels(result.error_kind or "other").inc()
        elif result.not_modified:
            self.polls.labels("not_modified").inc()
            self.not_modified.inc()
        else:
            self.polls.labels("ok").inc()
        self.articles.inc(result.new_articles)
        self.alerts.inc(len(result.alerts))

    def drained(self, results) -> None:
        for result in results:
            for seconds in result.latencies:
                self.latency.observe(seconds)

    def _read_outbox(self) -> None:
        counts, self.oldest_pending = outbox.counts(self.database)
        self.pending = counts.get("pending", 0)
        for link in self.links():
            self.chat_up.labels(link.name).set(int(link.up))
        for state in ("pending", "sent", "failed", "muted"):
            self.deliveries.labels(state).set(counts.get(state, 0))
        self.depth.set(counts.get("pending", 0))

    def checks(self, stale_after: float) -> dict[str, str]:
        """Each problem of what keeps the sources read (the scheduler, the database); empty when polling is well."""
        problems = {}
        if time.monotonic() - self.heartbeat > stale_after:
            problems["scheduler"] = f"no tick for {time.monotonic() - self.heartbeat:.0f} s"
        unwritable = writable(self.database)
        if unwritable:
            problems["database"] = f"not writable: {unwritable}"
        return problems

    def report(self, stale_after: float) -> tuple[int, dict]:
        """/healthz: 503 when polling is in trouble; 200 otherwise, with any chat that is down named in the body as
        ``degraded`` (the service is alive while it reads sources; its alerts wait in the outbox)."""
        critical = self.checks(stale_after)
        chats = {link.name: link for link in self.links()}
        problems = critical | {name: text for name, link in chats.items() if (text := link.problem())}
        self._read_outbox()
        body = {
            "ok": not critical,
            "status": "failing" if critical else "degraded" if problems else "ok",
            "problems": problems,
            "chats": {name: link.to_json() for name, link in chats.items()},
            "outbox": {"pending": self.pending, "oldest_pending": self.oldest_pending},
        }
        return (503 if critical else 200), body

    def loop_lag(self) -> float:
        """The event loop's last lateness, as the one loop measure (bot/loopwatch.py) took it."""
        return self.watch.lags[-1] if self.watch.lags else 0.0

    def tick(self) -> None:
        """A scheduler job every 15 s: proof that the scheduler runs jobs."""
        self.heartbeat = time.monotonic()


@asynccontextmanager
async def serving(health: Health, listen: str, stale_after: float):
    """The two endpoints on ``listen`` (host:port), for the life of the block."""
    from aiohttp import web
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from bot.config import host_port

    async def healthz(request: web.Request) -> web.Response:
        status, body = await asyncio.to_thread(health.report, stale_after)
        return web.json_response(body, status=status, dumps=json.dumps)

    async def metrics(request: web.Request) -> web.Response:
        await asyncio.to_thread(health._read_outbox)
        payload = generate_latest(health.registry)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, *host_port(listen))
    await site.start()
    lagger = asyncio.create_task(health.watch.run())
    print(f"wirewatch: health and metrics at http://{listen}/healthz and /metrics", flush=True)
    try:
        yield health
    finally:
        lagger.cancel()
        await runner.cleanup()
