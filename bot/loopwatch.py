"""How long the event loop was held up: the figure behind "the loop never blocks for more than 100 ms".

The loop runs the network and SQLite for every source at once; anything slow on it (a page parsed in the
main process, a long transaction) delays every download and timeout behind it. A callback scheduled every
``interval`` seconds runs late by as long as the loop was held up, so its lateness, sampled over a whole
cycle, is the distribution of stalls. Lateness also counts time the process was not given a core (a
first cycle keeps both cores busy with worker processes), so each tick also records the CPU time the
loop's own thread used meanwhile: that part is the loop's own work, the rest is waiting for the machine.

``check --stats`` keeps every tick of a cycle (a 10 ms timer); ``run``'s /metrics keeps the last minute of a
1 s timer (``keep``), and shows the last one.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class LoopWatch:
    interval: float = 0.01
    keep: int | None = None  # ticks kept (the newest); None: all
    lags: deque[float] = field(init=False)  # seconds late, one per tick
    busy: deque[float] = field(init=False)  # CPU seconds of the loop's thread during each tick

    def __post_init__(self) -> None:
        self.lags, self.busy = deque(maxlen=self.keep), deque(maxlen=self.keep)

    async def run(self) -> None:
        """Until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            due, cpu = loop.time() + self.interval, time.thread_time()
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, loop.time() - due))
            self.busy.append(time.thread_time() - cpu)

    def worst_ms(self) -> float:
        return max(self.lags, default=0.0) * 1000

    def busiest_ms(self) -> float:
        """The most CPU the loop's own work took between two ticks: its longest stall not caused by the
        machine (an upper bound: a tick can span several callbacks)."""
        return max(self.busy, default=0.0) * 1000

    def percentile_ms(self, q: float) -> float:
        if not self.lags:
            return 0.0
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000
