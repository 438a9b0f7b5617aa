"""A small real HTTP server on loopback that serves a folder of sample sites.

Used by ``wirewatch demo`` and by the tests. Files are served with ETag and Last-Modified and answer
conditional requests with 304, like a real CMS. Placeholders in the bytes keep fixtures fresh and
position-independent: ``{{BASE}}`` is this server's base URL; ``{{RFC822:-2h}}`` and ``{{ISO:-3d}}`` are
dates relative to the server's start. ``_routes.json`` in the root gives paths special behaviour
(``status``, ``headers``, ``delay`` seconds, ``body_size`` bytes of filler, ``file`` to serve instead,
``encoding: gzip``).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import re
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".xml": "application/rss+xml", ".rss": "application/rss+xml",
    ".atom": "application/atom+xml", ".json": "application/json", ".txt": "text/plain",
}  # fmt: skip
_DATE = re.compile(rb"\{\{(RFC822|ISO):-(\d+)([smhd])\}\}")
_UNITS = {b"s": 1, b"m": 60, b"h": 3600, b"d": 86400}


class SiteServer:
    """``with SiteServer(root) as server: server.url("/site/feed.xml")``."""

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root).resolve()
        self.started = time.time()
        self.hits: Counter[str] = Counter()  # path -> requests
        self.statuses: list[tuple[str, int]] = []
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic(), path) as each request came in
        self.conditional: Counter[str] = Counter()
        self.user_agents: Counter[str] = Counter()
        self.routes: dict[str, dict] = {}
        self.inflight = 0
        self.peak_inflight = 0  # most requests handled at once: shows the client's concurrency limits
        routes = self.root / "_routes.json"
        if routes.exists():
            self.routes = json.loads(routes.read_text(encoding="utf-8"))
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"site": self})
        self.httpd = _QuietServer((host, port), handler)
        self.base = f"http://{host}:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> SiteServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name="site-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def reset_counts(self) -> None:
        with self._lock:
            self.hits.clear()
            self.statuses.clear()
            self.arrivals.clear()
            self.conditional.clear()
            self.user_agents.clear()
            self.peak_inflight = 0

    def render(self, data: bytes) -> bytes:
        data = data.replace(b"{{BASE}}", self.base.encode())

        def date(match: re.Match[bytes]) -> bytes:
            when = self.started - int(match.group(2)) * _UNITS[match.group(3)]
            if match.group(1) == b"RFC822":
                return formatdate(when, usegmt=True).encode()
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)).encode()

        return _DATE.sub(date, data)

    def enter(self) -> None:
        with self._lock:
            self.inflight += 1
            self.peak_inflight = max(self.peak_inflight, self.inflight)

    def leave(self) -> None:
        with self._lock:
            self.inflight -= 1

    def record(self, path: str, status: int, conditional: bool) -> None:
        with self._lock:
            self.hits[path] += 1
            self.statuses.append((path, status))
            if conditional:
                self.conditional[path] += 1


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still sleeping in a "delay" route must not hold up shutdown

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hung up mid-response (the timeout tests do) is not an error worth a traceback


class _Handler(BaseHTTPRequestHandler):
    site: SiteServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # quiet: tests and the demo print their own output
        pass

    def do_GET(self) -> None:
        self.site.arrivals.append((time.monotonic(), unquote(urlsplit(self.path).path)))
        self.site.enter()
        try:
            self._get()
        finally:
            self.site.leave()

    def _get(self) -> None:
        path = unquote(urlsplit(self.path).path)
        route = self.site.routes.get(path, {})
        conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
        self.site.user_agents[self.headers.get("User-Agent", "")] += 1
        if route.get("delay"):
            time.sleep(float(route["delay"]))
        status = int(route.get("status", 200))
        headers = dict(route.get("headers", {}))
        body = self._body(path, route)
        if body is None and status == 200:
            status, body = 404, b"<html><body><h1>404 Not Found</h1></body></html>"
        body = body or b""
        if status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            last_modified = formatdate(self.site.started, usegmt=True)
            headers.setdefault("ETag", etag)
            headers.setdefault("Last-Modified", last_modified)
            if self._fresh(etag, last_modified):
                status, body = 304, b""
        self.site.record(path, status, conditional)
        self.send_response(status)
        if status != 304:
            headers.setdefault("Content-Type", _TYPES.get(Path(path).suffix.lower(), "text/html"))
        if route.get("encoding") == "gzip" and body and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            self.wfile.write(body)

    def _fresh(self, etag: str, last_modified: str) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
            return etag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return self.headers.get("If-Modified-Since") == last_modified

    def _body(self, path: str, route: dict) -> bytes | None:
        if route.get("body_size"):
            line = b"<item><title>filler</title><description>" + b"x" * 200 + b"</description></item>\n"
            size = int(route["body_size"])
            return (b"<rss><channel>" + line * (size // len(line) + 1))[:size]
        file = self._file(route.get("file") or path)
        return self.site.render(file.read_bytes()) if file else None

    def _file(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        candidate = (self.site.root / relative).resolve()
        if not candidate.is_relative_to(self.site.root) or candidate.name.startswith("_"):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None
