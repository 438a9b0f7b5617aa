"""Alert latency and poll pacing of `wirewatch run` at its defaults, on a loopback web of busy, quiet and max-age feeds.

    .venv/bin/python bench/latency.py [--minutes 8] [--out DIR]

The acceptance scenario of the adaptive poll intervals (bot/schedule.py, docs/configuration.md "Poll
intervals"): on a loopback web of 30 busy feeds (a new item every 75 s), 150 quiet ones and 10 answering
``Cache-Control: max-age=600``, `wirewatch run` at its defaults posting to the Slack fake (tests/slack_fake.py):

- busy items reach chat with p50 <= 60 s and p95 <= 120 s, each exactly once;
- no quiet feed is read twice within 6 minutes;
- no feed is read twice within 30 s;
- the max-age feeds are not re-read within 540 s.

The web is one threaded HTTP server (stdlib) on 127.0.0.1 serving RSS 2.0 in WordPress's markup (title, link,
comments, dc:creator, pubDate in RFC 822, category, guid ?p=N, description excerpt, content:encoded with the
full text, so `articles: auto` fetches no page), with WordPress's validators: ``ETag`` and ``Last-Modified``,
and a 304 when the client's match (both must when both are sent, as WordPress's ``WP::send_headers``). Every
item names "Deir ez-Zor" (the one keyword group), has its own URL and its own text (no two items are one
story). The feeds change with the wall clock:

- busy: item k of feed i is published at ``epoch + phase_i + 75 k`` (phases spread evenly over 75 s),
  visible from then on; the feed lists its latest 20;
- quiet: 8 items 5-9 h apart, the newest 1-6 h old; nothing new during the run;
- max-age: an item every 5 min (so their own rhythm alone would poll every 2.5 min), latest 20, and
  ``Cache-Control: max-age=600`` on every answer, 304s included.

All 190 feeds share one host, so its politeness (``per_host`` 2, ``host_spacing`` 0.1 s) holds for all of
them: stricter than 190 sites, and still far below what the polls need (~0.5 requests a second).

`wirewatch -v run --config F` runs as a subprocess with only sources (the classes shuffled, seeded, so that
busy feeds are not all read first), keywords, a channel and the Slack section set (no every, min_every,
concurrency, workers...), for ``--minutes``; then SIGTERM. The server logs
every request (feed, time, status); the fake timestamps every chat.postMessage as it arrives. An alert is
matched to its item by the item's URL in the message (a digest carries several). Measured:

- latency: busy items published after the service's first request of their feed and at least
  ``--settle`` s (150) before the SIGTERM: fake's receipt of the top-level message naming the item minus
  the item's pubDate; an item never posted counts as infinitely late (and as missing);
- exactly once: each of those items in exactly one top-level message; no item of any feed in two;
- per feed, the gaps between consecutive requests: >= 30 s for every feed; >= 360 s for the quiet ones
  (equivalently, no 6-minute window holds two reads of a quiet feed); >= 540 s for the max-age ones. In an
  8-minute run, a max-age feed read at the start is due again only after the run (600-660 s), so that check
  means "read once"; runs of 11 minutes or more see the re-read;
- `wirewatch sources --json` after the stop: each class's intervals and their reasons;
- shown, not targets: whether every item that the feeds' first reads listed (the start-up backlog, sent as
  digests) was posted once, and how many of the last ``--settle`` s's busy items were posted before the stop.

Exit status 1 if a target fails. ``--out DIR`` keeps the config, database, request log, posts and the
service's log (timestamped), and latencies.tsv (each measured item: feed, k, published, posted, seconds) there.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import itertools
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml
from common import ROOT, load

slack_fake = load("slack_fake", ROOT / "tests" / "slack_fake.py")  # tests/ is not a package of the venv
BOT_TOKEN, SlackFake = slack_fake.BOT_TOKEN, slack_fake.SlackFake

KEYWORD = "Deir ez-Zor"
CHANNEL_ID, CHANNEL = "C0BENCH01", "bench-alerts"
LISTED = 20  # items a feed lists (WordPress's default "Syndication feeds show the most recent 20")
QUIET_ITEMS = 8
MAX_AGE = 600
MAX_AGE_EVERY = 300  # a max-age feed's own rhythm: an item every 5 min

# ----------------------------------------------------------------------------------------------- the texts

PLACES = ["al-Mayadin", "al-Bukamal", "Hajin", "al-Susah", "Diban", "al-Busayrah", "Muhasan", "al-Kishmah",
          "al-Shuhayl", "Thiban", "al-Tayyana", "Gharanij", "Abu Hamam", "al-Jurdhi", "al-Hawayij", "Dhiban",
          "al-Asharah", "Buqrus", "al-Quriyah", "Sbikhan", "Khasham", "Marat", "Hatla", "al-Jafra", "Muhemideh",
          "al-Husseiniyeh", "Hawi", "al-Salihiyah", "Baghuz", "al-Shafa"]  # fmt: skip
SUBJECTS = ["local council", "water directorate", "tribal elders", "health committee", "teachers union",
            "farmers cooperative", "fuel distributors", "bakery owners", "civil defence teams", "municipal engineers",
            "livestock traders", "bus drivers", "student families", "mine clearance crews", "grain depot staff",
            "electricity workers", "pharmacists", "fishermen", "displaced families", "women's committee"]  # fmt: skip
ACTIONS = ["reopened", "repaired", "closed", "inspected", "rebuilt", "surveyed", "cleared", "expanded", "rationed",
           "suspended", "extended", "restored", "relocated", "doubled", "halved", "audited", "fenced", "flooded",
           "resurfaced", "reconnected"]  # fmt: skip
OBJECTS = ["pumping station", "grain silo", "bridge crossing", "secondary school", "field clinic", "bakery",
           "irrigation canal", "bus depot", "cotton gin", "power substation", "wheat market", "ferry landing",
           "water tower", "fuel depot", "vaccination point", "orchard road", "sheep market", "flour mill",
           "cemetery wall", "river embankment"]  # fmt: skip
WHEN = ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday",
        "overnight", "at dawn", "before noon", "late in the evening", "after Friday prayers"]  # fmt: skip
SOURCES = ["a resident told us", "an official said", "witnesses said", "a nurse said", "a shopkeeper said",
           "two farmers said", "a council member said", "a local journalist reported", "a teacher said",
           "a driver said"]  # fmt: skip
MEASURES = ["families", "litres", "tonnes", "metres", "households", "workers", "trucks", "children", "shops",
            "hectares", "sacks", "pumps"]  # fmt: skip
AUTHORS = ["Omar Hamdan", "Lina Haddad", "Sami Khalaf", "Rana Aziz", "Yusuf Darwish", "Huda Saleh"]


def _sentence(rng: random.Random, place: str) -> str:
    what = f"the {rng.choice(OBJECTS)} of {rng.choice(PLACES)}"
    return rng.choice([
        f"The {rng.choice(SUBJECTS)} {rng.choice(ACTIONS)} {what} {rng.choice(WHEN)}, {rng.choice(SOURCES)}.",
        f"{rng.randint(3, 900)} {rng.choice(MEASURES)} in {place} depend on {what}, which was {rng.choice(ACTIONS)} "
        f"{rng.choice(WHEN)}.",
        f"According to the {rng.choice(SUBJECTS)}, {rng.randint(2, 80)} {rng.choice(MEASURES)} were "
        f"{rng.choice(ACTIONS)} near {rng.choice(PLACES)} {rng.choice(WHEN)}.",
        f"{rng.choice(SOURCES).capitalize()} that the {rng.choice(SUBJECTS)} of {rng.choice(PLACES)} "
        f"{rng.choice(ACTIONS)} {rng.randint(2, 400)} {rng.choice(MEASURES)} {rng.choice(WHEN)}.",
    ])  # fmt: skip


@dataclass(frozen=True, slots=True)
class Item:
    feed: str  # "busy/3"
    k: int
    published: int  # epoch seconds (RFC 822 has whole seconds)
    url: str


def text_of(item: Item) -> tuple[str, list[str]]:
    """An item's headline and paragraphs: its own words (seeded by the item), naming Deir ez-Zor."""
    rng = random.Random(f"{item.feed}/{item.k}")
    place = rng.choice(PLACES)
    title = (f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(ACTIONS)} {rng.choice(OBJECTS)} in {place}, "
             f"{KEYWORD} countryside ({item.k})")  # fmt: skip
    lead = (f"In {place}, in the {KEYWORD} countryside, the {rng.choice(SUBJECTS)} {rng.choice(ACTIONS)} the "
            f"{rng.choice(OBJECTS)} {rng.choice(WHEN)}, {rng.choice(SOURCES)}.")  # fmt: skip
    paragraphs = [lead] + [" ".join(_sentence(rng, place) for _ in range(3)) for _ in range(3)]
    return title, paragraphs


# ----------------------------------------------------------------------------------------------- the web


def rfc822(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, UTC))  # "Fri, 04 Dec 2026 12:00:00 +0000", as WordPress


def http_date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, UTC), usegmt=True)


class Web:
    """The feeds' contents as a function of the wall clock, and the log of every request."""

    def __init__(self, busy: int, quiet: int, maxage: int, every: float, start: float, seed: int) -> None:
        self.every, self.start = every, start
        rng = random.Random(seed)
        self.epoch = int(start) - 40 * int(every)  # busy item 0 of every feed: well before the start
        self.feeds: dict[str, str] = {}  # feed -> class
        self.phase: dict[str, int] = {}
        self.quiet_times: dict[str, list[int]] = {}
        for i in range(busy):
            self.feeds[f"busy/{i}"] = "busy"
            self.phase[f"busy/{i}"] = round(i * every / busy)
        for i in range(quiet):
            name = f"quiet/{i}"
            self.feeds[name] = "quiet"
            newest = int(start) - rng.randint(3600, 6 * 3600)
            times = [newest]
            for _ in range(QUIET_ITEMS - 1):
                times.append(times[-1] - rng.randint(5 * 3600, 9 * 3600))
            self.quiet_times[name] = times
        for i in range(maxage):
            self.feeds[f"maxage/{i}"] = "maxage"
            self.phase[f"maxage/{i}"] = round(i * MAX_AGE_EVERY / max(maxage, 1))
        self.port = 0
        self.requests: list[tuple[float, str, int]] = []  # (time, feed or path, status)
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def feed_url(self, feed: str) -> str:
        return self.url(f"{feed}/feed/")

    def item(self, feed: str, k: int, published: int) -> Item:
        return Item(feed, k, published, self.url(f"{feed}/{k}-report/"))

    def items(self, feed: str, now: float) -> list[Item]:
        """What the feed lists at ``now``, newest first."""
        kind = self.feeds[feed]
        if kind == "quiet":
            return [self.item(feed, k, t) for k, t in enumerate(self.quiet_times[feed])]
        gap = self.every if kind == "busy" else MAX_AGE_EVERY
        last = math.floor((now - self.epoch - self.phase[feed]) / gap)
        first = max(0, last - LISTED + 1)
        return [self.item(feed, k, int(self.epoch + self.phase[feed] + k * gap)) for k in range(last, first - 1, -1)]

    def published_between(self, feed: str, since: float, until: float) -> list[Item]:
        """The busy or max-age feed's items published in [since, until)."""
        kind = self.feeds[feed]
        gap = self.every if kind == "busy" else MAX_AGE_EVERY
        base = self.epoch + self.phase[feed]
        k0, k1 = math.ceil((since - base) / gap), math.ceil((until - base) / gap)
        return [self.item(feed, k, int(base + k * gap)) for k in range(max(k0, 0), k1)]

    def render(self, feed: str, items: list[Item]) -> bytes:
        site = self.url(feed)
        name = f"{feed.split('/')[0].capitalize()} Post {feed.split('/')[1]}"
        built = rfc822(items[0].published) if items else rfc822(self.start)
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
            '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
            '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
            '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
            '\txmlns:atom="http://www.w3.org/2005/Atom"\n'
            '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n'
            '\txmlns:slash="http://purl.org/rss/1.0/modules/slash/"\n\t>\n\n<channel>\n'
            f"\t<title>{name}</title>\n"
            f'\t<atom:link href="{self.feed_url(feed)}" rel="self" type="application/rss+xml" />\n'
            f"\t<link>{site}</link>\n"
            f"\t<description>News from {KEYWORD} and the Euphrates valley</description>\n"
            f"\t<lastBuildDate>{built}</lastBuildDate>\n\t<language>en-US</language>\n"
            "\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n"
            "\t<generator>https://wordpress.org/?v=6.4.2</generator>\n"
        ]
        for item in items:
            title, paragraphs = text_of(item)
            title = html.escape(title, quote=False)
            excerpt = " ".join(paragraphs[0].split()[:40])
            body = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
            post_id = 1000 + item.k
            parts.append(
                "\t<item>\n"
                f"\t\t<title>{title}</title>\n"
                f"\t\t<link>{item.url}</link>\n"
                f"\t\t<comments>{item.url}#respond</comments>\n"
                f"\t\t<dc:creator><![CDATA[{AUTHORS[item.k % len(AUTHORS)]}]]></dc:creator>\n"
                f"\t\t<pubDate>{rfc822(item.published)}</pubDate>\n"
                "\t\t<category><![CDATA[Syria]]></category>\n"
                f"\t\t<category><![CDATA[{KEYWORD}]]></category>\n"
                f'\t\t<guid isPermaLink="false">{site}/?p={post_id}</guid>\n\n'
                f"\t\t<description><![CDATA[<p>{html.escape(excerpt, quote=False)} [&#8230;]</p>\n"
                f'<p>The post <a href="{item.url}">{title}</a> appeared first on <a href="{site}">{name}</a>.</p>\n'
                "]]></description>\n"
                f"\t\t<content:encoded><![CDATA[{body}\n"
                f'<p>The post <a href="{item.url}">{title}</a> appeared first on <a href="{site}">{name}</a>.</p>\n'
                "]]></content:encoded>\n"
                f"\t\t<wfw:commentRss>{item.url}feed/</wfw:commentRss>\n"
                "\t\t<slash:comments>0</slash:comments>\n"
                "\t</item>\n"
            )
        parts.append("\t</channel>\n</rss>\n")
        return "".join(parts).encode()

    def log(self, what: str, status: int) -> None:
        with self._lock:
            self.requests.append((time.time(), what, status))


def serve(web: Web) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "Apache"
        sys_version = ""

        def do_GET(self) -> None:  # http.server's name
            now = time.time()
            match = re.fullmatch(r"/((?:busy|quiet|maxage)/\d+)/feed/?", self.path)
            if not match or match.group(1) not in web.feeds:
                web.log(self.path, 404)
                self._answer(404, b"<html><body>Not Found</body></html>", {"Content-Type": "text/html"})
                return
            feed = match.group(1)
            items = web.items(feed, now)
            modified = http_date(items[0].published)
            etag = '"' + hashlib.md5(modified.encode()).hexdigest() + '"'  # WordPress's own ETag
            headers = {"Last-Modified": modified, "ETag": etag}
            if web.feeds[feed] == "maxage":
                headers["Cache-Control"] = f"max-age={MAX_AGE}"
            if self._not_modified(etag, items[0].published):
                web.log(feed, 304)
                self._answer(304, b"", headers)
                return
            web.log(feed, 200)
            headers["Content-Type"] = "application/rss+xml; charset=UTF-8"
            self._answer(200, web.render(feed, items), headers)

        def _not_modified(self, etag: str, modified: int) -> bool:
            """WordPress (WP::send_headers): both validators must match when both are sent, else either."""
            client_etag = (self.headers.get("If-None-Match") or "").strip() or None
            since = self.headers.get("If-Modified-Since")
            try:
                client_time = parsedate_to_datetime(since).timestamp() if since else None
            except (TypeError, ValueError):
                client_time = None
            fresh_time = client_time is not None and client_time >= modified
            if client_etag and client_time is not None:
                return client_etag == etag and fresh_time
            return client_etag == etag or fresh_time

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    web.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True, name="feeds").start()
    return server


# ----------------------------------------------------------------------------------------------- the run


def write_config(folder: Path, web: Web, slack, seed: int) -> Path:
    """Sources in a shuffled order (seeded): the classes mixed through the start-up's first polls, as in a real
    config, rather than the busy feeds read first."""
    path = folder / "wirewatch.yaml"
    feeds = list(web.feeds)
    random.Random(seed).shuffle(feeds)
    path.write_text(yaml.safe_dump({
        "database": "wirewatch.db",
        "keywords": [{"name": KEYWORD, "terms": [KEYWORD]}],
        "sources": [{"name": feed.replace("/", "-"), "url": web.feed_url(feed)} for feed in feeds],
        "channels": [{"slack": f"#{CHANNEL}"}],
        "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "api_url": slack.api_url},
    }, sort_keys=False), encoding="utf-8")  # fmt: skip
    return path


def run_service(config: Path, seconds: float, log_path: Path) -> tuple[float, float, int]:
    """`wirewatch -v run` for ``seconds``, then SIGTERM; its stderr, each line timestamped, in ``log_path``.
    Returns when it started, when it was told to stop, and its exit status."""
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "PYTHONUNBUFFERED": "1"}
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "-v", "run", "--config", str(config)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip

    def keep() -> None:
        with log_path.open("w", encoding="utf-8") as out:
            for line in proc.stdout:
                out.write(f"{time.time():.3f} {line}")
                out.flush()

    reader = threading.Thread(target=keep, daemon=True)
    reader.start()
    try:
        while time.time() - started < seconds:
            if proc.poll() is not None:
                raise SystemExit(f"bench/latency.py: wirewatch run exited early ({proc.returncode}); see {log_path}")
            time.sleep(1)
    finally:
        stopped = time.time()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(10)
    return started, stopped, proc.returncode


def sources_json(config: Path) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "bot", "sources", "--config", str(config), "--json"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return [json.loads(line) for line in out.splitlines() if line.strip()]


# ----------------------------------------------------------------------------------------------- the figures

URL = re.compile(r"http://127\.0\.0\.1:\d+/(?:busy|quiet|maxage)/\d+/\d+-report/")


def posted_urls(posts: list[tuple[float, dict, dict]]) -> tuple[dict[str, list[float]], int]:
    """Each item URL -> the receipt times of the top-level messages that name it; and how many thread replies."""
    seen: dict[str, list[float]] = defaultdict(list)
    replies = 0
    for at, args, answer in posts:
        if not answer.get("ok"):
            continue
        if args.get("thread_ts"):
            replies += 1
            continue
        blocks = args.get("blocks")
        text = (args.get("text") or "") + (blocks if isinstance(blocks, str) else json.dumps(blocks or []))
        for url in set(URL.findall(text)):
            seen[url].append(at)
    return seen, replies


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (an infinite value, a missing alert, counts as the latest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=8.0, help="how long `wirewatch run` runs (default 8)")
    parser.add_argument("--busy", type=int, default=30)
    parser.add_argument("--quiet", type=int, default=150)
    parser.add_argument("--maxage", type=int, default=10)
    parser.add_argument("--every", type=float, default=75.0, help="a busy feed's seconds between items (75)")
    parser.add_argument("--settle", type=float, default=150.0,
                        help="busy items published this close to the stop go unmeasured (150 s)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--out", type=Path, help="keep the config, database and logs in this folder")
    args = parser.parse_args()

    folder = args.out or Path(tempfile.mkdtemp(prefix="wirewatch-latency-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("wirewatch.db", "wirewatch.db-wal", "wirewatch.db-shm"):
        (folder / stale).unlink(missing_ok=True)
    web = Web(args.busy, args.quiet, args.maxage, args.every, time.time(), args.seed)
    server = serve(web)
    posts: list[tuple[float, dict, dict]] = []
    try:
        with SlackFake() as slack:
            slack.add_channel(CHANNEL_ID, CHANNEL)
            post = slack._chat_postMessage

            def timed(call_args: dict) -> dict:
                at = time.time()
                answer = post(call_args)
                posts.append((at, call_args, answer))
                return answer

            slack._chat_postMessage = timed
            config = write_config(folder, web, slack, args.seed)
            print(f"{len(web.feeds)} feeds at {web.url('')} ({args.busy} busy, {args.quiet} quiet, {args.maxage} "
                  f"max-age); `wirewatch run` for {args.minutes:g} min; files in {folder}", flush=True)  # fmt: skip
            started, stopped, code = run_service(config, args.minutes * 60, folder / "run.log")
        rows = sources_json(config)
    finally:
        server.shutdown()
        server.server_close()

    requests = list(web.requests)
    (folder / "requests.tsv").write_text("".join(f"{t:.3f}\t{w}\t{s}\n" for t, w, s in requests), encoding="utf-8")
    with (folder / "posts.jsonl").open("w", encoding="utf-8") as out:
        for at, call_args, answer in posts:
            out.write(json.dumps({"at": at, "ok": answer.get("ok"), "args": call_args}, ensure_ascii=False) + "\n")
    report = analyse(web, requests, posts, rows, started, stopped, args)
    (folder / "latencies.tsv").write_text(report["latencies"], encoding="utf-8")  # feed, k, published, posted, s
    print(report["text"])
    print(f"wirewatch run exited with {code}")
    if args.out is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if report["ok"] and code == 0 else 1


def analyse(web: Web, requests, posts, rows: list[dict], started: float, stopped: float, args) -> dict:
    lines: list[str] = []
    per_feed: dict[str, list[tuple[float, int]]] = defaultdict(list)
    others = Counter()
    for at, what, status in requests:
        if what in web.feeds:
            per_feed[what].append((at, status))
        else:
            others[what] += 1
    first = {feed: hits[0][0] for feed, hits in per_feed.items()}
    seen, replies = posted_urls(posts)

    # latency of the busy items published after their feed's first read
    measured: list[Item] = []
    for feed, kind in web.feeds.items():
        if kind == "busy" and feed in first:
            measured += web.published_between(feed, first[feed], stopped - args.settle)
    latencies = [min(seen[i.url]) - i.published if seen.get(i.url) else math.inf for i in measured]
    once = sum(1 for i in measured if len(seen.get(i.url, [])) == 1)
    missing = sum(1 for i in measured if not seen.get(i.url))
    twice_measured = sum(1 for i in measured if len(seen.get(i.url, [])) > 1)
    twice_any = {url: len(times) for url, times in seen.items() if len(times) > 1}
    finite = [x for x in latencies if math.isfinite(x)]
    late = [i for f, kind in web.feeds.items() if kind == "busy" and f in first
            for i in web.published_between(f, max(first[f], stopped - args.settle), stopped)]  # fmt: skip
    late_posted = sum(1 for i in late if seen.get(i.url))
    listed = [i for f in first for i in web.items(f, first[f])]  # what each feed's first read listed
    listed_once = sum(1 for i in listed if len(seen.get(i.url, [])) == 1)
    p50 = percentile(latencies, 50) if latencies else math.nan
    p95 = percentile(latencies, 95) if latencies else math.nan

    # requests per feed
    by_class: dict[str, list[str]] = defaultdict(list)
    for feed, kind in web.feeds.items():
        by_class[kind].append(feed)
    min_gap = {feed: min(gaps([t for t, _ in hits]), default=math.inf) for feed, hits in per_feed.items()}

    def worst(kind: str) -> tuple[float, str]:
        return min(((min_gap.get(f, math.inf), f) for f in by_class[kind]), default=(math.inf, "-"))

    unread = [f for f in web.feeds if f not in per_feed]
    all_gap, all_feed = min(((g, f) for f, g in min_gap.items()), default=(math.inf, "-"))
    quiet_gap, quiet_feed = worst("quiet")
    maxage_gap, maxage_feed = worst("maxage")

    def fmt(x: float) -> str:
        return "-" if math.isinf(x) else f"{x:.1f}"

    def gap_text(gap: float, feed: str) -> str:
        return "no feed read twice" if math.isinf(gap) else f"shortest gap {gap:.1f} s ({feed})"

    checks = [
        ("busy latency p50 <= 60 s", p50 <= 60, f"{fmt(p50)} s"),
        ("busy latency p95 <= 120 s", p95 <= 120, f"{fmt(p95)} s"),
        ("each measured busy item posted exactly once", once == len(measured) and len(measured) > 0,
         f"{once}/{len(measured)} once, {missing} missing, {twice_measured} more than once"),
        ("no item of any feed posted twice", not twice_any, f"{len(twice_any)} items posted twice or more"),
        ("every feed read, no feed read twice within 30 s", all_gap >= 30 and not unread,
         f"{gap_text(all_gap, all_feed)}; {len(unread)} feeds never read"),
        ("no quiet feed read twice within 6 min (gaps >= 360 s)", quiet_gap >= 360,
         gap_text(quiet_gap, quiet_feed)),
        ("max-age feeds not re-read within 540 s", maxage_gap >= 540,
         gap_text(maxage_gap, maxage_feed) + ("" if math.isfinite(maxage_gap) else
                                              " (none re-read; due 600-660 s after the first read)")),
    ]  # fmt: skip

    lines.append("")
    lines.append(f"Run: {(stopped - started) / 60:.1f} min; first reads from {min(first.values()) - started:.1f} s "
                 f"to {max(first.values()) - started:.1f} s after the start; {len(posts)} chat.postMessage calls "
                 f"({replies} thread replies); requests other than feeds: {sum(others.values())}")  # fmt: skip
    lines.append(f"Items listed by the feeds' first reads posted once: {listed_once}/{len(listed)}; busy items "
                 f"published in the last {args.settle:g} s (not measured) posted before the stop: "
                 f"{late_posted}/{len(late)}")  # fmt: skip
    lines.append("")
    lines.append("| busy items measured | p50 s | p95 s | max s | mean s | posted once | missing | posted twice+ |")
    lines.append("|---|---|---|---|---|---|---|---|")
    mean = statistics.fmean(finite) if finite else math.nan
    lines.append(f"| {len(measured)} | {fmt(p50)} | {fmt(p95)} | {fmt(max(latencies, default=math.nan))} | "
                 f"{mean:.1f} | {once} | {missing} | {twice_measured} |")  # fmt: skip
    lines.append("")
    lines.append("| feeds | reads | 200 / 304 | reads per feed (min-max) | shortest gap s | median gap s |")
    lines.append("|---|---|---|---|---|---|")
    for kind in ("busy", "quiet", "maxage"):
        hits = [h for f in by_class[kind] for h in per_feed.get(f, [])]
        counts = [len(per_feed.get(f, [])) for f in by_class[kind]]
        all_gaps = [g for f in by_class[kind] for g in gaps([t for t, _ in per_feed.get(f, [])])]
        ok = sum(1 for _, s in hits if s == 200)
        median = statistics.median(all_gaps) if all_gaps else math.inf
        lines.append(f"| {len(by_class[kind])} {kind} | {len(hits)} | {ok} / {len(hits) - ok} | "
                     f"{min(counts, default=0)}-{max(counts, default=0)} | {fmt(min(all_gaps, default=math.inf))} | "
                     f"{fmt(median)} |")  # fmt: skip
    lines.append("")
    lines.append("`wirewatch sources --json` after the stop (interval and why, per class):")
    lines.append("")
    lines.append("| feeds | interval: sources | why (most common) |")
    lines.append("|---|---|---|")
    for kind in ("busy", "quiet", "maxage"):
        chosen = [r for r in rows if r["name"].split("-")[0] == kind]
        every = Counter(r["every"] for r in chosen)
        why = Counter(re.sub(r"(\d+[dhms])+", "N", r["why"] or "") for r in chosen)
        example = Counter(r["why"] for r in chosen).most_common(2)
        lines.append(f"| {kind} | {', '.join(f'{e}: {n}' for e, n in every.most_common(4))} | "
                     f"{'; '.join(f'{w} ({n})' for w, n in why.most_common(3))}; e.g. "
                     f"{', '.join(repr(w) for w, _ in example)} |")  # fmt: skip
    lines.append("")
    lines.append("| target | result | figure |")
    lines.append("|---|---|---|")
    for name, ok, figure in checks:
        lines.append(f"| {name} | {'PASS' if ok else 'FAIL'} | {figure} |")
    table = "".join(
        f"{i.feed}\t{i.k}\t{i.published}\t{i.published + x:.3f}\t{x:.3f}\n"
        for i, x in zip(measured, latencies, strict=True)
    )
    return {"ok": all(ok for _, ok, _ in checks), "text": "\n".join(lines), "latencies": table}


if __name__ == "__main__":
    sys.exit(main())
