"""`wirewatch run`'s scheduling: first polls spread (also after a restart), jitter, and a SIGTERM that lets
the polls in flight finish and be stored before the process exits."""

from __future__ import annotations

import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bot import config as config_module
from bot.demo.server import SiteServer
from bot.schedule import GAP, first_runs, jittered
from tests.utils import KEYWORDS, free_port, wait_for

ROOT = Path(__file__).parents[1]
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def sources_config(tmp_path, count: int, every: str = "10m"):
    path = tmp_path / "wirewatch.yaml"
    path.write_text(yaml.safe_dump({"keywords": KEYWORDS, "every": every,
                                    "sources": [{"name": f"s{i}", "url": f"https://s{i}.example/feed"}
                                                for i in range(count)]}))  # fmt: skip
    return config_module.load(path, environ={})


def test_first_polls_are_spread_never_all_at_once(tmp_path):
    config = sources_config(tmp_path, 1000)
    runs = sorted(first_runs(config, {}, NOW).values())
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(runs)]
    assert runs[0] == NOW and all(abs(g - 0.6) < 1e-6 for g in gaps)  # 10 minutes / 1,000 sources
    assert (runs[-1] - NOW).total_seconds() < 600
    small = sorted(first_runs(sources_config(tmp_path, 3), {}, NOW).values())
    assert [(r - NOW).total_seconds() for r in small] == [0.0, GAP, 2 * GAP]  # a small config starts at once


def test_a_restart_takes_up_the_schedule_where_it_was(tmp_path):
    config = sources_config(tmp_path, 3)
    last = {"s0": (NOW - timedelta(minutes=4)).isoformat(),  # due in 6 minutes: kept
            "s1": (NOW - timedelta(hours=2)).isoformat(),  # overdue: now, spread with the new ones
            "s2": None}  # fmt: skip
    runs = first_runs(config, last, NOW)
    assert runs["s0"] == NOW + timedelta(minutes=6)
    assert runs["s1"] == NOW
    assert (runs["s2"] - NOW).total_seconds() == GAP


def test_jitter_stays_within_ten_percent():
    rng = random.Random(7)
    values = [jittered(600, rng) for _ in range(1000)]
    assert 540 <= min(values) < 560 and 640 < max(values) <= 660


def test_sigterm_lets_the_poll_in_flight_finish(sites, tmp_path):
    """/slow/feed.xml answers after 3 s; SIGTERM arrives while it is on its way."""
    config = tmp_path / "wirewatch.yaml"
    slow = {"name": "Slow", "url": sites.url("/slow/feed.xml"), "every": "1h"}
    config.write_text(yaml.safe_dump({"database": "wirewatch.db", "keywords": KEYWORDS, "sources": [slow]}))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    before = sites.hits["/slow/feed.xml"]
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    wait_for(lambda: sites.hits["/slow/feed.xml"] > before, what="the slow poll to start")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "letting 1 poll(s) in flight finish" in err and "stopped." in err
    db = sqlite3.connect(tmp_path / "wirewatch.db")
    (last_ok, articles) = db.execute("SELECT last_ok, articles FROM sources WHERE name = 'Slow'").fetchone()
    assert last_ok and articles > 0  # the poll finished and was stored before the exit


def test_reload_adds_sources_keeps_schedules_and_survives_a_bad_file(sites, tmp_path, cli):
    config = tmp_path / "wirewatch.yaml"
    euphrates = {"name": "Euphrates", "url": sites.url("/euphrates/feed.xml"), "every": "1h"}
    atom = {"name": "Atom", "url": sites.url("/atom/feed.atom"), "every": "1h"}
    config.write_text(yaml.safe_dump({"database": "wirewatch.db", "keywords": KEYWORDS, "sources": [euphrates]}))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first, atom_before = sites.hits["/euphrates/feed.xml"], sites.hits["/atom/feed.atom"]
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    try:
        wait_for(lambda: (tmp_path / "wirewatch.db.pid").exists() and sites.hits["/euphrates/feed.xml"] > first,
                 what="the first poll")  # fmt: skip
        polled = sites.hits["/euphrates/feed.xml"]

        config.write_text(yaml.safe_dump({"database": "wirewatch.db", "keywords": KEYWORDS,
                                          "sources": [euphrates, atom]}))  # fmt: skip
        code, _, err = cli("reload", "--config", config)
        assert code == 0, err
        wait_for(lambda: sites.hits["/atom/feed.atom"] > atom_before, what="the new source's first poll")

        config.write_text("sources: [\n")  # broken YAML: `reload` refuses before signalling
        code, _, err = cli("reload", "--config", config)
        assert code == 2 and "wirewatch.yaml" in err
        os.kill(proc.pid, signal.SIGHUP)  # the service itself refuses it too, and goes on
        wait_for(lambda: any("still running on the previous config" in line for line in lines), what="the refusal")
        config.write_text(yaml.safe_dump({"database": "wirewatch.db", "keywords": KEYWORDS, "sources": [euphrates]}))
        wait_for(lambda: proc.poll() is None and (tmp_path / "wirewatch.db.pid").exists(), what="the service")
        assert sites.hits["/euphrates/feed.xml"] == polled  # its schedule resumed, not restarted
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        reader.join(10)
        proc.stdout.close()
        proc.stderr.close()
    err = "".join(lines)
    assert proc.returncode == 0, err
    assert "reloaded" in err and "still running on the previous config" in err, err
    assert not (tmp_path / "wirewatch.db.pid").exists()


def test_a_sites_retry_after_is_honoured(sites, tmp_path):
    """/busy/feed.xml answers 429 with Retry-After: 120; polled every second otherwise, it is asked once."""
    config = tmp_path / "wirewatch.yaml"
    busy = {"name": "Busy", "url": sites.url("/busy/feed.xml"), "every": "1s"}
    config.write_text(yaml.safe_dump({"database": "wirewatch.db", "keywords": KEYWORDS, "sources": [busy]}))
    before = sites.hits["/busy/feed.xml"]
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_for(lambda: sites.hits["/busy/feed.xml"] > before, what="the first poll")
        time.sleep(4)  # four intervals, and twice the backoff a failure alone would impose
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert sites.hits["/busy/feed.xml"] - before == 1
    assert "HTTP 429 Too Many Requests (Retry-After 120 s)" in err


def test_retry_after_takes_seconds_or_a_date():
    from email.utils import format_datetime

    from bot.fetch import retry_after

    assert retry_after("120") == 120.0
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 80 <= retry_after(soon) <= 90
    assert retry_after("soon") is None and retry_after(None) is None


def test_the_admins_hear_once_when_a_source_is_down_and_once_when_it_is_back(tmp_path):
    from tests.slack_fake import BOT_TOKEN, SlackFake

    root = tmp_path / "web"
    (root / "flaky").mkdir(parents=True)  # no feed yet: 404 until the test writes it
    with SiteServer(root) as site, SlackFake() as slack:
        slack.add_channel("C0OPS0001", "ops")
        config = tmp_path / "wirewatch.yaml"
        config.write_text(yaml.safe_dump({
            "database": "wirewatch.db", "keywords": KEYWORDS, "source_down_after": "2s",
            "sources": [{"name": "Flaky", "url": site.url("/flaky/feed.xml"), "every": "1s"}],
            "alerts_admin_channel": {"slack": "#ops"},
            "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "signing_secret": "s", "api_url": slack.api_url,
                      "listen": f"127.0.0.1:{free_port()}"},
        }))  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "SLACK_BOT_TOKEN": BOT_TOKEN}
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        ops = slack.channels["C0OPS0001"].messages
        try:
            wait_for(lambda: ops, timeout=30, what="the down message")
            assert "Source Flaky has been failing since" in ops[0]["text"] and "404" in ops[0]["text"]
            polls = site.hits["/flaky/feed.xml"]
            wait_for(lambda: site.hits["/flaky/feed.xml"] > polls, timeout=30, what="another failed poll")
            assert len(ops) == 1  # not one per failed poll
            (root / "flaky" / "feed.xml").write_text(
                '<?xml version="1.0"?><rss version="2.0"><channel><title>Flaky</title></channel></rss>'
            )
            wait_for(lambda: len(ops) == 2, timeout=40, what="the back message")
            assert ops[1]["text"].startswith("Source Flaky works again.")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)


def test_an_idle_worker_pool_exits_and_starts_again_on_the_next_task():
    import asyncio

    from bot.config import Keyword
    from bot.poll.reading import Workers

    async def scenario():
        with Workers([Keyword(name="K", terms=["Deir ez-Zor"])], count=1, idle_after=0.4) as workers:
            first = await workers.call(os.getpid)
            os.kill(first, 0)  # alive while in use
            for _ in range(100):  # the pool notices it is idle and its process exits
                await asyncio.sleep(0.05)
                try:
                    os.kill(first, 0)
                except ProcessLookupError:
                    break
            else:
                raise AssertionError("the idle worker process did not exit")
            second = await workers.call(os.getpid)
            return first, second

    first, second = asyncio.run(scenario())
    assert second != first and second != os.getpid()


def test_workers_auto_reads_in_the_main_process_until_the_work_is_enough_for_the_pool():
    """A cycle after a round of news reads a few pages: in the main process, without a worker process. Once
    POOL_FROM pages are waiting, the pool starts and takes what the main process's reader is too busy for;
    a task that finds the reader free is still read there."""
    import asyncio
    import threading
    import time

    from bot.config import Keyword
    from bot.poll.reading import POOL_FROM, Workers

    async def scenario():
        with Workers([Keyword(name="K", terms=["Deir ez-Zor"])], count=2, on_demand=True) as workers:
            assert workers.processes == 1  # the reader thread is the other one
            workers.plan(POOL_FROM - 1)
            light = await workers.call(os.getpid), await workers.call(threading.get_ident)
            workers.plan(1)
            long_page = asyncio.ensure_future(workers.call(time.sleep, 1.0))
            await asyncio.sleep(0.1)  # the reader thread has taken it
            heavy = await workers.call(os.getpid)
            await long_page
            free_again = await workers.call(os.getpid)
            return light, heavy, free_again

    (light_pid, light_thread), heavy_pid, free_pid = asyncio.run(scenario())
    assert light_pid == os.getpid() and light_thread != threading.get_ident()  # beside the loop, not on it
    assert heavy_pid != os.getpid()
    assert free_pid == os.getpid()


def test_workers_auto_on_one_core_reads_in_the_main_process_only():
    """On one core a worker process would only take turns with the main process: the reader thread reads all."""
    import asyncio

    from bot.config import Keyword
    from bot.poll.reading import POOL_FROM, Workers

    async def scenario():
        with Workers([Keyword(name="K", terms=["Deir ez-Zor"])], count=1, on_demand=True) as workers:
            workers.plan(10 * POOL_FROM)
            return await asyncio.gather(*(workers.call(os.getpid) for _ in range(4)))

    assert set(asyncio.run(scenario())) == {os.getpid()}
