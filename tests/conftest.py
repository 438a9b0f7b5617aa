"""Shared fixtures: real HTTP servers on loopback and configs written to temporary folders (helpers that tests
import live in tests/utils.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.demo.server import SiteServer
from tests.story_web import OUTLETS, render
from tests.utils import DATA, KEYWORDS


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


@pytest.fixture
def outlets(tmp_path):
    """(publish, config): publish(keys) puts those articles online; config lists every outlet as a source."""
    root = tmp_path / "web"
    root.mkdir()
    with SiteServer(root) as server:

        def sources(order: list[str]) -> list[dict]:
            result = []
            for outlet in order:
                spec = OUTLETS[outlet]
                if spec["index"] == "feed":
                    result.append({"name": spec["name"], "url": server.url(f"/{outlet}/feed.xml")})
                else:
                    result.append({"name": spec["name"], "url": server.url(f"/{outlet}/"), "type": "page"})
            return result

        yield (lambda keys: render(root, set(keys))), sources
