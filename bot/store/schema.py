"""The database schema, as numbered migrations: each takes the previous version to the next.

A database is never rebuilt or dropped; a newer wirewatch migrates an older file in place, in one
transaction, and records the version in ``meta``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

SCHEMA_VERSION = 10


def v1(db: sqlite_utils.Database) -> None:
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


def v2(db: sqlite_utils.Database) -> None:
    """Stories: near-duplicate articles share a story; alerts are per story and keyword group."""
    from bot import stories
    from bot.store.articles import save_fingerprint

    db.execute("ALTER TABLE articles ADD COLUMN story_id INTEGER")
    db.execute("ALTER TABLE articles ADD COLUMN content_hash TEXT")
    db.execute("ALTER TABLE articles ADD COLUMN origin TEXT")  # where the text came from: feed | page
    db.execute("CREATE INDEX articles_story ON articles (story_id)")
    db.execute("ALTER TABLE alerts ADD COLUMN story_id INTEGER")
    db.execute(
        "CREATE TABLE stories (id INTEGER PRIMARY KEY, first_article INTEGER, title TEXT, first_source TEXT, "
        "created TEXT, last_seen TEXT, members INTEGER NOT NULL DEFAULT 1)"
    )
    db.execute("CREATE INDEX stories_last_seen ON stories (last_seen)")
    db.execute("CREATE TABLE fingerprints (article_id INTEGER PRIMARY KEY, digest BLOB NOT NULL, shingles INTEGER)")
    db.execute(
        "CREATE TABLE story_bands (key INTEGER NOT NULL, article_id INTEGER NOT NULL, "
        "PRIMARY KEY (key, article_id)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE story_keywords (story_id INTEGER NOT NULL, keyword TEXT NOT NULL, alert_id INTEGER, "
        "PRIMARY KEY (story_id, keyword)) WITHOUT ROWID"
    )
    # Existing articles: each its own story (they were alerted one by one), fingerprinted for the future.
    rows = db.execute("SELECT id, title, source, first_seen, text FROM articles ORDER BY id").fetchall()
    for article_id, title, source, seen, text in rows:
        story = db.execute(
            "INSERT INTO stories (first_article, title, first_source, created, last_seen) VALUES (?, ?, ?, ?, ?)",
            [article_id, title, source, seen, seen],
        ).lastrowid
        db.execute("UPDATE articles SET story_id = ?, origin = 'page' WHERE id = ?", [story, article_id])
        print_ = stories.fingerprint(text or "")
        if print_ is not None:
            save_fingerprint(db, article_id, print_)
    for alert_id, article_id, keywords in db.execute("SELECT id, article_id, keywords FROM alerts").fetchall():
        story = db.execute("SELECT story_id FROM articles WHERE id = ?", [article_id]).fetchone()[0]
        db.execute("UPDATE alerts SET story_id = ? WHERE id = ?", [story, alert_id])
        for keyword in json.loads(keywords):
            db.execute(
                "INSERT OR IGNORE INTO story_keywords (story_id, keyword, alert_id) VALUES (?, ?, ?)",
                [story, keyword, alert_id],
            )
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('fingerprint', ?)", [stories.version()])


def v3(db: sqlite_utils.Database) -> None:
    """Chat delivery: follow-ups in an alert's thread, groups muted per channel, Matrix logins."""
    db.execute(
        "CREATE TABLE followups (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, story_id INTEGER NOT NULL, "
        "article_id INTEGER NOT NULL REFERENCES articles(id), status TEXT NOT NULL DEFAULT 'pending', "
        "attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, receipt TEXT, created TEXT, sent_at TEXT, "
        "UNIQUE (channel, article_id))"
    )
    db.execute("CREATE INDEX followups_pending ON followups (channel, status)")
    db.execute(
        "CREATE TABLE mutes (channel TEXT NOT NULL, keyword TEXT NOT NULL, until TEXT NOT NULL, by TEXT, "
        "PRIMARY KEY (channel, keyword)) WITHOUT ROWID"
    )
    db.execute("ALTER TABLE deliveries ADD COLUMN failed_at TEXT")
    # a source's failing streak: since when, and whether the admins' channel was told (bot/downtime.py)
    db.execute("ALTER TABLE sources ADD COLUMN failing_since TEXT")
    db.execute("ALTER TABLE sources ADD COLUMN down_notified TEXT")
    # a Matrix login made with a password once: its token and device, so the config never holds them
    db.execute(
        "CREATE TABLE chat_sessions (homeserver TEXT NOT NULL, user_id TEXT NOT NULL, access_token TEXT NOT NULL, "
        "device_id TEXT, created TEXT, PRIMARY KEY (homeserver, user_id))"
    )


def v4(db: sqlite_utils.Database) -> None:
    """Telegram channels: the newest message id read per channel (by its source URL), so that later polls
    read only what is newer; and where a forwarded message came from."""
    db.execute("CREATE TABLE telegram_channels (url TEXT PRIMARY KEY, newest INTEGER NOT NULL, checked TEXT)")
    db.execute("ALTER TABLE articles ADD COLUMN forwarded_from TEXT")
    db.execute("ALTER TABLE articles ADD COLUMN forwarded_url TEXT")


def v5(db: sqlite_utils.Database) -> None:
    """The tables that point at an article by ``article_id`` without an index on it: deleting an article (the
    daily retention job) had SQLite scan each of them whole for every article, to check the foreign keys
    (4 minutes a day at 300,000 stored articles, bench/retention.py); ~18 bytes an article."""
    db.execute("CREATE INDEX IF NOT EXISTS article_urls_article ON article_urls (article_id)")
    db.execute("CREATE INDEX IF NOT EXISTS alerts_article ON alerts (article_id)")
    db.execute("CREATE INDEX IF NOT EXISTS followups_article ON followups (article_id)")


def v6(db: sqlite_utils.Database) -> None:
    """Where in an alert's snippet the spelling that fired sits, so that the renderers highlight it without
    looking for it again. Alerts stored before: the first of their article's matched spellings found in the
    snippet (what the renderers looked for), or none."""
    db.execute("ALTER TABLE alerts ADD COLUMN mark_start INTEGER")
    db.execute("ALTER TABLE alerts ADD COLUMN mark_end INTEGER")
    rows = db.execute("SELECT id, article_id, keywords, snippet FROM alerts WHERE snippet != ''").fetchall()
    for alert_id, article_id, keywords, snippet in rows:
        groups = set(json.loads(keywords))
        found = db.execute("SELECT keyword, found FROM matches WHERE article_id = ? ORDER BY start", [article_id])
        for keyword, spelling in found.fetchall():
            spelling = " ".join((spelling or "").split())
            at = snippet.find(spelling) if keyword in groups and spelling else -1
            if at >= 0:
                db.execute("UPDATE alerts SET mark_start = ?, mark_end = ? WHERE id = ?",
                           [at, at + len(spelling), alert_id])  # fmt: skip
                break


def v7(db: sqlite_utils.Database) -> None:
    """Search in every spelling: each article's loose key stream (bot/text/normalise.py), indexed by FTS5 beside
    its text, so that a query for a name finds it as the alerts do (bot/store/queries.py). The keys of articles
    stored before are computed by ``wirewatch run`` in the background (``unkeyed`` / ``save_keys``); until then
    search finds them by their text alone."""
    db.execute("CREATE TABLE article_keys_text (article_id INTEGER PRIMARY KEY REFERENCES articles(id), keys TEXT)")
    db.execute(
        "CREATE VIRTUAL TABLE article_keys USING fts5(keys, content='article_keys_text', content_rowid='article_id', "
        "tokenize='unicode61 remove_diacritics 0')"
    )
    db.execute(
        "CREATE TRIGGER article_keys_ai AFTER INSERT ON article_keys_text BEGIN "
        "INSERT INTO article_keys (rowid, keys) VALUES (new.article_id, new.keys); END"
    )
    db.execute(
        "CREATE TRIGGER article_keys_ad AFTER DELETE ON article_keys_text BEGIN "
        "INSERT INTO article_keys (article_keys, rowid, keys) VALUES ('delete', old.article_id, old.keys); END"
    )
    db.execute(
        "CREATE TRIGGER article_keys_au AFTER UPDATE ON article_keys_text BEGIN "
        "INSERT INTO article_keys (article_keys, rowid, keys) VALUES ('delete', old.article_id, old.keys); "
        "INSERT INTO article_keys (rowid, keys) VALUES (new.article_id, new.keys); END"
    )


def v8(db: sqlite_utils.Database) -> None:
    """Each source's own interval (bot/schedule.py): its items' times by source, and the interval the scheduler
    chose, why, and when it polls next, for ``wirewatch sources`` in another process."""
    db.execute("CREATE INDEX articles_source_seen ON articles (source, first_seen)")
    db.execute("ALTER TABLE sources ADD COLUMN every REAL")
    db.execute("ALTER TABLE sources ADD COLUMN every_why TEXT")
    db.execute("ALTER TABLE sources ADD COLUMN next_poll TEXT")


def v9(db: sqlite_utils.Database) -> None:
    """The morning brief (bot/brief.py): one row per channel and day, written before it is posted and marked with
    its receipt, as an alert's delivery is, so that each day's brief is posted once across restarts."""
    db.execute(
        "CREATE TABLE briefs (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, day TEXT NOT NULL, created TEXT, "
        "status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, receipt TEXT, sent_at TEXT, "
        "last_error TEXT, UNIQUE (channel, day))"
    )


def v10(db: sqlite_utils.Database) -> None:
    """The story band index in the layout of ``stories.BANDS`` x ``stories.ROWS`` (21 x 3, was 16 x 4), rebuilt
    from the stored fingerprints: the digests do not change, only which of their values make a band. The keys
    go through a temporary table and into the index in key order: at 1,000,000 articles 123 s, where inserting
    them as computed (random order in the B-tree) took 220 s."""
    from bot.store.articles import band_rows

    db.execute("DELETE FROM story_bands")
    db.execute("CREATE TEMP TABLE new_bands (key INTEGER, article_id INTEGER)")
    rows = db.execute("SELECT article_id, digest, shingles FROM fingerprints")
    while batch := rows.fetchmany(10_000):
        db.conn.executemany("INSERT INTO new_bands (key, article_id) VALUES (?, ?)", band_rows(batch))
    db.execute(
        "INSERT OR IGNORE INTO story_bands (key, article_id) SELECT key, article_id FROM new_bands "
        "ORDER BY key, article_id"
    )
    db.execute("DROP TABLE new_bands")


MIGRATIONS = {1: v1, 2: v2, 3: v3, 4: v4, 5: v5, 6: v6, 7: v7, 8: v8, 9: v9, 10: v10}
