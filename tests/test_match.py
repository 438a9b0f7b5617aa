"""The multilingual keyword engine, table-driven from real reporting (tests/data/spellings.yaml), plus the
group logic (require, exclude, exact) and the properties the pipeline relies on (spans, order, hostility)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import Keyword
from bot.match import Matcher
from bot.text.normalise import fold, key

CASES = yaml.safe_load((Path(__file__).parent / "data" / "spellings.yaml").read_text(encoding="utf-8"))


def case_id(case: dict) -> str:
    return f"{'+' if case['match'] else '-'} {case['term']} | {case['text'][:40]}"


def test_case_file_is_big_and_balanced():
    positives = [c for c in CASES if c["match"]]
    negatives = [c for c in CASES if not c["match"]]
    arabic = [c for c in CASES if any("\u0600" <= ch <= "\u06ff" for ch in c["term"])]
    assert len(CASES) >= 150 and len(negatives) >= 50 and len(positives) >= 100
    assert 50 <= len(arabic) <= len(CASES) - 50
    for case in positives:
        assert case["found"] in case["text"], case


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_spelling_case(case):
    matches = Matcher([Keyword(name="k", terms=[case["term"]])]).match(case["text"])
    found = [m.found for m in matches]
    if case["match"]:
        assert case["found"] in found, f"{case['why']}: found {found}"
        for m in matches:
            assert case["text"][m.start : m.end] == m.found
            assert m.term == case["term"]
    else:
        assert found == [], case["why"]


def test_required_examples_from_the_issue():
    deir = Matcher([Keyword(name="D", terms=["Deir ez-Zor"])])
    for text in ("Deir Al-Zour", "Deir Ezzor", "Deirezzor", "Dayr az-Zawr", "Deir el-Zor"):
        assert [m.found for m in deir.match(f"fighting in {text} on Monday")] == [text]
    for text in ("Deir al-Balah", "Deir Hafer"):
        assert deir.match(f"fighting in {text} on Monday") == []
    hez = Matcher([Keyword(name="H", terms=["Hezbollah"])])
    for text in ("Hizbullah", "Hizballah", "Hizzbullah"):
        assert [m.found for m in hez.match(f"the {text} commander")] == [text]
    assert hez.match("members of Hizb ut-Tahrir") == []
    nuj = Matcher([Keyword(name="N", terms=["Nujaba"])])
    assert [m.found for m in nuj.match("al-Nujaba and Nujabaa")] == ["al-Nujaba", "Nujabaa"]
    assert nuj.match("Najib said") == []


def test_the_engine_keeps_look_alikes_apart():
    assert key(fold("homes")) != key(fold("Hamas"))
    assert key(fold("rake")) != key(fold("Raqqa"))
    assert key(fold("Ruqayya")) != key(fold("Raqqa"))


def test_arabic_article_optional_both_ways_and_prefixes():
    m = Matcher([Keyword(name="F", terms=["الفاطميون"])])
    assert [x.found for x in m.match("قال فاطميون إن")] == ["فاطميون"]
    m = Matcher([Keyword(name="F", terms=["فاطميون"])])
    assert [x.found for x in m.match("وقال الفاطميون وللفاطميين")] == ["الفاطميون", "وللفاطميين"]


def test_name_split_by_line_break_spaces_or_nbsp():
    m = Matcher([Keyword(name="D", terms=["Deir ez-Zor", "دير الزور"])])
    text = "in Deir\nez-Zor, in Deir   ez-Zor, in Deir\u00a0ez-Zor, في دير\nالزور"
    assert len(m.match(text)) == 4


def test_latin_term_inside_a_longer_word_does_not_match():
    m = Matcher([Keyword(name="R", terms=["Raqqa"]), Keyword(name="H", terms=["Hama"])])
    assert m.match("al-Raqqawi and Hamas and Hamadan") == []


def test_require_and_exclude():
    group = Keyword(name="N", terms=["Nujaba"], require=["militia", "حركة"], exclude=["football"])
    m = Matcher([group])
    assert m.match("Nujaba said") == []
    assert [x.keyword for x in m.match("the Nujaba militia said")] == ["N"]
    assert m.match("the Nujaba militia football team") == []
    why = {e.group: e.reason for e in m.explain("the Nujaba militia football team")}
    assert why["N"].startswith("excluded by")
    assert "required" in {e.group: e.reason for e in m.explain("Nujaba said")}["N"]


def test_exact_group_turns_variants_off():
    m = Matcher([Keyword(name="K", terms=["Kataib Hezbollah"], exact=True)])
    assert [x.found for x in m.match("KATAIB HEZBOLLAH and Kata'ib Hezbollah")] == [
        "KATAIB HEZBOLLAH",
        "Kata'ib Hezbollah",
    ]
    assert m.match("Kataib Hizbullah and Kataeb Hezbollah") == []


def test_matches_carry_spans_in_text_order_across_groups():
    m = Matcher([Keyword(name="H", terms=["Hezbollah"]), Keyword(name="D", terms=["دير الزور"])])
    text = "وصلت تعزيزات لحزب الله إلى بدير الزور. Hizbullah units moved."
    matches = m.match(text)
    assert [(x.keyword, x.found) for x in matches] == [("D", "بدير الزور"), ("H", "Hizbullah")]
    assert all(text[x.start : x.end] == x.found for x in matches)


def test_hostile_text_is_only_text():
    m = Matcher([Keyword(name="H", terms=["Hezbollah", "(z.*)+$"])])
    text = "<!channel> @room Hezbollah ((((((((((((((((((((((((((((a" + "a" * 5000
    assert [x.found for x in m.match(text)] == ["Hezbollah"]
