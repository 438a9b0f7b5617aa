"""Faults as the service meets them: one `wirewatch run` with a source per fault, each on a loopback server
of its own (its own address, so its own host to the fetcher's per-host limits), and two healthy sources whose
feeds grow while it runs; alerts go to the Slack fake and `/wirewatch sources` is asked as Slack asks it.

The service must stay up, alert every new healthy article exactly once, and show each fault's error, saying
what went wrong, in the sources answer; a server that hangs or drips one byte a second must not hold up the
healthy sources (their alert arrives while such a request is still open), and a decompression bomb must not
blow up the memory (the size cap is on the decoded bytes).

What the fetcher makes of each fault on its own is tests/test_fetch.py's; this file is the service's view.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import sqlite3
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlencode

import httpx
import pytest
import yaml

from bot.demo.server import SiteServer
from bot.slack.render import mrkdwn
from tests.slack_fake import BOT_TOKEN, SECRET, SlackFake, payload, signed_headers
from tests.utils import KEYWORDS, bomb, free_port, stop, wait_for

ROOT = Path(__file__).parents[1]
TIMEOUT = 10  # the run's request timeout: how long the hanging and the dripping source hold a request open
CAP = 1_000_000  # the run's max_bytes
ROUNDS = 3  # times the healthy feeds grow after the first poll
MIB = 1 << 20


class Faults:
    """Every fault on its own loopback address (127.0.0.11, .12, ...); what the slow ones went through."""

    PATHS = ("/500", "/hang", "/drip", "/huge", "/gzip-bomb", "/brotli-bomb", "/bad-xml", "/loop")

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.open: dict[str, list[list[float | None]]] = {"/hang": [], "/drip": []}  # [start, end] per request
        self.dripped = 0
        self.bombs = {"/gzip-bomb": (bomb("gzip"), "gzip"), "/brotli-bomb": (bomb("br"), "br")}
        self.servers: dict[str, ThreadingHTTPServer] = {}

    def url(self, path: str) -> str:
        host, port = self.servers[path].server_address[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> Faults:
        handler = type("Handler", (_FaultHandler,), {"faults": self})
        for i, path in enumerate(self.PATHS):
            server = _QuietServer((f"127.0.0.{11 + i}", 0), handler)
            self.servers[path] = server
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for server in self.servers.values():
            server.shutdown()
            server.server_close()

    def open_at(self, path: str, moment: float) -> bool:
        """Whether a request to ``path`` was open (the client still connected) at ``moment``."""
        return any(start <= moment and (end is None or end > moment) for start, end in self.open[path])

    def fresh(self, path: str, within: float) -> bool:
        """A request to ``path`` open now that started less than ``within`` seconds ago."""
        now = time.monotonic()
        return any(end is None and now - start < within for start, end in self.open[path])


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up mid-answer (the bombs, the huge body) is what these servers are for


class _FaultHandler(BaseHTTPRequestHandler):
    faults: Faults
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        with contextlib.suppress(OSError):  # the client gave up on a slow or huge answer
            getattr(self, "_" + path.strip("/").replace("-", "_"))()

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/rss+xml", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _500(self) -> None:
        self._send(500, b"<html><body>Internal Server Error</body></html>", {"Content-Type": "text/html"})

    def _gone(self, wait: float) -> bool:
        """Whether the client hung up, waiting at most ``wait`` seconds to see."""
        readable, _, _ = select.select([self.connection], [], [], wait)
        return bool(readable) and not self.connection.recv(1, 0)

    def _held(self, path: str, drip: bool) -> None:
        moment = [time.monotonic(), None]
        self.faults.open[path].append(moment)
        try:
            if drip:
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                self.wfile.write(b"<")
                self.wfile.flush()
            while not self.faults.stopping.is_set() and not self._gone(1.0):
                if drip:
                    self.wfile.write(b"r")  # one byte a second, never enough to finish
                    self.wfile.flush()
                    self.faults.dripped += 1
        finally:
            moment[1] = time.monotonic()

    def _hang(self) -> None:
        self._held("/hang", drip=False)

    def _drip(self) -> None:
        self._held("/drip", drip=True)

    def _huge(self) -> None:
        """50 MB of a feed that never ends, made as it is sent."""
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(50 * MIB))
        self.end_headers()
        line = b"<item><title>filler</title><description>" + b"x" * 200 + b"</description></item>\n"
        chunk = line * (64 * 1024 // len(line))
        self.wfile.write(b"<rss><channel>")
        for _ in range(50 * MIB // len(chunk)):
            self.wfile.write(chunk)

    def _gzip_bomb(self) -> None:
        body, coding = self.faults.bombs["/gzip-bomb"]
        self._send(200, body, {"Content-Encoding": coding})

    def _brotli_bomb(self) -> None:
        body, coding = self.faults.bombs["/brotli-bomb"]
        self._send(200, body, {"Content-Encoding": coding})

    def _bad_xml(self) -> None:
        self._send(200, b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Broken</title>'
                        b"<item><title>Unclosed</tittle></item></channel></rss>")  # fmt: skip

    def _loop(self) -> None:
        self._send(302, b"", {"Location": "/loop"})


# What each faulty source's error must say: the message as the run records it, shown inert in Slack.
EXPECTED = {
    "Server error": ["/500", "HTTP 500 Internal Server Error"],
    "Hanging server": ["/hang", f"timed out after {TIMEOUT}s waiting for the server's answer"],
    "Dripping server": ["/drip", f"timed out after {TIMEOUT}s reading the body (", " bytes received)"],
    "Huge body": ["/huge", f"response over {CAP} bytes (max_bytes), cut there: not a valid feed"],
    "Gzip bomb": ["/gzip-bomb", f"response over {CAP} bytes once decoded from gzip (max_bytes), cut there"],
    "Brotli bomb": ["/brotli-bomb", f"response over {CAP} bytes once decoded from br (max_bytes), cut there"],
    "Broken XML": ["/bad-xml", "not a valid feed: mismatched tag at line 2, column"],
    "Redirect loop": ["/loop", "more than 5 redirects"],
    "No such host": [None, "cannot resolve the host name feeds.wirewatch-test.invalid"],
    "Refused": [None, "cannot connect: connection refused by 127.0.0.1:"],
}
QUICK = ["Server error", "Huge body", "Gzip bomb", "Brotli bomb", "Broken XML", "Redirect loop", "No such host",
         "Refused"]  # fmt: skip


class Healthy:
    """Two feeds on two hosts (127.0.0.1 and 127.0.0.2) whose items, each naming Deir ez-Zor in its own words,
    the test adds while the service runs."""

    NAMES: ClassVar[dict[str, str]] = {"Healthy A": "a", "Healthy B": "b"}  # source -> folder

    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: dict[str, list[tuple[str, str]]] = {name: [] for name in self.NAMES}
        self.servers = {name: SiteServer(root, host=f"127.0.0.{i}") for i, name in enumerate(self.NAMES, 1)}
        for folder in self.NAMES.values():
            (root / folder).mkdir(parents=True)

    def url(self, name: str) -> str:
        return self.servers[name].url(f"/{self.NAMES[name]}/feed.xml")

    def grow(self) -> list[str]:
        """One new item in each feed; their titles."""
        titles = []
        for name, folder in self.NAMES.items():
            n = len(self.items[name])
            title = f"{name} report {n}: water returns to Deir ez-Zor"
            words = random.Random(f"{name}/{n}").choices(VOCABULARY, k=120)
            text = f"Residents of Deir ez-Zor said on {name} day {n} that " + " ".join(words) + "."
            self.items[name].append((title, text))
            titles.append(title)
            base = self.servers[name].base
            items = "".join(
                f"<item><title>{t}</title><link>{base}/{folder}/{i}.html</link><guid>{base}/{folder}/{i}.html</guid>"
                f"<pubDate>{formatdate(usegmt=True)}</pubDate><description>{x[:80]}</description>"
                f"<content:encoded><![CDATA[<p>{x}</p>]]></content:encoded></item>"
                for i, (t, x) in enumerate(self.items[name])
            )
            feed = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
                    f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>{name}</title>'
                    f"<link>{base}/{folder}/</link>{items}</channel></rss>")  # fmt: skip
            path = self.root / folder / "feed.xml"
            path.with_suffix(".tmp").write_text(feed, encoding="utf-8")
            path.with_suffix(".tmp").replace(path)  # whole, never half written
        return titles


VOCABULARY = """river bridge bakery market school clinic tractor harvest wheat cotton pump station generator
council elders tribe convoy checkpoint road village district countryside bank ferry canal irrigation
fuel diesel price bread flour shortage queue family children teacher doctor nurse ambulance hospital
electricity grid cable transformer repair crew engineer contractor budget fund donor agency shelter camp
tent winter rain flood drought well tanker truck driver border crossing trader shop mosque square
street night morning evening week month officials statement residents witnesses sources reporter""".split()


def sources(healthy: Healthy, faults: Faults, refused_port: int) -> list[dict]:
    listed = [{"name": name, "url": healthy.url(name), "every": "1s"} for name in Healthy.NAMES]
    for name, (path, *_) in EXPECTED.items():
        if name == "No such host":
            url = "http://feeds.wirewatch-test.invalid/feed.xml"
        elif name == "Refused":
            url = f"http://127.0.0.1:{refused_port}/feed.xml"
        else:
            url = faults.url(path)
        listed.append({"name": name, "url": url, "every": "1s"})
    return listed


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_the_service_rides_out_every_fault(tmp_path):
    healthy = Healthy(tmp_path / "web")
    with Faults() as faults, healthy.servers["Healthy A"], healthy.servers["Healthy B"], SlackFake() as slack:
        slack.add_channel("C0ALERTS1", "alerts")
        posted: list[tuple[float, str]] = []  # (when, text) of every message the fake took
        take = slack._chat_postMessage

        def recording(args: dict) -> dict:
            answer = take(args)
            if answer.get("ok"):
                posted.append((time.monotonic(), args.get("text", "")))
            return answer

        slack._chat_postMessage = recording
        titles = healthy.grow()
        listen = free_port()
        config = tmp_path / "wirewatch.yaml"
        config.write_text(yaml.safe_dump({
            "database": "wirewatch.db", "keywords": KEYWORDS, "timeout": f"{TIMEOUT}s", "max_bytes": CAP,
            "sources": sources(healthy, faults, free_port()), "digest_after": 100,
            "channels": [{"slack": "#alerts"}],
            "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "signing_secret": "${SLACK_SIGNING_SECRET}",
                      "api_url": slack.api_url, "listen": f"127.0.0.1:{listen}"},
        }, allow_unicode=True), encoding="utf-8")  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET}
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        db = tmp_path / "wirewatch.db"

        def alerted(title: str) -> list[float]:
            return [when for when, text in posted if title in text]

        def errors() -> dict[str, int]:
            with contextlib.closing(sqlite3.connect(db)) as conn:
                return dict(conn.execute("SELECT name, errors FROM sources"))

        try:
            wait_for(lambda: all(alerted(t) for t in titles), what="the healthy sources' first alerts")

            # A new article while the hanging and the dripping request are open, with time to spare on both.
            wait_for(lambda: faults.fresh("/hang", TIMEOUT / 2) and faults.fresh("/drip", TIMEOUT / 2),
                     timeout=3 * TIMEOUT, what="fresh requests to the hanging and the dripping server")  # fmt: skip
            titles += (grown := healthy.grow())
            wait_for(lambda: all(alerted(t) for t in grown), what="the alerts of the new articles")
            for title in grown:
                when = alerted(title)[0]
                assert faults.open_at("/hang", when), "the healthy alert waited for the hanging server"
                assert faults.open_at("/drip", when), "the healthy alert waited for the dripping server"

            # Every fault seen at least once, the quick ones twice: the service polls on after each.
            wait_for(lambda: all(errors().get(n, 0) >= (2 if n in QUICK else 1) for n in EXPECTED),
                     timeout=4 * TIMEOUT, what="every faulty source's errors")  # fmt: skip
            for _ in range(ROUNDS - 1):
                titles += (grown := healthy.grow())
                wait_for(lambda g=grown: all(alerted(t) for t in g), what="the alerts of the new articles")

            answer = sources_answer(slack, listen)
            peak = peak_rss_mb(proc.pid)
            assert proc.poll() is None, "the service stopped"
        finally:
            err = stop(proc)
        assert proc.returncode == 0 and "Traceback" not in err, err

    # Each new healthy article exactly once, and nothing else.
    assert len(posted) == len(titles) == 2 * (ROUNDS + 1), [text for _, text in posted]
    assert all(len(alerted(title)) == 1 for title in titles), [text for _, text in posted]
    # Each fault's error, as the sources answer shows it (inert: host names defanged, "_" swapped).
    rows = {line.split("*")[1]: line for line in answer.splitlines() if line.startswith("• *")}
    for name, (_, *fragments) in EXPECTED.items():
        assert "last error: " in rows[name], rows[name]
        for fragment in fragments:
            assert mrkdwn(fragment, 200) in rows[name], (name, rows[name])
    for name in Healthy.NAMES:
        assert ": ok · last success 20" in rows[name], rows[name]
    assert faults.dripped > 0  # the drip really dripped
    # Two 1 GiB bombs and a 50 MB body, each read twice or more under a 1 MB cap: memory stays small.
    assert peak < 250, f"peak RSS {peak:.0f} MB"


def sources_answer(slack: SlackFake, listen: int) -> str:
    """`/wirewatch sources` as Slack sends it (signed), and the text of the answer's blocks."""
    fields = payload(slack, "sources")
    body = urlencode(fields)
    response = httpx.post(f"http://127.0.0.1:{listen}/slack/events", content=body, headers=signed_headers(body),
                          timeout=10)  # fmt: skip
    assert response.status_code == 200, response.text
    key = fields["response_url"].rsplit("/", 1)[1]
    answer = wait_for(lambda: next((b for k, b in slack.responses if k == key), None), what="the sources answer")
    return "\n".join(block["text"]["text"] for block in answer["blocks"])


@pytest.fixture(autouse=True)
def _loopback_aliases():
    """The faults listen on 127.0.0.11 and up: Linux routes all of 127/8 to loopback."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.11", 0))
        except OSError as exc:
            pytest.skip(f"no 127.0.0.11 on this machine: {exc}")
