"""Shared fixtures: real HTTP servers on loopback and configs written to temporary folders."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.demo.server import SiteServer

DATA = Path(__file__).parent / "data"
KEYWORDS = [
    {"name": "Deir ez-Zor", "terms": ["Deir ez-Zor", "دير الزور"]},
    {"name": "Hezbollah", "terms": ["Hezbollah", "حزب الله"]},
    {"name": "Nujaba", "terms": ["Nujaba", "النجباء"]},
]


@pytest.fixture(scope="session")
def synapse(tmp_path_factory):
    """A real Synapse on loopback for the test session (tests/synapse.py), with its users."""
    from tests.synapse import Synapse, SynapseUnavailable

    try:
        server = Synapse(tmp_path_factory.mktemp("synapse")).start()
    except SynapseUnavailable as exc:
        pytest.fail(f"Matrix tests need a real Synapse: {exc}", pytrace=False)
    try:
        admin = server.register("admin", admin=True)
        server.accounts = {
            "admin": admin,
            "bot": server.register("wirewatch"),
            "slow": server.register("slowbot"),  # keeps Synapse's strict message rate limit
            "alice": server.register("alice"),
            "bob": server.register("bob"),
            "eve": server.register("eve"),
        }
        server.unlimited(admin["access_token"], server.accounts["bot"]["user_id"])
        server.unlimited(admin["access_token"], server.accounts["alice"]["user_id"])
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sites():
    """The fixture news web (tests/data/sites) on a real loopback server."""
    with SiteServer(DATA / "sites") as server:
        yield server


@pytest.fixture
def site(sites):
    sites.reset_counts()
    return sites


@pytest.fixture
def write_config(tmp_path):
    """write_config(sources, **top_level) -> path of a config file with the test keyword groups. Every "site" of
    the fixture web is on one host (127.0.0.1), so host_spacing is 0 unless a test sets it."""

    def write(sources: list[dict], **extra) -> Path:
        data = {"database": "wirewatch.db", "sources": sources, "keywords": KEYWORDS, "timeout": "3s",
                "host_spacing": 0, **extra}  # fmt: skip
        path = tmp_path / "wirewatch.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli(capsys):
    """cli("check", "--config", p) -> (exit code, stdout, stderr), running the real entry point in-process."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


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
