"""Everything that must survive a restart, in one SQLite file (sqlite-utils, WAL).

Articles are keyed by canonical URL; every other spelling of an article's URL is kept in
``article_urls`` so that a link seen again (in another feed, on a listing page, behind new tracking
parameters) is recognised without fetching it. Near-duplicate articles share a story (``bot.stories``),
found through the indexed LSH band table. An alert is a row in the outbox, written in the same
transaction as its article, one per story and keyword group, so that a crash between storing and
delivering never loses it and a republication never repeats it. Reads live in ``bot.commands.query``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot import stories
from bot.errors import WirewatchError
from bot.models import Alert, Article, Forwarded, Match
from bot.schema import MIGRATIONS, SCHEMA_VERSION, save_fingerprint

if TYPE_CHECKING:
    import sqlite_utils


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(slots=True)
class SourceState:
    name: str
    url: str
    type: str
    last_poll: str | None
    last_ok: str | None
    last_error: str | None
    errors: int
    articles: int


@dataclass(slots=True)
class Stored:
    """What storing one article did."""

    article_id: int
    story_id: int | None
    alert: Alert | None = None
    joined: bool = False  # the article joined an existing story (a republication)
    new: bool = True  # False: its canonical URL was already stored


def content_hash(title: str, text: str) -> str:
    return hashlib.blake2b(f"{title}\n{text}".encode(), digest_size=12).hexdigest()


def _connect(path: Path) -> sqlite_utils.Database:
    """Autocommit unless inside ``transaction()``; usable from the writer thread as well as the loop's."""
    import sqlite_utils

    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    return sqlite_utils.Database(conn)


class _Rows:
    """The two calls of sqlite-utils' ``Database`` that the read side makes, over a plain connection, so that
    a query command starts without importing sqlite-utils (pluggy, click, dateutil: ~60 ms)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Iterable = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, tuple(parameters))

    def query(self, sql: str, parameters: Iterable = ()) -> Iterator[dict]:
        cursor = self.conn.execute(sql, tuple(parameters))
        keys = [column[0] for column in cursor.description]
        for row in cursor:
            yield dict(zip(keys, row, strict=True))

    def close(self) -> None:
        self.conn.close()


class Store:
    def __init__(self, db: sqlite_utils.Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path  # None: in memory

    # ------------------------------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, path: str | Path) -> Store:
        path = Path(path)
        if str(path) != ":memory:":
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WirewatchError(f"{path.parent}: cannot create the database folder ({exc})") from exc
        try:
            db = _connect(path)
            if str(path) != ":memory:":
                db.enable_wal()
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db, None if str(path) == ":memory:" else path)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise WirewatchError(f"{path}: cannot open the database ({exc})") from exc
        return store

    @classmethod
    def open_for_queries(cls, path: str | Path) -> Store:
        """A store for ``bot.commands.query`` only (execute and query), on a plain connection; a database that
        is missing or needs migrating goes through ``open``, which creates or migrates it."""
        path = Path(path)
        if path.is_file():
            store = cls(_Rows(sqlite3.connect(str(path), timeout=30, isolation_level=None)), path)  # type: ignore[arg-type]
            try:
                current = store.schema_version() == SCHEMA_VERSION
            except sqlite3.DatabaseError:
                current = False
            if current:
                return store
            store.close()
        return cls.open(path)

    def reader(self) -> Store:
        """A second connection, for reads while another thread writes through this one: in WAL mode a
        reader never waits for a writer and sees only committed rows. An in-memory database has only one."""
        if self.path is None:
            return self
        return Store(_connect(self.path), self.path)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing; nests (sqlite-utils turns inner blocks into savepoints)."""
        with self.db.atomic():
            yield

    def schema_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        db = self.db
        if not db["meta"].exists():
            db["meta"].create({"key": str, "value": str}, pk="key")
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise WirewatchError(
                f"the database has schema version {version}, newer than this wirewatch ({SCHEMA_VERSION})"
            )
        if version == SCHEMA_VERSION:
            return  # nothing written: a query command never takes the write lock from a running bot
        with self.transaction():
            for step in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](db)
            db["meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")

    # ---------------------------------------------------------------------------- conditional GET

    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self.db.execute("SELECT etag, last_modified FROM http_cache WHERE url = ?", [url]).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.db.execute(
            "INSERT INTO http_cache (url, etag, last_modified, checked) VALUES (?, ?, ?, ?) ON CONFLICT (url) "
            "DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, checked = excluded.checked",
            [url, etag, last_modified, iso(utcnow())],
        )

    # ----------------------------------------------------------------------------- Telegram channels

    def newest_message(self, url: str) -> int | None:
        """The newest message id read from the Telegram channel at ``url`` (its preview page), if any."""
        row = self.db.execute("SELECT newest FROM telegram_channels WHERE url = ?", [url]).fetchone()
        return int(row[0]) if row else None

    def save_newest_message(self, url: str, newest: int) -> None:
        self.db.execute(
            "INSERT INTO telegram_channels (url, newest, checked) VALUES (?, ?, ?) ON CONFLICT (url) "
            "DO UPDATE SET newest = max(newest, excluded.newest), checked = excluded.checked",
            [url, newest, iso(utcnow())],
        )

    # ------------------------------------------------------------------------------------- sources

    def record_poll(self, name: str, url: str, type_: str, error: str | None, new_articles: int) -> None:
        """One statement per poll (plain SQL: sqlite-utils' upsert reads the table's schema every call)."""
        now = iso(utcnow())
        if error:
            self.db.execute(
                "INSERT INTO sources (name, url, type, last_poll, last_error, last_error_at, errors, articles, "
                "failing_since) VALUES (?1, ?2, ?3, ?4, ?5, ?4, 1, 0, ?4) ON CONFLICT (name) DO UPDATE SET "
                "url = ?2, type = ?3, last_poll = ?4, last_error = ?5, last_error_at = ?4, "
                "failing_since = CASE WHEN coalesce(errors, 0) = 0 THEN ?4 ELSE failing_since END, "
                "errors = coalesce(errors, 0) + 1",
                [name, url, type_, now, error],
            )
        else:
            self.db.execute(
                "INSERT INTO sources (name, url, type, last_poll, last_ok, errors, articles) "
                "VALUES (?1, ?2, ?3, ?4, ?4, 0, ?5) ON CONFLICT (name) DO UPDATE SET url = ?2, type = ?3, "
                "last_poll = ?4, last_ok = ?4, errors = 0, articles = coalesce(articles, 0) + ?5, "
                "failing_since = NULL",
                [name, url, type_, now, new_articles],
            )

    def sources(self) -> list[SourceState]:
        rows = self.db.execute(
            "SELECT name, url, type, last_poll, last_ok, last_error, errors, articles FROM sources ORDER BY name"
        ).fetchall()
        return [SourceState(*row) for row in rows]

    def errors(self, name: str) -> int:
        """How many polls of this source failed in a row."""
        row = self.db.execute("SELECT errors FROM sources WHERE name = ?", [name]).fetchone()
        return int(row[0] or 0) if row else 0

    # ------------------------------------------------------------------------------------ articles

    def known(self, urls: Iterable[str]) -> int | None:
        """The id of the article that any of these (canonical) URLs belongs to."""
        for url in urls:
            row = self.db.execute("SELECT article_id FROM article_urls WHERE url = ?", [url]).fetchone()
            if row:
                return int(row[0])
        return None

    def mark_gone(self, url: str, reason: str) -> None:
        """A link that answered 404/410: remembered so that it is not fetched again every cycle."""
        self.db.execute(
            "INSERT OR IGNORE INTO gone_urls (url, reason, seen) VALUES (?, ?, ?)", [url, reason, iso(utcnow())]
        )

    def is_gone(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM gone_urls WHERE url = ?", [url]).fetchone() is not None

    def add_alias(self, article_id: int, url: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)", [url, article_id])

    def add_article(
        self,
        article: Article,
        matches: list[Match],
        fresh: bool,
        snippet: str = "",
        origin: str = "page",
        *,
        fingerprint: stories.Fingerprint | None,
    ) -> Stored:
        """Store a new article in its story, and its alert for any keyword group the story has not alerted
        yet. Call inside ``transaction()``; the alert is written in the same transaction as the article.
        ``fingerprint``: ``stories.fingerprint(article.text)``, computed by the caller (in a worker process,
        off the writer thread); None for a text too short to tell a story by, which then starts its own."""
        existing = self.known([article.canonical_url, *article.aliases])
        if existing is not None:
            for url in (article.canonical_url, *article.aliases):
                self.add_alias(existing, url)
            return Stored(existing, None, new=False)
        now = iso(utcnow())
        story_id = self._similar_story(fingerprint) if fingerprint else None
        joined = story_id is not None
        if joined:
            self.db.execute("UPDATE stories SET members = members + 1, last_seen = ? WHERE id = ?", [now, story_id])
        else:  # the story first, so that the article row is written once (an UPDATE re-indexes its text)
            story_id = self.db.execute(
                "INSERT INTO stories (title, first_source, created, last_seen) VALUES (?, ?, ?, ?)",
                [article.title, article.source, now, now],
            ).lastrowid
        forwarded = article.forwarded
        article_id = self.db.execute(
            "INSERT INTO articles (url, canonical_url, source, title, published, text, lang, first_seen, "
            "story_id, content_hash, origin, forwarded_from, forwarded_url) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [article.url, article.canonical_url, article.source, article.title, iso(article.published),
             article.text, article.lang, now, story_id, content_hash(article.title, article.text), origin,
             forwarded.name if forwarded else None, forwarded.url if forwarded else None],
        ).lastrowid  # fmt: skip
        if not joined:
            self.db.execute("UPDATE stories SET first_article = ? WHERE id = ?", [article_id, story_id])
        for url in {article.canonical_url, *article.aliases}:
            self.add_alias(article_id, url)
        if fingerprint is not None:
            save_fingerprint(self.db, article_id, fingerprint)
        self._save_matches(article_id, matches)
        alert = self._alert(article_id, story_id, article, matches, snippet) if fresh else None
        return Stored(article_id, story_id, alert, joined)

    def changed(self, article_id: int, title: str, text: str) -> bool:
        """Whether a feed's full-text entry (or a Telegram message, edited) differs from the stored copy (only
        for text that came from a feed or a channel, not from a page fetched for it)."""
        row = self.db.execute("SELECT content_hash, origin FROM articles WHERE id = ?", [article_id]).fetchone()
        return bool(row) and row[1] in ("feed", "telegram") and row[0] != content_hash(title, text)

    def update_article(
        self, article_id: int, title: str, text: str, matches: list[Match], fresh: bool, snippet: str = ""
    ) -> Alert | None:
        """A changed article keeps its story; it alerts only for a group its story has not alerted yet."""
        self.db.execute(
            "UPDATE articles SET title = ?, text = ?, content_hash = ? WHERE id = ?",
            [title, text, content_hash(title, text), article_id],
        )
        self.db.execute("DELETE FROM matches WHERE article_id = ?", [article_id])
        self._save_matches(article_id, matches)
        row = self.db.execute(
            "SELECT url, canonical_url, source, published, lang, story_id, forwarded_from, forwarded_url "
            "FROM articles WHERE id = ?",
            [article_id],
        ).fetchone()
        article = Article(source=row[2], url=row[0], canonical_url=row[1], title=title, text=text,
                          published=from_iso(row[3]), lang=row[4],
                          forwarded=Forwarded(row[6], row[7]) if row[6] else None)  # fmt: skip
        return self._alert(article_id, row[5], article, matches, snippet) if fresh else None

    def _similar_story(self, fingerprint: stories.Fingerprint) -> int | None:
        """The story of the most similar stored article that is the same story, through the band index."""
        keys = fingerprint.band_keys()
        marks = ",".join("?" * len(keys))
        candidates = self.db.execute(
            f"SELECT DISTINCT article_id FROM story_bands WHERE key IN ({marks}) LIMIT {stories.MAX_CANDIDATES}",  # noqa: S608
            keys,
        ).fetchall()
        best: tuple[float, int] | None = None
        for (candidate,) in candidates:
            row = self.db.execute(
                "SELECT f.digest, f.shingles, a.story_id FROM fingerprints f JOIN articles a ON a.id = f.article_id "
                "WHERE f.article_id = ?",
                [candidate],
            ).fetchone()
            if row is None:
                continue
            joined, score = stories.same_story(fingerprint, stories.Fingerprint.from_blob(row[0], row[1]))
            if joined and (best is None or score > best[0]):
                best = (score, row[2])
        return best[1] if best else None

    def _save_matches(self, article_id: int, matches: list[Match]) -> None:
        self.db.conn.executemany(
            "INSERT INTO matches (article_id, keyword, term, found, start, end) VALUES (?, ?, ?, ?, ?, ?)",
            [(article_id, m.keyword, m.term, m.found, m.start, m.end) for m in matches],
        )

    def _alert(
        self, article_id: int, story_id: int, article: Article, matches: list[Match], snippet: str
    ) -> Alert | None:
        groups = list(dict.fromkeys(m.keyword for m in matches))
        alerted = {r[0] for r in self.db.execute("SELECT keyword FROM story_keywords WHERE story_id = ?", [story_id])}
        keywords = [g for g in groups if g not in alerted]
        if not keywords:
            return None
        alert_id = self.db.execute(
            "INSERT INTO alerts (article_id, story_id, keywords, snippet, created) VALUES (?, ?, ?, ?, ?)",
            [article_id, story_id, json.dumps(keywords, ensure_ascii=False), snippet, iso(utcnow())],
        ).lastrowid
        self.db.conn.executemany(
            "INSERT INTO story_keywords (story_id, keyword, alert_id) VALUES (?, ?, ?)",
            [(story_id, k, alert_id) for k in keywords],
        )
        return Alert(
            id=alert_id, article_id=article_id, url=article.url, title=article.title, source=article.source,
            published=article.published, keywords=keywords, snippet=snippet,
            matches=[m for m in matches if m.keyword in keywords], story_id=story_id, forwarded=article.forwarded,
        )  # fmt: skip

    def enqueue(self, alert_id: int, channels: Iterable[str]) -> None:
        """Put an alert in the outbox of each channel that wants it."""
        self.db["deliveries"].insert_all(
            ({"alert_id": alert_id, "channel": c, "status": "pending", "attempts": 0} for c in channels),
            ignore=True,
        )

    def pending(self, channel: str) -> list[int]:
        rows = self.db.execute(
            "SELECT alert_id FROM deliveries WHERE channel = ? AND status = 'pending' ORDER BY alert_id",
            [channel],
        ).fetchall()
        return [row[0] for row in rows]

    def article_count(self) -> int:
        return self.db["articles"].count
