"""The shared HTTP client and its politeness rules.

One small ``httpx.AsyncClient`` per host (and proxy): its connections are reused for every request to that
host, and its pool stays as small as the per-host limit (one client for 1,000 hosts spent most of a cycle's
CPU scanning httpcore's pool). Idle clients beyond a cap are closed, oldest first, so open sockets stay
bounded. The bytes go over aiohttp (bot/transport.py), except for proxied sources, which keep httpcore.

A global and a per-host limit of requests in flight, a total timeout on top of the connect/read timeouts, a
size cap that cuts a body instead of loading it whole, and conditional GET. httpx errors are translated here,
once, into ``FetchError``; a 304 becomes ``NotModified`` so that it costs no parsing.

httpx imports its command-line tool (click, rich, pygments) on ``import httpx``: ~45 ms of every start-up,
half of httpx's import (encode/httpx#3547, not merged). A ``None`` in ``sys.modules`` makes that one import
fail, which httpx handles by defining a stub ``httpx.main``; nothing else changes.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.errors import FetchError, NotModified

sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # see the docstring
import httpx  # noqa: E402

from bot.transport import AiohttpTransport  # noqa: E402


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
    elapsed: float = 0.0
    retry_after: float | None = None  # a 429/503's Retry-After, in seconds


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

    @classmethod
    def from_config(cls, config) -> FetchSettings:
        return cls(
            user_agent=config.user_agent,
            timeout=config.timeout,
            connect_timeout=config.connect_timeout,
            max_bytes=config.max_bytes,
            max_redirects=config.max_redirects,
            concurrency=config.concurrency,
            per_host=config.per_host,
        )


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
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(settings.per_host))

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
    ) -> Response:
        """GET ``url``; raises NotModified on 304 and FetchError on anything that is not a usable body."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = urlsplit(url).hostname or ""
        async with self._global, self._hosts[host]:
            started = time.monotonic()
            self.stats.requests += 1
            try:
                async with asyncio.timeout(self.settings.timeout):
                    response = await self._request(url, headers, proxy, host)
            except TimeoutError:
                self.stats.failed += 1
                raise FetchError(f"timed out after {self.settings.timeout:g}s", url) from None
            except httpx.TooManyRedirects:
                self.stats.failed += 1
                raise FetchError(f"more than {self.settings.max_redirects} redirects", url) from None
            except httpx.TimeoutException as exc:
                self.stats.failed += 1
                raise FetchError(f"timed out ({type(exc).__name__})", url) from exc
            except httpx.HTTPError as exc:
                self.stats.failed += 1
                raise FetchError(_describe(exc), url) from exc
            response.elapsed = time.monotonic() - started
        self.stats.by_status[response.status] += 1
        self.stats.bytes += len(response.content)
        if response.status == 304:
            self.stats.not_modified += 1
            raise NotModified("not modified", url)
        if response.status >= 400:
            self.stats.failed += 1
            wait = f" (Retry-After {response.retry_after:g} s)" if response.retry_after else ""
            raise FetchError(f"HTTP {response.status} {_reason(response.status)}".rstrip() + wait, url,
                             retry_after=response.retry_after)  # fmt: skip
        return response

    async def _request(self, url: str, headers: dict[str, str], proxy: str | None, host: str) -> Response:
        key = (proxy, host)
        client = self._client(proxy, host)
        self._busy[key] += 1
        try:
            return await self._read(client, url, headers)
        finally:
            self._busy[key] -= 1
            await self._trim()

    async def _read(self, client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Response:
        async with client.stream("GET", url, headers=headers) as r:
            chunks: list[bytes] = []
            size, truncated = 0, False
            if r.status_code < 300:
                async for chunk in r.aiter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.settings.max_bytes:
                        truncated = True
                        break
            content = b"".join(chunks)[: self.settings.max_bytes]
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
                retry_after=retry_after(r.headers.get("retry-after")) if r.status_code in (429, 503) else None,
            )


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


def _describe(exc: httpx.HTTPError) -> str:
    """One line, without the long chains httpx and httpcore build."""
    kind = {
        httpx.ConnectError: "cannot connect",
        httpx.RemoteProtocolError: "the server broke the HTTP protocol",
        httpx.ProxyError: "proxy failed",
        httpx.UnsupportedProtocol: "unsupported URL",
        httpx.DecodingError: "cannot decode the body",
        httpx.ReadError: "connection lost while reading",
    }
    text = str(exc)
    if isinstance(exc, httpx.ConnectError) and ("Name or service not known" in text or "name resolution" in text):
        return f"cannot resolve the host name {exc.request.url.host} (DNS failed; offline?)"
    for cls, label in kind.items():
        if isinstance(exc, cls):
            detail = str(exc).splitlines()[0] if str(exc) else ""
            return f"{label}: {detail}" if detail else label
    return f"{type(exc).__name__}: {exc}".splitlines()[0]
