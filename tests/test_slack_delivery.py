"""Alerts to Slack through `wirewatch check`: once each, through rate limits, outages, lost answers and
crashes; digests, routing, thread replies; a channel that is gone or a token revoked; status and redeliver.

Slack is tests/slack_fake.py, a faithful local fake of the Web API; the sites are the fixture news web.
"""

from __future__ import annotations

import itertools
import json
import sqlite3

import pytest

from tests.slack_fake import BOT_TOKEN, SlackFake
from tests.story_web import ARTICLES, ORIGINALS, OUTLETS, key_of


@pytest.fixture
def slack(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    with SlackFake() as fake:
        fake.add_channel("C0SYRIA01", "syria-alerts")
        fake.add_channel("C0IRAQ001", "iraq")
        yield fake


@pytest.fixture
def slack_config(site, write_config, slack):
    def make(channels=None, sources=None, **extra):
        return write_config(
            sources or [{"name": "Euphrates", "url": site.url("/euphrates/feed.xml")}],
            channels=channels or [{"slack": "#syria-alerts"}],
            slack={"bot_token": "${SLACK_BOT_TOKEN}", "api_url": slack.api_url},
            **extra,
        )

    return make


def check(cli, config) -> tuple[list[dict], str]:
    code, out, err = cli("check", "--config", config, "--json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()], err


def carried(message: dict) -> list[int]:
    return (message.get("metadata") or {}).get("event_payload", {}).get("alert_ids", [])


def delivered(fake: SlackFake, cid: str = "C0SYRIA01") -> list[int]:
    """Alert ids in the order the channel shows them (top-level messages), each as often as it was posted."""
    return [i for m in fake.channels[cid].messages if not m.get("thread_ts") for i in carried(m)]


def statuses(config) -> dict[str, int]:
    db = sqlite3.connect(config.parent / "wirewatch.db")
    return dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())


def test_each_alert_is_posted_once_as_block_kit(slack, slack_config, cli):
    config = slack_config(digest_after=100)
    alerts, err = check(cli, config)
    assert alerts
    assert sorted(delivered(slack)) == sorted(a["alert_id"] for a in alerts)
    for post in slack.posts():
        assert post["channel"] == "C0SYRIA01"  # the name resolved through conversations.list
        assert post["unfurl_links"] is False and post["unfurl_media"] is False
        assert post["text"] and post["blocks"][0]["text"]["text"].startswith("*<http://127.0.0.1")
    assert f"{len(alerts)} alerts sent" in err
    again, _ = check(cli, config)
    assert again == []
    assert len(slack.posts()) == len(alerts)  # nothing posted twice
    assert statuses(config) == {"sent": len(alerts)}


def test_the_alert_shows_the_spelling_found_and_the_time_per_reader(slack, slack_config, cli):
    alerts, _ = check(cli, slack_config(digest_after=100))
    alert = next(a for a in alerts if a["matched"])
    (message,) = [m for m in slack.channels["C0SYRIA01"].messages if carried(m) == [alert["alert_id"]]]
    text = json.dumps(message["blocks"], ensure_ascii=False)
    match = alert["matched"][0]
    assert f"{match['keyword']}: found “{match['found']}”" in text
    assert f"*{match['found']}*" in text  # the spelling that fired, in bold in the snippet
    if alert["published"]:
        assert "<!date^" in text and "{date_short_pretty} {time}|" in text


def test_more_alerts_than_digest_after_make_one_digest(slack, slack_config, cli):
    alerts, _ = check(cli, slack_config(digest_after=2))
    assert len(alerts) > 2
    posts = slack.posts()
    assert len(posts) == (len(alerts) + 19) // 20
    assert sorted(delivered(slack)) == sorted(a["alert_id"] for a in alerts)
    assert posts[0]["blocks"][0]["text"]["text"].startswith(f"*{len(alerts)} new alerts*")


def test_groups_go_to_their_channels(slack, slack_config, cli):
    channels = [{"slack": "#syria-alerts", "keywords": ["Deir ez-Zor"]}, {"slack": "C0IRAQ001", "keywords": ["Nujaba"]}]
    alerts, _ = check(cli, slack_config(channels=channels, digest_after=100))
    syria = {a["alert_id"] for a in alerts if "Deir ez-Zor" in a["keywords"]}
    iraq = {a["alert_id"] for a in alerts if "Nujaba" in a["keywords"]}
    assert syria and iraq
    assert sorted(delivered(slack, "C0SYRIA01")) == sorted(syria)
    assert sorted(delivered(slack, "C0IRAQ001")) == sorted(iraq)


def test_a_rate_limit_is_waited_out_and_each_alert_posted_once(slack, slack_config, cli):
    slack.fail("chat.postMessage", 429, retry_after=1)
    alerts, _ = check(cli, slack_config(digest_after=100))
    assert sorted(delivered(slack)) == sorted(a["alert_id"] for a in alerts)
    assert len(slack.posts()) == len(alerts) + 1  # the refused one, then each once


def test_an_outage_keeps_alerts_until_slack_is_back(slack, slack_config, cli):
    config = slack_config(digest_after=100)
    slack.fail("chat.postMessage", 503, times=50)
    alerts, err = check(cli, config)
    assert delivered(slack) == []
    assert "stay in the outbox" in err
    assert statuses(config) == {"pending": len(alerts)}
    code, out, _ = cli("status", "--config", config, "--json")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and row["pending"] == len(alerts) and "503" in row["last_error"]

    slack.faults.clear()
    again, err = check(cli, config)  # no new article, but the outbox drains
    assert again == []
    assert sorted(delivered(slack)) == sorted(a["alert_id"] for a in alerts)
    assert statuses(config) == {"sent": len(alerts)}


def test_a_lost_answer_is_not_posted_again(slack, slack_config, cli):
    """Slack stored the message but the answer was a 500: the retry looks in the channel first."""
    slack.fail("chat.postMessage", 500, store_first=True)
    alerts, _ = check(cli, slack_config(digest_after=100))
    assert sorted(delivered(slack)) == sorted(a["alert_id"] for a in alerts)
    assert any(name == "conversations.history" for name, _ in slack.calls)


def test_a_crash_between_post_and_record_does_not_post_twice(slack, slack_config, cli):
    """The state a crash leaves: the message is in the channel, the outbox row still pending (attempts 1)."""
    config = slack_config(digest_after=100)
    slack.fail("chat.postMessage", 500, store_first=True)  # posted, answer lost
    slack.fail("conversations.history", 500)  # and the check cannot look: the run ends there
    alerts, err = check(cli, config)
    assert "cannot look in the channel" in err and "stay in the outbox" in err
    posted_before = delivered(slack)
    assert len(posted_before) == 1
    assert statuses(config).get("pending", 0) >= 1

    _, err = check(cli, config)  # the next run
    assert sorted(delivered(slack)) == sorted(a["alert_id"] for a in alerts)  # the first one not repeated
    assert "1 found already posted" in err


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
def test_a_channel_that_is_gone_fails_its_alerts_until_redeliver(slack, slack_config, cli, error):
    config = slack_config(channels=[{"slack": "C0SYRIA01"}], digest_after=100)
    if error == "channel_not_found":
        moved = slack.channels.pop("C0SYRIA01")
    elif error == "not_in_channel":
        slack.channels["C0SYRIA01"].is_member = False
    else:
        slack.channels["C0SYRIA01"].is_archived = True
    alerts, err = check(cli, config)
    assert f"slack:C0SYRIA01: {error}" in err and "wirewatch redeliver slack:C0SYRIA01" in err
    assert err.count(error) == 1  # one line, not one per alert
    assert statuses(config) == {"failed": len(alerts)}
    code, out, _ = cli("status", "--config", config, "--json")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and row["failed"] == len(alerts) and row["last_error"] == error

    check(cli, config)  # never retried by itself
    assert statuses(config) == {"failed": len(alerts)}

    if error == "channel_not_found":
        slack.channels["C0SYRIA01"] = moved
    slack.channels["C0SYRIA01"].is_member, slack.channels["C0SYRIA01"].is_archived = True, False
    code, _, err = cli("redeliver", "slack:C0SYRIA01", "--config", config)
    assert code == 0, err
    assert sorted(delivered(slack)) == sorted(a["alert_id"] for a in alerts)
    assert statuses(config) == {"sent": len(alerts)}


def test_a_revoked_token_keeps_the_alerts_until_it_works_again(slack, slack_config, cli):
    """Only a person can fix a token: the alerts wait in the outbox, the reason shown, and go out once it works."""
    slack.revoked = True
    config = slack_config(digest_after=100)
    alerts, err = check(cli, config)
    assert "the token was refused (token_revoked)" in err and "stay in the outbox" in err
    assert statuses(config) == {"pending": len(alerts)} and not delivered(slack)
    code, out, _ = cli("status", "--config", config, "--json")
    assert code == 0 and "token_revoked" in json.loads(out.splitlines()[0])["last_error"]
    slack.revoked = False
    check(cli, config)
    assert sorted(delivered(slack)) == sorted(a["alert_id"] for a in alerts)
    assert statuses(config) == {"sent": len(alerts)}


def test_redeliver_names_an_unknown_channel(slack, slack_config, cli):
    code, _, err = cli("redeliver", "#nowhere", "--config", slack_config())
    assert code == 1 and "no channel '#nowhere'" in err and "slack:#syria-alerts" in err


def test_a_republication_is_a_reply_in_the_alerts_thread(outlets, write_config, slack, cli):
    publish, sources = outlets
    config = write_config(
        sources(list(OUTLETS)),
        channels=[{"slack": "#syria-alerts"}],
        slack={"bot_token": "${SLACK_BOT_TOKEN}", "api_url": slack.api_url},
        digest_after=100,
        timeout="15s",
    )
    publish(ORIGINALS)
    alerts, err = check(cli, config)
    assert "timed out" not in err, err  # every original stored: the copies below must find them
    publish(ARTICLES)
    later, err = check(cli, config)
    assert later == [], err  # copies never alert again

    messages = slack.channels["C0SYRIA01"].messages
    replies = [m for m in messages if m.get("thread_ts")]
    copies = {k for k, a in ARTICLES.items() if "copy_of" in a and a["copy_of"] in ORIGINALS}
    joined_stories = {key_of(a["url"]) for a in alerts if key_of(a["url"]) in {ARTICLES[c]["copy_of"] for c in copies}}
    assert len(replies) == len(joined_stories)  # one reply per story, in its alert's thread
    parents = {m["ts"]: m for m in messages if not m.get("thread_ts")}
    for reply in replies:
        parent = parents[reply["thread_ts"]]
        assert carried(parent)  # the thread is an alert's
        assert "also reported by" in reply["blocks"][0]["text"]["text"]
    check(cli, config)
    assert len([m for m in slack.channels["C0SYRIA01"].messages if m.get("thread_ts")]) == len(replies)


def test_a_muted_group_is_not_posted_in_that_channel(slack, slack_config, cli, site):
    from datetime import timedelta

    from bot import config as config_module
    from bot.store import Store, outbox, utcnow

    config = slack_config(digest_after=100)
    cfg = config_module.load(config)
    store = Store.open(cfg.database_path)
    outbox.mute(store, "slack:#syria-alerts", "Nujaba", utcnow() + timedelta(hours=1), "U0ADMIN01")
    store.close()
    alerts, _ = check(cli, config)
    only_nujaba = {a["alert_id"] for a in alerts if a["keywords"] == ["Nujaba"]}
    assert only_nujaba
    assert set(delivered(slack)) == {a["alert_id"] for a in alerts} - only_nujaba
    assert statuses(config) == {"sent": len(alerts) - len(only_nujaba), "muted": len(only_nujaba)}


def test_a_failed_channel_shows_in_sources(slack, slack_config, cli):
    from bot import config as config_module
    from bot.chat.commands import Request, handle
    from bot.store import Store

    slack.channels["C0SYRIA01"].is_archived = True
    config = slack_config(digest_after=100)
    check(cli, config)
    cfg = config_module.load(config)
    store = Store.open(cfg.database_path)
    reply = handle(Request("sources", "U1", None), cfg, store)
    store.close()
    assert "slack:#syria-alerts: " in reply.text and "is_archived" in reply.text and "redeliver" in reply.text


def test_pace_holds_one_message_a_second_after_a_burst():
    import asyncio

    from bot.chat.sender import Pace

    now = [0.0]
    slept = []

    async def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    pace = Pace(rate=1.0, burst=3, sleep=sleep, clock=lambda: now[0])

    async def send(n):
        times = []
        for _ in range(n):
            await pace.wait()
            times.append(now[0])
        return times

    times = asyncio.run(send(10))
    assert times[:3] == [0.0, 0.0, 0.0]  # the burst
    assert [round(b - a, 6) for a, b in itertools.pairwise(times[2:])] == [1.0] * 7
