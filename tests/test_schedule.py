"""Each source's own interval (bot/schedule.py): from its items' rhythm, a burst, the server's max-age, within
min_every and max_every; the jitter around it; the first polls of adaptive sources; what the store gives it."""

from __future__ import annotations

import itertools
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from bot import config as config_module
from bot.fetch import fresh_for
from bot.models import Article
from bot.schedule import SHORTEST, START_EVERY, busiest, cadence, first_runs, next_delay
from bot.store import Store, iso
from tests.utils import KEYWORDS

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def load(tmp_path, sources: list[dict], **top):
    path = tmp_path / "wirewatch.yaml"
    path.write_text(yaml.safe_dump({"keywords": KEYWORDS, "sources": sources, **top}))
    return config_module.load(path, environ={})


@pytest.fixture
def feed(tmp_path):
    config = load(tmp_path, [{"name": "f", "url": "https://f.example/feed"}])
    return config, config.sources[0]


def every(seconds: float, count: int = 10, newest: float = 0.0) -> list[datetime]:
    """``count`` items ``seconds`` apart, the newest ``newest`` seconds ago, newest first."""
    return [NOW - timedelta(seconds=newest + i * seconds) for i in range(count)]


def test_a_busy_source_is_read_every_minute(feed):
    got = cadence(*feed, every(75), new=1, fresh_for=None, now=NOW)
    assert got.seconds == 60 and got.why == "rate: an item every 1m15s"


def test_a_source_is_read_twice_per_gap_between_its_items(feed):
    assert cadence(*feed, every(1200), new=1, fresh_for=None, now=NOW).seconds == 600
    assert cadence(*feed, every(3 * 3600), new=0, fresh_for=None, now=NOW).seconds == 5400


def test_a_quiet_source_is_read_at_most_every_two_hours(feed):
    three_a_day = cadence(*feed, every(8 * 3600, 5), new=0, fresh_for=None, now=NOW)
    assert three_a_day.seconds == 7200
    weekly = cadence(*feed, [NOW - timedelta(days=9)], new=0, fresh_for=None, now=NOW)
    assert (weekly.seconds, weekly.why) == (7200, "quiet: no item this week")


def test_a_source_that_went_quiet_slows_down(feed):
    got = cadence(*feed, every(60, newest=3 * 3600), new=0, fresh_for=None, now=NOW)
    assert got.seconds == 5400 and got.why == "quiet: no item for 3h"


def test_a_burst_brings_the_next_poll_to_min_every_but_a_first_poll_is_no_burst(feed):
    times = every(3600, 10)
    assert cadence(*feed, times, new=4, fresh_for=None, now=NOW).why == "burst: 4 new items"
    assert cadence(*feed, times, new=4, fresh_for=None, now=NOW).seconds == 60
    first = cadence(*feed, times[:4], new=4, fresh_for=None, now=NOW)  # every item is new: its rate, not a burst
    assert first.why.startswith("rate") and first.seconds == 1800


def test_the_busiest_tenth_is_read_at_least_every_100_seconds(tmp_path):
    config = load(tmp_path, [{"name": f"s{i}", "url": f"https://s{i}.example/feed"} for i in range(30)]
                  + [{"name": "fixed", "url": "https://f.example/feed", "every": "5m"}])  # fmt: skip
    counts = {f"s{i}": 100 - i for i in range(30)} | {"fixed": 1000}
    assert busiest(config, counts) == {"s0", "s1", "s2"}  # a tenth of the 30 adaptive ones
    assert busiest(config, {f"s{i}": 10 for i in range(30)}) == set()  # under two items a day: none is busy
    assert len(busiest(config, dict.fromkeys(counts, 50))) == 3  # ties never make it more than a tenth
    source = config.sources[0]
    hourly = cadence(config, source, every(3600), 0, None, NOW, busy=True)
    assert hourly.seconds == 100 and hourly.why == "busy: among the busiest tenth (rate: an item every 1h)"
    assert cadence(config, source, every(75), 1, None, NOW, busy=True).seconds == 60  # faster already


def test_a_new_source_without_dates_waits_ten_minutes_not_hours(feed):
    got = cadence(*feed, [], new=20, fresh_for=None, now=NOW)
    assert (got.seconds, got.why) == (START_EVERY, "new: no dated item yet")


def test_a_servers_max_age_holds_the_next_poll_back_even_with_jitter(feed):
    got = cadence(*feed, every(75), new=1, fresh_for=600, now=NOW)
    assert (got.seconds, got.why, got.floor) == (600, "max-age 10m", 600)
    rng = random.Random(3)
    delays = [next_delay(got, 0, rng) for _ in range(500)]
    assert min(delays) >= 600 and max(delays) <= 660
    capped = cadence(*feed, every(75), new=1, fresh_for=86400, now=NOW)
    assert capped.seconds == 7200  # bounded by max_every


def test_two_requests_for_one_source_are_never_within_30_seconds(tmp_path):
    config = load(tmp_path, [{"name": "f", "url": "https://f.example/feed"}], min_every="10s")
    got = cadence(config, config.sources[0], every(5), new=1, fresh_for=None, now=NOW)
    assert got.seconds == 10 and got.floor == 10  # a min_every the user set below 30 s is theirs
    default = load(tmp_path, [{"name": "f", "url": "https://f.example/feed"}])
    chosen = cadence(default, default.sources[0], every(5), new=1, fresh_for=None, now=NOW)
    rng = random.Random(5)
    assert min(next_delay(chosen, 0, rng) for _ in range(500)) >= max(SHORTEST, 54)


def test_jitter_is_a_tenth_of_the_sources_own_interval(feed):
    rng = random.Random(9)
    fast = [next_delay(cadence(*feed, every(75), 1, None, NOW), 0, rng) for _ in range(500)]
    slow = [next_delay(cadence(*feed, every(8 * 3600), 0, None, NOW), 0, rng) for _ in range(500)]
    assert min(fast) >= 54 and max(fast) <= 66  # one global jitter would delay a busy source by its own length
    assert min(slow) >= 6480 and max(slow) <= 7920


def test_fixed_intervals_and_telegram_floor(tmp_path):
    config = load(tmp_path, [{"name": "f", "url": "https://f.example/feed", "every": "15m"},
                             {"name": "g", "url": "https://g.example/feed"},
                             {"name": "t", "url": "https://t.me/s/x", "type": "telegram"}], every="1h")  # fmt: skip
    fixed = cadence(config, config.sources[0], every(75), 1, None, NOW)
    assert (fixed.seconds, fixed.why) == (900, "fixed")
    assert cadence(config, config.sources[1], every(75), 1, None, NOW).seconds == 3600  # the top-level every
    channel = cadence(config, config.sources[2], every(75), 1, None, NOW)  # the top-level every is for the web
    assert channel.seconds == 300 and channel.why.startswith("rate")  # adaptive, never under t.me's 5 minutes


def test_min_every_longer_than_max_every_is_one_clear_error(tmp_path):
    with pytest.raises(config_module.ConfigError, match="min_every: is longer than max_every"):
        load(tmp_path, [{"name": "f", "url": "https://f.example/feed"}], min_every="3h")


def test_adaptive_first_polls_all_start_within_a_minute(tmp_path):
    config = load(tmp_path, [{"name": f"s{i}", "url": f"https://s{i}.example/feed"} for i in range(1000)])
    runs = sorted(first_runs(config, {}, NOW).values())
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(runs)]
    assert runs[0] == NOW and max(gaps) < 0.07 and (runs[-1] - NOW).total_seconds() < 60


def test_a_restart_resumes_the_saved_next_poll(tmp_path):
    config = load(tmp_path, [{"name": "a", "url": "https://a.example/feed"},
                             {"name": "b", "url": "https://b.example/feed"}])  # fmt: skip
    planned = {"a": (NOW + timedelta(minutes=40)).isoformat(), "b": (NOW - timedelta(minutes=1)).isoformat()}
    last = {"a": (NOW - timedelta(minutes=5)).isoformat(), "b": (NOW - timedelta(minutes=90)).isoformat()}
    runs = first_runs(config, last, NOW, planned)
    assert runs["a"] == NOW + timedelta(minutes=40) and runs["b"] == NOW


@pytest.mark.parametrize(
    ("cache_control", "expires", "date", "seconds"),
    [
        ("public, max-age=600", None, None, 600.0),
        ('max-age="300"', None, None, 300.0),
        ("no-cache, max-age=600", None, None, None),
        ("no-store", "Mon, 07 Dec 2026 13:00:00 GMT", "Mon, 07 Dec 2026 12:00:00 GMT", None),
        (None, "Mon, 07 Dec 2026 12:10:00 GMT", "Mon, 07 Dec 2026 12:00:00 GMT", 600.0),
        (None, "0", "Mon, 07 Dec 2026 12:00:00 GMT", None),
        (None, None, None, None),
    ],
)
def test_how_long_a_response_stays_fresh(cache_control, expires, date, seconds):
    assert fresh_for(cache_control, expires, date) == seconds


def test_the_store_gives_publication_times_and_later_first_seen_times(tmp_path):
    store = Store.open(tmp_path / "w.db")
    try:

        def add(url: str, published: datetime | None, seen: datetime) -> None:
            article = Article(source="f", url=url, canonical_url=url, title=url, text="", published=published)
            with store.transaction():
                stored = store.add_article(article, [], False, None, "feed", fingerprint=None)
                store.db.execute("UPDATE articles SET first_seen = ? WHERE id = ?", [iso(seen), stored.article_id])

        add("https://f.example/1", NOW - timedelta(hours=5), NOW - timedelta(hours=2))
        add("https://f.example/2", None, NOW - timedelta(hours=2))  # undated, first poll: no rhythm in it
        add("https://f.example/3", None, NOW - timedelta(minutes=30))  # undated, seen later: its first sighting
        add("https://f.example/4", NOW + timedelta(days=1), NOW - timedelta(minutes=10))  # a date from the future
        times = store.item_times("f", NOW)
        assert times == [NOW - timedelta(minutes=30), NOW - timedelta(hours=5)]
        assert store.item_counts(NOW - timedelta(days=7), NOW) == {"f": 1}  # dated, published this week
        quiet = Article(source="q", url="https://q.example/1", canonical_url="https://q.example/1", title="q",
                        text="", published=NOW - timedelta(days=30))  # fmt: skip
        with store.transaction():
            stored = store.add_article(quiet, [], False, None, "feed", fingerprint=None)
            store.db.execute("UPDATE articles SET first_seen = ? WHERE id = ?",
                             [iso(NOW - timedelta(days=29)), stored.article_id])  # fmt: skip
        times = store.item_times("q", NOW)  # a month-old item still says the source is quiet, not new
        config = load(tmp_path, [{"name": "q", "url": "https://q.example/feed"}])
        assert cadence(config, config.sources[0], times, 0, None, NOW).why == "quiet: no item this week"
    finally:
        store.close()


def test_run_sets_each_feeds_interval_from_its_dates_and_sources_says_why(sites, tmp_path, cli):
    """The fixture Euphrates feed's items are 5, 8, 11 and 14 hours old: a quiet source, read every 2 hours; the
    Atom feed has a fixed interval. Both as `run` schedules them, read back by `wirewatch sources --json`."""
    import json
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from tests.utils import wait_for

    config = tmp_path / "wirewatch.yaml"
    config.write_text(yaml.safe_dump({"database": "wirewatch.db", "keywords": KEYWORDS, "sources": [
        {"name": "Euphrates", "url": sites.url("/euphrates/feed.xml")},
        {"name": "Atom", "url": sites.url("/atom/feed.atom"), "every": "45m"},
    ]}))  # fmt: skip
    started = datetime.now(UTC)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)],
                            cwd=Path(__file__).parents[1], env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip

    def scheduled() -> dict[str, dict]:
        code, out, _ = cli("sources", "--config", config, "--json")
        rows = {row["name"]: row for row in map(json.loads, out.splitlines())} if code == 0 else {}
        return rows if all(row.get("next_poll") and row.get("errors") == 0 and row.get("last_ok")
                           for row in rows.values()) and len(rows) == 2 else {}  # fmt: skip

    try:
        wait_for(lambda: scheduled().get("Euphrates", {}).get("why", "").startswith("quiet"), what="the intervals")
        rows = scheduled()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    euphrates, atom = rows["Euphrates"], rows["Atom"]
    assert euphrates["every"] == "2h"  # the fixture web dates its items from its own start: 5h and some minutes
    assert re.fullmatch(r"quiet: no item for 5h(\d+m)?", euphrates["why"]), euphrates["why"]
    ahead = (datetime.fromisoformat(euphrates["next_poll"]) - started).total_seconds()
    assert 0.9 * 7200 - 60 <= ahead <= 1.1 * 7200 + 60
    assert (atom["every"], atom["why"]) == ("45m", "fixed")
