"""The event-loop stall figures of ``check --stats``: a held-up loop shows as late by at least as long, and
only the loop's own work counts as busy."""

from __future__ import annotations

import asyncio
import time

from bot.loopwatch import LoopWatch


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_a_held_up_loop_is_measured_and_its_own_work_told_apart():
    async def go() -> LoopWatch:
        watch = LoopWatch(interval=0.005)
        task = asyncio.create_task(watch.run())
        await asyncio.sleep(0.05)
        time.sleep(0.2)  # held up without working, as a process waiting for a core
        await asyncio.sleep(0.05)
        _spin(0.15)  # the loop's own work, as a page parsed on the loop would be
        await asyncio.sleep(0.05)
        task.cancel()
        return watch

    watch = asyncio.run(go())
    assert watch.worst_ms() >= 190  # late by the whole hold-up (more on a busy machine), never less
    assert watch.busiest_ms() >= 145
    idle_lags = [lag for lag, busy in zip(watch.lags, watch.busy, strict=True) if busy < 0.1]
    assert max(idle_lags) >= 0.19  # the sleep: a tick late by it, without the loop being busy
    assert watch.percentile_ms(0.5) <= watch.worst_ms()


def test_nothing_measured_is_zero():
    watch = LoopWatch()
    assert watch.worst_ms() == watch.busiest_ms() == watch.percentile_ms(0.99) == 0.0
