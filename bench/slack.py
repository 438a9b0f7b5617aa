"""Slack delivery: the pace held per channel, and the time from a new article to its message in `run`.

    .venv/bin/python bench/slack.py [--alerts 40] [--rounds 5]

Against tests/slack_fake.py (the local fake of the Web API the tests use; it answers at once, so what
is measured is wirewatch's own pacing and latency, not Slack's network).

1. Pace: a feed of ``--alerts`` items, each naming a watched name, polled once by `wirewatch check` with
   two channels and no digest; every chat.postMessage is timestamped by the fake. Reported per channel:
   messages, seconds from first to last, messages a second after the burst, most in any one second.
2. Latency: `wirewatch run` on the same feed (every 2s); once the first alerts are posted, one new item
   is added ``--rounds`` times; reported: seconds from the server handing out the changed feed to the
   message reaching the fake (the poll interval itself comes on top: up to ``every``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from common import ROOT, load

from bot.cli import main as wirewatch
from bot.demo.server import SiteServer

slack_fake = load("slack_fake", ROOT / "tests" / "slack_fake.py")  # tests/ is not a package of the venv
BOT_TOKEN, SlackFake = slack_fake.BOT_TOKEN, slack_fake.SlackFake

KEYWORDS = [{"name": "Deir ez-Zor", "terms": ["Deir ez-Zor"]}]


def feed(items: int) -> str:
    entries = "".join(
        f"<item><title>Water returns to district {i} of Deir ez-Zor</title>"
        f"<link>{{{{BASE}}}}/bench/a{i}.html</link><guid>{{{{BASE}}}}/bench/a{i}.html</guid>"
        f"<pubDate>{{{{RFC822:-1h}}}}</pubDate><description>District {i}.</description>"
        f"<content:encoded><![CDATA[<p>The pumping station of district {i} in Deir ez-Zor works again after "
        f"repairs that took {i + 2} weeks, residents said on Tuesday.</p>]]></content:encoded></item>\n"
        for i in range(items)
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Bench</title>\n'
            f"{entries}</channel></rss>\n")  # fmt: skip


def config(folder: Path, site: SiteServer, slack: SlackFake, **extra) -> Path:
    path = folder / "wirewatch.yaml"
    path.write_text(yaml.safe_dump({
        "database": "wirewatch.db", "keywords": KEYWORDS, "digest_after": 1000,
        "sources": [{"name": "Bench", "url": site.url("/bench/feed.xml"), **extra}],
        "channels": [{"slack": "#one"}, {"slack": "#two"}],
        "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "signing_secret": "unused", "api_url": slack.api_url,
                  "listen": f"127.0.0.1:{_free_port()}"},
    }), encoding="utf-8")  # fmt: skip
    return path


def pace(alerts: int) -> None:
    os.environ["SLACK_BOT_TOKEN"] = BOT_TOKEN
    with tempfile.TemporaryDirectory() as tmp, SlackFake() as slack:
        root = Path(tmp) / "web"
        (root / "bench").mkdir(parents=True)
        (root / "bench" / "feed.xml").write_text(feed(alerts), encoding="utf-8")
        for cid, name in (("C0ONE0001", "one"), ("C0TWO0001", "two")):
            slack.add_channel(cid, name)
        stamps: dict[str, list[float]] = {"C0ONE0001": [], "C0TWO0001": []}
        post = slack._chat_postMessage

        def timed(args: dict) -> dict:
            answer = post(args)
            if answer.get("ok"):
                stamps[answer["channel"]].append(time.monotonic())
            return answer

        slack._chat_postMessage = timed
        err = io.StringIO()
        with SiteServer(root) as site, contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            started = time.monotonic()
            code = wirewatch(["check", "--json", "--config", str(config(Path(tmp), site, slack))])
            total = time.monotonic() - started
        if code:
            raise SystemExit(err.getvalue())
    print(f"Pace: {alerts} alerts, two channels, `wirewatch check` took {total:.1f} s in all")
    print("| channel | messages | first to last s | msgs/s after the burst | most in any 1 s |")
    print("|---|---|---|---|---|")
    for cid, times in stamps.items():
        span = times[-1] - times[0]
        steady = (len(times) - 3) / (times[-1] - times[2]) if len(times) > 3 else float("nan")
        most = max(sum(1 for u in times if t <= u < t + 1) for t in times)
        print(f"| {cid} | {len(times)} | {span:.2f} | {steady:.2f} | {most} |")


def latency(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, SlackFake() as slack:
        root = Path(tmp) / "web"
        (root / "bench").mkdir(parents=True)
        (root / "bench" / "feed.xml").write_text(feed(3), encoding="utf-8")
        for cid, name in (("C0ONE0001", "one"), ("C0TWO0001", "two")):
            slack.add_channel(cid, name)
        with SiteServer(root) as site:
            path = config(Path(tmp), site, slack, every="2s")
            env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "PYTHONUNBUFFERED": "1"}
            proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(path)], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            try:
                _wait(lambda: len(slack.channels["C0ONE0001"].messages) >= 3, 60)
                delays = []
                for n in range(rounds):
                    before = len(slack.channels["C0ONE0001"].messages)
                    (root / "bench" / "feed.xml").write_text(feed(4 + n), encoding="utf-8")
                    changed = time.monotonic()
                    hits = site.hits["/bench/feed.xml"]
                    _wait(lambda h=hits: site.hits["/bench/feed.xml"] > h, 30)
                    served = time.monotonic()
                    _wait(lambda b=before: len(slack.channels["C0ONE0001"].messages) > b, 30)
                    delays.append((time.monotonic() - served, served - changed))
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
    to_post = [d for d, _ in delays]
    print(f"\nLatency in `wirewatch run` (every 2s), {rounds} new articles:")
    print(
        f"changed feed served -> message in the channel: median {statistics.median(to_post):.2f} s, "
        f"max {max(to_post):.2f} s; waiting for the poll came before it: median "
        f"{statistics.median(w for _, w in delays):.2f} s"
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("bench/slack.py: timed out")
        time.sleep(0.01)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pace(args.alerts)
    latency(args.rounds)
