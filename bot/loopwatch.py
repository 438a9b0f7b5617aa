"""How long the event loop was blocked: the figure behind "the loop never blocks for more than 100 ms".

The loop runs the network and SQLite for every source at once; anything slow on it (a page parsed in the
main process, a long transaction) delays every download and timeout behind it. A callback scheduled every
``interval`` seconds runs late by exactly as long as the loop was busy, so its lateness, sampled for a
whole cycle, is the distribution of stalls.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass(slots=True)
class LoopWatch:
    interval: float = 0.01
    lags: list[float] = field(default_factory=list)  # seconds late, one per tick

    async def run(self) -> None:
        """Until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, loop.time() - due))

    def worst_ms(self) -> float:
        return max(self.lags, default=0.0) * 1000

    def percentile_ms(self, q: float) -> float:
        if not self.lags:
            return 0.0
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000
