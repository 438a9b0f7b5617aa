"""The shared chat command layer (bot/commands/chat.py) on a database filled by a real `wirewatch check`."""

from __future__ import annotations

import json

import pytest

from bot import config as config_module
from bot.chat.commands import HIGHLIGHT, Request, channel_for, handle
from bot.store import Store


@pytest.fixture
def world(site, write_config, cli):
    path = write_config(
        [{"name": "Euphrates", "url": site.url("/euphrates/feed.xml")}],
        channels=[{"slack": "#syria-alerts"}],
        slack={"bot_token": "xoxb-unused", "api_url": "http://127.0.0.1:9/api/", "admins": ["UADMIN"]},
    )
    cfg = config_module.load(path)
    store = Store.open(cfg.database_path)
    code, out, _ = cli("check", "--config", path, "--json")  # delivery fails (nothing listens): rows stay pending
    assert code == 0
    yield cfg, store, [json.loads(line) for line in out.splitlines()]
    store.close()


def ask(world, text, admin=False, channel="slack:#syria-alerts"):
    cfg, store, _ = world
    return handle(Request(text, "UADMIN" if admin else "USOMEONE", channel, admin), cfg, store)


def test_recent_lists_the_alerted_stories(world):
    alerts = world[2]
    reply = ask(world, "recent")
    assert reply.kind == "stories"
    assert {r["url"] for r in reply.rows} == {a["url"] for a in alerts}


def test_recent_takes_a_group_a_count_and_a_window(world):
    alerts = world[2]
    reply = ask(world, "recent deir ez-zor 1")
    assert reply.kind == "stories" and len(reply.rows) == 1 and "Deir ez-Zor" in reply.rows[0]["keywords"]
    reply = ask(world, "recent Deir ez-Zor 24h")
    assert reply.title == "Latest alerts for Deir ez-Zor in the last 24h"
    assert len(reply.rows) == sum(1 for a in alerts if "Deir ez-Zor" in a["keywords"])
    assert ask(world, "recent 2").rows == ask(world, "recent").rows[:2]


def test_recent_names_the_groups_when_one_is_unknown(world):
    reply = ask(world, "recent Atlantis")
    assert reply.kind == "usage" and "Atlantis" in reply.title and "Deir ez-Zor, Hezbollah, Nujaba" in reply.text


def test_search_marks_the_hits(world):
    reply = ask(world, "search Nujaba")
    assert reply.kind == "stories" and reply.rows
    assert all(HIGHLIGHT[0] in row["snippet"] for row in reply.rows)
    bad = ask(world, "search Nujaba AND")
    assert bad.kind == "usage" and "cannot search" in bad.title
    assert ask(world, "search").kind == "usage"


def test_story_and_its_errors(world):
    story_id = world[2][0]["story"]
    reply = ask(world, f"story {story_id}")
    assert reply.kind == "story" and reply.rows[0]["articles"]
    assert ask(world, "story 99999").kind == "empty"
    assert ask(world, "story abc").kind == "usage"


def test_sources_show_state_and_next_poll(world):
    (row,) = ask(world, "sources").rows
    assert row["name"] == "Euphrates" and row["articles"] > 0 and row["last_ok"] and row["next_poll"]
    assert row["last_error"] is None


def test_mute_is_for_admins_and_silences_the_channel(world):
    refused = ask(world, "mute Nujaba 24h")
    assert refused.kind == "refused"
    done = ask(world, "mute nujaba 24h", admin=True)
    assert done.kind == "done" and done.title == "Muted Nujaba here for 24h."
    keywords = {r["name"]: r for r in ask(world, "keywords").rows}
    assert keywords["Nujaba"]["muted_until"] and keywords["Hezbollah"]["muted_until"] is None
    assert ask(world, "unmute Nujaba").kind == "refused"
    assert ask(world, "unmute Nujaba", admin=True).title == "Nujaba is no longer muted here."
    assert ask(world, "unmute Nujaba", admin=True).title == "Nujaba was not muted here."
    assert ask(world, "mute Nujaba", admin=True).kind == "usage"
    assert ask(world, "mute Nujaba soon", admin=True).kind == "usage"
    assert ask(world, "mute Atlantis 1h", admin=True).kind == "usage"
    assert ask(world, "mute Nujaba 1h", admin=True, channel=None).kind == "refused"


def test_status_help_and_unknown(world):
    alerts = world[2]
    (row,) = ask(world, "status").rows
    assert row["channel"] == "slack:#syria-alerts" and row["pending"] == len(alerts)
    assert "mute <group> <duration>" in ask(world, "help").text
    unknown = ask(world, "frobnicate now")
    assert unknown.kind == "usage" and "frobnicate" in unknown.title and "recent" in unknown.text
    assert ask(world, "").kind == "help"


def test_a_command_knows_its_channel_by_id_or_name(world):
    cfg = world[0]
    assert channel_for(cfg, "slack", "C0SYRIA01", "syria-alerts").id == "slack:#syria-alerts"
    assert channel_for(cfg, "slack", "C0OTHER01", "random") is None
