"""The morning brief: due times in the channel's zone (DST included), once a day across restarts and crashes, late
within 12 hours and skipped after, routing and mutes, on webhooks, Apprise, Slack and Matrix renderers, and on
demand through the command layer.

The database is filled by a real `wirewatch check` of the fixture web; the brief is posted to loopback
receivers (tests/hook_receivers.py) and to the local fake of Slack's Web API, with ``now`` given (a fixed clock).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot import config as config_module
from bot.brief import LATE, last_time, next_time, send_due
from bot.chat.commands import Request, handle
from bot.chat.sender import Policy
from bot.config import parse_brief
from bot.slack import render as slack_render
from bot.store import Store
from tests.hook_receivers import Receiver
from tests.slack_fake import BOT_TOKEN, SlackFake
from tests.test_hooks import receiver_code
from tests.utils import ROOT, stop, wait_for

FAST = Policy(tries=2, backoff=0.05, max_wait=5)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    "brief, now, last, following",
    [
        ("07:00 Europe/Berlin", "2026-12-07T05:59:00+00:00", "2026-12-06T06:00:00+00:00", "2026-12-07T06:00:00+00:00"),
        ("07:00 Europe/Berlin", "2026-12-07T06:00:00+00:00", "2026-12-07T06:00:00+00:00", "2026-12-08T06:00:00+00:00"),
        ("07:00 Europe/Berlin", "2026-07-01T05:30:00+00:00", "2026-07-01T05:00:00+00:00", "2026-07-02T05:00:00+00:00"),
        # the spring DST gap: 02:30 does not exist in Berlin on 29 March; zoneinfo reads it as 03:30 CEST
        ("02:30 Europe/Berlin", "2026-03-29T02:00:00+00:00", "2026-03-29T01:30:00+00:00", "2026-03-30T00:30:00+00:00"),
        ("23:30 Asia/Baghdad", "2026-12-07T21:00:00+00:00", "2026-12-07T20:30:00+00:00", "2026-12-08T20:30:00+00:00"),
        ("00:15", "2026-12-07T00:10:00+00:00", "2026-12-06T00:15:00+00:00", "2026-12-07T00:15:00+00:00"),
    ],
)
def test_due_times_follow_the_channels_zone(brief, now, last, following):
    spec = parse_brief(brief)
    assert last_time(spec, at(now)) == at(last)
    assert next_time(spec, at(now)) == at(following)


@pytest.fixture
def filled(site, write_config, cli, monkeypatch):
    """(make, alerts): make(channels) -> config path on a database that `check` filled (without channels)."""
    monkeypatch.setenv("WEBHOOK_SECRET", "brief-secret")
    sources = [{"name": "Euphrates", "url": site.url("/euphrates/feed.xml")},
               {"name": "Al-Forat", "url": site.url("/alforat/feed.xml")}]  # fmt: skip
    path = write_config(sources)
    code, out, err = cli("check", "--config", path, "--json")
    assert code == 0, err
    alerts = [json.loads(line) for line in out.splitlines()]

    def make(channels, **extra):
        return write_config(sources, channels=channels, **extra)

    return make, alerts


def post_due(path, now):
    config = config_module.load(path)
    store = Store.open(config.database_path)
    try:
        return asyncio.run(send_due(config, store, now=now, policy=FAST))
    finally:
        store.close()


def briefs(path) -> list[tuple]:
    db = sqlite3.connect(path.parent / "wirewatch.db")
    return db.execute("SELECT channel, day, status, attempts FROM briefs ORDER BY id").fetchall()


def hhmm(when: datetime) -> str:
    return when.strftime("%H:%M")


def test_the_brief_is_posted_once_a_day_with_each_groups_stories(filled):
    make, alerts = filled
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with Receiver() as hook, Receiver() as sink:
        path = make([{"webhook": hook.url(), "secret": "${WEBHOOK_SECRET}", "name": "siem", "brief": hhmm(now)},
                     {"apprise": sink.url("/n", "json"), "name": "team", "brief": f"{hhmm(now)} UTC"}])  # fmt: skip
        results = post_due(path, now + timedelta(minutes=1))
        assert sorted(r.channel for r in results if r.briefs) == ["apprise:team", "webhook:siem"]
        (request,) = hook.requests
        body = receiver_code()["verify"](b"brief-secret", request.headers, request.body)
        assert body["type"] == "brief" and body["day"] == now.date().isoformat()
        groups = {g["group"]: g for g in body["groups"]}
        for alert in alerts:
            for group in alert["keywords"]:
                assert alert["url"] in {s["url"] for s in groups[group]["stories"]}
        assert all(s["sources"] >= 1 and s["title"] for g in body["groups"] for s in g["stories"])
        (note,) = [r.json() for r in sink.requests]
        assert note["title"].startswith(f"Brief for {now.date().isoformat()}")
        for alert in alerts:
            assert f"]({alert['url']})" in note["message"]
        # the same day again (a restart, another check), later that day: nothing more
        assert post_due(path, now + timedelta(hours=3)) == []
        assert (len(hook.requests), len(sink.requests)) == (1, 1)
        # the next day: a new brief; the stories are more than 24 hours old by then
        results = post_due(path, now + timedelta(days=1, minutes=1))
        assert sum(r.briefs for r in results) == 2
        assert json.loads(hook.requests[-1].body)["groups"] == []
        assert "No alerted stories in the last 24 hours." in sink.requests[-1].json()["message"]
        assert [(c, s) for c, _, s, _ in briefs(path)] == [("webhook:siem", "sent"), ("apprise:team", "sent")] * 2


def test_a_brief_missed_by_more_than_12_hours_is_skipped(filled):
    make, _ = filled
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with Receiver() as hook:
        path = make([{"webhook": hook.url(), "name": "siem", "brief": hhmm(now)}])
        assert post_due(path, now + LATE + timedelta(minutes=1)) == []
        assert hook.requests == [] and briefs(path) == []
        assert [r.briefs for r in post_due(path, now + LATE - timedelta(minutes=1))] == [1]  # still in time


def test_a_failed_brief_stays_due_and_is_posted_once_the_receiver_is_back(filled):
    make, _ = filled
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with Receiver() as hook:
        hook.fail(503, times=2)
        path = make([{"webhook": hook.url(), "name": "siem", "brief": hhmm(now)}])
        (result,) = post_due(path, now)
        assert result.briefs == 0 and "503" in result.errors[-1]
        assert briefs(path) == [("webhook:siem", now.date().isoformat(), "pending", 2)]
        (result,) = post_due(path, now + timedelta(minutes=5))
        assert result.briefs == 1
        deliveries = {r.headers["X-Wirewatch-Delivery"] for r in hook.requests}
        assert len(hook.requests) == 3 and len(deliveries) == 1  # one brief, one delivery id, three tries


def test_routing_and_mutes_shape_a_channels_brief(filled):
    make, alerts = filled
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with Receiver() as hook:
        path = make([{"webhook": hook.url(), "name": "siem", "brief": hhmm(now), "keywords": ["Hezbollah", "Nujaba"]}])
        config = config_module.load(path)
        store = Store.open(config.database_path)
        handle(Request("mute Nujaba 2d", "UADMIN", "webhook:siem", True), config, store)
        store.close()
        post_due(path, now)
        body = json.loads(hook.requests[0].body)
        assert [g["group"] for g in body["groups"]] == ["Hezbollah"]
        assert body["note"] == "Muted here, left out: Nujaba"
        hezbollah = {a["url"] for a in alerts if "Hezbollah" in a["keywords"]}
        assert {s["url"] for s in body["groups"][0]["stories"]} == hezbollah


def test_a_slack_brief_posted_before_a_crash_is_found_not_posted_again(filled, monkeypatch):
    make, _ = filled
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with SlackFake() as slack:
        slack.add_channel("C0SYRIA01", "syria-alerts")
        path = make([{"slack": "#syria-alerts", "brief": hhmm(now)}],
                    slack={"bot_token": "${SLACK_BOT_TOKEN}", "api_url": slack.api_url})  # fmt: skip
        (result,) = post_due(path, now)
        assert result.briefs == 1
        (message,) = slack.channels["C0SYRIA01"].messages
        assert message["metadata"]["event_type"] == "wirewatch_brief"
        assert message["blocks"][0]["text"]["text"].startswith("*Brief for ")
        db = sqlite3.connect(path.parent / "wirewatch.db")  # the state a crash leaves: posted, not recorded
        db.execute("UPDATE briefs SET status = 'pending', receipt = NULL")
        db.commit()
        (result,) = post_due(path, now + timedelta(minutes=2))
        assert result.briefs == 1 and len(slack.channels["C0SYRIA01"].messages) == 1
        assert briefs(path)[0][2] == "sent"


def test_brief_on_demand_answers_in_slack_and_matrix_markup(filled):
    make, alerts = filled
    path = make([{"slack": "#syria-alerts", "keywords": ["Deir ez-Zor"]}],
                slack={"bot_token": "xoxb-unused", "api_url": "http://127.0.0.1:9/api/"})  # fmt: skip
    config = config_module.load(path)
    store = Store.open(config.database_path)
    try:
        here = handle(Request("brief", "U1", "slack:#syria-alerts"), config, store)
        anywhere = handle(Request("brief", "U1", None), config, store)
    finally:
        store.close()
    assert here.kind == "brief" and [r["group"] for r in here.rows] == ["Deir ez-Zor"]
    assert {r["group"] for r in anywhere.rows} == {g for a in alerts for g in a["keywords"]}
    blocks = slack_render.reply_message(here)["blocks"]
    shown = "\n".join(b["text"]["text"] for b in blocks)
    for alert in alerts:
        if "Deir ez-Zor" in alert["keywords"]:
            assert f"<{alert['url']}|" in shown
    from bot.matrix import render as matrix_render

    body, html = matrix_render.reply_message(anywhere)
    assert all(f'href="{a["url"]}"' in html for a in alerts) and "Brief for" in body


def test_check_posts_a_due_brief_once(filled, cli):
    make, _ = filled
    now = datetime.now(UTC) - timedelta(minutes=1)
    with Receiver() as hook:
        path = make([{"webhook": hook.url(), "name": "siem", "brief": f"{hhmm(now)} UTC"}])
        code, _, err = cli("check", "--config", path)
        assert code == 0 and "webhook:siem: the day's brief posted." in err
        assert [json.loads(r.body)["type"] for r in hook.requests] == ["brief"]  # the alerts were alerted before
        code, _, err = cli("check", "--config", path)
        assert code == 0 and len(hook.requests) == 1 and "brief" not in err


def test_run_posts_a_missed_brief_at_start_and_not_again_after_a_restart(filled):
    make, _ = filled
    now = datetime.now(UTC) - timedelta(minutes=5)
    with Receiver() as hook:
        path = make([{"webhook": hook.url(), "name": "siem", "brief": f"{hhmm(now)} UTC"}], every="1h")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for _ in range(2):
            proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(path)], cwd=ROOT, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
            try:
                wait_for(lambda: briefs(path) and briefs(path)[0][2] == "sent", what="the brief")
                wait_for(lambda: (path.parent / "wirewatch.db.pid").exists(), what="the service")
                time.sleep(1.0)  # time for a second brief, were there one
            finally:
                err = stop(proc)
            assert proc.returncode == 0, err
        assert [json.loads(r.body)["type"] for r in hook.requests] == ["brief"]


def test_the_brief_command_prints_a_channels_brief(filled, cli):
    make, alerts = filled
    path = make([{"webhook": "http://127.0.0.1:9/h", "name": "siem", "keywords": ["Nujaba"]}])
    code, out, err = cli("brief", "--channel", "webhook:siem", "--json", "--config", path)
    assert code == 0, err
    data = json.loads(out)
    assert [g["group"] for g in data["groups"]] == ["Nujaba"]
    assert {s["url"] for s in data["groups"][0]["stories"]} == {a["url"] for a in alerts if "Nujaba" in a["keywords"]}
    code, out, _ = cli("brief", "--config", path)
    assert code == 0 and out.startswith("Brief for ") and all(a["url"] in out for a in alerts)
    code, _, err = cli("brief", "--channel", "slack:#nowhere", "--config", path)
    assert code == 1 and "no channel 'slack:#nowhere' in the config (channels: webhook:siem)" in err
