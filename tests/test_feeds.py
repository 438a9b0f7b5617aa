"""Feeds take two roads: fastfeedparser for well-formed UTF-8, feedparser for the rest. Both must give the same
entries wherever the fast one is taken, and the rest must keep feedparser's repairs and warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.extract import feeds
from bot.extract.feeds import parse_feed

SITES = Path(__file__).parent / "data" / "sites"
BASE = "https://fixtures.example"


def fixture(path: Path) -> bytes:
    return path.read_bytes().replace(b"{{BASE}}", BASE.encode())


WELL_FORMED = sorted(p for p in SITES.glob("*/feed.*") if p.parent.name != "broken")

ATOM_RELATIVE = (
    """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom &amp; relative</title>
<entry><title type="html">&lt;b&gt;Convoy&lt;/b&gt; reaches
&#1583;&#1610;&#1585; &#1575;&#1604;&#1586;&#1608;&#1585;</title>
<link rel="alternate" href="/news/convoy.html"/><link rel="enclosure" href="/img/1.jpg"/>
<id>tag:x,2026:1</id><updated>2026-11-20T08:00:00Z</updated><summary>Short.</summary>
<content type="html">&lt;p&gt;"""
    + "Long text of the convoy story. " * 30
    + """&lt;/p&gt;</content></entry>
<entry><title>No link, a guid only</title><id>https://x.example/by-id</id><published>2026-11-19T10:30:00+03:00</published>
</entry></feed>"""
)

RSS_ARABIC = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>الفرات</title>
<item><title>رتل &amp; تعزيزات</title><link>https://ar.example/news/1.html</link>
<guid isPermaLink="false">1</guid><pubDate>Fri, 20 Nov 2026 08:00:00 +0300</pubDate>
<description><![CDATA[<p>نص <b>قصير</b></p>]]></description></item>
<item><title>بلا رابط</title><guid>https://ar.example/news/2.html</guid></item>
</channel></rss>"""

CASES = [*(pytest.param(fixture(p), id=p.parent.name) for p in WELL_FORMED),
         pytest.param(ATOM_RELATIVE.encode(), id="atom-relative"),
         pytest.param(RSS_ARABIC.encode(), id="rss-arabic")]  # fmt: skip


@pytest.mark.parametrize("content", CASES)
def test_fast_road_gives_what_feedparser_gives(content):
    url = "https://x.example/feeds/main.xml"
    fast = feeds._fast(content, url, None)
    assert fast is not None, "a well-formed UTF-8 feed takes the fast road"
    slow = feeds._feedparser(content, url, "application/rss+xml", None)
    assert fast.entries == slow.entries
    assert fast.title == slow.title
    assert fast.entries, "the case has entries to compare"


def test_fast_road_reads_relative_links_titles_and_dates():
    feed = parse_feed(ATOM_RELATIVE.encode(), "https://x.example/feeds/main.xml")
    convoy, by_id = feed.entries
    assert convoy.url == "https://x.example/news/convoy.html"
    assert convoy.title == "Convoy reaches دير الزور"
    assert convoy.content.startswith("Long text of the convoy story.") and convoy.summary == "Short."
    assert convoy.published.isoformat() == "2026-11-20T08:00:00+00:00"
    assert by_id.url == "https://x.example/by-id" and by_id.published.isoformat() == "2026-11-19T07:30:00+00:00"


@pytest.mark.parametrize(
    ("content", "charset"),
    [
        pytest.param(
            RSS_ARABIC.encode("cp1256", errors="strict").replace(
                b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="windows-1256"?>'
            ),
            None,
            id="declared-legacy",
        ),
        pytest.param(RSS_ARABIC.encode(), "windows-1256", id="http-charset-disagrees"),
        pytest.param(RSS_ARABIC.replace("&amp;", "&nbsp;").encode(), None, id="undeclared-entity"),
        pytest.param(b"<html><body><p>not a feed</p></body></html>", None, id="html"),
        pytest.param(
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>', None, id="empty-feed"
        ),
    ],
)
def test_anything_else_takes_feedparser(content, charset):
    assert feeds._fast(content, "https://x.example/feed", charset) is None


def test_legacy_encoding_is_still_read():
    legacy = RSS_ARABIC.encode("cp1256").replace(
        b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="windows-1256"?>'
    )
    feed = parse_feed(legacy, "https://ar.example/feed")
    assert [e.title for e in feed.entries] == ["رتل & تعزيزات", "بلا رابط"]
