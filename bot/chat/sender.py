"""Draining one channel's outbox: pace, retry, digest, thread, and never the same alert twice.

A chat channel (bot/slack/post.py, bot/matrix/post.py) renders and posts; this module decides what to send
and when, the same for every chat, from what each message carries (``Message.event`` and ``ids``):

- muted groups first: a delivery whose groups are all muted in the channel is set aside (``muted``);
- the crash check: a row whose ``attempts`` is above 0 may have been posted before a crash or a lost
  answer, so the channel is searched for a message carrying its id before it is posted again;
- more pending alerts than ``digest_after``: one digest (a message per 20 alerts) instead of a flood;
- messages at the channel's pace (``Pace``: one a second, bursts of three, Slack's documented limit);
- a rate limit waits its ``Retry-After``; a network error or 5xx retries with capped exponential backoff,
  then leaves the row pending for the next drain; a refused message fails alone; a channel that is gone
  fails the channel's rows, with the reason, until ``wirewatch redeliver``; a refused token leaves them
  pending, with the reason, until the token works again (``Drained.problem`` tells the service's sender to
  wait: bot/chat/supervise.py);
- follow-ups ("also reported by") as one reply per story in the thread of the story's alert.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.chat.protocol import EVENT_ALERT, EVENT_BRIEF, EVENT_FOLLOWUP, Chat, Message
from bot.errors import DeliveryError
from bot.store import Store, outbox

Sleep = Callable[[float], Awaitable[Any]]


@dataclass(slots=True)
class Policy:
    tries: int = 4  # posts of one message that fail for a passing reason before the drain leaves it pending
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    max_backoff: float = 30.0
    max_wait: float = 300.0  # rate-limit waiting one drain accepts before it leaves the rest for the next
    rate: float = 1.0  # messages a second, per channel
    burst: int = 3


class Pace:
    """A token bucket: ``rate`` messages a second on average, ``burst`` at once after a quiet spell."""

    def __init__(self, rate: float, burst: int, sleep: Sleep = asyncio.sleep, clock=time.monotonic) -> None:
        self.rate, self.burst, self.sleep, self.clock = rate, burst, sleep, clock
        self.tokens = float(burst)
        self.last = clock()

    async def wait(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            await self.sleep((1 - self.tokens) / self.rate)
            self.tokens, self.last = 1.0, self.clock()
        self.tokens -= 1


@dataclass(slots=True)
class Drained:
    channel: str
    sent: int = 0  # alerts delivered (a digest counts each of its alerts)
    already: int = 0  # found in the channel by the crash check: posted before, recorded now
    followups: int = 0
    briefs: int = 0  # the day's brief, posted (or found posted by the crash check)
    failed: int = 0
    muted: int = 0
    left: int = 0  # still pending: to be tried by the next drain
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds from each sent alert's creation to its receipt
    problem: DeliveryError | None = None  # what stopped the drain (a passing failure, a gone channel, a token)


def _window(rows) -> str:
    """The oldest time a message for ``rows`` can have been posted: the crash check looks no further back."""
    return outbox.since(min((row.created or "" for row in rows), default="") or None)


class _Stop(Exception):
    """The channel cannot take more now (passing failures used up, or it failed for good)."""


class Sender:
    def __init__(self, store: Store, chat: Chat, digest_after: int = 10, policy: Policy | None = None,
                 sleep: Sleep = asyncio.sleep) -> None:  # fmt: skip
        self.store, self.chat, self.digest_after = store, chat, digest_after
        self.policy = policy or Policy()
        self.sleep = sleep
        self.pace = Pace(self.policy.rate, self.policy.burst, sleep)
        self.waited = 0.0

    async def drain(self) -> Drained:
        result = Drained(self.chat.id)
        try:
            await self._alerts(result)
            await self._followups(result)
        except _Stop:
            pass
        result.left = len(outbox.pending_deliveries(self.store, self.chat.id))
        return result

    async def brief(self, message: Message, row: outbox.Pending) -> Drained:
        """The day's brief (bot/brief.py), its row claimed: found by the crash check if tried before, else posted;
        paced, retried and failed as an alert is."""
        result = Drained(self.chat.id)
        try:
            found = await self._recover(EVENT_BRIEF, "brief_ids", "briefs", {row.id: row}, result)
            if found or await self._send(message, "briefs", [row], EVENT_BRIEF, "brief_ids", result) is not None:
                result.briefs = 1
        except _Stop:
            pass
        return result

    # ------------------------------------------------------------------------------------------ alerts

    async def _alerts(self, result: Drained) -> None:
        rows = outbox.pending_deliveries(self.store, self.chat.id)
        if not rows:
            return
        alerts = outbox.alerts(self.store, [alert_id for _, alert_id in rows])
        muted = outbox.muted(self.store, self.chat.id)
        silenced = [row.id for row, alert_id in rows if muted and set(alerts[alert_id].keywords) <= muted.keys()]
        outbox.mark_muted(self.store, silenced)
        result.muted += len(silenced)
        rows = [(row, alert_id) for row, alert_id in rows if row.id not in silenced]
        by_alert = {alert_id: row for row, alert_id in rows}
        result.already += await self._recover(EVENT_ALERT, "alert_ids", "deliveries", by_alert, result)
        todo = [alerts[alert_id] for alert_id in by_alert]
        if len(todo) > self.digest_after:
            messages = self.chat.render_digest(todo)
            groups = [[by_alert[i] for i in m.ids] for m in messages]
        else:
            messages = [self.chat.render_alert(alert) for alert in todo]
            groups = [[by_alert[alert.id]] for alert in todo]
        for message, group in zip(messages, groups, strict=True):
            receipt = await self._send(message, "deliveries", group, EVENT_ALERT, "alert_ids", result)
            if receipt is not None:
                result.sent += len(group)
                result.latencies += [outbox.age(row.created) for row in group]
                for alert_id in message.ids:
                    covered = outbox.covered_followups(self.store, self.chat.id, alerts[alert_id])
                    outbox.mark_sent(self.store, "followups", covered, receipt)  # shown in the alert itself

    async def _recover(self, event: str, key: str, table: str, by_id: dict[int, outbox.Pending], result: Drained,
                       thread: str | None = None) -> int:  # fmt: skip
        """The crash check: rows tried before (attempts > 0) that the channel already shows are marked sent."""
        tried = {i: row for i, row in by_id.items() if row.attempts > 0}
        if not tried:
            return 0
        try:
            found = await self.chat.find(event, key, set(tried), _window(tried.values()), thread)
        except DeliveryError as exc:
            await self._failure(exc, [row.id for row in tried.values()], table, result)
            raise _Stop from exc
        for item, receipt in found.items():
            outbox.mark_sent(self.store, table, [tried[item].id], receipt)
            del by_id[item]
        return len(found)

    async def _send(self, message: Message, table: str, rows: list[outbox.Pending], event: str, key: str,
                    result: Drained, thread: str | None = None) -> str | None:  # fmt: skip
        """Post ``message`` for ``rows``; their receipt, or None when they failed or stay pending."""
        ids = [row.id for row in rows]
        carried = set(message.ids)
        delay = self.policy.backoff
        passing = 0
        while True:
            await self.pace.wait()
            outbox.mark_attempt(self.store, table, ids)  # before the post: a crash after it is detectable
            try:
                receipt = await self.chat.post(message, thread)
            except DeliveryError as exc:
                if exc.scope == "rate" and self.waited + (exc.retry_after or 1) <= self.policy.max_wait:
                    self.waited += exc.retry_after or 1.0
                    await self.sleep(exc.retry_after or 1.0)
                elif exc.scope == "transient" and passing + 1 < self.policy.tries:
                    passing += 1
                    outbox.mark_error(self.store, table, ids, str(exc))
                    await self.sleep(delay)
                    delay = min(delay * 2, self.policy.max_backoff)
                else:
                    await self._failure(exc, ids, table, result)
                    if exc.scope == "message":
                        return None
                    raise _Stop from exc
                try:  # the failed post may have landed: look before posting again
                    found = await self.chat.find(event, key, carried, _window(rows), thread)
                except DeliveryError as missed:  # unknown whether it landed: never guess, try next drain
                    scope = missed.scope if missed.scope in ("token", "channel") else "transient"
                    await self._failure(DeliveryError(f"{exc}; then cannot look in the channel: {missed}", scope),
                                        ids, table, result)  # fmt: skip
                    raise _Stop from missed
                if found.keys() >= carried:
                    receipt = next(iter(found.values()))
                    outbox.mark_sent(self.store, table, ids, receipt)
                    return receipt
                continue
            outbox.mark_sent(self.store, table, ids, receipt)
            return receipt

    async def _failure(self, exc: DeliveryError, ids: list[int], table: str, result: Drained) -> None:
        reason = str(exc)
        if exc.scope != "message":
            result.problem = exc
        if exc.scope == "channel" and table == "briefs":
            outbox.mark_error(self.store, table, ids, reason)  # tried again, with the alerts, once it is fixed
            result.errors.append(f"{self.chat.id}: {reason}: the brief was not posted")
        elif exc.scope == "channel":
            result.failed += outbox.fail_channel(self.store, self.chat.id, reason)
            result.errors.append(f"{self.chat.id}: {reason}: its alerts are kept as failed; "
                                 f"run `wirewatch redeliver {self.chat.id}` once it is fixed")  # fmt: skip
        elif exc.scope == "token":
            outbox.mark_error(self.store, table, ids, reason)
            result.errors.append(f"{self.chat.id}: the token was refused ({reason}); the alerts stay in the outbox "
                                 "until it works again")  # fmt: skip
        elif exc.scope == "message":
            outbox.mark_failed(self.store, table, ids, reason)
            result.failed += len(ids) if table == "deliveries" else 0
            result.errors.append(f"{self.chat.id}: a message was refused: {reason}")
        else:
            outbox.mark_error(self.store, table, ids, reason)
            result.errors.append(f"{self.chat.id}: {reason}; the alerts stay in the outbox for the next try")

    # ------------------------------------------------------------------------------------------ follow-ups

    async def _followups(self, result: Drained) -> None:
        for story_id, items in outbox.pending_followups(self.store, self.chat.id).items():
            thread, alert_pending = outbox.thread_of(self.store, self.chat.id, story_id)
            ids = [row.id for row, _ in items]
            if thread is None:
                if not alert_pending:  # the alert failed or was muted here: no thread to reply in
                    outbox.mark_failed(self.store, "followups", ids, "the story's alert was not delivered here")
                continue
            by_id = {row.id: row for row, _ in items}
            await self._recover(EVENT_FOLLOWUP, "followup_ids", "followups", by_id, result, thread)
            if not by_id:
                continue
            sightings = [sighting for row, sighting in items if row.id in by_id]
            message = self.chat.render_followup(sightings, list(by_id))
            if await self._send(message, "followups", list(by_id.values()), EVENT_FOLLOWUP, "followup_ids",
                                result, thread) is not None:  # fmt: skip
                result.followups += 1
