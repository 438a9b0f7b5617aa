"""Alerts to Matrix through `wirewatch check`, against a real Synapse on loopback (tests/synapse.py).

A reader account reads back what the bot posted through the client API. Covered: content and HTML,
once each, a real M_LIMIT_EXCEEDED then once, a connection dropped after Synapse stored the event then
once, Synapse down then restarted then once, an encrypted room refused loudly, digests and threads.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time

import pytest

from tests.synapse import new_room, notices


def carried(event: dict) -> list[int]:
    return (event["content"].get("org.wirewatch") or {}).get("alert_ids", [])


@pytest.fixture
def matrix_config(site, write_config, synapse, monkeypatch):
    def make(room: str, bot: str = "bot", homeserver: str | None = None, **extra):
        monkeypatch.setenv("MATRIX_ACCESS_TOKEN", synapse.accounts[bot]["access_token"])
        return write_config(
            [{"name": "Euphrates", "url": site.url("/euphrates/feed.xml")}],
            channels=[{"matrix": room}],
            matrix={
                "homeserver": homeserver or synapse.url,
                "user_id": synapse.accounts[bot]["user_id"],
                "access_token": "${MATRIX_ACCESS_TOKEN}",
            },
            **extra,
        )

    return make


def check(cli, config) -> tuple[list[dict], str]:
    code, out, err = cli("check", "--config", config, "--json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()], err


def statuses(config) -> dict[str, int]:
    db = sqlite3.connect(config.parent / "wirewatch.db")
    return dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())


def test_each_alert_is_one_notice_with_html(synapse, matrix_config, cli):
    room = new_room(synapse)
    config = matrix_config(room, digest_after=100)
    alerts, err = check(cli, config)
    events = notices(synapse, room)
    assert sorted(i for e in events for i in carried(e)) == sorted(a["alert_id"] for a in alerts), err
    for event, alert in zip(events, sorted(alerts, key=lambda a: a["alert_id"]), strict=True):
        content = event["content"]
        assert content["msgtype"] == "m.notice" and content["format"] == "org.matrix.custom.html"
        assert content["m.mentions"] == {}
        assert f'<a href="{alert["url"]}">' in content["formatted_body"]
        match = alert["matched"][0]
        assert f"<b>{match['found']}</b>" in content["formatted_body"]
        assert f"{match['keyword']}: found “{match['found']}”" in content["formatted_body"]
        assert alert["title"] in content["body"]
    check(cli, config)
    assert len(notices(synapse, room)) == len(events)  # nothing twice
    assert statuses(config) == {"sent": len(alerts)}


def test_a_room_alias_works_too(synapse, matrix_config, cli):
    room = new_room(synapse, room_alias_name="syria-alerts")
    alerts, _ = check(cli, matrix_config("#syria-alerts:localhost", digest_after=100))
    assert len(notices(synapse, room)) == len(alerts)


def test_a_digest_is_one_notice(synapse, matrix_config, cli):
    room = new_room(synapse)
    alerts, _ = check(cli, matrix_config(room, digest_after=1))
    (event,) = notices(synapse, room)
    assert sorted(carried(event)) == sorted(a["alert_id"] for a in alerts)
    assert event["content"]["formatted_body"].startswith(f"<b>{len(alerts)} new alerts</b><ul>")


def test_the_rate_limit_is_waited_out_and_each_alert_posted_once(synapse, matrix_config, cli):
    room = new_room(synapse, bot="slow")
    config = matrix_config(room, bot="slow", digest_after=100)
    alerts, err = check(cli, config)
    assert len(alerts) >= 3  # Synapse lets 2 through, then answers M_LIMIT_EXCEEDED
    events = notices(synapse, room)
    assert sorted(i for e in events for i in carried(e)) == sorted(a["alert_id"] for a in alerts), err
    assert statuses(config) == {"sent": len(alerts)}


class DroppingProxy:
    """A TCP proxy to Synapse that, once armed, forwards one PUT .../send/... and then drops the answer."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.armed = True
        self.dropped = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> DroppingProxy:
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self.loop
        ).result(5)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    def __exit__(self, *exc) -> None:
        self.server.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    async def _handle(self, reader, writer) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pump(src, dst, watch: bool) -> None:
            try:
                while data := await src.read(65536):
                    if watch and self.armed and b"PUT /_matrix/client/" in data and b"/send/" in data:
                        self.armed = False
                        self._drop_next = True
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        self._drop_next = False
        up = asyncio.create_task(pump(reader, upstream_writer, True))
        # answers: forwarded unless this connection carried the armed send, then the connection is cut
        try:
            while data := await upstream_reader.read(65536):
                if self._drop_next:
                    self._drop_next = False
                    self.dropped += 1
                    writer.transport.abort()
                    break
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            up.cancel()
            writer.close()
            upstream_writer.close()


def test_a_connection_dropped_after_the_server_stored_the_event_posts_once(synapse, matrix_config, cli):
    room = new_room(synapse)
    with DroppingProxy(synapse.port) as proxy:
        config = matrix_config(room, homeserver=proxy.url, digest_after=100)
        alerts, err = check(cli, config)
        assert proxy.dropped == 1
    events = notices(synapse, room)
    assert sorted(i for e in events for i in carried(e)) == sorted(a["alert_id"] for a in alerts), err
    assert statuses(config) == {"sent": len(alerts)}


def test_synapse_down_then_back_delivers_once(synapse, matrix_config, cli):
    room = new_room(synapse)
    config = matrix_config(room, digest_after=100)
    synapse.stop()
    try:
        alerts, err = check(cli, config)
        assert "stay in the outbox" in err
        assert statuses(config) == {"pending": len(alerts)}
    finally:
        synapse.start()
    check(cli, config)
    events = notices(synapse, room)
    assert sorted(i for e in events for i in carried(e)) == sorted(a["alert_id"] for a in alerts)


def test_an_encrypted_room_is_refused_loudly(synapse, matrix_config, cli):
    room = new_room(synapse, initial_state=[{"type": "m.room.encryption", "state_key": "",
                                             "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])  # fmt: skip
    config = matrix_config(room, digest_after=100)
    alerts, err = check(cli, config)
    assert "end-to-end encrypted" in err and err.count("end-to-end encrypted") == 1
    assert statuses(config) == {"failed": len(alerts)}
    code, out, _ = cli("status", "--config", config, "--json")
    assert code == 0
    assert "end-to-end encrypted" in json.loads(out.splitlines()[0])["last_error"]


def test_a_password_logs_in_once_and_the_token_stays_in_the_database(synapse, matrix_config, cli, monkeypatch):
    if "pw" not in synapse.accounts:
        synapse.accounts["pw"] = synapse.register("pwbot", password="pw-secret-1")
        synapse.unlimited(synapse.accounts["admin"]["access_token"], synapse.accounts["pw"]["user_id"])
    user = synapse.accounts["pw"]["user_id"]
    room = new_room(synapse, bot="pw")
    config = matrix_config(room, bot="pw", digest_after=100)
    text = config.read_text().replace("access_token: ${MATRIX_ACCESS_TOKEN}", "password: ${MATRIX_PASSWORD}")
    config.write_text(text)
    monkeypatch.setenv("MATRIX_PASSWORD", "pw-secret-1")
    alerts, err = check(cli, config)
    check(cli, config)
    with synapse.client(synapse.accounts["alice"]["access_token"]) as alice:
        events = alice.get(f"/rooms/{room}/messages", params={"dir": "b", "limit": 100}).json()["chunk"]
    posted = [e for e in events if e["sender"] == user and e["type"] == "m.room.message"]
    assert len(posted) == len(alerts), err
    rows = sqlite3.connect(config.parent / "wirewatch.db").execute("SELECT user_id, device_id FROM chat_sessions")
    ((stored_user, device),) = rows.fetchall()
    assert stored_user == user and device
    devices = synapse.client(synapse.accounts["admin"]["access_token"])
    listed = devices.get(f"{synapse.url}/_synapse/admin/v2/users/{user}/devices").json()["devices"]
    devices.close()
    assert sum(1 for d in listed if d.get("display_name") == "wirewatch") == 1  # one login for two runs
    assert "pw-secret-1" not in config.read_text() and "syt_" not in config.read_text()


def test_a_wrong_password_keeps_the_alerts_with_one_line(synapse, matrix_config, cli, monkeypatch):
    if "pw2" not in synapse.accounts:
        synapse.accounts["pw2"] = synapse.register("pwbot2", password="right-one")
    room = new_room(synapse, bot="pw2")
    config = matrix_config(room, bot="pw2", digest_after=100)
    config.write_text(
        config.read_text().replace("access_token: ${MATRIX_ACCESS_TOKEN}", "password: ${MATRIX_PASSWORD}")
    )
    monkeypatch.setenv("MATRIX_PASSWORD", "wrong-one")
    alerts, err = check(cli, config)
    assert err.count("logging in as @pwbot2:localhost failed") == 1 and "wrong-one" not in err
    assert statuses(config) == {"pending": len(alerts)}


def test_a_republication_is_a_reply_in_the_alerts_thread(outlets, write_config, synapse, cli, monkeypatch):
    from tests.story_web import ARTICLES, ORIGINALS, OUTLETS, explain

    publish, sources = outlets
    room = new_room(synapse)
    monkeypatch.setenv("MATRIX_ACCESS_TOKEN", synapse.accounts["bot"]["access_token"])
    config = write_config(
        sources(list(OUTLETS)), channels=[{"matrix": room}], digest_after=100, timeout="15s",
        matrix={"homeserver": synapse.url, "user_id": synapse.accounts["bot"]["user_id"],
                "access_token": "${MATRIX_ACCESS_TOKEN}"},
    )  # fmt: skip
    publish(ORIGINALS)
    _, err = check(cli, config)
    assert "timed out" not in err, err  # every original stored: the copies below must find them
    publish(ARTICLES)
    later, err = check(cli, config)
    assert later == [], f"{err}\n{explain(config.parent / 'wirewatch.db')}"  # once seen in CI: which side differed
    events = notices(synapse, room)
    alerts = {e["event_id"] for e in events if carried(e)}
    replies = [e for e in events if (e["content"].get("m.relates_to") or {}).get("rel_type") == "m.thread"]
    assert replies
    for reply in replies:
        assert reply["content"]["m.relates_to"]["event_id"] in alerts
        assert reply["content"]["formatted_body"].startswith("also reported by: <a href=")


def test_synapse_restarted_mid_delivery_delivers_once(synapse, matrix_config, cli):
    """The slow bot's drain waits on the rate limit between messages; Synapse restarts in that gap."""
    room = new_room(synapse, bot="slow")
    config = matrix_config(room, bot="slow", digest_after=100)
    restarted = threading.Event()

    def restart_after_first_notice() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not notices(synapse, room):
            time.sleep(0.05)
        synapse.restart()
        restarted.set()

    worker = threading.Thread(target=restart_after_first_notice)
    worker.start()
    alerts, err = check(cli, config)
    worker.join(60)
    assert restarted.is_set()
    delivered_first = sorted(i for e in notices(synapse, room) for i in carried(e))
    assert 1 <= len(delivered_first) <= len(alerts)
    if len(delivered_first) < len(alerts):
        check(cli, config)  # what the restart left pending goes with the next run
    events = notices(synapse, room)
    assert sorted(i for e in events for i in carried(e)) == sorted(a["alert_id"] for a in alerts), err
    assert statuses(config) == {"sent": len(alerts)}
