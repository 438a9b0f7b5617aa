"""Stories on real sites: copies republished by other outlets join the original's story and never alert again;
independent reports and templated reports stay apart; the order the copies arrive in changes nothing.

The outlets and articles are tests/data/stories (outlets.yaml, cases.yaml); each test renders the articles a
phase publishes into a folder served by a real loopback server, as feeds and listing pages around article pages.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot import stories
from bot.extract.pages import extract_article
from tests.story_web import ARTICLES, CASES, COPIES, EXPECTED, ORIGINALS, OUTLETS, key_of, path_of, title_and_body


def check(cli, config) -> list[dict]:
    code, out, err = cli("check", "--config", config, "--json")
    assert code == 0, err
    assert "error" not in err.lower(), err
    return [json.loads(line) for line in out.splitlines()]


def partition(db_path: Path) -> set[frozenset[str]]:
    """The stories in the database, as sets of article keys."""
    groups: dict[int, set[str]] = {}
    for url, story in sqlite3.connect(db_path).execute("SELECT url, story_id FROM articles"):
        groups.setdefault(story, set()).add(key_of(url))
    return {frozenset(g) for g in groups.values()}


def alerted(alerts: list[dict]) -> dict[frozenset[str], list[str]]:
    """Groups alerted per expected story, found by the alerted article's URL."""
    result: dict[frozenset[str], list[str]] = {}
    for alert in alerts:
        key = key_of(alert["url"])
        story = next(s for s in EXPECTED if key in s)
        result.setdefault(story, []).extend(alert["keywords"])
    return result


def expected_alerts() -> dict[frozenset[str], list[str]]:
    return {frozenset(s["articles"]): s["groups"] for s in CASES["stories"]}


@pytest.mark.parametrize("workers", [0, 2])
def test_one_cycle_forms_the_expected_stories(outlets, write_config, cli, tmp_path, workers):
    publish, sources = outlets
    publish(ARTICLES)
    config = write_config(sources(list(OUTLETS)), workers=workers)
    alerts = check(cli, config)

    assert len(alerts) == 8
    assert alerted(alerts) == expected_alerts()
    assert partition(tmp_path / "wirewatch.db") == set(EXPECTED)
    # the alert of a joined story names the other outlet that ran it
    for alert in alerts:
        key = key_of(alert["url"])
        story = next(s for s in EXPECTED if key in s)
        assert {key_of(a["url"]) for a in alert["also"]} == story - {key}

    # a second cycle over unchanged outlets adds nothing
    assert check(cli, config) == []


@pytest.mark.parametrize("first", ["originals", "copies"])
def test_the_order_of_arrival_changes_nothing(outlets, write_config, cli, tmp_path, first):
    """Originals then copies, or copies then originals (next cycle): the same stories and the same alerts,
    raised by whichever copy came first."""
    publish, sources = outlets
    early = ORIGINALS if first == "originals" else COPIES
    config = write_config(sources(list(OUTLETS) if first == "originals" else list(reversed(OUTLETS))))
    publish(early)
    alerts = check(cli, config)
    publish(ARTICLES)
    alerts += check(cli, config)

    assert len(alerts) == 8
    assert alerted(alerts) == expected_alerts()
    assert partition(tmp_path / "wirewatch.db") == set(EXPECTED)
    # each joined story alerted from the copy that arrived first
    for story in (s for s in EXPECTED if len(s) > 1):
        (alert,) = [a for a in alerts if key_of(a["url"]) in story]
        assert {key_of(alert["url"])} == story & early


def test_story_command_lists_every_outlet(outlets, write_config, cli, tmp_path):
    publish, sources = outlets
    publish(ARTICLES)
    config = write_config(sources(list(OUTLETS)))
    alerts = check(cli, config)
    (alert,) = [a for a in alerts if key_of(a["url"]) == "o2"]

    code, out, _ = cli("story", str(alert["story"]), "--config", config, "--json")
    assert code == 0
    story = json.loads(out)
    assert story["sources"] == 2 and story["keywords"] == ["Hezbollah"]
    assert [key_of(a["url"]) for a in story["articles"]] == ["o2", "m2"]

    code, out, _ = cli("recent", "--config", config, "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(EXPECTED)
    assert sorted(r["sources"] for r in rows) == sorted(len(s) for s in EXPECTED)


def extracted(key: str) -> str:
    title, body = title_and_body(key)
    spec = OUTLETS[ARTICLES[key]["outlet"]]
    page = spec["page"].replace("{{TITLE}}", title).replace("{{SLUG}}", ARTICLES[key]["slug"])
    page = page.replace("{{BODY}}", "".join(f"<p>{p}</p>" for p in body)).replace("{{BASE}}", "http://x")
    return extract_article(page, "http://x" + path_of(key)).text


@pytest.mark.parametrize(("a", "b"), [("o5", "i5"), ("i6a", "i6b")])
def test_separate_reports_are_not_near_misses(a, b):
    """The same event in other words shares no 5-gram; a shared boilerplate paragraph (40% of the shorter
    report) leaves the true Jaccard under 0.3 and the estimates under both join thresholds."""
    text_a, text_b = extracted(a), extracted(b)
    grams_a, grams_b = stories.shingles(text_a), stories.shingles(text_b)
    assert len(grams_a & grams_b) / len(grams_a | grams_b) < 0.3
    jaccard, containment = stories.similarity(stories.fingerprint(text_a), stories.fingerprint(text_b))
    assert jaccard < stories.JOIN_JACCARD and containment < stories.JOIN_CONTAINMENT


@pytest.mark.parametrize(
    "title",
    ["", "Clashes near Deir ez-Zor", "اشتباكات قرب دير الزور", "Two lines\nof a title", "Ankara'nın", "Ціна «Газу»"],
)
def test_an_articles_fingerprint_is_its_texts_whatever_its_title(title):
    """The matcher, search and stories share one fold of an article (title and text): the fingerprint takes the
    body's words from it, and they are the text's words folded alone, whatever the title (none, several lines,
    another script, an apostrophe at its end). So a copy under another headline keeps its fingerprint."""
    from bot.match import fold_article
    from bot.text.normalise import fold, words

    for key in sorted(ARTICLES):
        text = extracted(key)
        article = fold_article(title, text)
        assert article.body_words == words(fold(text, article.seen)), (key, title)
        assert stories.fingerprint_of(article.body_words) == stories.fingerprint(text), (key, title)
