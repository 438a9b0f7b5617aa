"""A chat connection's state, as ``/healthz``, ``/metrics`` and the log tell it: a listener (``slack``,
``matrix``: the connection commands come in on) or a channel's sender (``slack:#alerts``).

Its supervisor (bot/chat/supervise.py) moves it between the states; a change of state is one line on stderr,
never one per retry, so a chat that stays down for a day is two lines, not thousands.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

STATES = ("starting", "connected", "retrying", "refused", "off")


@dataclass(slots=True)
class Link:
    name: str
    state: str = "starting"
    since: float = field(default_factory=time.time)  # when the state began (Unix time)
    error: str | None = None
    retry_at: float | None = None  # retrying or refused: when the next try is due
    said: str = ""  # the last line written, so that a retry in the same state writes nothing

    @property
    def up(self) -> bool:
        """Nothing to worry about: connected, or nothing to connect (``off``: commands not configured)."""
        return self.state in ("connected", "off")

    def connected(self) -> None:
        if self.state != "connected":
            was = self.state
            self._set("connected", None, None)
            if was in ("retrying", "refused"):
                self._say(f"connected again after {self._for(self.since)}")
            self.since = time.time()

    def failed(self, error: str, wait: float, refused: bool = False) -> None:
        state = "refused" if refused else "retrying"
        if self.state != state:
            self.since = time.time()
        self._set(state, error, time.time() + wait)
        if refused:
            self._say(f"{error}; retried every {wait:.0f} s until it works (polling goes on)")
        else:
            self._say(f"{error}; retrying with backoff (polling goes on)")

    def off(self, why: str) -> None:
        self._set("off", None, None)
        self._say(why)

    def problem(self) -> str | None:
        """For /healthz: what is wrong, since when, and when it is tried again; None when up."""
        if self.up:
            return None
        when = datetime.fromtimestamp(self.since, UTC).isoformat(timespec="seconds")
        if self.state == "starting":
            return f"starting since {when}"
        retry = f", next try in {max(0.0, (self.retry_at or 0) - time.time()):.0f} s" if self.retry_at else ""
        return f"{self.state} since {when}: {self.error}{retry}"

    def to_json(self) -> dict:
        return {"state": self.state, "since": datetime.fromtimestamp(self.since, UTC).isoformat(timespec="seconds"),
                "error": self.error, "retry_at": datetime.fromtimestamp(self.retry_at, UTC).isoformat(
                    timespec="seconds") if self.retry_at else None}  # fmt: skip

    def _set(self, state: str, error: str | None, retry_at: float | None) -> None:
        self.state, self.error, self.retry_at = state, error, retry_at

    def _say(self, text: str) -> None:
        """One line on stderr, unless it says what the last one said (the same failure, retried)."""
        key = self.state if self.state in ("retrying", "refused") else text  # a new error in the same state: quiet
        if key != self.said:
            self.said = key
            print(f"wirewatch: {self.name}: {text}", file=sys.stderr, flush=True)

    @staticmethod
    def _for(since: float) -> str:
        seconds = time.time() - since
        return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
