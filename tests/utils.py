"""Helpers the tests share: the fixture data, the test keyword groups, waiting, free ports, stopping a
process, decompression bombs. Fixtures stay in conftest.py; what a test imports lives here."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
KEYWORDS = [
    {"name": "Deir ez-Zor", "terms": ["Deir ez-Zor", "دير الزور"]},
    {"name": "Hezbollah", "terms": ["Hezbollah", "حزب الله"]},
    {"name": "Nujaba", "terms": ["Nujaba", "النجباء"]},
]


def wait_for(predicate, timeout: float = 30.0, what: str = "it"):
    """Poll ``predicate`` until it returns something true (and return that), or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def bomb(coding: str, gigabytes: int = 1) -> bytes:
    """Zeros that decode to ``gigabytes`` GiB: gzip as full-flushed 1 MiB blocks, each the same ~1 KB (the
    trailer is left out: nothing may read that far); brotli in one go (~0.2 MB a GiB at quality 1)."""
    import zlib

    import brotli

    mib = bytes(1 << 20)
    if coding == "br":
        compressor = brotli.Compressor(quality=1)
        return b"".join(compressor.process(mib) for _ in range(1024 * gigabytes)) + compressor.finish()
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    head = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head + block * (1024 * gigabytes - 1)


def free_port() -> int:
    """A port nothing listens on at the moment, on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, timeout: float = 20) -> str:
    """SIGTERM, then what the process wrote on stderr; killed if it ignores SIGTERM (never left running)."""
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


class QuietHTTPServer(ThreadingHTTPServer):
    """A test server that says nothing when a client hangs up (the fetcher closes a connection at its size cap,
    and the handler's next read on it is reset): socketserver would print that traceback to the real stderr,
    outside pytest's capture. Any other error in a handler is still printed."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
