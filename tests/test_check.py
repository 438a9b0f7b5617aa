"""`wirewatch check` end to end against the fixture news web on loopback (tests/data/sites).

The expectations come from tests/data/sites/expected.yaml, the manifest written with the fixtures.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from tests.utils import DATA

EXPECTED = yaml.safe_load((DATA / "sites" / "expected.yaml").read_text(encoding="utf-8"))


def alerts_of(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def path_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def cycle_stats(err: str) -> dict:
    """The figures ``check --stats`` printed on stderr."""
    line = next(line for line in err.splitlines() if line.startswith("wirewatch: cycle stats: "))
    return json.loads(line.removeprefix("wirewatch: cycle stats: "))


def check(cli, config: Path) -> tuple[list[dict], str]:
    code, out, err = cli("check", "--config", config, "--json")
    assert code == 0, err
    return alerts_of(out), err


def test_json_output_shape(site, write_config, cli):
    config = write_config([{"name": "Euphrates", "url": site.url("/euphrates/feed.xml")}])
    alerts, err = check(cli, config)
    assert alerts, err
    for alert in alerts:
        assert {"url", "title", "source", "published", "keywords", "snippet"} <= alert.keys()
        assert isinstance(alert["url"], str) and alert["url"].startswith(site.base)
        assert isinstance(alert["title"], str) and alert["title"]
        assert alert["source"] == "Euphrates"
        assert alert["published"] is None or isinstance(alert["published"], str)
        assert isinstance(alert["keywords"], list) and all(isinstance(k, str) for k in alert["keywords"])
        assert isinstance(alert["snippet"], str)
        assert {m["keyword"] for m in alert["matched"]} == set(alert["keywords"])
        assert any(m["found"] in alert["snippet"] for m in alert["matched"]), alert


ARTICLES = EXPECTED["articles"]
SOURCES = {
    "Euphrates feed": ("/euphrates/feed.xml", "feed"),
    "Euphrates home": ("/euphrates/", "page"),
    "Tracking feed": ("/tracking/feed.xml", "feed"),
    "Al-Forat": ("/alforat/feed.xml", "feed"),
    "Atom": ("/atom/feed.atom", "feed"),
    "Legacy 1256": ("/legacy/", "page"),
    "Plain CMS": ("/plain/", "page"),
}
BROKEN = {
    "Truncated": "/broken/truncated.xml",
    "Garbage": "/broken/garbage.xml",
    "Empty": "/broken/empty.xml",
    "Server error": "/broken/500.xml",
    "Missing": "/broken/missing.xml",
    "Slow": "/broken/slow.xml",
    "Huge": "/broken/huge.xml",
    "Loop": "/broken/loop",
}


def source(site, name: str, **extra) -> dict:
    path, kind = SOURCES[name]
    return {"name": name, "url": site.url(path), "type": kind, **extra}


def expected_alerts(paths, max_age_days: float = 7) -> dict[str, list[str]]:
    """canonical path -> sorted groups, for the manifest's matching articles among ``paths``."""
    result = {}
    for path in paths:
        article = ARTICLES[path]
        age = article["published"]
        old = age.endswith("d") and int(age[1:-1]) > max_age_days
        if article["groups"] and not old:
            result[path] = sorted(article["groups"])
    return result


def by_path(alerts: list[dict], site) -> dict[str, list[str]]:
    from bot.urls import canonical_url

    out = {}
    for alert in alerts:
        path = path_of(canonical_url(alert["url"]))
        assert path not in out, f"{path} alerted twice"
        out[path] = sorted(alert["keywords"])
    return {(p if p in ARTICLES else p + "/"): k for p, k in out.items()}


def articles_in(*source_paths: str) -> list[str]:
    return [p for p, a in ARTICLES.items() if set(a["in"]) & set(source_paths)]


@pytest.mark.parametrize("name", list(SOURCES))
def test_each_source_alerts_exactly_its_matching_articles(name, site, write_config, cli):
    config = write_config([source(site, name)])
    alerts, err = check(cli, config)
    assert "wirewatch: source" not in err, err
    assert by_path(alerts, site) == expected_alerts(articles_in(SOURCES[name][0]))


@pytest.mark.parametrize("workers", [0, 2])  # inline, and in worker processes: the same alerts and errors
def test_everything_at_once_with_broken_sources(site, write_config, cli, workers):
    sources = [source(site, name) for name in SOURCES]
    sources += [{"name": name, "url": site.url(path)} for name, path in BROKEN.items()]
    config = write_config(sources, max_bytes="1MB", workers=workers)
    alerts, err = check(cli, config)
    every_path = [p for _, (p, _) in SOURCES.items()]
    assert by_path(alerts, site) == expected_alerts(articles_in(*every_path, "/broken/truncated.xml"))
    assert len(alerts) == EXPECTED["totals"]["matching_articles_with_max_age_under_30d"]
    failed = [line for line in err.splitlines() if "warning:" not in line and line.startswith("wirewatch: source")]
    names = {line.split("'")[1] for line in failed}
    assert names == {"Garbage", "Empty", "Server error", "Missing", "Slow", "Huge", "Loop"}, err
    messages = "\n".join(failed)
    assert "HTTP 500 Internal Server Error" in messages
    assert "HTTP 404 Not Found" in messages
    assert "timed out" in messages
    assert "redirects" in messages
    assert "got an HTML page" in messages
    assert "cut at the limit" in err


def test_second_cycle_is_all_304_and_alerts_nothing(site, write_config, cli):
    config = write_config([source(site, name) for name in SOURCES])
    first, _ = check(cli, config)
    assert first
    site.reset_counts()
    second, _ = check(cli, config)
    assert second == []
    source_paths = {p for p, _ in SOURCES.values()}
    assert set(site.hits) == source_paths, "an article page was fetched again"
    assert all(site.conditional[p] == 1 for p in source_paths)
    assert {status for _, status in site.statuses} == {304}


def test_each_article_page_is_fetched_once(site, write_config, cli):
    config = write_config([source(site, n) for n in ("Euphrates feed", "Euphrates home", "Tracking feed")])
    check(cli, config)
    pages = {p: n for p, n in site.hits.items() if "/2026/11/" in p}
    assert set(pages) == set(articles_in("/euphrates/"))
    assert set(pages.values()) == {1}


def test_tracking_parameters_never_alert_twice(site, write_config, cli):
    first, _ = check(cli, write_config([source(site, "Euphrates feed")]))
    assert len(first) == 3
    again, _ = check(cli, write_config([source(site, "Euphrates feed"), source(site, "Tracking feed")]))
    assert again == []


def test_canonical_link_folds_amp_and_normal_page(site, write_config, cli):
    alerts, _ = check(cli, write_config([source(site, "Atom")]))
    paths = list(by_path(alerts, site))
    assert paths.count("/atom/stories/story-7.html") == 1
    db = sqlite3.connect(Path(write_config([]).parent / "wirewatch.db"))
    urls = [r[0] for r in db.execute("SELECT canonical_url FROM articles")]
    assert sum(u.endswith("/atom/stories/story-7.html") for u in urls) == 1
    assert not any("/atom/amp/" in u for u in urls)


def test_windows_1256_page_decodes(site, write_config, cli):
    alerts, _ = check(cli, write_config([source(site, "Legacy 1256")]))
    found = {m["found"] for a in alerts for m in a["matched"]}
    assert found == {"دير الزور", "حزب الله"}
    assert all("\ufffd" not in a["title"] + a["snippet"] for a in alerts)


def test_max_age_per_source(site, write_config, cli):
    alerts, _ = check(cli, write_config([source(site, "Al-Forat", max_age="60d")]))
    assert "/alforat/news/10190.html" in by_path(alerts, site)


def test_full_content_feed_skips_article_pages_unless_asked(site, write_config, cli):
    check(cli, write_config([source(site, "Al-Forat")]))
    assert not any(p.startswith("/alforat/news/") for p in site.hits)
    site.reset_counts()
    (write_config([]).parent / "wirewatch.db").unlink()
    alerts, _ = check(cli, write_config([source(site, "Al-Forat", articles="always")]))
    assert sum(1 for p in site.hits if p.startswith("/alforat/news/")) == 5
    assert by_path(alerts, site) == expected_alerts(articles_in("/alforat/feed.xml"))


def test_main_text_only_site_chrome_never_matches(site, write_config, cli):
    alerts, _ = check(cli, write_config([source(site, "Euphrates home")]))
    alerted = by_path(alerts, site)
    for path in articles_in("/euphrates/"):
        assert (path in alerted) == bool(ARTICLES[path]["groups"]), path


def test_plain_output_and_recent_and_search(site, write_config, cli):
    config = write_config([source(site, "Euphrates feed"), source(site, "Al-Forat")])
    code, out, err = cli("check", "--config", config)
    assert code == 0
    assert "new alerts." in out and "[Deir ez-Zor]" in out
    assert "sources polled" in err
    code, out, _ = cli("recent", "--config", config, "--json")
    rows = alerts_of(out)
    assert code == 0 and len(rows) == 5
    code, out, _ = cli("recent", "--config", config, "--keyword", "Nujaba", "--json")
    assert [r["keywords"] for r in alerts_of(out)] == [["Nujaba"], ["Nujaba"]]
    code, out, _ = cli("recent", "--config", config, "--limit", "1")
    assert len(out.strip().splitlines()) == 1
    code, _, err = cli("recent", "--config", config, "--keyword", "Nope")
    assert code == 1 and 'no keyword group named "Nope"' in err
    code, out, _ = cli("search", "--config", config, "truce", "--json")
    hits = alerts_of(out)
    assert code == 0 and [h["title"] for h in hits] == [ARTICLES[articles_in("/euphrates/feed.xml")[0]]["title"]]
    code, out, _ = cli("search", "--config", config, "النجباء", "--json")
    titles = [h["title"] for h in alerts_of(out)]  # the group's every spelling: both scripts
    assert len(titles) == 2 and any("Nujaba" in t for t in titles) and any("النجباء" in t for t in titles), titles
    code, out, err = cli("search", "--config", config, "truce AND")
    assert code == 1 and "cannot search for" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_sources_in_progress_are_bounded_by_concurrency(site, write_config, cli):
    """With ``concurrency: 1`` a source is finished (feed, then its articles) before the next one starts:
    what keeps memory flat with thousands of sources. The alerts are the same as with everything at once."""
    names = ["Al-Forat", "Legacy 1256", "Plain CMS", "Euphrates feed"]
    config = write_config([source(site, name) for name in names], concurrency=1, workers=0)
    alerts, _ = check(cli, config)
    assert by_path(alerts, site) == expected_alerts(articles_in(*(SOURCES[name][0] for name in names)))
    sites = [path.split("/")[1] for path, _ in site.statuses]
    runs = [name for i, name in enumerate(sites) if i == 0 or sites[i - 1] != name]
    assert runs == ["alforat", "legacy", "plain", "euphrates"], sites


def test_stats_count_what_the_server_saw(site, write_config, cli):
    config = write_config([source(site, name) for name in SOURCES], workers=0)
    check(cli, config)
    site.reset_counts()
    code, out, err = cli("check", "--config", config, "--json", "--stats")
    assert code == 0 and out == ""
    stats = cycle_stats(err)
    assert stats["sources"] == len(SOURCES)
    assert stats["requests"] == len(site.statuses) == len(SOURCES)
    assert stats["not_modified"] == len(SOURCES) and stats["failed"] == 0 and stats["bytes"] == 0
    assert 0 <= stats["loop_stall_p99_ms"] <= stats["loop_stall_max_ms"]


def test_a_writer_behind_the_readers_holds_reading_up_and_loses_nothing(site, write_config, cli, monkeypatch):
    """With room for one article in the writer's backlog, reading waits for it all through the cycle: the same
    alerts, each once, and the stats say how far behind the writer was."""
    monkeypatch.setattr("bot.poll.writer.BACKLOG", 1)
    config = write_config([source(site, name) for name in SOURCES], workers=2)
    code, out, err = cli("check", "--config", config, "--json", "--stats")
    assert code == 0, err
    every_path = [p for _, (p, _) in SOURCES.items()]
    assert by_path(alerts_of(out), site) == expected_alerts(articles_in(*every_path))
    stats = cycle_stats(err)
    assert stats["writer_backlog_max"] >= 1


def test_room_in_the_writers_backlog_waits_until_it_has_written(tmp_path, site, write_config):
    """``room`` returns at once under ``BACKLOG`` articles, and at the limit only once the writer thread has
    stored enough of them; they are all stored."""
    import asyncio
    import threading

    from bot.config import load
    from bot.models import Article, PollResult
    from bot.poll.reading import Digest
    from bot.poll.writer import BACKLOG, Found, Writer
    from bot.store import Store

    config = load(write_config([source(site, "Euphrates feed")], workers=0))
    store = Store.open(tmp_path / "backlog.db")
    writer, held = Writer(config, store), threading.Event()
    found = [
        Found(Article(source="Euphrates feed", url=f"https://x.example/{i}", canonical_url=f"https://x.example/{i}",
                      title=f"Story {i}", text=f"Text number {i} about the river."), Digest([], None), "page", False)
        for i in range(BACKLOG)
    ]  # fmt: skip

    async def scenario() -> None:
        await writer.room()  # nothing written yet: no wait
        blocked = asyncio.ensure_future(writer.call(held.wait))  # the writer thread busy elsewhere
        first = asyncio.ensure_future(writer.write_found(found[:-1], config.sources[0], PollResult("s", "u")))
        await asyncio.sleep(0.05)
        await asyncio.wait_for(writer.room(), 1)  # one under the limit: still room
        last = asyncio.ensure_future(writer.write_found(found[-1:], config.sources[0], PollResult("s", "u")))
        await asyncio.sleep(0.05)
        assert writer.backlog == BACKLOG
        room = asyncio.ensure_future(writer.room())
        await asyncio.sleep(0.3)
        assert not room.done()  # full, and the writer thread has not written anything
        held.set()
        await asyncio.wait_for(room, 10)
        await asyncio.gather(blocked, first, last)

    try:
        asyncio.run(scenario())
        assert writer.backlog == 0 and writer.most_backlog == BACKLOG and writer.waits == 1
        assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == BACKLOG
    finally:
        held.set()  # a failed assertion must not leave the writer thread waiting
        writer.close()
        store.close()


def test_collector_is_tuned_during_a_cycle_and_restored_after(site, write_config):
    """Young collections are spaced out and the config frozen out of full collections only while a cycle runs:
    the process (a test runner, the service between cycles) gets Python's collector back as it was."""
    import asyncio
    import gc
    import sys

    from bot.check import cycle
    from bot.config import load
    from bot.store import Store

    config = load(write_config([source(site, "Euphrates feed")], workers=0))
    store = Store.open(config.database_path)
    before, during = gc.get_threshold(), []
    interval = sys.getswitchinterval()
    try:
        results = asyncio.run(
            cycle(config, store, lambda _: during.append((gc.get_threshold(), gc.get_freeze_count(),
                                                          sys.getswitchinterval())))
        )  # fmt: skip
    finally:
        store.close()
    assert results and not results[0].error
    ((threshold, frozen, switching),) = during
    assert threshold[0] > before[0] and threshold[1:] == before[1:]
    assert frozen > 0  # the config and everything loaded before the cycle
    assert switching < interval  # the GIL handed over sooner while the reader thread may hold it
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0 and sys.getswitchinterval() == interval
