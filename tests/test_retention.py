"""Retention: old articles go with their alerts, stories and index entries; what is pending never goes;
a feed that still lists a pruned article does not bring it back as a new alert."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

from bot import stories
from bot.models import Article
from bot.store import Store, iso, utcnow
from bot.store import queries as query
from bot.store.retention import prune
from bot.store.search import search
from bot.stories import fingerprint


def age_everything(db_path, days: int) -> None:
    db = sqlite3.connect(db_path)
    db.execute("UPDATE articles SET first_seen = ?", [iso(utcnow() - timedelta(days=days))])
    db.commit()
    db.close()


def test_prune_keeps_the_new_and_drops_the_old_consistently(site, write_config, cli, tmp_path):
    config = write_config([{"name": "Euphrates", "url": site.url("/euphrates/feed.xml")}])
    code, out, _ = cli("check", "--config", config, "--json")
    old_alerts = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and old_alerts
    age_everything(tmp_path / "wirewatch.db", 200)
    config = write_config([{"name": "Euphrates", "url": site.url("/euphrates/feed.xml")},
                           {"name": "Atom", "url": site.url("/atom/feed.atom")}])  # fmt: skip
    code, out, _ = cli("check", "--config", config, "--json")
    new_alerts = [json.loads(line) for line in out.splitlines()]
    assert new_alerts  # the Atom feed's articles: recent

    store = Store.open(tmp_path / "wirewatch.db")
    try:
        counts = prune(store, keep=180 * 86400)
        assert counts["articles"] > 0 and counts["alerts"] == len(old_alerts)
        urls = {r[0] for r in store.db.execute("SELECT url FROM articles")}
        assert urls and not urls & {a["url"] for a in old_alerts}
        assert {a["url"] for a in new_alerts} <= urls
        # nothing left pointing at a pruned article, and the index agrees with the table
        for table in ("matches", "article_urls", "fingerprints", "story_bands", "alerts"):
            orphans = store.db.execute(
                f"SELECT count(*) FROM {table} WHERE article_id NOT IN (SELECT id FROM articles)"  # noqa: S608
            ).fetchone()[0]
            assert orphans == 0, table
        # FTS5's own check that its index matches the articles table: raises "database disk image is malformed"
        store.db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        assert store.db.execute("SELECT count(*) FROM stories WHERE first_article IS NULL").fetchone()[0] == 0
        recent = query.recent(store, limit=50)
        assert {r["url"] for r in recent} == {a["url"] for a in new_alerts}
        old_word = old_alerts[0]["title"].split()[0]
        assert all(r["url"] in urls for r in search(store, f'"{old_word}"'))
    finally:
        store.close()

    code, out, _ = cli("check", "--config", config, "--json")  # the feeds still list the pruned articles
    assert code == 0 and out == ""


def test_an_alert_still_owed_to_a_channel_is_never_pruned(site, write_config, cli, tmp_path):
    config = write_config(
        [{"name": "Euphrates", "url": site.url("/euphrates/feed.xml")}],
        channels=[{"slack": "#syria-alerts"}],
        slack={"bot_token": "xoxb-unused", "api_url": "http://127.0.0.1:9/api/"},
    )
    code, out, _ = cli("check", "--config", config, "--json")  # nothing listens: the alerts stay pending
    alerts = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and alerts
    age_everything(tmp_path / "wirewatch.db", 365)
    store = Store.open(tmp_path / "wirewatch.db")
    try:
        prune(store, keep=180 * 86400)
        kept = {r[0] for r in store.db.execute("SELECT url FROM articles")}
        assert {a["url"] for a in alerts} <= kept
        assert store.db.execute("SELECT count(*) FROM deliveries WHERE status = 'pending'").fetchone()[0] == len(alerts)
    finally:
        store.close()


def report(i: int, text: str) -> Article:
    url = f"https://x.example/{i}"
    return Article(source="S", url=url, canonical_url=url, title=f"report {i}", text=text)


def test_prune_shrinks_the_index_and_keeps_the_band_keys_of_what_stays(tmp_path):
    """FTS5 keeps a deleted article's postings until its segment is merged: once a quarter of the stored
    articles were pruned, prune merges the index whole. Band keys go by (key, article): a kept copy with
    the same keys as a pruned original keeps all of its own."""
    store = Store.open(tmp_path / "wirewatch.db")
    texts = [" ".join(f"w{i}x{k}" for k in range(300)) for i in range(200)]
    try:
        with store.transaction():
            for i, text in enumerate(texts):
                store.add_article(report(i, text), [], fresh=False, fingerprint=fingerprint(text))
            copy = store.add_article(report(999, texts[0]), [], fresh=False, fingerprint=fingerprint(texts[0]))
        assert copy.joined  # the same text: the same band keys as article 1
        store.db.execute("UPDATE articles SET first_seen = ? WHERE id != ?",
                         [iso(utcnow() - timedelta(days=200)), copy.article_id])  # fmt: skip
        pages = store.db.execute("SELECT count(*) FROM articles_fts_data").fetchone()[0]

        counts = prune(store, keep=180 * 86400)

        assert counts["articles"] == 200 and counts["index_merged"] == 1
        bands = store.db.execute("SELECT article_id, count(*) FROM story_bands GROUP BY article_id").fetchall()
        assert bands == [(copy.article_id, stories.BANDS)]
        assert store.db.execute("SELECT count(*) FROM articles_fts_data").fetchone()[0] < pages / 10
        store.db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        hits = store.db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'w0x7 OR w5x7'").fetchall()
        assert hits == [(copy.article_id,)]

        # a prune of fewer than a quarter of the stored articles leaves the index alone, and counts them
        with store.transaction():
            for i in range(10):
                store.add_article(report(2000 + i, texts[i + 1]), [], fresh=False, fingerprint=None)
        store.db.execute("UPDATE articles SET first_seen = ? WHERE id = ?",
                         [iso(utcnow() - timedelta(days=200)), copy.article_id])  # fmt: skip
        assert prune(store, keep=180 * 86400)["index_merged"] == 0
        assert store.db.execute("SELECT value FROM meta WHERE key = 'pruned_since_merge'").fetchone() == ("1",)
    finally:
        store.close()


def test_every_reference_to_another_table_is_indexed(tmp_path):
    """Deleting a row makes SQLite look up the rows whose foreign keys point at it: without an index on the
    referencing column that is a scan of the whole table for every row deleted (retention deletes ~10,000
    articles a day at 1,000 sources: 4 minutes at 300,000 stored articles, bench/retention.py)."""
    store = Store.open(tmp_path / "wirewatch.db")
    try:
        db = store.db
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        unindexed = []
        for table in tables:
            leading = {db.execute(f"PRAGMA index_info('{index}')").fetchone()[2]
                       for _, index, *_ in db.execute(f"PRAGMA index_list('{table}')")}  # fmt: skip
            leading |= {r[1] for r in db.execute(f"PRAGMA table_info('{table}')") if r[5] == 1}  # the primary key
            for fk in db.execute(f"PRAGMA foreign_key_list('{table}')"):
                if fk[3] not in leading:
                    unindexed.append(f"{table}.{fk[3]}")
        assert unindexed == []
    finally:
        store.close()
