"""t.me on loopback: public channels' preview pages, paged the way t.me pages them.

``/s/<name>`` shows the channel's newest ``page_size`` messages, oldest first; ``/s/<name>?before=N`` the
newest ``page_size`` below N; while older messages exist a page carries ``<link rel="prev">`` and the "load
more" link (t.me shows ~20 a page; the tests use fewer messages and a smaller page). A name that is not a
public channel answers 302 to ``/<name>``, a "Contact @name" card without messages, as t.me does. Any
request can be refused (429 and Retry-After) a number of times. Other paths serve what the test put in
``files`` (a web source's feed). No ETag: t.me sends ``Cache-Control: no-store``.

The page, the message blocks and the card are tests/data/telegram (page.html says where the markup comes
from); ``{{ISO:-6d}}`` in them is a date relative to the server's start.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).parent / "data" / "telegram"
_WRAP = '<div class="tgme_widget_message_wrap'
_POST = re.compile(r'data-post="[A-Za-z0-9_]+/(\d+)"')
_DATE = re.compile(r"\{\{ISO:-(\d+)([smhd])\}\}")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)


@dataclass
class Channel:
    name: str
    title: str
    description: str = ""
    messages: dict[int, str] = field(default_factory=dict)  # id -> its tgme_widget_message_wrap block


class TelegramFake:
    """``with TelegramFake() as tme: tme.load("deirezzor_now", ...); tme.url("/s/deirezzor_now")``."""

    def __init__(self, page_size: int = 4) -> None:
        self.page_size = page_size
        self.started = time.time()
        self.channels: dict[str, Channel] = {}
        self.files: dict[str, tuple[str, str]] = {}  # path -> (content type, body with {{BASE}} and dates)
        self.refusals: dict[str, list] = {}  # "path?query" -> [status, headers, times left]
        self.requests: list[str] = []  # "path?query" of every request, in order
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> TelegramFake:
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    # ------------------------------------------------------------------------------ the test's side

    def load(self, name: str, title: str, description: str = "") -> Channel:
        """The channel ``name`` with the messages of tests/data/telegram/<name>.html."""
        channel = self.channels[name] = Channel(name, title, description)
        markup = _COMMENT.sub("", (DATA / f"{name}.html").read_text(encoding="utf-8"), count=1)
        for block in markup.split(_WRAP)[1:]:
            block = _WRAP + block
            channel.messages[int(_POST.search(block).group(1))] = block.strip()
        return channel

    def post(self, name: str, message_id: int, text: str, ago: str = "10m", photo: bool = False) -> None:
        """A new message (``text`` is its HTML; with ``photo``, its caption), published ``ago`` (e.g. "10m")
        before the server started."""
        template = _COMMENT.sub("", (DATA / "message.html").read_text(encoding="utf-8"), count=1)
        channel = self.channels[name]
        block = template.replace("{{CHANNEL}}", name).replace("{{ID}}", str(message_id))
        block = block.replace("{{TITLE}}", channel.title).replace("{{TEXT}}", text)
        if photo:
            wrap = (
                '<a class="tgme_widget_message_photo_wrap 5406729561811342900 1" '
                f'href="https://t.me/{name}/{message_id}" '
                f"style=\"width:800px;background-image:url('https://cdn4.telesco.pe/file/photo-{message_id}.jpg')\">"
                '<div class="tgme_widget_message_photo" style="padding-top:75%"></div></a>\n    '
            )
            block = block.replace(
                '<div class="tgme_widget_message_text', wrap + '<div class="tgme_widget_message_text', 1
            )
        channel.messages[message_id] = block.replace("{{WHEN}}", "{{ISO:-" + ago + "}}").strip()

    def edit(self, name: str, message_id: int, old: str, new: str) -> None:
        """Change a message's text as an edit does: same id, new text, "edited" beside its time."""
        block = self.channels[name].messages[message_id]
        assert old in block, f"{old!r} is not in message {message_id}"
        block = block.replace(old, new, 1)
        meta = '<span class="tgme_widget_message_meta">'
        if f"{meta}edited" not in block:
            block = block.replace(meta, f"{meta}edited &nbsp;")
        self.channels[name].messages[message_id] = block

    def refuse(self, target: str, times: int = 1, status: int = 429, retry_after: str = "120") -> None:
        """Answer ``target`` ("/s/name" or "/s/name?before=N") with ``status`` the next ``times`` times."""
        self.refusals[target] = [status, {"Retry-After": retry_after} if retry_after else {}, times]

    def requested(self) -> list[str]:
        with self._lock:
            seen, self.requests = self.requests, []
        return seen

    # ----------------------------------------------------------------------------------- the pages

    def render(self, text: str) -> str:
        def date(match: re.Match[str]) -> str:
            when = self.started - int(match.group(1)) * _UNITS[match.group(2)]
            return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(when))

        return _DATE.sub(date, text.replace("{{BASE}}", self.base))

    def page(self, name: str, before: int | None = None) -> str:
        channel = self.channels[name]
        ids = sorted(i for i in channel.messages if before is None or i < before)
        shown = ids[-self.page_size :]
        older = len(ids) > len(shown)
        newer = bool(shown) and any(i > shown[-1] for i in channel.messages)
        links = []
        if older:
            links.append(f'<link rel="prev" href="/s/{name}?before={shown[0]}">')
        if newer:
            links.append(f'<link rel="next" href="/s/{name}?after={shown[-1]}">')
        more = ""
        if older:
            more = (
                '<div class="tgme_widget_message_centered js-messages_more_wrap">'
                f'<a href="/s/{name}?before={shown[0]}" class="tme_messages_more js-messages_more" '
                f'data-before="{shown[0]}"></a></div>'
            )
        if not shown:
            more = '<div class="tme_no_messages_found">No posts found</div>'
        markup = (DATA / "page.html").read_text(encoding="utf-8")
        for key, value in (
            ("{{PREV}}", "\n    ".join(links)),
            ("{{MORE}}", more),
            ("{{MESSAGES}}", "\n".join(channel.messages[i] for i in shown)),
            ("{{CANONICAL}}", f"?before={before}" if before else ""),
            ("{{CHANNEL}}", name),
            ("{{TITLE}}", channel.title),
            ("{{DESCRIPTION}}", channel.description),
        ):
            markup = markup.replace(key, value)
        return self.render(markup)


class _Handler(BaseHTTPRequestHandler):
    fake: TelegramFake
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:
        pass

    def do_GET(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        with fake._lock:
            fake.requests.append(target)
            refusal = fake.refusals.get(target)
            if refusal and refusal[2] > 0:
                refusal[2] -= 1
            else:
                refusal = None
        if refusal:
            return self._send(refusal[0], b"<html><body>Too Many Requests</body></html>", refusal[1])
        path = parts.path.rstrip("/")
        if path.startswith("/s/"):
            name = path[3:]
            if name not in fake.channels:  # no public preview: t.me sends the reader to the name's card
                return self._send(302, b"", {"Location": f"{fake.base}/{name}"})
            before = parse_qs(parts.query).get("before", [None])[0]
            page = fake.page(name, int(before) if before and before.isdigit() else None)
            return self._send(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        if parts.path in fake.files:
            content_type, body = fake.files[parts.path]
            return self._send(200, fake.render(body).encode(), {"Content-Type": content_type})
        name = path.lstrip("/")
        if name and "/" not in name:
            card = (DATA / "landing.html").read_text(encoding="utf-8").replace("{{CHANNEL}}", name)
            return self._send(200, card.encode(), {"Content-Type": "text/html; charset=utf-8"})
        return self._send(404, b"<html><body>Not found</body></html>")

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in {"Cache-Control": "no-store", **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)
