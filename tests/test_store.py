"""The store: schema migrations in place, and the outbox/story invariants the pipeline relies on."""

from __future__ import annotations

import json
import sqlite3

import sqlite_utils

from bot.models import Article, Match
from bot.store import Store, schema
from bot.stories import fingerprint

TEXT = " ".join(f"word{i} of the long report on the water station in the eastern countryside" for i in range(40))


def make_v1(path) -> None:
    """A database exactly as wirewatch 0.1 (schema 1) left it: two articles, one alerted."""
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db["meta"].create({"key": str, "value": str}, pk="key")
    schema.v1(db)
    db["meta"].insert({"key": "schema_version", "value": "1"})
    for i in (1, 2):
        db.execute(
            "INSERT INTO articles (url, canonical_url, source, title, published, text, lang, first_seen) "
            "VALUES (?, ?, 'S', ?, NULL, ?, 'en', '2026-11-20T10:00:00+00:00')",
            [f"https://x.example/{i}", f"https://x.example/{i}", f"title {i}", TEXT + str(i)],
        )
    db.execute(
        "INSERT INTO alerts (article_id, keywords, snippet, created) VALUES (1, ?, 's', '2026-11-20T10:00:00+00:00')",
        [json.dumps(["Deir ez-Zor"])],
    )
    conn.close()


def test_v1_database_migrates_in_place(tmp_path):
    path = tmp_path / "old.db"
    make_v1(path)
    store = Store.open(path)
    assert store.schema_version() == schema.SCHEMA_VERSION
    stories = store.db.execute("SELECT id, first_article, title FROM stories ORDER BY id").fetchall()
    assert [(s[1], s[2]) for s in stories] == [(1, "title 1"), (2, "title 2")]
    assert store.db.execute("SELECT count(*) FROM fingerprints").fetchone()[0] == 2
    assert store.db.execute("SELECT story_id, keyword FROM story_keywords").fetchall() == [
        (stories[0][0], "Deir ez-Zor")
    ]
    # the old alert's story is remembered: a republication of article 1 does not alert Deir ez-Zor again
    copy = Article(source="T", url="https://y.example/1", canonical_url="https://y.example/1", title="other",
                   text=TEXT + "1")  # fmt: skip
    with store.transaction():
        matches = [Match("Deir ez-Zor", "Deir ez-Zor", "Deir ez-Zor", 0, 11)]
        stored = store.add_article(copy, matches, fresh=True, fingerprint=fingerprint(copy.text))
    assert stored.joined and stored.story_id == stories[0][0] and stored.alert is None
    store.close()
    assert Store.open(path).schema_version() == schema.SCHEMA_VERSION  # opening again is a no-op


def test_v9_band_index_is_rebuilt_in_the_current_layout(tmp_path):
    """Schema 10 changed the story band layout (16 bands of 4 digest values to 21 of 3). The digests stay; the
    index is rebuilt from them, so that lookups and retention's deletes by key find what is stored."""
    import hashlib
    import struct

    from bot import stories

    def old_keys(print_: stories.Fingerprint) -> list[int]:  # schema 9's layout, as bot/stories.py wrote it
        return [int.from_bytes(hashlib.blake2b(struct.pack("<B4I", band, *print_.digest[band * 4 : band * 4 + 4]),
                                               digest_size=8).digest(), "little", signed=True)
                for band in range(16)]  # fmt: skip

    path = tmp_path / "w.db"
    store = Store.open(path)
    words = TEXT.split()
    with store.transaction():
        article = Article(source="S", url="https://x.example/a", canonical_url="https://x.example/a", title="t",
                          text=TEXT)  # fmt: skip
        stored = store.add_article(article, [], fresh=False, fingerprint=fingerprint(TEXT))
    print_ = fingerprint(TEXT)
    store.db.execute("DELETE FROM story_bands")
    store.db.conn.executemany("INSERT INTO story_bands (key, article_id) VALUES (?, ?)",
                              [(key, stored.article_id) for key in old_keys(print_)])  # fmt: skip
    store.db.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    store.close()

    store = Store.open(path)
    assert store.schema_version() == schema.SCHEMA_VERSION
    bands = store.db.execute("SELECT key FROM story_bands WHERE article_id = ?", [stored.article_id]).fetchall()
    assert sorted(key for (key,) in bands) == sorted(print_.band_keys())
    cut = " ".join(words[: int(len(words) * 0.7)])
    with store.transaction():
        copy = Article(source="T", url="https://y.example/a", canonical_url="https://y.example/a", title="u", text=cut)
        assert store.add_article(copy, [], fresh=False, fingerprint=fingerprint(cut)).story_id == stored.story_id
    store.close()


def test_newer_database_is_refused(tmp_path):
    path = tmp_path / "new.db"
    Store.open(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    import pytest

    from bot.errors import WirewatchError

    with pytest.raises(WirewatchError, match="schema version 99, newer than this wirewatch"):
        Store.open(path)


def test_alert_and_article_are_one_transaction(tmp_path):
    store = Store.open(tmp_path / "w.db")
    article = Article(source="S", url="https://x.example/a", canonical_url="https://x.example/a", title="t", text=TEXT)
    try:
        with store.transaction():
            store.add_article(article, [Match("K", "k", "k", 0, 1)], fresh=True, fingerprint=fingerprint(TEXT))
            raise RuntimeError("crash between storing and committing")
    except RuntimeError:
        pass
    assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM story_keywords").fetchone()[0] == 0


def test_opening_a_current_database_writes_nothing(tmp_path):
    """``wirewatch recent`` while the bot holds a write transaction: opening must not need the write lock."""
    path = tmp_path / "wirewatch.db"
    Store.open(path).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # what the running bot's writer thread holds while it stores a source
    try:
        store = Store.open(path)  # would wait for the lock (timeout 30 s) and fail if it wrote
        assert store.schema_version() == schema.SCHEMA_VERSION
        store.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_alerts_stored_before_the_marks_get_theirs_when_migrated(tmp_path):
    """Schema 6 keeps where the spelling that fired sits in an alert's snippet; an older alert's is found once,
    from its article's matches, when the database is migrated."""
    from bot.store import outbox

    path = tmp_path / "old.db"
    make_v1(path)
    conn = sqlite3.connect(path, isolation_level=None)
    snippet = "… trucks reached Dayr al-Zor on Tuesday …"
    conn.execute("UPDATE alerts SET snippet = ? WHERE article_id = 1", [snippet])
    conn.execute("INSERT INTO matches (article_id, keyword, term, found, start, end) "
                 "VALUES (1, 'Deir ez-Zor', 'Deir ez-Zor', 'Dayr al-Zor', 40, 51)")  # fmt: skip
    conn.close()
    store = Store.open(path)
    alert_id = store.db.execute("SELECT id FROM alerts").fetchone()[0]
    shown = outbox.alerts(store, [alert_id])[alert_id]
    assert shown.mark is not None and shown.snippet[shown.mark[0] : shown.mark[1]] == "Dayr al-Zor"
    store.close()


def test_a_commit_from_another_connection_between_a_read_and_a_write_waits_instead_of_failing(tmp_path):
    """The writer reads (is the URL known?) then writes; the outbox's sender, on its own connection, commits an
    update in between. With a deferred BEGIN that write failed at once ("database is locked"); now the sender
    waits for the writer's transaction, and both land."""
    import threading

    from bot.models import Article
    from bot.store import Store

    writer, sender = Store.open(tmp_path / "w.db"), Store.open(tmp_path / "w.db")
    try:
        with writer.transaction():
            sender_done = threading.Event()
            assert writer.known(["https://a.example/1"]) is None  # the read that starts the snapshot

            def other() -> None:
                with sender.transaction():
                    sender.db.execute("INSERT INTO meta (key, value) VALUES ('probe', '1')")
                sender_done.set()

            thread = threading.Thread(target=other)
            thread.start()
            assert not sender_done.wait(0.5)  # it waits for the writer's lock
            article = Article(source="s", url="https://a.example/1", canonical_url="https://a.example/1",
                              title="t", text="x")  # fmt: skip
            writer.add_article(article, [], False, None, "feed", fingerprint=None)
        thread.join(10)
        assert sender_done.is_set()
        assert writer.known(["https://a.example/1"]) is not None
        assert writer.db.execute("SELECT value FROM meta WHERE key = 'probe'").fetchone() == ("1",)
    finally:
        writer.close()
        sender.close()
