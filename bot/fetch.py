"""The shared HTTP client and its politeness rules.

One small ``httpx.AsyncClient`` per host (and proxy): its connections are reused for every request to that
host, and its pool stays as small as the per-host limit (one client for 1,000 hosts spent most of a cycle's
CPU scanning httpcore's pool). Idle clients beyond a cap are closed, oldest first, so open sockets stay
bounded. The bytes go over aiohttp (bot/transport.py), except for proxied sources, which keep httpcore.

A global and a per-host limit of requests in flight, a minimum spacing between the starts of two requests to
one host (and a site's Retry-After), a total timeout on top of the connect/read timeouts, a size cap on the
decoded bytes that cuts a body instead of loading it whole (a gzip or brotli bomb included), and conditional
GET. httpx errors are translated here, once, into ``FetchError``; a 304 becomes ``NotModified`` so that it
costs no parsing.

httpx imports its command-line tool (click, rich, pygments) on ``import httpx``: ~45 ms of every start-up,
half of httpx's import (encode/httpx#3547, not merged). A ``None`` in ``sys.modules`` makes that one import
fail, which httpx handles by defining a stub ``httpx.main``; nothing else changes.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.errors import FetchError, NotModified

sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # see the docstring
import httpx  # noqa: E402

from bot.transport import AiohttpTransport, NameResolutionError, TLSError  # noqa: E402


@dataclass(slots=True)
class Response:
    url: str  # the final URL, after redirects
    status: int
    content: bytes
    content_type: str = ""
    charset: str | None = None  # from the Content-Type header only
    etag: str | None = None
    last_modified: str | None = None
    truncated: bool = False  # the body was over the size cap and was cut
    encoding: str = ""  # the Content-Encoding it came in (gzip, br, ...): the cap is on the decoded bytes
    elapsed: float = 0.0
    retry_after: float | None = None  # a 429/503's Retry-After, in seconds
    fresh_for: float | None = None  # Cache-Control max-age or Expires: the server says the body holds this long


@dataclass(slots=True)
class FetchStats:
    requests: int = 0
    not_modified: int = 0
    failed: int = 0
    bytes: int = 0
    by_status: dict[int, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True, slots=True)
class FetchSettings:
    user_agent: str = "wirewatch/0.1"
    timeout: float = 20.0  # total, per request
    connect_timeout: float = 10.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    concurrency: int = 20
    per_host: int = 2
    host_spacing: float = 0.1  # seconds between the starts of two requests to one host

    @classmethod
    def from_config(cls, config) -> FetchSettings:
        return cls(
            user_agent=config.user_agent,
            timeout=config.timeout,
            connect_timeout=config.connect_timeout,
            max_bytes=config.max_bytes,
            max_redirects=config.max_redirects,
            concurrency=config.concurrency_limit(),
            per_host=config.per_host,
            host_spacing=config.host_spacing,
        )


@dataclass(slots=True)
class _Host:
    """One host's politeness: its requests in flight, when the next may start, and the pause it asked for."""

    slots: asyncio.Semaphore  # ``per_host`` requests in flight
    starting: asyncio.Lock = field(default_factory=asyncio.Lock)  # one request at a time waits for its start
    next_start: float = 0.0  # monotonic: ``host_spacing`` after the last start
    paused_until: float = 0.0  # monotonic: a 429/503's Retry-After


@dataclass(slots=True)
class _Progress:
    """How far a request got, for the message when it times out."""

    answered: bool = False
    received: int = 0  # body bytes, as they came over the wire


class Fetcher:
    """Use as ``async with Fetcher(settings) as fetcher: await fetcher.get(url)``."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self.stats = FetchStats()
        self._clients: dict[tuple[str | None, str], httpx.AsyncClient] = {}  # oldest use first
        self._busy: dict[tuple[str | None, str], int] = defaultdict(int)
        self._max_clients = max(64, 2 * settings.concurrency)
        self._ssl: ssl.SSLContext | None = None  # see ``_tls``
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, _Host] = defaultdict(lambda: _Host(asyncio.Semaphore(settings.per_host)))

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for i, client in enumerate(clients, 1):
            await client.aclose()  # rarely suspends: a thousand closes would hold the loop ~70 ms
            if i % 50 == 0:
                await asyncio.sleep(0)

    def _tls(self) -> ssl.SSLContext:
        """One TLS context for every client, built at the first https request or proxy: loading the CA bundle
        takes ~55 ms, which a cycle of plain-http sources need not pay. httpx's: certifi's bundle, or the one
        ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` names (a private CA, an inspecting proxy)."""
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()
        return self._ssl

    def _client(self, proxy: str | None, host: str) -> httpx.AsyncClient:
        key = (proxy, host)
        client = self._clients.pop(key, None)
        if client is None:
            s = self.settings
            client = httpx.AsyncClient(
                proxy=proxy,
                transport=None if proxy else AiohttpTransport(self._tls, s.per_host + 2),
                verify=self._tls() if proxy else True,  # True: unused, the transport asks ``_tls`` itself
                follow_redirects=True,
                max_redirects=s.max_redirects,
                timeout=httpx.Timeout(s.timeout, connect=s.connect_timeout),
                limits=httpx.Limits(max_connections=s.per_host + 2, max_keepalive_connections=s.per_host),
                headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate, br"},
                trust_env=False,  # a proxy is chosen per source in the config, never by accident
            )
        self._clients[key] = client  # (re)inserted last: the most recently used
        return client

    async def _trim(self) -> None:
        """Close the least recently used idle clients beyond the cap."""
        while len(self._clients) > self._max_clients:
            key = next((k for k in self._clients if not self._busy[k]), None)
            if key is None:
                return
            await self._clients.pop(key).aclose()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        proxy: str | None = None,
        accept: str = "*/*",
        slot: asyncio.Semaphore | None = None,
    ) -> Response:
        """GET ``url``; raises NotModified on 304 and FetchError on anything that is not a usable body.

        ``slot``: a semaphore of the caller's, taken once the host has a request free for this one (not
        before: taken first, it would sit idle behind the host's ``per_host`` limit). The caller holds it when
        ``get`` returns, and releases it; when ``get`` raises, it is released here."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = urlsplit(url).hostname or ""
        gate = self._hosts[host]
        taken = False
        try:
            async with gate.slots:
                if slot is not None:
                    await slot.acquire()
                    taken = True
                await self._turn(gate, url)
                try:
                    response = await self._send(url, headers, proxy, host)
                finally:
                    self._global.release()
            if response.retry_after:  # no request to this host before then (capped at a day)
                gate.paused_until = max(gate.paused_until, time.monotonic() + min(response.retry_after, 86400.0))
            return self._checked(response, url)
        except BaseException:
            if taken:
                slot.release()
            raise

    async def _turn(self, gate: _Host, url: str) -> None:
        """Wait for the host's next start (``host_spacing`` after its last one, and the end of a pause it asked
        for), then take a global slot. The next request to the host waits behind this one until then, so two
        starts are never closer than the spacing, however long the global limit held this one; and waiting for
        a host holds no global slot that requests to other hosts need.

        A pause longer than a request may take (``timeout``) is not waited out: the request fails at once with
        what is left of it as its ``retry_after``, so the source's next poll waits for it instead."""
        async with gate.starting:
            while True:
                now = time.monotonic()
                paused = gate.paused_until - now
                if paused > self.settings.timeout:
                    raise FetchError(f"not requested: the host asked for a pause (Retry-After), {paused:.0f} s left",
                                     url, retry_after=paused, kind="http_4xx")  # fmt: skip
                wait = max(gate.next_start, gate.paused_until) - now
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            await self._global.acquire()
            gate.next_start = time.monotonic() + self.settings.host_spacing

    async def _send(self, url: str, headers: dict[str, str], proxy: str | None, host: str) -> Response:
        """One request within the total timeout, every failure translated into a one-line FetchError."""
        started = time.monotonic()
        self.stats.requests += 1
        progress = _Progress()
        try:
            async with asyncio.timeout(self.settings.timeout):
                response = await self._request(url, headers, proxy, host, progress)
        except TimeoutError:
            self.stats.failed += 1
            doing = (f"reading the body ({progress.received} bytes received)" if progress.answered
                     else "waiting for the server's answer")  # fmt: skip
            raise FetchError(f"timed out after {self.settings.timeout:g}s {doing}", url, kind="timeout") from None
        except httpx.TooManyRedirects:
            self.stats.failed += 1
            raise FetchError(f"more than {self.settings.max_redirects} redirects", url) from None
        except httpx.TimeoutException as exc:
            self.stats.failed += 1
            raise FetchError(f"timed out ({type(exc).__name__})", url, kind="timeout") from exc
        except httpx.HTTPError as exc:
            self.stats.failed += 1
            message, kind = _describe(exc)
            raise FetchError(message, url, kind=kind) from exc
        response.elapsed = time.monotonic() - started
        return response

    def _checked(self, response: Response, url: str) -> Response:
        self.stats.by_status[response.status] += 1
        self.stats.bytes += len(response.content)
        if response.status == 304:
            self.stats.not_modified += 1
            raise NotModified("not modified", url, fresh_for=response.fresh_for)
        if response.status >= 400:
            self.stats.failed += 1
            wait = f" (Retry-After {response.retry_after:g} s)" if response.retry_after else ""
            raise FetchError(f"HTTP {response.status} {_reason(response.status)}".rstrip() + wait, url,
                             retry_after=response.retry_after, status=response.status)  # fmt: skip
        return response

    async def _request(
        self, url: str, headers: dict[str, str], proxy: str | None, host: str, progress: _Progress
    ) -> Response:
        key = (proxy, host)
        client = self._client(proxy, host)
        self._busy[key] += 1
        try:
            return await self._read(client, url, headers, progress)
        finally:
            self._busy[key] -= 1
            await self._trim()

    async def _read(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str], progress: _Progress
    ) -> Response:
        limit = self.settings.max_bytes
        async with client.stream("GET", url, headers=headers) as r:
            progress.answered = True
            chunks: list[bytes] = []
            size, truncated = 0, False
            if r.status_code < 300:
                decoder = _Decoder(r.headers.get("content-encoding", ""), r.request)
                async for raw in r.aiter_raw():  # decoded here, never more than the cap allows
                    progress.received += len(raw)
                    chunk = decoder.decode(raw, limit + 1 - size)
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > limit:
                        truncated = True
                        break
                else:
                    chunks.append(decoder.flush())
            content = b"".join(chunks)[:limit]
            content_type = r.headers.get("content-type", "")
            return Response(
                url=str(r.url),
                status=r.status_code,
                content=content,
                content_type=content_type.split(";")[0].strip().lower(),
                charset=r.charset_encoding,
                etag=r.headers.get("etag"),
                last_modified=r.headers.get("last-modified"),
                truncated=truncated,
                encoding=r.headers.get("content-encoding", "").strip().lower(),
                retry_after=retry_after(r.headers.get("retry-after")) if r.status_code in (429, 503) else None,
                fresh_for=fresh_for(r.headers.get("cache-control"), r.headers.get("expires"), r.headers.get("date")),
            )


class _Decoder:
    """Undoes a Content-Encoding (gzip, deflate, br) without ever returning more than asked for: a MB of gzip
    can stand for a GB, a few KB of brotli for many (a decompression bomb), and httpx's own decoders return all
    that a chunk stands for at once, before any size cap can look (1,617 bytes of brotli became 1 GiB in
    memory). Errors are httpx's ``DecodingError``, which the fetcher translates with the others."""

    def __init__(self, header: str, request: httpx.Request) -> None:
        self._request = request
        codings = [c for c in (part.strip().lower() for part in header.split(",")) if c and c != "identity"]
        self._coding = codings[0] if codings else ""
        self._first = True
        self._errors: tuple[type[Exception], ...] = (zlib.error,)
        if len(codings) > 1:
            raise httpx.DecodingError(f"more than one Content-Encoding ({header})", request=request)
        if self._coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif self._coding == "deflate":
            self._zlib = zlib.decompressobj()  # the zlib format; raw deflate if the first chunk is not
        elif self._coding == "br":
            import brotli  # httpx[brotli]

            self._brotli = brotli.Decompressor()
            self._errors = (brotli.error,)
        elif self._coding:
            raise httpx.DecodingError(f"unsupported Content-Encoding {header}", request=request)

    def decode(self, data: bytes, room: int) -> bytes:
        """At most ``room`` (> 0) bytes decoded from ``data``; once it returned ``room``, read no further."""
        if not self._coding:
            return data[:room]
        try:
            return self._unbrotli(data, room) if self._coding == "br" else self._inflate(data, room)
        except self._errors as exc:
            raise httpx.DecodingError(f"{self._coding}: {exc}", request=self._request) from exc

    def _unbrotli(self, data: bytes, room: int) -> bytes:
        out = self._brotli.process(data, output_buffer_limit=room)
        while len(out) < room and not self._brotli.can_accept_more_data():  # output it held back
            more = self._brotli.process(b"", output_buffer_limit=room - len(out))
            if not more:
                break
            out += more
        return out[:room]

    def _inflate(self, data: bytes, room: int) -> bytes:
        first, self._first = self._first, False
        try:
            return self._zlib.decompress(data, room)
        except zlib.error:
            if not (first and self._coding == "deflate"):
                raise
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send it
            return self._zlib.decompress(data, room)

    def flush(self) -> bytes:
        """The end of the body: what the decompressor still holds (never much: it was given room enough)."""
        if self._coding in ("gzip", "x-gzip", "deflate"):
            try:
                return self._zlib.flush()
            except zlib.error as exc:
                raise httpx.DecodingError(f"{self._coding}: {exc}", request=self._request) from exc
        return b""


def fresh_for(cache_control: str | None, expires: str | None, date: str | None) -> float | None:
    """How long the response stays fresh (RFC 9111 4.2.1): ``max-age``, else ``Expires`` minus ``Date`` (or
    now); None when the server says nothing, or ``no-cache``/``no-store`` (it wants to be asked every time)."""
    directives = {}
    for part in (cache_control or "").lower().split(","):
        name, _, value = part.strip().partition("=")
        directives[name] = value.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        return None
    if directives.get("max-age", "").isdigit():
        return float(directives["max-age"])
    if not expires:
        return None
    from email.utils import parsedate_to_datetime

    try:
        until = parsedate_to_datetime(expires)
        since = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        return None  # "Expires: 0" and other invalid dates mean already stale
    if until.tzinfo is None or (since is not None and since.tzinfo is None):
        return None
    from datetime import UTC, datetime

    return max(0.0, (until - (since or datetime.now(UTC))).total_seconds())


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date (RFC 9110 10.2.3); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import UTC, datetime

    seconds = (when - datetime.now(UTC)).total_seconds() if when.tzinfo else None
    return max(0.0, seconds) if seconds is not None else None


def _reason(status: int) -> str:
    try:
        from http import HTTPStatus

        return HTTPStatus(status).phrase
    except ValueError:
        return ""


_LABELS = (  # most specific first: (class, how the message begins, FetchError.kind)
    (TLSError, "cannot connect", "tls"),
    (httpx.ConnectError, "cannot connect", "connection"),
    (httpx.RemoteProtocolError, "the server broke the HTTP protocol", "connection"),
    (httpx.ProxyError, "proxy failed", "connection"),
    (httpx.UnsupportedProtocol, "unsupported URL", "other"),
    (httpx.DecodingError, "cannot decode the body", "other"),
    (httpx.ReadError, "connection lost while reading", "connection"),
)


def _describe(exc: httpx.HTTPError) -> tuple[str, str]:
    """One line, without the long chains httpx and httpcore build, and the error's kind."""
    if isinstance(exc, NameResolutionError):
        return f"cannot resolve the host name {exc.request.url.host} (DNS failed; offline?)", "dns"
    for cls, label, kind in _LABELS:
        if isinstance(exc, cls):
            detail = str(exc).splitlines()[0] if str(exc) else ""
            return (f"{label}: {detail}" if detail else label), kind
    return f"{type(exc).__name__}: {exc}".splitlines()[0], "other"
