"""The report this project started from (tests/data/seed/README.md), end to end through `wirewatch check`.

The example config's keyword groups must alert every actor the report names, in the spellings and
translations analysts write: "Iraqi Hizbullah Brigades" (Kataib Hezbollah), "Sayyid Al-Shuhada Brigades",
"Lebanese Hizzbullah", the "Al-Nujaba Movement", the "Fatemiyoun Brigade".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.demo.server import SiteServer
from tests.utils import DATA

EXAMPLE = Path(__file__).parents[1] / "config" / "wirewatch.yaml"
REPORT = "/memri/reports/syrian-opposition-websites-military-experts-iran-backed-iraqi-militias-lebanese"

# group -> the spelling the report uses, as `matched[].found` must show it
EXPECTED = {
    "Deir ez-Zor": "Deir Al-Zour",
    "Al-Bukamal": "Al-Bukamal",
    "Hezbollah": "Hizbullah",
    "Kataib Hezbollah": "Hizbullah Brigades",
    "Kataib Sayyid al-Shuhada": "Sayyid Al-Shuhada Brigades",
    "Nujaba": "Al-Nujaba",
    "Fatemiyoun": "Fatemiyoun",
    "Sikak crossing": "Sikak border crossing",
}


@pytest.fixture(scope="module")
def memri():
    with SiteServer(DATA / "seed") as server:
        yield server


@pytest.fixture
def seed_config(tmp_path, memri) -> Path:
    keywords = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["keywords"]
    data = {
        "database": "wirewatch.db",
        "sources": [{"name": "MEMRI JTTM", "url": memri.url("/memri/"), "type": "page"}],
        "keywords": keywords,
        "timeout": "3s",
    }
    path = tmp_path / "wirewatch.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_example_config_names_every_actor_of_the_report(seed_config, memri, cli):
    code, out, err = cli("check", "--config", seed_config, "--json")
    assert code == 0, err
    alerts = [json.loads(line) for line in out.splitlines()]
    assert [a["url"] for a in alerts] == [memri.url(REPORT)], err
    alert = alerts[0]
    assert alert["title"].startswith("Syrian Opposition Websites: Military Experts")
    assert set(alert["keywords"]) == set(EXPECTED)
    found = {}
    for m in alert["matched"]:
        found.setdefault(m["keyword"], set()).add(m["found"])
    for group, spelling in EXPECTED.items():
        assert spelling in found[group], (group, found[group])


def test_the_report_alerts_once(seed_config, cli):
    assert cli("check", "--config", seed_config, "--json")[1]
    code, out, err = cli("check", "--config", seed_config, "--json")
    assert (code, out) == (0, ""), err


def test_the_sidebar_promotion_is_not_the_report(memri):
    """The page's chrome (menu, Cyber & Jihad Lab promotion, Latest list) stays out of the text."""
    from bot.extract.pages import extract_article

    page = extract_article(_served(memri, REPORT), memri.url(REPORT))
    assert "Delegation From Iraqi Shi'ite Militias" in page.text
    assert "Hizzbullah positions" in page.text
    for chrome in ("Cyber & Jihad Lab monitors", "Houthi Leader", "Skip to main content", "1998-2023"):
        assert chrome not in page.text


def _served(server: SiteServer, path: str) -> str:
    import urllib.request

    with urllib.request.urlopen(server.url(path)) as response:
        return response.read().decode("utf-8")
