"""httpx's API over aiohttp's wire: the fetcher keeps httpx (redirects, decoding, charset, proxies, one error
model) and sends the bytes with aiohttp, whose C parser costs ~0.80 ms of CPU a request (one session a host,
as the fetcher uses it) against ~1.15 ms for httpcore + h11 (bench/README.md). At 1,000 sources a cycle that
is a third of a second of the one core the event loop has.

Only what the fetcher sends goes through here: GETs without a body, one host per transport. httpx-aiohttp does
the same in general, but streams an empty body as a chunked upload after a redirect and reports a server
that hangs up as a connect timeout, so the few lines are ours, with aiohttp's errors mapped one by one.
"""

from __future__ import annotations

import errno
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

import aiohttp
import httpx


class NameResolutionError(httpx.ConnectError):
    """The host name did not resolve (httpx has no class of its own for it; aiohttp does)."""


class TLSError(httpx.ConnectError):
    """The TLS handshake failed: an untrusted or expired certificate, a protocol mismatch."""


# Most specific first: the first match wins.
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorDNSError, NameResolutionError),
    (aiohttp.ClientSSLError, TLSError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, unreachable
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),  # a body cut short or mis-framed
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # a status line or header aiohttp cannot parse
    (aiohttp.ClientOSError, httpx.ReadError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol),
    (aiohttp.ClientError, httpx.TransportError),
)


@contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except aiohttp.ClientError as exc:
        kind = next(to for cls, to in _ERRORS if isinstance(exc, cls))
        raise kind(_message(exc), request=request) from exc


def _message(exc: aiohttp.ClientError) -> str:
    """One line: aiohttp's parser errors (a bad status line, a body cut short) carry theirs as ``message``
    on the cause, spread over lines with a caret under the offending byte."""
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "Server disconnected without sending a complete response."
    refused = getattr(getattr(exc, "os_error", None), "errno", None) == errno.ECONNREFUSED
    if isinstance(exc, aiohttp.ClientConnectorError) and refused:
        return f"connection refused by {exc.host}:{exc.port}"
    text = getattr(exc.__cause__, "message", None) or getattr(exc, "message", None) or str(exc)
    return " ".join(str(text).replace("^", "").split())[:200] or type(exc).__name__


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx(self._request):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        self._response.release()  # back to the pool when read to the end, closed otherwise


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp session (and its connection pool) per transport; httpx's client owns its lifetime."""

    def __init__(self, tls: Callable[[], ssl.SSLContext], max_connections: int) -> None:
        self._tls = tls  # called at each https request only (building a context loads the CA bundle)
        self._max = max_connections
        self._session: aiohttp.ClientSession | None = None  # built on first use, inside the running loop

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max, ttl_dns_cache=300),
                cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps the cookies
                trust_env=False,  # proxies are httpx's, chosen per source
                auto_decompress=False,  # httpx decodes
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in ("GET", "HEAD"):  # the body is never sent: fail loudly, not silently
            raise httpx.UnsupportedProtocol(
                f"{request.method}: this transport sends GET and HEAD only", request=request
            )
        timeout = request.extensions.get("timeout", {})
        with _as_httpx(request):
            response = await self._open().request(
                request.method,
                str(request.url),
                headers=list(request.headers.multi_items()),
                allow_redirects=False,  # httpx follows them, counting and checking each hop
                ssl=self._tls() if request.url.scheme == "https" else True,  # True: aiohttp's default, unused
                timeout=aiohttp.ClientTimeout(sock_connect=timeout.get("connect"), sock_read=timeout.get("read")),
            )
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_Body(response, request),
            request=request,
            extensions={
                "http_version": f"HTTP/{response.version.major}.{response.version.minor}".encode(),
                "reason_phrase": (response.reason or "").encode(),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
