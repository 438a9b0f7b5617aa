"""poll(source): fetch -> list entries -> read the new articles -> store, with every failure recorded against its
source.

Nothing one source does can stop another: every error is caught at the source boundary, turned into one
line, stored on the source's row and reported. A feed's conditional-GET validators are saved only when
all of its entries were handled, so an article page that failed for a passing reason (5xx, timeout) is
tried again next cycle instead of being hidden behind a 304.

The stages beside this module: entries.py lists what a response holds, reading.py reads pages in the worker
pool, writer.py stores in the one SQLite writer thread.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta

from bot.config import Config, Source
from bot.errors import ExtractError, FetchError, NotModified
from bot.extract.lang import guess_lang
from bot.fetch import Fetcher, FetchSettings, Response
from bot.models import Article, Entry, PollResult
from bot.poll.entries import KINDS, Reader
from bot.poll.reading import Digest, Reading, Tiers, Workers, digest, read_article
from bot.poll.writer import Found, Update, Writer
from bot.store import Store
from bot.urls import canonical_url, clean_url, same_site

log = logging.getLogger(__name__)

# Article-page statuses that will not heal by retrying: store the entry with what the feed said.
_PERMANENT = (404, 410, 451)
_RAMP_SECONDS = 0.001
_GC_YOUNG = 10_000  # allocations between young collections (Python's default: 700); see ``_collector``
SWITCH_INTERVAL = 0.001  # seconds a thread holds the GIL before handing it over; see ``_switching``


class Pipeline:
    def __init__(
        self, config: Config, store: Store, fetcher: Fetcher, workers: Workers, now: datetime | None = None
    ) -> None:
        self.config = config
        self.store = store  # written to in the writer thread only
        self.reads = store.reader()  # read on the event loop
        self.writer = Writer(config, store)
        self.fetcher = fetcher
        self.workers = workers
        self.tiers = Tiers()  # how the article pages were read
        self.now = now or datetime.now(UTC)
        self._in_flight: set[str] = set()  # canonical URLs being fetched by some source right now
        # Bounds that keep memory flat whatever the number of sources: sources in progress (each holds its
        # parsed entries, and the articles read but not yet written behind one still being read), and article
        # pages between download and digest (the pool is slower than the network, so bodies would pile up).
        at_once = config.concurrency_limit()
        self._sources = asyncio.Semaphore(at_once)
        self._reading = asyncio.Semaphore(at_once + 4 * max(1, workers.count))  # + a queue per worker

    async def poll_all(self, on_done: Callable[[PollResult], None] | None = None) -> list[PollResult]:
        """Every source once, ``concurrency`` at a time, results in config order.

        A fixed set of runners takes the sources in turn: a task per source would put thousands of waiting
        tasks on the loop (their first steps alone held it ~250 ms at 5,000 sources). The runners start a
        millisecond apart, so that their first requests (~1 ms of CPU each) do not all fall in one loop step.
        """
        sources = list(enumerate(self.config.sources))
        results: list[PollResult | None] = [None] * len(sources)
        queue = iter(sources)

        async def runner(delay: float) -> None:
            await asyncio.sleep(delay)
            for index, source in queue:  # shared: each runner takes the next source
                results[index] = result = await self.poll(source)
                if on_done:
                    on_done(result)

        runners = min(self.config.concurrency_limit(), len(sources))
        try:
            await asyncio.gather(*(runner(i * _RAMP_SECONDS) for i in range(runners)))
        finally:
            await self.flush()
        return [result for result in results if result is not None]

    def close(self) -> None:
        """After the last poll: waits for the writer thread's last transaction."""
        self.writer.close()
        if self.reads is not self.store:
            self.reads.close()

    async def write(self, function: Callable, *args):
        """For jobs beside the polls that write too (retention, downtime notices): the same single writer."""
        return await self.writer.call(function, *args)

    async def flush(self) -> None:
        """Write the poll records kept back (bot/poll/writer.py)."""
        await self.writer.flush()

    async def poll(self, source: Source) -> PollResult:
        result = PollResult(source=source.name, url=source.url, requests=1)
        async with self._sources:
            started = asyncio.get_running_loop().time()
            try:
                await self._poll(source, result)
            except NotModified as exc:
                result.not_modified, result.fresh_for = True, exc.fresh_for
            except (FetchError, ExtractError) as exc:
                result.error, result.error_kind = str(exc), exc.kind
                result.retry_after = getattr(exc, "retry_after", None)
            except Exception as exc:  # a bug must not stop the other sources; it is reported like a failure
                log.exception("unexpected error while polling %s", source.name)
                result.error, result.error_kind = f"internal error: {type(exc).__name__}: {exc}", "other"
            result.seconds = asyncio.get_running_loop().time() - started
        await self.writer.record(source, result)
        if log.isEnabledFor(logging.INFO):  # -v: what each source did
            log.info("%s", result.summary())
        return result

    async def _poll(self, source: Source, result: PollResult) -> None:
        etag, last_modified = self.reads.validators(source.url)
        response = await self.fetcher.get(
            source.url, etag=etag, last_modified=last_modified, proxy=source.proxy,
            accept=_ACCEPT_FEED if source.type == "feed" else _ACCEPT_HTML,
        )  # fmt: skip
        result.status, result.size, result.fresh_for = response.status, len(response.content), response.fresh_for
        if response.truncated:
            result.warnings.append(f"response over {self.config.max_bytes} bytes, cut at the limit")
        reader = Reader(self.workers.call, self.fetcher.get,
                        self.reads.newest_message(source.url) if source.type == "telegram" else None,
                        self.now - timedelta(seconds=self.config.age_limit(source)))  # fmt: skip
        try:
            listed = await KINDS[source.type](source, response, reader)
        except ExtractError as exc:
            if response.truncated:  # the cut is the cause, not the site's markup: say so where errors are shown
                decoded = f" once decoded from {response.encoding}" if response.encoding else ""
                cap = self.config.max_bytes
                raise ExtractError(f"response over {cap} bytes{decoded} (max_bytes), cut there: {exc}") from exc
            raise
        result.warnings += listed.warnings
        result.newest_message = listed.newest_message
        result.requests += listed.requests
        if not listed.complete:  # the first page must be read whole again next time
            result.retry_after = listed.retry_after
            response.etag = response.last_modified = None
        result.entries = len(listed.entries)
        updates, retry, keys = await self._articles(source, listed.entries, result)
        try:
            await self.writer.call(self.writer.save, source, response, updates, retry, result)
        finally:
            self._in_flight.difference_update(keys)  # only now can another source see them as stored

    async def _articles(
        self, source: Source, entries: list[Entry], result: PollResult
    ) -> tuple[list[Update], bool, list[str]]:
        """Reads and stores the new articles among ``entries``; returns the known ones whose full text
        changed in the feed, whether some failed for a reason worth retrying, and the URLs marked in flight
        (the caller releases them).

        Each article is stored as soon as it and those before it in the feed are read, not with the whole
        source: sources in progress held every article they had read, ~50 MB of text at 60 sources of
        20 long articles. The feed's order is kept (the first copy of a story in a feed stays its alert);
        a crash between two writes loses nothing, since the validators are saved last."""
        todo: list[tuple[Entry, str]] = []
        updates: list[Update] = []
        for entry in entries:
            key = canonical_url(entry.url)
            if key in self._in_flight or self.reads.is_gone(key):
                continue
            known = self.reads.known([key])
            if known is not None:
                if entry.content and self.reads.changed(known, entry.title, entry.content):
                    updates.append(Update(known, entry, self._fresh(entry.published, source)))
                continue
            self._in_flight.add(key)
            todo.append((entry, key))
        keys = [k for _, k in todo]
        pending = deque(asyncio.ensure_future(self._article(source, e, k, result)) for e, k in todo)
        read: list[Found] = []  # in feed order, not written yet
        retry = False
        self.workers.plan(len(todo))
        try:
            while pending:
                if read and not pending[0].done():  # a gap: first store what was read before it
                    await self.writer.write_found(read, source, result)
                    read = []
                outcome = await pending.popleft()
                if isinstance(outcome, str):
                    result.warnings.append(outcome)
                    retry = True
                elif outcome is not None:
                    read.append(outcome)
            if read:
                await self.writer.write_found(read, source, result)
        except BaseException:
            for task in pending:
                task.cancel()
            self._in_flight.difference_update(keys)
            raise
        finally:
            self.workers.plan(-len(todo))
        return updates, retry, keys

    async def _article(self, source: Source, entry: Entry, key: str, result: PollResult) -> Found | str | None:
        """One entry -> a new article; a warning string when its page failed for now; None when known."""
        title, text, published, lang = entry.title, entry.content or entry.summary, entry.published, None
        canonical, aliases, url = key, [], clean_url(entry.url)
        origin = ("telegram" if source.type == "telegram" else "feed") if entry.content else "summary"
        found: Digest | None = None
        await self.writer.room()
        if self._wants_page(source, entry):
            result.requests += 1
            try:
                response, reading = await self._read_page(entry.url, source, title, text)
            except (FetchError, ExtractError) as exc:
                if getattr(exc, "status", None) not in _PERMANENT:
                    return f"article {entry.url}: {exc} (will retry)"
                if source.type == "page":  # a dead link on a listing page: nothing to read, never ask again
                    await self.writer.call(self.store.mark_gone, key, str(exc))
                    return None
                log.info("%s: article %s: %s; using the feed's text", source.name, entry.url, exc)
            else:
                page = reading.page
                final = canonical_url(response.url)
                url = clean_url(response.url)
                if page.canonical:
                    canonical = canonical_url(page.canonical)
                    if same_site(page.canonical, response.url):
                        url = clean_url(page.canonical)
                aliases = [u for u in {key, final} if u != canonical]
                known = self.reads.known([canonical, *aliases])
                if known is not None:
                    await self.writer.call(self.writer.add_aliases, known, [canonical, *aliases])
                    return None
                title, text, found = reading.title, reading.text, reading.digest
                origin = "page" if reading.from_page else origin
                published = published or page.published
                lang = page.lang
        article = Article(
            source=source.name, url=url, canonical_url=canonical, title=title, text=text,
            published=published, lang=lang or guess_lang(f"{title} {text[:2000]}"), aliases=aliases,
            forwarded=entry.forwarded,
        )  # fmt: skip
        found = found or await self.workers.call(digest, title, text)
        return Found(article, found, origin, self._fresh(published, source))

    async def _read_page(self, url: str, source: Source, title: str, text: str) -> tuple[Response, Reading]:
        """Download an article page and read it in the pool, holding a reading slot from the download to the
        end of the reading (the slots bound the page bodies in memory). The fetcher takes the slot only once
        the page's host has a request free for it: a slot taken first sat idle behind the host's ``per_host``
        limit, and as one source's pages queue together, most slots did (the workers got half of the first
        cycle's pages they could read)."""
        response = await self.fetcher.get(url, proxy=source.proxy, accept=_ACCEPT_HTML, slot=self._reading)
        try:
            reading = await self.workers.call(
                read_article, response.content, response.charset, response.url, title, text
            )
            self.tiers.add(reading)
            return response, reading
        finally:
            self._reading.release()

    def _wants_page(self, source: Source, entry: Entry) -> bool:
        if source.type == "telegram":  # a message is its own text; its permalink page holds nothing more
            return False
        if source.type == "page" or source.articles == "always":
            return True
        if source.articles == "never":
            return False
        return not entry.content

    def _fresh(self, published: datetime | None, source: Source) -> bool:
        return published is None or self.now - published <= timedelta(seconds=self.config.age_limit(source))


@asynccontextmanager
async def running(config: Config, store: Store, worker_idle: float | None = None) -> AsyncIterator[Pipeline]:
    """A pipeline with its worker pool, HTTP clients and writer thread, all closed when the block ends.
    ``worker_idle``: the pool's processes exit after this many idle seconds (``run``)."""
    with (
        _collector(),
        _switching(),
        Workers(config.keywords, config.worker_count(), worker_idle, config.workers == "auto") as workers,
    ):
        async with Fetcher(FetchSettings.from_config(config)) as fetcher:
            pipeline = Pipeline(config, store, fetcher, workers)
            try:
                yield pipeline
            finally:
                pipeline.close()


@contextmanager
def _collector() -> Iterator[None]:
    """The garbage collector tuned for a cycle, and restored after it.

    A request leaves ~60 container objects (httpx's and aiohttp's request state, coroutines, futures) that
    die by reference counting, yet Python's default young collection every 700 allocations walked the ones
    still in flight ~80 times per 1,000 requests, ~8 middle and an occasional full collection on top:
    ~130-190 ms of CPU per 1,000 304s, up to 10% of the cycle. A full collection (56 ms in a cycle of 1,000
    sources, all of it a stall of the loop) also walks every object of the config: 45-50 ms for that alone at
    5,000 sources. So: what is alive when the pipeline starts (config, modules) lives as long as it and is
    frozen out of collections, and young collections run every 10,000 allocations (bench/README.md has the
    figures)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(_GC_YOUNG, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


@contextmanager
def _switching() -> Iterator[None]:
    """The GIL handed over every millisecond instead of every 5, for a cycle.

    The main process's reader thread parses and matches in Python and keeps the GIL until asked for it; the event
    loop and the SQLite writer give it up at every socket write, pipe write or SQLite call, and each time waited
    up to the switch interval to get it back. With the default 5 ms the writer fell behind the readers all
    through a first cycle (its backlog, bot/poll/writer.py, filled) and the loop's slowest steps doubled."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


_ACCEPT_FEED = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
_ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
