"""Config loading: every error path gives ONE line naming the file, the key path and the line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import config

CASES = yaml.safe_load((Path(__file__).parent / "data" / "config_errors.yaml").read_text(encoding="utf-8"))
VALID = """\
database: data/ww.db
sources:
  - name: A
    url: https://example.org/feed/
keywords:
  - name: K
    terms: [Deir ez-Zor]
"""


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_config_exits_2_with_one_line(case, tmp_path, cli, monkeypatch):
    monkeypatch.delenv("WW_TEST_UNSET", raising=False)
    path = tmp_path / "bad.yaml"
    path.write_text(case["yaml"], encoding="utf-8")
    code, out, err = cli("validate", "--config", path)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(path) in lines[0]
    for expected in case["expect"]:
        assert expected in lines[0], f"{expected!r} not in {lines[0]!r}"
    for secret in case.get("absent", []):  # a URL's token is never shown, even in the error about that URL
        assert secret not in err


def test_missing_file(cli, tmp_path):
    code, _, err = cli("check", "--config", tmp_path / "nope.yaml")
    assert code == 2
    assert err.strip() == f"wirewatch: {tmp_path / 'nope.yaml'}: no such config file"


def test_valid_config_defaults_and_relative_database(tmp_path):
    path = tmp_path / "cfg" / "w.yaml"
    path.parent.mkdir()
    path.write_text(VALID, encoding="utf-8")
    cfg = config.load(path)
    assert cfg.database_path == tmp_path / "cfg" / "data" / "ww.db"
    assert cfg.every is None and (cfg.min_every, cfg.max_every) == (60, 7200) and cfg.max_age == 7 * 86400
    assert cfg.fixed_interval(cfg.sources[0]) is None and cfg.interval(cfg.sources[0]) == 600  # adaptive
    assert cfg.sources[0].type == "feed" and cfg.sources[0].articles == "auto"
    assert cfg.channels == []


@pytest.mark.parametrize(("sources", "concurrency", "workers"), [(1, 20, 0), (10, 20, 0), (100, 20, 2), (500, 31, 2),
                                                             (1000, 60, 2), (5000, 60, 2)])  # fmt: skip
def test_unset_concurrency_and_workers_follow_sources_and_cores(sources, concurrency, workers, monkeypatch):
    """The README's table of defaults at 10, 100 and 1,000 sources (on 2 cores), and explicit values kept."""
    monkeypatch.setattr(config.os, "cpu_count", lambda: 2)
    feeds = [{"name": f"s{i}", "url": f"https://s{i}.example/feed"} for i in range(sources)]
    cfg = config.Config(sources=feeds, keywords=[{"name": "K", "terms": ["Nujaba"]}])
    assert (cfg.concurrency_limit(), cfg.worker_count()) == (concurrency, workers)
    tuned = cfg.model_copy(update={"concurrency": 7, "workers": 1})
    assert (tuned.concurrency_limit(), tuned.worker_count()) == (7, 1)


def test_env_substitution_and_secrets_not_printed(tmp_path, monkeypatch):
    monkeypatch.setenv("WW_TOKEN", "xoxb-secret-123")
    path = tmp_path / "w.yaml"
    path.write_text(VALID + 'channels:\n  - slack: "#alerts"\nslack:\n  bot_token: ${WW_TOKEN}\n', encoding="utf-8")
    cfg = config.load(path)
    assert cfg.slack.bot_token.get_secret_value() == "xoxb-secret-123"
    assert "xoxb-secret-123" not in repr(cfg) and "xoxb-secret-123" not in str(cfg.slack)


def test_env_value_cannot_inject_yaml(tmp_path, monkeypatch):
    monkeypatch.setenv("WW_NAME", "x\nkeywords: []")
    path = tmp_path / "w.yaml"
    path.write_text(VALID.replace("name: A", "name: ${WW_NAME}"), encoding="utf-8")
    cfg = config.load(path)
    assert cfg.sources[0].name == "x\nkeywords: []"
    assert cfg.keywords[0].name == "K"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("10m", 600), ("2h", 7200), ("7d", 604800), ("1h30m", 5400), (45, 45), ("1w", 604800)],
)
def test_durations(text, seconds):
    assert config.parse_duration(text) == seconds


def test_host_spacing_takes_a_duration_and_zero_turns_it_off(tmp_path):
    path = tmp_path / "w.yaml"
    for value, seconds in (("0", 0.0), (0, 0.0), ("0.5s", 0.5), ("2s", 2.0), (None, 0.1)):
        path.write_text(VALID + ("" if value is None else f"host_spacing: {value}\n"), encoding="utf-8")
        assert config.load(path).host_spacing == seconds, value
    with pytest.raises(ValueError, match="positive"):
        config.parse_duration("0s")  # elsewhere 0 is still refused


@pytest.mark.parametrize(("text", "size"), [("5MB", 5_000_000), ("512KiB", 524288), (1000, 1000), ("2 mb", 2_000_000)])
def test_sizes(text, size):
    assert config.parse_size(text) == size


def test_example_config_is_valid_without_environment(cli):
    """The shipped example must load on a fresh machine with no secrets exported."""
    example = Path(__file__).parents[1] / "config" / "wirewatch.yaml"
    code, out, err = cli("validate", "--config", example)
    assert code == 0, err
    assert "OK" in out
    cfg = config.load(example, environ={})
    assert len(cfg.sources) >= 8
    assert {k.name for k in cfg.keywords} >= {"Deir ez-Zor", "Nujaba", "Hezbollah"}


def test_chat_secrets_are_needed_only_by_the_commands_that_talk_to_a_chat(tmp_path, cli, monkeypatch, sites):
    """An unset ${VAR} of a chat section: validate, status, recent, search, explain and sources run (validate
    says which secret check and run will need); check and run refuse with one line."""
    monkeypatch.delenv("WW_TEST_UNSET", raising=False)
    path = tmp_path / "wirewatch.yaml"
    path.write_text(yaml.safe_dump({
        "database": "ww.db", "sources": [{"name": "A", "url": sites.url("/euphrates/feed.xml")}],
        "keywords": [{"name": "K", "terms": ["Deir ez-Zor"]}], "channels": [{"slack": "#a"}],
        "slack": {"bot_token": "${WW_TEST_UNSET}", "app_token": "${WW_TEST_UNSET}"},
    }), encoding="utf-8")  # fmt: skip
    code, out, err = cli("validate", "--config", path)
    assert code == 0 and "OK" in out, err
    assert "note: slack.bot_token (line" in out and "${WW_TEST_UNSET} is not set here; check and run need it" in out
    for command in (["recent"], ["search", "Deir"], ["status"], ["sources"], ["explain", "Deir ez-Zor"]):
        code, _, err = cli(*command, "--config", path)
        assert code == 0, (command, err)
    for command in ("check", "run"):
        code, out, err = cli(command, "--config", path)
        assert code == 2 and out == "" and err.count("\n") == 1, (command, err)
        assert "environment variable WW_TEST_UNSET is not set" in err and "slack." in err


def test_config_before_or_after_the_command(tmp_path, cli):
    path = tmp_path / "w.yaml"
    path.write_text(VALID, encoding="utf-8")
    for args in (["--config", path, "validate"], ["validate", "--config", path], ["-c", path, "validate", "-v"]):
        code, out, err = cli(*args)
        assert code == 0 and f"{path}: OK" in out, (args, err)
