"""``wirewatch demo``: the real pipeline against bundled sample sites served on loopback.

Nothing is mocked: a real HTTP server serves an English RSS feed and an Arabic listing page with their
article pages; wirewatch fetches, extracts, matches and stores them like any other source. It works offline,
so a new user sees real alerts within seconds. The database and a config naming it are left in a folder
``wirewatch-demo`` of the system's temp folder (started afresh by each demo), so that ``recent``, ``search``
and ``story`` can be tried on what the demo stored.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

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


def demo_folder() -> Path:
    return Path(tempfile.gettempdir()) / "wirewatch-demo"


def _fresh(folder: Path) -> Path:
    """The demo's folder, its database of an earlier demo removed (each demo alerts afresh); its config file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("demo.db", "demo.db-wal", "demo.db-shm"):
        (folder / name).unlink(missing_ok=True)
    return folder / "wirewatch.yaml"


def _write_config(path: Path, config: Config) -> None:
    """The demo's config as a file: what recent, search and story need to find its database."""
    data = {
        "database": config.database_path.name,
        "sources": [{"name": s.name, "url": s.url, "type": s.type} for s in config.sources],
        "keywords": [{"name": k.name, "terms": list(k.terms)} for k in config.keywords],
    }
    header = "# Written by `wirewatch demo`: its sample sites are gone once it ends, its database stays.\n"
    path.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run_demo(as_json: bool = False) -> int:
    folder = demo_folder()
    config_file = _fresh(folder)
    with SiteServer(SITES) as server:
        config = demo_config(server, folder / "demo.db")
        _write_config(config_file, config)
        if not as_json:
            print(f"wirewatch demo: serving 2 sample news sites at {server.base}", file=sys.stderr)
            for source in config.sources:
                print(f"  {source.type:4}  {source.name}: {source.url}", file=sys.stderr)
            print("  keywords: " + ", ".join(k.name for k in KEYWORDS), file=sys.stderr)
        run_check_with(config, as_json=as_json)
    if not as_json:
        print(
            "\nThat was one real cycle: fetch, extract the article text, match, store, alert.\n"
            f"What it stored is in {config.database_path}, with a config naming it: try\n"
            f"  wirewatch recent --config {config_file}\n"
            f"  wirewatch search --config {config_file} Hezbollah\n"
            f"  wirewatch story --config {config_file} 1\n"
            "Run it on your own sources with:\n  wirewatch check --config config/wirewatch.yaml",
            file=sys.stderr,
        )
    return 0
