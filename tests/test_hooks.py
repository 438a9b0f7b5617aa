"""Alerts to a signed webhook and to Apprise services, through `wirewatch check`: each alert once to each, a 503
retried under the same delivery id, a 4xx failing one alert alone, 429's Retry-After, Apprise failures retried
and shown without the URL's secrets, routing, and hostile text made inert in Markdown and plain text.

The receivers are real HTTP servers on loopback (tests/hook_receivers.py): a webhook receiver checked with
the verification code docs/channels.md gives users, Apprise's generic json:// and form:// services, and a
Mattermost server's incoming webhooks behind Apprise's real mmost:// plugin.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime

import pytest
from lxml import html as lxml_html

from bot.appriselib import library
from bot.hooks import text
from tests.hook_receivers import Mattermost, Receiver
from tests.test_hostile import ARTICLE, OTHER, PAYLOADS, alert_with
from tests.utils import ROOT

SECRET = "whsec-7a1b9c"


def receiver_code() -> dict:
    """The verification function exactly as docs/channels.md shows it to users."""
    doc = (ROOT / "docs" / "channels.md").read_text(encoding="utf-8")
    (code,) = [block for block in re.findall(r"```python\n(.*?)```", doc, re.S) if "def verify" in block]
    namespace: dict = {}
    exec(code, namespace)
    return namespace


@pytest.fixture
def hooks_config(site, write_config, monkeypatch):
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)

    def make(channels, **extra):
        sources = [{"name": "Euphrates", "url": site.url("/euphrates/feed.xml")},
                   {"name": "Al-Forat", "url": site.url("/alforat/feed.xml")}]  # fmt: skip
        return write_config(sources, channels=channels, **extra)

    return make


def check(cli, config) -> tuple[list[dict], str]:
    code, out, err = cli("check", "--config", config, "--json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()], err


def statuses(config) -> dict[tuple[str, str], int]:
    db = sqlite3.connect(config.parent / "wirewatch.db")
    rows = db.execute("SELECT channel, status, count(*) FROM deliveries GROUP BY channel, status").fetchall()
    return {(channel, status): n for channel, status, n in rows}


def test_each_alert_reaches_a_signed_webhook_and_an_apprise_channel_exactly_once(hooks_config, cli):
    with Receiver() as hook, Receiver() as sink:
        hook.fail(503, body=b"upstream busy")  # the first POST fails: retried under the same delivery id
        config = hooks_config([{"webhook": hook.url(), "secret": "${WEBHOOK_SECRET}", "name": "siem"},
                               {"apprise": sink.url("/notify", "json"), "name": "json"}], digest_after=3)  # fmt: skip
        alerts, err = check(cli, config)
        assert len(alerts) >= 5
        verify = receiver_code()["verify"]
        bodies = [verify(SECRET.encode(), r.headers, r.body) for r in hook.requests]  # raises if one is forged
        deliveries = [r.headers["X-Wirewatch-Delivery"] for r in hook.requests]
        assert deliveries[0] == deliveries[1]  # the 503'd POST, retried as the same delivery
        assert [b["type"] for b in bodies] == ["alert"] * (len(alerts) + 1)
        assert sorted(b["alert_id"] for b in bodies[1:]) == sorted(a["alert_id"] for a in alerts)
        assert len(set(deliveries)) == len(alerts)  # one delivery id per alert
        for body, request in zip(bodies, hook.requests, strict=True):
            assert request.headers["X-Wirewatch-Timestamp"] == str(body["timestamp"])
            assert request.headers["X-Wirewatch-Event"] == "alert"
            assert {"url", "title", "source", "published", "keywords", "snippet", "story", "also"} <= body.keys()
        by_url = {a["url"]: a for a in alerts}
        for body in bodies[1:]:
            assert body["keywords"] == by_url[body["url"]]["keywords"] and body["channel"] == "webhook:siem"
        # Apprise: more alerts than digest_after make a digest, as in Slack and Matrix; each alert is in one
        notes = [r.json() for r in sink.requests]
        assert all(n["title"] and n["type"] == "info" for n in notes)
        shown = "\n".join(n["message"] for n in notes)
        for alert in alerts:
            assert shown.count(f"]({alert['url']})") == 1
        assert "webhook:siem: " in err and "apprise:json: " in err
        assert statuses(config) == {("webhook:siem", "sent"): len(alerts), ("apprise:json", "sent"): len(alerts)}
        before = (len(hook.requests), len(sink.requests))
        again, _ = check(cli, config)
        assert again == [] and (len(hook.requests), len(sink.requests)) == before  # a rerun sends nothing


def test_a_refused_webhook_post_fails_that_alert_alone_until_redeliver(hooks_config, cli):
    with Receiver() as hook:
        hook.fail(422, {"Content-Type": "application/json"}, b'{"error": "schema mismatch"}')
        config = hooks_config([{"webhook": hook.url(), "secret": "${WEBHOOK_SECRET}", "name": "siem"}])
        alerts, err = check(cli, config)
        assert "webhook:siem: a message was refused: the receiver answered 422 Unprocessable Entity" in err
        assert statuses(config) == {("webhook:siem", "failed"): 1, ("webhook:siem", "sent"): len(alerts) - 1}
        code, out, _ = cli("status", "--config", config, "--json")
        (row,) = [json.loads(line) for line in out.splitlines()]
        assert row["failed"] == 1 and "422" in row["last_error"] and hook.url() not in out
        failed_delivery = hook.requests[0].headers["X-Wirewatch-Delivery"]
        code, out, err = cli("redeliver", "webhook:siem", "--config", config)
        assert code == 0, err
        assert hook.requests[-1].headers["X-Wirewatch-Delivery"] == failed_delivery
        assert statuses(config) == {("webhook:siem", "sent"): len(alerts)}


def test_a_rate_limited_webhook_waits_its_retry_after(hooks_config, cli):
    with Receiver() as hook:
        hook.fail(429, {"Retry-After": "1"}, b"slow down")
        config = hooks_config([{"webhook": hook.url(), "secret": "${WEBHOOK_SECRET}", "name": "siem"}])
        alerts, _ = check(cli, config)
        first, second = hook.requests[0], hook.requests[1]
        assert first.headers["X-Wirewatch-Delivery"] == second.headers["X-Wirewatch-Delivery"]
        assert int(second.headers["X-Wirewatch-Timestamp"]) >= int(first.headers["X-Wirewatch-Timestamp"])
        assert statuses(config) == {("webhook:siem", "sent"): len(alerts)}


def test_an_unreachable_webhook_keeps_its_alerts_pending_and_sends_them_later(hooks_config, cli):
    with Receiver() as hook:
        url = hook.url()
    config = hooks_config([{"webhook": url, "secret": "${WEBHOOK_SECRET}", "name": "siem"}])
    alerts, err = check(cli, config)  # nobody listens on the port any more
    assert "webhook:siem: cannot reach the receiver (ConnectError); the alerts stay in the outbox" in err
    assert url not in err
    assert statuses(config) == {("webhook:siem", "pending"): len(alerts)}


def test_apprise_failures_are_retried_and_shown_without_the_urls_secrets(hooks_config, cli):
    with Receiver() as sink:
        sink.fail(500, body=b"oops", times=100)
        url = sink.url("/hook", "json").replace("json://", "json://bot:s3cr3t-pass@") + "?:token=tok-98765"
        config = hooks_config([{"apprise": url}])
        alerts, err = check(cli, config)
        assert alerts and len(sink.requests) == 3  # `check` tries a message 3 times, with backoff, then leaves it
        for secret in ("s3cr3t-pass", "tok-98765", sink.base):
            assert secret not in err
        assert "the alerts stay in the outbox for the next try" in err
        ((channel, status),) = statuses(config)
        assert channel.startswith("apprise:json…") and status == "pending"
        _, out, _ = cli("status", "--config", config, "--json")
        (row,) = [json.loads(line) for line in out.splitlines()]
        assert row["pending"] == len(alerts) and "s3cr3t-pass" not in out and "tok-98765" not in out
        assert "Internal Server Error" in row["last_error"] or "500" in row["last_error"]
        sink.answers.clear()
        assert check(cli, config)[0] == []  # nothing new: the pending alerts go out now
        assert statuses(config) == {(channel, "sent"): len(alerts)}
        assert sink.requests[-1].headers.get("Authorization", "").startswith("Basic ")  # the user:pass reached it


def test_apprise_form_and_a_mattermost_server_get_each_routed_alert(hooks_config, cli):
    with Receiver() as form, Mattermost("ykq8fbxa4bgyzmw9x5rxbn3ufe") as chat:
        config = hooks_config([
            {"apprise": form.url("/form", "form"), "keywords": ["Hezbollah"], "name": "form"},
            {"apprise": f"mmost://{chat.base}/{chat.hook_id}", "name": "mattermost"},
        ], digest_after=100)  # fmt: skip
        alerts, _ = check(cli, config)
        hezbollah = [a for a in alerts if "Hezbollah" in a["keywords"]]
        assert hezbollah and len(hezbollah) < len(alerts)
        posted = [r.form() for r in form.requests]
        assert len(posted) == len(hezbollah) and all("[Hezbollah" in p["title"] for p in posted)
        assert len(chat.posts) == len(alerts)  # Mattermost takes plain text: a title line and the body
        for post, alert in zip(chat.posts, sorted(alerts, key=lambda a: a["alert_id"]), strict=True):
            assert alert["url"] in post["text"] and "**" not in post["text"]
        assert statuses(config)[("apprise:mattermost", "sent")] == len(alerts)


def test_a_wrong_mattermost_hook_is_reported_and_kept(hooks_config, cli):
    with Mattermost("realhookid0000000000000000") as chat:
        config = hooks_config([{"apprise": f"mmost://{chat.base}/wronghookid000000000000000", "name": "mm"}])
        alerts, err = check(cli, config)
        assert chat.posts == [] and "wronghookid" not in err
        assert statuses(config) == {("apprise:mm", "pending"): len(alerts)}


# ----------------------------------------------------------------------------------------- hostile text

_ALLOWED_TAGS = {"p", "strong", "em", "a", "blockquote", "br", "ul", "li", "h1", "div", "html", "body"}
_MENTION = re.compile(r"(?<![\w＠])@(channel|here|everyone|room)\b", re.I)
_LINKY = re.compile(r"(?i)\b(https?|javascript|mailto|data|matrix|tg)\s*:|www\.|\bevil[\w-]*\.(com|example)\b")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_is_inert_in_markdown_as_apprise_renders_it(payload):
    from apprise.conversion.format import markdown_to_html

    library()
    alert = alert_with(payload)
    rendered = text.alert(alert, markdown=True)
    page = lxml_html.fromstring(f"<div>{markdown_to_html(rendered.body)}</div>")
    assert {el.tag for el in page.iter() if isinstance(el.tag, str)} <= _ALLOWED_TAGS
    links = {a.get("href") for a in page.iter("a")}
    assert links <= {ARTICLE, OTHER, OTHER + "?x=1%7C%3C!channel%3E"}, links
    shown = page.text_content()
    for part in (shown, rendered.title):
        assert not _MENTION.search(part), part
        assert not _LINKY.search(part.replace(ARTICLE, "").replace(OTHER, "")), part


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_is_inert_in_plain_text(payload):
    alert = alert_with(payload)
    rendered = text.alert(alert, markdown=False)
    for part in (rendered.body, rendered.title):
        assert not _MENTION.search(part), part
        rest = part.replace(ARTICLE, "").replace(OTHER + "?x=1%7C%3C!channel%3E", "").replace(OTHER, "")
        assert not _LINKY.search(rest), part


def test_the_markdown_alert_shows_the_spelling_found_in_bold():
    alert = alert_with("quiet words")
    alert.published = datetime(2026, 12, 4, 8, 15, tzinfo=UTC)
    body = text.alert(alert, markdown=True).body
    assert f"**[quiet words in Deir ez-Zor]({ARTICLE})**" in body
    assert "**Deir ez-Zor quiet words**" in body and "2026-12-04 08:15 UTC" in body


def test_a_group_muted_from_the_command_line_is_held_back_from_a_webhook(hooks_config, cli):
    with Receiver() as hook:
        config = hooks_config([{"webhook": hook.url(), "secret": "${WEBHOOK_SECRET}", "name": "siem"}])
        code, _, err = cli("mute", "webhook:siem", "hezbollah", "24h", "--config", config)
        assert code == 0 and "webhook:siem: Muted Hezbollah here for 24h." in err
        code, _, err = cli("mute", "webhook:siem", "Atlantis", "24h", "--config", config)
        assert code == 1 and "Atlantis" in err
        alerts, _ = check(cli, config)
        only_hezbollah = [a for a in alerts if a["keywords"] == ["Hezbollah"]]
        assert only_hezbollah and len(only_hezbollah) < len(alerts)
        posted = {json.loads(r.body)["alert_id"] for r in hook.requests}
        assert posted == {a["alert_id"] for a in alerts} - {a["alert_id"] for a in only_hezbollah}
        assert statuses(config)[("webhook:siem", "muted")] == len(only_hezbollah)
        code, _, err = cli("unmute", "webhook:siem", "Hezbollah", "--config", config)
        assert code == 0 and "no longer muted" in err


def test_every_apprise_url_the_docs_show_is_one_apprise_takes():
    from bot.appriselib import service

    shown = []
    for page in ("README.md", "docs/channels.md", "config/wirewatch.yaml"):
        doc = (ROOT / page).read_text(encoding="utf-8")
        shown += re.findall(r'apprise: "([^"]+)"', doc)
        shown += [u for u in re.findall(r"\| `([a-z]+s?://[^`]+)`", doc)]
    assert len(shown) >= 10
    for url in shown:
        concrete = re.sub(r"\$\{[A-Z_]*BOT_TOKEN\}", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", url)
        concrete = re.sub(r"\$\{[A-Z_]+\}", "1234567890", concrete)  # the others take any word
        assert service(concrete) is not None, url


def test_run_keeps_reading_while_hooks_fail_and_healthz_names_them(sites, tmp_path, monkeypatch):
    """`wirewatch run` with a webhook answering 503 and an Apprise service answering 500: polling goes on, /healthz
    says degraded and names both channels and why (without their URLs), and once they answer, each alert arrives
    once."""
    import os
    import signal
    import subprocess
    import sys

    import httpx
    import yaml

    from tests.utils import KEYWORDS, free_port, wait_for

    port = free_port()
    with Receiver() as hook, Receiver() as sink:
        hook.fail(503, times=10_000)
        sink.fail(500, times=10_000)
        config = tmp_path / "wirewatch.yaml"
        config.write_text(yaml.safe_dump({
            "database": "wirewatch.db", "keywords": KEYWORDS, "timeout": "3s", "host_spacing": 0,
            "sources": [{"name": "Euphrates", "url": sites.url("/euphrates/feed.xml"), "every": "1h"}],
            "channels": [{"webhook": hook.url(), "secret": "${WEBHOOK_SECRET}", "name": "siem"},
                         {"apprise": sink.url("/n", "json").replace("json://", "json://u:pw-98765@")}],
            "metrics": {"listen": f"127.0.0.1:{port}"},
        }), encoding="utf-8")  # fmt: skip
        env = {**os.environ, "WEBHOOK_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"

            def failing() -> dict | None:
                try:
                    response = httpx.get(f"{base}/healthz", timeout=10)
                except httpx.ConnectError:  # not serving yet
                    return None
                body = response.json()
                return body if body["status"] == "degraded" and len(body["problems"]) == 2 else None

            body = wait_for(failing, timeout=60, what="both hooks reported failing")
            assert "the receiver answered 503 Service Unavailable" in body["problems"]["webhook:siem"]
            assert "error=500" in json.dumps(body) and sink.base not in json.dumps(body)
            assert "pw-98765" not in json.dumps(body)
            stored = sqlite3.connect(tmp_path / "wirewatch.db").execute("SELECT count(*) FROM alerts").fetchone()[0]
            assert stored > 0  # the poll was stored while both outputs failed
            hook.answers.clear()
            sink.answers.clear()
            wait_for(lambda: len({json.loads(r.body)["alert_id"] for r in hook.requests if not r.answered_error})
                     == stored and len([r for r in sink.requests if not r.answered_error]) >= 1,
                     timeout=400, what="the alerts delivered once the hooks are back")  # fmt: skip
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=40)
        assert "pw-98765" not in err and "Traceback" not in err, err
        delivered = [json.loads(r.body)["alert_id"] for r in hook.requests if not r.answered_error]
        assert sorted(delivered) == sorted(set(delivered))  # each alert once


def test_a_republication_reaches_a_webhook_as_also_reported_in_reply_to_its_alert(outlets, write_config, cli,
                                                                                   monkeypatch):  # fmt: skip
    from tests.story_web import ARTICLES, ORIGINALS, OUTLETS

    publish, sources = outlets
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    with Receiver() as hook, Receiver() as sink:
        config = write_config(sources(list(OUTLETS)), digest_after=100, timeout="15s", channels=[
            {"webhook": hook.url(), "secret": "${WEBHOOK_SECRET}", "name": "siem"},
            {"apprise": sink.url("/n", "json"), "name": "team"}])  # fmt: skip
        publish(ORIGINALS)
        alerts, err = check(cli, config)
        assert "timed out" not in err, err
        publish(ARTICLES)
        assert check(cli, config)[0] == []  # copies never alert again
        verify = receiver_code()["verify"]
        bodies = [verify(SECRET.encode(), r.headers, r.body) for r in hook.requests]
        pairs = zip(bodies, hook.requests, strict=True)
        delivery_of = {b["alert_id"]: r.headers["X-Wirewatch-Delivery"] for b, r in pairs if b["type"] == "alert"}
        replies = [b for b in bodies if b["type"] == "also_reported"]
        assert replies and len(delivery_of) == len(alerts)
        for reply in replies:  # each names the delivery of an alert this receiver got
            assert reply["in_reply_to"] in delivery_of.values()
            assert reply["also"] and all(item["url"] and item["source"] for item in reply["also"])
        notes = [r.json() for r in sink.requests]
        assert [n["title"] for n in notes].count("Also reported") == len(replies)
        before = (len(hook.requests), len(sink.requests))
        check(cli, config)
        assert (len(hook.requests), len(sink.requests)) == before


def test_debug_logging_never_shows_a_hooks_url(hooks_config):
    with Receiver() as hook, Receiver() as sink:
        config = hooks_config([{"webhook": hook.url("/h/tok-55555"), "name": "siem"},
                               {"apprise": sink.url("/n/tok-66666", "json"), "name": "team"}])  # fmt: skip
        import os
        import subprocess
        import sys

        done = subprocess.run([sys.executable, "-m", "bot", "check", "--config", str(config), "--debug"], cwd=ROOT,
                              env={**os.environ, "WEBHOOK_SECRET": SECRET}, capture_output=True, text=True)  # fmt: skip
        err = done.stderr
        assert done.returncode == 0 and " DEBUG " in err  # --debug logs everything ...
        assert len(hook.requests) > 0 and len(sink.requests) > 0
        assert "tok-55555" not in err and "tok-66666" not in err  # ... never a hook's URL
