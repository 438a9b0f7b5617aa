"""Everything that must survive a restart, in one SQLite file (sqlite-utils, WAL).

Articles are keyed by canonical URL; every other spelling of an article's URL is kept in
``article_urls`` so that a link seen again (in another feed, on a listing page, behind new tracking
parameters) is recognised without fetching it. An alert is a row in the outbox, written in the same
transaction as its article, so that a crash between storing and delivering never loses it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from bot.errors import QueryError, WirewatchError
from bot.models import Alert, Article, Match

SCHEMA_VERSION = 1


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


class Store:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

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
            conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
            db = sqlite_utils.Database(conn)
            if str(path) != ":memory:":
                db.enable_wal()
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise WirewatchError(f"{path}: cannot open the database ({exc})") from exc
        return store

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
        with self.transaction():
            for step in range(version + 1, SCHEMA_VERSION + 1):
                _MIGRATIONS[step](db)
            db["meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")

    # ---------------------------------------------------------------------------- conditional GET

    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self.db.execute("SELECT etag, last_modified FROM http_cache WHERE url = ?", [url]).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.db["http_cache"].upsert(
            {"url": url, "etag": etag, "last_modified": last_modified, "checked": iso(utcnow())}, pk="url"
        )

    # ------------------------------------------------------------------------------------- sources

    def record_poll(self, name: str, url: str, type_: str, error: str | None, new_articles: int) -> None:
        now = iso(utcnow())
        row = self.db.execute("SELECT errors, articles FROM sources WHERE name = ?", [name]).fetchone()
        errors, articles = row if row else (0, 0)
        record = {"name": name, "url": url, "type": type_, "last_poll": now,
                  "articles": (articles or 0) + new_articles}  # fmt: skip
        if error:
            record.update(last_error=error, last_error_at=now, errors=(errors or 0) + 1)
        else:
            record.update(last_ok=now, errors=0)
        self.db["sources"].upsert(record, pk="name", alter=False)

    def sources(self) -> list[SourceState]:
        rows = self.db.execute(
            "SELECT name, url, type, last_poll, last_ok, last_error, errors, articles FROM sources ORDER BY name"
        ).fetchall()
        return [SourceState(*row) for row in rows]

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
        self, article: Article, matches: list[Match], alert: bool, snippet: str = ""
    ) -> tuple[int, Alert | None]:
        """Store a new article (and its alert, in the same transaction). Call inside ``transaction()``.

        Returns the article id and the new alert, or the existing id and None when the canonical URL was
        already stored (the article is then only given its new aliases).
        """
        existing = self.known([article.canonical_url, *article.aliases])
        if existing is not None:
            for url in (article.canonical_url, *article.aliases):
                self.add_alias(existing, url)
            return existing, None
        now = iso(utcnow())
        article_id = (
            self.db["articles"]
            .insert(
                {
                    "url": article.url,
                    "canonical_url": article.canonical_url,
                    "source": article.source,
                    "title": article.title,
                    "published": iso(article.published),
                    "text": article.text,
                    "lang": article.lang,
                    "first_seen": now,
                }
            )
            .last_pk
        )
        for url in {article.canonical_url, *article.aliases}:
            self.add_alias(article_id, url)
        if matches:
            self.db["matches"].insert_all(
                {"article_id": article_id, "keyword": m.keyword, "term": m.term, "found": m.found,
                 "start": m.start, "end": m.end}
                for m in matches
            )  # fmt: skip
        if not alert or not matches:
            return article_id, None
        keywords = list(dict.fromkeys(m.keyword for m in matches))
        alert_id = self.db["alerts"].insert(
            {"article_id": article_id, "keywords": json.dumps(keywords, ensure_ascii=False),
             "snippet": snippet, "created": now}
        ).last_pk  # fmt: skip
        return article_id, Alert(
            id=alert_id, article_id=article_id, url=article.url, title=article.title, source=article.source,
            published=article.published, keywords=keywords, snippet=snippet, matches=matches,
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

    # ------------------------------------------------------------------------------------- queries

    def recent_alerts(self, keyword: str | None = None, limit: int = 20) -> list[dict]:
        sql = (
            "SELECT alerts.id AS alert_id, alerts.created, alerts.keywords, alerts.snippet, articles.url, "
            "articles.title, articles.source, articles.published FROM alerts "
            "JOIN articles ON articles.id = alerts.article_id "
        )
        params: list = []
        if keyword:
            sql += "WHERE alerts.id IN (SELECT alerts.id FROM alerts, json_each(alerts.keywords) "
            sql += "WHERE json_each.value = ? COLLATE NOCASE) "
            params.append(keyword)
        sql += "ORDER BY alerts.id DESC LIMIT ?"
        params.append(limit)
        return [_decode(row) for row in self.db.query(sql, params)]

    def search(self, query: str, limit: int = 20) -> list[dict]:
        sql = (
            "SELECT articles.id, articles.url, articles.title, articles.source, articles.published, "
            "articles.first_seen, snippet(articles_fts, 1, '[', ']', ' … ', 16) AS snippet "
            "FROM articles_fts JOIN articles ON articles.rowid = articles_fts.rowid "
            "WHERE articles_fts MATCH ? ORDER BY rank LIMIT ?"
        )
        try:
            return list(self.db.query(sql, [query, limit]))
        except sqlite3.OperationalError as exc:
            message = str(exc).removeprefix("fts5: ")
            raise QueryError(
                f'cannot search for "{query}": {message}. Put a phrase in double quotes, '
                'e.g. "Deir ez-Zor", or use AND / OR / NOT between words'
            ) from exc


def _decode(row: dict) -> dict:
    row = dict(row)
    row["keywords"] = json.loads(row["keywords"])
    return row


def _v1(db: sqlite_utils.Database) -> None:
    db["sources"].create(
        {"name": str, "url": str, "type": str, "last_poll": str, "last_ok": str, "last_error": str,
         "last_error_at": str, "errors": int, "articles": int},
        pk="name",
    )  # fmt: skip
    db["http_cache"].create({"url": str, "etag": str, "last_modified": str, "checked": str}, pk="url")
    db["articles"].create(
        {"id": int, "url": str, "canonical_url": str, "source": str, "title": str, "published": str,
         "text": str, "lang": str, "first_seen": str},
        pk="id",
    )  # fmt: skip
    db["articles"].create_index(["canonical_url"], unique=True)
    db["articles"].create_index(["first_seen"])
    db["article_urls"].create({"url": str, "article_id": int}, pk="url", foreign_keys=[("article_id", "articles")])
    db["gone_urls"].create({"url": str, "reason": str, "seen": str}, pk="url")
    db["matches"].create(
        {"id": int, "article_id": int, "keyword": str, "term": str, "found": str, "start": int, "end": int},
        pk="id",
        foreign_keys=[("article_id", "articles")],
    )
    db["matches"].create_index(["article_id"])
    db["matches"].create_index(["keyword"])
    db["alerts"].create(
        {"id": int, "article_id": int, "keywords": str, "snippet": str, "created": str},
        pk="id",
        foreign_keys=[("article_id", "articles")],
    )
    db["deliveries"].create(
        {"id": int, "alert_id": int, "channel": str, "status": str, "attempts": int, "last_error": str,
         "receipt": str, "sent_at": str},
        pk="id",
        foreign_keys=[("alert_id", "alerts")],
    )  # fmt: skip
    db["deliveries"].create_index(["alert_id", "channel"], unique=True)
    db["deliveries"].create_index(["channel", "status"])
    db["articles"].enable_fts(["title", "text"], fts_version="FTS5", create_triggers=True,
                              tokenize="unicode61 remove_diacritics 2")  # fmt: skip


_MIGRATIONS = {1: _v1}
