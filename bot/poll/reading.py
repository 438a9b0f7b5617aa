"""The CPU-heavy steps of a cycle (parse, extract, match, fingerprint) in a pool of worker processes.

A first cycle over 1,000 sources reads ~20,000 article pages; one Python process uses one core, and a page
parsed on the event loop holds up every download behind it. So the loop keeps the network and SQLite, and
the pool does the reading, on every core. ``workers: 0`` runs the same functions inline (small configs,
where starting processes costs more than it saves).

With ``workers: auto`` the main process reads in one thread of its own, beside the event loop, and the pool
starts only when the work is enough for it: POOL_FROM pages or more waiting to be read at once (the pipeline
says how many with ``plan``). A cycle after a round of news at 1,000 sources has ~100 changed feeds and as many
new pages, never more than ~30 waiting at once (~1.5 s of reading); a first cycle has over a thousand waiting
within a second. The thread, not the loop, so that loading the readers (~0.3 s, once) and a long page never
hold up the downloads. Once the pool runs, the thread still reads whenever it is free: it is one of the
``count`` readers, and the pool has ``count - 1`` processes. Every process costs ~60-75 MB (Python, lxml,
trafilatura, the matcher); the thread's reading costs the main process ~30 MB. On 2 cores one process and the
thread read a first cycle as fast as two processes did, in ~230 MB at 1,000 sources where they took ~300 MB
(bench/README.md).
The processes are spawned: never a fork of this process's threads, and no forkserver (46 MB) beside them.

The task functions are module-level so that they pickle by name; each worker builds the matcher once.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.models import Entry, Group, Match

if TYPE_CHECKING:  # the readers are imported where they run: a cycle of 304s never loads them
    from bot.config import Keyword
    from bot.extract.feeds import ParsedFeed
    from bot.extract.pages import PageArticle
    from bot.extract.telegram import ChannelPage
    from bot.match import Matcher
    from bot.prefilter import Prefilter
    from bot.stories import Fingerprint

POOL_FROM = 100  # ``workers: auto``: pages waiting to be read at once from which the pool starts

_keywords: list[Group] = []  # this process's keyword groups: set by ``_start`` in a worker, or inline
_matcher: Matcher | None = None  # built from them at the first article
_prefilter: Prefilter | None = None  # and the test of the groups a page may match, at the first page


@dataclass(slots=True)
class Digest:
    """What matching, story identity and search need from an article's text."""

    matches: list[Match]
    fingerprint: Fingerprint | None
    keys: str = ""  # the text's loose key stream, for search (bot/store/queries.py)


@dataclass(slots=True)
class Reading:
    """An article page read, and the title and text chosen between it and the feed's entry."""

    page: PageArticle
    title: str
    text: str
    from_page: bool
    digest: Digest
    seconds: float = 0.0  # CPU time of the reading (parse, extraction, matching), for ``check --stats``: the
    # thread's own, since the main process's reader thread shares its process with the loop and the writer


@dataclass(slots=True)
class Tiers:
    """Pages read cheaply and accurately, and their CPU time: what ``check --stats`` says of the reading."""

    cheap: int = 0
    accurate: int = 0
    cheap_seconds: float = 0.0
    accurate_seconds: float = 0.0

    def add(self, reading: Reading) -> None:
        if reading.page.accurate:
            self.accurate, self.accurate_seconds = self.accurate + 1, self.accurate_seconds + reading.seconds
        else:
            self.cheap, self.cheap_seconds = self.cheap + 1, self.cheap_seconds + reading.seconds


def _start(keywords: list[Group]) -> None:
    global _keywords, _matcher, _prefilter
    _keywords, _matcher, _prefilter = keywords, None, None


def _start_worker(keywords: list[Group]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the main process decides
    _start(keywords)


def digest(title: str, text: str) -> Digest:
    from bot import stories
    from bot.match import fold_article

    article = fold_article(title, text)  # folded once for the matcher, the search keys and the fingerprint
    matches, keys = _the_matcher().read(article)
    return Digest(matches, stories.fingerprint_of(article.body_words), keys)


def unmatched(title: str, text: str) -> Digest:
    """``digest`` of an article no keyword group can match (bot/prefilter.py): not matched."""
    from bot import stories
    from bot.match import article_keys, fold_article

    article = fold_article(title, text)
    return Digest([], stories.fingerprint_of(article.body_words), article_keys(article))


def find_matches(title: str, text: str) -> list[Match]:
    """This process's keyword groups in an article (the matcher is built at the first call)."""
    return match_and_index(title, text)[0]


def match_and_index(title: str, text: str) -> tuple[list[Match], str]:
    """The matches of this process's keyword groups in an article, and its search keys."""
    from bot.match import article_text

    return _the_matcher().match_and_index(article_text(title, text))


def _the_matcher() -> Matcher:
    global _matcher
    from bot.match import Matcher

    if _matcher is None:
        _matcher = Matcher(_keywords)
    return _matcher


def _the_prefilter() -> Prefilter:
    global _prefilter
    from bot.prefilter import Prefilter

    if _prefilter is None:
        _prefilter = Prefilter(_the_matcher())
    return _prefilter


def read_feed(content: bytes, url: str, content_type: str, charset: str | None) -> ParsedFeed:
    from bot.extract.feeds import parse_feed

    return parse_feed(content, url, content_type, charset)


def read_listing(content: bytes, charset: str | None, url: str, selector: str | None) -> list[Entry]:
    from bot.extract.encoding import decode
    from bot.extract.pages import listing_links

    return listing_links(decode(content, charset), url, selector)


def read_channel_page(content: bytes, charset: str | None, url: str) -> ChannelPage:
    """A Telegram channel's preview page: its messages, each with its own text only."""
    from bot.extract.encoding import decode
    from bot.extract.telegram import parse_channel_page

    return parse_channel_page(decode(content, charset), url)


def read_article(content: bytes, charset: str | None, url: str, title: str, text: str) -> Reading:
    """The page's article, with the feed's title kept when it has one and the longer of the two texts.

    The main text is read accurately only where a keyword group may match the page's whole text with the
    feed's title and text (bot/prefilter.py); elsewhere no group can match the article, which is not matched."""
    from bot.extract.encoding import decode
    from bot.extract.pages import extract_article

    started = time.thread_time()
    prefilter = _the_prefilter()
    page = extract_article(decode(content, charset), url, lambda whole: bool(prefilter.groups((title, text, whole))))
    title = title or page.title
    from_page = len(page.text) >= len(text)
    text = page.text if from_page else text
    found = digest(title, text) if page.accurate else unmatched(title, text)
    return Reading(page, title, text, from_page, found, time.thread_time() - started)


class Workers:
    """``await workers.call(read_article, ...)``: in the pool, in the main process's reader thread (``on_demand``)
    or inline (no workers)."""

    def __init__(
        self, keywords: list[Keyword], count: int, idle_after: float | None = None, on_demand: bool = False
    ) -> None:
        """``idle_after``: seconds without a task after which the pool's processes exit (``run``: their
        memory is returned between cycles; the next task starts the pool again). None: kept to the end.
        ``on_demand``: read in a thread until the work is enough for the pool (``workers: auto``)."""
        self.count = count
        self.idle_after = idle_after
        self.on_demand = on_demand
        self._planned = 0  # pages the pipeline has waiting to be read (``plan``)
        self.most_planned = 0  # the most of them at once
        self._thread: ThreadPoolExecutor | None = None  # ``on_demand``'s reader in this process
        self._reading_here = 0  # tasks in that thread
        # ``on_demand``: the thread is one of the ``count`` readers, beside ``count - 1`` processes
        self.processes = count - 1 if on_demand else count
        self._groups = [Group(k.name, tuple(k.terms), k.exact, tuple(k.require), tuple(k.exclude)) for k in keywords]
        self._pool: ProcessPoolExecutor | None = None
        self._starting: asyncio.Future | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._busy = 0
        self._last = time.monotonic()
        self._mark = self._last
        self.active_seconds = 0.0  # time with a task in the pool
        self.full_seconds = 0.0  # of it, time with a task for every worker: less means the pool waited for work
        self._watch: asyncio.Task | None = None

    def __enter__(self) -> Workers:
        _start(self._groups)  # inline calls (and _update's digest) use this process's matcher
        return self

    def _start_pool(self) -> None:
        """At the first task, in a thread: a cycle that only gets 304s never starts a process, and the
        event loop never waits for one to start (a worker's imports take ~0.4 s)."""
        context = multiprocessing.get_context("spawn")  # never a fork of this process's threads and memory
        pool = ProcessPoolExecutor(self.processes, context, initializer=_start_worker, initargs=(self._groups,))
        pool.submit(_ready).result()  # a process is started per submit while none is idle: the first one here
        with self._lock:
            if not self._closed:
                self._pool, pool = pool, None
        if pool is not None:  # the cycle ended while the pool was starting
            pool.shutdown(wait=True, cancel_futures=True)

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if self._watch is not None:
            self._watch.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if self._thread is not None:
            self._thread.shutdown(wait=True, cancel_futures=True)

    async def _idle_watch(self) -> None:
        """Shut the pool down once it has had nothing to do for ``idle_after`` seconds."""
        assert self.idle_after is not None
        while True:
            await asyncio.sleep(self.idle_after / 4)
            if self._busy or time.monotonic() - self._last < self.idle_after:
                continue
            with self._lock:
                pool, self._pool, self._starting = self._pool, None, None
            if pool is not None:
                await asyncio.to_thread(pool.shutdown, True)
            self._watch = None
            return

    async def call(self, function, *args: Any):
        if not self.count:
            return function(*args)
        if self.on_demand and (not self._reading_here or not self.processes or self._waits()):
            return await self._read_here(function, *args)
        if self._pool is None:
            if self._starting is None:
                self._starting = asyncio.ensure_future(asyncio.to_thread(self._start_pool))
            await asyncio.shield(self._starting)  # one start, whoever asked first; a cancelled caller leaves it
            if self._pool is None:
                raise RuntimeError("the worker pool was closed")
            if self.idle_after is not None and self._watch is None:
                self._watch = asyncio.create_task(self._idle_watch())
        self._count_time()
        self._busy += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)
        finally:
            self._count_time()
            self._busy -= 1
            self._last = time.monotonic()

    def _waits(self) -> bool:
        """No pool yet, and not enough work to start one."""
        return self._pool is None and self._starting is None and self._planned < POOL_FROM

    async def _read_here(self, function, *args: Any):
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="wirewatch-reader")
        self._reading_here += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)
        finally:
            self._reading_here -= 1

    def plan(self, pages: int) -> None:
        """``pages`` more (or, negative, fewer) pages are waiting to be read."""
        self._planned += pages
        self.most_planned = max(self.most_planned, self._planned)

    def _count_time(self) -> None:
        now = time.monotonic()
        if self._busy:
            self.active_seconds += now - self._mark
        if self._busy >= self.processes:
            self.full_seconds += now - self._mark
        self._mark = now


def _ready() -> None:
    """The task that starts the first worker."""
