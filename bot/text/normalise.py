"""Text normalisation, table-driven: Unicode, case, Latin transliteration marks, Arabic orthography.

Two products:

``fold(text)``  NFKC/NFKD-compatible forms, case folded, Latin diacritics and transliteration marks
                removed, Arabic diacritics and tatweel removed, alef / hamza / yaa / taa marbuta and
                Persian letter forms unified, Arabic-Indic digits as ASCII. Still readable text.

``key(text)``   a phonetic key of folded text, for transliteration variants: vowel runs become one
                class symbol (``I`` front: e i y, ``U`` back/open: a o u w, by the run's last vowel),
                y/w are consonants only word-initially or doubled, doubled consonants are single,
                word-final -ah/-eh is -a, possessive 's is dropped, and every word boundary is one ``#``
                (also at both ends): "Dayr az-Zawr" reads ``#dIr#Uz#zUr#``, "Deirezzor" ``#dIrIzUr#``.
                Term variants are generated for each way of joining the term's own words, so a match
                is always aligned to whole words.

Every step is a C-level ``str.replace`` or one compiled regex over the whole text: this runs over every
article, so it must cost well under a millisecond per kilobyte.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.text.scripts import convert

# Arabic letter folds (Lucene's ArabicNormalizer steps, plus Persian/Urdu forms and digits).
ARABIC_FOLDS = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ى": "ي", "ی": "ي", "ې": "ي", "ئ": "ي",
    "ة": "ه", "ۃ": "ه", "ہ": "ه", "ە": "ه",
    "ؤ": "و", "ٶ": "و",
    "ک": "ك", "ڪ": "ك", "گ": "ك",
    "ٹ": "ت", "ڤ": "ف", "پ": "ب", "چ": "ج", "ژ": "ز",
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Eastern Arabic-Indic (Persian) digits
}  # fmt: skip
# Removed outright: Arabic tashkeel (fathatan..sukun, superscript alef, Quranic marks), tatweel,
# transliteration marks (ʿ ʾ ʻ ʼ ' ’ ‘ `), zero-width characters and the soft hyphen.
DELETE = (
    [chr(c) for c in range(0x064B, 0x0660)]
    + [chr(c) for c in range(0x0610, 0x061B)]
    + [chr(c) for c in range(0x06D6, 0x06EE)]
    + ["\u0670", "\u0640", "ʿ", "ʾ", "ʻ", "ʼ", "'", "’", "‘", "`", "´", "\u200b", "\u200c", "\u200d", "\u00ad"]
)
_NEEDS_NFKD = re.compile(r"[\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff\ufb50-\ufdff\ufe70-\ufeff\uff00-\uffef]")
_COMBINING = re.compile(r"[\u0300-\u036f]")
# Hezbollah's -> Hezbollah, before apostrophes are dropped. The apostrophe first and the letter before it
# looked behind for: a regex that starts with a lookbehind is tried at every character (0.71 -> 0.16 ms a page)
_POSSESSIVE = re.compile(r"['’](?<=\w['’])s\b")
_ARABIC_PAIRS = list(ARABIC_FOLDS.items())


# النجباء ~ النجبا: the final hamza is often dropped. Matched with its alef (put back) rather than after a
# lookbehind, so that the regex engine looks for the two letters' literal (0.35 -> 0.07 ms a page)
_FINAL_HAMZA = re.compile(r"اء(?![\u0621-\u064a])")


def fold(text: str, seen: frozenset[str] | None = None) -> str:
    """Case, diacritics and orthographic variants folded, other scripts brought into Latin or Arabic letters
    (bot/text/scripts.py); length may change. ``seen``: the text's ``scripts.features``, if known."""
    text = convert(text.casefold(), seen)
    if _NEEDS_NFKD.search(text):
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
        text = unicodedata.normalize("NFC", text)
    if "'" in text or "’" in text:
        text = _POSSESSIVE.sub("", text)
    for char in DELETE:
        if char in text:
            text = text.replace(char, "")
    for old, new in _ARABIC_PAIRS:
        if old in text:
            text = text.replace(old, new)
    if "ء" in text:
        text = _FINAL_HAMZA.sub("ا", text)
    return text


# ---------------------------------------------------------------------------------------- phonetic key

_FINAL = re.compile(r"(?<=[a-z])e(?=h\b)|(?<=[aeiou])h\b")
# y and w are consonants word-initially and between vowels (Sayyida, Mayadin); elsewhere part of the vowel run
_GLIDE = re.compile(r"(?<![a-z])[yw](?=[aeiou])|(?<=[aeiou])[yw]+(?=[aeiou])")
_VOWEL_CLASS = [("q", "k"), ("a", "U"), ("o", "U"), ("u", "U"), ("w", "U"), ("e", "I"), ("i", "I"), ("y", "I")]
_RUN = re.compile(r"[UI](?=[UI])")
_CONSONANTS = "bcdfghjklmnpqrstvxzYW"
_DOUBLE = re.compile(f"([{_CONSONANTS}])\\1+")
# the page chrome's usual symbols too (©, ·, ›, …, •, ®: on 88% of the real pages): one of them left would
# cost the regex pass of ``words`` (0.4 ms a page)
_SEPARATORS = '-\u2010\u2011\u2012\u2013\u2014\u2015\u2212_/\\.,;:!?()[]{}"«»“”<>|+*&%$#@=~^؛،؟©®™°·•…×→←↑↓›‹€£¶§±'


def _final(match: re.Match[str]) -> str:
    return "a" if match.group(0) == "e" else ""


def _glide(match: re.Match[str]) -> str:
    return match.group(0)[0].upper()


# German and French spell one Arabic consonant with several letters: dsch/dj (j), sch (sh)
_DIGRAPHS = (("dsch", "j"), ("tsch", "ch"), ("sch", "sh"), ("dj", "j"))


def _word_key(word: str) -> str:
    text = word
    if "sch" in text or "dj" in text:
        for old, new in _DIGRAPHS:
            text = text.replace(old, new)
    text = _FINAL.sub(_final, text)
    text = _GLIDE.sub(_glide, text)
    for old, new in _VOWEL_CLASS:
        text = text.replace(old, new)
    text = _RUN.sub("", text)
    return _DOUBLE.sub(r"\1", text)


_WORD_KEYS: dict[str, str] = {}  # news vocabulary is Zipfian: nearly every word is computed once


def words(folded: str) -> list[str]:
    """The words of folded text: every character that is not a letter or a digit is a boundary (all of
    Unicode's punctuation, symbols and spaces). The common ones are replaced in C-level passes; a word still
    holding anything rarer („quotes“, 「…」, ¿) is split again by a regex. ``str.isalnum`` is the regex's
    ``\\w`` without ``_``, so a word it passes has nothing left to split: a search of the whole text for what
    is left cost as much as the split itself (0.6 ms a page), a test of each word a fifth of it."""
    text = folded
    for char in _SEPARATORS:
        if char in text:
            text = text.replace(char, " ")
    split = text.split()
    if text.isascii() or all(map(str.isalnum, split)):  # every ASCII one is among the separators
        return split
    found: list[str] = []
    for word in split:
        if word.isalnum():
            found.append(word)
        else:
            found.extend(_OTHER.sub(" ", word).split())
    return found


_OTHER = re.compile(r"[^\w\s]|_")


def key(folded: str) -> str:
    """The phonetic key of already folded text (see the module docstring)."""
    return "#" + "#".join(word_keys(folded)) + "#"


def word_keys(folded: str) -> list[str]:
    """Each word's key. Every rule is word-local, so the text is split into words and each word's key comes from
    a cache: one dictionary lookup per word instead of a regex pass over the whole text per rule."""
    return keys_of(words(folded))


def keys_of(text_words: list[str]) -> list[str]:
    """``word_keys`` of words already split."""
    cache = _WORD_KEYS
    if len(cache) > 200_000:  # bounded: about 20 MB at most
        cache.clear()
    keys = list(map(cache.get, text_words))  # most words are known: one C-level lookup each (hot path)
    if None in keys:
        keys = [k if k is not None else _keyed(w) for k, w in zip(keys, text_words, strict=True)]
    return keys


def _keyed(word: str) -> str:
    k = _WORD_KEYS[word] = _word_key(word)
    return k


def plain(folded: str) -> str:
    """Folded text with each run of separators as one ``#``: what exact terms are matched on."""
    return "#" + "#".join(words(folded)) + "#"


@lru_cache(maxsize=200_000)
def token_fold(token: str) -> str:
    return fold(token)


@lru_cache(maxsize=200_000)
def token_key(token: str) -> str:
    """One token's key without the boundary marks (tokens are joined with ``join_keys``)."""
    return key(fold(token)).replace("#", "")


@lru_cache(maxsize=200_000)
def token_plain(token: str) -> str:
    return plain(fold(token)).replace("#", "")


def join_keys(left: str, right: str) -> str:
    """``key(a + " " + b)`` from ``key(a)`` and ``key(b)``: only the junction can collapse."""
    if not left or not right:
        return left + right
    a, b = left[-1], right[0]
    if a == b and (a in "UI" or a in _CONSONANTS):
        return left + right[1:]
    if a in "UI" and b in "UI":  # a vowel run's class is its last vowel's
        return left[:-1] + right
    return left + right


# ------------------------------------------------------------------------------------------------ Arabic

ARABIC_LETTERS = "\u0621-\u064a"
_ARABIC_WORD = re.compile(f"^[{ARABIC_LETTERS}]+$")
CONJUNCTIONS = ("و", "ف")
PREPOSITIONS = ("ب", "ك", "ل")


def is_arabic(word: str) -> bool:
    return bool(_ARABIC_WORD.match(word))


def without_article(word: str) -> str:
    """``الزور`` -> ``زور``; the article is optional on both sides of a match."""
    if word.startswith("ال") and len(word) >= 4:
        return word[2:]
    return word


@lru_cache(maxsize=200_000)
def arabic_readings(token: str) -> tuple[frozenset[str], frozenset[str]]:
    """The readings of a folded Arabic token: (cores, prefixed).

    ``cores``: the token itself without its article (the article is optional on both sides).
    ``prefixed``: what follows an attached prefix (و ف ب ك ل, two at most): its core when the rest
    carries the article (بالرقه -> رقه) or the contraction لل (للنجباء -> نجباء); the bare rest
    otherwise (بدير -> دير), which only matches a term word written exactly so: برقه is not الرقه.
    """
    cores = {without_article(token)}
    prefixed: set[str] = set()
    for conj in ("", *CONJUNCTIONS):
        if conj and not token.startswith(conj):
            continue
        after_conj = token[len(conj) :]
        rests = [after_conj] if conj else []
        rests += [after_conj[1:] for prep in PREPOSITIONS if after_conj.startswith(prep)]
        for rest in rests:
            if len(rest) < 2:
                continue
            if rest.startswith("ال") and len(rest) >= 4:
                prefixed.add("=" + rest[2:])  # "=": a core, not a written form
            elif rest.startswith("ل") and token[len(conj) : len(conj) + 2] == "لل" and len(rest) >= 3:
                prefixed.add("=" + rest[1:])  # ل + ال contracted: للنجباء
            else:
                prefixed.add(rest)
    return frozenset(cores), frozenset(prefixed)


# ------------------------------------------------------------------------------------------- loose key

# What the loose key forgives, beside what ``key`` already does (bot/text/variants.py says where each comes from):
# every vowel is one class (Turkish and Kurdish e and i for a: Meyadin, Reqa, Minbic); c = j (Turkish and
# Kurmanji c: Cerablus, Sincar); y = j (German j: Fatemijun, Jarmuk); z = s (German s: Hisbollah, Deir es-Sor);
# v = w (Turkish, German); ch = sh (French: Qamichli, al-Cham); kh = h = x (Turkish h, Kurmanji x, Russian kh for
# خ and ح: Хезболла); gh = g (German, Turkish: Bagdad, Bağdat).
_LOOSE_DIGRAPHS = (("ch", "sh"), ("kh", "h"), ("gh", "g"), ("nb", "mb"))  # nb: Turkish writes Membiç
_LOOSE = str.maketrans({"U": "V", "I": "V", "c": "j", "Y": "j", "z": "s", "v": "W", "x": "h"})
_LOOSE_DOUBLE = re.compile(r"([^#])\1+")


_LOOSE_WORDS: dict[str, str] = {}
_GLIDE_I = re.compile(r"(?<=[aeou])i(?=[aeiou])")  # German Haiat, French Baiat: an i between vowels is a y
# A word's last vowel, kept as a class: a name's ending is its most stable vowel across languages (-a, -e for taa
# marbuta), and telling it keeps the loose reading off words that differ there (Haseki for Hasakah, Rakı).
_FINAL_CLASS = {"a": "A", "e": "A", "i": "I", "y": "I", "o": "O", "u": "O", "w": "O"}
FINAL_CLASSES = "AIO"


def loose_word(word: str) -> str:
    """A folded word's loose key (``loose`` of its key), its final vowel as a class: A (a, e), I (i, y), O (o, u)."""
    found = _LOOSE_WORDS.get(word)
    if found is not None:
        return found
    if len(_LOOSE_WORDS) > 200_000:
        _LOOSE_WORDS.clear()
    k = loose(_word_key(_GLIDE_I.sub("y", word)))
    if k.endswith("V"):
        bare = word[:-1] if len(word) > 2 and word[-1] == "h" and word[-2] in "aeiou" else word
        k = k[:-1] + _FINAL_CLASS.get(bare[-1:], "V")
    _LOOSE_WORDS[word] = k
    return k


def loose_stream(text_words: list[str], open_endings: bool = False) -> str:
    """The loose key stream of a text's words. ``open_endings``: without each word's final vowel (Russian
    declines names by their ending: Ракка, Ракке, Ракку are one)."""
    return "#" + "#".join(loose_keys_of(text_words, open_endings)) + "#"


def loose_keys_of(text_words: list[str], open_endings: bool = False) -> list[str]:
    """Each word's loose key (``loose_stream`` unjoined)."""
    out = list(map(_LOOSE_WORDS.get, text_words))  # most words are known: one C-level lookup each (hot path)
    if None in out:
        out = [k if k is not None else loose_word(w) for k, w in zip(out, text_words, strict=True)]
    if open_endings:
        out = [k[:-1] if len(k) > 1 and k[-1] in FINAL_CLASSES else k for k in out]
    return out


def loose(strict: str) -> str:
    """The loose key of a strict key (``key``, or a term's joined key): a many-to-one reading in which the
    spellings of several languages meet. Used only with evidence that the text is one of them (bot/match.py)."""
    for old, new in _LOOSE_DIGRAPHS:
        if old in strict:
            strict = strict.replace(old, new)
    return _LOOSE_DOUBLE.sub(r"\1", strict.translate(_LOOSE))


# ------------------------------------------------------------------------------ Arabic-script skeleton

# Hebrew, Sorani and Persian write vowels Arabic leaves out (מוסול for الموصل, دێرەزور, سینجار), doubled letters
# Arabic writes once (ڕەققە for الرقة), and often one letter for two (ס for س and ص, ק for ق and ك, ت for ة): they
# are compared with Arabic on the consonants alone, the emphatic ones as their plain pairs, a double as one.
_SKELETON = str.maketrans({"ا": None, "و": None, "ي": None, "ء": None, "ص": "س", "ث": "س", "ض": "د", "ط": "ت",
                           "ظ": "ز", "ذ": "ز", "خ": "ح", "غ": "ع", "ق": "ك"})  # fmt: skip
_DOUBLED = re.compile(r"(.)\1+")


def single(text: str) -> str:
    """``text`` with each run of one character written once: the skeletons compare consonants, not their
    length (Hebrew and Sorani double what Arabic writes once, transliterations double at will)."""
    return _DOUBLED.sub(r"\1", text)


def skeleton(folded_word: str) -> str:
    """A folded Arabic-script word's consonants (its article off), emphatic and plain letters as one (Hebrew
    and Persian spell ق ك ط ت ص س alike); the particle Abu (ابو, بو, البو) is itself."""
    if folded_word in ("ابو", "بو", "البو"):
        return "ابو"
    core = without_article(folded_word)
    if len(core) > 2 and core.endswith("ت"):
        core = core[:-1] + "ه"  # هیئت, הייאת: ت for ة
    return single(core.translate(_SKELETON))


def join_loose(left: str, right: str) -> str:
    """``loose(key(a + " " + b))`` from the two loose keys: the same symbol on both sides of the junction is one."""
    if left and right and left[-1] == right[0]:
        return left + right[1:]
    return left + right
