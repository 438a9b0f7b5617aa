"""The event-loop stall figure of ``check --stats``: a block on the loop shows up as at least its length."""

from __future__ import annotations

import asyncio
import time

from bot.loopwatch import LoopWatch


def test_a_blocked_loop_is_measured():
    async def go() -> LoopWatch:
        watch = LoopWatch(interval=0.005)
        task = asyncio.create_task(watch.run())
        await asyncio.sleep(0.05)
        time.sleep(0.2)  # what a page parsed on the loop would do
        await asyncio.sleep(0.05)
        task.cancel()
        return watch

    watch = asyncio.run(go())
    assert watch.worst_ms() >= 190  # late by the whole block (or more on a busy machine), never less
    assert len(watch.lags) >= 3
    assert watch.percentile_ms(0.5) <= watch.worst_ms()


def test_nothing_measured_is_zero():
    assert LoopWatch().worst_ms() == 0.0 and LoopWatch().percentile_ms(0.99) == 0.0
