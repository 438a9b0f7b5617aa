"""The one thread that writes a poll's results to SQLite, and what each write holds together.

SQLite writes run in one writer thread, in the order asked: an article with its alert and its outbox rows in
one transaction, a source's validators after its articles. Indexing 20 articles' text in FTS5 takes 20-300 ms,
which on the event loop would hold up every download. The loop reads through a second connection (WAL: it never
waits for the writer, and sees committed rows only, so a URL stays "in flight" until the transaction that
stores it has committed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from bot.config import Config, Source
from bot.fetch import Response
from bot.match import alert_snippet
from bot.models import Alert, Article, Entry, PollResult
from bot.poll.reading import Digest, match_and_index
from bot.store import Store, outbox

POLLS_PER_COMMIT = 200
BACKLOG = 100  # articles handed to the writer and not stored yet, beyond which no new article is read


@dataclass(slots=True)
class Found:
    """A new article read, ready to store."""

    article: Article
    digest: Digest
    origin: str  # where the text came from: "feed" (full content), "telegram", "page", or "summary"
    fresh: bool  # published within the source's max_age: it may alert


@dataclass(slots=True)
class Update:
    """A stored article whose full text changed in its feed (or a Telegram message edited)."""

    article_id: int
    entry: Entry
    fresh: bool


class Writer:
    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store  # written to in the writer thread only
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="wirewatch-sqlite")
        self._polls: list[tuple] = []  # poll records not written yet (see ``flush``)
        self.backlog = 0  # articles handed to ``write_found`` and not stored yet
        self.most_backlog = 0
        self.waits = 0  # calls of ``room`` that waited
        self._drained: asyncio.Condition | None = None  # made on the loop, at the first wait

    async def call(self, function: Callable, *args):
        """``function(*args)`` in the writer thread, one call at a time, in the order asked."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    async def write_found(self, found: list[Found], source: Source, result: PollResult) -> None:
        """``save_found`` in the writer thread, counted in the backlog until it is done."""
        self.backlog += len(found)
        self.most_backlog = max(self.most_backlog, self.backlog)
        try:
            await self.call(self.save_found, found, source, result)
        finally:
            self.backlog -= len(found)
            if self._drained is not None and self.backlog < BACKLOG:
                async with self._drained:
                    self._drained.notify_all()

    async def room(self) -> None:
        """Returns once the backlog is under ``BACKLOG`` articles.

        Indexing an article's text in FTS5 (twice: its words and its keys) costs the writer ~3 ms; in a first
        cycle at 1,000 sources the readers outpaced it, and the articles read and waiting for it grew to 440 (20
        million characters of text and keys) by the cycle's end, the main process's RSS with them.
        Reading waits here instead, so the memory they hold stays flat."""
        if self.backlog < BACKLOG:
            return
        self.waits += 1
        if self._drained is None:
            self._drained = asyncio.Condition()
        async with self._drained:
            await self._drained.wait_for(lambda: self.backlog < BACKLOG)

    def close(self) -> None:
        """After the last poll: waits for the thread's last transaction."""
        self._thread.shutdown(wait=True)

    async def record(self, source: Source, result: PollResult) -> None:
        """A poll's record, kept back and written with up to ``POLLS_PER_COMMIT`` others by ``flush``."""
        self._polls.append((source.name, source.url, source.type, result.error, result.new_articles))
        if len(self._polls) >= POLLS_PER_COMMIT:
            await self.flush()

    async def flush(self) -> None:
        """Write the poll records kept back: one commit for many sources instead of one each (a commit costs
        ~0.35 ms, as much as the whole rest of a 304'd source)."""
        polls, self._polls = self._polls, []
        if polls:
            await self.call(self._record_polls, polls)

    def _record_polls(self, polls: list[tuple]) -> None:
        with self.store.transaction():
            for poll in polls:
                self.store.record_poll(*poll)

    # ------------------------------------------------------------------------ in the writer thread

    def save_found(self, found: list[Found], source: Source, result: PollResult) -> None:
        """New articles with their alerts and follow-ups, together."""
        with self.store.transaction():
            for item in found:
                self._store(item, source, result)
        result.new_articles += len(found)

    def save(self, source: Source, response: Response, updates: list[Update], retry: bool,
             result: PollResult) -> None:  # fmt: skip
        """After the source's new articles: updates, the validators (unless a page is to be retried) and a
        Telegram channel's newest message, together."""
        with self.store.transaction():
            for update in updates:
                self._update(update, source, result)
            if not retry:
                self.store.save_validators(source.url, response.etag, response.last_modified)
            if result.newest_message is not None:
                self.store.save_newest_message(source.url, result.newest_message)
        result.updated = len(updates)

    def save_cadence(self, name: str, seconds: float, why: str, next_poll: datetime) -> None:
        with self.store.transaction():
            self.store.save_cadence(name, seconds, why, next_poll)

    def add_aliases(self, article_id: int, urls: list[str]) -> None:
        with self.store.transaction():
            for url in urls:
                self.store.add_alias(article_id, url)

    def _store(self, item: Found, source: Source, result: PollResult) -> None:
        article, matches = item.article, item.digest.matches
        stored = self.store.add_article(
            article, matches, item.fresh, alert_snippet(article.title, article.text, matches), item.origin,
            fingerprint=item.digest.fingerprint, keys=item.digest.keys,
        )  # fmt: skip
        result.matched += bool(matches)
        if stored.alert is not None:
            self.store.enqueue(stored.alert.id, self._channels_for(stored.alert))
            result.alerts.append(stored.alert)
        if stored.joined and stored.story_id is not None:
            result.joined.append((stored.story_id, article.source, article.url))
            if self.config.channels:  # a reply in the thread of the story's alert, in the same transaction
                outbox.enqueue_followups(self.store, stored.story_id, stored.article_id)

    def _update(self, update: Update, source: Source, result: PollResult) -> None:
        """A feed's full text changed: store the new copy; alert only for a group new to its story."""
        entry = update.entry
        matches, keys = match_and_index(entry.title, entry.content)  # rare: inline, in a synchronous transaction
        result.matched += bool(matches)
        alert = self.store.update_article(
            update.article_id, entry.title, entry.content, matches, update.fresh,
            alert_snippet(entry.title, entry.content, matches), keys,
        )  # fmt: skip
        if alert is not None:
            self.store.enqueue(alert.id, self._channels_for(alert))
            result.alerts.append(alert)

    def _channels_for(self, alert: Alert) -> list[str]:
        return [
            channel.id
            for channel in self.config.channels
            if channel.keywords is None or set(channel.keywords) & set(alert.keywords)
        ]
