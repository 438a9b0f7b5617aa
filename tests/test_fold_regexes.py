"""The regexes of ``fold`` that run on every page's whole text are written for speed (a pattern that starts with
a look-behind is tried at every character; one that starts with a literal or a character set only where it
occurs). Each must do exactly what its plain form did: here the plain forms are the reference, on random strings
over the characters that matter, on every letter of Unicode's Latin and Arabic blocks beside them, and on the
labelled real pages' whole text (news and beyond)."""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path

import pytest

from bot.extract.encoding import decode
from bot.extract.html import metas, parse
from bot.extract.pages import page_text
from bot.text import normalise, scripts

ELISION = re.compile(r"(?:q(?<![^\W\d_]q)u|[dljnsmct](?<![^\W\d_][dljnsmct]))['’](?=[^\W\d_])")
POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
FINAL_HAMZA = re.compile(r"(?<=ا)ء(?![\u0621-\u064a])")

CASES = {  # name: (plain form, fast form, the characters that matter)
    "elision": (lambda t: ELISION.sub("", t), scripts._elide, "qudljnsmctxae'’ _1é"),
    "possessive": (lambda t: POSSESSIVE.sub("", t), lambda t: normalise._POSSESSIVE.sub("", t), "s'’ a_1éx."),
    "final hamza": (lambda t: FINAL_HAMZA.sub("", t), lambda t: normalise._FINAL_HAMZA.sub("ا", t), "اءبي a1."),
}


def _real_texts() -> list[str]:
    data = Path(__file__).parent / "data"
    texts = []
    pages = [*(data / "realpages" / "html").glob("*.html.gz"), *(data / "beyondnews" / "html").glob("*.html.gz")]
    for path in sorted(pages):
        markup = decode(gzip.decompress(path.read_bytes()))
        texts.append(page_text(parse(markup), metas(parse(markup))).casefold())
    return texts


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_fast_form_does_what_the_plain_regex_did(name):
    plain, fast, alphabet = CASES[name]
    rng = random.Random(5)
    letters = [chr(c) for c in [*range(0xC0, 0x250), *range(0x600, 0x700)] if chr(c).isprintable()]
    for _ in range(100_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert fast(text) == plain(text), repr(text)
    for letter in letters:
        for text in (f"{letter}qu'a d'{letter} {letter}'s {letter}اء", f"qu'{letter} l’{letter}s اء{letter}"):
            assert fast(text) == plain(text), repr(text)
    real = _real_texts()
    assert any(plain(text) != text for text in real)  # it does cut something there
    for text in real:
        assert fast(text) == plain(text)
