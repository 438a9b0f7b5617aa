"""The read side on a store written by ``add_article``: stories, not pages; the newest alert first; one search
row per story, from its newest matching article, with that article's snippet."""

from __future__ import annotations

import pytest

from bot.errors import QueryError
from bot.models import Article, Match
from bot.store import Store
from bot.store import queries as query
from bot.store.search import search
from bot.stories import fingerprint


def report(n: int, extra: str = "") -> str:
    """A text of its own (a story of its own) unless copied: 60 words no other report shares."""
    return f"{extra} " + " ".join(f"w{n}x{i}" for i in range(60))


def add(store: Store, n: int, text: str, keywords: tuple[str, ...] = (), source: str = "S") -> int:
    article = Article(source=source, url=f"https://x.example/{n}", canonical_url=f"https://x.example/{n}",
                      title=f"title {n}", text=text)  # fmt: skip
    with store.transaction():
        matches = [Match(k, k, k, 0, 1) for k in keywords]
        return store.add_article(article, matches, fresh=True, fingerprint=fingerprint(text)).story_id


@pytest.fixture
def store(tmp_path):
    store = Store.open(tmp_path / "w.db")
    yield store
    store.close()


def test_recent_lists_stories_by_their_newest_alert(store):
    one = add(store, 1, report(1), ("Hezbollah",))
    two = add(store, 2, report(2), ("Nujaba",))
    three = add(store, 3, report(3), ("Hezbollah", "Nujaba"))
    assert add(store, 4, report(1), ("Hezbollah",), source="T") == one  # a copy: no new alert
    assert add(store, 5, report(1), ("Fatemiyoun",), source="U") == one  # a new group for story one: alerted

    assert [r["story"] for r in query.recent(store)] == [one, three, two]
    assert [r["story"] for r in query.recent(store, limit=2)] == [one, three]
    assert [r["story"] for r in query.recent(store, keyword="hezbollah")] == [three, one]  # any case
    assert query.recent(store, keyword="Kataib Hezbollah") == []
    first = query.recent(store)[0]
    assert (first["title"], first["source"], first["url"]) == ("title 1", "S", "https://x.example/1")
    assert (first["sources"], first["articles_count"]) == (3, 3)
    assert sorted(first["keywords"]) == ["Fatemiyoun", "Hezbollah"]
    assert [a["source"] for a in query.recent(store, limit=1, articles=True)[0]["articles"]] == ["S", "T", "U"]


def test_search_gives_one_row_per_story_with_its_newest_article(store):
    one = add(store, 1, report(1, "truce"))
    add(store, 2, report(1, "truce"), source="T")  # the same story from another outlet
    dense = add(store, 3, report(3, "truce truce truce talks"))
    add(store, 4, report(4, "no match here"))

    rows = search(store, "truce")
    assert [r["story"] for r in rows] == [dense, one]
    assert rows[0]["snippet"].startswith("[truce] [truce] [truce] talks")
    assert rows[1]["sources"] == 2 and "[truce]" in rows[1]["snippet"]
    assert [r["story"] for r in search(store, "truce", limit=1)] == [dense]
    assert search(store, "truc*") == rows  # a prefix query's snippets come from one pass, not lookups
    assert search(store, '"truce talks" OR w4x7')[0]["snippet"].count("[") == 1
    assert search(store, '"truce talks') == search(store, '"truce talks"')  # a quote left open closes at the end
    for bad in ("truce AND", "AND", "(truce"):
        with pytest.raises(QueryError, match="cannot search for"):
            search(store, bad)


def test_search_lists_the_story_with_the_newest_match_first(store):
    """Newest first, however often an older article says the word; a story moves up when a copy of it is
    seen again, and its row shows that newest copy's snippet."""
    old_dense = add(store, 1, report(1, "truce truce truce"))
    plain = [add(store, n, report(n, "truce")) for n in range(2, 5)]
    assert [r["story"] for r in search(store, "truce")] == [*plain[::-1], old_dense]
    assert [r["story"] for r in search(store, "truce", limit=2)] == [plain[2], plain[1]]

    assert add(store, 5, report(1, "truce truce truce"), source="T") == old_dense  # republished today
    rows = search(store, "truce")
    assert [r["story"] for r in rows] == [old_dense, *plain[::-1]]
    assert rows[0]["sources"] == 2
