"""``wirewatch demo``: the real pipeline against bundled sample sites served on loopback.

Nothing is mocked: a real HTTP server serves an English RSS feed and an Arabic listing page with their
article pages; wirewatch fetches, extracts, matches and stores them like any other source, in a throwaway
database. It works offline, so a new user sees real alerts within seconds.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bot.check import run_check_with
from bot.config import Config, Keyword, Source
from bot.demo.server import SiteServer

SITES = Path(__file__).parent / "sites"

KEYWORDS = [
    Keyword(name="Deir ez-Zor", terms=["Deir ez-Zor", "دير الزور"]),
    Keyword(name="Hezbollah", terms=["Hezbollah", "حزب الله"]),
    Keyword(name="Nujaba", terms=["Nujaba", "النجباء"]),
]


def demo_config(server: SiteServer, database: Path) -> Config:
    return Config(
        database=database,
        sources=[
            Source(name="East Syria Monitor", url=server.url("/eastsyria/feed.xml"), type="feed"),
            Source(name="Al-Khabar (Arabic)", url=server.url("/alkhabar/"), type="page"),
        ],
        keywords=KEYWORDS,
        per_host=4,
        host_spacing=0,  # both sample sites are our own server on loopback
    )


def run_demo(as_json: bool = False) -> int:
    with tempfile.TemporaryDirectory(prefix="wirewatch-demo-") as folder, SiteServer(SITES) as server:
        config = demo_config(server, Path(folder) / "demo.db")
        if not as_json:
            print(f"wirewatch demo: serving 2 sample news sites at {server.base}", file=sys.stderr)
            for source in config.sources:
                print(f"  {source.type:4}  {source.name}: {source.url}", file=sys.stderr)
            print("  keywords: " + ", ".join(k.name for k in KEYWORDS), file=sys.stderr)
        run_check_with(config, as_json=as_json)
        if not as_json:
            print(
                "\nThat was one real cycle: fetch, extract the article text, match, store, alert. "
                "Run it on your own sources with:\n  wirewatch check --config config/wirewatch.yaml",
                file=sys.stderr,
            )
    return 0
