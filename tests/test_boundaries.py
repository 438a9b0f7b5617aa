"""Every punctuation character is a word boundary around a name (issue 22): each of Unicode's punctuation
characters (categories P*; not dashes and connectors, which names span: Deir ez-Zor, #Deir_ez_Zor; nor
apostrophes, which may sit inside one: Kata'ib) around a Latin and an Arabic name; quotes and brackets of every
language in pairs; the spaces and invisible characters between a name's words."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from bot.config import Keyword
from bot.match import Matcher

MATCHER = Matcher(
    [Keyword(name="D", terms=["Deir ez-Zor", "دير الزور"]), Keyword(name="K", terms=["Kataib Hezbollah"])]
)
APOSTROPHES = set("'’‘ʼ`´")
PUNCTUATION = [
    chr(c) for c in range(sys.maxunicode + 1)
    if unicodedata.category(chr(c)).startswith("P") and unicodedata.category(chr(c)) != "Pd"
    and chr(c) not in APOSTROPHES and unicodedata.category(chr(c)) != "Pc"
]  # fmt: skip


def found(text: str) -> list[str]:
    return [m.found for m in MATCHER.match(text)]


def test_there_are_hundreds_of_them():
    assert len(PUNCTUATION) > 600


@pytest.mark.parametrize("script", ["latin", "arabic"])
def test_every_punctuation_character_around_a_name_is_a_boundary(script):
    name = "Deir ez-Zor" if script == "latin" else "دير الزور"
    missed = [
        f"U+{ord(c):04X} {unicodedata.name(c, '?')}"
        for c in PUNCTUATION
        if found(f"fighting near {c}{name}{c} on Monday" if script == "latin" else f"اشتباكات قرب {c}{name}{c} اليوم")
        != [name]
    ]
    assert not missed, f"{len(missed)} characters: {missed[:20]}"


def test_quotes_and_brackets_of_every_language_in_pairs():
    pairs = ["„“", "‚‘", "‹›", "«»", "「」", "『』", "《》", "〈〉", "（）", "【】", "⟨⟩", "¿?", "¡!", "“”", "''", "’’"]
    for left, right in pairs:
        assert found(f"Die Lage in {left}Deir ez-Zor{right} bleibt angespannt") == ["Deir ez-Zor"], left + right
        assert found(f"قال {left}دير الزور{right} أمس") == ["دير الزور"], left + right


@pytest.mark.parametrize(
    "text", ["Deir ez-Zor…", "#Deir_ez-Zor", "#DeirEzZor", "/Deir ez-Zor/", "(Deir ez-Zor)", "Deir\u00a0ez-Zor",
             "Deir\u2009ez\u2011Zor", "Deir ez‐Zor", "Deir\u200bez-Zor", "Deir ez-Zor-based", "‘Deir ez-Zor’"],
)  # fmt: skip
def test_ellipsis_hash_slashes_and_odd_spaces(text):
    assert found(f"news from {text} today") != []


def test_a_quote_after_a_name_does_not_stop_it_and_an_apostrophe_inside_one_stays():
    assert found("they said 'Deir ez-Zor' fell") == ["Deir ez-Zor"]
    assert found("the Kata'ib Hezbollah commander") == ["Kata'ib Hezbollah"]
    assert found("the Kataʼib Hezbollah commander") == ["Kataʼib Hezbollah"]


def test_a_name_never_spans_punctuation_between_its_words():
    for mark in (",", ".", ";", "„", "»", "?", "…", "/", "|"):
        assert found(f"in Deir{mark} ez-Zor") == [], mark


def test_words_are_the_runs_of_letters_and_digits_whatever_the_characters_between():
    """``words`` splits in C-level passes and tests each word with str.isalnum, where the regex [^\\W_]+ scanned
    the whole text (stories' shingles used it): both must give the same words, for every character of Unicode
    between two words, in an ASCII, an Arabic and a mixed text, one or many of them."""
    import re

    from bot.text.normalise import words

    runs = re.compile(r"[^\W_]+")
    every = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(every), 512):
        chunk = every[start : start + 512]
        for text in ("deir" + "ez".join(chunk) + "zor", "دير" + "ال".join(chunk), "ab" + "".join(chunk) + "١٢"):
            assert words(text) == runs.findall(text)
    for char in every:
        text = f"deir{char}ez zor ال{char}زور"
        assert words(text) == runs.findall(text), repr(char)
