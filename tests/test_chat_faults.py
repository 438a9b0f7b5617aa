"""A chat that is down, refusing us or slow never stops the reading of sources (issue 23), against real
``wirewatch run`` processes: Slack's API unreachable at start (Socket Mode), a Matrix homeserver that refuses
connections, one that answers 401 to everything, and a Slack bot token alone. In each: the feed is polled,
/healthz answers and names the chat, the chat is not hammered, SIGTERM ends the run within 35 s and takes the
pid file with it, and once the chat answers every alert arrives exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from tests.slack_fake import APP_TOKEN, BOT_TOKEN, SlackFake
from tests.utils import KEYWORDS, free_port, wait_for

ROOT = Path(__file__).parents[1]
FEED = "/euphrates/feed.xml"  # three articles, two of them alerts for the test groups


def start(config: dict, folder: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """`wirewatch run` on ``config`` (with /healthz on a free port); its process and /healthz URL."""
    port = free_port()
    path = folder / "wirewatch.yaml"
    path.write_text(yaml.safe_dump({"database": "wirewatch.db", "keywords": KEYWORDS, "timeout": "3s",
                                    "host_spacing": 0, "metrics": {"listen": f"127.0.0.1:{port}"}, **config},
                                   allow_unicode=True), encoding="utf-8")  # fmt: skip
    environ = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(path)], cwd=ROOT, env=environ,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    return proc, f"http://127.0.0.1:{port}/healthz"


def ended(proc: subprocess.Popen) -> None:
    """A run the test did not stop (it failed first): killed, its pipes read and closed."""
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def health(url: str) -> tuple[int, dict] | None:
    try:
        response = httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None
    return response.status_code, response.json()


def stop_within(proc: subprocess.Popen, folder: Path, seconds: float = 35.0) -> str:
    """SIGTERM; the run must end by itself within ``seconds`` and take its pid file with it."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"SIGTERM did not stop run within {seconds:.0f} s:\n{err[-3000:]}")
    assert proc.returncode == 0, err
    assert time.monotonic() - started < seconds
    assert not (folder / "wirewatch.db.pid").exists(), "the pid file was left behind"
    assert "Traceback" not in err and "did not end within" not in err, err  # every chat task ended when asked
    return err


def alert_ids(folder: Path) -> list[int]:
    db = sqlite3.connect(folder / "wirewatch.db", timeout=5)
    try:
        return [row[0] for row in db.execute("SELECT id FROM alerts ORDER BY id")]
    finally:
        db.close()


def test_slack_unreachable_at_start_never_stops_polling_and_every_alert_arrives_once(site, tmp_path):
    port = free_port()  # Slack's API will answer here, 20 s after the start
    config = {
        "sources": [{"name": "Euphrates", "url": site.url(FEED), "every": "5s"}],
        "channels": [{"slack": "C0SYRIA01"}],
        "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "app_token": "${SLACK_APP_TOKEN}",
                  "api_url": f"http://127.0.0.1:{port}/api/"},
    }  # fmt: skip
    proc, url = start(config, tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN)
    started = time.monotonic()
    try:
        status, body = wait_for(lambda: health(url), timeout=30, what="/healthz while Slack is unreachable")
        assert status == 200 and body["ok"] and body["status"] == "degraded", body
        up = time.monotonic()  # the service answers: from here on, Slack being away must not hold anything up
        wait_for(lambda: site.hits[FEED] >= 2, timeout=15, what="two polls while Slack is unreachable")
        assert time.monotonic() - up < 15
        status, body = health(url)
        assert "slack" in body["problems"] and body["chats"]["slack"]["state"] == "retrying", body
        assert "slack:C0SYRIA01" in body["problems"] and body["outbox"]["pending"] >= 2, body
        time.sleep(max(0.0, 20 - (time.monotonic() - started)))
        with SlackFake(port=port) as slack:
            slack.add_channel("C0SYRIA01", "syria-alerts")
            wait_for(lambda: slack.sockets, timeout=60, what="the Socket Mode connection, by itself")
            posted = lambda: [i for m in slack.posts() for i in m["metadata"]["event_payload"]["alert_ids"]]  # noqa: E731
            wait_for(
                lambda: len(posted()) >= len(alert_ids(tmp_path)), timeout=60, what="the alerts, once Slack answers"
            )
            wait_for(lambda: health(url)[1]["status"] == "ok", timeout=60, what="/healthz well again")
            time.sleep(6)  # another poll and another drain: nothing more is posted
            assert sorted(posted()) == alert_ids(tmp_path)
            err = stop_within(proc, tmp_path)
    finally:
        ended(proc)
    assert err.count("Traceback") == 0
    slack_lines = [line for line in err.splitlines() if line.startswith("wirewatch: slack")]
    assert len(slack_lines) <= 4, err  # a line when it fails, one when it is back: never one per retry


class Homeserver(ThreadingHTTPServer):
    """A Matrix homeserver that refuses our token: 401 M_UNKNOWN_TOKEN to every request, each one counted."""

    daemon_threads = True

    def __init__(self) -> None:
        self.requests: list[float] = []

        class Handler(BaseHTTPRequestHandler):
            def _refuse(handler) -> None:
                self.requests.append(time.monotonic())
                length = int(handler.headers.get("Content-Length") or 0)
                handler.rfile.read(length)
                body = json.dumps({"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token passed.",
                                   "soft_logout": False}).encode()  # fmt: skip
                handler.send_response(401)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

            do_GET = do_POST = do_PUT = _refuse

            def log_message(handler, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def handle_error(self, request, client_address) -> None:
        """wirewatch hanging up mid-answer (it is being stopped) is no error of the test's."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.mark.parametrize("homeserver", ["refusing connections", "answering 401"])
def test_a_matrix_homeserver_down_or_refusing_the_token_never_stops_polling(site, tmp_path, homeserver):
    server = Homeserver() if homeserver == "answering 401" else None
    config = {
        "sources": [{"name": "Euphrates", "url": site.url(FEED), "every": "2s"}],
        "channels": [{"matrix": "!room:localhost"}],
        "matrix": {"homeserver": server.url if server else f"http://127.0.0.1:{free_port()}",
                   "user_id": "@wirewatch:localhost", "access_token": "${MATRIX_ACCESS_TOKEN}"},
    }  # fmt: skip
    proc, url = start(config, tmp_path, MATRIX_ACCESS_TOKEN="syt_d2lyZXdhdGNo_expired")
    try:
        status, body = wait_for(lambda: health(url), timeout=30, what="/healthz")
        started = time.monotonic()
        time.sleep(20)
        status, body = health(url)
        assert status == 200 and body["ok"] and body["status"] == "degraded", body
        assert "matrix" in body["problems"] and "matrix:!room:localhost" in body["problems"], body
        expected = "refused" if server else "retrying"
        assert body["chats"]["matrix"]["state"] == expected, body
        assert site.hits[FEED] >= 5, "the feed was not polled while the homeserver was down"
        if server:
            recent = [t for t in server.requests if t >= started]
            assert len(server.requests) <= 40 and len(recent) <= 20, len(server.requests)
        err = stop_within(proc, tmp_path)
    finally:
        ended(proc)
        if server:
            server.shutdown()
            server.server_close()
    assert err.count("M_UNKNOWN_TOKEN" if server else "matrix:") <= 4, err  # said once per chat, not per retry


def test_a_slack_bot_token_alone_posts_alerts_with_commands_off(site, tmp_path):
    with SlackFake() as slack:
        slack.add_channel("C0SYRIA01", "syria-alerts")
        config = {
            "sources": [{"name": "Euphrates", "url": site.url(FEED), "every": "1h"}],
            "channels": [{"slack": "#syria-alerts"}],
            "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "api_url": slack.api_url},
        }
        proc, url = start(config, tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN)
        try:
            wait_for(
                lambda: slack.posts() and len(slack.posts()) == len(alert_ids(tmp_path)), timeout=30, what="the alerts"
            )
            status, body = health(url)
            assert status == 200 and body["status"] == "ok" and body["chats"]["slack"]["state"] == "off", body
            err = stop_within(proc, tmp_path)
        finally:
            ended(proc)
    assert "slack: alerts are posted with the bot token; commands are off" in err
    assert not any(name == "apps.connections.open" for name, _ in slack.calls)


def test_a_refused_slack_token_is_one_line_and_polling_goes_on(site, tmp_path):
    with SlackFake() as slack:
        slack.revoked = True
        slack.add_channel("C0SYRIA01", "syria-alerts")
        config = {
            "sources": [{"name": "Euphrates", "url": site.url(FEED), "every": "2s"}],
            "channels": [{"slack": "C0SYRIA01"}],
            "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "app_token": "${SLACK_APP_TOKEN}", "api_url": slack.api_url},
        }
        proc, url = start(config, tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN)
        try:
            wait_for(lambda: site.hits[FEED] >= 4, timeout=30, what="polls while the token is refused")
            status, body = health(url)
            assert status == 200 and body["chats"]["slack"]["state"] == "refused", body
            assert body["chats"]["slack:C0SYRIA01"]["state"] == "refused", body
            assert len(slack.calls) <= 6, slack.calls  # auth.test and a post: tried again at the cap only
            err = stop_within(proc, tmp_path)
        finally:
            ended(proc)
    assert err.count("Slack refused the bot token (token_revoked): check SLACK_BOT_TOKEN") == 1, err
    assert BOT_TOKEN not in err
