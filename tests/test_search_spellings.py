"""Search in every spelling (issue 22): articles stored by a real `wirewatch check` from a loopback feed, in
English, French, Turkish, German, Russian and Arabic spellings, then found by `wirewatch search`, by the
command layer of /wirewatch and !wirewatch, as the alerts would find them."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest

from bot.chat.commands import HIGHLIGHT, Request, handle
from bot.config import load
from bot.demo.server import SiteServer
from bot.store import Store
from tests.utils import wait_for

ROOT = Path(__file__).parents[1]
FILLER = ("Residents said the power came back in the evening after a long cut, and the market reopened. " * 6).strip()
ARTICLES = {
    1: ("Strike near Dayr al-Zawr", f"Drones struck a depot in Dayr al-Zawr on Monday. {FILLER}"),
    2: ("قصف في دير الزور", "قالت مصادر محلية إن طائرات مسيرة قصفت مستودعا في ريف دير الزور الشرقي. " * 8),
    3: ("Frappe", f"Une frappe a visé un dépôt près d'al-Boukamal, à la frontière, selon des sources. {FILLER}"),
    4: ("قصف البوكمال", "قالت مصادر إن غارة استهدفت موقعا في مدينة البوكمال على الحدود. " * 8),
    5: ("Saldırı", f"Türk ordusu Deyrizor'da bir depoyu vurdu, yerel kaynaklar bildirdi. {FILLER}"),
    6: ("Anschlag", f"Die Miliz Asa'ib Ahl al-Haq hat sich zu dem Anschlag bekannt, sagte ein Sprecher. {FILLER}"),
    7: ("Удар", f"Беспилотники нанесли удар по складу в Дейр-эз-Зоре, сообщили источники. {FILLER}"),
    8: ("Water talks", f"Officials discussed the water supply in Hasakah province. {FILLER}"),
}  # fmt: skip
GROUPS = [
    {"name": "Deir ez-Zor", "terms": ["Deir ez-Zor", "دير الزور"]},
    {"name": "Al-Bukamal", "terms": ["Al-Bukamal", "البوكمال"]},
    {"name": "Asaib Ahl al-Haq", "terms": ["Asa'ib Ahl al-Haq", "عصائب أهل الحق"]},
]


def feed(items: dict[int, tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{{{{BASE}}}}/news/{i}.html</link><pubDate>{{{{RFC822:-1h}}}}"
        f"</pubDate><description>x</description><content:encoded><![CDATA[<p>{body}</p>]]></content:encoded></item>"
        for i, (title, body) in items.items()
    )
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/'
            f'modules/content/"><channel><title>Wire</title>{entries}</channel></rss>')  # fmt: skip


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    from bot.cli import main

    folder = tmp_path_factory.mktemp("search")
    (folder / "site").mkdir()
    (folder / "site" / "feed.xml").write_text(feed(ARTICLES), encoding="utf-8")
    with SiteServer(folder / "site") as server:
        config = folder / "wirewatch.yaml"
        config.write_text(json.dumps({"database": "w.db", "sources": [{"name": "Wire", "url": server.url("/feed.xml"),
                                      "articles": "never"}], "keywords": GROUPS}), encoding="utf-8")  # fmt: skip
        assert main(["check", "--config", str(config)]) == 0
    return config


def found(cli, config, query: str) -> set[int]:
    code, out, err = cli("search", "--config", config, "--json", "--articles", query)
    assert code == 0, err
    return {int(a["url"].rsplit("/", 1)[1].split(".")[0]) for row in map(json.loads, out.splitlines())
            for a in row["articles"]}  # fmt: skip


def test_a_name_is_found_in_every_spelling_and_both_scripts(stored, cli):
    assert found(cli, stored, "Deir ez-Zor") == {1, 2, 5, 7}  # typed without quotes: a name, not three words
    assert found(cli, stored, '"Deir ez-Zor"') == {1, 2, 5, 7}
    assert found(cli, stored, "Bukamal") == {3, 4}
    assert found(cli, stored, "البوكمال") == {3, 4}


def test_apostrophes_hyphens_and_operators_are_ordinary_input(stored, cli):
    assert found(cli, stored, "Asa'ib") == {6}
    assert found(cli, stored, "Asa'ib Ahl al-Haq") == {6}
    assert found(cli, stored, "Deir ez-Zor AND drones") == {1}
    assert found(cli, stored, "Deir ez-Zor NOT Drones") == {2, 5, 7}
    assert found(cli, stored, "water OR Bukamal") == {3, 4, 8}
    assert found(cli, stored, "Hasak*") == {8}
    assert found(cli, stored, "province") == {8}


def test_the_chat_commands_search_the_same_way(stored):
    config = load(stored)
    store = Store.open(config.database_path)
    try:
        reply = handle(Request("search Deir ez-Zor", "U1", None), config, store)
    finally:
        store.close()
    assert reply.kind == "stories" and len(reply.rows) == 4
    assert all(HIGHLIGHT[0] in row["snippet"] for row in reply.rows)
    marked = {row["snippet"].split(HIGHLIGHT[0])[1].split(HIGHLIGHT[1])[0] for row in reply.rows}
    assert marked == {"Dayr al-Zawr", "دير الزور", "Deyrizor'da", "Дейр-эз-Зоре"}


def test_search_keys_are_those_the_alerts_path_stores():
    from bot.match import Matcher, search_keys

    matcher = Matcher(load_groups())
    for title, text in ARTICLES.values():
        assert search_keys(title, text) == matcher.match_and_index(f"{title}\n{text}")[1]


def load_groups():
    from bot.config import Keyword

    return [Keyword(**group) for group in GROUPS]


def test_run_indexes_articles_stored_before_search_read_every_spelling(tmp_path, cli):
    """A database from before schema 7 has no keys: search finds its articles by their text only (Deyrizor'da
    is not found as Deir ez-Zor) until `run` has keyed them in the background."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "feed.xml").write_text(feed(ARTICLES), encoding="utf-8")
    with SiteServer(tmp_path / "site") as server:
        config = tmp_path / "wirewatch.yaml"
        source = {"name": "Wire", "url": server.url("/feed.xml"), "articles": "never", "every": "1h"}
        config.write_text(json.dumps({"database": "w.db", "sources": [source], "keywords": GROUPS}), encoding="utf-8")
        assert cli("check", "--config", config)[0] == 0
        db = sqlite3.connect(tmp_path / "w.db")
        with db:
            db.execute("DELETE FROM article_keys_text")  # as a database migrated from schema 6 has it
        assert found(cli, config, "Deir ez-Zor") == set()  # the text index alone: no article writes it so
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            wait_for(lambda: db.execute("SELECT count(*) FROM article_keys_text").fetchone()[0] == len(ARTICLES),
                     timeout=60, what="run to key the older articles")  # fmt: skip
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        db.close()
    assert proc.returncode == 0, err
    assert found(cli, config, "Deir ez-Zor") == {1, 2, 5, 7}


def test_a_query_compiles_only_the_groups_it_may_name():
    """Compiling a group costs milliseconds a term, so a search compiles only the groups whose consonants the
    query holds, in whatever script or spelling it is typed."""
    from bot.models import Group
    from bot.store.search import named

    groups = [Group(g["name"], tuple(g["terms"])) for g in GROUPS]
    assert [g.name for g in named("Deyrizor", groups)] == ["Deir ez-Zor"]
    assert [g.name for g in named("Дейр-эз-Зор AND drones", groups)] == ["Deir ez-Zor"]
    assert [g.name for g in named("البوكمال", groups)] == ["Al-Bukamal"]
    assert [g.name for g in named("Bukamal OR Asaib", groups)] == ["Al-Bukamal"]  # Asaib alone is not the name
    assert named("water prices", groups) == []


def test_key_phrases_never_look_for_an_article_alone():
    from bot.match import Matcher
    from bot.models import Group
    from bot.store.search import _ARTICLE_KEYS, key_phrases

    phrases = key_phrases(Matcher([Group("Al-Bukamal", ("Al-Bukamal", "البوكمال"))]))
    keys = [p.strip('"').split() for p in phrases.strip("()").split(" OR ")]
    assert keys and all(any(k not in _ARTICLE_KEYS for k in phrase) for phrase in keys)


def test_quotes_ask_for_the_words_as_typed_unless_they_name_a_group(stored, cli):
    assert found(cli, stored, "Hasaka") == {8}  # a capitalised word may be a name: Hasakah is found
    assert found(cli, stored, '"Hasaka"') == set()  # quoted: as typed
    assert found(cli, stored, '"Dayr al-Zawr"') == {1, 2, 5, 7}  # quoted, but a configured group's name
