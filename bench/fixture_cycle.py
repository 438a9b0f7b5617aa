"""Two `wirewatch check` cycles over the test fixture sites (tests/data/sites) on loopback.

Run: .venv/bin/python bench/fixture_cycle.py
Prints each cycle's wall time, requests, 304 share of the source requests and new alerts.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

import yaml
from common import ROOT

from bot.cli import main
from bot.demo.server import SiteServer

SOURCES = [
    ("/euphrates/feed.xml", "feed"), ("/euphrates/", "page"), ("/tracking/feed.xml", "feed"),
    ("/alforat/feed.xml", "feed"), ("/atom/feed.atom", "feed"), ("/legacy/", "page"), ("/plain/", "page"),
]  # fmt: skip
KEYWORDS = [
    {"name": "Deir ez-Zor", "terms": ["Deir ez-Zor", "دير الزور"]},
    {"name": "Hezbollah", "terms": ["Hezbollah", "حزب الله"]},
    {"name": "Nujaba", "terms": ["Nujaba", "النجباء"]},
]


def main_bench() -> None:
    with SiteServer(ROOT / "tests" / "data" / "sites") as server, tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "w.yaml"
        sources = [{"name": p, "url": server.url(p), "type": t} for p, t in SOURCES]
        config.write_text(yaml.safe_dump({"database": "w.db", "sources": sources, "keywords": KEYWORDS}))
        source_paths = {p for p, _ in SOURCES}
        print(f"{'cycle':8} {'wall s':>7} {'requests':>9} {'source 304 share':>17} {'alerts':>7}")
        for cycle in ("first", "second"):
            server.reset_counts()
            out = io.StringIO()
            started = time.perf_counter()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                main(["check", "--config", str(config), "--json"])
            wall = time.perf_counter() - started
            on_sources = [s for p, s in server.statuses if p in source_paths]
            share = sum(s == 304 for s in on_sources) / len(on_sources)
            alerts = [json.loads(line) for line in out.getvalue().splitlines()]
            print(f"{cycle:8} {wall:7.3f} {len(server.statuses):9d} {share:17.0%} {len(alerts):7d}")


if __name__ == "__main__":
    main_bench()
