"""`wirewatch run` with `metrics:`: /healthz says what is wrong, /metrics counts polls, errors, articles,
alerts and the outbox; against a real run polling the fixture web (one source broken) and the Slack fake."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from tests.slack_fake import BOT_TOKEN, SlackFake
from tests.utils import KEYWORDS, free_port, wait_for

ROOT = Path(__file__).parents[1]


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.split(" ")[0] == name:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


@pytest.fixture(scope="module")
def service(sites, tmp_path_factory):
    folder = tmp_path_factory.mktemp("health")
    port = free_port()
    with SlackFake() as slack:
        slack.add_channel("C0SYRIA01", "syria-alerts")
        config = folder / "wirewatch.yaml"
        config.write_text(yaml.safe_dump({
            "database": "wirewatch.db", "keywords": KEYWORDS, "digest_after": 100, "timeout": "3s",
            "sources": [{"name": "Euphrates", "url": sites.url("/euphrates/feed.xml"), "every": "1h"},
                        {"name": "Broken", "url": sites.url("/broken/500.xml"), "every": "1h"}],
            "channels": [{"slack": "#syria-alerts"}],
            "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "signing_secret": "s", "api_url": slack.api_url,
                      "listen": f"127.0.0.1:{free_port()}"},
            "metrics": {"listen": f"127.0.0.1:{port}"},
        }), encoding="utf-8")  # fmt: skip
        env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            wait_for(lambda: "health and metrics" in proc.stdout.readline(), what="the metrics server")
            yield f"http://127.0.0.1:{port}", config
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err, err


def test_metrics_count_what_happened(service):
    base, _ = service

    def scraped():
        text = httpx.get(f"{base}/metrics", timeout=5).text
        done = metric(text, 'wirewatch_polls_total{result="ok"}') >= 1 and metric(text, "wirewatch_outbox_depth") == 0
        return text if done and metric(text, 'wirewatch_polls_total{result="error"}') >= 1 else None

    text = wait_for(scraped, what="both sources polled and the alerts sent")
    assert metric(text, 'wirewatch_poll_errors_total{kind="http_5xx"}') == 1
    assert metric(text, "wirewatch_articles_total") >= 3
    alerts = metric(text, "wirewatch_alerts_total")
    assert alerts >= 1 and metric(text, 'wirewatch_deliveries{state="sent"}') == alerts
    assert metric(text, "wirewatch_delivery_latency_seconds_count") == alerts
    assert metric(text, "wirewatch_event_loop_lag_seconds") >= 0


def test_healthz_is_200_when_well_and_503_naming_the_problem(service):
    base, config = service

    def healthy() -> dict | None:
        response = httpx.get(f"{base}/healthz", timeout=10)
        return response.json() if response.status_code == 200 and response.json()["status"] == "ok" else None

    body = wait_for(healthy, what="a healthy service")
    assert body["ok"] is True and body["problems"] == {}
    assert {name: chat["state"] for name, chat in body["chats"].items()} == {
        "slack": "connected",
        "slack:#syria-alerts": "connected",
    }
    assert body["outbox"] == {"pending": 0, "oldest_pending": None}
    holder = sqlite3.connect(config.parent / "wirewatch.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        response = httpx.get(f"{base}/healthz", timeout=10)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response.json()["problems"]["database"].startswith("not writable")
