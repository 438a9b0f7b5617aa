"""``type: telegram``: a public Telegram channel as a source, read through its preview page (``/s/<name>``).

Each message becomes an ``Entry`` carrying its full text (and where it was forwarded from), so the rest of
the poll is a full-text feed's: a new message is an article (matched, stored, alerted once per story, merged
with the same story on the web); a stored message whose text changed (an edit) is an update, which alerts
only for a keyword group new to its story (``Writer.update``, the feeds' own path).

Which pages a poll reads: the channel's first page (its newest ~20 messages), then older pages through the
page's ``?before=<id>`` link while all of these hold:

- the poll has not reached the newest message id stored for the channel (the first poll has none);
- the page does not reach back past ``max_age`` (older messages are not alerted anyway);
- fewer than ``pages`` pages were read (default 5): the first poll's backfill, and a later poll's catch-up
  after a long pause, are bounded.

Pages older than the one that reaches the stored id are not read again. On the pages read, a stored message
is looked at again for an edit; one that was not stored because it had no text (a bare photo) and has since
been given a caption is new. The newest id is saved once the poll's articles are stored: a crash before
that reads the same pages again, where the stored messages are known.

When a page after the first fails (t.me answers bursts with 429 and Retry-After), the walk ends there: what
was read is stored, the newest id is not moved and the first page's validators are not kept, so the next
poll walks again; the Retry-After is honoured as for a failed poll.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.errors import ExtractError, FetchError
from bot.models import Entry
from bot.poll.reading import read_channel_page

if TYPE_CHECKING:
    from bot.config import Source
    from bot.extract.telegram import ChannelPage, Message

PAGES = 5  # preview pages (~20 messages each) one poll reads at most, unless the source says otherwise

ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass(slots=True)
class Walk:
    """What one poll read of a channel, for the pipeline to apply: the messages as entries, oldest first, and the
    newest id to save once they are stored. ``complete`` False: a page after the first failed, so the first page
    must be read again next poll (its validators are not kept) and the walk resumes from the stored id."""

    entries: list[Entry]
    newest: int | None
    warnings: list[str] = field(default_factory=list)
    retry_after: float | None = None
    complete: bool = True


async def walk(
    first: ChannelPage, stored: int | None, oldest_wanted: datetime, limit: int,
    older: Callable[[str], Awaitable[ChannelPage]],
) -> Walk:  # fmt: skip
    """From the channel's first page back through ``older`` (fetch and read a ``?before=`` page) while it is
    worth it: until the page that reaches ``stored`` (the newest id a poll read before), ``oldest_wanted``
    (``max_age``) or ``limit`` pages."""
    page = first
    messages: dict[int, Message] = {}
    done = Walk([], first.newest)
    read = 1
    while True:
        for message in page.messages:
            messages.setdefault(message.id, message)
        if not _older_wanted(page, stored, oldest_wanted):
            break
        if read >= limit:
            if stored is not None:  # a later poll that could not reach what it read last time
                done.warnings.append(
                    f"more than {limit} pages of new messages since the last poll; older ones were skipped "
                    f"(raise sources[].pages or poll more often)"
                )
            break
        assert page.before is not None
        try:
            page = await older(page.before)
        except (FetchError, ExtractError) as exc:
            done.warnings.append(
                f"page {read + 1} ({page.before}): {exc}; the channel is read on from there at the next poll"
            )
            done.retry_after = getattr(exc, "retry_after", None)
            done.complete = False
            done.newest = stored
            break
        read += 1
        if not page.is_channel or not page.ids:
            break
    done.newest = max(filter(None, (done.newest, stored)), default=None)
    done.entries = [_entry(m) for _, m in sorted(messages.items())]
    return done


def _older_wanted(page: ChannelPage, stored: int | None, oldest_wanted: datetime) -> bool:
    """Whether the page before this one is worth reading."""
    if page.before is None or page.oldest is None:
        return False
    if stored is not None and page.oldest <= stored:
        return False  # this page reaches what the last poll read
    dated = [m.published for m in page.messages if m.published is not None]
    return not (dated and min(dated) < oldest_wanted)


def _entry(message: Message) -> Entry:
    return Entry(
        url=message.url,
        title=message.title,
        content=message.text,
        published=message.published,
        forwarded=message.forwarded,
    )


def channel_name(url: str) -> str | None:
    """``https://t.me/s/<name>`` (any host) -> ``<name>``."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    return parts[1] if len(parts) == 2 and parts[0] == "s" else None


def not_public(url: str, final: str) -> str:
    name = channel_name(url) or url
    where = f" redirected to {final}, which" if final.rstrip("/") != url.rstrip("/") else ""
    return (
        f"@{name} is not a public Telegram channel: its preview page{where} has no messages (private "
        f"channels, groups, users and bots have none; check the name in t.me/s/{name})"
    )


# ------------------------------------------------------------------------------- one message, by its link

_HOSTS = ("t.me", "telegram.me", "www.t.me", "www.telegram.me")


def preview_of(permalink: str, sources: list[Source]) -> tuple[str, int] | None:
    """A message's permanent link (``https://t.me/<name>/<id>``) -> the preview page that shows it (the
    configured source's, when one reads that channel: any host) and its id; None for any other URL."""
    parts = urlsplit(permalink)
    path = [p for p in parts.path.split("/") if p]
    if len(path) != 2 or not path[1].isdigit():
        return None
    name, message = path[0], int(path[1])
    for source in sources:
        if source.type == "telegram" and (channel_name(source.url) or "").lower() == name.lower():
            return f"{source.url.rstrip('/')}?before={message + 1}", message
    if (parts.hostname or "").lower() in _HOSTS:
        return f"https://t.me/s/{name}?before={message + 1}", message
    return None


async def read_message(fetcher, preview: str, message_id: int) -> Message:
    """The message ``message_id`` from the preview page ``preview`` (``?before=<id + 1>`` shows it last)."""
    response = await fetcher.get(preview, accept=ACCEPT)
    page = read_channel_page(response.content, response.charset, response.url)
    if not page.is_channel:
        raise ExtractError(not_public(preview.split("?")[0], response.url.split("?")[0]))
    for message in page.messages:
        if message.id == message_id:
            return message
    raise ExtractError(f"message {message_id} is not on {preview} (deleted, or a message without text)")
