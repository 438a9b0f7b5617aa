"""The CLI as a user runs it: the demo, `python -m bot`, `validate`, and `run` until SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.demo.run import SITES
from bot.store import Store

ROOT = Path(__file__).parents[1]


def test_demo_alerts_from_bundled_sites(cli):
    code, out, err = cli("demo", "--json")
    assert code == 0, err
    alerts = [json.loads(line) for line in out.splitlines()]
    assert len(alerts) == 5
    assert {a["source"] for a in alerts} == {"East Syria Monitor", "Al-Khabar (Arabic)"}
    assert {k for a in alerts for k in a["keywords"]} == {"Deir ez-Zor", "Hezbollah", "Nujaba"}


def test_demo_sites_are_packaged():
    assert (SITES / "eastsyria" / "feed.xml").is_file()
    assert (SITES / "alkhabar" / "index.html").is_file()


def test_python_m_bot_and_help_list_every_command():
    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    for command in ("check", "run", "recent", "search", "validate", "demo", "explain"):
        assert command in result.stdout


def test_readme_documents_every_command_and_config_key():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("check", "run", "recent", "search", "validate", "demo", "explain"):
        assert f"`{command}" in readme, command
    from bot.config import Config, Keyword, MatrixConfig, SlackConfig, Source

    models = ((Config, ""), (Source, "sources[]."), (Keyword, "keywords[]."), (SlackConfig, "slack."),
              (MatrixConfig, "matrix."))  # fmt: skip
    for model, prefix in models:
        for key in model.model_fields:
            if key != "path":
                assert f"`{prefix}{key}`" in readme, f"{prefix}{key} is not documented"


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
