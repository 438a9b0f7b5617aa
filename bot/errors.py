"""One error hierarchy for the whole bot.

Foreign errors (httpx, feedparser, sqlite, YAML, pydantic) are translated into these at exactly one
edge and re-raised ``from`` the original, so callers only ever catch ``WirewatchError``.

    WirewatchError
    ├── ConfigError      the config file is missing, malformed or invalid
    ├── FetchError       a source or article could not be fetched
    │   └── NotModified  a conditional GET answered 304: not a failure, nothing to parse
    ├── ExtractError     a fetched body could not be turned into entries or an article
    ├── QueryError       a user's query (search, recent) cannot be run
    └── DeliveryError    a chat API refused or failed to take an alert (its scope: what to retry or fail)
"""

from __future__ import annotations


class WirewatchError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(WirewatchError):
    """Raised with a one-line message that names the file, the key path and what is wrong."""


FETCH_KINDS = ("timeout", "http_4xx", "http_5xx", "connection", "tls", "dns", "other")


class FetchError(WirewatchError):
    """Carries its facts, so that nobody reads them back out of the message: the HTTP ``status`` when the server
    answered one, a ``kind`` (one of ``FETCH_KINDS``: the metrics' label) and the site's Retry-After."""

    def __init__(
        self, message: str, url: str = "", retry_after: float | None = None, status: int | None = None,
        kind: str = "other",
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.url = url
        self.retry_after = retry_after  # seconds the site asked us to wait (429/503 Retry-After)
        self.status = status
        if status is not None and status >= 400:
            kind = "http_5xx" if status >= 500 else "http_4xx"
        self.kind = kind


class NotModified(FetchError):
    """A 304: the stored copy is current. Its own small exception so that it is never counted as a failure."""

    def __init__(self, message: str, url: str = "", fresh_for: float | None = None) -> None:
        super().__init__(message, url)
        self.fresh_for = fresh_for  # the 304's Cache-Control / Expires, which the scheduler honours


class ExtractError(WirewatchError):
    kind = "parse"


class QueryError(WirewatchError):
    pass


class DeliveryError(WirewatchError):
    """A chat API refused or failed to take a message. ``scope`` says what the failure covers, and so
    what the outbox does with it:

    - ``transient``: network error, timeout, 5xx: retry this message with backoff;
    - ``rate``: rate limited; retry after ``retry_after`` seconds;
    - ``message``: this message was refused (too long, malformed): mark it failed, go on;
    - ``channel``: the channel is gone or the bot is not in it: mark the channel's messages failed;
    - ``token``: the token is revoked or invalid: mark every message of this chat failed.
    """

    def __init__(self, message: str, scope: str = "transient", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.scope = scope
        self.retry_after = retry_after
