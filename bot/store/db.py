"""The database: one SQLite file (sqlite-utils, WAL) holding everything that must survive a restart.

Only this package writes SQL (bot/store/): ``Store`` is the connection, its transactions and migrations, with
the methods the poll's writer calls on articles (articles.py) and sources (sources.py); the outbox, the read
queries behind the CLI and chat commands, retention and Matrix logins are functions over a Store in modules of
their own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import WirewatchError
from bot.store.articles import ArticleRows
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION
from bot.store.sources import SourceRows

if TYPE_CHECKING:
    import sqlite_utils


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


class Store(ArticleRows, SourceRows):
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
        """A store for ``bot.store.queries`` only (execute and query), on a plain connection; a database that
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
        """All-or-nothing; nests (inner blocks are sqlite-utils' savepoints).

        The outer block takes the write lock at once (BEGIN IMMEDIATE). A deferred BEGIN reads first (is the
        URL known? which story?) and asks for the lock at its first write; if another connection (the outbox's
        sender) committed in between, SQLite refuses that write at once with "database is locked"
        (SQLITE_BUSY_SNAPSHOT), which no busy timeout waits out: a source's first poll failed that way, and its
        items dropped out of the feed before the retry (bench/latency.py). Taken at BEGIN, the lock is waited
        for (up to the connection's 30 s timeout) like any other."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:  # an error may have ended it already
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

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


def writable(path: Path) -> str | None:
    """Why the database at ``path`` cannot take a write now (None: it can). Takes the write lock, writes nothing."""
    try:
        db = sqlite3.connect(path, timeout=2, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
        finally:
            db.close()
    except sqlite3.Error as exc:
        return str(exc)
    return None
