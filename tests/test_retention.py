"""Retention: old articles go with their alerts, stories and index entries; what is pending never goes;
a feed that still lists a pruned article does not bring it back as a new alert."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

from bot.commands import query
from bot.retention import prune
from bot.store import Store, iso, utcnow


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
        assert all(r["url"] in urls for r in query.search(store, f'"{old_word}"'))
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
