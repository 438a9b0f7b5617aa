"""An article seen again with a changed title or text updates the stored copy and never re-alerts a group;
an update that brings a new group raises one alert, for that group only."""

from __future__ import annotations

import json
import sqlite3

import pytest

from bot.demo.server import SiteServer

PARAGRAPH = (
    "Local sources said a convoy of twelve vehicles crossed the river at dawn and moved towards the desert "
    "road, where checkpoints were reinforced overnight and residents reported drones over the villages. "
)


def feed(title: str, body: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Wire</title>
<item><title>{title}</title><link>{{{{BASE}}}}/news/1.html</link><pubDate>{{{{RFC822:-1h}}}}</pubDate>
<description>Teaser.</description><content:encoded><![CDATA[<p>{body}</p>]]></content:encoded></item>
</channel></rss>"""


@pytest.fixture
def wire(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    with SiteServer(root) as server:
        yield root, server


def cycle(cli, config) -> list[dict]:
    code, out, err = cli("check", "--config", config, "--json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_updates_alert_only_new_groups(wire, write_config, cli, tmp_path):
    root, server = wire
    config = write_config([{"name": "Wire", "url": server.url("/feed.xml")}])
    body = PARAGRAPH * 3 + "Hezbollah fighters were seen near the bridge."
    (root / "feed.xml").write_text(feed("Convoy crosses the river", body), encoding="utf-8")
    first = cycle(cli, config)
    assert [a["keywords"] for a in first] == [["Hezbollah"]]

    # a correction: the text now also names the Nujaba movement -> one alert, for the new group only
    (root / "feed.xml").write_text(feed("Convoy crosses the river", body + " A Nujaba commander confirmed it."))
    second = cycle(cli, config)
    assert [a["keywords"] for a in second] == [["Nujaba"]]
    assert second[0]["story"] == first[0]["story"]

    # a new headline and a reworded sentence: stored, never alerted again
    (root / "feed.xml").write_text(feed("UPDATED: Convoy crosses the Euphrates", body + " The Nujaba said so."))
    assert cycle(cli, config) == []
    db = sqlite3.connect(tmp_path / "wirewatch.db")
    title, text = db.execute("SELECT title, text FROM articles").fetchone()
    assert title == "UPDATED: Convoy crosses the Euphrates" and text.endswith("The Nujaba said so.")
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'UPDATED'").fetchone()[0] == 1

    # unchanged: nothing happens, and the feed answers 304
    server.reset_counts()
    assert cycle(cli, config) == []
    assert server.statuses == [("/feed.xml", 304)]
