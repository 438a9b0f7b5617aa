"""Scraped text is hostile: no Slack message can ping anyone or carry a link other than the article's own.

Every payload of tests/data/hostile.yaml goes into every scraped field of an alert (headline, snippet,
the spelling found, source name, the outlets that also ran it, where a Telegram message was forwarded
from), and the Block Kit message is checked against what Slack would act on: ``<...>`` control sequences,
bare mentions, URLs it would link, mrkdwn formatting, invisible characters; and Block Kit's limits. The same
payloads then travel the whole way: served on a page, polled by `wirewatch check`, posted to the local fake
of Slack.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime

import pytest
import yaml

from bot.chat.inert import inert
from bot.demo.server import SiteServer
from bot.models import Alert, Forwarded, Match
from bot.slack import render as blocks
from tests.slack_fake import BOT_TOKEN, SlackFake
from tests.utils import DATA

PAYLOADS = yaml.safe_load((DATA / "hostile.yaml").read_text(encoding="utf-8"))["payloads"]
ARTICLE = "https://news.example/2026/12/deir-ez-zor-water/"
OTHER = "https://copies.example/p/88231"

_TOKEN = re.compile(r"<([^<>]*)>")
_DATE = re.compile(r"^!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9: -]+UTC$")
_LINKY = re.compile(
    r"(?i)\b(https?|ftp|javascript|mailto|file|data|matrix|slack|tg)\s*:|www\.|\b[\w-]+\.(com|org|net|example|io)\b"
)


def alert_with(payload: str) -> Alert:
    found = f"Deir ez-Zor {payload}"
    before = f"… before {payload} after "
    return Alert(
        id=7, article_id=3, url=ARTICLE, title=f"{payload} in Deir ez-Zor", source=f"Outlet {payload}",
        published=datetime(2026, 12, 4, 8, 15, tzinfo=UTC), keywords=["Deir ez-Zor"],
        snippet=f"… before {payload} after {found} and more {payload} …",
        matches=[Match("Deir ez-Zor", "Deir ez-Zor", found, 0, len(found))], story_id=5,
        also=[{"source": payload, "url": OTHER, "seen": "2026-12-04T09:00:00+00:00"},
              {"source": "Mirror", "url": f"{OTHER}?x=1|<!channel>", "seen": None}],
        forwarded=Forwarded(f"Channel {payload}", f"https://t.me/{payload}/1"),  # a Telegram message's origin
        mark=(len(before), len(before) + len(found)),  # the spelling that fired, itself hostile here
    )  # fmt: skip


def texts(message: dict) -> list[tuple[str, str]]:
    """Every string Slack renders, with the kind of object it sits in."""
    out = [("fallback", message["text"])]

    def walk(node, kind="block"):
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
                out.append((node["type"], node["text"]))
            for key, value in node.items():
                if key != "text" or not isinstance(value, str):
                    walk(value, kind)
        elif isinstance(node, list):
            for item in node:
                walk(item, kind)

    walk(message["blocks"])
    return out


def assert_inert(message: dict, allowed: set[str]) -> None:
    allowed_targets = {blocks.safe_url(url) for url in allowed}
    for kind, text in texts(message):
        for token in _TOKEN.findall(text):
            if token.startswith("!"):
                assert _DATE.match(token), f"control sequence {token!r} in {text!r}"
            else:
                target = token.partition("|")[0]
                assert target in allowed_targets, f"link to {target!r} in {text!r}"
                assert "|" not in target
        rest = _TOKEN.sub("", text)
        assert "<" not in rest and ">" not in rest, text
        assert "@" not in text, f"an @ in {text!r}"
        assert not _LINKY.search(rest), f"something Slack would link in {rest!r}"
        assert not any(c in rest for c in "_~`"), f"mrkdwn formatting in {rest!r}"
        assert all(unicodedata.category(c) not in ("Cf", "Cc") or c == "\n" for c in text), repr(text)
        assert len(text) <= (blocks.FALLBACK if kind == "fallback" else blocks.SECTION)


def assert_within_block_kit_limits(message: dict) -> None:
    assert len(message["blocks"]) <= blocks.MAX_BLOCKS
    for block in message["blocks"]:
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(len(e["text"]) <= blocks.CONTEXT for e in block["elements"])
        for option in (block.get("accessory") or {}).get("options", []):
            assert len(option["text"]["text"]) <= blocks.OPTION and len(option["value"]) <= 150


def test_the_corpus_is_large_enough():
    assert len(PAYLOADS) >= 20


@pytest.mark.parametrize("payload", PAYLOADS)
def test_an_alert_message_is_inert(payload):
    message = blocks.alert_message(alert_with(payload)).body
    assert_inert(message, {ARTICLE, OTHER, f"{OTHER}?x=1|<!channel>"})
    assert_within_block_kit_limits(message)
    headline = message["blocks"][0]["text"]["text"]
    assert re.fullmatch(r"\*<[^<>]*>\*", headline), headline  # one bold link, to the article
    assert headline.startswith(f"*<{ARTICLE}|")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_digest_and_a_thread_reply_are_inert(payload):
    alerts = [alert_with(payload) for _ in range(3)]
    for message in blocks.digest_messages(alerts):
        assert_inert(message.body, {ARTICLE})
        assert_within_block_kit_limits(message.body)
    reply = blocks.followup_message(alerts[0].also, [1, 2]).body
    assert_inert(reply, {OTHER, f"{OTHER}?x=1|<!channel>"})


def test_the_article_link_cannot_be_split_or_retargeted():
    url = "https://news.example/a?b=1&c=<!channel>|https://evil.example"
    target = blocks.safe_url(url)
    assert "|" not in target and "<" not in target and ">" not in target and "&c=" not in target
    assert target.startswith("https://news.example/a?b=1&amp;c=")
    assert blocks.safe_url("javascript:alert(1)") is None
    assert blocks.link("javascript:alert(1)", "x") == "x"  # no link at all


def test_long_text_is_cut_at_a_word_and_stays_valid():
    alert = alert_with("word " * 2000 + "&" * 3000)
    message = blocks.alert_message(alert).body
    assert_within_block_kit_limits(message)
    for _, text in texts(message):
        assert "&am…" not in text and not text.endswith("&")
        assert len(text) <= blocks.SECTION


def test_no_room_means_no_text():
    assert blocks.mrkdwn("<!channel>", 0) == ""
    assert len(blocks.mrkdwn("&&&&", 4)) <= 4


def test_inert_keeps_arabic_and_ordinary_text_readable():
    assert inert("وصلت تعزيزات إلى دير الزور، 2.5 مليون") == "وصلت تعزيزات إلى دير الزور، 2.5 مليون"
    assert inert("The U.S. said on Tuesday") == "The U.S. said on Tuesday"
    assert inert("see https://evil.example/x") == "see hxxps://evil[.]example/x"
    assert inert("a @channel b") == "a ＠channel b"


def test_hostile_page_end_to_end_through_check(tmp_path, write_config, cli, monkeypatch):
    """Payloads in a real page's headline and body, polled and posted: the message in Slack is inert."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    root = tmp_path / "web"
    (root / "hostile").mkdir(parents=True)
    import html

    title = " ".join(PAYLOADS[:6]) + " Deir ez-Zor"
    body = "".join(f"<p>{html.escape(p)} — Deir ez-Zor water station reopened after repairs.</p>" for p in PAYLOADS)
    (root / "hostile" / "a1.html").write_text(
        f"<html><head><title>{html.escape(title)}</title></head><body><article><h1>{html.escape(title)}</h1>"
        f"{body}</article></body></html>",
        encoding="utf-8",
    )
    (root / "hostile" / "index.html").write_text(
        f'<html><body><main><h2><a href="{{{{BASE}}}}/hostile/a1.html">{html.escape(title)}</a></h2></main>'
        "</body></html>",
        encoding="utf-8",
    )
    with SiteServer(root) as site, SlackFake() as slack:
        slack.add_channel("C0SYRIA01", "syria-alerts")
        config = write_config(
            [{"name": "Hostile <!channel> @here", "url": site.url("/hostile/"), "type": "page"}],
            channels=[{"slack": "#syria-alerts"}],
            slack={"bot_token": "${SLACK_BOT_TOKEN}", "api_url": slack.api_url},
        )
        code, out, err = cli("check", "--config", config, "--json")
        assert code == 0, err
        (alert,) = [json.loads(line) for line in out.splitlines()]
        (post,) = slack.posts()
        assert_inert({"text": post["text"], "blocks": post["blocks"]}, {alert["url"]})
        assert post["link_names"] is False and post["parse"] == "none"
        assert post["blocks"][0]["text"]["text"].startswith(f"*<{alert['url']}|&lt;!channel&gt; ")
        assert "＠channel" in post["blocks"][0]["text"]["text"]


# ------------------------------------------------------------------------------------------ Matrix

_MATRIX_TAGS = {"b", "i", "a", "br", "blockquote", "ul", "li"}


def assert_inert_matrix(message: dict, allowed: set[str]) -> None:
    from lxml import html as lxml_html

    from bot.matrix import render as notice

    content = message["content"]
    assert content["m.mentions"] == {}  # mentions nobody, whatever the text says
    for field in ("body", "formatted_body"):
        value = content[field]
        assert "@" not in value, f"an @ in the {field}: {value!r}"
        assert "matrix.to" not in value and "matrix:" not in value.replace("matrix[:]", ""), value
        assert all(unicodedata.category(c) not in ("Cf", "Cc") or c == "\n" for c in value), repr(value)
    assert not _LINKY.search(content["body"]), content["body"]
    tree = lxml_html.fragment_fromstring(content["formatted_body"], create_parent="div")
    for element in tree.iter():
        if element is tree:
            continue
        assert element.tag in _MATRIX_TAGS, f"<{element.tag}> in {content['formatted_body']!r}"
        assert set(element.attrib) <= ({"href"} if element.tag == "a" else set()), element.attrib
        if element.tag == "a":
            assert element.get("href") in {notice.href(u).replace("&amp;", "&") for u in allowed}, element.get("href")
    text = tree.text_content()
    assert not _LINKY.search(text), f"something a client would link in {text!r}"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_matrix_notice_is_inert(payload):
    from bot.matrix import render as notice

    alert = alert_with(payload)
    assert_inert_matrix(notice.alert_message(alert).body, {ARTICLE, OTHER, f"{OTHER}?x=1|<!channel>"})
    for message in notice.digest_messages([alert, alert_with(payload)]):
        assert_inert_matrix(message.body, {ARTICLE})
    assert_inert_matrix(notice.followup_message(alert.also, [1]).body, {OTHER, f"{OTHER}?x=1|<!channel>"})


def test_matrix_links_cannot_break_out_of_their_attribute():
    from bot.matrix import render as notice

    assert notice.href('https://news.example/a?b="><script>x</script>') == (
        "https://news.example/a?b=%22%3E%3Cscript%3Ex%3C/script%3E"
    )
    assert notice.href("javascript:alert(1)") is None
    assert notice.link("matrix:u/alice:example.org", "x") == "x"
