"""Each chat listener and each channel's sender as a task of its own that restarts itself: a chat that is
unreachable, slow or refusing us never stops the reading of sources, and is never hammered.

A failure of any kind (unreachable, DNS, TLS, 5xx, 429, a bug) is tried again after a capped exponential
backoff with full jitter (1 s, doubling, at most 5 min: the AWS Architecture Blog's "Exponential Backoff And
Jitter"); a refused token (401, ``invalid_auth``, ``M_UNKNOWN_TOKEN``) is tried again at the cap only, since
only a person can fix it, and said once. A connection that held for a while starts the backoff afresh.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

from bot.chat.link import Link
from bot.errors import DeliveryError

log = logging.getLogger(__name__)

FIRST = 1.0
CAP = 300.0
HELD = 60.0  # a connection up this long is a success: the next failure starts again from FIRST


class Backoff:
    def __init__(self, first: float = FIRST, cap: float = CAP, rng: random.Random | None = None) -> None:
        self.first, self.cap = first, cap
        self.rng = rng or random.Random()
        self.tries = 0

    def next(self, refused: bool = False) -> float:
        """Seconds to wait before the next try."""
        self.tries += 1
        if refused:
            return self.cap
        ceiling = min(self.cap, self.first * 2 ** (self.tries - 1))
        return max(self.first / 2, self.rng.uniform(0, ceiling))

    def reset(self) -> None:
        self.tries = 0


def refused(exc: BaseException) -> bool:
    return isinstance(exc, DeliveryError) and exc.scope == "token"


async def supervise(link: Link, run: Callable[[Link], Awaitable[None]], backoff: Backoff | None = None) -> None:
    """Run ``run(link)`` (which marks the link connected once it is, and returns or raises when the connection
    is lost) for ever, waiting ``backoff`` between tries; until cancelled."""
    backoff = backoff or Backoff()
    while True:
        started = time.monotonic()
        try:
            await run(link)
            error: BaseException = DeliveryError("the connection ended")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure is data: the link says what, and it is tried again
            error = exc
            if not isinstance(exc, DeliveryError):
                log.debug("%s failed", link.name, exc_info=True)
        if link.state == "connected" and time.monotonic() - started >= HELD:
            backoff.reset()
        wait = backoff.next(refused(error))
        link.failed(describe(error), wait, refused(error))
        await asyncio.sleep(wait)


def describe(exc: BaseException) -> str:
    """One line: a DeliveryError says what it is; anything else names its type (never a traceback)."""
    if isinstance(exc, DeliveryError):
        return str(exc)
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
