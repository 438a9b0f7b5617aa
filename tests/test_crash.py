"""Crash safety for real: `wirewatch run` SIGKILLed at random moments, 20 times, while its feed grows and it
posts to the Slack fake; restarted each time. At the end every alert is in the channel exactly once.

The kills land anywhere: during a poll, inside a SQLite transaction, between posting a message and
recording its receipt (the crash check in bot/deliver/sender.py covers that one), while idle.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

from bot.demo.server import SiteServer
from tests.slack_fake import BOT_TOKEN, SlackFake
from tests.utils import KEYWORDS, free_port, wait_for

ROOT = Path(__file__).parents[1]
ITEMS = 30
KILLS = 20


def feed(count: int) -> str:
    items = "".join(
        f"<item><title>Water station {i} in Deir ez-Zor reopens</title>"
        f"<link>{{{{BASE}}}}/grow/a{i}.html</link><guid>{{{{BASE}}}}/grow/a{i}.html</guid>"
        f"<pubDate>{{{{RFC822:-1h}}}}</pubDate>"
        f"<content:encoded><![CDATA[<p>Station {i} in Deir ez-Zor pumps again after {i + 3} days of repairs, "
        f"the water directorate said, and district {i} will have water by the evening.</p>]]></content:encoded>"
        f"</item>\n"
        for i in range(count)
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Grow</title>\n'
            f"{items}</channel></rss>\n")  # fmt: skip


def alert_ids(slack: SlackFake) -> list[int]:
    return [
        i
        for m in slack.channels["C0SYRIA01"].messages
        for i in (m.get("metadata") or {}).get("event_payload", {}).get("alert_ids", [])
    ]


def test_sigkill_at_random_moments_loses_and_doubles_nothing(tmp_path):
    rng = random.Random(17)
    root = tmp_path / "web"
    (root / "grow").mkdir(parents=True)
    (root / "grow" / "feed.xml").write_text(feed(1), encoding="utf-8")
    config = tmp_path / "wirewatch.yaml"
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "PYTHONUNBUFFERED": "1"}
    with SiteServer(root) as site, SlackFake() as slack:
        slack.add_channel("C0SYRIA01", "syria-alerts")
        config.write_text(yaml.safe_dump({
            "database": "wirewatch.db", "keywords": KEYWORDS, "timeout": "3s",
            "sources": [{"name": "Grow", "url": site.url("/grow/feed.xml"), "every": "1s"}],
            "channels": [{"slack": "#syria-alerts"}],
            "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "signing_secret": "s", "api_url": slack.api_url,
                      "listen": f"127.0.0.1:{free_port()}"},
        }), encoding="utf-8")  # fmt: skip
        grown = threading.Event()

        def grow() -> None:
            for count in range(2, ITEMS + 1):
                time.sleep(0.4)
                (root / "grow" / "feed.xml").write_text(feed(count), encoding="utf-8")
            grown.set()

        grower = threading.Thread(target=grow, daemon=True)
        grower.start()

        def start() -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT,
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip

        for _ in range(KILLS):
            proc = start()
            time.sleep(rng.uniform(0.5, 3.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            proc.stderr.close()
        grower.join(60)
        assert grown.is_set()
        assert alert_ids(slack), "no kill came after a delivery: the test would prove nothing about it"

        proc = start()
        try:
            db_path = tmp_path / "wirewatch.db"

            def settled() -> bool:
                db = sqlite3.connect(db_path)
                try:
                    stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
                    pending = db.execute("SELECT count(*) FROM deliveries WHERE status != 'sent'").fetchone()[0]
                finally:
                    db.close()
                return stored == ITEMS and pending == 0

            wait_for(settled, timeout=90, what="every item stored and every alert sent")
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err, err.decode()

    ids = alert_ids(slack)
    assert len(ids) == ITEMS, f"{len(ids)} alerts posted for {ITEMS} items"
    assert len(set(ids)) == len(ids), "an alert was posted twice"
    db = sqlite3.connect(tmp_path / "wirewatch.db")
    assert sorted(ids) == sorted(r[0] for r in db.execute("SELECT id FROM alerts"))
