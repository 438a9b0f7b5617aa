"""Telegram channels as a source (``type: telegram``): each message of a public channel's preview page is an
article with its own text only; new messages alert once, in every spelling; the first poll backfills to
``max_age`` (or the page cap), later polls read only what is newer; edits alert only for a group new to the
message; t.me's 429 and Retry-After are honoured; a name that is not a public channel is one clear error; a
message and a web article with the same text are one story.

t.me is tests/telegram_fake.py on loopback, serving the fixture channel tests/data/telegram/deirezzor_now.html
four messages a page (the fixture's markup is t.me's: tests/data/telegram/page.html says where it was learnt).
"""

from __future__ import annotations

import email.utils
import json
import sqlite3
import time

import pytest

from bot.config import load
from bot.extract.telegram import parse_channel_page
from tests.slack_fake import BOT_TOKEN, SlackFake
from tests.telegram_fake import TelegramFake

CHANNEL = "deirezzor_now"
TITLE = "Deir ez-Zor Now | دير الزور الآن"  # the channel's name names a watched group: it must never count
DESCRIPTION = "News of Deir ez-Zor and the Euphrates valley, Hezbollah and Nujaba movements. أخبار دير الزور"
LINK = f"https://t.me/{CHANNEL}/"
# What the first poll alerts: backfilled to max_age (7d), every message's own text only.
FIRST = {
    105: ["Deir ez-Zor"],  # Arabic, the name at the end of a line (a <br> after it)
    106: ["Hezbollah"],  # a photo's caption
    108: ["Nujaba"],  # forwarded
    110: ["Deir ez-Zor"],  # a video's caption, "Deir<br>ez-Zor"
    111: ["Hezbollah"],  # emoji and links; its link preview names Nujaba, its link's address too
    112: ["Deir ez-Zor"],
    113: ["Deir ez-Zor"],
}
# 103 and 104 are older than max_age: stored, not alerted. 109 and 114 quote watched names in their replies.
STORED = [103, 104, 105, 106, 108, 109, 110, 111, 112, 113, 114]
STORY = 112  # the long report a web site republishes
WEB_COPY = (
    "<p>Water returned to the western districts of Deir ez-Zor on Tuesday evening after engineers repaired the main "
    "pumping station on the Euphrates, which had been out of service for nine days.</p><p>The local water "
    "directorate said the station now pumps twelve thousand cubic metres a day, enough for the neighbourhoods of "
    "al-Jura, al-Qusur and Harabesh, while villages in the western countryside will be supplied by tanker trucks "
    "until a second pump is installed next week. Residents had queued for hours at public taps during the "
    "outage.</p>"
)


@pytest.fixture
def tme():
    with TelegramFake(page_size=4) as fake:
        fake.load(CHANNEL, TITLE, DESCRIPTION)
        yield fake


def channel(tme: TelegramFake, name: str = CHANNEL, **extra) -> dict:
    return {"name": "Deir ez-Zor Now", "url": tme.url(f"/s/{name}"), "type": "telegram", **extra}


def web_feed(tme: TelegramFake, body: str, title: str = "Water is back in western Deir ez-Zor",
             summary: str = "Teaser.") -> dict:  # fmt: skip
    yesterday = email.utils.formatdate(time.time() - 86400, usegmt=True)  # within max_age, whatever the day
    tme.files["/feed.xml"] = (
        "application/rss+xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/'
        f'modules/content/"><channel><title>Euphrates Post</title><item><title>{title}</title>'
        f"<link>{{{{BASE}}}}/2026/11/water-returns/</link><pubDate>{yesterday}</pubDate>"
        f"<description>{summary}</description><content:encoded><![CDATA[{body}]]></content:encoded></item>"
        "</channel></rss>",
    )
    return {"name": "Euphrates Post", "url": tme.url("/feed.xml")}


def check(cli, config) -> tuple[list[dict], str]:
    code, out, err = cli("check", "--config", config, "--json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()], err


def by_message(alerts: list[dict]) -> dict[int, list[str]]:
    return {int(a["url"].removeprefix(LINK)): a["keywords"] for a in alerts if a["url"].startswith(LINK)}


def db(config) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / "wirewatch.db")


def stored(config) -> list[int]:
    urls = [row[0] for row in db(config).execute("SELECT url FROM articles ORDER BY id")]
    return sorted(int(u.removeprefix(LINK)) for u in urls if u.startswith(LINK))


def page_of(tme: TelegramFake, before: int | None = None) -> str:
    return f"/s/{CHANNEL}" + (f"?before={before}" if before else "")


# ------------------------------------------------------------------------------------------ the reader


def test_each_message_is_its_own_text_only(tme):
    tme.page_size = 50
    page = parse_channel_page(tme.page(CHANNEL), tme.url(f"/s/{CHANNEL}"))
    assert page.is_channel and page.title == TITLE and page.before is None
    assert page.ids == list(range(100, 115))
    messages = {m.id: m for m in page.messages}
    assert sorted(messages) == [i for i in range(100, 115) if i not in (102, 107)]  # a service message, a bare photo
    texts = "\n".join(m.text for m in page.messages)
    for chrome in ("Deir ez-Zor Now", "subscribers", "views", "9.8K", "0:47", "Forwarded from", "Example News",
                   "Nujaba leader", "flags raised over a checkpoint near al-Mayadin 📸\nCorrection"):  # fmt: skip
        assert chrome not in texts
    assert messages[109].text == "Update: the shelling has stopped, local sources say."  # not the quoted 105
    assert messages[114].text == "Correction: the flags were taken down by the evening. 👍"
    assert messages[105].text.startswith("قصف مدفعي على أطراف مدينة دير الزور\nالمصدر: مراسلنا في المدينة\n\nاستهدف")
    assert messages[110].text == "Footage from the corniche of Deir\nez-Zor this morning 🎥"  # <br>: a new line
    assert messages[110].title == "Footage from the corniche of Deir ez-Zor this morning 🎥"
    assert messages[110].media == ("video",) and messages[110].published.isoformat().endswith("+00:00")
    assert messages[106].media == ("photo",) and messages[106].text.startswith("Hezbollah flags raised")
    assert messages[111].text == (
        "⚡ Breaking: a statement by Hizbullah on the border clashes #border\nFull text: example.org/statement 👇"
    )
    assert messages[112].title == "Water returns to western districts"
    forwarded = messages[108].forwarded
    assert (forwarded.name, forwarded.url) == ("Euphrates Post", "https://t.me/euphrates_post/5512")
    assert all(m.forwarded is None for i, m in messages.items() if i != 108)
    assert messages[110].url == "https://t.me/deirezzor_now/110"  # the permalink, wherever the page came from
    assert [m.id for m in page.messages] == sorted(messages)
    tme.page_size = 4
    page = parse_channel_page(tme.page(CHANNEL, before=111), tme.url(f"/s/{CHANNEL}?before=111"))
    assert page.ids == [107, 108, 109, 110] and page.before == tme.url(f"/s/{CHANNEL}?before=107")
    assert not any(m.edited for m in page.messages)
    tme.edit(CHANNEL, 110, "this morning", "this morning (corrected)")
    (edited,) = [m for m in parse_channel_page(tme.page(CHANNEL, before=111), tme.url("/")).messages if m.id == 110]
    assert edited.edited and edited.text.endswith("this morning (corrected) 🎥")


# ------------------------------------------------------------------------------------------ end to end


def test_new_messages_alert_once_backfilled_to_max_age(tme, write_config, cli):
    config = write_config([channel(tme)])
    alerts, err = check(cli, config)
    assert by_message(alerts) == FIRST, err
    # three pages: the third reaches back past max_age (7 days), so the fourth is never asked for
    assert tme.requested() == [page_of(tme), page_of(tme, 111), page_of(tme, 107)]
    assert stored(config) == STORED
    assert db(config).execute("SELECT newest FROM telegram_channels").fetchall() == [(114,)]
    forwarded = next(a for a in alerts if a["url"].endswith("/108"))
    assert forwarded["forwarded_from"] == {"name": "Euphrates Post", "url": "https://t.me/euphrates_post/5512"}
    assert all("forwarded_from" not in a for a in alerts if a is not forwarded)
    video = next(a for a in alerts if a["url"].endswith("/110"))
    assert {"keyword": "Deir ez-Zor", "term": "Deir ez-Zor", "found": "Deir\nez-Zor"} in video["matched"]
    assert video["title"] == "Footage from the corniche of Deir ez-Zor this morning 🎥"
    assert all(a["source"] == "Deir ez-Zor Now" and a["published"] for a in alerts)
    text = db(config).execute("SELECT text FROM articles WHERE url = ?", [LINK + "105"]).fetchone()[0]
    assert "دير الزور\nالمصدر" in text  # line breaks kept in the stored text

    again, err = check(cli, config)
    assert again == [], err
    assert tme.requested() == [page_of(tme)]  # the first page reaches what the last poll read: nothing older
    assert stored(config) == STORED


def test_the_first_poll_reads_no_more_than_the_page_cap(tme, write_config, cli):
    config = write_config([channel(tme, pages=2)])
    alerts, _ = check(cli, config)
    assert by_message(alerts) == {i: FIRST[i] for i in (108, 110, 111, 112, 113)}
    assert tme.requested() == [page_of(tme), page_of(tme, 111)]
    assert stored(config) == [108, 109, 110, 111, 112, 113, 114]


def test_later_polls_read_only_newer_messages_across_pages(tme, write_config, cli):
    config = write_config([channel(tme)])
    check(cli, config)
    tme.requested()
    tme.post(CHANNEL, 115, "Convoy of the Nujaba crossed al-Qaim.", "20m")
    for i in range(116, 121):
        tme.post(CHANNEL, i, f"Market prices, day {i}: bread and fuel unchanged.", "10m")
    tme.post(CHANNEL, 121, "وصلت تعزيزات إلى دير الـزّور", "5m")
    alerts, _ = check(cli, config)
    assert by_message(alerts) == {115: ["Nujaba"], 121: ["Deir ez-Zor"]}
    # two pages: the second (114-117) reaches the newest message read before; nothing older is asked for
    assert tme.requested() == [page_of(tme), page_of(tme, 118)]
    assert stored(config) == STORED + list(range(115, 122))
    assert db(config).execute("SELECT newest FROM telegram_channels").fetchall() == [(121,)]
    assert check(cli, config)[0] == []


def test_more_new_messages_than_the_cap_are_cut_with_a_warning(tme, write_config, cli):
    config = write_config([channel(tme, pages=2)])
    check(cli, config)
    for i in range(115, 127):
        tme.post(CHANNEL, i, f"Deir ez-Zor bulletin number {i}.", "5m")
    alerts, err = check(cli, config)
    assert sorted(by_message(alerts)) == list(range(119, 127))  # two pages of four: the rest is skipped
    assert "more than 2 pages of new messages since the last poll" in err


def test_an_edit_updates_the_text_and_alerts_only_a_new_group(tme, write_config, cli):
    config = write_config([channel(tme)])
    first, _ = check(cli, config)
    answer = "on the border clashes; the Nujaba movement answered within the hour"
    tme.edit(CHANNEL, 111, "on the border clashes", answer)
    alerts, _ = check(cli, config)
    assert by_message(alerts) == {111: ["Nujaba"]}  # Hezbollah was alerted already
    assert alerts[0]["story"] == next(a["story"] for a in first if a["url"].endswith("/111"))
    text = db(config).execute("SELECT text FROM articles WHERE url = ?", [LINK + "111"]).fetchone()[0]
    assert "answered within the hour" in text
    code, out, _ = cli("search", "--config", config, "--json", "answered")
    assert code == 0 and [json.loads(line)["url"] for line in out.splitlines()] == [LINK + "111"]
    # edited again, naming only groups alerted already: stored, not alerted
    tme.edit(CHANNEL, 111, "within the hour", "within the hour, and Hezbollah did not")
    assert check(cli, config)[0] == []
    assert stored(config) == STORED


def test_a_caption_given_to_a_bare_photo_later_is_read(tme, write_config, cli):
    config = write_config([channel(tme)])
    check(cli, config)
    tme.post(CHANNEL, 115, "", "20m", photo=True)  # a photo without a caption: nothing to read, nothing stored
    tme.post(CHANNEL, 116, "Bread prices unchanged.", "10m")
    assert check(cli, config)[0] == []
    assert db(config).execute("SELECT newest FROM telegram_channels").fetchall() == [(116,)]
    caption = 'dir="auto">Nujaba checkpoint on the Mayadin road</div>'  # given to the photo by an edit
    tme.edit(CHANNEL, 115, 'dir="auto"></div>', caption)
    alerts, _ = check(cli, config)
    assert by_message(alerts) == {115: ["Nujaba"]}


def test_a_429_is_honoured_and_nothing_is_lost(tme, write_config, cli, capsys):
    config = write_config([channel(tme)])
    tme.refuse(page_of(tme), retry_after="120")
    alerts, err = check(cli, config)
    assert alerts == []
    lines = [line for line in err.splitlines() if "Deir ez-Zor Now" in line]
    assert len(lines) == 1 and "HTTP 429 Too Many Requests (Retry-After 120 s)" in lines[0]
    assert stored(config) == []

    from bot.check import run_check_with

    tme.refuse(page_of(tme, 111), retry_after="90")  # now the first page answers, the second is refused
    results = run_check_with(load(config), as_json=True)
    capsys.readouterr()
    assert results[0].retry_after == 90.0  # the scheduler waits at least that long before the next poll
    assert "page 2" in results[0].warnings[0] and "HTTP 429" in results[0].warnings[0]
    assert stored(config) == [111, 112, 113, 114]
    assert db(config).execute("SELECT count(*) FROM telegram_channels").fetchone()[0] == 0  # not read through
    tme.requested()
    alerts, err = check(cli, config)  # the walk again, from the top: nothing alerted twice, nothing missed
    assert by_message(alerts) == {i: FIRST[i] for i in (105, 106, 108, 110)}, err
    assert tme.requested() == [page_of(tme), page_of(tme, 111), page_of(tme, 107)]
    assert stored(config) == STORED


def test_a_name_that_is_not_a_public_channel_is_one_clear_error(tme, write_config, cli):
    config = write_config([channel(tme, "wirewatch_group") | {"name": "A group"}, channel(tme)])
    alerts, err = check(cli, config)
    assert by_message(alerts) == FIRST  # the other source is read as ever
    lines = [line for line in err.splitlines() if "A group" in line]
    assert lines == [
        f"wirewatch: source 'A group' ({tme.url('/s/wirewatch_group')}): @wirewatch_group is not a public Telegram "
        f"channel: its preview page redirected to {tme.url('/wirewatch_group')}, which has no messages (private "
        "channels, groups, users and bots have none; check the name in t.me/s/wirewatch_group)"
    ]
    assert "/wirewatch_group" in tme.requested()


# ------------------------------------------------------------------------------------------ stories


def test_a_message_and_a_web_article_are_one_story_either_way(tme, write_config, cli, tmp_path):
    web = web_feed(tme, "<p>Source: Deir ez-Zor Now</p>" + WEB_COPY)
    together = write_config([channel(tme), web])
    alerts, _ = check(cli, together)
    water = [a for a in alerts if "Water" in a["title"]]
    assert len(water) == 1  # one story, alerted once, whichever came first
    (also,) = water[0]["also"]
    assert {water[0]["source"], also["source"]} == {"Deir ez-Zor Now", "Euphrates Post"}

    for first, second in ((channel(tme), web), (web, channel(tme))):
        (tmp_path / "wirewatch.db").unlink()
        config = write_config([first])
        alerts, _ = check(cli, config)
        (original,) = [a for a in alerts if "Water" in a["title"]]
        config = write_config([first, second])
        alerts, _ = check(cli, config)
        assert not [a for a in alerts if "Water" in a["title"]]  # the copy never alerts again
        code, out, _ = cli("story", "--config", config, "--json", str(original["story"]))
        story = json.loads(out)
        assert code == 0 and {a["source"] for a in story["articles"]} == {"Deir ez-Zor Now", "Euphrates Post"}
        assert any(a["url"] == LINK + str(STORY) for a in story["articles"])


def test_short_messages_never_join_a_story(tme, write_config, cli):
    brief = "Deir ez-Zor: clashes reported near the airport."  # message 113, word for word: too short to tell
    web = web_feed(tme, "", title="Clashes near the airport", summary=brief) | {"articles": "never"}
    alerts, _ = check(cli, write_config([channel(tme), web]))
    short = [a for a in alerts if "clashes reported near the airport" in a["snippet"]]
    assert len(short) == 2 and short[0]["story"] != short[1]["story"] and not short[0]["also"]


# ------------------------------------------------------------------------------------------ the rest


def test_recent_search_and_explain_read_telegram_articles(tme, write_config, cli):
    config = write_config([channel(tme)])
    check(cli, config)
    code, out, _ = cli("recent", "--config", config, "--json", "--keyword", "Nujaba")
    assert code == 0 and [json.loads(line)["url"] for line in out.splitlines()] == [LINK + "108"]
    code, out, _ = cli("search", "--config", config, "--json", "corniche")
    assert code == 0 and [json.loads(line)["url"] for line in out.splitlines()] == [LINK + "110"]
    code, out, _ = cli("search", "--config", config, "--json", '"Deir Al-Zour"')  # every spelling, as alerts do
    urls = [json.loads(line)["url"] for line in out.splitlines()]
    assert code == 0 and LINK + "113" in urls and LINK + "109" not in urls  # never a reply's quote

    tme.requested()
    code, out, err = cli("explain", "--config", config, "--json", LINK + "109")  # a reply quoting "دير الزور"
    assert code == 0, err
    assert not any(json.loads(line)["matched"] for line in out.splitlines())
    assert tme.requested() == [page_of(tme, 110)]  # the configured channel's own preview page, around 109
    code, out, err = cli("explain", "--config", config, LINK + "110")
    assert code == 0, err
    assert "MATCH     Deir ez-Zor" in out and "Telegram message" in err
    code, _, err = cli("explain", "--config", config, LINK + "107")  # a photo without a caption
    assert code == 1 and "message 107 is not on" in err


def test_console_alerts_name_the_origin_of_a_forwarded_message(tme, write_config, cli):
    code, out, err = cli("check", "--config", write_config([channel(tme)]))
    assert code == 0, err
    assert "  Deir ez-Zor Now · forwarded from Euphrates Post · " in out and f"{LINK}108\n" in out
    assert out.count("forwarded from") == 1 and f"{len(FIRST)} new alerts." in out


def test_alerts_reach_slack_with_their_origin(tme, write_config, cli, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    with SlackFake() as slack:
        slack.add_channel("C0SYRIA01", "syria-alerts")
        config = write_config(
            [channel(tme)], channels=[{"slack": "#syria-alerts"}], digest_after=100,
            slack={"bot_token": "${SLACK_BOT_TOKEN}", "api_url": slack.api_url},
        )  # fmt: skip
        alerts, _ = check(cli, config)
        posts = slack.posts()
    assert len(posts) == len(alerts) == len(FIRST)
    (forwarded,) = [p for p in posts if f"<{LINK}108|" in p["blocks"][0]["text"]["text"]]
    assert "forwarded from Euphrates Post" in json.dumps(forwarded["blocks"], ensure_ascii=False)
    assert all(p["blocks"][0]["text"]["text"].startswith(f"*<{LINK}") for p in posts)


def test_config_keys_of_a_telegram_source(tme, write_config, cli):
    config = write_config([channel(tme)])
    code, out, _ = cli("validate", "--config", config)
    assert code == 0 and "(0 feeds, 0 pages, 1 Telegram channel)" in out
    cfg = load(config)
    assert cfg.interval(cfg.sources[0]) == 300  # t.me answers bursts with 429: 5 minutes unless told
    assert load(write_config([channel(tme)], every="20m")).interval(cfg.sources[0]) == 300  # the web's, not its
    own = load(write_config([channel(tme, every="2m")]))
    assert own.interval(own.sources[0]) == 120
    bad = write_config([channel(tme) | {"url": "https://t.me/deirezzor_now"}])
    code, _, err = cli("validate", "--config", bad)
    assert code == 2 and 'sources[0].url: "https://t.me/deirezzor_now" is not a channel preview page (use ' in err
    assert "https://t.me/s/deirezzor_now)" in err
    code, _, err = cli("validate", "--config", write_config([{"name": "F", "url": "https://x.example/f", "pages": 3}]))
    assert code == 2 and "sources[0].pages: only a source of type telegram reads pages back" in err


def test_chat_commands_answer_with_telegram_messages(tme, write_config, cli):
    """/wirewatch recent, search and story (the layer Slack and Matrix share) on a channel's messages."""
    from bot.chat.commands import HIGHLIGHT, Request, handle
    from bot.store import Store

    config = write_config([channel(tme)])
    alerts, _ = check(cli, config)
    cfg = load(config)
    store = Store.open(cfg.database_path)
    try:
        ask = lambda text: handle(Request(text, "U1", "slack:#c", False), cfg, store)  # noqa: E731
        recent = ask("recent Nujaba")
        assert recent.kind == "stories" and [row["url"] for row in recent.rows] == [LINK + "108"]
        assert {row["url"] for row in ask("recent").rows} == {alert["url"] for alert in alerts}
        found = ask("search corniche")
        assert [row["url"] for row in found.rows] == [LINK + "110"]
        assert HIGHLIGHT[0] in found.rows[0]["snippet"]
        story = ask(f"story {recent.rows[0]['story']}")
        assert story.kind == "story" and LINK + "108" in json.dumps(story.rows, ensure_ascii=False)
    finally:
        store.close()
