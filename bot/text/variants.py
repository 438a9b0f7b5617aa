"""A configured term -> every spelling it should match, as phonetic keys and Arabic word cores.

Rules that generalise, not lists of aliases:

- Latin: the Arabic article is optional and takes every form: dropped, ``al-``/``el-``/``ul-``, or
  assimilated before a sun letter (``ez-Zor``, ``ar-Raqqa``, ``an-Nujaba``), joined, hyphenated or spaced.
  The term also matches with an article it was written without (``Nujaba`` ~ ``al-Nujaba``). Vowels,
  glides, doubled letters and word boundaries are folded by ``normalise.key``.
- Arabic: the article ``ال`` is optional on every word; the first word may carry the attached prefixes
  و ف (and), ب ك ل (in, like, for) and the contraction لل.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from bot.text.normalise import CONJUNCTIONS, PREPOSITIONS, fold, is_arabic, key, plain, without_article

_WORDS = re.compile(r"[^\s\-–—_/.,;:!?()\[\]{}\"«»“”]+")
# Sun letters as transliterated: the article assimilates to them (ad-Dawla, ash-Sham, az-Zawr, ...).
_SUN = ("th", "dh", "sh", "t", "d", "r", "z", "s", "n", "l")
_ARTICLES = {"al", "el", "ul", "il"}
_LATIN_ARTICLE_FORMS = ("", "al", "el")  # vowel classes make ul = al and il = el
_ARABIC_PREFIXES = ("", *CONJUNCTIONS, *PREPOSITIONS, *(c + p for c in CONJUNCTIONS for p in PREPOSITIONS))


@dataclass(frozen=True)
class Term:
    """One configured term, compiled."""

    text: str  # as the user wrote it
    group: str
    role: str  # "term", "require" or "exclude"
    exact: bool
    arabic: bool
    keys: frozenset[str] = frozenset()  # Latin or exact: whole-match keys (phonetic, or plain when exact)
    cores: tuple[str, ...] = ()  # Arabic: the words without their article
    patterns: frozenset[str] = field(default=frozenset(), repr=False)  # what the pre-filter looks for


def compile_term(text: str, group: str, role: str, exact: bool) -> Term:
    folded = fold(text)
    words = _WORDS.findall(folded)
    arabic = bool(words) and is_arabic(words[0])
    if exact:
        joined = plain(folded)
        return Term(text, group, role, True, arabic, keys=frozenset({joined}), patterns=frozenset({joined}))
    if arabic:
        cores = tuple(without_article(w) for w in words)
        return Term(text, group, role, False, True, cores=cores, patterns=frozenset(_arabic_patterns(cores)))
    keys = frozenset(key(" ".join(v)) for v in _latin_variants(words)) - {""}
    return Term(text, group, role, False, False, keys=keys, patterns=keys)


def _sun(word: str) -> str | None:
    return next((s for s in _SUN if word.startswith(s)), None)


def _is_article(word: str, following: str | None) -> bool:
    if word in _ARTICLES:
        return True
    sun = _sun(following or "")
    return bool(sun) and word in {v + sun for v in "aeiu"}


def _article_forms(following: str) -> list[str]:
    sun = _sun(following)
    return [*_LATIN_ARTICLE_FORMS, *((f"a{sun}", f"e{sun}") if sun else ())]


def _latin_variants(words: list[str]) -> list[list[str]]:
    """Every spelling of the term's articles: a slot per article, plus an optional leading one."""
    slots: list[list[str]] = []
    content: list[str] = []
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else None
        if following is not None and _is_article(word, following):
            slots.append(_article_forms(following))
            content.append("")  # placeholder: the slot's form goes here
        else:
            content.append(word)
    if not any(content):
        return []
    lead = (
        [] if words[0] in _ARTICLES or (slots and content[0] == "") else _article_forms(next(w for w in content if w))
    )
    variants = []
    for leading in lead or [""]:
        for forms in itertools.product(*slots) if slots else [()]:
            out, k = [leading] if leading else [], 0
            for word in content:
                if word == "":
                    if forms[k]:
                        out.append(forms[k])
                    k += 1
                else:
                    out.append(word)
            variants.append(out)
    return variants


def _arabic_patterns(cores: tuple[str, ...]) -> set[str]:
    """Pre-filter patterns: each word with or without ال, the first word with any attached prefix."""
    first, rest = cores[0], cores[1:]
    heads = set()
    for prefix in _ARABIC_PREFIXES:
        heads.add(prefix + first)
        heads.add(prefix + "ال" + first)
        if prefix.endswith("ل"):
            heads.add(prefix + "ل" + first)  # ل + ال -> لل
    tails = [""]
    for word in rest:
        tails = [t + form for t in tails for form in (word, "ال" + word)]
    return {key(head + tail) for head in heads for tail in tails}
