"""`!wirewatch` in a real Synapse room, answered by a real `wirewatch run` (which also posts its alerts).

alice created the room (power level 100: an admin by power level); bob joined it (level 0). Covered:
every subcommand answered in a reply, mute refused to bob and done for alice, a command sent before
the bot started never answered, invites from strangers declined and from invites_from accepted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.synapse import new_room, notices
from tests.utils import KEYWORDS, stop, wait_for

ROOT = Path(__file__).parents[1]


def say(synapse, who: str, room: str, body: str) -> str:
    with synapse.client(synapse.accounts[who]["access_token"]) as client:
        response = client.put(f"/rooms/{room}/send/m.room.message/t{time.monotonic_ns()}",
                              json={"msgtype": "m.text", "body": body})  # fmt: skip
        response.raise_for_status()
        return response.json()["event_id"]


def reply_to(synapse, room: str, event_id: str) -> dict | None:
    with synapse.client(synapse.accounts["alice"]["access_token"]) as alice:
        events = alice.get(f"/rooms/{room}/messages", params={"dir": "b", "limit": 200}).json()["chunk"]
    for event in events:
        relates = event.get("content", {}).get("m.relates_to") or {}
        if event["sender"] == synapse.accounts["bot"]["user_id"] and (
            relates.get("m.in_reply_to", {}).get("event_id") == event_id
        ):
            return event
    return None


def ask(synapse, room: str, body: str, who: str = "alice") -> dict:
    event_id = say(synapse, who, room, body)
    return wait_for(lambda: reply_to(synapse, room, event_id), what=f"the answer to {body!r}")["content"]


@pytest.fixture(scope="module")
def bot(synapse, sites, tmp_path_factory):
    room = new_room(synapse)
    with synapse.client(synapse.accounts["alice"]["access_token"]) as alice:
        alice.post(f"/rooms/{room}/invite", json={"user_id": synapse.accounts["bob"]["user_id"]}).raise_for_status()
    with synapse.client(synapse.accounts["bob"]["access_token"]) as bob:
        bob.post(f"/join/{room}", json={}).raise_for_status()
    early = say(synapse, "alice", room, "!wirewatch help")  # before the bot runs: never answered
    folder = tmp_path_factory.mktemp("matrix-run")
    config = folder / "wirewatch.yaml"
    config.write_text(yaml.safe_dump({
        "database": "wirewatch.db", "keywords": KEYWORDS, "digest_after": 100,
        "sources": [{"name": "Euphrates", "url": sites.url("/euphrates/feed.xml"), "every": "1h"}],
        "channels": [{"matrix": room}],
        "matrix": {"homeserver": synapse.url, "user_id": synapse.accounts["bot"]["user_id"],
                   "access_token": "${MATRIX_ACCESS_TOKEN}", "invites_from": ["@alice:localhost"]},
    }, allow_unicode=True), encoding="utf-8")  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MATRIX_ACCESS_TOKEN": synapse.accounts["bot"]["access_token"]}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert "Matrix commands" in line, line + (proc.stderr.read() if proc.poll() is not None else "")
        yield room, early
    finally:
        err = stop(proc)
    assert "Traceback" not in err, err


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("!wirewatch help", "mute &lt;group&gt; &lt;duration&gt;"),
        ("!wirewatch recent", "<b>Latest alerts</b>"),
        ("!wirewatch search Nujaba", "<b>Search: Nujaba</b>"),
        ("!wirewatch story 1", "<b>Story 1</b>"),
        ("!wirewatch sources", "<b>Euphrates</b>"),
        ("!wirewatch keywords", "<b>Nujaba</b>"),
        ("!wirewatch status", "<b>Outbox</b>"),
        ("!wirewatch frobnicate", "Unknown command"),
    ],
)
def test_every_command_is_answered_in_a_reply(synapse, bot, command, expected):
    room, _ = bot
    content = ask(synapse, room, command)
    assert content["msgtype"] == "m.notice" and content["m.mentions"] == {}
    assert expected in content["formatted_body"]


def test_mute_needs_power_level_50_or_the_admins_list(synapse, bot):
    room, _ = bot
    assert "only the bot's admins" in ask(synapse, room, "!wirewatch mute Nujaba 1h", who="bob")["body"]
    assert ask(synapse, room, "!wirewatch mute Nujaba 1h")["body"].startswith("Muted Nujaba here for 1h.\n")
    assert "muted until" in ask(synapse, room, "!wirewatch keywords")["formatted_body"]
    assert ask(synapse, room, "!wirewatch unmute Nujaba")["body"] == "Nujaba is no longer muted here."


def test_the_run_posts_its_alerts_and_ignores_what_came_before_it(synapse, bot):
    room, early = bot

    wait_for(lambda: notices(synapse, room), what="the alerts")
    ask(synapse, room, "!wirewatch help")  # answered: so the early one would have been by now
    assert reply_to(synapse, room, early) is None


def test_invites_only_from_invites_from(synapse, bot):
    bot_id = synapse.accounts["bot"]["user_id"]

    def membership(room: str, who: str) -> str | None:
        with synapse.client(synapse.accounts[who]["access_token"]) as client:
            response = client.get(f"/rooms/{room}/state/m.room.member/{bot_id}")
            return response.json().get("membership") if response.status_code == 200 else None

    strangers = new_room_of(synapse, "eve")
    friends = new_room_of(synapse, "alice")
    assert wait_for(lambda: membership(friends, "alice") == "join", what="the bot joining alice's room")
    assert wait_for(lambda: membership(strangers, "eve") == "leave", what="the bot declining eve's invite")


def new_room_of(synapse, who: str) -> str:
    with synapse.client(synapse.accounts[who]["access_token"]) as client:
        response = client.post("/createRoom", json={"preset": "private_chat",
                                                    "invite": [synapse.accounts["bot"]["user_id"]]})  # fmt: skip
        response.raise_for_status()
        return response.json()["room_id"]


def test_an_encrypted_room_is_one_warning_at_start(synapse, sites, tmp_path):
    room = new_room(synapse, initial_state=[{"type": "m.room.encryption", "state_key": "",
                                             "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])  # fmt: skip
    config = tmp_path / "wirewatch.yaml"
    config.write_text(yaml.safe_dump({
        "database": "wirewatch.db", "keywords": KEYWORDS,
        "sources": [{"name": "Euphrates", "url": sites.url("/euphrates/feed.xml"), "every": "1h"}],
        "channels": [{"matrix": room}],
        "matrix": {"homeserver": synapse.url, "user_id": synapse.accounts["bot"]["user_id"],
                   "access_token": "${MATRIX_ACCESS_TOKEN}"},
    }), encoding="utf-8")  # fmt: skip
    env = {**os.environ, "MATRIX_ACCESS_TOKEN": synapse.accounts["bot"]["access_token"], "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert "Matrix commands" in proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:  # never leave a bot running: it would decline the next tests' invites
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"run did not stop on SIGTERM: {err[-2000:]}") from None
    assert err.count(f"warning: matrix room {room} is end-to-end encrypted") == 1, err
