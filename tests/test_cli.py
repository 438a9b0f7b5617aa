"""The CLI as a user runs it: the demo, `python -m bot`, `validate`, and `run` until SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.demo.run import SITES
from bot.store import Store

ROOT = Path(__file__).parents[1]


@pytest.fixture
def demo_tmp(tmp_path, monkeypatch):
    """The demo's folder under this test's own temp folder."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path / "wirewatch-demo"


def test_demo_alerts_from_bundled_sites(cli, demo_tmp):
    code, out, err = cli("demo", "--json")
    assert code == 0, err
    alerts = [json.loads(line) for line in out.splitlines()]
    assert len(alerts) == 5
    assert {a["source"] for a in alerts} == {"East Syria Monitor", "Al-Khabar (Arabic)"}
    assert {k for a in alerts for k in a["keywords"]} == {"Deir ez-Zor", "Hezbollah", "Nujaba"}


def test_the_demo_leaves_its_database_for_recent_search_and_story(cli, demo_tmp):
    code, _, err = cli("demo")
    assert code == 0, err
    config = demo_tmp / "wirewatch.yaml"
    assert f"recent --config {config}" in err and str(demo_tmp / "demo.db") in err
    code, out, err = cli("recent", "--config", config, "--json")
    stories = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(stories) == 5, err
    code, out, _ = cli("search", "--config", config, "--json", "Hezbollah")
    assert code == 0 and {k for row in map(json.loads, out.splitlines()) for k in row["keywords"]} >= {"Hezbollah"}
    code, out, _ = cli("story", "--config", config, "--json", stories[0]["story"])
    assert code == 0 and json.loads(out)["title"] == stories[0]["title"]
    code, out, _ = cli("demo", "--json")  # a second demo starts afresh: the same alerts again
    assert code == 0 and len(out.splitlines()) == 5


def test_demo_sites_are_packaged():
    assert (SITES / "eastsyria" / "feed.xml").is_file()
    assert (SITES / "alkhabar" / "index.html").is_file()


def test_python_m_bot_and_help_list_every_command():
    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    for command in ("check", "run", "sources", "recent", "search", "validate", "demo", "explain"):
        assert command in result.stdout


def test_readme_documents_every_command_and_config_key():
    """README.md is the front door (every command, at most 250 lines); docs/configuration.md has every key."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250, "README.md is the front door: the manual goes to docs/"
    from bot.cli import COMMANDS

    commands = tuple(COMMANDS)
    for command in commands:
        assert f"`{command}`" in readme, f"README.md does not name `{command}`"
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    from bot.config import Channel, Config, Keyword, MatrixConfig, SlackConfig, Source

    models = ((Config, ""), (Source, "sources[]."), (Keyword, "keywords[]."), (SlackConfig, "slack."),
              (MatrixConfig, "matrix."), (Channel, "channels[]."))  # fmt: skip
    for model, prefix in models:
        for key in model.model_fields:
            if key != "path":
                assert f"`{prefix}{key}`" in reference, f"{prefix}{key} is not in docs/configuration.md"


def _heading_anchors(markdown: str) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to hyphens."""
    import re

    anchors = set()
    for line in re.sub(r"```.*?```", "", markdown, flags=re.DOTALL).splitlines():
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if heading:
            anchors.add(re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-"))
    return anchors


def test_relative_links_in_the_docs_resolve():
    """Every relative link in README.md, CONTRIBUTING.md and docs/ names a file that exists (and a heading in
    it, when the link has #anchor)."""
    import re

    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    checked = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", re.sub(r"```.*?```", "", text, flags=re.DOTALL)):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, ...
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(ROOT)}: ({target})"
            assert linked.exists(), f"{where} points at a file that does not exist"
            if anchor and linked.suffix == ".md":
                assert anchor in _heading_anchors(linked.read_text(encoding="utf-8")), f"{where}: no such heading"
            checked += 1
    assert checked > 20


def test_bad_argument_is_a_usage_error(cli):
    import pytest

    with pytest.raises(SystemExit) as caught:
        cli("recent", "--limit", "zero")
    assert caught.value.code == 2


def test_run_polls_then_stops_cleanly_on_sigterm(sites, write_config, tmp_path):
    config = write_config([{"name": "Euphrates", "url": sites.url("/euphrates/feed.xml")}], every="1h")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        import sqlite3

        deadline = time.monotonic() + 30
        count = 0
        while time.monotonic() < deadline and count < 4:
            time.sleep(0.2)
            if (tmp_path / "wirewatch.db").exists():
                try:
                    count = (
                        sqlite3.connect(tmp_path / "wirewatch.db")
                        .execute("SELECT count(*) FROM articles")
                        .fetchone()[0]
                    )
                except sqlite3.OperationalError:
                    count = 0
        assert count == 4, "run did not poll the source"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in err
    assert out.count("[") >= 3  # the three matching articles were printed (no channels configured)


def test_explain_text_names_the_spelling_and_the_reason(write_config, cli):
    config = write_config([{"name": "X", "url": "https://x.example/feed"}])
    code, out, _ = cli("explain", "--config", config, "Lebanese Hizzbullah entered Deir Al-Zour")
    assert code == 0
    assert "2 of 3 keyword groups match" in out
    assert 'term "Deir ez-Zor" found "Deir Al-Zour" (variant)' in out
    assert 'term "Hezbollah" found "Hizzbullah" (variant)' in out
    assert "no match  Nujaba: no term found" in out
    code, out, _ = cli("explain", "--config", config, "--json", "وصلت تعزيزات لحزب الله")
    records = {r["keyword"]: r for r in map(json.loads, out.splitlines())}
    assert records["Hezbollah"]["matched"] is True
    assert records["Hezbollah"]["hits"][0]["found"] == "لحزب الله"
    assert records["Nujaba"]["reason"] == "no term found"


def test_explain_url_uses_the_articles_own_text(sites, write_config, cli):
    config = write_config([{"name": "X", "url": "https://x.example/feed"}])
    url = sites.url("/euphrates/2026/11/aleppo-eight-hours-power/")  # chrome and a comment say Deir ez-Zor
    code, out, err = cli("explain", "--config", config, "--json", url)
    assert code == 0, err
    assert not any(json.loads(line)["matched"] for line in out.splitlines())
    code, _, err = cli("explain", "--config", config, sites.url("/nothing-here.html"))
    assert code == 1 and "HTTP 404" in err


def test_query_commands_start_without_pydantic_or_sqlite_utils(write_config, tmp_path):
    """recent, search and story read the database path from the file and the rows through a plain connection:
    pydantic and sqlite-utils are half of a query's start-up time, so they must stay unimported."""
    config = write_config([{"name": "s", "url": "https://x.example/feed"}])
    Store.open(tmp_path / "wirewatch.db").close()  # a current database, as the bot leaves it
    probe = (
        "import sys; from bot.cli import main\n"
        f"codes = [main(['recent', '--config', {str(config)!r}]), main(['search', '--config', {str(config)!r}, 'x']),"
        f" main(['recent', '--config', {str(config)!r}, '--keyword', 'nujaba'])]\n"
        "print(codes, sorted(m for m in ('pydantic', 'sqlite_utils', 'httpx', 'aiohttp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[0, 0, 0] []"


def test_query_commands_need_only_the_database_from_the_config(write_config, cli, tmp_path, monkeypatch):
    """A bad source line stops check and validate, not a look at what was already stored; the database path
    resolves as load() resolves it (relative to the config's folder, ${VAR} expanded)."""
    monkeypatch.setenv("WW_DB", "nested/alerts.db")
    config = write_config([{"name": "s", "url": "not a url"}], database="${WW_DB}")
    code, _, err = cli("validate", "--config", config)
    assert code == 2 and "sources[0].url" in err
    code, out, _ = cli("recent", "--config", config)
    assert code == 0 and "No alerts yet." in out
    assert (tmp_path / "nested" / "alerts.db").is_file()  # created where load() would put it
    code, _, err = cli("recent", "--config", config, "--keyword", "Nope")
    assert code == 1 and 'no keyword group named "Nope"' in err and "Hezbollah" in err
    monkeypatch.delenv("WW_DB")
    code, _, err = cli("search", "--config", config, "x")
    assert code == 2 and "environment variable WW_DB is not set" in err


def test_sources_check_one_source_and_verbose(sites, write_config, cli, caplog):
    """`sources` shows each source's state; `check --source` polls that one alone; -v says what it did."""
    import logging

    config = write_config([{"name": "Euphrates", "url": sites.url("/euphrates/feed.xml")},
                           {"name": "Broken", "url": sites.url("/broken/500.xml"), "every": "2h"}])  # fmt: skip
    code, out, err = cli("sources", "--config", config, "--json")
    assert code == 0, err
    before = {row["name"]: row for row in map(json.loads, out.splitlines())}
    assert before["Broken"]["every"] == "2h" and before["Euphrates"]["last_ok"] is None
    with caplog.at_level(logging.INFO, logger="bot"):
        code, out, err = cli("check", "--config", config, "--source", "euphrates", "-v", "--json")
    assert code == 0 and len(out.splitlines()) >= 1, err
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Euphrates: HTTP 200")]
    assert said and "entries" in said[0] and "matching" in said[0] and "requests" in said[0], caplog.text
    assert not any(r.getMessage().startswith("Broken") for r in caplog.records)  # not polled
    code, out, _ = cli("sources", "--config", config, "--json")
    after = {row["name"]: row for row in map(json.loads, out.splitlines())}
    assert after["Euphrates"]["last_ok"] and after["Euphrates"]["next_poll"] and after["Broken"]["last_ok"] is None
    code, _, err = cli("check", "--config", config, "--source", "Euphrate")
    assert code == 1 and "no source named 'Euphrate'" in err and "did you mean 'Euphrates'?" in err


def test_check_on_a_database_it_cannot_write_stops_before_polling(sites, write_config, cli, tmp_path):
    config = write_config([{"name": "Euphrates", "url": sites.url("/euphrates/feed.xml")}])
    assert cli("check", "--config", config)[0] == 0
    database = tmp_path / "wirewatch.db"
    hits = sites.hits["/euphrates/feed.xml"]
    holder = sqlite3.connect(database, isolation_level=None, timeout=1)
    holder.execute("BEGIN EXCLUSIVE")  # another writer holds it (a read-only file or folder reads the same)
    try:
        code, out, err = cli("check", "--config", config)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "the database cannot be written" in err and sites.hits["/euphrates/feed.xml"] == hits


def test_database_given_on_the_command_line_serves_every_command(sites, write_config, cli, tmp_path):
    """A container keeps its database in a volume: --database names it for every command, not only run."""
    import shutil

    config = write_config([{"name": "Euphrates", "url": sites.url("/euphrates/feed.xml")}])
    assert cli("check", "--config", config)[0] == 0
    volume = tmp_path / "volume"
    volume.mkdir()
    shutil.copy(tmp_path / "wirewatch.db", volume / "kept.db")
    (tmp_path / "wirewatch.db").unlink()
    code, out, err = cli("recent", "--config", config, "--database", volume / "kept.db", "--json")
    assert code == 0 and len(out.splitlines()) >= 1, err
    code, out, err = cli("--database", volume / "kept.db", "sources", "--config", config, "--json")
    assert code == 0 and json.loads(out.splitlines()[0])["last_ok"], err
    assert not (tmp_path / "wirewatch.db").exists()  # the config's database was never opened
