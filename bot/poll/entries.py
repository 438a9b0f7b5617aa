"""What a source's response lists: the entries of a feed, the article links of a listing page, the messages of a
Telegram channel (its walk through older preview pages). Source kinds register by name (``KINDS``): a new kind
is one function here, taking the response and a ``Reader`` and returning ``Listed``, a value the pipeline applies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.config import Source
from bot.errors import ExtractError
from bot.fetch import Response
from bot.models import Entry
from bot.poll import telegram
from bot.poll.reading import read_channel_page, read_feed, read_listing


@dataclass(slots=True)
class Listed:
    """A response's entries, what to warn of, and for a Telegram channel what its walk leaves to save."""

    entries: list[Entry]
    warnings: list[str] = field(default_factory=list)
    newest_message: int | None = None
    retry_after: float | None = None
    complete: bool = True  # False: keep no validators, so that the response is read whole again next poll
    requests: int = 0  # made besides the source's own (a channel's older pages)


@dataclass(slots=True)
class Reader:
    """What listing a response may use besides it: the reading pool, a GET, the newest Telegram message stored
    for the source, and the oldest publication time still worth reading (``max_age``)."""

    call: Callable[..., Awaitable[Any]]  # Workers.call
    get: Callable[..., Awaitable[Response]]  # Fetcher.get
    newest_message: int | None
    oldest_wanted: datetime


async def feed(source: Source, response: Response, reader: Reader) -> Listed:
    parsed = await reader.call(read_feed, response.content, response.url, response.content_type, response.charset)
    return Listed(parsed.entries, [parsed.warning] if parsed.warning else [])


async def page(source: Source, response: Response, reader: Reader) -> Listed:
    entries = await reader.call(read_listing, response.content, response.charset, response.url, source.links)
    if not entries:
        hint = "the links selector matched nothing" if source.links else "no article links recognised"
        raise ExtractError(f"listing page has no article links ({hint})")
    return Listed(entries)


async def channel(source: Source, response: Response, reader: Reader) -> Listed:
    """The messages a poll of a Telegram channel takes, oldest first (bot/poll/telegram.py)."""
    first = await reader.call(read_channel_page, response.content, response.charset, response.url)
    if not first.is_channel:
        raise ExtractError(telegram.not_public(source.url, response.url))

    pages = 0

    async def older(url: str):
        nonlocal pages
        pages += 1
        reply = await reader.get(url, proxy=source.proxy, accept=telegram.ACCEPT)
        return await reader.call(read_channel_page, reply.content, reply.charset, reply.url)

    walked = await telegram.walk(first, reader.newest_message, reader.oldest_wanted, source.pages or telegram.PAGES,
                                 older)  # fmt: skip
    return Listed(walked.entries, walked.warnings, walked.newest, walked.retry_after, walked.complete, pages)


KINDS: dict[str, Callable[[Source, Response, Reader], Awaitable[Listed]]] = {
    "feed": feed,
    "page": page,
    "telegram": channel,
}
