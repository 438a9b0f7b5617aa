"""`/wirewatch` against a real `wirewatch run`: HTTP mode with requests signed exactly as Slack signs them
(v0 HMAC-SHA256 of ``v0:timestamp:body``), forged and stale ones refused with 401, and a Socket Mode round
trip through the fake's WebSocket. The run also delivers its alerts to the fake's channel meanwhile.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import yaml

from bot.demo.server import SiteServer
from tests.slack_fake import APP_TOKEN, BOT_TOKEN, SECRET, SlackFake, payload, signed_headers
from tests.utils import DATA, KEYWORDS, free_port, stop, wait_for

ROOT = Path(__file__).parents[1]
ADMIN, SOMEONE = "U0ADMIN01", "U0OTHER01"


def start_run(tmp_path: Path, site: SiteServer, slack: SlackFake, **slack_settings) -> tuple[subprocess.Popen, Path]:
    config = tmp_path / "wirewatch.yaml"
    config.write_text(yaml.safe_dump({
        "database": "wirewatch.db",
        "sources": [{"name": "Euphrates", "url": site.url("/euphrates/feed.xml"), "every": "1h"}],
        "keywords": KEYWORDS,
        "channels": [{"slack": "#syria-alerts"}],
        "digest_after": 100,
        "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "signing_secret": "${SLACK_SIGNING_SECRET}",
                  "api_url": slack.api_url, "admins": [ADMIN], **slack_settings},
    }, allow_unicode=True), encoding="utf-8")  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_APP_TOKEN": APP_TOKEN}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    return proc, config


@pytest.fixture(scope="module")
def http_bot(tmp_path_factory):
    with SiteServer(DATA / "sites") as site, SlackFake() as slack:
        slack.add_channel("C0SYRIA01", "syria-alerts")
        port = free_port()
        proc, config = start_run(tmp_path_factory.mktemp("http"), site, slack, listen=f"127.0.0.1:{port}")
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            line = proc.stdout.readline()
            assert "Slack commands at" in line, line + (proc.stderr.read() if proc.poll() is not None else "")
            yield slack, url, config
        finally:
            err = stop(proc)
        assert "Traceback" not in err, err


def command(bot, text: str, user: str = SOMEONE) -> dict:
    """Send a signed /wirewatch and return what the bot posted to the command's response_url."""
    slack, url, _ = bot
    fields = payload(slack, text, user)
    body = urlencode(fields)
    started = time.monotonic()
    response = httpx.post(url, content=body, headers=signed_headers(body), timeout=10)
    assert response.status_code == 200, response.text
    assert time.monotonic() - started < 3  # acked within Slack's 3 seconds
    key = fields["response_url"].rsplit("/", 1)[1]
    return wait_for(lambda: next((b for k, b in slack.responses if k == key), None), what=f"the answer to {text!r}")


def test_the_run_delivers_its_alerts(http_bot):
    slack, _, config = http_bot

    def all_sent():
        db = sqlite3.connect(config.parent / "wirewatch.db")
        rows = dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())
        return rows if rows and set(rows) == {"sent"} else None

    rows = wait_for(all_sent, what="every alert sent")
    assert len(slack.channels["C0SYRIA01"].messages) == rows["sent"]


def test_recent_answers_ephemeral_block_kit(http_bot):
    wait_for(lambda: http_bot[0].channels["C0SYRIA01"].messages, what="the first alerts")
    answer = command(http_bot, "recent")
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["text"]["text"] == "*Latest alerts*"
    assert any("story " in b["text"]["text"] for b in answer["blocks"][1:])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", "mute &lt;group&gt; &lt;duration&gt;"),
        ("search Nujaba", "*Search: Nujaba*"),
        ("sources", "*Euphrates*"),
        ("keywords", "*Deir ez-Zor*"),
        ("status", "slack:#syria-alerts"),
        ("story 1", "*Story 1*"),
        ("frobnicate", "Unknown command"),
        ("recent Atlantis", "No keyword group named"),
    ],
)
def test_every_subcommand_answers(http_bot, text, expected):
    answer = command(http_bot, text)
    assert expected in json.dumps(answer["blocks"], ensure_ascii=False)


def test_mute_is_refused_to_others_and_done_for_admins(http_bot):
    refused = command(http_bot, "mute Nujaba 2h", user=SOMEONE)
    assert "only the bot's admins" in refused["blocks"][0]["text"]["text"]
    done = command(http_bot, "mute Nujaba 2h", user=ADMIN)
    assert done["blocks"][0]["text"]["text"] == "*Muted Nujaba here for 2h.*"
    keywords = json.dumps(command(http_bot, "keywords")["blocks"], ensure_ascii=False)
    assert "muted until" in keywords
    assert command(http_bot, "unmute Nujaba", user=ADMIN)["blocks"][0]["text"]["text"] == (
        "*Nujaba is no longer muted here.*"
    )


@pytest.mark.parametrize(
    "forge",
    ["bad signature", "other secret", "stale timestamp", "no signature", "body changed after signing"],
)
def test_forged_and_stale_requests_get_401_and_do_nothing(http_bot, forge):
    slack, url, _ = http_bot
    fields = payload(slack, "mute Nujaba 7d", user=ADMIN)
    body = urlencode(fields)
    headers = signed_headers(body)
    if forge == "bad signature":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif forge == "other secret":
        headers = signed_headers(body, secret="not-the-secret")
    elif forge == "stale timestamp":
        headers = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    elif forge == "no signature":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    else:
        body = body.replace("Nujaba", "Hezbollah")
    response = httpx.post(url, content=body, headers=headers, timeout=10)
    assert response.status_code == 401
    command(http_bot, "help")  # a request after it has been answered: the forged one never was
    assert fields["response_url"].rsplit("/", 1)[1] not in {k for k, _ in slack.responses}
    assert "muted until" not in json.dumps(command(http_bot, "keywords")["blocks"])


SOCKET_COMMANDS = [
    ("help", "mute &lt;group&gt;"), ("recent", "*Latest alerts*"), ("search Nujaba", "*Search: Nujaba*"),
    ("story 1", "*Story 1*"), ("sources", "*Euphrates*"), ("keywords", "*Nujaba*"), ("status", "*Outbox*"),
    ("mute Nujaba 1h", "only the bot's admins"), ("unmute Nujaba", "admins"),
]  # fmt: skip


def test_socket_mode_round_trip(tmp_path):
    with SiteServer(DATA / "sites") as site, SlackFake() as slack:
        slack.add_channel("C0SYRIA01", "syria-alerts")
        proc, _ = start_run(tmp_path, site, slack, app_token="${SLACK_APP_TOKEN}")
        try:
            wait_for(lambda: slack.sockets, what="the Socket Mode connection")
            assert any(name == "apps.connections.open" for name, _ in slack.calls)
            for text, expected in SOCKET_COMMANDS:
                fields = payload(slack, text)
                envelope = slack.push("slash_commands", fields)
                wait_for(lambda e=envelope: any(a.get("envelope_id") == e for a in slack.acks), what="the ack")
                key = fields["response_url"].rsplit("/", 1)[1]
                answer = wait_for(lambda k=key: next((b for r, b in slack.responses if r == k), None), what=text)
                assert expected in json.dumps(answer["blocks"], ensure_ascii=False), (text, answer)
        finally:
            err = stop(proc)
        assert "Traceback" not in err, err


def menu_action(bot, value: str, user: str) -> dict:
    """An alert's overflow menu choice, as Slack posts a block_actions payload (a form field ``payload``)."""
    slack, url, _ = bot
    response_url = slack.response_url()
    action = {
        "type": "block_actions", "user": {"id": user, "username": "someone", "team_id": "T0TEST001"},
        "api_app_id": "A0TEST", "token": "gIkuvaNzQIHg97ATvDxqgjtO", "trigger_id": "13345224609.738474920.88",
        "team": {"id": "T0TEST001", "domain": "test"}, "channel": {"id": "C0SYRIA01", "name": "syria-alerts"},
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C0SYRIA01"},
        "response_url": response_url,
        "actions": [{"type": "overflow", "action_id": "wirewatch_alert_menu", "block_id": "b1",
                     "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value},
                     "action_ts": "1700000001.000200"}],
    }  # fmt: skip
    body = urlencode({"payload": json.dumps(action)})
    response = httpx.post(url, content=body, headers=signed_headers(body), timeout=10)
    assert response.status_code == 200, response.text
    key = response_url.rsplit("/", 1)[1]
    return wait_for(lambda: next((b for k, b in slack.responses if k == key), None), what=f"the answer to {value}")


def test_the_alert_menu_shows_the_story_and_mutes_for_admins(http_bot):
    slack = http_bot[0]
    wait_for(lambda: slack.channels["C0SYRIA01"].messages, what="an alert")
    menu = slack.channels["C0SYRIA01"].messages[0]["blocks"][0]["accessory"]["options"]
    story_value = menu[-1]["value"]
    shown = menu_action(http_bot, story_value, SOMEONE)
    assert shown["blocks"][0]["text"]["text"] == f"*Story {story_value.split('|')[1]}*"
    refused = menu_action(http_bot, menu[0]["value"], SOMEONE)
    assert "only the bot's admins" in refused["blocks"][0]["text"]["text"]
    group = menu[0]["value"].split("|")[1]
    done = menu_action(http_bot, menu[0]["value"], ADMIN)
    assert done["blocks"][0]["text"]["text"] == f"*Muted {group} here for 24h.*"
    command(http_bot, f"unmute {group}", user=ADMIN)


def test_the_manifest_asks_for_what_wirewatch_calls():
    from bot.slack.listen import COMMAND

    manifest = yaml.safe_load((ROOT / "config" / "slack-manifest.yaml").read_text(encoding="utf-8"))
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True  # the alerts' overflow menu
    # chat.postMessage, conversations.list (public and private), conversations.history/replies, the command
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "chat:write", "channels:read", "groups:read", "channels:history", "groups:history", "commands"
    }  # fmt: skip
