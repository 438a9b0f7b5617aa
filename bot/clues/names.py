"""Proper names in both scripts, brought to one comparable form: their consonants.

An English report's proper names are its capitalised words inside a sentence (a sentence's first word may be any
word); an Arabic report has no capitals, so every word that is not among the language's most frequent ones
(``common_arabic`` in places.json, from wordfreq) is a candidate. Both are reduced to a consonant skeleton on one
alphabet: the Arabic letters as the usual romanisations write them (ج j, خ and ح h, ش sh, ق and ك k, ث t, ذ and ض
d, ص s, ط t, ظ z, غ gh), short vowels and ع dropped, و and ي kept only at a word's start (Wasiti and الواسطي are
both w-s-t, Jolan and الجولان j-l-n, Anbar and الأنبار n-b-r). Skeletons of fewer than three consonants say too
little and are not kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.clues.gazetteer import gazetteer
from bot.text.normalise import is_arabic, single, token_fold, without_article, words

_EN_DIGRAPHS = (("kh", "h"), ("gh", "g"), ("sh", "S"), ("ch", "S"), ("th", "t"), ("dh", "d"), ("ph", "f"))
_EN = str.maketrans({"p": "b", "v": "f", "c": "k", "q": "k", "x": "k", "e": None, "i": None, "o": None,
                     "u": None, "a": None, "y": None, "w": None, "'": None})  # fmt: skip
_AR = str.maketrans({"ا": None, "ء": None, "ى": None, "ع": None, "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h",
                     "خ": "h", "د": "d", "ذ": "d", "ر": "r", "ز": "z", "س": "s", "ش": "S", "ص": "s", "ض": "d",
                     "ط": "t", "ظ": "z", "غ": "g", "ف": "f", "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n",
                     "ه": "h", "و": None, "ي": None})  # fmt: skip
_SENTENCE = re.compile(r"(?:^|[.!?:;\n]\s*|[\"“”«»(]\s*)([A-Z][\w'’-]*)")
MIN_CONSONANTS = 3


@lru_cache(maxsize=100_000)
def latin_skeleton(word: str) -> str:
    text = token_fold(word).replace("-", "")
    first = text[:1] if text[:1] in ("w", "y") else ""
    for old, new in _EN_DIGRAPHS:
        text = text.replace(old, new)
    if text.endswith("h") and len(text) > 2 and text[-2] in "aeiou":
        text = text[:-1]  # Hasakah, Raqqah: a final h after a vowel is the taa marbuta
    return single(first + text[len(first) :].translate(_EN))


@lru_cache(maxsize=100_000)
def arabic_skeleton(word: str) -> str:
    core = without_article(word)
    if core.endswith("ه") or core.endswith("ة"):
        core = core[:-1]
    first = {"و": "w", "ي": "y"}.get(core[:1], "")
    return single(first + core[len(first) :].translate(_AR))


def names_in(text: str) -> frozenset[str]:
    """The skeletons of the report's proper names."""
    starts = {m.group(1) for m in _SENTENCE.finditer(text)}
    out = set()
    common = gazetteer().common_arabic
    for word in words(text):
        folded = token_fold(word)
        if is_arabic(folded):
            core = without_article(folded)
            if folded in common or core in common or len(core) < 4:
                continue
            skeleton = arabic_skeleton(folded)
        elif word[:1].isupper() and word not in starts and not word.isupper():
            skeleton = latin_skeleton(word)
        else:
            continue
        if len(skeleton) >= MIN_CONSONANTS:
            out.add(skeleton)
    return frozenset(out)
