"""The HTTP client against a real loopback server: caps, timeouts, redirects, 304s, limits."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.demo.server import SiteServer
from bot.errors import FetchError, NotModified
from bot.fetch import Fetcher, FetchSettings
from tests.utils import QuietHTTPServer, bomb


@pytest.fixture
def server(tmp_path):
    (tmp_path / "feed.xml").write_text("<rss><channel><title>t</title></channel></rss>", encoding="utf-8")
    routes = {
        "/500.xml": {"status": 500},
        "/slow.xml": {"delay": 2, "file": "feed.xml"},
        "/slowish.xml": {"delay": 0.3, "file": "feed.xml"},
        "/huge.xml": {"body_size": 3_000_000},
        "/loop": {"status": 302, "headers": {"Location": "/loop"}},
        "/moved": {"status": 301, "headers": {"Location": "/feed.xml"}},
        "/gz.xml": {"file": "feed.xml", "encoding": "gzip"},
        "/busy.xml": {"status": 429, "headers": {"Retry-After": "1"}},
        "/away.xml": {"status": 503, "headers": {"Retry-After": "120"}},
    }
    (tmp_path / "_routes.json").write_text(json.dumps(routes), encoding="utf-8")
    with SiteServer(tmp_path) as srv:
        yield srv


def fetch(url: str, **settings):
    async def go():
        async with Fetcher(FetchSettings(**settings)) as fetcher:
            return await fetcher.get(url)

    return asyncio.run(go())


def test_ok_and_conditional_get(server):
    async def go():
        async with Fetcher(FetchSettings()) as fetcher:
            first = await fetcher.get(server.url("/feed.xml"))
            with pytest.raises(NotModified):
                await fetcher.get(server.url("/feed.xml"), etag=first.etag)
            with pytest.raises(NotModified):
                await fetcher.get(server.url("/feed.xml"), last_modified=first.last_modified)
            return first, fetcher.stats

    first, stats = asyncio.run(go())
    assert first.status == 200 and b"<rss>" in first.content
    assert first.etag and first.last_modified
    assert stats.requests == 3 and stats.not_modified == 2
    assert server.conditional["/feed.xml"] == 2


def test_user_agent_is_sent(server):
    server.reset_counts()
    fetch(server.url("/feed.xml"), user_agent="wirewatch-test/9")
    assert server.user_agents == {"wirewatch-test/9": 1}


def test_http_error_is_one_line_and_carries_its_status(server):
    with pytest.raises(FetchError, match=r"^HTTP 500 Internal Server Error$") as caught:
        fetch(server.url("/500.xml"))
    assert (caught.value.status, caught.value.kind) == (500, "http_5xx")


def test_missing_page(server):
    with pytest.raises(FetchError, match=r"^HTTP 404 Not Found$") as caught:
        fetch(server.url("/nothing-here.xml"))
    assert (caught.value.status, caught.value.kind) == (404, "http_4xx")


def test_total_timeout(server):
    with pytest.raises(FetchError, match=r"^timed out after 0.5s waiting for the server's answer$") as caught:
        fetch(server.url("/slow.xml"), timeout=0.5)
    assert (caught.value.status, caught.value.kind) == (None, "timeout")


def test_body_over_cap_is_cut_and_reported(server):
    response = fetch(server.url("/huge.xml"), max_bytes=100_000)
    assert response.truncated
    assert len(response.content) == 100_000


def test_cut_body_does_not_spoil_the_next_request_to_the_host(server):
    """The connection a cut body leaves half read must be closed, not handed to the next request."""

    async def go():
        async with Fetcher(FetchSettings(max_bytes=100_000, per_host=1)) as fetcher:
            first = await fetcher.get(server.url("/huge.xml"))
            return first, await fetcher.get(server.url("/feed.xml"))

    first, second = asyncio.run(go())
    assert first.truncated
    assert second.status == 200 and second.content.startswith(b"<rss><channel>") and not second.truncated


def test_redirect_loop(server):
    with pytest.raises(FetchError, match=r"more than 3 redirects") as caught:
        fetch(server.url("/loop"), max_redirects=3)
    assert caught.value.kind == "other"


def test_redirect_followed_and_final_url_kept(server):
    response = fetch(server.url("/moved"))
    assert response.url == server.url("/feed.xml")


def test_connection_refused():
    with pytest.raises(FetchError, match=r"^cannot connect: connection refused by 127\.0\.0\.1:9$") as caught:
        fetch("http://127.0.0.1:9/feed.xml", timeout=2)
    assert (caught.value.status, caught.value.kind) == (None, "connection")


def test_per_host_limit(server):
    async def go():
        async with Fetcher(FetchSettings(per_host=2, concurrency=10, host_spacing=0)) as fetcher:
            await asyncio.gather(*(fetcher.get(server.url("/slowish.xml")) for _ in range(6)))

    server.reset_counts()
    asyncio.run(go())
    assert server.hits["/slowish.xml"] == 6
    assert server.peak_inflight == 2


def test_a_callers_slot_is_taken_only_when_the_host_is_free_and_kept_by_the_caller(server):
    """``get(slot=...)``: a request waiting for its host (``per_host``) holds none of the caller's slots, so
    they go to requests that can start; on return the caller holds it, on failure it is given back."""

    async def go():
        slot = asyncio.Semaphore(2)
        async with Fetcher(FetchSettings(per_host=1, host_spacing=0)) as fetcher:
            first = asyncio.ensure_future(fetcher.get(server.url("/slowish.xml"), slot=slot))
            second = asyncio.ensure_future(fetcher.get(server.url("/slowish.xml"), slot=slot))
            await asyncio.sleep(0.1)  # the first is in flight (0.3 s), the second waits for the host
            waiting_holds_none = not second.done() and not slot.locked()
            await asyncio.gather(first, second)
            held_on_return = slot.locked()
            slot.release()
            slot.release()
            with pytest.raises(FetchError):
                await fetcher.get("http://127.0.0.1:9/feed.xml", slot=slot)
            return waiting_holds_none, held_on_return, slot.locked()

    waiting_holds_none, held_on_return, locked_after_failure = asyncio.run(go())
    assert waiting_holds_none and held_on_return and not locked_after_failure


def test_gzip_body_is_decoded(server):
    response = fetch(server.url("/gz.xml"))
    assert response.content.startswith(b"<rss><channel>")


def test_requests_to_one_host_start_the_default_spacing_apart(server):
    """Six requests at once to one host reach it one by one: with the default per_host (2) alone the server
    would see them in pairs. Bounds are lower ones, with room for the server thread's own lateness: the gaps
    at least a quarter of the spacing (pairs would be ~0 apart), all six at least five spacings less half of one."""
    from itertools import pairwise

    from bot.config import Config

    settings = FetchSettings()
    spacing = settings.host_spacing
    assert spacing == Config.model_fields["host_spacing"].default > 0

    async def go():
        async with Fetcher(settings) as fetcher:
            await asyncio.gather(*(fetcher.get(server.url(f"/feed.xml?n={i}")) for i in range(6)))

    server.reset_counts()
    asyncio.run(go())
    times = sorted(t for t, path in server.arrivals)
    assert len(times) == 6
    gaps = [b - a for a, b in pairwise(times)]
    assert min(gaps) >= spacing / 4, gaps
    assert times[-1] - times[0] >= 5 * spacing - spacing / 2, gaps


def test_a_sites_retry_after_holds_back_every_request_to_that_host(server):
    """A 429 with Retry-After: 1 on one URL: the host's next request, to another URL, starts a second later
    at the earliest (the server saw the first before it answered, so the bound is exact)."""

    async def go():
        async with Fetcher(FetchSettings(host_spacing=0)) as fetcher:
            with pytest.raises(FetchError, match=r"^HTTP 429 Too Many Requests \(Retry-After 1 s\)$"):
                await fetcher.get(server.url("/busy.xml"))
            await fetcher.get(server.url("/feed.xml"))

    server.reset_counts()
    asyncio.run(go())
    (busy, first), (later, second) = sorted(server.arrivals)
    assert (first, second) == ("/busy.xml", "/feed.xml")
    assert later - busy >= 1.0


def test_a_long_retry_after_fails_the_hosts_next_request_without_asking(server):
    """Longer than a request may take: not waited out but reported at once, with what is left of the pause
    as the retry_after the scheduler waits for."""

    async def go():
        async with Fetcher(FetchSettings(host_spacing=0, timeout=5)) as fetcher:
            with pytest.raises(FetchError, match=r"^HTTP 503 Service Unavailable \(Retry-After 120 s\)$"):
                await fetcher.get(server.url("/away.xml"))
            with pytest.raises(FetchError) as caught:
                await fetcher.get(server.url("/feed.xml"))
            return caught.value

    server.reset_counts()
    error = asyncio.run(go())
    assert str(error).startswith("not requested: the host asked for a pause (Retry-After), ") and "s left" in str(error)
    assert 100 < error.retry_after <= 120
    assert [path for _, path in server.arrivals] == ["/away.xml"]


@pytest.fixture
def bomb_server():
    import contextlib
    import threading
    from http.server import BaseHTTPRequestHandler

    bodies = {"/gzip": (bomb("gzip"), "gzip"), "/br": (bomb("br"), "br"), "/zstd": (b"x" * 100, "zstd")}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body, coding = bodies[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Encoding", coding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client stopped reading at its cap
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    with QuietHTTPServer(("127.0.0.1", 0), Handler) as srv:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{srv.server_address[1]}"
        srv.shutdown()


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_the_cap_is_on_decoded_bytes_and_a_bomb_is_never_decoded_whole(bomb_server, coding):
    """A GiB of zeros in ~1 MB of gzip or ~0.2 MB of brotli: cut at the cap, and the memory the fetch takes
    stays near the cap (tracemalloc sees every bytes object the decoders make; httpx's own decoders turned a
    chunk of brotli into the whole GiB at once)."""
    import tracemalloc

    tracemalloc.start()
    try:
        response = fetch(f"{bomb_server}/{coding}", max_bytes=1_000_000, host_spacing=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.truncated and response.content == bytes(1_000_000)
    assert peak < 30_000_000, f"{peak / 1e6:.0f} MB to read a 1 MB cap"


def test_an_unknown_content_encoding_is_one_clear_line(bomb_server):
    with pytest.raises(FetchError, match=r"^cannot decode the body: unsupported Content-Encoding zstd$"):
        fetch(f"{bomb_server}/zstd", host_spacing=0)


def test_dead_proxy_is_one_clear_line(server):
    async def go():
        async with Fetcher(FetchSettings(timeout=3)) as fetcher:
            await fetcher.get(server.url("/feed.xml"), proxy="socks5://127.0.0.1:9")

    with pytest.raises(FetchError) as caught:
        asyncio.run(go())
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(("cannot connect", "proxy failed"))


# A server that breaks HTTP the ways real sites do: raw bytes on a socket, per path.
_RAW = {
    "/cut": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n<rss>only part",  # then hangs up
    "/garbage": b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
    "/nothing": b"",  # accepts, reads the request, closes without a byte
    "/ok-then-close": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n<rss>",  # closes a keep-alive connection
    "/http10": b"HTTP/1.0 200 Fine\r\nContent-Length: 5\r\n\r\n<rss>",
}


@pytest.fixture
def raw_server():
    import socketserver
    import threading

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = self.request.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ", 2)[1].decode()
            self.server.seen.append(path)
            self.request.sendall(_RAW[path])

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler) as srv:
        srv.daemon_threads = True
        srv.seen = []
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        yield srv
        srv.shutdown()


def _raw_url(srv, path):
    return f"http://127.0.0.1:{srv.server_address[1]}{path}"


@pytest.mark.parametrize("path", ["/cut", "/garbage", "/nothing"])
def test_broken_http_is_one_clear_line(raw_server, path):
    with pytest.raises(FetchError) as caught:
        fetch(_raw_url(raw_server, path), timeout=5)
    message = str(caught.value)
    assert "\n" not in message
    assert "the server broke the HTTP protocol" in message
    assert caught.value.url == _raw_url(raw_server, path)


def test_server_closing_kept_alive_connection_is_not_an_error(raw_server):
    """A server that hangs up after each response without saying so: the next request opens a new connection."""

    async def go():
        async with Fetcher(FetchSettings(timeout=5)) as fetcher:
            return [await fetcher.get(_raw_url(raw_server, "/ok-then-close")) for _ in range(3)]

    responses = asyncio.run(go())
    assert [r.content for r in responses] == [b"<rss>"] * 3
    assert raw_server.seen == ["/ok-then-close"] * 3


def test_unknown_host_names_dns():
    with pytest.raises(FetchError, match=r"^cannot resolve the host name no-such-host\.invalid") as caught:
        fetch("http://no-such-host.invalid/feed.xml", timeout=5)
    assert caught.value.kind == "dns"


def test_transport_refuses_a_request_body_instead_of_dropping_it(server):
    """The fetcher only GETs; a POST through its transport must fail loudly, never go out without its body."""
    import httpx

    from bot.transport import AiohttpTransport

    async def go():
        async with httpx.AsyncClient(transport=AiohttpTransport(httpx.create_ssl_context, 2)) as client:
            with pytest.raises(httpx.UnsupportedProtocol, match="GET and HEAD only"):
                await client.post(server.url("/feed.xml"), content=b"x")
            response = await client.get(server.url("/feed.xml"))
            return response.status_code, response.http_version

    assert asyncio.run(go()) == (200, "HTTP/1.1")


def test_transport_reports_the_servers_http_version_and_reason(raw_server):
    import httpx

    from bot.transport import AiohttpTransport

    async def go():
        async with httpx.AsyncClient(transport=AiohttpTransport(httpx.create_ssl_context, 2)) as client:
            return await client.get(_raw_url(raw_server, "/http10"))

    response = asyncio.run(go())
    assert (response.http_version, response.reason_phrase, response.content) == ("HTTP/1.0", "Fine", b"<rss>")


# TLS: a loopback HTTPS server with a certificate from a throwaway CA (trustme).
@pytest.fixture
def tls_server(tmp_path):
    import http.server
    import ssl
    import threading

    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<rss><channel><title>tls</title></channel></rss>"
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler) as srv:
        srv.socket = context.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        yield f"https://127.0.0.1:{srv.server_address[1]}/feed.xml", tmp_path / "ca.pem"
        srv.shutdown()


def test_https_certificate_is_checked(tls_server, monkeypatch):
    """A certificate no trusted CA signed is refused, in one line that says so."""
    url, _ = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(FetchError) as caught:
        fetch(url, timeout=5)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("cannot connect") and "certificate verify failed" in message
    assert caught.value.kind == "tls"


def test_https_with_a_private_ca_from_ssl_cert_file(tls_server, monkeypatch):
    """SSL_CERT_FILE names the CA bundle (a private CA, an inspecting proxy), and the body comes over TLS."""
    url, ca = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    response = fetch(url, timeout=5)
    assert response.status == 200 and response.content.startswith(b"<rss><channel><title>tls")
